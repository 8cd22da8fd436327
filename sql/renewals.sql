-- Renewals (docs/catalog-and-contracts.md, "Renewals"): a renewable annual contract
-- renewed at its 30-day renewal point into its next term, the renewal fee billed once on
-- the first day of the new term, revenue re-planned from the previous end; every refusal;
-- an expiring contract renewed twice (the second refused); rr.run_renewals on several days,
-- and re-run.
\set SHOW_CONTEXT never
SELECT rr.create_tenant('ren', 'Renewals', 'USD');
SET rr.tenant = 'ren';
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account) VALUES
    ('ren', 'DAILY', 'Evenly by days', 'daily', '2100', '4000');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code) VALUES
    ('ren', 'SUPPORT', 'Support, per month', '4000', '2100', '1100', 'DAILY'),
    ('ren', 'ONBOARD', 'Onboarding', '4400', '2100', '1100', 'DAILY'),
    ('ren', 'RENEW', 'Renewal fee', '4400', '2100', '1100', 'DAILY');
INSERT INTO rr.item_price (tenant_id, item, currency, price) VALUES
    ('ren', 'SUPPORT', 'USD', 100.00), ('ren', 'ONBOARD', 'USD', 50.00), ('ren', 'RENEW', 'USD', 150.00);
-- 100.00 a month prepaid, a setup fee of 50.00, and a renewal fee at the RENEW item's price
-- (150.00), collected on activation too
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, renewal_item, renewal_pricing,
                              collect_renewal_on_activation, recurring_item, billing_type) VALUES
    ('ren', 'PLAN', 'Support plan', 'USD', 'ONBOARD', 'RENEW', 'item_price', true, 'SUPPORT', 'prepaid'),
    ('ren', 'BASIC', 'Support, no fees', 'USD', NULL, NULL, 'item_price', false, 'SUPPORT', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  renewal_point_days, grace_period_days, mass_renewal, billing_period, alignment) VALUES
    -- renewable yearly, due 30 days before the end, 15 days' grace, renewed by rr.run_renewals
    ('ren', 'ANNUAL', 'Annual, mass renewal', 'renewable', 1, 'year', 30, 15, true, 'month', 'calendar'),
    -- the same, renewed one by one only
    ('ren', 'MANUAL', 'Annual, renewed by hand', 'renewable', 1, 'year', 30, 15, false, 'month', 'calendar'),
    -- renews at most once
    ('ren', 'ONCE', 'Annual, expiring', 'expiring', 1, 'year', 30, 0, false, 'month', 'calendar'),
    ('ren', 'OPEN', 'Unlimited', 'unlimited', NULL, 'year', 0, 0, false, 'month', 'calendar');
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('ren', 'ANNUAL', 1, 'PLAN', 1), ('ren', 'MANUAL', 1, 'BASIC', 1),
    ('ren', 'ONCE', 1, 'BASIC', 1), ('ren', 'OPEN', 1, 'BASIC', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ren', 'CU', 'Customer', 'USD');

-- (1) A renewable annual contract, 2024-01-01 to 2025-01-01: its renewal point is 30 days
-- before the end, 2024-12-02; its grace period of 15 days ends on 2025-01-16.
SELECT rr.create_contract('CU', 'ANNUAL', '2024-01-01') AS k_annual \gset
SELECT rr.setup_and_activate_contract(:k_annual);
-- 2024 billed: setup 50.00, the renewal fee collected on activation 150.00, 12 × 100.00
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2024-12-31');
SELECT contract_id, renewal_point, grace_ends, renewal_state, renewal_count
  FROM rr.contract_renewals_as_of('2024-12-01') WHERE contract_id = :k_annual;
-- one day before its renewal point: refused
SELECT rr.renew_contract(:k_annual, '2024-12-01');
-- on its renewal point: renewed into 2025, the same contract
SELECT rr.renew_contract(:k_annual, '2024-12-02') AS new_end;
SELECT contract_id, status, start_date, end_date FROM rr.contract WHERE contract_id = :k_annual;
-- a second call for the same term renews nothing: the next renewal point is 2025-12-02
SELECT rr.renew_contract(:k_annual, '2024-12-02');
SELECT contract_id, renewal_no, renewal_date, previous_end, new_end, session_role = session_user AS by_me
  FROM rr.contract_renewal WHERE contract_id = :k_annual;
SELECT action, effective_date, before->'contract'->>'end_date' AS end_before, after->'contract'->>'end_date' AS end_after
  FROM rr.contract_event WHERE contract_id = :k_annual ORDER BY event_id;
SELECT topic, entity_id, payload->>'effective_date' AS effective_date
  FROM rr.outbox WHERE entity_id = :k_annual ORDER BY event_id;
-- the renewal fee is due on the first day of the new term, at the contract item's price
-- (150.00); the setup fee and the renewal fee collected on activation keep their first term
SELECT kind, service_period, adjustment_seq, quantity, unit_price, amount, due_date
  FROM rr.due_charges('ren', '2025-01-01', :k_annual) WHERE kind IN ('setup', 'renewal') ORDER BY due_date, kind;
-- the next run bills it with January: 150.00 + 100.00
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-01-01');
SELECT i.invoice_date, l.kind, l.contract_item, l.service_period, l.unit_price, l.amount
  FROM rr.invoice i JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 WHERE i.tenant_id = 'ren' AND i.contract_id = :k_annual AND i.invoice_date = '2025-01-01'
 ORDER BY l.line_no;
-- billed once: later runs bill only the months (February and March: 200.00)
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-01-01');
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.run_billing('2025-03-01');
SELECT kind, count(*) AS charges, sum(amount) AS amount FROM rr.charge WHERE contract_id = :k_annual
 GROUP BY kind ORDER BY kind;
-- revenue re-planned from the previous end: 2024 keeps what it had (setup 50.00, fee
-- 150.00 and 12 × 100.00 = 1,400.00); the new term gets 12 × 100.00 + 150.00 = 1,350.00,
-- by days: January 1,350.00 × 31 / 365 = 114.66
SELECT extract(year FROM lower(period)) AS year, sum(amount) AS revenue
  FROM rr.contract_revenue_schedule(:k_annual, '2025-01-01') GROUP BY 1 ORDER BY 1;
SELECT period, amount FROM rr.contract_revenue_schedule(:k_annual, '2025-01-01')
 WHERE lower(period) >= '2024-12-01' AND lower(period) < '2025-03-01' ORDER BY period;

-- (2) The refusals, each with its message.
-- unlimited: no end date
SELECT rr.create_contract('CU', 'OPEN', '2024-01-01') AS k_open \gset
SELECT rr.setup_and_activate_contract(:k_open);
SELECT rr.renew_contract(:k_open, '2024-12-15');
-- not active
SELECT rr.create_contract('CU', 'MANUAL', '2024-01-01') AS k_draft \gset
SELECT rr.renew_contract(:k_draft, '2024-12-15');
-- lapsed: the grace period of 15 days after 2025-01-01 ended on 2025-01-16; renewing on
-- its last day of grace works
SELECT rr.create_contract('CU', 'MANUAL', '2024-01-01') AS k_manual \gset
SELECT rr.create_contract('CU', 'MANUAL', '2024-01-01') AS k_grace \gset
SELECT rr.setup_and_activate_contract(k) FROM unnest(ARRAY[:k_manual, :k_grace]::bigint[]) k;
SELECT rr.renew_contract(:k_manual, '2025-01-17');
SELECT rr.renew_contract(:k_grace, '2025-01-16') AS new_end;
-- bad dates; a contract that does not exist
SELECT rr.renew_contract(:k_manual, NULL);
SELECT rr.renew_contract(:k_manual, '2500-01-01');
SELECT rr.renew_contract(999999, '2024-12-15');

-- (3) An expiring contract renews once; the second renewal is refused.
SELECT rr.create_contract('CU', 'ONCE', '2024-01-01') AS k_once \gset
SELECT rr.setup_and_activate_contract(:k_once);
SELECT rr.renew_contract(:k_once, '2024-12-15') AS new_end;
SELECT rr.renew_contract(:k_once, '2025-12-15');
SELECT contract_id, end_date, renewal_state, renewal_count, last_renewal_date
  FROM rr.contract_renewals_as_of('2025-12-15') WHERE contract_id = :k_once;

-- (4) rr.run_renewals on several days, then re-run.  Four more ANNUAL contracts:
--   m1 2024-01-10 to 2025-01-10: due from 2024-12-11, grace to 2025-01-25
--   m2 2024-02-01 to 2025-02-01: due from 2025-01-02, grace to 2025-02-16
--   m3 2023-12-01 to 2024-12-01: due from 2024-11-01, grace to 2024-12-16
--   m4 2023-11-01 to 2024-11-01: grace to 2024-11-16, lapsed before the first run
-- The MANUAL, ONCE and OPEN contracts above are never renewed by a run.
SELECT rr.create_contract('CU', 'ANNUAL', '2024-01-10') AS m1 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2024-02-01') AS m2 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2023-12-01') AS m3 \gset
SELECT rr.create_contract('CU', 'ANNUAL', '2023-11-01') AS m4 \gset
SELECT count(rr.setup_and_activate_contract(k)) FROM unnest(ARRAY[:m1, :m2, :m3, :m4]::bigint[]) k;
SELECT contract_id, end_date, renewal_point, grace_ends, renewal_state
  FROM rr.contract_renewals_as_of('2024-12-01') WHERE template = 'ANNUAL' ORDER BY contract_id;
SELECT d AS run_date, r.contract_id, r.renewal_no, r.previous_end, r.new_end
  FROM unnest(ARRAY['2024-12-01', '2024-12-10', '2024-12-11', '2024-12-11', '2025-01-02', '2025-01-02']::date[])
       WITH ORDINALITY AS x (d, n)
  LEFT JOIN LATERAL rr.run_renewals(x.d) r ON true
 ORDER BY x.n, r.contract_id;
-- a year later the first ones are due again: m3 from 2025-11-01, the first contract from
-- 2025-12-02, m1 from 2025-12-11
SELECT r.* FROM rr.run_renewals('2025-12-02') r;
SELECT count(*) AS renewed_on_rerun FROM rr.run_renewals('2025-12-02');
SELECT contract_id, template, end_date, renewal_state, renewal_count, last_renewal_date
  FROM rr.contract_renewals_as_of('2025-12-02') ORDER BY contract_id;
-- each renewal logged once, with its event and outbox row (each count a sub-query of its
-- own, which Citus plans apart)
SELECT (SELECT count(*) FROM rr.contract_renewal) AS renewals,
       (SELECT count(*) FROM (SELECT DISTINCT contract_id, previous_end FROM rr.contract_renewal) t) AS distinct_terms,
       (SELECT count(*) FROM rr.contract_event WHERE action = 'renew') AS events,
       (SELECT count(*) FROM rr.outbox WHERE topic = 'contract.renewed') AS published;
-- the view is the same as of today
SELECT (SELECT count(*) FROM rr.contract_renewals) = (SELECT count(*) FROM rr.contract_renewals_as_of(current_date))
       AS view_is_today;
-- the renewal log is append-only
UPDATE rr.contract_renewal SET new_end = '2030-01-01' WHERE contract_id = :k_annual;
DELETE FROM rr.contract_renewal WHERE contract_id = :k_annual;

-- (5) A renewal uplift of 5 %: the recurring price of each renewed term is raised, as a
-- new line version from its first day (100.00, then 105.00, then 110.25), billed and
-- planned at it: the new term's 12 × 105.00 = 1,260.00 by days, split by largest
-- remainder: January 1,260.00 × 31 / 365 = 107.0137 and February × 28 / 365 = 96.6575
-- round down to 1,259.96 with the other months; the 4 cents left go to February
-- (remainder .0075) and to the first three 31-day months (.0037 each, ties to the
-- earlier): January 107.02, February 96.66 (December keeps 1,200.00 × 31 / 366 = 101.64).
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  renewal_point_days, billing_period, alignment, renewal_uplift_percent) VALUES
    ('ren', 'UPLIFT', 'Annual, 5 % more at each renewal', 'renewable', 1, 'year', 30, 'month', 'calendar', 5);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES ('ren', 'UPLIFT', 1, 'BASIC', 1);
SELECT rr.create_contract('CU', 'UPLIFT', '2024-01-01') AS k_uplift \gset
SELECT rr.setup_and_activate_contract(:k_uplift);
SELECT rr.renew_contract(:k_uplift, '2024-12-15') AS new_end;
SELECT count(*) AS invoices, sum(total) AS billed FROM rr.bill_contract(:k_uplift, '2025-02-01');
SELECT service_period, quantity, unit_price, amount FROM rr.charge
 WHERE contract_id = :k_uplift AND lower(service_period) >= '2024-12-01' ORDER BY service_period;
SELECT period, amount FROM rr.contract_revenue_schedule(:k_uplift, '2025-01-01')
 WHERE lower(period) >= '2024-12-01' AND lower(period) < '2025-03-01' ORDER BY period;
SELECT rr.renew_contract(:k_uplift, '2025-12-15') AS new_end;
SELECT line_no, effective_from, quantity, recurring_price FROM rr.contract_line
 WHERE contract_id = :k_uplift ORDER BY line_no, effective_from;
-- a negative uplift is refused
INSERT INTO rr.contract_template (tenant_id, code, name, duration, renewal_uplift_percent) VALUES
    ('ren', 'CHEAPER', 'Cheaper at each renewal', 1, -5);

-- (6) An expiry is also a lapse when the contract could still have been renewed (outbox
-- topic contract.lapsed next to contract.expired): an expiring contract never renewed
-- lapses; one in its final term only expires.
SELECT rr.create_contract('CU', 'ONCE', '2024-01-01') AS k_never \gset
SELECT rr.setup_and_activate_contract(:k_never);
SELECT rr.expire_contract(:k_never, '2025-01-01') AS never_renewed, rr.expire_contract(:k_once, '2026-01-01') AS final_term;
SELECT entity_id = :k_never AS never_renewed, topic FROM rr.outbox
 WHERE entity_id IN (:k_never, :k_once) AND topic IN ('contract.expired', 'contract.lapsed') ORDER BY event_id;

-- (7) The renewal rate of the terms that ended from 2024-11-01 to 2025-02-28, as the books
-- stand today: renewed, the terms of k_annual, k_grace, k_once, m1, m2, m3 and k_uplift
-- (7, each 100.00 a month on its last day); lapsed, k_manual (past its grace), m4 (past
-- its grace) and k_never (expired, never renewed) (3, 300.00): 70 % by count and value.
-- A year later: renewed, k_annual, m3 (100.00 each) and k_uplift (105.00 after its
-- uplift); lapsed, k_grace, m1 and m2 (not renewed again); k_once's final term only ended.
SELECT * FROM rr.renewal_rate('2024-11-01', '2025-03-01');
SELECT * FROM rr.renewal_rate('2025-11-01', '2026-03-01');

-- (8) As of a past date, a contract stands as it did then: on 2024-12-01 k_annual's term
-- still ended on 2025-01-01 (renewed on 2024-12-02 since, twice), its renewal point was
-- 2024-12-02 and it had no renewal; k_never, expired since, was active and expected to renew.
SELECT contract_id = :k_annual AS is_annual, status, end_date, renewal_point, renewal_state, renewal_count
  FROM rr.contract_renewals_as_of('2024-12-01') WHERE contract_id IN (:k_annual, :k_never) ORDER BY contract_id;
