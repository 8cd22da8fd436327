-- Catalog, templates, customers, contracts and the lifecycle (docs/catalog-and-contracts.md).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('shop', 'Example Shop', 'USD');
SET rr.tenant = 'shop';
SELECT count(*) AS accounts FROM rr.account WHERE tenant_id = 'shop';

INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('shop', 'SEAT', 'Seat', '4000', '2100', '1100'),
    ('shop', 'SETUP', 'Setup', '4400', '2100', '1100'),
    ('shop', 'RENEW', 'Renewal fee', '4400', '2100', '1100'),
    ('shop', 'CALL', 'API call', '4300', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('shop', 'SEAT', 'USD', 30.00), ('shop', 'SETUP', 'USD', 200.00), ('shop', 'RENEW', 'USD', 80.00),
    ('shop', 'CALL', 'USD', 0.0025), ('shop', 'SEAT', 'EUR', 28.00);
-- pricing options: setup 50 % of the item price, renewal 10 % of the setup price,
-- recurring at list price; a EUR item; a usage item with a price model
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_percent,
                              renewal_item, renewal_pricing, renewal_percent, collect_renewal_on_activation,
                              recurring_item, billing_type, min_quantity, max_quantity, default_quantity) VALUES
    ('shop', 'SEATS', 'Seats', 'USD', 'SETUP', 'percent_of_item_price', 50,
     'RENEW', 'percent_of_setup_price', 10, true, 'SEAT', 'prepaid', 1, 100, 5),
    ('shop', 'SEATS-EUR', 'Seats (EUR)', 'EUR', NULL, 'item_price', NULL,
     NULL, 'item_price', NULL, false, 'SEAT', 'prepaid', 1, 100, 5);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              included_quantity, billing_period) VALUES
    ('shop', 'CALLS', 'API calls', 'USD', 'CALL', 'postpaid', 'volume(1000: 0.003, *: 0.002)', 500, '3 months');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  billing_days, allow_override, effective_from, discontinue_after) VALUES
    ('shop', 'ANNUAL', 'Annual plan', 'renewable', 1, 'year', 'month', NULL, true, '2024-01-01', '2024-12-31'),
    ('shop', 'FIXED', 'Fixed plan, no overrides', 'expiring', 6, 'month', 'quarter', NULL, false, '2024-01-01', NULL),
    ('shop', 'OPEN', 'Open-ended plan', 'unlimited', NULL, 'year', 'custom_days', 45, false, '2024-01-01', NULL),
    ('shop', 'EMPTY', 'A template without lines', 'renewable', 1, 'year', 'month', NULL, false, '2024-01-01', NULL);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('shop', 'ANNUAL', 1, 'SEATS', NULL), ('shop', 'ANNUAL', 2, 'CALLS', 1),
    ('shop', 'FIXED', 1, 'SEATS', 3), ('shop', 'OPEN', 1, 'SEATS', 2);
INSERT INTO rr.customer (tenant_id, code, name, currency, payment_terms_days) VALUES
    ('shop', 'C1', 'First customer', 'USD', 14),
    ('shop', 'C2', 'Second customer', 'USD', NULL),
    ('shop', 'EU', 'European customer', 'EUR', NULL);
INSERT INTO rr.customer (tenant_id, code, name, currency, parent) VALUES
    ('shop', 'C1-SUB', 'Subsidiary of C1', 'USD', 'C1');

-- Prices resolved from the pricing options (exact, unrounded unit prices).
SELECT * FROM rr.contract_item_prices('shop', 'SEATS', 'USD');
SELECT * FROM rr.contract_item_prices('shop', 'CALLS', 'USD');
SELECT * FROM rr.contract_item_prices('shop', 'NO-SUCH-ITEM', 'USD');

-- create: a draft with the template's lines and terms; overrides change a line.
SELECT rr.create_contract('C1', 'ANNUAL', '2024-01-31', '{"SEATS": {"quantity": 12, "recurring_price": "27.50"}}') AS c1 \gset
SELECT status, currency, contract_type, start_date, end_date, billing_period, payment_terms_days, bill_to
  FROM rr.contract WHERE contract_id = :c1;
SELECT line_no, effective_from, contract_item, quantity, setup_price, renewal_price, recurring_price,
       price_model::text, billing_period
  FROM rr.contract_line WHERE contract_id = :c1 ORDER BY line_no;
SELECT rr.create_contract('C2', 'FIXED', '2024-03-15') AS c2 \gset
SELECT rr.create_contract('C1-SUB', 'OPEN', '2024-02-29') AS c3 \gset
SELECT contract_id = :c3 AS is_c3, contract_type, end_date, billing_period, billing_days
  FROM rr.contract WHERE contract_id = :c3;
SELECT billing_period FROM rr.contract_line WHERE contract_id = :c3;

-- the lifecycle: setup, activate; setup-and-activate; terminate; expire; complete
SELECT rr.setup_contract(:c1, '2024-02-01');
SELECT rr.activate_contract(:c1, '2024-02-05');
SELECT rr.setup_and_activate_contract(:c2);
SELECT rr.setup_and_activate_contract(:c3, '2024-03-01');
SELECT status, setup_date, activation_date FROM rr.contract WHERE contract_id IN (:c1, :c2, :c3) ORDER BY contract_id;

-- versioned lines: more seats from May, a price change from July, then removal of calls
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-05-01', quantity => 20);
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-07-01', prices => '{"recurring_price": "25.00"}');
SELECT rr.change_contract_line(:c1, 'CALLS', '2024-10-01', remove => true);
-- price overrides that are not prices of zero or more (the same check for new contracts,
-- whose refused calls would draw contract ids that later tests print)
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-08-01', prices => '{"recurring_price": -5}');
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-08-01', prices => '{"recurring_price": "ten"}');
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-08-01', prices => '{"renewal_price": [5]}');
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-08-01', prices => '{"recurring_price": "NaN"}');
SELECT rr.change_contract_line(:c1, 'SEATS', '2024-08-01', prices => '{"setup_price": "1e400"}');
SELECT line_no, effective_from, contract_item, quantity, recurring_price, is_removed
  FROM rr.contract_line WHERE contract_id = :c1 ORDER BY line_no, effective_from;
SELECT d, l.line_no, l.contract_item, l.quantity, l.recurring_price, l.is_removed
  FROM unnest('{2024-02-01,2024-05-01,2024-06-30,2024-07-01,2024-12-01}'::date[]) AS d,
       rr.contract_lines_as_of(:c1, d) AS l
 ORDER BY d, l.line_no;

SELECT rr.terminate_contract(:c1, '2024-11-15', 'customer moved to another plan');
SELECT rr.expire_contract(:c2, '2024-09-15');
SELECT rr.complete_contract(:c3, '2024-12-31', 'project finished');
SELECT status, termination_date, closed_date FROM rr.contract WHERE contract_id IN (:c1, :c2, :c3) ORDER BY contract_id;

-- the event log and reconstruction of the contract as recorded at any moment
SELECT action, effective_date, reason, session_role, acting_role,
       before->'contract'->>'status' AS before, after->'contract'->>'status' AS after,
       jsonb_array_length(after->'lines') AS line_versions
  FROM rr.contract_event WHERE contract_id = :c1 ORDER BY event_id;
SELECT rr.contract_as_of(:c1, '2000-01-01') IS NULL AS before_creation,
       rr.contract_as_of(:c1, (SELECT occurred_at FROM rr.contract_event WHERE contract_id = :c1 AND action = 'activate'))->'contract'->>'status' AS at_activation,
       rr.contract_as_of(:c1, now() + interval '1 day')->'contract'->>'status' AS now;
SELECT contract_id = :c1 AS is_c1, customer, status, lines, fixed_recurring_amount
  FROM rr.contract_overview WHERE contract_id IN (:c1, :c2) ORDER BY contract_id;

-- batch expiry: one statement, one event per contract, idempotent
SELECT rr.create_contract('C2', 'FIXED', '2024-01-10') AS c4 \gset
SELECT rr.setup_and_activate_contract(:c4);
SELECT count(*) AS expired FROM rr.expire_contracts('2024-07-09');
SELECT count(*) AS expired FROM rr.expire_contracts('2024-07-10');
SELECT count(*) AS expired_again FROM rr.expire_contracts('2024-07-10');
SELECT status, closed_date FROM rr.contract WHERE contract_id = :c4;
SELECT action, before->'contract'->>'status' AS before, after->'contract'->>'status' AS after
  FROM rr.contract_event WHERE contract_id = :c4 ORDER BY event_id;

-- the outbox: one row per activation, termination, expiry and completion, and one per
-- lapse (an expiry of a contract that could still have been renewed: both expired here are)
SELECT topic, count(*) FROM rr.outbox WHERE tenant_id = 'shop' GROUP BY topic ORDER BY topic;
UPDATE rr.outbox SET topic = 'x';

-- Bad input: every refusal a user can trigger, and nothing is left half written.
\set VERBOSITY default
SELECT count(*) AS contracts_before FROM rr.contract \gset
SELECT rr.create_contract('NOBODY', 'ANNUAL', '2024-02-01');
SELECT rr.create_contract('C1', 'NO-SUCH-TEMPLATE', '2024-02-01');
SELECT rr.create_contract('C1', 'ANNUAL', '2023-12-31');
SELECT rr.create_contract('C1', 'ANNUAL', '2025-01-01');
SELECT rr.create_contract('C1', 'ANNUAL', NULL);
SELECT rr.create_contract('C1', 'ANNUAL', '294276-01-01');
SELECT rr.create_contract('C1', 'ANNUAL', '4713-01-01 BC');
SELECT rr.create_contract('C1', 'ANNUAL', 'infinity');
SELECT rr.create_contract('C1', 'FIXED', '2024-02-01', '{"SEATS": {"quantity": 4}}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"SEATS": {"quantity": 101}}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"SEATS": {"quantity": 0}}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"NO-SUCH-ITEM": {"quantity": 1}}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"SEATS": {"discount": "10"}}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"SEATS": 5}');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '[1, 2]');
SELECT rr.create_contract('C1', 'ANNUAL', '2024-02-01', '{"SEATS-EUR": {"quantity": 2}}');
SELECT rr.create_contract('EU', 'FIXED', '2024-02-01');
SELECT rr.create_contract('C1', 'EMPTY', '2024-02-01');
SELECT count(*) - :contracts_before AS contracts_added_by_failed_calls FROM rr.contract;
SELECT count(*) AS lines_without_contract FROM rr.contract_line l
 WHERE NOT EXISTS (SELECT FROM rr.contract c WHERE c.tenant_id = l.tenant_id AND c.contract_id = l.contract_id);

SELECT rr.create_contract('C2', 'FIXED', '2024-04-01') AS c5 \gset
SELECT rr.activate_contract(:c5);
SELECT rr.terminate_contract(:c5, '2024-05-01');
SELECT rr.expire_contract(:c5);
SELECT rr.complete_contract(:c5);
SELECT rr.setup_contract(:c5, '2024-03-31');
SELECT rr.setup_contract(:c5, '2024-10-02');
SELECT rr.setup_contract(:c5, '2024-04-02');
SELECT rr.setup_contract(:c5);
SELECT rr.activate_contract(:c5, '2024-04-01');
SELECT rr.activate_contract(:c5, '2024-04-05');
SELECT rr.terminate_contract(:c5, '2024-04-04');
SELECT rr.terminate_contract(:c5, NULL);
SELECT rr.expire_contract(:c5, '2024-09-30');
SELECT rr.setup_and_activate_contract(:c1);
SELECT rr.terminate_contract(:c1, '2024-12-01');
SELECT rr.activate_contract(:c3);
SELECT rr.expire_contract(999999);
SELECT rr.change_contract_line(:c5, 'CALLS', '2024-06-01', quantity => 1);
SELECT rr.change_contract_line(:c5, 'SEATS', '2024-06-01', prices => '{"recurring_price": "1.00"}');
SELECT rr.change_contract_line(:c5, 'SEATS', '2024-06-01', quantity => 500);
SELECT rr.change_contract_line(:c5, 'SEATS', '2024-03-01', quantity => 4);
SELECT rr.create_contract('C1-SUB', 'OPEN', '2024-02-01') AS c6 \gset
SELECT rr.setup_and_activate_contract(:c6);
SELECT rr.expire_contract(:c6, '2099-01-01');
SELECT rr.terminate_contract(:c6, 'infinity');
SELECT rr.change_contract_line(:c6, 'SEATS', '4713-01-01 BC', quantity => 3);
SELECT rr.expire_contracts('infinity');
SELECT rr.expire_contracts('294276-01-01');
SELECT rr.expire_contracts(NULL);
SELECT rr.billing_interval('fortnight');
SELECT rr.billing_interval('on_demand') IS NULL AS on_demand_is_null;
SELECT rr.billing_interval('custom_days', 45) AS custom, rr.billing_interval('custom_days', 36525) AS longest;
SELECT rr.billing_interval('custom_days', 0);
SELECT rr.billing_interval('custom_days', 2147483647);
SELECT rr.billing_interval('custom_days');

-- catalog constraints
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('shop', 'SEAT', 'Duplicate', '4000', '2100', '1100');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('shop', 'X', 'Unknown account', '9999', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('shop', 'SEAT', 'XYZ', 1);
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('shop', 'SEAT', 'GBP', -1);
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('shop', 'SEAT', 'GBP', 'NaN');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('shop', 'SEAT', 'GBP', 'Infinity');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('shop', 'SEAT', 'GBP', 1e15);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing, recurring_price)
VALUES ('shop', 'BAD-NAN', 'NaN recurring price', 'USD', 'SEAT', 'prepaid', 'manual', 'NaN');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price)
VALUES ('shop', 'BAD-INF', 'Infinite setup price', 'USD', 'SEAT', 'manual', 'Infinity');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, included_quantity)
VALUES ('shop', 'BAD-INCL', 'Huge included quantity', 'USD', 'SEAT', 'prepaid', 1e30);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, min_quantity, max_quantity, default_quantity)
VALUES ('shop', 'BAD-QTY', 'Bad quantities', 'USD', 'SEAT', 'prepaid', 10, 5, 7);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing)
VALUES ('shop', 'BAD-MANUAL', 'Manual without a price', 'USD', 'SEAT', 'prepaid', 'manual');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount)
VALUES ('shop', 'BAD-DEPOSIT', 'Deposit in fractions of a cent', 'USD', 'SEAT', 'deposit', 100.005);
-- the same when an update changes the currency (the yen has no minor units), and a deposit
-- that is not positive (rolled back)
BEGIN;
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount)
VALUES ('shop', 'DEP-CENTS', 'Deposit in cents', 'USD', 'SEAT', 'deposit', 100.50);
SAVEPOINT s;
UPDATE rr.contract_item SET currency = 'JPY' WHERE tenant_id = 'shop' AND code = 'DEP-CENTS';
ROLLBACK TO s;
UPDATE rr.contract_item SET deposit_amount = 0 WHERE tenant_id = 'shop' AND code = 'DEP-CENTS';
ROLLBACK;
INSERT INTO rr.contract_item (tenant_id, code, name, currency, billing_type)
VALUES ('shop', 'NOTHING', 'No item at all', 'USD', 'none');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model)
VALUES ('shop', 'BAD-MODEL', 'Bad price model', 'USD', 'CALL', 'postpaid', 'graduated(10: 1, 5: 2, *: 1)');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration)
VALUES ('shop', 'BAD-UNLIMITED', 'Unlimited with a duration', 'unlimited', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, billing_period)
VALUES ('shop', 'BAD-DAYS', 'Custom days without days', 'custom_days');
INSERT INTO rr.contract_template (tenant_id, code, name, effective_from, discontinue_after)
VALUES ('shop', 'BAD-DATES', 'Discontinued before effective', '2024-06-01', '2024-01-01');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit)
VALUES ('shop', 'BAD-LONG', 'A term of 2^31-1 years', 2147483647, 'year');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit)
VALUES ('shop', 'BAD-DAYS-LONG', 'A term of 36526 days', 36526, 'day');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, effective_from)
VALUES ('shop', 'BAD-FROM', 'Effective from 4713 BC', 1, '4713-01-01 BC');
INSERT INTO rr.customer (tenant_id, code, name, currency, parent) VALUES ('shop', 'LOOP', 'Own parent', 'USD', 'LOOP');
INSERT INTO rr.customer (tenant_id, code, name, currency, time_zone) VALUES ('shop', 'MARS', 'Bogus zone', 'USD', 'Mars/Olympus');
UPDATE rr.customer SET time_zone = 'EST5EDT-bogus' WHERE code = 'C1';
SELECT rr.create_tenant('bad tenant', 'Bad id', 'USD');
SELECT rr.create_tenant('zz', 'Bad currency', 'ABC');
SELECT rr.create_tenant('zz', 'Bad zone', 'USD', 'Mars/Olympus');

-- the event log is append-only, for every role including the owner
UPDATE rr.contract_event SET reason = 'rewritten' WHERE contract_id = :c1;
DELETE FROM rr.contract_event WHERE contract_id = :c1;
TRUNCATE rr.contract_event;
RESET rr.tenant;
