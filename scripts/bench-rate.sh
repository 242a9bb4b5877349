#!/usr/bin/env bash
# Open-model accuracy of facesim load against nginx on loopback (client and receiver on
# different cores):
#   1. --rate 10000: achieved within 0.5% of the target, with the latency percentiles
#      (from the scheduled send time) and the service time (from the actual send);
#   2. 10,000 devices at one event per 10 s each (1,000 events/s in all): achieved within
#      1%, peak RSS under 256 MB;
#   3. the same fleet with Poisson arrivals, for information: the realised schedule varies
#      by chance, so sent is compared with the arrivals actually scheduled.
#
# Usage: scripts/bench-rate.sh      (DURATION=20 FACESIM=target/release/facesim)
# Exits 1 when a target is missed.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

DURATION=${DURATION:-20}
CONNS=${CONNS:-32}
failed=0

ensure_tools
start_nginx

check() {
    local what=$1 verdict=$2
    if [[ $verdict == 1 ]]; then
        echo "  PASS  $what"
    else
        echo "  FAIL  $what"
        failed=1
    fi
}

run() {
    log "+ facesim load $*"
    measure "$FACESIM" load --to "$RECEIVER_URL" --connections "$CONNS" --quiet "$@"
    sed 's/^/    /' "$WORK/out"
    echo "    client: ${TIME_CPU} s cpu, peak RSS $((TIME_RSS_KB / 1024)) MB, ${TIME_WALL} s wall"
}

within() { # within ACTUAL TARGET PERCENT -> 1 or 0
    awk -v a="$1" -v t="$2" -v p="$3" 'BEGIN { d = a - t; if (d < 0) d = -d; print (d * 100 <= t * p) ? 1 : 0 }'
}

echo "1. --rate 10000 --arrival constant --duration ${DURATION}s"
run --rate 10000 --arrival constant --duration "${DURATION}s"
achieved=$(summary_value '  rate ' achieved)
check "achieved $achieved/s within 0.5% of 10000/s" "$(within "$achieved" 10000 0.5)"
ok=$(summary_value 'events ' ok)
sent=$(summary_value 'events ' sent)
check "every event answered ($ok of $sent ok)" "$([[ $ok == "$sent" && $sent -gt 0 ]] && echo 1 || echo 0)"

echo "2. 10,000 devices at one event per 10 s each: --devices 10000 --rate 1000 --arrival constant"
run --devices 10000 --rate 1000 --arrival constant --duration "${DURATION}s"
achieved=$(summary_value '  rate ' achieved)
check "achieved $achieved/s within 1% of 1000/s" "$(within "$achieved" 1000 1)"
check "peak RSS $((TIME_RSS_KB / 1024)) MB under 256 MB" "$(( TIME_RSS_KB < 256 * 1024 ? 1 : 0 ))"

echo "3. the same fleet with Poisson arrivals (for information)"
run --devices 10000 --rate 1000 --arrival poisson --duration "${DURATION}s"
scheduled=$(awk '/arrivals scheduled/ { print $2 }' "$WORK/out")
sent=$(summary_value 'events ' sent)
check "sent $sent of $scheduled scheduled arrivals" "$([[ $sent == "$scheduled" ]] && echo 1 || echo 0)"

exit "$failed"
