-- Revenue schedules on the tenant's fiscal calendar (docs/revenue.md, "Schedules on the
-- fiscal calendar"): a 4-4-5 calendar of weeks from Wednesday 2025-01-01, a deferral code
-- whose calendar is fiscal, and the schedules activation and billing write with it
-- (rr.spread_periods), hand-checked; the same contract on the calendar-month grain for
-- comparison; posting into the 4-4-5 periods; refusals.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('fis', 'Fiscal calendars', 'USD');
SET rr.tenant = 'fis';
-- FY2025 and FY2026 of 4-4-5 weeks from 2025-01-01: each quarter 28 + 28 + 35 days, each
-- year 364 days (FY2025 is [2025-01-01, 2025-12-31), FY2026 [2025-12-31, 2026-12-30))
SELECT rr.add_fiscal_periods(array_agg(daterange(date '2025-01-01' + w.s::integer * 7, date '2025-01-01' + w.e::integer * 7)))
  FROM (SELECT sum(x.weeks) OVER (ORDER BY x.n) - x.weeks AS s, sum(x.weeks) OVER (ORDER BY x.n) AS e
          FROM (SELECT n, CASE WHEN n % 3 = 0 THEN 5 ELSE 4 END AS weeks FROM generate_series(1, 24) AS n) x) w;
SELECT period_start, period_end, period_end - period_start AS days
  FROM rr.fiscal_period WHERE tenant_id = 'fis' AND period_start < '2026-02-01' ORDER BY period_start;
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account, calendar) VALUES
    ('fis', 'FISCAL-DAILY', 'Daily, on the fiscal calendar', 'daily', '2100', '4000', 'fiscal'),
    ('fis', 'FISCAL-EQUAL', 'Evenly per fiscal period', 'equal', '2100', '4000', 'fiscal'),
    ('fis', 'MONTH-DAILY', 'Daily, calendar months', 'daily', '2100', '4000', DEFAULT);
SELECT code, method, grain, calendar FROM rr.deferral_code WHERE tenant_id = 'fis' ORDER BY code;
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('fis', 'LIC', 'Licence, fiscal daily', '4000', '2100', '1100', 'FISCAL-DAILY'),
    ('fis', 'SUP', 'Support, fiscal equal', '4000', '2100', '1100', 'FISCAL-EQUAL'),
    ('fis', 'LIC-M', 'Licence, calendar months', '4000', '2100', '1100', 'MONTH-DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('fis', 'LIC', 'USD', 1000.00), ('fis', 'SUP', 'USD', 1000.00), ('fis', 'LIC-M', 'USD', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('fis', 'LIC', 'Licence', 'USD', 'LIC', 'prepaid'),
    ('fis', 'SUP', 'Support', 'USD', 'SUP', 'prepaid'),
    ('fis', 'LIC-M', 'Licence (months)', 'USD', 'LIC-M', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  alignment) VALUES
    ('fis', 'YEAR', 'One year, billed yearly', 'expiring', 1, 'year', 'year', 'anniversary'),
    ('fis', 'QTR', 'One quarter, billed once', 'expiring', 1, 'quarter', 'quarter', 'anniversary'),
    ('fis', 'YEAR-M', 'One year, calendar months', 'expiring', 1, 'year', 'year', 'anniversary'),
    ('fis', 'OPEN', 'Unlimited, monthly', 'unlimited', NULL, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('fis', 'YEAR', 1, 'LIC', 1), ('fis', 'QTR', 1, 'SUP', 1), ('fis', 'YEAR-M', 1, 'LIC-M', 1),
    ('fis', 'OPEN', 1, 'LIC', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('fis', 'CU', 'Customer', 'USD');

-- (1) 1,000.00 for the year [2025-01-01, 2026-01-01), 365 days, recognised daily on the
-- 4-4-5 calendar.  It touches the 12 periods of FY2025 (364 days) and the first day of
-- FY2026's first period.  Exact shares: 28 days 1000 × 28 / 365 = 76.7123..., 35 days
-- 95.8904..., 1 day 2.7397...; rounded down 8 × 76.71 + 4 × 95.89 + 2.73 = 999.97, and the
-- 3 cents left go to the largest remainders: 2.7397 (0.0097) then the 28-day periods
-- (0.0023, ties to the earliest): P13 2.74, P1 76.72, P2 76.72, every other 28-day period
-- 76.71, every 35-day period 95.89.  Total 2 × 76.72 + 6 × 76.71 + 4 × 95.89 + 2.74 = 1000.00.
SELECT rr.create_contract('CU', 'YEAR', '2025-01-01') AS k_year \gset
SELECT rr.setup_and_activate_contract(:k_year);
SELECT period, upper(period) - lower(period) AS days, amount, recognize_on
  FROM rr.revenue_schedule_line WHERE contract_id = :k_year ORDER BY period;
SELECT count(*) AS lines, sum(amount) AS total FROM rr.revenue_schedule_line WHERE contract_id = :k_year;

-- (2) The same contract on a deferral code of calendar months (calendar 'grain'): 12 lines,
-- one per calendar month (31 days: 1000 × 31 / 365 = 84.93)
SELECT rr.create_contract('CU', 'YEAR-M', '2025-01-01') AS k_month \gset
SELECT rr.setup_and_activate_contract(:k_month);
SELECT count(*) AS lines, min(lower(period)) AS first_day, min(amount) FILTER (WHERE period = '[2025-01-01,2025-02-01)') AS january,
       sum(amount) AS total
  FROM rr.revenue_schedule_line WHERE contract_id = :k_month;

-- (3) Evenly per fiscal period: one quarter [2025-01-01, 2025-04-01) touches P1, P2 and 34
-- of P3's 35 days; equal gives each period touched the same share: 1000 / 3 = 333.333...,
-- 333.33 × 3 = 999.99, the cent left to the first: 333.34, 333.33, 333.33.
SELECT rr.create_contract('CU', 'QTR', '2025-01-01') AS k_qtr \gset
SELECT rr.setup_and_activate_contract(:k_qtr);
SELECT period, amount FROM rr.revenue_schedule_line WHERE contract_id = :k_qtr ORDER BY period;

-- (4) Billing-sourced schedules (an unlimited contract, monthly at 1,000.00): January
-- [2025-01-01, 2025-02-01) is 31 days, 28 in P1 and 3 in P2: 1000 × 28 / 31 = 903.2258...
-- -> 903.23, 1000 × 3 / 31 = 96.7741... -> 96.77 (903.23 + 96.77 = 1000.00).
SELECT rr.create_contract('CU', 'OPEN', '2025-01-01') AS k_open \gset
SELECT rr.setup_and_activate_contract(:k_open);
SELECT count(*) AS invoices FROM rr.run_billing('2025-01-01');
SELECT source, period, amount FROM rr.revenue_schedule_line WHERE contract_id = :k_open ORDER BY period;

-- (5) Recognition posts each line into its 4-4-5 period: through P1's last day
-- (2025-01-28) the year contract's P1 76.72, the quarter's 333.34 and the unlimited
-- contract's 903.23, once its invoice is posted
SELECT count(*) AS posted, sum(total) AS total FROM rr.post_invoices('2025-01-31');
SELECT CASE r.contract_id WHEN :k_year THEN 'year' WHEN :k_month THEN 'months' WHEN :k_qtr THEN 'quarter'
            WHEN :k_open THEN 'unlimited' END AS contract, r.period_start, r.revenue
  FROM rr.recognize('2025-01-28') r ORDER BY r.contract_id;

-- (6) Refused: a calendar that is neither grain nor fiscal
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account, calendar) VALUES
    ('fis', 'BAD', 'Weekly?', 'daily', '2100', '4000', 'weekly');
