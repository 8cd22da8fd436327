/*
 * tenancy.c — the tenant this transaction acts for, checked without reading a table
 *
 * rr.current_tenant() (docs/security.md, "Tenancy"): the setting rr.tenant, honoured only
 * when the session user, the role set with SET ROLE and the current user may all act for
 * that tenant: superusers,
 * members of rr_admin, and members of the tenant's group role rr_tenant_<tenant id>
 * (rr.add_tenant_member grants it).  An unset tenant is refused, never defaulted.
 *
 * Row-level security calls this function once per row where the policy is not an index
 * key, and on Citus it runs on the workers inside shard queries, where a table read is
 * not allowed.  So membership comes from the role catalog alone (syscache lookups that
 * Citus propagates with the roles), and the last answer is kept per backend until a
 * change to roles or memberships (a syscache invalidation) or another tenant, session
 * user or current user makes it stale.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(rr_current_tenant);

/* The prefix of a tenant's group role; with the longest tenant id it fits a name. */
#define TENANT_ROLE_PREFIX "rr_tenant_"
#define TENANT_ID_MAX (NAMEDATALEN - 1 - (int) sizeof(TENANT_ROLE_PREFIX) + 1)

/* The last tenant, session user and current user found allowed, while valid. */
static bool cache_valid = false;
static bool callbacks_registered = false;
static uint64 invalidations = 0;
static char cached_tenant[NAMEDATALEN];
static Oid	cached_session_user = InvalidOid;
static Oid	cached_outer_user = InvalidOid;
static Oid	cached_current_user = InvalidOid;

/* Any change to a role or a membership may change an answer: forget it. */
static void
tenancy_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	cache_valid = false;
	invalidations++;
}

/* May role act for the tenant whose group role is tenant_role (InvalidOid: none)? */
static bool
may_act_for(Oid role, Oid tenant_role, Oid admin_role)
{
	/* is_member_of_role counts superusers as members of every role */
	if (superuser_arg(role))
		return true;
	if (OidIsValid(admin_role) && is_member_of_role(role, admin_role))
		return true;
	return OidIsValid(tenant_role) && is_member_of_role(role, tenant_role);
}

/* Refuse role for tenant t, in the words of docs/security.md. */
static void
refuse(Oid role, const char *t)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not act for tenant \"%s\"",
					GetUserNameFromId(role, true) ? GetUserNameFromId(role, true) : "?", t),
			 errdetail("The setting rr.tenant selects the tenant; it is honoured only for members of the tenant's role %s%s and of rr_admin.",
					   TENANT_ROLE_PREFIX, t),
			 errhint("Set rr.tenant to one of your tenants, or ask an administrator to run rr.add_tenant_member().")));
}

/*
 * rr.current_tenant(): the tenant of this transaction, validated for the session user,
 * the role set with SET ROLE (the outer user, which a SECURITY DEFINER function does not
 * change) and the current user.  So a SECURITY DEFINER function, whose current user is
 * the extension's owner, stays bound to the tenants of both the logged-in role and the
 * role it switched to: a member of the tenant cannot lend the tenant to another role's
 * grants by SET ROLE, inside a definer function or outside.
 */
Datum
rr_current_tenant(PG_FUNCTION_ARGS)
{
	const char *t = GetConfigOption("rr.tenant", true, false);
	Oid			session_user = GetSessionUserId();
	Oid			outer_user = GetOuterUserId();
	Oid			current_user = GetUserId();
	char		rolename[NAMEDATALEN];
	Oid			tenant_role;
	Oid			admin_role;
	uint64		seen;

	if (t == NULL || t[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no tenant is selected"),
				 errdetail("The setting rr.tenant is not set; there is no default tenant."),
				 errhint("Start each transaction with SET LOCAL rr.tenant = 'your-tenant'.")));

	if (cache_valid && session_user == cached_session_user &&
		outer_user == cached_outer_user && current_user == cached_current_user &&
		strcmp(t, cached_tenant) == 0)
		PG_RETURN_TEXT_P(cstring_to_text(t));

	if (!callbacks_registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, tenancy_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, tenancy_invalidate, (Datum) 0);
		callbacks_registered = true;
	}
	seen = invalidations;

	/*
	 * A longer value names no tenant (tenant ids fit the role name); looking it up
	 * would compare a truncated name.
	 */
	tenant_role = InvalidOid;
	if (strlen(t) <= TENANT_ID_MAX)
	{
		snprintf(rolename, sizeof(rolename), "%s%s", TENANT_ROLE_PREFIX, t);
		tenant_role = get_role_oid(rolename, true);
	}
	admin_role = get_role_oid("rr_admin", true);

	if (!may_act_for(session_user, tenant_role, admin_role))
		refuse(session_user, t);
	if (outer_user != session_user && !may_act_for(outer_user, tenant_role, admin_role))
		refuse(outer_user, t);
	if (current_user != session_user && current_user != outer_user &&
		!may_act_for(current_user, tenant_role, admin_role))
		refuse(current_user, t);

	/* keep the answer unless a role changed while it was being worked out */
	if (strlen(t) < sizeof(cached_tenant) && seen == invalidations)
	{
		strcpy(cached_tenant, t);
		cached_session_user = session_user;
		cached_outer_user = outer_user;
		cached_current_user = current_user;
		cache_valid = true;
	}
	PG_RETURN_TEXT_P(cstring_to_text(t));
}

/*
 * The roles audit columns record (docs/security.md, "Audit"): the session user
 * (rr_internal.session_role(), the default of every session_role column) and the role it
 * acts as, SET ROLE's, else the session user (rr.acting_role()).
 *
 * On Citus a delegated workflow runs on the tenant's worker over a connection that Citus
 * opens as the current user of the call, which inside a SECURITY DEFINER entry point is
 * the extension's owner: there the session user is the owner, and SET ROLE is the
 * caller's setting on the coordinator only.  So the entry point forwards both roles
 * before it delegates (rr_internal.forward_audit_roles: SET LOCAL rr.audit_session_role
 * and rr.audit_acting_role, which Citus sends to the workers), and these functions return
 * the forwarded roles when they are set and the session user is a superuser, as the
 * owner's connection is.  Any other session's settings are ignored, so no member role can
 * name another role in an audit column by setting them.
 */
static const char *
forwarded_role(const char *setting)
{
	const char *role = GetConfigOption(setting, true, false);

	if (role == NULL || role[0] == '\0' || !superuser_arg(GetSessionUserId()))
		return NULL;
	return role;
}

static Datum
role_name_datum(const char *role)
{
	return DirectFunctionCall1(namein, CStringGetDatum(role));
}

PG_FUNCTION_INFO_V1(rr_session_role);

Datum
rr_session_role(PG_FUNCTION_ARGS)
{
	const char *role = forwarded_role("rr.audit_session_role");

	if (role == NULL)
		role = GetUserNameFromId(GetSessionUserId(), false);
	PG_RETURN_DATUM(role_name_datum(role));
}

PG_FUNCTION_INFO_V1(rr_acting_role);

Datum
rr_acting_role(PG_FUNCTION_ARGS)
{
	const char *role = forwarded_role("rr.audit_acting_role");

	if (role == NULL)
	{
		role = GetConfigOption("role", false, false);
		if (role == NULL || strcmp(role, "none") == 0)
			role = GetUserNameFromId(GetSessionUserId(), false);
	}
	PG_RETURN_DATUM(role_name_datum(role));
}
