-- Milestone billing of fixed-price projects (docs/projects-and-on-demand.md).  A contract
-- line's fixed price is its setup fee (quantity × setup price of its first version); its
-- milestones split that fee into parts, an amount or a percent each, which together come
-- to at most the fee.  rr.reach_milestone marks one reached and bills the contract as of
-- that day (rr.bill_contract's run): the milestone's part is the charge; the setup fee
-- itself is never billed for a line with milestones.  Revenue is the line's obligation's,
-- per its deferral code (percent complete, evenly, ...), planned at activation from the
-- fee as a whole: billing by milestone moves only the billed side.

-- Adds a milestone to a contract line (before or after activation, while nothing of the
-- line's fixed price is billed); returns its number.
CREATE FUNCTION rr.add_milestone(contract_id bigint, line_no integer, name text, percent numeric DEFAULT NULL,
                                 amount numeric DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract;
    price numeric;
    mu integer;
    given_amounts numeric;
    given_percent numeric;
    has_amounts boolean;
    part numeric;
    no integer;
BEGIN
    c := rr_internal.contract_for_action(rr.current_tenant(), add_milestone.contract_id, 'add a milestone to',
                                         ARRAY['draft', 'pending_activation', 'active', 'pending_upgrade']);
    IF nullif(btrim(add_milestone.name), '') IS NULL THEN
        RAISE EXCEPTION 'milestone name must not be empty' USING ERRCODE = '22023',
            HINT = 'Name what is delivered, such as "Design approved".';
    ELSIF (add_milestone.percent IS NULL) = (add_milestone.amount IS NULL) THEN
        RAISE EXCEPTION 'give a milestone either a percent or an amount'
            USING ERRCODE = '22023', DETAIL = 'A milestone bills a percent of the line''s fixed price, or an amount of it.';
    ELSIF add_milestone.percent <= 0 OR add_milestone.percent > 100 THEN
        RAISE EXCEPTION 'milestone percent % is out of range', add_milestone.percent
            USING ERRCODE = '22023', HINT = 'Give a percent greater than 0 and at most 100.';
    ELSIF add_milestone.amount <= 0 THEN
        RAISE EXCEPTION 'milestone amount % is not positive', add_milestone.amount USING ERRCODE = '22023';
    END IF;
    PERFORM rr.check_number('milestone amount', add_milestone.amount);
    -- the line's fixed price: quantity × setup price of its first version
    SELECT l.quantity * l.setup_price, cur.minor_units INTO price, mu
      FROM rr.contract_line l
      JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
      JOIN rr.currency cur ON cur.code = c.currency
     WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id AND l.line_no = add_milestone.line_no
       AND ci.setup_item IS NOT NULL
     ORDER BY l.effective_from
     LIMIT 1;
    IF NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id
                                                    AND l.line_no = add_milestone.line_no) THEN
        RAISE EXCEPTION 'contract % has no line %', c.contract_id, add_milestone.line_no USING ERRCODE = '22023';
    ELSIF coalesce(price, 0) = 0 THEN
        RAISE EXCEPTION 'contract line % of contract % has no fixed price', add_milestone.line_no, c.contract_id
            USING ERRCODE = '22023',
                  DETAIL = 'Milestones bill parts of a line''s setup fee; this line has none.',
                  HINT = 'Use a contract item with a setup item and a setup price for the project''s fixed price.';
    ELSIF EXISTS (SELECT FROM rr.charge ch
                   WHERE ch.tenant_id = c.tenant_id AND ch.contract_id = c.contract_id
                     AND ch.line_no = add_milestone.line_no AND ch.kind = 'setup') THEN
        RAISE EXCEPTION 'the fixed price of contract line % of contract % is already billed', add_milestone.line_no,
                        c.contract_id
            USING ERRCODE = '55000', DETAIL = 'Its setup fee was billed when billing started.',
                  HINT = 'Add milestones before the contract''s billing starts.';
    END IF;
    SELECT coalesce(sum(m.amount), 0), coalesce(sum(m.percent), 0), bool_or(m.percent IS NULL)
      INTO given_amounts, given_percent, has_amounts
      FROM rr.contract_milestone m
     WHERE m.tenant_id = c.tenant_id AND m.contract_id = c.contract_id AND m.line_no = add_milestone.line_no;
    IF add_milestone.percent IS NOT NULL THEN
        IF given_percent + add_milestone.percent > 100 THEN
            RAISE EXCEPTION 'milestones of contract line % would come to % %% of its price', add_milestone.line_no,
                            trim_scale(given_percent + add_milestone.percent)
                USING ERRCODE = '22023',
                      DETAIL = format('The milestones given as percents come to %s %% before this one.',
                                      trim_scale(given_percent)),
                      HINT = 'Percents of a line''s milestones add up to at most 100.';
        END IF;
        -- rounded once; the milestone that completes 100 % takes what is left, so that the
        -- parts add up to the price exactly
        part := CASE WHEN given_percent + add_milestone.percent = 100 AND NOT coalesce(has_amounts, false)
                     THEN price - given_amounts
                     ELSE round(price * add_milestone.percent / 100, mu) END;
    ELSE
        part := add_milestone.amount;
        IF part <> round(part, mu) THEN
            RAISE EXCEPTION 'milestone amount % has more decimals than the currency %', part, c.currency
                USING ERRCODE = '22023', HINT = format('Round it to %s decimal places.', mu);
        END IF;
    END IF;
    IF given_amounts + part > price THEN
        RAISE EXCEPTION 'milestones of contract line % would come to %, more than its fixed price %',
                        add_milestone.line_no, given_amounts + part, price
            USING ERRCODE = '22023',
                  DETAIL = format('The milestones before this one come to %s.', given_amounts),
                  HINT = 'The milestones of a line add up to at most its fixed price (its setup fee).';
    END IF;
    SELECT coalesce(max(m.milestone_no), 0) + 1 INTO no
      FROM rr.contract_milestone m WHERE m.tenant_id = c.tenant_id AND m.contract_id = c.contract_id;
    INSERT INTO rr.contract_milestone (tenant_id, contract_id, milestone_no, line_no, name, percent, amount)
    VALUES (c.tenant_id, c.contract_id, no, add_milestone.line_no, btrim(add_milestone.name), add_milestone.percent,
            part);
    RETURN no;
END
$$;
COMMENT ON FUNCTION rr.add_milestone(bigint, integer, text, numeric, numeric) IS 'adds a milestone to a contract line with a fixed price (its setup fee), as a percent of that price or an amount, before anything of it is billed; refuses percents over 100 in all, amounts over the price, a line without a fixed price; returns the milestone number';
REVOKE ALL ON FUNCTION rr.add_milestone(bigint, integer, text, numeric, numeric) FROM PUBLIC;

-- Marks a milestone reached and bills the contract as of that day; returns the invoice.
CREATE FUNCTION rr.reach_milestone(id bigint, milestone_no integer, reached_on date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    c rr.contract;
    m rr.contract_milestone;
    run bigint;
BEGIN
    c := rr_internal.contract_for_action(t, reach_milestone.id, 'reach a milestone of',
                                         ARRAY['active', 'pending_upgrade']);
    PERFORM rr_internal.check_billable(t, c.contract_id, reach_milestone.reached_on);
    PERFORM rr.check_date('milestone date', reach_milestone.reached_on);
    SELECT * INTO m FROM rr.contract_milestone x
     WHERE x.tenant_id = t AND x.contract_id = c.contract_id AND x.milestone_no = reach_milestone.milestone_no;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % has no milestone %', c.contract_id, reach_milestone.milestone_no
            USING ERRCODE = 'P0002', HINT = 'rr.contract_milestone lists the contract''s milestones.';
    ELSIF m.reached_on IS NOT NULL THEN
        RAISE EXCEPTION 'milestone % of contract % was already reached on %', m.milestone_no, c.contract_id,
                        m.reached_on
            USING ERRCODE = '55000', DETAIL = 'A milestone is billed once.';
    ELSIF reach_milestone.reached_on >= coalesce(least(c.termination_date, c.end_date), 'infinity') THEN
        RAISE EXCEPTION 'milestone date % is not within the term of contract %', reach_milestone.reached_on,
                        c.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The contract is billed until %s.', least(c.termination_date, c.end_date));
    END IF;
    UPDATE rr.contract_milestone x SET reached_on = reach_milestone.reached_on
     WHERE x.tenant_id = t AND x.contract_id = c.contract_id AND x.milestone_no = m.milestone_no;
    run := rr_internal.run_bill(t, reach_milestone.reached_on, c.contract_id);
    RETURN QUERY SELECT * FROM rr_internal.billing_run_invoices(t, run);
END
$$;
COMMENT ON FUNCTION rr.reach_milestone(bigint, integer, date) IS 'marks a milestone of an active contract reached on a date within its term and bills the contract as of that date (as rr.bill_contract does): the milestone''s part of the line''s fixed price is on the invoice; refuses an unknown milestone and one reached before';
REVOKE ALL ON FUNCTION rr.reach_milestone(bigint, integer, date) FROM PUBLIC;
