#!/bin/sh
# Container start time and per-instance memory: paas (lib/container +
# paas-shim) beside bwrap and crun when installed (apt-get install
# bubblewrap crun). Run as root from the repository after `make`:
#
#	bench/start.sh [RUNS] [INSTANCES]	(defaults 200 and 20)
#
# Start: RUNS times /bin/true, timed from fork to reaped, same harness
# for all three; for paas also "created -> exec'd" (container_start()
# returning), without and with its own user namespace (CONTAINER_USERNS). All with the host's /usr read-only, new mount/pid/ipc/uts
# namespaces; paas and crun also a cgroup with limits (crun: memory and
# pids; paas: the "basic" size) and a seccomp filter.
# Memory: INSTANCES containers running `sleep`, PSS of what the platform
# adds (paas: shim + paas-init; bwrap: its two processes) from
# /proc/PID/smaps_rollup, and the whole-system MemAvailable delta per
# instance (includes the sleeps, the same for both).
set -eu

RUNS=${1:-200}
INST=${2:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC/bin
W=$(mktemp -d /tmp/paas-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for d in "$W"/inst/*; do
		[ -f "$d/shim.pid" ] && kill -9 "$(cat "$d/shim.pid")" 2>/dev/null || true
	done
	crun delete -f paas-bench >/dev/null 2>&1 || true
	runc delete -f paas-bench >/dev/null 2>&1 || true
	# Every hierarchy runc/crun may have joined (v1 controllers plus the
	# named systemd and unified ones), and the v2 root itself.
	for c in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		rmdir "$c"paas-bench/oci "$c"paas-bench \
		    "$c"paas/bench/b1 "$c"paas/bench \
		    2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "bench/start.sh: run as root" >&2; exit 1; }
[ -x "$BIN/paas-shim" ] && [ -x "$BIN/paas-init" ] || { echo "run make first" >&2; exit 1; }

# ---- the timing helper: "exec N CMD..." or "paas N INIT DIR"
cat > "$W/startbench.c" <<'CEOF'
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "container.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	double sum = 0;
	int i;

	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("%-28s median %7.2f ms  mean %7.2f ms  p90 %7.2f ms\n", what,
	    v[n / 2] / 1000, sum / n / 1000, v[n * 9 / 10] / 1000);
}

static int
run_exec(int n, char **argv)
{
	double *t = calloc(n, sizeof(*t)), t0;
	int i, st;
	pid_t p;

	for (i = 0; i < n; i++) {
		t0 = now_us();
		if ((p = fork()) == 0) {
			int fd = open("/dev/null", O_RDWR);
			dup2(fd, 1);
			dup2(fd, 2);
			execvp(argv[0], argv);
			_exit(127);
		}
		waitpid(p, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "%s failed\n", argv[0]);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	report(argv[0], t, n);
	return 0;
}

static int
run_paas(int n, const char *init, const char *dir, unsigned flags)
{
	char root[512], upper[512], work[512], layer[512], etc[512], cmd[1200];
	char *argv[] = { "/bin/true", NULL }, *envp[] = { "PATH=/usr/bin:/bin", NULL };
	double *start = calloc(n, sizeof(*start)), *full = calloc(n, sizeof(*full));
	struct cgroup_limits lim;
	struct container_req req;
	struct perr err = PERR_INIT;
	struct cgroup cg;
	double t0;
	int i, st, cgfd = open("/sys/fs/cgroup", O_DIRECTORY);
	pid_t pid;

	snprintf(layer, sizeof(layer), "%s/layer", dir);
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	mkdir(layer, 0755);
	if (container_etc_write(etc, 10999, 10999, "bench", &err) != 0 ||
	    cgroup_size_limits("basic", &lim) != 0 ||
	    cgroup_init(&cg, cgfd, "bench", "b1", &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(root, sizeof(root), "%s/r%d", dir, i);
		snprintf(upper, sizeof(upper), "%s/u%d", dir, i);
		snprintf(work, sizeof(work), "%s/w%d", dir, i);
		t0 = now_us();
		mkdir(root, 0755);
		mkdir(upper, 0755);
		mkdir(work, 0755);
		if (cgroup_create(&cg, &lim, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		container_req_init(&req);
		req.rootdir = root;
		req.layers[0] = layer;
		req.nlayers = 1;
		req.upper = upper;
		req.work = work;
		req.etc = etc;
		req.init = init;
		req.hostname = "bench";
		req.uid = req.gid = 10999;
		req.argv = argv;
		req.envp = envp;
		req.cwd = "/";
		req.cgroup = &cg;
		req.flags = CONTAINER_HOST_STACK | flags;
		if (container_start(&req, &pid, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		start[i] = now_us() - t0;
		waitpid(pid, &st, 0);
		cgroup_remove(&cg, NULL);
		/* upper and work hold only overlay metadata */
		rmdir(root);
		snprintf(cmd, sizeof(cmd), "%s/work", work);
		rmdir(cmd);
		rmdir(work);
		rmdir(upper);
		full[i] = now_us() - t0;
	}
	report(flags ? "paas+userns created->exec'd" : "paas created->exec'd",
	    start, n);
	report(flags ? "paas+userns full cycle" : "paas full cycle", full, n);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "exec") == 0)
		return run_exec(atoi(argv[2]), argv + 3);
	if (argc == 5 && strcmp(argv[1], "paas") == 0)
		return run_paas(atoi(argv[2]), argv[3], argv[4], 0);
	if (argc == 6 && strcmp(argv[1], "paas") == 0 &&
	    strcmp(argv[5], "userns") == 0)
		return run_paas(atoi(argv[2]), argv[3], argv[4],
		    CONTAINER_USERNS);
	return 2;
}
CEOF
cc -O2 -D_GNU_SOURCE -I"$SRC/lib" -o "$W/startbench" "$W/startbench.c" \
    "$SRC/build/libpaas.a" -lseccomp

echo "== start ($RUNS runs of /bin/true; $(nproc) cores, $(uname -r))"
mkdir -p "$W/p" "$W/pu"
"$W/startbench" paas "$RUNS" "$BIN/paas-init" "$W/p"
"$W/startbench" paas "$RUNS" "$BIN/paas-init" "$W/pu" userns || \
    echo "paas+userns: the kernel refuses user namespaces here"

BWRAP="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr \
    --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
    --symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp"
if command -v bwrap >/dev/null; then
	"$W/startbench" exec "$RUNS" $BWRAP /bin/true
else
	echo "bwrap: not installed"
fi

# crun and runc from one OCI bundle (crun refuses hybrid v1/v2 hosts)
mkdir -p "$W/oci/rootfs/usr" "$W/oci/rootfs/proc" "$W/oci/rootfs/dev" \
    "$W/oci/rootfs/sys" "$W/oci/rootfs/tmp"
for l in bin lib lib64 sbin; do ln -s "usr/$l" "$W/oci/rootfs/$l"; done
if command -v crun >/dev/null; then (cd "$W/oci" && crun spec); \
elif command -v runc >/dev/null; then (cd "$W/oci" && runc spec); fi
if [ -f "$W/oci/config.json" ]; then
	python3 - "$W/oci/config.json" <<'PEOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                    "options": ["rbind", "ro"]})
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
c["linux"]["resources"]["memory"] = {"limit": 536870912}
c["linux"]["resources"]["pids"] = {"limit": 256}
c["linux"]["cgroupsPath"] = "/paas-bench/oci"
json.dump(c, open(p, "w"))
PEOF
fi
for rt in crun runc; do
	if ! command -v $rt >/dev/null; then
		echo "$rt: not installed"
		continue
	fi
	(cd "$W/oci" && "$W/startbench" exec "$RUNS" $rt run paas-bench) || \
	    echo "$rt: cannot run here (crun: no hybrid cgroup v1/v2 support)"
done

# ---- memory: INST instances of `sleep 600`
pss() {	# sum of Pss (kB) of the given pids
	t=0
	for p in "$@"; do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
avail() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }

echo "== memory ($INST instances of sleep)"
mkdir -p "$W/inst" "$W/layer/app" "$W/logs"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
before=$(avail)
i=0
while [ $i -lt "$INST" ]; do
	d="$W/inst/$i"
	mkdir -p "$d"
	cat > "$W/req$i.json" <<JEOF
{"id":"bench-$i","app":"bench","dyno":"web.$((i+1))","dir":"$d","log":"$W/logs/app.log",
 "init":"$BIN/paas-init","size":"basic","uid":10999,"gid":10999,"layers":["$W/layer"],
 "argv":["/bin/sleep","600"],"env":["PATH=/usr/bin:/bin"],"grace_s":1}
JEOF
	"$BIN/paas-shim" "$W/req$i.json"
	i=$((i + 1))
done
sleep 1
after=$(avail)
shims=""; inits=""
for d in "$W"/inst/*; do
	s=$(cat "$d/shim.pid"); shims="$shims $s"
	inits="$inits $(sed 's/.*"pid":\([0-9]*\).*/\1/' "$d/state.json")"
done
# shellcheck disable=SC2086
ps_shim=$(pss $shims); ps_init=$(pss $inits)
echo "paas: PSS shim $((ps_shim / INST)) KiB + init $((ps_init / INST)) KiB" \
    "= $(((ps_shim + ps_init) / INST)) KiB per instance;" \
    "whole system $(((before - after) / INST)) KiB per instance"
for s in $shims; do kill "$s"; done
for d in "$W"/inst/*; do
	while [ -d "$d/upper" ]; do sleep 0.1; done
done

if command -v bwrap >/dev/null; then
	sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
	before=$(avail)
	i=0
	while [ $i -lt "$INST" ]; do
		$BWRAP /bin/sleep 600 &
		PIDS="$PIDS $!"
		i=$((i + 1))
	done
	sleep 1
	after=$(avail)
	bw=$(pgrep -x bwrap | tr '\n' ' ')
	# shellcheck disable=SC2086
	t=$(pss $bw)
	echo "bwrap: PSS $((t / INST)) KiB per instance (its 2 processes);" \
	    "whole system $(((before - after) / INST)) KiB per instance"
fi
