/*
 * waterfall.c — first in, first out over a pool's postings, for the deferred revenue
 * waterfall (docs/reports.md, "Deferred revenue waterfall")
 *
 * rr_internal.fifo_waterfall is an aggregate over every deferred revenue journal line of
 * a tenant, fed in the order of its ORDER BY: pool (a contract), account, currency, then
 * oldest first (booking date, entry).  It nets each entry's lines, and merges the pool's
 * two running totals — of the credits and of the debits — as the entries arrive, where a
 * join of each credit's range with each debit's would compare every pair: a credit covers
 * [total before it, total after it) on the credits' total, a debit likewise on the
 * debits', and a debit takes from each credit whose range overlaps its own the overlap.
 * The amounts are summed at once per currency, account, billing month (the credit's) and
 * month (the later of the two), so that no row per part is formed, sorted or grouped;
 * the final function returns those sums.  The numeric arithmetic is the SQL definition's,
 * operation for operation (running sums, the ranges' ends, LEAST and GREATEST keeping the
 * first of equal values, sums), so each amount is the same number with the same display
 * scale.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

/*
 * The four sums of a cell, in the order of rr_internal.waterfall_cell: what a credit
 * defers, and what a debit's part counts as, by the source of its entry.
 */
typedef enum WfKind
{
	WF_DEFERRED,				/* a credit */
	WF_RECOGNISED,				/* source 'recognition' */
	WF_CREDITED,				/* source 'credit_note' */
	WF_OTHER,					/* any other source */
	WF_NSUMS
} WfKind;

/* A netted entry of the pool on its running total: [lo, hi). */
typedef struct WfRange
{
	DateADT		month;
	WfKind		kind;
	Datum		lo;
	Datum		hi;
} WfRange;

/* A queue of ranges not yet passed by the merge. */
typedef struct WfQueue
{
	WfRange    *items;
	int			head;
	int			n;
	int			size;
} WfQueue;

/* The sums of one currency, account, billing month and month. */
typedef struct WfKey
{
	int			pair;			/* index of the currency and account in WfState */
	DateADT		billing_month;
	DateADT		month;
} WfKey;

typedef struct WfCell
{
	WfKey		key;			/* first: the hash table's key */
	Datum		sums[WF_NSUMS];	/* by WfKind */
} WfCell;

typedef struct WfState
{
	MemoryContext aggcxt;		/* the sums and the pairs: the whole aggregation */
	MemoryContext poolcxt;		/* the current pool: reset when it changes */
	Datum		zero;			/* numeric 0 in aggcxt, shared by new cells */
	HTAB	   *cells;
	/* the (currency, account) pairs met, in aggcxt */
	int			npairs;
	int			maxpairs;
	text	  **currencies;
	text	  **accounts;
	/* the current pool, in poolcxt */
	bool		in_pool;
	int64		pool;
	int			pair;
	bool		credits_begun;
	bool		debits_begun;
	Datum		credits;		/* running total of the credits */
	Datum		debits;			/* running total of the debits (positive) */
	WfQueue		cq;
	WfQueue		dq;
	/* the current entry, netted over its lines, in poolcxt */
	bool		in_entry;
	int64		entry_id;
	DateADT		entry_month;
	WfKind		entry_kind;
	Datum		entry_amount;
} WfState;

/* -1, 0 or 1 as numeric a is less than, equal to or greater than b */
static int
numeric_compare(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

static bool
text_equal(text *a, text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/* The index of a (currency, account) pair, added if new: there are few of them. */
static int
wf_pair(WfState *st, text *currency, text *account)
{
	MemoryContext old;
	int			i;

	for (i = 0; i < st->npairs; i++)
		if (text_equal(st->currencies[i], currency) && text_equal(st->accounts[i], account))
			return i;
	old = MemoryContextSwitchTo(st->aggcxt);
	if (st->npairs == st->maxpairs)
	{
		st->maxpairs = st->maxpairs == 0 ? 8 : st->maxpairs * 2;
		if (st->currencies == NULL)
		{
			st->currencies = palloc(mul_size(sizeof(text *), st->maxpairs));
			st->accounts = palloc(mul_size(sizeof(text *), st->maxpairs));
		}
		else
		{
			st->currencies = repalloc(st->currencies, mul_size(sizeof(text *), st->maxpairs));
			st->accounts = repalloc(st->accounts, mul_size(sizeof(text *), st->maxpairs));
		}
	}
	st->currencies[st->npairs] = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(currency));
	st->accounts[st->npairs] = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(account));
	MemoryContextSwitchTo(old);
	return st->npairs++;
}

/* Add an amount to one of a cell's sums (kept in aggcxt, the old sum freed). */
static void
wf_add(WfState *st, DateADT billing_month, DateADT month, WfKind kind, Datum amount)
{
	WfKey		key;
	WfCell	   *cell;
	Datum	   *sum;
	bool		found;
	MemoryContext old;
	Datum		before;
	int			i;

	memset(&key, 0, sizeof(key));
	key.pair = st->pair;
	key.billing_month = billing_month;
	key.month = month;
	cell = (WfCell *) hash_search(st->cells, &key, HASH_ENTER, &found);
	if (!found)
		for (i = 0; i < WF_NSUMS; i++)
			cell->sums[i] = st->zero;
	sum = &cell->sums[kind];
	before = *sum;
	old = MemoryContextSwitchTo(st->aggcxt);
	*sum = DirectFunctionCall2(numeric_add, before, amount);
	MemoryContextSwitchTo(old);
	if (DatumGetPointer(before) != DatumGetPointer(st->zero))
		pfree(DatumGetPointer(before));
}

static void
wf_push(WfQueue *q, WfRange *r)
{
	if (q->n == q->size)
	{
		q->size = q->size == 0 ? 16 : q->size * 2;
		q->items = q->items == NULL ? palloc(mul_size(sizeof(WfRange), q->size))
			: repalloc(q->items, mul_size(sizeof(WfRange), q->size));
	}
	q->items[q->n++] = *r;
}

/*
 * Walk both queues as far as both have ranges: the credits' ranges and the debits' both
 * start at zero and follow each other without gaps, so walking them in order meets every
 * overlapping pair once; a step needs only the two ranges at the heads, so taking the
 * steps as the entries arrive takes the same steps as a walk over the whole pool.
 */
static void
wf_merge(WfState *st)
{
	while (st->cq.head < st->cq.n && st->dq.head < st->dq.n)
	{
		WfRange    *c = &st->cq.items[st->cq.head];
		WfRange    *d = &st->dq.items[st->dq.head];

		if (numeric_compare(d->lo, c->hi) < 0 && numeric_compare(c->lo, d->hi) < 0)
		{
			/* LEAST(c.hi, d.hi) - GREATEST(c.lo, d.lo), the first of equals kept */
			Datum		top = numeric_compare(d->hi, c->hi) < 0 ? d->hi : c->hi;
			Datum		bottom = numeric_compare(d->lo, c->lo) > 0 ? d->lo : c->lo;

			/*
			 * the credit's billing month; a debit booked before the credit it takes from
			 * (a pool that went into debit) counts in the credit's month
			 */
			wf_add(st, c->month, Max(d->month, c->month), d->kind,
				   DirectFunctionCall2(numeric_sub, top, bottom));
		}
		/* a credit that ends first can overlap no later debit, and the reverse */
		if (numeric_compare(c->hi, d->hi) <= 0)
			st->cq.head++;
		else
			st->dq.head++;
	}
}

/* The current entry, netted, onto its running total (nothing if it nets to zero). */
static void
wf_flush_entry(WfState *st)
{
	MemoryContext old;
	WfRange		r;
	int			sign;

	if (!st->in_entry)
		return;
	st->in_entry = false;
	sign = numeric_compare(st->entry_amount, st->zero);
	if (sign == 0)
		return;
	old = MemoryContextSwitchTo(st->poolcxt);
	r.month = st->entry_month;
	r.kind = st->entry_kind;
	/*
	 * As the SQL definition: the credits' running sum, hi = the sum, lo = hi - amount;
	 * the debits' running sum of -amount, hi = the sum, lo = hi + amount.
	 */
	if (sign > 0)
	{
		st->credits = st->credits_begun ? DirectFunctionCall2(numeric_add, st->credits, st->entry_amount)
			: st->entry_amount;
		st->credits_begun = true;
		r.hi = st->credits;
		r.lo = DirectFunctionCall2(numeric_sub, st->credits, st->entry_amount);
		wf_push(&st->cq, &r);
		/* a credit is deferred revenue of its own month */
		wf_add(st, r.month, r.month, WF_DEFERRED, st->entry_amount);
	}
	else
	{
		Datum		taken = DirectFunctionCall1(numeric_uminus, st->entry_amount);

		st->debits = st->debits_begun ? DirectFunctionCall2(numeric_add, st->debits, taken) : taken;
		st->debits_begun = true;
		r.hi = st->debits;
		r.lo = DirectFunctionCall2(numeric_add, st->debits, st->entry_amount);
		wf_push(&st->dq, &r);
	}
	wf_merge(st);
	MemoryContextSwitchTo(old);
}

static WfState *
wf_state_new(MemoryContext aggcxt)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	WfState    *st = (WfState *) palloc0(sizeof(WfState));
	HASHCTL		ctl;

	st->aggcxt = aggcxt;
	st->poolcxt = AllocSetContextCreate(aggcxt, "rr waterfall pool", ALLOCSET_DEFAULT_SIZES);
	st->zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(WfKey);
	ctl.entrysize = sizeof(WfCell);
	ctl.hcxt = aggcxt;
	st->cells = hash_create("rr waterfall sums", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	MemoryContextSwitchTo(old);
	return st;
}

PG_FUNCTION_INFO_V1(rr_fifo_waterfall_step);

/*
 * rr_internal.fifo_waterfall_step(state internal, pool bigint, account text, currency
 * char, entry_id bigint, month date, source text, amount numeric): the transition of
 * rr_internal.fifo_waterfall, one journal line (amount: credit positive, debit negative).
 * The lines must come grouped by pool, account and currency and, within them, oldest
 * first with each entry's lines together (the aggregate's ORDER BY); a line with a NULL
 * argument is left out.
 */
Datum
rr_fifo_waterfall_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	WfState    *st;
	int64		pool;
	text	   *account;
	text	   *currency;
	int64		entry_id;
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rr_fifo_waterfall_step called in non-aggregate context");
	st = PG_ARGISNULL(0) ? wf_state_new(aggcxt) : (WfState *) PG_GETARG_POINTER(0);
	for (i = 1; i <= 7; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_POINTER(st);

	pool = PG_GETARG_INT64(1);
	account = PG_GETARG_TEXT_PP(2);
	currency = PG_GETARG_TEXT_PP(3);
	entry_id = PG_GETARG_INT64(4);

	if (!st->in_pool || pool != st->pool ||
		!text_equal(st->currencies[st->pair], currency) ||
		!text_equal(st->accounts[st->pair], account))
	{
		/* a new pool: what the last one left unmatched stays deferred, or is untaken */
		wf_flush_entry(st);
		MemoryContextReset(st->poolcxt);
		memset(&st->cq, 0, sizeof(WfQueue));
		memset(&st->dq, 0, sizeof(WfQueue));
		st->credits_begun = false;
		st->debits_begun = false;
		st->in_pool = true;
		st->pool = pool;
		st->pair = wf_pair(st, currency, account);
	}
	else if (st->in_entry && entry_id != st->entry_id)
		wf_flush_entry(st);

	if (st->in_entry)
	{
		MemoryContext old = MemoryContextSwitchTo(st->poolcxt);

		st->entry_amount = DirectFunctionCall2(numeric_add, st->entry_amount, PG_GETARG_DATUM(7));
		MemoryContextSwitchTo(old);
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(st->poolcxt);
		text	   *source = PG_GETARG_TEXT_PP(6);
		const char *s = VARDATA_ANY(source);
		int			len = VARSIZE_ANY_EXHDR(source);

		st->in_entry = true;
		st->entry_id = entry_id;
		st->entry_month = PG_GETARG_DATEADT(5);
		st->entry_kind = (len == 11 && memcmp(s, "recognition", 11) == 0) ? WF_RECOGNISED
			: (len == 11 && memcmp(s, "credit_note", 11) == 0) ? WF_CREDITED
			: WF_OTHER;
		/* the argument points into the aggregate's input slot: keep a copy of our own */
		st->entry_amount = PointerGetDatum(DatumGetNumericCopy(PG_GETARG_DATUM(7)));
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(rr_fifo_waterfall_final);

/*
 * rr_internal.fifo_waterfall_final(state internal) RETURNS rr_internal.waterfall_cell[]:
 * the sums, one element per currency, account, billing month and month, in no order;
 * NULL when no line was fed.
 */
Datum
rr_fifo_waterfall_final(PG_FUNCTION_ARGS)
{
	WfState    *st;
	Oid			arraytype;
	Oid			elemtype;
	TupleDesc	desc;
	HASH_SEQ_STATUS seq;
	WfCell	   *cell;
	Datum	   *elems;
	int			n = 0;
	int			i;
	long		ncells;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "rr_fifo_waterfall_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (WfState *) PG_GETARG_POINTER(0);
	/* the last entry (the final function may run more than once: flushing is idempotent) */
	wf_flush_entry(st);

	arraytype = get_fn_expr_rettype(fcinfo->flinfo);
	elemtype = get_element_type(arraytype);
	if (!OidIsValid(elemtype))
		elog(ERROR, "rr_fifo_waterfall_final must return an array of a composite type");
	desc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (desc->natts != 4 + WF_NSUMS)
		elog(ERROR, "rr_fifo_waterfall_final must return an array of a type of %d attributes", 4 + WF_NSUMS);

	ncells = hash_get_num_entries(st->cells);
	elems = (Datum *) palloc(mul_size(sizeof(Datum), Max(ncells, 1)));
	hash_seq_init(&seq, st->cells);
	while ((cell = (WfCell *) hash_seq_search(&seq)) != NULL)
	{
		Datum		values[4 + WF_NSUMS];
		bool		nulls[4 + WF_NSUMS] = {false};

		values[0] = PointerGetDatum(st->currencies[cell->key.pair]);
		values[1] = PointerGetDatum(st->accounts[cell->key.pair]);
		values[2] = DateADTGetDatum(cell->key.billing_month);
		values[3] = DateADTGetDatum(cell->key.month);
		for (i = 0; i < WF_NSUMS; i++)
			values[4 + i] = cell->sums[i];
		elems[n++] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, elemtype, -1, false, TYPALIGN_DOUBLE));
}
