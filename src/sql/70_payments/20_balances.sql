-- Balances, derived from the settlements of each invoice (docs/payments.md): invoice and
-- customer balances, customer credit, AR aging.

-- Every posted invoice of a tenant (or those listed) dated up to as_of, with what settled
-- it up to as_of.
CREATE FUNCTION rr.invoice_balances(tenant_id text, as_of date, only_invoices bigint[] DEFAULT NULL)
RETURNS TABLE (invoice_id bigint, number text, contract_id bigint, customer text, currency char(3),
               invoice_date date, due_date date, total numeric, applied numeric, balance numeric,
               status text, past_due boolean, days_past_due integer)
LANGUAGE sql STABLE
BEGIN ATOMIC
    -- (every table filtered by the tenant itself: on Citus the query then goes to the
    -- tenant's shard whole, from inside a delegated function too: docs/scale-out.md)
    WITH settlement AS (
        -- Everything that settles a posted invoice, one row each: payment applications,
        -- posted credit notes (their lines are negative; the credit settles the invoice),
        -- wallet drawdowns and credit balances moved to customer credit.
        SELECT a.invoice_id, 'payment'::text AS kind, a.amount
          FROM rr.payment_application a
         WHERE a.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND a.applied_on OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR a.invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
        UNION ALL
        SELECT n.credits_invoice, 'credit_note'::text, OPERATOR(pg_catalog.-) l.amount
          FROM rr.invoice n
          JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
                                AND l.invoice_id OPERATOR(pg_catalog.=) n.invoice_id
         WHERE n.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND n.doc_type OPERATOR(pg_catalog.=) 'credit_note' AND n.status OPERATOR(pg_catalog.=) 'posted'
           AND n.invoice_date OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR n.credits_invoice OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
        UNION ALL
        -- prepaid credit drawn from a wallet (15_wallets.sql, 40_wallets.sql)
        SELECT w.invoice_id, 'wallet'::text, w.amount
          FROM rr.wallet_entry w
         WHERE w.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND w.kind OPERATOR(pg_catalog.=) 'drawdown'
           AND w.entry_date OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR w.invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
        UNION ALL
        -- a negative balance moved to customer credit (rr_internal.settle_credit_balances):
        -- it brings the invoice back to zero
        SELECT p.source_invoice_id, 'credit_balance'::text, OPERATOR(pg_catalog.-) p.amount
          FROM rr.payment p
         WHERE p.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND p.source_invoice_id IS NOT NULL
           AND p.received_on OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR p.source_invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
    ), settled AS (
        SELECT s.invoice_id,
               sum(s.amount) FILTER (WHERE s.kind OPERATOR(pg_catalog.=) 'payment') AS applied,
               sum(s.amount) AS settled
          FROM settlement s
         GROUP BY s.invoice_id
    ), inv AS (
        SELECT i.invoice_id, i.number, i.contract_id, i.customer, i.currency, i.invoice_date, i.due_date,
               (SELECT sum(l.amount) FROM rr.invoice_line l
                 WHERE l.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
                   AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id) AS total,
               coalesce(s.applied, 0) AS applied, coalesce(s.settled, 0) AS settled
          FROM rr.invoice i
          LEFT JOIN settled s ON s.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
         WHERE i.tenant_id OPERATOR(pg_catalog.=) invoice_balances.tenant_id
           AND i.status OPERATOR(pg_catalog.=) 'posted'
           AND i.doc_type OPERATOR(pg_catalog.=) 'invoice'
           AND i.invoice_date OPERATOR(pg_catalog.<=) invoice_balances.as_of
           AND (invoice_balances.only_invoices IS NULL
                OR i.invoice_id OPERATOR(pg_catalog.=) ANY (invoice_balances.only_invoices))
    )
    SELECT inv.invoice_id, inv.number, inv.contract_id, inv.customer, inv.currency, inv.invoice_date, inv.due_date,
           inv.total, inv.applied, inv.total OPERATOR(pg_catalog.-) inv.settled,
           CASE WHEN inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.<=) 0 THEN 'paid'
                WHEN inv.settled OPERATOR(pg_catalog.>) 0 THEN 'partly_paid'
                ELSE 'open' END,
           inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.>) 0
               AND inv.due_date OPERATOR(pg_catalog.<) invoice_balances.as_of,
           CASE WHEN inv.total OPERATOR(pg_catalog.-) inv.settled OPERATOR(pg_catalog.>) 0
                     AND pg_catalog.isfinite(invoice_balances.as_of)
                THEN greatest(invoice_balances.as_of OPERATOR(pg_catalog.-) inv.due_date, 0) ELSE 0 END
      FROM inv;
END;
COMMENT ON FUNCTION rr.invoice_balances(text, date, bigint[]) IS 'the posted invoices of a tenant (all, or those listed in only_invoices) dated up to as_of with their total, the payments applied up to as_of, the balance, status (open, partly_paid, paid), whether past due and by how many days; the one place where settlements (payment applications, later credit notes, wallet drawdowns, credit balances moved to customer credit) are summed';

-- Every payer of a tenant with what it paid and what of that is applied, up to as_of.
-- (What is applied is a sub-query per payment, not a lateral outer join: on Citus, read by
-- a role under the tenant policy, the policy's tenant and the argument make a constant
-- condition, and Citus 13 on PostgreSQL 15 refuses a statement with an outer join and
-- such a condition: "Distributed queries with outer joins and pseudoconstant quals are not
-- supported".  The plan is the same: one lookup of the payment's applications per payment.)
CREATE FUNCTION rr.customer_credits(tenant_id text, as_of date)
RETURNS TABLE (customer text, currency char(3), received numeric, applied numeric, unapplied numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT p.customer, p.currency, sum(p.amount), sum(p.applied), sum(p.amount OPERATOR(pg_catalog.-) p.applied)
      FROM (SELECT p.customer, p.currency, p.amount,
                   coalesce((SELECT sum(x.amount) FROM rr.payment_application x
                              WHERE x.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
                                AND x.payment_id OPERATOR(pg_catalog.=) p.payment_id
                                AND x.applied_on OPERATOR(pg_catalog.<=) customer_credits.as_of), 0) AS applied
              FROM rr.payment p
             WHERE p.tenant_id OPERATOR(pg_catalog.=) customer_credits.tenant_id
               AND p.received_on OPERATOR(pg_catalog.<=) customer_credits.as_of) p
     GROUP BY p.customer, p.currency;
END;
COMMENT ON FUNCTION rr.customer_credits(text, date) IS 'per paying customer and currency: payments received up to as_of (and credit balances of its invoices moved to customer credit), the part applied to invoices up to as_of, and the unapplied rest (customer credit)';

CREATE VIEW rr.invoice_balance WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, b.*
  FROM rr.invoice_balances(rr.current_tenant(), current_date) b;
COMMENT ON VIEW rr.invoice_balance IS 'one row per posted invoice of the current tenant: total, payments applied, balance, status (open, partly_paid, paid), past_due and days past due as of today; derived from the applications, never stored';
COMMENT ON COLUMN rr.invoice_balance.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.invoice_balance.invoice_id IS 'posted invoice id (credit notes are not listed: they settle the invoice they credit)';
COMMENT ON COLUMN rr.invoice_balance.number IS 'invoice number';
COMMENT ON COLUMN rr.invoice_balance.contract_id IS 'contract the invoice bills';
COMMENT ON COLUMN rr.invoice_balance.customer IS 'customer code billed';
COMMENT ON COLUMN rr.invoice_balance.currency IS 'ISO 4217 code of the invoice currency; all amounts below are in it';
COMMENT ON COLUMN rr.invoice_balance.invoice_date IS 'invoice date';
COMMENT ON COLUMN rr.invoice_balance.due_date IS 'date payment is due';
COMMENT ON COLUMN rr.invoice_balance.total IS 'invoice total: exact sum of its lines';
COMMENT ON COLUMN rr.invoice_balance.applied IS 'payments applied to the invoice up to today (credit notes not included); 0 when none';
COMMENT ON COLUMN rr.invoice_balance.balance IS 'what is still owed today: total less payments applied, posted credit notes crediting it and prepaid credit drawn from a wallet, plus a negative balance moved to customer credit; 0 when paid';
COMMENT ON COLUMN rr.invoice_balance.status IS 'open (nothing settled), partly_paid or paid (balance 0 or less)';
COMMENT ON COLUMN rr.invoice_balance.past_due IS 'true when a balance is left and the due date is before today';
COMMENT ON COLUMN rr.invoice_balance.days_past_due IS 'days from the due date to today while a balance is left; 0 when paid or not yet due';

CREATE VIEW rr.customer_balance WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, coalesce(ar.customer, cr.customer) AS customer,
       coalesce(ar.currency, cr.currency) AS currency,
       coalesce(ar.invoiced, 0) AS invoiced, coalesce(ar.applied, 0) AS applied,
       coalesce(ar.open_ar, 0) AS open_ar, coalesce(cr.received, 0) AS received,
       coalesce(cr.unapplied, 0) AS unapplied_credit,
       coalesce(ar.open_ar, 0) - coalesce(cr.unapplied, 0) AS net_balance
  FROM (SELECT b.customer, b.currency, sum(b.total) AS invoiced, sum(b.applied) AS applied, sum(b.balance) AS open_ar
          FROM rr.invoice_balances(rr.current_tenant(), current_date) b
         GROUP BY b.customer, b.currency) ar
  FULL JOIN rr.customer_credits(rr.current_tenant(), current_date) cr
         ON cr.customer = ar.customer AND cr.currency = ar.currency;
COMMENT ON VIEW rr.customer_balance IS 'accounts receivable per customer and currency of the current tenant, as of today: posted invoices, payments applied to them, open AR, payments received from the customer, unapplied customer credit, and net balance (open AR minus credit)';
COMMENT ON COLUMN rr.customer_balance.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.customer_balance.customer IS 'customer code (billed, or paying)';
COMMENT ON COLUMN rr.customer_balance.currency IS 'ISO 4217 code; all amounts of the row are in it';
COMMENT ON COLUMN rr.customer_balance.invoiced IS 'total of the customer''s posted invoices dated up to today; 0 when none';
COMMENT ON COLUMN rr.customer_balance.applied IS 'payments applied to those invoices up to today; 0 when none';
COMMENT ON COLUMN rr.customer_balance.open_ar IS 'what the customer still owes on them (invoice balances after payments and credit notes); 0 when none';
COMMENT ON COLUMN rr.customer_balance.received IS 'payments received from the customer up to today, and credit balances of its invoices moved to its customer credit (method credit_balance); 0 when none';
COMMENT ON COLUMN rr.customer_balance.unapplied_credit IS 'part of the payments received not applied to any invoice (customer credit); 0 when none';
COMMENT ON COLUMN rr.customer_balance.net_balance IS 'open_ar minus unapplied_credit: positive when the customer owes, negative when it holds credit';

CREATE FUNCTION rr.ar_aging(as_of date DEFAULT current_date)
RETURNS TABLE (customer text, currency char(3), current numeric, days_1_30 numeric, days_31_60 numeric,
               days_61_90 numeric, over_90 numeric, open_ar numeric, unapplied_credit numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(ar.customer, cr.customer), coalesce(ar.currency, cr.currency),
           coalesce(ar.current, 0), coalesce(ar.d30, 0), coalesce(ar.d60, 0), coalesce(ar.d90, 0),
           coalesce(ar.over, 0), coalesce(ar.open_ar, 0), coalesce(cr.unapplied, 0)
      FROM (SELECT b.customer, b.currency,
                   sum(b.balance) FILTER (WHERE b.days_past_due OPERATOR(pg_catalog.=) 0) AS current,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 1 AND 30) AS d30,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 31 AND 60) AS d60,
                   sum(b.balance) FILTER (WHERE b.days_past_due BETWEEN 61 AND 90) AS d90,
                   sum(b.balance) FILTER (WHERE b.days_past_due OPERATOR(pg_catalog.>) 90) AS over,
                   sum(b.balance) AS open_ar
              FROM rr.invoice_balances(rr.current_tenant(), ar_aging.as_of) b
             WHERE b.balance OPERATOR(pg_catalog.<>) 0
             GROUP BY b.customer, b.currency) ar
      FULL JOIN (SELECT c.customer, c.currency, c.unapplied
                   FROM rr.customer_credits(rr.current_tenant(), ar_aging.as_of) c
                  WHERE c.unapplied OPERATOR(pg_catalog.<>) 0) cr
             ON cr.customer OPERATOR(pg_catalog.=) ar.customer AND cr.currency OPERATOR(pg_catalog.=) ar.currency
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION rr.ar_aging(date) IS 'AR aging of the current tenant as of a date, per customer and currency: open balances of posted invoices by days past their due date (current, 1-30, 31-60, 61-90, over 90), the total open AR, and the unapplied customer credit';

CREATE VIEW rr.ar_aging WITH (security_invoker = true) AS
SELECT a.* FROM rr.ar_aging(current_date) a;
COMMENT ON VIEW rr.ar_aging IS 'AR aging of the current tenant as of today (rr.ar_aging(current_date)): open balances per customer and currency in buckets of days past due, and unapplied credit';
COMMENT ON COLUMN rr.ar_aging.customer IS 'customer code';
COMMENT ON COLUMN rr.ar_aging.currency IS 'ISO 4217 code; all amounts of the row are in it';
COMMENT ON COLUMN rr.ar_aging.current IS 'open balance of posted invoices not past due today; 0 when none';
COMMENT ON COLUMN rr.ar_aging.days_1_30 IS 'open balance 1 to 30 days past the due date; 0 when none';
COMMENT ON COLUMN rr.ar_aging.days_31_60 IS 'open balance 31 to 60 days past the due date; 0 when none';
COMMENT ON COLUMN rr.ar_aging.days_61_90 IS 'open balance 61 to 90 days past the due date; 0 when none';
COMMENT ON COLUMN rr.ar_aging.over_90 IS 'open balance more than 90 days past the due date; 0 when none';
COMMENT ON COLUMN rr.ar_aging.open_ar IS 'total open balance: the sum of the five buckets';
COMMENT ON COLUMN rr.ar_aging.unapplied_credit IS 'payments of the customer not applied to any invoice (customer credit), not deducted from the buckets; 0 when none';
