#!/usr/bin/env bash
# The many-entries hostile image at full size (issue 10): `scripts/hostile-tar.sh [ENTRIES]`
# (10 000 000). Generates, streaming, a docker-archive whose one layer (gzip'd) holds ENTRIES empty
# files in one directory — the layer's tar is ENTRIES × 512 bytes uncompressed (5 GB at 10 M) but
# only its gzip'd form (~1 % of that) is ever written — and starts a private berth-supervisor on
# a temporary directory with its default layer limits ($BERTH_MAX_LAYER_ENTRIES, if set, is passed
# on: a smaller, CI-sized run). Then `berth-ctr images import`, which must be refused with "more
# than N entries" (the importer reads every layer against the limits before anything is
# unpacked). Checks and prints: the refusal and its words, how long it took, the supervisor's
# VmRSS before and at its peaks during the import (sampled every 50 ms; while the archive streams
# in, and then while its blobs are ingested and the layer is read), how slowly it answered
# other calls meanwhile, that it answers afterwards, and that nothing is left: no image, no
# snapshot directory, no content blob or ingest file, no temporary file (the files under the root
# before the import and after it are the same), no mount under the work directory. Exits non-zero
# if a check fails. Cleans up on exit, also on failure or ^C (the supervisor by pid, mounts, files).
#
# Usage: scripts/hostile-tar.sh [ENTRIES]   (as root; BERTH_BIN=DIR for other binaries, e.g. a
#        release build; HOSTILE_RSS_LIMIT_MIB (256): the peak VmRSS the supervisor may reach)
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
ENTRIES=${1:-10000000}
[ "$(id -u)" -eq 0 ] || { echo "hostile-tar.sh: must run as root" >&2; exit 2; }
[[ $ENTRIES =~ ^[0-9]+$ ]] && [ "$ENTRIES" -gt 0 ] || { echo "hostile-tar.sh: ENTRIES must be a positive number" >&2; exit 2; }
bin=${BERTH_BIN:-$(swift build --show-bin-path)}
for program in berth-supervisor berth-ctr; do
  [ -x "$bin/$program" ] || { echo "hostile-tar.sh: $bin/$program missing: swift build first" >&2; exit 2; }
done
default_limit=$(grep -o 'defaultMaxEntries = [0-9_]*' Sources/Images/LayerLimits.swift | grep -o '[0-9_]*$' | tr -d _)
limit=${BERTH_MAX_LAYER_ENTRIES:-$default_limit}
rss_limit=${HOSTILE_RSS_LIMIT_MIB:-256}
[ "$ENTRIES" -gt "$limit" ] || { echo "hostile-tar.sh: $ENTRIES entries are within the limit ($limit): nothing to refuse" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-hostile-tar-XXXXXX)
root=$work/root
sock=$work/run/supervisor.sock
ns=hostile-tar
sampler=
prober=
failures=0
ctr() { timeout -k 5 600 "$bin/berth-ctr" -a "$sock" -n "$ns" "$@"; }
now() { date +%s%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
check() {  # check OK|FAIL TEXT
  if [ "$1" = OK ]; then echo "  ok    $2"; else echo "  FAIL  $2"; failures=$((failures + 1)); fi
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

cleanup() {
  set +e
  for job in $sampler $prober; do kill "$job" 2>/dev/null; wait "$job" 2>/dev/null; done
  if [ -f "$work/supervisor.pid" ]; then
    pid=$(cat "$work/supervisor.pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "hostile-tar: binaries $bin"
echo "hostile-tar: $ENTRIES empty files in one layer; the supervisor's layer entry limit is $limit$([ -n "${BERTH_MAX_LAYER_ENTRIES:-}" ] && echo " (\$BERTH_MAX_LAYER_ENTRIES)" || echo " (its default)")"

# 1. The archive: the layer's tar made header by header, hashed (its diff id) and gzip'd as it
# goes; then the docker-archive (manifest.json, the config, the layer) around it.
t0=$(now)
python3 - "$ENTRIES" "$work/archive" <<'PYTHON' || { echo "hostile-tar: generating the archive failed" >&2; exit 1; }
import hashlib, io, json, os, sys, tarfile, zlib
entries, directory = int(sys.argv[1]), sys.argv[2]
os.makedirs(directory)
width = len(str(entries - 1))

def header(name, typeflag, mode):
    block = bytearray(512)
    block[0:len(name)] = name.encode()
    block[100:108] = b"%07o\0" % mode
    block[108:124] = b"0000000\0" * 2              # uid, gid 0
    block[124:148] = b"00000000000\0" * 2          # size, mtime 0
    block[148:156] = b" " * 8                      # the checksum counts as spaces
    block[156:157] = typeflag
    block[257:265] = b"ustar\x0000"
    block[148:156] = b"%06o\0 " % sum(block)
    return block

layer_path = directory + "/layer.tar.gz"
diff = hashlib.sha256()
gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
with open(layer_path, "wb") as out:
    def emit(data):
        diff.update(data)
        out.write(gzip.compress(data))
    emit(bytes(header("many/", b"5", 0o755)))
    # Every file's header is the template's but for the digits of its name and the checksum.
    template = header("many/" + "0" * width, b"0", 0o644)
    base = sum(template[:148]) + 8 * 32 + sum(template[156:]) - sum(b"0" * width)
    head, middle, tail = bytes(template[:5]), bytes(template[5 + width:148]), bytes(template[156:])
    name = "%0" + str(width) + "d"
    batch = []
    for index in range(entries):
        digits = (name % index).encode()
        batch.append(head + digits + middle + b"%06o\0 " % (base + sum(digits)) + tail)
        if len(batch) == 8192:
            emit(b"".join(batch))
            batch = []
    emit(b"".join(batch) + bytes(1024))            # the end: two zero blocks
    out.write(gzip.flush())

config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]}}).encode()
manifest = json.dumps([{"Config": "config.json", "RepoTags": ["hostile/many-entries:latest"],
                        "Layers": ["layer.tar"]}]).encode()
with tarfile.open(directory + "/many-entries.tar", "w", format=tarfile.USTAR_FORMAT) as archive:
    for name, data in (("manifest.json", manifest), ("config.json", config)):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    archive.add(layer_path, arcname="layer.tar")
os.unlink(layer_path)
print("  layer: %d entries, %d bytes as tar, diff id sha256:%s" % (entries + 1, (entries + 3) * 512, diff.hexdigest()))
PYTHON
archive=$work/archive/many-entries.tar
t1=$(now)
echo "  archive: $(stat -c %s "$archive") bytes (docker-archive, gzip'd layer), made in $(seconds "$t0" "$t1") s"

# 2. A private supervisor with its default limits (or $BERTH_MAX_LAYER_ENTRIES).
mkdir -p "$work/run"
setsid "$bin/berth-supervisor" --root "$root" --state "$work/run/state" --address "$sock" \
  --log-level warning >>"$work/supervisor.log" 2>&1 </dev/null &
echo $! >"$work/supervisor.pid"
pid=$(cat "$work/supervisor.pid")
for _ in $(seq 200); do ctr images ls >/dev/null 2>&1 && break; sleep 0.05; done
ctr images ls >/dev/null 2>&1 || { echo "hostile-tar: the supervisor did not start:"; cat "$work/supervisor.log"; exit 1; }
listing() { (cd "$root" && find . -mindepth 1 ! -type d | sort); }  # empty directories made on first use do not count
listing >"$work/root-before"

# 3. The import, refused; meanwhile the supervisor's VmRSS is sampled and another call timed each second.
sleep 2  # let the supervisor go idle (it gives back memory after a quiet second)
rss_before=$(rss_kib "$pid")
archive_size=$(stat -c %s "$archive")
( phase=receive; peak=0  # receive: the archive streams into the spool file; read: its blobs are ingested and checked
  while kill -0 "$pid" 2>/dev/null; do
    r=$(rss_kib "$pid")
    if [ "$phase" = receive ] && [ "$(stat -c %s "$root"/tmp/import-* 2>/dev/null | head -1)" = "$archive_size" ]; then phase=read peak=0; echo "$r" >"$work/rss-read-start"; fi
    [ -n "$r" ] && [ "$r" -gt "$peak" ] && { peak=$r; echo "$peak" >"$work/rss-$phase"; }
    sleep 0.05
  done ) &
sampler=$!
( while true; do
    a=$(now); ctr namespaces ls >/dev/null 2>&1; echo $(( ($(now) - a) / 1000000 )) >>"$work/latency"; sleep 1
  done ) &
prober=$!
t0=$(now)
ctr images import "$archive" >"$work/import.out" 2>&1
status=$?
t1=$(now)
refusal=$(seconds "$t0" "$t1")
kill "$sampler" "$prober" 2>/dev/null; wait "$sampler" "$prober" 2>/dev/null; sampler= prober=
rm -f "$archive"
rss_receive=$(cat "$work/rss-receive" 2>/dev/null || echo 0)
rss_read=$(cat "$work/rss-read" 2>/dev/null || echo 0)
rss_peak=$(( rss_receive > rss_read ? rss_receive : rss_read ))
message=$(tr '\n' ' ' <"$work/import.out")
outcome="NOT refused"
if [ "$status" -ne 0 ] && grep -q "more than $limit entries" "$work/import.out"; then
  outcome=refused
  check OK "import refused in $refusal s: $message"
else
  check FAIL "import not refused with \"more than $limit entries\" (status $status, $refusal s): $message"
fi
rss_read_start=$(cat "$work/rss-read-start" 2>/dev/null || echo 0)
echo "  supervisor VmRSS: $(mib "$rss_before") before; peak $(mib "$rss_receive") while the archive streamed in;" \
  "$(mib "$rss_read_start") when its blobs began to be read, peak $(mib "$rss_read") while they were (+$(mib $((rss_read - rss_read_start))))"
[ "$rss_peak" -le $((rss_limit * 1024)) ] && check OK "peak VmRSS under $rss_limit MiB" \
  || check FAIL "peak VmRSS $(mib "$rss_peak") over $rss_limit MiB"
echo "  other calls during the import: $(wc -l <"$work/latency") answered, slowest $(sort -n "$work/latency" | tail -1) ms"

# 4. The supervisor answers, and nothing of the import is left.
kill -0 "$pid" 2>/dev/null && ctr images ls -q >"$work/images" 2>&1 && check OK "the supervisor answers" \
  || check FAIL "the supervisor does not answer: $(cat "$work/images")"
[ ! -s "$work/images" ] && check OK "no image" || check FAIL "images left: $(cat "$work/images")"
[ -z "$(ctr snapshots ls 2>&1 | tail -n +2)" ] && check OK "no snapshot" || check FAIL "snapshots: $(ctr snapshots ls 2>&1)"
left=$(find "$root/snapshots" -mindepth 1 -maxdepth 1 ! -name meta 2>/dev/null)
[ -z "$left" ] && check OK "no snapshot directory under the root" || check FAIL "snapshot directories left: $left"
listing >"$work/root-after"
if diff -q "$work/root-before" "$work/root-after" >/dev/null; then
  check OK "the root holds the same $(wc -l <"$work/root-after") files as before the import: no blob, ingest or temporary file left"
else
  check FAIL "the root differs from before the import: $(diff "$work/root-before" "$work/root-after" | head -20 | tr '\n' ' ')"
fi
mounts=$(findmnt -rn -o TARGET | grep -c "^$work/")
[ "$mounts" -eq 0 ] && check OK "no mount under $work" || check FAIL "$mounts mounts under $work"
grep -v "more than $limit entries" "$work/supervisor.log" | grep -iE "error|fatal|crash" | head -5 | sed 's/^/  supervisor log: /'

echo "hostile-tar: $ENTRIES entries, limit $limit: import $outcome in $refusal s, supervisor VmRSS $(mib "$rss_before") → peak $(mib "$rss_peak"); $failures failed"
[ "$failures" -eq 0 ]
