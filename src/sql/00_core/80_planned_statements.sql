-- Statements planned once per session (src/planned.c).  A session that bills or activates
-- one contract per call runs the same large statements again and again with other
-- arguments; PL/pgSQL plans a statement anew for its first five executions (and EXECUTE
-- at every one), and the planning of the largest took longer than running them for one
-- contract.  rr_internal.run_statement runs a statement of the extension's own code with
-- a generic plan made at its first call in the session and kept (a batch, whose sizes
-- differ, runs its statement with EXECUTE instead); the plan cache makes a kept plan again
-- when a table or function it uses, the role or search_path changes.  Only the extension's
-- functions call it (no role may).
CREATE FUNCTION rr_internal.run_statement(statement text, tenant_id text, as_of date, only_contract bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'rr_run_statement'
LANGUAGE C VOLATILE ROWS 100
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION rr_internal.run_statement(text, text, date, bigint) IS 'internal: the rows of a statement of the extension''s code taking tenant_id, as_of and only_contract as $1, $2 and $3 (read with a column definition list), with a generic plan made once per session and kept';
REVOKE ALL ON FUNCTION rr_internal.run_statement(text, text, date, bigint) FROM PUBLIC;
