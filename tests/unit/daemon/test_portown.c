#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "portown.h"

static const char tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:4E20 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000 10001        0 5001 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000:4E20 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000 10002        0 5002 1 0000000000000000 100 0 0 10 0\n"
    /* an established connection to the port is no listener */
    "   2: 0100007F:4E20 0100007F:D431 01 00000000:00000000 00:00000000 "
    "00000000 10001        0 5003 1 0000000000000000 20 4 30 10 -1\n"
    "   3: 0100007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000 10003        0 5004 1 0000000000000000 100 0 0 10 0\n"
    "   4: garbage\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address        "
    "                st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 00000000000000000000000000000000:1F90 00000000000000000000000"
    "000000000:0000 0A 00000000:00000000 00:00000000 00000000     0    "
    "    0 7001 1 0000000000000000 100 0 0 10 0\n";

static void
test_listeners_of_a_port(void **state)
{
	unsigned long	inodes[4];
	size_t		n;

	(void)state;
	assert_int_equal(portown_listeners(tcp, strlen(tcp), 20000, inodes, 4,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(inodes[0], 5001);
	assert_int_equal(inodes[1], 5002);
	portown_listeners(tcp, strlen(tcp), 20001, inodes, 4, &n);
	assert_int_equal(n, 1);
	assert_int_equal(inodes[0], 5004);
	portown_listeners(tcp, strlen(tcp), 20002, inodes, 4, &n);
	assert_int_equal(n, 0);
	/* the cap holds */
	portown_listeners(tcp, strlen(tcp), 20000, inodes, 1, &n);
	assert_int_equal(n, 1);
	portown_listeners(tcp6, strlen(tcp6), 8080, inodes, 4, &n);
	assert_int_equal(n, 1);
	assert_int_equal(inodes[0], 7001);
	/* the header alone, or nothing */
	portown_listeners(tcp, 60, 20000, inodes, 4, &n);
	assert_int_equal(n, 0);
	portown_listeners("", 0, 20000, inodes, 4, &n);
	assert_int_equal(n, 0);
}

/* A real listener: ours when our pid holds it, not when another does. */
static void
test_check_a_real_listener(void **state)
{
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);
	pid_t			me = getpid(), other = 1;
	int			fd, port;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	assert_int_equal(portown_check(port, &me, 1), 1);
	assert_int_equal(portown_check(port, &other, 1), 0);
	assert_int_equal(portown_check(port, NULL, 0), 0);
	close(fd);
	/* nobody listens: not up */
	assert_int_equal(portown_check(port, &me, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners_of_a_port),
		cmocka_unit_test(test_check_a_real_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
