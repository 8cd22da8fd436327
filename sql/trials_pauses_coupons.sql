-- Trials, pauses and coupons (docs/trials-pauses-coupons.md): a free trial converting on
-- day 15 with a prorated first period, a paid trial, a lapsing trial, a pause credited
-- exactly and resumed (term kept or extended), a 3-month 20 % coupon through a promotion
-- code, and the refusals.  Every figure is checked by hand in the comment above it.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('tpc', 'Trials, pauses, coupons', 'USD');
SET rr.tenant = 'tpc';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('tpc', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('tpc', 'PLAN', 'Plan', '4000', '2100', '1100', 'DAILY'),
    ('tpc', 'BOX', 'Box', '4000', '2100', '1100', 'DAILY'),
    ('tpc', 'SAAS', 'Software', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('tpc', 'PLAN', 'USD', 62.00), ('tpc', 'BOX', 'USD', 868.00), ('tpc', 'SAAS', 'USD', 50.00),
    ('tpc', 'SAAS', 'EUR', 45.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period) VALUES
    ('tpc', 'PLAN', 'Plan, monthly', 'USD', 'PLAN', 'prepaid', NULL),
    ('tpc', 'BOX', 'Box, monthly', 'USD', 'BOX', 'prepaid', NULL),
    ('tpc', 'SAAS', 'Software, monthly', 'USD', 'SAAS', 'prepaid', NULL),
    ('tpc', 'SAAS_EUR', 'Software, monthly, EUR', 'EUR', 'SAAS', 'prepaid', NULL);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy, pause_extends_term) VALUES
    ('tpc', 'MONTHLY', 'One year, billed monthly', 1, 'year', 'month', 'calendar', true, 'prorated', false),
    ('tpc', 'EXTEND', 'One year, pauses extend the term', 1, 'year', 'month', 'calendar', true, 'prorated', true);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('tpc', 'CU', 'Customer', 'USD'), ('tpc', 'CV', 'Other customer', 'USD'), ('tpc', 'EU', 'Euro customer', 'EUR');

-- The charges of a contract, in order.
CREATE FUNCTION pg_temp.charges(k bigint)
RETURNS TABLE (kind text, service_period daterange, seq integer, amount numeric, due_date date)
LANGUAGE sql AS $$
    SELECT ch.kind, ch.service_period, ch.adjustment_seq, ch.amount, ch.due_date
      FROM rr.charge ch WHERE ch.tenant_id = 'tpc' AND ch.contract_id = k
     ORDER BY ch.due_date, lower(ch.service_period), ch.kind DESC, ch.adjustment_seq $$;

-- (1) A 14-day free trial on a 62.00 monthly plan from 2025-01-01: the trial is
-- [2025-01-01, 2025-01-15), it converts on day 15.  The trial days are billed 0.00; the
-- first paid period [2025-01-15, 2025-02-01) is 17 of January's 31 days:
-- 62.00 × 17 / 31 = 34.00; February is a whole period, 62.00.
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"PLAN": {}}') AS k_free \gset
SELECT rr.add_trial(:k_free, 14) AS trial;
SELECT rr.setup_and_activate_contract(:k_free);
SELECT contract_id = :k_free AS free_trial, total FROM rr.run_billing('2025-01-01');
SELECT contract_id = :k_free AS free_trial, trial, outcome FROM rr.end_trials('2025-01-15');
SELECT contract_id = :k_free AS free_trial, total FROM rr.run_billing('2025-01-15');
SELECT contract_id = :k_free AS free_trial, total FROM rr.run_billing('2025-02-01');
SELECT * FROM pg_temp.charges(:k_free);

-- (2) A paid trial at 50 % for 14 days on the same plan: the trial days cost
-- 62.00 × 50 % × 14 / 31 = 14.00; then 34.00 for the rest of January, as in (1).
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"PLAN": {}}') AS k_paid \gset
SELECT rr.add_trial(:k_paid, 14, price_percent => 50, has_payment_method => true);
SELECT rr.setup_and_activate_contract(:k_paid);
SELECT total FROM rr.run_billing('2025-01-31') WHERE contract_id = :k_paid;
SELECT * FROM pg_temp.charges(:k_paid);

-- (3) A trial that lapses: no payment method, missing_payment_method lapse.  The end of
-- the trial terminates the contract on 2025-01-15: nothing but the 0.00 trial days is
-- ever billed.  A payment method recorded before the end would have converted it.  (The
-- same batch converts the paid trial of (2), which has a payment method.)
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"PLAN": {}}') AS k_lapse \gset
SELECT rr.add_trial(:k_lapse, 14, missing_payment_method => 'lapse');
SELECT rr.setup_and_activate_contract(:k_lapse);
SELECT rr.record_trial_payment_method(:k_lapse, true), rr.record_trial_payment_method(:k_lapse, false);
SELECT contract_id = :k_lapse AS lapsing, outcome FROM rr.end_trials('2025-01-20');
SELECT status, termination_date FROM rr.contract WHERE contract_id = :k_lapse;
SELECT count(*) FROM rr.run_billing('2025-03-01') WHERE contract_id = :k_lapse;
SELECT * FROM pg_temp.charges(:k_lapse);
SELECT status, ended_on FROM rr.contract_trial WHERE contract_id = :k_lapse;

-- (4) A pause: 868.00 a month (31.00 a day in February's 28 days, 28.00 a day in
-- March's 31), billed for February on 2025-02-01, paused from 2025-02-10, resumed on
-- 2025-03-10.  The run of 2025-03-01 credits February's paused days, 19 × 31.00 =
-- 589.00 (what February keeps: 868.00 - 589.00 = 279.00 = 9 × 31.00), and bills nothing
-- for March while paused; the run of 2025-03-10 bills March's 22 days from the resume,
-- 22 × 28.00 = 616.00.  The term is not extended (template MONTHLY): it still ends on
-- 2026-01-01.
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"BOX": {}}') AS k_box \gset
SELECT rr.setup_and_activate_contract(:k_box);
SELECT total FROM rr.run_billing('2025-02-01') WHERE contract_id = :k_box;
SELECT rr.pause_contract(:k_box, '2025-02-10', reason => 'customer away') AS pause_no;
SELECT total FROM rr.run_billing('2025-03-01') WHERE contract_id = :k_box;
SELECT rr.resume_contract(:k_box, '2025-03-10') AS days_paused;
SELECT total FROM rr.run_billing('2025-03-10') WHERE contract_id = :k_box;
SELECT * FROM pg_temp.charges(:k_box);
SELECT pause_no, paused, extends_term, extended_by, reason FROM rr.contract_pause WHERE contract_id = :k_box;
SELECT end_date FROM rr.contract WHERE contract_id = :k_box;
SELECT action, effective_date, reason FROM rr.contract_event WHERE contract_id = :k_box ORDER BY event_id;
-- revenue accrues nothing on the days paused; the price allocated is what the term now
-- bills: 868.00 (January) + 279.00 (February) + 616.00 (March) + 9 × 868.00 = 9575.00
SELECT count(*) FILTER (WHERE period && daterange('2025-02-10', '2025-03-10')) AS lines_in_pause,
       sum(amount) AS scheduled,
       (SELECT sum(allocated_amount) FROM rr.performance_obligation WHERE contract_id = :k_box) AS allocated
  FROM rr.contract_revenue_schedule(:k_box, '2026-12-31');

-- (5) The same pause given in one call, on a template whose pauses extend the term: the
-- 28 days paused move the end from 2026-01-01 to 2026-01-29, and the run of 2025-03-10
-- bills the same: 868.00 (January) + 868.00 - 589.00 (February) + 616.00 (March) = 1763.00.
SELECT rr.create_contract('CU', 'EXTEND', '2025-01-01', '{"BOX": {}}') AS k_ext \gset
SELECT rr.setup_and_activate_contract(:k_ext);
SELECT count(*) FROM rr.run_billing('2025-02-01') WHERE contract_id = :k_ext;
SELECT rr.pause_contract(:k_ext, '2025-02-10', '2025-03-10');
SELECT count(*) FROM rr.run_billing('2025-03-10') WHERE contract_id = :k_ext;
SELECT (SELECT sum(amount) FROM rr.charge WHERE contract_id = :k_ext) AS billed,
       (SELECT end_date FROM rr.contract WHERE contract_id = :k_ext);
-- the 28 days added are January 2026's first 28 of its 31 days: 868.00 × 28 / 31 = 784.00
SELECT service_period, amount FROM rr.due_charges('tpc', '2026-01-28', :k_ext)
 WHERE lower(service_period) >= '2025-12-01';

-- (6) A 3-month 20 % coupon on a 50.00 monthly plan, redeemed through a promotion code
-- (case-insensitive) on 2025-01-01: January, February and March are billed
-- 50.00 - 20 % = 40.00 (a -10.00 discount line each); April 50.00 again.
INSERT INTO rr.coupon (tenant_id, code, kind, value, duration, duration_periods, max_redemptions, max_per_customer,
                       redeem_by) VALUES
    ('tpc', 'TWENTY3', 'percent', 20, 'repeating', 3, 2, 1, '2025-06-30');
INSERT INTO rr.coupon (tenant_id, code, kind, value, currency, duration) VALUES
    ('tpc', 'FIFTEEN', 'amount', 15.00, 'USD', 'once');
INSERT INTO rr.promotion_code (tenant_id, code, coupon, max_redemptions, customer, redeem_by) VALUES
    ('tpc', 'SPRING20', 'TWENTY3', 1, NULL, NULL),
    ('tpc', 'VIPONLY', 'TWENTY3', NULL, 'CV', NULL),
    ('tpc', 'OLD', 'TWENTY3', NULL, NULL, '2024-12-31');
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"SAAS": {}}') AS k_cp \gset
SELECT rr.redeem_coupon(:k_cp, 'spring20', '2025-01-01') IS NOT NULL AS redeemed;
SELECT rr.setup_and_activate_contract(:k_cp);
SELECT count(*) FROM rr.run_billing('2025-04-01') WHERE contract_id = :k_cp;
SELECT * FROM pg_temp.charges(:k_cp);
SELECT kind, value, valid, description FROM rr.discount WHERE contract_id = :k_cp;
-- the amount coupon, once: 15.00 off the next whole period after its redemption on
-- 2025-04-10, May: 50.00 - 15.00 = 35.00
SELECT rr.redeem_coupon(:k_cp, 'FIFTEEN', '2025-04-10') IS NOT NULL AS redeemed;
SELECT sum(amount) AS may FROM rr.due_charges('tpc', '2025-05-01', :k_cp) WHERE lower(service_period) = '2025-05-01';
SELECT coupon, promotion_code, customer, redeemed_on FROM rr.coupon_redemption ORDER BY redemption_id;

-- (7) Refusals, each with its SQLSTATE, nothing written.
\set VERBOSITY sqlstate
-- promotion code used up (max_redemptions 1): 55000
SELECT rr.create_contract('CV', 'MONTHLY', '2025-01-01', '{"SAAS": {}}') AS k_cv \gset
SELECT rr.redeem_coupon(:k_cv, 'SPRING20', '2025-01-01');
-- expired promotion code: 55000
SELECT rr.redeem_coupon(:k_cv, 'old', '2025-01-01');
-- coupon past its last day: 55000
SELECT rr.redeem_coupon(:k_cv, 'TWENTY3', '2025-07-01');
-- promotion code for another customer: 55000
SELECT rr.redeem_coupon(:k_cp, 'VIPONLY', '2025-01-01');
-- the same coupon twice on one contract: 55000
SELECT rr.redeem_coupon(:k_cp, 'TWENTY3', '2025-01-01');
-- per-customer limit (TWENTY3 allows 1 per customer; CU redeemed it): 55000
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"SAAS": {}}') AS k_cu2 \gset
SELECT rr.redeem_coupon(:k_cu2, 'TWENTY3', '2025-01-01');
-- coupon redemption limit in all (2): CV redeems the second, a third customer is refused
SELECT rr.redeem_coupon(:k_cv, 'VIPONLY', '2025-01-01') IS NOT NULL AS redeemed;
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('tpc', 'CW', 'Third customer', 'USD');
SELECT rr.create_contract('CW', 'MONTHLY', '2025-01-01', '{"SAAS": {}}') AS k_cw \gset
SELECT rr.redeem_coupon(:k_cw, 'TWENTY3', '2025-01-01');
-- an amount coupon in another currency: 22023
SELECT rr.create_contract('EU', 'MONTHLY', '2025-01-01', '{"SAAS_EUR": {}}') AS k_eu \gset
SELECT rr.redeem_coupon(:k_eu, 'FIFTEEN', '2025-01-01');
-- unknown code, and the code of another tenant (invisible): P0002
SELECT rr.redeem_coupon(:k_cw, 'NOSUCH', '2025-01-01');
SELECT rr.create_tenant('tpc2', 'Another tenant', 'USD');
INSERT INTO rr.coupon (tenant_id, code, kind, value) VALUES ('tpc2', 'OTHERS', 'percent', 50);
SELECT rr.redeem_coupon(:k_cw, 'OTHERS', '2025-01-01');
-- pause twice: 55000; resume a contract that is not paused: 55000
SELECT rr.pause_contract(:k_free, '2025-03-01');
SELECT rr.pause_contract(:k_free, '2025-03-05');
SELECT rr.resume_contract(:k_box, '2025-04-01');
-- a resume not after the first day paused: 22023; a pause inside an earlier pause: 55000
SELECT rr.resume_contract(:k_free, '2025-03-01');
SELECT rr.pause_contract(:k_box, '2025-03-01');
-- pause a contract on trial: 55000 (a fresh one, trialing until 2025-01-15)
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"PLAN": {}}') AS k_tr \gset
SELECT rr.add_trial(:k_tr, 14);
SELECT rr.add_trial(:k_tr, 7);
SELECT rr.setup_and_activate_contract(:k_tr);
SELECT rr.pause_contract(:k_tr, '2025-01-10');
-- a trial on an active contract: 55000; out of range: 22023
SELECT rr.add_trial(:k_box, 14);
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"PLAN": {}}') AS k_bad \gset
SELECT rr.add_trial(:k_bad, 0);
SELECT rr.add_trial(:k_bad, 400);
SELECT rr.add_trial(:k_bad, 14, price_percent => 100);
SELECT rr.add_trial(:k_bad, 14, missing_payment_method => 'pause');
-- a payment method for a contract with no trial: 55000
SELECT rr.record_trial_payment_method(:k_bad);
\set VERBOSITY default
-- nothing was written by the refusals: the redemptions of (6) and CV's, the pauses of
-- (4), (5) and the accepted first pause above, the trials of (1), (2), (3) and k_tr
SELECT count(*) AS redemptions FROM rr.coupon_redemption;
SELECT count(*) AS pauses FROM rr.contract_pause;
SELECT count(*) AS trials FROM rr.contract_trial;

-- (8) The discount usage report names the coupon and promotion code of each redemption.
SELECT count(*) > 0 AS posted FROM rr.post_invoices('2025-04-01');
SELECT contract_id = :k_cp AS coupon_contract, kind, value, documents, discounted, coupon, promotion_code
  FROM rr.discount_usage('2025-01-01', '2025-05-01') ORDER BY discount_id;

-- (9) A free trial that converts inside a month is new business in that month's MRR movement,
-- not a reactivation (the customer paid nothing before): trial [2025-01-25, 2025-02-08),
-- no MRR on January 31, 62.00 on February 28.
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('tpc', 'NW', 'New customer', 'USD');
SELECT rr.create_contract('NW', 'MONTHLY', '2025-01-25', '{"PLAN": {}}') AS k_conv \gset
SELECT rr.add_trial(:k_conv, 14) AS trial;
SELECT rr.setup_and_activate_contract(:k_conv);
SELECT customer, opening_mrr, closing_mrr, movement, new_mrr, reactivation_mrr
  FROM rr.mrr_movement_detail('2025-02-01', '2025-03-01') WHERE customer = 'NW';
