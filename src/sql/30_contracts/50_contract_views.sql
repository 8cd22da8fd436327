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
REVOKE ALL ON rr.contract_overview FROM PUBLIC;
