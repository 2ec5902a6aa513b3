#!/usr/bin/env bash
# Benchmark (not a test: never run by scripts/test.sh or CI) of berth-runtime against runc and crun,
# side by side in one run, on the busybox bundle of scripts/make-test-image.sh (/bin/true).
#
# What it measures, per runtime (berth-runtime release build, fully static; Debian's runc and crun):
#   - `run --bundle B ID`: the whole lifecycle of a /bin/true container (all three delete it on exit),
#     wall time of the invocation;
#   - the OCI phases one by one: `create --bundle B ID`, `start ID`, then polling `state ID` until it
#     says "stopped" (not counted), `delete ID`: wall time of each phase;
#   - peak RSS of `run` as GNU time reports it (`/usr/bin/time -f %M`: the largest of the process and
#     the children it reaped), in a separate `run` so that time's own cost stays out of the wall times.
# How: after WARMUP (3) warm-up iterations that are not recorded, N iterations (env N, default 30);
# each iteration alternates the runtimes A/B/C (berth, runc, crun) within each measure (all `run`s,
# then all create/start/delete cycles, then all peak-RSS runs). Wall time is bash's $EPOCHREALTIME
# read right before and right after the invocation (no `date` processes inside the interval).
# Each runtime has its own --root under a temporary directory; container stdio is /dev/null.
# Reported: median (min–max) in ms per measure, peak RSS in MiB (median (min–max)); berth/runc and
# berth/crun ratios of wall times as the median of per-iteration ratios, and of the median peak RSS;
# the issue's targets (wall ≤ 0.9× crun, peak RSS ≤ crun's); a sequential hyperfine cross-check of
# `run` (all of A, then all of B, like the peers' hyperfine rows; HYPERFINE=0 skips it); the binary's size
# and whether it is static. Method as in ../shared/notes/peers.md ("How the figures are taken").
#
# Setup it does: installs runc, crun, hyperfine, time (and what the test image needs) through apt
# when missing; builds berth-runtime with
#   swift build -c release --scratch-path .build-static --product berth-runtime \
#     --static-swift-stdlib -Xswiftc -static-executable
# makes the test image in a temporary directory; warns when the machine is busy (> 10% busy share
# of /proc/stat over 2 s). crun 1.8.1 refuses a hybrid layout whose cgroup2 holds hugetlb: for the
# run only, hugetlb gets its own v1 hierarchy (mount -t cgroup -o hugetlb cgroup
# /sys/fs/cgroup/hugetlb, skipped if hugetlb is already on v1), undone on exit. berth-runtime is
# checked once in the layout as found and once in the fixed one. The mount changes the layout for
# the whole machine while it lasts: do not run this beside tests that create cgroups.
# Cleanup on exit (also on failure or Ctrl-C): `delete --force` of every container left in each
# --root, removal of the temporary directory, check (and removal) of cgroups named after the ids
# used, undoing the hugetlb mount.
#
# Usage: [N=30] [HYPERFINE=1] scripts/bench/runtime.sh     (as root; exits 1 if a runtime failed)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."

N=${N:-30}
WARMUP=3
HYPERFINE=${HYPERFINE:-1}
case $N in ''|*[!0-9]*|0) echo "runtime.sh: N must be a positive integer" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "runtime.sh: must run as root (it starts containers)" >&2; exit 2; }

say() { printf '%s\n' "$*"; }

# --- 1. Debian packages (idempotent, like scripts/install-deps.sh) ------------------------------------
packages=(runc crun hyperfine time file busybox-static)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
  say "installed: ${missing[*]}"
fi
RUNC=/usr/sbin/runc CRUN=/usr/bin/crun GNUTIME=/usr/bin/time

# --- 2. berth-runtime, release, fully static ---------------------------------------------------------
build=(swift build -c release --scratch-path .build-static --product berth-runtime
       --static-swift-stdlib -Xswiftc -static-executable)
# A static link makes glibc warn about NSS functions (getpwnam_r…) and mktemp: harmless here.
"${build[@]}" -q 2>&1 | { grep -vE "in statically linked applications requires at runtime|the use of .mktemp. is dangerous" || true; } >&2
BERTH=$("${build[@]}" --show-bin-path)/berth-runtime
[ -x "$BERTH" ] || { echo "runtime.sh: $BERTH was not built" >&2; exit 1; }

# --- temporary directory, cleanup --------------------------------------------------------------------
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
prefix="bench$$-"                  # every container id starts with it (cgroup check at exit)
runtimes=(berth runc crun)
hugetlb=/sys/fs/cgroup/hugetlb
hugetlb_mounted=0 hugetlb_made=0
cleanup_report=()

cmd_of() {  # cmd_of NAME: sets CMD to the runtime's command with its own --root
  case $1 in
    berth) CMD=("$BERTH" --root "$work/root-berth") ;;
    runc)  CMD=("$RUNC" --root "$work/root-runc") ;;
    crun)  CMD=("$CRUN" --root "$work/root-crun") ;;
  esac
}

hugetlb_field() { awk -v f="$1" '$1 == "hugetlb" { print $f }' /proc/cgroups; }  # 2 hierarchy, 3 cgroups

cleanup() {
  local rc=$? name id left d
  set +e
  trap - EXIT INT TERM
  for name in "${runtimes[@]}"; do
    cmd_of "$name"
    [ -d "$work/root-$name" ] || continue
    for id in $("${CMD[@]}" list -q 2>/dev/null); do
      "${CMD[@]}" delete --force "$id" >/dev/null 2>&1 || cleanup_report+=("$name: delete --force $id failed")
    done
    left=$("${CMD[@]}" list -q 2>/dev/null)
    [ -z "$left" ] || cleanup_report+=("$name: containers still listed: $left")
  done
  # Cgroups named after our ids, in every hierarchy (runc nests them under the caller's cgroup).
  left=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name "${prefix}*" 2>/dev/null | sort -r)
  if [ -n "$left" ]; then
    cleanup_report+=("cgroups left behind (removed now): $(echo $left)")
    while read -r d; do rmdir "$d" 2>/dev/null; done <<<"$left"
  fi
  if [ "$hugetlb_mounted" = 1 ]; then
    # A v1 hierarchy is destroyed at umount only if it has no child cgroups then, dying ones
    # included; otherwise it lives on hidden and keeps hugetlb away from cgroup2 for good. Children
    # come from the containers just deleted (dying for a while: /proc/cgroups counts them) and from
    # anyone else who made a cgroup on this machine during the run (runtimes make theirs in every v1
    # hierarchy). So: remove the empty ones (they exist only because of this mount), wait until the
    # hierarchy holds only its root, umount, wait for the (asynchronous) destruction; if the
    # hierarchy is still there, mount it again (the same one comes back) and repeat.
    local tries t gone=() busy=() t0=$EPOCHREALTIME
    for ((tries = 0; tries < 5; tries++)); do
      if [ "$tries" -gt 0 ]; then mount -t cgroup -o hugetlb cgroup "$hugetlb" || break; fi
      while read -r d; do
        if [ -n "$(cat "$d/cgroup.procs")" ]; then busy+=("${d#"$hugetlb"}")
        elif rmdir "$d"; then gone+=("${d#"$hugetlb"}"); fi
      done < <(find "$hugetlb" -mindepth 1 -type d | sort -r)
      for ((t = 0; t < 300 && $(hugetlb_field 3) > 1; t++)); do sleep 0.1; done
      umount "$hugetlb" || { cleanup_report+=("umount $hugetlb failed"); break; }
      for ((t = 0; t < 100 && $(hugetlb_field 2) != 0; t++)); do sleep 0.1; done
      [ "$(hugetlb_field 2)" != 0 ] || break
    done
    [ ${#gone[@]} -eq 0 ] || say "hugetlb: removed empty cgroups that others made in the temporary hierarchy: $(printf '%s\n' "${gone[@]}" | sort -u | tr '\n' ' ')"
    [ ${#busy[@]} -eq 0 ] || cleanup_report+=("hugetlb: cgroups with processes in the temporary hierarchy: $(printf '%s\n' "${busy[@]}" | sort -u | tr '\n' ' ')")
    if [ "$(hugetlb_field 2)" = 0 ]; then
      say "hugetlb: back on cgroup2 $(awk -v a="${t0/./}" -v b="${EPOCHREALTIME/./}" 'BEGIN { printf "%.1f", (b - a) / 1e6 }') s after cleanup began ($((tries + 1)) umount(s))"
    else
      cleanup_report+=("hugetlb still has a hidden v1 hierarchy (not back on cgroup2)")
    fi
    [ "$hugetlb_made" = 1 ] && { rmdir "$hugetlb" || cleanup_report+=("rmdir $hugetlb failed"); }
  fi
  if grep -q " $work" /proc/self/mountinfo; then
    cleanup_report+=("mounts left under $work (lazily unmounted)")
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  fi
  rm -rf "$work"
  say ""
  say "cleanup: containers deleted in each --root, $work removed$([ "$hugetlb_mounted" = 1 ] && echo ", hugetlb v1 mount undone")"
  if [ ${#cleanup_report[@]} -eq 0 ]; then
    say "cleanup: no containers, cgroups (/sys/fs/cgroup/*/…/${prefix}*) or mounts left behind"
  else
    printf 'cleanup: %s\n' "${cleanup_report[@]}"
    [ "$rc" -ne 0 ] || rc=1
  fi
  say "cgroup2 controllers: before '${controllers2-?}', now '$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || echo '?')'"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

img=$work/img
scripts/make-test-image.sh "$img" >/dev/null
BUNDLE=$img/bundle
mkdir "$work/root-berth" "$work/root-runc" "$work/root-crun"

# --- failures: recorded per runtime, the runtime is dropped from the rest of the run -----------------
declare -A failed=()
active=("${runtimes[@]}")
fail() {  # fail NAME PHASE ITER RC COMMAND...
  local name=$1 phase=$2 iter=$3 rc=$4; shift 4
  if [ "$iter" -le 0 ]; then iter="warm-up $((iter + WARMUP))"; else iter="iteration $iter"; fi
  failed[$name]="$phase, $iter, exit $rc: $* :: $(tr '\n' ' ' <"$work/err" | sed 's/ *$//')"
  say "FAIL $name $phase ($iter, exit $rc)"
  say "  command: $*"
  sed 's/^/  stderr: /' "$work/err"
  local a=() n
  for n in "${active[@]}"; do [ "$n" = "$name" ] || a+=("$n"); done
  active=("${a[@]}")
}

# timed NAME PHASE ITER ARGS...: runs the runtime with ARGS, sets dt (µs); returns 1 on failure.
timed() {
  local name=$1 phase=$2 iter=$3; shift 3
  local t0 t1 rc=0
  cmd_of "$name"
  t0=$EPOCHREALTIME
  "${CMD[@]}" "$@" </dev/null >/dev/null 2>"$work/err" || rc=$?
  t1=$EPOCHREALTIME
  dt=$(( ${t1/./} - ${t0/./} ))
  if [ $rc -ne 0 ]; then
    fail "$name" "$phase" "$iter" "$rc" "${CMD[*]} $*"
    cmd_of "$name"; "${CMD[@]}" delete --force "${@: -1}" >/dev/null 2>&1 || true
    return 1
  fi
}

wait_stopped() {  # wait_stopped NAME ID: polls `state` until "stopped" (10 s at most)
  local s i
  cmd_of "$1"
  for ((i = 0; i < 2000; i++)); do
    s=$("${CMD[@]}" state "$2" 2>"$work/err" | grep -o '"status"[^,]*' || true)
    case $s in *stopped*) return 0 ;; esac
    sleep 0.005
  done
  echo "state never said stopped (last: ${s:-nothing})" >>"$work/err"
  return 1
}

# --- 3. crun's hybrid-cgroup fix, for this run only --------------------------------------------------
berth_layout_check() {  # one `run` of berth-runtime in the current layout
  local id="${prefix}layout$1" rc=0
  cmd_of berth
  "${CMD[@]}" run --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>"$work/err" || rc=$?
  if [ $rc -eq 0 ]; then say "berth-runtime run in $2: ok"
  else
    say "berth-runtime run in $2: FAILED (exit $rc): $(cat "$work/err")"
    failed[berth-layout$1]="run in $2, exit $rc: $(tr '\n' ' ' <"$work/err")"
    "${CMD[@]}" delete --force "$id" >/dev/null 2>&1 || true
  fi
}
controllers2=$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true)
if awk '$3 == "cgroup" && $4 ~ /(^|,)hugetlb(,|$)/ { found = 1 } END { exit !found }' /proc/self/mounts; then
  say "hugetlb already has a v1 hierarchy: layout left as is"
  berth_layout_check 1 "the layout as found"
else
  berth_layout_check 1 "the layout as found (cgroup2 controllers: ${controllers2:-none})"
  [ -d "$hugetlb" ] || { mkdir -p "$hugetlb"; hugetlb_made=1; }
  mount -t cgroup -o hugetlb cgroup "$hugetlb"
  hugetlb_mounted=1
  say "hugetlb mounted on its own v1 hierarchy at $hugetlb for this run (crun 1.8.1's hybrid check)"
  berth_layout_check 2 "the fixed layout (cgroup2 controllers: $(cat /sys/fs/cgroup/unified/cgroup.controllers))"
fi
rest=$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true)
[ -z "$rest" ] || say "warning: cgroup2 still holds controllers ($rest): crun will refuse to run"

# --- 4. quiet machine --------------------------------------------------------------------------------
read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
sleep 2
read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
busy=$(( (u2 + n2 + s2 + q2 + sq2) - (u1 + n1 + s1 + q1 + sq1) ))
total=$(( busy + (i2 + w2 + st2) - (i1 + w1 + st1) ))
busy_pct=$(awk -v b=$busy -v t=$total 'BEGIN { printf "%.1f", t ? 100 * b / t : 0 }')
say "machine: busy share of /proc/stat over 2 s = ${busy_pct}%, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v p="$busy_pct" 'BEGIN { exit !(p > 10) }'; then
  say "WARNING: the machine is busy (> 10%): figures will be skewed; rerun on an idle machine"
fi

# --- 5. measurements ---------------------------------------------------------------------------------
mkdir "$work/data"
record() { [ "$1" -le 0 ] || echo "$3" >>"$work/data/$2"; }  # record ITER FILE VALUE (warm-ups: ITER ≤ 0)

say ""
say "runtimes: berth-runtime $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo '+uncommitted changes') (release, static);" \
    "$("$RUNC" --version | head -n1); $("$CRUN" --version | head -n1); kernel $(uname -r)"
say "bundle: $BUNDLE (/bin/true); warm-ups $WARMUP per runtime, then N=$N iterations alternating ${runtimes[*]}"

for ((iter = 1 - WARMUP; iter <= N; iter++)); do
  if [ "$iter" -le 0 ]; then tag=w$((iter + WARMUP)); else tag=$iter; fi   # ids: …-rw1 (warm-up), …-r1
  # run: whole lifecycle
  for name in "${active[@]}"; do
    id="${prefix}${name}-r${tag}"
    timed "$name" run "$iter" run --bundle "$BUNDLE" "$id" || continue
    record "$iter" "$name.run" "$dt"
  done
  # create / start / (wait, not counted) / delete
  for name in "${active[@]}"; do
    id="${prefix}${name}-c${tag}"
    timed "$name" create "$iter" create --bundle "$BUNDLE" "$id" || continue
    c=$dt
    timed "$name" start "$iter" start "$id" || continue
    s=$dt
    if ! wait_stopped "$name" "$id"; then
      cmd_of "$name"; fail "$name" wait "$iter" 1 "${CMD[*]} state $id"
      "${CMD[@]}" delete --force "$id" >/dev/null 2>&1 || true
      continue
    fi
    timed "$name" delete "$iter" delete "$id" || continue
    record "$iter" "$name.create" "$c"; record "$iter" "$name.start" "$s"; record "$iter" "$name.delete" "$dt"
  done
  # peak RSS of run
  for name in "${active[@]}"; do
    id="${prefix}${name}-m${tag}"
    cmd_of "$name"
    rc=0
    "$GNUTIME" -f %M -o "$work/rss" "${CMD[@]}" run --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>"$work/err" || rc=$?
    if [ $rc -ne 0 ]; then
      fail "$name" "run under GNU time" "$iter" "$rc" "$GNUTIME -f %M ${CMD[*]} run --bundle $BUNDLE $id"
      "${CMD[@]}" delete --force "$id" >/dev/null 2>&1 || true
      continue
    fi
    record "$iter" "$name.rss" "$(tail -n1 "$work/rss")"
  done
done

# --- report ------------------------------------------------------------------------------------------
# stats FILE SCALE FORMAT: "median (min–max)" of the file's numbers divided by SCALE
stats() {
  [ -s "$1" ] || { echo "-"; return; }
  sort -g "$1" | awk -v k="$2" -v f="$3" '{ v[NR] = $1 / k }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf f " (" f "–" f ")\n", m, v[1], v[NR] }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else printf "-" }'; }
# ratio A B MEASURE: "median (min–max)" of per-iteration ratios A/B
ratio() {
  local a=$work/data/$1.$3 b=$work/data/$2.$3
  if [ -n "${failed[$1]:-}${failed[$2]:-}" ] || [ ! -s "$a" ] || [ ! -s "$b" ]; then echo "n/a"; return; fi
  paste "$a" "$b" | awk '{ print $1 / $2 }' >"$work/ratio"
  stats "$work/ratio" 1 "%.2f"
}

# cell TEXT WIDTH: TEXT padded to WIDTH characters (printf pads bytes; the en dash is 3 bytes)
cell() { local t=${1//–/-}; printf '%s%*s' "$1" $(($2 - ${#t} > 0 ? $2 - ${#t} : 0)) ''; }

say ""
say "wall time in ms, median (min–max) of N=$N; peak RSS of run in MiB (GNU time %M / 1024)"
printf '%-8s %-22s %-22s %-22s %-22s %s\n' runtime run create start delete "peak RSS MiB"
for name in "${runtimes[@]}"; do
  d=$work/data/$name
  printf '%-8s %s %s %s %s %s\n' "$name" \
    "$(cell "$(stats "$d.run" 1000 %.1f)" 22)" "$(cell "$(stats "$d.create" 1000 %.1f)" 22)" \
    "$(cell "$(stats "$d.start" 1000 %.1f)" 22)" "$(cell "$(stats "$d.delete" 1000 %.1f)" 22)" \
    "$(stats "$d.rss" 1024 %.1f)"
done

say ""
say "ratios (wall: median (min–max) of per-iteration ratios; peak RSS: ratio of medians)"
printf '%-11s %-20s %-20s %-20s %-20s %s\n' ratio run create start delete "peak RSS"
for ref in runc crun; do
  rss_ratio=n/a
  if [ -s "$work/data/berth.rss" ] && [ -s "$work/data/$ref.rss" ]; then
    rss_ratio=$(awk -v a="$(median <"$work/data/berth.rss")" -v b="$(median <"$work/data/$ref.rss")" 'BEGIN { printf "%.2f", a / b }')
  fi
  printf '%-11s %s %s %s %s %s\n' "berth/$ref" "$(cell "$(ratio berth "$ref" run)" 20)" \
    "$(cell "$(ratio berth "$ref" create)" 20)" "$(cell "$(ratio berth "$ref" start)" 20)" \
    "$(cell "$(ratio berth "$ref" delete)" 20)" "$rss_ratio"
done

say ""
say "targets (issue): berth-runtime run wall ≤ 0.9× crun's; peak RSS ≤ crun's"
if [ -s "$work/data/berth.run" ] && [ -s "$work/data/crun.run" ] && [ -z "${failed[berth]:-}${failed[crun]:-}" ]; then
  r=$(paste "$work/data/berth.run" "$work/data/crun.run" | awk '{ print $1 / $2 }' | median)
  verdict=$(awk -v r="$r" 'BEGIN { print (r <= 0.9 ? "met" : "NOT met") }')
  say "  wall:     berth/crun = $r (target ≤ 0.90): $verdict"
  rb=$(median <"$work/data/berth.rss") rc_=$(median <"$work/data/crun.rss")
  verdict=$(awk -v a="$rb" -v b="$rc_" 'BEGIN { print (a <= b ? "met" : "NOT met") }')
  say "  peak RSS: berth $(awk -v a="$rb" 'BEGIN { printf "%.1f", a / 1024 }') MiB vs crun $(awk -v b="$rc_" 'BEGIN { printf "%.1f", b / 1024 }') MiB: $verdict"
else
  say "  not evaluated: berth or crun failed"
fi

say ""
size=$(stat -c %s "$BERTH")
say "berth-runtime binary: $BERTH, $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }') MiB)"
if command -v strip >/dev/null 2>&1 && strip -o "$work/stripped" "$BERTH" 2>/dev/null; then
  say "  stripped: $(awk -v s="$(stat -c %s "$work/stripped")" 'BEGIN { printf "%.1f", s / 1048576 }') MiB"
fi
say "  file: $(file -b "$BERTH")"
if file -b "$BERTH" | grep -q 'statically linked'; then say "  static: yes"; else say "  static: NO"; fi

# --- sequential cross-check with hyperfine (all of A, then all of B) ---------------------------------
if [ "$HYPERFINE" = 1 ] && [ ${#active[@]} -gt 0 ]; then
  hf=(hyperfine -N --warmup "$WARMUP" --runs "$N" --style none --export-json "$work/hf.json")
  for name in "${active[@]}"; do
    cmd_of "$name"
    hf+=(-n "$name" "${CMD[*]} run --bundle $BUNDLE ${prefix}hf-$name")
  done
  say ""
  if "${hf[@]}" </dev/null >/dev/null 2>"$work/err"; then
    say "cross-check, hyperfine -N --warmup $WARMUP --runs $N (sequential, not alternating): run wall ms, median (min–max)"
    python3 - "$work/hf.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("  %-6s %.1f (%.1f–%.1f)" % (r["command"], r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3))
PY
  else
    say "cross-check with hyperfine failed: $(cat "$work/err")"
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  say ""
  for name in "${!failed[@]}"; do say "FAILED: $name: ${failed[$name]}"; done
  exit 1
fi
