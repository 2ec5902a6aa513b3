#!/usr/bin/env bash
# Chaos run: `scripts/chaos.sh [N] [SEED]` (N=200, SEED=1). Starts berth-engine (which starts its
# berth-supervisor) on private directories, loads busybox and runs N container lifecycles
# through the `berth` CLI, CHAOS_PARALLEL (4) at a time, every container on `--network none`
# (unless CHAOS_NETWORK says otherwise, below).
# Each container prints numbered lines "<name> 1".."<name> L", then, as its plan says (drawn
# from SEED): exits with a chosen code; or waits and is stopped (its shell traps SIGTERM: 143)
# or killed (137); or waits for a `berth exec` (which prints a marker and tells it to go on)
# and prints line L+1 and exits with its code. Meanwhile a driver SIGKILLs, at seeded random
# moments (mean gap CHAOS_GAP_MS, 1500), the engine (then starts it again), the supervisor (the
# engine starts a new one) or the shim of one container waiting for its action (that container
# must end "exited 137" with a State.Error naming the shim). Every CLI call is retried across
# the outages. Then every container's state, exit code and log (each line once, in order) is
# compared with what happened, and, after all are removed, nothing of the run may be left:
# mounts under the work directory, cgroups under the cgroup parent, processes in them, shims of
# the namespace, a second supervisor, zombies of the daemons, runtime state, tasks. Prints lifecycles, kills by
# target, lost, leaked; exits non-zero when lost + leaked > 0. Cleans up everything on exit
# (CHAOS_LOGS=DIR keeps the daemons' logs there). CHAOS_NETWORK=bridge|user|mix puts the containers
# on networks instead, some with a published port, and checks that nothing of their networking
# is left either (scripts/chaos-network.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
SEED=${2:-1}
P=${CHAOS_PARALLEL:-4}
GAP=${CHAOS_GAP_MS:-1500}
bin=${BERTH_BIN:-$(swift build --show-bin-path)}
image=${BERTH_TEST_IMAGE:-$PWD/.build-test-image}
[ -f "$image/busybox-oci.tar" ] || scripts/make-test-image.sh "$image" >/dev/null
tag=berth-chaos-$SEED
work=$(mktemp -d "/tmp/$tag-XXXXXX")
sock=$work/engine.sock
tasks=$work/run/supervisor/tasks/$tag
rtroot=/run/berth/runtime/$tag
mkdir -p "$work/c" "$work/waiting" "$work/taken" "$work/kills"
driver=
. scripts/chaos-network.sh

b() { timeout -k 5 60 "$bin/berth" -H "unix://$sock" "$@"; }
log() { echo "chaos: $*" >&2; }
alive() {  # alive PID: running and not a zombie
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_engine() {  # the engine is orphaned at once (init reaps it), so any process may kill it
  ( "$bin/berth-engine" --data-root "$work/data" --exec-root "$work/run" -H "unix://$sock" \
      --supervisor-namespace "$tag" --cgroup-parent "/$tag" --log-level info >>"$work/engine.log" 2>&1 &
    echo $! >"$work/engine.pid" )
  local deadline=$(( $(now_ms) + 30000 ))
  until b version >/dev/null 2>&1; do
    [ "$(now_ms)" -gt "$deadline" ] && return 1
    sleep 0.05
  done
}

our_pids() {  # every process in the run's cgroups (containers), by the pids controller
  find "/sys/fs/cgroup/pids/$tag" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u
}

cleanup() {
  set +e
  if [ -n "${CHAOS_LOGS:-}" ]; then  # keep the daemons' logs and the per-container notes
    mkdir -p "$CHAOS_LOGS" && cp -r "$work/engine.log" "$work/data/supervisor.log" "$work/c" "$work/kills" "$CHAOS_LOGS/" 2>/dev/null
  fi
  touch "$work/stop"
  [ -n "$driver" ] && { kill "$driver" 2>/dev/null; wait "$driver" 2>/dev/null; }
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ -S "$sock" ] && b version >/dev/null 2>&1; then
    ids=$(b ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && b rm -f $ids >/dev/null 2>&1
  fi
  [ -f "$work/engine.pid" ] && kill -9 "$(cat "$work/engine.pid")" 2>/dev/null
  [ -f "$work/run/supervisor/supervisor.pid" ] && kill -9 "$(cat "$work/run/supervisor/supervisor.pid")" 2>/dev/null
  for pid in $(pgrep -f "berth-supervisor --root $work/"); do kill -9 "$pid" 2>/dev/null; done  # any stray one of ours
  for f in "$tasks"/*/shim.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  for d in "$tasks"/*/; do
    [ -d "$d" ] && "$bin/berth-runtime" --root "$rtroot" delete --force "$(basename "$d")" >/dev/null 2>&1
  done
  for pid in $(our_pids); do kill -9 "$pid" 2>/dev/null; done
  [ "$net_mode" != none ] && net_cleanup
  for _ in $(seq 100); do
    [ -f "$work/engine.pid" ] && alive "$(cat "$work/engine.pid")" && { sleep 0.05; continue; }
    [ -n "$(our_pids)" ] && { sleep 0.05; continue; }
    break
  done
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  for d in /sys/fs/cgroup/*/"$tag" /sys/fs/cgroup/unified/"$tag"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$work" "$rtroot"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_engine || { log "berth-engine did not answer"; tail -20 "$work/engine.log"; exit 1; }
b load -i "$image/busybox-oci.tar" >/dev/null || { log "load failed"; exit 1; }
if [ "$net_mode" != none ]; then net_init || exit 1; fi

# ---- one container's life ------------------------------------------------------------------
retry() {  # retry DESCRIPTION CMD...: until CMD succeeds, 90 s at most
  local what=$1; shift
  local deadline=$(( $(now_ms) + 90000 ))
  until "$@"; do
    [ "$(now_ms)" -gt "$deadline" ] && { echo "gave up: $what $(cat "$dir/last-error" 2>/dev/null)" >>"$dir/problems"; return 1; }
    sleep 0.2
  done
}
status_of() { b inspect -f '{{.State.Status}}' "$name" 2>/dev/null; }
created() { b create --name "$name" $netflags busybox sh -c "$script" >/dev/null 2>&1 || [ -n "$(status_of)" ]; }
started() {  # `start` only while the container never ran: a lost answer must not run it twice
  local s; s=$(b inspect -f '{{.State.Status}} {{.State.StartedAt}}' "$name" 2>/dev/null) || return 1
  case $s in created*|"exited 0001"*) ;; *) return 0 ;; esac
  b start "$name" >/dev/null 2>&1
}
printed() { b logs "$name" 2>/dev/null | grep -qx "$name $lines"; }
ended() { local s; s=$(status_of) && [ "$s" = exited ]; }
stopped() { b stop -t 20 "$name" >/dev/null 2>&1 && ended; }
killed() { b kill "$name" >/dev/null 2>&1; ended; }
execd() {  # a failed try is noted with its times: an engine killed meanwhile explains a lost marker
  local out t0; t0=$(now_ms)
  # (the marker counts even when the exec ends 137: the init may end first, and its pid
  # namespace with it, once it has seen /tmp/go)
  out=$(b exec "$name" sh -c "echo $name exec-marker; touch /tmp/go" 2>>"$dir/exec-errors")
  local rc=$?
  [ "$out" = "$name exec-marker" ] && echo ok >"$dir/exec"
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 137 ]; then
    [ "$out" = "$name exec-marker" ] || echo "exec printed: $out" >>"$dir/problems"
    return 0
  fi
  echo "$t0 $(now_ms)" >>"$dir/exec-failed"
  [ "$(status_of)" = exited ]  # an earlier try got through before the engine died
}
waited() { local s; s=$(status_of) && [ "$s" = exited ] || { sleep 0.1; return 1; }; }
removed() {
  b rm -f "$name" >/dev/null 2>"$dir/last-error" || grep -q 'No such container' "$dir/last-error" ||
    b inspect --type container "$name" 2>&1 | grep -q 'No such container'
}
fetch() {  # the final record: state, exit code, error, and the logs
  state=$(b inspect -f '{{.State.Status}} {{.State.ExitCode}}|{{.State.Error}}' "$name" 2>/dev/null) &&
    got=$(b logs "$name" 2>&1) && b version >/dev/null 2>&1  # (logs read while the engine was dying are retried)
}

lifecycle() {  # lifecycle I ACTION LINES CODE PAUSE
  local i=$1 action=$2 lines=$3 code=$4 pause=$5
  name=c$i dir=$work/c/$i
  local netflags="--network none"
  [ "$net_mode" != none ] && netflags=$(net_args "$i")
  mkdir -p "$dir"
  local body="trap 'exit 143' TERM; i=1; while [ \$i -le $lines ]; do echo \"$name \$i\"; i=\$((i+1)); sleep 0.02; done"
  case $action in
    exit) script="$body; exit $code" ;;
    exec) script="$body; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo \"$name $((lines + 1))\"; exit $code" ;;
    *) script="$body; sleep 1000 & wait" ;;
  esac
  retry create created || return
  retry start started || return
  local outcome=$action expect=$code
  if [ "$action" != exit ]; then
    retry "print $lines lines" printed || return
    [ "$net_mode" != none ] && { retry "check the address" net_running || return; }
    b inspect -f '{{.Id}}' "$name" >"$work/waiting/$i" 2>/dev/null || echo >"$work/waiting/$i"
    sleep "$pause"
    if mv "$work/waiting/$i" "$dir/mine" 2>/dev/null; then
      case $action in
        stop) expect=143; retry stop stopped ;;
        kill) expect=137; retry kill killed ;;
        exec) retry exec execd ;;
      esac
    else
      outcome=shim expect=137  # the driver took it and killed its shim
    fi
  fi
  retry exit waited
  local want; want=$(for n in $(seq 1 "$lines"); do echo "$name $n"; done)
  [ "$action" = exec ] && [ "$outcome" = exec ] && want+=$'\n'"$name $((lines + 1))"
  local got="" state=""
  retry "inspect and logs" fetch
  echo "$outcome" >"$dir/outcome"
  [ "${state%%|*}" = "exited $expect" ] || echo "state: want exited $expect, got $state" >>"$dir/problems"
  if [ "$outcome" = shim ]; then
    [[ "${state#*|}" == *shim* ]] || echo "state: a shim kill must say so in State.Error, got '$state'" >>"$dir/problems"
  elif [ -n "${state#*|}" ]; then
    echo "state: unexpected State.Error '${state#*|}'" >>"$dir/problems"
  fi
  [ "$got" = "$want" ] || { echo "logs differ:"; diff <(echo "$want") <(echo "$got") | head -8; } >>"$dir/problems"
  if [ "$outcome" = exec ] && [ ! -f "$dir/exec" ]; then
    # The exec's output reaches the CLI through the engine: an engine SIGKILLed during the try
    # that got through takes it along (as dockerd's would). Any other loss is a loss.
    if awk 'NR == FNR { t[NR] = $1; next } { for (k in t) if (t[k] >= $1 && t[k] <= $2) found = 1 } END { exit !found }' \
         "$work/kills/engine-times" "$dir/exec-failed" 2>/dev/null; then
      echo "exec marker cut by an engine kill" >"$dir/exec-cut"
    else
      echo "exec marker never seen: $(tr '\n' ' ' <"$dir/exec-errors")" >>"$dir/problems"
    fi
  fi
  retry rm removed
}

# ---- the driver: SIGKILLs at seeded moments --------------------------------------------------
kill_wait() {  # SIGKILL PID and wait (10 s) until it is gone or a zombie
  kill -9 "$1" 2>/dev/null || return 1
  for _ in $(seq 200); do alive "$1" || return 0; sleep 0.05; done
}
answers() {  # the engine and its supervisor answer within 30 s
  local deadline=$(( $(now_ms) + 30000 ))
  until b version >/dev/null 2>&1 && b ps >/dev/null 2>&1; do
    [ "$(now_ms)" -gt "$deadline" ] && return 1
    sleep 0.05
  done
}
drive() {
  RANDOM=$(( SEED * 7919 + 1 ))
  local supervisor=$work/run/supervisor/supervisor.pid
  while [ ! -e "$work/stop" ]; do
    local gap=$(( RANDOM * 2 * GAP / 32768 ))
    sleep "$(printf '%d.%03d' $(( gap / 1000 )) $(( gap % 1000 )))"
    [ -e "$work/stop" ] && break
    local r=$(( RANDOM % 10 ))
    if [ "$r" -lt 4 ]; then
      now_ms >>"$work/kills/engine-times"
      kill_wait "$(cat "$work/engine.pid")" && echo engine >>"$work/kills/log"
      start_engine || echo "engine restart" >>"$work/kills/unanswered"
    elif [ "$r" -lt 7 ]; then
      local old; old=$(cat "$supervisor" 2>/dev/null)
      [ -n "$old" ] && kill_wait "$old" && echo supervisor >>"$work/kills/log"
      answers || echo "supervisor restart" >>"$work/kills/unanswered"
    else
      local waiting=() i id pid
      for i in "$work"/waiting/*; do [ -e "$i" ] && waiting+=("${i##*/}"); done
      [ ${#waiting[@]} -eq 0 ] && continue
      i=${waiting[$(( RANDOM % ${#waiting[@]} ))]}
      id=$(cat "$work/waiting/$i" 2>/dev/null)
      pid=$(cat "$tasks/$id/shim.pid" 2>/dev/null)
      [ -n "$id" ] && [ -n "$pid" ] || continue
      mv "$work/waiting/$i" "$work/taken/$i" 2>/dev/null || continue  # the container's own action won
      kill_wait "$pid" && echo shim >>"$work/kills/log"
    fi
  done
}

# ---- the run -----------------------------------------------------------------------------------
actions=(exit stop kill exec)
RANDOM=$SEED
plan=()
for i in $(seq 1 "$N"); do
  plan+=("$i ${actions[$(( RANDOM % 4 ))]} $(( 3 + RANDOM % 30 )) $(( RANDOM % 120 )) 0.$(( RANDOM % 10 ))")
done
started_at=$(now_ms)
drive &
driver=$!
workers=()
for entry in "${plan[@]}"; do
  while :; do
    live=()
    for pid in "${workers[@]}"; do kill -0 "$pid" 2>/dev/null && live+=("$pid"); done
    workers=("${live[@]}")
    [ ${#workers[@]} -lt "$P" ] && break
    wait -n "${workers[@]}" 2>/dev/null
  done
  # shellcheck disable=SC2086
  lifecycle $entry &
  workers+=($!)
done
wait "${workers[@]}" 2>/dev/null
touch "$work/stop"
wait "$driver" 2>/dev/null
driver=
elapsed=$(( $(now_ms) - started_at ))
answers || echo "final" >>"$work/kills/unanswered"

# ---- invariants ----------------------------------------------------------------------------------
lost=0
for i in $(seq 1 "$N"); do
  dir=$work/c/$i
  if [ ! -f "$dir/outcome" ] || [ -s "$dir/problems" ]; then
    lost=$((lost + 1))
    log "c$i (${plan[$((i - 1))]#* }${net_plan[$((i - 1))]:+ ${net_plan[$((i - 1))]}}): $(cat "$dir/problems" 2>/dev/null | tr '\n' ' ')"
  fi
done
count() { grep -c . || true; }
left=$(b ps -a --format '{{.Names}} {{.Status}}' 2>/dev/null | tee "$work/left" | count)
[ "$left" -gt 0 ] && log "containers left: $(tr '\n' ',' <"$work/left")"
mounts=$(grep " $work" /proc/self/mountinfo | count)
cgroups=$(find /sys/fs/cgroup/*/"$tag" /sys/fs/cgroup/unified/"$tag" -mindepth 1 -type d 2>/dev/null | count)
procs=$(our_pids | count)
# A shim told to shut down may take up to its events-flush limit (5 s) to go: allow it 10 s.
for _ in $(seq 1 100); do pgrep -f "berth-shim .*-namespace $tag( |$)" >/dev/null || break; sleep 0.1; done
shims=$(pgrep -f "berth-shim .*-namespace $tag( |$)" | count)
[ "$shims" -gt 0 ] && log "shims left: $(pgrep -af "berth-shim .*-namespace $tag( |$)" | tr '\n' ';')"
supervisors=$(( $(pgrep -f "berth-supervisor --root $work/" | count) - 1 ))  # beside the engine's current one
daemons="$(cat "$work/engine.pid" 2>/dev/null) $(cat "$work/run/supervisor/supervisor.pid" 2>/dev/null)"
# Zombies our daemons did not reap (children of the engine or supervisor, or berth processes
# under any parent but PID 1: killed engines and shims are reparented to init, which reaps them).
zombies=$(ps -eo stat=,ppid=,comm= | awk -v d=" $daemons " '$1 ~ /^Z/ && (index(d, " " $2 " ") || ($3 ~ /^berth-/ && $2 != 1))' | count)
# Every container was removed, and a task's Delete answers only once its bundle is gone: no task
# bundle and no runtime state may be left, not even for a moment. What is left is named.
state=$({ ls "$tasks" 2>/dev/null; ls "$rtroot" 2>/dev/null | grep -v '^seccomp$'; } | count)
[ "$state" -gt 0 ] && log "runtime state left: tasks [$(ls "$tasks" 2>/dev/null | tr '\n' ' ')] runtime [$(ls "$rtroot" 2>/dev/null | grep -v '^seccomp$' | tr '\n' ' ')]"
netns=$(ls "$work/run/netns" 2>/dev/null | count)
leaked=$(( left + mounts + cgroups + procs + shims + supervisors + zombies + state + netns ))
if [ "$net_mode" != none ]; then net_leaks; leaked=$(( leaked + net_leaked )); fi
unanswered=$(cat "$work/kills/unanswered" 2>/dev/null | count)
kills() { local n; n=$(grep -cx "$1" "$work/kills/log" 2>/dev/null) || true; echo "${n:-0}"; }
outcomes() { cat "$work"/c/*/outcome 2>/dev/null | grep -cx "$1" || true; }
echo "chaos: N=$N seed=$SEED parallel=$P in $(( elapsed / 1000 )) s: lifecycles $(ls "$work"/c/*/outcome 2>/dev/null | count)" \
  "(exit $(outcomes exit), stop $(outcomes stop), kill $(outcomes kill), exec $(outcomes exec), shim-killed $(outcomes shim)); network $net_mode"
echo "chaos: kills: engine $(kills engine), supervisor $(kills supervisor), shim $(kills shim); restarts not answering: $unanswered;" \
  "exec outputs cut by an engine kill: $(ls "$work"/c/*/exec-cut 2>/dev/null | count)"
echo "chaos: lost $lost; leaked $leaked (containers $left, mounts $mounts, cgroups $cgroups, processes $procs, shims $shims, extra supervisors $supervisors," \
  "zombies $zombies, runtime state $state, netns $netns)"
if [ "$net_mode" != none ]; then echo "chaos: network leaks: $net_summary"; fi
if [ $(( lost + leaked + unanswered )) -gt 0 ]; then
  log "engine log (last lines):"; grep -E 'error|warning' "$work/engine.log" | tail -15 >&2
  exit 1
fi
