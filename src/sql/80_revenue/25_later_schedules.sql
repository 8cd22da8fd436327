-- Revenue schedule lines written after activation (docs/revenue.md): for what a billing
-- run invoiced that activation did not plan (called by rr_internal.bill), for progress
-- measurements (rr.record_progress), and for credit notes (called by rr.credit_invoice).

-- Schedule lines for what a billing run invoiced that activation did not plan: usage
-- (variable consideration), unlimited contracts, charges added by later changes.  Each is
-- recognised as invoiced, over its service period with its obligation's pattern.
--
-- The run's invoice lines are staged in the work table rr_billed3: claimed and emptied by
-- rr_internal.begin_billed_lines, filled by the code that wrote them (rr_internal.bill, in
-- the statement that writes them, from its own rows; rr_internal.create_revenue_schedules,
-- from the run's charges, for other writers), and scheduled by
-- rr_internal.schedule_billed_lines, which first drops what is not to be scheduled here.
CREATE FUNCTION rr_internal.begin_billed_lines()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (rr_billed3: the columns changed in 0.2.0, so the work table took a new name)
    IF rr_internal.claim_work_table('rr_billed3') THEN
        CREATE TEMP TABLE rr_billed3 (
            invoice_id bigint, invoice_line_no integer, contract_id bigint, line_no integer, line_from date,
            kind text, adjustment_seq bigint, obligation_no integer, invoice_date date, service_period daterange,
            amount numeric, contract_item text, currency char(3));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_billed3');
END
$$;
COMMENT ON FUNCTION rr_internal.begin_billed_lines() IS 'internal: claims and empties the work table rr_billed3, which the writer of a billing run''s invoice lines fills (one row per line other than tax and deposit lines and zero amounts: invoice line, charge key, invoice date and currency, obligation_no = the contract line) before rr_internal.schedule_billed_lines schedules them';
REVOKE ALL ON FUNCTION rr_internal.begin_billed_lines() FROM PUBLIC;

-- Schedule the lines staged in rr_billed3 (see above); returns the schedule lines written.
CREATE FUNCTION rr_internal.schedule_billed_lines(tenant_id text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := schedule_billed_lines.tenant_id;
    -- the schedule lines written: on the fiscal calendar; the others
    n bigint;
    m bigint;
    items text[];
    accounts text[];
    conflict text;
    -- the items whose deferral code follows the fiscal calendar, read once: the three
    -- statements below that tell those items' lines from the others compare with it
    fiscal_items text[] := ARRAY(SELECT it.code FROM rr.item it
                                   JOIN rr.deferral_code dc ON dc.tenant_id = it.tenant_id AND dc.code = it.deferral_code
                                  WHERE it.tenant_id = schedule_billed_lines.tenant_id AND dc.calendar = 'fiscal');
    -- whether any item does: if none does, the calendar is not extended and no schedule
    -- line looks for one
    fiscal boolean := cardinality(fiscal_items) > 0;
    -- the tenant's deposit contract items, read once (not once per staged line)
    deposits text[] := ARRAY(SELECT ci.code FROM rr.contract_item ci
                              WHERE ci.tenant_id = schedule_billed_lines.tenant_id AND ci.billing_type = 'deposit');
    -- whether activation planned any charge of the tenant: if none, no staged line is
    -- looked up (a tenant of contracts without an end date plans none; 300 ms of a run of
    -- 100,000 such contracts)
    planned boolean := EXISTS (SELECT FROM rr.obligation_charge p WHERE p.tenant_id = schedule_billed_lines.tenant_id);
BEGIN
    -- Not scheduled here: deposits (not revenue), and what activation planned.  One
    -- lookup per staged line by key: (SELECT ...) IS NOT NULL rather than EXISTS, which
    -- the planner may turn into a join that scans the tenant's plan per line.  A one-off
    -- charge has no contract item.
    -- (not a pass over the staged lines when the tenant has neither: 0.46 s of a run of
    -- 1,000,000 contracts)
    IF cardinality(deposits) > 0 OR planned THEN
        DELETE FROM rr_billed3 x
         WHERE x.contract_item = ANY (deposits)
            OR planned AND (SELECT true FROM rr.obligation_charge p
                 WHERE p.tenant_id = t AND p.contract_id = x.contract_id AND p.line_no = x.line_no
                   AND p.line_effective_from = x.line_from AND p.kind = x.kind
                   AND p.service_period = x.service_period AND p.adjustment_seq = x.adjustment_seq) IS NOT NULL
            -- a milestone bills part of a setup fee that activation planned: its revenue is
            -- that obligation's
            OR planned AND x.kind = 'milestone'
               AND (SELECT true FROM rr.obligation_charge p
                      WHERE p.tenant_id = t AND p.contract_id = x.contract_id AND p.line_no = x.line_no
                        AND p.kind = 'setup' LIMIT 1) IS NOT NULL;
    END IF;
    -- lines grouped into one obligation (rr.obligation_setting)
    UPDATE rr_billed3 x SET obligation_no = s.obligation_no
      FROM rr.obligation_setting s
     WHERE s.tenant_id = t AND s.contract_id = x.contract_id AND s.line_no = x.line_no
       AND x.obligation_no IS DISTINCT FROM s.obligation_no;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_billed3');

    -- the obligation of each contract item: its main item, the accounts and the pattern of
    -- that item's deferral code; a one-off charge (no contract item, pseudo line
    -- -one_off_id) is an obligation of its own with no contract line, its item's
    -- (an obligation that exists already names rows its committed self keeps in use; the
    -- new ones' item and accounts are locked and checked once: rr_internal.lock_catalog)
    -- Every writer of a contract's obligations holds the contract's lock (the billing run,
    -- activation and changes, a one-off charge billed at once), so the obligations that
    -- exist are left out by an anti-join, without ON CONFLICT (its speculative insertion
    -- per row took 90-120 ms of 40,000 obligations); the primary key stays the last guard.
    BEGIN
    WITH ins AS (
        INSERT INTO rr.performance_obligation (tenant_id, contract_id, obligation_no, line_nos, first_line_no,
                                               first_line_from, item, method, grain,
                                               revenue_account, deferred_account, currency)
        -- (the first staged line of each obligation chosen from narrow rows, its item's code
        -- alone, which the contract item's and one-off's foreign keys keep an item of
        -- rr.item; the item's accounts and deferral code joined after: with them, 3,000,000
        -- staged lines of 1,000,000 contracts were sorted as 240-byte rows, 358 MB on disk)
        SELECT t, b.contract_id, b.obligation_no,
               CASE WHEN b.one_off THEN '{}' ELSE ARRAY[b.line_no] END,
               CASE WHEN NOT b.one_off THEN b.line_no END, CASE WHEN NOT b.one_off THEN b.line_from END, it.code,
               coalesce(dc.method, 'daily'), coalesce(dc.grain, interval '1 month'), it.revenue_account,
               it.deferred_account, b.currency
          FROM (SELECT DISTINCT ON (b.contract_id, b.obligation_no)
                       b.contract_id, b.obligation_no, b.line_no, b.line_from, b.currency, oo.item IS NOT NULL AS one_off,
                       coalesce(ci.recurring_item, ci.setup_item, ci.renewal_item, oo.item) AS item
                  FROM rr_billed3 b
                  LEFT JOIN rr.contract_item ci ON ci.tenant_id = t AND ci.code = b.contract_item
                  LEFT JOIN rr.one_off_charge oo ON b.contract_item IS NULL AND oo.tenant_id = t
                                                AND oo.one_off_id = -b.line_no AND oo.contract_id = b.contract_id
                 WHERE coalesce(ci.recurring_item, ci.setup_item, ci.renewal_item, oo.item) IS NOT NULL
                   AND NOT EXISTS (SELECT FROM rr.performance_obligation o
                                    WHERE o.tenant_id = t AND o.contract_id = b.contract_id
                                      AND o.obligation_no = b.obligation_no)
                 ORDER BY b.contract_id, b.obligation_no, b.line_no, b.line_from) b
          JOIN rr.item it ON it.tenant_id = t AND it.code = b.item
          LEFT JOIN rr.deferral_code dc ON dc.tenant_id = t AND dc.code = it.deferral_code
        RETURNING item, revenue_account, deferred_account
    )
    -- (each distinct item and pair of accounts by a hashed DISTINCT first: array_agg(DISTINCT)
    -- over the returned rows sorted 200,000 items and 400,000 accounts at 100,000 contracts)
    SELECT (SELECT array_agg(x.item) FROM (SELECT DISTINCT ins.item FROM ins) x),
           (SELECT array_agg(DISTINCT a.account)
              FROM (SELECT DISTINCT ins.revenue_account, ins.deferred_account FROM ins) x,
                   LATERAL (VALUES (x.revenue_account), (x.deferred_account)) a (account))
      INTO items, accounts;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS conflict = CONSTRAINT_NAME;
        -- under REPEATABLE READ or SERIALIZABLE, obligations another transaction wrote
        -- after this one's snapshot (as in rr_internal.bill): a serialization failure
        PERFORM rr_internal.concurrent_run_conflict(
                    conflict, 'performance_obligation_pkey',
                    'Another transaction wrote obligations of the same contracts after this transaction''s snapshot was taken.');
        RAISE;
    END;
    PERFORM rr_internal.lock_catalog(t, 'item', items);
    PERFORM rr_internal.lock_catalog(t, 'account', accounts);

    -- the fiscal periods that schedules on the fiscal calendar need
    IF fiscal THEN
        PERFORM rr_internal.ensure_fiscal_calendar(t, min(lower(b.service_period)), max(upper(b.service_period)))
           FROM rr_billed3 b
           JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = b.contract_id
                                           AND o.obligation_no = b.obligation_no
          WHERE o.item = ANY (fiscal_items) AND o.method IN ('equal', 'equal_prorate', 'daily');
    END IF;

    -- (the lines whose item follows the fiscal calendar, when any item does, first and in a
    -- statement of their own, so that the statement below calls one spread function per
    -- line, not two: a table function called per line costs its node a third of a
    -- microsecond even when, strict, it is not called at all, 0.1 s of a run of 100,000
    -- contracts for a fiscal spread nobody needed; one statement each, not a union: on
    -- Citus the work table is local and the obligations are not, and Citus joins the two
    -- only as sets.  Only these lines call rr_internal.fiscal_spread: on Citus, where a
    -- function that reads tables is a PL/pgSQL function whose every call is a routed query
    -- (a single node inlines it), a spread per line that read nothing took 14.8 s of a
    -- 20,000-contract run delegated to a worker, 60,000 calls)
    n := 0;
    IF fiscal THEN
        INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                              amount, contract_amount, invoice_id, invoice_line_no, planned_on)
        SELECT t, b.contract_id, b.obligation_no, 'billing', s.period, upper(s.period) - 1, s.amount, s.amount,
               b.invoice_id, b.invoice_line_no, b.invoice_date
          FROM rr_billed3 b
          JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = b.contract_id
                                          AND o.obligation_no = b.obligation_no
          -- spread over the tenant's fiscal periods (rr_internal.fiscal_spread, which reads them)
         CROSS JOIN LATERAL rr_internal.fiscal_spread(t, b.amount, b.service_period, o.method,
                                                      rr.minor_units(b.currency)) s
         WHERE o.item = ANY (fiscal_items) AND o.method IN ('equal', 'equal_prorate', 'daily');
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, invoice_id, invoice_line_no, planned_on)
    SELECT t, x.contract_id, x.obligation_no, 'billing', x.period, upper(x.period) - 1, x.amount, x.amount,
           x.invoice_id, x.invoice_line_no, x.invoice_date
      FROM (SELECT x.contract_id, x.obligation_no, x.invoice_id, x.invoice_line_no, x.invoice_date,
                   coalesce((x.s).period, x.day) AS period, coalesce((x.s).amount, x.amount) AS amount
              -- Each staged line's rows, from two set-returning functions in the select list,
              -- which run in step (as many rows as the longer gives): the spread over the
              -- service period with the obligation's pattern on the grain's periods
              -- (rr.spread: strict, the service passed only for those patterns and items not
              -- on the fiscal calendar, so no rows for the others; those items, scheduled
              -- above, by the array: not a join, whose node, even with a one-time filter that
              -- is false, cost 0.5 s of 3,000,000 staged lines); and the one day of a line
              -- recognised at a point in time, its whole amount.  A line of another pattern
              -- gets neither, and no row.  (In the select list, each row goes on as it comes;
              -- in FROM, each line's rows were stored in a tuple store of their own, 0.1 s of
              -- 300,000 lines: bench/README.md)
              FROM (SELECT b.contract_id, b.obligation_no, b.invoice_id, b.invoice_line_no, b.invoice_date, b.amount,
                           rr.spread(b.amount,
                                     CASE WHEN NOT o.item = ANY (fiscal_items)
                                               AND o.method IN ('equal', 'equal_prorate', 'daily')
                                          THEN b.service_period END,
                                     o.method, o.grain, '2000-01-01', rr.minor_units(b.currency)) AS s,
                           unnest(CASE WHEN o.method IN ('immediate', 'on_date', 'on_usage', 'percent_complete')
                                       THEN ARRAY[daterange(CASE o.method WHEN 'on_date' THEN lower(b.service_period)
                                                                          ELSE b.invoice_date END,
                                                            CASE o.method WHEN 'on_date' THEN lower(b.service_period)
                                                                          ELSE b.invoice_date END + 1)] END) AS day
                      FROM rr_billed3 b
                      -- (joins, not a sub-query per line: on Citus the work table is local and
                      -- the obligations are not, and Citus joins the two only as sets)
                      JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = b.contract_id
                                                      AND o.obligation_no = b.obligation_no) x) x;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END
$$;
COMMENT ON FUNCTION rr_internal.schedule_billed_lines(text) IS 'internal: the performance obligations and revenue schedule lines of the invoice lines staged in rr_billed3 (rr_internal.begin_billed_lines), recognised as invoiced over their service period with the obligation''s pattern, or on the invoice date; deposits and what activation planned are left out; returns the schedule lines written';
REVOKE ALL ON FUNCTION rr_internal.schedule_billed_lines(text) FROM PUBLIC;

-- The same for the invoice lines of a run written by other code (one-off charges billed at
-- once): staged from the run's charges.
CREATE FUNCTION rr_internal.create_revenue_schedules(tenant_id text, run bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_revenue_schedules.tenant_id;
    lo bigint;
    hi bigint;
BEGIN
    PERFORM rr_internal.begin_billed_lines();
    -- the range of the ids of the run's charges (rr.billing_run)
    SELECT lower(r.charge_ids), upper(r.charge_ids) INTO lo, hi
      FROM rr.billing_run r WHERE r.tenant_id = t AND r.run_id = create_revenue_schedules.run;
    -- Driven by the run's charges (their range of the primary key); the invoice line and invoice of each
    -- are reached by their key in a LATERAL subquery that the planner cannot flatten
    -- (OFFSET 0), so each is one index lookup per charge whatever the statistics of tables
    -- written in this transaction say.
    INSERT INTO rr_billed3 (invoice_id, invoice_line_no, contract_id, line_no, line_from, kind, adjustment_seq,
                            obligation_no, invoice_date, service_period, amount, contract_item, currency)
    SELECT l.invoice_id, l.line_no, ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, ch.adjustment_seq,
           ch.line_no, l.invoice_date, l.service_period, l.amount, l.contract_item, l.currency
      FROM rr.charge ch
     CROSS JOIN LATERAL (SELECT l.invoice_id, l.line_no, l.contract_item, l.service_period, l.amount,
                                l.kind AS line_kind, i.invoice_date, i.currency
                           FROM rr.invoice_line l
                           JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = l.invoice_id
                          WHERE l.tenant_id = t AND l.charge_id = ch.charge_id
                         OFFSET 0) l
     WHERE ch.tenant_id = t AND ch.charge_id >= lo AND ch.charge_id < hi AND ch.run_id = create_revenue_schedules.run
       AND l.line_kind NOT IN ('tax', 'deposit') AND l.amount <> 0;
    RETURN rr_internal.schedule_billed_lines(t);
END
$$;
COMMENT ON FUNCTION rr_internal.create_revenue_schedules(text, bigint) IS 'internal: schedule lines for the invoice lines of a billing run written by code other than rr_internal.bill (which stages its lines itself): stages them from the run''s charges and calls rr_internal.schedule_billed_lines';

-- Percent of completion: a cumulative measurement, and the catch-up line it schedules.
CREATE FUNCTION rr.record_progress(contract_id bigint, obligation_no integer, percent numeric,
                                   as_of date DEFAULT current_date, is_reversal boolean DEFAULT false,
                                   reason text DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    o rr.performance_obligation;
    prev rr.progress_entry;
    mu integer;
    done numeric;
    done_contract numeric;
    catch_up numeric;
BEGIN
    SELECT * INTO o FROM rr.performance_obligation p
     WHERE p.tenant_id = t AND p.contract_id = record_progress.contract_id
       AND p.obligation_no = record_progress.obligation_no
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % has no obligation %', record_progress.contract_id, record_progress.obligation_no
            USING ERRCODE = 'P0002', HINT = 'Obligations are created when the contract is activated.';
    ELSIF o.method <> 'percent_complete' THEN
        RAISE EXCEPTION 'obligation % of contract % is not recognised by percent complete', o.obligation_no, o.contract_id
            USING ERRCODE = '22023', DETAIL = format('Its method is "%s".', o.method);
    ELSIF percent IS NULL OR as_of IS NULL THEN
        RAISE EXCEPTION 'percent complete and its date must not be NULL' USING ERRCODE = '22004';
    ELSIF percent < 0 OR percent > 100 THEN
        RAISE EXCEPTION 'percent complete % is outside [0, 100]', percent
            USING ERRCODE = '22023', HINT = 'Give the cumulative percentage of completion, from 0 to 100.';
    END IF;
    SELECT * INTO prev FROM rr.progress_entry e
     WHERE e.tenant_id = t AND e.contract_id = o.contract_id AND e.obligation_no = o.obligation_no
     ORDER BY e.progress_id DESC LIMIT 1;
    IF percent < coalesce(prev.percent, 0) AND NOT is_reversal THEN
        RAISE EXCEPTION 'percent complete % is below the previous measurement of %', percent, prev.percent
            USING ERRCODE = '22023',
                  DETAIL = format('Obligation %s of contract %s was %s %% complete on %s.', o.obligation_no,
                                  o.contract_id, prev.percent, prev.as_of),
                  HINT = 'Progress is cumulative; to lower it, record an explicit reversal with is_reversal => true and a reason.';
    ELSIF is_reversal AND (reason IS NULL OR percent >= coalesce(prev.percent, 0)) THEN
        RAISE EXCEPTION 'a reversal must lower the percent complete and give a reason'
            USING ERRCODE = '22023',
                  DETAIL = format('The previous measurement is %s %%; the reversal gives %s %%.', coalesce(prev.percent, 0), percent);
    ELSIF as_of < prev.as_of THEN
        RAISE EXCEPTION 'progress date % is before the previous measurement on %', as_of, prev.as_of
            USING ERRCODE = '22023';
    END IF;
    mu := rr.minor_units(o.currency::text);
    SELECT coalesce(sum(l.amount), 0), coalesce(sum(l.contract_amount), 0) INTO done, done_contract
      FROM rr.revenue_schedule_line l
     WHERE l.tenant_id = t AND l.contract_id = o.contract_id AND l.obligation_no = o.obligation_no
       AND l.source = 'progress';
    -- cumulative catch-up: the allocation times the cumulative percentage, less what
    -- earlier measurements scheduled (at 100 % exactly the allocation)
    catch_up := round(o.allocated_amount * percent / 100, mu) - done;
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, planned_on)
    VALUES (t, o.contract_id, o.obligation_no, 'progress', daterange(as_of, as_of + 1), as_of, catch_up,
            round(o.contract_amount * percent / 100, mu) - done_contract, as_of);
    INSERT INTO rr.progress_entry (tenant_id, contract_id, obligation_no, as_of, percent, is_reversal, reason, catch_up)
    VALUES (t, o.contract_id, o.obligation_no, as_of, percent, is_reversal, reason, catch_up);
    RETURN catch_up;
END
$$;
COMMENT ON FUNCTION rr.record_progress(bigint, integer, numeric, date, boolean, text) IS 'records the cumulative percent complete of a percent-complete obligation and schedules its cumulative catch-up (allocation × percent, less what earlier measurements scheduled); going backwards needs is_reversal and a reason; returns the catch-up amount';

-- Credit notes reduce deferred revenue before revenue: a credited amount is taken from the
-- obligation's lines not yet due (in proportion to them, with rr.allocate), and only what
-- exceeds them reduces revenue, on the credit date.  Called by rr.credit_invoice once it
-- has written the lines of the credit note, while the note is still a draft.
CREATE FUNCTION rr_internal.credit_note_schedules(tenant_id text, credit_note bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := credit_note_schedules.tenant_id;
    r_contract bigint[];
    r_obligation integer[];
    r_period daterange[];
    r_on date[];
    r_amount numeric[];
    r_invoice bigint[];
    r_line integer[];
    note_date date;
    note_contract bigint;
    note_currency char(3);
    credited bigint;
    n record;
    ob integer;
    c_line integer[] := '{}';
    c_credit numeric[] := '{}';
    c_obligation integer[] := '{}';
BEGIN
    -- the credit note (a draft being issued) and the invoice it credits
    SELECT i.invoice_date, i.contract_id, i.currency, i.credits_invoice
      INTO note_date, note_contract, note_currency, credited
      FROM rr.invoice i
     WHERE i.tenant_id = t AND i.invoice_id = credit_note AND i.doc_type = 'credit_note' AND i.status = 'draft';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Each of its lines followed to the line it credits, that line's charge and the charge's
    -- obligation (the planned charge's, else the line's setting, else the contract line's
    -- number), by their keys, one line at a time (a credit note has a handful): joined in
    -- one query, on Citus's shards, which have no statistics, the planner drove the join
    -- from every charge of the tenant and scanned every invoice line for each (a credit
    -- note of the payment property test took over a minute there).
    FOR n IN SELECT l.line_no, l.credits_line_no, -l.amount AS credit
               FROM rr.invoice_line l
              WHERE l.tenant_id = t AND l.invoice_id = credit_note AND l.kind NOT IN ('tax', 'deposit') AND l.amount <> 0
              ORDER BY l.line_no
    LOOP
        SELECT o.obligation_no INTO ob
          FROM rr.invoice_line src
          JOIN rr.charge ch ON ch.tenant_id = t AND ch.charge_id = src.charge_id
          LEFT JOIN rr.obligation_charge oc ON oc.tenant_id = t AND oc.contract_id = ch.contract_id AND oc.line_no = ch.line_no
                                           AND oc.line_effective_from = ch.line_effective_from AND oc.kind = ch.kind
                                           AND oc.service_period = ch.service_period
                                           AND oc.adjustment_seq = ch.adjustment_seq
          LEFT JOIN rr.obligation_setting s ON s.tenant_id = t AND s.contract_id = ch.contract_id AND s.line_no = ch.line_no
          JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = note_contract
                                          AND o.obligation_no = coalesce(oc.obligation_no, s.obligation_no, ch.line_no)
         WHERE src.tenant_id = t AND src.invoice_id = credited AND src.line_no = n.credits_line_no;
        IF FOUND THEN
            c_line := c_line || n.line_no;
            c_credit := c_credit || n.credit;
            c_obligation := c_obligation || ob;
        END IF;
    END LOOP;
    -- the rows computed by one query, every table filtered by the tenant itself, then
    -- written (on Citus such a query goes to the tenant's shard whole; planned in pieces,
    -- as the select of an INSERT or with a table reached only through a join, some pieces
    -- would run on another node, which a delegated function may not: docs/scale-out.md)
    SELECT array_agg(x.contract_id), array_agg(x.obligation_no), array_agg(x.period), array_agg(x.on_date),
           array_agg(x.amount), array_agg(x.invoice_id), array_agg(x.line_no)
      INTO r_contract, r_obligation, r_period, r_on, r_amount, r_invoice, r_line
      FROM (
          WITH fut AS (
              SELECT cn.line_no, cn.credit, cn.obligation_no, f.periods, f.dates, f.amounts,
                     CASE WHEN cn.credit > 0 THEN least(cn.credit, greatest(coalesce(f.total, 0), 0)) ELSE 0 END
                         AS deferred_part
                FROM unnest(c_line, c_credit, c_obligation) AS cn (line_no, credit, obligation_no)
                -- the obligation's open lines due after the credit date, read by the
                -- obligation's key: all its lines, the others left out by FILTER (with the
                -- status and date in the WHERE, the planner, without statistics on Citus,
                -- could read every open line of the tenant through the due dates' index)
                LEFT JOIN LATERAL (
                    SELECT array_agg(l.period ORDER BY l.recognize_on, l.schedule_line_id) FILTER (WHERE d.due) AS periods,
                           array_agg(l.recognize_on ORDER BY l.recognize_on, l.schedule_line_id) FILTER (WHERE d.due)
                               AS dates,
                           array_agg(greatest(l.amount, 0) ORDER BY l.recognize_on, l.schedule_line_id) FILTER (WHERE d.due)
                               AS amounts,
                           sum(l.amount) FILTER (WHERE d.due) AS total
                      FROM rr.revenue_schedule_line l
                     CROSS JOIN LATERAL (SELECT l.status = 'open' AND l.recognize_on > note_date AS due) d
                     WHERE l.tenant_id = t AND l.contract_id = note_contract AND l.obligation_no = cn.obligation_no) f ON true
          )
          SELECT note_contract, f.obligation_no, u.period, u.on_date, -u.part, credit_note, f.line_no
            FROM fut f
           CROSS JOIN LATERAL unnest(f.periods, f.dates,
                                     rr.allocate(f.deferred_part, f.amounts, rr.minor_units(note_currency::text)))
                              AS u(period, on_date, part)
           WHERE f.deferred_part > 0 AND u.part <> 0
          UNION ALL
          SELECT note_contract, f.obligation_no, daterange(note_date, note_date + 1), note_date,
                 -(f.credit - f.deferred_part), credit_note, f.line_no
            FROM fut f
           WHERE f.credit <> f.deferred_part
           ) x (contract_id, obligation_no, period, on_date, amount, invoice_id, line_no);
    -- (planned on the credit note's date)
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, invoice_id, invoice_line_no, planned_on)
    SELECT credit_note_schedules.tenant_id, u.contract_id, u.obligation_no, 'credit', u.period, u.on_date,
           u.amount, u.amount, u.invoice_id, u.line_no, note_date
      FROM unnest(r_contract, r_obligation, r_period, r_on, r_amount, r_invoice, r_line)
           AS u (contract_id, obligation_no, period, on_date, amount, invoice_id, line_no);
END
$$;
COMMENT ON FUNCTION rr_internal.credit_note_schedules(text, bigint) IS 'internal, called by rr.credit_invoice: schedule lines of a credit note being issued: the credit comes off the obligation''s lines not yet due first (deferred revenue), the rest off revenue on the credit date';
