#!/usr/bin/env bash
# facesim load --max against oha: same receiver (nginx on loopback answering a fixed push
# answer), same connections, the same event body (oha replays one facesim event of the
# default size; facesim sends a distinct event each time, of the same size), client and
# receiver pinned to different cores. Rounds alternate the order of the two tools so
# that drift on a noisy machine hits both; the medians are compared.
#
# Reports per tool: events per second, client CPU per event (user + sys from GNU time,
# divided by events, start-up included) and peak RSS.
#
# Usage: scripts/bench-vs-oha.sh            (settings below, as environment variables)
#   CONNS=32 DURATION=5 ROUNDS=7 POOL=1 FACESIM=target/release/facesim OHA=oha
# Installs nginx with apt-get and oha with `cargo install --locked oha` when missing.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

CONNS=${CONNS:-32}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-7}
# One pooled snapshot gives every facesim event the size of oha's body; each event still
# has its own device, record fields and trace comment.
POOL=${POOL:-1}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}

ensure_tools
if [[ ! -x $OHA ]]; then
    log "installing oha (cargo install --locked oha, about 10 minutes)"
    cargo install --locked oha || die "cannot install oha"
    OHA=$HOME/.cargo/bin/oha
fi
start_nginx

# The body oha replays: facesim's first event, exactly as facesim sends it.
"$FACESIM" load --to "$RECEIVER_URL" --count 1 --image-pool "$POOL" --quiet \
    --save-body "$WORK/body.json" >/dev/null
log "event body: $(wc -c <"$WORK/body.json") bytes"

run_oha() {
    measure "$OHA" -z "${DURATION}s" -c "$CONNS" -m POST -T application/json \
        -D "$WORK/body.json" --no-tui "$RECEIVER_URL"
    local ok rps
    ok=$(grep -o '\[200\] [0-9]* responses' "$WORK/out" | awk '{ print $2 }')
    rps=$(awk '/Requests\/sec:/ { print $2 }' "$WORK/out")
    EVENTS=${ok:-0}
    RATE=${rps:-0}
}

run_facesim() {
    measure "$FACESIM" load --to "$RECEIVER_URL" --max --connections "$CONNS" \
        --duration "${DURATION}s" --image-pool "$POOL" --quiet
    EVENTS=$(summary_value 'events ' ok)
    RATE=$(summary_value '  rate ' achieved)
}

declare -A rate cpu rss
record() {
    local tool=$1 us
    us=$(awk -v c="$TIME_CPU" -v n="$EVENTS" 'BEGIN { printf "%.2f", (n > 0) ? c * 1e6 / n : 0 }')
    rate[$tool]+="$RATE "
    cpu[$tool]+="$us "
    rss[$tool]+="$TIME_RSS_KB "
    printf '  %-8s %10.0f ev/s  %8d events  %6.2f s cpu  %6.2f us/event  %7d KB peak RSS  (nginx %.2f s cpu)\n' \
        "$tool" "$RATE" "$EVENTS" "$TIME_CPU" "$us" "$TIME_RSS_KB" "$SERVER_CPU_S"
}

log "warm-up"
DURATION_SAVED=$DURATION
DURATION=2
run_oha
run_facesim
DURATION=$DURATION_SAVED

echo "facesim load --max vs oha: $CONNS connections, ${DURATION}s per run, $ROUNDS rounds," \
    "client on cpu $CLIENT_CPU, nginx on cpu $SERVER_CPU"
for round in $(seq "$ROUNDS"); do
    echo "round $round"
    if (( round % 2 )); then
        run_oha; record oha
        run_facesim; record facesim
    else
        run_facesim; record facesim
        run_oha; record oha
    fi
done

# shellcheck disable=SC2086
{
    f_rate=$(median ${rate[facesim]}); o_rate=$(median ${rate[oha]})
    f_cpu=$(median ${cpu[facesim]}); o_cpu=$(median ${cpu[oha]})
    f_rss=$(median ${rss[facesim]}); o_rss=$(median ${rss[oha]})
}
# The best round of each tool is the nearest to an idle machine; the median is the verdict.
# shellcheck disable=SC2086
echo "best round: facesim $(printf '%s\n' ${rate[facesim]} | sort -g | tail -1) ev/s," \
    "oha $(printf '%s\n' ${rate[oha]} | sort -g | tail -1) ev/s"
echo "median"
printf '  %-8s %10.0f ev/s  %6.2f us/event  %7.0f KB peak RSS\n' facesim "$f_rate" "$f_cpu" "$f_rss"
printf '  %-8s %10.0f ev/s  %6.2f us/event  %7.0f KB peak RSS\n' oha "$o_rate" "$o_cpu" "$o_rss"
awk -v fr="$f_rate" -v hr="$o_rate" -v fc="$f_cpu" -v hc="$o_cpu" -v fm="$f_rss" -v hm="$o_rss" 'BEGIN {
    printf "facesim/oha: throughput x%.2f, cpu per event x%.2f, peak RSS x%.2f\n", fr / hr, fc / hc, fm / hm
    ok = (fr >= hr) && (fc < hc) && (fm < hm)
    print ok ? "PASS: throughput >= oha, cpu per event and RSS below oha" : "FAIL: see the figures above"
    exit ok ? 0 : 1
}'
