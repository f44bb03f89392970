# Sourced by the bench scripts that run the real paasd: free ports, a
# throwaway data dir, paasd started on it, and a cleanup on exit that
# ends paasd (it stops its apps), the other processes listed in
# BENCH_PIDS, and removes the dir.
#
#   . "$(dirname "$0")/paasd.sh"
#   bench_paasd NAME [PAASD ARGS...]   sets D, API, PD, TOKEN, PAAS_API
BIN=${BIN:-$PWD/bin}
BENCH_PIDS=()
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${PD:-}" ] && kill "$PD" 2>/dev/null && wait "$PD" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$D"
}
bench_paasd() {
	local name=$1
	shift
	D=$(mktemp -d "/tmp/paas-bench-$name-XXXXXX")
	chmod 755 "$D"	# builds run as the app's user below it
	trap bench_cleanup EXIT
	API=$(port)
	"$BIN/paasd" --data-dir "$D/data" --api "tcp:127.0.0.1:$API" "$@" \
	    2>"$D/paasd.log" &
	PD=$!
	for _ in $(seq 100); do [ -S "$D/data/paasd.sock" ] && break; sleep 0.05; done
	export PAAS_API="unix:$D/data/paasd.sock"
	TOKEN=$(cat "$D/data/admin-token")
}
