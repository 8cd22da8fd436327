-- What usage rating has settled (docs/usage.md, "What a run rates"), kept here next to
-- what billing settled (35) because undoing a billing (70) resets both: per metered line,
-- the date up to which every billing period is rated and billed by a run, the counters
-- carried into the periods after it, and a fingerprint of what rating depends on.  Rating
-- (rr_internal.usage_charges, src/sql/60_usage/30_rating.sql) then reads only the events
-- and charges from that date on, as long as the fingerprint matches and no event dated
-- before it arrived since; otherwise it rates the line's whole history, as before.
-- Written by the billing run after the statement that bills (rr_internal.settle_usage);
-- deleted by rr.undo_last_billing with the charges it deletes.
CREATE TABLE rr.usage_rating_state (
    tenant_id    text NOT NULL,
    contract_id  bigint NOT NULL,
    line_no      integer NOT NULL,
    rated_to     date NOT NULL,
    rating_hash  bigint NOT NULL,
    counter_from date NOT NULL,
    counter      numeric NOT NULL,
    term_units   numeric NOT NULL,
    term_value   numeric,
    drawn        numeric,
    CONSTRAINT usage_rating_state_pkey PRIMARY KEY (tenant_id, contract_id, line_no)
)
-- (every run rewrites the row of each metered line it rates: half of each page left free,
-- as for rr.contract_billing_state, so that its updates are HOT)
WITH (fillfactor = 50);
COMMENT ON TABLE rr.usage_rating_state IS 'per metered line, what billing runs have rated: every billing period that starts before rated_to is rated and billed under the rating terms whose fingerprint is rating_hash, with the counters carried into the next period; rating reads only the events and charges from rated_to on while the fingerprint matches and no event dated before it arrived since (written by the billing run, deleted by rr.undo_last_billing)';
COMMENT ON COLUMN rr.usage_rating_state.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.usage_rating_state.contract_id IS 'contract';
COMMENT ON COLUMN rr.usage_rating_state.line_no IS 'metered contract line';
COMMENT ON COLUMN rr.usage_rating_state.rated_to IS 'a boundary of the line''s billing periods: every period that starts before it is rated and billed';
COMMENT ON COLUMN rr.usage_rating_state.rating_hash IS 'fingerprint of what rating depends on (computed by rr_internal.usage_charges): a 64-bit hash of the line''s versions and their contract items, of the contract''s billing dates, grid and currency, and of its renewals';
COMMENT ON COLUMN rr.usage_rating_state.counter_from IS 'the start of the usage counter''s cycle that a period starting on rated_to counts in (rr_internal.usage_cycle_start_in)';
COMMENT ON COLUMN rr.usage_rating_state.counter IS 'what the usage of that cycle before rated_to adds up to (0 when the counter resets every period, or for a peak or a last level)';
COMMENT ON COLUMN rr.usage_rating_state.term_units IS 'the billable units rated before rated_to, over the whole term (a deposit line''s drawn units)';
COMMENT ON COLUMN rr.usage_rating_state.term_value IS 'deposit lines priced by models that price a quantity as a whole: the value of the periods rated before rated_to; NULL otherwise';
COMMENT ON COLUMN rr.usage_rating_state.drawn IS 'deposit lines: the deposit drawn by the periods rated before rated_to; NULL when none was rated or for other lines';

-- Events that arrived since rating last read them: per batch and metered line, the first of
-- its new events and the earliest usage date among them, written by the ingestion
-- statement (rr_internal.ingest_usage) and deleted by the billing run that read them
-- (rr_internal.settle_usage).  A line with one dated before its rated_to is rated whole
-- again; one that is still there after a run came in while that run was rating, so the
-- next run sees it (written unconditionally, so ingestion never reads or waits for the
-- state a concurrent run is writing).
CREATE TABLE rr.usage_arrival (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    line_no     integer NOT NULL,
    event_id    bigint NOT NULL,
    usage_date  date NOT NULL,
    CONSTRAINT usage_arrival_pkey PRIMARY KEY (tenant_id, contract_id, line_no, event_id)
);
COMMENT ON TABLE rr.usage_arrival IS 'usage events not yet seen by a billing run: per ingestion batch and metered line, the first new event and the earliest usage date (written by ingestion, deleted by the billing run that rated them); a usage date before the line''s rated_to makes the next run rate the line whole';
COMMENT ON COLUMN rr.usage_arrival.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.usage_arrival.contract_id IS 'contract';
COMMENT ON COLUMN rr.usage_arrival.line_no IS 'metered contract line the events are for';
COMMENT ON COLUMN rr.usage_arrival.event_id IS 'the first of the batch''s new events of the line';
COMMENT ON COLUMN rr.usage_arrival.usage_date IS 'the earliest usage date of the batch''s new events of the line';
