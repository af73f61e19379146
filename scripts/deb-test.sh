#!/usr/bin/env bash
# scripts/deb-test.sh (scripts/deb.sh test, make deb-test): the Debian
# package's test, run by CI on its machine (root; it installs and purges
# the package system-wide, and needs 127.0.0.1:5050 free):
#
#  1. build the package and run lintian on it: no error, no warning
#     (overrides in configs/deb/lintian-overrides, each with its reason);
#  2. install it with dpkg: the binary, the conffile, the units, the system
#     user, the store, and a new random secret (0640 root:upedge); a
#     second install keeps that secret;
#  3. run the unit's ExecStart as its User= (systemd does not run in CI),
#     upload and download through it with a slot signed with the packaged
#     secret, run `upedge check` against it, rotate the secret and reload
#     with SIGHUP (ExecReload), stop it with SIGTERM;
#  4. remove: the config, the secret, the uploads stay, nothing else;
#     purge: nothing is left but the system user (see configs/deb/scripts/postrm).
#
# It prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "deb-test: FAIL: $*" >&2; exit 1; }
t0=$(date +%s.%N)
step() { printf '== deb-test %6ss: %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*"; }
[ "$(id -u)" = 0 ] || die "needs root: it installs the package with dpkg"

unit=/lib/systemd/system/upedge.service
secret=/etc/upedge/secret
edge_pid=
work=$(mktemp -d)
cleanup() {
	[ -z "$edge_pid" ] || kill "$edge_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Everything on the machine with upedge in its name, outside the places
# builds and tests write to: what the package must leave as it found.
traces() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run -o -path "$PWD" \
		-o -path /root/go -o -path /root/.cache -o -path /var/cache/apt -o -path /work \) -prune \
		-o -name '*upedge*' -print 2>/dev/null | sort
}

step "build"
deb=$(scripts/deb.sh build | tail -1)
[ -f "$deb" ] || die "no package at $deb"
case $deb in dist/upedge_*_"$(scripts/deb.sh arch)".deb) ;; *) die "unexpected file name $deb" ;; esac

step "lintian"
if ! command -v lintian >/dev/null; then
	{ [ -n "${APT_UPDATED:-}" ] || apt-get update -qq; } && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null
fi
lintian --version
# Every tag down to pedantic is shown; an error or a warning fails
# (overridden tags, each with its reason, do not count).
lintian --display-info --pedantic --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges' || die "lintian"

step "install"
if dpkg-query -W upedge >/dev/null 2>&1; then
	echo "deb-test: a previous upedge package is installed: purging it first"
	dpkg --purge upedge >/dev/null
fi
before=$(traces)
dpkg -i "$deb"
[ -x /usr/bin/upedge ] || die "no /usr/bin/upedge"
[ -f "$unit" ] && [ -f /lib/systemd/system/upedge.socket ] || die "units missing"
grep -qx /etc/upedge/upedge.toml <(dpkg-query -W -f='${Conffiles}\n' upedge | awk '{print $1}') || die "/etc/upedge/upedge.toml is not a conffile"
getent passwd upedge >/dev/null || die "no user upedge"
[ "$(stat -c '%U:%G %a' /var/lib/upedge)" = "upedge:upedge 750" ] || die "/var/lib/upedge: $(stat -c '%U:%G %a' /var/lib/upedge)"
[ "$(stat -c '%U:%G %a' "$secret")" = "root:upedge 640" ] || die "$secret: $(stat -c '%U:%G %a' "$secret")"
grep -Eqx '[0-9a-f]{64}' "$secret" || die "$secret does not hold 64 hex digits"
first=$(cat "$secret")
dpkg -i "$deb" >/dev/null
[ "$(cat "$secret")" = "$first" ] || die "a second install replaced the secret"
echo "installed: $(dpkg-query -W -f='${Package} ${Version} ${Architecture}' upedge); secret kept across reinstall"

step "run as the unit does"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
group=$(sed -n 's/^Group=//p' "$unit")
[ -n "$exec_start" ] && [ -n "$user" ] || die "cannot read ExecStart= and User= from $unit"
listen=$(sed -n 's/^listen = "\(.*\)"/\1/p' /etc/upedge/upedge.toml)
(exec 3<>"/dev/tcp/${listen%:*}/${listen#*:}") 2>/dev/null && die "$listen is taken: stop what listens there"
echo "$user:$group: $exec_start"
# shellcheck disable=SC2086 # ExecStart is split into words as systemd does
setpriv --reuid="$user" --regid="$group" --init-groups --inh-caps=-all -- $exec_start >"$work/out" 2>"$work/err" &
edge_pid=$!
# wait_edge PATTERN FILE EXITED MISSING: waits up to 10 s for PATTERN in
# FILE; dies with EXITED if the edge exits meanwhile, MISSING if it never
# comes, each followed by the edge's stderr.
wait_edge() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$1" "$2" && return 0
		kill -0 "$edge_pid" 2>/dev/null || die "$3: $(cat "$work/err")"
		sleep 0.1
	done
	die "$4: $(cat "$work/err")"
}
wait_edge 'upedge listening on' "$work/out" "the edge exited" "the edge did not start"
head -1 "$work/out"
base="http://$listen/upload/"

step "upload and download"
printf 'hello from the package\n' >"$work/hello"
size=$(stat -c %s "$work/hello")
mapfile -t urls < <(/usr/bin/upedge sign --secret "$(cat "$secret")" --base "$base" 'deb-test/hello world é.txt' "$size")
code=$(curl -sS -o /dev/null -w '%{http_code}' -T "$work/hello" "${urls[0]}")
[ "$code" = 201 ] || die "PUT through the packaged edge: $code"
curl -sS -o "$work/got" "${urls[1]}"
cmp -s "$work/hello" "$work/got" || die "GET did not return the upload"
stored=$(find /var/lib/upedge/deb-test -type f)
[ "$(stat -c %U "$stored")" = upedge ] || die "the upload is not owned by upedge"
echo "201, then the same $size bytes back; stored as $stored"

step "upedge check"
/usr/bin/upedge check --base "$base" --secret-file "$secret" || die "upedge check against the packaged edge"

step "reload (ExecReload: SIGHUP) with a rotated secret"
printf '%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" >"$secret.new"
chown root:upedge "$secret.new" && chmod 0640 "$secret.new" && mv "$secret.new" "$secret"
kill -HUP "$edge_pid"
wait_edge 'msg=reloaded' "$work/err" "the edge exited on SIGHUP" "no reload"
mapfile -t urls < <(/usr/bin/upedge sign --secret "$(cat "$secret")" --base "$base" 'deb-test/after reload.txt' "$size")
code=$(curl -sS -o /dev/null -w '%{http_code}' -T "$work/hello" "${urls[0]}")
[ "$code" = 201 ] || die "PUT with the rotated secret after SIGHUP: $code"
echo "reloaded; the rotated secret is in force"

step "stop (SIGTERM)"
kill -TERM "$edge_pid"
wait "$edge_pid" || die "exit status $? after SIGTERM: $(cat "$work/err")"
edge_pid=

step "remove"
dpkg --remove upedge
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' upedge)" = "rc " ] || die "state after remove: $(dpkg-query -W -f='${db:Status-Abbrev}' upedge)"
[ ! -e /usr/bin/upedge ] && [ ! -e "$unit" ] || die "program files left after remove"
[ -f /etc/upedge/upedge.toml ] && [ -f "$secret" ] || die "remove took the config or the secret"
[ -n "$(find /var/lib/upedge -type f)" ] || die "remove took the uploads"
echo "after remove: $(traces | tr '\n' ' ')"

step "purge"
dpkg --purge upedge
dpkg-query -W upedge >/dev/null 2>&1 && die "upedge still known to dpkg after purge"
after=$(traces)
if [ "$after" != "$before" ]; then
	diff <(echo "$before") <(echo "$after") || true
	die "purge left files behind"
fi
getent passwd upedge >/dev/null && echo "after purge: nothing left but the system user upedge (kept, as Debian recommends)"
step "done"
