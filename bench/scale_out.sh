# Scale-out (issue 18; docs/scale-out.md): the billing run of several tenants at once, on
# one node and on a Citus coordinator with two workers, and one tenant's run alone on each.
# SCALE_TENANTS tenants (default 4) of SCALE_CONTRACTS contracts each (else the first of
# BENCH_SIZES, else 20,000): the billing benchmark's contracts (billing_tenant_sql,
# bench/lib.sh), on new tables (autovacuum off, nothing analysed).  Each tenant's
# rr.run_billing of 2024-02-01 runs in a session of its own, all started together, and the
# time is from their start to the last one's end; then the first tenant's run of 2024-03-01
# alone.  Then usage rating: a tenant of as many contracts with one metered line each
# (metered_tenant_sql), ten events a contract a month, billed monthly: its first run (every
# line rated whole) and its third (each line rated from what earlier runs settled), alone.
# On Citus the extension is distributed while empty (32 shards per table), the tenants'
# names are chosen so that half of them hash to shards on each worker, and their rows are
# written through the coordinator; each run is delegated to its tenant's worker, and each session sets its tenant per transaction (SET LOCAL,
# propagated).  Both give the same invoices (checked).  The three Citus nodes run on this
# machine, on the cores the single node has to itself (nproc is printed): the ratio is what
# distribution costs or gains on one machine, not what separate machines would give.
# Skipped, saying so, where Citus is not installed.
scale_tenants=${SCALE_TENANTS:-4}
scale_n=${SCALE_CONTRACTS:-${BENCH_SIZES%% *}}
scale_n=${scale_n:-20000}
if [ ! -f "$("$RR_PGBIN/pg_config" --pkglibdir)/citus.so" ]; then
    echo "scale_out skipped: Citus is not installed in ${RR_PREFIX:-}/usr/lib/postgresql/$RR_PGVER (docs/scale-out.md says how to build it)"
else
    # scale_run AS_OF TENANT... -- PSQL-OPTION...: each tenant's run in a session of its own,
    # all started together; prints the milliseconds from the start to the last one's end
    scale_run() {
        local as_of=$1 t start pids=() p failed=0
        shift
        local tenants=()
        while [ "$1" != "--" ]; do tenants+=("$1"); shift; done
        shift
        start=$(date +%s%N)
        for t in "${tenants[@]}"; do
            psql -X -q -v ON_ERROR_STOP=1 "$@" -c "SET citus.propagate_set_commands = 'local'" -c 'BEGIN' \
                -c "SET LOCAL rr.tenant = '$t'" -c "SELECT count(*) FROM rr.run_billing('$as_of')" -c 'COMMIT' >/dev/null &
            pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || failed=1; done
        [ "$failed" -eq 0 ] || { echo "scale_out: a billing run failed" >&2; return 1; }
        echo $((($(date +%s%N) - start) / 1000000))
    }
    # scale_metered PSQL-OPTION...: the metered tenant loaded, then three months of events,
    # each billed by a run alone (scale_run); sets metered_first and metered_third (ms)
    scale_metered() {
        local m
        metered_tenant_sql metered "$scale_n" | psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
        for m in 1 2 3; do
            metered_month_sql metered "$scale_n" "$m" | psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
            psql -X -q "$@" -c ANALYZE >/dev/null
            case $m in
                1) metered_first=$(scale_run 2024-02-01 metered -- "$@") ;;
                2) scale_run 2024-03-01 metered -- "$@" >/dev/null ;;
                3) metered_third=$(scale_run 2024-04-01 metered -- "$@") ;;
            esac
        done
    }
    scale_invoices="SELECT string_agg(concat_ws(':', tenant_id, n, total), ',' ORDER BY tenant_id)
                      FROM (SELECT tenant_id, count(*) AS n, sum(total) AS total FROM rr.invoice_register GROUP BY tenant_id) x"
    echo " $scale_tenants tenants x $scale_n contracts x 2 lines; $(nproc) cores for everything"
    # Citus first: the extension distributed while empty, then tenant names chosen so that
    # half of them live on each worker (a name's worker is its hash's shard's), then loaded
    scale_dir="${TMPDIR:-/tmp}/recurring_revenue-bench-citus"
    RR_CITUS_DB=bench_scale rr_citus_start "$scale_dir" shared_buffers=2GB max_wal_size=16GB work_mem=64MB \
        max_parallel_workers_per_gather=0 jit=off autovacuum=off max_prepared_transactions=20 \
        max_locks_per_transaction=256 citus.log_distributed_deadlock_detection=off
    trap 'rr_citus_stop; rr_cluster_stop' EXIT
    citus=(-h "$scale_dir" -U postgres -p "${RR_CITUS_PORTS[0]}" -d bench_scale)
    psql -X -q -v ON_ERROR_STOP=1 "${citus[@]}" -c 'SET client_min_messages = warning' \
        -c 'CREATE EXTENSION recurring_revenue' -c 'SELECT count(*) FROM rr.distribute()' >/dev/null
    tenants=($(psql -X -q -A -t "${citus[@]}" -c "
        SELECT t FROM (SELECT t, n.nodeport, row_number() OVER (PARTITION BY n.nodeport ORDER BY i) AS k
                         FROM generate_series(1, 200) i, LATERAL (SELECT 't' || i AS t) x
                         JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('rr.tenant', x.t)
                         JOIN pg_dist_node n USING (groupid)) y
         ORDER BY k, nodeport LIMIT $scale_tenants"))
    workers=$(psql -X -q -A -t "${citus[@]}" -c "SELECT string_agg(t || ':' || n.nodeport, ', ' ORDER BY t)
                                                  FROM unnest(string_to_array('${tenants[*]}', ' ')) t
                                                  JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('rr.tenant', t)
                                                  JOIN pg_dist_node n USING (groupid)")
    for t in "${tenants[@]}"; do
        billing_tenant_sql "$t" "$scale_n" | psql -X -q -v ON_ERROR_STOP=1 "${citus[@]}" >/dev/null
    done
    psql -X -q "${citus[@]}" -c CHECKPOINT >/dev/null
    citus_all=$(scale_run 2024-02-01 "${tenants[@]}" -- "${citus[@]}")
    citus_t1=$(scale_run 2024-03-01 "${tenants[0]}" -- "${citus[@]}")
    scale_metered "${citus[@]}"
    citus_m1=$metered_first citus_m3=$metered_third
    citus_inv=$(psql -X -q -A -t "${citus[@]}" -c "$scale_invoices")
    rr_citus_stop
    trap rr_cluster_stop EXIT

    # the single node: the benchmark cluster, the same tenants
    dropdb --if-exists bench_scale 2>/dev/null
    createdb bench_scale
    psql -X -q -v ON_ERROR_STOP=1 -d bench_scale -c 'CREATE EXTENSION recurring_revenue' >/dev/null
    for t in "${tenants[@]}"; do
        billing_tenant_sql "$t" "$scale_n" | psql -X -q -v ON_ERROR_STOP=1 -d bench_scale >/dev/null
    done
    psql -X -q -A -t -d bench_scale -c "SELECT format('ALTER TABLE %s SET (autovacuum_enabled = off);', c.oid::regclass)
                                          FROM pg_class c WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'" \
        | psql -X -q -d bench_scale >/dev/null
    psql -X -q -d bench_scale -c CHECKPOINT >/dev/null
    one_all=$(scale_run 2024-02-01 "${tenants[@]}" -- -d bench_scale)
    one_t1=$(scale_run 2024-03-01 "${tenants[0]}" -- -d bench_scale)
    scale_metered -d bench_scale
    one_m1=$metered_first one_m3=$metered_third
    one_inv=$(psql -X -q -A -t -d bench_scale -c "$scale_invoices")
    dropdb bench_scale

    printf '  %-66s %9s ms\n' "$scale_tenants runs of 2024-02-01 at once, one node" "$one_all" \
        "the same, Citus coordinator + 2 workers" "$citus_all"
    echo "  (tenants and their workers: $workers)"
    printf '  %-66s %9.2fx\n' "one node / Citus (above 1: Citus faster)" "$(echo "$one_all / $citus_all" | bc -l)"
    printf '  %-66s %9s ms\n' "tenant ${tenants[0]}'s run of 2024-03-01 alone, one node" "$one_t1" \
        "the same, Citus (delegated to the tenant's worker)" "$citus_t1"
    printf '  %-66s %9.2fx\n' "Citus / one node (the cost of delegation)" "$(echo "$citus_t1 / $one_t1" | bc -l)"
    printf '  %-66s %9s ms\n' "metered tenant, $scale_n lines: first run (rated whole), one node" "$one_m1" \
        "the same, Citus" "$citus_m1" \
        "its third run (rated from what was settled), one node" "$one_m3" "the same, Citus" "$citus_m3"
    printf '  %-66s %9.2fx\n' "third run: Citus / one node" "$(echo "$citus_m3 / $one_m3" | bc -l)"
    if [ "$one_inv" = "$citus_inv" ]; then
        echo "  the same invoices on both (count and total per tenant)"
    else
        echo "  DIFFERENT invoices: one node $one_inv; Citus $citus_inv" >&2
        false
    fi
fi
