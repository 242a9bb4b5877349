#!/usr/bin/env bash
# The script of the GitHub composite action (action.yml) and of the GitLab CI snippet
# (docs/ci.md): starts the receiver the workflow names, waits until it answers, certifies
# it with facecert, writes the JUnit, HTML and JSON reports and the request bodies into one
# directory, stops the receiver, and exits with facecert's code (0 conforms, 1 a MUST
# check failed, 2 the suite could not run).
#
# Settings (environment; the action maps its inputs onto them):
#   FACECERT_URL        the receiver's event URL, or the auth server's URL (required)
#   FACECERT_SUITE      run (a push receiver, default) or auth (a remote-authentication server)
#   FACECERT_API        API version: 1.0 … 1.3 or all (default: facecert's, 1.0 for run, 1.3 for auth)
#   FACECERT_RECEIVER   a shell command that starts the receiver; run in the background and
#                       stopped at the end (default: none, the receiver already runs)
#   FACECERT_WAIT       seconds to wait for the receiver to accept connections (default 30)
#   FACECERT_REPORTS    directory of the reports (default facecert-reports)
#   FACECERT_ARGS       more arguments for facecert, e.g. "--ca-cert recv.pem --p99-ms 300"
#   FACECERT_BIN        the facecert binary (default: facecert on the PATH, else installed
#                       with cargo from FACECERT_SOURCE, the checkout holding conformance/)
#   FACECERT_SOURCE     default: the checkout this script belongs to
set -euo pipefail

log() { printf 'facecert-action: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

url=${FACECERT_URL:-}
[[ -n $url ]] || die "FACECERT_URL (the action's url input) is required"
[[ $url =~ ^https?://[^/]+ ]] || die "FACECERT_URL must be an http or https URL, got: $url"
suite=${FACECERT_SUITE:-run}
[[ $suite == run || $suite == auth ]] || die "FACECERT_SUITE must be run or auth, got: $suite"
wait_s=${FACECERT_WAIT:-30}
[[ $wait_s =~ ^[0-9]+$ ]] || die "FACECERT_WAIT must be a number of seconds, got: $wait_s"
reports=${FACECERT_REPORTS:-facecert-reports}
source_dir=${FACECERT_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

bin=${FACECERT_BIN:-}
if [[ -z $bin ]]; then
    if command -v facecert >/dev/null; then
        bin=$(command -v facecert)
    else
        [[ -d $source_dir/conformance ]] || die "no facecert on the PATH and no checkout at $source_dir"
        log "installing facecert from $source_dir/conformance"
        cargo install --locked --quiet --path "$source_dir/conformance"
        bin=facecert
    fi
fi

receiver_pid=
stop_receiver() {
    if [[ -n $receiver_pid ]]; then
        kill -TERM -- "-$receiver_pid" 2>/dev/null || kill -TERM "$receiver_pid" 2>/dev/null || true
        wait "$receiver_pid" 2>/dev/null || true
    fi
}
trap stop_receiver EXIT

mkdir -p "$reports"
if [[ -n ${FACECERT_RECEIVER:-} ]]; then
    log "starting the receiver: $FACECERT_RECEIVER"
    # Its own process group, so that stopping it stops whatever the command started.
    setsid bash -c "$FACECERT_RECEIVER" >"$reports/receiver.log" 2>&1 &
    receiver_pid=$!
fi

# Waits until the receiver's host and port accept a TCP connection.
hostport=${url#*://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
if [[ $host == "$hostport" ]]; then
    if [[ $url == https://* ]]; then port=443; else port=80; fi
fi
host=${host#[}
host=${host%]}
deadline=$((SECONDS + wait_s))
until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if [[ -n $receiver_pid ]] && ! kill -0 "$receiver_pid" 2>/dev/null; then
        tail -n 20 "$reports/receiver.log" >&2 || true
        die "the receiver command exited before $host:$port accepted connections"
    fi
    ((SECONDS < deadline)) || die "nothing accepted connections on $host:$port within ${wait_s}s"
    sleep 0.2
done

args=("$suite" "$url"
    --junit "$reports/facecert.xml" --html "$reports/facecert.html"
    --json "$reports/facecert.json" --artifacts "$reports/bodies")
if [[ -n ${FACECERT_API:-} ]]; then args+=(--api-version "$FACECERT_API"); fi
if [[ -n ${FACECERT_ARGS:-} ]]; then
    read -r -a extra <<<"$FACECERT_ARGS"
    args+=("${extra[@]}")
fi
log "facecert ${args[*]}"
set +e
"$bin" "${args[@]}" | tee "$reports/facecert.txt"
status=${PIPESTATUS[0]}
set -e
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    echo "exit-code=$status" >>"$GITHUB_OUTPUT"
    echo "reports=$reports" >>"$GITHUB_OUTPUT"
fi
log "facecert exited $status; reports in $reports/"
exit "$status"
