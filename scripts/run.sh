#!/usr/bin/env bash
# The README's "main job" command: sets up a fresh machine, starts berth-engine (berth's dockerd)
# on private directories — it starts its own berth-supervisor (berth's containerd) — loads the
# busybox test image and runs `berth run --rm busybox echo hello`; then runs a container in the
# background and tells `ps fxa`'s story (the engine and its supervisor child, each shim
# reparented away from the supervisor, the container's process the shim's child), shows the same
# task one layer down through berth-ctr, and removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
scripts/make-test-image.sh "$image" >/dev/null
for product in berth-runtime berth-shim berth-supervisor berth-ctr berth-engine berth; do
  swift build --product "$product"
done
bin=$(swift build --show-bin-path)

work=$(mktemp -d /tmp/berth-run-XXXXXX)
tag=berth-run-$$
berth=("$bin/berth" -H "unix://$work/engine.sock")
engine=
cleanup() {
  "${berth[@]}" rm -f demo >/dev/null 2>&1 || true
  if [ -n "$engine" ]; then kill "$engine" 2>/dev/null || true; wait "$engine" 2>/dev/null || true; fi
  if [ -f "$work/run/supervisor/supervisor.pid" ]; then
    pid=$(cat "$work/run/supervisor/supervisor.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for d in /sys/fs/cgroup/*/"$tag"; do [ -d "$d" ] && rmdir "$d"/* "$d" 2>/dev/null || true; done
  rm -rf "$work" "/run/berth/runtime/$tag"
}
trap cleanup EXIT

"$bin/berth-engine" --data-root "$work/data" --exec-root "$work/run" -H "unix://$work/engine.sock" \
  --supervisor-namespace "$tag" --cgroup-parent "/$tag" --log-level warning 2>"$work/engine.log" &
engine=$!
for _ in $(seq 200); do "${berth[@]}" version >/dev/null 2>&1 && break; sleep 0.05; done

echo "+ berth load -i busybox-oci.tar"
"${berth[@]}" load -i "$image/busybox-oci.tar"
echo "+ berth run --rm busybox echo hello"
"${berth[@]}" run --rm busybox echo hello

echo "+ berth run -d --name demo busybox sleep 1000; berth ps"
"${berth[@]}" run -d --name demo busybox sleep 1000 >/dev/null
"${berth[@]}" ps
echo "+ ps fxa (engine → supervisor; shim reparented to init → container)"
ps fxa -o pid,ppid,cmd | grep -E "berth-(engine|supervisor|shim)|sleep 1000" | grep -v grep | cut -c1-160
echo "+ berth-ctr tasks ls (the same container one layer down)"
"$bin/berth-ctr" -a "$work/run/supervisor/supervisor.sock" -n "$tag" tasks ls
"${berth[@]}" rm -f demo >/dev/null
