-- Performance obligations, SSP allocation and allocation schedules (docs/revenue.md).  The
-- contract lifecycle (src/sql/85_workflows/10_contract_lifecycle.sql:
-- rr_internal.apply_contract_action and rr.change_contract_line) calls
-- rr_internal.create_obligations in its own transaction when a contract becomes active,
-- its end or termination date changes, or a planned contract gets a new line version.
-- The schedule lines written later (billing runs, progress, credit notes) are in
-- 25_later_schedules.sql.

-- Every charge of the tenant's contracts (all_contracts) or of one through a date, charged
-- already or not, for planning: rr_internal.due_charges with a plan cached per case and a
-- row estimate of 1,000.  (The estimate is the point: inlined, due_charges' output on new
-- tables without statistics was estimated at a dozen rows, and the planner joined it,
-- materialised, to every contract and item for a re-plan of the whole tenant: 192 million
-- comparisons for 2,000 contracts, 23 s.  From this estimate it joins the charges to their
-- contract, line and item by key.)
CREATE FUNCTION rr_internal.planned_due_charges(tenant_id text, through date, only_contract bigint,
                                                all_contracts boolean)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date, discount_id bigint, terms_hash bigint)
LANGUAGE plpgsql STABLE ROWS 1000
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF planned_due_charges.all_contracts THEN
        RETURN QUERY SELECT * FROM rr_internal.due_charges(planned_due_charges.tenant_id, planned_due_charges.through,
                                                           planned_due_charges.only_contract, true, true);
    ELSE
        RETURN QUERY SELECT * FROM rr_internal.due_charges(planned_due_charges.tenant_id, planned_due_charges.through,
                                                           planned_due_charges.only_contract, false, true);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.planned_due_charges(text, date, bigint, boolean) IS 'internal: rr_internal.due_charges through a date, what is charged already included, for all the tenant''s contracts or one, with a plan cached per case and an estimate of 1,000 rows (rr_internal.planned_charges)';
REVOKE ALL ON FUNCTION rr_internal.planned_due_charges(text, date, bigint, boolean) FROM PUBLIC;

-- The fixed charges of the whole term of the tenant's contracts (all_contracts) or of one,
-- as billing will charge them (rr.due_charges stops each contract at its own end), with the
-- obligation, accounts and pattern of each and its share of its line's SSP: what
-- rr_internal.create_obligations plans.  The charges come from
-- rr_internal.planned_due_charges (above), joined by key.
CREATE FUNCTION rr_internal.planned_charges(tenant_id text, through date, only_contract bigint, all_contracts boolean)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text, service_period daterange,
               adjustment_seq bigint, amount numeric, obligation_no integer, mu integer, ssp_part numeric,
               ssp_override numeric, ssp_missing boolean, is_residual boolean, item text, method text, grain interval,
               revenue_account text, deferred_account text, currency char(3))
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq, d.amount,
           coalesce(s.obligation_no, d.line_no), rr.minor_units(k.currency),
           -- (corrections of charged periods change the price, not the standalone selling
           -- price; a charged period counts for the days its line version still covers, up
           -- to the next version and the termination, as it would had it not been billed
           -- before the change: the SSP does not depend on when billing ran)
           CASE WHEN d.kind = 'recurring' AND d.adjustment_seq = 0 AND isempty(v.days) THEN 0
                WHEN d.kind = 'recurring' AND d.adjustment_seq = 0
                    THEN l.quantity * ci.standalone_price
                         * rr.prorate(v.days,
                                      rr.period_containing(lower(d.service_period),
                                                           coalesce(l.billing_period, interval '1 month'),
                                                           rr.billing_anchor(k.alignment,
                                                                             CASE k.billing_start WHEN 'setup' THEN k.setup_date
                                                                                                  ELSE k.activation_date END,
                                                                             coalesce(l.billing_period, interval '1 month'))))
                WHEN ci.recurring_item IS NULL
                     AND d.kind = CASE WHEN ci.setup_item IS NOT NULL THEN 'setup' ELSE 'renewal' END AND d.adjustment_seq = 0
                    THEN l.quantity * ci.standalone_price
                ELSE 0 END,
           s.standalone_price, ci.standalone_price IS NULL, coalesce(s.ssp_is_residual, ci.ssp_is_residual),
           it.code, coalesce(dc.method, 'daily'), coalesce(dc.grain, interval '1 month'),
           it.revenue_account, it.deferred_account, k.currency
      FROM rr_internal.planned_due_charges(planned_charges.tenant_id, planned_charges.through,
                                           planned_charges.only_contract, planned_charges.all_contracts) d
      JOIN rr.contract k ON k.tenant_id = planned_charges.tenant_id AND k.contract_id = d.contract_id
      JOIN rr.contract_line l ON l.tenant_id = planned_charges.tenant_id AND l.contract_id = d.contract_id
                             AND l.line_no = d.line_no AND l.effective_from = d.line_effective_from
      JOIN rr.contract_item ci ON ci.tenant_id = planned_charges.tenant_id AND ci.code = l.contract_item
      JOIN rr.item it ON it.tenant_id = planned_charges.tenant_id
                     AND it.code = coalesce(ci.recurring_item, ci.setup_item, ci.renewal_item)
      LEFT JOIN rr.deferral_code dc ON dc.tenant_id = planned_charges.tenant_id AND dc.code = it.deferral_code
      LEFT JOIN rr.obligation_setting s ON s.tenant_id = planned_charges.tenant_id AND s.contract_id = d.contract_id
                                       AND s.line_no = d.line_no
      -- the days of a charged recurring period under its line version: before the line's
      -- next version (looked up by key for these charges only: joined as a window over the
      -- line versions, on new tables the planner read that window again for every charge,
      -- test/plans) and the contract's termination
      CROSS JOIN LATERAL (
             SELECT CASE WHEN d.kind = 'recurring' AND d.adjustment_seq = 0
                         THEN d.service_period
                              * daterange(NULL, (SELECT min(l2.effective_from) FROM rr.contract_line l2
                                                  WHERE l2.tenant_id = planned_charges.tenant_id
                                                    AND l2.contract_id = d.contract_id AND l2.line_no = d.line_no
                                                    AND l2.effective_from > d.line_effective_from))
                              * daterange(NULL, k.termination_date) END AS days) v
     WHERE k.end_date IS NOT NULL
       AND d.kind <> 'deposit' AND ci.billing_type <> 'deposit'
       AND coalesce(dc.method, 'daily') <> 'on_usage';
END;
COMMENT ON FUNCTION rr_internal.planned_charges(text, date, bigint, boolean) IS 'internal: the fixed charges of the term of all the tenant''s contracts or one of them, with obligation, accounts, pattern and SSP share, as rr_internal.create_obligations plans them';
REVOKE ALL ON FUNCTION rr_internal.planned_charges(text, date, bigint, boolean) FROM PUBLIC;

-- Obligations, allocation and allocation schedules of newly activated contracts, in
-- set-based statements.  Refuses (and so rolls back the activation) a contract whose
-- allocation lacks an SSP or has two residual obligations.
CREATE FUNCTION rr_internal.create_obligations(tenant_id text, contract_ids bigint[], replan_from date[] DEFAULT NULL,
                                                planned_on date[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_obligations.tenant_id;
    through date;
    bad record;
    n integer;
    -- the obligations upserted and the planned charges written (their key's check)
    written bigint;
    planned bigint;
    plan_rows bigint;
    -- the date each contract's new schedule is planned on, and the lines it replaces
    -- superseded on (docs/reports.md, "Schedules as of a date")
    plan_ids bigint[];
    plan_on date[];
    undated_ids bigint[];
    undated_on date[];
    first_ids bigint[];
    first_tcv numeric[];
    alloc_ids bigint[];
    alloc_nos integer[];
    alloc_on date[];
    alloc_amounts numeric[];
    alloc_services daterange[];
    named bigint[];
BEGIN
    -- the batch as an indexed, analysed table: a semi-join against it stays an index
    -- lookup per row whatever the planner guesses about rr.due_charges' output
    IF rr_internal.claim_work_table('rr_ids') THEN
        CREATE TEMP TABLE rr_ids (contract_id bigint PRIMARY KEY, replan_from date);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_ids');
    -- (replan_from: the effective date of the change that re-plans a contract planned before)
    INSERT INTO rr_ids
    SELECT x.id, min(x.d) FROM unnest(contract_ids, create_obligations.replan_from) AS x (id, d)
     WHERE x.id IS NOT NULL GROUP BY x.id;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_ids');
    SELECT max(k.end_date) INTO through
      FROM rr.contract k
     WHERE k.tenant_id = t AND k.contract_id IN (SELECT i.contract_id FROM rr_ids i) AND k.end_date IS NOT NULL;
    IF through IS NULL THEN
        RETURN 0;   -- unlimited contracts: recognised as invoiced (rr_internal.create_revenue_schedules)
    END IF;

    -- the fixed charges of the whole term, as billing will charge them (rr.due_charges
    -- stops each contract at its own end), with each charge's share of its line's SSP
    IF rr_internal.claim_work_table('rr_plan') THEN
        CREATE TEMP TABLE rr_plan (
            contract_id bigint, line_no integer, line_effective_from date, kind text, service_period daterange,
            adjustment_seq bigint, amount numeric, obligation_no integer, mu integer, ssp_part numeric,
            ssp_override numeric, ssp_missing boolean, is_residual boolean, item text, method text, grain interval,
            revenue_account text, deferred_account text, currency char(3));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_plan');
    -- one contract (an activation) and a batch are two statements, so that each keeps a
    -- plan of its own: the one-contract plan is cached for the session
    IF cardinality(contract_ids) = 1 THEN
        INSERT INTO rr_plan
        SELECT p.* FROM rr_internal.planned_charges(t, through, contract_ids[1], false) p
         WHERE p.contract_id IN (SELECT i.contract_id FROM rr_ids i);
    ELSE
        INSERT INTO rr_plan
        SELECT p.* FROM rr_internal.planned_charges(t, through, NULL, true) p
         WHERE p.contract_id IN (SELECT i.contract_id FROM rr_ids i);
    END IF;
    GET DIAGNOSTICS plan_rows = ROW_COUNT;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_plan');

    -- one row per obligation: lines, SSP for the term, contract amount, pattern
    IF rr_internal.claim_work_table('rr_obl') THEN
        CREATE TEMP TABLE rr_obl (
            contract_id bigint, obligation_no integer, line_nos integer[], first_line_no integer, first_line_from date,
        item text, method text, grain interval,
            revenue_account text, deferred_account text, currency char(3), mu integer, service daterange,
            standalone_price numeric, has_ssp boolean, is_residual boolean, contract_amount numeric,
            allocated_amount numeric, sched_amount numeric, sched_contract numeric, sched_service daterange,
            replan_from date, unchanged boolean, kept numeric, kept_contract numeric, vanished boolean,
            -- the key every later statement joins on: an index lookup per row, never a rescan
            PRIMARY KEY (contract_id, obligation_no));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_obl');
    INSERT INTO rr_obl
    SELECT x.contract_id, x.obligation_no, array_agg(x.line_no ORDER BY x.line_no), min(x.line_no),
           (array_agg(x.first_from ORDER BY x.line_no))[1],
           (array_agg(x.item ORDER BY x.line_no))[1], (array_agg(x.method ORDER BY x.line_no))[1],
           (array_agg(x.grain ORDER BY x.line_no))[1], (array_agg(x.revenue_account ORDER BY x.line_no))[1],
           (array_agg(x.deferred_account ORDER BY x.line_no))[1], min(x.currency), min(x.mu),
           -- a terminated contract's service ends on its termination date: what a refund
           -- policy lets it keep is recognised by then
           daterange(min(x.lo), greatest(min(x.lo) + 1,
                                         least(max(x.hi), (SELECT k.termination_date FROM rr.contract k
                                                            WHERE k.tenant_id = t AND k.contract_id = x.contract_id)))),
           CASE WHEN bool_and(x.ssp IS NOT NULL) THEN sum(x.ssp) END, bool_or(x.ssp IS NOT NULL),
           bool_or(x.is_residual), sum(x.amount), NULL, NULL, NULL, NULL
      FROM (SELECT p.contract_id, p.obligation_no, p.line_no, min(p.line_effective_from) AS first_from,
                   min(p.item) AS item, min(p.method) AS method,
                   min(p.grain) AS grain, min(p.revenue_account) AS revenue_account,
                   min(p.deferred_account) AS deferred_account, min(p.currency) AS currency, min(p.mu) AS mu,
                   min(lower(p.service_period)) AS lo, max(upper(p.service_period)) AS hi,
                   CASE WHEN min(p.ssp_override) IS NOT NULL THEN min(p.ssp_override)
                        WHEN bool_or(p.ssp_missing) THEN NULL
                        ELSE round(sum(p.ssp_part), min(p.mu)) END AS ssp,
                   bool_or(p.is_residual) AS is_residual, sum(p.amount) AS amount
              FROM rr_plan p
             GROUP BY p.contract_id, p.obligation_no, p.line_no) x
     GROUP BY x.contract_id, x.obligation_no;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_obl');

    -- refusals, before anything is written
    SELECT o.contract_id, array_agg(o.obligation_no ORDER BY o.obligation_no) AS nos INTO bad
      FROM rr_obl o WHERE o.is_residual GROUP BY o.contract_id HAVING count(*) > 1
     ORDER BY o.contract_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'contract % has more than one residual obligation', bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('Obligations %s are all marked ssp_is_residual.', array_to_string(bad.nos, ', ')),
                  HINT = 'The residual method applies to at most one obligation of a contract; give the others a standalone selling price.';
    END IF;
    -- allocation is needed when a contract has several obligations and prices them
    -- relative to each other: an SSP or a residual flag on one of them.  A discount alone
    -- needs none: billing splits a contract-wide discount over the lines in proportion to
    -- their amounts, so each obligation keeps its own discounted contract price, and no SSP
    -- is asked for (docs/one-off-charges.md, "Discounts and allocation")
    UPDATE rr_obl o SET allocated_amount = o.contract_amount;
    IF rr_internal.claim_work_table('rr_alloc') THEN
        CREATE TEMP TABLE rr_alloc (contract_id bigint, has_residual boolean);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_alloc');
    INSERT INTO rr_alloc
    SELECT o.contract_id, bool_or(o.is_residual)
      FROM rr_obl o
     GROUP BY o.contract_id
    HAVING count(*) > 1 AND bool_or(o.has_ssp OR o.is_residual);
    SELECT o.contract_id, o.obligation_no, o.line_nos, o.standalone_price INTO bad
      FROM rr_obl o JOIN rr_alloc a USING (contract_id)
     WHERE NOT o.is_residual AND coalesce(o.standalone_price, 0) = 0
     ORDER BY o.contract_id, o.obligation_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'obligation % of contract % has no standalone selling price', bad.obligation_no, bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The SSP of contract line(s) %s is %s; the contract''s price is allocated across its obligations by relative SSP.',
                                  array_to_string(bad.line_nos, ', '), coalesce(bad.standalone_price::text, 'missing')),
                  HINT = 'Set standalone_price on the contract item, override it with rr.set_obligation(), or mark one obligation residual.';
    END IF;
    SELECT o.contract_id, sum(o.contract_amount) AS price,
           sum(round(o.standalone_price, o.mu)) FILTER (WHERE NOT o.is_residual) AS others INTO bad
      FROM rr_obl o JOIN rr_alloc a USING (contract_id)
     WHERE a.has_residual
     GROUP BY o.contract_id
    HAVING sum(o.contract_amount) < sum(round(o.standalone_price, o.mu)) FILTER (WHERE NOT o.is_residual)
     ORDER BY o.contract_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the residual obligation of contract % would be negative', bad.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The transaction price %s is less than the %s of the other obligations'' standalone selling prices.',
                                  bad.price, bad.others),
                  HINT = 'Use relative SSP allocation (no residual obligation) for this contract.';
    END IF;

    -- relative SSP, exact to the minor unit (ASC 606-10-32-36): the price less the
    -- discounts that belong to specific obligations (rr.discount_obligation,
    -- 15_discount_obligations.sql) across all obligations ...
    UPDATE rr_obl o SET allocated_amount = x.part
      FROM (SELECT g.contract_id, u.obligation_no, u.part
              FROM (SELECT o2.contract_id, array_agg(o2.obligation_no ORDER BY o2.obligation_no) AS nos,
                           rr.allocate(sum(o2.contract_amount) - min(coalesce(nd.named, 0)),
                                       array_agg(o2.standalone_price ORDER BY o2.obligation_no), min(o2.mu)) AS parts
                      FROM rr_obl o2 JOIN rr_alloc a USING (contract_id)
                      -- the discounts named to obligations, summed per contract in one grouped
                      -- pass over the plan's discount charges (a sub-query per contract scanned
                      -- the plan once per contract: 726 s for 20,000 contracts, bench/README.md)
                      LEFT JOIN (SELECT p.contract_id, sum(p.amount) AS named
                                   FROM rr_plan p
                                  WHERE p.kind = 'discount' AND p.adjustment_seq > 0
                                    -- (a look-up per discount charge, not EXISTS, which the
                                    -- planner turns into a join of the work table with the
                                    -- tenant's table: Citus refuses such a join)
                                    AND (SELECT true FROM rr.discount_obligation dl
                                          WHERE dl.tenant_id = t AND dl.contract_id = p.contract_id
                                            AND dl.discount_id = p.adjustment_seq LIMIT 1) IS NOT NULL
                                  GROUP BY p.contract_id) nd ON nd.contract_id = o2.contract_id
                     WHERE NOT a.has_residual
                     GROUP BY o2.contract_id) g
             CROSS JOIN LATERAL unnest(g.nos, g.parts) AS u(obligation_no, part)) x
     WHERE o.contract_id = x.contract_id AND o.obligation_no = x.obligation_no;
    -- ... and each of those discounts across the obligations of its named lines only, by
    -- their relative SSP (ASC 606-10-32-37)
    UPDATE rr_obl o SET allocated_amount = o.allocated_amount + x.part
      FROM (SELECT g.contract_id, u.obligation_no, sum(u.part) AS part
              FROM (SELECT d.contract_id, array_agg(o2.obligation_no ORDER BY o2.obligation_no) AS nos,
                           rr.allocate(min(d.amount), array_agg(o2.standalone_price ORDER BY o2.obligation_no),
                                       min(o2.mu)) AS parts
                      FROM (SELECT p.contract_id, p.adjustment_seq AS discount_id, sum(p.amount) AS amount,
                                   (SELECT array_agg(dl.line_no) FROM rr.discount_obligation dl
                                     WHERE dl.tenant_id = t AND dl.contract_id = p.contract_id
                                       AND dl.discount_id = p.adjustment_seq) AS lines
                              FROM rr_plan p
                             WHERE p.kind = 'discount' AND p.adjustment_seq > 0
                             GROUP BY p.contract_id, p.adjustment_seq) d
                      JOIN rr_alloc a ON a.contract_id = d.contract_id AND NOT a.has_residual
                      JOIN rr_obl o2 ON o2.contract_id = d.contract_id AND o2.line_nos && d.lines
                     WHERE d.lines IS NOT NULL
                     GROUP BY d.contract_id, d.discount_id) g
             CROSS JOIN LATERAL unnest(g.nos, g.parts) AS u(obligation_no, part)
             GROUP BY g.contract_id, u.obligation_no) x
     WHERE o.contract_id = x.contract_id AND o.obligation_no = x.obligation_no;
    -- residual: the others at their SSP, the residual obligation the rest
    UPDATE rr_obl o
       SET allocated_amount = CASE WHEN o.is_residual
                                   THEN x.price - x.others
                                   ELSE round(o.standalone_price, o.mu) END
      FROM (SELECT o2.contract_id, sum(o2.contract_amount) AS price,
                   coalesce(sum(round(o2.standalone_price, o2.mu)) FILTER (WHERE NOT o2.is_residual), 0) AS others
              FROM rr_obl o2 JOIN rr_alloc a USING (contract_id)
             WHERE a.has_residual
             GROUP BY o2.contract_id) x
     WHERE o.contract_id = x.contract_id;

    -- What is left to schedule: everything for a new contract.  A contract planned before
    -- (a line version, its end or its termination changed since) is re-planned
    -- prospectively from the change's effective date E, whatever was posted: what the
    -- schedule gave the days before E stays as it was (a line straddling E keeps its share
    -- of days before E), and the new allocation less that is spread over [E, end of
    -- service).  Posted lines are immutable, so the open lines from E on are the new
    -- schedule less what was posted there, period by period: revenue per period is then the
    -- same whether recognition ran before the change or not.
    --
    -- obligations that lost all their charges (a line removed from its start) keep what
    -- their schedule gave the days before E, and no more
    INSERT INTO rr_obl (contract_id, obligation_no, line_nos, first_line_no, first_line_from, item, method, grain,
                        revenue_account, deferred_account, currency, mu, service, standalone_price, has_ssp,
                        is_residual, contract_amount, allocated_amount, vanished)
    SELECT po.contract_id, po.obligation_no, po.line_nos, po.first_line_no, po.first_line_from, po.item, po.method,
           po.grain, po.revenue_account, po.deferred_account, po.currency, rr.minor_units(po.currency), po.service,
           po.standalone_price, po.standalone_price IS NOT NULL, po.is_residual, 0, 0, true
      FROM rr.performance_obligation po
      -- (an anti-join with a sub-query of the work table rather than NOT EXISTS: on Citus
      -- the work table is local to the tenant's worker, and Citus joins it only as a set)
      LEFT JOIN (SELECT o.contract_id, o.obligation_no FROM rr_obl o) o
             ON o.contract_id = po.contract_id AND o.obligation_no = po.obligation_no
     WHERE po.tenant_id = t AND po.contract_id IN (SELECT i.contract_id FROM rr_ids i)
       AND o.contract_id IS NULL
       AND EXISTS (SELECT FROM rr.revenue_schedule_line l
                    WHERE l.tenant_id = t AND l.contract_id = po.contract_id AND l.obligation_no = po.obligation_no
                      AND l.source = 'allocation');
    -- E per obligation: a new one from its start; one planned before from the change's date,
    -- within its service (the whole service when the caller names no date); one whose
    -- allocation, contract amount and service did not change keeps its schedule as it is
    UPDATE rr_obl o
       SET replan_from = CASE WHEN isempty(o.service) THEN '-infinity' ELSE lower(o.service) END,
           unchanged = false, vanished = coalesce(o.vanished, false);
    -- (the obligations planned before are read into a work table of their own first: on
    -- Citus the work tables are local to the tenant's worker, and a statement there may
    -- join them with the tenant's tables only as sets)
    IF rr_internal.claim_work_table('rr_obl_planned') THEN
        CREATE TEMP TABLE rr_obl_planned (
            contract_id bigint, obligation_no integer, allocated_amount numeric, contract_amount numeric,
            service daterange, PRIMARY KEY (contract_id, obligation_no));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_obl_planned');
    INSERT INTO rr_obl_planned
    SELECT po.contract_id, po.obligation_no, po.allocated_amount, po.contract_amount, po.service
      FROM rr.performance_obligation po
     WHERE po.tenant_id = t AND po.contract_id IN (SELECT i.contract_id FROM rr_ids i)
       AND EXISTS (SELECT FROM rr.revenue_schedule_line l
                    WHERE l.tenant_id = t AND l.contract_id = po.contract_id
                      AND l.obligation_no = po.obligation_no AND l.source = 'allocation');
    UPDATE rr_obl o
       SET replan_from = greatest(lower(o.service), least(coalesce(i.replan_from, lower(o.service)), upper(o.service))),
           unchanged = NOT o.vanished AND po.allocated_amount = o.allocated_amount
                       AND po.contract_amount = o.contract_amount AND po.service = o.service
      FROM rr_ids i, rr_obl_planned po
     WHERE i.contract_id = o.contract_id AND NOT isempty(o.service)
       AND po.contract_id = o.contract_id AND po.obligation_no = o.obligation_no;
    -- Prospective treatment of a change (ASC 606-10-25-13a; docs/revenue.md, "Contract
    -- modifications"), where the contract allocates its price across its obligations by
    -- relative SSP and the change moves that allocation: what the schedule gave each
    -- obligation's days before E stays with it (kept); an obligation satisfied by E (one
    -- recognised at a point in time whose schedule ended before E, such as a licence
    -- recognised on its first day, or one over time whose service ended) keeps just that;
    -- and the rest of the transaction price -- what was not yet scheduled plus what the
    -- change adds -- is allocated over the obligations that remain, by the SSP of what
    -- remains of each (a time-based obligation's SSP times the share of its service from E
    -- on, any other's whole SSP).  A re-plan of the whole service (a cumulative catch-up)
    -- has nothing kept and allocates as at inception.  (kept is worked out as below, per
    -- period, so that the schedule written from it adds up to the allocation exactly.)
    -- (the contracts with a discount named to some of their obligations, read alone: such
    -- a discount is allocated to those obligations only, so they are allocated as at
    -- inception)
    named := ARRAY(SELECT DISTINCT dl.contract_id FROM rr.discount_obligation dl
                    WHERE dl.tenant_id = t AND dl.contract_id = ANY (contract_ids));
    IF rr_internal.claim_work_table('rr_kept') THEN
        CREATE TEMP TABLE rr_kept (contract_id bigint, obligation_no integer, kept numeric, remaining boolean,
                                   weight numeric, mu integer, PRIMARY KEY (contract_id, obligation_no));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_kept');
    INSERT INTO rr_kept
    SELECT o.contract_id, o.obligation_no,
           coalesce(sum(CASE WHEN upper(p.period) <= o.replan_from THEN p.amount
                             WHEN lower(p.period) < o.replan_from
                                 THEN round(p.amount * (o.replan_from - lower(p.period))
                                            / (upper(p.period) - lower(p.period)), o.mu)
                             ELSE 0 END), 0),
           -- remaining: planned now (a new obligation); recognised at a point in time and
           -- scheduled after E before; or over time with service after E
           NOT bool_or(po.contract_id IS NOT NULL)
               OR (o.method NOT IN ('immediate', 'on_date') AND upper(o.service) > o.replan_from)
               OR coalesce(bool_or(upper(p.period) > o.replan_from), false),
           CASE WHEN o.method IN ('equal', 'equal_prorate', 'daily') AND upper(o.service) > lower(o.service)
                THEN o.standalone_price * (upper(o.service) - o.replan_from) / (upper(o.service) - lower(o.service))
                ELSE o.standalone_price END,
           o.mu
      FROM rr_obl o
      JOIN rr_ids i ON i.contract_id = o.contract_id
      JOIN rr_alloc a ON a.contract_id = o.contract_id AND NOT a.has_residual
      LEFT JOIN rr_obl_planned po ON po.contract_id = o.contract_id AND po.obligation_no = o.obligation_no
      LEFT JOIN (SELECT l.contract_id, l.obligation_no, l.period, sum(l.amount) AS amount
                   FROM rr.revenue_schedule_line l
                  WHERE l.tenant_id = t
                    AND l.contract_id IN (SELECT a2.contract_id FROM rr_alloc a2 WHERE NOT a2.has_residual)
                    AND l.source = 'allocation'
                  GROUP BY l.contract_id, l.obligation_no, l.period) p
             ON p.contract_id = o.contract_id AND p.obligation_no = o.obligation_no
     WHERE i.replan_from IS NOT NULL AND NOT o.vanished AND NOT isempty(o.service)
       -- (the contracts the change moves: one of their obligations changed)
       AND o.contract_id IN (SELECT o2.contract_id FROM rr_obl o2 WHERE NOT o2.unchanged)
       -- (and whose obligations are all recognised over time by days or months, or at a
       -- point in time, whose schedules say what is satisfied by E: one recognised by
       -- percent complete or on payment is scheduled by its measurements and payments, and
       -- such a contract is allocated as at inception, its schedules re-spread from E)
       AND o.contract_id NOT IN (SELECT o2.contract_id FROM rr_obl o2
                                  WHERE o2.method NOT IN ('equal', 'equal_prorate', 'daily', 'immediate', 'on_date'))
       AND o.contract_id <> ALL (named)
     GROUP BY o.contract_id, o.obligation_no, o.replan_from, o.mu, o.method, o.service, o.standalone_price;
    UPDATE rr_obl o
       SET allocated_amount = k.kept + coalesce(x.part, 0)
      FROM rr_kept k
      LEFT JOIN (SELECT g.contract_id, u.obligation_no, u.part
                   FROM (SELECT k2.contract_id, array_agg(k2.obligation_no ORDER BY k2.obligation_no) AS nos,
                                rr.allocate(min(c.total) - min(c.kept), array_agg(k2.weight ORDER BY k2.obligation_no),
                                            min(k2.mu)) AS parts
                           FROM rr_kept k2
                           JOIN (SELECT k3.contract_id, sum(o3.allocated_amount) AS total, sum(k3.kept) AS kept
                                   FROM rr_kept k3
                                   JOIN rr_obl o3 ON o3.contract_id = k3.contract_id
                                                 AND o3.obligation_no = k3.obligation_no
                                  GROUP BY k3.contract_id) c ON c.contract_id = k2.contract_id
                          WHERE k2.remaining
                          GROUP BY k2.contract_id
                         HAVING sum(k2.weight) > 0) g
                  CROSS JOIN LATERAL unnest(g.nos, g.parts) AS u (obligation_no, part)) x
             ON x.contract_id = k.contract_id AND x.obligation_no = k.obligation_no
     WHERE o.contract_id = k.contract_id AND o.obligation_no = k.obligation_no
       -- (a contract with no obligation left to take the rest keeps the allocation above)
       AND k.contract_id IN (SELECT k4.contract_id FROM rr_kept k4 WHERE k4.remaining
                              GROUP BY k4.contract_id HAVING sum(k4.weight) > 0);
    UPDATE rr_obl o
       SET unchanged = NOT o.vanished AND po.allocated_amount = o.allocated_amount
                       AND po.contract_amount = o.contract_amount AND po.service = o.service
      FROM rr_kept k, rr_obl_planned po
     WHERE k.contract_id = o.contract_id AND k.obligation_no = o.obligation_no
       AND po.contract_id = o.contract_id AND po.obligation_no = o.obligation_no;
    -- the schedule so far from E on, per period: everything, and what of it is posted
    IF rr_internal.claim_work_table('rr_prev') THEN
        CREATE TEMP TABLE rr_prev (contract_id bigint, obligation_no integer, period daterange, amount numeric,
                                   contract_amount numeric, posted numeric, posted_contract numeric,
                                   posted_lines bigint, PRIMARY KEY (contract_id, obligation_no, period));
    END IF;
    IF rr_internal.claim_work_table('rr_sched') THEN
        CREATE TEMP TABLE rr_sched (contract_id bigint, obligation_no integer, period daterange, amount numeric,
                                    contract_amount numeric);
        CREATE INDEX ON rr_sched (contract_id, obligation_no);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_prev');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_sched');
    INSERT INTO rr_prev
    SELECT l.contract_id, l.obligation_no, l.period, sum(l.amount), sum(l.contract_amount),
           coalesce(sum(l.amount) FILTER (WHERE l.status = 'posted'), 0),
           coalesce(sum(l.contract_amount) FILTER (WHERE l.status = 'posted'), 0),
           count(*) FILTER (WHERE l.status = 'posted')
      FROM rr_obl o
      JOIN rr.revenue_schedule_line l ON l.tenant_id = t AND l.contract_id = o.contract_id
                                     AND l.obligation_no = o.obligation_no
     WHERE NOT o.unchanged AND l.source = 'allocation' AND upper(l.period) > o.replan_from
     GROUP BY l.contract_id, l.obligation_no, l.period;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_prev');
    -- a period straddling E keeps its share of the days before E
    INSERT INTO rr_sched
    SELECT p.contract_id, p.obligation_no, daterange(lower(p.period), o.replan_from),
           round(p.amount * (o.replan_from - lower(p.period)) / (upper(p.period) - lower(p.period)), o.mu),
           round(p.contract_amount * (o.replan_from - lower(p.period)) / (upper(p.period) - lower(p.period)), o.mu)
      FROM rr_prev p
      JOIN rr_obl o ON o.contract_id = p.contract_id AND o.obligation_no = p.obligation_no
     WHERE lower(p.period) < o.replan_from;
    -- what the schedule gave the days before E, and what is left to spread from E on
    UPDATE rr_obl o
       SET kept = k.amount, kept_contract = k.contract_amount
      FROM (SELECT x.contract_id, x.obligation_no, sum(x.amount) AS amount, sum(x.contract_amount) AS contract_amount
              FROM (SELECT l.contract_id, l.obligation_no, l.amount, l.contract_amount, upper(l.period) AS up
                      FROM rr.revenue_schedule_line l
                     WHERE l.tenant_id = t AND l.contract_id IN (SELECT i.contract_id FROM rr_ids i)
                       AND l.source = 'allocation'
                    UNION ALL
                    SELECT s.contract_id, s.obligation_no, s.amount, s.contract_amount, upper(s.period)
                      FROM rr_sched s) x
              JOIN rr_obl o2 ON o2.contract_id = x.contract_id AND o2.obligation_no = x.obligation_no
             WHERE NOT o2.unchanged AND x.up <= o2.replan_from
             GROUP BY x.contract_id, x.obligation_no) k
     WHERE o.contract_id = k.contract_id AND o.obligation_no = k.obligation_no;
    UPDATE rr_obl o
       SET allocated_amount = CASE WHEN o.vanished THEN coalesce(o.kept, 0) ELSE o.allocated_amount END,
           contract_amount = CASE WHEN o.vanished THEN coalesce(o.kept_contract, 0) ELSE o.contract_amount END,
           sched_amount = CASE WHEN o.vanished THEN 0 ELSE o.allocated_amount - coalesce(o.kept, 0) END,
           sched_contract = CASE WHEN o.vanished THEN 0 ELSE o.contract_amount - coalesce(o.kept_contract, 0) END,
           sched_service = CASE WHEN isempty(o.service) THEN 'empty' ELSE daterange(o.replan_from, upper(o.service)) END;
    PERFORM rr_internal.write_allocation_schedules('rr_obl', 'rr_sched');

    -- by the contracts' keys (the array, not a join with the work table: a cached plan made
    -- while the tenant had few planned charges read all of them for every contract)
    DELETE FROM rr.obligation_charge c WHERE c.tenant_id = t AND c.contract_id = ANY (contract_ids);
    INSERT INTO rr.performance_obligation (tenant_id, contract_id, obligation_no, line_nos, first_line_no,
                                           first_line_from, item, method, grain,
                                           revenue_account, deferred_account, currency, service, standalone_price,
                                           is_residual, contract_amount, allocated_amount)
    SELECT t, o.contract_id, o.obligation_no, o.line_nos, o.first_line_no, o.first_line_from, o.item, o.method, o.grain, o.revenue_account,
           o.deferred_account, o.currency, o.service, o.standalone_price, o.is_residual, o.contract_amount,
           o.allocated_amount
      FROM rr_obl o
     ORDER BY o.contract_id, o.obligation_no
    ON CONFLICT ON CONSTRAINT performance_obligation_pkey DO UPDATE
       SET line_nos = excluded.line_nos, service = excluded.service, standalone_price = excluded.standalone_price,
           is_residual = excluded.is_residual, contract_amount = excluded.contract_amount,
           allocated_amount = excluded.allocated_amount;
    GET DIAGNOSTICS written = ROW_COUNT;
    -- the booking of the contracts planned for the first time (their activation): the term
    -- and total contract value as they stand now, kept when later changes re-plan them
    -- (rr.bookings; a contract booked before keeps its booking)
    -- (the work tables read alone, then joined as arrays: on Citus a local table cannot be
    -- read by a sub-query of a statement on the distributed tables)
    SELECT array_agg(i.contract_id), array_agg(coalesce(x.tcv, 0)) INTO first_ids, first_tcv
      FROM rr_ids i
      LEFT JOIN (SELECT o.contract_id, sum(o.contract_amount) AS tcv FROM rr_obl o GROUP BY o.contract_id) x
             ON x.contract_id = i.contract_id
     WHERE i.replan_from IS NULL;
    IF first_ids IS NOT NULL THEN
        INSERT INTO rr.contract_booking (tenant_id, contract_id, booked_on, end_date, tcv)
        SELECT t, k.contract_id, k.activation_date, k.end_date, x.tcv
          FROM unnest(first_ids, first_tcv) AS x (contract_id, tcv)
          JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = x.contract_id
         WHERE k.end_date IS NOT NULL AND k.activation_date IS NOT NULL
         ORDER BY k.contract_id
        ON CONFLICT ON CONSTRAINT contract_booking_pkey DO NOTHING;
    END IF;
    -- the items and accounts the obligations name, locked and checked once (the writer's
    -- half of a key: rr_internal.lock_catalog)
    -- (distinct by hashing first: array_agg(DISTINCT) sorts every obligation)
    PERFORM rr_internal.lock_catalog(t, 'item', (SELECT array_agg(x.item) FROM (SELECT DISTINCT o.item FROM rr_obl o) x));
    PERFORM rr_internal.lock_catalog(t, 'account', (SELECT array_agg(DISTINCT a.account)
                                                      FROM (SELECT DISTINCT o.revenue_account, o.deferred_account
                                                              FROM rr_obl o) o,
                                                           LATERAL (VALUES (o.revenue_account),
                                                                           (o.deferred_account)) a (account)));
    -- the planned charges' obligations, checked once for the call instead of by a foreign
    -- key per planned charge (a lookup and a row lock each: rr.obligation_charge): each
    -- planned charge is written joined with its obligation in rr_obl, every row of which
    -- the statement above upserted (counted); a planned charge without one, or an
    -- obligation not written, is refused.  (Joined with the work table, not looked up in
    -- rr.performance_obligation: reading 260,000 planned charges back took 0.2-0.8 s, as
    -- long as the key.)
    INSERT INTO rr.obligation_charge (tenant_id, contract_id, line_no, line_effective_from, kind, service_period,
                                      adjustment_seq, obligation_no, amount)
    SELECT t, p.contract_id, p.line_no, p.line_effective_from, p.kind, p.service_period, p.adjustment_seq,
           p.obligation_no, p.amount
      FROM rr_plan p
      JOIN rr_obl o ON o.contract_id = p.contract_id AND o.obligation_no = p.obligation_no;
    GET DIAGNOSTICS planned = ROW_COUNT;
    IF written < (SELECT count(*) FROM rr_obl) THEN
        RAISE EXCEPTION 'only % of % performance obligations were written', written, (SELECT count(*) FROM rr_obl)
            USING ERRCODE = '23503',
                  DETAIL = 'Every planned charge belongs to an obligation of rr.performance_obligation.',
                  HINT = 'Write every obligation of the contracts planned in the same call.';
    END IF;
    IF planned < plan_rows THEN
        SELECT p.contract_id, p.obligation_no, p.line_no INTO bad
          FROM rr_plan p
         WHERE NOT EXISTS (SELECT FROM rr_obl o WHERE o.contract_id = p.contract_id AND o.obligation_no = p.obligation_no)
         LIMIT 1;
        RAISE EXCEPTION 'performance obligation % of contract % does not exist', bad.obligation_no, bad.contract_id
            USING ERRCODE = '23503',
                  DETAIL = format('Line %s of the contract has a planned charge under it; every planned charge belongs to an obligation of rr.performance_obligation.',
                                  bad.line_no),
                  HINT = 'Plan the charges of the obligations written in the same call.';
    END IF;
    -- The date each contract's new schedule is planned on (docs/reports.md, "Schedules as of
    -- a date"): the date the change takes effect, planned_on, when the caller names one (a
    -- resume re-plans from the first day paused but takes effect on the day resumed; a
    -- cumulative catch-up re-plans the whole service from the day amended); else its
    -- replan_from date, as given (not moved into an obligation's service: a termination
    -- dated before a later line starts takes effect on its own date); else the contract's
    -- activation date (its first plan, or a re-plan of the whole term, which restates it).
    -- The lines it replaces are superseded on the same date, so that the schedule as of any
    -- date holds either them or their replacement, never both.
    SELECT array_agg(x.id), array_agg(x.d) INTO plan_ids, plan_on
      FROM (SELECT x.id, min(coalesce(x.p, x.d)) AS d
              FROM unnest(contract_ids, create_obligations.replan_from, create_obligations.planned_on) AS x (id, d, p)
             WHERE x.id IS NOT NULL AND coalesce(x.p, x.d) IS NOT NULL
             GROUP BY x.id) x;
    SELECT array_agg(k.contract_id), array_agg(k.activation_date) INTO undated_ids, undated_on
      FROM rr.contract k
     WHERE k.tenant_id = t AND k.contract_id IN (SELECT i.contract_id FROM rr_ids i)
       AND k.contract_id <> ALL (coalesce(plan_ids, '{}'))
       AND k.activation_date IS NOT NULL;
    plan_ids := coalesce(plan_ids, '{}') || coalesce(undated_ids, '{}');
    plan_on := coalesce(plan_on, '{}') || coalesce(undated_on, '{}');
    -- the open lines from E on are replaced: kept, with the date they are superseded on, for
    -- the reports as of an earlier date (rr.superseded_schedule_line); lines superseded
    -- earlier that the schedule still held from E on (a re-plan dated after this one) are
    -- superseded from E on too
    UPDATE rr.superseded_schedule_line h
       SET superseded_on = coalesce(u.on_date, o.replan_from)
      FROM rr_obl o
      LEFT JOIN unnest(plan_ids, plan_on) AS u (contract_id, on_date) ON u.contract_id = o.contract_id
     WHERE h.tenant_id = t AND h.contract_id = o.contract_id AND h.obligation_no = o.obligation_no
       AND h.source = 'allocation' AND NOT o.unchanged AND upper(h.period) > o.replan_from
       AND h.superseded_on > coalesce(u.on_date, o.replan_from);
    INSERT INTO rr.superseded_schedule_line (tenant_id, schedule_line_id, contract_id, obligation_no, source, period,
                                             recognize_on, amount, contract_amount, planned_on, superseded_on)
    SELECT t, l.schedule_line_id, l.contract_id, l.obligation_no, l.source, l.period, l.recognize_on, l.amount,
           l.contract_amount, l.planned_on, coalesce(u.on_date, o.replan_from)
      FROM rr_obl o
      JOIN rr.revenue_schedule_line l ON l.tenant_id = t AND l.contract_id = o.contract_id
                                     AND l.obligation_no = o.obligation_no
      LEFT JOIN unnest(plan_ids, plan_on) AS u (contract_id, on_date) ON u.contract_id = o.contract_id
     WHERE l.source = 'allocation' AND l.status = 'open' AND NOT o.unchanged AND upper(l.period) > o.replan_from;
    -- the open lines from E on: the new schedule less what was posted there, per period (a
    -- period with nothing posted keeps its line even at zero, as a new schedule does)
    DELETE FROM rr.revenue_schedule_line l
     USING rr_obl o
     WHERE l.tenant_id = t AND l.contract_id = o.contract_id AND l.obligation_no = o.obligation_no
       AND l.source = 'allocation' AND l.status = 'open' AND NOT o.unchanged AND upper(l.period) > o.replan_from;
    -- (every obligation of rr_sched and rr_prev is one of rr_obl, all written above)
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, planned_on)
    SELECT t, x.contract_id, x.obligation_no, 'allocation', x.period, upper(x.period) - 1, x.amount, x.contract_amount,
           coalesce(u.on_date, o.replan_from)
      FROM (SELECT coalesce(s.contract_id, p.contract_id) AS contract_id,
                   coalesce(s.obligation_no, p.obligation_no) AS obligation_no, coalesce(s.period, p.period) AS period,
                   coalesce(s.amount, 0) - coalesce(p.posted, 0) AS amount,
                   coalesce(s.contract_amount, 0) - coalesce(p.posted_contract, 0) AS contract_amount,
                   s.period IS NOT NULL AND coalesce(p.posted_lines, 0) = 0 AS fresh
              FROM (SELECT s1.contract_id, s1.obligation_no, s1.period, sum(s1.amount) AS amount,
                           sum(s1.contract_amount) AS contract_amount
                      FROM rr_sched s1
                     GROUP BY s1.contract_id, s1.obligation_no, s1.period) s
              FULL JOIN rr_prev p ON p.contract_id = s.contract_id AND p.obligation_no = s.obligation_no
                                 AND p.period = s.period) x
      JOIN rr_obl o ON o.contract_id = x.contract_id AND o.obligation_no = x.obligation_no
      LEFT JOIN unnest(plan_ids, plan_on) AS u (contract_id, on_date) ON u.contract_id = x.contract_id
     WHERE x.fresh OR x.amount <> 0 OR x.contract_amount <> 0
     ORDER BY x.contract_id, x.obligation_no, lower(x.period), upper(x.period);
    -- the allocation and service of the obligations recognised by percent complete or on
    -- payment, from the date the plan takes effect (rr.obligation_allocation); a re-plan
    -- dated before a later one replaces that one's row.  (The work table read alone, then
    -- written from arrays: on Citus a local table cannot be read by a sub-query of a
    -- statement on the distributed tables.)
    SELECT array_agg(o.contract_id), array_agg(o.obligation_no), array_agg(coalesce(u.on_date, o.replan_from)),
           array_agg(o.allocated_amount), array_agg(o.service)
      INTO alloc_ids, alloc_nos, alloc_on, alloc_amounts, alloc_services
      FROM rr_obl o
      LEFT JOIN unnest(plan_ids, plan_on) AS u (contract_id, on_date) ON u.contract_id = o.contract_id
     WHERE o.method IN ('percent_complete', 'on_payment') AND coalesce(u.on_date, o.replan_from) IS NOT NULL;
    IF alloc_ids IS NOT NULL THEN
        -- (the arrays by subscript, as in rr_internal.bill: Citus 13.2.2 deparsed an unnest of
        -- three arrays with column names so that its third column read the first)
        DELETE FROM rr.obligation_allocation a
         USING generate_series(1, cardinality(alloc_ids)) AS i
         WHERE a.tenant_id = t AND a.contract_id = alloc_ids[i] AND a.obligation_no = alloc_nos[i]
           AND a.allocated_on > alloc_on[i];
        INSERT INTO rr.obligation_allocation (tenant_id, contract_id, obligation_no, allocated_on, allocated_amount,
                                              service)
        SELECT t, alloc_ids[i], alloc_nos[i], alloc_on[i], alloc_amounts[i], alloc_services[i]
          FROM generate_series(1, cardinality(alloc_ids)) AS i
         ORDER BY alloc_ids[i], alloc_nos[i]
        ON CONFLICT ON CONSTRAINT obligation_allocation_pkey DO UPDATE
           SET allocated_amount = excluded.allocated_amount, service = excluded.service;
    END IF;
    SELECT count(*) INTO n FROM rr_obl;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.create_obligations(text, bigint[], date[], date[]) IS 'internal: the performance obligations of newly activated contracts with an end date: fixed charges planned for the term, SSP per obligation, allocation of the transaction price by relative SSP (rr.allocate) or the residual method, and the allocation schedules; a contract planned before is re-planned from its date in replan_from (what was scheduled before it stays; posted or not), the lines it replaces kept in rr.superseded_schedule_line and the new ones planned on the date the change takes effect (planned_on, else the replan_from date, else the activation date); refuses a missing or zero SSP where allocation needs one, two residual obligations, and a negative residual';

-- rr_internal.create_obligations called as a statement of its own with its arguments as
-- constants: on a single node the same call; on Citus, where rr.distribute() delegates it
-- to the worker of its tenant (as rr_internal.bill: rr_internal.run_bill), the planning
-- runs there, in the caller's transaction, on the tenant's co-located shards.
CREATE FUNCTION rr_internal.run_create_obligations(tenant_id text, contract_ids bigint[], replan_from date[] DEFAULT NULL,
                                                    planned_on date[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
    audit text[];
BEGIN
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    EXECUTE format('SELECT o.n FROM rr_internal.create_obligations(%L::text, %L::bigint[], %L::date[], %L::date[]) AS o (n)',
                   run_create_obligations.tenant_id, run_create_obligations.contract_ids,
                   run_create_obligations.replan_from, run_create_obligations.planned_on)
       INTO n;
    PERFORM rr_internal.forward_audit_roles(audit);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.run_create_obligations(text, bigint[], date[], date[]) IS 'internal: rr_internal.create_obligations as a statement of its own with constant arguments, which Citus delegates to the tenant''s worker once rr.distribute() has distributed the function';
REVOKE ALL ON FUNCTION rr_internal.run_create_obligations(text, bigint[], date[], date[]) FROM PUBLIC;

-- A revenue schedule over the tenant's fiscal periods the service touches (rr.spread_periods),
-- which the caller has made sure cover the service (rr_internal.ensure_fiscal_calendar; an
-- empty calendar is an error of rr.spread_periods, never a schedule that silently drops the
-- amount); strict, so that a statement gives it the service only for the schedules on the
-- fiscal calendar (a NULL service: no call) and spreads the others with rr.spread.
CREATE FUNCTION rr_internal.fiscal_spread(tenant_id text, total numeric, service daterange, method text,
                                          minor_units integer)
RETURNS TABLE (period pg_catalog.daterange, amount numeric)
LANGUAGE sql STABLE STRICT ROWS 13
BEGIN ATOMIC
    SELECT s.period, s.amount
      FROM rr.spread_periods(fiscal_spread.total, fiscal_spread.service,
                             coalesce((SELECT pg_catalog.array_agg(pg_catalog.daterange(f.period_start, f.period_end)
                                                                   ORDER BY f.period_start)
                                         FROM rr.fiscal_period f
                                        WHERE f.tenant_id OPERATOR(pg_catalog.=) fiscal_spread.tenant_id
                                          AND f.period_start OPERATOR(pg_catalog.<) pg_catalog.upper(fiscal_spread.service)
                                          AND f.period_end OPERATOR(pg_catalog.>) pg_catalog.lower(fiscal_spread.service)),
                                      '{}'::pg_catalog.daterange[]),
                             fiscal_spread.method, fiscal_spread.minor_units) s;
END;
COMMENT ON FUNCTION rr_internal.fiscal_spread(text, numeric, daterange, text, integer) IS 'internal: a revenue schedule spread over the tenant''s fiscal periods the service touches (rr.spread_periods); strict, no rows for a NULL service';
REVOKE ALL ON FUNCTION rr_internal.fiscal_spread(text, numeric, daterange, text, integer) FROM PUBLIC;

-- Makes a tenant's fiscal calendar cover [from_date, to_date): calendar months after its last
-- period and before its first one (as posting does), so that a schedule on the fiscal
-- calendar always finds periods covering its service.
CREATE FUNCTION rr_internal.ensure_fiscal_calendar(tenant_id text, from_date date, to_date date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF from_date IS NULL OR to_date IS NULL OR to_date <= from_date THEN
        RETURN;
    END IF;
    PERFORM rr_internal.ensure_fiscal_periods(tenant_id, from_date, to_date - 1);
    PERFORM rr_internal.ensure_fiscal_periods_from(tenant_id, from_date);
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_fiscal_calendar(text, date, date) IS 'internal: extends a tenant''s fiscal calendar with calendar months so that it covers [from_date, to_date), forwards from its last period and backwards from its first';
REVOKE ALL ON FUNCTION rr_internal.ensure_fiscal_calendar(text, date, date) FROM PUBLIC;

-- The allocation schedule of obligations (a temp table named by the caller, with the columns
-- of rr_obl: sched_amount and sched_contract over sched_service are what is left to
-- schedule; obligations marked unchanged are skipped), written into the caller's work table
-- `target` (contract_id, obligation_no, period, amount, contract_amount): immediate and
-- on_date on the start of what is left; equal, equal_prorate and daily through rr.spread on
-- the deferral code's grain from 2000-01-01, or through rr.spread_periods on the tenant's
-- fiscal periods when the deferral code's calendar is fiscal; percent_complete and
-- on_payment get their lines later, from progress and cash.
CREATE FUNCTION rr_internal.write_allocation_schedules(obligations regclass, target regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    lo date;
    hi date;
    n bigint;
BEGIN
    -- the fiscal periods that schedules on the fiscal calendar need
    EXECUTE format($q$
        SELECT min(lower(o.sched_service)), max(upper(o.sched_service))
          FROM %s o
          JOIN rr.item it ON it.tenant_id = $1 AND it.code = o.item
          JOIN rr.deferral_code dc ON dc.tenant_id = $1 AND dc.code = it.deferral_code
         WHERE dc.calendar = 'fiscal' AND o.method IN ('equal', 'equal_prorate', 'daily')
           AND NOT isempty(o.sched_service) AND NOT coalesce(o.unchanged, false)$q$, obligations)
      INTO lo, hi USING t;
    PERFORM rr_internal.ensure_fiscal_calendar(t, lo, hi);
    EXECUTE format($q$
        INSERT INTO %s (contract_id, obligation_no, period, amount, contract_amount)
        SELECT o.contract_id, o.obligation_no, s.period, s.amount, s.contract_amount
          FROM %s o
          -- the days a pause covers accrue nothing (docs/trials-pauses-coupons.md): what is
          -- left is split over the pieces of the service outside the contract's pauses by
          -- their days (rr.allocate, exact), and each piece spread, on the fiscal calendar
          -- when the deferral code says so; one piece, the whole service, when the contract
          -- has no pause in it (or all of it is paused)
          CROSS JOIN LATERAL (
              SELECT coalesce(array_agg(x.piece ORDER BY lower(x.piece)), ARRAY[o.sched_service]) AS pieces,
                     coalesce(array_agg((upper(x.piece) - lower(x.piece))::numeric ORDER BY lower(x.piece)),
                              ARRAY[1::numeric]) AS days
                FROM unnest(datemultirange(o.sched_service)
                            - coalesce((SELECT range_agg(p.paused) FROM rr.contract_pause p
                                         WHERE p.tenant_id = $1
                                           AND p.contract_id = o.contract_id), '{}'::datemultirange)) AS x (piece)) pc
          CROSS JOIN LATERAL unnest(pc.pieces, rr.allocate(o.sched_amount, pc.days, o.mu),
                                    rr.allocate(o.sched_contract, pc.days, o.mu)) AS q (piece, amount, contract_amount)
          CROSS JOIN LATERAL (SELECT coalesce((SELECT dc.calendar = 'fiscal'
                                                 FROM rr.item it
                                                 JOIN rr.deferral_code dc ON dc.tenant_id = $1 AND dc.code = it.deferral_code
                                                WHERE it.tenant_id = $1 AND it.code = o.item), false) AS on_fiscal) f
          -- spread over the grain's periods (rr.spread, C) or, on the fiscal calendar, over the
          -- tenant's fiscal periods (rr_internal.fiscal_spread, which reads them): both strict,
          -- each given the piece only for its own obligations, so the other is not called (a
          -- function that reads tables, called per piece, is a routed query per call on Citus:
          -- docs/scale-out.md, "Speed"); the allocated amount and the contract amount side by side
          LEFT JOIN LATERAL ROWS FROM (rr.spread(q.amount, CASE WHEN NOT f.on_fiscal THEN q.piece END, o.method, o.grain,
                                                 '2000-01-01', o.mu),
                                       rr.spread(q.contract_amount, CASE WHEN NOT f.on_fiscal THEN q.piece END, o.method,
                                                 o.grain, '2000-01-01', o.mu))
                    AS s1(period, amount, period2, contract_amount) ON true
          LEFT JOIN LATERAL ROWS FROM (rr_internal.fiscal_spread($1, q.amount, CASE WHEN f.on_fiscal THEN q.piece END,
                                                                 o.method, o.mu),
                                       rr_internal.fiscal_spread($1, q.contract_amount,
                                                                 CASE WHEN f.on_fiscal THEN q.piece END, o.method, o.mu))
                    AS s2(period, amount, period2, contract_amount) ON true
          CROSS JOIN LATERAL (SELECT coalesce(s1.period, s2.period) AS period, coalesce(s1.amount, s2.amount) AS amount,
                                     coalesce(s1.contract_amount, s2.contract_amount) AS contract_amount) s
         WHERE o.method IN ('equal', 'equal_prorate', 'daily') AND NOT isempty(o.sched_service)
           AND NOT coalesce(o.unchanged, false) AND s.period IS NOT NULL
        UNION ALL
        -- one-off obligations, and what is left once the whole service has been scheduled
        SELECT o.contract_id, o.obligation_no, daterange(d.on_date, d.on_date + 1), o.sched_amount, o.sched_contract
          FROM %s o
          CROSS JOIN LATERAL (SELECT CASE WHEN isempty(o.sched_service) THEN upper(o.service) - 1
                                          ELSE lower(o.sched_service) END AS on_date) d
         WHERE NOT isempty(o.service) AND (o.sched_amount <> 0 OR o.sched_contract <> 0 OR o.sched_service = o.service)
           AND NOT coalesce(o.unchanged, false)
           AND (o.method IN ('immediate', 'on_date')
                OR (o.method IN ('equal', 'equal_prorate', 'daily') AND isempty(o.sched_service)))$q$,
        target, obligations, obligations) USING t;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.write_allocation_schedules(regclass, regclass) IS 'internal: writes the allocation schedule of the obligations listed in a work table (what is left to schedule over what is left of the service: immediate and on_date on its start; equal, equal_prorate and daily via rr.spread, or rr.spread_periods on the fiscal calendar when the deferral code says so, allocated amount and contract amount side by side, nothing on the days the contract is paused) into another work table';

-- Bundling, SSP override and the residual flag of a contract line, before activation.
CREATE FUNCTION rr.set_obligation(contract_id bigint, line_no integer, obligation_no integer DEFAULT NULL,
                                  standalone_price numeric DEFAULT NULL, ssp_is_residual boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'set the obligations of',
                                            ARRAY['draft', 'pending_activation']);
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
BEGIN
    IF NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = c.tenant_id AND l.contract_id = c.contract_id
                                                     AND l.line_no = set_obligation.line_no) THEN
        RAISE EXCEPTION 'contract % has no line %', c.contract_id, set_obligation.line_no USING ERRCODE = '22023';
    ELSIF set_obligation.standalone_price <= 0 THEN
        RAISE EXCEPTION 'standalone selling price % is not positive', set_obligation.standalone_price
            USING ERRCODE = '22023', HINT = 'Give the SSP of the line for the whole term, or NULL to use the contract item''s.';
    ELSIF set_obligation.obligation_no <= 0 THEN
        RAISE EXCEPTION 'obligation number % is not positive', set_obligation.obligation_no USING ERRCODE = '22023';
    END IF;
    INSERT INTO rr.obligation_setting (tenant_id, contract_id, line_no, obligation_no, standalone_price, ssp_is_residual)
    VALUES (c.tenant_id, c.contract_id, set_obligation.line_no, set_obligation.obligation_no,
            set_obligation.standalone_price, set_obligation.ssp_is_residual)
    ON CONFLICT ON CONSTRAINT obligation_setting_pkey DO UPDATE
       SET obligation_no = excluded.obligation_no, standalone_price = excluded.standalone_price,
           ssp_is_residual = excluded.ssp_is_residual;
    PERFORM rr_internal.log_contract_event(c.tenant_id, c.contract_id, 'set_obligation', NULL,
                                  format('line %s: obligation %s, SSP %s, residual %s', set_obligation.line_no,
                                         coalesce(set_obligation.obligation_no, set_obligation.line_no),
                                         coalesce(set_obligation.standalone_price::text, 'from the item'),
                                         coalesce(set_obligation.ssp_is_residual::text, 'from the item')),
                                  before);
END
$$;
COMMENT ON FUNCTION rr.set_obligation(bigint, integer, integer, numeric, boolean) IS 'before activation: puts a contract line into an obligation (lines sharing a number are bundled), overrides its SSP with a total for the term, or marks it residual; logged in the contract''s events';
