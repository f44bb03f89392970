#ifndef ROUTER_SLOT_H
#define ROUTER_SLOT_H

#include <pthread.h>
#include <stdatomic.h>

/*
 * Counters shared by every worker thread, so that a cap holds for the
 * router as a whole and not per worker: the requests in flight to an
 * instance (key: its address, "127.0.0.1:41234") and the requests queued
 * for an app (key: "app:NAME"). A counter is found by key and
 * refcounted; the registry's lock is taken only when a worker starts or
 * stops knowing a key (a new instance, a reload), never per request.
 * Keys are addresses, not table entries, so counts survive reloads.
 */
#define SLOT_KEY_MAX	80

struct slot {
	char		 key[SLOT_KEY_MAX];
	atomic_uint	 n;		/* in flight, or queued */
	unsigned	 refs;		/* under the registry lock */
	struct slot	*next;
};

struct slots {
	pthread_mutex_t	 lock;
	struct slot	*list;
	atomic_uint	 queued;	/* over every app: "anyone waiting?" */
};

void	slots_init(struct slots *);
/* slots_free(): every slot, whatever its refs (at exit). */
void	slots_free(struct slots *);
/* slot_get(): the counter for key, a ref taken; created at 0. */
struct slot *slot_get(struct slots *, const char *key);
void	slot_put(struct slots *, struct slot *);

/* slot_take(): one more unless n is at max. Returns 1 taken, 0 full. */
int	slot_take(struct slot *, unsigned max);
/* slot_give(): one less; 0 if n was already 0 (nothing done). */
int	slot_give(struct slot *);
unsigned slot_count(struct slot *);

/* The same on a queue counter, kept in slots->queued as well. */
int	slot_enqueue(struct slots *, struct slot *, unsigned max);
void	slot_dequeue(struct slots *, struct slot *);
unsigned slots_queued(struct slots *);

#endif
