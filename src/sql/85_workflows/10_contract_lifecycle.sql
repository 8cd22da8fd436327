-- The contract lifecycle (docs/catalog-and-contracts.md):
--
--   create ──> draft ──setup──> pending_activation ──activate──> active ──terminate──> terminated
--                 └──────────── setup_and_activate ─────────────┘   │ ──expire─────> expired
--                                                                    │ ──complete───> completed
--                                                                    └ (upgrade: pending_upgrade, later)
--
-- Every action is a SECURITY DEFINER function: it finds the contract in the current
-- tenant only (explicitly: RLS does not apply to the definer), locks it, checks the
-- transition and the dates, changes it and appends an event with the contract and its
-- lines before and after, all in the caller's transaction.  An activation, a new end or
-- termination date, and a new line version of a planned contract then (re)plan its
-- performance obligations and revenue schedules (rr_internal.create_obligations,
-- src/sql/80_revenue/20_obligations.sql) in the same transaction.  Creating a draft and
-- the building blocks are in src/sql/30_contracts/40_lifecycle.sql.

-- A small helper for the single-step actions below: apply a status and dates, (re)plan
-- revenue where that changes it, log it.
CREATE FUNCTION rr_internal.apply_contract_action(c rr.contract, action text, new_status text, effective_date date, reason text,
                                         setup_date date DEFAULT NULL, activation_date date DEFAULT NULL,
                                         termination_date date DEFAULT NULL, closed_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    changed rr.contract;
BEGIN
    UPDATE rr.contract k
       SET status = new_status,
           setup_date = coalesce(apply_contract_action.setup_date, k.setup_date),
           activation_date = coalesce(apply_contract_action.activation_date, k.activation_date),
           termination_date = coalesce(apply_contract_action.termination_date, k.termination_date),
           closed_date = coalesce(apply_contract_action.closed_date, k.closed_date)
     WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id
    RETURNING k.* INTO changed;
    -- its MRR from its activation to its end (docs/reports.md, "MRR and ARR")
    IF (changed.activation_date, changed.termination_date, changed.closed_date)
       IS DISTINCT FROM (c.activation_date, c.termination_date, c.closed_date) THEN
        PERFORM rr_internal.refresh_contract_mrr(c.tenant_id, ARRAY[c.contract_id]);
    END IF;
    -- revenue: a contract that becomes active gets its performance obligations, allocation
    -- and schedules; a new end or termination date changes the fixed consideration of a
    -- planned contract, which is re-planned from the earlier of the old and new date
    IF (changed.status = 'active' AND c.status IN ('draft', 'pending_activation'))
       OR ((changed.end_date IS DISTINCT FROM c.end_date OR changed.termination_date IS DISTINCT FROM c.termination_date)
           AND EXISTS (SELECT FROM rr.performance_obligation po
                        WHERE po.tenant_id = c.tenant_id AND po.contract_id = c.contract_id)) THEN
        PERFORM rr_internal.run_create_obligations(c.tenant_id, ARRAY[c.contract_id],
                    ARRAY[least(CASE WHEN changed.termination_date IS DISTINCT FROM c.termination_date
                                     THEN least(changed.termination_date, c.termination_date) END,
                                CASE WHEN changed.end_date IS DISTINCT FROM c.end_date
                                     THEN least(changed.end_date, c.end_date) END)]);
    END IF;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, action, effective_date, reason, before);
    RETURN new_status;
END
$$;
COMMENT ON FUNCTION rr_internal.apply_contract_action(rr.contract, text, text, date, text, date, date, date, date) IS 'internal: sets a contract''s status and dates and logs the action';
REVOKE ALL ON FUNCTION rr_internal.apply_contract_action(rr.contract, text, text, date, text, date, date, date, date) FROM PUBLIC;

CREATE FUNCTION rr.setup_contract(contract_id bigint, setup_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set up', ARRAY['draft']);
    d date := rr_internal.check_contract_date(c, 'setup', coalesce(setup_date, c.start_date), c.start_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'setup', 'pending_activation', d, NULL, setup_date => d);
END
$$;
COMMENT ON FUNCTION rr.setup_contract(bigint, date) IS 'sets up a draft contract (status pending_activation) on setup_date (default: its start date)';

CREATE FUNCTION rr.activate_contract(contract_id bigint, activation_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'activate', ARRAY['pending_activation']);
    d date := rr_internal.check_contract_date(c, 'activation', coalesce(activation_date, c.setup_date), c.setup_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'activate', 'active', d, NULL, activation_date => d);
END
$$;
COMMENT ON FUNCTION rr.activate_contract(bigint, date) IS 'activates a set-up contract (status active) on activation_date (default: its setup date)';

CREATE FUNCTION rr.setup_and_activate_contract(contract_id bigint, activation_date date DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set up and activate', ARRAY['draft']);
    d date := rr_internal.check_contract_date(c, 'activation', coalesce(activation_date, c.start_date), c.start_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'setup_and_activate', 'active', d, NULL, setup_date => d, activation_date => d);
END
$$;
COMMENT ON FUNCTION rr.setup_and_activate_contract(bigint, date) IS 'sets up and activates a draft contract in one step (status active) on activation_date (default: its start date)';

CREATE FUNCTION rr.terminate_contract(contract_id bigint, termination_date date, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'terminate', ARRAY['active', 'pending_upgrade']);
    d date := rr_internal.check_contract_date(c, 'termination', termination_date, c.activation_date);
BEGIN
    -- an upgrade in progress ends with the contract (its staged changes never take effect)
    DELETE FROM rr.pending_upgrade u WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id;
    RETURN rr_internal.apply_contract_action(c, 'terminate', 'terminated', d, reason, termination_date => d, closed_date => d);
END
$$;
COMMENT ON FUNCTION rr.terminate_contract(bigint, date, text) IS 'terminates an active contract on termination_date (not before activation, not after the end of the term), with a reason for the log; the next billing run bills nothing after it and credits what was billed beyond it as the contract''s refund policy says (none, prorated, full; setup and renewal fees only when the contract item is refundable)';

CREATE FUNCTION rr.complete_contract(contract_id bigint, completion_date date DEFAULT NULL, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'complete', ARRAY['active']);
    d date := rr_internal.check_contract_date(c, 'completion', coalesce(completion_date, c.end_date, current_date), c.activation_date);
BEGIN
    RETURN rr_internal.apply_contract_action(c, 'complete', 'completed', d, reason, closed_date => d);
END
$$;
COMMENT ON FUNCTION rr.complete_contract(bigint, date, text) IS 'marks an active contract fulfilled and closed (status completed): no further billing or renewal';

CREATE FUNCTION rr.expire_contract(contract_id bigint, as_of date DEFAULT current_date)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'expire', ARRAY['active']);
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expiry date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('expiry date', as_of);
    IF c.end_date IS NULL THEN
        RAISE EXCEPTION 'contract % is unlimited and cannot expire', c.contract_id
            USING ERRCODE = '55000', HINT = 'Terminate or complete it instead.';
    ELSIF as_of < c.end_date + c.grace_period_days THEN
        RAISE EXCEPTION 'contract % has not expired on %', c.contract_id, as_of
            USING ERRCODE = '55000',
                  DETAIL = format('Its term ends on %s; with a grace period of %s days it expires on %s.',
                                  c.end_date, c.grace_period_days, c.end_date + c.grace_period_days);
    END IF;
    RETURN rr_internal.apply_contract_action(c, 'expire', 'expired', c.end_date, NULL, closed_date => c.end_date);
END
$$;
COMMENT ON FUNCTION rr.expire_contract(bigint, date) IS 'expires an active contract whose term and grace period have ended by as_of (status expired)';

-- Batch: expire every active contract of the tenant whose term and grace period ended by
-- as_of, in one statement (and one event per contract).  The work is
-- rr_internal.expire_contracts, called as a statement of its own with constant arguments:
-- on Citus, rr.distribute() delegates it to the tenant's worker, where its statement may
-- read the tenant's shards per contract (its snapshot), which Citus refuses inside a
-- statement the coordinator sends to a shard (docs/scale-out.md).
CREATE FUNCTION rr_internal.expire_contracts(tenant_id text, as_of date)
RETURNS TABLE (contract_id bigint, end_date date)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := expire_contracts.tenant_id;
    events bigint[];
BEGIN
    WITH due AS (
        SELECT k.contract_id, rr_internal.contract_snapshot(k.tenant_id, k.contract_id) AS before
          FROM rr.contract k
         WHERE k.tenant_id = t AND k.status = 'active' AND k.end_date + k.grace_period_days <= as_of
           FOR UPDATE SKIP LOCKED
    ), upd AS (
        -- (the snapshot comes through RETURNING: joining the two CTEs again was a nested
        -- loop over the whole batch per contract on new tables, whose estimates say one row)
        UPDATE rr.contract k SET status = 'expired', closed_date = k.end_date
          FROM due
         WHERE k.tenant_id = t AND k.contract_id = due.contract_id
        RETURNING k.contract_id, k.end_date, due.before
    ), ev AS (
        INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, before, after)
        SELECT t, u.contract_id, 'expire',
               rr.acting_role(),
               u.end_date, u.before,
               jsonb_set(u.before, '{contract}', (u.before->'contract')
                         || jsonb_build_object('status', 'expired', 'closed_date', u.end_date))
          FROM upd u
        RETURNING event_id
    )
    SELECT array_agg(event_id) INTO events FROM ev;
    PERFORM rr_internal.publish_contract_events(t, events);
    RETURN QUERY
    SELECT e.contract_id, e.effective_date FROM rr.contract_event e
     WHERE e.tenant_id = t AND e.event_id = ANY (events) ORDER BY 1;
END
$$;
COMMENT ON FUNCTION rr_internal.expire_contracts(text, date) IS 'internal: expires every active contract of the tenant whose term plus grace period ended by as_of (those another session holds locked are left for the next call): status expired, one contract event each and their outbox rows; returns them';
REVOKE ALL ON FUNCTION rr_internal.expire_contracts(text, date) FROM PUBLIC;

CREATE FUNCTION rr.expire_contracts(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, end_date date)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expiry date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('expiry date', as_of);
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT x.contract_id, x.end_date FROM rr_internal.expire_contracts(%L::text, %L::date) AS x',
                                rr.current_tenant(), as_of);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.expire_contracts(date) IS 'batch: expires every active contract of the current tenant whose term plus grace period ended by as_of; returns them';

-- A new version of a line (or a new line) of a locked contract, effective from a date:
-- the building block of rr.change_contract_line and of amendments
-- (src/sql/85_workflows/50_amendments.sql), which log and re-plan themselves.
CREATE FUNCTION rr_internal.change_line(c rr.contract, contract_item text, effective_from date,
                                        quantity numeric, prices jsonb, remove boolean,
                                        OUT line_no integer, OUT is_new boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur rr.contract_line;
    first_version record;
BEGIN
    IF NOT (SELECT allow_override FROM rr.contract_template x WHERE x.tenant_id = c.tenant_id AND x.code = c.template)
       AND (coalesce(prices, '{}') <> '{}'
            OR NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id
                              AND l.contract_id = c.contract_id AND l.contract_item = change_line.contract_item)) THEN
        RAISE EXCEPTION 'contract template "%" does not allow overrides', c.template
            USING ERRCODE = '22023', HINT = 'Only the quantities of the template''s lines may change.';
    END IF;
    PERFORM rr_internal.check_price_overrides(prices, contract_item);
    -- the line's version in effect on the date, or a new line number
    SELECT * INTO cur FROM rr.contract_lines_as_of(c.contract_id, effective_from) l
     WHERE l.contract_item = change_line.contract_item AND NOT l.is_removed;
    -- a change inside periods already billed is fine: the next billing run credits what
    -- was billed for the days from effective_from on and bills the new terms for them
    line_no := coalesce(cur.line_no, (SELECT max(l.line_no) + 1 FROM rr.contract_line l
                                       WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id));
    IF remove AND cur.line_no IS NULL THEN
        RAISE EXCEPTION 'contract % has no line for contract item "%" on %', c.contract_id, contract_item, effective_from
            USING ERRCODE = 'P0002';
    END IF;
    -- a line's setup fee is billed once, from its first version (rr.due_charges): a new
    -- setup price in a later version would be written and never billed, so it is refused
    -- (a version on the first version's date replaces it, and its price is billed)
    IF cur.line_no IS NOT NULL AND prices ? 'setup_price'
       AND (prices->>'setup_price')::numeric IS DISTINCT FROM cur.setup_price THEN
        SELECT f.effective_from, f.setup_price INTO first_version
          FROM rr.contract_line f
         WHERE f.tenant_id = c.tenant_id AND f.contract_id = c.contract_id AND f.line_no = cur.line_no
         ORDER BY f.effective_from
         LIMIT 1;
        IF first_version.effective_from < change_line.effective_from THEN
            RAISE EXCEPTION 'cannot change the setup price of contract item "%" on contract % from %',
                            contract_item, c.contract_id, effective_from
                USING ERRCODE = '0A000',
                      DETAIL = format('A line''s setup fee is billed once, at the price of its first version (from %s: %s); a later version''s setup price would never be billed.',
                                      first_version.effective_from, coalesce(first_version.setup_price::text, 'no setup price')),
                      HINT = 'Bill the difference as a one-off charge or credit (rr.add_one_off_charge), or change the price on the line''s first day.';
        END IF;
    END IF;
    -- a version on a date that already has one replaces it; only a new version re-plans
    is_new := NOT EXISTS (SELECT FROM rr.contract_line l
                           WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id
                             AND l.line_no = change_line.line_no AND l.effective_from = change_line.effective_from);
    PERFORM rr_internal.write_contract_line(c, change_line.line_no, contract_item, effective_from,
                                   coalesce(quantity, cur.quantity),
                                   coalesce(jsonb_strip_nulls(jsonb_build_object(
                                       'setup_price', cur.setup_price, 'renewal_price', cur.renewal_price,
                                       'recurring_price', cur.recurring_price,
                                       'price_model', cur.price_model::text)), '{}') || coalesce(prices, '{}'),
                                   remove);
END
$$;
COMMENT ON FUNCTION rr_internal.change_line(rr.contract, text, date, numeric, jsonb, boolean) IS 'internal: writes a new version of a locked contract''s line for a contract item (or adds the line, or removes it) effective from a date, keeping the prices of the version it follows unless overridden; returns the line number and whether the version is new (a version on a date that has one replaces it)';
REVOKE ALL ON FUNCTION rr_internal.change_line(rr.contract, text, date, numeric, jsonb, boolean) FROM PUBLIC;

-- A new version of a line (or a new line) effective from a date: quantity or price changes.
CREATE FUNCTION rr.change_contract_line(contract_id bigint, contract_item text, effective_from date,
                                        quantity numeric DEFAULT NULL, prices jsonb DEFAULT '{}',
                                        remove boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'change a line of',
                                            ARRAY['draft', 'pending_activation', 'active']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    r record;
BEGIN
    PERFORM rr_internal.check_contract_date(c, 'effective', effective_from, coalesce(c.activation_date, c.start_date));
    r := rr_internal.change_line(c, contract_item, effective_from, quantity, prices, remove);
    -- the contract's MRR from then on (docs/reports.md, "MRR and ARR")
    PERFORM rr_internal.refresh_contract_mrr(c.tenant_id, ARRAY[c.contract_id]);
    -- revenue: a contract already planned is re-planned from the new version's date
    IF r.is_new AND EXISTS (SELECT FROM rr.performance_obligation po
                             WHERE po.tenant_id = c.tenant_id AND po.contract_id = c.contract_id) THEN
        PERFORM rr_internal.run_create_obligations(c.tenant_id, ARRAY[c.contract_id], ARRAY[effective_from]);
    END IF;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, CASE WHEN remove THEN 'remove_line' ELSE 'change_line' END,
                                  effective_from, NULL, before);
    RETURN r.line_no;
END
$$;
COMMENT ON FUNCTION rr.change_contract_line(bigint, text, date, numeric, jsonb, boolean) IS 'writes a new version of the contract''s line for a contract item (or adds the line) effective from a date: new quantity, price overrides ({"recurring_price": p}, or {"price_model": "flat(99.00)"} for an item with a price model), or removal; returns the line number';
