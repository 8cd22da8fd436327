-- Property tests for functional-currency amounts (docs/dunning-and-currencies.md): a USD
-- tenant bills customers in EUR, JPY (0 decimals), KWD (3 decimals) and USD monthly for
-- half a year at awkward prices and random quantities, under random daily rates of up to
-- six decimals; random payments are applied (realised differences), one invoice in five
-- is partly credited, and revenue is recognised.  Whatever happened: every journal entry
-- balances in the functional currency too, every line carries its functional amount, each
-- converted line is within one cent of its exact value, and USD lines are unchanged.
BEGIN;
SELECT plan(7);
SELECT setseed(0.2468);

SELECT rr.create_tenant('fxp', 'Currency properties', 'USD');
SELECT set_config('rr.tenant', 'fxp', true);
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('fxp', 'SVC', 'Service', '4000', '2100', '1100'), ('fxp', 'FEE', 'Fee', '4400', '2100', '1100');
INSERT INTO rr.item_price VALUES
    ('fxp', 'SVC', 'EUR', 33.33), ('fxp', 'FEE', 'EUR', 7.77), ('fxp', 'SVC', 'JPY', 4999), ('fxp', 'FEE', 'JPY', 777),
    ('fxp', 'SVC', 'KWD', 10.333), ('fxp', 'FEE', 'KWD', 2.001), ('fxp', 'SVC', 'USD', 37.37), ('fxp', 'FEE', 'USD', 19.99);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, recurring_item, billing_type, max_quantity)
SELECT 'fxp', 'M_' || c, 'Monthly ' || c, c, 'FEE', 'item_price', 'SVC', 'prepaid', 9
  FROM unnest(ARRAY['EUR', 'JPY', 'KWD', 'USD']) c;
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'fxp', 'C' || i, 'Customer ' || i, (ARRAY['EUR', 'JPY', 'KWD', 'USD'])[1 + i % 4] FROM generate_series(1, 24) i;
-- a rate per currency and day, with up to six decimals
INSERT INTO rr.exchange_rate (tenant_id, from_currency, to_currency, rate_date, rate)
SELECT 'fxp', c, 'USD', d::date, round((m * (0.9 + random() * 0.2))::numeric, 6)
  FROM (VALUES ('EUR', 1.1), ('JPY', 0.0067), ('KWD', 3.25)) AS x (c, m),
       generate_series(date '2024-01-01', '2024-12-31', '1 day') d;
-- each customer's contract on the plan of its currency
CREATE FUNCTION pg_temp.contracts() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    k bigint;
    cur text;
BEGIN
    FOR i IN 1..24 LOOP
        cur := (ARRAY['EUR', 'JPY', 'KWD', 'USD'])[1 + i % 4];
        INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, payment_terms_days)
        VALUES ('fxp', 'T' || i, 'Annual ' || cur, 1, 'year', 'calendar', 30) ON CONFLICT DO NOTHING;
        INSERT INTO rr.template_line VALUES ('fxp', 'T' || i, 1, 'M_' || cur, 1 + floor(random() * 9)) ON CONFLICT DO NOTHING;
        k := rr.create_contract('C' || i, 'T' || i, make_date(2024, 1 + floor(random() * 3)::int, 1 + floor(random() * 28)::int));
        PERFORM rr.setup_and_activate_contract(k);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.contracts() AS contracts;
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2024-07-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(upper(m) - 1);
SELECT count(*) FROM rr.post_invoices('2024-06-30');

CREATE FUNCTION pg_temp.settle() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    refused integer := 0;
    c record;
    i record;
BEGIN
    FOR c IN SELECT x.code, x.currency FROM rr.customer x WHERE x.tenant_id = 'fxp' ORDER BY x.code LOOP
        FOR k IN 1..4 LOOP
            PERFORM rr.record_payment(c.code, round((1 + random() * CASE c.currency WHEN 'JPY' THEN 20000 ELSE 150 END)::numeric,
                                                    rr.minor_units(c.currency)),
                                      date '2024-02-01' + floor(random() * 150)::int);
        END LOOP;
    END LOOP;
    FOR i IN SELECT x.invoice_id, x.invoice_date FROM rr.invoice x
              WHERE x.tenant_id = 'fxp' AND x.doc_type = 'invoice' AND random() < 0.2 ORDER BY x.invoice_id LOOP
        BEGIN
            PERFORM rr.credit_invoice(i.invoice_id, NULL, credit_date => i.invoice_date + 10);
        EXCEPTION WHEN invalid_parameter_value OR object_not_in_prerequisite_state THEN
            refused := refused + 1;
        END;
    END LOOP;
    RETURN refused;
END $$;
SELECT pg_temp.settle() >= 0 AS settled;
SELECT count(*) > 0 AS recognised FROM rr.recognize('2024-06-30');

-- (read first: on Citus a statement that reads only the distributed tables goes to the
-- tenant's worker whole, the assertion with it, and pgTAP's plan is here)
SELECT count(DISTINCT l.currency) AS currencies,
       count(*) FILTER (WHERE l.account IN ('4970', '6970')) AS differences
  FROM rr.journal_line l WHERE l.tenant_id = 'fxp' \gset
SELECT cmp_ok(:currencies::int, '=', 4, 'the books hold lines in EUR, JPY, KWD and USD');
SELECT cmp_ok(:differences::int, '>', 0, 'payments posted realised exchange differences');
SELECT is_empty($$SELECT l.entry_id FROM rr.journal_line l WHERE l.tenant_id = 'fxp'
                  GROUP BY l.entry_id HAVING sum(l.functional_debit) <> sum(l.functional_credit)$$,
                'every journal entry balances in the functional currency');
SELECT is_empty($$SELECT * FROM rr.journal_line l WHERE l.tenant_id = 'fxp'
                   AND (l.functional_currency IS DISTINCT FROM 'USD' OR l.functional_debit IS NULL OR l.functional_credit IS NULL)$$,
                'every line carries its amount in USD');
SELECT is_empty($$SELECT * FROM rr.journal_line l WHERE l.tenant_id = 'fxp' AND l.currency = 'USD'
                   AND (l.functional_debit <> l.debit OR l.functional_credit <> l.credit)$$,
                'USD lines are converted at 1');
-- invoices, credit notes, receipts and recognition convert every line at the rate of the
-- entry date: within one cent of the exact amount (each side rounded once, cumulatively)
SELECT is_empty($$SELECT l.entry_id, l.line_no, l.debit, l.functional_debit, r.rate
                    FROM rr.journal_line l
                    JOIN rr.journal_entry e ON e.tenant_id = l.tenant_id AND e.entry_id = l.entry_id
                    CROSS JOIN LATERAL (SELECT x.rate FROM rr.exchange_rate x
                                         WHERE x.tenant_id = 'fxp' AND x.from_currency = l.currency
                                           AND x.rate_date <= e.entry_date ORDER BY x.rate_date DESC LIMIT 1) r
                   WHERE l.tenant_id = 'fxp' AND l.account NOT IN ('4970', '6970')
                     AND NOT EXISTS (SELECT FROM rr.payment_application a
                                      WHERE a.tenant_id = 'fxp' AND a.journal_entry_id = e.entry_id)
                     AND (abs(l.functional_debit - l.debit * r.rate) >= 0.01
                          OR abs(l.functional_credit - l.credit * r.rate) >= 0.01)$$,
                'every converted line is within one cent of its exact value');
-- the payment functions read balances through rr_internal.open_balances (PL/pgSQL, for
-- Citus): it must agree with rr.invoice_balances, the one definition, on every invoice
-- (the invoices' ids copied first: on Citus a statement that reads the distributed tables
-- goes to the tenant's worker whole, the function call with it, which cannot read tables there)
CREATE TEMP TABLE invoice_ids ON COMMIT DROP AS SELECT invoice_id FROM rr.invoice WHERE tenant_id = 'fxp';
SELECT is_empty($$
    (SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('fxp', 'infinity')
     EXCEPT
     SELECT * FROM rr_internal.open_balances('fxp', ARRAY(SELECT invoice_id FROM invoice_ids)))
    UNION ALL
    (SELECT * FROM rr_internal.open_balances('fxp', ARRAY(SELECT invoice_id FROM invoice_ids))
     EXCEPT
     SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('fxp', 'infinity'))
$$, 'rr_internal.open_balances gives every posted invoice the total, applied and balance of rr.invoice_balances (credit notes, foreign currencies)');

SELECT * FROM finish();
ROLLBACK;
