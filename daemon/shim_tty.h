#ifndef PAAS_SHIM_TTY_H
#define PAAS_SHIM_TTY_H

#include <stddef.h>

/*
 * The input side of a `paas run` on a pty ("stdio": "pty"). The shim's
 * stdin carries what the client sent as its request body, verbatim: a
 * stream of frames, each one channel byte, a 4-byte big-endian length
 * and that many bytes:
 *
 *	'0'	keystrokes, written to the pty master as they are
 *	'w'	a window size: rows and cols, 2 bytes big-endian each
 *
 * Frames of other channels are skipped (room to grow); a length over
 * SHIM_TTY_FRAME_MAX, or a 'w' that is not 4 bytes, is a protocol error.
 * shim_tty_feed() is pure: it takes the bytes in any pieces.
 */
#define SHIM_TTY_FRAME_MAX	(1024 * 1024)

typedef void shim_tty_data_cb(void *arg, const char *, size_t);
typedef void shim_tty_size_cb(void *arg, unsigned rows, unsigned cols);

struct shim_tty_dec {
	unsigned char	hdr[5];
	size_t		hlen;		/* header bytes so far */
	size_t		left;		/* payload bytes still to come */
	unsigned char	size[4];	/* a 'w' payload so far */
	size_t		slen;
	shim_tty_data_cb *data;
	shim_tty_size_cb *resize;
	void		*arg;
};

void	shim_tty_dec_init(struct shim_tty_dec *, shim_tty_data_cb *,
	    shim_tty_size_cb *, void *arg);
/* 0, or -EPROTO: the stream is broken and must not be fed again. */
int	shim_tty_feed(struct shim_tty_dec *, const char *, size_t);

#endif
