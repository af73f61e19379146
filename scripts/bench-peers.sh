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

run_nginx() {
	local nginx_out nginx_version nginx_pid
	nginx_out=$(scripts/nginx.sh start "$work/nginx" "$NGINX_PORT")
	echo "$nginx_out"
	nginx_version=$(echo "$nginx_out" | head -1)
	nginx_pid=$(cat "$work/nginx/nginx.pid")
	# put-1m is bounded by count as well as time, so that a fast disk does
	# not fill up: 3000 MiB per server at most.
	local cmd=(bin/upedge bench
		--base "$upedge_base" --secret "$SECRET" --base-name upedge --server-pid "$upedge_pid"
		--vs "http://127.0.0.1:$NGINX_PORT/" --vs-name nginx --vs-pid "$nginx_pid"
		--duration "$DURATION" --put-1m-count 3000 --sync
		${BENCH_ARGS:-}
		--json --md "$OUT/results.md" --html "$OUT/results.html")
	shown "${cmd[@]}"
	"${cmd[@]}" >"$work/results.json" || status=$?
	cp "$work/results.json" "$OUT/results.json"
	scripts/nginx.sh stop "$work/nginx"
	{
		echo "# upedge against nginx"
		echo
		echo "Written by \`make bench-peers\` (scripts/bench-peers.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo "Client and both servers share one machine on 127.0.0.1; the client's CPU time is in the"
		echo "tables, so a figure where the client was the limit can be told apart. Figures are indicative:"
		echo "run it again on the machine you care about."
		echo
		machine
		echo "- $nginx_version (Debian package; config written by scripts/nginx.sh: worker_processes auto,"
		echo "  sendfile, WebDAV PUT with create_full_put_path)"
		echo
		echo "## Command"
		echo
		echo '```'
		shown "${cmd[@]}"
		echo '```'
		echo
		echo "## Results"
		echo
		echo "Ratios are upedge / nginx of each scenario's figure (for slow: server peak RSS, lower is better)."
		echo "nginx checks no tokens: in reject it answers 100 Continue and wants the body, so it has no"
		echo "rejection rate. RSS is the sum over the server's processes (nginx: master and workers)."
		echo
		cat "$OUT/results.md"
	} >"$OUT/RESULTS.md"
	readme_table bench-peers "$OUT/results.md"
	echo "wrote $OUT/RESULTS.md, $OUT/results.md, $OUT/results.json, $OUT/results.html"
	cat "$OUT/results.md"
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
	local cmd=(bin/upedge bench --version jwt
		--base "$upedge_base" --secret "$SECRET" --base-name upedge --server-pid "$upedge_pid"
		--vs "http://127.0.0.1:$PROSODY_HTTP_PORT/file_share/" --vs-name prosody --vs-pid "$prosody_pid"
		--vs-seed-cmd "$seed"
		--scenarios put-small,put-1m,get-small,get-large --get-small-files 200
		--duration "$DURATION" --put-1m-count 3000 --sync
		${BENCH_ARGS:-}
		--json --md "$OUT/results-prosody.md" --html "$OUT/results-prosody.html")
	shown "${cmd[@]}"
	"${cmd[@]}" >"$work/results-prosody.json" || status=$?
	cp "$work/results-prosody.json" "$OUT/results-prosody.json"
	{
		echo "# upedge against Prosody's mod_http_file_share"
		echo
		echo "Written by \`make bench-peers\` (scripts/bench-peers.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo "Client and both servers share one machine on 127.0.0.1. Both are driven with JWTs signed"
		echo "as Prosody signs them (Authorization: Bearer on every PUT); Prosody's files for the GET"
		echo "scenarios are seeded through XMPP (slixmpp), upedge's with JWT PUTs. Figures are"
		echo "indicative: run it again on the machine you care about."
		echo
		machine
		echo "- $prosody_version (Debian package, Lua 5.4; config written by scripts/prosody.sh:"
		echo "  mod_http_file_share on Prosody's own HTTP server, no TLS, loopback)"
		echo
		echo "## Command"
		echo
		echo '```'
		shown "${cmd[@]}"
		echo '```'
		echo
		echo "## Results"
		echo
		echo "Ratios are upedge / prosody of each scenario's figure. Prosody runs in one process"
		echo "(one core); upedge uses both."
		echo
		cat "$OUT/results-prosody.md"
	} >"$OUT/RESULTS-prosody.md"
	readme_table bench-prosody "$OUT/results-prosody.md"
	echo "wrote $OUT/RESULTS-prosody.md, $OUT/results-prosody.md, $OUT/results-prosody.json, $OUT/results-prosody.html"
	cat "$OUT/results-prosody.md"
}

for peer in $PEERS; do
	case $peer in
	nginx) run_nginx ;;
	prosody) run_prosody ;;
	*) echo "bench-peers: unknown peer $peer (want nginx, prosody)" >&2; exit 2 ;;
	esac
done
exit $status
