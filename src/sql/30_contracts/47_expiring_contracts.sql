-- Expiring and expired contracts (docs/catalog-and-contracts.md, "Expiring contracts"): the
-- contracts whose term ends within a window, those in their grace period, those past it
-- that nobody expired or renewed yet, and those expired recently.  Renewals expected, due,
-- renewed and lapsed are rr.contract_renewals (45_renewals.sql).

CREATE FUNCTION rr.expiring_contracts_as_of(as_of date, within_days integer DEFAULT 90)
RETURNS TABLE (contract_id bigint, customer text, template text, contract_type text, status text,
               end_date date, grace_ends date, days_to_end integer, expiry_state text, renewal_state text,
               renewal_count integer, mass_renewal boolean)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    SELECT r.contract_id, r.customer, r.template, r.contract_type, r.status, r.end_date, r.grace_ends,
           r.end_date OPERATOR(pg_catalog.-) expiring_contracts_as_of.as_of,
           CASE WHEN r.status OPERATOR(pg_catalog.=) 'expired' THEN 'expired'
                WHEN expiring_contracts_as_of.as_of OPERATOR(pg_catalog.<) r.end_date THEN 'expiring'
                WHEN expiring_contracts_as_of.as_of OPERATOR(pg_catalog.<=) r.grace_ends THEN 'in_grace'
                ELSE 'past_grace' END,
           r.renewal_state, r.renewal_count, r.mass_renewal
      FROM rr.contract_renewals_as_of(expiring_contracts_as_of.as_of) r
     WHERE (r.status IN ('active', 'pending_upgrade')
            AND r.end_date OPERATOR(pg_catalog.<) (expiring_contracts_as_of.as_of OPERATOR(pg_catalog.+) expiring_contracts_as_of.within_days))
        OR (r.status OPERATOR(pg_catalog.=) 'expired'
            AND r.end_date OPERATOR(pg_catalog.>=) (expiring_contracts_as_of.as_of OPERATOR(pg_catalog.-) expiring_contracts_as_of.within_days))
     ORDER BY r.end_date, r.contract_id;
END;
COMMENT ON FUNCTION rr.expiring_contracts_as_of(date, integer) IS 'contracts of the current tenant whose term ends within within_days days after as_of (expiring), that ended and are in their grace period (in_grace) or past it but still active (past_grace: neither renewed nor expired yet), and those expired whose term ended within within_days days before as_of (expired); with days to the end, the renewal state and whether mass renewal renews them';
REVOKE ALL ON FUNCTION rr.expiring_contracts_as_of(date, integer) FROM PUBLIC;

CREATE VIEW rr.expiring_contracts WITH (security_invoker = true) AS
SELECT e.contract_id, e.customer, e.template, e.contract_type, e.status, e.end_date, e.grace_ends, e.days_to_end,
       e.expiry_state, e.renewal_state, e.renewal_count, e.mass_renewal
  FROM rr.expiring_contracts_as_of(current_date, 90) e;
COMMENT ON VIEW rr.expiring_contracts IS 'today''s expiring and expired contracts: terms ending in the next 90 days, in grace, past grace and not yet renewed or expired, and expired in the last 90 days; rr.expiring_contracts_as_of(date, days) gives the same on any date and window';
COMMENT ON COLUMN rr.expiring_contracts.contract_id IS 'the contract';
COMMENT ON COLUMN rr.expiring_contracts.customer IS 'its customer';
COMMENT ON COLUMN rr.expiring_contracts.template IS 'the template it was created from';
COMMENT ON COLUMN rr.expiring_contracts.contract_type IS 'renewable or expiring';
COMMENT ON COLUMN rr.expiring_contracts.status IS 'the contract''s status (active, pending_upgrade or expired)';
COMMENT ON COLUMN rr.expiring_contracts.end_date IS 'end of the current term (exclusive)';
COMMENT ON COLUMN rr.expiring_contracts.grace_ends IS 'last day of the grace period: end_date + grace_period_days';
COMMENT ON COLUMN rr.expiring_contracts.days_to_end IS 'days from today to end_date (negative once it has passed)';
COMMENT ON COLUMN rr.expiring_contracts.expiry_state IS 'expiring (before end_date), in_grace (end_date to grace_ends), past_grace (after grace_ends, still active: to renew no more, to expire with rr.expire_contracts) or expired';
COMMENT ON COLUMN rr.expiring_contracts.renewal_state IS 'where it stands in its renewal cycle (rr.contract_renewals): expected, due, in_grace, final_term, lapsed...';
COMMENT ON COLUMN rr.expiring_contracts.renewal_count IS 'renewals so far';
COMMENT ON COLUMN rr.expiring_contracts.mass_renewal IS 'whether rr.run_renewals renews it';
REVOKE ALL ON rr.expiring_contracts FROM PUBLIC;
