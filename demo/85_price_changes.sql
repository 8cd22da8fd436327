-- recurring_revenue demo: catalog price changes (needs 30_contracts.sql; run after
-- 80_renewals.sql in the whole story).  The seat list price rises from 49.00 to 52.00 on
-- 2025-03-01 for existing contracts too: a Globex contract of 2025-01-01 at the list price
-- moves that day; the older cloud contracts have a negotiated 45.00 and keep it.
\echo
\echo '== A new list price for seats, its preview, and applying it'
SET rr.tenant = 'default';
SELECT rr.setup_and_activate_contract(rr.create_contract('GLOBEX', 'CLOUD-ANNUAL', '2025-01-01')) AS status;
SELECT rr.schedule_price_change('SEAT', 'USD', 52.00, '2025-03-01', 'on_date', reason => 'price list 2025') AS change_id;
SELECT contract_id, customer, contract_item, move_date, price_before, price_after, per_period_before, per_period_after
  FROM rr.preview_price_change((SELECT max(change_id) FROM rr.price_change));
SELECT * FROM rr.apply_price_changes('2025-03-01');
SELECT change_id, contract_id, line_no, move_date, old_recurring_price, new_recurring_price FROM rr.price_change_line;
RESET rr.tenant;
