#!/usr/bin/env bash
# Zero downtime under load: wrk keeps a steady keep-alive load on an app
# through paas-router while the app is deployed three times, scaled up
# and down, restarted and rolled back. Prints wrk's totals; the claim is
# "0 non-2xx responses and 0 socket errors". The anchor is the same wrk
# load on the same app with nothing happening, in the same run.
# Needs root. Usage: [BACKEND=static|python] bench/zero-downtime.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
STEADY=${1:-10}
. bench/paasd.sh
HTTP=$(port)
bench_paasd zd --http-port "$HTTP"
paas() { "$BIN/paas" "$@" -a zdt >/dev/null; }
"$BIN/paas" apps:create zdt >/dev/null
mkdir "$D/src"
cd "$D/src"
git init -q -b main
# BACKEND=static (default): no Procfile, the static buildpack and its C
# file server; BACKEND=python: python3 -m http.server (HTTP/1.0, one
# connection per request, a listen backlog of 5: slow, wrk times out)
if [ "${BACKEND:-static}" = python ]; then
	printf 'web: python3 -m http.server $PORT\n' > Procfile
fi
echo v0 > index.html
commit() { git add -A && git -c user.email=b@b -c user.name=b commit -qm "$1"; }
push() { git push -q "http://paas:$TOKEN@127.0.0.1:$API/zdt.git" main > "$D/push.out" 2>&1 || { cat "$D/push.out" >&2; return 1; }; }
commit v0 && push
paas ps:scale web=2
for _ in $(seq 100); do
	[ "$(curl -s -H 'Host: zdt.localhost' "http://127.0.0.1:$HTTP/")" = v0 ] && break
	sleep 0.1
done

load() { # $1 seconds, $2 output
	wrk -t2 -c20 -d"$1"s -H 'Host: zdt.localhost' "http://127.0.0.1:$HTTP/" > "$2" 2>&1
}
summary() { # $1 wrk output
	local req non2xx sock
	req=$(awk '/requests in/ {print $1}' "$1")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$1"); non2xx=${non2xx:-0}
	sock=$(awk '/Socket errors/ {print}' "$1"); sock=${sock:-none}
	printf '%-10s requests=%s req/s=%s non-2xx=%s socket-errors=%s\n' \
	    "$2" "$req" "$(awk '/Requests\/sec/ {print $2}' "$1")" "$non2xx" "$sock"
}

load "$STEADY" "$D/steady"
summary "$D/steady" steady

start=$(date +%s)
load 60 "$D/churn" &
WRK=$!
BENCH_PIDS+=("$WRK")
sleep 2
for i in 1 2 3; do echo "v$i" > index.html && commit "v$i" && push; sleep 1; done
paas ps:scale web=4; sleep 3
paas ps:scale web=1; sleep 3
paas ps:restart web; sleep 3
paas rollback; sleep 2
paas ps:scale web=2; sleep 3
kill -INT "$WRK" 2>/dev/null || true
wait "$WRK" 2>/dev/null || true
WRK=
echo "churn: 3 deploys, scale 2->4->1->2, restart, rollback in $(( $(date +%s) - start )) s"
summary "$D/churn" churn
# failures: non-2xx answers and connect/read/write errors; wrk's
# "timeout" counts answers slower than 2 s (a slow backend), shown above
n=$(awk '/Non-2xx/ {print $NF}' "$D/churn"); n=${n:-0}
e=$(awk -F'[ ,]+' '/Socket errors/ {print $5 + $7 + $9}' "$D/churn")
n=$((n + ${e:-0}))
"$BIN/paas" releases -a zdt | head -3
# the router's error lines, by code (1500 lines of history per app)
grep -ho 'at=error code=[A-Z0-9]* desc="[^"]*"' "$D"/data/logs/zdt/* 2>/dev/null |
    sort | uniq -c || true
[ "$n" = 0 ] && echo "zero-downtime: OK" || { echo "zero-downtime: FAILED"; exit 1; }
