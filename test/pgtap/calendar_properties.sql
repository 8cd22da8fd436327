-- Property tests for the calendar core (docs/concepts.md, docs/testing.md): 12,000 generated
-- billing_periods cases and 12,000 proration cases, dates biased towards month ends and
-- leap days, checked against independent SQL oracles (PostgreSQL's own date + interval
-- arithmetic, which also clamps month ends, and plain numeric division).
BEGIN;
SELECT plan(9);
SELECT setseed(0.4242);

CREATE TEMP TABLE bp_case ON COMMIT DROP AS
WITH g AS (
    SELECT i,
           1999 + floor(random() * 203)::int AS y,          -- 1999..2201: 2000 and 2100 rules
           1 + floor(random() * 12)::int AS m,
           (ARRAY[1, 15, 28, 29, 30, 31])[1 + floor(random() * 6)::int] AS d,
           floor(random() * 900)::int - 60 AS len,            -- some stop <= start
           (ARRAY['1 month', '2 months', '3 months', '6 months', '1 year', '13 months',
                  '2 years', '1 day', '7 days', '14 days', '30 days', '45 days']::interval[])
               [1 + floor(random() * 12)::int] AS every,
           floor(random() * 4)::int AS anchor_kind,
           floor(random() * 4000)::int - 2000 AS anchor_shift,
           (ARRAY[28, 29, 30, 31])[1 + floor(random() * 4)::int] AS anchor_day
      FROM generate_series(1, 12000) AS i
), s AS (
    SELECT i, every, anchor_kind, anchor_shift, anchor_day, len,
           make_date(y, m, least(d, extract(day from make_date(y, m, 1) + interval '1 month - 1 day')::int)) AS start
      FROM g
)
SELECT i, start, start + len AS stop, every,
       CASE anchor_kind
           WHEN 0 THEN NULL                                  -- anniversary
           WHEN 1 THEN date '2000-01-01'                      -- calendar
           ELSE (SELECT make_date(extract(year from a)::int, extract(month from a)::int,
                                  least(anchor_day, extract(day from date_trunc('month', a) + interval '1 month - 1 day')::int))
                   FROM (SELECT start + anchor_shift AS a) x)  -- month-end anchors before or after
       END AS anchor
  FROM s;

CREATE TEMP TABLE bp_out ON COMMIT DROP AS
SELECT c.i, p.ord, lower(p.r) AS lo, upper(p.r) AS hi, isempty(p.r) AS empty
  FROM bp_case c, rr.billing_periods(c.start, c.stop, c.every, c.anchor) WITH ORDINALITY AS p(r, ord);

SELECT is((SELECT count(*) FROM bp_case), 12000::bigint, '12,000 generated billing_periods cases');

SELECT is_empty($$
    SELECT c.i FROM bp_case c JOIN bp_out o USING (i) WHERE c.stop <= c.start
$$, 'stop <= start gives no rows');

SELECT is_empty($$
    SELECT c.i, c.start, c.stop, c.every, c.anchor
      FROM bp_case c
     WHERE c.stop > c.start
       AND NOT EXISTS (SELECT FROM bp_out o WHERE o.i = c.i)
     LIMIT 5
$$, 'stop > start gives at least one period');

SELECT is_empty($$
    SELECT i, start, stop, every, anchor, ord, lo, hi
      FROM (SELECT c.i, c.start, c.stop, c.every, c.anchor, o.ord, o.lo, o.hi, o.empty,
                   lead(o.lo) OVER w AS next_lo, count(*) OVER (PARTITION BY c.i) AS n
              FROM bp_case c JOIN bp_out o USING (i)
            WINDOW w AS (PARTITION BY c.i ORDER BY o.ord)) t
     WHERE empty OR lo >= hi
        OR (ord = 1 AND lo <> start)
        OR (ord = n AND hi <> stop)
        OR (ord < n AND hi <> next_lo)
     LIMIT 5
$$, 'periods tile [start, stop): first starts at start, each ends where the next begins, last ends at stop');

-- Every boundary strictly inside (start, stop) is anchor + k * every, and consecutive
-- boundaries have consecutive k.  k of the first boundary comes from the month (or day)
-- difference, and the boundary before it must not be after start.
CREATE TEMP TABLE bp_k ON COMMIT DROP AS
SELECT c.i, c.start, c.every, coalesce(c.anchor, c.start) AS a, o.ord, o.hi AS b,
       CASE WHEN extract(month from c.every) + extract(year from c.every) * 12 > 0
            THEN ((extract(year from o.hi) * 12 + extract(month from o.hi))
                  - (extract(year from coalesce(c.anchor, c.start)) * 12
                     + extract(month from coalesce(c.anchor, c.start))))
                 / (extract(year from c.every) * 12 + extract(month from c.every))
            ELSE (o.hi - coalesce(c.anchor, c.start)) / extract(day from c.every)
       END AS k
  FROM bp_case c JOIN bp_out o USING (i)
 WHERE o.hi < c.stop;

SELECT cmp_ok((SELECT count(*) FROM bp_k), '>', 50000::bigint, 'more than 50,000 interior boundaries checked');

SELECT is_empty($$
    SELECT i, a, every, ord, b, k, (a + k * every)::date AS oracle
      FROM bp_k
     WHERE k <> trunc(k) OR (a + k * every)::date <> b
     LIMIT 5
$$, 'every boundary equals (anchor + k * every)::date computed by PostgreSQL');

SELECT is_empty($$
    SELECT i, ord, k, next_k
      FROM (SELECT i, ord, k, lead(k) OVER (PARTITION BY i ORDER BY ord) AS next_k FROM bp_k) t
     WHERE next_k <> k + 1
     LIMIT 5
$$, 'consecutive boundaries are consecutive multiples of every');

SELECT is_empty($$
    SELECT i, start, a, every, b, k
      FROM bp_k
     WHERE ord = 1 AND (a + (k - 1) * every)::date > start
     LIMIT 5
$$, 'the first period begins in the anchor period that contains start');

-- Proration: 12,000 cases, amounts up to 10^18 with 0, 2, 3 and 9 decimals, both methods,
-- checked against numeric arithmetic on independently counted days.  The oracle divides
-- at 60 decimals: a quotient of integers with a divisor below 10^7 is either exactly on a
-- rounding tie or at least 10^-(mu+7) away from one, so one final round() is exact.
CREATE TEMP TABLE pr_case ON COMMIT DROP AS
SELECT i, w_lo, w_lo + w_len AS w_hi, w_lo + p_off AS p_lo, w_lo + p_off + p_len AS p_hi,
       method, mu, round(((random() * 2 - 1) * power(10, floor(random() * 19)))::numeric, mu) AS amount
  FROM (SELECT i,
               date '2023-01-01' + floor(random() * 900)::int AS w_lo,
               1 + floor(random() * 400)::int AS w_len,
               floor(random() * 500)::int - 60 AS p_off,
               floor(random() * 400)::int AS p_len,
               (ARRAY['actual', '30/360'])[1 + floor(random() * 2)::int] AS method,
               (ARRAY[0, 2, 3, 9])[1 + floor(random() * 4)::int] AS mu
          FROM generate_series(1, 12000) AS i) g;

CREATE FUNCTION pg_temp.d360(d date) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT extract(year from d)::int * 360 + (extract(month from d)::int - 1) * 30
           + least(extract(day from d)::int, 30)
$$;

SELECT is_empty($$
    WITH x AS (
        SELECT c.*, greatest(p_lo, w_lo) AS o_lo, least(p_hi, w_hi) AS o_hi FROM pr_case c
    ), n AS (
        SELECT x.*,
               CASE WHEN o_lo >= o_hi THEN 0
                    WHEN method = 'actual' THEN o_hi - o_lo
                    ELSE pg_temp.d360(o_hi) - pg_temp.d360(o_lo) END AS n,
               CASE WHEN method = 'actual' THEN w_hi - w_lo
                    ELSE pg_temp.d360(w_hi) - pg_temp.d360(w_lo) END AS d
          FROM x
    )
    SELECT i, amount, p_lo, p_hi, w_lo, w_hi, method, mu,
           rr.prorate_amount(amount, daterange(p_lo, p_hi), daterange(w_lo, w_hi), method, mu) AS got,
           round((amount * n)::numeric(1000, 60) / d, mu) AS want
      FROM n
     WHERE d > 0
       AND (rr.prorate_amount(amount, daterange(p_lo, p_hi), daterange(w_lo, w_hi), method, mu)
                IS DISTINCT FROM round((amount * n)::numeric(1000, 60) / d, mu)
            OR rr.prorate(daterange(p_lo, p_hi), daterange(w_lo, w_hi), method) NOT BETWEEN 0 AND 1
            OR rr.prorate(daterange(p_lo, p_hi), daterange(w_lo, w_hi), method)
                <> trim_scale(n::numeric / d))
     LIMIT 5
$$, 'prorate_amount = round(amount × n / d) exactly and prorate = n / d in [0, 1] for 12,000 cases');

SELECT * FROM finish();
ROLLBACK;
