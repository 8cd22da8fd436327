-- Property tests for trials and pauses (docs/trials-pauses-coupons.md): 40 generated
-- contracts (a monthly prepaid, a monthly postpaid and a quarterly prepaid line at random
-- quantities, calendar or anniversary alignment, pauses extending the term or not), about
-- half with a trial of 1 to 45 days (free, or paid at 25 %), go through random walks of
-- billing runs at random dates, pauses (with the resume date given, or open and resumed
-- later) and resumes, then one final run after every term has ended.
--
-- The oracle, computed here from the contract's dates, its trial and its pauses only (not
-- from its line versions): the paid days of each line are its term [start, end) less the
-- trial and the days paused; each piece of them inside a billing period is prorated by days
-- and rounded once (rr.prorate_amount; a whole period is quantity × price rounded once),
-- and the trial days likewise at the trial price.  What is charged for each line and
-- billing period, net of every credit, must equal it exactly, in minor units; nothing may be
-- charged on a paused line version, and the trial days of a free trial must net to 0.00.
-- The end of the term moves by the days paused exactly when the pause extends it.
BEGIN;
SELECT plan(7);
SELECT setseed(0.2468);

SELECT rr.create_tenant('tpp', 'Trial and pause properties', 'USD');
SELECT set_config('rr.tenant', 'tpp', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('tpp', 'SVC', 'Service', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('tpp', 'SVC', 'USD', 13.37);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity)
VALUES ('tpp', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', '1 month', 99),
       ('tpp', 'P', 'Monthly in arrears', 'USD', 'SVC', 'postpaid', '1 month', 99),
       ('tpp', 'Q', 'Quarterly', 'USD', 'SVC', 'prepaid', '3 months', 99);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override,
                                  refund_policy, pause_extends_term)
SELECT 'tpp', a || e::text, a || e::text, 1, 'year', a, true, 'prorated', e
  FROM unnest(ARRAY['calendar', 'anniversary']) a, unnest(ARRAY[false, true]) e;
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('tpp', 'C', 'Customer', 'USD');

CREATE TEMP TABLE k ON COMMIT DROP AS
SELECT rr.create_contract('C', (ARRAY['calendarfalse', 'calendartrue', 'anniversaryfalse', 'anniversarytrue'])[1 + i % 4],
                          make_date(2024, 1 + floor(random() * 6)::int, 1 + floor(random() * 28)::int),
                          jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                                             'P', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                                             'Q', jsonb_build_object('quantity', 1 + floor(random() * 9)))) AS id,
       random() < 0.5 AS has_trial, 1 + floor(random() * 45)::int AS trial_days,
       (ARRAY[0, 0, 25])[1 + floor(random() * 3)::int] AS trial_percent
  FROM generate_series(0, 39) i;
SELECT count(rr.add_trial(id, trial_days, trial_percent)) FROM k WHERE has_trial;
SELECT count(rr.setup_and_activate_contract(id)) FROM k;
-- the end of each term before any pause
CREATE TEMP TABLE k_end ON COMMIT DROP AS
SELECT contract_id, end_date AS first_end FROM rr.contract WHERE tenant_id = 'tpp';

-- the random walk: up to 8 steps per contract, each on a later date
CREATE FUNCTION pg_temp.walk() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c rr.contract;
    d date;
    last_version date;
    paused boolean;
    a float8;
    n integer := 0;
BEGIN
    FOR c IN SELECT * FROM rr.contract WHERE tenant_id = 'tpp' ORDER BY contract_id LOOP
        d := c.start_date;
        paused := false;
        FOR step IN 1..8 LOOP
            d := d + 5 + floor(random() * 45)::int;
            SELECT * INTO c FROM rr.contract WHERE tenant_id = 'tpp' AND contract_id = c.contract_id;
            EXIT WHEN d >= c.end_date - 1;
            SELECT max(effective_from) INTO last_version FROM rr.contract_line
             WHERE tenant_id = 'tpp' AND contract_id = c.contract_id;
            a := random();
            IF a < 0.4 THEN
                PERFORM rr.bill_contract(c.contract_id, d);
            ELSIF paused THEN
                PERFORM rr.resume_contract(c.contract_id, d);
                paused := false;
            ELSIF d > last_version AND a < 0.7 AND d + 60 < c.end_date THEN
                -- the resume given at once, 1 to 60 days later
                PERFORM rr.pause_contract(c.contract_id, d, d + 1 + floor(random() * 60)::int);
            ELSIF d > last_version THEN
                PERFORM rr.pause_contract(c.contract_id, d);
                paused := true;
            END IF;
            n := n + 1;
        END LOOP;
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.walk() > 100 AS walked;
SELECT count(*) FROM rr.end_trials('2026-12-31');
SELECT count(*) FROM rr.run_billing('2026-12-31');

-- the oracle: per contract line and billing period, the paid pieces (term less trial less
-- pauses) and the trial pieces, each prorated over its period and rounded once
CREATE TEMP TABLE oracle ON COMMIT DROP AS
WITH c AS (
    SELECT x.contract_id, x.start_date, x.end_date, x.alignment, t.trial, coalesce(t.price_percent, 0) AS pct,
           datemultirange(daterange(x.start_date, x.end_date))
               - coalesce(datemultirange(t.trial), '{}')
               - coalesce((SELECT range_agg(p.paused) FROM rr.contract_pause p
                            WHERE p.tenant_id = 'tpp' AND p.contract_id = x.contract_id), '{}') AS paid
      FROM rr.contract x
      LEFT JOIN rr.contract_trial t ON t.tenant_id = x.tenant_id AND t.contract_id = x.contract_id
     WHERE x.tenant_id = 'tpp'
), l AS (
    SELECT DISTINCT ON (v.contract_id, v.line_no) v.contract_id, v.line_no, v.quantity, v.billing_period
      FROM rr.contract_line v WHERE v.tenant_id = 'tpp' ORDER BY v.contract_id, v.line_no, v.effective_from DESC
), pieces AS (
    SELECT c.contract_id, c.alignment, c.start_date, x.piece, 13.37 AS price FROM c, unnest(c.paid) AS x (piece)
    UNION ALL
    SELECT c.contract_id, c.alignment, c.start_date, c.trial, 13.37 * c.pct / 100 FROM c WHERE c.trial IS NOT NULL
)
SELECT l.contract_id, l.line_no, rr.period_containing(lower(b), l.billing_period, a.anchor) AS period,
       sum(rr.prorate_amount(l.quantity * p.price, b, rr.period_containing(lower(b), l.billing_period, a.anchor),
                             'actual', 2)) AS amount
  FROM pieces p
  JOIN l ON l.contract_id = p.contract_id
 CROSS JOIN LATERAL (SELECT CASE WHEN p.alignment = 'anniversary' THEN p.start_date ELSE date '2000-01-01' END AS anchor) a
 CROSS JOIN LATERAL rr.billing_periods(lower(p.piece), upper(p.piece), l.billing_period, a.anchor) AS b
 GROUP BY 1, 2, 3;

CREATE TEMP TABLE billed ON COMMIT DROP AS
SELECT ch.contract_id, ch.line_no,
       rr.period_containing(lower(ch.service_period), v.billing_period,
                            CASE WHEN x.alignment = 'anniversary' THEN x.start_date ELSE date '2000-01-01' END) AS period,
       sum(ch.amount) AS amount
  FROM rr.charge ch
  JOIN rr.contract x ON x.tenant_id = ch.tenant_id AND x.contract_id = ch.contract_id
  JOIN rr.contract_line v ON v.tenant_id = ch.tenant_id AND v.contract_id = ch.contract_id AND v.line_no = ch.line_no
                         AND v.effective_from = ch.line_effective_from
 WHERE ch.tenant_id = 'tpp' AND ch.kind = 'recurring'
 GROUP BY 1, 2, 3;

-- (read first, here and below: on Citus a statement that reads only the distributed tables
-- goes to the tenant's worker whole, the assertion with it, and pgTAP's plan is here)
SELECT (SELECT count(*) FROM rr.contract_pause WHERE tenant_id = 'tpp') > 20
       AND (SELECT count(*) FROM rr.contract_pause WHERE tenant_id = 'tpp' AND extended_by > 0) > 3
       AND (SELECT count(*) FROM rr.contract_trial WHERE tenant_id = 'tpp') > 10
       AND (SELECT count(*) FROM rr.charge WHERE tenant_id = 'tpp' AND adjustment_seq > 0) > 5 AS enough \gset
SELECT ok(:'enough'::boolean, 'the walk paused, extended, trialled and credited enough contracts to mean something');

SELECT is_empty($$
    SELECT coalesce(o.contract_id, b.contract_id) AS contract_id, coalesce(o.line_no, b.line_no) AS line_no,
           coalesce(o.period, b.period) AS period, o.amount AS expected, b.amount AS billed
      FROM oracle o FULL JOIN billed b ON b.contract_id = o.contract_id AND b.line_no = o.line_no AND b.period = o.period
     WHERE coalesce(o.amount, 0) <> coalesce(b.amount, 0)
     ORDER BY 1, 2, 3 $$,
    'each line and billing period is billed, net of credits, exactly its paid days (and trial days at the trial price)');

SELECT is_empty($$
    SELECT ch.contract_id, ch.line_no, ch.service_period, ch.amount
      FROM rr.charge ch
      JOIN rr.contract_line v ON v.tenant_id = ch.tenant_id AND v.contract_id = ch.contract_id AND v.line_no = ch.line_no
                             AND v.effective_from = ch.line_effective_from
     WHERE ch.tenant_id = 'tpp' AND v.is_removed $$,
    'nothing is charged on a paused line version');

SELECT is_empty($$
    SELECT ch.contract_id, ch.line_no, sum(ch.amount)
      FROM rr.charge ch
      JOIN rr.contract_trial t ON t.tenant_id = ch.tenant_id AND t.contract_id = ch.contract_id
     WHERE ch.tenant_id = 'tpp' AND t.price_percent = 0 AND ch.line_effective_from < upper(t.trial)
     GROUP BY 1, 2 HAVING sum(ch.amount) <> 0 $$,
    'the days of a free trial net to 0.00');

SELECT is_empty($$
    SELECT x.contract_id, x.end_date, e.first_end, x.pause_extends_term,
           (SELECT sum(upper(p.paused) - lower(p.paused)) FROM rr.contract_pause p
             WHERE p.tenant_id = 'tpp' AND p.contract_id = x.contract_id AND NOT upper_inf(p.paused)) AS days_paused
      FROM rr.contract x JOIN k_end e USING (contract_id)
     WHERE x.tenant_id = 'tpp'
       AND x.end_date <> e.first_end + CASE WHEN x.pause_extends_term
                                            THEN coalesce((SELECT sum(upper(p.paused) - lower(p.paused))::int
                                                             FROM rr.contract_pause p
                                                            WHERE p.tenant_id = 'tpp' AND p.contract_id = x.contract_id
                                                              AND NOT upper_inf(p.paused)), 0)
                                            ELSE 0 END $$,
    'the term moves by the days paused exactly when the pauses extend it');

-- the MRR the workflows kept (rr.contract_mrr) is the definition's on every date it can
-- change on and the day before (src/sql/50_billing/22_contract_mrr.sql)
SELECT ok((SELECT count(*) FROM rr.contract_mrr) > 0, 'the workflows kept MRR steps');
SELECT is_empty($$SELECT * FROM rr_internal.contract_mrr_drift()$$,
                'the MRR kept by the workflows is the definition''s on every date it can change on');
SELECT * FROM finish();
ROLLBACK;
