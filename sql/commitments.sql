-- Minimum commitments with true-up: per term and per period, the true-up charge on the
-- next invoice, its revenue, the usage-against-commitment report
-- (docs/commitments-and-wallets.md).
\set SHOW_CONTEXT never
SELECT rr.create_tenant('com', 'Commitment tests', 'USD');
SET rr.tenant = 'com';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('com', 'USAGE', 'As used', 'on_usage', '2100', '4300');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('com', 'CALL', 'API call', 'call', '4300', '2100', '1100', 'USAGE'),
    ('com', 'SUB', 'Subscription', 'month', '4000', '2100', '1100', NULL);
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('com', 'CALL', 'USD', 0.50), ('com', 'SUB', 'USD', 100.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, reset_usage, usage_aggregation) VALUES
    ('com', 'API', 'API calls, 0.50 each', 'USD', 'CALL', 'postpaid', 'per_unit(0.50)', 'item_price', 'on_billing', 'sum');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('com', 'PLAN', 'Platform, 100.00 a month', 'USD', 'SUB', 'prepaid');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, billing_type) VALUES
    ('com', 'ONBOARD', 'Onboarding fee only', 'USD', 'SUB', 'item_price', 'none');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('com', 'Y', 'One year, monthly', 'expiring', 1, 'year', 'month', 'calendar');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('com', 'O', 'Onboarding only', 'expiring', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('com', 'Y', 1, 'PLAN', 1), ('com', 'Y', 2, 'API', 1), ('com', 'O', 1, 'ONBOARD', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('com', 'K', 'Committed customer', 'USD');
SELECT rr.create_contract('K', 'Y', '2025-01-01') AS k \gset
SELECT rr.setup_and_activate_contract(:k);

-- 10,000.00 of usage committed for the year's term (the platform line does not count), and
-- 2,000.00 per quarter on the same line
SELECT rr.add_commitment(:k, 10000.00, 'term', line_nos => '{2}') AS c_term,
       rr.add_commitment(:k, 2000.00, 'period', '3 months', '{2}') AS c_quarter;
SELECT commitment_no, amount, per, every, line_nos, true_up_line_no FROM rr.contract_commitment WHERE tenant_id = 'com' ORDER BY commitment_no;

-- Usage at 0.50 a call: March 5,000 calls = 2,500.00, July 6,000 = 3,000.00,
-- November 3,691 = 1,845.50; the year 14,691 calls = 7,345.50.
SELECT rr.record_usage(:k, 'API', 5000, '2025-03-10 12:00+00', 'mar'),
       rr.record_usage(:k, 'API', 6000, '2025-07-10 12:00+00', 'jul'),
       rr.record_usage(:k, 'API', 3691, '2025-11-10 12:00+00', 'nov');

-- Billed every month of the year.  Quarter 1: 2,500.00 spent, 2,000.00 met, no true-up.
-- Quarter 2 (April to June): nothing spent, true-up 2,000.00 - 0 = 2,000.00 on the July
-- invoice.  Quarter 3: 3,000.00 spent, met.  Quarter 4 and the term are trued up on
-- 2026-01-01, the run that bills December (no usage): quarter 4 2,000.00 - 1,845.50 =
-- 154.50; the term 10,000.00 - 7,345.50 = 2,654.50.
SELECT count(*) AS invoices FROM rr.billing_periods('2025-01-01', '2026-01-02', '1 month', '2000-01-01') m,
                                 LATERAL rr.run_billing(lower(m));
SELECT i.invoice_date, l.kind, l.service_period, l.amount, l.credit_account
  FROM rr.invoice i JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 WHERE i.tenant_id = 'com' AND l.kind IN ('usage', 'true_up') AND l.amount <> 0
 ORDER BY i.invoice_date, l.line_no;
SELECT c.adjustment_seq AS commitment_no, c.service_period, c.amount, c.detail
  FROM rr.charge c WHERE c.tenant_id = 'com' AND c.kind = 'true_up' ORDER BY c.service_period, c.adjustment_seq;
-- billed again: nothing more (the charge key holds the commitment number and period)
SELECT count(*) AS billed_again FROM rr.run_billing('2026-01-01');

-- The report, as of 2025-08-15 (quarter 3 open) and at the end.
SELECT commitment_no, per, period, committed, spent, shortfall, trued_up, status FROM rr.commitment_usage('2025-08-15');
SELECT commitment_no, per, period, committed, spent, shortfall, trued_up, status FROM rr.commitment_usage('2026-01-01');

-- Revenue of a true-up follows the true-up line's item (API calls, recognised on usage: on
-- the invoice date): 2,654.50 + 154.50 posted to usage revenue 4300 in January 2026.
SELECT count(*) AS posted FROM rr.post_invoices('2026-01-01');
SELECT count(*) > 0 AS recognised FROM rr.recognize('2026-01-31');
SELECT s.recognize_on, s.amount, s.entry_id IS NOT NULL AS posted
  FROM rr.revenue_schedule_line s
  JOIN rr.invoice_line l ON l.tenant_id = s.tenant_id AND l.invoice_id = s.invoice_id AND l.line_no = s.invoice_line_no
 WHERE s.tenant_id = 'com' AND l.kind = 'true_up' ORDER BY s.recognize_on, s.amount;
SELECT e.entry_date, jl.account, sum(jl.debit) AS debit, sum(jl.credit) AS credit
  FROM rr.journal_entry e JOIN rr.journal_line jl ON jl.tenant_id = e.tenant_id AND jl.entry_id = e.entry_id
 WHERE e.tenant_id = 'com' AND e.source = 'recognition' AND e.entry_date >= '2026-01-01' GROUP BY e.entry_date, jl.account ORDER BY 1, 2;

-- A commitment met by its spend has no true-up: a per-term commitment of 1,200.00 on the
-- platform line of a second contract (12 x 100.00 = 1,200.00).
SELECT rr.create_contract('K', 'Y', '2025-01-01') AS k2 \gset
SELECT rr.setup_and_activate_contract(:k2);
SELECT rr.add_commitment(:k2, 1200.00, line_nos => '{1}');
SELECT count(*) AS invoices FROM rr.bill_contract(:k2, '2026-01-01');
SELECT count(*) AS true_ups FROM rr.charge WHERE tenant_id = 'com' AND contract_id = :k2 AND kind = 'true_up';
SELECT period, committed, spent, shortfall, status FROM rr.commitment_usage('2026-01-01') WHERE contract_id = :k2;

-- Refusals: nothing is written.
SELECT count(*) AS commitments_before FROM rr.contract_commitment WHERE tenant_id = 'com' \gset
SELECT rr.add_commitment(NULL, 100.00);
SELECT rr.add_commitment(999999, 100.00);
SELECT rr.add_commitment(:k, NULL);
SELECT rr.add_commitment(:k, 0);
SELECT rr.add_commitment(:k, -1.00);
SELECT rr.add_commitment(:k, 10.005);
SELECT rr.add_commitment(:k, 'NaN');
SELECT rr.add_commitment(:k, 100.00, NULL);
SELECT rr.add_commitment(:k, 100.00, 'month');
SELECT rr.add_commitment(:k, 100.00, 'period');
SELECT rr.add_commitment(:k, 100.00, 'period', '1 month 3 days');
SELECT rr.add_commitment(:k, 100.00, 'period', '101 years');
SELECT rr.add_commitment(:k, 100.00, 'term', '1 month');
SELECT rr.add_commitment(:k, 100.00, line_nos => '{}');
SELECT rr.add_commitment(:k, 100.00, line_nos => '{2,NULL}');
SELECT rr.add_commitment(:k, 100.00, line_nos => '{7}');
SELECT rr.add_commitment(:k, 100.00, true_up_line => 9);
SELECT rr.create_contract('K', 'O', '2025-01-01') AS k3 \gset
SELECT rr.add_commitment(:k3, 100.00);
SELECT rr.create_contract('K', 'Y', '2025-01-01') AS k4 \gset
SELECT rr.setup_and_activate_contract(:k4);
SELECT rr.terminate_contract(:k4, '2025-02-01');
SELECT rr.add_commitment(:k4, 100.00);
SELECT count(*) - :commitments_before AS commitments_added FROM rr.contract_commitment WHERE tenant_id = 'com';
UPDATE rr.contract_commitment SET amount = 1 WHERE tenant_id = 'com' AND contract_id = :k;
DELETE FROM rr.contract_commitment WHERE tenant_id = 'com' AND contract_id = :k;
RESET rr.tenant;
