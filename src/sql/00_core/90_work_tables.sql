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
-- Work tables live for the session (ON COMMIT DELETE ROWS: emptied at the end of every
-- transaction), so a session pays for creating them once, not per call; each use starts
-- with a DELETE (cheap on an empty table, unlike a TRUNCATE, which gives it new files).
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
