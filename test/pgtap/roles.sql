-- rr.create_roles() and what each role may do (docs/security.md, "Roles").
BEGIN;
SELECT plan(36);

SELECT lives_ok('SELECT * FROM rr.create_roles()', 'rr.create_roles() runs');
SELECT is((SELECT string_agg(role_name || ':' || created, ' ' ORDER BY role_name) FROM rr.create_roles()),
          'rr_admin:false rr_analyst:false rr_app:false rr_billing:false',
          'a second call creates nothing and succeeds (idempotent)');
SELECT has_role(r) FROM unnest(ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']) AS r;

SELECT ok(has_function_privilege('rr_analyst', 'rr.billing_periods(date,date,interval,date)', 'EXECUTE'),
          'rr_analyst may call the calendar core');
SELECT ok(has_function_privilege('rr_app', 'rr.prorate_amount(numeric,daterange,daterange,text,integer)', 'EXECUTE'),
          'rr_app may call rr.prorate_amount');
SELECT ok(has_table_privilege('rr_analyst', 'rr.currency', 'SELECT'), 'rr_analyst reads currencies');
SELECT ok(NOT has_table_privilege('rr_analyst', 'rr.currency', 'INSERT, UPDATE, DELETE, TRUNCATE'),
          'rr_analyst cannot write currencies');
SELECT ok(NOT has_table_privilege('rr_app', 'rr.currency', 'INSERT, UPDATE, DELETE'),
          'rr_app cannot change reference data');
SELECT ok(has_table_privilege('rr_admin', 'rr.currency', 'INSERT'), 'rr_admin maintains currencies');
SELECT ok(NOT has_function_privilege('rr_admin', 'rr.create_roles()', 'EXECUTE'),
          'only superusers run rr.create_roles()');

-- SECURITY DEFINER entry points: the lifecycle for the application, nothing for the analyst
SELECT ok(has_function_privilege('rr_app', 'rr.create_contract(text,text,date,jsonb,text)', 'EXECUTE'),
          'rr_app may create contracts');
SELECT ok(has_function_privilege('rr_billing', 'rr.record_payment(text,numeric,date,text,boolean,text,text)', 'EXECUTE')
          AND has_function_privilege('rr_billing', 'rr.apply_payment(bigint,bigint,numeric,date)', 'EXECUTE'),
          'rr_billing records and applies payments');
SELECT ok(NOT has_function_privilege('rr_app', 'rr.record_payment(text,numeric,date,text,boolean,text,text)', 'EXECUTE')
          AND NOT has_function_privilege('rr_app', 'rr.apply_payment(bigint,bigint,numeric,date)', 'EXECUTE'),
          'rr_app does not post payments to the journal');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'rr'::regnamespace AND p.prosecdef
       AND has_function_privilege('rr_analyst', p.oid, 'EXECUTE')
$$, 'rr_analyst may execute no SECURITY DEFINER function');
SELECT is_empty($$
    SELECT r, t FROM unnest(ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']) r,
                     unnest(ARRAY['rr.contract', 'rr.contract_line', 'rr.contract_event']) t
     WHERE has_table_privilege(r, t, 'INSERT, UPDATE, DELETE, TRUNCATE')
$$, 'no role writes contracts, lines or events directly: only the lifecycle functions do');
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['rr.item', 'rr.item_price', 'rr.contract_item', 'rr.contract_template',
                               'rr.template_line', 'rr.account', 'rr.tax_code', 'rr.deferral_code',
                               'rr.tenant', 'rr.tenant_member']) t
     WHERE has_table_privilege('rr_app', t, 'INSERT, UPDATE, DELETE')
$$, 'rr_app cannot change the catalog or the tenants');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p', 'v')
       AND (NOT has_table_privilege('rr_analyst', c.oid, 'SELECT')
            OR has_table_privilege('rr_analyst', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
$$, 'rr_analyst reads every table and view and writes none');
SELECT is_empty($$
    SELECT DISTINCT d.refobjid::regprocedure::text
      FROM pg_rewrite w
      JOIN pg_class v ON v.oid = w.ev_class AND v.relnamespace = 'rr'::regnamespace
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_proc'::regclass
     WHERE NOT has_function_privilege('rr_analyst', d.refobjid, 'EXECUTE')
$$, 'rr_analyst may execute every function the views call (a security_invoker view calls as its reader)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'rr'::regnamespace AND p.prosecdef
       AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
$$, 'every SECURITY DEFINER function pins its search_path');

-- a public function that runs as its caller and calls an internal one: whoever may call
-- the public one may execute the internal one (it cannot name it: no USAGE on rr_internal)
SELECT is_empty($$
    SELECT DISTINCT r, p.oid::regprocedure::text, q.oid::regprocedure::text
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_proc'::regclass
      JOIN pg_proc q ON q.oid = d.refobjid,
           unnest(ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']) r
     WHERE p.pronamespace = 'rr'::regnamespace AND NOT p.prosecdef AND q.pronamespace = 'rr_internal'::regnamespace
       AND has_function_privilege(r, p.oid, 'EXECUTE') AND NOT has_function_privilege(r, q.oid, 'EXECUTE')
$$, 'every role may execute the internal functions of the invoker functions it may call');
-- and of those internal functions none is SECURITY DEFINER: on a node with Citus the roles
-- get USAGE on rr_internal (rr.create_roles(): the functions rr.distribute() rewrites as
-- PL/pgSQL name them as their caller), and then may call by name what they may execute
SELECT is_empty($$
    SELECT r, p.oid::regprocedure::text
      FROM pg_proc p, unnest(ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']) r
     WHERE p.pronamespace = 'rr_internal'::regnamespace AND p.prosecdef
       AND has_function_privilege(r, p.oid, 'EXECUTE')
$$, 'no role may execute a SECURITY DEFINER function of rr_internal');
-- and on a single node no role has USAGE on rr_internal
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']) r
     WHERE has_schema_privilege(r, 'rr_internal', 'USAGE')
       AND NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')
$$, 'no role has USAGE on rr_internal on a node without Citus');
SET LOCAL rr.tenant = 'none';
SET LOCAL ROLE rr_admin;
SELECT lives_ok($$SELECT count(*) FROM rr.due_charges('none', '2024-01-01')$$,
                'rr_admin calls rr.due_charges (which calls rr_internal.due_charges)');
RESET ROLE;

-- a role that was granted nothing cannot use the schema at all
CREATE ROLE rr_test_outsider NOLOGIN;
SET LOCAL ROLE rr_test_outsider;
SELECT throws_ok($$SELECT * FROM rr.billing_periods('2024-01-01', '2024-02-01', '1 month')$$,
                 '42501', NULL, 'a role without an rr_* grant is refused');
RESET ROLE;

-- the analyst really is refused at run time, not only by the catalog
SET LOCAL ROLE rr_analyst;
SELECT throws_ok($$INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 2, 'x')$$,
                 '42501', NULL, 'rr_analyst cannot insert a currency');
SELECT is(rr.minor_units('EUR'), 2, 'rr_analyst looks up minor units');
RESET ROLE;

-- the audit roles an entry point forwards to a Citus worker before it delegates a workflow
-- (rr_internal.forward_audit_roles): set for the transaction and given back after the call;
-- honoured in a superuser's session only (the worker's session of the extension's owner),
-- so that a member role cannot name another role in an audit column by setting them
CREATE ROLE rr_test_forger LOGIN;
GRANT rr_app TO rr_test_forger;
-- (as an entry point calls it: in a SECURITY DEFINER function of the owner)
CREATE FUNCTION pg_temp.forward(restore text[] DEFAULT NULL) RETURNS text[] LANGUAGE sql SECURITY DEFINER
    RETURN rr_internal.forward_audit_roles(restore);
GRANT EXECUTE ON FUNCTION pg_temp.forward(text[]) TO rr_test_forger;
SET LOCAL ROLE rr_test_forger;
SELECT is(pg_temp.forward(), ARRAY['', ''], 'forwarding the audit roles returns the settings before (none)');
SELECT is(ARRAY[current_setting('rr.audit_session_role'), current_setting('rr.audit_acting_role')],
          ARRAY[session_user::text, 'rr_test_forger'], 'and sets the session user and the acting role (SET ROLE)');
SELECT is(pg_temp.forward(ARRAY['', '']), ARRAY[session_user::text, 'rr_test_forger'],
          'passing the settings back restores them, and returns what was forwarded');
SELECT is(ARRAY[current_setting('rr.audit_session_role'), current_setting('rr.audit_acting_role')], ARRAY['', ''],
          'restored');
RESET ROLE;
SET LOCAL rr.audit_acting_role = 'rr_test_forger';
SET LOCAL rr.audit_session_role = 'rr_test_forger';
SELECT is(ARRAY[rr.acting_role(), rr_internal.session_role()], ARRAY['rr_test_forger', 'rr_test_forger']::name[],
          'in a superuser''s session the forwarded roles are the audit roles');
SET LOCAL SESSION AUTHORIZATION rr_test_forger;
SET LOCAL rr.audit_acting_role = 'postgres';
SET LOCAL rr.audit_session_role = 'postgres';
SELECT is(rr.acting_role(), 'rr_test_forger', 'in another session the settings are ignored: the acting role is the session''s');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
            WHERE d.adrelid = 'rr.contract_event'::regclass
              AND d.adnum = (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = d.adrelid AND a.attname = 'session_role')),
          'rr_internal.session_role()', 'the session_role columns default to rr_internal.session_role()');

SELECT * FROM finish();
ROLLBACK;
