-- Checking and rebuilding the MRR steps the workflows keep (rr.contract_mrr,
-- src/sql/50_billing/22_contract_mrr.sql) against the definition (rr_internal.mrr_on_day,
-- src/sql/87_reports/10_mrr.sql).

-- The summary's rows that differ from the definition: for each date the MRR of a contract of
-- the current tenant can change on (its activation, line versions' and discounts' dates,
-- its end) and the day before each, the contracts whose rr.mrr_as_of and
-- rr_internal.mrr_on_day differ.  For the tests (one call of the definition per date).
CREATE FUNCTION rr_internal.contract_mrr_drift()
RETURNS TABLE (day date, contract_id bigint, kept numeric, computed numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    d date;
    kept_ids bigint[];
    kept_mrr numeric[];
    computed_ids bigint[];
    computed_mrr numeric[];
BEGIN
    FOR d IN
        WITH p AS (
            SELECT k.activation_date AS p FROM rr.contract k WHERE k.tenant_id = t AND k.activation_date IS NOT NULL
            UNION SELECT LEAST(k.end_date, k.termination_date, k.closed_date) FROM rr.contract k WHERE k.tenant_id = t
            UNION SELECT l.effective_from FROM rr.contract_line l WHERE l.tenant_id = t
            UNION SELECT lower(x.valid) FROM rr.discount x WHERE x.tenant_id = t
            UNION SELECT upper(x.valid) FROM rr.discount x WHERE x.tenant_id = t
        )
        SELECT DISTINCT y.day
          FROM p, LATERAL (VALUES (p.p), (p.p - 1)) AS y (day)
         WHERE p.p IS NOT NULL AND isfinite(p.p)
         ORDER BY 1
    LOOP
        -- each side read on its own and compared as arrays (Citus cannot join the
        -- distributed steps with a function that reads distributed tables)
        SELECT coalesce(array_agg(m.contract_id ORDER BY m.contract_id), '{}'),
               coalesce(array_agg(m.mrr ORDER BY m.contract_id), '{}')
          INTO kept_ids, kept_mrr
          FROM rr.contract_mrr m
         WHERE m.tenant_id = t AND m.valid_from <= d AND d < m.valid_to;
        SELECT coalesce(array_agg(b.contract_id ORDER BY b.contract_id), '{}'),
               coalesce(array_agg(b.mrr ORDER BY b.contract_id), '{}')
          INTO computed_ids, computed_mrr
          FROM rr_internal.mrr_on_day(d) b;
        RETURN QUERY
            SELECT d, coalesce(a.id, b.id), a.mrr, b.mrr
              FROM unnest(kept_ids, kept_mrr) AS a (id, mrr)
              FULL JOIN unnest(computed_ids, computed_mrr) AS b (id, mrr) ON b.id = a.id
             WHERE a.mrr IS DISTINCT FROM b.mrr;
    END LOOP;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_mrr_drift() IS 'internal, for the tests: the contracts of the current tenant whose MRR kept in rr.contract_mrr differs from the definition (rr_internal.mrr_on_day) on a date their MRR can change on or the day before; no rows when the summary is right';
REVOKE ALL ON FUNCTION rr_internal.contract_mrr_drift() FROM PUBLIC;

-- Rebuilds the current tenant's MRR steps from the facts: after a contract item was edited
-- into or out of a deposit item by hand (the catalog is written by plain SQL, and no
-- workflow runs then), or to check nothing is stale.
CREATE FUNCTION rr.refresh_mrr()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    ids bigint[];
    n bigint;
BEGIN
    SELECT coalesce(array_agg(k.contract_id ORDER BY k.contract_id), '{}') INTO ids
      FROM rr.contract k
     WHERE k.tenant_id = t AND k.activation_date IS NOT NULL;
    -- the contracts in one fixed order, as every workflow locks them
    PERFORM FROM rr.contract k WHERE k.tenant_id = t AND k.contract_id = ANY (ids) ORDER BY k.contract_id FOR UPDATE;
    PERFORM rr_internal.refresh_contract_mrr(t, ids);
    SELECT count(*) INTO n FROM rr.contract_mrr m WHERE m.tenant_id = t;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.refresh_mrr() IS 'admin: rebuilds the MRR steps (rr.contract_mrr) of every contract of the current tenant from its contract, lines, discounts and contract items, which the workflows keep current on their own; needed after a contract item is edited into or out of a deposit item by hand; returns the number of steps';
