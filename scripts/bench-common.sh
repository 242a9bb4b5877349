# Shared helpers of the performance scripts (sourced, not run): finding the facesim
# binary, a fast receiver (nginx from Debian answering a fixed push answer on loopback),
# CPU pinning, and resource accounting with GNU time.
#
# Settings (environment):
#   FACESIM      facesim binary (default: target/release/facesim, built if missing)
#   CLIENT_CPU   core the load generator is pinned to (default 0)
#   SERVER_CPU   core nginx is pinned to (default 1)
#   NGINX_PORT   loopback port of the receiver (default 18080)
#   NICE         niceness of client and receiver (default -15 as root, so that other work
#                on a shared machine disturbs the measured processes as little as possible)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FACESIM=${FACESIM:-$ROOT/target/release/facesim}
CLIENT_CPU=${CLIENT_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
NGINX_PORT=${NGINX_PORT:-18080}
if [[ $(id -u) == 0 ]]; then NICE=${NICE:--15}; else NICE=${NICE:-0}; fi
RECEIVER_URL="http://127.0.0.1:$NGINX_PORT/event"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/facesim-bench.XXXXXX")
NGINX_PID=

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
    if [[ -n $NGINX_PID ]]; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Installs a Debian package when its command is missing.
need() {
    local cmd=$1 package=$2
    if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$cmd ]]; then
        log "installing $package"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
            || die "cannot install $package"
    fi
}

ensure_facesim() {
    if [[ ! -x $FACESIM ]]; then
        log "building facesim (release)"
        (cd "$ROOT" && cargo build --release -p facesim) || die "cannot build facesim"
    fi
    "$FACESIM" load --help >/dev/null 2>&1 || die "$FACESIM has no 'load' command"
}

ensure_tools() {
    need taskset util-linux
    need nginx nginx
    [[ -x /usr/bin/time ]] || need time time
    ensure_facesim
    if (( $(nproc) < 2 )); then
        log "warning: fewer than 2 cores; client and receiver share one"
        SERVER_CPU=$CLIENT_CPU
    fi
}

# Starts nginx on SERVER_CPU, answering every request with a fixed success answer.
start_nginx() {
    local nginx
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    if (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null; then
        die "port $NGINX_PORT is already taken; set NGINX_PORT"
    fi
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_max_body_size 16m;
    client_body_buffer_size 1m;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            default_type application/json;
            return 200 '{"code":200,"msg":"ok","data":{"pass":true}}';
        }
    }
}
EOF
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$nginx" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' \
        >"$WORK/nginx/out.log" 2>&1 &
    NGINX_PID=$!
    for _ in $(seq 50); do
        if curl -sf -o /dev/null -X POST -d '{}' "$RECEIVER_URL" 2>/dev/null \
            || (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null; then
            log "nginx answering on $RECEIVER_URL (pid $NGINX_PID, cpu $SERVER_CPU)"
            return
        fi
        sleep 0.1
    done
    cat "$WORK/nginx/out.log" "$WORK/nginx/error.log" >&2 2>/dev/null
    die "nginx did not start"
}

# CPU time nginx has used so far, in clock ticks (master and worker).
nginx_ticks() {
    local total=0 pid
    for pid in $NGINX_PID $(pgrep -P "$NGINX_PID" 2>/dev/null); do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# Runs a command pinned to CLIENT_CPU under GNU time; sets TIME_WALL, TIME_CPU (user+sys,
# seconds), TIME_RSS_KB and SERVER_CPU_S (nginx CPU seconds meanwhile), and leaves its
# stdout in $WORK/out.
measure() {
    local before after
    before=$(nginx_ticks)
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" nice -n "$NICE" taskset -c "$CLIENT_CPU" "$@" >"$WORK/out" 2>"$WORK/err" || true
    after=$(nginx_ticks)
    read -r TIME_WALL user sys TIME_RSS_KB <"$WORK/time"
    TIME_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    SERVER_CPU_S=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
}

# The median of numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A value from facesim's console summary: the token after KEY on the first line that
# contains LABEL, e.g. `summary_value 'latency ms' p99` or `summary_value rate achieved`.
summary_value() {
    awk -v label="$1" -v key="$2" 'index($0, label) && !done {
        for (i = 1; i < NF; i++) if ($i == key) { v = $(i + 1); sub("/s$", "", v); print v; done = 1; exit }
    }' "$WORK/out"
}
