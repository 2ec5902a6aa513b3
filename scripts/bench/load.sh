#!/usr/bin/env bash
# Load: `scripts/bench/load.sh [C] [D]` (C=100 clients, D=300 s). Starts berth-engine (and so
# its supervisor) on private directories, loads busybox, then C clients each run
# `berth run --rm --network $LOAD_NETWORK busybox true` (none by default; bridge puts CNI in the
# loop) back to back for D seconds while two samplers time `berth ps` once a second: one in the
# clients' login session, one in another session. Prints the runs done and failed, `berth ps`
# idle and p50/p90/p99/max under load from each session (target p99 < 200 ms; the time
# includes starting the CLI, which a saturated machine delays; /bin/true timed alongside shows
# by how much), the time the engine itself took
# to answer those `ps` calls (from its debug log of served calls), and the VmRSS of engine +
# supervisor (with its anonymous and file-backed parts) before, at the peak, and 30 s after the
# load ends (it should return to its baseline), also per daemon; LOAD_INSPECT=DIR keeps each
# daemon's smaps from before and after in DIR. LOAD_ROUNDS=R repeats the load R times, 30 s
# apart, and prints VmRSS after each: memory that grows round after round is a leak. berth is
# the release build as it ships (scripts/bench/build-release.sh), or the executables in
# BERTH_BIN. Placement follows a systemd machine: the engine in a cpu cgroup of its own, as
# under its unit (scripts/systemd: a service of its own, Delegate=yes), with its supervisor and
# shims; the containers in theirs (--cgroup-parent); the clients and the first sampler in one
# session's cgroup, the second sampler in another's, as systemd-logind gives each login a scope
# of its own. LOAD_CGROUP=shared keeps everything in the caller's cgroup (one sampler), as on a
# machine without service cgroups. LOAD_PEER=docker runs the same load against Debian's dockerd
# (private directories and socket, --bridge=none --iptables=false, busybox from the same image,
# in the same cgroup placement) with Debian's docker CLI, and reports dockerd + containerd's
# VmRSS, so the figures can be read side by side. LOAD_LAYOUT=split runs the lower daemon as a
# service of its own, as Debian packages docker (containerd.service, dockerd --containerd):
# berth-supervisor in a service cgroup of its own and berth-engine --supervisor in another,
# containerd and dockerd --containerd likewise; by default the engine starts its supervisor and
# dockerd its containerd, all in one service cgroup. Not part of CI. Cleans up everything on exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
C=${1:-100}
D=${2:-300}
R=${LOAD_ROUNDS:-1}
network=${LOAD_NETWORK:-none}
placement=${LOAD_CGROUP:-service}
layout=${LOAD_LAYOUT:-one}
case "$layout" in one|split) ;; *) echo "load.sh: LOAD_LAYOUT is one or split" >&2; exit 2 ;; esac
peer=${LOAD_PEER:-berth}
case "$peer" in
  berth) ;;
  docker) [ "$network" = none ] || { echo "load.sh: LOAD_PEER=docker runs with --network none only" >&2; exit 2; }
          [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || { echo "load.sh: dockerd missing: scripts/install-deps.sh" >&2; exit 2; } ;;
  *) echo "load.sh: LOAD_PEER is berth or docker" >&2; exit 2 ;;
esac
if [ -z "${BERTH_BIN:-}" ]; then
  scripts/bench/build-release.sh "$PWD/.build-bench/dist" || exit 1
fi
bin=${BERTH_BIN:-$PWD/.build-bench/dist}
image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
[ -f "$image/busybox-oci.tar" ] || scripts/make-test-image.sh "$image" >/dev/null
tag=berth-load-$$
work=$(mktemp -d "/tmp/$tag-XXXXXX")
sock=$work/engine.sock
if [ "$peer" = docker ]; then
  b() { timeout -k 5 120 /usr/bin/docker -H "unix://$work/d/docker.sock" "$@"; }
  cli=(/usr/bin/docker -H "unix://$work/d/docker.sock")
else
  b() { timeout -k 5 120 "$bin/berth" -H "unix://$sock" "$@"; }
  cli=("$bin/berth" -H "unix://$sock")
fi
made_run_docker=0; [ -d /run/docker ] || made_run_docker=1
made_docker_cgroup=0; [ -d /sys/fs/cgroup/pids/docker ] || [ -d /sys/fs/cgroup/memory/docker ] || made_docker_cgroup=1
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
engine=
supervisor=  # the lower daemon when LOAD_LAYOUT=split
service_cgroup=
supervisor_cgroup=

cleanup() {
  set +e
  touch "$work/stop"
  # Every job but the engine (dockerd), which must still answer the removals below.
  local others=() pid
  for pid in $(jobs -p); do [ "$pid" = "${engine:-}" ] || [ "$pid" = "${supervisor:-}" ] || others+=("$pid"); done
  [ "${#others[@]}" -gt 0 ] && { kill "${others[@]}" 2>/dev/null; wait "${others[@]}" 2>/dev/null; }
  # The clients' CLIs still in flight (killing a client's bash leaves its running command).
  [ -n "${clients_cgroup:-}" ] && [ -f "$clients_cgroup/cgroup.procs" ] &&
    for pid in $(cat "$clients_cgroup/cgroup.procs"); do kill -9 "$pid" 2>/dev/null; done
  if [ -n "$engine" ]; then
    for _ in 1 2 3 4 5; do  # creates the engine was serving when their client died may land late
      ids=$(b ps -aq --no-trunc 2>/dev/null)
      [ -z "$ids" ] && break
      b rm -f $ids >/dev/null 2>&1; sleep 1
    done
    [ "$network" != none ] && b network prune -f >/dev/null 2>&1
    kill "$engine" 2>/dev/null; wait "$engine" 2>/dev/null
  fi
  if [ -n "$supervisor" ]; then
    kill "$supervisor" 2>/dev/null
    for _ in $(seq 200); do kill -0 "$supervisor" 2>/dev/null || break; sleep 0.05; done
  fi
  if [ "$peer" = docker ]; then  # dockerd, its containerd, their shims and runc state
    for pidfile in "$work/d/dockerd.pid" "$work/d/exec/containerd/containerd.pid"; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null
      for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    done
    for pid in $(pgrep -f "containerd-shim-runc-v2 -namespace moby -id [0-9a-f]* -address $work/"); do kill -9 "$pid" 2>/dev/null; done
    for root in "$work"/d/exec/runtime-*/moby; do
      [ -d "$root" ] && runc --root "$root" list -q 2>/dev/null | xargs -r -n1 runc --root "$root" delete --force 2>/dev/null
    done
    [ "$made_docker_cgroup" = 1 ] && find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name docker -exec rmdir {} \; 2>/dev/null
    [ "$made_run_docker" = 1 ] && rm -rf /run/docker
  fi
  if [ -f "$work/run/supervisor/supervisor.pid" ]; then
    pid=$(cat "$work/run/supervisor/supervisor.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  for d in /sys/fs/cgroup/*/"$tag" /sys/fs/cgroup/unified/"$tag" "$service_cgroup" "$supervisor_cgroup" "${clients_cgroup:-}" "${session_cgroup:-}"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$work" "/run/berth/runtime/$tag"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$placement" = service ] && [ -d /sys/fs/cgroup/cpu ]; then  # v1/hybrid; on v2 the unified tree
  service_cgroup=/sys/fs/cgroup/cpu/$tag-engine
elif [ "$placement" = service ]; then
  service_cgroup=/sys/fs/cgroup/$tag-engine
fi
[ -n "$service_cgroup" ] && { mkdir "$service_cgroup" || exit 1; }
# The clients (with one sampler) in one session's cgroup, a second sampler in another's, as
# systemd-logind gives each login a scope of its own.
clients_cgroup=${service_cgroup:+${service_cgroup%-engine}-clients}
session_cgroup=${service_cgroup:+${service_cgroup%-engine}-session}
[ -n "$session_cgroup" ] && { mkdir "$clients_cgroup" "$session_cgroup" || exit 1; }
in_service() { [ -n "$service_cgroup" ] && echo "$BASHPID" >"$service_cgroup/cgroup.procs"; exec "$@"; }
if [ "$layout" = split ] && [ -n "$service_cgroup" ]; then
  supervisor_cgroup=${service_cgroup%-engine}-supervisor
  mkdir "$supervisor_cgroup" || exit 1
fi
in_supervisor_service() { [ -n "$supervisor_cgroup" ] && echo "$BASHPID" >"$supervisor_cgroup/cgroup.procs"; exec "$@"; }
wait_for_socket() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "load.sh: nothing listens on $1" >&2; exit 1; }
if [ "$peer" = docker ]; then
  mkdir -p "$work/d"
  containerd_flag=()
  if [ "$layout" = split ]; then  # containerd as its own service, without the CRI plugin, as dockerd runs its own
    printf '%s\n' 'version = 2' "root = \"$work/d/containerd-root\"" "state = \"$work/d/containerd-state\"" \
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]' '[grpc]' "  address = \"$work/d/containerd.sock\"" \
      '[debug]' "  address = \"$work/d/containerd-debug.sock\"" >"$work/d/containerd.toml"
    in_supervisor_service containerd --config "$work/d/containerd.toml" 2>>"$work/supervisor.log" &
    supervisor=$!
    wait_for_socket "$work/d/containerd.sock"
    containerd_flag=(--containerd "$work/d/containerd.sock")
  fi
  in_service /usr/sbin/dockerd --data-root "$work/d/data" --exec-root "$work/d/exec" --pidfile "$work/d/dockerd.pid" \
    -H "unix://$work/d/docker.sock" --bridge=none --iptables=false --ip6tables=false "${containerd_flag[@]}" 2>>"$work/engine.log" &
  engine=$!
  for _ in $(seq 300); do b version >/dev/null 2>&1 && break; sleep 0.1; done
  b load -i "$image/busybox-docker.tar" >/dev/null || { echo "load failed"; exit 1; }
  daemons() { echo "$engine" "${supervisor:-$(cat "$work/d/exec/containerd/containerd.pid" 2>/dev/null)}"; }
  names="dockerd+containerd"
else
  supervisor_flag=()
  if [ "$layout" = split ]; then  # the supervisor as its own service, where the engine would have started it
    mkdir -p "$work/data" "$work/run/supervisor"
    in_supervisor_service "$bin/berth-supervisor" --root "$work/data/supervisor" --state "$work/run/supervisor" \
      --address "$work/run/supervisor/supervisor.sock" 2>>"$work/supervisor.log" &
    supervisor=$!
    wait_for_socket "$work/run/supervisor/supervisor.sock"
    supervisor_flag=(--supervisor "unix://$work/run/supervisor/supervisor.sock")
  fi
  in_service "$bin/berth-engine" --data-root "$work/data" --exec-root "$work/run" -H "unix://$sock" \
    --supervisor-namespace "$tag" --cgroup-parent "/$tag" --log-level debug "${supervisor_flag[@]}" 2>>"$work/engine.log" &
  engine=$!
  for _ in $(seq 600); do b version >/dev/null 2>&1 && break; sleep 0.05; done
  b load -i "$image/busybox-oci.tar" >/dev/null || { echo "load failed"; exit 1; }
  daemons() { echo "$engine" "${supervisor:-$(cat "$work/run/supervisor/supervisor.pid" 2>/dev/null)}"; }
  names="engine+supervisor"
fi

rss() {  # VmRSS of the two daemons, KiB
  local total=0 pid kb
  for pid in $(daemons); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    total=$(( total + ${kb:-0} ))
  done
  echo "$total"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
rss_split() {  # RssAnon and RssFile of the two daemons: heap and stacks, and code and data mapped from files
  local anon=0 file=0 pid a f
  for pid in $(daemons); do
    a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null); f=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    anon=$(( anon + ${a:-0} )); file=$(( file + ${f:-0} ))
  done
  echo "anon $(mib "$anon"), file $(mib "$file")"
}

each_daemon() {  # VmRSS and RssAnon of each daemon: which of the two kept what
  local out=() pid v a i=0 name
  for pid in $(daemons); do
    i=$((i + 1)); name=${names%%+*}; [ "$i" = 2 ] && name=${names#*+}
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null); a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    out+=("$name $(mib "${v:-0}") (anon $(mib "${a:-0}"))")
  done
  printf '%s' "${out[0]}"; [ "${#out[@]}" -gt 1 ] && printf ', %s' "${out[@]:1}"; echo
}
snapshot() {  # snapshot NAME: with LOAD_INSPECT=DIR, each daemon's smaps into DIR/NAME-PID.smaps
  # and, with gdb, its malloc_stats (heap in use) into DIR/NAME-PID.malloc
  [ -n "${LOAD_INSPECT:-}" ] || return 0
  mkdir -p "$LOAD_INSPECT"
  local pid log
  for pid in $(daemons); do
    cat "/proc/$pid/smaps" >"$LOAD_INSPECT/$1-$pid.smaps" 2>/dev/null
    command -v gdb >/dev/null || continue
    log=$(readlink "/proc/$pid/fd/2")
    [ -f "$log" ] || continue
    gdb -p "$pid" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
    tail -n 12 "$log" | grep -E "Arena|system bytes|in use bytes|Total|max mmap" >"$LOAD_INSPECT/$1-$pid.malloc"
  done
}

b run --rm --network "$network" busybox true >/dev/null  # warm-up: first run, seccomp cache
sleep 10  # idle as it stays: past the second release (DaemonMemory: 8 quiet seconds)
before=$(rss); before_split=$(rss_split); before_each=$(each_daemon); snapshot before
# Times in µs from bash's own clock ($EPOCHREALTIME, dot removed): no process to start.
t0=${EPOCHREALTIME//[.,]/}; for _ in 1 2 3 4 5; do "${cli[@]}" ps >/dev/null; done
idle=$(( (${EPOCHREALTIME//[.,]/} - t0) / 5 ))  # µs, idle engine

client() {  # client END: runs until bash's own clock ($EPOCHREALTIME, µs) passes END
  # (`date` in the loop added two process starts per run to the clients' session: the load is
  # the clients' berth commands, not the script's clock)
  local end=$1 ok=0 failed=0
  [ -n "$clients_cgroup" ] && echo "$BASHPID" >"$clients_cgroup/cgroup.procs"
  while [ "${EPOCHREALTIME//[.,]/}" -lt "$end" ]; do
    if b run --rm --network "$network" busybox true >/dev/null 2>>"$work/errors"; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
  done
  echo "$ok $failed" >>"$work/runs"
}
sampler() {  # sampler OUT [CGROUP]: times `ps` once a second into $work/OUT, from CGROUP if given
  # The timed window holds the CLI alone: the clock is bash's own ($EPOCHREALTIME, not `date`)
  # and the CLI is not wrapped in `timeout` (each would add a process start, which the load
  # delays as it delays the CLI's; wait_samplers stops a `ps` that hangs). /bin/true is timed the
  # same way into OUT-true: what starting any program costs from this session under this load.
  local peak t0 t1 u r out=$1
  [ -n "${2:-}" ] && echo "$BASHPID" >"$2/cgroup.procs"
  peak=$(cat "$work/peak" 2>/dev/null || echo 0)
  while [ ! -e "$work/stop" ]; do
    t0=${EPOCHREALTIME//[.,]/}
    "${cli[@]}" ps >/dev/null 2>&1 || echo fail >>"$work/ps-failed"
    t1=${EPOCHREALTIME//[.,]/}
    echo $(( t1 - t0 )) >>"$work/$out"
    u=${EPOCHREALTIME//[.,]/}; /bin/true; echo $(( ${EPOCHREALTIME//[.,]/} - u )) >>"$work/$out-true"
    if [ "$out" = ps-us ]; then r=$(rss); [ "$r" -gt "$peak" ] && { peak=$r; echo "$peak" >"$work/peak"; }; fi
    sleep "$(awk -v u=$(( t1 - t0 )) 'BEGIN { s = 1 - u / 1e6; printf "%.3f", (s > 0 ? s : 0) }')"
  done
}
wait_samplers() {  # wait_samplers PID...: each gets 130 s after the stop mark; a `ps` still running then hung
  local deadline=$(( $(now_ms) + 130000 )) pid
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo hung >>"$work/ps-failed"; pkill -9 -P "$pid"; kill "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
}

echo "load: $C clients x $peer run --rm --network $network busybox true for $D s$([ "$layout" = split ] && echo ", ${names%%+*} and ${names#*+} as separate services")$([ "$R" -gt 1 ] && echo ", $R rounds 30 s apart"); $peer ps timed every second"
afters=()
for round in $(seq "$R"); do
  rm -f "$work/stop"
  echo load-start >>"$work/engine.log"
  sampler ps-us "$clients_cgroup" &
  sampler_pid=$!
  if [ -n "$session_cgroup" ]; then (sleep 0.5; sampler ps-session-us "$session_cgroup") & session_pid=$!; fi
  end=$(( ${EPOCHREALTIME//[.,]/} + D * 1000000 ))
  clients=()
  for _ in $(seq "$C"); do client "$end" & clients+=($!); done
  wait "${clients[@]}"
  touch "$work/stop"
  wait_samplers "$sampler_pid" ${session_pid:-}
  echo load-end >>"$work/engine.log"
  sleep 30
  afters+=("$(mib "$(rss)")")
done
peak=$(cat "$work/peak" 2>/dev/null || echo 0)
after=$(rss); after_split=$(rss_split); after_each=$(each_daemon); snapshot after

read -r ok failed < <(awk '{ o += $1; f += $2 } END { print o + 0, f + 0 }' "$work/runs")
pct() { awk -v p="$1" -v n="$samples" 'NR == (int(n * p / 100 + 0.999) > 0 ? int(n * p / 100 + 0.999) : 1) { printf "%.1f ms", $1 / 1000 }' "$work/ps-sorted"; }
percentiles() { sort -n "$work/$1" >"$work/ps-sorted"; samples=$(wc -l <"$work/ps-sorted"); echo "p50 $(pct 50), p90 $(pct 90), p99 $(pct 99), max $(pct 100) over $samples samples"; }
echo "load: runs $ok done, $failed failed ($(awk -v o="$ok" -v d="$(( D * R ))" 'BEGIN { printf "%.1f", o / d }')/s)"
echo "load: $peer ps idle $(awk -v u="$idle" 'BEGIN { printf "%.1f ms", u / 1000 }'); failed under load $(cat "$work/ps-failed" 2>/dev/null | wc -l)"
echo "load: $peer ps under load from the clients' session (their cpu cgroup): $(percentiles ps-us)"
echo "load:   /bin/true from the same session, for scale: $(percentiles ps-us-true)"
if [ -s "$work/ps-session-us" ]; then
  echo "load: $peer ps under load from another session (a cpu cgroup of its own, as a second login has): $(percentiles ps-session-us)"
  echo "load:   /bin/true from the same session, for scale: $(percentiles ps-session-us-true)"
fi
# The engine's own time for the sampler's `ps` calls (List without --all) under load: the calls
# served between the load's start and end marks in its debug log.
served=$(awk '/load-start/ { on = 1 } /load-end/ { on = 0 } on && /engine\.v1\.Containers\/List/ { if (match($0, /ms=[0-9.]+/)) print substr($0, RSTART + 3, RLENGTH - 3) }' "$work/engine.log" | sort -n)
n=$(echo "$served" | grep -c .)
spct() { echo "$served" | awk -v p="$1" -v n="$n" 'NR == (int(n * p / 100 + 0.999) > 0 ? int(n * p / 100 + 0.999) : 1) { printf "%.1f ms", $1 }'; }
[ "$peer" = berth ] && echo "load: the engine's own time for those $n calls: p50 $(spct 50), p99 $(spct 99), max $(spct 100)"
echo "load: $names VmRSS before $(mib "$before") ($before_split), peak $(mib "$peak"), 30 s after $(mib "$after") ($after_split)"
echo "load:   each: before $before_each; after $after_each"
[ "$R" -gt 1 ] && echo "load: VmRSS 30 s after each round: ${afters[*]}"
[ "$failed" -gt 0 ] && { echo "load: first errors:"; sort "$work/errors" | uniq -c | sort -rn | head -5; }
left=$(b ps -aq | wc -l)
echo "load: containers left: $left"
