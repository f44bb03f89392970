#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot.h"

void
slots_init(struct slots *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->queued, 0);
}

void
slots_free(struct slots *s)
{
	struct slot *sl, *next;

	for (sl = s->list; sl != NULL; sl = next) {
		next = sl->next;
		free(sl);
	}
	s->list = NULL;
	pthread_mutex_destroy(&s->lock);
}

struct slot *
slot_get(struct slots *s, const char *key)
{
	struct slot *sl;

	pthread_mutex_lock(&s->lock);
	for (sl = s->list; sl != NULL; sl = sl->next)
		if (strncmp(sl->key, key, sizeof(sl->key)) == 0)
			break;
	if (sl == NULL) {
		sl = calloc(1, sizeof(*sl));
		if (sl == NULL)
			abort();
		snprintf(sl->key, sizeof(sl->key), "%s", key);
		atomic_init(&sl->n, 0);
		sl->next = s->list;
		s->list = sl;
	}
	sl->refs++;
	pthread_mutex_unlock(&s->lock);
	return sl;
}

void
slot_put(struct slots *s, struct slot *sl)
{
	struct slot **p;

	if (sl == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	if (--sl->refs == 0) {
		for (p = &s->list; *p != NULL; p = &(*p)->next)
			if (*p == sl) {
				*p = sl->next;
				break;
			}
		free(sl);
	}
	pthread_mutex_unlock(&s->lock);
}

int
slot_take(struct slot *sl, unsigned max)
{
	unsigned v = atomic_load(&sl->n);

	do {
		if (v >= max)
			return 0;
	} while (!atomic_compare_exchange_weak(&sl->n, &v, v + 1));
	return 1;
}

int
slot_give(struct slot *sl)
{
	unsigned v = atomic_load(&sl->n);

	/* never below 0, whatever a caller does */
	do {
		if (v == 0)
			return 0;
	} while (!atomic_compare_exchange_weak(&sl->n, &v, v - 1));
	return 1;
}

unsigned
slot_count(struct slot *sl)
{
	return atomic_load_explicit(&sl->n, memory_order_relaxed);
}

int
slot_enqueue(struct slots *s, struct slot *sl, unsigned max)
{
	if (!slot_take(sl, max))
		return 0;
	atomic_fetch_add(&s->queued, 1);
	return 1;
}

void
slot_dequeue(struct slots *s, struct slot *sl)
{
	if (slot_give(sl))
		atomic_fetch_sub(&s->queued, 1);
}

unsigned
slots_queued(struct slots *s)
{
	return atomic_load(&s->queued);
}
