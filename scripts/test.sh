#!/usr/bin/env bash
# The README's test command: installs what the build and tests need (Debian packages), builds
# berth with its tests, makes the busybox test image, runs every test and the interop scripts
# (real containerd and dockerd driving berth-runtime), replays the fuzzers' regression inputs, and fails if
# a test left a container, mount, shim or socket behind.
# Exits non-zero on any failure. Tests run as root: they start real containers.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
scripts/make-test-image.sh "$image" >/dev/null
export BERTH_TEST_IMAGE=$image

swift build --build-tests
swift test --skip-build

# Real containerd 1.6 (its own runc shim) drives berth-runtime through a container's life.
scripts/interop/containerd.sh "$(swift build --show-bin-path)/berth-runtime" "$image"
# Real containerd 1.6 drives berth-shim (which drives berth-runtime) through a container's life.
scripts/interop/containerd-shim.sh "$(swift build --show-bin-path)/berth-shim" "$image"
# Real dockerd runs containers with --runtime berth.
scripts/interop/dockerd.sh "$(swift build --show-bin-path)/berth-runtime" "$image"

# Every input that once crashed a fuzzer stays a regression case.
shopt -s nullglob
cases=(Tests/Fixtures/fuzz-rpc/*)
if [ ${#cases[@]} -gt 0 ]; then
  "$(swift build --show-bin-path)/berth-fuzz-rpc" "${cases[@]}" >/dev/null
  echo "fuzz-rpc regression inputs: ${#cases[@]} replayed"
fi

scripts/check-leftovers.sh
