/*
 * allocate.c — largest-remainder allocation (docs/concepts.md, "Calendar and money")
 *
 * rr.allocate(total, weights, minor_units) splits a total into parts proportional to
 * weights: every part a whole number of minor units, the parts summing exactly to the
 * total, each within one minor unit of its exact share.  Each part first gets the floor
 * of its exact share; the units left over go one at a time to the largest fractional
 * remainders, ties to the lower index.  A negative total is the mirror image.
 *
 * The work is done in integer minor units, along one of two paths that give the same
 * results:
 *  - the fast path, when the total is an int64 count of minor units and every weight,
 *    written at the largest number of decimals among them, an int64 mantissa: 128-bit
 *    products and remainders, which cannot overflow;
 *  - the wide path otherwise (weights of any size and scale, totals beyond int64
 *    units): the same steps in PostgreSQL numeric arithmetic, which is exact too.
 */
#include "postgres.h"

#include "allocate.h"
#include "calendar.h"
#include "numeric_ops.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

/* int64 bounds as numeric, built once per backend */
static Datum int64_min_numeric;
static Datum int64_max_numeric;

static void
init_bounds(void)
{
	MemoryContext old;

	if (int64_max_numeric != (Datum) 0)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	int64_min_numeric = NumericGetDatum(int64_to_numeric(PG_INT64_MIN));
	int64_max_numeric = NumericGetDatum(int64_to_numeric(PG_INT64_MAX));
	MemoryContextSwitchTo(old);
}

static char *
numeric_text(Datum n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, n));
}

/* Refuse NaN and infinities: money is finite. */
static void
check_finite(Datum amount, const char *what)
{
	Numeric		n = DatumGetNumeric(amount);

	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is not a finite number", what, numeric_text(amount)),
				 errhint("Use a finite amount.")));
}

/* 10^e as int64, for 0 <= e <= 18. */
static int64
pow10_int64(int e)
{
	int64		p = 1;

	Assert(e >= 0 && e <= 18);
	while (e-- > 0)
		if (pg_mul_s64_overflow(p, 10, &p))
			elog(ERROR, "power of ten out of range");
	return p;
}

/*
 * value × 10^e (0 <= e <= 18) as a numeric integer, or (Datum) 0 when that is not a
 * whole number.
 */
static Datum
numeric_shift_whole(Datum value, int e)
{
	Datum		scaled = value;
	Datum		whole;

	if (e > 0)
		scaled = NMUL(value, NumericGetDatum(int64_to_numeric(pow10_int64(e))));
	whole = NTRUNC(scaled, 0);
	if (NCMP(scaled, whole) != 0)
		return (Datum) 0;
	return whole;
}

/* A numeric integer as int64, or false when it lies outside int64's range. */
static bool
numeric_whole_int64(Datum whole, int64 *result)
{
	init_bounds();
	if (NCMP(whole, int64_min_numeric) < 0 || NCMP(whole, int64_max_numeric) > 0)
		return false;
	*result = DatumGetInt64(DirectFunctionCall1(numeric_int8, whole));
	return true;
}

/*
 * An amount of money as a count of minor units, as a numeric integer of any size;
 * refused unless it is finite and a whole number of minor units.
 */
static Datum
amount_to_units_numeric(Datum amount, int minor_units, const char *what)
{
	Datum		units;

	check_finite(amount, what);
	units = numeric_shift_whole(amount, minor_units);
	if (units == (Datum) 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is not a whole number of minor units", what, numeric_text(amount)),
				 errdetail("With minor_units = %d the smallest unit is %s.", minor_units,
						   numeric_text(NumericGetDatum(int64_div_fast_to_numeric(1, minor_units)))),
				 errhint("Round the amount to %d decimal places first.", minor_units)));
	return units;
}

/* An amount of money as an int64 count of minor units; refused unless it is one. */
int64
rr_amount_to_units(Datum amount, int minor_units, const char *what)
{
	int64		units;

	if (!numeric_whole_int64(amount_to_units_numeric(amount, minor_units, what), &units) ||
		units == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s \"%s\" is out of range", what, numeric_text(amount)),
				 errdetail("An amount may hold at most 9223372036854775807 minor units.")));
	return units;
}

/* units × 10^-minor_units as numeric with exactly minor_units decimals. */
Datum
rr_units_to_amount(int64 units, int minor_units)
{
	return NumericGetDatum(int64_div_fast_to_numeric(units, minor_units));
}

/*
 * Give one more unit to each of the `leftover` parts with the largest remainders, ties
 * to the lower index (remainders are >= 0; this overwrites them).
 */
static void
distribute_leftover(int128 *rem, int n, int64 leftover, int64 *parts)
{
	int			i;

	/*
	 * A remainder that already got a unit is marked -1,
	 * below every real remainder; scanning in index order with a strict comparison
	 * gives ties to the lower index.  Up to 64 parts (periods, obligations) the
	 * repeated scan is cheapest; larger arrays are sorted once.
	 */
	if (leftover > 0 && n <= 64)
	{
		while (leftover-- > 0)
		{
			int			best = -1;

			for (i = 0; i < n; i++)
				if (rem[i] >= 0 && (best < 0 || rem[i] > rem[best]))
					best = i;
			parts[best]++;
			rem[best] = -1;
		}
	}
	else if (leftover > 0)
	{
		int		   *order = (int *) palloc(sizeof(int) * n);
		int			j;

		/* order the indices by (remainder desc, index asc) with a shell sort */
		for (i = 0; i < n; i++)
			order[i] = i;
		for (j = n / 2; j > 0; j /= 2)
			for (i = j; i < n; i++)
			{
				int			v = order[i];
				int			k = i;

				while (k >= j &&
					   (rem[order[k - j]] < rem[v] ||
						(rem[order[k - j]] == rem[v] && order[k - j] > v)))
				{
					order[k] = order[k - j];
					k -= j;
				}
				order[k] = v;
			}
		for (i = 0; i < leftover; i++)
			parts[order[i]]++;
		pfree(order);
	}
}

/*
 * Largest-remainder allocation of total units over non-negative integer weights with a
 * positive sum.  parts[i] = floor(|total| * w_i / W), then the leftover units go to the
 * largest remainders, ties to the lower index; a negative total is mirrored.
 *
 * No step can overflow: |total| and every weight are below 2^63 (total is never
 * PG_INT64_MIN), so each product is below 2^126, and the sum of fewer than 2^28
 * weights (the array size limit) is below 2^91; each part is at most |total|.
 */
void
rr_allocate_units(int64 total, const int64 *weights, int n, int64 *parts)
{
	int128		sum_w = 0;
	int128		abs_total = total < 0 ? -(int128) total : (int128) total;
	int128	   *rem;
	int128		given = 0;
	int64		leftover;
	int			i;

	for (i = 0; i < n; i++)
		sum_w += weights[i];
	Assert(sum_w > 0);

	rem = (int128 *) palloc(sizeof(int128) * n);
	for (i = 0; i < n; i++)
	{
		int128		x = abs_total * weights[i];
		int128		q = x / sum_w;

		parts[i] = (int64) q;
		rem[i] = x - q * sum_w;
		given += q;
	}
	leftover = (int64) (abs_total - given);	/* 0 <= leftover < n */
	distribute_leftover(rem, n, leftover, parts);
	pfree(rem);

	if (total < 0)
		for (i = 0; i < n; i++)
			parts[i] = -parts[i];
}

/*
 * Read a non-empty one-dimensional numeric array: every element finite and not NULL,
 * and not negative unless allow_negative.  Sets *scale_out to the largest number of
 * decimals any element needs and *any_positive to whether one is above zero.  `what`
 * names an element in messages ("weight", "amount").
 */
static Datum *
read_numeric_array(ArrayType *arr, const char *what, bool allow_negative,
				   int *n_out, int *scale_out, bool *any_positive)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			scale = 0;
	Datum		zero = NumericGetDatum(int64_to_numeric(0));

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%ss must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr)),
				 errhint("Pass the %ss as a plain list, such as ARRAY[1, 2, 3].", what)));
	deconstruct_array(arr, NUMERICOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%ss array is empty", what),
				 errhint("Pass at least one %s.", what)));
	/* the remainders are int128: keep every work array within palloc's limit */
	if ((Size) n > MaxAllocSize / sizeof(int128))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%ss array has %d elements, more than the %d allowed", what, n,
						(int) (MaxAllocSize / sizeof(int128)))));

	*any_positive = false;
	for (i = 0; i < n; i++)
	{
		Numeric		num;
		int			sign;
		int			s;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s %d is NULL", what, i + 1),
					 errhint("Every %s must be a number; use 0 instead of NULL.", what)));
		num = DatumGetNumeric(elems[i]);
		if (numeric_is_nan(num) || numeric_is_inf(num))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s %d (%s) is not a finite number", what, i + 1, numeric_text(elems[i])),
					 errhint("Every %s must be a finite number.", what)));
		sign = NCMP(elems[i], zero);
		if (sign < 0 && !allow_negative)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s %d (%s) is negative", what, i + 1, numeric_text(elems[i])),
					 errhint("Weights are zero or more; to allocate a credit, pass a negative total.")));
		if (sign > 0)
			*any_positive = true;
		s = DatumGetInt32(DirectFunctionCall1(numeric_min_scale, elems[i]));
		if (s > scale)
			scale = s;
	}
	*n_out = n;
	*scale_out = scale;
	return elems;
}

/*
 * The elements scaled by 10^scale as int64 values into v.  Returns -1, or the index
 * of the first element that does not fit; when scale > 18 (10^scale itself is beyond
 * int64) it gives up at the first element.  The numeric temporaries of each element
 * are freed as soon as it is done.
 */
static int
scale_to_int64(const Datum *elems, int n, int scale, int64 *v)
{
	MemoryContext tmpcxt;
	MemoryContext old;
	int			bad = -1;
	int			i;

	if (scale > 18)
		return 0;
	tmpcxt = AllocSetContextCreate(CurrentMemoryContext, "rr scale_to_int64",
								   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(tmpcxt);
	for (i = 0; i < n && bad < 0; i++)
	{
		Datum		whole = numeric_shift_whole(elems[i], scale);

		/* scale is the largest number of decimals, so every element comes out whole */
		if (whole == (Datum) 0)
			elog(ERROR, "element %d is not whole at scale %d", i + 1, scale);
		if (!numeric_whole_int64(whole, &v[i]))
			bad = i;
		MemoryContextReset(tmpcxt);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmpcxt);
	return bad;
}

/* qsort_arg order of part indices: remainder descending, then index ascending. */
static int
remainder_order(const void *a, const void *b, void *arg)
{
	const Datum *rem = (const Datum *) arg;
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;
	int			c = NCMP(rem[ib], rem[ia]);

	if (c != 0)
		return c;
	return (ia > ib) - (ia < ib);
}

/*
 * The wide path: largest-remainder allocation of `units` minor units (a numeric
 * integer of any size and sign) over non-negative finite numeric weights with a
 * positive sum, in numeric arithmetic, with the same steps as rr_allocate_units.
 * The weights need not be integers: every floor and remainder is taken against the
 * same sum W, so the remainders order the parts exactly as the fast path's integer
 * remainders (those are 10^scale times these).  Returns the parts as amounts with
 * minor_units decimals.
 */
static Datum *
allocate_wide(Datum units, const Datum *w, int n, int minor_units)
{
	Datum		zero = NumericGetDatum(int64_to_numeric(0));
	Datum		one = NumericGetDatum(int64_to_numeric(1));
	bool		negative = NCMP(units, zero) < 0;
	Datum		total = DirectFunctionCall1(numeric_abs, units);
	Datum		sum_w = zero;
	Datum		given = zero;
	Datum	   *q = (Datum *) palloc(sizeof(Datum) * n);
	Datum	   *rem = (Datum *) palloc(sizeof(Datum) * n);
	Datum		unit;
	int64		leftover;
	MemoryContext tmpcxt;
	MemoryContext old;
	int			i;

	/* temporaries of each step live in tmpcxt, reset per element */
	tmpcxt = AllocSetContextCreate(CurrentMemoryContext, "rr allocate_wide",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < n; i++)
	{
		old = MemoryContextSwitchTo(tmpcxt);
		sum_w = NADD(sum_w, w[i]);
		MemoryContextSwitchTo(old);
		sum_w = datumCopy(sum_w, false, -1);
		MemoryContextReset(tmpcxt);
	}
	Assert(NCMP(sum_w, zero) > 0);

	for (i = 0; i < n; i++)
	{
		Datum		x;
		Datum		qi;
		Datum		ri;

		old = MemoryContextSwitchTo(tmpcxt);
		/* total is an integer, so x keeps w[i]'s decimals: nothing is rounded */
		x = NMUL(total, w[i]);
		qi = NDIV_TRUNC(x, sum_w);
		ri = NSUB(x, NMUL(qi, sum_w));
		given = NADD(given, qi);
		MemoryContextSwitchTo(old);
		q[i] = datumCopy(qi, false, -1);
		rem[i] = datumCopy(ri, false, -1);
		given = datumCopy(given, false, -1);
		MemoryContextReset(tmpcxt);
	}
	MemoryContextDelete(tmpcxt);

	/* 0 <= leftover < n, since each remainder is below sum_w */
	leftover = DatumGetInt64(DirectFunctionCall1(numeric_int8, NSUB(total, given)));
	if (leftover < 0 || leftover >= n)
		elog(ERROR, "largest-remainder leftover %lld out of range", (long long) leftover);
	if (leftover > 0)
	{
		int		   *order = (int *) palloc(sizeof(int) * n);

		for (i = 0; i < n; i++)
			order[i] = i;
		qsort_arg(order, n, sizeof(int), remainder_order, rem);
		for (i = 0; i < leftover; i++)
			q[order[i]] = NADD(q[order[i]], one);
		pfree(order);
	}

	/* units × ±10^-minor_units: exactly minor_units decimals, and 0 stays unsigned */
	unit = NumericGetDatum(int64_div_fast_to_numeric(negative ? -1 : 1, minor_units));
	for (i = 0; i < n; i++)
		q[i] = NMUL(q[i], unit);
	return q;
}

/* Build a numeric[] of amounts with exactly minor_units decimals. */
static ArrayType *
units_array(const int64 *parts, int n, int minor_units)
{
	Datum	   *out = (Datum *) palloc(sizeof(Datum) * n);
	int			i;

	for (i = 0; i < n; i++)
		out[i] = rr_units_to_amount(parts[i], minor_units);
	return construct_array(out, n, NUMERICOID, -1, false, TYPALIGN_INT);
}

PG_FUNCTION_INFO_V1(rr_allocate);

/*
 * rr.allocate(total numeric, weights numeric[], minor_units int DEFAULT 2) RETURNS numeric[]
 *
 * The work is done in a memory context of its own, deleted before returning: only
 * the result array is left in the caller's.
 */
Datum
rr_allocate(PG_FUNCTION_ARGS)
{
	Datum		total = PG_GETARG_DATUM(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int32		minor_units = PG_GETARG_INT32(2);
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext workcxt;
	ArrayType  *result;
	Datum		units;
	Datum	   *w;
	int64		units64;
	int64	   *w64;
	int			n;
	int			scale;
	bool		any_positive;

	rr_check_minor_units(minor_units);
	workcxt = AllocSetContextCreate(callcxt, "rr.allocate", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(workcxt);

	units = amount_to_units_numeric(total, minor_units, "total");
	w = read_numeric_array(arr, "weight", false, &n, &scale, &any_positive);
	if (!any_positive)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all weights are zero"),
				 errhint("At least one weight must be positive.")));

	w64 = (int64 *) palloc(sizeof(int64) * n);
	if (numeric_whole_int64(units, &units64) && units64 != PG_INT64_MIN &&
		scale_to_int64(w, n, scale, w64) < 0)
	{
		int64	   *parts = (int64 *) palloc(sizeof(int64) * n);

		rr_allocate_units(units64, w64, n, parts);
		MemoryContextSwitchTo(callcxt);
		result = units_array(parts, n, minor_units);
	}
	else
	{
		Datum	   *parts = allocate_wide(units, w, n, minor_units);

		MemoryContextSwitchTo(callcxt);
		result = construct_array(parts, n, NUMERICOID, -1, false, TYPALIGN_INT);
	}
	MemoryContextDelete(workcxt);
	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(rr_round_preserving_sum);

/*
 * rr.round_preserving_sum(amounts numeric[], minor_units int DEFAULT 2) RETURNS numeric[]
 *
 * Rounds each amount down or up to a whole minor unit so that the results sum exactly
 * to round(sum(amounts), minor_units): each starts at its floor, and the units still
 * missing go to the largest fractional parts, ties to the lower index.  Rounding every
 * line on its own instead lets the sum drift by up to half a unit per line.
 */
Datum
rr_round_preserving_sum(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	int32		minor_units = PG_GETARG_INT32(1);
	int			scale;
	int			n;
	int			i;
	int			bad;
	bool		any_positive;
	Datum	   *elems;
	int64	   *a;
	int64	   *parts;
	int128	   *rem;
	int128		sum = 0;
	int128		floors = 0;
	int128		target;
	int64		f = 1;

	rr_check_minor_units(minor_units);
	elems = read_numeric_array(arr, "amount", true, &n, &scale, &any_positive);
	a = (int64 *) palloc(sizeof(int64) * n);
	bad = scale_to_int64(elems, n, scale, a);
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("amount %d (%s) has too many digits", bad + 1, numeric_text(elems[bad])),
				 errdetail("Scaled to %d decimals (the most any element has), every element must stay below 9223372036854775807.",
						   scale),
				 errhint("Round the elements to fewer decimals, or scale them all down by the same factor.")));
	parts = (int64 *) palloc(sizeof(int64) * n);
	if (scale <= minor_units)
	{
		/* already whole minor units: nothing to round */
		for (i = 0; i < n; i++)
		{
			int64		p = 1;
			int			e;

			for (e = scale; e < minor_units; e++)
				p *= 10;
			if (pg_mul_s64_overflow(a[i], p, &parts[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("amount %d is out of range", i + 1),
						 errdetail("With minor_units = %d an amount may hold at most 9223372036854775807 minor units.",
								   minor_units)));
		}
		PG_RETURN_ARRAYTYPE_P(units_array(parts, n, minor_units));
	}

	for (i = scale; i > minor_units; i--)
		f *= 10;
	rem = (int128 *) palloc(sizeof(int128) * n);
	for (i = 0; i < n; i++)
	{
		int64		q = a[i] / f;

		if (a[i] % f != 0 && a[i] < 0)
			q--;				/* floor, not truncation */
		parts[i] = q;
		rem[i] = (int128) a[i] - (int128) q * f;
		sum += a[i];
		floors += q;
	}
	/* round(sum, minor_units), half away from zero */
	target = sum / f;
	if (2 * (sum < 0 ? -(sum % f) : sum % f) >= f)
		target += (sum < 0) ? -1 : 1;
	distribute_leftover(rem, n, (int64) (target - floors), parts);
	PG_RETURN_ARRAYTYPE_P(units_array(parts, n, minor_units));
}
