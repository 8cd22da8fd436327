# A billing run over N active monthly contracts with two lines each (a prepaid seat line
# and a postpaid support line, anniversary billing from the first of a month), and the
# posting of its invoices with their journal entries, side by side with the physical
# limit: a plain INSERT ... SELECT of the very same rows (charges, invoices, invoice lines,
# journal entries and lines, copied from a run) into the same tables, with the same keys,
# constraints and triggers.
BENCH_SIZES=${BENCH_SIZES:-"100000 1000000"}
bsql -q -c "SET client_min_messages = warning; SELECT rr.create_tenant('bench', 'Benchmark', 'USD');" >/dev/null
bsql -q <<'SQL' >/dev/null
SET rr.tenant = 'bench';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('bench', 'SEAT', 'Seat', '4000', '2100', '1100'), ('bench', 'SUPPORT', 'Support', '4200', '2100', '1100');
INSERT INTO rr.item_price VALUES ('bench', 'SEAT', 'USD', 12.50), ('bench', 'SUPPORT', 'USD', 99.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
VALUES ('bench', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 1000),
       ('bench', 'SUPPORT', 'Support', 'USD', 'SUPPORT', 'postpaid', 1000);
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('bench', 'T', 'Monthly, annual term', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'bench', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 1000) i;
SQL
# reset: empty the billing tables (their history triggers are off for this session only)
reset_sql="SET client_min_messages = warning; SET session_replication_role = replica;
           TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.invoice_line,
                    rr.invoice, rr.charge, rr.billing_run, rr.invoice_counter, rr.fiscal_period CASCADE;
           SET session_replication_role = origin; CHECKPOINT"
for n in $BENCH_SIZES; do
    bsql -q <<SQL >/dev/null
SET client_min_messages = warning; SET session_replication_role = replica;
TRUNCATE rr.payment_application, rr.payment, rr.journal_line, rr.journal_entry, rr.invoice_line, rr.invoice,
         rr.charge, rr.billing_run, rr.invoice_counter, rr.fiscal_period, rr.contract_line, rr.contract CASCADE;
SET session_replication_role = origin;
-- contracts loaded in bulk (rr.create_contract is the API; this is data set-up)
INSERT INTO rr.contract (tenant_id, contract_id, customer, template, currency, status, contract_type, start_date,
                         end_date, setup_date, activation_date, billing_period, billing_start, alignment, invoice_to,
                         bill_to, payment_terms_days, grace_period_days, renewal_point_days, refund_policy)
SELECT 'bench', i, 'C' || (1 + i % 1000), 'T', 'USD', 'active', 'renewable', s, (s + interval '1 year')::date,
       s, s, 'month', 'activation', 'anniversary', 'customer', 'C' || (1 + i % 1000), 30, 0, 0, 'none'
  FROM generate_series(1, $n) i, LATERAL (SELECT date '2024-01-01' AS s) d;
INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                              recurring_price, billing_period)
SELECT 'bench', i, l, date '2024-01-01', CASE l WHEN 1 THEN 'SEATS' ELSE 'SUPPORT' END, 1 + i % 50,
       CASE l WHEN 1 THEN 12.50 ELSE 99.00 END, '1 month'
  FROM generate_series(1, $n) i, generate_series(1, 2) l;
VACUUM ANALYZE rr.contract;
VACUUM ANALYZE rr.contract_line;
SQL
    bsql -q -c "$reset_sql" >/dev/null
    echo " $n contracts x 2 lines, billed as of 2024-02-01 (January's support in arrears, February's seats in advance, 2 charges per contract)"
    measure run$n "rr.run_billing: charges, invoices, lines" \
        "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-02-01')" "$reset_sql"
    measure post$n "rr.post_invoices: numbers, journal entries and lines" \
        "SET rr.tenant = 'bench'; SELECT count(*) FROM rr.post_invoices('2024-02-01')" \
        "$reset_sql; SET rr.tenant = 'bench'; SELECT count(*) FROM rr.run_billing('2024-02-01')"
    # keep a copy of what a run and a posting wrote, then time writing it plainly
    bsql -q <<'SQL' >/dev/null
DROP TABLE IF EXISTS cp_charge, cp_invoice, cp_line, cp_entry, cp_jline, cp_run, cp_period;
CREATE UNLOGGED TABLE cp_run AS SELECT * FROM rr.billing_run;
CREATE UNLOGGED TABLE cp_period AS SELECT * FROM rr.fiscal_period;
CREATE UNLOGGED TABLE cp_charge AS SELECT * FROM rr.charge;
CREATE UNLOGGED TABLE cp_invoice AS SELECT * FROM rr.invoice;
CREATE UNLOGGED TABLE cp_line AS SELECT * FROM rr.invoice_line;
CREATE UNLOGGED TABLE cp_entry AS SELECT * FROM rr.journal_entry;
CREATE UNLOGGED TABLE cp_jline AS SELECT * FROM rr.journal_line;
SQL
    rows=$(psql -X -A -t -d bench -c "SELECT (SELECT count(*) FROM cp_charge) + (SELECT count(*) FROM cp_invoice)
                                         + (SELECT count(*) FROM cp_line) + (SELECT count(*) FROM cp_entry)
                                         + (SELECT count(*) FROM cp_jline)")
    measure lim$n "physical limit: INSERT ... SELECT of the same $rows rows" \
        "INSERT INTO rr.billing_run SELECT * FROM cp_run;
         INSERT INTO rr.fiscal_period SELECT * FROM cp_period;
         INSERT INTO rr.charge SELECT * FROM cp_charge;
         INSERT INTO rr.journal_entry SELECT * FROM cp_entry;
         INSERT INTO rr.invoice SELECT * FROM cp_invoice;
         INSERT INTO rr.invoice_line SELECT * FROM cp_line;
         INSERT INTO rr.journal_line SELECT * FROM cp_jline" "$reset_sql"
    BENCH_MS[both$n]=$(echo "${BENCH_MS[run$n]} + ${BENCH_MS[post$n]}" | bc -l)
    ratio "run + post / physical limit (goal: <= 1.5)" both$n lim$n
    printf '  %-58s %10.0f rows/s\n' "rows written per second by run + post" \
        "$(echo "$rows / (${BENCH_MS[both$n]} / 1000)" | bc -l)"
done
bsql -q -c "DROP TABLE IF EXISTS cp_charge, cp_invoice, cp_line, cp_entry, cp_jline, cp_run, cp_period" >/dev/null
