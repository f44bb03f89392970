#ifndef PAASD_RUNAPI_H
#define PAASD_RUNAPI_H

#include "http.h"
#include "paasd.h"

/*
 * runapi: `paas run` over the API. POST /apps/APP/run?command=CMD&size=S
 * streams: the request body is the one-off's stdin, the answer (chunked,
 * application/vnd.paas.run) is a sequence of frames, each one byte
 * channel ('1' stdout, '2' stderr, 'x' exit), four bytes of big-endian
 * length, then that many bytes ('x': the exit status, four bytes BE).
 * Closing the connection kills the run.
 */
#define RUNAPI_CMD_MAX	4096

/*
 * With tty=1&rows=R&cols=C&term=T (rows and cols 1..4096, default
 * 24x80; term [A-Za-z0-9._+-]{1,63}, default xterm) the run gets a pty
 * of its own: the answer's frames are all '1' (the terminal's output,
 * raw), and the request body is itself a stream of frames, '0' for
 * keystrokes and 'w' for a new window size (rows, cols: 2 bytes BE
 * each), handed to the shim unchanged (daemon/shim_tty.h checks them).
 * runapi_tty_parse() is pure: 0 with t->on 0 when tty is absent.
 */
struct runapi_tty {
	int	on;
	int	rows, cols;
	char	term[64];
};
int	runapi_tty_parse(const char *query, struct runapi_tty *);

int	runapi_head(struct paasd *, const struct http_req *,
	    struct http_sink *);
/* runapi_frame() is pure: one frame into out (5 + len bytes). */
size_t	runapi_frame(char channel, const char *data, size_t len, char *out);

#endif
