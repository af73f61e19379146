#!/usr/bin/env bash
# Versity S3 gateway for tests and local trials: a real S3 API on loopback,
# backed by a directory (posix backend).
#
#   scripts/versitygw.sh install          build it if missing; prints the binary path
#   scripts/versitygw.sh start DIR PORT   run it on 127.0.0.1:PORT with its data in DIR/data,
#                                         bucket "upedge" created; pid in DIR/versitygw.pid
#   scripts/versitygw.sh stop DIR         stop the one started in DIR
#
# Credentials are fixed test values (not secrets): access key "upedgetest",
# secret key "upedgetestsecret", region us-east-1.
# Building takes about 2 minutes; the binary goes to $(go env GOPATH)/bin.
set -euo pipefail

VERSION=v1.8.0
ACCESS=upedgetest
SECRET=upedgetestsecret

bin() {
	if command -v versitygw >/dev/null 2>&1; then
		command -v versitygw
		return
	fi
	gobin=$(go env GOBIN)
	[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
	echo "$gobin/versitygw"
}

install() {
	b=$(bin)
	if [ ! -x "$b" ] && command -v flock >/dev/null 2>&1; then
		# Test packages run in parallel: one build, the others wait for it.
		exec 9>"${TMPDIR:-/tmp}/upedge-versitygw-install.lock"
		flock 9
		b=$(bin)
	fi
	if [ ! -x "$b" ]; then
		echo "building versitygw $VERSION (about 2 minutes)..." >&2
		GOFLAGS= go install "github.com/versity/versitygw/cmd/versitygw@$VERSION" >&2
	fi
	bin
}

start() {
	dir=$1 port=$2
	b=$(install)
	mkdir -p "$dir/data/upedge"
	# --keep-alive: without it the gateway closes every connection after
	# one request, which would make benchmarks measure connection setup.
	ROOT_ACCESS_KEY_ID=$ACCESS ROOT_SECRET_ACCESS_KEY=$SECRET \
		"$b" --port "127.0.0.1:$port" --region us-east-1 --keep-alive --quiet \
		posix "$dir/data" >"$dir/versitygw.log" 2>&1 &
	echo $! >"$dir/versitygw.pid"
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$(cat "$dir/versitygw.pid")" 2>/dev/null; then
			echo "versitygw did not start; log:" >&2
			cat "$dir/versitygw.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "versitygw listening on 127.0.0.1:$port (pid $(cat "$dir/versitygw.pid"))"
}

stop() {
	dir=$1
	[ -f "$dir/versitygw.pid" ] || exit 0
	pid=$(cat "$dir/versitygw.pid")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/versitygw.pid"
}

case "${1:-}" in
install) install ;;
start) [ $# -eq 3 ] || { echo "usage: $0 start DIR PORT" >&2; exit 2; }; start "$2" "$3" ;;
stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
*) echo "usage: $0 install | start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
