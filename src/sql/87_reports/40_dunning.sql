-- Dunning status per invoice and per customer as of a date (docs/dunning-and-currencies.md):
-- the balance and days past due of each invoice (rr.invoice_balances), the last stage
-- rr.run_dunning recorded for it by then, and the next stage of its customer's policy.

-- Every posted invoice of the current tenant that has a balance on as_of or was dunned by then.
CREATE FUNCTION rr.dunning_status_as_of(as_of date)
RETURNS TABLE (invoice_id bigint, number text, customer text, currency char(3), due_date date, balance numeric,
               days_past_due integer, status text, policy text, last_stage_no integer, last_action text,
               last_action_on date, actions bigint, next_stage_no integer, next_action text, next_due_on date)
LANGUAGE sql STABLE STRICT ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
    -- (joins of sets, not sub-queries per invoice, and each set read either from the
    -- balances or from tables, never both: on Citus the balances are computed on the
    -- coordinator and each table's set read from the tenant's worker, then the sets are
    -- joined on the coordinator.  An outer join of the balances with a table made Citus
    -- 13.2.2 plan the table as a sub-query, which under the tenant policy, as any role but
    -- a superuser reads it, crashed its planner.)
    WITH b AS MATERIALIZED (
        SELECT * FROM rr.invoice_balances(rr.current_tenant(), dunning_status_as_of.as_of)
    ), a AS MATERIALIZED (
        -- the actions recorded by as_of
        SELECT a.invoice_id, a.policy, a.stage_no, a.action, a.as_of, a.action_id
          FROM rr.dunning_action a
         WHERE a.tenant_id = rr.current_tenant() AND a.as_of <= dunning_status_as_of.as_of
    ), customer_policy AS MATERIALIZED (
        SELECT c.customer, c.policy FROM rr.customer_dunning_policy c WHERE c.tenant_id = rr.current_tenant()
    ), default_policy AS MATERIALIZED (
        -- (at most one: dunning_policy_default_idx)
        SELECT d.code FROM rr.dunning_policy d WHERE d.tenant_id = rr.current_tenant() AND d.is_default
    ), stage AS MATERIALIZED (
        SELECT s.policy, s.stage_no, s.action, s.days_overdue FROM rr.dunning_stage s
         WHERE s.tenant_id = rr.current_tenant()
    ), last_action AS (
        SELECT DISTINCT ON (a.invoice_id) a.invoice_id, a.stage_no, a.action, a.as_of,
               count(*) OVER (PARTITION BY a.invoice_id) AS actions
          FROM a
         ORDER BY a.invoice_id, a.as_of DESC, a.action_id DESC
    ), policy AS (
        -- the customer's policy, else the tenant's default
        SELECT b.invoice_id, coalesce(c.policy, d.code) AS policy
          FROM b
          LEFT JOIN customer_policy c ON c.customer = b.customer
          LEFT JOIN default_policy d ON true
    ), next_stage AS (
        -- the first stage of the invoice's policy after the last one it reached under that policy
        SELECT DISTINCT ON (p.invoice_id) p.invoice_id, s.stage_no, s.action, s.days_overdue
          FROM policy p
          LEFT JOIN (SELECT a.invoice_id, a.policy, max(a.stage_no) AS stage_no FROM a GROUP BY a.invoice_id, a.policy) r
                 ON r.invoice_id = p.invoice_id AND r.policy = p.policy
          JOIN stage s ON s.policy = p.policy AND s.stage_no > coalesce(r.stage_no, 0)
         ORDER BY p.invoice_id, s.stage_no
    )
    SELECT b.invoice_id, b.number, b.customer, b.currency, b.due_date, b.balance, b.days_past_due,
           CASE WHEN b.balance <= 0 THEN 'settled'
                WHEN NOT b.past_due THEN 'not_due'
                WHEN l.stage_no IS NULL THEN 'overdue'
                ELSE 'in_dunning' END,
           p.policy, l.stage_no, l.action, l.as_of, coalesce(l.actions, 0),
           CASE WHEN b.balance > 0 THEN nx.stage_no END, CASE WHEN b.balance > 0 THEN nx.action END,
           CASE WHEN b.balance > 0 THEN b.due_date + nx.days_overdue END
      FROM b
      JOIN policy p ON p.invoice_id = b.invoice_id
      LEFT JOIN last_action l ON l.invoice_id = b.invoice_id
      LEFT JOIN next_stage nx ON nx.invoice_id = b.invoice_id
     WHERE b.balance > 0 OR l.stage_no IS NOT NULL
     ORDER BY b.customer, b.due_date, b.invoice_id;
$$;
COMMENT ON FUNCTION rr.dunning_status_as_of(date) IS 'dunning status of the current tenant''s posted invoices on as_of: every invoice with a balance or with a dunning action recorded by then, its balance, days past due, status (not_due, overdue, in_dunning, settled), the policy it follows, the last action recorded and the next stage due';
REVOKE ALL ON FUNCTION rr.dunning_status_as_of(date) FROM PUBLIC;

-- Per customer and currency: what is open, what is overdue, and how far dunning went.
CREATE FUNCTION rr.customer_dunning_status_as_of(as_of date)
RETURNS TABLE (customer text, currency char(3), open_invoices bigint, open_balance numeric, overdue_invoices bigint,
               overdue_balance numeric, max_days_past_due integer, invoices_in_dunning bigint, last_action text,
               last_action_on date, suspend_due boolean)
LANGUAGE sql STABLE STRICT ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.customer, s.currency,
           count(*) FILTER (WHERE s.balance > 0), coalesce(sum(s.balance) FILTER (WHERE s.balance > 0), 0),
           count(*) FILTER (WHERE s.balance > 0 AND s.days_past_due > 0),
           coalesce(sum(s.balance) FILTER (WHERE s.balance > 0 AND s.days_past_due > 0), 0),
           coalesce(max(s.days_past_due) FILTER (WHERE s.balance > 0), 0),
           count(*) FILTER (WHERE s.status = 'in_dunning'),
           (array_agg(s.last_action ORDER BY s.last_action_on DESC, s.last_stage_no DESC)
                FILTER (WHERE s.status = 'in_dunning'))[1],
           max(s.last_action_on) FILTER (WHERE s.status = 'in_dunning'),
           coalesce(bool_or(s.last_action = 'suspend') FILTER (WHERE s.status = 'in_dunning'), false)
      FROM rr.dunning_status_as_of(customer_dunning_status_as_of.as_of) s
     GROUP BY s.customer, s.currency
     ORDER BY s.customer, s.currency;
$$;
COMMENT ON FUNCTION rr.customer_dunning_status_as_of(date) IS 'dunning status of the current tenant''s customers on as_of, per customer and currency: open and overdue invoices and balances, the most days past due, invoices in dunning, the latest action recorded and whether an unpaid invoice reached a suspend stage';
REVOKE ALL ON FUNCTION rr.customer_dunning_status_as_of(date) FROM PUBLIC;

CREATE VIEW rr.invoice_dunning_status WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, s.invoice_id, s.number, s.customer, s.currency, s.due_date, s.balance,
       s.days_past_due, s.status, s.policy, s.last_stage_no, s.last_action, s.last_action_on, s.actions,
       s.next_stage_no, s.next_action, s.next_due_on
  FROM rr.dunning_status_as_of(current_date) s;
COMMENT ON VIEW rr.invoice_dunning_status IS 'dunning status of each posted invoice today (rr.dunning_status_as_of(current_date)): invoices with a balance or a dunning action';
COMMENT ON COLUMN rr.invoice_dunning_status.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.invoice_dunning_status.invoice_id IS 'the invoice';
COMMENT ON COLUMN rr.invoice_dunning_status.number IS 'invoice number';
COMMENT ON COLUMN rr.invoice_dunning_status.customer IS 'customer billed';
COMMENT ON COLUMN rr.invoice_dunning_status.currency IS 'ISO 4217 code of the invoice currency';
COMMENT ON COLUMN rr.invoice_dunning_status.due_date IS 'date payment was due';
COMMENT ON COLUMN rr.invoice_dunning_status.balance IS 'total less payments applied and credit notes posted by the date';
COMMENT ON COLUMN rr.invoice_dunning_status.days_past_due IS 'days past the due date while a balance is left (0 when not due or settled)';
COMMENT ON COLUMN rr.invoice_dunning_status.status IS 'not_due (a balance, not past due), overdue (past due, no stage recorded), in_dunning (a stage recorded, a balance left) or settled (dunned, then paid or credited)';
COMMENT ON COLUMN rr.invoice_dunning_status.policy IS 'dunning policy the customer follows (its own, else the tenant''s default); NULL when there is none';
COMMENT ON COLUMN rr.invoice_dunning_status.last_stage_no IS 'stage of the last dunning action recorded for the invoice; NULL when none';
COMMENT ON COLUMN rr.invoice_dunning_status.last_action IS 'action of that stage: reminder, notice, final_notice or suspend';
COMMENT ON COLUMN rr.invoice_dunning_status.last_action_on IS 'date of the dunning run that recorded it';
COMMENT ON COLUMN rr.invoice_dunning_status.actions IS 'number of dunning actions recorded for the invoice by the date';
COMMENT ON COLUMN rr.invoice_dunning_status.next_stage_no IS 'next stage of the policy not yet recorded; NULL when settled or past the last stage';
COMMENT ON COLUMN rr.invoice_dunning_status.next_action IS 'action of the next stage';
COMMENT ON COLUMN rr.invoice_dunning_status.next_due_on IS 'day the next stage becomes due: the due date plus its days overdue';
REVOKE ALL ON rr.invoice_dunning_status FROM PUBLIC;

CREATE VIEW rr.customer_dunning_status WITH (security_invoker = true) AS
SELECT rr.current_tenant() AS tenant_id, s.customer, s.currency, s.open_invoices, s.open_balance, s.overdue_invoices,
       s.overdue_balance, s.max_days_past_due, s.invoices_in_dunning, s.last_action, s.last_action_on, s.suspend_due
  FROM rr.customer_dunning_status_as_of(current_date) s;
COMMENT ON VIEW rr.customer_dunning_status IS 'dunning status of each customer and currency today (rr.customer_dunning_status_as_of(current_date))';
COMMENT ON COLUMN rr.customer_dunning_status.tenant_id IS 'the current tenant';
COMMENT ON COLUMN rr.customer_dunning_status.customer IS 'customer billed';
COMMENT ON COLUMN rr.customer_dunning_status.currency IS 'ISO 4217 code of the invoices'' currency: balances are never converted';
COMMENT ON COLUMN rr.customer_dunning_status.open_invoices IS 'posted invoices with a balance';
COMMENT ON COLUMN rr.customer_dunning_status.open_balance IS 'sum of their balances';
COMMENT ON COLUMN rr.customer_dunning_status.overdue_invoices IS 'invoices with a balance past their due date';
COMMENT ON COLUMN rr.customer_dunning_status.overdue_balance IS 'sum of their balances';
COMMENT ON COLUMN rr.customer_dunning_status.max_days_past_due IS 'most days past due of an invoice with a balance (0 when none is past due)';
COMMENT ON COLUMN rr.customer_dunning_status.invoices_in_dunning IS 'invoices with a balance and a dunning action recorded';
COMMENT ON COLUMN rr.customer_dunning_status.last_action IS 'the latest action recorded for an invoice still in dunning; NULL when none';
COMMENT ON COLUMN rr.customer_dunning_status.last_action_on IS 'date of the run that recorded it';
COMMENT ON COLUMN rr.customer_dunning_status.suspend_due IS 'true when an invoice with a balance reached a suspend stage';
REVOKE ALL ON rr.customer_dunning_status FROM PUBLIC;
