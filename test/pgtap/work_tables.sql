-- Work tables of the definer code outlive a DROP EXTENSION in the same session
-- (src/sql/00_core/90_work_tables.sql).  A session keeps its work tables (emptied at each use); one
-- of them, rr_usage_line, has a column of type rr.pricing, which DROP EXTENSION ... CASCADE
-- drops from the table.  After CREATE EXTENSION in the same session, billing must make the
-- table again instead of failing on the old, narrower one ("INSERT has more expressions
-- than target columns": what the isolation specs, whose sessions outlive the extension
-- their teardown re-creates, hit before the fix).
BEGIN;
SELECT plan(5);
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.bill_usage() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr.create_tenant('wt', 'Work tables', 'USD');
    PERFORM set_config('rr.tenant', 'wt', true);
    INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
    VALUES ('wt', 'CALL', 'Call', '4300', '2100', '1100');
    INSERT INTO rr.item_price VALUES ('wt', 'CALL', 'USD', 0.10);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model)
    VALUES ('wt', 'API', 'API', 'USD', 'CALL', 'postpaid', 'per_unit(0.10)');
    INSERT INTO rr.contract_template (tenant_id, code, name, duration, alignment) VALUES ('wt', 'T', 'Template', 1, 'calendar');
    INSERT INTO rr.template_line VALUES ('wt', 'T', 1, 'API', 1);
    INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('wt', 'C', 'Customer', 'USD');
    PERFORM rr.setup_and_activate_contract(rr.create_contract('C', 'T', '2024-01-01'));
    PERFORM rr.record_usage((SELECT min(contract_id) FROM rr.contract), 'API', 25, '2024-01-10 12:00+00', 'k1');
    PERFORM rr.run_billing('2024-02-01');
    RETURN (SELECT sum(amount) FROM rr.charge WHERE tenant_id = 'wt' AND kind = 'usage');
END
$$;

SELECT is(pg_temp.bill_usage(), 2.50, 'usage billed: 25 calls at 0.10');
SELECT ok(EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                   WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = 'rr_usage_line'
                     AND a.atttypid = 'rr.pricing'::regtype),
          'the session keeps its work table rr_usage_line, with a column of type rr.pricing');
DROP EXTENSION recurring_revenue CASCADE;
SELECT ok(EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                   WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = 'rr_usage_line'
                     AND a.attisdropped),
          'DROP EXTENSION ... CASCADE leaves the work table without that column');
CREATE EXTENSION recurring_revenue;
SELECT is(pg_temp.bill_usage(), 2.50, 'after CREATE EXTENSION in the same session, usage is billed again');
SELECT ok(NOT EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                       WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = 'rr_usage_line'
                         AND a.attisdropped),
          'the work table was made again, whole');

SELECT * FROM finish();
ROLLBACK;
