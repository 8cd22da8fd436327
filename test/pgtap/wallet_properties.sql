-- Property tests for prepaid credit wallets (docs/commitments-and-wallets.md): 12 customers
-- billed monthly for two years, then 400 random operations: top-ups (random customer,
-- amount, date, expiry or none), drawdowns of random posted invoices (random or default
-- amount, random date; some refused), batch drawdowns and expiries at random dates.
-- Whatever happened, no wallet is ever overdrawn, at any date, and the books agree.
BEGIN;
SELECT plan(11);
SELECT setseed(0.2468);

SELECT rr.create_tenant('wp', 'Wallet properties', 'USD');
SELECT set_config('rr.tenant', 'wp', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('wp', 'SVC', 'Service', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('wp', 'SVC', 'USD', 37.37);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type, max_quantity)
VALUES ('wp', 'M', 'Monthly', 'USD', 'SVC', 'prepaid', 9);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, billing_period, alignment, allow_override)
VALUES ('wp', 'T', 'Two years, monthly', 2, 'year', 'month', 'calendar', true);
INSERT INTO rr.template_line VALUES ('wp', 'T', 1, 'M', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'wp', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 12) i;
SELECT count(rr.setup_and_activate_contract(
           rr.create_contract('C' || i, 'T', '2024-01-01',
                              jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9))))))
  FROM generate_series(1, 12) i;
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2026-01-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(lower(m));
SELECT count(*) FROM rr.post_invoices('2025-12-31');
-- two customers' wallets settle usage only (their invoices have none: nothing is drawn)
SELECT count(rr.open_wallet('C' || i, scope => CASE WHEN i % 6 = 0 THEN 'usage' ELSE 'all' END)) FROM generate_series(1, 12) i;

CREATE FUNCTION pg_temp.operate() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    refused integer := 0;
    r float8;
    d date;
    i rr.invoice;
BEGIN
    FOR k IN 1..400 LOOP
        r := random();
        d := date '2024-01-01' + floor(random() * 730)::int;
        IF r < 0.35 THEN
            PERFORM rr.top_up_wallet('C' || (1 + floor(random() * 12)::int), round((1 + random() * 300)::numeric, 2), d,
                                     CASE WHEN random() < 0.6 THEN d + 1 + floor(random() * 200)::int END, 'r' || k);
        ELSIF r < 0.75 THEN
            SELECT * INTO i FROM rr.invoice x WHERE x.tenant_id = 'wp' ORDER BY random() LIMIT 1;
            BEGIN
                PERFORM rr.draw_wallet(i.invoice_id, CASE WHEN random() < 0.5 THEN round((0.01 + random() * 150)::numeric, 2) END,
                                       i.invoice_date + floor(random() * 90)::int);
            EXCEPTION WHEN invalid_parameter_value THEN
                refused := refused + 1;
            END;
        ELSIF r < 0.85 THEN
            PERFORM rr.draw_wallets(d);
        ELSE
            PERFORM rr.expire_wallet_credit(d);
        END IF;
    END LOOP;
    RETURN refused;
END $$;
SELECT pg_temp.operate() AS refused \gset

-- (read first, here and below: on Citus a statement that reads only the distributed tables
-- goes to the tenant's worker whole, the assertion with it, and pgTAP's plan is here)
SELECT count(*) FILTER (WHERE kind = 'drawdown') AS drawdowns, count(*) FILTER (WHERE kind = 'expiry') AS expiries
  FROM rr.wallet_entry WHERE tenant_id = 'wp' \gset
SELECT cmp_ok(:drawdowns::bigint, '>', 100::bigint, 'more than 100 drawdowns were written');
SELECT cmp_ok(:expiries::bigint, '>', 10::bigint, 'more than 10 top-ups expired with credit left');
SELECT cmp_ok(:refused, '>', 10, 'some drawdowns were refused (more than the invoice, the scope or the credit allows)');
SELECT is_empty($$
    SELECT w.wallet_id, w.balance,
           sum(CASE e.kind WHEN 'top_up' THEN e.amount ELSE -e.amount END) AS from_entries
      FROM rr.wallet w LEFT JOIN rr.wallet_entry e USING (tenant_id, wallet_id)
     WHERE w.tenant_id = 'wp'
     GROUP BY w.wallet_id, w.balance
    HAVING w.balance < 0 OR w.balance <> coalesce(sum(CASE e.kind WHEN 'top_up' THEN e.amount ELSE -e.amount END), 0)
$$, 'every wallet''s balance is top-ups - drawdowns - expired, and not negative');
SELECT is_empty($$
    SELECT d, b.wallet_id, b.received, b.drawn, b.expired, b.balance
      FROM generate_series(date '2024-01-01', date '2026-06-01', interval '11 days') g(d)
     CROSS JOIN LATERAL rr.prepaid_balances(g.d::date) b
     WHERE b.balance < 0 OR b.balance <> b.received - b.drawn - b.expired
$$, 'as of every 11th day, no wallet balance is negative, and balance = top-ups - drawdowns - expired');
SELECT is_empty($$
    SELECT t.entry_id, t.amount, sum(c.amount)
      FROM rr.wallet_entry t JOIN rr.wallet_entry c ON c.tenant_id = t.tenant_id AND c.lot_id = t.entry_id
     WHERE t.tenant_id = 'wp'
     GROUP BY t.entry_id, t.amount HAVING sum(c.amount) > t.amount
$$, 'no top-up gives more than it received');
SELECT is_empty($$
    SELECT c.entry_id, c.kind, c.entry_date, t.entry_date AS received, t.expires_on
      FROM rr.wallet_entry c JOIN rr.wallet_entry t ON t.tenant_id = c.tenant_id AND t.entry_id = c.lot_id
     WHERE c.tenant_id = 'wp'
       AND (c.wallet_id <> t.wallet_id
            OR (c.kind = 'drawdown' AND (c.entry_date < t.entry_date OR c.entry_date >= coalesce(t.expires_on, 'infinity')))
            OR (c.kind = 'expiry' AND c.entry_date IS DISTINCT FROM t.expires_on))
$$, 'drawdowns use credit received by their date and not expired; expiries are dated the expiry date');
SELECT is_empty($$
    SELECT invoice_id, total, balance FROM rr.invoice_balances('wp', 'infinity') WHERE balance < 0
$$, 'no invoice is settled beyond its total');
SELECT sum(credit - debit) AS liability FROM rr.journal_line WHERE tenant_id = 'wp' AND account = '2300' \gset
SELECT sum(balance) AS balances FROM rr.wallet WHERE tenant_id = 'wp' \gset
SELECT is(:liability::numeric, :balances::numeric, 'the liability account holds exactly the wallets'' balances');
SELECT is_empty($$
    SELECT entry_id FROM rr.journal_line WHERE tenant_id = 'wp' GROUP BY entry_id HAVING sum(debit) <> sum(credit)
    UNION ALL
    SELECT 0 WHERE (SELECT sum(credit) FROM rr.journal_line WHERE tenant_id = 'wp' AND account = '4900')
                   IS DISTINCT FROM (SELECT sum(amount) FROM rr.wallet_entry WHERE tenant_id = 'wp' AND kind = 'expiry')
$$, 'every journal entry balances, and breakage revenue is exactly the credit expired');

-- the payment functions read balances through rr_internal.open_balances (PL/pgSQL, for
-- Citus): it must agree with rr.invoice_balances, the one definition, on every invoice
-- (the invoices' ids copied first: on Citus a statement that reads the distributed tables
-- goes to the tenant's worker whole, the function call with it, which cannot read tables there)
CREATE TEMP TABLE invoice_ids ON COMMIT DROP AS SELECT invoice_id FROM rr.invoice WHERE tenant_id = 'wp';
SELECT is_empty($$
    (SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('wp', 'infinity')
     EXCEPT
     SELECT * FROM rr_internal.open_balances('wp', ARRAY(SELECT invoice_id FROM invoice_ids)))
    UNION ALL
    (SELECT * FROM rr_internal.open_balances('wp', ARRAY(SELECT invoice_id FROM invoice_ids))
     EXCEPT
     SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('wp', 'infinity'))
$$, 'rr_internal.open_balances gives every posted invoice the total, applied and balance of rr.invoice_balances (wallet drawdowns)');

SELECT * FROM finish();
ROLLBACK;
