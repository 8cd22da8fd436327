-- What is due gates the passes over every line version that only setup fees and deposits,
-- discounts, renewal fees and billed periods need: each runs only when the tenant (or the
-- contract billed) has one of them, tested once per statement
-- (src/sql/50_billing/40_due_charges.sql).  A tenant that gains them after its first runs
-- has them billed from its next run, and nothing twice.  (At the end of sql/schedule: the
-- contracts it creates draw ids that the tests before it print.)
\set SHOW_CONTEXT never
SELECT count(*) > 0 AS roles FROM rr.create_roles();
SELECT rr.create_tenant('gates', 'A tenant that gains fees and discounts later', 'USD');
SET rr.tenant = 'gates';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('gates', 'SUB', 'Subscription', '4000', '2100', '1100'), ('gates', 'SETUP', 'Setup', '4400', '2100', '1100'),
    ('gates', 'RENEW', 'Renewal', '4400', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('gates', 'SUB', 'USD', 100.00), ('gates', 'SETUP', 'USD', 40.00), ('gates', 'RENEW', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('gates', 'PLAN', 'Plan, 100.00 a month', 'USD', 'SUB', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('gates', 'PLAIN', 'Plain plan', 1, 'year', 'month', 'calendar'),
    ('gates', 'FEES', 'Plan with a setup fee and a renewal fee', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('gates', 'PLAIN', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('gates', 'CU', 'Customer', 'USD');
SELECT rr.create_contract('CU', 'PLAIN', '2024-01-01') AS g1 \gset
SELECT rr.setup_and_activate_contract(:g1);
-- January: recurring charges only, no contract billed before
SELECT contract_id - :g1 + 1 AS contract, lines, total FROM rr.run_billing('2024-01-01');
-- the tenant's first discount, on the contract billed; its first contract item with a setup
-- fee and a renewal fee collected on activation, on a new contract
SELECT rr.add_discount(:g1, 'percent', 10, 1) > 0 AS added;
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, renewal_item,
                              collect_renewal_on_activation, recurring_item, billing_type) VALUES
    ('gates', 'PLAN-FEES', 'Plan with fees', 'USD', 'SETUP', 'RENEW', true, 'SUB', 'prepaid');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('gates', 'FEES', 1, 'PLAN-FEES', 1);
SELECT rr.create_contract('CU', 'FEES', '2024-02-01') AS g2 \gset
SELECT rr.setup_and_activate_contract(:g2);
-- February: the discount (January's too: it has no start date), the setup fee and the
-- renewal fee billed
SELECT contract_id - :g1 + 1 AS contract, lines, total FROM rr.run_billing('2024-02-01') ORDER BY contract_id;
-- March: the months and the discount only, no fee again
SELECT contract_id - :g1 + 1 AS contract, lines, total FROM rr.run_billing('2024-03-01') ORDER BY contract_id;
SELECT contract_id - :g1 + 1 AS contract, kind, lower(service_period) AS period_from, amount
  FROM rr.charge WHERE tenant_id = 'gates' ORDER BY contract_id, lower(service_period), kind;
