#!/bin/sh
# Installs, one after the other, every real component the test suite runs
# against: nginx (WebDAV origin, bench peer, and the proxy in front of the
# edge for upedge check), Caddy and HAProxy (the other proxies), Versity's
# S3 gateway,
# and the XMPP servers and clients of edge/server/xmppe2e. `make test` runs it before
# `go test`, which runs test packages in parallel: left to the tests, two
# packages would run apt-get at once on a new machine and one would fail on
# dpkg's lock.
#
# With CI=true a failed install fails the run (tests that need a component
# must run in CI). Elsewhere it says what is missing and carries on: those
# tests then skip with a message, and the rest still run.
set -u
cd "$(dirname "$0")/.."

failed=""
step() {
	name=$1
	shift
	if ! "$@"; then
		echo "test-deps: could not install $name" >&2
		failed="$failed $name"
	fi
}

can_install=1
if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
	can_install=""
fi

if [ -n "$can_install" ] || [ "${CI:-}" = true ]; then
	# `apt-get update` once for all the installs below, and only when one
	# of them will need it.
	need_apt=""
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt=1
	command -v caddy >/dev/null 2>&1 || need_apt=1
	command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt=1
	sh scripts/e2e-setup.sh --check || need_apt=1
	if [ -n "$need_apt" ]; then
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
		step "the package lists (apt-get update)" $sudo apt-get update -q
		export APT_UPDATED=1 NGINX_APT_UPDATED=1
	fi
	step "XMPP servers and clients" sh scripts/e2e-setup.sh
	if [ "$(id -u)" -eq 0 ]; then
		step nginx bash scripts/nginx.sh install
		step caddy bash scripts/caddy.sh install
		step haproxy bash scripts/haproxy.sh install
	else
		if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
			step nginx sudo -n bash scripts/nginx.sh install
		fi
		command -v caddy >/dev/null 2>&1 || step caddy sudo -n env APT_UPDATED="${APT_UPDATED:-}" bash scripts/caddy.sh install
		command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || step haproxy sudo -n env APT_UPDATED="${APT_UPDATED:-}" bash scripts/haproxy.sh install
	fi
	step versitygw bash scripts/versitygw.sh install >/dev/null
else
	echo "test-deps: not root and no password-less sudo: tests that need nginx, Caddy, HAProxy, Versity or XMPP servers skip unless those are installed"
fi

if [ -n "$failed" ]; then
	if [ "${CI:-}" = true ]; then
		echo "test-deps: missing in CI:$failed" >&2
		exit 1
	fi
	echo "test-deps: missing:$failed (the tests that need them will skip)" >&2
fi
exit 0
