-- Prospective modifications of a contract allocated by relative standalone selling price
-- (ASC 606-10-25-13a; docs/revenue.md, "Contract modifications"): a licence recognised on
-- its first day (SSP 1,000.00, priced 1,000.00) and a year of support recognised in equal
-- monthly amounts (SSP 600.00, priced 300.00), one-year contracts from 2027-01-01.  At
-- inception the 1,300.00 is allocated 1,000 : 600, so 812.50 to the licence and 487.50 to
-- support, 40.63 a month for six months, then 40.62.
--   Support goes from one to two from 1 July: the price becomes 1,000.00 + 300.00 x 181/365
-- (148.77) + 600.00 x 184/365 (302.47) = 1,451.24.  The licence was satisfied on its first
-- day and keeps its 812.50; support keeps the 243.78 of January to June, and the rest,
-- 1,451.24 - 812.50 - 243.78 = 394.96, is spread over July to December.  The same whether the
-- year was billed before the change or not: the SSP of support is 600.00 x 181/365 +
-- 1,200.00 x 184/365 = 902.47 either way (a billed period counts for the days its line
-- version still covers).
--   A renewal (the next year from 2028-01-01): the licence keeps 812.50, support keeps the
-- old year's 487.50, and the next year's 300.00 goes to support in 2028.
-- (At the end of sql/schedule: the contracts it creates draw ids that the tests before it print.)
\set SHOW_CONTEXT never
SELECT rr.create_tenant('mods', 'Modifications of a bundle', 'USD');
SET rr.tenant = 'mods';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('mods', 'IMM', 'At once', 'immediate', '2100', '4100'), ('mods', 'EQ', 'Equal months', 'equal', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('mods', 'LIC', 'Licence', '4100', '2100', '1100', 'IMM'), ('mods', 'SUP', 'Support', '4000', '2100', '1100', 'EQ');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('mods', 'LIC', 'USD', 1000.00), ('mods', 'SUP', 'USD', 300.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, billing_type, standalone_price) VALUES
    ('mods', 'LICENCE', 'Licence', 'USD', 'LIC', 'none', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period,
                              standalone_price, max_quantity) VALUES
    ('mods', 'SUPPORT', 'Support', 'USD', 'SUP', 'prepaid', '1 year', 600.00, 10);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  allow_override, renewal_point_days) VALUES
    ('mods', 'BUNDLE', 'Licence and support', 'renewable', 1, 'year', 'year', true, 30);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('mods', 'CU', 'Customer', 'USD');
CREATE TEMP TABLE k (name text, id bigint);
INSERT INTO k
SELECT n, rr.create_contract('CU', 'BUNDLE', '2027-01-01', '{"LICENCE": {}, "SUPPORT": {}}')
  FROM unnest(ARRAY['amended', 'billed, then amended', 'renewed']) n;
SELECT count(rr.setup_and_activate_contract(id)) AS activated FROM k;
SELECT id AS amended FROM k WHERE name = 'amended' \gset
SELECT id AS billed FROM k WHERE name = 'billed, then amended' \gset
SELECT id AS renewed FROM k WHERE name = 'renewed' \gset
SELECT count(*) AS invoices FROM rr.bill_contract(:billed, '2027-01-01');
SELECT applied_treatment FROM rr.amend_contract(:amended, '2027-07-01', '[{"item": "SUPPORT", "quantity": 2}]');
SELECT applied_treatment FROM rr.amend_contract(:billed, '2027-07-01', '[{"item": "SUPPORT", "quantity": 2}]');
SELECT rr.renew_contract(:renewed, '2027-12-15');
-- the obligations: the licence keeps its allocation in all three
SELECT k.name, o.obligation_no, o.item, o.standalone_price, o.contract_amount, o.allocated_amount
  FROM k JOIN rr.performance_obligations o ON o.contract_id = k.id
 ORDER BY k.id, o.obligation_no;
-- the schedules per obligation and year: each adds up to its allocation, nothing of the
-- licence is taken back, and 2028's support is the renewal's 300.00
SELECT k.name, l.obligation_no, extract(year FROM lower(l.period)) AS year, count(*) AS lines, sum(l.amount) AS amount
  FROM k JOIN rr.revenue_schedule_line l ON l.contract_id = k.id
 GROUP BY k.id, k.name, l.obligation_no, extract(year FROM lower(l.period))
 ORDER BY k.id, l.obligation_no, year;
-- support month by month after the change
SELECT lower(l.period) AS month, l.amount
  FROM rr.revenue_schedule_line l
 WHERE l.contract_id = :amended AND l.obligation_no = 2
 ORDER BY l.period;
SELECT k.name, m.price_before, m.price_after, m.revenue_impact
  FROM k JOIN rr.modification_log m ON m.contract_id = k.id
 ORDER BY k.id;
