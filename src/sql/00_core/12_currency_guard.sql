-- Keeps built-in currency rows read-only (created after the seed rows are loaded).

CREATE FUNCTION rr_internal.currency_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'cannot truncate rr.currency'
            USING ERRCODE = '55000',
                  DETAIL = 'The table holds the built-in ISO 4217 currencies.',
                  HINT = 'Delete the currencies you added with DELETE ... WHERE NOT is_builtin.';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.is_builtin THEN
            RAISE EXCEPTION 'cannot add built-in currency "%"', NEW.code
                USING ERRCODE = '55000',
                      HINT = 'Add your own currencies with is_builtin = false.';
        END IF;
        RETURN NEW;
    ELSIF OLD.is_builtin OR (TG_OP = 'UPDATE' AND NEW.is_builtin) THEN
        RAISE EXCEPTION 'cannot % built-in currency "%"', pg_catalog.lower(TG_OP), OLD.code
            USING ERRCODE = '55000',
                  DETAIL = 'Built-in rows follow ISO 4217 and change only with extension upgrades.',
                  HINT = 'Add your own currencies with is_builtin = false.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION rr_internal.currency_guard() IS 'trigger function: refuses changes to the built-in ISO 4217 rows of rr.currency';
REVOKE ALL ON FUNCTION rr_internal.currency_guard() FROM PUBLIC;

CREATE TRIGGER currency_guard
    BEFORE INSERT OR UPDATE OR DELETE ON rr.currency
    FOR EACH ROW EXECUTE FUNCTION rr_internal.currency_guard();
CREATE TRIGGER currency_guard_truncate
    BEFORE TRUNCATE ON rr.currency
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.currency_guard();
