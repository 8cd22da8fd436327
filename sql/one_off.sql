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
-- recognised through March: the seats' 2,400.00 for the year by days, January 31/365 ->
-- 203.84, February 28/365 -> 184.11, March 203.84 (591.79), plus the training 450.00, the fee
-- 37.04 and the credit -75.00: revenue 1,003.83
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-03-31');
SELECT sum(jl.credit - jl.debit) AS revenue_4000 FROM rr.journal_line jl WHERE jl.tenant_id = 'oo' AND jl.account = '4000';
-- The training is credited in full on 2025-04-10 (a credit note of its invoice line): its
-- revenue, all recognised on January 20, comes off revenue on the credit date, -450.00 on
-- the training's own obligation (its invoice read first, by the tenant: a workflow's
-- arguments are values, not sub-queries, which Citus cannot plan)
SELECT invoice_id AS training_invoice FROM rr.invoice
 WHERE tenant_id = 'oo' AND contract_id = :k AND invoice_date = '2025-02-01' \gset
SELECT total FROM rr.credit_invoice(:training_invoice,
                                    lines => '{1}', reason => 'training cancelled', credit_date => '2025-04-10');
SELECT o.item, s.source, s.period, s.amount
  FROM rr.revenue_schedule_line s
  JOIN rr.performance_obligation o USING (tenant_id, contract_id, obligation_no)
 WHERE s.contract_id = :k AND s.obligation_no < 0 AND s.source = 'credit';

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

-- Discounts (docs/one-off-charges.md, "Discounts and allocation").  Monthly contracts of 2
-- seats, 200.00 a month, from 2025-01-01, billed one month at a time.
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS c1 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS c2 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS c3 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS c4 \gset
-- c1: 50.00 off the first invoice (an amount off the whole contract, first period only)
SELECT rr.add_discount(:c1, 'amount', 50.00, first_periods => 1, description => 'first invoice') > 0 AS added;
-- c2: 20 % off the first 3 invoices
SELECT rr.add_discount(:c2, 'percent', 20, first_periods => 3, description => 'first 3 invoices') > 0 AS added;
-- c3: the stacking order: 10 % off line 1, 30.00 off line 1, and 50.00 off the first invoice
SELECT rr.add_discount(:c3, 'amount', 50.00, first_periods => 1) > 0 AS added;
SELECT rr.add_discount(:c3, 'amount', 30.00, line_no => 1) > 0 AS added;
SELECT rr.add_discount(:c3, 'percent', 10, line_no => 1) > 0 AS added;
-- c4: 500.00 off line 1 a month, more than the line: it takes the line to 0, never below
SELECT rr.add_discount(:c4, 'amount', 500.00, line_no => 1) > 0 AS added;
SELECT rr.setup_and_activate_contract(k, '2025-01-01') FROM unnest(ARRAY[:c1, :c2, :c3, :c4]::bigint[]) AS k ORDER BY k;
-- invoices of January to April:
--   c1: 200.00 - 50.00 = 150.00, then 200.00;
--   c2: 200.00 - 20 % = 160.00 three times, then 200.00;
--   c3: percents first, 200.00 × 10 % = 20.00, then line amounts, 30.00, then contract-wide
--       amounts, 50.00: 200.00 - 20.00 - 30.00 - 50.00 = 100.00; then 200.00 - 20.00 - 30.00 = 150.00;
--   c4: 200.00 - 200.00 = 0.00 each month.
SELECT b.k - :c1 + 1 AS c, m.d AS invoice_date, (SELECT total FROM rr.bill_contract(b.k, m.d)) AS total
  FROM unnest(ARRAY[:c1, :c2, :c3, :c4]::bigint[]) AS b(k)
 CROSS JOIN unnest(ARRAY['2025-01-01', '2025-02-01', '2025-03-01', '2025-04-01']::date[]) AS m(d)
 ORDER BY 1, 2;
SELECT l.line_no, l.kind, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :c3 AND i.invoice_date = '2025-01-01' ORDER BY l.line_no;

-- A 300.00 discount off a licence + support bundle, billed yearly from 2025-01-01: licence
-- 1,200.00 (SSP 1,200.00), support 600.00 (SSP 800.00); one invoice of 1,800.00 - 300.00 =
-- 1,500.00, the discount split over the lines by their amounts (1,200 : 600 -> 200.00 and
-- 100.00).
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('oo', 'LIC', 'Licence', '4000', '2100', '1100', 'DAILY'), ('oo', 'SUP', 'Support', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('oo', 'LIC', 'USD', 1200.00), ('oo', 'SUP', 'USD', 600.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, standalone_price) VALUES
    ('oo', 'LICENCE', 'Licence, yearly', 'USD', 'LIC', 'prepaid', 1200.00),
    ('oo', 'SUPPORT', 'Support, yearly', 'USD', 'SUP', 'prepaid', 800.00),
    ('oo', 'LICENCE-NS', 'Licence, yearly, no SSP', 'USD', 'LIC', 'prepaid', NULL),
    ('oo', 'SUPPORT-NS', 'Support, yearly, no SSP', 'USD', 'SUP', 'prepaid', NULL);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period) VALUES
    ('oo', 'BUNDLE', 'Licence + support', 'renewable', 1, 'year', 'year'),
    ('oo', 'BUNDLE-NS', 'Licence + support, no SSPs', 'renewable', 1, 'year', 'year');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('oo', 'BUNDLE', 1, 'LICENCE', 1), ('oo', 'BUNDLE', 2, 'SUPPORT', 1),
    ('oo', 'BUNDLE-NS', 1, 'LICENCE-NS', 1), ('oo', 'BUNDLE-NS', 2, 'SUPPORT-NS', 1);
SELECT rr.create_contract('CU', 'BUNDLE', '2025-01-01') AS b1 \gset
SELECT rr.create_contract('CU', 'BUNDLE', '2025-01-01') AS b2 \gset
SELECT rr.create_contract('CU', 'BUNDLE-NS', '2025-01-01') AS b3 \gset
SELECT rr.add_discount(k, 'amount', 300.00, first_periods => 1, description => 'bundle discount') > 0 AS added
  FROM unnest(ARRAY[:b1, :b2, :b3]::bigint[]) AS k ORDER BY k;
-- b2: the caller shows the discount belongs to the support (line 2) alone
SELECT rr.allocate_discount_to((SELECT discount_id FROM rr.discount WHERE contract_id = :b2), '{2}');
SELECT rr.setup_and_activate_contract(k, '2025-01-01') FROM unnest(ARRAY[:b1, :b2, :b3]::bigint[]) AS k ORDER BY k;
SELECT b.k - :b1 + 1 AS b, (SELECT total FROM rr.bill_contract(b.k, '2025-01-01')) AS total
  FROM unnest(ARRAY[:b1, :b2, :b3]::bigint[]) AS b(k) ORDER BY 1;
SELECT l.kind, l.contract_item, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :b1 ORDER BY l.line_no;
-- The allocation (ASC 606-10-32-36), each obligation's contract price being its lines' net:
--   b1, by relative SSP: 1,500.00 × 1,200 / 2,000 = 900.00 and 1,500.00 × 800 / 2,000 = 600.00;
--   b2, the price without the discount by relative SSP, 1,800.00 × 1,200 / 2,000 = 1,080.00
--       and 1,800.00 × 800 / 2,000 = 720.00, then the 300.00 to the support alone
--       (ASC 606-10-32-37): 1,080.00 and 420.00;
--   b3, no SSPs: no allocation is needed and none is asked for (activation used to demand
--       an SSP on every line once a contract-wide discount existed); each obligation keeps
--       its contract price, 1,000.00 and 500.00.
-- Revenue schedules by day over 2025 (365 days): January is 31 days of each allocation:
--   900.00 × 31/365 = 76.438 -> 76.44; 600.00 × 31/365 = 50.958 -> 50.96;
--   1,080.00 × 31/365 = 91.726 -> 91.73; 420.00 × 31/365 = 35.671 -> 35.67 plus a cent:
--     the months' floors add up to 419.98, and of the largest remainders (February .92 of a
--     cent, then the seven 31-day months tied at .12) the two cents go to February and
--     to the lowest index, January: 35.68;
--   1,000.00 × 31/365 = 84.931 -> 84.93; 500.00 × 31/365 = 42.465 -> 42.47;
-- and each schedule adds up to its allocation.
SELECT o.contract_id - :b1 + 1 AS b, o.obligation_no, o.item, o.contract_amount, o.allocated_amount,
       (SELECT sum(s.amount) FROM rr.revenue_schedule_line s
         WHERE s.tenant_id = o.tenant_id AND s.contract_id = o.contract_id AND s.obligation_no = o.obligation_no) AS scheduled,
       (SELECT sum(s.amount) FROM rr.revenue_schedule_line s
         WHERE s.tenant_id = o.tenant_id AND s.contract_id = o.contract_id AND s.obligation_no = o.obligation_no
           AND s.period && daterange('2025-01-01', '2025-02-01')) AS january
  FROM rr.performance_obligation o
 WHERE o.contract_id IN (:b1, :b2, :b3) ORDER BY 1, 2;

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
-- allocate_discount_to: an unknown discount, no lines, a line the contract lacks, a
-- contract already active
SELECT rr.allocate_discount_to(999999, '{1}');
SELECT rr.create_contract('CU', 'BUNDLE', '2025-01-01') AS b4 \gset
SELECT rr.add_discount(:b4, 'amount', 10.00) AS d4 \gset
SELECT rr.allocate_discount_to(:d4, '{}');
SELECT rr.allocate_discount_to(:d4, NULL);
SELECT rr.allocate_discount_to(:d4, '{1,NULL}');
SELECT rr.allocate_discount_to(:d4, '{1,7}');
SELECT rr.allocate_discount_to((SELECT discount_id FROM rr.discount WHERE contract_id = :b1), '{1}');
SELECT count(*) AS discount_obligations FROM rr.discount_obligation WHERE contract_id IN (:b1, :b4);
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
