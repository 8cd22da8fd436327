-- recurring_revenue demo: an amendment and an upgrade in progress (needs 30_contracts.sql;
-- run after 80_renewals.sql in the whole story).  Globex takes 50 seats instead of 40 from
-- 2025-02-15, billed at once, previewed first (the invoice brings what was due and not billed
-- yet too: January, and December's API usage); then starts an upgrade to 60 seats, staged
-- and not yet activated (the contract bills on at 50 meanwhile).
\echo
\echo '== Globex: 40 -> 50 seats from 2025-02-15, previewed, then amended and billed at once'
SET rr.tenant = 'default';
SELECT * FROM rr.preview_amendment(2, '2025-02-15', '[{"item": "CLOUD-SEATS", "quantity": 50}]', bill => 'immediately');
SELECT * FROM rr.amend_contract(2, '2025-02-15', '[{"item": "CLOUD-SEATS", "quantity": 50}]', bill => 'immediately',
                                reason => 'new team');

\echo '== An upgrade in progress: staged, not yet activated'
SELECT rr.start_upgrade(2, 'evaluating 60 seats');
SELECT rr.change_upgrade(2, '[{"item": "CLOUD-SEATS", "quantity": 60}]');

\echo '== The modification log'
SELECT contract_id, effective_date, action, derived_treatment, applied_treatment, price_before, price_after, revenue_impact
  FROM rr.modification_log ORDER BY modification_id;
RESET rr.tenant;
