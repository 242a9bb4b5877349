#!/usr/bin/env bash
# Runs every example of the README and the guides in docs/, in the order shown, so that none
# goes stale.
#
# A fenced block whose info string is `sh` is an example to run; `console`, `text`, `json`,
# `yaml` and the rest are shown only. The `sh` blocks of one page run one after another in one
# bash shell (`set -euo pipefail`), in a new empty directory, with `facesim` and `facecert`
# on the PATH, exactly as a reader pastes them into one terminal; what a page starts in the
# background it stops itself (`kill $(jobs -p)`), and anything left is stopped when the page
# ends. A page fails when any command of it fails.
#
# The examples use the documented fixed ports (8000, 8080, ...). So that they can never meet
# another program's port, each page runs in a network namespace of its own, with only a
# loopback interface (`unshare --net`, as root). Without root the pages run on the machine's
# loopback, one after another.
#
# Usage: scripts/docs-examples.sh [PAGE.md ...]      (default: README.md and docs/*.md)
# Settings (environment):
#   BIN_DIR   where facesim and facecert are (default: target/debug, built if missing)
#   KEEP      1 keeps each page's directory and prints its path
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/debug}
BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd || echo "$BIN_DIR")

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ ! -x $BIN_DIR/facesim || ! -x $BIN_DIR/facecert ]]; then
    [[ $BIN_DIR == "$ROOT/target/debug" ]] || die "no facesim and facecert in $BIN_DIR"
    log "building facesim and facecert"
    (cd "$ROOT" && cargo build --quiet --bin facesim --bin facecert)
fi
for tool in curl jq; do
    command -v "$tool" >/dev/null || die "$tool is needed by the examples (apt-get install $tool)"
done

if [[ $# -eq 0 ]]; then
    set -- "$ROOT/README.md" "$ROOT"/docs/*.md
fi

# Prints the `sh` blocks of a Markdown page, each followed by a blank line.
extract() {
    awk '
        /^```/ {
            if (inside) { inside = 0; if (run) print ""; next }
            inside = 1; run = ($0 ~ /^```sh[[:space:]]*$/); next
        }
        inside && run { print }
    ' "$1"
}

isolated=0
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null && unshare --net true 2>/dev/null; then
    isolated=1
fi

pages=0
failed=()
examples=0
for page in "$@"; do
    [[ -f $page ]] || die "no such page: $page"
    body=$(extract "$page")
    if [[ -z ${body//[[:space:]]/} ]]; then
        continue
    fi
    pages=$((pages + 1))
    blocks=$(grep -c '^```sh[[:space:]]*$' "$page" || true)
    examples=$((examples + blocks))
    work=$(mktemp -d "${TMPDIR:-/tmp}/facesim-docs.XXXXXX")
    name=${page#"$ROOT"/}
    # The pages run as from a checkout: its sample photo and scripts are where they say.
    mkdir -p "$work/fixtures" && cp -r "$ROOT/fixtures/photos" "$work/fixtures/photos"
    cp -r "$ROOT/scripts" "$work/scripts"
    {
        printf 'set -euo pipefail\n'
        printf 'export PATH=%q:$PATH\n' "$BIN_DIR"
        printf 'trap '\''kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true'\'' EXIT\n'
        printf 'cd %q\n' "$work"
        if [[ $isolated == 1 ]]; then printf 'ip link set lo up\n'; fi
        printf '%s\n' "$body"
    } >"$work/.page.sh"
    log "== $name ($blocks examples)"
    start=$(date +%s)
    if [[ $isolated == 1 ]]; then
        runner=(unshare --net bash "$work/.page.sh")
    else
        runner=(bash "$work/.page.sh")
    fi
    if timeout 300 "${runner[@]}" >"$work/.page.log" 2>&1; then
        log "   ok in $(($(date +%s) - start)) s"
    else
        status=$?
        log "   FAILED (exit $status) in $(($(date +%s) - start)) s; the page's last lines:"
        tail -n 25 "$work/.page.log" | cut -c1-200 | sed 's/^/   | /' >&2
        failed+=("$name")
    fi
    if [[ ${KEEP:-0} == 1 ]]; then log "   kept in $work"; else rm -rf "$work"; fi
done

log "docs examples: $examples blocks on $pages pages, ${#failed[@]} pages failed"
if [[ ${#failed[@]} -gt 0 ]]; then
    die "examples failed on: ${failed[*]}"
fi
