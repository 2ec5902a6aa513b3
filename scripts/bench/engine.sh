#!/usr/bin/env bash
# Benchmark (not a test: never run by scripts/test.sh or CI) of berth + berth-engine against
# Debian's docker CLI + dockerd, side by side in one run, each on private directories and sockets
# under one temporary directory:
#   1. `berth run --rm --network none busybox true` vs `docker run --rm --network none busybox true`, alternating,
#      WARMUP (2) unrecorded runs each, then N (20) recorded: mean and median ms and the ratio
#      berth/docker of the medians (target ≤ 0.25×; docker measured 282 ms, quiet 248 ms, on this
#      machine kind, ../shared/notes/peers.md).
#   1b. The same on a bridge network: `berth run --rm busybox true` (berth's default bridge
#      network: a pinned netns, CNI loopback + bridge + host-local, a veth) vs `docker run --rm
#      --network bench-br busybox true`, a bridge network of the same dockerd (docker's bridge
#      driver: netns, veth, IPAM; the dockerd runs with --iptables=false so it never touches the
#      host's firewall while other tests run — docker's default bridge adds no per-container rule
#      without -p either, so the per-run work is the same as on docker0).
#   2. Idle memory after the runs settle (SETTLE s, default 10: past the daemons' second idle
#      release, docs/architecture.md): VmRSS and Pss (smaps_rollup) of
#      berth-engine + its berth-supervisor vs dockerd + the containerd it started, and their sums
#      (target: engine + supervisor ≤ 30 MiB together).
#   3. With COUNT (100) containers created on each side (`berth create busybox true`,
#      `docker create --network none busybox true`, berth's with --network none too): `berth ps`, `berth ps -a`, `docker ps`,
#      `docker ps -a`, alternating, N times each: mean and median ms; the ratio of the `ps -a` means.
# Wall times are bash's $EPOCHREALTIME read right before and right after each command (no `date`
# processes inside the interval); command output goes to /dev/null.
# berth is built in release mode as it ships: berth-shim and berth-runtime fully static, the
# engine, the supervisor and the berth CLI with the static Swift stdlib. The docker side is
# Debian's dockerd 20.10 (`--bridge=none --iptables=false --ip6tables=false`) with the containerd
# it starts itself, and Debian's docker CLI (DOCKER, default /usr/bin/docker, 20.10 like the
# daemon); busybox loaded into each from scripts/make-test-image.sh's archives.
# Cleanup on exit, also on failure: containers removed through each daemon, daemons stopped by pid
# (SIGTERM, SIGKILL after 15 s), stray shims killed by pid, runtime state deleted, mounts under the
# temporary directory unmounted, the engine's cgroups removed, the temporary directory removed.
# Refuses to run while another run of it is under way (flock on this file).
#
# Usage: [N=20] [WARMUP=2] [COUNT=100] [SETTLE=10] [DOCKER=/usr/bin/docker] scripts/bench/engine.sh   (as root)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."

N=${N:-20}
WARMUP=${WARMUP:-2}
COUNT=${COUNT:-100}
SETTLE=${SETTLE:-10}
DOCKER=${DOCKER:-/usr/bin/docker}
die() { echo "engine.sh: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] && command -v containerd >/dev/null && command -v runc >/dev/null ||
  die "dockerd, $DOCKER, containerd or runc missing: run scripts/install-deps.sh"
exec 9<"$0"
flock -n 9 || die "another run of scripts/bench/engine.sh is under way"

scripts/bench/build-release.sh "$PWD/.build-bench/dist"
static=$PWD/.build-bench-static/release

R=$(mktemp -d /tmp/berth-bench-eng.XXXXXX)
tag=berth-bench-$$       # the engine's supervisor namespace and cgroup parent
made_run_docker=0
made_docker_cgroup=0
[ -d /run/docker ] || made_run_docker=1
[ -d /sys/fs/cgroup/pids/docker ] || [ -d /sys/fs/cgroup/memory/docker ] || made_docker_cgroup=1
. scripts/interop/lib.sh
# berth-engine finds berth-supervisor next to itself, the supervisor berth-shim, the shim berth-runtime.
mkdir -p "$R/bin" "$R/e" "$R/d"
cp .build-bench/dist/* "$R/bin/"

berth=("$R/bin/berth" -H "unix://$R/e/engine.sock")
docker=("$DOCKER" -H "unix://$R/d/docker.sock")
supervisor_pidfile=$R/e/run/supervisor/supervisor.pid
containerd_pidfile=$R/d/exec/containerd/containerd.pid

pids_matching() { pgrep -f "$1" || true; }  # pids of processes whose command line has this run's own paths
cleanup() {
  set +e
  if [ -f "$R/e/pid" ]; then
    ids=$(timeout 30 "${berth[@]}" ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && timeout 120 "${berth[@]}" rm -f $ids >/dev/null 2>&1
  fi
  if [ -f "$R/d/dockerd.pid" ]; then
    ids=$(timeout 30 "${docker[@]}" ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && timeout 120 "${docker[@]}" rm -f $ids >/dev/null 2>&1
  fi
  [ -f "$R/d/dockerd.pid" ] && timeout 30 "${docker[@]}" network rm bench-br >/dev/null 2>&1
  # berth's networks: its default bridge and firewall chain (named in its record's options).
  for record in "$R"/e/data/networks/all/*.pb; do
    [ -f "$record" ] || continue
    bridge=$(grep -ao 'bb-[0-9a-f]\{8\}' "$record" | head -1)
    [ -n "$bridge" ] || continue
    while iptables -w -D FORWARD -j "$bridge" 2>/dev/null; do :; done
    iptables -w -F "$bridge" 2>/dev/null; iptables -w -X "$bridge" 2>/dev/null; ip link del "$bridge" 2>/dev/null
  done
  stop_daemon "$R/e/pid"; stop_daemon "$supervisor_pidfile"
  stop_daemon "$R/d/dockerd.pid"; stop_daemon "$containerd_pidfile"
  for pid in $(pids_matching "berth-shim -namespace $tag ") $(pids_matching "containerd-shim-runc-v2 -namespace moby -id [0-9a-f]* -address $R/"); do
    kill -9 "$pid" 2>/dev/null
  done
  sleep 0.3
  for root in "/run/berth/runtime/$tag"; do
    "$static/berth-runtime" --root "$root" list -q 2>/dev/null | xargs -r -n1 "$static/berth-runtime" --root "$root" delete --force 2>/dev/null
  done
  for root in "$R"/d/exec/runtime-*/moby; do
    [ -d "$root" ] && runc --root "$root" list -q 2>/dev/null | xargs -r -n1 runc --root "$root" delete --force 2>/dev/null
  done
  findmnt -rn -o TARGET | grep "^$R/" | sort -r | xargs -r -n1 umount -l
  find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -path "*/$tag*" -exec rmdir {} \; 2>/dev/null
  # dockerd puts containers under /docker/<id>; the empty parent is ours if we made it.
  [ "$made_docker_cgroup" = 1 ] && find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name docker -exec rmdir {} \; 2>/dev/null
  [ "$made_run_docker" = 1 ] && rm -rf /run/docker
  rm -rf "$R" "/run/berth/runtime/$tag"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
sleep 2
read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
busy=$(( (u2 + n2 + s2 + q2 + sq2) - (u1 + n1 + s1 + q1 + sq1) ))
total=$(( busy + (i2 + w2 + st2) - (i1 + w1 + st1) ))
busy_pct=$(awk -v b=$busy -v t=$total 'BEGIN { printf "%.1f", t ? 100 * b / t : 0 }')
awk -v p="$busy_pct" 'BEGIN { exit !(p > 10) }' &&
  echo "warning: the machine is busy before the run (${busy_pct}% of CPU time over 2 s); figures will be noisy" >&2

scripts/make-test-image.sh "$R/image" >/dev/null

setsid "$R/bin/berth-engine" --data-root "$R/e/data" --exec-root "$R/e/run" -H "unix://$R/e/engine.sock" \
  --supervisor-namespace "$tag" --cgroup-parent "/$tag" --log-level warning >>"$R/e/log" 2>&1 </dev/null 9<&- &
echo $! >"$R/e/pid"
setsid /usr/sbin/dockerd --data-root "$R/d/data" --exec-root "$R/d/exec" --pidfile "$R/d/dockerd.pid" \
  -H "unix://$R/d/docker.sock" --bridge=none --iptables=false --ip6tables=false >>"$R/d/log" 2>&1 </dev/null 9<&- &
for _ in $(seq 200); do "${berth[@]}" version >/dev/null 2>&1 && break; sleep 0.05; done
"${berth[@]}" version >/dev/null || { cat "$R/e/log" >&2; die "berth-engine did not answer"; }
for _ in $(seq 150); do "${docker[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
"${docker[@]}" version >/dev/null || { cat "$R/d/log" >&2; die "dockerd did not answer"; }
[ -f "$containerd_pidfile" ] || die "dockerd's containerd has no pid file at $containerd_pidfile"

"${berth[@]}" load -i "$R/image/busybox-oci.tar" >/dev/null
"${docker[@]}" load -i "$R/image/busybox-docker.tar" >/dev/null

timed() {  # timed FILE CMD...: runs CMD (output to /dev/null), appends its wall time in µs to FILE
  local file=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  "$@" </dev/null >/dev/null || { echo "engine.sh: failed: $*" >&2; exit 1; }
  t1=$EPOCHREALTIME
  echo $(( ${t1/./} - ${t0/./} )) >>"$file"
}
stats() {  # stats FILE: "mean M ms, median D ms (min–max)" of µs values
  sort -n "$1" | awk '{a[NR]=$1; s+=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
    printf "mean %6.1f ms, median %6.1f ms (%.1f–%.1f)", s/NR/1e3, m/1e3, a[1]/1e3, a[NR]/1e3}'
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.3f", ((NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2)/1e3}'; }
mean() { awk '{s+=$1} END {printf "%.3f", s/NR/1e3}' "$1"; }
ratio() { awk -v b="$1" -v d="$2" 'BEGIN { printf "%.2f", b / d }'; }

echo "berth: release build (engine, supervisor, CLI static stdlib; shim, runtime fully static); docker: $("${docker[@]}" version -f 'client {{.Client.Version}}, dockerd {{.Server.Version}}') on its own containerd"
echo "1. run --rm busybox true, alternating, $WARMUP warm-up + n=$N each"
for i in $(seq "$WARMUP"); do
  timed "$R/warm" "${berth[@]}" run --rm --network none busybox true
  timed "$R/warm" "${docker[@]}" run --rm --network none busybox true
done
for i in $(seq "$N"); do
  timed "$R/t-berth-run" "${berth[@]}" run --rm --network none busybox true
  timed "$R/t-docker-run" "${docker[@]}" run --rm --network none busybox true
done
echo "   berth run --rm --network none busybox true:    $(stats "$R/t-berth-run")"
echo "   docker run --rm --network none busybox true:   $(stats "$R/t-docker-run")"
echo "   ratio berth/docker $(ratio "$(median "$R/t-berth-run")" "$(median "$R/t-docker-run")") of the medians, $(ratio "$(mean "$R/t-berth-run")" "$(mean "$R/t-docker-run")") of the means (target ≤ 0.25)"

echo "1b. run --rm busybox true on a bridge network, alternating, $WARMUP warm-up + n=$N each"
"${docker[@]}" network create bench-br >/dev/null
for i in $(seq "$WARMUP"); do
  timed "$R/warm" "${berth[@]}" run --rm busybox true
  timed "$R/warm" "${docker[@]}" run --rm --network bench-br busybox true
done
for i in $(seq "$N"); do
  timed "$R/t-berth-bridge" "${berth[@]}" run --rm busybox true
  timed "$R/t-docker-bridge" "${docker[@]}" run --rm --network bench-br busybox true
done
echo "   berth run --rm busybox true (bridge):          $(stats "$R/t-berth-bridge")"
echo "   docker run --rm --network bench-br busybox true: $(stats "$R/t-docker-bridge")"
echo "   ratio berth/docker $(ratio "$(median "$R/t-berth-bridge")" "$(median "$R/t-docker-bridge")") of the medians, $(ratio "$(mean "$R/t-berth-bridge")" "$(mean "$R/t-docker-bridge")") of the means"

mem() {  # mem PID: "VmRSS_KiB Pss_KiB"
  echo "$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status") $(awk '/^Pss:/ {print $2; exit}' "/proc/$1/smaps_rollup")"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
sleep "$SETTLE"
read -r er ep < <(mem "$(cat "$R/e/pid")")
read -r sr sp < <(mem "$(cat "$supervisor_pidfile")")
read -r dr dp < <(mem "$(cat "$R/d/dockerd.pid")")
read -r cr cp < <(mem "$(cat "$containerd_pidfile")")
echo "2. idle memory ${SETTLE} s after the runs (VmRSS / Pss, MiB)"
echo "   berth-engine $(mib "$er") / $(mib "$ep") + berth-supervisor $(mib "$sr") / $(mib "$sp") = $(mib $((er + sr))) / $(mib $((ep + sp))) (target ≤ 30)"
echo "   dockerd $(mib "$dr") / $(mib "$dp") + containerd $(mib "$cr") / $(mib "$cp") = $(mib $((dr + cr))) / $(mib $((dp + cp)))"
echo "   ratio berth/docker $(ratio $((er + sr)) $((dr + cr))) (VmRSS), $(ratio $((ep + sp)) $((dp + cp))) (Pss)"

for i in $(seq "$COUNT"); do
  "${berth[@]}" create --network none busybox true >/dev/null
  "${docker[@]}" create --network none busybox true >/dev/null
done
nb=$("${berth[@]}" ps -aq | wc -l); nd=$("${docker[@]}" ps -aq | wc -l)
[ "$nb" -eq "$COUNT" ] && [ "$nd" -eq "$COUNT" ] || die "expected $COUNT containers on each side, berth lists $nb, docker $nd"
echo "3. listing with $COUNT created containers on each side, alternating, n=$N each"
for i in $(seq "$N"); do
  timed "$R/t-berth-ps" "${berth[@]}" ps
  timed "$R/t-berth-psa" "${berth[@]}" ps -a
  timed "$R/t-docker-ps" "${docker[@]}" ps
  timed "$R/t-docker-psa" "${docker[@]}" ps -a
done
echo "   berth ps:     $(stats "$R/t-berth-ps")"
echo "   berth ps -a:  $(stats "$R/t-berth-psa")"
echo "   docker ps:    $(stats "$R/t-docker-ps")"
echo "   docker ps -a: $(stats "$R/t-docker-psa")"
echo "   ratio berth/docker ps -a $(ratio "$(mean "$R/t-berth-psa")" "$(mean "$R/t-docker-psa")") of the means, ps $(ratio "$(mean "$R/t-berth-ps")" "$(mean "$R/t-docker-ps")")"
