-- Every charge and invoice a billing run wrote lies in the ranges of ids the run records
-- (rr.billing_run.charge_ids and invoice_ids), by which the run's rows are read instead of
-- an index on run_id: checked for every run of every tenant the earlier tests of the
-- schedule left (batch runs, contracts billed on demand, amendments and one-off charges
-- billed at once, runs undone and billed again); and, below, the drafts to post and the
-- numbers given.  (Each a statement of its own, joined on tenant_id, so that it runs on
-- Citus too.)
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
-- The drafts to post (rr.invoice_draft) are exactly the draft documents, and every posted
-- document has its number's row (rr.invoice_number), with the same series and number, for
-- every tenant the earlier tests left (drafts billed, posted, undone, credited, one-offs):
-- the two tables stand for the indexes rr.invoice no longer has (on its status and number),
-- so that posting's update of an invoice stays on its page.
SELECT count(*) FILTER (WHERE i.status = 'draft') >= 50 AS many_drafts,
       count(*) FILTER (WHERE i.status = 'posted') >= 100 AS many_posted
  FROM rr.invoice i;
-- a draft without its row, or a row whose document is not a draft (none)
SELECT i.tenant_id, i.invoice_id, i.status, d.invoice_id AS draft_row
  FROM rr.invoice i
  FULL JOIN rr.invoice_draft d ON d.tenant_id = i.tenant_id AND d.invoice_id = i.invoice_id
 WHERE i.status = 'draft' AND d.invoice_id IS NULL
    OR d.invoice_id IS NOT NULL AND (i.invoice_id IS NULL OR i.status <> 'draft'
                                     OR (d.series, d.invoice_date) IS DISTINCT FROM (i.series, i.invoice_date))
 ORDER BY 1, 2;
-- a posted document without its number's row, or a row that is not a posted document's
-- number (none)
SELECT i.tenant_id, i.invoice_id, i.number, n.number AS number_row
  FROM (SELECT * FROM rr.invoice WHERE status = 'posted') i
  FULL JOIN rr.invoice_number n ON n.tenant_id = i.tenant_id AND n.invoice_id = i.invoice_id
 WHERE i.invoice_id IS NULL OR n.invoice_id IS NULL OR (n.series, n.number) IS DISTINCT FROM (i.series, i.number)
 ORDER BY 1, 2;
