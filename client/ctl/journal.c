/*
 * journal.c: agentlogctl journal dump|inbox: the records of the local
 * journal or of an inbox file, one JSON object per line, for people
 * debugging and for tests.
 *
 *   {"seq":12,"time_ms":1761215400123,"type":"agent_action",
 *    "key":"<correlation id>","event_id":"<uuid>","value":<the event>}
 *
 * The value is the stored JSON itself (the daemon stores only valid JSON,
 * the client only validated events); a value that is not JSON is written
 * as a string instead, so the output stays valid NDJSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "jsonout.h"
#include "record.h"
#include "wire.h"

/* One record as a JSON line. */
static void journal_print(const struct rec *r)
{
	char id[PROTO_UUID_LEN + 1], why[PROTO_ERR_MAX];
	const char *type = proto_type_name(r->type);

	proto_uuid_format(r->event_id, id);
	printf("{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64 ",\"type\":",
	       r->seq, r->time_ms);
	jsonout_str(stdout, type, type ? strlen(type) : 0, type == NULL);
	fputs(",\"key\":", stdout);
	jsonout_str(stdout, r->key, r->key_len, 0);
	printf(",\"event_id\":\"%s\",\"value\":", id);
	if (proto_json_check(r->value, r->value_len, why) == 0)
		fwrite(r->value, 1, r->value_len, stdout);
	else
		jsonout_str(stdout, r->value, r->value_len, 0);
	fputs("}\n", stdout);
}

/* Dump the segments of a journal directory from seq on. */
static int journal_dump(const char *dir, uint64_t from)
{
	char segdir[PATH_MAX];
	rec_reader_t *rd;
	struct rec r;
	int err, n;

	if (snprintf(segdir, sizeof(segdir), "%s/segments", dir) >=
	    (int)sizeof(segdir)) {
		ctl_warn("path too long: %s", dir);
		return CTL_FAIL;
	}
	rd = rec_reader_open(segdir, from, &err);
	if (!rd) {
		ctl_warn("cannot read the journal %s: %s", segdir, strerror(-err));
		return CTL_FAIL;
	}
	while ((n = rec_reader_next(rd, &r)) > 0)
		journal_print(&r);
	if (rec_reader_corrupt_bytes(rd))
		ctl_warn("%s: %" PRIu64 " corrupt bytes skipped", segdir,
			 rec_reader_corrupt_bytes(rd));
	rec_reader_close(rd);
	if (n < 0) {
		ctl_warn("reading %s: %s", segdir, strerror(-n));
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* Read a whole file into a malloc'd buffer. */
static char *journal_slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size &&
	       (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return buf;
fail:
	err = errno;
	if (err != ENOENT)
		ctl_warn("cannot read %s: %s", path, strerror(err));
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = err;
	return NULL;
}

/* Dump an inbox file (records back to back, proto/record.h). */
static int journal_inbox(const char *path)
{
	size_t len = 0, off = 0, bad = 0, skip;
	struct rec r;
	char *buf;
	int st;

	buf = journal_slurp(path, &len);
	if (!buf)
		return errno == ENOENT ? CTL_OK : CTL_FAIL;
	while (off < len) {
		st = rec_decode(buf + off, len - off, &r);
		if (st == REC_OK) {
			journal_print(&r);
			off += r.len;
		} else if (st == REC_SHORT) {
			/* Torn; whole records may follow (other writers). */
			skip = rec_find(buf + off + 1, len - off - 1) + 1;
			bad += skip < len - off ? skip : len - off;
			off += skip;
		} else {
			skip = rec_resync(buf + off + 1, len - off - 1) + 1;
			bad += skip;
			off += skip;
		}
	}
	if (bad)
		ctl_warn("%s: %zu bytes skipped (torn or corrupt)", path, bad);
	free(buf);
	return CTL_OK;
}

int ctl_cmd_journal(const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal-dir", required_argument, NULL, 'J' },
		{ "from-seq", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char dir[PATH_MAX], path[PATH_MAX];
	const char *jdir = NULL, *what;
	uint64_t from = 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': ctl_usage(cmd, stdout, 1); return CTL_OK;
		case 'J': jdir = optarg; break;
		case 'f': from = strtoull(optarg, NULL, 10); break;
		default: return ctl_usage_error(cmd, "bad option");
		}
	}
	if (optind >= argc)
		return ctl_usage_error(cmd, "dump or inbox?");
	what = argv[optind++];
	if (!jdir && proto_journal_dir(dir, sizeof(dir)) == 0)
		jdir = dir;
	if (!strcmp(what, "dump") && optind == argc && jdir)
		return journal_dump(jdir, from);
	if (!strcmp(what, "inbox") && optind == argc && jdir) {
		if (snprintf(path, sizeof(path), "%s/%s/pending.rec", jdir,
			     PROTO_INBOX_DIR) >= (int)sizeof(path))
			return ctl_usage_error(cmd, "path too long");
		return journal_inbox(path);
	}
	if (!strcmp(what, "inbox") && optind + 1 == argc)
		return journal_inbox(argv[optind]);
	return ctl_usage_error(cmd, "dump or inbox [FILE]?");
}
