#!/usr/bin/env bash
# scripts/deb.sh: the Debian package of upedge, built with nfpm, and its
# test on this machine.
#
#   scripts/deb.sh build    build dist/upedge_<version>_<arch>.deb (make deb);
#                           prints its path on the last line
#   scripts/deb.sh test     (root) build it, run lintian on it, install it with
#                           dpkg, run the packaged binary with the packaged config
#                           as the unit's ExecStart does (as its User=), upload
#                           and download through it, reload it, remove and purge
#                           the package, and check what each step leaves (make
#                           deb-test; CI runs it)
#   scripts/deb.sh version  print the package version
#   scripts/deb.sh arch     print the Debian architecture
#
# The version is `git describe --tags --match 'v[0-9]*'` without its "v"
# (v1.2.0-3-gabc1234 gives 1.2.0+3.gabc1234) or, with no such tag, configs/deb/VERSION
# plus "~git<commit date>.<commit>", which sorts before the release it
# leads to. DEB_VERSION, DEB_ARCH and DEB_MAINTAINER override.
#
# nfpm is installed with `go install` at NFPM_VERSION when the one on PATH
# or in $(go env GOPATH)/bin is missing or another version.
set -euo pipefail
cd "$(dirname "$0")/.."

# v2.46 and later need modules the Go module proxy does not serve
# (go.digitalxero.dev, for MSIX), so they do not build here.
NFPM_VERSION=v2.45.0
DEB_MAINTAINER=${DEB_MAINTAINER:-upedge maintainers <maintainers@users.noreply.github.com>}

die() { echo "deb.sh: $*" >&2; exit 1; }
step() { echo "== deb.sh: $*" >&2; }

version() {
	if [ -n "${DEB_VERSION:-}" ]; then
		echo "$DEB_VERSION"
		return
	fi
	local desc v
	if desc=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		v=${desc#v}
		v=${v/-/+}
		echo "${v//-/.}"
	elif git rev-parse --git-dir >/dev/null 2>&1; then
		echo "$(cat configs/deb/VERSION)~git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short=7 HEAD)"
	else
		cat configs/deb/VERSION
	fi
}

# arch maps Go's architecture names to Debian's.
arch() {
	if [ -n "${DEB_ARCH:-}" ]; then
		echo "$DEB_ARCH"
		return
	fi
	case $(go env GOARCH) in
	amd64 | arm64 | riscv64 | s390x | loong64) go env GOARCH ;;
	386) echo i386 ;;
	arm) echo armhf ;;
	ppc64le) echo ppc64el ;;
	mips64le) echo mips64el ;;
	mipsle) echo mipsel ;;
	*) die "no Debian architecture for GOARCH $(go env GOARCH)" ;;
	esac
}

nfpm_bin() {
	local bin
	for bin in "$(command -v nfpm 2>/dev/null || true)" "$(go env GOPATH)/bin/nfpm"; do
		# go install leaves "dev" in nfpm --version: ask the binary's
		# build information instead.
		if [ -x "$bin" ] && [ "$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }')" = "$NFPM_VERSION" ]; then
			echo "$bin"
			return
		fi
	done
	step "installing nfpm $NFPM_VERSION (go install)"
	GOFLAGS= go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" >&2
	echo "$(go env GOPATH)/bin/nfpm"
}

# copyright writes the package's copyright file: upedge's, then the
# license of every Go module linked into the binary, from the module
# itself, so that it stays true as dependencies change. Apache-2.0 texts
# are referred to in /usr/share/common-licenses, as Debian wants, with the
# module's NOTICE.
copyright() {
	cat <<EOF
upedge: an upload edge for XMPP HTTP File Upload (XEP-0363)
Source: https://github.com/upedge/upedge

Copyright: the upedge authors
License: the upedge project has not published a license yet; see its
 repository.

/usr/bin/upedge is statically linked with the Go runtime and standard
library and these Go modules, each under its own license:
EOF
	echo
	echo "Module: Go $(go env GOVERSION) (runtime and standard library)"
	echo "License:"
	indent "$(go env GOROOT)/LICENSE"
	go list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' ./cmd/upedge | sort -u |
		while read -r path ver dir; do
			local f
			f=$(find "$dir" -maxdepth 1 -type f \( -iname 'licen[cs]e*' -o -iname 'copying*' \) | sort | head -1)
			[ -n "$f" ] || die "no license file in module $path $ver"
			echo
			echo "Module: $path $ver"
			if grep -q 'Apache License' "$f" && grep -q 'Version 2.0' "$f"; then
				echo "License: Apache-2.0"
				echo " See /usr/share/common-licenses/Apache-2.0."
				[ ! -f "$dir/NOTICE" ] || { echo " NOTICE:"; indent "$dir/NOTICE"; }
			else
				echo "License:"
				indent "$f"
			fi
		done
}

# indent formats a text as a copyright file's continuation lines.
indent() { sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$@"; }

build() {
	local v a out pkg
	v=$(version)
	a=$(arch)
	out=dist/upedge_${v}_${a}.deb
	pkg=dist/pkg
	rm -rf "$pkg"
	mkdir -p "$pkg"
	step "building upedge $v for $a"
	local goarm=
	[ "$a" = armhf ] && goarm=7
	# No cgo, no paths, no build id; position-independent, as Debian
	# builds executables (ASLR), which lintian then does not take for a
	# static binary.
	CGO_ENABLED=0 GOOS=linux GOARM=$goarm go build -buildmode=pie -trimpath -ldflags "-s -w -buildid=" -o "$pkg/upedge" ./cmd/upedge
	gzip -9n <configs/deb/upedge.1 >"$pkg/upedge.1.gz"
	copyright >"$pkg/copyright"
	local date
	date=$(git log -1 --format=%cD 2>/dev/null || date -R)
	{
		echo "upedge ($v) unstable; urgency=medium"
		echo
		echo "  * Built from $(git describe --always --dirty 2>/dev/null || echo "a source tree without git");"
		echo "    see the repository's history for the changes."
		echo
		echo " -- $DEB_MAINTAINER  $date"
	} | gzip -9n >"$pkg/changelog.gz"
	local nfpm
	nfpm=$(nfpm_bin)
	rm -f "$out"
	DEB_VERSION=$v DEB_ARCH=$a DEB_MAINTAINER=$DEB_MAINTAINER \
		"$nfpm" package --config configs/deb/nfpm.yaml --packager deb --target "$out" >&2
	echo "$out"
}

case ${1:-} in
build) build ;;
test) exec bash scripts/deb-test.sh ;;
version) version ;;
arch) arch ;;
*) die "usage: deb.sh build | test | version | arch" ;;
esac
