-- rr.billing_periods, rr.period_containing, rr.prorate, rr.prorate_amount
-- (docs/concepts.md, "Calendar and money").  Hand-checked cases first, then every refusal.

-- Anniversary billing anchored on Jan 31 in a leap year: Feb 29, Mar 31, Apr 30, ...
SELECT * FROM rr.billing_periods('2024-01-31', '2025-01-31', '1 month');

-- Anchored on Jan 31 in a common year, and 2100 is not a leap year.
SELECT * FROM rr.billing_periods('2023-01-31', '2023-05-01', '1 month');
SELECT * FROM rr.billing_periods('2100-01-31', '2100-04-01', '1 month');

-- Feb 29 anchor: yearly boundaries fall on Feb 28 in common years, Feb 29 in leap years.
SELECT * FROM rr.billing_periods('2024-02-29', '2029-01-01', '1 year');

-- Aug 31 anchor, quarterly: Nov 30, Feb 28/29, May 31, Aug 31.
SELECT * FROM rr.billing_periods('2023-08-31', '2024-09-01', '3 months');

-- Dec 31 anchor, monthly across a year end and a leap February.
SELECT * FROM rr.billing_periods('2023-12-31', '2024-04-01', '1 month');

-- Calendar billing: anchor 2000-01-01 gives stubs at both ends.
SELECT * FROM rr.billing_periods('2024-01-15', '2024-04-10', '1 month', '2000-01-01');
SELECT * FROM rr.billing_periods('2024-01-15', '2025-02-01', '1 year', '2000-01-01');

-- An anchor after the start works the same way: boundaries extend backwards.
SELECT * FROM rr.billing_periods('2024-01-01', '2024-04-01', '1 month', '2024-03-15');

-- Weekly and 45-day periods.
SELECT * FROM rr.billing_periods('2024-01-01', '2024-02-01', '1 week');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-06-01', '45 days');
SELECT * FROM rr.billing_periods('2024-01-03', '2024-01-20', '2 weeks', '2024-01-01');

-- stop <= start: no rows.  NULL start, stop or every: no rows.  NULL anchor: start.
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2024-01-01', '1 month');
SELECT count(*) FROM rr.billing_periods('2024-02-01', '2024-01-01', '1 month');
SELECT count(*) FROM rr.billing_periods(NULL, '2024-01-01', '1 month');
SELECT count(*) FROM rr.billing_periods('2024-01-01', NULL, '1 month');
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2024-03-01', NULL);
SELECT * FROM rr.billing_periods('2024-01-10', '2024-03-01', '1 month', NULL);

-- One day; the extremes of the date range.
SELECT * FROM rr.billing_periods('2024-03-01', '2024-03-02', '1 month');
SELECT * FROM rr.billing_periods('5874897-11-15', '5874897-12-31', '1 month');
SELECT * FROM rr.billing_periods('4713-01-01 BC', '4713-03-15 BC', '1 month');

-- period_containing
SELECT rr.period_containing('2024-02-29', '1 month', '2024-01-31');
SELECT rr.period_containing('2024-03-30', '1 month', '2024-01-31');
SELECT rr.period_containing('2024-03-31', '1 month', '2024-01-31');
SELECT rr.period_containing('2024-01-15', '3 months', '2000-01-01');
SELECT rr.period_containing('2023-12-31', '1 year', '2024-02-29');
SELECT rr.period_containing('2024-01-10', '2 weeks', '2024-01-01');
SELECT rr.period_containing('2023-12-31', '2 weeks', '2024-01-01');

-- prorate: actual days
SELECT rr.prorate('[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)');
SELECT rr.prorate('[2024-02-15,2024-03-01)', '[2024-02-01,2024-03-01)', 'actual');
SELECT rr.prorate('[2023-12-01,2024-03-01)', '[2024-01-01,2024-02-01)');   -- clipped to whole: 1
SELECT rr.prorate('[2024-03-01,2024-04-01)', '[2024-01-01,2024-02-01)');   -- disjoint: 0
SELECT rr.prorate('empty', '[2024-01-01,2024-02-01)');
SELECT rr.prorate('[2024-01-16,)', '[2024-01-01,2024-02-01)');            -- unbounded part is clipped
-- prorate: 30E/360 (the 31st counts as the 30th; February counts 30 days)
SELECT rr.prorate('[2024-02-15,2024-03-01)', '[2024-02-01,2024-03-01)', '30/360');
SELECT rr.prorate('[2024-01-16,2024-02-01)', '[2024-01-01,2024-02-01)', '30/360');
SELECT rr.prorate('[2024-01-31,2024-02-01)', '[2024-01-01,2024-02-01)', '30/360');
SELECT rr.prorate('[2024-01-01,2024-07-01)', '[2024-01-01,2025-01-01)', '30/360');

-- prorate_amount: one rounding, half away from zero, in the currency's minor units
SELECT rr.prorate_amount(100.00, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)');   -- 54.838... -> 54.84
SELECT rr.prorate_amount(-100.00, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)');  -- mirror
SELECT rr.prorate_amount(0.05, '[2024-01-01,2024-01-02)', '[2024-01-01,2024-01-11)');     -- 0.005 -> 0.01
SELECT rr.prorate_amount(-0.05, '[2024-01-01,2024-01-02)', '[2024-01-01,2024-01-11)');    -- -0.005 -> -0.01
SELECT rr.prorate_amount(0.0499, '[2024-01-01,2024-01-02)', '[2024-01-01,2024-01-11)');   -- 0.00499 -> 0.00
SELECT rr.prorate_amount(1000, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)', 'actual', 0);   -- JPY
SELECT rr.prorate_amount(10.000, '[2024-01-01,2024-01-02)', '[2024-01-01,2024-01-04)', 'actual', 3); -- KWD: 3.333
SELECT rr.prorate_amount(49.99, '[2024-01-01,2024-02-01)', '[2024-01-01,2024-02-01)');   -- whole period: unchanged
SELECT rr.prorate_amount(49.99, '[2024-02-15,2024-03-01)', '[2024-02-01,2024-03-01)', '30/360');
-- never rounds the fraction first: 1,000,000,000.00 × 17/31
SELECT rr.prorate_amount(1000000000.00, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)'),
       round(1000000000.00 * 17 / 31, 2) AS check_value;
-- minor units come from the currency table
SELECT rr.prorate_amount(1000, '[2024-01-15,2024-02-01)', '[2024-01-01,2024-02-01)',
                         minor_units => rr.minor_units('JPY'));

-- Labels the planner relies on.
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.pronamespace = 'rr'::regnamespace
   AND p.proname IN ('billing_periods', 'period_containing', 'prorate', 'prorate_amount')
 ORDER BY 1;

-- Bad input: every refusal, with its message.
\set VERBOSITY default
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '1 month 2 days');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '0 days');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '-1 month');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '12 hours');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '1 day 1 hour');
SELECT * FROM rr.billing_periods('-infinity', '2024-03-01', '1 month');
SELECT * FROM rr.billing_periods('2024-01-01', 'infinity', '1 month');
SELECT * FROM rr.billing_periods('2024-01-01', '2024-03-01', '1 month', 'infinity');
SELECT rr.period_containing('2024-01-01', '1 mon 1 day', '2000-01-01');
SELECT rr.period_containing('infinity', '1 month', '2000-01-01');
SELECT rr.period_containing('2024-01-01', '1 month', '-infinity');
SELECT rr.period_containing('5874897-12-15', '1 month', '2000-01-01');
SELECT rr.prorate('[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)', 'act/365');
SELECT rr.prorate('[2024-01-01,2024-01-15)', 'empty');
SELECT rr.prorate('[2024-01-01,2024-01-15)', '[2024-01-01,)');
SELECT rr.prorate('[2024-01-01,2024-01-15)', '[2024-01-01,infinity)');
SELECT rr.prorate('[2024-03-30,2024-03-31)', '[2024-03-30,2024-03-31)', '30/360');
SELECT rr.prorate_amount(100, '[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)', 'actual', 10);
SELECT rr.prorate_amount(100, '[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)', 'actual', -1);
SELECT rr.prorate_amount('NaN', '[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)');
SELECT rr.prorate_amount('Infinity', '[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)');
SELECT rr.prorate_amount(100, '[2024-01-01,2024-01-15)', '[2024-01-01,2024-02-01)', 'daily');
-- A huge request can be cancelled while it is being generated.
SET statement_timeout = '200ms';
SELECT count(*) FROM rr.billing_periods('2000-01-01', '60000-01-01', '1 day');
RESET statement_timeout;
