#!/usr/bin/env bash
# Benchmark (not a test: never run by scripts/test.sh or CI) of what one idle shim costs: N sleeping
# busybox containers (bundle-sleep of scripts/make-test-image.sh) under berth-shim, then N under
# Debian's containerd-shim-runc-v2, each shim started the way containerd starts it (`start` with
# cwd = bundle, then Create and Start over ttrpc, by scripts/bench/shim_bench.py, which also
# acknowledges the events the runc shim publishes). After 2 s idle it reads, per shim process,
# VmRSS and Threads from /proc/PID/status and Pss and Private_Clean+Private_Dirty from
# /proc/PID/smaps_rollup, and prints them with the means. With N shims of one binary running, text
# pages are shared, so Pss (each shim's fair share) is the figure to compare with conmon's
# (0.45 MiB Pss, 2.0 MiB RSS, 1 thread: ../shared/notes/peers.md §4). Target: ≤ 2 MiB RSS and
# ≤ 0.5 MiB Pss per shim.
#
# berth-shim is the release build, fully static:
#   swift build -c release --scratch-path .build-static-shim --product berth-shim \
#     --static-swift-stdlib -Xswiftc -static-executable
# (override with BERTH_SHIM=path); the runtime it drives is BERTH_RUNTIME (default .build/debug/
# berth-runtime; it only runs during Create and Start, so its build does not change the figures).
# containerd-shim-runc-v2 drives Debian's runc with its default root (/run/containerd/runc/<ns>).
# Cleanup on exit (also on failure): every container deleted and shim shut down by the driver,
# stragglers killed by pid, `runc delete --force` of the runc shim's containers, cgroups named after
# the namespaces removed, the temporary directory removed.
#
# Usage: [N=10] scripts/bench/shim.sh     (as root)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."

N=${N:-10}
case $N in ''|*[!0-9]*|0) echo "shim.sh: N must be a positive integer" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "shim.sh: must run as root (it starts containers)" >&2; exit 2; }
RUNC_SHIM=/usr/bin/containerd-shim-runc-v2
[ -x "$RUNC_SHIM" ] || { echo "shim.sh: $RUNC_SHIM is missing: run scripts/install-deps.sh" >&2; exit 2; }

if [ -z "${BERTH_SHIM:-}" ]; then
  swift build -c release --scratch-path .build-static-shim --product berth-shim \
    --static-swift-stdlib -Xswiftc -static-executable -q 2>&1 \
    | { grep -vE "in statically linked applications requires at runtime|the use of .mktemp. is dangerous" || true; } >&2
  BERTH_SHIM=$PWD/.build-static-shim/release/berth-shim
fi
BERTH_RUNTIME=${BERTH_RUNTIME:-$PWD/.build/debug/berth-runtime}
[ -x "$BERTH_RUNTIME" ] || { echo "shim.sh: $BERTH_RUNTIME is missing: swift build first" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-shim-bench.XXXXXX)
cleanup() {
  for root in /run/containerd/runc/bench-containerd-*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
    rmdir "$root" 2>/dev/null || true
  done
  for dir in /sys/fs/cgroup/*/bench-* /sys/fs/cgroup/bench-*; do [ -d "$dir" ] && rmdir "$dir" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-test-image.sh "$work/image" >/dev/null
file -b "$BERTH_SHIM" | grep -q 'statically linked' && static=yes || static=NO
printf 'berth-shim %s (%s MiB, static: %s); %s %s\n' "$(git rev-parse --short HEAD)" \
  "$(( $(stat -c %s "$BERTH_SHIM") / 1048576 ))" "$static" "$RUNC_SHIM" \
  "$($RUNC_SHIM -v 2>/dev/null | awk '/Version/{print $2}')"

mkdir "$work/berth" "$work/containerd"
python3 scripts/bench/shim_bench.py berth "$BERTH_SHIM" "$work/image" "$work/berth" "$N" "$BERTH_RUNTIME"
python3 scripts/bench/shim_bench.py containerd "$RUNC_SHIM" "$work/image" "$work/containerd" "$N"
