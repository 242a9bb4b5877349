#!/usr/bin/env bash
# facesim fleet's figures on this machine: N terminals at R records per second each,
# against nginx (a fixed answer, the fastest receiver there is) and against facesim's
# reference receiver; then IDLE terminals with no traffic, each answering a login.
#
# For each run it prints: the rate held (records acknowledged per second over the
# measured window, against the rate asked for), peak RSS (VmHWM), start-up time (launch to
# the manifest written, every terminal listening), and CPU per record (the fleet's user +
# system time over the window, divided by the records acknowledged meanwhile). Against
# the reference receiver it also prints how many of the records it took in the run had a
# snapshot whose picture it had taken before with another record (its
# facesim_receiver_duplicate_snapshots_total): 0 is "every snapshot unique". nginx only
# answers, so its runs say "unchecked".
#
# Settings (environment; see also scripts/bench-common.sh):
#   TERMINALS   terminals of the pushing runs, space-separated (default "200 1000")
#   RATE        records per second per terminal (default 1)
#   SECONDS_RUN measured window in seconds (default 60), after WARMUP seconds (default 10)
#   IDLE        terminals of the idle run (default 10000; 0: skip)
#   LOGINS      how many of the idle terminals to log in to (default: all)
#   RECEIVERS   "nginx reference" by default
#
# Needs root for nothing; installs nginx, curl and jq from Debian when missing. On a
# shared machine the figures carry the other work's noise: say so when quoting them.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

TERMINALS=${TERMINALS:-"200 1000"}
RATE=${RATE:-1}
SECONDS_RUN=${SECONDS_RUN:-60}
WARMUP=${WARMUP:-10}
IDLE=${IDLE:-10000}
RECEIVERS=${RECEIVERS:-"nginx reference"}
REF_PORT=${REF_PORT:-18081}
CONTROL=${CONTROL:-127.0.0.1:18090}

need curl curl
need jq jq
ensure_tools
FLEET_PID=
REF_PID=
stop_fleet() {
    if [[ -n $FLEET_PID ]]; then
        kill -TERM "$FLEET_PID" 2>/dev/null || true
        wait "$FLEET_PID" 2>/dev/null || true
        FLEET_PID=
    fi
}
stop_all() {
    stop_fleet
    if [[ -n $REF_PID ]]; then
        kill "$REF_PID" 2>/dev/null || true
        wait "$REF_PID" 2>/dev/null || true
    fi
    cleanup
}
trap stop_all EXIT

# CPU time of a process so far, in seconds.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
# Peak resident memory of a process, in MiB.
hwm_mib() {
    awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}
# The fleet's acknowledged pushes so far.
fleet_ok() {
    curl -sf -m 120 "http://$CONTROL/sim/fleet/stats" | jq '.data.total.ok'
}

# The reference receiver's counter $1 (a family of its /metrics, summed over labels that
# match the regular expression $2).
ref_metric() {
    curl -sf -m 30 "http://127.0.0.1:$REF_PORT/metrics" |
        awk -v name="$1" -v labels="$2" '$1 ~ "^" name "[{ ]" || $1 == name { if ($1 ~ labels) s += $2 } END { print s + 0 }'
}

# Starts a fleet of $1 terminals at $2 records per second each pushing to $3; sets
# FLEET_PID, STATE and STARTUP_S (launch to manifest).
start_fleet() {
    local n=$1 rate=$2 dest=$3 t0 t1
    STATE=$WORK/fleet-$n
    rm -rf "$STATE"
    t0=$(date +%s.%N)
    local args=(fleet --devices "$n" --state "$STATE" --port 0 --control "$CONTROL"
        --rate "$rate" --arrival constant --progress 0)
    [[ -n $dest ]] && args+=(--event-dest "$dest")
    nice -n "$NICE" "$FACESIM" "${args[@]}" >"$WORK/fleet.out" 2>"$WORK/fleet.err" &
    FLEET_PID=$!
    while [[ ! -s $STATE/fleet.json ]]; do
        kill -0 "$FLEET_PID" 2>/dev/null || { cat "$WORK/fleet.err" >&2; die "the fleet did not start"; }
        sleep 0.05
    done
    t1=$(date +%s.%N)
    STARTUP_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    # The control API answers once the fleet serves.
    until curl -sf -o /dev/null "http://$CONTROL/sim/fleet/stats"; do sleep 0.1; done
}

push_run() {
    local n=$1 receiver=$2 dest ok0 ok1 cpu0 cpu1 asked rate per
    case $receiver in
        nginx) dest=$RECEIVER_URL ;;
        reference) dest="http://127.0.0.1:$REF_PORT/eventRcv" ;;
    esac
    local rec0=0 dup0=0 unique="unchecked (nginx only answers)"
    if [[ $receiver == reference ]]; then
        rec0=$(ref_metric facesim_receiver_events_total 'kind="record"')
        dup0=$(ref_metric facesim_receiver_duplicate_snapshots_total .)
    fi
    start_fleet "$n" "$RATE" "$dest"
    sleep "$WARMUP"
    ok0=$(fleet_ok); cpu0=$(cpu_s "$FLEET_PID")
    sleep "$SECONDS_RUN"
    ok1=$(fleet_ok); cpu1=$(cpu_s "$FLEET_PID")
    asked=$(awk -v n="$n" -v r="$RATE" 'BEGIN { printf "%.1f", n * r }')
    rate=$(awk -v a="$ok0" -v b="$ok1" -v s="$SECONDS_RUN" 'BEGIN { printf "%.1f", (b - a) / s }')
    per=$(awk -v a="$cpu0" -v b="$cpu1" -v k=$((ok1 - ok0)) 'BEGIN { printf "%.2f", k ? (b - a) * 1000 / k : 0 }')
    printf '%-9s %6d terminals: rate %8s/s of %8s/s asked (%s%%), peak RSS %5s MiB, start-up %6ss, CPU %s ms/record\n' \
        "$receiver" "$n" "$rate" "$asked" \
        "$(awk -v a="$rate" -v b="$asked" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')" \
        "$(hwm_mib "$FLEET_PID")" "$STARTUP_S" "$per"
    stop_fleet
    if [[ $receiver == reference ]]; then
        local rec dup
        rec=$(( $(ref_metric facesim_receiver_events_total 'kind="record"') - rec0 ))
        dup=$(( $(ref_metric facesim_receiver_duplicate_snapshots_total .) - dup0 ))
        unique="$dup duplicate of $rec records taken"
        if (( dup == 0 )); then unique+=": every snapshot unique"; fi
    fi
    printf '%-9s %6d terminals: snapshots %s\n' "$receiver" "$n" "$unique"
}

idle_run() {
    local n=$1 logins=${LOGINS:-$1} ok
    start_fleet "$n" 0 ""
    # Every terminal (or LOGINS of them) logs in with the manifest's account, 16 at a time.
    ok=$(jq -r '.devices[] | [.url, .cert, .username, .password] | @tsv' "$STATE/fleet.json" | head -n "$logins" |
        xargs -P 16 -L 1 sh -c 'curl -s --cacert "$1" "$0/v1/auth/login" -H "Content-Type: application/json" \
            -d "{\"username\":\"$2\",\"password\":\"$3\",\"validTime\":5}" | grep -c "\"token\"" || true' |
        awk '{ s += $1 } END { print s + 0 }')
    printf 'idle      %6d terminals: %d of %d logins answered, peak RSS %5s MiB, start-up %6ss, CPU %s s in all\n' \
        "$n" "$ok" "$logins" "$(hwm_mib "$FLEET_PID")" "$STARTUP_S" "$(cpu_s "$FLEET_PID")"
    stop_fleet
}

start_nginx
if [[ $RECEIVERS == *reference* ]]; then
    nice -n "$NICE" "$FACESIM" receiver --listen "127.0.0.1:$REF_PORT" >/dev/null 2>&1 &
    REF_PID=$!
    until (exec 3<>"/dev/tcp/127.0.0.1/$REF_PORT") 2>/dev/null; do sleep 0.1; done
fi
log "facesim fleet on $(nproc) cores: ${RATE} record/s per terminal, ${SECONDS_RUN} s measured after ${WARMUP} s"
for n in $TERMINALS; do
    for receiver in $RECEIVERS; do
        push_run "$n" "$receiver"
    done
done
if (( IDLE > 0 )); then
    idle_run "$IDLE"
fi
