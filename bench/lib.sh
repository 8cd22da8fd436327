# Sourced by bench/run before each benchmark script: measure and compare helpers.

BENCH_REPEAT=${BENCH_REPEAT:-3}
declare -A BENCH_MS

# psql against the benchmark database, quiet and failing on error
bsql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d bench "$@"; }

# measure KEY LABEL SQL: run SQL BENCH_REPEAT times, each in a new connection, print the
# median wall time and the largest peak backend RSS; remember the median under KEY.
measure() {
    local key=$1 label=$2 sql=$3 i out times=() peak=0 ms kb
    for ((i = 0; i < BENCH_REPEAT; i++)); do
        out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d bench \
              -c "SELECT ms || ' ' || peak_kb FROM bench.measure(\$bench\$${sql}\$bench\$)")
        read -r ms kb <<<"$out"
        times+=("$ms")
        [ "$kb" -gt "$peak" ] && peak=$kb
    done
    ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (BENCH_REPEAT + 1) / 2 ))p")
    BENCH_MS[$key]=$ms
    printf '  %-58s %10.1f ms   peak RSS %6.1f MB\n' "$label" "$ms" "$(echo "$peak / 1024" | bc -l)"
}

# ratio LABEL KEY_A KEY_B: print time(A) / time(B)
ratio() {
    printf '  %-58s %10.2fx\n' "$1" "$(echo "${BENCH_MS[$2]} / ${BENCH_MS[$3]}" | bc -l)"
}
