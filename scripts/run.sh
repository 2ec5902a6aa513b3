#!/usr/bin/env bash
# The README's "main job" command: sets up a fresh machine, starts berth-supervisor (berth's
# containerd) on private directories, imports the busybox test image and runs a container from it
# through berth-ctr — its layers unpacked into overlay snapshots, a shim per container,
# berth-runtime underneath — then shows `ps fxa`'s story (the shim reparented away from the
# supervisor, the container its child), removes everything and stops the supervisor.
# When berth-engine lands this becomes `berth run --rm busybox echo hello`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
scripts/make-test-image.sh "$image" >/dev/null
swift build --product berth-runtime
swift build --product berth-shim
swift build --product berth-supervisor
swift build --product berth-ctr
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/berth-run-XXXXXX)
ns=berth-run-$$
ctr=("$bin/berth-ctr" -a "$work/supervisor.sock" -n "$ns")
supervisor=
cleanup() {
  "${ctr[@]}" tasks delete -f demo >/dev/null 2>&1 || true
  "${ctr[@]}" containers rm demo >/dev/null 2>&1 || true
  "${ctr[@]}" images rm busybox >/dev/null 2>&1 || true
  if [ -n "$supervisor" ]; then kill "$supervisor" 2>/dev/null || true; wait "$supervisor" 2>/dev/null || true; fi
  for d in /sys/fs/cgroup/*/"$ns"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/berth-supervisor" --root "$work/lib" --state "$work/run" --address "$work/supervisor.sock" \
  --log-level warning 2>"$work/supervisor.log" &
supervisor=$!
for _ in $(seq 100); do [ -S "$work/supervisor.sock" ] && break; sleep 0.05; done

echo "+ berth-ctr images import busybox-oci.tar"
"${ctr[@]}" images import "$image/busybox-oci.tar"
echo "+ berth-ctr run --rm busybox hello sh -c 'echo hello from \$(hostname)'"
"${ctr[@]}" run --rm --runtime-root "$work/runtime" busybox hello sh -c 'echo hello from $(hostname)'

echo "+ berth-ctr run -d busybox demo sleep 1000; ps fxa"
"${ctr[@]}" run -d --runtime-root "$work/runtime" busybox demo sleep 1000
"${ctr[@]}" tasks ls
ps fxa -o pid,ppid,cmd | grep -E "berth-(supervisor|shim)|sleep 1000" | grep -v grep
