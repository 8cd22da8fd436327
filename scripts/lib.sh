# Shared by scripts/demo, scripts/test and bench/run: install what is missing from
# Debian's packages, build and install the extension, and run a throwaway cluster.
# Source it; it does not run anything by itself.

set -euo pipefail

RR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RR_PGVER=15
# RR_PREFIX (optional, for developers): a private copy of PostgreSQL's directories,
# made with scripts/private-pg, to build, install and test without touching the system
# installation (two work trees can then test side by side).
RR_PREFIX=${RR_PREFIX:-}
RR_PGBIN=$RR_PREFIX/usr/lib/postgresql/$RR_PGVER/bin
RR_PGXS_BIN=/usr/lib/postgresql/$RR_PGVER/lib/pgxs/src/test
export PATH="$RR_PGBIN:$PATH"

rr_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Run a command as root (directly, or through sudo for a normal user).
rr_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: '$*' needs root; run as root or install sudo" >&2
        return 1
    fi
}

# rr_packages PKG...: install the build essentials, PostgreSQL 15 and the given
# packages when any of them is missing (one apt-get update, then one install).
rr_packages() {
    local want=(make gcc libc6-dev postgresql-$RR_PGVER postgresql-server-dev-$RR_PGVER "$@")
    local missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        rr_say "installing ${missing[*]}"
        rr_as_root apt-get update -qq
        rr_as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Build with -Werror and install into PostgreSQL 15's directories.
rr_build_install() {
    rr_say "building and installing recurring_revenue"
    local pgc=/usr/lib/postgresql/$RR_PGVER/bin/pg_config
    make -s -C "$RR_ROOT" PG_CONFIG="$pgc" >/dev/null
    if [ -n "$RR_PREFIX" ]; then
        make -s -C "$RR_ROOT" PG_CONFIG="$pgc" DESTDIR="$RR_PREFIX" install >/dev/null
    else
        rr_as_root make -s -C "$RR_ROOT" PG_CONFIG="$pgc" install >/dev/null
    fi
}

# rr_cluster_start NAME [SETTING...]: start a throwaway cluster in
# ${TMPDIR:-/tmp}/recurring_revenue-NAME, listening on a Unix socket only (so it never
# collides with another server's port), and stop and remove it when the script exits.
# A cluster left behind by an earlier run that was killed is stopped and removed first.
rr_cluster_start() {
    RR_RUN="${TMPDIR:-/tmp}/recurring_revenue-$1"
    shift
    RR_AS=()
    if [ "$(id -u)" -eq 0 ]; then
        RR_AS=(runuser -u postgres --)  # the server refuses to run as root
    fi
    rr_cluster_stop
    mkdir -p "$RR_RUN"
    [ ${#RR_AS[@]} -eq 0 ] || chown postgres: "$RR_RUN"
    trap rr_cluster_stop EXIT
    trap 'exit 130' INT TERM HUP
    (cd / && "${RR_AS[@]}" "$RR_PGBIN/initdb" -D "$RR_RUN/data" -U postgres \
        --auth=trust --no-locale -E UTF8 >"$RR_RUN/initdb.log" 2>&1) || {
        cat "$RR_RUN/initdb.log" >&2; return 1; }
    local opts="-c listen_addresses='' -k $RR_RUN -p 5432" s
    for s in "$@"; do opts+=" -c $s"; done
    (cd / && "${RR_AS[@]}" "$RR_PGBIN/pg_ctl" -D "$RR_RUN/data" -l "$RR_RUN/server.log" \
        -o "$opts" -w start >/dev/null) || { cat "$RR_RUN/server.log" >&2; return 1; }
    export PGHOST="$RR_RUN" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

# Stop (immediately) and remove the throwaway cluster, if there is one.
rr_cluster_stop() {
    [ -n "${RR_RUN:-}" ] || return 0
    if [ -f "$RR_RUN/data/postmaster.pid" ]; then
        (cd / && "${RR_AS[@]}" "$RR_PGBIN/pg_ctl" -D "$RR_RUN/data" -m immediate -w stop \
            >/dev/null 2>&1) || kill -9 "$(head -n 1 "$RR_RUN/data/postmaster.pid")" 2>/dev/null || true
    fi
    rm -rf "$RR_RUN"
}

# A Citus coordinator and two workers, for the Citus tier (test/citus/run) and the
# scale-out benchmark (bench/scale_out.sh): rr_citus_start DIR [SETTING...] starts three
# throwaway clusters under DIR (Unix sockets only, ports RR_CITUS_PORTS: the coordinator
# first; shared_preload_libraries = citus and the settings given), creates database
# RR_CITUS_DB (default rr_citus) on each with the citus extension, sets the coordinator's
# host and adds the workers.  rr_citus_stop stops and removes them (rr_citus_start first
# stops what a previous run left; the caller traps EXIT with rr_citus_stop).
RR_CITUS_NODES=(coordinator worker1 worker2)
RR_CITUS_PORTS=(5432 5433 5434)
rr_citus_stop() {
    [ -n "${RR_CITUS_DIR:-}" ] || return 0
    local n
    for n in "${RR_CITUS_NODES[@]}"; do
        if [ -f "$RR_CITUS_DIR/$n/postmaster.pid" ]; then
            (cd / && "${RR_AS[@]}" "$RR_PGBIN/pg_ctl" -D "$RR_CITUS_DIR/$n" -m immediate -w stop >/dev/null 2>&1) \
                || kill -9 "$(head -n 1 "$RR_CITUS_DIR/$n/postmaster.pid")" 2>/dev/null || true
        fi
    done
    rm -rf "$RR_CITUS_DIR"
}
rr_citus_start() {
    RR_CITUS_DIR=$1
    shift
    RR_AS=()
    [ "$(id -u)" -ne 0 ] || RR_AS=(runuser -u postgres --)  # the server refuses to run as root
    rr_citus_stop
    mkdir -p "$RR_CITUS_DIR"
    [ ${#RR_AS[@]} -eq 0 ] || chown postgres: "$RR_CITUS_DIR"
    local i n opts s db=${RR_CITUS_DB:-rr_citus}
    for i in 0 1 2; do
        n=${RR_CITUS_NODES[$i]}
        (cd / && "${RR_AS[@]}" "$RR_PGBIN/initdb" -D "$RR_CITUS_DIR/$n" -U postgres --auth=trust --no-locale -E UTF8 \
            >"$RR_CITUS_DIR/$n.initdb.log" 2>&1) || { cat "$RR_CITUS_DIR/$n.initdb.log" >&2; return 1; }
        opts="-c listen_addresses='' -k $RR_CITUS_DIR -p ${RR_CITUS_PORTS[$i]} -c shared_preload_libraries=citus"
        for s in "$@"; do opts+=" -c $s"; done
        (cd / && "${RR_AS[@]}" "$RR_PGBIN/pg_ctl" -D "$RR_CITUS_DIR/$n" -l "$RR_CITUS_DIR/$n.log" -o "$opts" -w start \
            >/dev/null) || { cat "$RR_CITUS_DIR/$n.log" >&2; return 1; }
        createdb -h "$RR_CITUS_DIR" -U postgres -p "${RR_CITUS_PORTS[$i]}" "$db"
        psql -X -q -v ON_ERROR_STOP=1 -h "$RR_CITUS_DIR" -U postgres -p "${RR_CITUS_PORTS[$i]}" -d "$db" \
            -c 'CREATE EXTENSION citus' >/dev/null
    done
    psql -X -q -v ON_ERROR_STOP=1 -h "$RR_CITUS_DIR" -U postgres -p "${RR_CITUS_PORTS[0]}" -d "$db" \
        -c "SELECT citus_set_coordinator_host('$RR_CITUS_DIR', ${RR_CITUS_PORTS[0]})" \
        -c "SELECT citus_add_node('$RR_CITUS_DIR', ${RR_CITUS_PORTS[1]})" \
        -c "SELECT citus_add_node('$RR_CITUS_DIR', ${RR_CITUS_PORTS[2]})" >/dev/null
}
