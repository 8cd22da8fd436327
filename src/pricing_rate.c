/*
 * pricing_rate.c — rating a quantity against an rr.pricing: rr.price,
 * rr.price_reference and rr.price_tiers (docs/pricing.md)
 *
 * Rating is exact.  The result of rr.price always has the display scale given by
 * result_scale(), whichever way it was computed:
 *  - a fixed-point fast path in 128-bit integers, used when the quantity and every
 *    value of the model fit in 64-bit mantissas and the result fits in 64 bits;
 *  - the numeric path (PostgreSQL numeric arithmetic), used otherwise, by
 *    rr.price_tiers, and by rr.price_reference so tests can compare both paths.
 * The decoded model is cached in fn_extra and reused while the argument's bytes
 * are the same, which is the common case of one price applied to many quantities.
 */
#include "postgres.h"

#include "numeric_ops.h"
#include "pricing.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

/* ---- rating ---- */

/* One value of the model, ready for both paths. */
typedef struct RateVal
{
	bool		present;
	bool		fits;			/* mant = value × 10^scale fits in int64 */
	int			scale;
	int64		mant;
	const char *text;
	Datum		num;			/* numeric, built on first use by the numeric path */
} RateVal;

/* The decoded model cached in fn_extra, keyed by the bytes of the argument. */
typedef struct RateModel
{
	MemoryContext mcxt;			/* fn_mcxt: the cache itself */
	MemoryContext numcxt;		/* numeric values of the current model */
	char	   *key;
	Size		keylen;
	Size		keycap;
	PricingSpec spec;
	PricingModel model;
	int			ntiers;
	bool		all_fit;
	int			su;				/* largest up_to scale */
	int			sp;				/* largest unit_price scale */
	int			sf;				/* largest flat_fee scale (0 if none) */
	RateVal		a;				/* amount, unit_price, package_price or rate */
	RateVal		b;				/* package_size or fixed_fee */
	RateVal		lo;				/* percentage min */
	RateVal		hi;				/* percentage max */
	RateVal		up_to[PRICING_MAX_TIERS];
	RateVal		price[PRICING_MAX_TIERS];
	RateVal		fee[PRICING_MAX_TIERS];
	TupleDesc	tiers_desc;		/* rr.price_tiers' row type, built once per query */
} RateModel;

static void
rate_val(RateModel *m, RateVal *v, const PricingDec *d)
{
	const char *p;
	int64		mant = 0;

	memset(v, 0, sizeof(*v));
	v->present = d->present;
	if (!d->present)
		return;
	v->text = d->text;
	v->scale = d->scale;
	/* at most 18 digits always fit in int64 */
	v->fits = d->int_digits + d->scale <= 18;
	if (v->fits)
	{
		for (p = d->text; *p; p++)
			if (*p >= '0' && *p <= '9')
				mant = mant * 10 + (*p - '0');
		v->mant = d->negative ? -mant : mant;
	}
	else
		m->all_fit = false;
}

/* The model of a pricing argument, decoded once per distinct value. */
static RateModel *
rate_model(FunctionCallInfo fcinfo, Pricing *p)
{
	RateModel  *m = (RateModel *) fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE_ANY_EXHDR(p);
	int			i;

	if (m != NULL && m->keylen == len && memcmp(m->key, VARDATA_ANY(p), len) == 0)
		return m;
	if (m == NULL)
	{
		m = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RateModel));
		m->mcxt = fcinfo->flinfo->fn_mcxt;
		m->numcxt = AllocSetContextCreate(m->mcxt, "rr.pricing rating cache",
										  ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = m;
	}
	m->keylen = 0;				/* invalid until fully decoded */
	/* a new model: forget the numerics of the previous one, so memory stays flat */
	MemoryContextReset(m->numcxt);
	if (m->keycap < len)
	{
		if (m->key)
			pfree(m->key);
		m->key = MemoryContextAlloc(m->mcxt, len);
		m->keycap = len;
	}
	pricing_to_spec(p, &m->spec);
	m->model = m->spec.model;
	m->ntiers = m->spec.ntiers;
	m->all_fit = true;
	m->su = m->sp = m->sf = 0;
	switch (m->model)
	{
		case PRICING_FLAT:
			rate_val(m, &m->a, &m->spec.amount);
			break;
		case PRICING_PER_UNIT:
			rate_val(m, &m->a, &m->spec.unit_price);
			break;
		case PRICING_PACKAGE:
			rate_val(m, &m->a, &m->spec.package_price);
			rate_val(m, &m->b, &m->spec.package_size);
			break;
		case PRICING_PERCENTAGE:
			rate_val(m, &m->a, &m->spec.rate);
			rate_val(m, &m->b, &m->spec.fixed_fee);
			rate_val(m, &m->lo, &m->spec.min);
			rate_val(m, &m->hi, &m->spec.max);
			break;
		default:
			for (i = 0; i < m->ntiers; i++)
			{
				rate_val(m, &m->up_to[i], &m->spec.tiers[i].up_to);
				rate_val(m, &m->price[i], &m->spec.tiers[i].unit_price);
				rate_val(m, &m->fee[i], &m->spec.tiers[i].flat_fee);
				m->su = Max(m->su, m->up_to[i].scale);
				m->sp = Max(m->sp, m->price[i].scale);
				m->sf = Max(m->sf, m->fee[i].scale);
			}
			break;
	}
	memcpy(m->key, VARDATA_ANY(p), len);
	m->keylen = len;
	return m;
}

/* The numeric value of a model value (built once per model, in the cache). */
static Datum
val_num(RateModel *m, RateVal *v)
{
	if (v->num == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(m->numcxt);

		v->num = DirectFunctionCall3(numeric_in, CStringGetDatum(v->text),
									 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		MemoryContextSwitchTo(old);
	}
	return v->num;
}

/*
 * A quantity read straight from numeric's on-disk format (numeric.c: a 16-bit
 * header, short or long, then base-10000 digits).  That format is fixed by
 * pg_upgrade compatibility, so reading it is safe; anything unexpected just
 * leaves fits = false and the numeric path takes over.
 */
typedef struct Qty
{
	bool		nan;
	bool		inf;
	bool		negative;
	int			dscale;
	bool		fits;			/* mant = q × 10^dscale fits in int64, dscale <= 18 */
	int64		mant;
} Qty;

#define NUM_SIGN_MASK		0xC000
#define NUM_NEG				0x4000
#define NUM_SHORT			0x8000
#define NUM_SPECIAL			0xC000
#define NUM_NAN				0xC000
#define NUM_EXT_MASK		0xF000
#define NUM_SHORT_SIGN		0x2000
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_DSCALE_MASK		0x3FFF

static const int128 pow10_128[39] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	INT64CONST(10000000000), INT64CONST(100000000000), INT64CONST(1000000000000),
	INT64CONST(10000000000000), INT64CONST(100000000000000),
	INT64CONST(1000000000000000), INT64CONST(10000000000000000),
	INT64CONST(100000000000000000), INT64CONST(1000000000000000000),
	(int128) INT64CONST(1000000000000000000) * 10,
	(int128) INT64CONST(1000000000000000000) * 100,
	(int128) INT64CONST(1000000000000000000) * 1000,
	(int128) INT64CONST(1000000000000000000) * 10000,
	(int128) INT64CONST(1000000000000000000) * 100000,
	(int128) INT64CONST(1000000000000000000) * 1000000,
	(int128) INT64CONST(1000000000000000000) * 10000000,
	(int128) INT64CONST(1000000000000000000) * 100000000,
	(int128) INT64CONST(1000000000000000000) * 1000000000,
	(int128) INT64CONST(1000000000000000000) * INT64CONST(10000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(100000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(1000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(10000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(100000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(1000000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(10000000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(100000000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(1000000000000000000),
	(int128) INT64CONST(1000000000000000000) * INT64CONST(1000000000000000000) * 10,
	(int128) INT64CONST(1000000000000000000) * INT64CONST(1000000000000000000) * 100
};

#define I128_MAX ((int128) (((uint128) 1 << 127) - 1))

static void
read_quantity(struct varlena *v, Qty *q)
{
	const char *p = VARDATA_ANY(v);
	Size		n = VARSIZE_ANY_EXHDR(v);
	uint16		h;
	int			weight;
	int			ndigits;
	const char *digits;
	int128		acc = 0;
	int64		mant;
	int			e;
	int			i;

	memset(q, 0, sizeof(*q));
	if (n < sizeof(uint16))
		return;
	memcpy(&h, p, sizeof(uint16));
	if ((h & NUM_SIGN_MASK) == NUM_SPECIAL)
	{
		q->nan = (h & NUM_EXT_MASK) == NUM_NAN;
		q->inf = !q->nan;
		q->negative = (h & NUM_EXT_MASK) == 0xF000;
		return;
	}
	if (h & NUM_SHORT)
	{
		q->negative = (h & NUM_SHORT_SIGN) != 0;
		q->dscale = (h & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		weight = (h & NUM_SHORT_WEIGHT_SIGN) ? (int) (~NUM_SHORT_WEIGHT_MASK | (h & NUM_SHORT_WEIGHT_MASK))
			: (int) (h & NUM_SHORT_WEIGHT_MASK);
		digits = p + sizeof(uint16);
		ndigits = (int) ((n - sizeof(uint16)) / sizeof(int16));
	}
	else
	{
		int16		w;

		if (n < 2 * sizeof(uint16))
			return;
		q->negative = (h & NUM_SIGN_MASK) == NUM_NEG;
		q->dscale = h & NUM_DSCALE_MASK;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		digits = p + 2 * sizeof(uint16);
		ndigits = (int) ((n - 2 * sizeof(uint16)) / sizeof(int16));
	}
	if (ndigits == 0)
		q->negative = false;	/* zero */
	if (q->dscale > 18 || ndigits > 8)
		return;
	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
		acc = acc * 10000 + d;
	}
	/* value = acc × 10000^(weight - ndigits + 1); we want value × 10^dscale */
	e = 4 * (weight - ndigits + 1) + q->dscale;
	if (ndigits == 0)
		e = 0;
	/* digit groups past dscale hold zeros only, so e >= -3 for a well-formed value */
	if (acc > PG_INT64_MAX || e > 18 || e < -18)
		return;
	mant = (int64) acc;			/* 64-bit from here: no 128-bit division */
	if (e >= 0)
	{
		if (pg_mul_s64_overflow(mant, (int64) pow10_128[e], &mant))
			return;
	}
	else
	{
		if (mant % (int64) pow10_128[-e] != 0)
			return;
		mant /= (int64) pow10_128[-e];
	}
	q->mant = mant;				/* quantities are never negative here */
	q->fits = true;
}

/* Refuse a quantity rr.price cannot rate (22023, not an input syntax error). */
static void
check_quantity(Numeric num, const Qty *q)
{
	if (q->nan || q->inf || q->negative)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantity %s is not allowed",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)))),
				 errdetail("A quantity must be a finite number, zero or more.")));
	if (q->dscale > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantity has %d digits after the decimal point", q->dscale),
				 errdetail("A quantity has at most 1000 digits after the decimal point.")));
}

/*
 * The display scale of every rr.price result (and of each rr.price_tiers amount):
 * the smallest scale that holds every exact result of the model at a quantity of
 * scale sq, so the result never depends on which path computed it.
 */
static int
result_scale(const RateModel *m, int sq)
{
	switch (m->model)
	{
		case PRICING_FLAT:
			return m->a.scale;
		case PRICING_PER_UNIT:
			return sq + m->a.scale;
		case PRICING_PACKAGE:
			return m->a.scale;
		case PRICING_GRADUATED:
			return Max(Max(sq, m->su) + m->sp, m->sf);
		case PRICING_VOLUME:
			return Max(sq + m->sp, m->sf);
		case PRICING_STAIRSTEP:
			return m->sf;
		case PRICING_PERCENTAGE:
			return Max(Max(sq + m->a.scale, m->b.scale), Max(m->lo.scale, m->hi.scale));
	}
	return 0;
}

/* ---- fast path: exact fixed point in int128 ---- */

/* r = x × 10^k, false on overflow (x >= 0) */
static inline bool
scale_up(int128 x, int k, int128 *r)
{
	if (k < 0 || k > 38)
		return false;
	/* 10^19 × (2^63 - 1) < 2^127: the common case needs no 128-bit division */
	if (!(x <= PG_INT64_MAX && k <= 19) && x > I128_MAX / pow10_128[k])
		return false;
	*r = x * pow10_128[k];
	return true;
}

/* r = a × b when both fit in int64 (the product then fits in int128) */
static inline bool
mul_small(int128 a, int128 b, int128 *r)
{
	if (a > PG_INT64_MAX || b > PG_INT64_MAX || a < PG_INT64_MIN || b < PG_INT64_MIN)
		return false;
	*r = a * b;
	return true;
}

static inline bool
add_checked(int128 a, int128 b, int128 *r)
{
	return !__builtin_add_overflow(a, b, r);
}

/* Value of v at scale s (s >= v->scale) */
static inline bool
val_at(const RateVal *v, int s, int128 *r)
{
	return scale_up(v->mant, s - v->scale, r);
}

/* Index of the tier that contains Q (scale w): the first with Q <= up_to. */
static bool
fast_tier_index(const RateModel *m, int128 Q, int w, int *k)
{
	int			i;

	for (i = 0; i < m->ntiers; i++)
	{
		int128		U;

		if (!m->up_to[i].present)
			break;
		if (!val_at(&m->up_to[i], w, &U))
			return false;
		if (Q <= U)
			break;
	}
	*k = i;
	return true;
}

/* Rate q at scale S in int128; false when anything does not fit. */
static bool
rate_fast(const RateModel *m, const Qty *q, int S, int128 *res)
{
	int128		Q = q->mant;
	int128		t;
	int128		f;
	int			i;
	int			k;
	int			w;

	if (!m->all_fit || !q->fits || S > 38)
		return false;
	switch (m->model)
	{
		case PRICING_FLAT:
			*res = m->a.mant;
			return true;
		case PRICING_PER_UNIT:
			return mul_small(Q, m->a.mant, res);
		case PRICING_PACKAGE:
			{
				int128		D;
				int128		packs;

				/* packs = ceil(Q / (size × 10^sq)) */
				if (!scale_up(m->b.mant, q->dscale, &D))
					return false;
				if (D > PG_INT64_MAX)
					packs = Q / D + (Q % D != 0);
				else			/* Q fits in int64 (q->fits): 64-bit division */
					packs = (int64) Q / (int64) D + ((int64) Q % (int64) D != 0);
				return mul_small(packs, m->a.mant, res);
			}
		case PRICING_GRADUATED:
			{
				int128		prev = 0;
				int128		total = 0;

				w = Max(q->dscale, m->su);
				if (!scale_up(Q, w - q->dscale, &Q))
					return false;
				for (i = 0; i < m->ntiers && Q > prev; i++)
				{
					int128		U = Q;

					if (m->up_to[i].present && !val_at(&m->up_to[i], w, &U))
						return false;
					if (!mul_small(Min(Q, U) - prev, m->price[i].mant, &t) ||
						!scale_up(t, S - w - m->price[i].scale, &t) ||
						!add_checked(total, t, &total))
						return false;
					if (m->fee[i].present &&
						(!val_at(&m->fee[i], S, &f) || !add_checked(total, f, &total)))
						return false;
					prev = U;
				}
				*res = total;
				return true;
			}
		case PRICING_VOLUME:
			if (Q == 0)
			{
				*res = 0;
				return true;
			}
			/* find the tier comparing at a common scale */
			w = Max(q->dscale, m->su);
			if (!scale_up(Q, w - q->dscale, &t) || !fast_tier_index(m, t, w, &k))
				return false;
			if (!mul_small(Q, m->price[k].mant, &t) ||
				!scale_up(t, S - q->dscale - m->price[k].scale, &t))
				return false;
			if (m->fee[k].present &&
				(!val_at(&m->fee[k], S, &f) || !add_checked(t, f, &t)))
				return false;
			*res = t;
			return true;
		case PRICING_STAIRSTEP:
			if (Q == 0)
			{
				*res = 0;
				return true;
			}
			w = Max(q->dscale, m->su);
			if (!scale_up(Q, w - q->dscale, &t) || !fast_tier_index(m, t, w, &k))
				return false;
			return val_at(&m->fee[k], S, res);
		case PRICING_PERCENTAGE:
			if (Q == 0)
			{
				*res = 0;
				return true;
			}
			if (!mul_small(Q, m->a.mant, &t) ||
				!scale_up(t, S - q->dscale - m->a.scale, &t))
				return false;
			if (m->b.present && (!val_at(&m->b, S, &f) || !add_checked(t, f, &t)))
				return false;
			if (m->lo.present)
			{
				if (!val_at(&m->lo, S, &f))
					return false;
				t = Max(t, f);
			}
			if (m->hi.present)
			{
				if (!val_at(&m->hi, S, &f))
					return false;
				t = Min(t, f);
			}
			*res = t;
			return true;
	}
	return false;
}

/* ---- numeric path, line by line (shared by rr.price and rr.price_tiers) ---- */

typedef struct RateLine
{
	int32		tier;
	Datum		units;
	Datum		unit_price;		/* 0: NULL */
	Datum		flat_fee;		/* 0: NULL */
	Datum		amount;
} RateLine;

/* The tier that contains q: the first whose up_to is >= q, or the open one. */
static int
num_tier_index(RateModel *m, Datum q)
{
	int			i;

	for (i = 0; i < m->ntiers; i++)
		if (!m->up_to[i].present || NCMP(q, val_num(m, &m->up_to[i])) <= 0)
			return i;
	return m->ntiers - 1;
}

/*
 * Rate q with numeric arithmetic into lines (at most ntiers, or 1); amounts are
 * exact and padded to scale S.  Returns the number of lines.
 */
static int
rate_lines(RateModel *m, Datum q, int S, RateLine *lines)
{
	Datum		zero = NUM("0");
	bool		qzero = NCMP(q, zero) == 0;
	RateLine   *l = &lines[0];
	int			n = 1;
	int			k;

	memset(l, 0, sizeof(*l));
	l->tier = 1;
	l->units = q;
	switch (m->model)
	{
		case PRICING_FLAT:
			l->flat_fee = val_num(m, &m->a);
			l->amount = l->flat_fee;
			break;
		case PRICING_PER_UNIT:
			l->unit_price = val_num(m, &m->a);
			l->amount = NMUL(q, l->unit_price);
			break;
		case PRICING_PACKAGE:
			{
				Datum		size = val_num(m, &m->b);
				Datum		packs = NDIV_TRUNC(q, size);

				if (NCMP(NMOD(q, size), zero) != 0)
					packs = NADD(packs, NUM("1"));
				l->units = NROUND(packs, 0);
				l->unit_price = val_num(m, &m->a);
				l->amount = NMUL(l->units, l->unit_price);
			}
			break;
		case PRICING_GRADUATED:
			{
				Datum		prev = zero;
				int			i;

				l->unit_price = val_num(m, &m->price[0]);
				l->units = zero;
				l->amount = zero;
				n = 0;
				for (i = 0; i < m->ntiers && NCMP(q, prev) > 0; i++)
				{
					Datum		hi = q;

					l = &lines[n++];
					memset(l, 0, sizeof(*l));
					if (m->up_to[i].present && NCMP(q, val_num(m, &m->up_to[i])) > 0)
						hi = val_num(m, &m->up_to[i]);
					l->tier = i + 1;
					l->units = NSUB(hi, prev);
					l->unit_price = val_num(m, &m->price[i]);
					l->amount = NMUL(l->units, l->unit_price);
					if (m->fee[i].present)
					{
						l->flat_fee = val_num(m, &m->fee[i]);
						l->amount = NADD(l->amount, l->flat_fee);
					}
					prev = hi;
				}
				if (n == 0)
					n = 1;		/* q = 0: the first tier, nothing charged */
			}
			break;
		case PRICING_VOLUME:
			k = num_tier_index(m, q);
			l->tier = k + 1;
			l->unit_price = val_num(m, &m->price[k]);
			l->amount = NMUL(q, l->unit_price);
			if (m->fee[k].present && !qzero)
			{
				l->flat_fee = val_num(m, &m->fee[k]);
				l->amount = NADD(l->amount, l->flat_fee);
			}
			break;
		case PRICING_STAIRSTEP:
			k = num_tier_index(m, q);
			l->tier = k + 1;
			l->amount = zero;
			if (!qzero)
			{
				l->flat_fee = val_num(m, &m->fee[k]);
				l->amount = l->flat_fee;
			}
			break;
		case PRICING_PERCENTAGE:
			l->unit_price = val_num(m, &m->a);
			l->amount = zero;
			if (!qzero)
			{
				l->amount = NMUL(q, l->unit_price);
				if (m->b.present)
				{
					l->flat_fee = val_num(m, &m->b);
					l->amount = NADD(l->amount, l->flat_fee);
				}
				if (m->lo.present && NCMP(l->amount, val_num(m, &m->lo)) < 0)
					l->amount = val_num(m, &m->lo);
				if (m->hi.present && NCMP(l->amount, val_num(m, &m->hi)) > 0)
					l->amount = val_num(m, &m->hi);
			}
			break;
	}
	for (k = 0; k < n; k++)
		lines[k].amount = NROUND(lines[k].amount, S);
	return n;
}

/* rr.price by the numeric path. */
static Datum
price_numeric(RateModel *m, Datum q, int S)
{
	RateLine   *lines = palloc(sizeof(RateLine) * Max(m->ntiers, 1));
	int			n = rate_lines(m, q, S, lines);
	Datum		total = lines[0].amount;
	int			i;

	for (i = 1; i < n; i++)
		total = NADD(total, lines[i].amount);
	pfree(lines);
	return NROUND(total, S);
}

/* Shared body of rr.price and rr.price_reference. */
static Datum
price_common(FunctionCallInfo fcinfo, bool allow_fast)
{
	Pricing    *p = PG_GETARG_PRICING_PP(0);
	struct varlena *qv = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));
	RateModel  *m = rate_model(fcinfo, p);
	Qty			q;
	int			S;
	int128		r;

	read_quantity(qv, &q);
	if (q.nan || q.inf || q.negative || q.dscale > 1000)
		check_quantity(PG_GETARG_NUMERIC(1), &q);
	S = result_scale(m, q.dscale);
	if (allow_fast && rate_fast(m, &q, S, &r) && r >= PG_INT64_MIN && r <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) r, S));
	return price_numeric(m, NumericGetDatum(PG_GETARG_NUMERIC(1)), S);
}

PG_FUNCTION_INFO_V1(rr_price);
/* rr.price(pricing, quantity): the exact, unrounded price of quantity. */
Datum
rr_price(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(price_common(fcinfo, true));
}

PG_FUNCTION_INFO_V1(rr_price_reference);
/* rr.price_reference: rr.price by numeric arithmetic only, to check the fast path. */
Datum
rr_price_reference(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(price_common(fcinfo, false));
}

PG_FUNCTION_INFO_V1(rr_price_tiers);
/* rr.price_tiers(pricing, quantity): the price line by line. */
Datum
rr_price_tiers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Pricing    *p = PG_GETARG_PRICING_PP(0);
	Numeric		qn = PG_GETARG_NUMERIC(1);
	RateModel  *m;
	RateLine   *lines;
	Qty			q;
	int			n;
	int			i;

	MemoryContext work;
	MemoryContext old;

	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	read_quantity((struct varlena *) qn, &q);
	check_quantity(qn, &q);
	m = rate_model(fcinfo, p);

	/*
	 * Materialize mode set up by hand rather than with InitMaterializedSRF, which
	 * looks the row type up in the catalog in per-query memory on every call:
	 * called LATERAL once per outer row, the leftovers grow the backend by the
	 * row count.  The descriptor is built once and kept with the cache.
	 */
	if (m->tiers_desc == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(m->mcxt);
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		m->tiers_desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(oldcxt);
	}
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	store = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
								  false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	/* the executor frees setDesc after each call, so it gets its own copy */
	rsinfo->setDesc = CreateTupleDescCopy(m->tiers_desc);
	MemoryContextSwitchTo(old);

	/*
	 * Rate in a short-lived context: the tuplestore copies the rows, and a LATERAL
	 * call per outer row must not accumulate numeric temporaries.
	 */
	work = AllocSetContextCreate(CurrentMemoryContext, "rr.price_tiers",
								 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(work);
	lines = palloc(sizeof(RateLine) * Max(m->ntiers, 1));
	n = rate_lines(m, NumericGetDatum(qn), result_scale(m, q.dscale), lines);
	MemoryContextSwitchTo(old);
	for (i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(lines[i].tier);
		values[1] = lines[i].units;
		values[2] = lines[i].unit_price;
		nulls[2] = lines[i].unit_price == (Datum) 0;
		values[3] = lines[i].flat_fee;
		nulls[3] = lines[i].flat_fee == (Datum) 0;
		values[4] = lines[i].amount;
		tuplestore_putvalues(store, m->tiers_desc, values, nulls);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}
