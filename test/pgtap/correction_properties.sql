-- Property tests for corrections inside billed periods with discounts and price models
-- (docs/billing.md, "Changes inside billed periods"): 40 generated contracts, each with a
-- monthly prepaid line (10-30 % off and 1.00-5.00 off, stacked), a monthly postpaid line
-- (a percent off), a quarterly prepaid line (an amount off) and a monthly flat fee (a price
-- model, billed in arrears), under refund policies none, prorated and full, go through
-- random sequences of billing, quantity changes, price changes, price model changes,
-- terminations, undoing the last billing and re-running, at random dates (often dated back
-- into billed periods), then one final run.
--
-- The oracle, computed here from the contract's line versions with the calendar core
-- (rr.billing_periods, rr.period_containing, rr.prorate_amount) and arithmetic only: for
-- each line version and billing period, the days the version is in force (clipped to the
-- term and the termination) prorated and rounded once; its percent off rounded once on
-- that, then its amount off prorated by the same days and rounded once, capped by what is
-- left; for the prepaid period a termination cuts short under policy full, nothing; a flat
-- fee is its amount prorated by the days of the period from the start of billing.  What is
-- charged for the version and period, net of corrections, must equal each exactly, per
-- kind (recurring, discount, usage).  Under policy none the cut period keeps what was
-- billed (path-dependent by design) and is left out.
BEGIN;
SELECT plan(7);
SELECT setseed(0.2468);

SELECT rr.create_tenant('xp', 'Correction properties', 'USD');
SELECT set_config('rr.tenant', 'xp', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('xp', 'SVC', 'Service', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('xp', 'SVC', 'USD', 13.37);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity,
                              price_model, included_quantity)
VALUES ('xp', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', '1 month', 99, NULL, 0),
       ('xp', 'P', 'Monthly in arrears', 'USD', 'SVC', 'postpaid', '1 month', 99, NULL, 0),
       ('xp', 'Q', 'Quarterly', 'USD', 'SVC', 'prepaid', '3 months', 99, NULL, 0),
       ('xp', 'F', 'Flat fee', 'USD', 'SVC', 'postpaid', '1 month', 99, 'flat(49.00)', 0);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override, refund_policy)
SELECT 'xp', p, p, 1, 'year', 'calendar', true, p FROM unnest(ARRAY['none', 'prorated', 'full']) p;
INSERT INTO rr.template_line
SELECT 'xp', tp, n, ci, 1 FROM unnest(ARRAY['none', 'prorated', 'full']) tp,
                              unnest(ARRAY['M', 'P', 'Q', 'F']) WITH ORDINALITY AS x(ci, n);
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('xp', 'C', 'Customer', 'USD');

CREATE TEMP TABLE k ON COMMIT DROP AS
SELECT rr.create_contract('C', (ARRAY['none', 'prorated', 'full'])[1 + i % 3],
                          make_date(2024, 1 + floor(random() * 6)::int, 1 + floor(random() * 28)::int)) AS id
  FROM generate_series(0, 39) i;
SELECT count(rr.setup_and_activate_contract(id)) FROM k;
SELECT count(*) FROM k, LATERAL (VALUES
    (rr.add_discount(k.id, 'percent', (10 + floor(random() * 21))::numeric, line_no => 1)),
    (rr.add_discount(k.id, 'amount', round((1 + random() * 4)::numeric, 2), line_no => 1)),
    (rr.add_discount(k.id, 'percent', (5 + floor(random() * 20))::numeric, line_no => 2)),
    (rr.add_discount(k.id, 'amount', round((1 + random() * 4)::numeric, 2), line_no => 3))) d(id);

-- the random walk: 10 steps per contract, each on a later date, one action each
CREATE FUNCTION pg_temp.walk() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c rr.contract;
    d date;
    e date;
    a float8;
    n integer := 0;
BEGIN
    FOR step IN 1..10 LOOP
        FOR c IN SELECT * FROM rr.contract WHERE tenant_id = 'xp' ORDER BY contract_id LOOP
            d := c.start_date + step * 25 + floor(random() * 20)::int;
            -- an effective date up to 40 days back (into billed periods) or 10 days ahead
            e := greatest(c.activation_date, least(c.end_date, d - 40 + floor(random() * 50)::int));
            a := random();
            IF c.status <> 'active' THEN
                IF a < 0.3 AND EXISTS (SELECT FROM rr.charge WHERE tenant_id = 'xp' AND contract_id = c.contract_id) THEN
                    PERFORM rr.undo_last_billing(c.contract_id);
                END IF;
                CONTINUE;
            ELSIF d >= c.end_date THEN
                CONTINUE;
            ELSIF a < 0.3 THEN
                PERFORM rr.bill_contract(c.contract_id, d);
            ELSIF a < 0.45 THEN
                PERFORM rr.change_contract_line(c.contract_id, (ARRAY['M', 'P', 'Q', 'F'])[1 + floor(random() * 4)::int], e,
                                                quantity => (1 + floor(random() * 20))::numeric);
            ELSIF a < 0.57 THEN
                PERFORM rr.change_contract_line(c.contract_id, (ARRAY['M', 'P', 'Q'])[1 + floor(random() * 3)::int], e,
                                                prices => jsonb_build_object('recurring_price', round((5 + random() * 50)::numeric, 3)));
            ELSIF a < 0.72 THEN
                -- dated back, mostly into fees billed already (they are billed in arrears)
                PERFORM rr.change_contract_line(c.contract_id, 'F',
                                                greatest(c.activation_date, least(c.end_date, d - 70 + floor(random() * 50)::int)),
                                                prices => jsonb_build_object('price_model',
                                                              format('flat(%s)', round((10 + random() * 90)::numeric, 2))));
            ELSIF a < 0.80 THEN
                PERFORM rr.terminate_contract(c.contract_id, e);
            ELSIF a < 0.88 AND EXISTS (SELECT FROM rr.charge WHERE tenant_id = 'xp' AND contract_id = c.contract_id) THEN
                PERFORM rr.undo_last_billing(c.contract_id);
            ELSIF a < 0.93 THEN
                PERFORM rr.bill_contract(c.contract_id, d - floor(random() * 30)::int);   -- a re-run
            END IF;
            n := n + 1;
        END LOOP;
        -- the tables grow from nothing inside this one transaction: analysed after each round
        -- (ANALYZE counts the transaction's own rows), so the walk's plans see its data and
        -- the test stays fast whatever statistics earlier tests left behind
        ANALYZE rr.charge, rr.invoice, rr.invoice_line, rr.contract, rr.contract_line, rr.discount,
                rr.obligation_charge, rr.performance_obligation, rr.revenue_schedule_line, rr.journal_line;
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.walk() > 200 AS walked;
SELECT count(*) FROM rr.run_billing('2026-01-01');

CREATE TEMP TABLE expected ON COMMIT DROP AS
WITH v AS (
    SELECT l.*, ci.billing_type, k.refund_policy, k.activation_date, k.termination_date, k.end_date,
           lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to
      FROM rr.contract_line l
      JOIN rr.contract k USING (tenant_id, contract_id)
      JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
     WHERE l.tenant_id = 'xp'
), p AS (
    SELECT v.*, s AS part, rr.period_containing(lower(s), v.billing_period, '2000-01-01') AS whole,
           v.termination_date IS NOT NULL AND upper(s) = v.termination_date AND v.termination_date < v.end_date
               AND v.billing_type = 'prepaid' AS is_cut
      FROM v, rr.billing_periods(greatest(v.activation_date, v.effective_from),
                                 least(v.valid_to, v.termination_date, v.end_date), v.billing_period, '2000-01-01') s
     WHERE NOT v.is_removed
), gross AS (
    SELECT p.*,
           CASE WHEN p.contract_item = 'F' THEN
                    CASE WHEN p.part = p.whole * daterange(p.activation_date, NULL)
                         THEN (p.price_model::jsonb->>'amount')::numeric
                         ELSE rr.prorate_amount((p.price_model::jsonb->>'amount')::numeric, p.part,
                                                p.whole * daterange(p.activation_date, NULL), 'actual', 2) END
                WHEN p.is_cut AND p.refund_policy = 'full' THEN 0
                WHEN p.part = p.whole THEN round(p.quantity * p.recurring_price, 2)
                ELSE rr.prorate_amount(p.quantity * p.recurring_price, p.part, p.whole, 'actual', 2) END AS amount
      FROM p
), off AS (
    SELECT g.*,
           coalesce((SELECT d.value FROM rr.discount d WHERE d.tenant_id = 'xp' AND d.contract_id = g.contract_id
                        AND d.line_no = g.line_no AND d.kind = 'percent'), 0) AS pct,
           (SELECT CASE WHEN g.part = g.whole THEN d.value ELSE rr.prorate_amount(d.value, g.part, g.whole, 'actual', 2) END
              FROM rr.discount d WHERE d.tenant_id = 'xp' AND d.contract_id = g.contract_id
               AND d.line_no = g.line_no AND d.kind = 'amount') AS amt
      FROM gross g
)
SELECT o.contract_id, o.line_no, o.effective_from, o.whole, x.kind, o.refund_policy, o.is_cut, x.amount
  FROM off o
 CROSS JOIN LATERAL (VALUES
     (CASE WHEN o.contract_item = 'F' THEN 'usage' ELSE 'recurring' END, o.amount),
     ('discount', CASE WHEN o.contract_item = 'F' THEN 0
                       ELSE -round(o.amount * o.pct / 100, 2)
                            - least(o.amount - round(o.amount * o.pct / 100, 2), coalesce(o.amt, 0)) END)) x(kind, amount);

CREATE TEMP TABLE charged ON COMMIT DROP AS
SELECT ch.contract_id, ch.line_no, ch.line_effective_from AS effective_from,
       rr.period_containing(lower(ch.service_period), l.billing_period, '2000-01-01') AS whole, ch.kind,
       sum(ch.amount) AS amount, count(*) AS charges, max(ch.adjustment_seq) AS seq, min(ch.adjustment_seq) AS low_seq
  FROM rr.charge ch
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                         AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
 WHERE ch.tenant_id = 'xp'
 GROUP BY 1, 2, 3, 4, 5;

SELECT cmp_ok((SELECT count(*) FROM charged WHERE kind = 'discount' AND low_seq < 0), '>', 10::bigint,
              'the walk made more than 10 corrections of billed discounts');
SELECT cmp_ok((SELECT count(*) FROM charged WHERE kind = 'usage' AND seq > 0), '>', 2::bigint,
              'the walk made more than 2 corrections of billed flat fees');
-- (read first, here and below: on Citus a statement that reads only the distributed tables
-- goes to the tenant's worker whole, the assertion with it, and pgTAP's plan is here)
SELECT count(DISTINCT contract_id) AS terminated FROM rr.contract WHERE tenant_id = 'xp' AND status = 'terminated' \gset
SELECT cmp_ok(:terminated::bigint, '>', 6::bigint, 'the walk terminated more than 6 contracts');
SELECT count(DISTINCT (contract_id, line_no)) AS remodelled FROM rr.contract_line
 WHERE tenant_id = 'xp' AND line_no = 4 AND price_model::text <> 'flat(49.00)' \gset
SELECT cmp_ok(:remodelled::bigint, '>', 6::bigint, 'the walk changed more than 6 price models');

SELECT is_empty($$
    SELECT coalesce(e.contract_id, c.contract_id) AS contract_id, coalesce(e.line_no, c.line_no) AS line_no,
           coalesce(e.effective_from, c.effective_from) AS version, coalesce(e.whole, c.whole) AS period,
           coalesce(e.kind, c.kind) AS kind, e.amount AS contracted, c.amount AS charged
      FROM expected e
      FULL JOIN charged c USING (contract_id, line_no, effective_from, whole, kind)
     WHERE coalesce(e.amount, 0) <> coalesce(c.amount, 0)
       AND NOT coalesce(e.is_cut AND e.refund_policy = 'none', false)
       AND NOT EXISTS (SELECT FROM expected x
                        WHERE x.contract_id = c.contract_id AND x.line_no = c.line_no AND x.effective_from = c.effective_from
                          AND x.whole = c.whole AND x.is_cut AND x.refund_policy = 'none')
$$, 'for every line version, billing period and kind, the net charged equals the contracted amount of its days, rounded once');

SELECT is_empty($$
    SELECT e.contract_id, e.line_no, e.whole, e.amount, c.amount
      FROM expected e JOIN charged c USING (contract_id, line_no, effective_from, whole, kind)
     WHERE e.is_cut AND e.refund_policy = 'none' AND e.kind = 'recurring' AND c.amount < e.amount
$$, 'under refund policy none, the period cut short keeps at least the days used');

SELECT is_empty($$
    SELECT c.contract_id, c.line_no, c.whole, c.kind, c.amount
      FROM charged c JOIN rr.contract k ON k.tenant_id = 'xp' AND k.contract_id = c.contract_id
     WHERE k.termination_date IS NOT NULL AND lower(c.whole) >= k.termination_date AND c.amount <> 0
$$, 'nothing is charged for a billing period that starts on or after the termination');

SELECT * FROM finish();
ROLLBACK;
