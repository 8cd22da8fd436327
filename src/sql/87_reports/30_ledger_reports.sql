-- Billings, recognised revenue and its disaggregation, bookings, and the customer summary
-- (docs/reports.md).  Billings and revenue read posted documents and posted schedule lines
-- by the booking date of their journal entry (rr_internal.booking_date), so they agree with
-- the journal and never move once their period is closed.

-- Posted invoices and credit notes by fiscal period, customer, item and charge kind.
CREATE FUNCTION rr.billings(from_date date, to_date date)
RETURNS TABLE (period_start date, customer text, contract_item text, item text, kind text, currency char(3),
               documents bigint, amount numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    -- the posted documents with their lines first (a hash join: every line takes part),
    -- then the journal entries of the window: planned apart (OFFSET 0), so that the
    -- window's estimate (small without statistics for the parameters) cannot turn the
    -- line look-up into one index probe per document (as rr.recognised_revenue)
    SELECT e.period_start, i.customer, i.contract_item, i.item, i.kind, i.currency,
           count(DISTINCT i.invoice_id), sum(i.amount)
      FROM (SELECT i.invoice_id, i.journal_entry_id, i.customer, i.currency, l.contract_item, l.item, l.kind, l.amount
              FROM rr.invoice i
              JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                    AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
             WHERE i.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND i.status OPERATOR(pg_catalog.=) 'posted'
            OFFSET 0) i
      JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                             AND e.entry_id OPERATOR(pg_catalog.=) i.journal_entry_id
     WHERE (SELECT rr_internal.check_report_window(billings.from_date, billings.to_date))
       AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.>=) billings.from_date
       AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) billings.to_date
     GROUP BY e.period_start, i.customer, i.contract_item, i.item, i.kind, i.currency
     ORDER BY e.period_start, i.currency, i.customer, i.contract_item, i.item, i.kind;
END;
COMMENT ON FUNCTION rr.billings(date, date) IS 'billings over [from_date, to_date): posted invoice and credit note lines by the fiscal period their journal entry went into, customer, contract item, item, charge kind (setup, recurring, usage, renewal, deposit, discount, tax...) and currency, with the number of documents and the amount (credit notes negative); by booking date, so a closed period never moves';
REVOKE ALL ON FUNCTION rr.billings(date, date) FROM PUBLIC;

-- Revenue recognised: posted schedule lines by the fiscal period of their journal entry.
-- In no order: a row per contract, item and period is a set to aggregate or join (13
-- million rows for a year of 1,000,000 contracts, which took a third of the call to sort);
-- the reader orders what it keeps (docs/reports.md).
CREATE FUNCTION rr.recognised_revenue(from_date date, to_date date)
RETURNS TABLE (period_start date, customer text, contract_id bigint, item text, account text, method text,
               currency char(3), amount numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    -- the posted lines with their obligation and contract first (hash joins: every line
    -- takes part), then the journal entries of the window: planned apart (OFFSET 0), so
    -- that the window's estimate (small without statistics for the parameters) cannot
    -- turn the obligation and contract look-ups into one index probe per line
    SELECT e.period_start, l.customer, l.contract_id, l.item, l.revenue_account, l.method, l.currency, sum(l.amount)
      FROM (SELECT l.entry_id, l.contract_id, l.amount, k.customer, o.item, o.revenue_account, o.method, o.currency
              FROM rr.revenue_schedule_line l
              JOIN rr.performance_obligation o ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                              AND o.contract_id OPERATOR(pg_catalog.=) l.contract_id
                                              AND o.obligation_no OPERATOR(pg_catalog.=) l.obligation_no
              JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                AND k.contract_id OPERATOR(pg_catalog.=) l.contract_id
             WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND l.status OPERATOR(pg_catalog.=) 'posted'
            OFFSET 0) l
      JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                             AND e.entry_id OPERATOR(pg_catalog.=) l.entry_id
     WHERE (SELECT rr_internal.check_report_window(recognised_revenue.from_date, recognised_revenue.to_date))
       AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.>=) recognised_revenue.from_date
       AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) recognised_revenue.to_date
     GROUP BY e.period_start, l.customer, l.contract_id, l.item, l.revenue_account, l.method, l.currency;
END;
COMMENT ON FUNCTION rr.recognised_revenue(date, date) IS 'revenue recognised over [from_date, to_date): posted revenue schedule lines by the fiscal period their journal entry went into, customer, contract, item, revenue account, recognition method and currency, in no particular order (ORDER BY what you need); by booking date, so a closed period never moves; per account it equals the revenue the recognition entries credit';
REVOKE ALL ON FUNCTION rr.recognised_revenue(date, date) FROM PUBLIC;

-- Disaggregation of revenue (ASC 606-10-50-5): by timing of transfer, item and contract type.
CREATE FUNCTION rr.revenue_disaggregation(from_date date, to_date date)
RETURNS TABLE (currency char(3), timing text, item text, contract_type text, amount numeric)
LANGUAGE sql STABLE STRICT ROWS 20
BEGIN ATOMIC
    SELECT r.currency,
           CASE WHEN r.method IN ('immediate', 'on_date') THEN 'point_in_time' ELSE 'over_time' END,
           r.item, k.contract_type, sum(r.amount)
      FROM rr.recognised_revenue(revenue_disaggregation.from_date, revenue_disaggregation.to_date) r
      JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                        AND k.contract_id OPERATOR(pg_catalog.=) r.contract_id
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4;
END;
COMMENT ON FUNCTION rr.revenue_disaggregation(date, date) IS 'disaggregation of the revenue recognised over [from_date, to_date) (ASC 606-10-50-5) per currency: timing of transfer (point_in_time for the methods immediate and on_date, over_time for the others), item and contract type (renewable, expiring, unlimited)';
REVOKE ALL ON FUNCTION rr.revenue_disaggregation(date, date) FROM PUBLIC;

-- Bookings: contracts activated in a window, with their total and annual contract value as
-- booked (rr.contract_booking: as they stood on activation).
CREATE FUNCTION rr.bookings(from_date date, to_date date)
RETURNS TABLE (contract_id bigint, customer text, template text, contract_type text, currency char(3),
               activation_date date, start_date date, end_date date, tcv numeric, acv numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    SELECT k.contract_id, k.customer, k.template, k.contract_type, k.currency, k.activation_date, k.start_date,
           b.end_date, b.tcv,
           CASE WHEN b.contract_id IS NULL THEN m.arr
                ELSE round(b.tcv OPERATOR(pg_catalog.*) 12
                           OPERATOR(pg_catalog./) GREATEST(12, (extract(year FROM age(b.end_date, k.start_date)) OPERATOR(pg_catalog.*) 12)
                                                                OPERATOR(pg_catalog.+) extract(month FROM age(b.end_date, k.start_date))
                                                                OPERATOR(pg_catalog.+) (extract(day FROM age(b.end_date, k.start_date)) OPERATOR(pg_catalog./) 30.4375)),
                           cur.minor_units) END
      FROM rr.contract k
      JOIN rr.currency cur ON cur.code OPERATOR(pg_catalog.=) k.currency
      -- (joined on the tenant too: Citus joins distributed tables on their distribution column)
      LEFT JOIN rr.contract_booking b ON b.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                                     AND b.contract_id OPERATOR(pg_catalog.=) k.contract_id
      -- contracts without an end date (none booked): their ARR on the activation date, one
      -- MRR pass per activation day
      LEFT JOIN (SELECT m.contract_id, m.arr
                   FROM (SELECT DISTINCT u.activation_date FROM rr.contract u
                          WHERE u.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND u.end_date IS NULL
                            AND u.activation_date OPERATOR(pg_catalog.>=) bookings.from_date
                            AND u.activation_date OPERATOR(pg_catalog.<) bookings.to_date) d
                  CROSS JOIN LATERAL rr.mrr_as_of(d.activation_date) m) m
             ON m.contract_id OPERATOR(pg_catalog.=) k.contract_id AND b.contract_id IS NULL
     WHERE (SELECT rr_internal.check_report_window(bookings.from_date, bookings.to_date))
       AND k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND k.activation_date OPERATOR(pg_catalog.>=) bookings.from_date
       AND k.activation_date OPERATOR(pg_catalog.<) bookings.to_date
     ORDER BY k.activation_date, k.contract_id;
END;
COMMENT ON FUNCTION rr.bookings(date, date) IS 'bookings: the contracts activated in [from_date, to_date) with their term end, total contract value (TCV: the fixed consideration of the term at contract prices, the sum of its performance obligations'' contract amounts) and annual contract value (ACV: TCV per 12 months of the term, the TCV itself for a term of a year or less), all as booked on activation (rr.contract_booking), so later changes, renewals and terminations do not restate them; for a contract without an end date, its ARR on the activation date and no TCV';
REVOKE ALL ON FUNCTION rr.bookings(date, date) FROM PUBLIC;

-- One row per customer and currency: what it has with the tenant on a date.
CREATE FUNCTION rr.customer_summary(as_of date)
RETURNS TABLE (customer text, name text, currency char(3), contracts_in_force bigint, mrr numeric, arr numeric,
               invoiced numeric, open_receivable numeric, past_due numeric, unapplied_credit numeric,
               deferred_revenue numeric, unbilled_receivable numeric, contract_asset numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    WITH m AS (
        SELECT m.customer, m.currency, count(*) AS contracts, sum(m.mrr) AS mrr, sum(m.arr) AS arr
          FROM rr.mrr_as_of(customer_summary.as_of) m
         GROUP BY m.customer, m.currency
    ), ar AS (
        SELECT b.customer, b.currency, sum(b.total) AS invoiced, sum(b.balance) AS open_ar,
               coalesce(sum(b.balance) FILTER (WHERE b.past_due), 0) AS past_due
          FROM rr.invoice_balances((SELECT rr.current_tenant()), customer_summary.as_of) b
         GROUP BY b.customer, b.currency
    ), cr AS (
        SELECT c.customer, c.currency, sum(c.unapplied) AS unapplied
          FROM rr.customer_credits((SELECT rr.current_tenant()), customer_summary.as_of) c
         GROUP BY c.customer, c.currency
    ), pos AS (
        SELECT k.customer, k.currency,
               sum(b.balance) FILTER (WHERE b.account NOT IN ('1150', '1160')) AS deferred,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1150') AS unbilled,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1160') AS asset
          FROM rr.contract_balances(customer_summary.as_of) b
          JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND k.contract_id OPERATOR(pg_catalog.=) b.contract_id
         GROUP BY k.customer, k.currency
    ), keys AS (
        SELECT m.customer, m.currency FROM m UNION SELECT ar.customer, ar.currency FROM ar
        UNION SELECT cr.customer, cr.currency FROM cr UNION SELECT pos.customer, pos.currency FROM pos
    )
    SELECT x.customer, c.name, x.currency, coalesce(m.contracts, 0), coalesce(m.mrr, 0), coalesce(m.arr, 0),
           coalesce(ar.invoiced, 0), coalesce(ar.open_ar, 0), coalesce(ar.past_due, 0), coalesce(cr.unapplied, 0),
           coalesce(pos.deferred, 0), coalesce(pos.unbilled, 0), coalesce(pos.asset, 0)
      FROM keys x
      JOIN rr.customer c ON c.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                        AND c.code OPERATOR(pg_catalog.=) x.customer
      LEFT JOIN m ON m.customer OPERATOR(pg_catalog.=) x.customer AND m.currency OPERATOR(pg_catalog.=) x.currency
      LEFT JOIN ar ON ar.customer OPERATOR(pg_catalog.=) x.customer AND ar.currency OPERATOR(pg_catalog.=) x.currency
      LEFT JOIN cr ON cr.customer OPERATOR(pg_catalog.=) x.customer AND cr.currency OPERATOR(pg_catalog.=) x.currency
      LEFT JOIN pos ON pos.customer OPERATOR(pg_catalog.=) x.customer AND pos.currency OPERATOR(pg_catalog.=) x.currency
     ORDER BY x.customer, x.currency;
END;
COMMENT ON FUNCTION rr.customer_summary(date) IS 'customer contract summary as of a date, per customer and currency: contracts in force, MRR and ARR (rr.mrr_as_of), invoiced, open and past-due receivables (rr.invoice_balances), unapplied credit (rr.customer_credits), deferred revenue, unbilled receivable and contract asset of its contracts (rr.contract_balances)';
REVOKE ALL ON FUNCTION rr.customer_summary(date) FROM PUBLIC;

CREATE VIEW rr.customer_summary WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, s.*
  FROM rr.customer_summary(current_date) s;
COMMENT ON VIEW rr.customer_summary IS 'customer contract summary today: rr.customer_summary(current_date)';
COMMENT ON COLUMN rr.customer_summary.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.customer_summary.customer IS 'customer code';
COMMENT ON COLUMN rr.customer_summary.name IS 'customer name';
COMMENT ON COLUMN rr.customer_summary.currency IS 'currency of the amounts (never converted)';
COMMENT ON COLUMN rr.customer_summary.contracts_in_force IS 'contracts with recurring revenue in force today';
COMMENT ON COLUMN rr.customer_summary.mrr IS 'monthly recurring revenue of those contracts';
COMMENT ON COLUMN rr.customer_summary.arr IS 'annual recurring revenue: 12 × mrr';
COMMENT ON COLUMN rr.customer_summary.invoiced IS 'total of the posted invoices dated up to today';
COMMENT ON COLUMN rr.customer_summary.open_receivable IS 'what of it is not paid';
COMMENT ON COLUMN rr.customer_summary.past_due IS 'what of the open receivable is past its due date';
COMMENT ON COLUMN rr.customer_summary.unapplied_credit IS 'payments received and not applied to an invoice';
COMMENT ON COLUMN rr.customer_summary.deferred_revenue IS 'contract liability of its contracts';
COMMENT ON COLUMN rr.customer_summary.unbilled_receivable IS 'unbilled receivable of its contracts (1150)';
COMMENT ON COLUMN rr.customer_summary.contract_asset IS 'contract asset of its contracts (1160)';

-- Discount usage: what each discount agreement took off posted invoices (corrections of a
-- discount included, credit notes of its lines too) in a window, by booking date.
CREATE FUNCTION rr.discount_usage(from_date date, to_date date)
RETURNS TABLE (discount_id bigint, contract_id bigint, customer text, kind text, value numeric, line_no integer,
               first_periods integer, valid daterange, account text, currency char(3), documents bigint,
               discounted numeric, coupon text, promotion_code text)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    SELECT d.discount_id, d.contract_id, k.customer, d.kind, d.value, d.line_no, d.first_periods, d.valid, d.account,
           k.currency, count(DISTINCT u.invoice_id), coalesce(sum(u.amount), 0), r.coupon, r.promotion_code
      FROM rr.discount d
      JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) d.tenant_id
                        AND k.contract_id OPERATOR(pg_catalog.=) d.contract_id
      LEFT JOIN (SELECT i.invoice_id, coalesce((c.detail->>'discount_id')::bigint, c.adjustment_seq::bigint) AS discount_id,
                        l.amount
                   FROM rr.invoice i
                   JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                          AND e.entry_id OPERATOR(pg_catalog.=) i.journal_entry_id
                   JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                         AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
                   -- a credit note's line names the line it credits, whose charge says the discount
                   LEFT JOIN rr.invoice_line o ON o.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                              AND o.invoice_id OPERATOR(pg_catalog.=) i.credits_invoice
                                              AND o.line_no OPERATOR(pg_catalog.=) l.credits_line_no
                   JOIN rr.charge c ON c.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                   AND c.charge_id OPERATOR(pg_catalog.=) coalesce(l.charge_id, o.charge_id)
                  WHERE i.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                    AND i.status OPERATOR(pg_catalog.=) 'posted' AND l.kind OPERATOR(pg_catalog.=) 'discount'
                    AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.>=) discount_usage.from_date
                    AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) discount_usage.to_date) u
             ON u.discount_id OPERATOR(pg_catalog.=) d.discount_id
      -- the coupon redemption that wrote the discount, if one did
      LEFT JOIN rr.coupon_redemption r ON r.tenant_id OPERATOR(pg_catalog.=) d.tenant_id
                                      AND r.discount_id OPERATOR(pg_catalog.=) d.discount_id
     WHERE (SELECT rr_internal.check_report_window(discount_usage.from_date, discount_usage.to_date))
       AND d.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
     GROUP BY d.discount_id, d.contract_id, k.customer, d.kind, d.value, d.line_no, d.first_periods, d.valid, d.account,
              k.currency, r.coupon, r.promotion_code
     ORDER BY d.discount_id;
END;
COMMENT ON FUNCTION rr.discount_usage(date, date) IS 'discount usage over [from_date, to_date): each discount agreement of the tenant (contract, customer, kind, value, line, first periods, dates, account) with the posted invoices and credit notes whose discount lines it gave, by booking date, and the amount they took off (negative; corrections and credited discounts included; 0 for a discount not used in the window); for a discount written by a coupon redemption, the coupon and the promotion code it was redeemed through';
REVOKE ALL ON FUNCTION rr.discount_usage(date, date) FROM PUBLIC;

-- Journal exceptions: what the writers' check (rr_internal.check_journal) refuses, found
-- in the journal as it is (no rows when healthy).  Every function of the extension that
-- writes entries checks them before it returns; an entry written around them (by the
-- extension's owner or a superuser, the only roles that can) shows here.
CREATE VIEW rr.journal_exceptions WITH (security_invoker = true) AS
SELECT x.tenant_id, x.entry_id, x.currency, x.debit, x.credit, x.problem
  FROM (SELECT l.tenant_id, l.entry_id, l.currency, sum(l.debit) AS debit, sum(l.credit) AS credit,
               CASE WHEN NOT EXISTS (SELECT FROM rr.journal_entry e
                                      WHERE e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id)
                        THEN 'no entry'
                    WHEN sum(l.debit) <> sum(l.credit) THEN 'unbalanced'
                    WHEN NOT EXISTS (SELECT FROM rr.currency c WHERE c.code = l.currency) THEN 'unknown currency'
               END AS problem
          FROM rr.journal_line l
         GROUP BY l.tenant_id, l.entry_id, l.currency) x
 WHERE x.problem IS NOT NULL;
COMMENT ON VIEW rr.journal_exceptions IS 'journal entries of the tenant that break the ledger''s rules (no rows when healthy): lines of an entry that does not exist, an entry whose debits and credits differ in a currency, lines in a currency that does not exist; the functions that write the journal refuse all of these (rr_internal.check_journal), so a row here was written around them';
COMMENT ON COLUMN rr.journal_exceptions.tenant_id IS 'tenant that owns the entry';
COMMENT ON COLUMN rr.journal_exceptions.entry_id IS 'the journal entry';
COMMENT ON COLUMN rr.journal_exceptions.currency IS 'currency of the lines concerned';
COMMENT ON COLUMN rr.journal_exceptions.debit IS 'sum of the debits of the entry in that currency';
COMMENT ON COLUMN rr.journal_exceptions.credit IS 'sum of the credits of the entry in that currency';
COMMENT ON COLUMN rr.journal_exceptions.problem IS 'no entry, unbalanced or unknown currency';
REVOKE ALL ON rr.journal_exceptions FROM PUBLIC;
