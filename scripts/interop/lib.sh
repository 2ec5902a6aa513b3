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

start_containerd() {  # start_containerd DIR: a private containerd (root, state, sockets in DIR; pid in DIR/pid)
  cat >"$1/config.toml" <<TOML
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$1/containerd.sock"
[ttrpc]
  address = "$1/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
  setsid containerd --config "$1/config.toml" >>"$1/containerd.log" 2>&1 </dev/null &
  echo $! >"$1/pid"
  for _ in $(seq 100); do ctr -a "$1/containerd.sock" version >/dev/null 2>&1 && return 0; sleep 0.1; done
}
