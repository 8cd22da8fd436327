-- Credit notes: they mirror the lines they credit with negative amounts and are posted at
-- once in series CN (a journal entry reversing the invoice's: Dr the revenue, deferred
-- revenue and tax accounts, Cr receivable).  Full: everything still creditable; by lines:
-- those lines in full plus their share of the tax; by amount: the amount split over the
-- creditable lines, tax lines included, with rr.allocate.
-- The work is rr_internal.credit_invoice, which rr.credit_invoice calls as a statement of
-- its own with constant arguments: on Citus, rr.distribute() delegates it to the tenant's
-- worker, where its work table, the credit note and its posting (rr_internal.post_invoices,
-- delegated too) are written in the transaction's one connection (docs/scale-out.md).
CREATE FUNCTION rr_internal.credit_invoice(tenant_id text, invoice_id bigint, amount numeric, lines integer[],
                                           reason text, credit_date date)
RETURNS TABLE (credit_note_id bigint, number text, total numeric)
LANGUAGE plpgsql ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := credit_invoice.tenant_id;
    inv rr.invoice;
    mu integer;
    creditable numeric;
    cn bigint;
BEGIN
    IF credit_invoice.invoice_id IS NULL THEN
        RAISE EXCEPTION 'invoice to credit must not be NULL' USING ERRCODE = '22004',
              HINT = 'Pass the id of a posted invoice, as rr.post_invoices returns it.';
    END IF;
    SELECT * INTO inv FROM rr.invoice i
     WHERE i.tenant_id = t AND i.invoice_id = credit_invoice.invoice_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', credit_invoice.invoice_id USING ERRCODE = 'P0002';
    ELSIF inv.doc_type <> 'invoice' THEN
        RAISE EXCEPTION 'document % is a credit note', inv.number
            USING ERRCODE = '22023', HINT = 'Credit the invoice it credits.';
    ELSIF inv.status <> 'posted' THEN
        RAISE EXCEPTION 'cannot credit draft invoice %', inv.invoice_id
            USING ERRCODE = '55000', HINT = 'A draft is corrected by undoing its billing run, not by a credit note.';
    ELSIF credit_date IS NULL THEN
        RAISE EXCEPTION 'credit date must not be NULL' USING ERRCODE = '22004';
    ELSIF array_position(lines, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'line numbers to credit must not be NULL' USING ERRCODE = '22004',
            HINT = 'Pass the line numbers of charge lines, or no lines to credit everything still creditable.';
    ELSIF credit_date < inv.invoice_date THEN
        RAISE EXCEPTION 'credit date % is before the date % of invoice %', credit_date, inv.invoice_date, inv.number
            USING ERRCODE = '22023';
    ELSIF amount IS NOT NULL AND lines IS NOT NULL THEN
        RAISE EXCEPTION 'give either an amount or lines to credit, not both' USING ERRCODE = '22023';
    END IF;
    PERFORM rr.check_date('credit date', credit_date), rr.check_number('credit amount', amount);
    mu := rr.minor_units(inv.currency::text);

    -- what is still creditable, line by line (earlier credit notes included)
    IF rr_internal.claim_work_table('rr_credit_lines') THEN
        CREATE TEMP TABLE rr_credit_lines (line_no integer, kind text, tax_code text, remaining numeric);
    END IF;
    PERFORM rr_internal.empty_work_table('pg_temp.rr_credit_lines');
    INSERT INTO rr_credit_lines
    SELECT l.line_no, l.kind, l.tax_code,
           l.amount + coalesce((SELECT sum(c.amount) FROM rr.invoice n
                                  JOIN rr.invoice_line c ON c.tenant_id = n.tenant_id AND c.invoice_id = n.invoice_id
                                 WHERE n.tenant_id = t AND n.credits_invoice = inv.invoice_id
                                   AND c.credits_line_no = l.line_no), 0)
      FROM rr.invoice_line l
     WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id;
    SELECT coalesce(sum(remaining), 0) INTO creditable FROM rr_credit_lines;

    IF lines IS NOT NULL THEN
        -- more numbers than lines can only repeat some: refused before any work on them
        IF cardinality(lines) > (SELECT count(*) FROM rr_credit_lines WHERE kind <> 'tax') THEN
            RAISE EXCEPTION 'too many line numbers to credit: % for invoice %, which has % charge lines',
                            cardinality(lines), inv.number, (SELECT count(*) FROM rr_credit_lines WHERE kind <> 'tax')
                USING ERRCODE = '22023', HINT = 'Pass each line number to credit once.';
        END IF;
        IF EXISTS (SELECT FROM unnest(lines) x WHERE x NOT IN (SELECT line_no FROM rr_credit_lines WHERE kind <> 'tax')) THEN
            RAISE EXCEPTION 'invoice % has no line % to credit', inv.number,
                            (SELECT min(x) FROM unnest(lines) x WHERE x NOT IN (SELECT line_no FROM rr_credit_lines WHERE kind <> 'tax'))
                USING ERRCODE = '22023', HINT = 'Pass the line numbers of charge lines; their tax is credited with them.';
        END IF;
        -- the chosen lines in full, and each tax line in proportion to the chosen net
        UPDATE rr_credit_lines r SET remaining = 0
         WHERE r.kind <> 'tax' AND r.line_no <> ALL (lines);
        UPDATE rr_credit_lines r
           SET remaining = CASE WHEN x.all_net = 0 THEN 0 ELSE round(r.remaining * x.chosen_net / x.all_net, mu) END
          FROM (SELECT l.tax_code,
                       sum(l.amount) AS all_net,
                       sum(l.amount) FILTER (WHERE l.line_no = ANY (lines)) AS chosen_net
                  FROM rr.invoice_line l
                 WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id AND l.kind <> 'tax' AND l.tax_code IS NOT NULL
                 GROUP BY l.tax_code) x
         WHERE r.kind = 'tax' AND r.tax_code = x.tax_code;
    ELSIF amount IS NOT NULL THEN
        IF amount <= 0 THEN
            RAISE EXCEPTION 'credit amount % is not positive', amount USING ERRCODE = '22023';
        ELSIF amount > creditable THEN
            RAISE EXCEPTION 'credit of % exceeds the % still creditable on invoice %', amount, creditable, inv.number
                USING ERRCODE = '22023', DETAIL = 'Earlier credit notes on the invoice are taken into account.';
        END IF;
        -- split the amount over the creditable lines, exactly
        UPDATE rr_credit_lines r SET remaining = x.part
          FROM (SELECT u.line_no, u.part
                  FROM (SELECT array_agg(line_no ORDER BY line_no) AS nos,
                               rr.allocate(credit_invoice.amount, array_agg(greatest(remaining, 0) ORDER BY line_no), mu) AS parts
                          FROM rr_credit_lines) a,
                       unnest(a.nos, a.parts) AS u(line_no, part)) x
         WHERE r.line_no = x.line_no;
    END IF;
    IF NOT EXISTS (SELECT FROM rr_credit_lines WHERE remaining <> 0) THEN
        RAISE EXCEPTION 'nothing is left to credit on invoice %', inv.number
            USING ERRCODE = '22023', DETAIL = 'Earlier credit notes have credited it in full.';
    END IF;

    -- (the customer, items and tax codes are the credited invoice's: rows a posted document
    -- uses already, which the catalog keeps, so no lock is needed: rr_internal.lock_catalog)
    INSERT INTO rr.invoice (tenant_id, doc_type, credits_invoice, reason, contract_id, customer, currency,
                            series, invoice_date)
    VALUES (t, 'credit_note', inv.invoice_id, credit_invoice.reason, inv.contract_id, inv.customer, inv.currency,
            'CN', credit_date)
    RETURNING rr.invoice.invoice_id INTO cn;
    INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date) VALUES (t, cn, 'CN', credit_date);
    INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, contract_line_no, line_effective_from,
                                 contract_item, item, service_period, quantity, unit_price, amount, tax_code,
                                 credit_account, receivable_account, credits_line_no)
    SELECT t, cn, row_number() OVER (ORDER BY l.line_no)::integer, l.kind, l.contract_line_no, l.line_effective_from,
           l.contract_item, l.item, l.service_period,
           CASE WHEN r.remaining = l.amount THEN l.quantity END, l.unit_price, -r.remaining, l.tax_code,
           l.credit_account, l.receivable_account, l.line_no
      FROM rr.invoice_line l JOIN rr_credit_lines r ON r.line_no = l.line_no
     WHERE l.tenant_id = t AND l.invoice_id = inv.invoice_id AND r.remaining <> 0;
    -- the credit comes off the revenue schedules (deferred revenue first) while the note
    -- is still a draft
    PERFORM rr_internal.credit_note_schedules(t, cn);

    PERFORM rr_internal.post_invoices(t, credit_date, 'CN');
    RETURN QUERY
    SELECT i.invoice_id, i.number, (SELECT sum(l.amount) FROM rr.invoice_line l
                                     WHERE l.tenant_id = t AND l.invoice_id = i.invoice_id)
      FROM rr.invoice i WHERE i.tenant_id = t AND i.invoice_id = cn;
END
$$;
COMMENT ON FUNCTION rr_internal.credit_invoice(text, bigint, numeric, integer[], text, date) IS 'internal: the work of rr.credit_invoice for a tenant';
REVOKE ALL ON FUNCTION rr_internal.credit_invoice(text, bigint, numeric, integer[], text, date) FROM PUBLIC;

CREATE FUNCTION rr.credit_invoice(invoice_id bigint, amount numeric DEFAULT NULL, lines integer[] DEFAULT NULL,
                                  reason text DEFAULT NULL, credit_date date DEFAULT current_date)
RETURNS TABLE (credit_note_id bigint, number text, total numeric)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    audit text[];
BEGIN
    -- (the caller's session and acting roles, forwarded for the audit columns the workflow
    -- writes: on Citus it runs in a session of the extension's owner)
    audit := rr_internal.forward_audit_roles();
    RETURN QUERY EXECUTE format('SELECT c.credit_note_id, c.number, c.total
                                   FROM rr_internal.credit_invoice(%L::text, %L::bigint, %L::numeric, %L::integer[],
                                                                   %L::text, %L::date) AS c',
                                rr.current_tenant(), invoice_id, amount, lines, reason, credit_date);
    PERFORM rr_internal.forward_audit_roles(audit);
END
$$;
COMMENT ON FUNCTION rr.credit_invoice(bigint, numeric, integer[], text, date) IS 'issues and posts a credit note for a posted invoice: in full (default), for some lines (with their share of the tax), or for an amount split over the creditable lines, tax included, with rr.allocate; never more than is still creditable';
