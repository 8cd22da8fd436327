-- Roles are cluster-wide, so the install script creates none: a superuser (or a role
-- with CREATEROLE) runs rr.create_roles() once per cluster, and again after an
-- extension upgrade so that new functions and tables are granted.
--
-- Grant matrix (each role is NOLOGIN; grant it to login roles, and list the login or
-- group roles of each tenant with rr.add_tenant_member):
--   rr_admin    all of the below, plus writing the catalog and tenancy tables and
--               every SECURITY DEFINER function; member of the three roles below
--   rr_billing  what rr_app may do (billing runs, posting and credits as they land);
--               recording and applying payments (they post to the journal: cash and
--               receivables are finance's, not the application's)
--   rr_app      the contract lifecycle functions; writing customers
--   rr_analyst  read-only: SELECT on tables and views, EXECUTE on invoker functions
--
-- The rule for functions: a SECURITY INVOKER function can do no more than its caller's
-- table privileges allow, so every rr role may execute it; a SECURITY DEFINER function
-- (a narrow entry point that writes contracts) is granted only to the roles listed
-- below, and to rr_admin.  Contracts, their lines and events are written by those
-- functions only: no role has INSERT, UPDATE or DELETE on them.

CREATE FUNCTION rr.create_roles()
RETURNS TABLE (role_name name, created boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r name;
    f regprocedure;
    app_entry_points text[] := ARRAY['create_contract', 'setup_contract', 'activate_contract',
                                     'setup_and_activate_contract', 'terminate_contract',
                                     'complete_contract', 'expire_contract', 'expire_contracts',
                                     'change_contract_line', 'renew_contract', 'run_renewals',
                                     'preview_billing', 'bill_contract', 'add_discount',
                                     'record_usage', 'merge_usage_staging', 'set_obligation',
                                     'amend_contract', 'preview_amendment', 'start_upgrade', 'change_upgrade',
                                     'activate_upgrade', 'cancel_upgrade', 'rewrite_contract',
                                     'add_trial', 'record_trial_payment_method', 'end_trials',
                                     'pause_contract', 'resume_contract', 'redeem_coupon', 'add_commitment',
                                     'add_one_off_charge', 'allocate_discount_to', 'add_milestone', 'reach_milestone'];
    billing_entry_points text[] := ARRAY['run_billing', 'post_invoices', 'undo_last_billing', 'credit_invoice',
                                         'record_payment', 'apply_payment', 'recognize',
                                         'record_progress', 'apply_price_changes', 'preview_price_change',
                                         'run_dunning', 'open_wallet', 'top_up_wallet', 'draw_wallet', 'draw_wallets',
                                         'expire_wallet_credit'];
    admin_tables text[] := ARRAY['currency', 'tenant', 'account', 'tax_code', 'exchange_rate',
                                 'deferral_code', 'item', 'item_price', 'contract_item',
                                 'contract_template', 'template_line', 'customer',
                                 'dunning_policy', 'dunning_stage', 'customer_dunning_policy',
                                 'coupon', 'promotion_code'];
BEGIN
    FOREACH r IN ARRAY ARRAY['rr_admin', 'rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        role_name := r;
        created := NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r);
        IF created THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA rr TO %I', r);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA rr TO %I', r);
        RETURN NEXT;
    END LOOP;

    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace AND p.prokind OPERATOR(pg_catalog.=) 'f'
    LOOP
        IF (SELECT p.prosecdef FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin', f);
            IF (SELECT p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) = ANY (app_entry_points) THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_app, rr_billing', f);
            ELSIF (SELECT p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) = ANY (billing_entry_points) THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_billing', f);
            END IF;
        ELSE
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin, rr_billing, rr_app, rr_analyst', f);
        END IF;
    END LOOP;
    -- a public function that runs as its caller (not SECURITY DEFINER) and calls an
    -- internal one needs the caller to hold EXECUTE on that one too, and on the internal
    -- ones that one calls, and so on (BEGIN ATOMIC bodies record what they call); no role
    -- has USAGE on schema rr_internal, so nobody can call them by name; the same for a
    -- view of schema rr (security_invoker: it calls as its reader)
    FOR f IN WITH RECURSIVE called (oid) AS (
                 SELECT d.refobjid
                   FROM pg_catalog.pg_proc p
                   JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                                              AND d.objid OPERATOR(pg_catalog.=) p.oid
                                              AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                  WHERE p.pronamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace AND NOT p.prosecdef
                 UNION
                 SELECT d.refobjid
                   FROM pg_catalog.pg_rewrite w
                   JOIN pg_catalog.pg_class v ON v.oid OPERATOR(pg_catalog.=) w.ev_class
                                             AND v.relnamespace OPERATOR(pg_catalog.=) 'rr'::regnamespace
                   JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
                                              AND d.objid OPERATOR(pg_catalog.=) w.oid
                                              AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                 UNION
                 SELECT d.refobjid
                   FROM called c
                   JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) c.oid
                                            AND p.pronamespace OPERATOR(pg_catalog.=) 'rr_internal'::regnamespace
                                            AND NOT p.prosecdef
                   JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                                              AND d.objid OPERATOR(pg_catalog.=) p.oid
                                              AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass)
             SELECT DISTINCT q.oid::regprocedure
               FROM called c
               JOIN pg_catalog.pg_proc q ON q.oid OPERATOR(pg_catalog.=) c.oid
              WHERE q.pronamespace OPERATOR(pg_catalog.=) 'rr_internal'::regnamespace
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO rr_admin, rr_billing, rr_app, rr_analyst', f);
    END LOOP;

    -- On Citus, rr.distribute() rewrites the SQL functions that read tables as PL/pgSQL
    -- (rr_internal.functions_for_citus), whose bodies are parsed when they run, as their
    -- caller: the names of schema rr_internal they call need USAGE on it, which a BEGIN
    -- ATOMIC body, bound when it was created, does not.  So on a node with Citus the roles
    -- get USAGE on rr_internal; what they may execute there is still only the invoker
    -- functions granted above (none of rr_internal's SECURITY DEFINER functions), which do
    -- no more than their caller's own privileges allow (docs/scale-out.md).  A single node
    -- keeps the schema closed.
    IF EXISTS (SELECT FROM pg_catalog.pg_extension x WHERE x.extname OPERATOR(pg_catalog.=) 'citus') THEN
        GRANT USAGE ON SCHEMA rr_internal TO rr_admin, rr_billing, rr_app, rr_analyst;
    END IF;

    FOREACH r IN ARRAY admin_tables::name[] LOOP
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON rr.%I TO rr_admin', r);
    END LOOP;
    -- members are written by rr.add_tenant_member and rr.remove_tenant_member only, which
    -- grant and revoke the tenant's role with them (0.1.0 granted these)
    REVOKE INSERT, UPDATE, DELETE ON rr.tenant_member FROM rr_admin;
    GRANT INSERT, UPDATE ON rr.customer TO rr_app, rr_billing;
    -- the format of a document series (the counter itself is the extension's: a new series
    -- starts at 1, rr_internal.keep_counter_start; INSERT on the whole table, since Citus
    -- sends a shard every column of an insert)
    -- (0.1.0 granted INSERT on four columns: revoked, so that the table's privilege is the
    -- only one)
    REVOKE INSERT (tenant_id, series, prefix, min_digits) ON rr.invoice_counter FROM rr_admin;
    GRANT INSERT, UPDATE (prefix, min_digits) ON rr.invoice_counter TO rr_admin;
    -- bulk usage: COPY into the staging table's intake (or INSERT into the table), then
    -- rr.merge_usage_staging()
    GRANT INSERT ON rr.usage_staging, rr.usage_intake TO rr_app, rr_billing;

    FOREACH r IN ARRAY ARRAY['rr_billing', 'rr_app', 'rr_analyst']::name[] LOOP
        IF NOT pg_catalog.pg_has_role('rr_admin', r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO rr_admin', r);
        END IF;
    END LOOP;

    -- administration stays with superusers
    REVOKE ALL ON FUNCTION rr.create_roles() FROM rr_admin, rr_billing, rr_app, rr_analyst;
END
$$;

COMMENT ON FUNCTION rr.create_roles() IS 'creates the roles rr_admin, rr_billing, rr_app and rr_analyst if missing and grants them their privileges on schema rr; run as superuser after CREATE EXTENSION and after each upgrade';
REVOKE ALL ON FUNCTION rr.create_roles() FROM PUBLIC;

-- Every function not revoked above is still executable by PUBLIC (the default); take
-- that away from all of them at once, in both schemas, so that a forgotten REVOKE cannot
-- leak.  Nothing in rr_internal is ever granted: only the extension's own code (the
-- SECURITY DEFINER entry points and the triggers) reaches it.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) ANY (ARRAY['rr'::regnamespace, 'rr_internal'::regnamespace])
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;
