-- Corrections inside billed periods, beyond quantities and prices (README "Billing",
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
