-- Recording payments and applying them to posted invoices (docs/payments.md), each
-- application with its journal entry.

-- The amount rounded to the currency's minor units, refused if it is not positive or not
-- a whole number of minor units.
CREATE FUNCTION rr_internal.check_payment_amount(amount numeric, currency text)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mu integer := rr.minor_units(currency::text);
BEGIN
    IF amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_number('amount', amount);
    IF amount <= 0 THEN
        RAISE EXCEPTION 'amount "%" is not positive', amount
            USING ERRCODE = '22023',
                  HINT = 'Payments, their applications and wallet top-ups and draws are positive amounts; a refund or reversal will be a separate document.';
    ELSIF amount <> round(amount, mu) THEN
        RAISE EXCEPTION 'amount "%" is not a whole number of minor units', amount
            USING ERRCODE = '22023',
                  DETAIL = format('%s has %s decimal places: the smallest unit is %s.', upper(currency), mu,
                                  round(power(10::numeric, -mu), mu)),
                  HINT = format('Round the amount to %s decimal places first.', mu);
    END IF;
    RETURN round(amount, mu);
END
$$;
COMMENT ON FUNCTION rr_internal.check_payment_amount(numeric, text) IS 'internal: a payment or application amount rounded to the scale of its currency; 22023 if it is not positive or not a whole number of minor units';

-- The open balances of the listed posted invoices, as rr.invoice_balances() derives them
-- as of 'infinity' (lines, less payment applications, credit notes and wallet drawdowns),
-- for the payment functions.  PL/pgSQL, called at the top level of their statements: on
-- Citus, a call of the SQL function rr.invoice_balances() is refused, and inside a
-- sub-query it was planned against the coordinator's own, empty, tables (no error, no
-- balance: the payment applied to nothing); this function's own query is routed to the
-- tenant's worker (docs/scale-out.md).  The pgTAP payment and wallet properties check
-- that both agree.
CREATE FUNCTION rr_internal.open_balances(tenant_id text, invoice_ids bigint[])
RETURNS TABLE (invoice_id bigint, number text, invoice_date date, due_date date, total numeric, applied numeric,
               balance numeric)
LANGUAGE plpgsql STABLE ROWS 10
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := open_balances.tenant_id;
BEGIN
    RETURN QUERY
    SELECT i.invoice_id, i.number, i.invoice_date, i.due_date, x.total, x.applied,
           x.total - x.applied
                   + coalesce((SELECT sum(l.amount) FROM rr.invoice n
                                 JOIN rr.invoice_line l ON l.tenant_id = t AND l.invoice_id = n.invoice_id
                                WHERE n.tenant_id = t AND n.credits_invoice = i.invoice_id
                                  AND n.doc_type = 'credit_note' AND n.status = 'posted'), 0)
                   - coalesce((SELECT sum(w.amount) FROM rr.wallet_entry w
                                WHERE w.tenant_id = t AND w.invoice_id = i.invoice_id AND w.kind = 'drawdown'), 0)
                   + coalesce((SELECT sum(p.amount) FROM rr.payment p
                                WHERE p.tenant_id = t AND p.source_invoice_id = i.invoice_id), 0)
      FROM rr.invoice i
     CROSS JOIN LATERAL (SELECT (SELECT sum(l.amount) FROM rr.invoice_line l
                                  WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id) AS total,
                                coalesce((SELECT sum(a.amount) FROM rr.payment_application a
                                           WHERE a.tenant_id = t AND a.invoice_id = i.invoice_id), 0) AS applied) x
     WHERE i.tenant_id = t AND i.invoice_id = ANY (open_balances.invoice_ids)
       AND i.status = 'posted' AND i.doc_type = 'invoice';
END
$$;
COMMENT ON FUNCTION rr_internal.open_balances(text, bigint[]) IS 'internal: the listed posted invoices with their total, the payments applied and the balance as rr.invoice_balances() derives them as of infinity (lines less payment applications, credit notes and wallet drawdowns, plus credit balances moved to customer credit); PL/pgSQL, so that the payment functions read balances on Citus';
REVOKE ALL ON FUNCTION rr_internal.open_balances(text, bigint[]) FROM PUBLIC;

-- Write applications of one payment: one journal entry each (Dr customer credit / Cr the
-- invoice's receivable accounts): the entry ids, periods, invoice numbers and rates
-- gathered first, then the entries, their lines and the applications, one set-based
-- statement each (chained data-modifying CTEs, which Citus cannot plan, docs/scale-out.md).
-- The caller has checked and locked everything.
CREATE FUNCTION rr_internal.write_applications(tenant_id text, payment_id bigint, invoice_ids bigint[],
                                      amounts numeric[], applied_on date[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := write_applications.tenant_id;
    pid bigint := write_applications.payment_id;
    n integer;
    fc char(3);
    fmu integer;
    entry_ids bigint[];
    periods date[];
    numbers text[];
    invoice_rates numeric[];
    payment_rates numeric[];
BEGIN
    -- the fiscal periods of every posting date exist before the statements that post
    PERFORM rr_internal.posting_period(t, d) FROM (SELECT DISTINCT unnest(write_applications.applied_on) AS d) x;

    -- the tenant's functional currency; the accounts of realised exchange differences, for
    -- applications in a foreign currency
    -- (minor units by rr.minor_units, not a join with the reference table rr.currency:
    -- a credit balance applies money here from inside a delegated posting, where Citus
    -- refuses such a join, docs/scale-out.md)
    SELECT k.currency, rr.minor_units(k.currency) INTO fc, fmu
      FROM rr.tenant k
     WHERE k.tenant_id = t;
    IF EXISTS (SELECT FROM rr.payment p WHERE p.tenant_id = t AND p.payment_id = pid AND p.currency <> fc) THEN
        PERFORM rr_internal.ensure_exchange_accounts(t);
    END IF;

    -- per application, in the order given: its entry id, period, the invoice's number, and
    -- the rates of the invoice's date and of the payment's (the latest of the pair on or
    -- before each date, 1 in the functional currency): the receivable leaves at the first,
    -- the customer credit at the second, the difference is realised.  Converted when the
    -- invoice was (an invoice posted before the pair's first rate was not, and its
    -- applications are not either); a payment received before the first rate leaves the
    -- customer credit at the invoice's rate (no difference).
    SELECT array_agg(nextval(pg_get_serial_sequence('rr.journal_entry', 'entry_id')) ORDER BY x.k),
           array_agg(rr_internal.posting_period(t, x.d) ORDER BY x.k)
      INTO entry_ids, periods
      FROM unnest(write_applications.applied_on) WITH ORDINALITY AS x (d, k);
    SELECT array_agg(i.number ORDER BY x.k), array_agg(ri.rate ORDER BY x.k),
           array_agg(CASE WHEN ri.rate IS NOT NULL THEN coalesce(rp.rate, ri.rate) END ORDER BY x.k)
      INTO numbers, invoice_rates, payment_rates
      FROM unnest(invoice_ids) WITH ORDINALITY AS x (invoice_id, k)
      JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = x.invoice_id
      JOIN rr.payment p ON p.tenant_id = t AND p.payment_id = pid
     CROSS JOIN LATERAL (SELECT CASE WHEN i.currency = fc THEN 1::numeric
                                     ELSE (SELECT r.rate FROM rr.exchange_rate r
                                            WHERE r.tenant_id = t AND r.from_currency = i.currency
                                              AND r.to_currency = fc AND r.rate_date <= i.invoice_date
                                            ORDER BY r.rate_date DESC
                                            LIMIT 1) END AS rate) ri
     CROSS JOIN LATERAL (SELECT CASE WHEN i.currency = fc THEN 1::numeric
                                     ELSE (SELECT r.rate FROM rr.exchange_rate r
                                            WHERE r.tenant_id = t AND r.from_currency = i.currency
                                              AND r.to_currency = fc AND r.rate_date <= p.received_on
                                            ORDER BY r.rate_date DESC
                                            LIMIT 1) END AS rate) rp;

    INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
    SELECT t, x.entry_id, x.applied_on, x.period_start, 'payment', pid,
           format('Payment %s applied to invoice %s', pid, x.number)
      FROM unnest(entry_ids, write_applications.applied_on, periods, numbers) AS x (entry_id, applied_on, period_start, number)
     ORDER BY x.entry_id;

    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id,
                                 functional_currency, functional_debit, functional_credit)
    WITH app AS (
        SELECT x.invoice_id, x.amount, x.entry_id, i.currency, i.contract_id, rr.minor_units(i.currency) AS mu,
               CASE WHEN x.invoice_rate IS NOT NULL THEN fc END AS functional_currency,
               CASE WHEN x.invoice_rate IS NOT NULL THEN fmu END AS fmu, x.invoice_rate, x.payment_rate
          FROM unnest(invoice_ids, amounts, entry_ids, invoice_rates, payment_rates)
                  AS x (invoice_id, amount, entry_id, invoice_rate, payment_rate)
          JOIN rr.invoice i ON i.tenant_id = t AND i.invoice_id = x.invoice_id
    ), remaining AS (
        -- what is still receivable on each receivable account of the invoice: its lines
        -- less what earlier applications credited to that account
        SELECT app.entry_id, r.account,
               greatest(r.amount - coalesce((SELECT sum(jl.credit - jl.debit)
                                               FROM rr.payment_application pa
                                               JOIN rr.journal_line jl ON jl.tenant_id = t
                                                                      AND jl.entry_id = pa.journal_entry_id
                                                                      AND jl.account = r.account
                                              WHERE pa.tenant_id = t AND pa.invoice_id = app.invoice_id), 0),
                        0) AS amount
          FROM app
          CROSS JOIN LATERAL (SELECT l.receivable_account AS account, sum(l.amount) AS amount
                                FROM rr.invoice_line l
                               WHERE l.tenant_id = t AND l.invoice_id = app.invoice_id
                               GROUP BY l.receivable_account) r
    ), split AS (
        -- the application split across those accounts in proportion, exactly
        SELECT app.entry_id, w.accounts[p.k] AS account, p.amount
          FROM app
          CROSS JOIN LATERAL (SELECT array_agg(r.account ORDER BY r.account) AS accounts,
                                     array_agg(r.amount ORDER BY r.account) AS weights
                                FROM remaining r WHERE r.entry_id = app.entry_id) w
          CROSS JOIN LATERAL unnest(rr.allocate(app.amount, w.weights, app.mu)) WITH ORDINALITY AS p (amount, k)
    ), receivable AS (
        -- the receivable lines, in the functional currency at the invoice's rate (the side
        -- rounded once: cumulative rounding over its lines)
        SELECT r.entry_id, r.line_no, r.account, r.amount,
               round(sum(r.amount) OVER w * app.invoice_rate, app.fmu)
                 - round((sum(r.amount) OVER w - r.amount) * app.invoice_rate, app.fmu) AS functional
          FROM (SELECT s.entry_id, 1 + row_number() OVER (PARTITION BY s.entry_id ORDER BY s.account)::integer AS line_no,
                       s.account, s.amount
                  FROM split s WHERE s.amount <> 0) r
          JOIN app ON app.entry_id = r.entry_id
        WINDOW w AS (PARTITION BY r.entry_id ORDER BY r.line_no)
    ), difference AS (
        -- customer credit at the payment's rate less the receivable at the invoice's: a
        -- realised gain (credit 4970) or loss (debit 6970), with no document amount
        SELECT app.entry_id, round(app.amount * app.payment_rate, app.fmu) - coalesce(sum(r.functional), 0) AS amount
          FROM app LEFT JOIN receivable r ON r.entry_id = app.entry_id
         GROUP BY app.entry_id, app.amount, app.payment_rate, app.fmu
    )
    SELECT t, app.entry_id, 1, '2400', app.amount, 0, app.currency, app.contract_id,
           app.functional_currency, round(app.amount * app.payment_rate, app.fmu),
           CASE WHEN app.functional_currency IS NOT NULL THEN 0 END
      FROM app
    UNION ALL
    SELECT t, r.entry_id, r.line_no, r.account, 0, r.amount, app.currency, app.contract_id,
           app.functional_currency, CASE WHEN app.functional_currency IS NOT NULL THEN 0 END, r.functional
      FROM receivable r JOIN app ON app.entry_id = r.entry_id
    UNION ALL
    SELECT t, d.entry_id, 2 + (SELECT count(*) FROM receivable r WHERE r.entry_id = d.entry_id)::integer,
           CASE WHEN d.amount > 0 THEN '4970' ELSE '6970' END, 0, 0, app.currency, app.contract_id,
           app.functional_currency, greatest(-d.amount, 0), greatest(d.amount, 0)
      FROM difference d JOIN app ON app.entry_id = d.entry_id
     WHERE d.amount <> 0;

    INSERT INTO rr.payment_application (tenant_id, payment_id, invoice_id, amount, applied_on, journal_entry_id)
    SELECT t, pid, x.invoice_id, x.amount, x.applied_on, x.entry_id
      FROM unnest(invoice_ids, amounts, write_applications.applied_on, entry_ids) AS x (invoice_id, amount, applied_on, entry_id)
     ORDER BY x.entry_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- the entries written, checked once (rr_internal.check_journal)
    PERFORM rr_internal.check_journal(t, min(e), max(e)) FROM unnest(entry_ids) AS e;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.write_applications(text, bigint, bigint[], numeric[], date[]) IS 'internal: writes checked applications of one payment, each with its journal entry (Dr customer credit 2400 / Cr the invoice''s receivable accounts, split in proportion to what is still receivable on each), entries, lines and applications in one statement each';

-- May this payer's money settle this invoice?  Billed to the payer, or for a contract of
-- the payer (billed to its parent or bill-to account).
-- (PL/pgSQL, not a SQL function: it reads a table, so it is never inlined, and Citus cannot
-- plan a SQL function's parameterized query of a distributed table)
CREATE FUNCTION rr_internal.payer_may_settle(tenant_id text, payer text, invoice_customer text, contract_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN invoice_customer = payer
        OR EXISTS (SELECT FROM rr.contract k
                    WHERE k.tenant_id = payer_may_settle.tenant_id
                      AND k.contract_id = payer_may_settle.contract_id
                      AND k.customer = payer_may_settle.payer);
END
$$;
COMMENT ON FUNCTION rr_internal.payer_may_settle(text, text, text, bigint) IS 'internal: true if a payment from payer may settle an invoice billed to invoice_customer for the contract: the invoice is billed to the payer, or it is for a contract of the payer billed to its parent or bill-to account';

-- Credit balances (docs/payments.md, "Credit balances"): a posted invoice whose balance a
-- document made negative (a negative invoice, when a run's credits exceed what it bills; a
-- credit note for more than what was still open on its invoice) has that credit moved to
-- the customer's credit, as a payment of its own: method credit_balance, source_invoice_id
-- the invoice, dated the day of the document, billed-to customer and currency the invoice's.
-- Its journal entry clears each receivable account of the invoice (Dr the accounts below
-- zero, Cr those above) against customer credit (Cr 2400), converted at the rate of its
-- date, so that the invoice's balance and each of its receivable accounts end at exactly
-- zero; the credit is then applied like a receipt (rr_internal.apply_to_open_invoices) and
-- what is left stays customer credit.  For the listed invoices (with the day of the
-- document that made each negative); those whose balance is not negative are left alone.
-- A loop over the negative ones: a posting has a few (a run's terminations), not one per
-- invoice.
CREATE FUNCTION rr_internal.settle_credit_balances(tenant_id text, invoice_ids bigint[], on_dates date[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := settle_credit_balances.tenant_id;
    neg_ids bigint[];
    neg_balances numeric[];
    n integer;
    i rr.invoice;
    d date;
    fc char(3);
    fmu integer;
    rate numeric;
    moved numeric;
    pid bigint;
    eid bigint;
BEGIN
    -- (open_balances at the top of its statement: on Citus a PL/pgSQL function that reads
    -- tables cannot run inside a statement's scan of a distributed table)
    SELECT array_agg(b.invoice_id ORDER BY b.invoice_id), array_agg(b.balance ORDER BY b.invoice_id)
      INTO neg_ids, neg_balances
      FROM rr_internal.open_balances(t, settle_credit_balances.invoice_ids) b
     WHERE b.balance < 0;
    IF neg_ids IS NULL THEN
        RETURN 0;
    END IF;
    SELECT k.currency, rr.minor_units(k.currency) INTO fc, fmu FROM rr.tenant k WHERE k.tenant_id = t;

    FOR n IN 1 .. cardinality(neg_ids) LOOP
        SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = t AND x.invoice_id = neg_ids[n] FOR UPDATE;
        SELECT max(u.on_date) INTO d
          FROM unnest(settle_credit_balances.invoice_ids, settle_credit_balances.on_dates) AS u (invoice_id, on_date)
         WHERE u.invoice_id = i.invoice_id;
        -- the rate of the day (1 in the functional currency; none before the pair's first
        -- rate: not converted, as the documents of that day are not)
        IF i.currency = fc THEN
            rate := 1;
        ELSE
            rate := (SELECT x.rate FROM rr.exchange_rate x
                      WHERE x.tenant_id = t AND x.from_currency = i.currency AND x.to_currency = fc
                        AND x.rate_date <= d
                      ORDER BY x.rate_date DESC
                      LIMIT 1);
        END IF;

        moved := -neg_balances[n];
        pid := nextval(pg_get_serial_sequence('rr.payment', 'payment_id'));
        INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
        VALUES (t, d, rr_internal.posting_period(t, d), 'payment', pid,
                format('Credit balance of invoice %s moved to customer credit', i.number))
        RETURNING entry_id INTO eid;

        -- what each receivable account of the invoice holds for it, from the entries that
        -- posted to it: its own, its credit notes', its payment applications', its wallet
        -- drawdowns' and earlier credit balances' (debit less credit); each is cleared, and
        -- the rest (the credit) goes to customer credit
        INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id,
                                     functional_currency, functional_debit, functional_credit)
        SELECT t, eid, x.line_no, x.account, x.debit, x.credit, i.currency, i.contract_id,
               CASE WHEN rate IS NOT NULL THEN fc END,
               CASE WHEN rate IS NOT NULL
                    THEN round(sum(x.debit) OVER w * rate, fmu) - round((sum(x.debit) OVER w - x.debit) * rate, fmu) END,
               CASE WHEN rate IS NOT NULL
                    THEN round(sum(x.credit) OVER w * rate, fmu) - round((sum(x.credit) OVER w - x.credit) * rate, fmu) END
          FROM (SELECT row_number() OVER (ORDER BY y.ord, y.account)::integer AS line_no, y.account, y.debit, y.credit
                  FROM (SELECT 0 AS ord, r.account, greatest(-r.held, 0) AS debit, greatest(r.held, 0) AS credit
                  FROM (SELECT jl.account, sum(jl.debit - jl.credit) AS held
                          FROM rr.journal_line jl
                         WHERE jl.tenant_id = t
                           AND jl.entry_id = ANY (ARRAY(
                                   SELECT i.journal_entry_id
                                   UNION
                                   SELECT cn.journal_entry_id FROM rr.invoice cn
                                    WHERE cn.tenant_id = t AND cn.credits_invoice = i.invoice_id
                                      AND cn.doc_type = 'credit_note' AND cn.status = 'posted'
                                   UNION
                                   SELECT a.journal_entry_id FROM rr.payment_application a
                                    WHERE a.tenant_id = t AND a.invoice_id = i.invoice_id
                                   UNION
                                   SELECT w.journal_entry_id FROM rr.wallet_entry w
                                    WHERE w.tenant_id = t AND w.invoice_id = i.invoice_id AND w.kind = 'drawdown'
                                   UNION
                                   SELECT p.journal_entry_id FROM rr.payment p
                                    WHERE p.tenant_id = t AND p.source_invoice_id = i.invoice_id))
                           AND jl.account = ANY (ARRAY(SELECT DISTINCT l.receivable_account FROM rr.invoice_line l
                                                        WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id
                                                          AND l.receivable_account IS NOT NULL))
                         GROUP BY jl.account) r
                 WHERE r.held <> 0
                UNION ALL
                SELECT 1, '2400', 0, moved) y) x
        WINDOW w AS (ORDER BY x.line_no);
        -- (the journal and the balance agree, or the entry does not balance and nothing is
        -- written)
        PERFORM rr_internal.check_journal(t, eid, eid);

        INSERT INTO rr.payment (tenant_id, payment_id, customer, currency, amount, received_on, method, reference,
                                journal_entry_id, source_invoice_id)
        VALUES (t, pid, i.customer, i.currency, moved, d, 'credit_balance', i.number, eid, i.invoice_id);
        PERFORM rr_internal.apply_to_open_invoices(t, pid, i.customer, i.currency, moved, d);
    END LOOP;
    RETURN cardinality(neg_ids);
END
$$;
COMMENT ON FUNCTION rr_internal.settle_credit_balances(text, bigint[], date[]) IS 'internal: for each listed posted invoice whose balance is negative (a negative invoice, or one credited for more than was open), moves the credit to customer credit: a payment of method credit_balance dated the given day, whose journal entry clears each receivable account of the invoice against customer credit (2400), applied to the customer''s open invoices in that currency like a receipt; returns the number of credit balances moved';
REVOKE ALL ON FUNCTION rr_internal.settle_credit_balances(text, bigint[], date[]) FROM PUBLIC;

-- Apply money of one payment (a receipt, or a credit balance: rr_internal.settle_credit_balances)
-- to the payer's posted open invoices in its currency: lock them (in id order, so concurrent
-- payments cannot deadlock), then read their balances: oldest due date first, then number;
-- each takes what is left of the money, up to its balance, on the later of the money's date
-- and its own.  (The payer's invoices are found by index, billed to it or for its contracts,
-- so this costs the same in a tenant of any size.)
CREATE FUNCTION rr_internal.apply_to_open_invoices(tenant_id text, payment_id bigint, payer text, currency text,
                                                   amount numeric, received_on date)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := apply_to_open_invoices.tenant_id;
    amt numeric := apply_to_open_invoices.amount;
    ids bigint[];
    open_ids bigint[];
    amts numeric[];
    dates date[];
BEGIN
    SELECT array_agg(x.invoice_id) INTO open_ids
      FROM (SELECT i.invoice_id FROM rr.invoice i
             WHERE i.tenant_id = t
               AND i.invoice_id = ANY (ARRAY(SELECT j.invoice_id FROM rr.invoice j
                                              WHERE j.tenant_id = t AND j.customer = apply_to_open_invoices.payer
                                             UNION
                                             SELECT j.invoice_id FROM rr.contract k
                                               JOIN rr.invoice j ON j.tenant_id = t AND j.contract_id = k.contract_id
                                              WHERE k.tenant_id = t AND k.customer = apply_to_open_invoices.payer))
               AND i.status = 'posted' AND i.doc_type = 'invoice' AND i.currency = apply_to_open_invoices.currency
               -- (rr_internal.payer_may_settle, written out: a function that reads a
               -- table would run inside the shard query on Citus, where it cannot)
               AND (i.customer = apply_to_open_invoices.payer
                    OR EXISTS (SELECT FROM rr.contract k
                                WHERE k.tenant_id = t AND k.contract_id = i.contract_id
                                  AND k.customer = apply_to_open_invoices.payer))
             ORDER BY i.invoice_id
               FOR UPDATE) x;
    SELECT array_agg(o.invoice_id ORDER BY o.due_date, o.number, o.invoice_id),
           array_agg(least(o.balance, amt - (o.through - o.balance)) ORDER BY o.due_date, o.number, o.invoice_id),
           array_agg(greatest(apply_to_open_invoices.received_on, o.invoice_date) ORDER BY o.due_date, o.number, o.invoice_id)
      INTO ids, amts, dates
      FROM (SELECT b.*, sum(b.balance) OVER (ORDER BY b.due_date, b.number, b.invoice_id) AS through
              FROM rr_internal.open_balances(t, coalesce(open_ids, '{}')) b
             WHERE b.balance > 0) o
     WHERE o.through - o.balance < amt;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN rr_internal.write_applications(t, apply_to_open_invoices.payment_id, ids, amts, dates);
END
$$;
COMMENT ON FUNCTION rr_internal.apply_to_open_invoices(text, bigint, text, text, numeric, date) IS 'internal: applies amount of a payment (a receipt or a credit balance) to the payer''s posted open invoices in the currency, oldest due date first, each up to its balance; returns the number of applications';
REVOKE ALL ON FUNCTION rr_internal.apply_to_open_invoices(text, bigint, text, text, numeric, date) FROM PUBLIC;

CREATE FUNCTION rr.record_payment(customer text, amount numeric, received_on date, reference text DEFAULT NULL,
                                  apply boolean DEFAULT true, method text DEFAULT NULL, currency text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer;
    cur char(3);
    amt numeric;
    fc char(3);
    fmu integer;
    fx_rate numeric;
    pid bigint;
    eid bigint;
BEGIN
    IF record_payment.customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO cu FROM rr.customer x WHERE x.tenant_id = t AND x.code = record_payment.customer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer "%" does not exist', record_payment.customer
            USING ERRCODE = '23503', HINT = 'Add the customer to rr.customer first.';
    END IF;
    IF record_payment.received_on IS NULL THEN
        RAISE EXCEPTION 'payment date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('payment date', record_payment.received_on);
    IF record_payment.method = 'credit_balance' THEN
        RAISE EXCEPTION 'payment method "credit_balance" is reserved'
            USING ERRCODE = '22023',
                  DETAIL = 'A credit balance is the credit of an invoice left below zero, moved to customer credit when the document that made it negative is posted.',
                  HINT = 'Record money received with another method (wire, card, cheque, ...).';
    END IF;
    cur := upper(coalesce(record_payment.currency, cu.currency));
    amt := rr_internal.check_payment_amount(record_payment.amount, cur);

    -- the functional currency and the rate of the payment's date (the latest of the pair on
    -- or before it, 1 in the functional currency; none before the pair's first rate: the
    -- receipt is not converted)
    SELECT k.currency, c.minor_units INTO fc, fmu
      FROM rr.tenant k JOIN rr.currency c ON c.code = k.currency
     WHERE k.tenant_id = t;
    IF cur = fc THEN
        fx_rate := 1;
    ELSE
        SELECT x.rate INTO fx_rate
          FROM rr.exchange_rate x
         WHERE x.tenant_id = t AND x.from_currency = cur AND x.to_currency = fc
           AND x.rate_date <= record_payment.received_on
         ORDER BY x.rate_date DESC
         LIMIT 1;
        IF NOT FOUND THEN
            fc := NULL;
        END IF;
    END IF;

    -- the receipt: Dr cash / Cr customer credit, entry and lines first (the payment refers
    -- to its entry, the entry to the payment)
    pid := nextval(pg_get_serial_sequence('rr.payment', 'payment_id'));
    INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
    VALUES (t, record_payment.received_on, rr_internal.posting_period(t, record_payment.received_on), 'payment', pid,
            format('Payment %s received from %s', pid, cu.code))
    RETURNING entry_id INTO eid;
    -- (as VALUES, which Citus sends to the tenant's shard whole: an INSERT ... SELECT it
    -- copies through a second connection, and a transaction that ran a delegated workflow
    -- before could not commit)
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency,
                                 functional_currency, functional_debit, functional_credit)
    VALUES (t, eid, 1, '1200', amt, 0, cur, fc, round(amt * fx_rate, fmu), round(0 * fx_rate, fmu)),
           (t, eid, 2, '2400', 0, amt, cur, fc, round(0 * fx_rate, fmu), round(amt * fx_rate, fmu));
    PERFORM rr_internal.check_journal(t, eid, eid);
    INSERT INTO rr.payment (tenant_id, payment_id, customer, currency, amount, received_on, method, reference,
                            journal_entry_id)
    VALUES (t, pid, cu.code, cur, amt, record_payment.received_on, record_payment.method,
            record_payment.reference, eid);

    IF coalesce(record_payment.apply, true) THEN
        PERFORM rr_internal.apply_to_open_invoices(t, pid, cu.code, cur, amt, record_payment.received_on);
    END IF;
    RETURN pid;
END
$$;
COMMENT ON FUNCTION rr.record_payment(text, numeric, date, text, boolean, text, text) IS 'records a payment received from a customer (in the customer''s currency unless given) with its journal entry (Dr cash 1200 / Cr customer credit 2400); if apply, applies it to the customer''s posted open invoices in that currency, oldest due date first, in one set-based statement; what is left stays customer credit; returns the payment id';

CREATE FUNCTION rr.apply_payment(payment_id bigint, invoice_id bigint, amount numeric DEFAULT NULL,
                                 applied_on date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    p rr.payment;
    i rr.invoice;
    b record;
    unapplied numeric;
    amt numeric;
    d date;
BEGIN
    IF apply_payment.payment_id IS NULL OR apply_payment.invoice_id IS NULL THEN
        RAISE EXCEPTION 'payment and invoice ids must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- lock the payment, then the invoice: applications of one payment, or to one
    -- invoice, queue up behind each other
    SELECT * INTO p FROM rr.payment x WHERE x.tenant_id = t AND x.payment_id = apply_payment.payment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', apply_payment.payment_id
            USING ERRCODE = 'P0002', HINT = 'Payment ids are per tenant; check rr.tenant and the payment id.';
    END IF;
    SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = t AND x.invoice_id = apply_payment.invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', apply_payment.invoice_id
            USING ERRCODE = 'P0002', HINT = 'Invoice ids are per tenant; check rr.tenant and the invoice id.';
    ELSIF i.doc_type <> 'invoice' THEN
        RAISE EXCEPTION 'cannot apply payment % to credit note %', p.payment_id, i.number
            USING ERRCODE = '22023', HINT = 'Apply payments to invoices; a credit note already reduces its invoice.';
    ELSIF i.status <> 'posted' THEN
        RAISE EXCEPTION 'cannot apply payment % to invoice %: the invoice is a draft', p.payment_id, i.invoice_id
            USING ERRCODE = '55000', DETAIL = 'Only posted invoices are receivable.',
                  HINT = 'Post it with rr.post_invoices() first.';
    ELSIF NOT rr_internal.payer_may_settle(t, p.customer, i.customer, i.contract_id) THEN
        RAISE EXCEPTION 'cannot apply payment % to invoice %: it is billed to customer "%", not to "%"',
                        p.payment_id, i.number, i.customer, p.customer
            USING ERRCODE = '22023',
                  HINT = 'A payment settles invoices billed to its customer, or invoices of that customer''s contracts billed to another account.';
    ELSIF i.currency <> p.currency THEN
        RAISE EXCEPTION 'currency mismatch: payment % is in %, invoice % is in %', p.payment_id, p.currency,
                        i.number, i.currency
            USING ERRCODE = '22023', HINT = 'Apply a payment only to invoices in its currency.';
    END IF;

    d := coalesce(apply_payment.applied_on, greatest(p.received_on, i.invoice_date));
    PERFORM rr.check_date('application date', d);
    IF d < p.received_on THEN
        RAISE EXCEPTION 'application date % is before payment % was received', d, p.payment_id
            USING ERRCODE = '22023', DETAIL = format('Payment %s was received on %s.', p.payment_id, p.received_on),
                  HINT = 'Apply a payment on or after the day it was received.';
    ELSIF d < i.invoice_date THEN
        RAISE EXCEPTION 'application date % is before invoice %', d, i.number
            USING ERRCODE = '22023', DETAIL = format('Invoice %s is dated %s.', i.number, i.invoice_date),
                  HINT = 'Apply a payment on or after the invoice date.';
    END IF;

    SELECT * INTO b FROM rr_internal.open_balances(t, ARRAY[i.invoice_id]) x;
    SELECT p.amount - coalesce(sum(a.amount), 0) INTO unapplied
      FROM rr.payment_application a WHERE a.tenant_id = t AND a.payment_id = p.payment_id;

    IF apply_payment.amount IS NULL THEN
        IF b.balance <= 0 THEN
            RAISE EXCEPTION 'cannot apply payment % to invoice %: the invoice is paid', p.payment_id, i.number
                USING ERRCODE = '22023', DETAIL = format('Invoice %s of %s %s has no balance left.', i.number, b.total, i.currency);
        ELSIF unapplied <= 0 THEN
            RAISE EXCEPTION 'payment % is fully applied', p.payment_id
                USING ERRCODE = '22023', DETAIL = format('All %s %s of payment %s are applied to invoices.', p.amount, p.currency, p.payment_id);
        END IF;
        amt := least(b.balance, unapplied);
    ELSE
        amt := rr_internal.check_payment_amount(apply_payment.amount, p.currency);
        IF amt > b.balance THEN
            RAISE EXCEPTION 'cannot apply % to invoice %: its balance is %', amt, i.number, b.balance
                USING ERRCODE = '22023', DETAIL = format('Invoice %s of %s %s has %s applied.', i.number, b.total, i.currency, b.applied),
                      HINT = 'Apply at most the balance; what is left of the payment stays customer credit.';
        ELSIF amt > unapplied THEN
            RAISE EXCEPTION 'cannot apply % from payment %: only % is unapplied', amt, p.payment_id, unapplied
                USING ERRCODE = '22023', DETAIL = format('Payment %s of %s %s has %s applied.', p.payment_id, p.amount, p.currency, p.amount - unapplied),
                      HINT = 'Apply at most the unapplied amount of the payment.';
        END IF;
    END IF;

    PERFORM rr_internal.write_applications(t, p.payment_id, ARRAY[i.invoice_id], ARRAY[amt], ARRAY[d]);
    RETURN (SELECT max(a.application_id) FROM rr.payment_application a
             WHERE a.tenant_id = t AND a.payment_id = p.payment_id AND a.invoice_id = i.invoice_id);
END
$$;
COMMENT ON FUNCTION rr.apply_payment(bigint, bigint, numeric, date) IS 'applies unapplied money of a payment to one posted invoice of the same customer (or of a contract of that customer) and currency: by default as much as both allow, on the later of the payment and invoice dates; journal entry Dr customer credit 2400 / Cr the invoice''s receivable account(s); returns the application id';
