/*
 * pricing_type.c — the rr.pricing base type: storage, text and binary I/O,
 * equality and hashing, rr.pricing_model and the minor-units check
 *
 * Backend glue around the plain-C parser and encoder of pricing_parse.c (which the
 * fuzzer builds without the backend).  The canonical text form is the parser's
 * formatter output; two values are equal exactly when their encodings are.
 */
#include "postgres.h"

#include "pricing.h"

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

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
Pricing *
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
void
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
