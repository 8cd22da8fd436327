-- The extension lives in schema rr (created by CREATE EXTENSION from the control file).
-- Nothing in it is usable by PUBLIC: rr.create_roles() grants the rr_* roles.

COMMENT ON SCHEMA rr IS 'recurring_revenue: recurring revenue management (billing periods, proration, exact allocation, pricing, revenue recognition)';
REVOKE ALL ON SCHEMA rr FROM PUBLIC;
