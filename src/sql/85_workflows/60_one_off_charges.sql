-- One-off charges and credits (docs/one-off-charges.md): rr.add_one_off_charge records one
-- (src/sql/50_billing/25_one_off_charges.sql) and, with bill => 'immediately', bills it at
-- once on its own invoice, as rr.amend_contract bills 'immediately': a net credit is not
-- invoiced alone (a negative invoice settles nothing) but stays due, and the next billing
-- run nets it against the next invoice.

-- Bill one one-off charge on its own invoice, dated its service date: the run, the charge,
-- the draft invoice and its line (the accounts as rr_internal.bill chooses them), its tax
-- lines and its revenue schedule.  Returns the run.
CREATE FUNCTION rr_internal.bill_one_off(tenant_id text, one_off rr.one_off_charge)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := bill_one_off.tenant_id;
    run bigint;
    charge bigint;
    inv bigint;
    bill_to text;
    cur char(3);
    item text;
    receivable text;
    credit text;
BEGIN
    INSERT INTO rr.billing_run (tenant_id, as_of, contract_id)
    VALUES (t, one_off.service_date, one_off.contract_id)
    RETURNING run_id INTO run;
    INSERT INTO rr.charge (tenant_id, contract_id, line_no, line_effective_from, kind, service_period, adjustment_seq,
                           quantity, unit_price, amount, due_date, run_id)
    VALUES (t, one_off.contract_id, -one_off.one_off_id, one_off.service_date, 'one_off',
            daterange(one_off.service_date, one_off.service_date + 1), 0, one_off.quantity, one_off.unit_price,
            one_off.amount, one_off.service_date, run)
    RETURNING charge_id INTO charge;
    -- (the contract and the item read first, then each row written by VALUES: on Citus,
    -- where this function is delegated to the tenant's worker, an INSERT ... SELECT that
    -- draws the new row's id is planned as a distributed query, which Citus refuses inside
    -- the delegated call: docs/scale-out.md)
    SELECT k.bill_to, k.currency INTO bill_to, cur
      FROM rr.contract k
     WHERE k.tenant_id = t AND k.contract_id = one_off.contract_id;
    SELECT it.code, it.receivable_account,
           CASE WHEN dc.method = 'immediate' THEN it.revenue_account ELSE it.deferred_account END
      INTO item, receivable, credit
      FROM rr.item it
      LEFT JOIN rr.deferral_code dc ON dc.tenant_id = t AND dc.code = it.deferral_code
     WHERE it.tenant_id = t AND it.code = one_off.item;
    INSERT INTO rr.invoice (tenant_id, run_id, contract_id, customer, currency, invoice_date)
    VALUES (t, run, one_off.contract_id, bill_to, cur, one_off.service_date)
    RETURNING invoice_id INTO inv;
    INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
    VALUES (t, inv, 'INV', one_off.service_date);
    INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, charge_id, contract_line_no, line_effective_from,
                                 contract_item, item, service_period, quantity, unit_price, amount, credit_account,
                                 receivable_account)
    VALUES (t, inv, 1, 'one_off', charge, -one_off.one_off_id, one_off.service_date, NULL, item,
            daterange(one_off.service_date, one_off.service_date + 1), one_off.quantity, one_off.unit_price,
            one_off.amount, credit, receivable);
    -- the ranges of the ids the run wrote, by which it is read (rr.billing_run)
    UPDATE rr.billing_run r SET charge_ids = int8range(charge, charge, '[]'), invoice_ids = int8range(inv, inv, '[]')
     WHERE r.tenant_id = t AND r.run_id = run;
    PERFORM rr_internal.add_tax_lines(t, run);
    PERFORM rr_internal.create_revenue_schedules(t, run);
    RETURN run;
END
$$;
COMMENT ON FUNCTION rr_internal.bill_one_off(text, rr.one_off_charge) IS 'internal, called by rr.add_one_off_charge: bills one one-off charge at once on its own draft invoice dated its service date (charge, invoice line, tax, revenue schedule); returns the run';

CREATE FUNCTION rr.add_one_off_charge(contract_id bigint, item text, service_date date, amount numeric DEFAULT NULL,
                                      quantity numeric DEFAULT NULL, unit_price numeric DEFAULT NULL,
                                      bill text DEFAULT 'next', description text DEFAULT NULL)
RETURNS TABLE (one_off_id integer, invoice_id bigint, total numeric, billed_on text)
LANGUAGE plpgsql SECURITY DEFINER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    c rr.contract;
    it rr.item;
    mu integer;
    q numeric := add_one_off_charge.quantity;
    p numeric := add_one_off_charge.unit_price;
    a numeric := add_one_off_charge.amount;
    o rr.one_off_charge;
    run bigint;
    term_end date;
    audit text[];
BEGIN
    IF bill IS NULL OR bill NOT IN ('next', 'immediately') THEN
        RAISE EXCEPTION 'unknown billing option "%"', coalesce(bill, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'bill => ''next'' bills it with the next billing run on or after its service date; ''immediately'' on its own invoice now.';
    ELSIF add_one_off_charge.item IS NULL OR service_date IS NULL THEN
        RAISE EXCEPTION 'item and service date of a one-off charge must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('service date', service_date);
    c := rr_internal.contract_for_action(t, add_one_off_charge.contract_id, 'add a one-off charge to',
                                         ARRAY['active', 'pending_upgrade']);
    SELECT * INTO it FROM rr.item i WHERE i.tenant_id = t AND i.code = add_one_off_charge.item;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'item "%" does not exist', add_one_off_charge.item
            USING ERRCODE = 'P0002', HINT = 'One-off charges name an item of the catalog (rr.item).';
    ELSIF NOT it.is_active THEN
        RAISE EXCEPTION 'item "%" is not active', it.code USING ERRCODE = '55000';
    END IF;
    term_end := least(c.end_date, c.termination_date);
    IF service_date < c.start_date OR service_date >= coalesce(term_end, 'infinity') THEN
        RAISE EXCEPTION 'service date % is outside the term of contract %', service_date, c.contract_id
            USING ERRCODE = '22023',
                  DETAIL = format('The contract runs from %s%s.', c.start_date,
                                  coalesce(' to ' || (term_end - 1), ' with no end')),
                  HINT = 'A one-off charge is for a day of the contract''s term.';
    END IF;
    mu := rr.minor_units(c.currency::text);
    IF a IS NOT NULL AND (q IS NOT NULL OR p IS NOT NULL) THEN
        RAISE EXCEPTION 'give either an amount or a quantity and unit price, not both' USING ERRCODE = '22023';
    END IF;
    PERFORM rr.check_number('amount', a), rr.check_number('quantity', q), rr.check_number('unit price', p);
    IF a IS NOT NULL THEN
        IF a <> round(a, mu) THEN
            RAISE EXCEPTION 'amount % is not a whole number of % minor units', a, c.currency
                USING ERRCODE = '22023', DETAIL = format('%s has %s decimal places.', c.currency, mu);
        END IF;
        q := 1;
        p := a;
    ELSE
        q := coalesce(q, 1);
        p := coalesce(p, rr.list_price(t, it.code, c.currency::text, service_date));
        IF p IS NULL THEN
            RAISE EXCEPTION 'item "%" has no price in %', it.code, c.currency
                USING ERRCODE = '22023', HINT = 'Give the amount or the unit price.';
        END IF;
        a := round(q * p, mu);
        PERFORM rr.check_number('amount', a);
    END IF;
    IF q <= 0 THEN
        RAISE EXCEPTION 'quantity % is not positive', q
            USING ERRCODE = '22023', HINT = 'A credit is a negative amount or unit price.';
    ELSIF a = 0 THEN
        RAISE EXCEPTION 'a one-off charge of 0 bills nothing' USING ERRCODE = '22023',
            HINT = 'Give a positive amount to charge or a negative one to credit.';
    END IF;
    INSERT INTO rr.one_off_charge (tenant_id, contract_id, item, service_date, quantity, unit_price, amount, bill,
                                   description, acting_role)
    VALUES (t, c.contract_id, it.code, service_date, q, p, a, bill, description, rr.acting_role())
    RETURNING * INTO o;
    one_off_id := o.one_off_id;
    total := NULL;
    invoice_id := NULL;
    billed_on := 'next billing';
    IF bill = 'immediately' THEN
        BEGIN
            -- (a statement of its own with constant arguments: on Citus, rr.distribute()
            -- delegates it to the tenant's worker, where its revenue schedules are staged in
            -- work tables next to the tenant's shards, as a billing run's are: called here,
            -- the staging joined a temporary table with distributed ones, which Citus
            -- refused; the caller's roles forwarded for its audit columns: docs/scale-out.md)
            audit := rr_internal.forward_audit_roles();
            EXECUTE format('SELECT r.run FROM rr_internal.bill_one_off(%L::text, %L::rr.one_off_charge) AS r (run)', t, o)
               INTO run;
            PERFORM rr_internal.forward_audit_roles(audit);
            SELECT b.invoice_id, b.total INTO invoice_id, total FROM rr_internal.billing_run_invoices(t, run) b;
            IF total < 0 THEN
                -- a net credit is not invoiced on its own: it stays due (on its service
                -- date) and the next billing run nets it against the next invoice
                RAISE EXCEPTION USING ERRCODE = 'RRCRF', MESSAGE = 'net credit carried forward';
            END IF;
            billed_on := 'this charge';
        EXCEPTION WHEN SQLSTATE 'RRCRF' THEN
            invoice_id := NULL;
        END;
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION rr.add_one_off_charge(bigint, text, date, numeric, numeric, numeric, text, text) IS 'adds a one-off charge (or, negative, a credit) to an active contract: an item, an amount or quantity x unit price (default: 1 x the item''s list price in the contract currency on the service date) rounded once, a service date within the term; bill next (default: the next billing run on or after the service date) or immediately (its own draft invoice now, dated the service date; a net credit is carried to the next billing instead); revenue by the item''s deferral code; returns the id, the invoice and its total when billed at once, and billed_on';
