-- Renewal remainders (docs/catalog-and-contracts.md, "Renewals"): a renewal bills the usage
-- that is due and not billed yet first, in its transaction; a usage counter with
-- reset_usage = 'on_renewal' starts again with each renewed term, one with 'never' does not.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('ru', 'Renewal usage', 'USD');
SET rr.tenant = 'ru';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('ru', 'API', 'API call', '4300', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('ru', 'API', 'USD', 0.10);
-- 100 calls included per counter cycle, then 0.10 a call, billed monthly in arrears
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              included_quantity, reset_usage) VALUES
    ('ru', 'CALLS', 'Calls, counter per term', 'USD', 'API', 'postpaid', 'per_unit(0.10)', 100, 'on_renewal'),
    ('ru', 'CALLS-NEVER', 'Calls, one counter', 'USD', 'API', 'postpaid', 'per_unit(0.10)', 100, 'never');
-- a quarter, renewable from its end to 10 days after it
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  grace_period_days, billing_period, alignment, allow_override) VALUES
    ('ru', 'Q', 'Quarterly', 'renewable', 1, 'quarter', 10, 'month', 'calendar', true);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ru', 'CU', 'Customer', 'USD');
SELECT rr.create_contract('CU', 'Q', '2024-10-01', '{"CALLS": {"quantity": 1}}') AS k_term \gset
SELECT rr.create_contract('CU', 'Q', '2024-10-01', '{"CALLS-NEVER": {"quantity": 1}}') AS k_never \gset
SELECT rr.setup_and_activate_contract(id) FROM unnest(ARRAY[:k_term, :k_never]) AS id;
-- 80 calls in November and 60 in December on each contract
SELECT count(rr.record_usage(id, item, q, ts, format('%s-%s', id, ts)))
  FROM (VALUES (:k_term, 'CALLS'), (:k_never, 'CALLS-NEVER')) AS k (id, item),
       (VALUES (80, timestamptz '2024-11-10 12:00+00'), (60, '2024-12-10 12:00+00')) AS u (q, ts);
-- November billed: 80 of the 100 included calls, nothing to pay
SELECT contract_id, sum(total) AS billed FROM rr.run_billing('2024-12-01') GROUP BY 1 ORDER BY 1;

-- Renewed in grace on 2025-01-05, before any run billed December: each renewal bills
-- December's usage first, 80 + 60 = 140 calls, 40 beyond the included 100: 4.00
SELECT rr.renew_contract(:k_term, '2025-01-05') AS term_new_end, rr.renew_contract(:k_never, '2025-01-05') AS never_new_end;
SELECT i.contract_id, i.invoice_date, l.kind, l.service_period, l.quantity, l.amount,
       l.detail->>'billable' AS billable
  FROM rr.invoice i JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 WHERE i.tenant_id = 'ru' AND i.invoice_date = '2025-01-05' ORDER BY i.contract_id, l.line_no;
-- 70 calls in January, in the renewed term
SELECT count(rr.record_usage(id, item, 70, '2025-01-10 12:00+00', format('%s-jan', id)))
  FROM (VALUES (:k_term, 'CALLS'), (:k_never, 'CALLS-NEVER')) AS k (id, item);
-- January: the counter of the renewed term starts again (70 of 100 included: 0.00); the
-- counter that never resets is at 210, so January's 70 calls are all billable: 7.00
SELECT count(*) AS invoices FROM rr.run_billing('2025-02-01');
SELECT i.contract_id, l.service_period, l.quantity, l.amount, l.detail->>'billable' AS billable
  FROM rr.invoice i JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 WHERE i.tenant_id = 'ru' AND i.invoice_date = '2025-02-01' ORDER BY i.contract_id, l.line_no;
-- nothing is billed twice: a re-run, and a renewal with no usage due (the next term, in
-- its grace period on 2025-04-05, with April's usage not due yet) bill nothing
SELECT count(*) AS invoices FROM rr.run_billing('2025-02-01');
SELECT count(*) AS invoices FROM rr.run_billing('2025-04-01');
SELECT rr.renew_contract(:k_term, '2025-04-05') AS term_new_end;
SELECT count(*) AS invoices_dated_0405 FROM rr.invoice WHERE tenant_id = 'ru' AND invoice_date = '2025-04-05';

-- The same rule in rr.usage_vs_included: in January 2025 the counter reset on renewal
-- starts with the new term (70 calls, 30 of the 100 left), the other one with billing
-- (80 + 60 + 70 = 210 calls, 110 over)
SELECT contract_id = :k_term AS reset_on_renewal, reset_usage, period, cycle_start, included, used, remaining, overage
  FROM rr.usage_vs_included('2025-01-20') ORDER BY 1 DESC;
