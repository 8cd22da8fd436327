-- One-off charges and credits, and setup-fee timing (docs/one-off-charges.md): a charge
-- billed with the next run, one billed at once on its own invoice, a credit billed at once
-- (a net credit, carried to the next invoice), revenue by the item's deferral code; the
-- setup fee at setup (the default) and when billing starts; every refusal.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('oo', 'One-offs', 'USD');
SET rr.tenant = 'oo';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('oo', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('oo', 'NOW', 'Immediately', 'immediate', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('oo', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('oo', 'TRAINING', 'Training day', '4000', '2100', '1100', 'DAILY'),
    ('oo', 'FEE', 'Service fee', '4000', '2100', '1100', 'NOW'),
    ('oo', 'ONBOARD', 'Onboarding', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('oo', 'SEAT', 'USD', 100.00), ('oo', 'TRAINING', 'USD', 450.00), ('oo', 'ONBOARD', 'USD', 300.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity) VALUES
    ('oo', 'SEATS', 'Seats, 100.00 a month', 'USD', 'SEAT', 'prepaid', 100);
-- setup fee 300.00: at setup (the default) and when billing starts
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type) VALUES
    ('oo', 'SETUP-AT-SETUP', 'Onboarding at setup', 'USD', 'ONBOARD', 'SEAT', 'prepaid');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type, setup_timing) VALUES
    ('oo', 'SETUP-AT-START', 'Onboarding when billing starts', 'USD', 'ONBOARD', 'SEAT', 'prepaid', 'billing_start');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type, prorate_setup) VALUES
    ('oo', 'SETUP-PRORATED', 'Onboarding at setup, prorated', 'USD', 'ONBOARD', 'SEAT', 'prepaid', true);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('oo', 'ANNUAL', 'Annual, billed monthly', 'renewable', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('oo', 'ANNUAL', 1, 'SEATS', 2);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('oo', 'CU', 'Customer', 'USD');

-- 2 seats (200.00 a month) from 2025-01-01 for a year
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS k \gset
SELECT rr.setup_and_activate_contract(:k, '2025-01-01');

-- A training day on 2025-01-20, 1 × its list price 450.00, billed with the next run on or
-- after that day: the January run (as of 2025-01-01) does not have it, February's does.
SELECT o.one_off_id > 0 AS has_id, o.invoice_id, o.total, o.billed_on
  FROM rr.add_one_off_charge(:k, 'TRAINING', '2025-01-20', description => 'on-site training') o;
SELECT contract_id, total FROM rr.run_billing('2025-01-01');
-- February: the seats 200.00 and the training 450.00 = 650.00 on one invoice
SELECT contract_id, lines, total FROM rr.run_billing('2025-02-01');
SELECT l.line_no, l.kind, l.contract_line_no < 0 AS pseudo_line, l.item, l.service_period, l.quantity, l.unit_price, l.amount, l.credit_account
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :k AND i.invoice_date = '2025-02-01' ORDER BY l.line_no;
-- billed once: a later run does not bill it again
SELECT count(*) AS charges FROM rr.charge WHERE contract_id = :k AND kind = 'one_off';
SELECT count(*) AS invoices FROM rr.run_billing('2025-02-01');

-- A fee of 3 × 12.345 = 37.035, rounded once to 37.04 (half away from zero), billed at once
-- on its own invoice dated its service date; its item recognises immediately, so its line
-- credits revenue (4000) directly.
SELECT o.one_off_id > 0 AS has_id, o.invoice_id IS NOT NULL AS invoiced, o.total, o.billed_on
  FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-10', quantity => 3, unit_price => 12.345,
                             bill => 'immediately') o;
SELECT i.invoice_date, l.kind, l.quantity, l.unit_price, l.amount, l.credit_account
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :k AND i.invoice_date = '2025-02-10';

-- A credit of 75.00 billed "at once" is a net credit: no negative invoice is issued; it
-- stays due and the March run nets it: 200.00 - 75.00 = 125.00.
SELECT o.invoice_id, o.total, o.billed_on
  FROM rr.add_one_off_charge(:k, 'SEAT', '2025-02-15', amount => -75.00, bill => 'immediately',
                             description => 'goodwill credit') o;
SELECT count(*) AS invoices_dated_feb_15 FROM rr.invoice WHERE contract_id = :k AND invoice_date = '2025-02-15';
SELECT contract_id, lines, total FROM rr.run_billing('2025-03-01');

-- Revenue follows each item's deferral code: each one-off is its own obligation, numbered
-- -one_off_id, with no contract line; the training (daily) and the credit over their day,
-- the fee (immediate) on its invoice date.
SELECT o.obligation_no < 0 AS one_off, o.item, o.method, o.first_line_no, o.line_nos
  FROM rr.performance_obligation o WHERE o.contract_id = :k ORDER BY o.obligation_no DESC;
SELECT o.item, s.period, s.recognize_on, s.amount
  FROM rr.revenue_schedule_line s
  JOIN rr.performance_obligation o USING (tenant_id, contract_id, obligation_no)
 WHERE s.contract_id = :k AND s.obligation_no < 0 ORDER BY s.obligation_no DESC;
-- posted: the tenant's journal balances, and the one-off lines post to their accounts
-- (training and credit to deferred revenue 2100, the immediate fee to revenue 4000)
SELECT count(*) AS posted FROM rr.post_invoices('2025-03-01');
SELECT sum(jl.debit) = sum(jl.credit) AS balanced FROM rr.journal_line jl WHERE jl.tenant_id = 'oo';

-- Setup-fee timing.  Three contracts set up on 2025-03-10 and activated on 2025-03-20
-- (billing starts at activation, the template's default; calendar months), a setup fee of
-- 300.00 each: s1 at setup (the default), s2 when billing starts, s3 at setup and prorated.
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('oo', 'T1', 'Setup fee at setup', 'renewable', 1, 'year', 'month', 'calendar'),
    ('oo', 'T2', 'Setup fee when billing starts', 'renewable', 1, 'year', 'month', 'calendar'),
    ('oo', 'T3', 'Setup fee at setup, prorated', 'renewable', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('oo', 'T1', 1, 'SETUP-AT-SETUP', 1), ('oo', 'T2', 1, 'SETUP-AT-START', 1), ('oo', 'T3', 1, 'SETUP-PRORATED', 1);
SELECT rr.create_contract('CU', 'T1', '2025-03-10') AS s1 \gset
SELECT rr.create_contract('CU', 'T2', '2025-03-10') AS s2 \gset
SELECT rr.create_contract('CU', 'T3', '2025-03-10') AS s3 \gset
SELECT rr.setup_contract(k, '2025-03-10'), rr.activate_contract(k, '2025-03-20')
  FROM unnest(ARRAY[:s1, :s2, :s3]::bigint[]) AS k ORDER BY k;
-- As of 2025-03-15 (after setup, before billing starts): s1's fee 300.00 and s3's, prorated
-- by the days of its first billing period that are billed, March 20-31, 12 of 31 days:
-- 300.00 × 12 / 31 = 116.129 -> 116.13; s2's fee is not due yet.
SELECT contract_id - :s1 + 1 AS s, total FROM rr.run_billing('2025-03-15') ORDER BY contract_id;
-- As of 2025-03-20 (billing starts): each bills its March stub, 100.00 × 12 / 31 = 38.709 ->
-- 38.71; s2 its setup fee too, 300.00 + 38.71 = 338.71.
SELECT contract_id - :s1 + 1 AS s, total FROM rr.run_billing('2025-03-20') ORDER BY contract_id;
-- the setup charges: due at setup (s1, s3) or when billing starts (s2), for the term from then
SELECT contract_id - :s1 + 1 AS s, service_period, amount, due_date
  FROM rr.charge WHERE contract_id IN (:s1, :s2, :s3) AND kind = 'setup' ORDER BY contract_id;

-- Refusals: nothing is written by any of them.
SELECT count(*) AS one_offs_before FROM rr.one_off_charge \gset
SELECT * FROM rr.add_one_off_charge(999999, 'FEE', '2025-02-01', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'NOPE', '2025-02-01', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, NULL, '2025-02-01', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', NULL, amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2024-12-31', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2026-01-01', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', 'infinity', amount => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 'NaN');
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 'Infinity');
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 1e15);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', unit_price => '-Infinity');
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 10.005);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 0);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', quantity => 2, unit_price => 0.001);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', quantity => 0, unit_price => 10);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 10, quantity => 1);
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01');
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 10, bill => 'later');
-- a contract not billable: a draft, and a terminated one
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS d \gset
SELECT * FROM rr.add_one_off_charge(:d, 'FEE', '2025-02-01', amount => 10);
SELECT rr.terminate_contract(:s1, '2025-06-01') IS NOT NULL AS terminated;
SELECT * FROM rr.add_one_off_charge(:s1, 'FEE', '2025-07-01', amount => 10);
-- another tenant's contract does not exist for this one
SELECT rr.create_tenant('oo2', 'Other', 'USD');
SET rr.tenant = 'oo2';
SELECT * FROM rr.add_one_off_charge(:k, 'FEE', '2025-02-01', amount => 10);
SET rr.tenant = 'oo';
SELECT count(*) - :one_offs_before AS one_offs_written FROM rr.one_off_charge;
