-- recurring_revenue 0.1.0: generated from src/sql/*.sql by the Makefile; do not edit.
\echo Use "CREATE EXTENSION recurring_revenue" to load this file. \quit

-- ---- src/sql/000_schema.sql
-- The extension lives in schema rr (created by CREATE EXTENSION from the control file);
-- its internal functions live in schema rr_internal, which no role but the installing
-- superuser can use.  Nothing in either is usable by PUBLIC: rr.create_roles() grants
-- the rr_* roles what they may use in rr, and nothing in rr_internal.

-- CREATE EXTENSION reuses a schema rr that already exists.  One made by another role
-- could hold objects (say an overload of one of our functions that the extension's own
-- calls would resolve to, running as the superuser that installs or as the owner of the
-- SECURITY DEFINER entry points), or let that role add them later.  So the schema must
-- belong to the installing role, be empty, and give no other role CREATE on it.
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

-- ---- src/sql/005_limits.sql
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

-- ---- src/sql/010_currency.sql
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

CREATE FUNCTION rr.minor_units(code text)
RETURNS integer
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result integer;
BEGIN
    SELECT c.minor_units INTO result
      FROM rr.currency AS c
     WHERE c.code OPERATOR(pg_catalog.=) pg_catalog.upper(minor_units.code)::char(3)
       AND pg_catalog.length(minor_units.code) OPERATOR(pg_catalog.=) 3;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown currency code "%"', minor_units.code
            USING ERRCODE = '22023',
                  HINT = 'Use an ISO 4217 code listed in rr.currency, such as USD, EUR or JPY.';
    END IF;
    RETURN result;
END
$$;

COMMENT ON FUNCTION rr.minor_units(text) IS 'number of decimal places of a currency (ISO 4217 exponent); case-insensitive code; error 22023 for an unknown code';
REVOKE ALL ON FUNCTION rr.minor_units(text) FROM PUBLIC;

-- ---- src/sql/011_currency_seed.sql
-- ISO 4217 active currencies with their minor units (exponent).
-- Generated by scripts/gen-currency-seed.js from ISO 4217 List One published 2024-06-25
-- (the XML file shipped unchanged in the npm package currency-codes); do not edit by hand.
-- 166 currencies; left out because ISO gives them no minor unit: XAG, XAU, XBA, XBB, XBC, XBD, XDR, XPD, XPT, XSU, XTS, XUA, XXX.

INSERT INTO rr.currency (code, minor_units, name, is_builtin) VALUES
    ('AED', 2, 'UAE Dirham', true),
    ('AFN', 2, 'Afghani', true),
    ('ALL', 2, 'Lek', true),
    ('AMD', 2, 'Armenian Dram', true),
    ('ANG', 2, 'Netherlands Antillean Guilder', true),
    ('AOA', 2, 'Kwanza', true),
    ('ARS', 2, 'Argentine Peso', true),
    ('AUD', 2, 'Australian Dollar', true),
    ('AWG', 2, 'Aruban Florin', true),
    ('AZN', 2, 'Azerbaijan Manat', true),
    ('BAM', 2, 'Convertible Mark', true),
    ('BBD', 2, 'Barbados Dollar', true),
    ('BDT', 2, 'Taka', true),
    ('BGN', 2, 'Bulgarian Lev', true),
    ('BHD', 3, 'Bahraini Dinar', true),
    ('BIF', 0, 'Burundi Franc', true),
    ('BMD', 2, 'Bermudian Dollar', true),
    ('BND', 2, 'Brunei Dollar', true),
    ('BOB', 2, 'Boliviano', true),
    ('BOV', 2, 'Mvdol', true),
    ('BRL', 2, 'Brazilian Real', true),
    ('BSD', 2, 'Bahamian Dollar', true),
    ('BTN', 2, 'Ngultrum', true),
    ('BWP', 2, 'Pula', true),
    ('BYN', 2, 'Belarusian Ruble', true),
    ('BZD', 2, 'Belize Dollar', true),
    ('CAD', 2, 'Canadian Dollar', true),
    ('CDF', 2, 'Congolese Franc', true),
    ('CHE', 2, 'WIR Euro', true),
    ('CHF', 2, 'Swiss Franc', true),
    ('CHW', 2, 'WIR Franc', true),
    ('CLF', 4, 'Unidad de Fomento', true),
    ('CLP', 0, 'Chilean Peso', true),
    ('CNY', 2, 'Yuan Renminbi', true),
    ('COP', 2, 'Colombian Peso', true),
    ('COU', 2, 'Unidad de Valor Real', true),
    ('CRC', 2, 'Costa Rican Colon', true),
    ('CUC', 2, 'Peso Convertible', true),
    ('CUP', 2, 'Cuban Peso', true),
    ('CVE', 2, 'Cabo Verde Escudo', true),
    ('CZK', 2, 'Czech Koruna', true),
    ('DJF', 0, 'Djibouti Franc', true),
    ('DKK', 2, 'Danish Krone', true),
    ('DOP', 2, 'Dominican Peso', true),
    ('DZD', 2, 'Algerian Dinar', true),
    ('EGP', 2, 'Egyptian Pound', true),
    ('ERN', 2, 'Nakfa', true),
    ('ETB', 2, 'Ethiopian Birr', true),
    ('EUR', 2, 'Euro', true),
    ('FJD', 2, 'Fiji Dollar', true),
    ('FKP', 2, 'Falkland Islands Pound', true),
    ('GBP', 2, 'Pound Sterling', true),
    ('GEL', 2, 'Lari', true),
    ('GHS', 2, 'Ghana Cedi', true),
    ('GIP', 2, 'Gibraltar Pound', true),
    ('GMD', 2, 'Dalasi', true),
    ('GNF', 0, 'Guinean Franc', true),
    ('GTQ', 2, 'Quetzal', true),
    ('GYD', 2, 'Guyana Dollar', true),
    ('HKD', 2, 'Hong Kong Dollar', true),
    ('HNL', 2, 'Lempira', true),
    ('HTG', 2, 'Gourde', true),
    ('HUF', 2, 'Forint', true),
    ('IDR', 2, 'Rupiah', true),
    ('ILS', 2, 'New Israeli Sheqel', true),
    ('INR', 2, 'Indian Rupee', true),
    ('IQD', 3, 'Iraqi Dinar', true),
    ('IRR', 2, 'Iranian Rial', true),
    ('ISK', 0, 'Iceland Krona', true),
    ('JMD', 2, 'Jamaican Dollar', true),
    ('JOD', 3, 'Jordanian Dinar', true),
    ('JPY', 0, 'Yen', true),
    ('KES', 2, 'Kenyan Shilling', true),
    ('KGS', 2, 'Som', true),
    ('KHR', 2, 'Riel', true),
    ('KMF', 0, 'Comorian Franc', true),
    ('KPW', 2, 'North Korean Won', true),
    ('KRW', 0, 'Won', true),
    ('KWD', 3, 'Kuwaiti Dinar', true),
    ('KYD', 2, 'Cayman Islands Dollar', true),
    ('KZT', 2, 'Tenge', true),
    ('LAK', 2, 'Lao Kip', true),
    ('LBP', 2, 'Lebanese Pound', true),
    ('LKR', 2, 'Sri Lanka Rupee', true),
    ('LRD', 2, 'Liberian Dollar', true),
    ('LSL', 2, 'Loti', true),
    ('LYD', 3, 'Libyan Dinar', true),
    ('MAD', 2, 'Moroccan Dirham', true),
    ('MDL', 2, 'Moldovan Leu', true),
    ('MGA', 2, 'Malagasy Ariary', true),
    ('MKD', 2, 'Denar', true),
    ('MMK', 2, 'Kyat', true),
    ('MNT', 2, 'Tugrik', true),
    ('MOP', 2, 'Pataca', true),
    ('MRU', 2, 'Ouguiya', true),
    ('MUR', 2, 'Mauritius Rupee', true),
    ('MVR', 2, 'Rufiyaa', true),
    ('MWK', 2, 'Malawi Kwacha', true),
    ('MXN', 2, 'Mexican Peso', true),
    ('MXV', 2, 'Mexican Unidad de Inversion (UDI)', true),
    ('MYR', 2, 'Malaysian Ringgit', true),
    ('MZN', 2, 'Mozambique Metical', true),
    ('NAD', 2, 'Namibia Dollar', true),
    ('NGN', 2, 'Naira', true),
    ('NIO', 2, 'Cordoba Oro', true),
    ('NOK', 2, 'Norwegian Krone', true),
    ('NPR', 2, 'Nepalese Rupee', true),
    ('NZD', 2, 'New Zealand Dollar', true),
    ('OMR', 3, 'Rial Omani', true),
    ('PAB', 2, 'Balboa', true),
    ('PEN', 2, 'Sol', true),
    ('PGK', 2, 'Kina', true),
    ('PHP', 2, 'Philippine Peso', true),
    ('PKR', 2, 'Pakistan Rupee', true),
    ('PLN', 2, 'Zloty', true),
    ('PYG', 0, 'Guarani', true),
    ('QAR', 2, 'Qatari Rial', true),
    ('RON', 2, 'Romanian Leu', true),
    ('RSD', 2, 'Serbian Dinar', true),
    ('RUB', 2, 'Russian Ruble', true),
    ('RWF', 0, 'Rwanda Franc', true),
    ('SAR', 2, 'Saudi Riyal', true),
    ('SBD', 2, 'Solomon Islands Dollar', true),
    ('SCR', 2, 'Seychelles Rupee', true),
    ('SDG', 2, 'Sudanese Pound', true),
    ('SEK', 2, 'Swedish Krona', true),
    ('SGD', 2, 'Singapore Dollar', true),
    ('SHP', 2, 'Saint Helena Pound', true),
    ('SLE', 2, 'Leone', true),
    ('SOS', 2, 'Somali Shilling', true),
    ('SRD', 2, 'Surinam Dollar', true),
    ('SSP', 2, 'South Sudanese Pound', true),
    ('STN', 2, 'Dobra', true),
    ('SVC', 2, 'El Salvador Colon', true),
    ('SYP', 2, 'Syrian Pound', true),
    ('SZL', 2, 'Lilangeni', true),
    ('THB', 2, 'Baht', true),
    ('TJS', 2, 'Somoni', true),
    ('TMT', 2, 'Turkmenistan New Manat', true),
    ('TND', 3, 'Tunisian Dinar', true),
    ('TOP', 2, 'Pa’anga', true),
    ('TRY', 2, 'Turkish Lira', true),
    ('TTD', 2, 'Trinidad and Tobago Dollar', true),
    ('TWD', 2, 'New Taiwan Dollar', true),
    ('TZS', 2, 'Tanzanian Shilling', true),
    ('UAH', 2, 'Hryvnia', true),
    ('UGX', 0, 'Uganda Shilling', true),
    ('USD', 2, 'US Dollar', true),
    ('USN', 2, 'US Dollar (Next day)', true),
    ('UYI', 0, 'Uruguay Peso en Unidades Indexadas (UI)', true),
    ('UYU', 2, 'Peso Uruguayo', true),
    ('UYW', 4, 'Unidad Previsional', true),
    ('UZS', 2, 'Uzbekistan Sum', true),
    ('VED', 2, 'Bolívar Soberano', true),
    ('VES', 2, 'Bolívar Soberano', true),
    ('VND', 0, 'Dong', true),
    ('VUV', 0, 'Vatu', true),
    ('WST', 2, 'Tala', true),
    ('XAF', 0, 'CFA Franc BEAC', true),
    ('XCD', 2, 'East Caribbean Dollar', true),
    ('XOF', 0, 'CFA Franc BCEAO', true),
    ('XPF', 0, 'CFP Franc', true),
    ('YER', 2, 'Yemeni Rial', true),
    ('ZAR', 2, 'Rand', true),
    ('ZMW', 2, 'Zambian Kwacha', true),
    ('ZWG', 2, 'Zimbabwe Gold', true);

-- ---- src/sql/012_currency_guard.sql
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

-- ---- src/sql/020_calendar.sql
-- Calendar core in C (docs/concepts.md, "Calendar and money"): billing periods and proration.

CREATE FUNCTION rr.billing_periods(start date, stop date, every interval, anchor date DEFAULT NULL)
RETURNS SETOF pg_catalog.daterange
AS 'MODULE_PATHNAME', 'rr_billing_periods'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 12;

COMMENT ON FUNCTION rr.billing_periods(date, date, interval, date) IS 'periods [b_k, b_k+1) ∩ [start, stop) with b_k = anchor + k * every (month ends clamped); anchor NULL means start (anniversary billing), an anchor such as 2000-01-01 gives calendar billing with stubs';
REVOKE ALL ON FUNCTION rr.billing_periods(date, date, interval, date) FROM PUBLIC;

CREATE FUNCTION rr.period_containing(d date, every interval, anchor date)
RETURNS pg_catalog.daterange
AS 'MODULE_PATHNAME', 'rr_period_containing'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.period_containing(date, interval, date) IS 'the whole period [b_k, b_k+1) of the anchor-based calendar that contains d';
REVOKE ALL ON FUNCTION rr.period_containing(date, interval, date) FROM PUBLIC;

CREATE FUNCTION rr.prorate(part daterange, whole daterange, method text DEFAULT 'actual')
RETURNS numeric
AS 'MODULE_PATHNAME', 'rr_prorate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.prorate(daterange, daterange, text) IS 'fraction of whole covered by part ∩ whole, in [0, 1]; method ''actual'' (days) or ''30/360'' (30E/360); not for money, use rr.prorate_amount';
REVOKE ALL ON FUNCTION rr.prorate(daterange, daterange, text) FROM PUBLIC;

CREATE FUNCTION rr.prorate_amount(amount numeric, part daterange, whole daterange,
                                  method text DEFAULT 'actual', minor_units integer DEFAULT 2)
RETURNS numeric
AS 'MODULE_PATHNAME', 'rr_prorate_amount'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.prorate_amount(numeric, daterange, daterange, text, integer) IS 'round(amount × n / d, minor_units) with the integer day counts of the method, rounded exactly once, half away from zero';
REVOKE ALL ON FUNCTION rr.prorate_amount(numeric, daterange, daterange, text, integer) FROM PUBLIC;

-- ---- src/sql/030_allocate.sql
-- Exact money (docs/concepts.md, "Calendar and money"): largest-remainder allocation and revenue spreading in C.

CREATE FUNCTION rr.allocate(total numeric, weights numeric[], minor_units integer DEFAULT 2)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'rr_allocate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.allocate(numeric, numeric[], integer) IS 'splits total into parts proportional to weights, each a whole number of minor units, summing exactly to total, each within one minor unit of its exact share (largest remainder, ties to the lower index, negative totals mirrored)';
REVOKE ALL ON FUNCTION rr.allocate(numeric, numeric[], integer) FROM PUBLIC;

CREATE FUNCTION rr.spread(total numeric, service daterange, method text DEFAULT 'daily',
                          grain interval DEFAULT '1 month', anchor date DEFAULT '2000-01-01',
                          minor_units integer DEFAULT 2)
RETURNS TABLE (period pg_catalog.daterange, amount numeric)
AS 'MODULE_PATHNAME', 'rr_spread'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 13;

COMMENT ON FUNCTION rr.spread(numeric, daterange, text, interval, date, integer) IS 'revenue schedule: total spread over the accounting periods (rr.billing_periods of grain and anchor) the service touches, clipped to the service; method daily, equal or equal_prorate; rows sum exactly to total';
REVOKE ALL ON FUNCTION rr.spread(numeric, daterange, text, interval, date, integer) FROM PUBLIC;

CREATE FUNCTION rr.spread_periods(total numeric, service daterange, periods daterange[],
                                  method text DEFAULT 'daily', minor_units integer DEFAULT 2)
RETURNS TABLE (period pg_catalog.daterange, amount numeric)
AS 'MODULE_PATHNAME', 'rr_spread_periods'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 13;

COMMENT ON FUNCTION rr.spread_periods(numeric, daterange, daterange[], text, integer) IS 'revenue schedule over a custom fiscal calendar (4-4-5, 13 periods): periods ascending, contiguous and covering the service; rows sum exactly to total';
REVOKE ALL ON FUNCTION rr.spread_periods(numeric, daterange, daterange[], text, integer) FROM PUBLIC;

CREATE FUNCTION rr.allocate(total numeric, weights numeric[], currency text)
RETURNS numeric[]
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN rr.allocate(total, weights, rr.minor_units(currency));

COMMENT ON FUNCTION rr.allocate(numeric, numeric[], text) IS 'rr.allocate with the minor units of an ISO 4217 currency code, such as rr.allocate(100, ''{1,1,1}'', ''JPY'')';
REVOKE ALL ON FUNCTION rr.allocate(numeric, numeric[], text) FROM PUBLIC;

CREATE FUNCTION rr.round_preserving_sum(amounts numeric[], minor_units integer DEFAULT 2)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'rr_round_preserving_sum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.round_preserving_sum(numeric[], integer) IS 'rounds each amount down or up to a whole minor unit so that the results sum exactly to round(sum(amounts), minor_units); the units go to the largest fractional parts, ties to the lower index';
REVOKE ALL ON FUNCTION rr.round_preserving_sum(numeric[], integer) FROM PUBLIC;

-- ---- src/sql/040_pricing.sql
-- The rr.pricing type and rating (docs/pricing.md): a base type holding one price model
-- (flat, per_unit, package, graduated, volume, stairstep, percentage), its jsonb
-- casts, rr.price and rr.price_tiers.  Text and jsonb forms: docs/pricing.md.

CREATE TYPE rr.pricing;

CREATE FUNCTION rr.pricing_in(cstring) RETURNS rr.pricing
AS 'MODULE_PATHNAME', 'pricing_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_in(cstring) IS 'rr.pricing text input: parses and validates the text form, such as graduated(100: 1.00, *: 0.50)';
REVOKE ALL ON FUNCTION rr.pricing_in(cstring) FROM PUBLIC;

CREATE FUNCTION rr.pricing_out(rr.pricing) RETURNS cstring
AS 'MODULE_PATHNAME', 'pricing_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_out(rr.pricing) IS 'rr.pricing text output: the canonical text form';
REVOKE ALL ON FUNCTION rr.pricing_out(rr.pricing) FROM PUBLIC;

CREATE FUNCTION rr.pricing_recv(internal) RETURNS rr.pricing
AS 'MODULE_PATHNAME', 'pricing_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_recv(internal) IS 'rr.pricing binary input: a format version byte (1) then the text form, validated like text input';
REVOKE ALL ON FUNCTION rr.pricing_recv(internal) FROM PUBLIC;

CREATE FUNCTION rr.pricing_send(rr.pricing) RETURNS bytea
AS 'MODULE_PATHNAME', 'pricing_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_send(rr.pricing) IS 'rr.pricing binary output: a format version byte (1) then the canonical text form';
REVOKE ALL ON FUNCTION rr.pricing_send(rr.pricing) FROM PUBLIC;

CREATE TYPE rr.pricing (
    INPUT = rr.pricing_in,
    OUTPUT = rr.pricing_out,
    RECEIVE = rr.pricing_recv,
    SEND = rr.pricing_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);

COMMENT ON TYPE rr.pricing IS 'a price model: flat, per_unit, package, graduated, volume, stairstep or percentage; rate a quantity with rr.price';

-- Equality: same model, same values written at the same scale (the canonical text
-- forms are equal).  Hashable, so GROUP BY and DISTINCT work on pricings.
CREATE FUNCTION rr.pricing_eq(rr.pricing, rr.pricing) RETURNS boolean
AS 'MODULE_PATHNAME', 'pricing_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION rr.pricing_eq(rr.pricing, rr.pricing) IS 'true when both pricings have the same canonical text form (same model, values and scales)';
REVOKE ALL ON FUNCTION rr.pricing_eq(rr.pricing, rr.pricing) FROM PUBLIC;

CREATE FUNCTION rr.pricing_ne(rr.pricing, rr.pricing) RETURNS boolean
AS 'MODULE_PATHNAME', 'pricing_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION rr.pricing_ne(rr.pricing, rr.pricing) IS 'true when the pricings differ in model, a value or a scale';
REVOKE ALL ON FUNCTION rr.pricing_ne(rr.pricing, rr.pricing) FROM PUBLIC;

CREATE FUNCTION rr.pricing_hash(rr.pricing) RETURNS integer
AS 'MODULE_PATHNAME', 'pricing_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_hash(rr.pricing) IS 'hash of the canonical form, consistent with =; support function of rr.pricing_hash_ops';
REVOKE ALL ON FUNCTION rr.pricing_hash(rr.pricing) FROM PUBLIC;

CREATE OPERATOR rr.= (
    LEFTARG = rr.pricing,
    RIGHTARG = rr.pricing,
    FUNCTION = rr.pricing_eq,
    COMMUTATOR = OPERATOR(rr.=),
    NEGATOR = OPERATOR(rr.<>),
    RESTRICT = eqsel,
    JOIN = eqjoinsel,
    HASHES
);

COMMENT ON OPERATOR rr.= (rr.pricing, rr.pricing) IS 'equal: same model, values and scales';

CREATE OPERATOR rr.<> (
    LEFTARG = rr.pricing,
    RIGHTARG = rr.pricing,
    FUNCTION = rr.pricing_ne,
    COMMUTATOR = OPERATOR(rr.<>),
    NEGATOR = OPERATOR(rr.=),
    RESTRICT = neqsel,
    JOIN = neqjoinsel
);

COMMENT ON OPERATOR rr.<> (rr.pricing, rr.pricing) IS 'not equal';

CREATE OPERATOR CLASS rr.pricing_hash_ops
DEFAULT FOR TYPE rr.pricing USING hash AS
    OPERATOR 1 rr.= (rr.pricing, rr.pricing),
    FUNCTION 1 rr.pricing_hash(rr.pricing);

COMMENT ON OPERATOR CLASS rr.pricing_hash_ops USING hash IS 'hash equality of pricings, for GROUP BY, DISTINCT and hash joins';

-- jsonb casts (explicit): the fixed jsonb form of docs/pricing.md.
CREATE FUNCTION rr.pricing_to_jsonb(rr.pricing) RETURNS jsonb
AS 'MODULE_PATHNAME', 'pricing_to_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_to_jsonb(rr.pricing) IS 'the jsonb form of a pricing: prices, fees, rates and bounds as strings keeping their scale, up_to and package_size as numbers';
REVOKE ALL ON FUNCTION rr.pricing_to_jsonb(rr.pricing) FROM PUBLIC;

CREATE FUNCTION rr.pricing_from_jsonb(jsonb) RETURNS rr.pricing
AS 'MODULE_PATHNAME', 'pricing_from_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_from_jsonb(jsonb) IS 'a pricing from its jsonb form; numbers may be JSON strings or numbers; unknown or missing keys are refused (22P02)';
REVOKE ALL ON FUNCTION rr.pricing_from_jsonb(jsonb) FROM PUBLIC;

CREATE CAST (rr.pricing AS jsonb) WITH FUNCTION rr.pricing_to_jsonb(rr.pricing);
COMMENT ON CAST (rr.pricing AS jsonb) IS 'explicit: the jsonb form of a pricing';
CREATE CAST (jsonb AS rr.pricing) WITH FUNCTION rr.pricing_from_jsonb(jsonb);
COMMENT ON CAST (jsonb AS rr.pricing) IS 'explicit: a pricing from its jsonb form, validated';

-- Rating.
CREATE FUNCTION rr.price(pricing rr.pricing, quantity numeric) RETURNS numeric
AS 'MODULE_PATHNAME', 'rr_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.price(rr.pricing, numeric) IS 'the exact, unrounded price of quantity (zero or more, fractions allowed) under the model; round once on the invoice line';
REVOKE ALL ON FUNCTION rr.price(rr.pricing, numeric) FROM PUBLIC;

CREATE FUNCTION rr.price_reference(pricing rr.pricing, quantity numeric) RETURNS numeric
AS 'MODULE_PATHNAME', 'rr_price_reference'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.price_reference(rr.pricing, numeric) IS 'rr.price computed with numeric arithmetic only (no fixed-point fast path); same result, for audits and tests';
REVOKE ALL ON FUNCTION rr.price_reference(rr.pricing, numeric) FROM PUBLIC;

CREATE FUNCTION rr.price_tiers(pricing rr.pricing, quantity numeric)
RETURNS TABLE (tier integer, units numeric, unit_price numeric, flat_fee numeric, amount numeric)
AS 'MODULE_PATHNAME', 'rr_price_tiers'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;

COMMENT ON FUNCTION rr.price_tiers(rr.pricing, numeric) IS 'the price of quantity line by line (invoice detail); the amounts sum exactly to rr.price';
REVOKE ALL ON FUNCTION rr.price_tiers(rr.pricing, numeric) FROM PUBLIC;

CREATE FUNCTION rr.unit_price(pricing rr.pricing, quantity numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN quantity OPERATOR(pg_catalog.=) 0 THEN NULL
                ELSE rr.price(pricing, quantity) OPERATOR(pg_catalog./) quantity END
$$;

COMMENT ON FUNCTION rr.unit_price(rr.pricing, numeric) IS 'effective price per unit, rr.price / quantity (numeric division, at least 16 significant digits); NULL for quantity 0';
REVOKE ALL ON FUNCTION rr.unit_price(rr.pricing, numeric) FROM PUBLIC;

CREATE FUNCTION rr.pricing_model(pricing rr.pricing) RETURNS text
AS 'MODULE_PATHNAME', 'pricing_model'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_model(rr.pricing) IS 'the model name: flat, per_unit, package, graduated, volume, stairstep or percentage';
REVOKE ALL ON FUNCTION rr.pricing_model(rr.pricing) FROM PUBLIC;

CREATE FUNCTION rr.pricing_check_minor_units(pricing rr.pricing, minor_units integer,
                                             include_unit_prices boolean DEFAULT false)
RETURNS boolean
AS 'MODULE_PATHNAME', 'rr_pricing_check_minor_units'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION rr.pricing_check_minor_units(rr.pricing, integer, boolean) IS 'true when every money amount the model states (flat amount, package price, fees, min, max) is a whole number of minor units; also unit prices when include_unit_prices';
REVOKE ALL ON FUNCTION rr.pricing_check_minor_units(rr.pricing, integer, boolean) FROM PUBLIC;

-- ---- src/sql/090_work_tables.sql
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

-- ---- src/sql/100_tenancy.sql
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

-- Administration: create a tenant (with its default chart of accounts) and add members.
-- SECURITY INVOKER: the caller needs rr_admin's privileges on the tables.
CREATE FUNCTION rr.create_tenant(tenant_id text, name text, currency text, time_zone text DEFAULT 'UTC')
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF create_tenant.tenant_id !~ '^[a-z0-9][a-z0-9_-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid tenant id "%"', create_tenant.tenant_id
            USING ERRCODE = '22023',
                  HINT = 'Use up to 63 lower-case letters, digits, _ and -, starting with a letter or digit.';
    END IF;
    PERFORM rr.minor_units(currency);
    PERFORM rr.check_time_zone('time zone', create_tenant.time_zone);
    -- the policy checks the new row against the current tenant, so act as that tenant
    PERFORM set_config('rr.tenant', create_tenant.tenant_id, true);
    INSERT INTO rr.tenant (tenant_id, name, currency, time_zone)
    VALUES (create_tenant.tenant_id, create_tenant.name, upper(create_tenant.currency), create_tenant.time_zone);
    PERFORM rr.install_default_chart(create_tenant.tenant_id);
    RETURN create_tenant.tenant_id;
END
$$;
COMMENT ON FUNCTION rr.create_tenant(text, text, text, text) IS 'creates a tenant with its functional currency and time zone and installs the default chart of accounts (rr_admin); sets rr.tenant to it for the rest of the transaction';
REVOKE ALL ON FUNCTION rr.create_tenant(text, text, text, text) FROM PUBLIC;

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

-- ---- src/sql/110_catalog.sql
-- Catalog (docs/catalog-and-contracts.md): chart of accounts, tax codes, deferral codes, items and
-- their list prices.  Every table: tenant_id-leading primary key, forced row-level
-- security, pg_extension_config_dump; references between tenant tables include
-- tenant_id, so no row can point at another tenant's row.

CREATE TABLE rr.account (
    tenant_id   text NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    is_active   boolean NOT NULL DEFAULT true,
    CONSTRAINT account_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT account_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT account_kind_check CHECK (kind IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    CONSTRAINT account_code_check CHECK (code OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE rr.account IS 'chart of accounts per tenant (rr.install_default_chart installs a default one)';
COMMENT ON COLUMN rr.account.kind IS 'asset, liability, equity, revenue or expense';

CREATE TABLE rr.tax_code (
    tenant_id    text NOT NULL,
    code         text NOT NULL,
    name         text NOT NULL,
    rate         numeric NOT NULL,
    is_inclusive boolean NOT NULL DEFAULT false,
    account      text NOT NULL,
    CONSTRAINT tax_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT tax_code_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT tax_code_rate_check CHECK (rate >= 0 AND rate < 1)
);
COMMENT ON TABLE rr.tax_code IS 'tax codes: rate (0.2 = 20 %), inclusive (prices include the tax) or exclusive, and the tax payable account';

CREATE TABLE rr.deferral_code (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    name             text NOT NULL,
    method           text NOT NULL,
    grain            interval NOT NULL DEFAULT '1 month',
    deferred_account text NOT NULL,
    revenue_account  text NOT NULL,
    CONSTRAINT deferral_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT deferral_code_method_check CHECK (method IN ('immediate', 'on_date', 'equal', 'equal_prorate', 'daily',
                                                            'percent_complete', 'on_usage', 'on_payment')),
    CONSTRAINT deferral_code_deferred_fkey FOREIGN KEY (tenant_id, deferred_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT deferral_code_revenue_fkey FOREIGN KEY (tenant_id, revenue_account) REFERENCES rr.account (tenant_id, code)
);
COMMENT ON TABLE rr.deferral_code IS 'revenue recognition methods: immediate, on a date, evenly by periods (equal), evenly by periods prorated by days (equal_prorate), evenly by days (daily), percent complete, on usage, on payment';
COMMENT ON COLUMN rr.deferral_code.grain IS 'accounting period length used to spread revenue (rr.spread''s grain)';

CREATE TABLE rr.item (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    unit               text NOT NULL DEFAULT 'each',
    revenue_account    text NOT NULL,
    deferred_account   text NOT NULL,
    receivable_account text NOT NULL,
    tax_code           text,
    deferral_code      text,
    is_active          boolean NOT NULL DEFAULT true,
    CONSTRAINT item_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT item_revenue_fkey FOREIGN KEY (tenant_id, revenue_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_deferred_fkey FOREIGN KEY (tenant_id, deferred_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_receivable_fkey FOREIGN KEY (tenant_id, receivable_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_tax_code_fkey FOREIGN KEY (tenant_id, tax_code) REFERENCES rr.tax_code (tenant_id, code),
    CONSTRAINT item_deferral_code_fkey FOREIGN KEY (tenant_id, deferral_code) REFERENCES rr.deferral_code (tenant_id, code),
    CONSTRAINT item_code_check CHECK (code OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE rr.item IS 'items sold (services, licences, usage metrics) with their revenue, deferred revenue, receivable and tax accounts and default deferral code';

CREATE TABLE rr.item_price (
    tenant_id  text NOT NULL,
    item       text NOT NULL,
    currency   char(3) NOT NULL,
    price      numeric NOT NULL,
    CONSTRAINT item_price_pkey PRIMARY KEY (tenant_id, item, currency),
    CONSTRAINT item_price_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code) ON DELETE CASCADE,
    CONSTRAINT item_price_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT item_price_check CHECK (price >= 0),
    CONSTRAINT item_price_limit_check CHECK (rr.check_number('price', price))
);
COMMENT ON TABLE rr.item_price IS 'list unit price of an item per currency; a unit price may have more decimals than the currency (0.002 per API call): amounts computed from it are rounded once, on the invoice line';


-- The default chart: the accounts billing and revenue recognition post to.
CREATE FUNCTION rr.install_default_chart(tenant_id text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO rr.account (tenant_id, code, name, kind)
    SELECT install_default_chart.tenant_id, a.code, a.name, a.kind
      FROM (VALUES ('1100', 'Accounts receivable', 'asset'),
                   ('1150', 'Unbilled receivable', 'asset'),
                   ('1160', 'Contract asset', 'asset'),
                   ('1200', 'Cash', 'asset'),
                   ('2100', 'Deferred revenue (contract liability)', 'liability'),
                   ('2200', 'Sales tax payable', 'liability'),
                   ('2300', 'Customer deposits', 'liability'),
                   ('2400', 'Customer credit', 'liability'),
                   ('4000', 'Subscription revenue', 'revenue'),
                   ('4100', 'Licence revenue', 'revenue'),
                   ('4200', 'Services revenue', 'revenue'),
                   ('4300', 'Usage revenue', 'revenue'),
                   ('4400', 'Setup and renewal fee revenue', 'revenue'),
                   ('4900', 'Breakage revenue', 'revenue'),
                   ('4950', 'Discounts', 'revenue')) AS a (code, name, kind)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.install_default_chart(text) IS 'adds the default chart of accounts to a tenant (receivable, unbilled receivable, contract asset, deferred revenue, tax, deposits, revenue accounts); existing codes are kept; returns the number added';
REVOKE ALL ON FUNCTION rr.install_default_chart(text) FROM PUBLIC;

-- ---- src/sql/120_contract_item.sql
-- Contract items and contract templates (docs/catalog-and-contracts.md),
-- with every option of Acumatica's contract items and templates plus a full price model
-- (rr.pricing) where Acumatica has a single overage price.

CREATE TABLE rr.contract_item (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    currency           char(3) NOT NULL,
    -- setup fee
    setup_item         text,
    setup_pricing      text NOT NULL DEFAULT 'item_price',
    setup_percent      numeric,
    setup_price        numeric,
    prorate_setup      boolean NOT NULL DEFAULT false,
    is_refundable      boolean NOT NULL DEFAULT false,
    -- renewal fee
    renewal_item       text,
    renewal_pricing    text NOT NULL DEFAULT 'item_price',
    renewal_percent    numeric,
    renewal_price      numeric,
    collect_renewal_on_activation boolean NOT NULL DEFAULT false,
    -- recurring charge
    recurring_item     text,
    billing_type       text NOT NULL DEFAULT 'none',
    recurring_pricing  text NOT NULL DEFAULT 'item_price',
    recurring_percent  numeric,
    recurring_price    numeric,
    price_model        rr.pricing,
    included_quantity  numeric NOT NULL DEFAULT 0,
    extra_usage_price  numeric,
    reset_usage        text NOT NULL DEFAULT 'on_billing',
    usage_aggregation  text NOT NULL DEFAULT 'sum',
    usage_grace_days   integer NOT NULL DEFAULT 0,
    allow_negative_usage boolean NOT NULL DEFAULT false,
    breakage_account   text,
    deposit_amount     numeric,
    retain_rate        numeric,
    billing_period     interval,
    -- quantities and allocation
    min_quantity       numeric NOT NULL DEFAULT 0,
    max_quantity       numeric,
    default_quantity   numeric NOT NULL DEFAULT 1,
    standalone_price   numeric,
    ssp_is_residual    boolean NOT NULL DEFAULT false,
    CONSTRAINT contract_item_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT contract_item_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT contract_item_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT contract_item_setup_item_fkey FOREIGN KEY (tenant_id, setup_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_renewal_item_fkey FOREIGN KEY (tenant_id, renewal_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_recurring_item_fkey FOREIGN KEY (tenant_id, recurring_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_has_item CHECK (num_nonnulls(setup_item, renewal_item, recurring_item) > 0),
    CONSTRAINT contract_item_setup_pricing_check CHECK (setup_pricing IN ('item_price', 'percent_of_item_price', 'manual')),
    CONSTRAINT contract_item_renewal_pricing_check CHECK (renewal_pricing IN ('item_price', 'percent_of_item_price', 'percent_of_setup_price', 'manual')),
    CONSTRAINT contract_item_recurring_pricing_check CHECK (recurring_pricing IN ('item_price', 'percent_of_item_price', 'manual')),
    CONSTRAINT contract_item_billing_type_check CHECK (billing_type IN ('none', 'prepaid', 'postpaid', 'deposit')),
    CONSTRAINT contract_item_reset_usage_check CHECK (reset_usage IN ('never', 'on_billing', 'on_renewal')),
    CONSTRAINT contract_item_usage_aggregation_check CHECK (usage_aggregation IN ('sum', 'max', 'last')),
    CONSTRAINT contract_item_usage_grace_check CHECK (usage_grace_days >= 0),
    CONSTRAINT contract_item_breakage_account_fkey FOREIGN KEY (tenant_id, breakage_account) REFERENCES rr.account (tenant_id, code),
    -- each pricing option carries exactly what it needs
    CONSTRAINT contract_item_setup_percent_check CHECK ((setup_pricing = 'percent_of_item_price') = (setup_percent IS NOT NULL)),
    CONSTRAINT contract_item_setup_price_check CHECK ((setup_pricing = 'manual') = (setup_price IS NOT NULL)),
    CONSTRAINT contract_item_renewal_percent_check CHECK ((renewal_pricing IN ('percent_of_item_price', 'percent_of_setup_price')) = (renewal_percent IS NOT NULL)),
    CONSTRAINT contract_item_renewal_price_check CHECK ((renewal_pricing = 'manual') = (renewal_price IS NOT NULL)),
    CONSTRAINT contract_item_recurring_percent_check CHECK ((recurring_pricing = 'percent_of_item_price') = (recurring_percent IS NOT NULL)),
    CONSTRAINT contract_item_recurring_price_check CHECK ((recurring_pricing = 'manual') = (recurring_price IS NOT NULL)),
    CONSTRAINT contract_item_percent_range CHECK (setup_percent >= 0 AND renewal_percent >= 0 AND recurring_percent >= 0),
    CONSTRAINT contract_item_recurring_needs_item CHECK ((billing_type = 'none') = (recurring_item IS NULL)),
    CONSTRAINT contract_item_deposit_check CHECK ((billing_type = 'deposit') = (deposit_amount IS NOT NULL)),
    CONSTRAINT contract_item_retain_rate_check CHECK (retain_rate IS NULL OR (retain_rate BETWEEN 0 AND 1 AND billing_type = 'deposit')),
    CONSTRAINT contract_item_quantity_check CHECK (min_quantity >= 0 AND default_quantity >= min_quantity
                                                   AND (max_quantity IS NULL OR max_quantity >= default_quantity)),
    CONSTRAINT contract_item_included_check CHECK (included_quantity >= 0),
    CONSTRAINT contract_item_billing_period_check CHECK (billing_period > interval '0'),
    -- unit prices are not negative; the deposit is an amount, in whole minor units
    CONSTRAINT contract_item_price_check CHECK (setup_price >= 0 AND renewal_price >= 0 AND recurring_price >= 0
                                                AND standalone_price >= 0 AND extra_usage_price >= 0),
    CONSTRAINT contract_item_limit_check CHECK (
        rr.check_number('setup percent', setup_percent) AND rr.check_number('setup price', setup_price)
        AND rr.check_number('renewal percent', renewal_percent) AND rr.check_number('renewal price', renewal_price)
        AND rr.check_number('recurring percent', recurring_percent) AND rr.check_number('recurring price', recurring_price)
        AND rr.check_number('included quantity', included_quantity) AND rr.check_number('extra usage price', extra_usage_price)
        AND rr.check_number('deposit amount', deposit_amount) AND rr.check_number('minimum quantity', min_quantity)
        AND rr.check_number('maximum quantity', max_quantity) AND rr.check_number('default quantity', default_quantity)
        AND rr.check_number('standalone price', standalone_price)),
    CONSTRAINT contract_item_deposit_amount_check CHECK (
        deposit_amount > 0 AND deposit_amount OPERATOR(pg_catalog.=) pg_catalog.round(deposit_amount, rr.minor_units(currency::text)))
);
COMMENT ON TABLE rr.contract_item IS 'contract items (as in Acumatica): a setup fee, a renewal fee and a recurring charge, each with its item and pricing option; billing type, price model, included quantity, usage reset, deposit, quantity limits, own billing period and standalone selling price';
COMMENT ON COLUMN rr.contract_item.setup_pricing IS 'item_price (the setup item''s list price), percent_of_item_price (setup_percent % of it) or manual (setup_price)';
COMMENT ON COLUMN rr.contract_item.renewal_pricing IS 'item_price, percent_of_item_price, percent_of_setup_price (renewal_percent % of the setup price) or manual (renewal_price)';
COMMENT ON COLUMN rr.contract_item.billing_type IS 'none (no recurring charge), prepaid (billed at the start of each period), postpaid (billed at its end) or deposit (billed up front, drawn down by usage)';
COMMENT ON COLUMN rr.contract_item.price_model IS 'optional price model for quantities (tiers, volumes, packages...); overrides the unit price when set';
COMMENT ON COLUMN rr.contract_item.included_quantity IS 'quantity included in the recurring price before usage is charged';
COMMENT ON COLUMN rr.contract_item.extra_usage_price IS 'price of each unit beyond the included quantity (Acumatica''s overage price), unless price_model is set';
COMMENT ON COLUMN rr.contract_item.reset_usage IS 'when the used quantity starts again from zero: never, on_billing or on_renewal';
COMMENT ON COLUMN rr.contract_item.retain_rate IS 'share of the unused remainder of a refundable deposit the company keeps at the end of the term (0..1); a deposit that is not refundable is kept whole';
COMMENT ON COLUMN rr.contract_item.usage_aggregation IS 'how the usage events of a billing period make its quantity: sum (default), max (peak level) or last (level at the latest event)';
COMMENT ON COLUMN rr.contract_item.usage_grace_days IS 'days a usage period stays open for late events after it ends before it is billed';
COMMENT ON COLUMN rr.contract_item.allow_negative_usage IS 'whether usage events may carry negative quantities (corrections); refused otherwise';
COMMENT ON COLUMN rr.contract_item.breakage_account IS 'account credited with the retained part of an unused deposit (NULL: the recurring item''s revenue account)';
COMMENT ON COLUMN rr.contract_item.billing_period IS 'the line''s own billing period (so one contract mixes monthly, quarterly and yearly lines); NULL means the template''s';
COMMENT ON COLUMN rr.contract_item.standalone_price IS 'standalone selling price (SSP) per unit, for allocating a contract''s price across its obligations';

-- A contract term lasts at most 100 years (docs/limits-and-errors.md), so its end date stays a
-- business date and periods over it can be counted.
CREATE FUNCTION rr.check_template_duration(duration integer, duration_unit text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    most integer := CASE duration_unit WHEN 'year' THEN 100 WHEN 'quarter' THEN 400
                                       WHEN 'month' THEN 1200 WHEN 'day' THEN 36525 END;
BEGIN
    IF duration > most THEN
        RAISE EXCEPTION 'template duration "% %" is out of range', duration, duration_unit
            USING ERRCODE = '22023',
                  DETAIL = 'A contract term lasts at most 100 years: 100 years, 400 quarters, 1200 months or 36525 days.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr.check_template_duration(integer, text) IS 'true for a template duration of at most 100 years (100 years, 400 quarters, 1200 months, 36525 days); otherwise raises 22023; used by a CHECK constraint of rr.contract_template';
REVOKE ALL ON FUNCTION rr.check_template_duration(integer, text) FROM PUBLIC;

CREATE TABLE rr.contract_template (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    contract_type      text NOT NULL DEFAULT 'renewable',
    duration           integer,
    duration_unit      text NOT NULL DEFAULT 'year',
    grace_period_days  integer NOT NULL DEFAULT 0,
    mass_renewal       boolean NOT NULL DEFAULT false,
    renewal_point_days integer NOT NULL DEFAULT 0,
    billing_period     text NOT NULL DEFAULT 'month',
    billing_days       integer,
    billing_start      text NOT NULL DEFAULT 'activation',
    alignment          text NOT NULL DEFAULT 'anniversary',
    invoice_to         text NOT NULL DEFAULT 'customer',
    payment_terms_days integer NOT NULL DEFAULT 30,
    allow_override     boolean NOT NULL DEFAULT false,
    effective_from     date NOT NULL DEFAULT '2000-01-01',
    discontinue_after  date,
    refund_policy      text NOT NULL DEFAULT 'none',
    CONSTRAINT contract_template_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT contract_template_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT contract_template_type_check CHECK (contract_type IN ('renewable', 'expiring', 'unlimited')),
    CONSTRAINT contract_template_duration_check CHECK ((contract_type = 'unlimited') = (duration IS NULL) AND duration > 0),
    CONSTRAINT contract_template_duration_limit_check CHECK (rr.check_template_duration(duration, duration_unit)),
    CONSTRAINT contract_template_duration_unit_check CHECK (duration_unit IN ('year', 'quarter', 'month', 'day')),
    CONSTRAINT contract_template_days_check CHECK (grace_period_days >= 0 AND renewal_point_days >= 0 AND payment_terms_days >= 0),
    CONSTRAINT contract_template_billing_period_check CHECK (billing_period IN ('year', 'half_year', 'quarter', 'month', 'week', 'custom_days', 'on_demand')),
    CONSTRAINT contract_template_billing_days_check CHECK ((billing_period = 'custom_days') = (billing_days IS NOT NULL) AND billing_days BETWEEN 1 AND 36525),
    CONSTRAINT contract_template_billing_start_check CHECK (billing_start IN ('setup', 'activation')),
    CONSTRAINT contract_template_alignment_check CHECK (alignment IN ('anniversary', 'calendar')),
    CONSTRAINT contract_template_invoice_to_check CHECK (invoice_to IN ('customer', 'parent', 'other')),
    CONSTRAINT contract_template_refund_check CHECK (refund_policy IN ('none', 'prorated', 'full')),
    CONSTRAINT contract_template_dates_check CHECK (discontinue_after >= effective_from),
    CONSTRAINT contract_template_date_limit_check CHECK (rr.check_date('effective from date', effective_from)
                                                         AND rr.check_date('discontinue after date', discontinue_after)),
    CONSTRAINT contract_template_renewal_check CHECK (contract_type = 'renewable' OR NOT mass_renewal)
);
COMMENT ON TABLE rr.contract_template IS 'contract templates (as in Acumatica): type, duration, renewal, billing period and alignment, invoicing, payment terms, override rule, validity dates and refund policy';
COMMENT ON COLUMN rr.contract_template.contract_type IS 'renewable (renewed at expiry), expiring (renewed at most once, then expires) or unlimited (no end date)';
COMMENT ON COLUMN rr.contract_template.renewal_point_days IS 'days before expiry at which the contract becomes due for renewal';
COMMENT ON COLUMN rr.contract_template.billing_period IS 'year, half_year, quarter, month, week, custom_days (billing_days) or on_demand (billed only when asked)';
COMMENT ON COLUMN rr.contract_template.billing_start IS 'billing starts at setup or at activation';
COMMENT ON COLUMN rr.contract_template.alignment IS 'anniversary (periods from the billing start) or calendar (periods from 2000-01-01: calendar months, quarters, years)';
COMMENT ON COLUMN rr.contract_template.allow_override IS 'whether contracts may change the quantities and prices of the template''s lines';
COMMENT ON COLUMN rr.contract_template.discontinue_after IS 'last day on which contracts may be created from the template';

CREATE TABLE rr.template_line (
    tenant_id     text NOT NULL,
    template      text NOT NULL,
    line_no       integer NOT NULL,
    contract_item text NOT NULL,
    quantity      numeric,
    CONSTRAINT template_line_pkey PRIMARY KEY (tenant_id, template, line_no),
    CONSTRAINT template_line_template_fkey FOREIGN KEY (tenant_id, template) REFERENCES rr.contract_template (tenant_id, code) ON DELETE CASCADE,
    CONSTRAINT template_line_item_fkey FOREIGN KEY (tenant_id, contract_item) REFERENCES rr.contract_item (tenant_id, code),
    CONSTRAINT template_line_quantity_check CHECK (quantity >= 0),
    CONSTRAINT template_line_limit_check CHECK (rr.check_number('quantity', quantity))
);
COMMENT ON TABLE rr.template_line IS 'the contract items a template puts on every contract created from it; quantity NULL means the item''s default quantity';

-- The billing interval of a template's billing period (NULL for on_demand).
CREATE FUNCTION rr.billing_interval(billing_period text, billing_days integer DEFAULT NULL)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF billing_period IS NULL OR billing_period = 'on_demand' THEN
        RETURN NULL;
    ELSIF billing_period NOT IN ('year', 'half_year', 'quarter', 'month', 'week', 'custom_days') THEN
        RAISE EXCEPTION 'unknown billing period "%"', billing_period
            USING ERRCODE = '22023',
                  HINT = 'Billing periods are year, half_year, quarter, month, week, custom_days and on_demand.';
    ELSIF billing_period = 'custom_days' AND (billing_days IS NULL OR billing_days NOT BETWEEN 1 AND 36525) THEN
        -- 100 years, the longest template duration
        RAISE EXCEPTION 'custom billing period of % days is out of range', coalesce(billing_days::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'A custom_days billing period lasts 1 to 36,525 days (100 years).';
    END IF;
    RETURN CASE billing_period
               WHEN 'year' THEN interval '1 year'
               WHEN 'half_year' THEN interval '6 months'
               WHEN 'quarter' THEN interval '3 months'
               WHEN 'month' THEN interval '1 month'
               WHEN 'week' THEN interval '7 days'
               ELSE make_interval(days => billing_days)
           END;
END
$$;
COMMENT ON FUNCTION rr.billing_interval(text, integer) IS 'the interval of a template billing period: year, half_year, quarter, month, week, custom_days (billing_days days); NULL for on_demand; 22023 for any other word';
REVOKE ALL ON FUNCTION rr.billing_interval(text, integer) FROM PUBLIC;


-- ---- src/sql/130_contracts.sql
-- Customers, contracts, versioned contract lines and the append-only contract event log
-- (docs/catalog-and-contracts.md).
--
-- Contracts, their lines and their events are written only by the lifecycle functions
-- (src/sql/140_lifecycle.sql, SECURITY DEFINER): no rr role may insert, update or
-- delete them directly, so the status machine and the event log cannot be bypassed.

CREATE TABLE rr.customer (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    currency           char(3) NOT NULL,
    parent             text,
    bill_to            text,
    payment_terms_days integer,
    time_zone          text,
    tax_code           text,
    is_active          boolean NOT NULL DEFAULT true,
    CONSTRAINT customer_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT customer_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT customer_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT customer_parent_fkey FOREIGN KEY (tenant_id, parent) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT customer_bill_to_fkey FOREIGN KEY (tenant_id, bill_to) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT customer_tax_code_fkey FOREIGN KEY (tenant_id, tax_code) REFERENCES rr.tax_code (tenant_id, code),
    CONSTRAINT customer_parent_check CHECK (parent OPERATOR(pg_catalog.<>) code),
    CONSTRAINT customer_terms_check CHECK (payment_terms_days >= 0),
    CONSTRAINT customer_code_check CHECK (code OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT customer_time_zone_check CHECK (rr.check_time_zone('time zone', time_zone))
);
COMMENT ON TABLE rr.customer IS 'customers: billing currency, parent account, other bill-to account, payment terms (NULL: the template''s), time zone for usage dates (NULL: the tenant''s), tax code';

CREATE TABLE rr.contract (
    tenant_id          text NOT NULL,
    contract_id        bigint GENERATED BY DEFAULT AS IDENTITY,
    customer           text NOT NULL,
    template           text NOT NULL,
    currency           char(3) NOT NULL,
    status             text NOT NULL DEFAULT 'draft',
    description        text,
    contract_type      text NOT NULL,
    start_date         date NOT NULL,
    end_date           date,
    setup_date         date,
    activation_date    date,
    termination_date   date,
    closed_date        date,
    billing_period     text NOT NULL,
    billing_days       integer,
    billing_start      text NOT NULL,
    alignment          text NOT NULL,
    invoice_to         text NOT NULL,
    bill_to            text NOT NULL,
    payment_terms_days integer NOT NULL,
    grace_period_days  integer NOT NULL,
    renewal_point_days integer NOT NULL,
    refund_policy      text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT contract_pkey PRIMARY KEY (tenant_id, contract_id),
    CONSTRAINT contract_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT contract_bill_to_fkey FOREIGN KEY (tenant_id, bill_to) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT contract_template_fkey FOREIGN KEY (tenant_id, template) REFERENCES rr.contract_template (tenant_id, code),
    CONSTRAINT contract_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT contract_status_check CHECK (status IN ('draft', 'pending_activation', 'active', 'pending_upgrade',
                                                      'expired', 'terminated', 'completed')),
    CONSTRAINT contract_dates_check CHECK (end_date > start_date AND setup_date >= start_date
                                           AND activation_date >= setup_date AND termination_date >= activation_date),
    CONSTRAINT contract_date_limit_check CHECK (rr.check_date('start date', start_date) AND rr.check_date('end date', end_date)
                                                AND rr.check_date('setup date', setup_date)
                                                AND rr.check_date('activation date', activation_date)
                                                AND rr.check_date('termination date', termination_date)
                                                AND rr.check_date('closed date', closed_date))
);
COMMENT ON TABLE rr.contract IS 'contracts: customer, template and the template terms copied at creation (so later template edits do not change signed contracts), status and lifecycle dates; term [start_date, end_date), end_date NULL for unlimited contracts';
COMMENT ON COLUMN rr.contract.status IS 'draft, pending_activation, active, pending_upgrade, expired, terminated or completed';

CREATE TABLE rr.contract_line (
    tenant_id       text NOT NULL,
    contract_id     bigint NOT NULL,
    line_no         integer NOT NULL,
    effective_from  date NOT NULL,
    contract_item   text NOT NULL,
    quantity        numeric NOT NULL,
    setup_price     numeric,
    renewal_price   numeric,
    recurring_price numeric,
    price_model     rr.pricing,
    billing_period  interval,
    is_removed      boolean NOT NULL DEFAULT false,
    CONSTRAINT contract_line_pkey PRIMARY KEY (tenant_id, contract_id, line_no, effective_from),
    CONSTRAINT contract_line_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_line_item_fkey FOREIGN KEY (tenant_id, contract_item) REFERENCES rr.contract_item (tenant_id, code),
    CONSTRAINT contract_line_quantity_check CHECK (quantity >= 0),
    CONSTRAINT contract_line_price_check CHECK (setup_price >= 0 AND renewal_price >= 0 AND recurring_price >= 0),
    CONSTRAINT contract_line_limit_check CHECK (rr.check_number('quantity', quantity)
                                                AND rr.check_number('setup price', setup_price)
                                                AND rr.check_number('renewal price', renewal_price)
                                                AND rr.check_number('recurring price', recurring_price)
                                                AND rr.check_date('effective date', effective_from))
);
COMMENT ON TABLE rr.contract_line IS 'contract lines, versioned by effective date: a version holds from effective_from until the next version of the same line; prices are resolved in the contract currency when the version is written';
COMMENT ON COLUMN rr.contract_line.billing_period IS 'billing interval of the line (the item''s own, else the template''s); NULL: billed on demand';

CREATE TABLE rr.contract_event (
    tenant_id    text NOT NULL,
    event_id     bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id  bigint NOT NULL,
    action       text NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    session_role name NOT NULL DEFAULT session_user,
    acting_role  name NOT NULL,
    effective_date date,
    reason       text,
    before       jsonb,
    after        jsonb NOT NULL,
    CONSTRAINT contract_event_pkey PRIMARY KEY (tenant_id, event_id),
    CONSTRAINT contract_event_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
);
COMMENT ON TABLE rr.contract_event IS 'append-only log of every contract action: who (session user and acting role), when, what, why, and the contract with its lines before and after';

CREATE INDEX contract_event_contract_idx ON rr.contract_event (tenant_id, contract_id, event_id);

-- Append-only: no update, delete or truncate, for any role (the extension owner included).
CREATE FUNCTION rr_internal.refuse_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'cannot % % rows', lower(TG_OP), TG_TABLE_NAME
        USING ERRCODE = '55000',
              DETAIL = format('rr.%s is append-only.', TG_TABLE_NAME),
              HINT = 'History is corrected by new entries, never by changing old ones.';
END
$$;
COMMENT ON FUNCTION rr_internal.refuse_change() IS 'trigger function: refuses UPDATE, DELETE and TRUNCATE on append-only tables';
REVOKE ALL ON FUNCTION rr_internal.refuse_change() FROM PUBLIC;

CREATE TRIGGER contract_event_append_only
    BEFORE UPDATE OR DELETE ON rr.contract_event
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER contract_event_no_truncate
    BEFORE TRUNCATE ON rr.contract_event
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The line versions in effect on a date: one query.
CREATE FUNCTION rr.contract_lines_as_of(contract_id bigint, on_date date)
RETURNS SETOF rr.contract_line
LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    SELECT DISTINCT ON (l.line_no) l.*
      FROM rr.contract_line l
     WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND l.contract_id OPERATOR(pg_catalog.=) contract_lines_as_of.contract_id
       AND l.effective_from OPERATOR(pg_catalog.<=) contract_lines_as_of.on_date
     ORDER BY l.line_no, l.effective_from DESC;
END;
COMMENT ON FUNCTION rr.contract_lines_as_of(bigint, date) IS 'the version of each line of a contract in effect on a date (removed lines included, flagged is_removed)';
REVOKE ALL ON FUNCTION rr.contract_lines_as_of(bigint, date) FROM PUBLIC;

-- A contract with its lines as the log recorded it at a moment (transaction time).
CREATE FUNCTION rr.contract_as_of(contract_id bigint, at timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    SELECT e.after
      FROM rr.contract_event e
     WHERE e.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND e.contract_id OPERATOR(pg_catalog.=) contract_as_of.contract_id
       AND e.occurred_at OPERATOR(pg_catalog.<=) contract_as_of.at
     ORDER BY e.event_id DESC
     LIMIT 1;
END;
COMMENT ON FUNCTION rr.contract_as_of(bigint, timestamptz) IS 'the contract and its lines as recorded by the last event at or before a moment, as jsonb {"contract": ..., "lines": [...]}; NULL before the contract existed';
REVOKE ALL ON FUNCTION rr.contract_as_of(bigint, timestamptz) FROM PUBLIC;

-- ---- src/sql/140_lifecycle.sql
-- The contract lifecycle (docs/catalog-and-contracts.md):
--
--   create ──> draft ──setup──> pending_activation ──activate──> active ──terminate──> terminated
--                 └──────────── setup_and_activate ─────────────┘   │ ──expire─────> expired
--                                                                    │ ──complete───> completed
--                                                                    └ (upgrade: pending_upgrade, later)
--
-- Every action is a SECURITY DEFINER function: it finds the contract in the current
-- tenant only (explicitly: RLS does not apply to the definer), locks it, checks the
-- transition and the dates, changes it and appends an event with the contract and its
-- lines before and after, all in the caller's transaction.

-- The contract and all its line versions as one jsonb document.
CREATE FUNCTION rr_internal.contract_snapshot(tenant_id text, contract_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'contract', to_jsonb(c) - 'tenant_id',
               'lines', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'tenant_id' - 'contract_id'
                                                   ORDER BY l.line_no, l.effective_from)
                                    FROM rr.contract_line l
                                   WHERE l.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
                                     AND l.contract_id OPERATOR(pg_catalog.=) c.contract_id), '[]'))
      FROM rr.contract c
     WHERE c.tenant_id OPERATOR(pg_catalog.=) contract_snapshot.tenant_id
       AND c.contract_id OPERATOR(pg_catalog.=) contract_snapshot.contract_id;
END;
COMMENT ON FUNCTION rr_internal.contract_snapshot(text, bigint) IS 'internal: a contract with all its line versions as jsonb, as stored in rr.contract_event';
REVOKE ALL ON FUNCTION rr_internal.contract_snapshot(text, bigint) FROM PUBLIC;

-- Append an event and publish it; who = the session user and the role it acts as (SET
-- ROLE), which a SECURITY DEFINER function cannot change.
CREATE FUNCTION rr_internal.log_contract_event(tenant_id text, contract_id bigint, action text,
                                      effective_date date, reason text, before jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, reason, before, after)
    VALUES (log_contract_event.tenant_id, log_contract_event.contract_id, log_contract_event.action,
            rr.acting_role(),
            log_contract_event.effective_date, log_contract_event.reason, log_contract_event.before,
            rr_internal.contract_snapshot(log_contract_event.tenant_id, log_contract_event.contract_id))
    RETURNING event_id INTO id;
    PERFORM rr_internal.publish_contract_events(log_contract_event.tenant_id, ARRAY[id]);
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr_internal.log_contract_event(text, bigint, text, date, text, jsonb) IS 'internal: appends a contract event with the contract''s state after the action, and publishes it to the outbox';
REVOKE ALL ON FUNCTION rr_internal.log_contract_event(text, bigint, text, date, text, jsonb) FROM PUBLIC;

-- Find and lock a contract of the tenant and check that the action is allowed from its status.
CREATE FUNCTION rr_internal.contract_for_action(tenant_id text, contract_id bigint, action text, allowed text[])
RETURNS rr.contract
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract;
BEGIN
    SELECT * INTO c FROM rr.contract k
     WHERE k.tenant_id = contract_for_action.tenant_id AND k.contract_id = contract_for_action.contract_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % does not exist', contract_for_action.contract_id
            USING ERRCODE = 'P0002', HINT = 'Contract ids are per tenant; check rr.tenant and the contract id.';
    END IF;
    IF NOT c.status = ANY (allowed) THEN
        RAISE EXCEPTION 'cannot % contract %: its status is "%"', replace(action, '_', ' '), c.contract_id, c.status
            USING ERRCODE = '55000',
                  DETAIL = format('%s is allowed only for contracts that are %s.', initcap(replace(action, '_', ' ')),
                                  array_to_string(allowed, ' or ')),
                  HINT = CASE
                      WHEN action = 'activate' AND c.status = 'draft'
                          THEN 'Set it up first with rr.setup_contract(), or use rr.setup_and_activate_contract().'
                      WHEN c.status IN ('expired', 'terminated', 'completed')
                          THEN 'A closed contract cannot change; create a new contract.'
                      ELSE 'See "The contract lifecycle" in docs/catalog-and-contracts.md.' END;
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_for_action(text, bigint, text, text[]) IS 'internal: locks a contract of the tenant and refuses the action unless its status is one of allowed (55000, naming the status)';
REVOKE ALL ON FUNCTION rr_internal.contract_for_action(text, bigint, text, text[]) FROM PUBLIC;

-- Prices of a contract item in a currency, as its pricing options say.
CREATE FUNCTION rr.contract_item_prices(tenant_id text, contract_item text, currency text,
                                        OUT setup_price numeric, OUT renewal_price numeric,
                                        OUT recurring_price numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ci rr.contract_item;
BEGIN
    SELECT * INTO STRICT ci FROM rr.contract_item i
     WHERE i.tenant_id = contract_item_prices.tenant_id AND i.code = contract_item_prices.contract_item;
    setup_price := CASE ci.setup_pricing
        WHEN 'manual' THEN ci.setup_price
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.setup_item, currency)
        ELSE trim_scale(rr.list_price(tenant_id, ci.setup_item, currency) * ci.setup_percent / 100) END;
    renewal_price := CASE ci.renewal_pricing
        WHEN 'manual' THEN ci.renewal_price
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.renewal_item, currency)
        WHEN 'percent_of_item_price' THEN trim_scale(rr.list_price(tenant_id, ci.renewal_item, currency) * ci.renewal_percent / 100)
        ELSE trim_scale(setup_price * ci.renewal_percent / 100) END;
    recurring_price := CASE ci.recurring_pricing
        WHEN 'manual' THEN ci.recurring_price
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.recurring_item, currency)
        ELSE trim_scale(rr.list_price(tenant_id, ci.recurring_item, currency) * ci.recurring_percent / 100) END;
END
$$;
COMMENT ON FUNCTION rr.contract_item_prices(text, text, text) IS 'setup, renewal and recurring unit prices of a contract item in a currency, resolved from list prices and percentages (exact, not rounded: amounts are rounded on the invoice line) or manual prices; NULL where the item has no such fee';
REVOKE ALL ON FUNCTION rr.contract_item_prices(text, text, text) FROM PUBLIC;

-- List price of an item in a currency (NULL item: NULL); a missing price is an error.
CREATE FUNCTION rr.list_price(tenant_id text, item text, currency text)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p numeric;
BEGIN
    IF item IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT ip.price INTO p FROM rr.item_price ip
     WHERE ip.tenant_id = list_price.tenant_id AND ip.item = list_price.item AND ip.currency = list_price.currency;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'item "%" has no list price in %', item, currency
            USING ERRCODE = '22023', HINT = 'Add the price to rr.item_price, or price the contract item manually.';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION rr.list_price(text, text, text) IS 'list price of an item in a currency from rr.item_price; error 22023 if there is none';
REVOKE ALL ON FUNCTION rr.list_price(text, text, text) FROM PUBLIC;

-- Write one version of a contract line after checking quantity limits, currency and overrides.
CREATE FUNCTION rr_internal.write_contract_line(c rr.contract, line_no integer, contract_item text,
                                       effective_from date, quantity numeric, prices jsonb,
                                       is_removed boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ci rr.contract_item;
    p record;
    k text;
    q numeric;
    model rr.pricing;
BEGIN
    SELECT * INTO ci FROM rr.contract_item i
     WHERE i.tenant_id = c.tenant_id AND i.code = write_contract_line.contract_item;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract item "%" does not exist', write_contract_line.contract_item
            USING ERRCODE = '23503';
    END IF;
    IF ci.currency <> c.currency THEN
        RAISE EXCEPTION 'currency mismatch: contract item "%" is priced in %, but the contract with customer "%" is in %',
                        ci.code, ci.currency, c.customer, c.currency
            USING ERRCODE = '22023',
                  HINT = 'Use contract items priced in the customer''s currency.';
    END IF;
    FOR k IN SELECT jsonb_object_keys(coalesce(prices, '{}')) LOOP
        IF k NOT IN ('setup_price', 'renewal_price', 'recurring_price', 'price_model') THEN
            RAISE EXCEPTION 'unknown override "%" for contract item "%"', k, ci.code
                USING ERRCODE = '22023',
                      HINT = 'Overrides are quantity, setup_price, renewal_price, recurring_price and price_model.';
        END IF;
    END LOOP;
    -- a line's price model may replace its item's (text or jsonb form), never add one
    IF prices ? 'price_model' THEN
        IF ci.price_model IS NULL THEN
            RAISE EXCEPTION 'contract item "%" has no price model to override', ci.code
                USING ERRCODE = '22023', HINT = 'Only the lines of contract items with a price model can change it.';
        ELSIF jsonb_typeof(prices->'price_model') NOT IN ('string', 'object') THEN
            RAISE EXCEPTION 'price model override for contract item "%" must be a pricing text or jsonb object', ci.code
                USING ERRCODE = '22023', DETAIL = format('Got %s.', prices->'price_model');
        END IF;
        model := CASE jsonb_typeof(prices->'price_model') WHEN 'string' THEN (prices->>'price_model')::rr.pricing
                                                          ELSE (prices->'price_model')::rr.pricing END;
    END IF;
    q := coalesce(quantity, ci.default_quantity);
    IF q < ci.min_quantity OR q > ci.max_quantity OR q < 0 THEN
        RAISE EXCEPTION 'quantity % of contract item "%" is out of range', q, ci.code
            USING ERRCODE = '22023',
                  DETAIL = format('Contract item "%s" allows %s to %s.', ci.code, ci.min_quantity,
                                  coalesce(ci.max_quantity::text, 'any quantity'));
    END IF;
    p := rr.contract_item_prices(c.tenant_id, ci.code, c.currency);
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                                  setup_price, renewal_price, recurring_price, price_model, billing_period, is_removed)
    SELECT c.tenant_id, c.contract_id, write_contract_line.line_no, write_contract_line.effective_from, ci.code, q,
           coalesce((prices->>'setup_price')::numeric, p.setup_price),
           coalesce((prices->>'renewal_price')::numeric, p.renewal_price),
           coalesce((prices->>'recurring_price')::numeric, p.recurring_price),
           coalesce(model, ci.price_model),
           CASE WHEN ci.billing_type = 'none' THEN NULL
                ELSE coalesce(ci.billing_period, rr.billing_interval(c.billing_period, c.billing_days)) END,
           write_contract_line.is_removed
    ON CONFLICT ON CONSTRAINT contract_line_pkey DO UPDATE
       SET contract_item = EXCLUDED.contract_item, quantity = EXCLUDED.quantity,
           setup_price = EXCLUDED.setup_price, renewal_price = EXCLUDED.renewal_price,
           recurring_price = EXCLUDED.recurring_price, price_model = EXCLUDED.price_model,
           billing_period = EXCLUDED.billing_period, is_removed = EXCLUDED.is_removed;
END
$$;
COMMENT ON FUNCTION rr_internal.write_contract_line(rr.contract, integer, text, date, numeric, jsonb, boolean) IS 'internal: writes one version of a contract line with resolved prices, after checking the item, its currency, quantity limits and price overrides';
REVOKE ALL ON FUNCTION rr_internal.write_contract_line(rr.contract, integer, text, date, numeric, jsonb, boolean) FROM PUBLIC;

-- create: a draft contract from a template, with its lines.
CREATE FUNCTION rr.create_contract(customer text, template text, start_date date,
                                   overrides jsonb DEFAULT '{}', description text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer;
    tp rr.contract_template;
    c rr.contract;
    ln record;
    o jsonb := coalesce(overrides, '{}');
    k text;
BEGIN
    SELECT * INTO cu FROM rr.customer x WHERE x.tenant_id = t AND x.code = create_contract.customer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer "%" does not exist', create_contract.customer
            USING ERRCODE = '23503', HINT = 'Add the customer to rr.customer first.';
    ELSIF NOT cu.is_active THEN
        RAISE EXCEPTION 'customer "%" is inactive', cu.code USING ERRCODE = '22023';
    END IF;
    SELECT * INTO tp FROM rr.contract_template x WHERE x.tenant_id = t AND x.code = create_contract.template;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract template "%" does not exist', create_contract.template
            USING ERRCODE = '23503';
    END IF;
    IF start_date IS NULL THEN
        RAISE EXCEPTION 'start date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('start date', start_date);
    IF start_date < tp.effective_from OR start_date > tp.discontinue_after THEN
        RAISE EXCEPTION 'contract template "%" is not effective on %', tp.code, start_date
            USING ERRCODE = '22023',
                  DETAIL = format('It may be used for contracts starting from %s%s.', tp.effective_from,
                                  coalesce(' to ' || tp.discontinue_after, ''));
    END IF;
    IF jsonb_typeof(o) <> 'object' THEN
        RAISE EXCEPTION 'overrides must be a jsonb object keyed by contract item'
            USING ERRCODE = '22023', HINT = 'For example {"SEATS": {"quantity": 25}}.';
    END IF;
    IF o <> '{}' AND NOT tp.allow_override THEN
        RAISE EXCEPTION 'contract template "%" does not allow overrides', tp.code
            USING ERRCODE = '22023',
                  HINT = 'Create the contract with the template''s lines, or allow overrides on the template.';
    END IF;
    FOR k IN SELECT key FROM jsonb_each(o) WHERE jsonb_typeof(value) <> 'object' LOOP
        RAISE EXCEPTION 'override for contract item "%" must be a jsonb object', k USING ERRCODE = '22023';
    END LOOP;

    INSERT INTO rr.contract (tenant_id, customer, template, currency, description, contract_type, start_date, end_date,
                             billing_period, billing_days, billing_start, alignment, invoice_to, bill_to,
                             payment_terms_days, grace_period_days, renewal_point_days, refund_policy)
    VALUES (t, cu.code, tp.code, cu.currency, create_contract.description, tp.contract_type, start_date,
            CASE tp.duration_unit
                WHEN 'year' THEN (start_date + make_interval(years => tp.duration))::date
                WHEN 'quarter' THEN (start_date + make_interval(months => 3 * tp.duration))::date
                WHEN 'month' THEN (start_date + make_interval(months => tp.duration))::date
                ELSE start_date + tp.duration END,
            tp.billing_period, tp.billing_days, tp.billing_start, tp.alignment, tp.invoice_to,
            CASE tp.invoice_to WHEN 'parent' THEN coalesce(cu.parent, cu.code)
                               WHEN 'other' THEN coalesce(cu.bill_to, cu.code) ELSE cu.code END,
            coalesce(cu.payment_terms_days, tp.payment_terms_days), tp.grace_period_days,
            tp.renewal_point_days, tp.refund_policy)
    RETURNING * INTO c;

    -- the template's lines, then the items the overrides add (in key order)
    FOR ln IN
        SELECT row_number() OVER (ORDER BY src, pos)::integer AS line_no, item, qty
          FROM (SELECT 1 AS src, tl.line_no::bigint AS pos, tl.contract_item AS item, tl.quantity AS qty
                  FROM rr.template_line tl
                 WHERE tl.tenant_id = t AND tl.template = tp.code
                UNION ALL
                SELECT 2, row_number() OVER (ORDER BY e.key), e.key, NULL
                  FROM jsonb_each(o) e
                 WHERE e.key NOT IN (SELECT tl.contract_item FROM rr.template_line tl
                                      WHERE tl.tenant_id = t AND tl.template = tp.code)) s
    LOOP
        PERFORM rr_internal.write_contract_line(c, ln.line_no, ln.item, start_date,
                                       coalesce((o->ln.item->>'quantity')::numeric, ln.qty),
                                       (o->ln.item) - 'quantity');
    END LOOP;
    IF NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = c.contract_id) THEN
        RAISE EXCEPTION 'contract template "%" has no lines', tp.code
            USING ERRCODE = '22023', HINT = 'Add lines to rr.template_line, or pass contract items in overrides.';
    END IF;
    PERFORM rr_internal.log_contract_event(t, c.contract_id, 'create', start_date, NULL, NULL);
    RETURN c.contract_id;
END
$$;
COMMENT ON FUNCTION rr.create_contract(text, text, date, jsonb, text) IS 'creates a draft contract for a customer from a template effective on start_date, copying its lines and terms; overrides {"ITEM": {"quantity": n, "recurring_price": p, ...}} change or add lines where the template allows; returns the contract id';

-- A small helper for the single-step actions below: apply a status and dates, log it.
CREATE FUNCTION rr_internal.apply_contract_action(c rr.contract, action text, new_status text, effective_date date, reason text,
                                         setup_date date DEFAULT NULL, activation_date date DEFAULT NULL,
                                         termination_date date DEFAULT NULL, closed_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
BEGIN
    UPDATE rr.contract k
       SET status = new_status,
           setup_date = coalesce(apply_contract_action.setup_date, k.setup_date),
           activation_date = coalesce(apply_contract_action.activation_date, k.activation_date),
           termination_date = coalesce(apply_contract_action.termination_date, k.termination_date),
           closed_date = coalesce(apply_contract_action.closed_date, k.closed_date)
     WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, action, effective_date, reason, before);
    RETURN new_status;
END
$$;
COMMENT ON FUNCTION rr_internal.apply_contract_action(rr.contract, text, text, date, text, date, date, date, date) IS 'internal: sets a contract''s status and dates and logs the action';
REVOKE ALL ON FUNCTION rr_internal.apply_contract_action(rr.contract, text, text, date, text, date, date, date, date) FROM PUBLIC;

-- Dates must fall inside the contract's term.
CREATE FUNCTION rr_internal.check_contract_date(c rr.contract, what text, d date, not_before date)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rr.check_date(what || ' date', d);
    IF d IS NULL THEN
        RAISE EXCEPTION '% date must not be NULL', what USING ERRCODE = '22004';
    ELSIF d < not_before THEN
        RAISE EXCEPTION '% date % is before %', what, d, not_before
            USING ERRCODE = '22023',
                  DETAIL = format('Contract %s started on %s%s.', c.contract_id, c.start_date,
                                  coalesce(', was set up on ' || c.setup_date, '')
                                  || coalesce(', was activated on ' || c.activation_date, '')),
                  HINT = format('Use a date on or after %s.', not_before);
    ELSIF d > c.end_date THEN
        RAISE EXCEPTION '% date % is after the end of contract %', what, d, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s.', c.end_date);
    END IF;
    RETURN d;
END
$$;
COMMENT ON FUNCTION rr_internal.check_contract_date(rr.contract, text, date, date) IS 'internal: refuses an action date before not_before or after the contract end';
REVOKE ALL ON FUNCTION rr_internal.check_contract_date(rr.contract, text, date, date) FROM PUBLIC;

CREATE FUNCTION rr.setup_contract(contract_id bigint, setup_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set up', ARRAY['draft']);
    d date := rr_internal.check_contract_date(c, 'setup', coalesce(setup_date, c.start_date), c.start_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'setup', 'pending_activation', d, NULL, setup_date => d);
END
$$;
COMMENT ON FUNCTION rr.setup_contract(bigint, date) IS 'sets up a draft contract (status pending_activation) on setup_date (default: its start date)';

CREATE FUNCTION rr.activate_contract(contract_id bigint, activation_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'activate', ARRAY['pending_activation']);
    d date := rr_internal.check_contract_date(c, 'activation', coalesce(activation_date, c.setup_date), c.setup_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'activate', 'active', d, NULL, activation_date => d);
END
$$;
COMMENT ON FUNCTION rr.activate_contract(bigint, date) IS 'activates a set-up contract (status active) on activation_date (default: its setup date)';

CREATE FUNCTION rr.setup_and_activate_contract(contract_id bigint, activation_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set up and activate', ARRAY['draft']);
    d date := rr_internal.check_contract_date(c, 'activation', coalesce(activation_date, c.start_date), c.start_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'setup_and_activate', 'active', d, NULL, setup_date => d, activation_date => d);
END
$$;
COMMENT ON FUNCTION rr.setup_and_activate_contract(bigint, date) IS 'sets up and activates a draft contract in one step (status active) on activation_date (default: its start date)';

CREATE FUNCTION rr.terminate_contract(contract_id bigint, termination_date date, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'terminate', ARRAY['active', 'pending_upgrade']);
    d date := rr_internal.check_contract_date(c, 'termination', termination_date, c.activation_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'terminate', 'terminated', d, reason, termination_date => d, closed_date => d);
END
$$;
COMMENT ON FUNCTION rr.terminate_contract(bigint, date, text) IS 'terminates an active contract on termination_date (not before activation, not after the end of the term), with a reason for the log; the next billing run bills nothing after it and credits what was billed beyond it as the contract''s refund policy says (none, prorated, full; setup and renewal fees only when the contract item is refundable)';

CREATE FUNCTION rr.complete_contract(contract_id bigint, completion_date date DEFAULT NULL, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'complete', ARRAY['active']);
    d date := rr_internal.check_contract_date(c, 'completion', coalesce(completion_date, c.end_date, current_date), c.activation_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'complete', 'completed', d, reason, closed_date => d);
END
$$;
COMMENT ON FUNCTION rr.complete_contract(bigint, date, text) IS 'marks an active contract fulfilled and closed (status completed): no further billing or renewal';

CREATE FUNCTION rr.expire_contract(contract_id bigint, as_of date DEFAULT current_date)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'expire', ARRAY['active']);
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expiry date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('expiry date', as_of);
    IF c.end_date IS NULL THEN
        RAISE EXCEPTION 'contract % is unlimited and cannot expire', c.contract_id
            USING ERRCODE = '55000', HINT = 'Terminate or complete it instead.';
    ELSIF as_of < c.end_date + c.grace_period_days THEN
        RAISE EXCEPTION 'contract % has not expired on %', c.contract_id, as_of
            USING ERRCODE = '55000',
                  DETAIL = format('Its term ends on %s; with a grace period of %s days it expires on %s.',
                                  c.end_date, c.grace_period_days, c.end_date + c.grace_period_days);
    END IF;
    RETURN rr_internal.apply_contract_action(c, 'expire', 'expired', c.end_date, NULL, closed_date => c.end_date);
END
$$;
COMMENT ON FUNCTION rr.expire_contract(bigint, date) IS 'expires an active contract whose term and grace period have ended by as_of (status expired)';

-- Batch: expire every active contract of the tenant whose term and grace period ended by
-- as_of, in one statement (and one event per contract).
CREATE FUNCTION rr.expire_contracts(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, end_date date)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    events bigint[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expiry date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('expiry date', as_of);
    WITH due AS (
        SELECT k.contract_id, rr_internal.contract_snapshot(k.tenant_id, k.contract_id) AS before
          FROM rr.contract k
         WHERE k.tenant_id = t AND k.status = 'active' AND k.end_date + k.grace_period_days <= as_of
           FOR UPDATE SKIP LOCKED
    ), upd AS (
        UPDATE rr.contract k SET status = 'expired', closed_date = k.end_date
          FROM due
         WHERE k.tenant_id = t AND k.contract_id = due.contract_id
        RETURNING k.*
    ), ev AS (
        INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, before, after)
        SELECT t, u.contract_id, 'expire',
               rr.acting_role(),
               u.end_date, due.before,
               jsonb_set(due.before, '{contract}', (due.before->'contract')
                         || jsonb_build_object('status', 'expired', 'closed_date', u.end_date))
          FROM upd u JOIN due USING (contract_id)
        RETURNING event_id
    )
    SELECT array_agg(event_id) INTO events FROM ev;
    PERFORM rr_internal.publish_contract_events(t, events);
    RETURN QUERY
    SELECT e.contract_id, e.effective_date FROM rr.contract_event e
     WHERE e.tenant_id = t AND e.event_id = ANY (events) ORDER BY 1;
END
$$;
COMMENT ON FUNCTION rr.expire_contracts(date) IS 'batch: expires every active contract of the current tenant whose term plus grace period ended by as_of; returns them';

-- A new version of a line (or a new line) effective from a date: quantity or price changes.
CREATE FUNCTION rr.change_contract_line(contract_id bigint, contract_item text, effective_from date,
                                        quantity numeric DEFAULT NULL, prices jsonb DEFAULT '{}',
                                        remove boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'change a line of',
                                            ARRAY['draft', 'pending_activation', 'active']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    cur rr.contract_line;
    n integer;
BEGIN
    PERFORM rr_internal.check_contract_date(c, 'effective', effective_from, coalesce(c.activation_date, c.start_date));
    IF NOT (SELECT allow_override FROM rr.contract_template x WHERE x.tenant_id = c.tenant_id AND x.code = c.template)
       AND (coalesce(prices, '{}') <> '{}'
            OR NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id
                              AND l.contract_id = c.contract_id AND l.contract_item = change_contract_line.contract_item)) THEN
        RAISE EXCEPTION 'contract template "%" does not allow overrides', c.template
            USING ERRCODE = '22023', HINT = 'Only the quantities of the template''s lines may change.';
    END IF;
    -- the line's version in effect on the date, or a new line number
    SELECT * INTO cur FROM rr.contract_lines_as_of(c.contract_id, effective_from) l
     WHERE l.contract_item = change_contract_line.contract_item AND NOT l.is_removed;
    -- a change inside periods already billed is fine: the next billing run credits what
    -- was billed for the days from effective_from on and bills the new terms for them
    n := coalesce(cur.line_no, (SELECT max(l.line_no) + 1 FROM rr.contract_line l
                                 WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id));
    IF remove AND cur.line_no IS NULL THEN
        RAISE EXCEPTION 'contract % has no line for contract item "%" on %', c.contract_id, contract_item, effective_from
            USING ERRCODE = 'P0002';
    END IF;
    PERFORM rr_internal.write_contract_line(c, n, contract_item, effective_from,
                                   coalesce(quantity, cur.quantity),
                                   coalesce(jsonb_strip_nulls(jsonb_build_object(
                                       'setup_price', cur.setup_price, 'renewal_price', cur.renewal_price,
                                       'recurring_price', cur.recurring_price,
                                       'price_model', cur.price_model::text)), '{}') || coalesce(prices, '{}'),
                                   remove);
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, CASE WHEN remove THEN 'remove_line' ELSE 'change_line' END,
                                  effective_from, NULL, before);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.change_contract_line(bigint, text, date, numeric, jsonb, boolean) IS 'writes a new version of the contract''s line for a contract item (or adds the line) effective from a date: new quantity, price overrides ({"recurring_price": p}, or {"price_model": "flat(99.00)"} for an item with a price model), or removal; returns the line number';

-- ---- src/sql/150_contract_views.sql
-- Contract views for applications and analysts (security_invoker: the caller's rights
-- and row-level security apply).

CREATE VIEW rr.contract_overview WITH (security_invoker = true) AS
SELECT c.tenant_id, c.contract_id, c.customer, cu.name AS customer_name, c.template, c.status,
       c.currency, c.start_date, c.end_date, c.activation_date, c.closed_date,
       count(l.line_no) FILTER (WHERE NOT l.is_removed) AS lines,
       sum(l.quantity * l.recurring_price)
           FILTER (WHERE NOT l.is_removed AND ci.billing_type IN ('prepaid', 'postpaid') AND l.price_model IS NULL)
           AS fixed_recurring_amount
  FROM rr.contract c
  JOIN rr.customer cu ON cu.tenant_id = c.tenant_id AND cu.code = c.customer
  LEFT JOIN LATERAL (SELECT DISTINCT ON (x.line_no) x.*
                       FROM rr.contract_line x
                      WHERE x.tenant_id = c.tenant_id AND x.contract_id = c.contract_id
                        AND x.effective_from <= greatest(current_date, c.start_date)
                      ORDER BY x.line_no, x.effective_from DESC) l ON true
  LEFT JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
 GROUP BY c.tenant_id, c.contract_id, cu.name;
COMMENT ON VIEW rr.contract_overview IS 'customer contract summary: one row per contract with its customer, status, term, number of current lines and the recurring amount per billing period of the lines in effect today (or at the start of a future contract)';
REVOKE ALL ON rr.contract_overview FROM PUBLIC;

-- ---- src/sql/160_outbox.sql
-- Transactional outbox (docs/operations.md, "Events"): contract activated, terminated, expired,
-- completed (and, as those features land, renewed and invoice posted) are written to
-- rr.outbox in the transaction that caused them, and a NOTIFY on channel rr_events tells
-- listeners that new rows exist.  Every role may LISTEN on any channel, so the
-- notification carries nothing at all (an empty payload, one per transaction): not the
-- tenant, not the topic, not an id.  Consumers read rr.outbox, under row-level security,
-- after the last event_id they processed.

CREATE TABLE rr.outbox (
    tenant_id   text NOT NULL,
    event_id    bigint GENERATED BY DEFAULT AS IDENTITY,
    topic       text NOT NULL,
    entity_id   bigint NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    payload     jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT outbox_pkey PRIMARY KEY (tenant_id, event_id),
    CONSTRAINT outbox_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id)
);
COMMENT ON TABLE rr.outbox IS 'transactional outbox of business events (topic contract.activated, contract.terminated, contract.expired, contract.completed); read it after a NOTIFY on channel rr_events';

CREATE TRIGGER outbox_append_only
    BEFORE UPDATE OR DELETE ON rr.outbox
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();

-- One outbox row per contract event that other systems care about, and an empty NOTIFY
-- on rr_events when there was at least one (PostgreSQL folds identical notifications of
-- a transaction into one).
-- Called by the functions that write contract events (not a trigger, so that pg_restore,
-- which reloads rr.contract_event, does not publish the history again).
CREATE FUNCTION rr_internal.publish_contract_events(tenant_id text, contract_event_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    published integer;
BEGIN
    WITH ins AS (
        INSERT INTO rr.outbox (tenant_id, topic, entity_id, payload)
        SELECT e.tenant_id,
               CASE e.action WHEN 'terminate' THEN 'contract.terminated'
                             WHEN 'expire' THEN 'contract.expired'
                             WHEN 'complete' THEN 'contract.completed'
                             ELSE 'contract.activated' END,
               e.contract_id,
               jsonb_build_object('contract_event_id', e.event_id, 'effective_date', e.effective_date)
          FROM rr.contract_event e
         WHERE e.tenant_id = publish_contract_events.tenant_id
           AND e.event_id = ANY (contract_event_ids)
           AND e.action IN ('activate', 'setup_and_activate', 'terminate', 'expire', 'complete')
         ORDER BY e.event_id
        RETURNING outbox.event_id
    )
    SELECT count(*) INTO published FROM ins;
    IF published > 0 THEN
        PERFORM pg_notify('rr_events', '');
    END IF;
    RETURN published;
END
$$;
COMMENT ON FUNCTION rr_internal.publish_contract_events(text, bigint[]) IS 'internal: writes outbox rows for the contract activations, terminations, expirations and completions among the given contract events, and notifies channel rr_events with an empty payload';
REVOKE ALL ON FUNCTION rr_internal.publish_contract_events(text, bigint[]) FROM PUBLIC;

-- ---- src/sql/200_ledger.sql
-- Accounting periods and the journal (docs/revenue.md, docs/billing.md).
--
-- A tenant's fiscal calendar is a set of periods that tile time (calendar months unless
-- the tenant defines its own, such as 4-4-5 or 13 periods); each is open or closed.
-- Every posting writes a double-entry journal entry dated in the period of its date, or
-- in the first open period after it when that one is closed.  An entry's lines are
-- written in one statement, and a statement-level trigger over the transition table
-- refuses any entry whose debits and credits differ.  Journal lines are immutable.

CREATE TABLE rr.fiscal_period (
    tenant_id    text NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    status       text NOT NULL DEFAULT 'open',
    CONSTRAINT fiscal_period_pkey PRIMARY KEY (tenant_id, period_start),
    CONSTRAINT fiscal_period_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT fiscal_period_end_key UNIQUE (tenant_id, period_end),
    CONSTRAINT fiscal_period_dates_check CHECK (period_end > period_start),
    CONSTRAINT fiscal_period_status_check CHECK (status IN ('open', 'closed')),
    CONSTRAINT fiscal_period_date_limit_check CHECK (rr.check_date('period start date', period_start)
                                                     AND rr.check_date('period end date', period_end - 1))
);
COMMENT ON TABLE rr.fiscal_period IS 'fiscal calendar per tenant: periods [period_start, period_end) that tile time, open or closed; calendar months are created on demand, custom calendars are inserted by an administrator';

-- Periods must tile time: no overlap, no gap (checked for the whole statement, so a
-- calendar can be loaded in one INSERT).
CREATE FUNCTION rr_internal.check_fiscal_periods()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT a.tenant_id, a.period_start, a.period_end, b.period_start AS other_start, b.period_end AS other_end
      INTO bad
      FROM rr.fiscal_period a
      JOIN rr.fiscal_period b ON b.tenant_id = a.tenant_id AND b.period_start > a.period_start
                             AND b.period_start < a.period_end
     WHERE a.tenant_id IN (SELECT DISTINCT n.tenant_id FROM new_periods n)
     ORDER BY a.period_start
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fiscal periods overlap at %', bad.other_start
            USING ERRCODE = '23P01',
                  DETAIL = format('Period [%s,%s) overlaps period [%s,%s) of tenant "%s".',
                                  bad.period_start, bad.period_end, bad.other_start, bad.other_end, bad.tenant_id),
                  HINT = 'Fiscal periods must tile time: each starts where the previous one ends.';
    END IF;
    SELECT x.tenant_id, x.period_end, x.next_start
      INTO bad
      FROM (SELECT p.tenant_id, p.period_end,
                   lead(p.period_start) OVER (PARTITION BY p.tenant_id ORDER BY p.period_start) AS next_start
              FROM rr.fiscal_period p
             WHERE p.tenant_id IN (SELECT DISTINCT n.tenant_id FROM new_periods n)) x
     WHERE x.next_start > x.period_end
     ORDER BY x.period_end
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fiscal periods leave a gap at %', bad.period_end
            USING ERRCODE = '23514',
                  DETAIL = format('No period of tenant "%s" covers [%s,%s).', bad.tenant_id, bad.period_end, bad.next_start),
                  HINT = 'Fiscal periods must tile time: each starts where the previous one ends.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.check_fiscal_periods() IS 'trigger function: refuses fiscal periods that overlap or leave a gap between two periods of a tenant';

CREATE TRIGGER fiscal_period_no_overlap_insert
    AFTER INSERT ON rr.fiscal_period REFERENCING NEW TABLE AS new_periods
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.check_fiscal_periods();
CREATE TRIGGER fiscal_period_no_overlap_update
    AFTER UPDATE ON rr.fiscal_period REFERENCING NEW TABLE AS new_periods
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.check_fiscal_periods();

-- Calendar months from the tenant's last period (or from the month of `from_date`) up to
-- the month that contains through_date.
CREATE FUNCTION rr_internal.ensure_fiscal_periods(tenant_id text, from_date date, through_date date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_end date;
    n integer;
BEGIN
    -- periods are created up to the data's own (business) dates, never further
    PERFORM rr.check_date('posting date', from_date), rr.check_date('posting date', through_date);
    SELECT max(p.period_end) INTO last_end FROM rr.fiscal_period p WHERE p.tenant_id = ensure_fiscal_periods.tenant_id;
    IF last_end IS NOT NULL AND last_end > through_date THEN
        RETURN 0;
    END IF;
    INSERT INTO rr.fiscal_period (tenant_id, period_start, period_end)
    SELECT ensure_fiscal_periods.tenant_id, lower(m), upper(m)
      FROM rr.billing_periods(coalesce(last_end, date_trunc('month', least(from_date, through_date))::date),
                              (date_trunc('month', through_date) + interval '1 month')::date,
                              '1 month', '2000-01-01') AS m
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_fiscal_periods(text, date, date) IS 'internal: extends a tenant''s fiscal calendar with calendar months through the month of through_date';

-- The first day of the open period a posting dated d goes into.
CREATE FUNCTION rr_internal.posting_period(tenant_id text, d date)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p date;
BEGIN
    PERFORM rr_internal.ensure_fiscal_periods(tenant_id, d, d);
    SELECT f.period_start INTO p
      FROM rr.fiscal_period f
     WHERE f.tenant_id = posting_period.tenant_id AND f.period_end > d AND f.status = 'open'
     ORDER BY f.period_start
     LIMIT 1;
    IF p IS NULL THEN
        -- every period from d on is closed: open the month after the last one
        PERFORM rr_internal.ensure_fiscal_periods(tenant_id, d,
                    (SELECT max(f.period_end) FROM rr.fiscal_period f WHERE f.tenant_id = posting_period.tenant_id));
        SELECT f.period_start INTO p
          FROM rr.fiscal_period f
         WHERE f.tenant_id = posting_period.tenant_id AND f.period_end > d AND f.status = 'open'
         ORDER BY f.period_start LIMIT 1;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION rr_internal.posting_period(text, date) IS 'the start of the fiscal period a posting dated d goes into: the period containing d if it is open, else the first open period after it (calendar months are added as needed)';

CREATE TABLE rr.journal_entry (
    tenant_id    text NOT NULL,
    entry_id     bigint GENERATED BY DEFAULT AS IDENTITY,
    entry_date   date NOT NULL,
    period_start date NOT NULL,
    source       text NOT NULL,
    source_id    bigint NOT NULL,
    memo         text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT journal_entry_pkey PRIMARY KEY (tenant_id, entry_id),
    CONSTRAINT journal_entry_period_fkey FOREIGN KEY (tenant_id, period_start) REFERENCES rr.fiscal_period (tenant_id, period_start),
    CONSTRAINT journal_entry_source_check CHECK (source IN ('invoice', 'credit_note', 'payment', 'recognition', 'manual')),
    CONSTRAINT journal_entry_date_limit_check CHECK (rr.check_date('entry date', entry_date))
);
COMMENT ON TABLE rr.journal_entry IS 'journal entries: the date of the business event, the fiscal period it was posted into, and the document that caused it';

CREATE TABLE rr.journal_line (
    tenant_id  text NOT NULL,
    entry_id   bigint NOT NULL,
    line_no    integer NOT NULL,
    account    text NOT NULL,
    debit      numeric NOT NULL DEFAULT 0,
    credit     numeric NOT NULL DEFAULT 0,
    currency   char(3) NOT NULL,
    contract_id bigint,
    CONSTRAINT journal_line_pkey PRIMARY KEY (tenant_id, entry_id, line_no),
    CONSTRAINT journal_line_entry_fkey FOREIGN KEY (tenant_id, entry_id) REFERENCES rr.journal_entry (tenant_id, entry_id),
    CONSTRAINT journal_line_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT journal_line_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT journal_line_amount_check CHECK (debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)),
    CONSTRAINT journal_line_limit_check CHECK (rr.check_number('debit', debit) AND rr.check_number('credit', credit))
);
COMMENT ON TABLE rr.journal_line IS 'journal lines (immutable): one debit or one credit on an account, in the document currency';

-- Balance check over the transition table: every entry touched by the statement must
-- balance per currency, counting its lines written earlier too.
CREATE FUNCTION rr_internal.check_journal_balance()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    -- one index lookup per entry touched (LATERAL), whatever the planner guesses about the
    -- transition table, so the check costs the same for one entry or a million
    SELECT n.tenant_id, n.entry_id, t.currency, t.debit, t.credit
      INTO bad
      FROM (SELECT DISTINCT x.tenant_id, x.entry_id FROM new_lines x) n
      CROSS JOIN LATERAL (SELECT l.currency, sum(l.debit) AS debit, sum(l.credit) AS credit
                            FROM rr.journal_line l
                           WHERE l.tenant_id = n.tenant_id AND l.entry_id = n.entry_id
                           GROUP BY l.currency) t
     WHERE t.debit <> t.credit
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced', bad.entry_id
            USING ERRCODE = '23514',
                  DETAIL = format('Debits %s and credits %s in %s differ by %s.', bad.debit, bad.credit,
                                  bad.currency, bad.debit - bad.credit),
                  HINT = 'Write all lines of an entry in one statement, with equal debits and credits.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.check_journal_balance() IS 'trigger function: refuses a statement that leaves a journal entry with unequal debits and credits';

CREATE TRIGGER journal_line_balanced
    AFTER INSERT ON rr.journal_line REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.check_journal_balance();
CREATE TRIGGER journal_line_immutable
    BEFORE UPDATE OR DELETE ON rr.journal_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER journal_line_no_truncate
    BEFORE TRUNCATE ON rr.journal_line
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER journal_entry_immutable
    BEFORE UPDATE OR DELETE ON rr.journal_entry
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();

-- ---- src/sql/210_billing.sql
-- Billing (docs/billing.md): charges, billing runs, invoices, posting with gapless
-- numbers, and the journal entry of each posted invoice.
--
-- What is due is computed by one set-returning SQL function, rr.due_charges, from the
-- contracts, their line versions and the calendar core; rr.run_billing inserts the due
-- charges that do not exist yet (a unique key on contract line version, kind, service
-- period and adjustment sequence is the final guard), and turns the charges it inserted
-- into one draft invoice per contract, all in three set-based statements.

CREATE TABLE rr.billing_run (
    tenant_id    text NOT NULL,
    run_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    as_of        date NOT NULL,
    contract_id  bigint,
    started_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role name NOT NULL DEFAULT session_user,
    CONSTRAINT billing_run_pkey PRIMARY KEY (tenant_id, run_id),
    CONSTRAINT billing_run_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT billing_run_date_limit_check CHECK (rr.check_date('billing date', as_of))
);
COMMENT ON TABLE rr.billing_run IS 'billing runs: the date billed up to, the contract for on-demand billing (NULL for a batch), who and when';

CREATE TABLE rr.charge (
    tenant_id           text NOT NULL,
    charge_id           bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id         bigint NOT NULL,
    line_no             integer NOT NULL,
    line_effective_from date NOT NULL,
    kind                text NOT NULL,
    service_period      daterange NOT NULL,
    adjustment_seq      integer NOT NULL DEFAULT 0,
    quantity            numeric,
    unit_price          numeric,
    amount              numeric NOT NULL,
    due_date            date NOT NULL,
    run_id              bigint NOT NULL,
    detail              jsonb,
    CONSTRAINT charge_pkey PRIMARY KEY (tenant_id, charge_id),
    CONSTRAINT charge_key UNIQUE (tenant_id, contract_id, line_no, line_effective_from, kind, service_period, adjustment_seq),
    CONSTRAINT charge_line_fkey FOREIGN KEY (tenant_id, contract_id, line_no, line_effective_from)
        REFERENCES rr.contract_line (tenant_id, contract_id, line_no, effective_from),
    CONSTRAINT charge_run_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES rr.billing_run (tenant_id, run_id),
    CONSTRAINT charge_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                 'release', 'breakage', 'proration',
                                                 'discount', 'adjustment')),
    CONSTRAINT charge_period_check CHECK (NOT isempty(service_period) AND NOT lower_inf(service_period)
                                          AND NOT upper_inf(service_period))
);
COMMENT ON TABLE rr.charge IS 'every amount billed, once: its key (contract line version, kind, service period, adjustment sequence) is unique, so re-running billing, concurrent runs and later corrections (a higher adjustment_seq) never bill the same thing twice';
COMMENT ON COLUMN rr.charge.adjustment_seq IS '0 for the original charge; for a discount, the discount id (so several discounts on one period never collide); later corrections (late usage, changes inside billed periods) take the next free number; corrections of a discount take the next free negative number of their line version and period and name the discount in detail';
COMMENT ON COLUMN rr.charge.detail IS 'usage charges: how the quantity was rated (used, included, billable, cumulative counter, tiers, deposit drawn), as jsonb';

CREATE TABLE rr.invoice (
    tenant_id        text NOT NULL,
    invoice_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    doc_type         text NOT NULL DEFAULT 'invoice',
    credits_invoice  bigint,
    reason           text,
    run_id           bigint,
    contract_id      bigint NOT NULL,
    customer         text NOT NULL,
    currency         char(3) NOT NULL,
    status           text NOT NULL DEFAULT 'draft',
    series           text NOT NULL DEFAULT 'INV',
    number           text,
    invoice_date     date NOT NULL,
    due_date         date,
    posted_at        timestamptz,
    journal_entry_id bigint,
    CONSTRAINT invoice_pkey PRIMARY KEY (tenant_id, invoice_id),
    CONSTRAINT invoice_number_key UNIQUE (tenant_id, series, number),
    CONSTRAINT invoice_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT invoice_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT invoice_run_fkey FOREIGN KEY (tenant_id, run_id) REFERENCES rr.billing_run (tenant_id, run_id),
    CONSTRAINT invoice_entry_fkey FOREIGN KEY (tenant_id, journal_entry_id) REFERENCES rr.journal_entry (tenant_id, entry_id),
    CONSTRAINT invoice_status_check CHECK (status IN ('draft', 'posted')),
    CONSTRAINT invoice_doc_type_check CHECK (doc_type IN ('invoice', 'credit_note')),
    CONSTRAINT invoice_source_check CHECK (CASE doc_type WHEN 'invoice' THEN run_id IS NOT NULL AND credits_invoice IS NULL
                                                         ELSE credits_invoice IS NOT NULL END),
    CONSTRAINT invoice_credits_fkey FOREIGN KEY (tenant_id, credits_invoice) REFERENCES rr.invoice (tenant_id, invoice_id),
    CONSTRAINT invoice_posted_check CHECK ((status = 'posted') = (number IS NOT NULL AND due_date IS NOT NULL
                                                                  AND posted_at IS NOT NULL)),
    CONSTRAINT invoice_series_check CHECK (series IN ('INV', 'CN')),
    CONSTRAINT invoice_date_limit_check CHECK (rr.check_date('invoice date', invoice_date))
);
COMMENT ON TABLE rr.invoice IS 'invoices and credit notes (doc_type): draft until posted; posting assigns the gapless number of the tenant and series (INV, CN), the due date from the payment terms and the journal entry, and freezes the document; a credit note names the invoice it credits';

CREATE TABLE rr.invoice_line (
    tenant_id           text NOT NULL,
    invoice_id          bigint NOT NULL,
    line_no             integer NOT NULL,
    kind                text NOT NULL,
    charge_id           bigint,
    contract_line_no    integer,
    line_effective_from date,
    contract_item       text,
    item                text,
    service_period      daterange,
    quantity            numeric,
    unit_price          numeric,
    amount              numeric NOT NULL,
    tax_code            text,
    credit_account      text NOT NULL,
    receivable_account  text NOT NULL,
    credits_line_no     integer,
    detail              jsonb,
    CONSTRAINT invoice_line_pkey PRIMARY KEY (tenant_id, invoice_id, line_no),
    CONSTRAINT invoice_line_invoice_fkey FOREIGN KEY (tenant_id, invoice_id) REFERENCES rr.invoice (tenant_id, invoice_id),
    CONSTRAINT invoice_line_charge_fkey FOREIGN KEY (tenant_id, charge_id) REFERENCES rr.charge (tenant_id, charge_id),
    CONSTRAINT invoice_line_charge_key UNIQUE (tenant_id, charge_id),
    CONSTRAINT invoice_line_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT invoice_line_tax_code_fkey FOREIGN KEY (tenant_id, tax_code) REFERENCES rr.tax_code (tenant_id, code),
    CONSTRAINT invoice_line_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                       'release', 'breakage', 'proration',
                                                       'discount', 'tax', 'adjustment')),
    CONSTRAINT invoice_line_source_check CHECK (charge_id IS NOT NULL OR kind = 'tax' OR credits_line_no IS NOT NULL),
    CONSTRAINT invoice_line_tax_check CHECK (kind <> 'tax' OR tax_code IS NOT NULL)
);
COMMENT ON TABLE rr.invoice_line IS 'invoice and credit note lines: kind, service period, quantity, unit price and amount (whole minor units), the contract line version and the charge that produced them, the tax code applied, the accounts they post to, and on a credit note the line it credits';
COMMENT ON COLUMN rr.invoice_line.detail IS 'usage lines: the rating detail of the charge (used, included, billable quantities, tiers, deposit drawn), as jsonb';
COMMENT ON COLUMN rr.invoice_line.amount IS 'net amount of the line (for a tax-inclusive price, the price less its share of the tax line); the document total is the exact sum of its lines';

CREATE TABLE rr.invoice_counter (
    tenant_id   text NOT NULL,
    series      text NOT NULL,
    prefix      text NOT NULL DEFAULT '',
    next_number bigint NOT NULL DEFAULT 1,
    min_digits  integer NOT NULL DEFAULT 6,
    CONSTRAINT invoice_counter_pkey PRIMARY KEY (tenant_id, series),
    CONSTRAINT invoice_counter_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT invoice_counter_next_check CHECK (next_number > 0),
    CONSTRAINT invoice_counter_series_check CHECK (series IN ('INV', 'CN')),
    CONSTRAINT invoice_counter_digits_check CHECK (min_digits BETWEEN 1 AND 18),
    CONSTRAINT invoice_counter_prefix_check CHECK (length(prefix) <= 20 AND prefix !~ '[[:cntrl:]]' AND prefix !~ '[0-9]$')
);
COMMENT ON TABLE rr.invoice_counter IS 'the next document number per tenant and series (a locked counter, not a sequence, so numbers have no gaps) and the series'' format: a number is the prefix (default: the series and a hyphen) and the counter zero-padded to at least min_digits digits (default 6), never truncated: INV-000042, INV-999999, INV-1000000';
COMMENT ON COLUMN rr.invoice_counter.prefix IS 'text before the digits (at most 20 characters, no control characters, not ending in a digit); rr_admin may change it at any time: since no prefix ends in a digit, a number is the prefix of exactly one format followed by its counter, so numbers of different formats or widths never collide';
COMMENT ON COLUMN rr.invoice_counter.min_digits IS 'the counter is zero-padded to at least this many digits (1 to 18); wider numbers keep all their digits';

-- A document number: the prefix and the counter, zero-padded to at least min_digits digits
-- and never truncated.
CREATE FUNCTION rr_internal.document_number(prefix text, n bigint, min_digits integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT prefix OPERATOR(pg_catalog.||) pg_catalog.lpad(n::text, GREATEST(min_digits, pg_catalog.length(n::text)), '0');
END;
COMMENT ON FUNCTION rr_internal.document_number(text, bigint, integer) IS 'internal: a document number, the prefix and n zero-padded to at least min_digits digits (never truncated)';
REVOKE ALL ON FUNCTION rr_internal.document_number(text, bigint, integer) FROM PUBLIC;


CREATE INDEX charge_run_idx ON rr.charge (tenant_id, run_id);
CREATE INDEX invoice_contract_idx ON rr.invoice (tenant_id, contract_id);
-- what a run wrote, and the drafts posting picks up, are found by index whatever the
-- statistics say (a new table has none)
CREATE INDEX invoice_run_idx ON rr.invoice (tenant_id, run_id);
CREATE INDEX invoice_draft_idx ON rr.invoice (tenant_id, series, invoice_date) WHERE status = 'draft';

CREATE TABLE rr.discount (
    tenant_id     text NOT NULL,
    discount_id   bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id   bigint NOT NULL,
    line_no       integer,
    kind          text NOT NULL,
    value         numeric NOT NULL,
    first_periods integer,
    valid         daterange,
    account       text NOT NULL DEFAULT '4950',
    description   text,
    CONSTRAINT discount_pkey PRIMARY KEY (tenant_id, discount_id),
    CONSTRAINT discount_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT discount_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT discount_kind_check CHECK (kind IN ('percent', 'amount')),
    CONSTRAINT discount_value_check CHECK (value > 0 AND (kind = 'amount' OR value <= 100)),
    CONSTRAINT discount_periods_check CHECK (first_periods > 0),
    CONSTRAINT discount_valid_check CHECK (NOT isempty(valid)),
    CONSTRAINT discount_limit_check CHECK (rr.check_number('discount value', value)
                                           AND rr.check_date('discount start date', lower(valid))
                                           AND rr.check_date('discount end date', upper(valid) - 1))
);
COMMENT ON TABLE rr.discount IS 'discount agreements on a contract: percent off or an amount off each billing period, on one line (line_no) or on the whole contract (line_no NULL: a percent applies to every recurring line, an amount per contract billing period is split over the lines billed in it with rr.allocate), for the first N periods and/or between dates; each discount is its own invoice line, posted to its account (default 4950 Discounts)';
COMMENT ON COLUMN rr.discount.value IS 'percent (0 to 100) or amount per billing period in the contract currency';

-- A discount agreement on a contract, recorded in its event log.
CREATE FUNCTION rr.add_discount(contract_id bigint, kind text, value numeric, line_no integer DEFAULT NULL,
                                first_periods integer DEFAULT NULL, valid daterange DEFAULT NULL,
                                description text DEFAULT NULL, account text DEFAULT '4950')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'add a discount to',
                                            ARRAY['draft', 'pending_activation', 'active', 'pending_upgrade']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    id bigint;
BEGIN
    IF add_discount.line_no IS NOT NULL AND NOT EXISTS (
           SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id
              AND l.line_no = add_discount.line_no) THEN
        RAISE EXCEPTION 'contract % has no line %', c.contract_id, add_discount.line_no USING ERRCODE = '22023';
    END IF;
    IF kind = 'amount' AND value <> round(value, rr.minor_units(c.currency::text)) THEN
        RAISE EXCEPTION 'discount amount % is not a whole number of % minor units', value, c.currency
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO rr.discount (tenant_id, contract_id, line_no, kind, value, first_periods, valid, account, description)
    VALUES (c.tenant_id, c.contract_id, add_discount.line_no, add_discount.kind, add_discount.value,
            add_discount.first_periods, add_discount.valid, add_discount.account, add_discount.description)
    RETURNING discount_id INTO id;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'add_discount', lower(valid),
                                  coalesce(description, format('%s %s off', value, kind)), before);
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr.add_discount(bigint, text, numeric, integer, integer, daterange, text, text) IS 'adds a discount agreement to a contract: kind percent or amount (per billing period), on one line or the whole contract, for the first N periods and/or between dates; logged in the contract''s events';

-- Posted documents are frozen: lines, amounts, numbers and dates never change, for any role.
CREATE FUNCTION rr_internal.freeze_posted_invoice()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    posted boolean;
    id bigint;
BEGIN
    IF TG_TABLE_NAME = 'invoice' THEN
        posted := OLD.status = 'posted';
        id := OLD.invoice_id;
    ELSE
        id := OLD.invoice_id;
        SELECT i.status = 'posted' INTO posted FROM rr.invoice i
         WHERE i.tenant_id = OLD.tenant_id AND i.invoice_id = id;
    END IF;
    IF posted THEN
        RAISE EXCEPTION 'cannot % posted invoice %', lower(TG_OP), id
            USING ERRCODE = '55000',
                  DETAIL = 'The lines, amounts, number and dates of a posted invoice never change.',
                  HINT = 'Correct a posted invoice with a credit note.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION rr_internal.freeze_posted_invoice() IS 'trigger function: refuses changes to posted invoices and their lines';

CREATE TRIGGER invoice_frozen
    BEFORE UPDATE OR DELETE ON rr.invoice
    FOR EACH ROW EXECUTE FUNCTION rr_internal.freeze_posted_invoice();
-- Lines are added only by rr_internal.bill, to the drafts it has just created (no role may insert
-- invoice lines); a trigger on INSERT would also refuse pg_restore, which reloads the
-- lines of posted invoices.
CREATE TRIGGER invoice_line_frozen
    BEFORE UPDATE OR DELETE ON rr.invoice_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.freeze_posted_invoice();

-- The anchor of a contract's billing periods: its billing start (anniversary), or the
-- calendar (months, quarters, years from 2000-01-01; weeks and day counts from Monday
-- 2000-01-03).
CREATE FUNCTION rr.billing_anchor(alignment text, bill_from date, every interval)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN alignment = 'anniversary' THEN bill_from
            WHEN extract(month FROM every) + extract(year FROM every) * 12 > 0 THEN date '2000-01-01'
            ELSE date '2000-01-03' END;
COMMENT ON FUNCTION rr.billing_anchor(text, date, interval) IS 'anchor of a contract''s billing periods: the billing start for anniversary alignment; 2000-01-01 (calendar months, quarters, years) or Monday 2000-01-03 (weeks, day counts) for calendar alignment';

-- Every contract with its billing terms resolved: the billing interval, the window it is
-- billed for (from its billing start to the end of the term or its termination), its
-- currency's minor units, and whether billing looks at it at all.  (Expressions written
-- out rather than calls to rr.minor_units, rr.billing_interval and rr.billing_anchor: a
-- function with a pinned search_path costs a GUC save and restore per row, which
-- dominated the billing run; a view is inlined.)
CREATE VIEW rr.contract_billing_terms WITH (security_invoker = true) AS
SELECT k.tenant_id, k.contract_id, k.customer, k.status, k.currency, k.alignment, k.end_date, k.activation_date,
       CASE k.billing_period
           WHEN 'year' THEN interval '1 year' WHEN 'half_year' THEN interval '6 months'
           WHEN 'quarter' THEN interval '3 months' WHEN 'month' THEN interval '1 month'
           WHEN 'week' THEN interval '7 days' WHEN 'custom_days' THEN make_interval(days => k.billing_days)
       END AS contract_every,
       CASE k.billing_start WHEN 'setup' THEN k.setup_date ELSE k.activation_date END AS bill_from,
       least(k.termination_date, k.end_date) AS bill_to,
       cur.minor_units AS mu,
       k.activation_date IS NOT NULL
           AND k.status IN ('active', 'pending_upgrade', 'terminated', 'expired', 'completed') AS is_billed,
       k.termination_date, k.refund_policy
  FROM rr.contract k
  JOIN rr.currency cur ON cur.code = k.currency;
COMMENT ON VIEW rr.contract_billing_terms IS 'every contract with its billing terms resolved: billing interval, the window it is billed for [bill_from, bill_to) (billing start to the end of the term or the termination date), currency minor units, and is_billed (activated, and not draft or pending); what billing, usage rating and usage ingestion read';

-- Everything due by as_of for the tenant's contracts (or one of them), charged or not yet.
-- What is already charged is returned as it is; what is due and not charged yet, as new
-- charges; and where a change dated inside a charged period (a termination, a new line
-- version) makes the charged amount of a line version and billing period differ from what
-- its terms now come to, a correction: the difference, under the next adjustment sequence
-- of the charge key, for the days it concerns (docs/billing.md, "Changes inside billed
-- periods").
CREATE FUNCTION rr_internal.due_charges(tenant_id text, as_of date, only_contract bigint DEFAULT NULL)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date, discount_id bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH c AS (
        SELECT c.* FROM rr.contract_billing_terms c
         WHERE c.tenant_id = due_charges.tenant_id AND c.is_billed
           AND (due_charges.only_contract IS NULL OR c.contract_id = due_charges.only_contract)
    ), v AS (
        SELECT l.*, c.currency, c.alignment, c.end_date, c.activation_date, c.bill_from, c.bill_to, c.mu,
               c.contract_every, c.termination_date, c.refund_policy,
               CASE WHEN c.alignment = 'anniversary' THEN c.bill_from
                    WHEN extract(month FROM c.contract_every) + extract(year FROM c.contract_every) * 12 > 0
                        THEN date '2000-01-01' ELSE date '2000-01-03' END AS contract_anchor,
               ci.billing_type, ci.prorate_setup, ci.collect_renewal_on_activation, ci.is_refundable,
               ci.deposit_amount, ci.setup_item, ci.renewal_item, ci.recurring_item,
               lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to,
               min(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no) AS first_from,
               CASE WHEN c.alignment = 'anniversary' THEN c.bill_from
                    WHEN extract(month FROM l.billing_period) + extract(year FROM l.billing_period) * 12 > 0
                        THEN date '2000-01-01' ELSE date '2000-01-03' END AS anchor
          FROM c
          JOIN rr.contract_line l ON l.tenant_id = due_charges.tenant_id AND l.contract_id = c.contract_id
          JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
    ), recurring AS (
        -- each billing period of each line version, clipped to the version and the term
        SELECT v.contract_id, v.line_no, v.effective_from, v.billing_type, v.quantity, v.recurring_price,
               v.mu, v.contract_every, v.contract_anchor, p AS service_period,
               rr.period_containing(lower(p), v.billing_period, v.anchor) AS full_period,
               -- the period a termination cuts short: its refund policy decides (prepaid lines)
               v.termination_date IS NOT NULL AND upper(p) = v.termination_date
                   AND v.termination_date < coalesce(v.end_date, 'infinity') AS is_cut,
               v.refund_policy
          FROM v
          CROSS JOIN LATERAL rr.billing_periods(
                   greatest(v.bill_from, v.effective_from),
                   least(v.valid_to, v.bill_to,
                         upper(rr.period_containing(due_charges.as_of, v.billing_period, v.anchor))),
                   v.billing_period, v.anchor) AS p
         WHERE NOT v.is_removed
           AND v.billing_type IN ('prepaid', 'postpaid')
           AND v.price_model IS NULL
           AND v.billing_period IS NOT NULL
           AND v.recurring_price IS NOT NULL
    ), billed AS (
        -- what is charged per line version and billing period, corrections included: the net
        -- amount, the last adjustment sequence, the first charge, and the days still billed
        -- (the first charge's, up to the first day an earlier correction credited)
        SELECT b.contract_id, b.line_no, b.line_effective_from, b.full_period, min(b.billing_type) AS billing_type,
               sum(b.amount) AS amount, max(b.adjustment_seq) AS seq,
               (array_agg(b.service_period) FILTER (WHERE b.adjustment_seq = 0))[1] AS first_period,
               sum(b.amount) FILTER (WHERE b.adjustment_seq = 0) AS first_amount,
               min(b.quantity) FILTER (WHERE b.adjustment_seq = 0) AS quantity,
               min(b.unit_price) FILTER (WHERE b.adjustment_seq = 0) AS unit_price,
               least(max(upper(b.service_period)) FILTER (WHERE b.adjustment_seq = 0),
                     min(lower(b.service_period)) FILTER (WHERE b.adjustment_seq > 0 AND lower(b.service_period) > b.first_lo))
                   AS covered_to
          FROM (SELECT x.*, min(lower(x.service_period)) FILTER (WHERE x.adjustment_seq = 0)
                                OVER (PARTITION BY x.contract_id, x.line_no, x.line_effective_from, x.full_period) AS first_lo
                  FROM (SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.service_period, ch.adjustment_seq,
                               ch.amount, ch.quantity, ch.unit_price, v.billing_type,
                               rr.period_containing(lower(ch.service_period), v.billing_period, v.anchor) AS full_period
                          FROM rr.charge ch
                          JOIN v ON v.contract_id = ch.contract_id AND v.line_no = ch.line_no
                                AND v.effective_from = ch.line_effective_from
                         WHERE ch.tenant_id = due_charges.tenant_id AND ch.kind = 'recurring') x) b
         GROUP BY b.contract_id, b.line_no, b.line_effective_from, b.full_period
    ), priced AS (
        SELECT r.*,
               -- the line's n-th billing period (a period split by a line version or a
               -- termination is still one period) and the first day of it the line is billed
               dense_rank() OVER (PARTITION BY r.contract_id, r.line_no ORDER BY lower(r.full_period)) AS k,
               min(lower(r.service_period)) OVER (PARTITION BY r.contract_id, r.line_no, r.full_period) AS period_start,
               CASE WHEN r.service_period = r.full_period THEN round(r.quantity * r.recurring_price, r.mu)
                    ELSE rr.prorate_amount(r.quantity * r.recurring_price, r.service_period, r.full_period,
                                           'actual', r.mu) END AS amount,
               CASE r.billing_type WHEN 'prepaid' THEN lower(r.service_period) ELSE upper(r.service_period) END AS due
          FROM recurring r
    ), target AS (
        -- what each line version's billing period comes to now: its days prorated and rounded
        -- once; for the prepaid period a termination cuts short, the refund policy: none keeps
        -- what was billed, full credits it all, prorated credits the days after the end.
        -- Discounts apply to what the period comes to now (its days under the version's
        -- terms); under policy none to what the period keeps, over the days it was billed for.
        SELECT p.*, b.amount AS billed_amount,
               CASE WHEN p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'full' THEN 0
                    WHEN p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'none'
                        THEN coalesce(b.amount, p.amount)
                    ELSE p.amount END AS target,
               CASE WHEN p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'none'
                         AND b.covered_to > upper(p.service_period)
                        THEN daterange(lower(p.service_period), b.covered_to)
                    ELSE p.service_period END AS discount_period
          FROM priced p
          LEFT JOIN billed b ON b.contract_id = p.contract_id AND b.line_no = p.line_no
                            AND b.line_effective_from = p.effective_from AND b.full_period = p.full_period
    ), line_discount AS (
        -- the discounts of a line version and period, in a fixed order: percents first, which
        -- add up (at most 100 % in all); then amounts in the order they were added, each on
        -- what the line has left.  Each is the difference of the rounded running totals, so
        -- the discounts add up exactly and never take the line below zero.
        SELECT s.*,
               CASE s.kind
                   WHEN 'percent' THEN round(s.amount * least(s.pct_cum - s.value, 100) / 100, s.mu)
                                       - round(s.amount * least(s.pct_cum, 100) / 100, s.mu)
                   ELSE least(s.after_pct, s.amt_cum - s.off) - least(s.after_pct, s.amt_cum) END AS part
          FROM (SELECT o.*,
                       sum(CASE o.kind WHEN 'percent' THEN o.value ELSE 0 END) OVER w AS pct_cum,
                       sum(o.off) OVER w AS amt_cum,
                       greatest(o.amount - round(o.amount * least(sum(CASE o.kind WHEN 'percent' THEN o.value ELSE 0 END)
                                                                      OVER (PARTITION BY o.contract_id, o.line_no,
                                                                                         o.effective_from, o.full_period),
                                                                  100) / 100, o.mu), 0) AS after_pct
                  FROM (SELECT p.contract_id, p.line_no, p.effective_from, p.full_period,
                               p.discount_period AS service_period, p.due, p.billing_type,
                               p.mu, p.target AS amount, d.discount_id, d.kind, d.value,
                               CASE WHEN d.kind = 'percent' THEN 0
                                    WHEN p.discount_period = p.full_period THEN d.value
                                    ELSE rr.prorate_amount(d.value, p.discount_period, p.full_period, 'actual', p.mu)
                               END AS off
                          FROM target p
                          JOIN rr.discount d ON d.tenant_id = due_charges.tenant_id AND d.contract_id = p.contract_id
                                            AND (d.line_no = p.line_no OR (d.line_no IS NULL AND d.kind = 'percent'))
                                            AND (d.first_periods IS NULL OR p.k <= d.first_periods)
                                            AND (d.valid IS NULL OR d.valid @> p.period_start)) o
                WINDOW w AS (PARTITION BY o.contract_id, o.line_no, o.effective_from, o.full_period
                             ORDER BY o.kind = 'amount', o.discount_id)) s
    ), line_left AS (
        -- what each line version and period has left after its own discounts
        SELECT p.*, p.target + coalesce(ld.taken, 0) AS left_amount
          FROM target p
          LEFT JOIN (SELECT ld.contract_id, ld.line_no, ld.effective_from, ld.full_period, sum(ld.part) AS taken
                       FROM line_discount ld
                      GROUP BY ld.contract_id, ld.line_no, ld.effective_from, ld.full_period) ld
                 ON ld.contract_id = p.contract_id AND ld.line_no = p.line_no
                AND ld.effective_from = p.effective_from AND ld.full_period = p.full_period
    ), contract_amount_discount AS (
        -- an amount off per contract billing period, split over what the lines billed in it
        -- have left after their own discounts; several apply in the order they were added,
        -- each on what is left (the running total, capped by what the lines have left, is
        -- split, and each discount takes the difference)
        SELECT g.contract_id, g.discount_id, x.line_no, x.effective_from, x.full_period, x.service_period,
               x.upto - x.before AS part, x.due, x.billing_type
          FROM (SELECT g0.*,
                       sum(g0.cap) OVER (PARTITION BY g0.contract_id, g0.contract_period ORDER BY g0.discount_id) AS cap_cum
                  FROM (SELECT p.contract_id, d.discount_id, p.mu, d.value AS cap, d.first_periods,
                               rr.period_containing(p.period_start, p.contract_every, p.contract_anchor) AS contract_period,
                               array_agg(p.line_no ORDER BY p.line_no, lower(p.discount_period)) AS nos,
                               array_agg(p.effective_from ORDER BY p.line_no, lower(p.discount_period)) AS efs,
                               array_agg(p.full_period ORDER BY p.line_no, lower(p.discount_period)) AS fps,
                               array_agg(p.discount_period ORDER BY p.line_no, lower(p.discount_period)) AS sps,
                               array_agg(p.due ORDER BY p.line_no, lower(p.discount_period)) AS dues,
                               array_agg(p.billing_type ORDER BY p.line_no, lower(p.discount_period)) AS bts,
                               array_agg(p.left_amount ORDER BY p.line_no, lower(p.discount_period)) AS amounts,
                               sum(p.left_amount) AS total,
                               dense_rank() OVER (PARTITION BY p.contract_id, d.discount_id
                                                  ORDER BY rr.period_containing(p.period_start, p.contract_every, p.contract_anchor)) AS pk
                          FROM line_left p
                          JOIN rr.discount d ON d.tenant_id = due_charges.tenant_id AND d.contract_id = p.contract_id
                                            AND d.line_no IS NULL AND d.kind = 'amount'
                                            AND (d.valid IS NULL OR d.valid @> p.period_start)
                         WHERE p.contract_every IS NOT NULL
                         GROUP BY p.contract_id, d.discount_id, d.value, d.first_periods, p.mu,
                                  rr.period_containing(p.period_start, p.contract_every, p.contract_anchor)
                        HAVING sum(p.left_amount) > 0) g0
                 WHERE g0.pk <= coalesce(g0.first_periods, 2147483647)) g
          CROSS JOIN LATERAL unnest(g.nos, g.efs, g.fps, g.sps, g.dues, g.bts,
                                    rr.allocate(-least(g.cap_cum - g.cap, g.total), g.amounts, g.mu),
                                    rr.allocate(-least(g.cap_cum, g.total), g.amounts, g.mu))
                     AS x(line_no, effective_from, full_period, service_period, due, billing_type, before, upto)
    ), discount_due AS (
        -- every discount of every line version and period, as its terms are now
        SELECT ld.contract_id, ld.line_no, ld.effective_from, ld.full_period, ld.service_period, ld.discount_id,
               CASE ld.kind WHEN 'percent' THEN ld.value END AS unit_price, ld.part, ld.due, ld.billing_type
          FROM line_discount ld
        UNION ALL
        SELECT a.contract_id, a.line_no, a.effective_from, a.full_period, a.service_period, a.discount_id,
               NULL, a.part, a.due, a.billing_type
          FROM contract_amount_discount a
    ), discount_billed AS (
        -- what is charged per discount, line version and period, corrections included; the
        -- discount of a correction is in its detail (its adjustment sequence is negative:
        -- the next free one of the line version and period)
        SELECT x.contract_id, x.line_no, x.line_effective_from, x.full_period, x.discount_id, x.billing_type,
               sum(x.amount) AS amount,
               (array_agg(x.service_period) FILTER (WHERE x.adjustment_seq > 0))[1] AS first_period,
               min(x.low_seq) AS low_seq
          FROM (SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.service_period, ch.adjustment_seq,
                       ch.amount, v.billing_type,
                       coalesce((ch.detail->>'discount_id')::bigint, ch.adjustment_seq) AS discount_id,
                       rr.period_containing(lower(ch.service_period), v.billing_period, v.anchor) AS full_period,
                       min(least(ch.adjustment_seq, 0)) OVER (PARTITION BY ch.contract_id, ch.line_no, ch.line_effective_from,
                                                                           rr.period_containing(lower(ch.service_period),
                                                                                                v.billing_period, v.anchor))
                           AS low_seq
                  FROM rr.charge ch
                  JOIN v ON v.contract_id = ch.contract_id AND v.line_no = ch.line_no
                        AND v.effective_from = ch.line_effective_from
                 WHERE ch.tenant_id = due_charges.tenant_id AND ch.kind = 'discount'
                   AND (due_charges.only_contract IS NULL OR ch.contract_id = due_charges.only_contract)) x
         GROUP BY x.contract_id, x.line_no, x.line_effective_from, x.full_period, x.discount_id, x.billing_type
    ), discount_fix AS (
        -- the difference between what a discount of a charged line version and period comes
        -- to now and what was charged for it, for the days from the first day that changed
        SELECT b.contract_id, b.line_no, b.line_effective_from, b.discount_id, b.billing_type,
               b.low_seq - row_number() OVER (PARTITION BY b.contract_id, b.line_no, b.line_effective_from, b.full_period
                                              ORDER BY b.discount_id DESC) AS seq,
               dd.unit_price, coalesce(dd.part, 0) - b.amount AS amount,
               CASE WHEN coalesce(dd.part, 0) <> 0
                         AND upper(dd.service_period) > lower(b.first_period) AND upper(dd.service_period) < upper(b.first_period)
                        THEN daterange(upper(dd.service_period), upper(b.first_period))
                    ELSE coalesce(b.first_period, dd.service_period) END AS service_period
          FROM discount_billed b
          LEFT JOIN discount_due dd ON dd.contract_id = b.contract_id AND dd.line_no = b.line_no
                                   AND dd.effective_from = b.line_effective_from AND dd.full_period = b.full_period
                                   AND dd.discount_id = b.discount_id
         WHERE coalesce(dd.part, 0) <> b.amount
    ), fee AS (
        -- setup fee: once per line, when its billing starts (prorated over the first billing
        -- period when the contract item says so); renewal fee collected on activation.  Their
        -- service period is the term, whatever a termination does later, so the key stays.
        SELECT v.contract_id, v.line_no, v.effective_from, 'setup' AS kind,
               daterange(greatest(v.bill_from, v.effective_from),
                         coalesce(v.end_date, greatest(v.bill_from, v.effective_from) + 1)) AS service_period,
               v.quantity, v.setup_price AS unit_price,
               CASE WHEN v.prorate_setup AND v.billing_period IS NOT NULL
                    THEN rr.prorate_amount(v.quantity * v.setup_price,
                                           daterange(greatest(v.bill_from, v.effective_from), NULL),
                                           rr.period_containing(greatest(v.bill_from, v.effective_from),
                                                                v.billing_period, v.anchor), 'actual', v.mu)
                    ELSE round(v.quantity * v.setup_price, v.mu) END AS amount,
               greatest(v.bill_from, v.effective_from) AS due, v.is_refundable, v.termination_date, v.refund_policy, v.mu
          FROM v
         WHERE v.effective_from = v.first_from AND NOT v.is_removed
           AND v.setup_item IS NOT NULL AND v.setup_price IS NOT NULL
           AND greatest(v.bill_from, v.effective_from) < coalesce(v.bill_to, 'infinity')
        UNION ALL
        SELECT v.contract_id, v.line_no, v.effective_from, 'renewal',
               daterange(v.activation_date, coalesce(v.end_date, v.activation_date + 1)),
               v.quantity, v.renewal_price, round(v.quantity * v.renewal_price, v.mu), v.activation_date,
               v.is_refundable, v.termination_date, v.refund_policy, v.mu
          FROM v
         WHERE v.effective_from = v.first_from AND NOT v.is_removed
           AND v.collect_renewal_on_activation AND v.renewal_price IS NOT NULL
    ), fee_target AS (
        -- a refundable fee of a contract terminated inside its term follows the refund
        -- policy: none keeps it, full credits it, prorated credits the days after the end
        SELECT f.*, b.amount AS billed_amount, b.seq,
               CASE WHEN f.is_refundable AND f.termination_date < upper(f.service_period) AND f.refund_policy = 'full'
                        THEN 0
                    WHEN f.is_refundable AND f.termination_date < upper(f.service_period) AND f.refund_policy = 'prorated'
                        THEN rr.prorate_amount(f.amount, daterange(lower(f.service_period),
                                                                   greatest(f.termination_date, lower(f.service_period))),
                                               f.service_period, 'actual', f.mu)
                    ELSE f.amount END AS target
          FROM fee f
          LEFT JOIN (SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, sum(ch.amount) AS amount,
                            max(ch.adjustment_seq) AS seq
                       FROM rr.charge ch
                      WHERE ch.tenant_id = due_charges.tenant_id AND ch.kind IN ('setup', 'renewal')
                      GROUP BY ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind) b
                 ON b.contract_id = f.contract_id AND b.line_no = f.line_no
                AND b.line_effective_from = f.effective_from AND b.kind = f.kind
    )
    -- what is charged already, as it is
    SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, ch.service_period, ch.adjustment_seq::bigint,
           ch.quantity, ch.unit_price, ch.amount, ch.due_date,
           CASE ch.kind WHEN 'discount' THEN coalesce((ch.detail->>'discount_id')::bigint, ch.adjustment_seq) END
      FROM rr.charge ch
     WHERE ch.tenant_id = due_charges.tenant_id AND ch.kind IN ('recurring', 'discount', 'setup', 'renewal')
       AND ch.contract_id IN (SELECT c.contract_id FROM c)
       AND ch.due_date <= due_charges.as_of
    UNION ALL
    -- recurring periods not charged yet (nothing for a period a full refund credits)
    SELECT p.contract_id, p.line_no, p.effective_from, 'recurring', p.service_period, 0::bigint, p.quantity,
           p.recurring_price, p.target, p.due, NULL::bigint
      FROM target p
     WHERE p.billed_amount IS NULL AND p.due <= due_charges.as_of
       AND NOT (p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'full')
    UNION ALL
    -- corrections of charged periods: the new amount less what is charged, for the days
    -- from the first day that changed to the last day still billed
    SELECT b.contract_id, b.line_no, b.line_effective_from, 'recurring', x.service_period, b.seq + 1,
           b.quantity, b.unit_price, coalesce(p.target, 0) - b.amount,
           CASE b.billing_type WHEN 'prepaid' THEN lower(x.service_period) ELSE upper(x.service_period) END, NULL
      FROM billed b
      LEFT JOIN target p ON p.contract_id = b.contract_id AND p.line_no = b.line_no
                        AND p.effective_from = b.line_effective_from AND p.full_period = b.full_period
     CROSS JOIN LATERAL (
         SELECT CASE WHEN coalesce(p.target, 0) <> 0
                          AND upper(p.service_period) > lower(b.first_period) AND upper(p.service_period) < b.covered_to
                         THEN daterange(upper(p.service_period), b.covered_to)
                     WHEN b.covered_to > lower(b.first_period) THEN daterange(lower(b.first_period), b.covered_to)
                     ELSE b.first_period END AS service_period) x
     WHERE coalesce(p.target, 0) <> b.amount
       AND CASE b.billing_type WHEN 'prepaid' THEN lower(x.service_period) ELSE upper(x.service_period) END
           <= due_charges.as_of
    UNION ALL
    -- discounts of a line version and period (a contract-wide percent applies to every
    -- line) not charged yet
    SELECT dd.contract_id, dd.line_no, dd.effective_from, 'discount', dd.service_period, dd.discount_id, NULL,
           dd.unit_price, dd.part, dd.due, dd.discount_id
      FROM discount_due dd
     WHERE dd.due <= due_charges.as_of AND dd.part <> 0
       AND NOT EXISTS (SELECT FROM discount_billed b
                        WHERE b.contract_id = dd.contract_id AND b.line_no = dd.line_no
                          AND b.line_effective_from = dd.effective_from AND b.full_period = dd.full_period
                          AND b.discount_id = dd.discount_id)
    UNION ALL
    -- and the corrections of charged ones
    SELECT f.contract_id, f.line_no, f.line_effective_from, 'discount', f.service_period, f.seq, NULL,
           f.unit_price, f.amount,
           CASE f.billing_type WHEN 'prepaid' THEN lower(f.service_period) ELSE upper(f.service_period) END,
           f.discount_id
      FROM discount_fix f
     WHERE CASE f.billing_type WHEN 'prepaid' THEN lower(f.service_period) ELSE upper(f.service_period) END
           <= due_charges.as_of
    UNION ALL
    -- setup and renewal fees not charged yet (nothing for a fee a full refund credits), and
    -- the refund of a charged one
    SELECT f.contract_id, f.line_no, f.effective_from, f.kind, f.service_period,
           coalesce(f.seq + 1, 0), f.quantity, f.unit_price, f.target - coalesce(f.billed_amount, 0),
           CASE WHEN f.seq IS NULL THEN f.due ELSE greatest(f.due, f.termination_date) END, NULL
      FROM fee_target f
     WHERE CASE WHEN f.seq IS NULL THEN f.due ELSE greatest(f.due, f.termination_date) END <= due_charges.as_of
       AND CASE WHEN f.seq IS NULL THEN f.target <> 0 OR f.amount = 0 ELSE f.target <> f.billed_amount END
    UNION ALL
    -- deposit: billed up front, for the term
    SELECT v.contract_id, v.line_no, v.effective_from, 'deposit',
           daterange(greatest(v.bill_from, v.effective_from),
                     coalesce(v.end_date, greatest(v.bill_from, v.effective_from) + 1)),
           0, 1, v.deposit_amount, v.deposit_amount, greatest(v.bill_from, v.effective_from), NULL
      FROM v
     WHERE v.effective_from = v.first_from AND NOT v.is_removed AND v.billing_type = 'deposit'
       AND greatest(v.bill_from, v.effective_from) <= due_charges.as_of
       AND greatest(v.bill_from, v.effective_from) < coalesce(v.bill_to, 'infinity');
END;
COMMENT ON FUNCTION rr_internal.due_charges(text, date, bigint) IS 'internal: rr.due_charges with the discount of each discount charge (a correction of a discount carries its discount here, and in the charge''s detail)';
REVOKE ALL ON FUNCTION rr_internal.due_charges(text, date, bigint) FROM PUBLIC;

CREATE FUNCTION rr.due_charges(tenant_id text, as_of date, only_contract bigint DEFAULT NULL)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq, d.quantity,
           d.unit_price, d.amount, d.due_date
      FROM rr_internal.due_charges(due_charges.tenant_id, due_charges.as_of, due_charges.only_contract) d;
END;
COMMENT ON FUNCTION rr.due_charges(text, date, bigint) IS 'every charge due by as_of for the tenant''s activated contracts (or one of them): what is charged already, as it is; recurring prepaid (due at the start of each period) and postpaid (due at its end) per line version and billing period, partial periods prorated by days and rounded once; setup fees when billing starts (prorated if the item says so); renewal fees collected on activation; deposits; and corrections of charged periods and fees that a termination (per its refund policy) or a new line version changed, under the next adjustment sequence';

-- Insert the due charges that do not exist yet and invoice them: one draft invoice per
-- contract.  Shared by rr.run_billing, rr.bill_contract and rr.preview_billing.
CREATE FUNCTION rr_internal.bill(tenant_id text, as_of date, only_contract bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint;
    locked bigint[];
BEGIN
    -- Lock the contracts first, in one statement and in contract_id order, and only then
    -- work out what is due, in the next statement (a new snapshot): so the run bills the
    -- terms committed when it got its locks.  FOR NO KEY UPDATE conflicts with the FOR
    -- UPDATE of the lifecycle functions (rr_internal.contract_for_action) and with other
    -- runs, so runs and changes of a contract take turns; plain readers and the KEY SHARE
    -- locks of foreign keys (invoices, charges) are not blocked.  A change committed while
    -- the run waited is billed under its new terms; a change that comes later waits for the
    -- run.  Every run locks in the same order and a change locks one contract, so they
    -- cannot deadlock.  Only the locked contracts are billed: one activated after the lock
    -- waits for the next run.
    SELECT coalesce(array_agg(k.contract_id), '{}') INTO locked
      FROM (SELECT k.contract_id FROM rr.contract k
             WHERE k.tenant_id = bill.tenant_id
               AND (bill.only_contract IS NULL OR k.contract_id = bill.only_contract)
               AND k.activation_date IS NOT NULL
               AND k.status IN ('active', 'pending_upgrade', 'terminated', 'expired', 'completed')
             ORDER BY k.contract_id
               FOR NO KEY UPDATE) k;

    INSERT INTO rr.billing_run (tenant_id, as_of, contract_id)
    VALUES (bill.tenant_id, bill.as_of, bill.only_contract)
    RETURNING run_id INTO run;

    -- Runs of one contract cannot overlap (the lock above), so ON CONFLICT is only the last
    -- guard of the charge key.
    WITH new_charge AS (
        INSERT INTO rr.charge (tenant_id, contract_id, line_no, line_effective_from, kind, service_period,
                               adjustment_seq, quantity, unit_price, amount, due_date, run_id, detail)
        SELECT bill.tenant_id, d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period,
               d.adjustment_seq, d.quantity, d.unit_price, d.amount, d.due_date, run, d.detail
          FROM (SELECT f.contract_id, f.line_no, f.line_effective_from, f.kind, f.service_period, f.adjustment_seq,
                       f.quantity, f.unit_price, f.amount, f.due_date,
                       -- a correction of a discount names its discount
                       CASE WHEN f.kind = 'discount' AND f.adjustment_seq < 0
                            THEN jsonb_build_object('discount_id', f.discount_id) END AS detail
                  FROM rr_internal.due_charges(bill.tenant_id, bill.as_of, bill.only_contract) f
                UNION ALL
                SELECT u.* FROM rr_internal.usage_charges(bill.tenant_id, bill.as_of, bill.only_contract) u) d
         WHERE d.contract_id IN (SELECT unnest(locked))
         ORDER BY d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq
        ON CONFLICT ON CONSTRAINT charge_key DO NOTHING
        RETURNING *
    ), new_invoice AS (
        INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
        SELECT bill.tenant_id, run, k.contract_id, k.bill_to, k.currency, bill.as_of
          FROM rr.contract k
         WHERE k.tenant_id = bill.tenant_id
           AND k.contract_id IN (SELECT n.contract_id FROM new_charge n)
         ORDER BY k.contract_id
        RETURNING invoice_id, contract_id
    )
    INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, charge_id, contract_line_no,
                                 line_effective_from, contract_item, item, service_period, quantity,
                                 unit_price, amount, credit_account, receivable_account, detail)
    SELECT bill.tenant_id, i.invoice_id,
           row_number() OVER (PARTITION BY i.invoice_id
                              ORDER BY n.line_no, lower(n.service_period), n.kind DESC, n.charge_id)::integer,
           n.kind, n.charge_id, n.line_no, n.line_effective_from, l.contract_item, it.code,
           n.service_period, n.quantity, n.unit_price, n.amount,
           CASE WHEN n.kind = 'discount' THEN dsc.account
                -- deposits and what draws them down or releases them: the deposit liability
                WHEN n.kind IN ('deposit', 'drawdown', 'release') THEN it.deferred_account
                WHEN n.kind = 'breakage' THEN coalesce(ci.breakage_account, it.revenue_account)
                -- usage is variable consideration, recognised as invoiced
                WHEN n.kind = 'usage' OR dc.method = 'immediate' THEN it.revenue_account
                ELSE it.deferred_account END,
           it.receivable_account, n.detail
      FROM new_charge n
      JOIN new_invoice i ON i.contract_id = n.contract_id
      JOIN rr.contract_line l ON l.tenant_id = bill.tenant_id AND l.contract_id = n.contract_id
                             AND l.line_no = n.line_no AND l.effective_from = n.line_effective_from
      JOIN rr.contract_item ci ON ci.tenant_id = bill.tenant_id AND ci.code = l.contract_item
      JOIN rr.item it ON it.tenant_id = bill.tenant_id
                     AND it.code = CASE n.kind WHEN 'setup' THEN ci.setup_item
                                               WHEN 'renewal' THEN ci.renewal_item
                                               ELSE ci.recurring_item END
      LEFT JOIN rr.deferral_code dc ON dc.tenant_id = bill.tenant_id AND dc.code = it.deferral_code
      LEFT JOIN rr.discount dsc ON n.kind = 'discount' AND dsc.tenant_id = bill.tenant_id
                               AND dsc.discount_id = coalesce((n.detail->>'discount_id')::bigint, n.adjustment_seq);

    PERFORM rr_internal.add_tax_lines(bill.tenant_id, run);
    PERFORM rr_internal.create_revenue_schedules(bill.tenant_id, run);
    RETURN run;
END
$$;
COMMENT ON FUNCTION rr_internal.bill(text, date, bigint) IS 'internal: one billing run: inserts the due charges not billed yet and one draft invoice per contract for them; returns the run id';

-- Tax: the tax code of a line is its item's, else its customer's; one tax line per
-- invoice and tax code, rounded once per invoice and code.  Exclusive rates add
-- round(Σ net × rate); inclusive rates take round(Σ gross × rate / (1 + rate)) out of the
-- lines, whose net amounts are then split with rr.allocate so that nets plus tax equal
-- the gross exactly.
CREATE FUNCTION rr_internal.add_tax_lines(tenant_id text, run bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    -- Driven by the run's invoices (index on run_id); the item, customer and tax code of
    -- each line are looked up by their keys, so no plan can loop over a whole table per row.
    WITH lt AS (
        SELECT l.invoice_id, l.line_no, l.amount, l.receivable_account, i.currency,
               coalesce((SELECT it.tax_code FROM rr.item it
                          WHERE it.tenant_id = add_tax_lines.tenant_id AND it.code = l.item),
                        (SELECT cu.tax_code FROM rr.customer cu
                          WHERE cu.tenant_id = add_tax_lines.tenant_id AND cu.code = i.customer)) AS tax_code
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id = add_tax_lines.tenant_id AND l.invoice_id = i.invoice_id
         WHERE i.tenant_id = add_tax_lines.tenant_id AND i.run_id = add_tax_lines.run
    ), g AS (
        SELECT lt.invoice_id, lt.tax_code, lt.currency, min(lt.receivable_account) AS receivable,
               sum(lt.amount) AS gross,
               array_agg(lt.line_no ORDER BY lt.line_no) AS line_nos,
               array_agg(lt.amount ORDER BY lt.line_no) AS amounts
          FROM lt
         WHERE lt.tax_code IS NOT NULL
         GROUP BY lt.invoice_id, lt.tax_code, lt.currency
    ), w AS (
        SELECT g.invoice_id, g.tax_code, x.is_inclusive, x.account, g.receivable, x.mu, g.gross,
               round(g.gross * CASE WHEN x.is_inclusive THEN x.rate / (1 + x.rate) ELSE x.rate END, x.mu) AS tax,
               g.line_nos, g.amounts
          FROM g
          CROSS JOIN LATERAL (SELECT tc.is_inclusive, tc.account, tc.rate,
                                     (SELECT cur.minor_units FROM rr.currency cur WHERE cur.code = g.currency) AS mu
                                FROM rr.tax_code tc
                               WHERE tc.tenant_id = add_tax_lines.tenant_id AND tc.code = g.tax_code) x
    ), net AS (
        UPDATE rr.invoice_line l
           SET tax_code = w.tax_code,
               amount = CASE WHEN w.is_inclusive AND w.gross > 0 THEN x.net ELSE l.amount END
          FROM w
          CROSS JOIN LATERAL unnest(w.line_nos,
                                    CASE WHEN w.is_inclusive AND w.gross > 0
                                         THEN rr.allocate(w.gross - w.tax, w.amounts, w.mu)
                                         ELSE w.amounts END) AS x(line_no, net)
         WHERE l.tenant_id = add_tax_lines.tenant_id AND l.invoice_id = w.invoice_id AND l.line_no = x.line_no
    )
    INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, amount, tax_code, credit_account, receivable_account)
    SELECT add_tax_lines.tenant_id, w.invoice_id,
           (SELECT max(l.line_no) FROM rr.invoice_line l WHERE l.tenant_id = add_tax_lines.tenant_id
                                                          AND l.invoice_id = w.invoice_id)
               + row_number() OVER (PARTITION BY w.invoice_id ORDER BY w.tax_code)::integer,
           'tax', w.tax, w.tax_code, w.account, w.receivable
      FROM w
     WHERE w.tax <> 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.add_tax_lines(text, bigint) IS 'internal: adds one tax line per invoice and tax code to the invoices of a billing run (rounded once per invoice and code; tax-inclusive lines become net, split exactly with rr.allocate)';

-- What a run created, as rows.
CREATE FUNCTION rr_internal.billing_run_invoices(tenant_id text, run bigint)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT i.invoice_id, i.contract_id, i.customer, i.currency, count(l.line_no), coalesce(sum(l.amount), 0)
      FROM rr.invoice i
      LEFT JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
     WHERE i.tenant_id = billing_run_invoices.tenant_id AND i.run_id = billing_run_invoices.run
     GROUP BY i.tenant_id, i.invoice_id
     ORDER BY i.invoice_id;
END;
COMMENT ON FUNCTION rr_internal.billing_run_invoices(text, bigint) IS 'internal: the invoices a billing run created, with their line count and total';

CREATE FUNCTION rr.run_billing(as_of date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    run := rr_internal.bill(t, as_of, NULL);
    RETURN QUERY SELECT * FROM rr_internal.billing_run_invoices(t, run);
END
$$;
COMMENT ON FUNCTION rr.run_billing(date) IS 'bills everything due by as_of for every contract of the current tenant, in set-based statements; idempotent and safe to run concurrently; returns the draft invoices it created';

-- Refuse on-demand billing of a contract that cannot be billed.
CREATE FUNCTION rr_internal.check_billable(tenant_id text, contract_id bigint, as_of date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO c FROM rr.contract k WHERE k.tenant_id = check_billable.tenant_id AND k.contract_id = check_billable.contract_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % does not exist', contract_id
            USING ERRCODE = 'P0002', HINT = 'Contract ids are per tenant; check rr.tenant and the contract id.';
    ELSIF c.status NOT IN ('active', 'pending_upgrade') THEN
        RAISE EXCEPTION 'cannot bill contract %: its status is "%"', c.contract_id, c.status
            USING ERRCODE = '55000',
                  HINT = CASE WHEN c.status IN ('draft', 'pending_activation')
                              THEN 'Activate the contract first.'
                              ELSE 'Charges still due on a closed contract are billed by rr.run_billing.' END;
    ELSIF as_of < c.start_date THEN
        RAISE EXCEPTION 'billing date % is before the start of contract %', as_of, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract starts on %s.', c.start_date);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_billable(text, bigint, date) IS 'internal: refuses on-demand billing of an unknown, draft, pending or closed contract, or before its start';

CREATE FUNCTION rr.bill_contract(id bigint, as_of date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
BEGIN
    PERFORM rr_internal.check_billable(t, id, as_of);
    run := rr_internal.bill(t, as_of, id);
    RETURN QUERY SELECT * FROM rr_internal.billing_run_invoices(t, run);
END
$$;
COMMENT ON FUNCTION rr.bill_contract(bigint, date) IS 'bills one active contract on demand: everything due by as_of that is not billed yet; returns the draft invoice it created (none if nothing was due)';

-- Preview: the same code path, rolled back.
CREATE FUNCTION rr.preview_billing(as_of date DEFAULT current_date, only_contract bigint DEFAULT NULL)
RETURNS TABLE (contract_id bigint, customer text, line_no integer, kind text, contract_item text,
               service_period daterange, quantity numeric, unit_price numeric, amount numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
BEGIN
    IF only_contract IS NOT NULL THEN
        PERFORM rr_internal.check_billable(t, only_contract, as_of);
    ELSIF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    BEGIN
        run := rr_internal.bill(t, as_of, only_contract);
        -- The rows go straight to the function's result, a tuplestore that spills to disk
        -- beyond work_mem and belongs to the function, not to this block, so it outlives
        -- the rollback: the preview keeps no copy of the lines in memory (it used to build
        -- one jsonb value of them all).
        RETURN QUERY
        SELECT i.contract_id, i.customer, l.line_no, l.kind, l.contract_item, l.service_period, l.quantity,
               l.unit_price, l.amount
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = i.invoice_id
         WHERE i.tenant_id = t AND i.run_id = run
         ORDER BY i.contract_id, l.line_no;
        RAISE EXCEPTION USING ERRCODE = 'RRPVW', MESSAGE = 'preview rollback';
    EXCEPTION WHEN SQLSTATE 'RRPVW' THEN
        NULL;   -- everything the run wrote is rolled back with the block
    END;
END
$$;
COMMENT ON FUNCTION rr.preview_billing(date, bigint) IS 'what rr.run_billing (or rr.bill_contract, with only_contract) would invoice by as_of: the same code path, run in a subtransaction that is rolled back, leaving nothing behind';

-- Posting: gapless numbers, due dates, journal entries, in set-based statements.
CREATE FUNCTION rr.post_invoices(as_of date DEFAULT current_date, series text DEFAULT 'INV')
RETURNS TABLE (invoice_id bigint, number text, customer text, invoice_date date, due_date date, total numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    first_number bigint;
    pfx text;
    digits integer;
    empty_invoice bigint;
    n bigint;
    d date;
    dates date[] := '{}';
    periods date[] := '{}';
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'posting date must not be NULL' USING ERRCODE = '22004';
    ELSIF series IS DISTINCT FROM 'INV' AND series IS DISTINCT FROM 'CN' THEN
        RAISE EXCEPTION 'unknown invoice series "%"', series
            USING ERRCODE = '22023', HINT = 'The series are INV (invoices) and CN (credit notes).';
    END IF;
    PERFORM rr.check_date('posting date', as_of);
    -- the counter row is the lock that serialises posting for the tenant and series
    INSERT INTO rr.invoice_counter (tenant_id, series, prefix)
    VALUES (t, post_invoices.series, post_invoices.series || '-') ON CONFLICT DO NOTHING;
    SELECT c.next_number, c.prefix, c.min_digits INTO first_number, pfx, digits
      FROM rr.invoice_counter c WHERE c.tenant_id = t AND c.series = post_invoices.series FOR UPDATE;

    SELECT i.invoice_id INTO empty_invoice
      FROM rr.invoice i
     WHERE i.tenant_id = t AND i.status = 'draft' AND i.invoice_date <= as_of AND i.series = post_invoices.series
       AND NOT EXISTS (SELECT FROM rr.invoice_line l WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot post invoice %: it has no lines', empty_invoice
            USING ERRCODE = '55000', HINT = 'Delete the empty draft, or undo the billing run that created it.';
    END IF;

    -- The drafts to post, numbered in (date, id) order with their entry ids drawn up front,
    -- staged in an indexed, analysed work table: every later statement is driven by it and
    -- reaches the invoices and their lines by primary key, so no plan can go quadratic,
    -- whatever statistics the invoice tables have.
    IF rr_internal.claim_work_table('rr_post') THEN
        CREATE TEMP TABLE rr_post (invoice_id bigint PRIMARY KEY, k bigint NOT NULL, entry_id bigint NOT NULL,
                                   invoice_date date NOT NULL, contract_id bigint, currency char(3), doc_type text,
                                   terms integer, period_start date) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_post;
    INSERT INTO rr_post (invoice_id, k, entry_id, invoice_date, contract_id, currency, doc_type, terms)
    SELECT x.invoice_id, x.k, nextval(pg_get_serial_sequence('rr.journal_entry', 'entry_id')), x.invoice_date,
           x.contract_id, x.currency, x.doc_type,
           (SELECT k.payment_terms_days FROM rr.contract k WHERE k.tenant_id = t AND k.contract_id = x.contract_id)
      FROM (SELECT i.invoice_id, i.invoice_date, i.contract_id, i.currency, i.doc_type,
                   row_number() OVER (ORDER BY i.invoice_date, i.invoice_id) - 1 AS k
              FROM (SELECT i.invoice_id, i.invoice_date, i.contract_id, i.currency, i.doc_type FROM rr.invoice i
                     WHERE i.tenant_id = t AND i.status = 'draft' AND i.invoice_date <= as_of
                       AND i.series = post_invoices.series
                       FOR UPDATE) i) x
     ORDER BY x.k;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN;
    END IF;
    ANALYZE rr_post;
    -- one period lookup per posting date, not per document, in date order (the calendar
    -- is extended forward from the tenant's last period)
    FOR d IN SELECT DISTINCT p.invoice_date FROM rr_post p ORDER BY 1 LOOP
        dates := dates || d;
        periods := periods || rr_internal.posting_period(t, d);
    END LOOP;
    UPDATE rr_post p SET period_start = x.period_start
      FROM unnest(dates, periods) AS x (invoice_date, period_start)
     WHERE p.invoice_date = x.invoice_date;

    INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
    SELECT t, p.entry_id, p.invoice_date, p.period_start, p.doc_type, p.invoice_id,
           CASE p.doc_type WHEN 'invoice' THEN 'Invoice ' ELSE 'Credit note ' END
               || rr_internal.document_number(pfx, first_number + p.k, digits)
      FROM rr_post p
     ORDER BY p.entry_id;

    UPDATE rr.invoice i
       SET status = 'posted',
           number = rr_internal.document_number(pfx, first_number + p.k, digits),
           due_date = i.invoice_date + p.terms,
           posted_at = now(), journal_entry_id = p.entry_id
      FROM rr_post p
     WHERE i.tenant_id = t AND i.invoice_id = p.invoice_id;

    -- Dr receivable / Cr deferred revenue or revenue, per account; all lines of all the
    -- entries in one statement (checked balanced at its end)
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id)
    SELECT t, a.entry_id, row_number() OVER (PARTITION BY a.entry_id ORDER BY a.side, a.account)::integer,
           a.account, greatest(a.amount, 0), greatest(-a.amount, 0), a.currency, a.contract_id
      FROM (SELECT p.entry_id, x.side, x.account, sum(x.amount) AS amount, p.currency, p.contract_id
              FROM rr_post p
              JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = p.invoice_id
             CROSS JOIN LATERAL (VALUES (1, l.receivable_account, l.amount), (2, l.credit_account, -l.amount))
                        AS x(side, account, amount)
             GROUP BY p.entry_id, x.side, x.account, p.currency, p.contract_id) a
     WHERE a.amount <> 0;

    UPDATE rr.invoice_counter c SET next_number = c.next_number + n
     WHERE c.tenant_id = t AND c.series = post_invoices.series;

    RETURN QUERY
    SELECT i.invoice_id, i.number, i.customer, i.invoice_date, i.due_date,
           (SELECT sum(l.amount) FROM rr.invoice_line l WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id)
      FROM rr_post p
      JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = p.invoice_id
     ORDER BY i.invoice_id;
END
$$;
COMMENT ON FUNCTION rr.post_invoices(date, text) IS 'posts every draft invoice of the current tenant dated up to as_of: gapless numbers of the series (the counter row is locked for the statement), due dates from the payment terms, and one balanced journal entry per invoice (Dr receivable, Cr deferred revenue or revenue per item), into the fiscal period of the invoice date or the first open one after it';

-- Credit notes: they mirror the lines they credit with negative amounts and are posted at
-- once in series CN (a journal entry reversing the invoice's: Dr the revenue, deferred
-- revenue and tax accounts, Cr receivable).  Full: everything still creditable; by lines:
-- those lines in full plus their share of the tax; by amount: the amount split over the
-- creditable lines, tax lines included, with rr.allocate.
CREATE FUNCTION rr.credit_invoice(invoice_id bigint, amount numeric DEFAULT NULL, lines integer[] DEFAULT NULL,
                                  reason text DEFAULT NULL, credit_date date DEFAULT current_date)
RETURNS TABLE (credit_note_id bigint, number text, total numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    inv rr.invoice;
    mu integer;
    creditable numeric;
    cn bigint;
BEGIN
    SELECT * INTO inv FROM rr.invoice i
     WHERE i.tenant_id = t AND i.invoice_id = credit_invoice.invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', credit_invoice.invoice_id USING ERRCODE = 'P0002';
    ELSIF inv.doc_type <> 'invoice' THEN
        RAISE EXCEPTION 'document % is a credit note', inv.number
            USING ERRCODE = '22023', HINT = 'Credit the invoice it credits.';
    ELSIF inv.status <> 'posted' THEN
        RAISE EXCEPTION 'cannot credit draft invoice %', inv.invoice_id
            USING ERRCODE = '55000', HINT = 'A draft is corrected by undoing its billing run, not by a credit note.';
    ELSIF credit_date IS NULL THEN
        RAISE EXCEPTION 'credit date must not be NULL' USING ERRCODE = '22004';
    ELSIF array_position(lines, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'line numbers to credit must not be NULL' USING ERRCODE = '22004',
            HINT = 'Pass the line numbers of charge lines, or no lines to credit everything still creditable.';
    ELSIF credit_date < inv.invoice_date THEN
        RAISE EXCEPTION 'credit date % is before the date % of invoice %', credit_date, inv.invoice_date, inv.number
            USING ERRCODE = '22023';
    ELSIF amount IS NOT NULL AND lines IS NOT NULL THEN
        RAISE EXCEPTION 'give either an amount or lines to credit, not both' USING ERRCODE = '22023';
    END IF;
    PERFORM rr.check_date('credit date', credit_date), rr.check_number('credit amount', amount);
    mu := rr.minor_units(inv.currency::text);

    -- what is still creditable, line by line (earlier credit notes included)
    IF rr_internal.claim_work_table('rr_credit_lines') THEN
        CREATE TEMP TABLE rr_credit_lines (line_no integer, kind text, tax_code text, remaining numeric)
            ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_credit_lines;
    INSERT INTO rr_credit_lines
    SELECT l.line_no, l.kind, l.tax_code,
           l.amount + coalesce((SELECT sum(c.amount) FROM rr.invoice n
                                  JOIN rr.invoice_line c ON c.tenant_id = n.tenant_id AND c.invoice_id = n.invoice_id
                                 WHERE n.tenant_id = t AND n.credits_invoice = inv.invoice_id
                                   AND c.credits_line_no = l.line_no), 0)
      FROM rr.invoice_line l
     WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id;
    SELECT coalesce(sum(remaining), 0) INTO creditable FROM rr_credit_lines;

    IF lines IS NOT NULL THEN
        -- more numbers than lines can only repeat some: refused before any work on them
        IF cardinality(lines) > (SELECT count(*) FROM rr_credit_lines WHERE kind <> 'tax') THEN
            RAISE EXCEPTION 'too many line numbers to credit: % for invoice %, which has % charge lines',
                            cardinality(lines), inv.number, (SELECT count(*) FROM rr_credit_lines WHERE kind <> 'tax')
                USING ERRCODE = '22023', HINT = 'Pass each line number to credit once.';
        END IF;
        IF EXISTS (SELECT FROM unnest(lines) x WHERE x NOT IN (SELECT line_no FROM rr_credit_lines WHERE kind <> 'tax')) THEN
            RAISE EXCEPTION 'invoice % has no line % to credit', inv.number,
                            (SELECT min(x) FROM unnest(lines) x WHERE x NOT IN (SELECT line_no FROM rr_credit_lines WHERE kind <> 'tax'))
                USING ERRCODE = '22023', HINT = 'Pass the line numbers of charge lines; their tax is credited with them.';
        END IF;
        -- the chosen lines in full, and each tax line in proportion to the chosen net
        UPDATE rr_credit_lines r SET remaining = 0
         WHERE r.kind <> 'tax' AND r.line_no <> ALL (lines);
        UPDATE rr_credit_lines r
           SET remaining = CASE WHEN x.all_net = 0 THEN 0 ELSE round(r.remaining * x.chosen_net / x.all_net, mu) END
          FROM (SELECT l.tax_code,
                       sum(l.amount) AS all_net,
                       sum(l.amount) FILTER (WHERE l.line_no = ANY (lines)) AS chosen_net
                  FROM rr.invoice_line l
                 WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id AND l.kind <> 'tax' AND l.tax_code IS NOT NULL
                 GROUP BY l.tax_code) x
         WHERE r.kind = 'tax' AND r.tax_code = x.tax_code;
    ELSIF amount IS NOT NULL THEN
        IF amount <= 0 THEN
            RAISE EXCEPTION 'credit amount % is not positive', amount USING ERRCODE = '22023';
        ELSIF amount > creditable THEN
            RAISE EXCEPTION 'credit of % exceeds the % still creditable on invoice %', amount, creditable, inv.number
                USING ERRCODE = '22023', DETAIL = 'Earlier credit notes on the invoice are taken into account.';
        END IF;
        -- split the amount over the creditable lines, exactly
        UPDATE rr_credit_lines r SET remaining = x.part
          FROM (SELECT u.line_no, u.part
                  FROM (SELECT array_agg(line_no ORDER BY line_no) AS nos,
                               rr.allocate(credit_invoice.amount, array_agg(greatest(remaining, 0) ORDER BY line_no), mu) AS parts
                          FROM rr_credit_lines) a,
                       unnest(a.nos, a.parts) AS u(line_no, part)) x
         WHERE r.line_no = x.line_no;
    END IF;
    IF NOT EXISTS (SELECT FROM rr_credit_lines WHERE remaining <> 0) THEN
        RAISE EXCEPTION 'nothing is left to credit on invoice %', inv.number
            USING ERRCODE = '22023', DETAIL = 'Earlier credit notes have credited it in full.';
    END IF;

    INSERT INTO rr.invoice (tenant_id, doc_type, credits_invoice, reason, contract_id, customer, currency,
                            series, invoice_date)
    VALUES (t, 'credit_note', inv.invoice_id, credit_invoice.reason, inv.contract_id, inv.customer, inv.currency,
            'CN', credit_date)
    RETURNING rr.invoice.invoice_id INTO cn;
    INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, contract_line_no, line_effective_from,
                                 contract_item, item, service_period, quantity, unit_price, amount, tax_code,
                                 credit_account, receivable_account, credits_line_no)
    SELECT t, cn, row_number() OVER (ORDER BY l.line_no)::integer, l.kind, l.contract_line_no, l.line_effective_from,
           l.contract_item, l.item, l.service_period,
           CASE WHEN r.remaining = l.amount THEN l.quantity END, l.unit_price, -r.remaining, l.tax_code,
           l.credit_account, l.receivable_account, l.line_no
      FROM rr.invoice_line l JOIN rr_credit_lines r ON r.line_no = l.line_no
     WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id AND r.remaining <> 0;

    PERFORM rr.post_invoices(credit_date, 'CN');
    RETURN QUERY
    SELECT i.invoice_id, i.number, (SELECT sum(l.amount) FROM rr.invoice_line l
                                     WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id)
      FROM rr.invoice i WHERE i.tenant_id = t AND i.invoice_id = cn;
END
$$;
COMMENT ON FUNCTION rr.credit_invoice(bigint, numeric, integer[], text, date) IS 'issues and posts a credit note for a posted invoice: in full (default), for some lines (with their share of the tax), or for an amount split over the creditable lines, tax included, with rr.allocate; never more than is still creditable';

-- Undo the last billing of a contract (Acumatica's action): delete the draft invoices and
-- the charges of its last billing run, so that what they billed becomes due again.
CREATE FUNCTION rr.undo_last_billing(contract_id bigint)
RETURNS TABLE (invoice_id bigint, charges bigint)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    c rr.contract := rr_internal.contract_for_action(t, contract_id, 'undo the last billing of',
                                            ARRAY['active', 'pending_upgrade', 'terminated', 'expired', 'completed']);
    last_run bigint;
    posted text;
BEGIN
    SELECT max(ch.run_id) INTO last_run FROM rr.charge ch WHERE ch.tenant_id = t AND ch.contract_id = c.contract_id;
    IF last_run IS NULL THEN
        RAISE EXCEPTION 'contract % has not been billed', c.contract_id USING ERRCODE = '55000';
    END IF;
    SELECT i.number INTO posted FROM rr.invoice i
     WHERE i.tenant_id = t AND i.contract_id = c.contract_id AND i.run_id = last_run AND i.status = 'posted';
    IF FOUND THEN
        RAISE EXCEPTION 'cannot undo the last billing of contract %: invoice % is posted', c.contract_id, posted
            USING ERRCODE = '55000', HINT = 'Correct a posted invoice with a credit note.';
    END IF;
    RETURN QUERY
    WITH inv AS (
        SELECT i.invoice_id FROM rr.invoice i
         WHERE i.tenant_id = t AND i.contract_id = c.contract_id AND i.run_id = last_run
    ), del_lines AS (
        DELETE FROM rr.invoice_line l USING inv WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id
        RETURNING l.invoice_id, l.charge_id
    ), del_inv AS (
        DELETE FROM rr.invoice i USING inv WHERE i.tenant_id = t AND i.invoice_id = inv.invoice_id
        RETURNING i.invoice_id
    )
    SELECT d.invoice_id, count(*) FROM del_lines d GROUP BY d.invoice_id;
    DELETE FROM rr.charge ch WHERE ch.tenant_id = t AND ch.contract_id = c.contract_id AND ch.run_id = last_run;
END
$$;
COMMENT ON FUNCTION rr.undo_last_billing(bigint) IS 'deletes the draft invoices and the charges of a contract''s last billing run, so that the next run bills them again; refused once one of them is posted';

CREATE VIEW rr.invoice_register WITH (security_invoker = true) AS
SELECT i.tenant_id, i.invoice_id, i.doc_type, i.series, i.number, i.status, i.credits_invoice, i.contract_id, i.customer, i.currency,
       i.invoice_date, i.due_date, count(l.line_no) AS lines, coalesce(sum(l.amount), 0) AS total
  FROM rr.invoice i
  LEFT JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 GROUP BY i.tenant_id, i.invoice_id;
COMMENT ON VIEW rr.invoice_register IS 'invoice and credit note register: one row per document with its type, number, status, the invoice a credit note credits, customer, dates, line count and total (the exact sum of its lines; negative for credit notes)';
REVOKE ALL ON rr.invoice_register FROM PUBLIC;

-- ---- src/sql/220_usage.sql
-- Usage (docs/usage.md): metered events, their ingestion, and their rating at billing
-- time, including late events and deposits (retainers) drawn down by usage.
--
-- Events live in rr.usage_event, partitioned by month of the usage date (the date of the
-- event in the customer's time zone, computed once, when the event is recorded).
-- Partitions are created on demand by the ingestion functions, none at install time.
-- A unique key on a partitioned table must contain the partition column, so idempotency
-- keys live in their own unpartitioned table, rr.usage_key: a key is accepted once and
-- ignored afterwards.  Three ways in, one code path (rr_internal.ingest_usage): rr.record_usage for
-- one event, rr.record_usage(rr.usage_record[]) for a batch, and COPY into
-- rr.usage_staging followed by rr.merge_usage_staging().  A batch with a bad event is
-- refused whole; the message names the event's position (or staging_id).

-- Dates usage can be recorded for: the partitions the table can create.
CREATE FUNCTION rr.usage_date_range()
RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN rr.business_dates();
COMMENT ON FUNCTION rr.usage_date_range() IS 'the usage dates events may have, the business dates of rr.business_dates(): monthly partitions can be created from 1900-01 to 2199-12';
REVOKE ALL ON FUNCTION rr.usage_date_range() FROM PUBLIC;

CREATE TABLE rr.usage_event (
    tenant_id       text NOT NULL,
    contract_id     bigint NOT NULL,
    line_no         integer NOT NULL,
    usage_date      date NOT NULL,
    event_id        bigint GENERATED BY DEFAULT AS IDENTITY,
    quantity        numeric NOT NULL,
    occurred_at     timestamptz NOT NULL,
    idempotency_key text,
    properties      jsonb,
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT usage_event_quantity_check CHECK (rr.check_number('quantity', quantity))
) PARTITION BY RANGE (usage_date);
-- The primary key (tenant_id, contract_id, line_no, usage_date, event_id) is declared on
-- each partition when it is created, not on this table: pg_dump cannot restore an index
-- of an extension's partitioned table (CREATE EXTENSION creates it, and ATTACH PARTITION
-- then builds the partition's copy, which clashes with the partition's dumped one).  The
-- key contains the partition column, so per-partition keys are exactly as unique.
COMMENT ON TABLE rr.usage_event IS 'metered usage events, partitioned by month of usage_date (partitions rr.usage_event_yYYYYmMM are created on demand by the ingestion functions, each with the primary key (tenant_id, contract_id, line_no, usage_date, event_id)); each event belongs to a contract line; written only by rr.record_usage and rr.merge_usage_staging';
COMMENT ON COLUMN rr.usage_event.usage_date IS 'the date of occurred_at in the customer''s time zone (else the tenant''s), fixed when the event is recorded';
COMMENT ON COLUMN rr.usage_event.line_no IS 'the contract line the event was recorded against (the line of the contract item or metric named by the event)';

CREATE TABLE rr.usage_key (
    tenant_id       text NOT NULL,
    idempotency_key text NOT NULL,
    event_id        bigint NOT NULL,
    contract_id     bigint NOT NULL,
    usage_date      date NOT NULL,
    CONSTRAINT usage_key_pkey PRIMARY KEY (tenant_id, idempotency_key)
);
COMMENT ON TABLE rr.usage_key IS 'idempotency keys of usage events (unpartitioned, so a key is unique across all months): an event whose key is here already is ignored';

CREATE TABLE rr.usage_staging (
    -- the setting, read once per row; row-level security checks it against
    -- rr.current_tenant() once per statement (a call per row would cost a membership
    -- lookup per staged event)
    tenant_id       text NOT NULL DEFAULT coalesce(nullif(pg_catalog.current_setting('rr.tenant', true), ''), 'default'),
    staging_id      bigint GENERATED ALWAYS AS IDENTITY,
    contract_id     bigint,
    customer        text,
    item            text,
    quantity        numeric,
    occurred_at     timestamptz,
    idempotency_key text,
    properties      jsonb,
    CONSTRAINT usage_staging_pkey PRIMARY KEY (tenant_id, staging_id),
    -- the limits of rr.usage_event, refused at COPY time (the usage date proper, in the
    -- customer's time zone, is checked by the merge)
    CONSTRAINT usage_staging_limit_check CHECK (rr.check_number('quantity', quantity)
                                                AND rr.check_date('usage date', (occurred_at AT TIME ZONE 'UTC')::date))
);
COMMENT ON TABLE rr.usage_staging IS 'bulk usage ingestion: COPY events here (contract_id or customer, item, quantity, occurred_at, idempotency_key, properties), then call rr.merge_usage_staging(), which moves them into rr.usage_event or refuses them all, naming the first bad staging_id';

CREATE TYPE rr.usage_record AS (
    contract_id     bigint,
    customer        text,
    item            text,
    quantity        numeric,
    occurred_at     timestamptz,
    idempotency_key text,
    properties      jsonb
);
COMMENT ON TYPE rr.usage_record IS 'one usage event for rr.record_usage(rr.usage_record[]): the contract (or the customer, when it has one contract with a line for the item), the contract item or metered item, quantity, when it occurred, an optional idempotency key and properties';

-- Monthly partitions covering [from_date, to_date], created if missing (serialised by an
-- advisory lock, so concurrent ingestion does not race on the same month).
CREATE FUNCTION rr_internal.ensure_usage_partitions(from_date date, to_date date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m date;
    name text;
    n integer := 0;
    r daterange := rr.usage_date_range();
BEGIN
    from_date := greatest(from_date, lower(r));
    to_date := least(to_date, upper(r) - 1);
    IF from_date > to_date THEN
        RETURN 0;
    END IF;
    -- the months present already: nothing to do (the common case, no lock taken)
    IF NOT EXISTS (
        SELECT FROM generate_series(date_trunc('month', from_date), to_date, interval '1 month') AS g(d)
         WHERE to_regclass(format('rr.usage_event_y%sm%s', to_char(g.d, 'YYYY'), to_char(g.d, 'MM'))) IS NULL) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('rr.usage_event partitions'));
    FOR m IN SELECT g.d::date FROM generate_series(date_trunc('month', from_date), to_date, interval '1 month') AS g(d)
    LOOP
        name := format('usage_event_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        CONTINUE WHEN to_regclass('rr.' || name) IS NOT NULL;
        -- created on its own and then attached: CREATE TABLE ... PARTITION OF would take an
        -- ACCESS EXCLUSIVE lock on rr.usage_event until commit (every tenant's ingestion and
        -- billing would wait), ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE, which lets them
        -- read and write; the bounds' CHECK spares ATTACH a scan
        EXECUTE format('CREATE TABLE rr.%I (LIKE rr.usage_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                                            CONSTRAINT %I CHECK (usage_date >= %L AND usage_date < %L))',
                       name, name || '_bounds', m, (m + interval '1 month')::date);
        EXECUTE format('ALTER TABLE rr.%I ADD CONSTRAINT %I PRIMARY KEY (tenant_id, contract_id, line_no, usage_date, event_id)',
                       name, name || '_pkey');
        EXECUTE format('ALTER TABLE rr.usage_event ATTACH PARTITION rr.%I FOR VALUES FROM (%L) TO (%L)',
                       name, m, (m + interval '1 month')::date);
        PERFORM rr_internal.apply_tenant_policy(format('rr.%I', name)::regclass);
        EXECUTE format('COMMENT ON TABLE rr.%I IS %L', name,
                       format('usage events of %s (a partition of rr.usage_event)', to_char(m, 'YYYY-MM')));
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_usage_partitions(date, date) IS 'internal: creates the missing monthly partitions of rr.usage_event between two dates (with the parent''s row-level security); returns how many it created';

-- The events of a batch, as the query the ingestion statements read them from: the
-- array given to rr.record_usage (kind 'batch', $1 the array), or the tenant's rows of
-- rr.usage_staging up to a staging_id (kind 'staging', $1 that id), selected or, when
-- consumed, deleted.  The texts are the extension's own: no function runs SQL text it
-- was given.  Columns: pos (1-based position or staging_id), contract_id, customer,
-- item, quantity, occurred_at, idempotency_key, properties.
CREATE FUNCTION rr_internal.usage_batch_source(kind text, tenant_id text, consume boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind = 'batch' THEN
        RETURN 'SELECT e.pos, e.contract_id, e.customer, e.item, e.quantity, e.occurred_at, e.idempotency_key, e.properties
                  FROM unnest($1::rr.usage_record[]) WITH ORDINALITY
                       AS e(contract_id, customer, item, quantity, occurred_at, idempotency_key, properties, pos)';
    ELSIF kind = 'staging' THEN
        RETURN format('%s rr.usage_staging s WHERE s.tenant_id = %L AND s.staging_id <= $1::bigint %s',
                      CASE WHEN consume THEN 'DELETE FROM'
                           ELSE 'SELECT s.staging_id AS pos, s.contract_id, s.customer, s.item, s.quantity, s.occurred_at,
                                        s.idempotency_key, s.properties FROM' END,
                      tenant_id,
                      CASE WHEN consume THEN 'RETURNING s.staging_id AS pos, s.contract_id, s.customer, s.item, s.quantity,
                                                        s.occurred_at, s.idempotency_key, s.properties' ELSE '' END);
    END IF;
    RAISE EXCEPTION 'unknown usage batch kind "%"', kind USING ERRCODE = 'XX000';
END
$$;
COMMENT ON FUNCTION rr_internal.usage_batch_source(text, text, boolean) IS 'internal: the fixed query a usage batch is read from: the array of rr.record_usage (batch) or the tenant''s staged rows up to a staging_id (staging), selected or deleted';

-- Raise the refusal of one event of a batch (called from inside the ingestion statement,
-- so the whole statement, and with it the batch, is rolled back).
CREATE FUNCTION rr_internal.refuse_usage_event(source text, pos bigint, errcode text, message text,
                                      detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'usage event % refused: %', CASE source WHEN 'staging' THEN 'with staging_id ' ELSE '' END
                                                || pos, message
        USING ERRCODE = errcode,
              DETAIL = coalesce(detail, 'Nothing was recorded: a batch is accepted whole or not at all.'),
              HINT = coalesce(hint, 'Correct or remove the event and send the batch again.');
END
$$;
COMMENT ON FUNCTION rr_internal.refuse_usage_event(text, bigint, text, text, text, text) IS 'internal: raises the refusal of one usage event of a batch, naming its position (or staging_id)';

-- The one ingestion statement, over the events of rr_internal.usage_batch_source (arg is
-- its $1; staged rows are deleted as they are read).  Returns how many events it
-- received and how many were new.
--
-- Its plan cannot go quadratic, whatever statistics the tables have (a batch's events
-- are estimated from nothing the planner can trust): the batch's contracts and their
-- lines are read by index, from the array of their ids (their customers' time zones by
-- key, in a subquery); the events are joined to them, and the new events to their new
-- keys, by full joins on equality only, which PostgreSQL can only hash or merge (never a
-- nested loop over the batch).  The filters that drop the other side's unmatched rows
-- are out of the planner's sight (above a MATERIALIZED CTE, or not strict), so it cannot
-- turn a full join back into a plain one.
CREATE FUNCTION rr_internal.ingest_usage(tenant_id text, kind text, arg anyelement,
                                OUT received bigint, OUT recorded bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    EXECUTE format($q$
    WITH src AS MATERIALIZED (%s),
    r AS (
        -- the contract: named, or the customer's one contract with a line for the item
        SELECT s.*,
               coalesce(s.contract_id, CASE WHEN s.customer IS NOT NULL THEN (
                   SELECT CASE WHEN count(DISTINCT k.contract_id) > 1 THEN -1 ELSE min(k.contract_id) END
                     FROM rr.contract_billing_terms k
                     JOIN rr.customer cu ON cu.tenant_id = k.tenant_id AND cu.code = k.customer
                     JOIN rr.contract_line l ON l.tenant_id = k.tenant_id AND l.contract_id = k.contract_id
                     JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                    WHERE k.tenant_id = $2 AND k.customer = s.customer
                      AND s.item IN (ci.code, ci.recurring_item)
                      AND k.activation_date IS NOT NULL
                      AND daterange(k.bill_from, k.bill_to)
                          @> (s.occurred_at AT TIME ZONE coalesce(cu.time_zone,
                                  (SELECT tn.time_zone FROM rr.tenant tn WHERE tn.tenant_id = $2)))::date)
               END) AS cid
          FROM src s
    ),
    ids AS (
        -- the batch's contracts, as one array: their rows and lines are read by index
        -- scans of their keys, so a batch never reads all of the tenant's contracts and lines
        SELECT array_agg(DISTINCT r.cid) AS a FROM r
    ),
    lv AS (
        -- the versions of the metered lines of the contracts in the batch in force (not
        -- removed), per contract and code an event may name them with (contract item or
        -- its recurring item), as arrays: one row per contract and code
        -- (a recurring item metered by several lines of a contract names none of them)
        SELECT w.contract_id, m.code AS match_code, array_agg(w.line_no) AS line_nos,
               array_agg(w.allow_negative_usage) AS allow_negative, array_agg(w.valid) AS valid
          FROM (SELECT l.contract_id, l.line_no, l.is_removed, ci.code, ci.allow_negative_usage,
                       CASE WHEN min(l.line_no) OVER (PARTITION BY l.contract_id, ci.recurring_item)
                                 = max(l.line_no) OVER (PARTITION BY l.contract_id, ci.recurring_item)
                            THEN ci.recurring_item END AS recurring_item,
                       daterange(l.effective_from, lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no
                                                                                ORDER BY l.effective_from)) AS valid
                  FROM rr.contract_line l
                  JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                 WHERE l.tenant_id = $2 AND l.contract_id = ANY ((SELECT ids.a FROM ids)::bigint[])
                   AND (ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit')) w
          CROSS JOIN LATERAL (SELECT w.code UNION SELECT w.recurring_item WHERE w.recurring_item IS NOT NULL) m(code)
         WHERE NOT w.is_removed
         GROUP BY w.contract_id, m.code
    ),
    k AS (
        -- the batch's contracts, and each one's customer's time zone (looked up by key)
        SELECT k.contract_id, k.status, k.activation_date, daterange(k.bill_from, k.bill_to) AS active,
               (SELECT cu.time_zone FROM rr.customer cu
                 WHERE cu.tenant_id = k.tenant_id AND cu.code = k.customer) AS customer_time_zone
          FROM rr.contract_billing_terms k
         WHERE k.tenant_id = $2 AND k.contract_id = ANY ((SELECT ids.a FROM ids)::bigint[])
    ),
    y AS MATERIALIZED (
        -- each event with its contract and the versions of the line it names (the other
        -- side's unmatched rows, contracts and lines of the batch, are dropped below)
        SELECT r.*, k.contract_id AS found, k.status, k.activation_date, k.active,
               (r.occurred_at AT TIME ZONE coalesce(k.customer_time_zone,
                   (SELECT tn.time_zone FROM rr.tenant tn WHERE tn.tenant_id = $2)))::date AS usage_date,
               lv.line_nos, lv.allow_negative, lv.valid
          FROM r
          FULL JOIN k ON k.contract_id = r.cid
          FULL JOIN lv ON lv.contract_id = k.contract_id AND lv.match_code = r.item
    ),
    ok AS (
        -- checked in the order of the batch (the first bad event refuses it), numbered in
        -- that order
        SELECT z.*, nextval('rr.usage_event_event_id_seq') AS event_id
          FROM (SELECT y.*, v.line_no, v.allow_negative_usage
                  FROM y
                  LEFT JOIN LATERAL (SELECT v.line_no, v.allow_negative_usage
                                       FROM unnest(y.line_nos, y.allow_negative, y.valid)
                                            AS v(line_no, allow_negative_usage, valid)
                                      WHERE v.valid @> y.usage_date) v ON true
                 WHERE y.pos IS NOT NULL
                 ORDER BY y.pos) z
         WHERE CASE
            -- (missing values, quantities and the batch's span: rr_internal.check_usage_batch, before)
            WHEN NOT isfinite(z.occurred_at) OR NOT (SELECT rr.usage_date_range()) @> z.usage_date THEN
                rr_internal.refuse_usage_event($3, z.pos, '22008',
                    format('occurred_at %%s is outside the dates usage can be recorded for', z.occurred_at),
                    format('Usage dates must lie in %%s.', rr.usage_date_range()))
            WHEN z.cid = -1 THEN
                rr_internal.refuse_usage_event($3, z.pos, '21000',
                    format('customer "%%s" has more than one contract with a line for item "%%s" on %%s',
                           z.customer, z.item, z.usage_date), NULL, 'Name the contract with contract_id.')
            WHEN z.found IS NULL AND z.contract_id IS NOT NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, 'P0002', format('contract %%s does not exist', z.contract_id))
            WHEN z.found IS NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, 'P0002',
                    format('customer "%%s" has no contract active on %%s with a line for item "%%s"',
                           z.customer, z.occurred_at, z.item))
            WHEN z.activation_date IS NULL OR NOT z.active @> z.usage_date THEN
                rr_internal.refuse_usage_event($3, z.pos, '55000',
                    format('contract %%s was not active on %%s', z.found, z.usage_date),
                    CASE WHEN z.activation_date IS NULL THEN format('Its status is "%%s".', z.status)
                         ELSE format('It bills usage for %%s.', z.active) END)
            WHEN z.line_no IS NULL AND (SELECT count(DISTINCT l.line_no) > 1 FROM rr.contract_line l
                                          JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
                                         WHERE l.tenant_id = $2 AND l.contract_id = z.found
                                           AND ci.recurring_item = z.item) THEN
                rr_internal.refuse_usage_event($3, z.pos, '21000',
                    format('item "%%s" is metered by more than one line of contract %%s', z.item, z.found),
                    NULL, 'Name the contract item instead.')
            WHEN z.line_no IS NULL THEN
                rr_internal.refuse_usage_event($3, z.pos, '23503',
                    format('contract %%s has no usage line for item "%%s" on %%s', z.found, z.item, z.usage_date),
                    NULL, 'Usage is recorded against a contract item with a price model, an extra usage price or a deposit.')
            WHEN z.quantity < 0 AND NOT z.allow_negative_usage THEN
                rr_internal.refuse_usage_event($3, z.pos, '22023', format('quantity %%s is negative', z.quantity),
                    NULL, 'Set allow_negative_usage on the contract item to record corrections as negative usage.')
            ELSE true END
    ),
    new_key AS (
        INSERT INTO rr.usage_key (tenant_id, idempotency_key, event_id, contract_id, usage_date)
        SELECT $2, ok.idempotency_key, ok.event_id, ok.found, ok.usage_date
          FROM ok
         WHERE ok.idempotency_key IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING event_id
    ),
    new_event AS (
        -- the events without a key and those whose key is new (every new key is an event's,
        -- so the full join adds no row without one)
        INSERT INTO rr.usage_event (tenant_id, contract_id, line_no, usage_date, event_id, quantity, occurred_at,
                                    idempotency_key, properties)
        SELECT $2, ok.found, ok.line_no, ok.usage_date, ok.event_id, ok.quantity, ok.occurred_at,
               ok.idempotency_key, ok.properties
          FROM ok FULL JOIN new_key ON new_key.event_id = ok.event_id
         WHERE ok.idempotency_key IS NULL OR new_key.event_id IS NOT NULL
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM new_event)
    $q$, rr_internal.usage_batch_source(kind, tenant_id, true))
    INTO received, recorded USING arg, tenant_id, kind;
EXCEPTION WHEN OTHERS THEN
    -- re-raised here, so the refusal does not carry the whole statement as its context
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
END
$$;
COMMENT ON FUNCTION rr_internal.ingest_usage(text, text, anyelement) IS 'internal: validates and records a batch of usage events in one statement (refusing the whole batch at its first bad event), skipping events whose idempotency key is known; returns how many events it received and how many were new';

-- What can be checked of a batch before any partition is created for it: missing values,
-- quantities (rr.check_number's limits) and timestamps, each refused naming the event, and
-- the months the batch spans (at most 36, so one batch creates at most 38 partitions).
CREATE FUNCTION rr_internal.check_usage_batch(tenant_id text, kind text, arg anyelement)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lo date;
    hi date;
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    EXECUTE format($q$
        SELECT min((s.occurred_at AT TIME ZONE 'UTC')::date), max((s.occurred_at AT TIME ZONE 'UTC')::date)
          FROM (%s) s
         WHERE CASE
            WHEN s.quantity IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'quantity is missing')
            WHEN s.quantity IN ('NaN', 'Infinity', '-Infinity') THEN
                rr_internal.refuse_usage_event($2, s.pos, '22023', format('quantity "%%s" is not a finite number', s.quantity))
            WHEN NOT rr.is_valid_number(s.quantity) THEN
                rr_internal.refuse_usage_event($2, s.pos, '22003', format('quantity "%%s" is out of range', s.quantity),
                    NULL, 'Quantities must lie strictly between -10^15 and 10^15.')
            WHEN s.occurred_at IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'occurred_at is missing')
            WHEN s.item IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'item is missing')
            WHEN s.contract_id IS NULL AND s.customer IS NULL THEN
                rr_internal.refuse_usage_event($2, s.pos, '22004', 'neither contract_id nor customer is given')
            -- a time zone moves a date by less than a day; the exact date is checked later
            WHEN NOT isfinite(s.occurred_at)
                 OR NOT daterange(lower(rr.usage_date_range()) - 1, upper(rr.usage_date_range()) + 1)
                        @> (s.occurred_at AT TIME ZONE 'UTC')::date THEN
                rr_internal.refuse_usage_event($2, s.pos, '22008',
                    format('occurred_at %%s is outside the dates usage can be recorded for', s.occurred_at),
                    format('Usage dates must lie in %%s.', rr.usage_date_range()))
            ELSE true END
    $q$, rr_internal.usage_batch_source(kind, tenant_id, false)) INTO lo, hi USING arg, kind;
    IF (extract(year FROM hi) * 12 + extract(month FROM hi)) - (extract(year FROM lo) * 12 + extract(month FROM lo)) >= 36 THEN
        RAISE EXCEPTION 'usage batch spans % months, from % to %',
                        (extract(year FROM hi) * 12 + extract(month FROM hi))
                        - (extract(year FROM lo) * 12 + extract(month FROM lo)) + 1, lo, hi
            USING ERRCODE = '54000',
                  DETAIL = 'A batch may hold events of at most 36 calendar months. Nothing was recorded.',
                  HINT = 'Split the batch by month of occurred_at.';
    END IF;
EXCEPTION WHEN OTHERS THEN
    -- re-raised here, so the refusal does not carry the whole statement as its context
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
END
$$;
COMMENT ON FUNCTION rr_internal.check_usage_batch(text, text, anyelement) IS 'internal: refuses a usage batch before any partition is created for it: an event with a missing value, a quantity that is not finite or out of range, or a timestamp outside the usage dates (naming the event), or a batch spanning more than 36 months (54000)';

-- Partitions for the occurred_at values of a batch: the months of [min - 1 day,
-- max + 1 day] (a time zone moves a date by less than a day), or, for a batch spanning
-- more than two years, the months it has events in.  Timestamps outside the usage date
-- range are left to the ingestion statement, which refuses them.
CREATE FUNCTION rr_internal.ensure_usage_partitions_for(tenant_id text, kind text, arg anyelement)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lo date;
    hi date;
    n integer := 0;
    m date;
    source text := rr_internal.usage_batch_source(kind, tenant_id, false);
    sane text := 's.occurred_at >= ''1899-12-30 00:00+00'' AND s.occurred_at < ''3000-01-02 00:00+00''';
BEGIN
    EXECUTE format('SELECT min(s.occurred_at AT TIME ZONE ''UTC'')::date - 1, max(s.occurred_at AT TIME ZONE ''UTC'')::date + 1
                      FROM (%s) s WHERE %s', source, sane)
       INTO lo, hi USING arg;
    IF lo IS NULL THEN
        RETURN 0;
    ELSIF hi - lo <= 750 THEN
        RETURN rr_internal.ensure_usage_partitions(lo, hi);
    END IF;
    FOR m IN EXECUTE format('SELECT DISTINCT date_trunc(''month'', (s.occurred_at AT TIME ZONE ''UTC'') + d.d)::date
                               FROM (%s) s CROSS JOIN (VALUES (interval ''-1 day''), (interval ''1 day'')) d(d)
                              WHERE %s', source, sane)
                 USING arg
    LOOP
        n := n + rr_internal.ensure_usage_partitions(m, (m + interval '1 month')::date - 1);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_usage_partitions_for(text, text, anyelement) IS 'internal: creates the monthly partitions the events of a batch need';

-- One event.
CREATE FUNCTION rr.record_usage(contract_id bigint, item text, quantity numeric, occurred_at timestamptz,
                                idempotency_key text DEFAULT NULL, properties jsonb DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN rr.record_usage(ARRAY[ROW(contract_id, NULL, item, quantity, occurred_at, idempotency_key,
                                     properties)::rr.usage_record]);
END
$$;
COMMENT ON FUNCTION rr.record_usage(bigint, text, numeric, timestamptz, text, jsonb) IS 'records one usage event of a contract: the contract item (or metered item) it is for, quantity, when it occurred, an optional idempotency key (a repeated key is ignored) and properties; returns 1 if recorded, 0 if its key was known already';

-- A batch of events, accepted whole or refused whole.
CREATE FUNCTION rr.record_usage(events rr.usage_record[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    res record;
BEGIN
    IF events IS NULL THEN
        RAISE EXCEPTION 'usage events must not be NULL' USING ERRCODE = '22004';
    ELSIF cardinality(events) > 100000 THEN
        -- one call is one statement holding its locks: bulk loads go through COPY and
        -- rr.merge_usage_staging(), or several calls
        RAISE EXCEPTION 'usage batch of % events is too large', cardinality(events)
            USING ERRCODE = '54000',
                  DETAIL = 'rr.record_usage takes at most 100,000 events a call. Nothing was recorded.',
                  HINT = 'Split the batch, or COPY the events into rr.usage_staging and call rr.merge_usage_staging().';
    END IF;
    PERFORM rr_internal.check_usage_batch(t, 'batch', events);
    PERFORM rr_internal.ensure_usage_partitions_for(t, 'batch', events);
    res := rr_internal.ingest_usage(t, 'batch', events);
    RETURN res.recorded;
END
$$;
COMMENT ON FUNCTION rr.record_usage(rr.usage_record[]) IS 'records a batch of usage events in one statement: all or none (a bad event refuses the batch, naming its 1-based position); events whose idempotency key is known already, or repeated within the batch, are ignored; returns the number of new events';

-- COPY's way in: move the tenant's staged events into rr.usage_event.
CREATE FUNCTION rr.merge_usage_staging()
RETURNS TABLE (received bigint, recorded bigint, duplicates bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    hi_id bigint;
    res record;
BEGIN
    -- the rows staged when the merge starts (rows staged meanwhile wait for the next
    -- merge); the ingestion statement deletes them itself, so two merges never take the
    -- same row, and a refused batch stays staged for correction
    SELECT max(s.staging_id) INTO hi_id FROM rr.usage_staging s WHERE s.tenant_id = t;
    IF hi_id IS NULL THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    PERFORM rr_internal.check_usage_batch(t, 'staging', hi_id);
    PERFORM rr_internal.ensure_usage_partitions_for(t, 'staging', hi_id);
    res := rr_internal.ingest_usage(t, 'staging', hi_id);
    RETURN QUERY SELECT res.received, res.recorded, res.received - res.recorded;
END
$$;
COMMENT ON FUNCTION rr.merge_usage_staging() IS 'moves the current tenant''s events staged in rr.usage_staging (e.g. by COPY) into rr.usage_event in one statement: all or none (a bad event refuses the merge, naming its staging_id, and the rows stay staged); returns how many were received, recorded and ignored as duplicate keys';

-- How much of the value of `units` billable units of a deposit line its deposit covers
-- (drawn) and what is billed beyond it (overage): with a price model, the rounded price of
-- the units, the deposit covering it first; with a unit price, the units up to
-- deposit / price at the unit price, the rest at extra_usage_price (else the unit price).
CREATE TYPE rr.deposit_part AS (drawn numeric, overage numeric);
COMMENT ON TYPE rr.deposit_part IS 'the value of a deposit line''s usage split into what the deposit covers (drawn) and what is billed beyond it (overage)';

CREATE FUNCTION rr_internal.deposit_split(units numeric, deposit numeric, price numeric, extra_price numeric,
                                 price_model rr.pricing, minor_units integer)
RETURNS rr.deposit_part
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v numeric;
    cap numeric;
    drawn numeric;
    overage numeric;
BEGIN
    IF price_model IS NOT NULL THEN
        v := round(rr.price(price_model, units), minor_units);
        drawn := least(v, deposit);
        overage := v - drawn;
    ELSIF coalesce(price, 0) = 0 THEN
        drawn := 0;
        overage := round(units * coalesce(extra_price, 0), minor_units);
    ELSE
        cap := deposit / price;
        drawn := least(round(least(units, cap) * price, minor_units), deposit);
        overage := round(greatest(units - cap, 0) * coalesce(extra_price, price), minor_units);
    END IF;
    RETURN ROW(drawn, overage)::rr.deposit_part;
END
$$;
COMMENT ON FUNCTION rr_internal.deposit_split(numeric, numeric, numeric, numeric, rr.pricing, integer) IS 'internal: the part of the value of a deposit line''s cumulative billable units its deposit covers (drawn) and the part billed beyond it (overage, at the extra usage price when there is one)';

CREATE TYPE rr.usage_charge AS (contract_id bigint, line_no integer, line_effective_from date, kind text,
                                 service_period daterange, adjustment_seq bigint, quantity numeric,
                                 unit_price numeric, amount numeric, due_date date, detail jsonb);
COMMENT ON TYPE rr.usage_charge IS 'a usage charge as rating computes it (the columns of rr.charge it fills)';

-- Rating: every usage charge as it stands now for the tenant's contracts (or one of
-- them), minus what is billed already.  Per metered line and billing period: the
-- period's quantity (sum, max or last of its events); the billable quantity after the
-- included quantity of the usage counter's cycle (the period when usage resets on
-- billing; the contract term when it never resets or resets on renewal, so unused
-- included quantity carries over); the amount, for models whose price only grows with
-- the quantity (per_unit, package, graduated, percentage, an extra usage price), as the
-- difference of the rounded price of the cumulative billable quantity at the period's end
-- and start (so tiers apply to the counter, and a cycle's amounts add up to the price of
-- its total exactly); for models that price a quantity as a whole (flat, volume,
-- stairstep), as the rounded price of the period's own billable quantity, so no period is
-- ever negative; a flat fee is due in every period, with usage or without.  A deposit
-- line draws its usage from the deposit (a drawdown line) until it is spent, then bills
-- it (at extra_usage_price, if set); at the end of the term the unused deposit is
-- released: retain_rate of it is kept as breakage, the rest is refunded.  Whatever
-- differs from the charges already billed for a (line, kind, period) -- late events --
-- is due again under the next adjustment_seq, carrying the original service period.
--
-- The metered line versions and their events per billing period are staged first in
-- session work tables, indexed and analysed: the statement that rates them then joins
-- tables whose sizes the planner knows, and reaches the lines by primary key, so its
-- plan cannot go quadratic whatever statistics the contract and event tables have.  Each
-- statement is planned for its arguments (EXECUTE): for one contract, index scans of its
-- rows; for a tenant, joins over all of them.
CREATE FUNCTION rr_internal.usage_charges(tenant_id text, as_of date, only_contract bigint DEFAULT NULL)
RETURNS SETOF rr.usage_charge
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF rr_internal.claim_work_table('rr_usage_line') THEN
        -- the versions of the metered lines, with the billing grid of each line on the
        -- row of its first version (is_grid)
        CREATE TEMP TABLE rr_usage_line (
            contract_id bigint NOT NULL, line_no integer NOT NULL, effective_from date NOT NULL,
            line_quantity numeric, recurring_price numeric, price_model rr.pricing, is_removed boolean,
            every interval, valid_to date, first_from date, billing_type text, included_quantity numeric,
            extra_usage_price numeric, reset_usage text, usage_aggregation text, grace integer,
            deposit_amount numeric, retain_rate numeric, bill_from date, bill_to date, mu integer,
            alignment text, is_grid boolean, anchor date,
            PRIMARY KEY (contract_id, line_no, effective_from)) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_usage_agg') THEN
        -- the events of each billing period and line version, aggregated
        CREATE TEMP TABLE rr_usage_agg (
            contract_id bigint NOT NULL, line_no integer NOT NULL, period daterange NOT NULL,
            version_from date NOT NULL, used_sum numeric, used_max numeric, used_last numeric, events bigint,
            PRIMARY KEY (contract_id, line_no, version_from, period)) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_usage_line;
    DELETE FROM rr_usage_agg;

    EXECUTE $q$
        INSERT INTO rr_usage_line
        WITH c AS (
            SELECT c.* FROM rr.contract_billing_terms c
             WHERE c.tenant_id = $1 AND c.is_billed
               AND ($3 IS NULL OR c.contract_id = $3)
        )
        SELECT lv.*, lv.effective_from = lv.first_from AND lv.every IS NOT NULL,
               CASE WHEN lv.effective_from = lv.first_from AND lv.every IS NOT NULL
                    THEN rr.billing_anchor(lv.alignment, lv.bill_from, lv.every) END
          FROM (
            -- the versions of the metered lines
            SELECT l.contract_id, l.line_no, l.effective_from, l.quantity AS line_quantity, l.recurring_price,
                   l.price_model, l.is_removed, coalesce(l.billing_period, c.contract_every) AS every,
                   lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to,
                   min(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no) AS first_from,
                   ci.billing_type, ci.included_quantity, ci.extra_usage_price, ci.reset_usage, ci.usage_aggregation,
                   ci.usage_grace_days AS grace, ci.deposit_amount, ci.retain_rate,
                   c.bill_from, c.bill_to, c.mu, c.alignment
              FROM c
              JOIN rr.contract_line l ON l.tenant_id = $1 AND l.contract_id = c.contract_id
              JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
             WHERE ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit') lv
    $q$ USING tenant_id, as_of, only_contract;
    ANALYZE rr_usage_line;

    EXECUTE $q$
        INSERT INTO rr_usage_agg
            -- the events of each billing period and line version (a version dated inside a
            -- period splits it: each part is rated under its own version)
            SELECT e.contract_id, e.line_no, rr.period_containing(e.usage_date, g.every, g.anchor) AS period,
                   v.effective_from AS version_from,
                   sum(e.quantity) AS used_sum, max(e.quantity) AS used_max,
                   -- the quantity of the latest event (an ordered aggregate would force a sort of
                   -- all events; the maximum of [time, id, quantity] arrays does not)
                   (max(CASE WHEN g.usage_aggregation = 'last'
                             THEN ARRAY[extract(epoch FROM e.occurred_at), e.event_id, e.quantity] END))[3] AS used_last,
                   count(*) AS events
              FROM rr.usage_event e
              JOIN rr_usage_line g ON g.contract_id = e.contract_id AND g.line_no = e.line_no AND g.is_grid
              JOIN rr_usage_line v ON v.contract_id = e.contract_id AND v.line_no = e.line_no
                       AND v.effective_from <= greatest(e.usage_date, g.first_from)
                       AND (v.valid_to IS NULL OR v.valid_to > greatest(e.usage_date, g.first_from))
             WHERE e.tenant_id = $1
               AND ($3 IS NULL OR e.contract_id = $3)
               -- events after a termination set later than they were recorded are not billed
               AND (g.bill_to IS NULL OR e.usage_date < g.bill_to)
             GROUP BY e.contract_id, e.line_no, 3, v.effective_from
    $q$ USING tenant_id, as_of, only_contract;
    ANALYZE rr_usage_agg;

    RETURN QUERY EXECUTE $q$
        WITH flat_period AS (
            -- a flat fee is due in every period of its line version, with usage or without: the
            -- periods of the line versions with a flat price model, through as_of
            SELECT g.contract_id, g.line_no, rr.period_containing(lower(bp), g.every, g.anchor) AS period,
                   v.effective_from AS version_from
              FROM rr_usage_line g
              JOIN rr_usage_line v ON v.contract_id = g.contract_id AND v.line_no = g.line_no AND g.is_grid
                       AND rr.pricing_model(v.price_model) = 'flat' AND NOT v.is_removed
              CROSS JOIN LATERAL rr.billing_periods(greatest(g.bill_from, v.effective_from),
                                                    least(v.valid_to, g.bill_to, $2), g.every, g.anchor) AS bp
        ), agg_all AS (
            SELECT * FROM rr_usage_agg
            UNION ALL
            SELECT f.contract_id, f.line_no, f.period, f.version_from, 0::numeric, 0::numeric, 0::numeric, 0::bigint
              FROM flat_period f
             WHERE NOT EXISTS (SELECT FROM rr_usage_agg a WHERE a.contract_id = f.contract_id AND a.line_no = f.line_no
                                  AND a.period = f.period AND a.version_from = f.version_from)
        ), p AS (
            -- each part of a billing period a line version is in force for, clipped to the term
            -- (its service period), and the period as billing starts it (base: a flat fee or a
            -- step of a part is that share of the base's days)
            SELECT a.contract_id, a.line_no, a.events, a.period, a.version_from,
                   a.period * daterange(g.bill_from, g.bill_to) * daterange(v.effective_from, v.valid_to) AS service_period,
                   a.period * daterange(g.bill_from, NULL) AS base,
                   CASE g.usage_aggregation WHEN 'sum' THEN a.used_sum WHEN 'max' THEN a.used_max ELSE a.used_last END AS used,
                   -- a peak or last level is its part's own; a sum counts from the start of
                   -- the period (reset on billing) or of the term
                   CASE WHEN g.usage_aggregation <> 'sum'
                            THEN lower(a.period * daterange(g.bill_from, g.bill_to) * daterange(v.effective_from, v.valid_to))
                        WHEN g.reset_usage = 'on_billing' THEN lower(a.period)
                        ELSE g.bill_from END AS cycle,
                   g.billing_type, g.included_quantity, g.extra_usage_price, g.deposit_amount, g.grace, g.mu,
                   g.usage_aggregation, g.first_from, g.every, g.anchor, v.recurring_price, v.price_model, v.is_removed,
                   g.included_quantity * v.line_quantity AS included
              FROM agg_all a
              JOIN rr_usage_line g ON g.contract_id = a.contract_id AND g.line_no = a.line_no AND g.is_grid
              JOIN rr_usage_line v ON v.contract_id = a.contract_id AND v.line_no = a.line_no AND v.effective_from = a.version_from
        ), q AS (
            -- the counter of its cycle
            SELECT p.*,
                   sum(p.used) OVER (PARTITION BY p.contract_id, p.line_no, p.cycle ORDER BY lower(p.service_period)) AS cum
              FROM p
             WHERE NOT isempty(p.service_period)
               -- a period without events is rated only for a flat fee
               AND (p.events > 0 OR (rr.pricing_model(p.price_model) = 'flat' AND NOT p.is_removed))
        ), b AS (
            SELECT q.*, greatest(q.cum - q.included, 0) AS billable_to, greatest(q.cum - q.used - q.included, 0) AS billable_from,
                   -- models that price a quantity as a whole: the part's own billable quantity
                   -- (a flat fee and a step prorated by the part's share of the base's days)
                   CASE WHEN rr.pricing_model(q.price_model) IN ('flat', 'stairstep') AND q.service_period <> q.base
                            THEN rr.prorate_amount(rr.price(q.price_model, greatest(q.cum - q.included, 0)
                                                                           - greatest(q.cum - q.used - q.included, 0)),
                                                   q.service_period, q.base, 'actual', q.mu)
                        WHEN rr.pricing_model(q.price_model) IN ('flat', 'volume', 'stairstep')
                            THEN round(rr.price(q.price_model, greatest(q.cum - q.included, 0)
                                                               - greatest(q.cum - q.used - q.included, 0)), q.mu)
                   END AS whole_value
              FROM q
        ), bu AS (
            -- deposit lines: billable units cumulated over the term; under a model that prices a
            -- quantity as a whole (flat, volume, stairstep), the value drawn is the sum of each
            -- period's own price, so the deposit is drawn by what each period costs and a later
            -- period never gives back what an earlier one drew (a volume price of the cumulated
            -- units can fall as they grow)
            SELECT b.*, sum(b.billable_to - b.billable_from) OVER (PARTITION BY b.contract_id, b.line_no
                                                                   ORDER BY lower(b.service_period)) AS term_units,
                   CASE WHEN b.billing_type = 'deposit' THEN b.whole_value END AS period_value,
                   sum(CASE WHEN b.billing_type = 'deposit' THEN b.whole_value END)
                       OVER (PARTITION BY b.contract_id, b.line_no ORDER BY lower(b.service_period)) AS term_value
              FROM b
        ), priced AS (
            SELECT bu.*,
                   CASE WHEN bu.billing_type <> 'deposit' THEN
                            CASE WHEN bu.whole_value IS NOT NULL
                                 -- models that price a quantity as a whole: the part's own
                                 -- billable quantity (never negative, earlier periods unchanged)
                                 THEN bu.whole_value
                                 -- models whose price only grows with the quantity: the counter's
                                 -- increment, so tiers apply to the counter
                                 WHEN bu.price_model IS NOT NULL
                                 THEN round(rr.price(bu.price_model, bu.billable_to), bu.mu)
                                      - round(rr.price(bu.price_model, bu.billable_from), bu.mu)
                                 ELSE round(bu.billable_to * bu.extra_usage_price, bu.mu)
                                      - round(bu.billable_from * bu.extra_usage_price, bu.mu) END
                   END AS usage_amount,
                   CASE WHEN bu.term_value IS NOT NULL THEN
                            ROW(least(bu.term_value, bu.deposit_amount),
                                bu.term_value - least(bu.term_value, bu.deposit_amount))::rr.deposit_part
                        WHEN bu.billing_type = 'deposit' THEN
                       rr_internal.deposit_split(bu.term_units, bu.deposit_amount, bu.recurring_price, bu.extra_usage_price,
                                        bu.price_model, bu.mu) END AS dep_to,
                   CASE WHEN bu.term_value IS NOT NULL THEN
                            ROW(least(bu.term_value - bu.period_value, bu.deposit_amount),
                                bu.term_value - bu.period_value - least(bu.term_value - bu.period_value, bu.deposit_amount))::rr.deposit_part
                        WHEN bu.billing_type = 'deposit' THEN
                       rr_internal.deposit_split(bu.term_units - (bu.billable_to - bu.billable_from), bu.deposit_amount,
                                        bu.recurring_price, bu.extra_usage_price, bu.price_model, bu.mu) END AS dep_from
              FROM bu
        ), due AS (
            SELECT pr.contract_id, pr.line_no, pr.version_from, 'usage'::text AS kind, pr.service_period,
                   pr.used AS quantity,
                   CASE WHEN pr.price_model IS NOT NULL THEN NULL
                        WHEN pr.billing_type = 'deposit' THEN pr.recurring_price ELSE pr.extra_usage_price END AS unit_price,
                   coalesce(pr.usage_amount, (pr.dep_to).drawn - (pr.dep_from).drawn
                                             + (pr.dep_to).overage - (pr.dep_from).overage) AS amount,
                   upper(pr.service_period) + pr.grace AS due_date,
                   jsonb_strip_nulls(jsonb_build_object(
                       'events', pr.events, 'aggregation', pr.usage_aggregation, 'used', pr.used,
                       'included', pr.included, 'billable', pr.billable_to - pr.billable_from,
                       'counter_since', CASE WHEN pr.cycle <> lower(pr.service_period) THEN pr.cycle END,
                       'counter', CASE WHEN pr.cycle <> lower(pr.service_period) THEN pr.cum END,
                       'billable_from', CASE WHEN pr.billable_from > 0 THEN pr.billable_from END,
                       'deposit', pr.deposit_amount, 'deposit_drawn', (pr.dep_to).drawn,
                       'deposit_remaining', pr.deposit_amount - (pr.dep_to).drawn)) AS detail,
                   pr.period AS full_period, pr.grace
              FROM priced pr
            UNION ALL
            SELECT pr.contract_id, pr.line_no, pr.version_from, 'drawdown', pr.service_period, NULL, NULL,
                   (pr.dep_from).drawn - (pr.dep_to).drawn, upper(pr.service_period) + pr.grace,
                   jsonb_build_object('deposit', pr.deposit_amount, 'deposit_drawn', (pr.dep_to).drawn,
                                      'deposit_remaining', pr.deposit_amount - (pr.dep_to).drawn),
                   pr.period, pr.grace
              FROM priced pr
             WHERE pr.billing_type = 'deposit'
            UNION ALL
            -- the end of a deposit's term: release what is left, keep retain_rate of it
            SELECT s.contract_id, s.line_no, s.effective_from, x.kind, daterange(s.bill_from, s.bill_to), NULL, NULL,
                   x.amount, s.bill_to + s.grace,
                   jsonb_build_object('deposit', s.deposit_amount, 'deposit_drawn', s.drawn,
                                      'unused', s.deposit_amount - s.drawn, 'retain_rate', coalesce(s.retain_rate, 1)),
                   rr.period_containing(s.bill_from, s.every, s.anchor), s.grace
              FROM (SELECT g.*, coalesce(dl.drawn, 0) AS drawn
                      FROM rr_usage_line g
                      LEFT JOIN (SELECT DISTINCT ON (pr.contract_id, pr.line_no) pr.contract_id, pr.line_no,
                                        (pr.dep_to).drawn AS drawn
                                   FROM priced pr
                                  WHERE pr.billing_type = 'deposit'
                                  ORDER BY pr.contract_id, pr.line_no, lower(pr.service_period) DESC) dl
                             ON dl.contract_id = g.contract_id AND dl.line_no = g.line_no
                     WHERE g.is_grid AND g.billing_type = 'deposit' AND g.bill_to IS NOT NULL
                       AND g.bill_to + g.grace <= $2) s
              CROSS JOIN LATERAL (VALUES
                  ('release', s.drawn - s.deposit_amount),
                  ('breakage', round((s.deposit_amount - s.drawn) * coalesce(s.retain_rate, 1), s.mu))) AS x(kind, amount)
        ), billed AS (
            -- what is charged per line version, kind and billing period, corrections included,
            -- and the service period first charged
            SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind,
                   rr.period_containing(lower(ch.service_period), g.every, g.anchor) AS full_period,
                   sum(ch.quantity) AS quantity, sum(ch.amount) AS amount, max(ch.adjustment_seq) AS seq,
                   (array_agg(ch.service_period ORDER BY ch.adjustment_seq))[1] AS first_period, min(g.grace) AS grace
              FROM rr.charge ch
              JOIN rr_usage_line g ON g.contract_id = ch.contract_id AND g.line_no = ch.line_no AND g.is_grid
             WHERE ch.tenant_id = $1
               AND ($3 IS NULL OR ch.contract_id = $3)
               AND ch.kind IN ('usage', 'drawdown', 'release', 'breakage')
             GROUP BY ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, 5
        ), diff AS (
            -- what is due now against what is charged, per line version, kind and billing
            -- period: new charges; late events and changes inside a charged period (a version
            -- dated inside it, a termination) as the difference, under the next adjustment
            -- sequence, for the days from the first one that changed (else the period as first
            -- charged); what a version no longer owes (it no longer covers the period) credited
            SELECT coalesce(d.contract_id, bl.contract_id) AS contract_id, coalesce(d.line_no, bl.line_no) AS line_no,
                   coalesce(d.version_from, bl.line_effective_from) AS version_from, coalesce(d.kind, bl.kind) AS kind,
                   CASE WHEN bl.seq IS NULL THEN d.service_period
                        WHEN d.service_period IS NOT NULL AND upper(d.service_period) > lower(bl.first_period)
                             AND upper(d.service_period) < upper(bl.first_period)
                            THEN daterange(upper(d.service_period), upper(bl.first_period))
                        ELSE coalesce(d.service_period, bl.first_period) END AS service_period,
                   coalesce(bl.seq + 1, 0) AS seq,
                   d.quantity AS due_quantity, d.amount AS due_amount, bl.quantity AS billed_quantity,
                   bl.amount AS billed_amount, d.unit_price, d.detail, bl.seq AS billed_seq,
                   coalesce(d.grace, bl.grace) AS grace
              FROM due d
              FULL JOIN billed bl ON bl.contract_id = d.contract_id AND bl.line_no = d.line_no
                                 AND bl.line_effective_from = d.version_from AND bl.kind = d.kind
                                 AND bl.full_period = d.full_period
        )
        SELECT x.contract_id, x.line_no, x.version_from, x.kind, x.service_period, x.seq::bigint,
               CASE WHEN x.billed_seq IS NULL OR (x.due_quantity IS NULL AND x.billed_quantity IS NULL) THEN x.due_quantity
                    ELSE coalesce(x.due_quantity, 0) - coalesce(x.billed_quantity, 0) END,
               x.unit_price, coalesce(x.due_amount, 0) - coalesce(x.billed_amount, 0),
               upper(x.service_period) + x.grace,
               CASE WHEN x.billed_seq IS NULL THEN x.detail
                    ELSE coalesce(x.detail, '{}') || jsonb_build_object(
                             CASE WHEN x.due_amount IS NULL THEN 'credited' ELSE 'late' END, true, 'billed_before',
                             jsonb_strip_nulls(jsonb_build_object('quantity', x.billed_quantity, 'amount', x.billed_amount))) END
          FROM diff x
         WHERE upper(x.service_period) + x.grace <= $2
           AND CASE WHEN x.billed_seq IS NULL THEN x.kind = 'usage' OR x.due_amount <> 0
                    ELSE coalesce(x.due_amount, 0) <> x.billed_amount
                         OR x.due_quantity IS DISTINCT FROM x.billed_quantity END
    $q$ USING tenant_id, as_of, only_contract;
END
$$;
COMMENT ON FUNCTION rr_internal.usage_charges(text, date, bigint) IS 'internal: the usage, deposit drawdown, deposit release and breakage charges due by as_of for the tenant''s contracts (or one of them) and not billed yet (late events: the difference, under the next adjustment sequence, with the original service period), with their rating detail';

CREATE VIEW rr.deposit_balances WITH (security_invoker = true) AS
SELECT ch.contract_id, ch.line_no, l.contract_item, k.customer, k.currency,
       sum(ch.amount) FILTER (WHERE ch.kind = 'deposit') AS deposit,
       coalesce(-sum(ch.amount) FILTER (WHERE ch.kind = 'drawdown'), 0) AS drawn,
       coalesce(sum(ch.amount) FILTER (WHERE ch.kind = 'breakage'), 0) AS retained,
       coalesce(-sum(ch.amount) FILTER (WHERE ch.kind = 'release'), 0)
           - coalesce(sum(ch.amount) FILTER (WHERE ch.kind = 'breakage'), 0) AS refunded,
       sum(ch.amount) FILTER (WHERE ch.kind IN ('deposit', 'drawdown', 'release')) AS balance
  FROM rr.charge ch
  JOIN rr.contract k ON k.tenant_id = ch.tenant_id AND k.contract_id = ch.contract_id
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                         AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
 WHERE ch.kind IN ('deposit', 'drawdown', 'release', 'breakage')
 GROUP BY ch.tenant_id, ch.contract_id, ch.line_no, l.contract_item, k.customer, k.currency;
COMMENT ON VIEW rr.deposit_balances IS 'deposits (retainers) per contract line, as billed: the deposit, what usage drew from it, what was retained as breakage and refunded at the end of the term, and the balance left';

-- For DBAs: create a month's partition ahead of time (e.g. from a monthly pg_cron job),
-- so the first event of a month does not take the partition lock on rr.usage_event.
CREATE FUNCTION rr.create_usage_partitions(from_date date, through_date date)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF from_date IS NULL OR through_date IS NULL THEN
        RAISE EXCEPTION 'dates must not be NULL' USING ERRCODE = '22004';
    ELSIF NOT rr.usage_date_range() @> from_date OR NOT rr.usage_date_range() @> through_date THEN
        RAISE EXCEPTION 'usage partitions can be created for dates in %, not [%,%]',
                        rr.usage_date_range(), from_date, through_date USING ERRCODE = '22008';
    ELSIF through_date < from_date THEN
        RAISE EXCEPTION 'through_date % is before from_date %', through_date, from_date USING ERRCODE = '22023';
    ELSIF through_date - from_date > 3660 THEN
        RAISE EXCEPTION 'at most ten years of usage partitions at a time' USING ERRCODE = '22023';
    END IF;
    RETURN rr_internal.ensure_usage_partitions(from_date, through_date);
END
$$;
COMMENT ON FUNCTION rr.create_usage_partitions(date, date) IS 'creates the missing monthly partitions of rr.usage_event for the months from from_date through through_date (ingestion creates them on demand; creating them ahead keeps the partition lock out of the first event of a month); returns how many it created';

-- The quantity detail of usage invoice lines, with the tiers of their price model.
CREATE VIEW rr.usage_line_detail WITH (security_invoker = true) AS
SELECT l.tenant_id, l.invoice_id, l.line_no, l.contract_line_no, l.contract_item, l.service_period,
       (l.detail->>'used')::numeric AS used, (l.detail->>'included')::numeric AS included,
       (l.detail->>'billable')::numeric AS billable, (l.detail->>'counter')::numeric AS counter,
       l.amount, t.tier, t.units AS tier_units, t.unit_price AS tier_unit_price, t.flat_fee AS tier_flat_fee,
       t.amount AS tier_amount
  FROM rr.invoice_line l
  JOIN rr.invoice i ON i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id
  JOIN rr.contract_line cl ON cl.tenant_id = l.tenant_id AND cl.contract_id = i.contract_id
                          AND cl.line_no = l.contract_line_no AND cl.effective_from = l.line_effective_from
  LEFT JOIN LATERAL (
      -- the tiers of the units billed in the period: the counter's tiers at the period's
      -- end less those at its start (a counter that spans periods)
      SELECT b.tier, b.units - coalesce(a.units, 0) AS units, b.unit_price,
             b.flat_fee - coalesce(a.flat_fee, 0) AS flat_fee, b.amount - coalesce(a.amount, 0) AS amount
        FROM rr.price_tiers(cl.price_model,
                            CASE WHEN rr.pricing_model(cl.price_model) IN ('flat', 'volume', 'stairstep') THEN 0
                                 ELSE coalesce((l.detail->>'billable_from')::numeric, 0) END
                            + (l.detail->>'billable')::numeric) b
        LEFT JOIN rr.price_tiers(cl.price_model, coalesce((l.detail->>'billable_from')::numeric, 0)) a
               ON a.tier = b.tier AND rr.pricing_model(cl.price_model) NOT IN ('flat', 'volume', 'stairstep')
       WHERE b.units - coalesce(a.units, 0) <> 0 OR b.flat_fee - coalesce(a.flat_fee, 0) <> 0
  ) t ON cl.price_model IS NOT NULL AND NOT coalesce((l.detail->>'late')::boolean, false)
 WHERE l.kind = 'usage';
COMMENT ON VIEW rr.usage_line_detail IS 'usage invoice lines with their quantity detail (used, included, billable, the usage counter when it spans periods) and, for price models, one row per tier of the units billed in the period (rr.price_tiers of the counter at the period''s end less at its start)';

-- ---- src/sql/230_payments.sql
-- Payments and receivables (docs/payments.md): payments are applied
-- to invoices; an overpayment becomes customer credit.
--
-- A payment is money received from a customer: Dr cash (1200) / Cr customer credit (2400)
-- on the day it is received.  Applying it to a posted invoice moves that money from the
-- customer's credit to the invoice: Dr customer credit (2400) / Cr the invoice's
-- receivable account(s), one journal entry per application.  Whatever is not applied stays
-- on 2400 as customer credit, to be applied later.  Payments and applications are
-- append-only (a payment reversal or refund is a later feature: it will be a new
-- document, never a change to these rows).
--
-- Paid, partly paid and past due are derived, never stored: rr.invoice_balances computes
-- them from the invoice lines and the settlements of each invoice: payment applications
-- and posted credit notes, gathered in the one CTE `settlement` of rr.invoice_balances,
-- which every view and function below follows.

CREATE TABLE rr.payment (
    tenant_id        text NOT NULL,
    payment_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    customer         text NOT NULL,
    currency         char(3) NOT NULL,
    amount           numeric NOT NULL,
    received_on      date NOT NULL,
    method           text,
    reference        text,
    journal_entry_id bigint NOT NULL,
    session_role     name NOT NULL DEFAULT session_user,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT payment_pkey PRIMARY KEY (tenant_id, payment_id),
    CONSTRAINT payment_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT payment_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT payment_entry_fkey FOREIGN KEY (tenant_id, journal_entry_id) REFERENCES rr.journal_entry (tenant_id, entry_id),
    CONSTRAINT payment_amount_check CHECK (amount > 0),
    CONSTRAINT payment_limit_check CHECK (rr.check_number('amount', amount) AND rr.check_date('payment date', received_on))
);
COMMENT ON TABLE rr.payment IS 'payments received (append-only): customer, currency, amount in whole minor units, date received, method, reference, the journal entry (Dr cash / Cr customer credit) and who recorded it; a reversal or refund will be a later, separate document';

CREATE TABLE rr.payment_application (
    tenant_id        text NOT NULL,
    application_id   bigint GENERATED BY DEFAULT AS IDENTITY,
    payment_id       bigint NOT NULL,
    invoice_id       bigint NOT NULL,
    amount           numeric NOT NULL,
    applied_on       date NOT NULL,
    journal_entry_id bigint NOT NULL,
    CONSTRAINT payment_application_pkey PRIMARY KEY (tenant_id, application_id),
    CONSTRAINT payment_application_payment_fkey FOREIGN KEY (tenant_id, payment_id) REFERENCES rr.payment (tenant_id, payment_id),
    CONSTRAINT payment_application_invoice_fkey FOREIGN KEY (tenant_id, invoice_id) REFERENCES rr.invoice (tenant_id, invoice_id),
    CONSTRAINT payment_application_entry_fkey FOREIGN KEY (tenant_id, journal_entry_id) REFERENCES rr.journal_entry (tenant_id, entry_id),
    CONSTRAINT payment_application_amount_check CHECK (amount > 0),
    CONSTRAINT payment_application_limit_check CHECK (rr.check_number('amount', amount)
                                                      AND rr.check_date('application date', applied_on))
);
COMMENT ON TABLE rr.payment_application IS 'payment money applied to posted invoices (append-only): amount, date, and the journal entry (Dr customer credit / Cr receivable); a payment''s unapplied rest is customer credit';

CREATE INDEX payment_customer_idx ON rr.payment (tenant_id, customer);
CREATE INDEX payment_application_payment_idx ON rr.payment_application (tenant_id, payment_id);
CREATE INDEX payment_application_invoice_idx ON rr.payment_application (tenant_id, invoice_id);
-- a payer's invoices (billed to it, or for its contracts) and an invoice's credit notes, by
-- index: a payment's cost does not grow with the tenant
CREATE INDEX invoice_customer_idx ON rr.invoice (tenant_id, customer);
CREATE INDEX invoice_credits_idx ON rr.invoice (tenant_id, credits_invoice) WHERE credits_invoice IS NOT NULL;
CREATE INDEX contract_customer_idx ON rr.contract (tenant_id, customer);

CREATE TRIGGER payment_append_only
    BEFORE UPDATE OR DELETE ON rr.payment
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER payment_no_truncate
    BEFORE TRUNCATE ON rr.payment
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER payment_application_append_only
    BEFORE UPDATE OR DELETE ON rr.payment_application
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER payment_application_no_truncate
    BEFORE TRUNCATE ON rr.payment_application
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- Every posted invoice of a tenant (or those listed) dated up to as_of, with what settled
-- it up to as_of.
CREATE FUNCTION rr.invoice_balances(tenant_id text, as_of date, only_invoices bigint[] DEFAULT NULL)
RETURNS TABLE (invoice_id bigint, number text, contract_id bigint, customer text, currency char(3),
               invoice_date date, due_date date, total numeric, applied numeric, balance numeric,
               status text, past_due boolean, days_past_due integer)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH settlement AS (
        -- Everything that settles a posted invoice, one row each: payment applications,
        -- and posted credit notes (their lines are negative; the credit settles the invoice).
        SELECT a.invoice_id, 'payment'::text AS kind, a.amount
          FROM rr.payment_application a
         WHERE a.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND a.applied_on OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR a.invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
        UNION ALL
        SELECT n.credits_invoice, 'credit_note'::text, OPERATOR(pg_catalog.-) l.amount
          FROM rr.invoice n
          JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) n.tenant_id
                                AND l.invoice_id OPERATOR(pg_catalog.=) n.invoice_id
         WHERE n.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND n.doc_type OPERATOR(pg_catalog.=) 'credit_note' AND n.status OPERATOR(pg_catalog.=) 'posted'
           AND n.invoice_date OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR n.credits_invoice OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
    ), settled AS (
        SELECT s.invoice_id,
               sum(s.amount) FILTER (WHERE s.kind OPERATOR(pg_catalog.=) 'payment') AS applied,
               sum(s.amount) AS settled
          FROM settlement s
         GROUP BY s.invoice_id
    ), inv AS (
        SELECT i.invoice_id, i.number, i.contract_id, i.customer, i.currency, i.invoice_date, i.due_date,
               (SELECT sum(l.amount) FROM rr.invoice_line l
                 WHERE l.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                   AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id) AS total,
               coalesce(s.applied, 0) AS applied, coalesce(s.settled, 0) AS settled
          FROM rr.invoice i
          LEFT JOIN settled s ON s.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
         WHERE i.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND i.status OPERATOR(pg_catalog.=) 'posted'
           AND i.doc_type OPERATOR(pg_catalog.=) 'invoice'
           AND i.invoice_date OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR i.invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
    )
    SELECT inv.invoice_id, inv.number, inv.contract_id, inv.customer, inv.currency, inv.invoice_date, inv.due_date,
           inv.total, inv.applied, inv.total OPERATOR(pg_catalog.-) inv.settled,
           CASE WHEN inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.<=) 0 THEN 'paid'
                WHEN inv.settled OPERATOR(pg_catalog.>) 0 THEN 'partly_paid'
                ELSE 'open' END,
           inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.>) 0
               AND inv.due_date OPERATOR(pg_catalog.<) invoice_balances.as_of,
           CASE WHEN inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.>) 0
                     AND pg_catalog.isfinite(invoice_balances.as_of)
                THEN greatest(invoice_balances.as_of OPERATOR(pg_catalog.-) inv.due_date, 0) ELSE 0 END
      FROM inv;
END;
COMMENT ON FUNCTION rr.invoice_balances(text, date, bigint[]) IS 'the posted invoices of a tenant (all, or those listed in only_invoices) dated up to as_of with their total, the payments applied up to as_of, the balance, status (open, partly_paid, paid), whether past due and by how many days; the one place where settlements (payment applications, later credit notes) are summed';

-- Every payer of a tenant with what it paid and what of that is applied, up to as_of.
CREATE FUNCTION rr.customer_credits(tenant_id text, as_of date)
RETURNS TABLE (customer text, currency char(3), received numeric, applied numeric, unapplied numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT p.customer, p.currency, sum(p.amount), sum(coalesce(a.applied, 0)),
           sum(p.amount OPERATOR(pg_catalog.-) coalesce(a.applied, 0))
      FROM rr.payment p
      LEFT JOIN LATERAL (SELECT sum(x.amount) AS applied FROM rr.payment_application x
                          WHERE x.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
                            AND x.payment_id OPERATOR(pg_catalog.=) p.payment_id
                            AND x.applied_on OPERATOR(pg_catalog.<=) customer_credits.as_of) a ON true
     WHERE p.tenant_id OPERATOR(pg_catalog.=) customer_credits.tenant_id
       AND p.received_on OPERATOR(pg_catalog.<=) customer_credits.as_of
     GROUP BY p.customer, p.currency;
END;
COMMENT ON FUNCTION rr.customer_credits(text, date) IS 'per paying customer and currency: payments received up to as_of, the part applied to invoices up to as_of, and the unapplied rest (customer credit)';

CREATE VIEW rr.invoice_balance WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, b.*
  FROM rr.invoice_balances(rr.current_tenant(), current_date) b;
COMMENT ON VIEW rr.invoice_balance IS 'one row per posted invoice of the current tenant: total, payments applied, balance, status (open, partly_paid, paid), past_due and days past due as of today; derived from the applications, never stored';

CREATE VIEW rr.customer_balance WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, coalesce(ar.customer, cr.customer) AS customer,
       coalesce(ar.currency, cr.currency) AS currency,
       coalesce(ar.invoiced, 0) AS invoiced, coalesce(ar.applied, 0) AS applied,
       coalesce(ar.open_ar, 0) AS open_ar, coalesce(cr.received, 0) AS received,
       coalesce(cr.unapplied, 0) AS unapplied_credit,
       coalesce(ar.open_ar, 0) - coalesce(cr.unapplied, 0) AS net_balance
  FROM (SELECT b.customer, b.currency, sum(b.total) AS invoiced, sum(b.applied) AS applied, sum(b.balance) AS open_ar
          FROM rr.invoice_balances(rr.current_tenant(), current_date) b
         GROUP BY b.customer, b.currency) ar
  FULL JOIN rr.customer_credits(rr.current_tenant(), current_date) cr
         ON cr.customer = ar.customer AND cr.currency = ar.currency;
COMMENT ON VIEW rr.customer_balance IS 'accounts receivable per customer and currency of the current tenant, as of today: posted invoices, payments applied to them, open AR, payments received from the customer, unapplied customer credit, and net balance (open AR minus credit)';

CREATE FUNCTION rr.ar_aging(as_of date DEFAULT current_date)
RETURNS TABLE (customer text, currency char(3), current numeric, days_1_30 numeric, days_31_60 numeric,
               days_61_90 numeric, over_90 numeric, open_ar numeric, unapplied_credit numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(ar.customer, cr.customer), coalesce(ar.currency, cr.currency),
           coalesce(ar.current, 0), coalesce(ar.d30, 0), coalesce(ar.d60, 0), coalesce(ar.d90, 0),
           coalesce(ar.over, 0), coalesce(ar.open_ar, 0), coalesce(cr.unapplied, 0)
      FROM (SELECT b.customer, b.currency,
                   sum(b.balance) FILTER (WHERE b.days_past_due OPERATOR(pg_catalog.=) 0) AS current,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 1 AND 30) AS d30,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 31 AND 60) AS d60,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 61 AND 90) AS d90,
                   sum(b.balance) FILTER (WHERE b.days_past_due OPERATOR(pg_catalog.>) 90) AS over,
                   sum(b.balance) AS open_ar
              FROM rr.invoice_balances(rr.current_tenant(), ar_aging.as_of) b
             WHERE b.balance OPERATOR(pg_catalog.<>) 0
             GROUP BY b.customer, b.currency) ar
      FULL JOIN (SELECT c.customer, c.currency, c.unapplied
                   FROM rr.customer_credits(rr.current_tenant(), ar_aging.as_of) c
                  WHERE c.unapplied OPERATOR(pg_catalog.<>) 0) cr
             ON cr.customer OPERATOR(pg_catalog.=) ar.customer AND cr.currency OPERATOR(pg_catalog.=) ar.currency
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION rr.ar_aging(date) IS 'AR aging of the current tenant as of a date, per customer and currency: open balances of posted invoices by days past their due date (current, 1-30, 31-60, 61-90, over 90), the total open AR, and the unapplied customer credit';

CREATE VIEW rr.ar_aging WITH (security_invoker = true) AS
SELECT a.* FROM rr.ar_aging(current_date) a;
COMMENT ON VIEW rr.ar_aging IS 'AR aging of the current tenant as of today (rr.ar_aging(current_date)): open balances per customer and currency in buckets of days past due, and unapplied credit';

-- The amount rounded to the currency's minor units, refused if it is not positive or not
-- a whole number of minor units.
CREATE FUNCTION rr_internal.check_payment_amount(amount numeric, currency text)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mu integer := rr.minor_units(currency::text);
BEGIN
    IF amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_number('amount', amount);
    IF amount <= 0 THEN
        RAISE EXCEPTION 'amount "%" is not positive', amount
            USING ERRCODE = '22023',
                  HINT = 'Payments and applications are positive amounts; a refund or reversal will be a separate document.';
    ELSIF amount <> round(amount, mu) THEN
        RAISE EXCEPTION 'amount "%" is not a whole number of minor units', amount
            USING ERRCODE = '22023',
                  DETAIL = format('%s has %s decimal places: the smallest unit is %s.', upper(currency), mu,
                                  round(power(10::numeric, -mu), mu)),
                  HINT = format('Round the amount to %s decimal places first.', mu);
    END IF;
    RETURN round(amount, mu);
END
$$;
COMMENT ON FUNCTION rr_internal.check_payment_amount(numeric, text) IS 'internal: a payment or application amount rounded to the scale of its currency; 22023 if it is not positive or not a whole number of minor units';

-- Write applications of one payment: one journal entry each (Dr customer credit / Cr the
-- invoice's receivable accounts), entries, lines and applications in one statement.
-- The caller has checked and locked everything.
CREATE FUNCTION rr_internal.write_applications(tenant_id text, payment_id bigint, invoice_ids bigint[],
                                      amounts numeric[], applied_on date[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := write_applications.tenant_id;
    pid bigint := write_applications.payment_id;
    n integer;
BEGIN
    -- the fiscal periods of every posting date exist before the statement that posts
    PERFORM rr_internal.posting_period(t, d) FROM (SELECT DISTINCT unnest(write_applications.applied_on) AS d) x;

    WITH app AS (
        SELECT x.invoice_id, x.amount, x.applied_on, i.currency, i.number, i.contract_id,
               rr.minor_units(i.currency::text) AS mu,
               nextval(pg_get_serial_sequence('rr.journal_entry', 'entry_id')) AS entry_id
          FROM unnest(invoice_ids, amounts, write_applications.applied_on) AS x (invoice_id, amount, applied_on)
          JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = x.invoice_id
    ), remaining AS (
        -- what is still receivable on each receivable account of the invoice: its lines
        -- less what earlier applications credited to that account
        SELECT app.entry_id, r.account,
               greatest(r.amount - coalesce((SELECT sum(jl.credit - jl.debit)
                                               FROM rr.payment_application pa
                                               JOIN rr.journal_line jl ON jl.tenant_id = t
                                                                      AND jl.entry_id = pa.journal_entry_id
                                                                      AND jl.account = r.account
                                              WHERE pa.tenant_id = t AND pa.invoice_id = app.invoice_id), 0),
                        0) AS amount
          FROM app
          CROSS JOIN LATERAL (SELECT l.receivable_account AS account, sum(l.amount) AS amount
                                FROM rr.invoice_line l
                               WHERE l.tenant_id = t AND l.invoice_id = app.invoice_id
                               GROUP BY l.receivable_account) r
    ), split AS (
        -- the application split across those accounts in proportion, exactly
        SELECT app.entry_id, w.accounts[p.k] AS account, p.amount
          FROM app
          CROSS JOIN LATERAL (SELECT array_agg(r.account ORDER BY r.account) AS accounts,
                                     array_agg(r.amount ORDER BY r.account) AS weights
                                FROM remaining r WHERE r.entry_id = app.entry_id) w
          CROSS JOIN LATERAL unnest(rr.allocate(app.amount, w.weights, app.mu)) WITH ORDINALITY AS p (amount, k)
    ), entry AS (
        INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
        SELECT t, app.entry_id, app.applied_on, rr_internal.posting_period(t, app.applied_on), 'payment', pid,
               format('Payment %s applied to invoice %s', pid, app.number)
          FROM app
        RETURNING entry_id
    ), jl AS (
        INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id)
        SELECT t, app.entry_id, 1, '2400', app.amount, 0, app.currency, app.contract_id
          FROM app
        UNION ALL
        SELECT t, s.entry_id, 1 + row_number() OVER (PARTITION BY s.entry_id ORDER BY s.account)::integer,
               s.account, 0, s.amount, app.currency, app.contract_id
          FROM split s JOIN app ON app.entry_id = s.entry_id
         WHERE s.amount <> 0
    )
    INSERT INTO rr.payment_application (tenant_id, payment_id, invoice_id, amount, applied_on, journal_entry_id)
    SELECT t, pid, app.invoice_id, app.amount, app.applied_on, app.entry_id
      FROM app
     ORDER BY app.entry_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.write_applications(text, bigint, bigint[], numeric[], date[]) IS 'internal: writes checked applications of one payment, each with its journal entry (Dr customer credit 2400 / Cr the invoice''s receivable accounts, split in proportion to what is still receivable on each), in one statement';

-- May this payer's money settle this invoice?  Billed to the payer, or for a contract of
-- the payer (billed to its parent or bill-to account).
CREATE FUNCTION rr_internal.payer_may_settle(tenant_id text, payer text, invoice_customer text, contract_id bigint)
RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT invoice_customer OPERATOR(pg_catalog.=) payer
        OR EXISTS (SELECT FROM rr.contract k
                    WHERE k.tenant_id OPERATOR(pg_catalog.=) payer_may_settle.tenant_id
                      AND k.contract_id OPERATOR(pg_catalog.=) payer_may_settle.contract_id
                      AND k.customer OPERATOR(pg_catalog.=) payer_may_settle.payer);
END;
COMMENT ON FUNCTION rr_internal.payer_may_settle(text, text, text, bigint) IS 'internal: true if a payment from payer may settle an invoice billed to invoice_customer for the contract: the invoice is billed to the payer, or it is for a contract of the payer billed to its parent or bill-to account';

CREATE FUNCTION rr.record_payment(customer text, amount numeric, received_on date, reference text DEFAULT NULL,
                                  apply boolean DEFAULT true, method text DEFAULT NULL, currency text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer;
    cur char(3);
    amt numeric;
    pid bigint;
    eid bigint;
    ids bigint[];
    open_ids bigint[];
    amts numeric[];
    dates date[];
BEGIN
    IF record_payment.customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO cu FROM rr.customer x WHERE x.tenant_id = t AND x.code = record_payment.customer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer "%" does not exist', record_payment.customer
            USING ERRCODE = '23503', HINT = 'Add the customer to rr.customer first.';
    END IF;
    IF record_payment.received_on IS NULL THEN
        RAISE EXCEPTION 'payment date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('payment date', record_payment.received_on);
    cur := upper(coalesce(record_payment.currency, cu.currency));
    amt := rr_internal.check_payment_amount(record_payment.amount, cur);

    -- the receipt: Dr cash / Cr customer credit, entry and lines first (the payment refers
    -- to its entry, the entry to the payment)
    pid := nextval(pg_get_serial_sequence('rr.payment', 'payment_id'));
    INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
    VALUES (t, record_payment.received_on, rr_internal.posting_period(t, record_payment.received_on), 'payment', pid,
            format('Payment %s received from %s', pid, cu.code))
    RETURNING entry_id INTO eid;
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency)
    VALUES (t, eid, 1, '1200', amt, 0, cur), (t, eid, 2, '2400', 0, amt, cur);
    INSERT INTO rr.payment (tenant_id, payment_id, customer, currency, amount, received_on, method, reference,
                            journal_entry_id)
    VALUES (t, pid, cu.code, cur, amt, record_payment.received_on, record_payment.method,
            record_payment.reference, eid);

    IF coalesce(record_payment.apply, true) THEN
        -- lock the payer's open invoices (in id order, so concurrent payments cannot
        -- deadlock), then read their balances: oldest due date first, then number;
        -- each takes what is left of the payment, up to its balance
        -- (the payer's invoices are found by index, billed to it or for its contracts, so
        -- a payment costs the same in a tenant of any size)
        SELECT array_agg(x.invoice_id) INTO open_ids
          FROM (SELECT i.invoice_id FROM rr.invoice i
                 WHERE i.tenant_id = t
                   AND i.invoice_id = ANY (ARRAY(SELECT j.invoice_id FROM rr.invoice j
                                                  WHERE j.tenant_id = t AND j.customer = cu.code
                                                 UNION
                                                 SELECT j.invoice_id FROM rr.contract k
                                                   JOIN rr.invoice j ON j.tenant_id = t AND j.contract_id = k.contract_id
                                                  WHERE k.tenant_id = t AND k.customer = cu.code))
                   AND i.status = 'posted' AND i.doc_type = 'invoice' AND i.currency = cur
                   AND rr_internal.payer_may_settle(t, cu.code, i.customer, i.contract_id)
                 ORDER BY i.invoice_id
                   FOR UPDATE) x;
        SELECT array_agg(o.invoice_id ORDER BY o.due_date, o.number, o.invoice_id),
               array_agg(least(o.balance, amt - (o.through - o.balance)) ORDER BY o.due_date, o.number, o.invoice_id),
               array_agg(greatest(record_payment.received_on, o.invoice_date) ORDER BY o.due_date, o.number, o.invoice_id)
          INTO ids, amts, dates
          FROM (SELECT b.*, sum(b.balance) OVER (ORDER BY b.due_date, b.number, b.invoice_id) AS through
                  FROM rr.invoice_balances(t, 'infinity', coalesce(open_ids, '{}')) b
                 WHERE b.balance > 0) o
         WHERE o.through - o.balance < amt;
        IF ids IS NOT NULL THEN
            PERFORM rr_internal.write_applications(t, pid, ids, amts, dates);
        END IF;
    END IF;
    RETURN pid;
END
$$;
COMMENT ON FUNCTION rr.record_payment(text, numeric, date, text, boolean, text, text) IS 'records a payment received from a customer (in the customer''s currency unless given) with its journal entry (Dr cash 1200 / Cr customer credit 2400); if apply, applies it to the customer''s posted open invoices in that currency, oldest due date first, in one set-based statement; what is left stays customer credit; returns the payment id';

CREATE FUNCTION rr.apply_payment(payment_id bigint, invoice_id bigint, amount numeric DEFAULT NULL,
                                 applied_on date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    p rr.payment;
    i rr.invoice;
    b record;
    unapplied numeric;
    amt numeric;
    d date;
BEGIN
    IF apply_payment.payment_id IS NULL OR apply_payment.invoice_id IS NULL THEN
        RAISE EXCEPTION 'payment and invoice ids must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- lock the payment, then the invoice: applications of one payment, or to one
    -- invoice, queue up behind each other
    SELECT * INTO p FROM rr.payment x WHERE x.tenant_id = t AND x.payment_id = apply_payment.payment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', apply_payment.payment_id
            USING ERRCODE = 'P0002', HINT = 'Payment ids are per tenant; check rr.tenant and the payment id.';
    END IF;
    SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = t AND x.invoice_id = apply_payment.invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', apply_payment.invoice_id
            USING ERRCODE = 'P0002', HINT = 'Invoice ids are per tenant; check rr.tenant and the invoice id.';
    ELSIF i.doc_type <> 'invoice' THEN
        RAISE EXCEPTION 'cannot apply payment % to credit note %', p.payment_id, i.number
            USING ERRCODE = '22023', HINT = 'Apply payments to invoices; a credit note already reduces its invoice.';
    ELSIF i.status <> 'posted' THEN
        RAISE EXCEPTION 'cannot apply payment % to invoice %: the invoice is a draft', p.payment_id, i.invoice_id
            USING ERRCODE = '55000', DETAIL = 'Only posted invoices are receivable.',
                  HINT = 'Post it with rr.post_invoices() first.';
    ELSIF NOT rr_internal.payer_may_settle(t, p.customer, i.customer, i.contract_id) THEN
        RAISE EXCEPTION 'cannot apply payment % to invoice %: it is billed to customer "%", not to "%"',
                        p.payment_id, i.number, i.customer, p.customer
            USING ERRCODE = '22023',
                  HINT = 'A payment settles invoices billed to its customer, or invoices of that customer''s contracts billed to another account.';
    ELSIF i.currency <> p.currency THEN
        RAISE EXCEPTION 'currency mismatch: payment % is in %, invoice % is in %', p.payment_id, p.currency,
                        i.number, i.currency
            USING ERRCODE = '22023', HINT = 'Apply a payment only to invoices in its currency.';
    END IF;

    d := coalesce(apply_payment.applied_on, greatest(p.received_on, i.invoice_date));
    PERFORM rr.check_date('application date', d);
    IF d < p.received_on THEN
        RAISE EXCEPTION 'application date % is before payment % was received', d, p.payment_id
            USING ERRCODE = '22023', DETAIL = format('Payment %s was received on %s.', p.payment_id, p.received_on),
                  HINT = 'Apply a payment on or after the day it was received.';
    ELSIF d < i.invoice_date THEN
        RAISE EXCEPTION 'application date % is before invoice %', d, i.number
            USING ERRCODE = '22023', DETAIL = format('Invoice %s is dated %s.', i.number, i.invoice_date),
                  HINT = 'Apply a payment on or after the invoice date.';
    END IF;

    SELECT * INTO b FROM rr.invoice_balances(t, 'infinity', ARRAY[i.invoice_id]) x;
    SELECT p.amount - coalesce(sum(a.amount), 0) INTO unapplied
      FROM rr.payment_application a WHERE a.tenant_id = t AND a.payment_id = p.payment_id;

    IF apply_payment.amount IS NULL THEN
        IF b.balance <= 0 THEN
            RAISE EXCEPTION 'cannot apply payment % to invoice %: the invoice is paid', p.payment_id, i.number
                USING ERRCODE = '22023', DETAIL = format('Invoice %s of %s %s has no balance left.', i.number, b.total, i.currency);
        ELSIF unapplied <= 0 THEN
            RAISE EXCEPTION 'payment % is fully applied', p.payment_id
                USING ERRCODE = '22023', DETAIL = format('All %s %s of payment %s are applied to invoices.', p.amount, p.currency, p.payment_id);
        END IF;
        amt := least(b.balance, unapplied);
    ELSE
        amt := rr_internal.check_payment_amount(apply_payment.amount, p.currency);
        IF amt > b.balance THEN
            RAISE EXCEPTION 'cannot apply % to invoice %: its balance is %', amt, i.number, b.balance
                USING ERRCODE = '22023', DETAIL = format('Invoice %s of %s %s has %s applied.', i.number, b.total, i.currency, b.applied),
                      HINT = 'Apply at most the balance; what is left of the payment stays customer credit.';
        ELSIF amt > unapplied THEN
            RAISE EXCEPTION 'cannot apply % from payment %: only % is unapplied', amt, p.payment_id, unapplied
                USING ERRCODE = '22023', DETAIL = format('Payment %s of %s %s has %s applied.', p.payment_id, p.amount, p.currency, p.amount - unapplied),
                      HINT = 'Apply at most the unapplied amount of the payment.';
        END IF;
    END IF;

    PERFORM rr_internal.write_applications(t, p.payment_id, ARRAY[i.invoice_id], ARRAY[amt], ARRAY[d]);
    RETURN (SELECT max(a.application_id) FROM rr.payment_application a
             WHERE a.tenant_id = t AND a.payment_id = p.payment_id AND a.invoice_id = i.invoice_id);
END
$$;
COMMENT ON FUNCTION rr.apply_payment(bigint, bigint, numeric, date) IS 'applies unapplied money of a payment to one posted invoice of the same customer (or of a contract of that customer) and currency: by default as much as both allow, on the later of the payment and invoice dates; journal entry Dr customer credit 2400 / Cr the invoice''s receivable account(s); returns the application id';

-- ---- src/sql/300_recognition.sql
-- Revenue recognition under ASC 606 / IFRS 15 (docs/revenue.md).
--
--   contract activation ──> performance obligations (one per contract line unless bundled)
--                            fixed consideration allocated by relative SSP (rr.allocate)
--                            revenue schedule per obligation (rr.spread)      [same transaction]
--   billing (rr_internal.bill)   ──> schedule lines for what the activation did not plan: usage
--                            (variable consideration), unlimited contracts, later changes
--   rr.record_progress  ──> percent-complete catch-up lines
--   rr.recognize(d)     ──> posts every due line: Cr revenue, and re-nets the contract's
--                            position into deferred revenue / unbilled receivable /
--                            contract asset (one entry per contract and fiscal period)
--   rr.close_period     ──> controller checks, then nothing posts into the period again
--
-- Rules decided where the design was silent (docs/revenue.md and docs/decisions.md repeat them):
-- * Fixed consideration of a contract with an end date = every charge rr.due_charges
--   plans through the end of the term (setup, renewal-on-activation, recurring, discounts),
--   excluding deposits (a liability, not revenue) and lines priced by a price model or whose
--   item is recognised on usage (variable consideration, recognised as invoiced).
--   Unlimited contracts have no enforceable term beyond the period billed: their charges
--   are recognised as invoiced, over each charge's service period.
-- * A setup or renewal fee is not distinct from the service of its line: it belongs to the
--   line's obligation and follows the service's pattern.  A line with no recurring charge
--   (a licence sold through its setup fee) is an obligation of its own.
-- * The obligation's method and accounts come from the item of its first line (recurring
--   item, else setup item, else renewal item); no deferral code means 'daily'.
-- * SSP of a line for the term = standalone_price (per unit and billing period) × quantity
--   × the billing periods charged (partial periods by their prorated fraction); a line with
--   no recurring charge: standalone_price × quantity.  rr.set_obligation overrides it with a
--   total, bundles lines into one obligation or marks the residual one.  A contract with
--   several obligations needs an SSP for each (or one residual obligation) as soon as one
--   of them has an SSP or a contract-wide discount applies; when none has an SSP, each
--   obligation keeps its own contract price.

-- ---------------------------------------------------------------------------------------
-- Fiscal periods: the close / reopen log (tiling is checked in 200_ledger.sql).

CREATE TABLE rr.period_close_event (
    tenant_id    text NOT NULL,
    event_id     bigint GENERATED BY DEFAULT AS IDENTITY,
    period_start date NOT NULL,
    action       text NOT NULL,
    reason       text,
    occurred_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    session_role name NOT NULL DEFAULT session_user,
    acting_role  name NOT NULL,
    CONSTRAINT period_close_event_pkey PRIMARY KEY (tenant_id, event_id),
    CONSTRAINT period_close_event_period_fkey FOREIGN KEY (tenant_id, period_start)
        REFERENCES rr.fiscal_period (tenant_id, period_start),
    CONSTRAINT period_close_event_action_check CHECK (action IN ('close', 'reopen'))
);
COMMENT ON TABLE rr.period_close_event IS 'append-only log of fiscal period closes and reopenings: period, action, reason, when, session user and acting role';

CREATE TRIGGER period_close_event_append_only
    BEFORE UPDATE OR DELETE ON rr.period_close_event
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER period_close_event_no_truncate
    BEFORE TRUNCATE ON rr.period_close_event
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- Nothing posts into a closed period, by any path (a hand-written INSERT included).  An
-- entry created before the period's last close is one being restored by pg_restore (it
-- keeps its created_at), and is let through.
CREATE FUNCTION rr_internal.refuse_closed_period_posting()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.entry_id, n.period_start, n.entry_date
      INTO bad
      FROM new_entries n
      JOIN rr.fiscal_period p ON p.tenant_id = n.tenant_id AND p.period_start = n.period_start
      LEFT JOIN LATERAL (SELECT e.occurred_at, e.xmin AS close_xid
                           FROM rr.period_close_event e
                          WHERE e.tenant_id = n.tenant_id AND e.period_start = n.period_start AND e.action = 'close'
                          ORDER BY e.event_id DESC LIMIT 1) c ON true
     WHERE p.status = 'closed'
       -- created after the close, or in the transaction that closed it; a closed period
       -- whose close is not (yet) in the log is one pg_restore is loading
       AND (n.created_at >= c.occurred_at OR c.close_xid = pg_catalog.xid(pg_catalog.pg_current_xact_id()))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot post into closed fiscal period starting %', bad.period_start
            USING ERRCODE = '55000',
                  DETAIL = format('Journal entry %s dated %s names a period that is closed.', bad.entry_id, bad.entry_date),
                  HINT = 'Post into the first open period after it, or have an administrator reopen the period with rr.reopen_period().';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.refuse_closed_period_posting() IS 'trigger function: refuses journal entries written into a closed fiscal period';

CREATE TRIGGER journal_entry_open_period
    AFTER INSERT ON rr.journal_entry REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_closed_period_posting();

-- Per-contract ledger balances (recognition re-nets each contract's position).
CREATE INDEX journal_line_contract_idx ON rr.journal_line (tenant_id, contract_id);

-- ---------------------------------------------------------------------------------------
-- Performance obligations and revenue schedules.

CREATE TABLE rr.obligation_setting (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    line_no          integer NOT NULL,
    obligation_no    integer,
    standalone_price numeric,
    ssp_is_residual  boolean,
    CONSTRAINT obligation_setting_pkey PRIMARY KEY (tenant_id, contract_id, line_no),
    CONSTRAINT obligation_setting_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT obligation_setting_obligation_check CHECK (obligation_no > 0),
    CONSTRAINT obligation_setting_ssp_check CHECK (rr.check_number('standalone selling price', standalone_price)
                                                   AND standalone_price >= 0)
);
COMMENT ON TABLE rr.obligation_setting IS 'per contract line, before activation: the obligation it belongs to (lines sharing a number are one bundled obligation; default: its own line number), an SSP for the whole term that overrides the contract item''s, and the residual flag';

CREATE TABLE rr.performance_obligation (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    line_nos         integer[] NOT NULL,
    first_line_no    integer NOT NULL,
    first_line_from  date NOT NULL,
    item             text NOT NULL,
    method           text NOT NULL,
    grain            interval NOT NULL,
    revenue_account  text NOT NULL,
    deferred_account text NOT NULL,
    currency         char(3) NOT NULL,
    service          daterange,
    standalone_price numeric,
    is_residual      boolean NOT NULL DEFAULT false,
    contract_amount  numeric NOT NULL DEFAULT 0,
    allocated_amount numeric NOT NULL DEFAULT 0,
    CONSTRAINT performance_obligation_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no),
    -- (also orders pg_restore: contract lines load before the obligations, so restoring them
    -- does not look like a line change to re-plan)
    -- (also the obligation's contract: the line's own key to rr.contract covers it, so no
    -- second key is checked per row)
    CONSTRAINT performance_obligation_line_fkey FOREIGN KEY (tenant_id, contract_id, first_line_no, first_line_from)
        REFERENCES rr.contract_line (tenant_id, contract_id, line_no, effective_from),
    CONSTRAINT performance_obligation_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT performance_obligation_revenue_fkey FOREIGN KEY (tenant_id, revenue_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT performance_obligation_deferred_fkey FOREIGN KEY (tenant_id, deferred_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT performance_obligation_method_check CHECK (method IN ('immediate', 'on_date', 'equal', 'equal_prorate', 'daily',
                                                                     'percent_complete', 'on_usage', 'on_payment'))
);
COMMENT ON TABLE rr.performance_obligation IS 'performance obligations of a contract (one per line unless bundled): recognition method and accounts, service period, SSP for the term, fixed consideration at contract prices and the part of the transaction price allocated to it by relative SSP';
COMMENT ON COLUMN rr.performance_obligation.contract_amount IS 'fixed consideration of the obligation''s own lines at contract prices (0 when everything is variable)';
COMMENT ON COLUMN rr.performance_obligation.allocated_amount IS 'transaction price allocated by relative SSP (rr.allocate) or the residual method; the allocation lines of its schedule sum to it exactly';

CREATE TABLE rr.obligation_charge (
    tenant_id           text NOT NULL,
    contract_id         bigint NOT NULL,
    line_no             integer NOT NULL,
    line_effective_from date NOT NULL,
    kind                text NOT NULL,
    service_period      daterange NOT NULL,
    adjustment_seq      bigint NOT NULL,
    obligation_no       integer NOT NULL,
    amount              numeric NOT NULL,
    CONSTRAINT obligation_charge_pkey PRIMARY KEY (tenant_id, contract_id, line_no, line_effective_from, kind,
                                                   service_period, adjustment_seq),
    CONSTRAINT obligation_charge_obligation_fkey FOREIGN KEY (tenant_id, contract_id, obligation_no)
        REFERENCES rr.performance_obligation (tenant_id, contract_id, obligation_no)
);
COMMENT ON TABLE rr.obligation_charge IS 'the fixed charges planned at activation for the whole term (keyed like rr.charge), and the obligation each belongs to: billing them creates no new schedule lines, since the allocation already scheduled their revenue';

CREATE TABLE rr.revenue_schedule_line (
    tenant_id        text NOT NULL,
    schedule_line_id bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    source           text NOT NULL,
    period           daterange NOT NULL,
    recognize_on     date NOT NULL,
    amount           numeric NOT NULL,
    contract_amount  numeric NOT NULL,
    invoice_id       bigint,
    invoice_line_no  integer,
    status           text NOT NULL DEFAULT 'open',
    run_id           bigint,
    entry_id         bigint,
    posted_period    date,
    posted_on        date,
    CONSTRAINT revenue_schedule_line_pkey PRIMARY KEY (tenant_id, schedule_line_id),
    CONSTRAINT revenue_schedule_line_obligation_fkey FOREIGN KEY (tenant_id, contract_id, obligation_no)
        REFERENCES rr.performance_obligation (tenant_id, contract_id, obligation_no),
    -- lines of a draft invoice go with it when its billing is undone
    CONSTRAINT revenue_schedule_line_invoice_fkey FOREIGN KEY (tenant_id, invoice_id, invoice_line_no)
        REFERENCES rr.invoice_line (tenant_id, invoice_id, line_no) ON DELETE CASCADE,
    CONSTRAINT revenue_schedule_line_source_check CHECK (source IN ('allocation', 'billing', 'credit', 'progress', 'payment')),
    CONSTRAINT revenue_schedule_line_status_check CHECK (status IN ('open', 'posted')),
    CONSTRAINT revenue_schedule_line_posted_check CHECK ((status = 'posted') = (run_id IS NOT NULL AND posted_period IS NOT NULL
                                                                          AND posted_on IS NOT NULL)),
    CONSTRAINT revenue_schedule_line_billing_check CHECK ((source IN ('billing', 'credit')) = (invoice_id IS NOT NULL))
);
COMMENT ON TABLE rr.revenue_schedule_line IS 'revenue schedule lines per obligation: the period, the date from which the line is due for recognition, the allocated amount and the same at contract prices; open until a recognition run posts it (then immutable, with its run, journal entry and the fiscal period it went into)';
COMMENT ON COLUMN rr.revenue_schedule_line.source IS 'allocation (written at activation), billing (written with the invoice: usage, unlimited contracts, unplanned charges), credit (a credit note: negative lines, taken from the obligation''s future lines first, the rest on the credit date), progress (percent complete catch-up), payment (on_payment, as cash is applied)';
COMMENT ON COLUMN rr.revenue_schedule_line.posted_on IS 'date of the journal entry that recognised the line (the last due date of the lines it posted together); balances and the reconciliation as of a date count the lines posted on or before it';
COMMENT ON COLUMN rr.revenue_schedule_line.contract_amount IS 'the same line at contract prices (before SSP reallocation): what separates an unbilled receivable (only time) from a contract asset (conditional)';

CREATE INDEX revenue_schedule_line_due_idx ON rr.revenue_schedule_line (tenant_id, recognize_on) WHERE status = 'open';
CREATE INDEX revenue_schedule_line_contract_idx ON rr.revenue_schedule_line (tenant_id, contract_id, obligation_no);
CREATE INDEX revenue_schedule_line_invoice_idx ON rr.revenue_schedule_line (tenant_id, invoice_id, invoice_line_no);

-- Posted lines are immutable; open lines may still be posted (status open -> posted) or go
-- with the draft invoice they came from.
CREATE FUNCTION rr_internal.freeze_posted_schedule_line()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'cannot % posted revenue schedule line %', lower(TG_OP), OLD.schedule_line_id
            USING ERRCODE = '55000',
                  DETAIL = 'Recognised revenue never changes.',
                  HINT = 'Correct recognised revenue with new schedule lines, which post as new journal entries.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION rr_internal.freeze_posted_schedule_line() IS 'trigger function: refuses changes to posted revenue schedule lines';

CREATE TRIGGER revenue_schedule_line_frozen
    BEFORE UPDATE OR DELETE ON rr.revenue_schedule_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.freeze_posted_schedule_line();
CREATE TRIGGER revenue_schedule_line_no_truncate
    BEFORE TRUNCATE ON rr.revenue_schedule_line
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

CREATE TABLE rr.progress_entry (
    tenant_id     text NOT NULL,
    progress_id   bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id   bigint NOT NULL,
    obligation_no integer NOT NULL,
    as_of         date NOT NULL,
    percent       numeric NOT NULL,
    is_reversal   boolean NOT NULL DEFAULT false,
    reason        text,
    catch_up      numeric NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    session_role  name NOT NULL DEFAULT session_user,
    CONSTRAINT progress_entry_pkey PRIMARY KEY (tenant_id, progress_id),
    CONSTRAINT progress_entry_obligation_fkey FOREIGN KEY (tenant_id, contract_id, obligation_no)
        REFERENCES rr.performance_obligation (tenant_id, contract_id, obligation_no),
    CONSTRAINT progress_entry_percent_check CHECK (percent BETWEEN 0 AND 100),
    CONSTRAINT progress_entry_as_of_check CHECK (rr.check_date('progress date', as_of)),
    CONSTRAINT progress_entry_reversal_check CHECK (NOT is_reversal OR reason IS NOT NULL)
);
COMMENT ON TABLE rr.progress_entry IS 'append-only progress measurements of percent-complete obligations: cumulative percent as of a date, the catch-up amount it scheduled, and for a measurement below the previous one the explicit reversal with its reason';

CREATE TRIGGER progress_entry_append_only
    BEFORE UPDATE OR DELETE ON rr.progress_entry
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER progress_entry_no_truncate
    BEFORE TRUNCATE ON rr.progress_entry
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

CREATE TABLE rr.recognition_run (
    tenant_id    text NOT NULL,
    run_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    through      date NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role name NOT NULL DEFAULT session_user,
    CONSTRAINT recognition_run_pkey PRIMARY KEY (tenant_id, run_id),
    CONSTRAINT recognition_run_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id)
);
COMMENT ON TABLE rr.recognition_run IS 'recognition runs: the date recognised through, who and when; the journal entries of a run name it as their source';

-- ---- src/sql/310_obligations.sql
-- Performance obligations, SSP allocation and revenue schedules (docs/revenue.md):
-- written at contract activation (a trigger on rr.contract, so in the same
-- transaction as the activation), by billing (rr_internal.bill calls rr_internal.create_revenue_schedules
-- for its run) and by progress measurements.

-- Obligations, allocation and allocation schedules of newly activated contracts, in
-- set-based statements.  Refuses (and so rolls back the activation) a contract whose
-- allocation lacks an SSP or has two residual obligations.
CREATE FUNCTION rr_internal.create_obligations(tenant_id text, contract_ids bigint[], replan_from date[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_obligations.tenant_id;
    through date;
    bad record;
    n integer;
BEGIN
    -- the batch as an indexed, analysed table: a semi-join against it stays an index
    -- lookup per row whatever the planner guesses about rr.due_charges' output
    IF rr_internal.claim_work_table('rr_ids') THEN
        CREATE TEMP TABLE rr_ids (contract_id bigint PRIMARY KEY, replan_from date) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_ids;
    -- (replan_from: the effective date of the change that re-plans a contract planned before)
    INSERT INTO rr_ids
    SELECT x.id, min(x.d) FROM unnest(contract_ids, create_obligations.replan_from) AS x (id, d)
     WHERE x.id IS NOT NULL GROUP BY x.id;
    ANALYZE rr_ids;
    SELECT max(k.end_date) INTO through
      FROM rr.contract k
     WHERE k.tenant_id = t AND k.contract_id IN (SELECT i.contract_id FROM rr_ids i) AND k.end_date IS NOT NULL;
    IF through IS NULL THEN
        RETURN 0;   -- unlimited contracts: recognised as invoiced (rr_internal.create_revenue_schedules)
    END IF;

    -- the fixed charges of the whole term, as billing will charge them (rr.due_charges
    -- stops each contract at its own end), with each charge's share of its line's SSP
    IF rr_internal.claim_work_table('rr_plan') THEN
        CREATE TEMP TABLE rr_plan (
            contract_id bigint, line_no integer, line_effective_from date, kind text, service_period daterange,
            adjustment_seq bigint, amount numeric, obligation_no integer, mu integer, ssp_part numeric,
            ssp_override numeric, ssp_missing boolean, is_residual boolean, item text, method text, grain interval,
            revenue_account text, deferred_account text, currency char(3)) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_plan;
    INSERT INTO rr_plan
    SELECT d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq, d.amount,
           coalesce(s.obligation_no, d.line_no), cur.minor_units,
           -- (corrections of charged periods change the price, not the standalone selling price)
           CASE WHEN d.kind = 'recurring' AND d.adjustment_seq = 0
                    THEN l.quantity * ci.standalone_price
                         * rr.prorate(d.service_period,
                                      rr.period_containing(lower(d.service_period), l.billing_period,
                                                           rr.billing_anchor(k.alignment,
                                                                             CASE k.billing_start WHEN 'setup' THEN k.setup_date
                                                                                                  ELSE k.activation_date END,
                                                                             l.billing_period)))
                WHEN ci.recurring_item IS NULL
                     AND d.kind = CASE WHEN ci.setup_item IS NOT NULL THEN 'setup' ELSE 'renewal' END AND d.adjustment_seq = 0
                    THEN l.quantity * ci.standalone_price
                ELSE 0 END,
           s.standalone_price, ci.standalone_price IS NULL, coalesce(s.ssp_is_residual, ci.ssp_is_residual),
           it.code, coalesce(dc.method, 'daily'), coalesce(dc.grain, interval '1 month'),
           it.revenue_account, it.deferred_account, k.currency
      FROM rr.due_charges(t, through, CASE WHEN cardinality(contract_ids) = 1 THEN contract_ids[1] END) d
      JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = d.contract_id
      JOIN rr.currency cur ON cur.code = k.currency
      JOIN rr.contract_line l ON l.tenant_id = t AND l.contract_id = d.contract_id AND l.line_no = d.line_no
                             AND l.effective_from = d.line_effective_from
      JOIN rr.contract_item ci ON ci.tenant_id = t AND ci.code = l.contract_item
      JOIN rr.item it ON it.tenant_id = t AND it.code = coalesce(ci.recurring_item, ci.setup_item, ci.renewal_item)
      LEFT JOIN rr.deferral_code dc ON dc.tenant_id = t AND dc.code = it.deferral_code
      LEFT JOIN rr.obligation_setting s ON s.tenant_id = t AND s.contract_id = d.contract_id AND s.line_no = d.line_no
     WHERE d.contract_id IN (SELECT i.contract_id FROM rr_ids i)
       AND k.end_date IS NOT NULL
       AND d.kind <> 'deposit' AND ci.billing_type <> 'deposit'
       AND coalesce(dc.method, 'daily') <> 'on_usage';
    ANALYZE rr_plan;

    -- one row per obligation: lines, SSP for the term, contract amount, pattern
    IF rr_internal.claim_work_table('rr_obl') THEN
        CREATE TEMP TABLE rr_obl (
            contract_id bigint, obligation_no integer, line_nos integer[], first_line_no integer, first_line_from date,
        item text, method text, grain interval,
            revenue_account text, deferred_account text, currency char(3), mu integer, service daterange,
            standalone_price numeric, has_ssp boolean, is_residual boolean, contract_amount numeric,
            allocated_amount numeric, sched_amount numeric, sched_contract numeric, sched_service daterange,
            replan_from date, unchanged boolean, kept numeric, kept_contract numeric, vanished boolean,
            -- the key every later statement joins on: an index lookup per row, never a rescan
            PRIMARY KEY (contract_id, obligation_no)) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_obl;
    INSERT INTO rr_obl
    SELECT x.contract_id, x.obligation_no, array_agg(x.line_no ORDER BY x.line_no), min(x.line_no),
           (array_agg(x.first_from ORDER BY x.line_no))[1],
           (array_agg(x.item ORDER BY x.line_no))[1], (array_agg(x.method ORDER BY x.line_no))[1],
           (array_agg(x.grain ORDER BY x.line_no))[1], (array_agg(x.revenue_account ORDER BY x.line_no))[1],
           (array_agg(x.deferred_account ORDER BY x.line_no))[1], min(x.currency), min(x.mu),
           -- a terminated contract's service ends on its termination date: what a refund
           -- policy lets it keep is recognised by then
           daterange(min(x.lo), greatest(min(x.lo) + 1,
                                         least(max(x.hi), (SELECT k.termination_date FROM rr.contract k
                                                            WHERE k.tenant_id = t AND k.contract_id = x.contract_id)))),
           CASE WHEN bool_and(x.ssp IS NOT NULL) THEN sum(x.ssp) END, bool_or(x.ssp IS NOT NULL),
           bool_or(x.is_residual), sum(x.amount), NULL, NULL, NULL, NULL
      FROM (SELECT p.contract_id, p.obligation_no, p.line_no, min(p.line_effective_from) AS first_from,
                   min(p.item) AS item, min(p.method) AS method,
                   min(p.grain) AS grain, min(p.revenue_account) AS revenue_account,
                   min(p.deferred_account) AS deferred_account, min(p.currency) AS currency, min(p.mu) AS mu,
                   min(lower(p.service_period)) AS lo, max(upper(p.service_period)) AS hi,
                   CASE WHEN min(p.ssp_override) IS NOT NULL THEN min(p.ssp_override)
                        WHEN bool_or(p.ssp_missing) THEN NULL
                        ELSE round(sum(p.ssp_part), min(p.mu)) END AS ssp,
                   bool_or(p.is_residual) AS is_residual, sum(p.amount) AS amount
              FROM rr_plan p
             GROUP BY p.contract_id, p.obligation_no, p.line_no) x
     GROUP BY x.contract_id, x.obligation_no;
    ANALYZE rr_obl;

    -- refusals, before anything is written
    SELECT o.contract_id, array_agg(o.obligation_no ORDER BY o.obligation_no) AS nos INTO bad
      FROM rr_obl o WHERE o.is_residual GROUP BY o.contract_id HAVING count(*) > 1
     ORDER BY o.contract_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'contract % has more than one residual obligation', bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('Obligations %s are all marked ssp_is_residual.', array_to_string(bad.nos, ', ')),
                  HINT = 'The residual method applies to at most one obligation of a contract; give the others a standalone selling price.';
    END IF;
    -- allocation is needed when a contract has several obligations and prices them
    -- relative to each other: an SSP or a residual flag on one of them, or a contract-wide
    -- discount to spread
    UPDATE rr_obl o SET allocated_amount = o.contract_amount;
    IF rr_internal.claim_work_table('rr_alloc') THEN
        CREATE TEMP TABLE rr_alloc (contract_id bigint, has_residual boolean) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_alloc;
    INSERT INTO rr_alloc
    SELECT o.contract_id, bool_or(o.is_residual)
      FROM rr_obl o
     GROUP BY o.contract_id
    HAVING count(*) > 1
       AND (bool_or(o.has_ssp OR o.is_residual)
            OR EXISTS (SELECT FROM rr.discount dd WHERE dd.tenant_id = t AND dd.contract_id = o.contract_id
                                                    AND dd.line_no IS NULL));
    SELECT o.contract_id, o.obligation_no, o.line_nos, o.standalone_price INTO bad
      FROM rr_obl o JOIN rr_alloc a USING (contract_id)
     WHERE NOT o.is_residual AND coalesce(o.standalone_price, 0) = 0
     ORDER BY o.contract_id, o.obligation_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'obligation % of contract % has no standalone selling price', bad.obligation_no, bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The SSP of contract line(s) %s is %s; the contract''s price is allocated across its obligations by relative SSP.',
                                  array_to_string(bad.line_nos, ', '), coalesce(bad.standalone_price::text, 'missing')),
                  HINT = 'Set standalone_price on the contract item, override it with rr.set_obligation(), or mark one obligation residual.';
    END IF;
    SELECT o.contract_id, sum(o.contract_amount) AS price,
           sum(round(o.standalone_price, o.mu)) FILTER (WHERE NOT o.is_residual) AS others INTO bad
      FROM rr_obl o JOIN rr_alloc a USING (contract_id)
     WHERE a.has_residual
     GROUP BY o.contract_id
    HAVING sum(o.contract_amount) < sum(round(o.standalone_price, o.mu)) FILTER (WHERE NOT o.is_residual)
     ORDER BY o.contract_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the residual obligation of contract % would be negative', bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The transaction price %s is less than the %s of the other obligations'' standalone selling prices.',
                                  bad.price, bad.others),
                  HINT = 'Use relative SSP allocation (no residual obligation) for this contract.';
    END IF;

    -- relative SSP, exact to the minor unit
    UPDATE rr_obl o SET allocated_amount = x.part
      FROM (SELECT g.contract_id, u.obligation_no, u.part
              FROM (SELECT o2.contract_id, array_agg(o2.obligation_no ORDER BY o2.obligation_no) AS nos,
                           rr.allocate(sum(o2.contract_amount), array_agg(o2.standalone_price ORDER BY o2.obligation_no),
                                       min(o2.mu)) AS parts
                      FROM rr_obl o2 JOIN rr_alloc a USING (contract_id)
                     WHERE NOT a.has_residual
                     GROUP BY o2.contract_id) g
             CROSS JOIN LATERAL unnest(g.nos, g.parts) AS u(obligation_no, part)) x
     WHERE o.contract_id = x.contract_id AND o.obligation_no = x.obligation_no;
    -- residual: the others at their SSP, the residual obligation the rest
    UPDATE rr_obl o
       SET allocated_amount = CASE WHEN o.is_residual
                                   THEN x.price - x.others
                                   ELSE round(o.standalone_price, o.mu) END
      FROM (SELECT o2.contract_id, sum(o2.contract_amount) AS price,
                   coalesce(sum(round(o2.standalone_price, o2.mu)) FILTER (WHERE NOT o2.is_residual), 0) AS others
              FROM rr_obl o2 JOIN rr_alloc a USING (contract_id)
             WHERE a.has_residual
             GROUP BY o2.contract_id) x
     WHERE o.contract_id = x.contract_id;

    -- What is left to schedule: everything for a new contract.  A contract planned before
    -- (a line version, its end or its termination changed since) is re-planned
    -- prospectively from the change's effective date E, whatever was posted: what the
    -- schedule gave the days before E stays as it was (a line straddling E keeps its share
    -- of days before E), and the new allocation less that is spread over [E, end of
    -- service).  Posted lines are immutable, so the open lines from E on are the new
    -- schedule less what was posted there, period by period: revenue per period is then the
    -- same whether recognition ran before the change or not.
    --
    -- obligations that lost all their charges (a line removed from its start) keep what
    -- their schedule gave the days before E, and no more
    INSERT INTO rr_obl (contract_id, obligation_no, line_nos, first_line_no, first_line_from, item, method, grain,
                        revenue_account, deferred_account, currency, mu, service, standalone_price, has_ssp,
                        is_residual, contract_amount, allocated_amount, vanished)
    SELECT po.contract_id, po.obligation_no, po.line_nos, po.first_line_no, po.first_line_from, po.item, po.method,
           po.grain, po.revenue_account, po.deferred_account, po.currency, cur.minor_units, po.service,
           po.standalone_price, po.standalone_price IS NOT NULL, po.is_residual, 0, 0, true
      FROM rr.performance_obligation po
      JOIN rr.currency cur ON cur.code = po.currency
     WHERE po.tenant_id = t AND po.contract_id IN (SELECT i.contract_id FROM rr_ids i)
       AND NOT EXISTS (SELECT FROM rr_obl o WHERE o.contract_id = po.contract_id AND o.obligation_no = po.obligation_no)
       AND EXISTS (SELECT FROM rr.revenue_schedule_line l
                    WHERE l.tenant_id = t AND l.contract_id = po.contract_id AND l.obligation_no = po.obligation_no
                      AND l.source = 'allocation');
    -- E per obligation: a new one from its start; one planned before from the change's date,
    -- within its service (the whole service when the caller names no date); one whose
    -- allocation, contract amount and service did not change keeps its schedule as it is
    UPDATE rr_obl o
       SET replan_from = CASE WHEN isempty(o.service) THEN '-infinity' ELSE lower(o.service) END,
           unchanged = false, vanished = coalesce(o.vanished, false);
    UPDATE rr_obl o
       SET replan_from = greatest(lower(o.service), least(coalesce(i.replan_from, lower(o.service)), upper(o.service))),
           unchanged = NOT o.vanished AND po.allocated_amount = o.allocated_amount
                       AND po.contract_amount = o.contract_amount AND po.service = o.service
      FROM rr_ids i, rr.performance_obligation po
     WHERE i.contract_id = o.contract_id AND NOT isempty(o.service)
       AND po.tenant_id = t AND po.contract_id = o.contract_id AND po.obligation_no = o.obligation_no
       AND EXISTS (SELECT FROM rr.revenue_schedule_line l
                    WHERE l.tenant_id = t AND l.contract_id = o.contract_id AND l.obligation_no = o.obligation_no
                      AND l.source = 'allocation');
    -- the schedule so far from E on, per period: everything, and what of it is posted
    IF rr_internal.claim_work_table('rr_prev') THEN
        CREATE TEMP TABLE rr_prev (contract_id bigint, obligation_no integer, period daterange, amount numeric,
                                   contract_amount numeric, posted numeric, posted_contract numeric,
                                   posted_lines bigint, PRIMARY KEY (contract_id, obligation_no, period)) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_sched') THEN
        CREATE TEMP TABLE rr_sched (contract_id bigint, obligation_no integer, period daterange, amount numeric,
                                    contract_amount numeric) ON COMMIT DELETE ROWS;
        CREATE INDEX ON rr_sched (contract_id, obligation_no);
    END IF;
    DELETE FROM rr_prev;
    DELETE FROM rr_sched;
    INSERT INTO rr_prev
    SELECT l.contract_id, l.obligation_no, l.period, sum(l.amount), sum(l.contract_amount),
           coalesce(sum(l.amount) FILTER (WHERE l.status = 'posted'), 0),
           coalesce(sum(l.contract_amount) FILTER (WHERE l.status = 'posted'), 0),
           count(*) FILTER (WHERE l.status = 'posted')
      FROM rr_obl o
      JOIN rr.revenue_schedule_line l ON l.tenant_id = t AND l.contract_id = o.contract_id
                                     AND l.obligation_no = o.obligation_no
     WHERE NOT o.unchanged AND l.source = 'allocation' AND upper(l.period) > o.replan_from
     GROUP BY l.contract_id, l.obligation_no, l.period;
    ANALYZE rr_prev;
    -- a period straddling E keeps its share of the days before E
    INSERT INTO rr_sched
    SELECT p.contract_id, p.obligation_no, daterange(lower(p.period), o.replan_from),
           round(p.amount * (o.replan_from - lower(p.period)) / (upper(p.period) - lower(p.period)), o.mu),
           round(p.contract_amount * (o.replan_from - lower(p.period)) / (upper(p.period) - lower(p.period)), o.mu)
      FROM rr_prev p
      JOIN rr_obl o ON o.contract_id = p.contract_id AND o.obligation_no = p.obligation_no
     WHERE lower(p.period) < o.replan_from;
    -- what the schedule gave the days before E, and what is left to spread from E on
    UPDATE rr_obl o
       SET kept = k.amount, kept_contract = k.contract_amount
      FROM (SELECT x.contract_id, x.obligation_no, sum(x.amount) AS amount, sum(x.contract_amount) AS contract_amount
              FROM (SELECT l.contract_id, l.obligation_no, l.amount, l.contract_amount, upper(l.period) AS up
                      FROM rr.revenue_schedule_line l
                     WHERE l.tenant_id = t AND l.contract_id IN (SELECT i.contract_id FROM rr_ids i)
                       AND l.source = 'allocation'
                    UNION ALL
                    SELECT s.contract_id, s.obligation_no, s.amount, s.contract_amount, upper(s.period)
                      FROM rr_sched s) x
              JOIN rr_obl o2 ON o2.contract_id = x.contract_id AND o2.obligation_no = x.obligation_no
             WHERE NOT o2.unchanged AND x.up <= o2.replan_from
             GROUP BY x.contract_id, x.obligation_no) k
     WHERE o.contract_id = k.contract_id AND o.obligation_no = k.obligation_no;
    UPDATE rr_obl o
       SET allocated_amount = CASE WHEN o.vanished THEN coalesce(o.kept, 0) ELSE o.allocated_amount END,
           contract_amount = CASE WHEN o.vanished THEN coalesce(o.kept_contract, 0) ELSE o.contract_amount END,
           sched_amount = CASE WHEN o.vanished THEN 0 ELSE o.allocated_amount - coalesce(o.kept, 0) END,
           sched_contract = CASE WHEN o.vanished THEN 0 ELSE o.contract_amount - coalesce(o.kept_contract, 0) END,
           sched_service = CASE WHEN isempty(o.service) THEN 'empty' ELSE daterange(o.replan_from, upper(o.service)) END;
    PERFORM rr_internal.write_allocation_schedules('rr_obl', 'rr_sched');

    DELETE FROM rr.obligation_charge c WHERE c.tenant_id = t AND c.contract_id IN (SELECT i.contract_id FROM rr_ids i);
    INSERT INTO rr.performance_obligation (tenant_id, contract_id, obligation_no, line_nos, first_line_no,
                                           first_line_from, item, method, grain,
                                           revenue_account, deferred_account, currency, service, standalone_price,
                                           is_residual, contract_amount, allocated_amount)
    SELECT t, o.contract_id, o.obligation_no, o.line_nos, o.first_line_no, o.first_line_from, o.item, o.method, o.grain, o.revenue_account,
           o.deferred_account, o.currency, o.service, o.standalone_price, o.is_residual, o.contract_amount,
           o.allocated_amount
      FROM rr_obl o
     ORDER BY o.contract_id, o.obligation_no
    ON CONFLICT ON CONSTRAINT performance_obligation_pkey DO UPDATE
       SET line_nos = excluded.line_nos, service = excluded.service, standalone_price = excluded.standalone_price,
           is_residual = excluded.is_residual, contract_amount = excluded.contract_amount,
           allocated_amount = excluded.allocated_amount;
    INSERT INTO rr.obligation_charge (tenant_id, contract_id, line_no, line_effective_from, kind, service_period,
                                      adjustment_seq, obligation_no, amount)
    SELECT t, p.contract_id, p.line_no, p.line_effective_from, p.kind, p.service_period, p.adjustment_seq,
           p.obligation_no, p.amount
      FROM rr_plan p;
    -- the open lines from E on: the new schedule less what was posted there, per period (a
    -- period with nothing posted keeps its line even at zero, as a new schedule does)
    DELETE FROM rr.revenue_schedule_line l
     USING rr_obl o
     WHERE l.tenant_id = t AND l.contract_id = o.contract_id AND l.obligation_no = o.obligation_no
       AND l.source = 'allocation' AND l.status = 'open' AND NOT o.unchanged AND upper(l.period) > o.replan_from;
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount)
    SELECT t, x.contract_id, x.obligation_no, 'allocation', x.period, upper(x.period) - 1, x.amount, x.contract_amount
      FROM (SELECT coalesce(s.contract_id, p.contract_id) AS contract_id,
                   coalesce(s.obligation_no, p.obligation_no) AS obligation_no, coalesce(s.period, p.period) AS period,
                   coalesce(s.amount, 0) - coalesce(p.posted, 0) AS amount,
                   coalesce(s.contract_amount, 0) - coalesce(p.posted_contract, 0) AS contract_amount,
                   s.period IS NOT NULL AND coalesce(p.posted_lines, 0) = 0 AS fresh
              FROM (SELECT s1.contract_id, s1.obligation_no, s1.period, sum(s1.amount) AS amount,
                           sum(s1.contract_amount) AS contract_amount
                      FROM rr_sched s1
                     GROUP BY s1.contract_id, s1.obligation_no, s1.period) s
              FULL JOIN rr_prev p ON p.contract_id = s.contract_id AND p.obligation_no = s.obligation_no
                                 AND p.period = s.period) x
     WHERE x.fresh OR x.amount <> 0 OR x.contract_amount <> 0
     ORDER BY x.contract_id, x.obligation_no, lower(x.period), upper(x.period);
    SELECT count(*) INTO n FROM rr_obl;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.create_obligations(text, bigint[], date[]) IS 'internal: the performance obligations of newly activated contracts with an end date: fixed charges planned for the term, SSP per obligation, allocation of the transaction price by relative SSP (rr.allocate) or the residual method, and the allocation schedules; a contract planned before is re-planned from its date in replan_from (what was scheduled before it stays; posted or not); refuses a missing or zero SSP where allocation needs one, two residual obligations, and a negative residual';

-- The allocation schedule of obligations (a temp table named by the caller, with the columns
-- of rr_obl: sched_amount and sched_contract over sched_service are what is left to
-- schedule; obligations marked unchanged are skipped), written into the caller's work table
-- `target` (contract_id, obligation_no, period, amount, contract_amount): immediate and
-- on_date on the start of what is left; equal, equal_prorate and daily through rr.spread on
-- calendar-month grains from 2000-01-01 (the default fiscal calendar); percent_complete and
-- on_payment get their lines later, from progress and cash.
CREATE FUNCTION rr_internal.write_allocation_schedules(obligations regclass, target regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO %s (contract_id, obligation_no, period, amount, contract_amount)
        SELECT o.contract_id, o.obligation_no, s.period, s.amount, s.contract_amount
          FROM %s o
          CROSS JOIN LATERAL ROWS FROM (rr.spread(o.sched_amount, o.sched_service, o.method, o.grain, '2000-01-01', o.mu),
                                        rr.spread(o.sched_contract, o.sched_service, o.method, o.grain, '2000-01-01', o.mu))
                     AS s(period, amount, period2, contract_amount)
         WHERE o.method IN ('equal', 'equal_prorate', 'daily') AND NOT isempty(o.sched_service)
           AND NOT coalesce(o.unchanged, false)
        UNION ALL
        -- one-off obligations, and what is left once the whole service has been scheduled
        SELECT o.contract_id, o.obligation_no, daterange(d.on_date, d.on_date + 1), o.sched_amount, o.sched_contract
          FROM %s o
          CROSS JOIN LATERAL (SELECT CASE WHEN isempty(o.sched_service) THEN upper(o.service) - 1
                                          ELSE lower(o.sched_service) END AS on_date) d
         WHERE NOT isempty(o.service) AND (o.sched_amount <> 0 OR o.sched_contract <> 0 OR o.sched_service = o.service)
           AND NOT coalesce(o.unchanged, false)
           AND (o.method IN ('immediate', 'on_date')
                OR (o.method IN ('equal', 'equal_prorate', 'daily') AND isempty(o.sched_service)))$q$,
        target, obligations, obligations);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.write_allocation_schedules(regclass, regclass) IS 'internal: writes the allocation schedule of the obligations listed in a work table (what is left to schedule over what is left of the service: immediate and on_date on its start; equal, equal_prorate and daily via rr.spread, allocated amount and contract amount side by side) into another work table';

-- Contract activation builds the obligations, in the activation's transaction.
CREATE FUNCTION rr_internal.contract_activated()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    -- one call per tenant touched (a statement touches one tenant in practice); a re-plan
    -- starts on the earlier of the old and new termination or end date that changed
    FOR r IN SELECT n.tenant_id, array_agg(n.contract_id ORDER BY n.contract_id) AS ids,
                    array_agg(least(CASE WHEN n.termination_date IS DISTINCT FROM o.termination_date
                                         THEN least(n.termination_date, o.termination_date) END,
                                    CASE WHEN n.end_date IS DISTINCT FROM o.end_date
                                         THEN least(n.end_date, o.end_date) END) ORDER BY n.contract_id) AS froms
               FROM new_rows n
               JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.contract_id = n.contract_id
              WHERE (n.status = 'active' AND o.status IN ('draft', 'pending_activation'))
                 -- a new end or a termination changes the fixed consideration: re-plan
                 OR ((n.end_date IS DISTINCT FROM o.end_date OR n.termination_date IS DISTINCT FROM o.termination_date)
                     AND EXISTS (SELECT FROM rr.performance_obligation po
                                  WHERE po.tenant_id = n.tenant_id AND po.contract_id = n.contract_id))
              GROUP BY n.tenant_id
    LOOP
        PERFORM rr_internal.create_obligations(r.tenant_id, r.ids, r.froms);
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_activated() IS 'trigger function: creates the performance obligations and allocation schedules of contracts that become active, and re-plans those whose end or termination date changes (from the earlier of the old and new date)';

CREATE TRIGGER contract_activation_obligations
    AFTER UPDATE ON rr.contract REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.contract_activated();

-- A new line version of a contract already planned (rr.change_contract_line) re-plans it
-- from the version's effective date.
CREATE FUNCTION rr_internal.contract_line_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT x.tenant_id, array_agg(x.contract_id ORDER BY x.contract_id) AS ids,
                    array_agg(x.effective_from ORDER BY x.contract_id) AS froms
               FROM (SELECT n.tenant_id, n.contract_id, min(n.effective_from) AS effective_from
                       FROM new_rows n
                      WHERE EXISTS (SELECT FROM rr.performance_obligation po
                                     WHERE po.tenant_id = n.tenant_id AND po.contract_id = n.contract_id)
                      GROUP BY n.tenant_id, n.contract_id) x
              GROUP BY x.tenant_id
    LOOP
        PERFORM rr_internal.create_obligations(r.tenant_id, r.ids, r.froms);
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_line_changed() IS 'trigger function: re-plans the obligations of active contracts whose lines change, prospectively from the new version''s effective date (what was scheduled before it stays)';

CREATE TRIGGER contract_line_obligations
    AFTER INSERT ON rr.contract_line REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.contract_line_changed();

-- Bundling, SSP override and the residual flag of a contract line, before activation.
CREATE FUNCTION rr.set_obligation(contract_id bigint, line_no integer, obligation_no integer DEFAULT NULL,
                                  standalone_price numeric DEFAULT NULL, ssp_is_residual boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set the obligations of',
                                            ARRAY['draft', 'pending_activation']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
BEGIN
    IF NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id
                                                     AND l.line_no = set_obligation.line_no) THEN
        RAISE EXCEPTION 'contract % has no line %', c.contract_id, set_obligation.line_no USING ERRCODE = '22023';
    ELSIF set_obligation.standalone_price <= 0 THEN
        RAISE EXCEPTION 'standalone selling price % is not positive', set_obligation.standalone_price
            USING ERRCODE = '22023', HINT = 'Give the SSP of the line for the whole term, or NULL to use the contract item''s.';
    ELSIF set_obligation.obligation_no <= 0 THEN
        RAISE EXCEPTION 'obligation number % is not positive', set_obligation.obligation_no USING ERRCODE = '22023';
    END IF;
    INSERT INTO rr.obligation_setting (tenant_id, contract_id, line_no, obligation_no, standalone_price, ssp_is_residual)
    VALUES (c.tenant_id, c.contract_id, set_obligation.line_no, set_obligation.obligation_no,
            set_obligation.standalone_price, set_obligation.ssp_is_residual)
    ON CONFLICT ON CONSTRAINT obligation_setting_pkey DO UPDATE
       SET obligation_no = excluded.obligation_no, standalone_price = excluded.standalone_price,
           ssp_is_residual = excluded.ssp_is_residual;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'set_obligation', NULL,
                                  format('line %s: obligation %s, SSP %s, residual %s', set_obligation.line_no,
                                         coalesce(set_obligation.obligation_no, set_obligation.line_no),
                                         coalesce(set_obligation.standalone_price::text, 'from the item'),
                                         coalesce(set_obligation.ssp_is_residual::text, 'from the item')),
                                  before);
END
$$;
COMMENT ON FUNCTION rr.set_obligation(bigint, integer, integer, numeric, boolean) IS 'before activation: puts a contract line into an obligation (lines sharing a number are bundled), overrides its SSP with a total for the term, or marks it residual; logged in the contract''s events';

-- Schedule lines for what a billing run invoiced that activation did not plan: usage
-- (variable consideration), unlimited contracts, charges added by later changes.  Each is
-- recognised as invoiced, over its service period with its obligation's pattern.
CREATE FUNCTION rr_internal.create_revenue_schedules(tenant_id text, run bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_revenue_schedules.tenant_id;
    n bigint;
BEGIN
    IF rr_internal.claim_work_table('rr_billed') THEN
        CREATE TEMP TABLE rr_billed (
            invoice_id bigint, invoice_line_no integer, contract_id bigint, obligation_no integer, invoice_date date,
            service_period daterange, amount numeric, mu integer, item text, method text, grain interval,
            revenue_account text, deferred_account text, currency char(3), line_no integer, line_from date) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_billed;
    -- Driven by the run's charges (index on run_id); everything else is reached by its key
    -- in LATERAL subqueries that the planner cannot flatten (OFFSET 0), so each is one
    -- index lookup per charge whatever the statistics of tables written in this
    -- transaction say.
    INSERT INTO rr_billed
    SELECT x.invoice_id, x.line_no, x.contract_id,
           coalesce((SELECT s.obligation_no FROM rr.obligation_setting s
                      WHERE s.tenant_id = t AND s.contract_id = x.contract_id AND s.line_no = x.contract_line_no),
                    x.contract_line_no),
           x.invoice_date, x.service_period, x.amount,
           (SELECT cur.minor_units FROM rr.currency cur WHERE cur.code = x.currency),
           d.item, coalesce(d.method, 'daily'), coalesce(d.grain, interval '1 month'), d.revenue_account,
           d.deferred_account, x.currency, x.contract_line_no, x.line_effective_from
      FROM (SELECT ch.contract_id, ch.line_effective_from, ch.kind, ch.service_period AS charge_period,
                   ch.adjustment_seq, ch.line_no AS charge_line_no, l.*
              FROM rr.charge ch
             CROSS JOIN LATERAL (SELECT l.invoice_id, l.line_no, l.contract_line_no, l.contract_item, l.service_period,
                                        l.amount, l.kind AS line_kind, i.invoice_date, i.currency
                                   FROM rr.invoice_line l
                                   JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = l.invoice_id
                                  WHERE l.tenant_id = t AND l.charge_id = ch.charge_id
                                 OFFSET 0) l
             WHERE ch.tenant_id = t AND ch.run_id = create_revenue_schedules.run
               AND l.line_kind NOT IN ('tax', 'deposit') AND l.amount <> 0) x
     CROSS JOIN LATERAL (SELECT it.code AS item, it.revenue_account, it.deferred_account, ci.billing_type,
                                (SELECT dc.method FROM rr.deferral_code dc
                                  WHERE dc.tenant_id = t AND dc.code = it.deferral_code) AS method,
                                (SELECT dc.grain FROM rr.deferral_code dc
                                  WHERE dc.tenant_id = t AND dc.code = it.deferral_code) AS grain
                           FROM rr.contract_item ci
                           JOIN rr.item it ON it.tenant_id = t
                                          AND it.code = coalesce(ci.recurring_item, ci.setup_item, ci.renewal_item)
                          WHERE ci.tenant_id = t AND ci.code = x.contract_item
                         OFFSET 0) d
     WHERE d.billing_type <> 'deposit'
       -- planned at activation: (SELECT ...) IS NULL rather than NOT EXISTS, which the
       -- planner may turn into a join that scans the tenant's plan per charge
       AND (SELECT true FROM rr.obligation_charge p
             WHERE p.tenant_id = t AND p.contract_id = x.contract_id AND p.line_no = x.charge_line_no
               AND p.line_effective_from = x.line_effective_from AND p.kind = x.kind
               AND p.service_period = x.charge_period AND p.adjustment_seq = x.adjustment_seq) IS NULL;
    ANALYZE rr_billed;

    INSERT INTO rr.performance_obligation (tenant_id, contract_id, obligation_no, line_nos, first_line_no,
                                           first_line_from, item, method, grain,
                                           revenue_account, deferred_account, currency)
    SELECT DISTINCT ON (b.contract_id, b.obligation_no)
           t, b.contract_id, b.obligation_no, ARRAY[b.line_no], b.line_no, b.line_from, b.item, b.method, b.grain, b.revenue_account,
           b.deferred_account, b.currency
      FROM rr_billed b
     ORDER BY b.contract_id, b.obligation_no, b.line_no, b.line_from
    ON CONFLICT ON CONSTRAINT performance_obligation_pkey DO NOTHING;

    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, invoice_id, invoice_line_no)
    SELECT t, b.contract_id, b.obligation_no, 'billing', s.period, upper(s.period) - 1, s.amount, s.amount,
           b.invoice_id, b.invoice_line_no
      FROM rr_billed b
     CROSS JOIN LATERAL (SELECT o.method, o.grain FROM rr.performance_obligation o
                          WHERE o.tenant_id = t AND o.contract_id = b.contract_id AND o.obligation_no = b.obligation_no
                         OFFSET 0) o
     CROSS JOIN LATERAL rr.spread(b.amount, b.service_period, o.method, o.grain, '2000-01-01', b.mu) s
     WHERE o.method IN ('equal', 'equal_prorate', 'daily')
    UNION ALL
    SELECT t, b.contract_id, b.obligation_no, 'billing',
           daterange(d.on_date, d.on_date + 1), d.on_date, b.amount, b.amount, b.invoice_id, b.invoice_line_no
      FROM rr_billed b
     CROSS JOIN LATERAL (SELECT o.method FROM rr.performance_obligation o
                          WHERE o.tenant_id = t AND o.contract_id = b.contract_id AND o.obligation_no = b.obligation_no
                         OFFSET 0) o
     CROSS JOIN LATERAL (SELECT CASE o.method WHEN 'on_date' THEN lower(b.service_period)
                                              ELSE b.invoice_date END AS on_date) d
     WHERE o.method IN ('immediate', 'on_date', 'on_usage', 'percent_complete');
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.create_revenue_schedules(text, bigint) IS 'internal, called by rr_internal.bill: schedule lines for the invoice lines of a billing run that activation did not plan (usage, unlimited contracts, later changes), recognised as invoiced: over the service period with the obligation''s pattern, or on the invoice date; they become due once their invoice is posted';

-- Percent of completion: a cumulative measurement, and the catch-up line it schedules.
CREATE FUNCTION rr.record_progress(contract_id bigint, obligation_no integer, percent numeric,
                                   as_of date DEFAULT current_date, is_reversal boolean DEFAULT false,
                                   reason text DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    o rr.performance_obligation;
    prev rr.progress_entry;
    mu integer;
    done numeric;
    done_contract numeric;
    catch_up numeric;
BEGIN
    SELECT * INTO o FROM rr.performance_obligation p
     WHERE p.tenant_id = t AND p.contract_id = record_progress.contract_id
       AND p.obligation_no = record_progress.obligation_no
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % has no obligation %', record_progress.contract_id, record_progress.obligation_no
            USING ERRCODE = 'P0002', HINT = 'Obligations are created when the contract is activated.';
    ELSIF o.method <> 'percent_complete' THEN
        RAISE EXCEPTION 'obligation % of contract % is not recognised by percent complete', o.obligation_no, o.contract_id
            USING ERRCODE = '22023', DETAIL = format('Its method is "%s".', o.method);
    ELSIF percent IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION 'percent complete and its date must not be NULL' USING ERRCODE = '22004';
    ELSIF percent < 0 OR percent > 100 THEN
        RAISE EXCEPTION 'percent complete % is outside [0, 100]', percent
            USING ERRCODE = '22023', HINT = 'Give the cumulative percentage of completion, from 0 to 100.';
    END IF;
    SELECT * INTO prev FROM rr.progress_entry e
     WHERE e.tenant_id = t AND e.contract_id = o.contract_id AND e.obligation_no = o.obligation_no
     ORDER BY e.progress_id DESC LIMIT 1;
    IF percent < coalesce(prev.percent, 0) AND NOT is_reversal THEN
        RAISE EXCEPTION 'percent complete % is below the previous measurement of %', percent, prev.percent
            USING ERRCODE = '22023',
                  DETAIL = format('Obligation %s of contract %s was %s %% complete on %s.', o.obligation_no,
                                  o.contract_id, prev.percent, prev.as_of),
                  HINT = 'Progress is cumulative; to lower it, record an explicit reversal with is_reversal => true and a reason.';
    ELSIF is_reversal AND (reason IS NULL OR percent >= coalesce(prev.percent, 0)) THEN
        RAISE EXCEPTION 'a reversal must lower the percent complete and give a reason'
            USING ERRCODE = '22023',
                  DETAIL = format('The previous measurement is %s %%; the reversal gives %s %%.', coalesce(prev.percent, 0), percent);
    ELSIF as_of < prev.as_of THEN
        RAISE EXCEPTION 'progress date % is before the previous measurement on %', as_of, prev.as_of
            USING ERRCODE = '22023';
    END IF;
    mu := rr.minor_units(o.currency::text);
    SELECT coalesce(sum(l.amount), 0), coalesce(sum(l.contract_amount), 0) INTO done, done_contract
      FROM rr.revenue_schedule_line l
     WHERE l.tenant_id = t AND l.contract_id = o.contract_id AND l.obligation_no = o.obligation_no
       AND l.source = 'progress';
    -- cumulative catch-up: the allocation times the cumulative percentage, less what
    -- earlier measurements scheduled (at 100 % exactly the allocation)
    catch_up := round(o.allocated_amount * percent / 100, mu) - done;
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount)
    VALUES (t, o.contract_id, o.obligation_no, 'progress', daterange(as_of, as_of + 1), as_of, catch_up,
            round(o.contract_amount * percent / 100, mu) - done_contract);
    INSERT INTO rr.progress_entry (tenant_id, contract_id, obligation_no, as_of, percent, is_reversal, reason, catch_up)
    VALUES (t, o.contract_id, o.obligation_no, as_of, percent, is_reversal, reason, catch_up);
    RETURN catch_up;
END
$$;
COMMENT ON FUNCTION rr.record_progress(bigint, integer, numeric, date, boolean, text) IS 'records the cumulative percent complete of a percent-complete obligation and schedules its cumulative catch-up (allocation × percent, less what earlier measurements scheduled); going backwards needs is_reversal and a reason; returns the catch-up amount';

-- Credit notes reduce deferred revenue before revenue: a credited amount is taken from the
-- obligation's lines not yet due (in proportion to them, with rr.allocate), and only what
-- exceeds them reduces revenue, on the credit date.  Lines of credit notes being issued
-- only (drafts): pg_restore reloads posted ones, whose schedule lines it restores itself.
CREATE FUNCTION rr_internal.credit_note_schedules()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, invoice_id, invoice_line_no)
    WITH cn AS (
        SELECT n.tenant_id, n.invoice_id, n.line_no, -n.amount AS credit, i.invoice_date AS d, i.contract_id,
               cur.minor_units AS mu, o.obligation_no
          FROM new_lines n
          JOIN rr.invoice i ON i.tenant_id = n.tenant_id AND i.invoice_id = n.invoice_id
                           AND i.doc_type = 'credit_note' AND i.status = 'draft'
          JOIN rr.currency cur ON cur.code = i.currency
          JOIN rr.invoice_line src ON src.tenant_id = n.tenant_id AND src.invoice_id = i.credits_invoice
                                  AND src.line_no = n.credits_line_no
          JOIN rr.charge ch ON ch.tenant_id = n.tenant_id AND ch.charge_id = src.charge_id
          LEFT JOIN rr.obligation_charge oc ON oc.tenant_id = n.tenant_id AND oc.contract_id = ch.contract_id
                                           AND oc.line_no = ch.line_no AND oc.line_effective_from = ch.line_effective_from
                                           AND oc.kind = ch.kind AND oc.service_period = ch.service_period
                                           AND oc.adjustment_seq = ch.adjustment_seq
          LEFT JOIN rr.obligation_setting s ON s.tenant_id = n.tenant_id AND s.contract_id = ch.contract_id
                                           AND s.line_no = ch.line_no
          JOIN rr.performance_obligation o ON o.tenant_id = n.tenant_id AND o.contract_id = i.contract_id
                                          AND o.obligation_no = coalesce(oc.obligation_no, s.obligation_no, ch.line_no)
         WHERE n.kind NOT IN ('tax', 'deposit') AND n.amount <> 0
    ), fut AS (
        SELECT cn.*, f.periods, f.dates, f.amounts,
               CASE WHEN cn.credit > 0 THEN least(cn.credit, greatest(coalesce(f.total, 0), 0)) ELSE 0 END AS deferred_part
          FROM cn
          LEFT JOIN LATERAL (
              SELECT array_agg(l.period ORDER BY l.recognize_on, l.schedule_line_id) AS periods,
                     array_agg(l.recognize_on ORDER BY l.recognize_on, l.schedule_line_id) AS dates,
                     array_agg(greatest(l.amount, 0) ORDER BY l.recognize_on, l.schedule_line_id) AS amounts,
                     sum(l.amount) AS total
                FROM rr.revenue_schedule_line l
               WHERE l.tenant_id = cn.tenant_id AND l.contract_id = cn.contract_id
                 AND l.obligation_no = cn.obligation_no AND l.status = 'open' AND l.recognize_on > cn.d) f ON true
    )
    SELECT f.tenant_id, f.contract_id, f.obligation_no, 'credit', u.period, u.on_date, -u.part, -u.part,
           f.invoice_id, f.line_no
      FROM fut f
     CROSS JOIN LATERAL unnest(f.periods, f.dates, rr.allocate(f.deferred_part, f.amounts, f.mu)) AS u(period, on_date, part)
     WHERE f.deferred_part > 0 AND u.part <> 0
    UNION ALL
    SELECT f.tenant_id, f.contract_id, f.obligation_no, 'credit', daterange(f.d, f.d + 1), f.d,
           -(f.credit - f.deferred_part), -(f.credit - f.deferred_part), f.invoice_id, f.line_no
      FROM fut f
     WHERE f.credit <> f.deferred_part;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.credit_note_schedules() IS 'trigger function: schedule lines of a credit note being issued: the credit comes off the obligation''s lines not yet due first (deferred revenue), the rest off revenue on the credit date';

CREATE TRIGGER invoice_line_credit_schedules
    AFTER INSERT ON rr.invoice_line REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.credit_note_schedules();

-- ---- src/sql/320_recognize.sql
-- Recognition runs, balances, reconciliation, and period closing (docs/revenue.md).
--
-- A run posts every due schedule line (open, dated up to `through`; a line that came from
-- an invoice only once the invoice is posted).  Per contract and fiscal period it writes
-- one journal entry: Cr revenue for the lines, and the contract's position re-netted
-- against what was billed:
--   billed ahead of revenue          -> contract liability, the deferred revenue account
--   revenue ahead, only time missing -> unbilled receivable (1150): up to what the contract
--                                       prices of the work delivered so far would bill
--   revenue ahead, conditional       -> contract asset (1160): the rest (typically SSP
--                                       reallocation in a bundle)
-- The position is computed from the contract's own ledger balances, so whatever billing,
-- credit notes and earlier runs posted is re-netted: an invoice posted since the last run
-- is reclassified out of unbilled receivable and contract asset, a credit note reduces
-- deferred revenue first, and an immediate item that billing credited to revenue at the
-- list price is brought to its allocated amount.

-- On payment (collectability in doubt): revenue follows the cash applied to the contract's
-- invoices, dated at each application (a closed period's share goes into the first open
-- one, as any posting does).  Cash applied to an invoice is attributed to its lines in
-- proportion to their share of its total (tax included); an obligation's revenue as of a
-- date is its allocation times the share of its contract amount paid by then (or what was
-- paid, for charges activation did not plan), never more than its allocation.  Its lines
-- are the steps of that amount from one application date to the next, less the lines
-- already written for those dates: when the run happens does not matter.
CREATE FUNCTION rr_internal.create_payment_schedules(tenant_id text, through date)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_payment_schedules.tenant_id;
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.method = 'on_payment') THEN
        RETURN 0;
    END IF;
    WITH k AS (
        SELECT DISTINCT o.contract_id FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.method = 'on_payment'
    ), dates AS (
        -- the application dates by `through`, and the dates lines were written for before
        SELECT DISTINCT i.contract_id, a.applied_on AS d
          FROM rr.payment_application a
          JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = a.invoice_id
         WHERE a.tenant_id = t AND a.applied_on <= through AND i.doc_type = 'invoice' AND i.status = 'posted'
           AND i.contract_id IN (SELECT k.contract_id FROM k)
        UNION
        SELECT l.contract_id, l.recognize_on
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = t AND l.source = 'payment' AND l.recognize_on <= through
    ), inv AS (
        -- share of each posted invoice paid by each date
        SELECT dt.contract_id, dt.d, i.invoice_id, cur.minor_units AS mu,
               coalesce((SELECT sum(a.amount) FROM rr.payment_application a
                          WHERE a.tenant_id = t AND a.invoice_id = i.invoice_id AND a.applied_on <= dt.d), 0)
               / nullif((SELECT sum(l.amount) FROM rr.invoice_line l WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id), 0)
               AS paid_share
          FROM dates dt
          JOIN rr.invoice i ON i.tenant_id = t AND i.contract_id = dt.contract_id AND i.doc_type = 'invoice'
                           AND i.status = 'posted' AND i.invoice_date <= dt.d
          JOIN rr.currency cur ON cur.code = i.currency
    ), paid AS (
        SELECT o.contract_id, o.obligation_no, inv.d, min(inv.mu) AS mu,
               sum(l.amount * least(coalesce(inv.paid_share, 0), 1)) AS paid
          FROM inv
          JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = inv.invoice_id
          JOIN rr.charge ch ON ch.tenant_id = t AND ch.charge_id = l.charge_id
          LEFT JOIN rr.obligation_charge oc ON oc.tenant_id = t AND oc.contract_id = ch.contract_id
                                           AND oc.line_no = ch.line_no AND oc.line_effective_from = ch.line_effective_from
                                           AND oc.kind = ch.kind AND oc.service_period = ch.service_period
                                           AND oc.adjustment_seq = ch.adjustment_seq
          LEFT JOIN rr.obligation_setting s ON s.tenant_id = t AND s.contract_id = ch.contract_id AND s.line_no = ch.line_no
          JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = inv.contract_id
                                          AND o.obligation_no = coalesce(oc.obligation_no, s.obligation_no, ch.line_no)
         WHERE o.method = 'on_payment'
         GROUP BY o.contract_id, o.obligation_no, inv.d
    ), target AS (
        -- revenue to date at each date, and its step from the date before
        SELECT x.contract_id, x.obligation_no, x.d,
               x.amount - coalesce(lag(x.amount) OVER w, 0) AS amount,
               x.contract_amount - coalesce(lag(x.contract_amount) OVER w, 0) AS contract_amount
          FROM (SELECT o.contract_id, o.obligation_no, p.d,
                       CASE WHEN o.contract_amount > 0
                            THEN least(o.allocated_amount, round(o.allocated_amount * p.paid / o.contract_amount, p.mu))
                            ELSE round(p.paid, p.mu) END AS amount,
                       CASE WHEN o.contract_amount > 0 THEN least(o.contract_amount, round(p.paid, p.mu))
                            ELSE round(p.paid, p.mu) END AS contract_amount
                  FROM paid p
                  JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = p.contract_id
                                                  AND o.obligation_no = p.obligation_no) x
        WINDOW w AS (PARTITION BY x.contract_id, x.obligation_no ORDER BY x.d)
    ), done AS (
        SELECT l.contract_id, l.obligation_no, l.recognize_on AS d, sum(l.amount) AS amount,
               sum(l.contract_amount) AS contract_amount
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = t AND l.source = 'payment' AND l.recognize_on <= through
         GROUP BY l.contract_id, l.obligation_no, l.recognize_on
    )
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount)
    SELECT t, x.contract_id, x.obligation_no, 'payment', daterange(x.d, x.d + 1), x.d, x.amount, x.contract_amount
      FROM (SELECT coalesce(g.contract_id, d.contract_id) AS contract_id,
                   coalesce(g.obligation_no, d.obligation_no) AS obligation_no, coalesce(g.d, d.d) AS d,
                   coalesce(g.amount, 0) - coalesce(d.amount, 0) AS amount,
                   coalesce(g.contract_amount, 0) - coalesce(d.contract_amount, 0) AS contract_amount
              FROM target g
              FULL JOIN done d ON d.contract_id = g.contract_id AND d.obligation_no = g.obligation_no AND d.d = g.d) x
     WHERE x.amount <> 0 OR x.contract_amount <> 0
     ORDER BY x.contract_id, x.obligation_no, x.d;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.create_payment_schedules(text, date) IS 'internal: schedule lines of on_payment obligations for the cash applied by a date, dated at each application (allocation × share of the contract amount paid by then, capped at the allocation; the steps from one application date to the next, less the lines already written for those dates)';

-- rr_internal.ensure_fiscal_periods extends a calendar forwards only; revenue can be due before the
-- first period billing created (a contract activated before its first invoice).  Add the
-- calendar months before it, when the calendar starts on the first of a month.
CREATE FUNCTION rr_internal.ensure_fiscal_periods_from(tenant_id text, from_date date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_start date;
    n integer;
BEGIN
    PERFORM rr.check_date('posting date', from_date);
    SELECT min(p.period_start) INTO first_start FROM rr.fiscal_period p
     WHERE p.tenant_id = ensure_fiscal_periods_from.tenant_id;
    IF from_date IS NULL OR first_start IS NULL OR first_start <= from_date OR extract(day FROM first_start) <> 1 THEN
        RETURN 0;
    END IF;
    INSERT INTO rr.fiscal_period (tenant_id, period_start, period_end)
    SELECT ensure_fiscal_periods_from.tenant_id, lower(m), upper(m)
      FROM rr.billing_periods(date_trunc('month', from_date)::date, first_start, '1 month', '2000-01-01') AS m
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_fiscal_periods_from(text, date) IS 'internal: adds the calendar months from the month of from_date up to a tenant''s first fiscal period, when that period starts on the first of a month';

CREATE FUNCTION rr.recognize(through date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, period_start date, entry_id bigint, lines bigint, revenue numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
    seq regclass := pg_catalog.pg_get_serial_sequence('rr.journal_entry', 'entry_id')::regclass;
BEGIN
    IF through IS NULL THEN
        RAISE EXCEPTION 'recognition date must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- one run at a time per tenant (and never during a close): a second run waits, then
    -- sees the first one's lines posted and its entries in the ledger
    PERFORM pg_advisory_xact_lock(hashtext('rr.recognize'), hashtext(t));
    INSERT INTO rr.recognition_run (tenant_id, through) VALUES (t, recognize.through) RETURNING run_id INTO run;
    PERFORM rr_internal.create_payment_schedules(t, recognize.through);

    -- the due lines, and the fiscal period each goes into
    IF rr_internal.claim_work_table('rr_due') THEN
        CREATE TEMP TABLE rr_due (schedule_line_id bigint, contract_id bigint, recognize_on date,
                                                amount numeric, contract_amount numeric, revenue_account text,
                                                period_start date) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_dates') THEN
        CREATE TEMP TABLE rr_dates (d date, period_start date) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_grp') THEN
        CREATE TEMP TABLE rr_grp (contract_id bigint, period_start date, k bigint, entry_date date,
                                                entry_id bigint, lines bigint, amount numeric, contract_amount numeric,
                                                currency char(3), has_entry boolean, as_of date) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_acct') THEN
        CREATE TEMP TABLE rr_acct (contract_id bigint, account text, role text) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_kacct') THEN
        CREATE TEMP TABLE rr_kacct (contract_id bigint, k bigint, account text, role text, ledger numeric,
                                    prior numeric) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_cpos') THEN
        CREATE TEMP TABLE rr_cpos (contract_id bigint, k bigint, b numeric, prior_r numeric, prior_e numeric) ON COMMIT DELETE ROWS;
    END IF;
    IF rr_internal.claim_work_table('rr_delta') THEN
        CREATE TEMP TABLE rr_delta (contract_id bigint, k bigint, account text, delta numeric) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM rr_due;
    DELETE FROM rr_dates;
    DELETE FROM rr_grp;
    DELETE FROM rr_acct;
    DELETE FROM rr_kacct;
    DELETE FROM rr_cpos;
    DELETE FROM rr_delta;

    INSERT INTO rr_due
    SELECT l.schedule_line_id, l.contract_id, l.recognize_on, l.amount, l.contract_amount, o.revenue_account, NULL
      FROM rr.revenue_schedule_line l
      JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = l.contract_id
                                      AND o.obligation_no = l.obligation_no
     WHERE l.tenant_id = t AND l.status = 'open' AND l.recognize_on <= recognize.through
       AND (l.invoice_id IS NULL
            OR EXISTS (SELECT FROM rr.invoice i WHERE i.tenant_id = t AND i.invoice_id = l.invoice_id
                                                 AND i.status = 'posted'));
    ANALYZE rr_due;
    -- one lookup per date (it creates missing calendar months), not per line; a tenant
    -- with no calendar yet gets one from the month of its earliest due line first (else
    -- the first date looked up would start it, and earlier lines would go into that period)
    PERFORM rr_internal.posting_period(t, x.d)
       FROM (SELECT min(rr_due.recognize_on) AS d FROM rr_due) x
      WHERE x.d IS NOT NULL AND NOT EXISTS (SELECT FROM rr.fiscal_period f WHERE f.tenant_id = t);
    PERFORM rr_internal.ensure_fiscal_periods_from(t, (SELECT min(rr_due.recognize_on) FROM rr_due));
    INSERT INTO rr_dates
    SELECT x.d, rr_internal.posting_period(t, x.d)
      FROM (SELECT DISTINCT rr_due.recognize_on AS d FROM rr_due UNION SELECT recognize.through) x;

    INSERT INTO rr_grp
    SELECT g.contract_id, g.period_start,
           row_number() OVER (PARTITION BY g.contract_id ORDER BY g.period_start),
           g.entry_date, nextval(seq), g.lines, g.amount, g.contract_amount, k.currency, false
      FROM (SELECT d.contract_id, p.period_start, max(d.recognize_on) AS entry_date, count(*) AS lines,
                   sum(d.amount) AS amount, sum(d.contract_amount) AS contract_amount
              FROM rr_due d JOIN rr_dates p ON p.d = d.recognize_on
             GROUP BY d.contract_id, p.period_start) g
      JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = g.contract_id;
    -- contracts with no line due but an invoice or credit note posted since their last
    -- recognition entry: their position is re-netted too (billing reclassifies unbilled
    -- receivable and contract asset to receivable through this entry)
    INSERT INTO rr_grp
    SELECT c.contract_id, p.period_start, 1, recognize.through, nextval(seq), 0, 0, 0, k.currency, false
      FROM (SELECT DISTINCT i.contract_id
              FROM rr.invoice i
             WHERE i.tenant_id = t AND i.status = 'posted' AND i.invoice_date <= recognize.through
               AND i.journal_entry_id > coalesce((SELECT max(l.entry_id) FROM rr.revenue_schedule_line l
                                                   WHERE l.tenant_id = t AND l.contract_id = i.contract_id), 0)
               AND EXISTS (SELECT FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.contract_id = i.contract_id)
               AND NOT EXISTS (SELECT FROM rr_due d WHERE d.contract_id = i.contract_id)) c
      JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = c.contract_id
      JOIN rr_dates p ON p.d = recognize.through;
    UPDATE rr_due d SET period_start = p.period_start FROM rr_dates p WHERE p.d = d.recognize_on;
    ANALYZE rr_grp;

    -- the accounts each contract's position lives on: its obligations' revenue and deferred
    -- revenue accounts (the first obligation's deferred account holds the liability),
    -- unbilled receivable, contract asset, and its discount accounts
    INSERT INTO rr_acct
    SELECT a.contract_id, a.account, a.role
      FROM (SELECT DISTINCT ON (x.contract_id, x.account) x.contract_id, x.account, x.role
              FROM (SELECT o.contract_id, o.revenue_account AS account, 'revenue' AS role, 1 AS pri
                      FROM rr.performance_obligation o
                     WHERE o.tenant_id = t AND o.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)
                    UNION ALL
                    SELECT o.contract_id, o.deferred_account,
                           CASE WHEN o.obligation_no = min(o.obligation_no) OVER (PARTITION BY o.contract_id)
                                THEN 'deferred' ELSE 'other' END,
                           CASE WHEN o.obligation_no = min(o.obligation_no) OVER (PARTITION BY o.contract_id)
                                THEN 2 ELSE 5 END
                      FROM rr.performance_obligation o
                     WHERE o.tenant_id = t AND o.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)
                    UNION ALL
                    SELECT c.contract_id, v.account, v.role, v.pri
                      FROM (SELECT DISTINCT g.contract_id FROM rr_grp g) c,
                           (VALUES ('1150', 'unbilled', 3), ('1160', 'asset', 4)) AS v (account, role, pri)
                    UNION ALL
                    SELECT dd.contract_id, dd.account, 'other', 6
                      FROM rr.discount dd
                     WHERE dd.tenant_id = t AND dd.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)) x
             ORDER BY x.contract_id, x.account, x.pri) a;
    ANALYZE rr_acct;
    -- their ledger balances (credit - debit) and the revenue earlier runs recognised, as of
    -- the date of each entry k but the contract's last, and as of `through` for the last
    -- (billing may have posted invoices dated later; an earlier run may have posted entries
    -- dated later, when it ran through a later date): each entry re-nets the position as it
    -- stands on its date, so the revenue of a period does not depend on the date the run
    -- went through
    UPDATE rr_grp g SET as_of = CASE WHEN g.k = m.last_k THEN recognize.through ELSE g.entry_date END
      FROM (SELECT g2.contract_id, max(g2.k) AS last_k FROM rr_grp g2 GROUP BY g2.contract_id) m
     WHERE m.contract_id = g.contract_id;
    INSERT INTO rr_kacct
    SELECT a.contract_id, g.k, a.account, a.role, 0, 0
      FROM rr_acct a JOIN rr_grp g ON g.contract_id = a.contract_id;
    ANALYZE rr_kacct;
    UPDATE rr_kacct a SET ledger = b.balance
      FROM (SELECT g.contract_id, g.k, j.account, sum(j.credit - j.debit) AS balance
              FROM rr_grp g
              JOIN rr.journal_line j ON j.tenant_id = t AND j.contract_id = g.contract_id
              JOIN rr.journal_entry e ON e.tenant_id = t AND e.entry_id = j.entry_id
             WHERE e.entry_date <= g.as_of
             GROUP BY g.contract_id, g.k, j.account) b
     WHERE a.contract_id = b.contract_id AND a.k = b.k AND a.account = b.account;
    UPDATE rr_kacct a SET prior = p.amount
      FROM (SELECT g.contract_id, g.k, o.revenue_account, sum(l.amount) AS amount
              FROM rr_grp g
              JOIN rr.revenue_schedule_line l ON l.tenant_id = t AND l.contract_id = g.contract_id
              JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = l.contract_id
                                              AND o.obligation_no = l.obligation_no
             WHERE l.status = 'posted' AND l.posted_on <= g.as_of
             GROUP BY g.contract_id, g.k, o.revenue_account) p
     WHERE a.contract_id = p.contract_id AND a.k = p.k AND a.account = p.revenue_account AND a.role = 'revenue';
    INSERT INTO rr_cpos
    SELECT a.contract_id, a.k, sum(a.ledger), sum(a.prior),
           coalesce((SELECT sum(l.contract_amount) FROM rr.revenue_schedule_line l JOIN rr_grp g
                             ON g.contract_id = l.contract_id AND g.k = a.k
                      WHERE l.tenant_id = t AND l.contract_id = a.contract_id AND l.status = 'posted'
                        AND l.posted_on <= g.as_of), 0)
      FROM rr_kacct a
     GROUP BY a.contract_id, a.k;
    ANALYZE rr_cpos;

    -- target balances after each entry k of a contract, as of its date; each entry writes
    -- the target less the balance then, less what this run's earlier entries (dated no
    -- later) wrote already.  Every target sums to what the ledger holds on these accounts
    -- on its date (what was billed by then), so every entry balances.
    INSERT INTO rr_delta
    WITH rev AS (
        SELECT d.contract_id, g.k, d.revenue_account AS account, sum(d.amount) AS amount
          FROM rr_due d JOIN rr_grp g ON g.contract_id = d.contract_id AND g.period_start = d.period_start
         GROUP BY d.contract_id, g.k, d.revenue_account
    ), cum AS (
        SELECT a.contract_id, a.k, a.account, a.role, a.ledger,
               a.prior + sum(coalesce(r.amount, 0)) OVER (PARTITION BY a.contract_id, a.account ORDER BY a.k) AS rev_k
          FROM rr_kacct a
          LEFT JOIN rev r ON r.contract_id = a.contract_id AND r.k = a.k AND r.account = a.account
    ), pos AS (
        SELECT g.contract_id, g.k, c.b,
               c.prior_r + sum(g.amount) OVER w AS r_k,
               c.prior_e + sum(g.contract_amount) OVER w AS e_k
          FROM rr_grp g JOIN rr_cpos c ON c.contract_id = g.contract_id AND c.k = g.k
        WINDOW w AS (PARTITION BY g.contract_id ORDER BY g.k)
    ), split AS (
        SELECT pos.*, greatest(pos.b - pos.r_k, 0) AS deferred,
               least(greatest(pos.r_k - pos.b, 0), greatest(pos.e_k - pos.b, 0)) AS unbilled,
               greatest(pos.r_k - pos.b, 0) - least(greatest(pos.r_k - pos.b, 0), greatest(pos.e_k - pos.b, 0)) AS asset
          FROM pos
    ), target AS (
        SELECT cum.contract_id, cum.k, cum.account, cum.ledger,
               CASE cum.role WHEN 'revenue' THEN cum.rev_k
                             WHEN 'deferred' THEN s.deferred
                             WHEN 'unbilled' THEN -s.unbilled
                             WHEN 'asset' THEN -s.asset
                             ELSE 0 END AS target
          FROM cum JOIN split s ON s.contract_id = cum.contract_id AND s.k = cum.k
    )
    SELECT x.contract_id, x.k, x.account,
           (x.target - x.ledger) - coalesce(lag(x.target - x.ledger) OVER (PARTITION BY x.contract_id, x.account ORDER BY x.k), 0)
      FROM target x;
    DELETE FROM rr_delta x WHERE x.delta = 0;
    UPDATE rr_grp g SET has_entry = true
     WHERE EXISTS (SELECT FROM rr_delta x WHERE x.contract_id = g.contract_id AND x.k = g.k);

    INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
    SELECT t, g.entry_id, g.entry_date, g.period_start, 'recognition', run,
           format('Revenue recognition through %s, contract %s', recognize.through, g.contract_id)
      FROM rr_grp g
     WHERE g.has_entry
     ORDER BY g.entry_id;
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id)
    SELECT t, g.entry_id, row_number() OVER (PARTITION BY g.entry_id ORDER BY x.delta > 0, x.account)::integer,
           x.account, greatest(-x.delta, 0), greatest(x.delta, 0), g.currency, g.contract_id
      FROM rr_delta x JOIN rr_grp g ON g.contract_id = x.contract_id AND g.k = x.k;
    UPDATE rr.revenue_schedule_line l
       SET status = 'posted', run_id = run, posted_period = g.period_start, posted_on = g.entry_date,
           entry_id = CASE WHEN g.has_entry THEN g.entry_id END
      FROM rr_due d JOIN rr_grp g ON g.contract_id = d.contract_id AND g.period_start = d.period_start
     WHERE l.tenant_id = t AND l.schedule_line_id = d.schedule_line_id;

    RETURN QUERY
    SELECT g.contract_id, g.period_start, CASE WHEN g.has_entry THEN g.entry_id END, g.lines, g.amount
      FROM rr_grp g
     WHERE g.lines > 0 OR g.has_entry
     ORDER BY g.contract_id, g.period_start;
END
$$;
COMMENT ON FUNCTION rr.recognize(date) IS 'posts every revenue schedule line due by `through` (invoice-sourced lines once their invoice is posted): per contract and fiscal period one journal entry, Cr revenue and the contract''s position re-netted into deferred revenue, unbilled receivable and contract asset, in the period of the lines or the first open one after it; set-based, idempotent, one run at a time per tenant; returns one row per contract and period';

-- ---------------------------------------------------------------------------------------
-- Queries of the revenue team.

CREATE VIEW rr.revenue_schedule WITH (security_invoker = true) AS
SELECT l.tenant_id, l.contract_id, l.obligation_no, o.item, o.method, l.schedule_line_id, l.source, l.period,
       l.recognize_on, l.amount, l.contract_amount,
       CASE WHEN l.status = 'posted' THEN 'posted'
            WHEN l.recognize_on <= current_date THEN 'open'
            ELSE 'projected' END AS status,
       l.posted_period, l.entry_id, l.invoice_id, o.revenue_account
  FROM rr.revenue_schedule_line l
  JOIN rr.performance_obligation o ON o.tenant_id = l.tenant_id AND o.contract_id = l.contract_id
                                  AND o.obligation_no = l.obligation_no;
COMMENT ON VIEW rr.revenue_schedule IS 'revenue schedule detail per contract and obligation: period, due date, allocated amount and the same at contract prices, status (posted; open: due and waiting for a recognition run; projected: a future period), the fiscal period and journal entry it was posted into';

CREATE FUNCTION rr.contract_revenue_schedule(contract_id bigint, as_of date DEFAULT current_date)
RETURNS TABLE (obligation_no integer, item text, method text, source text, period daterange, recognize_on date,
               amount numeric, status text, posted_period date)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT l.obligation_no, o.item, o.method, l.source, l.period, l.recognize_on, l.amount,
           CASE WHEN l.status OPERATOR(pg_catalog.=) 'posted' THEN 'posted'
                WHEN l.recognize_on OPERATOR(pg_catalog.<=) contract_revenue_schedule.as_of THEN 'open'
                ELSE 'projected' END,
           l.posted_period
      FROM rr.revenue_schedule_line l
      JOIN rr.performance_obligation o ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                      AND o.contract_id OPERATOR(pg_catalog.=) l.contract_id
                                      AND o.obligation_no OPERATOR(pg_catalog.=) l.obligation_no
     WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND l.contract_id OPERATOR(pg_catalog.=) contract_revenue_schedule.contract_id
     ORDER BY l.obligation_no, l.recognize_on, l.schedule_line_id;
END;
COMMENT ON FUNCTION rr.contract_revenue_schedule(bigint, date) IS 'a contract''s revenue schedule with each line''s status as of a date: posted, open (due, not yet posted) or projected (later)';

CREATE VIEW rr.performance_obligations WITH (security_invoker = true) AS
SELECT o.tenant_id, o.contract_id, o.obligation_no, o.line_nos, o.item, o.method, o.service, o.standalone_price,
       o.is_residual, o.contract_amount, o.allocated_amount,
       o.allocated_amount - o.contract_amount AS reallocated
  FROM rr.performance_obligation o;
COMMENT ON VIEW rr.performance_obligations IS 'SSP allocation: each obligation''s lines, method, service period, SSP for the term, fixed consideration at contract prices, allocated transaction price and the difference the allocation moved';

-- Deferred revenue, unbilled receivable and contract asset per contract and account as of
-- a date, from the ledger, with the net contract position.
CREATE FUNCTION rr.contract_balances(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, account text, account_name text, balance numeric, net_position numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH acct AS (
        SELECT DISTINCT o.contract_id, o.deferred_account AS account, -1 AS sign
          FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
        UNION
        SELECT DISTINCT o.contract_id, v.account, 1
          FROM rr.performance_obligation o, (VALUES ('1150'), ('1160')) AS v (account)
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
    ), bal AS (
        SELECT a.contract_id, a.account,
               a.sign OPERATOR(pg_catalog.*) coalesce(sum(j.debit OPERATOR(pg_catalog.-) j.credit), 0) AS balance,
               a.sign
          FROM acct a
          LEFT JOIN (rr.journal_line j JOIN rr.journal_entry e
                       ON e.tenant_id OPERATOR(pg_catalog.=) j.tenant_id
                      AND e.entry_id OPERATOR(pg_catalog.=) j.entry_id
                      AND e.entry_date OPERATOR(pg_catalog.<=) contract_balances.as_of)
                 ON j.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                AND j.contract_id OPERATOR(pg_catalog.=) a.contract_id
                AND j.account OPERATOR(pg_catalog.=) a.account
         GROUP BY a.contract_id, a.account, a.sign
    )
    SELECT b.contract_id, b.account, ac.name, b.balance,
           sum(b.sign OPERATOR(pg_catalog.*) b.balance) OVER (PARTITION BY b.contract_id)
      FROM bal b
      JOIN rr.account ac ON ac.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                        AND ac.code OPERATOR(pg_catalog.=) b.account
     ORDER BY b.contract_id, b.account;
END;
COMMENT ON FUNCTION rr.contract_balances(date) IS 'per contract and account as of a date, from the journal: deferred revenue (a credit balance, shown positive), unbilled receivable (1150) and contract asset (1160) (debit balances, shown positive), and the net contract position (assets less liability: positive = net contract asset)';

-- Billed = recognised + deferred - unbilled - contract asset, per contract as of a date:
-- the invoices (sub-ledger), the posted schedule (sub-ledger) and the journal (deferred
-- revenue, unbilled receivable, contract asset) must agree.  Returns the contracts that
-- do not; no rows means clean.
CREATE FUNCTION rr.revenue_reconciliation(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, billed numeric, recognised numeric, deferred numeric, unbilled numeric,
               contract_asset numeric, difference numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH k AS (
        SELECT DISTINCT o.contract_id FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
    ), billed AS (
        SELECT i.contract_id, sum(l.amount) AS amount
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
          JOIN rr.contract_item ci ON ci.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                  AND ci.code OPERATOR(pg_catalog.=) l.contract_item
         WHERE i.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND i.status OPERATOR(pg_catalog.=) 'posted'
           AND i.invoice_date OPERATOR(pg_catalog.<=) revenue_reconciliation.as_of
           AND l.kind OPERATOR(pg_catalog.<>) ALL (ARRAY['tax', 'deposit'])
           AND ci.billing_type OPERATOR(pg_catalog.<>) 'deposit'
         GROUP BY i.contract_id
    ), recognised AS (
        SELECT l.contract_id, sum(l.amount) AS amount
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND l.status OPERATOR(pg_catalog.=) 'posted'
           AND l.posted_on OPERATOR(pg_catalog.<=) revenue_reconciliation.as_of
         GROUP BY l.contract_id
    ), bal AS (
        SELECT b.contract_id,
               sum(b.balance) FILTER (WHERE b.account NOT IN ('1150', '1160')) AS deferred,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1150') AS unbilled,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1160') AS asset
          FROM rr.contract_balances(revenue_reconciliation.as_of) b
         GROUP BY b.contract_id
    )
    SELECT k.contract_id, coalesce(bi.amount, 0), coalesce(r.amount, 0), coalesce(b.deferred, 0),
           coalesce(b.unbilled, 0), coalesce(b.asset, 0),
           coalesce(bi.amount, 0) OPERATOR(pg_catalog.-) (coalesce(r.amount, 0) OPERATOR(pg_catalog.+) coalesce(b.deferred, 0)
               OPERATOR(pg_catalog.-) coalesce(b.unbilled, 0) OPERATOR(pg_catalog.-) coalesce(b.asset, 0))
      FROM k
      LEFT JOIN billed bi ON bi.contract_id OPERATOR(pg_catalog.=) k.contract_id
      LEFT JOIN recognised r ON r.contract_id OPERATOR(pg_catalog.=) k.contract_id
      LEFT JOIN bal b ON b.contract_id OPERATOR(pg_catalog.=) k.contract_id
     WHERE coalesce(bi.amount, 0) OPERATOR(pg_catalog.<>) (coalesce(r.amount, 0) OPERATOR(pg_catalog.+) coalesce(b.deferred, 0)
               OPERATOR(pg_catalog.-) coalesce(b.unbilled, 0) OPERATOR(pg_catalog.-) coalesce(b.asset, 0))
     ORDER BY k.contract_id;
END;
COMMENT ON FUNCTION rr.revenue_reconciliation(date) IS 'reconciliation check per contract as of a date: billed (posted invoices and credit notes, tax and deposits excluded) = recognised (posted schedule lines) + deferred revenue - unbilled receivable - contract asset (journal); returns the contracts that disagree, so no rows means clean';

-- ---------------------------------------------------------------------------------------
-- Period closing (administrators only; logged).

CREATE FUNCTION rr_internal.log_period_event(tenant_id text, period_start date, action text, reason text)
RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO rr.period_close_event (tenant_id, period_start, action, reason, acting_role)
    VALUES (log_period_event.tenant_id, log_period_event.period_start, log_period_event.action, log_period_event.reason,
            rr.acting_role());
END;
COMMENT ON FUNCTION rr_internal.log_period_event(text, date, text, text) IS 'internal: appends a close or reopen event with the session user and the role it acts as';

CREATE FUNCTION rr.close_period(period_start date, reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    p rr.fiscal_period;
    n bigint;
    first_open date;
    bad record;
BEGIN
    -- no recognition run may interleave with the checks
    PERFORM pg_advisory_xact_lock(hashtext('rr.recognize'), hashtext(t));
    SELECT * INTO p FROM rr.fiscal_period f
     WHERE f.tenant_id = t AND f.period_start = close_period.period_start FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fiscal period starting % does not exist', close_period.period_start
            USING ERRCODE = 'P0002', HINT = 'Give the first day of a period of rr.fiscal_period.';
    ELSIF p.status = 'closed' THEN
        RAISE EXCEPTION 'fiscal period starting % is already closed', p.period_start USING ERRCODE = '55000';
    END IF;
    SELECT min(f.period_start) INTO first_open FROM rr.fiscal_period f
     WHERE f.tenant_id = t AND f.status = 'open' AND f.period_start < p.period_start;
    IF first_open IS NOT NULL THEN
        RAISE EXCEPTION 'cannot close fiscal period starting %: the earlier period starting % is open', p.period_start, first_open
            USING ERRCODE = '55000', HINT = 'Close periods in order.';
    END IF;
    SELECT count(*) INTO n FROM rr.invoice i
     WHERE i.tenant_id = t AND i.status = 'draft' AND i.invoice_date < p.period_end;
    IF n > 0 THEN
        RAISE EXCEPTION 'cannot close fiscal period starting %: draft invoices are dated in it or before', p.period_start
            USING ERRCODE = '55000', DETAIL = format('%s draft invoice(s) are dated before %s.', n, p.period_end), HINT = 'Post them with rr.post_invoices() or undo their billing first.';
    END IF;
    SELECT count(*) INTO n FROM rr.revenue_schedule_line l
     WHERE l.tenant_id = t AND l.status = 'open' AND l.recognize_on < p.period_end
       AND (l.invoice_id IS NULL
            OR EXISTS (SELECT FROM rr.invoice i WHERE i.tenant_id = t AND i.invoice_id = l.invoice_id AND i.status = 'posted'));
    IF n > 0 THEN
        RAISE EXCEPTION 'cannot close fiscal period starting %: revenue due in it is not recognised', p.period_start
            USING ERRCODE = '55000',
                  DETAIL = format('%s revenue schedule line(s) due by %s are not posted.', n, p.period_end - 1),
                  HINT = format('Run rr.recognize(''%s'') first.', p.period_end - 1);
    END IF;
    SELECT * INTO bad FROM rr.revenue_reconciliation(p.period_end - 1) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot close fiscal period starting %: contract % does not reconcile', p.period_start, bad.contract_id
            USING ERRCODE = '55000',
                  DETAIL = format('Billed %s, recognised %s, deferred %s, unbilled %s, contract asset %s: a difference of %s.',
                                  bad.billed, bad.recognised, bad.deferred, bad.unbilled, bad.contract_asset, bad.difference),
                  HINT = 'See rr.revenue_reconciliation(); a recognition run re-nets the positions of the contracts it posts.';
    END IF;
    UPDATE rr.fiscal_period f SET status = 'closed' WHERE f.tenant_id = t AND f.period_start = p.period_start;
    PERFORM rr_internal.log_period_event(t, p.period_start, 'close', reason);
END
$$;
COMMENT ON FUNCTION rr.close_period(date, text) IS 'closes a fiscal period (administrators only; logged) after the controller''s checks: earlier periods closed, no draft invoice dated in or before it, no due revenue schedule line left unposted, and the revenue reconciliation clean at its last day; nothing posts into it afterwards';

CREATE FUNCTION rr.reopen_period(period_start date, reason text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    p rr.fiscal_period;
    last_closed date;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('rr.recognize'), hashtext(t));
    SELECT * INTO p FROM rr.fiscal_period f
     WHERE f.tenant_id = t AND f.period_start = reopen_period.period_start FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'fiscal period starting % does not exist', reopen_period.period_start USING ERRCODE = 'P0002';
    ELSIF p.status = 'open' THEN
        RAISE EXCEPTION 'fiscal period starting % is not closed', p.period_start USING ERRCODE = '55000';
    ELSIF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'reopening a fiscal period needs a reason'
            USING ERRCODE = '22023', HINT = 'The reason is kept in rr.period_close_event.';
    END IF;
    SELECT max(f.period_start) INTO last_closed FROM rr.fiscal_period f
     WHERE f.tenant_id = t AND f.status = 'closed' AND f.period_start > p.period_start;
    IF last_closed IS NOT NULL THEN
        RAISE EXCEPTION 'cannot reopen fiscal period starting %: the later period starting % is closed', p.period_start, last_closed
            USING ERRCODE = '55000', HINT = 'Reopen periods in reverse order.';
    END IF;
    UPDATE rr.fiscal_period f SET status = 'open' WHERE f.tenant_id = t AND f.period_start = p.period_start;
    PERFORM rr_internal.log_period_event(t, p.period_start, 'reopen', reason);
END
$$;
COMMENT ON FUNCTION rr.reopen_period(date, text) IS 'reopens the last closed fiscal period (administrators only; needs a reason; logged)';

-- ---- src/sql/890_row_security.sql
-- Row-level security for every tenant table (docs/concepts.md, "Tenancy"), applied in one place
-- so that no table can be forgotten: each table of schema rr with a tenant_id column and
-- no policy of its own gets forced row-level security with the policy
-- tenant_id = rr.current_tenant(), loses every PUBLIC privilege, and is registered with
-- pg_extension_config_dump (with its identity sequences).  test/pgtap/schema.sql checks
-- the result.

-- The policy itself, in one place: forced row-level security limited to the session's
-- tenant, and no privilege for PUBLIC.  Also applied to the monthly partitions of
-- rr.usage_event, which are created at run time (src/sql/220_usage.sql).
CREATE FUNCTION rr_internal.apply_tenant_policy(t regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s
                        USING (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))
                        WITH CHECK (tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))', t);
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', t);
END
$$;
COMMENT ON FUNCTION rr_internal.apply_tenant_policy(regclass) IS 'internal: enables and forces row-level security on a tenant table with the policy tenant_id = rr.current_tenant(), and revokes every PUBLIC privilege';
REVOKE ALL ON FUNCTION rr_internal.apply_tenant_policy(regclass) FROM PUBLIC;

DO $$
DECLARE
    t regclass;
    s regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
           AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attname OPERATOR(pg_catalog.=) 'tenant_id')
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid)
         ORDER BY 1
    LOOP
        PERFORM rr_internal.apply_tenant_policy(t);
        PERFORM pg_catalog.pg_extension_config_dump(t, '');
        FOR s IN SELECT pg_catalog.pg_get_serial_sequence(t::text, a.attname)::regclass
                   FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) t AND a.attidentity OPERATOR(pg_catalog.<>) ''
        LOOP
            PERFORM pg_catalog.pg_extension_config_dump(s, '');
            EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC', s);
        END LOOP;
    END LOOP;
END
$$;

-- ---- src/sql/900_roles.sql
-- Roles are cluster-wide, so the install script creates none: a superuser (or a role
-- with CREATEROLE) runs rr.create_roles() once per cluster, and again after an
-- extension upgrade so that new functions and tables are granted.
--
-- Grant matrix (each role is NOLOGIN; grant it to login roles, and list the login or
-- group roles of each tenant with rr.add_tenant_member):
--   rr_admin    all of the below, plus writing the catalog and tenancy tables and
--               every SECURITY DEFINER function; member of the three roles below
--   rr_billing  what rr_app may do (billing runs, posting and credits as they land);
--               recording and applying payments (they post to the journal: cash and
--               receivables are finance's, not the application's)
--   rr_app      the contract lifecycle functions; writing customers
--   rr_analyst  read-only: SELECT on tables and views, EXECUTE on invoker functions
--
-- The rule for functions: a SECURITY INVOKER function can do no more than its caller's
-- table privileges allow, so every rr role may execute it; a SECURITY DEFINER function
-- (a narrow entry point that writes contracts) is granted only to the roles listed
-- below, and to rr_admin.  Contracts, their lines and events are written by those
-- functions only: no role has INSERT, UPDATE or DELETE on them.

CREATE FUNCTION rr.create_roles()
RETURNS TABLE (role_name name, created boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name;
    f regprocedure;
    app_entry_points text[] := ARRAY['create_contract', 'setup_contract', 'activate_contract',
                                     'setup_and_activate_contract', 'terminate_contract',
                                     'complete_contract', 'expire_contract', 'expire_contracts',
                                     'change_contract_line', 'preview_billing', 'bill_contract', 'add_discount',
                                     'record_usage', 'merge_usage_staging', 'set_obligation'];
    billing_entry_points text[] := ARRAY['run_billing', 'post_invoices', 'undo_last_billing', 'credit_invoice',
                                         'record_payment', 'apply_payment', 'create_usage_partitions', 'recognize',
                                         'record_progress'];
    admin_tables text[] := ARRAY['currency', 'tenant', 'tenant_member', 'account', 'tax_code',
                                 'deferral_code', 'item', 'item_price', 'contract_item',
                                 'contract_template', 'template_line', 'customer'];
BEGIN
    FOREACH r IN ARRAY ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        role_name := r;
        created := NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r);
        IF created THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA rr TO %I', r);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA rr TO %I', r);
        RETURN NEXT;
    END LOOP;

    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace AND p.prokind OPERATOR(pg_catalog.=) 'f'
    LOOP
        IF (SELECT p.prosecdef FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin', f);
            IF (SELECT p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) = ANY (app_entry_points) THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_app, rr_billing', f);
            ELSIF (SELECT p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) = ANY (billing_entry_points) THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_billing', f);
            END IF;
        ELSE
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin, rr_billing, rr_app, rr_analyst', f);
        END IF;
    END LOOP;
    -- a public function that runs as its caller (not SECURITY DEFINER) and calls an
    -- internal one needs the caller to hold EXECUTE on that one too; no role has USAGE on
    -- schema rr_internal, so nobody can call it by name
    FOR f IN SELECT DISTINCT q.oid::regprocedure
               FROM pg_catalog.pg_proc p
               JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                                          AND d.objid OPERATOR(pg_catalog.=) p.oid
                                          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
               JOIN pg_catalog.pg_proc q ON q.oid OPERATOR(pg_catalog.=) d.refobjid
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace AND NOT p.prosecdef
                AND q.pronamespace OPERATOR(pg_catalog.=) 'rr_internal'::regnamespace
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin, rr_billing, rr_app, rr_analyst', f);
    END LOOP;

    FOREACH r IN ARRAY admin_tables::name[] LOOP
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON rr.%I TO rr_admin', r);
    END LOOP;
    GRANT INSERT, UPDATE ON rr.customer TO rr_app, rr_billing;
    -- the format of a document series (the counter itself is the extension's)
    GRANT INSERT (tenant_id, series, prefix, min_digits), UPDATE (prefix, min_digits) ON rr.invoice_counter TO rr_admin;
    -- bulk usage: COPY into the staging table, then rr.merge_usage_staging()
    GRANT INSERT ON rr.usage_staging TO rr_app, rr_billing;

    FOREACH r IN ARRAY ARRAY['rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        IF NOT pg_catalog.pg_has_role('rr_admin', r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO rr_admin', r);
        END IF;
    END LOOP;

    -- administration stays with superusers
    REVOKE ALL ON FUNCTION rr.create_roles() FROM rr_admin, rr_billing, rr_app, rr_analyst;
END
$$;

COMMENT ON FUNCTION rr.create_roles() IS 'creates the roles rr_admin, rr_billing, rr_app and rr_analyst if missing and grants them their privileges on schema rr; run as superuser after CREATE EXTENSION and after each upgrade';
REVOKE ALL ON FUNCTION rr.create_roles() FROM PUBLIC;

-- Every function not revoked above is still executable by PUBLIC (the default); take
-- that away from all of them at once, in both schemas, so that a forgotten REVOKE cannot
-- leak.  Nothing in rr_internal is ever granted: only the extension's own code (the
-- SECURITY DEFINER entry points and the triggers) reaches it.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) ANY (ARRAY['rr'::regnamespace, 'rr_internal'::regnamespace])
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;
