-- Row-level security for every tenant table (docs/concepts.md, "Tenancy"), applied in one place
-- so that no table can be forgotten: each table of schema rr with a tenant_id column and
-- no policy of its own gets forced row-level security with the policy
-- tenant_id = rr.current_tenant(), loses every PUBLIC privilege, and is registered with
-- pg_extension_config_dump (with its identity sequences).  test/pgtap/schema.sql checks
-- the result.  The policy itself is rr_internal.apply_tenant_policy
-- (src/sql/10_tenancy/20_tenant_policy.sql), which usage also applies to the partitions it
-- creates at run time.

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
