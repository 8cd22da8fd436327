-- Property tests for billing (docs/billing.md, docs/testing.md): 150 generated contracts (month-end
-- and leap-day starts, anniversary and calendar alignment, monthly, quarterly, fortnightly
-- and yearly lines, random quantities) billed twice, once in a single run after the end of
-- their terms and once night after night on every month end, in two tenants.
BEGIN;
SELECT plan(7);
SELECT setseed(0.2468);

CREATE FUNCTION pg_temp.catalog(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr.create_tenant(t, 'Billing properties ' || t, 'USD');
    PERFORM set_config('rr.tenant', t, true);
    INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
    VALUES (t, 'SVC', 'Service', '4000', '2100', '1100');
    INSERT INTO rr.item_price VALUES (t, 'SVC', 'USD', 37.37);
    INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, billing_period, max_quantity)
    VALUES (t, 'M', 'Monthly', 'USD', 'SVC', 'prepaid', '1 month', 9),
           (t, 'Q', 'Quarterly in arrears', 'USD', 'SVC', 'postpaid', '3 months', 9),
           (t, 'W', 'Fortnightly', 'USD', 'SVC', 'prepaid', '2 weeks', 9),
           (t, 'Y', 'Yearly', 'USD', 'SVC', 'prepaid', '1 year', 9);
    INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override)
    VALUES (t, 'anniversary', 'Anniversary', 1, 'year', 'anniversary', true),
           (t, 'calendar', 'Calendar', 1, 'year', 'calendar', true);
    INSERT INTO rr.template_line
    SELECT t, tp, n, ci, 1 FROM unnest(ARRAY['anniversary', 'calendar']) tp,
                                 unnest(ARRAY['M', 'Q', 'W', 'Y']) WITH ORDINALITY AS x(ci, n);
    INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES (t, 'C', 'Customer', 'USD');
END $$;
SELECT pg_temp.catalog('bp1'), pg_temp.catalog('bp2');

CREATE TEMP TABLE spec ON COMMIT DROP AS
SELECT i, (ARRAY['anniversary', 'calendar'])[1 + floor(random() * 2)::int] AS template,
       (make_date(2024, 1 + floor(random() * 12)::int, 1)
        + (ARRAY[0, 14, 27, 28, 29, 30])[1 + floor(random() * 6)::int])::date AS start,
       jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Q', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'W', jsonb_build_object('quantity', 1 + floor(random() * 9)),
                          'Y', jsonb_build_object('quantity', 1 + floor(random() * 9))) AS overrides
  FROM generate_series(1, 150) AS i;

CREATE FUNCTION pg_temp.contracts(t text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('rr.tenant', t, true);
    RETURN (SELECT count(rr.setup_and_activate_contract(rr.create_contract('C', s.template, s.start, s.overrides, s.i::text)))
              FROM spec s);
END $$;
SELECT pg_temp.contracts('bp1'), pg_temp.contracts('bp2');

-- bp1: one run after every term has ended; bp2: a run on every month end
SELECT set_config('rr.tenant', 'bp1', true);
SELECT count(*) FROM rr.run_billing('2026-01-01');
SELECT set_config('rr.tenant', 'bp2', true);
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2026-02-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(upper(m) - 1);

CREATE TEMP TABLE billed ON COMMIT DROP AS
SELECT ch.tenant_id, k.description::int AS i, ch.line_no, ch.kind, ch.service_period, ch.quantity, ch.amount,
       l.billing_period AS every, k.start_date, k.end_date, k.alignment
  FROM rr.charge ch
  JOIN rr.contract k USING (tenant_id, contract_id)
  JOIN rr.contract_line l ON l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                         AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from
 WHERE ch.tenant_id IN ('bp1', 'bp2');

SELECT cmp_ok((SELECT count(*) FROM billed WHERE tenant_id = 'bp1'), '>', 6000::bigint,
              'more than 6,000 charges for 150 contracts');

SELECT is_empty($$
    (SELECT i, line_no, kind, service_period, amount FROM billed WHERE tenant_id = 'bp1'
     EXCEPT ALL
     SELECT i, line_no, kind, service_period, amount FROM billed WHERE tenant_id = 'bp2')
    UNION ALL
    (SELECT i, line_no, kind, service_period, amount FROM billed WHERE tenant_id = 'bp2'
     EXCEPT ALL
     SELECT i, line_no, kind, service_period, amount FROM billed WHERE tenant_id = 'bp1')
$$, 'billing night after night gives exactly the charges of one run at the end');

SELECT is_empty($$
    SELECT tenant_id, i, line_no, service_period, next_lo, start_date, end_date
      FROM (SELECT b.*, lead(lower(service_period)) OVER w AS next_lo,
                   row_number() OVER w AS k, count(*) OVER (PARTITION BY tenant_id, i, line_no) AS n
              FROM billed b WHERE kind = 'recurring'
            WINDOW w AS (PARTITION BY tenant_id, i, line_no ORDER BY lower(service_period))) x
     WHERE (k = 1 AND lower(service_period) <> start_date)
        OR (k = n AND upper(service_period) <> end_date)
        OR (k < n AND upper(service_period) <> next_lo)
     LIMIT 5
$$, 'each line''s recurring charges tile its term: no gap, no overlap, nothing missed');

-- The contracted amount, computed here from the periods: whole periods at quantity × price,
-- partial ones by days with an exact division, each rounded once.
SELECT is_empty($$
    WITH lines AS (
        SELECT DISTINCT i, line_no, quantity, every, start_date, end_date,
               rr.billing_anchor(alignment, start_date, every) AS anchor
          FROM billed WHERE tenant_id = 'bp1' AND kind = 'recurring'
    ), expected AS (
        SELECT l.i, l.line_no,
               sum(CASE WHEN p = f THEN round(l.quantity * 37.37, 2)
                        ELSE round((l.quantity * 37.37 * (upper(p) - lower(p)))::numeric(1000, 60)
                                   / (upper(f) - lower(f)), 2) END) AS amount
          FROM lines l
          CROSS JOIN LATERAL rr.billing_periods(l.start_date, l.end_date, l.every, l.anchor) p
          CROSS JOIN LATERAL rr.period_containing(lower(p), l.every, l.anchor) f
         GROUP BY l.i, l.line_no
    ), got AS (
        SELECT i, line_no, sum(amount) AS amount FROM billed
         WHERE tenant_id = 'bp1' AND kind = 'recurring' GROUP BY i, line_no
    )
    SELECT e.i, e.line_no, e.amount AS expected, g.amount AS billed
      FROM expected e FULL JOIN got g USING (i, line_no)
     WHERE e.amount IS DISTINCT FROM g.amount
     LIMIT 5
$$, 'billed amounts over the full term equal the contracted amounts exactly');

SELECT is_empty($$
    SELECT tenant_id, i, amount FROM billed WHERE scale(amount) <> 2 OR amount <> round(amount, 2) LIMIT 5
$$, 'every charge is a whole number of cents');

SELECT is_empty($$
    SELECT r.tenant_id, r.invoice_id, r.total
      FROM rr.invoice_register r
     WHERE r.tenant_id IN ('bp1', 'bp2')
       AND r.total IS DISTINCT FROM (SELECT sum(l.amount) FROM rr.invoice_line l
                                      WHERE l.tenant_id = r.tenant_id AND l.invoice_id = r.invoice_id)
$$, 'every invoice total is the exact sum of its lines');

SELECT is_empty($$
    SELECT c.tenant_id, c.charge_id FROM rr.charge c
     WHERE c.tenant_id IN ('bp1', 'bp2')
       AND NOT EXISTS (SELECT FROM rr.invoice_line l WHERE l.tenant_id = c.tenant_id AND l.charge_id = c.charge_id)
     LIMIT 5
$$, 'every charge is on exactly one invoice line');

SELECT * FROM finish();
ROLLBACK;
