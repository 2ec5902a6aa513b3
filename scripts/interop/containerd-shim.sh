#!/usr/bin/env bash
# Interop: Debian's real containerd (1.6) drives berth-shim as its shim (`ctr run --runtime
# /abs/path/berth-shim`), berth-shim drives berth-runtime: run with exit status and output, run -d,
# exec, ps, pause/resume, kill, delete, and `ctr shim … state` straight over the shim's socket.
# containerd only learns of exits through berth-shim's events, so the task states check those too.
# containerd gets a private root, state and socket under a temp dir and is stopped by PID; shims
# are killed by the pids in their bundles; everything made is removed, also when a step fails.
# Usage: scripts/interop/containerd-shim.sh BERTH_SHIM TEST_IMAGE_DIR   (berth-runtime next to the shim)
set -euo pipefail
shim=$(readlink -f "$1")
image=$(readlink -f "$2")
runtime=$(dirname "$shim")/berth-runtime
[ -x "$runtime" ] || { echo "containerd-shim.sh: no berth-runtime next to $shim" >&2; exit 2; }
ns=berth-shim-interop-$$
R=$(mktemp -d /tmp/berth-ctrs.XXXXXX)
. "$(dirname "$0")/lib.sh"
bundles="$R/state/io.containerd.runtime.v2.task/$ns"
rtroot=/run/berth/runtime/$ns

cleanup() {
  set +e
  stop_daemon "$R/pid"
  # Shims of our namespace outlive containerd by design: end them by the pids they recorded.
  for f in "$bundles"/*/shim.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  sleep 0.2
  "$runtime" --root "$rtroot" list -q 2>/dev/null | xargs -r -n1 "$runtime" --root "$rtroot" delete --force
  findmnt -rn -o TARGET | grep "^$R/" | sort -r | xargs -r -n1 umount -l
  rm -rf "$R" "$rtroot"
  [ -n "${link:-}" ] && rm -f "$link"
  [ -n "${made_s:-}" ] && rmdir /run/containerd/s /run/containerd 2>/dev/null
  find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -path "*/$ns*" -exec rmdir {} \; 2>/dev/null
}
trap cleanup EXIT

start_containerd "$R"
ctr=(ctr -a "$R/containerd.sock" -n "$ns")
"${ctr[@]}" image import "$image/busybox-oci.tar" >/dev/null
img=docker.io/library/busybox:latest
status() { "${ctr[@]}" task ls 2>/dev/null | awk -v id="$1" '$1==id{print $3}'; }

set +e
out=$("${ctr[@]}" run --rm --runtime "$shim" "$img" s1 /bin/sh -c 'echo hello via berth-shim; exit 3' 2>&1)
check "run: exit status" 3 "$?"
check "run: output" "hello via berth-shim" "$out"

"${ctr[@]}" run -d --runtime "$shim" "$img" s2 /bin/sleep 1000 >/dev/null 2>&1
check "run -d: running" RUNNING "$(status s2)"
out=$("${ctr[@]}" task exec --exec-id e1 s2 /bin/sh -c 'echo exec ok; exit 4' 2>&1)
check "exec: exit status" 4 "$?"
check "exec: output" "exec ok" "$out"
check "exec: the task runs on" RUNNING "$(status s2)"
pid=$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="s2"{print $2}')
check "ps: init listed" "$pid" "$("${ctr[@]}" task ps s2 2>/dev/null | awk 'NR==2{print $1}')"
# 1.6's `ctr shim` looks only in /run/containerd/s; berth-shim names its socket next to -address
# (docs/architecture.md), so the check reaches it through a link there.
link=/run/containerd/s/$(printf '%s' "$R/containerd.sock/$ns/s2" | sha256sum | cut -c1-64)
[ -d /run/containerd/s ] || { mkdir -p /run/containerd/s && made_s=1; }
ln -sfn "$(sed 's|^unix://||' "$bundles/s2/address")" "$link"
state=$("${ctr[@]}" shim --id s2 state 2>&1)
rm -f "$link"
check "shim state: running, init pid" "yes" "$(grep -q '"status": 2' <<<"$state" && grep -q "\"pid\": $pid" <<<"$state" && echo yes || echo "$state")"
"${ctr[@]}" task pause s2
check "pause" PAUSED "$(status s2)"
"${ctr[@]}" task resume s2
check "resume" RUNNING "$(status s2)"
"${ctr[@]}" task kill -s KILL s2
for _ in $(seq 50); do [ "$(status s2)" = STOPPED ] && break; sleep 0.1; done
check "kill: stopped (TaskExit reached containerd)" STOPPED "$(status s2)"
"${ctr[@]}" task delete s2 >/dev/null 2>&1; "${ctr[@]}" container delete s2 >/dev/null 2>&1
check "delete" "" "$("${ctr[@]}" task ls -q 2>/dev/null)"
check "delete: runtime state gone" "" "$("$runtime" --root "$rtroot" list -q 2>/dev/null)"
for _ in $(seq 50); do ls "$bundles"/*/shim.pid >/dev/null 2>&1 || break; sleep 0.1; done
check "delete: shims gone" "" "$(ls "$bundles" 2>/dev/null)"
set -e

finish "containerd with berth-shim interop"
