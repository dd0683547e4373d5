/*
 * inbox.h: events clients stored while the daemon was unreachable.
 *
 * The protocol is described in client/lib/inbox.c (the writer's side).  A
 * client that cannot reach the socket appends whole records
 * (proto/record.h: seq 0, send time, type, key, the raw line) to
 * <journal dir>/inbox/pending.rec under flock.  The daemon claims that file
 * by renaming it to ingesting-<ms>.rec (late writers notice and start a new
 * pending.rec), takes the lock once to wait out a writer caught mid-append,
 * ingests every record in order as if it had just arrived (validation
 * included; the sender's uid/gid are the file owner's), and unlinks the file
 * only once the journal is durable past its last record.  A file left by a
 * crash is ingested again at the next start.
 *
 * At start this runs before the socket is served, so inbox events keep
 * their place before anything newer of the same workflow; afterwards every
 * few seconds, for clients that fell back just before the daemon listened.
 */
#ifndef AGENTLOGD_INBOX_H
#define AGENTLOGD_INBOX_H

#include <stdint.h>

struct server;

/* Claim and ingest every inbox file.  Returns the events accepted. */
long inbox_ingest(struct server *s);

/* Unlink ingested files whose records are durable; returns how many wait. */
int inbox_release(struct server *s, uint64_t durable_seq);

#endif
