-- Amendments and upgrades (docs/catalog-and-contracts.md, "Amendments and upgrades";
-- docs/revenue.md, "Contract modifications"): several line changes at once from one date,
-- upgrades and downgrades to another contract item, the difference billed with the next
-- run or at once, a net credit carried to the next invoice, the preview that equals the
-- amendment, the pending-upgrade path, the ASC 606 treatment and the modification log.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('amd', 'Amendments', 'USD');
SET rr.tenant = 'amd';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('amd', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('amd', 'BASIC', 'Basic plan', '4000', '2100', '1100', 'DAILY'),
    ('amd', 'PRO', 'Pro plan', '4000', '2100', '1100', 'DAILY'),
    ('amd', 'PREMIUM', 'Premium plan', '4000', '2100', '1100', 'DAILY'),
    ('amd', 'YEARLY', 'Pro plan, yearly', '4000', '2100', '1100', 'DAILY'),
    ('amd', 'SEAT', 'Seat', '4000', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('amd', 'BASIC', 'USD', 10.00), ('amd', 'PRO', 'USD', 20.00), ('amd', 'PREMIUM', 'USD', 50.00),
    ('amd', 'YEARLY', 'USD', 200.00), ('amd', 'SEAT', 'USD', 10.00),
    ('amd', 'BASIC', 'KRW', 30000), ('amd', 'PRO', 'KRW', 50000);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity) VALUES
    ('amd', 'BASIC', 'Basic, monthly', 'USD', 'BASIC', 'prepaid', NULL, 100),
    ('amd', 'PRO', 'Pro, monthly', 'USD', 'PRO', 'prepaid', NULL, 100),
    ('amd', 'PREMIUM', 'Premium, monthly', 'USD', 'PREMIUM', 'prepaid', NULL, 100),
    ('amd', 'PRO_YEAR', 'Pro, yearly', 'USD', 'YEARLY', 'prepaid', '1 year', 100),
    ('amd', 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', NULL, 100),
    ('amd', 'BASIC_KRW', 'Basic, monthly, KRW', 'KRW', 'BASIC', 'prepaid', NULL, 100),
    ('amd', 'PRO_KRW', 'Pro, monthly, KRW', 'KRW', 'PRO', 'prepaid', NULL, 100);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment,
                                  allow_override, refund_policy) VALUES
    ('amd', 'MONTHLY', 'One year, billed monthly', 1, 'year', 'month', 'calendar', true, 'prorated'),
    ('amd', 'FIXED', 'One year, no overrides', 1, 'year', 'month', 'calendar', false, 'prorated');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('amd', 'FIXED', 1, 'SEATS', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES
    ('amd', 'CU', 'Customer', 'USD'), ('amd', 'KR', 'Korean customer', 'KRW');
-- KRW postings are converted into the functional currency USD (docs/dunning-and-currencies.md)
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate)
VALUES ('amd', 'KRW', 'USD', '2024-01-01', 0.00075);

-- A contract on one item, activated on 2025-01-01.
CREATE FUNCTION pg_temp.contract(customer text, item text, quantity numeric DEFAULT 1, template text DEFAULT 'MONTHLY')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE k bigint;
BEGIN
    k := rr.create_contract(customer, template, '2025-01-01', jsonb_build_object(item, jsonb_build_object('quantity', quantity)));
    PERFORM rr.setup_and_activate_contract(k);
    RETURN k;
END $$;
-- The charges of a contract for service in a month, per line version, kind and period.
CREATE FUNCTION pg_temp.charges(k bigint, month date)
RETURNS TABLE (contract_item text, service_period daterange, seq integer, amount numeric, invoice_date date)
LANGUAGE sql AS $$
    SELECT l.contract_item, ch.service_period, ch.adjustment_seq, ch.amount, i.invoice_date
      FROM rr.charge ch
      JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                             AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
      JOIN rr.invoice_line il ON il.tenant_id = ch.tenant_id AND il.charge_id = ch.charge_id
      JOIN rr.invoice i ON i.tenant_id = il.tenant_id AND i.invoice_id = il.invoice_id
     WHERE ch.tenant_id = 'amd' AND ch.contract_id = k
       AND lower(ch.service_period) >= month AND lower(ch.service_period) < month + interval '1 month'
     ORDER BY lower(ch.service_period), ch.line_no, ch.adjustment_seq $$;

-- (1) Upgrade from Basic (10.00 a month) to Pro (20.00) halfway through April, billed at
-- once.  January to April were billed on April 1 (4 × 10.00 = 40.00).  The 15 days [04-16, 05-01) of 30: Basic
-- credited 10.00 × 15/30 = 5.00, Pro charged 20.00 × 15/30 = 10.00; the invoice: 5.00.
SELECT pg_temp.contract('CU', 'BASIC') AS k_up \gset
SELECT total FROM rr.bill_contract(:k_up, '2025-04-01');
CREATE TEMP TABLE preview AS
SELECT * FROM rr.preview_amendment(:k_up, '2025-04-16', '[{"item": "BASIC", "upgrade_to": "PRO"}]', bill => 'immediately');
SELECT * FROM preview;
-- the preview left nothing behind
SELECT count(*) AS versions FROM rr.contract_line WHERE tenant_id = 'amd' AND contract_id = :k_up;
SELECT count(*) AS modifications FROM rr.contract_modification WHERE tenant_id = 'amd';
SELECT applied_treatment, invoice_id IS NOT NULL AS invoiced, billed, carried_forward
  FROM rr.amend_contract(:k_up, '2025-04-16', '[{"item": "BASIC", "upgrade_to": "PRO"}]', bill => 'immediately');
-- preview = actual: the amendment's invoice has exactly the previewed lines
SELECT l.line_no, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE i.tenant_id = 'amd' AND i.contract_id = :k_up AND i.invoice_date = '2025-04-16'
EXCEPT ALL SELECT line_no, kind, contract_item, service_period, quantity, unit_price, amount FROM preview;
SELECT count(*) AS previewed_not_billed FROM (
    SELECT line_no, kind, contract_item, service_period, quantity, unit_price, amount FROM preview
    EXCEPT ALL
    SELECT l.line_no, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount
      FROM rr.invoice i JOIN rr.invoice_line l USING (tenant_id, invoice_id)
     WHERE i.tenant_id = 'amd' AND i.contract_id = :k_up AND i.invoice_date = '2025-04-16') x;
-- April costs 5.00 + 10.00 = 15.00; May is Pro's 20.00, and billing again adds nothing
SELECT * FROM pg_temp.charges(:k_up, '2025-04-01');
SELECT contract_id, total FROM rr.run_billing('2025-05-01') WHERE contract_id = :k_up;
SELECT count(*) AS invoices FROM rr.run_billing('2025-05-01') WHERE contract_id = :k_up;
SELECT l.line_no, l.effective_from, l.contract_item, l.quantity, l.recurring_price, l.is_removed
  FROM rr.contract_line l WHERE l.tenant_id = 'amd' AND l.contract_id = :k_up ORDER BY 1, 2;

-- (2) A plan change on the first day of a billed period, in KRW (0 decimals): January to
-- May billed on May 1 (5 × 30,000); Basic → Pro from May 1 credits all 31 days (−30,000) and charges Pro's
-- 50,000, on the next invoice with June's 50,000: 70,000.  May costs 50,000, once.
SELECT pg_temp.contract('KR', 'BASIC_KRW') AS k_krw \gset
SELECT total FROM rr.bill_contract(:k_krw, '2025-05-01');
SELECT applied_treatment, invoice_id, billed, carried_forward
  FROM rr.amend_contract(:k_krw, '2025-05-01', '[{"item": "BASIC_KRW", "upgrade_to": "PRO_KRW"}]');
SELECT total FROM rr.bill_contract(:k_krw, '2025-06-01');
SELECT * FROM pg_temp.charges(:k_krw, '2025-05-01');
SELECT sum(amount) AS may FROM pg_temp.charges(:k_krw, '2025-05-01');

-- (3) Downgrade from Premium (50.00) to Pro (20.00) on June 11, billed at once.  June was
-- billed 50.00.  20 days of 30 left: Premium credited 50.00 × 20/30 = 33.33, Pro charged
-- 20.00 × 20/30 = 13.33, net −20.00: no invoice on its own; the credit stays due and the
-- July invoice nets it: 20.00 − 33.33 + 13.33 = 0.00.  (January to June were billed on
-- June 1: 6 × 50.00 = 300.00.)
SELECT pg_temp.contract('CU', 'PREMIUM') AS k_down \gset
SELECT total FROM rr.bill_contract(:k_down, '2025-06-01');
SELECT * FROM rr.preview_amendment(:k_down, '2025-06-11', '[{"item": "PREMIUM", "upgrade_to": "PRO"}]', bill => 'immediately');
SELECT applied_treatment, invoice_id, billed, carried_forward
  FROM rr.amend_contract(:k_down, '2025-06-11', '[{"item": "PREMIUM", "upgrade_to": "PRO"}]', bill => 'immediately');
SELECT count(*) AS invoices_on_june_11 FROM rr.invoice WHERE tenant_id = 'amd' AND contract_id = :k_down AND invoice_date = '2025-06-11';
SELECT lines, total FROM rr.bill_contract(:k_down, '2025-07-01');
SELECT * FROM pg_temp.charges(:k_down, '2025-06-01');
SELECT * FROM pg_temp.charges(:k_down, '2025-07-01');

-- (4) From a monthly to a yearly plan on March 16: Basic credited for the 16 unused days of
-- March at its monthly price, 10.00 × 16/31 = 5.16; the yearly plan (200.00 a year,
-- calendar years) billed from the change to the end of its year, 200.00 × 291/365 = 159.45;
-- the invoice 159.45 − 5.16 = 154.29.  (January to March billed on March 1: 30.00.)
SELECT pg_temp.contract('CU', 'BASIC') AS k_year \gset
SELECT total FROM rr.bill_contract(:k_year, '2025-03-01');
SELECT * FROM rr.preview_amendment(:k_year, '2025-03-16', '[{"item": "BASIC", "upgrade_to": "PRO_YEAR"}]', bill => 'immediately');
SELECT applied_treatment, invoice_id IS NOT NULL AS invoiced, billed, carried_forward
  FROM rr.amend_contract(:k_year, '2025-03-16', '[{"item": "BASIC", "upgrade_to": "PRO_YEAR"}]', bill => 'immediately');
-- nothing more is due until the end of the year
SELECT count(*) AS invoices FROM rr.bill_contract(:k_year, '2025-12-31');

-- (5) Same-day changes never double bill: 1 → 3 seats on April 16 billed at once (5.00
-- credited, 15.00 charged: 10.00), then 3 → 2 the same day: the April 16 version is
-- replaced and corrected (15.00 → 10.00: −5.00, a net credit carried to May).  April:
-- 5.00 for [04-01, 04-16) and 10.00 for 2 seats over [04-16, 05-01): 15.00, and May's
-- invoice is 20.00 − 5.00 = 15.00.
SELECT pg_temp.contract('CU', 'SEATS') AS k_same \gset
SELECT total FROM rr.bill_contract(:k_same, '2025-04-01');
SELECT billed, carried_forward FROM rr.amend_contract(:k_same, '2025-04-16', '[{"item": "SEATS", "quantity": 3}]', bill => 'immediately');
SELECT billed, carried_forward FROM rr.amend_contract(:k_same, '2025-04-16', '[{"item": "SEATS", "quantity": 2}]', bill => 'immediately');
SELECT total FROM rr.bill_contract(:k_same, '2025-05-01');
SELECT * FROM pg_temp.charges(:k_same, '2025-04-01');
SELECT sum(amount) AS april FROM pg_temp.charges(:k_same, '2025-04-01');

-- (6) Several changes at once: add a line, change a price and remove a line, one event.
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"BASIC": {"quantity": 1}, "SEATS": {"quantity": 4}}') AS k_multi \gset
SELECT rr.setup_and_activate_contract(:k_multi);
SELECT total FROM rr.bill_contract(:k_multi, '2025-02-01');
SELECT * FROM rr.preview_amendment(:k_multi, '2025-02-15',
    '[{"item": "SEATS", "recurring_price": 12.00}, {"item": "BASIC", "remove": true}, {"item": "PREMIUM"}]');
SELECT applied_treatment, billed FROM rr.amend_contract(:k_multi, '2025-02-15',
    '[{"item": "SEATS", "recurring_price": 12.00}, {"item": "BASIC", "remove": true}, {"item": "PREMIUM"}]');
SELECT action, effective_date FROM rr.contract_event WHERE tenant_id = 'amd' AND contract_id = :k_multi ORDER BY event_id;
SELECT l.line_no, l.effective_from, l.contract_item, l.quantity, l.recurring_price, l.is_removed
  FROM rr.contract_line l WHERE l.tenant_id = 'amd' AND l.contract_id = :k_multi ORDER BY 1, 2;

-- (7) The pending-upgrade path: start, stage changes (a later change of an item replaces
-- the staged one), bill meanwhile under the current terms, activate from a date; another
-- upgrade cancelled leaves the contract as it was.
-- Two Basic seats (20.00 a month); from February 15 one Premium seat: 14 of 28 days,
-- Basic credited 20.00 × 14/28 = 10.00, Premium charged 50.00 × 14/28 = 25.00: 15.00.
SELECT pg_temp.contract('CU', 'BASIC', 2) AS k_pend \gset
SELECT rr.start_upgrade(:k_pend, 'customer asked for Pro');
SELECT rr.change_upgrade(:k_pend, '[{"item": "BASIC", "upgrade_to": "PRO"}]');
SELECT rr.change_upgrade(:k_pend, '[{"item": "BASIC", "upgrade_to": "PREMIUM", "quantity": 1}]');
SELECT total FROM rr.bill_contract(:k_pend, '2025-02-01');
SELECT modification_id AS pend_mod, event_id AS pend_event, invoice_id AS pend_invoice, billed AS pend_billed
  FROM rr.activate_upgrade(:k_pend, '2025-02-15', bill => 'immediately') \gset
-- (what it returned, its ids compared with the rows they name: ids are not printed)
SELECT m.action, m.applied_treatment, :pend_billed AS billed, m.event_id = :pend_event AS logged_with_its_event,
       (SELECT max(i.invoice_id) FROM rr.invoice i WHERE i.tenant_id = 'amd' AND i.contract_id = :k_pend) = :pend_invoice
           AS its_invoice_the_contracts_last
  FROM rr.contract_modification m WHERE m.tenant_id = 'amd' AND m.modification_id = :pend_mod;
SELECT status FROM rr.contract WHERE tenant_id = 'amd' AND contract_id = :k_pend;
SELECT * FROM pg_temp.charges(:k_pend, '2025-02-01');
SELECT pg_temp.contract('CU', 'BASIC') AS k_cancel \gset
SELECT rr.start_upgrade(:k_cancel);
SELECT rr.change_upgrade(:k_cancel, '[{"item": "BASIC", "quantity": 5}]');
SELECT rr.cancel_upgrade(:k_cancel, 'changed their mind');
SELECT status, (SELECT count(*) FROM rr.contract_line l WHERE l.tenant_id = 'amd' AND l.contract_id = :k_cancel) AS versions,
       (SELECT count(*) FROM rr.pending_upgrade u WHERE u.tenant_id = 'amd') AS pending
  FROM rr.contract WHERE tenant_id = 'amd' AND contract_id = :k_cancel;
-- a termination ends an upgrade in progress: its staged changes never take effect
SELECT rr.start_upgrade(:k_cancel);
SELECT rr.change_upgrade(:k_cancel, '[{"item": "BASIC", "quantity": 7}]') IS NOT NULL AS staged;
SELECT rr.terminate_contract(:k_cancel, '2025-03-31', 'closed down');
SELECT count(*) AS pending FROM rr.pending_upgrade WHERE tenant_id = 'amd';
SELECT action, reason FROM rr.contract_event WHERE tenant_id = 'amd' AND contract_id IN (:k_pend, :k_cancel) ORDER BY event_id;

-- (8) ASC 606: the same added-scope amendment (10 → 15 seats of 10.00 a month from April 1,
-- the transaction price 1,200.00 → 1,200.00 + 9 × 50.00 = 1,650.00), on two contracts
-- billed, posted and recognised through March (the daily schedule of 1,200.00 gave January
-- to March 101.92 + 92.05 + 101.92 = 295.89).
--   prospective (the remaining months are distinct): 1,650.00 − 295.89 = 1,354.11 spread
--     over the 275 days from April 1, April 1,354.11 × 30/275 = 147.72; nothing catches up;
--   cumulative catch-up (one partly satisfied obligation): 1,650.00 over the whole year,
--     January to March 140.14 + 126.57 + 140.14 = 406.85 (largest remainder), so 406.85 −
--     295.89 = 110.96 is recognised on April 1, and April itself is 1,650.00 × 30/365 = 135.62.
SELECT pg_temp.contract('CU', 'SEATS', 10) AS k_pro \gset
SELECT pg_temp.contract('CU', 'SEATS', 10) AS k_cu \gset
SELECT count(*) AS invoices FROM rr.run_billing('2025-03-01') WHERE contract_id IN (:k_pro, :k_cu);
SELECT count(*) > 0 AS posted FROM rr.post_invoices('2025-03-01');
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-03-31');
SELECT applied_treatment FROM rr.amend_contract(:k_pro, '2025-04-01', '[{"item": "SEATS", "quantity": 15}]',
                                                 facts => '{"added_distinct": true, "priced_at_ssp": false, "remaining_distinct": true}');
SELECT applied_treatment FROM rr.amend_contract(:k_cu, '2025-04-01', '[{"item": "SEATS", "quantity": 15}]',
                                                 facts => '{"remaining_distinct": false}');
SELECT contract_id, effective_date, derived_treatment, applied_treatment, price_before, price_after, price_change, revenue_impact
  FROM rr.modification_log WHERE contract_id IN (:k_pro, :k_cu) ORDER BY contract_id;
SELECT l.contract_id, l.period, l.recognize_on, l.amount, l.status
  FROM rr.revenue_schedule_line l
 WHERE l.tenant_id = 'amd' AND l.contract_id IN (:k_pro, :k_cu) AND l.source = 'allocation' AND lower(l.period) < '2025-05-01'
 ORDER BY l.contract_id, lower(l.period), l.status, upper(l.period);
-- recognised + remaining schedule = the revised transaction price, on both
SELECT l.contract_id, sum(l.amount) AS scheduled
  FROM rr.revenue_schedule_line l
 WHERE l.tenant_id = 'amd' AND l.contract_id IN (:k_pro, :k_cu) AND l.source = 'allocation'
 GROUP BY l.contract_id ORDER BY 1;
SELECT r.contract_id, r.period_start, r.revenue FROM rr.recognize('2025-04-30') r
 WHERE r.contract_id IN (:k_pro, :k_cu) ORDER BY 1, 2;

-- (9) Separate contract: added distinct goods at their standalone selling price; the
-- existing obligation keeps its schedule and the added line gets its own.  An override of
-- the derived treatment is recorded with its reason.
SELECT pg_temp.contract('CU', 'SEATS', 10) AS k_sep \gset
SELECT applied_treatment FROM rr.amend_contract(:k_sep, '2025-07-01', '[{"item": "PRO"}]',
                                                 facts => '{"added_distinct": true, "priced_at_ssp": true}');
SELECT applied_treatment FROM rr.amend_contract(:k_sep, '2025-08-01', '[{"item": "PRO", "quantity": 2}]',
                                                 facts => '{"added_distinct": true, "priced_at_ssp": true}',
                                                 treatment => 'prospective', reason => 'bundle discount negotiated');
SELECT po.obligation_no, po.line_nos, po.service, po.contract_amount, po.allocated_amount
  FROM rr.performance_obligation po WHERE po.tenant_id = 'amd' AND po.contract_id = :k_sep ORDER BY 1;
SELECT effective_date, action, changes, facts, derived_treatment, applied_treatment, reason,
       price_before, price_after, revenue_impact
  FROM rr.modification_log WHERE contract_id = :k_sep ORDER BY modification_id;

-- (10) Refusals, each before anything is written.
\set ON_ERROR_STOP 0
-- dates: NULL, before activation, the end of the term, after it
SELECT * FROM rr.amend_contract(:k_sep, NULL, '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2024-12-31', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2026-01-01', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2026-02-01', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
-- unknown contract, unknown item, a line the contract does not have, the wrong currency
SELECT * FROM rr.amend_contract(999999, '2025-09-01', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "GOLD", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "BASIC", "remove": true}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "BASIC", "upgrade_to": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "SEATS", "upgrade_to": "PRO_KRW"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "SEATS", "upgrade_to": "GOLD"}]'); \echo :LAST_ERROR_SQLSTATE
-- malformed changes
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '{"item": "PRO"}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "qty": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}, {"item": "SEATS", "upgrade_to": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "remove": true, "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "upgrade_to": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": -1}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', bill => 'later'); \echo :LAST_ERROR_SQLSTATE
-- a new setup price for a line that exists: its setup fee is billed once, at the price of
-- its first version, so a later version's would never be billed
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "SEATS", "setup_price": 150.00}]'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.change_contract_line(:k_sep, 'PRO', '2025-09-01', prices => '{"setup_price": 25}'); \echo :LAST_ERROR_SQLSTATE
-- treatments: unknown, an override without a reason, bad facts, a separate contract that removes
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', treatment => 'retrospective'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', treatment => 'cumulative_catch_up'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', treatment => 'cumulative_catch_up', reason => ' '); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', facts => '{"distinct": true}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]', facts => '{"priced_at_ssp": "yes"}'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "remove": true}]',
                                facts => '{"added_distinct": true, "priced_at_ssp": true}'); \echo :LAST_ERROR_SQLSTATE
-- a template without overrides takes quantity changes only
SELECT rr.create_contract('CU', 'FIXED', '2025-01-01') AS k_fixed \gset
SELECT rr.setup_and_activate_contract(:k_fixed);
SELECT * FROM rr.amend_contract(:k_fixed, '2025-09-01', '[{"item": "SEATS", "upgrade_to": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
-- a closed fiscal period
SELECT count(*) > 0 AS recognised FROM rr.recognize('2025-01-31');
SELECT rr.close_period('2025-01-01', 'January closed');
SELECT * FROM rr.amend_contract(:k_sep, '2025-01-20', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
-- the wrong status: a draft, a terminated contract, an upgrade on a pending one, the upgrade
-- functions on an active one, an upgrade without changes
SELECT rr.create_contract('CU', 'MONTHLY', '2025-01-01', '{"BASIC": {}}') AS k_draft \gset
SELECT * FROM rr.amend_contract(:k_draft, '2025-09-01', '[{"item": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.terminate_contract(:k_fixed, '2025-06-01', 'closed down');
SELECT * FROM rr.amend_contract(:k_fixed, '2025-09-01', '[{"item": "SEATS", "quantity": 2}]'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.start_upgrade(:k_sep);
SELECT * FROM rr.amend_contract(:k_sep, '2025-09-01', '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.start_upgrade(:k_sep); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.activate_upgrade(:k_sep, '2025-09-01'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.change_upgrade(:k_sep, '[{"item": "PRO", "qty": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.cancel_upgrade(:k_sep);
SELECT rr.change_upgrade(:k_sep, '[{"item": "PRO", "quantity": 3}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.activate_upgrade(:k_sep, '2025-09-01'); \echo :LAST_ERROR_SQLSTATE
SELECT rr.cancel_upgrade(:k_sep); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.preview_amendment(:k_draft, '2025-09-01', '[{"item": "PRO"}]'); \echo :LAST_ERROR_SQLSTATE
SELECT * FROM rr.preview_amendment(:k_sep, '2025-09-01', '[{"item": "PRO"}]', bill => 'now'); \echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- nothing of the refusals was written
SELECT count(*) AS modifications FROM rr.contract_modification WHERE tenant_id = 'amd' AND contract_id = :k_sep;
-- the modification log is append-only
\set ON_ERROR_STOP 0
UPDATE rr.contract_modification SET reason = 'rewritten' WHERE tenant_id = 'amd';
DELETE FROM rr.contract_modification WHERE tenant_id = 'amd';
\set ON_ERROR_STOP 1
