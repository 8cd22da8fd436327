/*
 * calendar.h — civil-date period arithmetic shared by the C core
 *
 * Periods are [b_k, b_k+1) with b_k = anchor + k * step, every boundary computed
 * directly from the anchor (month steps clamp to the end of the month).  Day numbers
 * are int64 days since 2000-01-01 (PostgreSQL's date epoch), so boundaries one step
 * past the supported date range can be computed without overflow and then clipped.
 */
#ifndef RR_CALENDAR_H
#define RR_CALENDAR_H

#include "fmgr.h"
#include "utils/date.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

/* A validated billing step: exactly one of months and days is positive. */
typedef struct RRStep
{
	int32		months;
	int32		days;
} RRStep;

/* An anchor-based calendar: the step plus the anchor, decomposed once. */
typedef struct RRCalendar
{
	RRStep		step;
	DateADT		anchor;
	int			ay;				/* anchor year (astronomical), month, day */
	int			am;
	int			ad;
} RRCalendar;

extern void rr_step_from_interval(const Interval *every, RRStep *step);
extern void rr_calendar_init(RRCalendar *cal, DateADT anchor, const Interval *every);
extern int64 rr_boundary(const RRCalendar *cal, int64 k);
extern int64 rr_period_index(const RRCalendar *cal, int64 d);
extern void rr_check_finite(DateADT d, const char *what);
extern void rr_check_minor_units(int32 minor_units);

/* round(x / d, minor_units) half away from zero, exactly (numeric x, d > 0) */
extern Datum rr_round_div(Datum x, int64 d, int minor_units);

/* daterange helpers */
extern Datum rr_make_daterange(TypeCacheEntry *typcache, int64 lo, int64 hi);
extern bool rr_daterange_bounds(TypeCacheEntry *typcache, Datum range,
								const char *what, bool require_bounded,
								int64 *lo, int64 *hi);
extern char *rr_daterange_text(int64 lo, int64 hi);
extern char *rr_date_text(int64 d);

#endif							/* RR_CALENDAR_H */
