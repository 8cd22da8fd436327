# Reports (issue 16, item 2): each report of src/sql/87_reports/ next to the plain scan or
# aggregate it needs — the same rows read by a hand-written query with no product logic
# (no line versions, no discounts, no booking dates, no row security) — on a tenant of
# N contracts with a year of history.
#
# Data: REPORTS_BASE contracts (default 2,000; two lines each: seats billed monthly and an
# annual plan billed yearly; a tenth with a 10 % discount; starts spread over 2024) are
# billed, posted and recognised month by month through 2024 by the product itself; then the
# tenant's rows are copied with new ids until it holds N contracts (BENCH_SIZES, default
# 100,000; 1,000,000 works), and everything is analysed.  Each pair prints its ratio
# (goal: <= 1.5).  Each plain query uses every aggregate it computes (an outer count(*)
# alone would let PostgreSQL drop the unused aggregates of the subquery, which the
# reports, called as functions, cannot).
REPORT_SIZES=${BENCH_SIZES:-100000}
first_size=${REPORT_SIZES%% *}
REPORTS_BASE=${REPORTS_BASE:-$(( first_size < 2000 ? first_size : 2000 ))}
t0=$(date +%s)
progress() { echo "  ($(( $(date +%s) - t0 )) s: $*)"; }
bsql -q <<SQL >/dev/null
SET client_min_messages = warning;
SELECT rr.create_tenant('rpt', 'Reports benchmark', 'USD');
SET rr.tenant = 'rpt';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
VALUES ('rpt', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('rpt', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'), ('rpt', 'PLAN', 'Plan', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price VALUES ('rpt', 'SEAT', 'USD', 12.50), ('rpt', 'PLAN', 'USD', 1200.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period,
                              max_quantity, standalone_price)
VALUES ('rpt', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', '1 month', 1000, 12.50),
       ('rpt', 'PLAN', 'Plan', 'USD', 'PLAN', 'prepaid', '1 year', 1, 1200.00);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, alignment, allow_override)
VALUES ('rpt', 'T', 'Annual term', 1, 'calendar', true);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
VALUES ('rpt', 'T', 1, 'SEATS', 1), ('rpt', 'T', 2, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'rpt', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 1000) i;
-- the base contracts through the API, activated over 2024
SELECT count(rr.setup_and_activate_contract(
           rr.create_contract('C' || (1 + i % 1000), 'T', make_date(2024, 1 + i % 12, 1 + i % 28),
                              jsonb_build_object('SEATS', jsonb_build_object('quantity', 1 + i % 40)))))
  FROM generate_series(1, $REPORTS_BASE) i;
SELECT count(rr.add_discount(contract_id, 'percent', 10)) FROM rr.contract WHERE tenant_id = 'rpt' AND contract_id % 10 = 0;
SELECT count(rr.change_contract_line(contract_id, 'SEATS', start_date + 100, quantity => 50))
  FROM rr.contract WHERE tenant_id = 'rpt' AND contract_id % 7 = 0;
SQL
progress "$REPORTS_BASE contracts created and activated"
for m in $(seq 1 12); do
    last=$(date -d "2024-$m-01 +1 month -1 day" +%F)
    bsql -q -c "SET rr.tenant = 'rpt'; SELECT count(*) FROM rr.run_billing('$last');
                SELECT count(*) FROM rr.post_invoices('$last'); SELECT count(*) FROM rr.recognize('$last')" >/dev/null
done

progress "2024 billed, posted and recognised month by month"
# copy the tenant's rows with new ids until it holds N contracts (history triggers and
# keys off for this data set-up only)
base=$(bsql -A -t -c "SELECT count(*) FROM rr.contract WHERE tenant_id = 'rpt'")
cols() { bsql -A -t -c "SELECT string_agg(CASE WHEN attname = ANY(string_to_array('$2', ',')) THEN attname || ' + o.d'
                                           WHEN attname = 'number' THEN 'number || ''-'' || o.d' ELSE attname END, ', ' ORDER BY attnum)
                          FROM pg_attribute WHERE attrelid = 'rr.$1'::regclass AND attnum > 0 AND NOT attisdropped"; }
declare -A shifted=(
    [contract]=contract_id [contract_line]=contract_id [discount]=discount_id,contract_id
    [performance_obligation]=contract_id [revenue_schedule_line]=schedule_line_id,contract_id,invoice_id,entry_id
    [invoice]=invoice_id,contract_id,journal_entry_id,credits_invoice [invoice_line]=invoice_id,charge_id
    [charge]=charge_id,contract_id [journal_entry]=entry_id,source_id [journal_line]=entry_id,contract_id
    [superseded_schedule_line]=schedule_line_id,contract_id
)
copy_sql=""
for t in contract contract_line discount performance_obligation charge invoice invoice_line journal_entry journal_line revenue_schedule_line \
         superseded_schedule_line; do
    c=$(cols "$t" "${shifted[$t]}")
    copy_sql+="INSERT INTO rr.$t SELECT $c FROM rr.$t, o WHERE tenant_id = 'rpt' AND ${shifted[$t]%%,*} < 1000000000;"$'\n'
done
size=$base
for n in $REPORT_SIZES; do
    k=$(( (size + base - 1) / base ))
    while [ "$size" -lt "$n" ]; do
        bsql -q -c "SET client_min_messages = warning; SET session_replication_role = replica;
                    CREATE TEMP TABLE o AS SELECT $k::bigint * 1000000000 AS d; $copy_sql" >/dev/null
        size=$((size + base)); k=$((k + 1))
    done
    progress "copied to $size contracts"
    bsql -q -c "VACUUM ANALYZE" >/dev/null
    echo " $size contracts x 2 lines, a year billed, posted and recognised ($base through the API, the rest copies)"
    t="SET rr.tenant = 'rpt';"
    measure mrr$n "rr.mrr_as_of: MRR of each contract on 2024-12-31" \
        "$t SELECT count(*), sum(mrr) FROM rr.mrr_as_of('2024-12-31')"
    measure mrrp$n "plain: lines of the contracts in force, quantity x price / months" \
        "SELECT count(DISTINCT c.contract_id), sum(l.quantity * l.recurring_price / (extract(year FROM l.billing_period) * 12 + extract(month FROM l.billing_period)))
           FROM rr.contract c JOIN rr.contract_line l USING (tenant_id, contract_id)
          WHERE c.tenant_id = 'rpt' AND c.activation_date <= '2024-12-31' AND c.end_date > '2024-12-31'"
    ratio "MRR / plain (goal: <= 1.5)" mrr$n mrrp$n
    measure mov$n "rr.mrr_movement: the bridge of December" \
        "$t SELECT count(*) FROM rr.mrr_movement('2024-12-01', '2025-01-01')"
    measure movp$n "plain: the same per customer on the two days, joined" \
        "WITH a AS (SELECT c.customer, sum(l.quantity * l.recurring_price) FILTER (WHERE c.activation_date <= '2024-11-30' AND c.end_date > '2024-11-30') AS o,
                           sum(l.quantity * l.recurring_price) FILTER (WHERE c.activation_date <= '2024-12-31' AND c.end_date > '2024-12-31') AS e
                      FROM rr.contract c JOIN rr.contract_line l USING (tenant_id, contract_id)
                     WHERE c.tenant_id = 'rpt' GROUP BY c.customer)
         SELECT count(*), sum(e - o) FROM a"
    ratio "MRR movement / plain (goal: <= 1.5)" mov$n movp$n
    measure roll$n "rr.contract_balance_rollforward_by_month: 2024 (one call)" \
        "$t SELECT count(*) FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2025-01-01')"
    measure rollp$n "plain: journal lines of the balance accounts by month and source" \
        "SELECT count(*), sum(x.s) FROM (SELECT date_trunc('month', e.entry_date), j.account, e.source, sum(j.credit - j.debit) AS s
                                 FROM rr.journal_line j JOIN rr.journal_entry e USING (tenant_id, entry_id)
                                WHERE j.tenant_id = 'rpt' AND j.account IN ('2100', '1150', '1160') GROUP BY 1, 2, 3) x"
    ratio "roll-forward / plain (goal: <= 1.5)" roll$n rollp$n
    measure wf$n "rr.deferred_revenue_waterfall: as of 2024-12-31" \
        "$t SELECT count(*) FROM rr.deferred_revenue_waterfall('2024-12-31')"
    measure wfp$n "plain: deferred revenue lines by contract, entry and month" \
        "SELECT count(*), sum(x.s) FROM (SELECT j.contract_id, e.entry_id, date_trunc('month', e.entry_date), sum(j.credit - j.debit) AS s
                                 FROM rr.journal_line j JOIN rr.journal_entry e USING (tenant_id, entry_id)
                                WHERE j.tenant_id = 'rpt' AND j.account = '2100' GROUP BY 1, 2, 3) x"
    ratio "waterfall / plain (goal: <= 1.5)" wf$n wfp$n
    measure bill$n "rr.billings: 2024" "$t SELECT count(*) FROM rr.billings('2024-01-01', '2025-01-01')"
    measure billp$n "plain: posted invoice lines by period, customer, item, kind" \
        "SELECT count(*), sum(x.n), sum(x.s) FROM (SELECT e.period_start, i.customer, l.contract_item, l.item, l.kind, count(DISTINCT i.invoice_id) AS n, sum(l.amount) AS s
                                 FROM rr.invoice i JOIN rr.journal_entry e ON e.tenant_id = i.tenant_id AND e.entry_id = i.journal_entry_id
                                 JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
                                WHERE i.tenant_id = 'rpt' GROUP BY 1, 2, 3, 4, 5) x"
    ratio "billings / plain (goal: <= 1.5)" bill$n billp$n
    measure rev$n "rr.recognised_revenue: 2024" "$t SELECT count(*) FROM rr.recognised_revenue('2024-01-01', '2025-01-01')"
    measure revp$n "plain: posted schedule lines by period, contract, account" \
        "SELECT count(*), sum(x.s) FROM (SELECT e.period_start, k.customer, l.contract_id, o.item, o.revenue_account, sum(l.amount) AS s
                                 FROM rr.revenue_schedule_line l JOIN rr.journal_entry e ON e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id
                                 JOIN rr.performance_obligation o ON o.tenant_id = l.tenant_id AND o.contract_id = l.contract_id AND o.obligation_no = l.obligation_no
                                 JOIN rr.contract k ON k.tenant_id = l.tenant_id AND k.contract_id = l.contract_id
                                WHERE l.tenant_id = 'rpt' AND l.status = 'posted' GROUP BY 1, 2, 3, 4, 5) x"
    ratio "recognised revenue / plain (goal: <= 1.5)" rev$n revp$n
    measure rpo$n "rr.remaining_performance_obligations: 2024-12-31" \
        "$t SELECT * FROM rr.remaining_performance_obligations('2024-12-31')"
    # (the plain queries read what the schedule held on the date: the lines planned by then,
    # and those a later re-plan replaced: docs/reports.md, "Schedules as of a date")
    measure rpop$n "plain: open schedule lines planned by then, and those superseded after it, summed" \
        "SELECT (SELECT sum(amount) FROM rr.revenue_schedule_line WHERE tenant_id = 'rpt' AND status = 'open' AND planned_on <= '2024-12-31')
                + coalesce((SELECT sum(amount) FROM rr.superseded_schedule_line
                             WHERE tenant_id = 'rpt' AND superseded_on > '2024-12-31' AND planned_on <= '2024-12-31'), 0)"
    ratio "RPO / plain (goal: <= 1.5)" rpo$n rpop$n
    # as of mid-year, contracts were activated after as_of: each line joined with its contract
    measure rpoh$n "rr.remaining_performance_obligations: 2024-06-30" \
        "$t SELECT * FROM rr.remaining_performance_obligations('2024-06-30')"
    measure rpohp$n "plain: schedule lines open or posted after 2024-06-30, planned by then, and those superseded after it, summed" \
        "SELECT (SELECT sum(amount) FROM rr.revenue_schedule_line
                  WHERE tenant_id = 'rpt' AND (status = 'open' OR posted_on > '2024-06-30') AND planned_on <= '2024-06-30')
                + coalesce((SELECT sum(amount) FROM rr.superseded_schedule_line
                             WHERE tenant_id = 'rpt' AND superseded_on > '2024-06-30' AND planned_on <= '2024-06-30'), 0)"
    ratio "RPO as of 2024-06-30 / plain (goal: <= 1.5)" rpoh$n rpohp$n
    measure fc$n "rr.revenue_forecast: 12 months from 2024-12-31" \
        "$t SELECT count(*) FROM rr.revenue_forecast('2024-12-31', 12)"
    measure fcp$n "plain: open schedule lines planned by then, and those superseded after it, by month" \
        "SELECT count(*), sum(x.s) FROM (SELECT date_trunc('month', l.recognize_on), sum(l.amount) AS s
                                FROM (SELECT recognize_on, amount FROM rr.revenue_schedule_line
                                       WHERE tenant_id = 'rpt' AND status = 'open' AND planned_on <= '2024-12-31'
                                      UNION ALL
                                      SELECT recognize_on, amount FROM rr.superseded_schedule_line
                                       WHERE tenant_id = 'rpt' AND superseded_on > '2024-12-31' AND planned_on <= '2024-12-31') l
                               GROUP BY 1) x"
    ratio "revenue forecast / plain (goal: <= 1.5)" fc$n fcp$n
    # the forecast also counts the contracts of each month: the same aggregate with that count
    measure fcd$n "plain: open schedule lines by month, contracts counted" \
        "SELECT count(*), sum(x.n), sum(x.s) FROM (SELECT date_trunc('month', l.recognize_on), sum(l.amount) AS s, count(DISTINCT l.contract_id) AS n
                                 FROM (SELECT contract_id, recognize_on, amount FROM rr.revenue_schedule_line
                                        WHERE tenant_id = 'rpt' AND status = 'open' AND planned_on <= '2024-12-31'
                                       UNION ALL
                                       SELECT contract_id, recognize_on, amount FROM rr.superseded_schedule_line
                                        WHERE tenant_id = 'rpt' AND superseded_on > '2024-12-31' AND planned_on <= '2024-12-31') l
                                GROUP BY 1) x"
    ratio "revenue forecast / plain with the count" fc$n fcd$n
done
