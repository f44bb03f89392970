#include <stdio.h>
#include <string.h>

#include "metrics.h"

static const uint64_t bucket_ms[METRICS_BUCKETS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000,
};

size_t
metrics_app_slot(struct metrics *m, const char *app)
{
	size_t	 h = 5381, i, k;

	if (app == NULL)
		app = "_none";
	for (i = 0; app[i]; i++)
		h = h * 33 + (unsigned char)app[i];
	for (k = 0; k < METRICS_APPS_MAX - 1; k++) {
		struct metrics_app *a = &m->apps[(h + k) % (METRICS_APPS_MAX - 1)];

		if (a->name[0] == '\0') {
			snprintf(a->name, sizeof(a->name), "%s", app);
			return (h + k) % (METRICS_APPS_MAX - 1);
		}
		if (strncmp(a->name, app, sizeof(a->name)) == 0)
			return (h + k) % (METRICS_APPS_MAX - 1);
	}
	snprintf(m->apps[METRICS_APPS_MAX - 1].name, sizeof(m->apps[0].name),
	    "_other");
	return METRICS_APPS_MAX - 1;
}

void
metrics_request(struct metrics *m, const char *app, int status, uint64_t ms)
{
	metrics_request_at(m, metrics_app_slot(m, app), status, ms);
}

void
metrics_request_at(struct metrics *m, size_t s, int status, uint64_t ms)
{
	size_t	 b;
	int	 cls = status / 100;

	if (cls < 1 || cls > 5)
		cls = 5;
	METRICS_ADD(m->apps[s].by_class[cls], 1);
	for (b = 0; b < METRICS_BUCKETS && ms > bucket_ms[b]; b++)
		;
	METRICS_ADD(m->latency[b], 1);
	METRICS_ADD(m->latency_sum_ms, ms);
	METRICS_ADD(m->latency_count, 1);
}

#define LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

static void
render_apps(struct metrics *const *w, size_t n, struct buf *out)
{
	size_t	 i, j, k, c;

	buf_adds(out, "# TYPE paas_router_requests_total counter\n");
	for (i = 0; i < n; i++)
		for (j = 0; j < METRICS_APPS_MAX; j++) {
			const struct metrics_app *a = &w[i]->apps[j];
			int seen = 0;

			if (a->name[0] == '\0')
				continue;
			/* sum this app over workers once, at its first sight */
			for (k = 0; k < i && !seen; k++)
				for (c = 0; c < METRICS_APPS_MAX && !seen; c++)
					seen = strcmp(w[k]->apps[c].name,
					    a->name) == 0;
			if (seen)
				continue;
			for (c = 1; c <= 5; c++) {
				uint64_t sum = 0;
				size_t ii, jj;

				for (ii = i; ii < n; ii++)
					for (jj = 0; jj < METRICS_APPS_MAX; jj++)
						if (strcmp(w[ii]->apps[jj].name,
						    a->name) == 0)
							sum += LOAD(w[ii]->apps[jj].by_class[c]);
				buf_addf(out, "paas_router_requests_total{app=\"%s\","
				    "class=\"%zuxx\"} %llu\n", a->name, c,
				    (unsigned long long)sum);
			}
		}
}

void
metrics_render(struct metrics *const *w, size_t n, struct buf *out)
{
	uint64_t	 cum = 0, sum = 0, cnt = 0, act = 0, err = 0, drop = 0;
	size_t		 i, b;

	render_apps(w, n, out);
	buf_adds(out, "# TYPE paas_router_request_duration_ms histogram\n");
	for (b = 0; b <= METRICS_BUCKETS; b++) {
		for (i = 0; i < n; i++)
			cum += LOAD(w[i]->latency[b]);
		if (b < METRICS_BUCKETS)
			buf_addf(out, "paas_router_request_duration_ms_bucket"
			    "{le=\"%llu\"} %llu\n",
			    (unsigned long long)bucket_ms[b],
			    (unsigned long long)cum);
		else
			buf_addf(out, "paas_router_request_duration_ms_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	for (i = 0; i < n; i++) {
		sum += LOAD(w[i]->latency_sum_ms);
		cnt += LOAD(w[i]->latency_count);
		act += LOAD(w[i]->active_conns);
		err += LOAD(w[i]->upstream_errors);
		drop += LOAD(w[i]->log_dropped);
	}
	buf_addf(out, "paas_router_request_duration_ms_sum %llu\n"
	    "paas_router_request_duration_ms_count %llu\n"
	    "# TYPE paas_router_active_connections gauge\n"
	    "paas_router_active_connections %llu\n"
	    "# TYPE paas_router_upstream_errors_total counter\n"
	    "paas_router_upstream_errors_total %llu\n"
	    "# TYPE paas_router_log_dropped_total counter\n"
	    "paas_router_log_dropped_total %llu\n",
	    (unsigned long long)sum, (unsigned long long)cnt,
	    (unsigned long long)act, (unsigned long long)err,
	    (unsigned long long)drop);
}
