-- The billing terms of each contract, resolved once for rr.due_charges, usage rating and
-- usage ingestion.

-- The anchor of a contract's billing periods: its billing start (anniversary), or the
-- calendar (months, quarters, years from 2000-01-01; weeks and day counts from Monday
-- 2000-01-03).
CREATE FUNCTION rr.billing_anchor(alignment text, bill_from date, every interval)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN alignment = 'anniversary' THEN bill_from
            WHEN extract(month FROM every) + extract(year FROM every) * 12 > 0 THEN date '2000-01-01'
            ELSE date '2000-01-03' END;
COMMENT ON FUNCTION rr.billing_anchor(text, date, interval) IS 'anchor of a contract''s billing periods: the billing start for anniversary alignment; 2000-01-01 (calendar months, quarters, years) or Monday 2000-01-03 (weeks, day counts) for calendar alignment';

-- Every contract with its billing terms resolved: the billing interval, the window it is
-- billed for (from its billing start to the end of the term or its termination), its
-- currency's minor units, and whether billing looks at it at all.  (Expressions written
-- out rather than calls to rr.minor_units, rr.billing_interval and rr.billing_anchor: a
-- function with a pinned search_path costs a GUC save and restore per row, which
-- dominated the billing run; a view is inlined.)
CREATE VIEW rr.contract_billing_terms WITH (security_invoker = true) AS
SELECT k.tenant_id, k.contract_id, k.customer, k.status, k.currency, k.alignment, k.end_date, k.activation_date,
       CASE k.billing_period
           WHEN 'year' THEN interval '1 year' WHEN 'half_year' THEN interval '6 months'
           WHEN 'quarter' THEN interval '3 months' WHEN 'month' THEN interval '1 month'
           WHEN 'week' THEN interval '7 days' WHEN 'custom_days' THEN make_interval(days => k.billing_days)
       END AS contract_every,
       CASE k.billing_start WHEN 'setup' THEN k.setup_date ELSE k.activation_date END AS bill_from,
       least(k.termination_date, k.end_date) AS bill_to,
       cur.minor_units AS mu,
       k.activation_date IS NOT NULL
           AND k.status IN ('active', 'pending_upgrade', 'terminated', 'expired', 'completed') AS is_billed,
       k.termination_date, k.refund_policy
  FROM rr.contract k
  JOIN rr.currency cur ON cur.code = k.currency;
COMMENT ON VIEW rr.contract_billing_terms IS 'every contract with its billing terms resolved: billing interval, the window it is billed for [bill_from, bill_to) (billing start to the end of the term or the termination date), currency minor units, and is_billed (activated, and not draft or pending); what billing, usage rating and usage ingestion read';
