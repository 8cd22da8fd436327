-- Revenue recognition: obligations, SSP allocation, schedules, recognition runs, balances,
-- reconciliation and period closing (docs/revenue.md; ASC 606 examples
-- checked by hand in the comments).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('rec', 'Recognition tests', 'USD');
SET rr.tenant = 'rec';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('rec', 'NOW', 'Immediate', 'immediate', '2100', '4100'),
    ('rec', 'ONDATE', 'On a date', 'on_date', '2100', '4200'),
    ('rec', 'EQUAL', 'Evenly by periods', 'equal', '2100', '4000'),
    ('rec', 'EQPR', 'Evenly by periods, prorated', 'equal_prorate', '2100', '4000'),
    ('rec', 'DAILY', 'Evenly by days', 'daily', '2100', '4000'),
    ('rec', 'PCT', 'Percent complete', 'percent_complete', '2100', '4200'),
    ('rec', 'CASH', 'On payment', 'on_payment', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('rec', 'LIC', 'Licence', '4100', '2100', '1100', 'NOW'),
    ('rec', 'SUP', 'Support', '4200', '2100', '1100', 'DAILY'),
    ('rec', 'S-IMM', 'Subscription, immediate', '4000', '2100', '1100', 'NOW'),
    ('rec', 'S-DATE', 'Subscription, on date', '4000', '2100', '1100', 'ONDATE'),
    ('rec', 'S-EQ', 'Subscription, equal', '4000', '2100', '1100', 'EQUAL'),
    ('rec', 'S-EQP', 'Subscription, equal prorated', '4000', '2100', '1100', 'EQPR'),
    ('rec', 'S-DAY', 'Subscription, daily', '4000', '2100', '1100', 'DAILY'),
    ('rec', 'ONE', 'One-off deliverable', '4200', '2100', '1100', 'ONDATE'),
    ('rec', 'PROJ', 'Implementation project', '4200', '2100', '1100', 'PCT'),
    ('rec', 'DOUBT', 'Service, collectability in doubt', '4000', '2100', '1100', 'CASH');
INSERT INTO rr.item_price (tenant_id, item, currency, price)
SELECT 'rec', code, 'USD', 100.00 FROM rr.item WHERE tenant_id = 'rec';
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price,
                              recurring_item, billing_type, recurring_pricing, recurring_price, billing_period,
                              standalone_price) VALUES
    -- the ASC 606 bundle: a licence sold for 700.00 (SSP 1,000) and a year of support for
    -- 500.00 (SSP 500 a year)
    ('rec', 'LICENCE', 'Licence', 'USD', 'LIC', 'manual', 700.00, NULL, 'none', 'item_price', NULL, NULL, 1000.00),
    ('rec', 'SUPPORT', 'Support', 'USD', NULL, 'item_price', NULL, 'SUP', 'prepaid', 'manual', 500.00, '1 year', 500.00),
    -- one subscription item per method: 1,200.00 a year, billed yearly in advance
    ('rec', 'SUB-IMM', 'Sub immediate', 'USD', NULL, 'item_price', NULL, 'S-IMM', 'prepaid', 'manual', 1200.00, '1 year', NULL),
    ('rec', 'SUB-DATE', 'Sub on date', 'USD', NULL, 'item_price', NULL, 'S-DATE', 'prepaid', 'manual', 1200.00, '1 year', NULL),
    ('rec', 'SUB-EQ', 'Sub equal', 'USD', NULL, 'item_price', NULL, 'S-EQ', 'prepaid', 'manual', 1200.00, '1 year', NULL),
    ('rec', 'SUB-EQP', 'Sub equal prorated', 'USD', NULL, 'item_price', NULL, 'S-EQP', 'prepaid', 'manual', 1200.00, '1 year', NULL),
    ('rec', 'SUB-DAY', 'Sub daily', 'USD', NULL, 'item_price', NULL, 'S-DAY', 'prepaid', 'manual', 1200.00, '1 year', NULL),
    -- one-off deliverables, priced 40.00, 35.00 and 25.01
    ('rec', 'ONE-A', 'Deliverable A', 'USD', 'ONE', 'manual', 40.00, NULL, 'none', 'item_price', NULL, NULL, 3.00),
    ('rec', 'ONE-B', 'Deliverable B', 'USD', 'ONE', 'manual', 35.00, NULL, 'none', 'item_price', NULL, NULL, 5.00),
    ('rec', 'ONE-C', 'Deliverable C', 'USD', 'ONE', 'manual', 25.01, NULL, 'none', 'item_price', NULL, NULL, 7.00),
    ('rec', 'ONE-X', 'Deliverable without SSP', 'USD', 'ONE', 'manual', 10.00, NULL, 'none', 'item_price', NULL, NULL, NULL),
    -- a project recognised by percent complete, 9,999.99 fixed fee
    ('rec', 'PROJECT', 'Project', 'USD', 'PROJ', 'manual', 9999.99, NULL, 'none', 'item_price', NULL, NULL, NULL),
    -- monthly service billed in advance
    ('rec', 'MONTHLY', 'Monthly service', 'USD', NULL, 'item_price', NULL, 'S-DAY', 'prepaid', 'manual', 31.00, '1 month', 31.00),
    ('rec', 'DOUBTFUL', 'Doubtful service', 'USD', NULL, 'item_price', NULL, 'DOUBT', 'prepaid', 'manual', 600.00, '1 year', NULL);
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('rec', 'BUNDLE', 'Licence and support', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'METHODS', 'One subscription per method', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'THREE', 'Three deliverables', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'TWO', 'Deliverable with and without SSP', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'PROJ', 'Project', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'MONTH', 'Monthly, annual term', 'renewable', 1, 'year', 'month', 'calendar'),
    ('rec', 'OPEN', 'Monthly, no end', 'unlimited', NULL, 'year', 'month', 'calendar'),
    ('rec', 'DOUBT', 'Collectability in doubt', 'renewable', 1, 'year', 'year', 'anniversary'),
    ('rec', 'LIC-MONTHLY', 'Licence and monthly service', 'renewable', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('rec', 'BUNDLE', 1, 'LICENCE', 1), ('rec', 'BUNDLE', 2, 'SUPPORT', 1),
    ('rec', 'METHODS', 1, 'SUB-IMM', 1), ('rec', 'METHODS', 2, 'SUB-DATE', 1), ('rec', 'METHODS', 3, 'SUB-EQ', 1),
    ('rec', 'METHODS', 4, 'SUB-EQP', 1), ('rec', 'METHODS', 5, 'SUB-DAY', 1),
    ('rec', 'THREE', 1, 'ONE-A', 1), ('rec', 'THREE', 2, 'ONE-B', 1), ('rec', 'THREE', 3, 'ONE-C', 1),
    ('rec', 'TWO', 1, 'ONE-A', 1), ('rec', 'TWO', 2, 'ONE-X', 1),
    ('rec', 'PROJ', 1, 'PROJECT', 1), ('rec', 'MONTH', 1, 'MONTHLY', 1), ('rec', 'OPEN', 1, 'MONTHLY', 1),
    ('rec', 'DOUBT', 1, 'DOUBTFUL', 1), ('rec', 'LIC-MONTHLY', 1, 'LICENCE', 1), ('rec', 'LIC-MONTHLY', 2, 'MONTHLY', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('rec', 'CU', 'Customer', 'USD');

-- (1) The ASC 606 bundle: licence SSP 1,000 + support SSP 500, sold for 700 + 500 = 1,200.
-- Allocation by relative SSP: 1,200 × 1,000 / 1,500 = 800.00 and 1,200 × 500 / 1,500 = 400.00.
SELECT rr.create_contract('CU', 'BUNDLE', '2024-01-01') AS bundle \gset
SELECT rr.setup_and_activate_contract(:bundle);
SELECT obligation_no, line_nos, item, method, service, standalone_price, contract_amount, allocated_amount, reallocated
  FROM rr.performance_obligations WHERE contract_id = :bundle ORDER BY obligation_no;
-- the schedule: the licence on delivery, support by days (400 × 31 / 366 = 33.88 in January)
SELECT obligation_no, item, source, period, recognize_on, amount, status
  FROM rr.contract_revenue_schedule(:bundle, '2024-01-31') ORDER BY obligation_no, recognize_on LIMIT 4;
SELECT sum(amount) AS scheduled FROM rr.revenue_schedule_line WHERE contract_id = :bundle;
-- billing: licence 700.00 straight to licence revenue (immediate), support 500.00 deferred
SELECT lines, total FROM rr.bill_contract(:bundle, '2024-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-01-01');
-- recognising January: licence revenue is brought from 700.00 (billed) to 800.00
-- (allocated), support earns 33.88, and what was billed ahead stays deferred:
-- 1,200.00 - 833.88 = 366.12
SELECT period_start, lines, revenue FROM rr.recognize('2024-01-31') WHERE contract_id = :bundle;
SELECT l.account, l.debit, l.credit
  FROM rr.journal_line l JOIN rr.journal_entry e USING (tenant_id, entry_id)
 WHERE e.source = 'recognition' AND l.contract_id = :bundle ORDER BY l.line_no;
SELECT account, account_name, balance, net_position FROM rr.contract_balances('2024-01-31') WHERE contract_id = :bundle;
-- a second run changes nothing
SELECT count(*) AS entries_on_rerun FROM rr.recognize('2024-01-31');

-- (2) Three obligations whose price does not divide: 40.00 + 35.00 + 25.01 = 100.01 at SSP
-- 3, 5, 7 → exact shares 20.002, 33.3367, 46.6713; floors 20.00 + 33.33 + 46.67 = 100.00,
-- the last cent to the largest remainder (0.67 of a cent, obligation 2).
SELECT rr.create_contract('CU', 'THREE', '2024-01-01') AS three \gset
SELECT rr.setup_and_activate_contract(:three);
SELECT obligation_no, standalone_price, contract_amount, allocated_amount
  FROM rr.performance_obligation WHERE contract_id = :three ORDER BY obligation_no;
SELECT sum(allocated_amount) AS allocated, sum(contract_amount) AS transaction_price
  FROM rr.performance_obligation WHERE contract_id = :three;
-- equal SSPs overridden per contract (1, 1, 1): 100.01 → 33.34, 33.34, 33.33
SELECT rr.create_contract('CU', 'THREE', '2024-01-01') AS three_eq \gset
SELECT rr.set_obligation(:three_eq, n, standalone_price => 1) FROM generate_series(1, 3) n;
SELECT rr.setup_and_activate_contract(:three_eq);
SELECT obligation_no, standalone_price, allocated_amount
  FROM rr.performance_obligation WHERE contract_id = :three_eq ORDER BY obligation_no;
-- the residual method: deliverable C residual, A and B at their SSP (3.00, 5.00)
SELECT rr.create_contract('CU', 'THREE', '2024-01-01') AS three_res \gset
SELECT rr.set_obligation(:three_res, 3, ssp_is_residual => true);
SELECT rr.setup_and_activate_contract(:three_res);
SELECT obligation_no, is_residual, allocated_amount
  FROM rr.performance_obligation WHERE contract_id = :three_res ORDER BY obligation_no;
-- bundling: lines 1 and 2 as one obligation (SSP 3 + 5 = 8) against C (SSP 7)
SELECT rr.create_contract('CU', 'THREE', '2024-01-01') AS three_bun \gset
SELECT rr.set_obligation(:three_bun, 2, obligation_no => 1);
SELECT rr.setup_and_activate_contract(:three_bun);
SELECT obligation_no, line_nos, standalone_price, contract_amount, allocated_amount
  FROM rr.performance_obligation WHERE contract_id = :three_bun ORDER BY obligation_no;

-- (3) A 1,200.00 subscription for 12 months from 15 January 2024, under each method.
-- immediate and on_date: all on 15 January.  equal: twelve 100.00 parts, January to
-- December, and 0 for the January 2025 stub.  equal_prorate: whole months weigh 1, the
-- stubs 17/31 and 14/31, so 1,200 / 12 = 100.00 a month.  daily: 366 days, 17 in January
-- (55.74), 14 in January 2025 (45.90).
SELECT rr.create_contract('CU', 'METHODS', '2024-01-15') AS methods \gset
SELECT rr.setup_and_activate_contract(:methods);
SELECT s.recognize_on,
       sum(s.amount) FILTER (WHERE s.method = 'immediate') AS immediate,
       sum(s.amount) FILTER (WHERE s.method = 'on_date') AS on_date,
       sum(s.amount) FILTER (WHERE s.method = 'equal') AS equal,
       sum(s.amount) FILTER (WHERE s.method = 'equal_prorate') AS equal_prorate,
       sum(s.amount) FILTER (WHERE s.method = 'daily') AS daily
  FROM rr.contract_revenue_schedule(:methods, '2024-01-01') s
 GROUP BY s.recognize_on ORDER BY s.recognize_on;
SELECT method, count(*) AS lines, sum(amount) AS total
  FROM rr.contract_revenue_schedule(:methods, '2024-01-01') GROUP BY method ORDER BY method;

-- (4) Percent complete, 9,999.99: 25 % → 2,500.00 (2,499.9975 rounded), 60 % → 5,999.99
-- cumulative, so a catch-up of 3,499.99; an explicit reversal to 55 % (5,499.99) → -500.00;
-- 100 % → the rest, 4,500.00: exactly the allocation in total.
SELECT rr.create_contract('CU', 'PROJ', '2024-01-01') AS proj \gset
SELECT rr.setup_and_activate_contract(:proj);
SELECT method, allocated_amount FROM rr.performance_obligation WHERE contract_id = :proj;
SELECT count(*) AS allocation_lines FROM rr.revenue_schedule_line WHERE contract_id = :proj;
SELECT rr.record_progress(:proj, 1, 25, '2024-01-20') AS catch_up;
SELECT rr.record_progress(:proj, 1, 60, '2024-02-20') AS catch_up;
SELECT rr.record_progress(:proj, 1, 55, '2024-02-25', is_reversal => true, reason => 'milestone 3 rejected') AS catch_up;
SELECT rr.record_progress(:proj, 1, 100, '2024-03-20') AS catch_up;
SELECT percent, is_reversal, catch_up FROM rr.progress_entry WHERE contract_id = :proj ORDER BY progress_id;
SELECT sum(amount) AS scheduled FROM rr.revenue_schedule_line WHERE contract_id = :proj;

-- (5) A contract with no end: every invoice's charges are recognised as invoiced, over
-- their service periods, once the invoice is posted.
SELECT rr.create_contract('CU', 'OPEN', '2024-01-01') AS open \gset
SELECT rr.setup_and_activate_contract(:open);
SELECT count(*) AS obligations FROM rr.performance_obligation WHERE contract_id = :open;
SELECT lines, total FROM rr.bill_contract(:open, '2024-02-01');
SELECT source, period, amount FROM rr.revenue_schedule_line WHERE contract_id = :open ORDER BY period;
-- (its invoice, dated 1 February, stays a draft until after the January run below)

-- (6) A monthly contract: revenue by days runs ahead of billing by months only in time, so
-- the difference is an unbilled receivable.  A licence sold for 700.00 (SSP 1,000) with a
-- year of monthly service at 31.00 (SSP 31.00 a month): the licence is allocated
-- 1,072 × 1,000 / 1,372 = 781.34, more than its price, and the excess is a contract asset
-- (conditional on delivering the service) until the monthly invoices catch up.
SELECT rr.create_contract('CU', 'MONTH', '2024-01-01') AS month \gset
SELECT rr.setup_and_activate_contract(:month);
SELECT rr.create_contract('CU', 'LIC-MONTHLY', '2024-01-01') AS licm \gset
SELECT rr.setup_and_activate_contract(:licm);
SELECT obligation_no, item, contract_amount, allocated_amount FROM rr.performance_obligation
 WHERE contract_id = :licm ORDER BY obligation_no;
SELECT sum(lines) AS lines, sum(total) AS total FROM rr.run_billing('2024-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-01-01');

-- Recognise January for everything: the unlimited contract's lines are not due while its
-- invoice is a draft; then post it and recognise February
SELECT count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-01-31');
SELECT count(*) FILTER (WHERE status = 'posted') AS posted, count(*) AS lines
  FROM rr.revenue_schedule_line WHERE contract_id = :open;
SELECT count(*) AS posted FROM rr.post_invoices('2024-02-01');
SELECT count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-02-29');
SELECT count(*) FILTER (WHERE status = 'posted') AS posted, count(*) AS lines
  FROM rr.revenue_schedule_line WHERE contract_id = :open;
SELECT * FROM rr.revenue_reconciliation('2024-02-29');
SELECT CASE c.contract_id WHEN :bundle THEN 'bundle' WHEN :month THEN 'monthly' ELSE 'licence + monthly' END AS contract,
       c.account, c.account_name, c.balance, c.net_position
  FROM rr.contract_balances('2024-02-29') c
 WHERE c.contract_id IN (:bundle, :month, :licm) AND c.balance <> 0 ORDER BY c.contract_id, c.account;

-- (7) A credit note comes off deferred revenue first: crediting the 500.00 support invoice
-- line in full takes the support lines not yet due, and only what exceeds them (what was
-- already recognised, 400 × 60 / 366 = 65.57) comes off revenue on the credit date.  The
-- invoice and its support line are read first, by the tenant, in a statement of their own
-- (a workflow's arguments are values, not sub-queries, which Citus cannot plan).
SELECT i.invoice_id AS bundle_invoice, l.line_no AS support_line
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.tenant_id = 'rec' AND i.contract_id = :bundle AND i.doc_type = 'invoice' AND l.kind = 'recurring' \gset
SELECT total FROM rr.credit_invoice(:bundle_invoice, lines => ARRAY[:support_line],
                                    reason => 'support cancelled', credit_date => '2024-03-01');
SELECT source, min(recognize_on), max(recognize_on), count(*), sum(amount)
  FROM rr.revenue_schedule_line WHERE contract_id = :bundle GROUP BY source ORDER BY source;
SELECT sum(amount) FILTER (WHERE recognize_on > '2024-03-01') AS support_still_to_come
  FROM rr.revenue_schedule_line WHERE contract_id = :bundle AND obligation_no = 2;

-- (8) Closing: January closes once everything due in it is posted and reconciles; an
-- entry for a January date then goes into February, the first open period.
SELECT rr.close_period('2024-01-01', 'January close');
SELECT period_start, status FROM rr.fiscal_period WHERE tenant_id = 'rec' AND period_start < '2024-04-01' ORDER BY 1;
SELECT rr.create_contract('CU', 'MONTH', '2024-01-10') AS late \gset
SELECT rr.setup_and_activate_contract(:late, '2024-01-10');
SELECT period_start, lines, revenue FROM rr.recognize('2024-02-29') WHERE contract_id = :late;
SELECT recognize_on, amount, posted_period FROM rr.revenue_schedule_line WHERE contract_id = :late AND status = 'posted'
 ORDER BY recognize_on;
SELECT e.entry_date, e.period_start FROM rr.journal_entry e
 WHERE e.source = 'recognition' AND e.memo LIKE '%contract ' || :late ORDER BY e.entry_id;
SELECT action, reason, session_role FROM rr.period_close_event ORDER BY event_id;
SELECT rr.reopen_period('2024-01-01', 'late licence found');
SELECT rr.close_period('2024-01-01');
SELECT action, reason FROM rr.period_close_event ORDER BY event_id;

-- (9) On payment: nothing is recognised until cash is applied; half the invoice paid,
-- half the allocation recognised.
SELECT rr.create_contract('CU', 'DOUBT', '2024-02-01') AS doubt \gset
SELECT rr.setup_and_activate_contract(:doubt);
SELECT lines, total FROM rr.bill_contract(:doubt, '2024-02-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-02-01');
SELECT count(*) AS entries FROM rr.recognize('2024-02-29') WHERE contract_id = :doubt;
SELECT rr.record_payment('CU', 300.00, '2024-02-10', 'wire', apply => false) AS pay \gset
SELECT invoice_id AS doubt_invoice FROM rr.invoice WHERE tenant_id = 'rec' AND contract_id = :doubt \gset
SELECT count(*) FROM rr.apply_payment(:pay, :doubt_invoice);
SELECT revenue FROM rr.recognize('2024-02-29') WHERE contract_id = :doubt;

-- Posted lines are immutable
SELECT count(*) > 0 AS has_posted FROM rr.revenue_schedule_line WHERE status = 'posted';
SELECT min(schedule_line_id) AS posted_line FROM rr.revenue_schedule_line
 WHERE tenant_id = 'rec' AND contract_id = :bundle AND status = 'posted' \gset
SELECT regress.refused('UPDATE rr.revenue_schedule_line SET amount = 0 WHERE schedule_line_id = ' || :posted_line,
                       jsonb_build_object(':posted_line', :posted_line));
SELECT regress.refused('DELETE FROM rr.revenue_schedule_line WHERE schedule_line_id = ' || :posted_line,
                       jsonb_build_object(':posted_line', :posted_line));

-- Bad input: each refused, nothing half written
\set VERBOSITY default
-- an SSP missing where allocation needs it (deliverable A has one, X has none)
SELECT rr.create_contract('CU', 'TWO', '2024-01-01') AS two \gset
SELECT rr.setup_and_activate_contract(:two);
SELECT status, (SELECT count(*) FROM rr.performance_obligation o WHERE o.contract_id = :two) AS obligations
  FROM rr.contract WHERE contract_id = :two;
-- a zero SSP
SELECT rr.set_obligation(:two, 2, standalone_price => 0);
INSERT INTO rr.obligation_setting VALUES ('rec', :two, 2, NULL, 0, NULL);
SELECT rr.setup_and_activate_contract(:two);
-- two residual obligations
SELECT rr.create_contract('CU', 'THREE', '2024-01-01') AS tworesid \gset
SELECT rr.set_obligation(:tworesid, 1, ssp_is_residual => true);
SELECT rr.set_obligation(:tworesid, 2, ssp_is_residual => true);
SELECT rr.setup_and_activate_contract(:tworesid);
SELECT status, (SELECT count(*) FROM rr.revenue_schedule_line l WHERE l.contract_id = :tworesid) AS schedule_lines
  FROM rr.contract WHERE contract_id = :tworesid;
-- a residual that would be negative (other SSPs above the price)
SELECT rr.set_obligation(:tworesid, 2, standalone_price => 500, ssp_is_residual => false);
SELECT rr.setup_and_activate_contract(:tworesid);
-- obligations are set before activation only
SELECT rr.set_obligation(:bundle, 1, standalone_price => 10);
SELECT rr.set_obligation(:three, 9);
-- percent complete outside [0, 100], backwards without a reversal, a reversal without a reason
SELECT rr.create_contract('CU', 'PROJ', '2024-01-01') AS proj2 \gset
SELECT rr.setup_and_activate_contract(:proj2);
SELECT rr.record_progress(:proj2, 1, 101);
SELECT rr.record_progress(:proj2, 1, -1);
SELECT rr.record_progress(:proj2, 1, 40, '2024-02-01');
SELECT rr.record_progress(:proj2, 1, 30, '2024-03-01');
SELECT rr.record_progress(:proj2, 1, 30, '2024-03-01', is_reversal => true);
SELECT rr.record_progress(:proj2, 1, 50, '2024-01-15');
SELECT rr.record_progress(:bundle, 1, 50);
SELECT rr.record_progress(:bundle, 7, 50);
SELECT percent FROM rr.progress_entry WHERE contract_id = :proj2;
-- posting into a closed period: refused by the check every writer of the journal makes for
-- the entries it wrote (rr_internal.check_journal), here after an entry written by hand
BEGIN;
INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
VALUES ('rec', '2024-01-15', '2024-01-01', 'manual', 0, 'by hand')
RETURNING entry_id AS hand_entry \gset
SELECT regress.refused(format('SELECT rr_internal.check_journal(%L, %s, %s)', 'rec', :hand_entry, :hand_entry),
                       jsonb_build_object(':hand_entry', :hand_entry));
ROLLBACK;
-- fiscal periods that do not tile: a gap, an overlap, an overlap among the new ones; not a
-- range of days; a period the calendar has already is skipped (the gap is read first: a
-- workflow is called at the top level of its statement, not per row of a query)
SELECT daterange(max(period_end) + 1, max(period_end) + 30) AS after_a_gap FROM rr.fiscal_period WHERE tenant_id = 'rec' \gset
SELECT rr.add_fiscal_periods(ARRAY[:'after_a_gap'::daterange]);
SELECT rr.add_fiscal_periods('{"[2024-01-15,2024-01-20)"}');
SELECT rr.add_fiscal_periods('{"[2030-01-01,2030-02-01)","[2030-01-15,2030-03-01)"}');
SELECT rr.add_fiscal_periods('{"[2030-01-01,)"}');
SELECT rr.add_fiscal_periods('{empty}');
SELECT rr.add_fiscal_periods('{"[2024-01-01,2024-02-01)"}') AS added;
-- closing: out of order, twice, with recognition due, unknown; reopening without a reason
SELECT rr.close_period('2024-03-01');
SELECT rr.close_period('2024-01-01');
SELECT rr.close_period('2023-06-01');
-- a draft dated in the period (one of the drafts to post, rr.invoice_draft) keeps it open
BEGIN;
WITH i AS (
    INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
    SELECT 'rec', max(run_id), :late, 'CU', 'USD', '2024-02-20' FROM rr.billing_run WHERE tenant_id = 'rec'
    RETURNING tenant_id, invoice_id, series, invoice_date
)
INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
SELECT tenant_id, invoice_id, series, invoice_date FROM i;
SELECT rr.close_period('2024-02-01');
ROLLBACK;
SELECT rr.close_period('2024-02-01');
SELECT rr.reopen_period('2024-01-01', NULL);
SELECT rr.reopen_period('2024-02-01', 'why not');
SELECT rr.recognize(NULL);
-- an obligation belongs to an existing contract through its first line version, which its
-- writers take from the contract's lines (no foreign key: test/pgtap/references.sql):
-- neither the line version nor the contract can be deleted under it
DELETE FROM rr.contract_line WHERE tenant_id = 'rec' AND contract_id = :proj2;
DELETE FROM rr.contract WHERE tenant_id = 'rec' AND contract_id = :bundle;
SELECT count(*) AS obligations_without_their_line FROM rr.performance_obligation o
 WHERE o.tenant_id = 'rec' AND o.first_line_no IS NOT NULL
   AND NOT EXISTS (SELECT FROM rr.contract_line l
                    WHERE l.tenant_id = o.tenant_id AND l.contract_id = o.contract_id
                      AND l.line_no = o.first_line_no AND l.effective_from = o.first_line_from);
\set VERBOSITY terse
SELECT count(*) AS close_events FROM rr.period_close_event;
RESET rr.tenant;
