-- Posting (docs/billing.md): gapless numbers, due dates and journal entries
-- (rr_internal.post_invoices, rr.post_invoices: src/sql/85_workflows/25_posting.sql, which
-- also moves the credit of a negative invoice to customer credit); this file: the
-- registers of the documents posted.

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
