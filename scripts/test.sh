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

# A hung test must fail the run with a diagnosis, not eat CI's whole time limit: swift test runs
# under a watchdog; when it fires, the tests that started and never finished and the process
# tree are printed.
run_tests() {
  local log status=0
  log=$(mktemp /tmp/berth-swift-test.XXXXXX)
  timeout --kill-after=30 "${BERTH_TEST_TIMEOUT:-900}" swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
  if [ "$status" -ne 0 ]; then
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
      echo "swift test did not finish within ${BERTH_TEST_TIMEOUT:-900} s; tests started and not finished:"
      grep -o 'Test [^ ]*) started' "$log" | sed 's/^Test //; s/ started$//' | sort > "$log.started"
      grep -oE 'Test [^ ]*\) (passed|failed|with [0-9]+ test cases (passed|failed))' "$log" | sed -E 's/^Test //; s/\) .*/)/' | sort > "$log.ended"
      comm -23 "$log.started" "$log.ended" | sed 's/^/  /'
      ps fxa -o pid,ppid,etimes,args | grep -E 'berth|containerd|runc|xctest' | grep -v grep || true
    else
      echo "failing tests:"; grep -E '^✘ Test .* (failed|recorded an issue)' "$log" | sed 's/^/  /' || true
    fi
    rm -f "$log" "$log.started" "$log.ended"
    exit 1
  fi
  rm -f "$log"
}
# ProcessWideReleaseTests give back the test process's own code and free heap: in a process of
# their own, so that trimming the shared one's heap does not stall the tests beside them.
run_tests --skip ProcessWideReleaseTests
run_tests --filter ProcessWideReleaseTests

# Real containerd 1.6 (its own runc shim) drives berth-runtime through a container's life.
timeout --kill-after=30 600 scripts/interop/containerd.sh "$(swift build --show-bin-path)/berth-runtime" "$image"
# Real containerd 1.6 drives berth-shim (which drives berth-runtime) through a container's life.
timeout --kill-after=30 600 scripts/interop/containerd-shim.sh "$(swift build --show-bin-path)/berth-shim" "$image"
# Real dockerd runs containers with --runtime berth.
timeout --kill-after=30 600 scripts/interop/dockerd.sh "$(swift build --show-bin-path)/berth-runtime" "$image"

# A short chaos run: 20 container lifecycles while the engine, the supervisor and shims are
# SIGKILLed at seeded moments; nothing may be lost or left (about a minute).
timeout --kill-after=10 180 scripts/chaos.sh 20 10
# The same on networks (none, the default bridge, a user network; some ports published): no veth,
# lease, iptables line or namespace may be left either.
CHAOS_NETWORK=mix timeout --kill-after=10 240 scripts/chaos.sh 20 11
# A layer of 300 000 entries against a limit lowered to 100 000: refused at import, nothing left.
BERTH_MAX_LAYER_ENTRIES=100000 BERTH_BIN="$(swift build --show-bin-path)" timeout --kill-after=10 180 scripts/hostile-tar.sh 300000

# Every input that once crashed a fuzzer stays a regression case (scripts/fuzz.sh TARGET finds them).
shopt -s nullglob
for target in rpc requests oci archive cni dns; do
  cases=(Tests/Fixtures/fuzz-$target/*)
  if [ ${#cases[@]} -gt 0 ]; then
    "$(swift build --show-bin-path)/berth-fuzz-$target" "${cases[@]}" >/dev/null
    echo "fuzz-$target regression inputs: ${#cases[@]} replayed"
  fi
done

scripts/check-leftovers.sh
