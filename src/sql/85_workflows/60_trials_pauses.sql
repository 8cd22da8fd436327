-- Trials, pauses and resumes of contracts (docs/trials-pauses-coupons.md; the tables are in
-- src/sql/30_contracts/70_trials_pauses.sql).  Each writes line versions that the billing
-- core bills as it bills any line change (rr_internal.due_charges): what was billed for
-- days that a pause now covers is credited by the next billing run, exactly, as the days
-- after a termination are; and re-plans the revenue of a planned contract from its date.

-- Refuse a change of a contract's lines from a date when a line has a version dated on or
-- after it (a scheduled change the trial or pause would silently undo or overlap).
CREATE FUNCTION rr_internal.check_no_later_versions(c rr.contract, what text, from_date date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    later date;
BEGIN
    SELECT min(l.effective_from) INTO later FROM rr.contract_line l
     WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id AND l.effective_from >= from_date;
    IF later IS NOT NULL THEN
        RAISE EXCEPTION 'cannot % contract % from %: a line changes on %', what, c.contract_id, from_date, later
            USING ERRCODE = '55000',
                  DETAIL = 'A trial or a pause applies to the lines as they stand on its first day; a line version dated on or after it would overlap it.',
                  HINT = 'Date it after the last line change, or make the line change later.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_no_later_versions(rr.contract, text, date) IS 'internal: refuses (55000) a trial or pause of a contract from a date on or after which a line has a version';
REVOKE ALL ON FUNCTION rr_internal.check_no_later_versions(rr.contract, text, date) FROM PUBLIC;

-- Refuse a date in a closed fiscal period (a pause re-plans revenue from its dates).
CREATE FUNCTION rr_internal.check_open_period(c rr.contract, what text, on_date date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    closed date;
BEGIN
    SELECT f.period_start INTO closed FROM rr.fiscal_period f
     WHERE f.tenant_id = c.tenant_id AND f.status = 'closed' AND f.period_start <= on_date AND on_date < f.period_end;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot % contract % on %: the fiscal period starting % is closed', what, c.contract_id, on_date, closed
            USING ERRCODE = '55000',
                  DETAIL = 'It re-plans revenue from that date, and nothing is posted into a closed period.',
                  HINT = 'Date it in an open period.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_open_period(rr.contract, text, date) IS 'internal: refuses (55000) a pause or resume dated in a closed fiscal period';
REVOKE ALL ON FUNCTION rr_internal.check_open_period(rr.contract, text, date) FROM PUBLIC;

-- A trial on a draft or pending contract, from its start date.
CREATE FUNCTION rr.add_trial(contract_id bigint, days integer, price_percent numeric DEFAULT 0,
                             has_payment_method boolean DEFAULT false, missing_payment_method text DEFAULT 'convert')
RETURNS daterange
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'add a trial to',
                                                     ARRAY['draft', 'pending_activation']);
    t text := c.tenant_id;
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    trial_end date;
    ev bigint;
BEGIN
    IF days IS NULL OR price_percent IS NULL OR has_payment_method IS NULL OR missing_payment_method IS NULL THEN
        RAISE EXCEPTION 'days, price_percent, has_payment_method and missing_payment_method must not be NULL'
            USING ERRCODE = '22004';
    ELSIF days NOT BETWEEN 1 AND 730 THEN
        RAISE EXCEPTION 'a trial lasts 1 to 730 days, not %', days USING ERRCODE = '22023';
    ELSIF NOT (price_percent >= 0 AND price_percent < 100) THEN
        RAISE EXCEPTION 'trial price percent % is out of range', price_percent
            USING ERRCODE = '22023', HINT = 'A trial bills 0 (free) to less than 100 percent of the contracted price.';
    ELSIF missing_payment_method NOT IN ('convert', 'lapse') THEN
        RAISE EXCEPTION 'unknown trial end behaviour "%"', left(missing_payment_method, 100)
            USING ERRCODE = '22023',
                  HINT = 'Without a payment method a trial either converts (convert) or ends the contract (lapse).';
    ELSIF EXISTS (SELECT FROM rr.contract_trial x WHERE x.tenant_id = t AND x.contract_id = c.contract_id) THEN
        RAISE EXCEPTION 'contract % already has a trial', c.contract_id USING ERRCODE = '55000';
    END IF;
    trial_end := c.start_date + days;
    IF trial_end >= coalesce(c.end_date, 'infinity') THEN
        RAISE EXCEPTION 'a trial of % days does not end before the end of contract %', days, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term is [%s, %s).', c.start_date, c.end_date);
    END IF;
    PERFORM rr_internal.check_no_later_versions(c, 'start a trial of', c.start_date + 1);
    -- the contracted terms from the end of the trial, and the trial price before it
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity, setup_price,
                                  renewal_price, recurring_price, price_model, billing_period, is_removed)
    SELECT l.tenant_id, l.contract_id, l.line_no, trial_end, l.contract_item, l.quantity, l.setup_price,
           l.renewal_price, l.recurring_price, l.price_model, l.billing_period, l.is_removed
      FROM rr.contract_line l
     WHERE l.tenant_id = t AND l.contract_id = c.contract_id;
    UPDATE rr.contract_line l SET recurring_price = trim_scale(l.recurring_price * add_trial.price_percent / 100)
     WHERE l.tenant_id = t AND l.contract_id = c.contract_id AND l.effective_from < trial_end
       AND l.recurring_price IS NOT NULL;
    PERFORM rr_internal.refresh_contract_mrr(t, ARRAY[c.contract_id]);
    ev := rr_internal.log_contract_event(t, c.contract_id, 'add_trial', c.start_date,
                                         format('%s-day trial at %s %% of the price', days, price_percent), before);
    INSERT INTO rr.contract_trial (tenant_id, contract_id, trial, price_percent, has_payment_method,
                                   missing_payment_method, event_id)
    VALUES (t, c.contract_id, daterange(c.start_date, trial_end), price_percent, has_payment_method,
            missing_payment_method, ev);
    RETURN daterange(c.start_date, trial_end);
END
$$;
COMMENT ON FUNCTION rr.add_trial(bigint, integer, numeric, boolean, text) IS 'gives a draft or pending contract a trial of days days from its start date: its recurring lines are billed at price_percent of their price for the trial days (0, the default: free) and as contracted from the end of the trial, a partial first period prorated; without a payment method the end of the trial converts (convert, the default) or terminates the contract (lapse), see rr.end_trials; returns the trial days';

-- The customer gave (or withdrew) a payment method during the trial.
CREATE FUNCTION rr.record_trial_payment_method(contract_id bigint, has_payment_method boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'record a payment method of',
                                                     ARRAY['draft', 'pending_activation', 'active']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
BEGIN
    IF has_payment_method IS NULL THEN
        RAISE EXCEPTION 'has_payment_method must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE rr.contract_trial x SET has_payment_method = record_trial_payment_method.has_payment_method
     WHERE x.tenant_id = c.tenant_id AND x.contract_id = c.contract_id AND x.status = 'trialing';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % is not on trial', c.contract_id
            USING ERRCODE = '55000', HINT = 'Only a trial that has not ended looks at the payment method.';
    END IF;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'record_trial_payment_method', NULL,
                                           CASE WHEN has_payment_method THEN 'payment method given'
                                                ELSE 'payment method withdrawn' END, before);
    RETURN has_payment_method;
END
$$;
COMMENT ON FUNCTION rr.record_trial_payment_method(bigint, boolean) IS 'records that the customer of a contract on trial gave (true, the default) or withdrew (false) a payment method: a trial with one converts at its end whatever missing_payment_method says';

-- The end of the trials that ended by a date: convert or lapse each.
CREATE FUNCTION rr.end_trials(as_of date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, trial daterange, outcome text)
LANGUAGE plpgsql SECURITY DEFINER ROWS 10
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    r record;
    c rr.contract;
    before jsonb;
BEGIN
    PERFORM rr.check_date('as of date', as_of);
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as of date must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- one contract at a time (each is locked, and a lapse is a termination with its
    -- revenue re-plan); the trials ending on a day are few
    FOR r IN SELECT x.contract_id, x.trial,
                    CASE WHEN x.has_payment_method OR x.missing_payment_method = 'convert' THEN 'converted'
                         ELSE 'lapsed' END AS outcome
               FROM rr.contract_trial x
               JOIN rr.contract k ON k.tenant_id = x.tenant_id AND k.contract_id = x.contract_id
              WHERE x.tenant_id = t AND x.status = 'trialing' AND upper(x.trial) <= as_of
                AND k.status IN ('active', 'pending_upgrade')
              ORDER BY x.contract_id
    LOOP
        IF r.outcome = 'lapsed' THEN
            PERFORM rr.terminate_contract(r.contract_id, upper(r.trial), 'trial lapsed without a payment method');
        ELSE
            c := rr_internal.contract_for_action(t, r.contract_id, 'convert the trial of', ARRAY['active', 'pending_upgrade']);
            before := rr_internal.contract_snapshot(t, r.contract_id);
            PERFORM rr_internal.log_contract_event(t, r.contract_id, 'convert_trial', upper(r.trial), 'trial converted', before);
        END IF;
        UPDATE rr.contract_trial x SET status = r.outcome, ended_on = upper(r.trial)
         WHERE x.tenant_id = t AND x.contract_id = r.contract_id;
        contract_id := r.contract_id;
        trial := r.trial;
        outcome := r.outcome;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION rr.end_trials(date) IS 'batch: ends every trial of the current tenant''s active contracts that ended by as_of: converted when the customer has a payment method or the trial converts without one (billed as contracted from the end of the trial), else lapsed (the contract is terminated on the end of the trial: nothing is billed after it); returns them';

-- Resume a locked contract paused from pause_from: the line versions of the day before the
-- pause again, from the resume day; the term moved by the days paused when the pause
-- extends it.  Returns the days the term moved (0 when it does not move).
CREATE FUNCTION rr_internal.write_resume(c rr.contract, pause_from date, resume_on date, extends_term boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity, setup_price,
                                  renewal_price, recurring_price, price_model, billing_period, is_removed)
    SELECT l.tenant_id, l.contract_id, l.line_no, resume_on, l.contract_item, l.quantity, l.setup_price,
           l.renewal_price, l.recurring_price, l.price_model, l.billing_period, false
      FROM (SELECT DISTINCT ON (v.line_no) v.*
              FROM rr.contract_line v
             WHERE v.tenant_id = c.tenant_id AND v.contract_id = c.contract_id AND v.effective_from < pause_from
             ORDER BY v.line_no, v.effective_from DESC) l
     WHERE NOT l.is_removed;
    IF extends_term AND c.end_date IS NOT NULL THEN
        PERFORM rr.check_date('end date', c.end_date + (resume_on - pause_from));
        UPDATE rr.contract k SET end_date = k.end_date + (resume_on - pause_from)
         WHERE k.tenant_id = c.tenant_id AND k.contract_id = c.contract_id;
        PERFORM rr_internal.refresh_contract_mrr(c.tenant_id, ARRAY[c.contract_id]);
        RETURN resume_on - pause_from;
    END IF;
    PERFORM rr_internal.refresh_contract_mrr(c.tenant_id, ARRAY[c.contract_id]);
    RETURN 0;
END
$$;
COMMENT ON FUNCTION rr_internal.write_resume(rr.contract, date, date, boolean) IS 'internal: resumes a locked contract paused from pause_from on resume_on: line versions like those of the day before the pause from that date, and the end of the term moved by the days paused when extends_term (and the contract has an end); returns the days it moved';
REVOKE ALL ON FUNCTION rr_internal.write_resume(rr.contract, date, date, boolean) FROM PUBLIC;

-- Check a resume date of a locked contract paused from pause_from.
CREATE FUNCTION rr_internal.check_resume_date(c rr.contract, pause_from date, resume_on date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rr.check_date('resume date', resume_on);
    IF resume_on IS NULL THEN
        RAISE EXCEPTION 'resume date must not be NULL' USING ERRCODE = '22004';
    ELSIF resume_on <= pause_from THEN
        RAISE EXCEPTION 'resume date % is not after the first day paused, %', resume_on, pause_from
            USING ERRCODE = '22023', HINT = 'A contract resumes at the earliest the day after its pause starts.';
    ELSIF resume_on >= c.end_date THEN
        RAISE EXCEPTION 'resume date % is not before the end of contract %', resume_on, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s.', c.end_date),
                  HINT = 'Renew the contract first, or terminate it on the first day paused.';
    END IF;
    PERFORM rr_internal.check_open_period(c, 'resume', resume_on);
END
$$;
COMMENT ON FUNCTION rr_internal.check_resume_date(rr.contract, date, date) IS 'internal: refuses a resume date that is NULL, not after the first day paused, not before the end of the term (22023) or in a closed fiscal period (55000)';
REVOKE ALL ON FUNCTION rr_internal.check_resume_date(rr.contract, date, date) FROM PUBLIC;

CREATE FUNCTION rr.pause_contract(contract_id bigint, pause_from date, resume_on date DEFAULT NULL,
                                  extend_term boolean DEFAULT NULL, reason text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'pause', ARRAY['active']);
    t text := c.tenant_id;
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    p rr.contract_pause;
    n integer;
    ev bigint;
    moved integer;
BEGIN
    PERFORM rr_internal.check_contract_date(c, 'pause', pause_from, c.activation_date);
    IF pause_from >= c.end_date THEN
        RAISE EXCEPTION 'pause date % is the end of contract %', pause_from, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s (exclusive).', c.end_date);
    END IF;
    SELECT * INTO p FROM rr.contract_pause x
     WHERE x.tenant_id = t AND x.contract_id = c.contract_id ORDER BY x.pause_no DESC LIMIT 1;
    IF upper_inf(p.paused) THEN
        RAISE EXCEPTION 'contract % is already paused', c.contract_id
            USING ERRCODE = '55000', DETAIL = format('It has been paused since %s.', lower(p.paused)),
                  HINT = 'Resume it first with rr.resume_contract().';
    ELSIF upper(p.paused) > pause_from THEN
        RAISE EXCEPTION 'pause date % is inside pause % of contract %', pause_from, p.pause_no, c.contract_id
            USING ERRCODE = '55000', DETAIL = format('That pause covered %s.', p.paused),
                  HINT = format('Pause it on or after %s.', upper(p.paused));
    ELSIF EXISTS (SELECT FROM rr.contract_trial x WHERE x.tenant_id = t AND x.contract_id = c.contract_id
                     AND x.status = 'trialing' AND pause_from < upper(x.trial)) THEN
        RAISE EXCEPTION 'contract % is on trial on %', c.contract_id, pause_from
            USING ERRCODE = '55000', HINT = 'Pause it after its trial, or let the trial lapse.';
    END IF;
    IF resume_on IS NOT NULL THEN
        PERFORM rr_internal.check_resume_date(c, pause_from, resume_on);
    END IF;
    PERFORM rr_internal.check_no_later_versions(c, 'pause', pause_from);
    PERFORM rr_internal.check_open_period(c, 'pause', pause_from);

    -- every line in force is removed from the first day paused
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity, setup_price,
                                  renewal_price, recurring_price, price_model, billing_period, is_removed)
    SELECT l.tenant_id, l.contract_id, l.line_no, pause_from, l.contract_item, l.quantity, l.setup_price,
           l.renewal_price, l.recurring_price, l.price_model, l.billing_period, true
      FROM (SELECT DISTINCT ON (v.line_no) v.*
              FROM rr.contract_line v
             WHERE v.tenant_id = t AND v.contract_id = c.contract_id AND v.effective_from < pause_from
             ORDER BY v.line_no, v.effective_from DESC) l
     WHERE NOT l.is_removed;
    n := coalesce(p.pause_no, 0) + 1;
    IF resume_on IS NOT NULL THEN
        moved := rr_internal.write_resume(c, pause_from, resume_on, coalesce(extend_term, c.pause_extends_term));
    ELSE
        PERFORM rr_internal.refresh_contract_mrr(t, ARRAY[c.contract_id]);
    END IF;
    ev := rr_internal.log_contract_event(t, c.contract_id, 'pause', pause_from,
                                         coalesce(reason, 'paused') || coalesce(', resuming on ' || resume_on, ''), before);
    INSERT INTO rr.contract_pause (tenant_id, contract_id, pause_no, paused, extends_term, extended_by, reason,
                                   pause_event_id, resume_event_id)
    VALUES (t, c.contract_id, n, daterange(pause_from, resume_on), coalesce(extend_term, c.pause_extends_term),
            coalesce(moved, 0), reason, ev, CASE WHEN resume_on IS NOT NULL THEN ev END);
    -- revenue of a planned contract: re-planned from the first day paused
    IF EXISTS (SELECT FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = c.contract_id) THEN
        PERFORM rr_internal.run_create_obligations(t, ARRAY[c.contract_id], ARRAY[pause_from]);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.pause_contract(bigint, date, date, boolean, text) IS 'pauses an active contract from pause_from until resume_on (NULL: until rr.resume_contract): nothing is billed and no revenue accrues on the days paused, and the next billing run credits what was billed for them; extend_term (default: the contract''s pause_extends_term, from its template) moves the end of the term by the days paused on resume; returns the pause number';

CREATE FUNCTION rr.resume_contract(contract_id bigint, resume_on date, reason text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'resume', ARRAY['active']);
    t text := c.tenant_id;
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    p rr.contract_pause;
    ev bigint;
    days integer;
    moved integer;
BEGIN
    SELECT * INTO p FROM rr.contract_pause x
     WHERE x.tenant_id = t AND x.contract_id = c.contract_id AND upper_inf(x.paused);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % is not paused', c.contract_id
            USING ERRCODE = '55000', HINT = 'Pause it with rr.pause_contract().';
    END IF;
    PERFORM rr_internal.check_resume_date(c, lower(p.paused), resume_on);
    days := resume_on - lower(p.paused);
    moved := rr_internal.write_resume(c, lower(p.paused), resume_on, p.extends_term);
    ev := rr_internal.log_contract_event(t, c.contract_id, 'resume', resume_on, reason, before);
    UPDATE rr.contract_pause x SET paused = daterange(lower(x.paused), resume_on), extended_by = moved,
                                   resume_event_id = ev
     WHERE x.tenant_id = t AND x.contract_id = c.contract_id AND x.pause_no = p.pause_no;
    IF EXISTS (SELECT FROM rr.performance_obligation po WHERE po.tenant_id = t AND po.contract_id = c.contract_id) THEN
        -- (re-planned from the first day paused, taking effect on the day resumed: the
        -- schedule as of a day of the pause is the pause's, docs/reports.md, "Schedules as of a date")
        PERFORM rr_internal.run_create_obligations(t, ARRAY[c.contract_id], ARRAY[lower(p.paused)], ARRAY[resume_on]);
    END IF;
    RETURN days;
END
$$;
COMMENT ON FUNCTION rr.resume_contract(bigint, date, text) IS 'resumes a paused contract on resume_on (after the first day paused, before the end of the term): its lines are billed again from that day as they were before the pause, the term moved by the days paused when the pause extends it; returns the days paused';
