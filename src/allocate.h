/*
 * allocate.h — exact splitting of money in integer minor units
 *
 * Amounts cross the SQL boundary as numeric and are worked on as int64 counts of minor
 * units (10^-minor_units); products and sums use 128-bit integers, so no intermediate
 * value can overflow.  Shared by rr.allocate and the spreading functions.
 */
#ifndef RR_ALLOCATE_H
#define RR_ALLOCATE_H

#include "fmgr.h"

#ifndef HAVE_INT128
#error "recurring_revenue needs a compiler with 128-bit integers"
#endif

extern int64 rr_amount_to_units(Datum amount, int minor_units, const char *what);
extern Datum rr_units_to_amount(int64 units, int minor_units);
extern void rr_allocate_units(int64 total, const int64 *weights, int n, int64 *parts);

#endif							/* RR_ALLOCATE_H */
