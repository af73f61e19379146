#!/usr/bin/env bash
# scripts/caddy.sh: a throwaway Caddy (Debian's package) on loopback, for
# the tests that run `upedge check` through the Caddyfile the README shows
# (configs/Caddyfile).
#
# Usage (tests rely on this interface):
#
#   scripts/caddy.sh install           install Caddy from Debian if missing
#   scripts/caddy.sh version           print Caddy's version, e.g. "v2.6.2"
#   scripts/caddy.sh start DIR FILE PORT
#                                      run Caddy with the Caddyfile FILE, which must
#                                      listen on 127.0.0.1:PORT; its state (certificates,
#                                      autosave) in DIR, log in DIR/caddy.log, pid in
#                                      DIR/caddy.pid; returns once PORT accepts connections
#   scripts/caddy.sh stop DIR          stop the Caddy started on DIR (no-op when none runs)
#
# The package's own service must not start (it would take port 80): a
# policy-rc.d forbidding service starts is in place during the install
# (only when the machine has none). `apt-get update` runs first unless
# APT_UPDATED is set.
set -euo pipefail

die() { echo "caddy.sh: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/peerlib.sh"

caddy_bin() { command -v caddy 2>/dev/null || { [ -x /usr/bin/caddy ] && echo /usr/bin/caddy; } || true; }

install() {
	[ -n "$(caddy_bin)" ] && return 0
	[ "$(id -u)" = 0 ] || die "Caddy is missing and installing it needs root"
	echo "caddy.sh: installing caddy" >&2
	apt_install caddy || die "cannot install caddy"
}

running() { pid_running "$1/caddy.pid"; }

start() { # DIR FILE PORT
	local dir=${1:-} file=${2:-} port=${3:-}
	[ -n "$dir" ] && [ -n "$file" ] && [ -n "$port" ] || die "usage: caddy.sh start DIR FILE PORT"
	install
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	running "$dir" && die "a Caddy already runs on $dir; stop it first"
	local bin
	bin=$(caddy_bin)
	# Caddy keeps certificates and its autosaved config below HOME and
	# XDG_*; keep them in DIR, away from the machine's own Caddy.
	export HOME=$dir XDG_DATA_HOME=$dir/data XDG_CONFIG_HOME=$dir/config
	"$bin" validate --config "$file" --adapter caddyfile >"$dir/validate.log" 2>&1 ||
		die "Caddy rejects $file: $(tail -5 "$dir/validate.log")"
	nohup "$bin" run --config "$file" --adapter caddyfile --pidfile "$dir/caddy.pid" >"$dir/caddy.log" 2>&1 &
	if wait_up "$dir/caddy.pid" 127.0.0.1 "$port"; then
		echo "caddy $("$bin" version | awk '{print $1}') listening on 127.0.0.1:$port (pid $(cat "$dir/caddy.pid"))"
		return 0
	fi
	stop "$dir" || true
	die "Caddy did not come up on 127.0.0.1:$port: $(tail -5 "$dir/caddy.log")"
}

stop() { # DIR
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: caddy.sh stop DIR"
	stop_pid "$dir/caddy.pid" TERM 100 KILL
}

case ${1:-} in
install) install ;;
version) install >/dev/null; "$(caddy_bin)" version | awk '{print $1}' ;;
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: caddy.sh install | version | start DIR FILE PORT | stop DIR" ;;
esac
