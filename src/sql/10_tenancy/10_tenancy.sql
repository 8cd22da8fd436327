-- Tenancy (docs/concepts.md "Tenancy", docs/security.md "Tenancy").
--
-- Every tenant table has tenant_id leading its primary key and forced row-level
-- security with the policy tenant_id = rr.current_tenant() (no sub-query, so that Citus
-- can place it on shards).  The current tenant comes from the setting rr.tenant, set per
-- transaction (SET LOCAL); unset, it is refused, never defaulted.  It is honoured only
-- when both the session user and the current user may act for that tenant: members of
-- the tenant's group role rr_tenant_<tenant id> (directly or through another role),
-- members of rr_admin, or superusers.  Checking both roles keeps SECURITY DEFINER
-- functions, where the current user is the extension owner, bound to the logged-in
-- session's tenants.  Membership is read from the role catalog, never from a table, by a
-- C function (src/tenancy.c) cheap enough to run once per row.

CREATE TABLE rr.tenant (
    tenant_id   text NOT NULL,
    name        text NOT NULL,
    currency    char(3) NOT NULL,
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT tenant_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT tenant_id_check CHECK (tenant_id OPERATOR(pg_catalog.~) '^[a-z0-9][a-z0-9_-]{0,52}$'),
    CONSTRAINT tenant_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT tenant_name_check CHECK (name OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT tenant_time_zone_check CHECK (rr.check_time_zone('time zone', time_zone))
);
COMMENT ON TABLE rr.tenant IS 'companies served by this database; every other tenant table refers to one';
COMMENT ON COLUMN rr.tenant.tenant_id IS 'short identifier: lower-case letters, digits, _ and -, up to 53 characters (the tenant''s group role is rr_tenant_<tenant id>)';
COMMENT ON COLUMN rr.tenant.currency IS 'functional (book) currency of the tenant';
COMMENT ON COLUMN rr.tenant.time_zone IS 'default time zone of the tenant''s customers, for turning usage timestamps into dates';

CREATE TABLE rr.tenant_member (
    tenant_id   text NOT NULL,
    role_name   name NOT NULL,
    CONSTRAINT tenant_member_pkey PRIMARY KEY (tenant_id, role_name),
    CONSTRAINT tenant_member_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id) ON DELETE CASCADE
);
COMMENT ON TABLE rr.tenant_member IS 'the roles rr.add_tenant_member made members of a tenant''s group role rr_tenant_<tenant id> (the role catalog is what rr.current_tenant checks); rr_admin may act for any tenant';

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

-- The roles audit records name (src/tenancy.c): the session user, and the role it acts as,
-- set with SET ROLE, else the session user (inside a SECURITY DEFINER function
-- current_user is the owner, so it would not do).  On Citus a workflow delegated to the
-- tenant's worker runs there in a session of the extension's owner: the entry point
-- forwards both roles first (rr_internal.forward_audit_roles below), and these return the
-- forwarded roles in a superuser's session only (docs/scale-out.md).
CREATE FUNCTION rr_internal.session_role()
RETURNS name
AS 'MODULE_PATHNAME', 'rr_session_role'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.session_role() IS 'internal: the session user, or on a Citus worker the one forwarded by the entry point that delegated the workflow (rr.audit_session_role, honoured in a superuser''s session only); the default of every session_role column';
REVOKE ALL ON FUNCTION rr_internal.session_role() FROM PUBLIC;

CREATE FUNCTION rr.acting_role()
RETURNS name
AS 'MODULE_PATHNAME', 'rr_acting_role'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr.acting_role() IS 'the role the session acts as (SET ROLE), else the session user (on a Citus worker, the one forwarded by the entry point that delegated the workflow); recorded by audit logs';
REVOKE ALL ON FUNCTION rr.acting_role() FROM PUBLIC;

CREATE FUNCTION rr.current_tenant()
RETURNS text
AS 'MODULE_PATHNAME', 'rr_current_tenant'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr.current_tenant() IS 'the tenant this transaction acts for: the setting rr.tenant, honoured only if the session user, the role set with SET ROLE and the current user are members of the tenant''s role rr_tenant_<tenant id> or of rr_admin (error 42501 otherwise, and when rr.tenant is not set: there is no default tenant)';
REVOKE ALL ON FUNCTION rr.current_tenant() FROM PUBLIC;

-- Before a workflow is delegated to the tenant's worker (docs/scale-out.md): the session
-- and acting roles set for the rest of the transaction with SET LOCAL, which Citus sends to
-- the workers (citus.propagate_set_commands = 'local'), so that the audit columns written
-- there name the caller, not the owner's session that runs the workflow; returns what was
-- set before, which the caller passes back after the call (restore) to set it again.  On a
-- single node the same roles, set and restored around the call.
CREATE FUNCTION rr_internal.forward_audit_roles(restore text[] DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before text[] := ARRAY[coalesce(current_setting('rr.audit_session_role', true), ''),
                           coalesce(current_setting('rr.audit_acting_role', true), '')];
    now_set text[] := coalesce(restore, ARRAY[rr_internal.session_role()::text, rr.acting_role()::text]);
BEGIN
    IF now_set IS DISTINCT FROM before THEN
        EXECUTE format('SET LOCAL rr.audit_session_role = %L', now_set[1]);
        EXECUTE format('SET LOCAL rr.audit_acting_role = %L', now_set[2]);
    END IF;
    RETURN before;
END
$$;
COMMENT ON FUNCTION rr_internal.forward_audit_roles(text[]) IS 'internal: sets rr.audit_session_role and rr.audit_acting_role for the transaction (SET LOCAL, forwarded by Citus to the workers) to the caller''s session and acting roles, or to restore; returns the values before';
REVOKE ALL ON FUNCTION rr_internal.forward_audit_roles(text[]) FROM PUBLIC;

-- A tenant's own lock for the workflows that must not interleave (a recognition run, closing
-- and reopening a period): its row of rr.tenant, locked FOR NO KEY UPDATE until the end of
-- the transaction (the key checks of the tenant's other rows take KEY SHARE and do not wait
-- for it).  Locking a row needs UPDATE on its table, which no member role has on
-- rr.tenant: none can hold this lock to stop another tenant's runs, as any role could hold
-- an advisory lock by its key (a security review found it: a read-only analyst of one
-- tenant stopped another's recognition for as long as its session stayed connected).
CREATE FUNCTION rr_internal.lock_tenant(tenant_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM rr.tenant k WHERE k.tenant_id = lock_tenant.tenant_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant "%" does not exist', lock_tenant.tenant_id USING ERRCODE = 'P0002';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.lock_tenant(text) IS 'internal: locks the tenant''s row of rr.tenant (FOR NO KEY UPDATE) until the end of the transaction: the lock of the workflows that must not interleave, which member roles cannot take';
REVOKE ALL ON FUNCTION rr_internal.lock_tenant(text) FROM PUBLIC;

ALTER TABLE rr.tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE rr.tenant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rr.tenant
    USING (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())
    WITH CHECK (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant());

-- The members of the current tenant; written only by rr.add_tenant_member and
-- rr.remove_tenant_member, which also grant and revoke the tenant's role.
ALTER TABLE rr.tenant_member ENABLE ROW LEVEL SECURITY;
ALTER TABLE rr.tenant_member FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rr.tenant_member
    USING (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())
    WITH CHECK (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant());

SELECT pg_catalog.pg_extension_config_dump('rr.tenant', '');
SELECT pg_catalog.pg_extension_config_dump('rr.tenant_member', '');
REVOKE ALL ON TABLE rr.tenant, rr.tenant_member FROM PUBLIC;

-- Administration.  A tenant's members are the members of its group role
-- rr_tenant_<tenant id>: roles are what rr.current_tenant can read on any node without a
-- table (Citus propagates roles and memberships to its workers).  Roles are cluster-wide,
-- so the same tenant id in two databases of one cluster has the same members.
-- (rr.create_tenant, which also installs the tenant's default chart of accounts, follows
-- the chart in src/sql/20_catalog/10_catalog.sql.)

-- The group role of a tenant, created if missing: NOLOGIN, no privilege of its own.  An
-- existing role of that name is used only if it is a plain NOLOGIN role that is a member
-- of no other role: granting it (as this definer code does) must never pass on another
-- role's privileges.
CREATE FUNCTION rr_internal.ensure_tenant_role(tenant_id text)
RETURNS name
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name := 'rr_tenant_' || ensure_tenant_role.tenant_id;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
        EXECUTE format('COMMENT ON ROLE %I IS %L', r,
                       'recurring_revenue: members may act for tenant ' || ensure_tenant_role.tenant_id);
    ELSIF EXISTS (SELECT FROM pg_roles g WHERE g.rolname = r
                     AND (g.rolcanlogin OR g.rolsuper OR g.rolbypassrls OR g.rolcreaterole OR g.rolcreatedb
                          OR g.rolreplication
                          OR EXISTS (SELECT FROM pg_auth_members a WHERE a.member = g.oid))) THEN
        RAISE EXCEPTION 'role "%" is not a tenant role', r
            USING ERRCODE = '42710',
                  DETAIL = 'A tenant''s members are the members of a NOLOGIN role of that name with no attribute and no role of its own; this one can log in, has attributes or is a member of another role.',
                  HINT = 'Rename or drop that role, or choose another tenant id.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_tenant_role(text) IS 'internal: the group role rr_tenant_<tenant id> whose members may act for the tenant, created (NOLOGIN, no attribute) if missing';

-- Members are login or group roles, never another tenant's role.  (Adding one of the
-- shared roles rr_app, rr_billing or rr_analyst makes every role granted it a member.)
CREATE FUNCTION rr.add_tenant_member(tenant_id text, role_name name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name;
BEGIN
    IF NOT EXISTS (SELECT FROM rr.tenant t WHERE t.tenant_id = add_tenant_member.tenant_id) THEN
        RAISE EXCEPTION 'tenant "%" does not exist', add_tenant_member.tenant_id
            USING ERRCODE = '23503', HINT = 'Create it with rr.create_tenant() first.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = add_tenant_member.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', add_tenant_member.role_name
            USING ERRCODE = '42704';
    END IF;
    IF add_tenant_member.role_name LIKE 'rr\_tenant\_%' THEN
        RAISE EXCEPTION 'role "%" cannot be a member of a tenant', add_tenant_member.role_name
            USING ERRCODE = '22023',
                  DETAIL = 'It is the group role of a tenant: its members would act for both tenants.',
                  HINT = 'Add the login roles or group roles themselves to each tenant.';
    END IF;
    r := rr_internal.ensure_tenant_role(add_tenant_member.tenant_id);
    INSERT INTO rr.tenant_member (tenant_id, role_name)
    VALUES (add_tenant_member.tenant_id, add_tenant_member.role_name)
    ON CONFLICT DO NOTHING;
    IF NOT pg_has_role(add_tenant_member.role_name, r, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', r, add_tenant_member.role_name);
    END IF;
END
$$;
COMMENT ON FUNCTION rr.add_tenant_member(text, name) IS 'lets a role (or the members of a group role) act for a tenant: grants it the tenant''s role rr_tenant_<tenant id> and records it in rr.tenant_member (rr_admin)';
REVOKE ALL ON FUNCTION rr.add_tenant_member(text, name) FROM PUBLIC;

CREATE FUNCTION rr.remove_tenant_member(tenant_id text, role_name name)
RETURNS boolean
LANGUAGE plpgsql STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name := 'rr_tenant_' || remove_tenant_member.tenant_id;
    removed boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM rr.tenant t WHERE t.tenant_id = remove_tenant_member.tenant_id) THEN
        RAISE EXCEPTION 'tenant "%" does not exist', remove_tenant_member.tenant_id
            USING ERRCODE = '23503', HINT = 'rr.tenant lists the tenants.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = remove_tenant_member.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', remove_tenant_member.role_name
            USING ERRCODE = '42704';
    END IF;
    DELETE FROM rr.tenant_member m
     WHERE m.tenant_id = remove_tenant_member.tenant_id AND m.role_name = remove_tenant_member.role_name;
    removed := FOUND;
    IF EXISTS (SELECT FROM pg_auth_members a
                WHERE a.roleid = (SELECT oid FROM pg_roles WHERE rolname = r)
                  AND a.member = (SELECT oid FROM pg_roles WHERE rolname = remove_tenant_member.role_name)) THEN
        EXECUTE format('REVOKE %I FROM %I', r, remove_tenant_member.role_name);
        removed := true;
    END IF;
    RETURN removed;
END
$$;
COMMENT ON FUNCTION rr.remove_tenant_member(text, name) IS 'stops a role acting for a tenant: revokes the tenant''s role rr_tenant_<tenant id> and removes it from rr.tenant_member; false if it was not a member (rr_admin)';
REVOKE ALL ON FUNCTION rr.remove_tenant_member(text, name) FROM PUBLIC;
