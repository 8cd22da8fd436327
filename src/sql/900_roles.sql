-- Roles are cluster-wide, so the install script creates none: a superuser (or a role
-- with CREATEROLE) runs rr.create_roles() once per cluster, and again after an
-- extension upgrade so that new functions and tables are granted.
--
-- Grant matrix (each role is NOLOGIN; grant it to login roles):
--   rr_admin    everything in schema rr, and membership of the three roles below
--   rr_billing  runs batches, posts and credits; reads everything
--   rr_app      application API calls and usage; reads everything
--   rr_analyst  read-only: SELECT on tables and views, EXECUTE on pure functions

CREATE FUNCTION rr.create_roles()
RETURNS TABLE (role_name name, created boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name;
BEGIN
    FOREACH r IN ARRAY ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        role_name := r;
        created := NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r);
        IF created THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA rr TO %I', r);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA rr TO %I', r);
        EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA rr TO %I', r);
        RETURN NEXT;
    END LOOP;

    -- only the administrator maintains reference data
    GRANT INSERT, UPDATE, DELETE ON rr.currency TO rr_admin;
    FOREACH r IN ARRAY ARRAY['rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        IF NOT pg_catalog.pg_has_role('rr_admin', r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO rr_admin', r);
        END IF;
    END LOOP;

    -- administration functions stay with superusers; trigger functions need no grant
    REVOKE ALL ON FUNCTION rr.create_roles() FROM rr_admin, rr_billing, rr_app, rr_analyst;
    REVOKE ALL ON FUNCTION rr.currency_guard() FROM rr_admin, rr_billing, rr_app, rr_analyst;
END
$$;

COMMENT ON FUNCTION rr.create_roles() IS 'creates the roles rr_admin, rr_billing, rr_app and rr_analyst if missing and grants them their privileges on schema rr; run as superuser after CREATE EXTENSION and after each upgrade';
REVOKE ALL ON FUNCTION rr.create_roles() FROM PUBLIC;
