-- On-demand contracts (docs/projects-and-on-demand.md): a contract whose template bills
-- on_demand is billed only when asked (rr.bill_contract), never by rr.run_billing; each
-- request bills its recurring lines by the month (the months due by the request date), the
-- deposit when billing starts, and the usage of the window since the previous request
-- (up to the day before the request), drawn from the deposit while it lasts.  Acumatica's
-- standard deposit contract, hand-checked: a 5,000.00 deposit of support hours at 125.00
-- an hour (exactly 40 hours), drawn by 40 hours, then 20 hours billed beyond it.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('ond', 'On demand', 'USD');
SET rr.tenant = 'ond';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('ond', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('ond', 'USAGE', 'As used', 'on_usage', '2300', '4200');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('ond', 'HOUR', 'Support hour', 'hour', '4200', '2300', '1100', 'USAGE'),
    ('ond', 'MAINT', 'Maintenance, per month', 'month', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('ond', 'HOUR', 'USD', 125.00), ('ond', 'MAINT', 'USD', 200.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount,
                              reset_usage) VALUES
    -- 5,000.00 deposited, drawn at the hour's price (125.00), no extra usage price: hours
    -- beyond the deposit are billed at 125.00 too
    ('ond', 'DEPOSIT', 'Support deposit', 'USD', 'HOUR', 'deposit', 5000.00, 'never'),
    ('ond', 'MAINT', 'Maintenance', 'USD', 'MAINT', 'prepaid', NULL, 'on_billing');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  alignment) VALUES
    ('ond', 'DEPOSIT', 'Deposit contract, billed on demand', 'expiring', 1, 'year', 'on_demand', 'calendar'),
    ('ond', 'MONTHLY', 'Support, billed monthly', 'expiring', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('ond', 'DEPOSIT', 1, 'DEPOSIT', 1), ('ond', 'DEPOSIT', 2, 'MAINT', 1), ('ond', 'MONTHLY', 1, 'MAINT', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ond', 'CU', 'Customer', 'USD');
SELECT rr.create_contract('CU', 'DEPOSIT', '2025-01-01') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01') AS k_monthly \gset
SELECT rr.setup_and_activate_contract(:k_monthly);
SELECT line_no, contract_item, billing_period IS NULL AS on_demand FROM rr.contract_line WHERE contract_id = :k ORDER BY line_no;

-- (1) 40 hours in February and March
SELECT rr.record_usage(ARRAY[(:k, NULL, 'HOUR', 16, '2025-02-10 10:00Z', 'T-1', NULL),
                             (:k, NULL, 'HOUR', 24, '2025-03-05 10:00Z', 'T-2', NULL)]::rr.usage_record[]) AS recorded;
-- rr.run_billing (and its preview) never bill an on-demand contract: only the monthly one
-- is billed, January to March at 200.00 (600.00)
SELECT count(*) AS previewed_on_demand FROM rr.preview_billing('2025-03-31') WHERE contract_id = :k;
SELECT contract_id = :k_monthly AS is_monthly, lines, total FROM rr.run_billing('2025-03-31');
-- what a request would bill, previewed for the one contract (nothing is left behind)
SELECT count(*) AS lines, sum(amount) AS total FROM rr.preview_billing('2025-03-15', :k);
-- refused: a request dated before the contract starts
SELECT * FROM rr.bill_contract(:k, '2024-12-31');

-- (2) Billing requested on 2025-03-15: the deposit 5,000.00 (billed when billing starts);
-- maintenance for January, February and March, prepaid, 3 × 200.00 = 600.00; the hours of
-- [2025-01-01, 2025-03-15): 40 × 125.00 = 5,000.00, all drawn from the deposit
-- (drawdown -5,000.00, 0.00 left).  Invoice total 5,000.00 + 600.00 + 5,000.00 - 5,000.00
-- = 5,600.00.
SELECT lines, total FROM rr.bill_contract(:k, '2025-03-15');
SELECT kind, service_period, quantity, unit_price, amount, detail->'deposit_remaining' AS deposit_left
  FROM rr.charge WHERE contract_id = :k ORDER BY run_id, kind, service_period;

-- (3) 20 more hours in April (and 3 hours on 2025-05-10, the day of the next request: not
-- billed by it); billing requested on 2025-05-10: the window [2025-03-15, 2025-05-10) has
-- 20 hours, none left in the deposit: 20 × 125.00 = 2,500.00 billed beyond it, no
-- drawdown; maintenance April and May 2 × 200.00 = 400.00; total 2,900.00
SELECT rr.record_usage(ARRAY[(:k, NULL, 'HOUR', 12, '2025-04-02 10:00Z', 'T-3', NULL),
                             (:k, NULL, 'HOUR', 8, '2025-04-20 10:00Z', 'T-4', NULL),
                             (:k, NULL, 'HOUR', 3, '2025-05-10 10:00Z', 'T-5', NULL)]::rr.usage_record[]) AS recorded;
SELECT lines, total FROM rr.bill_contract(:k, '2025-05-10');
SELECT kind, service_period, quantity, unit_price, amount, detail->'deposit_remaining' AS deposit_left
  FROM rr.charge WHERE contract_id = :k AND run_id = (SELECT max(run_id) FROM rr.charge WHERE contract_id = :k)
 ORDER BY kind, service_period;
-- asked again the same day: nothing more is due, no invoice
SELECT count(*) AS invoices FROM rr.bill_contract(:k, '2025-05-10');
-- a request dated before the last one bills nothing and credits nothing (the windows
-- billed are kept)
SELECT count(*) AS invoices FROM rr.bill_contract(:k, '2025-04-01');
SELECT contract_id = :k AS on_demand, contract_item, deposit, drawn, balance FROM rr.deposit_balances
 WHERE contract_id = :k;

-- (4) A late event in the first window (2 hours on 2025-03-01, after it was billed) and a
-- request on 2025-06-02: the late 2 hours are billed beyond the deposit as a correction of
-- the first window, 2 × 125.00 = 250.00 (the deposit covered 40 hours of its 42); the
-- window [2025-05-10, 2025-06-02) has the 3 hours of 2025-05-10, 375.00; maintenance June
-- 200.00; total 250.00 + 375.00 + 200.00 = 825.00
SELECT rr.record_usage(:k, 'HOUR', 2, '2025-03-01 10:00Z', 'T-6') IS NOT NULL AS recorded;
SELECT lines, total FROM rr.bill_contract(:k, '2025-06-02');
SELECT kind, service_period, adjustment_seq, quantity, amount, detail->'late' AS late
  FROM rr.charge WHERE contract_id = :k AND run_id = (SELECT max(run_id) FROM rr.charge WHERE contract_id = :k)
 ORDER BY kind, service_period;
-- what the contract drew and billed: usage 5,000.00 + 2,500.00 + 250.00 + 375.00 = 8,125.00
-- for 65 hours (65 × 125.00), 5,000.00 of it drawn from the deposit, 3,125.00 billed beyond
SELECT sum(quantity) FILTER (WHERE kind = 'usage') AS hours, sum(amount) FILTER (WHERE kind = 'usage') AS usage,
       -sum(amount) FILTER (WHERE kind = 'drawdown') AS drawn,
       sum(amount) FILTER (WHERE kind IN ('usage', 'drawdown')) AS billed_beyond
  FROM rr.charge WHERE contract_id = :k;

-- (5) On a schedule of the user's choosing: the statement a pg_cron job would run (every
-- on-demand contract billed as of the day); the monthly contract is left to rr.run_billing
-- (the contracts read first, then billed: docs/projects-and-on-demand.md, "On a schedule")
WITH due AS MATERIALIZED (
    SELECT k.contract_id FROM rr.contract k WHERE k.billing_period = 'on_demand' AND k.status = 'active')
SELECT d.contract_id = :k AS is_deposit_contract, b.lines, b.total
  FROM due d
 CROSS JOIN LATERAL rr.bill_contract(d.contract_id, '2025-07-01') b;

-- (6) Closed, an on-demand contract is billed by the runs for what it still owes: a deposit
-- contract (no maintenance) refunding what is unused (retain_rate 0), 10 hours used.
-- Billed on 2025-07-01: the deposit 5,000.00, the 10 hours 10 × 125.00 = 1,250.00 drawn
-- from it (drawdown -1,250.00): 5,000.00.  Expired on 2026-01-01, the next run releases
-- the unused 5,000.00 - 1,250.00 = 3,750.00, all refunded (breakage 0.00): -3,750.00.
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount,
                              retain_rate, reset_usage) VALUES
    ('ond', 'DEPOSIT-R', 'Support deposit, refundable', 'USD', 'HOUR', 'deposit', 5000.00, 0, 'never');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  alignment) VALUES
    ('ond', 'DEPOSIT-R', 'Refundable deposit, billed on demand', 'expiring', 1, 'year', 'on_demand', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('ond', 'DEPOSIT-R', 1, 'DEPOSIT-R', 1);
SELECT rr.create_contract('CU', 'DEPOSIT-R', '2025-01-01') AS k_refund \gset
SELECT rr.setup_and_activate_contract(:k_refund);
SELECT rr.record_usage(:k_refund, 'HOUR', 10, '2025-06-01 10:00Z', 'R-1') IS NOT NULL AS recorded;
SELECT lines, total FROM rr.bill_contract(:k_refund, '2025-07-01');
-- still active after its end, it waits to be asked; expired, the run bills the release
SELECT count(*) AS billed_while_active FROM rr.run_billing('2026-01-01') WHERE contract_id = :k_refund;
SELECT rr.expire_contract(:k_refund, '2026-01-01');
SELECT lines, total FROM rr.run_billing('2026-01-01') WHERE contract_id = :k_refund;
SELECT kind, service_period, amount, detail->'unused' AS unused
  FROM rr.charge WHERE contract_id = :k_refund AND kind IN ('release', 'breakage') ORDER BY kind;
SELECT contract_item, deposit, drawn, retained, refunded, balance FROM rr.deposit_balances WHERE contract_id = :k_refund;
