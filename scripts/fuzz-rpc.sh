#!/usr/bin/env bash
# Fuzzes the ttrpc frame decoder and request dispatch with libFuzzer for SECONDS (default 60).
# Usage: scripts/fuzz-rpc.sh [SECONDS]. Crashes land in .build-fuzz/crashes/; the corpus persists
# in .build-fuzz/corpus/ and is seeded with valid frames. Prints the executions count at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scratch=.build-fuzz
swift build -c release --scratch-path "$scratch" --product berth-fuzz-rpc \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DBERTH_FUZZ 2>&1 | grep -vE 'Cannot export local symbol' || true
bin="$scratch/release/berth-fuzz-rpc"
[ -x "$bin" ] || { echo "fuzz-rpc: build failed" >&2; exit 1; }
mkdir -p "$scratch/corpus" "$scratch/crashes"
# Seeds: a unary Connect request frame and an OK response, as the real shim sends them.
printf '\x00\x00\x00\x0b\x00\x00\x00\x01\x01\x00\x0a\x03f.S\x12\x01U\x1a\x01x' >"$scratch/corpus/seed-request"
printf '\x00\x00\x00\x06\x00\x00\x00\x01\x02\x00\x12\x04\x08\xda\x8d\x01' >"$scratch/corpus/seed-response"
# Swift's backtracer would hang on the first crash; libFuzzer reports it instead.
SWIFT_BACKTRACE=enable=no "$bin" "$scratch/corpus" -max_total_time="$seconds" -max_len=65536 \
  -artifact_prefix="$scratch/crashes/" -print_final_stats=1 2>&1 | tee "$scratch/last-run.log" | grep -E '^#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|ERROR|crash-' || true
if ls "$scratch/crashes/"crash-* >/dev/null 2>&1; then
  echo "fuzz-rpc: crashes found in $scratch/crashes" >&2
  exit 1
fi
