/*
 * jsonout.c: compact JSON text of a cJSON value (see jsonout.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* Integers below this are exact in a double and printed digit by digit. */
#define JSONOUT_INT_MAX 1e15

/* The decimal digits of v (no sign) ending at end; returns the start. */
static char *jsonout_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

int jsonout_number(double v, char out[32])
{
	char tmp[24], *p;
	int n;

	if (!isfinite(v))
		return snprintf(out, 32, "null");
	if (fabs(v) < JSONOUT_INT_MAX && v == (double)(int64_t)v) {
		p = jsonout_digits(tmp + sizeof(tmp),
				   (uint64_t)(v < 0 ? -(int64_t)v : (int64_t)v));
		if (v < 0)
			*--p = '-';
		n = (int)(tmp + sizeof(tmp) - p);
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		return n;
	}
	n = snprintf(out, 32, "%1.15g", v);
	if (strtod(out, NULL) != v)
		n = snprintf(out, 32, "%1.17g", v);
	return n;
}

static void jsonout_put(struct row_buf *out, const char *s, size_t n)
{
	row_buf_reserve(out, n);
	memcpy(out->data + out->len, s, n);
	out->len += n;
}

/* s as a JSON string: quote, backslash and control characters escaped;
 * other bytes (UTF-8 included) as they are. */
static void jsonout_string(struct row_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);
	char *d;

	row_buf_reserve(out, 6 * n + 2);
	d = out->data + out->len;
	*d++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*d++ = (char)c;
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '\b': *d++ = 'b'; break;
		case '\f': *d++ = 'f'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		default:
			memcpy(d, "u00", 3);
			d[3] = hex[c >> 4];
			d[4] = hex[c & 15];
			d += 5;
			break;
		}
	}
	*d++ = '"';
	out->len = (size_t)(d - out->data);
}

/* The members of an object or the elements of an array, comma-separated. */
static void jsonout_children(struct row_buf *out, const cJSON *v, int named)
{
	const cJSON *c;

	for (c = v->child; c; c = c->next) {
		if (c != v->child)
			jsonout_put(out, ",", 1);
		if (named) {
			jsonout_string(out, c->string ? c->string : "");
			jsonout_put(out, ":", 1);
		}
		jsonout_value(out, c);
	}
}

void jsonout_value(struct row_buf *out, const cJSON *v)
{
	char num[32];
	int n;

	switch (v->type & 0xff) {
	case cJSON_False:
		jsonout_put(out, "false", 5);
		break;
	case cJSON_True:
		jsonout_put(out, "true", 4);
		break;
	case cJSON_Number:
		n = jsonout_number(v->valuedouble, num);
		jsonout_put(out, num, (size_t)n);
		break;
	case cJSON_String:
		jsonout_string(out, v->valuestring ? v->valuestring : "");
		break;
	case cJSON_Raw:
		jsonout_put(out, v->valuestring, strlen(v->valuestring));
		break;
	case cJSON_Array:
		jsonout_put(out, "[", 1);
		jsonout_children(out, v, 0);
		jsonout_put(out, "]", 1);
		break;
	case cJSON_Object:
		jsonout_put(out, "{", 1);
		jsonout_children(out, v, 1);
		jsonout_put(out, "}", 1);
		break;
	default:
		jsonout_put(out, "null", 4);
		break;
	}
}
