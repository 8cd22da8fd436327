-- Billing: charges, runs, invoices, posting and the journal (docs/billing.md).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
-- regress.refused(statement, ids): runs a statement that must be refused and raises its
-- error again (SQLSTATE, message, detail and hint; not the schema, table or constraint
-- fields) with each id of ids written as its name: a whole number standing alone (not
-- part of another number, a date or an amount), each id a different value.  The later
-- tests use it too: ids drawn by a Citus worker come from a range of its own
-- (docs/scale-out.md), and a refusal that names one reads the same on both.
CREATE SCHEMA regress;
CREATE FUNCTION regress.refused(statement text, ids jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
    det text;
    hin text;
    k text;
    v text;
    alone text;
BEGIN
    IF EXISTS (SELECT FROM jsonb_each_text(ids) e
                WHERE e.value !~ '^[0-9]+$' OR e.key !~ '^:[a-z0-9_]+$'
                   OR (SELECT count(*) FROM jsonb_each_text(ids) f WHERE f.value = e.value) > 1) THEN
        RAISE EXCEPTION 'regress.refused: ids must map names like :name to distinct whole numbers'
            USING DETAIL = ids::text;
    END IF;
    BEGIN
        EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    END;
    IF state IS NULL THEN
        RAISE EXCEPTION 'regress.refused: the statement was not refused' USING DETAIL = statement;
    END IF;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each_text(ids) e LOOP
        alone := '(?<![[:alnum:]_./:-])' || v || '(?![[:alnum:]_]|[./:-][0-9])';
        msg := regexp_replace(msg, alone, k, 'g');
        det := regexp_replace(det, alone, k, 'g');
        hin := regexp_replace(hin, alone, k, 'g');
    END LOOP;
    IF det = '' AND hin = '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg;
    ELSIF hin = '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = det;
    ELSIF det = '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, HINT = hin;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = det, HINT = hin;
END
$$;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
SELECT rr.create_tenant('bill', 'Billing tests', 'USD');
SET rr.tenant = 'bill';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('bill', 'NOW', 'Immediate', 'immediate', '2100', '4400'),
    ('bill', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('bill', 'SUB', 'Subscription', '4000', '2100', '1100', 'DAILY'),
    ('bill', 'SUPPORT', 'Support', '4200', '2100', '1100', 'DAILY'),
    ('bill', 'HOSTING', 'Hosting', '4000', '2100', '1100', 'DAILY'),
    ('bill', 'SETUP', 'Setup', '4400', '2100', '1100', 'NOW'),
    ('bill', 'RENEW', 'Renewal', '4400', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('bill', 'SUB', 'USD', 31.00), ('bill', 'SUPPORT', 'USD', 300.00), ('bill', 'HOSTING', 'USD', 1200.00),
    ('bill', 'SETUP', 'USD', 400.00), ('bill', 'RENEW', 'USD', 100.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_percent,
                              renewal_item, collect_renewal_on_activation, recurring_item, billing_type,
                              billing_period, max_quantity) VALUES
    -- monthly prepaid at 31.00 with a setup fee of 25 % of the setup item's price
    ('bill', 'MONTHLY', 'Monthly plan', 'USD', 'SETUP', 'percent_of_item_price', 25, NULL, false, 'SUB', 'prepaid', NULL, 100),
    -- the same, billed at the end of each month
    ('bill', 'MONTHLY-POST', 'Monthly plan, in arrears', 'USD', NULL, 'item_price', NULL, NULL, false, 'SUB', 'postpaid', NULL, 100),
    -- quarterly support and yearly hosting on their own billing periods
    ('bill', 'SUPPORT-Q', 'Support, quarterly', 'USD', NULL, 'item_price', NULL, NULL, false, 'SUPPORT', 'prepaid', '3 months', 100),
    ('bill', 'HOSTING-Y', 'Hosting, yearly', 'USD', NULL, 'item_price', NULL, NULL, false, 'HOSTING', 'prepaid', '1 year', 100),
    -- a renewal fee collected on activation
    ('bill', 'RENEWABLE', 'Plan with renewal fee', 'USD', NULL, 'item_price', NULL, 'RENEW', true, 'SUB', 'prepaid', NULL, 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, payment_terms_days) VALUES
    ('bill', 'ANNIV', 'Annual, billed monthly, anniversary', 1, 'year', 'month', 'anniversary', 30),
    ('bill', 'CAL', 'Annual, billed monthly, calendar months', 1, 'year', 'month', 'calendar', 14),
    ('bill', 'MIXED', 'Monthly, quarterly and yearly lines', 1, 'year', 'month', 'calendar', 30),
    ('bill', 'POST', 'Annual, in arrears', 1, 'year', 'month', 'calendar', 30),
    ('bill', 'RENEW', 'Annual with a renewal fee', 1, 'year', 'month', 'anniversary', 30);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('bill', 'ANNIV', 1, 'MONTHLY', 2), ('bill', 'CAL', 1, 'MONTHLY', 1),
    ('bill', 'MIXED', 1, 'MONTHLY', 1), ('bill', 'MIXED', 2, 'SUPPORT-Q', 1), ('bill', 'MIXED', 3, 'HOSTING-Y', 1),
    ('bill', 'POST', 1, 'MONTHLY-POST', 1), ('bill', 'RENEW', 1, 'RENEWABLE', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('bill', 'CU', 'Customer', 'USD');

-- (1) An annual contract billed monthly, anniversary billing from 31 January 2024:
-- periods end on Feb 29, Mar 31, Apr 30, ... every one whole, 2 × 31.00 each, plus the
-- setup fee (25 % of 400.00 = 100.00 per unit, 2 units).
SELECT rr.create_contract('CU', 'ANNIV', '2024-01-31') AS anniv \gset
SELECT rr.setup_and_activate_contract(:anniv);
SELECT invoice_id IS NOT NULL AS invoiced, lines, total FROM rr.bill_contract(:anniv, '2025-01-31');
SELECT kind, service_period, quantity, unit_price, amount, due_date
  FROM rr.charge WHERE contract_id = :anniv ORDER BY kind DESC, lower(service_period);
SELECT sum(amount) FILTER (WHERE kind = 'recurring') AS contracted_recurring FROM rr.charge WHERE contract_id = :anniv;

-- (2) Calendar months from 15 January: a stub of 17/31 first, 14/31 last (rounded once).
SELECT rr.create_contract('CU', 'CAL', '2024-01-15') AS cal \gset
SELECT rr.setup_and_activate_contract(:cal);
SELECT lines, total FROM rr.bill_contract(:cal, '2025-01-14');
SELECT kind, service_period, amount, due_date FROM rr.charge
 WHERE contract_id = :cal ORDER BY kind DESC, lower(service_period);
SELECT sum(amount) AS contracted_recurring, count(*) AS periods
  FROM rr.charge WHERE contract_id = :cal AND kind = 'recurring';

-- (3) Monthly, quarterly and yearly lines on one contract (calendar aligned from 10 Feb).
SELECT rr.create_contract('CU', 'MIXED', '2024-02-10') AS mixed \gset
SELECT rr.setup_and_activate_contract(:mixed);
SELECT lines, total FROM rr.bill_contract(:mixed, '2024-07-01');
SELECT l.contract_item, c.service_period, c.amount, c.due_date
  FROM rr.charge c JOIN rr.contract_line l USING (tenant_id, contract_id, line_no)
 WHERE c.contract_id = :mixed AND c.kind = 'recurring'
 ORDER BY l.line_no, lower(c.service_period);

-- (4) Postpaid: each month is billed when it has ended; prepaid when it begins.
SELECT rr.create_contract('CU', 'POST', '2024-03-01') AS post \gset
SELECT rr.setup_and_activate_contract(:post);
SELECT count(*) AS lines_due_2024_03_31 FROM rr.preview_billing('2024-03-31', :post);
SELECT service_period, amount FROM rr.preview_billing('2024-04-01', :post);
SELECT lines, total FROM rr.bill_contract(:post, '2024-06-15');
SELECT service_period, due_date FROM rr.charge WHERE contract_id = :post ORDER BY 1;

-- (5) A renewal fee collected on activation, for the current term.
SELECT rr.create_contract('CU', 'RENEW', '2024-05-01') AS ren \gset
SELECT rr.setup_and_activate_contract(:ren, '2024-05-03');
SELECT kind, service_period, amount FROM rr.preview_billing('2024-05-03', :ren) ORDER BY kind;

-- Preview leaves nothing behind and equals the real run.
SELECT count(*) AS charges_before FROM rr.charge \gset
SELECT count(*) AS preview_lines, sum(amount) AS preview_total FROM rr.preview_billing('2024-06-30');
SELECT count(*) - :charges_before AS charges_left_by_preview FROM rr.charge;
SELECT count(*) AS invoices, sum(lines) AS run_lines, sum(total) AS run_total FROM rr.run_billing('2024-06-30');
-- Re-running changes nothing.
SELECT count(*) AS invoices_on_rerun FROM rr.run_billing('2024-06-30');

-- Posting: gapless numbers in date order, due dates from the payment terms, one balanced
-- journal entry each, in the fiscal period of the invoice date.
SELECT number, invoice_date, due_date, total FROM rr.post_invoices('2025-01-31') ORDER BY number;
SELECT count(*) AS posted_again FROM rr.post_invoices('2025-01-31');
SELECT i.number, e.period_start, l.account, l.debit, l.credit
  FROM rr.invoice i
  JOIN rr.journal_entry e ON e.tenant_id = i.tenant_id AND e.entry_id = i.journal_entry_id
  JOIN rr.journal_line l ON l.tenant_id = e.tenant_id AND l.entry_id = e.entry_id
 WHERE i.contract_id = :mixed
 ORDER BY i.number, l.line_no;
SELECT count(*) FILTER (WHERE d <> c) AS unbalanced_entries
  FROM (SELECT entry_id, sum(debit) AS d, sum(credit) AS c FROM rr.journal_line GROUP BY entry_id) x;
SELECT count(*) AS invoices, min(number), max(number),
       count(DISTINCT number) = max(substr(number, 5)::int) - min(substr(number, 5)::int) + 1 AS gapless
  FROM rr.invoice WHERE status = 'posted';
SELECT bool_and(r.total = (SELECT sum(amount) FROM rr.invoice_line l
                            WHERE l.tenant_id = r.tenant_id AND l.invoice_id = r.invoice_id)) AS totals_exact
  FROM rr.invoice_register r;

-- A closed period: postings dated in it go to the first open period after it.
UPDATE rr.fiscal_period SET status = 'closed' WHERE period_start = '2024-07-01';
SELECT lines FROM rr.bill_contract(:post, '2024-07-20');
SELECT number, invoice_date FROM rr.post_invoices('2024-07-31');
SELECT e.entry_date, e.period_start FROM rr.journal_entry e
  JOIN rr.invoice i ON i.tenant_id = e.tenant_id AND i.journal_entry_id = e.entry_id
 WHERE i.invoice_date = '2024-07-20';

-- Undo the last billing: the draft goes, the charges become due again.
SELECT lines FROM rr.bill_contract(:cal, '2025-01-14');
SELECT lines FROM rr.bill_contract(:post, '2024-09-01');
SELECT count(*) AS undone_invoices FROM rr.undo_last_billing(:post);
SELECT count(*) AS due_again FROM rr.preview_billing('2024-09-01', :post);
SELECT lines, total FROM rr.bill_contract(:post, '2024-09-01');

-- A line change inside a billed period: the days from the change are credited at the old
-- quantity and billed at the new one (17/31 of 31.00 each way); later ones are billed by version.
SELECT rr.change_contract_line(:post, 'MONTHLY-POST', '2024-08-15', quantity => 3);
SELECT rr.change_contract_line(:post, 'MONTHLY-POST', '2024-09-16', quantity => 3);
SELECT service_period, quantity, amount FROM rr.preview_billing('2024-10-01', :post);

-- Tax: one line per invoice and tax code, rounded once per invoice and code.  Exclusive:
-- 8.875 % on top; inclusive: 20 % taken out of the price, the nets split exactly.
INSERT INTO rr.tax_code (tenant_id, code, name, rate, is_inclusive, account) VALUES
    ('bill', 'NY', 'New York sales tax', 0.08875, false, '2200'),
    ('bill', 'VAT20', 'VAT 20 % included', 0.20, true, '2200');
INSERT INTO rr.customer (tenant_id, code, name, currency, tax_code) VALUES
    ('bill', 'NYC', 'New York customer', 'USD', 'NY'), ('bill', 'EU', 'Customer paying VAT', 'USD', 'VAT20');
SELECT rr.create_contract('NYC', 'MIXED', '2024-02-10') AS taxed \gset
SELECT rr.setup_and_activate_contract(:taxed);
SELECT lines, total FROM rr.bill_contract(:taxed, '2024-02-10');
SELECT line_no, kind, contract_item, amount, tax_code, credit_account
  FROM rr.invoice_line WHERE invoice_id = (SELECT max(invoice_id) FROM rr.invoice WHERE contract_id = :taxed)
 ORDER BY line_no;
SELECT rr.create_contract('EU', 'ANNIV', '2024-02-01') AS vat \gset
SELECT rr.setup_and_activate_contract(:vat);
SELECT lines, total FROM rr.bill_contract(:vat, '2024-03-01');
SELECT line_no, kind, service_period, amount, tax_code
  FROM rr.invoice_line WHERE invoice_id = (SELECT max(invoice_id) FROM rr.invoice WHERE contract_id = :vat)
 ORDER BY line_no;
SELECT number, total FROM rr.post_invoices('2024-03-01');

-- Credit notes: an amount split over the lines (tax included), then one line with its
-- share of the tax, then everything left; each posted at once in series CN.
SELECT max(invoice_id) AS taxed_invoice FROM rr.invoice WHERE contract_id = :taxed \gset
SELECT number, total FROM rr.credit_invoice(:taxed_invoice, 100.00, reason => 'service outage', credit_date => '2024-03-05');
SELECT number, total FROM rr.credit_invoice(:taxed_invoice, lines => '{3}', credit_date => '2024-03-06');
SELECT number, total FROM rr.credit_invoice(:taxed_invoice, credit_date => '2024-03-07');
SELECT n.number, l.line_no, l.kind, l.amount, l.credits_line_no
  FROM rr.invoice n JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE n.credits_invoice = :taxed_invoice ORDER BY n.number, l.line_no;
SELECT sum(total) AS invoice_plus_credit_notes FROM rr.invoice_register
 WHERE invoice_id = :taxed_invoice OR credits_invoice = :taxed_invoice;
SELECT l.account, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.journal_entry e JOIN rr.journal_line l USING (tenant_id, entry_id)
 WHERE e.source = 'credit_note' GROUP BY l.account ORDER BY l.account;

-- Discounts: 10 % off the monthly line for its first 2 periods; 50.00 off each contract
-- month (the template's period) split over the lines billed in it with rr.allocate;
-- 5 % off every line from July.  Each is its own invoice line, posted to 4950.
SELECT rr.create_contract('CU', 'MIXED', '2024-04-01') AS disc \gset
SELECT rr.setup_and_activate_contract(:disc);
SELECT rr.add_discount(:disc, 'percent', 10, 1, first_periods => 2, description => 'intro') > 0 AS added;
SELECT rr.add_discount(:disc, 'amount', 50.00, valid => '[2024-04-01,2024-06-01)', description => 'spring') > 0 AS added;
SELECT rr.add_discount(:disc, 'percent', 5, valid => '[2024-07-01,2025-01-01)', description => 'loyalty') > 0 AS added;
SELECT lines, total FROM rr.bill_contract(:disc, '2024-07-01');
SELECT l.line_no, l.kind, l.contract_item, l.service_period, l.unit_price, l.amount, l.credit_account
  FROM rr.invoice_line l JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE i.contract_id = :disc ORDER BY l.line_no;
SELECT action, reason FROM rr.contract_event WHERE contract_id = :disc AND action = 'add_discount' ORDER BY event_id;

-- Bad input: refused, and nothing half written.
\set VERBOSITY default
SELECT count(*) AS charges_before FROM rr.charge \gset
SELECT rr.create_contract('CU', 'CAL', '2024-03-01') AS draft \gset
SELECT * FROM rr.bill_contract(:draft, '2024-04-01');
SELECT * FROM rr.preview_billing('2024-04-01', :draft);
SELECT rr.setup_and_activate_contract(:draft);
SELECT * FROM rr.bill_contract(:draft, '2024-02-28');
SELECT * FROM rr.bill_contract(:draft, NULL);
SELECT * FROM rr.run_billing(NULL);
SELECT * FROM rr.run_billing('infinity');
SELECT * FROM rr.run_billing('294276-01-01');
SELECT * FROM rr.preview_billing('-infinity');
SELECT * FROM rr.post_invoices('infinity');
SELECT * FROM rr.post_invoices('2024-12-31', 'ANY-TEXT');
SELECT count(*) AS counters FROM rr.invoice_counter WHERE series NOT IN ('INV', 'CN');
SELECT rr.terminate_contract(:draft, '2024-05-15');
SELECT * FROM rr.bill_contract(:draft, '2024-06-01');
SELECT * FROM rr.bill_contract(999999, '2024-06-01');
SELECT count(*) - :charges_before AS charges_added_by_refusals FROM rr.charge;
SELECT * FROM rr.undo_last_billing(:anniv);
SELECT * FROM rr.undo_last_billing(:draft);
-- posted documents are frozen, for every role (the refusals name the invoice's id)
SELECT min(invoice_id) AS anniv_invoice FROM rr.invoice WHERE tenant_id = 'bill' AND contract_id = :anniv \gset
SELECT regress.refused('UPDATE rr.invoice SET invoice_date = ''2024-01-01'' WHERE contract_id = ' || :anniv,
                       jsonb_build_object(':anniv_invoice', :anniv_invoice));
SELECT regress.refused('DELETE FROM rr.invoice WHERE contract_id = ' || :anniv,
                       jsonb_build_object(':anniv_invoice', :anniv_invoice));
SELECT regress.refused('UPDATE rr.invoice_line SET amount = 0 WHERE invoice_id = ' || :anniv_invoice,
                       jsonb_build_object(':anniv_invoice', :anniv_invoice));
SELECT regress.refused('DELETE FROM rr.invoice_line WHERE invoice_id = ' || :anniv_invoice,
                       jsonb_build_object(':anniv_invoice', :anniv_invoice));
UPDATE rr.journal_line SET debit = debit + 1;
DELETE FROM rr.journal_entry;
-- an unbalanced entry is refused by the check every writer of the journal makes for the
-- entries it wrote (rr_internal.check_journal), and shows in rr.journal_exceptions if it
-- was written around it
INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id)
VALUES ('bill', 999, '2024-06-01', '2024-06-01', 'manual', 1);
BEGIN;
INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency)
VALUES ('bill', 999, 1, '1100', 10.00, 0, 'USD'), ('bill', 999, 2, '4000', 0, 9.99, 'USD');
SELECT * FROM rr.journal_exceptions;
SELECT rr_internal.check_journal('bill', 999, 999);
ROLLBACK;
SELECT count(*) AS exceptions FROM rr.journal_exceptions;
-- an empty draft cannot be posted (written by hand as a run writes a draft: the invoice and
-- its row of the drafts to post)
WITH i AS (
    INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
    SELECT 'bill', max(run_id), :anniv, 'CU', 'USD', '2024-12-01' FROM rr.billing_run WHERE tenant_id = 'bill'
    RETURNING tenant_id, invoice_id, series, invoice_date
), d AS (
    INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
    SELECT tenant_id, invoice_id, series, invoice_date FROM i
)
SELECT invoice_id AS empty_draft FROM i \gset
SELECT regress.refused($$SELECT * FROM rr.post_invoices('2024-12-31')$$, jsonb_build_object(':empty_draft', :empty_draft));
-- credit notes: never more than was invoiced, never on a draft or a credit note
SELECT * FROM rr.credit_invoice(:taxed_invoice, 0.01);
SELECT max(invoice_id) AS vat_invoice FROM rr.invoice WHERE contract_id = :vat \gset
SELECT * FROM rr.credit_invoice(:vat_invoice, 10000.00);
SELECT * FROM rr.credit_invoice(:vat_invoice, -5);
SELECT * FROM rr.credit_invoice(:vat_invoice, 5, '{1}');
SELECT * FROM rr.credit_invoice(:vat_invoice, lines => '{99}');
SELECT * FROM rr.credit_invoice(:vat_invoice, lines => '{NULL}');
SELECT * FROM rr.credit_invoice(:vat_invoice, lines => '{1,NULL}');
SELECT * FROM rr.credit_invoice(:vat_invoice, 'NaN');
SELECT * FROM rr.credit_invoice(:vat_invoice, 'Infinity');
SELECT * FROM rr.credit_invoice(:vat_invoice, credit_date => 'infinity');
SELECT * FROM rr.credit_invoice(:vat_invoice, credit_date => '2024-01-01');
SELECT * FROM rr.credit_invoice((SELECT min(invoice_id) FROM rr.invoice WHERE doc_type = 'credit_note'));
SELECT min(invoice_id) AS first_draft FROM rr.invoice WHERE tenant_id = 'bill' AND status = 'draft' AND doc_type = 'invoice' \gset
SELECT regress.refused('SELECT * FROM rr.credit_invoice(' || :first_draft || ')', jsonb_build_object(':first_draft', :first_draft));
SELECT * FROM rr.credit_invoice(999999);
SELECT * FROM rr.credit_invoice(NULL);
-- more line numbers than the invoice has lines: refused before any work on them
SELECT * FROM rr.credit_invoice((SELECT min(invoice_id) FROM rr.invoice WHERE status = 'posted' AND doc_type = 'invoice'),
                                lines => array_fill(1, ARRAY[1000000]));
-- discounts
SELECT rr.add_discount(:disc, 'percent', 101);
SELECT rr.add_discount(:disc, 'amount', 10.005);
SELECT rr.add_discount(:disc, 'amount', 0);
SELECT rr.add_discount(:disc, 'coupon', 10);
SELECT rr.add_discount(:disc, 'percent', 10, 9);
SELECT rr.add_discount(:disc, 'percent', 10, first_periods => 0);
SELECT rr.add_discount(:disc, 'percent', -10);
SELECT rr.add_discount(:disc, 'amount', -5);
SELECT rr.add_discount(:disc, NULL, 10);
SELECT rr.add_discount(:disc, 'percent', NULL);
SELECT rr.add_discount(:disc, 'percent', 10, valid => 'empty');
SELECT rr.add_discount(:draft, 'percent', 10);
SELECT rr.add_discount(:disc, 'amount', 'Infinity');
SELECT rr.add_discount(:disc, 'percent', 'NaN');
SELECT rr.add_discount(:disc, 'amount', 1e15);
SELECT rr.add_discount(:disc, 'percent', 10, valid => '[2024-01-01,infinity)');
-- custom fiscal periods must not overlap
SELECT rr.add_fiscal_periods('{"[2024-06-15,2024-07-15)"}');
RESET rr.tenant;
