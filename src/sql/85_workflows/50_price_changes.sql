-- Applying catalog price changes to existing contracts (docs/catalog-and-contracts.md,
-- "Price changes").  rr.apply_price_changes moves, for every on_date change due by as_of and
-- every at_renewal change whose new term has started by then, the lines that follow the old
-- catalog price: a new line version from the move date (a version already dated that day,
-- or dated later with the old price, takes the new price in place), so billing credits what
-- it billed beyond the move date and bills the new price for those days, exactly as for any
-- line change; one contract event 'price_change' per change and contract; one row per moved
-- line in rr.price_change_line, whose key makes each change move a line once; and the
-- revenue of planned contracts re-planned from the earliest move date.  A renewal
-- (40_renewals.sql) applies the at_renewal changes of the term it starts in the same
-- transaction, through the same function.

-- Apply the moves of the changes, in the order they take effect, to the given contracts
-- (locked by the caller; NULL: all); as_of NULL applies them whatever their date (a renewal
-- in progress, whose new terms start on term_starts, applies only at_renewal changes).
CREATE FUNCTION rr_internal.apply_price_changes(tenant_id text, as_of date, contract_ids bigint[], term_starts date[],
                                                at_renewal_only boolean)
RETURNS TABLE (change_id bigint, contract_id bigint, line_no integer, move_date date)
LANGUAGE plpgsql ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := apply_price_changes.tenant_id;
    ch record;
    -- the line versions one change moves (one element each)
    k_ids bigint[];
    l_nos integer[];
    v_froms date[];
    w_froms date[];
    moves date[];
    rec_prices numeric[];
    ren_prices numeric[];
    old_r numeric[];
    new_r numeric[];
    old_rn numeric[];
    new_rn numeric[];
    ids bigint[];
    firsts date[];
    befores jsonb[];
    replan_ids bigint[] := '{}';
    replan_dates date[] := '{}';
BEGIN
    FOR ch IN SELECT pc.change_id FROM rr.price_change pc
               WHERE pc.tenant_id = t
                 AND (pc.existing_contracts = 'at_renewal'
                      OR (pc.existing_contracts = 'on_date' AND NOT at_renewal_only
                          AND (as_of IS NULL OR pc.move_on <= as_of)))
               ORDER BY pc.effective_from, pc.change_id
    LOOP
        -- the versions of the lines this change moves by as_of and has not moved before
        SELECT array_agg(x.contract_id), array_agg(x.line_no), array_agg(x.version_from), array_agg(x.write_from),
               array_agg(x.move_date), array_agg(x.recurring_price), array_agg(x.renewal_price),
               array_agg(x.old_recurring_price), array_agg(x.new_recurring_price),
               array_agg(x.old_renewal_price), array_agg(x.new_renewal_price)
          INTO k_ids, l_nos, v_froms, w_froms, moves, rec_prices, ren_prices, old_r, new_r, old_rn, new_rn
          FROM rr_internal.price_moves(t, ch.change_id, contract_ids, term_starts, false) x
         WHERE (as_of IS NULL OR x.move_date <= as_of)
           AND NOT EXISTS (SELECT FROM rr.price_change_line d
                            WHERE d.tenant_id = t AND d.change_id = ch.change_id
                              AND d.contract_id = x.contract_id AND d.line_no = x.line_no);
        CONTINUE WHEN k_ids IS NULL;
        SELECT array_agg(x.id ORDER BY x.id), array_agg(x.d ORDER BY x.id),
               array_agg(rr_internal.contract_snapshot(t, x.id) ORDER BY x.id)
          INTO ids, firsts, befores
          FROM (SELECT u.id, min(u.d) AS d FROM unnest(k_ids, moves) AS u (id, d) GROUP BY u.id) x;
        -- the new versions: a copy of each version in force from the move date, with the new
        -- prices, dated the move date (or its own later date, which it keeps)
        INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                                      setup_price, renewal_price, recurring_price, price_model, billing_period, is_removed)
        SELECT t, l.contract_id, l.line_no, x.w_from, l.contract_item, l.quantity, l.setup_price,
               x.ren, x.rec, l.price_model, l.billing_period, l.is_removed
          FROM unnest(k_ids, l_nos, v_froms, w_froms, rec_prices, ren_prices) AS x (id, no, v_from, w_from, rec, ren)
          JOIN rr.contract_line l ON l.tenant_id = t AND l.contract_id = x.id AND l.line_no = x.no
                                 AND l.effective_from = x.v_from
        ON CONFLICT ON CONSTRAINT contract_line_pkey DO UPDATE
           SET recurring_price = EXCLUDED.recurring_price, renewal_price = EXCLUDED.renewal_price;
        -- one event per contract, then the log of every line moved (its key: once per change)
        WITH ev AS (
            INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, reason, before, after)
            SELECT t, x.id, 'price_change', rr.acting_role(), x.first_move,
                   format('price change %s', ch.change_id), x.before, rr_internal.contract_snapshot(t, x.id)
              FROM unnest(ids, firsts, befores) AS x (id, first_move, before)
             ORDER BY x.id
            RETURNING contract_event.contract_id, contract_event.event_id, contract_event.acting_role,
                      contract_event.effective_date
        )
        INSERT INTO rr.price_change_line (tenant_id, change_id, contract_id, line_no, move_date, old_recurring_price,
                                          new_recurring_price, old_renewal_price, new_renewal_price, event_id, acting_role)
        SELECT DISTINCT ON (x.id, x.no) t, ch.change_id, x.id, x.no, x.move, x.o_r, x.n_r, x.o_rn, x.n_rn,
               ev.event_id, ev.acting_role
          FROM unnest(k_ids, l_nos, moves, old_r, new_r, old_rn, new_rn) AS x (id, no, move, o_r, n_r, o_rn, n_rn)
          JOIN ev ON ev.contract_id = x.id
         ORDER BY x.id, x.no;
        replan_ids := replan_ids || ids;
        replan_dates := replan_dates || firsts;
        -- (= ANY: the key's index is searched once per contract; IN (SELECT unnest(ids)) was
        -- planned from an estimate of ten contracts and took 20 s for 20,000 on a new table)
        RETURN QUERY SELECT ch.change_id, d.contract_id, d.line_no, d.move_date FROM rr.price_change_line d
                      WHERE d.tenant_id = t AND d.change_id = ch.change_id AND d.contract_id = ANY (ids)
                      ORDER BY d.contract_id, d.line_no;
    END LOOP;
    -- the MRR of the contracts moved (docs/reports.md, "MRR and ARR"; a renewal refreshes its
    -- contracts itself, after its uplift)
    IF NOT at_renewal_only AND cardinality(replan_ids) > 0 THEN
        PERFORM rr_internal.refresh_contract_mrr(t, replan_ids);
    END IF;
    -- revenue: a planned contract is re-planned from its earliest move (a renewal re-plans
    -- its contracts itself)
    IF NOT at_renewal_only THEN
        PERFORM rr_internal.run_create_obligations(t, array_agg(x.id), array_agg(x.d))
           FROM (SELECT r.id, min(r.d) AS d FROM unnest(replan_ids, replan_dates) AS r (id, d) GROUP BY r.id) x
          WHERE EXISTS (SELECT FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = x.id)
         HAVING count(*) > 0;
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.apply_price_changes(text, date, bigint[], date[], boolean) IS 'internal: moves the lines of the given (locked) contracts that follow an old catalog price to the new one, change by change in the order they take effect: on_date changes due by as_of and at_renewal changes whose new term starts by as_of (or on term_starts, for a renewal in progress: at_renewal_only); new line versions, one event ''price_change'' per change and contract, one rr.price_change_line row per line, revenue re-planned from the earliest move; returns the lines moved';
REVOKE ALL ON FUNCTION rr_internal.apply_price_changes(text, date, bigint[], date[], boolean) FROM PUBLIC;

-- Batch: apply every change due by as_of to the tenant's contracts.
CREATE FUNCTION rr.apply_price_changes(as_of date DEFAULT current_date)
RETURNS TABLE (change_id bigint, contract_id bigint, line_no integer, move_date date)
LANGUAGE plpgsql SECURITY DEFINER ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    ids bigint[];
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('price change date', as_of);
    -- the tables it reads and re-plans revenue from, analysed first where new, grown or
    -- not knowing the tenant (docs/operations.md, "Performance")
    PERFORM rr_internal.refresh_statistics('{rr.contract,rr.contract_line,rr.charge,rr.contract_billing_state,'
                                           'rr.performance_obligation,rr.obligation_charge,rr.revenue_schedule_line}', t);
    -- lock, in contract_id order (as billing and renewal runs lock), every open contract with
    -- a line of a contract item that a change may move; what moves is read after the locks,
    -- so a second run that waited sees the first one's versions and log and moves nothing
    SELECT array_agg(x.contract_id ORDER BY x.contract_id) INTO ids
      FROM (SELECT k.contract_id FROM rr.contract k
             WHERE k.tenant_id = t AND k.status IN ('draft', 'pending_activation', 'active')
               AND EXISTS (SELECT FROM rr.contract_line l
                            JOIN rr.contract_item ci ON ci.tenant_id = t AND ci.code = l.contract_item
                            JOIN rr.price_change pc ON pc.tenant_id = t AND pc.existing_contracts <> 'keep'
                                                   AND pc.effective_from <= as_of
                                                   AND (pc.contract_item = ci.code
                                                        OR (pc.currency = ci.currency
                                                            AND pc.item IN (ci.setup_item, ci.renewal_item, ci.recurring_item)))
                            WHERE l.tenant_id = t AND l.contract_id = k.contract_id)
             ORDER BY k.contract_id
               FOR UPDATE OF k) x;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- (a statement of its own with constant arguments: on Citus, rr.distribute() delegates
    -- it to the tenant's worker, where its statements may take each contract's snapshot,
    -- which Citus refuses inside a statement the coordinator sends to a shard:
    -- docs/scale-out.md)
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT a.change_id, a.contract_id, a.line_no, a.move_date
                                   FROM rr_internal.apply_price_changes(%L::text, %L::date, %L::bigint[], NULL::date[], false) AS a
                                  ORDER BY a.change_id, a.contract_id, a.line_no',
                                t, as_of, ids);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.apply_price_changes(date) IS 'batch: moves the contract lines that follow an old catalog price to the new one, for every on_date change due by as_of and every at_renewal change whose new term has started by then (rr.price_change): new line versions from the move date, so billing credits and rebills the days after it; each change moves a line once (rr.price_change_line), contracts locked in contract_id order; idempotent and safe to run concurrently; returns the lines it moved';
