#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "slot.h"

/* The cap holds: max takes, then none until one is given back. */
static void
test_slot_take_give(void **state)
{
	struct slots	 s;
	struct slot	*sl;
	unsigned	 i;

	(void)state;
	slots_init(&s);
	sl = slot_get(&s, "127.0.0.1:1000");
	for (i = 0; i < 50; i++)
		assert_int_equal(slot_take(sl, 50), 1);
	assert_int_equal(slot_take(sl, 50), 0);
	assert_int_equal(slot_count(sl), 50);
	assert_int_equal(slot_give(sl), 1);
	assert_int_equal(slot_take(sl, 50), 1);
	assert_int_equal(slot_take(sl, 50), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(slot_give(sl), 1);
	/* never below zero */
	assert_int_equal(slot_give(sl), 0);
	assert_int_equal(slot_count(sl), 0);
	slot_put(&s, sl);
	slots_free(&s);
}

/* One counter per key, shared by every get, gone with the last put. */
static void
test_slot_keys_and_refs(void **state)
{
	struct slots	 s;
	struct slot	*a, *b, *c;

	(void)state;
	slots_init(&s);
	a = slot_get(&s, "127.0.0.1:1000");
	b = slot_get(&s, "127.0.0.1:1000");
	c = slot_get(&s, "127.0.0.1:1001");
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(slot_take(a, 50), 1);
	assert_int_equal(slot_count(b), 1);
	assert_int_equal(slot_count(c), 0);
	/* a reload: the old table's ref goes, the new one's stays */
	slot_put(&s, a);
	assert_int_equal(slot_count(b), 1);
	slot_put(&s, b);
	a = slot_get(&s, "127.0.0.1:1000");
	assert_int_equal(slot_count(a), 0);
	slot_put(&s, a);
	slot_put(&s, c);
	assert_null(s.list);
	slots_free(&s);
}

/* Queue counters are bounded and summed over every app. */
static void
test_slot_queue(void **state)
{
	struct slots	 s;
	struct slot	*q1, *q2;
	unsigned	 i;

	(void)state;
	slots_init(&s);
	q1 = slot_get(&s, "app:one");
	q2 = slot_get(&s, "app:two");
	assert_int_equal(slots_queued(&s), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(slot_enqueue(&s, q1, 100), 1);
	assert_int_equal(slot_enqueue(&s, q1, 100), 0);
	assert_int_equal(slot_enqueue(&s, q2, 50), 1);
	assert_int_equal(slots_queued(&s), 101);
	slot_dequeue(&s, q2);
	slot_dequeue(&s, q2);	/* nothing queued there: no change */
	assert_int_equal(slots_queued(&s), 100);
	for (i = 0; i < 100; i++)
		slot_dequeue(&s, q1);
	assert_int_equal(slots_queued(&s), 0);
	assert_int_equal(slot_count(q1), 0);
	slot_put(&s, q1);
	slot_put(&s, q2);
	slots_free(&s);
}

/* Threads racing on one counter never get more than max at once. */
#define RACE_MAX	5
#define RACE_THREADS	4
#define RACE_ROUNDS	200000

static struct slots	race_slots;
static struct slot	*race_slot;
static atomic_int	race_now, race_peak, race_taken;

static void *
race(void *arg)
{
	int i, now, peak;

	(void)arg;
	for (i = 0; i < RACE_ROUNDS; i++) {
		if (!slot_take(race_slot, RACE_MAX))
			continue;
		atomic_fetch_add(&race_taken, 1);
		now = atomic_fetch_add(&race_now, 1) + 1;
		peak = atomic_load(&race_peak);
		while (now > peak &&
		    !atomic_compare_exchange_weak(&race_peak, &peak, now))
			;
		atomic_fetch_sub(&race_now, 1);
		slot_give(race_slot);
	}
	return NULL;
}

static void
test_slot_race(void **state)
{
	pthread_t	t[RACE_THREADS];
	int		i;

	(void)state;
	alarm(60);
	slots_init(&race_slots);
	race_slot = slot_get(&race_slots, "127.0.0.1:2000");
	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, NULL), 0);
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_true(atomic_load(&race_peak) >= 1);
	assert_true(atomic_load(&race_peak) <= RACE_MAX);
	assert_true(atomic_load(&race_taken) > 0);
	assert_int_equal(slot_count(race_slot), 0);
	slot_put(&race_slots, race_slot);
	slots_free(&race_slots);
	alarm(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_take_give),
		cmocka_unit_test(test_slot_keys_and_refs),
		cmocka_unit_test(test_slot_queue),
		cmocka_unit_test(test_slot_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
