-- Usage against minimum commitments, and prepaid balances (docs/commitments-and-wallets.md),
-- as of any date.

-- Every committed period of every commitment that started by as_of: committed, spent (the
-- charges of the committed lines whose service period starts in it, billed on documents
-- dated up to as_of, as the billing run counts them), shortfall and true-up billed.
CREATE FUNCTION rr.commitment_usage(as_of date)
RETURNS TABLE (contract_id bigint, customer text, currency char(3), commitment_no integer, per text, period daterange,
               committed numeric, spent numeric, shortfall numeric, trued_up numeric, status text)
LANGUAGE sql STABLE STRICT ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
    WITH c AS (
        SELECT c.tenant_id, c.contract_id, c.commitment_no, c.amount, c.per, c.every, c.line_nos, c.true_up_line_no,
               k.customer, k.currency, k.start_date, coalesce(k.termination_date, k.end_date) AS stop
          FROM rr.contract_commitment c
          JOIN rr.contract k ON k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id
         WHERE c.tenant_id = rr.current_tenant()
    ), p AS (
        SELECT c.*, p AS period
          FROM c CROSS JOIN LATERAL rr.billing_periods(c.start_date,
                                                      coalesce(c.stop, (greatest($1, c.start_date) + c.every)::date),
                                                      c.every, c.start_date) p
         WHERE c.per = 'period' AND lower(p) <= $1
        UNION ALL
        SELECT c.*, daterange(b.lo, b.hi)
          FROM c
         CROSS JOIN LATERAL (SELECT x.b AS lo, lead(x.b) OVER (ORDER BY x.b) AS hi
                               FROM (SELECT c.start_date AS b
                                     UNION SELECT r.previous_end FROM rr.contract_renewal r
                                            WHERE r.tenant_id = rr.current_tenant()
                                              AND r.tenant_id = c.tenant_id AND r.contract_id = c.contract_id
                                     UNION SELECT c.stop WHERE c.stop IS NOT NULL) x) b
         WHERE c.per = 'term' AND b.hi > b.lo AND b.lo <= $1
    ), s AS (
        SELECT p.contract_id, p.customer, p.currency, p.commitment_no, p.per, p.period, p.amount,
               coalesce(sum(ch.amount) FILTER (WHERE ch.kind <> 'true_up'
                                                 AND (p.line_nos IS NULL OR ch.line_no = ANY (p.line_nos))), 0) AS spent,
               coalesce(sum(ch.amount) FILTER (WHERE ch.kind = 'true_up' AND ch.line_no = p.true_up_line_no
                                                 AND ch.adjustment_seq = p.commitment_no
                                                 AND ch.service_period = p.period), 0) AS trued_up
          FROM p
          LEFT JOIN (SELECT ch.* FROM rr.charge ch
                       JOIN rr.invoice_line l ON l.tenant_id = ch.tenant_id AND l.charge_id = ch.charge_id
                       JOIN rr.invoice i ON i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id
                      WHERE ch.tenant_id = rr.current_tenant() AND i.invoice_date <= $1
                        AND ch.kind NOT IN ('deposit', 'drawdown', 'release', 'breakage')) ch
                 ON ch.contract_id = p.contract_id AND p.period @> lower(ch.service_period)
         GROUP BY p.contract_id, p.customer, p.currency, p.commitment_no, p.per, p.period, p.amount
    )
    SELECT s.contract_id, s.customer, s.currency, s.commitment_no, s.per, s.period, s.amount, s.spent,
           greatest(s.amount - s.spent, 0), s.trued_up,
           CASE WHEN s.trued_up > 0 THEN 'trued_up'
                WHEN s.spent >= s.amount THEN 'met'
                WHEN upper(s.period) > $1 THEN 'open'
                ELSE 'due' END
      FROM s
     ORDER BY s.contract_id, s.commitment_no, s.period
$$;
COMMENT ON FUNCTION rr.commitment_usage(date) IS 'usage against minimum commitments of the current tenant as of a date: every committed period started by as_of, with the amount committed, spent (charges of the committed lines whose service period starts in it, billed on documents dated up to as_of), the shortfall (committed - spent, never negative), the true-up billed and the status (open: not ended; met; due: ended with a shortfall not billed yet; trued_up)';
REVOKE ALL ON FUNCTION rr.commitment_usage(date) FROM PUBLIC;

CREATE VIEW rr.commitment_status WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, c.*
  FROM rr.commitment_usage(current_date) c;
COMMENT ON VIEW rr.commitment_status IS 'usage against minimum commitments of the current tenant as of today: rr.commitment_usage(current_date)';
COMMENT ON COLUMN rr.commitment_status.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.commitment_status.contract_id IS 'contract committed';
COMMENT ON COLUMN rr.commitment_status.customer IS 'customer code of the contract';
COMMENT ON COLUMN rr.commitment_status.currency IS 'ISO 4217 code of the contract currency; all amounts of the row are in it';
COMMENT ON COLUMN rr.commitment_status.commitment_no IS 'number of the commitment within the contract';
COMMENT ON COLUMN rr.commitment_status.per IS 'period (committed per period of fixed length) or term (per term of the contract)';
COMMENT ON COLUMN rr.commitment_status.period IS 'the committed period [start, end), started by today';
COMMENT ON COLUMN rr.commitment_status.committed IS 'minimum spend committed for the period';
COMMENT ON COLUMN rr.commitment_status.spent IS 'charges of the committed lines whose service period starts in the period, billed on documents dated up to today (true-ups, deposits and tax not included); 0 when none';
COMMENT ON COLUMN rr.commitment_status.shortfall IS 'committed - spent, never negative: what a true-up bills (or would bill, while the period is open)';
COMMENT ON COLUMN rr.commitment_status.trued_up IS 'true-up charge billed for the period; 0 when none';
COMMENT ON COLUMN rr.commitment_status.status IS 'open (the period has not ended), met (spent reached the commitment), due (ended with a shortfall, true-up not billed yet) or trued_up';
REVOKE ALL ON rr.commitment_status FROM PUBLIC;

-- Prepaid credit wallets and deposits (retainers of deposit lines, docs/usage.md) side by
-- side, as of any date.  A wallet counts its movements dated up to as_of; a deposit line
-- counts its charges billed on documents dated up to as_of (as rr.deposit_balances counts
-- them, all dates).

CREATE FUNCTION rr.prepaid_balances(as_of date)
RETURNS TABLE (kind text, customer text, currency char(3), wallet_id bigint, contract_id bigint, line_no integer,
               received numeric, drawn numeric, expired numeric, refunded numeric, balance numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    SELECT 'wallet'::text, w.customer, w.currency, w.wallet_id, NULL::bigint, NULL::integer,
           coalesce(sum(e.amount) FILTER (WHERE e.kind OPERATOR(pg_catalog.=) 'top_up'), 0),
           coalesce(sum(e.amount) FILTER (WHERE e.kind OPERATOR(pg_catalog.=) 'drawdown'), 0),
           coalesce(sum(e.amount) FILTER (WHERE e.kind OPERATOR(pg_catalog.=) 'expiry'), 0),
           0::numeric,
           coalesce(sum(CASE WHEN e.kind OPERATOR(pg_catalog.=) 'top_up' THEN e.amount
                             ELSE OPERATOR(pg_catalog.-) e.amount END), 0)
      FROM rr.wallet w
      LEFT JOIN rr.wallet_entry e ON e.tenant_id OPERATOR(pg_catalog.=) w.tenant_id
                                 AND e.wallet_id OPERATOR(pg_catalog.=) w.wallet_id
                                 AND e.entry_date OPERATOR(pg_catalog.<=) prepaid_balances.as_of
     WHERE w.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
     GROUP BY w.customer, w.currency, w.wallet_id
    UNION ALL
    SELECT 'deposit'::text, k.customer, k.currency, NULL::bigint, ch.contract_id, ch.line_no,
           coalesce(sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) 'deposit'), 0),
           coalesce(OPERATOR(pg_catalog.-) sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) 'drawdown'), 0),
           coalesce(sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) 'breakage'), 0),
           coalesce(OPERATOR(pg_catalog.-) sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) 'release'), 0)
               OPERATOR(pg_catalog.-) coalesce(sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) 'breakage'), 0),
           coalesce(sum(ch.amount) FILTER (WHERE ch.kind OPERATOR(pg_catalog.=) ANY (ARRAY['deposit', 'drawdown', 'release'])), 0)
      FROM rr.charge ch
      JOIN rr.invoice_line l ON l.tenant_id OPERATOR(pg_catalog.=) ch.tenant_id
                            AND l.charge_id OPERATOR(pg_catalog.=) ch.charge_id
      JOIN rr.invoice i ON i.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                       AND i.invoice_id OPERATOR(pg_catalog.=) l.invoice_id
      JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) ch.tenant_id
                        AND k.contract_id OPERATOR(pg_catalog.=) ch.contract_id
     WHERE ch.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND ch.kind OPERATOR(pg_catalog.=) ANY (ARRAY['deposit', 'drawdown', 'release', 'breakage'])
       AND i.invoice_date OPERATOR(pg_catalog.<=) prepaid_balances.as_of
     GROUP BY k.customer, k.currency, ch.contract_id, ch.line_no
     ORDER BY 2, 3, 1 DESC, 4, 5, 6;
END;
COMMENT ON FUNCTION rr.prepaid_balances(date) IS 'prepaid balances of the current tenant as of a date: one row per prepaid credit wallet (top-ups received, drawn on invoices, expired as breakage, balance) and per deposit line (deposit billed, drawn by usage, retained as breakage, refunded, balance), counting what is dated (wallets) or billed (deposits) up to as_of';
REVOKE ALL ON FUNCTION rr.prepaid_balances(date) FROM PUBLIC;

CREATE VIEW rr.prepaid_balance WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, b.*
  FROM rr.prepaid_balances(current_date) b;
COMMENT ON VIEW rr.prepaid_balance IS 'prepaid credit wallets and deposit lines of the current tenant as of today: rr.prepaid_balances(current_date)';
COMMENT ON COLUMN rr.prepaid_balance.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.prepaid_balance.kind IS 'wallet (prepaid credit of a customer, rr.wallet) or deposit (the deposit of a contract''s deposit line)';
COMMENT ON COLUMN rr.prepaid_balance.customer IS 'customer code: the wallet''s owner, or the contract''s customer';
COMMENT ON COLUMN rr.prepaid_balance.currency IS 'ISO 4217 code; all amounts of the row are in it';
COMMENT ON COLUMN rr.prepaid_balance.wallet_id IS 'wallet id; NULL for a deposit';
COMMENT ON COLUMN rr.prepaid_balance.contract_id IS 'contract of the deposit line; NULL for a wallet';
COMMENT ON COLUMN rr.prepaid_balance.line_no IS 'contract line number of the deposit; NULL for a wallet';
COMMENT ON COLUMN rr.prepaid_balance.received IS 'wallet: top-ups received up to today; deposit: the deposit billed; 0 when none';
COMMENT ON COLUMN rr.prepaid_balance.drawn IS 'wallet: credit drawn to settle invoices; deposit: what usage drew from it (shown positive); 0 when none';
COMMENT ON COLUMN rr.prepaid_balance.expired IS 'unused credit recognised as breakage revenue: expired wallet credit, or the retained part of an unused deposit; 0 when none';
COMMENT ON COLUMN rr.prepaid_balance.refunded IS 'deposit: the part of the unused deposit released to the customer (not retained); always 0 for a wallet';
COMMENT ON COLUMN rr.prepaid_balance.balance IS 'credit left: received less drawn, expired and refunded (a deposit: less drawdowns and releases); never negative for a wallet';
REVOKE ALL ON rr.prepaid_balance FROM PUBLIC;
