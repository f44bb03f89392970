#!/usr/bin/env bash
# `paas ps:scale web=N` of a small app through paasd: time until all N
# web dynos are up (accepting on $PORT), and the memory the platform adds
# per instance: PSS of each paas-shim and paas-init (smaps_rollup), and
# the whole-system MemAvailable delta over N instances minus the apps'
# own PSS. Needs root. Usage: bench/scale.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
. bench/paasd.sh
bench_paasd scale --no-router
"$BIN/paas" apps:create scaler >/dev/null 2>&1
mkdir "$D/app" && cd "$D/app"
# a small web process from the stack
echo 'web: python3 -m http.server $PORT' > Procfile
git init -q -b main && git add -A && git -c user.email=b@b -c user.name=b commit -qm app
git push -q "http://paas:$TOKEN@127.0.0.1:$API/scaler.git" main 2>/dev/null
cd - >/dev/null
up() { "$BIN/paas" ps -a scaler --json | grep -c '"state": "up"'; }
sleep 0.5
avail0=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
t0=$(date +%s.%N)
"$BIN/paas" ps:scale web=$N -a scaler >/dev/null 2>&1
until [ "$(up)" -ge "$N" ]; do sleep 0.02; done
t1=$(date +%s.%N)
sleep 1
avail1=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
shim=0; init=0; app=0; n=0
for dir in "$D"/data/instances/*/; do
	sp=$(cat "$dir/shim.pid")
	ip=$(python3 -c "import json; print(json.load(open('$dir/state.json'))['pid'])")
	iid=$(basename "$dir")
	# the app: every process of the instance's cgroup but init
	procs=$(cat /sys/fs/cgroup/pids/paas/scaler/"$iid"/cgroup.procs \
	    /sys/fs/cgroup/paas/scaler/"$iid"/cgroup.procs 2>/dev/null || true)
	for p in $procs; do [ "$p" = "$ip" ] || app=$((app + $(pss "$p"))); done
	shim=$((shim + $(pss "$sp"))); init=$((init + $(pss "$ip"))); n=$((n + 1))
done
python3 - "$t0" "$t1" "$N" "$n" "$shim" "$init" "$app" "$avail0" "$avail1" <<'PY'
import sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
N, n, shim, init, app, a0, a1 = map(int, sys.argv[3:10])
print("ps:scale web=%d: all up in %.0f ms (%.1f ms per instance)" % (N, (t1 - t0) * 1000, (t1 - t0) * 1000 / N))
print("per instance PSS: shim %.0f KiB + init %.0f KiB = %.0f KiB (app itself %.0f KiB)" % (shim / n, init / n, (shim + init) / n, app / n))
print("whole system: MemAvailable fell %.0f KiB per instance, %.0f KiB of it not the app's PSS" % ((a0 - a1) / n, (a0 - a1 - app) / n))
PY
