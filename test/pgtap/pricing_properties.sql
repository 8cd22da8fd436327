-- Property tests for rr.pricing and rr.price (docs/pricing.md, docs/testing.md): 2,000 generated models
-- (every model, 1 to 5 tiers, random scales, optional fees and bounds) × 8 quantities
-- each (0, random fractional ones, exactly at an up_to, one unit past it, and huge or
-- long-scale ones that leave the 64-bit fast path), checked against an independent SQL
-- oracle built from the jsonb form, and against the invariants: graduated prices are
-- monotone, volume prices are linear within a tier, rr.price_tiers sums to rr.price,
-- the int128 fast path and the numeric path agree, text and jsonb round trips are stable.
BEGIN;
SELECT plan(22);
SELECT setseed(0.2024);

-- a random non-negative decimal below maxv with 0..maxscale decimals
CREATE FUNCTION pg_temp.rnd(maxv numeric, maxscale int) RETURNS numeric
LANGUAGE sql VOLATILE AS $$
    SELECT round((random() * maxv)::numeric, floor(random() * (maxscale + 1))::int)
$$;

-- tiers as text: strictly increasing up_to (some fractional), open last tier
CREATE FUNCTION pg_temp.tiers(nt int, stair boolean) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(CASE WHEN j = nt THEN '*' ELSE up::text END || ': ' ||
                      CASE WHEN stair THEN fee::text
                           ELSE price::text || coalesce(' + ' || fee::text, '') END,
                      ', ' ORDER BY j)
      FROM (SELECT j, sum(inc) OVER (ORDER BY j) AS up, price,
                   CASE WHEN stair OR random() < 0.3 THEN pg_temp.rnd(100, 2) END AS fee
              FROM (SELECT j, greatest(pg_temp.rnd(500, 2), 1) AS inc,
                           pg_temp.rnd(3, 4) AS price
                      FROM generate_series(1, nt) AS j) a) b
$$;

-- percentage(rate [+ fixed_fee] [, min] [, max]) with min <= max
CREATE FUNCTION pg_temp.percentage() RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT format('percentage(%s%s%s%s)', rate,
                  CASE WHEN random() < 0.5 THEN ' + ' || pg_temp.rnd(1, 2) ELSE '' END,
                  CASE WHEN lo IS NOT NULL THEN ', min ' || lo ELSE '' END,
                  CASE WHEN random() < 0.5 THEN ', max ' || (coalesce(lo, 0) + pg_temp.rnd(50, 2)) ELSE '' END)
      FROM (SELECT round(random()::numeric, floor(random() * 5)::int) AS rate,
                   CASE WHEN random() < 0.5 THEN pg_temp.rnd(5, 2) END AS lo) r
$$;

CREATE TEMP TABLE pm ON COMMIT DROP AS
SELECT i, model, txt, txt::rr.pricing AS p
  FROM (SELECT i, model,
               CASE model
                   WHEN 'flat' THEN format('flat(%s)', pg_temp.rnd(1000, 2))
                   WHEN 'per_unit' THEN format('per_unit(%s)', pg_temp.rnd(10, 6))
                   WHEN 'package' THEN format('package(%s per %s)', pg_temp.rnd(100, 2),
                                              1 + floor(random() * 250)::int)
                   WHEN 'stairstep' THEN format('stairstep(%s)', pg_temp.tiers(nt, true))
                   WHEN 'percentage' THEN pg_temp.percentage()
                   ELSE format('%s(%s)', model, pg_temp.tiers(nt, false))
               END AS txt
          FROM (SELECT i, (ARRAY['flat', 'per_unit', 'package', 'graduated', 'volume',
                                 'stairstep', 'percentage'])[1 + (i % 7)] AS model,
                       1 + floor(random() * 5)::int AS nt
                  FROM generate_series(1, 2000) AS i) g) m;

-- quantities: 0, four random fractional, exactly an up_to, one unit past it, and a huge
-- or long-scale one (those take the numeric path)
CREATE TEMP TABLE pq ON COMMIT DROP AS
SELECT pm.i, pm.model, pm.p, k, q
  FROM pm,
       LATERAL (SELECT pm.p::jsonb AS j) js,
       LATERAL (SELECT coalesce((js.j->'tiers'->(floor(random() * greatest(jsonb_array_length(js.j->'tiers') - 1, 1)))::int->>'up_to')::numeric,
                                floor(random() * 300)::numeric) AS b) bound,
       LATERAL (SELECT k, CASE k
                              WHEN 1 THEN 0
                              WHEN 6 THEN bound.b
                              WHEN 7 THEN bound.b + 1
                              WHEN 8 THEN CASE WHEN random() < 0.5
                                               THEN round((random() * 1e22)::numeric, floor(random() * 4)::int)
                                               ELSE round((random() * 3000)::numeric, 19 + floor(random() * 3)::int) END
                              ELSE pg_temp.rnd(coalesce(bound.b, 0) * 2 + 10, 3)
                          END AS q
                     FROM generate_series(1, 8) AS k) qs;

CREATE TEMP TABLE pr ON COMMIT DROP AS
SELECT i, model, p, k, q, rr.price(p, q) AS price, rr.price_reference(p, q) AS ref
  FROM pq;

SELECT cmp_ok((SELECT count(*) FROM pr), '>=', 10000::bigint, 'at least 10,000 generated model × quantity cases');

SELECT is((SELECT count(DISTINCT model)::int FROM pm), 7, 'every model is generated');

SELECT is_empty($$
    SELECT i, p::text, q, price, ref FROM pr
     WHERE price::text IS DISTINCT FROM ref::text
     LIMIT 5
$$, 'the int128 fast path and the numeric path give identical results (value and scale)');

-- an independent oracle, written from the jsonb form in plain SQL
CREATE TEMP TABLE oracle ON COMMIT DROP AS
SELECT pr.*, CASE model
    WHEN 'flat' THEN (j->>'amount')::numeric
    WHEN 'per_unit' THEN q * (j->>'unit_price')::numeric
    WHEN 'package' THEN (div(q, (j->>'package_size')::numeric)
                         + CASE WHEN mod(q, (j->>'package_size')::numeric) > 0 THEN 1 ELSE 0 END)
                        * (j->>'package_price')::numeric
    WHEN 'graduated' THEN
        (SELECT coalesce(sum(CASE WHEN q > lo
                                  THEN (least(q, coalesce(hi, q)) - lo) * price + coalesce(fee, 0)
                                  ELSE 0 END), 0)
           FROM (SELECT (t->>'up_to')::numeric AS hi,
                        coalesce(lag((t->>'up_to')::numeric) OVER (ORDER BY n), 0) AS lo,
                        (t->>'unit_price')::numeric AS price, (t->>'flat_fee')::numeric AS fee
                   FROM jsonb_array_elements(j->'tiers') WITH ORDINALITY AS x(t, n)) tt)
    WHEN 'volume' THEN
        (SELECT CASE WHEN q = 0 THEN 0
                     ELSE q * (t->>'unit_price')::numeric + coalesce((t->>'flat_fee')::numeric, 0) END
           FROM jsonb_array_elements(j->'tiers') WITH ORDINALITY AS x(t, n)
          WHERE t->'up_to' = 'null' OR q <= (t->>'up_to')::numeric
          ORDER BY n LIMIT 1)
    WHEN 'stairstep' THEN
        (SELECT CASE WHEN q = 0 THEN 0 ELSE (t->>'flat_fee')::numeric END
           FROM jsonb_array_elements(j->'tiers') WITH ORDINALITY AS x(t, n)
          WHERE t->'up_to' = 'null' OR q <= (t->>'up_to')::numeric
          ORDER BY n LIMIT 1)
    WHEN 'percentage' THEN
        CASE WHEN q = 0 THEN 0
             ELSE least(greatest(q * (j->>'rate')::numeric + coalesce((j->>'fixed_fee')::numeric, 0),
                                 coalesce((j->>'min')::numeric, 0)),
                        coalesce((j->>'max')::numeric, 'Infinity'))
        END
    END AS expected
  FROM pr, LATERAL (SELECT p::jsonb AS j) js;

SELECT is_empty($$
    SELECT i, p::text, q, price, expected FROM oracle
     WHERE price IS DISTINCT FROM expected
     LIMIT 5
$$, 'rr.price equals the plain-SQL oracle for every model');

SELECT is_empty($$
    SELECT i, p::text, q, price FROM pr
     WHERE q = 0 AND model <> 'flat' AND price <> 0
     LIMIT 5
$$, 'quantity 0 costs 0 in every model but flat');

SELECT is_empty($$
    SELECT i, p::text, q, price, prev_q, prev_price
      FROM (SELECT i, p, q, price, lag(q) OVER w AS prev_q, lag(price) OVER w AS prev_price
              FROM pr WHERE model = 'graduated'
            WINDOW w AS (PARTITION BY i ORDER BY q)) t
     WHERE price < prev_price
     LIMIT 5
$$, 'graduated prices are monotone non-decreasing in quantity');

SELECT is_empty($$
    SELECT i, p::text, q, price, prev_q, prev_price, unit_price
      FROM (SELECT pr.i, pr.p, pr.q, pr.price, l.tier, l.unit_price,
                   lag(pr.q) OVER w AS prev_q, lag(pr.price) OVER w AS prev_price
              FROM pr, LATERAL rr.price_tiers(pr.p, pr.q) l
             WHERE pr.model = 'volume' AND pr.q > 0
            WINDOW w AS (PARTITION BY pr.i, l.tier ORDER BY pr.q)) t
     WHERE prev_q IS NOT NULL AND price - prev_price <> (q - prev_q) * unit_price
     LIMIT 5
$$, 'volume prices are linear within a tier: the difference of two prices in a tier is Δq × its unit price');

SELECT is_empty($$
    SELECT pr.i, pr.p::text, pr.q, pr.price, s.total
      FROM pr, LATERAL (SELECT sum(amount) AS total, count(*) AS n FROM rr.price_tiers(pr.p, pr.q)) s
     WHERE s.total IS DISTINCT FROM pr.price OR s.n < 1
     LIMIT 5
$$, 'rr.price_tiers amounts sum exactly to rr.price, with at least one line');

SELECT is_empty($$
    SELECT pr.i, pr.p::text, pr.q, l.*
      FROM pr, LATERAL rr.price_tiers(pr.p, pr.q) l
     WHERE l.amount::text IS DISTINCT FROM round(l.amount, scale(pr.price))::text
     LIMIT 5
$$, 'every rr.price_tiers amount has the scale of rr.price');

SELECT is_empty($$
    SELECT i, txt, p::text FROM pm WHERE p::text IS DISTINCT FROM txt
$$, 'text form is canonical: generated canonical text comes back unchanged');

SELECT is_empty($$
    SELECT i, p::text FROM pm
     WHERE p::text::rr.pricing::text IS DISTINCT FROM p::text
        OR NOT (p::text::rr.pricing OPERATOR(rr.=) p)
$$, 'text → pricing → text is stable');

SELECT is_empty($$
    SELECT i, p::text, p::jsonb FROM pm
     WHERE NOT (p::jsonb::rr.pricing OPERATOR(rr.=) p)
        OR p::jsonb::rr.pricing::jsonb IS DISTINCT FROM p::jsonb
$$, 'jsonb → pricing → jsonb is stable and gives back the same pricing');

SELECT is_empty($$
    SELECT i, p::text, q, price FROM pr
     WHERE model <> 'flat' AND q > 0
       AND rr.unit_price(p, q) IS DISTINCT FROM price / q
     LIMIT 5
$$, 'rr.unit_price is rr.price / quantity');

-- SQLSTATEs: bad models are 22P02 (text and jsonb), bad quantities 22023
SELECT throws_ok($$SELECT 'graduated(100: 1, 50: 2, *: 3)'::rr.pricing$$, '22P02',
                 'invalid input syntax for type pricing: "graduated(100: 1, 50: 2, *: 3)"',
                 'unsorted tiers are 22P02');
SELECT throws_ok($$SELECT '{"model":"flat","amount":"1","x":2}'::jsonb::rr.pricing$$, '22P02', NULL,
                 'an unknown jsonb key is 22P02');
SELECT throws_ok($$SELECT rr.price('per_unit(1)', -1)$$, '22023', 'quantity -1 is not allowed',
                 'a negative quantity is 22023');
SELECT throws_ok($$SELECT rr.price('per_unit(1)', 'NaN')$$, '22023', NULL, 'a NaN quantity is 22023');
SELECT throws_ok($$SELECT * FROM rr.price_tiers('per_unit(1)', 'Infinity')$$, '22023', NULL,
                 'an infinite quantity is 22023 in rr.price_tiers too');

-- honest labels, so the planner can fold, parallelise and batch
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'rr'::regnamespace
       AND (p.proname LIKE 'pricing%' OR p.proname IN ('price', 'price_reference', 'price_tiers', 'unit_price'))
       AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')
$$, 'every pricing function is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_cast
            WHERE (castsource, casttarget) IN (('rr.pricing'::regtype, 'jsonb'::regtype),
                                               ('jsonb'::regtype, 'rr.pricing'::regtype))
              AND castcontext = 'e'), 2, 'the jsonb casts are explicit');
SELECT is((SELECT oprcom::regoperator::text || ' ' || oprnegate::regoperator::text
             FROM pg_operator WHERE oid = 'rr.=(rr.pricing, rr.pricing)'::regoperator),
          'rr.=(rr.pricing,rr.pricing) rr.<>(rr.pricing,rr.pricing)', '= has its commutator and negator');
SELECT ok(obj_description('rr.pricing'::regtype, 'pg_type') IS NOT NULL, 'the type is documented');

SELECT * FROM finish();
ROLLBACK;
