-- Tenancy (docs/concepts.md "Tenancy", docs/security.md).
--
-- Every tenant table has tenant_id leading its primary key and forced row-level
-- security with the policy tenant_id = rr.current_tenant().  The current tenant comes
-- from the setting rr.tenant ('default' when unset) and is honoured only when both the
-- session user and the current user may act for that tenant: listed in
-- rr.tenant_member (directly or through a group role), members of rr_admin, or
-- superusers.  Checking both roles keeps SECURITY DEFINER functions, where the current
-- user is the extension owner, bound to the logged-in session's tenants.

CREATE TABLE rr.tenant (
    tenant_id   text NOT NULL,
    name        text NOT NULL,
    currency    char(3) NOT NULL,
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT tenant_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT tenant_id_check CHECK (tenant_id OPERATOR(pg_catalog.~) '^[a-z0-9][a-z0-9_-]{0,62}$'),
    CONSTRAINT tenant_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT tenant_name_check CHECK (name OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT tenant_time_zone_check CHECK (rr.check_time_zone('time zone', time_zone))
);
COMMENT ON TABLE rr.tenant IS 'companies served by this database; every other tenant table refers to one';
COMMENT ON COLUMN rr.tenant.tenant_id IS 'short identifier: lower-case letters, digits, _ and -, up to 63 characters';
COMMENT ON COLUMN rr.tenant.currency IS 'functional (book) currency of the tenant';
COMMENT ON COLUMN rr.tenant.time_zone IS 'default time zone of the tenant''s customers, for turning usage timestamps into dates';

CREATE TABLE rr.tenant_member (
    tenant_id   text NOT NULL,
    role_name   name NOT NULL,
    CONSTRAINT tenant_member_pkey PRIMARY KEY (tenant_id, role_name),
    CONSTRAINT tenant_member_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id) ON DELETE CASCADE
);
COMMENT ON TABLE rr.tenant_member IS 'which database roles (or group roles) may act for which tenant; rr_admin may act for any tenant';

-- Superusers and members of rr_admin may act for any tenant.
CREATE FUNCTION rr.is_admin(r name)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r), false)
        OR coalesce(pg_catalog.pg_has_role(r, (SELECT oid FROM pg_catalog.pg_roles
                                                WHERE rolname OPERATOR(pg_catalog.=) 'rr_admin'), 'MEMBER'), false);
END;
COMMENT ON FUNCTION rr.is_admin(name) IS 'true if the role is a superuser or a member of rr_admin (false if rr_admin does not exist yet)';
REVOKE ALL ON FUNCTION rr.is_admin(name) FROM PUBLIC;

-- The current tenant, validated.  STABLE: policies call it as (SELECT rr.current_tenant())
-- so that it runs once per statement.
-- The role a session acts as, for audit records: the role set with SET ROLE, else the
-- session user (inside a SECURITY DEFINER function current_user is the owner, so it would
-- not do).
CREATE FUNCTION rr.acting_role()
RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE current_setting('role') WHEN 'none' THEN session_user ELSE current_setting('role')::name END;
COMMENT ON FUNCTION rr.acting_role() IS 'the role the session acts as (SET ROLE), else the session user; recorded by audit logs';
REVOKE ALL ON FUNCTION rr.acting_role() FROM PUBLIC;

CREATE FUNCTION rr.current_tenant()
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := coalesce(nullif(current_setting('rr.tenant', true), ''), 'default');
    r name;
BEGIN
    FOREACH r IN ARRAY ARRAY[session_user, current_user]::name[] LOOP
        CONTINUE WHEN rr.is_admin(r);
        -- role oids from pg_roles, so that a dropped member role is skipped, not an error
        IF NOT EXISTS (SELECT FROM rr.tenant_member m JOIN pg_roles g ON g.rolname = m.role_name
                        WHERE m.tenant_id = t AND pg_has_role(r, g.oid, 'MEMBER')) THEN
            RAISE EXCEPTION 'role "%" may not act for tenant "%"', r, t
                USING ERRCODE = '42501',
                      DETAIL = 'The setting rr.tenant selects the tenant; it is honoured only for roles listed in rr.tenant_member for that tenant and for rr_admin.',
                      HINT = 'Set rr.tenant to one of your tenants, or ask an administrator to run rr.add_tenant_member().';
        END IF;
    END LOOP;
    RETURN t;
END
$$;
COMMENT ON FUNCTION rr.current_tenant() IS 'the tenant this session acts for: the setting rr.tenant (default ''default''), honoured only if the session user and the current user are members of that tenant or of rr_admin; error 42501 otherwise';
REVOKE ALL ON FUNCTION rr.current_tenant() FROM PUBLIC;

ALTER TABLE rr.tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE rr.tenant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rr.tenant
    USING (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))
    WITH CHECK (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()));

-- A role sees its own memberships (needed by rr.current_tenant, which runs as the caller).
ALTER TABLE rr.tenant_member ENABLE ROW LEVEL SECURITY;
ALTER TABLE rr.tenant_member FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_member_own ON rr.tenant_member FOR SELECT
    USING (EXISTS (SELECT FROM pg_catalog.pg_roles g
                    WHERE g.rolname OPERATOR(pg_catalog.=) role_name
                      AND (pg_catalog.pg_has_role(current_user, g.oid, 'MEMBER')
                           OR pg_catalog.pg_has_role(session_user, g.oid, 'MEMBER'))));
CREATE POLICY tenant_member_admin ON rr.tenant_member
    USING (rr.is_admin(current_user))
    WITH CHECK (rr.is_admin(current_user));

SELECT pg_catalog.pg_extension_config_dump('rr.tenant', '');
SELECT pg_catalog.pg_extension_config_dump('rr.tenant_member', '');
REVOKE ALL ON TABLE rr.tenant, rr.tenant_member FROM PUBLIC;

-- Administration: add members.  (rr.create_tenant, which also installs the tenant's
-- default chart of accounts, follows the chart in src/sql/20_catalog/10_catalog.sql.)
CREATE FUNCTION rr.add_tenant_member(tenant_id text, role_name name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = add_tenant_member.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', add_tenant_member.role_name
            USING ERRCODE = '42704';
    END IF;
    INSERT INTO rr.tenant_member (tenant_id, role_name)
    VALUES (add_tenant_member.tenant_id, add_tenant_member.role_name)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION rr.add_tenant_member(text, name) IS 'lets a role (or the members of a group role) act for a tenant (rr_admin)';
REVOKE ALL ON FUNCTION rr.add_tenant_member(text, name) FROM PUBLIC;
