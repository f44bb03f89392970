/*
 * paas sample C app: answers every request on $PORT (0.0.0.0) with a
 * short text body. One connection at a time, which is plenty for a demo.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
answer(int fd, const char *dyno)
{
	char	req[4096], body[128], head[256];
	int	blen, hlen;

	if (read(fd, req, sizeof(req)) <= 0)
		return;
	blen = snprintf(body, sizeof(body), "hello from c on %s\n", dyno);
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n", blen);
	if (write(fd, head, (size_t)hlen) == hlen)
		(void)!write(fd, body, (size_t)blen);
}

int
main(void)
{
	const char		*port = getenv("PORT"), *dyno = getenv("DYNO");
	struct sockaddr_in	 sin;
	int			 lfd, fd, one = 1;

	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = htons((unsigned short)atoi(port ? port : "5000"));
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("hello-c: listen");
		return 1;
	}
	printf("c example listening on %s\n", port ? port : "5000");
	fflush(stdout);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		answer(fd, dyno ? dyno : "local");
		close(fd);
	}
}
