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
