-- Property tests for payments (docs/payments.md): 30 customers billed monthly for a year
-- with random quantities, then 300 random payments (random payer, amount and date, applied
-- at once or kept as credit), 300 random applications of random amounts to random
-- invoices, some of which are refused, and 60 random credit notes (random invoice, in full
-- or for a random amount, paid or not: a credit for more than is open is a credit balance,
-- moved to customer credit); the books must agree whatever happened.
BEGIN;
SELECT plan(11);
SELECT setseed(0.1357);

SELECT rr.create_tenant('pp', 'Payment properties', 'USD');
SELECT set_config('rr.tenant', 'pp', true);
INSERT INTO rr.account (tenant_id, code, name, kind) VALUES ('pp', '1110', 'Receivable, fees', 'asset');
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('pp', 'SVC', 'Service', '4000', '2100', '1100'), ('pp', 'FEE', 'Fee', '4400', '2100', '1110');
INSERT INTO rr.item_price VALUES ('pp', 'SVC', 'USD', 37.37), ('pp', 'FEE', 'USD', 19.99);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, setup_item, setup_pricing, recurring_item, billing_type, max_quantity)
VALUES ('pp', 'M', 'Monthly', 'USD', 'FEE', 'item_price', 'SVC', 'prepaid', 9);
INSERT INTO rr.contract_template (tenant_id, code, name, duration, duration_unit, alignment, allow_override, payment_terms_days)
VALUES ('pp', 'T', 'Annual', 1, 'year', 'calendar', true, 30);
INSERT INTO rr.template_line VALUES ('pp', 'T', 1, 'M', 1);
INSERT INTO rr.customer (tenant_id, code, name, currency)
SELECT 'pp', 'C' || i, 'Customer ' || i, 'USD' FROM generate_series(1, 30) i;
SELECT count(rr.setup_and_activate_contract(
           rr.create_contract('C' || i, 'T', make_date(2024, 1 + floor(random() * 6)::int, 1 + floor(random() * 28)::int),
                              jsonb_build_object('M', jsonb_build_object('quantity', 1 + floor(random() * 9))))))
  FROM generate_series(1, 30) i;
SELECT count(*) FROM rr.billing_periods('2024-01-01', '2025-07-01', '1 month', '2000-01-01') m,
                     LATERAL rr.run_billing(upper(m) - 1);
SELECT count(*) FROM rr.post_invoices('2025-06-30');

CREATE FUNCTION pg_temp.pay() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    refused integer := 0;
    p bigint;
    i bigint;
BEGIN
    FOR k IN 1..300 LOOP
        PERFORM rr.record_payment('C' || (1 + floor(random() * 30)::int), round((1 + random() * 900)::numeric, 2),
                                  date '2024-01-01' + floor(random() * 540)::int, 'r' || k, apply => random() < 0.5);
        SELECT x.payment_id INTO p FROM rr.payment x WHERE x.tenant_id = 'pp' ORDER BY random() LIMIT 1;
        SELECT x.invoice_id INTO i FROM rr.invoice x WHERE x.tenant_id = 'pp' ORDER BY random() LIMIT 1;
        BEGIN
            PERFORM rr.apply_payment(p, i, CASE WHEN random() < 0.5 THEN round((random() * 400)::numeric, 2) END);
        EXCEPTION WHEN invalid_parameter_value OR object_not_in_prerequisite_state THEN
            refused := refused + 1;
        END;
        IF k % 5 = 0 THEN
            SELECT x.invoice_id INTO i FROM rr.invoice x
             WHERE x.tenant_id = 'pp' AND x.doc_type = 'invoice' ORDER BY random() LIMIT 1;
            BEGIN
                PERFORM rr.credit_invoice(i, CASE WHEN random() < 0.5 THEN round((1 + random() * 80)::numeric, 2) END,
                                          credit_date => date '2025-07-01' + floor(random() * 60)::int);
            EXCEPTION WHEN invalid_parameter_value OR object_not_in_prerequisite_state THEN
                refused := refused + 1;
            END;
        END IF;
    END LOOP;
    RETURN refused;
END $$;
SELECT pg_temp.pay() AS refused \gset

-- (read first, here and below: on Citus a statement that reads only the distributed tables
-- goes to the tenant's worker whole, the assertion with it, and pgTAP's plan is here)
SELECT count(*) AS applications FROM rr.payment_application WHERE tenant_id = 'pp' \gset
SELECT cmp_ok(:applications::bigint, '>', 300::bigint, 'more than 300 applications were written');
SELECT is_empty($$
    SELECT invoice_id, total, applied FROM rr.invoice_balances('pp', 'infinity') WHERE applied > total OR balance < 0
$$, 'no invoice has more applied than its total');
SELECT is_empty($$
    SELECT p.payment_id, p.amount, sum(a.amount)
      FROM rr.payment p JOIN rr.payment_application a USING (tenant_id, payment_id)
     WHERE p.tenant_id = 'pp'
     GROUP BY p.payment_id, p.amount HAVING sum(a.amount) > p.amount
$$, 'no payment has more applied than its amount');
SELECT is_empty($$
    SELECT a.application_id FROM rr.payment_application a
      JOIN rr.payment p USING (tenant_id, payment_id) JOIN rr.invoice i USING (tenant_id, invoice_id)
     WHERE a.tenant_id = 'pp' AND (a.applied_on < p.received_on OR a.applied_on < i.invoice_date OR i.status <> 'posted'
        OR i.customer <> p.customer OR a.amount <> round(a.amount, 2))
$$, 'applications are dated after their payment and invoice, to posted invoices of the payer, in whole cents');
SELECT sum(total) AS invoiced, sum(balance) AS open_ar FROM rr.invoice_balances('pp', 'infinity') \gset
SELECT sum(unapplied) AS unapplied FROM rr.customer_credits('pp', 'infinity') \gset
SELECT sum(amount) FILTER (WHERE source_invoice_id IS NULL) AS received,
       count(*) FILTER (WHERE source_invoice_id IS NOT NULL) AS credit_balances
  FROM rr.payment WHERE tenant_id = 'pp' \gset
SELECT count(*) AS credit_notes, -sum(l.amount) AS credited
  FROM rr.invoice n JOIN rr.invoice_line l USING (tenant_id, invoice_id)
 WHERE n.tenant_id = 'pp' AND n.doc_type = 'credit_note' \gset
SELECT cmp_ok(:credit_balances::bigint, '>', 3::bigint, 'credit notes for more than was open left credit balances');
SELECT sum(credit - debit) FILTER (WHERE account = '2400') AS credit_account,
       sum(debit - credit) FILTER (WHERE account IN ('1100', '1110')) AS receivables
  FROM rr.journal_line WHERE tenant_id = 'pp' \gset
SELECT is(:invoiced::numeric - :credited::numeric - :received::numeric, :open_ar::numeric - :unapplied::numeric,
          'invoiced − credited − received = open AR − unapplied credit');
SELECT is_empty($$
    SELECT p.payment_id FROM rr.payment p
      JOIN rr.invoice i ON i.tenant_id = p.tenant_id AND i.invoice_id = p.source_invoice_id
     WHERE p.tenant_id = 'pp' AND (i.customer <> p.customer OR i.currency <> p.currency OR i.status <> 'posted'
        OR p.method <> 'credit_balance' OR p.amount <= 0)
$$, 'every credit balance is its invoice''s, for that invoice''s customer and currency');
SELECT is(:credit_account::numeric, :unapplied::numeric, 'the customer credit account holds exactly the unapplied credit');
SELECT is(:receivables::numeric, :open_ar::numeric, 'the receivable accounts hold exactly the open AR');
SELECT is_empty($$
    SELECT entry_id FROM rr.journal_line WHERE tenant_id = 'pp' GROUP BY entry_id HAVING sum(debit) <> sum(credit)
$$, 'every journal entry is balanced');

-- the payment functions read balances through rr_internal.open_balances (PL/pgSQL, for
-- Citus): it must agree with rr.invoice_balances, the one definition, on every invoice
-- (the invoices' ids copied first: on Citus a statement that reads the distributed tables
-- goes to the tenant's worker whole, the function call with it, which cannot read tables there)
CREATE TEMP TABLE invoice_ids ON COMMIT DROP AS SELECT invoice_id FROM rr.invoice WHERE tenant_id = 'pp';
SELECT is_empty($$
    (SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('pp', 'infinity')
     EXCEPT
     SELECT * FROM rr_internal.open_balances('pp', ARRAY(SELECT invoice_id FROM invoice_ids)))
    UNION ALL
    (SELECT * FROM rr_internal.open_balances('pp', ARRAY(SELECT invoice_id FROM invoice_ids))
     EXCEPT
     SELECT invoice_id, number, invoice_date, due_date, total, applied, balance
       FROM rr.invoice_balances('pp', 'infinity'))
$$, 'rr_internal.open_balances gives every posted invoice the total, applied and balance of rr.invoice_balances (payments applied)');

SELECT * FROM finish();
ROLLBACK;
