#!/usr/bin/env bash
# Builds berth as it ships and copies the five executables into DIR (created if missing):
# berth-shim, berth-runtime and the berth CLI fully static (.build-bench-static: no dynamic
# loader, no relocations at start — `berth ps` takes 4.4 ms of CPU instead of 7.1), berth-engine
# and berth-supervisor with the static Swift stdlib (.build-bench). berth-engine
# finds berth-supervisor next to itself, the supervisor berth-shim, the shim berth-runtime, so
# DIR is a complete installation. Used by the benchmark scripts; incremental after the first run.
#
# Usage: scripts/bench/build-release.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: build-release.sh DIR}
quiet() { grep -vE "in statically linked applications requires at runtime|the use of .mktemp. is dangerous" || true; }
for product in berth-runtime berth-shim berth; do
  swift build -c release --scratch-path .build-bench-static --static-swift-stdlib -Xswiftc -static-executable \
    --product "$product" -q 2>&1 | quiet >&2
done
for product in berth-supervisor berth-engine; do
  swift build -c release --scratch-path .build-bench --static-swift-stdlib --product "$product" -q 2>&1 | quiet >&2
done
mkdir -p "$dir"
for file in .build-bench/release/{berth-engine,berth-supervisor} .build-bench-static/release/{berth-shim,berth-runtime,berth}; do
  name=$(basename "$file")  # copied then renamed: a running copy of the old one keeps its file
  cp "$file" "$dir/.$name.new" && mv -f "$dir/.$name.new" "$dir/$name"
done
