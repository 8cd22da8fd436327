-- What is due: one set-returning SQL function, rr.due_charges, computes it from the
-- contracts, their line versions and the calendar core.  The billing run
-- (src/sql/85_workflows/20_billing_run.sql) inserts the due charges that do not exist yet,
-- with the usage charges that rating adds, and invoices them.

-- What a line version's billing period comes to now, from what its days come to under the
-- version's terms (amount) and what is charged for it (billed; NULL when nothing is): for
-- the prepaid period a termination cuts short (is_cut), the contract's refund policy
-- decides: none keeps what was billed, full credits it all, prorated credits the days after
-- the end (amount is then those days' amount).  (A standard body, inlined: shared by
-- rr_internal.due_charges' pass over the periods and its discounts.)
CREATE FUNCTION rr_internal.period_target(is_cut boolean, billing_type text, refund_policy text, amount numeric,
                                          billed numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN is_cut AND billing_type = 'prepaid' AND refund_policy = 'full' THEN 0
            WHEN is_cut AND billing_type = 'prepaid' AND refund_policy = 'none' THEN coalesce(billed, amount)
            ELSE amount END;
COMMENT ON FUNCTION rr_internal.period_target(boolean, text, text, numeric, numeric) IS 'internal: what a line version''s billing period comes to now: amount, or for the prepaid period a termination cuts short (is_cut) 0 under refund policy full and what was billed (billed, else amount) under policy none';
REVOKE ALL ON FUNCTION rr_internal.period_target(boolean, text, text, numeric, numeric) FROM PUBLIC;

-- Everything due by as_of for the tenant's contracts (or one of them), charged or not yet.
-- What is already charged is returned as it is; what is due and not charged yet, as new
-- charges; and where a change dated inside a charged period (a termination, a new line
-- version) makes the charged amount of a line version and billing period differ from what
-- its terms now come to, a correction: the difference, under the next adjustment sequence
-- of the charge key, for the days it concerns (docs/billing.md, "Changes inside billed
-- periods").  For every contract of the tenant when all_contracts, else for only_contract
-- (so that a statement naming a constant for all_contracts plans only the filter it needs:
-- rr_internal.due_charges_planned).  What is charged already is returned only when
-- with_charged: the billing run asks for what is new alone, so that it does not read back
-- (and try to insert again) every charge of the contracts' history at each run.
CREATE FUNCTION rr_internal.due_charges(tenant_id text, as_of date, only_contract bigint, all_contracts boolean,
                                        with_charged boolean)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date, discount_id bigint, terms_hash bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH c AS (
        -- (first_end: the end of the first term, before any renewal; the setup fee and the
        -- renewal fee collected on activation are for that term)
        -- (what earlier runs settled (rr.contract_billing_state), and the part of the
        -- fingerprint of the billing terms that is not the line versions': the contract's
        -- terms, its renewals and discounts, the tenant's contract items.
        -- A discount limited to the first periods ranks periods from the line's first one,
        -- and an amount off the whole contract is split over every line billed in a
        -- contract period, whatever their grids: a contract with either is never settled.)
        SELECT c.*, coalesce(lh.lines_hash, 0) AS lines_hash, coalesce(r.first_previous_end, c.end_date) AS first_end,
               st.settled_to AS state_settled_to, st.terms_hash AS state_hash, d.h IS NOT NULL AS has_discounts,
               -- (a contract without a state has no recurring or discount charge: the run
               -- that charges one writes the state in the same statement, and undoing it
               -- keeps the row; its line versions' charges are not looked up)
               st.contract_id IS NOT NULL AS has_state,
               CASE WHEN NOT coalesce(d.coupled, false)
                    THEN pg_catalog.hash_record_extended(
                             ROW(c.status, c.currency, c.alignment, c.end_date, c.activation_date, c.contract_every,
                                 c.bill_from, c.bill_to, c.mu, c.termination_date, c.refund_policy, c.setup_date), 0)
                         # coalesce(r.h, 0) # coalesce(d.h, 0)
                         # coalesce((SELECT pg_catalog.bit_xor(pg_catalog.hashtextextended(ci::text, 4))
                                       FROM rr.contract_item ci WHERE ci.tenant_id = due_charges.tenant_id), 0)
               END AS terms_part
          FROM rr.contract_billing_terms c
          -- (each grouped by contract for the tenant's batch, for only_contract when one:
          -- joined by hash, not looked up per contract, which took 150 ms of the 700 of
          -- 20,000 contracts)
          LEFT JOIN (SELECT r.contract_id, min(r.previous_end) FILTER (WHERE r.renewal_no = 1) AS first_previous_end,
                            -- (the terms a renewal sets, not its audit columns: the event
                            -- id, drawn from a sequence, differs between nodes and copies
                            -- of a tenant)
                            pg_catalog.bit_xor(pg_catalog.hash_record_extended(
                                ROW(r.renewal_no, r.previous_end, r.new_end), 3)) AS h
                       FROM rr.contract_renewal r
                      WHERE r.tenant_id = due_charges.tenant_id
                        AND (due_charges.all_contracts OR r.contract_id = due_charges.only_contract)
                      GROUP BY r.contract_id) r ON r.contract_id = c.contract_id
          LEFT JOIN (SELECT d.contract_id, pg_catalog.bit_xor(pg_catalog.hashtextextended(d::text, 2)) AS h,
                            pg_catalog.bool_or(d.first_periods IS NOT NULL
                                               OR (d.line_no IS NULL AND d.kind = 'amount')) AS coupled
                       FROM rr.discount d
                      WHERE d.tenant_id = due_charges.tenant_id
                        AND (due_charges.all_contracts OR d.contract_id = due_charges.only_contract)
                      GROUP BY d.contract_id) d ON d.contract_id = c.contract_id
          LEFT JOIN rr.contract_billing_state st ON st.tenant_id = due_charges.tenant_id AND st.contract_id = c.contract_id
          -- the line versions' part of the fingerprint (grouped here, not a window over the
          -- wide rows of v)
          LEFT JOIN (SELECT l.contract_id,
                            pg_catalog.bit_xor(pg_catalog.hash_record_extended(
                                ROW(l.line_no, l.effective_from, l.contract_item, l.quantity, l.setup_price,
                                    l.renewal_price, l.recurring_price, l.price_model::text, l.billing_period,
                                    l.is_removed), 1)) AS lines_hash
                       FROM rr.contract_line l
                      WHERE l.tenant_id = due_charges.tenant_id
                        AND (due_charges.all_contracts OR l.contract_id = due_charges.only_contract)
                      GROUP BY l.contract_id) lh ON lh.contract_id = c.contract_id
         WHERE c.tenant_id = due_charges.tenant_id AND c.is_billed
           AND (due_charges.all_contracts OR c.contract_id = due_charges.only_contract)
    ), v AS (
        SELECT l.*, c.currency, c.alignment, c.end_date, c.first_end, c.activation_date, c.bill_from, c.bill_to, c.mu,
               c.contract_every, c.termination_date, c.refund_policy, c.setup_date, c.state_settled_to, c.state_hash,
               c.has_discounts, c.has_state,
               -- the fingerprint of the contract's billing terms (rr.contract_billing_state)
               c.terms_part # c.lines_hash AS terms_hash,
               CASE WHEN c.alignment = 'anniversary' THEN c.bill_from
                    WHEN extract(month FROM c.contract_every) + extract(year FROM c.contract_every) * 12 > 0
                        THEN date '2000-01-01' ELSE date '2000-01-03' END AS contract_anchor,
               ci.billing_type, ci.prorate_setup, ci.collect_renewal_on_activation, ci.is_refundable,
               ci.deposit_amount, ci.setup_item, ci.renewal_item, ci.recurring_item, ci.setup_timing,
               lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to,
               first_value(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS first_from,
               CASE WHEN c.alignment = 'anniversary' THEN c.bill_from
                    WHEN extract(month FROM l.billing_period) + extract(year FROM l.billing_period) * 12 > 0
                         OR l.billing_period IS NULL
                        THEN date '2000-01-01' ELSE date '2000-01-03' END AS anchor,
               -- a line of an on-demand contract without a period of its own is priced by
               -- the month (docs/projects-and-on-demand.md); rr_internal.bill bills such a
               -- contract only when asked
               coalesce(l.billing_period, interval '1 month') AS line_every,
               -- (one column: as five conditions on the CTE's columns, which have no
               -- statistics, the planner guessed one recurring line version in 40,000 and
               -- hashed all of their periods to join the few charged ones)
               NOT l.is_removed AND ci.billing_type IN ('prepaid', 'postpaid') AND l.price_model IS NULL
                   AND l.recurring_price IS NOT NULL AS is_recurring
          FROM c
          -- (the window over these joined rows, not over the line versions alone in a
          -- sub-query: 4 % faster, but Citus did not route this statement to one shard then,
          -- and a billing run delegated to a worker failed; bench/README.md)
          JOIN rr.contract_line l ON l.tenant_id = due_charges.tenant_id AND l.contract_id = c.contract_id
          JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
    ), line_start AS (
        -- the first version of each line, the day its billing starts, and the end of the
        -- term that day falls in: the term of its setup fee and deposit, which a later
        -- renewal does not move (so their charge keys stay)
        SELECT v.*, greatest(v.bill_from, v.effective_from) AS starts,
               coalesce((SELECT r.new_end FROM rr.contract_renewal r
                          WHERE r.tenant_id = due_charges.tenant_id AND r.contract_id = v.contract_id
                            AND r.previous_end <= greatest(v.bill_from, v.effective_from)
                            AND greatest(v.bill_from, v.effective_from) < r.new_end),
                        v.first_end, greatest(v.bill_from, v.effective_from) + 1) AS term_end,
               -- the day its setup fee is due: the contract's setup (or the line's start, for
               -- a line added later) under setup_timing setup, else the day its billing starts
               CASE WHEN v.setup_timing = 'setup'
                    THEN least(greatest(coalesce(v.setup_date, v.bill_from), v.effective_from),
                               greatest(v.bill_from, v.effective_from))
                    ELSE greatest(v.bill_from, v.effective_from) END AS setup_day
          FROM v
         WHERE v.effective_from = v.first_from AND NOT v.is_removed
           -- (only the lines with a setup fee or a deposit, which alone read it: not a
           -- renewal lookup per line to keep none)
           AND ((v.setup_item IS NOT NULL AND v.setup_price IS NOT NULL) OR v.billing_type = 'deposit')
           -- (none at all when no contract item has a setup fee or is a deposit: tested once
           -- for the statement, so that a tenant without them does not pay a pass over every
           -- line version; the same below for discounts and renewal fees)
           AND EXISTS (SELECT FROM rr.contract_item ci
                        WHERE ci.tenant_id = due_charges.tenant_id
                          AND (ci.setup_item IS NOT NULL OR ci.billing_type = 'deposit'))
    ), recurring AS (
        -- each billing period of each line version, clipped to the version and the term
        SELECT v.contract_id, v.line_no, v.effective_from, v.billing_type, v.quantity, v.recurring_price,
               v.mu, v.contract_every, v.contract_anchor, v.terms_hash, v.p AS service_period,
               rr.period_containing(lower(v.p), v.line_every, v.anchor) AS full_period,
               -- the period a termination cuts short: its refund policy decides (prepaid lines)
               v.termination_date IS NOT NULL AND upper(v.p) = v.termination_date
                   AND v.termination_date < coalesce(v.end_date, 'infinity') AS is_cut,
               v.refund_policy, v.has_discounts
          -- (the periods from the first that ends after what is settled, on the version's
          -- grid; rr.billing_periods in the select list, where each period goes to its row
          -- as it comes, not in FROM, where each line version's periods were stored in a
          -- tuple store of their own: bench/README.md)
          FROM (SELECT v.contract_id, v.line_no, v.effective_from, v.billing_type, v.quantity, v.recurring_price,
                       v.mu, v.contract_every, v.contract_anchor, v.terms_hash, v.line_every, v.anchor,
                       v.termination_date, v.end_date, v.refund_policy, v.has_discounts,
                       rr.billing_periods(
                           greatest(v.bill_from, v.effective_from,
                                    rr_internal.settled_from(v.state_hash, v.terms_hash, v.state_settled_to,
                                                             v.line_every, v.anchor)),
                           least(v.valid_to, v.bill_to,
                                 upper(rr.period_containing(due_charges.as_of, v.line_every, v.anchor))),
                           v.line_every, v.anchor) AS p
                  FROM v
                 WHERE v.is_recurring) v
        -- (OFFSET 0 here and in priced: each computed column is evaluated once per period.
        -- Pulled up into the join with what is charged, every reference to a column was
        -- the whole expression again: rr.period_containing four times a period, and the
        -- amount, a product rounded, twice)
        OFFSET 0
    ), billed AS NOT MATERIALIZED (
        -- what is charged per line version and billing period, corrections included: the net
        -- amount, the last adjustment sequence, the first charge, and the days still billed
        -- (the first charge's, up to the first day an earlier correction credited)
        -- (not materialised, though the discounts read it too: as a CTE its grouped keys had no
        -- statistics, so the planner priced hashing it at 20 million for 100,000 contracts
        -- and sorted their 400,000 periods to merge-join them instead, spilling 58 MB;
        -- inlined, it knows the keys are distinct: 3.5 -> 2.9 s at 100,000 contracts)
        SELECT b.contract_id, b.line_no, b.line_effective_from, b.full_period, min(b.billing_type) AS billing_type,
               sum(b.amount) AS amount, max(b.adjustment_seq) AS seq,
               (array_agg(b.service_period) FILTER (WHERE b.adjustment_seq = 0))[1] AS first_period,
               sum(b.amount) FILTER (WHERE b.adjustment_seq = 0) AS first_amount,
               min(b.quantity) FILTER (WHERE b.adjustment_seq = 0) AS quantity,
               min(b.unit_price) FILTER (WHERE b.adjustment_seq = 0) AS unit_price,
               least(max(upper(b.service_period)) FILTER (WHERE b.adjustment_seq = 0),
                     min(lower(b.service_period)) FILTER (WHERE b.adjustment_seq > 0 AND lower(b.service_period) > b.first_lo))
                   AS covered_to
          FROM (SELECT x.*, min(lower(x.service_period)) FILTER (WHERE x.adjustment_seq = 0)
                                OVER (PARTITION BY x.contract_id, x.line_no, x.line_effective_from, x.full_period) AS first_lo
                  FROM (SELECT v.contract_id, v.line_no, v.effective_from AS line_effective_from, ch.service_period,
                               ch.adjustment_seq, ch.amount, ch.quantity, ch.unit_price, v.billing_type,
                               rr.period_containing(lower(ch.service_period), v.line_every, v.anchor) AS full_period
                          FROM v
                          -- the charges of the periods recomputed (those that start at or
                          -- after the first one that ends after what is settled), by the
                          -- charge key: an index range per line version, not the history
                          -- (OFFSET 0 keeps it a scan of its own, not a join over the tenant's
                          -- charges; written out rather than a call of a SQL function, which
                          -- a single node inlines and Citus, rewritten as PL/pgSQL, ran as a
                          -- routed query per line version: 0.18 ms a call)
                          CROSS JOIN LATERAL (
                                 SELECT ch.service_period, ch.adjustment_seq, ch.amount, ch.quantity, ch.unit_price
                                   FROM rr.charge ch
                                  WHERE ch.tenant_id = due_charges.tenant_id AND ch.contract_id = v.contract_id
                                    AND ch.line_no = v.line_no AND ch.line_effective_from = v.effective_from
                                    AND ch.kind = 'recurring'
                                    AND ch.service_period >= rr_internal.ranges_from(rr_internal.settled_from(
                                            v.state_hash, v.terms_hash, v.state_settled_to, v.line_every, v.anchor))
                                 OFFSET 0) ch
                         -- (none for a contract never charged: 40,000 lookups of 20,000 new
                         -- contracts found nothing, 5 % of the due charges, a quarter on
                         -- analysed empty tables)
                         WHERE v.has_state
                           -- (and not a pass over the line versions when no contract has a
                           -- state: a test of the key, once for the statement)
                           AND EXISTS (SELECT FROM rr.contract_billing_state st
                                        WHERE st.tenant_id = due_charges.tenant_id
                                          AND (due_charges.all_contracts OR st.contract_id = due_charges.only_contract))) x) b
         GROUP BY b.contract_id, b.line_no, b.line_effective_from, b.full_period
    ), priced AS NOT MATERIALIZED (
        -- (not materialised: the pass over the periods below reads it, and the discounts
        -- again only when the tenant has any)
        SELECT r.*,
               CASE WHEN r.service_period = r.full_period THEN round(r.quantity * r.recurring_price, r.mu)
                    ELSE rr.prorate_amount(r.quantity * r.recurring_price, r.service_period, r.full_period,
                                           'actual', r.mu) END AS amount,
               CASE r.billing_type WHEN 'prepaid' THEN lower(r.service_period) ELSE upper(r.service_period) END AS due
          FROM recurring r
        OFFSET 0
    ), target AS NOT MATERIALIZED (
        -- what each line version's billing period comes to now: its days prorated and rounded
        -- once; for the prepaid period a termination cuts short, the refund policy: none keeps
        -- what was billed, full credits it all, prorated credits the days after the end
        -- (rr_internal.period_target).
        -- Discounts apply to what the period comes to now (its days under the version's
        -- terms); under policy none to what the period keeps, over the days it was billed for.
        -- (read by the discounts alone, and only when the tenant has any: the charges of the
        -- periods are one pass below, over the same join as a full join.  Materialised for
        -- the new periods, their corrections and the discounts, its 400,000 rows of 100,000
        -- contracts took a fifth of this function's time, and a 59 MB temporary file.)
        SELECT p.*, b.amount AS billed_amount,
               rr_internal.period_target(p.is_cut, p.billing_type, p.refund_policy, p.amount, b.amount) AS target,
               CASE WHEN p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'none'
                         AND b.covered_to > upper(p.service_period)
                        THEN daterange(lower(p.service_period), b.covered_to)
                    ELSE p.service_period END AS discount_period
          FROM priced p
          LEFT JOIN billed b ON b.contract_id = p.contract_id AND b.line_no = p.line_no
                            AND b.line_effective_from = p.effective_from AND b.full_period = p.full_period
    ), ranked AS (
        -- the periods of contracts with discounts, with what their discounts need: the
        -- line's n-th billing period (a period split by a line version or a termination is
        -- still one period) and the first day of it the line is billed.  (Two sorts and
        -- two windows over the periods, computed for every period of every contract, took
        -- 16 % of the due charges of 20,000 contracts without discounts.)
        SELECT p.*,
               dense_rank() OVER (PARTITION BY p.contract_id, p.line_no ORDER BY lower(p.full_period)) AS k,
               min(lower(p.service_period)) OVER (PARTITION BY p.contract_id, p.line_no, p.full_period) AS period_start
          FROM target p
         WHERE p.has_discounts
           AND EXISTS (SELECT FROM rr.discount d
                        WHERE d.tenant_id = due_charges.tenant_id
                          AND (due_charges.all_contracts OR d.contract_id = due_charges.only_contract))
    ), line_discount AS (
        -- the discounts of a line version and period, in a fixed order: percents first, which
        -- add up (at most 100 % in all); then amounts in the order they were added, each on
        -- what the line has left.  Each is the difference of the rounded running totals, so
        -- the discounts add up exactly and never take the line below zero.
        SELECT s.*,
               CASE s.kind
                   WHEN 'percent' THEN round(s.amount * least(s.pct_cum - s.value, 100) / 100, s.mu)
                                       - round(s.amount * least(s.pct_cum, 100) / 100, s.mu)
                   ELSE least(s.after_pct, s.amt_cum - s.off) - least(s.after_pct, s.amt_cum) END AS part
          FROM (SELECT o.*,
                       sum(CASE o.kind WHEN 'percent' THEN o.value ELSE 0 END) OVER w AS pct_cum,
                       sum(o.off) OVER w AS amt_cum,
                       greatest(o.amount - round(o.amount * least(sum(CASE o.kind WHEN 'percent' THEN o.value ELSE 0 END)
                                                                      OVER (PARTITION BY o.contract_id, o.line_no,
                                                                                         o.effective_from, o.full_period),
                                                                  100) / 100, o.mu), 0) AS after_pct
                  FROM (SELECT p.contract_id, p.line_no, p.effective_from, p.full_period,
                               p.discount_period AS service_period, p.due, p.billing_type,
                               p.mu, p.target AS amount, d.discount_id, d.kind, d.value,
                               CASE WHEN d.kind = 'percent' THEN 0
                                    WHEN p.discount_period = p.full_period THEN d.value
                                    ELSE rr.prorate_amount(d.value, p.discount_period, p.full_period, 'actual', p.mu)
                               END AS off
                          FROM ranked p
                          JOIN rr.discount d ON d.tenant_id = due_charges.tenant_id AND d.contract_id = p.contract_id
                                            AND (d.line_no = p.line_no OR (d.line_no IS NULL AND d.kind = 'percent'))
                                            AND (d.first_periods IS NULL OR p.k <= d.first_periods)
                                            AND (d.valid IS NULL OR d.valid @> p.period_start)) o
                WINDOW w AS (PARTITION BY o.contract_id, o.line_no, o.effective_from, o.full_period
                             ORDER BY o.kind = 'amount', o.discount_id)) s
    ), line_left AS (
        -- what each line version and period of a contract with discounts has left after its
        -- own discounts
        SELECT p.*, p.target + coalesce(ld.taken, 0) AS left_amount
          FROM ranked p
          LEFT JOIN (SELECT ld.contract_id, ld.line_no, ld.effective_from, ld.full_period, sum(ld.part) AS taken
                       FROM line_discount ld
                      GROUP BY ld.contract_id, ld.line_no, ld.effective_from, ld.full_period) ld
                 ON ld.contract_id = p.contract_id AND ld.line_no = p.line_no
                AND ld.effective_from = p.effective_from AND ld.full_period = p.full_period
    ), contract_amount_discount AS (
        -- an amount off per contract billing period, split over what the lines billed in it
        -- have left after their own discounts; several apply in the order they were added,
        -- each on what is left (the running total, capped by what the lines have left, is
        -- split, and each discount takes the difference)
        SELECT g.contract_id, g.discount_id, x.line_no, x.effective_from, x.full_period, x.service_period,
               x.upto - x.before AS part, x.due, x.billing_type
          FROM (SELECT g0.*,
                       sum(g0.cap) OVER (PARTITION BY g0.contract_id, g0.contract_period ORDER BY g0.discount_id) AS cap_cum
                  FROM (SELECT p.contract_id, d.discount_id, p.mu, d.value AS cap, d.first_periods,
                               rr.period_containing(p.period_start, p.contract_every, p.contract_anchor) AS contract_period,
                               array_agg(p.line_no ORDER BY p.line_no, lower(p.discount_period)) AS nos,
                               array_agg(p.effective_from ORDER BY p.line_no, lower(p.discount_period)) AS efs,
                               array_agg(p.full_period ORDER BY p.line_no, lower(p.discount_period)) AS fps,
                               array_agg(p.discount_period ORDER BY p.line_no, lower(p.discount_period)) AS sps,
                               array_agg(p.due ORDER BY p.line_no, lower(p.discount_period)) AS dues,
                               array_agg(p.billing_type ORDER BY p.line_no, lower(p.discount_period)) AS bts,
                               array_agg(p.left_amount ORDER BY p.line_no, lower(p.discount_period)) AS amounts,
                               sum(p.left_amount) AS total,
                               dense_rank() OVER (PARTITION BY p.contract_id, d.discount_id
                                                  ORDER BY rr.period_containing(p.period_start, p.contract_every, p.contract_anchor)) AS pk
                          FROM line_left p
                          JOIN rr.discount d ON d.tenant_id = due_charges.tenant_id AND d.contract_id = p.contract_id
                                            AND d.line_no IS NULL AND d.kind = 'amount'
                                            AND (d.valid IS NULL OR d.valid @> p.period_start)
                         WHERE p.contract_every IS NOT NULL
                         GROUP BY p.contract_id, d.discount_id, d.value, d.first_periods, p.mu,
                                  rr.period_containing(p.period_start, p.contract_every, p.contract_anchor)
                        HAVING sum(p.left_amount) > 0) g0
                 WHERE g0.pk <= coalesce(g0.first_periods, 2147483647)) g
          CROSS JOIN LATERAL unnest(g.nos, g.efs, g.fps, g.sps, g.dues, g.bts,
                                    rr.allocate(-least(g.cap_cum - g.cap, g.total), g.amounts, g.mu),
                                    rr.allocate(-least(g.cap_cum, g.total), g.amounts, g.mu))
                     AS x(line_no, effective_from, full_period, service_period, due, billing_type, before, upto)
    ), discount_due AS (
        -- every discount of every line version and period, as its terms are now
        SELECT ld.contract_id, ld.line_no, ld.effective_from, ld.full_period, ld.service_period, ld.discount_id,
               CASE ld.kind WHEN 'percent' THEN ld.value END AS unit_price, ld.part, ld.due, ld.billing_type
          FROM line_discount ld
        UNION ALL
        SELECT a.contract_id, a.line_no, a.effective_from, a.full_period, a.service_period, a.discount_id,
               NULL, a.part, a.due, a.billing_type
          FROM contract_amount_discount a
    ), discount_billed AS (
        -- what is charged per discount, line version and period, corrections included; the
        -- discount of a correction is in its detail (its adjustment sequence is negative:
        -- the next free one of the line version and period)
        SELECT x.contract_id, x.line_no, x.line_effective_from, x.full_period, x.discount_id, x.billing_type,
               sum(x.amount) AS amount,
               (array_agg(x.service_period) FILTER (WHERE x.adjustment_seq > 0))[1] AS first_period,
               min(x.low_seq) AS low_seq
          FROM (SELECT v.contract_id, v.line_no, v.effective_from AS line_effective_from, ch.service_period,
                       ch.adjustment_seq, ch.amount, v.billing_type,
                       coalesce((ch.detail->>'discount_id')::bigint, ch.adjustment_seq) AS discount_id,
                       rr.period_containing(lower(ch.service_period), v.line_every, v.anchor) AS full_period,
                       min(least(ch.adjustment_seq, 0)) OVER (PARTITION BY v.contract_id, v.line_no, v.effective_from,
                                                                           rr.period_containing(lower(ch.service_period),
                                                                                                v.line_every, v.anchor))
                           AS low_seq
                  FROM v
                  -- (the lines of contracts with discounts, or not settled: a discount
                  -- charge under settled terms without discounts would be settled too)
                  -- (the charges by the charge key, as for the recurring charges above)
                  CROSS JOIN LATERAL (
                         SELECT ch.service_period, ch.adjustment_seq, ch.amount, ch.detail
                           FROM rr.charge ch
                          WHERE ch.tenant_id = due_charges.tenant_id AND ch.contract_id = v.contract_id
                            AND ch.line_no = v.line_no AND ch.line_effective_from = v.effective_from
                            AND ch.kind = 'discount'
                            AND ch.service_period >= rr_internal.ranges_from(rr_internal.settled_from(
                                    v.state_hash, v.terms_hash, v.state_settled_to, v.line_every, v.anchor))
                         OFFSET 0) ch
                 WHERE v.has_state AND (v.has_discounts OR v.state_hash IS DISTINCT FROM v.terms_hash)
                   AND EXISTS (SELECT FROM rr.contract_billing_state st
                                WHERE st.tenant_id = due_charges.tenant_id
                                  AND (due_charges.all_contracts OR st.contract_id = due_charges.only_contract))) x
         GROUP BY x.contract_id, x.line_no, x.line_effective_from, x.full_period, x.discount_id, x.billing_type
    ), discount_fix AS (
        -- the difference between what a discount of a charged line version and period comes
        -- to now and what was charged for it, for the days from the first day that changed
        SELECT b.contract_id, b.line_no, b.line_effective_from, b.discount_id, b.billing_type,
               b.low_seq - row_number() OVER (PARTITION BY b.contract_id, b.line_no, b.line_effective_from, b.full_period
                                              ORDER BY b.discount_id DESC) AS seq,
               dd.unit_price, coalesce(dd.part, 0) - b.amount AS amount,
               CASE WHEN coalesce(dd.part, 0) <> 0
                         AND upper(dd.service_period) > lower(b.first_period) AND upper(dd.service_period) < upper(b.first_period)
                        THEN daterange(upper(dd.service_period), upper(b.first_period))
                    ELSE coalesce(b.first_period, dd.service_period) END AS service_period
          FROM discount_billed b
          LEFT JOIN discount_due dd ON dd.contract_id = b.contract_id AND dd.line_no = b.line_no
                                   AND dd.effective_from = b.line_effective_from AND dd.full_period = b.full_period
                                   AND dd.discount_id = b.discount_id
         WHERE coalesce(dd.part, 0) <> b.amount
    ), fee AS (
        -- setup fee: once per line, at setup or when its billing starts as the contract item's
        -- setup_timing says (prorated, by the days of its first billing period that are
        -- billed, only when the contract item says prorate_setup); renewal fee collected on
        -- activation; and the
        -- renewal fee of each renewed term, on its first day, for the line version in force
        -- then.  Their service period is their term, whatever a termination or a renewal does
        -- later, so the key stays.
        SELECT v.contract_id, v.line_no, v.effective_from, 'setup' AS kind,
               daterange(v.setup_day, v.term_end) AS service_period,
               v.quantity, v.setup_price AS unit_price,
               CASE WHEN v.prorate_setup AND v.line_every IS NOT NULL
                    THEN rr.prorate_amount(v.quantity * v.setup_price, daterange(v.starts, NULL),
                                           rr.period_containing(v.starts, v.line_every, v.anchor), 'actual', v.mu)
                    ELSE round(v.quantity * v.setup_price, v.mu) END AS amount,
               v.setup_day AS due, v.is_refundable, v.termination_date, v.refund_policy, v.mu
          FROM line_start v
         WHERE v.setup_item IS NOT NULL AND v.setup_price IS NOT NULL
           AND v.starts < coalesce(v.bill_to, 'infinity')
        UNION ALL
        SELECT v.contract_id, v.line_no, v.effective_from, 'renewal',
               daterange(v.activation_date, coalesce(v.first_end, v.activation_date + 1)),
               v.quantity, v.renewal_price, round(v.quantity * v.renewal_price, v.mu), v.activation_date,
               v.is_refundable, v.termination_date, v.refund_policy, v.mu
          FROM v
         WHERE v.effective_from = v.first_from AND NOT v.is_removed
           AND v.collect_renewal_on_activation AND v.renewal_price IS NOT NULL
           AND EXISTS (SELECT FROM rr.contract_item ci
                        WHERE ci.tenant_id = due_charges.tenant_id AND ci.collect_renewal_on_activation)
        UNION ALL
        SELECT v.contract_id, v.line_no, v.effective_from, 'renewal', daterange(r.previous_end, r.new_end),
               v.quantity, v.renewal_price, round(v.quantity * v.renewal_price, v.mu), r.previous_end,
               v.is_refundable, v.termination_date, v.refund_policy, v.mu
          FROM v
          JOIN rr.contract_renewal r ON r.tenant_id = due_charges.tenant_id AND r.contract_id = v.contract_id
                                    AND r.previous_end >= v.effective_from
                                    AND r.previous_end < coalesce(v.valid_to, 'infinity')
         WHERE NOT v.is_removed AND v.renewal_item IS NOT NULL AND v.renewal_price IS NOT NULL
           AND EXISTS (SELECT FROM rr.contract_renewal r
                        WHERE r.tenant_id = due_charges.tenant_id
                          AND (due_charges.all_contracts OR r.contract_id = due_charges.only_contract))
    ), fee_target AS (
        -- a refundable fee of a contract terminated inside its term follows the refund
        -- policy: none keeps it, full credits it, prorated credits the days after the end
        SELECT f.*, b.amount AS billed_amount, b.seq,
               CASE WHEN f.is_refundable AND f.termination_date < upper(f.service_period) AND f.refund_policy = 'full'
                        THEN 0
                    WHEN f.is_refundable AND f.termination_date < upper(f.service_period) AND f.refund_policy = 'prorated'
                        THEN rr.prorate_amount(f.amount, daterange(lower(f.service_period),
                                                                   greatest(f.termination_date, lower(f.service_period))),
                                               f.service_period, 'actual', f.mu)
                    ELSE f.amount END AS target
          FROM fee f
          LEFT JOIN (SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind,
                            lower(ch.service_period) AS term_start, sum(ch.amount) AS amount,
                            max(ch.adjustment_seq) AS seq
                       FROM rr.charge ch
                      WHERE ch.tenant_id = due_charges.tenant_id AND ch.kind IN ('setup', 'renewal')
                        -- (only_contract's when one: grouped for the whole tenant, billing one
                        -- contract of 100,000 with setup fees read all their charges, 0.3-0.8 s)
                        AND (due_charges.all_contracts OR ch.contract_id = due_charges.only_contract)
                      GROUP BY ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, lower(ch.service_period)) b
                 ON b.contract_id = f.contract_id AND b.line_no = f.line_no
                AND b.line_effective_from = f.effective_from AND b.kind = f.kind
                AND b.term_start = lower(f.service_period)
    )
    -- what is charged already, as it is
    SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, ch.service_period, ch.adjustment_seq::bigint,
           ch.quantity, ch.unit_price, ch.amount, ch.due_date,
           CASE ch.kind WHEN 'discount' THEN coalesce((ch.detail->>'discount_id')::bigint, ch.adjustment_seq) END,
           NULL::bigint
      FROM rr.charge ch
     WHERE due_charges.with_charged
       AND ch.tenant_id = due_charges.tenant_id AND ch.kind IN ('recurring', 'discount', 'setup', 'renewal', 'one_off')
       -- (by key, an index range per contract: as a semi-join with the contracts, on new
       -- tables the planner joined every charge of the tenant with every contract, 600
       -- million rows for 20,000 contracts when a price change re-planned their revenue)
       AND ch.contract_id = ANY (ARRAY(SELECT c.contract_id FROM c))
       AND ch.due_date <= due_charges.as_of
    UNION ALL
    -- each line version's billing periods, as they come to now (rr_internal.period_target),
    -- and what is charged for them, in one pass: a period not charged yet is charged
    -- (nothing for a period a full refund credits); a charged one whose amount differs is
    -- corrected by the new amount less what is charged, for the days from the first day
    -- that changed to the last day still billed (and a charged period the terms no longer
    -- have, by all of it)
    SELECT coalesce(p.contract_id, b.contract_id), coalesce(p.line_no, b.line_no),
           coalesce(p.effective_from, b.line_effective_from), 'recurring', x.service_period,
           coalesce(b.seq + 1, 0), CASE WHEN b.amount IS NULL THEN p.quantity ELSE b.quantity END,
           CASE WHEN b.amount IS NULL THEN p.recurring_price ELSE b.unit_price END,
           coalesce(t.target, 0) - coalesce(b.amount, 0),
           CASE WHEN b.amount IS NULL THEN p.due
                WHEN b.billing_type = 'prepaid' THEN lower(x.service_period) ELSE upper(x.service_period) END,
           NULL, p.terms_hash
      FROM priced p
      FULL JOIN billed b ON b.contract_id = p.contract_id AND b.line_no = p.line_no
                        AND b.line_effective_from = p.effective_from AND b.full_period = p.full_period
     CROSS JOIN LATERAL (
         SELECT rr_internal.period_target(p.is_cut, p.billing_type, p.refund_policy, p.amount, b.amount) AS target) t
     CROSS JOIN LATERAL (
         SELECT CASE WHEN b.amount IS NULL THEN p.service_period
                     WHEN coalesce(t.target, 0) <> 0
                          AND upper(p.service_period) > lower(b.first_period) AND upper(p.service_period) < b.covered_to
                         THEN daterange(upper(p.service_period), b.covered_to)
                     WHEN b.covered_to > lower(b.first_period) THEN daterange(lower(b.first_period), b.covered_to)
                     ELSE b.first_period END AS service_period) x
     WHERE CASE WHEN b.amount IS NULL
                THEN p.due <= due_charges.as_of
                     AND NOT (p.is_cut AND p.billing_type = 'prepaid' AND p.refund_policy = 'full')
                ELSE coalesce(t.target, 0) <> b.amount
                     AND CASE b.billing_type WHEN 'prepaid' THEN lower(x.service_period) ELSE upper(x.service_period) END
                         <= due_charges.as_of END
    UNION ALL
    -- discounts of a line version and period (a contract-wide percent applies to every
    -- line) not charged yet
    SELECT dd.contract_id, dd.line_no, dd.effective_from, 'discount', dd.service_period, dd.discount_id, NULL,
           dd.unit_price, dd.part, dd.due, dd.discount_id, NULL::bigint
      FROM discount_due dd
     WHERE dd.due <= due_charges.as_of AND dd.part <> 0
       AND NOT EXISTS (SELECT FROM discount_billed b
                        WHERE b.contract_id = dd.contract_id AND b.line_no = dd.line_no
                          AND b.line_effective_from = dd.effective_from AND b.full_period = dd.full_period
                          AND b.discount_id = dd.discount_id)
    UNION ALL
    -- and the corrections of charged ones
    SELECT f.contract_id, f.line_no, f.line_effective_from, 'discount', f.service_period, f.seq, NULL,
           f.unit_price, f.amount,
           CASE f.billing_type WHEN 'prepaid' THEN lower(f.service_period) ELSE upper(f.service_period) END,
           f.discount_id, NULL::bigint
      FROM discount_fix f
     WHERE CASE f.billing_type WHEN 'prepaid' THEN lower(f.service_period) ELSE upper(f.service_period) END
           <= due_charges.as_of
    UNION ALL
    -- setup and renewal fees not charged yet (nothing for a fee a full refund credits), and
    -- the refund of a charged one
    SELECT f.contract_id, f.line_no, f.effective_from, f.kind, f.service_period,
           coalesce(f.seq + 1, 0), f.quantity, f.unit_price, f.target - coalesce(f.billed_amount, 0),
           CASE WHEN f.seq IS NULL THEN f.due ELSE greatest(f.due, f.termination_date) END, NULL, NULL::bigint
      FROM fee_target f
     WHERE CASE WHEN f.seq IS NULL THEN f.due ELSE greatest(f.due, f.termination_date) END <= due_charges.as_of
       AND CASE WHEN f.seq IS NULL THEN f.target <> 0 OR f.amount = 0 ELSE f.target <> f.billed_amount END
    UNION ALL
    -- one-off charges and credits not charged yet (25_one_off_charges.sql), due on their
    -- service date, on the pseudo line -one_off_id
    SELECT o.contract_id, -o.one_off_id, o.service_date, 'one_off', daterange(o.service_date, o.service_date + 1),
           0, o.quantity, o.unit_price, o.amount, o.service_date, NULL, NULL::bigint
      FROM rr.one_off_charge o
     WHERE o.tenant_id = due_charges.tenant_id AND o.contract_id IN (SELECT c.contract_id FROM c)
       -- (only_contract's by key when one: not every one-off charge of the tenant's history)
       AND (due_charges.all_contracts OR o.contract_id = due_charges.only_contract)
       AND o.service_date <= due_charges.as_of
       AND NOT EXISTS (SELECT FROM rr.charge ch
                        WHERE ch.tenant_id = due_charges.tenant_id AND ch.contract_id = o.contract_id
                          AND ch.line_no = -o.one_off_id AND ch.line_effective_from = o.service_date
                          AND ch.kind = 'one_off')
    UNION ALL
    -- deposit: billed up front, for the term its line starts in (charged or not; the billing
    -- run asks for it only until it is charged)
    SELECT v.contract_id, v.line_no, v.effective_from, 'deposit', daterange(v.starts, v.term_end),
           0, 1, v.deposit_amount, v.deposit_amount, v.starts, NULL, NULL::bigint
      FROM line_start v
     WHERE v.billing_type = 'deposit'
       AND v.starts <= due_charges.as_of
       AND v.starts < coalesce(v.bill_to, 'infinity')
       AND (due_charges.with_charged
            OR NOT EXISTS (SELECT FROM rr.charge ch
                            WHERE ch.tenant_id = due_charges.tenant_id AND ch.contract_id = v.contract_id
                              AND ch.line_no = v.line_no AND ch.line_effective_from = v.effective_from
                              AND ch.kind = 'deposit' AND ch.service_period = daterange(v.starts, v.term_end)
                              AND ch.adjustment_seq = 0));
END;
COMMENT ON FUNCTION rr_internal.due_charges(text, date, bigint, boolean, boolean) IS 'internal: rr.due_charges with the discount of each discount charge (a correction of a discount carries its discount here, and in the charge''s detail), for all the tenant''s contracts or one of them; what is charged already only when with_charged; recurring charges and their corrections carry the fingerprint of their contract''s billing terms (terms_hash), which the billing run records as settled (rr.contract_billing_state); only the periods that end after what is settled under the same fingerprint are recomputed';
REVOKE ALL ON FUNCTION rr_internal.due_charges(text, date, bigint, boolean, boolean) FROM PUBLIC;

-- The planner's estimate of a batch's due charges: the line versions of rr.contract_line
-- (src/planned.c), so that the billing statement joins a batch's charges to their line
-- versions, contracts and billing states by hashing, and one contract's by its keys.
CREATE FUNCTION rr_internal.due_charges_planned_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'rr_due_charges_planned_support'
LANGUAGE C STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION rr_internal.due_charges_planned_support(internal) IS 'internal: planner support function of rr_internal.due_charges_planned (the rows of a batch: the line versions of rr.contract_line)';
REVOKE ALL ON FUNCTION rr_internal.due_charges_planned_support(internal) FROM PUBLIC;

-- What is due for the billing run and activation, whose statements run in sessions that make
-- many single-contract calls: the statement for one contract is planned once per session,
-- generically (it filters by the contract's key), and kept; the batch (only_contract NULL)
-- is planned for its tenant at each call (src/planned.c).  As a PL/pgSQL function the
-- one-contract statement was planned anew for a session's first five calls, and planning
-- rr.due_charges took 12-27 ms, running it for one contract 1-2 ms.
CREATE FUNCTION rr_internal.due_charges_planned(tenant_id text, as_of date, only_contract bigint)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date, discount_id bigint, terms_hash bigint)
-- (1,000 rows for one contract and in a generic plan, more for a batch: the support
-- function.  The billing statement joins the charges, invoices and invoice lines it writes
-- from these rows to one another, CTE to CTE, where only this estimate guides the plan; at
-- 20 rows it looped, 60,000 charges x 20,000 invoices.  It kept the plan of one contract's
-- billing below the JIT thresholds when the usage rating's estimate of 1,000 was beside it.)
AS 'MODULE_PATHNAME', 'rr_due_charges_planned'
LANGUAGE C STABLE ROWS 1000
SUPPORT rr_internal.due_charges_planned_support
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION rr_internal.due_charges_planned(text, date, bigint) IS 'internal: rr_internal.due_charges for the tenant (only_contract NULL), planned at each call, or one contract, planned once per session and kept';
REVOKE ALL ON FUNCTION rr_internal.due_charges_planned(text, date, bigint) FROM PUBLIC;

CREATE FUNCTION rr.due_charges(tenant_id text, as_of date, only_contract bigint DEFAULT NULL)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric,
               amount numeric, due_date date)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT d.contract_id, d.line_no, d.line_effective_from, d.kind, d.service_period, d.adjustment_seq, d.quantity,
           d.unit_price, d.amount, d.due_date
      FROM rr_internal.due_charges(due_charges.tenant_id, due_charges.as_of, due_charges.only_contract,
                                   due_charges.only_contract IS NULL, true) d;
END;
COMMENT ON FUNCTION rr.due_charges(text, date, bigint) IS 'every charge due by as_of for the tenant''s activated contracts (or one of them): what is charged already, as it is; recurring prepaid (due at the start of each period) and postpaid (due at its end) per line version and billing period, partial periods prorated by days and rounded once; setup fees at setup or when billing starts, as the contract item''s setup_timing says (prorated only if the item says prorate_setup); renewal fees collected on activation and on the first day of each renewed term; deposits; one-off charges and credits on their service date (kind one_off, line -one_off_id); and corrections of charged periods and fees that a termination (per its refund policy) or a new line version changed, under the next adjustment sequence';
