-- The revenue forecast and the RPO read the schedule lines not recognised as of a date
-- alone when every contract of the tenant has one currency and none was activated after
-- the date, and join each line with its contract otherwise (docs/reports.md, "Revenue
-- forecast and RPO").  Both paths give the definition's answer: the lines of the
-- contracts activated by then, per contract currency, that the schedule held on as_of and
-- had not recognised (open or posted after it, planned by then; and those a later re-plan
-- replaced: docs/reports.md, "Schedules as of a date").  Last in the
-- schedule: it creates contracts, whose ids the other tests print.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('rfp', 'Forecast paths', 'USD');
SET rr.tenant = 'rfp';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('rfp', 'MONTHS', 'Evenly by months', 'equal', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('rfp', 'PLAN', 'Plan', '4000', '2100', '1100', 'MONTHS');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('rfp', 'PLAN', 'USD', 1200.00), ('rfp', 'PLAN', 'EUR', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity) VALUES
    ('rfp', 'PLAN', 'Plan, 1,200.00 a year', 'USD', 'PLAN', 'prepaid', 1),
    ('rfp', 'PLAN_EUR', 'Plan, 1,000.00 euros a year', 'EUR', 'PLAN', 'prepaid', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment) VALUES
    ('rfp', 'ONE', 'One year', 1, 'year', 'year', 'anniversary'),
    ('rfp', 'TWO', 'Two years', 2, 'year', 'year', 'anniversary'),
    ('rfp', 'ONE_EUR', 'One year in euros', 1, 'year', 'year', 'anniversary');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('rfp', 'ONE', 1, 'PLAN', 1), ('rfp', 'TWO', 1, 'PLAN', 1), ('rfp', 'ONE_EUR', 1, 'PLAN_EUR', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('rfp', 'C', 'Customer', 'USD'), ('rfp', 'E', 'Customer in euros', 'EUR');
-- a one-year and a two-year plan in dollars from 2025-01-01, billed, posted and recognised
-- to March 31 (100.00 a month each); a one-year plan in euros from 2025-06-01, activated
-- then: as of March 31, a contract activated after as_of; as of June 30, two currencies
SELECT count(rr.setup_and_activate_contract(rr.create_contract('C', t, '2025-01-01'))) AS activated
  FROM unnest(ARRAY['ONE', 'TWO']) t;
SELECT count(*) AS invoices FROM rr.run_billing('2025-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-01-01');
SELECT count(*) AS recognised FROM rr.recognize('2025-03-31');
-- one currency, nothing activated after March 31: the lines alone
SELECT * FROM rr.remaining_performance_obligations('2025-03-31');
SELECT * FROM rr.revenue_forecast('2025-03-31', 3);
CREATE TEMP TABLE before_rpo AS SELECT * FROM rr.remaining_performance_obligations('2025-03-31');
CREATE TEMP TABLE before_fc AS SELECT * FROM rr.revenue_forecast('2025-03-31', 1200);
SELECT rr.setup_and_activate_contract(rr.create_contract('E', 'ONE_EUR', '2025-06-01')) AS status;
SELECT activation_date FROM rr.contract WHERE tenant_id = 'rfp' AND customer = 'E';
-- the same answer as of March 31 through the join (a contract activated after it)
SELECT (SELECT array_agg(b ORDER BY b.currency) FROM before_rpo b)::text
       = (SELECT array_agg(r ORDER BY r.currency) FROM rr.remaining_performance_obligations('2025-03-31') r)::text AS rpo_as_before,
       (SELECT array_agg(b ORDER BY b.currency, b.month) FROM before_fc b)::text
       = (SELECT array_agg(r ORDER BY r.currency, r.month) FROM rr.revenue_forecast('2025-03-31', 1200) r)::text AS forecast_as_before;
-- two currencies as of June 30
SELECT * FROM rr.remaining_performance_obligations('2025-06-30');
SELECT * FROM rr.revenue_forecast('2025-06-30', 3);
-- every answer equals the definition, on both paths and before any activation
CREATE TEMP VIEW unrecognised_by_definition AS
SELECT d.as_of, k.currency, date_trunc('month', GREATEST(l.recognize_on, d.as_of))::date AS month,
       l.recognize_on <= (d.as_of + interval '1 year')::date AS within_12_months, l.contract_id, l.amount
  FROM (VALUES ('2025-03-31'::date), ('2025-06-30'), ('2024-12-31'), ('2026-12-31')) d (as_of)
  JOIN (SELECT l.tenant_id, l.contract_id, l.recognize_on, l.amount, l.planned_on, l.status, l.posted_on,
               'infinity'::date AS superseded_on
          FROM rr.revenue_schedule_line l
        UNION ALL
        SELECT h.tenant_id, h.contract_id, h.recognize_on, h.amount, h.planned_on, 'open', NULL, h.superseded_on
          FROM rr.superseded_schedule_line h) l
    ON l.tenant_id = 'rfp' AND (l.status = 'open' OR l.posted_on > d.as_of)
   AND l.planned_on <= d.as_of AND l.superseded_on > d.as_of
  JOIN rr.contract k ON k.tenant_id = l.tenant_id AND k.contract_id = l.contract_id AND k.activation_date <= d.as_of;
-- (each report's answers read first, by a query of its own: a report called per row of a
-- query that also reads the tenant's tables is a query Citus cannot run)
CREATE TEMP TABLE reported AS
SELECT d.as_of,
       (SELECT array_agg((r.currency, r.month, r.scheduled, r.contracts)::text ORDER BY r.currency, r.month)
          FROM rr.revenue_forecast(d.as_of, 1200) r) AS forecast,
       (SELECT array_agg((r.currency, r.within_12_months, r.beyond_12_months, r.total)::text ORDER BY r.currency)
          FROM rr.remaining_performance_obligations(d.as_of) r) AS rpo
  FROM (VALUES ('2025-03-31'::date), ('2025-06-30'), ('2024-12-31'), ('2026-12-31')) d (as_of);
CREATE TEMP TABLE defined AS SELECT * FROM unrecognised_by_definition;
SELECT d.as_of,
       d.forecast
       IS NOT DISTINCT FROM (SELECT array_agg((currency, month, scheduled, contracts)::text ORDER BY currency, month)
            FROM (SELECT currency, month, sum(amount) AS scheduled, count(DISTINCT contract_id) AS contracts
                    FROM defined u WHERE u.as_of = d.as_of GROUP BY currency, month) x) AS forecast_is_the_definition,
       d.rpo
       IS NOT DISTINCT FROM (SELECT array_agg((currency, within_12_months, beyond_12_months, total)::text ORDER BY currency)
            FROM (SELECT currency, coalesce(sum(amount) FILTER (WHERE within_12_months), 0) AS within_12_months,
                         coalesce(sum(amount) FILTER (WHERE NOT within_12_months), 0) AS beyond_12_months, sum(amount) AS total
                    FROM defined u WHERE u.as_of = d.as_of GROUP BY currency) x) AS rpo_is_the_definition
  FROM reported d
 ORDER BY d.as_of;
RESET rr.tenant;
