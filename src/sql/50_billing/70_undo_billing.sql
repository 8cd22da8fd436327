-- Undo the last billing of a contract (Acumatica's action): delete the draft invoices and
-- the charges of its last billing run, so that what they billed becomes due again.
CREATE FUNCTION rr.undo_last_billing(contract_id bigint)
RETURNS TABLE (invoice_id bigint, charges bigint)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    c rr.contract := rr_internal.contract_for_action(t, contract_id, 'undo the last billing of',
                                            ARRAY['active', 'pending_upgrade', 'terminated', 'expired', 'completed']);
    last_run bigint;
    posted text;
    ids bigint[];
    counts bigint[];
BEGIN
    -- the last run is the one that started last (rr_internal.bill stamps it once it holds
    -- the contract's lock; the id breaks a tie): ids are not in time order across nodes,
    -- where a tenant moved to another worker draws them from that worker's range
    -- (docs/scale-out.md)
    SELECT ch.run_id INTO last_run
      FROM rr.charge ch
      JOIN rr.billing_run r ON r.tenant_id = t AND r.run_id = ch.run_id
     WHERE ch.tenant_id = t AND ch.contract_id = c.contract_id
     ORDER BY r.started_at DESC, ch.run_id DESC
     LIMIT 1;
    IF last_run IS NULL THEN
        RAISE EXCEPTION 'contract % has not been billed', c.contract_id USING ERRCODE = '55000';
    END IF;
    SELECT i.number INTO posted FROM rr.invoice i
     WHERE i.tenant_id = t AND i.contract_id = c.contract_id AND i.run_id = last_run AND i.status = 'posted';
    IF FOUND THEN
        RAISE EXCEPTION 'cannot undo the last billing of contract %: invoice % is posted', c.contract_id, posted
            USING ERRCODE = '55000', HINT = 'Correct a posted invoice with a credit note.';
    END IF;
    -- the drafts' lines first, in a statement of their own: each takes its schedule lines
    -- with it (schedule_line_invoice_line), found through its invoice's contract, which
    -- the invoice still names then
    WITH del_lines AS (
        DELETE FROM rr.invoice_line l
         USING rr.invoice i
         WHERE i.tenant_id = t AND i.contract_id = c.contract_id AND i.run_id = last_run
           AND l.tenant_id = t AND l.invoice_id = i.invoice_id
        RETURNING l.invoice_id
    )
    SELECT coalesce(array_agg(x.invoice_id ORDER BY x.invoice_id), '{}'), coalesce(array_agg(x.n ORDER BY x.invoice_id), '{}')
      INTO ids, counts
      FROM (SELECT d.invoice_id, count(*) AS n FROM del_lines d GROUP BY d.invoice_id) x;
    -- then the drafts (each draft's row of the drafts to post goes with it: rr.invoice_draft)
    WITH del_inv AS (
        DELETE FROM rr.invoice i
         WHERE i.tenant_id = t AND i.contract_id = c.contract_id AND i.run_id = last_run
        RETURNING i.invoice_id
    )
    DELETE FROM rr.invoice_draft d USING del_inv WHERE d.tenant_id = t AND d.invoice_id = del_inv.invoice_id;
    RETURN QUERY SELECT * FROM unnest(ids, counts);
    DELETE FROM rr.charge ch WHERE ch.tenant_id = t AND ch.contract_id = c.contract_id AND ch.run_id = last_run;
    -- what the run had settled is due again: the next run recomputes the contract's history
    -- (the state stays, without a fingerprint: the contract may still have charges of
    -- earlier runs, which rr_internal.due_charges looks up only for contracts with a state)
    UPDATE rr.contract_billing_state s SET terms_hash = NULL
     WHERE s.tenant_id = t AND s.contract_id = c.contract_id;
    DELETE FROM rr.usage_rating_state s WHERE s.tenant_id = t AND s.contract_id = c.contract_id;
END
$$;
COMMENT ON FUNCTION rr.undo_last_billing(bigint) IS 'deletes the draft invoices and the charges of a contract''s last billing run, so that the next run bills them again; refused once one of them is posted';
