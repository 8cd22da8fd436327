-- Billing that stays exact: stacked discounts never take a line below zero, flat fees
-- bill every period, volume pricing on a counter that never resets is never negative,
-- and document numbers never truncate (issue 13).  The lock that makes a run bill the
-- committed terms is tested by test/isolation/specs/billing_race.spec.
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('exact', 'Exact billing tests', 'USD');
SET rr.tenant = 'exact';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('exact', 'SUB', 'Subscription', '4000', '2100', '1100'),
    ('exact', 'ADDON', 'Add-on', '4000', '2100', '1100'),
    ('exact', 'CALL', 'API call', '4300', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('exact', 'SUB', 'USD', 100.00), ('exact', 'ADDON', 'USD', 50.00), ('exact', 'CALL', 'USD', 0.10);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('exact', 'PLAN', 'Plan, 100.00 a month', 'USD', 'SUB', 'prepaid'),
    ('exact', 'EXTRA', 'Add-on, 50.00 a month', 'USD', 'ADDON', 'prepaid');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, included_quantity, reset_usage, usage_aggregation) VALUES
    -- a platform fee of 49.00 a month, whatever the usage
    ('exact', 'FLAT', 'Platform fee', 'USD', 'CALL', 'postpaid', 'flat(49.00)', 'item_price', 0, 'on_billing', 'sum'),
    -- volume prices on a counter that never resets: 1.00 a call up to 100, 0.50 beyond
    ('exact', 'VOLUME', 'Calls, volume priced', 'USD', 'CALL', 'postpaid', 'volume(100: 1.00, *: 0.50)', 'item_price',
     0, 'never', 'sum'),
    -- the same tiers graduated: tiers apply to the counter
    ('exact', 'GRADUATED', 'Calls, graduated', 'USD', 'CALL', 'postpaid', 'graduated(100: 1.00, *: 0.50)', 'item_price',
     0, 'never', 'sum'),
    -- volume prices with 50 calls included for the term (unused ones carry over)
    ('exact', 'VOLUME-INCL', 'Calls, volume priced, 50 included', 'USD', 'CALL', 'postpaid',
     'volume(100: 1.00, *: 0.50)', 'item_price', 50, 'never', 'sum');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('exact', 'ONE', 'One line', 1, 'year', 'month', 'calendar'),
    ('exact', 'TWO', 'Two lines', 1, 'year', 'month', 'calendar'),
    ('exact', 'METERED', 'Metered', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('exact', 'ONE', 1, 'PLAN', 1), ('exact', 'TWO', 1, 'PLAN', 1), ('exact', 'TWO', 2, 'EXTRA', 1),
    ('exact', 'METERED', 1, 'FLAT', 1), ('exact', 'METERED', 2, 'VOLUME', 1),
    ('exact', 'METERED', 3, 'GRADUATED', 1), ('exact', 'METERED', 4, 'VOLUME-INCL', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('exact', 'CU', 'Customer', 'USD');

-- Stacked discounts.  The order: percent discounts first, which add up (together at most
-- 100 %); then amount discounts, in the order they were added, each on what the line has
-- left; then contract-wide amounts, split over what the lines have left.  No line goes
-- below zero.
-- 65.00 off (added first) and 50 % off a 100.00 line: -50.00 (percent first), then -50.00
-- (the 65.00 capped by the 50.00 left): the line nets 0.00, not -15.00.
SELECT rr.create_contract('CU', 'ONE', '2024-01-01') AS d1 \gset
SELECT rr.setup_and_activate_contract(:d1);
SELECT rr.add_discount(:d1, 'amount', 65.00, 1, description => 'sixty-five off') > 0 AS added;
SELECT rr.add_discount(:d1, 'percent', 50, 1, description => 'half off') > 0 AS added;
-- 10 % + 20 % + 30.00 + 50.00 off 100.00: -10.00, -20.00 (30 % in all), -30.00, -40.00
SELECT rr.create_contract('CU', 'ONE', '2024-01-01') AS d2 \gset
SELECT rr.setup_and_activate_contract(:d2);
SELECT rr.add_discount(:d2, 'percent', 10, 1) > 0 AS added, rr.add_discount(:d2, 'percent', 20) > 0 AS added,
       rr.add_discount(:d2, 'amount', 30.00, 1) > 0 AS added, rr.add_discount(:d2, 'amount', 50.00, 1) > 0 AS added;
-- 60 % + 70 %: -60.00, then -40.00 (percents stop at 100 %)
SELECT rr.create_contract('CU', 'ONE', '2024-01-01') AS d3 \gset
SELECT rr.setup_and_activate_contract(:d3);
SELECT rr.add_discount(:d3, 'percent', 60, 1) > 0 AS added, rr.add_discount(:d3, 'percent', 70, 1) > 0 AS added;
-- lines of 100.00 and 50.00, 50 % off the first; 30.00 then 90.00 off the contract month:
-- the 30.00 is split 15.00 / 15.00 over what is left (50.00 / 50.00), the 90.00 takes
-- the 70.00 still left, 35.00 / 35.00: both lines net 0.00
SELECT rr.create_contract('CU', 'TWO', '2024-01-01') AS d4 \gset
SELECT rr.setup_and_activate_contract(:d4);
SELECT rr.add_discount(:d4, 'percent', 50, 1) > 0 AS added, rr.add_discount(:d4, 'amount', 30.00) > 0 AS added,
       rr.add_discount(:d4, 'amount', 90.00) > 0 AS added;
SELECT contract_id - :d1 + 1 AS contract, lines, total FROM rr.run_billing('2024-01-01') ORDER BY contract_id;
SELECT i.contract_id - :d1 + 1 AS contract, l.line_no, l.kind, l.contract_item, l.unit_price, l.amount,
       d.kind AS discount_kind, d.value AS discount_value
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
  LEFT JOIN rr.charge ch ON ch.tenant_id = l.tenant_id AND ch.charge_id = l.charge_id
  LEFT JOIN rr.discount d ON l.kind = 'discount' AND d.tenant_id = l.tenant_id AND d.discount_id = ch.adjustment_seq
 WHERE i.tenant_id = 'exact' ORDER BY i.contract_id, l.line_no;
-- what each line nets, per contract line and period: never below zero
SELECT contract_id - :d1 + 1 AS contract, line_no, sum(amount) AS net, min(sum(amount)) OVER () >= 0 AS never_negative
  FROM rr.charge WHERE tenant_id = 'exact' GROUP BY contract_id, line_no ORDER BY 1, 2;

-- Flat fees: 49.00 in every period, with usage (January) or without (February);
-- rr.price says the same at any quantity.
SELECT rr.price('flat(49.00)', 0) AS flat_at_0, rr.price('flat(49.00)', 120) AS flat_at_120;
-- Volume pricing on a counter that never resets: January 80 calls (80.00), February 40
-- calls (the period's own 40 calls: 40.00, where the counter's difference
-- P(120) - P(80) = 60.00 - 80.00 would be -20.00).  Graduated keeps the counter:
-- 80.00, then P(120) - P(80) = 110.00 - 80.00 = 30.00.  With 50 calls included for the
-- term: January 30 calls (0.00, 20 included left), February 60 (40 billable: 40.00).
SELECT rr.create_contract('CU', 'METERED', '2024-01-01') AS m \gset
SELECT rr.setup_and_activate_contract(:m);
SELECT rr.record_usage(ARRAY[
    ROW(:m, NULL, 'FLAT', 7, '2024-01-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'VOLUME', 80, '2024-01-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'VOLUME', 40, '2024-02-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'GRADUATED', 80, '2024-01-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'GRADUATED', 40, '2024-02-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'VOLUME-INCL', 30, '2024-01-10 12:00+00', NULL, NULL),
    ROW(:m, NULL, 'VOLUME-INCL', 60, '2024-02-10 12:00+00', NULL, NULL)]::rr.usage_record[]) AS recorded;
SELECT lines, total FROM rr.bill_contract(:m, '2024-03-01');
SELECT l.contract_item, l.service_period, l.quantity, l.amount,
       l.detail->>'billable' AS billable, l.detail->>'counter' AS counter
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.tenant_id = 'exact' AND i.contract_id = :m ORDER BY l.contract_line_no, l.service_period;
SELECT contract_item, service_period, tier, tier_units, tier_unit_price, tier_flat_fee, tier_amount, amount
  FROM rr.usage_line_detail d JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE i.tenant_id = 'exact' AND i.contract_id = :m ORDER BY d.contract_line_no, d.service_period, tier;
-- a re-run bills nothing again
SELECT count(*) AS invoices FROM rr.bill_contract(:m, '2024-03-01');
SELECT count(*) AS negative_usage_charges FROM rr.charge WHERE tenant_id = 'exact' AND kind = 'usage' AND amount < 0;

-- Document numbers never truncate: the counter near a million.
INSERT INTO rr.invoice_counter (tenant_id, series, prefix, next_number) VALUES ('exact', 'INV', 'INV-', 999999);
SELECT number, total FROM rr.post_invoices('2024-03-01') ORDER BY invoice_id;
SELECT series, prefix, next_number, min_digits FROM rr.invoice_counter WHERE tenant_id = 'exact';
-- a tenant's format: prefix and minimum width, changed by rr_admin; the counter goes on
SET ROLE rr_admin;
UPDATE rr.invoice_counter SET prefix = 'EX/', min_digits = 9 WHERE series = 'INV';
INSERT INTO rr.invoice_counter (tenant_id, series, prefix, min_digits) VALUES ('exact', 'CN', 'CR-', 3);
RESET ROLE;
SELECT number, total FROM rr.credit_invoice((SELECT invoice_id FROM rr.invoice WHERE tenant_id = 'exact' AND number = 'INV-1000003'),
                                            10.00, credit_date => '2024-03-02');
SELECT lines, total FROM rr.bill_contract(:d1, '2024-02-01');
SELECT number, total FROM rr.post_invoices('2024-03-01');
SELECT rr_internal.document_number('INV-', 42, 6) AS n42, rr_internal.document_number('INV-', 1000000, 6) AS n1m,
       rr_internal.document_number('', 9223372036854775807, 18) AS nmax;
SELECT count(*) AS documents, count(DISTINCT number) AS distinct_numbers FROM rr.invoice WHERE tenant_id = 'exact' AND status = 'posted';
-- each posted document's number has its row in rr.invoice_number, whose key keeps numbers
-- unique (rr.invoice has no index on them, so that posting's update of an invoice stays on
-- its page), and no posted document is still among the drafts to post
SELECT count(*) AS numbered FROM rr.invoice i
  JOIN rr.invoice_number n ON n.tenant_id = i.tenant_id AND n.series = i.series AND n.number = i.number
                          AND n.invoice_id = i.invoice_id
 WHERE i.tenant_id = 'exact' AND i.status = 'posted';
SELECT count(*) AS posted_drafts FROM rr.invoice_draft d JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE d.tenant_id = 'exact' AND i.status = 'posted';
-- a counter moved back by its owner (no rr_* role may) would give a number twice: posting
-- is refused, and nothing of it stays
BEGIN;
SELECT lines FROM rr.bill_contract(:d1, '2024-04-01');
UPDATE rr.invoice_counter SET next_number = next_number - 1 WHERE tenant_id = 'exact' AND series = 'INV';
SELECT number FROM rr.post_invoices('2024-04-01');
ROLLBACK;

-- Bad input: refused.
\set VERBOSITY default
SET ROLE rr_admin;
-- a prefix ending in a digit would make numbers of two formats collide (INV-1 + 0001 = INV- + 10001)
UPDATE rr.invoice_counter SET prefix = 'INV-1' WHERE series = 'INV';
UPDATE rr.invoice_counter SET min_digits = 0 WHERE series = 'INV';
UPDATE rr.invoice_counter SET min_digits = 19 WHERE series = 'INV';
-- the counter is the extension's: numbers stay gapless
UPDATE rr.invoice_counter SET next_number = 5 WHERE series = 'INV';
INSERT INTO rr.invoice_counter (tenant_id, series, next_number) VALUES ('exact', 'CN', 7);
INSERT INTO rr.invoice_counter (tenant_id, series) VALUES ('exact', 'XX');
RESET ROLE;
-- discounts stay refused beyond 100 % each
\set VERBOSITY terse
SELECT rr.add_discount(:d1, 'percent', 100.01, 1);
