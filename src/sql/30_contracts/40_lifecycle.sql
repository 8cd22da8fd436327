-- The building blocks of the contract lifecycle (docs/catalog-and-contracts.md): a
-- contract's snapshot, its event log, finding and locking it for an action, prices, writing
-- a line version, checking an action's date, and creating a draft contract.  The actions
-- that move a contract through its states (setup, activate, terminate, complete, expire,
-- change a line) also plan its revenue, a later layer, so they are workflows:
-- src/sql/85_workflows/10_contract_lifecycle.sql.

-- The contract and all its line versions as one jsonb document.
-- (PL/pgSQL, not a SQL function: it reads tables, so it is never inlined, and Citus cannot
-- plan a SQL function's parameterized query of a distributed table; every table filtered
-- by the tenant itself, so that Citus routes the statement to the tenant's shards alone)
CREATE FUNCTION rr_internal.contract_snapshot(tenant_id text, contract_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
                       'contract', to_jsonb(c) - 'tenant_id',
                       'lines', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'tenant_id' - 'contract_id'
                                                           ORDER BY l.line_no, l.effective_from)
                                            FROM rr.contract_line l
                                           WHERE l.tenant_id = contract_snapshot.tenant_id
                                             AND l.contract_id = c.contract_id), '[]'))
              FROM rr.contract c
             WHERE c.tenant_id = contract_snapshot.tenant_id AND c.contract_id = contract_snapshot.contract_id);
END
$$;
COMMENT ON FUNCTION rr_internal.contract_snapshot(text, bigint) IS 'internal: a contract with all its line versions as jsonb, as stored in rr.contract_event';
REVOKE ALL ON FUNCTION rr_internal.contract_snapshot(text, bigint) FROM PUBLIC;

-- Append an event and publish it; who = the session user and the role it acts as (SET
-- ROLE), which a SECURITY DEFINER function cannot change.
CREATE FUNCTION rr_internal.log_contract_event(tenant_id text, contract_id bigint, action text,
                                      effective_date date, reason text, before jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, effective_date, reason, before, after)
    VALUES (log_contract_event.tenant_id, log_contract_event.contract_id, log_contract_event.action,
            rr.acting_role(),
            log_contract_event.effective_date, log_contract_event.reason, log_contract_event.before,
            rr_internal.contract_snapshot(log_contract_event.tenant_id, log_contract_event.contract_id))
    RETURNING event_id INTO id;
    PERFORM rr_internal.publish_contract_events(log_contract_event.tenant_id, ARRAY[id]);
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr_internal.log_contract_event(text, bigint, text, date, text, jsonb) IS 'internal: appends a contract event with the contract''s state after the action, and publishes it to the outbox';
REVOKE ALL ON FUNCTION rr_internal.log_contract_event(text, bigint, text, date, text, jsonb) FROM PUBLIC;

-- Find and lock a contract of the tenant and check that the action is allowed from its status.
CREATE FUNCTION rr_internal.contract_for_action(tenant_id text, contract_id bigint, action text, allowed text[])
RETURNS rr.contract
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract;
BEGIN
    SELECT * INTO c FROM rr.contract k
     WHERE k.tenant_id = contract_for_action.tenant_id AND k.contract_id = contract_for_action.contract_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % does not exist', contract_for_action.contract_id
            USING ERRCODE = 'P0002', HINT = 'Contract ids are per tenant; check rr.tenant and the contract id.';
    END IF;
    IF NOT c.status = ANY (allowed) THEN
        RAISE EXCEPTION 'cannot % contract %: its status is "%"', replace(action, '_', ' '), c.contract_id, c.status
            USING ERRCODE = '55000',
                  DETAIL = format('%s is allowed only for contracts that are %s.', initcap(replace(action, '_', ' ')),
                                  array_to_string(allowed, ' or ')),
                  HINT = CASE
                      WHEN action = 'activate' AND c.status = 'draft'
                          THEN 'Set it up first with rr.setup_contract(), or use rr.setup_and_activate_contract().'
                      WHEN c.status IN ('expired', 'terminated', 'completed')
                          THEN 'A closed contract cannot change; create a new contract.'
                      ELSE 'See "The contract lifecycle" in docs/catalog-and-contracts.md.' END;
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_for_action(text, bigint, text, text[]) IS 'internal: locks a contract of the tenant and refuses the action unless its status is one of allowed (55000, naming the status)';
REVOKE ALL ON FUNCTION rr_internal.contract_for_action(text, bigint, text, text[]) FROM PUBLIC;

-- Prices of a contract item in a currency on a date, as its pricing options say: list
-- prices and manual prices as the catalog's price changes (rr.price_change,
-- 46_price_changes.sql) have them on that date.
CREATE FUNCTION rr.contract_item_prices(tenant_id text, contract_item text, currency text, on_date date DEFAULT NULL,
                                        OUT setup_price numeric, OUT renewal_price numeric,
                                        OUT recurring_price numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ci rr.contract_item;
    d date := coalesce(on_date, current_date);
    m record;
BEGIN
    PERFORM rr.check_date('price date', on_date);
    SELECT * INTO ci FROM rr.contract_item i
     WHERE i.tenant_id = contract_item_prices.tenant_id AND i.code = contract_item_prices.contract_item;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract item "%" does not exist', contract_item
            USING ERRCODE = 'P0002', HINT = 'Contract items are per tenant; see rr.contract_item for their codes.';
    END IF;
    -- the manual prices in force on d: the latest change of each, else the contract item's
    SELECT coalesce(max(x.price) FILTER (WHERE x.price_kind = 'setup'), ci.setup_price) AS setup,
           coalesce(max(x.price) FILTER (WHERE x.price_kind = 'renewal'), ci.renewal_price) AS renewal,
           coalesce(max(x.price) FILTER (WHERE x.price_kind = 'recurring'), ci.recurring_price) AS recurring
      INTO m
      FROM (SELECT DISTINCT ON (pc.price_kind) pc.price_kind, pc.price FROM rr.price_change pc
             WHERE pc.tenant_id = ci.tenant_id AND pc.contract_item = ci.code AND pc.effective_from <= d
             ORDER BY pc.price_kind, pc.effective_from DESC) x;
    setup_price := CASE ci.setup_pricing
        WHEN 'manual' THEN m.setup
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.setup_item, currency, d)
        ELSE trim_scale(rr.list_price(tenant_id, ci.setup_item, currency, d) * ci.setup_percent / 100) END;
    renewal_price := CASE ci.renewal_pricing
        WHEN 'manual' THEN m.renewal
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.renewal_item, currency, d)
        WHEN 'percent_of_item_price' THEN trim_scale(rr.list_price(tenant_id, ci.renewal_item, currency, d) * ci.renewal_percent / 100)
        ELSE trim_scale(setup_price * ci.renewal_percent / 100) END;
    recurring_price := CASE ci.recurring_pricing
        WHEN 'manual' THEN m.recurring
        WHEN 'item_price' THEN rr.list_price(tenant_id, ci.recurring_item, currency, d)
        ELSE trim_scale(rr.list_price(tenant_id, ci.recurring_item, currency, d) * ci.recurring_percent / 100) END;
END
$$;
COMMENT ON FUNCTION rr.contract_item_prices(text, text, text, date) IS 'setup, renewal and recurring unit prices of a contract item in a currency on a date (default today), resolved from list prices and percentages (exact, not rounded: amounts are rounded on the invoice line) or manual prices, as the catalog''s price changes have them that day; NULL where the item has no such fee';
REVOKE ALL ON FUNCTION rr.contract_item_prices(text, text, text, date) FROM PUBLIC;

-- List price of an item in a currency on a date: the latest price change effective by
-- then, else rr.item_price (NULL item: NULL); a missing price is an error.
CREATE FUNCTION rr.list_price(tenant_id text, item text, currency text, on_date date DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p numeric;
BEGIN
    PERFORM rr.check_date('price date', on_date);
    IF item IS NULL THEN
        RETURN NULL;
    END IF;
    p := coalesce((SELECT pc.price FROM rr.price_change pc
                    WHERE pc.tenant_id = list_price.tenant_id AND pc.item = list_price.item
                      AND pc.currency = list_price.currency AND pc.effective_from <= coalesce(on_date, current_date)
                    ORDER BY pc.effective_from DESC LIMIT 1),
                  (SELECT ip.price FROM rr.item_price ip
                    WHERE ip.tenant_id = list_price.tenant_id AND ip.item = list_price.item
                      AND ip.currency = list_price.currency));
    IF p IS NULL THEN
        RAISE EXCEPTION 'item "%" has no list price in %', item, currency
            USING ERRCODE = '22023', HINT = 'Add the price to rr.item_price, or price the contract item manually.';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION rr.list_price(text, text, text, date) IS 'list price of an item in a currency on a date (default today): the latest price change effective by then, else rr.item_price; error 22023 if there is none';
REVOKE ALL ON FUNCTION rr.list_price(text, text, text, date) FROM PUBLIC;

-- Refuse a price override that is not a number of zero or more (a JSON number or a decimal
-- string): a clear error naming it, before any cast or write.
CREATE FUNCTION rr_internal.check_price_overrides(prices jsonb, contract_item text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT x FROM unnest(ARRAY['setup_price', 'renewal_price', 'recurring_price']) x LOOP
        IF prices ? k AND jsonb_typeof(prices->k) <> 'null'
           -- (a CASE, so that only a string that is a number is cast)
           AND (CASE WHEN jsonb_typeof(prices->k) NOT IN ('number', 'string')
                          OR (prices->>k) !~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,4})?\s*$'
                     THEN true
                     ELSE NOT rr.is_valid_number((prices->>k)::numeric) OR (prices->>k)::numeric < 0 END) THEN
            RAISE EXCEPTION '% % for contract item "%" is not a valid price', k, prices->k, contract_item
                USING ERRCODE = '22023', HINT = 'Prices are numbers of zero or more, such as 12.50.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION rr_internal.check_price_overrides(jsonb, text) IS 'internal: refuses (22023) a setup, renewal or recurring price override that is not a number of zero or more';
REVOKE ALL ON FUNCTION rr_internal.check_price_overrides(jsonb, text) FROM PUBLIC;

-- Write one version of a contract line after checking quantity limits, currency and overrides.
CREATE FUNCTION rr_internal.write_contract_line(c rr.contract, line_no integer, contract_item text,
                                       effective_from date, quantity numeric, prices jsonb,
                                       is_removed boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ci rr.contract_item;
    p record;
    k text;
    q numeric;
    model rr.pricing;
BEGIN
    SELECT * INTO ci FROM rr.contract_item i
     WHERE i.tenant_id = c.tenant_id AND i.code = write_contract_line.contract_item;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract item "%" does not exist', write_contract_line.contract_item
            USING ERRCODE = '23503';
    END IF;
    IF ci.currency <> c.currency THEN
        RAISE EXCEPTION 'currency mismatch: contract item "%" is priced in %, but the contract with customer "%" is in %',
                        ci.code, ci.currency, c.customer, c.currency
            USING ERRCODE = '22023',
                  HINT = 'Use contract items priced in the customer''s currency.';
    END IF;
    FOR k IN SELECT jsonb_object_keys(coalesce(prices, '{}')) LOOP
        IF k NOT IN ('setup_price', 'renewal_price', 'recurring_price', 'price_model') THEN
            RAISE EXCEPTION 'unknown override "%" for contract item "%"', k, ci.code
                USING ERRCODE = '22023',
                      HINT = 'Overrides are quantity, setup_price, renewal_price, recurring_price and price_model.';
        END IF;
    END LOOP;
    PERFORM rr_internal.check_price_overrides(prices, ci.code);
    -- a line's price model may replace its item's (text or jsonb form), never add one
    IF prices ? 'price_model' THEN
        IF ci.price_model IS NULL THEN
            RAISE EXCEPTION 'contract item "%" has no price model to override', ci.code
                USING ERRCODE = '22023', HINT = 'Only the lines of contract items with a price model can change it.';
        ELSIF jsonb_typeof(prices->'price_model') NOT IN ('string', 'object') THEN
            RAISE EXCEPTION 'price model override for contract item "%" must be a pricing text or jsonb object', ci.code
                USING ERRCODE = '22023', DETAIL = format('Got %s.', prices->'price_model');
        END IF;
        model := CASE jsonb_typeof(prices->'price_model') WHEN 'string' THEN (prices->>'price_model')::rr.pricing
                                                          ELSE (prices->'price_model')::rr.pricing END;
    END IF;
    q := coalesce(quantity, ci.default_quantity);
    IF q < ci.min_quantity OR q > ci.max_quantity OR q < 0 THEN
        RAISE EXCEPTION 'quantity % of contract item "%" is out of range', q, ci.code
            USING ERRCODE = '22023',
                  DETAIL = format('Contract item "%s" allows %s to %s.', ci.code, ci.min_quantity,
                                  coalesce(ci.max_quantity::text, 'any quantity'));
    END IF;
    p := rr.contract_item_prices(c.tenant_id, ci.code, c.currency, write_contract_line.effective_from);
    INSERT INTO rr.contract_line (tenant_id, contract_id, line_no, effective_from, contract_item, quantity,
                                  setup_price, renewal_price, recurring_price, price_model, billing_period, is_removed)
    -- (VALUES, not a SELECT: Citus sends a VALUES insert to the tenant's shard as it is,
    -- while it copies the rows of an INSERT ... SELECT through the coordinator, which
    -- commits in two phases, and a transaction whose delegated planning used work tables
    -- on the worker cannot: docs/scale-out.md)
    VALUES (c.tenant_id, c.contract_id, write_contract_line.line_no, write_contract_line.effective_from, ci.code, q,
            coalesce((prices->>'setup_price')::numeric, p.setup_price),
            coalesce((prices->>'renewal_price')::numeric, p.renewal_price),
            coalesce((prices->>'recurring_price')::numeric, p.recurring_price),
            coalesce(model, ci.price_model),
            CASE WHEN ci.billing_type = 'none' THEN NULL
                 ELSE coalesce(ci.billing_period, rr.billing_interval(c.billing_period, c.billing_days)) END,
            write_contract_line.is_removed)
    ON CONFLICT ON CONSTRAINT contract_line_pkey DO UPDATE
       SET contract_item = EXCLUDED.contract_item, quantity = EXCLUDED.quantity,
           setup_price = EXCLUDED.setup_price, renewal_price = EXCLUDED.renewal_price,
           recurring_price = EXCLUDED.recurring_price, price_model = EXCLUDED.price_model,
           billing_period = EXCLUDED.billing_period, is_removed = EXCLUDED.is_removed;
END
$$;
COMMENT ON FUNCTION rr_internal.write_contract_line(rr.contract, integer, text, date, numeric, jsonb, boolean) IS 'internal: writes one version of a contract line with resolved prices, after checking the item, its currency, quantity limits and price overrides';
REVOKE ALL ON FUNCTION rr_internal.write_contract_line(rr.contract, integer, text, date, numeric, jsonb, boolean) FROM PUBLIC;

-- create: a draft contract from a template, with its lines.
CREATE FUNCTION rr.create_contract(customer text, template text, start_date date,
                                   overrides jsonb DEFAULT '{}', description text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text := rr.current_tenant();
    cu rr.customer;
    tp rr.contract_template;
    c rr.contract;
    ln record;
    o jsonb := coalesce(overrides, '{}');
    k text;
BEGIN
    SELECT * INTO cu FROM rr.customer x WHERE x.tenant_id = t AND x.code = create_contract.customer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer "%" does not exist', create_contract.customer
            USING ERRCODE = '23503', HINT = 'Add the customer to rr.customer first.';
    ELSIF NOT cu.is_active THEN
        RAISE EXCEPTION 'customer "%" is inactive', cu.code USING ERRCODE = '22023';
    END IF;
    SELECT * INTO tp FROM rr.contract_template x WHERE x.tenant_id = t AND x.code = create_contract.template;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract template "%" does not exist', create_contract.template
            USING ERRCODE = '23503';
    END IF;
    IF start_date IS NULL THEN
        RAISE EXCEPTION 'start date must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('start date', start_date);
    IF start_date < tp.effective_from OR start_date > tp.discontinue_after THEN
        RAISE EXCEPTION 'contract template "%" is not effective on %', tp.code, start_date
            USING ERRCODE = '22023',
                  DETAIL = format('It may be used for contracts starting from %s%s.', tp.effective_from,
                                  coalesce(' to ' || tp.discontinue_after, ''));
    END IF;
    IF jsonb_typeof(o) <> 'object' THEN
        RAISE EXCEPTION 'overrides must be a jsonb object keyed by contract item'
            USING ERRCODE = '22023', HINT = 'For example {"SEATS": {"quantity": 25}}.';
    END IF;
    IF o <> '{}' AND NOT tp.allow_override THEN
        RAISE EXCEPTION 'contract template "%" does not allow overrides', tp.code
            USING ERRCODE = '22023',
                  HINT = 'Create the contract with the template''s lines, or allow overrides on the template.';
    END IF;
    FOR k IN SELECT key FROM jsonb_each(o) WHERE jsonb_typeof(value) <> 'object' LOOP
        RAISE EXCEPTION 'override for contract item "%" must be a jsonb object', k USING ERRCODE = '22023';
    END LOOP;

    INSERT INTO rr.contract (tenant_id, customer, template, currency, description, contract_type, start_date, end_date,
                             billing_period, billing_days, billing_start, alignment, invoice_to, bill_to,
                             payment_terms_days, grace_period_days, renewal_point_days, refund_policy,
                             renewal_uplift_percent, pause_extends_term)
    VALUES (t, cu.code, tp.code, cu.currency, create_contract.description, tp.contract_type, start_date,
            rr_internal.term_end(start_date, tp.duration, tp.duration_unit),
            tp.billing_period, tp.billing_days, tp.billing_start, tp.alignment, tp.invoice_to,
            -- (CASE WHEN x = ..., not CASE x WHEN ...: Citus evaluates the parameters of an
            -- INSERT and then deparses a simple CASE as a comparison with a boolean,
            -- docs/scale-out.md)
            CASE WHEN tp.invoice_to = 'parent' THEN coalesce(cu.parent, cu.code)
                 WHEN tp.invoice_to = 'other' THEN coalesce(cu.bill_to, cu.code) ELSE cu.code END,
            coalesce(cu.payment_terms_days, tp.payment_terms_days), tp.grace_period_days,
            tp.renewal_point_days, tp.refund_policy, tp.renewal_uplift_percent, tp.pause_extends_term)
    RETURNING * INTO c;

    -- the template's lines, then the items the overrides add (in key order)
    FOR ln IN
        SELECT row_number() OVER (ORDER BY src, pos)::integer AS line_no, item, qty
          FROM (SELECT 1 AS src, tl.line_no::bigint AS pos, tl.contract_item AS item, tl.quantity AS qty
                  FROM rr.template_line tl
                 WHERE tl.tenant_id = t AND tl.template = tp.code
                UNION ALL
                SELECT 2, row_number() OVER (ORDER BY e.key), e.key, NULL
                  FROM jsonb_each(o) e
                 WHERE e.key NOT IN (SELECT tl.contract_item FROM rr.template_line tl
                                      WHERE tl.tenant_id = t AND tl.template = tp.code)) s
    LOOP
        PERFORM rr_internal.write_contract_line(c, ln.line_no, ln.item, start_date,
                                       coalesce((o->ln.item->>'quantity')::numeric, ln.qty),
                                       (o->ln.item) - 'quantity');
    END LOOP;
    IF NOT EXISTS (SELECT FROM rr.contract_line l WHERE l.tenant_id = t AND l.contract_id = c.contract_id) THEN
        RAISE EXCEPTION 'contract template "%" has no lines', tp.code
            USING ERRCODE = '22023', HINT = 'Add lines to rr.template_line, or pass contract items in overrides.';
    END IF;
    PERFORM rr_internal.log_contract_event(t, c.contract_id, 'create', start_date, NULL, NULL);
    RETURN c.contract_id;
END
$$;
COMMENT ON FUNCTION rr.create_contract(text, text, date, jsonb, text) IS 'creates a draft contract for a customer from a template effective on start_date, copying its lines and terms; overrides {"ITEM": {"quantity": n, "recurring_price": p, ...}} change or add lines where the template allows; returns the contract id';

-- Dates must fall inside the contract's term.
CREATE FUNCTION rr_internal.check_contract_date(c rr.contract, what text, d date, not_before date)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rr.check_date(what || ' date', d);
    IF d IS NULL THEN
        RAISE EXCEPTION '% date must not be NULL', what USING ERRCODE = '22004';
    ELSIF d < not_before THEN
        RAISE EXCEPTION '% date % is before %', what, d, not_before
            USING ERRCODE = '22023',
                  DETAIL = format('Contract %s started on %s%s.', c.contract_id, c.start_date,
                                  coalesce(', was set up on ' || c.setup_date, '')
                                  || coalesce(', was activated on ' || c.activation_date, '')),
                  HINT = format('Use a date on or after %s.', not_before);
    ELSIF d > c.end_date THEN
        RAISE EXCEPTION '% date % is after the end of contract %', what, d, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s.', c.end_date);
    END IF;
    RETURN d;
END
$$;
COMMENT ON FUNCTION rr_internal.check_contract_date(rr.contract, text, date, date) IS 'internal: refuses an action date before not_before or after the contract end';
REVOKE ALL ON FUNCTION rr_internal.check_contract_date(rr.contract, text, date, date) FROM PUBLIC;
