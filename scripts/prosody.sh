#!/usr/bin/env bash
# scripts/prosody.sh: a throwaway Prosody on loopback whose built-in
# mod_http_file_share stores and serves uploads itself, with JWT slots:
# the server Prosody operators run today instead of upedge. It is upedge's
# second peer in `make bench-peers`.
#
# Usage:
#
#   scripts/prosody.sh start DIR C2S_PORT HTTP_PORT SECRET
#        install Prosody if missing (scripts/e2e-setup.sh), write
#        DIR/prosody.cfg.lua, register bench@localhost (password "bench"),
#        serve c2s on 127.0.0.1:C2S_PORT (no TLS: loopback only) and HTTP on
#        127.0.0.1:HTTP_PORT, the file share under /file_share/ with
#        http_file_share_secret = SECRET; pid in DIR/prosody.pid
#   scripts/prosody.sh stop DIR     stop the Prosody started on DIR
#   scripts/prosody.sh version      print the version, e.g. "prosody 0.12.3"
#
# start prints the version and "prosody listening on ..." and returns once
# both ports accept connections. Slots it issues are
# http://127.0.0.1:HTTP_PORT/file_share/SLOT/NAME; a JWT signed with SECRET
# for such a path is accepted for a PUT, but only a slot issued over XMPP
# is served to a GET (scripts/prosody-seed.py makes those).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "prosody.sh: $*" >&2; exit 1; }

version() {
	echo "prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null || echo unknown)"
}

wait_port() { # PORT PID
	for ((i = 0; i < 300; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start() {
	local dir=$1 c2s=$2 http=$3 secret=$4
	command -v prosody >/dev/null || sh scripts/e2e-setup.sh >&2 || die "cannot install prosody"
	[ ! -e "$dir/prosody.pid" ] || ! kill -0 "$(cat "$dir/prosody.pid")" 2>/dev/null || die "a Prosody runs on $dir already"
	mkdir -p "$dir/data"
	dir=$(cd "$dir" && pwd)
	# Lua string literals: the secret is quoted with %q.
	cat >"$dir/prosody.cfg.lua" <<LUA
-- Written by scripts/prosody.sh.
run_as_root = true
daemonize = false
data_path = "$dir/data"
admin_socket = "$dir/admin.sock"
log = { { levels = { min = "warn" }, to = "file", filename = "$dir/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
c2s_direct_tls_ports = { }
http_ports = { $http }
http_interfaces = { "127.0.0.1" }
https_ports = { }
http_default_host = "upload.localhost"
http_external_url = "http://127.0.0.1:$http/"
modules_enabled = { "roster", "saslauth", "disco", "ping" }
modules_disabled = { "s2s", "tls" }
authentication = "internal_hashed"
-- Loopback only, for a benchmark: no certificate to make.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true

VirtualHost "localhost"

Component "upload.localhost" "http_file_share"
    http_file_share_secret = $(printf '%s' "$secret" | lua5.4 -e 'io.write(string.format("%q", io.read("a")))')
    http_file_share_size_limit = 1073741824
    http_file_share_daily_quota = 1099511627776
    http_file_share_expires_after = -1
LUA
	prosodyctl --config "$dir/prosody.cfg.lua" register bench localhost bench >/dev/null
	nohup prosody --config "$dir/prosody.cfg.lua" -F >"$dir/prosody.out" 2>&1 &
	local pid=$!
	echo "$pid" >"$dir/prosody.pid"
	if ! wait_port "$c2s" "$pid" || ! wait_port "$http" "$pid"; then
		cat "$dir/prosody.out" "$dir/prosody.log" >&2 2>/dev/null || true
		die "Prosody did not start"
	fi
	version
	echo "prosody listening on c2s 127.0.0.1:$c2s, http://127.0.0.1:$http/file_share/ (data $dir/data, pid $pid)"
}

stop() {
	local dir=$1
	[ -e "$dir/prosody.pid" ] || return 0
	local pid
	pid=$(cat "$dir/prosody.pid")
	if kill "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/prosody.pid"
}

case "${1:-}" in
start) [ $# -eq 5 ] || die "usage: prosody.sh start DIR C2S_PORT HTTP_PORT SECRET"; start "$2" "$3" "$4" "$5" ;;
stop) [ $# -eq 2 ] || die "usage: prosody.sh stop DIR"; stop "$2" ;;
version) version ;;
*) die "usage: prosody.sh start DIR C2S_PORT HTTP_PORT SECRET | stop DIR | version" ;;
esac
