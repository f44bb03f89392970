#include <errno.h>
#include <string.h>

#include "shim_tty.h"

void
shim_tty_dec_init(struct shim_tty_dec *d, shim_tty_data_cb *data,
    shim_tty_size_cb *resize, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->data = data;
	d->resize = resize;
	d->arg = arg;
}

/* a header is complete: check it and start its payload */
static int
frame_begin(struct shim_tty_dec *d)
{
	d->left = (size_t)d->hdr[1] << 24 | (size_t)d->hdr[2] << 16 |
	    (size_t)d->hdr[3] << 8 | d->hdr[4];
	if (d->left > SHIM_TTY_FRAME_MAX ||
	    (d->hdr[0] == 'w' && d->left != sizeof(d->size)))
		return -EPROTO;
	d->slen = 0;
	return 0;
}

static void
payload(struct shim_tty_dec *d, const char *p, size_t n)
{
	if (d->hdr[0] == '0' && n > 0)
		d->data(d->arg, p, n);
	else if (d->hdr[0] == 'w') {
		memcpy(d->size + d->slen, p, n);
		d->slen += n;
		if (d->slen == sizeof(d->size))
			d->resize(d->arg, (unsigned)d->size[0] << 8 | d->size[1],
			    (unsigned)d->size[2] << 8 | d->size[3]);
	}
}

int
shim_tty_feed(struct shim_tty_dec *d, const char *p, size_t n)
{
	size_t take;

	while (n > 0) {
		if (d->hlen < sizeof(d->hdr)) {
			d->hdr[d->hlen++] = (unsigned char)*p++;
			n--;
			if (d->hlen == sizeof(d->hdr) && frame_begin(d) < 0)
				return -EPROTO;
			if (d->hlen == sizeof(d->hdr) && d->left == 0)
				d->hlen = 0;
			continue;
		}
		take = n < d->left ? n : d->left;
		payload(d, p, take);
		p += take;
		n -= take;
		d->left -= take;
		if (d->left == 0)
			d->hlen = 0;
	}
	return 0;
}
