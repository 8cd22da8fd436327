-- Revenue reports (docs/reports.md): the deferred revenue roll-forward from the journal,
-- remaining performance obligations and the revenue forecast from the revenue schedules.
--
-- When a posting counts.  A journal entry goes into the fiscal period of its date, or into
-- the first open period after it when that one is closed (rr_internal.posting_period).  The
-- reports count an entry from its booking date, the later of its date and the first day of
-- the period it went into: so a period, once closed, reports the same forever, and a late
-- posting shows in the period that took it, never back-dated into a closed one.

CREATE FUNCTION rr_internal.booking_date(entry_date date, period_start date)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN GREATEST(entry_date, period_start);
COMMENT ON FUNCTION rr_internal.booking_date(date, date) IS 'internal: the date from which the reports count a journal entry: the later of its date and the first day of the fiscal period it was posted into (a posting into a later open period is never back-dated into a closed one)';
REVOKE ALL ON FUNCTION rr_internal.booking_date(date, date) FROM PUBLIC;

-- The roll-forward of the contract balances over [from_date, to_date), per balance, account
-- and currency: deferred revenue (contract liability: the deferred accounts of the tenant's
-- performance obligations, credit balances shown positive), unbilled receivable (1150) and
-- contract asset (1160) (debit balances shown positive): opening balance, what invoices,
-- credit notes, recognition runs and other postings moved, closing balance.
CREATE FUNCTION rr.contract_balance_rollforward(from_date date, to_date date)
RETURNS TABLE (balance text, account text, account_name text, currency char(3), opening numeric, billed numeric,
               credited numeric, recognised numeric, other numeric, closing numeric)
LANGUAGE sql STABLE STRICT ROWS 5
BEGIN ATOMIC
    WITH acct AS (
        SELECT DISTINCT 'deferred_revenue' AS balance, o.deferred_account AS account, -1 AS sign
          FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
        UNION ALL
        SELECT v.balance, v.account, 1
          FROM (VALUES ('unbilled_receivable', '1150'), ('contract_asset', '1160')) AS v (balance, account)
    ), mv AS (
        SELECT a.balance, j.account, j.currency, e.source,
               rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) contract_balance_rollforward.from_date AS before,
               a.sign OPERATOR(pg_catalog.*) (j.debit OPERATOR(pg_catalog.-) j.credit) AS amount
          FROM rr.journal_line j
          JOIN acct a ON a.account OPERATOR(pg_catalog.=) j.account
          JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) j.tenant_id
                                 AND e.entry_id OPERATOR(pg_catalog.=) j.entry_id
         WHERE (SELECT rr_internal.check_report_window(contract_balance_rollforward.from_date, contract_balance_rollforward.to_date))
           AND j.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) contract_balance_rollforward.to_date
    ), s AS (
        SELECT m.balance, m.account, m.currency,
               coalesce(sum(m.amount) FILTER (WHERE m.before), 0) AS opening,
               coalesce(sum(m.amount) FILTER (WHERE NOT m.before AND m.source OPERATOR(pg_catalog.=) 'invoice'), 0) AS billed,
               coalesce(sum(m.amount) FILTER (WHERE NOT m.before AND m.source OPERATOR(pg_catalog.=) 'credit_note'), 0) AS credited,
               coalesce(sum(m.amount) FILTER (WHERE NOT m.before AND m.source OPERATOR(pg_catalog.=) 'recognition'), 0) AS recognised,
               coalesce(sum(m.amount) FILTER (WHERE NOT m.before AND m.source OPERATOR(pg_catalog.<>) ALL (ARRAY['invoice', 'credit_note', 'recognition'])), 0) AS other,
               sum(m.amount) AS closing
          FROM mv m
         GROUP BY m.balance, m.account, m.currency
    )
    SELECT s.balance, s.account, a.name, s.currency, s.opening, s.billed, s.credited, s.recognised, s.other, s.closing
      FROM s
      JOIN rr.account a ON a.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                       AND a.code OPERATOR(pg_catalog.=) s.account
     ORDER BY s.balance, s.account, s.currency;
END;
COMMENT ON FUNCTION rr.contract_balance_rollforward(date, date) IS 'roll-forward of the contract balances over [from_date, to_date) from the journal by booking date, per balance (deferred_revenue: the deferred accounts of the performance obligations, a credit balance shown positive; unbilled_receivable: 1150 and contract_asset: 1160, debit balances shown positive), account and currency: opening + billed (invoices) + credited (credit notes) + recognised (recognition runs) + other = closing, exactly (docs/reports.md, "Deferred revenue")';
REVOKE ALL ON FUNCTION rr.contract_balance_rollforward(date, date) FROM PUBLIC;

-- The same roll-forward for each calendar month of [from_date, to_date) in one call (one
-- pass over the journal instead of one per month): a row per month, balance, account and
-- currency, the first and last months cut to from_date and to_date; each row is what
-- rr.contract_balance_rollforward answers for its month.
CREATE FUNCTION rr.contract_balance_rollforward_by_month(from_date date, to_date date)
RETURNS TABLE (month date, balance text, account text, account_name text, currency char(3), opening numeric,
               billed numeric, credited numeric, recognised numeric, other numeric, closing numeric)
LANGUAGE sql STABLE STRICT ROWS 60
BEGIN ATOMIC
    WITH w AS (
        -- the windows: each calendar month, cut to [from_date, to_date)
        SELECT m::date AS month,
               LEAST((m OPERATOR(pg_catalog.+) '1 mon'::interval)::date, contract_balance_rollforward_by_month.to_date) AS stop
          FROM generate_series(date_trunc('month', contract_balance_rollforward_by_month.from_date),
                               contract_balance_rollforward_by_month.to_date OPERATOR(pg_catalog.-) 1, '1 mon'::interval) m
         WHERE (SELECT rr_internal.check_report_month_range(contract_balance_rollforward_by_month.from_date,
                                                            contract_balance_rollforward_by_month.to_date))
    ), acct AS (
        SELECT DISTINCT 'deferred_revenue' AS balance, o.deferred_account AS account, -1 AS sign
          FROM rr.performance_obligation o
         WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
        UNION ALL
        SELECT v.balance, v.account, 1
          FROM (VALUES ('unbilled_receivable', '1150'), ('contract_asset', '1160')) AS v (balance, account)
    ), mv AS (
        -- one pass over the journal lines of those accounts, grouped as a plain query would
        -- group them: per account, currency, source and month of the window (NULL: before
        -- it), with the first booking date
        SELECT j.account, j.currency, e.source,
               CASE WHEN rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.>=) contract_balance_rollforward_by_month.from_date
                    THEN date_trunc('month', rr_internal.booking_date(e.entry_date, e.period_start))::date END AS month,
               min(rr_internal.booking_date(e.entry_date, e.period_start)) AS first_booked,
               sum(j.debit OPERATOR(pg_catalog.-) j.credit) AS amount
          FROM rr.journal_line j
          JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) j.tenant_id
                                 AND e.entry_id OPERATOR(pg_catalog.=) j.entry_id
         WHERE j.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND j.account OPERATOR(pg_catalog.=) ANY ((SELECT array_agg(a.account) FROM acct a)::text[])
           AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<) contract_balance_rollforward_by_month.to_date
         GROUP BY j.account, j.currency, e.source, 4
    ), g AS (
        -- per balance, account, currency and month, what each source moved
        SELECT a.balance, m.account, m.currency, m.month, min(m.first_booked) AS first_booked,
               sum(a.sign OPERATOR(pg_catalog.*) m.amount) AS total,
               coalesce(sum(a.sign OPERATOR(pg_catalog.*) m.amount) FILTER (WHERE m.source OPERATOR(pg_catalog.=) 'invoice'), 0) AS billed,
               coalesce(sum(a.sign OPERATOR(pg_catalog.*) m.amount) FILTER (WHERE m.source OPERATOR(pg_catalog.=) 'credit_note'), 0) AS credited,
               coalesce(sum(a.sign OPERATOR(pg_catalog.*) m.amount) FILTER (WHERE m.source OPERATOR(pg_catalog.=) 'recognition'), 0) AS recognised,
               coalesce(sum(a.sign OPERATOR(pg_catalog.*) m.amount)
                        FILTER (WHERE m.source OPERATOR(pg_catalog.<>) ALL (ARRAY['invoice', 'credit_note', 'recognition'])), 0) AS other
          FROM mv m
          JOIN acct a ON a.account OPERATOR(pg_catalog.=) m.account
         GROUP BY a.balance, m.account, m.currency, m.month
    ), k AS (
        SELECT g.balance, g.account, g.currency, min(g.first_booked) AS first_booked,
               coalesce(sum(g.total) FILTER (WHERE g.month IS NULL), 0) AS before
          FROM g
         GROUP BY g.balance, g.account, g.currency
    ), r AS (
        -- a row for each window that ends after the first posting, as the monthly call gives
        SELECT w.month, k.balance, k.account, k.currency, coalesce(g.total, 0) AS total,
               coalesce(g.billed, 0) AS billed, coalesce(g.credited, 0) AS credited,
               coalesce(g.recognised, 0) AS recognised, coalesce(g.other, 0) AS other,
               k.before OPERATOR(pg_catalog.+)
               coalesce(sum(g.total) OVER (PARTITION BY k.balance, k.account, k.currency ORDER BY w.month
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS opening
          FROM k
          JOIN w ON k.first_booked OPERATOR(pg_catalog.<) w.stop
          LEFT JOIN g ON g.balance OPERATOR(pg_catalog.=) k.balance AND g.account OPERATOR(pg_catalog.=) k.account
                     AND g.currency OPERATOR(pg_catalog.=) k.currency AND g.month OPERATOR(pg_catalog.=) w.month
    )
    SELECT r.month, r.balance, r.account, a.name, r.currency, r.opening, r.billed, r.credited, r.recognised, r.other,
           r.opening OPERATOR(pg_catalog.+) r.total
      FROM r
      JOIN rr.account a ON a.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                       AND a.code OPERATOR(pg_catalog.=) r.account
     ORDER BY r.month, r.balance, r.account, r.currency;
END;
COMMENT ON FUNCTION rr.contract_balance_rollforward_by_month(date, date) IS 'rr.contract_balance_rollforward for each calendar month of [from_date, to_date) in one pass over the journal: one row per month (its first day; the first and last months cut to the window), balance, account and currency, each the same as the monthly call; at most 1200 months (docs/reports.md, "Deferred revenue")';
REVOKE ALL ON FUNCTION rr.contract_balance_rollforward_by_month(date, date) FROM PUBLIC;

-- The deferred revenue part of it.
CREATE FUNCTION rr.deferred_revenue_rollforward(from_date date, to_date date)
RETURNS TABLE (account text, account_name text, currency char(3), opening numeric, billed numeric,
               credited numeric, recognised numeric, other numeric, closing numeric)
LANGUAGE sql STABLE STRICT ROWS 5
BEGIN ATOMIC
    SELECT r.account, r.account_name, r.currency, r.opening, r.billed, r.credited, r.recognised, r.other, r.closing
      FROM rr.contract_balance_rollforward(deferred_revenue_rollforward.from_date, deferred_revenue_rollforward.to_date) r
     WHERE r.balance OPERATOR(pg_catalog.=) 'deferred_revenue'
     ORDER BY r.account, r.currency;
END;
COMMENT ON FUNCTION rr.deferred_revenue_rollforward(date, date) IS 'deferred revenue roll-forward over [from_date, to_date) per deferred revenue account and currency, from the journal by booking date: opening + billed (invoices) + credited (credit notes, negative) + recognised (released to revenue, negative) + other = closing, exactly; balances are credit balances shown positive; the deferred_revenue rows of rr.contract_balance_rollforward (docs/reports.md, "Deferred revenue")';
REVOKE ALL ON FUNCTION rr.deferred_revenue_rollforward(date, date) FROM PUBLIC;

CREATE VIEW rr.deferred_revenue_this_month WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, date_trunc('month', current_date)::date AS from_date,
       current_date OPERATOR(pg_catalog.+) 1 AS to_date, r.*
  FROM rr.deferred_revenue_rollforward(date_trunc('month', current_date)::date, current_date OPERATOR(pg_catalog.+) 1) r;
COMMENT ON VIEW rr.deferred_revenue_this_month IS 'the deferred revenue roll-forward of the current month to date: rr.deferred_revenue_rollforward(first day of this month, tomorrow)';
COMMENT ON COLUMN rr.deferred_revenue_this_month.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.deferred_revenue_this_month.from_date IS 'first day of the window: the first day of the current month';
COMMENT ON COLUMN rr.deferred_revenue_this_month.to_date IS 'end of the window (exclusive): tomorrow';
COMMENT ON COLUMN rr.deferred_revenue_this_month.account IS 'a deferred revenue (contract liability) account of the tenant''s performance obligations';
COMMENT ON COLUMN rr.deferred_revenue_this_month.account_name IS 'the account''s name';
COMMENT ON COLUMN rr.deferred_revenue_this_month.currency IS 'the currency of the postings';
COMMENT ON COLUMN rr.deferred_revenue_this_month.opening IS 'balance booked before the window (a credit balance, positive)';
COMMENT ON COLUMN rr.deferred_revenue_this_month.billed IS 'added by posted invoices in the window';
COMMENT ON COLUMN rr.deferred_revenue_this_month.credited IS 'taken back by credit notes in the window (negative)';
COMMENT ON COLUMN rr.deferred_revenue_this_month.recognised IS 'released to revenue by recognition runs in the window (negative)';
COMMENT ON COLUMN rr.deferred_revenue_this_month.other IS 'any other posting to the account in the window (manual entries)';
COMMENT ON COLUMN rr.deferred_revenue_this_month.closing IS 'balance at the end of the window: opening + billed + credited + recognised + other';

-- First in, first out over the pools' postings (src/waterfall.c): an aggregate over the
-- journal lines of the deferred revenue accounts, ordered by pool and, within a pool,
-- oldest first, that nets each entry, merges the running total of the pool's credits with
-- that of its debits as the entries arrive, and sums what each debit takes from each
-- credit per currency, account, billing month and month at once.
CREATE TYPE rr_internal.waterfall_cell AS (currency char(3), account text, billing_month date, month date,
                                           deferred numeric, recognised numeric, credited numeric, other numeric);
COMMENT ON TYPE rr_internal.waterfall_cell IS 'internal: the sums of rr_internal.fifo_waterfall for one currency, deferred revenue account, billing month and month: deferred (the credits of the billing month), and what debits of the month took from them, first in, first out, by source: recognised, credited, other';

CREATE FUNCTION rr_internal.fifo_waterfall_step(state internal, pool bigint, account text, currency character,
                                                entry_id bigint, month date, source text, amount numeric)
RETURNS internal
AS 'MODULE_PATHNAME', 'rr_fifo_waterfall_step'
LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION rr_internal.fifo_waterfall_step(internal, bigint, text, character, bigint, date, text, numeric) IS 'internal: transition of rr_internal.fifo_waterfall: one journal line (amount: credit positive, debit negative) of a pool (a contract, account and currency), the lines coming pool by pool and, within a pool, oldest first with each entry''s lines together; a line with a NULL argument is left out';
REVOKE ALL ON FUNCTION rr_internal.fifo_waterfall_step(internal, bigint, text, character, bigint, date, text, numeric) FROM PUBLIC;

CREATE FUNCTION rr_internal.fifo_waterfall_final(state internal)
RETURNS rr_internal.waterfall_cell[]
AS 'MODULE_PATHNAME', 'rr_fifo_waterfall_final'
LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION rr_internal.fifo_waterfall_final(internal) IS 'internal: final function of rr_internal.fifo_waterfall: the sums per currency, account, billing month and month, in no order';
REVOKE ALL ON FUNCTION rr_internal.fifo_waterfall_final(internal) FROM PUBLIC;

CREATE AGGREGATE rr_internal.fifo_waterfall(pool bigint, account text, currency character, entry_id bigint,
                                            month date, source text, amount numeric) (
    SFUNC = rr_internal.fifo_waterfall_step,
    STYPE = internal,
    FINALFUNC = rr_internal.fifo_waterfall_final,
    FINALFUNC_MODIFY = READ_WRITE
);
COMMENT ON AGGREGATE rr_internal.fifo_waterfall(bigint, text, character, bigint, date, text, numeric) IS 'internal: the deferred revenue waterfall''s first in, first out, over journal lines that must be fed ORDER BY pool, account, currency, booking date, entry (amount: credit positive, debit negative; month: the entry''s booking month; source: the entry''s): each entry netted; per pool, each credit deferred in its month, and each debit taking from each credit whose range on the credits'' running total overlaps its own range on the debits'' the overlap, in the later of the two months, as recognised (source recognition), credited (credit_note) or other; the sums per currency, account, billing month and month (rr_internal.waterfall_cell), in no order; NULL without lines';
REVOKE ALL ON FUNCTION rr_internal.fifo_waterfall(bigint, text, character, bigint, date, text, numeric) FROM PUBLIC;

-- The deferred revenue waterfall by billing month: the deferred revenue each month's
-- postings created (the billing month: mostly invoices), and what of it later postings took
-- away, month by month, until what is still deferred as of a date.  Per contract, deferred
-- revenue account and currency, the postings are netted per journal entry and taken first
-- in, first out: each entry that debits the account takes from the oldest credits not yet
-- taken (a running total of the credits against a running total of the debits, both by
-- booking date and entry), so every amount taken belongs to one billing month.  Posted
-- data only, by booking date (as the roll-forward): as of a date it answers what it
-- answered on that date.  Rows only for the months in which a billing month's deferred
-- revenue was created or taken from (docs/reports.md, "Deferred revenue waterfall").
CREATE FUNCTION rr.deferred_revenue_waterfall(as_of date)
RETURNS TABLE (currency char(3), account text, billing_month date, month date, months_after integer,
               deferred numeric, recognised numeric, credited numeric, other numeric, remaining numeric)
LANGUAGE sql STABLE STRICT ROWS 200
BEGIN ATOMIC
    WITH s AS (
        -- the journal lines of the deferred revenue accounts (credit positive), as a plain
        -- scan reads them, fed to the first in, first out pool by pool, oldest first; one
        -- sort of the lines, no row per part (rr_internal.fifo_waterfall)
        SELECT c.*
          FROM (SELECT rr_internal.fifo_waterfall(coalesce(j.contract_id, 0), j.account, j.currency, e.entry_id,
                                                  date_trunc('month', rr_internal.booking_date(e.entry_date, e.period_start)::timestamp)::date,
                                                  e.source, j.credit OPERATOR(pg_catalog.-) j.debit
                                                  ORDER BY coalesce(j.contract_id, 0), j.account COLLATE "C", j.currency COLLATE "C",
                                                           rr_internal.booking_date(e.entry_date, e.period_start), e.entry_id) AS cells
                  FROM rr.journal_line j
                  JOIN rr.journal_entry e ON e.tenant_id OPERATOR(pg_catalog.=) j.tenant_id
                                         AND e.entry_id OPERATOR(pg_catalog.=) j.entry_id
                 WHERE j.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                   AND j.account OPERATOR(pg_catalog.=) ANY ((SELECT array_agg(DISTINCT o.deferred_account) FROM rr.performance_obligation o
                                                              WHERE o.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant()))::text[])
                   AND rr_internal.booking_date(e.entry_date, e.period_start) OPERATOR(pg_catalog.<=) deferred_revenue_waterfall.as_of) f
         CROSS JOIN LATERAL pg_catalog.unnest(f.cells) AS c
    )
    SELECT s.currency, s.account, s.billing_month, s.month,
           ((extract(year FROM s.month) OPERATOR(pg_catalog.-) extract(year FROM s.billing_month)) OPERATOR(pg_catalog.*) 12
            OPERATOR(pg_catalog.+) extract(month FROM s.month) OPERATOR(pg_catalog.-) extract(month FROM s.billing_month))::integer,
           sum(s.deferred) OVER w, s.recognised, s.credited, s.other,
           sum(s.deferred OPERATOR(pg_catalog.-) s.recognised OPERATOR(pg_catalog.-) s.credited OPERATOR(pg_catalog.-) s.other) OVER w
      FROM s
    WINDOW w AS (PARTITION BY s.currency, s.account, s.billing_month ORDER BY s.month)
     ORDER BY s.currency, s.account, s.billing_month, s.month;
END;
COMMENT ON FUNCTION rr.deferred_revenue_waterfall(date) IS 'deferred revenue waterfall as of a date, from the journal by booking date: per currency, deferred revenue account and billing month (the month of the postings that credited the account: invoices, and any other credit), one row for the billing month and one for each later month in which postings took from it, first in, first out per contract: recognised (released by recognition runs), credited (credit notes), other (other postings), all positive, and what remains deferred after the month; per month the remaining amounts of all billing months add up to the deferred revenue balance of rr.deferred_revenue_rollforward (docs/reports.md, "Deferred revenue waterfall")';
REVOKE ALL ON FUNCTION rr.deferred_revenue_waterfall(date) FROM PUBLIC;

CREATE VIEW rr.deferred_revenue_waterfall WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, w.*
  FROM rr.deferred_revenue_waterfall(current_date) w;
COMMENT ON VIEW rr.deferred_revenue_waterfall IS 'the deferred revenue waterfall today: rr.deferred_revenue_waterfall(current_date)';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.currency IS 'the currency of the postings';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.account IS 'a deferred revenue (contract liability) account of the tenant''s performance obligations';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.billing_month IS 'first day of the calendar month whose postings created the deferred revenue (by booking date: mostly invoices)';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.month IS 'first day of the calendar month of the row: the billing month, or a later month in which postings took from it';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.months_after IS 'months from the billing month to the row''s month (0: the billing month itself)';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.deferred IS 'deferred revenue the billing month created (the credits to the account booked in it, per contract net of each entry''s debits)';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.recognised IS 'what recognition runs booked in the month released from it (to revenue, or against unbilled receivable or contract asset recognised earlier), positive';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.credited IS 'what credit notes booked in the month took from it, positive';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.other IS 'what any other posting booked in the month (manual entries) took from it, positive';
COMMENT ON COLUMN rr.deferred_revenue_waterfall.remaining IS 'what of it is still deferred at the end of the month (today, for this month): deferred less everything taken up to then';

-- The revenue schedule lines not recognised as of a date, as the schedule stood on that date
-- (docs/reports.md, "Schedules as of a date"): the lines planned by then (planned_on) that
-- are open, or were posted after it, read through the partial indexes of the open lines and
-- of the posted lines by posting date (a bitmap OR of the two), so that only the lines
-- needed are read however long the history; and the lines a later re-plan replaced, which
-- the schedule still held on that date (rr.superseded_schedule_line).  The posting date's
-- upper bound makes the posted-after-as_of part a range, estimated small without
-- statistics, so that the plan is the same whatever they say.  And, for each obligation
-- recognised by percent complete or on payment, which its measurements and payments
-- schedule, what of its allocation as it stood on that date (rr.obligation_allocation) was
-- not yet scheduled by them then (nothing when they scheduled all of it): due on the last
-- day of its service as that plan had it (on the date itself when the service has no
-- end).  Not STRICT, so that it is inlined into its callers, which push their filters
-- into it.
CREATE FUNCTION rr_internal.unrecognised_schedule_lines(as_of date)
RETURNS TABLE (contract_id bigint, recognize_on date, amount numeric)
LANGUAGE sql STABLE ROWS 100000
BEGIN ATOMIC
    SELECT l.contract_id, l.recognize_on, l.amount
      FROM rr.revenue_schedule_line l
     WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND (l.status OPERATOR(pg_catalog.=) 'open'
            OR (l.status OPERATOR(pg_catalog.=) 'posted'
                AND l.posted_on OPERATOR(pg_catalog.>) unrecognised_schedule_lines.as_of
                AND l.posted_on OPERATOR(pg_catalog.<) 'infinity'::date))
       AND l.planned_on OPERATOR(pg_catalog.<=) unrecognised_schedule_lines.as_of
    UNION ALL
    SELECT h.contract_id, h.recognize_on, h.amount
      FROM rr.superseded_schedule_line h
     WHERE h.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
       AND h.planned_on OPERATOR(pg_catalog.<=) unrecognised_schedule_lines.as_of
       AND h.superseded_on OPERATOR(pg_catalog.>) unrecognised_schedule_lines.as_of
    UNION ALL
    -- (the measurements and payments of these obligations alone, by the obligations' key:
    -- joined, not a sub-query per obligation)
    SELECT a.contract_id,
           coalesce(pg_catalog.upper(a.service) OPERATOR(pg_catalog.-) 1, unrecognised_schedule_lines.as_of),
           a.allocated_amount OPERATOR(pg_catalog.-) coalesce(sum(l.amount), 0)
      -- (grouped by the tenant too, which Citus distributes by)
      FROM (SELECT DISTINCT ON (h.tenant_id, h.contract_id, h.obligation_no) h.tenant_id, h.contract_id,
                   h.obligation_no, h.allocated_amount, h.service
              FROM rr.obligation_allocation h
             WHERE h.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND h.allocated_on OPERATOR(pg_catalog.<=) unrecognised_schedule_lines.as_of
             ORDER BY h.tenant_id, h.contract_id, h.obligation_no, h.allocated_on DESC) a
      LEFT JOIN rr.revenue_schedule_line l ON l.tenant_id OPERATOR(pg_catalog.=) a.tenant_id
                                          AND l.contract_id OPERATOR(pg_catalog.=) a.contract_id
                                          AND l.obligation_no OPERATOR(pg_catalog.=) a.obligation_no
                                          AND l.source OPERATOR(pg_catalog.=) ANY ('{progress,payment}'::text[])
                                          AND l.planned_on OPERATOR(pg_catalog.<=) unrecognised_schedule_lines.as_of
     GROUP BY a.tenant_id, a.contract_id, a.obligation_no, a.allocated_amount, a.service
    HAVING a.allocated_amount OPERATOR(pg_catalog.>) coalesce(sum(l.amount), 0);
END;
COMMENT ON FUNCTION rr_internal.unrecognised_schedule_lines(date) IS 'internal: the revenue schedule lines of the current tenant not recognised as of as_of, as the schedule stood then: the lines planned by as_of that are open or were posted after it (read through the partial indexes of the open lines and of the posted lines by posting date), and those a later re-plan replaced (rr.superseded_schedule_line, planned by as_of and superseded after it); and, for each obligation recognised by percent complete or on payment, what of its allocation as of as_of (rr.obligation_allocation) its measurements and payments had not scheduled by then, due on the last day of its service: what rr.revenue_forecast and rr.remaining_performance_obligations sum';
REVOKE ALL ON FUNCTION rr_internal.unrecognised_schedule_lines(date) FROM PUBLIC;

-- The currency of every schedule line not recognised as of a date, when the lines need no
-- contract to be read as of it: all the tenant's contracts have the same currency and none
-- was activated after as_of (the usual case for as_of today or a recent period end); NULL
-- otherwise (several currencies, a contract activated after as_of, or no contract).  Then
-- the forecast and the RPO read the lines alone, as a plain aggregate does, instead of
-- joining each line with its contract for its currency and activation date.  Schedule lines
-- exist only for activated contracts: obligations are created when a contract becomes
-- active, and an activation date is never cleared.
CREATE FUNCTION rr_internal.schedule_currency(as_of date)
RETURNS char(3)
LANGUAGE sql STABLE
BEGIN ATOMIC
    -- one contract's currency, then every contract compared with it (an equality, cheaper
    -- than ordering the currencies)
    WITH one AS (
        SELECT k.currency
          FROM rr.contract k
         WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
         LIMIT 1
    )
    SELECT CASE WHEN bool_and(k.currency OPERATOR(pg_catalog.=) (SELECT one.currency FROM one))
                     AND NOT coalesce(bool_or(k.activation_date OPERATOR(pg_catalog.>) schedule_currency.as_of), false)
                THEN (SELECT one.currency FROM one) END
      FROM rr.contract k
     WHERE k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant());
END;
COMMENT ON FUNCTION rr_internal.schedule_currency(date) IS 'internal: the currency of all the current tenant''s contracts when they share one and none was activated after as_of, else NULL; then every schedule line not recognised as of as_of counts, in that currency, without a join with its contract (rr.revenue_forecast, rr.remaining_performance_obligations)';
REVOKE ALL ON FUNCTION rr_internal.schedule_currency(date) FROM PUBLIC;

-- Revenue not recognised as of a date, from the revenue schedules of the contracts in force
-- then (activated on or before it): every schedule line not posted by that date, by the
-- month it is scheduled for.  A line scheduled on or before as_of but not posted yet is
-- revenue the next recognition run owes, and is counted in as_of's month.
CREATE FUNCTION rr.revenue_forecast(as_of date, months integer DEFAULT 12)
RETURNS TABLE (currency char(3), month date, scheduled numeric, contracts bigint)
LANGUAGE sql STABLE STRICT ROWS 36
BEGIN ATOMIC
    -- the horizon's end and the lines' currency computed once (init plans), the lines'
    -- months without time zones: the per-line work is a date comparison and a truncation,
    -- as in a plain aggregate.  Two branches, of which one runs (the other's one-time
    -- filter is false): the lines alone when rr_internal.schedule_currency knows their
    -- currency, else each line joined with its contract
    WITH h AS (
        SELECT rr_internal.schedule_currency(revenue_forecast.as_of) AS currency,
               (date_trunc('month', revenue_forecast.as_of::timestamp)
                OPERATOR(pg_catalog.+) make_interval(months => revenue_forecast.months))::date AS stop
         WHERE rr_internal.check_report_months(revenue_forecast.months)
    ), f AS (
        SELECT (SELECT h.currency FROM h) AS currency,
               date_trunc('month', GREATEST(l.recognize_on, revenue_forecast.as_of)::timestamp)::date AS month,
               sum(l.amount) AS scheduled, count(DISTINCT l.contract_id) AS contracts
          FROM rr_internal.unrecognised_schedule_lines(revenue_forecast.as_of) l
         WHERE (SELECT h.currency IS NOT NULL FROM h)
           -- scheduled before the first month after the horizon (the lines due by as_of
           -- count in as_of's month, which is always in it)
           AND l.recognize_on OPERATOR(pg_catalog.<) (SELECT h.stop FROM h)
         GROUP BY 2
        UNION ALL
        SELECT k.currency, date_trunc('month', GREATEST(l.recognize_on, revenue_forecast.as_of)::timestamp)::date,
               sum(l.amount), count(DISTINCT l.contract_id)
          FROM rr_internal.unrecognised_schedule_lines(revenue_forecast.as_of) l
          JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND k.contract_id OPERATOR(pg_catalog.=) l.contract_id
         WHERE (SELECT h.currency IS NULL FROM h)
           AND l.recognize_on OPERATOR(pg_catalog.<) (SELECT h.stop FROM h)
           AND k.activation_date OPERATOR(pg_catalog.<=) revenue_forecast.as_of
         GROUP BY 1, 2
    )
    SELECT f.currency, f.month, f.scheduled, f.contracts
      FROM f
     ORDER BY f.currency, f.month;
END;
COMMENT ON FUNCTION rr.revenue_forecast(date, integer) IS 'revenue scheduled and not recognised as of as_of, per currency and calendar month, for as_of''s month and the next months - 1: from the revenue schedules of contracts activated by as_of (lines due but not yet posted count in as_of''s month), and the number of contracts it comes from; docs/reports.md, "Revenue forecast and RPO"';
REVOKE ALL ON FUNCTION rr.revenue_forecast(date, integer) FROM PUBLIC;

-- Remaining performance obligations (ASC 606-10-50-13): the transaction price allocated to
-- obligations not yet satisfied as of a date, split by when it is expected to be recognised.
-- Not STRICT, so that it is inlined into its caller's query, where the date is a constant
-- the planner estimates by: as of mid-year at 1,000,000 contracts, when most of the
-- schedule is still open, it then reads the lines in one pass instead of through the
-- partial indexes of the open and posted lines, which visited nearly every page in an
-- order of their own (18.5-21.5 s against 10.9 s; bench/README.md).
CREATE FUNCTION rr.remaining_performance_obligations(as_of date)
RETURNS TABLE (currency char(3), within_12_months numeric, beyond_12_months numeric, total numeric)
LANGUAGE sql STABLE ROWS 3
BEGIN ATOMIC
    -- the horizon as of + 1 year (the last day of the twelve months after as_of: at a
    -- month end, the same month end a year later) and the lines' currency computed once
    -- (init plans), not per line; the lines alone or joined with their contracts, as in rr.revenue_forecast
    WITH h AS (
        SELECT rr_internal.schedule_currency(remaining_performance_obligations.as_of) AS currency,
               (remaining_performance_obligations.as_of OPERATOR(pg_catalog.+) '1 year'::interval)::date AS horizon
         WHERE rr_internal.check_report_date(remaining_performance_obligations.as_of)
    ), r AS (
        SELECT (SELECT h.currency FROM h) AS currency,
               coalesce(sum(l.amount) FILTER (WHERE l.recognize_on OPERATOR(pg_catalog.<=) (SELECT h.horizon FROM h)), 0) AS within_12_months,
               coalesce(sum(l.amount) FILTER (WHERE l.recognize_on OPERATOR(pg_catalog.>) (SELECT h.horizon FROM h)), 0) AS beyond_12_months,
               sum(l.amount) AS total
          FROM rr_internal.unrecognised_schedule_lines(remaining_performance_obligations.as_of) l
         WHERE (SELECT h.currency IS NOT NULL FROM h)
        HAVING count(*) OPERATOR(pg_catalog.>) 0
        UNION ALL
        SELECT k.currency,
               coalesce(sum(l.amount) FILTER (WHERE l.recognize_on OPERATOR(pg_catalog.<=) (SELECT h.horizon FROM h)), 0),
               coalesce(sum(l.amount) FILTER (WHERE l.recognize_on OPERATOR(pg_catalog.>) (SELECT h.horizon FROM h)), 0),
               sum(l.amount)
          FROM rr_internal.unrecognised_schedule_lines(remaining_performance_obligations.as_of) l
          JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                            AND k.contract_id OPERATOR(pg_catalog.=) l.contract_id
         WHERE (SELECT h.currency IS NULL FROM h)
           AND k.activation_date OPERATOR(pg_catalog.<=) remaining_performance_obligations.as_of
         GROUP BY k.currency
    )
    SELECT r.currency, r.within_12_months, r.beyond_12_months, r.total
      FROM r
     ORDER BY r.currency;
END;
COMMENT ON FUNCTION rr.remaining_performance_obligations(date) IS 'remaining performance obligations as of a date per currency (ASC 606-10-50-13): revenue scheduled and not recognised by then for contracts activated by then, split into what is scheduled within the 12 months after as_of (on or before as_of + 1 year) and beyond; variable consideration not yet invoiced (usage) is not included; docs/reports.md, "Revenue forecast and RPO"';
REVOKE ALL ON FUNCTION rr.remaining_performance_obligations(date) FROM PUBLIC;

-- The deferral schedule summary (Acumatica's "Deferral Schedule Summary"): the revenue
-- schedules of the obligations as of a date, summed per currency, item, recognition method
-- and accounts: what they hold in all, what was recognised by the date, and what remains,
-- split like the remaining performance obligations (due by the date and not yet posted,
-- within 12 months, beyond).  Read like rr.remaining_performance_obligations: the schedules
-- of contracts activated by the date, as they stood on it, a line counting as recognised
-- when it was posted on or before the date.  The detail is rr.revenue_schedule (one contract as of a
-- date: rr.contract_revenue_schedule).
CREATE FUNCTION rr.deferral_schedule_summary(as_of date)
RETURNS TABLE (currency char(3), item text, method text, deferred_account text, revenue_account text,
               contracts bigint, obligations bigint, scheduled numeric, recognised numeric, due numeric,
               within_12_months numeric, beyond_12_months numeric)
LANGUAGE sql STABLE STRICT ROWS 20
BEGIN ATOMIC
    SELECT l.currency, l.item, l.method, l.deferred_account, l.revenue_account,
           count(DISTINCT l.contract_id), count(DISTINCT (l.contract_id, l.obligation_no)),
           sum(l.amount),
           coalesce(sum(l.amount) FILTER (WHERE l.is_recognised), 0),
           coalesce(sum(l.amount) FILTER (WHERE NOT l.is_recognised
                                            AND l.recognize_on OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of), 0),
           coalesce(sum(l.amount) FILTER (WHERE NOT l.is_recognised
                                            AND l.recognize_on OPERATOR(pg_catalog.>) deferral_schedule_summary.as_of
                                            AND l.recognize_on OPERATOR(pg_catalog.<=) l.horizon), 0),
           coalesce(sum(l.amount) FILTER (WHERE NOT l.is_recognised
                                            AND l.recognize_on OPERATOR(pg_catalog.>) l.horizon), 0)
      -- the schedule as it stood on as_of (docs/reports.md, "Schedules as of a date"): the
      -- lines planned by then, and those a later re-plan replaced, each joined with its
      -- obligation and contract in a branch of its own (joined after a union, the lines'
      -- tenant is no longer the constant the planner estimates by, and it looked up the
      -- obligation of each line by index: 1.8x the time at 20,000 contracts)
      FROM (SELECT k.currency, o.item, o.method, o.deferred_account, o.revenue_account, l.contract_id,
                   l.obligation_no, l.amount, l.recognize_on,
                   (l.status OPERATOR(pg_catalog.=) 'posted'
                    AND l.posted_on OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of) AS is_recognised,
                   (deferral_schedule_summary.as_of OPERATOR(pg_catalog.+) '1 year'::interval)::date AS horizon
              FROM rr.revenue_schedule_line l
              JOIN rr.performance_obligation o ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                              AND o.contract_id OPERATOR(pg_catalog.=) l.contract_id
                                              AND o.obligation_no OPERATOR(pg_catalog.=) l.obligation_no
              JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                AND k.contract_id OPERATOR(pg_catalog.=) l.contract_id
             WHERE l.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               -- (a line recognised by as_of counts as recognised, as the ledger has it, even
               -- if planned after it: a correction billed later for days before its invoice)
               AND (l.planned_on OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of
                    OR (l.status OPERATOR(pg_catalog.=) 'posted'
                        AND l.posted_on OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of))
               AND k.activation_date OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of
            UNION ALL
            SELECT k.currency, o.item, o.method, o.deferred_account, o.revenue_account, h.contract_id,
                   h.obligation_no, h.amount, h.recognize_on, false,
                   (deferral_schedule_summary.as_of OPERATOR(pg_catalog.+) '1 year'::interval)::date
              FROM rr.superseded_schedule_line h
              JOIN rr.performance_obligation o ON o.tenant_id OPERATOR(pg_catalog.=) h.tenant_id
                                              AND o.contract_id OPERATOR(pg_catalog.=) h.contract_id
                                              AND o.obligation_no OPERATOR(pg_catalog.=) h.obligation_no
              JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) h.tenant_id
                                AND k.contract_id OPERATOR(pg_catalog.=) h.contract_id
             WHERE h.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
               AND h.superseded_on OPERATOR(pg_catalog.>) deferral_schedule_summary.as_of
               AND h.planned_on OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of
               AND k.activation_date OPERATOR(pg_catalog.<=) deferral_schedule_summary.as_of) l
     GROUP BY l.currency, l.item, l.method, l.deferred_account, l.revenue_account
     ORDER BY l.currency, l.item, l.method, l.deferred_account, l.revenue_account;
END;
COMMENT ON FUNCTION rr.deferral_schedule_summary(date) IS 'deferral schedule summary as of a date: the revenue schedules of contracts activated by then, per currency, item, recognition method, deferred and revenue account: scheduled in all, recognised (posted on or before as_of), and the rest due by as_of, within the 12 months after as_of (on or before as_of + 1 year) and beyond; scheduled = recognised + due + within_12_months + beyond_12_months, and the last three add up to rr.remaining_performance_obligations; docs/reports.md, "Revenue forecast and RPO"';
REVOKE ALL ON FUNCTION rr.deferral_schedule_summary(date) FROM PUBLIC;

CREATE VIEW rr.deferral_schedule_summary WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, s.*
  FROM rr.deferral_schedule_summary(current_date) s;
COMMENT ON VIEW rr.deferral_schedule_summary IS 'deferral schedule summary today: rr.deferral_schedule_summary(current_date)';
COMMENT ON COLUMN rr.deferral_schedule_summary.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.deferral_schedule_summary.currency IS 'the contracts'' currency';
COMMENT ON COLUMN rr.deferral_schedule_summary.item IS 'item of the performance obligations';
COMMENT ON COLUMN rr.deferral_schedule_summary.method IS 'recognition method of the obligations (immediate, on_date, equal, equal_prorate, daily, percent_complete, on_usage or on_payment)';
COMMENT ON COLUMN rr.deferral_schedule_summary.deferred_account IS 'deferred revenue account of the obligations';
COMMENT ON COLUMN rr.deferral_schedule_summary.revenue_account IS 'revenue account of the obligations';
COMMENT ON COLUMN rr.deferral_schedule_summary.contracts IS 'number of contracts with schedule lines in the row';
COMMENT ON COLUMN rr.deferral_schedule_summary.obligations IS 'number of performance obligations with schedule lines in the row';
COMMENT ON COLUMN rr.deferral_schedule_summary.scheduled IS 'every schedule line of those obligations (allocation, billing, credits, progress, payment): recognised + due + within_12_months + beyond_12_months';
COMMENT ON COLUMN rr.deferral_schedule_summary.recognised IS 'schedule lines posted to revenue today or earlier';
COMMENT ON COLUMN rr.deferral_schedule_summary.due IS 'schedule lines due today or earlier and not posted yet (waiting for a recognition run)';
COMMENT ON COLUMN rr.deferral_schedule_summary.within_12_months IS 'schedule lines due after today and on or before today + 1 year';
COMMENT ON COLUMN rr.deferral_schedule_summary.beyond_12_months IS 'schedule lines due after today + 1 year';

CREATE VIEW rr.remaining_performance_obligations WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, r.*
  FROM rr.remaining_performance_obligations(current_date) r;
COMMENT ON VIEW rr.remaining_performance_obligations IS 'remaining performance obligations today: rr.remaining_performance_obligations(current_date)';
COMMENT ON COLUMN rr.remaining_performance_obligations.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.remaining_performance_obligations.currency IS 'the contracts'' currency';
COMMENT ON COLUMN rr.remaining_performance_obligations.within_12_months IS 'scheduled on or before today + 1 year (the 12 months after today), not recognised yet';
COMMENT ON COLUMN rr.remaining_performance_obligations.beyond_12_months IS 'scheduled after today + 1 year';
COMMENT ON COLUMN rr.remaining_performance_obligations.total IS 'within_12_months + beyond_12_months';

CREATE VIEW rr.revenue_forecast WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, f.*
  FROM rr.revenue_forecast(current_date, 12) f;
COMMENT ON VIEW rr.revenue_forecast IS 'revenue scheduled and not recognised, this month and the next 11: rr.revenue_forecast(current_date, 12)';
COMMENT ON COLUMN rr.revenue_forecast.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.revenue_forecast.currency IS 'the contracts'' currency';
COMMENT ON COLUMN rr.revenue_forecast.month IS 'first day of the calendar month the revenue is scheduled in (this month for lines due and not yet posted)';
COMMENT ON COLUMN rr.revenue_forecast.scheduled IS 'revenue scheduled in the month and not recognised yet, billed or not';
COMMENT ON COLUMN rr.revenue_forecast.contracts IS 'the number of contracts it comes from';

-- The billing forecast: what billing runs will charge, per month of the charges' due dates,
-- from what is due under the contracts as they stand (rr.due_charges to the end of the
-- horizon) less what runs dated on or before as_of charged.  Charges due by as_of and not
-- billed by then count in as_of's month.  Usage (not known before it happens), tax and
-- renewals not yet made are not forecast.  The work is rr_internal.billing_forecast, for
-- the current tenant only: on a single node rr.billing_forecast calls it directly; on
-- Citus, where it calls rr.due_charges per statement and so must run on the tenant's
-- worker, rr.distribute() delegates it and rewrites rr.billing_forecast to call it as a
-- statement of its own (rr_internal.functions_for_citus, docs/scale-out.md).
CREATE FUNCTION rr_internal.billing_forecast(tenant_id text, as_of date, months integer)
RETURNS TABLE (currency char(3), month date, kind text, charges bigint, contracts bigint, amount numeric)
LANGUAGE sql STABLE STRICT ROWS 36
BEGIN ATOMIC
    WITH h AS (
        SELECT date_trunc('month', billing_forecast.as_of)::date AS first_month,
               (date_trunc('month', billing_forecast.as_of)
                OPERATOR(pg_catalog.+) make_interval(months => billing_forecast.months))::date AS stop
         WHERE (SELECT rr_internal.check_report_months(billing_forecast.months))
           -- (the current tenant's forecast only)
           AND billing_forecast.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
    )
    SELECT k.currency, date_trunc('month', GREATEST(d.due_date, billing_forecast.as_of))::date, d.kind,
           count(*), count(DISTINCT d.contract_id), sum(d.amount)
      FROM h
      CROSS JOIN LATERAL rr.due_charges(billing_forecast.tenant_id, h.stop OPERATOR(pg_catalog.-) 1) d
      JOIN rr.contract k ON k.tenant_id OPERATOR(pg_catalog.=) billing_forecast.tenant_id
                        AND k.contract_id OPERATOR(pg_catalog.=) d.contract_id
     -- (charged by as_of: by a run dated on or before it; a charge a later run made was
     -- still to be billed then)
     WHERE NOT EXISTS (SELECT FROM rr.charge c
                         JOIN rr.billing_run r ON r.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
                                              AND r.run_id OPERATOR(pg_catalog.=) c.run_id
                        WHERE c.tenant_id OPERATOR(pg_catalog.=) k.tenant_id
                          AND c.contract_id OPERATOR(pg_catalog.=) d.contract_id
                          AND c.line_no OPERATOR(pg_catalog.=) d.line_no
                          AND c.line_effective_from OPERATOR(pg_catalog.=) d.line_effective_from
                          AND c.kind OPERATOR(pg_catalog.=) d.kind
                          AND c.service_period OPERATOR(pg_catalog.=) d.service_period
                          AND c.adjustment_seq OPERATOR(pg_catalog.=) d.adjustment_seq
                          AND r.as_of OPERATOR(pg_catalog.<=) billing_forecast.as_of)
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3;
END;
COMMENT ON FUNCTION rr_internal.billing_forecast(text, date, integer) IS 'internal: the work of rr.billing_forecast for a tenant, which must be the current one (no rows for another)';
REVOKE ALL ON FUNCTION rr_internal.billing_forecast(text, date, integer) FROM PUBLIC;

CREATE FUNCTION rr.billing_forecast(as_of date, months integer DEFAULT 12)
RETURNS TABLE (currency char(3), month date, kind text, charges bigint, contracts bigint, amount numeric)
LANGUAGE sql STABLE STRICT ROWS 36
BEGIN ATOMIC
    SELECT f.currency, f.month, f.kind, f.charges, f.contracts, f.amount
      FROM rr_internal.billing_forecast((SELECT rr.current_tenant()), billing_forecast.as_of, billing_forecast.months) f;
END;
COMMENT ON FUNCTION rr.billing_forecast(date, integer) IS 'billing forecast: the charges billing runs dated after as_of will make under the contracts as they stand, per currency, month of their due date (from as_of''s month, which also takes what is due and not billed yet, for months months) and charge kind, with the number of charges and contracts and the amount before tax; usage, tax and renewals not yet made are not forecast; docs/reports.md, "Revenue forecast and RPO"';
REVOKE ALL ON FUNCTION rr.billing_forecast(date, integer) FROM PUBLIC;

CREATE VIEW rr.billing_forecast WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, f.*
  FROM rr.billing_forecast(current_date, 12) f;
COMMENT ON VIEW rr.billing_forecast IS 'the billing forecast of this month and the next 11: rr.billing_forecast(current_date, 12)';
COMMENT ON COLUMN rr.billing_forecast.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.billing_forecast.currency IS 'the contracts'' currency';
COMMENT ON COLUMN rr.billing_forecast.month IS 'first day of the month the charges are due in (this month for charges due and not billed yet)';
COMMENT ON COLUMN rr.billing_forecast.kind IS 'charge kind: setup, recurring, renewal, deposit, discount, or a correction of a billed period';
COMMENT ON COLUMN rr.billing_forecast.charges IS 'the number of charges';
COMMENT ON COLUMN rr.billing_forecast.contracts IS 'the number of contracts they come from';
COMMENT ON COLUMN rr.billing_forecast.amount IS 'their amount before tax';
