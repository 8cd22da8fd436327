-- Posting: gapless numbers, due dates, journal entries, in set-based statements, and the
-- credit of a negative invoice (or of an invoice credited for more than was open) moved to
-- customer credit (rr_internal.settle_credit_balances, 70_payments).  The work
-- is rr_internal.post_invoices, which rr.post_invoices calls as a statement of its own with
-- constant arguments: on Citus, rr.distribute() delegates it to the tenant's worker, where
-- its work table sits next to the tenant's shards and its journal rows are written there
-- (copied through the coordinator, they would make Citus commit in two phases, which a
-- transaction that billed, with work tables on the worker, cannot: docs/scale-out.md).
CREATE FUNCTION rr_internal.post_invoices(tenant_id text, as_of date, series text)
RETURNS TABLE (invoice_id bigint, number text, customer text, invoice_date date, due_date date, total numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := post_invoices.tenant_id;
    first_number bigint;
    pfx text;
    digits integer;
    empty_invoice bigint;
    n bigint;
    d date;
    dates date[] := '{}';
    periods date[] := '{}';
    fc char(3);
    fmu integer;
    lo bigint;
    hi bigint;
    r_ids bigint[];
    r_numbers text[];
    r_customers text[];
    r_dates date[];
    r_due date[];
    r_totals numeric[];
    r_credits bigint[];
    neg_ids bigint[];
    neg_dates date[];
    -- the entries' sequence, looked up once (not once per invoice)
    entries regclass := pg_get_serial_sequence('rr.journal_entry', 'entry_id')::regclass;
BEGIN
    -- statistics that describe the tables and the tenant's rows in them
    -- (rr_internal.refresh_statistics)
    PERFORM rr_internal.refresh_statistics('{rr.contract,rr.invoice,rr.invoice_draft,rr.invoice_line,rr.journal_entry,'
                                           'rr.journal_line}', t);
    -- the counter row is the lock that serialises posting for the tenant and series
    INSERT INTO rr.invoice_counter (tenant_id, series, prefix)
    VALUES (t, post_invoices.series, post_invoices.series || '-') ON CONFLICT DO NOTHING;
    SELECT c.next_number, c.prefix, c.min_digits INTO first_number, pfx, digits
      FROM rr.invoice_counter c WHERE c.tenant_id = t AND c.series = post_invoices.series FOR UPDATE;

    -- The drafts to post, numbered in (date, id) order with their entry ids drawn up front,
    -- staged in an indexed, analysed work table: every later statement is driven by it and
    -- reaches the invoices and their lines by primary key, so no plan can go quadratic,
    -- whatever statistics the invoice tables have.
    -- (rr_post2: the columns changed in 0.2.0, so the work table took a new name; the
    -- customer and the invoice a credit note credits are the result's, read here once)
    IF rr_internal.claim_work_table('rr_post2') THEN
        CREATE TEMP TABLE rr_post2 (invoice_id bigint PRIMARY KEY, k bigint NOT NULL, entry_id bigint NOT NULL,
                                    invoice_date date NOT NULL, contract_id bigint, currency char(3), doc_type text,
                                    terms integer, period_start date, customer text, credits_invoice bigint);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_post2');
    -- the drafts' ids span [lo, hi]: each statement below that reads the invoices or their
    -- lines bounds them by it, so that a plan which scans rather than looks up reads the
    -- drafts' range of the primary key, not every document of the tenant's history (on
    -- tables without statistics the planner scanned all of them: a posting after ten
    -- months took 1.7 times the first)
    -- (the drafts to post are those of rr.invoice_draft: rr.invoice has no index on its
    -- status, so that posting's update of each invoice stays on its page)
    SELECT min(d.invoice_id), max(d.invoice_id) INTO lo, hi
      FROM rr.invoice_draft d
     WHERE d.tenant_id = t AND d.series = post_invoices.series AND d.invoice_date <= as_of;
    -- one period lookup per posting date, not per document, in date order (the calendar
    -- is extended forward from the tenant's last period)
    FOR d IN SELECT DISTINCT x.invoice_date FROM rr.invoice_draft x
              WHERE x.tenant_id = t AND x.series = post_invoices.series AND x.invoice_date <= as_of
              ORDER BY 1 LOOP
        dates := dates || d;
        periods := periods || rr_internal.posting_period(t, d);
    END LOOP;
    -- (the contracts' payment terms joined, not looked up per draft: 100,000 lookups took
    -- 230 ms of a posting; the periods joined, not set by a second pass over the work table;
    -- both joined before the numbering, and the rows written in its order, (date, id), so
    -- that they are sorted once: sorted again by k, 1,000,000 drafts spilled a second sort)
    INSERT INTO rr_post2 (invoice_id, k, entry_id, invoice_date, contract_id, currency, doc_type, terms, period_start,
                          customer, credits_invoice)
    SELECT x.invoice_id, x.k, nextval(entries), x.invoice_date, x.contract_id, x.currency, x.doc_type, x.terms,
           x.period_start, x.customer, x.credits_invoice
      FROM (SELECT i.*, k.payment_terms_days AS terms, ps.period_start,
                   row_number() OVER (ORDER BY i.invoice_date, i.invoice_id) - 1 AS k
              FROM (SELECT i.invoice_id, i.invoice_date, i.contract_id, i.currency, i.doc_type, i.customer,
                           i.credits_invoice
                      FROM rr.invoice_draft d
                      JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = d.invoice_id
                                       AND i.invoice_id >= lo AND i.invoice_id <= hi
                     WHERE d.tenant_id = t AND d.series = post_invoices.series AND d.invoice_date <= as_of
                       AND i.status = 'draft'
                       FOR UPDATE OF i) i
              LEFT JOIN rr.contract k ON k.tenant_id = t AND k.contract_id = i.contract_id
              LEFT JOIN unnest(dates, periods) AS ps (invoice_date, period_start) ON ps.invoice_date = i.invoice_date) x
     ORDER BY x.invoice_date, x.invoice_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN;
    END IF;
    PERFORM rr_internal.analyze_work_table('pg_temp.rr_post2');

    -- (the work table's rows in the order they were written, which is k's and the entry ids':
    -- sorted again by either, 1,000,000 drafts spilled a sort of 50-70 MB for each of the two
    -- statements that follow; the order only keeps the keys' inserts at the end of their
    -- indexes)
    INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
    SELECT t, p.entry_id, p.invoice_date, p.period_start, p.doc_type, p.invoice_id,
           CASE p.doc_type WHEN 'invoice' THEN 'Invoice ' ELSE 'Credit note ' END
               || rr_internal.document_number(pfx, first_number + p.k, digits)
      FROM rr_post2 p;

    -- every entry_id of rr_post2 was written just above (no foreign key checks it again)
    UPDATE rr.invoice i
       SET status = 'posted',
           number = rr_internal.document_number(pfx, first_number + p.k, digits),
           due_date = i.invoice_date + p.terms,
           posted_at = now(), journal_entry_id = p.entry_id
      FROM rr_post2 p
     WHERE i.tenant_id = t AND i.invoice_id = p.invoice_id AND i.invoice_id >= lo AND i.invoice_id <= hi;
    -- the numbers given, unique per tenant and series (rr.invoice_number), and the drafts
    -- posted, no longer to post (rr.invoice_draft)
    INSERT INTO rr.invoice_number (tenant_id, series, number, invoice_id)
    SELECT t, post_invoices.series, rr_internal.document_number(pfx, first_number + p.k, digits), p.invoice_id
      FROM rr_post2 p;
    DELETE FROM rr.invoice_draft d
     USING rr_post2 p
     WHERE d.tenant_id = t AND d.invoice_id = p.invoice_id AND d.invoice_id >= lo AND d.invoice_id <= hi;

    -- Dr receivable / Cr deferred revenue or revenue, per account; all lines of all the
    -- entries in one statement (checked balanced at its end)
    -- In the functional currency too, at the rate of the document date, each side rounded
    -- once (cumulative rounding over its lines): the tenant's functional currency read once,
    -- the rate looked up in the statement itself (docs/dunning-and-currencies.md; a call of
    -- a SQL function here is what Citus cannot plan, docs/scale-out.md).
    -- (its minor units by rr.minor_units, not a join with the reference table rr.currency,
    -- which Citus refuses in a delegated function: docs/scale-out.md)
    SELECT k.currency, rr.minor_units(k.currency) INTO fc, fmu
      FROM rr.tenant k
     WHERE k.tenant_id = t;
    -- (each draft's lines read by its key and summed per account on their own, one LATERAL
    -- sub-query per draft that the planner cannot flatten (OFFSET 0), driven by the analysed
    -- work table: the lines of all the drafts grouped by invoice and account at once were
    -- hashed into 2,000,000 groups at 1,000,000 drafts, spilled in 9 batches and sorted
    -- again for the line numbers, 27.5 s against 9.6 s this way; 1.4 against 0.6 s at
    -- 100,000; bench/README.md)
    -- (the sums per account in line order, and the draft's total, by three aggregates that
    -- share their state, src/journal.c: they replace a grouping by grouping sets, a sort
    -- and a window per draft, and the result's second pass over the drafts and their lines
    -- for the totals; at 100,000 drafts the two statements took 1.74 s, this one 1.50 s)
    -- (the lines in the functional currency are their own functional amounts, at rate 1
    -- (amounts are in the currency's minor units, so rounding them changes only their
    -- scale): the cumulative rounding, a window over every line, only for the others)
    -- The documents posted come out of the same statement, with their totals, numbers and
    -- due dates as the update above wrote them (one aggregate node feeds every array the
    -- same rows in the same order, so the arrays stay aligned; the result is sorted once,
    -- below); a draft without lines, whose total is NULL, is refused, and nothing of the
    -- posting stays (found from the totals the result needs anyway, rather than by a
    -- lookup of each draft's lines first: 4.9 s of the posting of 1,000,000 invoices).
    -- j: one row per entry line, and one for a draft without any, each with its draft's
    -- total and exchange rate
    WITH j AS MATERIALIZED (
        SELECT p.invoice_id, p.entry_id, p.k, p.invoice_date, p.terms, p.currency, p.contract_id, p.customer,
               p.credits_invoice, x.total, x.rate, x.line_no, x.account,
               greatest(x.amount, 0) AS debit, greatest(-x.amount, 0) AS credit
          FROM rr_post2 p
         CROSS JOIN LATERAL (
                -- (the entry lines by set-returning functions in the select list, which run
                -- in step and hand each row on as it comes: in FROM, as ROWS FROM ... WITH
                -- ORDINALITY, each draft's were stored in a tuple store of their own.  The
                -- line numbers, '{NULL}' for a draft without entry lines, keep one row, without
                -- a line number, for such a draft)
                SELECT s.total, s.rate, s.line_no, s.account, s.amount
                  FROM (SELECT s.total, s.rate, pg_catalog.unnest(s.accounts) AS account,
                               pg_catalog.unnest(s.amounts) AS amount, pg_catalog.unnest(s.line_nos) AS line_no
                        FROM (SELECT rr_internal.journal_accounts(l.receivable_account, l.credit_account, l.amount)
                                         AS accounts,
                                     rr_internal.journal_amounts(l.receivable_account, l.credit_account, l.amount)
                                         AS amounts,
                                     rr_internal.journal_total(l.receivable_account, l.credit_account, l.amount) AS total,
                                     rr_internal.journal_line_nos(l.receivable_account, l.credit_account, l.amount)
                                         AS line_nos,
                                     -- a draft in another currency than the functional one: the
                                     -- rate of its date, looked up once for its lines
                                     CASE WHEN p.currency <> fc
                                          THEN (SELECT r.rate FROM rr.exchange_rate r
                                                 WHERE r.tenant_id = t AND r.from_currency = p.currency
                                                   AND r.to_currency = fc AND r.rate_date <= p.invoice_date
                                                 ORDER BY r.rate_date DESC
                                                 LIMIT 1) END AS rate
                                FROM rr.invoice_line l
                               WHERE l.tenant_id = t AND l.invoice_id = p.invoice_id
                              OFFSET 0) s) s
                -- (not pulled up: each draft's arrays unnested where they are made, so that
                -- no plan caches them by value, and estimated at a handful of lines a draft)
                OFFSET 0) x
    ), written AS (
        INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id,
                                     functional_currency, functional_debit, functional_credit)
        SELECT t, j.entry_id, j.line_no, j.account, j.debit, j.credit, j.currency, j.contract_id, fc,
               round(j.debit, fmu), round(j.credit, fmu)
          FROM j
         WHERE j.line_no IS NOT NULL AND j.currency = fc
        UNION ALL
        -- (without a rate, no functional currency, and the functional amounts are NULL)
        SELECT t, j.entry_id, j.line_no, j.account, j.debit, j.credit, j.currency, j.contract_id,
               CASE WHEN j.rate IS NOT NULL THEN fc END,
               round(sum(j.debit) OVER w * j.rate, fmu) - round((sum(j.debit) OVER w - j.debit) * j.rate, fmu),
               round(sum(j.credit) OVER w * j.rate, fmu) - round((sum(j.credit) OVER w - j.credit) * j.rate, fmu)
          FROM j
         WHERE j.line_no IS NOT NULL AND j.currency <> fc
        WINDOW w AS (PARTITION BY j.entry_id, j.currency ORDER BY j.line_no)
    )
    -- (one row per draft: its first line's, or its only one)
    SELECT array_agg(j.invoice_id), array_agg(rr_internal.document_number(pfx, first_number + j.k, digits)),
           array_agg(j.customer), array_agg(j.invoice_date), array_agg(j.invoice_date + j.terms), array_agg(j.total),
           array_agg(j.credits_invoice), min(j.invoice_id) FILTER (WHERE j.total IS NULL)
      INTO r_ids, r_numbers, r_customers, r_dates, r_due, r_totals, r_credits, empty_invoice
      FROM j
     WHERE coalesce(j.line_no, 1) = 1;
    IF empty_invoice IS NOT NULL THEN
        RAISE EXCEPTION 'cannot post invoice %: it has no lines', empty_invoice
            USING ERRCODE = '55000', HINT = 'Delete the empty draft, or undo the billing run that created it.';
    END IF;

    -- the entries written, checked once (rr_internal.check_journal), on the statistics of
    -- the journal as written (analysed when it was never analysed, has grown fourfold, as
    -- on a tenant's first posting, or does not know the tenant's entries: guessing a
    -- handful of lines, the planner sorted the 2,000,000 lines of 1,000,000 drafts on disk
    -- to group them)
    PERFORM rr_internal.refresh_statistics('{rr.journal_entry,rr.journal_line}', t);
    PERFORM rr_internal.check_journal(t, min(p.entry_id), max(p.entry_id)) FROM rr_post2 p;

    UPDATE rr.invoice_counter c SET next_number = c.next_number + n
     WHERE c.tenant_id = t AND c.series = post_invoices.series;

    -- Credit balances (docs/payments.md): a negative invoice, and an invoice that a credit
    -- note credits for more than is open on it, have their credit moved to customer credit
    -- and applied to the customer's open invoices (rr_internal.settle_credit_balances)
    SELECT array_agg(coalesce(u.credits, u.id)), array_agg(u.d) INTO neg_ids, neg_dates
      FROM unnest(r_ids, r_dates, r_totals, r_credits) AS u (id, d, total, credits)
     WHERE u.credits IS NOT NULL OR u.total < 0;
    IF neg_ids IS NOT NULL THEN
        PERFORM rr_internal.settle_credit_balances(t, neg_ids, neg_dates);
    END IF;

    RETURN QUERY
    SELECT * FROM unnest(r_ids, r_numbers, r_customers, r_dates, r_due, r_totals) ORDER BY 1;
END
$$;
COMMENT ON FUNCTION rr_internal.post_invoices(text, date, text) IS 'internal: the work of rr.post_invoices for a tenant, its arguments checked';
REVOKE ALL ON FUNCTION rr_internal.post_invoices(text, date, text) FROM PUBLIC;

CREATE FUNCTION rr.post_invoices(as_of date DEFAULT current_date, series text DEFAULT 'INV')
RETURNS TABLE (invoice_id bigint, number text, customer text, invoice_date date, due_date date, total numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'posting date must not be NULL' USING ERRCODE = '22004';
    ELSIF series IS DISTINCT FROM 'INV' AND series IS DISTINCT FROM 'CN' THEN
        RAISE EXCEPTION 'unknown invoice series "%"', series
            USING ERRCODE = '22023', HINT = 'The series are INV (invoices) and CN (credit notes).';
    END IF;
    PERFORM rr.check_date('posting date', as_of);
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT p.invoice_id, p.number, p.customer, p.invoice_date, p.due_date, p.total
                                   FROM rr_internal.post_invoices(%L::text, %L::date, %L::text) AS p',
                                t, as_of, series);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.post_invoices(date, text) IS 'posts every draft invoice of the current tenant dated up to as_of: gapless numbers of the series (the counter row is locked for the statement), due dates from the payment terms, and one balanced journal entry per invoice (Dr receivable, Cr deferred revenue or revenue per item), into the fiscal period of the invoice date or the first open one after it';

