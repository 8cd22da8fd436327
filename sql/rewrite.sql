-- Rewrite (docs/amendments.md, "Rewrite"): the remaining terms of a contract replaced from
-- a date by new ones, as a new version of the same contract — new lines, lines not named
-- removed, a new end of the term — keeping what was billed and recognised before the date;
-- billing credits and charges the difference, revenue is re-planned from the date; every
-- refusal.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('rw', 'Rewrites', 'USD');
SET rr.tenant = 'rw';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('rw', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('rw', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('rw', 'SUP', 'Support', '4000', '2100', '1100', 'DAILY'),
    ('rw', 'PROSEAT', 'Pro seat', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('rw', 'SEAT', 'USD', 10.00), ('rw', 'SUP', 'USD', 30.00), ('rw', 'PROSEAT', 'USD', 20.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity, standalone_price) VALUES
    ('rw', 'SEATS', 'Seats, 10.00 a month', 'USD', 'SEAT', 'prepaid', 100, 10.00),
    ('rw', 'SUPPORT', 'Support, 30.00 a month', 'USD', 'SUP', 'prepaid', 1, 30.00),
    ('rw', 'PRO', 'Pro seats, 20.00 a month', 'USD', 'PROSEAT', 'prepaid', 100, 20.00);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment,
                                  allow_override) VALUES
    ('rw', 'ANNUAL', 'Annual, billed monthly', 'renewable', 1, 'year', 'month', 'calendar', true),
    ('rw', 'OPEN', 'Unlimited', 'unlimited', NULL, 'year', 'month', 'calendar', true);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('rw', 'ANNUAL', 1, 'SEATS', 5), ('rw', 'ANNUAL', 2, 'SUPPORT', 1), ('rw', 'OPEN', 1, 'SEATS', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('rw', 'CU', 'Customer', 'USD');

-- 5 seats (50.00) and support (30.00) a month from 2025-01-01 for a year; January to March
-- billed and posted, January and February recognised.
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS k \gset
SELECT rr.setup_and_activate_contract(:k);
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-03-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-03-01');
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-02-28');
CREATE TEMP TABLE before_rewrite AS
SELECT obligation_no, period, amount FROM rr.revenue_schedule_line WHERE contract_id = :k AND status = 'posted';

-- From March 16 the contract is 5 pro seats (100.00 a month) until July 1: the seats and the
-- support end, and so does the term, six months early.  Billed at once: March's second half,
-- 16 of 31 days, credited at the old terms (50.00 × 16/31 = 25.81, 30.00 × 16/31 = 15.48)
-- and charged at the new (100.00 × 16/31 = 51.61): 10.32.
SELECT modification_id AS rw_mod, event_id AS rw_event, invoice_id AS rw_invoice, billed AS rw_billed
  FROM rr.rewrite_contract(:k, '2025-03-16', '{"PRO": {"quantity": 5}}', end_date => '2025-07-01',
                           bill => 'immediately', reason => 'moved to the pro plan, term to June') \gset
-- (what it returned, its ids compared with the rows they name: ids are not printed)
SELECT m.action, m.applied_treatment, :rw_billed AS billed, m.event_id = :rw_event AS logged_with_its_event,
       (SELECT max(i.invoice_id) FROM rr.invoice i WHERE i.tenant_id = 'rw' AND i.contract_id = :k) = :rw_invoice
           AS its_invoice_the_contracts_last
  FROM rr.contract_modification m WHERE m.tenant_id = 'rw' AND m.modification_id = :rw_mod;
SELECT l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = :k AND i.invoice_id = (SELECT max(invoice_id) FROM rr.invoice WHERE contract_id = :k)
 ORDER BY l.line_no;
-- the contract: the same id, the new end; its lines as versions
SELECT contract_id, status, start_date, end_date FROM rr.contract WHERE contract_id = :k;
SELECT line_no, effective_from, contract_item, quantity, recurring_price, is_removed
  FROM rr.contract_line WHERE contract_id = :k ORDER BY line_no, effective_from;
-- April to June at 100.00, nothing after the new end
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-12-31');
-- what was recognised before the rewrite is as it was; the schedule ends on July 1
SELECT (SELECT count(*) FROM (SELECT obligation_no, period, amount FROM rr.revenue_schedule_line
                               WHERE contract_id = :k AND status = 'posted'
                              EXCEPT SELECT * FROM before_rewrite) x) AS posted_lines_changed,
       (SELECT max(upper(period)) FROM rr.revenue_schedule_line WHERE contract_id = :k) AS schedule_ends;
-- billed = contracted: 80.00 for January and February, 80.00 × 15/31 = 38.71 for March's first half,
-- 100.00 × 16/31 = 51.61 for its second half, 3 × 100.00 after: 550.32, the new transaction price
SELECT sum(total) AS billed FROM rr.invoice_register WHERE contract_id = :k;
-- the event and the modification log
SELECT action, effective_date, before->'contract'->>'end_date' AS end_before, after->'contract'->>'end_date' AS end_after
  FROM rr.contract_event WHERE contract_id = :k AND action = 'rewrite';
SELECT action, effective_date, derived_treatment, applied_treatment, price_before, price_after, reason
  FROM rr.modification_log WHERE contract_id = :k;

-- Refusals, nothing written
\set ON_ERROR_STOP 0
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '[]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{"PRO": 5}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{"PRO": {"qty": 5}}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{"NOPE": {}}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{"PRO": {}}', end_date => '2025-04-01'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2025-04-01', '{"PRO": {}}', treatment => 'cumulative_catch_up'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.rewrite_contract(:k, '2024-12-01', '{"PRO": {}}'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.create_contract('CU', 'OPEN', '2025-01-01') AS k_open \gset
SELECT rr.setup_and_activate_contract(:k_open);
SELECT * FROM rr.rewrite_contract(:k_open, '2025-04-01', '{"SEATS": {"quantity": 2}}', end_date => '2025-12-31'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.create_contract('CU', 'ANNUAL', '2025-01-01') AS k_draft \gset
SELECT * FROM rr.rewrite_contract(:k_draft, '2025-04-01', '{"PRO": {}}'); \echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
SELECT count(*) AS modifications FROM rr.contract_modification WHERE tenant_id = 'rw';
-- an unlimited contract rewrites its lines
SELECT applied_treatment FROM rr.rewrite_contract(:k_open, '2025-04-01', '{"SEATS": {"quantity": 2}}');
RESET rr.tenant;
