-- Prepaid balances (docs/commitments-and-wallets.md): prepaid credit wallets and deposits
-- (retainers of deposit lines, docs/usage.md) side by side, as of any date.  A wallet
-- counts its movements dated up to as_of; a deposit line counts its charges billed on
-- documents dated up to as_of (as rr.deposit_balances counts them, all dates).

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
