# A mass renewal: rr.run_renewals over N annual contracts due for renewal (two lines each,
# a 3 % renewal uplift, renewal point 30 days before the end), run on 2024-12-15.  Per
# contract it writes: the contract's new end date (an updated row), a contract event with
# the contract before and after, a renewal log row, an outbox row and one new line version
# per line (the uplifted price from the new term).  Side by side, in one database per size:
#  - the product on fresh tables (a new database: no table was ever analysed) and on warm
#    ones (everything analysed, the renewals undone between measurements);
#  - the BARE FLOOR: the very same output rows (copied from the run: the contracts as
#    updated, the events, renewals, outbox rows and line versions) written by
#    INSERT ... SELECT into tables with the same columns and primary keys and nothing else.
# RENEWAL_SIZES (else BENCH_SIZES) defaults to 100,000 contracts.  Peak memory: the
# backend's private memory and its VmHWM.
RENEWAL_SIZES=${RENEWAL_SIZES:-${BENCH_SIZES:-100000}}
saved_show=${BENCH_SHOW_HWM:-}
BENCH_SHOW_HWM=1
saved_db=$BENCH_DB
BENCH_DB=bench_renewals

renewed_tables="contract contract_event contract_renewal outbox contract_line"
run_sql="SET rr.tenant = 'renb'; SELECT count(*) FROM rr.run_renewals('2024-12-15')"
# undo the renewals (history triggers off for this session only)
undo_sql="SET client_min_messages = warning; SET session_replication_role = replica;
          TRUNCATE rr.contract_renewal, rr.outbox;
          DELETE FROM rr.contract_event WHERE tenant_id = 'renb' AND action = 'renew';
          DELETE FROM rr.contract_line WHERE tenant_id = 'renb' AND effective_from = '2025-01-01';
          UPDATE rr.contract SET end_date = '2025-01-01' WHERE tenant_id = 'renb';
          SET session_replication_role = origin; CHECKPOINT"

# renewal_db N: a new database with the extension, the catalog and N active contracts x 2
# lines, loaded in bulk (rr.create_contract is the API; this is data set-up), nothing analysed
renewal_db() {
    dropdb --if-exists "$BENCH_DB"
    createdb "$BENCH_DB"
    bsql -c 'CREATE EXTENSION recurring_revenue' -f "$RR_ROOT/bench/lib.sql" >/dev/null
    bsql <<SQL >/dev/null
SET client_min_messages = warning;
SELECT rr.create_tenant('renb', 'Renewal benchmark', 'USD');
SET rr.tenant = 'renb';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('renb', 'SEAT', 'Seat', '4000', '2100', '1100'), ('renb', 'SUPPORT', 'Support', '4200', '2100', '1100');
INSERT INTO rr.item_price VALUES ('renb', 'SEAT', 'USD', 12.50), ('renb', 'SUPPORT', 'USD', 99.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
VALUES ('renb', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 1000),
       ('renb', 'SUPPORT', 'Support', 'USD', 'SUPPORT', 'postpaid', 1000);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, renewal_point_days, mass_renewal,
                                  renewal_uplift_percent)
VALUES ('renb', 'T', 'Annual, mass renewal', 1, 30, true, 3);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'renb', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 1000) i;
INSERT INTO rr.contract (tenant_id, contract_id, customer, template, currency, status, contract_type, start_date,
                         end_date, setup_date, activation_date, billing_period, billing_start, alignment, invoice_to,
                         bill_to, payment_terms_days, grace_period_days, renewal_point_days, refund_policy,
                         renewal_uplift_percent)
SELECT 'renb', i, 'C' || (1 + i % 1000), 'T', 'USD', 'active', 'renewable', s, (s + interval '1 year')::date,
       s, s, 'month', 'activation', 'anniversary', 'customer', 'C' || (1 + i % 1000), 30, 0, 30, 'none', 3
  FROM generate_series(1, $1) i, LATERAL (SELECT date '2024-01-01' AS s) d;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              recurring_price, billing_period)
SELECT 'renb', i, l, date '2024-01-01', CASE l WHEN 1 THEN 'SEATS' ELSE 'SUPPORT' END, 1 + i % 50,
       CASE l WHEN 1 THEN 12.50 ELSE 99.00 END, '1 month'
  FROM generate_series(1, $1) i, generate_series(1, 2) l;
SQL
    # no statistics unless the benchmark takes them (autovacuum would analyse between steps)
    bsql -A -t -c "SELECT format('ALTER TABLE %s SET (autovacuum_enabled = off);', c.oid::regclass)
                     FROM pg_class c WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'" | bsql >/dev/null
    bsql -c CHECKPOINT >/dev/null
}

for n in $RENEWAL_SIZES; do
    echo " $n contracts x 2 lines due for renewal, renewed on 2024-12-15 (3 % uplift)"
    saved_repeat=$BENCH_REPEAT
    BENCH_REPEAT=1
    renewal_db "$n"
    measure fren$n "fresh: rr.run_renewals" "$run_sql"
    BENCH_REPEAT=$saved_repeat
    renewed=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT count(*) FROM rr.contract_renewal")
    [ "$renewed" = "$n" ] || { echo "ERROR: $renewed of $n contracts renewed"; break; }

    # what the run wrote, kept; the floor tables: same columns and primary keys, nothing else
    {
        echo "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS floor;"
        for t in $renewed_tables; do
            case $t in
                contract) where="tenant_id = 'renb'" ;;
                contract_event) where="action = 'renew'" ;;
                contract_line) where="effective_from = '2025-01-01'" ;;
                *) where="true" ;;
            esac
            floor_table_sql "$t" "$where"
        done
    } | bsql -q >/dev/null
    rows=$(psql -X -A -t -d "$BENCH_DB" -c "SELECT $(for t in $renewed_tables; do printf '(SELECT count(*) FROM cp_%s) + ' "$t"; done) 0")

    # warm: everything analysed, the renewals undone between measurements
    bsql -q -c "$undo_sql" -c "ANALYZE" >/dev/null
    measure wren$n "warm: rr.run_renewals" "$run_sql" "$undo_sql"

    floor_sql=""
    for t in $renewed_tables; do floor_sql+="INSERT INTO floor.$t SELECT * FROM cp_$t; "; done
    floor_reset="TRUNCATE $(echo $renewed_tables | sed 's/\([a-z_]*\)/floor.\1/g; s/ /, /g'); CHECKPOINT"
    measure floor$n "BARE FLOOR: INSERT ... SELECT of the same $rows rows" "$floor_sql" "$floor_reset"
    ratio "fresh: run_renewals / bare floor (goal: <= 1.5)" fren$n floor$n
    ratio "warm: run_renewals / bare floor (goal: <= 1.5)" wren$n floor$n
    printf '  %-58s %10.0f contracts/s\n' "contracts renewed per second, warm" \
        "$(echo "$n / (${BENCH_MS[wren$n]} / 1000)" | bc -l)"
done
bsql -q -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS floor CASCADE" >/dev/null
BENCH_DB=$saved_db
BENCH_SHOW_HWM=$saved_show
dropdb --if-exists bench_renewals
