# chaos-network.sh: the networking half of scripts/chaos.sh, sourced by it when CHAOS_NETWORK is
# bridge (every container on the default bridge), user (on a user network the run creates) or
# mix (each container drawn from SEED: none, bridge or the user network); on bridge and user
# networks every other container, drawn the same way, publishes `-p 127.0.0.1::80`. While a
# container runs, the address inspect reports must be the one on eth0 in its namespace (the
# sandbox key). After the run, nothing of the run's networking may be left (all containers are
# gone by then): pinned namespaces (chaos.sh counts them) and `ip netns` entries, veths on the
# run's bridges, host-local leases under the engine's data-root, CNI attachment records,
# iptables lines (filter and nat: iptables-save; this host's iptables is the nft backend, so
# these are its nftables rules too) naming a container of the run, one of its subnets or a CNI
# chain of one of its containers (masquerade, portmap's DNAT chains), DNAT rules for a host port
# it published; and the user network's `network rm` must take its bridge and chain along. The
# only targets: loopback, and the bridges and namespaces the run's engine made. Needs from
# chaos.sh: b, count, log, $work, $SEED, $N, $name and $dir inside a lifecycle.

net_mode=${CHAOS_NETWORK:-none}
net_user=chaos-$SEED
net_plan=()

# net_init: checks the mode, creates the user network, draws each container's network, and
# notes the `ip netns` entries there were before.
net_init() {
  case $net_mode in bridge|user|mix) ;; *) log "CHAOS_NETWORK must be none, bridge, user or mix"; return 1 ;; esac
  if [ "$net_mode" != bridge ]; then
    b network create "$net_user" >/dev/null || { log "network create $net_user failed"; return 1; }
  fi
  local modes=(none bridge "$net_user") i m
  RANDOM=$(( SEED * 104729 + 3 ))  # a stream of its own: the lifecycle plan stays what SEED made it
  for i in $(seq 1 "$N"); do
    case $net_mode in
      bridge) m=bridge ;;
      user) m=$net_user ;;
      mix) m=${modes[$(( RANDOM % 3 ))]} ;;
    esac
    if [ "$m" = none ]; then net_plan+=("none 0"); else net_plan+=("$m $(( RANDOM % 2 ))"); fi
  done
  ip netns list 2>/dev/null | awk '{print $1}' | sort >"$work/netns-before"
  # The run's networks (ids, subnets as "10.a.b.", bridges) while the engine answers.
  local n
  for n in $(b network ls -q --no-trunc); do
    echo "$n"
    b network inspect -f '{{json .IPAM.Config}} {{json .Options}}' "$n" |
      grep -o '"Subnet":"[0-9.]*\.0/\|"com.docker.network.bridge.name":"[^"]*' | sed -e 's/.*"//' -e 's/0\/$//'
  done >"$work/net-networks"
  grep -q '^bb-' "$work/net-networks" || { log "no bridge found among the networks"; return 1; }
}

# net_args I: the `create` flags of container I.
net_args() {
  local entry=${net_plan[$(( $1 - 1 ))]}
  local m=${entry% *} publish=${entry#* }
  echo "--network $m"
  [ "$publish" = 1 ] && echo "-p 127.0.0.1::80"
}

# net_running: a running container's reported address is on its eth0, and its published port is
# reported; notes the host port. Fails (retried by the caller) while the engine does not answer.
net_running() {
  local entry=${net_plan[$(( i - 1 ))]}
  [ "${entry% *}" = none ] && return 0
  local shown address key ports actual
  shown=$(b inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.SandboxKey}}|{{json .NetworkSettings.Ports}}' "$name" 2>/dev/null) || return 1
  IFS='|' read -r address key ports <<<"$shown"
  actual=$(nsenter --net="$key" ip -4 -o addr show dev eth0 2>&1 | awk '{print $4}')
  [ -n "$address" ] && [ "$address" = "${actual%/*}" ] ||
    echo "address: inspect says '$address', eth0 in '$key' has '$actual'" >>"$dir/problems"
  if [ "${entry#* }" = 1 ]; then
    local port; port=$(grep -o '"HostPort":"[0-9]*"' <<<"$ports" | grep -o '[0-9][0-9]*')
    if [ -n "$port" ] && grep -q '"HostIp":"127.0.0.1"' <<<"$ports"; then echo "$port" >"$dir/port"
    else echo "port: inspect says $ports" >>"$dir/problems"; fi
  fi
  return 0
}

# The run's own iptables names: bridge chains, subnets ("10.a.b."), container ids, and the CNI
# chains of each container on each network (CNI's names: "CNI-" or "CNI-DN-" and sha512 of
# network name + container id, 28 characters in all).
net_needles() {
  local ids n c h
  ids=$(grep -o 'id=[0-9a-f]\{64\}' "$work/engine.log" | cut -d= -f2 | sort -u)
  cat "$work/net-networks"
  echo "$ids"
  for n in $(grep -x '[0-9a-f]\{64\}' "$work/net-networks"); do
    for c in $ids; do
      h=$(printf '%s%s' "$n" "$c" | sha512sum | cut -c1-24)
      echo "CNI-$h"; echo "CNI-DN-${h:0:21}"
    done
  done
}

# net_leaks: counts what the run's networking left; sets net_leaked and net_summary.
net_leaks() {
  local needles bridges links leases records rules ports netns
  needles=$(net_needles | grep -v '^$' | sort -u)
  echo "$needles" >"$work/net-needles"
  bridges=$(grep '^bb-' <<<"$needles")
  links=$(for l in /sys/class/net/*; do
            m=$(readlink "$l/master" 2>/dev/null) && grep -qx "${m##*/}" <<<"$bridges" && echo "${l##*/}"
          done | tee "$work/net-links" | count)
  leases=$(find "$work/data/networks/ipam" -mindepth 2 -name '[0-9]*' 2>/dev/null | tee "$work/net-leases" | count)
  records=$(find "$work/data/containers" -name 'cni-*.json' 2>/dev/null | count)
  { iptables-save -t filter; iptables-save -t nat; } 2>/dev/null |
    grep -Ff <(grep -v '^bb-' <<<"$needles") >"$work/net-rules"
  rules=$(count <"$work/net-rules")
  ports=0
  for p in $(cat "$work"/c/*/port 2>/dev/null); do
    grep -Eq -- "--dports? $p( |$)" "$work/net-rules" && ports=$((ports + 1))
  done
  netns=$(comm -13 "$work/netns-before" <(ip netns list 2>/dev/null | awk '{print $1}' | sort) | count)
  # The user network's removal takes its bridge and chain along.
  local gone=0
  if [ "$net_mode" != bridge ]; then
    local ub; ub=$(b network inspect -f '{{json .Options}}' "$net_user" 2>/dev/null | grep -o 'bb-[0-9a-f]*')
    b network rm "$net_user" >/dev/null 2>&1 || { log "network rm $net_user failed"; gone=1; }
    if [ -n "$ub" ]; then
      [ -e "/sys/class/net/$ub" ] && gone=$((gone + 1))
      iptables-save -t filter 2>/dev/null | grep -q -- "$ub" && gone=$((gone + 1))
    fi
  fi
  net_leaked=$(( links + leases + records + rules + netns + gone ))
  net_summary="veths $links, leases $leases, attachments $records, iptables lines $rules (host ports $ports), ip netns $netns, user network left $gone"
  [ "$rules" -gt 0 ] && log "iptables lines left: $(head -5 "$work/net-rules" | tr '\n' '|')"
  [ "$leases" -gt 0 ] && log "leases left: $(tr '\n' ' ' <"$work/net-leases")"
  [ "$links" -gt 0 ] && log "veths left: $(tr '\n' ' ' <"$work/net-links")"
  return 0
}

# net_cleanup: after the daemons are gone, what the engine did not remove: the run's iptables
# lines and chains, then its bridges (pinned namespaces are mounts under $work, which chaos.sh
# detaches; their veths go with them).
net_cleanup() {
  local needles=$work/net-needles table line chain
  [ -s "$needles" ] || net_needles 2>/dev/null | grep -v '^$' | sort -u >"$needles"
  [ -s "$needles" ] || return 0
  for table in nat filter; do
    iptables-save -t "$table" 2>/dev/null | grep '^-A ' | grep -Ff "$needles" | while read -r line; do
      eval "iptables -w -t $table -D ${line#-A }" 2>/dev/null
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | grep -o '^:[^ ]*' | tr -d : | grep -xFf "$needles"); do
      iptables -w -t "$table" -F "$chain" 2>/dev/null; iptables -w -t "$table" -X "$chain" 2>/dev/null
    done
  done
  for line in $(grep '^bb-' "$needles"); do ip link del "$line" 2>/dev/null; done
}
