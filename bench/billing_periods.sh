# rr.billing_periods vs the PL/pgSQL baseline: 12 monthly periods for each contract,
# anniversary billing from random start dates (month ends included), counted, not stored.
bsql -f "$RR_ROOT/bench/baseline/billing_periods.sql"
for n in 100000 1000000; do
    bsql -c "DROP TABLE IF EXISTS bp_contract;
             CREATE TABLE bp_contract AS
             SELECT i AS id, date '2020-01-01' + ((i::bigint * 7919) % 1461)::int AS start
               FROM generate_series(1, $n) AS i;
             ANALYZE bp_contract;"
    echo " $n contracts x 12 monthly periods"
    measure c$n "rr.billing_periods (C)" \
        "SELECT count(*) FROM bp_contract c,
                rr.billing_periods(c.start, (c.start + interval '12 months')::date, '1 month') p"
    measure p$n "PL/pgSQL baseline" \
        "SELECT count(*) FROM bp_contract c,
                bench.billing_periods_plpgsql(c.start, (c.start + interval '12 months')::date, '1 month') p"
    ratio "PL/pgSQL time / C time (goal: >= 10)" p$n c$n
done
bsql -c "SELECT count(*) AS rows_checked, count(*) FILTER (WHERE c IS DISTINCT FROM p) AS differences
           FROM (SELECT c.id, array_agg(x ORDER BY x) AS c FROM bp_contract c,
                        rr.billing_periods(c.start, (c.start + interval '12 months')::date, '1 month') x
                  WHERE c.id <= 20000 GROUP BY c.id) a
           JOIN (SELECT c.id, array_agg(x ORDER BY x) AS p FROM bp_contract c,
                        bench.billing_periods_plpgsql(c.start, (c.start + interval '12 months')::date, '1 month') x
                  WHERE c.id <= 20000 GROUP BY c.id) b USING (id)"
