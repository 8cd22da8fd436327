-- Limits (docs/limits-and-errors.md): the numbers and dates that may enter the books.  Each limit
-- is defined once, here, and used alike by the CHECK constraints of the tables (whatever
-- path a row takes: API function, COPY, direct INSERT) and by the argument checks of the
-- functions, so every path refuses the same values with the same SQLSTATE and message.
--
-- Numbers (amounts, prices, percentages, rates, quantities): finite, and of absolute
-- value below 10^15.  Dates (contract, billing, usage, payment, posting and fiscal
-- period dates): 1900-01-01 to 2199-12-31.

-- The predicate, inlinable (no SET clause; the standard body binds its names at creation).
CREATE FUNCTION rr.is_valid_number(value numeric)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN value IS NULL OR pg_catalog.abs(value) OPERATOR(pg_catalog.<) 1e15;
COMMENT ON FUNCTION rr.is_valid_number(numeric) IS 'true when a number may enter the books: NULL, or finite with absolute value below 10^15 (false for NaN and ±Infinity)';
REVOKE ALL ON FUNCTION rr.is_valid_number(numeric) FROM PUBLIC;

CREATE FUNCTION rr.refuse_number(what text, value numeric)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION '% "%" is not a finite number', what, value
            USING ERRCODE = '22023',
                  DETAIL = 'Amounts, prices, rates and quantities must be finite numbers.';
    END IF;
    RAISE EXCEPTION '% "%" is out of range', what, value
        USING ERRCODE = '22003',
              DETAIL = 'Amounts, prices, rates and quantities must lie strictly between -10^15 and 10^15.';
END
$$;
COMMENT ON FUNCTION rr.refuse_number(text, numeric) IS 'raises the refusal of a number that rr.is_valid_number rejects: 22023 for NaN and ±Infinity, 22003 beyond ±10^15';
REVOKE ALL ON FUNCTION rr.refuse_number(text, numeric) FROM PUBLIC;

-- For CHECK constraints and argument checks: true, or the refusal naming the value.
CREATE FUNCTION rr.check_number(what text, value numeric)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN rr.is_valid_number(value) THEN true ELSE rr.refuse_number(what, value) END;
COMMENT ON FUNCTION rr.check_number(text, numeric) IS 'true for a valid number (see rr.is_valid_number); otherwise raises 22023 (NaN, ±Infinity) or 22003 (out of range) naming what and the value; used by CHECK constraints and argument checks';
REVOKE ALL ON FUNCTION rr.check_number(text, numeric) FROM PUBLIC;

CREATE FUNCTION rr.business_dates()
RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.daterange('1900-01-01', '2200-01-01');
COMMENT ON FUNCTION rr.business_dates() IS 'the dates business records may carry: [1900-01-01,2200-01-01), i.e. 1900-01-01 to 2199-12-31';
REVOKE ALL ON FUNCTION rr.business_dates() FROM PUBLIC;

CREATE FUNCTION rr.is_valid_date(value date)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN value IS NULL OR (value OPERATOR(pg_catalog.>=) '1900-01-01'::date
                         AND value OPERATOR(pg_catalog.<) '2200-01-01'::date);
COMMENT ON FUNCTION rr.is_valid_date(date) IS 'true when a date may enter the books: NULL, or 1900-01-01 to 2199-12-31 (false for ±infinity)';
REVOKE ALL ON FUNCTION rr.is_valid_date(date) FROM PUBLIC;

CREATE FUNCTION rr.refuse_date(what text, value date)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% "%" is out of range', what, value
        USING ERRCODE = '22008',
              DETAIL = 'Business dates must lie between 1900-01-01 and 2199-12-31.';
END
$$;
COMMENT ON FUNCTION rr.refuse_date(text, date) IS 'raises the refusal (22008) of a date that rr.is_valid_date rejects';
REVOKE ALL ON FUNCTION rr.refuse_date(text, date) FROM PUBLIC;

CREATE FUNCTION rr.check_date(what text, value date)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN rr.is_valid_date(value) THEN true ELSE rr.refuse_date(what, value) END;
COMMENT ON FUNCTION rr.check_date(text, date) IS 'true for a valid business date (see rr.is_valid_date); otherwise raises 22008 naming what and the date; used by CHECK constraints and argument checks';
REVOKE ALL ON FUNCTION rr.check_date(text, date) FROM PUBLIC;

-- Time zones: a name from pg_timezone_names (not an abbreviation or a POSIX offset spec).
-- pg_timezone_names reads every zone file (about 0.1 s a call), too slow for a CHECK on
-- every customer row; so the common case takes a fast path: UTC, or an Area/Location
-- name without digits that PostgreSQL resolves (abbreviations have no slash, and POSIX
-- specifications have digits), which can only be a zone file.  Anything else (EST5EDT,
-- Etc/GMT+3, Japan, abbreviations, POSIX specifications) is looked up in the list.
CREATE FUNCTION rr.check_time_zone(what text, value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    known boolean := false;
BEGIN
    IF value IS NULL OR value IN ('UTC', 'Etc/UTC') THEN
        RETURN true;
    END IF;
    IF value ~ '^[A-Za-z_-]+(/[A-Za-z_-]+)+$' THEN
        BEGIN
            PERFORM timezone(value, '2000-01-01 00:00+00'::timestamptz);
            known := true;
        EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
            known := false;
        END;
    END IF;
    IF NOT known AND NOT EXISTS (SELECT FROM pg_timezone_names z WHERE z.name = value) THEN
        RAISE EXCEPTION 'unknown % "%"', what, value
            USING ERRCODE = '22023', HINT = 'Use a name from pg_timezone_names, such as UTC or Europe/Paris.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr.check_time_zone(text, text) IS 'true for NULL or a time zone name listed in pg_timezone_names; otherwise raises 22023 naming what and the value';
REVOKE ALL ON FUNCTION rr.check_time_zone(text, text) FROM PUBLIC;
