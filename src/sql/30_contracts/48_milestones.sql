-- Milestones of fixed-price projects (docs/projects-and-on-demand.md): the fixed price of a
-- contract line (its setup fee) split into milestones, each an amount or a percent of that
-- price, billed when it is reached (rr.reach_milestone, src/sql/85_workflows/60_milestones.sql)
-- instead of when billing starts.  Revenue stays with the line's obligation and its
-- deferral code.

CREATE TABLE rr.contract_milestone (
    tenant_id    text NOT NULL,
    contract_id  bigint NOT NULL,
    milestone_no integer NOT NULL,
    line_no      integer NOT NULL,
    name         text NOT NULL,
    percent      numeric,
    amount       numeric NOT NULL,
    reached_on   date,
    CONSTRAINT contract_milestone_pkey PRIMARY KEY (tenant_id, contract_id, milestone_no),
    CONSTRAINT contract_milestone_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_milestone_no_check CHECK (milestone_no > 0),
    CONSTRAINT contract_milestone_percent_check CHECK (percent > 0 AND percent <= 100),
    CONSTRAINT contract_milestone_amount_check CHECK (amount > 0),
    CONSTRAINT contract_milestone_limit_check CHECK (rr.check_number('milestone amount', amount)
                                                     AND rr.check_date('milestone date', reached_on))
);
COMMENT ON TABLE rr.contract_milestone IS 'milestones of fixed-price contract lines: each bills a part of the line''s setup fee (an amount, or a percent of it) when it is reached, instead of the whole fee when billing starts; written by rr.add_milestone and rr.reach_milestone only';
COMMENT ON COLUMN rr.contract_milestone.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_milestone.contract_id IS 'contract of the milestone';
COMMENT ON COLUMN rr.contract_milestone.milestone_no IS 'number of the milestone in its contract, from 1 in the order they were added; the adjustment_seq of its charge';
COMMENT ON COLUMN rr.contract_milestone.line_no IS 'contract line whose fixed price (setup fee) the milestone bills a part of';
COMMENT ON COLUMN rr.contract_milestone.name IS 'what the milestone is, as the invoice line''s detail shows it';
COMMENT ON COLUMN rr.contract_milestone.percent IS 'percent of the line''s fixed price (0 to 100) the milestone was given as; NULL when it was given as an amount';
COMMENT ON COLUMN rr.contract_milestone.amount IS 'amount billed when the milestone is reached, in the contract currency: the amount given, or the percent of the line''s fixed price rounded once to the currency''s minor units (the milestone that brings the percents to 100 takes what is left, so they add up to the price exactly)';
COMMENT ON COLUMN rr.contract_milestone.reached_on IS 'date the milestone was reached, its charge''s due date and service day; NULL while not reached';
