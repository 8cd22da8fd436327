-- recurring_revenue demo: a small catalog, contracts from templates, and the lifecycle.
\echo
\echo '== Roles, a tenant (Northwind Software, books in USD) and its default chart of accounts'
SELECT * FROM rr.create_roles();
SELECT rr.create_tenant('default', 'Northwind Software', 'USD', 'America/New_York');
-- every transaction names its tenant (there is no default tenant); here, the session
SET rr.tenant = 'default';
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
                              min_quantity, max_quantity, default_quantity, standalone_price, setup_timing) VALUES
    -- SaaS seats billed monthly in advance, with a one-off onboarding fee billed with the
    -- first month, when billing starts (the default, setup_timing 'setup', would bill it on
    -- the day the contract is set up: docs/one-off-charges.md, "Setup-fee timing")
    ('default', 'CLOUD-SEATS', 'Cloud seats', 'USD', 'ONBOARD', 'SEAT', 'prepaid', 5, 500, 10, 49.00, 'billing_start');
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
RESET rr.tenant;
