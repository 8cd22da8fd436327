-- Amendments (docs/catalog-and-contracts.md, "Amendments and upgrades"): several line
-- changes of an active contract at once, effective from one date (quantity, price, price
-- model, lines added or removed, a line upgraded or downgraded to another contract item),
-- with one event, one re-plan of the revenue and, on request, the difference billed at once.
-- The billing core does the money: each change is a new line version
-- (rr_internal.change_line), and rr_internal.bill credits what was billed for the days
-- from the effective date and charges the new terms for them (rr_internal.due_charges).
-- rr.preview_amendment runs the very same code and rolls it back.  Acumatica's upgrade
-- path (rr.start_upgrade, rr.change_upgrade, rr.activate_upgrade, rr.cancel_upgrade)
-- stages the changes and applies them through the same function on activation.

-- Check an amendment's changes (a jsonb array of objects) before anything is written.
CREATE FUNCTION rr_internal.check_amendment_changes(changes jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ch record;
    k text;
    dup text;
BEGIN
    IF changes IS NULL THEN
        RAISE EXCEPTION 'changes must not be NULL' USING ERRCODE = '22004';
    ELSIF jsonb_typeof(changes) <> 'array' OR jsonb_array_length(changes) = 0 THEN
        RAISE EXCEPTION 'changes must be a non-empty jsonb array of line changes'
            USING ERRCODE = '22023',
                  HINT = 'For example [{"item": "SEATS", "quantity": 20}, {"item": "BASIC", "upgrade_to": "PRO"}].';
    ELSIF jsonb_array_length(changes) > 100 THEN
        RAISE EXCEPTION 'an amendment has at most 100 line changes, not %', jsonb_array_length(changes)
            USING ERRCODE = '22023', HINT = 'Split the amendment.';
    END IF;
    FOR ch IN SELECT e.value AS v, e.ordinality AS n FROM jsonb_array_elements(changes) WITH ORDINALITY e LOOP
        IF jsonb_typeof(ch.v) <> 'object' OR jsonb_typeof(ch.v->'item') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'line change % must be a jsonb object naming its contract item', ch.n
                USING ERRCODE = '22023', DETAIL = format('Got %s.', left(ch.v::text, 200)),
                      HINT = 'For example {"item": "SEATS", "quantity": 20}.';
        END IF;
        FOR k IN SELECT jsonb_object_keys(ch.v) LOOP
            IF k NOT IN ('item', 'quantity', 'setup_price', 'renewal_price', 'recurring_price', 'price_model',
                         'remove', 'upgrade_to') THEN
                RAISE EXCEPTION 'unknown key "%" in line change %', left(k, 100), ch.n
                    USING ERRCODE = '22023',
                          HINT = 'A line change has item and any of quantity, setup_price, renewal_price, recurring_price, price_model, remove (true) and upgrade_to (another contract item).';
            END IF;
        END LOOP;
        IF ch.v ? 'remove' AND jsonb_typeof(ch.v->'remove') <> 'boolean' THEN
            RAISE EXCEPTION 'remove in line change % must be true or false', ch.n USING ERRCODE = '22023';
        ELSIF ch.v ? 'upgrade_to' AND jsonb_typeof(ch.v->'upgrade_to') <> 'string' THEN
            RAISE EXCEPTION 'upgrade_to in line change % must name a contract item', ch.n USING ERRCODE = '22023';
        ELSIF (ch.v->'remove') = 'true' AND (ch.v - 'item' - 'remove') <> '{}' THEN
            RAISE EXCEPTION 'line change % removes contract item "%" and cannot also change it', ch.n, ch.v->>'item'
                USING ERRCODE = '22023';
        ELSIF ch.v->>'upgrade_to' = ch.v->>'item' THEN
            RAISE EXCEPTION 'line change % upgrades contract item "%" to itself', ch.n, ch.v->>'item'
                USING ERRCODE = '22023', HINT = 'Change its quantity or price instead.';
        END IF;
    END LOOP;
    -- one change per contract item (an upgrade names two)
    SELECT x.item INTO dup
      FROM (SELECT e.value->>'item' AS item FROM jsonb_array_elements(changes) e
            UNION ALL
            SELECT e.value->>'upgrade_to' FROM jsonb_array_elements(changes) e WHERE e.value ? 'upgrade_to') x
     GROUP BY x.item HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'contract item "%" is changed twice in one amendment', left(dup, 100)
            USING ERRCODE = '22023', HINT = 'Give each contract item one change.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_amendment_changes(jsonb) IS 'internal: refuses an amendment''s changes unless they are 1 to 100 jsonb objects, each naming a contract item once, with known keys (22023)';
REVOKE ALL ON FUNCTION rr_internal.check_amendment_changes(jsonb) FROM PUBLIC;

-- Check the billing option of an amendment.
CREATE FUNCTION rr_internal.check_amendment_billing(bill text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF bill IS NULL OR bill NOT IN ('next', 'immediately') THEN
        RAISE EXCEPTION 'unknown billing option "%"', left(bill, 100)
            USING ERRCODE = '22023',
                  HINT = 'bill => ''next'' bills the difference with the next billing run; ''immediately'' on its own invoice now.';
    END IF;
    RETURN bill;
END
$$;
COMMENT ON FUNCTION rr_internal.check_amendment_billing(text) IS 'internal: refuses a billing option other than next and immediately (22023)';
REVOKE ALL ON FUNCTION rr_internal.check_amendment_billing(text) FROM PUBLIC;

-- The ASC 606-10-25-12/13 treatment the facts of an amendment call for.
CREATE FUNCTION rr_internal.modification_treatment(facts jsonb)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF jsonb_typeof(coalesce(facts, '{}')) <> 'object' THEN
        RAISE EXCEPTION 'facts must be a jsonb object'
            USING ERRCODE = '22023', HINT = 'For example {"added_distinct": true, "priced_at_ssp": true, "remaining_distinct": true}.';
    END IF;
    FOR k IN SELECT jsonb_object_keys(coalesce(facts, '{}')) LOOP
        IF k NOT IN ('added_distinct', 'priced_at_ssp', 'remaining_distinct') THEN
            RAISE EXCEPTION 'unknown fact "%"', left(k, 100)
                USING ERRCODE = '22023', HINT = 'The facts are added_distinct, priced_at_ssp and remaining_distinct.';
        ELSIF jsonb_typeof(facts->k) <> 'boolean' THEN
            RAISE EXCEPTION 'fact "%" must be true or false', k USING ERRCODE = '22023';
        END IF;
    END LOOP;
    -- 25-12: distinct goods added at their standalone selling price are a separate
    -- contract; else 25-13: remaining goods distinct from those transferred, prospective;
    -- not distinct (one partly satisfied obligation), cumulative catch-up
    RETURN CASE WHEN coalesce((facts->>'added_distinct')::boolean, false)
                     AND coalesce((facts->>'priced_at_ssp')::boolean, false) THEN 'separate_contract'
                WHEN coalesce((facts->>'remaining_distinct')::boolean, true) THEN 'prospective'
                ELSE 'cumulative_catch_up' END;
END
$$;
COMMENT ON FUNCTION rr_internal.modification_treatment(jsonb) IS 'internal: the ASC 606 treatment of a modification from its facts (added_distinct and priced_at_ssp: separate_contract; else remaining_distinct, default true: prospective; else cumulative_catch_up); refuses unknown or non-boolean facts';
REVOKE ALL ON FUNCTION rr_internal.modification_treatment(jsonb) FROM PUBLIC;

-- The cumulative catch-up of an amendment (rr_internal.amend): the open allocation lines of
-- periods before the effective date that recognition already posted are replaced by one
-- line per obligation on the effective date, which posts what the re-plan changed in them
-- in the modification period; the replaced lines are kept for the reports as of an earlier
-- date.  Returns the catch-up's amount.  Delegated to the tenant's worker on Citus
-- (rr.distribute()), where the re-plan before it used work tables.
CREATE FUNCTION rr_internal.amend_catch_up(tenant_id text, contract_id bigint, effective_from date)
RETURNS numeric
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := amend_catch_up.tenant_id;
    k bigint := amend_catch_up.contract_id;
    catch_up numeric;
BEGIN
    WITH moved AS (
        DELETE FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = t AND l.contract_id = k AND l.source = 'allocation'
           AND l.status = 'open' AND lower(l.period) < effective_from
           AND EXISTS (SELECT FROM rr.revenue_schedule_line p
                        WHERE p.tenant_id = t AND p.contract_id = k
                          AND p.obligation_no = l.obligation_no AND p.source = 'allocation'
                          AND p.status = 'posted' AND p.period = l.period)
        RETURNING l.schedule_line_id, l.obligation_no, l.period, l.recognize_on, l.amount, l.contract_amount,
                  l.planned_on
    ), kept AS (
        -- the lines the catch-up replaces that the schedule held before the
        -- amendment's date, for the reports as of an earlier date (docs/reports.md,
        -- "Schedules as of a date"); those the amendment's re-plan has just planned on
        -- that date were never part of an earlier schedule
        INSERT INTO rr.superseded_schedule_line (tenant_id, schedule_line_id, contract_id, obligation_no, source,
                                                 period, recognize_on, amount, contract_amount, planned_on,
                                                 superseded_on)
        SELECT t, m.schedule_line_id, k, m.obligation_no, 'allocation', m.period, m.recognize_on,
               m.amount, m.contract_amount, m.planned_on, effective_from
          FROM moved m
         WHERE m.planned_on < effective_from
    ), ins AS (
        INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                              amount, contract_amount, planned_on)
        SELECT t, k, m.obligation_no, 'allocation', daterange(effective_from, effective_from + 1),
               effective_from, sum(m.amount), sum(m.contract_amount), effective_from
          FROM moved m
         GROUP BY m.obligation_no
        HAVING sum(m.amount) <> 0 OR sum(m.contract_amount) <> 0
         ORDER BY m.obligation_no
        RETURNING amount
    )
    SELECT coalesce(sum(amount), 0) INTO catch_up FROM ins;
    RETURN catch_up;
END
$$;
COMMENT ON FUNCTION rr_internal.amend_catch_up(text, bigint, date) IS 'internal, called by rr_internal.amend for a cumulative catch-up: replaces the open allocation lines of periods already recognised before the effective date by one line per obligation on that date, keeps the replaced lines as superseded, and returns the catch-up''s amount';
REVOKE ALL ON FUNCTION rr_internal.amend_catch_up(text, bigint, date) FROM PUBLIC;

-- Apply an amendment to a contract locked by the caller: the line versions, the revenue
-- re-plan under its treatment, the event and the modification log; with billing
-- 'immediately' (or 'preview') the contract is billed at once.  Returns the modification,
-- the event and the billing run (NULL when nothing was billed now).
CREATE FUNCTION rr_internal.amend(c rr.contract, effective_from date, changes jsonb, bill text, facts jsonb,
                                  treatment text, reason text, action text, new_end date,
                                  OUT modification_id bigint, OUT event_id bigint, OUT applied text,
                                  OUT run_id bigint, OUT invoice_id bigint, OUT billed numeric,
                                  OUT carried_forward numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := c.tenant_id;
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    derived text := rr_internal.modification_treatment(facts);
    planned boolean;
    price_before numeric;
    price_after numeric;
    old_alloc jsonb;
    catch_up numeric := 0;
    ch jsonb;
    r record;
    as_of date;
    closed date;
BEGIN
    PERFORM rr_internal.check_contract_date(c, 'effective', effective_from, c.activation_date);
    IF effective_from = c.end_date THEN
        RAISE EXCEPTION 'effective date % is the end of contract %', effective_from, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s (exclusive).', c.end_date),
                  HINT = 'Date the amendment inside the term, or renew the contract first.';
    END IF;
    PERFORM rr_internal.check_amendment_changes(changes);
    PERFORM rr_internal.check_amendment_billing(CASE WHEN bill = 'preview' THEN 'immediately' ELSE bill END);
    IF treatment IS NOT NULL AND treatment NOT IN ('separate_contract', 'prospective', 'cumulative_catch_up') THEN
        RAISE EXCEPTION 'unknown treatment "%"', left(treatment, 100)
            USING ERRCODE = '22023', HINT = 'The treatments are separate_contract, prospective and cumulative_catch_up.';
    ELSIF treatment <> derived AND length(btrim(coalesce(reason, ''))) = 0 THEN
        RAISE EXCEPTION 'overriding the derived treatment % with % needs a reason', derived, treatment
            USING ERRCODE = '22023',
                  DETAIL = 'The facts given (added_distinct, priced_at_ssp, remaining_distinct) call for the derived treatment.',
                  HINT = 'Pass reason => ''...'': it is recorded in rr.modification_log.';
    END IF;
    applied := coalesce(treatment, derived);
    IF applied = 'separate_contract'
       AND EXISTS (SELECT FROM jsonb_array_elements(changes) e
                    WHERE e.value ? 'remove' OR e.value ? 'upgrade_to' OR e.value ? 'setup_price'
                       OR e.value ? 'renewal_price' OR e.value ? 'recurring_price' OR e.value ? 'price_model') THEN
        RAISE EXCEPTION 'a separate contract only adds goods'
            USING ERRCODE = '22023',
                  DETAIL = 'Under ASC 606-10-25-12 only added distinct goods at their standalone selling price are a separate contract; this amendment removes, upgrades or reprices lines.',
                  HINT = 'Add lines or quantities only, or apply prospective or cumulative catch-up treatment.';
    END IF;
    -- the revenue of a closed period cannot change
    SELECT f.period_start INTO closed FROM rr.fiscal_period f
     WHERE f.tenant_id = t AND f.status = 'closed' AND f.period_start <= effective_from
       AND effective_from < f.period_end;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot amend contract % from %: the fiscal period starting % is closed',
                        c.contract_id, effective_from, closed
            USING ERRCODE = '55000',
                  DETAIL = 'An amendment re-plans revenue from its effective date, and nothing is posted into a closed period.',
                  HINT = 'Date the amendment in an open period.';
    END IF;
    SELECT count(*) > 0, sum(po.allocated_amount),
           jsonb_object_agg(po.obligation_no::text, po.allocated_amount)
      INTO planned, price_before, old_alloc
      FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = c.contract_id;

    -- a rewrite may give the remaining term a new end (after the effective date); billing
    -- and the re-plan below read it
    IF new_end IS NOT NULL AND new_end IS DISTINCT FROM c.end_date THEN
        IF new_end <= effective_from THEN
            RAISE EXCEPTION 'the new end date % of contract % is not after the effective date %',
                            new_end, c.contract_id, effective_from
                USING ERRCODE = '22023', HINT = 'To end the contract, terminate it.';
        ELSIF c.end_date IS NULL THEN
            RAISE EXCEPTION 'contract % is unlimited: its term has no end to move', c.contract_id
                USING ERRCODE = '22023', HINT = 'Rewrite its lines only, or terminate it.';
        END IF;
        PERFORM rr.check_date('end date', new_end);
        UPDATE rr.contract k SET end_date = new_end
         WHERE k.tenant_id = t AND k.contract_id = c.contract_id;
        c.end_date := new_end;
    END IF;

    -- the line versions, in the order given
    FOR ch IN SELECT e.value FROM jsonb_array_elements(changes) WITH ORDINALITY e ORDER BY e.ordinality LOOP
        IF ch ? 'upgrade_to' THEN
            -- upgrade or downgrade: the old item's line ends on the date, the new one starts
            -- with the old quantity unless the change gives one
            SELECT l.quantity INTO r FROM rr.contract_lines_as_of(c.contract_id, effective_from) l
             WHERE l.contract_item = ch->>'item' AND NOT l.is_removed;
            PERFORM rr_internal.change_line(c, ch->>'item', effective_from, NULL, '{}', true);
            PERFORM rr_internal.change_line(c, ch->>'upgrade_to', effective_from,
                                            coalesce((ch->>'quantity')::numeric, r.quantity),
                                            ch - 'item' - 'quantity' - 'upgrade_to', false);
        ELSE
            PERFORM rr_internal.change_line(c, ch->>'item', effective_from, (ch->>'quantity')::numeric,
                                            ch - 'item' - 'quantity' - 'remove', coalesce((ch->>'remove')::boolean, false));
        END IF;
    END LOOP;
    -- the contract's MRR under its new lines and end, once (docs/reports.md, "MRR and ARR")
    PERFORM rr_internal.refresh_contract_mrr(t, ARRAY[c.contract_id]);

    -- revenue of a planned contract: prospective and separate contract re-plan from the
    -- effective date (what was scheduled before it stays); cumulative catch-up re-plans the
    -- whole service and posts what that changes in periods already recognised on the
    -- effective date, in the modification period
    IF planned THEN
        -- (taking effect on the effective date either way: docs/reports.md, "Schedules as of a date")
        PERFORM rr_internal.run_create_obligations(t, ARRAY[c.contract_id],
                    ARRAY[CASE WHEN applied = 'cumulative_catch_up' THEN c.start_date ELSE effective_from END],
                    ARRAY[effective_from]);
        IF applied = 'separate_contract'
           AND EXISTS (SELECT FROM rr.performance_obligation po
                        WHERE po.tenant_id = t AND po.contract_id = c.contract_id
                          AND old_alloc ? po.obligation_no::text
                          AND (old_alloc->>po.obligation_no::text)::numeric <> po.allocated_amount) THEN
            RAISE EXCEPTION 'cannot treat the amendment of contract % as a separate contract', c.contract_id
                USING ERRCODE = '0A000',
                      DETAIL = 'The contract allocates its price across obligations by relative standalone selling price, and the added goods would change what its existing obligations are allocated.',
                      HINT = 'Record the added goods as a contract of their own, or apply prospective treatment.';
        END IF;
        IF applied = 'cumulative_catch_up' THEN
            -- (a statement of its own with constant arguments, which Citus delegates to the
            -- tenant's worker: run here, on the coordinator, its INSERT ... SELECT was copied
            -- through a second connection after the re-plan above had used work tables on
            -- the worker, and the amendment failed at commit; docs/scale-out.md)
            EXECUTE format('SELECT x.amount FROM rr_internal.amend_catch_up(%L::text, %L::bigint, %L::date) AS x (amount)',
                           t, c.contract_id, effective_from)
               INTO catch_up;
        END IF;
        SELECT sum(po.allocated_amount) INTO price_after
          FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = c.contract_id;
    END IF;

    event_id := rr_internal.log_contract_event(t, c.contract_id, action, effective_from, reason, before);
    INSERT INTO rr.contract_modification (tenant_id, contract_id, effective_date, action, changes, facts,
                                          derived_treatment, applied_treatment, reason, price_before, price_after,
                                          revenue_impact, event_id, acting_role)
    VALUES (t, c.contract_id, effective_from, action, changes, coalesce(facts, '{}'), derived, applied, reason,
            price_before, price_after, catch_up, amend.event_id, rr.acting_role())
    RETURNING contract_modification.modification_id INTO amend.modification_id;
    IF bill = 'next' THEN
        RETURN;
    END IF;
    -- billed at once: everything due by the effective date, or by the last due date already
    -- charged (so the corrections of every billed period after the change come too)
    SELECT greatest(effective_from, max(x.due_date)) INTO as_of
      FROM rr.charge x WHERE x.tenant_id = t AND x.contract_id = c.contract_id;
    IF bill = 'preview' THEN
        run_id := rr_internal.run_bill(t, as_of, c.contract_id);
        RETURN;
    END IF;
    BEGIN
        run_id := rr_internal.run_bill(t, as_of, c.contract_id);
        SELECT b.invoice_id, b.total INTO invoice_id, billed FROM rr_internal.billing_run_invoices(t, run_id) b;
        IF billed < 0 THEN
            -- a net credit is not invoiced on its own (a negative invoice settles nothing):
            -- it stays due and the next billing run nets it against the next invoice
            RAISE EXCEPTION USING ERRCODE = 'RRCRF', MESSAGE = 'net credit carried forward';
        END IF;
    EXCEPTION WHEN SQLSTATE 'RRCRF' THEN
        carried_forward := billed;
        billed := NULL;
        run_id := NULL;
        invoice_id := NULL;
    END;
END
$$;
COMMENT ON FUNCTION rr_internal.amend(rr.contract, date, jsonb, text, jsonb, text, text, text, date) IS 'internal: applies an amendment to a locked contract (line versions, a new end of the term for a rewrite, the revenue re-plan of its treatment, event, modification log) and with billing immediately bills it at once (a net credit is carried forward to the next billing); preview bills whatever the total';
REVOKE ALL ON FUNCTION rr_internal.amend(rr.contract, date, jsonb, text, jsonb, text, text, text, date) FROM PUBLIC;

CREATE FUNCTION rr.amend_contract(contract_id bigint, effective_from date, changes jsonb, bill text DEFAULT 'next',
                                  facts jsonb DEFAULT NULL, treatment text DEFAULT NULL, reason text DEFAULT NULL)
RETURNS TABLE (modification_id bigint, event_id bigint, applied_treatment text, invoice_id bigint, billed numeric,
               carried_forward numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'amend', ARRAY['active']);
    a record;
BEGIN
    a := rr_internal.amend(c, effective_from, changes, bill, facts, amend_contract.treatment, reason, 'amend', NULL);
    RETURN QUERY SELECT a.modification_id, a.event_id, a.applied, a.invoice_id, a.billed, a.carried_forward;
END
$$;
COMMENT ON FUNCTION rr.amend_contract(bigint, date, jsonb, text, jsonb, text, text) IS 'amends an active contract from a date in one step: changes is a jsonb array of line changes ({"item": "SEATS", "quantity": 20}, {"item": "X", "recurring_price": 9.50}, {"item": "X", "price_model": "..."}, {"item": "NEW"} adds a line, {"item": "X", "remove": true}, {"item": "BASIC", "upgrade_to": "PRO"}); bill next (default: the next billing run credits the unused part and charges the new terms) or immediately (its own invoice now; a net credit is carried to the next invoice); the ASC 606 treatment is derived from facts (added_distinct, priced_at_ssp, remaining_distinct) unless overridden with a reason; logged in rr.modification_log';

-- Preview: the same code path, rolled back.
CREATE FUNCTION rr.preview_amendment(contract_id bigint, effective_from date, changes jsonb, bill text DEFAULT 'next',
                                     facts jsonb DEFAULT NULL, treatment text DEFAULT NULL, reason text DEFAULT NULL)
RETURNS TABLE (line_no integer, kind text, contract_item text, service_period daterange, quantity numeric,
               unit_price numeric, amount numeric, billed_on text)
LANGUAGE plpgsql SECURITY DEFINER ROWS 10
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'amend', ARRAY['active']);
    a record;
    total numeric;
BEGIN
    PERFORM rr_internal.check_amendment_billing(bill);
    BEGIN
        a := rr_internal.amend(c, effective_from, changes, 'preview', facts, preview_amendment.treatment, reason, 'amend', NULL);
        SELECT sum(b.total) INTO total FROM rr_internal.billing_run_invoices(c.tenant_id, a.run_id) b;
        -- (the rows outlive the rollback: see rr.preview_billing)
        RETURN QUERY
        SELECT l.line_no, l.kind, l.contract_item, l.service_period, l.quantity, l.unit_price, l.amount,
               CASE WHEN bill = 'immediately' AND total >= 0 THEN 'this amendment' ELSE 'next billing' END
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id = c.tenant_id AND l.invoice_id = i.invoice_id
         WHERE i.tenant_id = c.tenant_id AND i.contract_id = c.contract_id AND i.run_id = a.run_id
         ORDER BY l.line_no;
        RAISE EXCEPTION USING ERRCODE = 'RRPVW', MESSAGE = 'preview rollback';
    EXCEPTION WHEN SQLSTATE 'RRPVW' THEN
        NULL;   -- everything the amendment wrote is rolled back with the block
    END;
END
$$;
COMMENT ON FUNCTION rr.preview_amendment(bigint, date, jsonb, text, jsonb, text, text) IS 'what rr.amend_contract with the same arguments would bill: the credits and charges per line and service period (and their tax) due by the effective date or the last billed period, computed by the same code path in a subtransaction that is rolled back; billed_on says whether they come on the amendment''s own invoice or with the next billing (bill next, or a net credit)';

-- Acumatica's upgrade path: start (status pending_upgrade), stage line changes, then
-- activate them from a date (status active) or cancel.  While pending, the contract keeps
-- billing and recognising under its current terms.
CREATE FUNCTION rr.start_upgrade(contract_id bigint, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'start an upgrade of', ARRAY['active']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    ev bigint;
BEGIN
    UPDATE rr.contract k SET status = 'pending_upgrade'
     WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id;
    ev := rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'start_upgrade', NULL, reason, before);
    INSERT INTO rr.pending_upgrade (tenant_id, contract_id, started_event) VALUES (c.tenant_id, c.contract_id, ev);
    RETURN 'pending_upgrade';
END
$$;
COMMENT ON FUNCTION rr.start_upgrade(bigint, text) IS 'starts an upgrade of an active contract (status pending_upgrade): stage line changes with rr.change_upgrade, then rr.activate_upgrade from a date or rr.cancel_upgrade; billing and revenue go on under the current terms meanwhile';

CREATE FUNCTION rr.change_upgrade(contract_id bigint, changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'change the upgrade of',
                                                     ARRAY['pending_upgrade']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    staged jsonb;
BEGIN
    PERFORM rr_internal.check_amendment_changes(changes);
    -- a new change of a contract item replaces the one staged for it
    SELECT coalesce(jsonb_agg(x.v ORDER BY x.n), '[]') INTO staged
      FROM (SELECT e.value AS v, e.ordinality AS n
              FROM rr.pending_upgrade u, jsonb_array_elements(u.changes) WITH ORDINALITY e
             WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id
               AND NOT EXISTS (SELECT FROM jsonb_array_elements(change_upgrade.changes) n WHERE n.value->>'item' = e.value->>'item')
            UNION ALL
            SELECT e.value, 1000 + e.ordinality FROM jsonb_array_elements(change_upgrade.changes) WITH ORDINALITY e) x;
    PERFORM rr_internal.check_amendment_changes(staged);
    UPDATE rr.pending_upgrade u SET changes = staged
     WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'change_upgrade', NULL, NULL, before);
    RETURN staged;
END
$$;
COMMENT ON FUNCTION rr.change_upgrade(bigint, jsonb) IS 'stages line changes (as rr.amend_contract takes them) for a contract whose upgrade is pending; a change of a contract item replaces the one staged for it; returns all staged changes';

CREATE FUNCTION rr.activate_upgrade(contract_id bigint, effective_from date, bill text DEFAULT 'next',
                                    facts jsonb DEFAULT NULL, treatment text DEFAULT NULL, reason text DEFAULT NULL)
RETURNS TABLE (modification_id bigint, event_id bigint, applied_treatment text, invoice_id bigint, billed numeric,
               carried_forward numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'activate the upgrade of',
                                                     ARRAY['pending_upgrade']);
    staged jsonb;
    a record;
BEGIN
    SELECT u.changes INTO staged FROM rr.pending_upgrade u WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id;
    IF coalesce(jsonb_array_length(staged), 0) = 0 THEN
        RAISE EXCEPTION 'the upgrade of contract % has no changes', c.contract_id
            USING ERRCODE = '55000', HINT = 'Stage them with rr.change_upgrade(), or cancel the upgrade with rr.cancel_upgrade().';
    END IF;
    UPDATE rr.contract k SET status = 'active' WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id;
    c.status := 'active';
    DELETE FROM rr.pending_upgrade u WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id;
    a := rr_internal.amend(c, effective_from, staged, bill, facts, activate_upgrade.treatment, reason, 'activate_upgrade', NULL);
    RETURN QUERY SELECT a.modification_id, a.event_id, a.applied, a.invoice_id, a.billed, a.carried_forward;
END
$$;
COMMENT ON FUNCTION rr.activate_upgrade(bigint, date, text, jsonb, text, text) IS 'activates a pending upgrade (status active): its staged line changes take effect from effective_from exactly as rr.amend_contract applies them (billing, ASC 606 treatment, modification log)';

CREATE FUNCTION rr.cancel_upgrade(contract_id bigint, reason text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'cancel the upgrade of',
                                                     ARRAY['pending_upgrade']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
BEGIN
    UPDATE rr.contract k SET status = 'active' WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id;
    DELETE FROM rr.pending_upgrade u WHERE u.tenant_id = c.tenant_id AND u.contract_id = c.contract_id;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'cancel_upgrade', NULL, reason, before);
    RETURN 'active';
END
$$;
COMMENT ON FUNCTION rr.cancel_upgrade(bigint, text) IS 'cancels a pending upgrade: its staged changes are discarded and the contract is active again, unchanged';

-- Rewrite: the remaining terms replaced by new ones from a date, as a new version of the
-- same contract.  lines names every line the contract has from effective_from on, in the
-- form rr.create_contract takes ({"ITEM": {"quantity": n, "recurring_price": p, ...}});
-- every line in force that it does not name is removed, and end_date, when given, is the
-- new end of the term.  The billed and recognised history stays: the new terms are line
-- versions from effective_from, billing credits and charges the difference like any
-- amendment, and revenue is re-planned from the date under the treatment of the facts.
CREATE FUNCTION rr.rewrite_contract(contract_id bigint, effective_from date, lines jsonb, end_date date DEFAULT NULL,
                                    bill text DEFAULT 'next', facts jsonb DEFAULT NULL, treatment text DEFAULT NULL,
                                    reason text DEFAULT NULL)
RETURNS TABLE (modification_id bigint, event_id bigint, applied_treatment text, invoice_id bigint, billed numeric,
               carried_forward numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'rewrite', ARRAY['active']);
    changes jsonb;
    bad text;
    a record;
BEGIN
    IF lines IS NULL OR jsonb_typeof(lines) <> 'object' OR lines = '{}' THEN
        RAISE EXCEPTION 'lines must be a non-empty jsonb object of the contract''s lines from the rewrite on'
            USING ERRCODE = '22023',
                  HINT = 'For example {"SEATS": {"quantity": 20, "recurring_price": 9.00}, "SUPPORT": {}}; lines not named are removed.';
    END IF;
    SELECT x.key INTO bad FROM jsonb_each(lines) x WHERE jsonb_typeof(x.value) <> 'object' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'line "%" must be a jsonb object of its terms', left(bad, 100)
            USING ERRCODE = '22023', HINT = 'For example {"quantity": 20}, or {} to keep the line as it is.';
    END IF;
    -- the lines named, changed or added; the lines in force not named, removed
    -- (rr_internal.amend checks every key and item)
    SELECT jsonb_agg(x.change ORDER BY x.n, x.item) INTO changes
      FROM (SELECT 1 AS n, l.key AS item, jsonb_build_object('item', l.key) || l.value AS change
              FROM jsonb_each(lines) l
            UNION ALL
            SELECT 2, v.contract_item, jsonb_build_object('item', v.contract_item, 'remove', true)
              FROM rr.contract_lines_as_of(c.contract_id, effective_from) v
             WHERE NOT v.is_removed AND NOT lines ? v.contract_item) x;
    a := rr_internal.amend(c, effective_from, changes, bill, facts, rewrite_contract.treatment, reason, 'rewrite',
                           rewrite_contract.end_date);
    RETURN QUERY SELECT a.modification_id, a.event_id, a.applied, a.invoice_id, a.billed, a.carried_forward;
END
$$;
COMMENT ON FUNCTION rr.rewrite_contract(bigint, date, jsonb, date, text, jsonb, text, text) IS 'rewrites an active contract from a date: lines ({"ITEM": {"quantity": n, "recurring_price": p, ...}}) are all its lines from then on (those in force and not named are removed), end_date a new end of the term; a new version of the same contract that keeps the billed and recognised history: billing credits and charges the difference (bill next or immediately) and revenue is re-planned from the date under the treatment derived from facts (or overridden with a reason); logged in rr.modification_log as a rewrite';
