#!/usr/bin/env bash
# Runs one load as N local facesim processes (`--shard I/N`) and merges their results
# exactly with `facesim merge`: the same procedure as the Kubernetes Indexed Job in
# scripts/k8s/facesim-load-job.yaml, on one machine.
#
# Usage: scripts/shard-merge.sh [--to URL] [-- extra facesim load arguments]
#   SHARDS=4 RATE=2000 DURATION=10s DEVICES=1000 OUT=shard-results
# Without --to, an nginx receiver is started on loopback (as in the benchmarks).
# Writes OUT/shard-I.json, OUT/merged.json and OUT/merged.html; exits with merge's code
# (1 when a threshold given in the extra arguments is violated).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

SHARDS=${SHARDS:-4}
RATE=${RATE:-2000}
DURATION=${DURATION:-10s}
DEVICES=${DEVICES:-1000}
OUT=${OUT:-shard-results}
URL=
if [[ ${1:-} == --to ]]; then
    URL=$2
    shift 2
fi
[[ ${1:-} == -- ]] && shift
EXTRA=("$@")

ensure_facesim
if [[ -z $URL ]]; then
    need nginx nginx
    start_nginx
    URL=$RECEIVER_URL
fi
mkdir -p "$OUT"
rm -f "$OUT"/shard-*.json

echo "load of $RATE events/s over $DEVICES devices for $DURATION, as $SHARDS processes"
pids=()
for i in $(seq 0 $((SHARDS - 1))); do
    "$FACESIM" load --to "$URL" --rate "$RATE" --duration "$DURATION" --devices "$DEVICES" \
        --shard "$i/$SHARDS" --json "$OUT/shard-$i.json" --quiet "${EXTRA[@]}" \
        >"$OUT/shard-$i.txt" 2>&1 &
    pids+=("$!")
done
status=0
for i in "${!pids[@]}"; do
    # A shard that violated a threshold still wrote its result; only missing results matter.
    wait "${pids[$i]}" || status=$?
    [[ -s $OUT/shard-$i.json ]] || { cat "$OUT/shard-$i.txt" >&2; die "shard $i/$SHARDS wrote no result (exit $status)"; }
done

"$FACESIM" merge "$OUT"/shard-*.json --json "$OUT/merged.json" --html "$OUT/merged.html"
