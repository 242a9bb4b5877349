#!/usr/bin/env bash
# Soak test of the offline cache: a device pushes for a few minutes to a reference
# receiver that is stopped and restarted again and again, and the device itself is
# killed with SIGKILL and restarted in between. At the end the device drains its queue
# and the receiver's saved snapshots (named <SN>-<seq:08>.jpg from the JPEG trace
# comment) prove that every record 1..last_seq arrived at least once.
#
# Settings (environment):
#   SOAK_SECONDS  how long the device makes records (default 180)
#   RATE          records per second (default 20)
#   UP, DOWN      seconds the receiver stays up / down in each cycle (default 6 / 4)
#   KILL_EVERY    SIGKILL and restart the device every this many cycles (default 3)
#   FACESIM       facesim binary (default: target/release/facesim, built if missing)
#   KEEP=1        keep the work directory (logs, state, snapshots)
#
# Exit status: 0 when nothing is missing, 1 when a record is missing, 2 on a setup error.
# Everything runs on loopback; every wait is bounded.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FACESIM=${FACESIM:-$ROOT/target/release/facesim}
SOAK_SECONDS=${SOAK_SECONDS:-180}
RATE=${RATE:-20}
UP=${UP:-6}
DOWN=${DOWN:-4}
KILL_EVERY=${KILL_EVERY:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/facesim-soak.XXXXXX")
STATE=$WORK/state
SAVED=$WORK/saved
RECEIVER_PID=
DEVICE_PID=
DEVICE_API=
DEVICE_RUNS=0
CYCLES=0
KILLS=0

log() { printf '[soak %4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 2; }

cleanup() {
    for pid in $DEVICE_PID $RECEIVER_PID; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [[ ! -x $FACESIM ]]; then
    log "building $FACESIM"
    (cd "$ROOT" && cargo build --release --bin facesim) || die "build failed"
fi
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"

# One port for the receiver's whole life, so the device's event_dest stays valid.
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DEST="http://127.0.0.1:$RPORT/eventRcv"

receiver_up() {
    local try
    for try in 1 2 3 4 5 6 7 8 9 10; do
        "$FACESIM" receiver --listen "127.0.0.1:$RPORT" --save-dir "$SAVED" \
            >>"$WORK/receiver.out" 2>>"$WORK/receiver.err" &
        RECEIVER_PID=$!
        local i
        for i in $(seq 1 50); do
            if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$RPORT/"; then return 0; fi
            kill -0 "$RECEIVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$RECEIVER_PID" 2>/dev/null || true
        wait "$RECEIVER_PID" 2>/dev/null || true
        RECEIVER_PID=
        log "receiver did not come up on port $RPORT (try $try); retrying"
        sleep 0.5
    done
    die "the receiver cannot listen on 127.0.0.1:$RPORT"
}

receiver_down() {
    # SIGTERM: the receiver finishes the request in hand (its snapshot is saved before
    # it answers), then exits.
    kill -TERM "$RECEIVER_PID"
    wait "$RECEIVER_PID" 2>/dev/null || true
    RECEIVER_PID=
}

device_up() {
    local rate=$1 err
    DEVICE_RUNS=$((DEVICE_RUNS + 1))
    err=$WORK/device-$DEVICE_RUNS.err
    RUST_LOG=${RUST_LOG:-info} "$FACESIM" device --plain-http --listen 127.0.0.1:0 \
        --state "$STATE" --rate "$rate" --arrival constant --width 64 --height 80 \
        --event-dest "$DEST" >/dev/null 2>"$err" &
    DEVICE_PID=$!
    local i
    DEVICE_API=
    for i in $(seq 1 100); do
        DEVICE_API=$(grep -o 'api=http://127\.0\.0\.1:[0-9]*' "$err" 2>/dev/null | head -1 | cut -d= -f2 || true)
        [[ -n $DEVICE_API ]] && return 0
        kill -0 "$DEVICE_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$err" >&2
    die "the device did not announce its API"
}

device_kill9() {
    kill -9 "$DEVICE_PID"
    wait "$DEVICE_PID" 2>/dev/null || true
    DEVICE_PID=
    KILLS=$((KILLS + 1))
}

device_stop() {
    kill -TERM "$DEVICE_PID"
    local status=0
    wait "$DEVICE_PID" || status=$?
    DEVICE_PID=
    [[ $status == 0 ]] || die "the device exited with $status on SIGTERM"
}

stats() { curl -s --max-time 5 "$DEVICE_API/sim/stats"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(eval("d"+sys.argv[1]))' "$1"; }

log "work dir $WORK; receiver $DEST; ${SOAK_SECONDS}s at $RATE/s; up ${UP}s, down ${DOWN}s; kill -9 every $KILL_EVERY cycles"
receiver_up
device_up "$RATE"
END=$((SECONDS + SOAK_SECONDS))
while ((SECONDS < END)); do
    sleep "$UP"
    receiver_down
    CYCLES=$((CYCLES + 1))
    if ((CYCLES % KILL_EVERY == 0)); then
        # Killed while the receiver is down, with a backlog on disk.
        sleep $((DOWN / 2))
        device_kill9
        device_up "$RATE"
        sleep $((DOWN - DOWN / 2))
    else
        sleep "$DOWN"
    fi
    log "cycle $CYCLES: queue depth $(stats | field '["queue"]["depth"]'), last seq $(cat "$STATE/seq")"
    receiver_up
done

# Drain: stop making records (SIGTERM), restart without a schedule, and wait for an
# empty queue.
device_stop
device_up 0
for i in $(seq 1 600); do
    depth=$(stats | field '["queue"]["depth"]' || echo '?')
    [[ $depth == 0 ]] && break
    sleep 0.5
done
[[ $depth == 0 ]] || log "warning: the queue did not drain (depth $depth)"
FINAL=$(stats)
device_stop
receiver_down

python3 - "$SAVED" "$WORK/receiver.out" "$STATE/seq" "$CYCLES" "$KILLS" "$DEVICE_RUNS" "$FINAL" <<'EOF'
import json, os, re, sys
saved, out, seq_file, cycles, kills, runs, final = sys.argv[1:]
last = int(open(seq_file).read().strip() or 0)
# Every event the receiver took, from its console lines ("<SN> #<seq> ..."); the saved
# snapshots (one file per seq, written before the answer) back them up.
lines = [int(m.group(1)) for m in re.finditer(r"^\S+ #(\d+)\s", open(out).read(), re.M)]
files = {int(m.group(1)) for f in os.listdir(saved) if (m := re.match(r".*-(\d{8})\.jpg$", f))}
unique = set(lines) | files
missing = sorted(s for s in range(1, last + 1) if s not in unique)
stats = json.loads(final)["data"]
print(f"records made (last seq):   {last}")
print(f"received (answered events): {len(lines)}")
print(f"unique seqs received:      {len(unique)}")
print(f"duplicates:                {len(lines) - len(set(lines))}")
print(f"missing:                   {len(missing)}{'  ' + str(missing[:20]) if missing else ''}")
print(f"receiver down/up cycles:   {cycles}")
print(f"device kill -9:            {kills} (device runs: {runs})")
print(f"last run's stats:          redeliveries {stats['redeliveries']}, dropped {stats['queue']['dropped']}, errors {stats['pushes']['errors']}")
sys.exit(1 if missing else 0)
EOF
