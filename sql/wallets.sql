-- Prepaid credit wallets: top-ups, drawdowns by usage and by invoices, expiry and breakage,
-- the prepaid balances report (docs/commitments-and-wallets.md).
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
SELECT rr.create_tenant('wal', 'Wallet tests', 'USD');
SET rr.tenant = 'wal';
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account) VALUES
    ('wal', 'CALL', 'API call', 'call', '4300', '2100', '1100'),
    ('wal', 'SUB', 'Subscription', 'month', '4000', '2100', '1100');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('wal', 'CALL', 'USD', 0.25), ('wal', 'SUB', 'USD', 20.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, reset_usage, usage_aggregation) VALUES
    ('wal', 'API', 'API calls, 0.25 each', 'USD', 'CALL', 'postpaid', 'per_unit(0.25)', 'item_price', 'on_billing', 'sum');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type) VALUES
    ('wal', 'PLAN', 'Plan, 20.00 a month', 'USD', 'SUB', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment) VALUES
    ('wal', 'M', 'Monthly plan with usage', 'renewable', 1, 'year', 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('wal', 'M', 1, 'PLAN', 1), ('wal', 'M', 2, 'API', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('wal', 'U', 'Prepays its usage', 'USD'), ('wal', 'A', 'Prepays everything', 'USD'),
    ('wal', 'N', 'No wallet', 'USD');
SELECT rr.create_contract('U', 'M', '2025-01-01') AS k_u \gset
SELECT rr.setup_and_activate_contract(:k_u);

-- U's wallet settles usage lines only.  500.00 received on 2025-01-01, usable until
-- 2025-03-31 (expires on 2025-04-01); 100.00 more on 2025-02-15 that never expires.
SELECT rr.open_wallet('U', scope => 'usage') AS w_u \gset
SELECT rr.top_up_wallet('U', 500.00, '2025-01-01', '2025-04-01', 'PO-1') AS lot_1 \gset
SELECT rr.top_up_wallet('U', 100.00, '2025-02-15', reference => 'PO-2') AS lot_2 \gset
-- each top-up: Dr cash 1200 / Cr customer deposits 2300 (a contract liability)
SELECT e.entry_date, l.account, l.debit, l.credit
  FROM rr.wallet_entry w JOIN rr.journal_line l ON l.tenant_id = w.tenant_id AND l.entry_id = w.journal_entry_id
  JOIN rr.journal_entry e ON e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id
 WHERE w.tenant_id = 'wal' AND w.kind = 'top_up' ORDER BY w.entry_id, l.line_no;

-- January's plan (20.00, prepaid) has no usage line: nothing to draw.
SELECT total FROM rr.run_billing('2025-01-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-01-01');
SELECT * FROM rr.draw_wallets('2025-01-01');

-- 1,000 calls in January, 720 in February, 600 in March, at 0.25:
--   January  1,000 x 0.25 = 250.00, February 720 x 0.25 = 180.00, March 600 x 0.25 = 150.00
SELECT rr.record_usage(:k_u, 'API', 1000, '2025-01-20 12:00+00', 'jan'),
       rr.record_usage(:k_u, 'API', 720, '2025-02-20 12:00+00', 'feb'),
       rr.record_usage(:k_u, 'API', 600, '2025-03-20 12:00+00', 'mar');

-- 2025-02-01: February's plan 20.00 + January's usage 250.00.  The wallet draws the usage
-- line: 250.00 from the 500.00 top-up (250.00 left); the plan stays open (20.00).
SELECT total FROM rr.run_billing('2025-02-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-02-01');
SELECT number, customer, currency, drawn FROM rr.draw_wallets('2025-02-01');
-- drawn again: nothing (idempotent)
SELECT count(*) AS drawn_again FROM rr.draw_wallets('2025-02-01');

-- 2025-03-01: 20.00 + February's usage 180.00.  Lots are drawn first to expire first:
-- 180.00 from the 500.00 lot (250.00 - 180.00 = 70.00 left), the 100.00 lot untouched.
SELECT total FROM rr.run_billing('2025-03-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-03-01');
SELECT number, drawn FROM rr.draw_wallets('2025-03-01');
SELECT w.lot_id = :lot_1 AS first_lot, w.amount, w.entry_date FROM rr.wallet_entry w WHERE w.tenant_id = 'wal' AND w.kind = 'drawdown' ORDER BY w.entry_id;

-- 2025-04-01: the 500.00 lot expires with 70.00 unused (500.00 - 250.00 - 180.00):
-- breakage, Dr 2300 70.00 / Cr breakage revenue 4900 70.00, dated its expiry date.
SELECT wallet_id = :w_u AS u_wallet, customer, lot_id = :lot_1 AS first_lot, expires_on, expired
  FROM rr.expire_wallet_credit('2025-04-01');
SELECT e.entry_date, e.source, l.account, l.debit, l.credit
  FROM rr.wallet_entry w JOIN rr.journal_line l ON l.tenant_id = w.tenant_id AND l.entry_id = w.journal_entry_id
  JOIN rr.journal_entry e ON e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id
 WHERE w.tenant_id = 'wal' AND w.kind = 'expiry' ORDER BY l.line_no;
-- expired again: nothing (idempotent)
SELECT count(*) AS expired_again FROM rr.expire_wallet_credit('2025-12-31');

-- March's usage 150.00 on 2025-04-01: only the 100.00 lot is left; 50.00 stays open.
SELECT total FROM rr.run_billing('2025-04-01');
SELECT count(*) AS posted FROM rr.post_invoices('2025-04-01');
SELECT number, drawn FROM rr.draw_wallets('2025-04-01');
SELECT number, total, applied, balance, status FROM rr.invoice_balances('wal', '2025-04-30') ORDER BY number;

-- The wallet: 600.00 received - 530.00 drawn (250.00 + 180.00 + 100.00) - 70.00 expired = 0.00,
-- and so at every date before: on 2025-03-15, 600.00 - 430.00 = 170.00.
SELECT kind, customer, received, drawn, expired, refunded, balance FROM rr.prepaid_balances('2025-03-15');
SELECT kind, customer, received, drawn, expired, refunded, balance FROM rr.prepaid_balances('2025-04-30');
SELECT balance FROM rr.wallet WHERE tenant_id = 'wal' AND wallet_id = :w_u;
-- the liability account holds the balance (0.00), breakage revenue the 70.00, the journal balances
SELECT account, sum(debit) AS debit, sum(credit) AS credit FROM rr.journal_line
 WHERE tenant_id = 'wal' AND account IN ('2300', '4900') GROUP BY account ORDER BY account;
SELECT count(*) AS unbalanced FROM (SELECT entry_id FROM rr.journal_line WHERE tenant_id = 'wal' GROUP BY entry_id HAVING sum(debit) <> sum(credit)) x;

-- A: a wallet for whole invoices, opened by its first top-up (no expiry); a single draw of
-- one invoice, by default as much as possible, or an amount.
SELECT rr.create_contract('A', 'M', '2025-01-01') AS k_a \gset
SELECT rr.setup_and_activate_contract(:k_a);
SELECT rr.top_up_wallet('A', 30.00, '2025-01-01') AS lot_a \gset
SELECT scope, liability_account, breakage_account, cash_account, balance FROM rr.wallet WHERE tenant_id = 'wal' AND customer = 'A';
SELECT total FROM rr.bill_contract(:k_a, '2025-01-01');
SELECT invoice_id AS inv_a1 FROM rr.post_invoices('2025-01-01') \gset
SELECT rr.draw_wallet(:inv_a1, 5.00) AS drawn;
SELECT rr.draw_wallet(:inv_a1) AS drawn;   -- the rest of the invoice: 20.00 - 5.00 = 15.00
SELECT balance, status FROM rr.invoice_balances('wal', '2025-01-31') WHERE invoice_id = :inv_a1;
SELECT rr.draw_wallet(:inv_a1) AS drawn;   -- paid: nothing left to draw
-- the drawdown credits the invoice's receivable account
SELECT l.account, l.debit, l.credit FROM rr.wallet_entry w
  JOIN rr.journal_line l ON l.tenant_id = w.tenant_id AND l.entry_id = w.journal_entry_id
 WHERE w.tenant_id = 'wal' AND w.invoice_id = :inv_a1 AND w.amount = 5.00 ORDER BY l.line_no;

-- Refusals: nothing is written by any of them.
SELECT count(*) AS entries_before FROM rr.wallet_entry WHERE tenant_id = 'wal' \gset
SELECT rr.top_up_wallet('nobody', 10.00, '2025-01-01');
SELECT rr.top_up_wallet(NULL, 10.00, '2025-01-01');
SELECT rr.top_up_wallet('A', 0, '2025-01-01');
SELECT rr.top_up_wallet('A', -5.00, '2025-01-01');
SELECT rr.top_up_wallet('A', 10.005, '2025-01-01');
SELECT rr.top_up_wallet('A', 'NaN', '2025-01-01');
SELECT rr.top_up_wallet('A', 10.00, NULL);
SELECT rr.top_up_wallet('A', 10.00, 'infinity');
SELECT rr.top_up_wallet('A', 10.00, '2025-01-01', '2025-01-01');
SELECT rr.top_up_wallet('A', 10.00, '2025-01-01', currency => 'XXZ');
SELECT rr.open_wallet('A');
SELECT rr.open_wallet('N', scope => 'everything');
SELECT rr.open_wallet('N', scope => NULL);
SELECT rr.open_wallet('N', liability_account => '9999');
SELECT rr.open_wallet('N', liability_account => '4000');
SELECT rr.open_wallet('N', breakage_account => '2300');
SELECT rr.draw_wallet(NULL);
SELECT rr.draw_wallet(999999);
SELECT rr.create_contract('N', 'M', '2025-01-01') AS k_n \gset
SELECT rr.setup_and_activate_contract(:k_n);
SELECT total FROM rr.bill_contract(:k_n, '2025-01-01');
SELECT invoice_id AS inv_n_draft FROM rr.invoice WHERE tenant_id = 'wal' AND contract_id = :k_n \gset
SELECT regress.refused('SELECT rr.draw_wallet(' || :inv_n_draft || ')', jsonb_build_object(':inv_n_draft', :inv_n_draft));
SELECT invoice_id AS inv_n FROM rr.post_invoices('2025-01-01') \gset
SELECT rr.draw_wallet(:inv_n);
-- A's second invoice (February, 20.00): more than the invoice, more than the credit (10.00), a
-- date before the invoice, nothing
SELECT total FROM rr.bill_contract(:k_a, '2025-02-01');
SELECT invoice_id AS inv_a2 FROM rr.post_invoices('2025-02-01') \gset
SELECT rr.draw_wallet(:inv_a2, 25.00);
SELECT rr.draw_wallet(:inv_a2, 15.00);
SELECT rr.draw_wallet(:inv_a2, 1.00, '2025-01-31');
SELECT rr.draw_wallet(:inv_a2, 0.00);
-- U's usage-only wallet cannot settle the plan line: its January invoice has no usage
SELECT invoice_id AS inv_u1 FROM rr.invoice WHERE tenant_id = 'wal' AND contract_id = :k_u ORDER BY invoice_id LIMIT 1 \gset
SELECT rr.draw_wallet(:inv_u1, 1.00);
SELECT rr.draw_wallets(NULL);
SELECT rr.expire_wallet_credit(NULL);
SELECT rr.expire_wallet_credit('infinity');
SELECT count(*) - :entries_before AS entries_added FROM rr.wallet_entry WHERE tenant_id = 'wal';
-- the movements are append-only, the balance never negative
UPDATE rr.wallet_entry SET amount = 1 WHERE tenant_id = 'wal' AND wallet_id = :w_u;
DELETE FROM rr.wallet_entry WHERE tenant_id = 'wal' AND wallet_id = :w_u;
\set VERBOSITY terse
UPDATE rr.wallet SET balance = -1 WHERE tenant_id = 'wal' AND wallet_id = :w_u;
\set VERBOSITY default
RESET rr.tenant;
