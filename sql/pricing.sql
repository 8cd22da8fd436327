-- rr.pricing, rr.price, rr.price_tiers and friends (docs/pricing.md).  Hand-checked
-- cases first (every model at its boundaries), then round trips, then every refusal.

-- Text form: input is forgiving about spaces and leading zeros, output is canonical.
SELECT p::rr.pricing AS canonical
  FROM (VALUES ('flat(49.00)'), ('  per_unit( 0.10 )'), ('package(5.00 per 100)'),
               ('graduated(100:1.00,1000:0.80+10,*:0.50)'),
               ('volume(100: 1.00, 1000: 0.80 + 10, *: 0.50)'),
               ('stairstep(10: 100, *: 900)'),
               ('percentage(0.029 + 0.30, max 20, min 0.50)'),
               ('percentage(0.05)'),
               ('flat(007.50)'), ('flat(-0.00)')) AS t(p);

-- flat: the amount whatever the quantity, 0 included.
SELECT q, rr.price('flat(49.00)', q) FROM unnest('{0, 1, 0.5, 1000000}'::numeric[]) AS q;

-- per_unit: q × unit_price, exact and unrounded (scale of q + scale of the price).
SELECT q, rr.price('per_unit(0.10)', q) FROM unnest('{0, 1, 12.5, 0.001, 99999999}'::numeric[]) AS q;

-- package: ceil(q / size) × price; exactly at the size, one unit (or a sliver) past.
SELECT q, rr.price('package(5.00 per 100)', q)
  FROM unnest('{0, 0.5, 1, 100, 100.001, 101, 200, 250}'::numeric[]) AS q;

-- graduated: 1..100 at 1.00, 101..1000 at 0.80 + 10 once reached, the rest at 0.50.
--   100 → 100.00; 101 → 100 + 0.80 + 10 = 110.80; 1000 → 100 + 720 + 10 = 830.00;
--   1001 → 830.50; 100.5 → 100 + 0.40 + 10 = 110.400; 0 → 0 (no fee for tier 1 or 2).
SELECT q, rr.price('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', q)
  FROM unnest('{0, 1, 99.5, 100, 100.5, 101, 1000, 1001, 2500.25}'::numeric[]) AS q;

-- volume: the tier containing q prices all q units, plus its fee.
--   100 → 100.00; 100.5 → 100.5 × 0.80 + 10 = 90.400; 1000 → 810.00; 1001 → 500.50.
SELECT q, rr.price('volume(100: 1.00, 1000: 0.80 + 10, *: 0.50)', q)
  FROM unnest('{0, 1, 100, 100.5, 101, 1000, 1001}'::numeric[]) AS q;

-- stairstep: the fee of the tier containing q; 0 costs 0.
SELECT q, rr.price('stairstep(10: 100, *: 900)', q)
  FROM unnest('{0, 0.5, 10, 10.01, 11, 5000}'::numeric[]) AS q;

-- percentage: clamp(q × rate + fixed_fee, min, max), but 0 costs 0 even with a min.
--   1 → 0.329 → min 0.50; 10 → 0.590; 100 → 3.200; 1000 → 29.30 → max 20.
SELECT q, rr.price('percentage(0.029 + 0.30, min 0.50, max 20)', q)
  FROM unnest('{0, 1, 10, 100, 1000}'::numeric[]) AS q;
SELECT q, rr.price('percentage(1)', q), rr.price('percentage(0)', q)
  FROM unnest('{0, 12.34}'::numeric[]) AS q;

-- Results are unrounded; the display scale is fixed by the model and the quantity's
-- scale, so the same model gives the same scale at every quantity.
SELECT rr.price('per_unit(0.0000015)', 1234567) AS per_token,
       rr.price('graduated(0.5: 0.3, *: 0.25)', 1) AS fractional_up_to,
       rr.price('flat(10)', 3) AS flat_integer;

-- Large values take the numeric path and give the same exact answer.
SELECT rr.price('per_unit(12345678901234567890.123456789)', 98765432109876543210.5) AS big,
       rr.price('graduated(100: 1.00, *: 0.50)', 1e30) AS big_graduated,
       rr.price('per_unit(0.10)', 1.000000000000000000001) AS long_scale;
SELECT rr.price(p, q) = rr.price_reference(p, q) AS same,
       rr.price(p, q)::text = rr.price_reference(p, q)::text AS same_text
  FROM (VALUES ('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)'::rr.pricing, 1001::numeric),
               ('per_unit(12345678901234567890.123456789)', 98765432109876543210.5),
               ('percentage(0.029 + 0.30, min 0.50)', 12.34)) AS t(p, q);

-- price_tiers: one line per tier reached (graduated), or one line; amounts sum to price.
SELECT * FROM rr.price_tiers('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 1001);
SELECT * FROM rr.price_tiers('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 100);
SELECT * FROM rr.price_tiers('graduated(100: 1.00 + 5, *: 0.50)', 0);
SELECT * FROM rr.price_tiers('volume(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 100.5);
SELECT * FROM rr.price_tiers('stairstep(10: 100, *: 900)', 11);
SELECT * FROM rr.price_tiers('flat(49.00)', 3);
SELECT * FROM rr.price_tiers('per_unit(0.10)', 12.5);
SELECT * FROM rr.price_tiers('package(5.00 per 100)', 250);
SELECT * FROM rr.price_tiers('percentage(0.029 + 0.30, min 0.50)', 10);
SELECT * FROM rr.price_tiers('percentage(0.029 + 0.30, min 0.50)', 0);
SELECT sum(amount) = rr.price('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 2500.25) AS sums_to_price
  FROM rr.price_tiers('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 2500.25);

-- Helpers: model name, effective unit price, minor-unit check.
SELECT rr.pricing_model(p::rr.pricing) AS model
  FROM (VALUES ('flat(1)'), ('per_unit(1)'), ('package(1 per 2)'), ('graduated(*: 1)'),
               ('volume(*: 1)'), ('stairstep(*: 1)'), ('percentage(0.1)')) AS t(p);
SELECT rr.unit_price('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 1000) AS at_1000,
       rr.unit_price('flat(49.00)', 0) AS at_zero;
SELECT rr.pricing_check_minor_units('graduated(100: 0.0015, *: 0.001 + 10.00)', 2) AS usd,
       rr.pricing_check_minor_units('graduated(100: 0.0015, *: 0.001 + 10.00)', 2, true) AS usd_unit_prices,
       rr.pricing_check_minor_units('flat(49.50)', 0) AS jpy,
       rr.pricing_check_minor_units('flat(49.500)', 2) AS trailing_zero,
       rr.pricing_check_minor_units('percentage(0.029 + 0.305)', 2) AS fixed_fee_in_mills;

-- Equality: same canonical form (the scale is part of the value); hashable, so
-- GROUP BY and DISTINCT work.  The operators live in schema rr.
SET search_path = public, rr;
SELECT 'flat(49.00)'::rr.pricing = 'flat( 049.00 )' AS eq,
       'flat(49.00)'::rr.pricing = 'flat(49)' AS scale_differs,
       'flat(49.00)'::rr.pricing <> 'per_unit(49.00)' AS ne,
       'flat(49.00)'::rr.pricing OPERATOR(rr.=) 'flat(49.00)' AS qualified;
SELECT p, count(*) FROM (VALUES ('flat(1)'::rr.pricing), ('flat( 1 )'), ('flat(1.0)')) AS t(p)
 GROUP BY p ORDER BY p::text;

-- jsonb form: strings or numbers in, strings out keeping their scale.
SELECT p::rr.pricing::jsonb
  FROM (VALUES ('flat(49.00)'), ('per_unit(0.10)'), ('package(5.00 per 100)'),
               ('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)'),
               ('volume(100: 1.00, *: 0.50)'), ('stairstep(10: 100, *: 900)'),
               ('percentage(0.029 + 0.30, min 0.50)'), ('percentage(0.05)')) AS t(p);
SELECT j::jsonb::rr.pricing
  FROM (VALUES ('{"model":"flat","amount":49.00}'),
               ('{"model":"per_unit","unit_price":"0.10"}'),
               ('{"model":"package","package_size":100,"package_price":"5.00"}'),
               ('{"model":"package","package_size":"100","package_price":5}'),
               ('{"model":"graduated","tiers":[{"up_to":100,"unit_price":"1.00"},{"up_to":1000,"unit_price":"0.80","flat_fee":"10"},{"up_to":null,"unit_price":"0.50"}]}'),
               ('{"model":"volume","tiers":[{"up_to":"100","unit_price":1.00,"flat_fee":null},{"up_to":null,"unit_price":0.5}]}'),
               ('{"model":"stairstep","tiers":[{"up_to":10,"flat_fee":"100"},{"up_to":null,"flat_fee":"900"}]}'),
               ('{"model":"percentage","rate":"0.029","fixed_fee":"0.30","min":"0.50","max":null}'),
               ('{"model":"percentage","rate":0.029}'),
               ('{"model":"flat","amount":1e2}')) AS t(j);

-- Round trips: text → pricing → text and jsonb → pricing → jsonb are stable.
WITH t(p) AS (VALUES ('flat(49.00)'), ('per_unit(0.0000015)'), ('package(5.00 per 100)'),
                     ('graduated(0.5: 0.3, 100: 1.00 + 0, 1000: 0.80 + 10, *: 0.50)'),
                     ('volume(100: 1.00, *: 0.50 + 2.5)'), ('stairstep(10: 100, 20.5: 150, *: 900)'),
                     ('percentage(0.029 + 0.30, min 0.50, max 20)'), ('percentage(1, max 0)'))
SELECT p, p::rr.pricing::text = p AS text_stable,
       p::rr.pricing::jsonb::rr.pricing = p::rr.pricing AS via_jsonb,
       p::rr.pricing::jsonb::rr.pricing::jsonb = p::rr.pricing::jsonb AS jsonb_stable
  FROM t;
SELECT j::jsonb::rr.pricing::jsonb = j::jsonb AS design_examples_round_trip
  FROM (VALUES ('{"model":"flat","amount":"49.00"}'),
               ('{"model":"per_unit","unit_price":"0.10"}'),
               ('{"model":"package","package_size":100,"package_price":"5.00"}'),
               ('{"model":"graduated","tiers":[{"up_to":100,"unit_price":"1.00"},{"up_to":1000,"unit_price":"0.80","flat_fee":"10"},{"up_to":null,"unit_price":"0.50"}]}'),
               ('{"model":"stairstep","tiers":[{"up_to":10,"flat_fee":"100"},{"up_to":null,"flat_fee":"900"}]}'),
               ('{"model":"percentage","rate":"0.029","fixed_fee":"0.30","min":"0.50","max":null}')) AS t(j);

-- Binary COPY round trip, through a new file in the server's data directory (mktemp, removed after).
CREATE TEMP TABLE pricing_copy (id int, p rr.pricing);
INSERT INTO pricing_copy
VALUES (1, 'flat(49.00)'), (2, 'per_unit(0.0000015)'), (3, 'package(5.00 per 100)'),
       (4, 'graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)'), (5, 'volume(100: 1.00, *: 0.50)'),
       (6, 'stairstep(10: 100, *: 900)'), (7, 'percentage(0.029 + 0.30, min 0.50, max 20)'),
       (8, NULL);
CREATE TEMP TABLE copy_file (path text);
COPY copy_file FROM PROGRAM 'mktemp "$PWD"/rr_pricing_copy.XXXXXX';
SELECT path AS copy_path, 'rm -f ' || path AS copy_rm FROM copy_file \gset
COPY pricing_copy TO :'copy_path' WITH (FORMAT binary);
CREATE TEMP TABLE pricing_copy_back (LIKE pricing_copy);
COPY pricing_copy_back FROM :'copy_path' WITH (FORMAT binary);
COPY (SELECT WHERE false) TO PROGRAM :'copy_rm';
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.p IS NOT DISTINCT FROM b.p) AS identical
  FROM pricing_copy a JOIN pricing_copy_back b USING (id);
SELECT * FROM pricing_copy_back ORDER BY id;

-- Bad input: every refusal, with its message.
\set VERBOSITY default
SELECT 'tiered(1)'::rr.pricing;
SELECT 'flat'::rr.pricing;
SELECT 'flat(1'::rr.pricing;
SELECT 'flat(1) extra'::rr.pricing;
SELECT ''::rr.pricing;
SELECT 'flat(-1)'::rr.pricing;
SELECT 'per_unit(abc)'::rr.pricing;
SELECT 'per_unit(1e3)'::rr.pricing;
SELECT 'per_unit(+1.5)'::rr.pricing;
SELECT 'per_unit(.5)'::rr.pricing;
SELECT '{"model":"per_unit","unit_price":"1e-2"}'::jsonb::rr.pricing;
SELECT '{"model":"per_unit","unit_price":"+1.5"}'::jsonb::rr.pricing;
SELECT 'flat(NaN)'::rr.pricing;
SELECT 'per_unit(Infinity)'::rr.pricing;
SELECT 'flat(-inf)'::rr.pricing;
SELECT 'flat(1234567890123456789012345678901234567890)'::rr.pricing;
SELECT 'per_unit(0.1234567890123456789)'::rr.pricing;
SELECT 'package(5.00 per 0)'::rr.pricing;
SELECT 'package(5.00 per -100)'::rr.pricing;
SELECT 'package(5.00 per 2.5)'::rr.pricing;
SELECT 'package(5.00 100)'::rr.pricing;
SELECT 'graduated(100: 1.00, 100: 0.80, *: 0.50)'::rr.pricing;
SELECT 'graduated(1000: 1.00, 100: 0.80, *: 0.50)'::rr.pricing;
SELECT 'graduated(*: 1.00, 100: 0.80)'::rr.pricing;
SELECT 'graduated(100: 1.00, 1000: 0.80)'::rr.pricing;
SELECT 'graduated(0: 1.00, *: 0.80)'::rr.pricing;
SELECT 'volume(100: -1.00, *: 0.80)'::rr.pricing;
SELECT 'volume(100: 1.00 + -5, *: 0.80)'::rr.pricing;
SELECT 'graduated()'::rr.pricing;
SELECT 'stairstep(10: 100 *: 900)'::rr.pricing;
SELECT 'percentage(1.5)'::rr.pricing;
SELECT 'percentage(-0.1)'::rr.pricing;
SELECT 'percentage(0.1, min 5, max 1)'::rr.pricing;
SELECT 'percentage(0.1, min 1, min 2)'::rr.pricing;
SELECT 'percentage(0.1, floor 1)'::rr.pricing;
SELECT '{"model":"tiered","amount":"1"}'::jsonb::rr.pricing;
SELECT '{"amount":"1"}'::jsonb::rr.pricing;
SELECT '{"model":1}'::jsonb::rr.pricing;
SELECT '[1, 2]'::jsonb::rr.pricing;
SELECT '{"model":"flat"}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":"1","currency":"USD"}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":"1","rate":"0.1"}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":null}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":true}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":"NaN"}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":"Infinity"}'::jsonb::rr.pricing;
SELECT '{"model":"flat","amount":"12,50"}'::jsonb::rr.pricing;
SELECT '{"model":"per_unit","unit_price":-0.10}'::jsonb::rr.pricing;
SELECT '{"model":"package","package_price":"5.00"}'::jsonb::rr.pricing;
SELECT '{"model":"package","package_size":0,"package_price":"5.00"}'::jsonb::rr.pricing;
SELECT '{"model":"graduated"}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":{}}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[1]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[{"up_to":null}]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[{"unit_price":"1"}]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[{"up_to":null,"unit_price":"1","discount":"2"}]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[{"up_to":100,"unit_price":"1"},{"up_to":50,"unit_price":"1"},{"up_to":null,"unit_price":"1"}]}'::jsonb::rr.pricing;
SELECT '{"model":"graduated","tiers":[{"up_to":null,"unit_price":"1"},{"up_to":50,"unit_price":"1"}]}'::jsonb::rr.pricing;
SELECT '{"model":"volume","tiers":[{"up_to":100,"unit_price":"1"}]}'::jsonb::rr.pricing;
SELECT '{"model":"stairstep","tiers":[{"up_to":null,"unit_price":"1","flat_fee":"1"}]}'::jsonb::rr.pricing;
SELECT '{"model":"stairstep","tiers":[{"up_to":null}]}'::jsonb::rr.pricing;
SELECT '{"model":"percentage","rate":"1.01"}'::jsonb::rr.pricing;
SELECT '{"model":"percentage","rate":"0.1","min":"5","max":"1"}'::jsonb::rr.pricing;
SELECT '{"model":"percentage","fixed_fee":"0.30"}'::jsonb::rr.pricing;
SELECT rr.price('flat(1)', -1);
SELECT rr.price('per_unit(1)', 'NaN');
SELECT rr.price('per_unit(1)', 'Infinity');
SELECT rr.price('per_unit(1)', '-Infinity');
SELECT * FROM rr.price_tiers('per_unit(1)', -0.5);
SELECT rr.price_reference('per_unit(1)', -2);
SELECT rr.pricing_check_minor_units('flat(1)', 10);
