# Sourced by bench/run before each benchmark script: measure and compare helpers.

BENCH_REPEAT=${BENCH_REPEAT:-3}
declare -A BENCH_MS

# psql against the benchmark database, quiet and failing on error
bsql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d bench "$@"; }

# peak_anon PID: sample the private (anonymous) resident memory of a backend every 20 ms
# until it goes idle or exits, and print the peak in kB.  VmHWM would also count the
# shared buffers the statement touched, which grow with the table, not with our code.
peak_anon() {
    local pid=$1 peak=0 v state
    while [ -r "/proc/$pid/status" ]; do
        v=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
        state=$(psql -X -A -t -d bench -c "SELECT state FROM pg_stat_activity WHERE pid = $pid" 2>/dev/null)
        [ "$state" = "active" ] || break
        sleep 0.2
    done
    echo "$peak"
}

# measure KEY LABEL SQL [SETUP]: run SQL BENCH_REPEAT times, each in a new connection
# (after SETUP, untimed, if given), print the median wall time and the largest peak
# private memory of the backend; remember the median under KEY.
measure() {
    local key=$1 label=$2 sql=$3 setup=${4:-} i out times=() peak=0 ms kb pid tmp
    tmp=$(mktemp)
    for ((i = 0; i < BENCH_REPEAT; i++)); do
        [ -z "$setup" ] || bsql -c "$setup"
        psql -X -q -A -t -v ON_ERROR_STOP=1 -d bench \
            -c "SELECT pg_backend_pid()" \
            -c "SELECT ms FROM bench.measure(\$bench\$${sql}\$bench\$)" >"$tmp" &
        local qpid=$!
        pid=""
        while [ -z "$pid" ] && kill -0 "$qpid" 2>/dev/null; do
            sleep 0.05; pid=$(head -n 1 "$tmp")
        done
        kb=0
        [ -z "$pid" ] || kb=$(peak_anon "$pid")
        wait "$qpid"
        ms=$(sed -n 2p "$tmp")
        times+=("$ms")
        [ "$kb" -gt "$peak" ] && peak=$kb
    done
    rm -f "$tmp"
    ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (BENCH_REPEAT + 1) / 2 ))p")
    BENCH_MS[$key]=$ms
    printf '  %-58s %10.1f ms   peak private memory %6.1f MB\n' "$label" "$ms" "$(echo "$peak / 1024" | bc -l)"
}

# ratio LABEL KEY_A KEY_B: print time(A) / time(B)
ratio() {
    printf '  %-58s %10.2fx\n' "$1" "$(echo "${BENCH_MS[$2]} / ${BENCH_MS[$3]}" | bc -l)"
}
