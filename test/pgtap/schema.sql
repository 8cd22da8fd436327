-- Catalog checks over everything the extension installs (docs/security.md, docs/testing.md).
-- Table-driven: each query lists the offenders, so a new object that breaks a rule fails
-- with its name in the output.
BEGIN;
SELECT plan(25);

SELECT has_schema('rr');
SELECT has_extension('recurring_revenue');

-- every extension function written in SQL or PL/pgSQL pins its search_path, except the
-- inlinable helpers with a standard body (RETURN or BEGIN ATOMIC, which binds its names at
-- creation) and no SET clause, such as the limit checks used by CHECK constraints
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
       AND l.lanname IN ('sql', 'plpgsql')
       AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
       AND NOT (p.prosqlbody IS NOT NULL AND p.proconfig IS NULL)
       AND p.prokind <> 'p'
$$, 'every SQL and PL/pgSQL function pins search_path = pg_catalog, pg_temp, or is a standard-body helper');
-- a procedure that commits may carry no SET clause and may not be SECURITY DEFINER
-- (rr.move_tenant, docs/scale-out.md): each is for superusers only (no role but its owner
-- may execute it) and sets search_path = pg_catalog, pg_temp itself
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace) AND p.prokind = 'p'
       AND (p.prosecdef
            OR position($q$set_config('search_path', 'pg_catalog, pg_temp', true)$q$ IN p.prosrc) = 0
            OR EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                        WHERE a.grantee <> p.proowner))
$$, 'every procedure is executable by its owner alone, runs as its caller and sets its own search_path');

-- no function changes a planner setting for its whole body (plans must not depend on
-- statistics being there, nor on a setting the planner cannot see per statement), and no
-- function with a standard body (RETURN or BEGIN ATOMIC) carries a SET clause, which would
-- keep the planner from inlining it
SELECT is_empty($$
    SELECT p.oid::regprocedure::text || ' ' || c
      FROM pg_proc p CROSS JOIN LATERAL unnest(p.proconfig) c
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
       AND (c LIKE 'enable\_%' OR c LIKE 'jit%' OR c LIKE '%\_cost=%' OR c LIKE 'join\_collapse%'
            OR c LIKE 'from\_collapse%' OR c LIKE 'geqo%')
$$, 'no function changes a planner setting for its whole body');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
       AND p.prosqlbody IS NOT NULL AND p.proconfig IS NOT NULL
$$, 'no standard-body SQL function carries a SET clause (they stay inlinable)');

-- every standard-body scalar SQL function is inlined where it is called: a call the planner
-- does not inline starts an executor per row (rr_internal.document_number, declared STRICT
-- over a body that is not provably strict, cost a posting of 100,000 invoices 0.4 s).  Each
-- is called with parameters in a generic plan and found in the plan, its arguments the
-- parameters themselves, only if it was not inlined.  PostgreSQL inlines a single
-- expression only: the exceptions are whole queries (a FROM clause, an aggregate), each
-- called once per statement.
SET LOCAL plan_cache_mode = force_generic_plan;
CREATE TEMP TABLE not_inlined (fn text);
CREATE TEMP TABLE not_inlined_by_design (fn text);
INSERT INTO not_inlined_by_design
VALUES ('rr.is_admin(name)'), ('rr_internal.schedule_currency(date)'), ('rr_internal.usage_months_missing(date,date)');
DO $do$
DECLARE
    f record;
    line text;
BEGIN
    FOR f IN SELECT p.oid, p.oid::regproc::text AS name, p.oid::regprocedure::text AS sig,
                    string_agg(format('$%s::%s', a.n, format_type(a.t, NULL)), ', ' ORDER BY a.n) FILTER (WHERE a.n IS NOT NULL)
                        AS params,
                    string_agg('NULL', ', ') FILTER (WHERE a.n IS NOT NULL) AS nulls,
                    string_agg(format('\(?\$%s\)?(::[\w ."]+(\(\d+\))?)?', a.n), ', ' ORDER BY a.n)
                        FILTER (WHERE a.n IS NOT NULL) AS call_args
               FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               LEFT JOIN LATERAL unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (t, n) ON true
              WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
                AND l.lanname = 'sql' AND p.prosqlbody IS NOT NULL AND NOT p.proretset AND p.prokind = 'f'
              GROUP BY p.oid
    LOOP
        EXECUTE format('PREPARE inline_probe AS SELECT %s(%s)', f.name, coalesce(f.params, ''));
        FOR line IN EXECUTE format('EXPLAIN (VERBOSE, COSTS OFF) EXECUTE inline_probe%s',
                                   coalesce('(' || f.nulls || ')', ''))
        LOOP
            IF line ~ (regexp_replace(f.name, '([.$()])', '\\\1', 'g') || '\(' || coalesce(f.call_args, '') || '\)') THEN
                INSERT INTO not_inlined VALUES (f.sig);
            END IF;
        END LOOP;
        DEALLOCATE inline_probe;
    END LOOP;
END
$do$;
SELECT is_empty($$
    SELECT fn FROM not_inlined EXCEPT SELECT fn FROM not_inlined_by_design
$$, 'every standard-body scalar SQL function but three queries called once per statement is inlined');
-- (and the probe finds a call that is not inlined: the three are found)
SELECT set_eq($$SELECT fn FROM not_inlined INTERSECT SELECT fn FROM not_inlined_by_design$$,
              $$SELECT fn FROM not_inlined_by_design$$,
              'the inlining probe finds the three queries that are not inlined');
RESET plan_cache_mode;

-- nothing is executable by PUBLIC (a NULL proacl means the default grant to PUBLIC)
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
       AND (p.proacl IS NULL
            OR EXISTS (SELECT FROM aclexplode(p.proacl) a
                        WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
$$, 'no function in schema rr or rr_internal is executable by PUBLIC');

SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
       AND EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee = 0)
$$, 'no table, view or sequence in schema rr grants anything to PUBLIC');

SELECT ok(NOT has_schema_privilege('public', 'rr', 'USAGE'), 'PUBLIC has no usage on schema rr');

-- every table has a primary key; rr.usage_event, partitioned, has it on each partition
-- (see src/sql/60_usage/10_events.sql and docs/decisions.md, "Layers", for why), so the
-- check looks at its partitions
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'r'
       AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
    UNION ALL
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind = 'p'
       AND c.oid <> 'rr.usage_event'::regclass
       AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
$$, 'every table has a primary key (the partitions of rr.usage_event each have theirs)');

-- every table and sequence is registered with pg_extension_config_dump
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c, pg_extension e
     WHERE e.extname = 'recurring_revenue'
       AND c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p', 'S')
       AND NOT c.relispartition
       AND NOT c.oid = ANY (coalesce(e.extconfig, '{}'))
$$, 'every table and sequence is in pg_extension_config_dump (partitions made at run time are dumped as tables of their own)');

-- tenant tables: tenant_id leads the primary key, RLS enabled and forced.  Global
-- reference data (the ISO currency list) is the only exception, listed here.
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p')
       AND c.oid <> 'rr.currency'::regclass
       AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                AND (c.oid = 'rr.usage_event'::regclass
                     OR EXISTS (SELECT FROM pg_constraint k JOIN pg_attribute a
                                    ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                                WHERE k.conrelid = c.oid AND k.contype = 'p'
                                  AND a.attname = 'tenant_id')))
$$, 'every tenant table has a tenant_id-leading primary key and forced row-level security');

-- every function, table and view is documented
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace IN ('rr'::regnamespace, 'rr_internal'::regnamespace) AND obj_description(p.oid, 'pg_proc') IS NULL
    UNION ALL
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p', 'v')
       AND obj_description(c.oid, 'pg_class') IS NULL
$$, 'every function, table and view has a COMMENT');

-- the install script leaves no functions outside schemas rr (the public API) and
-- rr_internal (everything else)
SELECT is_empty($$
    SELECT pg_describe_object(d.classid, d.objid, 0)
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'recurring_revenue' AND d.deptype = 'e'
       AND d.classid = 'pg_proc'::regclass
       AND (SELECT pronamespace FROM pg_proc WHERE oid = d.objid) NOT IN ('rr'::regnamespace, 'rr_internal'::regnamespace)
$$, 'every extension function lives in schema rr or rr_internal');

-- the public API is what \df rr.* shows: no internal helper and no trigger function there
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'rr'::regnamespace
       AND (obj_description(p.oid, 'pg_proc') LIKE 'internal%' OR p.prorettype = 'trigger'::regtype)
$$, 'no internal or trigger function in schema rr');

-- schema rr_internal is the extension's, and no role but its owner may use it
SELECT is((SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
            WHERE e.extname = 'recurring_revenue' AND d.deptype = 'e'
              AND d.classid = 'pg_namespace'::regclass AND d.objid = 'rr_internal'::regnamespace),
          1::bigint, 'schema rr_internal is a member of the extension');
SELECT is_empty($$
    SELECT r.rolname FROM pg_roles r
     WHERE NOT r.rolsuper AND r.rolname !~ '^pg_'   -- pg_read_all_data and the like: the DBA's grant
       AND r.oid <> (SELECT nspowner FROM pg_namespace WHERE nspname = 'rr_internal')
       AND has_schema_privilege(r.oid, 'rr_internal', 'USAGE')
$$, 'no role but the owner may use schema rr_internal');

-- no role but the owner may create in schema rr (an overload there would catch the
-- extension's own calls)
SELECT is_empty($$
    SELECT a.grantee::regrole::text FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.nspname IN ('rr', 'rr_internal') AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner
$$, 'no role but the owner may create in schema rr or rr_internal');

-- SECURITY DEFINER functions are public entry points only
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.prosecdef AND p.pronamespace <> 'rr'::regnamespace
       AND p.oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                      WHERE e.extname = 'recurring_revenue' AND d.deptype = 'e')
$$, 'every SECURITY DEFINER function is an entry point in schema rr');

-- every view of schema rr and every column of it is documented (docs/reference.md lists
-- them): the offenders, a view as "rr.v" and a column as "rr.v.column"
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('v', 'm')
       AND obj_description(c.oid, 'pg_class') IS NULL
    UNION ALL
    SELECT c.oid::regclass::text || '.' || a.attname FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('v', 'm')
       AND col_description(c.oid, a.attnum) IS NULL
$$, 'every view of schema rr and every column of every view has a comment');

-- the journal's integrity is checked by its writers, not by triggers (issue 18): every
-- function that writes journal lines or entries calls rr_internal.check_journal, and no
-- table of the extension has a statement trigger with a transition table on the journal
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.prosrc ~* 'INSERT\s+INTO\s+rr\.journal_(line|entry)'
       AND p.prosrc !~ 'rr_internal\.check_journal\('
       AND p.oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                      WHERE e.extname = 'recurring_revenue' AND d.deptype = 'e')
$$, 'every function that writes the journal checks what it wrote (rr_internal.check_journal)');
SELECT is_empty($$
    SELECT t.tgname::text FROM pg_trigger t
     WHERE t.tgrelid IN ('rr.journal_line'::regclass, 'rr.journal_entry'::regclass)
       AND (t.tgnewtable IS NOT NULL OR t.tgoldtable IS NOT NULL)
$$, 'the journal has no trigger with a transition table');

SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'recurring_revenue'),
          false, 'the extension is not relocatable');

SELECT * FROM finish();
ROLLBACK;
