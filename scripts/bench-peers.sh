#!/usr/bin/env bash
# scripts/bench-peers.sh (make bench-peers): upedge against its peers, side by side:
#
#   nginx    WebDAV PUT, static GET with sendfile (scripts/nginx.sh); every
#            scenario of `upedge bench`, query tokens (nginx checks none)
#   prosody  Prosody's built-in mod_http_file_share serving uploads itself
#            (scripts/prosody.sh), the server Prosody operators run instead of
#            upedge; both driven with JWTs in the Authorization header: PUT
#            4 KiB and 1 MiB, GET 4 KiB and 64 MiB. Prosody serves only slots
#            it issued, so its GET files are seeded through XMPP
#            (scripts/prosody-seed.py, slixmpp); upedge's with JWT PUTs.
#
# Builds upedge, starts it on a fresh store and each peer on 127.0.0.1, runs
# the scenarios against both in one run, scenario by scenario, and writes,
# per peer (nginx: no suffix, prosody: -prosody):
#   bench/RESULTS[-prosody].md     machine, versions, the exact command, the tables
#   bench/results[-prosody].json   every figure (upedge bench --json)
#   bench/results[-prosody].html   bar charts per scenario and the full table (not in git: open it locally)
#   bench/results[-prosody].md     the tables alone (for the README)
# Sized for a 2-core machine: nginx about 3 minutes, prosody about 2.
#
# Environment (optional): BENCH_PEERS (default "nginx prosody"),
# BENCH_DURATION (default 8s, per timed scenario), BENCH_FSYNC (upedge's
# fsync policy, default "never": neither peer fsyncs either, so that is the
# like-for-like comparison), BENCH_UPEDGE_PORT (18480), NGINX_PORT (18481),
# PROSODY_C2S_PORT (18482), PROSODY_HTTP_PORT (18483), BENCH_ARGS (more
# `upedge bench` flags), BENCH_OUT (output directory, default bench).
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=${BENCH_PEERS:-nginx prosody}
DURATION=${BENCH_DURATION:-8s}
FSYNC=${BENCH_FSYNC:-never}
BENCH_UPEDGE_PORT=${BENCH_UPEDGE_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
PROSODY_C2S_PORT=${PROSODY_C2S_PORT:-18482}
PROSODY_HTTP_PORT=${PROSODY_HTTP_PORT:-18483}
OUT=${BENCH_OUT:-bench}
SECRET=bench-secret # throwaway: the servers live only for this run, on loopback

work=$(mktemp -d /tmp/upedge-bench.XXXXXX)
upedge_pid=
cleanup() {
	[ -z "$upedge_pid" ] || { kill "$upedge_pid" 2>/dev/null; wait "$upedge_pid" 2>/dev/null || true; }
	scripts/nginx.sh stop "$work/nginx" || true
	scripts/prosody.sh stop "$work/prosody" || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o bin/upedge ./cmd/upedge

bin/upedge serve --listen "127.0.0.1:$BENCH_UPEDGE_PORT" --secret "$SECRET" --store "$work/store" \
	--prefix /upload/ --max-file-size 2GiB --fsync "$FSYNC" --log-level warn >"$work/upedge.log" 2>&1 &
upedge_pid=$!
for ((i = 0; i < 100; i++)); do
	grep -q listening "$work/upedge.log" && break
	kill -0 "$upedge_pid" 2>/dev/null || { cat "$work/upedge.log" >&2; exit 1; }
	sleep 0.1
done
grep -q listening "$work/upedge.log" || { echo "upedge did not start" >&2; cat "$work/upedge.log" >&2; exit 1; }
upedge_base="http://127.0.0.1:$BENCH_UPEDGE_PORT/upload/"

# The commit measured; "+changes" when the tree differs from it (this
# script's own outputs aside).
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ":!$OUT/RESULTS*.md" ":!$OUT/results*" 2>/dev/null)" ]; then
	rev="$rev+changes"
fi

# machine writes the Machine and the first Versions lines of a report.
machine() {
	local mem cpu
	mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	echo "## Machine"
	echo
	echo "- CPUs: $(nproc) × $cpu"
	echo "- memory: $mem"
	echo "- kernel: $(uname -r)"
	echo "- filesystem of the stores: $(df -T "$work" | awk 'NR==2 {print $2}')"
	echo "- load average when the run ended: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "## Versions"
	echo
	echo "- $(go version)"
	echo "- upedge $rev, fsync = \"$FSYNC\""
}

# readme_table MARKER FILE: the README shows FILE's comparison table
# between its <!-- MARKER:begin --> and <!-- MARKER:end --> lines.
readme_table() {
	if [ "$OUT" = bench ] && grep -q "<!-- $1:begin" README.md; then
		awk -v m="$1" -v table="$(sed -n '/^| scenario | figure |/,/^$/p' "$2" | sed '/^$/d')" '
			$0 ~ "<!-- " m ":begin" { print; print table; skip = 1; next }
			$0 ~ "<!-- " m ":end" { skip = 0 }
			!skip { print }' README.md >README.md.new && mv README.md.new README.md
		echo "updated the $1 table in README.md"
	fi
}

status=0

# shown prints a command as a shell would read it back.
shown() {
	printf '%q ' "$@" | sed 's/ $//'
	echo
}

# bench_report SUFFIX MARKER TITLE ABOUT VERSION NOTES CMD...: runs the
# `upedge bench` command CMD, which writes $OUT/results$SUFFIX.md and .html,
# keeps its JSON as $OUT/results$SUFFIX.json and writes
# $OUT/RESULTS$SUFFIX.md: TITLE, ABOUT (how the run was made), the machine,
# the peer's VERSION line, the command, NOTES on reading the tables and the
# tables; the README's MARKER table follows them.
bench_report() {
	local suffix=$1 marker=$2 title=$3 about=$4 version=$5 notes=$6
	shift 6
	shown "$@"
	"$@" >"$work/results$suffix.json" || status=$?
	cp "$work/results$suffix.json" "$OUT/results$suffix.json"
	{
		echo "# $title"
		echo
		echo "Written by \`make bench-peers\` (scripts/bench-peers.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo "$about"
		echo
		machine
		echo "- $version"
		echo
		echo "## Command"
		echo
		echo '```'
		shown "$@"
		echo '```'
		echo
		echo "## Results"
		echo
		echo "$notes"
		echo
		cat "$OUT/results$suffix.md"
	} >"$OUT/RESULTS$suffix.md"
	readme_table "$marker" "$OUT/results$suffix.md"
	echo "wrote $OUT/RESULTS$suffix.md, $OUT/results$suffix.md, $OUT/results$suffix.json, $OUT/results$suffix.html"
	cat "$OUT/results$suffix.md"
}

run_nginx() {
	local nginx_out nginx_version nginx_pid
	nginx_out=$(scripts/nginx.sh start "$work/nginx" "$NGINX_PORT")
	echo "$nginx_out"
	nginx_version=$(echo "$nginx_out" | head -1)
	nginx_pid=$(cat "$work/nginx/nginx.pid")
	# put-1m is bounded by count as well as time, so that a fast disk does
	# not fill up: 3000 MiB per server at most.
	bench_report "" bench-peers "upedge against nginx" \
		"Client and both servers share one machine on 127.0.0.1; the client's CPU time is in the
tables, so a figure where the client was the limit can be told apart. Figures are indicative:
run it again on the machine you care about." \
		"$nginx_version (Debian package; config written by scripts/nginx.sh: worker_processes auto,
  sendfile, WebDAV PUT with create_full_put_path)" \
		"Ratios are upedge / nginx of each scenario's figure (for slow: server peak RSS, lower is better).
nginx checks no tokens: in reject it answers 100 Continue and wants the body, so it has no
rejection rate. RSS is the sum over the server's processes (nginx: master and workers)." \
		bin/upedge bench \
		--base "$upedge_base" --secret "$SECRET" --base-name upedge --server-pid "$upedge_pid" \
		--vs "http://127.0.0.1:$NGINX_PORT/" --vs-name nginx --vs-pid "$nginx_pid" \
		--duration "$DURATION" --put-1m-count 3000 --sync \
		${BENCH_ARGS:-} \
		--json --md "$OUT/results.md" --html "$OUT/results.html"
	scripts/nginx.sh stop "$work/nginx"
}

run_prosody() {
	local prosody_out prosody_version prosody_pid seed
	prosody_out=$(scripts/prosody.sh start "$work/prosody" "$PROSODY_C2S_PORT" "$PROSODY_HTTP_PORT" "$SECRET")
	echo "$prosody_out"
	prosody_version=$(echo "$prosody_out" | head -1)
	prosody_pid=$(cat "$work/prosody/prosody.pid")
	seed="/usr/bin/python3 scripts/prosody-seed.py --server 127.0.0.1:$PROSODY_C2S_PORT --jid bench@localhost --password bench \"\$1\" \"\$2\""
	# 200 small files: seeding them through XMPP takes a while; both
	# servers read the same number.
	bench_report -prosody bench-prosody "upedge against Prosody's mod_http_file_share" \
		"Client and both servers share one machine on 127.0.0.1. Both are driven with JWTs signed
as Prosody signs them (Authorization: Bearer on every PUT); Prosody's files for the GET
scenarios are seeded through XMPP (slixmpp), upedge's with JWT PUTs. Figures are
indicative: run it again on the machine you care about." \
		"$prosody_version (Debian package, Lua 5.4; config written by scripts/prosody.sh:
  mod_http_file_share on Prosody's own HTTP server, no TLS, loopback)" \
		"Ratios are upedge / prosody of each scenario's figure. Prosody runs in one process
(one core); upedge uses both." \
		bin/upedge bench --version jwt \
		--base "$upedge_base" --secret "$SECRET" --base-name upedge --server-pid "$upedge_pid" \
		--vs "http://127.0.0.1:$PROSODY_HTTP_PORT/file_share/" --vs-name prosody --vs-pid "$prosody_pid" \
		--vs-seed-cmd "$seed" \
		--scenarios put-small,put-1m,get-small,get-large --get-small-files 200 \
		--duration "$DURATION" --put-1m-count 3000 --sync \
		${BENCH_ARGS:-} \
		--json --md "$OUT/results-prosody.md" --html "$OUT/results-prosody.html"
}

for peer in $PEERS; do
	case $peer in
	nginx) run_nginx ;;
	prosody) run_prosody ;;
	*) echo "bench-peers: unknown peer $peer (want nginx, prosody)" >&2; exit 2 ;;
	esac
done
exit $status
