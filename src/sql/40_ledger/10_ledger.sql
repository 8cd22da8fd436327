-- Accounting periods and the journal (docs/revenue.md, docs/billing.md).
--
-- A tenant's fiscal calendar is a set of periods that tile time (calendar months unless
-- the tenant defines its own, such as 4-4-5 or 13 periods); each is open or closed.
-- Every posting writes a double-entry journal entry dated in the period of its date, or
-- in the first open period after it when that one is closed.  An entry's lines are
-- written in one statement, and a statement-level trigger over the transition table
-- refuses any entry whose debits and credits differ.  Journal lines are immutable.

CREATE TABLE rr.fiscal_period (
    tenant_id    text NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    status       text NOT NULL DEFAULT 'open',
    CONSTRAINT fiscal_period_pkey PRIMARY KEY (tenant_id, period_start),
    CONSTRAINT fiscal_period_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT fiscal_period_end_key UNIQUE (tenant_id, period_end),
    CONSTRAINT fiscal_period_dates_check CHECK (period_end > period_start),
    CONSTRAINT fiscal_period_status_check CHECK (status IN ('open', 'closed')),
    CONSTRAINT fiscal_period_date_limit_check CHECK (rr.check_date('period start date', period_start)
                                                     AND rr.check_date('period end date', period_end - 1))
);
COMMENT ON TABLE rr.fiscal_period IS 'fiscal calendar per tenant: periods [period_start, period_end) that tile time, open or closed; calendar months are created on demand, custom calendars are added by an administrator with rr.add_fiscal_periods';

-- Periods must tile time: no overlap, no gap.  Checked for a tenant's whole calendar by the
-- functions that write it, after they wrote (rr_internal.ensure_fiscal_periods and
-- rr_internal.ensure_fiscal_periods_from, which extend it with calendar months, and
-- rr.add_fiscal_periods, which loads a custom one), not by a statement trigger with a
-- transition table (issue 18: Citus cannot run one on a shard).  The calendar is a
-- tenant's few hundred rows at most, read by the primary key.
CREATE FUNCTION rr_internal.check_fiscal_periods(tenant_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    -- each period against the one before it, in order: one that starts before the previous
    -- one ends overlaps it, one that starts after it leaves a gap (one sorted pass)
    SELECT x.prev_start, x.prev_end, x.period_start, x.period_end INTO bad
      FROM (SELECT p.period_start, p.period_end,
                   lag(p.period_start) OVER (ORDER BY p.period_start) AS prev_start,
                   lag(p.period_end) OVER (ORDER BY p.period_start) AS prev_end
              FROM rr.fiscal_period p
             WHERE p.tenant_id = check_fiscal_periods.tenant_id) x
     WHERE x.period_start <> x.prev_end
     ORDER BY x.period_start
     LIMIT 1;
    IF FOUND AND bad.period_start < bad.prev_end THEN
        RAISE EXCEPTION 'fiscal periods overlap at %', bad.period_start
            USING ERRCODE = '23P01',
                  DETAIL = format('Period [%s,%s) overlaps period [%s,%s) of tenant "%s".',
                                  bad.prev_start, bad.prev_end, bad.period_start, bad.period_end,
                                  check_fiscal_periods.tenant_id),
                  HINT = 'Fiscal periods must tile time: each starts where the previous one ends.';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'fiscal periods leave a gap at %', bad.prev_end
            USING ERRCODE = '23514',
                  DETAIL = format('No period of tenant "%s" covers [%s,%s).', check_fiscal_periods.tenant_id,
                                  bad.prev_end, bad.period_start),
                  HINT = 'Fiscal periods must tile time: each starts where the previous one ends.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_fiscal_periods(text) IS 'internal, called by the functions that write a tenant''s fiscal calendar: refuses periods that overlap (23P01) or leave a gap between two periods (23514)';
REVOKE ALL ON FUNCTION rr_internal.check_fiscal_periods(text) FROM PUBLIC;

-- Calendar months from the tenant's last period (or from the month of `from_date`) up to
-- the month that contains through_date.
CREATE FUNCTION rr_internal.ensure_fiscal_periods(tenant_id text, from_date date, through_date date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_end date;
    n integer;
BEGIN
    -- periods are created up to the data's own (business) dates, never further
    PERFORM rr.check_date('posting date', from_date), rr.check_date('posting date', through_date);
    SELECT max(p.period_end) INTO last_end FROM rr.fiscal_period p WHERE p.tenant_id = ensure_fiscal_periods.tenant_id;
    IF last_end IS NOT NULL AND last_end > through_date THEN
        RETURN 0;
    END IF;
    INSERT INTO rr.fiscal_period (tenant_id, period_start, period_end)
    SELECT ensure_fiscal_periods.tenant_id, lower(m), upper(m)
      FROM rr.billing_periods(coalesce(last_end, date_trunc('month', least(from_date, through_date))::date),
                              (date_trunc('month', through_date) + interval '1 month')::date,
                              '1 month', '2000-01-01') AS m
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM rr_internal.check_fiscal_periods(ensure_fiscal_periods.tenant_id);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.ensure_fiscal_periods(text, date, date) IS 'internal: extends a tenant''s fiscal calendar with calendar months through the month of through_date';

-- For administrators: load a custom fiscal calendar (4-4-5 weeks, 13 periods) or extend
-- the tenant's calendar by hand.  The periods, in any order, must tile with one another and
-- with the periods the tenant has: a period equal to one it has is left as it is (so a
-- calendar can be loaded again), one that overlaps another is refused, and so is a gap.
-- Periods are added open.
CREATE FUNCTION rr.add_fiscal_periods(periods daterange[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    bad record;
    n integer;
BEGIN
    IF periods IS NULL THEN
        RAISE EXCEPTION 'fiscal periods must not be NULL' USING ERRCODE = '22004';
    ELSIF cardinality(periods) > 10000 THEN
        RAISE EXCEPTION 'at most 10000 fiscal periods at a time, not %', cardinality(periods)
            USING ERRCODE = '22023', HINT = 'Load a calendar a few years at a time.';
    END IF;
    SELECT x.p INTO bad FROM unnest(periods) x (p)
     WHERE x.p IS NULL OR isempty(x.p) OR lower_inf(x.p) OR upper_inf(x.p)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a fiscal period must be a bounded date range of at least one day, not %',
                        coalesce(bad.p::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Give each period as [first day, day after its last day), e.g. ''[2025-01-01,2025-01-29)''.';
    END IF;
    -- overlaps, among the new periods and with the tenant's (a period equal to one of them
    -- is not an overlap: it is there already): of the distinct periods in order, one that
    -- starts before the previous one ends (any overlap shows in such a pair)
    SELECT x.prev AS one, x.p AS other INTO bad
      FROM (SELECT y.p, lag(y.p) OVER (ORDER BY lower(y.p), upper(y.p)) AS prev
              FROM (SELECT z.p FROM unnest(periods) z (p)
                    UNION
                    SELECT daterange(f.period_start, f.period_end) FROM rr.fiscal_period f WHERE f.tenant_id = t) y) x
     WHERE lower(x.p) < upper(x.prev)
     ORDER BY lower(x.p)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'fiscal periods overlap at %', lower(bad.other)
            USING ERRCODE = '23P01',
                  DETAIL = format('Period %s overlaps period %s of tenant "%s".', bad.one, bad.other, t),
                  HINT = 'Fiscal periods must tile time: each starts where the previous one ends.';
    END IF;
    INSERT INTO rr.fiscal_period (tenant_id, period_start, period_end)
    SELECT t, lower(x.p), upper(x.p)
      FROM (SELECT DISTINCT y.p FROM unnest(periods) y (p)) x
     WHERE NOT EXISTS (SELECT FROM rr.fiscal_period f
                        WHERE f.tenant_id = t AND f.period_start = lower(x.p) AND f.period_end = upper(x.p))
     ORDER BY lower(x.p);
    GET DIAGNOSTICS n = ROW_COUNT;
    -- and no gap, in the whole calendar
    PERFORM rr_internal.check_fiscal_periods(t);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.add_fiscal_periods(daterange[]) IS 'adds fiscal periods to the current tenant''s calendar (a custom calendar such as 4-4-5 weeks, loaded by an administrator): bounded date ranges in any order that tile with one another and with the tenant''s periods (a period equal to an existing one is skipped; an overlap or a gap is refused; at most 10,000 at a time); returns how many it added';
REVOKE ALL ON FUNCTION rr.add_fiscal_periods(daterange[]) FROM PUBLIC;

-- The first day of the open period a posting dated d goes into.
CREATE FUNCTION rr_internal.posting_period(tenant_id text, d date)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p date;
BEGIN
    PERFORM rr_internal.ensure_fiscal_periods(tenant_id, d, d);
    SELECT f.period_start INTO p
      FROM rr.fiscal_period f
     WHERE f.tenant_id = posting_period.tenant_id AND f.period_end > d AND f.status = 'open'
     ORDER BY f.period_start
     LIMIT 1;
    IF p IS NULL THEN
        -- every period from d on is closed: open the month after the last one
        PERFORM rr_internal.ensure_fiscal_periods(tenant_id, d,
                    (SELECT max(f.period_end) FROM rr.fiscal_period f WHERE f.tenant_id = posting_period.tenant_id));
        SELECT f.period_start INTO p
          FROM rr.fiscal_period f
         WHERE f.tenant_id = posting_period.tenant_id AND f.period_end > d AND f.status = 'open'
         ORDER BY f.period_start LIMIT 1;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION rr_internal.posting_period(text, date) IS 'the start of the fiscal period a posting dated d goes into: the period containing d if it is open, else the first open period after it (calendar months are added as needed)';

CREATE TABLE rr.journal_entry (
    tenant_id    text NOT NULL,
    entry_id     bigint GENERATED BY DEFAULT AS IDENTITY,
    entry_date   date NOT NULL,
    period_start date NOT NULL,
    source       text NOT NULL,
    source_id    bigint NOT NULL,
    memo         text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT journal_entry_pkey PRIMARY KEY (tenant_id, entry_id),
    -- the fiscal period: no foreign key (a lookup and a row lock per entry, 86 ms of a
    -- posting of 20,000 invoices and 4.9 s at 1,000,000); rr_internal.check_journal, which
    -- every writer calls for the entries it wrote, looks up and locks their few periods
    -- once, and a period with entries can be neither deleted nor re-keyed (period_in_journal)
    CONSTRAINT journal_entry_source_check CHECK (source IN ('invoice', 'credit_note', 'payment', 'recognition', 'manual', 'wallet')),
    CONSTRAINT journal_entry_date_limit_check CHECK (rr.check_date('entry date', entry_date))
);
COMMENT ON TABLE rr.journal_entry IS 'journal entries: the date of the business event, the fiscal period it was posted into, and the document that caused it';

-- Documents name their catalog rows (customer, item, tax code, accounts) without foreign
-- keys (issue 13: a lookup and a row lock per document row, 1.3 s of the 7.8 s of a
-- billing run and posting of 20,000 contracts).  Two halves keep the keys' guarantee:
--  - the functions that write documents lock the distinct catalog rows they used, once per
--    statement, after writing (rr_internal.lock_catalog: FOR KEY SHARE, as a key check
--    does, in code order), and refuse one that no longer exists;
--  - a catalog row that documents use can be neither deleted nor re-keyed
--    (rr_internal.keep_used_catalog, a trigger on the catalog table that reads the
--    documents, as a key's own check on the referenced side does).
-- A delete that comes first makes the writer wait and then refuse (23503); a writer that
-- comes first makes the delete wait, and the delete's trigger then sees its rows.  Under
-- REPEATABLE READ or SERIALIZABLE the trigger could not see rows written since the
-- transaction began, so it refuses there: catalog rows are deleted in READ COMMITTED
-- transactions (the default).
CREATE FUNCTION rr_internal.lock_catalog(tenant_id text, kind text, codes text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    wanted text[];
    found text[];
    missing text;
BEGIN
    SELECT array_agg(DISTINCT c ORDER BY c) INTO wanted FROM unnest(codes) c WHERE c IS NOT NULL;
    IF wanted IS NULL THEN
        RETURN;
    END IF;
    CASE kind
    WHEN 'account' THEN
        SELECT array_agg(x.code) INTO found
          FROM (SELECT a.code FROM rr.account a WHERE a.tenant_id = lock_catalog.tenant_id AND a.code = ANY (wanted)
                 ORDER BY a.code FOR KEY SHARE) x;
    WHEN 'customer' THEN
        SELECT array_agg(x.code) INTO found
          FROM (SELECT c.code FROM rr.customer c WHERE c.tenant_id = lock_catalog.tenant_id AND c.code = ANY (wanted)
                 ORDER BY c.code FOR KEY SHARE) x;
    WHEN 'item' THEN
        SELECT array_agg(x.code) INTO found
          FROM (SELECT i.code FROM rr.item i WHERE i.tenant_id = lock_catalog.tenant_id AND i.code = ANY (wanted)
                 ORDER BY i.code FOR KEY SHARE) x;
    WHEN 'tax_code' THEN
        SELECT array_agg(x.code) INTO found
          FROM (SELECT t.code FROM rr.tax_code t WHERE t.tenant_id = lock_catalog.tenant_id AND t.code = ANY (wanted)
                 ORDER BY t.code FOR KEY SHARE) x;
    END CASE;
    IF cardinality(found) IS DISTINCT FROM cardinality(wanted) THEN
        SELECT c INTO missing FROM unnest(wanted) c WHERE c <> ALL (coalesce(found, '{}')) LIMIT 1;
        RAISE EXCEPTION '% "%" of tenant "%" does not exist', replace(kind, '_', ' '), missing, tenant_id
            USING ERRCODE = '23503',
                  DETAIL = 'Documents and journal lines name only catalog rows that exist; this one does not, or was deleted while they were being written.',
                  HINT = 'Add the row to the catalog, or try again if it was deleted concurrently.';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.lock_catalog(text, text, text[]) IS 'internal: locks the catalog rows of one kind (account, customer, item, tax_code) that a statement''s documents use, FOR KEY SHARE in code order, and refuses (23503) one that no longer exists: the writer''s half of a foreign key';
REVOKE ALL ON FUNCTION rr_internal.lock_catalog(text, text, text[]) FROM PUBLIC;

-- The catalog's half: TG_ARGV names pairs of (document table, column) that use the row's
-- code.  One index or table scan per deleted or re-keyed row, the same as a key's own check.
CREATE FUNCTION rr_internal.keep_used_catalog()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i integer;
    used boolean;
    -- the catalog table, without the shard suffix a Citus shard has (as
    -- rr_internal.trigger_table gives it): this fires as the administrator who deletes or
    -- re-keys the row, who may not use schema rr_internal
    tab text := replace(pg_catalog.regexp_replace(TG_TABLE_NAME::text, '_[0-9]{6,}$', ''), '_', ' ');
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.tenant_id = OLD.tenant_id AND NEW.code = OLD.code THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS / 2 - 1 LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s d WHERE d.tenant_id = $1 AND d.%I = $2)',
                       TG_ARGV[2 * i], TG_ARGV[2 * i + 1])
           INTO used USING OLD.tenant_id, OLD.code;
        IF used THEN
            RAISE EXCEPTION 'cannot % % "%": % uses it', lower(TG_OP), tab, OLD.code,
                            TG_ARGV[2 * i]
                USING ERRCODE = '23503',
                      DETAIL = format('Rows of %s name it in %s.', TG_ARGV[2 * i], TG_ARGV[2 * i + 1]),
                      HINT = 'Documents and the ledger never change; keep the row (its name and other columns may change).';
        END IF;
    END LOOP;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'cannot % % "%" in a % transaction', lower(TG_OP), tab, OLD.code,
                        upper(pg_catalog.current_setting('transaction_isolation'))
            USING ERRCODE = '0A000',
                  DETAIL = 'Whether documents written since the transaction began use it can only be seen under READ COMMITTED.',
                  HINT = 'Delete or re-key catalog rows in a READ COMMITTED transaction (the default).';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.keep_used_catalog() IS 'trigger function: refuses deleting or re-keying a catalog row (account, customer, item, tax code) that documents use (the (table, column) pairs of its arguments), and doing so outside READ COMMITTED, where documents written concurrently would not be seen: the catalog''s half of a foreign key';
REVOKE ALL ON FUNCTION rr_internal.keep_used_catalog() FROM PUBLIC;

CREATE TABLE rr.journal_line (
    tenant_id  text NOT NULL,
    entry_id   bigint NOT NULL,
    line_no    integer NOT NULL,
    account    text NOT NULL,
    debit      numeric NOT NULL DEFAULT 0,
    credit     numeric NOT NULL DEFAULT 0,
    currency   char(3) NOT NULL,
    contract_id bigint,
    functional_currency char(3),
    functional_debit    numeric,
    functional_credit   numeric,
    CONSTRAINT journal_line_pkey PRIMARY KEY (tenant_id, entry_id, line_no),
    -- the entry and the currency are checked once per statement by the trigger below (their
    -- parents never change: journal_entry_immutable, currency_guard), not by foreign keys,
    -- which cost a lookup and a row lock per line (issue 13: more than half the lines' write cost)
    -- the account: no foreign key either; the writers lock the accounts they post to
    -- (rr_internal.lock_catalog) and a used account is kept (account_in_journal)
    CONSTRAINT journal_line_amount_check CHECK (debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)),
    CONSTRAINT journal_line_limit_check CHECK (rr.check_number('debit', debit) AND rr.check_number('credit', credit)),
    -- functional amounts: all three or none (none only in the functional currency itself,
    -- checked by rr_internal.check_journal)
    CONSTRAINT journal_line_functional_check CHECK ((functional_currency IS NULL) = (functional_debit IS NULL)
                                                    AND (functional_currency IS NULL) = (functional_credit IS NULL)
                                                    AND functional_debit >= 0 AND functional_credit >= 0
                                                    AND rr.check_number('functional debit', functional_debit)
                                                    AND rr.check_number('functional credit', functional_credit))
);
COMMENT ON TABLE rr.journal_line IS 'journal lines (immutable): one debit or one credit on an account, in the document currency, with its amount in the tenant''s functional currency';
COMMENT ON COLUMN rr.journal_line.currency IS 'ISO 4217 code of the document currency of debit and credit';
COMMENT ON COLUMN rr.journal_line.functional_currency IS 'the tenant''s functional currency (rr.tenant.currency) at posting; NULL only on lines posted before 0.2.0, or written in the functional currency by code that does not convert (their functional amounts are then debit and credit)';
COMMENT ON COLUMN rr.journal_line.functional_debit IS 'debit converted to the functional currency at the latest rate on or before the entry''s document date (rr.exchange_rate), rounded once per entry side (docs/dunning-and-currencies.md); a realised exchange loss line has a functional debit and no document amount';
COMMENT ON COLUMN rr.journal_line.functional_credit IS 'credit converted to the functional currency like functional_debit; a realised exchange gain line has a functional credit and no document amount';

-- The ledger's integrity, checked by the functions that write it, once per call, for the
-- entries they wrote (issue 18: no statement trigger with a transition table, which Citus
-- cannot run on a shard; issue 13: no copy of every line into a transition table).  Every
-- writer of journal entries draws their ids from the entries' sequence and, after its
-- last statement, calls this with the range of ids it drew; the range is read by the
-- primary keys (an entry another transaction wrote inside it is read again, already
-- checked by its writer).  In that range: every line belongs to an entry, in a currency
-- of rr.currency, to an account of the tenant's (locked: the writer's half of a key),
-- converted only into the tenant's functional currency; every entry balances per currency
-- and in the functional currency; and no entry this transaction wrote is in a closed
-- fiscal period.  This replaces the lines' foreign keys to their entry and currency (one
-- check per call, not one per line): an entry can be neither deleted nor changed
-- (journal_entry_immutable, and TRUNCATE is refused), nor a currency that journal lines
-- use (rr_internal.currency_guard).  Only the extension's functions write the journal (no
-- role is granted INSERT on it); test/pgtap/schema.sql checks that each of them calls
-- this, and the view rr.journal_exceptions shows any entry written around it.
CREATE FUNCTION rr_internal.check_journal(tenant_id text, first_entry bigint, last_entry bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := check_journal.tenant_id;
    bad record;
    accounts text[];
    bad_currency text;
    currencies char(3)[];
    missing_entry bigint;
    conv_entry bigint;
    conv_currency text;
    conv_into text;
    book text;
    ub_entry bigint;
    ub_currency text;
    ub_debit numeric;
    ub_credit numeric;
    ub_f_debit numeric;
    ub_f_credit numeric;
    ub_f_currency text;
    fub_entry bigint;
    multi_entries bigint[];
    periods date[];
    n_periods bigint;
    closed_periods date[];
    -- the transaction's start, as a value: on Citus, where the entries' created_at is the
    -- time of the transaction on the node that wrote them (the coordinator for a writer
    -- called there), now() inside a statement sent to the tenant's worker would be the
    -- worker's (the checks below found no entry of this transaction, and refused nothing)
    tx_start timestamptz := pg_catalog.now();
BEGIN
    IF first_entry IS NULL OR last_entry IS NULL THEN
        RETURN;
    END IF;
    -- the tenant's functional currency, into which lines are converted
    SELECT k.currency INTO book FROM rr.tenant k WHERE k.tenant_id = t;
    -- The lines of the range read once, in the order of their key, and grouped by entry as
    -- they come (no hash of the entries, and one sum per rule: the entries of a posting of
    -- 100,000 invoices were hashed per entry and currency with four sums each, 134 MB
    -- spilled to disk, 0.64 s; this way 0.27 s, bench/README.md); what each rule finds
    -- wrong first, in one statement (no work table: a payment's check costs no temporary
    -- table in a new session).  An entry in one currency balances when its debits less its
    -- credits come to 0; an entry in several currencies (rare) is checked per currency
    -- below.
    WITH g AS (
        SELECT x.entry_id, pg_catalog.min(x.currency) AS cur_lo, pg_catalog.max(x.currency) AS cur_hi,
               pg_catalog.sum(x.net) AS net, pg_catalog.sum(x.f_net) AS f_net, pg_catalog.bool_or(x.conv) AS conv,
               -- (lines, and no entry)
               pg_catalog.bool_and(x.line) AS no_entry
          -- the range's lines and its entries, merged in the order of their entry ids (not a
          -- join of the two: on tables without statistics the planner scanned the entries
          -- once per entry, test/plans)
          FROM (SELECT l.entry_id, true AS line, l.currency, l.debit - l.credit AS net,
                       -- (a line without functional amounts counts as it is)
                       coalesce(l.functional_debit, l.debit) - coalesce(l.functional_credit, l.credit) AS f_net,
                       l.functional_currency <> l.currency AND l.functional_currency <> book AS conv
                  FROM rr.journal_line l
                 WHERE l.tenant_id = t AND l.entry_id >= first_entry AND l.entry_id <= last_entry
                UNION ALL
                SELECT e.entry_id, false, NULL, NULL, NULL, NULL
                  FROM rr.journal_entry e
                 WHERE e.tenant_id = t AND e.entry_id >= first_entry AND e.entry_id <= last_entry
                 ORDER BY 1) x
         GROUP BY x.entry_id
    )
    SELECT pg_catalog.min(g.entry_id) FILTER (WHERE g.no_entry),
           pg_catalog.min(g.entry_id) FILTER (WHERE g.conv),
           pg_catalog.min(g.entry_id) FILTER (WHERE g.cur_lo = g.cur_hi AND g.net <> 0),
           pg_catalog.min(g.entry_id) FILTER (WHERE g.f_net <> 0),
           pg_catalog.array_agg(g.entry_id) FILTER (WHERE g.cur_lo <> g.cur_hi)
      INTO missing_entry, conv_entry, ub_entry, fub_entry, multi_entries
      FROM g;
    -- the accounts and currencies the lines name, by a second read of the range, hashed
    -- (a DISTINCT per entry sorted each entry's handful of accounts, 20,000 sorts a posting)
    SELECT pg_catalog.array_agg(DISTINCT x.account), pg_catalog.array_agg(DISTINCT x.currency)
      INTO accounts, currencies
      FROM (SELECT DISTINCT l.account, l.currency FROM rr.journal_line l
             WHERE l.tenant_id = t AND l.entry_id >= first_entry AND l.entry_id <= last_entry) x;
    -- the entries in several currencies, balanced per currency
    IF multi_entries IS NOT NULL THEN
        SELECT least(ub_entry, pg_catalog.min(x.entry_id)) INTO ub_entry
          FROM (SELECT l.entry_id FROM rr.journal_line l
                 WHERE l.tenant_id = t AND l.entry_id = ANY (multi_entries)
                 GROUP BY l.entry_id, l.currency
                HAVING pg_catalog.sum(l.debit) <> pg_catalog.sum(l.credit)) x;
    END IF;
    -- what the messages below say of the first entry each rule refuses, read for it alone
    IF conv_entry IS NOT NULL THEN
        SELECT l.currency, l.functional_currency INTO conv_currency, conv_into
          FROM rr.journal_line l
         WHERE l.tenant_id = t AND l.entry_id = conv_entry
           AND l.functional_currency <> l.currency AND l.functional_currency <> book
         ORDER BY l.line_no
         LIMIT 1;
    END IF;
    IF ub_entry IS NOT NULL THEN
        SELECT x.currency, x.debit, x.credit INTO ub_currency, ub_debit, ub_credit
          FROM (SELECT l.currency, pg_catalog.sum(l.debit) AS debit, pg_catalog.sum(l.credit) AS credit
                  FROM rr.journal_line l
                 WHERE l.tenant_id = t AND l.entry_id = ub_entry
                 GROUP BY l.currency) x
         WHERE x.debit <> x.credit
         ORDER BY x.currency
         LIMIT 1;
    ELSIF fub_entry IS NOT NULL THEN
        ub_entry := fub_entry;
        SELECT pg_catalog.sum(coalesce(l.functional_debit, l.debit)), pg_catalog.sum(coalesce(l.functional_credit, l.credit)),
               pg_catalog.max(coalesce(l.functional_currency, l.currency))
          INTO ub_f_debit, ub_f_credit, ub_f_currency
          FROM rr.journal_line l
         WHERE l.tenant_id = t AND l.entry_id = fub_entry;
    END IF;

    -- the currencies, in a statement of their own (the currency list is a reference table
    -- on Citus, which a statement of a delegated function may not join with the tenant's
    -- tables: docs/scale-out.md)
    SELECT x.code INTO bad_currency FROM unnest(currencies) AS x (code)
     WHERE NOT EXISTS (SELECT FROM rr.currency k WHERE k.code = x.code)
     ORDER BY x.code LIMIT 1;
    IF bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'journal line currency "%" does not exist', bad_currency
            USING ERRCODE = '23503',
                  DETAIL = 'The currency of a journal line must be one of rr.currency.',
                  HINT = 'Add the currency to rr.currency first.';
    END IF;
    -- the accounts: locked and checked once (account_in_journal keeps a used account)
    PERFORM rr_internal.lock_catalog(t, 'account', accounts);
    IF missing_entry IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % of tenant "%" does not exist', missing_entry, t
            USING ERRCODE = '23503',
                  DETAIL = 'Every journal line belongs to an entry of rr.journal_entry.',
                  HINT = 'Insert the entry before its lines.';
    END IF;
    -- converted lines only into the tenant's functional currency (a line without functional
    -- amounts was not converted: a posting before its pair's first rate, or of 0.1.0)
    IF conv_entry IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % has a line in % converted into %, not the functional currency %',
                        conv_entry, conv_currency, conv_into, book
            USING ERRCODE = '23514',
                  DETAIL = 'Functional amounts are in the tenant''s functional currency, rr.tenant.currency.',
                  HINT = 'Convert at the rate of the document date (rr.exchange_rate) into the tenant''s functional currency.';
    END IF;
    IF ub_entry IS NOT NULL AND ub_debit IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced', ub_entry
            USING ERRCODE = '23514',
                  DETAIL = format('Debits %s and credits %s in %s differ by %s.', ub_debit, ub_credit,
                                  ub_currency, ub_debit - ub_credit),
                  HINT = 'Write all lines of an entry with equal debits and credits.';
    ELSIF ub_entry IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced in the functional currency', ub_entry
            USING ERRCODE = '23514',
                  DETAIL = format('Functional debits %s and credits %s in %s differ by %s.', ub_f_debit, ub_f_credit,
                                  ub_f_currency, ub_f_debit - ub_f_credit),
                  HINT = 'Round each side of an entry once and post exchange differences to their own lines.';
    END IF;
    -- every entry this transaction wrote names a period of the tenant's calendar, locked
    -- (FOR KEY SHARE, as a foreign key would) until the end of the transaction, and none a
    -- closed one: the few distinct periods of the range's entries, read once, looked up
    -- and locked together; only when one is missing or closed, the first entry that names
    -- it (its entries carry the transaction's start time: created_at defaults to now(),
    -- tx_start)
    SELECT pg_catalog.array_agg(DISTINCT e.period_start) INTO periods
      FROM rr.journal_entry e
     WHERE e.tenant_id = t AND e.entry_id >= first_entry AND e.entry_id <= last_entry
       AND e.created_at = tx_start;
    SELECT count(*), pg_catalog.array_agg(x.period_start) FILTER (WHERE x.status = 'closed')
      INTO n_periods, closed_periods
      FROM (SELECT p.period_start, p.status FROM rr.fiscal_period p
             WHERE p.tenant_id = t AND p.period_start = ANY (periods)
             ORDER BY p.period_start FOR KEY SHARE) x;
    IF n_periods < coalesce(cardinality(periods), 0) THEN
        SELECT e.entry_id, e.period_start INTO bad
          FROM rr.journal_entry e
         WHERE e.tenant_id = t AND e.entry_id >= first_entry AND e.entry_id <= last_entry
           AND e.created_at = tx_start
           AND NOT EXISTS (SELECT FROM rr.fiscal_period p
                            WHERE p.tenant_id = t AND p.tenant_id = e.tenant_id AND p.period_start = e.period_start)
         ORDER BY e.entry_id
         LIMIT 1;
        RAISE EXCEPTION 'fiscal period starting % of tenant "%" does not exist', bad.period_start, t
            USING ERRCODE = '23503',
                  DETAIL = format('Journal entry %s names it.', bad.entry_id),
                  HINT = 'Post into the period rr_internal.posting_period gives for the entry''s date.';
    END IF;
    SELECT e.entry_id, e.period_start, e.entry_date INTO bad
      FROM rr.journal_entry e
     WHERE closed_periods IS NOT NULL
       AND e.tenant_id = t AND e.entry_id >= first_entry AND e.entry_id <= last_entry
       AND e.created_at = tx_start AND e.period_start = ANY (closed_periods)
     ORDER BY e.entry_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot post into closed fiscal period starting %', bad.period_start
            USING ERRCODE = '55000',
                  DETAIL = format('Journal entry %s dated %s names a period that is closed.', bad.entry_id, bad.entry_date),
                  HINT = 'Post into the first open period after it, or have an administrator reopen the period with rr.reopen_period().';
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.check_journal(text, bigint, bigint) IS 'internal, called by every writer of journal entries after its last statement, for the range of entry ids it drew: refuses (23503) a line of an entry that does not exist, in a currency that does not exist or to an account of the tenant that does not exist (locking the accounts), or an entry of this transaction in a fiscal period that does not exist (locking the periods), (23514) a line converted into another currency than the functional one or an entry with unequal debits and credits, and (55000) an entry of this transaction in a closed fiscal period';
REVOKE ALL ON FUNCTION rr_internal.check_journal(text, bigint, bigint) FROM PUBLIC;
-- Journal lines name their currency without a foreign key (rr_internal.check_journal checks
-- it once per writer), so a currency they use can be neither deleted nor renamed; like the
-- key's own check, this reads the lines, a rare cost paid only when a currency of one's own
-- is deleted or renamed (NEW is null on DELETE).  The built-in rows are refused earlier,
-- by rr_internal.currency_guard.
-- On Citus the currency list is a reference table: the trigger fires on its shard on every
-- node (rr.currency_<shard id>), inside the shard's statement, where reading the
-- distributed rr.journal_line is refused (a distributed query from a query on a shard).
-- There each node reads the shards of the journal lines it holds, by name; every node's
-- copy of the currency list changes in the same distributed transaction, so together they
-- read every line, and one refusal undoes the change everywhere (docs/scale-out.md).
CREATE FUNCTION rr_internal.keep_journal_currency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    used boolean := false;
    shard text;
BEGIN
    IF NEW.code IS NOT DISTINCT FROM OLD.code THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'currency' THEN
        used := EXISTS (SELECT FROM rr.journal_line l WHERE l.currency = OLD.code);
    ELSE
        FOR shard IN
            SELECT format('rr.%I', 'journal_line_' || s.shardid)
              FROM pg_dist_shard s
              JOIN pg_dist_placement p ON p.shardid = s.shardid
             WHERE s.logicalrelid = 'rr.journal_line'::regclass
               AND p.groupid = (SELECT g.groupid FROM pg_dist_local_group g)
        LOOP
            EXECUTE format('SELECT EXISTS (SELECT FROM %s l WHERE l.currency = $1)', shard) INTO used USING OLD.code;
            EXIT WHEN used;
        END LOOP;
    END IF;
    IF used THEN
        RAISE EXCEPTION 'cannot % currency "%"', lower(TG_OP), OLD.code
            USING ERRCODE = '23503',
                  DETAIL = 'Journal lines are written in this currency.',
                  HINT = 'The ledger is immutable; keep the currency.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.keep_journal_currency() IS 'trigger function: refuses deleting or renaming a currency that journal lines use';
REVOKE ALL ON FUNCTION rr_internal.keep_journal_currency() FROM PUBLIC;
CREATE TRIGGER currency_in_journal
    AFTER UPDATE OF code OR DELETE ON rr.currency
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_journal_currency();

CREATE TRIGGER account_in_journal
    AFTER UPDATE OF tenant_id, code OR DELETE ON rr.account
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_used_catalog('rr.journal_line', 'account');

CREATE TRIGGER journal_line_immutable
    BEFORE UPDATE OR DELETE ON rr.journal_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER journal_line_no_truncate
    BEFORE TRUNCATE ON rr.journal_line
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER journal_entry_immutable
    BEFORE UPDATE OR DELETE ON rr.journal_entry
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER journal_entry_no_truncate
    BEFORE TRUNCATE ON rr.journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- A fiscal period that journal entries name can be neither deleted nor re-keyed (the
-- period's half of the key the entries no longer have: rr.journal_entry); checked after
-- the statement, as a foreign key is.  (No role may delete or re-key periods, and no
-- function does; truncating them is refused by the close events' key.)
CREATE FUNCTION rr_internal.keep_used_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- on DELETE, NEW is null, so its key differs from OLD's
    IF (NEW.tenant_id, NEW.period_start) IS DISTINCT FROM (OLD.tenant_id, OLD.period_start)
       AND EXISTS (SELECT FROM rr.journal_entry e
                    WHERE e.tenant_id = OLD.tenant_id AND e.period_start = OLD.period_start) THEN
        RAISE EXCEPTION 'cannot % fiscal_period row: table "journal_entry" refers to it', lower(TG_OP)
            USING ERRCODE = '23503',
                  DETAIL = format('Key (tenant_id, period_start)=(%s, %s) is still referenced from table "journal_entry".',
                                  OLD.tenant_id, OLD.period_start),
                  HINT = 'The ledger never changes; close the period with rr.close_period instead.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.keep_used_period() IS 'trigger function: refuses deleting or re-keying a fiscal period that journal entries name';
REVOKE ALL ON FUNCTION rr_internal.keep_used_period() FROM PUBLIC;
CREATE TRIGGER period_in_journal
    AFTER UPDATE OF tenant_id, period_start OR DELETE ON rr.fiscal_period
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_used_period();
