/*  notify.c: READY, STATUS, WATCHDOG and STOPPING for the service
    manager (see notify.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "notify.h"

static struct {
    int on;                    /* the manager listens (NOTIFY_SOCKET) */
    int64_t watchdog_ms;       /* WATCHDOG=1 this often; 0: no watchdog */
    int64_t watchdog_at;       /* ... next, ms */
    int64_t status_at;         /* the next STATUS= line may go then, ms */
    int pending;               /* the loop ran since the last line was made */
    char status[256];          /* the last line sent */
} s_notify;

/* How many pending deliveries are still queued. */
static int s_count_queued (const store_delivery_t *d, void *arg)
{
    if (d->state == STORE_DL_QUEUED)
        ++*(int64_t *) arg;
    return 0;
}

/* What the node is doing, in a line for systemctl status. */
static void s_status (run_t *r, char *buf, size_t cap)
{
    size_t connected = 0, sending = 0;
    for (size_t i = 0; i < r->npeers; i++) {
        connected += r->peers[i]->connected != 0;
        sending += r->peers[i]->out.dataset[0] && r->peers[i]->out.state != OUT_QUEUED;
    }
    int receiving = 0;
    for (int i = 0; i < RUN_MAX_IN; i++)
        receiving += in_active (&r->in[i]);
    int64_t queued = 0;
    if (store_delivery_each_pending (node_db (r->n), s_count_queued, &queued) < 0)
        queued = -1;
    char q[32] = "?";
    if (queued >= 0)
        snprintf (q, sizeof q, "%lld", (long long) queued);
    snprintf (buf, cap, "%zu of %zu peers connected, %s deliveries queued, %zu sending, %d receiving", connected,
              r->npeers, q, sending, receiving);
}

void notify_ready (run_t *r, const char *endpoint)
{
    memset (&s_notify, 0, sizeof s_notify);
    const char *sock = getenv ("NOTIFY_SOCKET");
    s_notify.on = sock && *sock;
    if (!s_notify.on)
        return;
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) > 0 && usec >= 2000)
        s_notify.watchdog_ms = (int64_t) (usec / 2000);
    int64_t now = run_now_ms ();
    s_notify.watchdog_at = now + s_notify.watchdog_ms;
    s_notify.status_at = now + NOTIFY_STATUS_MS;
    s_status (r, s_notify.status, sizeof s_notify.status);
    if (sd_notifyf (0, "READY=1\nSTATUS=listening on %s: %s", endpoint, s_notify.status) <= 0)
        node_log (r->n, "warn", "NOTIFY_SOCKET is set but the service manager could not be told the node is ready");
    if (s_notify.watchdog_ms)
        sd_notify (0, "WATCHDOG=1");
    node_log (r->n, "debug", "told the service manager: ready%s", s_notify.watchdog_ms ? ", watchdog on" : "");
}

void notify_tick (run_t *r, int64_t now)
{
    if (!s_notify.on)
        return;
    if (s_notify.watchdog_ms && s_notify.watchdog_at <= now) {
        sd_notify (0, "WATCHDOG=1");
        s_notify.watchdog_at = now + s_notify.watchdog_ms;
    }
    s_notify.pending = 1;
    if (s_notify.status_at > now)
        return;
    char line[sizeof s_notify.status];
    s_status (r, line, sizeof line);
    s_notify.pending = 0;
    s_notify.status_at = now + NOTIFY_STATUS_MS;
    if (strcmp (line, s_notify.status) == 0)
        return;
    memcpy (s_notify.status, line, sizeof line);
    sd_notifyf (0, "STATUS=%s", line);
    node_log (r->n, "debug", "status: %s", line);
}

int64_t notify_next (int64_t next)
{
    if (!s_notify.on)
        return next;
    /* The watchdog always; a status line only if the loop ran since the
       last (else an idle node would wake every few seconds for nothing). */
    if (s_notify.watchdog_ms && (!next || s_notify.watchdog_at < next))
        next = s_notify.watchdog_at;
    if (s_notify.pending && (!next || s_notify.status_at < next))
        next = s_notify.status_at;
    return next;
}

void notify_stopping (const char *why)
{
    if (s_notify.on)
        sd_notifyf (0, "STOPPING=1\nSTATUS=%s", why);
    s_notify.on = 0;
}
