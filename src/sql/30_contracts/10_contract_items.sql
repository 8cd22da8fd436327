-- Contract items and contract templates (docs/catalog-and-contracts.md),
-- with every option of Acumatica's contract items and templates plus a full price model
-- (rr.pricing) where Acumatica has a single overage price.

CREATE TABLE rr.contract_item (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    currency           char(3) NOT NULL,
    -- setup fee
    setup_item         text,
    setup_pricing      text NOT NULL DEFAULT 'item_price',
    setup_percent      numeric,
    setup_price        numeric,
    prorate_setup      boolean NOT NULL DEFAULT false,
    is_refundable      boolean NOT NULL DEFAULT false,
    -- renewal fee
    renewal_item       text,
    renewal_pricing    text NOT NULL DEFAULT 'item_price',
    renewal_percent    numeric,
    renewal_price      numeric,
    collect_renewal_on_activation boolean NOT NULL DEFAULT false,
    -- recurring charge
    recurring_item     text,
    billing_type       text NOT NULL DEFAULT 'none',
    recurring_pricing  text NOT NULL DEFAULT 'item_price',
    recurring_percent  numeric,
    recurring_price    numeric,
    price_model        rr.pricing,
    included_quantity  numeric NOT NULL DEFAULT 0,
    extra_usage_price  numeric,
    reset_usage        text NOT NULL DEFAULT 'on_billing',
    usage_aggregation  text NOT NULL DEFAULT 'sum',
    usage_grace_days   integer NOT NULL DEFAULT 0,
    allow_negative_usage boolean NOT NULL DEFAULT false,
    breakage_account   text,
    deposit_amount     numeric,
    retain_rate        numeric,
    billing_period     interval,
    -- quantities and allocation
    min_quantity       numeric NOT NULL DEFAULT 0,
    max_quantity       numeric,
    default_quantity   numeric NOT NULL DEFAULT 1,
    standalone_price   numeric,
    ssp_is_residual    boolean NOT NULL DEFAULT false,
    -- when the setup fee is due (last: 0.2.0 added it to the items of 0.1.0)
    setup_timing       text NOT NULL DEFAULT 'setup',
    CONSTRAINT contract_item_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT contract_item_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT contract_item_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT contract_item_setup_item_fkey FOREIGN KEY (tenant_id, setup_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_renewal_item_fkey FOREIGN KEY (tenant_id, renewal_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_recurring_item_fkey FOREIGN KEY (tenant_id, recurring_item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT contract_item_has_item CHECK (num_nonnulls(setup_item, renewal_item, recurring_item) > 0),
    CONSTRAINT contract_item_setup_timing_check CHECK (setup_timing IN ('setup', 'billing_start')),
    CONSTRAINT contract_item_setup_pricing_check CHECK (setup_pricing IN ('item_price', 'percent_of_item_price', 'manual')),
    CONSTRAINT contract_item_renewal_pricing_check CHECK (renewal_pricing IN ('item_price', 'percent_of_item_price', 'percent_of_setup_price', 'manual')),
    CONSTRAINT contract_item_recurring_pricing_check CHECK (recurring_pricing IN ('item_price', 'percent_of_item_price', 'manual')),
    CONSTRAINT contract_item_billing_type_check CHECK (billing_type IN ('none', 'prepaid', 'postpaid', 'deposit')),
    CONSTRAINT contract_item_reset_usage_check CHECK (reset_usage IN ('never', 'on_billing', 'on_renewal')),
    CONSTRAINT contract_item_usage_aggregation_check CHECK (usage_aggregation IN ('sum', 'max', 'last')),
    CONSTRAINT contract_item_usage_grace_check CHECK (usage_grace_days >= 0),
    CONSTRAINT contract_item_breakage_account_fkey FOREIGN KEY (tenant_id, breakage_account) REFERENCES rr.account (tenant_id, code),
    -- each pricing option carries exactly what it needs
    CONSTRAINT contract_item_setup_percent_check CHECK ((setup_pricing = 'percent_of_item_price') = (setup_percent IS NOT NULL)),
    CONSTRAINT contract_item_setup_price_check CHECK ((setup_pricing = 'manual') = (setup_price IS NOT NULL)),
    CONSTRAINT contract_item_renewal_percent_check CHECK ((renewal_pricing IN ('percent_of_item_price', 'percent_of_setup_price')) = (renewal_percent IS NOT NULL)),
    CONSTRAINT contract_item_renewal_price_check CHECK ((renewal_pricing = 'manual') = (renewal_price IS NOT NULL)),
    CONSTRAINT contract_item_recurring_percent_check CHECK ((recurring_pricing = 'percent_of_item_price') = (recurring_percent IS NOT NULL)),
    CONSTRAINT contract_item_recurring_price_check CHECK ((recurring_pricing = 'manual') = (recurring_price IS NOT NULL)),
    CONSTRAINT contract_item_percent_range CHECK (setup_percent >= 0 AND renewal_percent >= 0 AND recurring_percent >= 0),
    CONSTRAINT contract_item_recurring_needs_item CHECK ((billing_type = 'none') = (recurring_item IS NULL)),
    CONSTRAINT contract_item_deposit_check CHECK ((billing_type = 'deposit') = (deposit_amount IS NOT NULL)),
    CONSTRAINT contract_item_retain_rate_check CHECK (retain_rate IS NULL OR (retain_rate BETWEEN 0 AND 1 AND billing_type = 'deposit')),
    CONSTRAINT contract_item_quantity_check CHECK (min_quantity >= 0 AND default_quantity >= min_quantity
                                                   AND (max_quantity IS NULL OR max_quantity >= default_quantity)),
    CONSTRAINT contract_item_included_check CHECK (included_quantity >= 0),
    CONSTRAINT contract_item_billing_period_check CHECK (billing_period > interval '0'),
    -- unit prices are not negative; the deposit is an amount, in whole minor units
    CONSTRAINT contract_item_price_check CHECK (setup_price >= 0 AND renewal_price >= 0 AND recurring_price >= 0
                                                AND standalone_price >= 0 AND extra_usage_price >= 0),
    CONSTRAINT contract_item_limit_check CHECK (
        rr.check_number('setup percent', setup_percent) AND rr.check_number('setup price', setup_price)
        AND rr.check_number('renewal percent', renewal_percent) AND rr.check_number('renewal price', renewal_price)
        AND rr.check_number('recurring percent', recurring_percent) AND rr.check_number('recurring price', recurring_price)
        AND rr.check_number('included quantity', included_quantity) AND rr.check_number('extra usage price', extra_usage_price)
        AND rr.check_number('deposit amount', deposit_amount) AND rr.check_number('minimum quantity', min_quantity)
        AND rr.check_number('maximum quantity', max_quantity) AND rr.check_number('default quantity', default_quantity)
        AND rr.check_number('standalone price', standalone_price)),
    -- (whole minor units of its currency: contract_item_deposit_units below, a row trigger,
    -- since the currency list is a table, which a CHECK must not read)
    CONSTRAINT contract_item_deposit_amount_check CHECK (deposit_amount > 0)
);
COMMENT ON TABLE rr.contract_item IS 'contract items (as in Acumatica): a setup fee, a renewal fee and a recurring charge, each with its item and pricing option; billing type, price model, included quantity, usage reset, deposit, quantity limits, own billing period and standalone selling price';
COMMENT ON COLUMN rr.contract_item.setup_pricing IS 'item_price (the setup item''s list price), percent_of_item_price (setup_percent % of it) or manual (setup_price)';
COMMENT ON COLUMN rr.contract_item.setup_timing IS 'when the setup fee is due: setup (the default, as Acumatica: on the day the contract is set up, or a line added later starts) or billing_start (on the day the line''s billing starts); either way prorated only when prorate_setup says so';
COMMENT ON COLUMN rr.contract_item.renewal_pricing IS 'item_price, percent_of_item_price, percent_of_setup_price (renewal_percent % of the setup price) or manual (renewal_price)';
COMMENT ON COLUMN rr.contract_item.billing_type IS 'none (no recurring charge), prepaid (billed at the start of each period), postpaid (billed at its end) or deposit (billed up front, drawn down by usage)';
COMMENT ON COLUMN rr.contract_item.price_model IS 'optional price model for quantities (tiers, volumes, packages...); overrides the unit price when set';
COMMENT ON COLUMN rr.contract_item.included_quantity IS 'quantity included in the recurring price before usage is charged';
COMMENT ON COLUMN rr.contract_item.extra_usage_price IS 'price of each unit beyond the included quantity (Acumatica''s overage price), unless price_model is set';
COMMENT ON COLUMN rr.contract_item.reset_usage IS 'when the used quantity starts again from zero: never, on_billing or on_renewal';
COMMENT ON COLUMN rr.contract_item.retain_rate IS 'share of the unused remainder of a refundable deposit the company keeps at the end of the term (0..1); a deposit that is not refundable is kept whole';
COMMENT ON COLUMN rr.contract_item.usage_aggregation IS 'how the usage events of a billing period make its quantity: sum (default), max (peak level) or last (level at the latest event)';
COMMENT ON COLUMN rr.contract_item.usage_grace_days IS 'days a usage period stays open for late events after it ends before it is billed';
COMMENT ON COLUMN rr.contract_item.allow_negative_usage IS 'whether usage events may carry negative quantities (corrections); refused otherwise';
COMMENT ON COLUMN rr.contract_item.breakage_account IS 'account credited with the retained part of an unused deposit (NULL: the recurring item''s revenue account)';
COMMENT ON COLUMN rr.contract_item.billing_period IS 'the line''s own billing period (so one contract mixes monthly, quarterly and yearly lines); NULL means the template''s';
COMMENT ON COLUMN rr.contract_item.standalone_price IS 'standalone selling price (SSP) per unit, for allocating a contract''s price across its obligations';

-- A deposit is an amount in whole minor units of the item's currency.  Checked by a row
-- trigger that reads only the currency list (rr.minor_units): a CHECK constraint must not
-- read tables (PostgreSQL does not re-check it when the list changes, and a Citus shard
-- cannot run one that does).  Same SQLSTATE as a CHECK (23514).
CREATE FUNCTION rr_internal.contract_item_deposit_units()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    units integer := rr.minor_units(NEW.currency::text);
BEGIN
    IF NEW.deposit_amount <> round(NEW.deposit_amount, units) THEN
        RAISE EXCEPTION 'deposit amount % of contract item "%" is not in whole minor units of %',
                        NEW.deposit_amount, NEW.code, NEW.currency
            USING ERRCODE = '23514',
                  DETAIL = format('%s has %s decimal places.', NEW.currency, units),
                  HINT = format('Round the deposit to %s decimal places.', units),
                  TABLE = 'contract_item', SCHEMA = 'rr', CONSTRAINT = 'contract_item_deposit_units';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION rr_internal.contract_item_deposit_units() IS 'trigger function: refuses a contract item whose deposit amount is not in whole minor units of its currency (23514)';
REVOKE ALL ON FUNCTION rr_internal.contract_item_deposit_units() FROM PUBLIC;
CREATE TRIGGER contract_item_deposit_units
    BEFORE INSERT OR UPDATE OF deposit_amount, currency ON rr.contract_item
    FOR EACH ROW WHEN (NEW.deposit_amount IS NOT NULL)
    EXECUTE FUNCTION rr_internal.contract_item_deposit_units();

-- A contract term lasts at most 100 years (docs/limits-and-errors.md), so its end date stays a
-- business date and periods over it can be counted.
CREATE FUNCTION rr.check_template_duration(duration integer, duration_unit text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    most integer := CASE duration_unit WHEN 'year' THEN 100 WHEN 'quarter' THEN 400
                                       WHEN 'month' THEN 1200 WHEN 'day' THEN 36525 END;
BEGIN
    IF duration > most THEN
        RAISE EXCEPTION 'template duration "% %" is out of range', duration, duration_unit
            USING ERRCODE = '22023',
                  DETAIL = 'A contract term lasts at most 100 years: 100 years, 400 quarters, 1200 months or 36525 days.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION rr.check_template_duration(integer, text) IS 'true for a template duration of at most 100 years (100 years, 400 quarters, 1200 months, 36525 days); otherwise raises 22023; used by a CHECK constraint of rr.contract_template';
REVOKE ALL ON FUNCTION rr.check_template_duration(integer, text) FROM PUBLIC;

CREATE TABLE rr.contract_template (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    contract_type      text NOT NULL DEFAULT 'renewable',
    duration           integer,
    duration_unit      text NOT NULL DEFAULT 'year',
    grace_period_days  integer NOT NULL DEFAULT 0,
    mass_renewal       boolean NOT NULL DEFAULT false,
    renewal_point_days integer NOT NULL DEFAULT 0,
    billing_period     text NOT NULL DEFAULT 'month',
    billing_days       integer,
    billing_start      text NOT NULL DEFAULT 'activation',
    alignment          text NOT NULL DEFAULT 'anniversary',
    invoice_to         text NOT NULL DEFAULT 'customer',
    payment_terms_days integer NOT NULL DEFAULT 30,
    allow_override     boolean NOT NULL DEFAULT false,
    effective_from     date NOT NULL DEFAULT '2000-01-01',
    discontinue_after  date,
    refund_policy      text NOT NULL DEFAULT 'none',
    renewal_uplift_percent numeric NOT NULL DEFAULT 0,
    pause_extends_term boolean NOT NULL DEFAULT false,
    CONSTRAINT contract_template_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT contract_template_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT contract_template_type_check CHECK (contract_type IN ('renewable', 'expiring', 'unlimited')),
    CONSTRAINT contract_template_duration_check CHECK ((contract_type = 'unlimited') = (duration IS NULL) AND duration > 0),
    CONSTRAINT contract_template_duration_limit_check CHECK (rr.check_template_duration(duration, duration_unit)),
    CONSTRAINT contract_template_duration_unit_check CHECK (duration_unit IN ('year', 'quarter', 'month', 'day')),
    CONSTRAINT contract_template_days_check CHECK (grace_period_days >= 0 AND renewal_point_days >= 0 AND payment_terms_days >= 0),
    CONSTRAINT contract_template_billing_period_check CHECK (billing_period IN ('year', 'half_year', 'quarter', 'month', 'week', 'custom_days', 'on_demand')),
    CONSTRAINT contract_template_billing_days_check CHECK ((billing_period = 'custom_days') = (billing_days IS NOT NULL) AND billing_days BETWEEN 1 AND 36525),
    CONSTRAINT contract_template_billing_start_check CHECK (billing_start IN ('setup', 'activation')),
    CONSTRAINT contract_template_alignment_check CHECK (alignment IN ('anniversary', 'calendar')),
    CONSTRAINT contract_template_invoice_to_check CHECK (invoice_to IN ('customer', 'parent', 'other')),
    CONSTRAINT contract_template_refund_check CHECK (refund_policy IN ('none', 'prorated', 'full')),
    CONSTRAINT contract_template_dates_check CHECK (discontinue_after >= effective_from),
    CONSTRAINT contract_template_date_limit_check CHECK (rr.check_date('effective from date', effective_from)
                                                         AND rr.check_date('discontinue after date', discontinue_after)),
    CONSTRAINT contract_template_renewal_check CHECK (contract_type = 'renewable' OR NOT mass_renewal),
    CONSTRAINT contract_template_uplift_check CHECK (renewal_uplift_percent >= 0
                                                     AND rr.check_number('renewal uplift percent', renewal_uplift_percent))
);
COMMENT ON TABLE rr.contract_template IS 'contract templates (as in Acumatica): type, duration, renewal, billing period and alignment, invoicing, payment terms, override rule, validity dates and refund policy';
COMMENT ON COLUMN rr.contract_template.contract_type IS 'renewable (renewed at expiry), expiring (renewed at most once, then expires) or unlimited (no end date)';
COMMENT ON COLUMN rr.contract_template.renewal_point_days IS 'days before expiry at which the contract becomes due for renewal';
COMMENT ON COLUMN rr.contract_template.renewal_uplift_percent IS 'percent by which a renewal raises the recurring price of the lines in force on the first day of the new term (0: none); copied to the contract';
COMMENT ON COLUMN rr.contract_template.pause_extends_term IS 'whether a pause of a contract moves the end of its term by the days paused (true) or not (false, the default); copied to the contract';
COMMENT ON COLUMN rr.contract_template.billing_period IS 'year, half_year, quarter, month, week, custom_days (billing_days) or on_demand (billed only when asked)';
COMMENT ON COLUMN rr.contract_template.billing_start IS 'billing starts at setup or at activation';
COMMENT ON COLUMN rr.contract_template.alignment IS 'anniversary (periods from the billing start) or calendar (periods from 2000-01-01: calendar months, quarters, years)';
COMMENT ON COLUMN rr.contract_template.allow_override IS 'whether contracts may change the quantities and prices of the template''s lines';
COMMENT ON COLUMN rr.contract_template.discontinue_after IS 'last day on which contracts may be created from the template';

CREATE TABLE rr.template_line (
    tenant_id     text NOT NULL,
    template      text NOT NULL,
    line_no       integer NOT NULL,
    contract_item text NOT NULL,
    quantity      numeric,
    CONSTRAINT template_line_pkey PRIMARY KEY (tenant_id, template, line_no),
    CONSTRAINT template_line_template_fkey FOREIGN KEY (tenant_id, template) REFERENCES rr.contract_template (tenant_id, code) ON DELETE CASCADE,
    CONSTRAINT template_line_item_fkey FOREIGN KEY (tenant_id, contract_item) REFERENCES rr.contract_item (tenant_id, code),
    CONSTRAINT template_line_quantity_check CHECK (quantity >= 0),
    CONSTRAINT template_line_limit_check CHECK (rr.check_number('quantity', quantity))
);
COMMENT ON TABLE rr.template_line IS 'the contract items a template puts on every contract created from it; quantity NULL means the item''s default quantity';

-- The billing interval of a template's billing period (NULL for on_demand).
CREATE FUNCTION rr.billing_interval(billing_period text, billing_days integer DEFAULT NULL)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF billing_period IS NULL OR billing_period = 'on_demand' THEN
        RETURN NULL;
    ELSIF billing_period NOT IN ('year', 'half_year', 'quarter', 'month', 'week', 'custom_days') THEN
        RAISE EXCEPTION 'unknown billing period "%"', billing_period
            USING ERRCODE = '22023',
                  HINT = 'Billing periods are year, half_year, quarter, month, week, custom_days and on_demand.';
    ELSIF billing_period = 'custom_days' AND (billing_days IS NULL OR billing_days NOT BETWEEN 1 AND 36525) THEN
        -- 100 years, the longest template duration
        RAISE EXCEPTION 'custom billing period of % days is out of range', coalesce(billing_days::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'A custom_days billing period lasts 1 to 36,525 days (100 years).';
    END IF;
    RETURN CASE billing_period
               WHEN 'year' THEN interval '1 year'
               WHEN 'half_year' THEN interval '6 months'
               WHEN 'quarter' THEN interval '3 months'
               WHEN 'month' THEN interval '1 month'
               WHEN 'week' THEN interval '7 days'
               ELSE make_interval(days => billing_days)
           END;
END
$$;
COMMENT ON FUNCTION rr.billing_interval(text, integer) IS 'the interval of a template billing period: year, half_year, quarter, month, week, custom_days (billing_days days); NULL for on_demand; 22023 for any other word';
REVOKE ALL ON FUNCTION rr.billing_interval(text, integer) FROM PUBLIC;

