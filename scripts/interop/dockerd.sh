#!/usr/bin/env bash
# Interop: Debian's real dockerd (docker.io), on its own containerd, runs containers with
# `--runtime berth` (registered with --add-runtime): run with output and exit status, run -d,
# exec, stop (SIGTERM reaches the container), logs, rm. Both daemons get private roots and
# sockets under a temp dir, are stopped by PID, and what they made is removed on any exit.
# Usage: scripts/interop/dockerd.sh BERTH_RUNTIME TEST_IMAGE_DIR
set -euo pipefail
runtime=$(readlink -f "$1")
image=$(readlink -f "$2")
R=$(mktemp -d /tmp/berth-dockerd.XXXXXX)
made_run_docker=0
made_docker_cgroup=0
[ -d /sys/fs/cgroup/pids/docker ] || made_docker_cgroup=1
[ -d /run/docker ] || made_run_docker=1
. "$(dirname "$0")/lib.sh"


cleanup() {
  set +e
  stop_daemon "$R/d/dockerd.pid"
  stop_daemon "$R/c/pid"
  pkill -9 -f "containerd-shim-runc-v2 -namespace moby -id .* -address $R/" 2>/dev/null
  sleep 0.2
  "$runtime" --root /run/containerd/runc/moby list -q 2>/dev/null | xargs -r -n1 "$runtime" --root /run/containerd/runc/moby delete --force
  findmnt -rn -o TARGET | grep "^$R" | sort -r | xargs -r -n1 umount -l
  rm -rf "$R"
  rmdir /run/containerd/runc/moby 2>/dev/null
  # dockerd puts containers under /docker/<id>; the empty parent is ours if we made it.
  [ "$made_docker_cgroup" = 1 ] && find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name docker -exec rmdir {} \; 2>/dev/null
  [ "$made_run_docker" = 1 ] && rm -rf /run/docker
}
trap cleanup EXIT


mkdir -p "$R/c" "$R/d"
cat >"$R/c/config.toml" <<TOML
version = 2
root = "$R/c/root"
state = "$R/c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$R/c/containerd.sock"
[ttrpc]
  address = "$R/c/containerd.sock.ttrpc"
TOML
setsid containerd --config "$R/c/config.toml" >>"$R/c/log" 2>&1 </dev/null &
echo $! >"$R/c/pid"
for _ in $(seq 100); do [ -S "$R/c/containerd.sock" ] && break; sleep 0.1; done
setsid /usr/sbin/dockerd --data-root "$R/d/data" --exec-root "$R/d/exec" --pidfile "$R/d/dockerd.pid" \
  -H "unix://$R/docker.sock" --iptables=false --ip6tables=false --bridge=none \
  --containerd "$R/c/containerd.sock" --add-runtime "berth=$runtime" >>"$R/d/log" 2>&1 </dev/null &
docker=(/usr/bin/docker -H "unix://$R/docker.sock")
for _ in $(seq 150); do "${docker[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
"${docker[@]}" load -i "$image/busybox-docker.tar" >/dev/null

set +e
out=$("${docker[@]}" run --rm --runtime berth --network none busybox:latest /bin/sh -c 'echo hello via berth-runtime; exit 3' 2>&1)
check "run: exit status" 3 "$?"
check "run: output" "hello via berth-runtime" "$out"
"${docker[@]}" run -d --name s1 --runtime berth --network none busybox:latest \
  /bin/sh -c 'trap "echo got TERM; exit 0" TERM; while true; do sleep 0.1; done' >/dev/null
check "run -d: up" true "$("${docker[@]}" inspect -f '{{.State.Running}}' s1 2>&1)"
check "run -d: runtime" berth "$("${docker[@]}" inspect -f '{{.HostConfig.Runtime}}' s1 2>&1)"
out=$("${docker[@]}" exec s1 /bin/sh -c 'echo exec ok; exit 6' 2>&1)
check "exec: exit status" 6 "$?"
check "exec: output" "exec ok" "$out"
"${docker[@]}" stop s1 >/dev/null
check "stop: SIGTERM reached the container" "got TERM" "$("${docker[@]}" logs s1 2>&1)"
check "stop: exit code" 0 "$("${docker[@]}" inspect -f '{{.State.ExitCode}}' s1 2>&1)"
"${docker[@]}" rm s1 >/dev/null
check "rm" "" "$("${docker[@]}" ps -aq 2>&1)"
set -e

finish "dockerd interop"
