#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

static void
out_write(const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void
say_v(const char *prefix, const char *fmt, va_list ap)
{
	struct buf	b = BUF_INIT;

	buf_adds(&b, prefix);
	buf_vaddf(&b, fmt, ap);
	buf_addch(&b, '\n');
	out_write(b.p, b.len);
	buf_release(&b);
}

void
say_step(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	say_v("-----> ", fmt, ap);
	va_end(ap);
}

void
say_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	say_v("       ", fmt, ap);
	va_end(ap);
}

void
say_warn(struct build *b, const char *fmt, ...)
{
	struct buf	m = BUF_INIT;
	va_list		ap;

	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	say_info("WARNING: %s", m.p);
	if (b->nwarnings < sizeof(b->warnings) / sizeof(b->warnings[0]))
		b->warnings[b->nwarnings++] = buf_detach(&m, NULL);
	buf_release(&m);
}

void
say_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	say_v(" !     ", fmt, ap);
	va_end(ap);
}

void
say_line(const char *line, size_t len)
{
	out_write(line, len);
	out_write("\n", 1);
}

void
say_result(const char *json)
{
	struct buf	b = BUF_INIT;

	buf_addf(&b, "paas-build: result %s\n", json);
	out_write(b.p, b.len);
	buf_release(&b);
}
