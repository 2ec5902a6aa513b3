# Shared by the interop scripts (sourced, not run): result counting and stopping a daemon by PID.

pass=0
fail=0

check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"
  else fail=$((fail + 1)); echo "FAIL $1: expected [$2], got [$3]"; fi
}

stop_daemon() {  # stop_daemon PIDFILE: SIGTERM, then SIGKILL after 15 s
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}

finish() {  # finish NAME: prints "NAME: N passed, M failed"; fails if any check failed
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
