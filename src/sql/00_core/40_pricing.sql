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
