/*
 * hook_text.c: what a hook copies from a payload into an event, bounded.
 *
 * A payload can carry whole files (a Write's content, a Read's result), a
 * user's prompt and paths under the user's home.  Events carry only
 * summaries: short strings cut on a character boundary, sizes instead of
 * contents.  Every string is re-encoded as valid UTF-8 on the way, since
 * agentlogd refuses an event that is not (PROTOCOL.md, section 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hook.h"

/* U+FFFD REPLACEMENT CHARACTER and U+2026 HORIZONTAL ELLIPSIS. */
#define TEXT_REPLACEMENT "\xef\xbf\xbd"
#define TEXT_ELLIPSIS "\xe2\x80\xa6"

/* Most members a summary lists by name only. */
#define TEXT_OTHER_MAX 16
/* Most members a summary copies. */
#define TEXT_MEMBERS_MAX 24

/*
 * The length of the well-formed UTF-8 sequence at p (n bytes available),
 * by RFC 3629's table (no overlong forms, no surrogates, <= U+10FFFF), or
 * 0 when there is none.
 */
static size_t text_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Copy s as valid UTF-8, at most max bytes, stopping at the first line
 * break when line is set; an ellipsis marks anything left out.
 */
static char *text_copy(const char *s, size_t max, int line)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;
	char *out = malloc(max + sizeof(TEXT_ELLIPSIS));

	if (!out)
		return NULL;
	while (i < n) {
		if (line && (p[i] == '\n' || p[i] == '\r'))
			break;
		k = text_seq(p + i, n - i);
		if (o + (k ? k : 3) > max)
			break;
		if (k)
			memcpy(out + o, p + i, k);
		else
			memcpy(out + o, TEXT_REPLACEMENT, 3);
		o += k ? k : 3;
		i += k ? k : 1;
	}
	if (i < n) {
		memcpy(out + o, TEXT_ELLIPSIS, 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

char *hook_text(const char *s, size_t max)
{
	return text_copy(s, max, 0);
}

char *hook_text_line(const char *s, size_t max)
{
	while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
		s++;
	return text_copy(s, max, 1);
}

void hook_add_text(cJSON *o, const char *key, const char *s, size_t max)
{
	char *t;

	if (!s)
		return;
	t = hook_text(s, max);
	if (t)
		cJSON_AddStringToObject(o, key, t);
	free(t);
}

const char *hook_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

size_t hook_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Members of a tool input copied as short text: name, bound, first line. */
static const struct {
	const char *key;
	size_t max;
	int line;
} text_keys[] = {
	{ "file_path", 512, 0 }, { "path", 512, 0 }, { "notebook_path", 512, 0 },
	{ "command", 200, 1 }, { "pattern", 200, 1 }, { "glob", 200, 0 },
	{ "url", 512, 0 }, { "query", 200, 1 }, { "description", 200, 1 },
	{ "subagent_type", 128, 0 }, { "skill", 128, 0 }, { "type", 64, 0 },
	{ "output_mode", 32, 0 }, { "cell_type", 32, 0 }, { "edit_mode", 32, 0 },
	{ "shell_id", 64, 0 }, { "bash_id", 64, 0 }, { "model", 64, 0 },
	{ "filePath", 512, 0 }, { "mode", 32, 0 },
};

#define TEXT_NKEYS (sizeof(text_keys) / sizeof(text_keys[0]))

/* The text_keys entry of key, or -1. */
static int text_key(const char *key)
{
	size_t i;

	for (i = 0; i < TEXT_NKEYS; i++)
		if (!strcmp(key, text_keys[i].key))
			return (int)i;
	return -1;
}

/* Add "<key><suffix>": n (a size instead of a content). */
static void text_add_size(cJSON *o, const char *key, const char *suffix,
			  double n)
{
	char name[96], *k = hook_text(key, 64);

	if (!k)
		return;
	snprintf(name, sizeof(name), "%s%s", k, suffix);
	free(k);
	if (!cJSON_GetObjectItemCaseSensitive(o, name))
		cJSON_AddNumberToObject(o, name, n);
}

/* Note the name of a member left out. */
static void text_add_other(cJSON *o, const char *key)
{
	cJSON *other = cJSON_GetObjectItemCaseSensitive(o, "other_keys");
	char *k;

	if (!other)
		other = cJSON_AddArrayToObject(o, "other_keys");
	if (!other || cJSON_GetArraySize(other) >= TEXT_OTHER_MAX)
		return;
	k = hook_text(key, 64);
	if (k)
		cJSON_AddItemToArray(other, cJSON_CreateString(k));
	free(k);
}

/* Summarise one member of an input or a response into o. */
static void text_member(cJSON *o, const cJSON *m)
{
	char *key = hook_text(m->string, 64), *t = NULL;
	int i;

	if (!key || cJSON_GetObjectItemCaseSensitive(o, key))
		goto out;
	if (cJSON_IsBool(m)) {
		cJSON_AddBoolToObject(o, key, cJSON_IsTrue(m));
	} else if (cJSON_IsNumber(m)) {
		cJSON_AddNumberToObject(o, key, m->valuedouble);
	} else if (cJSON_IsString(m) && (i = text_key(key)) >= 0) {
		t = text_keys[i].line ? hook_text_line(m->valuestring, text_keys[i].max)
				      : hook_text(m->valuestring, text_keys[i].max);
		if (t)
			cJSON_AddStringToObject(o, key, t);
	} else if (cJSON_IsString(m)) {
		text_add_size(o, key, "_chars", (double)hook_chars(m->valuestring));
	} else if (cJSON_IsArray(m)) {
		text_add_size(o, key, "_count", cJSON_GetArraySize(m));
	} else if (!cJSON_IsNull(m)) {
		text_add_other(o, key);
	}
out:
	free(t);
	free(key);
}

/* A summary of an object's members (see hook.h). */
static cJSON *text_summary(const cJSON *v)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *m;
	int n = 0;

	if (!o)
		return NULL;
	if (cJSON_IsString(v)) {
		cJSON_AddNumberToObject(o, "chars", (double)hook_chars(v->valuestring));
		return o;
	}
	cJSON_ArrayForEach(m, v) {
		if (!m->string)
			continue;
		if (n++ >= TEXT_MEMBERS_MAX) {
			text_add_other(o, m->string);
			continue;
		}
		text_member(o, m);
	}
	return o;
}

cJSON *hook_input_summary(const cJSON *input)
{
	return input ? text_summary(input) : NULL;
}

cJSON *hook_response_summary(const cJSON *response)
{
	return response ? text_summary(response) : NULL;
}
