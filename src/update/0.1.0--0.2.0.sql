-- Schema migration from 0.1.0 to 0.2.0, written by hand.
--
-- The Makefile makes recurring_revenue--0.1.0--0.2.0.sql from this file followed by the
-- code of 0.2.0 (every function, view, trigger, policy, comment and privilege of the
-- install script, re-run by scripts/update-code as CREATE OR REPLACE).  So this file holds
-- only what that cannot do, in this order:
--   1. drop what 0.2.0 no longer has, and functions or views whose signature or columns
--      change (CREATE OR REPLACE cannot change them);
--   2. tables: new tables, columns, constraints and indexes, and the data they need;
--      new composite types, domains and operators;
--   3. nothing else: the code that follows re-creates the rest.
-- test/upgrade/run proves that 0.1.0 + this script equals a fresh install of 0.2.0
-- (catalog compared object by object) and that every row is kept.
-- Every change to a table, type or index in src/sql/ during 0.2.0 adds its migration here.

-- 1. What 0.2.0 no longer has.
-- Revenue planning is called by the workflows, not by statement triggers (docs/decisions.md,
-- "Layers"): the three triggers go, with their trigger functions.
DROP TRIGGER contract_activation_obligations ON rr.contract;
DROP TRIGGER contract_line_obligations ON rr.contract_line;
DROP TRIGGER invoice_line_credit_schedules ON rr.invoice_line;
DROP FUNCTION rr_internal.contract_activated();
DROP FUNCTION rr_internal.contract_line_changed();
DROP FUNCTION rr_internal.credit_note_schedules();
-- rr_internal.due_charges takes all_contracts (so that a one-contract statement is planned
-- with the contract's key alone); rr.due_charges, which called the old form, is re-created
-- by the code below.
DROP FUNCTION rr.due_charges(text, date, bigint);
DROP FUNCTION rr_internal.due_charges(text, date, bigint);

-- 2. Tables.
-- Eight references of the billing tables are checked once per statement by their writers
-- instead of by foreign keys, and their parents are guarded by triggers (the code below
-- creates rr_internal.keep_referenced_parent, rr_internal.keep_scheduled_obligation and
-- their triggers); docs/operations.md and bench/README.md give the write cost this saves.
ALTER TABLE rr.journal_line DROP CONSTRAINT journal_line_entry_fkey;
ALTER TABLE rr.journal_line DROP CONSTRAINT journal_line_currency_fkey;
ALTER TABLE rr.charge DROP CONSTRAINT charge_line_fkey;
ALTER TABLE rr.charge DROP CONSTRAINT charge_run_fkey;
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_invoice_fkey;
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_charge_fkey;
ALTER TABLE rr.invoice DROP CONSTRAINT invoice_entry_fkey;
ALTER TABLE rr.revenue_schedule_line DROP CONSTRAINT revenue_schedule_line_obligation_fkey;
-- Three more, the same way (rr_internal.keep_referenced_parent guards the contract and the
-- run, rr_internal.keep_scheduled_obligation the invoice line and takes over the key's
-- ON DELETE CASCADE); bench/README.md gives what they cost.
ALTER TABLE rr.invoice DROP CONSTRAINT invoice_contract_fkey;
ALTER TABLE rr.invoice DROP CONSTRAINT invoice_run_fkey;
ALTER TABLE rr.revenue_schedule_line DROP CONSTRAINT revenue_schedule_line_invoice_fkey;

-- Renewals (docs/catalog-and-contracts.md, "Renewals"): the append-only renewal log.  Its
-- triggers, row security, dump registration and grants come with the code below.
CREATE TABLE rr.contract_renewal (
    tenant_id    text NOT NULL,
    contract_id  bigint NOT NULL,
    renewal_no   integer NOT NULL,
    renewal_date date NOT NULL,
    previous_end date NOT NULL,
    new_end      date NOT NULL,
    event_id     bigint NOT NULL,
    renewed_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role name NOT NULL DEFAULT session_user,
    acting_role  name NOT NULL,
    CONSTRAINT contract_renewal_pkey PRIMARY KEY (tenant_id, contract_id, renewal_no),
    CONSTRAINT contract_renewal_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_renewal_no_check CHECK (renewal_no > 0),
    CONSTRAINT contract_renewal_term_check CHECK (new_end > previous_end),
    CONSTRAINT contract_renewal_date_limit_check CHECK (rr.check_date('renewal date', renewal_date)
                                                        AND rr.check_date('end date', new_end))
);
-- The renewal uplift: a percent on the template, copied to each contract at creation (0 for
-- the contracts of 0.1.0, as for every template).
ALTER TABLE rr.contract_template ADD COLUMN renewal_uplift_percent numeric NOT NULL DEFAULT 0;
ALTER TABLE rr.contract_template ADD CONSTRAINT contract_template_uplift_check CHECK (renewal_uplift_percent >= 0
                                                     AND rr.check_number('renewal uplift percent', renewal_uplift_percent));
ALTER TABLE rr.contract ADD COLUMN renewal_uplift_percent numeric NOT NULL DEFAULT 0;
ALTER TABLE rr.contract ADD CONSTRAINT contract_uplift_check CHECK (renewal_uplift_percent >= 0
                                            AND rr.check_number('renewal uplift percent', renewal_uplift_percent));

-- Amendments and upgrades (docs/catalog-and-contracts.md, "Amendments and upgrades"): the
-- append-only modification log and the changes a pending upgrade stages.  Their triggers,
-- row security, dump registration, view and grants come with the code below.
CREATE TABLE rr.contract_modification (
    tenant_id         text NOT NULL,
    modification_id   bigint GENERATED BY DEFAULT AS IDENTITY,
    contract_id       bigint NOT NULL,
    effective_date    date NOT NULL,
    action            text NOT NULL,
    changes           jsonb NOT NULL,
    facts             jsonb NOT NULL,
    derived_treatment text NOT NULL,
    applied_treatment text NOT NULL,
    reason            text,
    price_before      numeric,
    price_after       numeric,
    revenue_impact    numeric NOT NULL DEFAULT 0,
    event_id          bigint NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role      name NOT NULL DEFAULT session_user,
    acting_role       name NOT NULL,
    CONSTRAINT contract_modification_pkey PRIMARY KEY (tenant_id, modification_id),
    CONSTRAINT contract_modification_contract_fkey FOREIGN KEY (tenant_id, contract_id)
        REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_modification_action_check CHECK (action IN ('amend', 'activate_upgrade', 'rewrite')),
    CONSTRAINT contract_modification_treatment_check
        CHECK (derived_treatment IN ('separate_contract', 'prospective', 'cumulative_catch_up')
               AND applied_treatment IN ('separate_contract', 'prospective', 'cumulative_catch_up')),
    CONSTRAINT contract_modification_override_check
        CHECK (applied_treatment = derived_treatment OR pg_catalog.length(pg_catalog.btrim(reason)) > 0),
    CONSTRAINT contract_modification_date_limit_check CHECK (rr.check_date('effective date', effective_date))
);
CREATE INDEX contract_modification_contract_idx ON rr.contract_modification (tenant_id, contract_id, modification_id);
CREATE TABLE rr.pending_upgrade (
    tenant_id     text NOT NULL,
    contract_id   bigint NOT NULL,
    changes       jsonb NOT NULL DEFAULT '[]',
    started_event bigint NOT NULL,
    CONSTRAINT pending_upgrade_pkey PRIMARY KEY (tenant_id, contract_id),
    CONSTRAINT pending_upgrade_contract_fkey FOREIGN KEY (tenant_id, contract_id)
        REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT pending_upgrade_changes_check CHECK (pg_catalog.jsonb_typeof(changes) = 'array')
);
-- Catalog price changes (docs/catalog-and-contracts.md, "Price changes"): the append-only
-- log of scheduled changes and of the contract lines each moved.  Their triggers, row
-- security, dump registration and grants come with the code below.  rr.list_price and
-- rr.contract_item_prices take a date now (a trailing optional argument): the old
-- signatures go.
DROP FUNCTION rr.contract_item_prices(text, text, text);
DROP FUNCTION rr.list_price(text, text, text);
CREATE TABLE rr.price_change (
    tenant_id          text NOT NULL,
    change_id          bigint GENERATED BY DEFAULT AS IDENTITY,
    item               text,
    currency           char(3),
    contract_item      text,
    price_kind         text NOT NULL,
    price              numeric NOT NULL,
    effective_from     date NOT NULL,
    existing_contracts text NOT NULL DEFAULT 'keep',
    move_on            date,
    reason             text,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role       name NOT NULL DEFAULT session_user,
    acting_role        name NOT NULL,
    CONSTRAINT price_change_pkey PRIMARY KEY (tenant_id, change_id),
    CONSTRAINT price_change_key UNIQUE NULLS NOT DISTINCT (tenant_id, item, currency, contract_item, price_kind, effective_from),
    CONSTRAINT price_change_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT price_change_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT price_change_contract_item_fkey FOREIGN KEY (tenant_id, contract_item) REFERENCES rr.contract_item (tenant_id, code),
    CONSTRAINT price_change_target_check CHECK (
        (item IS NOT NULL AND currency IS NOT NULL AND contract_item IS NULL AND price_kind = 'list')
        OR (item IS NULL AND currency IS NULL AND contract_item IS NOT NULL AND price_kind IN ('setup', 'renewal', 'recurring'))),
    CONSTRAINT price_change_policy_check CHECK (existing_contracts IN ('keep', 'at_renewal', 'on_date')),
    CONSTRAINT price_change_move_on_check CHECK ((existing_contracts = 'on_date') = (move_on IS NOT NULL)
                                                 AND move_on >= effective_from),
    CONSTRAINT price_change_price_check CHECK (price >= 0),
    CONSTRAINT price_change_limit_check CHECK (rr.check_number('price', price)
                                               AND rr.check_date('effective date', effective_from)
                                               AND rr.check_date('move date', move_on))
);
CREATE TABLE rr.price_change_line (
    tenant_id           text NOT NULL,
    change_id           bigint NOT NULL,
    contract_id         bigint NOT NULL,
    line_no             integer NOT NULL,
    move_date           date NOT NULL,
    old_recurring_price numeric,
    new_recurring_price numeric,
    old_renewal_price   numeric,
    new_renewal_price   numeric,
    event_id            bigint NOT NULL,
    applied_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role        name NOT NULL DEFAULT session_user,
    acting_role         name NOT NULL,
    CONSTRAINT price_change_line_pkey PRIMARY KEY (tenant_id, change_id, contract_id, line_no),
    CONSTRAINT price_change_line_change_fkey FOREIGN KEY (tenant_id, change_id) REFERENCES rr.price_change (tenant_id, change_id),
    CONSTRAINT price_change_line_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
);

-- Revenue schedules on the tenant's fiscal calendar (docs/revenue.md, "Schedules on the
-- fiscal calendar"): a deferral code chooses the periods its schedules are cut into.
ALTER TABLE rr.deferral_code ADD COLUMN calendar text NOT NULL DEFAULT 'grain';
ALTER TABLE rr.deferral_code ADD CONSTRAINT deferral_code_calendar_check CHECK (calendar IN ('grain', 'fiscal'));

-- Milestones of fixed-price projects (docs/projects-and-on-demand.md): the milestone table,
-- and the charge and invoice line kind 'milestone'.  Row security, dump registration and
-- grants come with the code below.
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
ALTER TABLE rr.charge DROP CONSTRAINT charge_kind_check;
ALTER TABLE rr.charge ADD CONSTRAINT charge_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                 'release', 'breakage', 'proration',
                                                 'discount', 'adjustment', 'milestone'));
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_kind_check;
ALTER TABLE rr.invoice_line ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                       'release', 'breakage', 'proration',
                                                       'discount', 'tax', 'adjustment', 'milestone'));
