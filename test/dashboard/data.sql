-- Data the dashboard test adds to the demo (test/dashboard/run loads it after
-- demo/60_payments.sql, before recognition closes 2024): a second currency in tenant
-- "default" (yen, no minor units) whose customer has a hostile name, and a second tenant
-- whose customer must never show on the default tenant's page.
SET rr.tenant = 'default';
-- 12 seats at 5,000 yen a month from 1 December 2024: new MRR 60,000 in December, ARR 720,000
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('default', 'SEAT', 'JPY', 5000);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type,
                              min_quantity, max_quantity, default_quantity, standalone_price)
VALUES ('default', 'CLOUD-SEATS-JPY', 'Cloud seats (yen)', 'JPY', 'SEAT', 'prepaid', 1, 500, 10, 5000);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  billing_period, alignment, allow_override, renewal_point_days,
                                  grace_period_days, refund_policy)
VALUES ('default', 'CLOUD-JPY', 'Cloud plan in yen', 'renewable', 1, 'year', 'month', 'calendar', true, 30, 0, 'prorated');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
VALUES ('default', 'CLOUD-JPY', 1, 'CLOUD-SEATS-JPY', NULL);
INSERT INTO rr.customer (tenant_id, code, name, currency)
VALUES ('default', 'HOSTILE', '<script>alert("rr")</script> & <b>Söhne</b>', 'JPY');
SELECT rr.create_contract('HOSTILE', 'CLOUD-JPY', '2024-12-01', '{"CLOUD-SEATS-JPY": {"quantity": 12}}') AS yen \gset
SELECT rr.setup_and_activate_contract(:yen);
-- yen postings are converted into the functional currency USD (docs/dunning-and-currencies.md)
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate)
VALUES ('default', 'JPY', 'USD', '2024-12-01', 0.0067);
SELECT count(*) AS invoices FROM rr.run_billing('2024-12-31');
SELECT count(*) AS posted FROM rr.post_invoices('2024-12-31');
RESET rr.tenant;

-- tenant "rival": one contract in force all year
SELECT rr.create_tenant('rival', 'Rival Books', 'USD');
SET rr.tenant = 'rival';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('rival', 'SEAT', 'Rival seat', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('rival', 'SEAT', 'USD', 777.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type,
                              min_quantity, max_quantity, default_quantity, standalone_price)
VALUES ('rival', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 1, 500, 3, 777.00);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period)
VALUES ('rival', 'PLAN', 'Plan', 'renewable', 1, 'year', 'month');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('rival', 'PLAN', 1, 'SEATS', NULL);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('rival', 'RIVALCO', 'Rival Secret Customer', 'USD');
SELECT rr.create_contract('RIVALCO', 'PLAN', '2024-01-01') AS rival \gset
SELECT rr.setup_and_activate_contract(:rival);
SELECT count(*) AS invoices FROM rr.run_billing('2024-12-31');
SELECT count(*) AS posted FROM rr.post_invoices('2024-12-31');
RESET rr.tenant;
