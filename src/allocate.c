/*
 * allocate.c — largest-remainder allocation (DESIGN §3.3)
 *
 * rr.allocate(total, weights, minor_units) splits a total into parts proportional to
 * weights: every part a whole number of minor units, the parts summing exactly to the
 * total, each within one minor unit of its exact share.  Each part first gets the floor
 * of its exact share; the units left over go one at a time to the largest fractional
 * remainders, ties to the lower index.  A negative total is the mirror image.
 */
#include "postgres.h"

#include "allocate.h"
#include "calendar.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "utils/array.h"
#include "utils/builtins.h"
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

/*
 * Scale a numeric by 10^e and return it as int64, or refuse it: it must come out
 * whole (no digits beyond e decimals) and fit in 64 bits.
 */
static int64
numeric_scaled_int64(Datum value, int e, bool *fractional, bool *overflow)
{
	Datum		scaled = value;
	Datum		whole;

	*fractional = false;
	*overflow = false;
	if (e > 0)
	{
		int64		p = 1;

		while (e-- > 0)
			p *= 10;
		scaled = DirectFunctionCall2(numeric_mul, value,
									 NumericGetDatum(int64_to_numeric(p)));
	}
	whole = DirectFunctionCall2(numeric_trunc, scaled, Int32GetDatum(0));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, scaled, whole)) != 0)
	{
		*fractional = true;
		return 0;
	}
	init_bounds();
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, whole, int64_min_numeric)) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, whole, int64_max_numeric)) > 0)
	{
		*overflow = true;
		return 0;
	}
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, whole));
}

/* An amount of money as a count of minor units; refused unless it is a whole number of them. */
int64
rr_amount_to_units(Datum amount, int minor_units, const char *what)
{
	bool		fractional;
	bool		overflow;
	int64		units;

	check_finite(amount, what);
	units = numeric_scaled_int64(amount, minor_units, &fractional, &overflow);
	if (fractional)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is not a whole number of minor units", what, numeric_text(amount)),
				 errdetail("With minor_units = %d the smallest unit is %s.", minor_units,
						   numeric_text(NumericGetDatum(int64_div_fast_to_numeric(1, minor_units)))),
				 errhint("Round the amount to %d decimal places first.", minor_units)));
	if (overflow || units == PG_INT64_MIN)
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
 * Read a non-empty one-dimensional numeric array as int64 values scaled by 10^scale,
 * where scale is the largest number of decimals any element needs.  NULL, NaN and
 * infinite elements are refused, and negative ones unless allow_negative.  `what`
 * names an element in messages ("weight", "amount").
 */
static int64 *
read_scaled_array(ArrayType *arr, const char *what, bool allow_negative,
				  int *scale_out, int *n_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			scale = 0;
	int64	   *v;
	Datum		zero = NumericGetDatum(int64_to_numeric(0));

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%ss must be a one-dimensional array", what)));
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

	for (i = 0; i < n; i++)
	{
		Numeric		num;
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
					 errmsg("%s %d (%s) is not a finite number", what, i + 1, numeric_text(elems[i]))));
		if (!allow_negative && DatumGetBool(DirectFunctionCall2(numeric_lt, elems[i], zero)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s %d (%s) is negative", what, i + 1, numeric_text(elems[i])),
					 errhint("Weights are zero or more; to allocate a credit, pass a negative total.")));
		s = DatumGetInt32(DirectFunctionCall1(numeric_min_scale, elems[i]));
		if (s > scale)
			scale = s;
	}

	v = (int64 *) palloc(sizeof(int64) * n);
	for (i = 0; i < n; i++)
	{
		bool		fractional;
		bool		overflow = scale > 18;

		if (!overflow)
			v[i] = numeric_scaled_int64(elems[i], scale, &fractional, &overflow);
		if (overflow)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s %d (%s) has too many digits", what, i + 1, numeric_text(elems[i])),
					 errdetail("Scaled to %d decimals (the most any element has), every element must stay below 9223372036854775807.",
							   scale),
					 errhint("Round the elements to fewer decimals, or scale them all down by the same factor.")));
	}
	*scale_out = scale;
	*n_out = n;
	return v;
}

/* The weights of rr.allocate: as above, none negative and not all zero. */
static int64 *
read_weights(ArrayType *arr, int *n_out)
{
	int			scale;
	int			i;
	int64	   *w = read_scaled_array(arr, "weight", false, &scale, n_out);

	for (i = 0; i < *n_out; i++)
		if (w[i] > 0)
			return w;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("all weights are zero"),
			 errhint("At least one weight must be positive.")));
	pg_unreachable();
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

/* rr.allocate(total numeric, weights numeric[], minor_units int DEFAULT 2) RETURNS numeric[] */
Datum
rr_allocate(PG_FUNCTION_ARGS)
{
	Datum		total = PG_GETARG_DATUM(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int32		minor_units = PG_GETARG_INT32(2);
	int64		units;
	int64	   *w;
	int64	   *parts;
	int			n;

	rr_check_minor_units(minor_units);
	units = rr_amount_to_units(total, minor_units, "total");
	w = read_weights(arr, &n);
	parts = (int64 *) palloc(sizeof(int64) * n);
	rr_allocate_units(units, w, n, parts);
	PG_RETURN_ARRAYTYPE_P(units_array(parts, n, minor_units));
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
	int64	   *a;
	int64	   *parts;
	int128	   *rem;
	int128		sum = 0;
	int128		floors = 0;
	int128		target;
	int64		f = 1;

	rr_check_minor_units(minor_units);
	a = read_scaled_array(arr, "amount", true, &scale, &n);
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
