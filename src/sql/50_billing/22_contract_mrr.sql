-- The MRR of each contract over time, kept by the workflows that change it (docs/reports.md,
-- "MRR and ARR"): rr.mrr_as_of and the MRR movement read it instead of computing the
-- definition (rr_internal.mrr_on_day, src/sql/87_reports/10_mrr.sql) over every line version,
-- discount and contract of the tenant on each call.
--
-- A contract's MRR is a step function of the date: it changes only on its activation, on
-- the date a line version takes effect, on the first and the day after the last day of a
-- discount without a period limit, and at its end (end date, termination or closing).  A
-- row holds one step: the MRR on every day of [valid_from, valid_to), computed by the
-- definition on valid_from.  Days on which the contract is not in force, or has no line
-- that counts, have no row (as rr.mrr_as_of returns no row for it then).
--
-- Written only by rr_internal.refresh_contract_mrr, which every workflow that changes what
-- MRR reads calls for the contracts it changed, in the same transaction (activation,
-- termination and closing; line changes and amendments; renewals; price changes; trials and
-- pauses; discounts and coupons); rr.refresh_mrr() rebuilds a tenant's rows (after a
-- contract item is edited into or out of a deposit item by hand).  The tests compare it
-- with the definition on every date it can change (rr_internal.contract_mrr_drift).  Here, in
-- the billing layer, because the workflows that write it start here (discounts); the
-- reports read it (src/sql/87_reports/).

-- The monthly value a line version counts in MRR before discounts: rr_internal.monthly_value
-- of quantity × recurring price, or of a flat price model's fee; 0 when the line counts but
-- has no value (a period without a month or a day: it adds nothing, as GREATEST(NULL, 0)
-- did); NULL when it counts nothing (removed, billed on demand, without a recurring price,
-- or priced by another price model).  The reports compute it once per line version, in the
-- node that reads the versions, and keep the lines whose value IS NOT NULL: a test the
-- planner estimates as nearly every row (a CASE in a WHERE clause is estimated at a third
-- of the rows, which turned the joins after it into nested loops).  Inlined (RETURN).
CREATE FUNCTION rr_internal.mrr_line_value(is_removed boolean, billing_period interval, price_model rr.pricing,
                                           quantity numeric, recurring_price numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN is_removed OR billing_period IS NULL THEN NULL
            WHEN price_model IS NULL
            THEN CASE WHEN recurring_price IS NOT NULL
                      THEN coalesce(rr_internal.monthly_value(quantity, recurring_price, billing_period), 0) END
            -- a flat price model bills its fee every period, whatever the usage
            WHEN rr.pricing_model(price_model) OPERATOR(pg_catalog.=) 'flat'
            THEN coalesce(rr_internal.monthly_value(1, rr.price(price_model, 0), billing_period), 0) END;
COMMENT ON FUNCTION rr_internal.mrr_line_value(boolean, interval, rr.pricing, numeric, numeric) IS 'internal: the monthly value a contract line version counts in MRR before discounts (0 when it counts but has none), NULL when it counts nothing (removed, on demand, no recurring price, a price model other than flat); docs/reports.md, "MRR and ARR"';
REVOKE ALL ON FUNCTION rr_internal.mrr_line_value(boolean, interval, rr.pricing, numeric, numeric) FROM PUBLIC;

CREATE TABLE rr.contract_mrr (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date NOT NULL,
    customer    text NOT NULL,
    currency    char(3) NOT NULL,
    mrr         numeric NOT NULL,
    CONSTRAINT contract_mrr_pkey PRIMARY KEY (tenant_id, contract_id, valid_from),
    CONSTRAINT contract_mrr_valid_check CHECK (valid_from < valid_to)
    -- the contract: no foreign key (the rows are derived, rewritten with the contract's
    -- changes by the function that writes them)
);
COMMENT ON TABLE rr.contract_mrr IS 'the MRR of each contract as a step function of the date, kept by the workflows that change it (rr_internal.refresh_contract_mrr): its MRR on every day of [valid_from, valid_to); no row for days it is not in force or has no line that counts; rr.mrr_as_of and rr.mrr_movement read it (docs/reports.md, "MRR and ARR")';
COMMENT ON COLUMN rr.contract_mrr.valid_from IS 'the first day of the step: the activation, a line version''s or a discount''s first day, or the day after a discount''s last';
COMMENT ON COLUMN rr.contract_mrr.valid_to IS 'the day after the step''s last day: the next step''s valid_from, or the contract''s end (the first of end, termination and closing dates; infinity without one)';
COMMENT ON COLUMN rr.contract_mrr.customer IS 'the contract''s customer';
COMMENT ON COLUMN rr.contract_mrr.currency IS 'the contract currency';
COMMENT ON COLUMN rr.contract_mrr.mrr IS 'monthly recurring revenue on each day of the step, rounded to the currency (the definition of rr.mrr_as_of)';
CREATE TRIGGER contract_mrr_no_truncate
    BEFORE TRUNCATE ON rr.contract_mrr
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- Rewrites the MRR steps of the given contracts of a tenant from the facts: the definition of
-- rr_internal.mrr_on_day evaluated on each date the MRR can change.  Set-based (a batch of
-- renewals passes all its contracts); one statement each for the old rows and the new, both
-- filtered by the tenant.  On Citus it is delegated to the tenant's worker
-- (rr_internal.refresh_contract_mrr calls it): run on the coordinator, its INSERT ... SELECT
-- copied the rows through a second connection, and a transaction that also planned revenue
-- (work tables on the worker) could not commit (docs/scale-out.md).
CREATE FUNCTION rr_internal.write_contract_mrr(tenant_id text, contract_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM rr.contract_mrr m
     WHERE m.tenant_id = write_contract_mrr.tenant_id AND m.contract_id = ANY (write_contract_mrr.contract_ids);
    INSERT INTO rr.contract_mrr (tenant_id, contract_id, valid_from, valid_to, customer, currency, mrr)
    WITH k AS (
        -- the contracts activated, with the day after their last day in force
        SELECT k.tenant_id, k.contract_id, k.customer, k.currency, k.billing_period, k.billing_days,
               k.activation_date AS a,
               coalesce(LEAST(k.end_date, k.termination_date, k.closed_date), 'infinity'::date) AS e
          FROM rr.contract k
         WHERE k.tenant_id = write_contract_mrr.tenant_id AND k.contract_id = ANY (write_contract_mrr.contract_ids)
           AND k.activation_date IS NOT NULL
    ), lv AS (
        -- every line version with its value and the date the line's next version takes over
        SELECT l.contract_id, l.line_no, l.effective_from, l.billing_period,
               rr_internal.mrr_line_value(l.is_removed, l.billing_period, l.price_model, l.quantity, l.recurring_price) AS monthly,
               -- a flat price model's fee: billed whatever the discounts, which apply to
               -- recurring prices only (rr_internal.due_charges)
               l.price_model IS NOT NULL AS is_model,
               lead(l.effective_from, 1, 'infinity'::date) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS next_from,
               NOT EXISTS (SELECT FROM rr.contract_item ci
                            WHERE ci.tenant_id = write_contract_mrr.tenant_id AND ci.code = l.contract_item
                              AND ci.billing_type = 'deposit') AS counts
          FROM rr.contract_line l
         WHERE l.tenant_id = write_contract_mrr.tenant_id AND l.contract_id = ANY (write_contract_mrr.contract_ids)
    ), dsc AS (
        -- the discounts without a period limit (limited ones leave MRR as contracted)
        SELECT d.contract_id, d.line_no, d.kind, d.value, d.valid
          FROM rr.discount d
         WHERE d.tenant_id = write_contract_mrr.tenant_id AND d.contract_id = ANY (write_contract_mrr.contract_ids)
           AND d.first_periods IS NULL
    ), pts AS (
        -- the dates the MRR can change on while the contract is in force
        SELECT k.contract_id, k.a AS p FROM k WHERE k.a < k.e
        UNION
        SELECT k.contract_id, l.effective_from
          FROM k JOIN lv l ON l.contract_id = k.contract_id
         WHERE l.effective_from > k.a AND l.effective_from < k.e
        UNION
        SELECT k.contract_id, b.p
          FROM k JOIN dsc d ON d.contract_id = k.contract_id,
               LATERAL (VALUES (lower(d.valid)), (upper(d.valid))) AS b (p)
         WHERE b.p > k.a AND b.p < k.e
    ), seg AS (
        SELECT k.contract_id, k.customer, k.currency, k.billing_period, k.billing_days, p.p,
               lead(p.p, 1, k.e) OVER (PARTITION BY p.contract_id ORDER BY p.p) AS q
          FROM pts p JOIN k ON k.contract_id = p.contract_id
    ), sl AS (
        -- each step's lines in force that count
        SELECT s.contract_id, s.p, l.line_no, l.monthly, l.billing_period, l.is_model
          FROM seg s
          JOIN lv l ON l.contract_id = s.contract_id AND l.effective_from <= s.p AND s.p < l.next_from
         WHERE l.monthly IS NOT NULL AND l.counts
    ), ds AS (
        -- each step's discounts in force per line (line_no NULL: contract-wide): percents
        -- summed, amounts per billing period summed
        SELECT s.contract_id, s.p, d.line_no,
               sum(d.value) FILTER (WHERE d.kind = 'percent') AS pct,
               sum(d.value) FILTER (WHERE d.kind = 'amount') AS amt
          FROM seg s JOIN dsc d ON d.contract_id = s.contract_id AND (d.valid IS NULL OR d.valid @> s.p)
         GROUP BY s.contract_id, s.p, d.line_no
    ), n AS (
        -- each line net of its percents (its own and the contract's, at most 100) and
        -- amounts, a line without discounts its value, summed per step
        SELECT l.contract_id, l.p,
               sum(CASE WHEN dl.contract_id IS NULL AND dc.contract_id IS NULL THEN GREATEST(l.monthly, 0)
                        ELSE GREATEST(l.monthly * (1 - (LEAST(coalesce(dl.pct, 0) + coalesce(dc.pct, 0), 100) / 100))
                                      - coalesce(rr_internal.monthly_value(1, dl.amt, l.billing_period), 0),
                                      0) END) FILTER (WHERE NOT l.is_model) AS monthly,
               sum(GREATEST(l.monthly, 0)) FILTER (WHERE l.is_model) AS model,
               max(dc.amt) AS contract_amt
          FROM sl l
          LEFT JOIN ds dl ON dl.contract_id = l.contract_id AND dl.p = l.p AND dl.line_no = l.line_no
          LEFT JOIN ds dc ON dc.contract_id = l.contract_id AND dc.p = l.p AND dc.line_no IS NULL
         GROUP BY l.contract_id, l.p
    )
    -- then the contract's amounts per contract billing period, rounded once
    SELECT write_contract_mrr.tenant_id, s.contract_id, s.p, s.q, s.customer, s.currency,
           round(GREATEST(coalesce(n.monthly, 0) - CASE WHEN n.contract_amt IS NULL THEN 0
                                                        ELSE rr_internal.monthly_value(1, n.contract_amt,
                                                                                       rr.billing_interval(s.billing_period, s.billing_days)) END,
                          0) + coalesce(n.model, 0), rr.minor_units(s.currency))
      FROM seg s
      JOIN n ON n.contract_id = s.contract_id AND n.p = s.p;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.write_contract_mrr(text, bigint[]) IS 'internal: rewrites the rows of rr.contract_mrr of the given contracts from their contract, line versions, discounts and contract items (the definition of rr_internal.mrr_on_day on each date their MRR can change); returns the number of steps written; called through rr_internal.refresh_contract_mrr, and delegated to the tenant''s worker on Citus';
REVOKE ALL ON FUNCTION rr_internal.write_contract_mrr(text, bigint[]) FROM PUBLIC;

-- What every workflow that changes what MRR reads calls, for the contracts it changed:
-- rr_internal.write_contract_mrr as a statement of its own with constant arguments, which
-- Citus delegates to the tenant's worker once rr.distribute() has distributed it (called in
-- the FROM clause: Citus 13.2 ran "SELECT rr_internal.write_contract_mrr(...)" on the
-- coordinator).
CREATE FUNCTION rr_internal.refresh_contract_mrr(tenant_id text, contract_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    EXECUTE format('SELECT w.n FROM rr_internal.write_contract_mrr(%L::text, %L::bigint[]) AS w (n)',
                   refresh_contract_mrr.tenant_id, refresh_contract_mrr.contract_ids)
       INTO n;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.refresh_contract_mrr(text, bigint[]) IS 'internal: rewrites the MRR steps (rr.contract_mrr) of the given contracts by rr_internal.write_contract_mrr, as a statement of its own with constant arguments, which Citus delegates to the tenant''s worker; called by every workflow that changes lines, discounts or a contract''s dates, for the contracts it changed; returns the number of steps written';
REVOKE ALL ON FUNCTION rr_internal.refresh_contract_mrr(text, bigint[]) FROM PUBLIC;

