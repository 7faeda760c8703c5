#!/usr/bin/env bash
# Benchmarks the cost of TLS against the emulator: requests per second over HTTPS next to plain
# HTTP, in one run, with limits off. Two emulators with the same seed (so the same agents) run side
# by side, one plain (`pacer emulate`), one with `--tls`; each round measures both in turn, so that
# a change in the machine's load hits both alike:
#   wrk        the per-agent PUT at 64 keep-alive connections (the server's TLS: record
#              encryption only, the handshakes amortized over the connections' lives);
#   wrk close  the same with `Connection: close`, a new connection (and handshake) per request;
#   apply      `pacer apply` (per-agent path, 64 in flight) writing every agent: the client's TLS
#              (hyper-rustls, trusting the CA through --ca-file) and the server's together.
#
# Usage: scripts/bench-tls.sh [SECONDS_PER_WRK_RUN] [ROUNDS] [AGENTS]   (defaults 5, 3, 20000)
# Needs wrk (Debian package; installed with apt-get when missing and running as root).
set -euo pipefail

DURATION="${1:-5}"
ROUNDS="${2:-3}"
AGENTS="${3:-20000}"
CONNECTIONS=64
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else echo "bench-tls: wrk is missing (apt-get install wrk)" >&2; exit 1; fi
fi

cd "$ROOT"
cargo build --release -q -p pacer-cli
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
PACER="$TARGET/release/pacer"
export GENESYSCLOUD_OAUTHCLIENT_ID=pacer-demo
export GENESYSCLOUD_OAUTHCLIENT_SECRET=pacer-demo-secret
unset SSL_CERT_FILE

# start NAME ARGS...: starts `pacer emulate` on a free port; sets BASE and LAST_PID.
start() {
    local name="$1"; shift
    "$PACER" emulate --listen 127.0.0.1:0 --profile seed --no-limits --agents "$AGENTS" "$@" \
        >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    for _ in $(seq 1 100); do
        BASE="$(sed -n 's/.*listening on \(https\{0,1\}:[^ ]*\).*/\1/p' "$WORK/$name.log")"
        [ -n "$BASE" ] && return 0
        sleep 0.1
    done
    echo "bench-tls: the emulator did not start" >&2; cat "$WORK/$name.log" >&2; exit 1
}

start plain
PLAIN="$BASE"
start tls --tls --tls-ca-out "$WORK/ca.pem"
TLS="$BASE"

# The input (every agent, one schedule each) and wrk's script, from the plain emulator: both
# emulators have the same agents.
python3 - "$PLAIN" "$WORK/all.jsonl" "$AGENTS" "$WORK/put.lua" <<'PY'
import base64, json, sys, urllib.request
base, path, count, lua = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
basic = base64.b64encode(b"pacer-demo:pacer-demo-secret").decode()
req = urllib.request.Request(base + "/oauth/token", data=b"grant_type=client_credentials",
                             headers={"Authorization": "Basic " + basic,
                                      "Content-Type": "application/x-www-form-urlencoded"})
token = json.load(urllib.request.urlopen(req))["access_token"]
ids, page = [], 1
while len(ids) < count:
    req = urllib.request.Request(f"{base}/api/v2/users?pageSize=500&pageNumber={page}",
                                 headers={"Authorization": "Bearer " + token})
    entities = json.load(urllib.request.urlopen(req))["entities"]
    if not entities:
        break
    ids += [e["id"] for e in entities]
    page += 1
schedule = {"weekDate": "2026-12-07", "shifts": [{"startDate": "2026-12-07T08:00:00Z",
    "lengthMinutes": 480, "activities": [{"startDate": "2026-12-07T08:00:00Z", "lengthMinutes": 480,
    "activityCodeId": "0", "description": "Work"}]}]}
with open(path, "w") as out:
    for user in ids[:count]:
        out.write(json.dumps({"userId": user, "schedule": schedule}, separators=(",", ":")) + "\n")
with open(lua, "w") as out:
    out.write("ids = {" + ",".join(f'"{i}"' for i in ids[:count]) + "}\n")
    out.write("""
local n = 0
local body = '%s'
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  return wrk.format("PUT", "/api/v2/wfm/usersettings/" .. id .. "/schedule", headers, body)
end
""" % json.dumps(schedule, separators=(",", ":")))
PY

# The token of each emulator, for wrk (the OAuth request reads the credentials from a file).
printf 'user = "pacer-demo:pacer-demo-secret"\n' >"$WORK/curl-auth"
chmod 600 "$WORK/curl-auth"
mint() {
    curl -sf --cacert "$WORK/ca.pem" -K "$WORK/curl-auth" -d grant_type=client_credentials "$1/oauth/token" |
        python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])'
}
PLAIN_TOKEN="$(mint "$PLAIN")"
TLS_TOKEN="$(mint "$TLS")"

# wrk_rps BASE TOKEN [HEADER]: wrk's requests per second.
wrk_rps() {
    local base="$1" token="$2" extra=()
    [ -n "${3:-}" ] && extra=(-H "$3")
    wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s -H "Authorization: Bearer $token" \
        -H "Content-Type: application/json" "${extra[@]}" -s "$WORK/put.lua" "$base" >"$WORK/wrk.txt"
    if grep -q "Non-2xx" "$WORK/wrk.txt"; then cat "$WORK/wrk.txt" >&2; exit 1; fi
    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/wrk.txt"
}

# apply_rps BASE [ARGS...]: apply's requests per second while sending, every agent written.
apply_rps() {
    local base="$1"; shift
    "$PACER" apply "$WORK/all.jsonl" --api-url "$base" --max-in-flight "$CONNECTIONS" --no-progress \
        --restart --journal "$WORK/run.sqlite" --report "$WORK/run.json" "$@" 2>"$WORK/run.err" ||
        { cat "$WORK/run.err" >&2; exit 1; }
    python3 -c 'import json,sys;r=json.load(open(sys.argv[1]));assert r["items_succeeded"]==int(sys.argv[2]),r;print(r["requests_sent"]/r["sending_s"])' \
        "$WORK/run.json" "$AGENTS"
}

echo "bench-tls: ${DURATION}s per wrk run, $ROUNDS rounds, $AGENTS agents, $CONNECTIONS connections," \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    echo "$round wrk plain $(wrk_rps "$PLAIN" "$PLAIN_TOKEN")" >>"$WORK/results"
    echo "$round wrk tls $(wrk_rps "$TLS" "$TLS_TOKEN")" >>"$WORK/results"
    echo "$round close plain $(wrk_rps "$PLAIN" "$PLAIN_TOKEN" "Connection: close")" >>"$WORK/results"
    echo "$round close tls $(wrk_rps "$TLS" "$TLS_TOKEN" "Connection: close")" >>"$WORK/results"
    echo "$round apply plain $(apply_rps "$PLAIN")" >>"$WORK/results"
    echo "$round apply tls $(apply_rps "$TLS" --ca-file "$WORK/ca.pem")" >>"$WORK/results"
    tail -6 "$WORK/results"
done

python3 - "$WORK/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    rnd, what, scheme, rps = line.split()
    runs.setdefault((what, scheme), []).append(float(rps))
labels = {"wrk": "wrk, 64 keep-alive connections", "close": "wrk, a new connection per request",
          "apply": "pacer apply (per-agent, 64 in flight)"}
print()
print("| load | plain HTTP req/s (median) | HTTPS req/s (median) | HTTPS / HTTP per round | median |")
print("|---|---:|---:|---|---:|")
for what in ("wrk", "close", "apply"):
    plain, tls = runs[(what, "plain")], runs[(what, "tls")]
    ratios = [t / p for p, t in zip(plain, tls)]
    print(f"| {labels[what]} | {statistics.median(plain):,.0f} | {statistics.median(tls):,.0f} | "
          + ", ".join(f"{r:.0%}" for r in ratios) + f" | {statistics.median(ratios):.0%} |")
PY
