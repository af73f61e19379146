#!/usr/bin/env bash
# scripts/haproxy.sh: a throwaway HAProxy (Debian's package) on loopback,
# for the tests that run `upedge check` through the configuration the
# README shows (configs/haproxy-upedge.cfg).
#
# Usage (tests rely on this interface):
#
#   scripts/haproxy.sh install           install HAProxy from Debian if missing
#   scripts/haproxy.sh version           print HAProxy's version, e.g. "2.6.12"
#   scripts/haproxy.sh start DIR FILE PORT
#                                        run HAProxy with the configuration FILE (it
#                                        must listen on 127.0.0.1:PORT), pid in
#                                        DIR/haproxy.pid; returns once PORT accepts
#   scripts/haproxy.sh stop DIR          stop the HAProxy started on DIR (no-op when none)
#
# The package's own service must not start: a policy-rc.d forbidding
# service starts is in place during the install (only when the machine has
# none). `apt-get update` runs first unless APT_UPDATED is set.
set -euo pipefail

die() { echo "haproxy.sh: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/peerlib.sh"

haproxy_bin() { command -v haproxy 2>/dev/null || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; } || true; }

install() {
	[ -n "$(haproxy_bin)" ] && return 0
	[ "$(id -u)" = 0 ] || die "HAProxy is missing and installing it needs root"
	echo "haproxy.sh: installing haproxy" >&2
	apt_install haproxy || die "cannot install haproxy"
}

version() { "$(haproxy_bin)" -v | sed -n 's/^HAProxy version \([^ -]*\).*/\1/p'; }

running() { pid_running "$1/haproxy.pid"; }

start() { # DIR FILE PORT
	local dir=${1:-} file=${2:-} port=${3:-} bin
	[ -n "$dir" ] && [ -n "$file" ] && [ -n "$port" ] || die "usage: haproxy.sh start DIR FILE PORT"
	install
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	running "$dir" && die "an HAProxy already runs on $dir; stop it first"
	bin=$(haproxy_bin)
	"$bin" -c -q -f "$file" || die "HAProxy rejects $file"
	"$bin" -D -f "$file" -p "$dir/haproxy.pid" || die "cannot start HAProxy"
	if wait_up "$dir/haproxy.pid" 127.0.0.1 "$port"; then
		echo "haproxy $(version) listening on 127.0.0.1:$port (pid $(cat "$dir/haproxy.pid"))"
		return 0
	fi
	stop "$dir" || true
	die "HAProxy did not come up on 127.0.0.1:$port"
}

stop() { # DIR
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: haproxy.sh stop DIR"
	stop_pid "$dir/haproxy.pid" USR1 50 TERM # USR1: soft stop, finish what runs, then exit
}

case ${1:-} in
install) install ;;
version) install >/dev/null; version ;;
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: haproxy.sh install | version | start DIR FILE PORT | stop DIR" ;;
esac
