#ifndef PAAS_TEST_HARNESS_H
#define PAAS_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/*
 * Integration-test helpers: temp dirs, free ports, starting the real
 * paasd, a raw HTTP client and running the real CLI. Binaries come from
 * $PAAS_BIN (set by `make integration`), else ./bin.
 */
struct daemon_proc {
	pid_t	pid;
	char	data[256];
	char	sock[300];
	char	log[300];
	int	api_port;	/* TCP API port */
	int	http_port;
	char	token[128];
	const char *extra[4];	/* more paasd arguments, NULL-ended */
	int	router;		/* let paasd run paas-router on http_port */
	int	netpolicy;	/* let paasd install its nftables table */
};

const char *harness_bin(const char *name, char *out, size_t outlen);
void	harness_tmpdir(char *out, size_t outlen, const char *tag);
void	harness_rm_rf(const char *path);
int	harness_free_port(void);
/*
 * harness_alarm() arms alarm(); when it fires, every tracked child (the
 * paasd the harness started, and whatever a test passes to
 * harness_track()) is killed before the test exits with 124.
 */
void	harness_alarm(unsigned seconds);
void	harness_track(pid_t);
void	harness_untrack(pid_t);
/* Does something accept TCP connections on 127.0.0.1:port? */
int	harness_port_open(int port);
/* Start paasd on d->data (created if needed); waits until it answers. */
/*
 * harness_memcheck(): with PAAS_VALGRIND set, puts valgrind's memcheck
 * and its options (a leak or an error: exit 99; its log to
 * LOGPREFIX.vg.PID) at argv[0..], and returns how many; else 0. opt is
 * the caller's room (optlen bytes) for the log option.
 */
int	harness_memcheck(const char **argv, char *opt, size_t optlen,
	    const char *logprefix);
int	harness_paasd_start(struct daemon_proc *d);
/* SIGTERM and wait; returns the exit status (or -1). */
int	harness_paasd_stop(struct daemon_proc *d);
void	harness_paasd_kill9(struct daemon_proc *d);
/* Kill if running, remove the data dir, its log and memcheck logs. */
void	harness_paasd_cleanup(struct daemon_proc *d);
/*
 * harness_http() sends one request (TCP to 127.0.0.1:port when port > 0,
 * else the unix socket at sock) and returns the status, the body in out.
 * raw, when non-NULL, is sent as-is instead of building a request.
 */
int	harness_http(int port, const char *sock, const char *method,
	    const char *path, const char *token, const char *body,
	    struct buf *out);
int	harness_http_raw(int port, const char *raw, size_t rawlen,
	    struct buf *out);
/*
 * harness_run() runs argv with env additions (NULL-terminated "K=V"
 * list), stdin from in (may be NULL), and returns the exit status with
 * stdout and stderr captured.
 */
int	harness_run(char *const argv[], char *const env[], const char *in,
	    struct buf *out, struct buf *err);
/*
 * harness_script() runs script with `sh -ec` and returns its status; on
 * a failure the script and both captured streams go to stderr.
 */
int	harness_script(const char *script, struct buf *out, struct buf *err);

#endif
