/*
 * numeric_ops.h — PostgreSQL numeric arithmetic from C, in short
 *
 * Each macro calls a numeric.c function through DirectFunctionCall and yields a
 * Datum (NCMP an int).  All are exact: sums, differences and products keep every
 * digit (a product of two non-integers is rounded only beyond numeric's 16383
 * decimals), NDIV_TRUNC is the truncated quotient and NMOD the remainder that goes
 * with it.  Results are palloc'd in the current memory context; overflow of the
 * numeric format raises the usual error.  Shared by the numeric paths of rr.price
 * (pricing_rate.c) and rr.allocate (allocate.c).
 */
#ifndef RR_NUMERIC_OPS_H
#define RR_NUMERIC_OPS_H

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#define NUM(x)			DirectFunctionCall3(numeric_in, CStringGetDatum(x), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1))
#define NADD(a, b)		DirectFunctionCall2(numeric_add, (a), (b))
#define NSUB(a, b)		DirectFunctionCall2(numeric_sub, (a), (b))
#define NMUL(a, b)		DirectFunctionCall2(numeric_mul, (a), (b))
#define NDIV_TRUNC(a, b) DirectFunctionCall2(numeric_div_trunc, (a), (b))
#define NMOD(a, b)		DirectFunctionCall2(numeric_mod, (a), (b))
#define NCMP(a, b)		DatumGetInt32(DirectFunctionCall2(numeric_cmp, (a), (b)))
#define NROUND(a, s)	DirectFunctionCall2(numeric_round, (a), Int32GetDatum(s))
#define NTRUNC(a, s)	DirectFunctionCall2(numeric_trunc, (a), Int32GetDatum(s))

#endif							/* RR_NUMERIC_OPS_H */
