-- Exchange rates and functional-currency amounts on journal lines; realised exchange
-- differences on payment application (docs/dunning-and-currencies.md).
\set SHOW_CONTEXT never
SELECT rr.create_tenant('fx', 'Currency tests', 'USD');
SET rr.tenant = 'fx';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account) VALUES
    ('fx', 'SUB', 'Subscription', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('fx', 'SUB', 'EUR', 1000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type)
VALUES ('fx', 'PLAN', 'Monthly plan in euros', 'EUR', 'SUB', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, payment_terms_days)
VALUES ('fx', 'M', 'Annual, billed monthly, due in 30 days', 1, 'year', 'month', 'calendar', 30);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('fx', 'M', 1, 'PLAN', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('fx', 'EU', 'Euro customer', 'EUR');
SELECT rr.setup_and_activate_contract(rr.create_contract('EU', 'M', '2025-01-01')) AS k \gset
SELECT customer, currency, total FROM rr.run_billing('2025-01-01');

-- Rates: EUR -> USD 1.10 from 1 January, 1.12 from 15 January, 1.09 from 18 February.
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES
    ('fx', 'EUR', 'USD', '2025-01-01', 1.10), ('fx', 'EUR', 'USD', '2025-01-15', 1.12),
    ('fx', 'EUR', 'USD', '2025-02-18', 1.09);
SELECT number, invoice_date, total FROM rr.post_invoices('2025-01-31');

-- The invoice of 1,000.00 EUR dated 1 January, at 1.10: 1,000.00 × 1.10 = 1,100.00 USD on
-- both sides.
SELECT e.source, e.entry_date, l.account, l.debit, l.credit, l.currency, l.functional_currency,
       l.functional_debit, l.functional_credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.tenant_id = 'fx' ORDER BY e.entry_id, l.line_no;

-- Paid on 20 January at 1.12 (the rate of 15 January, the latest on or before 20 January):
-- the receipt Dr cash / Cr customer credit 1,000.00 × 1.12 = 1,120.00 USD; the application
-- Dr customer credit 1,120.00 USD / Cr receivable 1,100.00 USD (the invoice's rate) and a
-- realised gain of 1,120.00 - 1,100.00 = 20.00 USD on 4970, with no euro amount.
SELECT rr.record_payment('EU', 1000.00, '2025-01-20') AS pay1 \gset
SELECT replace(e.memo, 'Payment ' || :pay1, 'Payment :pay1') AS memo, l.account, l.debit, l.credit,
       l.functional_debit, l.functional_credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.tenant_id = 'fx' AND e.source = 'payment' ORDER BY e.entry_id, l.line_no;

-- February's invoice is dated 1 February, at 1.12: 1,120.00 USD.  Paid in two parts at
-- 1.09 (from 18 February): 400.00 EUR on 20 February, Dr customer credit 400 × 1.09 =
-- 436.00, Cr receivable 400 × 1.12 = 448.00, a loss of 12.00 on 6970; then 600.00 EUR on
-- 25 February, 654.00 against 672.00, a loss of 18.00.  The receivable leaves at exactly
-- the 448.00 + 672.00 = 1,120.00 USD it came in at; the losses sum to 30.00 = 1,000 × (1.12 - 1.09).
SELECT customer, total FROM rr.run_billing('2025-02-01');
SELECT number, invoice_date, total FROM rr.post_invoices('2025-02-28');
SELECT rr.record_payment('EU', 400.00, '2025-02-20') AS pay2 \gset
SELECT rr.record_payment('EU', 600.00, '2025-02-25') AS pay3 \gset
SELECT a.payment_id - :pay2 AS nth_payment, l.account, l.debit, l.credit, l.functional_debit, l.functional_credit
  FROM rr.payment_application a JOIN rr.journal_line l ON l.tenant_id = a.tenant_id AND l.entry_id = a.journal_entry_id
 WHERE a.tenant_id = 'fx' AND a.payment_id IN (:pay2, :pay3) ORDER BY a.payment_id, l.line_no;
SELECT l.account, sum(l.functional_debit) - sum(l.functional_credit) AS functional_balance,
       sum(l.debit) - sum(l.credit) AS euro_balance
  FROM rr.journal_line l WHERE l.tenant_id = 'fx' AND l.account IN ('1100', '4970', '6970')
 GROUP BY l.account ORDER BY l.account;

-- Recognition of January on 31 January, at the rate of that date (1.12): revenue of the
-- year's 12,000.00 EUR by days, 12,000.00 × 31/365 = 1,019.18 EUR, of which 1,000.00 was
-- billed (Dr deferred revenue) and 19.18 is unbilled (Dr 1150).  Debits, rounded once:
-- 19.18 × 1.12 = 21.4816 -> 21.48, then 1,019.18 × 1.12 = 1,141.4816 -> 1,141.48 in all,
-- so 1,141.48 - 21.48 = 1,120.00 on 2100; the credit 1,019.18 × 1.12 -> 1,141.48.
SELECT count(*) AS entries FROM rr.recognize('2025-01-31');
SELECT l.account, l.debit, l.credit, l.functional_debit, l.functional_credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.tenant_id = 'fx' AND e.source = 'recognition' ORDER BY e.entry_id, l.line_no;

-- A credit note is converted at the rate of its own date: March's invoice (1 March, at
-- 1.09: 1,090.00 USD) credited 100.00 EUR on 10 March at 1.09 = 109.00 USD.
SELECT customer, total FROM rr.run_billing('2025-03-01');
SELECT number, invoice_date, total FROM rr.post_invoices('2025-03-31');
SELECT count(*) AS credit_notes FROM rr.credit_invoice((SELECT max(invoice_id) FROM rr.invoice WHERE tenant_id = 'fx'),
                                                       100.00, credit_date => '2025-03-10');
SELECT l.account, l.debit, l.credit, l.functional_debit, l.functional_credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.tenant_id = 'fx' AND e.source = 'credit_note' ORDER BY e.entry_id, l.line_no;

-- A credit balance is converted at the rate of its date: January's invoice, paid in full,
-- credited 200.00 EUR on 12 March (at 1.09: 218.00 USD); the 200.00 EUR it leaves below
-- zero moves to customer credit (Dr 1100 / Cr 2400, 218.00 USD each) and pays 200.00 of
-- March's invoice the same day (Dr 2400 at the credit's 1.09, Cr 1100 at March's 1.09: no
-- difference).
SELECT count(*) AS credit_notes FROM rr.credit_invoice((SELECT min(invoice_id) FROM rr.invoice WHERE tenant_id = 'fx'),
                                                       200.00, credit_date => '2025-03-12');
SELECT e.memo, l.account, l.debit, l.credit, l.functional_debit, l.functional_credit
  FROM rr.payment p JOIN rr.journal_entry e ON e.tenant_id = p.tenant_id AND e.entry_id = p.journal_entry_id
  JOIN rr.journal_line l ON l.tenant_id = e.tenant_id AND l.entry_id = e.entry_id
 WHERE p.tenant_id = 'fx' AND p.method = 'credit_balance' ORDER BY l.line_no;
SELECT i.invoice_date, a.amount, l.account, l.debit, l.credit, l.functional_debit, l.functional_credit
  FROM rr.payment p JOIN rr.payment_application a ON a.tenant_id = p.tenant_id AND a.payment_id = p.payment_id
  JOIN rr.invoice i ON i.tenant_id = a.tenant_id AND i.invoice_id = a.invoice_id
  JOIN rr.journal_line l ON l.tenant_id = a.tenant_id AND l.entry_id = a.journal_entry_id
 WHERE p.tenant_id = 'fx' AND p.method = 'credit_balance' ORDER BY l.line_no;

-- Every entry balances in the functional currency too.
SELECT count(*) AS entries,
       count(*) FILTER (WHERE d <> c) AS unbalanced
  FROM (SELECT l.entry_id, sum(l.functional_debit) AS d, sum(l.functional_credit) AS c
          FROM rr.journal_line l WHERE l.tenant_id = 'fx' GROUP BY l.entry_id) x;

-- Before a pair's first rate a posting is not converted: it keeps its document amounts
-- only, as every posting did before 0.2.0 (a tenant that records no rates needs none).  A
-- payment in pounds, which have no rate to USD, and one in euros dated before the first
-- euro rate: their receipts carry no functional amounts.
SELECT rr.record_payment('EU', 10.00, '2025-02-20', currency => 'GBP', apply => false) AS pay_gbp \gset
SELECT rr.record_payment('EU', 10.00, '2024-12-31', apply => false) AS pay_early \gset
SELECT p.currency, p.received_on, l.account, l.debit, l.credit, l.functional_currency, l.functional_debit,
       l.functional_credit
  FROM rr.payment p JOIN rr.journal_line l ON l.tenant_id = p.tenant_id AND l.entry_id = p.journal_entry_id
 WHERE p.tenant_id = 'fx' AND p.payment_id IN (:pay_gbp, :pay_early) ORDER BY p.payment_id, l.line_no;

-- Bad input.
-- rates: zero, negative, NaN, infinite, too large, a currency to itself, an unknown currency
-- (terse: the failing row would show when it was entered)
\set VERBOSITY terse
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', '2025-01-01', 0);
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', '2025-01-01', -1.25);
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', '2025-01-01', 'NaN');
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', '2025-01-01', 'Infinity');
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', '2025-01-01', 1e300);
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'USD', 'USD', '2025-01-01', 1);
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'XYZ', 'USD', '2025-01-01', 1);
\set VERBOSITY default
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'GBP', 'USD', 'infinity', 1.25);
-- a second rate for the same pair and date
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate) VALUES ('fx', 'EUR', 'USD', '2025-01-01', 1.11);
-- rates are immutable
UPDATE rr.exchange_rate SET rate = 1.2 WHERE tenant_id = 'fx' AND rate_date = '2025-01-01';
DELETE FROM rr.exchange_rate WHERE tenant_id = 'fx';
-- also for an administrator, who writes rates directly, and the same refusal: the
-- trigger fires as that role, which may not use the extension's internal schema
CREATE ROLE regress_fx_admin IN ROLE rr_admin;
SET ROLE regress_fx_admin;
UPDATE rr.exchange_rate SET rate = 1.2 WHERE tenant_id = 'fx' AND rate_date = '2025-01-01';
DELETE FROM rr.exchange_rate WHERE tenant_id = 'fx';
-- and a used account it tries to delete: 23503, the catalog's guard
DELETE FROM rr.account WHERE tenant_id = 'fx' AND code = '4970';
RESET ROLE;
DROP ROLE regress_fx_admin;
-- an entry unbalanced in dollars (an entry in euros without functional amounts is an
-- unconverted one, accepted as above), refused by the check every writer of the journal
-- makes (rr_internal.check_journal)
BEGIN;
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('fx', 999999, '2025-01-10', '2025-01-01', 'manual', 1);
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                             functional_currency, functional_debit, functional_credit)
VALUES ('fx', 999999, 1, '1200', 5, 0, 'EUR', 'USD', 5.50, 0), ('fx', 999999, 2, '2400', 0, 5, 'EUR', 'USD', 0, 5.51);
SELECT rr_internal.check_journal('fx', 999999, 999999);
ROLLBACK;
-- converted into another currency than the functional one, and half given
BEGIN;
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('fx', 999999, '2025-01-10', '2025-01-01', 'manual', 1);
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                             functional_currency, functional_debit, functional_credit)
VALUES ('fx', 999999, 1, '1200', 5, 0, 'EUR', 'GBP', 4, 0), ('fx', 999999, 2, '2400', 0, 5, 'EUR', 'GBP', 0, 4);
SELECT rr_internal.check_journal('fx', 999999, 999999);
ROLLBACK;
-- a currency of one's own that journal lines are written in can be neither deleted nor
-- renamed (the lines name it without a foreign key: rr_internal.keep_journal_currency reads
-- them); one they do not use can (as sql/currency.sql deletes XTS)
BEGIN;
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTQ', 2, 'Journal test currency');
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('fx', 999998, '2025-01-10', '2025-01-01', 'manual', 1);
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                             functional_currency, functional_debit, functional_credit)
VALUES ('fx', 999998, 1, '1200', 5, 0, 'XTQ', 'USD', 5, 0), ('fx', 999998, 2, '2400', 0, 5, 'XTQ', 'USD', 0, 5);
SAVEPOINT used;
DELETE FROM rr.currency WHERE code = 'XTQ';
ROLLBACK TO used;
UPDATE rr.currency SET code = 'XTU' WHERE code = 'XTQ';
ROLLBACK TO used;
UPDATE rr.currency SET name = 'Renamed in words only' WHERE code = 'XTQ';
SELECT code, name FROM rr.currency WHERE code = 'XTQ';
ROLLBACK;
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, functional_currency)
VALUES ('fx', 999999, 1, '1200', 5, 0, 'EUR', 'USD');
RESET rr.tenant;
