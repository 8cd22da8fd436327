-- Schedules as of a date (docs/reports.md): the RPO, the revenue forecast and the deferral
-- schedule summary as of a date D answer as the schedules stood on D.  For each kind of
-- re-plan, in a tenant of its own: what they answer as of dates before the change does not
-- move when the change is made, and as of dates on or after it they answer what the current
-- schedule holds.  The workflows re-plan from a date that is not always the day the change
-- takes effect (a resume re-plans from the first day paused, a cumulative catch-up the whole
-- service, a termination before a line starts its obligation from that start): these are
-- the cases a review found answering wrongly before the re-plan took the change's own date.
BEGIN;
SELECT plan(24);

-- one tenant per scenario, each with seats at 10.00 a month (one-year terms, monthly,
-- prorated refunds) and an annual plan of 1,200.00, recognised daily
CREATE FUNCTION pg_temp.tenant(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr.create_tenant(t, 'Schedules as of a date', 'USD');
    EXECUTE format('SET LOCAL rr.tenant = %L', t);
    INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
    VALUES (t, 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
    INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
    VALUES (t, 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'), (t, 'PLAN', 'Annual plan', '4000', '2100', '1100', 'DAILY');
    INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES (t, 'SEAT', 'USD', 10.00), (t, 'PLAN', 'USD', 1200.00);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
    VALUES (t, 'SEATS', 'Seats, 10.00 a month', 'USD', 'SEAT', 'prepaid', 100),
           (t, 'ANNUAL', 'Annual plan, 1,200.00 a year', 'USD', 'PLAN', 'prepaid', 1);
    INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                      alignment, allow_override, refund_policy)
    VALUES (t, 'MONTHLY', 'Seats billed monthly, one-year term', 'renewable', 1, 'year', 'month', 'calendar', true,
            'prorated');
    INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES (t, 'MONTHLY', 1, 'SEATS', 1);
    INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES (t, 'A', 'A', 'USD');
END $$;

-- the three reports as of a date, as one text (compared before and after a change)
CREATE FUNCTION pg_temp.asof(d date) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' / ',
        (SELECT string_agg(concat_ws(':', currency, within_12_months, beyond_12_months, total), ',')
           FROM rr.remaining_performance_obligations(d)),
        (SELECT string_agg(concat_ws(':', month, scheduled, contracts), ',' ORDER BY month) FROM rr.revenue_forecast(d, 24)),
        (SELECT string_agg(concat_ws(':', item, scheduled, recognised, due, within_12_months, beyond_12_months), ',' ORDER BY item)
           FROM rr.deferral_schedule_summary(d)))
$$;
-- what the current schedule holds not recognised as of a date (for dates on or after every
-- change, with nothing billed after them), and the RPO
CREATE FUNCTION pg_temp.current(d date) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(l.amount), 0) FROM rr.revenue_schedule_line l
     WHERE l.tenant_id = current_setting('rr.tenant') AND (l.status = 'open' OR l.posted_on > d)
$$;
CREATE FUNCTION pg_temp.rpo(d date) RETURNS numeric LANGUAGE sql AS $$
    SELECT coalesce(sum(total), 0) FROM rr.remaining_performance_obligations(d)
$$;

-- 1. a cumulative catch-up amendment dated April 1 (10 -> 15 seats), January to March
-- recognised: it re-plans the whole service, and takes effect on April 1
SELECT pg_temp.tenant('sa_catch');
SELECT rr.create_contract('A', 'MONTHLY', '2025-01-01', '{"SEATS": {"quantity": 10}}') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT count(*) FROM rr.run_billing('2025-03-01');
SELECT count(*) FROM rr.post_invoices('2025-03-01');
SELECT count(*) FROM rr.recognize('2025-03-31');
SELECT pg_temp.asof('2025-02-15') AS feb, pg_temp.asof('2025-03-31') AS mar, pg_temp.rpo('2025-02-15') AS rpo_feb \gset
SELECT is(:'rpo_feb'::numeric, 1098.08, 'catch-up: the RPO as of February 15 before the amendment (hand-checked: 1,200.00 less January, 31 days of 365)');
SELECT applied_treatment FROM rr.amend_contract(:k, '2025-04-01', '[{"item": "SEATS", "quantity": 15}]',
                                                 facts => '{"remaining_distinct": false}');
SELECT is(pg_temp.asof('2025-02-15') || ' | ' || pg_temp.asof('2025-03-31'), :'feb' || ' | ' || :'mar',
          'catch-up: the reports as of February 15 and March 31 do not move when an amendment dated April 1 is made');
SELECT is(pg_temp.rpo('2025-04-01'), pg_temp.current('2025-04-01'),
          'catch-up: as of April 1 the RPO is what the current schedule holds');
SELECT is(pg_temp.rpo('2025-06-01'), pg_temp.current('2025-06-01'),
          'catch-up: as of June 1 too');

-- 2. a pause from April 1, open-ended, resumed on July 1: the resume re-plans from April 1
-- and takes effect on July 1
SELECT pg_temp.tenant('sa_pause');
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 10}}') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT rr.pause_contract(:k, '2024-04-01');
SELECT pg_temp.asof('2024-03-15') AS mar, pg_temp.asof('2024-05-15') AS may, pg_temp.rpo('2024-05-15') AS rpo_may \gset
SELECT is(:'rpo_may'::numeric, 300.00, 'pause: the RPO as of May 15 during an open-ended pause from April 1 (hand-checked: January to March)');
SELECT rr.resume_contract(:k, '2024-07-01');
SELECT is(pg_temp.asof('2024-03-15') || ' | ' || pg_temp.asof('2024-05-15'), :'mar' || ' | ' || :'may',
          'pause: the reports as of March 15 and May 15 do not move when the contract is resumed on July 1');
SELECT is(pg_temp.rpo('2024-07-01'), pg_temp.current('2024-07-01'), 'pause: as of July 1 the RPO is what the current schedule holds');
SELECT is(pg_temp.rpo('2024-09-01'), pg_temp.current('2024-09-01'), 'pause: as of September 1 too');

-- 3. a termination dated May 1 of a contract whose annual plan starts on July 1: the plan's
-- obligation is re-planned from its start, and the termination takes effect on May 1
SELECT pg_temp.tenant('sa_term');
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 5}}') AS k \gset
SELECT rr.change_contract_line(:k, 'ANNUAL', '2024-07-01', quantity => 1);
SELECT rr.setup_and_activate_contract(:k);
SELECT pg_temp.asof('2024-03-31') AS mar, pg_temp.asof('2024-04-30') AS apr \gset
SELECT rr.terminate_contract(:k, '2024-05-01');
SELECT is(pg_temp.asof('2024-03-31') || ' | ' || pg_temp.asof('2024-04-30'), :'mar' || ' | ' || :'apr',
          'termination: the reports as of March 31 and April 30 do not move when a termination dated May 1 is made');
SELECT is(pg_temp.rpo('2024-05-01'), 200.00,
          'termination: as of May 1 the RPO is the seats of January to April (hand-checked), not the annual plan');
SELECT is(pg_temp.rpo('2024-06-15'), pg_temp.current('2024-06-15'), 'termination: as of June 15 it is what the current schedule holds');

-- 4. two changes, the second dated before the first (back-dated): 5 seats, 9 from July 1,
-- then 7 from April 1, January to March recognised
SELECT pg_temp.tenant('sa_back');
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 5}}') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT count(*) FROM rr.run_billing('2024-03-31');
SELECT count(*) FROM rr.post_invoices('2024-03-31');
SELECT count(*) FROM rr.recognize('2024-03-31');
SELECT pg_temp.asof('2024-02-15') AS feb, pg_temp.asof('2024-03-31') AS mar \gset
SELECT rr.change_contract_line(:k, 'SEATS', '2024-07-01', quantity => 9);
SELECT rr.change_contract_line(:k, 'SEATS', '2024-04-01', quantity => 7);
SELECT is(pg_temp.asof('2024-02-15') || ' | ' || pg_temp.asof('2024-03-31'), :'feb' || ' | ' || :'mar',
          'back-dated: the reports before April 1 do not move');
SELECT is(pg_temp.rpo('2024-05-15'), pg_temp.current('2024-05-15'),
          'back-dated: as of May 15 the RPO is what the current schedule holds (the July change''s lines superseded from April 1)');
SELECT is(pg_temp.rpo('2024-09-01'), pg_temp.current('2024-09-01'), 'back-dated: as of September 1 too');
SELECT is_empty($$SELECT * FROM rr.superseded_schedule_line
                   WHERE tenant_id = 'sa_back' AND planned_on = '2024-07-01' AND superseded_on > '2024-04-01'$$,
                'back-dated: the lines planned for July 1 are superseded from April 1');

-- 5. a project recognised by percent complete (12,000.00, SSP 10,000.00) with 10 seats
-- (10.00 a month, SSP 10.00): the project is scheduled by its measurements, so what of its
-- allocation is not measured yet is in the RPO from its allocation as it stood on the date
-- asked (rr.obligation_allocation); 20 seats from July 1 re-allocate the transaction price
SELECT pg_temp.tenant('sa_pct');
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
VALUES ('sa_pct', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('sa_pct', 'PROJ', 'Project', '4200', '2100', '1100', 'PCT');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('sa_pct', 'PROJ', 'USD', 100.00);
UPDATE rr.contract_item SET standalone_price = 10.00 WHERE tenant_id = 'sa_pct' AND code = 'SEATS';
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price, billing_type,
                              max_quantity, standalone_price)
VALUES ('sa_pct', 'PROJECT', 'Project', 'USD', 'PROJ', 'manual', 12000.00, 'none', 1, 10000.00);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('sa_pct', 'MONTHLY', 2, 'PROJECT', 1);
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 10}}') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT is(pg_temp.rpo('2024-01-31'), 13200.00,
          'percent complete: the RPO as of January 31 is the whole transaction price (nothing measured or recognised; the project''s 11,785.71 was missing)');
SELECT rr.record_progress(:k, 2, 25, '2024-03-31');
SELECT count(*) FROM rr.run_billing('2024-03-31');
SELECT count(*) FROM rr.post_invoices('2024-03-31');
SELECT count(*) FROM rr.recognize('2024-03-31');
SELECT is(pg_temp.rpo('2024-03-31'), 9901.93,
          'percent complete: as of March 31, 25 % measured and January to March recognised (hand-checked: the project''s allocation 11,785.71 less 2,946.43 measured, and the seats'' 1,414.29 less 91 days of 366, 351.64)');
SELECT pg_temp.asof('2024-03-31') AS mar, pg_temp.asof('2024-06-30') AS jun \gset
SELECT rr.change_contract_line(:k, 'SEATS', '2024-07-01', quantity => 20);
SELECT is(pg_temp.asof('2024-03-31') || ' | ' || pg_temp.asof('2024-06-30'), :'mar' || ' | ' || :'jun',
          'percent complete: the reports as of March 31 and June 30 do not move when 20 seats from July 1 re-allocate the project');
SELECT is(pg_temp.rpo('2024-07-01'), 10501.93,
          'percent complete: as of July 1, the new allocation (hand-checked: the project''s 11,694.92 less 2,946.43 measured, and the seats'' 2,105.08 less 351.64)');
SELECT is((SELECT string_agg(allocated_on || ':' || allocated_amount, ',' ORDER BY allocated_on) FROM rr.obligation_allocation
            WHERE tenant_id = 'sa_pct' AND contract_id = :k AND obligation_no = 2),
          '2024-01-01:11785.71,2024-07-01:11694.92',
          'percent complete: the project''s allocation from activation and from the change');

-- 6. on payment: a year's service of 600.00 whose collectability is in doubt, billed in
-- advance on February 1, half paid on February 10: recognised as cash is applied, so the RPO
-- holds what is not paid yet
SELECT pg_temp.tenant('sa_cash');
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
VALUES ('sa_cash', 'CASH', 'On payment', 'on_payment', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('sa_cash', 'DOUBT', 'Service, collectability in doubt', '4000', '2100', '1100', 'CASH');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('sa_cash', 'DOUBT', 'USD', 600.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing,
                              recurring_price, billing_period)
VALUES ('sa_cash', 'DOUBTFUL', 'Doubtful service', 'USD', 'DOUBT', 'prepaid', 'manual', 600.00, '1 year');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment)
VALUES ('sa_cash', 'DOUBT', 'Collectability in doubt', 'renewable', 1, 'year', 'year', 'anniversary');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('sa_cash', 'DOUBT', 1, 'DOUBTFUL', 1);
SELECT rr.create_contract('A', 'DOUBT', '2024-02-01') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT count(*) FROM rr.run_billing('2024-02-01');
SELECT count(*) FROM rr.post_invoices('2024-02-01');
SELECT rr.record_payment('A', 300.00, '2024-02-10', 'wire') AS pay \gset
SELECT count(*) FROM rr.recognize('2024-02-29');
SELECT is(pg_temp.rpo('2024-02-05') || ' / ' || pg_temp.rpo('2024-02-29'), '600.00 / 300.00',
          'on payment: the RPO as of February 5 is the whole 600.00 (nothing paid), as of February 29 the half not paid (hand-checked; both were 0)');

-- 7. the billing forecast as of a date does not lose what a later run bills: 10 seats,
-- 100.00 a month billed in advance from January 1
SELECT pg_temp.tenant('sa_bill');
SELECT rr.create_contract('A', 'MONTHLY', '2024-01-01', '{"SEATS": {"quantity": 10}}') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
CREATE FUNCTION pg_temp.billing(d date) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(concat_ws(':', month, kind, charges, amount), ',' ORDER BY month, kind) FROM rr.billing_forecast(d, 3)
$$;
SELECT is(pg_temp.billing('2024-01-15'), '2024-01-01:recurring:1:100.00,2024-02-01:recurring:1:100.00,2024-03-01:recurring:1:100.00',
          'billing forecast as of January 15, nothing billed: January (due, not billed), February, March (hand-checked)');
SELECT count(*) FROM rr.run_billing('2024-02-01');
SELECT is(pg_temp.billing('2024-01-15'), '2024-01-01:recurring:1:100.00,2024-02-01:recurring:1:100.00,2024-03-01:recurring:1:100.00',
          'billing forecast as of January 15 after a run dated February 1 billed January and February: the same');
SELECT is(pg_temp.billing('2024-02-01'), '2024-03-01:recurring:1:100.00,2024-04-01:recurring:1:100.00',
          'billing forecast as of February 1: what that run billed is out');

SELECT * FROM finish();
ROLLBACK;
