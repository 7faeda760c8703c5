#!/usr/bin/env bash
# Benchmarks `pacer apply --business-unit` at the largest organizations' scale, the build before a
# change side by side with this one: for each size, a fresh `pacer emulate --profile genesys
# --bulk-processing 3s` per build, and pacer's own process measured with /usr/bin/time (peak
# resident memory, CPU user + system, wall time), with the emulator's count of API requests and
# writes.
#
# Every agent goes in one update (`--max-agents-per-update N`: the emulator's schedules are
# published, and Genesys notifies only 1,000 agents of a published change).
#
# Usage: scripts/bench-bulk-scale.sh [AGENTS:SHIFTS...]   (default: 2000:1 10000:5 100000:1)
#
# The build before is commit $BEFORE_REV (default e06b92e), exported with `git archive` and built
# in its own target directory; or $PACER_BEFORE, a binary already built.
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
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
cargo build --release -q -p pacer-cli
cp "$TARGET/release/pacer" "$WORK/pacer-after"
AFTER="$WORK/pacer-after"
BEFORE="${PACER_BEFORE:-}"
if [ -z "$BEFORE" ]; then
    mkdir -p "$WORK/before"
    git archive "${BEFORE_REV:-e06b92e}" | tar -x -C "$WORK/before"
    cargo build --release -q -p pacer-cli --manifest-path "$WORK/before/Cargo.toml" --target-dir "$TARGET/bench-before"
    BEFORE="$TARGET/bench-before/release/pacer"
fi

start_emulator() {
    "$AFTER" emulate --profile genesys --listen 127.0.0.1:0 --agents "$1" --bulk-processing 3s >"$WORK/emu.log" 2>&1 &
    PID=$!
    for _ in $(seq 300); do grep -q "listening on" "$WORK/emu.log" && break; sleep 0.1; done
    BASE="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/emu.log" | head -1)"
}

stop_emulator() {
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

if [ "$#" -eq 0 ]; then set -- 2000:1 10000:5 100000:1; fi
printf '| agents x shifts | build | peak RSS | CPU (user + sys) | time (3 s of processing) | requests | users_written | max_writes_per_user |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for SIZE in "$@"; do
    N="${SIZE%%:*}"; SHIFTS="${SIZE##*:}"
    # The emulator's agent ids are seeded: one input serves every fresh emulator of this size.
    start_emulator "$N"
    python3 - "$BASE" "$N" "$SHIFTS" >"$WORK/in.csv" <<'PY'
import base64, datetime, json, sys, urllib.request
base, n, shifts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
    for day in range(shifts):
        print(f"{i},{week},{week + datetime.timedelta(days=day)}T09:00:00Z,480,Work")
PY
    stop_emulator
    for BUILD in before after; do
        if [ "$BUILD" = before ]; then BIN="$BEFORE"; else BIN="$AFTER"; fi
        start_emulator "$N"
        before="$(curl -s "$BASE/__emulator/stats" | python3 -c 'import sys,json;print(json.load(sys.stdin)["requests_total"])')"
        rm -f "$WORK/in.csv.pacer.sqlite"* "$WORK/report.json"
        GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret /usr/bin/time -f '%M %U %S %e' -o "$WORK/time.txt" \
            "$BIN" apply "$WORK/in.csv" --business-unit North --api-url "$BASE" --client-id pacer-demo \
            --no-progress --restart --max-agents-per-update "$N" --report "$WORK/report.json" 2>"$WORK/apply.log" || { cat "$WORK/apply.log" >&2; exit 1; }
        curl -s "$BASE/__emulator/stats" >"$WORK/stats.json"
        stop_emulator
        python3 - "$N" "$SHIFTS" "$BUILD" "$before" "$WORK/time.txt" "$WORK/stats.json" <<'PY'
import json, sys
n, shifts, build, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rss_kb, user, system, elapsed = open(sys.argv[5]).read().split()[-4:]
stats = json.load(open(sys.argv[6]))
print(f"| {n:,} x {shifts} | {build} | {int(rss_kb) / 1024:.0f} MB | {float(user) + float(system):.2f} s | "
      f"{float(elapsed):.2f} s | {stats['requests_total'] - before} | {stats['users_written']:,} | "
      f"{stats['max_writes_per_user']} |")
PY
    done
done
