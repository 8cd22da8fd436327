-- recurring_revenue demo: the calendar core.
\echo
\echo '== Anniversary billing anchored on Jan 31 (month ends clamp: Feb 29, Mar 31, Apr 30)'
SELECT period, upper(period) - lower(period) AS days
  FROM rr.billing_periods('2024-01-31', '2024-06-30', '1 month') AS period;

\echo '== Calendar billing (anchor 2000-01-01): a stub first period, then calendar quarters'
SELECT period FROM rr.billing_periods('2024-02-10', '2025-01-01', '3 months', '2000-01-01') AS period;

\echo '== Which billing period holds a date?'
SELECT rr.period_containing('2024-05-20', '1 month', '2024-01-31') AS monthly_from_jan_31,
       rr.period_containing('2024-05-20', '2 weeks', '2024-01-01') AS fortnightly;

\echo '== Proration of a 49.99 monthly price for a start on Jan 15, rounded once'
SELECT rr.prorate('[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)') AS fraction,
       rr.prorate_amount(49.99, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)') AS usd,
       rr.prorate_amount(49.99, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)', '30/360') AS usd_30_360,
       rr.prorate_amount(5000, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)',
                         minor_units => rr.minor_units('JPY')) AS jpy;
