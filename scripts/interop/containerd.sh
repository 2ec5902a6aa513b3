#!/usr/bin/env bash
# Interop: Debian's real containerd (1.6) and its containerd-shim-runc-v2 drive berth-runtime as
# their runtime binary (`ctr run --runc-binary`): run with exit status, run -d, exec, ps,
# pause/resume, kill, delete. containerd gets a private root, state and socket under a temp dir,
# is stopped by PID, and everything it made is removed, also when a step fails.
# Usage: scripts/interop/containerd.sh BERTH_RUNTIME TEST_IMAGE_DIR
set -euo pipefail
runtime=$(readlink -f "$1")
image=$(readlink -f "$2")
ns=berth-interop-$$
R=$(mktemp -d /tmp/berth-ctrd.XXXXXX)
. "$(dirname "$0")/lib.sh"

cleanup() {
  set +e
  stop_daemon "$R/pid"
  # Shims of our namespace (containerd leaves them running by design), then what they held.
  pkill -9 -f "containerd-shim-runc-v2 -namespace $ns " 2>/dev/null
  sleep 0.2
  "$runtime" --root "/run/containerd/runc/$ns" list -q 2>/dev/null | xargs -r -n1 "$runtime" --root "/run/containerd/runc/$ns" delete --force
  findmnt -rn -o TARGET | grep "^$R/" | sort -r | xargs -r -n1 umount -l
  rm -rf "$R" "/run/containerd/runc/$ns"
  # ctr puts containers at /<namespace>/<id>; runc removes the leaf, the empty parents are ours.
  find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -path "*/$ns*" -exec rmdir {} \; 2>/dev/null
}
trap cleanup EXIT


start_containerd "$R"
ctr=(ctr -a "$R/containerd.sock" -n "$ns")
"${ctr[@]}" image import "$image/busybox-oci.tar" >/dev/null
img=docker.io/library/busybox:latest

set +e
out=$("${ctr[@]}" run --rm --runc-binary "$runtime" "$img" r1 /bin/sh -c 'echo hello via berth-runtime; exit 3' 2>&1)
check "run: exit status" 3 "$?"
check "run: output" "hello via berth-runtime" "$out"

"${ctr[@]}" run -d --runc-binary "$runtime" "$img" r2 /bin/sleep 1000 >/dev/null 2>&1
check "run -d: running" RUNNING "$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $3}')"
out=$("${ctr[@]}" task exec --exec-id e1 r2 /bin/sh -c 'echo exec ok; exit 4' 2>&1)
check "exec: exit status" 4 "$?"
check "exec: output" "exec ok" "$out"
pid=$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $2}')
check "ps: init listed" "$pid" "$("${ctr[@]}" task ps r2 2>/dev/null | awk 'NR==2{print $1}')"
"${ctr[@]}" task pause r2
check "pause" PAUSED "$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $3}')"
"${ctr[@]}" task resume r2
check "resume" RUNNING "$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $3}')"
"${ctr[@]}" task kill -s KILL r2
for _ in $(seq 50); do [ "$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $3}')" = STOPPED ] && break; sleep 0.1; done
check "kill" STOPPED "$("${ctr[@]}" task ls 2>/dev/null | awk '$1=="r2"{print $3}')"
"${ctr[@]}" task delete r2 >/dev/null 2>&1; "${ctr[@]}" container delete r2 >/dev/null 2>&1
check "delete" "" "$("${ctr[@]}" task ls -q 2>/dev/null)"
check "delete: runtime state gone" "" "$("$runtime" --root "/run/containerd/runc/$ns" list -q 2>/dev/null)"
set -e

finish "containerd interop"
