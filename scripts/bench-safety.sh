#!/usr/bin/env bash
# Benchmarks issue 21's three paths on the genesys profile (limits on, a schedule update
# processing for --bulk-processing, 3 s unless said):
#   undo:      1,500 agents written, one touched by another editor, then `pacer undo`: its API
#              requests (OAuth included) and time, next to the run's own;
#   narrowing: 3 of 1,500 agents refused by the server (bare errors): the updates the search
#              takes and its time, with a processing of 0.2 s;
#   units:     three business units of 500 agents in one run, against the same three run one
#              after the other: each time against the 3 s of processing.
#
# Usage: scripts/bench-safety.sh
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
export GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret

start_emulator() {
    "$PACER" emulate --profile genesys --listen 127.0.0.1:0 "$@" >"$WORK/emu.log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do grep -q "listening on" "$WORK/emu.log" && break; sleep 0.1; done
    BASE="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/emu.log" | head -1)"
}
stop_emulator() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
stat() { curl -s "$BASE/__emulator/stats" | python3 -c "import sys,json;print(json.load(sys.stdin)['$1'])"; }
now() { date +%s.%N; }
pacer() { "$PACER" "$@" --api-url "$BASE" --client-id pacer-demo --no-progress; }
# The agents' ids, as the users listing gives them, one a line.
agents() {
    python3 - "$BASE" "$1" <<'PY'
import base64, json, sys, urllib.request
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
print("\n".join(ids[:n]))
PY
}
week() { python3 -c "import datetime;t=datetime.date.today();print(t-datetime.timedelta(days=(t.weekday()-$1)%7))"; }
MONDAY="$(week 0)"; SUNDAY="$(week 6)"

echo "== undo: 1,500 agents, one touched since the run"
start_emulator --agents 1500
agents 1500 >"$WORK/ids"
{ echo "userId,weekDate,startDate,lengthMinutes,activityCodeId"
  while read -r id; do echo "$id,$MONDAY,${MONDAY}T07:00,600,Training"; done <"$WORK/ids"; } >"$WORK/in.csv"
r0="$(stat requests_total)"; t0="$(now)"
pacer apply "$WORK/in.csv" --business-unit North --report "$WORK/report.json" 2>/dev/null
t1="$(now)"; r1="$(stat requests_total)"
schedule="$(python3 -c "import json;print(json.load(open('$WORK/report.json'))['bulk']['weeks'][0]['schedule_id'])")"
curl -s -X POST "$BASE/__emulator/schedules/$schedule/touch?agentId=$(sed -n 8p "$WORK/ids")" >/dev/null
t2="$(now)"
pacer undo --journal "$WORK/in.csv.pacer.sqlite" 2>"$WORK/undo.log" || true
t3="$(now)"; r2="$(stat requests_total)"
python3 -c "print(f'run: {$r1 - $r0} requests, {$t1 - $t0:.2f} s; undo: {$r2 - $r1} requests, {$t3 - $t2:.2f} s (undo/run time {($t3 - $t2) / ($t1 - $t0):.2f}); left: $(grep -c ' left: ' "$WORK/undo.log" || true)')"
stop_emulator

echo "== narrowing: 3 of 1,500 agents refused, processing 0.2 s"
start_emulator --agents 1500 --bulk-processing 200ms
agents 1500 >"$WORK/ids"
body="$(python3 -c "import json;ids=open('$WORK/ids').read().split();print(json.dumps({'userIds':[ids[10],ids[700],ids[1403]]}))")"
curl -s -X POST -H 'Content-Type: application/json' -d "$body" "$BASE/__emulator/wfm/refuse" >/dev/null
{ echo "userId,weekDate,startDate,lengthMinutes,activityCodeId"
  while read -r id; do echo "$id,$MONDAY,${MONDAY}T07:00,480,Work"; done <"$WORK/ids"; } >"$WORK/narrow.csv"
t0="$(now)"
pacer apply "$WORK/narrow.csv" --business-unit North --max-agents-per-update 1500 2>/dev/null || true
t1="$(now)"
python3 -c "print(f'{$(stat updates_started)} updates, {$(stat users_written)} agents written, {$t1 - $t0:.2f} s ({($t1 - $t0) / $(stat updates_started):.2f} s an update, 0.2 s of it processing)')"
stop_emulator

echo "== three business units of 500 agents, processing 3 s"
start_emulator --agents 1500 --business-units 3
agents 1500 >"$WORK/ids"
{ echo "userId,weekDate,startDate,lengthMinutes,activityCodeId"
  n=0; while read -r id; do
      if [ "$n" -ge 500 ] && [ "$n" -lt 1000 ]; then w="$SUNDAY"; else w="$MONDAY"; fi
      echo "$id,$w,${MONDAY}T07:00,480,Work"; n=$((n + 1)); done <"$WORK/ids"; } >"$WORK/units.csv"
t0="$(now)"
pacer apply "$WORK/units.csv" --business-unit North --business-unit South --business-unit East 2>/dev/null
t1="$(now)"
for unit in North South East; do
    python3 - "$WORK/units.csv" "$unit" "$WORK/$unit.csv" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
part = {"North": rows[1:501], "South": rows[501:1001], "East": rows[1001:1501]}[sys.argv[2]]
open(sys.argv[3], "w").write("\n".join([rows[0]] + [r.replace("T07:00", "T08:00") for r in part]) + "\n")
PY
done
t2="$(now)"
for unit in North South East; do pacer apply "$WORK/$unit.csv" --business-unit "$unit" 2>/dev/null; done
t3="$(now)"
python3 -c "print(f'one run: {$t1 - $t0:.2f} s (3 s of processing + {$t1 - $t0 - 3:.2f} s); three runs one after the other: {$t3 - $t2:.2f} s; ratio {($t3 - $t2) / ($t1 - $t0):.2f}')"
stop_emulator
