/*
 * pricing.c — the rr.pricing type and rating: rr.price, rr.price_tiers
 *
 * Backend glue around the plain-C parser of pricing_parse.c: type I/O, jsonb
 * casts, equality, and the rating engine (DESIGN §3.5).
 *
 * Rating is exact.  The result of rr.price always has the display scale given by
 * result_scale() (documented in docs/pricing.md), whichever way it was computed:
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
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

/*
 * Input functions report softly on PostgreSQL 16+ (pg_input_is_valid); on 15 there
 * is no soft-error context and the error is thrown.
 */
#if PG_VERSION_NUM >= 160000
#define PRICING_INPUT_ERROR(ctx, input, detail) \
	ereturn((ctx), (Datum) 0, \
			errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			errmsg("invalid input syntax for type %s: \"%s\"", "pricing", (input)), \
			errdetail("%s", (detail)))
#else
#define PRICING_INPUT_ERROR(ctx, input, detail) \
	ereport(ERROR, \
			errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			errmsg("invalid input syntax for type %s: \"%s\"", "pricing", (input)), \
			errdetail("%s", (detail)))
#endif

/* ---- storage ---- */

/* Encode a validated model as a new varlena. */
static Pricing *
pricing_from_spec(const PricingSpec *spec)
{
	size_t		n = pricing_encode(spec, NULL, 0);
	Pricing    *p = (Pricing *) palloc(add_size(VARHDRSZ, n));

	SET_VARSIZE(p, VARHDRSZ + n);
	if (pricing_encode(spec, (unsigned char *) VARDATA(p), n) != n)
		elog(ERROR, "pricing encoding changed size");
	return p;
}

/* Decode a stored pricing into spec (palloc'd by the caller). */
static void
pricing_to_spec(const Pricing *p, PricingSpec *spec)
{
	if (!pricing_decode((const unsigned char *) VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p), spec))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored rr.pricing value is corrupt")));
}

/* The canonical text form of a stored pricing. */
static char *
pricing_text(const Pricing *p)
{
	PricingSpec *spec = palloc(sizeof(PricingSpec));
	size_t		n;
	char	   *s;

	pricing_to_spec(p, spec);
	n = pricing_format_text(spec, NULL, 0);
	s = palloc(n + 1);
	pricing_format_text(spec, s, n + 1);
	pfree(spec);
	return s;
}

/* ---- type I/O ---- */

PG_FUNCTION_INFO_V1(pricing_in);
/* Text input: parse, validate, encode. */
Datum
pricing_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	PricingSpec *spec = palloc(sizeof(PricingSpec));
	char		detail[PRICING_DETAIL_SIZE];
	Pricing    *result;

	if (!pricing_parse_text(str, strlen(str), spec, detail))
		PRICING_INPUT_ERROR(fcinfo->context, str, detail);
	result = pricing_from_spec(spec);
	pfree(spec);
	PG_RETURN_PRICING_P(result);
}

PG_FUNCTION_INFO_V1(pricing_out);
/* Text output: the canonical text form. */
Datum
pricing_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pricing_text(PG_GETARG_PRICING_PP(0)));
}

PG_FUNCTION_INFO_V1(pricing_recv);
/*
 * Binary input: a format version byte, then the canonical text form, which is
 * parsed and validated exactly like text input (binary data is untrusted too).
 */
Datum
pricing_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	char	   *str;
	int			nbytes;
	PricingSpec *spec;
	char		detail[PRICING_DETAIL_SIZE];
	Pricing    *result;

	if (version != PRICING_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type pricing", version),
				 errdetail("This version of recurring_revenue reads binary format version %d.",
						   PRICING_FORMAT_VERSION)));
	str = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);
	spec = palloc(sizeof(PricingSpec));
	if (!pricing_parse_text(str, strlen(str), spec, detail))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "pricing", str),
				 errdetail("%s", detail)));
	result = pricing_from_spec(spec);
	pfree(spec);
	PG_RETURN_PRICING_P(result);
}

PG_FUNCTION_INFO_V1(pricing_send);
/* Binary output: version byte and canonical text. */
Datum
pricing_send(PG_FUNCTION_ARGS)
{
	char	   *s = pricing_text(PG_GETARG_PRICING_PP(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PRICING_FORMAT_VERSION);
	pq_sendtext(&buf, s, strlen(s));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- equality and hashing: byte equality of the canonical encoding ---- */

static bool
pricing_bytes_equal(Pricing *a, Pricing *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

PG_FUNCTION_INFO_V1(pricing_eq);
/* Same model with the same values written at the same scale. */
Datum
pricing_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(pricing_bytes_equal(PG_GETARG_PRICING_PP(0), PG_GETARG_PRICING_PP(1)));
}

PG_FUNCTION_INFO_V1(pricing_ne);
Datum
pricing_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!pricing_bytes_equal(PG_GETARG_PRICING_PP(0), PG_GETARG_PRICING_PP(1)));
}

PG_FUNCTION_INFO_V1(pricing_hash);
/* Hash of the canonical encoding, consistent with pricing_eq. */
Datum
pricing_hash(PG_FUNCTION_ARGS)
{
	Pricing    *p = PG_GETARG_PRICING_PP(0);

	PG_RETURN_DATUM(hash_any((const unsigned char *) VARDATA_ANY(p),
							 (int) VARSIZE_ANY_EXHDR(p)));
}

PG_FUNCTION_INFO_V1(pricing_model);
/* The model name: flat, per_unit, package, graduated, volume, stairstep, percentage. */
Datum
pricing_model(PG_FUNCTION_ARGS)
{
	Pricing    *p = PG_GETARG_PRICING_PP(0);
	const unsigned char *b = (const unsigned char *) VARDATA_ANY(p);

	if (VARSIZE_ANY_EXHDR(p) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored rr.pricing value is corrupt")));
	PG_RETURN_TEXT_P(cstring_to_text(pricing_model_name((PricingModel) b[1])));
}

/* ---- jsonb ---- */

static void
json_put_dec_string(StringInfo s, const char *key, const PricingDec *d)
{
	appendStringInfo(s, ",\"%s\":", key);
	if (d->present)
		appendStringInfo(s, "\"%s\"", d->text);
	else
		appendStringInfoString(s, "null");
}

static void
json_put_dec_number(StringInfo s, const char *key, const PricingDec *d)
{
	appendStringInfo(s, ",\"%s\":%s", key, d->present ? d->text : "null");
}

PG_FUNCTION_INFO_V1(pricing_to_jsonb);
/*
 * The fixed jsonb form of DESIGN §3.5: prices, fees, rates and bounds as strings
 * (keeping their scale), up_to and package_size as numbers, optional fees only
 * when present, min and max always (null: no bound).
 */
Datum
pricing_to_jsonb(PG_FUNCTION_ARGS)
{
	Pricing    *p = PG_GETARG_PRICING_PP(0);
	PricingSpec *spec = palloc(sizeof(PricingSpec));
	StringInfoData s;
	int			i;

	pricing_to_spec(p, spec);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"model\":\"%s\"", pricing_model_name(spec->model));
	switch (spec->model)
	{
		case PRICING_FLAT:
			json_put_dec_string(&s, "amount", &spec->amount);
			break;
		case PRICING_PER_UNIT:
			json_put_dec_string(&s, "unit_price", &spec->unit_price);
			break;
		case PRICING_PACKAGE:
			json_put_dec_number(&s, "package_size", &spec->package_size);
			json_put_dec_string(&s, "package_price", &spec->package_price);
			break;
		case PRICING_PERCENTAGE:
			json_put_dec_string(&s, "rate", &spec->rate);
			if (spec->fixed_fee.present)
				json_put_dec_string(&s, "fixed_fee", &spec->fixed_fee);
			json_put_dec_string(&s, "min", &spec->min);
			json_put_dec_string(&s, "max", &spec->max);
			break;
		default:
			appendStringInfoString(&s, ",\"tiers\":[");
			for (i = 0; i < spec->ntiers; i++)
			{
				const PricingTier *t = &spec->tiers[i];

				appendStringInfo(&s, "%s{\"up_to\":%s", i > 0 ? "," : "",
								 t->up_to.present ? t->up_to.text : "null");
				if (spec->model != PRICING_STAIRSTEP)
					json_put_dec_string(&s, "unit_price", &t->unit_price);
				if (t->flat_fee.present)
					json_put_dec_string(&s, "flat_fee", &t->flat_fee);
				appendStringInfoChar(&s, '}');
			}
			appendStringInfoChar(&s, ']');
			break;
	}
	appendStringInfoChar(&s, '}');
	pfree(spec);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* A JSON key (valid UTF-8 from jsonb), clipped for messages. */
static char *
json_key_text(const JsonbValue *k)
{
	int			len = pg_mbcliplen(k->val.string.val, k->val.string.len, 40);

	return pnstrdup(k->val.string.val, len);
}

/*
 * Read a price, fee, rate, bound or limit from a JSON string or number; null gives an
 * absent value when the key is optional.
 */
static bool
json_dec(const JsonbValue *v, const char *what, bool nullable, PricingDec *d,
		 char *detail)
{
	switch (v->type)
	{
		case jbvNull:
			if (nullable)
			{
				memset(d, 0, sizeof(*d));
				return true;
			}
			snprintf(detail, PRICING_DETAIL_SIZE, "The %s must not be null.", what);
			return false;
		case jbvString:
			return pricing_dec_parse(v->val.string.val, v->val.string.len, what, d, detail);
		case jbvNumeric:
			{
				char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(v->val.numeric)));

				return pricing_dec_parse(s, strlen(s), what, d, detail);
			}
		default:
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s must be a number or a string holding a number.", what);
			return false;
	}
}

/* Key names, for matching and for listing in messages. */
typedef struct JsonKey
{
	const char *name;
	bool		required;
	bool		nullable;
	PricingDec *target;			/* NULL: handled by the caller (model, tiers) */
} JsonKey;

/*
 * Match every key of a JSON object against keys[]; unknown keys, keys given twice
 * and missing required keys are refused.  "where" prefixes messages ("Tier 2").
 */
static bool
pricing_json_keys(JsonbContainer *obj, JsonKey *keys, int nkeys, const char *where,
				 const char *allowed, JsonbValue *tiers, char *detail)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		seen[8] = {false};
	int			i;

	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &v, true);
		for (i = 0; i < nkeys; i++)
			if (strlen(keys[i].name) == k.val.string.len &&
				memcmp(keys[i].name, k.val.string.val, k.val.string.len) == 0)
				break;
		if (i == nkeys)
		{
			snprintf(detail, PRICING_DETAIL_SIZE, "%s has an unknown key \"%s\"; its keys are %s.",
					 where, json_key_text(&k), allowed);
			return false;
		}
		seen[i] = true;
		if (keys[i].target != NULL)
		{
			char		what[48];

			if (strncmp(where, "Tier", 4) == 0)
				snprintf(what, sizeof(what), "t%s %s", where + 1, keys[i].name);
			else
				snprintf(what, sizeof(what), "%s", keys[i].name);
			if (!json_dec(&v, what, keys[i].nullable, keys[i].target, detail))
				return false;
		}
		else if (strcmp(keys[i].name, "tiers") == 0)
			*tiers = v;
	}
	for (i = 0; i < nkeys; i++)
		if (keys[i].required && !seen[i])
		{
			snprintf(detail, PRICING_DETAIL_SIZE, "%s has no key \"%s\"%s.", where, keys[i].name,
					 strcmp(keys[i].name, "up_to") == 0 ?
					 "; write \"up_to\": null for the open-ended last tier" : "");
			return false;
		}
	return true;
}

/* Read the "tiers" array of a tiered model. */
static bool
json_tiers(const JsonbValue *tiers, PricingSpec *spec, char *detail)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		stair = spec->model == PRICING_STAIRSTEP;

	if (tiers->type != jbvBinary || !JsonContainerIsArray(tiers->val.binary.data) ||
		JsonContainerIsScalar(tiers->val.binary.data))
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The tiers must be an array of objects such as [{\"up_to\": 10, %s}, {\"up_to\": null, ...}].",
				 stair ? "\"flat_fee\": \"100\"" : "\"unit_price\": \"1.00\"");
		return false;
	}
	it = JsonbIteratorInit(tiers->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		PricingTier *t;
		char		where[32];
		JsonKey		keys[3];

		if (tok != WJB_ELEM)
			continue;
		if (spec->ntiers >= PRICING_MAX_TIERS)
		{
			snprintf(detail, PRICING_DETAIL_SIZE, "A model has at most %d tiers.", PRICING_MAX_TIERS);
			return false;
		}
		t = &spec->tiers[spec->ntiers++];
		snprintf(where, sizeof(where), "Tier %d", spec->ntiers);
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		{
			snprintf(detail, PRICING_DETAIL_SIZE, "Tier %d is not an object.", spec->ntiers);
			return false;
		}
		keys[0] = (JsonKey) {"up_to", true, true, &t->up_to};
		if (stair)
		{
			keys[1] = (JsonKey) {"flat_fee", true, false, &t->flat_fee};
			if (!pricing_json_keys(v.val.binary.data, keys, 2, where,
								  "up_to and flat_fee", NULL, detail))
				return false;
		}
		else
		{
			keys[1] = (JsonKey) {"unit_price", true, false, &t->unit_price};
			keys[2] = (JsonKey) {"flat_fee", false, true, &t->flat_fee};
			if (!pricing_json_keys(v.val.binary.data, keys, 3, where,
								  "up_to, unit_price and flat_fee (optional)", NULL, detail))
				return false;
		}
	}
	return true;
}

/* Build a model from its jsonb form; false with a detail on any problem. */
static bool
jsonb_to_spec(Jsonb *jb, PricingSpec *spec, char *detail)
{
	JsonbValue *mv;
	JsonbValue	tiers;
	PricingModel model;
	JsonKey		keys[5];
	int			nkeys = 0;
	const char *allowed;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The jsonb form is an object such as {\"model\": \"flat\", \"amount\": \"49.00\"}.");
		return false;
	}
	mv = getKeyJsonValueFromContainer(&jb->root, "model", 5, NULL);
	if (mv == NULL)
	{
		snprintf(detail, PRICING_DETAIL_SIZE, "The object has no key \"model\".");
		return false;
	}
	if (mv->type != jbvString)
	{
		snprintf(detail, PRICING_DETAIL_SIZE, "The model must be a string such as \"flat\".");
		return false;
	}
	if (!pricing_model_from_name(mv->val.string.val, mv->val.string.len, &model))
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "Unknown model \"%s\"; the models are flat, per_unit, package, graduated, volume, stairstep and percentage.",
				 json_key_text(mv));
		return false;
	}
	pricing_spec_init(spec, model);
	keys[nkeys++] = (JsonKey) {"model", true, false, NULL};
	switch (model)
	{
		case PRICING_FLAT:
			keys[nkeys++] = (JsonKey) {"amount", true, false, &spec->amount};
			allowed = "model and amount";
			break;
		case PRICING_PER_UNIT:
			keys[nkeys++] = (JsonKey) {"unit_price", true, false, &spec->unit_price};
			allowed = "model and unit_price";
			break;
		case PRICING_PACKAGE:
			keys[nkeys++] = (JsonKey) {"package_size", true, false, &spec->package_size};
			keys[nkeys++] = (JsonKey) {"package_price", true, false, &spec->package_price};
			allowed = "model, package_size and package_price";
			break;
		case PRICING_PERCENTAGE:
			keys[nkeys++] = (JsonKey) {"rate", true, false, &spec->rate};
			keys[nkeys++] = (JsonKey) {"fixed_fee", false, true, &spec->fixed_fee};
			keys[nkeys++] = (JsonKey) {"min", false, true, &spec->min};
			keys[nkeys++] = (JsonKey) {"max", false, true, &spec->max};
			allowed = "model, rate, fixed_fee, min and max";
			break;
		default:
			keys[nkeys++] = (JsonKey) {"tiers", true, false, NULL};
			allowed = "model and tiers";
			break;
	}
	tiers.type = jbvNull;
	if (!pricing_json_keys(&jb->root, keys, nkeys, "The object", allowed, &tiers, detail))
		return false;
	if (model >= PRICING_GRADUATED && model <= PRICING_STAIRSTEP &&
		!json_tiers(&tiers, spec, detail))
		return false;
	return pricing_validate(spec, detail);
}

PG_FUNCTION_INFO_V1(pricing_from_jsonb);
/* jsonb → pricing; refusals are 22P02 like text input. */
Datum
pricing_from_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	PricingSpec *spec = palloc(sizeof(PricingSpec));
	char		detail[PRICING_DETAIL_SIZE];
	Pricing    *result;

	if (!jsonb_to_spec(jb, spec, detail))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "pricing",
						JsonbToCString(NULL, &jb->root, VARSIZE(jb))),
				 errdetail("%s", detail)));
	result = pricing_from_spec(spec);
	pfree(spec);
	PG_RETURN_PRICING_P(result);
}

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

PG_FUNCTION_INFO_V1(rr_pricing_check_minor_units);
/*
 * True when every money amount the model states (flat amount, package price, flat
 * and fixed fees, min and max) is a whole number of minor units; unit prices and
 * rates too when include_unit_prices is true.
 */
Datum
rr_pricing_check_minor_units(PG_FUNCTION_ARGS)
{
	Pricing    *p = PG_GETARG_PRICING_PP(0);
	int32		minor_units = PG_GETARG_INT32(1);
	bool		unit_prices = PG_GETARG_BOOL(2);
	PricingSpec *spec = palloc(sizeof(PricingSpec));
	bool		ok = true;
	int			i;

	if (minor_units < 0 || minor_units > 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("minor_units %d is out of range", minor_units),
				 errhint("minor_units is the number of decimal places of the currency, from 0 to 9.")));
	pricing_to_spec(p, spec);
#define WHOLE(d) ((!(d).present) || pricing_dec_whole_at(&(d), minor_units))
	switch (spec->model)
	{
		case PRICING_FLAT:
			ok = WHOLE(spec->amount);
			break;
		case PRICING_PER_UNIT:
			ok = !unit_prices || WHOLE(spec->unit_price);
			break;
		case PRICING_PACKAGE:
			ok = WHOLE(spec->package_price);
			break;
		case PRICING_PERCENTAGE:
			ok = WHOLE(spec->fixed_fee) && WHOLE(spec->min) && WHOLE(spec->max);
			break;
		default:
			for (i = 0; i < spec->ntiers && ok; i++)
				ok = WHOLE(spec->tiers[i].flat_fee) &&
					(!unit_prices || WHOLE(spec->tiers[i].unit_price));
			break;
	}
#undef WHOLE
	pfree(spec);
	PG_RETURN_BOOL(ok);
}
