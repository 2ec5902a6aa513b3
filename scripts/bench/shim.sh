#!/usr/bin/env bash
# Benchmark (not a test: never run by scripts/test.sh or CI) of what one idle shim costs: N sleeping
# busybox containers (bundle-sleep of scripts/make-test-image.sh) under berth-shim, then N under
# Debian's containerd-shim-runc-v2, each shim started the way containerd starts it (`start` with
# cwd = bundle, then Create and Start over ttrpc, by scripts/bench/shim_bench.py, which also
# acknowledges the events the runc shim publishes), then N under Debian's conmon (podman's shim),
# started the way podman starts it (`conmon --api-version 1 ...` with _OCI_SYNCPIPE: conmon
# daemonizes, runs the runtime's `create` itself and reports the container's pid on the pipe; then
# `RUNTIME start`). After 2 s idle it reads, per shim process, VmRSS and Threads from
# /proc/PID/status and Pss and Private_Clean+Private_Dirty from /proc/PID/smaps_rollup, and prints
# them with the means, then the three means side by side. With N shims of one binary running, text
# pages are shared, so Pss (each shim's fair share) is the figure to compare with conmon's
# (0.45 MiB Pss, 2.0 MiB RSS, 1 thread: ../shared/notes/peers.md §4, measured with runc). Target:
# ≤ 2 MiB RSS and ≤ 0.5 MiB Pss per shim.
#
# berth-shim is the release build, fully static:
#   swift build -c release --scratch-path .build-static-shim --product berth-shim \
#     --static-swift-stdlib -Xswiftc -static-executable
# (override with BERTH_SHIM=path); the runtime it drives is BERTH_RUNTIME (default .build/debug/
# berth-runtime; it only runs during Create and Start, so its build does not change the figures).
# containerd-shim-runc-v2 drives Debian's runc with its default root (/run/containerd/runc/<ns>).
# conmon (CONMON=path, default /usr/bin/conmon; package conmon, scripts/install-deps.sh) drives
# CONMON_RUNTIME (default Debian's runc, as in peers.md §4; CONMON_RUNTIME=$BERTH_RUNTIME works too)
# with a private --root in the temporary directory; containers bench-conmon-<pid>-cN, each bundle a
# copy. If conmon is missing or fails, the script says why and still reports the other two.
# Cleanup on exit (also on failure): every container deleted and shim shut down by the driver,
# stragglers killed by pid, `runc delete --force` of the runc shim's containers, `kill KILL` and
# `delete --force` of whatever is left in conmon's runtime root and any conmon of its pid files
# killed, cgroups named after the namespaces or conmon's containers removed, the temporary directory
# removed.
#
# Usage: [N=10] [CONMON=path] [CONMON_RUNTIME=path] scripts/bench/shim.sh     (as root)
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
CONMON=${CONMON:-/usr/bin/conmon}
CONMON_RUNTIME=${CONMON_RUNTIME:-/usr/sbin/runc}

work=$(mktemp -d /tmp/berth-shim-bench.XXXXXX)
cleanup() {
  # conmon's containers, if its driver did not get to delete them (killed, say)
  if [ -d "$work/conmon/runtime-root" ]; then
    for id in $("$CONMON_RUNTIME" --root "$work/conmon/runtime-root" list -q 2>/dev/null); do
      "$CONMON_RUNTIME" --root "$work/conmon/runtime-root" kill "$id" KILL >/dev/null 2>&1 || true
      "$CONMON_RUNTIME" --root "$work/conmon/runtime-root" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  for pidfile in "$work"/conmon/pids/*.conmon; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = conmon ] && kill -KILL "$pid" 2>/dev/null || true
  done
  for root in /run/containerd/runc/bench-containerd-*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
    rmdir "$root" 2>/dev/null || true
  done
  for dir in /sys/fs/cgroup/*/bench-* /sys/fs/cgroup/bench-*; do [ -d "$dir" ] && rmdir "$dir" 2>/dev/null || true; done
  # runc puts a container with no cgroupsPath under its caller's cgroup (conmon's = ours), deeper down
  find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name 'bench-conmon-*' 2>/dev/null | sort -r \
    | while read -r dir; do rmdir "$dir" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-test-image.sh "$work/image" >/dev/null
file -b "$BERTH_SHIM" | grep -q 'statically linked' && static=yes || static=NO
printf 'berth-shim %s (%s MiB, static: %s); %s %s\n' "$(git rev-parse --short HEAD)" \
  "$(( $(stat -c %s "$BERTH_SHIM") / 1048576 ))" "$static" "$RUNC_SHIM" \
  "$($RUNC_SHIM -v 2>/dev/null | awk '/Version/{print $2}')"
conmon_skip=
if [ ! -x "$CONMON" ]; then
  conmon_skip="$CONMON is missing: run scripts/install-deps.sh"
elif [ ! -x "$CONMON_RUNTIME" ]; then
  conmon_skip="its runtime $CONMON_RUNTIME is missing"
else
  printf '%s %s (%s KiB), runtime %s\n' "$CONMON" "$("$CONMON" --version 2>/dev/null | awk '/version/{print $3}')" \
    "$(( $(stat -c %s "$CONMON") / 1024 ))" "$CONMON_RUNTIME"
fi

mkdir "$work/berth" "$work/containerd" "$work/conmon"
# Each driver's output is shown as it comes; its MEAN line is kept for the summary.
python3 scripts/bench/shim_bench.py berth "$BERTH_SHIM" "$work/image" "$work/berth" "$N" "$BERTH_RUNTIME" \
  | tee -a "$work/means"
python3 scripts/bench/shim_bench.py containerd "$RUNC_SHIM" "$work/image" "$work/containerd" "$N" \
  | tee -a "$work/means"
if [ -z "$conmon_skip" ] && ! python3 scripts/bench/shim_bench.py conmon "$CONMON" "$work/image" "$work/conmon" \
    "$N" "$CONMON_RUNTIME" | tee -a "$work/means"; then
  conmon_skip="its driver failed (its error is above)"
fi
[ -z "$conmon_skip" ] || echo "shim.sh: no conmon figures: $conmon_skip" >&2

echo
echo "means per shim (N=$N):"
awk '$1 == "MEAN" {
  name = $2 == "berth" ? "berth-shim" : $2 == "containerd" ? "containerd-shim-runc-v2" : $2
  sub(/^n=/, "", $3); sub(/^VmRSS=/, "", $4); sub(/^Pss=/, "", $6); sub(/^Private=/, "", $8); sub(/^Threads=/, "", $10)
  if (!header++) printf "%-24s %5s %10s %8s %12s %8s\n", "shim", "n", "VmRSS MiB", "Pss MiB", "Private MiB", "Threads"
  printf "%-24s %5s %10s %8s %12s %8s\n", name, $3, $4, $6, $8, $10
}' "$work/means"
