#!/usr/bin/env bash
# Benchmarks the emulator's schedule update: 10,000 agents in one business unit, each week of its
# four published schedules updated with every agent (one upload per week), each update timed from
# its request to its `Complete` event on the notification socket, against the configured
# processing time; then the emulator's peak resident memory with all four weeks written.
#
# Usage: scripts/bench-wfm.sh [AGENTS] [PROCESSING]   (defaults 10000 and 3s)
set -euo pipefail

AGENTS="${1:-10000}"
PROCESSING="${2:-3s}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PID=""

cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
cargo build --release -q -p pacer-emulator --example serve --example bulk_update
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"

"$TARGET/release/examples/serve" --profile genesys --no-limits --agents "$AGENTS" \
    --bulk-processing "$PROCESSING" --listen 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$WORK/serve.log" && break
    sleep 0.1
done
BASE="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/serve.log" | head -1)"
[ -n "$BASE" ] || { cat "$WORK/serve.log"; exit 1; }
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
IDLE_KB="$(rss VmRSS)"

"$TARGET/release/examples/bulk_update" "$BASE" | tee "$WORK/weeks.jsonl"
PEAK_KB="$(rss VmHWM)"
END_KB="$(rss VmRSS)"

python3 - "$WORK/weeks.jsonl" "$PROCESSING" "$AGENTS" "$IDLE_KB" "$PEAK_KB" "$END_KB" <<'PY'
import json, sys
path, processing, agents, idle_kb, peak_kb, end_kb = sys.argv[1:]
unit = {"ms": 0.001, "s": 1, "m": 60}
number = processing.rstrip("msh")
configured = float(number) * unit[processing[len(number):] or "s"]
rows = [json.loads(line) for line in open(path)]
print()
print(f"{'week':<12}{'agents':>8}{'upload':>10}{'status':>10}{'processed':>11}{'over the configured':>21}")
for r in rows:
    print(f"{r['week']:<12}{r['agents']:>8}{r['upload_bytes']:>10}{r['status']:>10}"
          f"{r['processed_s']:>10.2f}s{r['processed_s'] - configured:>20.2f}s")
print(f"\nconfigured processing {configured:.1f}s; emulator RSS idle {int(idle_kb)/1024:.1f} MB; "
      f"with {len(rows)} weeks of {agents} agents written: {int(end_kb)/1024:.1f} MB, "
      f"peak {int(peak_kb)/1024:.1f} MB")
PY
