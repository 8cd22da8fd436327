# Single-call latency under PostgreSQL's default planner settings (JIT on, work_mem 4MB,
# parallel query on: set on the benchmark's own database, whatever the cluster runs with),
# in a tenant of 2,000 and of 200,000 posted invoices (LATENCY_SIZES): p50 and p99 over
# LATENCY_CALLS (default 200) calls, each its own transaction, timed by psql:
#  - activate a contract (rr.setup_and_activate_contract of a contract made by
#    rr.create_contract: obligations, allocation and schedules of its three lines);
#  - bill one contract (rr.bill_contract), then post its invoice (rr.post_invoices);
#  - record a payment and apply it (rr.record_payment, applied to the payer's oldest invoice);
#  - record one usage event (rr.record_usage).
# The tenant: one customer per contract, two monthly lines (a prepaid and a postpaid one)
# and a metered line, billed and posted for February and March 2024 (two invoices per
# contract); the 200 contracts of the calls are extra, on customers of their own.
# Goal: p99 <= 50 ms, the same at both sizes.  The test command's tiny run uses one small
# tenant and 20 calls.
if [ -z "${LATENCY_SIZES:-}" ]; then
    LATENCY_SIZES="2000 200000"
    if [ -n "${BENCH_SIZES:-}" ] && [ "${BENCH_SIZES%% *}" -lt 20000 ]; then
        LATENCY_SIZES=${BENCH_SIZES%% *}
        LATENCY_CALLS=${LATENCY_CALLS:-20}
    fi
fi
LATENCY_CALLS=${LATENCY_CALLS:-200}
saved_db=$BENCH_DB
BENCH_DB=bench_latency

# calls KEY FILE: run the statements of FILE in one session, each in its own transaction,
# and keep their times (ms) in $tmpdir/KEY
calls() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" -f "$2" \
        | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' >"$tmpdir/$1"
}

# report LABEL KEY: p50 and p99 of the times kept under KEY (every other one if a third
# argument says odd or even), over all the calls and again from the session's seventh call
# on: each call runs in the one session of its kind, and its first six calls make their own
# plans (PL/pgSQL plans each statement anew for its first five executions before it settles
# on a cached plan, and the first call also fills the session's catalog caches), so over
# 200 calls the p99, the third slowest call, is one of them (bench/README.md)
report() {
    local label=$1 key=$2 pick=${3:-all}
    awk -v pick="$pick" '(pick == "all") || (pick == "odd" && NR % 2 == 1) || (pick == "even" && NR % 2 == 0)' \
        "$tmpdir/$key" >"$tmpdir/$key.$pick"
    stats "$label" <"$tmpdir/$key.$pick"
    if [ "$(wc -l <"$tmpdir/$key.$pick")" -gt 6 ]; then
        stats "  from the session's 7th call on" < <(tail -n +7 "$tmpdir/$key.$pick")
    fi
}
# stats LABEL: p50, p99 and max of the times read from standard input
stats() {
    sort -n | awk -v label="$1" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "  " label ": no calls"; exit 1 }
            p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
            printf "  %-44s p50 %8.1f ms   p99 %8.1f ms   max %8.1f ms   (%d calls)\n", label, p50, p99, v[NR], NR
        }'
}

tmpdir=$(mktemp -d)
for size in $LATENCY_SIZES; do
    n=$(( (size + 1) / 2 ))          # contracts: two invoices each
    c=$LATENCY_CALLS
    dropdb --if-exists "$BENCH_DB"
    createdb "$BENCH_DB"
    bsql -c 'CREATE EXTENSION recurring_revenue' >/dev/null
    bsql -c "ALTER DATABASE $BENCH_DB SET jit = on" -c "ALTER DATABASE $BENCH_DB SET work_mem = '4MB'" \
         -c "ALTER DATABASE $BENCH_DB SET max_parallel_workers_per_gather = 2" >/dev/null
    bsql <<SQL >/dev/null
SET client_min_messages = warning;
SELECT rr.create_tenant('lat', 'Latency', 'USD');
SET rr.tenant = 'lat';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('lat', 'SEAT', 'Seat', '4000', '2100', '1100'), ('lat', 'SUPPORT', 'Support', '4200', '2100', '1100'),
       ('lat', 'CALL', 'API call', '4300', '2100', '1100');
INSERT INTO rr.item_price VALUES ('lat', 'SEAT', 'USD', 12.50), ('lat', 'SUPPORT', 'USD', 99.00), ('lat', 'CALL', 'USD', 0.002);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity,
                              standalone_price)
VALUES ('lat', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 1000, 150.00),
       ('lat', 'SUPPORT', 'Support', 'USD', 'SUPPORT', 'postpaid', 1000, 1188.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model, included_quantity)
VALUES ('lat', 'API', 'API calls', 'USD', 'CALL', 'postpaid', 'graduated(1000: 0.002, *: 0.001)', 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('lat', 'T', 'Monthly, annual term', 1);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
VALUES ('lat', 'T', 1, 'SEATS', 5), ('lat', 'T', 2, 'SUPPORT', 1), ('lat', 'T', 3, 'API', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'lat', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, $n) i
UNION ALL
SELECT 'lat', 'L' || i, 'Latency customer ' || i, 'USD' FROM generate_series(1, $c) i;
-- the tenant's contracts, loaded in bulk (data set-up), billed and posted twice
INSERT INTO rr.contract (tenant_id, contract_id, customer, template, currency, status, contract_type, start_date,
                         end_date, setup_date, activation_date, billing_period, billing_start, alignment, invoice_to,
                         bill_to, payment_terms_days, grace_period_days, renewal_point_days, refund_policy)
SELECT 'lat', i, 'C' || i, 'T', 'USD', 'active', 'renewable', s, (s + interval '1 year')::date,
       s, s, 'month', 'activation', 'anniversary', 'customer', 'C' || i, 30, 0, 0, 'none'
  FROM generate_series(1, $n) i, LATERAL (SELECT date '2024-01-01' AS s) d;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              recurring_price, billing_period)
SELECT 'lat', i, l, date '2024-01-01', CASE l WHEN 1 THEN 'SEATS' ELSE 'SUPPORT' END, 1 + i % 50,
       CASE l WHEN 1 THEN 12.50 ELSE 99.00 END, '1 month'
  FROM generate_series(1, $n) i, generate_series(1, 2) l;
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('rr.contract', 'contract_id'), $n);
SELECT rr.create_usage_partitions('2024-01-01', '2024-12-31');
SQL
    bsql <<SQL >/dev/null
SET rr.tenant = 'lat';
SELECT count(*) FROM rr.run_billing('2024-02-01');
SELECT count(*) FROM rr.post_invoices('2024-02-01');
SQL
    bsql <<SQL >/dev/null
SET rr.tenant = 'lat';
SELECT count(*) FROM rr.run_billing('2024-03-01');
SELECT count(*) FROM rr.post_invoices('2024-03-01');
SQL
    # the contracts of the calls, made through the API (drafts), then statistics as
    # autovacuum would have them
    bsql -q -c "SET rr.tenant = 'lat'; SELECT count(rr.create_contract('L' || i, 'T', '2024-01-01')) FROM generate_series(1, $c) i" >/dev/null
    bsql -q -c "VACUUM ANALYZE" >/dev/null
    invoices=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT count(*) FROM rr.invoice WHERE status = 'posted'")
    echo " tenant of $invoices posted invoices ($n contracts), $c calls each"
    ids=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT string_agg(contract_id::text, ' ' ORDER BY contract_id) FROM rr.contract WHERE contract_id > $n")
    {
        echo "SET rr.tenant = 'lat';"; echo '\timing on'
        for id in $ids; do echo "SELECT rr.setup_and_activate_contract($id, '2024-01-01');"; done
    } >"$tmpdir/activate.sql"
    {
        echo "SET rr.tenant = 'lat';"; echo '\timing on'
        for id in $ids; do
            echo "SELECT count(*) FROM rr.bill_contract($id, '2024-02-01');"
            echo "SELECT count(*) FROM rr.post_invoices('2024-02-01');"
        done
    } >"$tmpdir/bill.sql"
    {
        echo "SET rr.tenant = 'lat';"; echo '\timing on'
        for ((i = 1; i <= c; i++)); do echo "SELECT rr.record_payment('L$i', 10.00, '2024-02-05');"; done
    } >"$tmpdir/pay.sql"
    {
        echo "SET rr.tenant = 'lat';"; echo '\timing on'
        i=0
        for id in $ids; do i=$((i + 1)); echo "SELECT rr.record_usage($id, 'API', 3, '2024-02-10 12:00+00', 'k$i');"; done
    } >"$tmpdir/usage.sql"
    calls activate "$tmpdir/activate.sql"
    calls bill "$tmpdir/bill.sql"
    calls pay "$tmpdir/pay.sql"
    calls usage "$tmpdir/usage.sql"
    report "activate a contract" activate
    report "bill one contract (rr.bill_contract)" bill odd
    report "post one invoice (rr.post_invoices)" bill even
    report "record and apply a payment" pay
    report "record one usage event" usage
done
rm -rf "$tmpdir"
BENCH_DB=$saved_db
[ -n "${LATENCY_KEEP:-}" ] || dropdb --if-exists bench_latency   # LATENCY_KEEP=1 keeps it to look into
