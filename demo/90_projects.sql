-- recurring_revenue demo: a fixed-price project billed by milestones (needs
-- 70_recognition.sql for the project item and template; docs/projects-and-on-demand.md).
-- Globex's 30,000.00 implementation from 2025-01-01, billed 40 % when the design is
-- approved and the remaining 60 % at go-live; revenue by percent complete.
\echo
\echo '== A project billed by milestones'
SET rr.tenant = 'default';
SELECT rr.create_contract('GLOBEX', 'PROJECT', '2025-01-01', description => 'CRM implementation') AS project \gset
SELECT rr.set_obligation(:project, 1, standalone_price => 30000.00);
SELECT rr.add_milestone(:project, 1, 'Design approved', 40) AS design,
       rr.add_milestone(:project, 1, 'Go-live', 60) AS go_live;
SELECT rr.setup_and_activate_contract(:project);
SELECT lines, total FROM rr.reach_milestone(:project, 1, '2025-02-14');
SELECT rr.record_progress(:project, 1, 30, '2025-02-28') AS catch_up;
SELECT milestone_no, name, percent, amount, reached_on FROM rr.contract_milestone WHERE contract_id = :project
 ORDER BY milestone_no;
RESET rr.tenant;
