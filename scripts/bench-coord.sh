#!/usr/bin/env bash
# Benchmarks the coordinator (issue 13) in real time: `pacer apply` runners against `pacer
# emulate` on loopback and a redis-server of the script's own (Debian's redis-server; installed
# when missing and root).
#
# Usage: scripts/bench-coord.sh [runners|cost|all]   (default all)
#   runners  four runners, 1,000 agents, an organization-wide limit of 600/min above each token's
#            300/min (seed profile): each alone with a quarter of the input, then all four on one
#            input with the coordinator (`pacer demo --runners 4`). Elapsed next to the ideal
#            (100 s), 429s, agents written, most writes of one agent.
#   cost     limits off, 20,000 agents: one runner without the coordinator, then one with it, side
#            by side: items per second of each, the ratio, and Redis round trips per item.
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

if ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    else echo "bench-coord: redis-server is missing" >&2; exit 1; fi
fi

cd "$ROOT"
cargo build --release -q -p pacer-cli
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
PACER="$TARGET/release/pacer"
export GENESYSCLOUD_OAUTHCLIENT_ID=pacer-demo
export GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret

bench_runners() {
    "$PACER" demo --runners 4 --agents 1000 --dir "$WORK/runners" 2>"$WORK/runners.err" | tee "$WORK/runners.out"
    grep -E '^   [0-9]' "$WORK/runners.err" || true
    python3 - "$WORK/runners.out" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if "runners alone" in line or "one coordinator" in line:
        parts = line.split()
        rows["alone" if "alone" in line else "coordinated"] = (float(parts[-5].rstrip("s")), int(parts[-4]), int(parts[-3]))
for name, (elapsed, requests, throttled) in rows.items():
    print(f"{name:12} elapsed {elapsed:.1f} s = {elapsed/100:.3f} x ideal (100 s), {requests} requests, "
          f"{throttled} 429s ({100*throttled/max(requests,1):.1f}%)")
PY
}

bench_cost() {
    local port
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --logfile "$WORK/redis.log" &
    PIDS+=($!)
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    "$PACER" emulate --listen 127.0.0.1:0 --profile seed --no-limits --agents 20000 >"$WORK/emu.log" 2>&1 &
    PIDS+=($!)
    local base=""
    for _ in $(seq 1 100); do
        base="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/emu.log")"
        [ -n "$base" ] && break
        sleep 0.1
    done
    python3 - "$base" "$WORK/in.csv" 20000 <<'PY'
import base64, json, sys, urllib.request
base, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
basic = base64.b64encode(b"pacer-demo:pacer-demo-secret").decode()
req = urllib.request.Request(base + "/oauth/token", data=b"grant_type=client_credentials",
    headers={"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
token = json.load(urllib.request.urlopen(req))["access_token"]
ids, page = [], 1
while len(ids) < count:
    req = urllib.request.Request(f"{base}/api/v2/users?pageSize=500&pageNumber={page}",
                                 headers={"Authorization": "Bearer " + token})
    entities = json.load(urllib.request.urlopen(req))["entities"]
    if not entities: break
    ids += [e["id"] for e in entities]; page += 1
schedule = '{""weekDate"":""2026-12-07"",""shifts"":[]}'
with open(path, "w") as out:
    out.write("userId,schedule\n")
    for user in ids[:count]: out.write(f'{user},"{schedule}"\n')
PY
    "$PACER" apply "$WORK/in.csv" --api-url "$base" --no-progress --report "$WORK/alone.json" \
        --journal "$WORK/alone.sqlite" 2>"$WORK/alone.err"
    "$PACER" apply "$WORK/in.csv" --api-url "$base" --no-progress --report "$WORK/coord.json" \
        --journal "$WORK/coord.sqlite" --coordinator "redis://127.0.0.1:$port" --run cost \
        --runner one 2>"$WORK/coord.err"
    python3 - "$WORK/alone.json" "$WORK/coord.json" <<'PY'
import json, sys
alone, coord = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ra = alone["items_succeeded"] / alone["sending_s"]
rc = coord["coordinator"]["written_by_this_runner"] / coord["sending_s"]
print(f"limits off, 20,000 agents: alone {ra:.0f} items/s, with the coordinator {rc:.0f} items/s "
      f"(ratio {rc/ra:.2f}); Redis round trips per item {coord['coordinator']['redis_round_trips_per_item']:.2f}")
PY
}

case "$WHAT" in
    runners) bench_runners ;;
    cost) bench_cost ;;
    all) bench_runners; bench_cost ;;
    *) echo "usage: $0 [runners|cost|all]" >&2; exit 2 ;;
esac
