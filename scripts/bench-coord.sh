#!/usr/bin/env bash
# Benchmarks the coordinator (issues 13 and 23): `pacer apply` runners against `pacer emulate` on
# loopback and a redis-server of the script's own (Debian's redis-server; installed when missing
# and root).
#
# Usage: scripts/bench-coord.sh [shapes|runners|cost|all]   (default all: shapes, then cost)
#   shapes   for each shape of the org limit (fixed window, sliding window, token bucket), four
#            `pacer apply` processes each alone with a quarter of 1,000 agents, then four on one
#            input with the coordinator, side by side, each side on a fresh emulator; at x10
#            (SPEED=10: the org limit 6,000/min, each token 3,000/min, the seed profile). One table
#            per shape, with the physical bound (the org limit's and the four tokens'), and the
#            target: coordinated within 1.02 x alone + 0.5 s, at most 0.5% 429s.
#            SHAPES=fixed-window,token-bucket picks shapes; AGENTS, RUNNERS, SPEED change the run.
#   runners  (real time) four runners, 1,000 agents, an organization-wide limit of 600/min above each token's
#            300/min (seed profile): each alone with a quarter of the input, then all four on one
#            input with the coordinator (`pacer demo --runners 4`). Elapsed next to the ideal
#            (100 s), 429s, agents written, most writes of one agent.
#   cost     limits off, 20,000 agents: one runner without the coordinator, then one with it, in
#            turn PAIRS times (3): items per second of each, each ratio and their median, and
#            Redis round trips per item.
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

REDIS_PORT=""
start_redis() {
    [ -n "$REDIS_PORT" ] && return
    REDIS_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --logfile "$WORK/redis.log" &
    PIDS+=($!)
    for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

bench_shapes() {
    start_redis
    mkdir -p "$WORK/shapes"
    python3 - "$PACER" "$WORK/shapes" "redis://127.0.0.1:$REDIS_PORT" \
        "${SHAPES:-fixed-window,sliding-window,token-bucket}" <<'PY'
"""Four runners alone and four coordinated, side by side, for each shape of the org limit."""
import base64, json, os, re, subprocess, sys, time, urllib.request

pacer, work, redis_url = sys.argv[1], sys.argv[2], sys.argv[3]
shapes = sys.argv[4].split(",") if len(sys.argv) > 4 else ["fixed-window", "sliding-window", "token-bucket"]
agents = int(os.environ.get("AGENTS", "1000"))
runners = int(os.environ.get("RUNNERS", "4"))
speed = int(os.environ.get("SPEED", "10"))
org_limit, token_limit = 600 * speed, 300 * speed
env = dict(os.environ, GENESYSCLOUD_OAUTHCLIENT_ID="pacer-demo",
           GENESYSCLOUD_OAUTHCLIENT_SECRET="pacer-demo-secret")


def emulator(shape):
    log = open(os.path.join(work, f"emu-{shape}.log"), "w+")
    proc = subprocess.Popen([pacer, "emulate", "--listen", "127.0.0.1:0", "--profile", "seed",
                             "--agents", str(agents), "--token-rate", f"{token_limit}/min",
                             "--org-rate", f"{org_limit}/min", "--org-algorithm", shape],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(200):
        log.seek(0)
        m = re.search(r"listening on (http:\S+)", log.read())
        if m:
            return proc, m.group(1)
        time.sleep(0.05)
    raise SystemExit("the emulator did not start")


def get(url, token=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return json.load(urllib.request.urlopen(urllib.request.Request(url, headers=headers)))


def write_input(base):
    basic = base64.b64encode(b"pacer-demo:pacer-demo-secret").decode()
    req = urllib.request.Request(base + "/oauth/token", data=b"grant_type=client_credentials",
                                 headers={"Authorization": "Basic " + basic,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    token = json.load(urllib.request.urlopen(req))["access_token"]
    ids, page = [], 1
    while len(ids) < agents:
        entities = get(f"{base}/api/v2/users?pageSize=500&pageNumber={page}", token)["entities"]
        if not entities:
            break
        ids += [e["id"] for e in entities]
        page += 1
    schedule = '{""weekDate"":""2026-12-07"",""shifts"":[]}'
    rows = [f'{user},"{schedule}"\n' for user in ids[:agents]]
    paths = []
    per = -(-len(rows) // runners)
    for name, part in [("all", rows)] + [(f"slice-{i}", rows[i * per:(i + 1) * per]) for i in range(runners)]:
        path = os.path.join(work, f"{name}.csv")
        with open(path, "w") as out:
            out.write("userId,schedule\n")
            out.writelines(part)
        paths.append(path)
    return paths[0], paths[1:]


def side(shape, coordinated, run):
    emu, base = emulator(shape)
    try:
        whole, slices = write_input(base)
        # The token above was the emulator's own check; its counts start from here.
        urllib.request.urlopen(urllib.request.Request(base + "/__emulator/reset", method="POST"))
        procs = []
        started = time.monotonic()
        for i in range(runners):
            name = f"{'coord' if coordinated else 'alone'}-{shape}-{i}"
            args = [pacer, "apply", whole if coordinated else slices[i], "--api-url", base,
                    "--no-progress", "--report", os.path.join(work, name + ".json"),
                    "--journal", os.path.join(work, name + ".sqlite")]
            if coordinated:
                args += ["--coordinator", redis_url, "--run", run, "--runner", f"r{i}"]
            procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                          stderr=open(os.path.join(work, name + ".err"), "w"), env=env))
        codes = [p.wait() for p in procs]
        elapsed = time.monotonic() - started
        stats = get(base + "/__emulator/stats")
    finally:
        emu.terminate()
        emu.wait()
    throttled = stats["responses_by_status"].get("429", 0)
    trips = written = 0
    for i in range(runners):
        name = f"{'coord' if coordinated else 'alone'}-{shape}-{i}"
        try:
            section = json.load(open(os.path.join(work, name + ".json"))).get("coordinator") or {}
        except (OSError, ValueError):
            section = {}
        trips += section.get("redis_round_trips") or 0
        written += section.get("written_by_this_runner") or 0
    return dict(elapsed=elapsed, requests=stats["requests_total"], throttled=throttled,
                written=stats["users_written"], most=stats["max_writes_per_user"], codes=codes,
                trips=f"{trips / written:.2f}" if written else "-")


def bound(shape):
    """The physical bound: the org limit's and the tokens' (seed: a bucket of 10 per token)."""
    rate = org_limit / 60
    if shape == "token-bucket":
        org = max(agents - rate, 0) / rate  # its burst is one second of its rate
    else:
        org = max(agents - org_limit, 0) / rate
    per = -(-agents // runners)
    tokens = max(per - 10, 0) / (token_limit / 60)
    return max(org, tokens)


stamp = int(time.time())
for shape in shapes:
    alone = side(shape, False, None)
    coord = side(shape, True, f"shapes-{shape}-{stamp}")
    limit = bound(shape)
    print(f"\n{shape}: {agents} agents, org {org_limit}/min, tokens {token_limit}/min, {runners} runners; "
          f"physical bound {limit:.2f} s")
    print("| four runners | time | / bound | requests | 429s | written | most writes of one agent | Redis round trips per item |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, row in (("alone, a quarter each", alone), ("coordinated, one input", coord)):
        print(f"| {name} | {row['elapsed']:.2f} s | {row['elapsed'] / max(limit, 1e-9):.2f} | {row['requests']} | "
              f"{row['throttled']} ({100 * row['throttled'] / max(row['requests'], 1):.1f}%) | {row['written']} | "
              f"{row['most']} | {row['trips']} |")
        if any(row["codes"]):
            print(f"  exit codes: {row['codes']}")
    target = 1.02 * alone["elapsed"] + 0.5
    print(f"target: coordinated <= 1.02 x alone + 0.5 s = {target:.2f} s: "
          f"{'met' if coord['elapsed'] <= target else 'MISSED'} ({coord['elapsed']:.2f} s); "
          f"429s {'met' if coord['throttled'] * 200 <= coord['requests'] else 'MISSED'}")
    sys.stdout.flush()
PY
}

bench_cost() {
    start_redis
    local port="$REDIS_PORT"
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
    # Alone and coordinated in turn, PAIRS times (3 by default), so that the machine's noise
    # falls on both sides alike; each pair's ratio, then their median.
    local pairs="${PAIRS:-3}" i
    for i in $(seq 1 "$pairs"); do
        "$PACER" apply "$WORK/in.csv" --api-url "$base" --no-progress --report "$WORK/alone-$i.json" \
            --journal "$WORK/alone-$i.sqlite" 2>"$WORK/alone-$i.err"
        "$PACER" apply "$WORK/in.csv" --api-url "$base" --no-progress --report "$WORK/coord-$i.json" \
            --journal "$WORK/coord-$i.sqlite" --coordinator "redis://127.0.0.1:$port" --run "cost-$i" \
            --runner one 2>"$WORK/coord-$i.err"
    done
    python3 - "$WORK" "$pairs" <<'PY'
import json, os, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
ratios = []
print("| pair | alone, items/s | coordinated, items/s | ratio | Redis round trips per item |")
print("|---:|---:|---:|---:|---:|")
for i in range(1, pairs + 1):
    alone = json.load(open(os.path.join(work, f"alone-{i}.json")))
    coord = json.load(open(os.path.join(work, f"coord-{i}.json")))
    ra = alone["items_succeeded"] / alone["sending_s"]
    rc = coord["coordinator"]["written_by_this_runner"] / coord["sending_s"]
    ratios.append(rc / ra)
    print(f"| {i} | {ra:.0f} | {rc:.0f} | {rc / ra:.2f} | "
          f"{coord['coordinator']['redis_round_trips_per_item']:.2f} |")
median = statistics.median(ratios)
print(f"limits off, 20,000 agents: coordinated / alone, median of {pairs} pairs: {median:.2f} "
      f"(target at least 0.9: {'met' if median >= 0.9 else 'MISSED'})")
PY
}

case "$WHAT" in
    shapes) bench_shapes ;;
    runners) bench_runners ;;
    cost) bench_cost ;;
    all) bench_shapes; bench_cost ;;
    *) echo "usage: $0 [shapes|runners|cost|all]" >&2; exit 2 ;;
esac
