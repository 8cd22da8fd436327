/*
 * pricing_jsonb.c — casts between rr.pricing and jsonb
 *
 * rr.pricing -> jsonb writes every stated value as a JSON string (exact decimals)
 * and jsonb -> rr.pricing accepts strings or numbers, refusing unknown or duplicate
 * keys with the key's name in the detail; the result goes through the same
 * validation as the text form.
 */
#include "postgres.h"

#include "pricing.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

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
 * The fixed jsonb form of docs/pricing.md: prices, fees, rates and bounds as strings
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
