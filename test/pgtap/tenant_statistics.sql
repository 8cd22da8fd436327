-- A batch analyses a table whose statistics do not know its tenant (issue 13, item 5;
-- rr_internal.refresh_statistics, docs/operations.md "Performance"): a tenant whose rows
-- came after the last ANALYZE of a table holding another tenant's is estimated at almost
-- none, and a plan then loops over its rows once per row of something else.  The customers
-- of three tenants: ts_a's 3,000 analysed; then ts_b's 2,000 and ts_c's 100 added (the
-- table not grown fourfold, so the rule for new or grown tables leaves it).
BEGIN;
SELECT plan(11);

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

-- a renewal batch (which reads the contracts, their line versions and renewals) of a
-- tenant loaded after another's renewals and an ANALYZE: without the rule, 20,000 such
-- contracts took 564 s to renew, 4.3 s with it (bench/README.md)
CREATE FUNCTION pg_temp.renewable(t text, n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr.create_tenant(t, t, 'USD');
    PERFORM set_config('rr.tenant', t, true);
    INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
    VALUES (t, 'SEAT', 'Seat', '4000', '2100', '1100');
    INSERT INTO rr.item_price VALUES (t, 'SEAT', 'USD', 12.50);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type)
    VALUES (t, 'SEATS', 'Seats', 'USD', 'SEAT', 'prepaid');
    INSERT INTO rr.contract_template (tenant_id, code, name, duration, renewal_point_days, mass_renewal)
    VALUES (t, 'T', 'Annual, mass renewal', 1, 30, true);
    INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES (t, 'C', 'Customer', 'USD');
    INSERT INTO rr.contract (tenant_id, contract_id, customer, template, currency, status, contract_type,
                             start_date, end_date, setup_date, activation_date, billing_period, billing_start,
                             alignment, invoice_to, bill_to, payment_terms_days, grace_period_days,
                             renewal_point_days, refund_policy)
    SELECT t, i, 'C', 'T', 'USD', 'active', 'renewable', '2024-01-01', '2025-01-01', '2024-01-01', '2024-01-01',
           'month', 'activation', 'anniversary', 'customer', 'C', 30, 0, 30, 'none'
      FROM generate_series(1, n) i;
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                                  recurring_price, billing_period)
    SELECT t, i, 1, '2024-01-01', 'SEATS', 1, 12.50, '1 month' FROM generate_series(1, n) i;
END
$$;
SELECT pg_temp.renewable('ts_r1', 1500);
SELECT count(*) FROM rr.run_renewals('2024-12-15');
ANALYZE rr.contract, rr.contract_line, rr.contract_renewal, rr.contract_event;
SELECT pg_temp.renewable('ts_r2', 1500);
SELECT ok(rr_internal.tenant_rows_estimate('rr.contract', 'ts_r2',
                                           pg_relation_size('rr.contract') / current_setting('block_size')::bigint) < 250,
          'a tenant loaded after the last ANALYZE of the contracts: estimated at fewer than 250');
SELECT is((SELECT count(*) FROM rr.run_renewals('2024-12-15')), 1500::bigint, 'the renewal batch renews the 1,500');
SELECT ok(rr_internal.tenant_rows_estimate('rr.contract', 'ts_r2',
                                           pg_relation_size('rr.contract') / current_setting('block_size')::bigint) >= 1000,
          'it analysed the contracts first: the statistics know the tenant''s 1,500');

SELECT * FROM finish();
ROLLBACK;
