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
