/*
 * status.h: the daemon's figures, as the JSON object behind
 * `agentlogctl status` (the ".status" control request) and as Prometheus
 * text for --metrics-listen.  Same numbers, two shapes.
 */
#ifndef AGENTLOGD_STATUS_H
#define AGENTLOGD_STATUS_H

struct server;

/* A malloc'd JSON object on one line (no newline), or NULL. */
char *status_json(struct server *s);

/* A malloc'd Prometheus text exposition, or NULL. */
char *status_prometheus(struct server *s);

/* Once a second: per-second rates. */
void status_tick(struct server *s);

#endif
