-- PL/pgSQL baseline for rr.billing_periods: the same contract (boundaries anchor + k *
-- every computed directly from the anchor, clipped to [start, stop)), written the way a
-- careful developer would write it without C.
CREATE FUNCTION bench.billing_periods_plpgsql(start date, stop date, every interval,
                                              anchor date DEFAULT NULL)
RETURNS SETOF daterange
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    a date := coalesce(anchor, start);
    months int := extract(year FROM every)::int * 12 + extract(month FROM every)::int;
    days int := extract(day FROM every)::int;
    k bigint;
    lo date;
    hi date;
BEGIN
    IF start IS NULL OR stop IS NULL OR every IS NULL OR stop <= start THEN
        RETURN;
    END IF;
    IF months > 0 THEN
        k := floor(((extract(year FROM start) * 12 + extract(month FROM start))
                    - (extract(year FROM a) * 12 + extract(month FROM a))) / months);
        WHILE (a + k * every)::date > start LOOP k := k - 1; END LOOP;
        WHILE (a + (k + 1) * every)::date <= start LOOP k := k + 1; END LOOP;
    ELSE
        k := floor((start - a)::numeric / days);
    END IF;
    lo := start;
    WHILE lo < stop LOOP
        k := k + 1;
        hi := least((a + k * every)::date, stop);
        RETURN NEXT daterange(lo, hi);
        lo := hi;
    END LOOP;
END
$$;
