# rr.spread vs a PL/pgSQL largest-remainder spread (bench/baseline/spread.sql): the
# revenue schedule of each contract over 12 calendar months, 'daily' method,
# (a) computed only, and (b) written into a logged table with a primary key, next to the
# physical limit: a plain INSERT ... SELECT of the same rows (read from a prepared copy)
# into the same table.
bsql -f "$RR_ROOT/bench/baseline/spread.sql"
bsql -c "ALTER DATABASE bench SET enable_memoize = off"
bsql -c "CREATE TABLE IF NOT EXISTS sp_schedule (contract_id bigint, period daterange, amount numeric,
                                                 PRIMARY KEY (contract_id, period))"
for n in ${BENCH_SIZES:-100000 1000000}; do
    bsql -c "DROP TABLE IF EXISTS sp_contract, sp_rows;
             CREATE TABLE sp_contract AS
             SELECT i AS id, round(1200 + (i % 997) * 13.37, 2) AS total,
                    (date '2020-01-01' + ((i % 48) || ' months')::interval)::date AS start
               FROM generate_series(1, $n) AS i;
             ANALYZE sp_contract;
             CREATE TABLE sp_rows AS
             SELECT c.id, s.period, s.amount FROM sp_contract c,
                    rr.spread(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s;"
    bsql -c "VACUUM ANALYZE sp_rows"
    rows=$(psql -X -A -t -d bench -c "SELECT count(*) FROM sp_rows")
    echo " $n contracts, $rows schedule rows"
    measure c$n "(a) rr.spread (C), compute only" \
        "SELECT count(*), sum(s.amount) FROM sp_contract c,
                rr.spread(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s"
    measure p$n "(a) PL/pgSQL baseline, compute only" \
        "SELECT count(*), sum(s.amount) FROM sp_contract c,
                bench.spread_plpgsql(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s"
    ratio "(a) PL/pgSQL time / C time (goal: >= 10)" p$n c$n
    measure ci$n "(b) rr.spread (C) + INSERT into table with PK" \
        "INSERT INTO sp_schedule SELECT c.id, s.period, s.amount FROM sp_contract c,
                rr.spread(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s" \
        "TRUNCATE sp_schedule; CHECKPOINT"
    measure pi$n "(b) PL/pgSQL baseline + INSERT" \
        "INSERT INTO sp_schedule SELECT c.id, s.period, s.amount FROM sp_contract c,
                bench.spread_plpgsql(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s" \
        "TRUNCATE sp_schedule; CHECKPOINT"
    measure li$n "(b) physical limit: INSERT ... SELECT of the same rows" \
        "INSERT INTO sp_schedule SELECT id, period, amount FROM sp_rows" \
        "TRUNCATE sp_schedule; CHECKPOINT"
    ratio "(b) C + INSERT / physical limit (goal: <= 1.5)" ci$n li$n
    ratio "(b) PL/pgSQL + INSERT / physical limit" pi$n li$n
done
echo " same schedules from both implementations (20,000 contracts):"
bsql -c "SELECT count(*) AS rows_compared,
                count(*) FILTER (WHERE a.amount IS DISTINCT FROM b.amount) AS differences
           FROM (SELECT c.id, s.* FROM sp_contract c,
                        rr.spread(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s
                  WHERE c.id <= 20000) a
           FULL JOIN (SELECT c.id, s.* FROM sp_contract c,
                        bench.spread_plpgsql(c.total, daterange(c.start, (c.start + interval '12 months')::date)) s
                  WHERE c.id <= 20000) b USING (id, period)"
bsql -c "ALTER DATABASE bench RESET enable_memoize; DROP TABLE sp_schedule, sp_rows, sp_contract"
