-- recurring_revenue demo: the rr.pricing type and rating.
\echo
\echo '== Seven price models, written in the text form and read back canonical'
SELECT rr.pricing_model(p) AS model, p AS pricing
  FROM unnest(ARRAY['flat(49.00)', 'per_unit(0.10)', 'package(5.00 per 100)',
                    'graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)',
                    'volume(100: 1.00, 1000: 0.80 + 10, *: 0.50)',
                    'stairstep(10: 100, *: 900)',
                    'percentage(0.029 + 0.30, min 0.50)']::rr.pricing[]) AS p;

\echo '== Each model rated at 0, 100, 101 and 1500 units: exact, unrounded'
SELECT rr.pricing_model(p) AS model,
       rr.price(p, 0) AS "q=0", rr.price(p, 100) AS "q=100",
       rr.price(p, 101) AS "q=101", rr.price(p, 1500) AS "q=1500"
  FROM unnest(ARRAY['flat(49.00)', 'per_unit(0.10)', 'package(5.00 per 100)',
                    'graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)',
                    'volume(100: 1.00, 1000: 0.80 + 10, *: 0.50)',
                    'stairstep(10: 100, *: 900)',
                    'percentage(0.029 + 0.30, min 0.50)']::rr.pricing[]) AS p;

\echo '== Invoice detail for 1,500 units on the graduated price: the lines sum to the price'
SELECT * FROM rr.price_tiers('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 1500);

\echo '== Card fees: 2.9% + 0.30 with a 0.50 minimum, on payments of 5.00 and 120.00'
SELECT amount, rr.price('percentage(0.029 + 0.30, min 0.50)', amount) AS fee,
       round(rr.price('percentage(0.029 + 0.30, min 0.50)', amount), rr.minor_units('USD')) AS fee_usd
  FROM unnest('{5.00, 120.00}'::numeric[]) AS amount;

\echo '== The jsonb form (an API payload) and back'
SELECT 'graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)'::rr.pricing::jsonb AS as_jsonb;
SELECT '{"model":"package","package_size":100,"package_price":"5.00"}'::jsonb::rr.pricing AS from_jsonb;

\echo '== Effective unit price and a currency check (JPY has no minor units)'
SELECT rr.unit_price('graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)', 1500) AS per_unit_at_1500,
       rr.pricing_check_minor_units('flat(49.50)', rr.minor_units('JPY')) AS valid_in_jpy,
       rr.pricing_check_minor_units('flat(49.50)', rr.minor_units('USD')) AS valid_in_usd;

\echo '== A bad model is refused with the reason (SQLSTATE 22P02)'
DO $$
DECLARE
    msg text;
    detail text;
BEGIN
    PERFORM 'graduated(1000: 1.00, 100: 0.80, *: 0.50)'::rr.pricing;
EXCEPTION WHEN invalid_text_representation THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE E'%\n%', msg, detail;
END
$$;
