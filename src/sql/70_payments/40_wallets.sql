-- Prepaid credit wallets (docs/commitments-and-wallets.md): opening a wallet, top-ups,
-- drawdowns settling posted invoices (one, or every open one in a batch) and expiry of
-- unused credit as breakage.  The tables and the accounting are described in
-- 15_wallets.sql.  Every function that moves a wallet first locks its row (FOR UPDATE),
-- then reads the lots, so two drawdowns of one wallet take turns and the second sees what
-- the first drew; the balance's CHECK (balance >= 0) is the last guard.

-- The lots of a wallet usable on a date (received by then, not expired by then) with the
-- credit left in each, in the order drawdowns consume them: the lot that expires first
-- first (lots that never expire last), then the oldest.
CREATE FUNCTION rr_internal.wallet_lots(tenant_id text, wallet_id bigint, on_date date)
RETURNS TABLE (lot_id bigint, expires_on date, remaining numeric)
LANGUAGE sql STABLE ROWS 10
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT x.lot_id, x.expires_on, x.remaining
      FROM (SELECT t.entry_id AS lot_id, t.expires_on,
                   t.amount - coalesce((SELECT sum(c.amount) FROM rr.wallet_entry c
                                         WHERE c.tenant_id = $1 AND c.lot_id = t.entry_id), 0) AS remaining
              FROM rr.wallet_entry t
             WHERE t.tenant_id = $1 AND t.wallet_id = $2 AND t.kind = 'top_up'
               AND t.entry_date <= $3 AND (t.expires_on IS NULL OR t.expires_on > $3)) x
     WHERE x.remaining > 0
     ORDER BY x.expires_on NULLS LAST, x.lot_id
$$;
COMMENT ON FUNCTION rr_internal.wallet_lots(text, bigint, date) IS 'internal: the top-ups of a wallet usable on on_date (received by then and not expired) with the credit left in each, in the order drawdowns consume them (earliest expiry first, never-expiring last, then oldest)';

-- Check an account of a wallet: it exists in the tenant's chart and is of the kind given.
CREATE FUNCTION rr_internal.check_wallet_account(tenant_id text, what text, code text, kind text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF code IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    SELECT a.kind INTO k FROM rr.account a WHERE a.tenant_id = check_wallet_account.tenant_id AND a.code = check_wallet_account.code;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% "%" does not exist', what, code
            USING ERRCODE = '23503', HINT = 'Use an account of the tenant''s chart (rr.account).';
    ELSIF k <> check_wallet_account.kind THEN
        RAISE EXCEPTION '% "%" is an account of kind "%", not "%"', what, code, k, check_wallet_account.kind
            USING ERRCODE = '22023',
                  HINT = 'The liability account holds the credit, the cash account receives it, the breakage account is revenue.';
    END IF;
    RETURN code;
END
$$;
COMMENT ON FUNCTION rr_internal.check_wallet_account(text, text, text, text) IS 'internal: refuses an account code that is NULL (22004), not in the tenant''s chart (23503) or not of the kind a wallet needs (22023); returns the code';

-- The customer a wallet belongs to, checked.
CREATE FUNCTION rr_internal.wallet_customer(tenant_id text, customer text)
RETURNS rr.customer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cu rr.customer;
BEGIN
    IF customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO cu FROM rr.customer x WHERE x.tenant_id = wallet_customer.tenant_id AND x.code = wallet_customer.customer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer "%" does not exist', customer
            USING ERRCODE = '23503', HINT = 'Add the customer to rr.customer first.';
    END IF;
    RETURN cu;
END
$$;
COMMENT ON FUNCTION rr_internal.wallet_customer(text, text) IS 'internal: the customer row of a wallet; 22004 for NULL, 23503 for an unknown customer';

CREATE FUNCTION rr.open_wallet(customer text, currency text DEFAULT NULL, scope text DEFAULT 'all',
                               liability_account text DEFAULT '2300', breakage_account text DEFAULT '4900',
                               cash_account text DEFAULT '1200')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer := rr_internal.wallet_customer(t, open_wallet.customer);
    cur char(3);
    id bigint;
BEGIN
    cur := upper(coalesce(open_wallet.currency, cu.currency));
    PERFORM rr.minor_units(cur::text);
    IF open_wallet.scope IS NULL THEN
        RAISE EXCEPTION 'wallet scope must not be NULL' USING ERRCODE = '22004';
    ELSIF open_wallet.scope NOT IN ('all', 'usage') THEN
        RAISE EXCEPTION 'unknown wallet scope "%"', open_wallet.scope
            USING ERRCODE = '22023', HINT = 'A wallet settles whole invoices (all) or only their usage lines (usage).';
    END IF;
    PERFORM rr_internal.check_wallet_account(t, 'liability account', open_wallet.liability_account, 'liability'),
            rr_internal.check_wallet_account(t, 'breakage account', open_wallet.breakage_account, 'revenue'),
            rr_internal.check_wallet_account(t, 'cash account', open_wallet.cash_account, 'asset');
    INSERT INTO rr.wallet (tenant_id, customer, currency, scope, liability_account, breakage_account, cash_account)
    VALUES (t, cu.code, cur, open_wallet.scope, open_wallet.liability_account, open_wallet.breakage_account,
            open_wallet.cash_account)
    ON CONFLICT ON CONSTRAINT wallet_customer_key DO NOTHING
    RETURNING wallet_id INTO id;
    IF id IS NULL THEN
        RAISE EXCEPTION 'customer "%" already has a wallet in %', cu.code, cur
            USING ERRCODE = '23505', HINT = 'A customer has one wallet per currency; top it up with rr.top_up_wallet.';
    END IF;
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr.open_wallet(text, text, text, text, text, text) IS 'opens the prepaid credit wallet of a customer in a currency (default: the customer''s): what drawdowns settle (scope all: whole invoices; usage: their usage lines only) and the liability, breakage and cash accounts it posts to; returns the wallet id';

CREATE FUNCTION rr.top_up_wallet(customer text, amount numeric, received_on date, expires_on date DEFAULT NULL,
                                 reference text DEFAULT NULL, currency text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer := rr_internal.wallet_customer(t, top_up_wallet.customer);
    cur char(3);
    amt numeric;
    w rr.wallet;
    eid bigint;
    id bigint;
BEGIN
    cur := upper(coalesce(top_up_wallet.currency, cu.currency));
    PERFORM rr.minor_units(cur::text);
    IF top_up_wallet.received_on IS NULL THEN
        RAISE EXCEPTION 'top-up date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('top-up date', top_up_wallet.received_on), rr.check_date('expiry date', top_up_wallet.expires_on);
    IF top_up_wallet.expires_on <= top_up_wallet.received_on THEN
        RAISE EXCEPTION 'expiry date % is not after top-up date %', top_up_wallet.expires_on, top_up_wallet.received_on
            USING ERRCODE = '22023',
                  DETAIL = 'The expiry date is the first day the credit can no longer be used.',
                  HINT = 'Give a later expiry date, or NULL for credit that never expires.';
    END IF;
    amt := rr_internal.check_payment_amount(top_up_wallet.amount, cur);

    -- the wallet (opened with the defaults on the first top-up), locked
    INSERT INTO rr.wallet (tenant_id, customer, currency) VALUES (t, cu.code, cur)
    ON CONFLICT ON CONSTRAINT wallet_customer_key DO NOTHING;
    SELECT * INTO w FROM rr.wallet x WHERE x.tenant_id = t AND x.customer = cu.code AND x.currency = cur FOR UPDATE;

    -- Dr cash / Cr the wallet's liability: money received in advance
    INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
    VALUES (t, top_up_wallet.received_on, rr_internal.posting_period(t, top_up_wallet.received_on), 'wallet', w.wallet_id,
            format('Wallet %s topped up by %s', w.wallet_id, cu.code))
    RETURNING entry_id INTO eid;
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency)
    VALUES (t, eid, 1, w.cash_account, amt, 0, cur), (t, eid, 2, w.liability_account, 0, amt, cur);
    PERFORM rr_internal.check_journal(t, eid, eid);
    INSERT INTO rr.wallet_entry (tenant_id, wallet_id, kind, amount, entry_date, expires_on, reference, journal_entry_id)
    VALUES (t, w.wallet_id, 'top_up', amt, top_up_wallet.received_on, top_up_wallet.expires_on, top_up_wallet.reference, eid)
    RETURNING entry_id INTO id;
    UPDATE rr.wallet x SET balance = x.balance + amt WHERE x.tenant_id = t AND x.wallet_id = w.wallet_id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr.top_up_wallet(text, numeric, date, date, text, text) IS 'adds prepaid credit to a customer''s wallet in a currency (opened with the defaults if it has none): a contract liability, Dr cash / Cr the wallet''s liability account; expires_on is the first day the credit can no longer be used (NULL: never); returns the top-up (lot) id';

-- Draw from a locked wallet to settle one posted invoice on a date: as much as the invoice,
-- the wallet's scope and its usable credit allow (amount NULL), or exactly amount (refused
-- if more than that).  Consumes the lots in rr_internal.wallet_lots order, writes one
-- journal entry (Dr liability / Cr the invoice's receivable accounts in proportion to the
-- lines drawn on) and lowers the balance.  Returns the amount drawn (0: nothing to draw).
-- The caller has locked the wallet and checked that the invoice is the wallet's to settle.
CREATE FUNCTION rr_internal.wallet_draw(tenant_id text, wallet_id bigint, invoice_id bigint, amount numeric, drawn_on date)
RETURNS numeric
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := wallet_draw.tenant_id;
    w rr.wallet;
    i rr.invoice;
    mu integer;
    usable numeric;
    owed numeric;
    eligible numeric;
    amt numeric;
    eid bigint;
BEGIN
    SELECT * INTO w FROM rr.wallet x WHERE x.tenant_id = t AND x.wallet_id = wallet_draw.wallet_id;
    -- the invoice is locked like a payment application locks it, so a payment applied at the
    -- same time cannot settle it twice
    SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = t AND x.invoice_id = wallet_draw.invoice_id FOR UPDATE;
    mu := rr.minor_units(w.currency::text);
    SELECT coalesce(sum(l.remaining), 0) INTO usable FROM rr_internal.wallet_lots(t, w.wallet_id, drawn_on) l;
    SELECT coalesce(sum(b.balance), 0) INTO owed FROM rr.invoice_balances(t, 'infinity', ARRAY[i.invoice_id]) b;
    IF w.scope = 'usage' THEN
        -- the usage lines, less what this wallet already drew on the invoice
        eligible := coalesce((SELECT sum(l.amount) FROM rr.invoice_line l
                               WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id AND l.kind = 'usage'), 0)
                    - coalesce((SELECT sum(e.amount) FROM rr.wallet_entry e
                                 WHERE e.tenant_id = t AND e.invoice_id = i.invoice_id AND e.kind = 'drawdown'), 0);
        eligible := greatest(least(eligible, owed), 0);
    ELSE
        eligible := greatest(owed, 0);
    END IF;

    IF wallet_draw.amount IS NULL THEN
        amt := least(eligible, usable);
    ELSE
        amt := rr_internal.check_payment_amount(wallet_draw.amount, w.currency);
        IF amt > eligible THEN
            RAISE EXCEPTION 'cannot draw % on invoice %: only % of it may be drawn from wallet %', amt,
                            coalesce(i.number, i.invoice_id::text), eligible, w.wallet_id
                USING ERRCODE = '22023',
                      DETAIL = format('The invoice has %s %s left to settle; the wallet settles %s.', owed, i.currency,
                                      CASE w.scope WHEN 'usage' THEN 'its usage lines only' ELSE 'whole invoices' END),
                      HINT = 'Draw at most what may be drawn, or omit the amount to draw as much as possible.';
        ELSIF amt > usable THEN
            RAISE EXCEPTION 'insufficient credit in wallet %: % % usable on %, % asked', w.wallet_id, usable,
                            w.currency, drawn_on, amt
                USING ERRCODE = '22023',
                      DETAIL = 'Only top-ups received by the drawdown date and not expired by it can be drawn.',
                      HINT = 'Top up the wallet first, or omit the amount to draw what is left.';
        END IF;
    END IF;
    IF amt <= 0 THEN
        RETURN 0;
    END IF;

    PERFORM rr_internal.posting_period(t, drawn_on);
    INSERT INTO rr.journal_entry (tenant_id, entry_date, period_start, source, source_id, memo)
    VALUES (t, drawn_on, rr_internal.posting_period(t, drawn_on), 'wallet', w.wallet_id,
            format('Wallet %s drawn for invoice %s', w.wallet_id, i.number))
    RETURNING entry_id INTO eid;
    -- Dr liability / Cr the receivable accounts of the lines drawn on, in proportion to them
    WITH acct AS (
        SELECT array_agg(r.account ORDER BY r.account) AS accounts, array_agg(r.amount ORDER BY r.account) AS weights
          FROM (SELECT l.receivable_account AS account, greatest(sum(l.amount), 0) AS amount
                  FROM rr.invoice_line l
                 WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id
                   AND (w.scope = 'all' OR l.kind = 'usage')
                 GROUP BY l.receivable_account) r
    )
    INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency, contract_id)
    SELECT t, eid, 1, w.liability_account, amt, 0, w.currency, i.contract_id
    UNION ALL
    SELECT t, eid, 1 + row_number() OVER (ORDER BY p.k)::integer, acct.accounts[p.k], 0, p.amount, w.currency, i.contract_id
      FROM acct
     CROSS JOIN LATERAL unnest(rr.allocate(amt, acct.weights, mu)) WITH ORDINALITY AS p (amount, k)
     WHERE p.amount <> 0;
    PERFORM rr_internal.check_journal(t, eid, eid);

    -- the lots, first to expire first, each giving what is left of it up to the rest
    INSERT INTO rr.wallet_entry (tenant_id, wallet_id, kind, lot_id, amount, entry_date, invoice_id, journal_entry_id)
    SELECT t, w.wallet_id, 'drawdown', x.lot_id, least(x.remaining, amt - (x.through - x.remaining)), drawn_on,
           i.invoice_id, eid
      FROM (SELECT l.lot_id, l.remaining,
                   sum(l.remaining) OVER (ORDER BY l.expires_on NULLS LAST, l.lot_id) AS through
              FROM rr_internal.wallet_lots(t, w.wallet_id, drawn_on) l) x
     WHERE x.through - x.remaining < amt
     ORDER BY x.through;
    UPDATE rr.wallet x SET balance = x.balance - amt WHERE x.tenant_id = t AND x.wallet_id = w.wallet_id;
    RETURN amt;
END
$$;
COMMENT ON FUNCTION rr_internal.wallet_draw(text, bigint, bigint, numeric, date) IS 'internal: draws from a locked wallet to settle one posted invoice on drawn_on (as much as allowed, or exactly amount), consuming its lots first to expire first, with one journal entry (Dr liability / Cr receivable); returns the amount drawn';

-- The wallet that settles an invoice: the invoice customer's in its currency, else the
-- wallet of the customer whose contract it bills (billed to a parent or other account).
CREATE FUNCTION rr_internal.invoice_wallet(tenant_id text, invoice_id bigint)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- (every table filtered by the tenant itself: Citus then sends the query to the tenant's
    -- shard whole, from inside a delegated function too: docs/scale-out.md)
    SELECT w.wallet_id
      FROM rr.invoice i
      JOIN rr.wallet w ON w.tenant_id = $1 AND w.currency = i.currency
                      AND (w.customer = i.customer
                           OR w.customer = (SELECT k.customer FROM rr.contract k
                                             WHERE k.tenant_id = $1 AND k.contract_id = i.contract_id))
     WHERE i.tenant_id = $1 AND i.invoice_id = $2
     ORDER BY w.customer = i.customer DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION rr_internal.invoice_wallet(text, bigint) IS 'internal: the wallet that settles an invoice: the billed customer''s in the invoice currency, else that of the customer whose contract it bills; NULL if neither has one';

CREATE FUNCTION rr.draw_wallet(invoice_id bigint, amount numeric DEFAULT NULL, drawn_on date DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    i rr.invoice;
    wid bigint;
    d date;
BEGIN
    IF draw_wallet.invoice_id IS NULL THEN
        RAISE EXCEPTION 'invoice id must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = t AND x.invoice_id = draw_wallet.invoice_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', draw_wallet.invoice_id
            USING ERRCODE = 'P0002', HINT = 'Invoice ids are per tenant; check rr.tenant and the invoice id.';
    ELSIF i.doc_type <> 'invoice' THEN
        RAISE EXCEPTION 'cannot draw a wallet for credit note %', i.number
            USING ERRCODE = '22023', HINT = 'Wallets settle invoices; a credit note already reduces its invoice.';
    ELSIF i.status <> 'posted' THEN
        RAISE EXCEPTION 'cannot draw a wallet for invoice %: the invoice is a draft', i.invoice_id
            USING ERRCODE = '55000', DETAIL = 'Only posted invoices are receivable.',
                  HINT = 'Post it with rr.post_invoices() first.';
    END IF;
    d := coalesce(draw_wallet.drawn_on, i.invoice_date);
    PERFORM rr.check_date('drawdown date', d);
    IF d < i.invoice_date THEN
        RAISE EXCEPTION 'drawdown date % is before invoice %', d, i.number
            USING ERRCODE = '22023', DETAIL = format('Invoice %s is dated %s.', i.number, i.invoice_date),
                  HINT = 'Draw on or after the invoice date.';
    END IF;
    wid := rr_internal.invoice_wallet(t, i.invoice_id);
    IF wid IS NULL THEN
        RAISE EXCEPTION 'customer "%" has no wallet in %', i.customer, i.currency
            USING ERRCODE = 'P0002', HINT = 'Open one with rr.open_wallet or rr.top_up_wallet.';
    END IF;
    -- the wallet first, then (in rr_internal.wallet_draw) the invoice: every wallet
    -- function locks in this order
    PERFORM FROM rr.wallet x WHERE x.tenant_id = t AND x.wallet_id = wid FOR UPDATE;
    RETURN rr_internal.wallet_draw(t, wid, i.invoice_id, draw_wallet.amount, d);
END
$$;
COMMENT ON FUNCTION rr.draw_wallet(bigint, numeric, date) IS 'settles a posted invoice from the prepaid credit wallet of its customer (or of its contract''s customer) in its currency, on drawn_on (default: the invoice date): by default as much as the invoice, the wallet''s scope and the credit usable that day allow, else exactly amount; lots expiring first are drawn first; returns the amount drawn';

-- The batch's work is rr_internal.draw_wallets, which rr.draw_wallets calls as a statement
-- of its own with constant arguments: on Citus, rr.distribute() delegates it to the
-- tenant's worker, where its statements may call functions that read the tenant's tables
-- (each invoice's wallet and lots), which Citus refuses inside a statement the coordinator
-- sends to a shard (docs/scale-out.md).
CREATE FUNCTION rr_internal.draw_wallets(tenant_id text, as_of date)
RETURNS TABLE (invoice_id bigint, number text, customer text, currency char(3), drawn numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := draw_wallets.tenant_id;
    wallets bigint[];
    invoices bigint[];
    customers text[];
    currencies char(3)[];
    r record;
    r_wallet bigint;
    amt numeric;
BEGIN
    -- every wallet with credit, locked in id order (so batches and single drawdowns cannot
    -- deadlock), then the open invoices they settle in posting order: invoice date, number
    SELECT coalesce(array_agg(x.wallet_id), '{}') INTO wallets
      FROM (SELECT w.wallet_id FROM rr.wallet w WHERE w.tenant_id = t AND w.balance > 0
             ORDER BY w.wallet_id FOR UPDATE) x;
    -- the invoices the wallets may settle, read first: the query below then reads the
    -- tenant's tables only through rr_internal.open_balances (on Citus, a query that also
    -- read them itself would be sent to the shard, and the function would run there, inside
    -- the shard's query, where reading tables is refused: docs/scale-out.md)
    SELECT coalesce(array_agg(x.invoice_id), '{}'), coalesce(array_agg(x.customer), '{}'),
           coalesce(array_agg(x.currency), '{}')
      INTO invoices, customers, currencies
      FROM (SELECT i.invoice_id, i.customer, i.currency FROM rr.wallet w
              JOIN rr.invoice i ON i.tenant_id = t AND i.currency = w.currency AND i.customer = w.customer
             WHERE w.tenant_id = t AND w.wallet_id = ANY (wallets)
            UNION
            SELECT i.invoice_id, i.customer, i.currency FROM rr.wallet w
              JOIN rr.contract k ON k.tenant_id = t AND k.customer = w.customer
              JOIN rr.invoice i ON i.tenant_id = t AND i.contract_id = k.contract_id AND i.currency = w.currency
             WHERE w.tenant_id = t AND w.wallet_id = ANY (wallets)) x;
    -- (their balances by rr_internal.open_balances, as the payment functions read them: a
    -- PL/pgSQL function whose one query Citus sends to the tenant's shard whole)
    FOR r IN
        SELECT b.invoice_id, b.number, x.customer, x.currency, b.invoice_date
          FROM rr_internal.open_balances(t, invoices) b
          JOIN unnest(invoices, customers, currencies) AS x (invoice_id, customer, currency)
            ON x.invoice_id = b.invoice_id
         WHERE b.balance > 0 AND b.invoice_date <= as_of
         ORDER BY b.invoice_date, b.number
    LOOP
        r_wallet := rr_internal.invoice_wallet(t, r.invoice_id);
        CONTINUE WHEN r_wallet IS NULL OR NOT (r_wallet = ANY (wallets));
        amt := rr_internal.wallet_draw(t, r_wallet, r.invoice_id, NULL, as_of);
        IF amt > 0 THEN
            invoice_id := r.invoice_id;
            number := r.number;
            customer := r.customer;
            currency := r.currency;
            drawn := amt;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION rr_internal.draw_wallets(text, date) IS 'internal: the work of rr.draw_wallets for a tenant';
REVOKE ALL ON FUNCTION rr_internal.draw_wallets(text, date) FROM PUBLIC;

CREATE FUNCTION rr.draw_wallets(as_of date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, number text, customer text, currency char(3), drawn numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'drawdown date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('drawdown date', as_of);
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT w.invoice_id, w.number, w.customer, w.currency, w.drawn
                                   FROM rr_internal.draw_wallets(%L::text, %L::date) AS w',
                                rr.current_tenant(), as_of);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.draw_wallets(date) IS 'settles the current tenant''s posted open invoices dated up to as_of from their customers'' prepaid credit wallets, in posting order (invoice date, then number), each as far as its wallet''s scope and the credit usable on as_of allow, dated as_of; run it after rr.post_invoices; returns what it drew per invoice';

CREATE FUNCTION rr_internal.expire_wallet_credit(tenant_id text, as_of date)
RETURNS TABLE (wallet_id bigint, customer text, currency char(3), lot_id bigint, expires_on date, expired numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := expire_wallet_credit.tenant_id;
    seq regclass := pg_get_serial_sequence('rr.journal_entry', 'entry_id')::regclass;
    -- the entry ids drawn below come after the sequence's last value now (the identity
    -- sequences keep the default cache of 1, so no session holds lower ones in reserve)
    first_entry bigint := coalesce(pg_sequence_last_value(seq), 0) + 1;
BEGIN
    -- the wallets with credit that may have expired, locked in id order
    PERFORM FROM (SELECT w.wallet_id FROM rr.wallet w
                   WHERE w.tenant_id = t AND w.balance > 0
                     AND EXISTS (SELECT FROM rr.wallet_entry e
                                  WHERE e.tenant_id = t AND e.wallet_id = w.wallet_id AND e.kind = 'top_up'
                                    AND e.expires_on <= as_of)
                   ORDER BY w.wallet_id FOR UPDATE) x;
    -- the fiscal periods of every expiry date exist before the statement that posts
    PERFORM rr_internal.posting_period(t, d)
       FROM (SELECT DISTINCT e.expires_on AS d FROM rr.wallet_entry e
              WHERE e.tenant_id = t AND e.kind = 'top_up' AND e.expires_on <= as_of) x;
    -- what is left of every lot expired by as_of: Dr liability / Cr breakage on its expiry date
    RETURN QUERY
    WITH lot AS (
        SELECT x.*, nextval(pg_get_serial_sequence('rr.journal_entry', 'entry_id')) AS entry_id
          FROM (SELECT e.wallet_id, w.customer, w.currency, w.liability_account, w.breakage_account,
                       e.entry_id AS lot_id, e.expires_on,
                       e.amount - coalesce((SELECT sum(c.amount) FROM rr.wallet_entry c
                                             WHERE c.tenant_id = t AND c.lot_id = e.entry_id), 0) AS remaining
                  FROM rr.wallet_entry e
                  JOIN rr.wallet w ON w.tenant_id = t AND w.wallet_id = e.wallet_id
                 WHERE e.tenant_id = t AND e.kind = 'top_up' AND e.expires_on <= as_of) x
         WHERE x.remaining > 0
         ORDER BY x.wallet_id, x.expires_on, x.lot_id
    ), entry AS (
        INSERT INTO rr.journal_entry (tenant_id, entry_id, entry_date, period_start, source, source_id, memo)
        SELECT t, lot.entry_id, lot.expires_on, rr_internal.posting_period(t, lot.expires_on), 'wallet', lot.wallet_id,
               format('Wallet %s: top-up %s expired unused (breakage)', lot.wallet_id, lot.lot_id)
          FROM lot
        RETURNING entry_id
    ), jl AS (
        INSERT INTO rr.journal_line (tenant_id, entry_id, line_no, account, debit, credit, currency)
        SELECT t, lot.entry_id, x.line_no, x.account, x.debit, x.credit, lot.currency
          FROM lot
         CROSS JOIN LATERAL (VALUES (1, lot.liability_account, lot.remaining, 0::numeric),
                                    (2, lot.breakage_account, 0::numeric, lot.remaining)) AS x (line_no, account, debit, credit)
    ), we AS (
        INSERT INTO rr.wallet_entry (tenant_id, wallet_id, kind, lot_id, amount, entry_date, journal_entry_id)
        SELECT t, lot.wallet_id, 'expiry', lot.lot_id, lot.remaining, lot.expires_on, lot.entry_id
          FROM lot
    ), bal AS (
        UPDATE rr.wallet w SET balance = w.balance - s.expired
          FROM (SELECT lot.wallet_id, sum(lot.remaining) AS expired FROM lot GROUP BY lot.wallet_id) s
         WHERE w.tenant_id = t AND w.wallet_id = s.wallet_id
    )
    SELECT lot.wallet_id, lot.customer, lot.currency, lot.lot_id, lot.expires_on, lot.remaining
      FROM lot
     ORDER BY lot.wallet_id, lot.expires_on, lot.lot_id;
    -- the entries written, checked once (rr_internal.check_journal): this session drew the
    -- last of them
    IF FOUND THEN
        PERFORM rr_internal.check_journal(t, first_entry, currval(seq));
    END IF;
END
$$;
COMMENT ON FUNCTION rr_internal.expire_wallet_credit(text, date) IS 'internal: the work of rr.expire_wallet_credit for a tenant, its date checked';
REVOKE ALL ON FUNCTION rr_internal.expire_wallet_credit(text, date) FROM PUBLIC;

CREATE FUNCTION rr.expire_wallet_credit(as_of date DEFAULT current_date)
RETURNS TABLE (wallet_id bigint, customer text, currency char(3), lot_id bigint, expires_on date, expired numeric)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    audit text[];
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'expiry date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('expiry date', as_of);
    -- (a statement of its own with constant arguments: on Citus, rr.distribute() delegates
    -- it to the tenant's worker, which draws the journal entries' ids from its own
    -- sequence, the one the function reads its first id from: docs/scale-out.md)
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT x.wallet_id, x.customer, x.currency, x.lot_id, x.expires_on, x.expired
                                   FROM rr_internal.expire_wallet_credit(%L::text, %L::date) AS x',
                                rr.current_tenant(), as_of);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.expire_wallet_credit(date) IS 'expires the credit left in every top-up of the current tenant''s wallets whose expiry date is on or before as_of, dated its expiry date, and recognises it as breakage revenue (ASC 606-10-55-48): Dr the wallet''s liability / Cr its breakage account; idempotent; returns what expired per top-up';
