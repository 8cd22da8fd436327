-- Currencies: ISO 4217 codes and their minor units (docs/concepts.md, "Currencies").
--
-- Global reference data shared by all tenants, so no tenant_id and no row-level
-- security.  Built-in rows come from the install script and change only with extension
-- upgrades; a trigger keeps them read-only so that pg_dump, which dumps only the rows
-- WHERE NOT is_builtin, always restores exactly what was there.

CREATE TABLE rr.currency (
    code        char(3) NOT NULL,
    minor_units integer NOT NULL,
    name        text NOT NULL,
    is_builtin  boolean NOT NULL DEFAULT false,
    CONSTRAINT currency_pkey PRIMARY KEY (code),
    CONSTRAINT currency_code_check CHECK (code OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
    CONSTRAINT currency_minor_units_check CHECK (minor_units BETWEEN 0 AND 9),
    CONSTRAINT currency_name_check CHECK (name OPERATOR(pg_catalog.<>) '')
);

COMMENT ON TABLE rr.currency IS 'ISO 4217 currencies and their minor units (decimal places); built-in rows are read-only, add your own with is_builtin = false';
COMMENT ON COLUMN rr.currency.code IS 'ISO 4217 alphabetic code, three upper-case letters';
COMMENT ON COLUMN rr.currency.minor_units IS 'number of decimal places of the currency''s minor unit (ISO 4217 exponent): USD 2, JPY 0, KWD 3';
COMMENT ON COLUMN rr.currency.name IS 'currency name as published by ISO 4217';
COMMENT ON COLUMN rr.currency.is_builtin IS 'true for rows shipped with the extension (read-only, not dumped); false for rows added by the installation';

REVOKE ALL ON TABLE rr.currency FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rr.currency', 'WHERE NOT is_builtin');

-- In C (src/currency.c), with the codes a backend has looked up cached: statements that
-- round money call it once per row instead of joining this table, so that on Citus a
-- tenant's billing run can run on the tenant's worker (docs/scale-out.md).  The row
-- trigger below empties every backend's cache when the table changes.
CREATE FUNCTION rr.minor_units(code text)
RETURNS integer
AS 'MODULE_PATHNAME', 'rr_minor_units'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.minor_units(text) IS 'number of decimal places of a currency (ISO 4217 exponent); case-insensitive code; error 22023 for an unknown code';
REVOKE ALL ON FUNCTION rr.minor_units(text) FROM PUBLIC;

-- Every change of the currency list invalidates the cached minor units of every backend
-- (rr.minor_units, src/currency.c): a relcache invalidation of the table, sent with the
-- change (and undone with it: an aborted change empties this backend's cache as well).
CREATE FUNCTION rr_internal.currency_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'rr_currency_changed'
LANGUAGE C;
COMMENT ON FUNCTION rr_internal.currency_changed() IS 'trigger function: after a change of rr.currency, invalidates the minor units that rr.minor_units caches in every backend';
REVOKE ALL ON FUNCTION rr_internal.currency_changed() FROM PUBLIC;
-- (A row trigger: on Citus, where the list is a reference table, the statement triggers of
-- its shards stay disabled, and its rows change rarely, a few at a time.  TRUNCATE is
-- refused by rr_internal.currency_guard.)
CREATE TRIGGER currency_changed
    AFTER INSERT OR UPDATE OR DELETE ON rr.currency
    FOR EACH ROW EXECUTE FUNCTION rr_internal.currency_changed();
