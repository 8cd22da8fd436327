-- Cancellations under each refund policy (docs/billing.md, "Changes inside billed periods";
-- issue 15 item 4): an annual prepaid plan of 1,200.00 from 2025-01-01, billed and posted
-- for the year, January to March recognised and closed, terminated on 2025-04-11.  Prorated
-- credits the 265 unused days of 365, 1,200.00 x 265 / 365 = 871.23; none credits nothing;
-- full credits the whole period.  The credit is posted into the open period (April), the
-- deferred revenue of what is credited is reversed, what is kept is recognised by the
-- termination date, and no schedule line is left after it.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('cxl', 'Cancellations', 'USD');
SET rr.tenant = 'cxl';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('cxl', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('cxl', 'PLAN', 'Annual plan', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('cxl', 'PLAN', 'USD', 1200.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity) VALUES
    ('cxl', 'ANNUAL', 'Annual plan, prepaid', 'USD', 'PLAN', 'prepaid', '1 year', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, refund_policy)
SELECT 'cxl', p, 'Annual, refund ' || p, 1, 'year', 'year', 'anniversary', p FROM unnest(ARRAY['none', 'prorated', 'full']) p;
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
SELECT 'cxl', p, 1, 'ANNUAL', 1 FROM unnest(ARRAY['none', 'prorated', 'full']) p;
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('cxl', 'CU', 'Customer', 'USD');
CREATE TEMP TABLE k AS
SELECT p AS policy, rr.create_contract('CU', p, '2025-01-01') AS id FROM unnest(ARRAY['none', 'prorated', 'full']) p;
SELECT count(rr.setup_and_activate_contract(id)) FROM k;
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-01-01');
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-03-31');
SELECT count(rr.close_period(p::date)) AS closed FROM generate_series('2025-01-01'::date, '2025-03-01', '1 month') p;

SELECT k.policy, rr.terminate_contract(k.id, '2025-04-11', 'cancelled by the customer') FROM k ORDER BY k.id;
-- a terminated contract's preview shows what the next run bills it (its credit)
SELECT id AS prorated_k FROM k WHERE policy = 'prorated' \gset
SELECT kind, service_period, amount FROM rr.preview_billing('2025-04-30', :prorated_k);
SELECT kind, service_period, amount FROM rr.preview_billing(NULL, :prorated_k);
-- the next run credits under each policy (none: nothing); posted into April
CREATE TEMP TABLE run AS SELECT invoice_id FROM rr.run_billing('2025-04-30');
SELECT k.policy, l.kind, l.service_period, l.amount
  FROM k JOIN rr.invoice i ON i.contract_id = k.id JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.invoice_id IN (SELECT invoice_id FROM run)
 ORDER BY k.id, l.line_no;
SELECT count(*) AS posted FROM rr.post_invoices('2025-04-30');
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-04-30');
-- per policy: billed net of the credit, revenue recognised (all of it by the termination:
-- 1,200.00 x 100 / 365 = 328.77 for January 1 to April 10 under prorated), deferred revenue
-- left (none), schedule lines after the termination date (none), and the credit's entry in
-- April, the first open period.  (The contracts of k and the deferred balances are read
-- first, as values: Citus cannot join the tenant's tables with a temporary table, nor run
-- a function that reads them inside a statement sent to the tenant's shard.)
SELECT array_agg(id) AS k_ids FROM k \gset
SELECT coalesce(json_agg(b), '[]') AS deferred FROM rr.contract_balances('2025-04-30') b WHERE b.account = '2100' \gset
SELECT c.refund_policy AS policy,
       (SELECT sum(total) FROM rr.invoice_register r WHERE r.tenant_id = c.tenant_id AND r.contract_id = c.contract_id) AS billed,
       (SELECT sum(amount) FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id AND l.status = 'posted') AS recognised,
       coalesce(b.balance, 0) AS deferred,
       (SELECT count(*) FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id AND upper(l.period) > '2025-04-11') AS lines_after,
       (SELECT max(e.period_start) FROM rr.invoice i JOIN rr.journal_entry e ON e.tenant_id = i.tenant_id AND e.entry_id = i.journal_entry_id
         WHERE i.tenant_id = c.tenant_id AND i.contract_id = c.contract_id) AS last_posting_period
  FROM rr.contract c
  -- (rr.contract_balances has one row per contract and account)
  LEFT JOIN json_to_recordset(:'deferred') b(contract_id bigint, balance numeric) ON b.contract_id = c.contract_id
 WHERE c.tenant_id = 'cxl' AND c.contract_id = ANY (:'k_ids'::bigint[]) ORDER BY c.contract_id;
SELECT count(*) AS unreconciled FROM rr.revenue_reconciliation('2025-04-30');
RESET rr.tenant;
