/*
 * inbox.h: events clients stored while the daemon was down.
 *
 * A client that cannot reach the socket appends whole records
 * (proto/record.h: seq 0, its own event id, send time, type, key, the raw
 * line) to <journal dir>/inbox/pending.rec under flock.  At start, before
 * the socket is served, the daemon renames that file to
 * ingesting-<ms>.rec (so late writers start a new pending.rec), ingests
 * every record in order as if it had just arrived (validation included;
 * the sender's uid/gid are the file owner's), flushes the journal, and
 * unlinks the file.  A file left by a crash mid-way is ingested again next
 * time; the kept event ids make those duplicates recognisable.
 */
#ifndef AGENTLOGD_INBOX_H
#define AGENTLOGD_INBOX_H

struct server;

/* Ingest every inbox file.  Returns the number of events accepted. */
long inbox_ingest(struct server *s);

#endif
