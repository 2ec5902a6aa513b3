#!/usr/bin/env python3
"""Writes small valid seeds for the `archive` fuzz target into DIR: an OCI image layout, a
docker-archive (both with one tiny layer holding a file, a directory, a symlink, a hardlink and
whiteouts), the gzip of the first, and the bare layer tar. Used by scripts/fuzz.sh."""
import gzip, hashlib, io, json, sys, tarfile

def tar_bytes(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE; info.mode = 0o755
            elif kind == "sym":
                info.type = tarfile.SYMTYPE; info.linkname = data
            elif kind == "hard":
                info.type = tarfile.LNKTYPE; info.linkname = data
            else:
                info.size = len(data); info.mode = 0o644
            t.addfile(info, io.BytesIO(data) if kind == "file" else None)
    return out.getvalue()

def sha(b): return hashlib.sha256(b).hexdigest()

layer = tar_bytes([("etc/", "dir", None), ("etc/hello", "file", b"hi\n"), ("etc/link", "sym", "hello"),
                   ("etc/hard", "hard", "etc/hello"), ("etc/.wh.gone", "file", b""), ("var/", "dir", None),
                   ("var/.wh..wh..opq", "file", b"")])
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(config), "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(layer), "size": len(layer)}]}).encode()
index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": "sha256:" + sha(manifest), "size": len(manifest),
                    "annotations": {"io.containerd.image.name": "docker.io/library/seed:latest"}}]}).encode()
oci = tar_bytes([("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", "file", index),
                 ("blobs/", "dir", None), ("blobs/sha256/", "dir", None),
                 ("blobs/sha256/" + sha(config), "file", config), ("blobs/sha256/" + sha(manifest), "file", manifest),
                 ("blobs/sha256/" + sha(layer), "file", layer)])
docker_manifest = json.dumps([{"Config": sha(config) + ".json", "RepoTags": ["seed:latest"], "Layers": ["l/layer.tar"]}]).encode()
docker = tar_bytes([("manifest.json", "file", docker_manifest), (sha(config) + ".json", "file", config),
                    ("l/", "dir", None), ("l/layer.tar", "file", layer)])
d = sys.argv[1]
for name, data in [("seed-oci.tar", oci), ("seed-docker.tar", docker), ("seed-oci.tar.gz", gzip.compress(oci)), ("seed-layer.tar", layer)]:
    open(f"{d}/{name}", "wb").write(data)
