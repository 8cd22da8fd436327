-- Trials and pauses of contracts (docs/trials-pauses-coupons.md).  Both are carried by the
-- billing core as line versions, so that rr.due_charges needs no change: a trial is a
-- version of each line at the trial price (0 % of the price for a free trial) from the
-- start of the contract and a version at the contracted price from the end of the trial;
-- a pause is a removed version of each line from its first day and, on resume, a version
-- like the one before the pause.  The functions are workflows
-- (src/sql/85_workflows/60_trials_pauses.sql): they re-plan revenue.

CREATE TABLE rr.contract_trial (
    tenant_id              text NOT NULL,
    contract_id            bigint NOT NULL,
    trial                  daterange NOT NULL,
    price_percent          numeric NOT NULL DEFAULT 0,
    has_payment_method     boolean NOT NULL DEFAULT false,
    missing_payment_method text NOT NULL DEFAULT 'convert',
    status                 text NOT NULL DEFAULT 'trialing',
    ended_on               date,
    event_id               bigint NOT NULL,
    CONSTRAINT contract_trial_pkey PRIMARY KEY (tenant_id, contract_id),
    CONSTRAINT contract_trial_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_trial_period_check CHECK (NOT isempty(trial) AND NOT lower_inf(trial) AND NOT upper_inf(trial)),
    CONSTRAINT contract_trial_percent_check CHECK (price_percent >= 0 AND price_percent < 100),
    CONSTRAINT contract_trial_missing_check CHECK (missing_payment_method IN ('convert', 'lapse')),
    CONSTRAINT contract_trial_status_check CHECK (status IN ('trialing', 'converted', 'lapsed')
                                                  AND (status = 'trialing') = (ended_on IS NULL))
);
COMMENT ON TABLE rr.contract_trial IS 'the trial of a contract (at most one): its days, the share of the contracted recurring price billed for them (0: free), whether the customer has a payment method, what happens at its end without one (convert: billed as contracted, as Stripe''s create_invoice; lapse: the contract is terminated on the last day of the trial, as Stripe''s cancel), and how it ended';
COMMENT ON COLUMN rr.contract_trial.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_trial.contract_id IS 'contract on trial';
COMMENT ON COLUMN rr.contract_trial.trial IS 'the trial days [start, end): from the contract''s start date; billing at the contracted price starts on the end date (the conversion day)';
COMMENT ON COLUMN rr.contract_trial.price_percent IS 'percent of the contracted recurring price billed for the trial days, prorated like any partial period: 0 for a free trial, for example 50 for a paid trial at half price';
COMMENT ON COLUMN rr.contract_trial.has_payment_method IS 'whether the customer gave a payment method (rr.record_trial_payment_method); a trial with one always converts';
COMMENT ON COLUMN rr.contract_trial.missing_payment_method IS 'what the end of the trial does without a payment method: convert (bill as contracted) or lapse (terminate the contract at the end of the trial)';
COMMENT ON COLUMN rr.contract_trial.status IS 'trialing, converted (billed as contracted from the end of the trial) or lapsed (terminated at the end of the trial)';
COMMENT ON COLUMN rr.contract_trial.ended_on IS 'the end of the trial, once rr.end_trials has converted or lapsed it; NULL while trialing';
COMMENT ON COLUMN rr.contract_trial.event_id IS 'contract event that added the trial';

CREATE TABLE rr.contract_pause (
    tenant_id      text NOT NULL,
    contract_id    bigint NOT NULL,
    pause_no       integer NOT NULL,
    paused         daterange NOT NULL,
    extends_term   boolean NOT NULL,
    extended_by    integer NOT NULL DEFAULT 0,
    reason         text,
    pause_event_id bigint NOT NULL,
    resume_event_id bigint,
    CONSTRAINT contract_pause_pkey PRIMARY KEY (tenant_id, contract_id, pause_no),
    CONSTRAINT contract_pause_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_pause_no_check CHECK (pause_no > 0),
    CONSTRAINT contract_pause_period_check CHECK (NOT isempty(paused) AND NOT lower_inf(paused)),
    CONSTRAINT contract_pause_extended_check CHECK (extended_by >= 0 AND (extends_term OR extended_by = 0)),
    CONSTRAINT contract_pause_resumed_check CHECK (upper_inf(paused) = (resume_event_id IS NULL))
);
COMMENT ON TABLE rr.contract_pause IS 'pauses of contracts: no line is billed, and no revenue accrues, on the days paused [first day, resume day); the upper bound is open while the contract is paused; one row per pause, numbered per contract';
COMMENT ON COLUMN rr.contract_pause.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_pause.contract_id IS 'contract paused';
COMMENT ON COLUMN rr.contract_pause.pause_no IS 'number of the pause in the contract (1, 2, ...)';
COMMENT ON COLUMN rr.contract_pause.paused IS 'the days paused [first day, resume day); upper bound infinite until the contract is resumed';
COMMENT ON COLUMN rr.contract_pause.extends_term IS 'whether the resume moved the end of the term by the days paused';
COMMENT ON COLUMN rr.contract_pause.extended_by IS 'days by which the resume moved the end of the term (0 when it does not extend it, or the contract is unlimited)';
COMMENT ON COLUMN rr.contract_pause.reason IS 'why the contract was paused';
COMMENT ON COLUMN rr.contract_pause.pause_event_id IS 'contract event of the pause';
COMMENT ON COLUMN rr.contract_pause.resume_event_id IS 'contract event of the resume; NULL while paused';
