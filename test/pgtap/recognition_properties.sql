-- Property tests for revenue recognition (docs/revenue.md): 50
-- generated contracts (month-end and leap-day starts, anniversary and calendar alignment,
-- monthly, quarterly and yearly lines and one-off licences, random quantities, random SSPs,
-- some lines bundled, some contracts residual), every method of rr.spread; billed, posted
-- and recognised month by month, then checked against the invariants.
BEGIN;
SELECT plan(11);
SELECT setseed(0.4321);

SELECT rr.create_tenant('rp', 'Recognition properties', 'USD');
SELECT set_config('rr.tenant', 'rp', true);
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
SELECT 'rp', m, m, m, '2100', '4000' FROM unnest(ARRAY['immediate', 'on_date', 'equal', 'equal_prorate', 'daily']) m;
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
VALUES ('rp', 'A', 'Monthly service', '4000', '2100', '1100', 'daily'),
       ('rp', 'B', 'Quarterly service', '4200', '2100', '1100', 'equal'),
       ('rp', 'C', 'Yearly service', '4000', '2100', '1100', 'equal_prorate'),
       ('rp', 'L', 'Licence', '4100', '2100', '1100', 'immediate'),
       ('rp', 'D', 'Deliverable', '4200', '2100', '1100', 'on_date');
INSERT INTO rr.item_price SELECT 'rp', code, 'USD', 10.00 FROM rr.item WHERE tenant_id = 'rp';
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price, recurring_item,
                              billing_type, recurring_pricing, recurring_price, billing_period, max_quantity,
                              standalone_price)
VALUES ('rp', 'M', 'Monthly', 'USD', NULL, 'item_price', NULL, 'A', 'prepaid', 'manual', 33.33, '1 month', 9, 37.00),
       ('rp', 'Q', 'Quarterly', 'USD', NULL, 'item_price', NULL, 'B', 'postpaid', 'manual', 99.99, '3 months', 9, 120.00),
       ('rp', 'Y', 'Yearly', 'USD', 'D', 'manual', 49.99, 'C', 'prepaid', 'manual', 400.01, '1 year', 9, 450.00),
       ('rp', 'L', 'Licence', 'USD', 'L', 'manual', 999.97, NULL, 'none', 'item_price', NULL, NULL, 9, 1300.00);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override)
VALUES ('rp', 'anniversary', 'Anniversary', 1, 'year', 'anniversary', true),
       ('rp', 'calendar', 'Calendar', 1, 'year', 'calendar', true);
INSERT INTO rr.template_line
SELECT 'rp', tp, n, ci, 1 FROM unnest(ARRAY['anniversary', 'calendar']) tp,
                              unnest(ARRAY['M', 'Q', 'Y', 'L']) WITH ORDINALITY AS x(ci, n);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('rp', 'C', 'Customer', 'USD');

CREATE TEMP TABLE spec ON COMMIT DROP AS
SELECT i, (ARRAY['anniversary', 'calendar'])[1 + floor(random() * 2)::int] AS template,
       (make_date(2024, 1 + floor(random() * 12)::int, 1)
        + (ARRAY[0, 14, 27, 28, 29, 30])[1 + floor(random() * 6)::int])::date AS start,
       jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Q', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Y', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'L', jsonb_build_object('quantity', 1 + floor(random() * 3))) AS overrides,
       random() AS r1, random() AS r2, random() AS r3
  FROM generate_series(1, 50) AS i;
SELECT count(rr.create_contract('C', s.template, s.start, s.overrides, s.i::text)) FROM spec s;
-- random SSP overrides (cents that do not divide), lines 1 and 2 bundled, a residual licence
-- (the other SSPs small enough to leave it positive)
-- (the contracts read first, then each call made from that copy: on Citus a statement that
-- reads only the distributed tables goes to the tenant's worker whole, with the calls in
-- it, and a workflow cannot run inside a shard's query)
CREATE TEMP TABLE made ON COMMIT DROP AS
SELECT k.contract_id, k.description::int AS i FROM rr.contract k WHERE k.tenant_id = 'rp';
SELECT count(rr.set_obligation(k.contract_id, n,
                               obligation_no => CASE WHEN n = 2 AND s.r2 < 0.3 THEN 1 END,
                               standalone_price => CASE WHEN n <= 3 AND s.r1 < 0.5 THEN round((1 + random() * 5000)::numeric, 2)
                                                        WHEN n <= 3 AND s.r3 < 0.3 THEN round((1 + random() * 100)::numeric, 2) END,
                               ssp_is_residual => CASE WHEN n = 4 AND s.r1 >= 0.5 AND s.r3 < 0.3 THEN true END))
  FROM made k JOIN spec s ON s.i = k.i, generate_series(1, 4) n;
SELECT count(rr.setup_and_activate_contract(k.contract_id)) FROM made k;

SELECT count(*) AS obligations FROM rr.performance_obligation WHERE tenant_id = 'rp' \gset
SELECT is(:obligations::bigint, (SELECT count(*) FROM spec) * 4 - (SELECT count(*) FROM spec WHERE r2 < 0.3),
          'one obligation per line, bundled lines sharing one');
SELECT is_empty($$
    SELECT contract_id, sum(allocated_amount), sum(contract_amount) FROM rr.performance_obligation
     WHERE tenant_id = 'rp' GROUP BY contract_id HAVING sum(allocated_amount) <> sum(contract_amount)
$$, 'allocations sum exactly to the transaction price of each contract');
SELECT is_empty($$
    SELECT o.contract_id, o.obligation_no, o.allocated_amount, exact
      FROM (SELECT o.*, sum(o.contract_amount) OVER w * o.standalone_price / sum(o.standalone_price) OVER w AS exact,
                   bool_or(o.is_residual) OVER w AS residual
              FROM rr.performance_obligation o WHERE o.tenant_id = 'rp'
            WINDOW w AS (PARTITION BY o.contract_id)) o
     WHERE NOT o.residual AND abs(o.allocated_amount - o.exact) >= 0.01
$$, 'each relative-SSP allocation is within one cent of its exact share');
SELECT is_empty($$
    SELECT o.contract_id, o.obligation_no FROM rr.performance_obligation o
     WHERE o.tenant_id = 'rp' AND NOT o.is_residual
       AND EXISTS (SELECT FROM rr.performance_obligation r WHERE r.tenant_id = 'rp' AND r.contract_id = o.contract_id AND r.is_residual)
       AND o.allocated_amount <> round(o.standalone_price, 2)
$$, 'with a residual obligation, the others get exactly their SSP');
SELECT is_empty($$
    SELECT o.contract_id, o.obligation_no, o.allocated_amount, sum(l.amount), o.contract_amount, sum(l.contract_amount)
      FROM rr.performance_obligation o
      JOIN rr.revenue_schedule_line l USING (tenant_id, contract_id, obligation_no)
     WHERE o.tenant_id = 'rp'
     GROUP BY o.tenant_id, o.contract_id, o.obligation_no
    HAVING sum(l.amount) <> o.allocated_amount OR sum(l.contract_amount) <> o.contract_amount
$$, 'the schedule of each obligation sums exactly to its allocation (and at contract prices to its contract amount)');
SELECT is_empty($$
    SELECT schedule_line_id FROM rr.revenue_schedule_line
     WHERE tenant_id = 'rp' AND (amount <> round(amount, 2) OR upper(period) - 1 <> recognize_on)
$$, 'every schedule line is whole cents, due on the last day of its period');

-- bill every month end; then post and recognise on every month end (each run re-nets what
-- was posted since); the books must then agree
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2026-02-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(upper(m) - 1);
CREATE FUNCTION pg_temp.month_ends() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    d date;
    n bigint := 0;
BEGIN
    FOR d IN SELECT upper(m) - 1 FROM rr.billing_periods('2024-01-01', '2026-02-01', '1 month', '2000-01-01') m LOOP
        PERFORM count(*) FROM rr.post_invoices(d);
        n := n + (SELECT count(*) FROM rr.recognize(d));
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.month_ends() > 0 AS recognised;
SELECT is_empty($$SELECT * FROM rr.revenue_reconciliation('2024-06-30')$$,
                'billed = recognised + deferred - unbilled - contract asset, mid-way');
SELECT is_empty($$SELECT * FROM rr.revenue_reconciliation('2026-01-31')$$,
                'billed = recognised + deferred - unbilled - contract asset, at the end');
-- (the open lines copied first: on Citus a statement that reads the distributed tables goes
-- to the tenant's worker whole, the report's call with it, which cannot read tables there)
CREATE TEMP TABLE open_lines ON COMMIT DROP AS
SELECT contract_id FROM rr.revenue_schedule_line WHERE tenant_id = 'rp' AND status <> 'posted';
SELECT is_empty($$
    SELECT contract_id FROM open_lines
    UNION ALL
    SELECT contract_id FROM rr.contract_balances('2026-01-31') WHERE balance <> 0
$$, 'after the terms, every line is posted and no deferred revenue, unbilled receivable or contract asset is left');
SELECT is_empty($$
    SELECT l.contract_id, sum(l.credit - l.debit), (SELECT sum(o.allocated_amount) FROM rr.performance_obligation o
                                                     WHERE o.tenant_id = 'rp' AND o.contract_id = l.contract_id)
      FROM rr.journal_line l
     WHERE l.tenant_id = 'rp' AND l.account IN ('4000', '4100', '4200')
     GROUP BY l.contract_id
    HAVING sum(l.credit - l.debit) <> (SELECT sum(o.allocated_amount) FROM rr.performance_obligation o
                                        WHERE o.tenant_id = 'rp' AND o.contract_id = l.contract_id)
$$, 'the revenue in the journal of each contract is exactly its allocated transaction price');
SELECT is((SELECT count(*) FROM rr.recognize('2026-01-31')), 0::bigint, 'a second run posts nothing');

SELECT * FROM finish();
ROLLBACK;
