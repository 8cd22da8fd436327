/*
 * currency.c — the minor units of a currency, cached per backend
 *
 * rr.minor_units (docs/concepts.md, "Currencies") is called once per row by the
 * statements that round money: the billing terms of each contract, each tax line, each
 * revenue schedule.  Those statements do not join rr.currency, so that on Citus a
 * tenant's billing run can run on the tenant's worker as one delegated call (a statement
 * there may read only the tenant's co-located shards, not the reference table; a
 * function it calls may: docs/scale-out.md).  Each backend keeps the codes it has looked
 * up in a hash table, read from rr.currency through SPI on a miss; the table's row
 * trigger rr_internal.currency_changed (src/sql/00_core/10_currency.sql) sends a relcache
 * invalidation of rr.currency with each change, which empties every backend's table at
 * its next transaction (and this backend's at its next command).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(rr_minor_units);
PG_FUNCTION_INFO_V1(rr_currency_changed);

typedef struct MinorUnitsEntry
{
	char		code[4];		/* three upper-case letters and a terminator: the key */
	int32		minor_units;
} MinorUnitsEntry;

static HTAB *minor_units_cache = NULL;
static Oid	currency_relid = InvalidOid;	/* rr.currency, looked up with the cache */
static bool callback_registered = false;

/*
 * Any invalidation of rr.currency (or of every relation) empties the cache.  (No catalog
 * look-up here: the table's OID is taken when the cache is made; dropping the table, with
 * DROP EXTENSION, invalidates it and so empties the cache, and the next call looks the
 * new table up.)
 */
static void
minor_units_invalidate(Datum arg, Oid relid)
{
	if (minor_units_cache == NULL)
		return;
	if (OidIsValid(relid) && relid != currency_relid)
		return;
	hash_destroy(minor_units_cache);
	minor_units_cache = NULL;
}

static void
unknown_currency(text *code)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown currency code \"%s\"", text_to_cstring(code)),
			 errhint("Use an ISO 4217 code listed in rr.currency, such as USD, EUR or JPY.")));
}

/*
 * rr.minor_units(code text) returns integer: the decimal places of a currency, the code
 * in any case; 22023 for a code that is not in rr.currency.
 */
Datum
rr_minor_units(PG_FUNCTION_ARGS)
{
	text	   *code = PG_GETARG_TEXT_PP(0);
	MinorUnitsEntry *entry;
	char		key[4];
	bool		found;
	int			len = VARSIZE_ANY_EXHDR(code);
	const char *p = VARDATA_ANY(code);

	/* a code is three letters; upper-cased here as the table stores it */
	if (len != 3)
		unknown_currency(code);
	for (int i = 0; i < 3; i++)
	{
		char		c = p[i];

		if (c >= 'a' && c <= 'z')
			c = c - 'a' + 'A';
		if (c < 'A' || c > 'Z')
			unknown_currency(code);
		key[i] = c;
	}
	key[3] = '\0';

	if (minor_units_cache == NULL)
	{
		HASHCTL		ctl;

		if (!callback_registered)
		{
			CacheRegisterRelcacheCallback(minor_units_invalidate, (Datum) 0);
			callback_registered = true;
		}
		currency_relid = get_relname_relid("currency", get_namespace_oid("rr", false));
		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(MinorUnitsEntry);
		ctl.hcxt = CacheMemoryContext;
		minor_units_cache = hash_create("rr minor units", 32, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}

	entry = (MinorUnitsEntry *) hash_search(minor_units_cache, key, HASH_FIND, NULL);
	if (entry != NULL)
		PG_RETURN_INT32(entry->minor_units);

	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		values[1];
		int32		units = 0;
		bool		isnull;
		int			rc;
		int			nestlevel = -1;

		values[0] = CStringGetTextDatum(key);

		/*
		 * On a Citus worker this may run inside the query of a shard, where Citus
		 * refuses to run another query on its tables unless told it may: the currency
		 * list is a reference table, with a copy on every node, read here alone and
		 * locally, which is safe; the setting is for this read only.
		 */
		if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		{
			nestlevel = NewGUCNestLevel();
			(void) set_config_option("citus.allow_nested_distributed_execution", "on", PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		}
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rc = SPI_execute_with_args("SELECT c.minor_units FROM rr.currency c "
								   "WHERE c.code OPERATOR(pg_catalog.=) $1::pg_catalog.bpchar",
								   1, argtypes, values, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reading rr.currency failed: %s", SPI_result_code_string(rc));
		found = SPI_processed > 0;
		if (found)
		{
			units = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				found = false;
		}
		SPI_finish();
		if (nestlevel >= 0)
			AtEOXact_GUC(true, nestlevel);
		if (!found)
			unknown_currency(code);

		/* (the cache may have been emptied by an invalidation SPI processed) */
		if (minor_units_cache != NULL)
		{
			entry = (MinorUnitsEntry *) hash_search(minor_units_cache, key, HASH_ENTER, NULL);
			entry->minor_units = units;
		}
		PG_RETURN_INT32(units);
	}
}

/*
 * Row trigger of rr.currency: a relcache invalidation of the table, so that every
 * backend empties its cache of minor units (this one at its next command, the others at
 * their next transaction after this one commits; an aborted change empties it too).
 *
 * The table invalidated is rr.currency looked up by name, not the trigger's relation: on
 * Citus the currency list is a reference table whose rows live in a shard on every node
 * (rr.currency_<shard id>), and the trigger fires on those shards, never on rr.currency
 * itself, whose invalidation is what the caches listen for (on a single node, the
 * trigger's own relation).
 */
Datum
rr_currency_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "rr_internal.currency_changed: not called as a trigger");
	CacheInvalidateRelcacheByRelid(get_relname_relid("currency", get_namespace_oid("rr", false)));
	return PointerGetDatum(NULL);
}
