-- recurring_revenue demo: payments, receivables and aging (needs 50_billing.sql).
\echo
\echo '== Payments: ACME pays its annual invoice, Globex pays 5,500.00 on account, Initech sends a cheque of 6,000.00 that we keep unapplied'
SET rr.tenant = 'default';
SELECT rr.record_payment('ACME', 14160.00, '2024-02-20', 'wire 2024-0042', method => 'wire') AS acme,
       rr.record_payment('GLOBEX', 5500.00, '2024-06-15', 'ACH 7781', method => 'ach') AS globex,
       rr.record_payment('INITECH', 6000.00, '2024-05-10', 'cheque 118', apply => false, method => 'cheque') AS initech;

\echo '== Globex''s 5,500.00 went to its oldest open invoices first (an invoice dated after the payment takes it on its own date)'
SELECT p.payment_id, i.number, i.due_date, a.amount, a.applied_on
  FROM rr.payment_application a
  JOIN rr.payment p USING (tenant_id, payment_id)
  JOIN rr.invoice i USING (tenant_id, invoice_id)
 WHERE p.customer = 'GLOBEX' ORDER BY i.due_date;

\echo '== Initech''s cheque applied to its deposit invoice later (by default: as much as both allow); the rest stays customer credit'
SELECT rr.apply_payment(p.payment_id, i.invoice_id, applied_on => '2024-05-15') AS application
  FROM rr.payment p, rr.invoice i WHERE p.customer = 'INITECH' AND i.customer = 'INITECH'
   AND EXISTS (SELECT FROM rr.invoice_line l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id AND l.kind = 'deposit');

\echo '== Invoice balances as of 31 December 2024'
SELECT number, customer, due_date, total, applied, balance, status, days_past_due
  FROM rr.invoice_balances('default', '2024-12-31') ORDER BY number;

\echo '== AR aging as of 31 December 2024, by days past the due date'
SELECT * FROM rr.ar_aging('2024-12-31');

\echo '== The journal of the payments: cash, customer credit, receivable'
SELECT l.account, a.name, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.journal_entry e
  JOIN rr.journal_line l USING (tenant_id, entry_id)
  JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 WHERE e.source = 'payment'
 GROUP BY l.account, a.name ORDER BY l.account;
RESET rr.tenant;
