-- recurring_revenue demo: renewals at the turn of the year (needs 30_contracts.sql; run
-- after 70_recognition.sql in the whole story).  Acme's enterprise licence (renewal point
-- 60 days before its end, 2025-01-31) is renewed by hand; the cloud plans (30 days before
-- 2025-01-15) by a mass renewal run.
\echo
\echo '== Renewals on 2025-01-02: where each contract stands'
SET rr.tenant = 'default';
SELECT contract_id, customer, template, end_date, renewal_point, grace_ends, renewal_state
  FROM rr.contract_renewals_as_of('2025-01-02') ORDER BY contract_id;

\echo '== Acme renewed by hand into its second year; the cloud plans by a mass renewal run, then a re-run'
SELECT rr.renew_contract(1, '2025-01-02') AS acme_new_end;
UPDATE rr.contract_template SET mass_renewal = true WHERE tenant_id = 'default' AND code = 'CLOUD-ANNUAL';
SELECT * FROM rr.run_renewals('2025-01-02');
SELECT count(*) AS renewed_on_rerun FROM rr.run_renewals('2025-01-02');

\echo '== The renewal log, and the outbox'
SELECT contract_id, renewal_no, renewal_date, previous_end, new_end FROM rr.contract_renewal ORDER BY contract_id;
SELECT topic, entity_id FROM rr.outbox WHERE topic = 'contract.renewed' ORDER BY event_id;
RESET rr.tenant;
