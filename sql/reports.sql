-- Reports (docs/reports.md): MRR and ARR with the movement bridge (new, expansion,
-- contraction, churn, reactivation) and retention, checked by hand on a small tenant; the
-- deferred revenue roll-forward, RPO and the revenue forecast against the journal and the
-- schedules; every report answers as of a date the same after later activity; an analyst
-- reads them and nothing of another tenant.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('rep', 'Reports', 'USD');
SET rr.tenant = 'rep';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('rep', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('rep', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('rep', 'PLAN', 'Annual plan', '4000', '2100', '1100', 'DAILY'),
    ('rep', 'CALL', 'API call', '4300', '2100', '1100', NULL);
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('rep', 'SEAT', 'USD', 10.00), ('rep', 'PLAN', 'USD', 1200.00), ('rep', 'CALL', 'USD', 0.01);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity, price_model) VALUES
    ('rep', 'SEATS', 'Seats, 10.00 a month', 'USD', 'SEAT', 'prepaid', 100, NULL),
    ('rep', 'ANNUAL', 'Annual plan, 1,200.00 a year', 'USD', 'PLAN', 'prepaid', 1, NULL),
    ('rep', 'API', 'API calls', 'USD', 'CALL', 'postpaid', 1, 'per_unit(0.01)');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('rep', 'MONTHLY', 'Seats billed monthly, one-year term', 1, 'year', 'month', 'calendar', true, 'prorated'),
    ('rep', 'YEARLY', 'Annual plan billed yearly', 1, 'year', 'year', 'anniversary', true, 'prorated');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('rep', 'MONTHLY', 1, 'SEATS', 1), ('rep', 'MONTHLY', 2, 'API', 1), ('rep', 'YEARLY', 1, 'ANNUAL', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('rep', 'A', 'Expands', 'USD'), ('rep', 'B', 'Churns', 'USD'), ('rep', 'C', 'New in March', 'USD'),
    ('rep', 'D', 'Comes back', 'USD'), ('rep', 'E', 'Contracts', 'USD');

-- A: 5 seats (50.00 a month) from January, 8 seats (80.00) from March 1: expansion 30.00.
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 5}}') AS k_a \gset
-- B: the annual plan, 1,200.00 a year = 100.00 a month, terminated on March 15: churn.
SELECT rr.create_contract('B', 'YEARLY', '2024-01-01') AS k_b \gset
-- C: 3 seats from March 10: new, 30.00.
SELECT rr.create_contract('C', 'MONTHLY', '2024-03-10', '{"SEATS": {"quantity": 3}}') AS k_c \gset
-- D: 2 seats in January only (terminated February 1), 2 seats again from March 5:
-- reactivation, 20.00.
SELECT rr.create_contract('D', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 2}}') AS k_d1 \gset
SELECT rr.create_contract('D', 'MONTHLY', '2024-03-05', '{"SEATS": {"quantity": 2}}') AS k_d2 \gset
-- E: 10 seats (100.00) less 10 % for ever and 5.00 a month off the line = 85.00; 6 seats
-- from March 20 = 60.00 - 6.00 - 5.00 = 49.00: contraction 36.00.  A 50 % discount for
-- the first 3 periods is an introductory offer and leaves MRR as contracted.
SELECT rr.create_contract('E', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 10}}') AS k_e \gset
SELECT rr.setup_and_activate_contract(k) FROM unnest(ARRAY[:k_a, :k_b, :k_c, :k_d1, :k_d2, :k_e]::bigint[]) k;
SELECT rr.add_discount(:k_e, 'percent', 10, 1) > 0 AS percent_added,
       rr.add_discount(:k_e, 'amount', 5.00, 1) > 0 AS amount_added,
       rr.add_discount(:k_e, 'percent', 50, NULL, first_periods => 3) > 0 AS intro_added;

-- January, before any change: 50.00 + 100.00 + 20.00 (D) + 85.00 = 255.00; ARR 12 × MRR
SELECT contract_id = :k_a AS is_a, customer, currency, mrr, arr FROM rr.mrr_as_of('2024-01-31') ORDER BY customer, contract_id;
SELECT sum(mrr) AS mrr, sum(arr) AS arr FROM rr.mrr_as_of('2024-01-31');

SELECT rr.terminate_contract(:k_d1, '2024-02-01');
SELECT rr.change_contract_line(:k_a, 'SEATS', '2024-03-01', quantity => 8);
SELECT rr.terminate_contract(:k_b, '2024-03-15');
SELECT rr.change_contract_line(:k_e, 'SEATS', '2024-03-20', quantity => 6);

-- February: D's January contract ended on February 1 (churn 20.00)
SELECT * FROM rr.mrr_movement_detail('2024-02-01', '2024-03-01');
-- March, per customer: A expansion 30.00, B churn 100.00, C new 30.00, D reactivation
-- 20.00 (it had a contract before March), E contraction 36.00
SELECT * FROM rr.mrr_movement_detail('2024-03-01', '2024-04-01');
-- the bridge: 235.00 + 30.00 + 30.00 + 20.00 - 36.00 - 100.00 = 179.00; gross retention
-- (235 - 36 - 100) / 235 = 0.4213, net retention (235 + 30 - 36 - 100) / 235 = 0.5489;
-- customers: 3 at the opening (A, B, E), 1 new, 1 reactivated, 1 churned, 4 at the closing
SELECT * FROM rr.mrr_movement('2024-03-01', '2024-04-01');
-- the quarter from January 1: nothing was in force on December 31, so every customer in
-- force on March 31 is new (D's first contract was activated on January 1, inside the
-- window); only the two ends count
SELECT currency, opening_mrr, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr, closing_mrr,
       opening_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr = closing_mrr AS adds_up
  FROM rr.mrr_movement('2024-01-01', '2024-04-01');
-- a window that starts before anything: everything is new
SELECT currency, opening_mrr, new_mrr, reactivation_mrr, closing_mrr FROM rr.mrr_movement('2023-01-01', '2024-01-02');
-- the views answer for today: every contract above has ended by now (terms of 2024)
SELECT count(*) AS contracts_today FROM rr.mrr;
SELECT count(*) AS currencies_this_month FROM rr.mrr_movement_this_month;

-- Billing, posting and recognition of January to March, and the deferred revenue
-- roll-forward from the journal: each month opening + billed + credited + recognised +
-- other = closing, one month's closing is the next one's opening, and the closing equals
-- the contracts' deferred revenue of rr.contract_balances.
SELECT count(*) AS invoices FROM rr.run_billing('2024-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-01-01');
SELECT count(*) AS recognised FROM rr.recognize('2024-01-31');
SELECT count(*) AS invoices FROM rr.run_billing('2024-02-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-02-01');
SELECT count(*) AS recognised FROM rr.recognize('2024-02-29');
SELECT count(*) AS invoices FROM rr.run_billing('2024-03-31');
SELECT count(*) AS posted FROM rr.post_invoices('2024-03-31');
SELECT count(*) AS recognised FROM rr.recognize('2024-03-31');
-- January: billed 50.00 (A) + 1,200.00 (B) + 20.00 (D) + 50.00 (E: 100.00 - 10.00 -
-- 5.00 - 50.00 - ... each discount its own line) ...; see the output
SELECT m, r.* FROM (VALUES ('2024-01-01'::date), ('2024-02-01'), ('2024-03-01')) AS x(m),
       rr.deferred_revenue_rollforward(m, (m + interval '1 month')::date) r ORDER BY m;
SELECT m, r.opening + r.billed + r.credited + r.recognised + r.other = r.closing AS adds_up,
       r.closing = (SELECT sum(balance) FROM rr.contract_balances((m + interval '1 month')::date - 1) b
                     WHERE b.account = r.account) AS equals_contract_balances,
       r.opening = coalesce((SELECT p.closing FROM rr.deferred_revenue_rollforward((m - interval '1 month')::date, m) p
                              WHERE p.account = r.account), 0) AS opens_with_last_close
  FROM (VALUES ('2024-01-01'::date), ('2024-02-01'), ('2024-03-01')) AS x(m),
       rr.deferred_revenue_rollforward(m, (m + interval '1 month')::date) r ORDER BY m;
SELECT count(*) AS unreconciled FROM rr.revenue_reconciliation('2024-03-31');
-- the unbilled receivable and contract asset roll the same way, and every closing equals
-- rr.contract_balances on the day before to_date
SELECT r.balance, r.account, r.opening, r.billed, r.credited, r.recognised, r.other, r.closing,
       r.closing = (SELECT coalesce(sum(b.balance), 0) FROM rr.contract_balances('2024-03-31') b
                     WHERE b.account = r.account) AS equals_contract_balances
  FROM rr.contract_balance_rollforward('2024-01-01', '2024-04-01') r;

-- RPO and forecast as of March 31: what the schedules still hold.  The total equals the
-- tenant's revenue scheduled and not posted, and so does the forecast over all its months.
SELECT * FROM rr.remaining_performance_obligations('2024-03-31');
SELECT * FROM rr.revenue_forecast('2024-03-31', 3);
-- (the reports read first, in a statement of their own: functions that read the tenant's
-- tables cannot run inside a statement sent to its shard, as on Citus)
SELECT (SELECT total FROM rr.remaining_performance_obligations('2024-03-31')) AS rpo,
       (SELECT sum(scheduled) FROM rr.revenue_forecast('2024-03-31', 1200)) AS forecast \gset
SELECT :rpo = (SELECT sum(amount) FROM rr.revenue_schedule_line WHERE tenant_id = 'rep' AND status = 'open') AS rpo_is_the_open_schedule,
       :rpo = :forecast AS forecast_adds_up_to_rpo;

-- As of a date, the same answer after later activity: keep every report as of March 31,
-- then bill, post and recognise April, change a line from April 10, terminate A from May 1,
-- and ask again.
CREATE TEMP TABLE before_mrr AS SELECT * FROM rr.mrr_as_of('2024-03-31');
CREATE TEMP TABLE before_move AS SELECT * FROM rr.mrr_movement_detail('2024-03-01', '2024-04-01');
CREATE TEMP TABLE before_roll AS SELECT * FROM rr.deferred_revenue_rollforward('2024-03-01', '2024-04-01');
CREATE TEMP TABLE before_rpo AS SELECT * FROM rr.remaining_performance_obligations('2024-03-31');
CREATE TEMP TABLE before_fc AS SELECT * FROM rr.revenue_forecast('2024-03-31', 12);
SELECT count(*) AS invoices FROM rr.run_billing('2024-04-30');
SELECT count(*) AS posted FROM rr.post_invoices('2024-04-30');
SELECT count(*) AS recognised FROM rr.recognize('2024-04-30');
SELECT rr.change_contract_line(:k_c, 'SEATS', '2024-04-10', quantity => 9);
SELECT rr.terminate_contract(:k_a, '2024-05-01');
SELECT (SELECT count(*) FROM (SELECT * FROM before_mrr EXCEPT SELECT * FROM rr.mrr_as_of('2024-03-31')) x)
     + (SELECT count(*) FROM (SELECT * FROM rr.mrr_as_of('2024-03-31') EXCEPT SELECT * FROM before_mrr) x) AS mrr_diff,
       (SELECT count(*) FROM (SELECT * FROM before_move EXCEPT SELECT * FROM rr.mrr_movement_detail('2024-03-01', '2024-04-01')) x) AS movement_diff,
       (SELECT count(*) FROM (SELECT * FROM before_roll EXCEPT SELECT * FROM rr.deferred_revenue_rollforward('2024-03-01', '2024-04-01')) x) AS rollforward_diff;
-- RPO and the forecast read the schedules as they stood on the date (docs/reports.md,
-- "Schedules as of a date"): the termination dated May 1 and the change dated April 10
-- re-planned A and C from their dates, and the lines they replaced are kept with those
-- dates, so the answer as of March 31 does not change; as of May 1 it is the new schedule's
SELECT b.total AS before, r.total AS now FROM before_rpo b, rr.remaining_performance_obligations('2024-03-31') r;
SELECT (SELECT count(*) FROM (SELECT * FROM before_fc EXCEPT ALL SELECT * FROM rr.revenue_forecast('2024-03-31', 12)) x)
     + (SELECT count(*) FROM (SELECT * FROM rr.revenue_forecast('2024-03-31', 12) EXCEPT ALL SELECT * FROM before_fc) x)
       AS forecast_diff;
SELECT source, count(*) AS lines, sum(amount) AS amount, min(planned_on) AS planned_on, min(superseded_on) AS superseded_on
  FROM rr.superseded_schedule_line WHERE tenant_id = 'rep' GROUP BY source;
SELECT total AS rpo FROM rr.remaining_performance_obligations('2024-05-01') \gset
SELECT :rpo = (SELECT sum(amount) FROM rr.revenue_schedule_line WHERE tenant_id = 'rep' AND status = 'open')
           - coalesce((SELECT sum(amount) FROM rr.revenue_schedule_line
                        WHERE tenant_id = 'rep' AND status = 'open' AND planned_on > '2024-05-01'), 0)
           AS rpo_may_1_is_the_current_schedule;

-- A closed period reports the same for ever: close January to March, then a change dated
-- in March (C from 3 to 5 seats on March 20) is billed and posted into April, the first
-- open period, and March's roll-forward does not move; April's shows it.
SELECT rr.close_period(p) FROM unnest(ARRAY['2024-01-01', '2024-02-01', '2024-03-01']::date[]) p;
SELECT rr.change_contract_line(:k_c, 'SEATS', '2024-03-20', quantity => 5);
SELECT count(*) AS invoices FROM rr.run_billing('2024-04-30');
SELECT count(*) AS posted FROM rr.post_invoices('2024-04-30');
SELECT count(*) AS recognised FROM rr.recognize('2024-04-30');
-- the March revenue of the change (its schedule line recognised on March 31) went into
-- April: its entry is dated in April, so no report as of a March date sees it
SELECT l.recognize_on, l.posted_period, e.entry_date, e.period_start
  FROM rr.revenue_schedule_line l JOIN rr.journal_entry e USING (tenant_id, entry_id)
 WHERE l.tenant_id = 'rep' AND l.contract_id = :k_c AND l.recognize_on < l.posted_period ORDER BY l.schedule_line_id;
SELECT (SELECT count(*) FROM (SELECT * FROM before_roll EXCEPT SELECT * FROM rr.deferred_revenue_rollforward('2024-03-01', '2024-04-01')) x) AS march_diff;

-- rr.mrr_as_of reads one day (the versions in force by DISTINCT ON), the movement two days
-- in one pass (by the next version's date): the same MRR on every day from before the
-- first contract to after the last change above, with its discounts, terminations and
-- versions
SELECT count(*) AS days,
       count(*) FILTER (WHERE (SELECT array_agg(m ORDER BY m.contract_id)::text FROM rr.mrr_as_of(g.d::date) m)
                              IS DISTINCT FROM
                              (SELECT array_agg(ROW(m.contract_id, m.customer, m.currency, m.first_mrr, 12 * m.first_mrr)
                                                ORDER BY m.contract_id)::text
                                 FROM rr_internal.mrr_on_days(g.d::date, g.d::date) m WHERE m.first_mrr IS NOT NULL)) AS days_differing
  FROM generate_series('2023-12-30'::date, '2024-06-02', '1 day') g(d);
-- the monthly value counts the months of a period with date_part: the same quotient, to the
-- last digit, as extract()'s numeric arithmetic, for periods of years, months and days
SELECT count(*) AS periods,
       count(*) FILTER (WHERE rr_internal.monthly_value(7, 1234.5678, p)
                              IS DISTINCT FROM
                              (7 * 1234.5678) / nullif(CASE WHEN extract(year FROM p) * 12 + extract(month FROM p) > 0
                                                            THEN extract(year FROM p) * 12 + extract(month FROM p)
                                                            ELSE extract(day FROM p) / 30.4375 END, 0)
                              OR scale(rr_internal.monthly_value(7, 1234.5678, p))
                                 IS DISTINCT FROM
                                 scale((7 * 1234.5678) / nullif(CASE WHEN extract(year FROM p) * 12 + extract(month FROM p) > 0
                                                                     THEN extract(year FROM p) * 12 + extract(month FROM p)
                                                                     ELSE extract(day FROM p) / 30.4375 END, 0))) AS differing
  FROM (SELECT make_interval(years => y, months => m, days => d) AS p
          FROM generate_series(0, 3) y, generate_series(0, 13) m, unnest(ARRAY[0, 1, 7, 14, 30, 31, 45, 91]) d) x;

-- Refusals: NULL arguments return nothing (STRICT); an empty window is refused
SELECT count(*) FROM rr.mrr_as_of(NULL);
SELECT * FROM rr.mrr_movement('2024-04-01', '2024-03-01');
SELECT * FROM rr.deferred_revenue_rollforward('2024-03-01', '2024-03-01');
SELECT * FROM rr.revenue_forecast('2024-03-31', 0);
SELECT * FROM rr.billing_forecast('2024-03-31', 1201);

-- An analyst of another tenant sees nothing of this one.
SELECT rr.create_tenant('rep2', 'Other', 'USD');
CREATE ROLE regress_rep_analyst IN ROLE rr_analyst;
SELECT rr.add_tenant_member('rep2', 'regress_rep_analyst');
SET ROLE regress_rep_analyst;
SET rr.tenant = 'rep2';
SELECT (SELECT count(*) FROM rr.mrr_as_of('2024-03-31')) AS mrr_rows,
       (SELECT count(*) FROM rr.mrr_movement('2024-03-01', '2024-04-01')) AS movement_rows,
       (SELECT count(*) FROM rr.deferred_revenue_rollforward('2024-01-01', '2024-04-01')) AS rollforward_rows,
       (SELECT count(*) FROM rr.remaining_performance_obligations('2024-03-31')) AS rpo_rows,
       (SELECT count(*) FROM rr.revenue_forecast('2024-03-31')) AS forecast_rows,
       (SELECT count(*) FROM rr.mrr) + (SELECT count(*) FROM rr.mrr_movement_this_month)
       + (SELECT count(*) FROM rr.deferred_revenue_this_month) + (SELECT count(*) FROM rr.remaining_performance_obligations)
       + (SELECT count(*) FROM rr.revenue_forecast) AS view_rows;
SET rr.tenant = 'rep';
SELECT count(*) FROM rr.mrr_as_of('2024-03-31');
RESET ROLE;
RESET rr.tenant;
DROP ROLE regress_rep_analyst;

-- Billings, recognised revenue, disaggregation, bookings and the customer summary, on
-- the same tenant (March and April are closed or posted above).
SET rr.tenant = 'rep';
-- January's billings: A 50.00; B's annual plan, billed after its termination on March 15
-- was recorded, for [January 1, March 15): 1,200.00 × 74 / 366 = 242.62; D 20.00; E 100.00
-- less its discounts, 10 % + 50 % (introductory) = 60.00 and 5.00: -65.00
SELECT * FROM rr.billings('2024-01-01', '2024-02-01');
-- per account, recognised revenue equals what the recognition entries credit to revenue
-- (the entries read first, per account, as a document: the report, a function that reads
-- the tenant's tables, is not joined with them, which Citus cannot plan)
SELECT json_agg(j) AS journal FROM (
    SELECT l.account, sum(l.credit - l.debit) AS amount
      FROM rr.journal_line l JOIN rr.journal_entry e USING (tenant_id, entry_id)
     WHERE l.tenant_id = 'rep' AND e.source = 'recognition'
       AND e.period_start >= '2024-01-01' AND e.period_start < '2024-05-01'
     GROUP BY l.account) j \gset
SELECT r.account, sum(r.amount) AS recognised,
       (SELECT j.amount FROM json_to_recordset(:'journal') j(account text, amount numeric) WHERE j.account = r.account) AS journal
  FROM rr.recognised_revenue('2024-01-01', '2024-05-01') r GROUP BY r.account ORDER BY r.account;
SELECT period_start, customer, item, account, method, currency, sum(amount) AS amount
  FROM rr.recognised_revenue('2024-01-01', '2024-02-01') GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2;
SELECT * FROM rr.revenue_disaggregation('2024-01-01', '2024-05-01');
-- bookings of the first quarter, as booked on activation (rr.contract_booking): each
-- contract's first year at its quantities and prices then, A 5 seats 600.00, B the annual
-- plan 1,200.00, C 3 seats 360.00, D 2 seats 240.00, E 10 seats 1,200.00 (its discounts were added after
-- activation); A's expansion, B's termination, D's end and E's contraction that followed
-- are movements of MRR, not restated bookings; each term a year, so ACV = TCV
SELECT contract_id = :k_a AS is_a, customer, contract_type, activation_date, tcv, acv FROM rr.bookings('2024-01-01', '2024-04-01');
SELECT * FROM rr.customer_summary('2024-04-30');
-- discount usage of the first quarter, E's three discounts on its three invoices: March is
-- billed per version, 10 seats for 19 days (61.29) and 6 seats for 12 (23.23); 10 %:
-- 10.00 + 10.00 + 6.13 + 2.32 = 28.45; 5.00 a month: 15.00; the introductory 50 % for
-- three periods: 50.00 + 50.00 + 30.65 + 11.62 = 142.26
SELECT discount_id > 0 AS has_id, kind, value, line_no, first_periods, documents, discounted
  FROM rr.discount_usage('2024-01-01', '2024-04-01') ORDER BY discount_id;
SELECT * FROM rr.billings('2024-03-01', '2024-02-01');
-- The billing forecast as of April 30 for May to July (April, billed, has nothing left):
-- prepaid on the first of each month, C 9 seats 90.00, D 2 seats 20.00, E 6 seats 60.00
-- less 10 % (6.00) and 5.00; A ended on May 1, B on March 15.
SELECT * FROM rr.billing_forecast('2024-04-30', 4);
SELECT count(*) AS already_billed_in_forecast FROM rr.billing_forecast('2024-01-01', 1);

-- The deferral schedule summary, on a tenant of its own: a one-year plan of 1,200.00 and a
-- two-year plan of 2,400.00, both from 2025-01-01, billed yearly in advance and recognised
-- evenly by months (100.00 a month each); billed, posted and recognised to March 31.
SELECT rr.create_tenant('dss', 'Deferral schedules', 'USD');
SET rr.tenant = 'dss';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('dss', 'MONTHS', 'Evenly by months', 'equal', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('dss', 'PLAN', 'Plan', '4000', '2100', '1100', 'MONTHS');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('dss', 'PLAN', 'USD', 1200.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity) VALUES
    ('dss', 'PLAN', 'Plan, 1,200.00 a year', 'USD', 'PLAN', 'prepaid', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('dss', 'ONE', 'One year', 1, 'year', 'year', 'anniversary'),
    ('dss', 'TWO', 'Two years', 2, 'year', 'year', 'anniversary');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('dss', 'ONE', 1, 'PLAN', 1), ('dss', 'TWO', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('dss', 'C', 'Customer', 'USD');
SELECT count(rr.setup_and_activate_contract(rr.create_contract('C', t, '2025-01-01'))) AS activated
  FROM unnest(ARRAY['ONE', 'TWO']) t;
SELECT count(*) AS invoices FROM rr.run_billing('2025-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-01-01');
SELECT count(*) AS recognised FROM rr.recognize('2025-03-31');
-- As of March 31: scheduled 1,200.00 + 2,400.00 = 3,600.00; recognised January to March,
-- 2 x 3 x 100.00 = 600.00; nothing due.  Each month's line is due on its last day, so
-- within the twelve months after March 31 (on or before March 31, 2026, as_of + 1 year):
-- the one-year plan's April to December, 900.00, and the two-year plan's April 2025 to
-- March 2026, 1,200.00: 2,100.00; beyond, the two-year plan's April to December 2026:
-- 900.00.  The RPO says the same.
SELECT * FROM rr.deferral_schedule_summary('2025-03-31');
SELECT * FROM rr.remaining_performance_obligations('2025-03-31');
-- As of April 30, April not recognised yet: due 2 x 100.00; within, May to December
-- 800.00 and May 2025 to April 2026 1,200.00; beyond, May to December 2026: 800.00.
SELECT * FROM rr.deferral_schedule_summary('2025-04-30');
-- before the contracts were activated: nothing
SELECT * FROM rr.deferral_schedule_summary('2024-12-31');
SELECT count(*) FROM rr.deferral_schedule_summary(NULL);
RESET rr.tenant;

-- Usage against included quantities (rr.usage_vs_included), on a tenant of its own: one
-- monthly contract from 2025-01-01 with calls summed per period (2 x 100 included), calls
-- from a pool that never resets (100 included for the term), peak storage (10 GB
-- included) and storage at the last reading (nothing included).
SELECT rr.create_tenant('uvi', 'Usage against included', 'USD');
SET rr.tenant = 'uvi';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('uvi', 'CALL', 'API call', '4300', '2100', '1100'), ('uvi', 'GB', 'Storage', '4300', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('uvi', 'CALL', 'USD', 0.01), ('uvi', 'GB', 'USD', 1.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, recurring_price, included_quantity, extra_usage_price, reset_usage,
                              usage_aggregation, max_quantity) VALUES
    ('uvi', 'CALLS', 'Calls, 100 included a period', 'USD', 'CALL', 'postpaid', 'per_unit(0.01)', 'item_price', NULL,
     100, NULL, 'on_billing', 'sum', 10),
    ('uvi', 'POOL', 'Calls from a pool of 100', 'USD', 'CALL', 'postpaid', NULL, 'manual', 25.00, 100, 0.10,
     'never', 'sum', 1),
    ('uvi', 'PEAK', 'Peak storage, 10 GB included', 'USD', 'GB', 'postpaid', NULL, 'manual', 10.00, 10, 2.00,
     'on_billing', 'max', 1),
    ('uvi', 'LAST', 'Storage at the last reading', 'USD', 'GB', 'postpaid', 'per_unit(2.00)', 'item_price', NULL,
     0, NULL, 'on_billing', 'last', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('uvi', 'M', 'Metered, monthly', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('uvi', 'M', 1, 'CALLS', 2), ('uvi', 'M', 2, 'POOL', 1), ('uvi', 'M', 3, 'PEAK', 1), ('uvi', 'M', 4, 'LAST', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('uvi', 'C', 'Customer', 'USD');
SELECT rr.create_contract('C', 'M', '2025-01-01') AS k_uvi \gset
SELECT rr.setup_and_activate_contract(:k_uvi);
SELECT sum(rr.record_usage(:k_uvi, i, q, t)) AS recorded
  FROM (VALUES ('CALLS', 150, '2025-01-10 12:00Z'::timestamptz), ('CALLS', 80, '2025-02-03 12:00Z'),
               ('CALLS', 40, '2025-02-20 12:00Z'),
               ('POOL', 60, '2025-01-15 12:00Z'), ('POOL', 30, '2025-02-10 12:00Z'), ('POOL', 25, '2025-02-25 12:00Z'),
               ('PEAK', 8, '2025-02-02 12:00Z'), ('PEAK', 14, '2025-02-12 12:00Z'), ('PEAK', 9, '2025-02-22 12:00Z'),
               ('LAST', 5, '2025-02-05 12:00Z'), ('LAST', 7, '2025-02-15 12:00Z'), ('LAST', 3, '2025-02-18 12:00Z')) e(i, q, t);
-- As of February 15: calls 80 of 200 (January's 150 are another period), 120 left; the
-- pool since January 1, 60 + 30 = 90 of 100, 10 left; the peak so far 14 GB, 4 over; the
-- last reading 7 GB (the one of the 15th), all of it over.
SELECT line_no, contract_item, aggregation, reset_usage, period, cycle_start, included, used, remaining, overage, events
  FROM rr.usage_vs_included('2025-02-15');
-- As of February 28: calls 120, 80 left; the pool 115, 15 over; the peak 14; the last
-- reading 3 (February 18).
SELECT line_no, used, remaining, overage, events FROM rr.usage_vs_included('2025-02-28');
-- the answer as of February 15 does not move when the later readings above exist; a late
-- event dated February 14, recorded now, counts in it (as billing would bill it)
SELECT rr.record_usage(:k_uvi, 'CALLS', 5, '2025-02-14 12:00Z') AS late;
SELECT line_no, used, remaining FROM rr.usage_vs_included('2025-02-15') WHERE line_no = 1;
-- before the contract started, and after its term: nothing
SELECT count(*) AS before_start FROM rr.usage_vs_included('2024-12-31');
SELECT count(*) AS after_end FROM rr.usage_vs_included('2026-01-01');
RESET rr.tenant;
