#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conn.h"

/* Every transition the router makes, and only those, is allowed. */
static const struct {
	enum conn_state	from, to;
	const char	*why;
} allowed[] = {
	{ CONN_IDLE, CONN_HEAD, "first byte of the next request" },
	{ CONN_IDLE, CONN_DRAIN, "error before a head" },
	{ CONN_IDLE, CONN_DEAD, "keep-alive timeout, client gone, stop" },
	{ CONN_HEAD, CONN_DIAL, "routed, no pooled connection" },
	{ CONN_HEAD, CONN_WAIT, "routed onto a pooled connection" },
	{ CONN_HEAD, CONN_IDLE, "answered ourselves (404, 503), keep-alive" },
	{ CONN_HEAD, CONN_DRAIN, "400/413/414/431, then lingering close" },
	{ CONN_HEAD, CONN_DEAD, "slowloris timeout, client gone" },
	{ CONN_DIAL, CONN_DIAL, "connect failed, retry elsewhere" },
	{ CONN_DIAL, CONN_WAIT, "connected" },
	{ CONN_DIAL, CONN_IDLE, "retry failed too: 503, keep-alive" },
	{ CONN_DIAL, CONN_DRAIN, "retry failed, request body unread" },
	{ CONN_DIAL, CONN_DEAD, "client gone" },
	{ CONN_WAIT, CONN_RESP, "response head from the app" },
	{ CONN_WAIT, CONN_TUNNEL, "101 Switching Protocols" },
	{ CONN_WAIT, CONN_DRAIN, "H12, H13, 502" },
	{ CONN_WAIT, CONN_DEAD, "client gone" },
	{ CONN_RESP, CONN_IDLE, "response done, keep-alive" },
	{ CONN_RESP, CONN_DRAIN, "response done, Connection: close" },
	{ CONN_RESP, CONN_DEAD, "H15 idle, app died mid-response" },
	{ CONN_TUNNEL, CONN_DRAIN, "app closed the tunnel" },
	{ CONN_TUNNEL, CONN_DEAD, "client closed, idle" },
	{ CONN_DRAIN, CONN_DEAD, "EOF, linger timeout, byte budget" },
};

static int
is_allowed(enum conn_state f, enum conn_state t)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].from == f && allowed[i].to == t)
			return 1;
	return 0;
}

static void
test_conn_every_transition(void **state)
{
	int f, t;

	(void)state;
	for (f = 0; f < CONN_NSTATES; f++)
		for (t = 0; t < CONN_NSTATES; t++)
			if (conn_may_enter(f, t) != is_allowed(f, t))
				fail_msg("%s -> %s: table says %d",
				    conn_state_name(f), conn_state_name(t),
				    conn_may_enter(f, t));
}

static void
test_conn_dead_is_final(void **state)
{
	int t;

	(void)state;
	for (t = 0; t < CONN_NSTATES; t++)
		assert_false(conn_may_enter(CONN_DEAD, t));
	assert_false(conn_may_enter(CONN_NSTATES, CONN_DEAD));
	assert_false(conn_may_enter(CONN_IDLE, CONN_NSTATES));
	assert_false(conn_may_enter(CONN_RESP, CONN_HEAD));
	assert_false(conn_may_enter(CONN_TUNNEL, CONN_IDLE));
}

static void
test_conn_state_names(void **state)
{
	(void)state;
	assert_string_equal(conn_state_name(CONN_IDLE), "idle");
	assert_string_equal(conn_state_name(CONN_TUNNEL), "tunnel");
	assert_string_equal(conn_state_name(CONN_DEAD), "dead");
	assert_string_equal(conn_state_name(CONN_NSTATES), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_every_transition),
		cmocka_unit_test(test_conn_dead_is_final),
		cmocka_unit_test(test_conn_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
