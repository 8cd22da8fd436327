-- Tenant isolation and roles (docs/concepts.md "Tenancy", docs/security.md): tenant A's roles cannot see,
-- change or reference tenant B's rows, through tables, views, SECURITY DEFINER
-- functions, or by setting rr.tenant to B; the analyst reads but writes nothing; the
-- application cannot change the catalog or write contracts directly.
\set SHOW_CONTEXT never
SELECT count(*) AS roles FROM rr.create_roles();
CREATE ROLE ta_app LOGIN;
CREATE ROLE tb_app LOGIN;
CREATE ROLE ta_analyst LOGIN;
CREATE ROLE ta_group NOLOGIN;
CREATE ROLE ta_member_of_group LOGIN;
GRANT rr_app TO ta_app, tb_app, ta_member_of_group;
GRANT rr_analyst TO ta_analyst;
GRANT ta_group TO ta_member_of_group;
SELECT rr.create_tenant('ta', 'Tenant A', 'USD');
SELECT rr.create_tenant('tb', 'Tenant B', 'EUR');
SELECT rr.add_tenant_member('ta', 'ta_app'), rr.add_tenant_member('tb', 'tb_app'),
       rr.add_tenant_member('ta', 'ta_analyst'), rr.add_tenant_member('ta', 'ta_group');

-- the same small catalog in both tenants (as a superuser, acting for each in turn)
SET rr.tenant = 'ta';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('ta', 'SVC', 'Service A', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('ta', 'SVC', 'USD', 10.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type)
VALUES ('ta', 'PLAN', 'Plan A', 'USD', 'SVC', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('ta', 'T', 'Template A', 1);
INSERT INTO rr.template_line VALUES ('ta', 'T', 1, 'PLAN', 1);
INSERT INTO rr.tax_code VALUES ('ta', 'VAT', 'VAT A', 0.2, false, '2200');
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ta', 'CUST', 'Customer of A', 'USD');
SELECT rr.create_contract('CUST', 'T', '2024-01-01') AS a_contract \gset
SET rr.tenant = 'tb';
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('tb', 'SVC', 'Service B', '4000', '2100', '1100');
INSERT INTO rr.item_price VALUES ('tb', 'SVC', 'EUR', 20.00);
INSERT INTO rr.contract_item (tenant_id, code, name, currency, recurring_item, billing_type)
VALUES ('tb', 'PLAN', 'Plan B', 'EUR', 'SVC', 'prepaid');
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('tb', 'T', 'Template B', 1);
INSERT INTO rr.contract_template (tenant_id, code, name, duration) VALUES ('tb', 'ONLY-B', 'Only in B', 1);
INSERT INTO rr.template_line VALUES ('tb', 'T', 1, 'PLAN', 1);
INSERT INTO rr.tax_code VALUES ('tb', 'VAT-B', 'VAT B', 0.19, false, '2200');
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('tb', 'CUST', 'Customer of B', 'EUR');
SELECT rr.create_contract('CUST', 'T', '2024-01-01') AS b_contract \gset
RESET rr.tenant;

-- tenant A's application sees only A, in tables and in views
SET SESSION AUTHORIZATION ta_app;
SET rr.tenant = 'ta';
SELECT rr.current_tenant();
SELECT tenant_id, code, name FROM rr.customer ORDER BY 1, 2;
SELECT tenant_id, name FROM rr.item ORDER BY 1;
SELECT tenant_id, customer, status FROM rr.contract_overview;
SELECT count(*) AS events_visible FROM rr.contract_event;
SELECT tenant_id FROM rr.tenant;
-- ... cannot select tenant B by changing the setting
SET rr.tenant = 'tb';
SELECT code FROM rr.customer;
SELECT rr.setup_contract(:b_contract);
SET rr.tenant = 'ta';
-- ... cannot reach B's contract through a SECURITY DEFINER function while acting for A
SELECT rr.setup_contract(:b_contract);
SELECT rr.contract_as_of(:b_contract, now()) AS b_as_seen_from_a;
SELECT count(*) AS b_lines FROM rr.contract_lines_as_of(:b_contract, '2024-06-01');
-- ... cannot write or change B's rows
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('tb', 'SNEAKY', 'Planted in B', 'EUR');
UPDATE rr.customer SET name = 'changed' WHERE tenant_id = 'tb';
DELETE FROM rr.customer WHERE tenant_id = 'tb';
-- ... cannot reference B's rows from A's
INSERT INTO rr.customer (tenant_id, code, name, currency, tax_code) VALUES ('ta', 'C2', 'Uses B''s tax code', 'USD', 'VAT-B');
SELECT rr.create_contract('CUST', 'ONLY-B', '2024-01-01');
-- ... may add customers and run the contract lifecycle in A
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ta', 'NEW', 'New customer of A', 'USD');
-- ... but only with a time zone PostgreSQL knows
INSERT INTO rr.customer (tenant_id, code, name, currency, time_zone) VALUES ('ta', 'TZ', 'Bogus zone', 'USD', 'Mars/Olympus');
UPDATE rr.customer SET time_zone = 'UTC+99' WHERE code = 'NEW';
SELECT rr.setup_and_activate_contract(:a_contract);
SELECT action, session_role, acting_role FROM rr.contract_event WHERE contract_id = :a_contract ORDER BY event_id;
-- ... but cannot change the catalog, or contracts and events directly
INSERT INTO rr.item (tenant_id, code, name, revenue_account, deferred_account, receivable_account)
VALUES ('ta', 'X', 'x', '4000', '2100', '1100');
UPDATE rr.contract_item SET name = 'renamed';
UPDATE rr.contract SET status = 'completed' WHERE contract_id = :a_contract;
INSERT INTO rr.contract_event (tenant_id, contract_id, action, acting_role, after)
VALUES ('ta', :a_contract, 'forged', 'ta_app', '{}');
DELETE FROM rr.contract_line;
SELECT rr.create_tenant('tc', 'Self-made tenant', 'USD');
SELECT rr.add_tenant_member('tb', 'ta_app');
RESET SESSION AUTHORIZATION;

-- tenant B's application sees only B (and its contract is still a draft)
SET SESSION AUTHORIZATION tb_app;
SET rr.tenant = 'tb';
SELECT tenant_id, code, name FROM rr.customer ORDER BY 1, 2;
SELECT tenant_id, customer, status FROM rr.contract_overview;
SET rr.tenant = 'ta';
SELECT count(*) FROM rr.contract;
-- an unset tenant is refused: there is no default tenant
RESET rr.tenant;
SELECT rr.current_tenant();
RESET SESSION AUTHORIZATION;

-- membership through a group role
SET SESSION AUTHORIZATION ta_member_of_group;
SET rr.tenant = 'ta';
SELECT count(*) AS contracts FROM rr.contract;
RESET SESSION AUTHORIZATION;

-- the analyst reads A but writes nothing and cannot call the lifecycle
SET SESSION AUTHORIZATION ta_analyst;
SET rr.tenant = 'ta';
SELECT tenant_id, status FROM rr.contract;
SELECT count(*) > 0 AS reads_catalog FROM rr.contract_item;
SELECT rr.allocate(10, '{1,1,1}') AS pure_functions_work;
INSERT INTO rr.customer (tenant_id, code, name, currency) VALUES ('ta', 'A2', 'x', 'USD');
UPDATE rr.customer SET name = 'x';
SELECT rr.terminate_contract(:a_contract, '2024-06-01');
SELECT rr.create_contract('CUST', 'T', '2024-01-01');
RESET SESSION AUTHORIZATION;

-- a role with no rr grant cannot even use the schema
CREATE ROLE outsider LOGIN;
SET SESSION AUTHORIZATION outsider;
SELECT count(*) FROM rr.customer;
RESET SESSION AUTHORIZATION;

-- The tenant-setting contract (docs/security.md, "Tenancy").  Membership is the tenant's
-- group role, granted by rr.add_tenant_member and revoked by rr.remove_tenant_member.
SELECT rolname, rolcanlogin, rolinherit FROM pg_roles WHERE rolname IN ('rr_tenant_ta', 'rr_tenant_tb') ORDER BY 1;
SELECT m.rolname AS member FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE g.rolname = 'rr_tenant_ta' ORDER BY 1;
-- an unset or empty tenant is refused, for rr_admin too (which may act for any tenant)
CREATE ROLE ta_admin IN ROLE rr_admin;
SET SESSION AUTHORIZATION ta_admin;
RESET rr.tenant;
SELECT count(*) FROM rr.customer;
INSERT INTO rr.usage_staging (contract_id, item, quantity, occurred_at) VALUES (1, 'SVC', 1, now());
SET rr.tenant = '';
SELECT count(*) FROM rr.customer;
SET rr.tenant = 'tb';
SELECT count(*) AS b_customers FROM rr.customer;
RESET SESSION AUTHORIZATION;
-- (a superuser bypasses row-level security, but the function refuses it too)
RESET rr.tenant;
SELECT rr.current_tenant();
-- per transaction: SET LOCAL ends with the transaction
BEGIN;
SET LOCAL rr.tenant = 'ta';
SELECT rr.current_tenant(), count(*) AS customers FROM rr.customer;
COMMIT;
SELECT rr.current_tenant();
-- a role of the tenant that switches (SET ROLE) to a role outside it is refused, in
-- SECURITY DEFINER functions too: the session user and the role set with SET ROLE must
-- both be members (and the current user, outside definer functions)
CREATE ROLE ta_other NOLOGIN;
GRANT rr_app TO ta_other;
GRANT ta_other TO ta_app;
SET SESSION AUTHORIZATION ta_app;
SET rr.tenant = 'ta';
SELECT count(*) AS customers FROM rr.customer;
SET ROLE ta_other;
SELECT count(*) AS customers FROM rr.customer;
SELECT rr.setup_contract(:a_contract);
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- a member sees the current tenant's members
SET SESSION AUTHORIZATION ta_app;
SET rr.tenant = 'ta';
SELECT tenant_id, role_name FROM rr.tenant_member ORDER BY 2;
RESET SESSION AUTHORIZATION;
-- removing a member takes effect at once, also in a session that used the tenant before
SET SESSION AUTHORIZATION ta_member_of_group;
SET rr.tenant = 'ta';
SELECT count(*) AS contracts FROM rr.contract;
RESET SESSION AUTHORIZATION;
SELECT rr.remove_tenant_member('ta', 'ta_group') AS removed, rr.remove_tenant_member('ta', 'ta_group') AS again;
SET SESSION AUTHORIZATION ta_member_of_group;
SET rr.tenant = 'ta';
SELECT count(*) AS contracts FROM rr.contract;
RESET SESSION AUTHORIZATION;
SELECT rr.add_tenant_member('ta', 'ta_group');
-- refusals of the administration functions
SELECT rr.add_tenant_member('ta', 'rr_tenant_tb');
SELECT rr.add_tenant_member('nosuch', 'ta_app');
SELECT rr.add_tenant_member('ta', 'no_such_role');
SELECT rr.create_tenant(repeat('x', 54), 'Too long for its role', 'USD');
CREATE ROLE rr_tenant_td LOGIN;
SELECT rr.create_tenant('td', 'Its role name is taken', 'USD');
DROP ROLE rr_tenant_td;
-- a role of that name that holds another role would pass its privileges on to members
CREATE ROLE rr_tenant_te NOLOGIN IN ROLE pg_read_all_data;
SELECT rr.create_tenant('te', 'Its role holds another role', 'USD');
DROP ROLE rr_tenant_te;
RESET rr.tenant;
DROP ROLE ta_other, ta_admin;
