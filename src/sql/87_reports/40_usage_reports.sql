-- Usage reports (docs/reports.md, "Usage against included quantities").
--
-- Usage against the included quantities as of a date: for each metered contract line in
-- force on the date, the usage cycle the date falls in (the billing period, or for a
-- summed counter that is not reset on billing, the cycle since billing started or since the
-- last renewal, as rating counts it: src/sql/60_usage/30_rating.sql), the quantity the
-- line includes for that cycle, what its events used by then and what is left or over.
-- Events count by their usage date (the date in the customer's time zone), as rating counts
-- them: a late event, received after as_of for a date up to it, counts in the answer as of
-- that date from the moment it is recorded, as billing bills it with its original period.
CREATE FUNCTION rr.usage_vs_included(as_of date)
RETURNS TABLE (contract_id bigint, customer text, line_no integer, contract_item text, aggregation text,
               reset_usage text, period daterange, cycle_start date, included numeric, used numeric,
               remaining numeric, overage numeric, events bigint)
LANGUAGE sql STABLE STRICT ROWS 100
BEGIN ATOMIC
    WITH lv AS (
        -- the versions of the metered lines of the contracts activated by as_of, each with
        -- the billing grid of the line's first version
        SELECT c.contract_id, c.customer, c.bill_from, c.bill_to, c.alignment, l.line_no, l.contract_item,
               l.effective_from, l.quantity, l.is_removed, ci.included_quantity, ci.usage_aggregation,
               ci.reset_usage,
               lead(l.effective_from) OVER w AS valid_to,
               first_value(coalesce(l.billing_period, c.contract_every)) OVER w AS every
          FROM rr.contract_billing_terms c
          JOIN rr.contract_line l ON l.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
                                 AND l.contract_id OPERATOR(pg_catalog.=) c.contract_id
          JOIN rr.contract_item ci ON ci.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
                                  AND ci.code OPERATOR(pg_catalog.=) l.contract_item
         WHERE c.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND c.is_billed
           AND c.activation_date OPERATOR(pg_catalog.<=) usage_vs_included.as_of
           AND (ci.price_model IS NOT NULL OR ci.extra_usage_price IS NOT NULL
                OR ci.billing_type OPERATOR(pg_catalog.=) 'deposit')
        WINDOW w AS (PARTITION BY l.contract_id, l.line_no ORDER BY l.effective_from)
    ), cur AS (
        -- the version in force on as_of, inside the billed window, and its billing period
        SELECT lv.*,
               rr.period_containing(usage_vs_included.as_of, lv.every,
                                    rr.billing_anchor(lv.alignment, lv.bill_from, lv.every)) AS period
          FROM lv
         WHERE lv.effective_from OPERATOR(pg_catalog.<=) usage_vs_included.as_of
           AND (lv.valid_to IS NULL OR lv.valid_to OPERATOR(pg_catalog.>) usage_vs_included.as_of)
           AND NOT lv.is_removed
           AND lv.every IS NOT NULL
           AND usage_vs_included.as_of OPERATOR(pg_catalog.>=) lv.bill_from
           AND (lv.bill_to IS NULL OR usage_vs_included.as_of OPERATOR(pg_catalog.<) lv.bill_to)
    ), cyc AS (
        -- where the counter starts, by rating's rule (rr_internal.usage_cycle_start_in): a
        -- peak or last level, or a sum reset on billing, from the period's start (billing's,
        -- if later); a sum reset on renewal from the start of the term the period is in (the
        -- last renewal's previous end after billing started and by the period's start, as
        -- rating reads it); a sum never reset from the start of billing
        SELECT cur.*,
               rr_internal.usage_cycle_start_in(cur.usage_aggregation, cur.reset_usage,
                                                GREATEST(pg_catalog.lower(cur.period), cur.bill_from),
                                                GREATEST(pg_catalog.lower(cur.period), cur.bill_from),
                                                cur.bill_from, coalesce(tr.term_start, cur.bill_from)) AS cycle_start,
               cur.included_quantity OPERATOR(pg_catalog.*) cur.quantity AS included
          FROM cur
          CROSS JOIN LATERAL (
                SELECT max(r.previous_end) AS term_start
                  FROM rr.contract_renewal r
                 WHERE r.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
                   AND r.contract_id OPERATOR(pg_catalog.=) cur.contract_id
                   AND r.previous_end OPERATOR(pg_catalog.>) cur.bill_from
                   AND r.previous_end OPERATOR(pg_catalog.<=) GREATEST(pg_catalog.lower(cur.period), cur.bill_from)) tr
    )
    SELECT cyc.contract_id, cyc.customer, cyc.line_no, cyc.contract_item, cyc.usage_aggregation, cyc.reset_usage,
           cyc.period, cyc.cycle_start, cyc.included, u.used,
           GREATEST(cyc.included OPERATOR(pg_catalog.-) u.used, 0),
           GREATEST(u.used OPERATOR(pg_catalog.-) cyc.included, 0),
           u.events
      FROM cyc
     CROSS JOIN LATERAL (
        SELECT CASE cyc.usage_aggregation
                    WHEN 'sum' THEN coalesce(sum(e.quantity), 0)
                    WHEN 'max' THEN coalesce(max(e.quantity), 0)
                    -- the level at the latest event (by time, then id)
                    ELSE coalesce((max(ARRAY[pg_catalog.date_part('epoch', e.occurred_at)::numeric,
                                             e.event_id::numeric, e.quantity]))[3], 0) END AS used,
               count(*) AS events
          FROM rr.usage_event e
         WHERE e.tenant_id OPERATOR(pg_catalog.=) (SELECT rr.current_tenant())
           AND e.contract_id OPERATOR(pg_catalog.=) cyc.contract_id
           AND e.line_no OPERATOR(pg_catalog.=) cyc.line_no
           AND e.usage_date OPERATOR(pg_catalog.>=) cyc.cycle_start
           AND e.usage_date OPERATOR(pg_catalog.<=) usage_vs_included.as_of) u
     ORDER BY cyc.contract_id, cyc.line_no;
END;
COMMENT ON FUNCTION rr.usage_vs_included(date) IS 'usage against included quantities as of a date: per metered contract line in force on as_of, the billing period it falls in and the usage cycle (the period, or for a sum not reset on billing the cycle since billing started or the last renewal), the quantity included (the contract item''s included quantity times the line quantity), what the events dated in the cycle up to as_of used (late events included once recorded), and what is left or over; docs/reports.md, "Usage against included quantities"';
REVOKE ALL ON FUNCTION rr.usage_vs_included(date) FROM PUBLIC;

CREATE VIEW rr.usage_vs_included WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, u.*
  FROM rr.usage_vs_included(current_date) u;
COMMENT ON VIEW rr.usage_vs_included IS 'usage against included quantities today: rr.usage_vs_included(current_date)';
COMMENT ON COLUMN rr.usage_vs_included.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.usage_vs_included.contract_id IS 'contract of the metered line';
COMMENT ON COLUMN rr.usage_vs_included.customer IS 'customer code of the contract';
COMMENT ON COLUMN rr.usage_vs_included.line_no IS 'contract line number';
COMMENT ON COLUMN rr.usage_vs_included.contract_item IS 'contract item of the line (its version in force today)';
COMMENT ON COLUMN rr.usage_vs_included.aggregation IS 'how the events make the used quantity: sum, max (peak level) or last (level at the latest event)';
COMMENT ON COLUMN rr.usage_vs_included.reset_usage IS 'when a summed counter starts again from zero: on_billing, on_renewal or never';
COMMENT ON COLUMN rr.usage_vs_included.period IS 'the billing period of the line that contains today, [start, end)';
COMMENT ON COLUMN rr.usage_vs_included.cycle_start IS 'first usage date counted: the start of the period (or of billing, if later) for a peak, a last level or a sum reset on billing; the start of the current term for a sum reset on renewal; the start of billing for a sum never reset';
COMMENT ON COLUMN rr.usage_vs_included.included IS 'quantity included in the recurring price for the cycle: the contract item''s included quantity times the line quantity';
COMMENT ON COLUMN rr.usage_vs_included.used IS 'quantity the line''s events dated from cycle_start to today used (by usage date, in the customer''s time zone)';
COMMENT ON COLUMN rr.usage_vs_included.remaining IS 'included quantity not used yet: included - used, at least 0';
COMMENT ON COLUMN rr.usage_vs_included.overage IS 'quantity used beyond the included quantity: used - included, at least 0';
COMMENT ON COLUMN rr.usage_vs_included.events IS 'number of events counted';
