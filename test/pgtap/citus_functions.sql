-- rr_internal.functions_for_citus(), which rr.distribute() runs on every node of a Citus
-- cluster (src/sql/95_scale_out/10_distribute.sql, docs/scale-out.md), tested on a single
-- node, in a transaction rolled back: every SQL function that reads the extension's tables
-- becomes PL/pgSQL with the same attributes and the same answers, a function it cannot
-- rewrite is left as it is with its reason, and a second call rewrites nothing.
BEGIN;
SELECT plan(11);
SET LOCAL client_min_messages = warning;

-- a tenant with a contract billed, posted, paid in part and recognised
SELECT rr.create_tenant('cf', 'Citus functions', 'USD');
SELECT set_config('rr.tenant', 'cf', true);
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
VALUES ('cf', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('cf', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price VALUES ('cf', 'SEAT', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, standalone_price)
VALUES ('cf', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 10.00);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, alignment) VALUES ('cf', 'T', 'Annual', 1, 'calendar');
INSERT INTO rr.template_line VALUES ('cf', 'T', 1, 'SEATS', 5);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('cf', 'C', 'Customer', 'USD');
SELECT rr.setup_and_activate_contract(rr.create_contract('C', 'T', '2024-01-15'));
SELECT count(*) FROM rr.run_billing('2024-03-01');
SELECT count(*) FROM rr.post_invoices('2024-03-01');
SELECT rr.record_payment('C', 60.00, '2024-03-10');
SELECT count(*) FROM rr.recognize('2024-03-31');

-- the reports' answers, and the functions' attributes, before
CREATE TEMP TABLE answers (report text, answer text);
CREATE FUNCTION pg_temp.answers() RETURNS TABLE (report text, answer text) LANGUAGE sql AS $$
    SELECT 'invoice_balances', string_agg(x::text, '|' ORDER BY x::text) FROM rr.invoice_balances('cf', '2024-03-31') x
    UNION ALL SELECT 'mrr_as_of', string_agg(x::text, '|' ORDER BY x::text) FROM rr.mrr_as_of('2024-03-01') x
    UNION ALL SELECT 'contract_balances', string_agg(x::text, '|' ORDER BY x::text) FROM rr.contract_balances('2024-03-31') x
    UNION ALL SELECT 'revenue_forecast', string_agg(x::text, '|' ORDER BY x::text) FROM rr.revenue_forecast('2024-03-31', 12) x
    UNION ALL SELECT 'billings', string_agg(x::text, '|' ORDER BY x::text) FROM rr.billings('2024-01-01', '2024-12-31') x
    UNION ALL SELECT 'recognised_revenue', string_agg(x::text, '|' ORDER BY x::text) FROM rr.recognised_revenue('2024-01-01', '2024-12-31') x
    UNION ALL SELECT 'contract_overview', string_agg(x::text, '|' ORDER BY x::text) FROM rr.contract_overview x
    UNION ALL SELECT 'contract_renewals_as_of', string_agg(x::text, '|' ORDER BY x::text) FROM rr.contract_renewals_as_of('2024-03-31') x
    UNION ALL SELECT 'renewal_rate', string_agg(x::text, '|' ORDER BY x::text) FROM rr.renewal_rate('2024-01-01', '2025-12-31') x
    UNION ALL SELECT 'dunning_status_as_of', string_agg(x::text, '|' ORDER BY x::text) FROM rr.dunning_status_as_of('2024-03-31') x
    UNION ALL SELECT 'billing_forecast', string_agg(x::text, '|' ORDER BY x::text) FROM rr.billing_forecast('2024-03-31', 12) x
$$;
INSERT INTO answers SELECT * FROM pg_temp.answers();
CREATE TEMP TABLE attributes AS
SELECT p.oid, p.oid::regprocedure::text AS name, p.provolatile, p.prosecdef, p.proisstrict, p.proparallel, p.proretset,
       p.prorows, p.proowner, p.proacl::text AS acl, obj_description(p.oid, 'pg_proc') AS comment,
       coalesce(p.proconfig, '{"search_path=pg_catalog, pg_temp"}') AS config
  FROM pg_proc p
 WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
   AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
   AND (EXISTS (SELECT FROM pg_depend d JOIN pg_class c ON c.oid = d.refobjid
                 WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND c.relnamespace = 'rr'::regnamespace)
        OR (p.prosqlbody IS NULL AND p.prosrc ~ '\mrr\.[a-z_]+')   -- a body kept as text
        -- rr.billing_forecast, which calls its work (delegated on Citus) by EXECUTE
        OR p.oid = 'rr.billing_forecast(date, integer)'::regprocedure);

-- two it cannot rewrite
CREATE FUNCTION rr_internal.cf_two_statements() RETURNS bigint LANGUAGE sql
AS 'SELECT count(*) FROM rr.tenant; SELECT count(*) FROM rr.customer';
CREATE FUNCTION rr_internal.cf_one_row() RETURNS rr.tenant LANGUAGE sql
AS 'SELECT * FROM rr.tenant ORDER BY tenant_id LIMIT 1';

CREATE TEMP TABLE first_call AS SELECT * FROM rr_internal.functions_for_citus();

SELECT results_eq(
    $$SELECT function_name::text, reason FROM first_call WHERE NOT converted ORDER BY 1$$,
    $$VALUES ('rr_internal.cf_one_row()', 'returns one row of several columns'),
             ('rr_internal.cf_two_statements()', 'more than one statement')$$,
    'the functions it cannot rewrite are left, each with its reason');
SELECT is((SELECT count(*) FROM first_call WHERE converted), (SELECT count(*) FROM attributes),
          'every SQL function of rr and rr_internal that reads a table is rewritten');
SELECT is((SELECT count(*) FROM attributes a JOIN pg_proc p ON p.oid = a.oid
            WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')),
          (SELECT count(*) FROM attributes),
          'each is PL/pgSQL now, under the same OID');
SELECT is_empty(
    $$SELECT a.name FROM attributes a JOIN pg_proc p ON p.oid = a.oid
       WHERE (p.provolatile, p.prosecdef, p.proisstrict, p.proparallel, p.proretset, p.prorows, p.proowner,
              p.proacl::text, obj_description(p.oid, 'pg_proc'), p.proconfig)
             IS DISTINCT FROM (a.provolatile, a.prosecdef, a.proisstrict, a.proparallel, a.proretset, a.prorows,
                               a.proowner, a.acl, a.comment, a.config)$$,
    'each keeps its volatility, strictness, SECURITY DEFINER, parallel safety, rows, owner, privileges and comment, and has a pinned search_path');
-- the current tenant read once into a variable, where the statement calls no function
-- of the extension that may read tables (so Citus routes it whole to the tenant's worker)
SELECT ok((SELECT prosrc ~ E'\\nDECLARE rr_call_tenant text := rr\\.current_tenant\\(\\);\\nBEGIN\\n'
                  AND prosrc !~ 'SELECT rr\.current_tenant' AND prosrc ~ 'tenant_id = rr_call_tenant'
             FROM pg_proc WHERE oid = 'rr.renewal_rate(date, date)'::regprocedure),
          'rr.renewal_rate reads the current tenant once, into a variable its statement filters by');
SELECT ok((SELECT prosrc !~ 'rr_call_tenant' AND prosrc ~ 'rr\.current_tenant\(\)'
             FROM pg_proc WHERE oid = 'rr.dunning_status_as_of(date)'::regprocedure),
          'rr.dunning_status_as_of, which calls rr.invoice_balances, keeps rr.current_tenant() in its statement');
SELECT ok((SELECT prosrc ~ 'EXECUTE pg_catalog\.format' AND prosrc ~ 'FROM rr_internal\.billing_forecast\(%L::text, %L::date, %L::integer\)'
             FROM pg_proc WHERE oid = 'rr.billing_forecast(date, integer)'::regprocedure),
          'rr.billing_forecast calls rr_internal.billing_forecast as a statement of its own with constant arguments (which Citus delegates)');
-- (acting for another tenant, whose forecast is empty, the work asked for tenant cf's,
-- which has rows, answers nothing: a superuser bypasses row security, so only the
-- function's own check keeps it to the current tenant)
SELECT rr.create_tenant('cf2', 'Another tenant', 'USD');
SELECT set_config('rr.tenant', 'cf2', true);
SELECT is_empty($$SELECT * FROM rr_internal.billing_forecast('cf', '2024-03-31', 12)$$,
                'rr_internal.billing_forecast answers for the current tenant only: no rows for another');
SELECT set_config('rr.tenant', 'cf', true);
SELECT results_eq($$SELECT * FROM pg_temp.answers() ORDER BY 1$$, $$SELECT * FROM answers ORDER BY 1$$,
                  'the reports answer as before the rewrite');
SELECT isnt((SELECT count(*) FROM answers WHERE answer IS NOT NULL), 0::bigint,
            'the reports compared have rows');
SELECT is((SELECT count(*) FROM rr_internal.functions_for_citus() WHERE converted), 0::bigint,
          'a second call rewrites nothing');

SELECT * FROM finish();
ROLLBACK;
