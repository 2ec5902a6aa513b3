#!/usr/bin/env bash
# Fuzzes one of berth's parsers with libFuzzer for SECONDS (default 60) and prints the number of
# executions. TARGET is one of:
#   rpc       the ttrpc frame decoder and request dispatch (server and client connections)
#   requests  the protobuf decoding of every request of the engine, supervisor, shim and events APIs
#   oci       config.json: JSON parser, Spec decoder, validate(), encode/decode round trip
#   archive   image-archive import (tar, gzip, OCI layout, docker-archive) and layer extraction
#   cni       a CNI plugin's ADD result turned into an endpoint
#   dns       the network name servers' DNS codec: a query read and answered
# Usage: scripts/fuzz.sh TARGET [SECONDS]   (as root is not needed)
# Builds .build-fuzz/release/berth-fuzz-TARGET with -sanitize=fuzzer,address; the corpus persists
# in .build-fuzz/corpus/TARGET (seeded with valid inputs), crashes land in .build-fuzz/crashes/TARGET.
# A crash found becomes a regression case: copy it to Tests/Fixtures/fuzz-TARGET/ (scripts/test.sh
# replays that directory with the normal build of the same target) and fix the code.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh rpc|requests|oci|archive|cni|dns [SECONDS]}
seconds=${2:-60}
case "$target" in rpc|requests|oci|archive|cni|dns) ;; *) echo "fuzz.sh: unknown target $target" >&2; exit 2 ;; esac
scratch=.build-fuzz
swift build -c release --scratch-path "$scratch" --product "berth-fuzz-$target" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DBERTH_FUZZ 2>&1 | grep -vE 'Cannot export local symbol|warning:' || true
bin="$scratch/release/berth-fuzz-$target"
[ -x "$bin" ] || { echo "fuzz.sh: build of berth-fuzz-$target failed" >&2; exit 1; }
corpus="$scratch/corpus/$target" crashes="$scratch/crashes/$target"
mkdir -p "$corpus" "$crashes"
max_len=65536
case "$target" in
  rpc)
    # A unary Connect request frame and an OK response, as the real shim sends them.
    printf '\x00\x00\x00\x0b\x00\x00\x00\x01\x01\x00\x0a\x03f.S\x12\x01U\x1a\x01x' >"$corpus/seed-request"
    printf '\x00\x00\x00\x06\x00\x00\x00\x01\x02\x00\x12\x04\x08\xda\x8d\x01' >"$corpus/seed-response" ;;
  requests)
    # Type selector byte, then wire bytes: a string field 1, a nested message, a repeated field.
    printf '\x00\x0a\x03abc' >"$corpus/seed-string"
    printf '\x10\x0a\x02id\x12\x04\x0a\x02ns' >"$corpus/seed-nested"
    printf '\x21\x0a\x01a\x0a\x01b\x10\x01' >"$corpus/seed-repeated" ;;
  oci)
    for f in .build-test-image/bundle/config.json .build-test-image/bundle-sleep/config.json; do
      [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$(dirname "$f")").json"
    done
    printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}}}' >"$corpus/seed-minimal.json" ;;
  archive)
    python3 scripts/fuzz-seeds-archive.py "$corpus" ;;
  cni)
    printf '{"cniVersion":"1.0.0","interfaces":[{"name":"bb-1","mac":"aa:bb:cc:00:00:01"},{"name":"eth0","mac":"aa:bb:cc:00:00:02","sandbox":"/run/netns/x"}],"ips":[{"interface":1,"address":"10.88.0.2/24","gateway":"10.88.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}' >"$corpus/seed-bridge.json" ;;
  dns)
    # An A query for web.front with an EDNS OPT record, and a PTR query for 10.2.3.4.
    printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03web\x05front\x00\x00\x01\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00' >"$corpus/seed-a"
    printf '\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x014\x013\x012\x0210\x07in-addr\x04arpa\x00\x00\x0c\x00\x01' >"$corpus/seed-ptr" ;;
esac
# Swift's backtracer would hang on the first crash; libFuzzer reports it instead.
SWIFT_BACKTRACE=enable=no "$bin" "$corpus" -max_total_time="$seconds" -max_len="$max_len" -timeout=20 \
  -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 | tee "$scratch/last-run-$target.log" |
  grep -E '^#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|ERROR|crash-|timeout-' || true
if ls "$crashes/"crash-* "$crashes/"timeout-* >/dev/null 2>&1; then
  echo "fuzz.sh: $target: findings in $crashes" >&2
  exit 1
fi
