/*
 * paas-static: a small static file server for the static buildpack.
 * One process, one poll() loop, non-blocking sockets and sendfile(), so a
 * slow client only ever holds its own connection slot, and every slot has
 * a deadline. Linked statically (libc only) so it runs on any stack.
 *
 *   paas-static [--root DIR] [--port N] [--bind ADDR]
 *
 * --root defaults to ".", --port to $PORT (else 5000), --bind to 0.0.0.0
 * (an IPv4 or IPv6 literal).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "paas_static.h"
#include "parse.h"

struct opts {
	const char	*root;
	const char	*bind;
	int		 port;
};

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: paas-static [--root DIR] [--port N] "
	    "[--bind ADDR]\n");
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	const char	*port = getenv("PORT");
	int		 i;

	o->root = ".";
	o->bind = "0.0.0.0";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			o->root = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = argv[++i];
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			o->bind = argv[++i];
		else
			usage();
	}
	if (port == NULL || *port == '\0')
		port = "5000";
	if (parse_int(port, 1, 65535, &o->port) < 0) {
		fprintf(stderr, "paas-static: bad port '%s'\n", port);
		exit(2);
	}
}

static int
listen_on(const struct opts *o)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, o->bind, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)o->port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, o->bind, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)o->port);
		sslen = sizeof(*sin6);
	} else {
		fprintf(stderr, "paas-static: bad bind address '%s'\n",
		    o->bind);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    listen(fd, STATIC_BACKLOG) < 0) {
		fprintf(stderr, "paas-static: listen on %s port %d: %s\n",
		    o->bind, o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct server {
	int		 lfd;
	int64_t		 accept_paused_until;	/* ms, after EMFILE */
	struct site	 site;
	struct conn	*conns[STATIC_CONNS_MAX];
	size_t		 nconns;
};

static void
server_drop(struct server *s, size_t i)
{
	conn_free(s->conns[i]);
	s->conns[i] = s->conns[--s->nconns];
}

/*
 * When every slot is taken, an idle keep-alive connection gives its slot
 * to a new client (clients reopen those freely); otherwise new clients
 * wait in the kernel's backlog.
 */
static int
server_make_room(struct server *s)
{
	size_t	i;

	if (s->nconns < STATIC_CONNS_MAX)
		return 1;
	for (i = 0; i < s->nconns; i++)
		if (conn_idle(s->conns[i])) {
			server_drop(s, i);
			return 1;
		}
	return 0;
}

static void
server_accept(struct server *s, int64_t now)
{
	struct conn	*c;
	int		 fd, one = 1, n;

	for (n = 0; n < 64 && server_make_room(s); n++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/*
			 * Out of fds, the listener stays readable: stop
			 * polling it for a moment instead of spinning.
			 */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				s->accept_paused_until = now +
				    STATIC_ACCEPT_PAUSE_MS;
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = conn_new(fd, &s->site, now)) == NULL)
			return;
		s->conns[s->nconns++] = c;
		if (conn_io(c, now) < 0)
			server_drop(s, s->nconns - 1);
	}
}

static int
server_timeout(const struct server *s, int64_t now)
{
	int64_t	first = now + 1000;
	size_t	i;

	if (s->accept_paused_until > now && s->accept_paused_until < first)
		first = s->accept_paused_until;

	for (i = 0; i < s->nconns; i++)
		if (conn_deadline(s->conns[i]) < first)
			first = conn_deadline(s->conns[i]);
	return first <= now ? 0 : (int)(first - now);
}

static void
server_run(struct server *s)
{
	static struct pollfd	 pfd[STATIC_CONNS_MAX + 1];
	struct conn		*c;
	size_t			 i, np;
	int64_t			 now;

	while (!stopping) {
		now = now_ms();
		pfd[0].fd = s->nconns < STATIC_CONNS_MAX &&
		    now >= s->accept_paused_until ? s->lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < s->nconns; i++) {
			pfd[i + 1].fd = conn_fd(s->conns[i]);
			pfd[i + 1].events = conn_events(s->conns[i]);
			pfd[i + 1].revents = 0;
		}
		np = s->nconns;
		if (poll(pfd, np + 1, server_timeout(s, now)) < 0 &&
		    errno != EINTR)
			break;
		now = now_ms();
		/*
		 * Backwards, so that server_drop()'s swap-with-last only ever
		 * moves a connection that was already handled.
		 */
		for (i = np; i-- > 0;) {
			c = s->conns[i];
			if (pfd[i + 1].revents) {
				if (conn_io(c, now) < 0)
					server_drop(s, i);
			} else if (conn_deadline(c) <= now) {
				server_drop(s, i);
			}
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN))
			server_accept(s, now);
	}
}

/*
 * Every connection slot may hold a socket and a file: raise the soft fd
 * limit toward what STATIC_CONNS_MAX needs, as far as the hard limit
 * allows.
 */
static void
raise_fd_limit(void)
{
	struct rlimit	rl;
	rlim_t		want = STATIC_CONNS_MAX * 2 + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int
main(int argc, char **argv)
{
	static struct server	 s;
	struct opts		 o;
	struct sigaction	 sa;

	parse_opts(argc, argv, &o);
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	s.site.mode = SAFEOPEN_AUTO;
	s.site.rootfd = open(o.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.site.rootfd < 0) {
		fprintf(stderr, "paas-static: open root '%s': %s\n", o.root,
		    strerror(errno));
		return 1;
	}
	if ((s.lfd = listen_on(&o)) < 0)
		return 1;
	printf("paas-static: serving %s on %s port %d\n", o.root, o.bind,
	    o.port);
	fflush(stdout);
	server_run(&s);
	while (s.nconns > 0)
		server_drop(&s, s.nconns - 1);
	close(s.lfd);
	return 0;
}
