-- The billing run (docs/billing.md): rr.run_billing, rr.bill_contract and
-- rr.preview_billing share rr_internal.bill, which inserts what is due
-- (rr_internal.due_charges, src/sql/50_billing/40_due_charges.sql) and what usage rating
-- charges (rr_internal.usage_charges, 60_usage) that does not exist yet (a unique key on
-- contract line version, kind, service period and adjustment sequence is the final
-- guard), turns the charges it inserted into one draft invoice per contract in three
-- set-based statements, adds the tax lines (50_billing/50_tax.sql) and writes the revenue
-- schedules of what it invoiced (rr_internal.schedule_billed_lines, 80_revenue).

-- Insert the due charges that do not exist yet and invoice them: one draft invoice per
-- contract.  Shared by rr.run_billing, rr.bill_contract and rr.preview_billing.
CREATE FUNCTION rr_internal.bill(tenant_id text, as_of date, only_contract bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint;
    locked bigint[];
    -- the least and the greatest of them
    first_locked bigint;
    last_locked bigint;
    charges bigint;
    lines bigint;
    first_charge bigint;
    last_charge bigint;
    first_invoice bigint;
    last_invoice bigint;
    orphan record;
    customers text[];
    items text[];
    metered boolean;
    conflict text;
    tu_contracts bigint[] := '{}';
    tu_commitments integer[] := '{}';
    tu_periods daterange[] := '{}';
BEGIN
    -- statistics that describe the tables, and for a batch the tenant's rows in them
    -- (rr_internal.refresh_statistics)
    PERFORM rr_internal.refresh_statistics('{rr.contract,rr.contract_line,rr.contract_billing_state,rr.charge,'
                                           'rr.invoice,rr.invoice_line,rr.performance_obligation,'
                                           'rr.revenue_schedule_line}',
                                           CASE WHEN bill.only_contract IS NULL THEN bill.tenant_id END);
    -- Lock the contracts first, in one statement and in contract_id order, and only then
    -- work out what is due, in the next statement (a new snapshot): so the run bills the
    -- terms committed when it got its locks.  FOR NO KEY UPDATE conflicts with the FOR
    -- UPDATE of the lifecycle functions (rr_internal.contract_for_action) and with other
    -- runs, so runs and changes of a contract take turns; plain readers and the KEY SHARE
    -- locks of foreign keys (invoices, charges) are not blocked.  A change committed while
    -- the run waited is billed under its new terms; a change that comes later waits for the
    -- run.  Every run locks in the same order and a change locks one contract, so they
    -- cannot deadlock.  Only the locked contracts are billed: one activated after the lock
    -- waits for the next run.
    SELECT coalesce(array_agg(k.contract_id), '{}'), min(k.contract_id), max(k.contract_id)
      INTO locked, first_locked, last_locked
      FROM (SELECT k.contract_id FROM rr.contract k
             WHERE k.tenant_id = bill.tenant_id
               AND (bill.only_contract IS NULL OR k.contract_id = bill.only_contract)
               -- an on-demand contract is billed only when asked (rr.bill_contract), until it
               -- is closed: then runs bill what it still owes (its deposit's release)
               AND (bill.only_contract IS NOT NULL OR k.billing_period <> 'on_demand'
                    OR k.status IN ('expired', 'terminated', 'completed'))
               AND k.activation_date IS NOT NULL
               AND k.status IN ('active', 'pending_upgrade', 'terminated', 'expired', 'completed')
             ORDER BY k.contract_id
               FOR NO KEY UPDATE) k;

    -- (started_at: the clock once the locks are held, not the transaction's start, so that
    -- of two runs of a contract the later one has the later time: rr.undo_last_billing)
    INSERT INTO rr.billing_run (tenant_id, as_of, contract_id, started_at)
    VALUES (bill.tenant_id, bill.as_of, bill.only_contract, clock_timestamp())
    RETURNING run_id INTO run;
    -- the work table the statement below stages its invoice lines in for their revenue
    -- schedules (rr_internal.schedule_billed_lines)
    PERFORM rr_internal.begin_billed_lines();
    -- usage is rated only in a tenant with metered or deposit contract items (rating reads
    -- every contract's billing terms to find its metered lines: a fixed cost per contract
    -- that a tenant without usage does not pay)
    metered := EXISTS (SELECT FROM rr.contract_item ci
                        WHERE ci.tenant_id = bill.tenant_id
                          AND (ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL
                               OR ci.billing_type = 'deposit'));

    -- the committed periods that ended, of the commitments of the contracts billed
    -- (rr_internal.true_up_periods, src/sql/50_billing/80_commitments.sql), read before the
    -- billing statement, which takes them as arrays: a function that reads tables, called per
    -- row of a statement over the tenant's tables, runs inside that statement's query on the
    -- shard on Citus, where reading tables is refused; here its statement reads no table
    SELECT coalesce(array_agg(c.contract_id), '{}'), coalesce(array_agg(c.commitment_no), '{}')
      INTO tu_contracts, tu_commitments
      FROM rr.contract_commitment c
     WHERE c.tenant_id = bill.tenant_id AND c.contract_id IN (SELECT unnest(locked));
    IF cardinality(tu_contracts) > 0 THEN
        SELECT coalesce(array_agg(x.contract_id), '{}'), coalesce(array_agg(x.commitment_no), '{}'),
               coalesce(array_agg(p.period), '{}')
          INTO tu_contracts, tu_commitments, tu_periods
          FROM unnest(tu_contracts, tu_commitments) AS x (contract_id, commitment_no)
         CROSS JOIN LATERAL rr_internal.true_up_periods(bill.tenant_id, x.contract_id, x.commitment_no, bill.as_of)
                            AS p (period);
    END IF;

    -- Runs of one contract cannot overlap (the lock above), and what is due never includes
    -- a charge that exists (rr_internal.due_charges reads what was billed), so the charges
    -- are inserted without ON CONFLICT (its speculative insertion cost a third of the
    -- insert): the charge key stays the last guard, as an error (below).
    BEGIN
    WITH due AS (
        -- what is due, of the contracts locked only (one filter for both readers, the charges
        -- and the states below: each hashed the 100,000 ids of a batch again; the true-ups
        -- are of the contracts locked already, tu_contracts)
        SELECT d.*
          FROM (SELECT f.contract_id, f.line_no, f.line_effective_from, f.kind, f.service_period, f.adjustment_seq,
                       f.quantity, f.unit_price, f.amount, f.due_date,
                       -- a correction of a discount names its discount
                       CASE WHEN f.kind = 'discount' AND f.adjustment_seq < 0
                            THEN jsonb_build_object('discount_id', f.discount_id) END AS detail,
                       f.terms_hash
                  FROM rr_internal.due_charges_planned(bill.tenant_id, bill.as_of, bill.only_contract) f
                 -- the setup fee of a line with milestones is billed by its milestones
                 WHERE f.kind <> 'setup'
                    OR NOT EXISTS (SELECT FROM rr.contract_milestone m
                                    WHERE m.tenant_id = bill.tenant_id AND m.contract_id = f.contract_id
                                      AND m.line_no = f.line_no)
                UNION ALL
                SELECT u.*, NULL::bigint FROM rr_internal.usage_charges(bill.tenant_id, bill.as_of, bill.only_contract) u
                 WHERE metered
                UNION ALL
                SELECT m.*, NULL::bigint FROM rr_internal.milestone_charges(bill.tenant_id, bill.as_of, bill.only_contract) m) d
         WHERE d.contract_id IN (SELECT unnest(locked))
    ), new_charge AS (
        INSERT INTO rr.charge (tenant_id, contract_id, line_no, line_effective_from, kind, service_period,
                               adjustment_seq, quantity, unit_price, amount, due_date, run_id, detail)
        SELECT bill.tenant_id, d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period,
               d.adjustment_seq, d.quantity, d.unit_price, d.amount, d.due_date, run, d.detail
          FROM (SELECT * FROM due
                UNION ALL
                -- the true-ups of minimum commitments (src/sql/50_billing/80_commitments.sql):
                -- for each committed period that ended, committed - spent when positive,
                -- spent being the charges of the committed lines whose service period starts
                -- in it, this run's included; on the commitment's true-up line, in the line
                -- version in force at the end of the period, adjustment_seq = commitment_no
                SELECT c.contract_id, c.true_up_line_no, lv.effective_from, 'true_up', p.period, c.commitment_no,
                       NULL::numeric, NULL::numeric, c.amount - s.spent, bill.as_of,
                       jsonb_build_object('commitment_no', c.commitment_no, 'committed', c.amount, 'spent', s.spent),
                       NULL::bigint
                  FROM rr.contract_commitment c
                 -- (the arrays by subscript: Citus 13.2.2 deparsed a three-array unnest with
                 -- column names so that its third column read the first)
                 JOIN (SELECT tu_contracts[i] AS contract_id, tu_commitments[i] AS commitment_no, tu_periods[i] AS period
                         FROM generate_series(1, cardinality(tu_contracts)) AS i) p
                   ON p.contract_id = c.contract_id AND p.commitment_no = c.commitment_no
                 CROSS JOIN LATERAL (
                        SELECT coalesce(sum(x.amount), 0) AS spent
                          FROM (SELECT ch.line_no, ch.kind, ch.service_period, ch.amount FROM rr.charge ch
                                 WHERE ch.tenant_id = bill.tenant_id AND ch.contract_id = c.contract_id
                                UNION ALL
                                SELECT due.line_no, due.kind, due.service_period, due.amount FROM due
                                 WHERE due.contract_id = c.contract_id) x
                         WHERE x.kind NOT IN ('true_up', 'deposit', 'drawdown', 'release', 'breakage')
                           AND (c.line_nos IS NULL OR x.line_no = ANY (c.line_nos))
                           AND p.period @> lower(x.service_period)) s
                 CROSS JOIN LATERAL (SELECT l.effective_from FROM rr.contract_line l
                                      WHERE l.tenant_id = bill.tenant_id AND l.contract_id = c.contract_id
                                        AND l.line_no = c.true_up_line_no AND l.effective_from < upper(p.period)
                                      ORDER BY l.effective_from DESC LIMIT 1) lv
                 WHERE c.tenant_id = bill.tenant_id
                   AND (bill.only_contract IS NULL OR c.contract_id = bill.only_contract)
                   AND s.spent < c.amount
                   AND NOT EXISTS (SELECT FROM rr.charge x
                                    WHERE x.tenant_id = bill.tenant_id AND x.contract_id = c.contract_id
                                      AND x.line_no = c.true_up_line_no AND x.kind = 'true_up'
                                      AND x.service_period = p.period AND x.adjustment_seq = c.commitment_no)) d
         ORDER BY d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq
        RETURNING *
    ), new_invoice AS (
        -- (the contracts, their line versions, billing states, one-offs and discounts
        -- joined to the charges by their keys and read only in the range of the ids locked
        -- (BETWEEN the least and the greatest): the contract's own key when one contract is
        -- billed, an index condition in a cached generic plan too (test/plans: on new tables
        -- the planner read every contract and line version of the tenant to bill one), and
        -- nearly every row in a batch.  Not by the array of the contracts locked: the
        -- planner estimates "= ANY (array)" element by element, which held 1.2 GB of the
        -- backend's memory to plan this statement for 1,000,000 contracts, and in a generic
        -- plan (a session's sixth run) kept it as a filter that compared each row with every
        -- id.  A batch is hashed because its due charges are estimated at the line versions
        -- (rr_internal.due_charges_planned's support function).  The invoices' contracts are
        -- joined to the charges and grouped, not a semi-join, whose estimate of a CTE's
        -- distinct contracts, 200, looked them up one at a time; bench/README.md)
        INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
        SELECT bill.tenant_id, run, k.contract_id, k.bill_to, k.currency, bill.as_of
          FROM new_charge n
          JOIN rr.contract k ON k.tenant_id = bill.tenant_id AND k.contract_id = n.contract_id
                             AND k.contract_id BETWEEN first_locked AND last_locked
         GROUP BY k.contract_id, k.bill_to, k.currency
         ORDER BY k.contract_id
        RETURNING invoice_id, contract_id, customer, currency, series, invoice_date
    ), new_draft AS (
        -- each draft's row of the drafts to post (rr.invoice_draft)
        INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
        SELECT bill.tenant_id, i.invoice_id, i.series, i.invoice_date FROM new_invoice i
    ), lines AS (
        -- the invoice lines, computed once for the two statements that write them: the
        -- invoice lines themselves and their staging for the revenue schedules (staged from
        -- these rows, not by joining the lines written back to the charges and invoices: on
        -- new tables the planner, guessing a few invoices, joined them once per invoice,
        -- 3,000,000 rows for 1,000 contracts; test/plans).  The invoices by a DISTINCT ON
        -- their contract, which they are already: it tells the planner that each charge
        -- has one invoice, where a join of two CTEs, without statistics, is estimated as if
        -- each had 200 distinct contracts (50,000,000 rows for 100,000 contracts, joined
        -- by sorting both sides and merging)
        SELECT i.invoice_id,
               row_number() OVER (PARTITION BY i.invoice_id
                                  ORDER BY n.line_no, lower(n.service_period), n.kind DESC, n.charge_id)::integer
                   AS invoice_line_no,
               n.kind, n.charge_id, n.contract_id, n.line_no, n.line_effective_from, n.adjustment_seq,
               l.contract_item, it.code AS item, n.service_period, n.quantity, n.unit_price, n.amount,
               CASE WHEN n.kind = 'discount' THEN dsc.account
                    -- deposits and what draws them down or releases them: the deposit liability
                    WHEN n.kind IN ('deposit', 'drawdown', 'release') THEN it.deferred_account
                    WHEN n.kind = 'breakage' THEN coalesce(ci.breakage_account, it.revenue_account)
                    -- usage is variable consideration, recognised as invoiced
                    WHEN n.kind = 'usage' OR dc.method = 'immediate' THEN it.revenue_account
                    ELSE it.deferred_account END AS credit_account,
               it.receivable_account, n.detail, i.currency
          FROM new_charge n
          JOIN (SELECT DISTINCT ON (ni.contract_id) ni.* FROM new_invoice ni) i ON i.contract_id = n.contract_id
          -- (a one-off charge has no contract line: its item is the one-off's)
          LEFT JOIN rr.contract_line l ON l.tenant_id = bill.tenant_id AND l.contract_id = n.contract_id
                                      AND l.contract_id BETWEEN first_locked AND last_locked
                                      AND l.line_no = n.line_no AND l.effective_from = n.line_effective_from
                                      AND n.kind <> 'one_off'
          LEFT JOIN rr.contract_item ci ON ci.tenant_id = bill.tenant_id AND ci.code = l.contract_item
          LEFT JOIN rr.one_off_charge oo ON n.kind = 'one_off' AND oo.tenant_id = bill.tenant_id
                                        AND oo.one_off_id = -n.line_no AND oo.contract_id = n.contract_id
                                        AND oo.contract_id BETWEEN first_locked AND last_locked
          -- (a left join, and the orphan test as a WHERE that keeps it one: an inner join on
          -- this CASE makes the planner guess a handful of rows and loop over the invoices
          -- for each, quadratic at 100,000 contracts once the tables have statistics)
          LEFT JOIN rr.item it ON it.tenant_id = bill.tenant_id
                         AND it.code = CASE n.kind WHEN 'setup' THEN ci.setup_item
                                                   WHEN 'milestone' THEN ci.setup_item
                                                   WHEN 'renewal' THEN ci.renewal_item
                                                   WHEN 'one_off' THEN oo.item
                                                   ELSE ci.recurring_item END
          LEFT JOIN rr.deferral_code dc ON dc.tenant_id = bill.tenant_id AND dc.code = it.deferral_code
          LEFT JOIN rr.discount dsc ON n.kind = 'discount' AND dsc.tenant_id = bill.tenant_id
                                   AND dsc.contract_id BETWEEN first_locked AND last_locked
                                   AND dsc.discount_id = coalesce((n.detail->>'discount_id')::bigint, n.adjustment_seq)
         -- a charge of a line version that does not exist gets no line (the check below)
         WHERE n.kind = 'one_off' OR l.contract_id IS NOT NULL
    ), new_line AS (
        INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, charge_id, contract_line_no,
                                     line_effective_from, contract_item, item, service_period, quantity,
                                     unit_price, amount, credit_account, receivable_account, detail)
        SELECT bill.tenant_id, x.invoice_id, x.invoice_line_no, x.kind, x.charge_id, x.line_no, x.line_effective_from,
               x.contract_item, x.item, x.service_period, x.quantity, x.unit_price, x.amount, x.credit_account,
               x.receivable_account, x.detail
          FROM lines x
        RETURNING item
    ), billed AS (
        -- the invoice lines to schedule, staged from this statement's own rows (not read
        -- back from the tables): the charge key, the invoice's date and currency, and the
        -- contract line as the obligation (rr_internal.schedule_billed_lines regroups and
        -- leaves out what it does not schedule)
        INSERT INTO rr_billed3 (invoice_id, invoice_line_no, contract_id, line_no, line_from, kind, adjustment_seq,
                                obligation_no, invoice_date, service_period, amount, contract_item, currency)
        SELECT x.invoice_id, x.invoice_line_no, x.contract_id, x.line_no, x.line_effective_from, x.kind, x.adjustment_seq,
               x.line_no, bill.as_of, x.service_period, x.amount, x.contract_item, x.currency
          FROM lines x
         WHERE x.kind NOT IN ('tax', 'deposit') AND x.amount <> 0
    ), settled_terms AS (
        -- what this run settles: for each contract with recurring charges due, everything due
        -- by as_of, under the billing terms whose fingerprint rr_internal.due_charges read in
        -- this statement's snapshot (rr.contract_billing_state; under unchanged terms a
        -- later date only moves it forward).  Every contract charged a recurring period or
        -- a discount gets a state, with no fingerprint (nothing settled) when none of its
        -- charges carries one (a discount or a correction alone): rr_internal.due_charges
        -- looks up the charges of the contracts with a state only.
        -- (the kinds tested per group, not filtered first: the planner, guessing a few rows
        -- of a CTE filtered by kind, sorted 300,000 rows of 100,000 contracts to group them)
        SELECT d.contract_id, max(d.terms_hash) AS terms_hash
          FROM due d
         GROUP BY d.contract_id
        HAVING bool_or(d.kind IN ('recurring', 'discount'))
    ), settled_new AS (
        -- a contract billed for the first time: its state, inserted; one billed before: its
        -- state, updated (both read in this statement's snapshot, so no contract is in both).
        -- Only billing runs write a contract's state, under its lock, so no other
        -- transaction can insert it in between: no ON CONFLICT, whose speculative insertion
        -- cost 5-7 us a contract (the key stays the last guard, as for the charges).  The
        -- states are read by key and the range of the ids locked (test/plans: one
        -- contract's, not every state of the tenant).  Inserted in the order of their key:
        -- the grouping above hands them out in its hash order, which sent each insert down
        -- the index to a random page to split; the insert of 1,000,000 states took 4.76 s
        -- in that order, 2.86 s sorted, its sort included (bench/README.md)
        INSERT INTO rr.contract_billing_state (tenant_id, contract_id, settled_to, terms_hash)
        SELECT bill.tenant_id, x.contract_id, bill.as_of, x.terms_hash
          FROM settled_terms x
         WHERE NOT EXISTS (SELECT FROM rr.contract_billing_state s
                            WHERE s.tenant_id = bill.tenant_id AND s.contract_id BETWEEN first_locked AND last_locked
                              AND s.contract_id = x.contract_id)
         ORDER BY x.contract_id
    ), settled_old AS (
        UPDATE rr.contract_billing_state s
           SET settled_to = CASE WHEN s.terms_hash = x.terms_hash THEN greatest(s.settled_to, bill.as_of)
                                 ELSE bill.as_of END,
               terms_hash = x.terms_hash
          FROM settled_terms x
         WHERE s.tenant_id = bill.tenant_id AND s.contract_id BETWEEN first_locked AND last_locked
           AND s.contract_id = x.contract_id
           AND x.terms_hash IS NOT NULL
    )
    -- (the customers and items by a hashed DISTINCT, then aggregated: array_agg(DISTINCT)
    -- sorts every row, 300,000 invoice lines for three items at 100,000 contracts)
    SELECT c.n, (SELECT count(*) FROM new_line),
           (SELECT array_agg(x.customer) FROM (SELECT DISTINCT i.customer FROM new_invoice i) x),
           (SELECT array_agg(x.item) FROM (SELECT DISTINCT l.item FROM new_line l) x),
           c.lo, c.hi, i.lo, i.hi
      INTO charges, lines, customers, items, first_charge, last_charge, first_invoice, last_invoice
      FROM (SELECT count(*) AS n, min(n.charge_id) AS lo, max(n.charge_id) AS hi FROM new_charge n) c,
           (SELECT min(i.invoice_id) AS lo, max(i.invoice_id) AS hi FROM new_invoice i) i;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS conflict = CONSTRAINT_NAME;
        -- Under REPEATABLE READ or SERIALIZABLE, a run whose snapshot is older than another
        -- run of the same contracts that committed while this one waited for their locks
        -- finds that run's charges due again: a serialization failure, to be retried
        -- (a run's statement inserts its charges and the states of the contracts billed for
        -- the first time, in no fixed order: either key may meet the other run's rows first)
        PERFORM rr_internal.concurrent_run_conflict(
                    conflict, 'charge_key',
                    'Another billing run of the same contracts committed after this transaction''s snapshot was taken.');
        PERFORM rr_internal.concurrent_run_conflict(
                    conflict, 'contract_billing_state_pkey',
                    'Another billing run of the same contracts committed after this transaction''s snapshot was taken.');
        RAISE;
    END;
    -- the ranges of the ids of the run's charges and invoices, by which it is read from here
    -- on (rr.billing_run: no index on run_id)
    IF charges > 0 THEN
        UPDATE rr.billing_run r
           SET charge_ids = int8range(first_charge, last_charge, '[]'),
               invoice_ids = CASE WHEN first_invoice IS NOT NULL THEN int8range(first_invoice, last_invoice, '[]') END
         WHERE r.tenant_id = bill.tenant_id AND r.run_id = run;
    END IF;
    -- what usage rating settled for the contracts billed (rr.usage_rating_state), when it
    -- rated (its work tables are this run's only then)
    IF metered THEN
        PERFORM rr_internal.settle_usage(bill.tenant_id, locked);
    END IF;
    -- the customers and items the documents name, locked and checked once for the run (the
    -- writer's half of a key: rr_internal.lock_catalog)
    PERFORM rr_internal.lock_catalog(bill.tenant_id, 'customer', customers);
    PERFORM rr_internal.lock_catalog(bill.tenant_id, 'item', items);

    -- the charges' contract line versions, checked once for the run instead of by a foreign
    -- key per charge: the invoice lines above join each new charge to its line version, so
    -- a charge without one has no invoice line, and only then are the run's charges looked
    -- up (the run is the row written above)
    IF lines < charges THEN
        SELECT ch.contract_id, ch.line_no, ch.line_effective_from INTO orphan
          FROM rr.charge ch
         WHERE ch.tenant_id = bill.tenant_id AND ch.charge_id >= first_charge AND ch.charge_id <= last_charge
           AND ch.run_id = run
           AND ch.kind <> 'one_off'
           AND NOT EXISTS (SELECT FROM rr.contract_line l
                            WHERE l.tenant_id = ch.tenant_id AND l.contract_id = ch.contract_id
                              AND l.line_no = ch.line_no AND l.effective_from = ch.line_effective_from)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'contract line % version % of contract % does not exist',
                            orphan.line_no, orphan.line_effective_from, orphan.contract_id
                USING ERRCODE = '23503',
                      DETAIL = 'Every charge belongs to a version of a contract line in rr.contract_line.',
                      HINT = 'Charge only the lines of the contract, as rr.due_charges lists them.';
        END IF;
    END IF;

    PERFORM rr_internal.add_tax_lines(bill.tenant_id, run);
    PERFORM rr_internal.schedule_billed_lines(bill.tenant_id);
    RETURN run;
END
$$;
COMMENT ON FUNCTION rr_internal.bill(text, date, bigint) IS 'internal: one billing run: inserts the due charges not billed yet and one draft invoice per contract for them; returns the run id';

-- rr_internal.bill called as a statement of its own with its arguments as constants: on a
-- single node the same call; on Citus, where rr.distribute() makes it a function
-- delegated to the worker of its tenant (create_distributed_function by tenant_id, forced
-- delegation: docs/scale-out.md), the run then executes there, in the caller's
-- transaction, on the tenant's co-located shards.  (Citus delegates a call only when it is
-- a function in FROM with constant arguments, not a PL/pgSQL expression.)
CREATE FUNCTION rr_internal.run_bill(tenant_id text, as_of date, only_contract bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint;
    audit text[];
BEGIN
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    EXECUTE format('SELECT b.run FROM rr_internal.bill(%L::text, %L::date, %L::bigint) AS b (run)',
                   run_bill.tenant_id, run_bill.as_of, run_bill.only_contract)
       INTO run;
    PERFORM rr_internal.forward_audit_roles(audit);
    RETURN run;
END
$$;
COMMENT ON FUNCTION rr_internal.run_bill(text, date, bigint) IS 'internal: rr_internal.bill as a statement of its own with constant arguments, which Citus delegates to the tenant''s worker once rr.distribute() has distributed the function';
REVOKE ALL ON FUNCTION rr_internal.run_bill(text, date, bigint) FROM PUBLIC;

-- What a run created, as rows (its invoices by the range of their ids it records).
-- The invoices and their lines in that range read in one pass each and grouped together by
-- invoice (a line's group without the run's invoice is another run's, and left out): not a
-- lookup of each invoice's lines, which took 8.2-8.3 s of a run of 1,000,000 contracts
-- against 4.6-4.7 s this way (the same at 100,000: 0.6-0.7 s), and not a grouping of the
-- lines joined to the invoices, which a plan for an underestimate of the invoices ran once
-- per invoice (test/plans); grouped, both inputs are read once whatever the statistics.
CREATE FUNCTION rr_internal.billing_run_invoices(tenant_id text, run bigint)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT x.invoice_id, max(x.contract_id), max(x.customer), max(x.currency), count(x.line_no),
           coalesce(sum(x.amount), 0)
      FROM (SELECT i.invoice_id, i.contract_id, i.customer, i.currency, NULL::integer AS line_no, NULL::numeric AS amount
              FROM rr.invoice i
             WHERE i.tenant_id = billing_run_invoices.tenant_id AND i.run_id = billing_run_invoices.run
               AND i.invoice_id >= (SELECT lower(r.invoice_ids) FROM rr.billing_run r
                                     WHERE r.tenant_id = billing_run_invoices.tenant_id AND r.run_id = billing_run_invoices.run)
               AND i.invoice_id < (SELECT upper(r.invoice_ids) FROM rr.billing_run r
                                    WHERE r.tenant_id = billing_run_invoices.tenant_id AND r.run_id = billing_run_invoices.run)
            UNION ALL
            SELECT l.invoice_id, NULL, NULL, NULL, l.line_no, l.amount
              FROM rr.invoice_line l
             WHERE l.tenant_id = billing_run_invoices.tenant_id
               AND l.invoice_id >= (SELECT lower(r.invoice_ids) FROM rr.billing_run r
                                     WHERE r.tenant_id = billing_run_invoices.tenant_id AND r.run_id = billing_run_invoices.run)
               AND l.invoice_id < (SELECT upper(r.invoice_ids) FROM rr.billing_run r
                                    WHERE r.tenant_id = billing_run_invoices.tenant_id AND r.run_id = billing_run_invoices.run)) x
     GROUP BY x.invoice_id
    -- (only the run's invoices: a group of lines alone has no contract)
    HAVING count(x.contract_id) > 0
     ORDER BY x.invoice_id;
END;
COMMENT ON FUNCTION rr_internal.billing_run_invoices(text, bigint) IS 'internal: the invoices a billing run created, with their line count and total';

CREATE FUNCTION rr.run_billing(as_of date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    run := rr_internal.run_bill(t, as_of, NULL);
    RETURN QUERY SELECT * FROM rr_internal.billing_run_invoices(t, run);
END
$$;
COMMENT ON FUNCTION rr.run_billing(date) IS 'bills everything due by as_of for every contract of the current tenant, in set-based statements; idempotent and safe to run concurrently; returns the draft invoices it created';

-- Refuse on-demand billing of a contract that cannot be billed.
CREATE FUNCTION rr_internal.check_billable(tenant_id text, contract_id bigint, as_of date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO c FROM rr.contract k WHERE k.tenant_id = check_billable.tenant_id AND k.contract_id = check_billable.contract_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % does not exist', contract_id
            USING ERRCODE = 'P0002', HINT = 'Contract ids are per tenant; check rr.tenant and the contract id.';
    ELSIF c.status NOT IN ('active', 'pending_upgrade') THEN
        RAISE EXCEPTION 'cannot bill contract %: its status is "%"', c.contract_id, c.status
            USING ERRCODE = '55000',
                  HINT = CASE WHEN c.status IN ('draft', 'pending_activation')
                              THEN 'Activate the contract first.'
                              ELSE 'Charges still due on a closed contract are billed by rr.run_billing.' END;
    ELSIF as_of < c.start_date THEN
        RAISE EXCEPTION 'billing date % is before the start of contract %', as_of, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract starts on %s.', c.start_date);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_billable(text, bigint, date) IS 'internal: refuses on-demand billing of an unknown, draft, pending or closed contract, or before its start';

CREATE FUNCTION rr.bill_contract(id bigint, as_of date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, contract_id bigint, customer text, currency char(3), lines bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
BEGIN
    PERFORM rr_internal.check_billable(t, id, as_of);
    run := rr_internal.run_bill(t, as_of, id);
    RETURN QUERY SELECT * FROM rr_internal.billing_run_invoices(t, run);
END
$$;
COMMENT ON FUNCTION rr.bill_contract(bigint, date) IS 'bills one active contract on demand: everything due by as_of that is not billed yet; returns the draft invoice it created (none if nothing was due)';

-- Preview: the same code path, rolled back.
CREATE FUNCTION rr.preview_billing(as_of date DEFAULT current_date, only_contract bigint DEFAULT NULL)
RETURNS TABLE (contract_id bigint, customer text, line_no integer, kind text, contract_item text,
               service_period daterange, quantity numeric, unit_price numeric, amount numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    run bigint;
    lo bigint;
    hi bigint;
BEGIN
    -- one contract is checked as rr.bill_contract checks it, unless it is closed
    -- (terminated, expired, completed): its preview shows what billing runs still bill it
    -- (its credits, its deposit's release), as rr.run_billing would
    IF only_contract IS NOT NULL
       AND coalesce((SELECT k.status FROM rr.contract k WHERE k.tenant_id = t AND k.contract_id = only_contract)
                    NOT IN ('terminated', 'expired', 'completed'), true) THEN
        PERFORM rr_internal.check_billable(t, only_contract, as_of);
    ELSIF as_of IS NULL THEN
        RAISE EXCEPTION 'billing date must not be NULL' USING ERRCODE = '22004';
    END IF;
    BEGIN
        run := rr_internal.run_bill(t, as_of, only_contract);
        -- The rows go straight to the function's result, a tuplestore that spills to disk
        -- beyond work_mem and belongs to the function, not to this block, so it outlives
        -- the rollback: the preview keeps no copy of the lines in memory (it used to build
        -- one jsonb value of them all).
        SELECT lower(r.invoice_ids), upper(r.invoice_ids) INTO lo, hi
          FROM rr.billing_run r WHERE r.tenant_id = t AND r.run_id = run;
        RETURN QUERY
        SELECT i.contract_id, i.customer, l.line_no, l.kind, l.contract_item, l.service_period, l.quantity,
               l.unit_price, l.amount
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = i.invoice_id
         WHERE i.tenant_id = t AND i.invoice_id >= lo AND i.invoice_id < hi AND i.run_id = run
         ORDER BY i.contract_id, l.line_no;
        RAISE EXCEPTION USING ERRCODE = 'RRPVW', MESSAGE = 'preview rollback';
    EXCEPTION WHEN SQLSTATE 'RRPVW' THEN
        NULL;   -- everything the run wrote is rolled back with the block
    END;
END
$$;
COMMENT ON FUNCTION rr.preview_billing(date, bigint) IS 'what rr.run_billing (or rr.bill_contract, with only_contract) would invoice by as_of: the same code path, run in a subtransaction that is rolled back, leaving nothing behind';
