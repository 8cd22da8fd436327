/*
 * pricing.h — the rr.pricing base type (docs/pricing.md): pricing_type.c (storage,
 * I/O, equality), pricing_jsonb.c (jsonb casts), pricing_rate.c (rating)
 *
 * On disk a pricing is a varlena whose payload is the encoding of
 * pricing_parse.h: a version byte, the model, the tier count, then each value as a
 * length-prefixed canonical decimal (length 0: absent).  Two pricings are equal
 * exactly when their payloads are, that is when their canonical text forms are.
 */
#ifndef RR_PRICING_H
#define RR_PRICING_H

#include "fmgr.h"

#include "pricing_parse.h"

typedef struct varlena Pricing;

#define DatumGetPricingPP(X)	((Pricing *) PG_DETOAST_DATUM_PACKED(X))
#define PG_GETARG_PRICING_PP(n) DatumGetPricingPP(PG_GETARG_DATUM(n))
#define PG_RETURN_PRICING_P(x)	PG_RETURN_POINTER(x)

/* pricing_type.c: a validated model as a new varlena, and back (palloc'd spec) */
extern Pricing *pricing_from_spec(const PricingSpec *spec);
extern void pricing_to_spec(const Pricing *p, PricingSpec *spec);

#endif							/* RR_PRICING_H */
