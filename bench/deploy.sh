#!/usr/bin/env bash
# Deploy time: `git push` to the new release serving, for a Procfile-only
# app and a Node app with one npm dependency (express), with the
# breakdown from paasd's own log (receive, build = checkout + buildpacks
# + image, boot + switch), beside the floor: a plain `git push` of the same
# repository to a bare repo over smart HTTP (git http-backend behind
# python's CGI server) in the same run. Needs root, npm registry access
# for the node case. Usage: bench/deploy.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. bench/paasd.sh
HTTP=$(port); CGI=$(port)
bench_paasd deploy --http-port "$HTTP"

# the floor: git http-backend for plain bare repos
mkdir -p "$D/cgi/cgi-bin" "$D/bare"
cat > "$D/cgi/cgi-bin/git" <<CGI
#!/bin/sh
export GIT_PROJECT_ROOT=$D/bare GIT_HTTP_EXPORT_ALL=1 REMOTE_USER=bench
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
export HOME=/tmp
exec git http-backend
CGI
chmod +x "$D/cgi/cgi-bin/git"
(cd "$D/cgi" && exec python3 -m http.server --cgi --bind 127.0.0.1 "$CGI" >/dev/null 2>&1) &
BENCH_PIDS+=($!)
sleep 0.5

now() { date +%s.%N; }
ms() { python3 -c "import sys; print(int((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" "$1" "$2"; }
logts() { # epoch seconds of the last paasd log line matching $1
	grep "$1" "$D/paasd.log" | tail -1 | cut -c1-23 | python3 -c \
	    "import sys,datetime; print(datetime.datetime.strptime(sys.stdin.read().strip(), '%Y-%m-%dT%H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp())"
}

make_app() { # $1 kind, $2 dir
	mkdir -p "$2"
	case $1 in
	procfile)
		printf 'web: python3 -m http.server $PORT\n' > "$2/Procfile"
		echo hello > "$2/hello.txt" ;;
	node)
		cp -r examples/node/. "$2/" ;;
	esac
	(cd "$2" && git init -q -b main && git add -A &&
	    git -c user.email=b@b -c user.name=b commit -qm v0)
}

bench() { # $1 kind
	local kind=$1 app="b-$1" i t0 t1 total floor
	"$BIN/paas" apps:create "$app" >/dev/null 2>&1
	make_app "$kind" "$D/src-$kind"
	git init -q --bare "$D/bare/$kind.git"
	git -C "$D/bare/$kind.git" config http.receivepack true
	# python's CGI server runs scripts as nobody when started as root
	chmod 755 "$D" && chmod -R a+rwX "$D/bare" "$D/cgi"
	for i in $(seq "$RUNS"); do
		(cd "$D/src-$kind" && echo "$i" > run.txt && git add -A &&
		    git -c user.email=b@b -c user.name=b commit -qm "run $i")
		t0=$(now)
		(cd "$D/src-$kind" && git push -q -f "http://127.0.0.1:$CGI/cgi-bin/git/$kind.git" main)
		t1=$(now)
		floor=$(ms "$t0" "$t1")
		t0=$(now)
		(cd "$D/src-$kind" && git push -q "http://paas:$TOKEN@127.0.0.1:$API/$app.git" main >/dev/null 2>&1)
		# the push returns once the new release serves; check through the router
		if [ "$kind" = procfile ]; then
			until curl -sf -H "Host: $app.localhost" "http://127.0.0.1:$HTTP/run.txt" 2>/dev/null | grep -qx "$i"; do sleep 0.01; done
		else
			until curl -sf -o /dev/null -H "Host: $app.localhost" "http://127.0.0.1:$HTTP/"; do sleep 0.01; done
		fi
		t1=$(now)
		total=$(ms "$t0" "$t1")
		b0=$(logts "app=$app build=.* started")
		b1=$(logts "app=$app build=.* release=v")
		printf '%-9s run %d  push->serving %6d ms  (receive %4d, build+image %5d, boot+switch %4d)  floor git push %4d ms  ratio %.1f\n' \
		    "$kind" "$i" "$total" "$(ms "$t0" "$b0")" "$(ms "$b0" "$b1")" \
		    "$(ms "$b1" "$t1")" "$floor" "$(python3 -c "print($total/max($floor,1))")"
	done
}

bench procfile
if npm view express version >/dev/null 2>&1; then bench node; else
	echo "node: npm registry unreachable, skipped"; fi
