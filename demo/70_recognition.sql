-- recurring_revenue demo: revenue recognition for the demo's contracts through 2024 (needs
-- 30_contracts.sql, 50_billing.sql and 60_payments.sql).
\echo
\echo '== Performance obligations and SSP allocation: Acme''s licence (list 12,000.00) and maintenance'
\echo '   (sold at 90 %: 2,160.00, SSP 2,400.00) are one bundle sold at a discount; the discount is'
\echo '   spread by relative SSP: 14,160 x 12,000 / 14,400 = 11,800.00 and 14,160 x 2,400 / 14,400 = 2,360.00'
SET rr.tenant = 'default';
SELECT contract_id, obligation_no, item, method, service, standalone_price, contract_amount, allocated_amount, reallocated
  FROM rr.performance_obligations ORDER BY contract_id, obligation_no;

\echo '== A fixed-fee implementation project for Initech, recognised by percent complete (SSP set for the contract)'
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('default', 'PROGRESS', 'Percent complete', 'percent_complete', '2100', '4200');
INSERT INTO rr.item (tenant_id, code, name, unit, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('default', 'IMPL', 'Implementation project', 'project', '4200', '2100', '1100', 'PROGRESS');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES ('default', 'IMPL', 'USD', 30000.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item) VALUES
    ('default', 'IMPLEMENTATION', 'Implementation', 'USD', 'IMPL');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period) VALUES
    ('default', 'PROJECT', 'Fixed-fee project', 'expiring', 6, 'month', 'on_demand');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('default', 'PROJECT', 1, 'IMPLEMENTATION', 1);
SELECT rr.create_contract('INITECH', 'PROJECT', '2024-02-01', description => 'ERP implementation') AS project \gset
SELECT rr.set_obligation(:project, 1, standalone_price => 30000.00);
SELECT rr.setup_and_activate_contract(:project);
SELECT lines, total FROM rr.bill_contract(:project, '2024-02-01');
SELECT number, total FROM rr.post_invoices('2024-02-01');
SELECT rr.record_progress(:project, 1, 25, '2024-03-31') AS catch_up_25,
       rr.record_progress(:project, 1, 60, '2024-05-31') AS catch_up_60,
       rr.record_progress(:project, 1, 100, '2024-07-31') AS catch_up_100;

\echo '== Recognition runs on every month end of 2024, closing each month after its run'
SELECT upper(m) - 1 AS run_date, r.entries, r.revenue
  FROM rr.billing_periods('2024-01-01', '2025-01-01', '1 month', '2000-01-01') AS m
 CROSS JOIN LATERAL (SELECT count(*) AS entries, coalesce(sum(x.revenue), 0) AS revenue
                       FROM rr.recognize(upper(m) - 1) x) r
 CROSS JOIN LATERAL (SELECT rr.close_period(lower(m), 'month-end close')) c
 ORDER BY m;
SELECT period_start, status FROM rr.fiscal_period WHERE period_start < '2025-01-01' ORDER BY period_start;
SELECT count(*) AS entries_on_rerun FROM rr.recognize('2024-12-31');

\echo '== Acme''s bundle: the schedule with its status as of 2024-12-31 (licence on delivery,'
\echo '   maintenance evenly by days; the goodwill credit came off maintenance not yet earned first)'
SELECT obligation_no, item, source, period, amount, status, posted_period
  FROM rr.contract_revenue_schedule(1, '2024-12-31');

\echo '== Deferred revenue, unbilled receivable and contract asset per contract on 2024-06-30 and 2024-12-31'
SELECT contract_id, account, account_name, balance, net_position
  FROM rr.contract_balances('2024-06-30') WHERE balance <> 0;
SELECT contract_id, account, account_name, balance, net_position
  FROM rr.contract_balances('2024-12-31') WHERE balance <> 0;

\echo '== Reconciliation: billed = recognised + deferred - unbilled - contract asset (no rows: clean)'
SELECT * FROM rr.revenue_reconciliation('2024-12-31');

\echo '== Recognised revenue by account and quarter'
SELECT date_trunc('quarter', e.entry_date)::date AS quarter, l.account, a.name,
       sum(l.credit) - sum(l.debit) AS revenue
  FROM rr.journal_entry e
  JOIN rr.journal_line l USING (tenant_id, entry_id)
  JOIN rr.account a ON a.tenant_id = l.tenant_id AND a.code = l.account
 WHERE e.source = 'recognition' AND a.kind = 'revenue'
 GROUP BY 1, l.account, a.name ORDER BY 1, 2;

\echo '== Refusals: posting into a closed period, reopening without a reason'
\set ON_ERROR_STOP 0
INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
VALUES ('default', '2024-03-15', '2024-03-01', 'manual', 0, 'by hand');
SELECT rr.reopen_period('2024-12-01', NULL);
\set ON_ERROR_STOP 1
SELECT rr.reopen_period('2024-12-01', 'year-end adjustments') AS reopened;
SELECT rr.close_period('2024-12-01', 'year-end close') AS closed;
SELECT action, count(*) FROM rr.period_close_event GROUP BY action ORDER BY action;
RESET rr.tenant;
