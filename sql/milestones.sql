-- Milestone billing of fixed-price projects (docs/projects-and-on-demand.md): a project
-- line's fixed price (its setup fee, 30,000.00) split into milestones of 20 %, 50 % and
-- 30 %, each billed when it is reached (rr.reach_milestone), never the fee up front;
-- revenue by percent complete, as the obligation's deferral code says; percents rounded
-- once, the last taking what is left; every refusal.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('mil', 'Milestones', 'USD');
SET rr.tenant = 'mil';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('mil', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200'),
    ('mil', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('mil', 'IMPL', 'Implementation project', 'project', '4200', '2100', '1100', 'PCT'),
    ('mil', 'SMALL', 'Small project', 'project', '4200', '2100', '1100', 'PCT'),
    ('mil', 'SUPPORT', 'Support, per month', 'month', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('mil', 'IMPL', 'USD', 30000.00), ('mil', 'SMALL', 'USD', 100.00), ('mil', 'SUPPORT', 'USD', 500.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, recurring_item, billing_type,
                              standalone_price) VALUES
    ('mil', 'PROJECT', 'Implementation', 'USD', 'IMPL', NULL, 'none', 30000.00),
    ('mil', 'SMALL', 'Small project', 'USD', 'SMALL', NULL, 'none', 100.00),
    ('mil', 'SUPPORT', 'Support', 'USD', NULL, 'SUPPORT', 'prepaid', 500.00);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period,
                                  alignment) VALUES
    ('mil', 'PROJECT', 'Project with support, six months', 'expiring', 6, 'month', 'month', 'calendar'),
    ('mil', 'SMALL', 'Small project', 'expiring', 6, 'month', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('mil', 'PROJECT', 1, 'PROJECT', 1), ('mil', 'PROJECT', 2, 'SUPPORT', 1), ('mil', 'SMALL', 1, 'SMALL', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('mil', 'CU', 'Customer', 'USD');

-- (1) The project, 2025-01-01 to 2025-07-01: three milestones of the 30,000.00 fee, given
-- as percents: 20 % = 6,000.00, 50 % = 15,000.00, and 30 %, which completes 100 %, takes
-- what is left: 30,000.00 - 21,000.00 = 9,000.00
SELECT rr.create_contract('CU', 'PROJECT', '2025-01-01') AS k \gset
SELECT rr.add_milestone(:k, 1, 'Design approved', 20) AS m1,
       rr.add_milestone(:k, 1, 'Build complete', 50) AS m2,
       rr.add_milestone(:k, 1, 'Go-live', 30) AS m3;
SELECT milestone_no, line_no, name, percent, amount, reached_on FROM rr.contract_milestone
 WHERE contract_id = :k ORDER BY milestone_no;
SELECT rr.setup_and_activate_contract(:k);
-- billing the month bills support (500.00), not the project's fee
SELECT lines, total FROM rr.bill_contract(:k, '2025-01-31');
SELECT kind, service_period, amount FROM rr.charge WHERE contract_id = :k ORDER BY kind, service_period;

-- (2) Design approved on 2025-02-10: the invoice of that day bills 6,000.00 and February's
-- support (prepaid, due 2025-02-01) 500.00: 6,500.00
SELECT lines, total FROM rr.reach_milestone(:k, 1, '2025-02-10');
SELECT l.kind, l.service_period, l.amount, l.detail->>'name' AS milestone, l.detail->'percent' AS percent
  FROM rr.invoice_line l JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE i.contract_id = :k AND i.invoice_date = '2025-02-10' ORDER BY l.line_no;
-- refused: reached twice; a milestone the contract does not have
SELECT * FROM rr.reach_milestone(:k, 1, '2025-02-11');
SELECT * FROM rr.reach_milestone(:k, 9, '2025-02-11');

-- (3) Build complete on 2025-04-05: 15,000.00 and the support of March and April
-- (2 × 500.00): 16,000.00; go-live on 2025-06-30: 9,000.00 and May and June: 10,000.00
SELECT lines, total FROM rr.reach_milestone(:k, 2, '2025-04-05');
SELECT lines, total FROM rr.reach_milestone(:k, 3, '2025-06-30');
-- the milestones billed the fee exactly: 6,000.00 + 15,000.00 + 9,000.00 = 30,000.00; the
-- setup fee itself was never charged
SELECT sum(amount) FILTER (WHERE kind = 'milestone') AS milestones, count(*) FILTER (WHERE kind = 'setup') AS setup_fees,
       sum(amount) FILTER (WHERE kind = 'recurring') AS support
  FROM rr.charge WHERE contract_id = :k;

-- (4) Revenue follows the obligation's deferral code (percent complete), not the
-- milestones: 25 % complete on 2025-02-28 recognises 30,000.00 × 25 % = 7,500.00 of the
-- project's obligation (allocated 30,000.00: both lines at their SSP); the milestone charges
-- wrote no revenue lines of their own
SELECT obligation_no, allocated_amount FROM rr.performance_obligation WHERE contract_id = :k ORDER BY obligation_no;
SELECT rr.record_progress(:k, 1, 25, '2025-02-28') AS catch_up;
SELECT count(*) AS billing_lines_of_milestones
  FROM rr.revenue_schedule_line l
  JOIN rr.invoice_line il ON il.tenant_id = l.tenant_id AND il.invoice_id = l.invoice_id AND il.line_no = l.invoice_line_no
 WHERE l.contract_id = :k AND il.kind = 'milestone';

-- (5) Percents rounded once, the last taking what is left: 100.00 in 33.335 %, 33.335 %
-- and 33.33 %: round(33.335) = 33.34 twice, then 100.00 - 66.68 = 33.32 (rounding it too,
-- 33.33, would bill 100.01)
SELECT rr.create_contract('CU', 'SMALL', '2025-01-01') AS k_small \gset
SELECT rr.add_milestone(:k_small, 1, 'One', 33.335), rr.add_milestone(:k_small, 1, 'Two', 33.335),
       rr.add_milestone(:k_small, 1, 'Three', 33.33);
SELECT milestone_no, percent, amount FROM rr.contract_milestone WHERE contract_id = :k_small ORDER BY milestone_no;
SELECT sum(amount) AS total FROM rr.contract_milestone WHERE contract_id = :k_small;

-- (6) Refused, and nothing written: over 100 %; amounts over the fixed price; neither or
-- both of percent and amount; an empty name; a line without a fixed price (support); a
-- line the contract does not have; a milestone date outside the term; a contract that is
-- not active; a line whose fee was already billed
SELECT rr.add_milestone(:k_small, 1, 'Extra', 0.01);
SELECT rr.create_contract('CU', 'SMALL', '2025-01-01') AS k_amounts \gset
SELECT rr.add_milestone(:k_amounts, 1, 'Deposit', amount => 60.00);
SELECT rr.add_milestone(:k_amounts, 1, 'Rest', amount => 50.00);
SELECT rr.add_milestone(:k_amounts, 1, 'Cents', amount => 0.005);
SELECT rr.add_milestone(:k_amounts, 1, 'Neither');
SELECT rr.add_milestone(:k_amounts, 1, 'Both', 10, 10.00);
SELECT rr.add_milestone(:k_amounts, 1, '  ', 10);
SELECT rr.add_milestone(:k, 2, 'Support?', 10);
SELECT rr.add_milestone(:k, 7, 'No line', 10);
SELECT rr.add_milestone(:k_amounts, 1, 'Zero', 0);
SELECT rr.add_milestone(:k_amounts, 1, 'Too much', 100.5);
SELECT count(*) AS milestones_of_k_amounts FROM rr.contract_milestone WHERE contract_id = :k_amounts;
SELECT * FROM rr.reach_milestone(:k_amounts, 1, '2025-02-01');
SELECT rr.setup_and_activate_contract(:k_amounts);
SELECT * FROM rr.reach_milestone(:k_amounts, 1, '2025-07-01');
SELECT reached_on FROM rr.contract_milestone WHERE contract_id = :k_amounts;
SELECT rr.create_contract('CU', 'SMALL', '2025-01-01') AS k_billed \gset
SELECT rr.setup_and_activate_contract(:k_billed);
SELECT count(*) AS invoices FROM rr.bill_contract(:k_billed, '2025-01-01');
SELECT rr.add_milestone(:k_billed, 1, 'Late', 50);
