-- The MRR kept by the workflows (rr.contract_mrr, docs/reports.md, "MRR and ARR") is the
-- definition's (rr_internal.mrr_on_day) on every date it can change on and the day before,
-- for every contract of every tenant the earlier tests of the schedule left: activations,
-- terminations and expiries, line changes, amendments and rewrites, renewals, price
-- changes, trials, pauses, discounts and coupons, each written by its workflow.
CREATE FUNCTION pg_temp.mrr_drift(t text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('rr.tenant', t, true);
    SELECT count(*) INTO n FROM rr_internal.contract_mrr_drift();
    RETURN n;
END
$$;
SELECT count(DISTINCT k.tenant_id) >= 30 AS many_tenants,
       count(*) FILTER (WHERE k.activation_date IS NOT NULL) >= 140 AS many_contracts,
       (SELECT count(*) FROM rr.contract_mrr) >= 170 AS many_steps
  FROM rr.contract k;
-- no tenant's MRR steps differ from the definition (a tenant named here would be one that a
-- workflow changed without refreshing them)
SELECT t.tenant_id, pg_temp.mrr_drift(t.tenant_id) AS differing
  FROM rr.tenant t
 WHERE pg_temp.mrr_drift(t.tenant_id) > 0
 ORDER BY 1;
