#include <stdarg.h>
#include <stdio.h>

#include "perr.h"

int
perr_set(struct perr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
perr_clear(struct perr *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}
