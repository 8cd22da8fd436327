-- Property tests for what usage rating settles (docs/usage.md, "What a run rates";
-- rr.usage_rating_state, rr.usage_arrival): 30 generated contracts with metered lines of every
-- kind (sum reset on billing, on renewal and never, peak, last level, a flat fee, a deposit)
-- go through random sequences of usage events (often dated back into rated periods: late
-- events), billing, quantity and price model changes dated back, renewals, terminations and
-- undoing the last billing.  Before each billing, the usage charges due for the contract are
-- computed twice: as a run computes them, from what earlier runs rated, and with the rating
-- state removed, rating the whole history.  The two must be the same rows, always.
BEGIN;
SELECT plan(8);
SELECT setseed(0.1357);

SELECT rr.create_tenant('usp', 'Usage settled properties', 'USD');
SELECT set_config('rr.tenant', 'usp', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('usp', 'U', 'Units', '4300', '2100', '1100');
INSERT INTO rr.item_price VALUES ('usp', 'U', 'USD', 0.25);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, price_model,
                              recurring_pricing, recurring_price, included_quantity, extra_usage_price, reset_usage,
                              usage_aggregation, usage_grace_days) VALUES
    ('usp', 'SUMB', 'Sum, reset on billing', 'USD', 'U', 'postpaid', 'graduated(40: 0.10, 200: 0.05, *: 0.01)',
     'item_price', NULL, 10, NULL, 'on_billing', 'sum', 0),
    ('usp', 'SUMN', 'Sum, never reset', 'USD', 'U', 'postpaid', NULL, 'manual', 25.00, 120, 0.07, 'never', 'sum', 2),
    ('usp', 'SUMR', 'Sum, reset on renewal', 'USD', 'U', 'postpaid', 'graduated(100: 0.20, *: 0.03)', 'item_price',
     NULL, 30, NULL, 'on_renewal', 'sum', 0),
    ('usp', 'PEAK', 'Peak', 'USD', 'U', 'postpaid', 'volume(20: 1.00, *: 0.50)', 'item_price', NULL, 5, NULL,
     'on_billing', 'max', 0),
    ('usp', 'LAST', 'Last level', 'USD', 'U', 'postpaid', 'per_unit(0.30)', 'item_price', NULL, 0, NULL,
     'on_billing', 'last', 0),
    ('usp', 'FLAT', 'Flat fee', 'USD', 'U', 'postpaid', 'flat(19.00)', 'item_price', NULL, 0, NULL,
     'on_billing', 'sum', 0);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, deposit_amount,
                              retain_rate, extra_usage_price, reset_usage) VALUES
    ('usp', 'DEP', 'Retainer', 'USD', 'U', 'deposit', 80.00, 0.40, 1.50, 'never');
INSERT INTO rr.contract_template (tenant_id, code, name, contract_type, duration, duration_unit,
                                  grace_period_days, billing_period, alignment, allow_override) VALUES
    ('usp', 'Q', 'Half-yearly, renewable', 'renewable', 6, 'month', 20, 'month', 'calendar', true),
    ('usp', 'D', 'Retainer, 8 months', 'expiring', 8, 'month', 0, 'month', 'calendar', true);
INSERT INTO rr.template_line (tenant_id, template, line_no, contract_item, quantity) VALUES
    ('usp', 'Q', 1, 'SUMB', 1), ('usp', 'Q', 2, 'SUMN', 1), ('usp', 'Q', 3, 'SUMR', 1),
    ('usp', 'Q', 4, 'PEAK', 1), ('usp', 'Q', 5, 'LAST', 1), ('usp', 'Q', 6, 'FLAT', 1),
    ('usp', 'D', 1, 'DEP', 1), ('usp', 'D', 2, 'SUMB', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('usp', 'C', 'Customer', 'USD');

CREATE TEMP TABLE k ON COMMIT DROP AS
SELECT rr.create_contract('C', CASE WHEN i % 5 IN (1, 3) THEN 'D' ELSE 'Q' END,
                          make_date(2024, 1 + floor(random() * 4)::int, 1 + floor(random() * 28)::int)) AS id
  FROM generate_series(0, 29) i;
SELECT count(rr.setup_and_activate_contract(id)) FROM k;

-- the usage charges due for a contract (or, c NULL, every contract) by a date, as text: as
-- a run rates them, or (whole) with the rating state removed for the call
CREATE FUNCTION pg_temp.usage_due(c bigint, d date, whole boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    IF whole THEN
        CREATE TEMP TABLE saved_state ON COMMIT DROP AS
        SELECT * FROM rr.usage_rating_state s WHERE s.tenant_id = 'usp' AND (c IS NULL OR s.contract_id = c);
        DELETE FROM rr.usage_rating_state s WHERE s.tenant_id = 'usp' AND (c IS NULL OR s.contract_id = c);
    END IF;
    SELECT string_agg(x::text, E'\n' ORDER BY x::text) INTO r FROM rr_internal.usage_charges('usp', d, c) x;
    IF whole THEN
        INSERT INTO rr.usage_rating_state SELECT * FROM saved_state;
        DROP TABLE saved_state;
    END IF;
    RETURN coalesce(r, '');
END $$;

CREATE TEMP TABLE checks (contract_id bigint, on_date date, from_state integer, due_rows integer, same boolean) ON COMMIT DROP;
CREATE TEMP TABLE did (what text) ON COMMIT DROP;

-- an action of the walk, recorded as done or refused (the walk tries actions that may not
-- apply: a renewal out of its window, an event outside the contract's dates)
CREATE FUNCTION pg_temp.try(what text, stmt text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    INSERT INTO did VALUES (what);
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO did VALUES (what || ' refused');
    RETURN false;
END $$;

-- rate a contract's usage due by a date both ways and record whether they agree, with how
-- many of its lines the first call rated from their state (rating's work table)
CREATE FUNCTION pg_temp.compare(c bigint, d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    x text := pg_temp.usage_due(c, d, false);
    f integer := (SELECT count(*) FROM pg_temp.rr_usage_from u WHERE u.from_date IS NOT NULL);
    y text := pg_temp.usage_due(c, d, true);
BEGIN
    INSERT INTO checks
    VALUES (c, d, f, CASE WHEN x = '' THEN 0 ELSE 1 + length(x) - length(replace(x, E'\n', '')) END, x = y);
END $$;

CREATE FUNCTION pg_temp.walk() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c rr.contract;
    d date;
    e date;
    a float8;
    n integer := 0;
    items text;
    undone boolean;
BEGIN
    FOR step IN 1..14 LOOP
        FOR c IN SELECT * FROM rr.contract WHERE tenant_id = 'usp' ORDER BY contract_id LOOP
            d := c.start_date + step * 30 + floor(random() * 10)::int;
            e := greatest(c.activation_date, least(coalesce(c.termination_date, c.end_date) - 1,
                                                   d - 50 + floor(random() * 50)::int));
            items := CASE WHEN c.template = 'D' THEN '{DEP,SUMB}' ELSE '{SUMB,SUMN,SUMR,PEAK,LAST,FLAT}' END;
            a := random();
            -- a renewable contract near its end is mostly renewed (its counters reset on
            -- renewal start again), so that most contracts keep billing
            IF c.template = 'Q' AND c.status = 'active' AND d >= c.end_date - 10 AND a < 0.8 THEN
                a := 0.9;
            END IF;
            IF a < 0.40 THEN
                -- a batch of events, a third of them dated back by up to 75 days
                PERFORM pg_temp.try('usage', format($s$
                    SELECT rr.record_usage(array_agg(ROW(%s, NULL, i.items[1 + floor(random() * cardinality(i.items))::int],
                                                         (1 + floor(random() * 60))::numeric,
                                                         (greatest(%L::date, %L::date - CASE WHEN random() < 0.33 THEN 75 ELSE 25 END
                                                                                     + floor(random() * 25)::int)::timestamp
                                                          + interval '12 hours') AT TIME ZONE 'UTC',
                                                         NULL, NULL)::rr.usage_record))
                      FROM (SELECT %L::text[] AS items) i, generate_series(1, 1 + floor(random() * 6)::int)
                    $s$, c.contract_id, c.activation_date, d, items));
            ELSIF a < 0.78 THEN
                PERFORM pg_temp.compare(c.contract_id, d);
                -- now and then, also as of a date before what earlier runs rated to
                IF random() < 0.2 THEN
                    PERFORM pg_temp.compare(c.contract_id, d - 45);
                END IF;
                PERFORM pg_temp.try('bill', format('SELECT rr.bill_contract(%s, %L)', c.contract_id, d));
            ELSIF a < 0.82 THEN
                PERFORM pg_temp.try('quantity', format('SELECT rr.change_contract_line(%s, (%L::text[])[1 + floor(random() * cardinality(%L::text[]))::int], %L, quantity => %s)',
                                                       c.contract_id, items, items, e, 1 + floor(random() * 3)::int));
            ELSIF a < 0.87 THEN
                PERFORM pg_temp.try('price model', format('SELECT rr.change_contract_line(%s, %L, %L, prices => %L)',
                                                          c.contract_id, 'SUMB', e,
                                                          jsonb_build_object('price_model',
                                                              format('graduated(%s: 0.12, *: 0.02)', 20 + floor(random() * 50)::int))));
            ELSIF a < 0.93 THEN
                PERFORM pg_temp.try('renewal', format('SELECT rr.renew_contract(%s, %L)', c.contract_id, least(d, c.end_date + 10)));
            ELSIF a < 0.96 THEN
                PERFORM pg_temp.try('termination', format('SELECT rr.terminate_contract(%s, %L)', c.contract_id, e));
            ELSIF EXISTS (SELECT FROM rr.charge WHERE tenant_id = 'usp' AND contract_id = c.contract_id) THEN
                undone := pg_temp.try('undo', format('SELECT rr.undo_last_billing(%s)', c.contract_id));
                IF undone AND EXISTS (SELECT FROM rr.usage_rating_state s WHERE s.tenant_id = 'usp' AND s.contract_id = c.contract_id) THEN
                    RAISE EXCEPTION 'contract %: rr.undo_last_billing left its usage rating state', c.contract_id;
                END IF;
            END IF;
            n := n + 1;
        END LOOP;
    END LOOP;
    RETURN n;
END $$;
SELECT cmp_ok(pg_temp.walk(), '>', 350, 'the walk took more than 350 steps');
SELECT diag(string_agg(format('%s: %s', what, n), ', ' ORDER BY what)) FROM (SELECT what, count(*) n FROM did GROUP BY 1) x;

SELECT cmp_ok((SELECT count(*) FROM checks WHERE from_state > 0 AND due_rows > 0), '>', 40::bigint,
              'more than 40 checks of contracts with lines rated from their state and usage charges due');
SELECT cmp_ok((SELECT count(*) FROM rr.charge
                WHERE tenant_id = 'usp' AND kind IN ('usage', 'drawdown') AND adjustment_seq > 0),
              '>', 10::bigint, 'the walk billed more than 10 late adjustments of rated periods');
SELECT ok((SELECT count(DISTINCT what) FROM did WHERE what NOT LIKE '% refused') = 7,
          'the walk recorded usage, billed, changed quantities and price models, renewed, terminated and undid billings');
SELECT is_empty($$ SELECT contract_id, on_date FROM checks WHERE NOT same $$,
                'the usage charges due, rating from what earlier runs rated, equal those rating the whole history, at every billing of every contract');

-- a tenant's rating, from the state of every contract at once, equals rating the whole
-- history of every contract
CREATE TEMP TABLE tenant_check ON COMMIT DROP AS SELECT pg_temp.usage_due(NULL, '2025-05-01', false) AS rated;
SELECT ok((SELECT rated <> '' FROM tenant_check)
          AND (SELECT count(*) FROM pg_temp.rr_usage_from u WHERE u.from_date IS NOT NULL) > 20,
          'on 2025-05-01 the tenant has usage charges due and more than 20 lines rated from their state');
SELECT is((SELECT rated FROM tenant_check), pg_temp.usage_due(NULL, '2025-05-01', true),
          'the tenant''s usage charges due, rating from the state, equal those rating every contract''s whole history');

-- a run rates every line it bills and reads every arrival: none is left
SELECT count(*) FROM rr.run_billing('2025-05-01');
SELECT is_empty($$ SELECT contract_id, line_no, usage_date FROM rr.usage_arrival WHERE tenant_id = 'usp' $$,
                'a tenant''s run reads and deletes every arrival of the contracts it billed');
SELECT * FROM finish();
ROLLBACK;
