#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "super.h"

static struct super_want
want(const char *app, const char *type, int q, const char *size, long long r)
{
	struct super_want w;

	memset(&w, 0, sizeof(w));
	snprintf(w.app, sizeof(w.app), "%s", app);
	snprintf(w.type, sizeof(w.type), "%s", type);
	snprintf(w.size, sizeof(w.size), "%s", size);
	w.quantity = q;
	w.release = r;
	return w;
}

static struct super_inst
inst(const char *app, const char *type, int index, long long r,
    enum super_state st, uint64_t id)
{
	struct super_inst in;

	memset(&in, 0, sizeof(in));
	snprintf(in.app, sizeof(in.app), "%s", app);
	snprintf(in.type, sizeof(in.type), "%s", type);
	snprintf(in.size, sizeof(in.size), "basic");
	in.index = index;
	in.release = r;
	in.state = st;
	in.id = id;
	return in;
}

static size_t
count(const struct super_action *a, size_t n, enum super_action_kind k)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += a[i].kind == k;
	return c;
}

static void
test_state_machine(void **state)
{
	(void)state;
	assert_int_equal(super_next(SUPER_STARTING, SUPER_EV_READY), SUPER_UP);
	assert_int_equal(super_next(SUPER_STARTING, SUPER_EV_BOOT_TIMEOUT),
	    SUPER_CRASHED);
	assert_int_equal(super_next(SUPER_UP, SUPER_EV_EXIT), SUPER_CRASHED);
	assert_int_equal(super_next(SUPER_UP, SUPER_EV_STOP), SUPER_STOPPING);
	assert_int_equal(super_next(SUPER_STOPPING, SUPER_EV_EXIT), SUPER_DOWN);
	assert_int_equal(super_next(SUPER_UP, SUPER_EV_READY), -1);
	assert_int_equal(super_next(SUPER_CRASHED, SUPER_EV_EXIT), -1);
	assert_int_equal(super_next(SUPER_DOWN, SUPER_EV_READY), -1);
	assert_int_equal(super_next(SUPER_NSTATES, SUPER_EV_READY), -1);
	assert_string_equal(super_state_name(SUPER_CRASHED), "crashed");
	assert_string_equal(super_state_name(SUPER_UP), "up");
}

static void
test_backoff_schedule(void **state)
{
	(void)state;
	assert_int_equal(super_backoff_ms(0), 0);
	assert_int_equal(super_backoff_ms(1), 0);
	assert_int_equal(super_backoff_ms(2), 1000);
	assert_int_equal(super_backoff_ms(3), 2000);
	assert_int_equal(super_backoff_ms(4), 4000);
	assert_int_equal(super_backoff_ms(10), 256000);
	assert_int_equal(super_backoff_ms(11), 300000);
	assert_int_equal(super_backoff_ms(1000), 300000);
}

static void
test_scale_up_from_nothing(void **state)
{
	struct super_want	w[2];
	struct super_action	a[16];
	size_t			n;

	(void)state;
	w[0] = want("shop", "web", 3, "basic", 2);
	w[1] = want("shop", "worker", 1, "standard", 2);
	n = super_plan(w, 2, NULL, 0, 0, a, 16);
	assert_int_equal(n, 4);
	assert_int_equal(count(a, n, SUPER_START), 4);
	assert_int_equal(a[2].index, 3);
	assert_string_equal(a[3].type, "worker");
	assert_string_equal(a[3].size, "standard");
	assert_int_equal(a[3].release, 2);
	/* the output bound is respected */
	assert_int_equal(super_plan(w, 2, NULL, 0, 0, a, 2), 2);
}

static void
test_steady_state_does_nothing(void **state)
{
	struct super_want	w = want("shop", "web", 2, "basic", 2);
	struct super_inst	in[2];
	struct super_action	a[8];

	(void)state;
	in[0] = inst("shop", "web", 1, 2, SUPER_UP, 1);
	in[1] = inst("shop", "web", 2, 2, SUPER_STARTING, 2);
	assert_int_equal(super_plan(&w, 1, in, 2, 0, a, 8), 0);
}

static void
test_scale_down_stops_highest(void **state)
{
	struct super_want	w = want("shop", "web", 1, "basic", 2);
	struct super_inst	in[3];
	struct super_action	a[8];
	size_t			n;

	(void)state;
	in[0] = inst("shop", "web", 1, 2, SUPER_UP, 1);
	in[1] = inst("shop", "web", 2, 2, SUPER_UP, 2);
	in[2] = inst("shop", "web", 3, 2, SUPER_UP, 3);
	n = super_plan(&w, 1, in, 3, 0, a, 8);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].kind, SUPER_STOP);
	assert_int_equal(a[0].id, 2);
	assert_int_equal(a[1].id, 3);
	/* scaled to zero, or the type is gone from the formation */
	w.quantity = 0;
	assert_int_equal(super_plan(&w, 1, in, 3, 0, a, 8), 3);
	assert_int_equal(super_plan(NULL, 0, in, 3, 0, a, 8), 3);
}

static void
test_rolling_release_starts_before_stopping(void **state)
{
	struct super_want	w = want("shop", "web", 2, "basic", 3);
	struct super_inst	in[4];
	struct super_action	a[8];
	size_t			n;

	(void)state;
	in[0] = inst("shop", "web", 1, 2, SUPER_UP, 1);
	in[1] = inst("shop", "web", 2, 2, SUPER_UP, 2);
	/* new release: start both new ones, stop nothing yet */
	n = super_plan(&w, 1, in, 2, 0, a, 8);
	assert_int_equal(n, 2);
	assert_int_equal(count(a, n, SUPER_START), 2);
	assert_int_equal(a[0].release, 3);
	/* new web.1 is up, new web.2 still starting: only old web.1 goes */
	in[2] = inst("shop", "web", 1, 3, SUPER_UP, 3);
	in[3] = inst("shop", "web", 2, 3, SUPER_STARTING, 4);
	n = super_plan(&w, 1, in, 4, 0, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].kind, SUPER_STOP);
	assert_int_equal(a[0].id, 1);
	/* a resize is a replacement too */
	in[0] = inst("shop", "web", 1, 3, SUPER_UP, 1);
	w = want("shop", "web", 1, "performance", 3);
	n = super_plan(&w, 1, in, 1, 0, a, 8);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].kind, SUPER_START);
	assert_string_equal(a[0].size, "performance");
}

static void
test_crash_waits_for_backoff(void **state)
{
	struct super_want	w = want("shop", "web", 1, "basic", 2);
	struct super_inst	in[1];
	struct super_action	a[8];
	size_t			n;

	(void)state;
	in[0] = inst("shop", "web", 1, 2, SUPER_CRASHED, 7);
	in[0].crashes = 3;
	in[0].retry_ms = 5000;
	assert_int_equal(super_plan(&w, 1, in, 1, 4999, a, 8), 0);
	n = super_plan(&w, 1, in, 1, 5000, a, 8);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].kind, SUPER_FORGET);
	assert_int_equal(a[0].id, 7);
	assert_int_equal(a[1].kind, SUPER_START);
	assert_int_equal(a[1].crashes, 3);
}

static void
test_apps_are_independent(void **state)
{
	struct super_want	w[2];
	struct super_inst	in[2];
	struct super_action	a[8];
	size_t			n;

	(void)state;
	w[0] = want("good", "web", 1, "basic", 1);
	w[1] = want("bad", "web", 1, "basic", 1);
	in[0] = inst("good", "web", 1, 1, SUPER_UP, 1);
	in[1] = inst("bad", "web", 1, 1, SUPER_CRASHED, 2);
	in[1].retry_ms = 1000000;
	n = super_plan(w, 2, in, 2, 0, a, 8);
	assert_int_equal(n, 0);
}

static void
test_port_pick(void **state)
{
	int used[] = { 5000, 5001, 5003 };

	(void)state;
	assert_int_equal(super_port_pick(used, 3, 5000, 5005, 5000), 5002);
	assert_int_equal(super_port_pick(used, 3, 5000, 5005, 5003), 5004);
	assert_int_equal(super_port_pick(used, 3, 5000, 5003, 5003), 5002);
	assert_int_equal(super_port_pick(used, 3, 5000, 5001, 5000), 0);
	assert_int_equal(super_port_pick(used, 3, 5000, 5005, 1), 5002);
	assert_int_equal(super_port_pick(NULL, 0, 6000, 5000, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_scale_up_from_nothing),
		cmocka_unit_test(test_steady_state_does_nothing),
		cmocka_unit_test(test_scale_down_stops_highest),
		cmocka_unit_test(test_rolling_release_starts_before_stopping),
		cmocka_unit_test(test_crash_waits_for_backoff),
		cmocka_unit_test(test_apps_are_independent),
		cmocka_unit_test(test_port_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
