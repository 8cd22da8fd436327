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
    session_role name NOT NULL DEFAULT session_user,
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
-- so that a term starting on the 31st of a month does not drift to the 28th.
CREATE FUNCTION rr_internal.term_end(start_date date, duration integer, duration_unit text, terms integer DEFAULT 1)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE duration_unit
           WHEN 'year' THEN (start_date + make_interval(years => duration * terms))::date
           WHEN 'quarter' THEN (start_date + make_interval(months => 3 * duration * terms))::date
           WHEN 'month' THEN (start_date + make_interval(months => duration * terms))::date
           WHEN 'day' THEN start_date + duration * terms
       END;
COMMENT ON FUNCTION rr_internal.term_end(date, integer, text, integer) IS 'internal: the end (exclusive) of the terms-th term of a contract starting on start_date with a template duration (year, quarter, month, day): start_date + terms × duration, counted from the start so that month ends do not drift';
REVOKE ALL ON FUNCTION rr_internal.term_end(date, integer, text, integer) FROM PUBLIC;

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
    SELECT k.contract_id, k.customer, k.template, k.contract_type, k.status, tp.mass_renewal,
           k.start_date, k.end_date, k.end_date OPERATOR(pg_catalog.-) k.renewal_point_days,
           k.end_date OPERATOR(pg_catalog.+) k.grace_period_days,
           rr_internal.renewal_state(k.status, k.contract_type, k.end_date, k.renewal_point_days, k.grace_period_days,
                            coalesce(r.renewals, 0), contract_renewals_as_of.as_of),
           coalesce(r.renewals, 0), r.last_renewal_date, coalesce(r.first_end, k.end_date)
      FROM rr.contract k
      JOIN rr.contract_template tp ON tp.tenant_id OPERATOR(pg_catalog.=) k.tenant_id AND tp.code OPERATOR(pg_catalog.=) k.template
      LEFT JOIN LATERAL (SELECT count(*)::integer AS renewals, max(x.renewal_date) AS last_renewal_date,
                                min(x.previous_end) AS first_end
                           FROM rr.contract_renewal x
                          WHERE x.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                            AND x.contract_id OPERATOR(pg_catalog.=) k.contract_id
                            AND x.renewal_date OPERATOR(pg_catalog.<=) contract_renewals_as_of.as_of) r ON true
     WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND k.end_date IS NOT NULL AND k.activation_date IS NOT NULL
     ORDER BY k.contract_id;
END;
COMMENT ON FUNCTION rr.contract_renewals_as_of(date) IS 'every activated contract of the current tenant with an end date, and where it stands in its renewal cycle on as_of (rr_internal.renewal_state): renewal point, last day of grace, renewals made by as_of and the last renewal date';
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
