/*
 * calendar.c — billing periods and proration on civil dates
 *
 * rr.billing_periods, rr.period_containing, rr.prorate and rr.prorate_amount
 * (docs/concepts.md, "Calendar and money").  Pure functions: no SPI, no table access.
 */
#include "postgres.h"

#include "calendar.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"

/* PostgreSQL 16 added a soft-error context argument to range construction. */
#if PG_VERSION_NUM >= 160000
#define RR_RANGE_SERIALIZE(tc, lo, hi) range_serialize((tc), (lo), (hi), false, NULL)
#else
#define RR_RANGE_SERIALIZE(tc, lo, hi) range_serialize((tc), (lo), (hi), false)
#endif

/* Days from 1970-01-01 to 2000-01-01, PostgreSQL's date epoch. */
#define UNIX_TO_PG_DAYS 10957

/* Floor division for a possibly negative numerator and a positive divisor. */
static inline int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b) != 0 && (a < 0))
		q--;
	return q;
}

static inline bool
is_leap(int64 y)
{
	return (y % 4 == 0) && (y % 100 != 0 || y % 400 == 0);
}

static inline int
days_in_month(int64 y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/*
 * Day number (PostgreSQL epoch) of a proleptic Gregorian date with astronomical
 * year numbering, in 64-bit arithmetic so it cannot overflow for any year an
 * int32 month count can reach (Hinnant's days_from_civil).
 */
static int64
civil_to_days(int64 y, int m, int d)
{
	int64		era;
	int64		yoe;
	int64		doy;
	int64		doe;

	y -= (m <= 2);
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - UNIX_TO_PG_DAYS;
}

/* Split a (finite) PostgreSQL date into year, month and day. */
static void
date_to_civil(DateADT d, int *y, int *m, int *day)
{
	j2date((int) d + POSTGRES_EPOCH_JDATE, y, m, day);
}

/* Text form of an interval, for error messages. */
static char *
interval_text(const Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(iv)));
}

/*
 * Validate a billing interval: positive, and either whole months (years count as
 * twelve months) or whole days (weeks count as seven days), never both, never a
 * time part.
 */
void
rr_step_from_interval(const Interval *every, RRStep *step)
{
	bool		ok;

	ok = every->time == 0 &&
		((every->month > 0 && every->day == 0) ||
		 (every->month == 0 && every->day > 0));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid billing interval \"%s\"", interval_text(every)),
				 errdetail("A billing interval must be positive and made of whole months or of whole days, not both and not hours."),
				 errhint("Use months or years such as '1 month', '3 months', '1 year', or days or weeks such as '7 days', '2 weeks', '45 days'.")));
	step->months = every->month;
	step->days = every->day;
}

/* Validate every and anchor, and decompose the anchor once for rr_boundary. */
void
rr_calendar_init(RRCalendar *cal, DateADT anchor, const Interval *every)
{
	rr_step_from_interval(every, &cal->step);
	rr_check_finite(anchor, "anchor");
	cal->anchor = anchor;
	date_to_civil(anchor, &cal->ay, &cal->am, &cal->ad);
}

/* b_k = anchor + k * step, computed directly from the anchor. */
int64
rr_boundary(const RRCalendar *cal, int64 k)
{
	int64		total;
	int64		y;
	int			m;

	if (cal->step.days > 0)
		return (int64) cal->anchor + k * cal->step.days;

	total = (int64) cal->ay * 12 + (cal->am - 1) + k * cal->step.months;
	y = floor_div(total, 12);
	m = (int) (total - y * 12) + 1;
	return civil_to_days(y, m, Min(cal->ad, days_in_month(y, m)));
}

/* The largest k with b_k <= d, so that d lies in [b_k, b_k+1). */
int64
rr_period_index(const RRCalendar *cal, int64 d)
{
	int64		k;
	int			dy,
				dm,
				dd;

	if (cal->step.days > 0)
		return floor_div(d - (int64) cal->anchor, cal->step.days);

	/* estimate from the month difference, then correct for end-of-month clamping */
	date_to_civil((DateADT) d, &dy, &dm, &dd);
	k = floor_div(((int64) dy * 12 + dm) - ((int64) cal->ay * 12 + cal->am),
				  cal->step.months);
	while (rr_boundary(cal, k) > d)
		k--;
	while (rr_boundary(cal, k + 1) <= d)
		k++;
	return k;
}

/* Refuse -infinity and infinity: period math needs civil dates. */
void
rr_check_finite(DateADT d, const char *what)
{
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s date \"%s\" is not finite", what,
						DATE_IS_NOBEGIN(d) ? "-infinity" : "infinity"),
				 errhint("Billing periods and proration need finite dates.")));
}

/* Minor units follow ISO 4217 exponents; we accept 0 to 9. */
void
rr_check_minor_units(int32 minor_units)
{
	if (minor_units < 0 || minor_units > 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("minor_units %d is out of range", minor_units),
				 errhint("minor_units is the number of decimal places of the currency, from 0 to 9.")));
}

/* The daterange type cache entry, kept in fn_extra across calls. */
static TypeCacheEntry *
rr_daterange_typcache(FunctionCallInfo fcinfo)
{
	TypeCacheEntry *typcache = (TypeCacheEntry *) fcinfo->flinfo->fn_extra;

	if (typcache == NULL || typcache->type_id != DATERANGEOID)
	{
		typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
		fcinfo->flinfo->fn_extra = typcache;
	}
	return typcache;
}

/* Check that a day number is a valid PostgreSQL date. */
static DateADT
days_to_date(int64 d)
{
	if (d < (int64) (DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE) ||
		d >= (int64) (DATE_END_JULIAN - POSTGRES_EPOCH_JDATE))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("billing period boundary is out of the date range"),
				 errdetail("Dates run from 4714-11-24 BC to 5874897-12-31.")));
	return (DateADT) d;
}

/* Build the canonical daterange [lo, hi); lo < hi. */
Datum
rr_make_daterange(TypeCacheEntry *typcache, int64 lo, int64 hi)
{
	RangeBound	lower;
	RangeBound	upper;

	lower.val = DateADTGetDatum(days_to_date(lo));
	lower.infinite = false;
	lower.inclusive = true;
	lower.lower = true;
	upper.val = DateADTGetDatum(days_to_date(hi));
	upper.infinite = false;
	upper.inclusive = false;
	upper.lower = false;
	return RangeTypePGetDatum(RR_RANGE_SERIALIZE(typcache, &lower, &upper));
}

/* Text of a day number, or "" for an unbounded side (PG_INT64_MIN / MAX). */
char *
rr_date_text(int64 d)
{
	if (d == PG_INT64_MIN || d == PG_INT64_MAX)
		return "";
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) d)));
}

/* "[2024-01-01,2024-02-01)" for messages; PG_INT64_MIN / MAX print as unbounded. */
char *
rr_daterange_text(int64 lo, int64 hi)
{
	return psprintf("[%s,%s)", rr_date_text(lo), rr_date_text(hi));
}

/*
 * Read a daterange as day numbers [lo, hi).  Returns false for an empty range.
 * Unbounded sides (or infinite dates) are refused when require_bounded, and
 * otherwise come back as PG_INT64_MIN / PG_INT64_MAX.
 */
bool
rr_daterange_bounds(TypeCacheEntry *typcache, Datum range, const char *what,
					bool require_bounded, int64 *lo, int64 *hi)
{
	RangeType  *r = DatumGetRangeTypeP(range);
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;
	bool		lo_inf;
	bool		hi_inf;

	range_deserialize(typcache, r, &lower, &upper, &empty);
	if (empty)
		return false;
	lo_inf = lower.infinite || DATE_NOT_FINITE(DatumGetDateADT(lower.val));
	hi_inf = upper.infinite || DATE_NOT_FINITE(DatumGetDateADT(upper.val));
	/* daterange is canonical: inclusive lower, exclusive upper */
	*lo = lo_inf ? PG_INT64_MIN : (int64) DatumGetDateADT(lower.val);
	*hi = hi_inf ? PG_INT64_MAX : (int64) DatumGetDateADT(upper.val);
	if (require_bounded && (lo_inf || hi_inf))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s range \"%s\" is unbounded", what,
						rr_daterange_text(*lo, *hi)),
				 errhint("Give both a finite lower and a finite upper date.")));
	return true;
}

PG_FUNCTION_INFO_V1(rr_billing_periods);

/* The state of rr.billing_periods between its calls: the next period starts at lo. */
typedef struct BillingPeriodsState
{
	TypeCacheEntry *typcache;
	RRCalendar	cal;
	int64		lo;
	int64		k;
	int64		stop;
} BillingPeriodsState;

/*
 * rr.billing_periods(start, stop, every, anchor DEFAULT NULL) RETURNS SETOF daterange
 *
 * Every non-empty [b_k, b_k+1) ∩ [start, stop), in order.  Not STRICT because a
 * NULL anchor means start; NULL start, stop or every give no rows.  Value per call:
 * called in a query's select list (ProjectSet), each period goes straight to the row
 * that carries it, with no tuple store per call; in FROM the executor stores the rows
 * as it would a materialised set (the statements that call it once per line version
 * call it in their select list: bench/README.md).  The typcache is the state's, not
 * fn_extra's, which holds the call context.
 */
Datum
rr_billing_periods(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	BillingPeriodsState *st;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcontext;
		DateADT		start;
		DateADT		stop;

		funcctx = SRF_FIRSTCALL_INIT();
		if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
			SRF_RETURN_DONE(funcctx);
		start = PG_GETARG_DATEADT(0);
		stop = PG_GETARG_DATEADT(1);
		rr_check_finite(start, "start");
		rr_check_finite(stop, "stop");
		oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = (BillingPeriodsState *) palloc(sizeof(BillingPeriodsState));
		MemoryContextSwitchTo(oldcontext);
		st->typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
		rr_calendar_init(&st->cal, PG_ARGISNULL(3) ? start : PG_GETARG_DATEADT(3),
						 PG_GETARG_INTERVAL_P(2));
		st->lo = start;
		st->k = rr_period_index(&st->cal, start);
		st->stop = stop;
		funcctx->user_fctx = st;
	}
	funcctx = SRF_PERCALL_SETUP();
	st = (BillingPeriodsState *) funcctx->user_fctx;
	if (st->lo < st->stop)
	{
		int64		hi = rr_boundary(&st->cal, ++st->k);
		Datum		value;

		if (hi > st->stop)
			hi = st->stop;
		value = rr_make_daterange(st->typcache, st->lo, hi);
		st->lo = hi;
		SRF_RETURN_NEXT(funcctx, value);
	}
	SRF_RETURN_DONE(funcctx);
}

PG_FUNCTION_INFO_V1(rr_period_containing);

/* rr.period_containing(d, every, anchor) RETURNS daterange: the [b_k, b_k+1) holding d. */
Datum
rr_period_containing(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	RRCalendar	cal;
	int64		k;

	rr_check_finite(d, "the");
	rr_calendar_init(&cal, PG_GETARG_DATEADT(2), PG_GETARG_INTERVAL_P(1));
	k = rr_period_index(&cal, d);
	PG_RETURN_DATUM(rr_make_daterange(rr_daterange_typcache(fcinfo),
									  rr_boundary(&cal, k),
									  rr_boundary(&cal, k + 1)));
}

/* Proration day-count conventions. */
typedef enum ProrateMethod
{
	PRORATE_ACTUAL,
	PRORATE_30E_360
} ProrateMethod;

static ProrateMethod
prorate_method(text *method)
{
	char	   *m = text_to_cstring(method);

	if (strcmp(m, "actual") == 0)
		return PRORATE_ACTUAL;
	if (strcmp(m, "30/360") == 0)
		return PRORATE_30E_360;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown proration method \"%s\"", m),
			 errhint("Use 'actual' (days of overlap over days of the period) or '30/360' (the 30E/360 convention).")));
	pg_unreachable();
}

/* 30E/360 day number: every month 30 days, day 31 counts as 30. */
static int64
day360(int64 d)
{
	int			y,
				m,
				dd;

	date_to_civil((DateADT) d, &y, &m, &dd);
	return (int64) y * 360 + (int64) (m - 1) * 30 + Min(dd, 30);
}

/*
 * Integer day counts of part ∩ whole (n) and of whole (d) under a method, reading
 * (part, whole, method) from the arguments starting at argument number arg.
 * n = 0 when the overlap is empty.
 */
static void
prorate_counts(FunctionCallInfo fcinfo, int arg, int64 *n, int64 *d)
{
	TypeCacheEntry *typcache = rr_daterange_typcache(fcinfo);
	ProrateMethod method = prorate_method(PG_GETARG_TEXT_PP(arg + 2));
	int64		wlo,
				whi,
				plo,
				phi;

	if (!rr_daterange_bounds(typcache, PG_GETARG_DATUM(arg + 1), "whole", true, &wlo, &whi))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("whole range is empty"),
				 errhint("Prorate against a non-empty period such as '[2024-01-01,2024-02-01)'.")));

	*n = 0;
	if (rr_daterange_bounds(typcache, PG_GETARG_DATUM(arg), "part", false, &plo, &phi))
	{
		plo = Max(plo, wlo);
		phi = Min(phi, whi);
		if (plo < phi)
			*n = (method == PRORATE_ACTUAL) ? phi - plo : day360(phi) - day360(plo);
	}
	*d = (method == PRORATE_ACTUAL) ? whi - wlo : day360(whi) - day360(wlo);
	if (*d <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("whole range \"%s\" has no days under the 30/360 method",
						rr_daterange_text(wlo, whi)),
				 errdetail("Under 30E/360 the 31st of a month counts as the 30th."),
				 errhint("Use the 'actual' method for periods this short.")));
}

PG_FUNCTION_INFO_V1(rr_prorate);

/* rr.prorate(part, whole, method) RETURNS numeric: covered fraction in [0, 1]. */
Datum
rr_prorate(PG_FUNCTION_ARGS)
{
	int64		n,
				d;
	Datum		q;

	prorate_counts(fcinfo, 0, &n, &d);
	q = DirectFunctionCall2(numeric_div,
							NumericGetDatum(int64_to_numeric(n)),
							NumericGetDatum(int64_to_numeric(d)));
	/* 1 and 0.5 rather than 1.00000000000000000000 */
	PG_RETURN_DATUM(DirectFunctionCall1(numeric_trim_scale, q));
}

/* 10^e as numeric, 0 <= e <= 18. */
static Datum
pow10_numeric(int e)
{
	int64		p = 1;

	while (e-- > 0)
		p *= 10;
	return NumericGetDatum(int64_to_numeric(p));
}

/*
 * round(x / d, minor_units), half away from zero, computed exactly: integer
 * quotient and remainder of x * 10^minor_units by d, never a rounded fraction.
 */
Datum
rr_round_div(Datum x, int64 d, int minor_units)
{
	Datum		scale = pow10_numeric(minor_units);
	Datum		dd = NumericGetDatum(int64_to_numeric(d));
	Datum		y = DirectFunctionCall2(numeric_mul, x, scale);
	Datum		q = DirectFunctionCall2(numeric_div_trunc, y, dd);
	Datum		r = DirectFunctionCall2(numeric_sub, y,
										DirectFunctionCall2(numeric_mul, q, dd));
	Datum		twice_r = DirectFunctionCall2(numeric_mul,
											  DirectFunctionCall1(numeric_abs, r),
											  NumericGetDatum(int64_to_numeric(2)));

	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, twice_r, dd)) >= 0)
	{
		Datum		sign = DirectFunctionCall1(numeric_sign, y);

		q = DirectFunctionCall2(numeric_add, q, sign);
	}

	/*
	 * q is a whole number of minor units; multiplying by 10^-minor_units (a
	 * numeric with exactly that scale) is exact and gives exactly minor_units
	 * decimals.  (Dividing would round to numeric_div's own result scale.)
	 */
	return DirectFunctionCall2(numeric_mul, q,
							   NumericGetDatum(int64_div_fast_to_numeric(1, minor_units)));
}

PG_FUNCTION_INFO_V1(rr_prorate_amount);

/* rr.prorate_amount(amount, part, whole, method, minor_units): round(amount × n / d) once. */
Datum
rr_prorate_amount(PG_FUNCTION_ARGS)
{
	Datum		amount = PG_GETARG_DATUM(0);
	int32		minor_units = PG_GETARG_INT32(4);
	int64		n,
				d;

	rr_check_minor_units(minor_units);
	if (numeric_is_nan(DatumGetNumeric(amount)) || numeric_is_inf(DatumGetNumeric(amount)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount \"%s\" is not a finite number",
						DatumGetCString(DirectFunctionCall1(numeric_out, amount))),
				 errhint("Prorate a finite amount of money.")));
	prorate_counts(fcinfo, 1, &n, &d);
	PG_RETURN_DATUM(rr_round_div(DirectFunctionCall2(numeric_mul, amount,
													 NumericGetDatum(int64_to_numeric(n))),
								 d, minor_units));
}
