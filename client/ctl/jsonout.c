/*
 * jsonout.c: JSON string output.
 */
#include <stdint.h>

#include "jsonout.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t jsonout_utf8(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void jsonout_str(FILE *out, const char *str, size_t len, int is_null)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;

	if (is_null) {
		fputs_unlocked("null", out);
		return;
	}
	fputc_unlocked('"', out);
	while (i < len) {
		/* the common case: a run of plain ASCII, written at once */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x7f &&
			      s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, out);
			i = run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			fputc_unlocked('\\', out);
			fputc_unlocked(s[i++], out);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(out, "\\u%04x", s[i++]);
		} else if ((n = jsonout_utf8(s + i, len - i)) > 0) {
			fwrite_unlocked(s + i, 1, n, out);
			i += n;
		} else {
			fputs_unlocked("\\ufffd", out);
			i++;
		}
	}
	fputc_unlocked('"', out);
}
