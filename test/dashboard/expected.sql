-- What the dashboard page must show, straight from the report functions, one line per
-- number: report|currency|row|column|value (test/dashboard/run compares it with the
-- tables and headline figures parsed from the page; NULL shows as an em dash).
--   psql -X -q -At -v as_of=YYYY-MM-DD -v renewals_from_view=on|off -f expected.sql
-- With renewals_from_view=off the renewals are the hand-checked ones of the demo on
-- 2024-12-31, both renewed after that date (rr.contract_renewals_as_of shows the term in
-- force on the date).
SET rr.tenant = 'default';
CREATE TEMP TABLE d AS
SELECT :'as_of'::date AS as_of, date_trunc('month', :'as_of'::date)::date AS m0,
       date_trunc('quarter', :'as_of'::date)::date AS q0;
CREATE TEMP TABLE e (report text, currency text, rkey text, col text, v text);

-- the MRR bridge of the month to date; contraction and churn shown negative
INSERT INTO e
SELECT 'bridge', b.currency, x.rkey, x.col, x.v::text
  FROM d, rr.mrr_movement(d.m0, d.as_of + 1) b,
       LATERAL (VALUES ('opening', 'mrr', b.opening_mrr), ('opening', 'customers', b.customers_opening),
                       ('new', 'mrr', b.new_mrr), ('new', 'customers', b.customers_new),
                       ('expansion', 'mrr', b.expansion_mrr), ('expansion', 'customers', NULL),
                       ('reactivation', 'mrr', b.reactivation_mrr), ('reactivation', 'customers', b.customers_reactivated),
                       ('contraction', 'mrr', -b.contraction_mrr), ('contraction', 'customers', NULL),
                       ('churned', 'mrr', -b.churned_mrr), ('churned', 'customers', b.customers_churned),
                       ('closing', 'mrr', b.closing_mrr), ('closing', 'customers', b.customers_closing),
                       ('net_new', 'mrr', b.net_new_mrr), ('net_new', 'customers', NULL),
                       ('gross_retention', 'mrr', b.gross_retention), ('gross_retention', 'customers', NULL),
                       ('net_retention', 'mrr', b.net_retention), ('net_retention', 'customers', NULL)) x(rkey, col, v);

-- ARR on as_of and on the last day of each of the 11 months before it
CREATE TEMP TABLE pts AS
SELECT as_of AS pt FROM d
UNION ALL
SELECT (m + interval '1 month' - interval '1 day')::date
  FROM d, generate_series(d.m0 - interval '11 months', d.m0 - interval '1 month', interval '1 month') m;
CREATE TEMP TABLE arr AS
SELECT p.pt, m.currency, sum(m.mrr) AS mrr, sum(m.arr) AS arr, count(*) AS contracts
  FROM pts p, rr.mrr_as_of(p.pt) m GROUP BY p.pt, m.currency;
INSERT INTO e
SELECT 'arr', c.currency, p.pt::text, x.col, coalesce(x.v, 0)::text
  FROM pts p CROSS JOIN (SELECT DISTINCT currency FROM arr) c
  LEFT JOIN arr a ON a.pt = p.pt AND a.currency = c.currency,
       LATERAL (VALUES ('mrr', a.mrr), ('arr', a.arr), ('contracts', a.contracts)) x(col, v);

-- the deferred revenue roll-forward of the four quarters up to as_of, all accounts
CREATE TEMP TABLE roll AS
SELECT q::date AS q, r.currency, sum(r.opening) AS opening, sum(r.billed) AS billed, sum(r.credited) AS credited,
       sum(r.recognised) AS recognised, sum(r.other) AS other, sum(r.closing) AS closing
  FROM d, generate_series(d.q0 - interval '9 months', d.q0, interval '3 months') q,
       rr.deferred_revenue_rollforward(q::date, least((q + interval '3 months')::date, d.as_of + 1)) r
 GROUP BY q, r.currency;
INSERT INTO e
SELECT 'deferred', c.currency, g.q::date::text, x.col, coalesce(x.v, 0)::text
  FROM d, generate_series(d.q0 - interval '9 months', d.q0, interval '3 months') g(q)
 CROSS JOIN (SELECT DISTINCT currency FROM roll) c
  LEFT JOIN roll r ON r.q = g.q::date AND r.currency = c.currency,
       LATERAL (VALUES ('opening', r.opening), ('billed', r.billed), ('credited', r.credited),
                       ('recognised', r.recognised), ('other', r.other), ('closing', r.closing)) x(col, v);

-- the deferred revenue waterfall by billing month, all accounts, the 12 latest billing
-- months: deferred from the billing month's own row, the rest summed over its rows, and
-- what remains by the identity deferred - recognised - credited - other
CREATE TEMP TABLE wf AS
SELECT w.currency, w.billing_month,
       sum(w.deferred) FILTER (WHERE w.months_after = 0) AS deferred, sum(w.recognised) AS recognised,
       sum(w.credited) AS credited, sum(w.other) AS other
  FROM d, rr.deferred_revenue_waterfall(d.as_of) w
 GROUP BY w.currency, w.billing_month;
INSERT INTO e
SELECT 'waterfall', w.currency, w.billing_month::text, x.col, x.v::text
  FROM (SELECT w.*, row_number() OVER (PARTITION BY w.currency ORDER BY w.billing_month DESC) AS recent FROM wf w) w,
       LATERAL (VALUES ('deferred', w.deferred), ('recognised', w.recognised), ('credited', w.credited),
                       ('other', w.other),
                       ('remaining', w.deferred - w.recognised - w.credited - w.other)) x(col, v)
 WHERE w.recent <= 12;

-- the revenue forecast, 13 months from as_of's month, every month shown
CREATE TEMP TABLE fc AS SELECT f.* FROM d, rr.revenue_forecast(d.as_of, 13) f;
INSERT INTO e
SELECT 'forecast', c.currency, m::date::text, x.col, coalesce(x.v, 0)::text
  FROM d, generate_series(d.m0, d.m0 + interval '12 months', interval '1 month') m
 CROSS JOIN (SELECT DISTINCT currency FROM fc) c
  LEFT JOIN fc f ON f.month = m::date AND f.currency = c.currency,
       LATERAL (VALUES ('scheduled', f.scheduled), ('contracts', f.contracts)) x(col, v);

INSERT INTO e
SELECT 'rpo', r.currency, x.rkey, 'amount', x.v::text
  FROM d, rr.remaining_performance_obligations(d.as_of) r,
       LATERAL (VALUES ('within_12_months', r.within_12_months), ('beyond_12_months', r.beyond_12_months),
                       ('total', r.total)) x(rkey, v);

-- AR aging per customer, and the totals
CREATE TEMP TABLE aging AS SELECT a.* FROM d, rr.ar_aging(d.as_of) a;
INSERT INTO e
SELECT 'aging', a.currency, a.customer, x.col, x.v::text
  FROM (SELECT * FROM aging
        UNION ALL
        SELECT 'total', currency, sum(current), sum(days_1_30), sum(days_31_60), sum(days_61_90), sum(over_90),
               sum(open_ar), sum(unapplied_credit)
          FROM aging GROUP BY currency) a,
       LATERAL (VALUES ('current', a.current), ('days_1_30', a.days_1_30), ('days_31_60', a.days_31_60),
                       ('days_61_90', a.days_61_90), ('over_90', a.over_90), ('open_ar', a.open_ar),
                       ('unapplied_credit', a.unapplied_credit)) x(col, v);

-- renewals due or in grace (rr.contract_renewals_as_of), valued at the MRR of the term's
-- last day, and their total
CREATE TEMP TABLE ren (currency text, contract_id text, customer_name text, template text, state text,
                       renewal_point date, term_end date, grace_ends date, mrr numeric, arr numeric);
\if :renewals_from_view
INSERT INTO ren
SELECT k.currency, r.contract_id, cu.name, r.template, CASE r.renewal_state WHEN 'due' THEN 'Due' ELSE 'In grace' END,
       r.renewal_point, r.end_date, r.grace_ends,
       coalesce((SELECT m.mrr FROM rr.mrr_as_of(r.end_date - 1) m WHERE m.contract_id = r.contract_id), 0),
       coalesce((SELECT m.arr FROM rr.mrr_as_of(r.end_date - 1) m WHERE m.contract_id = r.contract_id), 0)
  FROM d, rr.contract_renewals_as_of(d.as_of) r
  JOIN rr.contract k ON k.tenant_id = 'default' AND k.contract_id = r.contract_id
  JOIN rr.customer cu ON cu.tenant_id = 'default' AND cu.code = r.customer
 WHERE r.renewal_state IN ('due', 'in_grace');
\else
-- Acme's enterprise licence ends on 2025-01-31 (renewal point 60 days before: 2024-12-02;
-- grace 15 days: 2025-02-15), MRR 2,160.00 / 12 = 180.00; Globex's cloud plan ends on
-- 2025-01-15 (30 days before: 2024-12-16; no grace), 40 seats x 45.00 = 1,800.00.  Both
-- were renewed on 2025-01-02 (demo/80_renewals.sql), after the date.
INSERT INTO ren VALUES
    ('USD', '1', 'Acme Corporation', 'ENTERPRISE', 'Due', '2024-12-02', '2025-01-31', '2025-02-15', 180.00, 2160.00),
    ('USD', '2', 'Globex Inc.', 'CLOUD-ANNUAL', 'Due', '2024-12-16', '2025-01-15', '2025-01-15', 1800.00, 21600.00);
\endif
INSERT INTO e
SELECT 'renewals', r.currency, r.contract_id, x.col, x.v
  FROM ren r,
       LATERAL (VALUES ('customer_name', r.customer_name), ('template', r.template), ('state', r.state),
                       ('renewal_point', to_char(r.renewal_point, 'FMDD Mon YYYY')),
                       ('term_end', to_char(r.term_end, 'FMDD Mon YYYY')),
                       ('grace_ends', to_char(r.grace_ends, 'FMDD Mon YYYY')),
                       ('mrr', r.mrr::text), ('arr', r.arr::text)) x(col, v)
UNION ALL
SELECT 'renewals', r.currency, 'total', x.col, x.v
  FROM (SELECT currency, sum(mrr) AS mrr, sum(arr) AS arr FROM ren GROUP BY currency) r,
       LATERAL (VALUES ('customer_name', ''), ('template', ''), ('state', ''), ('renewal_point', ''),
                       ('term_end', ''), ('grace_ends', ''), ('mrr', r.mrr::text), ('arr', r.arr::text)) x(col, v);

-- the headline figures of each currency's section
INSERT INTO e
SELECT 'kpi', c.currency, x.rkey, 'value', coalesce(x.v, 0)::text
  FROM d, (SELECT DISTINCT currency FROM e) c
  LEFT JOIN rr.mrr_movement((SELECT m0 FROM d), (SELECT as_of + 1 FROM d)) b ON b.currency = c.currency
  LEFT JOIN (SELECT currency, sum(closing) AS closing FROM roll, d WHERE q = d.q0 GROUP BY currency) r ON r.currency = c.currency
  LEFT JOIN rr.remaining_performance_obligations((SELECT as_of FROM d)) o ON o.currency = c.currency
  LEFT JOIN (SELECT currency, sum(open_ar) AS open_ar FROM aging GROUP BY currency) a ON a.currency = c.currency,
       LATERAL (VALUES ('mrr', b.closing_mrr), ('arr', 12 * b.closing_mrr), ('net_new_mrr', b.net_new_mrr),
                       ('deferred', r.closing), ('rpo', o.total), ('open_ar', a.open_ar),
                       ('renewals_arr', (SELECT sum(n.arr) FROM ren n WHERE n.currency = c.currency))) x(rkey, v)
UNION ALL
SELECT 'kpi', c.currency, 'net_retention', 'value', b.net_retention::text
  FROM d, (SELECT DISTINCT currency FROM e) c
  LEFT JOIN rr.mrr_movement((SELECT m0 FROM d), (SELECT as_of + 1 FROM d)) b ON b.currency = c.currency;

SELECT concat_ws('|', report, currency, rkey, col, coalesce(v, '—')) FROM e ORDER BY 1;
