-- Property tests for amendments (docs/amendments.md; docs/revenue.md, "Contract
-- modifications"): 20 generated one-year contracts (a monthly prepaid, a monthly postpaid
-- and a quarterly prepaid line, calendar alignment) go through random sequences of billing
-- and amendments at random dates (often back into billed periods): several changes at once
-- (quantities, prices, upgrades and downgrades between the monthly items, lines removed
-- and added), billed with the next run or at once, under prospective or cumulative
-- catch-up treatment; then one final run and a recognition run.
--
-- Oracles: (1) billing, from the line versions and the calendar core only: for each line
-- version and billing period, the days it is in force prorated by days and rounded once
-- equal what is charged for it, net of corrections (billed = contracted per day); (2)
-- revenue: every obligation's allocation schedule (recognised and remaining lines) sums to
-- its allocated amount, and the contract's to the transaction price the last modification
-- logged; (3) every amendment that was accepted is in the modification log once.
BEGIN;
SELECT plan(8);
SELECT setseed(0.2468);

SELECT rr.create_tenant('ap', 'Amendment properties', 'USD');
SELECT set_config('rr.tenant', 'ap', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('ap', 'SVC', 'Service', '4000', '2100', '1100'), ('ap', 'PLUS', 'Service plus', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('ap', 'SVC', 'USD', 13.37), ('ap', 'PLUS', 'USD', 29.99);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity)
VALUES ('ap', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', '1 month', 99),
       ('ap', 'M2', 'Monthly plus', 'USD', 'PLUS', 'prepaid', '1 month', 99),
       ('ap', 'P', 'Monthly in arrears', 'USD', 'SVC', 'postpaid', '1 month', 99),
       ('ap', 'Q', 'Quarterly', 'USD', 'SVC', 'prepaid', '3 months', 99);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override, refund_policy)
VALUES ('ap', 'T', 'One year', 1, 'year', 'calendar', true, 'prorated');
INSERT INTO rr.template_line VALUES ('ap', 'T', 1, 'M', 1), ('ap', 'T', 2, 'P', 1), ('ap', 'T', 3, 'Q', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ap', 'C', 'Customer', 'USD');

CREATE TEMP TABLE k ON COMMIT DROP AS
SELECT rr.create_contract('C', 'T', make_date(2024, 1 + floor(random() * 6)::int, 1 + floor(random() * 28)::int)) AS id
  FROM generate_series(0, 19) i;
SELECT count(rr.setup_and_activate_contract(id)) FROM k;

-- the random walk: 8 steps per contract, each on a later date, one action each
CREATE TEMP TABLE accepted (contract_id bigint, modification_id bigint) ON COMMIT DROP;
CREATE FUNCTION pg_temp.walk() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c rr.contract;
    d date;
    e date;
    a float8;
    changes jsonb;
    item text;
    m bigint;
    n integer := 0;
BEGIN
    FOR step IN 1..8 LOOP
        FOR c IN SELECT * FROM rr.contract WHERE tenant_id = 'ap' ORDER BY contract_id LOOP
            d := c.start_date + step * 30 + floor(random() * 20)::int;
            -- an effective date up to 45 days back (into billed periods) or 10 days ahead
            e := greatest(c.activation_date, least(c.end_date - 1, d - 45 + floor(random() * 55)::int));
            a := random();
            IF d >= c.end_date THEN
                CONTINUE;
            ELSIF a < 0.4 THEN
                PERFORM rr.bill_contract(c.contract_id, d);
            ELSE
                -- one to three changes of different items
                SELECT jsonb_agg(x.ch) INTO changes FROM (
                    SELECT CASE WHEN r < 0.35 THEN jsonb_build_object('item', i, 'quantity', 1 + floor(random() * 20))
                                WHEN r < 0.55 THEN jsonb_build_object('item', i, 'recurring_price', round((5 + random() * 50)::numeric, 3))
                                WHEN r < 0.75 AND i = 'M' THEN jsonb_build_object('item', 'M', 'upgrade_to', 'M2')
                                WHEN r < 0.75 AND i = 'M2' THEN jsonb_build_object('item', 'M2', 'upgrade_to', 'M')
                                WHEN r < 0.85 THEN jsonb_build_object('item', i, 'remove', true)
                                ELSE jsonb_build_object('item', i, 'quantity', 1 + floor(random() * 5)) END AS ch
                      FROM (SELECT i, random() AS r FROM unnest(ARRAY['M', 'M2', 'P', 'Q']) i
                             ORDER BY random() LIMIT 1 + floor(random() * 2)::int) y) x;
                BEGIN
                    SELECT modification_id INTO m
                      FROM rr.amend_contract(c.contract_id, e, changes,
                                             bill => CASE WHEN random() < 0.5 THEN 'next' ELSE 'immediately' END,
                                             facts => jsonb_build_object('remaining_distinct', random() < 0.6));
                    INSERT INTO accepted VALUES (c.contract_id, m);
                EXCEPTION WHEN SQLSTATE 'P0002' OR SQLSTATE '22023' THEN
                    NULL;   -- a removal of a line the contract no longer has, an upgrade to an item it has twice
                END;
            END IF;
            n := n + 1;
        END LOOP;
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.walk() > 100 AS walked;
SELECT count(*) FROM rr.run_billing('2026-01-01');
SELECT count(*) FROM rr.recognize('2025-06-30');

SELECT cmp_ok((SELECT count(*) FROM accepted), '>', 40::bigint, 'the walk made more than 40 amendments');

CREATE TEMP TABLE expected ON COMMIT DROP AS
WITH v AS (
    SELECT l.*, k.activation_date, k.end_date,
           lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to
      FROM rr.contract_line l
      JOIN rr.contract k USING (tenant_id, contract_id)
     WHERE l.tenant_id = 'ap'
), p AS (
    SELECT v.*, s AS part, rr.period_containing(lower(s), v.billing_period, '2000-01-01') AS whole
      FROM v, rr.billing_periods(greatest(v.activation_date, v.effective_from), least(v.valid_to, v.end_date),
                                 v.billing_period, '2000-01-01') s
     WHERE NOT v.is_removed
)
SELECT p.contract_id, p.line_no, p.effective_from, p.whole,
       CASE WHEN p.part = p.whole THEN round(p.quantity * p.recurring_price, 2)
            ELSE rr.prorate_amount(p.quantity * p.recurring_price, p.part, p.whole, 'actual', 2) END AS amount
  FROM p;

CREATE TEMP TABLE charged ON COMMIT DROP AS
SELECT ch.contract_id, ch.line_no, ch.line_effective_from AS effective_from,
       rr.period_containing(lower(ch.service_period), l.billing_period, '2000-01-01') AS whole,
       sum(ch.amount) AS amount, max(ch.adjustment_seq) AS seq
  FROM rr.charge ch
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                         AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
 WHERE ch.tenant_id = 'ap' AND ch.kind = 'recurring'
 GROUP BY 1, 2, 3, 4;

SELECT cmp_ok((SELECT count(*) FROM charged WHERE seq > 0), '>', 15::bigint,
              'the walk made more than 15 corrections of billed periods');

SELECT is_empty($$
    SELECT coalesce(e.contract_id, c.contract_id) AS contract_id, coalesce(e.line_no, c.line_no) AS line_no,
           coalesce(e.effective_from, c.effective_from) AS version, coalesce(e.whole, c.whole) AS period,
           e.amount AS contracted, c.amount AS charged
      FROM expected e
      FULL JOIN charged c USING (contract_id, line_no, effective_from, whole)
     WHERE coalesce(e.amount, 0) <> coalesce(c.amount, 0)
$$, 'billed = contracted: for every line version and billing period, the net charged equals its days prorated and rounded once');

SELECT is_empty($$
    SELECT po.contract_id, po.obligation_no, po.allocated_amount, sum(l.amount) AS scheduled
      FROM rr.performance_obligation po
      LEFT JOIN rr.revenue_schedule_line l ON l.tenant_id = po.tenant_id AND l.contract_id = po.contract_id
                                          AND l.obligation_no = po.obligation_no AND l.source = 'allocation'
     WHERE po.tenant_id = 'ap'
     GROUP BY po.contract_id, po.obligation_no, po.allocated_amount
    HAVING coalesce(sum(l.amount), 0) <> po.allocated_amount
$$, 'recognised + remaining schedule = allocated amount, for every obligation');

SELECT is_empty($$
    SELECT m.contract_id, m.price_after, (SELECT sum(po.allocated_amount) FROM rr.performance_obligation po
                                           WHERE po.tenant_id = 'ap' AND po.contract_id = m.contract_id) AS price
      FROM rr.contract_modification m
     WHERE m.tenant_id = 'ap'
       AND m.modification_id = (SELECT max(x.modification_id) FROM rr.contract_modification x
                                 WHERE x.tenant_id = 'ap' AND x.contract_id = m.contract_id)
       AND m.price_after IS DISTINCT FROM (SELECT sum(po.allocated_amount) FROM rr.performance_obligation po
                                            WHERE po.tenant_id = 'ap' AND po.contract_id = m.contract_id)
$$, 'the revised transaction price of the last modification is what the obligations are allocated');

SELECT is((SELECT count(*) FROM rr.contract_modification WHERE tenant_id = 'ap'), (SELECT count(*) FROM accepted),
          'every accepted amendment is in the modification log once');

-- the MRR the workflows kept (rr.contract_mrr) is the definition's on every date it can
-- change on and the day before (src/sql/50_billing/22_contract_mrr.sql)
SELECT ok((SELECT count(*) FROM rr.contract_mrr) > 0, 'the workflows kept MRR steps');
SELECT is_empty($$SELECT * FROM rr_internal.contract_mrr_drift()$$,
                'the MRR kept by the workflows is the definition''s on every date it can change on');
SELECT * FROM finish();
ROLLBACK;
