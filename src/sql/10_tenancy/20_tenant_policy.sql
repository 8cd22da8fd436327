-- Row-level security of a tenant table, in one place: forced row-level security limited
-- to the transaction's tenant, and no privilege for PUBLIC.  The policy calls
-- rr.current_tenant() directly, without a sub-query (Citus refuses sub-queries in the
-- policies of distributed tables): the C function answers from a per-backend cache, so a
-- call per row costs little, and the planner still uses it as an index key.  Applied to every tenant table of
-- schema rr at the end of the install script (src/sql/90_roles/10_row_security.sql) and to
-- the monthly partitions of rr.usage_event, which are created at run time
-- (src/sql/60_usage/10_events.sql).
CREATE FUNCTION rr_internal.apply_tenant_policy(t regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s
                        USING (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())
                        WITH CHECK (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())', t);
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', t);
END
$$;
COMMENT ON FUNCTION rr_internal.apply_tenant_policy(regclass) IS 'internal: enables and forces row-level security on a tenant table with the policy tenant_id = rr.current_tenant(), and revokes every PUBLIC privilege';
REVOKE ALL ON FUNCTION rr_internal.apply_tenant_policy(regclass) FROM PUBLIC;
