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

int	runapi_head(struct paasd *, const struct http_req *,
	    struct http_sink *);
/* runapi_frame() is pure: one frame into out (5 + len bytes). */
size_t	runapi_frame(char channel, const char *data, size_t len, char *out);

#endif
