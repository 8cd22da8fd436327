-- Recognition runs (docs/revenue.md); the reports are in 40_reports.sql, period closing in
-- 50_period_close.sql.
--
-- A run posts every due schedule line (open, dated up to `through`; a line that came from
-- an invoice only once the invoice is posted).  Per contract and fiscal period it writes
-- one journal entry: Cr revenue for the lines, and the contract's position re-netted
-- against what was billed:
--   billed ahead of revenue          -> contract liability, the deferred revenue account
--   revenue ahead, only time missing -> unbilled receivable (1150): up to what the contract
--                                       prices of the work delivered so far would bill
--   revenue ahead, conditional       -> contract asset (1160): the rest (typically SSP
--                                       reallocation in a bundle)
-- The position is computed from the contract's own ledger balances, so whatever billing,
-- credit notes and earlier runs posted is re-netted: an invoice posted since the last run
-- is reclassified out of unbilled receivable and contract asset, a credit note reduces
-- deferred revenue first, and an immediate item that billing credited to revenue at the
-- list price is brought to its allocated amount.

-- On payment (collectability in doubt): revenue follows the cash applied to the contract's
-- invoices, dated at each application (a closed period's share goes into the first open
-- one, as any posting does).  Cash applied to an invoice is attributed to its lines in
-- proportion to their share of its total (tax included); an obligation's revenue as of a
-- date is its allocation times the share of its contract amount paid by then (or what was
-- paid, for charges activation did not plan), never more than its allocation.  Its lines
-- are the steps of that amount from one application date to the next, less the lines
-- already written for those dates: when the run happens does not matter.
CREATE FUNCTION rr_internal.create_payment_schedules(tenant_id text, through date)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := create_payment_schedules.tenant_id;
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.method = 'on_payment') THEN
        RETURN 0;
    END IF;
    WITH k AS (
        SELECT DISTINCT o.contract_id FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.method = 'on_payment'
    ), dates AS (
        -- the application dates by `through`, and the dates lines were written for before
        SELECT DISTINCT i.contract_id, a.applied_on AS d
          FROM rr.payment_application a
          JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = a.invoice_id
         WHERE a.tenant_id = t AND a.applied_on <= through AND i.doc_type = 'invoice' AND i.status = 'posted'
           AND i.contract_id IN (SELECT k.contract_id FROM k)
        UNION
        SELECT l.contract_id, l.recognize_on
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = t AND l.source = 'payment' AND l.recognize_on <= through
    ), inv AS (
        -- share of each posted invoice paid by each date
        -- (the minor units by rr.minor_units, not a join with the reference table
        -- rr.currency, which Citus refuses in a delegated function: docs/scale-out.md; the
        -- pg_regress suite on Citus found it)
        SELECT dt.contract_id, dt.d, i.invoice_id, rr.minor_units(i.currency::text) AS mu,
               coalesce((SELECT sum(a.amount) FROM rr.payment_application a
                          WHERE a.tenant_id = t AND a.invoice_id = i.invoice_id AND a.applied_on <= dt.d), 0)
               / nullif((SELECT sum(l.amount) FROM rr.invoice_line l WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id), 0)
               AS paid_share
          FROM dates dt
          JOIN rr.invoice i ON i.tenant_id = t AND i.contract_id = dt.contract_id AND i.doc_type = 'invoice'
                           AND i.status = 'posted' AND i.invoice_date <= dt.d
    ), paid AS (
        SELECT o.contract_id, o.obligation_no, inv.d, min(inv.mu) AS mu,
               sum(l.amount * least(coalesce(inv.paid_share, 0), 1)) AS paid
          FROM inv
          JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = inv.invoice_id
          JOIN rr.charge ch ON ch.tenant_id = t AND ch.charge_id = l.charge_id
          LEFT JOIN rr.obligation_charge oc ON oc.tenant_id = t AND oc.contract_id = ch.contract_id
                                           AND oc.line_no = ch.line_no AND oc.line_effective_from = ch.line_effective_from
                                           AND oc.kind = ch.kind AND oc.service_period = ch.service_period
                                           AND oc.adjustment_seq = ch.adjustment_seq
          LEFT JOIN rr.obligation_setting s ON s.tenant_id = t AND s.contract_id = ch.contract_id AND s.line_no = ch.line_no
          JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = inv.contract_id
                                          AND o.obligation_no = coalesce(oc.obligation_no, s.obligation_no, ch.line_no)
         WHERE o.method = 'on_payment'
         GROUP BY o.contract_id, o.obligation_no, inv.d
    ), target AS (
        -- revenue to date at each date, and its step from the date before
        SELECT x.contract_id, x.obligation_no, x.d,
               x.amount - coalesce(lag(x.amount) OVER w, 0) AS amount,
               x.contract_amount - coalesce(lag(x.contract_amount) OVER w, 0) AS contract_amount
          FROM (SELECT o.contract_id, o.obligation_no, p.d,
                       CASE WHEN o.contract_amount > 0
                            THEN least(o.allocated_amount, round(o.allocated_amount * p.paid / o.contract_amount, p.mu))
                            ELSE round(p.paid, p.mu) END AS amount,
                       CASE WHEN o.contract_amount > 0 THEN least(o.contract_amount, round(p.paid, p.mu))
                            ELSE round(p.paid, p.mu) END AS contract_amount
                  FROM paid p
                  JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = p.contract_id
                                                  AND o.obligation_no = p.obligation_no) x
        WINDOW w AS (PARTITION BY x.contract_id, x.obligation_no ORDER BY x.d)
    ), done AS (
        SELECT l.contract_id, l.obligation_no, l.recognize_on AS d, sum(l.amount) AS amount,
               sum(l.contract_amount) AS contract_amount
          FROM rr.revenue_schedule_line l
         WHERE l.tenant_id = t AND l.source = 'payment' AND l.recognize_on <= through
         GROUP BY l.contract_id, l.obligation_no, l.recognize_on
    )
    INSERT INTO rr.revenue_schedule_line (tenant_id, contract_id, obligation_no, source, period, recognize_on,
                                          amount, contract_amount, planned_on)
    SELECT t, x.contract_id, x.obligation_no, 'payment', daterange(x.d, x.d + 1), x.d, x.amount, x.contract_amount,
           x.d
      FROM (SELECT coalesce(g.contract_id, d.contract_id) AS contract_id,
                   coalesce(g.obligation_no, d.obligation_no) AS obligation_no, coalesce(g.d, d.d) AS d,
                   coalesce(g.amount, 0) - coalesce(d.amount, 0) AS amount,
                   coalesce(g.contract_amount, 0) - coalesce(d.contract_amount, 0) AS contract_amount
              FROM target g
              FULL JOIN done d ON d.contract_id = g.contract_id AND d.obligation_no = g.obligation_no AND d.d = g.d) x
     WHERE x.amount <> 0 OR x.contract_amount <> 0
     ORDER BY x.contract_id, x.obligation_no, x.d;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.create_payment_schedules(text, date) IS 'internal: schedule lines of on_payment obligations for the cash applied by a date, dated at each application (allocation × share of the contract amount paid by then, capped at the allocation; the steps from one application date to the next, less the lines already written for those dates)';

-- rr_internal.ensure_fiscal_periods extends a calendar forwards only; revenue can be due before the
-- first period billing created (a contract activated before its first invoice).  Add the
-- calendar months before it, when the calendar starts on the first of a month.
CREATE FUNCTION rr_internal.ensure_fiscal_periods_from(tenant_id text, from_date date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_start date;
    n integer;
BEGIN
    PERFORM rr.check_date('posting date', from_date);
    SELECT min(p.period_start) INTO first_start FROM rr.fiscal_period p
     WHERE p.tenant_id = ensure_fiscal_periods_from.tenant_id;
    IF from_date IS NULL OR first_start IS NULL OR first_start <= from_date OR extract(day FROM first_start) <> 1 THEN
        RETURN 0;
    END IF;
    INSERT INTO rr.fiscal_period (tenant_id, period_start, period_end)
    SELECT ensure_fiscal_periods_from.tenant_id, lower(m), upper(m)
      FROM rr.billing_periods(date_trunc('month', from_date)::date, first_start, '1 month', '2000-01-01') AS m
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM rr_internal.check_fiscal_periods(ensure_fiscal_periods_from.tenant_id);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_fiscal_periods_from(text, date) IS 'internal: adds the calendar months from the month of from_date up to a tenant''s first fiscal period, when that period starts on the first of a month';

-- The recognition run: rr_internal.recognize does the work for a tenant, and rr.recognize
-- (below) calls it as a statement of its own with constant arguments: on Citus,
-- rr.distribute() delegates it to the tenant's worker, where its work tables sit next to
-- the tenant's shards and its journal rows are written, so that it can share a transaction
-- with the other delegated workflows (activation, a billing run and its posting): run on
-- the coordinator, its intermediate results went to every worker and made Citus commit in
-- two phases, which a transaction with work tables on the worker cannot (docs/scale-out.md).
CREATE FUNCTION rr_internal.recognize(tenant_id text, through date)
RETURNS TABLE (contract_id bigint, period_start date, entry_id bigint, lines bigint, revenue numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := recognize.tenant_id;
    run bigint;
    seq regclass := pg_catalog.pg_get_serial_sequence('rr.journal_entry', 'entry_id')::regclass;
    fc char(3);
    fmu integer;
    first_due date;
    undue_contracts bigint[];
    through_period date;
    -- the earliest date a contract's position is taken on (rr_grp.as_of)
    first_as_of date;
BEGIN
    -- statistics that describe the tables and the tenant's rows in them
    -- (rr_internal.refresh_statistics)
    PERFORM rr_internal.refresh_statistics('{rr.contract,rr.performance_obligation,rr.revenue_schedule_line,'
                                           'rr.invoice,rr.invoice_line,rr.journal_entry,rr.journal_line}', t);
    -- (one run at a time per tenant: the caller, rr.recognize, holds the lock)
    INSERT INTO rr.recognition_run (tenant_id, through) VALUES (t, recognize.through) RETURNING run_id INTO run;
    PERFORM rr_internal.create_payment_schedules(t, recognize.through);

    -- the due lines, and the fiscal period each goes into (with their obligation since 0.2.0,
    -- to update them by their key: a new name, src/sql/00_core/90_work_tables.sql)
    IF rr_internal.claim_work_table('rr_due2') THEN
        CREATE TEMP TABLE rr_due2 (schedule_line_id bigint, contract_id bigint, recognize_on date,
                                   amount numeric, contract_amount numeric, revenue_account text,
                                   period_start date, obligation_no integer);
        -- looked up by contract from a statement over the posted invoices (the contracts
        -- with nothing due): by index, whatever that statement's row estimates (on new
        -- tables without statistics a nested loop over the whole table took 35 s for
        -- 20,000 contracts)
        CREATE INDEX ON rr_due2 (contract_id);
    END IF;
    IF rr_internal.claim_work_table('rr_dates') THEN
        CREATE TEMP TABLE rr_dates (d date, period_start date);
    END IF;
    IF rr_internal.claim_work_table('rr_grp') THEN
        CREATE TEMP TABLE rr_grp (contract_id bigint, period_start date, k bigint, entry_date date,
                                                entry_id bigint, lines bigint, amount numeric, contract_amount numeric,
                                                currency char(3), has_entry boolean, as_of date);
    END IF;
    IF rr_internal.claim_work_table('rr_acct') THEN
        CREATE TEMP TABLE rr_acct (contract_id bigint, account text, role text);
    END IF;
    -- (rr_kacct2: prior_e added in 0.2.0, so the work table took a new name)
    IF rr_internal.claim_work_table('rr_kacct2') THEN
        CREATE TEMP TABLE rr_kacct2 (contract_id bigint, k bigint, account text, role text, ledger numeric,
                                     prior numeric, prior_e numeric);
    END IF;
    IF rr_internal.claim_work_table('rr_cpos') THEN
        CREATE TEMP TABLE rr_cpos (contract_id bigint, k bigint, b numeric, prior_r numeric, prior_e numeric);
    END IF;
    IF rr_internal.claim_work_table('rr_delta') THEN
        CREATE TEMP TABLE rr_delta (contract_id bigint, k bigint, account text, delta numeric);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_due2');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_dates');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_grp');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_acct');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_kacct2');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_cpos');
    PERFORM rr_internal.empty_work_table('pg_temp.rr_delta');

    INSERT INTO rr_due2 (schedule_line_id, contract_id, recognize_on, amount, contract_amount, revenue_account,
                         period_start, obligation_no)
    SELECT l.schedule_line_id, l.contract_id, l.recognize_on, l.amount, l.contract_amount, o.revenue_account, NULL,
           l.obligation_no
      FROM rr.revenue_schedule_line l
      JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = l.contract_id
                                      AND o.obligation_no = l.obligation_no
     WHERE l.tenant_id = t AND l.status = 'open' AND l.recognize_on <= recognize.through
       AND (l.invoice_id IS NULL
            OR EXISTS (SELECT FROM rr.invoice i WHERE i.tenant_id = t AND i.invoice_id = l.invoice_id
                                                 AND i.status = 'posted'));
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_due2');
    -- one lookup per date (it creates missing calendar months), not per line; a tenant
    -- with no calendar yet gets one from the month of its earliest due line first (else
    -- the first date looked up would start it, and earlier lines would go into that period)
    -- (the work table and the tenant's tables read in statements of their own: Citus
    -- cannot plan this check as one statement over both)
    SELECT min(rr_due2.recognize_on) INTO first_due FROM rr_due2;
    IF first_due IS NOT NULL AND NOT EXISTS (SELECT FROM rr.fiscal_period f WHERE f.tenant_id = t) THEN
        PERFORM rr_internal.posting_period(t, first_due);
    END IF;
    PERFORM rr_internal.ensure_fiscal_periods_from(t, first_due);
    INSERT INTO rr_dates
    SELECT x.d, rr_internal.posting_period(t, x.d)
      FROM (SELECT DISTINCT rr_due2.recognize_on AS d FROM rr_due2 UNION SELECT recognize.through) x;

    INSERT INTO rr_grp
    SELECT g.contract_id, g.period_start,
           row_number() OVER (PARTITION BY g.contract_id ORDER BY g.period_start),
           g.entry_date, nextval(seq), g.lines, g.amount, g.contract_amount, k.currency, false
      FROM (SELECT d.contract_id, p.period_start, max(d.recognize_on) AS entry_date, count(*) AS lines,
                   sum(d.amount) AS amount, sum(d.contract_amount) AS contract_amount
              FROM rr_due2 d JOIN rr_dates p ON p.d = d.recognize_on
             GROUP BY d.contract_id, p.period_start) g
      JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = g.contract_id;
    -- contracts with no line due but an invoice or credit note posted since their last
    -- recognition entry: their position is re-netted too (billing reclassifies unbilled
    -- receivable and contract asset to receivable through this entry)
    -- (in two statements: first the contracts with nothing due and a posted document, one
    -- pass over the posted invoices; then, for those alone, the contract's last document and
    -- its last recognition entry, each looked up once per contract.  As a filter on each
    -- invoice, that look-up read every schedule line of a contract for every invoice it ever
    -- had: 3.2 s of a 20,000-contract run after ten months, growing with the square of a
    -- contract's age.  An array, not a work table, and sub-queries correlated with the
    -- contracts' table: Citus joins a work table, or a function's rows, to the tenant's
    -- tables only outside a correlated sub-query)
    SELECT coalesce(array_agg(DISTINCT i.contract_id), '{}') INTO undue_contracts
      FROM rr.invoice i
      -- (an anti-join with the due lines, not NOT EXISTS: Citus joins a work table to the
      -- tenant's tables only outside a correlated sub-query; and with rr_due2 itself, by its
      -- index, not with a DISTINCT of it, which a nested loop scanned whole for every
      -- invoice on new tables)
      LEFT JOIN rr_due2 due ON due.contract_id = i.contract_id
     WHERE i.tenant_id = t AND i.status = 'posted' AND i.invoice_date <= recognize.through
       AND due.contract_id IS NULL;
    IF cardinality(undue_contracts) > 0 THEN
        SELECT p.period_start INTO through_period FROM rr_dates p WHERE p.d = recognize.through;
        -- (their entry ids drawn after, from the work table alone: Citus cannot plan a
        -- sequence's nextval in this statement's select list)
        INSERT INTO rr_grp
        SELECT k.contract_id, through_period, 1, recognize.through, NULL, 0, 0, 0, k.currency, false
          FROM rr.contract k
         WHERE k.tenant_id = t AND k.contract_id = ANY (undue_contracts)
           AND (SELECT max(i.journal_entry_id) FROM rr.invoice i
                 WHERE i.tenant_id = t AND i.contract_id = k.contract_id AND i.status = 'posted'
                   AND i.invoice_date <= recognize.through)
               > coalesce((SELECT max(l.entry_id) FROM rr.revenue_schedule_line l
                            WHERE l.tenant_id = t AND l.contract_id = k.contract_id), 0)
           AND EXISTS (SELECT FROM rr.performance_obligation o WHERE o.tenant_id = t AND o.contract_id = k.contract_id);
        UPDATE rr_grp g SET entry_id = nextval(seq) WHERE g.entry_id IS NULL;
    END IF;
    UPDATE rr_due2 d SET period_start = p.period_start FROM rr_dates p WHERE p.d = d.recognize_on;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_grp');

    -- the accounts each contract's position lives on: its obligations' revenue and deferred
    -- revenue accounts (the first obligation's deferred account holds the liability; one-off
    -- charges' obligations, numbered below 1, come after the lines'),
    -- unbilled receivable, contract asset, and its discount accounts
    INSERT INTO rr_acct
    SELECT a.contract_id, a.account, a.role
      FROM (SELECT DISTINCT ON (x.contract_id, x.account) x.contract_id, x.account, x.role
              FROM (SELECT o.contract_id, o.revenue_account AS account, 'revenue' AS role, 1 AS pri
                      FROM rr.performance_obligation o
                     WHERE o.tenant_id = t AND o.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)
                    UNION ALL
                    SELECT o.contract_id, o.deferred_account,
                           CASE WHEN o.obligation_no = first_value(o.obligation_no) OVER (PARTITION BY o.contract_id ORDER BY o.obligation_no < 0, o.obligation_no)
                                THEN 'deferred' ELSE 'other' END,
                           CASE WHEN o.obligation_no = first_value(o.obligation_no) OVER (PARTITION BY o.contract_id ORDER BY o.obligation_no < 0, o.obligation_no)
                                THEN 2 ELSE 5 END
                      FROM rr.performance_obligation o
                     WHERE o.tenant_id = t AND o.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)
                    UNION ALL
                    SELECT c.contract_id, v.account, v.role, v.pri
                      FROM (SELECT DISTINCT g.contract_id FROM rr_grp g) c,
                           (VALUES ('1150', 'unbilled', 3), ('1160', 'asset', 4)) AS v (account, role, pri)
                    UNION ALL
                    SELECT dd.contract_id, dd.account, 'other', 6
                      FROM rr.discount dd
                     WHERE dd.tenant_id = t AND dd.contract_id IN (SELECT DISTINCT g.contract_id FROM rr_grp g)) x
             ORDER BY x.contract_id, x.account, x.pri) a;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_acct');
    -- their ledger balances (credit - debit) and the revenue earlier runs recognised, as of
    -- the date of each entry k but the contract's last, and as of `through` for the last
    -- (billing may have posted invoices dated later; an earlier run may have posted entries
    -- dated later, when it ran through a later date): each entry re-nets the position as it
    -- stands on its date, so the revenue of a period does not depend on the date the run
    -- went through
    UPDATE rr_grp g SET as_of = CASE WHEN g.k = m.last_k THEN recognize.through ELSE g.entry_date END
      FROM (SELECT g2.contract_id, max(g2.k) AS last_k FROM rr_grp g2 GROUP BY g2.contract_id) m
     WHERE m.contract_id = g.contract_id;
    INSERT INTO rr_kacct2
    SELECT a.contract_id, g.k, a.account, a.role, 0, 0, 0
      FROM rr_acct a JOIN rr_grp g ON g.contract_id = a.contract_id;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_kacct2');
    -- (a line counts unless its entry is dated after the date the position is taken on:
    -- only the entries dated after the earliest such date are read for their dates, not
    -- every entry of the tenant joined to every line of the contracts, which hashed the
    -- 400,000 entries of ten months of 20,000 contracts; every line has its entry,
    -- rr_internal.check_journal)
    SELECT min(g.as_of) INTO first_as_of FROM rr_grp g;
    UPDATE rr_kacct2 a SET ledger = b.balance
      FROM (SELECT g.contract_id, g.k, j.account, sum(j.credit - j.debit) AS balance
              FROM rr_grp g
              JOIN rr.journal_line j ON j.tenant_id = t AND j.contract_id = g.contract_id
              LEFT JOIN (SELECT e.entry_id, e.entry_date FROM rr.journal_entry e
                          WHERE e.tenant_id = t AND e.entry_date > first_as_of) e ON e.entry_id = j.entry_id
             WHERE e.entry_id IS NULL OR e.entry_date <= g.as_of
             GROUP BY g.contract_id, g.k, j.account) b
     WHERE a.contract_id = b.contract_id AND a.k = b.k AND a.account = b.account;
    -- the revenue (per revenue account) and the contract amounts (per contract) recognised
    -- before, in one pass over the posted schedule lines: each line's contract amount goes
    -- to the row of its obligation's revenue account, which every contract position has
    -- (rr_acct; revenue_account is NOT NULL), and rr_cpos sums them per contract
    -- (a sub-query joined in, not a correlated one: Citus joins a work table to the tenant's
    -- tables only so; and a correlated sub-query that joined rr_grp per posted line scanned
    -- the whole work table per line on new tables: 13 minutes for the second monthly
    -- recognition of 20,000 contracts)
    UPDATE rr_kacct2 a SET prior = p.amount, prior_e = p.contract_amount
      FROM (SELECT g.contract_id, g.k, o.revenue_account, sum(l.amount) AS amount,
                   sum(l.contract_amount) AS contract_amount
              FROM rr_grp g
              JOIN rr.revenue_schedule_line l ON l.tenant_id = t AND l.contract_id = g.contract_id
              JOIN rr.performance_obligation o ON o.tenant_id = t AND o.contract_id = l.contract_id
                                              AND o.obligation_no = l.obligation_no
             WHERE l.status = 'posted' AND l.posted_on <= g.as_of
             GROUP BY g.contract_id, g.k, o.revenue_account) p
     WHERE a.contract_id = p.contract_id AND a.k = p.k AND a.account = p.revenue_account AND a.role = 'revenue';
    INSERT INTO rr_cpos
    SELECT a.contract_id, a.k, sum(a.ledger), sum(a.prior), sum(a.prior_e)
      FROM rr_kacct2 a
     GROUP BY a.contract_id, a.k;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_cpos');

    -- target balances after each entry k of a contract, as of its date; each entry writes
    -- the target less the balance then, less what this run's earlier entries (dated no
    -- later) wrote already.  Every target sums to what the ledger holds on these accounts
    -- on its date (what was billed by then), so every entry balances.
    INSERT INTO rr_delta
    WITH rev AS (
        SELECT d.contract_id, g.k, d.revenue_account AS account, sum(d.amount) AS amount
          FROM rr_due2 d JOIN rr_grp g ON g.contract_id = d.contract_id AND g.period_start = d.period_start
         GROUP BY d.contract_id, g.k, d.revenue_account
    ), cum AS (
        SELECT a.contract_id, a.k, a.account, a.role, a.ledger,
               a.prior + sum(coalesce(r.amount, 0)) OVER (PARTITION BY a.contract_id, a.account ORDER BY a.k) AS rev_k
          FROM rr_kacct2 a
          LEFT JOIN rev r ON r.contract_id = a.contract_id AND r.k = a.k AND r.account = a.account
    ), pos AS (
        SELECT g.contract_id, g.k, c.b,
               c.prior_r + sum(g.amount) OVER w AS r_k,
               c.prior_e + sum(g.contract_amount) OVER w AS e_k
          FROM rr_grp g JOIN rr_cpos c ON c.contract_id = g.contract_id AND c.k = g.k
        WINDOW w AS (PARTITION BY g.contract_id ORDER BY g.k)
    ), split AS (
        SELECT pos.*, greatest(pos.b - pos.r_k, 0) AS deferred,
               least(greatest(pos.r_k - pos.b, 0), greatest(pos.e_k - pos.b, 0)) AS unbilled,
               greatest(pos.r_k - pos.b, 0) - least(greatest(pos.r_k - pos.b, 0), greatest(pos.e_k - pos.b, 0)) AS asset
          FROM pos
    ), target AS (
        SELECT cum.contract_id, cum.k, cum.account, cum.ledger,
               CASE cum.role WHEN 'revenue' THEN cum.rev_k
                             WHEN 'deferred' THEN s.deferred
                             WHEN 'unbilled' THEN -s.unbilled
                             WHEN 'asset' THEN -s.asset
                             ELSE 0 END AS target
          FROM cum JOIN split s ON s.contract_id = cum.contract_id AND s.k = cum.k
    )
    SELECT x.contract_id, x.k, x.account,
           (x.target - x.ledger) - coalesce(lag(x.target - x.ledger) OVER (PARTITION BY x.contract_id, x.account ORDER BY x.k), 0)
      FROM target x;
    DELETE FROM rr_delta x WHERE x.delta = 0;
    UPDATE rr_grp g SET has_entry = true
     WHERE EXISTS (SELECT FROM rr_delta x WHERE x.contract_id = g.contract_id AND x.k = g.k);

    INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
    SELECT t, g.entry_id, g.entry_date, g.period_start, 'recognition', run,
           format('Revenue recognition through %s, contract %s', recognize.through, g.contract_id)
      FROM rr_grp g
     WHERE g.has_entry
     ORDER BY g.entry_id;
    -- in the functional currency too, at the rate of the entry date (the latest of the pair
    -- on or before it, 1 in the functional currency; looked up in the statement, as posting
    -- does), each side rounded once
    -- (the minor units by rr.minor_units, not a join with the reference table rr.currency,
    -- which Citus refuses in a delegated function: docs/scale-out.md)
    SELECT k.currency, rr.minor_units(k.currency) INTO fc, fmu
      FROM rr.tenant k
     WHERE k.tenant_id = t;
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id,
                                 functional_currency, functional_debit, functional_credit)
    SELECT t, j.entry_id, j.line_no, j.account, j.debit, j.credit, j.currency, j.contract_id, f.functional_currency,
           round(sum(j.debit) OVER w * f.rate, f.minor_units) - round((sum(j.debit) OVER w - j.debit) * f.rate, f.minor_units),
           round(sum(j.credit) OVER w * f.rate, f.minor_units) - round((sum(j.credit) OVER w - j.credit) * f.rate, f.minor_units)
      FROM (SELECT g.entry_id, row_number() OVER (PARTITION BY g.entry_id ORDER BY x.delta > 0, x.account)::integer AS line_no,
                   x.account, greatest(-x.delta, 0) AS debit, greatest(x.delta, 0) AS credit, g.currency, g.contract_id,
                   g.entry_date
              FROM rr_delta x JOIN rr_grp g ON g.contract_id = x.contract_id AND g.k = x.k) j
     CROSS JOIN LATERAL (SELECT CASE WHEN r.rate IS NOT NULL THEN fc END AS functional_currency, r.rate,
                                CASE WHEN r.rate IS NOT NULL THEN fmu END AS minor_units
                           FROM (SELECT CASE WHEN j.currency = fc THEN 1::numeric
                                             ELSE (SELECT x.rate FROM rr.exchange_rate x
                                                    WHERE x.tenant_id = t AND x.from_currency = j.currency
                                                      AND x.to_currency = fc AND x.rate_date <= j.entry_date
                                                    ORDER BY x.rate_date DESC
                                                    LIMIT 1) END AS rate) r) f
    WINDOW w AS (PARTITION BY j.entry_id, j.currency ORDER BY j.line_no);
    -- the entries written, checked once (rr_internal.check_journal)
    PERFORM rr_internal.check_journal(t, min(g.entry_id), max(g.entry_id)) FROM rr_grp g WHERE g.has_entry;
    UPDATE rr.revenue_schedule_line l
       SET status = 'posted', run_id = run, posted_period = g.period_start, posted_on = g.entry_date,
           entry_id = CASE WHEN g.has_entry THEN g.entry_id END
      FROM rr_due2 d JOIN rr_grp g ON g.contract_id = d.contract_id AND g.period_start = d.period_start
     -- (by the lines' key, which leads with the contract and obligation)
     WHERE l.tenant_id = t AND l.contract_id = d.contract_id AND l.obligation_no = d.obligation_no
       AND l.schedule_line_id = d.schedule_line_id;

    RETURN QUERY
    SELECT g.contract_id, g.period_start, CASE WHEN g.has_entry THEN g.entry_id END, g.lines, g.amount
      FROM rr_grp g
     WHERE g.lines > 0 OR g.has_entry
     ORDER BY g.contract_id, g.period_start;
END
$$;
COMMENT ON FUNCTION rr_internal.recognize(text, date) IS 'internal: the work of rr.recognize for a tenant, its argument checked and the tenant''s recognition lock held by the caller';
REVOKE ALL ON FUNCTION rr_internal.recognize(text, date) FROM PUBLIC;

CREATE FUNCTION rr.recognize(through date DEFAULT current_date)
RETURNS TABLE (contract_id bigint, period_start date, entry_id bigint, lines bigint, revenue numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    audit text[];
BEGIN
    IF through IS NULL THEN
        RAISE EXCEPTION 'recognition date must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- one run at a time per tenant (and never during a close): a second run waits, then
    -- sees the first one's lines posted and its entries in the ledger.  The lock is the
    -- tenant's row of rr.tenant (FOR NO KEY UPDATE, which foreign key checks do not wait
    -- for), as rr.close_period and rr.reopen_period take it: a role needs UPDATE on
    -- rr.tenant to lock it, which no member role has.  (An advisory lock, as before, any
    -- role could take by its key and hold for ever, stopping another tenant's runs.)
    PERFORM rr_internal.lock_tenant(t);
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT r.contract_id, r.period_start, r.entry_id, r.lines, r.revenue
                                   FROM rr_internal.recognize(%L::text, %L::date) AS r', t, through);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.recognize(date) IS 'posts every revenue schedule line due by `through` (invoice-sourced lines once their invoice is posted): per contract and fiscal period one journal entry, Cr revenue and the contract''s position re-netted into deferred revenue, unbilled receivable and contract asset, in the period of the lines or the first open one after it; set-based, idempotent, one run at a time per tenant; returns one row per contract and period';
