-- Views over billed usage: deposit balances and the quantity detail of usage invoice lines.

CREATE VIEW rr.deposit_balances WITH (security_invoker = true) AS
SELECT ch.contract_id, ch.line_no, l.contract_item, k.customer, k.currency,
       sum(ch.amount) FILTER (WHERE ch.kind = 'deposit') AS deposit,
       coalesce(-sum(ch.amount) FILTER (WHERE ch.kind = 'drawdown'), 0) AS drawn,
       coalesce(sum(ch.amount) FILTER (WHERE ch.kind = 'breakage'), 0) AS retained,
       coalesce(-sum(ch.amount) FILTER (WHERE ch.kind = 'release'), 0)
           - coalesce(sum(ch.amount) FILTER (WHERE ch.kind = 'breakage'), 0) AS refunded,
       sum(ch.amount) FILTER (WHERE ch.kind IN ('deposit', 'drawdown', 'release')) AS balance
  FROM rr.charge ch
  JOIN rr.contract k ON k.tenant_id = ch.tenant_id AND k.contract_id = ch.contract_id
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                         AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
 WHERE ch.kind IN ('deposit', 'drawdown', 'release', 'breakage')
 GROUP BY ch.tenant_id, ch.contract_id, ch.line_no, l.contract_item, k.customer, k.currency;
COMMENT ON VIEW rr.deposit_balances IS 'deposits (retainers) per contract line, as billed: the deposit, what usage drew from it, what was retained as breakage and refunded at the end of the term, and the balance left';
COMMENT ON COLUMN rr.deposit_balances.contract_id IS 'contract of the deposit line';
COMMENT ON COLUMN rr.deposit_balances.line_no IS 'contract line number of the deposit';
COMMENT ON COLUMN rr.deposit_balances.contract_item IS 'contract item of the line';
COMMENT ON COLUMN rr.deposit_balances.customer IS 'customer code of the contract';
COMMENT ON COLUMN rr.deposit_balances.currency IS 'ISO 4217 code of the contract currency; all amounts below are in it';
COMMENT ON COLUMN rr.deposit_balances.deposit IS 'deposit billed for the line (sum of its deposit charges); NULL when only drawdowns, releases or breakage are charged so far';
COMMENT ON COLUMN rr.deposit_balances.drawn IS 'amount usage drew from the deposit (drawdown charges, shown positive); 0 when none';
COMMENT ON COLUMN rr.deposit_balances.retained IS 'part of the unused remainder retained as breakage at the end of the term (breakage charges); 0 when none';
COMMENT ON COLUMN rr.deposit_balances.refunded IS 'part of the unused remainder refunded at the end of the term: releases (shown positive) less the breakage retained out of them; 0 when none';
COMMENT ON COLUMN rr.deposit_balances.balance IS 'what is left of the deposit: deposit less drawdowns and releases; NULL when no deposit, drawdown or release is charged';

-- The tiers of the units a usage line billed: those of the counter at the period's end
-- less those at its start (a counter that spans periods, billable_from > 0), or, for the
-- models that price the whole quantity at one rate (flat, volume, stairstep), the tiers of
-- the units billed.  One function (inlined on a single node), so that a statement reads one
-- function scan per line (Citus 13.2 cannot plan two joined ones inside a lateral
-- sub-query: "bogus varno", "invalid attnum").
CREATE FUNCTION rr_internal.usage_tiers(pricing rr.pricing, billable_from numeric, billable numeric)
RETURNS TABLE (tier integer, units numeric, unit_price numeric, flat_fee numeric, amount numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 3
BEGIN ATOMIC
    SELECT b.tier, b.units OPERATOR(pg_catalog.-) coalesce(a.units, 0), b.unit_price,
           b.flat_fee OPERATOR(pg_catalog.-) coalesce(a.flat_fee, 0), b.amount OPERATOR(pg_catalog.-) coalesce(a.amount, 0)
      FROM rr.price_tiers(usage_tiers.pricing,
                          CASE WHEN rr.pricing_model(usage_tiers.pricing) IN ('flat', 'volume', 'stairstep') THEN 0
                               ELSE coalesce(usage_tiers.billable_from, 0) END
                          OPERATOR(pg_catalog.+) usage_tiers.billable) b
      LEFT JOIN rr.price_tiers(usage_tiers.pricing, coalesce(usage_tiers.billable_from, 0)) a
             ON a.tier OPERATOR(pg_catalog.=) b.tier
            AND rr.pricing_model(usage_tiers.pricing) NOT IN ('flat', 'volume', 'stairstep')
     WHERE b.units OPERATOR(pg_catalog.-) coalesce(a.units, 0) OPERATOR(pg_catalog.<>) 0
        OR b.flat_fee OPERATOR(pg_catalog.-) coalesce(a.flat_fee, 0) OPERATOR(pg_catalog.<>) 0;
END;
COMMENT ON FUNCTION rr_internal.usage_tiers(rr.pricing, numeric, numeric) IS 'internal: the price tiers of the units a usage line billed (rr.usage_line_detail): the tiers of the counter billable_from + billable less those of billable_from, or for flat, volume and stairstep models the tiers of billable; tiers with no units and no fee left out';
REVOKE ALL ON FUNCTION rr_internal.usage_tiers(rr.pricing, numeric, numeric) FROM PUBLIC;

-- The quantity detail of usage invoice lines, with the tiers of their price model.
CREATE VIEW rr.usage_line_detail WITH (security_invoker = true) AS
SELECT l.tenant_id, l.invoice_id, l.line_no, l.contract_line_no, l.contract_item, l.service_period,
       (l.detail->>'used')::numeric AS used, (l.detail->>'included')::numeric AS included,
       (l.detail->>'billable')::numeric AS billable, (l.detail->>'counter')::numeric AS counter,
       l.amount, t.tier, t.units AS tier_units, t.unit_price AS tier_unit_price, t.flat_fee AS tier_flat_fee,
       t.amount AS tier_amount
  FROM rr.invoice_line l
  JOIN rr.invoice i ON i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id
  JOIN rr.contract_line cl ON cl.tenant_id = l.tenant_id AND cl.contract_id = i.contract_id
                          AND cl.line_no = l.contract_line_no AND cl.effective_from = l.line_effective_from
  LEFT JOIN LATERAL rr_internal.usage_tiers(cl.price_model, (l.detail->>'billable_from')::numeric,
                                            (l.detail->>'billable')::numeric) t
         ON cl.price_model IS NOT NULL AND NOT coalesce((l.detail->>'late')::boolean, false)
 WHERE l.kind = 'usage';
COMMENT ON VIEW rr.usage_line_detail IS 'usage invoice lines with their quantity detail (used, included, billable, the usage counter when it spans periods) and, for price models, one row per tier of the units billed in the period (rr.price_tiers of the counter at the period''s end less at its start)';
COMMENT ON COLUMN rr.usage_line_detail.tenant_id IS 'tenant that owns the invoice';
COMMENT ON COLUMN rr.usage_line_detail.invoice_id IS 'invoice (or credit note) of the usage line';
COMMENT ON COLUMN rr.usage_line_detail.line_no IS 'line number within the invoice';
COMMENT ON COLUMN rr.usage_line_detail.contract_line_no IS 'contract line the usage was rated for';
COMMENT ON COLUMN rr.usage_line_detail.contract_item IS 'contract item of the line';
COMMENT ON COLUMN rr.usage_line_detail.service_period IS 'usage period billed, [start, end)';
COMMENT ON COLUMN rr.usage_line_detail.used IS 'quantity used in the period, from the rating detail; NULL when the detail does not carry it';
COMMENT ON COLUMN rr.usage_line_detail.included IS 'quantity included in the recurring price that the period used; NULL when the detail does not carry it';
COMMENT ON COLUMN rr.usage_line_detail.billable IS 'quantity charged in the period: what the counter used beyond the included quantity; NULL when the detail does not carry it';
COMMENT ON COLUMN rr.usage_line_detail.counter IS 'cumulative usage of the counter''s cycle at the end of the period, when the cycle began before the period (usage not reset every period); NULL otherwise';
COMMENT ON COLUMN rr.usage_line_detail.amount IS 'net amount of the invoice line, in the invoice currency (repeated on each of its tier rows)';
COMMENT ON COLUMN rr.usage_line_detail.tier IS 'tier number of the line''s price model; NULL for a line without a price model or a late line (one row then)';
COMMENT ON COLUMN rr.usage_line_detail.tier_units IS 'units billed in the period that fell into this tier; NULL without tiers';
COMMENT ON COLUMN rr.usage_line_detail.tier_unit_price IS 'unit price of the tier; NULL without tiers';
COMMENT ON COLUMN rr.usage_line_detail.tier_flat_fee IS 'flat fee of the tier billed in the period; NULL without tiers';
COMMENT ON COLUMN rr.usage_line_detail.tier_amount IS 'amount billed in the period for this tier; NULL without tiers';
