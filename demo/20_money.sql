-- recurring_revenue demo: exact money.
\echo
\echo '== 100.00 split three ways: largest remainder, ties to the lower index; a credit mirrors it'
SELECT rr.allocate(100.00, '{1,1,1}') AS usd,
       rr.allocate(-100.00, '{1,1,1}') AS credit,
       rr.allocate(1000, '{1,1,1}', 'JPY') AS jpy,
       rr.allocate(10.000, '{1,1,1}', 'KWD') AS kwd;

\echo '== A bundle sold for 1,200.00: licence (SSP 1,000) and support (SSP 500)'
SELECT obligation, ssp, allocated
  FROM unnest(ARRAY['licence', 'support'], '{1000,500}'::numeric[],
              rr.allocate(1200.00, '{1000,500}')) AS u(obligation, ssp, allocated);

\echo '== A 12-month, 1,000.00 subscription from 15 January, spread by days over calendar months'
SELECT period, amount FROM rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'daily');

\echo '== ... the three methods side by side, and their sums (always exactly 1,000.00)'
SELECT d.period, d.amount AS daily, e.amount AS equal, p.amount AS equal_prorate
  FROM rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'daily') d
  JOIN rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'equal') e USING (period)
  JOIN rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'equal_prorate') p USING (period)
UNION ALL
SELECT NULL, sum(d.amount), sum(e.amount), sum(p.amount)
  FROM rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'daily') d
  JOIN rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'equal') e USING (period)
  JOIN rr.spread(1000.00, '[2024-01-15,2025-01-15)', 'equal_prorate') p USING (period)
ORDER BY 1 NULLS LAST;

\echo '== A 4-4-5 fiscal quarter: 1,000.00 of service from 10 January to 20 March'
SELECT period, amount
  FROM rr.spread_periods(1000.00, '[2024-01-10,2024-03-20)',
       ARRAY['[2023-12-31,2024-01-28)', '[2024-01-28,2024-02-25)', '[2024-02-25,2024-03-31)']::daterange[]);

\echo '== Invoice lines rounded one by one drift; round_preserving_sum does not'
SELECT (SELECT sum(round(x, 2)) FROM unnest(a) x) AS sum_of_rounded_lines,
       round((SELECT sum(x) FROM unnest(a) x), 2) AS rounded_total,
       rr.round_preserving_sum(a) AS lines
  FROM (SELECT ARRAY[10.005, 10.005, 10.005, 10.005]::numeric[] AS a) t;
