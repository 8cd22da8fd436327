-- Revenue recognition under ASC 606 / IFRS 15 (docs/revenue.md).
--
--   contract activation ──> performance obligations (one per contract line unless bundled)
--                            fixed consideration allocated by relative SSP (rr.allocate)
--                            revenue schedule per obligation (rr.spread)      [same transaction]
--   billing (rr_internal.bill)   ──> schedule lines for what the activation did not plan: usage
--                            (variable consideration), unlimited contracts, later changes
--   rr.record_progress  ──> percent-complete catch-up lines
--   rr.recognize(d)     ──> posts every due line: Cr revenue, and re-nets the contract's
--                            position into deferred revenue / unbilled receivable /
--                            contract asset (one entry per contract and fiscal period)
--   rr.close_period     ──> controller checks, then nothing posts into the period again
--
-- Rules decided where the design was silent (docs/revenue.md and docs/decisions.md repeat them):
-- * Fixed consideration of a contract with an end date = every charge rr.due_charges
--   plans through the end of the term (setup, renewal-on-activation, recurring, discounts),
--   excluding deposits (a liability, not revenue) and lines priced by a price model or whose
--   item is recognised on usage (variable consideration, recognised as invoiced).
--   Unlimited contracts have no enforceable term beyond the period billed: their charges
--   are recognised as invoiced, over each charge's service period.
-- * A setup or renewal fee is not distinct from the service of its line: it belongs to the
--   line's obligation and follows the service's pattern.  A line with no recurring charge
--   (a licence sold through its setup fee) is an obligation of its own.
-- * The obligation's method and accounts come from the item of its first line (recurring
--   item, else setup item, else renewal item); no deferral code means 'daily'.
-- * SSP of a line for the term = standalone_price (per unit and billing period) × quantity
--   × the billing periods charged (partial periods by their prorated fraction); a line with
--   no recurring charge: standalone_price × quantity.  rr.set_obligation overrides it with a
--   total, bundles lines into one obligation or marks the residual one.  A contract with
--   several obligations needs an SSP for each (or one residual obligation) as soon as one
--   of them has an SSP; when none has an SSP, each obligation keeps its own contract price
--   (a contract-wide discount, split over the lines by billing, included).  A discount
--   that belongs to specific obligations (rr.discount_obligation) is allocated to them only.

-- Per-contract ledger balances (recognition re-nets each contract's position).
CREATE INDEX journal_line_contract_idx ON rr.journal_line (tenant_id, contract_id);

-- ---------------------------------------------------------------------------------------
-- Performance obligations and revenue schedules.

CREATE TABLE rr.obligation_setting (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    line_no          integer NOT NULL,
    obligation_no    integer,
    standalone_price numeric,
    ssp_is_residual  boolean,
    CONSTRAINT obligation_setting_pkey PRIMARY KEY (tenant_id, contract_id, line_no),
    CONSTRAINT obligation_setting_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT obligation_setting_obligation_check CHECK (obligation_no > 0),
    CONSTRAINT obligation_setting_ssp_check CHECK (rr.check_number('standalone selling price', standalone_price)
                                                   AND standalone_price >= 0)
);
COMMENT ON TABLE rr.obligation_setting IS 'per contract line, before activation: the obligation it belongs to (lines sharing a number are one bundled obligation; default: its own line number), an SSP for the whole term that overrides the contract item''s, and the residual flag';

CREATE TABLE rr.performance_obligation (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    line_nos         integer[] NOT NULL,
    first_line_no    integer,
    first_line_from  date,
    item             text NOT NULL,
    method           text NOT NULL,
    grain            interval NOT NULL,
    revenue_account  text NOT NULL,
    deferred_account text NOT NULL,
    currency         char(3) NOT NULL,
    service          daterange,
    standalone_price numeric,
    is_residual      boolean NOT NULL DEFAULT false,
    contract_amount  numeric NOT NULL DEFAULT 0,
    allocated_amount numeric NOT NULL DEFAULT 0,
    CONSTRAINT performance_obligation_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no),
    -- the first line version (and so the contract): no foreign key (a lookup and a row lock
    -- per obligation, 242 ms of a 20,000-contract run): its writers take it from the contract
    -- lines they read under the contract's lock (rr_internal.create_obligations: the work
    -- table built from rr.contract_line; rr_internal.create_revenue_schedules: the lines of
    -- the charges just invoiced), and a line version with obligations can be neither deleted
    -- nor re-keyed (contract_line_obligation, which takes the contract's lock first)
    -- item and accounts: no foreign keys (a lookup and a row lock each per obligation); the
    -- writers lock what they use (rr_internal.lock_catalog) and a used row is kept
    -- (item_in_obligation, account_in_obligation)
    CONSTRAINT performance_obligation_method_check CHECK (method IN ('immediate', 'on_date', 'equal', 'equal_prorate', 'daily',
                                                                     'percent_complete', 'on_usage', 'on_payment'))
);
COMMENT ON TABLE rr.performance_obligation IS 'performance obligations of a contract (one per line unless bundled): recognition method and accounts, service period, SSP for the term, fixed consideration at contract prices and the part of the transaction price allocated to it by relative SSP';
COMMENT ON COLUMN rr.performance_obligation.first_line_no IS 'first contract line of the obligation (with first_line_from, the version it starts with); NULL for the obligation of a one-off charge (obligation_no -one_off_id), which has no contract line';
COMMENT ON COLUMN rr.performance_obligation.contract_amount IS 'fixed consideration of the obligation''s own lines at contract prices (0 when everything is variable)';
COMMENT ON COLUMN rr.performance_obligation.allocated_amount IS 'transaction price allocated by relative SSP (rr.allocate) or the residual method; the allocation lines of its schedule sum to it exactly';

CREATE TABLE rr.obligation_charge (
    tenant_id           text NOT NULL,
    contract_id         bigint NOT NULL,
    line_no             integer NOT NULL,
    line_effective_from date NOT NULL,
    kind                text NOT NULL,
    service_period      daterange NOT NULL,
    adjustment_seq      bigint NOT NULL,
    obligation_no       integer NOT NULL,
    amount              numeric NOT NULL,
    CONSTRAINT obligation_charge_pkey PRIMARY KEY (tenant_id, contract_id, line_no, line_effective_from, kind,
                                                   service_period, adjustment_seq)
    -- the obligation: no foreign key (a lookup and a row lock per planned charge, 0.7 s of a
    -- batch activation of 20,000 contracts and 3.4 s of a price change re-planning them: bench/README.md);
    -- its only writer, rr_internal.create_obligations, joins each planned charge with the
    -- obligation it has just upserted in the same call and refuses one without it (23503),
    -- and an obligation with planned charges can be neither deleted nor re-keyed
    -- (schedule_line_obligation)
);
COMMENT ON TABLE rr.obligation_charge IS 'the fixed charges planned at activation for the whole term (keyed like rr.charge), and the obligation each belongs to: billing them creates no new schedule lines, since the allocation already scheduled their revenue';

CREATE TABLE rr.revenue_schedule_line (
    tenant_id        text NOT NULL,
    schedule_line_id bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    source           text NOT NULL,
    period           daterange NOT NULL,
    recognize_on     date NOT NULL,
    amount           numeric NOT NULL,
    contract_amount  numeric NOT NULL,
    invoice_id       bigint,
    invoice_line_no  integer,
    status           text NOT NULL DEFAULT 'open',
    run_id           bigint,
    entry_id         bigint,
    posted_period    date,
    posted_on        date,
    planned_on       date NOT NULL,
    -- (the key leads with the contract and obligation, by which every reader but one finds
    -- lines, and the recognition run, that one, has them too: no second index by contract,
    -- whose entry per line cost 4.5-7.4 s of the insert of 3,000,000 schedule lines, against
    -- 7.9-9.1 s for the key alone; bench/README.md.  The id is drawn from the identity by
    -- every writer, the extension's functions alone, and a superseded line keeps it as its
    -- own key, rr.superseded_schedule_line)
    CONSTRAINT revenue_schedule_line_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no, schedule_line_id),
    -- the obligation: no foreign key (a lookup and a row lock per line, over a quarter of
    -- the lines' write cost); every writer takes it from rr.performance_obligation or from
    -- the work table it has just written there in the same call (create_obligations), and
    -- an obligation with lines can be neither deleted nor re-keyed (schedule_line_obligation)
    -- the invoice line: no foreign key either (a lookup and a row lock per line, over a third
    -- of the lines' write cost); its writers take it from the invoice lines they have just
    -- written (rr_internal.bill, through rr_internal.create_revenue_schedules; credit notes),
    -- an invoice line with schedule lines cannot be re-keyed, and the schedule lines of a
    -- draft's line go with it when its billing is undone (schedule_line_invoice_line)
    CONSTRAINT revenue_schedule_line_source_check CHECK (source IN ('allocation', 'billing', 'credit', 'progress', 'payment')),
    CONSTRAINT revenue_schedule_line_status_check CHECK (status IN ('open', 'posted')),
    CONSTRAINT revenue_schedule_line_posted_check CHECK ((status = 'posted') = (run_id IS NOT NULL AND posted_period IS NOT NULL
                                                                          AND posted_on IS NOT NULL)),
    CONSTRAINT revenue_schedule_line_billing_check CHECK ((source IN ('billing', 'credit')) = (invoice_id IS NOT NULL))
);
COMMENT ON TABLE rr.revenue_schedule_line IS 'revenue schedule lines per obligation: the period, the date from which the line is due for recognition, the allocated amount and the same at contract prices; open until a recognition run posts it (then immutable, with its run, journal entry and the fiscal period it went into)';
COMMENT ON COLUMN rr.revenue_schedule_line.source IS 'allocation (written at activation), billing (written with the invoice: usage, unlimited contracts, unplanned charges), credit (a credit note: negative lines, taken from the obligation''s future lines first, the rest on the credit date), progress (percent complete catch-up), payment (on_payment, as cash is applied)';
COMMENT ON COLUMN rr.revenue_schedule_line.posted_on IS 'date of the journal entry that recognised the line (the last due date of the lines it posted together); balances and the reconciliation as of a date count the lines posted on or before it';
COMMENT ON COLUMN rr.revenue_schedule_line.planned_on IS 'the date from which the line is part of the schedule: the activation date for a contract''s first plan, the effective date of the change that re-planned it (the lines it replaced are kept in rr.superseded_schedule_line), the document date for billing and credit lines, the measurement or application date for progress and payment lines; the reports as of a date read the lines planned by then (docs/reports.md, "Schedules as of a date")';
COMMENT ON COLUMN rr.revenue_schedule_line.contract_amount IS 'the same line at contract prices (before SSP reallocation): what separates an unbilled receivable (only time) from a contract asset (conditional)';

CREATE INDEX revenue_schedule_line_due_idx ON rr.revenue_schedule_line (tenant_id, recognize_on) WHERE status = 'open';
-- the posted lines by posting date: what the forecast and the RPO as of a date read besides
-- the open lines (the lines posted after it); one index entry per line a recognition run posts
CREATE INDEX revenue_schedule_line_posted_idx ON rr.revenue_schedule_line (tenant_id, posted_on) WHERE status = 'posted';

-- Posted lines are immutable; open lines may still be posted (status open -> posted) or go
-- with the draft invoice they came from.
CREATE FUNCTION rr_internal.freeze_posted_schedule_line()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'cannot % posted revenue schedule line %', lower(TG_OP), OLD.schedule_line_id
            USING ERRCODE = '55000',
                  DETAIL = 'Recognised revenue never changes.',
                  HINT = 'Correct recognised revenue with new schedule lines, which post as new journal entries.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION rr_internal.freeze_posted_schedule_line() IS 'trigger function: refuses changes to posted revenue schedule lines';

-- (WHEN: recognition posts open lines without a PL/pgSQL call per line)
CREATE TRIGGER revenue_schedule_line_frozen
    BEFORE UPDATE OR DELETE ON rr.revenue_schedule_line
    FOR EACH ROW WHEN (OLD.status = 'posted') EXECUTE FUNCTION rr_internal.freeze_posted_schedule_line();
CREATE TRIGGER revenue_schedule_line_no_truncate
    BEFORE TRUNCATE ON rr.revenue_schedule_line
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The open schedule lines a re-plan replaced (rr_internal.create_obligations, the cumulative
-- catch-up of an amendment), with the effective date of the change that replaced them: the
-- reports as of an earlier date read them (docs/reports.md, "Schedules as of a date"), so
-- that a change dated later does not alter what they answered.  Moved here by the function
-- that replaces them, in the same statement; a later re-plan dated earlier than their
-- replacement moves superseded_on back to its own date (a back-dated change restates the
-- schedule from its date, as it does the contract).  Never recognised: only open lines are
-- replaced.
CREATE TABLE rr.superseded_schedule_line (
    tenant_id        text NOT NULL,
    schedule_line_id bigint NOT NULL,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    source           text NOT NULL,
    period           daterange NOT NULL,
    recognize_on     date NOT NULL,
    amount           numeric NOT NULL,
    contract_amount  numeric NOT NULL,
    planned_on       date NOT NULL,
    superseded_on    date NOT NULL,
    CONSTRAINT superseded_schedule_line_pkey PRIMARY KEY (tenant_id, schedule_line_id)
    -- the obligation: no foreign key, as for rr.revenue_schedule_line (schedule_line_obligation
    -- keeps an obligation these lines name)
);
COMMENT ON TABLE rr.superseded_schedule_line IS 'revenue schedule lines a re-plan replaced while open, as they were, with the date from which they were part of the schedule (planned_on) and the effective date of the change that replaced them (superseded_on): the schedule as of a date in [planned_on, superseded_on) holds them (docs/reports.md, "Schedules as of a date")';
COMMENT ON COLUMN rr.superseded_schedule_line.schedule_line_id IS 'the id the line had in rr.revenue_schedule_line';
COMMENT ON COLUMN rr.superseded_schedule_line.planned_on IS 'the date from which the line was part of the schedule (rr.revenue_schedule_line.planned_on)';
COMMENT ON COLUMN rr.superseded_schedule_line.superseded_on IS 'the effective date of the change that replaced the line (of the earliest, when a later re-plan was dated before it): from this date on the schedule no longer holds it';
CREATE INDEX superseded_schedule_line_obligation_idx ON rr.superseded_schedule_line (tenant_id, contract_id, obligation_no);
-- (the reports as of a date read the lines superseded after it: for a recent date, the
-- few superseded by changes dated later, a range of this index rather than the history)
CREATE INDEX superseded_schedule_line_superseded_idx ON rr.superseded_schedule_line (tenant_id, superseded_on);
CREATE TRIGGER superseded_schedule_line_no_truncate
    BEFORE TRUNCATE ON rr.superseded_schedule_line
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- The transaction price allocated to each obligation recognised by percent complete or on
-- payment, from the date each plan of it takes effect: such an obligation is scheduled by its
-- measurements and payments, so what of its allocation is not measured or paid by a date is
-- in no schedule line, and the remaining performance obligations as of a date add it from
-- the allocation as it stood then (docs/reports.md, "Revenue forecast and RPO").  Written by
-- rr_internal.create_obligations with every plan of such an obligation (its first on the
-- activation date, each re-plan on the date the change takes effect); a re-plan dated
-- before a later one replaces that one's row, as it supersedes its schedule lines.
CREATE TABLE rr.obligation_allocation (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    allocated_on     date NOT NULL,
    allocated_amount numeric NOT NULL,
    service          daterange,
    CONSTRAINT obligation_allocation_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no, allocated_on)
    -- the obligation: no foreign key, as for rr.revenue_schedule_line (schedule_line_obligation
    -- keeps an obligation these rows name)
);
COMMENT ON TABLE rr.obligation_allocation IS 'the transaction price allocated to each obligation recognised by percent complete or on payment, from the date each plan of it takes effect (its activation, a change): the remaining performance obligations as of a date add what of the allocation then in force was not yet measured or paid (docs/reports.md, "Revenue forecast and RPO")';
COMMENT ON COLUMN rr.obligation_allocation.allocated_on IS 'the date the plan takes effect: the allocation is the obligation''s from this date until the next row''s';
COMMENT ON COLUMN rr.obligation_allocation.allocated_amount IS 'rr.performance_obligation.allocated_amount as that plan set it';
COMMENT ON COLUMN rr.obligation_allocation.service IS 'rr.performance_obligation.service as that plan set it: what is not measured or paid is due on its last day';
CREATE TRIGGER obligation_allocation_no_truncate
    BEFORE TRUNCATE ON rr.obligation_allocation
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- What each contract with an end date was booked at, written once, when its obligations are
-- first planned (its activation: rr_internal.create_obligations): the total contract value
-- and the term it covered then.  rr.bookings reads it, so that a later change, renewal or
-- termination, which re-plans the obligations, does not restate a past booking
-- (docs/reports.md, "Bookings").  Append-only.
CREATE TABLE rr.contract_booking (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    booked_on   date NOT NULL,
    end_date    date NOT NULL,
    tcv         numeric NOT NULL,
    CONSTRAINT contract_booking_pkey PRIMARY KEY (tenant_id, contract_id),
    CONSTRAINT contract_booking_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
);
COMMENT ON TABLE rr.contract_booking IS 'the booking of each contract with an end date, as it stood on activation (append-only): the date, the end of the term then and the total contract value then (the sum of its performance obligations'' contract amounts); rr.bookings reads it';
COMMENT ON COLUMN rr.contract_booking.booked_on IS 'the activation date';
COMMENT ON COLUMN rr.contract_booking.end_date IS 'the end of the term on activation (a later renewal or termination does not change it)';
COMMENT ON COLUMN rr.contract_booking.tcv IS 'total contract value on activation: the fixed consideration of the term at contract prices, the sum of the obligations'' contract amounts as first planned';
CREATE TRIGGER contract_booking_append_only
    BEFORE UPDATE OR DELETE ON rr.contract_booking
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER contract_booking_no_truncate
    BEFORE TRUNCATE ON rr.contract_booking
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

-- Schedule lines refer to their obligation and invoice line, and planned charges to their
-- obligation, without foreign keys (rr.revenue_schedule_line, rr.obligation_charge): an
-- obligation with schedule lines or planned charges can be neither deleted nor re-keyed,
-- nor an invoice line with schedule lines re-keyed, checked after the statement like a foreign key
-- (as rr_internal.keep_referenced_parent does for billing); a deleted invoice line (a
-- draft's) takes its schedule lines with it.
CREATE FUNCTION rr_internal.keep_scheduled_obligation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parent text;
    key text;
    -- the referring table, and what to do instead, for the one error raised at the end
    child text := 'revenue_schedule_line';
    hint text := 'Undo a draft with rr.undo_last_billing; billed, planned and posted rows are corrected by new ones, never removed.';
    -- an invoice line's contract (its invoice's)
    contract bigint;
BEGIN
    -- on DELETE, NEW is null, so its key differs from OLD's
    IF rr_internal.trigger_table(TG_TABLE_NAME) = 'contract_line' THEN
        -- a line version that obligations name as their first: the contract's lock first, as
        -- rr_internal.keep_referenced_parent takes it, so a writer holding it is waited for
        IF (NEW.tenant_id, NEW.contract_id, NEW.line_no, NEW.effective_from)
           IS DISTINCT FROM (OLD.tenant_id, OLD.contract_id, OLD.line_no, OLD.effective_from) THEN
            PERFORM FROM rr.contract k WHERE k.tenant_id = OLD.tenant_id AND k.contract_id = OLD.contract_id FOR UPDATE;
            IF EXISTS (SELECT FROM rr.performance_obligation o
                        WHERE o.tenant_id = OLD.tenant_id AND o.contract_id = OLD.contract_id
                          AND o.first_line_no = OLD.line_no AND o.first_line_from = OLD.effective_from) THEN
                RAISE EXCEPTION 'cannot % contract_line row: table "performance_obligation" refers to it', lower(TG_OP)
                    USING ERRCODE = '23503',
                          DETAIL = format('Key (tenant_id, contract_id, line_no, effective_from)=(%s, %s, %s, %s) is still referenced from table "performance_obligation".',
                                          OLD.tenant_id, OLD.contract_id, OLD.line_no, OLD.effective_from),
                          HINT = 'Change a contract with a new line version; planned and billed rows are corrected by new ones, never removed.';
            END IF;
        END IF;
    ELSIF rr_internal.trigger_table(TG_TABLE_NAME) = 'performance_obligation' THEN
        parent := 'performance_obligation';
        IF (NEW.tenant_id, NEW.contract_id, NEW.obligation_no)
           IS DISTINCT FROM (OLD.tenant_id, OLD.contract_id, OLD.obligation_no) THEN
            IF EXISTS (SELECT FROM rr.revenue_schedule_line l
                        WHERE l.tenant_id = OLD.tenant_id AND l.contract_id = OLD.contract_id
                          AND l.obligation_no = OLD.obligation_no) THEN
                child := 'revenue_schedule_line';
            -- or lines a re-plan replaced (rr.superseded_schedule_line), which the reports as
            -- of an earlier date still read with their obligation
            ELSIF EXISTS (SELECT FROM rr.superseded_schedule_line l
                           WHERE l.tenant_id = OLD.tenant_id AND l.contract_id = OLD.contract_id
                             AND l.obligation_no = OLD.obligation_no) THEN
                child := 'superseded_schedule_line';
                hint := 'Obligations stay with their schedules, current and superseded; re-plan a contract with rr_internal.create_obligations.';
            -- or its allocation history (rr.obligation_allocation), read as of earlier dates
            ELSIF EXISTS (SELECT FROM rr.obligation_allocation a
                           WHERE a.tenant_id = OLD.tenant_id AND a.contract_id = OLD.contract_id
                             AND a.obligation_no = OLD.obligation_no) THEN
                child := 'obligation_allocation';
                hint := 'Obligations stay with their allocation history; re-plan a contract with rr_internal.create_obligations.';
            -- or planned charges (rr.obligation_charge: the contract's, read by the prefix
            -- of their primary key)
            ELSIF EXISTS (SELECT FROM rr.obligation_charge p
                           WHERE p.tenant_id = OLD.tenant_id AND p.contract_id = OLD.contract_id
                             AND p.obligation_no = OLD.obligation_no) THEN
                child := 'obligation_charge';
                hint := 'Re-plan a contract with rr_internal.create_obligations; planned rows are replaced with their obligations, never removed alone.';
            ELSE
                child := NULL;
            END IF;
            IF child IS NOT NULL THEN
                key := format('(tenant_id, contract_id, obligation_no)=(%s, %s, %s)',
                              OLD.tenant_id, OLD.contract_id, OLD.obligation_no);
            END IF;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        -- an invoice line: its schedule lines go with it, as the foreign key's ON DELETE
        -- CASCADE did (only a draft's lines can be deleted: rr.undo_last_billing), found
        -- among its invoice's contract's (the primary key, which leads with the contract: no
        -- index by invoice line, one index entry less per schedule line a run writes); an invoice
        -- deleted in the same statement as its lines no longer names its contract, and its
        -- lines' schedule lines are then looked for by invoice alone (rr.undo_last_billing
        -- deletes a draft's lines before the draft)
        SELECT i.contract_id INTO contract FROM rr.invoice i
         WHERE i.tenant_id = OLD.tenant_id AND i.invoice_id = OLD.invoice_id;
        IF FOUND THEN
            DELETE FROM rr.revenue_schedule_line l
             WHERE l.tenant_id = OLD.tenant_id AND l.contract_id = contract
               AND l.invoice_id = OLD.invoice_id AND l.invoice_line_no = OLD.line_no;
        ELSE
            DELETE FROM rr.revenue_schedule_line l
             WHERE l.tenant_id = OLD.tenant_id AND l.invoice_id = OLD.invoice_id AND l.invoice_line_no = OLD.line_no;
        END IF;
    ELSIF (NEW.tenant_id, NEW.invoice_id, NEW.line_no) IS DISTINCT FROM (OLD.tenant_id, OLD.invoice_id, OLD.line_no) THEN
        -- an invoice line re-keyed: refused while schedule lines refer to it (found as above)
        SELECT i.contract_id INTO contract FROM rr.invoice i
         WHERE i.tenant_id = OLD.tenant_id AND i.invoice_id = OLD.invoice_id;
        IF EXISTS (SELECT FROM rr.revenue_schedule_line l
                    WHERE l.tenant_id = OLD.tenant_id AND (contract IS NULL OR l.contract_id = contract)
                      AND l.invoice_id = OLD.invoice_id AND l.invoice_line_no = OLD.line_no) THEN
            parent := 'invoice_line';
            key := format('(tenant_id, invoice_id, line_no)=(%s, %s, %s)', OLD.tenant_id, OLD.invoice_id, OLD.line_no);
        END IF;
    END IF;
    IF key IS NOT NULL THEN
        RAISE EXCEPTION 'cannot % % row: table "%" refers to it', lower(TG_OP), parent, child
            USING ERRCODE = '23503',
                  DETAIL = format('Key %s is still referenced from table "%s".', key, child),
                  HINT = hint;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION rr_internal.keep_scheduled_obligation() IS 'trigger function: refuses deleting or re-keying a contract line version that performance obligations name as their first, a performance obligation that revenue schedule lines (current or superseded), its allocation history (rr.obligation_allocation) or planned charges (rr.obligation_charge) refer to, and re-keying an invoice line that revenue schedule lines refer to; a deleted (draft) invoice line takes its schedule lines with it';
REVOKE ALL ON FUNCTION rr_internal.keep_scheduled_obligation() FROM PUBLIC;

CREATE TRIGGER schedule_line_obligation
    AFTER UPDATE OF tenant_id, contract_id, obligation_no OR DELETE ON rr.performance_obligation
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_scheduled_obligation();

-- the first line version of obligations (no foreign key: rr.performance_obligation)
CREATE TRIGGER contract_line_obligation
    AFTER UPDATE OF tenant_id, contract_id, line_no, effective_from OR DELETE ON rr.contract_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_scheduled_obligation();

-- the item and accounts of obligations (no foreign keys: rr.performance_obligation)
CREATE TRIGGER item_in_obligation
    AFTER UPDATE OF tenant_id, code OR DELETE ON rr.item
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_used_catalog('rr.performance_obligation', 'item');
CREATE TRIGGER account_in_obligation
    AFTER UPDATE OF tenant_id, code OR DELETE ON rr.account
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_used_catalog('rr.performance_obligation', 'revenue_account',
                                                                'rr.performance_obligation', 'deferred_account');

-- the invoice line of billed or credited revenue (no foreign key: rr.revenue_schedule_line)
CREATE TRIGGER schedule_line_invoice_line
    AFTER UPDATE OF tenant_id, invoice_id, line_no OR DELETE ON rr.invoice_line
    FOR EACH ROW EXECUTE FUNCTION rr_internal.keep_scheduled_obligation();

CREATE TABLE rr.progress_entry (
    tenant_id     text NOT NULL,
    progress_id   bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id   bigint NOT NULL,
    obligation_no integer NOT NULL,
    as_of         date NOT NULL,
    percent       numeric NOT NULL,
    is_reversal   boolean NOT NULL DEFAULT false,
    reason        text,
    catch_up      numeric NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    session_role  name NOT NULL DEFAULT rr_internal.session_role(),
    CONSTRAINT progress_entry_pkey PRIMARY KEY (tenant_id, progress_id),
    CONSTRAINT progress_entry_obligation_fkey FOREIGN KEY (tenant_id, contract_id, obligation_no)
        REFERENCES rr.performance_obligation (tenant_id, contract_id, obligation_no),
    CONSTRAINT progress_entry_percent_check CHECK (percent BETWEEN 0 AND 100),
    CONSTRAINT progress_entry_as_of_check CHECK (rr.check_date('progress date', as_of)),
    CONSTRAINT progress_entry_reversal_check CHECK (NOT is_reversal OR reason IS NOT NULL)
);
COMMENT ON TABLE rr.progress_entry IS 'append-only progress measurements of percent-complete obligations: cumulative percent as of a date, the catch-up amount it scheduled, and for a measurement below the previous one the explicit reversal with its reason';

CREATE TRIGGER progress_entry_append_only
    BEFORE UPDATE OR DELETE ON rr.progress_entry
    FOR EACH ROW EXECUTE FUNCTION rr_internal.refuse_change();
CREATE TRIGGER progress_entry_no_truncate
    BEFORE TRUNCATE ON rr.progress_entry
    FOR EACH STATEMENT EXECUTE FUNCTION rr_internal.refuse_change();

CREATE TABLE rr.recognition_run (
    tenant_id    text NOT NULL,
    run_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    through      date NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role name NOT NULL DEFAULT rr_internal.session_role(),
    CONSTRAINT recognition_run_pkey PRIMARY KEY (tenant_id, run_id),
    CONSTRAINT recognition_run_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id)
);
COMMENT ON TABLE rr.recognition_run IS 'recognition runs: the date recognised through, who and when; the journal entries of a run name it as their source';
