#!/bin/sh
# Installs the real XMPP servers and clients the end-to-end tests run against
# (edge/server/xmppe2e). Idempotent: packages already present are left alone, and
# `apt-get update` runs only when something is missing.
#
# The packages' own services must not start on install: they would take the
# standard ports (5222, 5269, 5280, 4369) and run with the distribution's
# config, while the tests start their own copies on private loopback ports.
# A temporary policy-rc.d (exit 101 = "action forbidden") keeps them down; an
# existing one is respected and left in place.
set -eu

pkgs="prosody prosody-modules ejabberd go-sendxmpp python3-slixmpp python3-aiohttp openssl"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# --check: only say, by the exit status, whether anything is missing.
if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ]
	exit
fi
if [ -z "$missing" ]; then
	echo "e2e-setup: all packages present"
	exit 0
fi

# CI runners that are not root usually have password-less sudo.
as_root=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		as_root="sudo -n"
	else
		echo "e2e-setup: missing packages:$missing; run as root (or with password-less sudo) to install them" >&2
		exit 2
	fi
fi

policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	$as_root sh -c "printf '#!/bin/sh\\nexit 101\\n' >$policy && chmod 755 $policy"
	own_policy=1
fi
cleanup() {
	if [ "$own_policy" -eq 1 ]; then $as_root rm -f "$policy"; fi
}
trap cleanup EXIT

echo "e2e-setup: installing:$missing"
# --no-install-recommends keeps the install small; python3-aiohttp is listed
# above because slixmpp's XEP-0363 upload needs it but only recommends it.
# APT_UPDATED=1: the caller (scripts/test-deps.sh) has run it already.
[ -n "${APT_UPDATED:-}" ] || $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing

echo "e2e-setup: done"
