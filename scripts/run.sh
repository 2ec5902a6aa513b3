#!/usr/bin/env bash
# The README's "main job" command: sets up a fresh machine and runs a busybox container through
# what berth has so far. Today that is berth's ttrpc client and protocol driving Debian's
# containerd-shim-runc-v2 (create, start, wait, delete, events); as berth's own layers land, this
# becomes `berth run --rm busybox echo hello` against berth-engine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
scripts/make-test-image.sh "$image" >/dev/null
export BERTH_TEST_IMAGE=$image BERTH_SHOW_OUTPUT=1
swift build --build-tests
swift test --skip-build --filter RealShimTests
