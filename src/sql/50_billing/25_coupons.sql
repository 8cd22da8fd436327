-- Coupons and promotion codes (docs/trials-pauses-coupons.md), Stripe's model: a coupon is
-- the discount (percent or amount off, for one billing period, N periods or for ever,
-- with redemption limits and a last day to redeem it); a promotion code is a
-- customer-facing code for a coupon with limits of its own.  Redeeming one on a contract
-- (rr.redeem_coupon) writes a discount agreement (rr.discount, 20_discounts.sql) for the
-- periods the coupon lasts, which rr.due_charges bills like any other, and records the
-- redemption, which the limits count.

CREATE TABLE rr.coupon (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    kind             text NOT NULL,
    value            numeric NOT NULL,
    currency         char(3),
    duration         text NOT NULL DEFAULT 'once',
    duration_periods integer,
    max_redemptions  integer,
    max_per_customer integer,
    redeem_by        date,
    account          text NOT NULL DEFAULT '4950',
    description      text,
    is_active        boolean NOT NULL DEFAULT true,
    CONSTRAINT coupon_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT coupon_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT coupon_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT coupon_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT coupon_code_check CHECK (code OPERATOR(pg_catalog.<>) '' AND length(code) <= 100),
    CONSTRAINT coupon_kind_check CHECK (kind IN ('percent', 'amount')),
    CONSTRAINT coupon_value_check CHECK (value > 0 AND (kind = 'amount' OR value <= 100)),
    CONSTRAINT coupon_currency_check CHECK ((kind = 'amount') = (currency IS NOT NULL)),
    CONSTRAINT coupon_duration_check CHECK (duration IN ('once', 'repeating', 'forever')
                                            AND (duration = 'repeating') = (duration_periods IS NOT NULL)),
    CONSTRAINT coupon_periods_check CHECK (duration_periods BETWEEN 1 AND 1200),
    CONSTRAINT coupon_limits_check CHECK (max_redemptions > 0 AND max_per_customer > 0),
    CONSTRAINT coupon_limit_check CHECK (rr.check_number('coupon value', value)
                                         AND rr.check_date('redeem by date', redeem_by))
);
COMMENT ON TABLE rr.coupon IS 'coupons (Stripe''s model): a discount that contracts redeem, directly or through a promotion code; percent off every recurring line, or an amount off each contract billing period in one currency; for one billing period (once), duration_periods periods (repeating) or for ever; with an optional limit on redemptions in all and per customer, and a last day to redeem it';
COMMENT ON COLUMN rr.coupon.tenant_id IS 'tenant that owns the coupon';
COMMENT ON COLUMN rr.coupon.code IS 'the coupon''s code (case-sensitive; promotion codes are the customer-facing, case-insensitive codes)';
COMMENT ON COLUMN rr.coupon.kind IS 'percent (off every recurring line) or amount (off each contract billing period, split over its lines)';
COMMENT ON COLUMN rr.coupon.value IS 'percent (0 to 100) or amount per billing period in currency';
COMMENT ON COLUMN rr.coupon.currency IS 'currency of an amount coupon (only contracts in it may redeem it); NULL for a percent coupon';
COMMENT ON COLUMN rr.coupon.duration IS 'once (the first billing period it applies to), repeating (duration_periods periods) or forever';
COMMENT ON COLUMN rr.coupon.duration_periods IS 'number of contract billing periods a repeating coupon lasts (months on a monthly plan); NULL otherwise';
COMMENT ON COLUMN rr.coupon.max_redemptions IS 'redemptions allowed in all, through any code; NULL: no limit';
COMMENT ON COLUMN rr.coupon.max_per_customer IS 'redemptions allowed per customer, through any code; NULL: no limit';
COMMENT ON COLUMN rr.coupon.redeem_by IS 'last day a redemption may be dated; NULL: no expiry';
COMMENT ON COLUMN rr.coupon.account IS 'account the discount lines post to (default 4950 Discounts)';
COMMENT ON COLUMN rr.coupon.description IS 'text of the discount lines (default: the coupon code)';
COMMENT ON COLUMN rr.coupon.is_active IS 'false: the coupon can no longer be redeemed (redemptions made stay)';

CREATE TABLE rr.promotion_code (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    coupon           text NOT NULL,
    customer         text,
    max_redemptions  integer,
    max_per_customer integer,
    redeem_by        date,
    is_active        boolean NOT NULL DEFAULT true,
    CONSTRAINT promotion_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT promotion_code_coupon_fkey FOREIGN KEY (tenant_id, coupon) REFERENCES rr.coupon (tenant_id, code),
    CONSTRAINT promotion_code_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT promotion_code_code_check CHECK (code OPERATOR(pg_catalog.=) upper(code) AND code OPERATOR(pg_catalog.<>) ''
                                                AND length(code) <= 100),
    CONSTRAINT promotion_code_limits_check CHECK (max_redemptions > 0 AND max_per_customer > 0),
    CONSTRAINT promotion_code_limit_check CHECK (rr.check_date('redeem by date', redeem_by))
);
COMMENT ON TABLE rr.promotion_code IS 'promotion codes (Stripe''s model): customer-facing codes for a coupon, stored in capitals and matched case-insensitively, each with limits of its own on top of the coupon''s: redemptions in all and per customer, a last day, one customer only';
COMMENT ON COLUMN rr.promotion_code.tenant_id IS 'tenant that owns the code';
COMMENT ON COLUMN rr.promotion_code.code IS 'the code customers type, in capitals (matched case-insensitively)';
COMMENT ON COLUMN rr.promotion_code.coupon IS 'the coupon the code redeems';
COMMENT ON COLUMN rr.promotion_code.customer IS 'the only customer who may redeem the code; NULL: any customer';
COMMENT ON COLUMN rr.promotion_code.max_redemptions IS 'redemptions allowed through this code; NULL: no limit of its own';
COMMENT ON COLUMN rr.promotion_code.max_per_customer IS 'redemptions allowed per customer through this code; NULL: no limit of its own';
COMMENT ON COLUMN rr.promotion_code.redeem_by IS 'last day a redemption through this code may be dated; NULL: only the coupon''s';
COMMENT ON COLUMN rr.promotion_code.is_active IS 'false: the code can no longer be redeemed';

CREATE TABLE rr.coupon_redemption (
    tenant_id      text NOT NULL,
    redemption_id  bigint GENERATED BY DEFAULT AS IDENTITY,
    coupon         text NOT NULL,
    promotion_code text,
    contract_id    bigint NOT NULL,
    customer       text NOT NULL,
    redeemed_on    date NOT NULL,
    discount_id    bigint NOT NULL,
    acting_role    name NOT NULL,
    redeemed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT coupon_redemption_pkey PRIMARY KEY (tenant_id, redemption_id),
    CONSTRAINT coupon_redemption_coupon_fkey FOREIGN KEY (tenant_id, coupon) REFERENCES rr.coupon (tenant_id, code),
    CONSTRAINT coupon_redemption_code_fkey FOREIGN KEY (tenant_id, promotion_code) REFERENCES rr.promotion_code (tenant_id, code),
    CONSTRAINT coupon_redemption_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT coupon_redemption_discount_fkey FOREIGN KEY (tenant_id, discount_id) REFERENCES rr.discount (tenant_id, discount_id),
    CONSTRAINT coupon_redemption_once_key UNIQUE (tenant_id, contract_id, coupon),
    CONSTRAINT coupon_redemption_date_check CHECK (rr.check_date('redemption date', redeemed_on))
);
COMMENT ON TABLE rr.coupon_redemption IS 'every redemption of a coupon on a contract (a coupon at most once per contract), through which promotion code, and the discount agreement it wrote; what the redemption limits count; written by rr.redeem_coupon only';
COMMENT ON COLUMN rr.coupon_redemption.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.coupon_redemption.redemption_id IS 'redemption id';
COMMENT ON COLUMN rr.coupon_redemption.coupon IS 'coupon redeemed';
COMMENT ON COLUMN rr.coupon_redemption.promotion_code IS 'promotion code it was redeemed through; NULL when the coupon was redeemed by its own code';
COMMENT ON COLUMN rr.coupon_redemption.contract_id IS 'contract that redeemed it';
COMMENT ON COLUMN rr.coupon_redemption.customer IS 'customer of the contract (what per-customer limits count)';
COMMENT ON COLUMN rr.coupon_redemption.redeemed_on IS 'date of the redemption (checked against the last days to redeem)';
COMMENT ON COLUMN rr.coupon_redemption.discount_id IS 'discount agreement the redemption wrote on the contract';
COMMENT ON COLUMN rr.coupon_redemption.acting_role IS 'role that redeemed it';
COMMENT ON COLUMN rr.coupon_redemption.redeemed_at IS 'when it was recorded';

CREATE INDEX coupon_redemption_coupon_idx ON rr.coupon_redemption (tenant_id, coupon, customer);
CREATE INDEX coupon_redemption_code_idx ON rr.coupon_redemption (tenant_id, promotion_code, customer);
CREATE INDEX coupon_redemption_discount_idx ON rr.coupon_redemption (tenant_id, discount_id);

-- Redeem a promotion code (case-insensitive) or a coupon code on a contract.  The coupon
-- (and the promotion code) are locked, so concurrent redemptions count each other.
CREATE FUNCTION rr.redeem_coupon(contract_id bigint, code text, redeemed_on date DEFAULT current_date)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c rr.contract := rr_internal.contract_for_action(rr.current_tenant(), contract_id, 'redeem a coupon on',
                                                     ARRAY['draft', 'pending_activation', 'active']);
    t text := c.tenant_id;
    before jsonb := rr_internal.contract_snapshot(c.tenant_id, c.contract_id);
    pc rr.promotion_code;
    cp rr.coupon;
    every interval := rr.billing_interval(c.billing_period, c.billing_days);
    base date := coalesce(CASE c.billing_start WHEN 'setup' THEN c.setup_date ELSE c.activation_date END, c.start_date);
    anchor date;
    s0 date;
    first_day date;
    last_end date;
    n bigint;
    id bigint;
BEGIN
    IF code IS NULL THEN
        RAISE EXCEPTION 'code must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM rr.check_date('redemption date', redeemed_on);
    IF redeemed_on IS NULL THEN
        RAISE EXCEPTION 'redemption date must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- a promotion code first (stored in capitals), else a coupon's own code
    SELECT * INTO pc FROM rr.promotion_code p WHERE p.tenant_id = t AND p.code = upper(redeem_coupon.code) FOR UPDATE;
    SELECT * INTO cp FROM rr.coupon k WHERE k.tenant_id = t AND k.code = coalesce(pc.coupon, redeem_coupon.code) FOR UPDATE;
    IF cp.code IS NULL THEN
        RAISE EXCEPTION 'no promotion code or coupon "%"', left(code, 100)
            USING ERRCODE = 'P0002', HINT = 'Promotion codes and coupons are per tenant; check rr.promotion_code and rr.coupon.';
    ELSIF NOT cp.is_active OR NOT coalesce(pc.is_active, true) THEN
        RAISE EXCEPTION '% "%" is no longer active', CASE WHEN pc.code IS NULL THEN 'coupon' ELSE 'promotion code' END,
                        coalesce(pc.code, cp.code)
            USING ERRCODE = '55000';
    ELSIF redeemed_on > least(cp.redeem_by, pc.redeem_by) THEN
        RAISE EXCEPTION '% "%" expired on %', CASE WHEN pc.code IS NULL THEN 'coupon' ELSE 'promotion code' END,
                        coalesce(pc.code, cp.code), least(cp.redeem_by, pc.redeem_by)
            USING ERRCODE = '55000', DETAIL = format('Redemptions may be dated up to %s; this one is dated %s.',
                                                     least(cp.redeem_by, pc.redeem_by), redeemed_on);
    ELSIF pc.customer IS NOT NULL AND pc.customer <> c.customer THEN
        RAISE EXCEPTION 'promotion code "%" is not for customer "%"', pc.code, c.customer
            USING ERRCODE = '55000', DETAIL = 'The code is restricted to one other customer.';
    ELSIF cp.kind = 'amount' AND cp.currency <> c.currency THEN
        RAISE EXCEPTION 'coupon "%" is an amount in %, but contract % is in %', cp.code, cp.currency, c.contract_id, c.currency
            USING ERRCODE = '22023', HINT = 'Redeem a percent coupon or one in the contract''s currency.';
    ELSIF cp.kind = 'amount' AND cp.value <> round(cp.value, rr.minor_units(c.currency::text)) THEN
        RAISE EXCEPTION 'coupon amount % is not a whole number of % minor units', cp.value, c.currency
            USING ERRCODE = '22023';
    ELSIF every IS NULL AND cp.duration <> 'forever' THEN
        RAISE EXCEPTION 'contract % is billed on demand: a coupon for % billing periods cannot be counted',
                        c.contract_id, coalesce(cp.duration_periods, 1)
            USING ERRCODE = '0A000', HINT = 'Redeem a coupon that lasts forever.';
    ELSIF EXISTS (SELECT FROM rr.coupon_redemption r WHERE r.tenant_id = t AND r.contract_id = c.contract_id
                     AND r.coupon = cp.code) THEN
        RAISE EXCEPTION 'contract % has already redeemed coupon "%"', c.contract_id, cp.code
            USING ERRCODE = '55000', HINT = 'A coupon is redeemed at most once per contract.';
    END IF;
    -- the limits: in all and per customer, the coupon's through any code, the code's own
    SELECT count(*) INTO n FROM rr.coupon_redemption r WHERE r.tenant_id = t AND r.coupon = cp.code;
    IF n >= cp.max_redemptions THEN
        RAISE EXCEPTION 'coupon "%" is used up', cp.code
            USING ERRCODE = '55000', DETAIL = format('It allows %s redemptions in all, and has had %s.', cp.max_redemptions, n);
    END IF;
    SELECT count(*) INTO n FROM rr.coupon_redemption r WHERE r.tenant_id = t AND r.coupon = cp.code AND r.customer = c.customer;
    IF n >= cp.max_per_customer THEN
        RAISE EXCEPTION 'customer "%" has used up coupon "%"', c.customer, cp.code
            USING ERRCODE = '55000', DETAIL = format('It allows %s redemptions per customer.', cp.max_per_customer);
    END IF;
    IF pc.code IS NOT NULL THEN
        SELECT count(*) INTO n FROM rr.coupon_redemption r WHERE r.tenant_id = t AND r.promotion_code = pc.code;
        IF n >= pc.max_redemptions THEN
            RAISE EXCEPTION 'promotion code "%" is used up', pc.code
                USING ERRCODE = '55000', DETAIL = format('It allows %s redemptions in all, and has had %s.', pc.max_redemptions, n);
        END IF;
        SELECT count(*) INTO n FROM rr.coupon_redemption r
         WHERE r.tenant_id = t AND r.promotion_code = pc.code AND r.customer = c.customer;
        IF n >= pc.max_per_customer THEN
            RAISE EXCEPTION 'customer "%" has used up promotion code "%"', c.customer, pc.code
                USING ERRCODE = '55000', DETAIL = format('It allows %s redemptions per customer.', pc.max_per_customer);
        END IF;
    END IF;

    -- the periods it lasts: from the first billing period that starts on or after the
    -- redemption, the first day billed and the end of a trial (the first day billed counts
    -- as a start, a calendar contract's first partial period included), for once 1,
    -- repeating N, or forever
    s0 := greatest(redeemed_on, base,
                   (SELECT upper(tr.trial) FROM rr.contract_trial tr
                     WHERE tr.tenant_id = t AND tr.contract_id = c.contract_id AND tr.status <> 'lapsed'));
    IF every IS NULL THEN
        first_day := s0;
    ELSE
        anchor := rr.billing_anchor(c.alignment, base, every);
        first_day := CASE WHEN s0 = base OR lower(rr.period_containing(s0, every, anchor)) = s0 THEN s0
                          ELSE upper(rr.period_containing(s0, every, anchor)) END;
        IF cp.duration <> 'forever' THEN
            SELECT upper(p) INTO last_end
              FROM rr.billing_periods(first_day, (first_day + (coalesce(cp.duration_periods, 1) + 1) * every)::date,
                                      every, anchor) WITH ORDINALITY AS x (p, k)
             WHERE x.k = coalesce(cp.duration_periods, 1);
        END IF;
    END IF;
    IF first_day >= coalesce(c.end_date, 'infinity') THEN
        RAISE EXCEPTION 'coupon "%" would start on %, after the end of contract %', cp.code, first_day, c.contract_id
            USING ERRCODE = '22023', DETAIL = format('The contract term ends on %s.', c.end_date);
    END IF;
    PERFORM rr.check_date('coupon end date', last_end);

    INSERT INTO rr.discount (tenant_id, contract_id, line_no, kind, value, first_periods, valid, account, description)
    VALUES (t, c.contract_id, NULL, cp.kind, cp.value, NULL, daterange(first_day, last_end), cp.account,
            coalesce(cp.description, 'coupon ' || cp.code) || coalesce(' (' || pc.code || ')', ''))
    RETURNING discount_id INTO id;
    -- the contract's MRR (src/sql/50_billing/22_contract_mrr.sql)
    PERFORM rr_internal.refresh_contract_mrr(t, ARRAY[c.contract_id]);
    INSERT INTO rr.coupon_redemption (tenant_id, coupon, promotion_code, contract_id, customer, redeemed_on, discount_id,
                                      acting_role)
    VALUES (t, cp.code, pc.code, c.contract_id, c.customer, redeemed_on, id, rr.acting_role());
    PERFORM rr_internal.log_contract_event(t, c.contract_id, 'redeem_coupon', redeemed_on,
                                           format('coupon %s%s', cp.code, coalesce(' through promotion code ' || pc.code, '')),
                                           before);
    RETURN id;
END
$$;
COMMENT ON FUNCTION rr.redeem_coupon(bigint, text, date) IS 'redeems a promotion code (case-insensitive) or a coupon code on a draft, pending or active contract on a date (default today), after checking that the code and coupon are active, not expired, within their limits in all and per customer, for this customer and in the contract currency; writes a contract-wide discount agreement for the billing periods the coupon lasts, counted from the first period that starts on or after the redemption, the first day billed and the end of a trial; returns the discount id';
