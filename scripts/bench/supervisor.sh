#!/usr/bin/env bash
# Benchmark (not a test: never run by scripts/test.sh or CI) of berth-supervisor + berth-ctr
# against Debian's containerd + ctr, side by side in one run, each on private directories and
# sockets under one temporary directory:
#   1. `run --rm busybox ID /bin/true` (the busybox test image imported into both first; create —
#      with its overlay snapshot —, start, wait, delete), alternating berth-ctr and ctr, N times
#      each: medians and the ratio berth/ctr
#      (target ≤ 0.5; ctr measured 117 ms on this machine kind, ../shared/notes/peers.md).
#   2. Idle RSS of berth-supervisor and containerd after the runs (containerd: 37 MiB).
#   3. Restart: RUNNING detached containers (10 for both; LARGE, default 500, for berth only —
#      500 runc shims would need 6.5 GiB), the daemon killed with SIGKILL and started again; the
#      time from the restart to the first `tasks ls` that lists them all RUNNING (targets: ≤ 50 ms
#      at 10 and ≤ 1 s at 500; containerd 73 ms at 10).
# berth is built in release mode: berth-shim and berth-runtime fully static (as they ship), the
# supervisor and berth-ctr with the static Swift stdlib. Both stacks drive the same runtime kind:
# containerd's shim runs Debian's runc, berth-shim runs berth-runtime.
# Cleanup on exit, also on failure: daemons and shims stopped by pid, containers force-deleted
# through their runtimes, namespace cgroups and the temporary directory removed.
#
# Usage: [N=20] [LARGE=500] scripts/bench/supervisor.sh     (as root)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."

N=${N:-20}
LARGE=${LARGE:-500}
[ "$(id -u)" -eq 0 ] || { echo "supervisor.sh: must run as root" >&2; exit 2; }
command -v containerd >/dev/null && command -v ctr >/dev/null || { echo "supervisor.sh: containerd/ctr missing: run scripts/install-deps.sh" >&2; exit 2; }

quiet() { grep -vE "in statically linked applications requires at runtime|the use of .mktemp. is dangerous" || true; }
swift build -c release --scratch-path .build-bench-static --static-swift-stdlib -Xswiftc -static-executable \
  --product berth-runtime -q 2>&1 | quiet >&2
swift build -c release --scratch-path .build-bench-static --static-swift-stdlib -Xswiftc -static-executable \
  --product berth-shim -q 2>&1 | quiet >&2
swift build -c release --scratch-path .build-bench --static-swift-stdlib --product berth-supervisor -q 2>&1 | quiet >&2
swift build -c release --scratch-path .build-bench --static-swift-stdlib --product berth-ctr -q 2>&1 | quiet >&2
bin=$PWD/.build-bench/release
static=$PWD/.build-bench-static/release

R=$(mktemp -d /tmp/berth-bench-sup.XXXXXX)
ns=berth-bench-$$
. scripts/interop/lib.sh
scripts/make-test-image.sh "$R/image" >/dev/null
# berth-supervisor finds berth-shim next to itself, and berth-shim finds berth-runtime next to itself.
mkdir -p "$R/bin"
cp "$bin/berth-supervisor" "$bin/berth-ctr" "$static/berth-shim" "$static/berth-runtime" "$R/bin/"

ctr=(ctr -a "$R/ctrd/containerd.sock" -n "$ns")
bctr=("$R/bin/berth-ctr" -a "$R/sup/supervisor.sock" -n "$ns")
start_supervisor() {
  setsid "$R/bin/berth-supervisor" --root "$R/sup/lib" --state "$R/sup/run" --address "$R/sup/supervisor.sock" \
    --log-level warning >>"$R/sup/log" 2>&1 </dev/null &
  echo $! >"$R/sup/pid"
}

cleanup() {
  set +e
  for c in $("${bctr[@]}" tasks ls -q 2>/dev/null); do "${bctr[@]}" tasks delete -f "$c" >/dev/null 2>&1; done
  stop_daemon "$R/sup/pid"; stop_daemon "$R/ctrd/pid"
  pkill -9 -f "berth-shim -namespace $ns " 2>/dev/null
  pkill -9 -f "containerd-shim-runc-v2 -namespace $ns " 2>/dev/null
  sleep 0.3
  for root in "/run/containerd/runc/$ns" "/run/berth/runtime/$ns"; do
    runc --root "$root" list -q 2>/dev/null | xargs -r -n1 runc --root "$root" delete --force 2>/dev/null
    "$static/berth-runtime" --root "$root" list -q 2>/dev/null | xargs -r -n1 "$static/berth-runtime" --root "$root" delete --force 2>/dev/null
    rm -rf "$root"
  done
  findmnt -rn -o TARGET | grep -E "^$R/|/run/containerd/io.containerd.runtime.v2.task/$ns/" | sort -r | xargs -r -n1 umount -l
  find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -path "*/$ns*" -exec rmdir {} \; 2>/dev/null
  rm -rf "$R"
}
trap cleanup EXIT

mkdir -p "$R/ctrd" "$R/sup"
start_containerd "$R/ctrd"
start_supervisor
for _ in $(seq 100); do [ -S "$R/sup/supervisor.sock" ] && break; sleep 0.05; done

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1e6}'; }

"${bctr[@]}" images import "$R/image/busybox-oci.tar" >/dev/null
"${ctr[@]}" images import "$R/image/busybox-oci.tar" >/dev/null
img=docker.io/library/busybox:latest
echo "1. run --rm busybox ID /bin/true, alternating, n=$N"
: >"$R/t-berth"; : >"$R/t-ctr"
for i in $(seq "$N"); do
  t0=$(now); "${bctr[@]}" run --rm "$img" "b$i" /bin/true; t1=$(now); echo $((t1 - t0)) >>"$R/t-berth"
  t0=$(now); "${ctr[@]}" run --rm "$img" "c$i" /bin/true; t1=$(now); echo $((t1 - t0)) >>"$R/t-ctr"
done
mb=$(median <"$R/t-berth"); mc=$(median <"$R/t-ctr")
echo "   berth-ctr → berth-supervisor → berth-shim → berth-runtime: median $mb ms"
echo "   ctr → containerd → containerd-shim-runc-v2 → runc:        median $mc ms"
awk -v b="$mb" -v c="$mc" 'BEGIN { printf "   ratio berth/ctr %.2f (target ≤ 0.50)\n", b / c }'

rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
sleep 2
echo "2. idle RSS: berth-supervisor $(rss "$(cat "$R/sup/pid")"), containerd $(rss "$(cat "$R/ctrd/pid")")"

running() { "$@" tasks ls 2>/dev/null | awk '$3=="RUNNING"' | wc -l; }
restart_time() {  # restart_time WHICH COUNT: ms from restart to COUNT RUNNING listed
  local which=$1 count=$2 pidfile t0 t1
  if [ "$which" = berth ]; then pidfile=$R/sup/pid; else pidfile=$R/ctrd/pid; fi
  kill -9 "$(cat "$pidfile")"; sleep 0.5
  t0=$(now)
  if [ "$which" = berth ]; then start_supervisor; else
    setsid containerd --config "$R/ctrd/config.toml" >>"$R/ctrd/containerd.log" 2>&1 </dev/null & echo $! >"$R/ctrd/pid"; fi
  while true; do
    if [ "$which" = berth ]; then [ "$(running "${bctr[@]}")" -ge "$count" ] && break
    else [ "$(running "${ctr[@]}")" -ge "$count" ] && break; fi
    sleep 0.005
  done
  t1=$(now)
  echo $(((t1 - t0) / 1000000))
}
echo "3. SIGKILL → restart → all tasks listed RUNNING"
for i in $(seq 10); do
  "${bctr[@]}" run -d "$img" "s$i" /bin/sleep 1000
  "${ctr[@]}" run -d "$img" "s$i" /bin/sleep 1000
done
echo "   10 containers: berth-supervisor $(restart_time berth 10) ms, containerd $(restart_time ctrd 10) ms (targets ≤ 50 ms; containerd 73 ms in peers.md)"
for i in $(seq 11 "$LARGE"); do "${bctr[@]}" run -d "$img" "s$i" /bin/sleep 1000; done
echo "   $LARGE containers: berth-supervisor $(restart_time berth "$LARGE") ms (target ≤ 1000 ms)"
