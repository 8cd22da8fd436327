-- The deferred revenue waterfall by billing month (rr.deferred_revenue_waterfall,
-- docs/reports.md "Deferred revenue waterfall") checked by hand on a small tenant, its
-- as-of property and its reconciliation with the roll-forward; the roll-forward by month
-- in one call (rr.contract_balance_rollforward_by_month) against the monthly calls; an
-- analyst reads them and nothing of another tenant.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('wf', 'Waterfall', 'USD');
SET rr.tenant = 'wf';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('wf', 'EQUAL', 'Equal monthly amounts', 'equal', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('wf', 'SEAT', 'Seat', '4000', '2100', '1100', 'EQUAL'),
    ('wf', 'PLAN', 'Annual plan', '4000', '2100', '1100', 'EQUAL');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('wf', 'SEAT', 'USD', 10.00), ('wf', 'PLAN', 'USD', 1200.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity) VALUES
    ('wf', 'SEATS', 'Seats, 10.00 a month', 'USD', 'SEAT', 'prepaid', 100),
    ('wf', 'ANNUAL', 'Annual plan, 1,200.00 a year', 'USD', 'PLAN', 'prepaid', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('wf', 'MONTHLY', 'Seats billed monthly, one-year term', 1, 'year', 'month', 'calendar', true, 'prorated'),
    ('wf', 'YEARLY', 'Annual plan billed yearly', 1, 'year', 'year', 'anniversary', true, 'prorated');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('wf', 'MONTHLY', 1, 'SEATS', 1), ('wf', 'YEARLY', 1, 'ANNUAL', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('wf', 'A', 'Annual', 'USD'), ('wf', 'M', 'Monthly', 'USD');
-- A: the annual plan from January 1, 1,200.00 billed in January, recognised 100.00 a month.
-- M: 5 seats from February 1, 50.00 billed each month and recognised in the same month.
SELECT rr.create_contract('A', 'YEARLY', '2024-01-01') AS k_a \gset
SELECT rr.create_contract('M', 'MONTHLY', '2024-02-01', '{"SEATS": {"quantity": 5}}') AS k_m \gset
SELECT rr.setup_and_activate_contract(k) FROM unnest(ARRAY[:k_a, :k_m]::bigint[]) k;
CREATE FUNCTION pg_temp.month_end(d date) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM rr.run_billing(d); SELECT count(*) FROM rr.post_invoices(d); SELECT count(*) FROM rr.recognize(d);
$$;
SELECT pg_temp.month_end('2024-01-31') AS january, pg_temp.month_end('2024-02-29') AS february;
-- a goodwill credit of 120.00 on A's invoice on March 15: it takes 120.00 of January's
-- deferred revenue, and A's remaining 10 months are recognised (1,200.00 - 200.00 -
-- 120.00) / 10 = 88.00 a month
-- (the invoice read first, by its tenant: a sub-query as a call's argument, or one
-- without the tenant, is a statement Citus cannot run on its workers)
SELECT invoice_id AS inv_a FROM rr.invoice WHERE tenant_id = 'wf' AND contract_id = :k_a \gset
SELECT number, total FROM rr.credit_invoice(:inv_a, 120.00, NULL, 'goodwill', '2024-03-15');
SELECT pg_temp.month_end('2024-03-31') AS march;

-- As of March 31: January's 1,200.00 released 100.00 in January and February, 88.00 and
-- the credit of 120.00 in March: 792.00 left; February's and March's 50.00 released in
-- their month
SELECT * FROM rr.deferred_revenue_waterfall('2024-03-31');
-- as of February 15 the February postings (dated February 29) are not there yet
SELECT billing_month, month, deferred, recognised, remaining FROM rr.deferred_revenue_waterfall('2024-02-15');
-- what is still deferred, per billing month, is the last row of each; they add up to the
-- deferred revenue balance, the roll-forward's closing (792.00)
SELECT DISTINCT ON (billing_month) billing_month, remaining
  FROM rr.deferred_revenue_waterfall('2024-03-31') ORDER BY billing_month, month DESC;
SELECT closing FROM rr.deferred_revenue_rollforward('2024-01-01', '2024-04-01');

-- The as-of property: a second contract for M from April 10 (3 seats), April billed,
-- posted and recognised: March 31 answers the same
CREATE TEMP TABLE wf_march AS SELECT * FROM rr.deferred_revenue_waterfall('2024-03-31');
SELECT rr.setup_and_activate_contract(rr.create_contract('M', 'MONTHLY', '2024-04-10', '{"SEATS": {"quantity": 3}}'));
SELECT pg_temp.month_end('2024-04-30') AS april;
SELECT (SELECT count(*) FROM (SELECT * FROM wf_march EXCEPT ALL SELECT * FROM rr.deferred_revenue_waterfall('2024-03-31')) x)
     + (SELECT count(*) FROM (SELECT * FROM rr.deferred_revenue_waterfall('2024-03-31') EXCEPT ALL SELECT * FROM wf_march) x)
       AS march_diff;
-- As of April 30: January's releases 88.00 in April (704.00 left), April's 50.00 + the new
-- contract's 21 days of 30.00 are released in April
SELECT * FROM rr.deferred_revenue_waterfall('2024-04-30') WHERE month = '2024-04-01';

-- Reconciliation, each month from January to April: the billing months' remaining amounts
-- at the month's end add up to the roll-forward's closing; what the month created less
-- what it took from every billing month is the roll-forward's movement
SELECT m::date AS month, r.closing,
       (SELECT sum(x.remaining) FROM (SELECT DISTINCT ON (w.billing_month) w.remaining
                                        FROM rr.deferred_revenue_waterfall((m + interval '1 month - 1 day')::date) w
                                       ORDER BY w.billing_month, w.month DESC) x) AS waterfall_remaining,
       r.billed + r.credited + r.recognised + r.other AS movement,
       (SELECT sum(CASE WHEN w.month = w.billing_month THEN w.deferred ELSE 0 END - w.recognised - w.credited - w.other)
          FROM rr.deferred_revenue_waterfall('2024-04-30') w WHERE w.month = m) AS waterfall_movement
  FROM generate_series('2024-01-01'::date, '2024-04-01', '1 month') m,
       rr.deferred_revenue_rollforward(m::date, (m + interval '1 month')::date) r
 ORDER BY m;

-- The roll-forward by month in one call equals the monthly calls, the first and last
-- months cut to the window
SELECT count(*) AS by_month_rows,
       count(*) FILTER (WHERE (b.opening, b.billed, b.credited, b.recognised, b.other, b.closing)
                              = (c.opening, c.billed, c.credited, c.recognised, c.other, c.closing)) AS equal_rows
  FROM rr.contract_balance_rollforward_by_month('2024-01-15', '2024-04-20') b
  FULL JOIN (SELECT m.month, x.*
               FROM (VALUES ('2024-01-01'::date, '2024-01-15'::date, '2024-02-01'::date),
                            ('2024-02-01', '2024-02-01', '2024-03-01'), ('2024-03-01', '2024-03-01', '2024-04-01'),
                            ('2024-04-01', '2024-04-01', '2024-04-20')) m (month, f, t),
                    rr.contract_balance_rollforward(m.f, m.t) x) c USING (month, balance, account, currency);
SELECT month, balance, account, opening, billed, credited, recognised, other, closing
  FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2024-05-01');

-- The first in, first out itself (rr_internal.fifo_waterfall), on lines made up to show
-- each rule: in contract 1, entry 1 nets its two lines to a credit of 120.00 (January),
-- entry 2 recognises 30.00 of it in February, entry 3 nets to zero and counts nowhere,
-- entry 4 credits 50.0 in March, and the credit note of entry 5 (100.000) takes the 90.000
-- left of January and 10.000 of March, each amount with the scale of the running totals it
-- comes from; without a contract (pool 0), a recognition of 40 in January comes before any
-- credit: it takes the 25 credited in March, in March, and the 15 beyond every credit
-- counts nowhere; another account and currency is a pool of its own; a NULL line is left
-- out; no lines give NULL.
SELECT c.*
  FROM (SELECT rr_internal.fifo_waterfall(pool, account, currency, entry_id, month, source, amount
                                          ORDER BY pool, account, currency, month, entry_id) AS cells
          FROM (VALUES (1, '2100', 'USD', 1, date '2024-01-01', 'invoice', 100.00), (1, '2100', 'USD', 1, '2024-01-01', 'invoice', 20.00),
                       (1, '2100', 'USD', 2, '2024-02-01', 'recognition', -30.00),
                       (1, '2100', 'USD', 3, '2024-02-01', 'manual', 5.00), (1, '2100', 'USD', 3, '2024-02-01', 'manual', -5.00),
                       (1, '2100', 'USD', 4, '2024-03-01', 'invoice', 50.0),
                       (1, '2100', 'USD', 5, '2024-04-01', 'credit_note', -100.000),
                       (0, '2100', 'USD', 6, '2024-01-01', 'recognition', -40), (0, '2100', 'USD', 7, '2024-03-01', 'invoice', 25),
                       (1, '2200', 'EUR', 8, '2024-05-01', 'invoice', 10), (1, '2200', 'EUR', 9, '2024-05-01', 'invoice', NULL))
               AS l (pool, account, currency, entry_id, month, source, amount)) f
 CROSS JOIN LATERAL unnest(f.cells) AS c
 ORDER BY c.currency, c.account, c.billing_month, c.month;
SELECT rr_internal.fifo_waterfall(1, '2100', 'USD', 1, '2024-01-01', 'invoice', 1.00) IS NULL AS one_line_gives_null,
       (SELECT rr_internal.fifo_waterfall(1, '2100', 'USD', 1, '2024-01-01', 'invoice', 1.00) FROM generate_series(1, 0)) IS NULL AS no_lines_give_null;

-- Refusals: NULL returns nothing; an empty window, or one of more than 1200 months or
-- with an infinite end, is refused
SELECT count(*) FROM rr.deferred_revenue_waterfall(NULL);
SELECT * FROM rr.contract_balance_rollforward_by_month('2024-04-01', '2024-04-01');
SELECT * FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2124-02-01');
SELECT * FROM rr.contract_balance_rollforward_by_month('-infinity', '2024-01-01');
-- before anything and for all of time
SELECT count(*) AS before_anything FROM rr.deferred_revenue_waterfall('2023-12-31');
SELECT count(*) = (SELECT count(*) FROM rr.deferred_revenue_waterfall('2024-04-30')) AS all_of_time
  FROM rr.deferred_revenue_waterfall('infinity');
-- the view answers for today: everything booked by now
SELECT (SELECT count(*) FROM rr.deferred_revenue_waterfall) = (SELECT count(*) FROM rr.deferred_revenue_waterfall(current_date))
       AS view_is_today;

-- An analyst of this tenant reads them; one of another tenant sees nothing of this one.
SELECT rr.create_tenant('wf2', 'Other', 'USD');
CREATE ROLE regress_wf_analyst IN ROLE rr_analyst;
SELECT rr.add_tenant_member('wf', 'regress_wf_analyst');
CREATE ROLE regress_wf2_analyst IN ROLE rr_analyst;
SELECT rr.add_tenant_member('wf2', 'regress_wf2_analyst');
SET ROLE regress_wf_analyst;
-- (the plans this session made as superuser are dropped, so that what the reports run is
-- parsed again as the analyst, as in the analyst's own session: a PL/pgSQL body that named
-- a function of rr_internal failed there, "permission denied for schema rr_internal")
DISCARD PLANS;
SELECT (SELECT count(*) FROM rr.deferred_revenue_waterfall('2024-04-30')) AS waterfall_rows,
       (SELECT count(*) FROM rr.deferred_revenue_waterfall) AS view_rows,
       (SELECT count(*) FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2024-05-01')) AS by_month_rows;
RESET ROLE;
SET ROLE regress_wf2_analyst;
SET rr.tenant = 'wf2';
SELECT (SELECT count(*) FROM rr.deferred_revenue_waterfall('2024-04-30')) AS waterfall_rows,
       (SELECT count(*) FROM rr.deferred_revenue_waterfall) AS view_rows,
       (SELECT count(*) FROM rr.contract_balance_rollforward_by_month('2024-01-01', '2024-05-01')) AS by_month_rows;
SET rr.tenant = 'wf';
SELECT count(*) FROM rr.deferred_revenue_waterfall('2024-04-30');
RESET ROLE;
RESET rr.tenant;
DROP ROLE regress_wf_analyst;
DROP ROLE regress_wf2_analyst;
