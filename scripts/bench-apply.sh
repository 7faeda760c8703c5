#!/usr/bin/env bash
# Benchmarks `pacer apply` in real time against `pacer emulate` on loopback (issue 4's targets).
#
# Usage: scripts/bench-apply.sh [seed|genesys|throughput|memory|report|all]   (default all)
#   seed        500 agents, seed profile (token bucket 300/min, burst 10, X-RateLimit headers):
#               elapsed / ideal (98 s), 429s, requests, the emulator's users_written and
#               max_writes_per_user.
#   genesys     500 agents, genesys profile (fixed 60 s window of 300 per token, no rate-limit
#               headers, the Genesys 429 body), with the per-agent schedule route switched on by a
#               config file (`seed_routes = true`, since the real API has no per-agent write route
#               in the emulator): elapsed / ideal (60 s), 429s.
#   throughput  limits off, 100,000 agents: apply's items per second next to wrk's requests per
#               second against the same emulator at the same concurrency (64), in one run. Set
#               BASELINE_PACER to another build of pacer to run it first in each mode, side by side.
#   memory      limits off, a 1,000,000-row input: apply's peak resident memory.
#   report      limits off, a 1,000,000-row input, run twice side by side: plainly, then with
#               --report --html --metrics; the files' sizes and the CPU seconds of each run. Set
#               BASELINE_PACER to another build of pacer (one without latency and timeline
#               recording, say) to run it first, on the same input, for the ratio of the recording.
# Needs wrk and GNU time (Debian packages wrk and time; installed when missing and root).
set -euo pipefail

WHAT="${1:-all}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk:wrk /usr/bin/time:time; do
    if ! command -v "${tool%%:*}" >/dev/null; then
        if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${tool##*:}" >/dev/null
        else echo "bench-apply: ${tool##*:} is missing" >&2; exit 1; fi
    fi
done

cd "$ROOT"
cargo build --release -q -p pacer-cli
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
PACER="$TARGET/release/pacer"
export GENESYSCLOUD_OAUTHCLIENT_ID=pacer-demo
export GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret

# start_emulator NAME ARGS...: starts `pacer emulate` on a free port; sets BASE.
start_emulator() {
    local name="$1"; shift
    "$PACER" emulate --listen 127.0.0.1:0 "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        BASE="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/$name.log")"
        [ -n "$BASE" ] && return 0
        sleep 0.1
    done
    echo "bench-apply: the emulator did not start" >&2; cat "$WORK/$name.log" >&2; exit 1
}

stop_emulator() {
    local pid="${PIDS[-1]}"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    unset 'PIDS[-1]'
}

# write_input FILE COUNT KIND: the first COUNT agents of the emulator at BASE, one row each.
write_input() {
    python3 - "$BASE" "$1" "$2" "$3" <<'PY'
import base64, json, sys, urllib.request
base, path, count, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
basic = base64.b64encode(b"pacer-demo:pacer-demo-secret").decode()
req = urllib.request.Request(base + "/oauth/token", data=b"grant_type=client_credentials",
                             headers={"Authorization": "Basic " + basic,
                                      "Content-Type": "application/x-www-form-urlencoded"})
token = json.load(urllib.request.urlopen(req))["access_token"]
# Agent ids are the emulator's stable UUIDs, listed by the users route 500 a page.
ids, page = [], 1
while len(ids) < count:
    req = urllib.request.Request(f"{base}/api/v2/users?pageSize=500&pageNumber={page}",
                                 headers={"Authorization": "Bearer " + token})
    entities = json.load(urllib.request.urlopen(req))["entities"]
    if not entities:
        break
    ids += [e["id"] for e in entities]
    page += 1
schedule = json.dumps({"weekDate": "2026-12-07", "shifts": [{"startDate": "2026-12-07T08:00:00Z",
    "lengthMinutes": 480, "activities": [{"startDate": "2026-12-07T08:00:00Z", "lengthMinutes": 480,
    "activityCodeId": "0", "description": "Work"}]}]}, separators=(",", ":"))
with open(path, "w") as out:
    for user in ids[:count]:
        out.write(json.dumps({"userId": user, "schedule": json.loads(schedule)}, separators=(",", ":")) + "\n")
PY
}

stats() { curl -s "$BASE/__emulator/stats"; }

field() { python3 -c "import json,sys;d=json.load(open('$1'));print(d$2)"; }

bench_profile() {
    local profile="$1" ideal="$2" method="$3" path="$4" kind="$5"
    printf 'profile = "%s"\nseed_routes = true\n' "$profile" >"$WORK/$profile.toml"
    start_emulator "$profile" --config "$WORK/$profile.toml" --agents 1000
    write_input "$WORK/$profile.jsonl" 500 "$kind"
    "$PACER" apply "$WORK/$profile.jsonl" --api-url "$BASE" --method "$method" --path "$path" \
        --no-progress --report "$WORK/$profile.json" 2>"$WORK/$profile.err" || { cat "$WORK/$profile.err" >&2; exit 1; }
    stats >"$WORK/$profile.stats"
    python3 - "$profile" "$ideal" "$WORK/$profile.json" "$WORK/$profile.stats" <<'PY'
import json, sys
profile, ideal, report, stats = sys.argv[1], float(sys.argv[2]), json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
print(f"{profile:8} 500 agents: elapsed {report['elapsed_s']:.1f} s, ideal {ideal:.0f} s, ratio {report['elapsed_s']/ideal:.3f}, "
      f"requests {report['requests_sent']}, 429s {report['throttled']}, succeeded {report['items_succeeded']}, "
      f"emulator users_written {stats['users_written']}, writes_total {stats['writes_total']}, max_writes_per_user {stats['max_writes_per_user']}")
PY
    stop_emulator
}

bench_throughput() {
    local agents=100000 connections=64
    start_emulator throughput --profile seed --no-limits --agents "$agents"
    write_input "$WORK/all.jsonl" "$agents" schedule
    # wrk at the same concurrency, through the same route, cycling through the agents.
    python3 - "$WORK/all.jsonl" "$WORK/ids.lua" <<'PY'
import json, sys
ids = [json.loads(l)["userId"] for l in open(sys.argv[1])]
with open(sys.argv[2], "w") as out:
    out.write("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
PY
    TOKEN="$(curl -s -u pacer-demo:pacer-demo-secret -d grant_type=client_credentials "$BASE/oauth/token" | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')"
    cat >>"$WORK/ids.lua" <<LUA
local n = 0
local body = '{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}'
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("PUT", "/api/v2/wfm/usersettings/" .. id .. "/schedule",
    {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, body)
end
LUA
    wrk -t 1 -c "$connections" -d 10s -s "$WORK/ids.lua" "$BASE" >"$WORK/wrk.txt"
    local wrk_rps
    wrk_rps="$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/wrk.txt")"
    # Twice: learning the (absent) limit from nothing, as against an unknown server, and with the
    # limit declared, as when the organization's limits API or the user gives it. With
    # BASELINE_PACER set, that build runs first in each mode, against the same emulator, for a
    # ratio measured side by side.
    local mode label binary
    local builds=("this build=$PACER")
    [ -n "${BASELINE_PACER:-}" ] && builds=("baseline build=$BASELINE_PACER" "${builds[@]}")
    for mode in discovered declared; do
        for build in "${builds[@]}"; do
            label="${build%%=*}" binary="${build#*=}"
            local extra=()
            [ "$mode" = declared ] && extra=(--rate 1000000/s --burst 1000)
            "$binary" apply "$WORK/all.jsonl" --api-url "$BASE" --max-in-flight "$connections" --no-progress \
                --restart --journal "$WORK/$mode.sqlite" --report "$WORK/$mode.json" "${extra[@]}" 2>"$WORK/$mode.err" || { cat "$WORK/$mode.err" >&2; exit 1; }
            python3 - "$wrk_rps" "$WORK/$mode.json" "$mode" "$label" <<'PY'
import json, sys
wrk, report, mode, label = float(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
whole = report["items_succeeded"] / report["elapsed_s"]
sending = report["requests_sent"] / report["sending_s"]
print(f"{label}: limits off, 100,000 agents, 64 in flight, limit {mode}: wrk {wrk:.0f} requests/s; "
      f"apply {sending:.0f} requests/s while sending ({report['sending_s']:.2f} s), ratio {sending/wrk:.2f}; "
      f"{whole:.0f} items/s over the whole run ({report['elapsed_s']:.2f} s, with validation, journal load and authentication), ratio {whole/wrk:.2f}")
PY
        done
    done
    stop_emulator
}

bench_memory() {
    local rows=1000000
    start_emulator memory --profile seed --no-limits --agents "$rows"
    write_input "$WORK/million.jsonl" "$rows" schedule
    /usr/bin/time -f "%M" -o "$WORK/rss.txt" "$PACER" apply "$WORK/million.jsonl" --api-url "$BASE" \
        --max-in-flight 64 --no-progress --journal "$WORK/million.sqlite" 2>"$WORK/million.err" || { cat "$WORK/million.err" >&2; exit 1; }
    echo "limits off, 1,000,000-row input ($(du -m "$WORK/million.jsonl" | cut -f1) MB): apply peak RSS $(( $(cat "$WORK/rss.txt") / 1024 )) MB; $(tail -n 3 "$WORK/million.err" | head -n 1)"
    stop_emulator
}

bench_report() {
    local rows=1000000
    start_emulator report --profile seed --no-limits --agents "$rows"
    write_input "$WORK/million.jsonl" "$rows" schedule
    run_one() {
        local name="$1" binary="$2"; shift 2
        /usr/bin/time -f "%U %S" -o "$WORK/$name.cpu" "$binary" apply "$WORK/million.jsonl" --api-url "$BASE" \
            --max-in-flight 64 --no-progress --restart --journal "$WORK/$name.sqlite" "$@" 2>"$WORK/$name.err" \
            || { cat "$WORK/$name.err" >&2; exit 1; }
        awk -v n="$name" '{printf "%-28s CPU %.2f s (user %.2f + system %.2f)\n", n, $1 + $2, $1, $2}' "$WORK/$name.cpu"
    }
    if [ -n "${BASELINE_PACER:-}" ]; then run_one "baseline build" "$BASELINE_PACER"; fi
    run_one "plain" "$PACER"
    run_one "with report, html, metrics" "$PACER" --report "$WORK/r.json" --html "$WORK/r.html" --metrics "$WORK/r.prom"
    echo "files of a 1,000,000-item run: report $(du -k "$WORK/r.json" | cut -f1) KB, html $(du -k "$WORK/r.html" | cut -f1) KB, metrics $(du -k "$WORK/r.prom" | cut -f1) KB"
    stop_emulator
}

case "$WHAT" in
    seed) bench_profile seed 98 PUT '/api/v2/wfm/usersettings/{userId}/schedule' schedule ;;
    genesys) bench_profile genesys 60 PUT '/api/v2/wfm/usersettings/{userId}/schedule' schedule ;;
    throughput) bench_throughput ;;
    memory) bench_memory ;;
    report) bench_report ;;
    all)
        bench_profile seed 98 PUT '/api/v2/wfm/usersettings/{userId}/schedule' schedule
        bench_profile genesys 60 PUT '/api/v2/wfm/usersettings/{userId}/schedule' schedule
        bench_throughput
        bench_memory
        ;;
    *) echo "usage: $0 [seed|genesys|throughput|memory|report|all]" >&2; exit 2 ;;
esac
