-- MRR counts a flat price model's fee as billing bills it (docs/reports.md, "MRR and ARR"):
-- every period, whatever the usage, and not discounted, since discounts apply to recurring
-- prices only (rr_internal.due_charges).  A platform fee of flat(99.00) a month beside one
-- seat of 10.00 a month: with a contract-wide 10 % discount the month bills 99.00 + 10.00 -
-- 1.00 = 108.00, and MRR is 108.00 (it was 98.10, the percent taken off the fee too); with
-- a contract-wide 20.00 a month off, the seat's 10.00 is all that can be taken off, and
-- both come to 99.00 (it was 89.00).
-- (Last in sql/schedule: the contracts it creates draw ids that the tests before it print.)
\set SHOW_CONTEXT never
SELECT rr.create_tenant('flatmrr', 'Flat fees in MRR', 'USD');
SET rr.tenant = 'flatmrr';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('flatmrr', 'FEE', 'Platform fee', '4000', '2100', '1100'), ('flatmrr', 'SEAT', 'Seat', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('flatmrr', 'FEE', 'USD', 99.00), ('flatmrr', 'SEAT', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model) VALUES
    ('flatmrr', 'PLATFORM', 'Platform', 'USD', 'FEE', 'prepaid', 'flat(99.00)'),
    ('flatmrr', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', NULL);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override) VALUES
    ('flatmrr', 'MONTHLY', 'One year, monthly', 1, 'year', 'month', 'calendar', true);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('flatmrr', 'CU', 'Customer', 'USD');
CREATE TEMP TABLE f (discount text, id bigint);
INSERT INTO f
SELECT d, rr.create_contract('CU', 'MONTHLY', '2027-01-01', '{"PLATFORM": {}, "SEATS": {"quantity": 1}}')
  FROM unnest(ARRAY['10 % off', '20.00 off']) d;
SELECT count(rr.add_discount(f.id, CASE f.discount WHEN '10 % off' THEN 'percent' ELSE 'amount' END,
                             CASE f.discount WHEN '10 % off' THEN 10 ELSE 20.00 END)) AS discounts
  FROM f;
SELECT count(rr.setup_and_activate_contract(id)) AS activated FROM f;
-- January 1 bills January's seat; February 1 January's fee (in arrears, as usage rating
-- bills a price model) and February's seat, discounted: a month's bill
SELECT count(*) AS january_invoices FROM rr.run_billing('2027-01-01');
CREATE TEMP TABLE feb AS SELECT * FROM rr.run_billing('2027-02-01');
SELECT f.discount, b.total AS billed, m.mrr
  FROM f
  JOIN feb b ON b.contract_id = f.id
  JOIN rr.mrr_as_of('2027-01-15') m ON m.contract_id = f.id
 ORDER BY f.id;
-- the MRR steps kept per contract say the same
SELECT f.discount, c.valid_from, c.mrr
  FROM f JOIN rr.contract_mrr c ON c.contract_id = f.id
 ORDER BY f.id, c.valid_from;
