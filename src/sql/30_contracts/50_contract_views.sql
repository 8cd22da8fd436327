-- Contract views for applications and analysts (security_invoker: the caller's rights
-- and row-level security apply).

CREATE VIEW rr.contract_overview WITH (security_invoker = true) AS
SELECT c.tenant_id, c.contract_id, c.customer, cu.name AS customer_name, c.template, c.status,
       c.currency, c.start_date, c.end_date, c.activation_date, c.closed_date,
       count(l.line_no) FILTER (WHERE NOT l.is_removed) AS lines,
       sum(l.quantity * l.recurring_price)
           FILTER (WHERE NOT l.is_removed AND ci.billing_type IN ('prepaid', 'postpaid') AND l.price_model IS NULL)
           AS fixed_recurring_amount
  FROM rr.contract c
  JOIN rr.customer cu ON cu.tenant_id = c.tenant_id AND cu.code = c.customer
  LEFT JOIN LATERAL (SELECT DISTINCT ON (x.line_no) x.*
                       FROM rr.contract_line x
                      WHERE x.tenant_id = c.tenant_id AND x.contract_id = c.contract_id
                        AND x.effective_from <= greatest(current_date, c.start_date)
                      ORDER BY x.line_no, x.effective_from DESC) l ON true
  LEFT JOIN rr.contract_item ci ON ci.tenant_id = l.tenant_id AND ci.code = l.contract_item
 GROUP BY c.tenant_id, c.contract_id, cu.name;
COMMENT ON VIEW rr.contract_overview IS 'customer contract summary: one row per contract with its customer, status, term, number of current lines and the recurring amount per billing period of the lines in effect today (or at the start of a future contract)';
COMMENT ON COLUMN rr.contract_overview.tenant_id IS 'tenant that owns the contract';
COMMENT ON COLUMN rr.contract_overview.contract_id IS 'contract id';
COMMENT ON COLUMN rr.contract_overview.customer IS 'customer code of the contract';
COMMENT ON COLUMN rr.contract_overview.customer_name IS 'name of the customer (rr.customer.name)';
COMMENT ON COLUMN rr.contract_overview.template IS 'code of the contract template the contract was created from';
COMMENT ON COLUMN rr.contract_overview.status IS 'contract status: draft, pending_activation, active, pending_upgrade, expired, terminated or completed';
COMMENT ON COLUMN rr.contract_overview.currency IS 'ISO 4217 code of the contract currency';
COMMENT ON COLUMN rr.contract_overview.start_date IS 'first day of the contract term';
COMMENT ON COLUMN rr.contract_overview.end_date IS 'end of the term, exclusive (the term is [start_date, end_date)); NULL for an unlimited contract';
COMMENT ON COLUMN rr.contract_overview.activation_date IS 'date the contract was activated; NULL while not activated';
COMMENT ON COLUMN rr.contract_overview.closed_date IS 'date the contract was closed; NULL while it is not';
COMMENT ON COLUMN rr.contract_overview.lines IS 'number of contract lines in effect today (or at the start of a future contract), removed lines not counted; 0 when it has none';
COMMENT ON COLUMN rr.contract_overview.fixed_recurring_amount IS 'sum of quantity times recurring price, in the contract currency, per billing period of the lines in effect today (or at the start of a future contract) whose item bills prepaid or postpaid at a unit price (lines with a price model, deposit and non-recurring lines excluded); NULL when there is no such line';
REVOKE ALL ON rr.contract_overview FROM PUBLIC;
