-- recurring_revenue demo: a trial, a coupon through a promotion code, and a pause
-- (docs/trials-pauses-coupons.md; needs 30_contracts.sql, run after 85_price_changes.sql in
-- the whole story).  Initech tries cloud seats for 14 days from 2025-03-01 with the
-- promotion code WELCOME (20 % off for three months), converts, and pauses from 2025-05-10
-- to 2025-06-01.
\echo
\echo '== Initech: a 14-day trial of 10 cloud seats, 20 % off three months, a pause'
SET rr.tenant = 'default';
INSERT INTO rr.coupon (tenant_id, code, kind, value, duration, duration_periods, max_redemptions, description)
VALUES ('default', 'WELCOME20', 'percent', 20, 'repeating', 3, 1000, 'welcome offer');
INSERT INTO rr.promotion_code (tenant_id, code, coupon, max_per_customer) VALUES ('default', 'WELCOME', 'WELCOME20', 1);
SELECT rr.create_contract('INITECH', 'CLOUD-ANNUAL', '2025-03-01', '{"CLOUD-SEATS": {"quantity": 10}}') AS trial_contract \gset
SELECT rr.add_trial(:trial_contract, 14, has_payment_method => true);
SELECT rr.redeem_coupon(:trial_contract, 'welcome', '2025-03-01') AS coupon_discount;
SELECT rr.setup_and_activate_contract(:trial_contract, '2025-03-01');
SELECT * FROM rr.end_trials('2025-03-15');
SELECT rr.pause_contract(:trial_contract, '2025-05-10', '2025-06-01', reason => 'office move');
SELECT invoice_id, total FROM rr.bill_contract(:trial_contract, '2025-06-01');
SELECT kind, service_period, amount FROM rr.charge WHERE contract_id = :trial_contract ORDER BY due_date, kind DESC, adjustment_seq;
RESET rr.tenant;
