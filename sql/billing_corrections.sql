-- Corrections inside billed periods, beyond quantities and prices (docs/billing.md,
-- "Changes inside billed periods"): discounts re-prorated on corrections, price-model lines
-- reconciled when their model or quantity changes, and deposit draws that never go
-- negative under volume and stairstep models.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('cor', 'Corrections', 'USD');
SET rr.tenant = 'cor';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('cor', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('cor', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('cor', 'API', 'API calls', '4000', '2100', '1100', NULL);
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('cor', 'SEAT', 'USD', 10.00), ('cor', 'API', 'USD', 0);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity) VALUES
    ('cor', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('cor', 'PRORATED', 'Prorated refund', 1, 'year', 'month', 'calendar', true, 'prorated'),
    ('cor', 'FULL', 'Full refund', 1, 'year', 'month', 'calendar', true, 'full');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('cor', 'PRORATED', 1, 'SEATS', 5), ('cor', 'FULL', 1, 'SEATS', 5);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('cor', 'CU', 'Customer', 'USD');

-- (1) Discounts on corrections.  5 seats × 10.00 = 50.00 a month, with 10 % off and then
-- 2.00 off the line (percents first, then amounts, in the order they were added).  March
-- is billed: 50.00 − 5.00 − 2.00.  On March 10 the line goes to 50 seats: the 22 days from
-- the 10th are credited at 5 seats with their discounts (−35.48, +3.55, +1.42) and billed
-- at 50 seats with theirs (354.84, −35.48, −1.42), each prorated and rounded once.
SELECT rr.create_contract('CU', 'PRORATED', '2024-01-01') AS k_disc \gset
SELECT rr.setup_and_activate_contract(:k_disc);
SELECT rr.add_discount(:k_disc, 'percent', 10, line_no => 1) AS d_pct \gset
SELECT rr.add_discount(:k_disc, 'amount', 2.00, line_no => 1) AS d_amt \gset
SELECT lines, total FROM rr.bill_contract(:k_disc, '2024-03-01');
SELECT rr.change_contract_line(:k_disc, 'SEATS', '2024-03-10', quantity => 50);
SELECT invoice_id AS inv FROM rr.bill_contract(:k_disc, '2024-03-20') \gset
SELECT l.kind, l.line_effective_from, l.service_period, l.quantity, l.unit_price, l.amount,
       CASE WHEN l.kind <> 'discount' THEN ch.adjustment_seq::text
            WHEN ch.adjustment_seq = :d_pct THEN 'pct' WHEN ch.adjustment_seq = :d_amt THEN 'amt'
            WHEN ch.adjustment_seq < 0 THEN 'fix of ' || CASE (ch.detail->>'discount_id')::bigint WHEN :d_pct THEN 'pct' ELSE 'amt' END
            ELSE ch.adjustment_seq::text END AS seq,
       l.credit_account
  FROM rr.invoice_line l JOIN rr.charge ch ON ch.tenant_id = l.tenant_id AND ch.charge_id = l.charge_id
 WHERE l.invoice_id = :inv ORDER BY l.line_no;
-- net for each line version and day's terms: 9 days at 5 seats (14.52 − 1.45 − 0.58 = 12.49)
-- and 22 days at 50 seats (354.84 − 35.48 − 1.42 = 317.94)
SELECT line_effective_from, kind, sum(amount) AS net
  FROM rr.charge WHERE tenant_id = 'cor' AND contract_id = :k_disc AND lower(service_period) < '2024-04-01'
   AND lower(service_period) >= '2024-03-01'
 GROUP BY 1, 2 ORDER BY 1, 2 DESC;
-- a termination on March 25 (prorated) credits the 7 days after it at 50 seats with their
-- discounts; the run is idempotent
SELECT rr.terminate_contract(:k_disc, '2024-03-25');
SELECT invoice_id AS inv FROM rr.run_billing('2024-03-31') WHERE contract_id = :k_disc \gset
SELECT l.kind, l.service_period, l.amount FROM rr.invoice_line l WHERE l.invoice_id = :inv ORDER BY l.line_no;
SELECT count(*) AS invoices FROM rr.run_billing('2024-03-31') WHERE contract_id = :k_disc;
SELECT line_effective_from, kind, sum(amount) AS net,
       CASE line_effective_from
           WHEN '2024-03-01' THEN NULL
           WHEN '2024-01-01' THEN CASE kind WHEN 'recurring' THEN round(50.00 * 9 / 31, 2)
                                           ELSE -round(round(50.00 * 9 / 31, 2) * 0.10, 2) - round(2.00 * 9 / 31, 2) END
           ELSE CASE kind WHEN 'recurring' THEN round(500.00 * 15 / 31, 2)
                          ELSE -round(round(500.00 * 15 / 31, 2) * 0.10, 2) - round(2.00 * 15 / 31, 2) END END AS contracted
  FROM rr.charge WHERE tenant_id = 'cor' AND contract_id = :k_disc AND lower(service_period) < '2024-04-01'
   AND lower(service_period) >= '2024-03-01'
 GROUP BY 1, 2 ORDER BY 1, 2 DESC;

-- (2) Under a full refund, the discounts of the period cut short are credited with it.
SELECT rr.create_contract('CU', 'FULL', '2024-01-01') AS k_full \gset
SELECT rr.setup_and_activate_contract(:k_full);
SELECT rr.add_discount(:k_full, 'percent', 25) IS NOT NULL AS added;
SELECT lines, total FROM rr.bill_contract(:k_full, '2024-03-01');
SELECT rr.terminate_contract(:k_full, '2024-03-15');
SELECT invoice_id AS inv FROM rr.run_billing('2024-03-31') WHERE contract_id = :k_full \gset
SELECT l.kind, l.service_period, l.amount FROM rr.invoice_line l WHERE l.invoice_id = :inv ORDER BY l.line_no;
SELECT kind, sum(amount) AS net FROM rr.charge
 WHERE tenant_id = 'cor' AND contract_id = :k_full AND lower(service_period) >= '2024-03-01' GROUP BY kind ORDER BY kind;

-- (3) Deposits drawn by volume and stairstep models: a 100.00 deposit drawn by API calls
-- priced by volume (1.00 each up to 10, 0.50 each for all of them beyond) and one drawn by
-- steps (5.00 up to 10 calls, 8.00 beyond).  January uses 10 calls, February 1, March 12:
-- each period draws its own price (10.00, 1.00, 6.00 by volume; 5.00, 5.00, 8.00 by steps),
-- never a negative draw and never a negative usage charge.
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount,
                              retain_rate, price_model, reset_usage) VALUES
    ('cor', 'DEP-VOL', 'Deposit drawn by volume', 'USD', 'API', 'deposit', 100.00, 0, 'volume(10: 1.00, *: 0.50)', 'on_billing'),
    ('cor', 'DEP-STEP', 'Deposit drawn by steps', 'USD', 'API', 'deposit', 100.00, 0, 'stairstep(10: 5.00, *: 8.00)', 'on_billing');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('cor', 'DEP', 'Deposits, 3 months', 3, 'month', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('cor', 'DEP', 1, 'DEP-VOL', 1), ('cor', 'DEP', 2, 'DEP-STEP', 1);
SELECT rr.create_contract('CU', 'DEP', '2024-01-01') AS k_dep \gset
SELECT rr.setup_and_activate_contract(:k_dep);
SELECT rr.record_usage(ARRAY[(:k_dep, NULL, 'DEP-VOL', 10, '2024-01-15 12:00+00', NULL, NULL),
                             (:k_dep, NULL, 'DEP-VOL', 1, '2024-02-15 12:00+00', NULL, NULL),
                             (:k_dep, NULL, 'DEP-VOL', 12, '2024-03-15 12:00+00', NULL, NULL),
                             (:k_dep, NULL, 'DEP-STEP', 10, '2024-01-15 12:00+00', NULL, NULL),
                             (:k_dep, NULL, 'DEP-STEP', 1, '2024-02-15 12:00+00', NULL, NULL),
                             (:k_dep, NULL, 'DEP-STEP', 12, '2024-03-15 12:00+00', NULL, NULL)]::rr.usage_record[]) AS recorded;
SELECT count(*) AS invoices FROM rr.run_billing('2024-04-01') WHERE contract_id = :k_dep;
SELECT ch.line_no, ch.kind, ch.service_period, ch.quantity, ch.amount, ch.detail->'deposit_drawn' AS drawn
  FROM rr.charge ch WHERE ch.tenant_id = 'cor' AND ch.contract_id = :k_dep AND ch.kind IN ('usage', 'drawdown')
 ORDER BY ch.line_no, lower(ch.service_period), ch.kind DESC;
SELECT count(*) AS negative_draws FROM rr.charge
 WHERE tenant_id = 'cor' AND contract_id = :k_dep AND ((kind = 'drawdown' AND amount > 0) OR (kind = 'usage' AND amount < 0));
SELECT line_no, deposit, drawn, balance FROM rr.deposit_balances WHERE contract_id = :k_dep ORDER BY line_no;

-- (4) Price-model lines changed inside a billed period.  A flat(49.00) monthly fee and API
-- calls in tiers (0.10 each up to 1,000, 0.05 beyond) with 100 calls included per unit of
-- quantity, both billed in arrears.  March has 300 calls on the 5th and 500 on the 20th:
-- billed on April 1 as 49.00 and 70.00 (700 calls beyond the 100 included).
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              included_quantity, reset_usage) VALUES
    ('cor', 'FLAT', 'Platform fee', 'USD', 'API', 'postpaid', 'flat(49.00)', 0, 'on_billing'),
    ('cor', 'CALLS', 'API calls in tiers', 'USD', 'API', 'postpaid', 'graduated(1000: 0.10, *: 0.05)', 100, 'on_billing');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('cor', 'MET', 'Metered', 1, 'year', 'month', 'calendar', true, 'prorated');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('cor', 'MET', 1, 'FLAT', 1), ('cor', 'MET', 2, 'CALLS', 1);
SELECT rr.create_contract('CU', 'MET', '2024-01-01') AS k_met \gset
SELECT rr.setup_and_activate_contract(:k_met);
SELECT rr.record_usage(ARRAY[(:k_met, NULL, 'CALLS', 300, '2024-03-05 12:00+00', NULL, NULL),
                             (:k_met, NULL, 'CALLS', 500, '2024-03-20 12:00+00', NULL, NULL)]::rr.usage_record[]) AS recorded;
SELECT invoice_id AS inv FROM rr.bill_contract(:k_met, '2024-04-01') \gset
SELECT l.contract_line_no, l.service_period, l.quantity, l.amount FROM rr.invoice_line l
 WHERE l.invoice_id = :inv AND lower(l.service_period) >= '2024-03-01' ORDER BY l.line_no;
-- On March 10 the fee becomes flat(99.00) and the calls line goes to 3 units (300 calls
-- included).  The next run credits what was billed for March 10-31 under the old terms and
-- bills the new ones for those days: the fee 49.00 × 9/31 = 14.23 kept, 99.00 × 22/31 =
-- 70.26 billed; the calls of March 1-9 (300, 200 beyond the 100 included: 20.00) kept, the
-- 500 calls from the 10th rated under the new version (counter 800, 300 included: 50.00).
SELECT rr.change_contract_line(:k_met, 'FLAT', '2024-03-10', prices => '{"price_model": "flat(99.00)"}');
SELECT rr.change_contract_line(:k_met, 'CALLS', '2024-03-10', quantity => 3);
-- refused: a malformed price model, one that is neither text nor a jsonb object
SELECT rr.change_contract_line(:k_met, 'FLAT', '2024-03-12', prices => '{"price_model": "flat(-1)"}');
SELECT rr.change_contract_line(:k_met, 'FLAT', '2024-03-12', prices => '{"price_model": 7}');
SELECT price_model, quantity FROM rr.contract_line
 WHERE tenant_id = 'cor' AND contract_id = :k_met ORDER BY line_no, effective_from;
SELECT invoice_id AS inv FROM rr.bill_contract(:k_met, '2024-04-05') \gset
SELECT l.contract_line_no, l.line_effective_from, l.service_period, l.quantity, l.amount, ch.adjustment_seq AS seq
  FROM rr.invoice_line l JOIN rr.charge ch ON ch.tenant_id = l.tenant_id AND ch.charge_id = l.charge_id
 WHERE l.invoice_id = :inv ORDER BY l.line_no;
-- a termination on March 25, dated back into the billed period, credits the fee's last 7
-- days (99.00 × 15/31 = 47.90 kept); the calls before it stay billed; nothing after it
SELECT rr.terminate_contract(:k_met, '2024-03-25');
SELECT invoice_id AS inv FROM rr.run_billing('2024-04-30') WHERE contract_id = :k_met \gset
SELECT l.contract_line_no, l.line_effective_from, l.service_period, l.amount FROM rr.invoice_line l
 WHERE l.invoice_id = :inv ORDER BY l.line_no;
SELECT count(*) AS invoices FROM rr.run_billing('2024-12-31') WHERE contract_id = :k_met;
SELECT line_no, line_effective_from, sum(amount) AS net, max(upper(service_period)) AS billed_to
  FROM rr.charge WHERE tenant_id = 'cor' AND contract_id = :k_met AND lower(service_period) >= '2024-03-01'
 GROUP BY 1, 2 ORDER BY 1, 2;
-- refused: a price model for a line whose item has none, and a malformed one
SELECT rr.create_contract('CU', 'PRORATED', '2024-01-01') AS k_plain \gset
SELECT rr.change_contract_line(:k_plain, 'SEATS', '2024-02-01', prices => '{"price_model": "flat(1.00)"}');
