-- Bad input: every public function (schema rr, found from the catalog) called with hostile
-- values in each argument in turn, the other arguments valid.  Each call must be refused
-- with a SQLSTATE that is not an internal error, or be accepted where the README documents
-- it (table bi_accepted; STRICT functions return NULL for a NULL argument); an accepted call
-- must not store NaN, an infinity or an out-of-range value; no call may change a row count of
-- schema rr (every call runs in a subtransaction that is always rolled back); no call may
-- take longer than a second.  The offenders of each rule are listed by is_empty.
--
-- Adding a public function: add its valid call to bi_call (the first assertion names a
-- function without one).  Adding a refusal: nothing to do here.  Documenting an accepted
-- value: a row in bi_accepted with the README's reason.
BEGIN;
SELECT plan(16);
SET client_min_messages = warning;
\o /dev/null
SELECT count(*) FROM rr.create_roles();

-- ------------------------------------------------------------------ fixture
-- The tenant of sql/security.sql: seats billed monthly in advance with a setup fee, a
-- project recognised by percent complete, API calls billed in arrears; contracts in every
-- state an entry point needs (draft, pending, active with a posted invoice and an unapplied
-- payment, active with a draft invoice), two closed periods and a staged usage row.
SELECT rr.create_tenant('bad', 'Bad input tests', 'USD');
SET LOCAL rr.tenant = 'bad';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('bad', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('bad', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200'),
    ('bad', 'USAGE', 'As used', 'on_usage', '2100', '4300');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('bad', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('bad', 'ONBOARD', 'Onboarding', '4000', '2100', '1100', 'DAILY'),
    ('bad', 'PROJ', 'Project', '4200', '2100', '1100', 'PCT'),
    ('bad', 'CALL', 'API call', '4300', '2100', '1100', 'USAGE');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('bad', 'SEAT', 'USD', 10.00), ('bad', 'ONBOARD', 'USD', 50.00), ('bad', 'PROJ', 'USD', 1000.00),
    ('bad', 'CALL', 'USD', 0.01);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type,
                              standalone_price) VALUES
    ('bad', 'SEATS', 'Seats', 'USD', 'ONBOARD', 'SEAT', 'prepaid', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, billing_type, standalone_price) VALUES
    ('bad', 'PROJECT', 'Project', 'USD', 'PROJ', 'none', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model) VALUES
    ('bad', 'API', 'API usage', 'USD', 'CALL', 'postpaid', 'per_unit(0.01)');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  allow_override) VALUES
    ('bad', 'PLAN', 'Plan', 'renewable', 1, 'year', 'month', true);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('bad', 'PLAN', 1, 'SEATS', 5), ('bad', 'PLAN', 2, 'PROJECT', 1), ('bad', 'PLAN', 3, 'API', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('bad', 'BC1', 'Bad Input Customer', 'USD');

-- a contract item with a manual price, and a price change that moves contracts on 2024-03-01
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing,
                              recurring_price) VALUES
    ('bad', 'SUPPORT', 'Support', 'USD', 'SEAT', 'prepaid', 'manual', 30.00);
SELECT rr.schedule_price_change('SEAT', 'USD', 11.00, '2024-03-01', 'on_date') AS price_change \gset
SELECT rr.create_contract('BC1', 'PLAN', '2024-01-01') AS k_draft \gset
SELECT rr.add_discount(:k_draft, 'amount', 5, 1) AS bi_discount \gset
SELECT rr.create_contract('BC1', 'PLAN', '2024-01-01') AS k_pending \gset
SELECT rr.setup_contract(:k_pending, '2024-01-01');
SELECT rr.create_contract('BC1', 'PLAN', '2024-01-01') AS k_active \gset
SELECT rr.setup_and_activate_contract(:k_active, '2024-01-01');
SELECT count(*) FROM rr.run_billing('2024-02-01');
SELECT count(*) FROM rr.post_invoices('2024-02-01');
SELECT min(invoice_id) AS inv FROM rr.invoice WHERE contract_id = :k_active AND number IS NOT NULL \gset
SELECT rr.record_payment('BC1', 10.00, '2024-03-05', apply => false) AS pay \gset
SELECT rr.top_up_wallet('BC1', 50.00, '2024-01-10', '2025-01-01') AS lot \gset
SELECT count(*) FROM rr.recognize('2024-03-31');
SELECT rr.close_period('2024-01-01', 'January'), rr.close_period('2024-02-01', 'February');
SELECT rr.create_contract('BC1', 'PLAN', '2024-04-01') AS k_drafted \gset
SELECT rr.setup_and_activate_contract(:k_drafted, '2024-04-01');
SELECT count(*) FROM rr.bill_contract(:k_drafted, '2024-04-01');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
VALUES (:k_active, 'API', 5, '2024-01-11 00:00+00', 'bad-staged');
SELECT rr.create_contract('BC1', 'PLAN', '2024-04-01') AS k_upgrading \gset
SELECT rr.setup_and_activate_contract(:k_upgrading, '2024-04-01');
SELECT rr.start_upgrade(:k_upgrading);
SELECT rr.change_upgrade(:k_upgrading, '[{"item": "SEATS", "quantity": 8}]');
-- a contract on trial, a paused one, a coupon and its promotion code
SELECT rr.create_contract('BC1', 'PLAN', '2024-04-01') AS k_trial \gset
SELECT rr.add_trial(:k_trial, 14);
SELECT rr.setup_and_activate_contract(:k_trial, '2024-04-01');
SELECT rr.create_contract('BC1', 'PLAN', '2024-04-01') AS k_paused \gset
SELECT rr.setup_and_activate_contract(:k_paused, '2024-04-01');
SELECT rr.pause_contract(:k_paused, '2024-05-01');
INSERT INTO rr.coupon (tenant_id, code, kind, value, duration, duration_periods) VALUES
    ('bad', 'SAVE10', 'percent', 10, 'repeating', 3);
INSERT INTO rr.promotion_code (tenant_id, code, coupon) VALUES ('bad', 'SPRING', 'SAVE10');
-- a project line split into milestones (docs/projects-and-on-demand.md), activated
SELECT rr.create_contract('BC1', 'PLAN', '2024-04-01') AS k_milestones \gset
SELECT rr.add_milestone(:k_milestones, 2, 'Design approved', 40);
SELECT rr.setup_and_activate_contract(:k_milestones, '2024-04-01');

-- ------------------------------------------------------------------ base calls
-- One valid call per public function: an SQL expression for every argument (defaults
-- written out).  Where arguments exclude each other, a second valid call tests some of
-- them (tests: the arguments a call is the base of; NULL for all).  A function that SQL
-- cannot call has no arguments and a reason.
CREATE TEMP TABLE bi_call (base serial PRIMARY KEY, fn regprocedure NOT NULL, args text[], tests text[], not_called text);
\set base_pricing '''graduated(100: 1.00, *: 0.50)''::rr.pricing'
INSERT INTO bi_call (fn, args) VALUES
    ('rr.minor_units(text)', '{"''USD''"}'),
    ('rr.billing_periods(date,date,interval,date)', ARRAY[$$'2024-01-01'$$, $$'2024-12-31'$$, $$'1 month'$$, $$'2024-01-15'$$]),
    ('rr.period_containing(date,interval,date)', ARRAY[$$'2024-03-10'$$, $$'1 month'$$, $$'2024-01-01'$$]),
    ('rr.prorate(daterange,daterange,text)', ARRAY[$$'[2024-01-01,2024-01-16)'$$, $$'[2024-01-01,2024-02-01)'$$, $$'actual'$$]),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', ARRAY['100.00', $$'[2024-01-01,2024-01-16)'$$, $$'[2024-01-01,2024-02-01)'$$, $$'actual'$$, '2']),
    ('rr.allocate(numeric,numeric[],integer)', ARRAY['100.00', $$'{1,2,3}'$$, '2']),
    ('rr.allocate(numeric,numeric[],text)', ARRAY['100', $$'{1,1,1}'$$, $$'JPY'$$]),
    ('rr.spread(numeric,daterange,text,interval,date,integer)', ARRAY['1200.00', $$'[2024-01-15,2025-01-15)'$$, $$'daily'$$, $$'1 month'$$, $$'2000-01-01'$$, '2']),
    ('rr.spread_periods(numeric,daterange,daterange[],text,integer)', ARRAY['300.00', $$'[2024-01-01,2024-04-01)'$$,
        $$'{"[2024-01-01,2024-02-01)","[2024-02-01,2024-03-01)","[2024-03-01,2024-04-01)"}'$$, $$'daily'$$, '2']),
    ('rr.round_preserving_sum(numeric[],integer)', ARRAY[$$'{10.005,10.005,10.005,10.005}'$$, '2']),
    ('rr.pricing_in(cstring)', ARRAY[$$'graduated(100: 1.00, *: 0.50)'$$]),
    ('rr.pricing_out(rr.pricing)', ARRAY[:'base_pricing']),
    ('rr.pricing_send(rr.pricing)', ARRAY[:'base_pricing']),
    ('rr.pricing_eq(rr.pricing,rr.pricing)', ARRAY[:'base_pricing', :'base_pricing']),
    ('rr.pricing_ne(rr.pricing,rr.pricing)', ARRAY[:'base_pricing', :'base_pricing']),
    ('rr.pricing_hash(rr.pricing)', ARRAY[:'base_pricing']),
    ('rr.pricing_to_jsonb(rr.pricing)', ARRAY[:'base_pricing']),
    ('rr.pricing_from_jsonb(jsonb)', ARRAY[$$'{"model": "graduated", "tiers": [{"up_to": 100, "unit_price": "1.00"}, {"up_to": null, "unit_price": "0.50"}]}'$$]),
    ('rr.price(rr.pricing,numeric)', ARRAY[:'base_pricing', '150']),
    ('rr.price_reference(rr.pricing,numeric)', ARRAY[:'base_pricing', '150']),
    ('rr.price_tiers(rr.pricing,numeric)', ARRAY[:'base_pricing', '150']),
    ('rr.unit_price(rr.pricing,numeric)', ARRAY[:'base_pricing', '150']),
    ('rr.pricing_model(rr.pricing)', ARRAY[:'base_pricing']),
    ('rr.pricing_check_minor_units(rr.pricing,integer,boolean)', ARRAY[:'base_pricing', '2', 'true']),
    ('rr.is_admin(name)', ARRAY[$$'postgres'$$]),
    ('rr.acting_role()', '{}'),
    ('rr.current_tenant()', '{}'),
    ('rr.create_tenant(text,text,text,text)', ARRAY[$$'bad2'$$, $$'Other tenant'$$, $$'EUR'$$, $$'Europe/Berlin'$$]),
    ('rr.add_tenant_member(text,name)', ARRAY[$$'bad'$$, $$'rr_analyst'$$]),
    ('rr.remove_tenant_member(text,name)', ARRAY[$$'bad'$$, $$'rr_analyst'$$]),
    ('rr.install_default_chart(text)', ARRAY[$$'bad'$$]),
    ('rr.billing_interval(text,integer)', ARRAY[$$'custom_days'$$, '45']),
    ('rr.contract_lines_as_of(bigint,date)', ARRAY[:'k_active', $$'2024-03-01'$$]),
    ('rr.contract_as_of(bigint,timestamp with time zone)', ARRAY[:'k_active', 'clock_timestamp()']),
    ('rr.contract_item_prices(text,text,text,date)', ARRAY[$$'bad'$$, $$'SEATS'$$, $$'USD'$$, $$'2024-03-01'$$]),
    ('rr.list_price(text,text,text,date)', ARRAY[$$'bad'$$, $$'SEAT'$$, $$'USD'$$, $$'2024-03-01'$$]),
    ('rr.schedule_price_change(text,text,numeric,date,text,date,text)', ARRAY[$$'SEAT'$$, $$'USD'$$, '12.00', $$'2024-06-01'$$, $$'on_date'$$, $$'2024-07-01'$$, $$'review'$$]),
    ('rr.schedule_contract_item_price_change(text,text,numeric,date,text,date,text)', ARRAY[$$'SUPPORT'$$, $$'recurring'$$, '33.00', $$'2024-06-01'$$, $$'on_date'$$, $$'2024-07-01'$$, $$'review'$$]),
    ('rr.preview_price_change(bigint)', ARRAY[:'price_change']),
    ('rr.apply_price_changes(date)', ARRAY[$$'2024-04-01'$$]),
    ('rr.create_contract(text,text,date,jsonb,text)', ARRAY[$$'BC1'$$, $$'PLAN'$$, $$'2024-03-01'$$, $$'{"SEATS": {"quantity": 6}}'$$, $$'a contract'$$]),
    ('rr.setup_contract(bigint,date)', ARRAY[:'k_draft', $$'2024-01-01'$$]),
    ('rr.activate_contract(bigint,date)', ARRAY[:'k_pending', $$'2024-01-01'$$]),
    ('rr.setup_and_activate_contract(bigint,date)', ARRAY[:'k_draft', $$'2024-01-01'$$]),
    ('rr.terminate_contract(bigint,date,text)', ARRAY[:'k_active', $$'2024-03-15'$$, $$'moved away'$$]),
    ('rr.complete_contract(bigint,date,text)', ARRAY[:'k_active', $$'2024-03-15'$$, $$'delivered'$$]),
    ('rr.expire_contract(bigint,date)', ARRAY[:'k_active', $$'2025-01-01'$$]),
    ('rr.expire_contracts(date)', ARRAY[$$'2025-01-01'$$]),
    ('rr.renew_contract(bigint,date)', ARRAY[:'k_active', $$'2025-01-01'$$]),
    ('rr.run_renewals(date)', ARRAY[$$'2025-01-01'$$]),
    ('rr.contract_renewals_as_of(date)', ARRAY[$$'2024-12-01'$$]),
    ('rr.expiring_contracts_as_of(date,integer)', ARRAY[$$'2024-12-01'$$, '60']),
    ('rr.renewal_rate(date,date)', ARRAY[$$'2024-11-01'$$, $$'2025-03-01'$$]),
    ('rr.change_contract_line(bigint,text,date,numeric,jsonb,boolean)', ARRAY[:'k_active', $$'SEATS'$$, $$'2024-03-01'$$, '8', $$'{"recurring_price": 11.00}'$$, 'false']),
    ('rr.amend_contract(bigint,date,jsonb,text,jsonb,text,text)', ARRAY[:'k_active', $$'2024-03-10'$$, $$'[{"item": "SEATS", "quantity": 8}]'$$, $$'immediately'$$, $$'{"remaining_distinct": true}'$$, $$'prospective'$$, $$'more seats'$$]),
    ('rr.rewrite_contract(bigint,date,jsonb,date,text,jsonb,text,text)', ARRAY[:'k_active', $$'2024-03-10'$$, $$'{"SEATS": {"quantity": 8}}'$$, $$'2024-12-01'$$, $$'immediately'$$, $$'{"remaining_distinct": true}'$$, $$'prospective'$$, $$'new terms'$$]),
    ('rr.preview_amendment(bigint,date,jsonb,text,jsonb,text,text)', ARRAY[:'k_active', $$'2024-03-10'$$, $$'[{"item": "SEATS", "quantity": 8}]'$$, $$'immediately'$$, $$'{"remaining_distinct": true}'$$, $$'prospective'$$, $$'more seats'$$]),
    ('rr.start_upgrade(bigint,text)', ARRAY[:'k_active', $$'customer asked'$$]),
    ('rr.change_upgrade(bigint,jsonb)', ARRAY[:'k_upgrading', $$'[{"item": "SEATS", "quantity": 9}]'$$]),
    ('rr.activate_upgrade(bigint,date,text,jsonb,text,text)', ARRAY[:'k_upgrading', $$'2024-04-10'$$, $$'immediately'$$, $$'{"remaining_distinct": true}'$$, $$'prospective'$$, $$'signed'$$]),
    ('rr.cancel_upgrade(bigint,text)', ARRAY[:'k_upgrading', $$'changed their mind'$$]),
    ('rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', ARRAY[:'k_active', $$'percent'$$, '10', '1', '3', $$'[2024-03-01,2025-01-01)'$$, $$'promotion'$$, $$'4950'$$]),
    ('rr.add_trial(bigint,integer,numeric,boolean,text)', ARRAY[:'k_draft', '14', '50', 'true', $$'lapse'$$]),
    ('rr.record_trial_payment_method(bigint,boolean)', ARRAY[:'k_trial', 'true']),
    ('rr.end_trials(date)', ARRAY[$$'2024-04-15'$$]),
    ('rr.pause_contract(bigint,date,date,boolean,text)', ARRAY[:'k_active', $$'2024-06-01'$$, $$'2024-07-01'$$, 'true', $$'holiday'$$]),
    ('rr.resume_contract(bigint,date,text)', ARRAY[:'k_paused', $$'2024-06-01'$$, $$'back'$$]),
    ('rr.redeem_coupon(bigint,text,date)', ARRAY[:'k_active', $$'spring'$$, $$'2024-04-01'$$]),
    ('rr.add_one_off_charge(bigint,text,date,numeric,numeric,numeric,text,text)', ARRAY[:'k_active', $$'SEAT'$$, $$'2024-03-10'$$, 'NULL', '2', '12.50', $$'next'$$, $$'training'$$]),
    ('rr.allocate_discount_to(bigint,integer[])', ARRAY[:'bi_discount', $$'{1}'$$]),
    ('rr.billing_anchor(text,date,interval)', ARRAY[$$'calendar'$$, $$'2024-01-15'$$, $$'1 month'$$]),
    ('rr.due_charges(text,date,bigint)', ARRAY[$$'bad'$$, $$'2024-04-01'$$, :'k_active']),
    ('rr.run_billing(date)', ARRAY[$$'2024-04-01'$$]),
    ('rr.bill_contract(bigint,date)', ARRAY[:'k_active', $$'2024-04-01'$$]),
    ('rr.preview_billing(date,bigint)', ARRAY[$$'2024-04-01'$$, :'k_active']),
    ('rr.post_invoices(date,text)', ARRAY[$$'2024-02-01'$$, $$'INV'$$]),
    ('rr.credit_invoice(bigint,numeric,integer[],text,date)', ARRAY[:'inv', '1.00', 'NULL', $$'goodwill'$$, $$'2024-02-10'$$]),
    ('rr.undo_last_billing(bigint)', ARRAY[:'k_drafted']),
    ('rr.usage_date_range()', '{}'),
    ('rr.record_usage(bigint,text,numeric,timestamp with time zone,text,jsonb)',
        ARRAY[:'k_active', $$'API'$$, '3', $$'2024-02-10 00:00+00'$$, $$'bad-2'$$, $$'{"region": "eu"}'$$]),
    ('rr.record_usage(rr.usage_record[])',
        ARRAY[format($$ARRAY[ROW(%s, NULL, 'API', 4, '2024-02-11 00:00+00', 'bad-3', '{"region": "eu"}')::rr.usage_record]$$, :k_active)]),
    ('rr.merge_usage_staging()', '{}'),
    ('rr.create_usage_partitions(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-06-30'$$]),
    ('rr.invoice_balances(text,date,bigint[])', ARRAY[$$'bad'$$, $$'2024-03-01'$$, format('ARRAY[%s]', :inv)]),
    ('rr.customer_credits(text,date)', ARRAY[$$'bad'$$, $$'2024-03-31'$$]),
    ('rr.ar_aging(date)', ARRAY[$$'2024-03-31'$$]),
    -- (apply => false: applying takes 0.6 s here, a third of the file's time over 25 calls)
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', ARRAY[$$'BC1'$$, '25.00', $$'2024-02-06'$$, $$'REF-1'$$, 'false', $$'wire'$$, $$'USD'$$]),
    ('rr.apply_payment(bigint,bigint,numeric,date)', ARRAY[:'pay', :'inv', '5.00', $$'2024-03-06'$$]),
    ('rr.open_wallet(text,text,text,text,text,text)', ARRAY[$$'BC1'$$, $$'EUR'$$, $$'usage'$$, $$'2300'$$, $$'4900'$$, $$'1200'$$]),
    ('rr.top_up_wallet(text,numeric,date,date,text,text)', ARRAY[$$'BC1'$$, '25.00', $$'2024-03-06'$$, $$'2024-12-01'$$, $$'PO-1'$$, $$'USD'$$]),
    ('rr.draw_wallet(bigint,numeric,date)', ARRAY[:'inv', '1.00', $$'2024-03-06'$$]),
    ('rr.draw_wallets(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.expire_wallet_credit(date)', ARRAY[$$'2025-01-31'$$]),
    ('rr.prepaid_balances(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.add_commitment(bigint,numeric,text,interval,integer[],integer)', ARRAY[:'k_active', '500.00', $$'period'$$, $$'3 months'$$, $$'{1}'$$, '1']),
    ('rr.commitment_usage(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.set_obligation(bigint,integer,integer,numeric,boolean)', ARRAY[:'k_draft', '1', '1', '12', 'false']),
    ('rr.add_milestone(bigint,integer,text,numeric,numeric)', ARRAY[:'k_draft', '2', $$'Design approved'$$, '40', 'NULL']),
    ('rr.reach_milestone(bigint,integer,date)', ARRAY[:'k_milestones', '1', $$'2024-04-15'$$]),
    ('rr.record_progress(bigint,integer,numeric,date,boolean,text)', ARRAY[:'k_active', '2', '40', $$'2024-02-15'$$, 'false', $$'milestone'$$]),
    ('rr.recognize(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.contract_revenue_schedule(bigint,date)', ARRAY[:'k_active', $$'2024-03-31'$$]),
    ('rr.contract_balances(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.revenue_reconciliation(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.mrr_as_of(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.run_dunning(date)', ARRAY[$$'2024-06-01'$$]),
    ('rr.dunning_status_as_of(date)', ARRAY[$$'2024-06-01'$$]),
    ('rr.customer_dunning_status_as_of(date)', ARRAY[$$'2024-06-01'$$]),
    ('rr.mrr_movement_detail(date,date)', ARRAY[$$'2024-03-01'$$, $$'2024-04-01'$$]),
    ('rr.mrr_movement(date,date)', ARRAY[$$'2024-03-01'$$, $$'2024-04-01'$$]),
    ('rr.deferred_revenue_rollforward(date,date)', ARRAY[$$'2024-03-01'$$, $$'2024-04-01'$$]),
    ('rr.remaining_performance_obligations(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.deferral_schedule_summary(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.usage_vs_included(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.revenue_forecast(date,integer)', ARRAY[$$'2024-03-31'$$, '12']),
    ('rr.contract_balance_rollforward(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.contract_balance_rollforward_by_month(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.deferred_revenue_waterfall(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.billing_forecast(date,integer)', ARRAY[$$'2024-03-31'$$, '3']),
    ('rr.billings(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.recognised_revenue(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.revenue_disaggregation(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.bookings(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.customer_summary(date)', ARRAY[$$'2024-03-31'$$]),
    ('rr.discount_usage(date,date)', ARRAY[$$'2024-01-01'$$, $$'2024-04-01'$$]),
    ('rr.close_period(date,text)', ARRAY[$$'2024-03-01'$$, $$'March'$$]),
    ('rr.reopen_period(date,text)', ARRAY[$$'2024-02-01'$$, $$'late entry'$$]),
    ('rr.add_fiscal_periods(daterange[])', ARRAY[$$'{"[2024-02-01,2024-03-01)"}'$$]),
    ('rr.refresh_mrr()', '{}'),
    ('rr.create_roles()', '{}');
INSERT INTO bi_call (fn, args, tests) VALUES
    ('rr.credit_invoice(bigint,numeric,integer[],text,date)', ARRAY[:'inv', 'NULL', $$'{1}'$$, $$'goodwill'$$, $$'2024-02-10'$$], '{lines}');
INSERT INTO bi_call (fn, args, tests) VALUES
    ('rr.add_milestone(bigint,integer,text,numeric,numeric)', ARRAY[:'k_draft', '2', $$'Go-live'$$, 'NULL', '250.00'], '{amount}');
UPDATE bi_call SET tests = '{contract_id,line_no,name,percent}'
 WHERE fn = 'rr.add_milestone(bigint,integer,text,numeric,numeric)'::regprocedure AND tests IS NULL;
UPDATE bi_call SET tests = '{invoice_id,amount,reason,credit_date}'
 WHERE fn = 'rr.credit_invoice(bigint,numeric,integer[],text,date)'::regprocedure AND tests IS NULL;
INSERT INTO bi_call (fn, not_called) VALUES
    ('rr.pricing_recv(internal)', 'takes internal, so SQL cannot call it; binary COPY round trips in sql/pricing.sql cover it'),
    ('rr.refuse_number(text,numeric)', 'raises by design: the refusal of rr.check_number, whose hostile values cover it'),
    ('rr.refuse_date(text,date)', 'raises by design: the refusal of rr.check_date, whose hostile values cover it'),
    ('rr.distribute()', 'takes no argument and needs Citus; on a single node it refuses with 0A000 (the assertion below), on Citus test/citus/run calls it');
-- the limits of docs/limits-and-errors.md (src/sql/00_core/05_limits.sql)
INSERT INTO bi_call (fn, args) VALUES
    ('rr.business_dates()', '{}'),
    ('rr.is_valid_number(numeric)', ARRAY['1.00']),
    ('rr.check_number(text,numeric)', ARRAY[$$'amount'$$, '1.00']),
    ('rr.is_valid_date(date)', ARRAY[$$'2024-01-01'$$]),
    ('rr.check_date(text,date)', ARRAY[$$'payment date'$$, $$'2024-01-01'$$]),
    ('rr.check_time_zone(text,text)', ARRAY[$$'time zone'$$, $$'Europe/Paris'$$]),
    ('rr.check_template_duration(integer,text)', ARRAY['1', $$'year'$$]);

-- ------------------------------------------------------------------ hostile values
-- Per argument type: a label and an SQL expression; %1$s in it stands for the argument's
-- valid expression (so an array of 10^6 elements repeats the valid first element, and a
-- usage batch keeps its valid fields but one).  Array types without a row of their own get
-- the rows of 'anyarray'.
CREATE TEMP TABLE bi_value (type text, value text, expr text, PRIMARY KEY (type, value));
INSERT INTO bi_value VALUES
    ('numeric', 'NULL', 'NULL'), ('numeric', 'NaN', $$'NaN'$$), ('numeric', '+Infinity', $$'+Infinity'$$),
    ('numeric', '-Infinity', $$'-Infinity'$$), ('numeric', '1e300', '1e300'), ('numeric', '-0', $$'-0'$$),
    ('integer', 'NULL', 'NULL'), ('integer', '-0', $$'-0'$$),
    ('integer', '2147483647', '2147483647'), ('integer', '-2147483648', '-2147483648'),
    ('bigint', 'NULL', 'NULL'), ('bigint', '-0', $$'-0'$$),
    ('bigint', '9223372036854775807', '9223372036854775807'), ('bigint', '-9223372036854775808', '-9223372036854775808'),
    ('boolean', 'NULL', 'NULL'),
    ('date', 'NULL', 'NULL'), ('date', '4713-01-01 BC', $$'4713-01-01 BC'$$), ('date', '294276-01-01', $$'294276-01-01'$$),
    ('date', 'infinity', $$'infinity'$$), ('date', '-infinity', $$'-infinity'$$),
    ('timestamp with time zone', 'NULL', 'NULL'),
    ('timestamp with time zone', '4713-01-01 BC', $$'4713-01-01 00:00+00 BC'$$),
    ('timestamp with time zone', '294276-01-01', $$'294276-01-01 00:00+00'$$),
    ('timestamp with time zone', 'infinity', $$'infinity'$$), ('timestamp with time zone', '-infinity', $$'-infinity'$$),
    ('daterange', 'NULL', 'NULL'), ('daterange', 'empty', $$'empty'$$), ('daterange', '(,)', $$'(,)'$$),
    ('daterange', '[4713-01-01 BC,294276-01-01)', $$'[4713-01-01 BC,294276-01-01)'$$),
    ('daterange', '[-infinity,infinity)', $$'[-infinity,infinity)'$$),
    ('interval', 'NULL', 'NULL'), ('interval', '0', $$'0'$$), ('interval', '-1 month', $$'-1 month'$$),
    ('interval', '1 microsecond', $$'1 microsecond'$$),
    ('interval', '178000000 years', $$'178000000 years'$$), ('interval', '-178000000 years', $$'-178000000 years'$$),
    ('text', 'NULL', 'NULL'), ('text', '''''', $$''$$), ('text', '1 MB', 'repeat(''x'', 1048576)'),
    ('name', 'NULL', 'NULL'), ('name', '''''', $$''$$), ('name', '1 MB', 'repeat(''x'', 1048576)'),
    ('cstring', 'NULL', 'NULL'), ('cstring', '''''', $$''$$), ('cstring', '1 MB', 'repeat(''x'', 1048576)'),
    ('jsonb', 'NULL', 'NULL'), ('jsonb', '{}', $$'{}'$$),
    ('jsonb', '1 MB', $$(SELECT jsonb_object_agg('K' || i, jsonb_build_object('quantity', i)) FROM generate_series(1, 50000) i)$$),
    ('rr.pricing', 'NULL', 'NULL'),
    ('rr.pricing', 'largest price', format('%L', 'per_unit(' || repeat('9', 38) || '.' || repeat('9', 18) || ')')),
    ('rr.pricing', 'smallest price', format('%L', 'per_unit(0.' || repeat('0', 17) || '1)')),
    ('rr.pricing', '100 tiers, largest values', format('%L', 'graduated(' ||
        (SELECT string_agg(i || repeat('0', 36) || ': ' || repeat('9', 38) || '.' || repeat('9', 18) || ' + ' || repeat('9', 38), ', ')
           FROM generate_series(1, 99) i) || ', *: ' || repeat('9', 38) || ')')),
    ('anyarray', 'NULL', 'NULL'), ('anyarray', 'empty array', $$'{}'$$),
    ('anyarray', '10^6 elements', 'array_fill(((%1$s)::%2$s)[1], ARRAY[1000000])'),
    ('numeric[]', 'NULL', 'NULL'), ('numeric[]', 'empty array', $$'{}'$$),
    ('numeric[]', '10^6 elements', 'array_fill(((%1$s)::%2$s)[1], ARRAY[1000000])'),
    ('numeric[]', 'NaN element', $$'{1,NaN}'$$), ('numeric[]', 'Infinity element', $$'{1,Infinity}'$$),
    ('numeric[]', 'NULL element', $$'{1,NULL}'$$),
    ('daterange[]', 'NULL', 'NULL'), ('daterange[]', 'empty array', $$'{}'$$),
    ('daterange[]', '10^6 elements', $$(SELECT array_agg(daterange(date '2024-01-01' + g, date '2024-01-01' + g + 1) ORDER BY g) FROM generate_series(0, 999999) g)$$),
    ('rr.usage_record[]', 'NULL', 'NULL'), ('rr.usage_record[]', 'empty array', $$'{}'$$),
    -- (the valid event repeated: building 10^6 distinct records costs the caller a second)
    ('rr.usage_record[]', '10^6 elements', 'array_fill(((%1$s)::%2$s)[1], ARRAY[1000000])')
;
-- the fields of a usage record are arguments too
INSERT INTO bi_value
SELECT 'rr.usage_record[]', f.field || ' ' || v.value,
       format($$(SELECT array_agg(ROW(%s)::rr.usage_record) FROM unnest(%%1$s) r)$$,
              (SELECT string_agg(CASE WHEN a.attname = f.field THEN '(' || v.expr || ')::' || format_type(a.atttypid, NULL)
                                      ELSE 'r.' || a.attname END, ', ' ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = 'rr.usage_record'::regclass AND a.attnum > 0))
  FROM (SELECT a.attname::text AS field, format_type(a.atttypid, NULL) AS type
          FROM pg_attribute a WHERE a.attrelid = 'rr.usage_record'::regclass AND a.attnum > 0) f
  JOIN bi_value v ON v.type = f.type;

-- ------------------------------------------------------------------ known gaps
-- Offenders not fixed yet, kept out of the failing assertions and listed by the last one
-- (as TODO); "every known gap is still a gap" fails for a row that is fixed.  Empty: every
-- hostile value is refused or documented.
CREATE TEMP TABLE bi_known_gap (fn regprocedure, argument text, value text, note text,
                                PRIMARY KEY (fn, argument, value));
-- note: 'input: ...' = one of the refusals being added on branch input; 'undecided: ...' =
-- not on that list: refuse it or document it (then move the row to bi_accepted).
-- (none: every hostile value is refused or documented)

-- ------------------------------------------------------------------ the calls
-- Every (function, argument, value) plus each function's base call (argno 0).
CREATE TEMP TABLE bi_case AS
WITH f AS (
    SELECT c.base, c.fn, c.args, c.tests, p.proisstrict AS strict,
           p.pronamespace::regnamespace::text || '.' || quote_ident(p.proname) AS name,
           p.proargtypes::oid[] AS types,
           coalesce(p.proargnames[1 : p.pronargs], array_fill(NULL::text, ARRAY[p.pronargs])) AS names
      FROM bi_call c JOIN pg_proc p ON p.oid = c.fn
     WHERE c.args IS NOT NULL
), a AS (
    SELECT f.*, g.i, format_type(f.types[g.i - 1 + array_lower(f.types, 1)], NULL) AS type,
           CASE WHEN g.i > 0 THEN coalesce(nullif(f.names[g.i], ''), '$' || g.i) END AS argument
      FROM f, generate_series(0, cardinality(f.args)) g(i)
), v AS (
    SELECT a.*, 0 AS vno, NULL::text AS value, NULL::text AS expr FROM a WHERE a.i = 0
    UNION ALL
    SELECT a.*, row_number() OVER (PARTITION BY a.base, a.i ORDER BY v.value), v.value,
           format(v.expr, a.args[a.i], a.type)
      FROM a JOIN bi_value v
        ON v.type = a.type OR (v.type = 'anyarray' AND a.type LIKE '%[]'
                               AND NOT EXISTS (SELECT FROM bi_value w WHERE w.type = a.type))
     WHERE a.i > 0 AND (a.tests IS NULL OR a.argument = ANY (a.tests))
)
SELECT row_number() OVER (ORDER BY v.fn::oid, v.base, v.i, v.vno)::integer AS id, v.base, v.fn, v.strict,
       v.i AS argno, v.argument, v.value,
       pg_get_function_arguments(v.fn) ~ ('(^|, )' || v.argument || ' [^,]* DEFAULT NULL::') AS default_null,
       -- count(r), not count(*): the planner drops an unreferenced column, call and all
       format('SELECT count(s.r) FROM (SELECT %s(%s) AS r) s', v.name, x.arglist) AS call,
       -- the arguments alone: building a 10^6-element argument is the caller's cost, and is
       -- subtracted from the call's time
       format('SELECT count(s.r) FROM (SELECT ROW(%s) AS r) s', coalesce(nullif(x.arglist, ''), 'NULL')) AS args_call
  FROM v
  CROSS JOIN LATERAL (
      SELECT coalesce(string_agg(format('(%s)::%s', CASE WHEN j = v.i THEN v.expr ELSE v.args[j] END,
                                        format_type(v.types[j - 1 + array_lower(v.types, 1)], NULL)), ', ' ORDER BY j), '') AS arglist
        FROM generate_series(1, cardinality(v.args)) j) x;
ALTER TABLE bi_case ADD PRIMARY KEY (id);

-- ------------------------------------------------------------------ documented acceptances
-- Accepted calls the README documents.  Three rules come from the catalog: a STRICT
-- function returns NULL for a NULL argument without running; NULL is the declared default
-- of an argument declared DEFAULT NULL (the README's Reference shows the signatures); -0 is
-- the number 0 (whether 0 is allowed is the same question as for 0, not this test's).
-- Everything else accepted is a row here with its reason.
CREATE TEMP TABLE bi_accepted (fn regprocedure, argument text, value text, why text NOT NULL,
                               PRIMARY KEY (fn, argument, value));
INSERT INTO bi_accepted
SELECT f::regprocedure, a, v, w
  FROM (VALUES
    -- Calendar (C): any finite date; only a period boundary beyond PostgreSQL's date range is refused (22008)
    ('rr.billing_periods(date,date,interval,date)', 'anchor', 'NULL', 'anchor NULL means start'),
    ('rr.add_fiscal_periods(daterange[])', 'periods', 'empty array', 'no period to add: adds nothing and returns 0'),
    ('rr.billing_periods(date,date,interval,date)', 'start', 'NULL', 'a NULL start, stop or every gives no rows'),
    ('rr.billing_periods(date,date,interval,date)', 'stop', 'NULL', 'a NULL start, stop or every gives no rows'),
    ('rr.billing_periods(date,date,interval,date)', 'every', 'NULL', 'a NULL start, stop or every gives no rows'),
    ('rr.billing_periods(date,date,interval,date)', 'stop', '4713-01-01 BC', 'stop <= start gives no rows'),
    ('rr.billing_periods(date,date,interval,date)', 'start', '294276-01-01', 'stop <= start gives no rows'),
    ('rr.billing_periods(date,date,interval,date)', 'start', '4713-01-01 BC', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.billing_periods(date,date,interval,date)', 'stop', '294276-01-01', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.billing_periods(date,date,interval,date)', 'anchor', '4713-01-01 BC', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.billing_periods(date,date,interval,date)', 'anchor', '294276-01-01', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.billing_periods(date,date,interval,date)', 'every', '178000000 years', 'a billing interval is any positive number of whole months or days'),
    ('rr.period_containing(date,interval,date)', 'd', '4713-01-01 BC', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.period_containing(date,interval,date)', 'd', '294276-01-01', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.period_containing(date,interval,date)', 'anchor', '4713-01-01 BC', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.period_containing(date,interval,date)', 'anchor', '294276-01-01', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.spread(numeric,daterange,text,interval,date,integer)', 'anchor', '4713-01-01 BC', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.spread(numeric,daterange,text,interval,date,integer)', 'anchor', '294276-01-01', 'calendar functions take any finite date (22008 only beyond PostgreSQL''s range)'),
    ('rr.spread(numeric,daterange,text,interval,date,integer)', 'grain', '178000000 years', 'a grain is any positive number of whole months or days'),
    ('rr.prorate(daterange,daterange,text)', 'part', 'empty', 'part may be empty (0)'),
    ('rr.prorate(daterange,daterange,text)', 'part', '(,)', 'part may be unbounded (clipped to whole)'),
    ('rr.prorate(daterange,daterange,text)', 'part', '[-infinity,infinity)', 'part is clipped to whole'),
    ('rr.prorate(daterange,daterange,text)', 'part', '[4713-01-01 BC,294276-01-01)', 'part is clipped to whole'),
    ('rr.prorate(daterange,daterange,text)', 'whole', '[4713-01-01 BC,294276-01-01)', 'whole must be non-empty and bounded; calendar functions take any finite date'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'part', 'empty', 'part may be empty (0)'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'part', '(,)', 'part may be unbounded (clipped to whole)'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'part', '[-infinity,infinity)', 'part is clipped to whole'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'part', '[4713-01-01 BC,294276-01-01)', 'part is clipped to whole'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'whole', '[4713-01-01 BC,294276-01-01)', 'whole must be non-empty and bounded; calendar functions take any finite date'),
    -- Exact money (C)
    ('rr.allocate(numeric,numeric[],integer)', 'total', '1e300', 'exact for any finite weights and totals, with no limit on digits'),
    ('rr.allocate(numeric,numeric[],text)', 'total', '1e300', 'exact for any finite weights and totals, with no limit on digits'),
    ('rr.allocate(numeric,numeric[],integer)', 'weights', '10^6 elements', 'exact for any finite weights (no limit on their number)'),
    ('rr.allocate(numeric,numeric[],text)', 'weights', '10^6 elements', 'exact for any finite weights (no limit on their number)'),
    ('rr.round_preserving_sum(numeric[],integer)', 'amounts', '10^6 elements', 'any number of amounts (each within 18 digits)'),
    ('rr.spread_periods(numeric,daterange,daterange[],text,integer)', 'periods', '10^6 elements', 'a custom fiscal calendar need only cover the service; 54000 only beyond 100,000 periods spread over'),
    -- Defaults that are not NULL
    ('rr.create_contract(text,text,date,jsonb,text)', 'overrides', '{}', 'the declared default: no overrides'),
    ('rr.change_contract_line(bigint,text,date,numeric,jsonb,boolean)', 'prices', '{}', 'the declared default: no price change'),
    ('rr.amend_contract(bigint,date,jsonb,text,jsonb,text,text)', 'facts', '{}', 'no facts given: the defaults (nothing added distinct, remaining goods distinct) derive prospective treatment'),
    ('rr.preview_amendment(bigint,date,jsonb,text,jsonb,text,text)', 'facts', '{}', 'no facts given: the defaults (nothing added distinct, remaining goods distinct) derive prospective treatment'),
    ('rr.activate_upgrade(bigint,date,text,jsonb,text,text)', 'facts', '{}', 'no facts given: the defaults (nothing added distinct, remaining goods distinct) derive prospective treatment'),
    ('rr.rewrite_contract(bigint,date,jsonb,date,text,jsonb,text,text)', 'facts', '{}', 'no facts given: the defaults (nothing added distinct, remaining goods distinct) derive prospective treatment'),
    -- Free text (descriptions, reasons, references, methods, names): stored as given
    ('rr.create_tenant(text,text,text,text)', 'name', '1 MB', 'free text, stored as given'),
    ('rr.create_contract(text,text,date,jsonb,text)', 'description', '''''', 'free text, stored as given'),
    ('rr.create_contract(text,text,date,jsonb,text)', 'description', '1 MB', 'free text, stored as given'),
    ('rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', 'description', '''''', 'free text, stored as given'),
    ('rr.add_one_off_charge(bigint,text,date,numeric,numeric,numeric,text,text)', 'description', '''''', 'free text, stored as given'),
    ('rr.add_one_off_charge(bigint,text,date,numeric,numeric,numeric,text,text)', 'description', '1 MB', 'free text, stored as given'),
    ('rr.allocate_discount_to(bigint,integer[])', 'lines', '10^6 elements', 'a list of contract lines: a line named many times is named once'),
    ('rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', 'description', '1 MB', 'free text, stored as given'),
    ('rr.amend_contract(bigint,date,jsonb,text,jsonb,text,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.rewrite_contract(bigint,date,jsonb,date,text,jsonb,text,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.rewrite_contract(bigint,date,jsonb,date,text,jsonb,text,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.pause_contract(bigint,date,date,boolean,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.pause_contract(bigint,date,date,boolean,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.resume_contract(bigint,date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.resume_contract(bigint,date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.amend_contract(bigint,date,jsonb,text,jsonb,text,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.preview_amendment(bigint,date,jsonb,text,jsonb,text,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.preview_amendment(bigint,date,jsonb,text,jsonb,text,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.activate_upgrade(bigint,date,text,jsonb,text,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.activate_upgrade(bigint,date,text,jsonb,text,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.start_upgrade(bigint,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.start_upgrade(bigint,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.cancel_upgrade(bigint,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.cancel_upgrade(bigint,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.terminate_contract(bigint,date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.terminate_contract(bigint,date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.complete_contract(bigint,date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.complete_contract(bigint,date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.credit_invoice(bigint,numeric,integer[],text,date)', 'reason', '''''', 'free text, stored as given'),
    ('rr.credit_invoice(bigint,numeric,integer[],text,date)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', 'reference', '''''', 'free text, stored as given'),
    ('rr.top_up_wallet(text,numeric,date,date,text,text)', 'reference', '''''', 'free text, stored as given'),
    ('rr.add_commitment(bigint,numeric,text,interval,integer[],integer)', 'line_nos', '10^6 elements', 'lines of the contract, each stored once: the 10^6 copies of line 1 are the set {1}'),
    ('rr.top_up_wallet(text,numeric,date,date,text,text)', 'reference', '1 MB', 'free text, stored as given'),
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', 'reference', '1 MB', 'free text, stored as given'),
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', 'method', '''''', 'free text, stored as given'),
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', 'method', '1 MB', 'free text, stored as given'),
    ('rr.record_progress(bigint,integer,numeric,date,boolean,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.record_progress(bigint,integer,numeric,date,boolean,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.schedule_price_change(text,text,numeric,date,text,date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.schedule_price_change(text,text,numeric,date,text,date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.schedule_price_change(text,text,numeric,date,text,date,text)', 'price', '-0', 'the price 0 (a free item), as given'),
    ('rr.schedule_contract_item_price_change(text,text,numeric,date,text,date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.schedule_contract_item_price_change(text,text,numeric,date,text,date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.schedule_contract_item_price_change(text,text,numeric,date,text,date,text)', 'price', '-0', 'the price 0 (a free item), as given'),
    ('rr.close_period(date,text)', 'reason', 'NULL', 'free text, stored as given'),
    ('rr.close_period(date,text)', 'reason', '''''', 'free text, stored as given'),
    ('rr.close_period(date,text)', 'reason', '1 MB', 'free text, stored as given'),
    ('rr.reopen_period(date,text)', 'reason', '1 MB', 'free text, stored as given'),
    -- Usage
    ('rr.record_usage(bigint,text,numeric,timestamp with time zone,text,jsonb)', 'properties', '{}', 'properties are any JSON object (DEFAULT NULL)'),
    ('rr.record_usage(rr.usage_record[])', 'events', 'empty array', 'a batch of no events records none and returns 0'),
    ('rr.record_usage(rr.usage_record[])', 'events', 'customer NULL', 'a record names its contract by contract_id or customer'),
    ('rr.record_usage(rr.usage_record[])', 'events', 'idempotency_key NULL', 'no key, as in rr.record_usage(..., idempotency_key DEFAULT NULL)'),
    ('rr.record_usage(rr.usage_record[])', 'events', 'properties NULL', 'no properties, as in rr.record_usage(..., properties DEFAULT NULL)'),
    ('rr.record_usage(rr.usage_record[])', 'events', 'properties {}', 'properties are any JSON object'),
    -- Receivables
    ('rr.invoice_balances(text,date,bigint[])', 'only_invoices', 'empty array', 'only these invoices: none'),
    ('rr.invoice_balances(text,date,bigint[])', 'only_invoices', '10^6 elements', 'only these invoices: any number of ids')
  ) x(f, a, v, w);
-- every function of a pricing takes every valid pricing (the parser's limits: 38 digits
-- before the point, 18 after, 100 tiers)
INSERT INTO bi_accepted
SELECT DISTINCT fn, argument, value, 'a valid pricing: the parser accepts it, every pricing function takes it'
  FROM bi_case
 WHERE value IN ('largest price', 'smallest price', '100 tiers, largest values');

-- Out-of-range values stored in a table of schema rr: NaN, infinities and |x| >= 1e18 in
-- numeric columns, dates and timestamps outside years 1..9999 (so also +-infinity),
-- intervals beyond 1000 years.  Counted in the tables (partitions included) that the
-- transaction has inserted into or updated since the write counters were seen.
CREATE FUNCTION pg_temp.bi_write_counters() RETURNS jsonb
LANGUAGE sql AS $$
    SELECT coalesce(jsonb_object_agg(c.oid, pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)), '{}')
      FROM pg_class c WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'
$$;
CREATE FUNCTION pg_temp.bi_out_of_range(seen jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    total bigint := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass AS rel, string_agg(CASE
                   WHEN b.base = 'numeric'::regtype THEN format('abs(%I) >= 1e18', a.attname)
                   WHEN b.base IN ('date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype)
                       THEN format('%I NOT BETWEEN ''0001-01-01'' AND ''9999-12-31''', a.attname)
                   WHEN b.base = 'daterange'::regtype
                       THEN format('(lower(%1$I) < ''0001-01-01'' OR upper(%1$I) > ''9999-12-31'')', a.attname)
                   ELSE format('abs(extract(epoch FROM %I)) > 31557600000', a.attname)
               END, ' OR ') AS cond
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          -- (a domain's column by its base type: the staging table's rr.usage_quantity, rr.usage_time)
         CROSS JOIN LATERAL (SELECT CASE ty.typtype WHEN 'd' THEN ty.typbasetype ELSE ty.oid END AS base
                               FROM pg_type ty WHERE ty.oid = a.atttypid) b
         WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'
           AND pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)
               > coalesce((seen ->> c.oid::text)::bigint, 0)
           AND b.base IN ('numeric'::regtype, 'date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype,
                              'daterange'::regtype, 'interval'::regtype)
         GROUP BY c.oid
    LOOP
        EXECUTE format('SELECT count(*) FROM ONLY %s WHERE %s', t.rel, t.cond) INTO n;
        total := total + n;
    END LOOP;
    RETURN total;
END
$$;
-- Row counts of every table of schema rr (partitions counted in their parents).
-- Accepted as documented where a hostile value is harmless (each with its reason); the
-- bounds that matter for the books are in docs/limits-and-errors.md.
-- The reports of src/sql/87_reports/ are read-only and take any date: before all data or
-- after it, they answer with what the books hold (often nothing); an empty window is refused.
INSERT INTO bi_accepted
SELECT f::regprocedure, a, v, 'read-only report: a report may be asked as of any date (infinity: all of time); nothing is stored'
  FROM (VALUES
    ('rr.mrr_as_of(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'::text[]),
    ('rr.dunning_status_as_of(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.customer_dunning_status_as_of(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.customer_summary(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.prepaid_balances(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.commitment_usage(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.revenue_forecast(date,integer)', 'as_of', '{-infinity,"4713-01-01 BC",infinity}'),
    ('rr.remaining_performance_obligations(date)', 'as_of', '{-infinity,"4713-01-01 BC",infinity}'),
    ('rr.deferral_schedule_summary(date)', 'as_of', '{-infinity,"4713-01-01 BC",infinity}'),
    ('rr.usage_vs_included(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}'),
    ('rr.mrr_movement_detail(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.mrr_movement_detail(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.mrr_movement(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.mrr_movement(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.deferred_revenue_rollforward(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.deferred_revenue_rollforward(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.billings(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.billings(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.recognised_revenue(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.recognised_revenue(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.revenue_disaggregation(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.revenue_disaggregation(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.bookings(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.bookings(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.discount_usage(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.discount_usage(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.billing_forecast(date,integer)', 'as_of', '{294276-01-01,"4713-01-01 BC"}'),
    ('rr.contract_balance_rollforward(date,date)', 'from_date', '{-infinity,"4713-01-01 BC"}'),
    ('rr.contract_balance_rollforward(date,date)', 'to_date', '{294276-01-01,infinity}'),
    ('rr.deferred_revenue_waterfall(date)', 'as_of', '{-infinity,294276-01-01,"4713-01-01 BC",infinity}')
  ) x(f, a, vs), unnest(vs) v;
INSERT INTO bi_accepted (fn, argument, value, why) VALUES
    ('rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', 'first_periods', $v$2147483647$v$, 'any positive number of periods'),
    ('rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', 'valid', $v$(,)$v$, 'an unbounded validity range means always (README Limits)'),
    ('rr.ar_aging(date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.ar_aging(date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.ar_aging(date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.ar_aging(date)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.ar_aging(date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.billing_anchor(text,date,interval)', 'alignment', $v$''$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'alignment', $v$1 MB$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'alignment', $v$NULL$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'bill_from', $v$-infinity$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'bill_from', $v$294276-01-01$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'bill_from', $v$4713-01-01 BC$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'bill_from', $v$NULL$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'bill_from', $v$infinity$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$-1 month$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$-178000000 years$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$0$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$1 microsecond$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$178000000 years$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_anchor(text,date,interval)', 'every', $v$NULL$v$, 'pure date arithmetic that stores nothing; the tables CHECK constraints validate alignment and billing periods'),
    ('rr.billing_interval(text,integer)', 'billing_period', $v$NULL$v$, 'NULL, like on_demand, means no billing period (NULL)'),
    ('rr.change_contract_line(bigint,text,date,numeric,jsonb,boolean)', 'prices', $v$NULL$v$, 'NULL means no overrides, as {} does'),
    ('rr.check_date(text,date)', 'value', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_date(text,date)', 'what', $v$''$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_date(text,date)', 'what', $v$1 MB$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_date(text,date)', 'what', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_number(text,numeric)', 'value', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_number(text,numeric)', 'what', $v$''$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_number(text,numeric)', 'what', $v$1 MB$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_number(text,numeric)', 'what', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_template_duration(integer,text)', 'duration', $v$-2147483648$v$, 'checks the 100-year bound only; the template tables own CHECKs refuse non-positive durations and unknown units'),
    ('rr.check_template_duration(integer,text)', 'duration', $v$NULL$v$, 'checks the 100-year bound only; the template tables own CHECKs refuse non-positive durations and unknown units'),
    ('rr.check_template_duration(integer,text)', 'duration_unit', $v$''$v$, 'checks the 100-year bound only; the template tables own CHECKs refuse non-positive durations and unknown units'),
    ('rr.check_template_duration(integer,text)', 'duration_unit', $v$1 MB$v$, 'checks the 100-year bound only; the template tables own CHECKs refuse non-positive durations and unknown units'),
    ('rr.check_template_duration(integer,text)', 'duration_unit', $v$NULL$v$, 'checks the 100-year bound only; the template tables own CHECKs refuse non-positive durations and unknown units'),
    ('rr.check_time_zone(text,text)', 'value', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_time_zone(text,text)', 'what', $v$''$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_time_zone(text,text)', 'what', $v$1 MB$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.check_time_zone(text,text)', 'what', $v$NULL$v$, 'validation helper: NULL is valid (absent); what is only the label of the message'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'at', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'at', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'at', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'at', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'contract_id', $v$-9223372036854775808$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.contract_as_of(bigint,timestamp with time zone)', 'contract_id', $v$9223372036854775807$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.expiring_contracts_as_of(date,integer)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.expiring_contracts_as_of(date,integer)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.expiring_contracts_as_of(date,integer)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.expiring_contracts_as_of(date,integer)', 'within_days', $v$-0$v$, 'read-only: a window of 0 days lists only what ended or is in grace; nothing is stored'),
    ('rr.contract_renewals_as_of(date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_renewals_as_of(date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_renewals_as_of(date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_renewals_as_of(date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'from_date', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'from_date', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'from_date', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'from_date', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'to_date', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'to_date', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'to_date', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.renewal_rate(date,date)', 'to_date', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_balances(date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_balances(date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_balances(date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_balances(date)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_balances(date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_lines_as_of(bigint,date)', 'contract_id', $v$-9223372036854775808$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.contract_lines_as_of(bigint,date)', 'contract_id', $v$9223372036854775807$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.contract_lines_as_of(bigint,date)', 'on_date', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_lines_as_of(bigint,date)', 'on_date', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_lines_as_of(bigint,date)', 'on_date', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_lines_as_of(bigint,date)', 'on_date', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.contract_revenue_schedule(bigint,date)', 'contract_id', $v$-9223372036854775808$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.contract_revenue_schedule(bigint,date)', 'contract_id', $v$9223372036854775807$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.contract_revenue_schedule(bigint,date)', 'contract_id', $v$NULL$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.create_contract(text,text,date,jsonb,text)', 'overrides', $v$NULL$v$, 'NULL means no overrides, as {} does'),
    ('rr.customer_credits(text,date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.customer_credits(text,date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.customer_credits(text,date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.customer_credits(text,date)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.customer_credits(text,date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.customer_credits(text,date)', 'tenant_id', $v$''$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.customer_credits(text,date)', 'tenant_id', $v$1 MB$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.customer_credits(text,date)', 'tenant_id', $v$NULL$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.due_charges(text,date,bigint)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.due_charges(text,date,bigint)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.due_charges(text,date,bigint)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.due_charges(text,date,bigint)', 'only_contract', $v$-9223372036854775808$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.due_charges(text,date,bigint)', 'only_contract', $v$9223372036854775807$v$, 'read-only: a contract that does not exist or is another tenants gives no rows (row security; telling them apart would leak)'),
    ('rr.due_charges(text,date,bigint)', 'tenant_id', $v$''$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.due_charges(text,date,bigint)', 'tenant_id', $v$1 MB$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.due_charges(text,date,bigint)', 'tenant_id', $v$NULL$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.invoice_balances(text,date,bigint[])', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.invoice_balances(text,date,bigint[])', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.invoice_balances(text,date,bigint[])', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.invoice_balances(text,date,bigint[])', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.invoice_balances(text,date,bigint[])', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.invoice_balances(text,date,bigint[])', 'tenant_id', $v$''$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.invoice_balances(text,date,bigint[])', 'tenant_id', $v$1 MB$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.invoice_balances(text,date,bigint[])', 'tenant_id', $v$NULL$v$, 'read-only: row security limits the rows to the sessions tenant; any other tenant_id gives no rows'),
    ('rr.is_valid_date(date)', 'value', $v$-infinity$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_date(date)', 'value', $v$294276-01-01$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_date(date)', 'value', $v$4713-01-01 BC$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_date(date)', 'value', $v$NULL$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_date(date)', 'value', $v$infinity$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_number(numeric)', 'value', $v$+Infinity$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_number(numeric)', 'value', $v$-Infinity$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_number(numeric)', 'value', $v$1e300$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_number(numeric)', 'value', $v$NULL$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.is_valid_number(numeric)', 'value', $v$NaN$v$, 'a predicate: answers false for what may not enter the books (NULL: true, absent), stores nothing'),
    ('rr.list_price(text,text,text,date)', 'item', $v$NULL$v$, 'no such item: NULL'),
    ('rr.price(rr.pricing,numeric)', 'quantity', $v$1e300$v$, 'pure computation, exact for any finite number; nothing is stored (stored amounts are bounded by CHECK constraints)'),
    ('rr.price_reference(rr.pricing,numeric)', 'quantity', $v$1e300$v$, 'pure computation, exact for any finite number; nothing is stored (stored amounts are bounded by CHECK constraints)'),
    ('rr.price_tiers(rr.pricing,numeric)', 'quantity', $v$1e300$v$, 'pure computation, exact for any finite number; nothing is stored (stored amounts are bounded by CHECK constraints)'),
    ('rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'amount', $v$1e300$v$, 'pure computation, exact for any finite number; nothing is stored (stored amounts are bounded by CHECK constraints)'),
    ('rr.record_payment(text,numeric,date,text,boolean,text,text)', 'apply', $v$NULL$v$, 'NULL means false: the payment stays unapplied, as with apply => false'),
    ('rr.record_usage(bigint,text,numeric,timestamp with time zone,text,jsonb)', 'idempotency_key', $v$''$v$, 'any text is an idempotency key, the empty one included'),
    ('rr.record_usage(bigint,text,numeric,timestamp with time zone,text,jsonb)', 'properties', $v$1 MB$v$, 'properties are stored as given (jsonb)'),
    ('rr.record_usage(rr.usage_record[])', 'events', $v$customer ''$v$, 'the customer is ignored when contract_id names the contract'),
    ('rr.record_usage(rr.usage_record[])', 'events', $v$customer 1 MB$v$, 'the customer is ignored when contract_id names the contract'),
    ('rr.record_usage(rr.usage_record[])', 'events', $v$idempotency_key ''$v$, 'any text is an idempotency key, the empty one included'),
    ('rr.record_usage(rr.usage_record[])', 'events', $v$properties 1 MB$v$, 'properties are stored as given (jsonb)'),
    ('rr.revenue_reconciliation(date)', 'as_of', $v$-infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.revenue_reconciliation(date)', 'as_of', $v$294276-01-01$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.revenue_reconciliation(date)', 'as_of', $v$4713-01-01 BC$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.revenue_reconciliation(date)', 'as_of', $v$NULL$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.revenue_reconciliation(date)', 'as_of', $v$infinity$v$, 'read-only: a report may be asked as of any date (infinity: all of time; NULL selects nothing); nothing is stored'),
    ('rr.add_milestone(bigint,integer,text,numeric,numeric)', 'name', $v$1 MB$v$, 'a milestone name is free text, stored as given (docs/limits-and-errors.md)'),
    ('rr.set_obligation(bigint,integer,integer,numeric,boolean)', 'obligation_no', $v$2147483647$v$, 'any positive obligation number'),
    ('rr.unit_price(rr.pricing,numeric)', 'quantity', $v$1e300$v$, 'pure computation, exact for any finite number; nothing is stored (stored amounts are bounded by CHECK constraints)');

CREATE TEMP TABLE bi_count_query AS
-- (a VALUES list, not jsonb_build_object: a function takes at most 100 arguments, and there
-- are more than 50 tables)
SELECT 'SELECT jsonb_object_agg(t, n) FROM (VALUES '
       || string_agg(format('(%L, (SELECT count(*) FROM %s))', c.oid::regclass, c.oid::regclass), ', ')
       || ') v (t, n)' AS query
  FROM pg_class c
 WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition;

CREATE TEMP TABLE bi_result (id integer PRIMARY KEY, state text, duration interval, stored bigint, message text);
CREATE TEMP TABLE bi_rows (fn regprocedure, phase text, counts jsonb, PRIMARY KEY (fn, phase));

-- One call in a subtransaction that is always rolled back: ok (accepted; with the number
-- of out-of-range values stored) or the SQLSTATE, and the duration.
CREATE FUNCTION pg_temp.bi_try(case_id integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    q text := (SELECT call FROM bi_case WHERE id = case_id);
    qa text := (SELECT args_call FROM bi_case WHERE id = case_id);
    seen jsonb := pg_temp.bi_write_counters();
    t0 timestamptz;
    took interval;
    args_took interval := interval '0';
    n bigint;
    st text;
    msg text;
BEGIN
    t0 := clock_timestamp();
    BEGIN
        EXECUTE q;
        took := clock_timestamp() - t0;
        n := pg_temp.bi_out_of_range(seen);
        RAISE EXCEPTION 'roll back' USING ERRCODE = 'RRBOK';
    EXCEPTION
        WHEN query_canceled THEN
            took := clock_timestamp() - t0;
            st := '57014';
            msg := SQLERRM;
        WHEN OTHERS THEN
            IF SQLSTATE = 'RRBOK' THEN
                st := 'ok';
            ELSE
                took := clock_timestamp() - t0;
                st := SQLSTATE;
                msg := left(SQLERRM, 200);
            END IF;
    END;
    -- a call over a second: what building its arguments costs is subtracted
    IF took > interval '1 second' * (SELECT load_per_core FROM bi_budget) AND st <> '57014' THEN
        BEGIN
            t0 := clock_timestamp();
            EXECUTE qa;
            args_took := clock_timestamp() - t0;
        EXCEPTION WHEN OTHERS THEN
            args_took := interval '0';
        END;
        took := greatest(took - args_took, interval '0');
    END IF;
    -- a repeated call (see below) keeps its best attempt
    INSERT INTO bi_result VALUES (case_id, st, took, n, msg)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, duration = excluded.duration,
                                   stored = excluded.stored, message = excluded.message
     WHERE bi_result.state = '57014' OR excluded.duration < bi_result.duration;
END
$$;

CREATE FUNCTION pg_temp.bi_count(f regprocedure, ph text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c jsonb;
BEGIN
    EXECUTE (SELECT query FROM bi_count_query) INTO c;
    INSERT INTO bi_rows VALUES (f, ph, c);
END
$$;

-- Each call a statement of its own, so that statement_timeout stops one that runs away
-- (it is caught and reported as 57014); row counts before and after each function's batch.
-- The time budget of a call: one second on an idle machine.  On a machine shared with
-- other work it is scaled by the load per core (the 1-minute load average over the number
-- of processors, at least 1), read when the calls start and printed below, so that the rule
-- measures this code, not someone else's load.
CREATE TEMP TABLE bi_budget AS
SELECT greatest(1, (split_part(pg_read_file('/proc/loadavg'), ' ', 1))::numeric
                   / greatest(1, (SELECT count(*) FROM regexp_matches(pg_read_file('/proc/cpuinfo'), '^processor', 'gn'))))
       AS load_per_core;
SET LOCAL statement_timeout = '10s';
SELECT s FROM (
    SELECT DISTINCT fn::oid AS o, 0 AS ord, 0 AS id, format('SELECT pg_temp.bi_count(%s, ''before'')', fn::oid) AS s
      FROM bi_call WHERE args IS NOT NULL
    UNION ALL
    SELECT fn::oid, 1, id, format('SELECT pg_temp.bi_try(%s)', id) FROM bi_case
    UNION ALL
    SELECT DISTINCT fn::oid, 2, 0, format('SELECT pg_temp.bi_count(%s, ''after'')', fn::oid)
      FROM bi_call WHERE args IS NOT NULL
) x ORDER BY o, ord, id \gexec
-- A call over a second is made twice more and keeps its best time: a timing rule on a
-- machine shared with other work must not fail on someone else's load.
SELECT format('SELECT pg_temp.bi_try(%s)', r.id)
  FROM bi_result r, generate_series(1, 2) g
 WHERE r.duration > interval '1 second' * (SELECT load_per_core FROM bi_budget) OR r.state = '57014'
 ORDER BY r.id, g \gexec
RESET statement_timeout;
\o

-- ------------------------------------------------------------------ the rules
CREATE TEMP VIEW bi_outcome AS
SELECT c.id, c.fn, c.argument, c.value, r.state, r.duration, r.stored, r.message,
       b.stored AS base_stored,
       EXISTS (SELECT FROM bi_known_gap k WHERE k.fn = c.fn AND k.argument = c.argument AND k.value = c.value) AS known_gap,
       (c.strict AND c.value = 'NULL') OR (c.default_null AND c.value = 'NULL')
       OR c.value ~ '(^| )-0$'
       OR EXISTS (SELECT FROM bi_accepted a WHERE a.fn = c.fn AND a.argument = c.argument AND a.value = c.value) AS documented
  FROM bi_case c JOIN bi_result r USING (id)
  LEFT JOIN (SELECT c0.base, r0.stored FROM bi_case c0 JOIN bi_result r0 USING (id) WHERE c0.argno = 0) b USING (base)
 WHERE c.argno > 0;

CREATE TEMP VIEW bi_offence AS
SELECT fn, argument, value, 'internal or resolution error ' || state || ': ' || coalesce(message, '') AS offence
  FROM bi_outcome
 WHERE state ~ '^(XX|53|57014|42883|42804|42601)'
UNION ALL
SELECT fn, argument, value, 'accepted, not documented'
  FROM bi_outcome WHERE state = 'ok' AND NOT documented
UNION ALL
SELECT fn, argument, value, format('stored %s out-of-range values (the base call %s)', stored, base_stored)
  FROM bi_outcome WHERE state = 'ok' AND stored > coalesce(base_stored, 0)
UNION ALL
SELECT fn, argument, value, format('took %s', duration)
  FROM bi_outcome WHERE duration > interval '1 second' * (SELECT load_per_core FROM bi_budget);

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace = 'rr'::regnamespace AND NOT EXISTS (SELECT FROM bi_call c WHERE c.fn = p.oid)
       -- (a procedure commits, which it cannot do inside this test's transaction: its
       -- refusals are tested at the end of this file and in the Citus tier)
       AND p.prokind <> 'p'
$$, 'every public function has a base call (add a row to bi_call for one listed here)');

SELECT is_empty($$
    SELECT c.fn, r.state, r.message FROM bi_case c JOIN bi_result r USING (id)
     WHERE c.argno = 0 AND r.state <> 'ok'
$$, 'every base call is accepted');

SELECT cmp_ok((SELECT count(*) FROM bi_outcome)::integer, '>=', 700, 'at least 700 hostile calls made');

SELECT is_empty($$
    SELECT fn, argument, value, offence FROM bi_offence
     WHERE offence LIKE 'internal%' AND (fn, argument, value) NOT IN (SELECT fn, argument, value FROM bi_known_gap)
     ORDER BY 1, 2, 3
$$, 'every refusal has a SQLSTATE that is not an internal, resource, timeout or resolution error');

SELECT is_empty($$
    SELECT fn, argument, value, offence FROM bi_offence
     WHERE offence LIKE 'accepted%' AND (fn, argument, value) NOT IN (SELECT fn, argument, value FROM bi_known_gap)
     ORDER BY 1, 2, 3
$$, 'every accepted hostile value is documented (bi_accepted, or NULL to a STRICT function)');

SELECT is_empty($$
    SELECT fn, argument, value, offence FROM bi_offence
     WHERE offence LIKE 'stored%' AND (fn, argument, value) NOT IN (SELECT fn, argument, value FROM bi_known_gap)
     ORDER BY 1, 2, 3
$$, 'no accepted call stores NaN, an infinity or an out-of-range value');

SELECT is_empty($$
    SELECT b.fn, x.key AS "table", x.value AS before, a.counts -> x.key AS after
      FROM bi_rows b JOIN bi_rows a ON a.fn = b.fn AND a.phase = 'after', jsonb_each(b.counts) x
     WHERE b.phase = 'before' AND a.counts -> x.key IS DISTINCT FROM x.value
$$, 'no function''s batch of hostile calls changes a row count in schema rr');

SELECT is_empty($$
    SELECT fn, argument, value, offence FROM bi_offence
     WHERE offence LIKE 'took%' AND (fn, argument, value) NOT IN (SELECT fn, argument, value FROM bi_known_gap)
     ORDER BY 1, 2, 3
$$, 'no call takes longer than a second (scaled by the load per core of a shared machine)');
SELECT diag(format('time budget per call: %s s (load per core %s)', round((SELECT load_per_core FROM bi_budget), 2),
                   round((SELECT load_per_core FROM bi_budget), 2)));

SELECT is_empty($$
    SELECT a.fn, a.argument, a.value, coalesce(o.state, 'no such call') AS state FROM bi_accepted a
      LEFT JOIN bi_outcome o ON o.fn = a.fn AND o.argument = a.argument AND o.value = a.value
     WHERE o.state IS DISTINCT FROM 'ok'
$$, 'every row of bi_accepted names a call that is accepted');

SELECT is_empty($$
    SELECT k.fn, k.argument, k.value FROM bi_known_gap k
     WHERE NOT EXISTS (SELECT FROM bi_offence o WHERE o.fn = k.fn AND o.argument = k.argument AND o.value = k.value)
$$, 'every known gap is still a gap (delete the rows listed here)');


SELECT is_empty($$
    SELECT fn, argument, value, offence FROM bi_offence WHERE (fn, argument, value) IN (SELECT fn, argument, value FROM bi_known_gap)
     ORDER BY 1, 2, 3
$$, 'no known gaps left (bi_known_gap lists offenders not fixed yet)');

-- rr.distribute() without Citus (docs/scale-out.md): a clear refusal, and nothing changed
SELECT throws_ok('SELECT * FROM rr.distribute()', '0A000', 'citus is not installed in this database',
                 'rr.distribute() without Citus refuses with 0A000');
-- rr.move_tenant, rr.drain_node and rr.rebalance (procedures, docs/scale-out.md): refused
-- before they commit anything
SELECT throws_ok($$CALL rr.move_tenant('default', 'worker-1', 5432)$$, '0A000', 'citus is not installed in this database',
                 'rr.move_tenant without Citus refuses with 0A000');
SELECT throws_ok($$CALL rr.move_tenant('default', 'worker-1', 5432, 'fast')$$, '22023', 'invalid shard transfer mode "fast"',
                 'rr.move_tenant refuses a transfer mode Citus does not have (22023)');
SELECT throws_ok($$CALL rr.drain_node('worker-2', 5432)$$, '0A000', 'citus is not installed in this database',
                 'rr.drain_node without Citus refuses with 0A000');
SELECT throws_ok($$CALL rr.rebalance()$$, '0A000', 'citus is not installed in this database',
                 'rr.rebalance without Citus refuses with 0A000');

SELECT * FROM finish();
ROLLBACK;
