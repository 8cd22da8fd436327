-- Baselines for rr.price on a 3-tier graduated price (1..100 at 1.00, 101..1000 at 0.80
-- plus a 10.00 flat fee once reached, the rest at 0.50), written the way a careful
-- developer would without C.

-- Plain SQL: the CASE over the tiers, specialised by hand for this one price (the
-- strongest SQL competitor; it cannot be stored in a catalog row).  Not STRICT, so the
-- planner inlines it into the query.
CREATE FUNCTION bench.price_graduated_sql(q numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN q <= 0 THEN 0
                WHEN q <= 100 THEN q * 1.00
                WHEN q <= 1000 THEN 100 * 1.00 + (q - 100) * 0.80 + 10.00
                ELSE 100 * 1.00 + 900 * 0.80 + 10.00 + (q - 1000) * 0.50 END
$$;

-- PL/pgSQL: a generic graduated rater over tier arrays (up_to NULL = open-ended), as a
-- catalog-driven implementation has to be.
CREATE FUNCTION bench.price_graduated_plpgsql(q numeric, up_to numeric[], unit_price numeric[],
                                              flat_fee numeric[])
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    total numeric := 0;
    prev numeric := 0;
    hi numeric;
BEGIN
    FOR i IN 1 .. array_length(up_to, 1) LOOP
        EXIT WHEN q <= prev;
        hi := CASE WHEN up_to[i] IS NULL THEN q ELSE least(q, up_to[i]) END;
        total := total + (hi - prev) * unit_price[i] + coalesce(flat_fee[i], 0);
        prev := coalesce(up_to[i], q);
    END LOOP;
    RETURN total;
END
$$;
