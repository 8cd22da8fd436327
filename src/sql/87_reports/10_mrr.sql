-- Monthly and annual recurring revenue (docs/reports.md, "MRR and ARR"): the recurring
-- value each contract is in force for on a date, and its movement between two dates
-- (new, expansion, contraction, churn, reactivation) per customer, a bridge that adds up.
--
-- Definitions, one place:
-- - A contract counts on day D when it was activated on or before D and D is before its
--   end (end date, termination date or closing date, whichever is first; all exclusive).
-- - Each line version in force on D counts quantity × recurring price per month of its
--   billing period (rr_internal.monthly_value), or the fee of a flat price model.  Lines
--   priced by another price model (usage: variable), removed lines, deposits and one-off
--   fees (setup, renewal) count nothing.
-- - Discounts in force on D without a period limit (no first_periods; D within their dates)
--   reduce it in billing's order: percents on the line and contract-wide, then amounts on
--   the line (per the line's billing period), then contract-wide amounts (per the
--   contract's billing period); never below zero.  Discounts limited to the first N
--   periods are introductory offers and leave MRR as contracted.
-- - Each contract's MRR is rounded once to its currency's minor units; a customer's MRR is
--   the sum of its contracts', and ARR is 12 × MRR.  So every total adds up exactly.

-- A report window [from_date, to_date) must hold at least one day.
CREATE FUNCTION rr_internal.check_report_window(from_date date, to_date date)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_date <= from_date THEN
        RAISE EXCEPTION 'report window [%, %) is empty', from_date, to_date
            USING ERRCODE = '22023',
                  DETAIL = 'A report window runs from from_date (included) to to_date (excluded).',
                  HINT = 'Pass a to_date after from_date: for March 2024, from 2024-03-01 to 2024-04-01.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr_internal.check_report_window(date, date) IS 'internal: true when [from_date, to_date) holds at least one day; refuses an empty window with SQLSTATE 22023';
REVOKE ALL ON FUNCTION rr_internal.check_report_window(date, date) FROM PUBLIC;

-- A report's date must be given (a report that is not STRICT, so that it is inlined into its
-- caller's query, refuses NULL itself).
CREATE FUNCTION rr_internal.check_report_date(as_of date)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'report date must not be NULL' USING ERRCODE = '22004',
              HINT = 'Pass the date the report answers as of: current_date for today.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr_internal.check_report_date(date) IS 'internal: true for a report date that is not NULL; refuses NULL with SQLSTATE 22004';
REVOKE ALL ON FUNCTION rr_internal.check_report_date(date) FROM PUBLIC;

-- A forecast horizon is 1 to 1,200 months.
CREATE FUNCTION rr_internal.check_report_months(months integer)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF months IS NULL OR months NOT BETWEEN 1 AND 1200 THEN
        RAISE EXCEPTION 'a forecast covers 1 to 1200 months, not %', coalesce(months::text, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Pass months => 12 for this month and the next eleven.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr_internal.check_report_months(integer) IS 'internal: true when a forecast horizon of months is 1 to 1200; refuses any other with SQLSTATE 22023';
REVOKE ALL ON FUNCTION rr_internal.check_report_months(integer) FROM PUBLIC;

-- A report by month covers 1 to 1,200 calendar months of finite dates.
CREATE FUNCTION rr_internal.check_report_month_count(from_date date, to_date date)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT isfinite(from_date) OR NOT isfinite(to_date)
       OR to_date > (from_date + interval '1200 months')::date THEN
        RAISE EXCEPTION 'a report by month covers at most 1200 months, not [%, %)', from_date, to_date
            USING ERRCODE = '22023',
                  DETAIL = 'It has one row per calendar month of the window, which must have finite ends.',
                  HINT = 'Pass a window of whole years: for 2024, from 2024-01-01 to 2025-01-01.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr_internal.check_report_month_count(date, date) IS 'internal: true when [from_date, to_date) has finite ends and at most 1200 months (100 years); refuses any other with SQLSTATE 22023';
REVOKE ALL ON FUNCTION rr_internal.check_report_month_count(date, date) FROM PUBLIC;

-- (a BEGIN ATOMIC body, bound when it is created: a PL/pgSQL body that called the window
-- check by name was parsed as its caller, and an analyst, who has no USAGE on schema
-- rr_internal, got "permission denied for schema rr_internal" from every report by month)
CREATE FUNCTION rr_internal.check_report_month_range(from_date date, to_date date)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT rr_internal.check_report_window(check_report_month_range.from_date, check_report_month_range.to_date)
           AND rr_internal.check_report_month_count(check_report_month_range.from_date,
                                                    check_report_month_range.to_date);
END;
COMMENT ON FUNCTION rr_internal.check_report_month_range(date, date) IS 'internal: true when [from_date, to_date) is a window of at least one day, finite, of at most 1200 months (100 years); refuses any other with SQLSTATE 22023';
REVOKE ALL ON FUNCTION rr_internal.check_report_month_range(date, date) FROM PUBLIC;

-- MRR of each contract on two days in one pass over each table (the movement asks for two;
-- rr_internal.mrr_on_day reads one): a row per contract in force on either day, its MRR on each
-- (NULL on a day it counts nothing).  Not STRICT, so that it is inlined into its callers.
CREATE FUNCTION rr_internal.mrr_on_days(first_day date, second_day date)
RETURNS TABLE (contract_id bigint, customer text, currency char(3), first_mrr numeric, second_mrr numeric)
LANGUAGE sql STABLE ROWS 1000
BEGIN ATOMIC
    -- set-based, one pass over each table (no per-contract lookups): every line version with
    -- the date the next version of its line takes over (a version is in force on D from its
    -- date to the next one's, whatever that next version is), the discounts in force on
    -- each day summed per line and per contract, the contracts in force on either day
    WITH lv AS (
        SELECT l.contract_id, l.line_no, l.effective_from, l.billing_period, l.contract_item,
               rr_internal.mrr_line_value(l.is_removed, l.billing_period, l.price_model, l.quantity, l.recurring_price) AS monthly,
               -- a flat price model's fee: billed whatever the discounts, which apply to
               -- recurring prices only (rr_internal.due_charges)
               l.price_model IS NOT NULL AS is_model,
               -- the next version's date, infinity for the last (not NULL: a test of IS NULL on
               -- a window's output is estimated at 0.5 % of the rows, which led to nested loops)
               lead(l.effective_from, 1, 'infinity'::date) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS next_from
          FROM rr.contract_line l
         WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND l.effective_from OPERATOR(pg_catalog.<=) GREATEST(mrr_on_days.first_day, mrr_on_days.second_day)
    ), v AS (
        SELECT l.contract_id, l.line_no, l.billing_period,
               l.effective_from OPERATOR(pg_catalog.<=) mrr_on_days.first_day
               AND l.next_from OPERATOR(pg_catalog.>) mrr_on_days.first_day AS in1,
               l.effective_from OPERATOR(pg_catalog.<=) mrr_on_days.second_day
               AND l.next_from OPERATOR(pg_catalog.>) mrr_on_days.second_day AS in2,
               l.monthly, l.is_model
          FROM lv l
         WHERE l.monthly IS NOT NULL
           -- deposits count nothing (an anti-join with the tenant's deposit items, estimated
           -- as the lines it keeps; a <> ALL of an array read once is estimated at 0.1 %)
           AND NOT EXISTS (SELECT FROM rr.contract_item ci
                            WHERE ci.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                              AND ci.code OPERATOR(pg_catalog.=) l.contract_item
                              AND ci.billing_type OPERATOR(pg_catalog.=) 'deposit')
    ), d AS (
        -- discounts in force on each day without a period limit, per line, and (dc) the
        -- contract-wide ones per contract: percents summed, amounts per billing period
        -- summed; apart, so that each is estimated from the table's statistics (one CTE
        -- filtered for line_no IS NULL was estimated at 0.5 % of its rows)
        SELECT d.contract_id, d.line_no,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.first_day)) AS pct1,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.first_day)) AS amt1,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.second_day)) AS pct2,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.second_day)) AS amt2
          FROM rr.discount d
         WHERE d.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND d.first_periods IS NULL
           AND d.line_no IS NOT NULL
         GROUP BY d.contract_id, d.line_no
    ), dc AS (
        SELECT d.contract_id,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.first_day)) AS pct1,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.first_day)) AS amt1,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.second_day)) AS pct2,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount'
                                      AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_days.second_day)) AS amt2
          FROM rr.discount d
         WHERE d.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND d.first_periods IS NULL
           AND d.line_no IS NULL
         GROUP BY d.contract_id
    ), n AS (
        -- each line of a contract in force on either day net of its percents (its own and
        -- the contract's, at most 100) and amounts, on each day it is in force, a line
        -- without discounts its value, summed per contract.  The contracts are joined before
        -- the sum, grouped by their key (whose number of values the statistics know, as in
        -- rr_internal.mrr_on_day)
        SELECT k.contract_id, k.customer, k.currency, k.billing_period, k.billing_days,
               k.activation_date OPERATOR(pg_catalog.<=) mrr_on_days.first_day
               AND mrr_on_days.first_day OPERATOR(pg_catalog.<)
                   coalesce(LEAST(k.end_date, k.termination_date, k.closed_date), 'infinity'::date) AS in1,
               k.activation_date OPERATOR(pg_catalog.<=) mrr_on_days.second_day
               AND mrr_on_days.second_day OPERATOR(pg_catalog.<)
                   coalesce(LEAST(k.end_date, k.termination_date, k.closed_date), 'infinity'::date) AS in2,
               bool_or(v.in1) AS has1, bool_or(v.in2) AS has2,
               sum(CASE WHEN dl.contract_id IS NULL AND dc.contract_id IS NULL THEN GREATEST(v.monthly, 0)
                        ELSE GREATEST(v.monthly OPERATOR(pg_catalog.*)
                                      (1 OPERATOR(pg_catalog.-) (LEAST(coalesce(dl.pct1, 0) OPERATOR(pg_catalog.+) coalesce(dc.pct1, 0), 100)
                                                                 OPERATOR(pg_catalog./) 100))
                                      OPERATOR(pg_catalog.-) coalesce(rr_internal.monthly_value(1, dl.amt1, v.billing_period), 0),
                                      0) END) FILTER (WHERE v.in1 AND NOT v.is_model) AS monthly1,
               sum(CASE WHEN dl.contract_id IS NULL AND dc.contract_id IS NULL THEN GREATEST(v.monthly, 0)
                        ELSE GREATEST(v.monthly OPERATOR(pg_catalog.*)
                                      (1 OPERATOR(pg_catalog.-) (LEAST(coalesce(dl.pct2, 0) OPERATOR(pg_catalog.+) coalesce(dc.pct2, 0), 100)
                                                                 OPERATOR(pg_catalog./) 100))
                                      OPERATOR(pg_catalog.-) coalesce(rr_internal.monthly_value(1, dl.amt2, v.billing_period), 0),
                                      0) END) FILTER (WHERE v.in2 AND NOT v.is_model) AS monthly2,
               sum(GREATEST(v.monthly, 0)) FILTER (WHERE v.in1 AND v.is_model) AS model1,
               sum(GREATEST(v.monthly, 0)) FILTER (WHERE v.in2 AND v.is_model) AS model2,
               max(dc.amt1) AS contract_amt1, max(dc.amt2) AS contract_amt2
          FROM v
          JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND k.contract_id OPERATOR(pg_catalog.=) v.contract_id
          LEFT JOIN d dl ON dl.contract_id OPERATOR(pg_catalog.=) v.contract_id AND dl.line_no OPERATOR(pg_catalog.=) v.line_no
          LEFT JOIN dc ON dc.contract_id OPERATOR(pg_catalog.=) v.contract_id
         WHERE (v.in1 OR v.in2)
           AND k.activation_date OPERATOR(pg_catalog.<=) GREATEST(mrr_on_days.first_day, mrr_on_days.second_day)
         GROUP BY k.tenant_id, k.contract_id
    )
    SELECT n.contract_id, n.customer, n.currency,
           CASE WHEN n.in1 AND n.has1 THEN
               -- then the contract's amounts per contract billing period
               round(GREATEST(coalesce(n.monthly1, 0) OPERATOR(pg_catalog.-)
                              CASE WHEN n.contract_amt1 IS NULL THEN 0
                                   ELSE rr_internal.monthly_value(1, n.contract_amt1,
                                                                  rr.billing_interval(n.billing_period, n.billing_days)) END,
                              0) OPERATOR(pg_catalog.+) coalesce(n.model1, 0), cur.minor_units) END,
           CASE WHEN n.in2 AND n.has2 THEN
               round(GREATEST(coalesce(n.monthly2, 0) OPERATOR(pg_catalog.-)
                              CASE WHEN n.contract_amt2 IS NULL THEN 0
                                   ELSE rr_internal.monthly_value(1, n.contract_amt2,
                                                                  rr.billing_interval(n.billing_period, n.billing_days)) END,
                              0) OPERATOR(pg_catalog.+) coalesce(n.model2, 0), cur.minor_units) END
      FROM n
      JOIN rr.currency cur ON cur.code OPERATOR(pg_catalog.=) n.currency
     WHERE (n.in1 AND n.has1) OR (n.in2 AND n.has2);
END;
COMMENT ON FUNCTION rr_internal.mrr_on_days(date, date) IS 'internal: the MRR of each contract in force on first_day or second_day, on each (NULL on a day it counts nothing), in one pass: the definition of rr.mrr_as_of (docs/reports.md, "MRR and ARR")';
REVOKE ALL ON FUNCTION rr_internal.mrr_on_days(date, date) FROM PUBLIC;

-- MRR of each contract on one day (rr.mrr_as_of): the same definition as
-- rr_internal.mrr_on_days, read for one day only.  The version of each line in force on the
-- day is its latest from that day or before, found with DISTINCT ON in the primary key's
-- order (a backward index scan, or one sort: no window function); its value is computed
-- there once; the discounts in force on the day are summed per line and per contract; the
-- lines are joined with the contracts in force and summed per contract, then rounded to
-- the currency.  sql/reports.sql checks it against rr_internal.mrr_on_days on 156 days of
-- changes, discounts and terminations.  Not STRICT, so that it is inlined into
-- rr.mrr_as_of.
CREATE FUNCTION rr_internal.mrr_on_day(day date)
RETURNS TABLE (contract_id bigint, customer text, currency char(3), mrr numeric)
LANGUAGE sql STABLE ROWS 1000
BEGIN ATOMIC
    WITH lv AS (
        SELECT DISTINCT ON (l.contract_id, l.line_no)
               l.contract_id, l.line_no, l.billing_period, l.contract_item,
               rr_internal.mrr_line_value(l.is_removed, l.billing_period, l.price_model, l.quantity, l.recurring_price) AS monthly
          FROM rr.contract_line l
         WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND l.effective_from OPERATOR(pg_catalog.<=) mrr_on_day.day
         ORDER BY l.contract_id DESC, l.line_no DESC, l.effective_from DESC
    ), d AS (
        -- discounts in force on the day without a period limit, per line, and (dc) the
        -- contract-wide ones per contract: percents summed, amounts per billing period summed
        SELECT d.contract_id, d.line_no,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent') AS pct,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount') AS amt
          FROM rr.discount d
         WHERE d.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND d.first_periods IS NULL
           AND d.line_no IS NOT NULL
           AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_day.day)
         GROUP BY d.contract_id, d.line_no
    ), dc AS (
        SELECT d.contract_id,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'percent') AS pct,
               sum(d.value) FILTER (WHERE d.kind OPERATOR(pg_catalog.=) 'amount') AS amt
          FROM rr.discount d
         WHERE d.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND d.first_periods IS NULL
           AND d.line_no IS NULL
           AND (d.valid IS NULL OR d.valid OPERATOR(pg_catalog.@>) mrr_on_day.day)
         GROUP BY d.contract_id
    ), n AS (
        -- each line of a contract in force net of its percents (its own and the
        -- contract's, at most 100) and amounts, a line without discounts its value, summed
        -- per contract.  The contracts are joined before the sum and the sum is grouped by
        -- their key, whose number of values the statistics know: grouped by the lines'
        -- contract_id, the sum was estimated at 200 contracts, and the contracts were then
        -- read by index one at a time (100,000 look-ups, 0.6 s at 100,000 contracts)
        SELECT k.contract_id, k.customer, k.currency, k.billing_period, k.billing_days,
               sum(CASE WHEN dl.contract_id IS NULL AND dc.contract_id IS NULL THEN GREATEST(l.monthly, 0)
                        ELSE GREATEST(l.monthly OPERATOR(pg_catalog.*)
                                      (1 OPERATOR(pg_catalog.-) (LEAST(coalesce(dl.pct, 0) OPERATOR(pg_catalog.+) coalesce(dc.pct, 0), 100)
                                                                 OPERATOR(pg_catalog./) 100))
                                      OPERATOR(pg_catalog.-) coalesce(rr_internal.monthly_value(1, dl.amt, l.billing_period), 0),
                                      0) END) AS monthly,
               max(dc.amt) AS contract_amt
          FROM lv l
          JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND k.contract_id OPERATOR(pg_catalog.=) l.contract_id
          LEFT JOIN d dl ON dl.contract_id OPERATOR(pg_catalog.=) l.contract_id AND dl.line_no OPERATOR(pg_catalog.=) l.line_no
          LEFT JOIN dc ON dc.contract_id OPERATOR(pg_catalog.=) l.contract_id
         WHERE l.monthly IS NOT NULL
           -- deposits count nothing (an anti-join with the tenant's deposit items, estimated
           -- as the lines it keeps; a <> ALL of an array read once is estimated at 0.1 %)
           AND NOT EXISTS (SELECT FROM rr.contract_item ci
                            WHERE ci.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                              AND ci.code OPERATOR(pg_catalog.=) l.contract_item
                              AND ci.billing_type OPERATOR(pg_catalog.=) 'deposit')
           AND k.activation_date OPERATOR(pg_catalog.<=) mrr_on_day.day
           AND mrr_on_day.day OPERATOR(pg_catalog.<) coalesce(LEAST(k.end_date, k.termination_date, k.closed_date), 'infinity'::date)
         GROUP BY k.tenant_id, k.contract_id
    )
    SELECT n.contract_id, n.customer, n.currency,
           -- then the contract's amounts per contract billing period
           round(GREATEST(n.monthly OPERATOR(pg_catalog.-)
                          CASE WHEN n.contract_amt IS NULL THEN 0
                               ELSE rr_internal.monthly_value(1, n.contract_amt,
                                                              rr.billing_interval(n.billing_period, n.billing_days)) END,
                          0), cur.minor_units)
      FROM n
      JOIN rr.currency cur ON cur.code OPERATOR(pg_catalog.=) n.currency;
END;
COMMENT ON FUNCTION rr_internal.mrr_on_day(date) IS 'internal: the MRR of each contract in force on a day: rr_internal.mrr_on_days for one day, read with the versions in force found by DISTINCT ON; the definition of rr.mrr_as_of (docs/reports.md, "MRR and ARR")';
REVOKE ALL ON FUNCTION rr_internal.mrr_on_day(date) FROM PUBLIC;

CREATE FUNCTION rr.mrr_as_of(as_of date)
RETURNS TABLE (contract_id bigint, customer text, currency char(3), mrr numeric, arr numeric)
LANGUAGE sql STABLE STRICT ROWS 1000
BEGIN ATOMIC
    -- the step of each contract in force on the day (rr.contract_mrr, kept by the
    -- workflows: the definition is rr_internal.mrr_on_day)
    SELECT m.contract_id, m.customer, m.currency, m.mrr, 12 OPERATOR(pg_catalog.*) m.mrr
      FROM rr.contract_mrr m
     WHERE m.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND m.valid_from OPERATOR(pg_catalog.<=) mrr_as_of.as_of
       AND mrr_as_of.as_of OPERATOR(pg_catalog.<) m.valid_to
     ORDER BY m.contract_id;
END;
COMMENT ON FUNCTION rr.mrr_as_of(date) IS 'monthly recurring revenue of each contract in force on as_of (activated on or before it, not yet ended, terminated or closed): its recurring lines in force, quantity × recurring price (or a flat price model''s fee) per month of the billing period, net of discounts without a period limit, rounded once to the currency; usage, deposits and one-off fees count nothing; ARR = 12 × MRR (docs/reports.md, "MRR and ARR")';
REVOKE ALL ON FUNCTION rr.mrr_as_of(date) FROM PUBLIC;

CREATE VIEW rr.mrr WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, m.contract_id, m.customer, m.currency, m.mrr, m.arr
  FROM rr.mrr_as_of(current_date) m;
COMMENT ON VIEW rr.mrr IS 'monthly and annual recurring revenue of each contract in force today (rr.mrr_as_of(current_date); docs/reports.md, "MRR and ARR")';
COMMENT ON COLUMN rr.mrr.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.mrr.contract_id IS 'the contract';
COMMENT ON COLUMN rr.mrr.customer IS 'the contract''s customer';
COMMENT ON COLUMN rr.mrr.currency IS 'the contract currency: MRR is never converted';
COMMENT ON COLUMN rr.mrr.mrr IS 'monthly recurring revenue: recurring lines in force, per month of their billing period, net of open-ended discounts, rounded to the currency';
COMMENT ON COLUMN rr.mrr.arr IS 'annual recurring revenue: 12 × mrr';

-- The movement of MRR over [from_date, to_date), per customer and currency: the MRR on the
-- day before from_date (opening) and on the day before to_date (closing), and what the
-- difference is.  A customer with no MRR at the opening is new, or reactivated when one of
-- its contracts in that currency was paying before from_date (activated before it, and
-- converted before it after a free trial); one with none at the
-- closing churned; otherwise the difference is expansion or contraction.  Within the
-- window only the two ends count: a customer who leaves and returns within it is neither
-- churned nor reactivated.
CREATE FUNCTION rr.mrr_movement_detail(from_date date, to_date date)
RETURNS TABLE (customer text, currency char(3), opening_mrr numeric, closing_mrr numeric, movement text,
               new_mrr numeric, expansion_mrr numeric, contraction_mrr numeric, churned_mrr numeric,
               reactivation_mrr numeric)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    WITH before AS (
        -- the customers and currencies with a contract that was paying before the window:
        -- activated before it and, after a free trial, converted before it (its first
        -- paying day, the end of the trial, before from_date and before the contract
        -- ended: a trial that lapsed never paid), so that a customer whose first paid day
        -- falls in the window is new, not reactivated.  One pass over the contracts (not
        -- a sub-query per customer in the select list, which Citus cannot push down), the
        -- trials by NOT EXISTS, correlated by the tenant too (an outer join of two
        -- distributed tables in a statement with a constant condition is what Citus
        -- refuses on PostgreSQL 15, and a sub-query not joined on the distribution column)
        SELECT k.customer, k.currency
          FROM rr.contract k
         WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND k.activation_date OPERATOR(pg_catalog.<) mrr_movement_detail.from_date
           AND NOT EXISTS (SELECT FROM rr.contract_trial tr
                            WHERE tr.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                              AND tr.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                              AND tr.contract_id OPERATOR(pg_catalog.=) k.contract_id
                              AND tr.price_percent OPERATOR(pg_catalog.=) 0
                              AND (pg_catalog.upper(tr.trial) OPERATOR(pg_catalog.>=) mrr_movement_detail.from_date
                                   OR pg_catalog.upper(tr.trial) OPERATOR(pg_catalog.>=)
                                      coalesce(LEAST(k.end_date, k.termination_date, k.closed_date), 'infinity'::date)))
         GROUP BY k.customer, k.currency
    ), c AS (
        -- both days in one pass over the MRR steps (rr.contract_mrr, kept by the workflows;
        -- the definition is rr_internal.mrr_on_days), summed per customer and currency
        SELECT m.customer, m.currency,
               coalesce(sum(m.mrr) FILTER (WHERE m.valid_from OPERATOR(pg_catalog.<) mrr_movement_detail.from_date
                                              AND mrr_movement_detail.from_date OPERATOR(pg_catalog.<=) m.valid_to), 0) AS opening,
               coalesce(sum(m.mrr) FILTER (WHERE m.valid_from OPERATOR(pg_catalog.<) mrr_movement_detail.to_date
                                              AND mrr_movement_detail.to_date OPERATOR(pg_catalog.<=) m.valid_to), 0) AS closing
          FROM rr.contract_mrr m
         WHERE m.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND (m.valid_from OPERATOR(pg_catalog.<) mrr_movement_detail.from_date
                AND mrr_movement_detail.from_date OPERATOR(pg_catalog.<=) m.valid_to
                OR m.valid_from OPERATOR(pg_catalog.<) mrr_movement_detail.to_date
                   AND mrr_movement_detail.to_date OPERATOR(pg_catalog.<=) m.valid_to)
           AND (SELECT rr_internal.check_report_window(mrr_movement_detail.from_date, mrr_movement_detail.to_date))
         GROUP BY m.customer, m.currency
    ), k AS (
        SELECT c.*, CASE WHEN c.opening OPERATOR(pg_catalog.=) 0 AND c.closing OPERATOR(pg_catalog.>) 0
                         THEN CASE WHEN b.customer IS NOT NULL THEN 'reactivation' ELSE 'new' END
                         WHEN c.opening OPERATOR(pg_catalog.>) 0 AND c.closing OPERATOR(pg_catalog.=) 0 THEN 'churn'
                         WHEN c.closing OPERATOR(pg_catalog.>) c.opening THEN 'expansion'
                         WHEN c.closing OPERATOR(pg_catalog.<) c.opening THEN 'contraction'
                         ELSE 'unchanged' END AS movement
          FROM c
          LEFT JOIN before b ON b.customer OPERATOR(pg_catalog.=) c.customer AND b.currency OPERATOR(pg_catalog.=) c.currency
    )
    SELECT k.customer, k.currency, k.opening, k.closing, k.movement,
           CASE WHEN k.movement OPERATOR(pg_catalog.=) 'new' THEN k.closing ELSE 0 END,
           CASE WHEN k.movement OPERATOR(pg_catalog.=) 'expansion' THEN k.closing OPERATOR(pg_catalog.-) k.opening ELSE 0 END,
           CASE WHEN k.movement OPERATOR(pg_catalog.=) 'contraction' THEN k.opening OPERATOR(pg_catalog.-) k.closing ELSE 0 END,
           CASE WHEN k.movement OPERATOR(pg_catalog.=) 'churn' THEN k.opening ELSE 0 END,
           CASE WHEN k.movement OPERATOR(pg_catalog.=) 'reactivation' THEN k.closing ELSE 0 END
      FROM k
     ORDER BY k.currency, k.customer;
END;
COMMENT ON FUNCTION rr.mrr_movement_detail(date, date) IS 'per customer and currency, the MRR on the day before from_date (opening) and on the day before to_date (closing) and the movement between them: new (none at the opening, no contract in that currency paying before from_date: activated before it and, after a free trial, converted before it), reactivation (none at the opening, an earlier paying contract), churn (none at the closing), expansion, contraction or unchanged, with its amount in the matching column (positive); docs/reports.md, "MRR and ARR"';
REVOKE ALL ON FUNCTION rr.mrr_movement_detail(date, date) FROM PUBLIC;

-- The MRR bridge per currency: opening + new + expansion + reactivation - contraction - churn
-- = closing, exactly (each term a sum of per-customer differences of rounded MRRs).
CREATE FUNCTION rr.mrr_movement(from_date date, to_date date)
RETURNS TABLE (currency char(3), opening_mrr numeric, new_mrr numeric, expansion_mrr numeric,
               reactivation_mrr numeric, contraction_mrr numeric, churned_mrr numeric, closing_mrr numeric,
               net_new_mrr numeric, gross_retention numeric, net_retention numeric, customers_opening bigint, customers_new bigint, customers_reactivated bigint,
               customers_churned bigint, customers_closing bigint)
LANGUAGE sql STABLE STRICT ROWS 3
BEGIN ATOMIC
    SELECT d.currency, sum(d.opening_mrr), sum(d.new_mrr), sum(d.expansion_mrr), sum(d.reactivation_mrr),
           sum(d.contraction_mrr), sum(d.churned_mrr), sum(d.closing_mrr),
           sum(d.closing_mrr) OPERATOR(pg_catalog.-) sum(d.opening_mrr),
           round((sum(d.opening_mrr) OPERATOR(pg_catalog.-) sum(d.contraction_mrr) OPERATOR(pg_catalog.-) sum(d.churned_mrr))
                 OPERATOR(pg_catalog./) nullif(sum(d.opening_mrr), 0), 4),
           round((sum(d.opening_mrr) OPERATOR(pg_catalog.+) sum(d.expansion_mrr) OPERATOR(pg_catalog.-) sum(d.contraction_mrr)
                  OPERATOR(pg_catalog.-) sum(d.churned_mrr))
                 OPERATOR(pg_catalog./) nullif(sum(d.opening_mrr), 0), 4),
           count(*) FILTER (WHERE d.opening_mrr OPERATOR(pg_catalog.>) 0),
           count(*) FILTER (WHERE d.movement OPERATOR(pg_catalog.=) 'new'),
           count(*) FILTER (WHERE d.movement OPERATOR(pg_catalog.=) 'reactivation'),
           count(*) FILTER (WHERE d.movement OPERATOR(pg_catalog.=) 'churn'),
           count(*) FILTER (WHERE d.closing_mrr OPERATOR(pg_catalog.>) 0)
      FROM rr.mrr_movement_detail(mrr_movement.from_date, mrr_movement.to_date) d
     GROUP BY d.currency
     ORDER BY d.currency;
END;
COMMENT ON FUNCTION rr.mrr_movement(date, date) IS 'the MRR bridge over [from_date, to_date) per currency: opening MRR (the day before from_date) + new + expansion + reactivation - contraction - churned = closing MRR (the day before to_date), exactly; net new MRR; gross revenue retention (opening - contraction - churned) / opening and net revenue retention (opening + expansion - contraction - churned) / opening, to 4 decimals (NULL without opening MRR); customers at the opening, new, reactivated, churned and at the closing (logo churn); docs/reports.md, "MRR and ARR"';
REVOKE ALL ON FUNCTION rr.mrr_movement(date, date) FROM PUBLIC;

CREATE VIEW rr.mrr_movement_this_month WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, date_trunc('month', current_date)::date AS from_date,
       current_date OPERATOR(pg_catalog.+) 1 AS to_date, m.*
  FROM rr.mrr_movement(date_trunc('month', current_date)::date, current_date OPERATOR(pg_catalog.+) 1) m;
COMMENT ON VIEW rr.mrr_movement_this_month IS 'the MRR bridge of the current month to date: rr.mrr_movement(first day of this month, tomorrow), per currency';
COMMENT ON COLUMN rr.mrr_movement_this_month.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.mrr_movement_this_month.from_date IS 'first day of the window: the first day of the current month';
COMMENT ON COLUMN rr.mrr_movement_this_month.to_date IS 'end of the window (exclusive): tomorrow, so the closing MRR is today''s';
COMMENT ON COLUMN rr.mrr_movement_this_month.currency IS 'the contracts'' currency (MRR is never converted)';
COMMENT ON COLUMN rr.mrr_movement_this_month.opening_mrr IS 'MRR on the last day of the previous month';
COMMENT ON COLUMN rr.mrr_movement_this_month.new_mrr IS 'closing MRR of customers with none at the opening and no contract in this currency paying before the window (activated, and converted after a free trial)';
COMMENT ON COLUMN rr.mrr_movement_this_month.expansion_mrr IS 'increase of customers whose MRR grew';
COMMENT ON COLUMN rr.mrr_movement_this_month.reactivation_mrr IS 'closing MRR of customers with none at the opening who had a contract in this currency paying before (activated, and converted after a free trial)';
COMMENT ON COLUMN rr.mrr_movement_this_month.contraction_mrr IS 'decrease of customers whose MRR fell but stayed above zero (positive)';
COMMENT ON COLUMN rr.mrr_movement_this_month.churned_mrr IS 'opening MRR of customers with none at the closing (positive)';
COMMENT ON COLUMN rr.mrr_movement_this_month.closing_mrr IS 'MRR today: opening + new + expansion + reactivation - contraction - churned';
COMMENT ON COLUMN rr.mrr_movement_this_month.net_new_mrr IS 'closing - opening';
COMMENT ON COLUMN rr.mrr_movement_this_month.gross_retention IS 'gross revenue retention: (opening - contraction - churned) / opening, 4 decimals; NULL without opening MRR';
COMMENT ON COLUMN rr.mrr_movement_this_month.net_retention IS 'net revenue retention: (opening + expansion - contraction - churned) / opening, 4 decimals; NULL without opening MRR';
COMMENT ON COLUMN rr.mrr_movement_this_month.customers_opening IS 'customers with MRR at the opening';
COMMENT ON COLUMN rr.mrr_movement_this_month.customers_new IS 'new customers';
COMMENT ON COLUMN rr.mrr_movement_this_month.customers_reactivated IS 'reactivated customers';
COMMENT ON COLUMN rr.mrr_movement_this_month.customers_churned IS 'churned customers (logo churn)';
COMMENT ON COLUMN rr.mrr_movement_this_month.customers_closing IS 'customers with MRR today';

-- The MRR steps of the contracts an older version activated, written when the extension is
-- updated (a new install has none; src/sql/50_billing/22_contract_mrr.sql): one refresh per
-- tenant, its contracts in one set.
DO $$
DECLARE
    t text;
    ids bigint[];
BEGIN
    FOR t, ids IN
        SELECT k.tenant_id, array_agg(k.contract_id ORDER BY k.contract_id)
          FROM rr.contract k
         WHERE k.activation_date IS NOT NULL
           AND NOT EXISTS (SELECT FROM rr.contract_mrr m
                            WHERE m.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                              AND m.contract_id OPERATOR(pg_catalog.=) k.contract_id)
         GROUP BY k.tenant_id
    LOOP
        PERFORM rr_internal.refresh_contract_mrr(t, ids);
    END LOOP;
END
$$;
