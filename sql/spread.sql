-- rr.spread and rr.spread_periods (docs/concepts.md, "Calendar and money").

-- A 12-month service from 15 January under each method, calendar months.
-- daily: weight = days of service in the month.
SELECT * FROM rr.spread(1200.00, '[2024-01-15,2025-01-15)', 'daily');
-- equal: twelve equal parts January..December, 0 for the January stub.
SELECT * FROM rr.spread(1200.00, '[2024-01-15,2025-01-15)', 'equal');
-- equal_prorate: whole months 1, the stubs 17/31 and 14/31.
SELECT * FROM rr.spread(1200.00, '[2024-01-15,2025-01-15)', 'equal_prorate');
-- A service starting and ending mid-month inside one quarter, each method.
SELECT 'daily' AS method, * FROM rr.spread(100.00, '[2024-02-10,2024-04-20)', 'daily')
UNION ALL
SELECT 'equal', * FROM rr.spread(100.00, '[2024-02-10,2024-04-20)', 'equal')
UNION ALL
SELECT 'equal_prorate', * FROM rr.spread(100.00, '[2024-02-10,2024-04-20)', 'equal_prorate');
-- February in leap and common years (29 vs 28 days).
SELECT * FROM rr.spread(590.00, '[2024-01-01,2024-03-01)');
SELECT * FROM rr.spread(590.00, '[2023-01-01,2023-03-01)');
SELECT * FROM rr.spread(300.00, '[2100-02-01,2100-03-01)', 'daily', '1 week', '2100-01-04');
-- 1,000,000.00 over 36 months: exact, spread by days.
SELECT count(*) AS periods, sum(amount) AS total, min(amount), max(amount)
  FROM rr.spread(1000000.00, '[2024-01-01,2027-01-01)');
SELECT count(*) AS periods, sum(amount) AS total, min(amount), max(amount)
  FROM rr.spread(1000000.00, '[2024-01-01,2027-01-01)', 'equal');
-- Quarterly and yearly grains, another anchor (fiscal year starting 1 April), yen, dinar.
SELECT * FROM rr.spread(1000.00, '[2024-02-15,2025-02-15)', 'equal_prorate', '3 months');
SELECT * FROM rr.spread(100000, '[2024-06-01,2026-06-01)', 'daily', '1 year', '2000-04-01', 0);
SELECT * FROM rr.spread(10.000, '[2024-01-01,2024-04-01)', 'equal', minor_units => 3);
-- A credit mirrors the charge; zero spreads as zeros; a one-day service.
SELECT * FROM rr.spread(-1200.00, '[2024-01-15,2024-04-15)', 'equal_prorate');
SELECT * FROM rr.spread(0, '[2024-01-15,2024-03-15)');
SELECT * FROM rr.spread(99.99, '[2024-05-31,2024-06-01)');
-- Anniversary accounting (anchor = service start): whole periods only.
SELECT * FROM rr.spread(100.00, '[2024-01-31,2024-05-31)', 'daily', '1 month', '2024-01-31');

-- Custom fiscal calendars: 4-4-5 quarters and 13 four-week periods.
SELECT * FROM rr.spread_periods(1000.00, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-28,2024-02-25)', '[2024-02-25,2024-03-31)',
          '[2024-03-31,2024-04-28)']::daterange[], 'daily');
SELECT * FROM rr.spread_periods(1000.00, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-28,2024-02-25)', '[2024-02-25,2024-03-31)',
          '[2024-03-31,2024-04-28)']::daterange[], 'equal');
SELECT * FROM rr.spread_periods(1000.00, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-28,2024-02-25)', '[2024-02-25,2024-03-31)',
          '[2024-03-31,2024-04-28)']::daterange[], 'equal_prorate');
-- 13 four-week periods: 2024-01-01 .. 2024-12-30
SELECT count(*) AS periods, sum(amount) AS total, min(amount), max(amount)
  FROM rr.spread_periods(12000.00, '[2024-01-01,2024-12-29)',
       (SELECT array_agg(daterange(date '2024-01-01' + 28 * i, date '2024-01-01' + 28 * (i + 1)) ORDER BY i)
          FROM generate_series(0, 12) AS i),
       'equal');
-- A service exactly on period boundaries.
SELECT * FROM rr.spread_periods(100, '[2024-01-28,2024-02-25)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-28,2024-02-25)']::daterange[], 'equal_prorate', 0);

-- Labels.
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, p.prorows
  FROM pg_proc p
 WHERE p.pronamespace = 'rr'::regnamespace AND p.proname IN ('spread', 'spread_periods')
 ORDER BY 1;

-- Bad input: every refusal, with its message.
\set VERBOSITY default
SELECT * FROM rr.spread(100.001, '[2024-01-01,2024-02-01)');
SELECT * FROM rr.spread(100, 'empty');
SELECT * FROM rr.spread(100, '[2024-01-01,)');
SELECT * FROM rr.spread(100, '(,2024-01-01)');
SELECT * FROM rr.spread(100, '[2024-01-01,2024-02-01)', 'evenly');
SELECT * FROM rr.spread(100, '[2024-01-01,2024-02-01)', 'daily', '1 month 1 day');
SELECT * FROM rr.spread(100, '[2024-01-01,2024-02-01)', 'daily', '0 days');
SELECT * FROM rr.spread(100, '[2024-01-01,2024-02-01)', 'daily', '1 month', 'infinity');
SELECT * FROM rr.spread(100, '[2024-01-01,2024-02-01)', 'daily', '1 month', '2000-01-01', 10);
SELECT * FROM rr.spread('NaN', '[2024-01-01,2024-02-01)');
SELECT * FROM rr.spread(100, '[2000-01-01,2400-01-01)', 'daily', '1 day');
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-29,2024-03-31)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-01-28)', '[2024-01-20,2024-03-31)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)',
    ARRAY['[2024-02-01,2024-03-31)', '[2023-12-31,2024-02-01)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)',
    ARRAY['[2024-01-11,2024-03-31)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)',
    ARRAY['[2023-12-31,2024-02-01)', '[2024-02-01,2024-03-19)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', '{}'::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', ARRAY['[2024-01-01,2024-04-01)', NULL]::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', ARRAY['[2024-01-01,2024-04-01)', 'empty']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', ARRAY['[2024-01-01,)']::daterange[]);
SELECT * FROM rr.spread_periods(100, 'empty', ARRAY['[2024-01-01,2024-04-01)']::daterange[]);
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', ARRAY['[2024-01-01,2024-04-01)']::daterange[], 'monthly');
-- periods that end before the service starts: the first uncovered date is the service start
SELECT * FROM rr.spread_periods(100, '[2024-01-10,2024-03-20)', ARRAY['[2023-01-01,2023-02-01)']::daterange[]);
