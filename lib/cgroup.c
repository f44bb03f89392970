#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "parse.h"

#define MiB		(1024ULL * 1024)

struct size_row {
	const char		*name;
	struct cgroup_limits	 lim;
};

static const struct size_row sizes[] = {
	{ "basic",	 { 512 * MiB, 256, 1 } },
	{ "standard",	 { 1024 * MiB, 512, 2 } },
	{ "performance", { 2560 * MiB, 4096, 8 } },
};

/* v1: the controllers an instance lives in; the first is where we read. */
static const char *const v1_ctrls[] = { "freezer", "memory", "pids", "cpu" };
#define NV1	(sizeof(v1_ctrls) / sizeof(v1_ctrls[0]))

static const char *const v2_needed[] = { "memory", "pids", "cpu" };

enum value_of { VAL_MEM, VAL_ZERO, VAL_ONE, VAL_PIDS, VAL_WEIGHT,
	VAL_SHARES };

/*
 * Limits, written in this order. probe: only if the file exists in the
 * parent (memsw needs swap accounting; memory.swap.max needs swap).
 */
struct limit_row {
	enum cgroup_version	 version;
	const char		*ctrl;	/* v1 controller, NULL for v2 */
	const char		*file;
	enum value_of		 value;
	int			 probe;
};

static const struct limit_row limit_rows[] = {
	{ CGROUP_V2, NULL, "memory.max", VAL_MEM, 0 },
	{ CGROUP_V2, NULL, "memory.swap.max", VAL_ZERO, 1 },
	{ CGROUP_V2, NULL, "memory.oom.group", VAL_ONE, 0 },
	{ CGROUP_V2, NULL, "pids.max", VAL_PIDS, 0 },
	{ CGROUP_V2, NULL, "cpu.weight", VAL_WEIGHT, 0 },
	{ CGROUP_V1, "memory", "memory.limit_in_bytes", VAL_MEM, 0 },
	{ CGROUP_V1, "memory", "memory.memsw.limit_in_bytes", VAL_MEM, 1 },
	{ CGROUP_V1, "pids", "pids.max", VAL_PIDS, 0 },
	{ CGROUP_V1, "cpu", "cpu.shares", VAL_SHARES, 0 },
};

int
cgroup_size_limits(const char *size, struct cgroup_limits *lim)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (size != NULL && strcmp(sizes[i].name, size) == 0) {
			*lim = sizes[i].lim;
			return 0;
		}
	return -EINVAL;
}

static ssize_t
read_at(int dirfd, const char *path, char *out, size_t outlen)
{
	ssize_t n;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -errno;
	n = read(fd, out, outlen - 1);
	if (n < 0)
		n = -errno;
	else
		out[n] = '\0';
	close(fd);
	return n;
}

static int
write_at(int dirfd, const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, rc = 0;

	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (fd == -1)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	return rc;
}

static int
has_words(const char *text, const char *const *words, size_t n)
{
	const char *p;
	size_t i, wl;

	for (i = 0; i < n; i++) {
		wl = strlen(words[i]);
		for (p = text; (p = strstr(p, words[i])) != NULL; p += wl)
			if ((p == text || p[-1] == ' ') &&
			    (p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0'))
				break;
		if (p == NULL)
			return 0;
	}
	return 1;
}

int
cgroup_detect(int rootfd, enum cgroup_version *v)
{
	char text[512];
	struct stat st;

	if (read_at(rootfd, "cgroup.controllers", text, sizeof(text)) >= 0 &&
	    has_words(text, v2_needed, 3)) {
		*v = CGROUP_V2;
		return 0;
	}
	if (fstatat(rootfd, "memory", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		*v = CGROUP_V1;
		return 0;
	}
	return -ENOENT;
}

static int
name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > CGROUP_ID_MAX || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return 1;
}

int
cgroup_init(struct cgroup *cg, int rootfd, const char *app, const char *id,
    struct perr *err)
{
	int n, rc;

	if (!name_ok(app) || !name_ok(id))
		return perr_set(err, -EINVAL, "invalid cgroup name '%.64s/%.64s'",
		    app, id);
	cg->rootfd = rootfd;
	if ((rc = cgroup_detect(rootfd, &cg->version)) < 0)
		return perr_set(err, rc, "no usable cgroup hierarchy "
		    "(v2 with memory, pids, cpu, or v1 memory)");
	n = snprintf(cg->path, sizeof(cg->path), "paas/%s/%s", app, id);
	if (n < 0 || (size_t)n >= sizeof(cg->path))
		return perr_set(err, -ENAMETOOLONG, "cgroup path too long");
	return 0;
}

/* file of cg under controller ctrl (v1) or the unified root (ctrl NULL) */
static int
cg_file(const char *ctrl, const char *sub, const char *file, char *out,
    size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s%s%s%s%s", ctrl ? ctrl : "",
	    ctrl ? "/" : "", sub, *file ? "/" : "", file);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir every component of cg->path (under ctrl); existing ones are fine */
static int
mkdirs(const struct cgroup *cg, const char *ctrl, int enable)
{
	char path[CGROUP_PATH_MAX + 64], sc[CGROUP_PATH_MAX + 96];
	char *p;
	int rc;

	if ((rc = cg_file(ctrl, cg->path, "", path, sizeof(path))) < 0)
		return rc;
	p = path + (ctrl ? strlen(ctrl) + 1 : 0);
	for (;;) {
		p = strchr(p, '/');
		if (p != NULL)
			*p = '\0';
		if (enable) {
			/* the parent of this component must delegate */
			snprintf(sc, sizeof(sc), "%.*scgroup.subtree_control",
			    (int)(strrchr(path, '/') ?
			    strrchr(path, '/') - path + 1 : 0), path);
			if ((rc = write_at(cg->rootfd, sc,
			    "+memory +pids +cpu")) < 0)
				return rc;
		}
		if (mkdirat(cg->rootfd, path, 0755) == -1 && errno != EEXIST)
			return -errno;
		if (p == NULL)
			return 0;
		*p++ = '/';
	}
}

static int
limit_value(const struct limit_row *r, const struct cgroup_limits *lim,
    char *out, size_t outlen)
{
	unsigned long long v = 0;

	switch (r->value) {
	case VAL_MEM:
		v = lim->memory_bytes;
		break;
	case VAL_ZERO:
		v = 0;
		break;
	case VAL_ONE:
		v = 1;
		break;
	case VAL_PIDS:
		v = lim->pids;
		break;
	case VAL_WEIGHT:
		v = 100ULL * lim->cpu_weight;
		break;
	case VAL_SHARES:
		v = 1024ULL * lim->cpu_weight;
		break;
	}
	return snprintf(out, outlen, "%llu", v) < (int)outlen ? 0 : -EINVAL;
}

static int
write_limits(const struct cgroup *cg, const struct cgroup_limits *lim,
    struct perr *err)
{
	const struct limit_row *r;
	char path[CGROUP_PATH_MAX + 96], val[32], *slash;
	struct stat st;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(limit_rows) / sizeof(limit_rows[0]); i++) {
		r = &limit_rows[i];
		if (r->version != cg->version)
			continue;
		if (r->probe) {
			if ((rc = cg_file(r->ctrl, cg->path, "", path,
			    sizeof(path))) < 0)
				return perr_set(err, rc, "cgroup path too long");
			slash = strrchr(path, '/');
			snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path),
			    "%s", r->file);
			if (fstatat(cg->rootfd, path, &st, 0) == -1)
				continue;
		}
		if ((rc = cg_file(r->ctrl, cg->path, r->file, path,
		    sizeof(path))) < 0 ||
		    (rc = limit_value(r, lim, val, sizeof(val))) < 0 ||
		    (rc = write_at(cg->rootfd, path, val)) < 0)
			return perr_set(err, rc, "write cgroup '%s' = %s: %s",
			    path, val, strerror(-rc));
	}
	return 0;
}

int
cgroup_create(const struct cgroup *cg, const struct cgroup_limits *lim,
    struct perr *err)
{
	size_t i, n = cg->version == CGROUP_V1 ? NV1 : 1;
	int rc = 0;

	if (lim->memory_bytes == 0 || lim->pids == 0 || lim->cpu_weight == 0 ||
	    lim->cpu_weight > 100)
		return perr_set(err, -EINVAL, "invalid cgroup limits");
	for (i = 0; i < n; i++) {
		rc = mkdirs(cg, cg->version == CGROUP_V1 ? v1_ctrls[i] : NULL,
		    cg->version == CGROUP_V2);
		if (rc < 0) {
			perr_set(err, rc, "create cgroup '%s': %s", cg->path,
			    strerror(-rc));
			goto out;
		}
	}
	rc = write_limits(cg, lim, err);
out:
	if (rc < 0)
		(void)cgroup_remove(cg, NULL);
	return rc;
}

int
cgroup_attach(const struct cgroup *cg, pid_t pid, struct perr *err)
{
	char path[CGROUP_PATH_MAX + 96], val[24];
	size_t i, n = cg->version == CGROUP_V1 ? NV1 : 1;
	int rc;

	snprintf(val, sizeof(val), "%ld", (long)pid);
	for (i = 0; i < n; i++) {
		if ((rc = cg_file(cg->version == CGROUP_V1 ? v1_ctrls[i] :
		    NULL, cg->path, "cgroup.procs", path, sizeof(path))) < 0 ||
		    (rc = write_at(cg->rootfd, path, val)) < 0)
			return perr_set(err, rc, "move pid %ld into cgroup "
			    "'%s': %s", (long)pid, path, strerror(-rc));
	}
	return 0;
}

int
cgroup_pids(const struct cgroup *cg, pid_t *pids, size_t max, size_t *n)
{
	char path[CGROUP_PATH_MAX + 96], text[16384], *p, *end;
	long v;
	ssize_t len;
	int rc;

	*n = 0;
	if ((rc = cg_file(cg->version == CGROUP_V1 ? v1_ctrls[0] : NULL,
	    cg->path, "cgroup.procs", path, sizeof(path))) < 0)
		return rc;
	if ((len = read_at(cg->rootfd, path, text, sizeof(text))) < 0)
		return (int)len;
	for (p = text; *p != '\0' && *n < max; p = end) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno != 0 || v <= 0)
			break;
		pids[(*n)++] = (pid_t)v;
		while (*end == '\n')
			end++;
	}
	return 0;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
kill_listed(const struct cgroup *cg)
{
	pid_t pids[4096];
	size_t i, n;
	int rc;

	if ((rc = cgroup_pids(cg, pids, sizeof(pids) / sizeof(pids[0]),
	    &n)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		(void)kill(pids[i], SIGKILL);
	return 0;
}

/*
 * v1 has no cgroup.kill: freeze first so nothing forks between reading
 * the pid list and the kills, then thaw so the SIGKILLs are delivered.
 */
static int
kill_v1(const struct cgroup *cg)
{
	char path[CGROUP_PATH_MAX + 96], state[32];
	int i, rc;

	if ((rc = cg_file("freezer", cg->path, "freezer.state", path,
	    sizeof(path))) < 0)
		return rc;
	if ((rc = write_at(cg->rootfd, path, "FROZEN")) < 0)
		return rc;
	for (i = 0; i < 200; i++) {
		if (read_at(cg->rootfd, path, state, sizeof(state)) < 0 ||
		    strncmp(state, "FROZEN", 6) == 0)
			break;
		nap_ms(5);
	}
	rc = kill_listed(cg);
	(void)write_at(cg->rootfd, path, "THAWED");
	return rc;
}

int
cgroup_kill(const struct cgroup *cg, struct perr *err)
{
	char path[CGROUP_PATH_MAX + 96];
	int rc;

	if (cg->version == CGROUP_V1)
		rc = kill_v1(cg);
	else if ((rc = cg_file(NULL, cg->path, "cgroup.kill", path,
	    sizeof(path))) == 0 && (rc = write_at(cg->rootfd, path, "1")) < 0)
		rc = kill_listed(cg);
	if (rc < 0)
		return perr_set(err, rc, "kill cgroup '%s': %s", cg->path,
		    strerror(-rc));
	return 0;
}

static int
rmdir_retry(int dirfd, const char *path)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (unlinkat(dirfd, path, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nap_ms(10);
	}
	return -EBUSY;
}

int
cgroup_remove(const struct cgroup *cg, struct perr *err)
{
	char path[CGROUP_PATH_MAX + 96];
	size_t i, n = cg->version == CGROUP_V1 ? NV1 : 1;
	const char *ctrl;
	int rc, first = 0;

	for (i = 0; i < n; i++) {
		ctrl = cg->version == CGROUP_V1 ? v1_ctrls[i] : NULL;
		if ((rc = cg_file(ctrl, cg->path, "", path,
		    sizeof(path))) < 0 || (rc = rmdir_retry(cg->rootfd,
		    path)) < 0) {
			if (first == 0)
				first = perr_set(err, rc, "remove cgroup "
				    "'%s': %s", path, strerror(-rc));
			continue;
		}
		*strrchr(path, '/') = '\0';
		(void)unlinkat(cg->rootfd, path, AT_REMOVEDIR);
	}
	return first;
}

int
cgroup_parse_key(const char *text, size_t len, const char *key,
    uint64_t *out)
{
	size_t kl = strlen(key), i = 0, j;

	while (i < len) {
		for (j = i; j < len && text[j] != '\n'; j++)
			;
		if (j - i > kl && memcmp(text + i, key, kl) == 0 &&
		    text[i + kl] == ' ')
			return parse_u64(text + i + kl + 1, j - i - kl - 1, 0,
			    UINT64_MAX, out);
		i = j + 1;
	}
	return -ENOENT;
}

int
cgroup_oom(const struct cgroup *cg, int *oom)
{
	char path[CGROUP_PATH_MAX + 96], text[4096];
	uint64_t v = 0;
	ssize_t n;
	int rc;

	*oom = 0;
	if (cg->version == CGROUP_V2) {
		if ((rc = cg_file(NULL, cg->path, "memory.events", path,
		    sizeof(path))) < 0)
			return rc;
		if ((n = read_at(cg->rootfd, path, text, sizeof(text))) < 0)
			return (int)n;
		rc = cgroup_parse_key(text, (size_t)n, "oom_kill", &v);
	} else {
		if ((rc = cg_file("memory", cg->path, "memory.oom_control",
		    path, sizeof(path))) < 0)
			return rc;
		if ((n = read_at(cg->rootfd, path, text, sizeof(text))) < 0)
			return (int)n;
		rc = cgroup_parse_key(text, (size_t)n, "oom_kill", &v);
		if (rc == -ENOENT) {
			cg_file("memory", cg->path, "memory.failcnt", path,
			    sizeof(path));
			if ((n = read_at(cg->rootfd, path, text,
			    sizeof(text))) < 0)
				return (int)n;
			while (n > 0 && text[n - 1] == '\n')
				n--;
			rc = parse_u64(text, (size_t)n, 0, UINT64_MAX, &v);
		}
	}
	if (rc == 0)
		*oom = v > 0;
	return rc;
}
