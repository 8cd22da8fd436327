-- Renewals (docs/catalog-and-contracts.md, "Renewals"): the append-only log of every
-- renewal, the length of a term, where a contract stands in its renewal cycle on a date,
-- and the renewals view.  Renewing (rr.renew_contract, rr.run_renewals) re-plans revenue,
-- a later layer, so it is a workflow: src/sql/85_workflows/40_renewals.sql.  Billing reads
-- this log for the renewal fee of each new term (src/sql/50_billing/40_due_charges.sql).

CREATE TABLE rr.contract_renewal (
    tenant_id    text NOT NULL,
    contract_id  bigint NOT NULL,
    renewal_no   integer NOT NULL,
    renewal_date date NOT NULL,
    previous_end date NOT NULL,
    new_end      date NOT NULL,
    event_id     bigint NOT NULL,
    renewed_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role name NOT NULL DEFAULT rr_internal.session_role(),
    acting_role  name NOT NULL,
    CONSTRAINT contract_renewal_pkey PRIMARY KEY (tenant_id, contract_id, renewal_no),
    CONSTRAINT contract_renewal_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_renewal_no_check CHECK (renewal_no > 0),
    CONSTRAINT contract_renewal_term_check CHECK (new_end > previous_end),
    CONSTRAINT contract_renewal_date_limit_check CHECK (rr.check_date('renewal date', renewal_date)
                                                        AND rr.check_date('end date', new_end))
);
COMMENT ON TABLE rr.contract_renewal IS 'append-only log of contract renewals: the n-th renewal of a contract, on which date, the end of the term it renewed and of the new term, the contract event, who (session user and acting role) and when';
COMMENT ON COLUMN rr.contract_renewal.previous_end IS 'end of the renewed term (exclusive), which is the first day of the new term';
COMMENT ON COLUMN rr.contract_renewal.new_end IS 'end of the new term (exclusive): the contract''s end_date after the renewal';

CREATE TRIGGER contract_renewal_append_only
    BEFORE UPDATE OR DELETE ON rr.contract_renewal
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER contract_renewal_no_truncate
    BEFORE TRUNCATE ON rr.contract_renewal
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The end of a contract's n-th term: start + n × duration, always from the start date,
-- so that a term starting on the 31st of a month does not drift to the 28th.  (A searched
-- CASE: inlined into an INSERT that Citus sends to a worker with its parameters evaluated,
-- a simple CASE duration_unit WHEN ... was deparsed as a comparison of text with boolean.)
CREATE FUNCTION rr_internal.term_end(start_date date, duration integer, duration_unit text, terms integer DEFAULT 1)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN duration_unit = 'year' THEN (start_date + make_interval(years => duration * terms))::date
            WHEN duration_unit = 'quarter' THEN (start_date + make_interval(months => 3 * duration * terms))::date
            WHEN duration_unit = 'month' THEN (start_date + make_interval(months => duration * terms))::date
            WHEN duration_unit = 'day' THEN start_date + duration * terms
       END;
COMMENT ON FUNCTION rr_internal.term_end(date, integer, text, integer) IS 'internal: the end (exclusive) of the terms-th term of a contract starting on start_date with a template duration (year, quarter, month, day): start_date + terms × duration, counted from the start so that month ends do not drift';
REVOKE ALL ON FUNCTION rr_internal.term_end(date, integer, text, integer) FROM PUBLIC;

-- Whether a contract's current term could be renewed at all: a renewable contract's always,
-- an expiring contract's only if it was never renewed (its second term is its final one).
-- One rule for the lapse event (rr_internal.publish_contract_events) and the renewal rate.
CREATE FUNCTION rr_internal.term_renewable(contract_type text, renewals bigint)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN contract_type = 'renewable' OR (contract_type = 'expiring' AND renewals = 0);
COMMENT ON FUNCTION rr_internal.term_renewable(text, bigint) IS 'internal: whether the current term of a contract of this type, renewed this many times, could be renewed: always for renewable contracts, only before the first renewal for expiring ones';
REVOKE ALL ON FUNCTION rr_internal.term_renewable(text, bigint) FROM PUBLIC;

-- Where a contract stands in its renewal cycle on a date.  One definition for the
-- renewal functions (which renew only 'due' and 'in_grace') and the renewals view.
CREATE FUNCTION rr_internal.renewal_state(status text, contract_type text, end_date date, renewal_point_days integer,
                                 grace_period_days integer, renewals integer, as_of date)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN end_date IS NULL THEN 'unlimited'
            WHEN status IN ('draft', 'pending_activation') THEN 'not_active'
            WHEN status = 'expired' THEN 'lapsed'
            WHEN status NOT IN ('active', 'pending_upgrade') THEN 'closed'
            WHEN as_of > end_date + grace_period_days THEN 'lapsed'
            WHEN contract_type = 'expiring' AND renewals > 0 THEN 'final_term'
            WHEN as_of < end_date - renewal_point_days THEN CASE WHEN renewals > 0 THEN 'renewed' ELSE 'expected' END
            WHEN as_of < end_date THEN 'due'
            ELSE 'in_grace' END;
COMMENT ON FUNCTION rr_internal.renewal_state(text, text, date, integer, integer, integer, date) IS 'internal: where a contract stands in its renewal cycle on as_of: unlimited (no end date), not_active, closed (terminated or completed), lapsed (expired, or after end_date + grace_period_days), final_term (an expiring contract renewed once), expected (before the renewal point, end_date - renewal_point_days) or renewed (the same, after a renewal), due (from the renewal point to the day before end_date), in_grace (from end_date to end_date + grace_period_days, both included); a contract renews only when due or in_grace';
REVOKE ALL ON FUNCTION rr_internal.renewal_state(text, text, date, integer, integer, integer, date) FROM PUBLIC;

-- Every activated contract with an end date and where it stands in its renewal cycle.
CREATE FUNCTION rr.contract_renewals_as_of(as_of date)
RETURNS TABLE (contract_id bigint, customer text, template text, contract_type text, status text,
               mass_renewal boolean, start_date date, end_date date, renewal_point date, grace_ends date,
               renewal_state text, renewal_count integer, last_renewal_date date, first_end date)
LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    -- the contract as it stood on as_of: the end of the term then (a renewal made later
    -- names it as its previous end), and active if it was closed (expired, terminated,
    -- completed) only after as_of
    SELECT t.contract_id, t.customer, t.template, t.contract_type, t.status, t.mass_renewal,
           t.start_date, t.end_date, t.end_date OPERATOR(pg_catalog.-) t.renewal_point_days,
           t.end_date OPERATOR(pg_catalog.+) t.grace_period_days,
           rr_internal.renewal_state(t.status, t.contract_type, t.end_date, t.renewal_point_days, t.grace_period_days,
                            t.renewals, contract_renewals_as_of.as_of),
           t.renewals, t.last_renewal_date, coalesce(t.first_end, t.end_date)
      FROM (SELECT k.contract_id, k.customer, k.template, k.contract_type, tp.mass_renewal, k.start_date,
                   k.renewal_point_days, k.grace_period_days,
                   -- the renewals made by as_of, and the end of the term then: the previous
                   -- end of the first renewal made later, else the contract's end
                   r.renewals, r.last_renewal_date, r.first_end,
                   coalesce(r.later_end, k.end_date) AS end_date,
                   CASE WHEN k.status IN ('expired', 'terminated', 'completed')
                             AND k.closed_date OPERATOR(pg_catalog.>) contract_renewals_as_of.as_of
                        THEN 'active' ELSE k.status END AS status
              FROM rr.contract k
              JOIN rr.contract_template tp ON tp.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                                          AND tp.code OPERATOR(pg_catalog.=) k.template
              -- (one aggregate sub-query with a FROM, filtered by the tenant itself: Citus
              -- routes the statement whole to the tenant's worker)
              CROSS JOIN LATERAL (
                    SELECT (count(*) FILTER (WHERE x.renewal_date OPERATOR(pg_catalog.<=) contract_renewals_as_of.as_of))::integer
                               AS renewals,
                           max(x.renewal_date) FILTER (WHERE x.renewal_date OPERATOR(pg_catalog.<=) contract_renewals_as_of.as_of)
                               AS last_renewal_date,
                           min(x.previous_end) FILTER (WHERE x.renewal_date OPERATOR(pg_catalog.<=) contract_renewals_as_of.as_of)
                               AS first_end,
                           min(x.previous_end) FILTER (WHERE x.renewal_date OPERATOR(pg_catalog.>) contract_renewals_as_of.as_of)
                               AS later_end
                      FROM rr.contract_renewal x
                     WHERE x.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                       AND x.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                       AND x.contract_id OPERATOR(pg_catalog.=) k.contract_id) r
             WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND tp.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND k.end_date IS NOT NULL AND k.activation_date IS NOT NULL
               AND k.activation_date OPERATOR(pg_catalog.<=) contract_renewals_as_of.as_of) t
     ORDER BY t.contract_id;
END;
COMMENT ON FUNCTION rr.contract_renewals_as_of(date) IS 'every contract of the current tenant with an end date activated by as_of, as it stood on as_of (the end of its term then: a later renewal does not move it; active if closed only after as_of), and where it stood in its renewal cycle (rr_internal.renewal_state): renewal point, last day of grace, renewals made by as_of and the last renewal date';
REVOKE ALL ON FUNCTION rr.contract_renewals_as_of(date) FROM PUBLIC;

CREATE VIEW rr.contract_renewals WITH (security_invoker = true) AS
SELECT r.contract_id, r.customer, r.template, r.contract_type, r.status, r.mass_renewal, r.start_date, r.end_date,
       r.renewal_point, r.grace_ends, r.renewal_state, r.renewal_count, r.last_renewal_date, r.first_end
  FROM rr.contract_renewals_as_of(current_date) r;
COMMENT ON VIEW rr.contract_renewals IS 'renewals today: every activated contract of the current tenant with an end date and where it stands in its renewal cycle (expected, due, in_grace, renewed, final_term, lapsed, closed); rr.contract_renewals_as_of(date) gives the same on any date';
COMMENT ON COLUMN rr.contract_renewals.contract_id IS 'the contract';
COMMENT ON COLUMN rr.contract_renewals.customer IS 'its customer';
COMMENT ON COLUMN rr.contract_renewals.template IS 'the template it was created from (its duration is the length of each renewed term)';
COMMENT ON COLUMN rr.contract_renewals.contract_type IS 'renewable, or expiring (renews at most once)';
COMMENT ON COLUMN rr.contract_renewals.status IS 'the contract''s status';
COMMENT ON COLUMN rr.contract_renewals.mass_renewal IS 'whether rr.run_renewals renews it (the template''s mass_renewal)';
COMMENT ON COLUMN rr.contract_renewals.start_date IS 'start of the first term';
COMMENT ON COLUMN rr.contract_renewals.end_date IS 'end of the current term (exclusive)';
COMMENT ON COLUMN rr.contract_renewals.renewal_point IS 'first day the contract may be renewed: end_date - renewal_point_days';
COMMENT ON COLUMN rr.contract_renewals.grace_ends IS 'last day it may be renewed: end_date + grace_period_days (it lapses the day after)';
COMMENT ON COLUMN rr.contract_renewals.renewal_state IS 'expected, due, in_grace, renewed (renewed, next renewal point not reached), final_term (expiring, renewed once), lapsed (grace period over, or expired) or closed (terminated or completed): rr_internal.renewal_state today';
COMMENT ON COLUMN rr.contract_renewals.renewal_count IS 'number of renewals so far';
COMMENT ON COLUMN rr.contract_renewals.last_renewal_date IS 'date of the last renewal (NULL: never renewed)';
COMMENT ON COLUMN rr.contract_renewals.first_end IS 'end of the first term, before any renewal';
REVOKE ALL ON rr.contract_renewals FROM PUBLIC;

-- The renewal rate of the terms that ended in [from_date, to_date), as the books stand
-- today (docs/catalog-and-contracts.md, "Renewals"), per currency.  A term was up for
-- renewal when its contract could still be renewed: a renewable contract, or an expiring
-- one not renewed before (the final term of an expiring contract only ends).  It was
-- renewed when a renewal names it as its previous end; it lapsed when the contract can no
-- longer renew it (expired, or past its grace period today); it is pending while it still
-- can.  Its value is its monthly recurring value on its last day: for each line in force,
-- quantity × recurring price per month of its billing period (a year is 12 months, a
-- period of days counts 30.4375 days a month; usage-priced lines count nothing), rounded
-- to the currency's minor units per currency.  The rates leave pending terms out.
CREATE FUNCTION rr.renewal_rate(from_date date, to_date date)
RETURNS TABLE (currency char(3), terms_ended bigint, renewed bigint, lapsed bigint, pending bigint,
               rate_by_count numeric, value_ended numeric, value_renewed numeric, value_lapsed numeric,
               rate_by_value numeric)
LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    WITH k AS (
        SELECT k.tenant_id, k.contract_id, k.currency, k.contract_type, k.status, k.end_date, k.grace_period_days,
               (SELECT count(*) FROM rr.contract_renewal r
                 WHERE r.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                   AND r.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                   AND r.contract_id OPERATOR(pg_catalog.=) k.contract_id) AS renewals
          FROM rr.contract k
         WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND k.end_date IS NOT NULL AND k.activation_date IS NOT NULL
    ), term AS (
        -- renewed terms: each renewal ends one
        SELECT k.tenant_id, k.contract_id, k.currency, r.previous_end AS term_end, 'renewed' AS outcome
          FROM k
          JOIN rr.contract_renewal r ON r.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                                    AND r.contract_id OPERATOR(pg_catalog.=) k.contract_id
         WHERE r.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND r.previous_end OPERATOR(pg_catalog.>=) renewal_rate.from_date
           AND r.previous_end OPERATOR(pg_catalog.<) renewal_rate.to_date
        UNION ALL
        -- the current term of a contract that could still renew it
        SELECT k.tenant_id, k.contract_id, k.currency, k.end_date,
               CASE WHEN k.status OPERATOR(pg_catalog.=) 'expired'
                         OR current_date OPERATOR(pg_catalog.>) (k.end_date OPERATOR(pg_catalog.+) k.grace_period_days)
                    THEN 'lapsed' ELSE 'pending' END
          FROM k
         WHERE k.end_date OPERATOR(pg_catalog.>=) renewal_rate.from_date
           AND k.end_date OPERATOR(pg_catalog.<) renewal_rate.to_date
           AND k.status IN ('active', 'pending_upgrade', 'expired')
           AND rr_internal.term_renewable(k.contract_type, k.renewals)
    ), valued AS (
        SELECT t.currency, t.outcome,
               coalesce((SELECT sum(rr_internal.monthly_value(v.quantity, v.recurring_price, v.billing_period))
                           FROM (SELECT DISTINCT ON (l.line_no) l.quantity, l.recurring_price, l.billing_period,
                                        l.is_removed, l.price_model
                                   FROM rr.contract_line l
                                  WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                                    AND l.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
                                    AND l.contract_id OPERATOR(pg_catalog.=) t.contract_id
                                    AND l.effective_from OPERATOR(pg_catalog.<) t.term_end
                                  ORDER BY l.line_no, l.effective_from DESC) v
                          WHERE NOT v.is_removed AND v.price_model IS NULL AND v.recurring_price IS NOT NULL
                            AND v.billing_period IS NOT NULL), 0) AS monthly
          FROM term t
    )
    SELECT x.currency, x.renewed OPERATOR(pg_catalog.+) x.lapsed, x.renewed, x.lapsed, x.pending,
           round(x.renewed::numeric OPERATOR(pg_catalog./) nullif(x.renewed OPERATOR(pg_catalog.+) x.lapsed, 0), 4),
           x.value_renewed OPERATOR(pg_catalog.+) x.value_lapsed, x.value_renewed, x.value_lapsed,
           round(x.value_renewed OPERATOR(pg_catalog./) nullif(x.value_renewed OPERATOR(pg_catalog.+) x.value_lapsed, 0), 4)
      FROM (SELECT v.currency,
                   count(*) FILTER (WHERE v.outcome OPERATOR(pg_catalog.=) 'renewed') AS renewed,
                   count(*) FILTER (WHERE v.outcome OPERATOR(pg_catalog.=) 'lapsed') AS lapsed,
                   count(*) FILTER (WHERE v.outcome OPERATOR(pg_catalog.=) 'pending') AS pending,
                   round(coalesce(sum(v.monthly) FILTER (WHERE v.outcome OPERATOR(pg_catalog.=) 'renewed'), 0), cur.minor_units) AS value_renewed,
                   round(coalesce(sum(v.monthly) FILTER (WHERE v.outcome OPERATOR(pg_catalog.=) 'lapsed'), 0), cur.minor_units) AS value_lapsed
              FROM valued v
              JOIN rr.currency cur ON cur.code OPERATOR(pg_catalog.=) v.currency
             GROUP BY v.currency, cur.minor_units) x
     ORDER BY x.currency;
END;
COMMENT ON FUNCTION rr.renewal_rate(date, date) IS 'renewal rate of the terms that ended in [from_date, to_date), as the books stand today, per currency: terms up for renewal (of renewable contracts, or expiring ones not renewed before), renewed, lapsed (expired or past grace) and pending (still renewable); rates by count and by monthly recurring value on the term''s last day (lines in force: quantity × recurring price per month; usage-priced lines count nothing), pending terms left out';
REVOKE ALL ON FUNCTION rr.renewal_rate(date, date) FROM PUBLIC;
