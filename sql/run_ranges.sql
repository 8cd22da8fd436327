-- Every charge and invoice a billing run wrote lies in the ranges of ids the run records
-- (rr.billing_run.charge_ids and invoice_ids), by which the run's rows are read instead of
-- an index on run_id: checked for every run of every tenant the earlier tests of the
-- schedule left (batch runs, contracts billed on demand, amendments and one-off charges
-- billed at once, runs undone and billed again).  (Each a statement of its own, joined on
-- tenant_id, so that it runs on Citus too.)
SELECT count(DISTINCT r.tenant_id) >= 20 AS many_tenants, count(*) >= 100 AS many_runs
  FROM rr.billing_run r
 WHERE r.charge_ids IS NOT NULL;
-- a charge outside its run's range (none)
SELECT ch.tenant_id, ch.run_id, ch.charge_id
  FROM rr.charge ch
  JOIN rr.billing_run r ON r.tenant_id = ch.tenant_id AND r.run_id = ch.run_id
 WHERE NOT coalesce(r.charge_ids @> ch.charge_id, false)
 ORDER BY 1, 2, 3;
-- an invoice outside its run's range (none but the empty draft that the test billing wrote
-- by hand into one of its runs, to show that posting refuses it)
SELECT i.tenant_id, i.invoice_date, count(*) AS invoices
  FROM rr.invoice i
  JOIN rr.billing_run r ON r.tenant_id = i.tenant_id AND r.run_id = i.run_id
 WHERE NOT coalesce(r.invoice_ids @> i.invoice_id, false)
 GROUP BY 1, 2
 ORDER BY 1, 2;
