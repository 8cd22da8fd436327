-- The MRR kept by the workflows (rr.contract_mrr, docs/reports.md, "MRR and ARR") is the
-- definition's (rr_internal.mrr_on_day) on every date it can change on and the day before,
-- for every contract of every tenant the earlier tests of the schedule left: activations,
-- terminations and expiries, line changes, amendments and rewrites, renewals, price
-- changes, trials, pauses, discounts and coupons, each written by its workflow.  (Written
-- so that it runs on Citus too: each count a statement of its own, and the tenant set per
-- transaction with SET LOCAL, which Citus sends to the workers.)
SELECT count(DISTINCT k.tenant_id) >= 30 AS many_tenants,
       count(*) FILTER (WHERE k.activation_date IS NOT NULL) >= 140 AS many_contracts
  FROM rr.contract k;
SELECT count(*) >= 170 AS many_steps FROM rr.contract_mrr;
-- no tenant's MRR steps differ from the definition (a tenant named in the error would be
-- one that a workflow changed without refreshing them)
BEGIN;
DO $$
DECLARE
    t text;
    n bigint;
    checked integer := 0;
BEGIN
    FOR t IN SELECT x.tenant_id FROM rr.tenant x ORDER BY 1 LOOP
        EXECUTE format('SET LOCAL rr.tenant = %L', t);
        SELECT count(*) INTO n FROM rr_internal.contract_mrr_drift();
        IF n > 0 THEN
            RAISE EXCEPTION 'the MRR steps of tenant % differ from the definition on % dates and contracts', t, n;
        END IF;
        checked := checked + 1;
    END LOOP;
    IF checked < 30 THEN
        RAISE EXCEPTION 'only % tenants checked', checked;
    END IF;
    RAISE NOTICE 'MRR steps checked for every tenant (30 or more): none differs';
END
$$;
COMMIT;
