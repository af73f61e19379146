# scripts/peerlib.sh: what the scripts that install and run a peer for the
# tests (nginx.sh, caddy.sh, haproxy.sh) share. Sourced, not run.

# apt_install PKG...: installs Debian packages (as root). A policy-rc.d
# forbidding service starts is in place meanwhile (only when the machine
# has none), so that a package's own service does not start and take its
# port. `apt-get update` runs first unless APT_UPDATED is set, and once.
apt_install() {
	local policy=/usr/sbin/policy-rc.d ours= rc=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		ours=1
	fi
	{ [ -n "${APT_UPDATED:-}" ] || apt-get update -qq; } &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || rc=$?
	APT_UPDATED=1
	[ -z "$ours" ] || rm -f "$policy"
	return $rc
}

# pid_running PIDFILE: is the process PIDFILE names alive?
pid_running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE SIGNAL TENTHS LAST: sends SIGNAL to the process PIDFILE
# names, waits up to TENTHS tenths of a second for it to exit, then sends
# LAST; PIDFILE is removed. Nothing to do when it does not run.
stop_pid() {
	local file=$1 sig=$2 tenths=$3 last=$4 pid i
	pid_running "$file" || { rm -f "$file"; return 0; }
	pid=$(cat "$file")
	kill "-$sig" "$pid"
	for ((i = 0; i < tenths; i++)); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
		sleep 0.1
	done
	kill "-$last" "$pid" 2>/dev/null || true
	rm -f "$file"
}

# wait_up PIDFILE HOST PORT: waits up to 10 s for PIDFILE to be written and
# HOST:PORT to accept connections; fails (status 1) if they do not.
wait_up() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$1" ] && (exec 3<>"/dev/tcp/$2/$3") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
