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
-- The tenant-setting contract (docs/security.md, "Tenancy"): rr.tenant_member is written by
-- rr.add_tenant_member and rr.remove_tenant_member only, and a role sees the members of
-- the current tenant, like every tenant table; membership itself is the tenant's group
-- role (created below for every tenant, granted to every member recorded here).
DROP POLICY tenant_member_own ON rr.tenant_member;
DROP POLICY tenant_member_admin ON rr.tenant_member;
-- Revenue planning is called by the workflows, not by statement triggers (docs/decisions.md,
-- "Layers"): the three triggers go, with their trigger functions.
DROP TRIGGER contract_activation_obligations ON rr.contract;
DROP TRIGGER contract_line_obligations ON rr.contract_line;
DROP TRIGGER invoice_line_credit_schedules ON rr.invoice_line;
DROP FUNCTION rr_internal.contract_activated();
DROP FUNCTION rr_internal.contract_line_changed();
DROP FUNCTION rr_internal.credit_note_schedules();
-- The journal's integrity is checked by the functions that write it
-- (rr_internal.check_journal), not by statement triggers with transition tables: the
-- balance trigger of the lines and the closed-period trigger of the entries go.
DROP TRIGGER journal_line_balanced ON rr.journal_line;
DROP TRIGGER journal_entry_open_period ON rr.journal_entry;
DROP FUNCTION rr_internal.check_journal_balance();
DROP FUNCTION rr_internal.refuse_closed_period_posting();
-- ... and the fiscal calendar's tiling by the functions that write it
-- (rr_internal.check_fiscal_periods(tenant); custom calendars through rr.add_fiscal_periods)
DROP TRIGGER fiscal_period_no_overlap_insert ON rr.fiscal_period;
DROP TRIGGER fiscal_period_no_overlap_update ON rr.fiscal_period;
DROP FUNCTION rr_internal.check_fiscal_periods();
-- rr_internal.due_charges takes all_contracts (so that a one-contract statement is planned
-- with the contract's key alone); rr.due_charges, which called the old form, is re-created
-- by the code below.
DROP FUNCTION rr.due_charges(text, date, bigint);
DROP FUNCTION rr_internal.due_charges(text, date, bigint);

-- rr_internal.create_obligations takes the date a re-plan takes effect (docs/reports.md,
-- "Schedules as of a date"); the code below creates it with its new signature.
DROP FUNCTION rr_internal.create_obligations(text, bigint[], date[]);

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
-- And the planned charges' key to their obligation: rr_internal.create_obligations, their
-- only writer, joins each with the obligation it has just upserted, and
-- rr_internal.keep_scheduled_obligation keeps an obligation with planned charges.
ALTER TABLE rr.obligation_charge DROP CONSTRAINT obligation_charge_obligation_fkey;
-- And the journal entries' key to their fiscal period: rr_internal.check_journal looks up
-- and locks the periods of the entries every writer wrote, and period_in_journal keeps a
-- period that entries name (both created by the code below).
ALTER TABLE rr.journal_entry DROP CONSTRAINT journal_entry_period_fkey;
-- Seven keys of documents to catalog rows (customer, item, tax code, the obligations'
-- item and accounts, the journal lines' account): the writers lock the catalog rows they
-- use (rr_internal.lock_catalog) and the catalog keeps a used row
-- (rr_internal.keep_used_catalog and its triggers, created by the code below).
ALTER TABLE rr.invoice DROP CONSTRAINT invoice_customer_fkey;
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_item_fkey;
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_tax_code_fkey;
ALTER TABLE rr.performance_obligation DROP CONSTRAINT performance_obligation_item_fkey;
ALTER TABLE rr.performance_obligation DROP CONSTRAINT performance_obligation_revenue_fkey;
ALTER TABLE rr.performance_obligation DROP CONSTRAINT performance_obligation_deferred_fkey;
ALTER TABLE rr.journal_line DROP CONSTRAINT journal_line_account_fkey;
-- The obligations' key to their first line version, the same way (the writers take the
-- line under the contract's lock; contract_line_obligation, created by the code below,
-- keeps a line version that obligations name).
ALTER TABLE rr.performance_obligation DROP CONSTRAINT performance_obligation_line_fkey;

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
-- Exchange rates and functional-currency amounts (docs/dunning-and-currencies.md): the
-- rate table, and the functional amounts of journal lines (NULL on the lines of 0.1.0:
-- they were never converted).  The triggers, row security, dump registration and grants
-- come with the code below.
CREATE TABLE rr.exchange_rate (
    tenant_id     text NOT NULL,
    from_currency char(3) NOT NULL,
    to_currency   char(3) NOT NULL,
    rate_date     date NOT NULL,
    rate          numeric NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT exchange_rate_pkey PRIMARY KEY (tenant_id, from_currency, to_currency, rate_date),
    CONSTRAINT exchange_rate_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT exchange_rate_from_fkey FOREIGN KEY (from_currency) REFERENCES rr.currency (code),
    CONSTRAINT exchange_rate_to_fkey FOREIGN KEY (to_currency) REFERENCES rr.currency (code),
    CONSTRAINT exchange_rate_pair_check CHECK (from_currency <> to_currency),
    CONSTRAINT exchange_rate_rate_check CHECK (rr.check_number('exchange rate', rate) AND rate > 0),
    CONSTRAINT exchange_rate_date_limit_check CHECK (rr.check_date('rate date', rate_date))
);
ALTER TABLE rr.journal_line ADD COLUMN functional_currency char(3);
ALTER TABLE rr.journal_line ADD COLUMN functional_debit numeric;
ALTER TABLE rr.journal_line ADD COLUMN functional_credit numeric;
ALTER TABLE rr.journal_line ADD CONSTRAINT journal_line_functional_check
    CHECK ((functional_currency IS NULL) = (functional_debit IS NULL)
           AND (functional_currency IS NULL) = (functional_credit IS NULL)
           AND functional_debit >= 0 AND functional_credit >= 0
           AND rr.check_number('functional debit', functional_debit)
           AND rr.check_number('functional credit', functional_credit));
-- Dunning (docs/dunning-and-currencies.md): policies, their stages, the customers' own
-- policies and the append-only log of actions.  Their triggers, row security, dump
-- registration and grants come with the code below.
CREATE TABLE rr.dunning_policy (
    tenant_id  text NOT NULL,
    code       text NOT NULL,
    name       text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    CONSTRAINT dunning_policy_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT dunning_policy_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT dunning_policy_code_check CHECK (code <> '')
);
CREATE UNIQUE INDEX dunning_policy_default_idx ON rr.dunning_policy (tenant_id) WHERE is_default;
CREATE TABLE rr.dunning_stage (
    tenant_id    text NOT NULL,
    policy       text NOT NULL,
    stage_no     integer NOT NULL,
    days_overdue integer NOT NULL,
    action       text NOT NULL,
    CONSTRAINT dunning_stage_pkey PRIMARY KEY (tenant_id, policy, stage_no),
    CONSTRAINT dunning_stage_days_key UNIQUE (tenant_id, policy, days_overdue),
    CONSTRAINT dunning_stage_policy_fkey FOREIGN KEY (tenant_id, policy) REFERENCES rr.dunning_policy (tenant_id, code)
        ON DELETE CASCADE,
    CONSTRAINT dunning_stage_no_check CHECK (stage_no > 0),
    CONSTRAINT dunning_stage_days_check CHECK (days_overdue BETWEEN 1 AND 3660),
    CONSTRAINT dunning_stage_action_check CHECK (action IN ('reminder', 'notice', 'final_notice', 'suspend'))
);
CREATE TABLE rr.customer_dunning_policy (
    tenant_id text NOT NULL,
    customer  text NOT NULL,
    policy    text NOT NULL,
    CONSTRAINT customer_dunning_policy_pkey PRIMARY KEY (tenant_id, customer),
    CONSTRAINT customer_dunning_policy_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT customer_dunning_policy_policy_fkey FOREIGN KEY (tenant_id, policy) REFERENCES rr.dunning_policy (tenant_id, code)
);
CREATE TABLE rr.dunning_action (
    tenant_id      text NOT NULL,
    action_id      bigint GENERATED BY DEFAULT AS IDENTITY,
    invoice_id     bigint NOT NULL,
    customer       text NOT NULL,
    policy         text NOT NULL,
    stage_no       integer NOT NULL,
    action         text NOT NULL,
    due_on         date NOT NULL,
    as_of          date NOT NULL,
    days_overdue   integer NOT NULL,
    currency       char(3) NOT NULL,
    balance        numeric NOT NULL,
    outbox_event_id bigint NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role   name NOT NULL DEFAULT session_user,
    acting_role    name NOT NULL,
    CONSTRAINT dunning_action_pkey PRIMARY KEY (tenant_id, action_id),
    CONSTRAINT dunning_action_stage_key UNIQUE (tenant_id, invoice_id, policy, stage_no),
    CONSTRAINT dunning_action_invoice_fkey FOREIGN KEY (tenant_id, invoice_id) REFERENCES rr.invoice (tenant_id, invoice_id),
    CONSTRAINT dunning_action_balance_check CHECK (balance > 0 AND rr.check_number('balance', balance)),
    CONSTRAINT dunning_action_date_limit_check CHECK (rr.check_date('due date', due_on) AND rr.check_date('dunning date', as_of))
);
CREATE INDEX dunning_action_invoice_idx ON rr.dunning_action (tenant_id, invoice_id, stage_no);

-- Trials, pauses, coupons and promotion codes (docs/trials-pauses-coupons.md).  Their row
-- security, dump registration and grants come with the code below.
ALTER TABLE rr.contract_template ADD COLUMN pause_extends_term boolean NOT NULL DEFAULT false;
ALTER TABLE rr.contract ADD COLUMN pause_extends_term boolean NOT NULL DEFAULT false;
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
CREATE TABLE rr.coupon (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    kind             text NOT NULL,
    value            numeric NOT NULL,
    currency         char(3),
    duration         text NOT NULL DEFAULT 'once',
    duration_periods integer,
    max_redemptions  integer,
    max_per_customer integer,
    redeem_by        date,
    account          text NOT NULL DEFAULT '4950',
    description      text,
    is_active        boolean NOT NULL DEFAULT true,
    CONSTRAINT coupon_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT coupon_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES rr.tenant (tenant_id),
    CONSTRAINT coupon_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT coupon_account_fkey FOREIGN KEY (tenant_id, account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT coupon_code_check CHECK (code OPERATOR(pg_catalog.<>) '' AND length(code) <= 100),
    CONSTRAINT coupon_kind_check CHECK (kind IN ('percent', 'amount')),
    CONSTRAINT coupon_value_check CHECK (value > 0 AND (kind = 'amount' OR value <= 100)),
    CONSTRAINT coupon_currency_check CHECK ((kind = 'amount') = (currency IS NOT NULL)),
    CONSTRAINT coupon_duration_check CHECK (duration IN ('once', 'repeating', 'forever')
                                            AND (duration = 'repeating') = (duration_periods IS NOT NULL)),
    CONSTRAINT coupon_periods_check CHECK (duration_periods BETWEEN 1 AND 1200),
    CONSTRAINT coupon_limits_check CHECK (max_redemptions > 0 AND max_per_customer > 0),
    CONSTRAINT coupon_limit_check CHECK (rr.check_number('coupon value', value)
                                         AND rr.check_date('redeem by date', redeem_by))
);
CREATE TABLE rr.promotion_code (
    tenant_id        text NOT NULL,
    code             text NOT NULL,
    coupon           text NOT NULL,
    customer         text,
    max_redemptions  integer,
    max_per_customer integer,
    redeem_by        date,
    is_active        boolean NOT NULL DEFAULT true,
    CONSTRAINT promotion_code_pkey PRIMARY KEY (tenant_id, code),
    CONSTRAINT promotion_code_coupon_fkey FOREIGN KEY (tenant_id, coupon) REFERENCES rr.coupon (tenant_id, code),
    CONSTRAINT promotion_code_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT promotion_code_code_check CHECK (code OPERATOR(pg_catalog.=) upper(code) AND code OPERATOR(pg_catalog.<>) ''
                                                AND length(code) <= 100),
    CONSTRAINT promotion_code_limits_check CHECK (max_redemptions > 0 AND max_per_customer > 0),
    CONSTRAINT promotion_code_limit_check CHECK (rr.check_date('redeem by date', redeem_by))
);
CREATE TABLE rr.coupon_redemption (
    tenant_id      text NOT NULL,
    redemption_id  bigint GENERATED BY DEFAULT AS IDENTITY,
    coupon         text NOT NULL,
    promotion_code text,
    contract_id    bigint NOT NULL,
    customer       text NOT NULL,
    redeemed_on    date NOT NULL,
    discount_id    bigint NOT NULL,
    acting_role    name NOT NULL,
    redeemed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT coupon_redemption_pkey PRIMARY KEY (tenant_id, redemption_id),
    CONSTRAINT coupon_redemption_coupon_fkey FOREIGN KEY (tenant_id, coupon) REFERENCES rr.coupon (tenant_id, code),
    CONSTRAINT coupon_redemption_code_fkey FOREIGN KEY (tenant_id, promotion_code) REFERENCES rr.promotion_code (tenant_id, code),
    CONSTRAINT coupon_redemption_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT coupon_redemption_discount_fkey FOREIGN KEY (tenant_id, discount_id) REFERENCES rr.discount (tenant_id, discount_id),
    CONSTRAINT coupon_redemption_once_key UNIQUE (tenant_id, contract_id, coupon),
    CONSTRAINT coupon_redemption_date_check CHECK (rr.check_date('redemption date', redeemed_on))
);
CREATE INDEX coupon_redemption_coupon_idx ON rr.coupon_redemption (tenant_id, coupon, customer);
CREATE INDEX coupon_redemption_code_idx ON rr.coupon_redemption (tenant_id, promotion_code, customer);
CREATE INDEX coupon_redemption_discount_idx ON rr.coupon_redemption (tenant_id, discount_id);

-- Prepaid credit wallets (docs/commitments-and-wallets.md): the wallets and their
-- append-only movements; journal entries of source 'wallet'.  Their triggers, row
-- security, dump registration, comments and grants come with the code below.
ALTER TABLE rr.journal_entry DROP CONSTRAINT journal_entry_source_check;
ALTER TABLE rr.journal_entry ADD CONSTRAINT journal_entry_source_check
    CHECK (source IN ('invoice', 'credit_note', 'payment', 'recognition', 'manual', 'wallet'));
CREATE TABLE rr.wallet (
    tenant_id         text NOT NULL,
    wallet_id         bigint GENERATED BY DEFAULT AS IDENTITY,
    customer          text NOT NULL,
    currency          char(3) NOT NULL,
    scope             text NOT NULL DEFAULT 'all',
    liability_account text NOT NULL DEFAULT '2300',
    cash_account      text NOT NULL DEFAULT '1200',
    breakage_account  text NOT NULL DEFAULT '4900',
    balance           numeric NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role      name NOT NULL DEFAULT session_user,
    CONSTRAINT wallet_pkey PRIMARY KEY (tenant_id, wallet_id),
    CONSTRAINT wallet_customer_key UNIQUE (tenant_id, customer, currency),
    CONSTRAINT wallet_customer_fkey FOREIGN KEY (tenant_id, customer) REFERENCES rr.customer (tenant_id, code),
    CONSTRAINT wallet_currency_fkey FOREIGN KEY (currency) REFERENCES rr.currency (code),
    CONSTRAINT wallet_liability_account_fkey FOREIGN KEY (tenant_id, liability_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT wallet_cash_account_fkey FOREIGN KEY (tenant_id, cash_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT wallet_breakage_account_fkey FOREIGN KEY (tenant_id, breakage_account) REFERENCES rr.account (tenant_id, code),
    CONSTRAINT wallet_scope_check CHECK (scope IN ('all', 'usage')),
    CONSTRAINT wallet_balance_check CHECK (balance >= 0),
    CONSTRAINT wallet_limit_check CHECK (rr.check_number('balance', balance))
);
CREATE TABLE rr.wallet_entry (
    tenant_id        text NOT NULL,
    entry_id         bigint GENERATED BY DEFAULT AS IDENTITY,
    wallet_id        bigint NOT NULL,
    kind             text NOT NULL,
    lot_id           bigint,
    amount           numeric NOT NULL,
    entry_date       date NOT NULL,
    expires_on       date,
    invoice_id       bigint,
    reference        text,
    journal_entry_id bigint NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role     name NOT NULL DEFAULT session_user,
    CONSTRAINT wallet_entry_pkey PRIMARY KEY (tenant_id, entry_id),
    CONSTRAINT wallet_entry_wallet_fkey FOREIGN KEY (tenant_id, wallet_id) REFERENCES rr.wallet (tenant_id, wallet_id),
    CONSTRAINT wallet_entry_lot_fkey FOREIGN KEY (tenant_id, lot_id) REFERENCES rr.wallet_entry (tenant_id, entry_id),
    CONSTRAINT wallet_entry_invoice_fkey FOREIGN KEY (tenant_id, invoice_id) REFERENCES rr.invoice (tenant_id, invoice_id),
    CONSTRAINT wallet_entry_journal_fkey FOREIGN KEY (tenant_id, journal_entry_id) REFERENCES rr.journal_entry (tenant_id, entry_id),
    CONSTRAINT wallet_entry_kind_check CHECK (kind IN ('top_up', 'drawdown', 'expiry')),
    CONSTRAINT wallet_entry_lot_check CHECK ((kind = 'top_up') = (lot_id IS NULL)),
    CONSTRAINT wallet_entry_invoice_check CHECK ((kind = 'drawdown') = (invoice_id IS NOT NULL)),
    CONSTRAINT wallet_entry_expiry_check CHECK (expires_on IS NULL OR (kind = 'top_up' AND expires_on > entry_date)),
    CONSTRAINT wallet_entry_amount_check CHECK (amount > 0),
    CONSTRAINT wallet_entry_limit_check CHECK (rr.check_number('amount', amount) AND rr.check_date('wallet date', entry_date)
                                               AND rr.check_date('expiry date', expires_on))
);
CREATE INDEX wallet_entry_wallet_idx ON rr.wallet_entry (tenant_id, wallet_id, entry_id);
CREATE INDEX wallet_entry_lot_idx ON rr.wallet_entry (tenant_id, lot_id) WHERE lot_id IS NOT NULL;
CREATE INDEX wallet_entry_invoice_idx ON rr.wallet_entry (tenant_id, invoice_id) WHERE invoice_id IS NOT NULL;

-- Minimum commitments (docs/commitments-and-wallets.md): the commitments of contracts and
-- the charge kind true_up of their true-ups.  Triggers, row security, dump registration,
-- comments and grants come with the code below.
ALTER TABLE rr.charge DROP CONSTRAINT charge_kind_check;
ALTER TABLE rr.charge ADD CONSTRAINT charge_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                 'release', 'breakage', 'proration',
                                                 'discount', 'adjustment', 'true_up'));
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_kind_check;
ALTER TABLE rr.invoice_line ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                       'release', 'breakage', 'proration',
                                                       'discount', 'tax', 'adjustment', 'true_up'));
CREATE TABLE rr.contract_commitment (
    tenant_id       text NOT NULL,
    contract_id     bigint NOT NULL,
    commitment_no   integer NOT NULL,
    amount          numeric NOT NULL,
    per             text NOT NULL,
    every           interval,
    line_nos        integer[],
    true_up_line_no integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role    name NOT NULL DEFAULT session_user,
    CONSTRAINT contract_commitment_pkey PRIMARY KEY (tenant_id, contract_id, commitment_no),
    CONSTRAINT contract_commitment_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT contract_commitment_per_check CHECK (per IN ('period', 'term') AND ((per = 'period') = (every IS NOT NULL))),
    CONSTRAINT contract_commitment_amount_check CHECK (amount > 0),
    CONSTRAINT contract_commitment_lines_check CHECK (line_nos IS NULL OR cardinality(line_nos) > 0),
    CONSTRAINT contract_commitment_limit_check CHECK (rr.check_number('amount', amount))
);
-- Setup-fee timing (docs/one-off-charges.md, "Setup-fee timing"): a contract item bills its
-- setup fee at setup (the default from 0.2.0, as Acumatica does) or when billing starts.
-- The contract items of 0.1.0 keep billing_start, what they did, so the setup fees they
-- charged keep their charge keys and are never billed twice; new items default to setup.
ALTER TABLE rr.contract_item ADD COLUMN setup_timing text NOT NULL DEFAULT 'billing_start';
ALTER TABLE rr.contract_item ALTER COLUMN setup_timing SET DEFAULT 'setup';
ALTER TABLE rr.contract_item ADD CONSTRAINT contract_item_setup_timing_check CHECK (setup_timing IN ('setup', 'billing_start'));
-- One-off charges and credits (docs/one-off-charges.md): their table (its comments, row
-- security, dump registration and grants come with the code below), the charge and invoice
-- line kind one_off, and obligations without a contract line (a one-off charge's own).
CREATE TABLE rr.one_off_charge (
    tenant_id     text NOT NULL,
    one_off_id    integer GENERATED BY DEFAULT AS IDENTITY,
    contract_id   bigint NOT NULL,
    item          text NOT NULL,
    service_date  date NOT NULL,
    quantity      numeric NOT NULL,
    unit_price    numeric NOT NULL,
    amount        numeric NOT NULL,
    bill          text NOT NULL DEFAULT 'next',
    description   text,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_role  name NOT NULL DEFAULT session_user,
    acting_role   name NOT NULL,
    CONSTRAINT one_off_charge_pkey PRIMARY KEY (tenant_id, one_off_id),
    CONSTRAINT one_off_charge_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id),
    CONSTRAINT one_off_charge_item_fkey FOREIGN KEY (tenant_id, item) REFERENCES rr.item (tenant_id, code),
    CONSTRAINT one_off_charge_bill_check CHECK (bill IN ('next', 'immediately')),
    CONSTRAINT one_off_charge_id_check CHECK (one_off_id > 0),
    CONSTRAINT one_off_charge_amount_check CHECK (amount <> 0 AND quantity > 0),
    CONSTRAINT one_off_charge_limit_check CHECK (rr.check_number('quantity', quantity)
                                                 AND rr.check_number('unit price', unit_price)
                                                 AND rr.check_number('amount', amount)
                                                 AND rr.check_date('service date', service_date))
);
CREATE INDEX one_off_charge_contract_idx ON rr.one_off_charge (tenant_id, contract_id);
ALTER TABLE rr.charge DROP CONSTRAINT charge_kind_check;
ALTER TABLE rr.charge ADD CONSTRAINT charge_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                 'release', 'breakage', 'proration',
                                                 'discount', 'adjustment', 'true_up', 'one_off'));
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_kind_check;
ALTER TABLE rr.invoice_line ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                       'release', 'breakage', 'proration',
                                                       'discount', 'tax', 'adjustment', 'true_up', 'one_off'));
ALTER TABLE rr.performance_obligation ALTER COLUMN first_line_no DROP NOT NULL;
ALTER TABLE rr.performance_obligation ALTER COLUMN first_line_from DROP NOT NULL;
-- Discounts that belong to specific obligations (docs/one-off-charges.md, "Discounts and
-- allocation"); comments, row security, dump registration and grants come with the code.
CREATE TABLE rr.discount_obligation (
    tenant_id    text NOT NULL,
    discount_id  bigint NOT NULL,
    line_no      integer NOT NULL,
    contract_id  bigint NOT NULL,
    CONSTRAINT discount_obligation_pkey PRIMARY KEY (tenant_id, discount_id, line_no),
    CONSTRAINT discount_obligation_discount_fkey FOREIGN KEY (tenant_id, discount_id) REFERENCES rr.discount (tenant_id, discount_id),
    CONSTRAINT discount_obligation_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
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
                                                 'discount', 'adjustment', 'true_up', 'one_off', 'milestone'));
ALTER TABLE rr.invoice_line DROP CONSTRAINT invoice_line_kind_check;
ALTER TABLE rr.invoice_line ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('setup', 'recurring', 'usage', 'renewal', 'deposit', 'drawdown',
                                                       'release', 'breakage', 'proration',
                                                       'discount', 'tax', 'adjustment', 'true_up', 'one_off', 'milestone'));

-- What billing runs have settled, per contract (docs/billing.md, "What a run recomputes"):
-- every contract with a recurring or discount charge gets a row without a fingerprint
-- (nothing settled: the first run after the upgrade recomputes its history, as 0.1.0 did at
-- every run, then records what it settled); a contract without a row has no such charge.
-- Row security, dump registration and grants come with the code below.
CREATE TABLE rr.contract_billing_state (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    settled_to  date NOT NULL,
    terms_hash  bigint,
    CONSTRAINT contract_billing_state_pkey PRIMARY KEY (tenant_id, contract_id)
)
-- (every run rewrites the row of each contract it bills: half of each page left free, so
-- that the new version can go on the same page without a new index entry (a HOT update)
-- and readers prune the page's dead versions before VACUUM does: after ten monthly runs
-- of 20,000 contracts without VACUUM, 56 % of the updates were HOT instead of none, the
-- index had 228 pages instead of 307, and the next run's first read of the state took
-- 227 ms instead of 266)
WITH (fillfactor = 50);
INSERT INTO rr.contract_billing_state (tenant_id, contract_id, settled_to, terms_hash)
SELECT ch.tenant_id, ch.contract_id, max(ch.due_date), NULL
  FROM rr.charge ch
 WHERE ch.kind IN ('recurring', 'discount')
 GROUP BY ch.tenant_id, ch.contract_id;
CREATE INDEX discount_contract_idx ON rr.discount (tenant_id, contract_id);

-- The reports (issue 16): the revenue forecast and the RPO as of a date read the open
-- schedule lines and those posted after it, through this index and the open lines' one.
CREATE INDEX revenue_schedule_line_posted_idx ON rr.revenue_schedule_line (tenant_id, posted_on) WHERE status = 'posted';

-- What usage rating has settled, per metered line, and the events that arrived since
-- (docs/usage.md, "What a run rates"): the first run after the upgrade finds no state and
-- rates each line's whole history, as 0.1.0 did at every run, then writes one.  Row
-- security, dump registration and grants come with the code below.
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
CREATE TABLE rr.usage_arrival (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    line_no     integer NOT NULL,
    event_id    bigint NOT NULL,
    usage_date  date NOT NULL,
    CONSTRAINT usage_arrival_pkey PRIMARY KEY (tenant_id, contract_id, line_no, event_id)
);

-- The tenant-setting contract (docs/security.md, "Tenancy"; docs/operations.md,
-- "Upgrading"): tenant ids fit the name of their group role rr_tenant_<tenant id>; every
-- tenant gets that role and every recorded member is granted it; the policies call
-- rr.current_tenant() without a sub-query (the code below re-creates rr.tenant's and
-- rr.tenant_member's; the others, partitions of rr.usage_event included, are altered here);
-- staged usage takes the transaction's tenant, and an unset tenant is refused instead of
-- meaning 'default'.
DO $$
DECLARE
    t text;
    m name;
    p record;
BEGIN
    SELECT tenant_id INTO t FROM rr.tenant WHERE length(tenant_id) > 53 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tenant id "%" is longer than 53 characters', t
            USING ERRCODE = '22023',
                  DETAIL = 'From 0.2.0 on, a tenant''s members are the members of its role rr_tenant_<tenant id>, and a role name has at most 63 characters.',
                  HINT = 'Give the tenant a shorter id in 0.1.0 (every table''s tenant_id), then update again.';
    END IF;
    FOR t IN SELECT tenant_id FROM rr.tenant ORDER BY 1 LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) ('rr_tenant_' || t)) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', 'rr_tenant_' || t);
            EXECUTE format('COMMENT ON ROLE %I IS %L', 'rr_tenant_' || t, 'recurring_revenue: members may act for tenant ' || t);
        END IF;
        FOR m IN SELECT tm.role_name FROM rr.tenant_member tm
                  WHERE tm.tenant_id OPERATOR(pg_catalog.=) t
                    AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) tm.role_name)
                  ORDER BY 1 LOOP
            IF NOT pg_catalog.pg_has_role(m, 'rr_tenant_' || t, 'MEMBER') THEN
                EXECUTE format('GRANT %I TO %I', 'rr_tenant_' || t, m);
            END IF;
        END LOOP;
    END LOOP;
    FOR p IN SELECT pol.polrelid::regclass AS rel FROM pg_catalog.pg_policy pol
              JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pol.polrelid
             WHERE c.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
               AND pol.polname OPERATOR(pg_catalog.=) 'tenant_isolation'
               AND pol.polrelid OPERATOR(pg_catalog.<>) ALL (ARRAY['rr.tenant'::regclass, 'rr.tenant_member'::regclass])
    LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %s
                            USING (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())
                            WITH CHECK (tenant_id OPERATOR(pg_catalog.=) rr.current_tenant())', p.rel);
    END LOOP;
END
$$;
-- rr.create_tenant and rr.add_tenant_member are SECURITY DEFINER now (they create and
-- grant the tenant's role): granted to rr_admin only, no longer to every rr role as the
-- invoker functions of 0.1.0 were.
DO $$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles
              WHERE rolname OPERATOR(pg_catalog.=) ANY (ARRAY['rr_billing', 'rr_app', 'rr_analyst']::name[]) ORDER BY 1 LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION rr.create_tenant(text, text, text, text), rr.add_tenant_member(text, name) FROM %I', r);
    END LOOP;
END
$$;
-- Usage partitions are shared by every tenant: rr.create_usage_partitions is for
-- administrators only (0.1.0 granted it to rr_billing, whose members could then create
-- thousands of them: docs/security.md, "Usage partitions").
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'rr_billing') THEN
        REVOKE ALL ON FUNCTION rr.create_usage_partitions(date, date) FROM rr_billing;
    END IF;
END
$$;
ALTER TABLE rr.tenant DROP CONSTRAINT tenant_id_check;
ALTER TABLE rr.tenant ADD CONSTRAINT tenant_id_check CHECK (tenant_id OPERATOR(pg_catalog.~) '^[a-z0-9][a-z0-9_-]{0,52}$');
ALTER TABLE rr.usage_staging ALTER COLUMN tenant_id SET DEFAULT rr.current_tenant();
-- The staging table's limits as domains, which COPY checks as it reads a row (on Citus, on
-- the coordinator, with the refusal's own SQLSTATE): src/sql/60_usage/10_events.sql.
CREATE DOMAIN rr.usage_quantity AS numeric CHECK (rr.check_number('quantity', VALUE));
COMMENT ON DOMAIN rr.usage_quantity IS 'a staged usage quantity: a finite number within the limits of amounts (22023 for NaN and ±Infinity, 22003 out of range, raised as the value is read)';
CREATE DOMAIN rr.usage_time AS timestamptz CHECK (rr.check_date('usage date', (VALUE AT TIME ZONE 'UTC')::date));
COMMENT ON DOMAIN rr.usage_time IS 'a staged usage time: its UTC date a business date, 1900-01-01 to 2199-12-31 (22008, raised as the value is read)';
ALTER TABLE rr.usage_staging DROP CONSTRAINT usage_staging_limit_check,
    ALTER COLUMN quantity TYPE rr.usage_quantity, ALTER COLUMN occurred_at TYPE rr.usage_time;

-- ---- scale-out: rr.distribute() (docs/scale-out.md) ---------------------------------
-- The deposit check of a contract item no longer reads the currency list (a CHECK must not
-- read tables, and a Citus shard cannot): whole minor units are checked by the row trigger
-- contract_item_deposit_units, which comes with the code below, as does rr.distribute().
ALTER TABLE rr.contract_item DROP CONSTRAINT contract_item_deposit_amount_check;
ALTER TABLE rr.contract_item ADD CONSTRAINT contract_item_deposit_amount_check CHECK (deposit_amount > 0);
-- ---- end of scale-out ---------------------------------------------------------------

-- ---- reports: the deferred revenue waterfall's first in, first out (issue 16) ----------
-- The result type of rr_internal.fifo_waterfall (src/waterfall.c), which comes with the
-- code below.
CREATE TYPE rr_internal.waterfall_cell AS (currency char(3), account text, billing_month date, month date,
                                           deferred numeric, recognised numeric, credited numeric, other numeric);

-- ---- reports: schedules as of a date (issue 16) --------------------------------------
-- Each schedule line says from which date it is part of the schedule, and the open lines a
-- re-plan replaces are kept with the date they were superseded on, so that the revenue
-- forecast, the RPO and the deferral schedule summary as of a date answer as the schedule
-- stood then (docs/reports.md, "Schedules as of a date").  0.1.0 kept no history: its
-- lines are dated as a first plan would have dated them (allocation lines on the
-- contract's activation, billing and credit lines on their document's date, the others on
-- the day they are due), and what its re-plans replaced is gone.  Row security, dump
-- registration, grants and the table's trigger come with the code below.
ALTER TABLE rr.revenue_schedule_line ADD COLUMN planned_on date;
-- (posted lines are frozen by a trigger, which this one-time migration bypasses)
ALTER TABLE rr.revenue_schedule_line DISABLE TRIGGER revenue_schedule_line_frozen;
UPDATE rr.revenue_schedule_line l
   SET planned_on = coalesce(CASE WHEN l.source IN ('billing', 'credit')
                                  THEN (SELECT i.invoice_date FROM rr.invoice i
                                         WHERE i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id)
                                  WHEN l.source = 'allocation'
                                  THEN (SELECT k.activation_date FROM rr.contract k
                                         WHERE k.tenant_id = l.tenant_id AND k.contract_id = l.contract_id) END,
                             l.recognize_on);
ALTER TABLE rr.revenue_schedule_line ENABLE TRIGGER revenue_schedule_line_frozen;
ALTER TABLE rr.revenue_schedule_line ALTER COLUMN planned_on SET NOT NULL;
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
);
CREATE INDEX superseded_schedule_line_obligation_idx ON rr.superseded_schedule_line (tenant_id, contract_id, obligation_no);
CREATE INDEX superseded_schedule_line_superseded_idx ON rr.superseded_schedule_line (tenant_id, superseded_on);
-- Credit balances (docs/payments.md, "Credit balances"): a negative balance of an invoice
-- becomes customer credit, recorded as a payment naming the invoice. Negative balances left
-- by 0.1.0 stay as they are (docs/operations.md).
ALTER TABLE rr.payment ADD COLUMN source_invoice_id bigint;
ALTER TABLE rr.payment ADD CONSTRAINT payment_source_check
    CHECK ((source_invoice_id IS NOT NULL) = (method IS NOT DISTINCT FROM 'credit_balance'));
CREATE INDEX payment_source_idx ON rr.payment (tenant_id, source_invoice_id) WHERE source_invoice_id IS NOT NULL;
-- Bookings as booked (docs/reports.md, "Bookings"): the TCV and term of each contract with
-- an end date as of its activation. 0.1.0 kept no record of them: contracts activated
-- before the update are booked at their obligations as they stand and their first term's
-- end (docs/operations.md). The table's triggers come with the code below.
CREATE TABLE rr.contract_booking (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    booked_on   date NOT NULL,
    end_date    date NOT NULL,
    tcv         numeric NOT NULL,
    CONSTRAINT contract_booking_pkey PRIMARY KEY (tenant_id, contract_id),
    CONSTRAINT contract_booking_contract_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES rr.contract (tenant_id, contract_id)
);
INSERT INTO rr.contract_booking (tenant_id, contract_id, booked_on, end_date, tcv)
SELECT k.tenant_id, k.contract_id, k.activation_date,
       coalesce((SELECT r.previous_end FROM rr.contract_renewal r
                  WHERE r.tenant_id = k.tenant_id AND r.contract_id = k.contract_id AND r.renewal_no = 1), k.end_date),
       coalesce((SELECT sum(o.contract_amount) FROM rr.performance_obligation o
                  WHERE o.tenant_id = k.tenant_id AND o.contract_id = k.contract_id), 0)
  FROM rr.contract k
 WHERE k.activation_date IS NOT NULL AND k.end_date IS NOT NULL
   AND EXISTS (SELECT FROM rr.performance_obligation o WHERE o.tenant_id = k.tenant_id AND o.contract_id = k.contract_id);
-- The allocation of the obligations recognised by percent complete or on payment, for the
-- RPO as of a date (docs/reports.md, "Revenue forecast and RPO"). 0.1.0 kept no history of
-- it: their allocation as it stands, from the contract's activation (docs/operations.md).
-- The table's trigger comes with the code below.
CREATE TABLE rr.obligation_allocation (
    tenant_id        text NOT NULL,
    contract_id      bigint NOT NULL,
    obligation_no    integer NOT NULL,
    allocated_on     date NOT NULL,
    allocated_amount numeric NOT NULL,
    service          daterange,
    CONSTRAINT obligation_allocation_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no, allocated_on)
);
INSERT INTO rr.obligation_allocation (tenant_id, contract_id, obligation_no, allocated_on, allocated_amount, service)
SELECT o.tenant_id, o.contract_id, o.obligation_no, k.activation_date, o.allocated_amount, o.service
  FROM rr.performance_obligation o
  JOIN rr.contract k ON k.tenant_id = o.tenant_id AND k.contract_id = o.contract_id
 WHERE o.method IN ('percent_complete', 'on_payment') AND k.activation_date IS NOT NULL;
-- The MRR of each contract as a step function of the date, kept by the workflows
-- (docs/reports.md, "MRR and ARR"); the code below writes the rows of the contracts
-- activated before the update (the DO block at the end of src/sql/87_reports/10_mrr.sql)
-- and creates the table's trigger.
CREATE TABLE rr.contract_mrr (
    tenant_id   text NOT NULL,
    contract_id bigint NOT NULL,
    valid_from  date NOT NULL,
    valid_to    date NOT NULL,
    customer    text NOT NULL,
    currency    char(3) NOT NULL,
    mrr         numeric NOT NULL,
    CONSTRAINT contract_mrr_pkey PRIMARY KEY (tenant_id, contract_id, valid_from),
    CONSTRAINT contract_mrr_valid_check CHECK (valid_from < valid_to)
);
-- Audit columns name the session user through rr_internal.session_role(), which on a
-- Citus worker returns the role the delegating entry point forwarded (docs/security.md,
-- "Audit"): every session_role column's default, SESSION_USER in 0.1.0 and in the tables
-- above. (The function is created here for the defaults; the code below replaces it.)
CREATE FUNCTION rr_internal.session_role()
RETURNS name
AS 'MODULE_PATHNAME', 'rr_session_role'
LANGUAGE C STABLE PARALLEL SAFE;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.attrelid::regclass AS rel, a.attname
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'rr'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attname = 'session_role' AND NOT a.attisdropped
           AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) = 'SESSION_USER'
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT rr_internal.session_role()', r.rel, r.attname);
    END LOOP;
END
$$;

-- A billing run records the ranges of the ids of the charges and invoices it wrote, by
-- which its rows are found through the primary keys instead of an index on run_id of each
-- table (two index entries per charge and per invoice version; bench/README.md): the runs
-- of 0.1.0 get theirs from their rows, read through the two indexes before they go.
ALTER TABLE rr.billing_run ADD COLUMN charge_ids int8range, ADD COLUMN invoice_ids int8range;
UPDATE rr.billing_run r
   SET charge_ids = (SELECT int8range(min(ch.charge_id), max(ch.charge_id), '[]') FROM rr.charge ch
                      WHERE ch.tenant_id = r.tenant_id AND ch.run_id = r.run_id
                     HAVING count(*) > 0),
       invoice_ids = (SELECT int8range(min(i.invoice_id), max(i.invoice_id), '[]') FROM rr.invoice i
                       WHERE i.tenant_id = r.tenant_id AND i.run_id = r.run_id
                      HAVING count(*) > 0);
DROP INDEX rr.charge_run_idx;
DROP INDEX rr.invoice_run_idx;

-- Posting's update of an invoice stays on its page without a new entry in each of its
-- indexes (a HOT update; bench/README.md): no index of rr.invoice names a column posting
-- sets, so the drafts to post are kept in rr.invoice_draft and the numbers' uniqueness in
-- rr.invoice_number, both filled here from the documents of 0.1.0; the invoice pages
-- written from now on keep 60 % free for the posted versions (the existing pages stay as
-- they are until rewritten). Row security, dump registration and grants come with the code.
ALTER TABLE rr.invoice DROP CONSTRAINT invoice_number_key;
DROP INDEX rr.invoice_draft_idx;
ALTER TABLE rr.invoice SET (fillfactor = 40);
CREATE TABLE rr.invoice_draft (
    tenant_id    text NOT NULL,
    invoice_id   bigint NOT NULL,
    series       text NOT NULL,
    invoice_date date NOT NULL,
    CONSTRAINT invoice_draft_pkey PRIMARY KEY (tenant_id, invoice_id)
);
INSERT INTO rr.invoice_draft (tenant_id, invoice_id, series, invoice_date)
SELECT i.tenant_id, i.invoice_id, i.series, i.invoice_date FROM rr.invoice i WHERE i.status = 'draft';
CREATE TABLE rr.invoice_number (
    tenant_id  text NOT NULL,
    series     text NOT NULL,
    number     text NOT NULL,
    invoice_id bigint NOT NULL,
    CONSTRAINT invoice_number_pkey PRIMARY KEY (tenant_id, series, number)
);
INSERT INTO rr.invoice_number (tenant_id, series, number, invoice_id)
SELECT i.tenant_id, i.series, i.number, i.invoice_id FROM rr.invoice i WHERE i.status = 'posted';

-- An invoice line's schedule lines are found through its invoice's contract
-- (rr_internal.keep_scheduled_obligation, the lines' key by contract, below), not by an
-- index by invoice line: one index entry less per schedule line a billing run writes
-- (bench/README.md).
DROP INDEX rr.revenue_schedule_line_invoice_idx;

-- The schedule lines' primary key leads with the contract and obligation, which makes their
-- index by contract redundant: one index entry less per schedule line written
-- (bench/README.md)
ALTER TABLE rr.revenue_schedule_line DROP CONSTRAINT revenue_schedule_line_pkey,
    ADD CONSTRAINT revenue_schedule_line_pkey PRIMARY KEY (tenant_id, contract_id, obligation_no, schedule_line_id);
DROP INDEX rr.revenue_schedule_line_contract_idx;
