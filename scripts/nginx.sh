#!/usr/bin/env bash
# scripts/nginx.sh: a throwaway nginx on loopback for benchmarks and tests,
# serving static files with sendfile and taking WebDAV PUT/DELETE. It is
# upedge's peer in `make bench-peers` and a WebDAV origin for tests.
#
# Usage (the interface is stable; other scripts and tests rely on it):
#
#   scripts/nginx.sh start DIR PORT   install nginx if missing, write DIR/conf/nginx.conf,
#                                     serve DIR/root on 127.0.0.1:PORT, pid in DIR/nginx.pid
#   scripts/nginx.sh start-site DIR PORT SITE
#                                     the same, but nginx's http block holds
#                                     only the site file SITE (upstreams and
#                                     servers, e.g. configs/nginx-upedge.conf
#                                     with test addresses), which must listen
#                                     on 127.0.0.1:PORT
#   scripts/nginx.sh stop DIR         stop the nginx started on DIR (no-op when none runs)
#   scripts/nginx.sh install          install nginx (with the dav module) if missing
#   scripts/nginx.sh version          print the nginx version, e.g. "nginx/1.22.1"
#
# Layout of DIR after start: conf/nginx.conf, root/ (the files: a PUT to
# /a/b.bin stores root/a/b.bin, directories are created), tmp/ (request
# bodies are spooled here and renamed into root/), error.log, nginx.pid.
# DIR is created when missing; start refuses to run twice on one DIR.
#
# start prints two lines: the version and "nginx listening on http://HOST:PORT/
# (root DIR/root, pid N)", and returns once the port accepts connections.
#
# Environment (all optional):
#   NGINX_HOST         address to listen on (default 127.0.0.1)
#   NGINX_DAV_METHODS  dav_methods (default "PUT DELETE"); "off" for static only
#   NGINX_EXTRA        directives added inside the server block, e.g. a
#                      "location /private/ { deny all; }" a test needs
#
# Installing: nginx-light from Debian (it has http_dav_module); if the
# installed nginx lacks the module, nginx-extras. `apt-get update` runs once
# first. A package install must not start the system's own nginx on port
# 80, so a policy-rc.d forbidding service starts is in place during it
# (only when the machine has none).
set -euo pipefail

die() { echo "nginx.sh: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/peerlib.sh"
APT_UPDATED=${NGINX_APT_UPDATED:-} # this script's own: test-deps.sh sets both

nginx_bin() {
	command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

has_dav() {
	local bin
	bin=$(nginx_bin)
	[ -n "$bin" ] && "$bin" -V 2>&1 | grep -q -- '--with-http_dav_module'
}

install() {
	has_dav && return 0
	[ "$(id -u)" = 0 ] || die "nginx with the dav module is missing and installing it needs root"
	if [ -z "$(nginx_bin)" ]; then
		echo "nginx.sh: installing nginx-light" >&2
		apt_install nginx-light || die "cannot install nginx-light"
	fi
	if ! has_dav; then
		echo "nginx.sh: installed nginx lacks http_dav_module; installing nginx-extras" >&2
		apt_install nginx-extras || die "cannot install nginx-extras"
	fi
	has_dav || die "no nginx with http_dav_module after installing"
}

version() {
	"$(nginx_bin)" -v 2>&1 | sed -n 's/^nginx version: //p'
}

running() { pid_running "$1/nginx.pid"; } # DIR: is the nginx of DIR alive?

write_conf() { # DIR HOST PORT [SITE]
	local dir=$1 host=$2 port=$3 site=${4:-} user= dav="${NGINX_DAV_METHODS:-PUT DELETE}" davconf mime= servers
	# Workers as root, so that they may write DIR wherever it is; as
	# another user, nginx runs master and workers as that user.
	[ "$(id -u)" = 0 ] && user="user root;"
	[ -r /etc/nginx/mime.types ] && mime="include /etc/nginx/mime.types;"
	if [ "$dav" = off ]; then
		davconf=""
	else
		davconf="dav_methods $dav;
            create_full_put_path on;
            dav_access user:rw group:r all:r;"
	fi
	if [ -n "$site" ]; then
		servers="include $site;"
	else
		servers="server {
        listen $host:$port reuseport;
        root $dir/root;
        location / {
            $davconf
        }
        ${NGINX_EXTRA:-}
    }"
	fi
	cat >"$dir/conf/nginx.conf" <<CONF
# Written by scripts/nginx.sh; rewritten on every start.
$user
worker_processes auto;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
daemon on;

events {
    worker_connections 8192;
}

http {
    $mime
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    access_log off;
    server_tokens off;
    keepalive_timeout 65;
    # The benchmark client keeps its connections; nginx's default of
    # 1000 requests per connection would make it reconnect mid-run.
    keepalive_requests 1000000;
    client_max_body_size 0;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    $servers
}
CONF
}

start() { # DIR PORT [SITE]
	local dir=${1:-} port=${2:-} site=${3:-} host=${NGINX_HOST:-127.0.0.1}
	[ -n "$dir" ] && [ -n "$port" ] || die "usage: nginx.sh start DIR PORT"
	if [ -n "$site" ]; then
		[ -r "$site" ] || die "cannot read the site file $site"
		site=$(cd "$(dirname "$site")" && pwd)/$(basename "$site")
	fi
	case $port in *[!0-9]*) die "port must be a number, not $port" ;; esac
	install
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	running "$dir" && die "an nginx already runs on $dir (pid $(cat "$dir/nginx.pid")); stop it first"
	mkdir -p "$dir/conf" "$dir/root" "$dir/tmp"
	rm -f "$dir/nginx.pid"
	write_conf "$dir" "$host" "$port" "$site"
	local bin
	bin=$(nginx_bin)
	"$bin" -t -q -p "$dir" -c "$dir/conf/nginx.conf" || die "nginx rejects $dir/conf/nginx.conf"
	"$bin" -p "$dir" -c "$dir/conf/nginx.conf" || die "cannot start nginx (see $dir/error.log)"
	if wait_up "$dir/nginx.pid" "$host" "$port"; then
		echo "nginx/$(version | sed 's,^nginx/,,')"
		echo "nginx listening on http://$host:$port/ (root $dir/root, pid $(cat "$dir/nginx.pid"))"
		return 0
	fi
	stop "$dir" || true
	die "nginx did not come up on $host:$port (see $dir/error.log)"
}

stop() { # DIR
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: nginx.sh stop DIR"
	stop_pid "$dir/nginx.pid" TERM 100 KILL
}

case ${1:-} in
start) shift; start "${1:-}" "${2:-}" ;;
start-site) shift; [ $# -eq 3 ] || die "usage: nginx.sh start-site DIR PORT SITE"; start "$@" ;;
stop) shift; stop "$@" ;;
install) install ;;
version) install >/dev/null; version ;;
*) die "usage: nginx.sh start DIR PORT | start-site DIR PORT SITE | stop DIR | install | version" ;;
esac
