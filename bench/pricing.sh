# rr.price vs plain SQL and PL/pgSQL: rate 10,000,000 quantities (integers and
# fractions, 0 to 3000, so every tier is hit) with a 3-tier graduated price, summed so
# that output is not the cost.  A scan that only sums the quantities is the floor.
bsql -f "$RR_ROOT/bench/baseline/pricing.sql"
n=${PRICING_ROWS:-10000000}
bsql -c "DROP TABLE IF EXISTS pricing_q;
         CREATE TABLE pricing_q AS
         SELECT CASE WHEN i % 2 = 0 THEN ((i::bigint * 7919) % 3001)::numeric
                     ELSE round(((i::bigint * 7919) % 300001) / 100.0, 2) END AS q
           FROM generate_series(1, $n) AS i;"
bsql -c "VACUUM ANALYZE pricing_q"
P="'graduated(100: 1.00, 1000: 0.80 + 10.00, *: 0.50)'::rr.pricing"
echo " $n quantities, graduated(100: 1.00, 1000: 0.80 + 10.00, *: 0.50)"
measure scan "scan only: sum(q)" "SELECT sum(q) FROM pricing_q"
measure c "rr.price (C)" "SELECT sum(rr.price($P, q)) FROM pricing_q"
measure r "rr.price_reference (C, numeric path only)" "SELECT sum(rr.price_reference($P, q)) FROM pricing_q"
measure s "plain SQL CASE over the tiers (inlined)" "SELECT sum(bench.price_graduated_sql(q)) FROM pricing_q"
measure p "PL/pgSQL generic tiers" \
    "SELECT sum(bench.price_graduated_plpgsql(q, '{100,1000,NULL}', '{1.00,0.80,0.50}', '{NULL,10.00,NULL}')) FROM pricing_q"
ratio "plain SQL time / rr.price time (goal: > 1)" s c
ratio "PL/pgSQL time / rr.price time (goal: > 1)" p c
ratio "numeric path time / fast path time" r c
# the same comparisons net of the scan, i.e. the cost of rating alone
net() { echo "(${BENCH_MS[$1]} - ${BENCH_MS[scan]}) / (${BENCH_MS[$2]} - ${BENCH_MS[scan]})" | bc -l; }
printf '  %-58s %10.2fx\n' "plain SQL / rr.price, net of the scan" "$(net s c)"
printf '  %-58s %10.2fx\n' "PL/pgSQL / rr.price, net of the scan" "$(net p c)"
bsql -c "SELECT count(*) AS rows_checked,
                count(*) FILTER (WHERE c IS DISTINCT FROM s OR c IS DISTINCT FROM p OR c IS DISTINCT FROM r) AS differences
           FROM (SELECT rr.price($P, q) AS c, rr.price_reference($P, q) AS r,
                        bench.price_graduated_sql(q) AS s,
                        bench.price_graduated_plpgsql(q, '{100,1000,NULL}', '{1.00,0.80,0.50}', '{NULL,10.00,NULL}') AS p
                   FROM pricing_q LIMIT 200000) t"
