-- Benchmark helpers, installed into the throwaway benchmark cluster by bench/run.
CREATE SCHEMA bench;

-- Run one statement and report its wall time (bench/lib.sh samples the backend's memory
-- from outside while it runs).
CREATE FUNCTION bench.measure(sql text, OUT ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE sql;
    ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1);
END
$$;
