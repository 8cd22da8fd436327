-- Exchange rates and functional-currency amounts (docs/dunning-and-currencies.md).
--
-- The functional (book) currency of a tenant is rr.tenant.currency.  Every journal line
-- carries its amount in that currency too, converted at the rate of the document date:
-- the latest rate of rr.exchange_rate from the document currency to the functional one
-- dated on or before that date (only the direct pair: no inverse, no cross rates).  A
-- missing rate refuses the posting.  Each side of an entry is rounded once (cumulative
-- rounding over its lines), so an entry balanced in its document currency balances in the
-- functional currency as well, and no rounding line is needed.  Rates are immutable: the
-- postings converted with a rate must stay reproducible.

CREATE TABLE rr.exchange_rate (
    tenant_id     text NOT NULL,
    from_currency char(3) NOT NULL,
    to_currency   char(3) NOT NULL,
    rate_date     date NOT NULL,
    rate          numeric NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT exchange_rate_pkey PRIMARY KEY (tenant_id, from_currency, to_currency, rate_date),
    CONSTRAINT exchange_rate_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT exchange_rate_from_fkey FOREIGN KEY (from_currency) REFERENCES rr.currency (code),
    CONSTRAINT exchange_rate_to_fkey FOREIGN KEY (to_currency) REFERENCES rr.currency (code),
    CONSTRAINT exchange_rate_pair_check CHECK (from_currency <> to_currency),
    CONSTRAINT exchange_rate_rate_check CHECK (rr.check_number('exchange rate', rate) AND rate > 0),
    CONSTRAINT exchange_rate_date_limit_check CHECK (rr.check_date('rate date', rate_date))
);
COMMENT ON TABLE rr.exchange_rate IS 'exchange rates per tenant (immutable): one unit of from_currency is worth rate units of to_currency from rate_date until the next rate of the pair; postings convert document amounts into the tenant''s functional currency at the latest rate on or before the document date';
COMMENT ON COLUMN rr.exchange_rate.tenant_id IS 'tenant that owns the rate';
COMMENT ON COLUMN rr.exchange_rate.from_currency IS 'ISO 4217 code of the currency converted (a document currency)';
COMMENT ON COLUMN rr.exchange_rate.to_currency IS 'ISO 4217 code of the currency converted into (the functional currency, for postings)';
COMMENT ON COLUMN rr.exchange_rate.rate_date IS 'first day the rate applies; it applies until the next rate of the pair';
COMMENT ON COLUMN rr.exchange_rate.rate IS 'units of to_currency per unit of from_currency: a positive exact number (1.10 for EUR to USD at 1.10)';
COMMENT ON COLUMN rr.exchange_rate.created_at IS 'when the rate was entered';

CREATE TRIGGER exchange_rate_immutable
    BEFORE UPDATE OR DELETE ON rr.exchange_rate
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER exchange_rate_no_truncate
    BEFORE TRUNCATE ON rr.exchange_rate
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The rate of a posting (posting, payments and their applications, recognition): the
-- latest rate of the pair on or before the document date, 1 for the functional currency
-- itself.  Before the pair's first rate there is none: the posting is not converted (its
-- lines keep their document amounts only, as every posting did before 0.2.0, functional
-- currency and amounts NULL), so a tenant that keeps its books in one currency per
-- customer needs no rates at all.  Each of those statements looks the rate up itself (one
-- index probe per row, on exchange_rate_pkey), with the tenant's functional currency read
-- once: a SQL function called there would be inlined by a single node, but Citus refuses
-- to plan the statement that calls it (docs/scale-out.md).

-- The accounts of realised exchange differences, added to a tenant's chart when it first
-- posts one (tenants created before 0.2.0 have a default chart without them).
CREATE FUNCTION rr_internal.ensure_exchange_accounts(tenant_id text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rr.account (tenant_id, code, name, kind)
    VALUES (ensure_exchange_accounts.tenant_id, '4970', 'Realised exchange gains', 'revenue'),
           (ensure_exchange_accounts.tenant_id, '6970', 'Realised exchange losses', 'expense')
    ON CONFLICT DO NOTHING;
$$;
COMMENT ON FUNCTION rr_internal.ensure_exchange_accounts(text) IS 'internal: adds the realised exchange gain (4970) and loss (6970) accounts to a tenant''s chart if missing';
REVOKE ALL ON FUNCTION rr_internal.ensure_exchange_accounts(text) FROM PUBLIC;
