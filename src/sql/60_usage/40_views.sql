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
  LEFT JOIN LATERAL (
      -- the tiers of the units billed in the period: the counter's tiers at the period's
      -- end less those at its start (a counter that spans periods)
      SELECT b.tier, b.units - coalesce(a.units, 0) AS units, b.unit_price,
             b.flat_fee - coalesce(a.flat_fee, 0) AS flat_fee, b.amount - coalesce(a.amount, 0) AS amount
        FROM rr.price_tiers(cl.price_model,
                            CASE WHEN rr.pricing_model(cl.price_model) IN ('flat', 'volume', 'stairstep') THEN 0
                                 ELSE coalesce((l.detail->>'billable_from')::numeric, 0) END
                            + (l.detail->>'billable')::numeric) b
        LEFT JOIN rr.price_tiers(cl.price_model, coalesce((l.detail->>'billable_from')::numeric, 0)) a
               ON a.tier = b.tier AND rr.pricing_model(cl.price_model) NOT IN ('flat', 'volume', 'stairstep')
       WHERE b.units - coalesce(a.units, 0) <> 0 OR b.flat_fee - coalesce(a.flat_fee, 0) <> 0
  ) t ON cl.price_model IS NOT NULL AND NOT coalesce((l.detail->>'late')::boolean, false)
 WHERE l.kind = 'usage';
COMMENT ON VIEW rr.usage_line_detail IS 'usage invoice lines with their quantity detail (used, included, billable, the usage counter when it spans periods) and, for price models, one row per tier of the units billed in the period (rr.price_tiers of the counter at the period''s end less at its start)';
