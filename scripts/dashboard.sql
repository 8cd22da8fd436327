-- The revenue dashboard of one tenant on one date, as one self-contained HTML page (inline
-- CSS, charts as inline SVG, no script): scripts/dashboard runs it; docs/reports.md,
-- "Dashboard", says what each chart shows.
--
--   psql -X -q -At -v tenant=TENANT -v as_of=YYYY-MM-DD -f scripts/dashboard.sql
--
-- Every number comes straight from the report functions of schema rr, in one read-only
-- snapshot; nothing here writes or creates anything (it runs on a standby and as rr_analyst).
-- Each currency has its own section: amounts in different currencies are never added.
-- The page body is built with SQL/XML (xmlelement, xmlattributes): PostgreSQL escapes every
-- text value it puts into an element or attribute, so user data (customer names) always
-- shows as text.  Only the fixed head and style sheet below are written as literal text.
--
-- search_path is pg_catalog, pg_temp for the transaction, so the names and operators
-- written without a schema are PostgreSQL's own (pg_temp is never searched for functions
-- or operators); the extension's are written rr.name.
--
-- Reading the query: p (the parameters), the report rows (bridge, trend, roll, wf, fc, rpo,
-- ren, aging), then two long-format sets that everything is drawn from: bars (one row per
-- bar of a chart) and cells (one row per number or text of a table or headline figure);
-- numbers are formatted in one place (fmt) and drawn in one place (parts, for the SVG).
\set ON_ERROR_STOP 1
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL search_path = pg_catalog, pg_temp;
SET LOCAL rr.tenant = :'tenant';

-- A tenant that does not exist would render an empty page (an administrator may name any
-- tenant): refuse it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM rr.tenant t WHERE t.tenant_id = (SELECT rr.current_tenant())) THEN
        RAISE EXCEPTION 'tenant "%" does not exist', current_setting('rr.tenant')
            USING ERRCODE = '42704',
                  HINT = 'Name a tenant of table rr.tenant with --tenant.';
    END IF;
END
$$;

WITH p AS (
    SELECT d AS as_of, date_trunc('month', d)::date AS month_start,
           (SELECT rr.current_tenant()) AS tenant
      FROM (SELECT CAST(:'as_of' AS date) AS d) x
),
-- MRR bridge of the as_of's month to date: rr.mrr_movement(first of month, as_of + 1)
bridge AS (
    SELECT m.* FROM p, rr.mrr_movement(p.month_start, p.as_of + 1) m
),
-- ARR on 12 month ends: the 11 before as_of's month and as_of itself (rr.mrr_as_of)
points AS (
    SELECT k, CASE WHEN k = 0 THEN p.as_of
                   ELSE (p.month_start - make_interval(months => k - 1)
                         - '1 day'::interval)::date END AS point
      FROM p, generate_series(0, 11) k
),
trend_raw AS (
    SELECT t.k, m.currency, sum(m.mrr) AS mrr, sum(m.arr) AS arr, count(*) AS contracts
      FROM points t CROSS JOIN LATERAL rr.mrr_as_of(t.point) m
     GROUP BY t.k, m.currency
),
trend AS (
    SELECT t.k, t.point, c.currency, coalesce(r.mrr, 0) AS mrr, coalesce(r.arr, 0) AS arr,
           coalesce(r.contracts, 0) AS contracts
      FROM points t
     CROSS JOIN (SELECT DISTINCT r.currency FROM trend_raw r) c
      LEFT JOIN trend_raw r ON r.k = t.k AND r.currency = c.currency
),
-- deferred revenue roll-forward of the four quarters up to as_of (the last one to date),
-- summed over the deferred revenue accounts of each currency
quarters AS (
    SELECT q, s AS q_start,
           LEAST((s + '3 months'::interval)::date, p.as_of + 1) AS q_end
      FROM p, generate_series(0, 3) q,
           LATERAL (SELECT (date_trunc('quarter', p.as_of)
                            - make_interval(months => 3 * q))::date AS s) x
),
roll_raw AS (
    SELECT q.q, r.currency, sum(r.opening) AS opening, sum(r.billed) AS billed, sum(r.credited) AS credited,
           sum(r.recognised) AS recognised, sum(r.other) AS other, sum(r.closing) AS closing
      FROM quarters q CROSS JOIN LATERAL rr.deferred_revenue_rollforward(q.q_start, q.q_end) r
     GROUP BY q.q, r.currency
),
roll AS (
    SELECT q.q, q.q_start, q.q_end, c.currency, coalesce(r.opening, 0) AS opening, coalesce(r.billed, 0) AS billed,
           coalesce(r.credited, 0) AS credited, coalesce(r.recognised, 0) AS recognised,
           coalesce(r.other, 0) AS other, coalesce(r.closing, 0) AS closing
      FROM quarters q
     CROSS JOIN (SELECT DISTINCT r.currency FROM roll_raw r) c
      LEFT JOIN roll_raw r ON r.q = q.q AND r.currency = c.currency
),
-- deferred revenue waterfall by billing month as of as_of (rr.deferred_revenue_waterfall),
-- summed over the deferred revenue accounts of each currency: per billing month what it
-- deferred, what later months recognised, credited or otherwise took (every row of the
-- billing month up to as_of), and what remains (its last row); the 12 latest billing months
wf_raw AS (
    SELECT w.* FROM p, rr.deferred_revenue_waterfall(p.as_of) w
),
wf AS (
    SELECT x.*, row_number() OVER (PARTITION BY x.currency ORDER BY x.billing_month DESC) AS recent
      FROM (SELECT t.currency, t.billing_month, sum(l.deferred) AS deferred, sum(t.recognised) AS recognised,
                   sum(t.credited) AS credited, sum(t.other) AS other, sum(l.remaining) AS remaining
              FROM (SELECT w.currency, w.account, w.billing_month, sum(w.recognised) AS recognised,
                           sum(w.credited) AS credited, sum(w.other) AS other, max(w.month) AS last_month
                      FROM wf_raw w GROUP BY w.currency, w.account, w.billing_month) t
              JOIN wf_raw l ON l.currency = t.currency AND l.account = t.account
                           AND l.billing_month = t.billing_month AND l.month = t.last_month
             GROUP BY t.currency, t.billing_month) x
),
-- revenue forecast: as_of's month (what is scheduled and not recognised by as_of) and the
-- next 12 months, every month shown (rr.revenue_forecast(as_of, 13))
fc_raw AS (
    SELECT f.* FROM p, rr.revenue_forecast(p.as_of, 13) f
),
fc AS (
    SELECT c.currency, m.n, m.month, coalesce(f.scheduled, 0) AS scheduled, coalesce(f.contracts, 0) AS contracts
      FROM (SELECT n, (p.month_start + make_interval(months => n))::date AS month
              FROM p, generate_series(0, 12) n) m
     CROSS JOIN (SELECT DISTINCT f.currency FROM fc_raw f) c
      LEFT JOIN fc_raw f ON f.currency = c.currency AND f.month = m.month
),
rpo AS (
    SELECT r.* FROM p, rr.remaining_performance_obligations(p.as_of) r
),
-- renewals due or in grace on as_of: rr.contract_renewals_as_of gives each contract as it
-- stood then (the term in force, its renewal point, grace and state).  Value: the MRR on
-- the last day of that term.
ren_due AS (
    SELECT r.contract_id, r.customer, r.template, r.status, r.contract_type, r.renewal_count,
           r.end_date AS term_end, r.renewal_point, r.grace_ends, r.renewal_state AS state
      FROM p CROSS JOIN LATERAL rr.contract_renewals_as_of(p.as_of) r
     WHERE r.renewal_state = ANY (ARRAY['due', 'in_grace'])
),
ren_value AS (
    SELECT e.term_end, m.contract_id, m.mrr, m.arr
      FROM (SELECT DISTINCT d.term_end FROM ren_due d) e
     CROSS JOIN LATERAL rr.mrr_as_of(e.term_end - 1) m
),
ren AS (
    SELECT d.*, k.currency, cu.name AS customer_name, coalesce(v.mrr, 0) AS mrr, coalesce(v.arr, 0) AS arr
      FROM ren_due d
      CROSS JOIN p
      JOIN rr.contract k ON k.tenant_id = p.tenant AND k.contract_id = d.contract_id
      JOIN rr.customer cu ON cu.tenant_id = p.tenant AND cu.code = d.customer
      LEFT JOIN ren_value v ON v.contract_id = d.contract_id AND v.term_end = d.term_end
),
aging AS (
    SELECT a.*, cu.name AS customer_name
      FROM p CROSS JOIN LATERAL rr.ar_aging(p.as_of) a
      LEFT JOIN rr.customer cu ON cu.tenant_id = p.tenant AND cu.code = a.customer
),
-- one section per currency that any report has, with its minor units and number mask
cur AS (
    SELECT c.code AS currency, c.name AS currency_name, c.minor_units,
           'FM999,999,999,999,999,999,999,990' || CASE WHEN c.minor_units > 0
                                                       THEN '.' || repeat('0', c.minor_units) ELSE '' END AS mask
      FROM rr.currency c
     WHERE c.code IN (SELECT currency FROM bridge UNION SELECT currency FROM trend UNION SELECT currency FROM roll
                      UNION SELECT currency FROM fc UNION SELECT currency FROM rpo UNION SELECT currency FROM ren
                      UNION SELECT currency FROM aging UNION SELECT currency FROM wf)
),
-- The charts, one row per bar: seq orders the bars, grp groups them under one x-axis label
-- (grp1, grp2: two lines), v0 -> v1 is the bar (a floating bar in a waterfall), shown the
-- value printed above it (signed: with + or -), cls its colour.
bars (currency, chart, seq, grp, grp1, grp2, v0, v1, shown, signed, cls) AS (
    SELECT b.currency, 'bridge', x.seq, x.seq, x.g1, x.g2, x.v0, x.v1, x.shown, x.signed, x.cls
      FROM bridge b, p,
           LATERAL (VALUES
               (1, 'Opening', to_char(p.month_start - 1, 'FMDD Mon'), 0::numeric, b.opening_mrr, b.opening_mrr, false, 'total'),
               (2, 'New', '', b.opening_mrr, b.opening_mrr + b.new_mrr, b.new_mrr, true, 'up'),
               (3, 'Expansion', '', b.opening_mrr + b.new_mrr,
                   b.opening_mrr + b.new_mrr + b.expansion_mrr, b.expansion_mrr, true, 'up'),
               (4, 'Reactivation', '', b.opening_mrr + b.new_mrr + b.expansion_mrr,
                   b.opening_mrr + b.new_mrr + b.expansion_mrr + b.reactivation_mrr,
                   b.reactivation_mrr, true, 'up'),
               (5, 'Contraction', '', b.closing_mrr + b.churned_mrr + b.contraction_mrr,
                   b.closing_mrr + b.churned_mrr, -b.contraction_mrr, true, 'down'),
               (6, 'Churn', '', b.closing_mrr + b.churned_mrr, b.closing_mrr, -b.churned_mrr, true, 'down'),
               (7, 'Closing', to_char(p.as_of, 'FMDD Mon'), 0, b.closing_mrr, b.closing_mrr, false, 'total')
           ) x(seq, g1, g2, v0, v1, shown, signed, cls)
    UNION ALL
    SELECT t.currency, 'arr', 12 - t.k, 12 - t.k,
           to_char(t.point, 'Mon'), to_char(t.point, 'YYYY'), 0, t.arr, t.arr, false,
           CASE WHEN t.k = 0 THEN 'total' ELSE 'past' END
      FROM trend t
    UNION ALL
    -- the roll-forward as one waterfall: the first opening, then each quarter's movements
    -- and its closing (the next quarter's opening); credited and other only when not all zero
    SELECT r.currency, 'deferred', 0, 0, 'Opening', to_char(r.q_start, 'FMDD Mon'), 0, r.opening, r.opening, false, 'total'
      FROM roll r WHERE r.q = 3
    UNION ALL
    SELECT r.currency, 'deferred', (3 - r.q) * 10 + x.n,
           4 - r.q,
           'Q' || to_char(r.q_start, 'Q YYYY'),
           CASE WHEN r.q_end < (r.q_start + '3 months'::interval)::date
                THEN 'to ' || to_char(r.q_end - 1, 'FMDD Mon') ELSE '' END,
           x.v0, x.v1, x.v1 - x.v0, x.n < 5, x.cls
      FROM roll r
     CROSS JOIN LATERAL (VALUES
         (1, r.opening, r.opening + r.billed, 'billed'),
         (2, r.opening + r.billed, r.opening + r.billed + r.credited, 'credited'),
         (3, r.opening + r.billed + r.credited, r.closing - r.other, 'recognised'),
         (4, r.closing - r.other, r.closing, 'other'),
         (5, 0, r.closing, 'total')) x(n, v0, v1, cls)
     WHERE x.cls <> ALL (ARRAY['credited', 'other'])
        OR EXISTS (SELECT FROM roll o WHERE o.currency = r.currency
                      AND CASE x.cls WHEN 'credited' THEN o.credited ELSE o.other END <> 0)
    UNION ALL
    -- what each of the 12 latest billing months still defers
    SELECT w.currency, 'waterfall', 13 - w.recent, 13 - w.recent, to_char(w.billing_month, 'Mon'),
           to_char(w.billing_month, 'YYYY'), 0, w.remaining, w.remaining, false, 'total'
      FROM wf w WHERE w.recent <= 12
    UNION ALL
    SELECT f.currency, 'forecast', f.n, f.n, to_char(f.month, 'Mon'), to_char(f.month, 'YYYY'),
           0, f.scheduled, f.scheduled, false, 'forecast'
      FROM fc f
    UNION ALL
    SELECT r.currency, 'rpo', x.seq, x.seq, x.g1, x.g2, 0, x.v, x.v, false, x.cls
      FROM rpo r,
           LATERAL (VALUES (1, 'Within', '12 months', r.within_12_months, 'within'),
                           (2, 'Beyond', '12 months', r.beyond_12_months, 'beyond'),
                           (3, 'Total', '', r.total, 'total')) x(seq, g1, g2, v, cls)
    UNION ALL
    SELECT a.currency, 'aging', x.seq, x.seq, x.g1, x.g2, 0, x.v, x.v, false, x.cls
      FROM (SELECT a.currency, sum(a.current) AS current, sum(a.days_1_30) AS d30, sum(a.days_31_60) AS d60,
                   sum(a.days_61_90) AS d90, sum(a.over_90) AS over
              FROM aging a GROUP BY a.currency) a,
           LATERAL (VALUES (1, 'Current', 'not yet due', a.current, 'age0'), (2, '1–30', 'days', a.d30, 'age1'),
                           (3, '31–60', 'days', a.d60, 'age2'), (4, '61–90', 'days', a.d90, 'age3'),
                           (5, 'Over 90', 'days', a.over, 'age4')) x(seq, g1, g2, v, cls)
    UNION ALL
    -- the 12 largest renewals by ARR
    SELECT r.currency, 'renewals', r.seq, r.seq, r.customer, '#' || r.contract_id, 0, r.arr, r.arr, false, r.state
      FROM (SELECT r.*, row_number() OVER (PARTITION BY r.currency ORDER BY r.arr DESC, r.contract_id) AS seq
              FROM ren r) r
     WHERE r.seq <= 12
),
-- The tables and headline figures, one row per cell: table tbl, row r (rkey names it for
-- the test, rlabel is its first column), column c (ckey, clabel), and a number (num,
-- formatted by kind: money, count, pct) or a text (txt).
cells (currency, tbl, r, rkey, rlabel, rclass, c, ckey, clabel, kind, num, txt) AS (
    SELECT b.currency, 'bridge', x.r, x.rkey, x.rlabel, x.rclass, y.c, y.ckey, y.clabel, y.kind, y.num, NULL::text
      FROM bridge b, p,
           LATERAL (VALUES
               (1, 'opening', 'Opening MRR (' || to_char(p.month_start - 1, 'FMDD Mon YYYY') || ')', 'total', 'money', b.opening_mrr, b.customers_opening),
               (2, 'new', '+ New', '', 'money', b.new_mrr, b.customers_new),
               (3, 'expansion', '+ Expansion', '', 'money', b.expansion_mrr, NULL),
               (4, 'reactivation', '+ Reactivation', '', 'money', b.reactivation_mrr, b.customers_reactivated),
               (5, 'contraction', '− Contraction', '', 'money', -b.contraction_mrr, NULL),
               (6, 'churned', '− Churn', '', 'money', -b.churned_mrr, b.customers_churned),
               (7, 'closing', 'Closing MRR (' || to_char(p.as_of, 'FMDD Mon YYYY') || ')', 'total', 'money', b.closing_mrr, b.customers_closing),
               (8, 'net_new', 'Net new MRR', '', 'money', b.net_new_mrr, NULL),
               (9, 'gross_retention', 'Gross revenue retention', '', 'pct', b.gross_retention, NULL),
               (10, 'net_retention', 'Net revenue retention', '', 'pct', b.net_retention, NULL)
           ) x(r, rkey, rlabel, rclass, kind, amount, customers),
           LATERAL (VALUES (1, 'mrr', 'MRR (' || b.currency || ')', x.kind, x.amount),
                           (2, 'customers', 'Customers', 'count', x.customers)) y(c, ckey, clabel, kind, num)
    UNION ALL
    SELECT t.currency, 'arr', 12 - t.k, t.point::text, to_char(t.point, 'FMDD Mon YYYY'),
           CASE WHEN t.k = 0 THEN 'total' ELSE '' END, y.c, y.ckey, y.clabel, y.kind, y.num, NULL
      FROM trend t,
           LATERAL (VALUES (1, 'mrr', 'MRR (' || t.currency || ')', 'money', t.mrr),
                           (2, 'arr', 'ARR (' || t.currency || ')', 'money', t.arr),
                           (3, 'contracts', 'Contracts', 'count', t.contracts)) y(c, ckey, clabel, kind, num)
    UNION ALL
    SELECT r.currency, 'deferred', 4 - r.q, r.q_start::text,
           'Q' || to_char(r.q_start, 'Q YYYY')
           || CASE WHEN r.q_end < (r.q_start + '3 months'::interval)::date
                   THEN ' to ' || to_char(r.q_end - 1, 'FMDD Mon') ELSE '' END,
           '', y.c, y.ckey, y.clabel, 'money', y.num, NULL
      FROM roll r,
           LATERAL (VALUES (1, 'opening', 'Opening', r.opening), (2, 'billed', '+ Billed', r.billed),
                           (3, 'credited', '+ Credited', r.credited), (4, 'recognised', '+ Recognised', r.recognised),
                           (5, 'other', '+ Other', r.other), (6, 'closing', 'Closing', r.closing)) y(c, ckey, clabel, num)
    UNION ALL
    SELECT w.currency, 'waterfall', 13 - w.recent, w.billing_month::text, to_char(w.billing_month, 'Mon YYYY'),
           '', y.c, y.ckey, y.clabel, 'money', y.num, NULL
      FROM wf w,
           LATERAL (VALUES (1, 'deferred', 'Deferred', w.deferred), (2, 'recognised', 'Recognised', w.recognised),
                           (3, 'credited', 'Credited', w.credited), (4, 'other', 'Other', w.other),
                           (5, 'remaining', 'Remaining', w.remaining)) y(c, ckey, clabel, num)
     WHERE w.recent <= 12
    UNION ALL
    SELECT f.currency, 'forecast', f.n, f.month::text,
           to_char(f.month, 'Mon YYYY') || CASE WHEN f.n = 0 THEN ' *' ELSE '' END,
           '', y.c, y.ckey, y.clabel, y.kind, y.num, NULL
      FROM fc f,
           LATERAL (VALUES (1, 'scheduled', 'Scheduled revenue (' || f.currency || ')', 'money', f.scheduled),
                           (2, 'contracts', 'Contracts', 'count', f.contracts)) y(c, ckey, clabel, kind, num)
    UNION ALL
    SELECT r.currency, 'rpo', x.r, x.rkey, x.rlabel, x.rclass, 1, 'amount', 'RPO (' || r.currency || ')', 'money', x.v, NULL
      FROM rpo r, p,
           LATERAL (VALUES (1, 'within_12_months', 'Within 12 months (to ' || to_char(p.as_of + '1 year'::interval, 'FMDD Mon YYYY') || ')', '', r.within_12_months),
                           (2, 'beyond_12_months', 'Beyond 12 months', '', r.beyond_12_months),
                           (3, 'total', 'Total', 'total', r.total)) x(r, rkey, rlabel, rclass, v)
    UNION ALL
    SELECT a.currency, 'aging', a.r, a.rkey, a.rlabel, a.rclass, y.c, y.ckey, y.clabel, y.kind, y.num, y.txt
      FROM (SELECT a.currency, row_number() OVER (PARTITION BY a.currency ORDER BY a.customer) AS r,
                   a.customer AS rkey, coalesce(a.customer_name, a.customer) AS rlabel, '' AS rclass,
                   a.current, a.days_1_30, a.days_31_60, a.days_61_90, a.over_90, a.open_ar, a.unapplied_credit
              FROM aging a
            UNION ALL
            SELECT a.currency, 1000000, 'total', 'Total', 'total', sum(a.current), sum(a.days_1_30), sum(a.days_31_60),
                   sum(a.days_61_90), sum(a.over_90), sum(a.open_ar), sum(a.unapplied_credit)
              FROM aging a GROUP BY a.currency) a,
           LATERAL (VALUES (1, 'current', 'Current', 'money', a.current, NULL::text),
                           (2, 'days_1_30', '1–30 days', 'money', a.days_1_30, NULL),
                           (3, 'days_31_60', '31–60 days', 'money', a.days_31_60, NULL),
                           (4, 'days_61_90', '61–90 days', 'money', a.days_61_90, NULL),
                           (5, 'over_90', 'Over 90 days', 'money', a.over_90, NULL),
                           (6, 'open_ar', 'Open AR (' || a.currency || ')', 'money', a.open_ar, NULL),
                           (7, 'unapplied_credit', 'Unapplied credit', 'money', a.unapplied_credit, NULL)) y(c, ckey, clabel, kind, num, txt)
    UNION ALL
    SELECT r.currency, 'renewals', r.r, r.rkey, r.rlabel, r.rclass, y.c, y.ckey, y.clabel, y.kind, y.num, y.txt
      FROM (SELECT r.currency, row_number() OVER (PARTITION BY r.currency ORDER BY r.term_end, r.contract_id) AS r,
                   r.contract_id::text AS rkey, '#' || r.contract_id || ' ' || r.customer AS rlabel, '' AS rclass,
                   r.customer_name, r.template, CASE r.state WHEN 'due' THEN 'Due' ELSE 'In grace' END AS state,
                   to_char(r.term_end, 'FMDD Mon YYYY') AS term_end,
                   to_char(r.renewal_point, 'FMDD Mon YYYY') AS renewal_point,
                   to_char(r.grace_ends, 'FMDD Mon YYYY') AS grace_ends, r.mrr, r.arr
              FROM ren r
            UNION ALL
            SELECT r.currency, 1000000, 'total', 'Total (' || count(*) || ')', 'total', '', '', '', '', '', '', sum(r.mrr), sum(r.arr)
              FROM ren r GROUP BY r.currency) r,
           LATERAL (VALUES (1, 'customer_name', 'Customer', 'text', NULL::numeric, r.customer_name),
                           (2, 'template', 'Template', 'text', NULL, r.template),
                           (3, 'state', 'State', 'text', NULL, r.state),
                           (4, 'renewal_point', 'Renewal point', 'text', NULL, r.renewal_point),
                           (5, 'term_end', 'Term end', 'text', NULL, r.term_end),
                           (6, 'grace_ends', 'Grace ends', 'text', NULL, r.grace_ends),
                           (7, 'mrr', 'MRR (' || r.currency || ')', 'money', r.mrr, NULL),
                           (8, 'arr', 'ARR (' || r.currency || ')', 'money', r.arr, NULL)) y(c, ckey, clabel, kind, num, txt)
    UNION ALL
    -- the headline figures: column 1 the value, column 2 a note under it
    SELECT c.currency, 'kpi', x.r, x.rkey, x.rlabel, '', y.c, y.ckey, '', y.kind, y.num, y.txt
      FROM cur c
      CROSS JOIN p
      LEFT JOIN bridge b ON b.currency = c.currency
      LEFT JOIN roll r ON r.currency = c.currency AND r.q = 0
      LEFT JOIN rpo o ON o.currency = c.currency
      LEFT JOIN (SELECT a.currency, sum(a.open_ar) AS open_ar, sum(a.open_ar - a.current) AS overdue
                   FROM aging a GROUP BY a.currency) a ON a.currency = c.currency
      LEFT JOIN (SELECT r.currency, count(*) AS n, sum(r.arr) AS arr FROM ren r GROUP BY r.currency) n
             ON n.currency = c.currency
      CROSS JOIN LATERAL (VALUES
          (1, 'mrr', 'MRR', 'money', coalesce(b.closing_mrr, 0), 'on ' || to_char(p.as_of, 'FMDD Mon YYYY')),
          (2, 'arr', 'ARR', 'money', 12 * coalesce(b.closing_mrr, 0), '12 × MRR'),
          (3, 'net_new_mrr', 'Net new MRR', 'money', coalesce(b.net_new_mrr, 0), 'since ' || to_char(p.month_start, 'FMDD Mon')),
          (4, 'net_retention', 'Net revenue retention', 'pct', b.net_retention,
              'gross ' || coalesce(to_char(b.gross_retention * 100, 'FM999,990.00') || ' %', 'n/a')),
          (5, 'deferred', 'Deferred revenue', 'money', coalesce(r.closing, 0), 'balance on ' || to_char(p.as_of, 'FMDD Mon YYYY')),
          (6, 'rpo', 'Remaining performance obligations', 'money', coalesce(o.total, 0),
              coalesce(to_char(o.within_12_months * 100 / nullif(o.total, 0), 'FM990') || ' % within 12 months', 'none')),
          (7, 'open_ar', 'Open receivables', 'money', coalesce(a.open_ar, 0), NULL),
          (8, 'renewals_arr', 'ARR up for renewal', 'money', coalesce(n.arr, 0),
              coalesce(n.n, 0) || CASE WHEN coalesce(n.n, 0) = 1 THEN ' contract' ELSE ' contracts' END || ' due or in grace')
      ) x(r, rkey, rlabel, kind, num, note)
      CROSS JOIN LATERAL (VALUES (1, 'value', x.kind, x.num, NULL::text),
                                 (2, 'note', 'text', NULL, x.note)) y(c, ckey, kind, num, txt)
),
-- overdue receivables are the kpi note of open_ar: a money amount, so formatted below
kpi_overdue AS (
    SELECT a.currency, sum(a.open_ar - a.current) AS overdue FROM aging a GROUP BY a.currency
),
-- every number of the page formatted once: thousands separators, the currency's minor
-- units, a true minus sign; NULL shows as a dash
fmt AS (
    SELECT x.*, CASE WHEN x.kind = 'text' THEN coalesce(x.txt, '')
                     WHEN x.num IS NULL THEN '—'
                     ELSE replace(CASE x.kind
                              WHEN 'money' THEN to_char(round(x.num, c.minor_units), c.mask)
                              WHEN 'count' THEN to_char(x.num, 'FM999,999,999,999,990')
                              WHEN 'pct' THEN to_char(x.num * 100, 'FM999,999,990.00') || ' %' END,
                              '-', '−') END AS shown
      FROM (SELECT * FROM cells
            UNION ALL
            SELECT o.currency, 'kpi_note', 7, 'open_ar', '', '', 2, 'note', '', 'money', o.overdue, NULL
              FROM kpi_overdue o) x
      JOIN cur c ON c.currency = x.currency
),
-- Chart geometry.  viewBox 560 x 250; the plot runs from x 64 to 552 and from y 12 (top)
-- to 196 (the axis); the y scale is the bars' range with 0, in a "nice" step (1, 2, 2.5, 5
-- × a power of ten) for about four grid lines.
rng AS (
    SELECT b.currency, b.chart, count(*) AS n,
           LEAST(0, min(LEAST(b.v0, b.v1))) AS lo, GREATEST(0, max(GREATEST(b.v0, b.v1))) AS hi
      FROM bars b GROUP BY b.currency, b.chart
),
scale AS (
    SELECT r.*, s.step,
           floor(r.lo / s.step) * s.step AS ylo,
           GREATEST(ceil(r.hi / s.step), floor(r.lo / s.step) + 1)
               * s.step AS yhi,
           488.0 / r.n AS slot
      FROM rng r
     CROSS JOIN LATERAL (SELECT CASE WHEN r.hi > r.lo THEN (r.hi - r.lo) / 4 ELSE 1 END AS raw) w
     CROSS JOIN LATERAL (SELECT power(10::numeric, floor(log(w.raw))) AS mag) m
     CROSS JOIN LATERAL (SELECT m.mag * 
                                CASE WHEN w.raw / m.mag <= 1 THEN 1
                                     WHEN w.raw / m.mag <= 2 THEN 2
                                     WHEN w.raw / m.mag <= 2.5 THEN 2.5
                                     WHEN w.raw / m.mag <= 5 THEN 5
                                     ELSE 10 END AS step) s
),
-- each bar placed: its index i (0-based), left edge x, width w, top and bottom in pixels
placed AS (
    SELECT b.*, s.n, s.slot, s.ylo, s.yhi, x.i,
           64 + x.i * s.slot
              + (s.slot - LEAST(s.slot * 0.64, 56)) / 2 AS x,
           LEAST(s.slot * 0.64, 56) AS w,
           196 - (GREATEST(b.v0, b.v1) - s.ylo) * 184
               / (s.yhi - s.ylo) AS ytop,
           196 - (LEAST(b.v0, b.v1) - s.ylo) * 184
               / (s.yhi - s.ylo) AS ybot,
           196 - (b.v1 - s.ylo) * 184
               / (s.yhi - s.ylo) AS yend
      FROM bars b
      JOIN scale s USING (currency, chart)
     CROSS JOIN LATERAL (SELECT count(*) AS i FROM bars o
                          WHERE o.currency = b.currency AND o.chart = b.chart AND o.seq < b.seq) x
),
-- the numbers drawn in the charts, compact (1.2k, 3.4M): the y-axis ticks, and the value
-- above each bar when a chart has 13 bars or fewer
nums AS (
    SELECT s.currency, s.chart, 'tick' AS what, t AS ord, 58::numeric AS x,
           196 - (t * s.step) * 184
               / (s.yhi - s.ylo) AS y,
           s.ylo + t * s.step AS v, false AS signed
      FROM scale s, generate_series(0, ((s.yhi - s.ylo) / s.step)::int) t
    UNION ALL
    SELECT b.currency, b.chart, 'value', b.i, b.x + b.w / 2, b.ytop, b.shown, b.signed
      FROM placed b WHERE b.n <= 13
),
nums_fmt AS (
    SELECT n.*, CASE WHEN n.signed AND n.v > 0 THEN '+' ELSE '' END
                || replace(CASE WHEN abs(n.v) >= 1e9
                                           THEN rtrim(to_char(n.v / 1e9, 'FM999,999,990.99'), '.') || 'B'
                                           WHEN abs(n.v) >= 1e6
                                           THEN rtrim(to_char(n.v / 1e6, 'FM990.99'), '.') || 'M'
                                           WHEN abs(n.v) >= 1e4
                                           THEN rtrim(to_char(n.v / 1e3, 'FM990.9'), '.') || 'k'
                                           WHEN abs(n.v) >= 1e3
                                           THEN rtrim(to_char(n.v / 1e3, 'FM990.99'), '.') || 'k'
                                           ELSE rtrim(to_char(n.v, 'FM990.99'), '.') END, '-', '−') AS label
      FROM nums n
),
-- every element of every chart, in drawing order (layer, ord)
parts (currency, chart, layer, ord, el) AS (
    SELECT n.currency, n.chart, 1, n.ord,
           xmlconcat(xmlelement(name line, xmlattributes(64 AS x1, 552 AS x2, round(n.y, 1) AS y1, round(n.y, 1) AS y2,
                                                         CASE WHEN n.v = 0 THEN 'zero' ELSE 'grid' END AS class)),
                     xmlelement(name text, xmlattributes(n.x AS x, round(n.y + 3.5, 1) AS y, 'end' AS "text-anchor"), n.label))
      FROM nums_fmt n WHERE n.what = 'tick'
    UNION ALL
    SELECT b.currency, b.chart, 2, b.i,
           xmlelement(name rect, xmlattributes(round(b.x, 1) AS x, round(b.ytop, 1) AS y, round(b.w, 1) AS width,
                                               round(GREATEST(b.ybot - b.ytop, 1), 1) AS height, 'bar ' || b.cls AS class),
                      xmlelement(name title, concat_ws(' ', b.grp1, b.grp2) || ': ' || f.shown || ' ' || b.currency))
      FROM placed b
      JOIN LATERAL (SELECT CASE WHEN b.signed AND b.shown > 0 THEN '+' ELSE '' END
                           || replace(to_char(round(b.shown, c.minor_units), c.mask), '-', '−') AS shown
                      FROM cur c WHERE c.currency = b.currency) f ON true
    UNION ALL
    -- waterfall connectors: from the end of a bar to the start of the next
    SELECT b.currency, b.chart, 3, b.i,
           xmlelement(name line, xmlattributes(round(b.x + b.w, 1) AS x1,
                                               round(b.x + b.slot, 1) AS x2,
                                               round(b.yend, 1) AS y1, round(b.yend, 1) AS y2, 'conn' AS class))
      FROM placed b
     WHERE b.chart = ANY (ARRAY['bridge', 'deferred']) AND b.i < b.n - 1
    UNION ALL
    SELECT n.currency, n.chart, 4, n.ord,
           xmlelement(name text, xmlattributes(round(n.x, 1) AS x, round(n.y - 4, 1) AS y,
                                               'middle' AS "text-anchor", 'val' AS class), n.label)
      FROM nums_fmt n WHERE n.what = 'value'
    UNION ALL
    -- x-axis labels, one per group of bars, centred under it
    SELECT g.currency, g.chart, 5, g.grp,
           xmlelement(name text, xmlattributes(g.cx AS x, 210 AS y, 'middle' AS "text-anchor"),
                      xmlelement(name tspan, g.grp1),
                      xmlelement(name tspan, xmlattributes(g.cx AS x, 12 AS dy, 'sub' AS class), g.grp2))
      FROM (SELECT b.currency, b.chart, b.grp, min(b.grp1) AS grp1, min(b.grp2) AS grp2,
                   round(avg(b.x + b.w / 2), 1) AS cx
              FROM placed b GROUP BY b.currency, b.chart, b.grp) g
),
-- what each card is: its title, the call its numbers come from, the axis titles, the
-- table's first column, and what it says when it has nothing to show
meta (chart, ord, wide, title, src, y_title, x_title, first_col, empty, legend) AS (
    SELECT x.* FROM p, LATERAL (VALUES
        ('bridge', 1, false, 'MRR bridge, ' || to_char(p.month_start, 'FMDD') || '–' || to_char(p.as_of, 'FMDD Mon YYYY'),
         'rr.mrr_movement(''' || p.month_start || ''', ''' || (p.as_of + 1) || ''')',
         'MRR', '', 'Component', 'No MRR in this currency at either end of the month.', false),
        ('arr', 2, false, 'ARR trend, 12 month ends',
         'sum(arr) of rr.mrr_as_of(d) for each month end d up to ' || p.as_of,
         'ARR', 'Month end', 'Month end', 'No recurring revenue in this currency in the last 12 months.', false),
        ('deferred', 5, true, 'Deferred revenue roll-forward by quarter',
         'rr.deferred_revenue_rollforward(quarter start, quarter end), all deferred revenue accounts',
         'Deferred revenue', 'Quarter', 'Quarter', 'No deferred revenue postings in this currency.', true),
        ('forecast', 3, false, 'Revenue forecast, next 12 months',
         'rr.revenue_forecast(''' || p.as_of || ''', 13)',
         'Scheduled revenue', 'Month', 'Month', 'No revenue scheduled in this currency.', false),
        ('rpo', 4, false, 'Remaining performance obligations',
         'rr.remaining_performance_obligations(''' || p.as_of || ''')',
         'Revenue not yet recognised', '', 'When it is scheduled', 'No remaining performance obligations in this currency.', false),
        ('waterfall', 6, true, 'Deferred revenue waterfall by billing month',
         'rr.deferred_revenue_waterfall(''' || p.as_of || '''), all deferred revenue accounts, the 12 latest billing months',
         'Still deferred', 'Billing month', 'Billing month', 'No deferred revenue in this currency.', false),
        ('aging', 7, true, 'Receivables aging on ' || to_char(p.as_of, 'FMDD Mon YYYY'),
         'rr.ar_aging(''' || p.as_of || ''')',
         'Open receivables', 'Days past the due date', 'Customer', 'No open receivables in this currency.', false),
        ('renewals', 8, true, 'Renewals due or in grace on ' || to_char(p.as_of, 'FMDD Mon YYYY'),
         'rr.contract_renewals_as_of(''' || p.as_of || '''), value rr.mrr_as_of(last day of the term)',
         'ARR up for renewal', 'Contract (12 largest)', 'Contract', 'No contract is due for renewal or in its grace period.', true)
    ) x(chart, ord, wide, title, src, y_title, x_title, first_col, empty, legend)
),
legend_text (cls, label) AS (
    VALUES ('total', 'Balance'), ('billed', 'Billed'), ('credited', 'Credited'), ('recognised', 'Recognised'),
           ('other', 'Other postings'), ('due', 'Due'), ('in_grace', 'In grace')
),
svgs AS (
    SELECT pt.currency, pt.chart,
           xmlelement(name svg, xmlattributes('http://www.w3.org/2000/svg' AS xmlns, '0 0 560 250' AS "viewBox",
                                              'img' AS role, m.title AS "aria-label"),
                      xmlagg(pt.el ORDER BY pt.layer, pt.ord),
                      xmlelement(name text, xmlattributes('ytitle' AS class, 'rotate(-90 14 104)' AS transform, 14 AS x, 104 AS y,
                                                          'middle' AS "text-anchor"), m.y_title || ' (' || pt.currency || ')'),
                      CASE WHEN m.x_title <> ''
                           THEN xmlelement(name text, xmlattributes('xtitle' AS class, 308 AS x, 244 AS y, 'middle' AS "text-anchor"), m.x_title) END
           ) AS svg
      FROM parts pt JOIN meta m USING (chart)
     GROUP BY pt.currency, pt.chart, m.title, m.y_title, m.x_title
),
legends AS (
    SELECT b.currency, b.chart,
           xmlelement(name p, xmlattributes('legend' AS class),
                      xmlagg(xmlelement(name span, xmlelement(name i, xmlattributes('sw ' || b.cls AS class), ''), l.label)
                             ORDER BY b.first_seq)) AS legend
      FROM (SELECT b.currency, b.chart, b.cls, min(b.seq) AS first_seq FROM bars b GROUP BY b.currency, b.chart, b.cls) b
      JOIN legend_text l USING (cls)
      JOIN meta m ON m.chart = b.chart AND m.legend
     GROUP BY b.currency, b.chart
),
-- the tables: a header row from the columns, then one row per r
trows AS (
    SELECT f.currency, f.tbl, f.r,
           xmlelement(name tr, xmlattributes(f.rkey AS "data-key", nullif(f.rclass, '') AS class),
                      xmlelement(name th, xmlattributes('row' AS scope), f.rlabel),
                      xmlagg(xmlelement(name td, xmlattributes(CASE WHEN f.kind = 'text' THEN 'txt' END AS class), f.shown)
                             ORDER BY f.c)) AS tr
      FROM fmt f
     WHERE f.tbl <> ALL (ARRAY['kpi', 'kpi_note'])
     GROUP BY f.currency, f.tbl, f.r, f.rkey, f.rlabel, f.rclass
),
theads AS (
    SELECT h.currency, h.tbl,
           xmlelement(name tr, xmlelement(name th, m.first_col),
                      xmlagg(xmlelement(name th, xmlattributes(h.ckey AS "data-col", CASE WHEN h.kind = 'text' THEN 'txt' END AS class),
                                        h.clabel) ORDER BY h.c)) AS tr
      FROM (SELECT DISTINCT ON (f.currency, f.tbl, f.c) f.currency, f.tbl, f.c, f.ckey, f.clabel, f.kind
              FROM fmt f ORDER BY f.currency, f.tbl, f.c, f.r) h
      JOIN meta m ON m.chart = h.tbl
     GROUP BY h.currency, h.tbl, m.first_col
),
tables AS (
    SELECT b.currency, b.tbl,
           xmlelement(name table, xmlattributes('numbers' AS class, b.tbl AS "data-report", b.currency AS "data-currency"),
                      xmlelement(name thead, h.tr), xmlelement(name tbody, b.rows)) AS tbl_xml
      FROM (SELECT t.currency, t.tbl, xmlagg(t.tr ORDER BY t.r) AS rows FROM trows t GROUP BY t.currency, t.tbl) b
      JOIN theads h USING (currency, tbl)
),
notes (chart, note) AS (
    SELECT x.* FROM p, LATERAL (VALUES
        ('bridge', 'A customer is new with no MRR at the opening and no contract in this currency paying before (a free trial converting in the window is new), reactivated with an earlier paying one, churned with none at the closing; otherwise the change is expansion or contraction.'),
        ('arr', 'ARR = 12 × MRR of the contracts in force on each day: recurring lines net of open-ended discounts; usage and one-off fees excluded.'),
        ('deferred', 'Contract liability by booking date: opening + billed + credited + recognised + other = closing (credits and recognition are negative).'),
        ('forecast', '* ' || to_char(p.month_start, 'Mon YYYY') || ': revenue scheduled up to ' || to_char(p.as_of, 'FMDD Mon')
                     || ' and not yet recognised, and the rest of the month. Usage not yet invoiced is not included.'),
        ('rpo', 'ASC 606-10-50-13: revenue allocated to obligations not yet satisfied, by when it is scheduled.'),
        ('waterfall', 'First in, first out per contract: what each billing month deferred, what later months took from it (recognised, credited, other postings), and what remains on ' || to_char(p.as_of, 'FMDD Mon YYYY') || '.'),
        ('aging', 'Open balances of posted invoices by days past their due date; unapplied credit is shown apart, not netted.'),
        ('renewals', 'Term end is exclusive (the first day not covered); value is the MRR on the last day of the term.')
    ) x(chart, note)
),
cards AS (
    SELECT c.currency, m.ord,
           xmlelement(name div, xmlattributes(CASE WHEN m.wide THEN 'card wide' ELSE 'card' END AS class, m.chart AS "data-chart"),
                      xmlelement(name h3, m.title),
                      xmlelement(name p, xmlattributes('src' AS class), m.src),
                      xmlelement(name div, xmlattributes('split' AS class),
                                 xmlelement(name div, coalesce(s.svg, xmlelement(name p, xmlattributes('empty' AS class), m.empty)), l.legend),
                                 xmlelement(name div, t.tbl_xml, xmlelement(name p, xmlattributes('note' AS class), n.note)))) AS card
      FROM cur c
     CROSS JOIN meta m
      LEFT JOIN svgs s ON s.currency = c.currency AND s.chart = m.chart
      LEFT JOIN legends l ON l.currency = c.currency AND l.chart = m.chart
      LEFT JOIN tables t ON t.currency = c.currency AND t.tbl = m.chart
      LEFT JOIN notes n ON n.chart = m.chart
),
kpis AS (
    SELECT v.currency,
           xmlelement(name div, xmlattributes('kpis' AS class),
                      xmlagg(xmlelement(name div, xmlattributes('kpi' AS class, v.rkey AS "data-key"),
                                        xmlelement(name span, xmlattributes('k' AS class), v.rlabel),
                                        xmlelement(name span, xmlattributes('v' AS class),
                                                   CASE WHEN v.kind = 'money' THEN v.currency || ' ' ELSE '' END || v.shown),
                                        xmlelement(name span, xmlattributes('n' AS class),
                                                   coalesce(nullif(n.shown, ''), CASE WHEN o.shown IS NOT NULL THEN o.shown || ' overdue' END, ' ')))
                             ORDER BY v.r)) AS kpis
      FROM fmt v
      JOIN fmt n ON n.currency = v.currency AND n.tbl = 'kpi'
                AND n.r = v.r AND n.c = 2
      LEFT JOIN fmt o ON o.currency = v.currency AND o.tbl = 'kpi_note'
                     AND o.rkey = v.rkey
     WHERE v.tbl = 'kpi' AND v.c = 1
     GROUP BY v.currency
),
sections AS (
    SELECT c.currency,
           xmlelement(name section, xmlattributes('currency' AS class, c.currency AS "data-currency"),
                      xmlelement(name h2, c.currency || ' · ' || c.currency_name),
                      (SELECT k.kpis FROM kpis k WHERE k.currency = c.currency),
                      xmlelement(name div, xmlattributes('grid' AS class), xmlagg(cd.card ORDER BY cd.ord))) AS section
      FROM cur c
      JOIN cards cd USING (currency)
     GROUP BY c.currency, c.currency_name
),
page AS (
    SELECT t.name AS tenant_name, p.*
      FROM p JOIN rr.tenant t ON t.tenant_id = p.tenant
)
SELECT '<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
       || xmlelement(name title, 'Revenue dashboard · ' || pg.tenant_name || ' · ' || to_char(pg.as_of, 'FMDD Mon YYYY'))::text
       || '<style>
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:#1f2933;font:14px/1.45 "Segoe UI",Helvetica,Arial,"DejaVu Sans",sans-serif}
header{background:#1f3a5f;color:#fff;padding:18px 32px 16px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c9d6e8;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:4px 24px 24px}
h2{font-size:18px;margin:22px 0 10px;color:#1f3a5f;border-bottom:2px solid #1f3a5f;padding-bottom:4px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin-bottom:14px}
.kpi{background:#fff;border:1px solid #dce2ea;border-left:4px solid #2f5d8a;border-radius:5px;padding:8px 12px}
.kpi span{display:block}
.kpi .k{font-size:11.5px;color:#52606d;text-transform:uppercase;letter-spacing:.03em}
.kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.kpi .n{font-size:12px;color:#7b8794}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px}
.card{background:#fff;border:1px solid #dce2ea;border-radius:5px;padding:12px 16px 10px;break-inside:avoid}
.card.wide{grid-column:1/-1}
.card.wide .split{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,7fr);gap:24px;align-items:start}
h3{margin:0;font-size:15px;color:#1f2933}
p.src{margin:2px 0 6px;font:11px/1.3 "DejaVu Sans Mono",Menlo,Consolas,monospace;color:#7b8794}
p.note{margin:6px 0 0;font-size:11.5px;color:#7b8794}
p.empty{margin:18px 0;color:#7b8794;font-style:italic}
svg{width:100%;height:auto;display:block;margin:4px 0}
svg text{font-size:10px;fill:#52606d;font-family:"Segoe UI",Helvetica,Arial,"DejaVu Sans",sans-serif}
svg text.val{fill:#1f2933;font-size:9.5px}
svg .sub{fill:#9aa5b1;font-size:9px}
svg text.ytitle,svg text.xtitle{font-size:10.5px;fill:#3e4c59;font-weight:600}
line.grid{stroke:#e4e8ee;stroke-width:1}
line.zero{stroke:#7b8794;stroke-width:1}
line.conn{stroke:#9aa5b1;stroke-width:1;stroke-dasharray:2 2}
rect.total,i.total{fill:#2f5d8a;background:#2f5d8a}
rect.past,i.past{fill:#8fb0d3;background:#8fb0d3}
rect.up,i.up,rect.billed,i.billed{fill:#3a9b6b;background:#3a9b6b}
rect.down,i.down,rect.recognised,i.recognised{fill:#c8553d;background:#c8553d}
rect.credited,i.credited{fill:#e08a3c;background:#e08a3c}
rect.other,i.other{fill:#9aa5b1;background:#9aa5b1}
rect.forecast,i.forecast{fill:#5b8fc7;background:#5b8fc7}
rect.within,i.within{fill:#2f5d8a;background:#2f5d8a}
rect.beyond,i.beyond{fill:#9dbbd9;background:#9dbbd9}
rect.due,i.due{fill:#2f5d8a;background:#2f5d8a}
rect.in_grace,i.in_grace{fill:#e08a3c;background:#e08a3c}
rect.age0{fill:#3a9b6b}rect.age1{fill:#a3c45a}rect.age2{fill:#e7b43c}rect.age3{fill:#e08a3c}rect.age4{fill:#c8553d}
p.legend{margin:0 0 4px;font-size:11.5px;color:#52606d}
p.legend span{margin-right:14px;white-space:nowrap}
i.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{width:100%;border-collapse:collapse;font-size:12px;margin-top:6px}
th,td{padding:3px 5px;border-bottom:1px solid #edf0f3;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.txt,td.txt,th[scope=row],thead th:first-child{text-align:left}
.split > div{min-width:0;overflow-x:auto}
thead th{color:#52606d;font-weight:600;border-bottom:1px solid #c5ced8;font-size:11px;white-space:normal;vertical-align:bottom}
tbody th{white-space:normal;min-width:90px}
tbody th{font-weight:normal}
tr.total th,tr.total td{font-weight:600;border-top:1px solid #9aa5b1}
footer{max-width:1240px;margin:0 auto;padding:0 24px 24px;font-size:11.5px;color:#7b8794}
@media (max-width:900px){.grid{grid-template-columns:1fr}.kpis{grid-template-columns:repeat(2,1fr)}}
@media print{body{background:#fff}.card{border-color:#bbb}}
</style></head>
'
       || xmlelement(name body,
              xmlelement(name header,
                         xmlelement(name h1, 'Revenue dashboard · ' || pg.tenant_name),
                         xmlelement(name p, 'Tenant ' || pg.tenant || ' · as of ' || to_char(pg.as_of, 'FMDay FMDD FMMonth YYYY')
                                            || ' · amounts in each contract''s currency, never converted or added across currencies')),
              xmlelement(name main, xmlattributes(pg.as_of AS "data-as-of", pg.tenant AS "data-tenant"),
                         coalesce((SELECT xmlagg(s.section ORDER BY s.currency) FROM sections s),
                                  xmlelement(name p, xmlattributes('empty' AS class),
                                             'Nothing to report for this tenant on this date: no contract in force, no posting, no open receivable.'))),
              xmlelement(name footer, 'Generated by scripts/dashboard from the report functions of recurring_revenue (docs/reports.md), '
                                      || 'in one read-only snapshot. Every number is in the table under its chart.')
          )::text
       || E'\n</html>'
  FROM page pg;
COMMIT;
