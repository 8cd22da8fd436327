-- Changes inside billed periods (docs/billing.md, "Changes inside billed periods"):
-- terminations under each refund policy, quantity and price changes; each credits what was
-- billed for the days after the effective date and bills the new terms for them, on the
-- next invoice, under a new adjustment sequence of the charge key.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('chg', 'Changes inside billed periods', 'USD');
SET rr.tenant = 'chg';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('chg', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('chg', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY'),
    ('chg', 'ONBOARD', 'Onboarding', '4000', '2100', '1100', 'DAILY'),
    ('chg', 'METER', 'Metered service', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('chg', 'SEAT', 'USD', 10.00), ('chg', 'ONBOARD', 'USD', 150.00), ('chg', 'METER', 'USD', 31.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, is_refundable, recurring_item,
                              billing_type, max_quantity) VALUES
    -- 10.00 a seat a month, prepaid, with a refundable onboarding fee of 150.00
    ('chg', 'SEATS', 'Seats', 'USD', 'ONBOARD', true, 'SEAT', 'prepaid', 100),
    -- the same seats without the fee
    ('chg', 'PLAIN', 'Seats, no fee', 'USD', NULL, false, 'SEAT', 'prepaid', 100),
    -- 31.00 a month, billed at the end of each month
    ('chg', 'METERED', 'Metered, in arrears', 'USD', NULL, false, 'METER', 'postpaid', 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('chg', 'NONE', 'No refund', 1, 'year', 'month', 'calendar', true, 'none'),
    ('chg', 'PRORATED', 'Prorated refund', 1, 'year', 'month', 'calendar', true, 'prorated'),
    ('chg', 'FULL', 'Full refund of the current period', 1, 'year', 'month', 'calendar', true, 'full');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
SELECT 'chg', t, n, ci, q FROM unnest(ARRAY['NONE', 'PRORATED', 'FULL']) t,
                              (VALUES (1, 'SEATS', 5), (2, 'METERED', 1)) AS x(n, ci, q);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('chg', 'CU', 'Customer', 'USD');

-- (1) Terminate on March 15 after March was billed (50.00 prepaid: 5 seats × 10.00) and
-- posted, under each refund policy.
SELECT rr.create_contract('CU', 'NONE', '2024-01-01') AS k_none \gset
SELECT rr.create_contract('CU', 'PRORATED', '2024-01-01') AS k_prorated \gset
SELECT rr.create_contract('CU', 'FULL', '2024-01-01') AS k_full \gset
SELECT rr.setup_and_activate_contract(k) FROM unnest(ARRAY[:k_none, :k_prorated, :k_full]::bigint[]) k;
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2024-03-01');
SELECT count(*) AS posted FROM rr.post_invoices('2024-03-01');
SELECT rr.terminate_contract(k, '2024-03-15', 'moving on') FROM unnest(ARRAY[:k_none, :k_prorated, :k_full]::bigint[]) k;
-- (the run's invoices are read as a document first, then joined with the contracts: a
-- workflow that reads the tenant's tables is not joined with them, which Citus cannot plan)
SELECT json_agg(r) AS march_run FROM rr.run_billing('2024-03-31') r \gset
SELECT k.refund_policy, r.lines, r.total
  FROM json_to_recordset(:'march_run') r(contract_id bigint, lines integer, total numeric)
  JOIN rr.contract k ON k.tenant_id = 'chg' AND k.contract_id = r.contract_id
 ORDER BY r.contract_id;
SELECT k.refund_policy, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount,
       ch.adjustment_seq AS seq, l.credit_account
  FROM rr.invoice i
  JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
  JOIN rr.charge ch ON ch.tenant_id = l.tenant_id AND ch.charge_id = l.charge_id
  JOIN rr.contract k ON k.tenant_id = i.tenant_id AND k.contract_id = i.contract_id
 WHERE i.tenant_id = 'chg' AND i.invoice_date = '2024-03-31'
 ORDER BY i.contract_id, l.line_no;
-- nothing is billed after the end, and billing again changes nothing
SELECT count(*) AS invoices FROM rr.run_billing('2024-12-31');
SELECT k.refund_policy, ch.line_no, ch.kind, sum(ch.amount) AS net_billed,
       max(upper(ch.service_period)) FILTER (WHERE ch.adjustment_seq = 0) AS billed_to
  FROM rr.charge ch JOIN rr.contract k USING (tenant_id, contract_id)
 WHERE ch.tenant_id = 'chg' AND ch.contract_id IN (:k_none, :k_prorated, :k_full)
 GROUP BY k.contract_id, k.refund_policy, ch.line_no, ch.kind ORDER BY k.contract_id, ch.line_no, ch.kind;
-- posting the credits reverses the deferred revenue (Dr 2100): once March is recognised,
-- nothing is left deferred on the terminated contracts
SELECT count(*) AS posted FROM rr.post_invoices('2024-03-31');
SELECT l.account, sum(l.debit) AS debit, sum(l.credit) AS credit
  FROM rr.invoice i JOIN rr.journal_line l ON l.tenant_id = i.tenant_id AND l.entry_id = i.journal_entry_id
 WHERE i.tenant_id = 'chg' AND i.invoice_date = '2024-03-31' GROUP BY l.account ORDER BY l.account;
SELECT count(*) > 0 AS recognised FROM rr.recognize('2024-03-31');
-- (the deferred balances read first, the same way)
SELECT coalesce(json_agg(b), '[]') AS deferred FROM rr.contract_balances('2024-03-31') b WHERE b.account = '2100' \gset
SELECT k.refund_policy, (SELECT sum(l.amount) FROM rr.revenue_schedule_line l
                          WHERE l.tenant_id = k.tenant_id AND l.contract_id = k.contract_id AND l.status = 'posted') AS recognised,
       coalesce(sum(b.balance), 0) AS deferred_left
  FROM rr.contract k
  LEFT JOIN json_to_recordset(:'deferred') b(contract_id bigint, balance numeric) ON b.contract_id = k.contract_id
 WHERE k.tenant_id = 'chg' AND k.contract_id IN (:k_none, :k_prorated, :k_full)
 GROUP BY k.tenant_id, k.contract_id, k.refund_policy ORDER BY k.contract_id;
SELECT count(*) AS unreconciled FROM rr.revenue_reconciliation('2024-03-31');

-- (2) A termination dated back into periods already billed: April is credited in full,
-- March from the 15th on (prorated policy).
SELECT rr.create_contract('CU', 'PRORATED', '2024-01-01', '{"SEATS": {"quantity": 5}}') AS k_back \gset
SELECT rr.setup_and_activate_contract(:k_back);
SELECT lines, total FROM rr.bill_contract(:k_back, '2024-04-01');
SELECT rr.terminate_contract(:k_back, '2024-03-15');
SELECT invoice_id AS inv FROM rr.run_billing('2024-04-30') \gset
SELECT kind, contract_item, service_period, amount FROM rr.invoice_line WHERE invoice_id = :inv ORDER BY line_no;

-- (3) A quantity change 5 → 50 seats on March 10, after March was billed: credit the 22
-- days at 5 seats (22/31 × 50.00 = 35.48), bill them at 50 seats (22/31 × 500.00 = 354.84).
SELECT rr.create_contract('CU', 'PRORATED', '2024-01-01', '{"PLAIN": {"quantity": 5}}') AS k_qty \gset
SELECT rr.change_contract_line(:k_qty, 'SEATS', '2024-01-01', remove => true);
SELECT rr.change_contract_line(:k_qty, 'METERED', '2024-01-01', remove => true);
SELECT rr.setup_and_activate_contract(:k_qty);
SELECT lines, total FROM rr.bill_contract(:k_qty, '2024-03-01');
SELECT rr.change_contract_line(:k_qty, 'PLAIN', '2024-03-10', quantity => 50);
SELECT invoice_id AS inv FROM rr.bill_contract(:k_qty, '2024-03-20') \gset
SELECT l.line_effective_from, l.service_period, l.quantity, l.unit_price, l.amount, ch.adjustment_seq AS seq
  FROM rr.invoice_line l JOIN rr.charge ch ON ch.tenant_id = l.tenant_id AND ch.charge_id = l.charge_id
 WHERE l.invoice_id = :inv ORDER BY l.line_no;
-- (4) then a price change to 8.00 a seat on April 20, after April was billed (500.00):
-- credit 11 days at 10.00 (11/30 × 500.00 = 183.33), bill them at 8.00 (11/30 × 400.00 = 146.67)
SELECT lines, total FROM rr.bill_contract(:k_qty, '2024-04-01');
SELECT rr.change_contract_line(:k_qty, 'PLAIN', '2024-04-20', prices => '{"recurring_price": "8.00"}');
SELECT invoice_id AS inv FROM rr.bill_contract(:k_qty, '2024-04-20') \gset
SELECT line_effective_from, service_period, quantity, unit_price, amount FROM rr.invoice_line
 WHERE invoice_id = :inv ORDER BY line_no;
-- what April is billed net: 19 days at 10.00 × 50 and 11 at 8.00 × 50, each rounded once
SELECT sum(amount) AS april_net, round(50 * 10.00 * 19 / 30, 2) + round(50 * 8.00 * 11 / 30, 2) AS contracted
  FROM rr.charge WHERE tenant_id = 'chg' AND contract_id = :k_qty AND lower(service_period) >= '2024-04-01'
   AND lower(service_period) < '2024-05-01';
-- undoing the run takes the corrections back; the next run issues them again
SELECT count(*) AS undone FROM rr.undo_last_billing(:k_qty);
SELECT lines, total FROM rr.bill_contract(:k_qty, '2024-04-20');
SELECT count(*) AS invoices FROM rr.bill_contract(:k_qty, '2024-04-20');
