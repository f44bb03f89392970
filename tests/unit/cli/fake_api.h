#ifndef PAAS_FAKE_API_H
#define PAAS_FAKE_API_H

#include <pthread.h>
#include <stddef.h>

/*
 * A fake paasd for tests: a thread that accepts connections on a unix
 * socket in a temp dir, answers each with the next queued canned
 * answer and records the request. fake_wait() stops it (it never waits
 * longer than FAKE_WAIT_MS for a request that does not come).
 */
#define FAKE_MAX	8
#define FAKE_WAIT_MS	5000

struct fake_req {
	char	 raw[16384];	/* NUL-terminated */
	size_t	 len;
	char	 line[512];	/* "GET /apps HTTP/1.1" */
	const char *body;	/* into raw */
};

struct fake {
	char		 dir[64];
	char		 sock[128];
	char		 api[160];	/* "unix:SOCK" */
	int		 lfd;
	int		 stop[2];	/* pipe: fake_wait() -> thread */
	pthread_t	 th;
	int		 running;
	int		 nans;
	char		 ans[FAKE_MAX][4096];
	int		 nreq;		/* requests answered */
	struct fake_req	 req[FAKE_MAX];
};

struct fake	*fake_new(void);
void		 fake_free(struct fake *);
/* fake_push() queues an answer; call before fake_run(). */
void		 fake_push(struct fake *, int status, const char *body);
void		 fake_run(struct fake *);
void		 fake_wait(struct fake *);
/* fake_header() copies header name of request i into out ("" if none). */
void		 fake_header(const struct fake *, int i, const char *name,
		    char *out, size_t outlen);

#endif
