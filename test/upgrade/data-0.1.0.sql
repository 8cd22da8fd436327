-- The data the upgrade test (test/upgrade/run) loads into a 0.1.0 installation before it
-- runs ALTER EXTENSION ... UPDATE: the demo of 0.1.0 (demo/30, 45, 50, 55, 60 and 70 as
-- shipped with 0.1.0), a usage event staged but not merged, a currency of our own and a
-- tenant member, so that every table of 0.1.0 holds rows.  Kept as shipped: it must run
-- against 0.1.0's API, whatever later versions change.

-- ---- demo/30_contracts.sql (0.1.0)
-- recurring_revenue demo: a small catalog, contracts from templates, and the lifecycle.
\echo
\echo '== Roles, a tenant (Northwind Software, books in USD) and its default chart of accounts'
SELECT * FROM rr.create_roles();
SELECT rr.create_tenant('default', 'Northwind Software', 'USD', 'America/New_York');
SELECT code, name, kind FROM rr.account ORDER BY code;

\echo '== Catalog: items with list prices, deferral codes, contract items'
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('default', 'IMMEDIATE', 'Recognise at once', 'immediate', '2100', '4100'),
    ('default', 'RATABLE', 'Evenly by days', 'daily', '2100', '4000'),
    ('default', 'USAGE', 'As used', 'on_usage', '2100', '4300');
INSERT INTO rr.tax_code (tenant_id, code, name, rate, is_inclusive, account) VALUES
    ('default', 'NY', 'New York sales tax', 0.08875, false, '2200');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('default', 'LIC-PRO', 'Northwind Pro perpetual licence', 'licence', '4100', '2100', '1100', 'IMMEDIATE'),
    ('default', 'MAINT-PRO', 'Northwind Pro maintenance and updates', 'year', '4000', '2100', '1100', 'RATABLE'),
    ('default', 'SEAT', 'Northwind Cloud seat', 'seat', '4000', '2100', '1100', 'RATABLE'),
    ('default', 'ONBOARD', 'Onboarding', 'each', '4400', '2100', '1100', 'RATABLE'),
    ('default', 'SUPPORT-HR', 'Support hour', 'hour', '4200', '2300', '1100', 'USAGE'),
    ('default', 'API-CALL', 'API call', 'call', '4300', '2100', '1100', 'USAGE');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('default', 'LIC-PRO', 'USD', 12000.00), ('default', 'MAINT-PRO', 'USD', 2400.00),
    ('default', 'SEAT', 'USD', 49.00), ('default', 'ONBOARD', 'USD', 20.00),
    ('default', 'SUPPORT-HR', 'USD', 150.00), ('default', 'API-CALL', 'USD', 0.002);

INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_percent,
                              recurring_item, billing_type, recurring_pricing, recurring_percent, billing_period,
                              min_quantity, max_quantity, default_quantity, standalone_price) VALUES
    -- a perpetual licence sold once, and yearly maintenance at 90 % of the maintenance list price
    ('default', 'PRO-LICENCE', 'Pro licence', 'USD', 'LIC-PRO', 'item_price', NULL,
     NULL, 'none', 'item_price', NULL, NULL, 1, 50, 1, 12000.00),
    ('default', 'PRO-MAINT', 'Pro maintenance', 'USD', NULL, 'item_price', NULL,
     'MAINT-PRO', 'prepaid', 'percent_of_item_price', 90, '1 year', 1, 50, 1, 2400.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type,
                              min_quantity, max_quantity, default_quantity, standalone_price) VALUES
    -- SaaS seats billed monthly in advance, with a one-off onboarding fee
    ('default', 'CLOUD-SEATS', 'Cloud seats', 'USD', 'ONBOARD', 'SEAT', 'prepaid', 5, 500, 10, 49.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type,
                              price_model, included_quantity, reset_usage) VALUES
    -- API calls billed monthly in arrears, 10,000 included, then graduated tiers
    ('default', 'API-USAGE', 'API usage', 'USD', 'API-CALL', 'postpaid',
     'graduated(100000: 0.002, 1000000: 0.0015, *: 0.001)', 10000, 'on_billing');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type,
                              deposit_amount, retain_rate, extra_usage_price, reset_usage) VALUES
    -- a support-hours retainer: 5,000.00 deposited up front, drawn down at 150.00 an hour
    ('default', 'SUPPORT-RETAINER', 'Support retainer', 'USD', 'SUPPORT-HR', 'deposit',
     5000.00, 0.10, 150.00, 'never');
SELECT code, billing_type, recurring_item, billing_period, price_model::text, included_quantity, deposit_amount
  FROM rr.contract_item ORDER BY code;

\echo '== Templates: an annual enterprise licence, an annual SaaS plan billed monthly, a retainer'
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  billing_period, alignment, allow_override, renewal_point_days,
                                  grace_period_days, refund_policy) VALUES
    ('default', 'ENTERPRISE', 'Enterprise licence + maintenance', 'renewable', 1, 'year',
     'year', 'anniversary', false, 60, 15, 'none'),
    ('default', 'CLOUD-ANNUAL', 'Cloud plan, annual term, billed monthly', 'renewable', 1, 'year',
     'month', 'calendar', true, 30, 0, 'prorated'),
    ('default', 'RETAINER', 'Support retainer', 'expiring', 12, 'month',
     'month', 'anniversary', false, 0, 0, 'none');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('default', 'ENTERPRISE', 1, 'PRO-LICENCE', NULL), ('default', 'ENTERPRISE', 2, 'PRO-MAINT', NULL),
    ('default', 'CLOUD-ANNUAL', 1, 'CLOUD-SEATS', NULL), ('default', 'CLOUD-ANNUAL', 2, 'API-USAGE', 1),
    ('default', 'RETAINER', 1, 'SUPPORT-RETAINER', 1);

\echo '== Customers and contracts'
INSERT INTO rr.customer (tenant_id, code, name, currency, tax_code) VALUES
    ('default', 'ACME', 'Acme Corporation', 'USD', 'NY'),
    ('default', 'GLOBEX', 'Globex Inc.', 'USD', NULL),
    ('default', 'INITECH', 'Initech LLC', 'USD', 'NY');
SELECT rr.create_contract('ACME', 'ENTERPRISE', '2024-01-31', description => 'Pro licence, year one') AS acme;
SELECT rr.create_contract('GLOBEX', 'CLOUD-ANNUAL', '2024-01-15',
                          '{"CLOUD-SEATS": {"quantity": 25, "recurring_price": "45.00"}}') AS globex;
SELECT rr.create_contract('INITECH', 'RETAINER', '2024-03-01') AS initech;
SELECT rr.setup_and_activate_contract(1);
SELECT rr.setup_contract(2), rr.activate_contract(2, '2024-02-01');
SELECT rr.setup_and_activate_contract(3);
-- Globex adds seats from June: a new version of the line, effective 2024-06-01
SELECT rr.change_contract_line(2, 'CLOUD-SEATS', '2024-06-01', quantity => 40);

SELECT contract_id, customer, template, status, start_date, end_date, activation_date, lines,
       fixed_recurring_amount
  FROM rr.contract_overview ORDER BY contract_id;
SELECT line_no, effective_from, contract_item, quantity, setup_price, recurring_price, billing_period
  FROM rr.contract_line WHERE contract_id = 2 ORDER BY line_no, effective_from;

\echo '== The lines of contract 2 as of 2024-03-01 and as of 2024-07-01 (one query each)'
SELECT line_no, contract_item, quantity, recurring_price FROM rr.contract_lines_as_of(2, '2024-03-01');
SELECT line_no, contract_item, quantity, recurring_price FROM rr.contract_lines_as_of(2, '2024-07-01');

\echo '== The event log: who, what, when, before and after'
SELECT event_id, contract_id, action, effective_date, session_role, acting_role,
       before->'contract'->>'status' AS status_before, after->'contract'->>'status' AS status_after
  FROM rr.contract_event ORDER BY event_id;

\echo '== Refusals: an invalid transition, a quantity out of range'
\set ON_ERROR_STOP 0
SELECT rr.activate_contract(1);
SELECT rr.create_contract('GLOBEX', 'CLOUD-ANNUAL', '2024-01-15', '{"CLOUD-SEATS": {"quantity": 1000}}');
\set ON_ERROR_STOP 1

-- ---- demo/45_usage.sql (0.1.0)
-- recurring_revenue demo: metered usage for Globex's API plan and Initech's support retainer
-- (needs 30_contracts.sql; billed by 50_billing.sql, shown by 55_usage.sql).
\echo
\echo '== Usage arrives in bulk: COPY into rr.usage_staging, then one merge (here 3 API readings a day for Globex, Feb to Dec 2024)'
SET rr.tenant = 'default';
-- (a generated stand-in for COPY rr.usage_staging (...) FROM STDIN)
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 2, 'API-CALL', 1000 + (extract(doy FROM d)::integer * 37 + h * 11) % 4000,
       d + make_interval(hours => 8 * h + 3), format('gw-%s-%s', d::date, h)
  FROM generate_series(timestamptz '2024-02-01 00:00-05', '2024-12-31 00:00-05', interval '1 day') AS d,
       generate_series(0, 2) AS h;
SELECT * FROM rr.merge_usage_staging();

\echo '== The gateway resends a day it was not sure about: the idempotency keys make it a no-op'
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
SELECT 2, 'API-CALL', 1000, timestamptz '2024-06-30 08:00-04' + make_interval(hours => 8 * h), format('gw-2024-06-30-%s', h)
  FROM generate_series(0, 2) AS h;
SELECT * FROM rr.merge_usage_staging();

\echo '== Support hours for Initech, one call per ticket batch (a batch is all or nothing); the retainer pays for them'
SELECT rr.record_usage(ARRAY[
    (3, NULL, 'SUPPORT-HR', 8, '2024-03-12 16:00-04', 'TCK-101', '{"ticket": 101}'),
    (3, NULL, 'SUPPORT-HR', 12.5, '2024-05-20 11:00-04', 'TCK-117', '{"ticket": 117}'),
    (3, NULL, 'SUPPORT-HR', 15, '2024-08-02 09:30-04', 'TCK-140', '{"ticket": 140}'),
    (3, NULL, 'SUPPORT-HR', 4, '2024-10-15 14:00-04', 'TCK-152', '{"ticket": 152}')]::rr.usage_record[]) AS recorded;

\echo '== Events become dates in the customer''s time zone (else the tenant''s, New York), once, when recorded'
SELECT contract_id, occurred_at AT TIME ZONE 'UTC' AS occurred_utc, usage_date, quantity, idempotency_key
  FROM rr.usage_event WHERE contract_id = 3 ORDER BY usage_date;
SELECT to_char(date_trunc('month', usage_date), 'YYYY-MM') AS month, count(*) AS events, sum(quantity) AS api_calls
  FROM rr.usage_event WHERE contract_id = 2 GROUP BY 1 ORDER BY 1 LIMIT 4;

\echo '== Refused: an event outside the contract''s term, a negative quantity (the whole batch is refused, the bad event named)'
\set ON_ERROR_STOP 0
SELECT rr.record_usage(2, 'API-CALL', 5000, '2023-12-31 12:00-05');
SELECT rr.record_usage(ARRAY[(3, NULL, 'SUPPORT-HR', 2, '2024-06-01 10:00-04', 'TCK-120', NULL),
                             (3, NULL, 'SUPPORT-HR', -2, '2024-06-02 10:00-04', 'TCK-121', NULL)]::rr.usage_record[]);
\set ON_ERROR_STOP 1

-- ---- demo/50_billing.sql (0.1.0)
-- recurring_revenue demo: billing the demo's contracts through 2024 (needs 30_contracts.sql).
\echo
\echo '== A launch offer for Globex: 10 % off its seats for the first three months'
SET rr.tenant = 'default';
SELECT rr.add_discount(2, 'percent', 10, 1, first_periods => 3, description => 'launch offer') AS discount_id;

\echo '== Preview of the first billing run (same code path, rolled back)'
SELECT contract_id, customer, kind, contract_item, service_period, quantity, unit_price, amount
  FROM rr.preview_billing('2024-03-01');

\echo '== Billing through 2024: one run on each month end (from the calendar core: no drift), then posting'
SELECT upper(m) - 1 AS run_date, count(i.*) AS invoices, coalesce(sum(i.total), 0) AS billed
  FROM rr.billing_periods('2024-01-01', '2025-01-01', '1 month', '2000-01-01') AS m
  LEFT JOIN LATERAL rr.run_billing(upper(m) - 1) AS i ON true
 GROUP BY m ORDER BY m;
SELECT count(*) AS posted, min(number) AS first_number, max(number) AS last_number, sum(total) AS total
  FROM rr.post_invoices('2024-12-31');
SELECT count(*) AS invoices_on_rerun FROM rr.run_billing('2024-12-31');

\echo '== The invoice register'
SELECT number, customer, invoice_date, due_date, lines, total
  FROM rr.invoice_register ORDER BY number LIMIT 8;

\echo '== Globex''s invoices: 25 seats with the launch offer, then 40 seats from June (the line version)'
SELECT i.number, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.customer = 'GLOBEX' AND i.invoice_date <= '2024-07-31'
 ORDER BY i.number, l.line_no;

\echo '== A goodwill credit of 500.00 on Acme''s invoice: split over its lines, tax included, posted at once'
SELECT number, total FROM rr.credit_invoice((SELECT invoice_id FROM rr.invoice WHERE number = 'INV-000001'),
                                            500.00, reason => 'goodwill', credit_date => '2024-12-31');
SELECT n.number, l.kind, l.contract_item, l.amount, l.credits_line_no
  FROM rr.invoice n JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE n.doc_type = 'credit_note' ORDER BY l.line_no;

\echo '== The journal: receivable against deferred revenue, licence revenue, tax and deposits'
SELECT l.account, a.name, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.journal_line l JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 GROUP BY l.account, a.name ORDER BY l.account;
RESET rr.tenant;

-- ---- demo/55_usage.sql (0.1.0)
-- recurring_revenue demo: usage as billed (needs 45_usage.sql and 50_billing.sql).
\echo
\echo '== Globex''s API usage, rated at billing: 10,000 calls included each month, then graduated tiers'
SET rr.tenant = 'default';
SELECT i.number, l.service_period, l.quantity AS calls, l.detail->'included' AS included,
       l.detail->'billable' AS billable, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 2 AND l.kind = 'usage' ORDER BY lower(l.service_period) LIMIT 4;
\echo '== The quantity detail of March, with the tiers of the price model (view rr.usage_line_detail, from rr.price_tiers)'
SELECT used, included, billable, tier, tier_units, tier_unit_price, tier_amount, amount AS line_amount
  FROM rr.usage_line_detail
 WHERE contract_item = 'API-USAGE' AND service_period @> date '2024-03-15'
 ORDER BY tier;

\echo '== Initech''s retainer: hours drawn from the 5,000.00 deposit at 150.00, the rest billed'
SELECT i.number, l.kind, l.service_period, l.quantity AS hours, l.unit_price, l.amount,
       l.detail->'deposit_remaining' AS deposit_left
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 3 AND l.kind IN ('deposit', 'usage', 'drawdown') ORDER BY i.invoice_id, l.line_no;
SELECT contract_id, contract_item, deposit, drawn, retained, refunded, balance FROM rr.deposit_balances;

\echo '== A late event: 2 October hours arrive after October was billed; the next billing carries them with October''s service period'
SELECT rr.record_usage(3, 'SUPPORT-HR', 2, '2024-10-30 17:00-04', 'TCK-158') AS recorded;
SELECT contract_id, lines, total FROM rr.bill_contract(3, '2024-12-31');
SELECT l.kind, l.service_period, l.quantity AS hours, l.amount, l.detail->'late' AS late,
       l.detail->'billed_before' AS billed_before
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 3 AND i.status = 'draft' ORDER BY l.line_no;
SELECT number, total FROM rr.post_invoices('2024-12-31');

-- ---- demo/60_payments.sql (0.1.0)
-- recurring_revenue demo: payments, receivables and aging (needs 50_billing.sql).
\echo
\echo '== Payments: ACME pays its annual invoice, Globex pays 5,500.00 on account, Initech sends a cheque of 6,000.00 that we keep unapplied'
SET rr.tenant = 'default';
SELECT rr.record_payment('ACME', 14160.00, '2024-02-20', 'wire 2024-0042', method => 'wire') AS acme,
       rr.record_payment('GLOBEX', 5500.00, '2024-06-15', 'ACH 7781', method => 'ach') AS globex,
       rr.record_payment('INITECH', 6000.00, '2024-05-10', 'cheque 118', apply => false, method => 'cheque') AS initech;

\echo '== Globex''s 5,500.00 went to its oldest open invoices first (an invoice dated after the payment takes it on its own date)'
SELECT p.payment_id, i.number, i.due_date, a.amount, a.applied_on
  FROM rr.payment_application a
  JOIN rr.payment p USING (tenant_id, payment_id)
  JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE p.customer = 'GLOBEX' ORDER BY i.due_date;

\echo '== Initech''s cheque applied to its deposit invoice later (by default: as much as both allow); the rest stays customer credit'
SELECT rr.apply_payment(p.payment_id, i.invoice_id, applied_on => '2024-05-15') AS application
  FROM rr.payment p, rr.invoice i WHERE p.customer = 'INITECH' AND i.customer = 'INITECH'
   AND EXISTS (SELECT FROM rr.invoice_line l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id AND l.kind = 'deposit');

\echo '== Invoice balances as of 31 December 2024'
SELECT number, customer, due_date, total, applied, balance, status, days_past_due
  FROM rr.invoice_balances('default', '2024-12-31') ORDER BY number;

\echo '== AR aging as of 31 December 2024, by days past the due date'
SELECT * FROM rr.ar_aging('2024-12-31');

\echo '== The journal of the payments: cash, customer credit, receivable'
SELECT l.account, a.name, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.journal_entry e
  JOIN rr.journal_line l USING (tenant_id, entry_id)
  JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 WHERE e.source = 'payment'
 GROUP BY l.account, a.name ORDER BY l.account;
RESET rr.tenant;

-- ---- demo/70_recognition.sql (0.1.0)
-- recurring_revenue demo: revenue recognition for the demo's contracts through 2024 (needs
-- 30_contracts.sql, 50_billing.sql and 60_payments.sql).
\echo
\echo '== Performance obligations and SSP allocation: Acme''s licence (list 12,000.00) and maintenance'
\echo '   (sold at 90 %: 2,160.00, SSP 2,400.00) are one bundle sold at a discount; the discount is'
\echo '   spread by relative SSP: 14,160 x 12,000 / 14,400 = 11,800.00 and 14,160 x 2,400 / 14,400 = 2,360.00'
SET rr.tenant = 'default';
SELECT contract_id, obligation_no, item, method, service, standalone_price, contract_amount, allocated_amount, reallocated
  FROM rr.performance_obligations ORDER BY contract_id, obligation_no;

\echo '== A fixed-fee implementation project for Initech, recognised by percent complete (SSP set for the contract)'
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('default', 'PROGRESS', 'Percent complete', 'percent_complete', '2100', '4200');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('default', 'IMPL', 'Implementation project', 'project', '4200', '2100', '1100', 'PROGRESS');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('default', 'IMPL', 'USD', 30000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item) VALUES
    ('default', 'IMPLEMENTATION', 'Implementation', 'USD', 'IMPL');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period) VALUES
    ('default', 'PROJECT', 'Fixed-fee project', 'expiring', 6, 'month', 'on_demand');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('default', 'PROJECT', 1, 'IMPLEMENTATION', 1);
SELECT rr.create_contract('INITECH', 'PROJECT', '2024-02-01', description => 'ERP implementation') AS project \gset
SELECT rr.set_obligation(:project, 1, standalone_price => 30000.00);
SELECT rr.setup_and_activate_contract(:project);
SELECT lines, total FROM rr.bill_contract(:project, '2024-02-01');
SELECT number, total FROM rr.post_invoices('2024-02-01');
SELECT rr.record_progress(:project, 1, 25, '2024-03-31') AS catch_up_25,
       rr.record_progress(:project, 1, 60, '2024-05-31') AS catch_up_60,
       rr.record_progress(:project, 1, 100, '2024-07-31') AS catch_up_100;

\echo '== Recognition runs on every month end of 2024, closing each month after its run'
SELECT upper(m) - 1 AS run_date, r.entries, r.revenue
  FROM rr.billing_periods('2024-01-01', '2025-01-01', '1 month', '2000-01-01') AS m
 CROSS JOIN LATERAL (SELECT count(*) AS entries, coalesce(sum(x.revenue), 0) AS revenue
                       FROM rr.recognize(upper(m) - 1) x) r
 CROSS JOIN LATERAL (SELECT rr.close_period(lower(m), 'month-end close')) c
 ORDER BY m;
SELECT period_start, status FROM rr.fiscal_period WHERE period_start < '2025-01-01' ORDER BY period_start;
SELECT count(*) AS entries_on_rerun FROM rr.recognize('2024-12-31');

\echo '== Acme''s bundle: the schedule with its status as of 2024-12-31 (licence on delivery,'
\echo '   maintenance evenly by days; the goodwill credit came off maintenance not yet earned first)'
SELECT obligation_no, item, source, period, amount, status, posted_period
  FROM rr.contract_revenue_schedule(1, '2024-12-31');

\echo '== Deferred revenue, unbilled receivable and contract asset per contract on 2024-06-30 and 2024-12-31'
SELECT contract_id, account, account_name, balance, net_position
  FROM rr.contract_balances('2024-06-30') WHERE balance <> 0;
SELECT contract_id, account, account_name, balance, net_position
  FROM rr.contract_balances('2024-12-31') WHERE balance <> 0;

\echo '== Reconciliation: billed = recognised + deferred - unbilled - contract asset (no rows: clean)'
SELECT * FROM rr.revenue_reconciliation('2024-12-31');

\echo '== Recognised revenue by account and quarter'
SELECT date_trunc('quarter', e.entry_date)::date AS quarter, l.account, a.name,
       sum(l.credit) - sum(l.debit) AS revenue
  FROM rr.journal_entry e
  JOIN rr.journal_line l USING (tenant_id, entry_id)
  JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 WHERE e.source = 'recognition' AND a.kind = 'revenue'
 GROUP BY 1, l.account, a.name ORDER BY 1, 2;

\echo '== Refusals: posting into a closed period, reopening without a reason'
\set ON_ERROR_STOP 0
INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
VALUES ('default', '2024-03-15', '2024-03-01', 'manual', 0, 'by hand');
SELECT rr.reopen_period('2024-12-01', NULL);
\set ON_ERROR_STOP 1
SELECT rr.reopen_period('2024-12-01', 'year-end adjustments') AS reopened;
SELECT rr.close_period('2024-12-01', 'year-end close') AS closed;
SELECT action, count(*) FROM rr.period_close_event GROUP BY action ORDER BY action;
RESET rr.tenant;

-- ---- beyond the demo
SET rr.tenant = 'default';
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at)
VALUES (2, 'API-CALL', 100, '2024-12-30 12:00-05');
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 3, 'Test currency');
SELECT rr.add_tenant_member('default', current_user);
