#!/usr/bin/env bash
# Kept for old notes: the same as `scripts/fuzz.sh rpc [SECONDS]`.
exec "$(dirname "$0")/fuzz.sh" rpc "$@"
