/*
 * planned.c — statements a session runs for one contract at a time, planned once per session
 *
 * Billing one contract (rr.bill_contract, rr.setup_and_activate_contract) asks what is due
 * for that contract alone.  PL/pgSQL would plan that statement anew, with its arguments'
 * values, for the first five executions in a session before settling on a generic plan:
 * planning rr_internal.due_charges, a statement of some twenty CTEs, took 12-27 ms a call,
 * running it for one contract 1-2 ms, so a session's second to sixth calls each paid the
 * planning again (bench/README.md, issue 13).  Here the one-contract statement is prepared
 * once per session with a generic plan (CURSOR_OPT_GENERIC_PLAN: the plan PL/pgSQL settles
 * on from the sixth call, filtering by the contract's key) and kept; the plan cache still
 * makes it again when a table, a function it inlines, the role (row-level security) or
 * search_path changes.  A batch (the tenant's contracts) is planned at each call with its
 * arguments' values, as the sizes of a batch differ, and so is every statement where Citus
 * is loaded.  No planner setting is changed.
 *
 * The rows go straight into the caller's tuplestore, which spills to disk beyond work_mem,
 * as PL/pgSQL's RETURN QUERY does.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "nodes/params.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(rr_due_charges_planned);
PG_FUNCTION_INFO_V1(rr_due_charges_planned_support);
PG_FUNCTION_INFO_V1(rr_run_statement);

/* The kept plans, by statement text (a few per session). */
typedef struct KeptStatement
{
	struct KeptStatement *next;
	SPIPlanPtr	plan;
	char		text[FLEXIBLE_ARRAY_MEMBER];
} KeptStatement;

static KeptStatement *kept_statements = NULL;

/* The slot of query's kept plan (empty until its first run in the session). */
static SPIPlanPtr *
kept_plan(const char *query)
{
	KeptStatement *k;

	for (k = kept_statements; k != NULL; k = k->next)
		if (strcmp(k->text, query) == 0)
			return &k->plan;
	k = MemoryContextAllocZero(TopMemoryContext, add_size(offsetof(KeptStatement, text), strlen(query) + 1));
	strcpy(k->text, query);
	k->next = kept_statements;
	kept_statements = k;
	return &k->plan;
}

/* Refuse a statement whose columns are not the ones the caller reads. */
static void
check_result_columns(SPIPlanPtr plan, TupleDesc expected, const char *query)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	TupleDesc	got;

	if (list_length(sources) != 1)
		elog(ERROR, "statement \"%s\" is not a single query", query);
	got = ((CachedPlanSource *) linitial(sources))->resultDesc;
	if (got == NULL || got->natts != expected->natts)
		elog(ERROR, "statement \"%s\" does not return the %d columns expected", query, expected->natts);
	for (int i = 0; i < got->natts; i++)
	{
		if (TupleDescAttr(got, i)->atttypid != TupleDescAttr(expected, i)->atttypid)
			elog(ERROR, "column %d of statement \"%s\" is of type %s, not %s", i + 1, query,
				 format_type_be(TupleDescAttr(got, i)->atttypid),
				 format_type_be(TupleDescAttr(expected, i)->atttypid));
	}
}

/*
 * Run query with nargs arguments into the tuplestore of a materialising set-returning
 * function.  With keep, the plan is generic and kept in *keep for the session (made on the
 * first call); without, it is made for these values and dropped.
 */
static void
run_into_result(FunctionCallInfo fcinfo, const char *query, int nargs, Oid *types, Datum *values,
				bool *nulls, SPIPlanPtr *keep, bool read_only)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ParamListInfo params = makeParamList(nargs);
	SPIExecuteOptions options;
	DestReceiver *dest;
	SPIPlanPtr	plan;
	int			rc;

	for (int i = 0; i < nargs; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = nulls[i];
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}

	/*
	 * Citus plans a distributed query that has parameters only for their values (a generic
	 * plan of the rating, which joins the session's work tables to distributed tables, is
	 * "could not create distributed plan"): with Citus loaded, every statement is planned
	 * for its values, as before.
	 */
	if (keep != NULL && GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		keep = NULL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (keep != NULL && *keep != NULL)
		plan = *keep;
	else
	{
		plan = SPI_prepare_cursor(query, nargs, types,
								  (keep != NULL ? CURSOR_OPT_GENERIC_PLAN : CURSOR_OPT_CUSTOM_PLAN)
								  | CURSOR_OPT_PARALLEL_OK);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s", query, SPI_result_code_string(SPI_result));
		check_result_columns(plan, rsinfo->setDesc, query);
		if (keep != NULL)
		{
			if (SPI_keepplan(plan) != 0)
				elog(ERROR, "SPI_keepplan failed");
			*keep = plan;
		}
	}

	dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, rsinfo->setResult, rsinfo->econtext->ecxt_per_query_memory,
									false, NULL, NULL);
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = read_only;
	options.dest = dest;
	rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "running \"%s\" failed: %s", query, SPI_result_code_string(rc));
	dest->rDestroy(dest);
	SPI_finish();
}

/*
 * rr_internal.due_charges_planned(tenant_id, as_of, only_contract): rr_internal.due_charges
 * for the tenant's contracts (only_contract NULL) or one of them, what is charged already
 * left out.
 */
Datum
rr_due_charges_planned(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {TEXTOID, DATEOID, INT8OID};
	Datum		values[3];
	bool		nulls[3];

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < 3; i++)
	{
		nulls[i] = PG_ARGISNULL(i);
		values[i] = nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	if (nulls[2])
		run_into_result(fcinfo,
						"SELECT * FROM rr_internal.due_charges($1, $2, NULL, true, false)",
						2, types, values, nulls, NULL, true);
	else
	{
		const char *one_contract = "SELECT * FROM rr_internal.due_charges($1, $2, $3, false, false)";

		run_into_result(fcinfo, one_contract, 3, types, values, nulls, kept_plan(one_contract), true);
	}
	return (Datum) 0;
}

/* The rows a set-returning function declares (its ROWS), 0 when it cannot be read. */
static double
declared_rows(Oid function)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	double		rows = 0;

	if (HeapTupleIsValid(tuple))
	{
		rows = ((Form_pg_proc) GETSTRUCT(tuple))->prorows;
		ReleaseSysCache(tuple);
	}
	return rows;
}

/*
 * The planner's estimate of the rows of rr_internal.due_charges_planned (its support
 * function).  A batch (only_contract NULL, a constant in the plan made for the call's
 * arguments) is estimated at the line versions of rr.contract_line (pg_class.reltuples,
 * which the billing run refreshes before it plans: rr_internal.refresh_statistics) when
 * they are more than the declared rows: about a charge per line version.  With the
 * declared 1,000 the billing statement guessed a few hundred charges and looked their line
 * versions and contracts up one at a time, unless filters of those tables by the array of
 * the contracts locked made that dear, and PostgreSQL plans such a filter element by
 * element (1.2 GB of the backend's memory for 1,000,000 contracts; bench/README.md).
 * Every tenant's line versions count: a small tenant in a large table gets hash joins over
 * its own rows, which cost little.  One contract, a generic plan (the argument a
 * parameter) and a table never analysed (reltuples -1) keep the declared estimate.
 */
Datum
rr_due_charges_planned_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestRows *req;
	List	   *args;
	Node	   *only_contract;
	Oid			rr_namespace;
	Oid			contract_line;
	HeapTuple	tuple;
	double		line_versions;

	if (!IsA(rawreq, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestRows *) rawreq;
	if (!is_funcclause(req->node))
		PG_RETURN_POINTER(NULL);
	args = ((FuncExpr *) req->node)->args;
	if (list_length(args) != 3)
		PG_RETURN_POINTER(NULL);
	only_contract = (Node *) lthird(args);
	if (!IsA(only_contract, Const) || !((Const *) only_contract)->constisnull)
		PG_RETURN_POINTER(NULL);

	rr_namespace = get_namespace_oid("rr", true);
	contract_line = OidIsValid(rr_namespace) ? get_relname_relid("contract_line", rr_namespace) : InvalidOid;
	if (!OidIsValid(contract_line))
		PG_RETURN_POINTER(NULL);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(contract_line));
	if (!HeapTupleIsValid(tuple))
		PG_RETURN_POINTER(NULL);
	line_versions = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;
	ReleaseSysCache(tuple);
	/* (reltuples is -1 for a table never analysed or vacuumed; req->rows is not set yet) */
	if (line_versions <= declared_rows(req->funcid))
		PG_RETURN_POINTER(NULL);
	req->rows = line_versions;
	PG_RETURN_POINTER(req);
}

/*
 * rr_internal.run_statement(statement, tenant_id, as_of, only_contract): the rows of a
 * statement of the extension's own code that takes the three arguments as $1, $2 and $3,
 * read with a column definition list, with its generic plan made once per session and kept
 * (for a single contract's calls: a batch runs its statement with EXECUTE, planned for it).
 */
Datum
rr_run_statement(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {TEXTOID, DATEOID, INT8OID};
	Datum		values[3];
	bool		nulls[3];
	char	   *query;

	if (PG_ARGISNULL(0))
		elog(ERROR, "rr_internal.run_statement needs a statement");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (int i = 0; i < 3; i++)
	{
		nulls[i] = PG_ARGISNULL(i + 1);
		values[i] = nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
	}
	run_into_result(fcinfo, query, 3, types, values, nulls, kept_plan(query), false);
	return (Datum) 0;
}
