/*
 * timestamp.c: ISO 8601 / RFC 3339 timestamps, written and read.
 *
 * Written as "YYYY-MM-DDTHH:MM:SS.mmmZ".  The calendar arithmetic is
 * Howard Hinnant's days-from-civil algorithm: exact for the proleptic
 * Gregorian calendar, with no library call, no locale and no time zone,
 * so it is thread-safe and costs a few nanoseconds (the tests compare it
 * with gmtime_r() over a wide range).
 *
 * Read strictly: what Python's datetime.fromisoformat(), JavaScript's
 * Date and PostgreSQL's timestamptz all accept, which is RFC 3339's
 * date-time with upper-case T and Z, a year from 0001 to 9999, a real day
 * of the month, and no leap second (second 60).
 */
#include "proto.h"

#define MS_PER_DAY 86400000LL
/* 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z */
#define MS_MIN (-62135596800000LL)
#define MS_MAX (253402300799999LL)

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day z since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

/* Format Unix ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (clamped to 0001-9999). */
void proto_timestamp_format(int64_t ms, char out[PROTO_TIMESTAMP_LEN + 1])
{
	int64_t days, rem, y;
	unsigned m, d, sec;

	if (ms < MS_MIN)
		ms = MS_MIN;
	if (ms > MS_MAX)
		ms = MS_MAX;
	days = (ms >= 0 ? ms : ms - (MS_PER_DAY - 1)) / MS_PER_DAY;
	rem = ms - days * MS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	sec = (unsigned)(rem / 1000);
	put2(out, (unsigned)(y / 100));
	put2(out + 2, (unsigned)(y % 100));
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, sec / 3600);
	out[13] = ':';
	put2(out + 14, sec / 60 % 60);
	out[16] = ':';
	put2(out + 17, sec % 60);
	out[19] = '.';
	out[20] = (char)('0' + rem % 1000 / 100);
	put2(out + 21, (unsigned)(rem % 100));
	out[23] = 'Z';
	out[24] = '\0';
}

/* The value of n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static unsigned days_in_month(int y, int m)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dim[m - 1] + (m == 2 && leap);
}

/* ".d+" at s[*i]: the first three digits as ms.  Returns -1 when bad. */
static int parse_fraction(const char *s, size_t len, size_t *i)
{
	size_t start = ++*i;
	int ms = 0, scale = 100;

	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; ++*i) {
		ms += (s[*i] - '0') * scale;
		scale /= 10;
	}
	return *i == start ? -1 : ms;
}

/* "Z" or "+HH:MM" / "-HH:MM" at s[i..len): the offset in minutes east. */
static int parse_offset(const char *s, size_t len, size_t i, int *minutes)
{
	int h, m;

	if (len - i == 1 && s[i] == 'Z') {
		*minutes = 0;
		return 0;
	}
	if (len - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return -1;
	h = digits(s + i + 1, 2);
	m = digits(s + i + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*minutes = (s[i] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

/* Parse an RFC 3339 date-time (see proto.h). */
int proto_timestamp_parse(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, se, frac = 0, off;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > days_in_month(y, mo) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 59)
		return -1;
	if (s[i] == '.' && (frac = parse_fraction(s, len, &i)) < 0)
		return -1;
	if (i >= len || parse_offset(s, len, i, &off) != 0)
		return -1;
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 +
	       mi - off) * 60000 + se * 1000 + frac;
	return 0;
}
