/*
 * waterfall.c — first in, first out over a pool's postings, for the deferred revenue
 * waterfall (docs/reports.md, "Deferred revenue waterfall")
 *
 * rr_internal.fifo_parts is a window function over one pool (a contract's deferred
 * revenue account in one currency), its rows ordered oldest first.  It merges the two
 * running totals — of the credits and of the debits — in one pass over the partition,
 * where a join of each credit's range with each debit's would compare every pair.  Each
 * row gets its parts: a credit its own (its month, its amount); a debit one per credit
 * whose range overlaps its own, with that credit's month and the overlap.  The numeric
 * arithmetic is the SQL definition's, operation for operation (running sums, the ranges'
 * ends, LEAST and GREATEST keeping the first of equal values), so each amount is the same
 * number with the same display scale.  rr_internal.fifo_part_rows turns a row's parts
 * into rows.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "storage/shmem.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"
#include "windowapi.h"

/* One posting of the pool: a credit (amount > 0) or a debit (amount < 0). */
typedef struct FifoRow
{
	bool		skip;			/* NULL amount or month, or zero: no parts */
	bool		credit;
	DateADT		month;
	Datum		amount;			/* the row's amount, copied */
	Datum		lo;				/* its range on its running total: [lo, hi) */
	Datum		hi;
	int			first_part;		/* a debit's parts: parts[first_part ..] */
	int			nparts;
} FifoRow;

/* One part of a debit: what it takes from one credit. */
typedef struct FifoPart
{
	DateADT		month;			/* the credit's month */
	Datum		amount;
} FifoPart;

/* The partition's rows and parts, computed at its first row. */
typedef struct FifoPartition
{
	bool		done;
	int64		nrows;
	FifoRow    *rows;
	FifoPart   *parts;
} FifoPartition;

/* The element type of the result (rr_internal.fifo_part), kept in fn_extra. */
typedef struct FifoResultType
{
	Oid			elemtype;
	TupleDesc	desc;
} FifoResultType;

/* -1, 0 or 1 as numeric a is less than, equal to or greater than b */
static int
numeric_compare(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

/*
 * Read the partition and merge: the credits' ranges on the running total of the
 * credits and the debits' on that of the debits both start at zero and follow each
 * other without gaps, so walking both lists in order meets every overlapping pair once.
 */
static void
fifo_compute(WindowObject winobj, FifoPartition *p, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Datum		zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	Datum		credits = (Datum) 0;
	Datum		debits = (Datum) 0;
	int		   *ci;
	int		   *di;
	int			nc = 0;
	int			nd = 0;
	int			nparts = 0;
	int			maxparts;
	int			i;
	int			j;
	int64		r;

	p->nrows = WinGetPartitionRowCount(winobj);
	if (p->nrows > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a pool of %lld postings is too large", (long long) p->nrows)));
	p->rows = (FifoRow *) palloc0(mul_size(sizeof(FifoRow), p->nrows));
	ci = (int *) palloc(mul_size(sizeof(int), p->nrows));
	di = (int *) palloc(mul_size(sizeof(int), p->nrows));

	for (r = 0; r < p->nrows; r++)
	{
		FifoRow    *row = &p->rows[r];
		bool		isnull,
					isout,
					mnull;
		Datum		a = WinGetFuncArgInPartition(winobj, 0, (int) r, WINDOW_SEEK_HEAD,
												 false, &isnull, &isout);
		Datum		m = WinGetFuncArgInPartition(winobj, 1, (int) r, WINDOW_SEEK_HEAD,
												 false, &mnull, &isout);
		int			sign;

		if (isnull || mnull)
		{
			row->skip = true;
			continue;
		}
		/* the argument points into the window's slot: keep a copy of our own */
		row->amount = PointerGetDatum(DatumGetNumericCopy(a));
		row->month = DatumGetDateADT(m);
		sign = numeric_compare(row->amount, zero);
		if (sign == 0)
		{
			row->skip = true;
			continue;
		}
		row->credit = sign > 0;
		/*
		 * As the SQL definition: the credits' running sum, hi = the sum, lo = hi - amount;
		 * the debits' running sum of -amount, hi = the sum, lo = hi + amount.
		 */
		if (row->credit)
		{
			credits = nc == 0 ? row->amount
				: DirectFunctionCall2(numeric_add, credits, row->amount);
			row->hi = credits;
			row->lo = DirectFunctionCall2(numeric_sub, credits, row->amount);
			ci[nc++] = (int) r;
		}
		else
		{
			Datum		taken = DirectFunctionCall1(numeric_uminus, row->amount);

			debits = nd == 0 ? taken : DirectFunctionCall2(numeric_add, debits, taken);
			row->hi = debits;
			row->lo = DirectFunctionCall2(numeric_add, debits, row->amount);
			di[nd++] = (int) r;
		}
	}

	/* at most one part per step of the merge, and it takes at most nc + nd steps */
	maxparts = Max(nc + nd, 1);
	p->parts = (FifoPart *) palloc(mul_size(sizeof(FifoPart), maxparts));
	i = 0;
	j = 0;
	while (i < nc && j < nd)
	{
		FifoRow    *c = &p->rows[ci[i]];
		FifoRow    *d = &p->rows[di[j]];

		if (numeric_compare(d->lo, c->hi) < 0 && numeric_compare(c->lo, d->hi) < 0)
		{
			/* LEAST(c.hi, d.hi) - GREATEST(c.lo, d.lo), the first of equals kept */
			Datum		top = numeric_compare(d->hi, c->hi) < 0 ? d->hi : c->hi;
			Datum		bottom = numeric_compare(d->lo, c->lo) > 0 ? d->lo : c->lo;

			if (d->nparts == 0)
				d->first_part = nparts;
			d->nparts++;
			p->parts[nparts].month = c->month;
			p->parts[nparts].amount = DirectFunctionCall2(numeric_sub, top, bottom);
			nparts++;
		}
		/* a credit that ends first can overlap no later debit, and the reverse */
		if (numeric_compare(c->hi, d->hi) <= 0)
			i++;
		else
			j++;
	}
	pfree(ci);
	pfree(di);
	p->done = true;
	MemoryContextSwitchTo(old);
}

/* One element of the result: (month, amount) as rr_internal.fifo_part. */
static Datum
fifo_part_datum(FifoResultType *rt, DateADT month, Datum amount)
{
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = DateADTGetDatum(month);
	values[1] = amount;
	return HeapTupleGetDatum(heap_form_tuple(rt->desc, values, nulls));
}

PG_FUNCTION_INFO_V1(rr_fifo_parts);

/*
 * rr_internal.fifo_parts(amount numeric, month date) RETURNS rr_internal.fifo_part[],
 * a window function: the current row's parts (NULL for a row with no amount or month,
 * or an amount of zero; an empty array for a debit beyond all the credits).
 */
Datum
rr_fifo_parts(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	FifoPartition *p;
	FifoResultType *rt = (FifoResultType *) fcinfo->flinfo->fn_extra;
	FifoRow    *row;
	Datum	   *elems;
	int			k;
	ArrayType  *result;

	if (rt == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		Oid			arraytype = get_fn_expr_rettype(fcinfo->flinfo);
		TupleDesc	desc;

		rt = (FifoResultType *) palloc(sizeof(FifoResultType));
		rt->elemtype = get_element_type(arraytype);
		if (!OidIsValid(rt->elemtype))
			elog(ERROR, "rr_fifo_parts must return an array of a composite type");
		desc = lookup_rowtype_tupdesc(rt->elemtype, -1);
		rt->desc = CreateTupleDescCopy(desc);
		ReleaseTupleDesc(desc);
		fcinfo->flinfo->fn_extra = rt;
		MemoryContextSwitchTo(old);
	}

	p = (FifoPartition *) WinGetPartitionLocalMemory(winobj, sizeof(FifoPartition));
	if (!p->done)
		fifo_compute(winobj, p, GetMemoryChunkContext(p));

	row = &p->rows[WinGetCurrentPosition(winobj)];
	if (row->skip)
		PG_RETURN_NULL();
	if (row->credit)
	{
		elems = (Datum *) palloc(sizeof(Datum));
		elems[0] = fifo_part_datum(rt, row->month, row->amount);
		k = 1;
	}
	else
	{
		elems = (Datum *) palloc(sizeof(Datum) * Max(row->nparts, 1));
		for (k = 0; k < row->nparts; k++)
			elems[k] = fifo_part_datum(rt, p->parts[row->first_part + k].month,
									   p->parts[row->first_part + k].amount);
	}
	result = construct_array(elems, k, rt->elemtype, -1, false, TYPALIGN_DOUBLE);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* The elements of rr_fifo_part_rows's array, across its calls. */
typedef struct FifoPartRows
{
	Datum	   *elems;
	bool	   *nulls;
} FifoPartRows;

PG_FUNCTION_INFO_V1(rr_fifo_part_rows);

/*
 * rr_internal.fifo_part_rows(parts rr_internal.fifo_part[]) RETURNS SETOF
 * rr_internal.fifo_part: the parts as rows.  unnest() would do, but the planner counts
 * ten rows for an array it cannot see, which sized the waterfall's grouping of the parts
 * beyond memory at 100,000 contracts and made it sort them on disk; this one is declared
 * to give one row (a credit has one part, a debit mostly one or two).
 */
Datum
rr_fifo_part_rows(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	FifoPartRows *rows;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		ArrayType  *parts;
		int			n;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		parts = PG_GETARG_ARRAYTYPE_P(0);
		rows = (FifoPartRows *) palloc(sizeof(FifoPartRows));
		deconstruct_array(parts, ARR_ELEMTYPE(parts), -1, false, TYPALIGN_DOUBLE,
						  &rows->elems, &rows->nulls, &n);
		funcctx->user_fctx = rows;
		funcctx->max_calls = n;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	rows = (FifoPartRows *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		uint64		i = funcctx->call_cntr;

		if (rows->nulls[i])
			SRF_RETURN_NEXT_NULL(funcctx);
		SRF_RETURN_NEXT(funcctx, rows->elems[i]);
	}
	SRF_RETURN_DONE(funcctx);
}
