/*
 * test_corpus: every case of the corpus files given as arguments through
 * proto_event_parse(), asserting the exact error of each invalid case;
 * every valid case through proto_envelope_splice(), re-checking the output
 * with proto_json_check(), with cJSON, and by parsing it again as an event.
 *
 * Corpus format (tests/proto/corpus/README.md): one case per line,
 *   <verdict> TAB <name> TAB <expected error or -> TAB <the event line>
 * verdict "ok" or "err"; "ok%"/"err%" when the line is percent-encoded
 * (%NN for bytes a text file cannot hold plainly).  '#' starts a comment.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto.h"

#define NOW_MS 1761215400123LL      /* 2025-10-23T10:30:00.123Z */

struct tcase {
	const char *where;               /* "file:line" */
	const char *name;
	int ok;
	const char *expect;
	char *line;
	size_t len;
};

static const struct proto_source test_src = {
	.pid = 4242, .uid = 1000, .gid = -1,
	.host = "host\"with\\odd\x01" "bytes\xff", .via = "stream",
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %NN in place; returns the new length, or -1 on a bad escape. */
static long percent_decode(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			s[o++] = s[i];
			continue;
		}
		if (i + 2 >= len || hexval(s[i + 1]) < 0 ||
		    hexval(s[i + 2]) < 0)
			return -1;
		s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	return (long)o;
}

/* Split one corpus line into a case; returns 0, 1 (skip) or -1. */
static int parse_case(char *l, size_t len, struct tcase *c)
{
	char *f[3], *p = l;
	long n;
	int pct;

	if (len == 0 || l[0] == '#')
		return 1;
	for (int i = 0; i < 3; i++) {
		char *tab = memchr(p, '\t', len - (size_t)(p - l));

		if (tab == NULL)
			return -1;
		*tab = '\0';
		f[i] = p;
		p = tab + 1;
	}
	pct = f[0][strlen(f[0]) - 1] == '%';
	if (pct)
		f[0][strlen(f[0]) - 1] = '\0';
	if (strcmp(f[0], "ok") != 0 && strcmp(f[0], "err") != 0)
		return -1;
	c->ok = strcmp(f[0], "ok") == 0;
	c->name = f[1];
	c->expect = f[2];
	c->line = p;
	c->len = len - (size_t)(p - l);
	if (pct) {
		if ((n = percent_decode(c->line, c->len)) < 0)
			return -1;
		c->len = (size_t)n;
	}
	return 0;
}

/* Read a whole file; NULL on error. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)n;
out:
	if (f != NULL)
		fclose(f);
	return buf;
}

/* The members of the original event the output must carry unchanged. */
static int owned(const char *key)
{
	static const char *const names[] = {
		"type", "event_id", "source", "schema_version", "timestamp",
		"correlation_id",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

/*
 * Do two cJSON values print the same?  (cJSON_Compare() cannot: it looks
 * keys up, so nested duplicate keys differ, and inf != inf.)
 */
static int same_json(const cJSON *a, const cJSON *b)
{
	char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
	int same = x != NULL && y != NULL && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

static const char *str_item(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(o, key));

	return s != NULL ? s : "(none)";
}

static double num_item(const cJSON *o, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Check the enriched event against the original with cJSON. */
static void check_with_cjson(const struct tcase *c,
			     const struct proto_event *ev, const char *out,
			     size_t n, const char *idtext)
{
	cJSON *o = cJSON_ParseWithLength(out, n);
	cJSON *in = cJSON_ParseWithLength(c->line, c->len);
	cJSON *m, *src;
	int kept = 0, outn = cJSON_GetArraySize(o);
	char ts[PROTO_TIMESTAMP_LEN + 1];

	CHECK(o != NULL && in != NULL, "%s %s: cJSON cannot parse", c->where,
	      c->name);
	if (o == NULL || in == NULL)
		goto out;
	CHECK(strcmp(str_item(o, "event_id"), idtext) == 0, "%s: event_id",
	      c->name);
	CHECK(strcmp(str_item(o, "type"), proto_type_name(ev->type)) == 0,
	      "%s: type", c->name);
	CHECK(num_item(o, "schema_version") == PROTO_SCHEMA_VERSION,
	      "%s: schema_version", c->name);
	CHECK(strcmp(str_item(o, "correlation_id"), ev->corr) == 0,
	      "%s: corr", c->name);
	src = cJSON_GetObjectItemCaseSensitive(o, "source");
	CHECK(num_item(src, "pid") == 4242 && num_item(src, "uid") == 1000 &&
	      num_item(src, "gid") == -1 && strcmp(str_item(src, "via"),
						    "stream") == 0 &&
	      strcmp(str_item(src, "host"),
		     "host\"with\\odd\x01" "bytes\xef\xbf\xbd") == 0,
	      "%s: source", c->name);
	proto_timestamp_format(NOW_MS, ts);
	m = cJSON_GetObjectItemCaseSensitive(in, "timestamp");
	CHECK(strcmp(str_item(o, "timestamp"),
		     cJSON_IsString(m) ? cJSON_GetStringValue(m) : ts) == 0,
	      "%s: timestamp", c->name);
	cJSON_ArrayForEach(m, in) {
		if (owned(m->string))
			continue;
		kept++;
		CHECK(same_json(m, cJSON_GetObjectItemCaseSensitive(o,
								   m->string)),
		      "%s: member %s changed", c->name, m->string);
	}
	CHECK(outn == kept + 6, "%s: %d members out, want %d", c->name, outn,
	      kept + 6);
out:
	cJSON_Delete(o);
	cJSON_Delete(in);
}

/*
 * Splice a valid case and check the output: within the promised bound,
 * strict JSON, a valid event again whose second splice is byte-identical,
 * and (cJSON) carrying the envelope and every client member unchanged.
 */
static void check_splice(const struct tcase *c, const struct proto_event *ev)
{
	size_t cap = c->len + PROTO_ENVELOPE_MAX(strlen(test_src.host));
	char *out = malloc(cap + 64), *out2 = malloc(cap + 64);
	struct proto_event *ev2 = malloc(sizeof *ev2);
	char err[PROTO_ERR_MAX], idtext[PROTO_UUID_LEN + 1];
	uint8_t id[16];
	size_t n, n2;

	memset(out, 0xa5, cap + 64);
	proto_event_id_new(id, NOW_MS);
	proto_uuid_format(id, idtext);
	n = proto_envelope_splice(ev, c->line, c->len, id, NOW_MS, &test_src,
				  out);
	CHECK(n <= cap && (unsigned char)out[cap] == 0xa5,
	      "%s %s: wrote %zu bytes, bound %zu", c->where, c->name, n, cap);
	CHECK(proto_json_check(out, n, err) == 0, "%s %s: output: %s",
	      c->where, c->name, err);
	if (proto_event_parse(ev2, out, n, -1, err) != 0) {
		CHECK(0, "%s %s: output not an event: %s", c->where, c->name,
		      err);
		goto out;
	}
	CHECK(ev2->type == ev->type && strcmp(ev2->corr, ev->corr) == 0,
	      "%s: reparse", c->name);
	n2 = proto_envelope_splice(ev2, out, n, id, NOW_MS + 5, &test_src,
				   out2);
	CHECK(n2 == n && memcmp(out, out2, n) == 0,
	      "%s %s: splice is not idempotent:\n%.*s\n%.*s", c->where,
	      c->name, (int)n, out, (int)n2, out2);
	check_with_cjson(c, ev, out, n, idtext);
out:
	free(out);
	free(out2);
	free(ev2);
}

static void run_case(const struct tcase *c, struct proto_event *ev)
{
	char err[PROTO_ERR_MAX];
	int rc = proto_event_parse(ev, c->line, c->len, -1, err);

	if (c->ok) {
		CHECK(rc == 0, "%s %s: rejected: %s", c->where, c->name, err);
		if (rc == 0)
			check_splice(c, ev);
		return;
	}
	CHECK(rc != 0, "%s %s: accepted, want: %s", c->where, c->name,
	      c->expect);
	if (rc != 0)
		CHECK(strcmp(err, c->expect) == 0,
		      "%s %s:\n   got: %s\n  want: %s", c->where, c->name, err,
		      c->expect);
	CHECK(strlen(err) < PROTO_ERR_MAX - 1 && strchr(err, '\n') == NULL,
	      "%s: message too long or not one line", c->name);
}

/* Run every case of one corpus file; returns the number of cases. */
static int run_file(const char *path, struct proto_event *ev)
{
	size_t len, start = 0;
	char *buf = slurp(path, &len), where[512];
	int lineno = 0, ncases = 0;
	struct tcase c;

	CHECK(buf != NULL, "cannot read %s", path);
	if (buf == NULL)
		return 0;
	while (start < len) {
		char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		int r;

		lineno++;
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		c.where = where;
		r = parse_case(buf + start, end - start, &c);
		CHECK(r >= 0, "%s: malformed corpus line", where);
		if (r == 0) {
			run_case(&c, ev);
			ncases++;
		}
		start = end + 1;
	}
	free(buf);
	return ncases;
}

int main(int argc, char **argv)
{
	struct proto_event *ev = malloc(sizeof *ev);

	for (int i = 1; i < argc; i++) {
		int n = run_file(argv[i], ev);

		fprintf(stderr, "%s: %d cases\n", argv[i], n);
		CHECK(n > 0, "%s: no cases", argv[i]);
	}
	free(ev);
	return check_exit("test_corpus");
}
