-- Property tests of the reports (docs/reports.md) on random data: 48 contracts of random
-- quantities, billing periods (monthly, quarterly, yearly; prepaid and in arrears),
-- discounts and start dates go through a year of monthly activity — activations, quantity
-- changes and terminations dated in the month, then billing, posting and recognition at
-- the month end.  Then:
--   1. every month's MRR bridge adds up, opens with the MRR of the day before and closes
--      with the next month's opening; every customer has exactly one movement;
--   2. every month's contract balance roll-forward adds up, chains, and closes on
--      rr.contract_balances, and the one-call form by month says the same; and the tenant
--      reconciles (rr.revenue_reconciliation); the deferred revenue waterfall's remaining
--      amounts at each month end add up to the deferred revenue balance, and what each
--      month created less what it took is the roll-forward's movement;
--   3. recognised revenue per period and account equals the revenue the recognition
--      entries credit to the obligations' revenue accounts; billings per period equal the receivables their entries debit;
--      disaggregated revenue adds up to the recognised revenue;
--   4. RPO equals the forecast over all its months and the revenue scheduled and not
--      recognised with the projects' allocation not measured yet (percent complete);
--      every row of the deferral schedule summary adds up, and what it has left to
--      recognise, with that allocation, is the RPO;
--   5. the as-of property: every report as of June 30 (or for a window ending July 1),
--      kept before the first half-year is closed and the second half-year's activity, answers
--      the same after them; the RPO, the forecast and the deferral schedule summary too,
--      though the second half-year's changes and terminations re-plan the schedules they
--      read (docs/reports.md, "Schedules as of a date").
BEGIN;
SELECT plan(20);
SELECT setseed(0.4242);

SELECT rr.create_tenant('rp', 'Report properties', 'USD');
SELECT set_config('rr.tenant', 'rp', true);
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('rp', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('rp', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('rp', 'SVC', 'Service', '4000', '2100', '1100', 'DAILY'), ('rp', 'PROJ', 'Project', '4200', '2100', '1100', 'PCT');
INSERT INTO rr.item_price VALUES ('rp', 'SVC', 'USD', 13.37), ('rp', 'PROJ', 'USD', 100.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity,
                              standalone_price)
VALUES ('rp', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', '1 month', 99, 13.37),
       ('rp', 'P', 'Monthly in arrears', 'USD', 'SVC', 'postpaid', '1 month', 99, 13.37),
       ('rp', 'Q', 'Quarterly', 'USD', 'SVC', 'prepaid', '3 months', 99, 40.11),
       ('rp', 'Y', 'Yearly', 'USD', 'SVC', 'prepaid', '1 year', 99, 160.44);
-- a project of 1,200.00 (SSP 1,000.00) recognised by percent complete, sold with monthly
-- seats (template TB): scheduled by its measurements, re-allocated when the seats change
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price, billing_type,
                              max_quantity, standalone_price)
VALUES ('rp', 'J', 'Project', 'USD', 'PROJ', 'manual', 1200.00, 'none', 1, 1000.00);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override, refund_policy)
SELECT 'rp', 'T' || x, 'One year of ' || x, 1, 'year', 'calendar', true, 'prorated' FROM unnest(ARRAY['M', 'P', 'Q', 'Y', 'B']) x;
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
SELECT 'rp', 'T' || x, 1, CASE x WHEN 'B' THEN 'M' ELSE x END, 1 FROM unnest(ARRAY['M', 'P', 'Q', 'Y', 'B']) x
UNION ALL SELECT 'rp', 'TB', 2, 'J', 1;
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'rp', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 16) i;

-- 48 contracts, 4 a month, each with one line of a random kind and quantity, 3 customers
-- each on average (so customers come, grow, shrink, leave and return)
CREATE TEMP TABLE k ON COMMIT DROP AS
SELECT i, 'C' || (1 + floor(random() * 16)::int) AS customer,
       make_date(2024, 1 + i / 4, 1 + floor(random() * 28)::int) AS start_date,
       (ARRAY['M', 'P', 'Q', 'Y', 'B'])[1 + floor(random() * 5)::int] AS item,
       1 + floor(random() * 20)::int AS quantity, NULL::bigint AS id
  FROM generate_series(0, 47) i;

CREATE FUNCTION pg_temp.month_of_activity(m integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
    first date := make_date(2024, m, 1);
    last date := (make_date(2024, m, 1) + interval '1 month - 1 day')::date;
    d date;
    pct numeric;
BEGIN
    -- activations of the month, with a discount on some
    FOR r IN SELECT * FROM k WHERE start_date BETWEEN first AND last ORDER BY i LOOP
        UPDATE k SET id = rr.create_contract(r.customer, 'T' || r.item, r.start_date,
                                             jsonb_build_object(CASE r.item WHEN 'B' THEN 'M' ELSE r.item END,
                                                                jsonb_build_object('quantity', r.quantity)))
         WHERE i = r.i;
        PERFORM rr.setup_and_activate_contract(id) FROM k WHERE i = r.i;
        IF random() < 0.3 THEN
            PERFORM rr.add_discount(id, 'percent', 5 + floor(random() * 20)::int) FROM k WHERE i = r.i;
        ELSIF random() < 0.2 THEN
            PERFORM rr.add_discount(id, 'amount', 3.00) FROM k WHERE i = r.i;
        END IF;
    END LOOP;
    -- changes and terminations of active contracts, dated in the month
    FOR r IN SELECT k.*, c.activation_date FROM k JOIN rr.contract c ON c.tenant_id = 'rp' AND c.contract_id = k.id
              WHERE c.status = 'active' AND c.activation_date < last ORDER BY k.i LOOP
        d := greatest(r.activation_date + 1, first + floor(random() * 28)::int);
        -- a project's progress, measured on a day of the month
        -- (the last measurement read first: on Citus a call in a query on the distributed
        -- tables would run on the shard, where it cannot read them)
        IF r.item = 'B' THEN
            SELECT coalesce(max(e.percent), 0) INTO pct FROM rr.progress_entry e
             WHERE e.tenant_id = 'rp' AND e.contract_id = r.id;
            PERFORM rr.record_progress(r.id, 2, least(100, pct + 5 + floor(random() * 30)::int), d);
        END IF;
        IF random() < 0.25 THEN
            PERFORM rr.change_contract_line(r.id, CASE r.item WHEN 'B' THEN 'M' ELSE r.item END, d,
                                            quantity => 1 + floor(random() * 30)::int);
        ELSIF random() < 0.06 THEN
            PERFORM rr.terminate_contract(r.id, d);
        END IF;
    END LOOP;
    PERFORM count(*) FROM rr.run_billing(last);
    PERFORM count(*) FROM rr.post_invoices(last);
    PERFORM count(*) FROM rr.recognize(last);
END
$$;

SELECT pg_temp.month_of_activity(m) FROM generate_series(1, 6) m;

-- the reports as of June 30 / for windows ending July 1, kept
CREATE TEMP TABLE asof ON COMMIT DROP AS
SELECT 'mrr' AS report, to_jsonb(x) AS row FROM rr.mrr_as_of('2024-06-30') x
UNION ALL SELECT 'movement', to_jsonb(x) FROM rr.mrr_movement_detail('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'bridge', to_jsonb(x) FROM rr.mrr_movement('2024-04-01', '2024-07-01') x
UNION ALL SELECT 'rollforward', to_jsonb(x) FROM rr.contract_balance_rollforward('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'rollforward by month', to_jsonb(x) FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'waterfall', to_jsonb(x) FROM rr.deferred_revenue_waterfall('2024-06-30') x
UNION ALL SELECT 'billings', to_jsonb(x) FROM rr.billings('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'revenue', to_jsonb(x) FROM rr.recognised_revenue('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'disaggregation', to_jsonb(x) FROM rr.revenue_disaggregation('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'summary', to_jsonb(x) FROM rr.customer_summary('2024-06-30') x
UNION ALL SELECT 'bookings', to_jsonb(x) FROM rr.bookings('2024-01-01', '2024-07-01') x
UNION ALL SELECT 'rpo', to_jsonb(x) FROM rr.remaining_performance_obligations('2024-06-30') x
UNION ALL SELECT 'forecast', to_jsonb(x) FROM rr.revenue_forecast('2024-06-30', 24) x
UNION ALL SELECT 'deferral summary', to_jsonb(x) FROM rr.deferral_schedule_summary('2024-06-30') x;
SELECT cmp_ok((SELECT count(*) FROM asof)::integer, '>', 100, 'the reports as of June 30 have rows to compare');

-- the first half-year is closed, as finance closes its months: later postings dated in it
-- go into July
SELECT count(rr.close_period(p::date)) FROM generate_series('2024-01-01'::date, '2024-06-01', '1 month') p;
SELECT pg_temp.month_of_activity(m) FROM generate_series(7, 12) m;

CREATE TEMP TABLE months ON COMMIT DROP AS
SELECT m::date AS f, (m + interval '1 month')::date AS t FROM generate_series('2024-01-01'::date, '2024-12-01', '1 month') m;

-- 1. the MRR bridge
SELECT is_empty($$
    SELECT m.f, b.* FROM months m, rr.mrr_movement(m.f, m.t) b
     WHERE b.opening_mrr + b.new_mrr + b.expansion_mrr + b.reactivation_mrr - b.contraction_mrr - b.churned_mrr
           <> b.closing_mrr
        OR b.opening_mrr <> (SELECT coalesce(sum(x.mrr), 0) FROM rr.mrr_as_of(m.f - 1) x)
        OR b.closing_mrr <> (SELECT coalesce(sum(x.mrr), 0) FROM rr.mrr_as_of(m.t - 1) x)
        OR b.closing_mrr <> coalesce((SELECT n.opening_mrr FROM rr.mrr_movement(m.t, (m.t + interval '1 month')::date) n), 0)
$$, 'every month''s MRR bridge adds up, opens with the day before and closes with the next month''s opening');
SELECT is_empty($$
    SELECT m.f, d.* FROM months m, rr.mrr_movement_detail(m.f, m.t) d
     WHERE (d.new_mrr <> 0)::int + (d.expansion_mrr <> 0)::int + (d.contraction_mrr <> 0)::int
           + (d.churned_mrr <> 0)::int + (d.reactivation_mrr <> 0)::int <> (d.movement <> 'unchanged')::int
        OR d.closing_mrr - d.opening_mrr <> d.new_mrr + d.expansion_mrr + d.reactivation_mrr - d.contraction_mrr - d.churned_mrr
$$, 'every customer has exactly one movement a month, of the size of its change');
SELECT ok((SELECT count(DISTINCT d.movement) FROM months m, rr.mrr_movement_detail(m.f, m.t) d) = 6,
          'the year has every kind of movement (new, expansion, contraction, churn, reactivation, unchanged)');

-- 2. the contract balances
SELECT is_empty($$
    SELECT m.f, r.* FROM months m, rr.contract_balance_rollforward(m.f, m.t) r
     WHERE r.opening + r.billed + r.credited + r.recognised + r.other <> r.closing
        OR r.closing <> (SELECT coalesce(sum(b.balance), 0) FROM rr.contract_balances(m.t - 1) b WHERE b.account = r.account)
        OR r.opening <> coalesce((SELECT p.closing FROM rr.contract_balance_rollforward((m.f - interval '1 month')::date, m.f) p
                                   WHERE p.account = r.account), 0)
$$, 'every month''s contract balance roll-forward adds up, chains and closes on rr.contract_balances');
SELECT is_empty($$
    SELECT * FROM (SELECT m.f AS month, r.* FROM months m, rr.contract_balance_rollforward(m.f, m.t) r) c
      FULL JOIN rr.contract_balance_rollforward_by_month('2024-01-01', '2025-01-01') b USING (month, balance, account, currency)
     WHERE (c.opening, c.billed, c.credited, c.recognised, c.other, c.closing)
           IS DISTINCT FROM (b.opening, b.billed, b.credited, b.recognised, b.other, b.closing)
$$, 'the roll-forward by month in one call equals the twelve monthly calls');
SELECT is_empty($$ SELECT * FROM rr.revenue_reconciliation('2024-12-31') $$, 'the tenant reconciles at the year end');
SELECT is_empty($$
    SELECT m.f, r.account, r.closing, w.remaining, r.billed + r.credited + r.recognised + r.other, y.movement
      FROM months m
      CROSS JOIN LATERAL rr.deferred_revenue_rollforward(m.f, m.t) r
      LEFT JOIN LATERAL (SELECT sum(x.remaining) AS remaining
                           FROM (SELECT DISTINCT ON (w.currency, w.billing_month) w.remaining
                                   FROM rr.deferred_revenue_waterfall(m.t - 1) w
                                  WHERE w.account = r.account AND w.currency = r.currency
                                  ORDER BY w.currency, w.billing_month, w.month DESC) x) w ON true
      LEFT JOIN LATERAL (SELECT sum(CASE WHEN w.month = w.billing_month THEN w.deferred ELSE 0 END
                                    - w.recognised - w.credited - w.other) AS movement
                           FROM rr.deferred_revenue_waterfall('2024-12-31') w
                          WHERE w.month = m.f AND w.account = r.account AND w.currency = r.currency) y ON true
     WHERE (r.closing IS DISTINCT FROM coalesce(w.remaining, 0)
            OR r.billed + r.credited + r.recognised + r.other IS DISTINCT FROM coalesce(y.movement, 0))
$$, 'every month end, the deferred revenue waterfall''s remaining amounts add up to the deferred revenue balance, and each month''s movement is the roll-forward''s');

-- 3. revenue, billings and the journal
-- (the journal's side summed first, here and below: on Citus a statement that reads the
-- distributed tables goes to the tenant's worker whole, the report's call with it, which
-- cannot read tables there)
CREATE TEMP TABLE journal_revenue ON COMMIT DROP AS
SELECT e.period_start, l.account, sum(l.credit - l.debit) AS amount
  FROM rr.journal_line l JOIN rr.journal_entry e USING (tenant_id, entry_id)
  JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 WHERE l.tenant_id = 'rp' AND e.source = 'recognition'
   AND l.account IN (SELECT o.revenue_account FROM rr.performance_obligation o WHERE o.tenant_id = 'rp')
 GROUP BY 1, 2;
CREATE TEMP TABLE journal_billings ON COMMIT DROP AS
SELECT e.period_start, sum(l.debit - l.credit) AS amount
  FROM rr.journal_line l JOIN rr.journal_entry e USING (tenant_id, entry_id)
 WHERE l.tenant_id = 'rp' AND e.source IN ('invoice', 'credit_note') AND l.account = '1100'
 GROUP BY 1;
SELECT is_empty($$
    SELECT period_start, account, r.amount, j.amount
      FROM (SELECT period_start, account, sum(amount) AS amount FROM rr.recognised_revenue('2024-01-01', '2025-01-01')
             GROUP BY 1, 2) r
      FULL JOIN journal_revenue j USING (period_start, account)
     WHERE r.amount IS DISTINCT FROM j.amount
$$, 'recognised revenue per period and account equals what the recognition entries credit to the obligations'' revenue accounts');
SELECT is_empty($$
    SELECT period_start, b.amount, j.amount
      FROM (SELECT period_start, sum(amount) AS amount FROM rr.billings('2024-01-01', '2025-01-01') GROUP BY 1) b
      FULL JOIN journal_billings j USING (period_start)
     WHERE b.amount IS DISTINCT FROM j.amount
$$, 'billings per period equal the receivables their journal entries debit');
SELECT is(
    (SELECT sum(amount) FROM rr.revenue_disaggregation('2024-01-01', '2025-01-01')),
    (SELECT sum(amount) FROM rr.recognised_revenue('2024-01-01', '2025-01-01')),
    'the disaggregated revenue adds up to the recognised revenue');

-- 4. RPO
SELECT is(
    (SELECT total FROM rr.remaining_performance_obligations('2024-12-31')),
    (SELECT sum(scheduled) FROM rr.revenue_forecast('2024-12-31', 1200)),
    'RPO equals the revenue forecast over all its months');
SELECT sum(amount) AS open_scheduled FROM rr.revenue_schedule_line WHERE tenant_id = 'rp' AND status = 'open' \gset
-- the projects' allocation not measured yet (nothing changed after December 31: their
-- allocation as it stands)
SELECT coalesce(sum(greatest(o.allocated_amount - coalesce(p.measured, 0), 0)), 0) AS unmeasured,
       count(*) FILTER (WHERE o.allocated_amount > coalesce(p.measured, 0)) AS projects_open
  FROM rr.performance_obligation o
  LEFT JOIN (SELECT l.contract_id, l.obligation_no, sum(l.amount) AS measured FROM rr.revenue_schedule_line l
              WHERE l.tenant_id = 'rp' AND l.source = 'progress' GROUP BY 1, 2) p USING (contract_id, obligation_no)
 WHERE o.tenant_id = 'rp' AND o.method = 'percent_complete' \gset
SELECT cmp_ok(:projects_open::integer, '>', 0, 'some projects are not fully measured at the year end');
SELECT is(
    (SELECT total FROM rr.remaining_performance_obligations('2024-12-31')), :open_scheduled::numeric + :unmeasured::numeric,
    'RPO equals the revenue scheduled and not recognised, and the projects'' allocation not measured yet');

SELECT is_empty($$
    SELECT * FROM rr.deferral_schedule_summary('2024-12-31')
     WHERE scheduled <> recognised + due + within_12_months + beyond_12_months
$$, 'every row of the deferral schedule summary adds up: scheduled = recognised + due + within + beyond 12 months');
SELECT is_empty(format($$
    SELECT * FROM (SELECT currency, sum(due + within_12_months) AS within_12_months, sum(beyond_12_months) AS beyond_12_months
                     FROM rr.deferral_schedule_summary('2024-12-31') GROUP BY currency) s
      FULL JOIN rr.remaining_performance_obligations('2024-12-31') r USING (currency)
     WHERE (s.within_12_months + %s, s.beyond_12_months) IS DISTINCT FROM (r.within_12_months, r.beyond_12_months)
$$, :'unmeasured'), 'what the deferral schedule summary has left to recognise, with the projects'' allocation not measured yet (due within their one-year terms), is the RPO, within and beyond 12 months');

-- 5. as of June 30, the same answers after the second half-year (whose changes and
-- terminations replaced lines the schedules held on June 30)
-- (the count read first: on Citus a statement that reads only the distributed tables goes
-- to the tenant's worker whole, the pgTAP call with it)
SELECT count(*) AS replaced_after_june FROM rr.superseded_schedule_line
 WHERE tenant_id = 'rp' AND planned_on <= '2024-06-30' AND superseded_on > '2024-06-30' \gset
SELECT cmp_ok(:replaced_after_june::integer, '>', 0,
              'changes dated after June 30 replaced schedule lines that the schedules held on June 30');
SELECT is_empty($$
    (SELECT * FROM asof
     EXCEPT ALL
     (SELECT 'mrr', to_jsonb(x) FROM rr.mrr_as_of('2024-06-30') x
      UNION ALL SELECT 'movement', to_jsonb(x) FROM rr.mrr_movement_detail('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'bridge', to_jsonb(x) FROM rr.mrr_movement('2024-04-01', '2024-07-01') x
      UNION ALL SELECT 'rollforward', to_jsonb(x) FROM rr.contract_balance_rollforward('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'rollforward by month', to_jsonb(x) FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'waterfall', to_jsonb(x) FROM rr.deferred_revenue_waterfall('2024-06-30') x
      UNION ALL SELECT 'billings', to_jsonb(x) FROM rr.billings('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'revenue', to_jsonb(x) FROM rr.recognised_revenue('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'disaggregation', to_jsonb(x) FROM rr.revenue_disaggregation('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'summary', to_jsonb(x) FROM rr.customer_summary('2024-06-30') x
      UNION ALL SELECT 'bookings', to_jsonb(x) FROM rr.bookings('2024-01-01', '2024-07-01') x
      UNION ALL SELECT 'rpo', to_jsonb(x) FROM rr.remaining_performance_obligations('2024-06-30') x
      UNION ALL SELECT 'forecast', to_jsonb(x) FROM rr.revenue_forecast('2024-06-30', 24) x
      UNION ALL SELECT 'deferral summary', to_jsonb(x) FROM rr.deferral_schedule_summary('2024-06-30') x))
$$, 'every report as of June 30 answers the same after the second half-year''s activity');

-- the MRR the workflows kept (rr.contract_mrr) is the definition's on every date it can
-- change on and the day before (src/sql/50_billing/22_contract_mrr.sql)
SELECT ok((SELECT count(*) FROM rr.contract_mrr) > 0, 'the workflows kept MRR steps');
SELECT is_empty($$SELECT * FROM rr_internal.contract_mrr_drift()$$,
                'the MRR kept by the workflows is the definition''s on every date it can change on');
SELECT * FROM finish();
ROLLBACK;
