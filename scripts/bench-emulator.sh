#!/usr/bin/env bash
# Benchmarks the emulator against a minimal axum handler, side by side, with wrk on loopback:
# the per-agent PUT at 50 connections (limits off, then limits on but never refusing), and the
# emulator's resident memory with 100,000 agents (idle, then after the PUT runs wrote them).
#
# Usage: scripts/bench-emulator.sh [SECONDS_PER_RUN] [ROUNDS]   (defaults 10 and 3)
# Each round runs wrk against the three servers in turn, so that a change in the machine's load
# hits all of them alike; the table shows the median of the rounds.
# Environment: BENCH_WRK_THREADS (default 2) and BENCH_SERVER_THREADS (tokio workers of both
# servers; default: one per core). On a 2-core machine, 1 + 1 keeps wrk and the server from
# competing for cores, which is what tail latency needs; 2 + 2 measures peak throughput.
# Needs wrk (Debian package; installed with apt-get when missing and running as root).
set -euo pipefail

DURATION="${1:-10}"
ROUNDS="${2:-3}"
CONNECTIONS=50
THREADS="${BENCH_WRK_THREADS:-2}"
if [ -n "${BENCH_SERVER_THREADS:-}" ]; then
    export TOKIO_WORKER_THREADS="$BENCH_SERVER_THREADS"
fi
AGENTS=100000
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        echo "bench-emulator: wrk is missing (apt-get install wrk)" >&2
        exit 1
    fi
fi

cd "$ROOT"
# The `serve` example makes the very library call `pacer emulate` makes, on the same runtime; using
# it keeps this benchmark independent of the rest of the CLI.
cargo build --release -q -p pacer-emulator --example serve --example minimal
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
SERVE="$TARGET/release/examples/serve"
MINIMAL="$TARGET/release/examples/minimal"

# Starts a server in the background, waits (bounded) for the URL it prints, and stores the URL
# in the variable named by $1 and the process id in LAST_PID. Runs in this shell (not in $(...)),
# so that cleanup knows every process it started.
start() {
    local var="$1" log="$2"
    shift 2
    : >"$log"
    "$@" >"$log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    for _ in $(seq 1 100); do
        if grep -q "http://" "$log"; then
            printf -v "$var" '%s' "$(grep -o "http://[0-9.:]*" "$log" | head -1)"
            return 0
        fi
        sleep 0.1
    done
    echo "bench-emulator: $* did not start" >&2
    cat "$log" >&2
    exit 1
}

rss_mb() {
    awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

# The OAuth request reads the demo credentials from a file, never from argv.
mint() {
    local base="$1"
    printf 'user = "pacer-demo:pacer-demo-secret"\n' >"$WORK/curl-auth"
    chmod 600 "$WORK/curl-auth"
    curl -sf -K "$WORK/curl-auth" -d grant_type=client_credentials "$base/oauth/token" |
        python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])'
}

# Writes every agent id (pages of 500) to $WORK/ids.
fetch_ids() {
    local base="$1" token="$2" pages=$(((AGENTS + 499) / 500))
    printf 'header = "Authorization: Bearer %s"\n' "$token" >"$WORK/curl-token"
    chmod 600 "$WORK/curl-token"
    : >"$WORK/ids"
    for page in $(seq 1 "$pages"); do
        curl -sf -K "$WORK/curl-token" "$base/api/v2/users?pageSize=500&pageNumber=$page" |
            python3 -c 'import sys,json;[print(u["id"]) for u in json.load(sys.stdin)["entities"]]' >>"$WORK/ids"
    done
}

cat >"$WORK/put.lua" <<'LUA'
-- One PUT of the issue's example schedule per request, cycling through every agent id.
local body = '{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}'
local threads = 0
function setup(thread)
    thread:set("offset", threads * 50000)
    threads = threads + 1
end
local ids = {}
local counter = 0
local headers = {}
function init(args)
    for line in io.lines(os.getenv("PACER_IDS")) do
        ids[#ids + 1] = line
    end
    counter = offset or 0
    headers["Authorization"] = "Bearer " .. os.getenv("PACER_TOKEN")
    headers["Content-Type"] = "application/json"
end
function request()
    counter = counter + 1
    local id = ids[(counter % #ids) + 1]
    return wrk.format("PUT", "/api/v2/wfm/usersettings/" .. id .. "/schedule", headers, body)
end
LUA

# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# Runs wrk against $2 (server process $3) and prints "req/s p99_ms non2xx cpu_us_per_request".
# CPU time per request counts only the server's own CPU, so it is less sensitive than req/s to
# other load on the machine.
run_wrk() {
    local name="$1" base="$2" pid="$3"
    local before after
    before=$(cpu_ticks "$pid")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency -s "$WORK/put.lua" "$base" >"$WORK/$name.wrk"
    after=$(cpu_ticks "$pid")
    local rps p99 non2xx requests
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.wrk")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$WORK/$name.wrk")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$name.wrk")
    requests=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
    local cpu_us
    cpu_us=$(awk -v t="$((after - before))" -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / r * 1e6}')
    echo "$rps ${p99:-0} ${non2xx:-0} $cpu_us"
}

echo "bench-emulator: ${DURATION}s per run, $CONNECTIONS connections, $THREADS wrk threads," \
    "${TOKIO_WORKER_THREADS:-$(nproc)} server threads, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

start EMU_URL "$WORK/emu.log" "$SERVE" --profile seed --no-limits --agents "$AGENTS" --listen 127.0.0.1:0
EMU_PID="$LAST_PID"
sleep 0.5
RSS_IDLE=$(rss_mb "$EMU_PID")
TOKEN=$(mint "$EMU_URL")
fetch_ids "$EMU_URL" "$TOKEN"
export PACER_IDS="$WORK/ids" PACER_TOKEN="$TOKEN"
echo "ids fetched: $(wc -l <"$WORK/ids"); emulator RSS with $AGENTS agents, idle: ${RSS_IDLE} MB"

start MIN_URL "$WORK/min.log" "$MINIMAL" 127.0.0.1:0
MIN_PID="$LAST_PID"
start LIM_URL "$WORK/lim.log" "$SERVE" --profile seed --token-rate 4000000000/min --burst 4000000000 --agents "$AGENTS" --listen 127.0.0.1:0
LIM_PID="$LAST_PID"
LIM_TOKEN=$(mint "$LIM_URL")
: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    export PACER_TOKEN="$TOKEN"
    echo "round $round minimal $(run_wrk minimal "$MIN_URL" "$MIN_PID")" >>"$WORK/results"
    echo "round $round emulator $(run_wrk emulator "$EMU_URL" "$EMU_PID")" >>"$WORK/results"
    export PACER_TOKEN="$LIM_TOKEN"
    echo "round $round limited $(run_wrk limited "$LIM_URL" "$LIM_PID")" >>"$WORK/results"
    tail -3 "$WORK/results"
done
RSS_WRITTEN=$(rss_mb "$EMU_PID")
STATS=$(curl -sf "$EMU_URL/__emulator/stats")

python3 - "$WORK/results" "$RSS_IDLE" "$RSS_WRITTEN" "$STATS" <<'PY'
import json, statistics, sys
results, rss_idle, rss_written, stats = sys.argv[1:]
stats = json.loads(stats)
runs = {}
for line in open(results):
    _, rnd, name, rps, p99, bad, cpu = line.split()
    runs.setdefault(name, []).append((int(rnd), float(rps), float(p99), int(bad), float(cpu)))
def median(name, i):
    return statistics.median(r[i] for r in runs[name])
labels = {"minimal": "minimal axum handler", "emulator": "emulator, limits off",
          "limited": "emulator, limits on (never refusing)"}
print()
print("| server | req/s (median) | p99 latency (median) | server CPU per request (median) | non-2xx (all rounds) |")
print("|---|---:|---:|---:|---:|")
for name in ("minimal", "emulator", "limited"):
    bad = sum(r[3] for r in runs[name])
    print(f"| {labels[name]} | {median(name, 1):,.0f} | {median(name, 2):.2f} ms | {median(name, 4):.1f} us | {bad} |")
print()
ratios = [e[1] / m[1] for m, e in zip(runs["minimal"], runs["emulator"])]
print("emulator / minimal per round (limits off): " + ", ".join(f"{r:.0%}" for r in ratios)
      + f"; median {statistics.median(ratios):.0%} (target >= 60%)")
print(f"emulator p99 (limits off), median: {median('emulator', 2):.2f} ms (target < 5 ms)")
cpu = median("minimal", 4) / median("emulator", 4)
print(f"minimal CPU per request / emulator CPU per request: {cpu:.0%} (the throughput the emulator "
      "would reach relative to the minimal handler if the server were alone on its cores)")
print(f"emulator RSS with 100,000 agents: {rss_idle} MB idle, {rss_written} MB after writing "
      f"{stats['users_written']:,} distinct agents (target < 50 MB)")
print(f"emulator stats after the limits-off runs: writes_total={stats['writes_total']:,} "
      f"users_written={stats['users_written']:,} rejected_writes={stats['rejected_writes']}")
PY
