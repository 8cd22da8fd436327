-- Renewals (docs/catalog-and-contracts.md, "Renewals"): rr.renew_contract renews one
-- contract, rr.run_renewals every contract of the tenant that is due for mass renewal.
-- Both lock their contracts and then call the one implementation,
-- rr_internal.renew_contracts, which renews a set of contracts in a few set-based
-- statements: the new end of each, the renewal log, the contract events and their outbox
-- rows (topic contract.renewed), and the revenue re-plan from the previous end.  Billing
-- needs nothing here: rr.due_charges reads rr.contract_renewal and bills the renewal fee
-- of each new term on its first day, once (its charge key is the new term).  A renewal
-- uplift is a new line version from the first day of the new term.

-- Renew those of the given contracts (locked by the caller) that are due or in their grace
-- period on renewal_date; skip the others.  Each renews into the next term of the same
-- contract: term n + 1 ends on rr_internal.term_end(start, template duration, n + 1).
CREATE FUNCTION rr_internal.renew_contracts(tenant_id text, contract_ids bigint[], renewal_date date)
RETURNS TABLE (contract_id bigint, renewal_no integer, previous_end date, new_end date)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := renew_contracts.tenant_id;
    ids bigint[];
    nos integer[];
    prev_ends date[];
    new_ends date[];
    bad record;
    metered bigint[];
    k_id bigint;
BEGIN
    -- the contracts still due (read after the caller's lock, so a renewal another session
    -- committed meanwhile is seen and not repeated) and their next term
    SELECT array_agg(d.contract_id ORDER BY d.contract_id), array_agg(d.no ORDER BY d.contract_id),
           array_agg(d.end_date ORDER BY d.contract_id), array_agg(d.next_end ORDER BY d.contract_id)
      INTO ids, nos, prev_ends, new_ends
      FROM (SELECT k.contract_id, k.end_date, coalesce(r.n, 0) + 1 AS no,
                   rr_internal.term_end(k.start_date, tp.duration, tp.duration_unit, coalesce(r.n, 0) + 2) AS next_end
              FROM rr.contract k
              JOIN rr.contract_template tp ON tp.tenant_id = k.tenant_id AND tp.code = k.template
              LEFT JOIN LATERAL (SELECT count(*)::integer AS n FROM rr.contract_renewal x
                                  WHERE x.tenant_id = t AND x.contract_id = k.contract_id) r ON true
             WHERE k.tenant_id = t AND k.contract_id IN (SELECT unnest(contract_ids))
               AND rr_internal.renewal_state(k.status, k.contract_type, k.end_date, k.renewal_point_days,
                                    k.grace_period_days, coalesce(r.n, 0), renewal_date) IN ('due', 'in_grace')) d;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- a template whose duration was shortened since the contract's last term (or turned
    -- unlimited) gives no later end: refuse rather than guess
    SELECT x.id, x.prev_end, x.new_end INTO bad FROM unnest(ids, prev_ends, new_ends) AS x (id, prev_end, new_end)
     WHERE x.new_end IS NULL OR x.new_end <= x.prev_end LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot renew contract %: its template gives no term after %', bad.id, bad.prev_end
            USING ERRCODE = '55000',
                  DETAIL = 'A renewed term ends on the start date plus the number of terms times the template''s duration.',
                  HINT = 'Restore the template''s duration, or create a new contract.';
    END IF;
    -- their state before, for their events: staged in a work table, not held in memory, so
    -- that a mass renewal's memory does not grow with the number of contracts
    IF rr_internal.claim_work_table('rr_renewal_before') THEN
        CREATE TEMP TABLE rr_renewal_before (contract_id bigint PRIMARY KEY, before jsonb NOT NULL);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_renewal_before');
    INSERT INTO pg_temp.rr_renewal_before
    SELECT x.id, rr_internal.contract_snapshot(t, x.id) FROM unnest(ids) AS x (id);
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_renewal_before');

    -- usage first: a contract with usage due by the renewal date and not billed yet (what
    -- rr_internal.usage_charges rates) is billed before it renews, as a billing run on the
    -- renewal date would bill it (with whatever else is due by then), so the ending term's
    -- usage is invoiced under the ending term's lines; only contracts with metered lines
    -- are rated, all of them in one call, and only those with usage due are billed
    IF EXISTS (SELECT FROM rr.contract_item ci
                WHERE ci.tenant_id = t
                  AND (ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit')) THEN
        SELECT array_agg(DISTINCT l.contract_id) INTO metered
          FROM unnest(ids) AS x (id)
          JOIN rr.contract_line l ON l.tenant_id = t AND l.contract_id = x.id
          JOIN rr.contract_item ci ON ci.tenant_id = t AND ci.code = l.contract_item
         WHERE ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit';
    END IF;
    IF metered IS NOT NULL THEN
        FOR k_id IN
            SELECT DISTINCT u.contract_id
              FROM rr_internal.usage_charges(t, renewal_date, CASE WHEN cardinality(metered) = 1 THEN metered[1] END) u
             WHERE u.contract_id = ANY (metered)
             ORDER BY 1
        LOOP
            PERFORM rr_internal.run_bill(t, renewal_date, k_id);
        END LOOP;
    END IF;

    UPDATE rr.contract k SET end_date = x.new_end
      FROM unnest(ids, new_ends) AS x (id, new_end)
     WHERE k.tenant_id = t AND k.contract_id = x.id;
    -- catalog price changes that existing contracts take at renewal: the lines that follow
    -- an old catalog price move to the new one from the first day of the new term
    -- (src/sql/85_workflows/50_price_changes.sql); the uplift below applies on top
    PERFORM rr_internal.apply_price_changes(t, NULL, ids, prev_ends, true);
    -- the renewal uplift: a new version, from the first day of the new term, of each line
    -- in force that day with a recurring price, at that price raised by the contract's
    -- percent (exact, never fewer decimals than the price had; amounts are rounded on the
    -- invoice line); a version already written for that day is raised in place
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                                  setup_price, renewal_price, recurring_price, price_model, billing_period, is_removed)
    SELECT t, x.id, l.line_no, x.prev_end, l.contract_item, l.quantity, l.setup_price, l.renewal_price,
           round(l.recurring_price * (100 + k.renewal_uplift_percent) / 100,
                 greatest(scale(l.recurring_price),
                          scale(trim_scale(l.recurring_price * (100 + k.renewal_uplift_percent) / 100)))),
           l.price_model, l.billing_period, l.is_removed
      FROM unnest(ids, prev_ends) AS x (id, prev_end)
      JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = x.id AND k.renewal_uplift_percent <> 0
     CROSS JOIN LATERAL (SELECT DISTINCT ON (v.line_no) v.*
                           FROM rr.contract_line v
                          WHERE v.tenant_id = t AND v.contract_id = x.id AND v.effective_from <= x.prev_end
                          ORDER BY v.line_no, v.effective_from DESC) l
     WHERE NOT l.is_removed AND l.recurring_price IS NOT NULL
    ON CONFLICT ON CONSTRAINT contract_line_pkey DO UPDATE SET recurring_price = EXCLUDED.recurring_price;
    -- their MRR over the new term (docs/reports.md, "MRR and ARR")
    PERFORM rr_internal.refresh_contract_mrr(t, ids);
    -- one event per contract, with the contract before and after, and its renewal
    WITH ev AS (
        INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, before, after)
        SELECT t, b.contract_id, 'renew', rr.acting_role(), renewal_date, b.before,
               rr_internal.contract_snapshot(t, b.contract_id)
          FROM pg_temp.rr_renewal_before b
         ORDER BY b.contract_id
        RETURNING contract_event.contract_id, contract_event.event_id, contract_event.acting_role
    )
    INSERT INTO rr.contract_renewal (tenant_id, contract_id, renewal_no, renewal_date, previous_end, new_end,
                                     event_id, acting_role)
    SELECT t, x.id, x.no, renewal_date, x.prev_end, x.new_end, ev.event_id, ev.acting_role
      FROM unnest(ids, nos, prev_ends, new_ends) AS x (id, no, prev_end, new_end)
      JOIN ev ON ev.contract_id = x.id;
    PERFORM rr_internal.publish_contract_events(t, (SELECT array_agg(r.event_id) FROM rr.contract_renewal r
                                                     WHERE r.tenant_id = t AND (r.contract_id, r.renewal_no)
                                                           IN (SELECT * FROM unnest(ids, nos))));
    -- revenue: the longer term changes the fixed consideration of a planned contract; re-plan
    -- it from the previous end (what was scheduled before it stays)
    PERFORM rr_internal.run_create_obligations(t, array_agg(x.id), array_agg(x.prev_end))
       FROM unnest(ids, prev_ends) AS x (id, prev_end)
      WHERE EXISTS (SELECT FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = x.id)
     HAVING count(*) > 0;
    RETURN QUERY SELECT x.id, x.no, x.prev_end, x.new_end FROM unnest(ids, nos, prev_ends, new_ends) AS x (id, no, prev_end, new_end)
                  ORDER BY x.id;
END
$$;
COMMENT ON FUNCTION rr_internal.renew_contracts(text, bigint[], date) IS 'internal: renews those of the given (locked) contracts that are due or in grace on renewal_date into their next term: new end date, recurring prices raised by the contract''s renewal uplift from the new term, rr.contract_renewal row, contract event ''renew'' and outbox row contract.renewed, revenue re-planned from the previous end; returns what it renewed';
REVOKE ALL ON FUNCTION rr_internal.renew_contracts(text, bigint[], date) FROM PUBLIC;

-- Renew one contract, or say why it cannot be renewed on that date.
CREATE FUNCTION rr.renew_contract(contract_id bigint, renewal_date date DEFAULT current_date)
RETURNS date
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'renew', ARRAY['active']);
    renewals integer;
    last_renewal date;
    renewed date;
    audit text[];
BEGIN
    IF renewal_date IS NULL THEN
        RAISE EXCEPTION 'renewal date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('renewal date', renewal_date);
    SELECT count(*), max(r.renewal_date) INTO renewals, last_renewal FROM rr.contract_renewal r
     WHERE r.tenant_id = c.tenant_id AND r.contract_id = c.contract_id;
    CASE rr_internal.renewal_state(c.status, c.contract_type, c.end_date, c.renewal_point_days, c.grace_period_days,
                          renewals, renewal_date)
        WHEN 'unlimited' THEN
            RAISE EXCEPTION 'contract % is unlimited and cannot be renewed', c.contract_id
                USING ERRCODE = '55000', DETAIL = 'It has no end date.',
                      HINT = 'An unlimited contract runs until it is terminated or completed.';
        WHEN 'lapsed' THEN
            RAISE EXCEPTION 'contract % has lapsed and cannot be renewed on %', c.contract_id, renewal_date
                USING ERRCODE = '55000',
                      DETAIL = format('Its term ended on %s and its grace period of %s days on %s.',
                                      c.end_date, c.grace_period_days, c.end_date + c.grace_period_days),
                      HINT = 'Expire it with rr.expire_contract() and create a new contract.';
        WHEN 'final_term' THEN
            RAISE EXCEPTION 'contract % cannot be renewed again', c.contract_id
                USING ERRCODE = '55000',
                      DETAIL = format('Contract %s is expiring: it renews at most once, and was renewed on %s.',
                                      c.contract_id, last_renewal),
                      HINT = 'Create a new contract when it ends.';
        WHEN 'expected', 'renewed' THEN
            RAISE EXCEPTION 'contract % is not due for renewal on %', c.contract_id, renewal_date
                USING ERRCODE = '55000',
                      DETAIL = format('Its term ends on %s; its renewal point, %s days before, is %s.',
                                      c.end_date, c.renewal_point_days, c.end_date - c.renewal_point_days),
                      HINT = format('Renew it from %s to %s.', c.end_date - c.renewal_point_days,
                                    c.end_date + c.grace_period_days);
        ELSE
            NULL;
    END CASE;
    -- (a statement of its own with constant arguments: on Citus, rr.distribute() delegates
    -- it to the tenant's worker, where the usage it bills first is rated in work tables
    -- next to the tenant's shards: docs/scale-out.md)
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    EXECUTE format('SELECT r.new_end FROM rr_internal.renew_contracts(%L::text, %L::bigint[], %L::date) AS r',
                   c.tenant_id, ARRAY[c.contract_id], renewal_date)
       INTO renewed;
    PERFORM rr_internal.forward_audit_roles(audit);
    RETURN renewed;
END
$$;
COMMENT ON FUNCTION rr.renew_contract(bigint, date) IS 'renews an active contract into its next term (same contract; the term''s length is the template''s duration), from its renewal point (end_date - renewal_point_days) to the last day of its grace period (end_date + grace_period_days); an expiring contract renews once; first bills the usage due by renewal_date that is not billed yet; moves lines to the catalog prices of at_renewal price changes and raises recurring prices by the contract''s renewal uplift from the new term; bills the renewal fee of its lines on the first day of the new term and re-plans revenue from the previous end; returns the new end date';

-- Renew every contract of the tenant that is due for mass renewal on as_of.
CREATE FUNCTION rr.run_renewals(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, renewal_no integer, previous_end date, new_end date)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    ids bigint[];
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'renewal date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('renewal date', as_of);
    -- lock the candidates first, in contract_id order (as billing runs lock): a run that
    -- waits for another re-reads each contract it waited for, whose new end makes it no
    -- longer due; the renewal itself, in the next statements, reads after the locks
    SELECT array_agg(x.contract_id ORDER BY x.contract_id) INTO ids
      FROM (SELECT k.contract_id
              FROM rr.contract k
              JOIN rr.contract_template tp ON tp.tenant_id = k.tenant_id AND tp.code = k.template
             WHERE k.tenant_id = t AND k.status = 'active' AND k.contract_type = 'renewable' AND tp.mass_renewal
               AND k.end_date - k.renewal_point_days <= as_of AND as_of <= k.end_date + k.grace_period_days
             ORDER BY k.contract_id
               FOR UPDATE OF k) x;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- the tables the renewals read, analysed first where new, grown or not knowing the
    -- tenant (docs/operations.md, "Performance"; a tenant of 20,000 contracts loaded after
    -- another's renewals and an ANALYZE took 564 s to renew without it)
    PERFORM rr_internal.refresh_statistics('{rr.contract,rr.contract_line,rr.contract_renewal,rr.contract_event,'
                                           'rr.contract_mrr,rr.charge,rr.contract_billing_state,'
                                           'rr.performance_obligation,rr.obligation_charge,rr.revenue_schedule_line}', t);
    -- (a statement of its own with constant arguments, as rr.renew_contract calls it; it
    -- returns its renewals in contract_id order)
    -- (the caller's session and acting roles forwarded, as rr.renew_contract does)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT r.contract_id, r.renewal_no, r.previous_end, r.new_end
                                   FROM rr_internal.renew_contracts(%L::text, %L::bigint[], %L::date) AS r',
                                t, ids, as_of);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.run_renewals(date) IS 'batch: renews every active renewable contract of the current tenant whose template allows mass renewal and that is due on as_of (renewal point reached, grace period not over), locking them in contract_id order, in set-based statements; idempotent and safe to run concurrently; returns the renewals it made';
