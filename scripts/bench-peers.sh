#!/usr/bin/env bash
# scripts/bench-peers.sh (make bench-peers): upedge against nginx, side by side.
#
# Builds upedge, starts it on a fresh store and nginx (WebDAV PUT, static
# GET with sendfile; scripts/nginx.sh) on 127.0.0.1, runs every scenario of
# `upedge bench` against both in one run, scenario by scenario, and writes
#   bench/RESULTS.md     machine, versions, the exact command, the tables
#   bench/results.json   every figure (upedge bench --json)
#   bench/results.html   bar charts per scenario and the full table (not in git: open it locally)
#   bench/results.md     the tables alone (for the README)
# Sized for a 2-core machine: the whole matrix takes about 3 minutes.
#
# Environment (optional): BENCH_DURATION (default 8s, per timed scenario),
# BENCH_FSYNC (upedge's fsync policy, default "never": nginx does not fsync
# either, so that is the like-for-like comparison), BENCH_UPEDGE_PORT (18480),
# NGINX_PORT (18481), BENCH_ARGS (more `upedge bench` flags), BENCH_OUT
# (output directory, default bench).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-8s}
FSYNC=${BENCH_FSYNC:-never}
BENCH_UPEDGE_PORT=${BENCH_UPEDGE_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
OUT=${BENCH_OUT:-bench}
SECRET=bench-secret # throwaway: both servers live only for this run, on loopback

work=$(mktemp -d /tmp/upedge-bench.XXXXXX)
upedge_pid=
cleanup() {
	[ -z "$upedge_pid" ] || { kill "$upedge_pid" 2>/dev/null; wait "$upedge_pid" 2>/dev/null || true; }
	scripts/nginx.sh stop "$work/nginx" || true
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

nginx_out=$(scripts/nginx.sh start "$work/nginx" "$NGINX_PORT")
echo "$nginx_out"
nginx_version=$(echo "$nginx_out" | head -1)
nginx_pid=$(cat "$work/nginx/nginx.pid")

# put-1m is bounded by count as well as time, so that a fast disk does not
# fill up: 3000 MiB per server at most.
cmd=(bin/upedge bench
	--base "http://127.0.0.1:$BENCH_UPEDGE_PORT/upload/" --secret "$SECRET" --base-name upedge --server-pid "$upedge_pid"
	--vs "http://127.0.0.1:$NGINX_PORT/" --vs-name nginx --vs-pid "$nginx_pid"
	--duration "$DURATION" --put-1m-count 3000 --sync
	${BENCH_ARGS:-}
	--json --md "$OUT/results.md" --html "$OUT/results.html")
echo "${cmd[*]}"
status=0
"${cmd[@]}" >"$work/results.json" || status=$?
cp "$work/results.json" "$OUT/results.json"

# The commit measured; "+changes" when the tree differs from it (this
# script's own outputs aside).
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ":!$OUT/RESULTS.md" ":!$OUT/results.*" 2>/dev/null)" ]; then
	rev="$rev+changes"
fi
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
	echo "# upedge against nginx"
	echo
	echo "Written by \`make bench-peers\` (scripts/bench-peers.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Client and both servers share one machine on 127.0.0.1; the client's CPU time is in the"
	echo "tables, so a figure where the client was the limit can be told apart. Figures are indicative:"
	echo "run it again on the machine you care about."
	echo
	echo "## Machine"
	echo
	echo "- CPUs: $(nproc) × $cpu"
	echo "- memory: $mem"
	echo "- kernel: $(uname -r)"
	echo "- filesystem of the stores: $(df -T "$work" | awk 'NR==2 {print $2}')"
	echo
	echo "## Versions"
	echo
	echo "- $(go version)"
	echo "- upedge $rev, fsync = \"$FSYNC\""
	echo "- $nginx_version (Debian package; config written by scripts/nginx.sh: worker_processes auto,"
	echo "  sendfile, WebDAV PUT with create_full_put_path)"
	echo
	echo "## Command"
	echo
	echo '```'
	echo "${cmd[*]}"
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
# The README shows the comparison table between its markers.
if [ "$OUT" = bench ] && grep -q '<!-- bench-peers:begin' README.md; then
	awk -v table="$(sed -n '/^| scenario | figure |/,/^$/p' "$OUT/results.md" | sed '/^$/d')" '
		/<!-- bench-peers:begin/ { print; print table; skip = 1; next }
		/<!-- bench-peers:end/ { skip = 0 }
		!skip { print }' README.md >README.md.new && mv README.md.new README.md
	echo "updated the table in README.md"
fi
echo "wrote $OUT/RESULTS.md, $OUT/results.md, $OUT/results.json, $OUT/results.html"
cat "$OUT/results.md"
exit $status
