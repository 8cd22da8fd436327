-- PL/pgSQL baseline for rr.spread(total, service, 'daily', grain, anchor, minor_units):
-- calendar periods from the anchor, weights = service days in each period, floor of
-- each exact share in minor units, leftover units to the largest remainders (ties to
-- the lower index).  Written the way a careful developer would without C.
CREATE FUNCTION bench.spread_plpgsql(total numeric, service daterange,
                                     grain interval DEFAULT '1 month',
                                     anchor date DEFAULT '2000-01-01',
                                     minor_units int DEFAULT 2)
RETURNS TABLE (period daterange, amount numeric)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    lo date := lower(service);
    hi date := upper(service);
    scale numeric := power(10::numeric, minor_units);
    units numeric := total * scale;
    months int := extract(year FROM grain)::int * 12 + extract(month FROM grain)::int;
    k bigint;
    b date;
    nb date;
    los date[] := '{}';
    his date[] := '{}';
    w numeric[] := '{}';
    q numeric[] := '{}';
    r numeric[] := '{}';
    sw numeric := 0;
    given numeric := 0;
    leftover int;
    n int;
    best int;
    i int;
BEGIN
    k := floor(((extract(year FROM lo) * 12 + extract(month FROM lo))
                - (extract(year FROM anchor) * 12 + extract(month FROM anchor))) / months);
    WHILE (anchor + k * grain)::date > lo LOOP k := k - 1; END LOOP;
    WHILE (anchor + (k + 1) * grain)::date <= lo LOOP k := k + 1; END LOOP;
    b := lo;
    WHILE b < hi LOOP
        k := k + 1;
        nb := least((anchor + k * grain)::date, hi);
        los := los || b;
        his := his || nb;
        w := w || (nb - b)::numeric;
        sw := sw + (nb - b);
        b := nb;
    END LOOP;
    n := array_length(w, 1);
    FOR i IN 1 .. n LOOP
        q := q || div(abs(units) * w[i], sw);
        r := r || mod(abs(units) * w[i], sw);
        given := given + q[i];
    END LOOP;
    leftover := abs(units) - given;
    WHILE leftover > 0 LOOP
        best := 1;
        FOR i IN 2 .. n LOOP
            IF r[i] > r[best] THEN best := i; END IF;
        END LOOP;
        q[best] := q[best] + 1;
        r[best] := -1;
        leftover := leftover - 1;
    END LOOP;
    FOR i IN 1 .. n LOOP
        period := daterange(los[i], his[i]);
        amount := round(sign(units) * q[i] / scale, minor_units);
        RETURN NEXT;
    END LOOP;
END
$$;
