/*
 * pricing_parse.c — text form, validation and storage encoding of rr.pricing
 *
 * Plain C with no PostgreSQL backend calls (see pricing_parse.h): the fuzzer in
 * test/fuzz/ links this file alone.  Every function that can refuse input writes a
 * full-sentence detail into a PRICING_DETAIL_SIZE buffer and returns false.
 *
 * Text form (canonical on output, see docs/pricing.md):
 *   flat(49.00)
 *   per_unit(0.10)
 *   package(5.00 per 100)
 *   graduated(100: 1.00, 1000: 0.80 + 10, *: 0.50)
 *   volume(100: 1.00, *: 0.50)
 *   stairstep(10: 100, *: 900)
 *   percentage(0.029 + 0.30, min 0.50, max 20)
 */
#include "pricing_parse.h"

#include <stdio.h>
#include <string.h>

static const char *const model_names[] = {
	NULL, "flat", "per_unit", "package", "graduated", "volume", "stairstep", "percentage"
};

/* The SQL-visible name of a model. */
const char *
pricing_model_name(PricingModel model)
{
	if (model < PRICING_FLAT || model > PRICING_PERCENTAGE)
		return "unknown";
	return model_names[model];
}

/* Look a model up by its exact (lower-case) name. */
bool
pricing_model_from_name(const char *name, size_t len, PricingModel *model)
{
	int			m;

	for (m = PRICING_FLAT; m <= PRICING_PERCENTAGE; m++)
	{
		if (strlen(model_names[m]) == len && memcmp(model_names[m], name, len) == 0)
		{
			*model = (PricingModel) m;
			return true;
		}
	}
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_word_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		c == '.' || c == '-' || c == '_';
}

/* ASCII case-insensitive comparison of a token with a lower-case word. */
static bool
token_is(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

/*
 * Copy up to max printable ASCII characters of s into out, for messages; input
 * bytes outside printable ASCII end the snippet so a message never carries a
 * broken multibyte character.
 */
static void
snippet(const char *s, size_t len, char *out, size_t max)
{
	size_t		i;

	for (i = 0; i < len && i < max; i++)
	{
		if (s[i] < 0x20 || s[i] > 0x7e)
			break;
		out[i] = s[i];
	}
	out[i] = '\0';
	if (i < len && i == max && max >= 3)
		memcpy(out + max - 3, "...", 4);
}

/*
 * Parse one decimal number that is the whole of [s, s+len): an optional "-", digits,
 * and an optional "." followed by digits.  NaN, infinity and exponents are refused
 * with their own detail; "what" names the value ("tier 2 unit_price").
 */
bool
pricing_dec_parse(const char *s, size_t len, const char *what, PricingDec *d,
				  char *detail)
{
	size_t		i = 0;
	size_t		int_start;
	size_t		int_end;
	size_t		frac_start = 0;
	size_t		frac_end = 0;
	size_t		k;
	bool		negative = false;
	bool		zero = true;
	char		shown[32];
	char	   *p;

	snippet(s, len, shown, 24);
	if (i < len && s[i] == '-')
	{
		negative = true;
		i++;
	}
	if (token_is(s + i, len - i, "nan") || token_is(s + i, len - i, "infinity") ||
		token_is(s + i, len - i, "inf"))
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The %s is %s; prices, fees, rates, bounds and tier limits must be finite numbers.",
				 what, shown);
		return false;
	}
	int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	int_end = i;
	if (i < len && s[i] == '.')
	{
		i++;
		frac_start = i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
	}
	if (int_end == int_start || i != len || (frac_start > 0 && frac_end == frac_start))
	{
		if (len == 0)
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s is missing; write a plain decimal number such as 12.50.", what);
		else if ((int_end > int_start || frac_end > frac_start) && i < len && (s[i] == 'e' || s[i] == 'E'))
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s \"%s\" has an exponent; write it as a plain decimal number such as 0.01.",
					 what, shown);
		else if (s[0] == '+')
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s \"%s\" has a plus sign; write a plain decimal number without one, such as 12.50.",
					 what, shown);
		else if (int_end == int_start && int_start < len && s[int_start] == '.')
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s \"%s\" has no digit before the decimal point; write one, such as 0.50.",
					 what, shown);
		else
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The %s \"%s\" is not a number; write a plain decimal number such as 12.50.",
					 what, shown);
		return false;
	}
	/* drop leading zeros of the integer part, keeping one digit */
	while (int_end - int_start > 1 && s[int_start] == '0')
		int_start++;
	if (int_end - int_start > PRICING_MAX_INT_DIGITS)
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The %s %s has more than %d digits before the decimal point.",
				 what, shown, PRICING_MAX_INT_DIGITS);
		return false;
	}
	if (frac_end - frac_start > PRICING_MAX_SCALE)
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The %s %s has more than %d digits after the decimal point.",
				 what, shown, PRICING_MAX_SCALE);
		return false;
	}
	for (k = int_start; k < int_end; k++)
		zero = zero && s[k] == '0';
	for (k = frac_start; k < frac_end; k++)
		zero = zero && s[k] == '0';

	memset(d, 0, sizeof(*d));
	d->present = true;
	d->zero = zero;
	d->negative = negative && !zero;	/* -0 is 0 */
	d->int_digits = (int) (int_end - int_start);
	d->scale = (int) (frac_end - frac_start);
	p = d->text;
	if (d->negative)
		*p++ = '-';
	memcpy(p, s + int_start, int_end - int_start);
	p += int_end - int_start;
	if (d->scale > 0)
	{
		*p++ = '.';
		memcpy(p, s + frac_start, frac_end - frac_start);
		p += frac_end - frac_start;
	}
	*p = '\0';
	return true;
}

/* Digit k (0-based) after the point of a parsed decimal, 0 past its scale. */
static int
frac_digit(const PricingDec *d, int k)
{
	const char *t = d->text + (d->negative ? 1 : 0) + d->int_digits + 1;

	return k < d->scale ? t[k] - '0' : 0;
}

/* Numeric comparison of two parsed decimals: -1, 0 or 1. */
int
pricing_dec_cmp(const PricingDec *a, const PricingDec *b)
{
	int			sign;
	int			c;
	int			k;
	const char *ta;
	const char *tb;

	if (a->zero && b->zero)
		return 0;
	if (a->negative != b->negative)
		return a->negative ? -1 : 1;
	sign = a->negative ? -1 : 1;
	if (a->int_digits != b->int_digits)
		return a->int_digits < b->int_digits ? -sign : sign;
	ta = a->text + (a->negative ? 1 : 0);
	tb = b->text + (b->negative ? 1 : 0);
	c = memcmp(ta, tb, (size_t) a->int_digits);
	if (c != 0)
		return c < 0 ? -sign : sign;
	for (k = 0; k < a->scale || k < b->scale; k++)
	{
		int			da = frac_digit(a, k);
		int			db = frac_digit(b, k);

		if (da != db)
			return da < db ? -sign : sign;
	}
	return 0;
}

/* True if the value is a whole multiple of 10^-scale (digits past scale are 0). */
bool
pricing_dec_whole_at(const PricingDec *d, int scale)
{
	int			k;

	for (k = scale < 0 ? 0 : scale; k < d->scale; k++)
		if (frac_digit(d, k) != 0)
			return false;
	return true;
}

/* An empty model of the given kind: every value absent. */
void
pricing_spec_init(PricingSpec *spec, PricingModel model)
{
	memset(spec, 0, sizeof(*spec));
	spec->model = model;
}

/* A required value must be present and not negative. */
static bool
check_amount(const PricingDec *d, const char *what, bool required, char *detail)
{
	if (!d->present)
	{
		if (!required)
			return true;
		snprintf(detail, PRICING_DETAIL_SIZE, "The %s is missing.", what);
		return false;
	}
	if (d->negative)
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "The %s %s is negative; prices, fees, rates and bounds must be zero or more.",
				 what, d->text);
		return false;
	}
	return true;
}

/* Tier rules shared by graduated, volume and stairstep. */
static bool
validate_tiers(const PricingSpec *spec, char *detail)
{
	int			i;
	char		what[48];
	bool		stair = spec->model == PRICING_STAIRSTEP;

	if (spec->ntiers < 1)
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "A %s model needs at least one tier.", pricing_model_name(spec->model));
		return false;
	}
	if (spec->ntiers > PRICING_MAX_TIERS)
	{
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "A model has at most %d tiers.", PRICING_MAX_TIERS);
		return false;
	}
	for (i = 0; i < spec->ntiers; i++)
	{
		const PricingTier *t = &spec->tiers[i];

		if (stair)
		{
			if (t->unit_price.present)
			{
				snprintf(detail, PRICING_DETAIL_SIZE,
						 "Tier %d has a unit_price; stairstep tiers have only up_to and flat_fee.",
						 i + 1);
				return false;
			}
			snprintf(what, sizeof(what), "tier %d flat_fee", i + 1);
			if (!check_amount(&t->flat_fee, what, true, detail))
				return false;
		}
		else
		{
			snprintf(what, sizeof(what), "tier %d unit_price", i + 1);
			if (!check_amount(&t->unit_price, what, true, detail))
				return false;
			snprintf(what, sizeof(what), "tier %d flat_fee", i + 1);
			if (!check_amount(&t->flat_fee, what, false, detail))
				return false;
		}
		if (!t->up_to.present)
		{
			if (i < spec->ntiers - 1)
			{
				snprintf(detail, PRICING_DETAIL_SIZE,
						 "Tier %d comes after the open-ended tier %d; only the last tier may be open-ended.",
						 i + 2, i + 1);
				return false;
			}
			continue;
		}
		if (t->up_to.negative || t->up_to.zero)
		{
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "Tier %d has up_to %s; up_to must be greater than zero.",
					 i + 1, t->up_to.text);
			return false;
		}
		if (i > 0 && pricing_dec_cmp(&t->up_to, &spec->tiers[i - 1].up_to) <= 0)
		{
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "Tier %d has up_to %s, not greater than tier %d's up_to %s; tiers must be strictly increasing.",
					 i + 1, t->up_to.text, i, spec->tiers[i - 1].up_to.text);
			return false;
		}
		if (i == spec->ntiers - 1)
		{
			snprintf(detail, PRICING_DETAIL_SIZE,
					 "The last tier (tier %d) ends at up_to %s; the last tier must be open-ended (up_to null, or * in the text form).",
					 i + 1, t->up_to.text);
			return false;
		}
	}
	return true;
}

/* Check a complete model against the rules of docs/pricing.md. */
bool
pricing_validate(const PricingSpec *spec, char *detail)
{
	switch (spec->model)
	{
		case PRICING_FLAT:
			return check_amount(&spec->amount, "amount", true, detail);
		case PRICING_PER_UNIT:
			return check_amount(&spec->unit_price, "unit_price", true, detail);
		case PRICING_PACKAGE:
			if (!check_amount(&spec->package_price, "package_price", true, detail))
				return false;
			if (!spec->package_size.present)
			{
				snprintf(detail, PRICING_DETAIL_SIZE, "The package_size is missing.");
				return false;
			}
			if (spec->package_size.negative || spec->package_size.zero ||
				spec->package_size.scale > 0)
			{
				snprintf(detail, PRICING_DETAIL_SIZE,
						 "The package_size %s is not allowed; a package is a whole number of units, 1 or more, written without a decimal point.",
						 spec->package_size.text);
				return false;
			}
			return true;
		case PRICING_GRADUATED:
		case PRICING_VOLUME:
		case PRICING_STAIRSTEP:
			return validate_tiers(spec, detail);
		case PRICING_PERCENTAGE:
			{
				PricingDec	one;

				if (!check_amount(&spec->rate, "rate", true, detail) ||
					!check_amount(&spec->fixed_fee, "fixed_fee", false, detail) ||
					!check_amount(&spec->min, "min", false, detail) ||
					!check_amount(&spec->max, "max", false, detail))
					return false;
				(void) pricing_dec_parse("1", 1, "rate", &one, detail);
				if (pricing_dec_cmp(&spec->rate, &one) > 0)
				{
					snprintf(detail, PRICING_DETAIL_SIZE,
							 "The rate %s is greater than 1; a rate is a fraction from 0 to 1 (0.029 means 2.9%%).",
							 spec->rate.text);
					return false;
				}
				if (spec->min.present && spec->max.present &&
					pricing_dec_cmp(&spec->min, &spec->max) > 0)
				{
					snprintf(detail, PRICING_DETAIL_SIZE,
							 "The min %s is greater than the max %s.",
							 spec->min.text, spec->max.text);
					return false;
				}
				return true;
			}
	}
	snprintf(detail, PRICING_DETAIL_SIZE, "The model is unknown.");
	return false;
}

/* ---- text form ---- */

typedef struct Cursor
{
	const char *s;
	size_t		len;
	size_t		pos;
	char	   *detail;
} Cursor;

static void
skip_ws(Cursor *c)
{
	while (c->pos < c->len &&
		   (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' ||
			c->s[c->pos] == '\r' || c->s[c->pos] == '\f' || c->s[c->pos] == '\v'))
		c->pos++;
}

/* Refuse with "Expected X but found Y." naming what follows the cursor. */
static bool
unexpected(Cursor *c, const char *expected)
{
	char		shown[32];

	if (c->pos >= c->len)
		snprintf(c->detail, PRICING_DETAIL_SIZE,
				 "Expected %s but found the end of the input.", expected);
	else
	{
		snippet(c->s + c->pos, c->len - c->pos, shown, 16);
		if (shown[0] == '\0')
			snprintf(c->detail, PRICING_DETAIL_SIZE,
					 "Expected %s but found a character that is not allowed at position %zu.",
					 expected, c->pos + 1);
		else
			snprintf(c->detail, PRICING_DETAIL_SIZE,
					 "Expected %s but found \"%s\".", expected, shown);
	}
	return false;
}

/* Consume ch (after optional white space) or refuse. */
static bool
expect_char(Cursor *c, char ch, const char *expected)
{
	skip_ws(c);
	if (c->pos < c->len && c->s[c->pos] == ch)
	{
		c->pos++;
		return true;
	}
	return unexpected(c, expected);
}

/* Consume ch if it comes next (after optional white space). */
static bool
accept_char(Cursor *c, char ch)
{
	skip_ws(c);
	if (c->pos < c->len && c->s[c->pos] == ch)
	{
		c->pos++;
		return true;
	}
	return false;
}

/* The next word (letters, digits, ".", "-", "_"); length 0 if none. */
static size_t
peek_word(Cursor *c, const char **word)
{
	size_t		end;

	skip_ws(c);
	end = c->pos;
	while (end < c->len && is_word_char(c->s[end]))
		end++;
	*word = c->s + c->pos;
	return end - c->pos;
}

static bool
read_number(Cursor *c, const char *what, PricingDec *d)
{
	const char *w;
	size_t		n = peek_word(c, &w);
	char		expected[64];

	if (n == 0)
	{
		snprintf(expected, sizeof(expected), "the %s", what);
		return unexpected(c, expected);
	}
	if (!pricing_dec_parse(w, n, what, d, c->detail))
		return false;
	c->pos += n;
	return true;
}

/* Tiers: (UP_TO | *) ":" PRICE ["+" FEE], separated by commas; stairstep: UP_TO ":" FEE. */
static bool
parse_tiers(Cursor *c, PricingSpec *spec)
{
	char		what[48];

	for (;;)
	{
		PricingTier *t;
		int			n = spec->ntiers + 1;

		if (spec->ntiers >= PRICING_MAX_TIERS)
		{
			snprintf(c->detail, PRICING_DETAIL_SIZE,
					 "A model has at most %d tiers.", PRICING_MAX_TIERS);
			return false;
		}
		t = &spec->tiers[spec->ntiers++];
		if (!accept_char(c, '*'))
		{
			snprintf(what, sizeof(what), "tier %d up_to", n);
			if (!read_number(c, what, &t->up_to))
				return false;
		}
		if (!expect_char(c, ':', "\":\" after the tier's up_to"))
			return false;
		if (spec->model == PRICING_STAIRSTEP)
		{
			snprintf(what, sizeof(what), "tier %d flat_fee", n);
			if (!read_number(c, what, &t->flat_fee))
				return false;
		}
		else
		{
			snprintf(what, sizeof(what), "tier %d unit_price", n);
			if (!read_number(c, what, &t->unit_price))
				return false;
			if (accept_char(c, '+'))
			{
				snprintf(what, sizeof(what), "tier %d flat_fee", n);
				if (!read_number(c, what, &t->flat_fee))
					return false;
			}
		}
		if (!accept_char(c, ','))
			return true;
	}
}

/* percentage(RATE ["+" FIXED_FEE] ["," min MIN] ["," max MAX]) */
static bool
parse_percentage(Cursor *c, PricingSpec *spec)
{
	if (!read_number(c, "rate", &spec->rate))
		return false;
	if (accept_char(c, '+') && !read_number(c, "fixed_fee", &spec->fixed_fee))
		return false;
	while (accept_char(c, ','))
	{
		const char *w;
		size_t		n = peek_word(c, &w);
		PricingDec *d;

		if (token_is(w, n, "min"))
			d = &spec->min;
		else if (token_is(w, n, "max"))
			d = &spec->max;
		else
			return unexpected(c, "\"min\" or \"max\"");
		if (d->present)
		{
			snprintf(c->detail, PRICING_DETAIL_SIZE, "The %s bound is given twice.",
					 d == &spec->min ? "min" : "max");
			return false;
		}
		c->pos += n;
		if (!read_number(c, d == &spec->min ? "min" : "max", d))
			return false;
	}
	return true;
}

/* Parse and validate the text form of a model. */
bool
pricing_parse_text(const char *s, size_t len, PricingSpec *spec, char *detail)
{
	Cursor		c;
	const char *w;
	size_t		n;
	PricingModel model;
	bool		ok;

	c.s = s;
	c.len = len;
	c.pos = 0;
	c.detail = detail;

	skip_ws(&c);
	n = 0;
	while (c.pos + n < len && (is_word_char(s[c.pos + n])))
		n++;
	w = s + c.pos;
	if (n == 0)
		return unexpected(&c, "a model name (flat, per_unit, package, graduated, volume, stairstep or percentage)");
	if (!pricing_model_from_name(w, n, &model))
	{
		char		shown[40];

		snippet(w, n, shown, 32);
		snprintf(detail, PRICING_DETAIL_SIZE,
				 "Unknown model \"%s\"; the models are flat, per_unit, package, graduated, volume, stairstep and percentage.",
				 shown);
		return false;
	}
	c.pos += n;
	pricing_spec_init(spec, model);
	if (!expect_char(&c, '(', "\"(\" after the model name"))
		return false;

	switch (model)
	{
		case PRICING_FLAT:
			ok = read_number(&c, "amount", &spec->amount);
			break;
		case PRICING_PER_UNIT:
			ok = read_number(&c, "unit_price", &spec->unit_price);
			break;
		case PRICING_PACKAGE:
			ok = read_number(&c, "package_price", &spec->package_price);
			if (ok)
			{
				n = peek_word(&c, &w);
				if (!token_is(w, n, "per"))
					ok = unexpected(&c, "\"per\" and the package_size");
				else
				{
					c.pos += n;
					ok = read_number(&c, "package_size", &spec->package_size);
				}
			}
			break;
		case PRICING_PERCENTAGE:
			ok = parse_percentage(&c, spec);
			break;
		default:
			ok = parse_tiers(&c, spec);
			break;
	}
	if (!ok)
		return false;
	if (!expect_char(&c, ')', model >= PRICING_GRADUATED && model <= PRICING_STAIRSTEP ?
					 "\",\" or \")\" after the tier" : "\")\""))
		return false;
	skip_ws(&c);
	if (c.pos < len)
		return unexpected(&c, "the end of the input after \")\"");
	return pricing_validate(spec, detail);
}

/* An output buffer that counts what it could not hold (snprintf-style). */
typedef struct Out
{
	char	   *buf;
	size_t		size;
	size_t		len;
} Out;

static void
put(Out *o, const char *s)
{
	size_t		n = strlen(s);

	if (o->len < o->size)
	{
		size_t		room = o->size - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/*
 * Write the canonical text form into buf (NUL-terminated when size > 0) and return
 * its length; a return value >= size means the buffer was too small.
 */
size_t
pricing_format_text(const PricingSpec *spec, char *buf, size_t size)
{
	Out			o;
	int			i;

	o.buf = buf;
	o.size = size;
	o.len = 0;
	put(&o, pricing_model_name(spec->model));
	put(&o, "(");
	switch (spec->model)
	{
		case PRICING_FLAT:
			put(&o, spec->amount.text);
			break;
		case PRICING_PER_UNIT:
			put(&o, spec->unit_price.text);
			break;
		case PRICING_PACKAGE:
			put(&o, spec->package_price.text);
			put(&o, " per ");
			put(&o, spec->package_size.text);
			break;
		case PRICING_PERCENTAGE:
			put(&o, spec->rate.text);
			if (spec->fixed_fee.present)
			{
				put(&o, " + ");
				put(&o, spec->fixed_fee.text);
			}
			if (spec->min.present)
			{
				put(&o, ", min ");
				put(&o, spec->min.text);
			}
			if (spec->max.present)
			{
				put(&o, ", max ");
				put(&o, spec->max.text);
			}
			break;
		default:
			for (i = 0; i < spec->ntiers; i++)
			{
				const PricingTier *t = &spec->tiers[i];

				if (i > 0)
					put(&o, ", ");
				put(&o, t->up_to.present ? t->up_to.text : "*");
				put(&o, ": ");
				if (spec->model == PRICING_STAIRSTEP)
					put(&o, t->flat_fee.text);
				else
				{
					put(&o, t->unit_price.text);
					if (t->flat_fee.present)
					{
						put(&o, " + ");
						put(&o, t->flat_fee.text);
					}
				}
			}
			break;
	}
	put(&o, ")");
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

/* ---- storage encoding: version, model, tier count, then length-prefixed decimals ---- */

static void
put_byte(Out *o, unsigned char b)
{
	if (o->len < o->size)
		o->buf[o->len] = (char) b;
	o->len++;
}

static void
put_dec(Out *o, const PricingDec *d)
{
	size_t		n = d->present ? strlen(d->text) : 0;

	put_byte(o, (unsigned char) n);	/* at most PRICING_DEC_SIZE - 1 < 256 */
	if (n > 0)
		put(o, d->text);
}

/* The values a model stores, in storage order. */
static int
spec_values(const PricingSpec *spec, const PricingDec **vals, PricingDec **mvals)
{
	PricingSpec *m = (PricingSpec *) spec;
	int			n = 0;
	int			i;

#define ADD(field) do { vals[n] = &spec->field; mvals[n] = &m->field; n++; } while (0)
	switch (spec->model)
	{
		case PRICING_FLAT:
			ADD(amount);
			break;
		case PRICING_PER_UNIT:
			ADD(unit_price);
			break;
		case PRICING_PACKAGE:
			ADD(package_size);
			ADD(package_price);
			break;
		case PRICING_PERCENTAGE:
			ADD(rate);
			ADD(fixed_fee);
			ADD(min);
			ADD(max);
			break;
		default:
			for (i = 0; i < spec->ntiers && i < PRICING_MAX_TIERS; i++)
			{
				ADD(tiers[i].up_to);
				if (spec->model != PRICING_STAIRSTEP)
					ADD(tiers[i].unit_price);
				ADD(tiers[i].flat_fee);
			}
			break;
	}
#undef ADD
	return n;
}

/* Encode a validated model; returns the length needed (>= size: buffer too small). */
size_t
pricing_encode(const PricingSpec *spec, unsigned char *buf, size_t size)
{
	const PricingDec *vals[3 * PRICING_MAX_TIERS + 4];
	PricingDec *mvals[3 * PRICING_MAX_TIERS + 4];
	int			n = spec_values(spec, vals, mvals);
	int			i;
	Out			o;

	o.buf = (char *) buf;
	o.size = size;
	o.len = 0;
	put_byte(&o, PRICING_FORMAT_VERSION);
	put_byte(&o, (unsigned char) spec->model);
	put_byte(&o, (unsigned char) spec->ntiers);
	for (i = 0; i < n; i++)
		put_dec(&o, vals[i]);
	return o.len;
}

/* Decode what pricing_encode wrote; false if the bytes are not a valid encoding. */
bool
pricing_decode(const unsigned char *buf, size_t len, PricingSpec *spec)
{
	const PricingDec *vals[3 * PRICING_MAX_TIERS + 4];
	PricingDec *mvals[3 * PRICING_MAX_TIERS + 4];
	char		detail[PRICING_DETAIL_SIZE];
	size_t		pos = 3;
	int			n;
	int			i;

	if (len < 3 || buf[0] != PRICING_FORMAT_VERSION ||
		buf[1] < PRICING_FLAT || buf[1] > PRICING_PERCENTAGE ||
		buf[2] > PRICING_MAX_TIERS)
		return false;
	pricing_spec_init(spec, (PricingModel) buf[1]);
	spec->ntiers = buf[2];
	n = spec_values(spec, vals, mvals);
	for (i = 0; i < n; i++)
	{
		size_t		k;

		if (pos >= len)
			return false;
		k = buf[pos++];
		if (k > len - pos)
			return false;
		if (k > 0 && !pricing_dec_parse((const char *) buf + pos, k, "value", mvals[i], detail))
			return false;
		pos += k;
	}
	return pos == len;
}
