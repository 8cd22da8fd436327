-- Revenue does not depend on when recognition runs (docs/revenue.md "Revenue does not depend on when
-- recognition runs"): a change re-plans from its effective date, on_payment revenue is dated
-- at the payment.  (Last in sql/schedule: its contracts do not shift the ids the other
-- tests print.)
\set SHOW_CONTEXT never
-- Two tenants with the same catalog (copied from tenant 'rec' of sql/recognition.sql) and
-- the same contracts: 'rm' recognises at every month end, 're' only once on
-- 31 March.  Each has a monthly service (31.00 a month for a year from 1 January, by
-- days) whose quantity goes from 1 to 3 on 15 February (decided in February, after the
-- January run in 'rm') and, back-dated once March is recognised, to 2 on 15 March; and a
-- service recognised on payment (600.00 a year, invoiced on 1 January) paid 300.00 on
-- 20 January and 150.00 on 10 February.
SELECT rr.create_tenant(x, 'Recognition timing ' || x, 'USD') FROM unnest(ARRAY['rm', 're']) x ORDER BY 1;
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
SELECT x, c.code, c.name, c.method, c.deferred_account, c.revenue_account
  FROM unnest(ARRAY['rm', 're']) x, rr.deferral_code c WHERE c.tenant_id = 'rec' AND c.code IN ('DAILY', 'CASH');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
SELECT x, i.code, i.name, i.revenue_account, i.deferred_account, i.receivable_account, i.deferral_code
  FROM unnest(ARRAY['rm', 're']) x, rr.item i WHERE i.tenant_id = 'rec' AND i.code IN ('S-DAY', 'DOUBT');
INSERT INTO rr.item_price (tenant_id, item, currency, price)
SELECT x, p.item, p.currency, p.price FROM unnest(ARRAY['rm', 're']) x, rr.item_price p
 WHERE p.tenant_id = 'rec' AND p.item IN ('S-DAY', 'DOUBT');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, recurring_pricing,
                              recurring_price, billing_period, standalone_price)
SELECT x, c.code, c.name, c.currency, c.recurring_item, c.billing_type, c.recurring_pricing, c.recurring_price,
       c.billing_period, c.standalone_price
  FROM unnest(ARRAY['rm', 're']) x, rr.contract_item c WHERE c.tenant_id = 'rec' AND c.code IN ('MONTHLY', 'DOUBTFUL');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit, billing_period, alignment)
SELECT x, t.code, t.name, t.contract_type, t.duration, t.duration_unit, t.billing_period, t.alignment
  FROM unnest(ARRAY['rm', 're']) x, rr.contract_template t WHERE t.tenant_id = 'rec' AND t.code IN ('MONTH', 'DOUBT');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity)
SELECT x, l.template, l.line_no, l.contract_item, l.quantity
  FROM unnest(ARRAY['rm', 're']) x, rr.template_line l WHERE l.tenant_id = 'rec' AND l.template IN ('MONTH', 'DOUBT');
INSERT INTO rr.customer (tenant_id, code, name, currency) SELECT x, 'CU', 'Customer', 'USD' FROM unnest(ARRAY['rm', 're']) x;
-- the same steps in both tenants; only the recognition runs differ (each workflow's
-- arguments are values read before its call, not sub-queries, which Citus cannot plan
-- next to a workflow: here and below; and the steps are a function of schema regress, not
-- of pg_temp: Citus cannot commit, in two phases, a transaction that used temporary objects)
CREATE FUNCTION regress.timing_step(tenant text, step text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    svc bigint;
    doubt bigint;
    pay bigint;
    inv bigint;
BEGIN
    PERFORM set_config('rr.tenant', tenant, true);
    SELECT min(contract_id) FILTER (WHERE template = 'MONTH'), min(contract_id) FILTER (WHERE template = 'DOUBT')
      INTO svc, doubt FROM rr.contract WHERE tenant_id = tenant;
    CASE step
    WHEN 'start' THEN
        svc := rr.create_contract('CU', 'MONTH', '2024-01-01');
        PERFORM rr.setup_and_activate_contract(svc, '2024-01-01');
        doubt := rr.create_contract('CU', 'DOUBT', '2024-01-01');
        PERFORM rr.setup_and_activate_contract(doubt, '2024-01-01');
        PERFORM rr.bill_contract(doubt, '2024-01-01');
        PERFORM rr.post_invoices('2024-01-01');
    WHEN 'january payment' THEN
        pay := rr.record_payment('CU', 300.00, '2024-01-20', 'wire', apply => false);
        SELECT invoice_id INTO STRICT inv FROM rr.invoice WHERE tenant_id = tenant AND contract_id = doubt;
        PERFORM rr.apply_payment(pay, inv);
    WHEN 'february' THEN
        PERFORM rr.change_contract_line(svc, 'MONTHLY', '2024-02-15', quantity => 3);
    WHEN 'february payment' THEN
        pay := rr.record_payment('CU', 150.00, '2024-02-10', 'wire', apply => false);
        SELECT invoice_id INTO STRICT inv FROM rr.invoice WHERE tenant_id = tenant AND contract_id = doubt;
        PERFORM rr.apply_payment(pay, inv);
    WHEN 'april' THEN
        PERFORM rr.change_contract_line(svc, 'MONTHLY', '2024-03-15', quantity => 2);
    END CASE;
END $$;
-- (each step of each tenant in a transaction block of its own: a transaction that writes
-- both tenants writes to two Citus workers, which Citus commits in two phases, which a
-- delegated workflow's work tables forbid, as they do a payment applied after one
-- (docs/scale-out.md); outside a block Citus refuses a workflow that a function calls)
BEGIN \; SELECT regress.timing_step('rm', 'start') \; COMMIT;
BEGIN \; SELECT regress.timing_step('rm', 'january payment') \; COMMIT;
BEGIN \; SELECT regress.timing_step('re', 'start') \; COMMIT;
BEGIN \; SELECT regress.timing_step('re', 'january payment') \; COMMIT;
SET rr.tenant = 'rm';
SELECT period_start, count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-01-31') GROUP BY 1;
BEGIN \; SELECT regress.timing_step('rm', 'february') \; COMMIT;
BEGIN \; SELECT regress.timing_step('rm', 'february payment') \; COMMIT;
BEGIN \; SELECT regress.timing_step('re', 'february') \; COMMIT;
BEGIN \; SELECT regress.timing_step('re', 'february payment') \; COMMIT;
SELECT period_start, count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-02-29') GROUP BY 1;
SELECT period_start, count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-03-31') GROUP BY 1;
BEGIN \; SELECT regress.timing_step('rm', 'april') \; COMMIT;
BEGIN \; SELECT regress.timing_step('re', 'april') \; COMMIT;
SELECT period_start, count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-03-31') GROUP BY 1 ORDER BY 1;
SET rr.tenant = 're';
SELECT period_start, count(*) AS entries, sum(revenue) AS revenue FROM rr.recognize('2024-03-31') GROUP BY 1 ORDER BY 1;
-- revenue per contract and period, side by side: the same to the cent (January: 31.00
-- before any change; February: 14 days at 1 and 15 days at 3, the quantity 3 spread
-- over what is left of the year; March: the back-dated change re-plans from 15 March,
-- and 'rm', which had posted March at quantity 3, posts the difference into March)
SELECT k.template, l.posted_period,
       sum(l.amount) FILTER (WHERE l.tenant_id = 'rm') AS recognised_monthly,
       sum(l.amount) FILTER (WHERE l.tenant_id = 're') AS recognised_at_end
  FROM rr.revenue_schedule_line l
  JOIN rr.contract k ON k.tenant_id = l.tenant_id AND k.contract_id = l.contract_id
 WHERE l.tenant_id IN ('rm', 're') AND l.status = 'posted'
 GROUP BY 1, 2 ORDER BY 1, 2;
-- the journal agrees: revenue accounts per period
SELECT e.period_start,
       sum(j.credit - j.debit) FILTER (WHERE j.tenant_id = 'rm') AS journal_monthly,
       sum(j.credit - j.debit) FILTER (WHERE j.tenant_id = 're') AS journal_at_end
  FROM rr.journal_line j
  JOIN rr.journal_entry e ON e.tenant_id = j.tenant_id AND e.entry_id = j.entry_id
 WHERE j.tenant_id IN ('rm', 're') AND j.account IN ('4000', '4100', '4200')
 GROUP BY 1 ORDER BY 1;
-- the service's schedule in 'rm': what was posted stays, the open lines from 15 March on
-- are the new schedule less what was posted there
SET rr.tenant = 'rm';
SELECT min(contract_id) AS rm_service FROM rr.contract WHERE tenant_id = 'rm' AND template = 'MONTH' \gset
SELECT s.period, s.amount, s.status, s.posted_period
  FROM rr.contract_revenue_schedule(:rm_service, '2024-03-31') s
 WHERE s.period && daterange('2024-01-01', '2024-05-01');
-- on payment: the 20 January payment is January's revenue, the 10 February one
-- February's, whichever day the run was
SELECT l.tenant_id, l.recognize_on, l.amount, l.posted_period
  FROM rr.revenue_schedule_line l
 WHERE l.tenant_id IN ('rm', 're') AND l.source = 'payment' ORDER BY 1, 2;
-- a payment applied in a closed period goes into the first open one
SET rr.tenant = 're';
SELECT rr.close_period('2024-01-01', 'January'), rr.close_period('2024-02-01', 'February');
SELECT invoice_id AS re_invoice FROM rr.invoice WHERE tenant_id = 're' \gset
SELECT contract_id AS re_doubt FROM rr.contract WHERE tenant_id = 're' AND template = 'DOUBT' \gset
SELECT count(*) FROM rr.apply_payment(rr.record_payment('CU', 60.00, '2024-02-20', 'wire', apply => false), :re_invoice);
SELECT period_start, lines, revenue FROM rr.recognize('2024-04-30') WHERE contract_id = :re_doubt;
SELECT recognize_on, amount, posted_period FROM rr.revenue_schedule_line
 WHERE tenant_id = 're' AND source = 'payment' ORDER BY recognize_on;
DROP FUNCTION regress.timing_step(text, text);
SET rr.tenant = 'rec';
