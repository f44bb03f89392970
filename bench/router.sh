#!/bin/bash
# bench/router.sh: paas-router against nginx and HAProxy in front of one
# fast backend, the same wrk loads, alternating A B C, RUNS runs each;
# prints medians and ratios against nginx. The proxy under test is
# pinned to CPU 0, wrk and the backend to CPU 1; CPU time per request is
# the proxy's utime+stime over the run divided by the requests done.
#
#   PAAS_BIN=bin bench/router.sh          (make bench-router installs
#   RUNS=3 DURATION=10 bench/router.sh     wrk, nginx and haproxy)
set -euo pipefail

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
LOADS=${LOADS:-ka50 ka200 close50}
# ACCEPT=0 skips the reuseport/handoff comparison (ALOADS: its loads)
# relay: bench/relay.c, a bare epoll byte relay with no HTTP parsing:
# the floor a proxy's CPU per request can approach; uring: the same relay
# on io_uring (bench/relay_uring.c, multishot recv into provided buffers;
# URING_SEND=1 also sends through the ring): does batching the socket
# calls lower that floor?
PROXIES=${PROXIES:-router nginx haproxy relay uring}
BIN=${PAAS_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
HOST=bench.test
for t in wrk nginx haproxy taskset; do
	command -v $t >/dev/null || { echo "bench: $t missing" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/paas-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)); }
# four ports on the one backend: four instances, so that 200 connections
# stay under the router's in-flight cap (50 per instance, then H11)
BACK=$(port); BACK2=$(port); BACK3=$(port); BACK4=$(port)
ROUTER=$(port); NGINX=$(port); HAPROXY=$(port); RELAY=$(port); URING=$(port)

# the backend: nginx answering from memory, on the wrk core
mkdir -p "$DIR/back" "$DIR/ngx"
cat > "$DIR/back/nginx.conf" <<EOC
daemon off; worker_processes 1; pid $DIR/back/pid; error_log $DIR/back/err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BACK reuseport backlog=4096;
    listen 127.0.0.1:$BACK2; listen 127.0.0.1:$BACK3; listen 127.0.0.1:$BACK4;
    location / { return 200 "hello from the backend\n"; } } }
EOC
taskset -c 1 nginx -c "$DIR/back/nginx.conf" -p "$DIR/back" &
PIDS+=($!)

cat > "$DIR/routes.json" <<EOC
{"version":1,"apps":{"bench":{"domains":["$HOST"],"instances":[
 {"dyno":"web.1","address":"127.0.0.1:$BACK"},
 {"dyno":"web.2","address":"127.0.0.1:$BACK2"},
 {"dyno":"web.3","address":"127.0.0.1:$BACK3"},
 {"dyno":"web.4","address":"127.0.0.1:$BACK4"}]}}}
EOC
cat > "$DIR/ngx/nginx.conf" <<EOC
daemon off; worker_processes 1; pid $DIR/ngx/pid; error_log $DIR/ngx/err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$BACK; server 127.0.0.1:$BACK2;
    server 127.0.0.1:$BACK3; server 127.0.0.1:$BACK4; keepalive 64; }
  server { listen 127.0.0.1:$NGINX reuseport backlog=4096; server_name $HOST;
    location / { proxy_pass http://app; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; } } }
EOC
cat > "$DIR/haproxy.cfg" <<EOC
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend fe
  bind 127.0.0.1:$HAPROXY
  acl is_app hdr(host) -i $HOST
  use_backend app if is_app
backend app
  http-reuse always
  server s1 127.0.0.1:$BACK
  server s2 127.0.0.1:$BACK2
  server s3 127.0.0.1:$BACK3
  server s4 127.0.0.1:$BACK4
EOC

taskset -c 0 "$BIN/paas-router" --listen 127.0.0.1:$ROUTER --routes \
    "$DIR/routes.json" --workers 1 2>"$DIR/router.err" &
PIDS+=($!); RPID=$!
taskset -c 0 nginx -c "$DIR/ngx/nginx.conf" -p "$DIR/ngx" &
PIDS+=($!); NPID=$!
taskset -c 0 haproxy -f "$DIR/haproxy.cfg" -db 2>"$DIR/haproxy.err" &
PIDS+=($!); HPID=$!
cc -O2 -o "$DIR/relay" "$(dirname "$0")/relay.c"
taskset -c 0 "$DIR/relay" $RELAY $BACK $BACK2 $BACK3 $BACK4 &
PIDS+=($!); LPID=$!
case " $PROXIES " in *" uring "*)
	cc -O2 -o "$DIR/relay_uring" "$(dirname "$0")/relay_uring.c" -luring
	taskset -c 0 "$DIR/relay_uring" $URING $BACK $BACK2 $BACK3 $BACK4 &
	PIDS+=($!); UPID=$! ;;
esac
sleep 1

# all pids of a proxy (nginx: master and worker)
procs() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
cpu_ticks() {
	local t=0 p
	for p in $(procs "$1"); do
		t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0)))
	done
	echo $t
}
rss_kb() {
	local t=0 p
	for p in $(procs "$1"); do
		t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0)))
	done
	echo $t
}
to_us() {	# wrk latency "123.45us" / "1.20ms" / "2.00s" -> microseconds
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n;
	    else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'
}

HZ=$(getconf CLK_TCK)
RESULTS="$DIR/results"
: > "$RESULTS"
run() {	# name pid port load
	local name=$1 pid=$2 p=$3 load=$4 c=50 extra=() out c0 c1 req rps p50 p99
	case $load in
	ka50) c=50 ;;
	ka200) c=200 ;;
	close50) c=50; extra=(-H "Connection: close") ;;
	esac
	c0=$(cpu_ticks "$pid")
	out=$(taskset -c 1 wrk -t1 -c$c -d${DURATION}s --latency \
	    -H "Host: $HOST" "${extra[@]}" "http://127.0.0.1:$p/")
	c1=$(cpu_ticks "$pid")
	req=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(to_us "$(echo "$out" | awk '$1 == "50%" {print $2}')")
	p99=$(to_us "$(echo "$out" | awk '$1 == "99%" {print $2}')")
	if echo "$out" | grep -q "Non-2xx"; then
		echo "bench: $name $load had non-2xx responses" >&2
	fi
	echo "$name $load $rps $p50 $p99 $(awk -v d=$((c1 - c0)) -v r="$req" \
	    -v hz="$HZ" 'BEGIN { printf "%.2f", d / hz / r * 1e6 }') \
	    $(rss_kb "$pid")" >> "$RESULTS"
}

for load in $LOADS; do
	for i in $(seq "$RUNS"); do
		for px in $PROXIES; do
			case $px in
			router) run router "$RPID" "$ROUTER" "$load" ;;
			nginx) run nginx "$NPID" "$NGINX" "$load" ;;
			haproxy) run haproxy "$HPID" "$HAPROXY" "$load" ;;
			relay) run relay "$LPID" "$RELAY" "$load" ;;
			uring) run uring "$UPID" "$URING" "$load" ;;
			esac
		done
	done
done

# table FILE "LOADS" "PROXIES" BASE: medians, ratios against BASE
table() {
awk -v LOADS="$2" -v PXS="$3" -v BASE="$4" '
function median(key, n,   i, j, t, a) {
	n = cnt[key]
	if (n == 0)
		return 0
	for (i = 1; i <= n; i++) a[i] = v[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	for (f = 3; f <= 7; f++) {
		k = $1 SUBSEP $2 SUBSEP f
		cnt[k]++; v[k, cnt[k]] = $f
	}
	seen[$2] = 1
}
END {
	B = BASE == "nginx" ? "ngx" : substr(BASE, 1, 3)
	printf "%-8s %-9s %10s %8s %8s %9s %9s %8s %7s %7s\n", "load", "proxy",
	    "req/s", "p50 us", "p99 us", "CPU us/r", "RSS kB", "rps/" B,
	    "cpu/" B, "p99/" B
	nl = split(LOADS, loads, " ")
	np = split(PXS, px, " ")
	for (l = 1; l <= nl; l++) for (p = 1; p <= np; p++) {
		L = loads[l]; P = px[p]
		rps = median(P SUBSEP L SUBSEP 3); nr = median(BASE SUBSEP L SUBSEP 3)
		p50 = median(P SUBSEP L SUBSEP 4); p99 = median(P SUBSEP L SUBSEP 5)
		np99 = median(BASE SUBSEP L SUBSEP 5)
		cpu = median(P SUBSEP L SUBSEP 6); nc = median(BASE SUBSEP L SUBSEP 6)
		rss = median(P SUBSEP L SUBSEP 7)
		if (nr == 0 || nc == 0 || np99 == 0)
			nr = nc = np99 = -1
		printf "%-8s %-9s %10.0f %8.0f %8.0f %9.2f %9d %8.2f %7.2f %7.2f\n",
		    L, P, rps, p50, p99, cpu, rss, rps / nr, cpu / nc, p99 / np99
	}
}' "$1"
}

table "$RESULTS" "$LOADS" "$PROXIES" nginx
case " $PROXIES " in *" relay "*)
	echo
	echo "against the floor (a bare TCP relay):"
	table "$RESULTS" "$LOADS" "$PROXIES" relay ;;
esac

# Accepting: SO_REUSEPORT (a listening socket per worker) against one
# accept loop handing sockets over, 2 workers, the router unpinned.
[ -n "${ACCEPT:-1}" ] && [ "${ACCEPT:-1}" != 0 ] || exit 0
RP2=$(port); HO2=$(port)
"$BIN/paas-router" --listen 127.0.0.1:$RP2 --routes "$DIR/routes.json" \
    --workers 2 --accept reuseport 2>>"$DIR/router.err" &
PIDS+=($!); RP2PID=$!
"$BIN/paas-router" --listen 127.0.0.1:$HO2 --routes "$DIR/routes.json" \
    --workers 2 --accept handoff 2>>"$DIR/router.err" &
PIDS+=($!); HO2PID=$!
sleep 1
RESULTS="$DIR/results-accept"
: > "$RESULTS"
ALOADS=${ALOADS:-ka50 close50}
for load in $ALOADS; do
	for i in $(seq "$RUNS"); do
		run reuseport "$RP2PID" "$RP2" "$load"
		run handoff "$HO2PID" "$HO2" "$load"
	done
done
echo
echo "2 workers, unpinned: --accept reuseport vs handoff"
table "$RESULTS" "$ALOADS" "reuseport handoff" reuseport
