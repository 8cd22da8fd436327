-- Dunning: policies of stages by days overdue, rr.run_dunning recording each action once
-- with an outbox event, stopping on payment or credit, and the dunning status reports
-- (docs/dunning-and-currencies.md).
\set SHOW_CONTEXT never
SELECT rr.create_tenant('dun', 'Dunning tests', 'USD');
SET rr.tenant = 'dun';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('dun', 'SUB', 'Subscription', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('dun', 'SUB', 'USD', 100.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type)
VALUES ('dun', 'PLAN', 'Monthly plan', 'USD', 'SUB', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, payment_terms_days)
VALUES ('dun', 'M', 'Annual, billed monthly, due in 30 days', 1, 'year', 'month', 'calendar', 30);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('dun', 'M', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('dun', 'A', 'Pays late in full', 'USD'), ('dun', 'B', 'Strict policy', 'USD'),
    ('dun', 'C', 'Pays in part', 'USD'), ('dun', 'D', 'Credited', 'USD');
SELECT count(rr.setup_and_activate_contract(rr.create_contract(c, 'M', '2025-01-01'))) AS contracts
  FROM unnest(ARRAY['A', 'B', 'C', 'D']) c;
-- one invoice of 100.00 per customer, dated 1 January, due 31 January
SELECT count(*) AS invoices, sum(total) AS total FROM rr.run_billing('2025-01-01');
SELECT count(*) AS posted, min(due_date) AS due, max(due_date) AS due FROM rr.post_invoices('2025-01-01');

-- The default policy: reminder at 1 day, notice at 15, final notice at 30, suspend at 45;
-- B follows a strict one: final notice at 5 days, suspend at 10.
INSERT INTO rr.dunning_policy (tenant_id, code, name, is_default) VALUES
    ('dun', 'STD', 'Standard', true), ('dun', 'STRICT', 'Strict', false);
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES
    ('dun', 'STD', 1, 1, 'reminder'), ('dun', 'STD', 2, 15, 'notice'),
    ('dun', 'STD', 3, 30, 'final_notice'), ('dun', 'STD', 4, 45, 'suspend'),
    ('dun', 'STRICT', 1, 5, 'final_notice'), ('dun', 'STRICT', 2, 10, 'suspend');
INSERT INTO rr.customer_dunning_policy (tenant_id, customer, policy) VALUES ('dun', 'B', 'STRICT');

-- Nothing is due on the due date itself (0 days past due).
SELECT count(*) AS actions FROM rr.run_dunning('2025-01-31');
-- 1 February, 1 day past due: A, C and D get the standard reminder; B (strict, first
-- stage at 5 days) nothing yet.
SELECT customer, stage_no, action, days_overdue, balance FROM rr.run_dunning('2025-02-01') ORDER BY customer;
-- The same run again records nothing (once per invoice and stage).
SELECT count(*) AS actions FROM rr.run_dunning('2025-02-01');

-- C pays 40.00 of its 100.00 on 5 February (a partial payment does not reset the count);
-- A pays in full on 10 February; D's invoice is credited in full on 3 February.
SELECT rr.record_payment('C', 40.00, '2025-02-05') IS NOT NULL AS paid;
SELECT rr.record_payment('A', 100.00, '2025-02-10') IS NOT NULL AS paid;
SELECT count(*) AS credit_notes FROM rr.credit_invoice((SELECT invoice_id FROM rr.invoice WHERE tenant_id = 'dun' AND customer = 'D'),
                                                       100.00, credit_date => '2025-02-03');

-- 15 February, 15 days past due: C (60.00 left) gets the notice; B, 15 days past due,
-- gets its policy's most advanced stage reached, suspend at 10 days, and not the final
-- notice at 5 as well; A (paid) and D (credited) nothing.
SELECT customer, stage_no, action, days_overdue, balance FROM rr.run_dunning('2025-02-15') ORDER BY customer;

-- 20 March, 48 days past due: C skips the final notice (30 days) and gets suspend (45).
SELECT customer, stage_no, action, days_overdue, balance FROM rr.run_dunning('2025-03-20') ORDER BY customer;
-- B is past its last stage: a later run records nothing more.
SELECT count(*) AS actions FROM rr.run_dunning('2025-06-30');

-- The log, and one outbox event per action (topic invoice.dunning, entity the invoice).
SELECT a.customer, a.policy, a.stage_no, a.action, a.due_on, a.as_of, a.days_overdue, a.balance,
       o.topic, o.entity_id = a.invoice_id AS event_names_invoice, o.payload->>'action' AS event_action
  FROM rr.dunning_action a JOIN rr.outbox o ON o.tenant_id = a.tenant_id AND o.event_id = a.outbox_event_id
 WHERE a.tenant_id = 'dun' ORDER BY a.action_id;
SELECT count(*) AS dunning_events FROM rr.outbox WHERE tenant_id = 'dun' AND topic = 'invoice.dunning';

-- Status per invoice on 15 February: A settled after a reminder, B in dunning (suspend),
-- C in dunning (notice; next the final notice on 31 January + 30 days = 2 March), D
-- settled after a reminder.
SELECT customer, balance, days_past_due, status, policy, last_stage_no, last_action, last_action_on, actions,
       next_stage_no, next_action, next_due_on
  FROM rr.dunning_status_as_of('2025-02-15');
-- On 1 February, before any payment: every invoice has 100.00 left.
SELECT customer, balance, days_past_due, status, last_action, next_action, next_due_on
  FROM rr.dunning_status_as_of('2025-02-01');
-- Per customer on 20 March.
SELECT * FROM rr.customer_dunning_status_as_of('2025-03-20');
-- The views answer as of today, for the current tenant.
SELECT count(*) AS invoices FROM rr.invoice_dunning_status;
SELECT count(*) AS customers FROM rr.customer_dunning_status;

-- Bad input.
SELECT * FROM rr.run_dunning(NULL);
SELECT * FROM rr.run_dunning('infinity');
SELECT * FROM rr.run_dunning('1800-01-01');
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES ('dun', 'STD', 5, 0, 'reminder');
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES ('dun', 'STD', 5, 60, 'call');
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES ('dun', 'STD', 5, 15, 'notice');
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES ('dun', 'NONE', 1, 1, 'notice');
INSERT INTO rr.dunning_policy (tenant_id, code, name, is_default) VALUES ('dun', 'OTHER', 'Another default', true);
INSERT INTO rr.customer_dunning_policy (tenant_id, customer, policy) VALUES ('dun', 'nobody', 'STD');
-- stages out of order: stage 5 due before stage 4
BEGIN;
INSERT INTO rr.dunning_stage (tenant_id, policy, stage_no, days_overdue, action) VALUES ('dun', 'STD', 5, 40, 'notice');
SELECT * FROM rr.run_dunning('2025-03-21');
ROLLBACK;
-- the log is append-only
UPDATE rr.dunning_action SET action = 'reminder' WHERE tenant_id = 'dun';
DELETE FROM rr.dunning_action WHERE tenant_id = 'dun';
RESET rr.tenant;
