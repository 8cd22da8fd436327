-- The extension lives in schema rr (created by CREATE EXTENSION from the control file);
-- its internal functions live in schema rr_internal, which no role but the installing
-- superuser can use.  Nothing in either is usable by PUBLIC: rr.create_roles() grants
-- the rr_* roles what they may use in rr, and nothing in rr_internal.

-- CREATE EXTENSION reuses a schema rr that already exists.  One made by another role
-- could hold objects (say an overload of one of our functions that the extension's own
-- calls would resolve to, running as the superuser that installs or as the owner of the
-- SECURITY DEFINER entry points), or let that role add them later.  So the schema must
-- belong to the installing role, be empty, and give no other role CREATE on it.
-- install only: an update finds schema rr full of the extension's own objects.
DO $$
DECLARE
    s record;
    n bigint;
BEGIN
    SELECT ns.oid, ns.nspowner::regrole::text AS owner,
           EXISTS (SELECT FROM pg_catalog.aclexplode(ns.nspacl) a
                    WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
                      AND a.grantee OPERATOR(pg_catalog.<>) ns.nspowner) AS others_create
      INTO s
      FROM pg_catalog.pg_namespace ns WHERE ns.nspname OPERATOR(pg_catalog.=) 'rr';
    IF s.owner OPERATOR(pg_catalog.<>) current_user::text THEN
        RAISE EXCEPTION 'schema "rr" already exists and is owned by role "%", not by the installing role "%"', s.owner, current_user
            USING ERRCODE = '42501',
                  DETAIL = 'The extension''s functions would resolve names in a schema another role controls.',
                  HINT = 'Drop schema rr (or review its contents and transfer it with ALTER SCHEMA rr OWNER TO the installing role), then run CREATE EXTENSION again.';
    END IF;
    IF s.others_create THEN
        RAISE EXCEPTION 'schema "rr" already exists and grants CREATE to other roles'
            USING ERRCODE = '42501',
                  DETAIL = 'A role that may create objects in schema rr could plant overloads of the extension''s functions.',
                  HINT = 'Revoke CREATE on schema rr from every role but its owner (or drop the schema), then run CREATE EXTENSION again.';
    END IF;
    SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) s.oid)
         + (SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) s.oid)
         + (SELECT count(*) FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) s.oid)
         + (SELECT count(*) FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) s.oid)
         + (SELECT count(*) FROM pg_catalog.pg_collation c WHERE c.collnamespace OPERATOR(pg_catalog.=) s.oid)
         + (SELECT count(*) FROM pg_catalog.pg_conversion c WHERE c.connamespace OPERATOR(pg_catalog.=) s.oid)
      INTO n;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'schema "rr" already exists and is not empty'
            USING ERRCODE = '42P06',
                  DETAIL = pg_catalog.format('It holds %s objects that are not part of the extension.', n),
                  HINT = 'Install into a new schema: drop schema rr or move its objects elsewhere, then run CREATE EXTENSION again.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_namespace ns WHERE ns.nspname OPERATOR(pg_catalog.=) 'rr_internal') THEN
        RAISE EXCEPTION 'schema "rr_internal" already exists'
            USING ERRCODE = '42P06',
                  DETAIL = 'The extension creates schema rr_internal for its internal functions and cannot share it.',
                  HINT = 'Drop schema rr_internal (after reviewing its contents), then run CREATE EXTENSION again.';
    END IF;
END
$$;

COMMENT ON SCHEMA rr IS 'recurring_revenue: recurring revenue management (billing periods, proration, exact allocation, pricing, revenue recognition)';
REVOKE ALL ON SCHEMA rr FROM PUBLIC;

CREATE SCHEMA rr_internal;
COMMENT ON SCHEMA rr_internal IS 'recurring_revenue: internal functions, reached only by the extension''s own entry points and triggers; no role is granted USAGE';
REVOKE ALL ON SCHEMA rr_internal FROM PUBLIC;
