#!/usr/bin/env bash
# Fuzzes `facesim device` with Schemathesis from the device's own OpenAPI document, once per
# API version, after checking the document with openapi-spec-validator: property-based requests to every operation of the document (bodies, path
# parameters and headers generated from its schemas, valid and invalid), logged in with a
# bearer token. A run fails when the device answers 5xx, a status or content type the
# document does not list, or a body outside the document's schemas (so every refusal must be
# the envelope).
#
# The operations that restart the terminal or replace its certificate (reboot, restore,
# upgrade, certificate upload and removal) are left out: a restart in the middle of a run
# would only measure the restart. Everything else is in, library clears and settings too.
#
# Usage: scripts/schemathesis.sh [VERSION ...]        (default: every API version)
# Settings (environment):
#   BIN_DIR       where facesim is (default: target/debug, built if missing)
#   MAX_EXAMPLES  examples per operation and phase (default 25)
#   MAX_TIME      seconds per version at most (default 45)
#   VENV          the Python environment to install Schemathesis into
#                 (default: target/schemathesis-venv)
#   REPORT_DIR    where the JUnit reports go (default: target/schemathesis)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/debug}
MAX_EXAMPLES=${MAX_EXAMPLES:-25}
MAX_TIME=${MAX_TIME:-45}
VENV=${VENV:-$ROOT/target/schemathesis-venv}
REPORT_DIR=${REPORT_DIR:-$ROOT/target/schemathesis}

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ ! -x $BIN_DIR/facesim ]]; then
    [[ $BIN_DIR == "$ROOT/target/debug" ]] || die "no facesim in $BIN_DIR"
    log "building facesim"
    (cd "$ROOT" && cargo build --quiet --bin facesim)
fi
for tool in curl jq python3; do
    command -v "$tool" >/dev/null || die "$tool is needed (apt-get install $tool)"
done
if [[ ! -x $VENV/bin/schemathesis || ! -x $VENV/bin/openapi-spec-validator ]]; then
    log "installing Schemathesis into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5' openapi-spec-validator
fi

if [[ $# -eq 0 ]]; then
    set -- 1.0 1.1 1.2 1.2.1 1.3
fi
mkdir -p "$REPORT_DIR"
work=$(mktemp -d "${TMPDIR:-/tmp}/facesim-schemathesis.XXXXXX")
device_pid=
cleanup() {
    [[ -n $device_pid ]] && kill "$device_pid" 2>/dev/null && wait "$device_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port, chosen by the kernel.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

failed=()
for version in "$@"; do
    port=$(free_port)
    base="https://127.0.0.1:$port"
    state="$work/state-$version"
    "$BIN_DIR/facesim" device --listen "127.0.0.1:$port" --state "$state" \
        --api-version "$version" --rate 0 --reboot-time 100 >"$work/device-$version.log" 2>&1 &
    device_pid=$!
    for _ in $(seq 100); do
        curl -skf "$base/v2/datasync/ping" >/dev/null && break
        kill -0 "$device_pid" 2>/dev/null || die "the device of API $version stopped: $(tail -3 "$work/device-$version.log")"
        sleep 0.1
    done
    token=$(curl -skf "$base/v1/auth/login" -H 'content-type: application/json' \
        -d '{"username":"admin","password":"facesim-admin"}' | jq -r .data.token)
    [[ -n $token && $token != null ]] || die "could not log in to the device of API $version"
    # The document itself first: valid OpenAPI 3.1, and the same as the copy in docs/.
    curl -skf "$base/sim/openapi.json" -o "$work/openapi-$version.json"
    "$VENV/bin/openapi-spec-validator" "$work/openapi-$version.json" >&2
    jq -S . "$work/openapi-$version.json" | cmp -s - <(jq -S . "$ROOT/docs/openapi/api-$version.json") \
        || die "docs/openapi/api-$version.json differs from what the device serves (UPDATE_EXPECT=1 cargo test -p facesim --test it openapi)"
    log "== API $version: Schemathesis against $base/sim/openapi.json"
    status=0
    # Schemathesis keeps a cache in its working directory: the run's own, not the checkout.
    (cd "$work" && "$VENV/bin/schemathesis" run "$base/sim/openapi.json" \
        --tls-verify false \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --exclude-operation-id reboot --exclude-operation-id restore --exclude-operation-id upgrade \
        --exclude-operation-id setCertificate --exclude-operation-id deleteCertificate \
        --phases examples,coverage,fuzzing \
        --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" \
        --seed 1 --workers 1 --request-timeout 10 \
        --report junit --report-junit-path "$REPORT_DIR/api-$version.xml" \
        --warnings off --no-color) || status=$?
    kill "$device_pid" 2>/dev/null || true
    wait "$device_pid" 2>/dev/null || true
    device_pid=
    if grep -q "panicked" "$work/device-$version.log"; then
        log "the device of API $version panicked:"; grep -A3 panicked "$work/device-$version.log" >&2
        status=1
    fi
    [[ $status == 0 ]] || failed+=("$version")
done
if [[ ${#failed[@]} -gt 0 ]]; then
    die "Schemathesis found failures under API ${failed[*]} (JUnit reports in $REPORT_DIR)"
fi
log "Schemathesis: no failure under API $* (JUnit reports in $REPORT_DIR)"
