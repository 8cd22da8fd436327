/*
 * pricing_parse.h — the rr.pricing model in plain C: parse, validate, format, encode
 *
 * Nothing here calls the PostgreSQL backend, so the same code runs inside the
 * module and inside the libFuzzer harness (test/fuzz/).  Numbers are kept as
 * canonical decimal strings; src/pricing_rate.c turns them into numeric values.
 */
#ifndef RR_PRICING_PARSE_H
#define RR_PRICING_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, documented in docs/pricing.md. */
#define PRICING_MAX_TIERS		100
#define PRICING_MAX_INT_DIGITS	38
#define PRICING_MAX_SCALE		18
/* "-" + 38 digits + "." + 18 digits + NUL */
#define PRICING_DEC_SIZE		(1 + PRICING_MAX_INT_DIGITS + 1 + PRICING_MAX_SCALE + 1)
#define PRICING_DETAIL_SIZE		256
/* Version byte at the start of the stored and the binary form. */
#define PRICING_FORMAT_VERSION	1

typedef enum PricingModel
{
	PRICING_FLAT = 1,
	PRICING_PER_UNIT,
	PRICING_PACKAGE,
	PRICING_GRADUATED,
	PRICING_VOLUME,
	PRICING_STAIRSTEP,
	PRICING_PERCENTAGE
} PricingModel;

/*
 * A decimal number as written, canonicalised: optional "-", integer digits without
 * leading zeros (at least one digit), then "." and the fraction digits exactly as
 * written (the scale is kept).  An absent optional value has present = false.
 */
typedef struct PricingDec
{
	bool		present;
	bool		negative;
	bool		zero;			/* every digit is 0 */
	int			int_digits;		/* digits before the point */
	int			scale;			/* digits after the point */
	char		text[PRICING_DEC_SIZE];
} PricingDec;

typedef struct PricingTier
{
	PricingDec	up_to;			/* absent: the open-ended last tier */
	PricingDec	unit_price;		/* graduated, volume */
	PricingDec	flat_fee;		/* optional for graduated and volume; stairstep's price */
} PricingTier;

typedef struct PricingSpec
{
	PricingModel model;
	PricingDec	amount;			/* flat */
	PricingDec	unit_price;		/* per_unit */
	PricingDec	package_size;	/* package */
	PricingDec	package_price;	/* package */
	PricingDec	rate;			/* percentage */
	PricingDec	fixed_fee;		/* percentage, optional */
	PricingDec	min;			/* percentage, optional */
	PricingDec	max;			/* percentage, optional */
	int			ntiers;
	PricingTier tiers[PRICING_MAX_TIERS];
} PricingSpec;

extern const char *pricing_model_name(PricingModel model);
extern bool pricing_model_from_name(const char *name, size_t len, PricingModel *model);

extern bool pricing_dec_parse(const char *s, size_t len, const char *what,
							  PricingDec *d, char *detail);
extern int	pricing_dec_cmp(const PricingDec *a, const PricingDec *b);
extern bool pricing_dec_whole_at(const PricingDec *d, int scale);

extern void pricing_spec_init(PricingSpec *spec, PricingModel model);
extern bool pricing_validate(const PricingSpec *spec, char *detail);
extern bool pricing_parse_text(const char *s, size_t len, PricingSpec *spec,
							   char *detail);
extern size_t pricing_format_text(const PricingSpec *spec, char *buf, size_t size);
extern size_t pricing_encode(const PricingSpec *spec, unsigned char *buf, size_t size);
extern bool pricing_decode(const unsigned char *buf, size_t len, PricingSpec *spec);

#endif							/* RR_PRICING_PARSE_H */
