-- Row-level security for every tenant table (docs/concepts.md, "Tenancy"), applied in one place
-- so that no table can be forgotten: each table of schema rr with a tenant_id column and
-- no policy of its own gets forced row-level security with the policy
-- tenant_id = rr.current_tenant(), loses every PUBLIC privilege, and is registered with
-- pg_extension_config_dump (with its identity sequences).  test/pgtap/schema.sql checks
-- the result.

-- The policy itself, in one place: forced row-level security limited to the session's
-- tenant, and no privilege for PUBLIC.  Also applied to the monthly partitions of
-- rr.usage_event, which are created at run time (src/sql/220_usage.sql).
CREATE FUNCTION rr_internal.apply_tenant_policy(t regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s
                        USING (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))
                        WITH CHECK (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))', t);
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', t);
END
$$;
COMMENT ON FUNCTION rr_internal.apply_tenant_policy(regclass) IS 'internal: enables and forces row-level security on a tenant table with the policy tenant_id = rr.current_tenant(), and revokes every PUBLIC privilege';
REVOKE ALL ON FUNCTION rr_internal.apply_tenant_policy(regclass) FROM PUBLIC;

DO $$
DECLARE
    t regclass;
    s regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
           AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attname OPERATOR(pg_catalog.=) 'tenant_id')
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid)
         ORDER BY 1
    LOOP
        PERFORM rr_internal.apply_tenant_policy(t);
        PERFORM pg_catalog.pg_extension_config_dump(t, '');
        FOR s IN SELECT pg_catalog.pg_get_serial_sequence(t::text, a.attname)::regclass
                   FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) t AND a.attidentity OPERATOR(pg_catalog.<>) ''
        LOOP
            PERFORM pg_catalog.pg_extension_config_dump(s, '');
            EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC', s);
        END LOOP;
    END LOOP;
END
$$;
