-- The references that are checked once per statement instead of by foreign keys (issue 13,
-- item 6): journal lines to their entry and currency, and journal entries to their fiscal
-- period (rr_internal.check_journal, which every writer calls for the entries it wrote), charges to their contract line version and billing run (checked by
-- rr_internal.bill, their only writer), invoice lines to their invoice and charge, invoices
-- to their journal entry, contract and billing run, revenue schedule lines to their
-- obligation and invoice line, planned charges to their obligation.  An orphan cannot be written, and a parent with children
-- can be neither deleted nor re-keyed (a draft's invoice lines take their schedule lines
-- with them).
BEGIN;
SELECT plan(75);

SELECT rr.create_tenant('ref', 'References', 'USD');
SELECT set_config('rr.tenant', 'ref', true);
INSERT INTO rr.currency (code, minor_units, name) VALUES ('XTS', 2, 'Test currency');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('ref', 'SVC', 'Service', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('ref', 'SVC', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
VALUES ('ref', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', 9);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment)
VALUES ('ref', 'T', 'Annual', 1, 'year', 'calendar');
INSERT INTO rr.template_line VALUES ('ref', 'T', 1, 'M', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ref', 'C', 'Customer', 'USD');
SELECT rr.setup_and_activate_contract(rr.create_contract('C', 'T', '2024-01-01'));
SELECT contract_id AS contract FROM rr.contract WHERE tenant_id = 'ref' \gset
SELECT count(*) FROM rr.run_billing('2024-01-01');
SELECT count(*) FROM rr.post_invoices('2024-01-31');

-- journal lines: every writer checks the entries it wrote (rr_internal.check_journal;
-- test/pgtap/schema.sql checks that each writer calls it).  pg_temp.writer is one: it
-- writes the lines, then checks the range of entries it names; a refusal undoes the lines.
CREATE FUNCTION pg_temp.writer(lines text, first_entry bigint, last_entry bigint) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE 'INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency) VALUES '
            || lines;
    PERFORM rr_internal.check_journal('ref', first_entry, last_entry);
END
$f$;
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('ref', 900001, '2024-01-15', '2024-01-01', 'manual', 1);
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900002, 1, '1100', 1, 0, 'USD'), ('ref', 900002, 2, '4000', 0, 1, 'USD')$v$,
                                         900002, 900002)$$,
                 '23503', 'journal entry 900002 of tenant "ref" does not exist',
                 'a journal line of an entry that does not exist is refused');
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900001, 1, '1100', 1, 0, 'USD'), ('ref', 900001, 2, '4000', 0, 1, 'USD'),
                                            ('ref', 900003, 1, '1100', 1, 0, 'USD'), ('ref', 900003, 2, '4000', 0, 1, 'USD')$v$,
                                         900001, 900003)$$,
                 '23503', 'journal entry 900003 of tenant "ref" does not exist',
                 'one missing entry among several refuses them all');
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900001, 1, '1100', 1, 0, 'ZZZ'), ('ref', 900001, 2, '4000', 0, 1, 'ZZZ')$v$,
                                         900001, 900001)$$,
                 '23503', 'journal line currency "ZZZ" does not exist',
                 'a journal line in a currency that does not exist is refused');
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900001, 1, '1100', 1.00, 0, 'USD'), ('ref', 900001, 2, '4000', 0, 0.99, 'USD')$v$,
                                         900001, 900001)$$,
                 '23514', 'journal entry 900001 is unbalanced', 'an unbalanced entry is refused');
SELECT is((SELECT count(*) FROM rr.journal_line WHERE tenant_id = 'ref' AND entry_id >= 900001), 0::bigint,
          'a refused writer leaves no line behind');
-- (with their amounts in the tenant's functional currency USD, docs/dunning-and-currencies.md)
SELECT lives_ok($$INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                                               functional_currency, functional_debit, functional_credit)
                  VALUES ('ref', 900001, 1, '1100', 1, 0, 'XTS', 'USD', 1.25, 0), ('ref', 900001, 2, '4000', 0, 1, 'XTS', 'USD', 0, 1.25)$$,
                'lines of an existing entry in an existing currency are written');
SELECT lives_ok($$SELECT rr_internal.check_journal('ref', 900001, 900001)$$,
                'and pass the check');
-- an entry in two currencies balances in each (5 dollars against 5 of another currency do
-- not, though they net to zero), and every line is converted into the functional currency
-- only, whatever the entry's other lines (the check groups the lines by entry, and per
-- currency only the entries in several)
SAVEPOINT currencies;
CREATE FUNCTION pg_temp.refusal(statement text) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
    detail text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || ' / ' || detail;
END
$f$;
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('ref', 900006, '2024-01-15', '2024-01-01', 'manual', 1), ('ref', 900007, '2024-01-15', '2024-01-01', 'manual', 1);
SELECT is(pg_temp.refusal($$SELECT pg_temp.writer($v$('ref', 900006, 1, '1100', 5, 0, 'USD'), ('ref', 900006, 2, '4000', 0, 5, 'XTS')$v$,
                                                  900006, 900006)$$),
          '23514: journal entry 900006 is unbalanced / Debits 5 and credits 0 in USD differ by 5.',
          'an entry in two currencies that nets to zero across them is refused, per currency');
SELECT lives_ok($$SELECT pg_temp.writer($v$('ref', 900006, 1, '1100', 5, 0, 'USD'), ('ref', 900006, 2, '4000', 0, 5, 'USD'),
                                           ('ref', 900006, 3, '1100', 7, 0, 'XTS'), ('ref', 900006, 4, '4000', 0, 7, 'XTS')$v$,
                                        900006, 900006)$$,
                'an entry in two currencies, balanced in each, passes');
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                             functional_currency, functional_debit, functional_credit)
VALUES ('ref', 900007, 1, '1100', 2, 0, 'XTS', 'USD', 2.50, 0), ('ref', 900007, 2, '4000', 0, 1, 'XTS', 'GBP', 0, 1.25),
       ('ref', 900007, 3, '4000', 0, 1, 'XTS', 'USD', 0, 1.25);
SELECT is(pg_temp.refusal($$SELECT rr_internal.check_journal('ref', 900006, 900007)$$),
          '23514: journal entry 900007 has a line in XTS converted into GBP, not the functional currency USD / '
          'Functional amounts are in the tenant''s functional currency, rr.tenant.currency.',
          'a line converted into another currency than the functional one is refused beside lines that are not');
ROLLBACK TO SAVEPOINT currencies;
-- what a write around the writers leaves shows in rr.journal_exceptions (a line of a
-- missing entry, one in a currency that does not exist, an unbalanced entry)
SAVEPOINT around;
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency)
VALUES ('ref', 900005, 1, '1100', 1, 0, 'USD'), ('ref', 900005, 2, '4000', 0, 1, 'USD'),
       ('ref', 900001, 3, '1100', 2, 0, 'ZZZ'), ('ref', 900001, 4, '4000', 0, 2, 'ZZZ'),
       ('ref', 900001, 5, '1100', 3, 0, 'USD');
SELECT results_eq($$SELECT entry_id, currency::text, problem FROM rr.journal_exceptions ORDER BY entry_id, currency$$,
                  $$VALUES (900001::bigint, 'USD', 'unbalanced'), (900001, 'ZZZ', 'unknown currency'), (900005, 'USD', 'no entry')$$,
                  'rr.journal_exceptions lists what a write around the writers breaks');
ROLLBACK TO SAVEPOINT around;
SELECT is_empty($$SELECT * FROM rr.journal_exceptions$$, 'and nothing when the journal is healthy');
SELECT throws_ok($$DELETE FROM rr.journal_entry WHERE tenant_id = 'ref' AND entry_id = 900001$$,
                 '55000', NULL, 'an entry with lines cannot be deleted');
SELECT throws_ok($$UPDATE rr.journal_entry SET entry_id = 900004 WHERE tenant_id = 'ref' AND entry_id = 900001$$,
                 '55000', NULL, 'an entry with lines cannot be re-keyed');
SET LOCAL client_min_messages = warning;
SELECT throws_ok($$TRUNCATE rr.journal_entry CASCADE$$, '55000', NULL, 'journal entries cannot be truncated');
SELECT throws_ok($$DELETE FROM rr.currency WHERE code = 'XTS'$$,
                 '23503', 'cannot delete currency "XTS"', 'a currency with journal lines cannot be deleted');
SELECT throws_ok($$UPDATE rr.currency SET code = 'XTT' WHERE code = 'XTS'$$,
                 '23503', 'cannot update currency "XTS"', 'a currency with journal lines cannot be renamed');
SELECT lives_ok($$UPDATE rr.currency SET name = 'Test' WHERE code = 'XTS'$$,
                'a currency with journal lines can still be described');
-- the posting's own entries passed the same check
SELECT is((SELECT count(*) FROM rr.journal_line l
            WHERE l.tenant_id = 'ref'
              AND NOT EXISTS (SELECT FROM rr.journal_entry e WHERE e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id)),
          0::bigint, 'no journal line without its entry');

-- journal entries: every writer's check looks up (and locks) the fiscal periods of the
-- entries it wrote, which no key does any more; a period entries name can be neither
-- deleted nor re-keyed
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('ref', 900006, '1990-01-15', '1990-01-01', 'manual', 1);
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900006, 1, '1100', 1, 0, 'USD'), ('ref', 900006, 2, '4000', 0, 1, 'USD')$v$,
                                         900006, 900006)$$,
                 '23503', 'fiscal period starting 1990-01-01 of tenant "ref" does not exist',
                 'an entry in a fiscal period that does not exist is refused');
SELECT throws_ok($$DELETE FROM rr.fiscal_period WHERE tenant_id = 'ref' AND period_start = '2024-01-01'$$,
                 '23503', 'cannot delete fiscal_period row: table "journal_entry" refers to it',
                 'a fiscal period with entries cannot be deleted');
SELECT throws_ok($$UPDATE rr.fiscal_period SET period_start = '2023-12-31' WHERE tenant_id = 'ref' AND period_start = '2024-01-01'$$,
                 '23503', 'cannot update fiscal_period row: table "journal_entry" refers to it',
                 'a fiscal period with entries cannot be re-keyed');

-- obligations: every writer takes the first line version from the contract's lines; a line
-- version that obligations name can be neither deleted nor re-keyed (the charges' guard,
-- which fires first, is taken out of the way in this transaction)
SELECT is_empty($$SELECT o.obligation_no FROM rr.performance_obligation o
                   WHERE o.tenant_id = 'ref' AND o.first_line_no IS NOT NULL
                     AND NOT EXISTS (SELECT FROM rr.contract_line l
                                      WHERE l.tenant_id = o.tenant_id AND l.contract_id = o.contract_id
                                        AND l.line_no = o.first_line_no AND l.effective_from = o.first_line_from)$$,
                'no obligation without its first line version');
ALTER TABLE rr.contract_line DISABLE TRIGGER contract_line_charged;
SELECT throws_ok(format($$DELETE FROM rr.contract_line WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete contract_line row: table "performance_obligation" refers to it',
                 'a contract line version with obligations cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.contract_line SET effective_from = '2024-01-02'
                           WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot update contract_line row: table "performance_obligation" refers to it',
                 'a contract line version with obligations cannot be re-keyed');
ALTER TABLE rr.contract_line ENABLE TRIGGER contract_line_charged;

-- charges: a line version or a run with charges can be neither deleted nor re-keyed (the
-- invoices' own keys to the run are taken out of the way, in this transaction, to show the
-- charges' guard)
SELECT throws_ok(format($$DELETE FROM rr.contract_line WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete contract_line row: table "charge" refers to it',
                 'a contract line version with charges cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.contract_line SET effective_from = '2024-01-02'
                           WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot update contract_line row: table "charge" refers to it',
                 'a contract line version with charges cannot be re-keyed');
SELECT throws_ok($$DELETE FROM rr.billing_run WHERE tenant_id = 'ref'$$, '23503',
                 'cannot delete billing_run row: table "charge" refers to it', 'a billing run with charges cannot be deleted');
SELECT throws_ok($$UPDATE rr.billing_run SET run_id = run_id + 1000 WHERE tenant_id = 'ref'$$, '23503',
                 'cannot update billing_run row: table "charge" refers to it', 'a billing run with charges cannot be re-keyed');

-- the writer's own check: a (simulated) bug that charges a line version that does not
-- exist is refused for the whole run
CREATE FUNCTION pg_temp.misdate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.line_effective_from := NEW.line_effective_from + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER misdate BEFORE INSERT ON rr.charge FOR EACH ROW EXECUTE FUNCTION pg_temp.misdate();
SELECT throws_ok($$SELECT count(*) FROM rr.run_billing('2024-02-01')$$, '23503',
                 format('contract line 1 version 2024-01-02 of contract %s does not exist', :contract),
                 'a charge of a line version that does not exist is refused');
DROP TRIGGER misdate ON rr.charge;
SELECT lives_ok($$SELECT count(*) FROM rr.run_billing('2024-02-01')$$, 'the same run without the bug bills');

-- invoice lines: every writer (billing, tax, credit notes) takes its invoice and charge from
-- rows it has just written; an invoice or a charge with lines cannot be deleted or re-keyed
SELECT lives_ok($$SELECT rr.credit_invoice((SELECT min(invoice_id) FROM rr.invoice WHERE tenant_id = 'ref'))$$,
                'a credit note is issued');
SELECT is_empty($$SELECT i.invoice_id FROM rr.invoice i
                   WHERE i.tenant_id = 'ref' AND i.journal_entry_id IS NOT NULL
                     AND NOT EXISTS (SELECT FROM rr.journal_entry e
                                      WHERE e.tenant_id = i.tenant_id AND e.entry_id = i.journal_entry_id)$$,
                'every posted invoice and credit note refers to its journal entry');
SELECT is_empty($$SELECT l.invoice_id, l.line_no FROM rr.invoice_line l
                   WHERE l.tenant_id = 'ref'
                     AND (NOT EXISTS (SELECT FROM rr.invoice i WHERE i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id)
                          OR l.charge_id IS NOT NULL
                             AND NOT EXISTS (SELECT FROM rr.charge c WHERE c.tenant_id = l.tenant_id AND c.charge_id = l.charge_id))$$,
                'no invoice line without its invoice and charge');
SELECT max(invoice_id) AS draft FROM rr.invoice WHERE tenant_id = 'ref' AND status = 'draft' \gset
SELECT throws_ok(format($$DELETE FROM rr.invoice WHERE tenant_id = 'ref' AND invoice_id = %s$$, :draft),
                 '23503', 'cannot delete invoice row: table "invoice_line" refers to it',
                 'a draft invoice with lines cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.invoice SET invoice_id = invoice_id + 1000 WHERE tenant_id = 'ref' AND invoice_id = %s$$, :draft),
                 '23503', 'cannot update invoice row: table "invoice_line" refers to it',
                 'a draft invoice with lines cannot be re-keyed');
SELECT throws_ok(format($$DELETE FROM rr.charge WHERE tenant_id = 'ref' AND charge_id IN
                            (SELECT charge_id FROM rr.invoice_line WHERE tenant_id = 'ref' AND invoice_id = %s)$$, :draft),
                 '23503', 'cannot delete charge row: table "invoice_line" refers to it', 'an invoiced charge cannot be deleted');
-- revenue schedule lines of a draft's invoice line: the line cannot be re-keyed under them,
-- and they go with it when the draft is undone (a billing schedule line written by hand)
INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on, amount,
                                      contract_amount, invoice_id, invoice_line_no, planned_on)
SELECT 'ref', :contract, min(o.obligation_no), 'billing', daterange('2024-02-01', '2024-03-01'), '2024-02-29', 1.00, 1.00,
       :draft, 1, '2024-02-01'
  FROM rr.performance_obligation o WHERE o.tenant_id = 'ref' AND o.contract_id = :contract;
SELECT throws_ok(format($$UPDATE rr.invoice_line SET line_no = 99 WHERE tenant_id = 'ref' AND invoice_id = %s AND line_no = 1$$, :draft),
                 '23503', 'cannot update invoice_line row: table "revenue_schedule_line" refers to it',
                 'an invoice line with schedule lines cannot be re-keyed');
-- (the trigger finds them through their invoice's contract; a draft deleted with its lines in
-- one statement, by its owner around rr.undo_last_billing, no longer names its contract then:
-- they are found by invoice alone, and still go with their lines)
SAVEPOINT whole_draft;
SELECT lives_ok(format($$WITH l AS (DELETE FROM rr.invoice_line WHERE tenant_id = 'ref' AND invoice_id = %s),
                              d AS (DELETE FROM rr.invoice_draft WHERE tenant_id = 'ref' AND invoice_id = %s)
                         DELETE FROM rr.invoice WHERE tenant_id = 'ref' AND invoice_id = %s$$, :draft, :draft, :draft),
                'a draft and its lines deleted in one statement');
SELECT is((SELECT count(*) FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND invoice_id = :draft), 0::bigint,
          'the schedule lines of its lines are gone with them');
ROLLBACK TO SAVEPOINT whole_draft;
SELECT is((SELECT count(*) FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND invoice_id = :draft), 1::bigint,
          'the draft''s schedule line is back for the undo below');
SELECT lives_ok(format($$SELECT rr.undo_last_billing(%s)$$, :contract), 'undoing the draft deletes its lines, invoice and charges');
SELECT is((SELECT count(*) FROM rr.invoice WHERE tenant_id = 'ref' AND status = 'draft'), 0::bigint, 'the draft is gone');
SELECT is((SELECT count(*) FROM rr.invoice_draft WHERE tenant_id = 'ref' AND invoice_id = :draft), 0::bigint,
          'its row of the drafts to post is gone with it');
-- the drafts to post (rr.invoice_draft) refer to their invoice without a foreign key: an
-- invoice with such a row can be neither deleted nor re-keyed (an empty draft written by hand)
SAVEPOINT drafted;
WITH i AS (
    INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
    SELECT 'ref', min(run_id), :contract, 'C', 'USD', '2024-12-01' FROM rr.billing_run WHERE tenant_id = 'ref'
    RETURNING tenant_id, invoice_id, series, invoice_date
), d AS (
    INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
    SELECT tenant_id, invoice_id, series, invoice_date FROM i
)
SELECT invoice_id AS empty_draft FROM i \gset
SELECT throws_ok(format($$DELETE FROM rr.invoice WHERE tenant_id = 'ref' AND invoice_id = %s$$, :empty_draft),
                 '23503', 'cannot delete invoice row: table "invoice_draft" refers to it',
                 'a draft invoice still to post cannot be deleted without its row of the drafts to post');
SELECT throws_ok(format($$UPDATE rr.invoice SET invoice_id = invoice_id + 1000 WHERE tenant_id = 'ref' AND invoice_id = %s$$, :empty_draft),
                 '23503', 'cannot update invoice row: table "invoice_draft" refers to it',
                 'a draft invoice still to post cannot be re-keyed');
ROLLBACK TO SAVEPOINT drafted;
SELECT is((SELECT count(*) FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND invoice_id = :draft), 0::bigint,
          'the schedule lines of its invoice lines are gone with them');
SELECT is_empty($$SELECT l.schedule_line_id FROM rr.revenue_schedule_line l
                   WHERE l.tenant_id = 'ref' AND l.invoice_id IS NOT NULL
                     AND NOT EXISTS (SELECT FROM rr.invoice_line il
                                      WHERE il.tenant_id = l.tenant_id AND il.invoice_id = l.invoice_id
                                        AND il.line_no = l.invoice_line_no)$$,
                'no revenue schedule line without its invoice line');

-- invoices: every writer (billing, credit notes) takes the contract and the run from rows
-- it has just written or read under the contract's lock; a contract or a run with invoices
-- can be neither deleted nor re-keyed (the keys of the contract's other children, and the
-- charges' guard, are taken out of the way in this transaction to show the invoices' guard)
SELECT is_empty($$SELECT i.invoice_id FROM rr.invoice i
                   WHERE i.tenant_id = 'ref'
                     AND (NOT EXISTS (SELECT FROM rr.contract k WHERE k.tenant_id = i.tenant_id AND k.contract_id = i.contract_id)
                          OR i.run_id IS NOT NULL
                             AND NOT EXISTS (SELECT FROM rr.billing_run r WHERE r.tenant_id = i.tenant_id AND r.run_id = i.run_id))$$,
                'no invoice without its contract and run');
SELECT min(run_id) AS first_run FROM rr.invoice WHERE tenant_id = 'ref' \gset
ALTER TABLE rr.charge DISABLE TRIGGER charge_invoiced;
DELETE FROM rr.charge WHERE tenant_id = 'ref' AND run_id = :first_run;
ALTER TABLE rr.charge ENABLE TRIGGER charge_invoiced;
SELECT throws_ok(format($$DELETE FROM rr.billing_run WHERE tenant_id = 'ref' AND run_id = %s$$, :first_run), '23503',
                 'cannot delete billing_run row: table "invoice" refers to it', 'a billing run with invoices cannot be deleted');
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.conrelid::regclass AS t, c.conname FROM pg_constraint c WHERE c.confrelid = 'rr.contract'::regclass LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
END
$$;
SELECT throws_ok(format($$DELETE FROM rr.contract WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete contract row: table "invoice" refers to it',
                 'a contract with invoices cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.contract SET contract_id = contract_id + 1000 WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot update contract row: table "invoice" refers to it',
                 'a contract with invoices cannot be re-keyed');


-- revenue schedule lines: every writer takes the obligation from rr.performance_obligation
-- (or the work table it has just written there); an obligation with lines cannot be
-- deleted or re-keyed (checked before its planned charges, below)
SELECT is_empty($$SELECT l.schedule_line_id FROM rr.revenue_schedule_line l
                   WHERE l.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.performance_obligation o
                                      WHERE o.tenant_id = l.tenant_id AND o.contract_id = l.contract_id
                                        AND o.obligation_no = l.obligation_no)$$,
                'no revenue schedule line without its obligation');
SELECT throws_ok(format($$DELETE FROM rr.performance_obligation WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete performance_obligation row: table "revenue_schedule_line" refers to it',
                 'an obligation with schedule lines cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.performance_obligation SET obligation_no = 7 WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot update performance_obligation row: table "revenue_schedule_line" refers to it',
                 'an obligation with schedule lines cannot be re-keyed');

-- the lines a re-plan replaced (rr.superseded_schedule_line) name their obligation too, which
-- the reports as of an earlier date read with them: it cannot be deleted or re-keyed under
-- them either (shown once the current lines are out of the way)
SELECT is_empty($$SELECT l.schedule_line_id FROM rr.superseded_schedule_line l
                   WHERE l.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.performance_obligation o
                                      WHERE o.tenant_id = l.tenant_id AND o.contract_id = l.contract_id
                                        AND o.obligation_no = l.obligation_no)$$,
                'no superseded schedule line without its obligation');
SAVEPOINT superseded;
DELETE FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND contract_id = :contract;
INSERT INTO rr.superseded_schedule_line (tenant_id, schedule_line_id, contract_id, obligation_no, source, period,
                                         recognize_on, amount, contract_amount, planned_on, superseded_on)
SELECT 'ref', -1, :contract, min(o.obligation_no), 'allocation', daterange('2024-02-01', '2024-03-01'), '2024-02-29',
       1.00, 1.00, '2024-01-01', '2024-02-15'
  FROM rr.performance_obligation o WHERE o.tenant_id = 'ref' AND o.contract_id = :contract;
SELECT throws_ok(format($$DELETE FROM rr.performance_obligation WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete performance_obligation row: table "superseded_schedule_line" refers to it',
                 'an obligation with superseded schedule lines cannot be deleted');
ROLLBACK TO SAVEPOINT superseded;

-- the allocation history of an obligation recognised by percent complete or on payment
-- (rr.obligation_allocation), which the RPO as of an earlier date reads, names it too
SELECT is_empty($$SELECT a.contract_id FROM rr.obligation_allocation a
                   WHERE a.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.performance_obligation o
                                      WHERE o.tenant_id = a.tenant_id AND o.contract_id = a.contract_id
                                        AND o.obligation_no = a.obligation_no)$$,
                'no allocation history without its obligation');
SAVEPOINT allocation;
DELETE FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND contract_id = :contract;
INSERT INTO rr.obligation_allocation (tenant_id, contract_id, obligation_no, allocated_on, allocated_amount)
SELECT 'ref', :contract, min(o.obligation_no), '2024-01-01', 1.00
  FROM rr.performance_obligation o WHERE o.tenant_id = 'ref' AND o.contract_id = :contract;
SELECT throws_ok(format($$DELETE FROM rr.performance_obligation WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete performance_obligation row: table "obligation_allocation" refers to it',
                 'an obligation with an allocation history cannot be deleted');
ROLLBACK TO SAVEPOINT allocation;

-- planned charges (rr.obligation_charge): their only writer, rr_internal.create_obligations,
-- writes each joined with the obligation it has just upserted and refuses a planned charge
-- or an obligation it did not write; an obligation with planned charges cannot be deleted
-- or re-keyed (shown once its schedule lines, open, are out of the way)
SELECT is_empty($$SELECT p.contract_id, p.line_no FROM rr.obligation_charge p
                   WHERE p.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.performance_obligation o
                                      WHERE o.tenant_id = p.tenant_id AND o.contract_id = p.contract_id
                                        AND o.obligation_no = p.obligation_no)$$,
                'no planned charge without its obligation');
SAVEPOINT planned;
DELETE FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND contract_id = :contract;
SELECT throws_ok(format($$DELETE FROM rr.performance_obligation WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot delete performance_obligation row: table "obligation_charge" refers to it',
                 'an obligation with planned charges cannot be deleted');
SELECT throws_ok(format($$UPDATE rr.performance_obligation SET obligation_no = 7 WHERE tenant_id = 'ref' AND contract_id = %s$$, :contract),
                 '23503', 'cannot update performance_obligation row: table "obligation_charge" refers to it',
                 'an obligation with planned charges cannot be re-keyed');
ROLLBACK TO SAVEPOINT planned;
-- the writer's own check: a (simulated) bug that leaves an obligation unwritten refuses the
-- whole activation, its planned charges with it
CREATE FUNCTION pg_temp.drop_obligation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE TRIGGER drop_obligation BEFORE INSERT ON rr.performance_obligation
    FOR EACH ROW EXECUTE FUNCTION pg_temp.drop_obligation();
SELECT throws_ok($$SELECT rr.setup_and_activate_contract(rr.create_contract('C', 'T', '2024-03-01'))$$, '23503',
                 'only 0 of 1 performance obligations were written',
                 'planned charges of an obligation that was not written are refused');
DROP TRIGGER drop_obligation ON rr.performance_obligation;
SELECT lives_ok($$SELECT rr.setup_and_activate_contract(rr.create_contract('C', 'T', '2024-03-01'))$$,
                'the same activation without the bug plans its charges');

-- catalog rows: documents name their customer, items, tax codes and accounts without
-- foreign keys; every writer locks the rows it used and refuses one that is gone
-- (rr_internal.lock_catalog), and the catalog keeps a row that documents use
-- (rr_internal.keep_used_catalog; the race is test/isolation/specs/catalog_delete_race.spec).
-- The catalog's own keys (items to accounts, contract items to items, contracts to
-- customers) are taken out of the way in this transaction to show the documents' guard.
SELECT is_empty($$SELECT 'invoice' FROM rr.invoice i WHERE i.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.customer c WHERE c.tenant_id = i.tenant_id AND c.code = i.customer)
                  UNION ALL
                  SELECT 'invoice line' FROM rr.invoice_line l WHERE l.tenant_id = 'ref'
                     AND (l.item IS NOT NULL AND NOT EXISTS (SELECT FROM rr.item it WHERE it.tenant_id = l.tenant_id AND it.code = l.item)
                          OR l.tax_code IS NOT NULL AND NOT EXISTS (SELECT FROM rr.tax_code t WHERE t.tenant_id = l.tenant_id AND t.code = l.tax_code))
                  UNION ALL
                  SELECT 'obligation' FROM rr.performance_obligation o WHERE o.tenant_id = 'ref'
                     AND (NOT EXISTS (SELECT FROM rr.item it WHERE it.tenant_id = o.tenant_id AND it.code = o.item)
                          OR NOT EXISTS (SELECT FROM rr.account a WHERE a.tenant_id = o.tenant_id AND a.code = o.revenue_account)
                          OR NOT EXISTS (SELECT FROM rr.account a WHERE a.tenant_id = o.tenant_id AND a.code = o.deferred_account))
                  UNION ALL
                  SELECT 'journal line' FROM rr.journal_line l WHERE l.tenant_id = 'ref'
                     AND NOT EXISTS (SELECT FROM rr.account a WHERE a.tenant_id = l.tenant_id AND a.code = l.account)$$,
                'no document names a customer, item, tax code or account that does not exist');
SELECT throws_ok($$SELECT rr_internal.lock_catalog('ref', 'item', ARRAY['SVC', 'NOPE', NULL])$$, '23503',
                 'item "NOPE" of tenant "ref" does not exist', 'a writer refuses a catalog row that is gone');
SELECT throws_ok($$SELECT pg_temp.writer($v$('ref', 900001, 3, '1100', 1, 0, 'USD'), ('ref', 900001, 4, '9998', 0, 1, 'USD')$v$,
                                         900001, 900001)$$,
                 '23503', 'account "9998" of tenant "ref" does not exist',
                 'a journal line to an account that does not exist is refused');
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.conrelid::regclass AS t, c.conname FROM pg_constraint c
              WHERE c.confrelid IN ('rr.account'::regclass, 'rr.item'::regclass, 'rr.customer'::regclass)
                AND c.conrelid <> c.confrelid LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
END
$$;
SELECT throws_ok($$DELETE FROM rr.account WHERE tenant_id = 'ref' AND code = '1100'$$, '23503',
                 'cannot delete account "1100": rr.journal_line uses it', 'an account with journal lines cannot be deleted');
SELECT throws_ok($$UPDATE rr.account SET code = '1199' WHERE tenant_id = 'ref' AND code = '1100'$$, '23503',
                 'cannot update account "1100": rr.journal_line uses it', 'an account with journal lines cannot be re-keyed');
SELECT lives_ok($$UPDATE rr.account SET name = 'Receivables' WHERE tenant_id = 'ref' AND code = '1100'$$,
                'an account with journal lines can still be renamed');
INSERT INTO rr.account (tenant_id, code, name, kind) VALUES ('ref', '4999', 'Other revenue', 'revenue');
UPDATE rr.performance_obligation SET revenue_account = '4999' WHERE tenant_id = 'ref';
SELECT throws_ok($$DELETE FROM rr.account WHERE tenant_id = 'ref' AND code = '4999'$$, '23503',
                 'cannot delete account "4999": rr.performance_obligation uses it',
                 'an account of an obligation cannot be deleted');
SELECT throws_ok($$DELETE FROM rr.item WHERE tenant_id = 'ref' AND code = 'SVC'$$, '23503',
                 'cannot delete item "SVC": rr.performance_obligation uses it', 'an item of an obligation cannot be deleted');
DELETE FROM rr.revenue_schedule_line WHERE tenant_id = 'ref' AND status = 'open';
ALTER TABLE rr.revenue_schedule_line DISABLE TRIGGER revenue_schedule_line_frozen;
DELETE FROM rr.revenue_schedule_line WHERE tenant_id = 'ref';
ALTER TABLE rr.revenue_schedule_line ENABLE TRIGGER revenue_schedule_line_frozen;
DELETE FROM rr.obligation_charge WHERE tenant_id = 'ref';
DELETE FROM rr.performance_obligation WHERE tenant_id = 'ref';
SELECT throws_ok($$DELETE FROM rr.item WHERE tenant_id = 'ref' AND code = 'SVC'$$, '23503',
                 'cannot delete item "SVC": rr.invoice_line uses it', 'an item on invoice lines cannot be deleted');
SELECT throws_ok($$DELETE FROM rr.customer WHERE tenant_id = 'ref' AND code = 'C'$$, '23503',
                 'cannot delete customer "C": rr.invoice uses it', 'an invoiced customer cannot be deleted');
INSERT INTO rr.account (tenant_id, code, name, kind) VALUES ('ref', '9999', 'Unused', 'expense');
SELECT lives_ok($$DELETE FROM rr.account WHERE tenant_id = 'ref' AND code = '9999'$$, 'an unused account can be deleted');

SELECT * FROM finish();
ROLLBACK;
