-- Posting (docs/billing.md): gapless numbers, due dates and journal entries
-- (rr_internal.post_invoices, rr.post_invoices: src/sql/85_workflows/25_posting.sql, which
-- also moves the credit of a negative invoice to customer credit); this file: the lines of
-- a document's journal entry, and the registers of the documents posted.

-- A document's lines summed into the lines of its journal entry (src/journal.c): per
-- receivable account a debit, then per credit account a credit, each side in the order of
-- its accounts, an account whose sum is zero left out.  Four aggregates over the same
-- lines, sharing one transition state: the accounts, and the signed amounts (positive a
-- debit, negative a credit), as arrays in line order; the document's total; and the
-- lines' numbers, one NULL for a document without any.
CREATE FUNCTION rr_internal.journal_sides_step(state internal, receivable_account text, credit_account text,
                                               amount numeric)
RETURNS internal
AS 'MODULE_PATHNAME', 'rr_journal_sides_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.journal_sides_step(internal, text, text, numeric) IS 'internal: transition of rr_internal.journal_accounts, rr_internal.journal_amounts and rr_internal.journal_total: one document line, its amount added to its receivable account (debit side) and to its credit account (credit side); a line with a NULL argument is left out';
REVOKE ALL ON FUNCTION rr_internal.journal_sides_step(internal, text, text, numeric) FROM PUBLIC;

CREATE FUNCTION rr_internal.journal_accounts_final(state internal)
RETURNS text[]
AS 'MODULE_PATHNAME', 'rr_journal_accounts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.journal_accounts_final(internal) IS 'internal: final function of rr_internal.journal_accounts';
REVOKE ALL ON FUNCTION rr_internal.journal_accounts_final(internal) FROM PUBLIC;

CREATE FUNCTION rr_internal.journal_amounts_final(state internal)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'rr_journal_amounts_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.journal_amounts_final(internal) IS 'internal: final function of rr_internal.journal_amounts';
REVOKE ALL ON FUNCTION rr_internal.journal_amounts_final(internal) FROM PUBLIC;

CREATE FUNCTION rr_internal.journal_total_final(state internal)
RETURNS numeric
AS 'MODULE_PATHNAME', 'rr_journal_total_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.journal_total_final(internal) IS 'internal: final function of rr_internal.journal_total';
REVOKE ALL ON FUNCTION rr_internal.journal_total_final(internal) FROM PUBLIC;

CREATE FUNCTION rr_internal.journal_line_nos_final(state internal)
RETURNS integer[]
AS 'MODULE_PATHNAME', 'rr_journal_line_nos_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rr_internal.journal_line_nos_final(internal) IS 'internal: final function of rr_internal.journal_line_nos';
REVOKE ALL ON FUNCTION rr_internal.journal_line_nos_final(internal) FROM PUBLIC;

CREATE AGGREGATE rr_internal.journal_accounts(receivable_account text, credit_account text, amount numeric) (
    SFUNC = rr_internal.journal_sides_step,
    STYPE = internal,
    FINALFUNC = rr_internal.journal_accounts_final
);
COMMENT ON AGGREGATE rr_internal.journal_accounts(text, text, numeric) IS 'internal: the accounts of the journal entry of a document''s lines, in line order: each receivable account, then each credit account, each side ordered by account (in the inputs'' collation), those whose sum is zero left out; NULL without lines';
REVOKE ALL ON FUNCTION rr_internal.journal_accounts(text, text, numeric) FROM PUBLIC;

CREATE AGGREGATE rr_internal.journal_amounts(receivable_account text, credit_account text, amount numeric) (
    SFUNC = rr_internal.journal_sides_step,
    STYPE = internal,
    FINALFUNC = rr_internal.journal_amounts_final
);
COMMENT ON AGGREGATE rr_internal.journal_amounts(text, text, numeric) IS 'internal: the amounts of the journal entry of a document''s lines, in the order of rr_internal.journal_accounts: the sum of each receivable account''s lines (positive: a debit), then minus the sum of each credit account''s lines (negative: a credit); NULL without lines';
REVOKE ALL ON FUNCTION rr_internal.journal_amounts(text, text, numeric) FROM PUBLIC;

CREATE AGGREGATE rr_internal.journal_total(receivable_account text, credit_account text, amount numeric) (
    SFUNC = rr_internal.journal_sides_step,
    STYPE = internal,
    FINALFUNC = rr_internal.journal_total_final
);
COMMENT ON AGGREGATE rr_internal.journal_total(text, text, numeric) IS 'internal: the total of a document''s lines, as sum(amount) gives it, computed with rr_internal.journal_accounts and rr_internal.journal_amounts from their shared state; NULL without lines';
REVOKE ALL ON FUNCTION rr_internal.journal_total(text, text, numeric) FROM PUBLIC;

CREATE AGGREGATE rr_internal.journal_line_nos(receivable_account text, credit_account text, amount numeric) (
    SFUNC = rr_internal.journal_sides_step,
    STYPE = internal,
    FINALFUNC = rr_internal.journal_line_nos_final
);
COMMENT ON AGGREGATE rr_internal.journal_line_nos(text, text, numeric) IS 'internal: the numbers of the lines of the journal entry of a document''s lines, 1 to n in the order of rr_internal.journal_accounts; ''{NULL}'' (one element) for a document without lines or whose accounts all sum to zero';
REVOKE ALL ON FUNCTION rr_internal.journal_line_nos(text, text, numeric) FROM PUBLIC;

CREATE VIEW rr.invoice_register WITH (security_invoker = true) AS
SELECT i.tenant_id, i.invoice_id, i.doc_type, i.series, i.number, i.status, i.credits_invoice, i.contract_id, i.customer, i.currency,
       i.invoice_date, i.due_date, count(l.line_no) AS lines, coalesce(sum(l.amount), 0) AS total
  FROM rr.invoice i
  LEFT JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 GROUP BY i.tenant_id, i.invoice_id;
COMMENT ON VIEW rr.invoice_register IS 'invoice and credit note register: one row per document with its type, number, status, the invoice a credit note credits, customer, dates, line count and total (the exact sum of its lines; negative for credit notes)';
COMMENT ON COLUMN rr.invoice_register.tenant_id IS 'tenant that owns the document';
COMMENT ON COLUMN rr.invoice_register.invoice_id IS 'document id (invoices and credit notes share it)';
COMMENT ON COLUMN rr.invoice_register.doc_type IS 'invoice or credit_note';
COMMENT ON COLUMN rr.invoice_register.series IS 'numbering series: INV for invoices, CN for credit notes';
COMMENT ON COLUMN rr.invoice_register.number IS 'gapless number within the tenant and series, assigned at posting; NULL for a draft';
COMMENT ON COLUMN rr.invoice_register.status IS 'draft or posted (a posted document is frozen)';
COMMENT ON COLUMN rr.invoice_register.credits_invoice IS 'for a credit note, the id of the invoice it credits; NULL for an invoice';
COMMENT ON COLUMN rr.invoice_register.contract_id IS 'contract the document bills';
COMMENT ON COLUMN rr.invoice_register.customer IS 'customer code billed';
COMMENT ON COLUMN rr.invoice_register.currency IS 'ISO 4217 code of the document currency';
COMMENT ON COLUMN rr.invoice_register.invoice_date IS 'document date';
COMMENT ON COLUMN rr.invoice_register.due_date IS 'date payment is due (invoice date plus the payment terms), set at posting; NULL for a draft';
COMMENT ON COLUMN rr.invoice_register.lines IS 'number of document lines (0 for an empty draft)';
COMMENT ON COLUMN rr.invoice_register.total IS 'exact sum of the line amounts in the document currency: positive for an invoice, negative for a credit note; 0 when it has no line';
REVOKE ALL ON rr.invoice_register FROM PUBLIC;
