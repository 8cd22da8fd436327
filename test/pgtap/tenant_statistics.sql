-- A batch analyses a table whose statistics do not know its tenant (issue 13, item 5;
-- rr_internal.refresh_statistics, docs/operations.md "Performance"): a tenant whose rows
-- came after the last ANALYZE of a table holding another tenant's is estimated at almost
-- none, and a plan then loops over its rows once per row of something else.  The customers
-- of three tenants: ts_a's 3,000 analysed; then ts_b's 2,000 and ts_c's 100 added (the
-- table not grown fourfold, so the rule for new or grown tables leaves it).
BEGIN;
SELECT plan(8);

SELECT rr.create_tenant(t, t, 'USD') FROM unnest(ARRAY['ts_a', 'ts_b', 'ts_c']) t;
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'ts_a', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 3000) i;
ANALYZE rr.customer;
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT t.t, 'C' || i, 'Customer ' || i, 'USD'
  FROM (VALUES ('ts_b', 2000), ('ts_c', 100)) t (t, n), generate_series(1, t.n) i;

CREATE FUNCTION pg_temp.estimate(t text) RETURNS double precision LANGUAGE sql AS $$
    SELECT rr_internal.tenant_rows_estimate('rr.customer', t, pg_relation_size('rr.customer') / current_setting('block_size')::bigint)
$$;

-- (as the planner's: the tenant's frequency, 1, times the rows of the table at its present
-- size, the 3,000 analysed scaled by its pages since, which the other rows added)
SELECT ok(pg_temp.estimate('ts_a') > 3000,
          'a tenant among the most common values: its frequency times the table''s rows at its present size');
SELECT ok(pg_temp.estimate('ts_b') < 250,
          'a tenant that came after the ANALYZE: estimated at fewer than 250 rows');

SELECT rr_internal.refresh_statistics('{rr.customer}');
SELECT ok(pg_temp.estimate('ts_b') < 250,
          'without a tenant (a single call), a table not grown fourfold is not analysed');

SELECT rr_internal.refresh_statistics('{rr.customer}', 'ts_c');
SELECT ok(pg_temp.estimate('ts_b') < 250,
          'a batch of a tenant with fewer than 1,000 rows in the table does not analyse it');

SELECT rr_internal.refresh_statistics('{rr.customer}', 'ts_b');
SELECT ok(pg_temp.estimate('ts_b') BETWEEN 1500 AND 2500,
          'a batch of a tenant with 1,000 rows or more that the statistics do not know analyses the table');
SELECT ok(pg_temp.estimate('ts_a') BETWEEN 2500 AND 3600,
          'the other tenant''s estimate stays true');

SELECT cmp_ok(pg_relation_size('rr.customer') / current_setting('block_size')::bigint, '>=', 8::bigint,
              'the table has the 8 pages below which a batch never analyses it');

-- a table analysed while it held no row (here the one-off charges, which none of these
-- tenants has) has no statistics of tenant_id: the planner knows none of its tenants
DELETE FROM rr.one_off_charge;
ANALYZE rr.one_off_charge;
SELECT is(rr_internal.tenant_rows_estimate('rr.one_off_charge', 'ts_a', 100), 0::double precision,
          'a table analysed empty: an estimate of 0 rows');

SELECT * FROM finish();
ROLLBACK;
