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

-- The same, with the backend's CPU time (user + system, from /proc/self/stat, in clock
-- ticks of 10 ms), which other load on a shared machine disturbs less than wall time.
CREATE FUNCTION bench.cpu_ms()
RETURNS numeric
LANGUAGE sql AS $$
    SELECT (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 10
      FROM (SELECT substr(f, strpos(f, ') ') + 2) AS s FROM pg_read_file('/proc/self/stat') f) x
$$;
CREATE FUNCTION bench.measure_cpu(sql text, OUT ms numeric, OUT cpu_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
    c0 numeric := bench.cpu_ms();
BEGIN
    ms := bench.measure(sql);
    cpu_ms := bench.cpu_ms() - c0;
END
$$;
