/*
 * spread.c — revenue schedules: a total spread over accounting periods (docs/concepts.md, "Calendar and money")
 *
 * rr.spread cuts the service range with the calendar core (rr.billing_periods' rule)
 * and rr.spread_periods takes the periods of a custom fiscal calendar; both weigh each
 * period by the method and split the total with the largest-remainder rule of
 * rr.allocate, so the rows sum exactly to the total.
 */
#include "postgres.h"

#include "allocate.h"
#include "calendar.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

/* Spreading methods (Acumatica's names in comments). */
typedef enum SpreadMethod
{
	SPREAD_DAILY,				/* Evenly by Days in Period */
	SPREAD_EQUAL,				/* Evenly by Periods */
	SPREAD_EQUAL_PRORATE		/* Evenly by Periods, Prorate by Days */
} SpreadMethod;

static SpreadMethod
spread_method(text *method)
{
	char	   *m = text_to_cstring(method);

	if (strcmp(m, "daily") == 0)
		return SPREAD_DAILY;
	if (strcmp(m, "equal") == 0)
		return SPREAD_EQUAL;
	if (strcmp(m, "equal_prorate") == 0)
		return SPREAD_EQUAL_PRORATE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown spread method \"%s\"", m),
			 errhint("Use 'daily' (days in period), 'equal' (evenly by periods) or 'equal_prorate' (evenly by periods, partial periods prorated by days).")));
	pg_unreachable();
}

/*
 * One accounting period touched by the service: [lo, hi) is the part inside the
 * service, [full_lo, full_hi) the whole accounting period.
 */
typedef struct SpreadPeriod
{
	int64		lo;
	int64		hi;
	int64		full_lo;
	int64		full_hi;
} SpreadPeriod;

/* The service range: non-empty and bounded. */
static void
read_service(TypeCacheEntry *typcache, Datum service, int64 *lo, int64 *hi)
{
	if (!rr_daterange_bounds(typcache, service, "service", true, lo, hi))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("service range is empty"),
				 errhint("Give the service period as a non-empty range such as '[2024-01-15,2025-01-15)'.")));
}

/*
 * Integer weights for the periods.  'equal_prorate' weighs a period by the covered
 * fraction c/D of its days; to keep integers, every weight is multiplied by the product
 * of the full lengths of the first and last periods (only those two can be partial).
 * 'equal' gives weight 1 to the first n_equal periods and 0 to the rest.
 */
static void
spread_weights(const SpreadPeriod *p, int n, SpreadMethod method, int n_equal, int64 *w)
{
	int			i;
	int64		d_first = p[0].full_hi - p[0].full_lo;
	int64		d_last = p[n - 1].full_hi - p[n - 1].full_lo;

	for (i = 0; i < n; i++)
	{
		int64		covered = p[i].hi - p[i].lo;
		int64		full = p[i].full_hi - p[i].full_lo;

		switch (method)
		{
			case SPREAD_DAILY:
				w[i] = covered;
				break;
			case SPREAD_EQUAL:
				w[i] = (i < n_equal) ? 1 : 0;
				break;
			case SPREAD_EQUAL_PRORATE:
				if (covered == full)
					w[i] = d_first * d_last;
				else if (i == 0)
					w[i] = covered * d_last;
				else
					w[i] = covered * d_first;
				break;
		}
	}
}

/*
 * The rows of a spread, computed on the first call and returned one per call (value per
 * call: in a select list, ProjectSet takes each row as it comes, with no tuple store per
 * call; bench/README.md).  Kept in the call's multi-call memory context.
 */
typedef struct SpreadRows
{
	TypeCacheEntry *typcache;
	int			n;
	int			next;
	int			minor_units;
	SpreadPeriod *p;
	int64	   *parts;
} SpreadRows;

/*
 * The result row type, (period daterange, amount numeric), built and blessed once per
 * backend (looking it up from the function's OUT parameters on each call cost more than
 * the spread).
 */
static TupleDesc
spread_result_desc(void)
{
	static TupleDesc desc = NULL;

	if (desc == NULL)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	d = CreateTemplateTupleDesc(2);

		TupleDescInitEntry(d, (AttrNumber) 1, "period", DATERANGEOID, -1, 0);
		TupleDescInitEntry(d, (AttrNumber) 2, "amount", NUMERICOID, -1, 0);
		desc = BlessTupleDesc(d);
		MemoryContextSwitchTo(oldcontext);
	}
	return desc;
}

/* The rows: the periods p[0..n-1] and the total split over them (on the first call). */
static void
set_spread_rows(SpreadRows *rows, SpreadPeriod *p, int n, int minor_units, int64 total_units,
				SpreadMethod method, int n_equal)
{
	int64	   *w = (int64 *) palloc(sizeof(int64) * n);

	rows->n = n;
	rows->next = 0;
	rows->minor_units = minor_units;
	rows->p = p;
	rows->parts = (int64 *) palloc(sizeof(int64) * n);
	spread_weights(p, n, method, n_equal, w);
	rr_allocate_units(total_units, w, n, rows->parts);
	pfree(w);
}

/*
 * The set-returning function around fill, which computes the rows on the first call (in
 * the call's multi-call memory context); each call returns the next row.
 */
static Datum
spread_srf(FunctionCallInfo fcinfo, void (*fill) (FunctionCallInfo, SpreadRows *))
{
	FuncCallContext *funcctx;
	SpreadRows *rows;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcontext;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		rows = (SpreadRows *) palloc(sizeof(SpreadRows));
		rows->typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
		fill(fcinfo, rows);
		funcctx->user_fctx = rows;
		MemoryContextSwitchTo(oldcontext);
	}
	funcctx = SRF_PERCALL_SETUP();
	rows = (SpreadRows *) funcctx->user_fctx;
	if (rows->next < rows->n)
	{
		int			i = rows->next++;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = rr_make_daterange(rows->typcache, rows->p[i].lo, rows->p[i].hi);
		values[1] = rr_units_to_amount(rows->parts[i], rows->minor_units);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(spread_result_desc(), values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* The rows of rr.spread (its first call): the accounting periods the service touches. */
static void
fill_spread(FunctionCallInfo fcinfo, SpreadRows *rows)
{
	SpreadMethod method = spread_method(PG_GETARG_TEXT_PP(2));
	int32		minor_units = PG_GETARG_INT32(5);
	RRCalendar	cal;
	int64		units;
	int64		lo,
				hi;
	int64		k;
	int64		k_last;
	int			n;
	int			i;
	int			n_equal = 0;
	SpreadPeriod *p;

	rr_check_minor_units(minor_units);
	units = rr_amount_to_units(PG_GETARG_DATUM(0), minor_units, "total");
	read_service(rows->typcache, PG_GETARG_DATUM(1), &lo, &hi);
	rr_calendar_init(&cal, PG_GETARG_DATEADT(4), PG_GETARG_INTERVAL_P(3));

	/* accounting periods k .. k_last touch [lo, hi) */
	k = rr_period_index(&cal, lo);
	k_last = rr_period_index(&cal, hi - 1);
	if (k_last - k >= 100000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("service range \"%s\" spans more than 100000 periods",
						rr_daterange_text(lo, hi)),
				 errhint("Use a coarser grain.")));
	n = (int) (k_last - k + 1);
	p = (SpreadPeriod *) palloc(sizeof(SpreadPeriod) * n);
	for (i = 0; i < n; i++)
	{
		p[i].full_lo = rr_boundary(&cal, k + i);
		p[i].full_hi = rr_boundary(&cal, k + i + 1);
		p[i].lo = Max(p[i].full_lo, lo);
		p[i].hi = Min(p[i].full_hi, hi);
	}

	/*
	 * 'equal': the service lasts N grains counted from its own start (the number of
	 * anniversary periods of [lo, hi)); the first N accounting periods weigh 1.
	 */
	if (method == SPREAD_EQUAL)
	{
		RRCalendar	own;

		rr_calendar_init(&own, (DateADT) lo, PG_GETARG_INTERVAL_P(3));
		n_equal = (int) Min((int64) n, rr_period_index(&own, hi - 1) + 1);
	}

	set_spread_rows(rows, p, n, minor_units, units, method, n_equal);
}

PG_FUNCTION_INFO_V1(rr_spread);

/*
 * rr.spread(total, service, method, grain, anchor, minor_units)
 *   RETURNS TABLE(period daterange, amount numeric)
 */
Datum
rr_spread(PG_FUNCTION_ARGS)
{
	return spread_srf(fcinfo, fill_spread);
}

/*
 * The rows of rr.spread_periods (its first call): the periods touched by the service,
 * the first and last clipped, after checking that they cover it.
 */
static void
fill_spread_periods(FunctionCallInfo fcinfo, SpreadRows *rows)
{
	TypeCacheEntry *typcache = rows->typcache;
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	SpreadMethod method = spread_method(PG_GETARG_TEXT_PP(3));
	int32		minor_units = PG_GETARG_INT32(4);
	int64		units;
	int64		lo,
				hi;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;
	int			n = 0;
	int64		prev_hi = 0;
	SpreadPeriod *p;

	rr_check_minor_units(minor_units);
	units = rr_amount_to_units(PG_GETARG_DATUM(0), minor_units, "total");
	read_service(typcache, PG_GETARG_DATUM(1), &lo, &hi);

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr)),
				 errhint("Pass the fiscal periods as a daterange[] list, such as ARRAY[daterange('2024-01-01', '2024-02-01')].")));
	deconstruct_array(arr, DATERANGEOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	if (nelems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods array is empty"),
				 errhint("Pass the fiscal periods that cover the service, in order.")));

	p = (SpreadPeriod *) palloc(sizeof(SpreadPeriod) * nelems);
	for (i = 0; i < nelems; i++)
	{
		int64		plo,
					phi;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %d is NULL", i + 1),
					 errhint("Pass the fiscal periods that cover the service, in order, each a non-empty range.")));
		if (!rr_daterange_bounds(typcache, elems[i], "period", true, &plo, &phi))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %d is empty", i + 1),
					 errhint("Fiscal periods are non-empty ranges.")));
		if (i > 0 && plo > prev_hi)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("periods leave a gap at %s", rr_date_text(prev_hi)),
					 errdetail("Period %d ends on %s but period %d starts on %s.", i,
							   rr_date_text(prev_hi), i + 1,
							   rr_date_text(plo)),
					 errhint("Periods must be ascending and contiguous: each starts where the previous one ends.")));
		if (i > 0 && plo < prev_hi)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("periods overlap at %s", rr_date_text(plo)),
					 errdetail("Period %d starts on %s, before period %d ends on %s.", i + 1,
							   rr_date_text(plo), i,
							   rr_date_text(prev_hi)),
					 errhint("Periods must be ascending and contiguous: each starts where the previous one ends.")));
		if (i == 0 && plo > lo)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("periods do not cover the service from %s", rr_date_text(lo)),
					 errdetail("The first period starts on %s.", rr_date_text(plo)),
					 errhint("Pass periods that cover the whole service range.")));
		prev_hi = phi;
		if (phi > lo && plo < hi)
		{
			p[n].full_lo = plo;
			p[n].full_hi = phi;
			p[n].lo = Max(plo, lo);
			p[n].hi = Min(phi, hi);
			n++;
		}
	}
	if (prev_hi < hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods do not cover the service from %s", rr_date_text(Max(prev_hi, lo))),
				 errdetail("The last period ends on %s but the service ends on %s.",
						   rr_date_text(prev_hi),
						   rr_date_text(hi)),
				 errhint("Pass periods that cover the whole service range.")));

	set_spread_rows(rows, p, n, minor_units, units, method, n);
}

PG_FUNCTION_INFO_V1(rr_spread_periods);

/*
 * rr.spread_periods(total, service, periods daterange[], method, minor_units)
 *   RETURNS TABLE(period daterange, amount numeric)
 *
 * periods: ascending, contiguous, covering the service; those outside the service are
 * ignored and the first and last touched are clipped.
 */
Datum
rr_spread_periods(PG_FUNCTION_ARGS)
{
	return spread_srf(fcinfo, fill_spread_periods);
}
