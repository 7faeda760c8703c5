#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, on the nightly
# toolchain with cargo-fuzz (libFuzzer; installed when missing). Each run starts from the small
# corpus kept in fuzz/corpus/<target>/ and grows a working copy under target/fuzz/corpus/; a crash
# is saved under fuzz/artifacts/<target>/ (make it a regression: copy it into
# fuzz/regressions/<target>/, where `cargo test -p pacer-fuzz` replays it on stable).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 3600     # each target until 10 million runs (or an hour)
#
# Prints one line per target: executions, executions per second, corpus size; exits 1 when any
# target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^pacer-fuzz-targets$')
fi

# Release code with debug assertions and overflow checks; no sanitizer (the targets run safe
# Rust only), which keeps executions fast.
flags=(--release --debug-assertions --sanitizer none --target-dir "$PWD/target/fuzz")
(cd fuzz && cargo +nightly fuzz build "${flags[@]}")

failed=0
printf '%-18s %14s %10s %8s %s\n' target executions exec/s corpus result
for target in "${targets[@]}"; do
  work="target/fuzz/corpus/$target"
  mkdir -p "$work" "fuzz/artifacts/$target"
  log="target/fuzz/$target.log"
  set +e
  (cd fuzz && cargo +nightly fuzz run "${flags[@]}" "$target" "../$work" "corpus/$target" -- \
    -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="artifacts/$target/") >"$log" 2>&1
  code=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$work" -type f | wc -l)
  if [ "$code" = 0 ]; then result=ok; else result="CRASH (see $log)"; failed=1; fi
  printf '%-18s %14s %10s %8s %s\n' "$target" "${execs:-?}" "${rate:-?}" "$size" "$result"
done
exit $failed
