/*
 * dgram.h: the datagram socket: one event per datagram, never a reply.
 * For hooks that just fire a packet (socat, nc -U).  The sender's
 * credentials come with each datagram (SCM_CREDENTIALS).
 */
#ifndef AGENTLOGD_DGRAM_H
#define AGENTLOGD_DGRAM_H

#include <stdint.h>

struct server;
struct dgram;

/* Watch fd (bound, non-blocking).  Returns 0 or a negative errno. */
int dgram_start(struct server *s, int fd, struct dgram **out);
/* The journal made progress: ingest a held datagram, read again.
 * Returns -1 while the journal still asks us to wait. */
int dgram_retry(struct dgram *d);
/* Shutdown: read what is queued on the socket now; -1 while waiting. */
int dgram_drain(struct dgram *d);
uint64_t dgram_received(const struct dgram *d);
/* Stop watching, close the socket, free (after the loop closes the handle). */
void dgram_close(struct dgram *d);

#endif
