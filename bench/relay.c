/*
 * bench/relay.c: the floor for bench/router.sh: a bare TCP byte relay
 * (one epoll loop, no HTTP parsing, no timers, no logging). Each client
 * connection gets its own backend connection, round robin over the
 * backend ports; bytes are copied both ways as they come.
 *
 *   cc -O2 -o relay bench/relay.c
 *   relay LISTEN_PORT BACKEND_PORT...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ	16384

struct side {
	int		 fd;
	struct side	*peer;
	char		 buf[BUFSZ];	/* read from fd, not yet sent to peer */
	size_t		 off, len;
};

static int		 ep;
static struct side	*dead[512];	/* freed after each epoll batch */
static size_t		 ndead;

static int
tcp_to(int port)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
watch(struct side *s, unsigned events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	epoll_ctl(ep, op, s->fd, &ev);
}

static void
drop(struct side *s)
{
	struct side *p = s->peer;

	close(s->fd);
	close(p->fd);
	s->fd = p->fd = -1;	/* later events of this batch: skipped */
	if (ndead == sizeof(dead) / sizeof(dead[0]))
		return;		/* leaked; a bench run never gets here */
	dead[ndead++] = s < p ? s : p;	/* the pair is one allocation */
}

/* Send what s holds to its peer; 0 done, 1 blocked, -1 error. */
static int
flush(struct side *s)
{
	ssize_t n;

	while (s->off < s->len) {
		n = send(s->peer->fd, s->buf + s->off, s->len - s->off,
		    MSG_NOSIGNAL);
		if (n > 0)
			s->off += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			return 1;
		else
			return -1;
	}
	s->off = s->len = 0;
	return 0;
}

static void
on_event(struct side *s, unsigned events)
{
	struct side	*p = s->peer;
	ssize_t		 n;
	int		 rc;

	if (s->fd < 0)
		return;
	if (events & EPOLLOUT) {
		/* s can take what p holds */
		if ((rc = flush(p)) < 0) {
			drop(s);
			return;
		}
		if (rc == 0) {
			watch(s, EPOLLIN, EPOLL_CTL_MOD);
			watch(p, EPOLLIN, EPOLL_CTL_MOD);
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || s->len > 0)
		return;
	n = recv(s->fd, s->buf, sizeof(s->buf), 0);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		drop(s);
		return;
	}
	if (n < 0)
		return;
	s->len = (size_t)n;
	if ((rc = flush(s)) < 0)
		drop(s);
	else if (rc == 1) {
		/* stop reading s until its peer drains */
		watch(s, 0, EPOLL_CTL_MOD);
		watch(p, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	struct epoll_event	 evs[256], ev;
	struct side		*pair;
	int			 lfd, one = 1, n, i, next = 0, nb, cfd, bfd;
	int			*ports;

	if (argc < 3) {
		fprintf(stderr, "usage: relay LISTEN_PORT BACKEND_PORT...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	nb = argc - 2;
	ports = calloc((size_t)nb, sizeof(*ports));
	for (i = 0; i < nb; i++)
		ports[i] = atoi(argv[i + 2]);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0) {
		perror("relay: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr != NULL) {
				on_event(evs[i].data.ptr, evs[i].events);
				continue;
			}
			while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
			    SOCK_CLOEXEC)) >= 0) {
				setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				bfd = tcp_to(ports[next++ % nb]);
				pair = calloc(2, sizeof(*pair));
				if (bfd < 0 || pair == NULL) {
					close(cfd);
					if (bfd >= 0)
						close(bfd);
					free(pair);
					continue;
				}
				pair[0].fd = cfd;
				pair[1].fd = bfd;
				pair[0].peer = &pair[1];
				pair[1].peer = &pair[0];
				watch(&pair[0], EPOLLIN, EPOLL_CTL_ADD);
				watch(&pair[1], EPOLLIN, EPOLL_CTL_ADD);
			}
		}
		while (ndead > 0)
			free(dead[--ndead]);
	}
}
