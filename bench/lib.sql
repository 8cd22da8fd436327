-- Benchmark helpers, installed into the throwaway benchmark cluster by bench/run.
CREATE SCHEMA bench;

-- Run one statement and report its wall time and the backend's peak resident memory
-- (VmHWM: the high-water mark of this backend since it started; bench/lib.sh runs every
-- measurement in a new connection, so it is the peak of this statement).
CREATE FUNCTION bench.measure(sql text, OUT ms numeric, OUT peak_kb bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE sql;
    ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1);
    peak_kb := (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint;
END
$$;
