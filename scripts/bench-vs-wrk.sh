#!/usr/bin/env bash
# facesim load --max against wrk: same receiver (nginx on loopback answering a fixed push
# answer, pinned to one core), same connections, the same event body (wrk posts one
# facesim event of the default size from a Lua script; facesim sends a distinct event each
# time, of the same size), each client pinned to the other core, closed loop for both.
# Rounds alternate the order of the tools so that drift on a noisy machine hits all of
# them; the medians are compared, and the ratios are what to read on a shared machine.
#
# Reports per tool: requests per second, client CPU per request (user + sys from GNU time,
# divided by answered requests, start-up included) and peak RSS.
#
# Usage: scripts/bench-vs-wrk.sh            (settings below, as environment variables)
#   CONNS=50 DURATION=6 ROUNDS=3 POOL=1 FACESIM=target/release/facesim WRK=wrk
#   FACESIM_BEFORE=path/to/another/facesim   also runs that binary, as "before", in the
#                                            same rounds (to compare two builds fairly)
# Installs nginx and wrk with apt-get when missing.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

CONNS=${CONNS:-50}
DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-3}
# One pooled snapshot gives every facesim event the size of wrk's body; each event still
# has its own device, record fields and trace comment.
POOL=${POOL:-1}
FACESIM_BEFORE=${FACESIM_BEFORE:-}

ensure_tools
need wrk wrk
WRK=${WRK:-$(command -v wrk)}
start_nginx

# The body wrk posts: facesim's first event, exactly as facesim sends it.
"$FACESIM" load --to "$RECEIVER_URL" --count 1 --image-pool "$POOL" --quiet \
    --save-body "$WORK/body.json" >/dev/null
log "event body: $(wc -c <"$WORK/body.json") bytes"
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("$WORK/body.json", "rb"))
wrk.body = f:read("*a")
f:close()
EOF

run_wrk() {
    # One thread: wrk's event loop on the one client core, like facesim's runtime there.
    measure "$WRK" -t 1 -c "$CONNS" -d "${DURATION}s" -s "$WRK_SCRIPT" "$RECEIVER_URL"
    local total bad
    total=$(awk '/requests in/ { print $1 }' "$WORK/out")
    bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WORK/out")
    EVENTS=$(( ${total:-0} - ${bad:-0} ))
    RATE=$(awk '/Requests\/sec:/ { print $2 }' "$WORK/out")
    RATE=${RATE:-0}
}
WRK_SCRIPT=$WORK/post.lua

# facesim_run BINARY
facesim_run() {
    measure "$1" load --to "$RECEIVER_URL" --max --connections "$CONNS" \
        --duration "${DURATION}s" --image-pool "$POOL" --quiet
    EVENTS=$(summary_value 'events ' ok)
    RATE=$(summary_value '  rate ' achieved)
    EVENTS=${EVENTS:-0}
    RATE=${RATE:-0}
}

tools=(wrk facesim)
[[ -n $FACESIM_BEFORE ]] && tools+=(before)

run_tool() {
    case $1 in
        wrk) run_wrk ;;
        facesim) facesim_run "$FACESIM" ;;
        before) facesim_run "$FACESIM_BEFORE" ;;
    esac
}

declare -A rate cpu rss
record() {
    local tool=$1 us
    us=$(awk -v c="$TIME_CPU" -v n="$EVENTS" 'BEGIN { printf "%.2f", (n > 0) ? c * 1e6 / n : 0 }')
    rate[$tool]+="$RATE "
    cpu[$tool]+="$us "
    rss[$tool]+="$TIME_RSS_KB "
    printf '  %-8s %10.0f req/s  %8d answered  %6.2f s cpu  %6.2f us/req  %7d KB peak RSS  (nginx %.2f s cpu)\n' \
        "$tool" "$RATE" "$EVENTS" "$TIME_CPU" "$us" "$TIME_RSS_KB" "$SERVER_CPU_S"
}

log "warm-up"
DURATION_SAVED=$DURATION
DURATION=2
for tool in "${tools[@]}"; do run_tool "$tool"; done
DURATION=$DURATION_SAVED

echo "facesim load --max vs wrk: $CONNS connections, ${DURATION}s per run, $ROUNDS rounds," \
    "client on cpu $CLIENT_CPU, nginx on cpu $SERVER_CPU"
for round in $(seq "$ROUNDS"); do
    echo "round $round"
    # Odd rounds in the listed order, even rounds reversed.
    order=("${tools[@]}")
    if (( round % 2 == 0 )); then
        order=()
        for (( i = ${#tools[@]} - 1; i >= 0; i-- )); do order+=("${tools[i]}"); done
    fi
    for tool in "${order[@]}"; do run_tool "$tool"; record "$tool"; done
done

echo "median"
declare -A m_rate m_cpu m_rss
for tool in "${tools[@]}"; do
    # shellcheck disable=SC2086
    {
        m_rate[$tool]=$(median ${rate[$tool]})
        m_cpu[$tool]=$(median ${cpu[$tool]})
        m_rss[$tool]=$(median ${rss[$tool]})
    }
    printf '  %-8s %10.0f req/s  %6.2f us/req  %7.0f KB peak RSS\n' \
        "$tool" "${m_rate[$tool]}" "${m_cpu[$tool]}" "${m_rss[$tool]}"
done
if [[ -n $FACESIM_BEFORE ]]; then
    awk -v fr="${m_rate[before]}" -v wr="${m_rate[wrk]}" -v fc="${m_cpu[before]}" -v wc="${m_cpu[wrk]}" 'BEGIN {
        printf "before/wrk:  throughput x%.2f, cpu per request x%.2f\n", fr / wr, fc / wc
    }'
fi
awk -v fr="${m_rate[facesim]}" -v wr="${m_rate[wrk]}" -v fc="${m_cpu[facesim]}" -v wc="${m_cpu[wrk]}" \
    -v fm="${m_rss[facesim]}" -v wm="${m_rss[wrk]}" 'BEGIN {
    printf "facesim/wrk: throughput x%.2f, cpu per request x%.2f, peak RSS x%.2f\n", fr / wr, fc / wc, fm / wm
    # The target: at most 0.8 of wrk'"'"'s CPU per request, at least its throughput.
    ok = (fr >= wr) && (fc <= 0.8 * wc)
    print ok ? "PASS: throughput >= wrk, cpu per request <= 0.8 x wrk" : "FAIL: see the figures above"
    exit ok ? 0 : 1
}'
