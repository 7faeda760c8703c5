#!/usr/bin/env bash
# Benchmarks `pacer export` and agents keyed by e-mail on the genesys profile (limits on).
#
# Part 1, export: a week of N agents (management units of at most 1,500, so 10,000 agents are 7
# units) to CSV, with the users looked up each way (auto, listing, search), side by side in one
# run: API requests (OAuth included; the emulator's counters before and after), time, rows.
# Part 2, keys: 1,500 agents keyed by e-mail in organizations of 1,500 and 20,000 users,
# `apply --dry-run` with each way of looking them up: the Users API's requests and the run's time.
#
# Usage: scripts/bench-export.sh [AGENTS...]   (default: 1500 10000)
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
WEEK="$(python3 -c 'import datetime;t=datetime.date.today();print(t-datetime.timedelta(days=t.weekday()))')"

start_emulator() {
    "$PACER" emulate --profile genesys --listen 127.0.0.1:0 --agents "$1" >"$WORK/emu.log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do grep -q "listening on" "$WORK/emu.log" && break; sleep 0.1; done
    BASE="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/emu.log" | head -1)"
}
stop_emulator() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
requests() { curl -s "$BASE/__emulator/stats" | python3 -c 'import sys,json;print(json.load(sys.stdin)["requests_total"])'; }
now() { date +%s.%N; }

if [ "$#" -eq 0 ]; then set -- 1500 10000; fi
echo "== export: one week of the business unit North"
for N in "$@"; do
    start_emulator "$N"
    for WAY in auto listing search; do
        before="$(requests)"; t0="$(now)"
        "$PACER" export --business-unit North --week "$WEEK" --output "$WORK/week.csv" --users-by "$WAY" \
            --api-url "$BASE" --client-id pacer-demo --no-progress 2>"$WORK/export.log"
        t1="$(now)"; after="$(requests)"
        rows=$(($(wc -l <"$WORK/week.csv") - 1))
        agents="$(tail -n +2 "$WORK/week.csv" | cut -d, -f1 | sort -u | wc -l)"
        python3 -c "print(f'$N agents, users by $WAY: {$after - $before} API requests, {$t1 - $t0:.2f} s, $agents agents, $rows rows')"
    done
    stop_emulator
done

echo "== 1,500 agents keyed by e-mail: apply --dry-run"
for ORG in 1500 20000; do
    start_emulator "$ORG"
    python3 -c "
print('email,weekDate,startDate,lengthMinutes,activityCodeId')
for i in range(1500):
    print(f'agent{i+1:05}@pacer-emulator.example,$WEEK,${WEEK}T09:00,480,Work')" >"$WORK/by-email.csv"
    for WAY in auto listing search; do
        t0="$(now)"
        "$PACER" apply "$WORK/by-email.csv" --business-unit North --dry-run --users-by "$WAY" \
            --api-url "$BASE" --client-id pacer-demo --no-progress >/dev/null 2>"$WORK/apply.log" || { cat "$WORK/apply.log"; exit 1; }
        t1="$(now)"
        line="$(grep -o "[0-9]* Users API requests (by [a-z]*)" "$WORK/apply.log")"
        python3 -c "print(f'organization of $ORG users, --users-by $WAY: the keys took $line; dry run {$t1 - $t0:.2f} s')"
    done
    stop_emulator
done
