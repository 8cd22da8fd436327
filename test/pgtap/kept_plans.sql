-- Single-contract calls plan what is due and the usage rating once per session (issue 13,
-- item 5; src/planned.c): the session's later calls reuse the kept generic plans, bill the
-- same amounts as a batch, stay within their tenant, and plan again after a change to a
-- table the plans read.  pg_stat_statements (loaded by the test cluster) counts the plans
-- and executions of every nested statement.
BEGIN;
SELECT plan(14);
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SET LOCAL pg_stat_statements.track = 'all';
SET LOCAL pg_stat_statements.track_planning = on;

CREATE SCHEMA kp_test;

-- two tenants with the same catalog (prices differ), a seat line and a metered line
SELECT rr.create_tenant(t, t, 'USD') FROM unnest(ARRAY['kp_a', 'kp_b']) t;
CREATE FUNCTION kp_test.fill(t text, seat numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('rr.tenant', t, true);
    INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
    VALUES (t, 'SEAT', 'Seat', '4000', '2100', '1100'), (t, 'CALL', 'Call', '4300', '2100', '1100');
    INSERT INTO rr.item_price VALUES (t, 'SEAT', 'USD', seat), (t, 'CALL', 'USD', 0.10);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
    VALUES (t, 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid', 100);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model)
    VALUES (t, 'API', 'API calls', 'USD', 'CALL', 'postpaid', 'graduated(1000: 0.10, *: 0.05)');
    INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment)
    VALUES (t, 'T', 'Annual', 1, 'year', 'calendar');
    INSERT INTO rr.template_line VALUES (t, 'T', 1, 'SEATS', 5), (t, 'T', 2, 'API', 1);
    INSERT INTO rr.customer (tenant_id, code, name, currency)
    SELECT t, 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 12) i;
    PERFORM rr.setup_and_activate_contract(rr.create_contract('C' || i, 'T', '2024-01-01'))
       FROM generate_series(1, 12) i;
    PERFORM rr.record_usage(contract_id, 'API', 1500, '2024-01-15 12:00+00', 'u' || contract_id)
       FROM rr.contract WHERE tenant_id = t;
END
$$;
SELECT kp_test.fill('kp_a', 10.00);
SELECT kp_test.fill('kp_b', 20.00);
ANALYZE rr.contract, rr.contract_line, rr.contract_item, rr.charge, rr.usage_event, rr.contract_billing_state;
SELECT set_config('rr.tenant', 'kp_a', true);
CREATE VIEW kp_test.totals AS
SELECT i.tenant_id, i.invoice_id, i.run_id, i.contract_id, sum(l.amount) AS total
  FROM rr.invoice i JOIN rr.invoice_line l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
 GROUP BY i.tenant_id, i.invoice_id;

-- the session's first single-contract call makes the plans; the next five use them
SELECT count(*) FROM rr.bill_contract((SELECT min(contract_id) FROM rr.contract WHERE tenant_id = 'kp_a'), '2024-02-01');
SELECT pg_stat_statements_reset();
SELECT sum((SELECT count(*) FROM rr.bill_contract(k.contract_id, '2024-02-01')))
  FROM (SELECT contract_id FROM rr.contract WHERE tenant_id = 'kp_a' ORDER BY contract_id OFFSET 1 LIMIT 5) k;
CREATE FUNCTION kp_test.counts(pattern text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s calls, %s plans', coalesce(sum(calls), 0), coalesce(sum(plans), 0))
      FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE pattern
$$;
SELECT is(kp_test.counts('SELECT * FROM rr_internal.due_charges($1, $2, $3, false, false)'), '5 calls, 0 plans',
          'calls two to six of a session reuse the plan of what is due for one contract');
SELECT is(kp_test.counts('%WITH flat_period AS%'), '5 calls, 0 plans',
          'and the plan of the usage rating (an EXECUTE planned at every call before)');

-- the same amounts as a batch bills the other contracts of the tenant, identical ones
SELECT count(*) FROM rr.run_billing('2024-02-01');
SELECT results_eq(
    $$SELECT i.total, count(*) FROM kp_test.totals i WHERE i.tenant_id = 'kp_a' AND i.run_id IN
          (SELECT run_id FROM rr.billing_run WHERE tenant_id = 'kp_a' AND contract_id IS NOT NULL) GROUP BY 1$$,
    $$SELECT i.total, count(*) FROM kp_test.totals i WHERE i.tenant_id = 'kp_a' AND i.run_id IN
          (SELECT run_id FROM rr.billing_run WHERE tenant_id = 'kp_a' AND contract_id IS NULL) GROUP BY 1$$,
    'contracts billed one by one with the kept plans come to what the batch bills for their twins');
SELECT is((SELECT sum(total) FROM kp_test.totals WHERE tenant_id = 'kp_a'), 12 * (5 * 10.00 + 5 * 10.00 + 100.00 + 25.00),
          'every contract of tenant kp_a: two prepaid months of five seats at 10.00 and 1,500 calls (100.00 + 25.00)');

-- another tenant in the same session: the kept plans read its rows, at its prices
SELECT set_config('rr.tenant', 'kp_b', true);
SELECT pg_stat_statements_reset();
SELECT count(*) FROM rr.bill_contract((SELECT min(contract_id) FROM rr.contract WHERE tenant_id = 'kp_b'), '2024-02-01');
SELECT is(kp_test.counts('SELECT * FROM rr_internal.due_charges($1, $2, $3, false, false)'), '1 calls, 0 plans',
          'a call for another tenant reuses the plan too');
SELECT is((SELECT total FROM kp_test.totals WHERE tenant_id = 'kp_b'), 5 * 20.00 + 5 * 20.00 + 100.00 + 25.00,
          'and bills that tenant''s contract at that tenant''s prices');
SELECT is((SELECT count(*) FROM rr.invoice WHERE tenant_id = 'kp_a'), 12::bigint,
          'nothing of tenant kp_a billed again');

-- a change to a table the plans read: the next call plans again, and bills right
CREATE INDEX kept_plans_test_idx ON rr.charge (tenant_id, due_date);
SELECT pg_stat_statements_reset();
SELECT count(*) FROM rr.bill_contract((SELECT max(contract_id) FROM rr.contract WHERE tenant_id = 'kp_b'), '2024-02-01');
SELECT is(kp_test.counts('SELECT * FROM rr_internal.due_charges($1, $2, $3, false, false)'), '1 calls, 1 plans',
          'after a new index on the charges, the plan of what is due is made again');
SELECT is((SELECT total FROM kp_test.totals WHERE tenant_id = 'kp_b' AND contract_id = (SELECT max(contract_id) FROM rr.contract WHERE tenant_id = 'kp_b')),
          5 * 20.00 + 5 * 20.00 + 100.00 + 25.00, 'and the contract is billed as before');

-- the session's work tables gone (as after a connection pool's DISCARD ALL, which a pgTAP
-- transaction cannot run): they are made again, and the rating's plan, which read them, with them
DROP TABLE pg_temp.rr_usage_line, pg_temp.rr_usage_agg, pg_temp.rr_usage_window, pg_temp.rr_usage_from,
           pg_temp.rr_usage_rated;
SELECT pg_stat_statements_reset();
SELECT count(*) FROM rr.bill_contract((SELECT max(contract_id) - 1 FROM rr.contract WHERE tenant_id = 'kp_b'), '2024-02-01');
SELECT is(kp_test.counts('%WITH flat_period AS%'), '1 calls, 1 plans',
          'with its work tables dropped, the rating is planned again on new ones');
SELECT is((SELECT total FROM kp_test.totals WHERE tenant_id = 'kp_b' AND contract_id = (SELECT max(contract_id) - 1 FROM rr.contract WHERE tenant_id = 'kp_b')),
          5 * 20.00 + 5 * 20.00 + 100.00 + 25.00, 'and that contract is billed as the others');

-- the planner's estimate of what is due (rr_internal.due_charges_planned_support): a batch
-- at the line versions of rr.contract_line once they are more than the declared 1,000 rows,
-- one contract at those 1,000 whatever the table's size; the test's 48 line versions keep
-- the declared rows (the table's row count set here as a run of 250,000 would leave it)
CREATE FUNCTION kp_test.rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END
$$;
SELECT is(kp_test.rows($q$SELECT * FROM rr_internal.due_charges_planned('kp_a', '2024-02-01', NULL)$q$), 1000::float8,
          'a batch in a table of 48 line versions is estimated at the declared 1,000 rows');
UPDATE pg_class SET reltuples = 250000 WHERE oid = 'rr.contract_line'::regclass;
SELECT is(kp_test.rows($q$SELECT * FROM rr_internal.due_charges_planned('kp_a', '2024-02-01', NULL)$q$), 250000::float8,
          'a batch in a table of 250,000 line versions is estimated at 250,000 rows');
SELECT is(kp_test.rows($q$SELECT * FROM rr_internal.due_charges_planned('kp_a', '2024-02-01', 1)$q$), 1000::float8,
          'one contract in that table is estimated at the declared 1,000 rows');

SELECT * FROM finish();
ROLLBACK;
