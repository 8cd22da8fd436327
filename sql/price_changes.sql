-- Catalog price changes (docs/catalog-and-contracts.md, "Price changes"): effective-dated
-- list and manual prices; a change moved on a date inside a billed month (credit and rebill
-- of the days after it, exact), a change taken at renewal (price and renewal fee of the new
-- term), a change existing contracts keep; the preview before and the log after; re-runs
-- move nothing; every refusal.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('pc', 'Price changes', 'USD');
SET rr.tenant = 'pc';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('pc', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('pc', 'SEAT', 'Seat, per month', '4000', '2100', '1100', 'DAILY'),
    ('pc', 'SUPP', 'Support, per month', '4000', '2100', '1100', 'DAILY'),
    ('pc', 'RENEW', 'Renewal fee', '4400', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('pc', 'SEAT', 'USD', 10.00);
-- SEATS follow the SEAT list price; SUPPORT has manual prices: 50.00 a month and a renewal
-- fee of 100.00 per renewed term
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing,
                              recurring_price, renewal_item, renewal_pricing, renewal_price) VALUES
    ('pc', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 'item_price', NULL, NULL, 'item_price', NULL),
    ('pc', 'SUPPORT', 'Support', 'USD', 'SUPP', 'prepaid', 'manual', 50.00, 'RENEW', 'manual', 100.00);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  renewal_point_days, mass_renewal, billing_period, alignment, allow_override) VALUES
    ('pc', 'ANNUAL', 'Annual', 'renewable', 1, 'year', 30, true, 'month', 'calendar', true);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('pc', 'CU', 'Customer', 'USD');

-- A: 5 seats at the list price (10.00); B: 5 seats at a negotiated 8.00; C: support.
-- All from 2024-01-01 for a year.
SELECT rr.create_contract('CU', 'ANNUAL', '2024-01-01', '{"SEATS": {"quantity": 5}}') AS k_a \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2024-01-01', '{"SEATS": {"quantity": 5, "recurring_price": "8.00"}}') AS k_b \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2024-01-01', '{"SUPPORT": {"quantity": 1}}') AS k_c \gset
SELECT rr.setup_and_activate_contract(id) FROM unnest(ARRAY[:k_a, :k_b, :k_c]) AS id;
-- January to March billed: A 3 × 50.00, B 3 × 40.00, C 3 × 50.00
SELECT contract_id, sum(total) AS billed FROM rr.run_billing('2024-03-01') GROUP BY 1 ORDER BY 1;

-- (1) The SEAT list price becomes 12.00 from 2024-03-01; existing contracts move on
-- 2024-03-16, inside March, which is billed.
SELECT rr.schedule_price_change('SEAT', 'usd', 12.00, '2024-03-01', 'on_date', '2024-03-16',
                                'yearly list price review') AS ch_seat \gset
SELECT change_id, item, currency, contract_item, price_kind, price, effective_from, existing_contracts, move_on, reason,
       session_role = session_user AS by_me
  FROM rr.price_change ORDER BY change_id;
-- the list price on a date: 10.00 until 2024-02-29, then 12.00
SELECT rr.list_price('pc', 'SEAT', 'USD', '2024-02-29') AS feb, rr.list_price('pc', 'SEAT', 'USD', '2024-03-01') AS mar,
       (rr.contract_item_prices('pc', 'SEATS', 'USD', '2024-03-01')).recurring_price AS seats_mar;
-- the preview: A moves on 2024-03-16 from 50.00 to 60.00 a month; B (8.00, negotiated) and
-- C (another item) do not move
SELECT * FROM rr.preview_price_change(:ch_seat);
-- applied before its move date: nothing yet
SELECT count(*) AS moved FROM rr.apply_price_changes('2024-03-15');
SELECT * FROM rr.apply_price_changes('2024-03-16');
-- a re-run moves nothing, and the preview is empty
SELECT count(*) AS moved FROM rr.apply_price_changes('2024-04-30');
SELECT count(*) AS left_to_move FROM rr.preview_price_change(:ch_seat);
SELECT change_id, contract_id, line_no, move_date, old_recurring_price, new_recurring_price,
       old_renewal_price, new_renewal_price
  FROM rr.price_change_line ORDER BY change_id, contract_id, line_no;
SELECT line_no, effective_from, quantity, recurring_price FROM rr.contract_line WHERE contract_id = :k_a
 ORDER BY line_no, effective_from;
SELECT contract_id, action, effective_date, reason FROM rr.contract_event WHERE action = 'price_change';
-- billing credits March's days from the 16th at 10.00 and bills them at 12.00: 16 of 31
-- days, 50.00 × 16 / 31 = 25.81 credited (the old version keeps 50.00 × 15 / 31 = 24.19)
-- and 60.00 × 16 / 31 = 30.97 charged; April 60.00.  March costs 24.19 + 30.97 = 55.16.
SELECT contract_id, line_effective_from, service_period, adjustment_seq, unit_price, amount
  FROM rr.due_charges('pc', '2024-04-01', :k_a) WHERE lower(service_period) >= '2024-03-01' ORDER BY service_period, line_effective_from, adjustment_seq;
SELECT contract_id, sum(total) AS billed FROM rr.run_billing('2024-04-01') GROUP BY 1 ORDER BY 1;
-- a contract created now gets the new list price without moving
SELECT rr.create_contract('CU', 'ANNUAL', '2024-04-01', '{"SEATS": {"quantity": 1}}') AS k_e \gset
SELECT contract_id, effective_from, recurring_price FROM rr.contract_line WHERE contract_id = :k_e;
-- revenue re-planned from 2024-03-16: A's year is 2 × 50.00 + 55.16 + 9 × 60.00 = 695.16
SELECT sum(amount) AS revenue_term FROM rr.contract_revenue_schedule(:k_a, '2024-04-01');

-- (2) SUPPORT's manual price becomes 55.00, and its renewal fee 120.00, from 2024-06-01;
-- existing contracts move at their next renewal (C: 2025-01-01).
SELECT rr.schedule_contract_item_price_change('SUPPORT', 'recurring', 55.00, '2024-06-01', 'at_renewal') AS ch_supp \gset
SELECT rr.schedule_contract_item_price_change('SUPPORT', 'renewal', 120.00, '2024-06-01', 'at_renewal') AS ch_fee \gset
SELECT * FROM rr.preview_price_change(:ch_supp);
SELECT * FROM rr.preview_price_change(:ch_fee);
-- before the renewal, applying moves nothing: C's current term keeps 50.00
SELECT count(*) AS moved FROM rr.apply_price_changes('2024-12-01');
-- the mass renewal of 2024-12-02 renews A, B and C; C's line moves to 55.00 and 120.00 from
-- 2025-01-01 in the same transaction
SELECT contract_id, previous_end, new_end FROM rr.run_renewals('2024-12-02') ORDER BY 1;
SELECT change_id, contract_id, line_no, move_date, old_recurring_price, new_recurring_price,
       old_renewal_price, new_renewal_price
  FROM rr.price_change_line WHERE change_id IN (:ch_supp, :ch_fee) ORDER BY change_id;
SELECT line_no, effective_from, recurring_price, renewal_price FROM rr.contract_line WHERE contract_id = :k_c
 ORDER BY line_no, effective_from;
-- January 2025 bills C's renewal fee at 120.00 and the month at 55.00
SELECT kind, service_period, unit_price, amount FROM rr.due_charges('pc', '2025-01-01', :k_c)
 WHERE lower(service_period) = '2025-01-01' ORDER BY kind;
SELECT count(*) AS moved FROM rr.apply_price_changes('2025-01-31');

-- (3) The SEAT list price becomes 15.00 from 2024-09-01, and existing contracts keep theirs:
-- nothing moves; a quantity change keeps the contract's 12.00, a line written from
-- 2024-09-01 on gets 15.00.
SELECT rr.schedule_price_change('SEAT', 'USD', 15.00, '2024-09-01') AS ch_keep \gset
SELECT count(*) AS would_move FROM rr.preview_price_change(:ch_keep);
SELECT count(*) AS moved FROM rr.apply_price_changes('2025-01-31');
SELECT rr.list_price('pc', 'SEAT', 'USD', '2024-08-31') AS aug, rr.list_price('pc', 'SEAT', 'USD', '2024-09-01') AS sep,
       (rr.contract_item_prices('pc', 'SEATS', 'USD', '2024-09-01')).recurring_price AS seats_sep;
SELECT rr.change_contract_line(:k_e, 'SEATS', '2024-09-01', 2);
SELECT effective_from, quantity, recurring_price FROM rr.contract_line WHERE contract_id = :k_e ORDER BY effective_from;

-- Bad input, each refused with nothing written
SELECT rr.schedule_price_change('NOPE', 'USD', 1, '2024-01-01');
SELECT rr.schedule_price_change('SEAT', 'XXX', 1, '2024-01-01');
SELECT rr.schedule_price_change('SEAT', 'USD', -1, '2024-01-01');
SELECT rr.schedule_price_change('SEAT', 'USD', 'NaN', '2024-01-01');
SELECT rr.schedule_price_change('SEAT', 'USD', 1, NULL);
SELECT rr.schedule_price_change('SEAT', 'USD', 1, '2024-01-01', 'sometimes');
SELECT rr.schedule_price_change('SEAT', 'USD', 1, '2024-01-01', 'keep', '2024-02-01');
SELECT rr.schedule_price_change('SEAT', 'USD', 1, '2024-03-01', 'on_date', '2024-02-01');
SELECT rr.schedule_price_change('SEAT', 'USD', 13.00, '2024-03-01');
SELECT rr.schedule_contract_item_price_change('SEATS', 'recurring', 1, '2024-01-01');
SELECT rr.schedule_contract_item_price_change('SUPPORT', 'discount', 1, '2024-01-01');
SELECT rr.schedule_contract_item_price_change('NOPE', 'recurring', 1, '2024-01-01');
SELECT rr.preview_price_change(999);
SELECT rr.apply_price_changes(NULL);
UPDATE rr.price_change SET price = 0;
DELETE FROM rr.price_change_line;
SELECT count(*) AS changes FROM rr.price_change;

-- Expiring and expired contracts (docs/catalog-and-contracts.md, "Expiring contracts"), on
-- 2025-12-20 within 30 days: A, B and C end on 2026-01-01 (due, renewal point 2025-12-02),
-- E (2024-04-01 to 2025-04-01, never activated) is not listed; a contract of 2024-12-01 to
-- 2025-12-01 with no grace is past its grace, and one expired on 2025-12-15 too.
SELECT rr.setup_and_activate_contract(rr.create_contract('CU', 'ANNUAL', '2024-12-01', '{"SEATS": {"quantity": 1}}')) AS k_past \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2024-12-15', '{"SEATS": {"quantity": 1}}') AS k_x \gset
-- (activated first, in a transaction of its own: on Citus two workflows that use work
-- tables on the worker cannot commit together)
SELECT rr.setup_and_activate_contract(:k_x) AS k_x_status \gset
SELECT :'k_x_status' AS setup_and_activate_contract, rr.expire_contract(:k_x, '2025-12-15');
SELECT contract_id - :k_a AS k, status, end_date, grace_ends, days_to_end, expiry_state, renewal_state, renewal_count
  FROM rr.expiring_contracts_as_of('2025-12-20', 30);
-- a window of 0 days: only the contracts still active after their end
SELECT contract_id - :k_a AS k, expiry_state FROM rr.expiring_contracts_as_of('2025-12-20', 0);
