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
       rr.minor_units(k.currency) AS mu,
       k.activation_date IS NOT NULL
           AND k.status IN ('active', 'pending_upgrade', 'terminated', 'expired', 'completed') AS is_billed,
       k.termination_date, k.refund_policy, k.setup_date
  FROM rr.contract k;
COMMENT ON VIEW rr.contract_billing_terms IS 'every contract with its billing terms resolved: billing interval, the window it is billed for [bill_from, bill_to) (billing start to the end of the term or the termination date), currency minor units, and is_billed (activated, and not draft or pending); what billing, usage rating and usage ingestion read';
COMMENT ON COLUMN rr.contract_billing_terms.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_billing_terms.contract_id IS 'contract id';
COMMENT ON COLUMN rr.contract_billing_terms.customer IS 'customer code of the contract';
COMMENT ON COLUMN rr.contract_billing_terms.status IS 'contract status: draft, pending_activation, active, pending_upgrade, expired, terminated or completed';
COMMENT ON COLUMN rr.contract_billing_terms.currency IS 'ISO 4217 code of the contract currency';
COMMENT ON COLUMN rr.contract_billing_terms.alignment IS 'how billing periods are cut: anniversary (from the billing start) or calendar (on calendar period boundaries)';
COMMENT ON COLUMN rr.contract_billing_terms.end_date IS 'end of the term, exclusive (the term is [start_date, end_date)); NULL for an unlimited contract';
COMMENT ON COLUMN rr.contract_billing_terms.activation_date IS 'date the contract was activated; NULL while not activated';
COMMENT ON COLUMN rr.contract_billing_terms.contract_every IS 'the contract''s billing interval from its billing period: 1 year, 6 months, 3 months, 1 month, 7 days, or billing_days days for custom_days';
COMMENT ON COLUMN rr.contract_billing_terms.bill_from IS 'first day billed: the setup date when billing starts at setup, else the activation date; NULL while not activated';
COMMENT ON COLUMN rr.contract_billing_terms.bill_to IS 'end of the billed window, exclusive: the earlier of the termination date and the end of the term; NULL when neither is set (unlimited and not terminated)';
COMMENT ON COLUMN rr.contract_billing_terms.mu IS 'minor units (decimal places) of the contract currency, as in rr.currency.minor_units: USD 2, JPY 0, KWD 3';
COMMENT ON COLUMN rr.contract_billing_terms.is_billed IS 'true when the contract is activated and active, pending_upgrade, terminated, expired or completed: billing considers it; false otherwise (draft, pending_activation, never activated)';
COMMENT ON COLUMN rr.contract_billing_terms.termination_date IS 'date the contract was terminated; NULL when it was not';
COMMENT ON COLUMN rr.contract_billing_terms.refund_policy IS 'what a termination credits of prepaid periods: none, prorated or full';
COMMENT ON COLUMN rr.contract_billing_terms.setup_date IS 'date the contract was set up (the day a setup fee with setup_timing setup is due); NULL while not set up';
