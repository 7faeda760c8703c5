#!/usr/bin/env bash
# Benchmarks `pacer apply --business-unit` on the genesys profile: a week's schedules for N agents
# (two shifts each) through the business unit's schedule update, against `pacer emulate` with its
# limits on and a processing time of 3 s. Prints pacer's API requests (OAuth included; from the
# emulator's counters, before and after), the run's time against the processing time, and the
# emulator's write counters; then the per-agent path's bound for the same agents at 300 a minute.
#
# Usage: scripts/bench-bulk.sh [AGENTS...]   (default: 1500 10000)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$ROOT"
cargo build --release -q -p pacer-cli
PACER="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')/release/pacer"

if [ "$#" -eq 0 ]; then set -- 1500 10000; fi
for N in "$@"; do
  {
    "$PACER" emulate --profile genesys --listen 127.0.0.1:0 --agents "$N" --bulk-processing 3s >"$WORK/emu.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do grep -q "listening on" "$WORK/emu.log" && break; sleep 0.1; done
    BASE="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/emu.log" | head -1)"
    python3 - "$BASE" "$N" >"$WORK/in.csv" <<'PY'
import base64, datetime, json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
auth = base64.b64encode(b"pacer-demo:pacer-demo-secret").decode()
req = urllib.request.Request(base + "/oauth/token", data=b"grant_type=client_credentials",
    headers={"Authorization": "Basic " + auth, "Content-Type": "application/x-www-form-urlencoded"})
token = json.load(urllib.request.urlopen(req))["access_token"]
ids, page = [], 1
while len(ids) < n:
    url = f"{base}/api/v2/users?pageSize=500&pageNumber={page}"
    got = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + token})))
    if not got["entities"]:
        break
    ids += [e["id"] for e in got["entities"]]
    page += 1
today = datetime.date.today()
week = today - datetime.timedelta(days=today.weekday())
print("userId,weekDate,startDate,lengthMinutes,activityCodeId")
for i in ids[:n]:
    for day in (1, 2):
        print(f"{i},{week},{week + datetime.timedelta(days=day)}T09:00:00Z,480,Work")
PY
    before="$(curl -s "$BASE/__emulator/stats" | python3 -c 'import sys,json;print(json.load(sys.stdin)["requests_total"])')"
    start=$(date +%s.%N)
    GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret "$PACER" apply "$WORK/in.csv" --business-unit North \
        --api-url "$BASE" --client-id pacer-demo --no-progress --restart --report "$WORK/report.json" 2>"$WORK/apply.log"
    end=$(date +%s.%N)
    curl -s "$BASE/__emulator/stats" >"$WORK/stats.json"
    python3 - "$N" "$before" "$start" "$end" "$WORK/stats.json" "$WORK/report.json" <<'PY'
import json, sys
n, before, start, end = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
stats = json.load(open(sys.argv[5])); report = json.load(open(sys.argv[6]))
requests = stats["requests_total"] - before
elapsed = end - start
bound = (n - 1) // 300 * 60
print(f"{n} agents: {requests} API requests (OAuth included), {elapsed:.2f} s for 3 s of processing (+{elapsed - 3:.2f} s); "
      f"users_written {stats['users_written']}, max_writes_per_user {stats['max_writes_per_user']}, "
      f"updates {stats['updates_started']}; per-agent path bound at 300/min: {bound} s")
PY
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  }
done
