# rr.billing_periods vs the PL/pgSQL baseline: 12 monthly periods for each contract,
# anniversary billing from start dates spread over four years (month ends included),
# counted, not stored.  Also measured: the executor's own floor for a lateral
# set-returning function producing the same rows (generate_series), which neither
# implementation can go below.
bsql -f "$RR_ROOT/bench/baseline/billing_periods.sql"
# Start dates repeat (4 years of them), so the planner would otherwise put a Memoize node
# over the function scan and call each function once per distinct date, not per contract.
bsql -c "ALTER DATABASE bench SET enable_memoize = off"
for n in ${BENCH_SIZES:-100000 1000000}; do
    bsql -c "DROP TABLE IF EXISTS bp_contract;
             CREATE TABLE bp_contract AS
             SELECT i AS id, date '2020-01-01' + ((i::bigint * 7919) % 1461)::int AS start
               FROM generate_series(1, $n) AS i;
             ANALYZE bp_contract;"
    echo " $n contracts x 12 monthly periods, function in FROM (LATERAL)"
    measure c$n "rr.billing_periods (C)" \
        "SELECT count(*) FROM bp_contract c,
                rr.billing_periods(c.start, (c.start + interval '12 months')::date, '1 month') p"
    measure p$n "PL/pgSQL baseline" \
        "SELECT count(*) FROM bp_contract c,
                bench.billing_periods_plpgsql(c.start, (c.start + interval '12 months')::date, '1 month') p"
    measure f$n "executor floor: generate_series, same rows" \
        "SELECT count(*) FROM bp_contract c, generate_series(c.id, c.id + 11) p"
    ratio "PL/pgSQL time / C time (goal: >= 10)" p$n c$n
    ratio "C time / executor floor" c$n f$n
    echo " $n contracts x 12 monthly periods, function in the SELECT list"
    measure cs$n "rr.billing_periods (C)" \
        "SELECT count(*) FROM (SELECT rr.billing_periods(c.start, (c.start + interval '12 months')::date, '1 month') FROM bp_contract c) s"
    measure ps$n "PL/pgSQL baseline" \
        "SELECT count(*) FROM (SELECT bench.billing_periods_plpgsql(c.start, (c.start + interval '12 months')::date, '1 month') FROM bp_contract c) s"
    ratio "PL/pgSQL time / C time (goal: >= 10)" ps$n cs$n
done
echo " same periods from both implementations (20,000 contracts):"
bsql -c "SELECT count(*) AS contracts_checked, count(*) FILTER (WHERE c IS DISTINCT FROM p) AS differences
           FROM (SELECT c.id, array_agg(x ORDER BY x) AS c FROM bp_contract c,
                        rr.billing_periods(c.start, (c.start + interval '12 months')::date, '1 month') x
                  WHERE c.id <= 20000 GROUP BY c.id) a
           JOIN (SELECT c.id, array_agg(x ORDER BY x) AS p FROM bp_contract c,
                        bench.billing_periods_plpgsql(c.start, (c.start + interval '12 months')::date, '1 month') x
                  WHERE c.id <= 20000 GROUP BY c.id) b USING (id)"
bsql -c "ALTER DATABASE bench RESET enable_memoize"
