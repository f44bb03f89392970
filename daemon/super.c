#include <string.h>

#include "super.h"

/* The state machine as data: next[state][event], -1 = not allowed. */
static const signed char next_state[SUPER_NSTATES][SUPER_NEVENTS] = {
	/*		  READY		EXIT		BOOT_TIMEOUT	STOP */
	[SUPER_STARTING] = { SUPER_UP,	SUPER_CRASHED,	SUPER_CRASHED,	SUPER_STOPPING },
	[SUPER_UP]	= { -1,		SUPER_CRASHED,	-1,		SUPER_STOPPING },
	[SUPER_STOPPING] = { -1,	SUPER_DOWN,	-1,		SUPER_STOPPING },
	[SUPER_CRASHED]	= { -1,		-1,		-1,		SUPER_DOWN },
	[SUPER_DOWN]	= { -1,		-1,		-1,		SUPER_DOWN },
};

static const char *const state_names[SUPER_NSTATES] = {
	[SUPER_STARTING] = "starting",
	[SUPER_UP] = "up",
	[SUPER_STOPPING] = "stopping",
	[SUPER_CRASHED] = "crashed",
	[SUPER_DOWN] = "down",
};

int
super_next(enum super_state s, enum super_event ev)
{
	if ((unsigned)s >= SUPER_NSTATES || (unsigned)ev >= SUPER_NEVENTS)
		return -1;
	return next_state[s][ev];
}

const char *
super_state_name(enum super_state s)
{
	return (unsigned)s < SUPER_NSTATES ? state_names[s] : "unknown";
}

uint64_t
super_backoff_ms(int crashes)
{
	uint64_t ms = SUPER_BACKOFF_FIRST_MS;
	int i;

	if (crashes <= 1)
		return 0;
	for (i = 2; i < crashes && ms < SUPER_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms > SUPER_BACKOFF_MAX_MS ? SUPER_BACKOFF_MAX_MS : ms;
}

static int
same_proc(const struct super_inst *in, const char *app, const char *type)
{
	return strcmp(in->app, app) == 0 && strcmp(in->type, type) == 0;
}

static int
current(const struct super_inst *in, const struct super_want *w)
{
	return in->release == w->release && strcmp(in->size, w->size) == 0;
}

static int
alive(const struct super_inst *in)
{
	return in->state == SUPER_STARTING || in->state == SUPER_UP;
}

struct plan {
	struct super_action	*out;
	size_t			 n, max;
};

static void
emit(struct plan *p, enum super_action_kind kind, const char *app,
    const char *type, int index, long long release, const char *size,
    uint64_t id)
{
	struct super_action *a;

	if (p->n == p->max)
		return;
	a = &p->out[p->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	memcpy(a->app, app, strnlen(app, sizeof(a->app) - 1));
	memcpy(a->type, type, strnlen(type, sizeof(a->type) - 1));
	a->index = index;
	a->release = release;
	memcpy(a->size, size, strnlen(size, sizeof(a->size) - 1));
	a->id = id;
}

/* One wanted index of one process type. */
static void
plan_index(struct plan *p, const struct super_want *w, int index,
    const struct super_inst *in, size_t n, uint64_t now)
{
	const struct super_inst	*fresh_up = NULL, *fresh_alive = NULL;
	const struct super_inst	*crashed = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (!same_proc(&in[i], w->app, w->type) ||
		    in[i].index != index || !current(&in[i], w))
			continue;
		if (in[i].state == SUPER_UP)
			fresh_up = &in[i];
		if (alive(&in[i]))
			fresh_alive = &in[i];
		if (in[i].state == SUPER_CRASHED)
			crashed = &in[i];
	}
	if (fresh_alive == NULL) {
		if (crashed == NULL || now >= crashed->retry_ms) {
			if (crashed)
				emit(p, SUPER_FORGET, w->app, w->type, index,
				    crashed->release, crashed->size,
				    crashed->id);
			emit(p, SUPER_START, w->app, w->type, index,
			    w->release, w->size, 0);
			if (crashed && p->n > 0 &&
			    p->out[p->n - 1].kind == SUPER_START)
				p->out[p->n - 1].crashes = crashed->crashes;
		}
	}
	/* Old instances of this index go once the new one is up. */
	for (i = 0; i < n; i++) {
		if (!same_proc(&in[i], w->app, w->type) ||
		    in[i].index != index || &in[i] == fresh_alive ||
		    &in[i] == crashed)
			continue;
		if (alive(&in[i]) && fresh_up != NULL)
			emit(p, SUPER_STOP, in[i].app, in[i].type, index,
			    in[i].release, in[i].size, in[i].id);
		else if (in[i].state == SUPER_CRASHED ||
		    in[i].state == SUPER_DOWN)
			emit(p, SUPER_FORGET, in[i].app, in[i].type, index,
			    in[i].release, in[i].size, in[i].id);
	}
}

static const struct super_want *
want_of(const struct super_want *w, size_t n, const struct super_inst *in)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_proc(in, w[i].app, w[i].type))
			return &w[i];
	return NULL;
}

size_t
super_plan(const struct super_want *w, size_t nw, const struct super_inst *in,
    size_t ni, uint64_t now, struct super_action *out, size_t max)
{
	struct plan	p = { out, 0, max };
	size_t		i;
	int		k;

	for (i = 0; i < nw; i++)
		for (k = 1; k <= w[i].quantity; k++)
			plan_index(&p, &w[i], k, in, ni, now);
	/* surplus: no wanted entry, or an index above the quantity */
	for (i = 0; i < ni; i++) {
		const struct super_want *x = want_of(w, nw, &in[i]);

		if (x != NULL && in[i].index >= 1 && in[i].index <= x->quantity)
			continue;
		if (alive(&in[i]))
			emit(&p, SUPER_STOP, in[i].app, in[i].type, in[i].index,
			    in[i].release, in[i].size, in[i].id);
		else if (in[i].state != SUPER_STOPPING)
			emit(&p, SUPER_FORGET, in[i].app, in[i].type,
			    in[i].index, in[i].release, in[i].size, in[i].id);
	}
	return p.n;
}

int
super_port_pick(const int *used, size_t nused, int lo, int hi, int hint)
{
	int	span = hi - lo + 1, k, port;
	size_t	i;

	if (span <= 0)
		return 0;
	if (hint < lo || hint > hi)
		hint = lo;
	for (k = 0; k < span; k++) {
		port = lo + (hint - lo + k) % span;
		for (i = 0; i < nused; i++)
			if (used[i] == port)
				break;
		if (i == nused)
			return port;
	}
	return 0;
}
