-- Revenue reports (docs/revenue.md): schedules, obligations, contract balances and the
-- reconciliation of billed and recognised revenue.

-- ---------------------------------------------------------------------------------------
-- Queries of the revenue team.

CREATE VIEW rr.revenue_schedule WITH (security_invoker = true) AS
SELECT l.tenant_id, l.contract_id, l.obligation_no, o.item, o.method, l.schedule_line_id, l.source, l.period,
       l.recognize_on, l.amount, l.contract_amount,
       CASE WHEN l.status = 'posted' THEN 'posted'
            WHEN l.recognize_on <= current_date THEN 'open'
            ELSE 'projected' END AS status,
       l.posted_period, l.entry_id, l.invoice_id, o.revenue_account
  FROM rr.revenue_schedule_line l
  JOIN rr.performance_obligation o ON o.tenant_id = l.tenant_id AND o.contract_id = l.contract_id
                                  AND o.obligation_no = l.obligation_no;
COMMENT ON VIEW rr.revenue_schedule IS 'revenue schedule detail per contract and obligation: period, due date, allocated amount and the same at contract prices, status (posted; open: due and waiting for a recognition run; projected: a future period), the fiscal period and journal entry it was posted into';
COMMENT ON COLUMN rr.revenue_schedule.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.revenue_schedule.contract_id IS 'contract of the schedule line';
COMMENT ON COLUMN rr.revenue_schedule.obligation_no IS 'performance obligation number within the contract';
COMMENT ON COLUMN rr.revenue_schedule.item IS 'item of the obligation';
COMMENT ON COLUMN rr.revenue_schedule.method IS 'recognition method of the obligation (immediate, on_date, equal, equal_prorate, daily, percent_complete, on_usage or on_payment)';
COMMENT ON COLUMN rr.revenue_schedule.schedule_line_id IS 'id of the schedule line';
COMMENT ON COLUMN rr.revenue_schedule.source IS 'what wrote the line: allocation (at activation), billing (with an invoice), credit (a credit note, negative), progress (percent complete catch-up) or payment';
COMMENT ON COLUMN rr.revenue_schedule.period IS 'service period the line recognises, [start, end)';
COMMENT ON COLUMN rr.revenue_schedule.recognize_on IS 'date from which the line is due for recognition';
COMMENT ON COLUMN rr.revenue_schedule.amount IS 'revenue of the line in the contract currency, after SSP allocation (negative for credits)';
COMMENT ON COLUMN rr.revenue_schedule.contract_amount IS 'the same line at contract prices, before SSP reallocation';
COMMENT ON COLUMN rr.revenue_schedule.status IS 'posted (recognised in the journal), open (due today or earlier, waiting for a recognition run) or projected (due after today)';
COMMENT ON COLUMN rr.revenue_schedule.posted_period IS 'first day of the fiscal period (rr.fiscal_period.period_start) the line was posted into; NULL until posted';
COMMENT ON COLUMN rr.revenue_schedule.entry_id IS 'journal entry that recognised the line; NULL until posted';
COMMENT ON COLUMN rr.revenue_schedule.invoice_id IS 'invoice or credit note that wrote the line (sources billing and credit); NULL for other sources';
COMMENT ON COLUMN rr.revenue_schedule.revenue_account IS 'revenue account of the obligation, credited when the line is recognised';

CREATE FUNCTION rr.contract_revenue_schedule(contract_id bigint, as_of date DEFAULT current_date)
RETURNS TABLE (obligation_no integer, item text, method text, source text, period daterange, recognize_on date,
               amount numeric, status text, posted_period date)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT l.obligation_no, o.item, o.method, l.source, l.period, l.recognize_on, l.amount,
           CASE WHEN l.status OPERATOR(pg_catalog.=) 'posted' THEN 'posted'
                WHEN l.recognize_on OPERATOR(pg_catalog.<=) contract_revenue_schedule.as_of THEN 'open'
                ELSE 'projected' END,
           l.posted_period
      FROM rr.revenue_schedule_line l
      JOIN rr.performance_obligation o ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                      AND o.contract_id OPERATOR(pg_catalog.=) l.contract_id
                                      AND o.obligation_no OPERATOR(pg_catalog.=) l.obligation_no
     WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND l.contract_id OPERATOR(pg_catalog.=) contract_revenue_schedule.contract_id
     ORDER BY l.obligation_no, l.recognize_on, l.schedule_line_id;
END;
COMMENT ON FUNCTION rr.contract_revenue_schedule(bigint, date) IS 'a contract''s revenue schedule with each line''s status as of a date: posted, open (due, not yet posted) or projected (later)';

CREATE VIEW rr.performance_obligations WITH (security_invoker = true) AS
SELECT o.tenant_id, o.contract_id, o.obligation_no, o.line_nos, o.item, o.method, o.service, o.standalone_price,
       o.is_residual, o.contract_amount, o.allocated_amount,
       o.allocated_amount - o.contract_amount AS reallocated
  FROM rr.performance_obligation o;
COMMENT ON VIEW rr.performance_obligations IS 'SSP allocation: each obligation''s lines, method, service period, SSP for the term, fixed consideration at contract prices, allocated transaction price and the difference the allocation moved';
COMMENT ON COLUMN rr.performance_obligations.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.performance_obligations.contract_id IS 'contract of the obligation';
COMMENT ON COLUMN rr.performance_obligations.obligation_no IS 'obligation number within the contract';
COMMENT ON COLUMN rr.performance_obligations.line_nos IS 'contract line numbers the obligation is made of';
COMMENT ON COLUMN rr.performance_obligations.item IS 'item of the obligation';
COMMENT ON COLUMN rr.performance_obligations.method IS 'recognition method: immediate, on_date, equal, equal_prorate, daily, percent_complete, on_usage or on_payment';
COMMENT ON COLUMN rr.performance_obligations.service IS 'service period of the obligation, [start, end)';
COMMENT ON COLUMN rr.performance_obligations.standalone_price IS 'standalone selling price (SSP) of the obligation for the term, in the contract currency';
COMMENT ON COLUMN rr.performance_obligations.is_residual IS 'true when the obligation''s SSP is estimated by the residual method (it takes what the others leave)';
COMMENT ON COLUMN rr.performance_obligations.contract_amount IS 'fixed consideration of the obligation''s own lines at contract prices (0 when everything is variable)';
COMMENT ON COLUMN rr.performance_obligations.allocated_amount IS 'transaction price allocated to the obligation by relative SSP (rr.allocate) or the residual method';
COMMENT ON COLUMN rr.performance_obligations.reallocated IS 'allocated_amount minus contract_amount: what the allocation moved to (positive) or from (negative) the obligation';

-- Deferred revenue, unbilled receivable and contract asset per contract and account as of
-- a date, from the ledger, with the net contract position.
CREATE FUNCTION rr.contract_balances(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, account text, account_name text, balance numeric, net_position numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH acct AS (
        SELECT DISTINCT o.contract_id, o.deferred_account AS account, -1 AS sign
          FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
        UNION
        SELECT DISTINCT o.contract_id, v.account, 1
          FROM rr.performance_obligation o, (VALUES ('1150'), ('1160')) AS v (account)
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
    ), bal AS (
        SELECT a.contract_id, a.account,
               a.sign OPERATOR(pg_catalog.*) coalesce(sum(j.debit OPERATOR(pg_catalog.-) j.credit), 0) AS balance,
               a.sign
          FROM acct a
          LEFT JOIN (rr.journal_line j JOIN rr.journal_entry e
                       ON e.tenant_id OPERATOR(pg_catalog.=) j.tenant_id
                      AND e.entry_id OPERATOR(pg_catalog.=) j.entry_id
                      AND e.entry_date OPERATOR(pg_catalog.<=) contract_balances.as_of)
                 ON j.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                AND j.contract_id OPERATOR(pg_catalog.=) a.contract_id
                AND j.account OPERATOR(pg_catalog.=) a.account
         GROUP BY a.contract_id, a.account, a.sign
    )
    SELECT b.contract_id, b.account, ac.name, b.balance,
           sum(b.sign OPERATOR(pg_catalog.*) b.balance) OVER (PARTITION BY b.contract_id)
      FROM bal b
      JOIN rr.account ac ON ac.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                        AND ac.code OPERATOR(pg_catalog.=) b.account
     ORDER BY b.contract_id, b.account;
END;
COMMENT ON FUNCTION rr.contract_balances(date) IS 'per contract and account as of a date, from the journal: deferred revenue (a credit balance, shown positive), unbilled receivable (1150) and contract asset (1160) (debit balances, shown positive), and the net contract position (assets less liability: positive = net contract asset)';

-- Billed = recognised + deferred - unbilled - contract asset, per contract as of a date:
-- the invoices (sub-ledger), the posted schedule (sub-ledger) and the journal (deferred
-- revenue, unbilled receivable, contract asset) must agree.  Returns the contracts that
-- do not; no rows means clean.
CREATE FUNCTION rr.revenue_reconciliation(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, billed numeric, recognised numeric, deferred numeric, unbilled numeric,
               contract_asset numeric, difference numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH k AS (
        SELECT DISTINCT o.contract_id FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
    ), billed AS (
        SELECT i.contract_id, sum(l.amount) AS amount
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) i.tenant_id
                                AND l.invoice_id OPERATOR(pg_catalog.=) i.invoice_id
          JOIN rr.contract_item ci ON ci.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                  AND ci.code OPERATOR(pg_catalog.=) l.contract_item
         WHERE i.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND i.status OPERATOR(pg_catalog.=) 'posted'
           AND i.invoice_date OPERATOR(pg_catalog.<=) revenue_reconciliation.as_of
           AND l.kind OPERATOR(pg_catalog.<>) ALL (ARRAY['tax', 'deposit'])
           AND ci.billing_type OPERATOR(pg_catalog.<>) 'deposit'
         GROUP BY i.contract_id
    ), recognised AS (
        SELECT l.contract_id, sum(l.amount) AS amount
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND l.status OPERATOR(pg_catalog.=) 'posted'
           AND l.posted_on OPERATOR(pg_catalog.<=) revenue_reconciliation.as_of
         GROUP BY l.contract_id
    ), bal AS (
        SELECT b.contract_id,
               sum(b.balance) FILTER (WHERE b.account NOT IN ('1150', '1160')) AS deferred,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1150') AS unbilled,
               sum(b.balance) FILTER (WHERE b.account OPERATOR(pg_catalog.=) '1160') AS asset
          FROM rr.contract_balances(revenue_reconciliation.as_of) b
         GROUP BY b.contract_id
    )
    SELECT k.contract_id, coalesce(bi.amount, 0), coalesce(r.amount, 0), coalesce(b.deferred, 0),
           coalesce(b.unbilled, 0), coalesce(b.asset, 0),
           coalesce(bi.amount, 0) OPERATOR(pg_catalog.-) (coalesce(r.amount, 0) OPERATOR(pg_catalog.+) coalesce(b.deferred, 0)
               OPERATOR(pg_catalog.-) coalesce(b.unbilled, 0) OPERATOR(pg_catalog.-) coalesce(b.asset, 0))
      FROM k
      LEFT JOIN billed bi ON bi.contract_id OPERATOR(pg_catalog.=) k.contract_id
      LEFT JOIN recognised r ON r.contract_id OPERATOR(pg_catalog.=) k.contract_id
      LEFT JOIN bal b ON b.contract_id OPERATOR(pg_catalog.=) k.contract_id
     WHERE coalesce(bi.amount, 0) OPERATOR(pg_catalog.<>) (coalesce(r.amount, 0) OPERATOR(pg_catalog.+) coalesce(b.deferred, 0)
               OPERATOR(pg_catalog.-) coalesce(b.unbilled, 0) OPERATOR(pg_catalog.-) coalesce(b.asset, 0))
     ORDER BY k.contract_id;
END;
COMMENT ON FUNCTION rr.revenue_reconciliation(date) IS 'reconciliation check per contract as of a date: billed (posted invoices and credit notes, tax and deposits excluded) = recognised (posted schedule lines) + deferred revenue - unbilled receivable - contract asset (journal); returns the contracts that disagree, so no rows means clean';
