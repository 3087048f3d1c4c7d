/*  report.c: what the running node says of its transfers: progress for
    listings (the store) at most once a second, and in the log every 5 s.

    Not for: the transfers themselves (outgoing.c, incoming.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "home.h"
#include "run_internal.h"

void report_soon (run_t *r)
{
    int64_t at = run_now_ms () + RUN_PROGRESS_MS;
    if (!r->progress_at || at < r->progress_at)
        r->progress_at = at;
}

/* "12.0 of 64.0 MiB (18%), 2.1 MiB/s, ETA 25 s", or the stall, into BUF. */
static void s_progress_words (int64_t done, int64_t total, int64_t session_bytes, int64_t session_ms,
                              int64_t still_ms, char *buf, size_t cap)
{
    double rate = session_ms > 0 ? (double) session_bytes * 1000.0 / (double) session_ms : 0;
    int len = snprintf (buf, cap, "%.1f of %.1f MiB (%.0f%%), %.2f MiB/s this attempt", (double) done / 1048576.0,
                        (double) total / 1048576.0, total > 0 ? 100.0 * (double) done / (double) total : 100.0,
                        rate / 1048576.0);
    if (len < 0 || (size_t) len >= cap)
        return;
    if (still_ms >= NODE_STALL_MS)
        snprintf (buf + len, cap - (size_t) len, ", no progress for %lld s", (long long) (still_ms / 1000));
    else if (rate > 0)
        snprintf (buf + len, cap - (size_t) len, ", ETA %.0f s", (double) (total - done) / rate);
}

static int64_t s_bytes_of (int64_t chunks, int64_t chunk_size, int64_t bytes)
{
    int64_t done = chunks * chunk_size;
    return done < bytes ? done : bytes;
}

static void s_out_progress (run_t *r, peer_t *p, int64_t now)
{
    out_xfer_t *x = &p->out;
    if (!x->dataset[0] || !x->session_ms || (x->state != OUT_SENDING && x->state != OUT_AWAIT_RECEIPT))
        return;
    int64_t done = s_bytes_of (x->acked, x->chunk_size, x->bytes);
    int64_t session = done - s_bytes_of (x->session_from, x->chunk_size, x->bytes);
    if (now - x->noted_ms >= RUN_PROGRESS_MS) {
        store_delivery_t d;
        memset (&d, 0, sizeof d);
        snprintf (d.dataset, sizeof d.dataset, "%s", x->dataset);
        snprintf (d.subscriber, sizeof d.subscriber, "%s", peer_to (r, p));
        d.next_chunk = x->acked;
        d.session_bytes = session > 0 ? session : 0;
        d.session_ms = (x->moved_ms > x->session_ms ? x->moved_ms : now) - x->session_ms;
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        d.progress_at = (int64_t) ts.tv_sec * 1000 - (now - x->moved_ms) + ts.tv_nsec / 1000000;
        if (store_delivery_progress (node_db (r->n), &d) != 0)
            node_log (r->n, "error", "cannot record progress: %s", store_error (node_db (r->n)));
        x->noted_ms = now;
    }
    if (now - x->logged_ms >= RUN_PROGRESS_LOG_MS) {
        char words[160];
        s_progress_words (done, x->bytes, session, x->moved_ms - x->session_ms, now - x->moved_ms, words,
                          sizeof words);
        node_log (r->n, "info", "sending %s v%lld (%s) to %s: %s", x->topic, (long long) x->version, x->dataset,
                  p->info.org, words);
        x->logged_ms = now;
    }
}

static void s_in_progress (run_t *r, in_xfer_t *x, int64_t now)
{
    if (!x->session_ms || now - x->logged_ms < RUN_PROGRESS_LOG_MS)
        return;
    int64_t done = s_bytes_of (x->next, x->chunk_size, x->bytes);
    int64_t session = done - s_bytes_of (x->session_from, x->chunk_size, x->bytes);
    char words[160];
    s_progress_words (done, x->bytes, session, x->last_activity - x->session_ms, now - x->last_activity, words,
                      sizeof words);
    node_log (r->n, "info", "receiving %s v%lld (%s) from %s: %s", x->topic, (long long) x->version, x->dataset,
              x->publisher, words);
    x->logged_ms = now;
    x->logged_next = x->next;
}

/* Called from the timers: records and logs the progress of every running
   transfer that is due, and says when to look again. */
void report_tick (run_t *r, int64_t now)
{
    if (!r->progress_at || now < r->progress_at)
        return;
    int busy = 0;
    for (size_t i = 0; i < r->npeers; i++) {
        s_out_progress (r, r->peers[i], now);
        busy |= r->peers[i]->out.dataset[0] && r->peers[i]->out.session_ms;
    }
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i])) {
            s_in_progress (r, &r->in[i], now);
            busy = 1;
        }
    r->progress_at = busy ? now + RUN_PROGRESS_MS : 0;
}
