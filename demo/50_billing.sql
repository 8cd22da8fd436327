-- recurring_revenue demo: billing the demo's contracts through 2024 (needs 30_contracts.sql).
\echo
\echo '== A launch offer for Globex: 10 % off its seats for the first three months'
SET rr.tenant = 'default';
SELECT rr.add_discount(2, 'percent', 10, 1, first_periods => 3, description => 'launch offer') AS discount_id;

\echo '== Preview of the first billing run (same code path, rolled back)'
SELECT contract_id, customer, kind, contract_item, service_period, quantity, unit_price, amount
  FROM rr.preview_billing('2024-03-01');

\echo '== Billing through 2024: one run on each month end (from the calendar core: no drift), then posting'
SELECT upper(m) - 1 AS run_date, count(i.*) AS invoices, coalesce(sum(i.total), 0) AS billed
  FROM rr.billing_periods('2024-01-01', '2025-01-01', '1 month', '2000-01-01') AS m
  LEFT JOIN LATERAL rr.run_billing(upper(m) - 1) AS i ON true
 GROUP BY m ORDER BY m;
SELECT count(*) AS posted, min(number) AS first_number, max(number) AS last_number, sum(total) AS total
  FROM rr.post_invoices('2024-12-31');
SELECT count(*) AS invoices_on_rerun FROM rr.run_billing('2024-12-31');

\echo '== The invoice register'
SELECT number, customer, invoice_date, due_date, lines, total
  FROM rr.invoice_register ORDER BY number LIMIT 8;

\echo '== Globex''s invoices: 25 seats with the launch offer, then 40 seats from June (the line version)'
SELECT i.number, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.customer = 'GLOBEX' AND i.invoice_date <= '2024-07-31'
 ORDER BY i.number, l.line_no;

\echo '== A goodwill credit of 500.00 on Acme''s invoice: split over its lines, tax included, posted at once'
SELECT number, total FROM rr.credit_invoice((SELECT invoice_id FROM rr.invoice WHERE number = 'INV-000001'),
                                            500.00, reason => 'goodwill', credit_date => '2024-12-31');
SELECT n.number, l.kind, l.contract_item, l.amount, l.credits_line_no
  FROM rr.invoice n JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE n.doc_type = 'credit_note' ORDER BY l.line_no;

\echo '== The journal: receivable against deferred revenue, licence revenue, tax and deposits'
SELECT l.account, a.name, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.journal_line l JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 GROUP BY l.account, a.name ORDER BY l.account;
RESET rr.tenant;
