-- Single calls never JIT-compile under PostgreSQL's default settings (issue 13, item 5).
--
-- JIT pays off for queries that process millions of rows; for a statement that touches
-- one contract its compile time (tens to hundreds of milliseconds) is the whole cost.
-- The planner compiles when a plan's estimated cost passes jit_above_cost (100,000 by
-- default), which a single-contract statement reaches only through a wrong estimate: a
-- set-returning function left at its default 1,000 rows, a SQL function that cannot be
-- inlined, or a planner setting (enable_nestloop = off) that leaks from one function
-- into later statements and prices every remaining nested loop at "disabled" cost.
--
-- The tenant here is made in this transaction, so its tables have no statistics (the
-- worst case for estimates), and it is billed, posted and paid first, so that any
-- setting a batch leaves behind is in force for the single calls that follow.
-- pg_stat_statements (loaded by the test cluster, tracking nested statements) counts
-- the functions JIT compiled for every statement each call runs.
BEGIN;
SELECT plan(8);
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
-- PostgreSQL's defaults, whatever the cluster says
SET LOCAL jit = on;
SET LOCAL jit_above_cost = 100000;
SET LOCAL jit_inline_above_cost = 500000;
SET LOCAL jit_optimize_above_cost = 500000;
SET LOCAL pg_stat_statements.track = 'all';

SELECT rr.create_tenant('nj', 'No JIT', 'USD');
SELECT set_config('rr.tenant', 'nj', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('nj', 'SEAT', 'Seat', '4000', '2100', '1100'), ('nj', 'CALL', 'Call', '4300', '2100', '1100'),
       ('nj', 'FEE', 'Setup', '4400', '2100', '1100');
INSERT INTO rr.item_price VALUES ('nj', 'SEAT', 'USD', 10.00), ('nj', 'CALL', 'USD', 0.10), ('nj', 'FEE', 'USD', 99.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, recurring_item, billing_type, max_quantity)
VALUES ('nj', 'SEATS', 'Seats', 'USD', 'FEE', 'item_price', 'SEAT', 'prepaid', 100);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model)
VALUES ('nj', 'API', 'API calls', 'USD', 'CALL', 'postpaid', 'graduated(1000: 0.10, *: 0.05)');
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, payment_terms_days)
VALUES ('nj', 'T', 'Annual', 1, 'year', 'calendar', 30);
INSERT INTO rr.template_line VALUES ('nj', 'T', 1, 'SEATS', 5), ('nj', 'T', 2, 'API', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'nj', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 201) i;
SELECT count(rr.setup_and_activate_contract(rr.create_contract('C' || i, 'T', '2024-01-01')))
  FROM generate_series(1, 200) i;
SELECT count(rr.record_usage(contract_id, 'API', 7, '2024-01-15 12:00+00', 'batch-' || contract_id))
  FROM rr.contract WHERE tenant_id = 'nj';
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2024-04-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(upper(m) - 1);
SELECT count(*) FROM rr.post_invoices('2024-03-31');
SELECT count(rr.record_payment('C' || i, 25.00, '2024-02-10', 'batch-' || i, apply => false)) FROM generate_series(1, 200, 7) i;

-- jit_of(statement): run the statement alone and list the statements that JIT compiled
-- while it ran, with their number of compiled functions ('none' expected)
CREATE FUNCTION pg_temp.jit_of(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    offenders text;
BEGIN
    PERFORM pg_stat_statements_reset();
    EXECUTE call;
    SELECT string_agg(format('%s functions: %s', s.jit_functions, left(regexp_replace(s.query, '\s+', ' ', 'g'), 120)), E'\n')
      INTO offenders
      FROM pg_stat_statements s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND s.jit_functions > 0;
    RETURN coalesce(offenders, 'none');
END
$$;

SELECT is(pg_temp.jit_of($$SELECT rr.setup_and_activate_contract(rr.create_contract('C201', 'T', '2024-02-15'))$$),
          'none', 'create and activate one contract: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT rr.record_usage((SELECT max(contract_id) FROM rr.contract), 'API', 3, '2024-03-02 09:00+00', 'one')$$),
          'none', 'record one usage event: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT rr.change_contract_line((SELECT max(contract_id) FROM rr.contract), 'SEATS', '2024-03-01', quantity => 8)$$),
          'none', 'change a line: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT count(*) FROM rr.bill_contract((SELECT max(contract_id) FROM rr.contract), '2024-04-01')$$),
          'none', 'bill one contract: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT count(*) FROM rr.preview_billing('2024-05-01', (SELECT min(contract_id) FROM rr.contract))$$),
          'none', 'preview one contract: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT count(*) FROM rr.post_invoices('2024-04-01')$$),
          'none', 'post one invoice: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT rr.record_payment('C201', 100.00, '2024-04-05', 'one', apply => true)$$),
          'none', 'record and apply one payment: no statement JIT compiles');
SELECT is(pg_temp.jit_of($$SELECT rr.apply_payment((SELECT payment_id FROM rr.payment WHERE tenant_id = 'nj' AND reference = 'batch-1'),
                                                    (SELECT max(invoice_id) FROM rr.invoice WHERE tenant_id = 'nj' AND customer = 'C1' AND status = 'posted'), 0.01)$$),
          'none', 'apply a payment to an invoice: no statement JIT compiles');

SELECT * FROM finish();
ROLLBACK;
