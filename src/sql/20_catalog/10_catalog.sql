-- Catalog (docs/catalog-and-contracts.md): chart of accounts, tax codes, deferral codes, items and
-- their list prices.  Every table: tenant_id-leading primary key, forced row-level
-- security, pg_extension_config_dump; references between tenant tables include
-- tenant_id, so no row can point at another tenant's row.

CREATE TABLE rr.account (
    tenant_id   text NOT NULL,
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    is_active   boolean NOT NULL DEFAULT true,
    CONSTRAINT account_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT account_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT account_kind_check CHECK (kind IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    CONSTRAINT account_code_check CHECK (code OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE rr.account IS 'chart of accounts per tenant (rr.install_default_chart installs a default one)';
COMMENT ON COLUMN rr.account.kind IS 'asset, liability, equity, revenue or expense';

CREATE TABLE rr.tax_code (
    tenant_id    text NOT NULL,
    code         text NOT NULL,
    name         text NOT NULL,
    rate         numeric NOT NULL,
    is_inclusive boolean NOT NULL DEFAULT false,
    account      text NOT NULL,
    CONSTRAINT tax_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT tax_code_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT tax_code_rate_check CHECK (rate >= 0 AND rate < 1)
);
COMMENT ON TABLE rr.tax_code IS 'tax codes: rate (0.2 = 20 %), inclusive (prices include the tax) or exclusive, and the tax payable account';

CREATE TABLE rr.deferral_code (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    name             text NOT NULL,
    method           text NOT NULL,
    grain            interval NOT NULL DEFAULT '1 month',
    deferred_account text NOT NULL,
    revenue_account  text NOT NULL,
    calendar         text NOT NULL DEFAULT 'grain',
    CONSTRAINT deferral_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT deferral_code_method_check CHECK (method IN ('immediate', 'on_date', 'equal', 'equal_prorate', 'daily',
                                                            'percent_complete', 'on_usage', 'on_payment')),
    CONSTRAINT deferral_code_deferred_fkey FOREIGN KEY (tenant_id, deferred_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT deferral_code_revenue_fkey FOREIGN KEY (tenant_id, revenue_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT deferral_code_calendar_check CHECK (calendar IN ('grain', 'fiscal'))
);
COMMENT ON TABLE rr.deferral_code IS 'revenue recognition methods: immediate, on a date, evenly by periods (equal), evenly by periods prorated by days (equal_prorate), evenly by days (daily), percent complete, on usage, on payment';
COMMENT ON COLUMN rr.deferral_code.grain IS 'accounting period length used to spread revenue (rr.spread''s grain)';
COMMENT ON COLUMN rr.deferral_code.calendar IS 'the periods equal, equal_prorate and daily schedules are cut into: grain (periods of the grain from 2000-01-01, the default) or fiscal (the tenant''s fiscal periods, rr.fiscal_period, such as a 4-4-5 calendar, through rr.spread_periods)';

CREATE TABLE rr.item (
    tenant_id          text NOT NULL,
    code               text NOT NULL,
    name               text NOT NULL,
    unit               text NOT NULL DEFAULT 'each',
    revenue_account    text NOT NULL,
    deferred_account   text NOT NULL,
    receivable_account text NOT NULL,
    tax_code           text,
    deferral_code      text,
    is_active          boolean NOT NULL DEFAULT true,
    CONSTRAINT item_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT item_revenue_fkey FOREIGN KEY (tenant_id, revenue_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_deferred_fkey FOREIGN KEY (tenant_id, deferred_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_receivable_fkey FOREIGN KEY (tenant_id, receivable_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT item_tax_code_fkey FOREIGN KEY (tenant_id, tax_code) REFERENCES rr.tax_code (tenant_id, code),
    CONSTRAINT item_deferral_code_fkey FOREIGN KEY (tenant_id, deferral_code) REFERENCES rr.deferral_code (tenant_id, code),
    CONSTRAINT item_code_check CHECK (code OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE rr.item IS 'items sold (services, licences, usage metrics) with their revenue, deferred revenue, receivable and tax accounts and default deferral code';

CREATE TABLE rr.item_price (
    tenant_id  text NOT NULL,
    item       text NOT NULL,
    currency   char(3) NOT NULL,
    price      numeric NOT NULL,
    CONSTRAINT item_price_pkey PRIMARY KEY (tenant_id, item, currency),
    CONSTRAINT item_price_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code) ON DELETE CASCADE,
    CONSTRAINT item_price_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT item_price_check CHECK (price >= 0),
    CONSTRAINT item_price_limit_check CHECK (rr.check_number('price', price))
);
COMMENT ON TABLE rr.item_price IS 'list unit price of an item per currency; a unit price may have more decimals than the currency (0.002 per API call): amounts computed from it are rounded once, on the invoice line';


-- The default chart: the accounts billing and revenue recognition post to.
CREATE FUNCTION rr.install_default_chart(tenant_id text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO rr.account (tenant_id, code, name, kind)
    SELECT install_default_chart.tenant_id, a.code, a.name, a.kind
      FROM (VALUES ('1100', 'Accounts receivable', 'asset'),
                   ('1150', 'Unbilled receivable', 'asset'),
                   ('1160', 'Contract asset', 'asset'),
                   ('1200', 'Cash', 'asset'),
                   ('2100', 'Deferred revenue (contract liability)', 'liability'),
                   ('2200', 'Sales tax payable', 'liability'),
                   ('2300', 'Customer deposits', 'liability'),
                   ('2400', 'Customer credit', 'liability'),
                   ('4000', 'Subscription revenue', 'revenue'),
                   ('4100', 'Licence revenue', 'revenue'),
                   ('4200', 'Services revenue', 'revenue'),
                   ('4300', 'Usage revenue', 'revenue'),
                   ('4400', 'Setup and renewal fee revenue', 'revenue'),
                   ('4900', 'Breakage revenue', 'revenue'),
                   ('4950', 'Discounts', 'revenue'),
                   ('4970', 'Realised exchange gains', 'revenue'),
                   ('6970', 'Realised exchange losses', 'expense')) AS a (code, name, kind)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr.install_default_chart(text) IS 'adds the default chart of accounts to a tenant (receivable, unbilled receivable, contract asset, deferred revenue, tax, deposits, revenue accounts, realised exchange gains and losses); existing codes are kept; returns the number added';
REVOKE ALL ON FUNCTION rr.install_default_chart(text) FROM PUBLIC;

-- Administration: create a tenant with its default chart of accounts.
-- SECURITY INVOKER: the caller needs rr_admin's privileges on the tables.
-- SECURITY DEFINER: it creates the tenant's group role (src/sql/10_tenancy/10_tenancy.sql),
-- which needs a superuser; granted to rr_admin only.
CREATE FUNCTION rr.create_tenant(tenant_id text, name text, currency text, time_zone text DEFAULT 'UTC')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF create_tenant.tenant_id !~ '^[a-z0-9][a-z0-9_-]{0,52}$' THEN
        RAISE EXCEPTION 'invalid tenant id "%"', create_tenant.tenant_id
            USING ERRCODE = '22023',
                  HINT = 'Use up to 53 lower-case letters, digits, _ and -, starting with a letter or digit.';
    END IF;
    PERFORM rr_internal.ensure_tenant_role(create_tenant.tenant_id);
    PERFORM rr.minor_units(currency);
    PERFORM rr.check_time_zone('time zone', create_tenant.time_zone);
    -- the policy checks the new row against the current tenant, so act as that tenant
    PERFORM set_config('rr.tenant', create_tenant.tenant_id, true);
    INSERT INTO rr.tenant (tenant_id, name, currency, time_zone)
    VALUES (create_tenant.tenant_id, create_tenant.name, upper(create_tenant.currency), create_tenant.time_zone);
    PERFORM rr.install_default_chart(create_tenant.tenant_id);
    RETURN create_tenant.tenant_id;
END
$$;
COMMENT ON FUNCTION rr.create_tenant(text, text, text, text) IS 'creates a tenant with its functional currency and time zone, its group role rr_tenant_<tenant id> (if missing) and the default chart of accounts (rr_admin); sets rr.tenant to it for the rest of the transaction';
REVOKE ALL ON FUNCTION rr.create_tenant(text, text, text, text) FROM PUBLIC;
