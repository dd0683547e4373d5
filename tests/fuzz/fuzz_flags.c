/*
 * fuzz_flags: agentlogctl's flags-to-event builder (client/ctl/build.c):
 * the four skills' flags set to arbitrary text, in any order, repeated,
 * then the event finished with an arbitrary correlation id and time.
 *
 * Checked, beyond memory safety and leaks:
 *   - a refused flag names itself ("--flag") and leaves the field as it
 *     was (the last accepted value of a repeated flag wins);
 *   - the finished event is one line (no CR or LF) and strict JSON
 *     whenever every text given was valid UTF-8 (otherwise the validator
 *     is what refuses it, with a UTF-8 reason);
 *   - each member carries exactly what its flag said: a string decodes to
 *     the argument, an integer is its canonical form, a number the same
 *     double, a boolean its value, an object or array its kind; the
 *     members come in the table's order, then the default, then the
 *     timestamp;
 *   - if validation then refuses the event, it is for a rule of the
 *     event, never for its JSON.
 */
#include <math.h>
#include <string.h>

#include "ctl.h"
#include "fuzz.h"
#include "json.h"
#include "skill.h"

#define FF_ARG_MAX 1024

static const struct ctl_skill *const ff_skills[] = {
	&ctl_skill_agent_action, &ctl_skill_routing_decision,
	&ctl_skill_transformation, &ctl_skill_performance_metrics,
};

/* A C string from the input, as argv would carry it (ends at a NUL). */
static char *ff_arg(struct fuzz_in *in)
{
	size_t want = fuzz_u8(in), n;
	const uint8_t *p;
	char *s;

	if (want == 255)
		want = fuzz_u16(in) % FF_ARG_MAX;
	n = fuzz_take(in, want, &p);
	s = malloc(n + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int ff_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	int k;

	for (; p < end; p += k)
		if ((k = proto_utf8_len(p, end)) == 0)
			return 0;
	return 1;
}

/* The member whose key is name, or NULL. */
static const struct proto_member *ff_member(const char *out,
					    const struct proto_member *m,
					    unsigned n, const char *name)
{
	size_t l = strlen(name);

	for (unsigned i = 0; i < n; i++)
		if (m[i].key_end - m[i].start == l + 2 &&
		    memcmp(out + m[i].start + 1, name, l) == 0)
			return &m[i];
	return NULL;
}

/* One member against the flag's argument (see the file's comment). */
static void ff_check_value(const struct ctl_field *f, const char *arg,
			   const char *v, size_t vn)
{
	char *text = strndup(v, vn), *end;
	char buf[FF_ARG_MAX * 4 + 8];
	int t, n;

	FUZZ_CHECK(text != NULL);
	switch (f->kind) {
	case CTL_STR:
		FUZZ_CHECK(v[0] == '"' && v[vn - 1] == '"');
		n = proto_json_unescape(v + 1, vn - 2, buf, sizeof(buf));
		FUZZ_CHECK(n >= 0 && (size_t)n == strlen(arg) &&
			   memcmp(buf, arg, (size_t)n) == 0);
		break;
	case CTL_INT:
		snprintf(buf, sizeof(buf), "%lld", strtoll(arg, NULL, 10));
		FUZZ_CHECK(strcmp(text, buf) == 0);
		break;
	case CTL_NUM:
		FUZZ_CHECK(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'));
		FUZZ_CHECK(strtod(text, &end) == strtod(arg, NULL) && *end == '\0');
		break;
	case CTL_BOOL:
		t = strcmp(text, "true") == 0;
		FUZZ_CHECK(t || strcmp(text, "false") == 0);
		break;
	case CTL_OBJ:
	case CTL_ARR:
		FUZZ_CHECK(text[0] == (f->kind == CTL_OBJ ? '{' : '['));
		FUZZ_CHECK(proto_json_check(text, vn, buf) == 0);
		break;
	}
	free(text);
}

/* The finished event against what was set. */
static void ff_check_event(const struct ctl_skill *s, char *const *last,
			   const char *corr, const char *out, int utf8)
{
	struct proto_member m[PROTO_MAX_MEMBERS];
	struct proto_json_top top;
	struct proto_event ev;
	char err[PROTO_ERR_MAX];
	size_t len = strlen(out);
	unsigned prev = 0;

	if (strpbrk(out, "\r\n"))
		fprintf(stderr, "event: %s\n", out);
	FUZZ_CHECK(strpbrk(out, "\r\n") == NULL);
	if (proto_json_scan(out, len, m, PROTO_MAX_MEMBERS, &top, err) != 0) {
		FUZZ_CHECK(!utf8);
		FUZZ_CHECK(strstr(err, "UTF-8") != NULL);
		return;
	}
	FUZZ_CHECK(top.kind == PROTO_OBJECT && top.open == 0);
	FUZZ_CHECK(ff_member(out, m, top.n, "type") == &m[0]);
	ff_check_value(&(struct ctl_field){ "correlation-id", "correlation_id",
					    CTL_STR, "" },
		       corr, out + m[1].val, m[1].end - m[1].val);
	prev = 1;
	for (size_t i = 0; i < s->nfields; i++) {
		const struct proto_member *p =
			ff_member(out, m, top.n, s->fields[i].field);

		if (!last[i]) {
			FUZZ_CHECK(!p || (s->default_field &&
				   !strcmp(s->default_field, s->fields[i].field)));
			continue;
		}
		FUZZ_CHECK(p != NULL && (unsigned)(p - m) > prev);
		prev = (unsigned)(p - m);
		ff_check_value(&s->fields[i], last[i], out + p->val,
			       p->end - p->val);
	}
	FUZZ_CHECK(ff_member(out, m, top.n, "timestamp") == &m[top.n - 1]);
	ev.type = -1;
	if (proto_event_parse(&ev, out, len, -1, err) != 0)
		FUZZ_CHECK(strncmp(err, "json:", 5) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const struct ctl_skill *s = ff_skills[fuzz_u8(&in) % 4];
	char *last[16] = { NULL }, *corr, *out;
	unsigned nops = fuzz_u8(&in) % 16;
	struct ctl_build b;
	int64_t now;
	int utf8 = 1;

	FUZZ_CHECK(ctl_build_start(&b, s) == 0);
	for (unsigned k = 0; k < nops; k++) {
		size_t i = fuzz_u8(&in) % s->nfields;
		char *arg = ff_arg(&in);

		b.err[0] = '\0';
		if (ctl_build_set(&b, i, arg) == 0) {
			free(last[i]);
			last[i] = arg;
			continue;
		}
		char flag[80];

		snprintf(flag, sizeof(flag), "--%s", s->fields[i].flag);
		FUZZ_CHECK(strstr(b.err, flag) != NULL);
		free(arg);
	}
	corr = ff_arg(&in);
	now = (int64_t)(fuzz_u64(&in) % 253402300800000ULL);
	out = ctl_build_finish(&b, corr, now);
	FUZZ_CHECK(out != NULL);
	for (size_t i = 0; i < s->nfields; i++)
		if (last[i] && s->fields[i].kind == CTL_STR && !ff_utf8_ok(last[i]))
			utf8 = 0;
	if (!ff_utf8_ok(corr))
		utf8 = 0;
	ff_check_event(s, last, corr, out, utf8);
	free(out);
	free(corr);
	for (size_t i = 0; i < 16; i++)
		free(last[i]);
	return 0;
}
