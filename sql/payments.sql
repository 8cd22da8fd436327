-- Payments and receivables: payments applied to invoices, AR balances, aging by due date,
-- overpayment kept as customer credit (docs/payments.md).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('pay', 'Payment tests', 'USD');
SET rr.tenant = 'pay';
-- setup fees go to a receivable account of their own, so invoice 1 of each customer has
-- two receivable accounts and applications to it are split between them
INSERT INTO rr.account (tenant_id, code, name, kind) VALUES ('pay', '1110', 'Receivable, services', 'asset');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('pay', 'SUB', 'Subscription', '4000', '2100', '1100'),
    ('pay', 'SETUP', 'Setup', '4400', '2100', '1110');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('pay', 'SUB', 'USD', 100.00), ('pay', 'SETUP', 'USD', 50.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, recurring_item, billing_type, max_quantity)
VALUES ('pay', 'PLAN', 'Monthly plan with setup', 'USD', 'SETUP', 'item_price', 'SUB', 'prepaid', 10);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, payment_terms_days)
VALUES ('pay', 'M', 'Annual, billed monthly, due in 30 days', 1, 'year', 'month', 'calendar', 30);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('pay', 'M', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('pay', 'A', 'Pays in full', 'USD'), ('pay', 'B', 'Pays in part', 'USD'), ('pay', 'C', 'Pays ahead', 'USD');
SELECT count(rr.setup_and_activate_contract(rr.create_contract(c, 'M', '2024-01-01'))) AS contracts
  FROM unnest(ARRAY['A', 'B', 'C']) c;
-- one invoice per customer and month, January (150.00: setup 50.00 + 100.00) to March
-- (100.00); due 30 days after the invoice date
SELECT d::date AS run, count(i.*) AS invoices, sum(i.total) AS total
  FROM generate_series(date '2024-01-01', '2024-03-01', '1 month') d, LATERAL rr.run_billing(d::date) i
 GROUP BY d ORDER BY d;
SELECT count(*) AS posted FROM rr.post_invoices('2024-03-31');

-- (1) A pays January in full, the day it is due: Dr cash / Cr customer credit, then
-- Dr customer credit / Cr receivable, split 100.00 on 1100 and 50.00 on 1110.
SELECT rr.record_payment('A', 150.00, '2024-01-31', 'wire 1', method => 'wire') AS pay_a \gset
SELECT i.customer, i.invoice_date, a.amount, a.applied_on
  FROM rr.payment_application a JOIN rr.invoice i USING (tenant_id, invoice_id) WHERE a.payment_id = :pay_a;
SELECT e.memo, e.entry_date, e.period_start, l.account, l.debit, l.credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.tenant_id = 'pay' AND e.source = 'payment' ORDER BY e.entry_id, l.line_no;

-- (2) B pays 120.00 of January's 150.00: partly paid, the 120.00 split 80.00 / 40.00
-- between the two receivable accounts in proportion to 100.00 / 50.00.
SELECT rr.record_payment('B', 120, '2024-02-10', 'ACH 7') AS pay_b \gset
SELECT l.account, l.debit, l.credit
  FROM rr.payment_application a JOIN rr.journal_line l ON l.tenant_id = a.tenant_id AND l.entry_id = a.journal_entry_id
 WHERE a.payment_id = :pay_b ORDER BY l.line_no;

-- (3) C pays 500.00 on 5 March: oldest due date first, January 150.00, February 100.00,
-- March 100.00, and 150.00 left as customer credit.
SELECT rr.record_payment('C', 500.00, '2024-03-05', 'cheque 99') AS pay_c \gset
SELECT i.invoice_date, i.due_date, a.amount, a.applied_on
  FROM rr.payment_application a JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE a.payment_id = :pay_c ORDER BY i.due_date;
SELECT * FROM rr.customer_credits('pay', '2024-03-31') ORDER BY customer;

-- April and May are billed and posted after C's payment: its credit stays credit until
-- it is applied.
SELECT d::date AS run, count(i.*) AS invoices, sum(i.total) AS total
  FROM generate_series(date '2024-04-01', '2024-05-01', '1 month') d, LATERAL rr.run_billing(d::date) i
 GROUP BY d ORDER BY d;
SELECT count(*) AS posted FROM rr.post_invoices('2024-05-31');
SELECT max(invoice_id) FILTER (WHERE customer = 'A' AND invoice_date = '2024-01-01') AS a_jan,
       max(invoice_id) FILTER (WHERE customer = 'A' AND invoice_date = '2024-02-01') AS a_feb,
       max(invoice_id) FILTER (WHERE customer = 'B' AND invoice_date = '2024-01-01') AS b_jan,
       max(invoice_id) FILTER (WHERE customer = 'B' AND invoice_date = '2024-02-01') AS b_feb,
       max(invoice_id) FILTER (WHERE customer = 'C' AND invoice_date = '2024-01-01') AS c_jan,
       max(invoice_id) FILTER (WHERE customer = 'C' AND invoice_date = '2024-04-01') AS c_apr,
       max(invoice_id) FILTER (WHERE customer = 'C' AND invoice_date = '2024-05-01') AS c_may
  FROM rr.invoice WHERE tenant_id = 'pay' \gset

-- (4) C's credit applied later to April: by default as much as both allow (100.00), on the
-- later of the payment and invoice dates; 50.00 stays credit.
SELECT rr.apply_payment(:pay_c, :c_apr) IS NOT NULL AS applied;
SELECT amount, applied_on FROM rr.payment_application WHERE invoice_id = :c_apr;

-- A payment recorded without applying it stays credit; applied later in part and in full.
SELECT rr.record_payment('B', 1000.00, '2024-05-20', 'ACH 8', apply => false) AS pay_b2 \gset
SELECT count(*) AS applications_of_unapplied_payment FROM rr.payment_application WHERE payment_id = :pay_b2;
SELECT rr.apply_payment(:pay_b2, :b_feb, 60.00, '2024-05-21') IS NOT NULL AS applied_part;

-- Balances as of 15 May 2024 (due dates: January's on 31 January, ..., May's on 31 May).
SELECT customer, invoice_date, due_date, total, applied, balance, status, past_due, days_past_due
  FROM rr.invoice_balances('pay', '2024-05-15') ORDER BY customer, invoice_date;
SELECT * FROM rr.ar_aging('2024-05-15');
-- the same at 25 May: B's payment of 20 May is credit, 60.00 of it applied to February
SELECT * FROM rr.ar_aging('2024-05-25');
-- today's views (status and balances do not depend on the date: every application is past)
SELECT customer, currency, invoiced, applied, open_ar, received, unapplied_credit, net_balance
  FROM rr.customer_balance ORDER BY customer;
SELECT customer, count(*) FILTER (WHERE status = 'paid') AS paid, count(*) FILTER (WHERE status = 'partly_paid') AS partly_paid,
       count(*) FILTER (WHERE status = 'open') AS open, sum(balance) AS balance
  FROM rr.invoice_balance GROUP BY customer ORDER BY customer;

-- The books agree: cash = payments; customer credit (2400) = unapplied credit;
-- receivables (1100 + 1110) = open AR; every entry balanced.  The balances are read first,
-- in a statement of their own: they come from functions that read the tenant's tables,
-- which on Citus cannot run inside a statement sent to the tenant's shard.
SELECT sum(unapplied_credit) AS unapplied_credit, sum(open_ar) AS open_ar FROM rr.customer_balance \gset
SELECT (SELECT sum(debit - credit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account = '1200') AS cash,
       (SELECT sum(amount) FROM rr.payment WHERE tenant_id = 'pay') AS payments,
       (SELECT sum(credit - debit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account = '2400') AS credit_account,
       :unapplied_credit AS unapplied_credit,
       (SELECT sum(debit - credit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account IN ('1100', '1110')) AS receivable_accounts,
       :open_ar AS open_ar;
SELECT count(*) FILTER (WHERE d <> c) AS unbalanced_entries
  FROM (SELECT entry_id, sum(debit) AS d, sum(credit) AS c FROM rr.journal_line WHERE tenant_id = 'pay' GROUP BY entry_id) x;

-- Bad input: each refused with its message, and nothing half written.
\set VERBOSITY default
SELECT count(*) AS payments_before FROM rr.payment \gset
SELECT count(*) AS applications_before FROM rr.payment_application \gset
SELECT count(*) AS entries_before FROM rr.journal_entry \gset
SELECT min(invoice_id) AS b_draft FROM rr.run_billing('2024-06-01') WHERE customer = 'B' \gset
-- more than the invoice's balance (B's January has 30.00 left)
SELECT rr.apply_payment(:pay_b2, :b_jan, 40.00);
-- more than the payment's unapplied amount (C has 50.00 left)
SELECT rr.apply_payment(:pay_c, :c_may, 60.00);
-- a draft invoice
SELECT regress.refused('SELECT rr.apply_payment(' || :pay_b2 || ', ' || :b_draft || ')', jsonb_build_object(':b_draft', :b_draft));
-- another customer's invoice
SELECT rr.apply_payment(:pay_b2, :a_feb);
-- another currency (converted into the functional currency USD at the rate of 2024-05-01)
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('pay', 'EUR', 'USD', '2024-05-01', 1.08);
SELECT rr.record_payment('B', 10.00, '2024-05-20', apply => false, currency => 'EUR') AS pay_eur \gset
SELECT rr.apply_payment(:pay_eur, :b_feb);
-- non-positive and fractional amounts
SELECT rr.apply_payment(:pay_b2, :b_feb, 0);
SELECT rr.apply_payment(:pay_b2, :b_feb, -5.00);
SELECT rr.apply_payment(:pay_b2, :b_feb, 0.001);
SELECT rr.record_payment('B', 0, '2024-05-20');
SELECT rr.record_payment('B', -10.00, '2024-05-20');
SELECT rr.record_payment('B', 10.005, '2024-05-20');
SELECT rr.record_payment('B', 10.5, '2024-05-20', currency => 'JPY');
SELECT rr.record_payment('B', 'NaN', '2024-05-20');
SELECT rr.record_payment('B', 'Infinity', '2024-05-20');
SELECT rr.record_payment('B', '-Infinity', '2024-05-20');
SELECT rr.record_payment('B', 1e20, '2024-05-20');
SELECT rr.record_payment('B', 1e15, '2024-05-20');
SELECT rr.apply_payment(:pay_b2, :b_feb, 'Infinity');
-- dates outside 1900-01-01 .. 2199-12-31 create no fiscal period
SELECT count(*) AS periods_before FROM rr.fiscal_period \gset
SELECT rr.record_payment('B', 10.00, '294276-01-01');
SELECT rr.record_payment('B', 10.00, '4713-01-01 BC');
SELECT rr.record_payment('B', 10.00, 'infinity');
SELECT rr.record_payment('B', 10.00, '2200-01-01');
SELECT rr.apply_payment(:pay_b2, :b_feb, 10.00, 'infinity');
SELECT count(*) - :periods_before AS periods_added FROM rr.fiscal_period;
-- unknown payment, invoice, customer, currency
SELECT rr.apply_payment(999999, :b_feb);
SELECT rr.apply_payment(:pay_b2, 999999);
SELECT rr.record_payment('NOBODY', 10.00, '2024-05-20');
SELECT rr.record_payment('B', 10.00, '2024-05-20', currency => 'ZZZ');
-- an application dated before the payment, or before the invoice
SELECT rr.apply_payment(:pay_b2, :b_feb, 10.00, '2024-05-19');
SELECT rr.apply_payment(:pay_c, :c_may, 10.00, '2024-04-30');
-- nothing left to apply on either side
SELECT rr.apply_payment(:pay_c, :c_jan);
SELECT rr.apply_payment(:pay_a, :a_feb);
-- NULLs
SELECT rr.record_payment('B', NULL, '2024-05-20');
SELECT rr.record_payment('B', 10.00, NULL);
SELECT rr.record_payment(NULL, 10.00, '2024-05-20');
SELECT rr.apply_payment(NULL, :b_feb);
-- another tenant's payment does not exist here
SELECT rr.create_tenant('pay2', 'Other payment tenant', 'USD');
SET rr.tenant = 'pay2';
SELECT rr.apply_payment(:pay_b2, :b_feb);
SET rr.tenant = 'pay';
-- payments and applications are append-only, for every role
UPDATE rr.payment SET amount = 1 WHERE payment_id = :pay_a;
DELETE FROM rr.payment_application WHERE payment_id = :pay_a;
TRUNCATE rr.payment_application;
-- the refusals left nothing behind (only the valid EUR payment and its entry were added)
SELECT (SELECT count(*) FROM rr.payment) - :payments_before AS payments_added,
       (SELECT count(*) FROM rr.payment_application) - :applications_before AS applications_added,
       (SELECT count(*) FROM rr.journal_entry) - :entries_before AS entries_added;

-- The remaining balance of B's January, applied by default: exactly 30.00.
SELECT rr.apply_payment(:pay_b2, :b_jan, applied_on => '2024-05-21') IS NOT NULL AS applied;
SELECT balance, status FROM rr.invoice_balances('pay', '2024-05-31') WHERE invoice_id = :b_jan;
SELECT l.account, sum(l.credit) AS credited
  FROM rr.payment_application a JOIN rr.journal_line l ON l.tenant_id = a.tenant_id AND l.entry_id = a.journal_entry_id
 WHERE a.invoice_id = :b_jan AND l.credit > 0 GROUP BY l.account ORDER BY l.account;

-- A contract billed to another account (D's invoices go to A): a payment from D settles
-- the invoices of D's contracts; A's open invoices are not D's to pay.
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, invoice_to)
VALUES ('pay', 'MO', 'Annual, invoiced to the bill-to account', 1, 'year', 'month', 'calendar', 'other');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('pay', 'MO', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency, bill_to) VALUES ('pay', 'D', 'Billed to A', 'USD', 'A');
SELECT rr.setup_and_activate_contract(rr.create_contract('D', 'MO', '2024-06-01')) AS d_contract \gset
SELECT customer, total FROM rr.run_billing('2024-06-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-06-30');
SELECT rr.record_payment('D', 200.00, '2024-06-05', 'D pays') AS pay_d \gset
SELECT i.customer AS billed_to, k.customer AS contract_customer, a.amount
  FROM rr.payment_application a JOIN rr.invoice i USING (tenant_id, invoice_id)
  JOIN rr.contract k ON k.tenant_id = i.tenant_id AND k.contract_id = i.contract_id
 WHERE a.payment_id = :pay_d;
SELECT * FROM rr.customer_credits('pay', '2024-06-30') WHERE customer = 'D';

-- Credit balances (docs/payments.md, "Credit balances").
-- (a) A credit note for all of A's January, which A paid in full: the 150.00 credited is A's
-- customer credit (a payment of method credit_balance dated the credit note's day, whose
-- entry clears both receivable accounts of January: Dr 1100 100.00, Dr 1110 50.00, Cr 2400
-- 150.00), applied to A's oldest open invoices: February 100.00, March 50.00.
SELECT number, total FROM rr.credit_invoice(:a_jan, reason => 'service credit', credit_date => '2024-07-01');
SELECT p.payment_id AS credit_a, p.method, p.reference, p.amount, p.received_on, p.source_invoice_id = :a_jan AS of_january
  FROM rr.payment p WHERE p.source_invoice_id IS NOT NULL \gset
\echo :method :reference :amount :received_on :of_january
SELECT l.line_no, l.account, l.debit, l.credit
  FROM rr.payment p JOIN rr.journal_line l ON l.tenant_id = p.tenant_id AND l.entry_id = p.journal_entry_id
 WHERE p.payment_id = :credit_a ORDER BY l.line_no;
SELECT i.invoice_date, a.amount, a.applied_on
  FROM rr.payment_application a JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE a.payment_id = :credit_a ORDER BY i.invoice_date;
SELECT invoice_date, total, applied, balance, status
  FROM rr.invoice_balances('pay', '2024-07-01') WHERE customer = 'A' AND invoice_date < '2024-04-01' ORDER BY invoice_date;
-- (b) A negative invoice: a one-off credit of 900.00 on B's contract, dated July 1, exceeds
-- July's 100.00; the invoice of -800.00 is posted and its credit applied to B's open
-- invoices, oldest due first (the last 40.00 of February, March to June: 440.00); the
-- 360.00 they do not take stays B's credit, next to B's earlier unapplied payments.
SELECT contract_id AS b_contract FROM rr.contract WHERE customer = 'B' \gset
SELECT billed_on FROM rr.add_one_off_charge(:b_contract, 'SUB', '2024-07-01', -900.00, description => 'goodwill');
SELECT customer, total FROM rr.run_billing('2024-07-01') WHERE customer = 'B';
SELECT count(*) AS posted FROM rr.post_invoices('2024-07-31');
SELECT p.payment_id AS credit_b, p.method, p.reference, p.amount, p.received_on
  FROM rr.payment p JOIN rr.invoice i ON i.tenant_id = p.tenant_id AND i.invoice_id = p.source_invoice_id
 WHERE i.customer = 'B' \gset
\echo :method :reference :amount :received_on
SELECT i.invoice_date, a.amount, a.applied_on
  FROM rr.payment_application a JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE a.payment_id = :credit_b ORDER BY i.invoice_date;
SELECT invoice_date, total, applied, balance, status
  FROM rr.invoice_balances('pay', '2024-07-31') WHERE customer = 'B' ORDER BY invoice_date;
SELECT * FROM rr.customer_credits('pay', '2024-07-31') WHERE customer = 'B' AND currency = 'USD';
SELECT customer, open_ar, unapplied_credit FROM rr.ar_aging('2024-07-31') WHERE customer = 'B' AND currency = 'USD';
-- what is left pays a later invoice, as any customer credit (rr.apply_payment): August's
-- 100.00, so 540.00 of the 800.00 is applied (the invoice and its balance read first: a
-- workflow is called at the top level of its statement, not per row of a query)
SELECT count(*) AS posted FROM rr.run_billing('2024-08-01') x, rr.post_invoices('2024-08-31') y WHERE x.customer = 'B';
SELECT invoice_id AS b_aug, balance AS balance_before
  FROM rr.invoice_balances('pay', '2024-08-01') WHERE customer = 'B' AND invoice_date = '2024-08-01' \gset
SELECT rr.apply_payment(:credit_b, :b_aug) IS NOT NULL AS applied, :balance_before AS balance_before;
SELECT p.amount, sum(a.amount) AS applied
  FROM rr.payment p JOIN rr.payment_application a USING (tenant_id, payment_id)
 WHERE p.payment_id = :credit_b GROUP BY p.amount;
-- The books still agree: cash = money received (credit balances are not cash); customer
-- credit (2400) = unapplied credit; receivables = open AR; every entry balanced (the
-- balances read first, as above).
SELECT (SELECT sum(unapplied) FROM rr.customer_credits('pay', 'infinity')) AS unapplied_credit,
       (SELECT sum(balance) FROM rr.invoice_balances('pay', 'infinity')) AS open_ar \gset
SELECT (SELECT sum(debit - credit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account = '1200') AS cash,
       (SELECT sum(amount) FROM rr.payment WHERE tenant_id = 'pay' AND source_invoice_id IS NULL) AS received,
       (SELECT sum(credit - debit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account = '2400') AS credit_account,
       :unapplied_credit AS unapplied_credit,
       (SELECT sum(debit - credit) FROM rr.journal_line WHERE tenant_id = 'pay' AND account IN ('1100', '1110')) AS receivable_accounts,
       :open_ar AS open_ar;
SELECT count(*) FILTER (WHERE d <> c) AS unbalanced_entries
  FROM (SELECT entry_id, sum(debit) AS d, sum(credit) AS c FROM rr.journal_line WHERE tenant_id = 'pay' GROUP BY entry_id) x;
-- a credit balance is written by the engine only: the method is reserved
SELECT rr.record_payment('B', 10.00, '2024-07-02', method => 'credit_balance');
RESET rr.tenant;
