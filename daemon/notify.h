/*
 * notify.h: the service manager's readiness protocol (sd_notify), spoken
 * directly over $NOTIFY_SOCKET's datagram protocol so agentlogd needs no
 * libsystemd.  Every call is a no-op when NOTIFY_SOCKET is unset.
 */
#ifndef AGENTLOGD_NOTIFY_H
#define AGENTLOGD_NOTIFY_H

#include <stdint.h>

/* Send "READY=1", "STOPPING=1", "STATUS=...", "WATCHDOG=1". */
void notify_send(const char *msg);

/* The watchdog interval systemd asked for, in ms; 0 when none. */
uint64_t notify_watchdog_ms(void);

#endif
