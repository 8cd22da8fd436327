-- rr.allocate, its currency-code form and rr.round_preserving_sum (docs/concepts.md, "Calendar and money").

-- The classic cases: a cent over three, a hundred over three, its mirror image.
SELECT rr.allocate(0.01, '{1,1,1}');
SELECT rr.allocate(100.00, '{1,1,1}');
SELECT rr.allocate(-100.00, '{1,1,1}');
SELECT rr.allocate(0, '{1,2,3}');
-- Yen has no minor unit, the Kuwaiti dinar three.
SELECT rr.allocate(1000, '{1,1,1}', 0);
SELECT rr.allocate(10.000, '{1,1,1}', 3);
SELECT rr.allocate(1000, '{1,1,1}', 'JPY'), rr.allocate(10, '{1,1,1}', 'kwd');
-- Largest remainder: 10.00 by 1:2:3 is 1.666.. / 3.333.. / 5.00 -> 1.67 / 3.33 / 5.00.
SELECT rr.allocate(10.00, '{1,2,3}');
-- Ties go to the lower index; zero weights get zero; weights may be fractional.
SELECT rr.allocate(0.02, '{1,1,1}');
SELECT rr.allocate(100, '{0,1,0.5}');
SELECT rr.allocate(100, '{0.25,0.25,0.5}');
SELECT rr.allocate(1, '{1}');
-- A bundle: licence SSP 1,000 and support SSP 500 sold for 1,200.
SELECT rr.allocate(1200.00, '{1000,500}');
-- Proportional to standalone selling prices that do not divide evenly.
SELECT rr.allocate(999.99, '{333.33,333.33,333.34}');
SELECT rr.allocate(1000.00, '{7,7,7,7,7,7,7}');
-- Sums stay exact for large totals and many parts.
SELECT sum(x) AS total, min(x), max(x), count(*)
  FROM unnest(rr.allocate(1000000.00, array_fill(1::numeric, ARRAY[36]))) AS x;
SELECT sum(x) AS total, min(x), max(x), count(*)
  FROM unnest(rr.allocate(1.00, array_fill(1::numeric, ARRAY[1000]))) AS x;
SELECT rr.allocate(92233720368547758.07, '{1,1}');
-- More than 64 parts (the sorted path): ties still go to the lower index.
SELECT count(*) FILTER (WHERE x = 0.01) AS cents, max(o) FILTER (WHERE x = 0.01) AS last_cent
  FROM unnest(rr.allocate(0.65, array_fill(1::numeric, ARRAY[100]))) WITH ORDINALITY AS u(x, o);
SELECT string_agg(o::text, ',' ORDER BY o) AS parts_with_an_extra_cent
  FROM unnest(rr.allocate(1.00, (SELECT array_agg((i % 3 + 1)::numeric) FROM generate_series(1, 70) i)))
       WITH ORDINALITY AS u(x, o)
 WHERE x > floor(100 * (o % 3 + 1) / 140.0) / 100;
-- Joining the parts back to their lines.
SELECT line, weight, part
  FROM unnest('{120,80,0,50}'::numeric[], rr.allocate(-25.00, '{120,80,0,50}'))
       WITH ORDINALITY AS u(weight, part, line);

-- Weights of any size and scale, totals beyond 2^63 minor units: the wide path (numeric
-- arithmetic) follows the same rule exactly, with no limit on digits.
SELECT rr.allocate(1.00, '{100000000000000000000,1}', 2);
SELECT rr.allocate(100.00, '{1e30,1e-30,1}');
SELECT rr.allocate(1.00, '{1e-30,1e30,1e-30,1e30}');
-- 40-digit weights: 100.00 by 1:2:(almost nothing).
SELECT rr.allocate(100.00, '{1234567890123456789012345678901234567890,2469135780246913578024691357802469135780,1}');
-- Weights at scale 30.
SELECT rr.allocate(10.00, '{0.333333333333333333333333333333,0.333333333333333333333333333333,0.333333333333333333333333333334}');
SELECT rr.allocate(1.00, '{0.000000000000000000000000000001,0.000000000000000000000000000002}');
-- The tie-break on the wide path: equal remainders go to the lower index, as on the fast one.
SELECT rr.allocate(0.05, '{1,1,1}') AS fast,
       rr.allocate(0.05, '{1e20,1e20,1e20}') AS wide_large,
       rr.allocate(0.05, '{1e-20,1e-20,1e-20}') AS wide_small;
SELECT rr.allocate(0.02, '{0,7e25,0,7e25,7e25}');
-- Remainders that differ only in the 29th digit still order the parts.
SELECT rr.allocate(0.01, '{1.0000000000000000000000000001,1.0000000000000000000000000002}');
SELECT rr.allocate(0.01, '{1.0000000000000000000000000002,1.0000000000000000000000000001}');
-- More than 64 parts on the wide path.
SELECT count(*) FILTER (WHERE x = 0.01) AS cents, max(o) FILTER (WHERE x = 0.01) AS last_cent
  FROM unnest(rr.allocate(0.65, array_fill(1e25::numeric, ARRAY[100]))) WITH ORDINALITY AS u(x, o);
-- Negative totals are the mirror image on the wide path too.
SELECT rr.allocate(-1.00, '{100000000000000000000,1}');
SELECT rr.allocate(-0.05, '{1e20,1e20,1e20}');
SELECT rr.allocate(-100.00, '{1e30,1e-30,1}');
-- Totals of 2^63 minor units and more.
SELECT rr.allocate(100000000000000000000, '{1,1}');
SELECT rr.allocate(-92233720368547758.08, '{1,1,1}');
SELECT rr.allocate(1e40, '{1,2,3}', 0);
SELECT rr.allocate(-1e40, '{1,2,3}', 9);

-- round_preserving_sum: line amounts rounded so that they add up.
SELECT rr.round_preserving_sum('{0.333,0.333,0.334}');
SELECT rr.round_preserving_sum('{1.005,1.005,1.005}');      -- 3.015 -> 3.02
SELECT rr.round_preserving_sum('{-1.005,-1.005,-1.005}');   -- mirror: -3.02
SELECT rr.round_preserving_sum('{10,-3.5,2.25}', 0);        -- 8.75 -> 9
SELECT rr.round_preserving_sum('{1.5,2}', 3);               -- already whole units
SELECT rr.round_preserving_sum(ARRAY[100/3.0, 100/3.0, 100/3.0]::numeric[]);

-- Labels.
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.pronamespace = 'rr'::regnamespace AND p.proname IN ('allocate', 'round_preserving_sum')
 ORDER BY 1::text;

-- Bad input: every refusal, with its message.
\set VERBOSITY default
SELECT rr.allocate(100.001, '{1,1}');
SELECT rr.allocate(0.5, '{1,1}', 0);
SELECT rr.allocate('NaN', '{1,1}');
SELECT rr.allocate('Infinity', '{1,1}');
SELECT rr.allocate('-Infinity', '{1,1}');
SELECT rr.allocate(100000000000000000000.001, '{1,1}');
SELECT rr.allocate(100, '{}');
SELECT rr.allocate(100, '{1,NULL,1}');
SELECT rr.allocate(100, '{1,-1}');
SELECT rr.allocate(100, '{0,0}');
SELECT rr.allocate(100, '{1,NaN}');
SELECT rr.allocate(100, '{1e30,Infinity}');
SELECT rr.allocate(100, '{-Infinity,1}');
SELECT rr.allocate(100, '{{1,1},{1,1}}');
SELECT rr.allocate(100, '{0.0000000000000000000000000000000,0e30}');
SELECT rr.allocate(100, '{1e30,-1e-30}');
SELECT rr.allocate(100, '{1,1}', 10);
SELECT rr.allocate(100, '{1,1}', -1);
SELECT rr.allocate(100, '{1,1}', 'EURO');
SELECT rr.round_preserving_sum('{1,NULL}');
SELECT rr.round_preserving_sum('{}');
SELECT rr.round_preserving_sum('{1.5}', 12);
SELECT rr.round_preserving_sum('{0.0000000000000000001,1}');
