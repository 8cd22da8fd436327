-- Work tables of SECURITY DEFINER code.
--
-- A few batch workflows (credit notes, obligations, recognition) stage their set in
-- session temporary tables, indexed and analysed so that their plans cannot go
-- quadratic.  A temporary table lives in the caller's own temp schema, where the caller
-- may already have created a table, view or sequence of the same name, with triggers or
-- rules that would then run as the owner of the definer code.  So definer code never
-- uses a temporary relation it did not create: before each use it claims the name with
-- rr_internal.claim_work_table, which answers whether the table must still be created
-- and refuses (42501) a relation of that name that the current user (the definer) does
-- not own or that carries triggers, rules, row security or children.  The caller cannot
-- attach anything to a table the definer owns (that needs ownership), and functions and
-- operators are never looked up in pg_temp unless named with it, which this code never
-- does.
--
-- Work tables live for the session, so a session pays for creating them once, not per
-- call, and keep their rows until their next use, which starts by emptying them
-- (rr_internal.empty_work_table).  They are not ON COMMIT DELETE ROWS: emptying a
-- temporary table at commit rebuilds its indexes, which invalidates every cached plan that
-- reads the table, so that every single-contract call planned all of its statements again
-- (a fifth of an activation).  For the same reason a work table is analysed only when it
-- is large (rr_internal.analyze_work_table).  Its rows stay readable by the definer only:
-- the table belongs to it, and no role is granted anything on it.
-- A work table that lost a column (its type went with a DROP EXTENSION ... CASCADE in
-- this session) is dropped and made again; a work table whose definition changes in a
-- new version of the extension takes a new name, so that no session keeps the old shape.

CREATE FUNCTION rr_internal.claim_work_table(name text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    SELECT c.oid, c.relkind, c.relpersistence, c.relowner, c.relhastriggers, c.relhasrules, c.relrowsecurity,
           c.relhassubclass, c.relowner::regrole::text AS owner
      INTO r
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
       AND c.relname OPERATOR(pg_catalog.=) claim_work_table.name;
    IF NOT FOUND THEN
        RETURN true;
    END IF;
    IF r.relkind OPERATOR(pg_catalog.<>) 'r' OR r.relpersistence OPERATOR(pg_catalog.<>) 't'
       OR r.relowner OPERATOR(pg_catalog.<>) (SELECT u.oid FROM pg_catalog.pg_roles u WHERE u.rolname OPERATOR(pg_catalog.=) current_user)
       OR r.relhastriggers OR r.relhasrules OR r.relrowsecurity OR r.relhassubclass THEN
        RAISE EXCEPTION 'temporary relation "%" of this session is in the way of recurring_revenue', name
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('The extension stages its work in a temporary table of that name; the one in this session belongs to role "%s" or carries triggers, rules or row security.', r.owner),
                  HINT = pg_catalog.format('Drop or rename the temporary relation %s, then call the function again.', pg_catalog.quote_ident(name));
    END IF;
    -- a table this code made earlier in the session but whose shape has changed since: a
    -- column was dropped with the type it had (DROP EXTENSION ... CASCADE, then CREATE
    -- EXTENSION, in the same session); it is the definer's own, so it is dropped and made
    -- again (a work table whose definition changes in a new version takes a new name)
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
                WHERE a.attrelid OPERATOR(pg_catalog.=) r.oid AND a.attisdropped) THEN
        EXECUTE pg_catalog.format('DROP TABLE pg_temp.%I', name);
        RETURN true;
    END IF;
    RETURN false;
END
$$;
COMMENT ON FUNCTION rr_internal.claim_work_table(text) IS 'internal: true if SECURITY DEFINER code must create its temporary work table of that name, false if it already created it in this session (one that lost a column, its type dropped with the extension, is dropped and true returned); 42501 if the session holds a relation of that name that the current user does not own or that carries triggers, rules, row security or children';

-- Empty a work table before its use: a DELETE while it is small (its dead rows are pruned
-- as later calls reuse its pages, and its plans stay cached), a TRUNCATE once it has grown
-- past 1 MB (for example in a transaction that calls the same workflow many times, whose
-- own dead rows cannot be pruned before it ends), which gives it new, empty files.
CREATE FUNCTION rr_internal.empty_work_table(work_table regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.pg_relation_size(work_table) OPERATOR(pg_catalog.>) 1048576 THEN
        EXECUTE pg_catalog.format('TRUNCATE %s', work_table);
    ELSE
        EXECUTE pg_catalog.format('DELETE FROM %s', work_table);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.empty_work_table(regclass) IS 'internal: empties a work table before its use: DELETE while it is at most 1 MB, TRUNCATE when larger';
REVOKE ALL ON FUNCTION rr_internal.empty_work_table(regclass) FROM PUBLIC;

-- Statistics of a work table, only where they matter.  ANALYZE invalidates every cached
-- plan that reads the table, so analysing the handful of rows of a single-contract call
-- made each later call plan its statements again.  A work table is analysed on its first
-- use in the session, when it holds more than 8 pages (64 kB, a few hundred rows), or when
-- its statistics still describe such a size (the first small call after a batch resets
-- them).  Between those, the planner scales the rows per page it last saw by the table's
-- current size, which is right for calls of one or a few contracts; never analysing a
-- small table would not do, since without statistics the planner assumes at least ten
-- pages of rows and, in a large tenant, hashes whole tables to join them.
-- The sample is 3,000 rows (a statistics target of 10 on every column, set on the first
-- ANALYZE of the session's table), not the default 30,000: the work tables are joined by
-- keys, for which the number of distinct values and the row count are what the planner
-- needs, and the default sample made the ANALYZE of a 60,000-row work table cost 100-160
-- ms of a 20,000-contract run instead of 16 ms.
CREATE FUNCTION rr_internal.analyze_work_table(work_table regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    targets text;
BEGIN
    IF pg_catalog.pg_relation_size(work_table) OPERATOR(pg_catalog.>) (8 OPERATOR(pg_catalog.*) pg_catalog.current_setting('block_size')::bigint)
       OR (SELECT c.relpages OPERATOR(pg_catalog.>) 8 OR c.reltuples OPERATOR(pg_catalog.<) 0
             FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) work_table) THEN
        -- (the targets looked up only when it is analysed, not at every small call)
        SELECT pg_catalog.string_agg(pg_catalog.format('ALTER COLUMN %I SET STATISTICS 10', a.attname), ', ')
          INTO targets
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) work_table AND a.attnum OPERATOR(pg_catalog.>) 0
           AND NOT a.attisdropped AND a.attstattarget OPERATOR(pg_catalog.<) 0;
        IF targets IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s %s', work_table, targets);
        END IF;
        EXECUTE pg_catalog.format('ANALYZE %s', work_table);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.analyze_work_table(regclass) IS 'internal: ANALYZE of a work table (a sample of 3,000 rows: statistics target 10) on its first use in the session, when it has more than 8 pages, or when its statistics still describe more; otherwise nothing, so that the cached plans of single-contract calls stay valid';
REVOKE ALL ON FUNCTION rr_internal.analyze_work_table(regclass) FROM PUBLIC;

-- The rows of a tenant in a table as the planner estimates them (a tenant_id equal to a
-- constant): the table's rows at its present size (pages, as the planner scales its row
-- count) times the tenant's frequency among the most common values of tenant_id, or, for a
-- tenant not among them, the share of an average other tenant; 0 for a table analysed
-- without a row of statistics for tenant_id (analysed empty, or hidden by pg_stats, which
-- shows the statistics of a table under row security only to a role that bypasses it).
CREATE FUNCTION rr_internal.tenant_rows_estimate(tbl regclass, tenant_id text, pages bigint)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- (PL/pgSQL, whose statement keeps its plan for the session: as a SQL function with a
-- search_path of its own it was planned at every call, 0.6 ms over pg_stats, 4 ms for
-- the six tables of a posting)
AS $$
BEGIN
    RETURN (SELECT greatest(c.reltuples, 0) / greatest(c.relpages, 1) * greatest(tenant_rows_estimate.pages, c.relpages)
                   * coalesce((SELECT coalesce(s.most_common_freqs[array_position(s.most_common_vals::text::text[],
                                                                                  tenant_rows_estimate.tenant_id)],
                                               greatest(1 - coalesce((SELECT sum(f) FROM unnest(s.most_common_freqs) AS f), 0)
                                                        - s.null_frac, 0)
                                               / greatest(CASE WHEN s.n_distinct >= 0 THEN s.n_distinct
                                                               ELSE -s.n_distinct * greatest(c.reltuples, 0) END
                                                          - coalesce(cardinality(s.most_common_freqs), 0), 1))
                                 FROM pg_namespace n
                                 JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
                                                AND s.attname = 'tenant_id' AND NOT s.inherited
                                WHERE n.oid = c.relnamespace), 0)
              FROM pg_class c
             WHERE c.oid = tenant_rows_estimate.tbl);
END
$$;
COMMENT ON FUNCTION rr_internal.tenant_rows_estimate(regclass, text, bigint) IS 'internal: the rows of the tenant in the table (of that many pages now) that its statistics of tenant_id estimate; 0 without statistics of tenant_id';
REVOKE ALL ON FUNCTION rr_internal.tenant_rows_estimate(regclass, text, bigint) FROM PUBLIC;

-- The statistics of the tenant tables a batch plans on (docs/operations.md, "Performance").
-- A table never analysed, or analysed when it was a quarter of its size or less (analysed
-- empty, then filled by a restore, a bulk load or the tenant's first runs), makes the
-- planner guess a handful of rows for a whole tenant: it then loops over what it thinks
-- small, once per row of something large.  So each batch first analyses the tables it reads
-- that are in that state and have 8 pages or more (a smaller one costs little however it is
-- planned).  A table another session is analysing (or vacuuming, or holds in a mode that
-- conflicts) is left to it: such a lock is looked for first, and the lock is then tried for
-- 10 ms, never waited for.  Not on Citus, whose statistics are the shards' (the
-- coordinator's ANALYZE propagates to them).  ANALYZE is not a planner setting: the plans
-- stay the planner's, on true numbers.
-- A table can also be analysed, and not have grown fourfold since, yet not know the
-- tenant: a tenant whose rows came after the last ANALYZE of a table that holds others'
-- is estimated at a handful of rows, or at none when every tenant then in the table was
-- among its most common values.  On 2026-12-07, ten tenants of 100,000 contracts billed
-- and then posted one after the other: the sixth posting looked up each draft's lines by
-- the index of their charges, (tenant_id, charge_id), scanning the tenant's 300,000 lines
-- once per draft (stopped after 20 minutes; 4.7 s with the rule below); and a
-- fifth tenant of 20,000 contracts, loaded after the others were recognised and analysed,
-- took 143 s to recognise its first month, scanning its obligations once per schedule
-- line.  So a batch passes its tenant too, and a table whose statistics estimate
-- fewer than 250 of the tenant's rows (rr_internal.tenant_rows_estimate) is analysed when
-- it holds 1,000 of them or more (counted by the primary key, at most 1,000 entries read:
-- a tenant that small is cheap however it is planned).
CREATE FUNCTION rr_internal.refresh_statistics(tables regclass[], tenant_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- (a sample of 3,000 rows, statistics target 10, as for the work tables: what the plans of
-- a batch need are row counts and the tenants' shares, and a full sample of 30,000 rows
-- cost 150 ms of a 3 s run of 20,000 contracts; autovacuum's next ANALYZE takes the full
-- statistics.  At full speed whatever the caller's session says: a cost delay would hold
-- the table's lock, which other sessions' analyses and autovacuum skip, for longer.)
SET default_statistics_target = 10
SET vacuum_cost_delay = 0
AS $$
DECLARE
    t regclass;
    stale boolean;
    held bigint;
    timeout text := pg_catalog.current_setting('lock_timeout');
    block bigint := pg_catalog.current_setting('block_size')::bigint;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RETURN;
    END IF;
    FOR t, stale IN
        SELECT c.oid::regclass, g.stale
          FROM pg_catalog.pg_class c
          CROSS JOIN LATERAL (SELECT pg_catalog.pg_relation_size(c.oid) / block AS pages) s
          -- (never analysed, or grown more than fourfold since)
          CROSS JOIN LATERAL (SELECT c.reltuples < 0 OR s.pages > 4 * GREATEST(c.relpages, 1) AS stale) g
         WHERE c.oid = ANY (tables)
           AND s.pages >= 8
           AND (g.stale
                OR (refresh_statistics.tenant_id IS NOT NULL
                    AND rr_internal.tenant_rows_estimate(c.oid, refresh_statistics.tenant_id, s.pages) < 250))
           -- (not a table whose lock another session holds: it is being analysed or
           -- vacuumed, or is being changed by a DBA; the lock timeout below covers the race)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_locks l
                            WHERE l.locktype = 'relation' AND l.relation = c.oid
                              AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                                 WHERE d.datname = pg_catalog.current_database())
                              AND l.pid <> pg_catalog.pg_backend_pid()
                              AND l.mode IN ('ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock',
                                             'ExclusiveLock', 'AccessExclusiveLock'))
         ORDER BY c.oid
    LOOP
        IF NOT stale THEN
            -- (estimated at fewer than 250 of the tenant's rows: does it hold 1,000?)
            EXECUTE pg_catalog.format('SELECT count(*) FROM (SELECT FROM %s x WHERE x.tenant_id = $1 LIMIT 1000) x', t)
               INTO held USING refresh_statistics.tenant_id;
            CONTINUE WHEN held < 1000;
        END IF;
        -- (the short timeout for the ANALYZE alone, not for the catalog reads above)
        PERFORM pg_catalog.set_config('lock_timeout', '10ms', true);
        BEGIN
            EXECUTE pg_catalog.format('ANALYZE %s', t);
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
        PERFORM pg_catalog.set_config('lock_timeout', timeout, true);
    END LOOP;
END
$$;
COMMENT ON FUNCTION rr_internal.refresh_statistics(regclass[], text) IS 'internal: ANALYZE (statistics target 10) of each of the tables (of 8 pages or more) never analysed or grown more than fourfold since, or (a tenant given) whose statistics estimate fewer than 250 rows of the tenant while it has 1,000 or more, unless another session holds the lock (tried for 10 ms); nothing on Citus';
REVOKE ALL ON FUNCTION rr_internal.refresh_statistics(regclass[], text) FROM PUBLIC;

CREATE FUNCTION rr_internal.refresh_statistics(tables regclass[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rr_internal.refresh_statistics(tables, NULL) $$;
COMMENT ON FUNCTION rr_internal.refresh_statistics(regclass[]) IS 'internal: rr_internal.refresh_statistics without a tenant (for a single call): the tables never analysed or grown more than fourfold since';
REVOKE ALL ON FUNCTION rr_internal.refresh_statistics(regclass[]) FROM PUBLIC;
