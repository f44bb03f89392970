#!/usr/bin/env bash
# API latency and daemon footprint, beside anchors measured in the same
# run: 1000 `paas config:set` calls (each a committed, fsynced release),
# the same PATCH over one keep-alive connection, a read-only GET (no
# fsync), a bare sqlite3 transaction with synchronous=FULL (the floor of
# a durable write here), and paasd's RSS idle and after the run.
# Usage: bench/api.sh [N]   (run `make` first; needs curl, sqlite3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BIN=$PWD/bin
D=$(mktemp -d /tmp/paas-bench-api-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT

"$BIN/paasd" --data-dir "$D/data" --api "tcp:127.0.0.1:$PORT" --http-port 7080 2>"$D/paasd.log" &
PID=$!
for _ in $(seq 100); do [ -S "$D/data/paasd.sock" ] && break; sleep 0.05; done
sleep 0.2
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
RSS_IDLE=$(rss)
export PAAS_API="unix:$D/data/paasd.sock"
"$BIN/paas" apps:create bench >/dev/null 2>&1

ms() { python3 -c "import sys; print('%.3f' % (float(sys.argv[1]) * 1000 / float(sys.argv[2])))" "$1" "$2"; }
now() { date +%s.%N; }

t0=$(now)
for i in $(seq "$N"); do "$BIN/paas" config:set "K$((i % 50))=v$i" -a bench >/dev/null 2>&1; done
t1=$(now)
CLI=$(ms "$(echo "$t1 - $t0" | bc)" "$N")

# the same writes, and reads, over one keep-alive connection
read -r PATCH GET < <(python3 - "$D/data/paasd.sock" "$N" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
n = int(sys.argv[2])
def req(method, path, body=b""):
    s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
              % (method, path, len(body), body))
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit("bad answer: %r" % head)
    size = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
            if l.lower().startswith(b"content-length")][0]
    while len(rest) < size:
        rest += s.recv(65536)
out = []
for method, body in ((b"PATCH", lambda i: b'{"K%d":"w%d"}' % (i % 50, i)),
                     (b"GET", lambda i: b"")):
    t = time.time()
    for i in range(n):
        req(method, b"/apps/bench/config-vars", body(i))
    out.append("%.3f" % ((time.time() - t) * 1000 / n))
print(" ".join(out))
PY
)

# floor: one durable sqlite transaction per write, same disk
{
	echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT);"
	for i in $(seq "$N"); do echo "BEGIN IMMEDIATE; INSERT OR REPLACE INTO t VALUES('K$((i % 50))','v$i'); COMMIT;"; done
} > "$D/floor.sql"
t0=$(now)
sqlite3 "$D/floor.db" < "$D/floor.sql" >/dev/null
t1=$(now)
FLOOR=$(ms "$(echo "$t1 - $t0" | bc)" "$N")
RSS_AFTER=$(rss)

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
printf '%-44s %10s %8s\n' "operation ($N each)" "ms/op" "x floor"
printf '%-44s %10s %8s\n' "sqlite3 durable txn (floor)" "$FLOOR" "1.00"
printf '%-44s %10s %8s\n' "GET config-vars, keep-alive (no write)" "$GET" "$(ratio "$GET" "$FLOOR")"
printf '%-44s %10s %8s\n' "PATCH config-vars, keep-alive (release)" "$PATCH" "$(ratio "$PATCH" "$FLOOR")"
printf '%-44s %10s %8s\n' "paas config:set (new process each)" "$CLI" "$(ratio "$CLI" "$FLOOR")"
echo "paasd RSS: idle ${RSS_IDLE} KiB, after the run ${RSS_AFTER} KiB"
