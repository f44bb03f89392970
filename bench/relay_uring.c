/*
 * bench/relay_uring.c: bench/relay.c on io_uring, to see whether batching
 * the socket calls lowers the floor of bench/router.sh. One ring (single
 * issuer, deferred task work), multishot accept, multishot recv into a
 * provided buffer ring (no syscall and no epoll round per read), and each
 * buffer sent on with send(2) on a blocking socket (whole, at once), or
 * with an io_uring send when URING_SEND=1 (then every send of a loop turn
 * goes in with the next io_uring_enter, and the buffer is given back when
 * the send completes).
 *
 *   cc -O2 -o relay_uring bench/relay_uring.c -luring    (liburing-dev)
 *   relay_uring LISTEN_PORT BACKEND_PORT...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUF	1024		/* provided buffers (a power of two) */
#define BUFSZ	4096
#define BGID	0

enum { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3 };

struct side {
	int		 fd;
	struct side	*peer;
	int		 closed;
};

static struct io_uring		 ring;
static struct io_uring_buf_ring	*br;
static char			*bufs;
static unsigned			 nback;	/* buffers given back this turn */
static int			 lfd, nports, next, uring_send;
static int			*ports;

static struct io_uring_sqe *
get_sqe(void)
{
	struct io_uring_sqe *q;

	while ((q = io_uring_get_sqe(&ring)) == NULL)
		io_uring_submit(&ring);
	return q;
}

static void
tag(struct io_uring_sqe *q, void *p, int op, unsigned bid)
{
	/* pointer (8-aligned) | op in the low bits, buffer id in the top */
	io_uring_sqe_set_data64(q, (uint64_t)(uintptr_t)p | (uint64_t)op |
	    (uint64_t)bid << 48);
}

static void
post_accept(void)
{
	struct io_uring_sqe *q = get_sqe();

	io_uring_prep_multishot_accept(q, lfd, NULL, NULL, SOCK_CLOEXEC);
	tag(q, NULL, OP_ACCEPT, 0);
}

static void
post_recv(struct side *s)
{
	struct io_uring_sqe *q = get_sqe();

	io_uring_prep_recv_multishot(q, s->fd, NULL, 0, 0);
	q->flags |= IOSQE_BUFFER_SELECT;
	q->buf_group = BGID;
	tag(q, s, OP_RECV, 0);
}

static void
give_back(unsigned bid)
{
	io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ,
	    (unsigned short)bid, io_uring_buf_ring_mask(NBUF), (int)nback++);
}

static void
drop(struct side *s)
{
	struct side *p = s->peer;

	if (s->closed)
		return;
	/* the pair's pending recvs end with errors; the memory stays (a
	 * bench run never closes many connections) */
	s->closed = p->closed = 1;
	shutdown(s->fd, SHUT_RDWR);
	shutdown(p->fd, SHUT_RDWR);
	close(s->fd);
	close(p->fd);
}

static int
tcp_to(int port)
{
	struct sockaddr_in	sa = { .sin_family = AF_INET };
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
on_accept(int fd)
{
	struct side	*pair;
	int		 bfd, one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bfd = tcp_to(ports[next++ % nports]);
	pair = calloc(2, sizeof(*pair));
	if (bfd < 0 || pair == NULL) {
		close(fd);
		if (bfd >= 0)
			close(bfd);
		free(pair);
		return;
	}
	pair[0].fd = fd;
	pair[1].fd = bfd;
	pair[0].peer = &pair[1];
	pair[1].peer = &pair[0];
	post_recv(&pair[0]);
	post_recv(&pair[1]);
}

static void
on_recv(struct side *s, const struct io_uring_cqe *cqe)
{
	unsigned	 bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	char		*b = bufs + (size_t)bid * BUFSZ;

	if (cqe->res == -ENOBUFS) {	/* all buffers in flight: re-arm */
		if (!s->closed)
			post_recv(s);
		return;
	}
	if (cqe->res <= 0 || s->closed) {
		if (cqe->flags & IORING_CQE_F_BUFFER)
			give_back(bid);
		drop(s);
		return;
	}
	if (uring_send) {
		struct io_uring_sqe *q = get_sqe();

		io_uring_prep_send(q, s->peer->fd, b, (size_t)cqe->res,
		    MSG_NOSIGNAL | MSG_WAITALL);
		tag(q, s, OP_SEND, bid);
	} else {
		/* a blocking socket: send(2) returns when all of it is in */
		if (send(s->peer->fd, b, (size_t)cqe->res, MSG_NOSIGNAL) !=
		    cqe->res)
			drop(s);
		give_back(bid);
	}
	if (!(cqe->flags & IORING_CQE_F_MORE) && !s->closed)
		post_recv(s);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in		 sa = { .sin_family = AF_INET };
	struct io_uring_params		 prm = { .flags =
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN };
	struct io_uring_buf_reg		 reg = { .ring_entries = NBUF,
	    .bgid = BGID };
	struct io_uring_cqe		*cqe;
	unsigned			 head, n, i;
	int				 one = 1, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: relay_uring LISTEN_PORT "
		    "BACKEND_PORT...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	uring_send = getenv("URING_SEND") != NULL &&
	    strcmp(getenv("URING_SEND"), "1") == 0;
	nports = argc - 2;
	ports = calloc((size_t)nports, sizeof(*ports));
	for (i = 0; i < (unsigned)nports; i++)
		ports[i] = atoi(argv[i + 2]);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0) {
		perror("relay_uring: listen");
		return 1;
	}
	if ((rc = io_uring_queue_init_params(1024, &ring, &prm)) < 0) {
		fprintf(stderr, "relay_uring: io_uring: %s\n", strerror(-rc));
		return 1;
	}
	if (posix_memalign((void **)&br, 4096, NBUF * sizeof(*br->bufs)) != 0 ||
	    (bufs = malloc((size_t)NBUF * BUFSZ)) == NULL)
		return 1;
	io_uring_buf_ring_init(br);
	reg.ring_addr = (uint64_t)(uintptr_t)br;
	if ((rc = io_uring_register_buf_ring(&ring, &reg, 0)) != 0) {
		fprintf(stderr, "relay_uring: buffer ring: %s\n",
		    strerror(-rc));
		return 1;
	}
	for (i = 0; i < NBUF; i++)
		give_back(i);
	io_uring_buf_ring_advance(br, nback);
	nback = 0;
	post_accept();
	for (;;) {
		io_uring_submit_and_wait(&ring, 1);
		n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			uint64_t	 d = cqe->user_data;
			struct side	*s = (struct side *)(uintptr_t)
			    (d & 0xfffffffffff8ULL);

			n++;
			switch (d & 7) {
			case OP_ACCEPT:
				if (!(cqe->flags & IORING_CQE_F_MORE))
					post_accept();
				if (cqe->res >= 0)
					on_accept(cqe->res);
				break;
			case OP_RECV:
				on_recv(s, cqe);
				break;
			case OP_SEND:
				give_back((unsigned)(d >> 48));
				if (cqe->res < 0)
					drop(s);
				break;
			}
		}
		io_uring_cq_advance(&ring, n);
		io_uring_buf_ring_advance(br, nback);
		nback = 0;
	}
}
