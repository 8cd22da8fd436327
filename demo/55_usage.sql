-- recurring_revenue demo: usage as billed (needs 45_usage.sql and 50_billing.sql).
\echo
\echo '== Globex''s API usage, rated at billing: 10,000 calls included each month, then graduated tiers'
SET rr.tenant = 'default';
SELECT i.number, l.service_period, l.quantity AS calls, l.detail->'included' AS included,
       l.detail->'billable' AS billable, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 2 AND l.kind = 'usage' ORDER BY lower(l.service_period) LIMIT 4;
\echo '== The quantity detail of March, with the tiers of the price model (view rr.usage_line_detail, from rr.price_tiers)'
SELECT used, included, billable, tier, tier_units, tier_unit_price, tier_amount, amount AS line_amount
  FROM rr.usage_line_detail
 WHERE contract_item = 'API-USAGE' AND service_period @> date '2024-03-15'
 ORDER BY tier;

\echo '== Initech''s retainer: hours drawn from the 5,000.00 deposit at 150.00, the rest billed'
SELECT i.number, l.kind, l.service_period, l.quantity AS hours, l.unit_price, l.amount,
       l.detail->'deposit_remaining' AS deposit_left
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 3 AND l.kind IN ('deposit', 'usage', 'drawdown') ORDER BY i.invoice_id, l.line_no;
SELECT contract_id, contract_item, deposit, drawn, retained, refunded, balance FROM rr.deposit_balances;

\echo '== A late event: 2 October hours arrive after October was billed; the next billing carries them with October''s service period'
SELECT rr.record_usage(3, 'SUPPORT-HR', 2, '2024-10-30 17:00-04', 'TCK-158') AS recorded;
SELECT contract_id, lines, total FROM rr.bill_contract(3, '2024-12-31');
SELECT l.kind, l.service_period, l.quantity AS hours, l.amount, l.detail->'late' AS late,
       l.detail->'billed_before' AS billed_before
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.contract_id = 3 AND i.status = 'draft' ORDER BY l.line_no;
SELECT number, total FROM rr.post_invoices('2024-12-31');
