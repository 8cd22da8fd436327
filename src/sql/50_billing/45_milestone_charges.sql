-- Milestone charges (docs/projects-and-on-demand.md): each milestone of a contract line
-- reached by as_of and not charged yet, as a charge of kind 'milestone' whose
-- adjustment_seq is the milestone's number (so two milestones reached the same day keep
-- their own key), dated and due on the day it was reached.  The billing run adds them to
-- what rr_internal.due_charges lists, and leaves out the setup fee of a line that has
-- milestones: they bill that fee in parts.
CREATE FUNCTION rr_internal.milestone_charges(tenant_id text, as_of date, only_contract bigint)
RETURNS TABLE (contract_id bigint, line_no integer, line_effective_from date, kind text,
               service_period daterange, adjustment_seq bigint, quantity numeric, unit_price numeric, amount numeric,
               due_date date, detail jsonb)
LANGUAGE sql STABLE ROWS 10
BEGIN ATOMIC
    SELECT m.contract_id, m.line_no,
           (SELECT min(l.effective_from) FROM rr.contract_line l
             WHERE l.tenant_id OPERATOR(pg_catalog.=) milestone_charges.tenant_id
               AND l.contract_id OPERATOR(pg_catalog.=) m.contract_id
               AND l.line_no OPERATOR(pg_catalog.=) m.line_no),
           'milestone', pg_catalog.daterange(m.reached_on, m.reached_on OPERATOR(pg_catalog.+) 1),
           m.milestone_no::bigint, 1::numeric, m.amount, m.amount, m.reached_on,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('milestone', m.milestone_no, 'name', m.name,
                                                                      'percent', m.percent))
      FROM rr.contract_milestone m
      JOIN rr.contract_billing_terms c ON c.tenant_id OPERATOR(pg_catalog.=) milestone_charges.tenant_id
                                      AND c.contract_id OPERATOR(pg_catalog.=) m.contract_id AND c.is_billed
     WHERE m.tenant_id OPERATOR(pg_catalog.=) milestone_charges.tenant_id
       AND (milestone_charges.only_contract IS NULL OR m.contract_id OPERATOR(pg_catalog.=) milestone_charges.only_contract)
       AND m.reached_on OPERATOR(pg_catalog.<=) milestone_charges.as_of
       AND NOT EXISTS (SELECT FROM rr.charge ch
                        WHERE ch.tenant_id OPERATOR(pg_catalog.=) milestone_charges.tenant_id
                          AND ch.contract_id OPERATOR(pg_catalog.=) m.contract_id
                          AND ch.line_no OPERATOR(pg_catalog.=) m.line_no AND ch.kind OPERATOR(pg_catalog.=) 'milestone'
                          AND ch.adjustment_seq OPERATOR(pg_catalog.=) m.milestone_no);
END;
COMMENT ON FUNCTION rr_internal.milestone_charges(text, date, bigint) IS 'internal: the milestone charges due by as_of and not charged yet, for the tenant''s contracts or one of them (adjustment_seq: the milestone number; due and service on the day it was reached)';
REVOKE ALL ON FUNCTION rr_internal.milestone_charges(text, date, bigint) FROM PUBLIC;
