-- Scale-out on Citus (docs/scale-out.md): rr.distribute() turns a single-node install
-- into a distributed one, on the coordinator of a Citus cluster whose workers have the
-- extension too (CREATE EXTENSION on the coordinator is propagated to them).  It places
-- every table of schema rr: a table without tenant_id (the currency list) as a reference
-- table, every tenant table distributed by tenant_id in one co-location group (that of
-- rr.tenant, so a tenant's rows of every table live on one worker), rr.usage_event with
-- its partitions.  The order and method are the ones Citus 13 accepts:
--   - the foreign keys of the tables to place are dropped first and re-added last (a
--     reference table with foreign keys from local tables would make Citus convert every
--     local table of the key graph, and a tenant table cannot be distributed while the
--     tables it refers to are local); on the workers too, where the extension's own
--     copies of the tables serve as Citus's shell tables and still carry the install
--     script's keys, which re-adding them on the coordinator would meet there;
--   - the user triggers of those tables are disabled while the rows are copied into the
--     shards (the rows were checked when they were written; the currency guard refuses
--     its own seed rows, and statement triggers with transition tables cannot run in a
--     shard copy), and enabled again afterwards;
--   - the rows left behind in the coordinator's local tables are truncated;
--   - the SQL functions that read tables are rewritten in PL/pgSQL on every node
--     (rr_internal.functions_for_citus, below), at every call.
-- The workflows whose statements call table-reading functions per row, or use work tables,
-- are delegated to the worker of their tenant (create_distributed_function by their tenant
-- argument, forced delegation): the list is in rr.distribute() below, and
-- docs/scale-out.md says who calls each and why.  The entry points call each as a
-- statement of its own with constant arguments (through rr_internal.run_bill and
-- rr_internal.run_create_obligations for the billing run and the planning of revenue, by
-- EXECUTE for the others), the only form Citus delegates.

-- SQL functions that read the extension's tables, rewritten in PL/pgSQL for Citus.  On a
-- single node the planner inlines them into the statements that call them (one plan, no
-- call per row); Citus cannot plan what inlining brings in: a table of a function's body
-- joins the statement after Citus has looked at it (`ERROR: cannot perform distributed
-- planning on this query because parameterized queries for SQL functions referencing
-- distributed tables are not supported`), and a body that is not inlined runs with
-- parameters Citus cannot route.  A PL/pgSQL function runs its statement with the
-- arguments as values, which Citus routes to the tenant's worker.  So each such function
-- keeps its SQL on a single node and becomes, on a Citus node, the same statement in
-- PL/pgSQL: `RETURN QUERY <statement>` for a set-returning function, `RETURN
-- (<statement>)` for a scalar one, the statement itself for one returning void; the
-- text is PostgreSQL's own deparsed body (pg_get_function_sqlbody, names qualified under
-- this function's search_path) or, for a body kept as text, that text.  Names keep their
-- SQL meaning (`#variable_conflict use_column`: a column wins over a parameter of the same
-- name, as in a SQL function).  Signature, defaults, volatility, strictness, parallel
-- safety, SECURITY DEFINER, row estimate, settings, owner, privileges and comment are
-- kept (CREATE OR REPLACE); a function without settings gets the pinned search_path.
-- Functions of more than one statement are left as they are, and returned with a reason.
-- Idempotent: a converted function is PL/pgSQL and is not looked at again.  ALTER
-- EXTENSION UPDATE brings the SQL back; rr.distribute() converts again.
CREATE FUNCTION rr_internal.functions_for_citus()
RETURNS TABLE (function_name regprocedure, converted boolean, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- on every node on its own (rr.distribute() runs it on the workers too): the extension's
-- functions are not Citus's to propagate
SET citus.enable_ddl_propagation = off
AS $$
DECLARE
    f record;
    body text;
    stmt text;
    tenant_var boolean;
    granted_to regrole;
BEGIN
    FOR f IN
        SELECT p.oid, p.proretset, p.prosqlbody IS NOT NULL AS atomic, p.prosrc, p.provolatile, p.prosecdef,
               p.proisstrict, p.proparallel, p.prorows, p.proconfig, p.prorettype, t.typtype
          FROM pg_proc p
          JOIN pg_type t ON t.oid OPERATOR(pg_catalog.=) p.prorettype
         WHERE p.pronamespace OPERATOR(pg_catalog.=) ANY (ARRAY['rr'::regnamespace, 'rr_internal'::regnamespace])
           AND p.prolang OPERATOR(pg_catalog.=) (SELECT l.oid FROM pg_language l WHERE l.lanname OPERATOR(pg_catalog.=) 'sql')
           AND (EXISTS (SELECT FROM pg_depend d
                          JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) d.refobjid
                         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_proc'::regclass
                           AND d.objid OPERATOR(pg_catalog.=) p.oid
                           AND d.refclassid OPERATOR(pg_catalog.=) 'pg_class'::regclass
                           AND c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
                           AND c.relkind IN ('r', 'p', 'v'))
                OR (p.prosqlbody IS NULL AND p.prosrc OPERATOR(pg_catalog.~) '\mrr\.[a-z_]+'))
         ORDER BY p.oid
    LOOP
        function_name := f.oid::regprocedure;
        body := CASE WHEN f.atomic THEN pg_get_function_sqlbody(f.oid) ELSE f.prosrc END;
        IF body OPERATOR(pg_catalog.~) '^\s*BEGIN ATOMIC\s' THEN
            body := regexp_replace(regexp_replace(body, '^\s*BEGIN ATOMIC\s*', ''), '\s*END\s*$', '');
        END IF;
        body := regexp_replace(body, '[\s;]*$', '');
        -- the current tenant, read once per call into a variable: a statement that
        -- filters by a value (a parameter) rather than by a function or a sub-query is one
        -- Citus routes whole to the tenant's worker, whatever its shape; unless it calls a
        -- function of the extension that may read tables (not immutable), which would then
        -- run on the worker inside the shard's query, where Citus refuses to read tables
        tenant_var := body OPERATOR(pg_catalog.~) 'rr\.current_tenant\(\)'
                      AND NOT EXISTS (SELECT FROM regexp_matches(body, '\m(rr|rr_internal)\.([a-z_0-9]+)\s*\(', 'g') m
                                        JOIN pg_proc c ON c.proname OPERATOR(pg_catalog.=) m[2]
                                                      AND c.pronamespace OPERATOR(pg_catalog.=) m[1]::regnamespace
                                       WHERE c.provolatile OPERATOR(pg_catalog.<>) 'i'
                                         AND c.oid OPERATOR(pg_catalog.<>) 'rr.current_tenant()'::regprocedure);
        IF tenant_var THEN
            body := regexp_replace(body, '\(\s*SELECT\s+rr\.current_tenant\(\)(\s+AS\s+current_tenant)?\s*\)',
                                   'rr_call_tenant', 'gi');
            body := replace(body, 'rr.current_tenant()', 'rr_call_tenant');
        END IF;
        IF f.atomic AND body OPERATOR(pg_catalog.~) '^RETURN\s' THEN
            stmt := body;
        ELSIF body OPERATOR(pg_catalog.~) ';\s*\S' THEN
            converted := false;
            reason := 'more than one statement';
            RETURN NEXT;
            CONTINUE;
        ELSIF f.proretset THEN
            stmt := 'RETURN QUERY ' || body;
        ELSIF f.prorettype OPERATOR(pg_catalog.=) 'pg_catalog.void'::regtype THEN
            stmt := CASE WHEN body OPERATOR(pg_catalog.~*) '^\s*SELECT\s' THEN regexp_replace(body, '^\s*SELECT\s', 'PERFORM ', 'i')
                         ELSE body END;
        ELSIF f.typtype OPERATOR(pg_catalog.=) 'c' OR f.prorettype OPERATOR(pg_catalog.=) 'pg_catalog.record'::regtype THEN
            converted := false;
            reason := 'returns one row of several columns';
            RETURN NEXT;
            CONTINUE;
        ELSE
            stmt := 'RETURN (' || body || ')';
        END IF;
        EXECUTE format(E'CREATE OR REPLACE FUNCTION %s(%s) RETURNS %s LANGUAGE plpgsql %s %s %s %s %s %s AS %L',
                       f.oid::regproc, pg_get_function_arguments(f.oid), pg_get_function_result(f.oid),
                       CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                       CASE WHEN f.proisstrict THEN 'STRICT' ELSE '' END,
                       CASE WHEN f.prosecdef THEN 'SECURITY DEFINER' ELSE '' END,
                       CASE f.proparallel WHEN 's' THEN 'PARALLEL SAFE' WHEN 'r' THEN 'PARALLEL RESTRICTED' ELSE '' END,
                       CASE WHEN f.proretset THEN 'ROWS ' || f.prorows ELSE '' END,
                       coalesce((SELECT string_agg(format('SET %I = %s', split_part(s, '=', 1), substr(s, strpos(s, '=') + 1)), ' ')
                                   FROM unnest(f.proconfig) s),
                                'SET search_path = pg_catalog, pg_temp'),
                       E'#variable_conflict use_column\n'
                       || CASE WHEN tenant_var THEN E'DECLARE rr_call_tenant text := rr.current_tenant();\n' ELSE '' END
                       || E'BEGIN\n' || stmt || E';\nEND');
        converted := true;
        reason := NULL;
        RETURN NEXT;
    END LOOP;

    -- rr.billing_forecast: its work, rr_internal.billing_forecast, calls rr.due_charges in its
    -- statement, which reads tables, so it must run on the tenant's worker, where rr.distribute()
    -- delegates it; Citus delegates a call only when it is a statement of its own with constant
    -- arguments, so rr.billing_forecast issues it by EXECUTE.  (Its callers, analysts
    -- included, have USAGE on rr_internal on a Citus node; whoever may execute
    -- rr.billing_forecast is granted EXECUTE on its work here, since the PL/pgSQL body records
    -- no dependency for rr.create_roles to find.)
    IF (SELECT l.lanname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
         WHERE p.oid OPERATOR(pg_catalog.=) 'rr.billing_forecast(date,integer)'::regprocedure) OPERATOR(pg_catalog.=) 'sql' THEN
        EXECUTE format(E'CREATE OR REPLACE FUNCTION %s(%s) RETURNS %s LANGUAGE plpgsql STABLE STRICT ROWS 36 SET search_path = pg_catalog, pg_temp AS %L',
                       'rr.billing_forecast(date,integer)'::regprocedure::regproc,
                       pg_get_function_arguments('rr.billing_forecast(date,integer)'::regprocedure),
                       pg_get_function_result('rr.billing_forecast(date,integer)'::regprocedure),
                       E'BEGIN\n'
                       || E'    RETURN QUERY EXECUTE pg_catalog.format(\n'
                       || E'        ''SELECT f.currency, f.month, f.kind, f.charges, f.contracts, f.amount\n'
                       || E'           FROM rr_internal.billing_forecast(%L::text, %L::date, %L::integer) AS f'',\n'
                       || E'        rr.current_tenant(), as_of, months);\n'
                       || 'END');
        FOR granted_to IN
            SELECT a.grantee::regrole
              FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
             WHERE p.oid OPERATOR(pg_catalog.=) 'rr.billing_forecast(date,integer)'::regprocedure
               AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
               AND a.grantee OPERATOR(pg_catalog.<>) 0 AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION rr_internal.billing_forecast(text, date, integer) TO %s', granted_to);
        END LOOP;
        function_name := 'rr.billing_forecast(date,integer)'::regprocedure;
        converted := true;
        reason := NULL;
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.functions_for_citus() IS 'internal, called by rr.distribute() on every node: rewrites the SQL functions of schemas rr and rr_internal that read the extension''s tables as PL/pgSQL functions running the same statement, which Citus can route (it cannot plan what inlining brings into a statement); returns each function looked at, whether it was converted, and why not';
REVOKE ALL ON FUNCTION rr_internal.functions_for_citus() FROM PUBLIC;

-- Run a command on every worker in the worker's own transaction (run_command_on_workers);
-- a failure on any raises 55000 with the message given and each failing worker's answer.
CREATE FUNCTION rr_internal.run_on_workers(command text, failure text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    failed text;
BEGIN
    SELECT string_agg(w.nodename || ':' || w.nodeport || ': ' || w.result, '; ') INTO failed
      FROM pg_catalog.run_command_on_workers(run_on_workers.command) w
     WHERE NOT w.success;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION '%', failure
            USING ERRCODE = '55000',
                  DETAIL = failed,
                  HINT = 'Every worker must have recurring_revenue installed (CREATE EXTENSION on the coordinator propagates it).';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.run_on_workers(text, text) IS 'internal, for rr.distribute(): runs a command on every Citus worker; 55000 with the given message and the failing workers'' answers if any fails';
REVOKE ALL ON FUNCTION rr_internal.run_on_workers(text, text) FROM PUBLIC;

CREATE FUNCTION rr.distribute()
RETURNS TABLE (table_name regclass, placement text, placed boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- whatever the caller's session says: keys and triggers must reach the shards, reference
-- keys need one connection per node, and the extension's tables have row triggers
SET citus.enable_ddl_propagation = on
SET citus.multi_shard_modify_mode = 'sequential'
SET citus.enable_unsafe_triggers = on
AS $$
DECLARE
    to_place regclass[];
    t regclass;
    fk_rel regclass[] := '{}';
    fk_name name[] := '{}';
    fk_def text[] := '{}';
    tg_rel regclass[] := '{}';
    tg_name name[] := '{}';
    worker_cmd text;
    messages text;
    converted bigint;
    delegated integer := 0;
    f regprocedure;
    i integer;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'citus is not installed in this database'
            USING ERRCODE = '0A000',
                  DETAIL = 'rr.distribute() places the extension''s tables on a Citus cluster.',
                  HINT = 'Load Citus (shared_preload_libraries = citus), run CREATE EXTENSION citus and add the workers, then call rr.distribute() on the coordinator.';
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        RAISE EXCEPTION 'rr.distribute() must run on the coordinator'
            USING ERRCODE = '55000',
                  DETAIL = 'This node is a Citus worker.',
                  HINT = 'Connect to the coordinator and call it there.';
    END IF;

    -- the SQL functions that read tables, as PL/pgSQL (rr_internal.functions_for_citus):
    -- on the workers in their own transactions, here in this one
    PERFORM rr_internal.run_on_workers(
        'SET search_path = pg_catalog, pg_temp; SELECT count(*) FROM rr_internal.functions_for_citus()',
        'could not rewrite the functions of the workers for rr.distribute()');
    SELECT count(*) FILTER (WHERE f.converted) INTO converted FROM rr_internal.functions_for_citus() f;

    -- the tables still to place, in creation order (rr.tenant leads its group)
    SELECT coalesce(array_agg(c.oid::regclass ORDER BY c.oid), '{}') INTO to_place
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
       AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) c.oid);

    IF pg_catalog.cardinality(to_place) OPERATOR(pg_catalog.>) 0 THEN
        IF 'rr.tenant'::regclass OPERATOR(pg_catalog.<>) ALL (to_place)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d
                            WHERE d.logicalrelid OPERATOR(pg_catalog.=) 'rr.tenant'::regclass AND d.partmethod OPERATOR(pg_catalog.=) 'h') THEN
            RAISE EXCEPTION 'table rr.tenant is not distributed by tenant_id'
                USING ERRCODE = '55000',
                      DETAIL = 'The tenant tables are co-located with rr.tenant.',
                      HINT = 'Undistribute rr.tenant (undistribute_table), then call rr.distribute() again.';
        END IF;
        -- the foreign keys of those tables, to drop now and re-add once all are placed
        SELECT coalesce(array_agg(k.conrelid::regclass ORDER BY k.conrelid, k.conname), '{}'),
               coalesce(array_agg(k.conname ORDER BY k.conrelid, k.conname), '{}'),
               coalesce(array_agg(pg_catalog.pg_get_constraintdef(k.oid) ORDER BY k.conrelid, k.conname), '{}')
          INTO fk_rel, fk_name, fk_def
          FROM pg_catalog.pg_constraint k
         WHERE k.contype OPERATOR(pg_catalog.=) 'f' AND k.conparentid OPERATOR(pg_catalog.=) 0
           AND k.conrelid OPERATOR(pg_catalog.=) ANY (to_place);

        -- the workers first, before this transaction holds locks there: the roles' grants
        -- (Citus propagates the roles, not the grants on objects it does not distribute),
        -- and the same keys dropped from the extension's copies of the tables.  These run
        -- in the workers' own transactions: a failure below leaves the keys dropped there,
        -- which a second call finds so (IF EXISTS).
        worker_cmd := 'SET search_path = pg_catalog, pg_temp; SET citus.enable_ddl_propagation = off; SELECT count(*) FROM rr.create_roles()';
        FOR i IN 1 .. pg_catalog.cardinality(fk_rel) LOOP
            worker_cmd := worker_cmd || format('; ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rel[i], fk_name[i]);
        END LOOP;
        PERFORM rr_internal.run_on_workers(worker_cmd, 'could not prepare the workers for rr.distribute()');

        FOR i IN 1 .. pg_catalog.cardinality(fk_rel) LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk_rel[i], fk_name[i]);
        END LOOP;
        SELECT coalesce(array_agg(g.tgrelid::regclass ORDER BY g.tgrelid, g.tgname), '{}'),
               coalesce(array_agg(g.tgname ORDER BY g.tgrelid, g.tgname), '{}')
          INTO tg_rel, tg_name
          FROM pg_catalog.pg_trigger g
         WHERE g.tgrelid OPERATOR(pg_catalog.=) ANY (to_place)
           AND NOT g.tgisinternal AND g.tgenabled OPERATOR(pg_catalog.<>) 'D';
        FOR i IN 1 .. pg_catalog.cardinality(tg_rel) LOOP
            EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', tg_rel[i], tg_name[i]);
        END LOOP;

        -- global tables (no tenant_id) as reference tables, then the tenant tables; Citus's
        -- four notices per table (copying, where the local rows are) are kept from the
        -- caller, for this transaction's part of the work
        messages := pg_catalog.current_setting('client_min_messages');
        IF messages OPERATOR(pg_catalog.=) ANY (ARRAY['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'info']) THEN
            PERFORM pg_catalog.set_config('client_min_messages', 'warning', true);
        END IF;
        FOREACH t IN ARRAY to_place LOOP
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                            WHERE a.attrelid OPERATOR(pg_catalog.=) t AND a.attname OPERATOR(pg_catalog.=) 'tenant_id'
                              AND NOT a.attisdropped) THEN
                PERFORM pg_catalog.create_reference_table(t);
            END IF;
        END LOOP;
        IF 'rr.tenant'::regclass OPERATOR(pg_catalog.=) ANY (to_place) THEN
            PERFORM pg_catalog.create_distributed_table('rr.tenant'::regclass, 'tenant_id', colocate_with => 'none');
        END IF;
        FOREACH t IN ARRAY to_place LOOP
            IF t OPERATOR(pg_catalog.<>) 'rr.tenant'::regclass
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) t) THEN
                PERFORM pg_catalog.create_distributed_table(t, 'tenant_id', colocate_with => 'rr.tenant');
            END IF;
        END LOOP;
        -- the copied rows stay in the coordinator's local tables, hidden; free that space
        FOREACH t IN ARRAY to_place LOOP
            PERFORM pg_catalog.truncate_local_data_after_distributing_table(t);
        END LOOP;

        -- the identity sequences on the workers: CREATE EXTENSION made them there, starting
        -- at 1 like the coordinator's, and a statement Citus pushes down to a worker draws
        -- its ids there (an INSERT ... SELECT into a distributed table, a nextval() in a
        -- query of one): each worker draws from a range of its own, from its group id
        -- shifted left by 48 bits (26 for an integer column), as Citus does for the
        -- sequences it creates; the coordinator (group 0) goes on from its rows
        worker_cmd := $w$SET search_path = pg_catalog, pg_temp;
            SELECT count(setval(s.seq, greatest(s.last OPERATOR(pg_catalog.+) 1, s.start), false))
              FROM (SELECT q.seqrelid::regclass AS seq, coalesce(pg_sequence_last_value(q.seqrelid::regclass), 0) AS last,
                           (g.groupid::bigint OPERATOR(pg_catalog.<<) CASE WHEN q.seqtypid OPERATOR(pg_catalog.=) 'pg_catalog.int8'::regtype THEN 48 ELSE 26 END)
                           OPERATOR(pg_catalog.+) 1 AS start
                      FROM pg_sequence q
                      JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) q.seqrelid
                     CROSS JOIN pg_dist_local_group g
                     WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace) s$w$;
        PERFORM rr_internal.run_on_workers(worker_cmd, 'could not set the workers'' identity sequences');

        FOR i IN 1 .. pg_catalog.cardinality(fk_rel) LOOP
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rel[i], fk_name[i], fk_def[i]);
        END LOOP;
        FOR i IN 1 .. pg_catalog.cardinality(tg_rel) LOOP
            EXECUTE format('ALTER TABLE %s ENABLE TRIGGER %I', tg_rel[i], tg_name[i]);
        END LOOP;
        PERFORM pg_catalog.set_config('client_min_messages', messages, true);
        RAISE NOTICE 'recurring_revenue placed % tables on the Citus cluster', pg_catalog.cardinality(to_place);
    END IF;

    -- the delegated workflows (docs/scale-out.md has their callers and reasons), run on
    -- the worker of their tenant (their first argument), in the caller's transaction
    -- (forced delegation): there their statements read the tenant's co-located shards, and
    -- the functions they call per row may read them too, which Citus refuses inside a
    -- statement sent to a worker from the coordinator (their callers issue each call as a
    -- statement of its own with constant arguments, so that Citus delegates it)
    FOREACH f IN ARRAY ARRAY['rr_internal.bill(text,date,bigint)',
                             'rr_internal.create_obligations(text,bigint[],date[],date[])',
                             'rr_internal.renew_contracts(text,bigint[],date)',
                             'rr_internal.expire_contracts(text,date)',
                             'rr_internal.apply_price_changes(text,date,bigint[],date[],boolean)',
                             'rr_internal.preview_price_change(text,bigint)',
                             'rr_internal.post_invoices(text,date,text)',
                             'rr_internal.credit_invoice(text,bigint,numeric,integer[],text,date)',
                             'rr_internal.draw_wallets(text,date)',
                             'rr_internal.expire_wallet_credit(text,date)',
                             'rr_internal.run_dunning(text,date)',
                             'rr_internal.billing_forecast(text,date,integer)',
                             'rr_internal.recognize(text,date)',
                             'rr_internal.bill_one_off(text,rr.one_off_charge)',
                             'rr_internal.write_contract_mrr(text,bigint[])',
                             'rr_internal.amend_catch_up(text,bigint,date)']::regprocedure[] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_object o
                        WHERE o.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                          AND o.objid OPERATOR(pg_catalog.=) f
                          AND o.distribution_argument_index IS NOT NULL) THEN
            PERFORM pg_catalog.create_distributed_function(f, 'tenant_id', colocate_with => 'rr.tenant',
                                                           force_delegation => true);
            delegated := delegated OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;

    IF pg_catalog.cardinality(to_place) OPERATOR(pg_catalog.>) 0 THEN
        NULL;   -- (said above)
    ELSIF converted OPERATOR(pg_catalog.>) 0 OR delegated OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE 'recurring_revenue is already distributed: % functions rewritten for Citus, % delegated to workers',
                     converted, delegated;
    ELSE
        RAISE NOTICE 'recurring_revenue is already distributed: nothing to do';
    END IF;

    RETURN QUERY
        SELECT c.oid::regclass,
               CASE d.partmethod WHEN 'n' THEN 'reference'
                                 WHEN 'h' THEN 'distributed by ' || pg_catalog.column_to_column_name(d.logicalrelid, d.partkey)
                                 ELSE 'citus table (' || d.partmethod::text || ')' END
               || CASE WHEN c.relispartition THEN ', partition of ' || inh.inhparent::regclass::text ELSE '' END,
               c.oid OPERATOR(pg_catalog.=) ANY (to_place)
                 OR (c.relispartition AND inh.inhparent OPERATOR(pg_catalog.=) ANY (to_place))
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_dist_partition d ON d.logicalrelid OPERATOR(pg_catalog.=) c.oid
          LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid OPERATOR(pg_catalog.=) c.oid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
         ORDER BY c.relispartition, c.oid;
END
$$;
COMMENT ON FUNCTION rr.distribute() IS 'on the coordinator of a Citus cluster: places every table of schema rr, the currency list as a reference table and every tenant table distributed by tenant_id, co-located with rr.tenant (rr.usage_event with its partitions), runs rr.create_roles() on the workers, and delegates the billing run, a one-off charge billed at once, the planning of revenue, renewals, expiry, price changes and their preview, posting, credit notes, wallets, dunning, recognition, the billing forecast and the MRR steps to the tenant''s worker (create_distributed_function by tenant); returns each table''s placement and whether this call placed it (a second call places nothing); 0A000 without Citus';
REVOKE ALL ON FUNCTION rr.distribute() FROM PUBLIC;
