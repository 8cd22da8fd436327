-- Usage rating (docs/usage.md): what the events of each billing period come to, with late
-- events and deposits drawn down by usage; called by the billing run.

-- How much of the value of `units` billable units of a deposit line its deposit covers
-- (drawn) and what is billed beyond it (overage): with a price model, the rounded price of
-- the units, the deposit covering it first; with a unit price, the units up to
-- deposit / price at the unit price, the rest at extra_usage_price (else the unit price).
CREATE TYPE rr.deposit_part AS (drawn numeric, overage numeric);
COMMENT ON TYPE rr.deposit_part IS 'the value of a deposit line''s usage split into what the deposit covers (drawn) and what is billed beyond it (overage)';

CREATE FUNCTION rr_internal.deposit_split(units numeric, deposit numeric, price numeric, extra_price numeric,
                                 price_model rr.pricing, minor_units integer)
RETURNS rr.deposit_part
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v numeric;
    cap numeric;
    drawn numeric;
    overage numeric;
BEGIN
    IF price_model IS NOT NULL THEN
        v := round(rr.price(price_model, units), minor_units);
        drawn := least(v, deposit);
        overage := v - drawn;
    ELSIF coalesce(price, 0) = 0 THEN
        drawn := 0;
        overage := round(units * coalesce(extra_price, 0), minor_units);
    ELSE
        cap := deposit / price;
        drawn := least(round(least(units, cap) * price, minor_units), deposit);
        overage := round(greatest(units - cap, 0) * coalesce(extra_price, price), minor_units);
    END IF;
    RETURN ROW(drawn, overage)::rr.deposit_part;
END
$$;
COMMENT ON FUNCTION rr_internal.deposit_split(numeric, numeric, numeric, numeric, rr.pricing, integer) IS 'internal: the part of the value of a deposit line''s cumulative billable units its deposit covers (drawn) and the part billed beyond it (overage, at the extra usage price when there is one)';

CREATE TYPE rr.usage_charge AS (contract_id bigint, line_no integer, line_effective_from date, kind text,
                                 service_period daterange, adjustment_seq bigint, quantity numeric,
                                 unit_price numeric, amount numeric, due_date date, detail jsonb);
COMMENT ON TYPE rr.usage_charge IS 'a usage charge as rating computes it (the columns of rr.charge it fills)';

-- Where a usage counter starts, one rule for rating and for rr.usage_vs_included: a peak
-- or a last level is its part's own (part_start); a sum reset on billing counts from the
-- start of the period; one reset on renewal from the start of the term the period starts
-- in (a renewal's previous end starts a term; the first term starts with billing); one
-- never reset from the start of billing.  The function below takes the term's start; its
-- callers read the renewals themselves, in the statement, and only for counters reset on
-- renewal (a function that read them, called per line, was a routed query per call on
-- Citus: docs/scale-out.md, "Speed").
CREATE FUNCTION rr_internal.usage_cycle_start_in(aggregation text, reset_usage text, part_start date, period_start date,
                                                 bill_from date, term_start date)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN aggregation OPERATOR(pg_catalog.<>) 'sum' THEN part_start
            WHEN reset_usage OPERATOR(pg_catalog.=) 'on_billing' THEN period_start
            WHEN reset_usage OPERATOR(pg_catalog.=) 'on_renewal' THEN term_start
            ELSE bill_from END;
COMMENT ON FUNCTION rr_internal.usage_cycle_start_in(text, text, date, date, date, date) IS 'internal: the first usage date a metered line''s counter counts for a billing period (rating and rr.usage_vs_included): part_start for a peak or a last level, period_start for a sum reset on billing, term_start (the start of the term the period is in, which the caller reads) for a sum reset on renewal, bill_from for a sum never reset';
REVOKE ALL ON FUNCTION rr_internal.usage_cycle_start_in(text, text, date, date, date, date) FROM PUBLIC;

-- A running total that continues one carried from the periods before: NULL when both are
-- (a sum of nothing but NULLs), as one sum over all the periods would be.
CREATE FUNCTION rr_internal.add_carried(carried numeric, since numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN carried IS NULL THEN since ELSE carried OPERATOR(pg_catalog.+) coalesce(since, 0) END;
COMMENT ON FUNCTION rr_internal.add_carried(numeric, numeric) IS 'internal: a running sum carried from earlier periods (NULL if none) continued by the sum since (NULL if none): NULL when both are NULL, as one sum over all the periods would be';
REVOKE ALL ON FUNCTION rr_internal.add_carried(numeric, numeric) FROM PUBLIC;

-- Rating: every usage charge as it stands now for the tenant's contracts (or one of
-- them), minus what is billed already.  Per metered line and billing period: the
-- period's quantity (sum, max or last of its events); the billable quantity after the
-- included quantity of the usage counter's cycle (the period when usage resets on
-- billing; the contract term when it never resets or resets on renewal, so unused
-- included quantity carries over); the amount, for models whose price only grows with
-- the quantity (per_unit, package, graduated, percentage, an extra usage price), as the
-- difference of the rounded price of the cumulative billable quantity at the period's end
-- and start (so tiers apply to the counter, and a cycle's amounts add up to the price of
-- its total exactly); for models that price a quantity as a whole (flat, volume,
-- stairstep), as the rounded price of the period's own billable quantity, so no period is
-- ever negative; a flat fee is due in every period, with usage or without.  A deposit
-- line draws its usage from the deposit (a drawdown line) until it is spent, then bills
-- it (at extra_usage_price, if set); at the end of the term the unused deposit is
-- released: retain_rate of it is kept as breakage, the rest is refunded.  Whatever
-- differs from the charges already billed for a (line, kind, period) -- late events --
-- is due again under the next adjustment_seq, carrying the original service period.
--
-- A line is rated only from what earlier runs rated it to (rr.usage_rating_state;
-- docs/usage.md, "What a run rates"): its events and charges from that date on, its
-- counters continued from what was carried into it, while the fingerprint of its rating
-- terms matches and no event dated before that date arrived since (rr.usage_arrival);
-- otherwise, and on demand, from its start.  The answer is the same
-- (test/pgtap/usage_settled_properties.sql).  What this call rated to is left in a work
-- table for rr_internal.settle_usage, which the billing run calls after billing.
--
-- The metered line versions and their events per billing period are staged first in
-- session work tables, indexed and analysed: the statement that rates them then joins
-- tables whose sizes the planner knows, and reaches the lines by primary key, so its
-- plan cannot go quadratic whatever statistics the contract and event tables have.  Each
-- statement is planned for its arguments (EXECUTE): for one contract, index scans of its
-- rows; for a tenant, joins over all of them.  The rating itself, the largest, is planned
-- once per session for one contract (its plan kept: below).
CREATE FUNCTION rr_internal.usage_charges(tenant_id text, as_of date, only_contract bigint DEFAULT NULL)
RETURNS SETOF rr.usage_charge
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    any_whole boolean;
    first_from date;
    last_from date;
    whole boolean;
    rate text;
BEGIN
    IF rr_internal.claim_work_table('rr_usage_line') THEN
        -- the versions of the metered lines, with the billing grid of each line on the
        -- row of its first version (is_grid)
        CREATE TEMP TABLE rr_usage_line (
            contract_id bigint NOT NULL, line_no integer NOT NULL, effective_from date NOT NULL,
            line_quantity numeric, recurring_price numeric, price_model rr.pricing, is_removed boolean,
            every interval, valid_to date, first_from date, billing_type text, included_quantity numeric,
            extra_usage_price numeric, reset_usage text, usage_aggregation text, grace integer,
            deposit_amount numeric, retain_rate numeric, bill_from date, bill_to date, mu integer,
            alignment text, is_grid boolean, anchor date,
            PRIMARY KEY (contract_id, line_no, effective_from));
    END IF;
    IF rr_internal.claim_work_table('rr_usage_agg') THEN
        -- the events of each billing period and line version, aggregated
        CREATE TEMP TABLE rr_usage_agg (
            contract_id bigint NOT NULL, line_no integer NOT NULL, period daterange NOT NULL,
            version_from date NOT NULL, used_sum numeric, used_max numeric, used_last numeric, events bigint,
            PRIMARY KEY (contract_id, line_no, version_from, period));
    END IF;
    IF rr_internal.claim_work_table('rr_usage_window') THEN
        -- the billing windows of the metered lines of an on-demand contract: from one
        -- request to the next
        CREATE TEMP TABLE rr_usage_window (
            contract_id bigint NOT NULL, line_no integer NOT NULL, period daterange NOT NULL,
            PRIMARY KEY (contract_id, line_no, period));
    END IF;
    IF rr_internal.claim_work_table('rr_usage_from') THEN
        -- per metered line (its grid row): where rating starts (NULL: the whole history),
        -- the fingerprint of its rating terms, the counters carried into from_date
        -- (rr.usage_rating_state) and the arrivals read (rr.usage_arrival)
        CREATE TEMP TABLE rr_usage_from (
            contract_id bigint NOT NULL, line_no integer NOT NULL, from_date date, line_hash bigint NOT NULL,
            counter_from date, counter numeric, term_units numeric, term_value numeric, drawn numeric,
            marks bigint[],
            PRIMARY KEY (contract_id, line_no));
    END IF;
    IF rr_internal.claim_work_table('rr_usage_rated') THEN
        -- what this rating settles per metered line, for rr_internal.settle_usage
        CREATE TEMP TABLE rr_usage_rated (
            contract_id bigint NOT NULL, line_no integer NOT NULL, rated_to date NOT NULL, rating_hash bigint NOT NULL,
            counter_from date NOT NULL, counter numeric NOT NULL, term_units numeric NOT NULL, term_value numeric,
            drawn numeric,
            PRIMARY KEY (contract_id, line_no));
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_usage_line');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_usage_agg');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_usage_window');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_usage_from');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_usage_rated');

    EXECUTE $q$
        INSERT INTO rr_usage_line
        WITH c AS (
            SELECT c.* FROM rr.contract_billing_terms c
             WHERE c.tenant_id = $1 AND c.is_billed
               AND ($3 IS NULL OR c.contract_id = $3)
        )
        -- (a line without a billing period is on an on-demand contract: rated only when
        -- that one contract is billed, in windows from one request to the next, or once
        -- the contract is closed, when billing runs bill what it still owes)
        SELECT lv.*, lv.effective_from = lv.first_from
                     AND (lv.every IS NOT NULL OR $3 IS NOT NULL
                          OR EXISTS (SELECT FROM c WHERE c.contract_id = lv.contract_id
                                                     AND c.status IN ('expired', 'terminated', 'completed'))),
               CASE WHEN lv.effective_from = lv.first_from AND lv.every IS NOT NULL
                    THEN rr.billing_anchor(lv.alignment, lv.bill_from, lv.every) END
          FROM (
            -- the versions of the metered lines
            SELECT l.contract_id, l.line_no, l.effective_from, l.quantity AS line_quantity, l.recurring_price,
                   l.price_model, l.is_removed, coalesce(l.billing_period, c.contract_every) AS every,
                   lead(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from) AS valid_to,
                   min(l.effective_from) OVER (PARTITION BY l.contract_id, l.line_no) AS first_from,
                   ci.billing_type, ci.included_quantity, ci.extra_usage_price, ci.reset_usage, ci.usage_aggregation,
                   CASE WHEN coalesce(l.billing_period, c.contract_every) IS NULL THEN 0 ELSE ci.usage_grace_days END AS grace,
                   ci.deposit_amount, ci.retain_rate,
                   c.bill_from, c.bill_to, c.mu, c.alignment
              FROM c
              JOIN rr.contract_line l ON l.tenant_id = $1 AND l.contract_id = c.contract_id
              JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
             WHERE ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL OR ci.billing_type = 'deposit') lv
    $q$ USING tenant_id, as_of, only_contract;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_usage_line');

    -- Where each metered line is rated from (docs/usage.md, "What a run rates"): from what
    -- earlier runs rated it to (rr.usage_rating_state), with the counters carried into
    -- that date, when the fingerprint of its rating terms is still the one it was rated
    -- under and no event dated before that date arrived since (rr.usage_arrival); from the
    -- start otherwise, and always for a line without a billing period.  The arrivals are
    -- read here, before the events: every one read is of events the statements below see.
    EXECUTE $q$
        INSERT INTO rr_usage_from
        SELECT g.contract_id, g.line_no, s.rated_to, h.line_hash, s.counter_from, s.counter, s.term_units,
               s.term_value, s.drawn, m.marks
          FROM rr_usage_line g
          JOIN (SELECT v.contract_id, v.line_no,
                       -- the fingerprint: the line's versions and their contract items' terms
                       -- (rr_usage_line), the contract's billing dates, grid and currency,
                       -- and its renewals (where counters reset on renewal start)
                       bit_xor(hash_record_extended(
                           ROW(v.effective_from, v.line_quantity, v.recurring_price, v.price_model::text,
                               v.is_removed, v.every, v.billing_type, v.included_quantity, v.extra_usage_price,
                               v.reset_usage, v.usage_aggregation, v.grace, v.deposit_amount, v.retain_rate,
                               v.bill_from, v.bill_to, v.mu, v.alignment), 7)) AS h
                  FROM rr_usage_line v
                 GROUP BY v.contract_id, v.line_no) hv ON hv.contract_id = g.contract_id AND hv.line_no = g.line_no
          CROSS JOIN LATERAL (SELECT hv.h # coalesce(bit_xor(hash_record_extended(ROW(r.previous_end), 9)), 0) AS line_hash
                                FROM rr.contract_renewal r
                               WHERE r.tenant_id = $1 AND r.contract_id = g.contract_id) h
          CROSS JOIN LATERAL (SELECT min(a.usage_date) AS first_date, array_agg(a.event_id) AS marks
                                FROM rr.usage_arrival a
                               WHERE a.tenant_id = $1 AND a.contract_id = g.contract_id AND a.line_no = g.line_no) m
          LEFT JOIN rr.usage_rating_state s ON s.tenant_id = $1 AND s.contract_id = g.contract_id AND s.line_no = g.line_no
                                           AND g.every IS NOT NULL AND s.rating_hash = h.line_hash
                                           AND (m.first_date IS NULL OR m.first_date >= s.rated_to)
         WHERE g.is_grid
    $q$ USING tenant_id, as_of, only_contract;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_usage_from');
    SELECT bool_or(f.from_date IS NULL), min(f.from_date), max(f.from_date) INTO any_whole, first_from, last_from
      FROM pg_temp.rr_usage_from f;

    -- On-demand lines (no billing period): each request cuts a window.  The windows billed
    -- before end where their usage and drawdown charges end; the new one runs from the
    -- last of them (or the billing start) to as_of, when as_of is later (usage of as_of
    -- itself is complete only the day after, as a period's is), so a request dated before
    -- an earlier one never splits a window that was billed.
    EXECUTE $q$
        INSERT INTO rr_usage_window
        SELECT y.contract_id, y.line_no, daterange(y.lo, y.cut)
          FROM (SELECT x.contract_id, x.line_no, x.cut,
                       coalesce(lag(x.cut) OVER (PARTITION BY x.contract_id, x.line_no ORDER BY x.cut), x.bill_from) AS lo
                  FROM (SELECT g.contract_id, g.line_no, g.bill_from, c.cut
                          FROM rr_usage_line g
                          CROSS JOIN LATERAL (SELECT DISTINCT upper(ch.service_period) AS cut
                                                FROM rr.charge ch
                                               WHERE ch.tenant_id = $1 AND ch.contract_id = g.contract_id
                                                 AND ch.line_no = g.line_no AND ch.kind IN ('usage', 'drawdown')
                                                 AND ch.adjustment_seq = 0) c
                         WHERE g.is_grid AND g.every IS NULL
                        UNION
                        SELECT g.contract_id, g.line_no, g.bill_from, least($2, g.bill_to)
                          FROM rr_usage_line g
                         WHERE g.is_grid AND g.every IS NULL
                           AND least($2, g.bill_to) > coalesce((SELECT max(upper(ch.service_period)) FROM rr.charge ch
                                                                 WHERE ch.tenant_id = $1 AND ch.contract_id = g.contract_id
                                                                   AND ch.line_no = g.line_no
                                                                   AND ch.kind IN ('usage', 'drawdown')
                                                                   AND ch.adjustment_seq = 0), g.bill_from)) x) y
         WHERE y.cut > y.lo
    $q$ USING tenant_id, as_of, only_contract;

    -- The events, in two statements: those of the lines rated whole, and those from
    -- from_date on of the lines rated from there, with the least from_date as a constant,
    -- so that only the partitions from that month on are read.  Where every line is rated
    -- the same way (a first run: all whole; a monthly run: all from the same date), the
    -- statement does not join rr_usage_from at all: the planner then sees every event of
    -- the partitions it reads joined to its line, not a guessed third of them, and hashes
    -- them instead of sorting them.
    FOREACH whole IN ARRAY ARRAY[true, false] LOOP
        CONTINUE WHEN (whole AND NOT any_whole) OR (NOT whole AND first_from IS NULL);
        EXECUTE format($q$
            INSERT INTO rr_usage_agg
                -- the events of each billing period and line version (a version dated inside a
                -- period splits it: each part is rated under its own version)
                SELECT e.contract_id, e.line_no,
                       coalesce(rr.period_containing(e.usage_date, g.every, g.anchor),
                                (SELECT w.period FROM rr_usage_window w
                                  WHERE w.contract_id = e.contract_id AND w.line_no = e.line_no
                                    AND w.period @> e.usage_date)) AS period,
                       v.effective_from AS version_from,
                       sum(e.quantity) AS used_sum, max(e.quantity) AS used_max,
                       -- the quantity of the latest event (an ordered aggregate would force a sort of
                       -- all events; the maximum of [time, id, quantity] arrays does not)
                       (max(CASE WHEN g.usage_aggregation = 'last'
                                 THEN ARRAY[extract(epoch FROM e.occurred_at), e.event_id, e.quantity] END))[3] AS used_last,
                       count(*) AS events
                  FROM rr.usage_event e
                  JOIN rr_usage_line g ON g.contract_id = e.contract_id AND g.line_no = e.line_no AND g.is_grid
                  JOIN rr_usage_line v ON v.contract_id = e.contract_id AND v.line_no = e.line_no
                           AND v.effective_from <= greatest(e.usage_date, g.first_from)
                           AND (v.valid_to IS NULL OR v.valid_to > greatest(e.usage_date, g.first_from))
                  %s
                 WHERE e.tenant_id = $1
                   AND ($3 IS NULL OR e.contract_id = $3)
                   AND e.usage_date >= $5
                   -- events after a termination set later than they were recorded are not billed
                   AND (g.bill_to IS NULL OR e.usage_date < g.bill_to)
                   -- on an on-demand line, the events of a window (not those of as_of or later)
                   AND (g.every IS NOT NULL
                        OR EXISTS (SELECT FROM rr_usage_window w
                                    WHERE w.contract_id = e.contract_id AND w.line_no = e.line_no
                                      AND w.period @> e.usage_date))
                 GROUP BY e.contract_id, e.line_no, 3, v.effective_from
        $q$, CASE WHEN (whole AND first_from IS NULL) OR (NOT whole AND NOT any_whole AND first_from = last_from) THEN ''
                  ELSE 'JOIN rr_usage_from u ON u.contract_id = e.contract_id AND u.line_no = e.line_no
                                            AND (u.from_date IS NULL) = $4
                                            AND (u.from_date IS NULL OR e.usage_date >= u.from_date)' END)
        USING tenant_id, as_of, only_contract, whole, CASE WHEN whole THEN '-infinity' ELSE first_from END;
    END LOOP;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_usage_agg');

    -- The rating itself: for one contract, a plan made once per session and kept (the
    -- work tables then hold that contract's rows alone; planning the statement took 4-16 ms,
    -- running it well under one: src/planned.c); for a batch, a plan for its tables.
    rate := $q$
        WITH flat_period AS (
            -- a flat fee is due in every period of its line version, with usage or without: the
            -- periods of the line versions with a flat price model, through as_of
            SELECT g.contract_id, g.line_no, rr.period_containing(lower(bp), g.every, g.anchor) AS period,
                   v.effective_from AS version_from
              FROM rr_usage_line g
              JOIN rr_usage_line v ON v.contract_id = g.contract_id AND v.line_no = g.line_no AND g.is_grid
                       AND g.every IS NOT NULL
                       AND rr.pricing_model(v.price_model) = 'flat' AND NOT v.is_removed
              JOIN rr_usage_from u ON u.contract_id = g.contract_id AND u.line_no = g.line_no
              CROSS JOIN LATERAL rr.billing_periods(greatest(g.bill_from, v.effective_from, u.from_date),
                                                    least(v.valid_to, g.bill_to, $2), g.every, g.anchor) AS bp
        ), agg_all AS (
            SELECT * FROM rr_usage_agg
            UNION ALL
            SELECT f.contract_id, f.line_no, f.period, f.version_from, 0::numeric, 0::numeric, 0::numeric, 0::bigint
              FROM flat_period f
             WHERE NOT EXISTS (SELECT FROM rr_usage_agg a WHERE a.contract_id = f.contract_id AND a.line_no = f.line_no
                                  AND a.period = f.period AND a.version_from = f.version_from)
        ), p AS (
            -- each part of a billing period a line version is in force for, clipped to the term
            -- (its service period), and the period as billing starts it (base: a flat fee or a
            -- step of a part is that share of the base's days)
            SELECT a.contract_id, a.line_no, a.events, a.period, a.version_from,
                   a.period * daterange(g.bill_from, g.bill_to) * daterange(v.effective_from, v.valid_to) AS service_period,
                   a.period * daterange(g.bill_from, NULL) AS base,
                   CASE g.usage_aggregation WHEN 'sum' THEN a.used_sum WHEN 'max' THEN a.used_max ELSE a.used_last END AS used,
                   -- a peak or last level is its part's own; a sum counts from the start of
                   -- the period (reset on billing), of the term the period starts in (reset
                   -- on renewal) or of billing (never): rr_internal.usage_cycle_start_in
                   rr_internal.usage_cycle_start_in(g.usage_aggregation, g.reset_usage,
                                                    lower(a.period * daterange(g.bill_from, g.bill_to) * daterange(v.effective_from, v.valid_to)),
                                                    lower(a.period), g.bill_from, coalesce(ts.renewed, g.bill_from)) AS cycle,
                   g.billing_type, g.included_quantity, g.extra_usage_price, g.deposit_amount, g.grace, g.mu,
                   g.usage_aggregation, g.first_from, g.every, g.anchor, v.recurring_price, v.price_model, v.is_removed,
                   g.included_quantity * v.line_quantity AS included,
                   u.counter_from AS carried_from, u.counter AS carried, u.term_units AS carried_units,
                   u.term_value AS carried_value
              FROM agg_all a
              JOIN rr_usage_line g ON g.contract_id = a.contract_id AND g.line_no = a.line_no AND g.is_grid
              JOIN rr_usage_line v ON v.contract_id = a.contract_id AND v.line_no = a.line_no AND v.effective_from = a.version_from
              JOIN rr_usage_from u ON u.contract_id = a.contract_id AND u.line_no = a.line_no
              -- the start of the term the period is in, read for a sum reset on renewal only
              -- (the renewals read here, in the statement: a SQL function that read them, called
              -- per line, was a routed query per call on Citus; docs/scale-out.md, "Speed")
              LEFT JOIN LATERAL (SELECT max(r.previous_end) AS renewed
                                   FROM rr.contract_renewal r
                                  WHERE g.usage_aggregation = 'sum' AND g.reset_usage = 'on_renewal'
                                    AND r.tenant_id = $1 AND r.contract_id = a.contract_id
                                    AND r.previous_end > g.bill_from AND r.previous_end <= lower(a.period)
                                 OFFSET 0) ts ON true
        ), q AS (
            -- the counter of its cycle (with what the periods before from_date carried into it)
            SELECT p.*,
                   sum(p.used) OVER (PARTITION BY p.contract_id, p.line_no, p.cycle ORDER BY lower(p.service_period))
                   + CASE WHEN p.cycle = p.carried_from THEN p.carried ELSE 0 END AS cum
              FROM p
             WHERE NOT isempty(p.service_period)
               -- a period without events is rated only for a flat fee
               AND (p.events > 0 OR (rr.pricing_model(p.price_model) = 'flat' AND NOT p.is_removed))
        ), b AS (
            SELECT q.*, greatest(q.cum - q.included, 0) AS billable_to, greatest(q.cum - q.used - q.included, 0) AS billable_from,
                   -- models that price a quantity as a whole: the part's own billable quantity
                   -- (a flat fee and a step prorated by the part's share of the base's days)
                   CASE WHEN rr.pricing_model(q.price_model) IN ('flat', 'stairstep') AND q.service_period <> q.base
                            THEN rr.prorate_amount(rr.price(q.price_model, greatest(q.cum - q.included, 0)
                                                                           - greatest(q.cum - q.used - q.included, 0)),
                                                   q.service_period, q.base, 'actual', q.mu)
                        WHEN rr.pricing_model(q.price_model) IN ('flat', 'volume', 'stairstep')
                            THEN round(rr.price(q.price_model, greatest(q.cum - q.included, 0)
                                                               - greatest(q.cum - q.used - q.included, 0)), q.mu)
                   END AS whole_value
              FROM q
        ), bu AS (
            -- deposit lines: billable units cumulated over the term; under a model that prices a
            -- quantity as a whole (flat, volume, stairstep), the value drawn is the sum of each
            -- period's own price, so the deposit is drawn by what each period costs and a later
            -- period never gives back what an earlier one drew (a volume price of the cumulated
            -- units can fall as they grow)
            -- (with what the periods before from_date drew)
            SELECT b.*, sum(b.billable_to - b.billable_from) OVER (PARTITION BY b.contract_id, b.line_no
                                                                   ORDER BY lower(b.service_period))
                        + coalesce(b.carried_units, 0) AS term_units,
                   CASE WHEN b.billing_type = 'deposit' THEN b.whole_value END AS period_value,
                   rr_internal.add_carried(b.carried_value,
                                           sum(CASE WHEN b.billing_type = 'deposit' THEN b.whole_value END)
                                               OVER (PARTITION BY b.contract_id, b.line_no ORDER BY lower(b.service_period)))
                       AS term_value
              FROM b
        ), priced AS (
            SELECT bu.*,
                   CASE WHEN bu.billing_type <> 'deposit' THEN
                            CASE WHEN bu.whole_value IS NOT NULL
                                 -- models that price a quantity as a whole: the part's own
                                 -- billable quantity (never negative, earlier periods unchanged)
                                 THEN bu.whole_value
                                 -- models whose price only grows with the quantity: the counter's
                                 -- increment, so tiers apply to the counter
                                 WHEN bu.price_model IS NOT NULL
                                 THEN round(rr.price(bu.price_model, bu.billable_to), bu.mu)
                                      - round(rr.price(bu.price_model, bu.billable_from), bu.mu)
                                 ELSE round(bu.billable_to * bu.extra_usage_price, bu.mu)
                                      - round(bu.billable_from * bu.extra_usage_price, bu.mu) END
                   END AS usage_amount,
                   CASE WHEN bu.term_value IS NOT NULL THEN
                            ROW(least(bu.term_value, bu.deposit_amount),
                                bu.term_value - least(bu.term_value, bu.deposit_amount))::rr.deposit_part
                        WHEN bu.billing_type = 'deposit' THEN
                       rr_internal.deposit_split(bu.term_units, bu.deposit_amount, bu.recurring_price, bu.extra_usage_price,
                                        bu.price_model, bu.mu) END AS dep_to,
                   CASE WHEN bu.term_value IS NOT NULL THEN
                            ROW(least(bu.term_value - bu.period_value, bu.deposit_amount),
                                bu.term_value - bu.period_value - least(bu.term_value - bu.period_value, bu.deposit_amount))::rr.deposit_part
                        WHEN bu.billing_type = 'deposit' THEN
                       rr_internal.deposit_split(bu.term_units - (bu.billable_to - bu.billable_from), bu.deposit_amount,
                                        bu.recurring_price, bu.extra_usage_price, bu.price_model, bu.mu) END AS dep_from
              FROM bu
        ), due AS (
            SELECT pr.contract_id, pr.line_no, pr.version_from, 'usage'::text AS kind, pr.service_period,
                   pr.used AS quantity,
                   CASE WHEN pr.price_model IS NOT NULL THEN NULL
                        WHEN pr.billing_type = 'deposit' THEN pr.recurring_price ELSE pr.extra_usage_price END AS unit_price,
                   coalesce(pr.usage_amount, (pr.dep_to).drawn - (pr.dep_from).drawn
                                             + (pr.dep_to).overage - (pr.dep_from).overage) AS amount,
                   upper(pr.service_period) + pr.grace AS due_date,
                   jsonb_strip_nulls(jsonb_build_object(
                       'events', pr.events, 'aggregation', pr.usage_aggregation, 'used', pr.used,
                       'included', pr.included, 'billable', pr.billable_to - pr.billable_from,
                       'counter_since', CASE WHEN pr.cycle <> lower(pr.service_period) THEN pr.cycle END,
                       'counter', CASE WHEN pr.cycle <> lower(pr.service_period) THEN pr.cum END,
                       'billable_from', CASE WHEN pr.billable_from > 0 THEN pr.billable_from END,
                       'deposit', pr.deposit_amount, 'deposit_drawn', (pr.dep_to).drawn,
                       'deposit_remaining', pr.deposit_amount - (pr.dep_to).drawn)) AS detail,
                   pr.period AS full_period, pr.grace
              FROM priced pr
            UNION ALL
            SELECT pr.contract_id, pr.line_no, pr.version_from, 'drawdown', pr.service_period, NULL, NULL,
                   (pr.dep_from).drawn - (pr.dep_to).drawn, upper(pr.service_period) + pr.grace,
                   jsonb_build_object('deposit', pr.deposit_amount, 'deposit_drawn', (pr.dep_to).drawn,
                                      'deposit_remaining', pr.deposit_amount - (pr.dep_to).drawn),
                   pr.period, pr.grace
              FROM priced pr
             WHERE pr.billing_type = 'deposit'
            UNION ALL
            -- the end of a deposit's term: release what is left, keep retain_rate of it
            SELECT s.contract_id, s.line_no, s.effective_from, x.kind, daterange(s.bill_from, s.bill_to), NULL, NULL,
                   x.amount, s.bill_to + s.grace,
                   jsonb_build_object('deposit', s.deposit_amount, 'deposit_drawn', s.drawn,
                                      'unused', s.deposit_amount - s.drawn, 'retain_rate', coalesce(s.retain_rate, 1)),
                   coalesce(rr.period_containing(s.bill_from, s.every, s.anchor), daterange(s.bill_from, s.bill_from + 1)),
                   s.grace
              FROM (SELECT g.*, coalesce(dl.drawn, u.drawn, 0) AS drawn
                      FROM rr_usage_line g
                      JOIN rr_usage_from u ON u.contract_id = g.contract_id AND u.line_no = g.line_no
                      LEFT JOIN (SELECT DISTINCT ON (pr.contract_id, pr.line_no) pr.contract_id, pr.line_no,
                                        (pr.dep_to).drawn AS drawn
                                   FROM priced pr
                                  WHERE pr.billing_type = 'deposit'
                                  ORDER BY pr.contract_id, pr.line_no, lower(pr.service_period) DESC) dl
                             ON dl.contract_id = g.contract_id AND dl.line_no = g.line_no
                     WHERE g.is_grid AND g.billing_type = 'deposit' AND g.bill_to IS NOT NULL
                       AND g.bill_to + g.grace <= $2) s
              CROSS JOIN LATERAL (VALUES
                  ('release', s.drawn - s.deposit_amount),
                  ('breakage', round((s.deposit_amount - s.drawn) * coalesce(s.retain_rate, 1), s.mu))) AS x(kind, amount)
        ), charged AS (
            -- the charges of the periods rated: every usage charge of a line rated whole; of a
            -- line rated from from_date, those of its periods from then on (by the charge key,
            -- per line version and kind) and its deposit's release and breakage
            SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, ch.service_period, ch.quantity,
                   ch.amount, ch.adjustment_seq
              FROM rr.charge ch
              JOIN rr_usage_from u ON u.contract_id = ch.contract_id AND u.line_no = ch.line_no AND u.from_date IS NULL
             WHERE ch.tenant_id = $1
               AND ($3 IS NULL OR ch.contract_id = $3)
               AND ch.kind IN ('usage', 'drawdown', 'release', 'breakage')
            UNION ALL
            SELECT v.contract_id, v.line_no, v.effective_from, k.kind, ch.service_period, ch.quantity, ch.amount,
                   ch.adjustment_seq
              FROM rr_usage_from u
              JOIN rr_usage_line v ON v.contract_id = u.contract_id AND v.line_no = u.line_no
              CROSS JOIN (VALUES ('usage'), ('drawdown'), ('release'), ('breakage')) k (kind)
              -- (by the charge key, an index range per line version and kind; written out
              -- rather than a call of a SQL function, which a single node inlines and Citus,
              -- rewritten as PL/pgSQL, ran as a routed query per line version and kind:
              -- docs/scale-out.md, "Speed"; OFFSET 0 keeps it a scan of its own)
              CROSS JOIN LATERAL (
                     SELECT ch.service_period, ch.quantity, ch.amount, ch.adjustment_seq
                       FROM rr.charge ch
                      WHERE ch.tenant_id = $1 AND ch.contract_id = v.contract_id AND ch.line_no = v.line_no
                        AND ch.line_effective_from = v.effective_from AND ch.kind = k.kind
                        AND ch.service_period >= rr_internal.ranges_from(
                                CASE WHEN k.kind IN ('usage', 'drawdown') THEN u.from_date END)
                     OFFSET 0) ch
             WHERE u.from_date IS NOT NULL
        ), billed AS (
            -- what is charged per line version, kind and billing period, corrections included,
            -- and the service period first charged
            SELECT ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind,
                   CASE WHEN g.every IS NOT NULL THEN rr.period_containing(lower(ch.service_period), g.every, g.anchor)
                        WHEN ch.kind IN ('release', 'breakage') THEN daterange(g.bill_from, g.bill_from + 1)
                        ELSE (SELECT w.period FROM rr_usage_window w
                               WHERE w.contract_id = ch.contract_id AND w.line_no = ch.line_no
                                 AND w.period @> lower(ch.service_period)) END AS full_period,
                   sum(ch.quantity) AS quantity, sum(ch.amount) AS amount, max(ch.adjustment_seq) AS seq,
                   (array_agg(ch.service_period ORDER BY ch.adjustment_seq))[1] AS first_period, min(g.grace) AS grace
              FROM charged ch
              JOIN rr_usage_line g ON g.contract_id = ch.contract_id AND g.line_no = ch.line_no AND g.is_grid
             GROUP BY ch.contract_id, ch.line_no, ch.line_effective_from, ch.kind, 5
        ), rated AS (
            -- what this rating settles per line with a billing period: every period that ends
            -- by as_of less the grace days is billed by this run, so the line is rated to the
            -- start of the period that contains that day, with the counters carried into it
            -- (rr_internal.settle_usage records them for the contracts the run billed); a
            -- line rated from a later date keeps its state
            INSERT INTO rr_usage_rated
            SELECT x.contract_id, x.line_no, x.rated_to, x.line_hash, x.counter_from,
                   CASE WHEN x.counter_from = x.carried_from THEN x.carried ELSE 0 END
                   + coalesce(sum(pr.used) FILTER (WHERE pr.cycle = x.counter_from), 0),
                   coalesce(x.carried_units, 0) + coalesce(sum(pr.billable_to - pr.billable_from), 0),
                   rr_internal.add_carried(x.carried_value, sum(pr.period_value)),
                   coalesce((array_agg((pr.dep_to).drawn ORDER BY lower(pr.service_period) DESC))[1], x.drawn)
              FROM (SELECT g.contract_id, g.line_no, u.line_hash, u.from_date,
                           u.counter_from AS carried_from, u.counter AS carried, u.term_units AS carried_units,
                           u.term_value AS carried_value, u.drawn, t.rated_to,
                           rr_internal.usage_cycle_start_in(g.usage_aggregation, g.reset_usage, t.rated_to, t.rated_to,
                                                            g.bill_from, coalesce(ts.renewed, g.bill_from)) AS counter_from
                      FROM rr_usage_line g
                      JOIN rr_usage_from u ON u.contract_id = g.contract_id AND u.line_no = g.line_no
                      CROSS JOIN LATERAL (SELECT lower(rr.period_containing($2 - g.grace, g.every, g.anchor)) AS rated_to) t
                      -- (the term's start as for the periods above)
                      LEFT JOIN LATERAL (SELECT max(r.previous_end) AS renewed
                                           FROM rr.contract_renewal r
                                          WHERE g.usage_aggregation = 'sum' AND g.reset_usage = 'on_renewal'
                                            AND r.tenant_id = $1 AND r.contract_id = g.contract_id
                                            AND r.previous_end > g.bill_from AND r.previous_end <= t.rated_to
                                         OFFSET 0) ts ON true
                     WHERE g.is_grid AND g.every IS NOT NULL
                       AND (u.from_date IS NULL OR t.rated_to > u.from_date)) x
              LEFT JOIN priced pr ON pr.contract_id = x.contract_id AND pr.line_no = x.line_no
                                 AND lower(pr.service_period) < x.rated_to
             GROUP BY x.contract_id, x.line_no, x.rated_to, x.line_hash, x.counter_from, x.carried_from, x.carried,
                      x.carried_units, x.carried_value, x.drawn
        ), diff AS (
            -- what is due now against what is charged, per line version, kind and billing
            -- period: new charges; late events and changes inside a charged period (a version
            -- dated inside it, a termination) as the difference, under the next adjustment
            -- sequence, for the days from the first one that changed (else the period as first
            -- charged); what a version no longer owes (it no longer covers the period) credited
            SELECT coalesce(d.contract_id, bl.contract_id) AS contract_id, coalesce(d.line_no, bl.line_no) AS line_no,
                   coalesce(d.version_from, bl.line_effective_from) AS version_from, coalesce(d.kind, bl.kind) AS kind,
                   CASE WHEN bl.seq IS NULL THEN d.service_period
                        WHEN d.service_period IS NOT NULL AND upper(d.service_period) > lower(bl.first_period)
                             AND upper(d.service_period) < upper(bl.first_period)
                            THEN daterange(upper(d.service_period), upper(bl.first_period))
                        ELSE coalesce(d.service_period, bl.first_period) END AS service_period,
                   coalesce(bl.seq + 1, 0) AS seq,
                   d.quantity AS due_quantity, d.amount AS due_amount, bl.quantity AS billed_quantity,
                   bl.amount AS billed_amount, d.unit_price, d.detail, bl.seq AS billed_seq,
                   coalesce(d.grace, bl.grace) AS grace
              FROM due d
              FULL JOIN billed bl ON bl.contract_id = d.contract_id AND bl.line_no = d.line_no
                                 AND bl.line_effective_from = d.version_from AND bl.kind = d.kind
                                 AND bl.full_period = d.full_period
        )
        SELECT x.contract_id, x.line_no, x.version_from, x.kind, x.service_period, x.seq::bigint,
               CASE WHEN x.billed_seq IS NULL OR (x.due_quantity IS NULL AND x.billed_quantity IS NULL) THEN x.due_quantity
                    ELSE coalesce(x.due_quantity, 0) - coalesce(x.billed_quantity, 0) END,
               x.unit_price, coalesce(x.due_amount, 0) - coalesce(x.billed_amount, 0),
               upper(x.service_period) + x.grace,
               CASE WHEN x.billed_seq IS NULL THEN x.detail
                    ELSE coalesce(x.detail, '{}') || jsonb_build_object(
                             CASE WHEN x.due_amount IS NULL THEN 'credited' ELSE 'late' END, true, 'billed_before',
                             jsonb_strip_nulls(jsonb_build_object('quantity', x.billed_quantity, 'amount', x.billed_amount))) END
          FROM diff x
         WHERE upper(x.service_period) + x.grace <= $2
           AND CASE WHEN x.billed_seq IS NULL THEN x.kind = 'usage' OR x.due_amount <> 0
                    ELSE coalesce(x.due_amount, 0) <> x.billed_amount
                         OR x.due_quantity IS DISTINCT FROM x.billed_quantity END
    $q$;
    IF only_contract IS NULL THEN
        RETURN QUERY EXECUTE rate USING tenant_id, as_of, only_contract;
    ELSE
        RETURN QUERY SELECT * FROM rr_internal.run_statement(rate, tenant_id, as_of, only_contract)
                                   AS s (contract_id bigint, line_no integer, line_effective_from date, kind text,
                                         service_period daterange, adjustment_seq bigint, quantity numeric,
                                         unit_price numeric, amount numeric, due_date date, detail jsonb);
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.usage_charges(text, date, bigint) IS 'internal: the usage, deposit drawdown, deposit release and breakage charges due by as_of for the tenant''s contracts (or one of them) and not billed yet (late events: the difference, under the next adjustment sequence, with the original service period), with their rating detail; each metered line with a billing period is rated from what earlier runs rated it to (rr.usage_rating_state) while its rating terms are unchanged and no event dated before that arrived (rr.usage_arrival), else from its start; what the call rated to is left for rr_internal.settle_usage';

-- Record what a billing run's rating settled (rr.usage_rating_state), for the contracts the
-- run locked and billed, from the work tables rr_internal.usage_charges filled in the run's
-- statement; and delete the arrivals of events that rating read (rr.usage_arrival: those
-- that arrived while it ran stay for the next run).  The work table holds a line only when
-- this rating moved it past its state (rated whole, or to a later date than it was rated
-- from), so a state is replaced, never moved back.
CREATE FUNCTION rr_internal.settle_usage(tenant_id text, contracts bigint[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rr.usage_rating_state AS s (tenant_id, contract_id, line_no, rated_to, rating_hash, counter_from, counter,
                                            term_units, term_value, drawn)
    SELECT settle_usage.tenant_id, r.contract_id, r.line_no, r.rated_to, r.rating_hash, r.counter_from, r.counter,
           r.term_units, r.term_value, r.drawn
      FROM pg_temp.rr_usage_rated r
     WHERE r.contract_id = ANY (contracts)
     ORDER BY r.contract_id, r.line_no
    ON CONFLICT ON CONSTRAINT usage_rating_state_pkey DO UPDATE
       SET rated_to = excluded.rated_to, rating_hash = excluded.rating_hash, counter_from = excluded.counter_from,
           counter = excluded.counter, term_units = excluded.term_units, term_value = excluded.term_value,
           drawn = excluded.drawn;
    -- (the arrivals of the contracts billed only, by their key: joined with the work table
    -- alone, billing one contract read the arrivals of the whole tenant; test/plans)
    DELETE FROM rr.usage_arrival a
     USING (SELECT f.contract_id, f.line_no, unnest(f.marks) AS event_id
              FROM pg_temp.rr_usage_from f
             WHERE f.contract_id = ANY (contracts) AND f.marks IS NOT NULL) m
     WHERE a.tenant_id = settle_usage.tenant_id AND a.contract_id = ANY (contracts)
       AND a.contract_id = m.contract_id AND a.line_no = m.line_no AND a.event_id = m.event_id;
END
$$;
COMMENT ON FUNCTION rr_internal.settle_usage(text, bigint[]) IS 'internal: records, for the contracts a billing run billed, what its usage rating settled per metered line (rr.usage_rating_state) and deletes the arrivals of the events it read (rr.usage_arrival)';
REVOKE ALL ON FUNCTION rr_internal.settle_usage(text, bigint[]) FROM PUBLIC;
