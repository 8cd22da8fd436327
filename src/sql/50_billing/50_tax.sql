-- Tax: the tax code of a line is its item's, else its customer's; one tax line per
-- invoice and tax code, rounded once per invoice and code.  Exclusive rates add
-- round(Σ net × rate); inclusive rates take round(Σ gross × rate / (1 + rate)) out of the
-- lines, whose net amounts are then split with rr.allocate so that nets plus tax equal
-- the gross exactly.
CREATE FUNCTION rr_internal.add_tax_lines(tenant_id text, run bigint)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
    codes text[];
    lo bigint;
    hi bigint;
BEGIN
    -- a line is taxed by a tax code of the tenant's (rr.tax_code): none, no tax lines, and
    -- the run's lines are not read again
    IF NOT EXISTS (SELECT FROM rr.tax_code tc WHERE tc.tenant_id = add_tax_lines.tenant_id) THEN
        RETURN 0;
    END IF;
    -- the range of the ids of the run's invoices (rr.billing_run)
    SELECT lower(r.invoice_ids), upper(r.invoice_ids) INTO lo, hi
      FROM rr.billing_run r WHERE r.tenant_id = add_tax_lines.tenant_id AND r.run_id = add_tax_lines.run;
    -- Driven by the run's invoices (their range of the primary key); the item, customer and
    -- tax code of each line are looked up by their keys, so no plan can loop over a whole
    -- table per row.
    WITH lt AS (
        SELECT l.invoice_id, l.line_no, l.amount, l.receivable_account, i.currency,
               coalesce((SELECT it.tax_code FROM rr.item it
                          WHERE it.tenant_id = add_tax_lines.tenant_id AND it.code = l.item),
                        (SELECT cu.tax_code FROM rr.customer cu
                          WHERE cu.tenant_id = add_tax_lines.tenant_id AND cu.code = i.customer)) AS tax_code
          FROM rr.invoice i
          JOIN rr.invoice_line l ON l.tenant_id = add_tax_lines.tenant_id AND l.invoice_id = i.invoice_id
         WHERE i.tenant_id = add_tax_lines.tenant_id AND i.invoice_id >= lo AND i.invoice_id < hi
           AND i.run_id = add_tax_lines.run
    ), g AS (
        SELECT lt.invoice_id, lt.tax_code, lt.currency, min(lt.receivable_account) AS receivable,
               sum(lt.amount) AS gross,
               array_agg(lt.line_no ORDER BY lt.line_no) AS line_nos,
               array_agg(lt.amount ORDER BY lt.line_no) AS amounts
          FROM lt
         WHERE lt.tax_code IS NOT NULL
         GROUP BY lt.invoice_id, lt.tax_code, lt.currency
    ), w AS (
        SELECT g.invoice_id, g.tax_code, x.is_inclusive, x.account, g.receivable, x.mu, g.gross,
               round(g.gross * CASE WHEN x.is_inclusive THEN x.rate / (1 + x.rate) ELSE x.rate END, x.mu) AS tax,
               g.line_nos, g.amounts
          FROM g
          CROSS JOIN LATERAL (SELECT tc.is_inclusive, tc.account, tc.rate,
                                     rr.minor_units(g.currency) AS mu
                                FROM rr.tax_code tc
                               WHERE tc.tenant_id = add_tax_lines.tenant_id AND tc.code = g.tax_code) x
    ), net AS (
        UPDATE rr.invoice_line l
           SET tax_code = w.tax_code,
               amount = CASE WHEN w.is_inclusive AND w.gross > 0 THEN x.net ELSE l.amount END
          FROM w
          CROSS JOIN LATERAL unnest(w.line_nos,
                                    CASE WHEN w.is_inclusive AND w.gross > 0
                                         THEN rr.allocate(w.gross - w.tax, w.amounts, w.mu)
                                         ELSE w.amounts END) AS x(line_no, net)
         WHERE l.tenant_id = add_tax_lines.tenant_id AND l.invoice_id = w.invoice_id AND l.line_no = x.line_no
    ), ins AS (
        INSERT INTO rr.invoice_line (tenant_id, invoice_id, line_no, kind, amount, tax_code, credit_account, receivable_account)
        SELECT add_tax_lines.tenant_id, w.invoice_id,
               (SELECT max(l.line_no) FROM rr.invoice_line l WHERE l.tenant_id = add_tax_lines.tenant_id
                                                              AND l.invoice_id = w.invoice_id)
                   + row_number() OVER (PARTITION BY w.invoice_id ORDER BY w.tax_code)::integer,
               'tax', w.tax, w.tax_code, w.account, w.receivable
          FROM w
         WHERE w.tax <> 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM ins), (SELECT array_agg(DISTINCT w.tax_code) FROM w) INTO n, codes;
    -- the tax codes the lines name, locked and checked once (the writer's half of a key)
    PERFORM rr_internal.lock_catalog(add_tax_lines.tenant_id, 'tax_code', codes);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rr_internal.add_tax_lines(text, bigint) IS 'internal: adds one tax line per invoice and tax code to the invoices of a billing run (rounded once per invoice and code; tax-inclusive lines become net, split exactly with rr.allocate)';
