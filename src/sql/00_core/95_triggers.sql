-- The table a trigger fires on, as the extension names it.  On Citus a trigger fires on a
-- shard, whose name is the table's with "_<shard id>" appended (Citus's shard ids start at
-- 102008), so a trigger function that branches on TG_TABLE_NAME, or names the table in an
-- error, asks this function instead (docs/scale-out.md).  A name that ends in fewer than
-- six digits (a partition such as usage_event_2024_01) is left as it is.
CREATE FUNCTION rr_internal.trigger_table(tg_table_name name)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.regexp_replace(tg_table_name::text, '_[0-9]{6,}$', '');
COMMENT ON FUNCTION rr_internal.trigger_table(name) IS 'internal: the name of the table a trigger fires on, without the shard suffix Citus gives a shard''s name (_ and six or more digits)';
REVOKE ALL ON FUNCTION rr_internal.trigger_table(name) FROM PUBLIC;
