-- Property test: revenue does not depend on when recognition runs (issue 13, item 4).
-- Two tenants with the same catalog get the same 40 generated contracts (random starts,
-- alignments, quantities, SSPs, some lines bundled; every method of rr.spread and one-off
-- items) and the same 1 to 3 random line changes each (quantity or price, effective on a
-- random day of the term, some back-dated behind recognition already run).  Tenant 'ti'
-- recognises at random dates between the changes, tenant 'te' only once at the end; with
-- no period closed, revenue per contract and fiscal period must be identical, to the cent,
-- in the posted schedule and in the journal.
BEGIN;
SELECT plan(8);
SELECT setseed(0.1313);

SELECT rr.create_tenant(x, 'Recognition timing ' || x, 'USD') FROM unnest(ARRAY['ti', 'te']) x;
INSERT INTO rr.deferral_code (tenant_id, code, name, method, deferred_account, revenue_account)
SELECT x, m, m, m, '2100', '4000'
  FROM unnest(ARRAY['ti', 'te']) x, unnest(ARRAY['immediate', 'on_date', 'equal', 'equal_prorate', 'daily']) m;
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account, deferral_code)
SELECT x, i.code, i.name, i.rev, '2100', '1100', i.dc
  FROM unnest(ARRAY['ti', 'te']) x,
       (VALUES ('A', 'Monthly service', '4000', 'daily'), ('B', 'Quarterly service', '4200', 'equal'),
               ('C', 'Yearly service', '4000', 'equal_prorate'), ('L', 'Licence', '4100', 'immediate'),
               ('D', 'Deliverable', '4200', 'on_date')) AS i (code, name, rev, dc);
INSERT INTO rr.item_price SELECT i.tenant_id, i.code, 'USD', 10.00 FROM rr.item i WHERE i.tenant_id IN ('ti', 'te');
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, setup_price, recurring_item,
                              billing_type, recurring_pricing, recurring_price, billing_period, max_quantity,
                              standalone_price)
SELECT x, c.* FROM unnest(ARRAY['ti', 'te']) x,
       (VALUES ('M', 'Monthly', 'USD', NULL, 'item_price', NULL::numeric, 'A', 'prepaid', 'manual', 33.33, interval '1 month', 9, 37.00),
               ('Q', 'Quarterly', 'USD', NULL, 'item_price', NULL, 'B', 'postpaid', 'manual', 99.99, '3 months', 9, 120.00),
               ('Y', 'Yearly', 'USD', 'D', 'manual', 49.99, 'C', 'prepaid', 'manual', 400.01, '1 year', 9, 450.00),
               ('L', 'Licence', 'USD', 'L', 'manual', 999.97, NULL, 'none', 'item_price', NULL, NULL, 9, 1300.00))
       AS c (code, name, currency, setup_item, setup_pricing, setup_price, recurring_item, billing_type,
             recurring_pricing, recurring_price, billing_period, max_quantity, standalone_price);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override)
SELECT x, a, a, 1, 'year', a, true FROM unnest(ARRAY['ti', 'te']) x, unnest(ARRAY['anniversary', 'calendar']) a;
INSERT INTO rr.template_line
SELECT x, tp, n, ci, 1 FROM unnest(ARRAY['ti', 'te']) x, unnest(ARRAY['anniversary', 'calendar']) tp,
                            unnest(ARRAY['M', 'Q', 'Y', 'L']) WITH ORDINALITY AS c (ci, n);
INSERT INTO rr.customer (tenant_id, code, name, currency) SELECT x, 'C', 'Customer', 'USD' FROM unnest(ARRAY['ti', 'te']) x;

-- the contracts, created and activated the same way in both tenants
CREATE TEMP TABLE spec ON COMMIT DROP AS
SELECT i, (ARRAY['anniversary', 'calendar'])[1 + floor(random() * 2)::int] AS template,
       (make_date(2024, 1 + floor(random() * 6)::int, 1) + (ARRAY[0, 9, 14, 27, 28, 30])[1 + floor(random() * 6)::int])::date AS start,
       jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Q', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Y', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'L', jsonb_build_object('quantity', 1 + floor(random() * 3))) AS overrides,
       random() AS r1, random() AS r2
  FROM generate_series(1, 40) AS i;
CREATE TEMP TABLE ssp ON COMMIT DROP AS
SELECT s.i, n, CASE WHEN s.r1 < 0.5 AND n <= 3 THEN round((1 + random() * 3000)::numeric, 2) END AS price
  FROM spec s, generate_series(1, 4) n;
-- (the contracts read into arrays first, then each call made from them: on Citus a
-- statement that reads only the distributed tables goes to the tenant's worker whole, with
-- the calls in it, and a workflow cannot run inside a shard's query)
CREATE FUNCTION pg_temp.make_contracts(tenant text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    nos integer[];
BEGIN
    PERFORM set_config('rr.tenant', tenant, true);
    PERFORM rr.create_contract('C', s.template, s.start, s.overrides, s.i::text) FROM spec s ORDER BY s.i;
    SELECT array_agg(k.contract_id ORDER BY k.contract_id), array_agg(k.description::int ORDER BY k.contract_id)
      INTO ids, nos
      FROM rr.contract k WHERE k.tenant_id = tenant;
    PERFORM rr.set_obligation(k.id, p.n, obligation_no => CASE WHEN p.n = 2 AND s.r2 < 0.3 THEN 1 END,
                              standalone_price => p.price)
       FROM unnest(ids, nos) AS k (id, i) JOIN spec s ON s.i = k.i JOIN ssp p ON p.i = s.i;
    PERFORM rr.setup_and_activate_contract(k.id) FROM unnest(ids) AS k (id) ORDER BY k.id;
    RETURN (SELECT count(*) FROM rr.performance_obligation o WHERE o.tenant_id = tenant);
END $$;
SELECT is(pg_temp.make_contracts('ti'), pg_temp.make_contracts('te'), 'the same obligations in both tenants');

-- 1 to 3 changes per contract, each effective on a random day of the term, in a random
-- order (a later one may be back-dated before an earlier one, and behind recognition
-- already run); before each, tenant 'ti' may recognise through a random date
CREATE TEMP TABLE change ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY random()) AS seq, c.*
  FROM (SELECT s.i, (ARRAY['M', 'Q', 'Y', 'L'])[1 + floor(random() * 4)::int] AS item,
               s.start + floor(random() * 360)::int AS effective_from,
               (1 + floor(random() * 9))::numeric AS quantity,
               CASE WHEN random() < 0.3 THEN round((10 + random() * 500)::numeric, 2) END AS price,
               (date '2024-01-31' + floor(random() * 540)::int) AS run_through, random() < 0.6 AS run_before
          FROM spec s, generate_series(1, 3) j
         WHERE j <= 1 + floor(s.r1 * 3)) c;
CREATE FUNCTION pg_temp.play(tenant text, runs boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    c record;
    k bigint;
    n bigint := 0;
BEGIN
    PERFORM set_config('rr.tenant', tenant, true);
    FOR c IN SELECT * FROM change ORDER BY seq LOOP
        IF runs AND c.run_before THEN
            n := n + (SELECT count(*) FROM rr.recognize(c.run_through));
        END IF;
        SELECT contract_id INTO k FROM rr.contract WHERE tenant_id = tenant AND description = c.i::text;
        PERFORM rr.change_contract_line(k, c.item, c.effective_from, quantity => c.quantity,
                                        prices => CASE WHEN c.price IS NOT NULL AND c.item <> 'L'
                                                       THEN jsonb_build_object('recurring_price', c.price)
                                                       ELSE '{}' END);
    END LOOP;
    n := n + (SELECT count(*) FROM rr.recognize('2026-12-31'));
    RETURN n;
END $$;
SELECT cmp_ok(pg_temp.play('ti', true), '>', 0::bigint, 'tenant ti: recognised between the changes and at the end');
SELECT cmp_ok(pg_temp.play('te', false), '>', 0::bigint, 'tenant te: recognised once at the end');

-- revenue per contract and fiscal period, from the posted schedule and from the journal
CREATE TEMP VIEW revenue AS
SELECT k.tenant_id, k.description::int AS i, l.posted_period AS period_start, sum(l.amount) AS amount
  FROM rr.revenue_schedule_line l JOIN rr.contract k USING (tenant_id, contract_id)
 WHERE l.tenant_id IN ('ti', 'te') AND l.status = 'posted'
 GROUP BY 1, 2, 3 HAVING sum(l.amount) <> 0;
CREATE TEMP VIEW journal AS
SELECT k.tenant_id, k.description::int AS i, e.period_start, sum(j.credit - j.debit) AS amount
  FROM rr.journal_line j
  JOIN rr.journal_entry e ON e.tenant_id = j.tenant_id AND e.entry_id = j.entry_id
  JOIN rr.contract k ON k.tenant_id = j.tenant_id AND k.contract_id = j.contract_id
 WHERE j.tenant_id IN ('ti', 'te') AND j.account IN ('4000', '4100', '4200')
 GROUP BY 1, 2, 3 HAVING sum(j.credit - j.debit) <> 0;
SELECT results_eq($$SELECT i, period_start, amount FROM revenue WHERE tenant_id = 'ti' ORDER BY 1, 2$$,
                  $$SELECT i, period_start, amount FROM revenue WHERE tenant_id = 'te' ORDER BY 1, 2$$,
                  'the same revenue per contract and fiscal period, recognised along the way or once at the end');
SELECT results_eq($$SELECT i, period_start, amount FROM journal WHERE tenant_id = 'ti' ORDER BY 1, 2$$,
                  $$SELECT i, period_start, amount FROM journal WHERE tenant_id = 'te' ORDER BY 1, 2$$,
                  'the same revenue in the journal per contract and fiscal period');
SELECT is_empty($$
    SELECT o.tenant_id, o.contract_id, o.obligation_no, o.allocated_amount, sum(l.amount)
      FROM rr.performance_obligation o
      LEFT JOIN rr.revenue_schedule_line l USING (tenant_id, contract_id, obligation_no)
     WHERE o.tenant_id IN ('ti', 'te')
     GROUP BY o.tenant_id, o.contract_id, o.obligation_no
    HAVING coalesce(sum(l.amount), 0) <> o.allocated_amount OR bool_or(l.status <> 'posted')
$$, 'every schedule sums exactly to its obligation''s allocation, and is posted');

SELECT set_config('rr.tenant', 'ti', true);
SELECT is_empty($$SELECT * FROM rr.revenue_reconciliation('2026-12-31')$$, 'tenant ti reconciles at the end');
SELECT set_config('rr.tenant', 'te', true);
SELECT is_empty($$SELECT * FROM rr.revenue_reconciliation('2026-12-31')$$, 'tenant te reconciles at the end');

SELECT * FROM finish();
ROLLBACK;
