#!/usr/bin/env bash
# Fails if tests left anything behind on this machine: mounts of a test rootfs or bundle, berth
# processes or test shims, runtime state (and berth-ctr task fifos) of test namespaces, network
# namespaces, berth's bridges, veths and iptables chains. Run after tests.
set -uo pipefail
problems=()
mounts=$(grep -E 'berth|/tmp/.*(rootfs|bundle|/volumes/)' /proc/self/mountinfo || true)
[ -n "$mounts" ] && problems+=("mounts left: $mounts")
# By process name, which the kernel cuts to 15 bytes (not arguments: a build command mentioning berth-runtime is not a leftover).
# Zombies are not counted: a daemon a test SIGKILLed is an orphan that only init can reap, and
# some inits (this sandbox's) reap late. Processes still exiting get up to 10 s.
living() { { ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ {print $1, $3}' | grep -E ' berth-(engine|superviso|shim|runtime)$'; pgrep -af '^/usr/bin/containerd-shim-runc-v2 -namespace (berth-|test )'; } || true; }
procs=$(living)
for _ in $(seq 20); do [ -z "$procs" ] && break; sleep 0.5; procs=$(living); done
[ -n "$procs" ] && problems+=("processes left: $procs")
state=$(ls -d /run/containerd/runc/berth-* /run/berth-runtime/* /run/berth/runtime/berth-* /run/berth/ctr-fifo/berth-* 2>/dev/null || true)
daemons=$(pgrep -af '^(containerd --config|/usr/sbin/dockerd --data-root) /tmp/berth-' || true)
[ -n "$daemons" ] && problems+=("test containerd still running: $daemons")
[ -n "$state" ] && problems+=("runtime state left: $state")
netns=$(ip netns list 2>/dev/null || true)
[ -n "$netns" ] && problems+=("network namespaces left: $netns")
# berth's networks: bridges "bb-*" (and their iptables chains of the same name), veths on them,
# and CNI's per-container chains (CNI-<hash>, CNI-DN-<hash>); portmap's shared CNI-HOSTPORT-*
# chains are CNI's own, kept for every CNI user, and not counted.
links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^bb-' || true)
links+=$(ip -o link show 2>/dev/null | grep -E 'master bb-' | awk -F': ' '{print " " $2}' || true)
[ -n "$links" ] && problems+=("network links left: $links")
rules=$(iptables-save 2>/dev/null | grep -E '(^:| -j )(bb-|CNI-(DN-)?[0-9a-f]{20,})' || true)
[ -n "$rules" ] && problems+=("iptables chains or rules left: $rules")
cgroups=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d \( -name 'berth-test*' -o -name 'berth-interop*' -o -name 'berth-shim-interop*' -o -name 'berth-dbg*' -o -name 'berth-chaos-*' -o -name 'berth-load-*' -o -name 'c-????????' \) 2>/dev/null || true)
[ -n "$cgroups" ] && problems+=("cgroups left: $cgroups")
tmp=$(ls -d /tmp/berth-rpc-* /tmp/berth-interop-* /tmp/berth-run-* /tmp/berth-rt-* /tmp/berth-out-* /tmp/berth-ctrd.* /tmp/berth-ctrs.* /tmp/berth-dockerd.* /tmp/berth-pty-* /tmp/bshim-* /tmp/bsup-* /tmp/berth-child-* /tmp/berth-images-* /tmp/berth-ctr-* /tmp/beng-* /tmp/berth-chaos-* /tmp/berth-load-* 2>/dev/null || true)
[ -n "$tmp" ] && problems+=("temporary files left: $tmp")
if [ ${#problems[@]} -gt 0 ]; then
  printf 'check-leftovers: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "check-leftovers: nothing left behind"
