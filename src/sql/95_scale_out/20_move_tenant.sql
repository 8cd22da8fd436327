-- Moving a tenant to shards and a worker of its own, online (docs/scale-out.md, "Moving a
-- tenant").  Citus isolates a tenant (isolate_tenant_to_new_shard) and moves a shard group
-- (citus_move_shard_placement) either by blocking writes while it copies, or, by default,
-- by logical replication, writes going on until a short switch-over.  Logical replication
-- applies the rows as a role Citus creates for the move, not a superuser, and PostgreSQL
-- refuses to replicate into a table with forced row-level security for such a role (`ERROR:
-- user "citus_shard_move_subscription_role_..." cannot replicate into relation with
-- row-level security enabled`), which Citus retries for ever: the move never ends.  Every
-- table of the extension forces row-level security, so rr.move_tenant, rr.drain_node and
-- rr.rebalance (rr_internal.transfer_shards) lift FORCE on the coordinator's tables alone
-- (the ones the new shards are created from), one table a transaction, run Citus's calls
-- in transactions of their own (Citus does one move by logical replication per
-- transaction), and force row-level security again on every node and shard, one table a
-- transaction, whatever happened in between.
--
-- While FORCE is lifted, policies still apply to every role but the tables' owner: the
-- superuser that installed the extension, who bypasses row-level security anyway (and any
-- member of that role may SET ROLE to it).  So lifting it for a move gives no role a row
-- it could not read before.  A procedure that commits may be neither SECURITY DEFINER nor
-- carry a SET clause: these are for superusers only (no role is granted them), and set
-- their own search_path at the start of each transaction.

-- The checks every procedure of this file makes first: the transfer mode one Citus has,
-- Citus installed, this node its coordinator, the extension distributed.
CREATE FUNCTION rr_internal.check_shard_transfer(procedure_name text, shard_transfer_mode text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shard_transfer_mode IS NULL OR shard_transfer_mode NOT IN ('auto', 'force_logical', 'block_writes') THEN
        RAISE EXCEPTION 'invalid shard transfer mode "%"', shard_transfer_mode
            USING ERRCODE = '22023', HINT = 'Use auto (the default), force_logical or block_writes.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'citus is not installed in this database'
            USING ERRCODE = '0A000',
                  DETAIL = format('%s moves shards between the workers of a Citus cluster.', procedure_name),
                  HINT = 'Distribute the extension first: docs/scale-out.md.';
    END IF;
    IF NOT citus_is_coordinator() THEN
        RAISE EXCEPTION '% must run on the coordinator', procedure_name
            USING ERRCODE = '55000', DETAIL = 'This node is a Citus worker.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition d
                    WHERE d.logicalrelid = 'rr.tenant'::regclass AND d.partmethod = 'h') THEN
        RAISE EXCEPTION 'table rr.tenant is not distributed by tenant_id'
            USING ERRCODE = '55000',
                  DETAIL = 'The extension''s tenant tables are moved in groups of co-located shards.',
                  HINT = 'Call rr.distribute() first.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_shard_transfer(text, text) IS 'internal, for rr.move_tenant, rr.drain_node and rr.rebalance: 22023 for a transfer mode Citus does not have, 0A000 without Citus, 55000 on a worker or before rr.distribute()';
REVOKE ALL ON FUNCTION rr_internal.check_shard_transfer(text, text) FROM PUBLIC;

-- The tenant's shard of rr.tenant (the group of every tenant table's shard that holds the
-- tenant), whether it holds that tenant alone, and its node.
CREATE FUNCTION rr_internal.tenant_placement(tenant_id text, OUT shard bigint, OUT isolated boolean,
                                             OUT node_name text, OUT node_port integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tenant_id IS NULL OR NOT EXISTS (SELECT FROM rr.tenant t WHERE t.tenant_id = tenant_placement.tenant_id) THEN
        RAISE EXCEPTION 'tenant "%" does not exist', tenant_id
            USING ERRCODE = '23503';
    END IF;
    SELECT s.shardid, s.shardminvalue = s.shardmaxvalue, n.nodename, n.nodeport
      INTO shard, isolated, node_name, node_port
      FROM pg_dist_shard s
      JOIN pg_dist_placement p ON p.shardid = s.shardid
      JOIN pg_dist_node n ON n.groupid = p.groupid
     WHERE s.shardid = get_shard_id_for_distribution_column('rr.tenant'::regclass, tenant_placement.tenant_id);
END
$$;
COMMENT ON FUNCTION rr_internal.tenant_placement(text) IS 'internal, for rr.move_tenant, after rr_internal.check_shard_transfer: the shard of rr.tenant that holds the tenant, whether it holds that tenant alone, and its node; 23503 for a tenant that does not exist';
REVOKE ALL ON FUNCTION rr_internal.tenant_placement(text) FROM PUBLIC;

-- Steps 1 and 4 of the procedures below: FORCE ROW LEVEL SECURITY lifted on the
-- coordinator's tables of the extension (not propagated: Citus creates new shards from
-- them, and the shards keep theirs), or forced again on every table with row-level
-- security, propagated to every node and shard.  One table a transaction: a transaction
-- that held the lock of one table while it waited for another's met the writes of the
-- tenant, which hold the second and need the first for their foreign keys (`ERROR:
-- canceling the transaction since it was involved in a distributed deadlock`).  A lock
-- conflict that remains (a deadlock Citus detects, or a lock not available) is retried
-- up to 20 times after a growing pause.
CREATE PROCEDURE rr_internal.set_forced_row_security(force boolean)
LANGUAGE plpgsql
AS $$
DECLARE
    t regclass;
    attempt integer;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOREACH t IN ARRAY ARRAY(SELECT c.oid::regclass FROM pg_catalog.pg_class c
                              WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace AND c.relkind IN ('r', 'p')
                                AND c.relrowsecurity AND c.relforcerowsecurity OPERATOR(pg_catalog.<>) force
                              ORDER BY c.oid) LOOP
        attempt := 0;
        LOOP
            BEGIN
                PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', CASE WHEN force THEN 'on' ELSE 'off' END, true);
                EXECUTE format('ALTER TABLE %s %s FORCE ROW LEVEL SECURITY', t, CASE WHEN force THEN '' ELSE 'NO' END);
                EXIT;
            EXCEPTION WHEN deadlock_detected OR lock_not_available THEN
                attempt := attempt OPERATOR(pg_catalog.+) 1;
                IF attempt OPERATOR(pg_catalog.>=) 20 THEN
                    RAISE;
                END IF;
            END;
            PERFORM pg_catalog.pg_sleep(0.05 OPERATOR(pg_catalog.*) attempt);
        END LOOP;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    END LOOP;
END
$$;
COMMENT ON PROCEDURE rr_internal.set_forced_row_security(boolean) IS 'internal, steps 1 and 4 of rr.move_tenant, rr.drain_node and rr.rebalance: lifts FORCE ROW LEVEL SECURITY on the coordinator''s tables of schema rr (not propagated), or forces it again on every one with row-level security, propagated to every node and shard; one table a transaction, a lock conflict retried up to 20 times';
REVOKE ALL ON PROCEDURE rr_internal.set_forced_row_security(boolean) FROM PUBLIC;

-- Steps 1 to 4 of every procedure below: FORCE lifted (1), Citus's shard transfers run,
-- each a statement in a transaction of its own (Citus moves one shard group by logical
-- replication per transaction; its rebalancer moves each group in a transaction of its
-- own), NULLs skipped, the first that fails ending them (2, 3), and FORCE again
-- everywhere, failed or not (4); then the failure is raised with its SQLSTATE.
CREATE PROCEDURE rr_internal.transfer_shards(procedure_name text, commands text[])
LANGUAGE plpgsql
AS $$
DECLARE
    command text;
    failed boolean := false;
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CALL rr_internal.set_forced_row_security(false);
    FOREACH command IN ARRAY commands LOOP
        CONTINUE WHEN command IS NULL;
        BEGIN
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            EXECUTE command;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT, e_detail = PG_EXCEPTION_DETAIL,
                                    e_hint = PG_EXCEPTION_HINT;
            failed := true;
        END;
        COMMIT;
        EXIT WHEN failed;
    END LOOP;
    CALL rr_internal.set_forced_row_security(true);
    IF failed THEN
        e_hint := coalesce(nullif(e_hint, '') || ' ', '')
                  || format('Row-level security is forced again on every table; what Citus left behind is in pg_dist_cleanup; %s may be called again.', procedure_name);
        IF coalesce(e_detail, '') = '' THEN
            RAISE EXCEPTION '%', e_message USING ERRCODE = e_state, HINT = e_hint;
        END IF;
        RAISE EXCEPTION '%', e_message USING ERRCODE = e_state, DETAIL = e_detail, HINT = e_hint;
    END IF;
END
$$;
COMMENT ON PROCEDURE rr_internal.transfer_shards(text, text[]) IS 'internal, for rr.move_tenant, rr.drain_node and rr.rebalance: runs Citus shard transfers (statements, each in a transaction of its own, up to the first that fails) with FORCE ROW LEVEL SECURITY lifted on the coordinator''s tables, then forces it again everywhere, failed or not, and raises the failure';
REVOKE ALL ON PROCEDURE rr_internal.transfer_shards(text, text[]) FROM PUBLIC;

CREATE PROCEDURE rr.move_tenant(tenant_id text, node_name text DEFAULT NULL, node_port integer DEFAULT 5432,
                                shard_transfer_mode text DEFAULT 'auto')
LANGUAGE plpgsql
AS $$
DECLARE
    p record;
    isolate boolean;
    move boolean;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM rr_internal.check_shard_transfer('rr.move_tenant', shard_transfer_mode);
    p := rr_internal.tenant_placement(tenant_id);
    IF node_name IS NOT NULL AND NOT EXISTS (SELECT FROM pg_dist_node n
                                              WHERE n.nodename = move_tenant.node_name AND n.nodeport = move_tenant.node_port
                                                AND n.noderole = 'primary' AND n.isactive AND n.shouldhaveshards) THEN
        RAISE EXCEPTION 'node %:% is not an active worker that takes shards', node_name, node_port
            USING ERRCODE = '22023',
                  HINT = 'Name a node of pg_dist_node (citus_add_node adds one; citus_set_node_property(..., ''shouldhaveshards'', true) lets it take shards).';
    END IF;
    isolate := NOT p.isolated;
    move := node_name IS NOT NULL AND (node_name, node_port) IS DISTINCT FROM (p.node_name, p.node_port);
    IF NOT (isolate OR move) THEN
        -- (a call that ended before step 4, its session killed, left FORCE lifted: forced again)
        CALL rr_internal.set_forced_row_security(true);
        RAISE NOTICE 'tenant "%" is already on shards of its own on %:%: nothing to do', tenant_id, p.node_name, p.node_port;
        RETURN;
    END IF;
    -- 2. the tenant isolated, 3. its shards moved (where they are after step 2), each in a
    -- transaction of its own
    CALL rr_internal.transfer_shards('rr.move_tenant', ARRAY[
        CASE WHEN isolate THEN
            format('SELECT isolate_tenant_to_new_shard(''rr.tenant''::regclass, %L, cascade_option => ''CASCADE'', shard_transfer_mode => %L::citus.shard_transfer_mode)',
                   tenant_id, shard_transfer_mode) END,
        CASE WHEN node_name IS NOT NULL THEN
            format('SELECT citus_move_shard_placement(p.shard, p.node_name, p.node_port, %L, %s, shard_transfer_mode => %L::citus.shard_transfer_mode)
                      FROM rr_internal.tenant_placement(%L) p WHERE (p.node_name, p.node_port) IS DISTINCT FROM (%L, %s)',
                   node_name, node_port, shard_transfer_mode, tenant_id, node_name, node_port) END]);
END
$$;
COMMENT ON PROCEDURE rr.move_tenant(text, text, integer, text) IS 'superuser, on the coordinator of a Citus cluster, CALLed outside a transaction block: puts a tenant on shards of its own (isolate_tenant_to_new_shard of its group) and, given a node, moves them there (citus_move_shard_placement), by default by logical replication with writes going on; lifts FORCE ROW LEVEL SECURITY on the coordinator''s tables for the move and forces it again everywhere afterwards, failed or not (docs/scale-out.md, "Moving a tenant")';
REVOKE ALL ON PROCEDURE rr.move_tenant(text, text, integer, text) FROM PUBLIC;

-- Draining a worker and spreading the shards again: Citus's rebalancer calls
-- (citus_drain_node, rebalance_table_shards) between steps 1 and 4; all the moves are made
-- while the procedure runs, in the foreground.

CREATE PROCEDURE rr.drain_node(node_name text, node_port integer DEFAULT 5432, shard_transfer_mode text DEFAULT 'auto')
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM rr_internal.check_shard_transfer('rr.drain_node', shard_transfer_mode);
    IF NOT EXISTS (SELECT FROM pg_dist_node n
                    WHERE n.nodename = drain_node.node_name AND n.nodeport = drain_node.node_port
                      AND n.noderole = 'primary' AND n.groupid <> 0) THEN
        RAISE EXCEPTION 'node %:% is not a worker', node_name, node_port
            USING ERRCODE = '22023', HINT = 'Name a worker of pg_dist_node.';
    END IF;
    CALL rr_internal.transfer_shards('rr.drain_node', ARRAY[
             format('SELECT citus_drain_node(%L, %s, shard_transfer_mode => %L::citus.shard_transfer_mode)',
                    node_name, node_port, shard_transfer_mode)]);
END
$$;
COMMENT ON PROCEDURE rr.drain_node(text, integer, text) IS 'superuser, on the coordinator of a Citus cluster, CALLed outside a transaction block: moves every shard off a worker (citus_drain_node, which also stops it taking new ones), by default by logical replication with writes going on; FORCE ROW LEVEL SECURITY lifted on the coordinator''s tables meanwhile and forced again everywhere afterwards, failed or not (docs/scale-out.md, "Moving a tenant")';
REVOKE ALL ON PROCEDURE rr.drain_node(text, integer, text) FROM PUBLIC;

CREATE PROCEDURE rr.rebalance(shard_transfer_mode text DEFAULT 'auto')
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM rr_internal.check_shard_transfer('rr.rebalance', shard_transfer_mode);
    CALL rr_internal.transfer_shards('rr.rebalance', ARRAY[
             format('SELECT rebalance_table_shards(shard_transfer_mode => %L::citus.shard_transfer_mode)', shard_transfer_mode)]);
END
$$;
COMMENT ON PROCEDURE rr.rebalance(text) IS 'superuser, on the coordinator of a Citus cluster, CALLed outside a transaction block: spreads the shard groups evenly over the workers that take shards (rebalance_table_shards), by default by logical replication with writes going on; FORCE ROW LEVEL SECURITY lifted on the coordinator''s tables meanwhile and forced again everywhere afterwards, failed or not (docs/scale-out.md, "Moving a tenant")';
REVOKE ALL ON PROCEDURE rr.rebalance(text) FROM PUBLIC;
