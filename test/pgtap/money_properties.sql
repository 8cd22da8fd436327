-- Property tests for rr.allocate, rr.round_preserving_sum, rr.spread and
-- rr.spread_periods (docs/concepts.md, docs/testing.md): generated cases checked against the
-- invariants and, for rr.allocate, against an independent SQL implementation of the
-- largest-remainder rule, on both of its paths (int64 and numeric).
BEGIN;
SELECT plan(25);
SELECT setseed(0.1717);

-- The reference: largest remainder in plain numeric arithmetic (exact: div and mod
-- truncate exactly, and every other step is a sum or product), written independently
-- of the C code.  Floors of the exact shares in minor units, then one more unit for the
-- largest remainders, ties to the lower index, mirrored for negative totals.
-- (Powers of ten are parsed from text, so they are exact at any size.)
CREATE FUNCTION pg_temp.reference_allocate(total numeric, w numeric[], mu integer)
RETURNS numeric[] LANGUAGE sql IMMUTABLE AS $$
    WITH t AS (
        SELECT abs(total) * ('1e' || mu)::numeric AS units
    ), s AS (
        SELECT ord, units, units * x AS num, sum(x) OVER () AS sum_w
          FROM t, unnest(w) WITH ORDINALITY AS u(x, ord)
    ), f AS (
        SELECT ord, div(num, sum_w) AS fl, mod(num, sum_w) AS rem,
               units - sum(div(num, sum_w)) OVER () AS leftover
          FROM s
    ), r AS (
        SELECT f.*, row_number() OVER (ORDER BY rem DESC, ord) AS rk FROM f
    )
    SELECT array_agg(sign(total) * (fl + CASE WHEN rk <= leftover THEN 1 ELSE 0 END)
                     * ('1e-' || mu)::numeric ORDER BY ord)
      FROM r
$$;

-- ---------------------------------------------------------------- rr.allocate
CREATE TEMP TABLE al_case ON COMMIT DROP AS
SELECT i, mu,
       CASE WHEN random() < 0.05 THEN 0
            ELSE round((random() - 0.3) * power(10, 1 + floor(random() * 9)))::numeric
       END / power(10, mu)::numeric AS total,
       w
  FROM (SELECT i, (ARRAY[0, 2, 2, 3])[1 + floor(random() * 4)::int] AS mu,
               (SELECT array_agg(CASE WHEN random() < 0.15 THEN 0
                                      ELSE round((random() * 1000)::numeric, floor(random() * 4)::int) END)
                  FROM generate_series(1, CASE WHEN random() < 0.1 THEN 65 + floor(random() * 100)::int
                                               ELSE 1 + floor(random() * 20)::int END + i * 0) AS j) AS w
          FROM generate_series(1, 10000) AS i) g;
-- every case needs a positive weight
UPDATE al_case SET w[1] = 1 WHERE (SELECT max(x) FROM unnest(w) x) = 0;

CREATE TEMP TABLE al_out ON COMMIT DROP AS
SELECT c.i, c.mu, c.total, u.ord, u.w, u.part,
       sum(u.w) OVER (PARTITION BY c.i) AS sum_w
  FROM al_case c, unnest(c.w, rr.allocate(c.total, c.w, c.mu)) WITH ORDINALITY AS u(w, part, ord);

SELECT is((SELECT count(DISTINCT i) FROM al_out), 10000::bigint, '10,000 generated allocations');

SELECT is_empty($$
    SELECT i, total, sum(part) FROM al_out GROUP BY i, total HAVING sum(part) <> total LIMIT 5
$$, 'allocate: parts sum exactly to the total');

SELECT is_empty($$
    SELECT i, mu, part FROM al_out
     WHERE part <> round(part, mu) OR scale(part) <> mu LIMIT 5
$$, 'allocate: every part is a whole number of minor units, written with minor_units decimals');

SELECT is_empty($$
    SELECT i, total, w, sum_w, part, total * w / sum_w AS exact FROM al_out
     WHERE abs(part - total * w / sum_w) >= power(10::numeric, -mu) OR (w = 0 AND part <> 0)
     LIMIT 5
$$, 'allocate: every part is within one minor unit of its exact share; zero weights get zero');

SELECT is_empty($$
    SELECT i, total, w, mu, rr.allocate(total, w, mu), pg_temp.reference_allocate(total, w, mu)
      FROM al_case
     WHERE rr.allocate(total, w, mu)::text <> pg_temp.reference_allocate(total, w, mu)::text
     LIMIT 5
$$, 'allocate: equals the reference SQL largest-remainder implementation (ties to the lower index)');

SELECT is_empty($$
    SELECT i FROM al_case
     WHERE rr.allocate(total, w, mu) IS DISTINCT FROM rr.allocate(total, w, mu)
        OR rr.allocate(-total, w, mu) IS DISTINCT FROM
           (SELECT array_agg(-x ORDER BY o) FROM unnest(rr.allocate(total, w, mu)) WITH ORDINALITY t(x, o))
     LIMIT 5
$$, 'allocate: deterministic, and a negative total is the mirror image');

-- The same allocation on the wide path: scaling every weight by the same power of ten
-- changes no share, but weights times 10^25 no longer fit in 64 bits and weights times
-- 10^-25 need more than 18 decimals, so both go through numeric arithmetic; the result
-- must be the fast path's, text for text (so also at the same display scale).
SELECT is_empty($$
    SELECT i, total, w, mu FROM al_case
     WHERE rr.allocate(total, w, mu)::text <>
           rr.allocate(total, (SELECT array_agg(x * 1e25 ORDER BY o) FROM unnest(w) WITH ORDINALITY t(x, o)), mu)::text
     LIMIT 5
$$, 'allocate: the wide path (weights x 10^25) gives the fast path''s results in all 10,000 cases');

SELECT is_empty($$
    SELECT i, total, w, mu FROM al_case
     WHERE rr.allocate(total, w, mu)::text <>
           rr.allocate(total, (SELECT array_agg(x * 1e-25 ORDER BY o) FROM unnest(w) WITH ORDINALITY t(x, o)), mu)::text
     LIMIT 5
$$, 'allocate: the wide path (weights x 10^-25) gives the fast path''s results in all 10,000 cases');

-- Wide cases: weights of 1e30 and 1e-30 mixed with ordinary ones, 40-digit integers,
-- 30-decimal fractions, repeated weights (equal remainders), totals of up to 10^35
-- minor units, some of them negative.
CREATE TEMP TABLE wd_case ON COMMIT DROP AS
SELECT i, mu,
       round((random() - 0.4)::numeric * ('1e' || 1 + floor(random() * 35)::int)::numeric)
           * ('1e-' || mu)::numeric AS total,
       w
  FROM (SELECT i, mu, base,
               (SELECT array_agg(CASE floor(random() * 7)::int
                                     WHEN 0 THEN 0
                                     WHEN 1 THEN round((random() * 1000)::numeric, 2) * 1e30
                                     WHEN 2 THEN round((random() * 1000)::numeric, 2) * 1e-30
                                     WHEN 3 THEN floor(random() * 1e15)::numeric * 1e25
                                                 + floor(random() * 1e15)::numeric * 1e10
                                                 + floor(random() * 1e10)::numeric
                                     WHEN 4 THEN floor(random() * 1e15)::numeric * 1e-15
                                                 + floor(random() * 1e15)::numeric * 1e-30
                                     WHEN 5 THEN round((random() * 1000)::numeric, floor(random() * 4)::int)
                                     ELSE base + j * 0
                                 END)
                  FROM generate_series(1, CASE WHEN random() < 0.05 THEN 65 + floor(random() * 40)::int
                                               ELSE 1 + floor(random() * 12)::int END + i * 0) AS j) AS w
          FROM (SELECT i, (ARRAY[0, 2, 2, 3, 9])[1 + floor(random() * 5)::int] AS mu,
                       (ARRAY[1e30, 1e-30, 7, 3e-28, 12345678901234567890123])[1 + floor(random() * 5)::int] AS base
                  FROM generate_series(1, 3000) AS i) b) g;
UPDATE wd_case SET w[1] = 1e30 WHERE (SELECT max(x) FROM unnest(w) x) = 0;

CREATE TEMP TABLE wd_out ON COMMIT DROP AS
SELECT c.i, c.mu, c.total, u.ord, u.w, u.part,
       sum(u.w) OVER (PARTITION BY c.i) AS sum_w
  FROM wd_case c, unnest(c.w, rr.allocate(c.total, c.w, c.mu)) WITH ORDINALITY AS u(w, part, ord);

SELECT is((SELECT count(DISTINCT i) FROM wd_out), 3000::bigint, '3,000 generated wide allocations');

SELECT is_empty($$
    SELECT i, total, sum(part) FROM wd_out GROUP BY i, total HAVING sum(part) <> total
    UNION ALL
    SELECT i, mu, part FROM wd_out WHERE part <> round(part, mu) OR scale(part) <> mu
    LIMIT 5
$$, 'allocate, wide: parts sum exactly to the total, each a whole number of minor units');

-- (compared multiplied out by sum_w, since a quotient would be rounded)
SELECT is_empty($$
    SELECT i, total, w, sum_w, part FROM wd_out
     WHERE abs(part * sum_w - total * w) >= ('1e-' || mu)::numeric * sum_w OR (w = 0 AND part <> 0)
     LIMIT 5
$$, 'allocate, wide: every part is within one minor unit of its exact share; zero weights get zero');

SELECT is_empty($$
    SELECT i, total, w, mu, rr.allocate(total, w, mu), pg_temp.reference_allocate(total, w, mu)
      FROM wd_case
     WHERE rr.allocate(total, w, mu)::text <> pg_temp.reference_allocate(total, w, mu)::text
     LIMIT 5
$$, 'allocate, wide: equals the reference SQL largest-remainder implementation');

SELECT is_empty($$
    SELECT i FROM wd_case
     WHERE rr.allocate(-total, w, mu) IS DISTINCT FROM
           (SELECT array_agg(-x ORDER BY o) FROM unnest(rr.allocate(total, w, mu)) WITH ORDINALITY t(x, o))
     LIMIT 5
$$, 'allocate, wide: a negative total is the mirror image');

-- ---------------------------------------------------------------- rr.round_preserving_sum
CREATE TEMP TABLE rs_case ON COMMIT DROP AS
SELECT i, (ARRAY[0, 2, 3])[1 + floor(random() * 3)::int] AS mu,
       (SELECT array_agg(round(((random() - 0.4) * 10000)::numeric, floor(random() * 7)::int))
          FROM generate_series(1, 1 + floor(random() * 15)::int + i * 0)) AS a
  FROM generate_series(1, 3000) AS i;

SELECT is_empty($$
    SELECT c.i, c.a, c.mu, r
      FROM rs_case c, LATERAL (SELECT rr.round_preserving_sum(c.a, c.mu) AS r) x
     WHERE (SELECT sum(v) FROM unnest(r) v) <> round((SELECT sum(v) FROM unnest(c.a) v), c.mu)
        OR EXISTS (SELECT FROM unnest(c.a, r) u(a, v)
                    WHERE v NOT IN (floor(a * power(10::numeric, c.mu)) / power(10::numeric, c.mu),
                                    ceil(a * power(10::numeric, c.mu)) / power(10::numeric, c.mu))
                       OR scale(v) <> c.mu)
     LIMIT 5
$$, 'round_preserving_sum: 3,000 cases sum to the rounded total, each value its floor or ceiling');

-- ---------------------------------------------------------------- rr.spread
CREATE TEMP TABLE sp_case ON COMMIT DROP AS
SELECT i, mu, round(((random() - 0.2) * 10000000)::numeric / power(10, mu)::numeric, mu) AS total,
       daterange(s, s + len) AS service, method, grain, anchor
  FROM (SELECT i,
               (ARRAY[0, 2, 2, 3])[1 + floor(random() * 4)::int] AS mu,
               make_date(2019 + floor(random() * 8)::int, 1 + floor(random() * 12)::int, 1)
                   + (ARRAY[0, 14, 27, 28, 29, 30])[1 + floor(random() * 6)::int] AS s,
               1 + floor(random() * 1200)::int AS len,
               (ARRAY['daily', 'equal', 'equal_prorate'])[1 + floor(random() * 3)::int] AS method,
               (ARRAY['1 month', '1 month', '3 months', '1 year', '7 days', '28 days']::interval[])
                   [1 + floor(random() * 6)::int] AS grain,
               (ARRAY[date '2000-01-01', date '2000-04-01', date '2023-01-31', date '2024-02-29'])
                   [1 + floor(random() * 4)::int] AS anchor
          FROM generate_series(1, 10000) AS i) g
 WHERE lower(daterange(s, s + len)) < upper(daterange(s, s + len));
-- a month-end date plus days can overflow into the next month; that is fine

CREATE TEMP TABLE sp_out ON COMMIT DROP AS
SELECT c.i, c.mu, c.total, c.service, c.method, c.grain, c.anchor, o.ord, o.period, o.amount
  FROM sp_case c, rr.spread(c.total, c.service, c.method, c.grain, c.anchor, c.mu) WITH ORDINALITY AS o(period, amount, ord);

SELECT is((SELECT count(DISTINCT i) FROM sp_out), 10000::bigint, '10,000 generated spreads');

SELECT is_empty($$
    SELECT i, total, sum(amount) FROM sp_out GROUP BY i, total HAVING sum(amount) <> total LIMIT 5
$$, 'spread: rows sum exactly to the total');

SELECT is_empty($$
    SELECT i, mu, amount FROM sp_out WHERE amount <> round(amount, mu) OR scale(amount) <> mu LIMIT 5
$$, 'spread: every amount is a whole number of minor units');

SELECT is_empty($$
    SELECT i, service, grain, anchor, ord, period
      FROM (SELECT o.*, lead(lower(period)) OVER w AS next_lo, count(*) OVER (PARTITION BY i) AS n
              FROM sp_out o WINDOW w AS (PARTITION BY i ORDER BY ord)) t
     WHERE isempty(period)
        OR (ord = 1 AND lower(period) <> lower(service))
        OR (ord = n AND upper(period) <> upper(service))
        OR (ord < n AND upper(period) <> next_lo)
        OR NOT (rr.period_containing(lower(period), grain, anchor) @> period)
     LIMIT 5
$$, 'spread: periods tile the service, each inside one accounting period of the grain and anchor');

-- Each amount within one minor unit of its exact share under the method's weights,
-- recomputed here from the spreading rules of docs/concepts.md (equal_prorate weights are fractions c/D).
SELECT is_empty($$
    WITH w AS (
        SELECT o.*,
               CASE method
                   WHEN 'daily' THEN (upper(period) - lower(period))::numeric
                   WHEN 'equal' THEN CASE WHEN ord <= (SELECT count(*) FROM rr.billing_periods(lower(service), upper(service), grain))
                                          THEN 1 ELSE 0 END
                   ELSE (upper(period) - lower(period))::numeric
                        / (upper(rr.period_containing(lower(period), grain, anchor))
                           - lower(rr.period_containing(lower(period), grain, anchor)))
               END AS weight
          FROM sp_out o
    )
    SELECT i, method, total, ord, period, amount, total * weight / sum(weight) OVER (PARTITION BY i) AS exact
      FROM (SELECT w.*, sum(weight) OVER (PARTITION BY i) AS sw FROM w) x
     WHERE abs(amount - total * weight / sw) >= power(10::numeric, -mu)
     LIMIT 5
$$, 'spread: every amount is within one minor unit of its exact share (daily, equal, equal_prorate)');

SELECT is_empty($$
    (SELECT i, ord, period, amount FROM sp_out
     EXCEPT ALL
     SELECT c.i, o.ord, o.period, o.amount
       FROM sp_case c, rr.spread(c.total, c.service, c.method, c.grain, c.anchor, c.mu) WITH ORDINALITY AS o(period, amount, ord))
    UNION ALL
    (SELECT c.i, o.ord, o.period, o.amount
       FROM sp_case c, rr.spread(c.total, c.service, c.method, c.grain, c.anchor, c.mu) WITH ORDINALITY AS o(period, amount, ord)
     EXCEPT ALL
     SELECT i, ord, period, amount FROM sp_out)
    LIMIT 5
$$, 'spread: deterministic (a second run gives the same rows)');

-- A service inside one period of its grain is spread as that one period with the whole
-- total, in minor units, whatever the method (short services, on the anchor the revenue
-- schedules use)
CREATE TEMP TABLE sp_one ON COMMIT DROP AS
SELECT i, mu, total, daterange(s, s + len) AS service, method, grain
  FROM (SELECT i, (ARRAY[0, 2, 3])[1 + floor(random() * 3)::int] AS mu,
               round(((random() - 0.2) * 10000000)::numeric, 0) AS raw,
               date '2019-01-01' + floor(random() * 3000)::int AS s,
               1 + floor(random() * 31)::int AS len,
               (ARRAY['daily', 'equal', 'equal_prorate'])[1 + floor(random() * 3)::int] AS method,
               (ARRAY['1 month', '3 months', '1 year', '7 days']::interval[])[1 + floor(random() * 4)::int] AS grain
          FROM generate_series(1, 5000) AS i) g
 CROSS JOIN LATERAL (SELECT round(g.raw / power(10, g.mu)::numeric, g.mu) AS total) t
 WHERE s + len <= upper(rr.period_containing(s, grain, '2000-01-01'));
SELECT cmp_ok((SELECT count(*) FROM sp_one), '>=', 2000::bigint, 'spread: 2,000 or more generated services inside one period of their grain');
SELECT is_empty($$
    SELECT c.i, c.service, c.total, x.spread
      FROM sp_one c
     CROSS JOIN LATERAL (SELECT array_agg(ROW(o.period, o.amount)::text) AS spread
                           FROM rr.spread(c.total, c.service, c.method, c.grain, '2000-01-01', c.mu) o) x
     WHERE x.spread IS DISTINCT FROM ARRAY[ROW(c.service, round(c.total, c.mu))::text]
     LIMIT 5
$$, 'spread: a service inside one period of its grain is that period with the whole total, in minor units');

-- ---------------------------------------------------------------- rr.spread_periods
-- Random fiscal calendars of 20 to 40-day periods from 2023-12-01, services inside them.
CREATE TEMP TABLE fp_case ON COMMIT DROP AS
SELECT i, mu, total, method, periods,
       daterange(lower(periods[1]) + floor(random() * 10)::int,
                 upper(periods[array_length(periods, 1)]) - floor(random() * 10)::int) AS service
  FROM (SELECT i, (ARRAY[0, 2, 3])[1 + floor(random() * 3)::int] AS mu,
               round(((random() - 0.2) * 100000)::numeric, 0) AS total,
               (ARRAY['daily', 'equal', 'equal_prorate'])[1 + floor(random() * 3)::int] AS method,
               (SELECT array_agg(daterange(date '2023-12-01' + (b - len)::int, date '2023-12-01' + b::int) ORDER BY b)
                  FROM (SELECT len, sum(len) OVER (ORDER BY j) AS b
                          FROM (SELECT j, 20 + floor(random() * 21)::int + i * 0 AS len
                                  FROM generate_series(1, 1 + floor(random() * 14)::int + i * 0) j) l) x) AS periods
          FROM generate_series(1, 3000) AS i) g;

CREATE TEMP TABLE fp_out ON COMMIT DROP AS
SELECT c.i, c.mu, c.total, c.service, o.ord, o.period, o.amount
  FROM fp_case c, rr.spread_periods(c.total, c.service, c.periods, c.method, c.mu) WITH ORDINALITY AS o(period, amount, ord)
 WHERE NOT isempty(c.service);

SELECT cmp_ok((SELECT count(DISTINCT i) FROM fp_out), '>', 2900::bigint, 'about 3,000 generated fiscal-calendar spreads');

SELECT is_empty($$
    SELECT i, total, sum(amount) FROM fp_out GROUP BY i, total HAVING sum(amount) <> total
    UNION ALL
    SELECT i, NULL, NULL FROM fp_out WHERE scale(amount) <> mu
    LIMIT 5
$$, 'spread_periods: rows sum exactly to the total, in whole minor units');

SELECT is_empty($$
    SELECT i, service, ord, period
      FROM (SELECT o.*, lead(lower(period)) OVER w AS next_lo, count(*) OVER (PARTITION BY i) AS n
              FROM fp_out o WINDOW w AS (PARTITION BY i ORDER BY ord)) t
     WHERE isempty(period)
        OR (ord = 1 AND lower(period) <> lower(service))
        OR (ord = n AND upper(period) <> upper(service))
        OR (ord < n AND upper(period) <> next_lo)
     LIMIT 5
$$, 'spread_periods: periods tile the service');

SELECT * FROM finish();
ROLLBACK;
