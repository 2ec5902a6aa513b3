#!/usr/bin/env bash
# Installs the Debian 12 packages berth needs to build and to run its tests. Idempotent and
# non-interactive (CI, no stdin): when every package is already installed it exits at once without
# touching apt; otherwise it runs `apt-get update` and installs only what is missing.
set -euo pipefail

packages=(
  # build: pkg-config, the C libraries the runtime links (the -dev packages ship libseccomp.a and
  # libcap.a for static links), libsystemd for the daemons, protoc for scripts/gen-protos.sh
  pkg-config libseccomp-dev libcap-dev libsystemd-dev zlib1g-dev protobuf-compiler
  # tests: busybox for the test image (scripts/make-test-image.sh), the reference runtime and
  # daemon, ip for network namespaces, GNU time for peak RSS, jq for JSON checks
  busybox-static containerd runc iproute2 time jq
  # benchmark: conmon, podman's shim, the third column of scripts/bench/shim.sh
  conmon
  # tests: real dockerd driving berth-runtime (scripts/interop/dockerd.sh)
  docker.io
  # networking: the standard CNI plugins (bridge, host-local, portmap, firewall, loopback in
  # /usr/lib/cni) the engine runs for bridge networks, and iptables they program
  containernetworking-plugins iptables
  # tests: TLS roots, so anything fetched over https can be verified
  ca-certificates
)
# tests: python3 (scripts/make-test-image.sh, checks). Any python3 on PATH will do (pyenv, say);
# Debian's is installed only when there is none.
command -v python3 >/dev/null 2>&1 || packages+=(python3)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed, nothing to do"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: must run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo -n)
fi

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: installed ${#missing[@]} missing package(s): ${missing[*]}"
