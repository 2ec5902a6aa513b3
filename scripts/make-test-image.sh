#!/usr/bin/env bash
# Builds berth's busybox test image from Debian's busybox-static, offline and deterministically (the
# same bytes on every run and machine with the same busybox-static version). In OUTDIR it makes:
#   rootfs/               a minimal busybox root filesystem (one symlink per applet in /bin)
#   bundle/               an OCI runtime bundle (config.json like `runc spec`'s) running /bin/true
#   bundle-sleep/         the same, running /bin/sleep 1000 (for long-running tests)
#   busybox-oci.tar       a one-layer OCI image layout archive (`ctr image import`)
#   busybox-docker.tar    the same image as a docker-archive (`docker load`)
# Usage: scripts/make-test-image.sh OUTDIR   (re-runnable: replaces what it made there before)
set -euo pipefail

export LC_ALL=C TZ=UTC
umask 022

die() { echo "make-test-image: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 OUTDIR"
[ -x /bin/busybox ] || die "/bin/busybox is missing: install busybox-static with scripts/install-deps.sh"
command -v python3 >/dev/null 2>&1 || die "python3 is missing: run scripts/install-deps.sh"
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is required"

mkdir -p "$1"
out=$(cd "$1" && pwd)
rm -rf "$out/rootfs" "$out/bundle" "$out/bundle-sleep" "$out/busybox-oci.tar" "$out/busybox-docker.tar"
tmp=$(mktemp -d "$out/.make-test-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Deterministic tar: names sorted (byte order), mtime 0, owner and group root:0 whatever the local
# users are, pax headers named without a pid and without atime/ctime.
dtar() {  # dtar ARCHIVE DIR NAME...
  local archive=$1 dir=$2; shift 2
  tar --create --file="$archive" --directory="$dir" --sort=name --mtime=@0 \
    --owner=root:0 --group=root:0 --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "$@"
}

# --- rootfs ---------------------------------------------------------------------------------------
root=$out/rootfs
mkdir "$root" "$root"/{bin,etc,proc,sys,dev,tmp,root}
chmod 0755 "$root" "$root"/{bin,etc,proc,sys,dev}
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
install -m 0755 /bin/busybox "$root/bin/busybox"
mapfile -t applets < <(/bin/busybox --list)
[ ${#applets[@]} -gt 0 ] || die "/bin/busybox --list printed no applets"
links=0
for applet in "${applets[@]}"; do
  case $applet in ''|*/*|.|..|busybox) continue ;; esac
  ln -s busybox "$root/bin/$applet"
  links=$((links + 1))
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

# --- runtime bundles (each with its own rootfs copy: runtimes and shims bind-mount it) --------------
runtime_config() {  # runtime_config FILE ARG...  (an OCI runtime-spec 1.0.2 config, as `runc spec`)
  python3 - "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
config = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted", "ambient")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "berth",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                        "/proc/scsi"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}
with open(path, "w") as f:
    f.write(json.dumps(config, indent="\t") + "\n")
PY
}
for b in bundle:/bin/true bundle-sleep:/bin/sleep:1000; do
  IFS=: read -r -a spec <<<"$b"
  mkdir "$out/${spec[0]}"
  chmod 0755 "$out/${spec[0]}"
  cp -a "$root" "$out/${spec[0]}/rootfs"
  runtime_config "$out/${spec[0]}/config.json" "${spec[@]:1}"
done

# --- image: one uncompressed layer, config, manifest; OCI layout and docker-archive -----------------
dtar "$tmp/layer.tar" "$root" .
mkdir "$tmp/oci" "$tmp/docker"
read -r layer_digest manifest_digest < <(python3 - "$tmp" <<'PY'
import hashlib, json, os, shutil, sys
tmp = sys.argv[1]
epoch = "1970-01-01T00:00:00Z"

def dump(obj):  # the exact bytes that are hashed, written and described
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)

def blob(data, media_type):  # store in the OCI layout, return its descriptor
    hexd = hashlib.sha256(data).hexdigest()
    write(os.path.join(tmp, "oci", "blobs", "sha256", hexd), data)
    return {"mediaType": media_type, "digest": "sha256:" + hexd, "size": len(data)}

with open(os.path.join(tmp, "layer.tar"), "rb") as f:
    layer = f.read()
layer_desc = blob(layer, "application/vnd.oci.image.layer.v1.tar")
layer_hex = layer_desc["digest"].split(":")[1]
config = dump({
    "architecture": "amd64",
    "os": "linux",
    "created": epoch,
    "config": {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": ["/bin/sh"],
        "WorkingDir": "/",
    },
    "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    "history": [{"created": epoch, "created_by": "scripts/make-test-image.sh"}],
})
config_desc = blob(config, "application/vnd.oci.image.config.v1+json")
manifest_desc = blob(dump({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": config_desc,
    "layers": [layer_desc],
}), "application/vnd.oci.image.manifest.v1+json")
write(os.path.join(tmp, "oci", "index.json"), dump({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [dict(manifest_desc,
                       platform={"architecture": "amd64", "os": "linux"},
                       annotations={"org.opencontainers.image.ref.name": "latest",
                                    "io.containerd.image.name": "docker.io/library/busybox:latest"})],
}))
write(os.path.join(tmp, "oci", "oci-layout"), dump({"imageLayoutVersion": "1.0.0"}))

# docker-archive (`docker save` format)
docker = os.path.join(tmp, "docker")
config_hex = config_desc["digest"].split(":")[1]
write(os.path.join(docker, "manifest.json"), dump([{
    "Config": config_hex + ".json",
    "RepoTags": ["busybox:latest"],
    "Layers": [layer_hex + "/layer.tar"],
}]))
write(os.path.join(docker, "repositories"), dump({"busybox": {"latest": layer_hex}}))
write(os.path.join(docker, config_hex + ".json"), config)
write(os.path.join(docker, layer_hex, "layer.tar"), layer)
write(os.path.join(docker, layer_hex, "VERSION"), b"1.0")
write(os.path.join(docker, layer_hex, "json"), dump({"id": layer_hex, "created": epoch, "os": "linux"}))
print(layer_desc["digest"], manifest_desc["digest"])
PY
)
[ -n "${manifest_digest:-}" ] || die "writing the image JSON failed"
dtar "$out/busybox-oci.tar" "$tmp/oci" blobs index.json oci-layout
(cd "$tmp/docker" && ls -A) | sort >"$tmp/docker.list"
mapfile -t docker_entries <"$tmp/docker.list"
dtar "$out/busybox-docker.tar" "$tmp/docker" "${docker_entries[@]}"

size() { stat -c %s "$1"; }
cat <<EOF
make-test-image: wrote $out
  rootfs/               busybox $(/bin/busybox | head -n1 | cut -d' ' -f2), $links applet symlinks
  bundle/               config.json + rootfs, runs /bin/true
  bundle-sleep/         config.json + rootfs, runs /bin/sleep 1000
  busybox-oci.tar       $(size "$out/busybox-oci.tar") bytes (OCI layout, docker.io/library/busybox:latest)
  busybox-docker.tar    $(size "$out/busybox-docker.tar") bytes (docker-archive, busybox:latest)
  layer digest          $layer_digest ($(size "$tmp/layer.tar") bytes)
  manifest digest       $manifest_digest
EOF
