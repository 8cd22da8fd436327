-- Security: hostile sessions against every SECURITY DEFINER entry point, and hostile
-- installs.  In the manner of PostgreSQL's contrib/seg security test, extended: a hostile
-- member of each rr_* role plants temporary tables (with triggers), temporary views,
-- functions and operators under every name the extension's function bodies mention, then
-- calls every entry point; a trojan that fires raises SQLSTATE RRTRJ naming the role it
-- ran as, and none may fire.  The entry points are found from the catalog: one without a
-- call below fails the test.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
SET client_min_messages = warning;
SELECT count(*) AS roles FROM rr.create_roles();

-- A tenant with a small catalog: seats billed monthly in advance with a setup fee, API
-- calls billed in arrears, and a project recognised by percent complete.
SELECT rr.create_tenant('sec', 'Security tests', 'USD');
SET rr.tenant = 'sec';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('sec', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('sec', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200'),
    ('sec', 'USAGE', 'As used', 'on_usage', '2100', '4300');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('sec', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('sec', 'ONBOARD', 'Onboarding', '4000', '2100', '1100', 'DAILY'),
    ('sec', 'PROJ', 'Project', '4200', '2100', '1100', 'PCT'),
    ('sec', 'CALL', 'API call', '4300', '2100', '1100', 'USAGE');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('sec', 'SEAT', 'USD', 10.00), ('sec', 'ONBOARD', 'USD', 50.00), ('sec', 'PROJ', 'USD', 1000.00),
    ('sec', 'CALL', 'USD', 0.01);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type,
                              standalone_price) VALUES
    ('sec', 'SEATS', 'Seats', 'USD', 'ONBOARD', 'SEAT', 'prepaid', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, billing_type, standalone_price) VALUES
    ('sec', 'PROJECT', 'Project', 'USD', 'PROJ', 'none', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model) VALUES
    ('sec', 'API', 'API usage', 'USD', 'CALL', 'postpaid', 'per_unit(0.01)');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period) VALUES
    ('sec', 'PLAN', 'Plan', 'renewable', 1, 'year', 'month');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('sec', 'PLAN', 1, 'SEATS', 5), ('sec', 'PLAN', 2, 'PROJECT', 1), ('sec', 'PLAN', 3, 'API', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('sec', 'SC1', 'Security Customer', 'USD');

-- Contracts in every state an entry point needs: draft, pending activation, active and
-- billed with a posted invoice and an unapplied payment, active with a draft invoice.
SELECT rr.create_contract('SC1', 'PLAN', '2024-01-01') AS k_draft \gset
SELECT rr.add_discount(:k_draft, 'amount', 5, 1) AS sec_discount \gset
SELECT rr.create_contract('SC1', 'PLAN', '2024-01-01') AS k_pending \gset
SELECT rr.setup_contract(:k_pending, '2024-01-01') IS NOT NULL AS set_up;
SELECT rr.create_contract('SC1', 'PLAN', '2024-01-01') AS k_active \gset
SELECT rr.setup_and_activate_contract(:k_active, '2024-01-01') IS NOT NULL AS activated;
SELECT count(*) > 0 AS billed FROM rr.run_billing('2024-02-01');
SELECT count(*) > 0 AS posted FROM rr.post_invoices('2024-02-01');
SELECT min(invoice_id) AS inv FROM rr.invoice WHERE contract_id = :k_active AND number IS NOT NULL \gset
SELECT rr.record_payment('SC1', 10.00, '2024-03-05', apply => false) AS pay \gset
SELECT rr.top_up_wallet('SC1', 50.00, '2024-01-10', '2025-01-01') IS NOT NULL AS topped_up;
SELECT count(*) > 0 AS recognised FROM rr.recognize('2024-03-31');
SELECT rr.close_period('2024-01-01', 'January') IS NOT NULL AND rr.close_period('2024-02-01', 'February') IS NOT NULL AS closed;
SELECT rr.create_contract('SC1', 'PLAN', '2024-04-01') AS k_drafted \gset
SELECT rr.setup_and_activate_contract(:k_drafted, '2024-04-01') IS NOT NULL AS activated;
SELECT count(*) > 0 AS billed FROM rr.bill_contract(:k_drafted, '2024-04-01');
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at, idempotency_key)
VALUES (:k_active, 'API', 5, '2024-01-11 00:00+00', 'sec-staged');

-- A scheduled price change (docs/catalog-and-contracts.md, "Price changes"), and a
-- contract item with a manual price.
SELECT rr.schedule_price_change('SEAT', 'USD', 11.00, '2024-03-01', 'on_date') AS price_change \gset
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing,
                              recurring_price) VALUES
    ('sec', 'SUPPORT', 'Support', 'USD', 'SEAT', 'prepaid', 'manual', 30.00);
-- a coupon and its promotion code (docs/trials-pauses-coupons.md)
INSERT INTO rr.coupon (tenant_id, code, kind, value) VALUES ('sec', 'SAVE10', 'percent', 10);
INSERT INTO rr.promotion_code (tenant_id, code, coupon) VALUES ('sec', 'SAVE10', 'SAVE10');

-- One call per entry point, each valid against the state above.
CREATE TABLE public.sec_call (seq integer PRIMARY KEY, fn regprocedure NOT NULL, call text NOT NULL);
INSERT INTO public.sec_call VALUES
    (1, 'rr.create_contract(text,text,date,jsonb,text)', $$SELECT rr.create_contract('SC1', 'PLAN', '2024-03-01')$$),
    (2, 'rr.setup_contract(bigint,date)', format('SELECT rr.setup_contract(%s, %L)', :k_draft, '2024-01-01')),
    (3, 'rr.activate_contract(bigint,date)', format('SELECT rr.activate_contract(%s, %L)', :k_pending, '2024-01-01')),
    (4, 'rr.setup_and_activate_contract(bigint,date)', format('SELECT rr.setup_and_activate_contract(%s, %L)', :k_draft, '2024-01-01')),
    (5, 'rr.set_obligation(bigint,integer,integer,numeric,boolean)', format('SELECT rr.set_obligation(%s, 1, standalone_price => 12)', :k_draft)),
    (6, 'rr.change_contract_line(bigint,text,date,numeric,jsonb,boolean)', format('SELECT rr.change_contract_line(%s, %L, %L, quantity => 8)', :k_active, 'SEATS', '2024-03-01')),
    (7, 'rr.add_discount(bigint,text,numeric,integer,integer,daterange,text,text)', format('SELECT rr.add_discount(%s, %L, 10)', :k_active, 'percent')),
    (8, 'rr.bill_contract(bigint,date)', format('SELECT count(*) FROM rr.bill_contract(%s, %L)', :k_active, '2024-04-01')),
    (9, 'rr.run_billing(date)', $$SELECT count(*) FROM rr.run_billing('2024-04-01')$$),
    (10, 'rr.preview_billing(date,bigint)', $$SELECT count(*) FROM rr.preview_billing('2024-04-01')$$),
    (11, 'rr.post_invoices(date,text)', $$SELECT count(*) FROM rr.post_invoices('2024-02-01')$$),
    (12, 'rr.undo_last_billing(bigint)', format('SELECT count(*) FROM rr.undo_last_billing(%s)', :k_drafted)),
    (13, 'rr.credit_invoice(bigint,numeric,integer[],text,date)', format('SELECT count(*) FROM rr.credit_invoice(%s, 1.00, credit_date => %L)', :inv, '2024-02-10')),
    (14, 'rr.record_payment(text,numeric,date,text,boolean,text,text)', $$SELECT rr.record_payment('SC1', 25.00, '2024-02-06')$$),
    (15, 'rr.apply_payment(bigint,bigint,numeric,date)', format('SELECT rr.apply_payment(%s, %s, 5.00)', :pay, :inv)),
    (16, 'rr.record_usage(bigint,text,numeric,timestamp with time zone,text,jsonb)', format('SELECT rr.record_usage(%s, %L, 3, %L, %L)', :k_active, 'API', '2024-02-10 00:00+00', 'sec-2')),
    (17, 'rr.record_usage(rr.usage_record[])', format('SELECT rr.record_usage(ARRAY[ROW(%s, NULL, %L, 4, %L, %L, NULL)::rr.usage_record])', :k_active, 'API', '2024-02-11 00:00+00', 'sec-3')),
    (18, 'rr.merge_usage_staging()', $$SELECT * FROM rr.merge_usage_staging()$$),
    (19, 'rr.create_usage_partitions(date,date)', $$SELECT rr.create_usage_partitions('2024-01-01', '2024-06-30')$$),
    (20, 'rr.record_progress(bigint,integer,numeric,date,boolean,text)', format('SELECT rr.record_progress(%s, 2, 40, %L)', :k_active, '2024-02-15')),
    (21, 'rr.recognize(date)', $$SELECT count(*) FROM rr.recognize('2024-03-31')$$),
    (22, 'rr.close_period(date,text)', $$SELECT rr.close_period('2024-03-01', 'March')$$),
    (23, 'rr.reopen_period(date,text)', $$SELECT rr.reopen_period('2024-02-01', 'late entry')$$),
    (24, 'rr.terminate_contract(bigint,date,text)', format('SELECT rr.terminate_contract(%s, %L)', :k_active, '2024-03-15')),
    (25, 'rr.complete_contract(bigint,date,text)', format('SELECT rr.complete_contract(%s, %L)', :k_active, '2024-03-15')),
    (26, 'rr.expire_contract(bigint,date)', format('SELECT rr.expire_contract(%s, %L)', :k_active, '2025-01-01')),
    (27, 'rr.expire_contracts(date)', $$SELECT count(*) FROM rr.expire_contracts('2025-01-01')$$),
    (28, 'rr.renew_contract(bigint,date)', format('SELECT rr.renew_contract(%s, %L)', :k_active, '2025-01-01')),
    (29, 'rr.run_renewals(date)', $$SELECT count(*) FROM rr.run_renewals('2025-01-01')$$),
    (30, 'rr.amend_contract(bigint,date,jsonb,text,jsonb,text,text)', format('SELECT count(*) FROM rr.amend_contract(%s, %L, %L, %L)', :k_active, '2024-03-10', '[{"item": "SEATS", "quantity": 8}]', 'immediately')),
    (31, 'rr.preview_amendment(bigint,date,jsonb,text,jsonb,text,text)', format('SELECT count(*) FROM rr.preview_amendment(%s, %L, %L, %L)', :k_active, '2024-03-10', '[{"item": "SEATS", "quantity": 8}]', 'immediately')),
    (32, 'rr.start_upgrade(bigint,text)', format('SELECT rr.start_upgrade(%s)', :k_active)),
    (33, 'rr.change_upgrade(bigint,jsonb)', format('DO $d$BEGIN PERFORM rr.start_upgrade(%s); PERFORM rr.change_upgrade(%s, %L); END$d$', :k_active, :k_active, '[{"item": "SEATS", "quantity": 8}]')),
    (34, 'rr.activate_upgrade(bigint,date,text,jsonb,text,text)', format('DO $d$BEGIN PERFORM rr.start_upgrade(%s); PERFORM rr.change_upgrade(%s, %L); PERFORM rr.activate_upgrade(%s, %L); END$d$', :k_active, :k_active, '[{"item": "SEATS", "quantity": 8}]', :k_active, '2024-03-10')),
    (35, 'rr.cancel_upgrade(bigint,text)', format('DO $d$BEGIN PERFORM rr.start_upgrade(%s); PERFORM rr.cancel_upgrade(%s); END$d$', :k_active, :k_active)),
    (36, 'rr.rewrite_contract(bigint,date,jsonb,date,text,jsonb,text,text)', format('SELECT count(*) FROM rr.rewrite_contract(%s, %L, %L, %L, %L)', :k_active, '2024-03-10', '{"SEATS": {"quantity": 8}}', '2024-12-01', 'immediately')),
    (37, 'rr.schedule_price_change(text,text,numeric,date,text,date,text)', $$SELECT rr.schedule_price_change('SEAT', 'USD', 12.00, '2024-06-01')$$),
    (38, 'rr.schedule_contract_item_price_change(text,text,numeric,date,text,date,text)', $$SELECT rr.schedule_contract_item_price_change('SUPPORT', 'recurring', 33.00, '2024-06-01', 'at_renewal')$$),
    (39, 'rr.preview_price_change(bigint)', format('SELECT count(*) FROM rr.preview_price_change(%s)', :price_change)),
    (40, 'rr.apply_price_changes(date)', $$SELECT count(*) FROM rr.apply_price_changes('2024-04-01')$$),
    (41, 'rr.run_dunning(date)', $$SELECT count(*) FROM rr.run_dunning('2024-06-01')$$),
    (42, 'rr.add_trial(bigint,integer,numeric,boolean,text)', format('SELECT rr.add_trial(%s, 14)', :k_draft)),
    (43, 'rr.record_trial_payment_method(bigint,boolean)', format('DO $d$BEGIN PERFORM rr.add_trial(%s, 14); PERFORM rr.record_trial_payment_method(%s); END$d$', :k_draft, :k_draft)),
    (44, 'rr.end_trials(date)', $$SELECT count(*) FROM rr.end_trials('2024-04-01')$$),
    (45, 'rr.pause_contract(bigint,date,date,boolean,text)', format('SELECT rr.pause_contract(%s, %L)', :k_active, '2024-06-01')),
    (46, 'rr.resume_contract(bigint,date,text)', format('DO $d$BEGIN PERFORM rr.pause_contract(%s, %L); PERFORM rr.resume_contract(%s, %L); END$d$', :k_active, '2024-06-01', :k_active, '2024-07-01')),
    (47, 'rr.redeem_coupon(bigint,text,date)', format('SELECT rr.redeem_coupon(%s, %L, %L)', :k_active, 'save10', '2024-04-01')),
    (48, 'rr.open_wallet(text,text,text,text,text,text)', $$SELECT rr.open_wallet('SC1', 'EUR')$$),
    (49, 'rr.top_up_wallet(text,numeric,date,date,text,text)', $$SELECT rr.top_up_wallet('SC1', 25.00, '2024-03-06')$$),
    (50, 'rr.draw_wallet(bigint,numeric,date)', format('SELECT rr.draw_wallet(%s, 1.00, %L)', :inv, '2024-03-06')),
    (51, 'rr.draw_wallets(date)', $$SELECT count(*) FROM rr.draw_wallets('2024-03-31')$$),
    (52, 'rr.expire_wallet_credit(date)', $$SELECT count(*) FROM rr.expire_wallet_credit('2025-01-31')$$),
    (53, 'rr.add_commitment(bigint,numeric,text,interval,integer[],integer)', format('SELECT rr.add_commitment(%s, 500.00)', :k_active)),
    (54, 'rr.add_one_off_charge(bigint,text,date,numeric,numeric,numeric,text,text)', format('SELECT count(*) FROM rr.add_one_off_charge(%s, %L, %L, %s, bill => %L)', :k_active, 'SEAT', '2024-03-10', 25, 'immediately')),
    (55, 'rr.allocate_discount_to(bigint,integer[])', format('SELECT rr.allocate_discount_to(%s, %L)', :sec_discount, '{1}')),
    (56, 'rr.add_milestone(bigint,integer,text,numeric,numeric)', format('SELECT rr.add_milestone(%s, 2, %L, 40)', :k_draft, 'Design approved')),
    (57, 'rr.reach_milestone(bigint,integer,date)', $q$DO $d$DECLARE k bigint := rr.create_contract('SC1', 'PLAN', '2024-03-01'); BEGIN PERFORM rr.add_milestone(k, 2, 'Design approved', 40); PERFORM rr.setup_and_activate_contract(k, '2024-03-01'); PERFORM count(*) FROM rr.reach_milestone(k, 1, '2024-03-10'); END$d$$q$),
    (58, 'rr.create_tenant(text,text,text,text)', $$SELECT rr.create_tenant('sec2', 'Second security tenant', 'EUR')$$),
    (59, 'rr.add_tenant_member(text,name)', $$SELECT rr.add_tenant_member('sec', 'regress_sec_admin')$$),
    (60, 'rr.remove_tenant_member(text,name)', $$SELECT rr.remove_tenant_member('sec', 'regress_sec_analyst')$$),
    -- (without Citus it refuses with 0A000 for every role it is granted to: rr_admin)
    (61, 'rr.distribute()', $$SELECT count(*) FROM rr.distribute()$$),
    (62, 'rr.add_fiscal_periods(daterange[])', $$SELECT rr.add_fiscal_periods('{"[2024-02-01,2024-03-01)"}')$$),
    (63, 'rr.refresh_mrr()', $$SELECT rr.refresh_mrr() > 0$$);
GRANT SELECT ON public.sec_call TO PUBLIC;

-- Every SECURITY DEFINER function of the extension has a call (none listed here).
SELECT p.oid::regprocedure AS definer_function_without_a_call
  FROM pg_proc p
 WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace) AND p.prosecdef
   AND NOT EXISTS (SELECT FROM public.sec_call c WHERE c.fn = p.oid);

-- Every name the extension's SQL and PL/pgSQL bodies mention unqualified (reserved words
-- aside): the names a trojan relation would be planted under; and those of them written
-- as calls, name(: the names a trojan function would be planted under.
CREATE TABLE public.sec_name (name text PRIMARY KEY, called boolean NOT NULL);
INSERT INTO public.sec_name
SELECT lower(m[2]), bool_or(m[3] IS NOT NULL)
  FROM pg_proc p, regexp_matches(pg_get_functiondef(p.oid), '(^|[^.a-zA-Z0-9_$"])([a-zA-Z_][a-zA-Z0-9_]*)(\s*\()?', 'g') m
 WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
   AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
   AND lower(m[2]) NOT IN (SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T'))
   AND length(m[2]) < 60
 GROUP BY 1;
GRANT SELECT ON public.sec_name TO PUBLIC;
SELECT count(*) > 1000 AS many_names, count(*) FILTER (WHERE called) > 100 AS many_called,
       bool_or(name = 'rr_ids') AS has_work_tables, bool_or(called AND name = 'format') AS has_format
  FROM public.sec_name;

-- Runs one call in a subtransaction that is always rolled back; returns ok, claim (the
-- call refused, 42501, because a temporary relation of the session is in the way of its
-- work tables), the SQLSTATE of another error, or the trojan's message.
CREATE FUNCTION public.sec_try(call text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    BEGIN
        EXECUTE call;
        RAISE EXCEPTION 'roll back' USING ERRCODE = 'RRSOK';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'RRSOK' THEN
            RETURN 'ok';
        ELSIF SQLSTATE = '42501' AND SQLERRM LIKE 'temporary relation % is in the way of recurring_revenue' THEN
            RETURN 'claim';
        ELSIF SQLSTATE = 'RRTRJ' THEN
            RETURN 'TROJAN: ' || SQLERRM;
        END IF;
        RETURN SQLSTATE;
    END;
END
$$;

-- Plants the trojans in the session's temporary schema: every name as a table with
-- statement triggers (or as a view that calls a trojan), as functions of several arities,
-- and the common operators on the types the extension uses.
CREATE FUNCTION public.sec_plant(relkind text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n text;
    t text;
    op text;
    raise_it text := 'BEGIN RAISE EXCEPTION ''trojan %s fired as %%'', current_user USING ERRCODE = ''RRTRJ''; END';
BEGIN
    EXECUTE format('CREATE FUNCTION pg_temp.sec_trojan() RETURNS trigger LANGUAGE plpgsql AS %L',
                   format(raise_it, 'trigger'));
    EXECUTE format('CREATE FUNCTION pg_temp.sec_trojan_value() RETURNS integer LANGUAGE plpgsql AS %L',
                   format(raise_it, 'view'));
    FOREACH t IN ARRAY ARRAY['text', 'bpchar', 'numeric', 'bigint', 'integer', 'date', 'daterange',
                             'timestamptz', 'interval', 'jsonb', 'boolean'] LOOP
        EXECUTE format('CREATE FUNCTION pg_temp.sec_trojan_op(%s, %s) RETURNS boolean LANGUAGE plpgsql AS %L',
                       t, t, format(raise_it, 'operator'));
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=', '||', '~', '@>', '<@', '&&', '+', '-', '*', '/'] LOOP
            EXECUTE format('CREATE OPERATOR pg_temp.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = pg_temp.sec_trojan_op)',
                           op, t, t);
        END LOOP;
    END LOOP;
    FOR n IN SELECT s.name FROM public.sec_name s ORDER BY s.name LOOP
        IF relkind = 'table' THEN
            EXECUTE format('CREATE TEMP TABLE %I (x integer)', n);
            EXECUTE format('CREATE TRIGGER sec_trojan BEFORE INSERT OR UPDATE OR DELETE ON pg_temp.%I
                            FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.sec_trojan()', n);
            EXECUTE format('CREATE TRIGGER sec_trojan_truncate BEFORE TRUNCATE ON pg_temp.%I
                            FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.sec_trojan()', n);
        ELSE
            EXECUTE format('CREATE TEMP VIEW %I AS SELECT pg_temp.sec_trojan_value() AS x', n);
        END IF;
    END LOOP;
    FOR n IN SELECT s.name FROM public.sec_name s WHERE s.called ORDER BY s.name LOOP
        FOREACH t IN ARRAY ARRAY['', 'text', 'anyelement', 'text, text', 'anyelement, anyelement',
                                 'anyelement, anyelement, anyelement'] LOOP
            EXECUTE format('CREATE FUNCTION pg_temp.%I(%s) RETURNS integer LANGUAGE plpgsql AS %L',
                           n, t, format(raise_it, 'function ' || n));
        END LOOP;
    END LOOP;
    RETURN true;
END
$$;

CREATE TABLE public.sec_result (role name, round text, seq integer, result text);
GRANT INSERT ON public.sec_result TO PUBLIC;

-- One hostile member of each role, member of the tenant.
DROP ROLE IF EXISTS regress_sec_app, regress_sec_billing, regress_sec_analyst, regress_sec_admin, regress_sec_mallory;
CREATE ROLE regress_sec_app IN ROLE rr_app;
CREATE ROLE regress_sec_billing IN ROLE rr_billing;
CREATE ROLE regress_sec_analyst IN ROLE rr_analyst;
CREATE ROLE regress_sec_admin IN ROLE rr_admin;
SELECT rr.add_tenant_member('sec', r) FROM unnest('{regress_sec_app,regress_sec_billing,regress_sec_analyst}'::name[]) r;

-- Each role: the calls in a clean session, then with tables planted; then in a new
-- session with views planted.
\c -
SET ROLE regress_sec_app;
SET rr.tenant = 'sec';
INSERT INTO public.sec_result SELECT current_user, 'clean', c.seq, public.sec_try(c.call) FROM public.sec_call c;
SELECT public.sec_plant('table') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'tables', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_app;
SET rr.tenant = 'sec';
SELECT public.sec_plant('view') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'views', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_billing;
SET rr.tenant = 'sec';
INSERT INTO public.sec_result SELECT current_user, 'clean', c.seq, public.sec_try(c.call) FROM public.sec_call c;
SELECT public.sec_plant('table') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'tables', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_billing;
SET rr.tenant = 'sec';
SELECT public.sec_plant('view') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'views', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_analyst;
SET rr.tenant = 'sec';
INSERT INTO public.sec_result SELECT current_user, 'clean', c.seq, public.sec_try(c.call) FROM public.sec_call c;
SELECT public.sec_plant('table') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'tables', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_analyst;
SET rr.tenant = 'sec';
SELECT public.sec_plant('view') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'views', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_admin;
SET rr.tenant = 'sec';
INSERT INTO public.sec_result SELECT current_user, 'clean', c.seq, public.sec_try(c.call) FROM public.sec_call c;
SELECT public.sec_plant('table') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'tables', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -
SET ROLE regress_sec_admin;
SET rr.tenant = 'sec';
SELECT public.sec_plant('view') AS planted;
INSERT INTO public.sec_result SELECT current_user, 'views', c.seq, public.sec_try(c.call) FROM public.sec_call c;
\c -

-- What each role may call (clean sessions): ok, or 42501 where the role has no grant.
-- With trojans planted, a call either does the same or refuses (claim) because a
-- temporary relation of the session is in the way of its work tables.
SELECT c.seq, c.fn::regproc AS entry_point,
       string_agg(r.result, ' ' ORDER BY r.role) FILTER (WHERE r.round = 'clean') AS "clean: admin analyst app billing",
       string_agg(r.result, ' ' ORDER BY r.role) FILTER (WHERE r.round = 'tables') AS "tables planted",
       string_agg(r.result, ' ' ORDER BY r.role) FILTER (WHERE r.round = 'views') AS "views planted"
  FROM public.sec_call c JOIN public.sec_result r USING (seq)
 GROUP BY c.seq, c.fn ORDER BY c.seq;
-- No trojan fired, as any role.
SELECT count(*) AS calls, count(*) FILTER (WHERE result LIKE 'TROJAN%') AS trojans_fired FROM public.sec_result;
SELECT role, round, seq, result FROM public.sec_result WHERE result LIKE 'TROJAN%' ORDER BY 1, 2, 3;

-- The attack that used to work: a trigger on a temporary table of the name the
-- activation used for its work table, run as the extension's owner.
SET ROLE regress_sec_app;
SET rr.tenant = 'sec';
CREATE FUNCTION pg_temp.evil() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN EXECUTE 'ALTER ROLE regress_sec_app SUPERUSER'; RETURN NULL; END $$;
CREATE TEMP TABLE rr_ids (contract_id bigint PRIMARY KEY);
CREATE TRIGGER t BEFORE TRUNCATE ON rr_ids FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.evil();
SELECT rr.setup_and_activate_contract(rr.create_contract('SC1', 'PLAN', '2024-01-01'), '2024-01-01');
RESET ROLE;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_sec_app';
DROP TABLE pg_temp.rr_ids;

-- Internal functions are out of reach: no role may use schema rr_internal, and no
-- function of schema rr is commented as internal.
SELECT r AS role, has_schema_privilege(r, 'rr_internal', 'USAGE') AS usage_on_rr_internal
  FROM unnest('{rr_admin,rr_billing,rr_app,rr_analyst}'::name[]) r;
SELECT p.oid::regprocedure AS internal_function_in_rr FROM pg_proc p
 WHERE p.pronamespace = 'rr'::regnamespace AND obj_description(p.oid, 'pg_proc') LIKE 'internal%';
SET ROLE regress_sec_admin;
SELECT rr_internal.posting_period('sec', '2024-01-01');
RESET ROLE;

-- Hostile installs, in a database of their own.
SELECT string_agg(name, ',' ORDER BY name) AS sec_names,
       string_agg(name, ',' ORDER BY name) FILTER (WHERE called) AS sec_called FROM public.sec_name \gset
RESET rr.tenant;
CREATE DATABASE regress_rr_install;
CREATE ROLE regress_sec_mallory;
GRANT CREATE ON DATABASE regress_rr_install TO regress_sec_mallory;
\c regress_rr_install
-- (1) schema rr made by an untrusted role, with an overload waiting for the extension's
-- own calls with char(3) currency codes: refused
SET ROLE regress_sec_mallory;
CREATE SCHEMA rr;
CREATE FUNCTION rr.minor_units(code bpchar) RETURNS integer LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'trojan fired as %', current_user USING ERRCODE = 'RRTRJ'; END $$;
RESET ROLE;
CREATE EXTENSION recurring_revenue;
DROP SCHEMA rr CASCADE;
-- (2) schema rr made by the superuser but with CREATE granted to another role: refused
CREATE SCHEMA rr;
GRANT CREATE ON SCHEMA rr TO regress_sec_mallory;
CREATE EXTENSION recurring_revenue;
-- (3) schema rr made by the superuser, holding something already: refused
REVOKE CREATE ON SCHEMA rr FROM regress_sec_mallory;
CREATE TABLE rr.left_over (x integer);
CREATE EXTENSION recurring_revenue;
DROP SCHEMA rr CASCADE;
-- (4) schema rr_internal exists: refused
CREATE SCHEMA rr_internal;
CREATE EXTENSION recurring_revenue;
DROP SCHEMA rr_internal;
-- (5) trojans in public (functions of every name and arity, operators) planted by a role
-- that may create there, and in the installing session's own pg_temp: the install and a
-- first contract run without firing any of them.
GRANT CREATE ON SCHEMA public TO regress_sec_mallory;
CREATE TABLE public.sec_name (name text PRIMARY KEY, called boolean NOT NULL DEFAULT false);
INSERT INTO public.sec_name SELECT unnest(string_to_array(:'sec_names', ','));
UPDATE public.sec_name SET called = true WHERE name = ANY (string_to_array(:'sec_called', ','));
GRANT SELECT ON public.sec_name TO PUBLIC;
SET ROLE regress_sec_mallory;
DO $$
DECLARE
    n text;
    t text;
    op text;
    raise_it text := 'BEGIN RAISE EXCEPTION ''trojan %s fired as %%'', current_user USING ERRCODE = ''RRTRJ''; END';
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'bpchar', 'numeric', 'bigint', 'integer', 'date', 'daterange',
                             'timestamptz', 'interval', 'jsonb', 'boolean'] LOOP
        EXECUTE pg_catalog.format('CREATE FUNCTION public.sec_trojan_op(%s, %s) RETURNS boolean LANGUAGE plpgsql AS %L',
                       t, t, pg_catalog.format(raise_it, 'operator'));
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=', '||', '~', '@>', '<@', '&&', '+', '-', '*', '/'] LOOP
            EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.sec_trojan_op)',
                           op, t, t);
        END LOOP;
    END LOOP;
    FOR n IN SELECT s.name FROM public.sec_name s WHERE s.called LOOP
        FOREACH t IN ARRAY ARRAY['', 'text', 'bpchar', 'anyelement', 'text, text', 'anyelement, anyelement',
                                 'anyelement, anyelement, anyelement'] LOOP
            EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s) RETURNS integer LANGUAGE plpgsql AS %L',
                           n, t, pg_catalog.format(raise_it, 'function ' || n));
        END LOOP;
    END LOOP;
END
$$;
RESET ROLE;
-- (this session resolves its own names in pg_catalog only from here on)
SET search_path = pg_catalog, pg_temp;
DO $$
DECLARE
    n text;
BEGIN
    CREATE FUNCTION pg_temp.sec_trojan() RETURNS trigger LANGUAGE plpgsql
      AS $f$ BEGIN RAISE EXCEPTION 'trojan trigger fired as %', current_user USING ERRCODE = 'RRTRJ'; END $f$;
    FOR n IN SELECT s.name FROM public.sec_name s WHERE s.name <> 'sec_name' LOOP
        EXECUTE format('CREATE TEMP TABLE %I (x integer)', n);
        EXECUTE format('CREATE TRIGGER sec_trojan BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pg_temp.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.sec_trojan()', n);
    END LOOP;
END
$$;
CREATE EXTENSION recurring_revenue;
-- (the session's own trojan tables would now refuse its calls, as they should: see above)
DISCARD TEMP;
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('sec', 'Security tests', 'USD');
SET rr.tenant = 'sec';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('sec', 'SEAT', 'Seat', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('sec', 'SEAT', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('sec', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period) VALUES
    ('sec', 'PLAN', 'Plan', 'renewable', 1, 'year', 'month');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('sec', 'PLAN', 1, 'SEATS', 5);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('sec', 'SC1', 'Security Customer', 'USD');
SELECT rr.setup_and_activate_contract(rr.create_contract('SC1', 'PLAN', '2024-01-01'), '2024-01-01') IS NOT NULL AS activated;
SELECT customer, currency, total FROM rr.run_billing('2024-01-01');
\c :regress_db
DROP DATABASE regress_rr_install;
-- The locks the workflows serialise on are ones a member role cannot take (so none can
-- hold one to stop another tenant's work, as any role could hold an advisory lock by its
-- key): the tenant's row of rr.tenant (recognition, closing and reopening periods) and
-- rr.usage_event's SHARE UPDATE EXCLUSIVE lock (creating usage partitions).
SET ROLE regress_sec_analyst;
BEGIN;
SELECT tenant_id FROM rr.tenant WHERE tenant_id = 'sec' FOR NO KEY UPDATE;
ROLLBACK;
BEGIN;
LOCK TABLE rr.usage_event IN SHARE UPDATE EXCLUSIVE MODE;
ROLLBACK;
SET ROLE regress_sec_billing;
BEGIN;
SELECT tenant_id FROM rr.tenant WHERE tenant_id = 'sec' FOR NO KEY UPDATE;
ROLLBACK;
BEGIN;
LOCK TABLE rr.usage_event IN SHARE UPDATE EXCLUSIVE MODE;
ROLLBACK;
RESET ROLE;
DELETE FROM rr.tenant_member WHERE role_name::text LIKE 'regress_sec_%';
DROP ROLE regress_sec_app, regress_sec_billing, regress_sec_analyst, regress_sec_admin, regress_sec_mallory;
