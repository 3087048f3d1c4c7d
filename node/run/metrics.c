/*  metrics.c: the running node's /metrics (see metrics.h).

    What a scrape says, and where each figure comes from:
    - counters (deliveries and receptions by peer and outcome, bytes
      delivered and received, refusals by rule) are counted from the
      audit log, which is append-only (triggers refuse UPDATE and DELETE):
      every entry since the node was made, read once, then only the
      entries written since the last scrape; so they never go down, and
      a restart finds them as they were;
    - the histogram of transfer durations likewise, from each delivery
      the log records as made (its row: from the start of the attempt
      that completed to the receipt, final once delivered);
    - the gauges from node_status_collect (queues, expiries, checkpoint,
      disk) and, for the transfers in progress, the running node's own
      memory: exact bytes and the rate of the attempt under way, at both
      ends.

    Not for: the format (expo.c), HTTP beyond answering GET /metrics.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "expo.h"
#include "metrics.h"
#include "status.h"

#define S_SERIES_MAX 1024   /* per family: past it, one series "other" */
#define S_PEERS_MAX  256    /* histograms by peer: past it, "other" */

/* Upper bounds of the transfer duration buckets, seconds. */
static const double s_bounds[] = {1, 5, 15, 60, 300, 900, 3600, 14400};
#define S_NBOUNDS (sizeof s_bounds / sizeof s_bounds[0])

typedef struct {
    char a[49];               /* peer or rule */
    char b[16];               /* outcome, or "" */
    double v;
} s_series_t;

typedef struct {
    s_series_t *rows;
    size_t n, cap;
} s_table_t;

struct metrics {
    struct MHD_Daemon *d;
    int fd;                   /* the daemon's epoll descriptor */
    int64_t due;              /* its next deadline (ms, monotonic), 0 none */
    int64_t started;          /* this run's start, unix seconds */
    int64_t seq;              /* audit entries counted: up to this seq */
    s_table_t deliveries, receptions, sent_bytes, received_bytes, refusals;
    struct s_hist *hist;      /* transfer durations by subscriber (S_PEERS_MAX) */
    size_t nhist;
};


/* ---- the histogram of transfer durations ------------------------------------ */

typedef struct s_hist {
    char peer[17];
    uint64_t cum[S_NBOUNDS];
    uint64_t count;
    double sum;
} s_hist_t;

/* A delivery made to PEER in SECONDS, into its histogram. */
static void s_took (struct metrics *m, const char *peer, int64_t seconds)
{
    if (!m->hist && !(m->hist = calloc (S_PEERS_MAX, sizeof *m->hist)))
        return;
    s_hist_t *h = NULL;
    for (size_t i = 0; i < m->nhist && !h; i++)
        if (strcmp (m->hist[i].peer, peer) == 0)
            h = &m->hist[i];
    if (!h) {
        size_t i = m->nhist < S_PEERS_MAX ? m->nhist++ : S_PEERS_MAX - 1;
        h = &m->hist[i];
        snprintf (h->peer, sizeof h->peer, "%s", i == S_PEERS_MAX - 1 ? "other" : peer);
    }
    for (size_t b = 0; b < S_NBOUNDS; b++)
        if ((double) seconds <= s_bounds[b])
            h->cum[b]++;
    h->count++;
    h->sum += (double) seconds;
}

/* An allowed deliver entry: the delivery it records (its object is
   "TOPIC vN ID"), whose row is final once the entry is written (they
   commit together), timed from the start of the attempt that completed
   to the receipt. */
static void s_delivered (run_t *r, const store_audit_t *e)
{
    const char *id = strrchr (e->object, ' ');
    store_delivery_t *d = malloc (sizeof *d);
    if (id && d && store_delivery_get (node_db (r->n), id + 1, e->peer, d) == 0 && d->started > 0 &&
        d->updated >= d->started)
        s_took (r->metrics, e->peer, d->updated - d->started);
    free (d);
}

static void s_durations (run_t *r, expo_t *e)
{
    struct metrics *m = r->metrics;
    expo_family (e, "cdx_transfer_duration_seconds", "histogram",
                 "Deliveries made: seconds from the start of the attempt that completed to the receipt, by "
                 "subscriber.");
    for (size_t i = 0; i < m->nhist; i++)
        expo_histogram (e, "cdx_transfer_duration_seconds", "peer", m->hist[i].peer, s_bounds, m->hist[i].cum,
                        S_NBOUNDS, m->hist[i].count, m->hist[i].sum);
}

/* ---- counters from the audit log ----------------------------------------- */

static void s_add (s_table_t *t, const char *a, const char *b, double v)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp (t->rows[i].a, a) == 0 && strcmp (t->rows[i].b, b) == 0) {
            t->rows[i].v += v;
            return;
        }
    if (t->n >= S_SERIES_MAX && strcmp (a, "other") != 0) {
        s_add (t, "other", b, v);
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        s_series_t *grown = realloc (t->rows, cap * sizeof *grown);
        if (!grown)
            return;           /* a count lost, never a crash: out of memory */
        t->rows = grown;
        t->cap = cap;
    }
    s_series_t *row = &t->rows[t->n++];
    snprintf (row->a, sizeof row->a, "%s", a);
    snprintf (row->b, sizeof row->b, "%s", b);
    row->v = v;
}

/* The bytes an allowed deliver or receive entry names ("N bytes ..."). */
static double s_bytes (const char *detail)
{
    char *end;
    long long v = strtoll (detail, &end, 10);
    return end != detail && v > 0 && strncmp (end, " bytes", 6) == 0 ? (double) v : 0;
}

static int s_count (const store_audit_t *e, void *arg)
{
    run_t *r = arg;
    struct metrics *m = r->metrics;
    m->seq = e->seq;
    int allow = strcmp (e->decision, "allow") == 0;
    const char *peer = e->peer[0] ? e->peer : "none";
    if (strcmp (e->action, "deliver") == 0) {
        s_add (&m->deliveries, peer, allow ? "delivered" : "refused", 1);
        if (allow) {
            s_add (&m->sent_bytes, peer, "", s_bytes (e->detail));
            s_delivered (r, e);
        }
    } else if (strcmp (e->action, "offer") == 0 && allow) {
        s_add (&m->deliveries, peer, "offered", 1);
    } else if (strcmp (e->action, "send") == 0 && !allow) {
        size_t len = strlen (e->detail), tail = strlen ("; will retry");
        int retry = len >= tail && strcmp (e->detail + len - tail, "; will retry") == 0;
        s_add (&m->deliveries, peer, strncmp (e->rule, "policy.", 7) == 0 ? "refused" : retry ? "retried" : "failed", 1);
    } else if (strcmp (e->action, "expire") == 0 && strcmp (e->rule, "delivery.expired") == 0) {
        s_add (&m->deliveries, peer, "expired", 1);
    } else if (strcmp (e->action, "receive") == 0) {
        s_add (&m->receptions, peer, allow ? "received" : "refused", 1);
        if (allow)
            s_add (&m->received_bytes, peer, "", s_bytes (e->detail));
    } else if (strcmp (e->action, "abandon") == 0) {
        s_add (&m->receptions, peer, "abandoned", 1);
    }
    if (!allow)
        s_add (&m->refusals, e->rule[0] ? e->rule : "none", "", 1);
    return 0;
}

static void s_table (expo_t *e, const s_table_t *t, const char *name, const char *type, const char *help,
                     const char *ka, const char *kb)
{
    expo_family (e, name, type, help);
    for (size_t i = 0; i < t->n; i++)
        if (kb)
            expo_sample (e, name, t->rows[i].v, ka, t->rows[i].a, kb, t->rows[i].b, NULL);
        else
            expo_sample (e, name, t->rows[i].v, ka, t->rows[i].a, NULL);
}

static void s_counters (run_t *r, expo_t *e)
{
    struct metrics *m = r->metrics;
    if (store_audit_each_from (node_db (r->n), m->seq + 1, s_count, r) < 0)
        node_log (r->n, "error", "metrics: %s", store_error (node_db (r->n)));
    s_table (e, &m->deliveries, "cdx_deliveries_total", "counter",
             "Deliveries to subscribers by outcome (offered, delivered, retried, failed, refused, expired), "
             "from the audit log since the node was made.", "peer", "outcome");
    s_table (e, &m->receptions, "cdx_receptions_total", "counter",
             "Datasets from publishers by outcome (received, refused, abandoned), from the audit log.", "peer",
             "outcome");
    s_table (e, &m->sent_bytes, "cdx_delivered_bytes_total", "counter",
             "Bytes of datasets delivered with a signed receipt, by subscriber.", "peer", NULL);
    s_table (e, &m->received_bytes, "cdx_received_bytes_total", "counter",
             "Bytes of datasets received and verified, by publisher.", "peer", NULL);
    s_table (e, &m->refusals, "cdx_refusals_total", "counter",
             "Refusals recorded in the audit log, by rule (past 30 a minute a peer's are one audit.rate-limit "
             "entry).", "rule", NULL);
    expo_family (e, "cdx_audit_entries_total", "counter", "Entries in the audit log.");
    expo_sample (e, "cdx_audit_entries_total", (double) m->seq, NULL);
}

/* ---- transfers in progress, from memory ----------------------------------- */

typedef struct {
    const char *dir, *peer, *dataset, *topic;
    double done, bytes, rate;
} s_xfer_t;

/* Bytes of CHUNKS chunks moved in the attempt begun at SINCE_MS, per second at NOW. */
static double s_rate (int64_t chunks, int64_t chunk_size, int64_t since_ms, int64_t now)
{
    if (since_ms <= 0 || now <= since_ms || chunks <= 0)
        return 0;
    return (double) chunks * (double) chunk_size * 1000.0 / (double) (now - since_ms);
}

static size_t s_xfers (run_t *r, s_xfer_t *out, size_t cap)
{
    int64_t now = run_now_ms ();
    size_t n = 0;
    for (size_t i = 0; i < r->npeers && n < cap; i++) {
        const out_xfer_t *x = &r->peers[i]->out;
        if (!x->dataset[0] || x->state == OUT_QUEUED)
            continue;
        int64_t done = x->acked * x->chunk_size < x->bytes ? x->acked * x->chunk_size : x->bytes;
        out[n++] = (s_xfer_t){"send", r->peers[i]->info.org, x->dataset, x->topic, (double) done, (double) x->bytes,
                              s_rate (x->acked - x->session_from, x->chunk_size, x->session_ms, now)};
    }
    for (int i = 0; i < RUN_MAX_IN && n < cap; i++) {
        const in_xfer_t *x = &r->in[i];
        if (!in_active (x))
            continue;
        int64_t done = x->next * x->chunk_size < x->bytes ? x->next * x->chunk_size : x->bytes;
        out[n++] = (s_xfer_t){"receive", x->publisher, x->dataset, x->topic, (double) done, (double) x->bytes,
                              s_rate (x->next - x->session_from, x->chunk_size, x->session_ms, now)};
    }
    return n;
}

static void s_transfers (run_t *r, expo_t *e)
{
    s_xfer_t *x = calloc (RUN_MAX_IN + r->npeers + 1, sizeof *x);
    if (!x)
        return;
    size_t n = s_xfers (r, x, RUN_MAX_IN + r->npeers + 1);
    int sending = 0;
    for (size_t i = 0; i < n; i++)
        sending += strcmp (x[i].dir, "send") == 0;
    expo_family (e, "cdx_transfers_in_progress", "gauge", "Transfers under way now.");
    expo_sample (e, "cdx_transfers_in_progress", sending, "direction", "send", NULL);
    expo_sample (e, "cdx_transfers_in_progress", (double) n - sending, "direction", "receive", NULL);
    static const char *const names[4] = {"cdx_transfer_done_bytes", "cdx_transfer_size_bytes",
                                         "cdx_transfer_rate_bytes_per_second", "cdx_transfer_eta_seconds"};
    static const char *const helps[4] = {
        "Bytes of a transfer in progress acknowledged by the subscriber (send) or received (receive).",
        "The size of a dataset being transferred.",
        "Bytes per second of the attempt under way (what a resumed transfer had already is not counted).",
        "Seconds until a transfer in progress ends at its present rate (absent while it has no rate)."};
    for (int k = 0; k < 4; k++) {
        expo_family (e, names[k], "gauge", helps[k]);
        for (size_t i = 0; i < n; i++) {
            double v = k == 0 ? x[i].done : k == 1 ? x[i].bytes : x[i].rate;
            if (k == 3 && (x[i].rate <= 0 || x[i].bytes < x[i].done))
                continue;
            if (k == 3)
                v = (x[i].bytes - x[i].done) / x[i].rate;
            expo_sample (e, names[k], v, "direction", x[i].dir, "peer", x[i].peer, "dataset", x[i].dataset, "topic",
                         x[i].topic, NULL);
        }
    }
    free (x);
}

/* ---- gauges from the store ------------------------------------------------ */

static void s_gauge (expo_t *e, const char *name, const char *help, double v)
{
    expo_family (e, name, "gauge", help);
    expo_sample (e, name, v, NULL);
}

static void s_peers (expo_t *e, const node_status_t *st)
{
    static const struct {
        const char *name, *help;
    } f[] = {
        {"cdx_peer_connected", "1 while this node's connection to the peer is up."},
        {"cdx_peer_last_seen_timestamp_seconds", "When the peer was last connected or heard from (unix time)."},
        {"cdx_queue_deliveries", "Deliveries to a subscriber not yet delivered, by state (queued, sending)."},
        {"cdx_queue_oldest_age_seconds", "Age of the oldest delivery to a subscriber not yet delivered."},
        {"cdx_queue_failing_deliveries", "Deliveries waiting whose last attempt failed."},
        {"cdx_peer_certificate_expiry_seconds", "Seconds until a certified peer's certificate ends (negative: ended)."},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        expo_family (e, f[k].name, "gauge", f[k].help);
        for (size_t i = 0; i < st->npeers; i++) {
            const node_status_peer_t *p = &st->peers[i];
            if (k == 0 && p->connected >= 0)
                expo_sample (e, f[k].name, p->connected, "peer", p->org, NULL);
            else if (k == 1 && p->last_seen)
                expo_sample (e, f[k].name, (double) p->last_seen, "peer", p->org, NULL);
            else if (k == 2) {
                expo_sample (e, f[k].name, (double) p->queued, "peer", p->org, "state", "queued", NULL);
                expo_sample (e, f[k].name, (double) p->sending, "peer", p->org, "state", "sending", NULL);
            } else if (k == 3)
                expo_sample (e, f[k].name, p->oldest ? (double) (st->now - p->oldest) : 0, "peer", p->org, NULL);
            else if (k == 4)
                expo_sample (e, f[k].name, (double) p->failing, "peer", p->org, NULL);
            else if (k == 5 && p->not_after)
                expo_sample (e, f[k].name, (double) (p->not_after - st->now), "peer", p->org, NULL);
        }
    }
}

typedef struct {
    expo_t *e;
    node_t *n;
    int64_t now;
} s_agr_t;

static int s_agreement (const store_agreement_t *a, void *arg)
{
    s_agr_t *g = arg;
    if (strcmp (node_agreement_state (a, g->now), "in-force") != 0)
        return 0;
    const char *other = strcmp (a->provider, node_self (g->n)->org) == 0 ? a->recipient : a->provider;
    expo_sample (g->e, "cdx_agreement_expiry_seconds", (double) (a->end - g->now), "ref", a->ref, "peer", other, NULL);
    return 0;
}

static void s_store_gauges (run_t *r, expo_t *e)
{
    node_status_t st;
    if (node_status_collect (r->n, &st, 0) != 0) {
        node_log (r->n, "error", "metrics: %s", node_error (r->n));
        node_status_free (&st);
        return;
    }
    s_peers (e, &st);
    if (st.cert_not_after)
        s_gauge (e, "cdx_certificate_expiry_seconds", "Seconds until this node's certificate ends (negative: ended).",
                 (double) (st.cert_not_after - st.now));
    if (st.dir_serial) {
        s_gauge (e, "cdx_directory_expiry_seconds", "Seconds until the directory held expires (negative: expired).",
                 (double) (st.dir_expires - st.now));
        s_gauge (e, "cdx_directory_serial", "Serial of the directory held.", (double) st.dir_serial);
    }
    expo_family (e, "cdx_agreement_expiry_seconds", "gauge", "Seconds until an agreement in force ends.");
    s_agr_t g = {e, r->n, st.now};
    if (store_agreement_each (node_db (r->n), s_agreement, &g) < 0)
        node_log (r->n, "error", "metrics: %s", store_error (node_db (r->n)));
    if (st.checkpoint_at)
        s_gauge (e, "cdx_audit_checkpoint_age_seconds", "Seconds since the last signed audit checkpoint.",
                 (double) (st.now - st.checkpoint_at));
    s_gauge (e, "cdx_audit_uncovered_entries", "Audit entries after the last signed checkpoint.",
             (double) (st.audit_seq - st.checkpoint_seq));
    if (st.disk_free >= 0) {
        s_gauge (e, "cdx_disk_free_bytes", "Bytes free to the node on its home's file system.", (double) st.disk_free);
        s_gauge (e, "cdx_disk_size_bytes", "Size of the home's file system.", (double) st.disk_size);
    }
    node_status_limits_t lim;
    node_status_limits_default (&lim);
    s_gauge (e, "cdx_attention", "Things that need attention, as cdx status counts them (0: healthy).",
             (double) node_status_attention (&st, &lim, NULL, NULL));
    node_status_free (&st);
}

char *metrics_text (run_t *r, size_t *len)
{
    expo_t e;
    expo_init (&e);
    s_gauge (&e, "cdx_up", "1 while the node runs.", 1);
    expo_family (&e, "cdx_build_info", "gauge", "The node's version and organisation.");
    expo_sample (&e, "cdx_build_info", 1, "version", CDX_VERSION, "org", node_self (r->n)->org, NULL);
    s_gauge (&e, "cdx_start_time_seconds", "When this run of the node started (unix time).",
             (double) r->metrics->started);
    s_counters (r, &e);
    s_durations (r, &e);
    s_transfers (r, &e);
    s_store_gauges (r, &e);
    return expo_take (&e, len);
}

/* ---- the daemon ------------------------------------------------------------- */

/* TEXT as a socket address: a numeric IPv4 address or [IPv6], ':' and a
   port 1-65535. 0, or -1 with the reason in ERR. */
static int s_parse (const char *text, struct sockaddr_storage *sa, int *v6, char *err, size_t errlen)
{
    memset (sa, 0, sizeof *sa);
    const char *colon = strrchr (text, ':');
    char host[64];
    size_t hl = colon ? (size_t) (colon - text) : 0;
    if (!colon || hl == 0 || hl >= sizeof host) {
        snprintf (err, errlen, "--metrics wants ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
        return -1;
    }
    memcpy (host, text, hl);
    host[hl] = 0;
    const char *p = colon + 1;
    long port = 0;
    for (; *p >= '0' && *p <= '9' && port <= 65535; p++)
        port = port * 10 + (*p - '0');
    if (p == colon + 1 || *p || port < 1 || port > 65535 || colon[1] == '0') {
        snprintf (err, errlen, "--metrics: the port must be a number from 1 to 65535 (ADDR:PORT, e.g. 127.0.0.1:9464)");
        return -1;
    }
    *v6 = host[0] == '[';
    if (*v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) sa;
        if (hl < 3 || host[hl - 1] != ']') {
            snprintf (err, errlen, "--metrics: an IPv6 address is written in brackets, e.g. [::1]:9464");
            return -1;
        }
        host[hl - 1] = 0;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons ((uint16_t) port);
        if (inet_pton (AF_INET6, host + 1, &s6->sin6_addr) != 1) {
            snprintf (err, errlen, "--metrics: not a numeric IPv6 address in brackets (e.g. [::1]:9464)");
            return -1;
        }
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *) sa;
        s4->sin_family = AF_INET;
        s4->sin_port = htons ((uint16_t) port);
        if (inet_pton (AF_INET, host, &s4->sin_addr) != 1) {
            snprintf (err, errlen,
                      "--metrics: the address must be numeric, e.g. 127.0.0.1:9464 (a name is not looked up: "
                      "bind only where told)");
            return -1;
        }
    }
    return 0;
}

int node_metrics_check (const char *text, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    int v6;
    return s_parse (text, &sa, &v6, err, errlen);
}

static enum MHD_Result s_answer (struct MHD_Connection *c, unsigned status, char *body, size_t len,
                                 const char *type)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer (len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (resp, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response (c, status, resp);
    MHD_destroy_response (resp);
    return ret;
}

static enum MHD_Result s_request (void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    run_t *r = cls;
    (void) version;
    (void) upload;
    if (*upload_size) {       /* a body to a GET: not read, the answer is the same */
        *upload_size = 0;
        return MHD_YES;
    }
    (void) state;
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_answer (c, MHD_HTTP_METHOD_NOT_ALLOWED, strdup ("only GET /metrics\n"), 18, "text/plain");
    if (strcmp (url, "/metrics") != 0)
        return s_answer (c, MHD_HTTP_NOT_FOUND, strdup ("not found: GET /metrics\n"), 24, "text/plain");
    size_t len = 0;
    char *text = metrics_text (r, &len);
    if (!text)
        return MHD_NO;
    return s_answer (c, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

int metrics_start (run_t *r, const char *addr)
{
    char err[256];
    struct sockaddr_storage sa;
    int v6;
    if (s_parse (addr, &sa, &v6, err, sizeof err) != 0)
        return node_fail (r->n, "%s", err);
    struct metrics *m = calloc (1, sizeof *m);
    if (!m)
        return node_fail (r->n, "out of memory");
    m->fd = -1;
    m->started = (int64_t) time (NULL);
    r->metrics = m;
    errno = 0;
    m->d = MHD_start_daemon (MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, s_request, r,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa, MHD_OPTION_CONNECTION_LIMIT,
                             (unsigned) 16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10, MHD_OPTION_END);
    if (!m->d)
        return node_fail (r->n, "cannot serve metrics on %s: %s (is another process using that port?)", addr,
                          errno ? strerror (errno) : "libmicrohttpd refused to start");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (m->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info)
        return node_fail (r->n, "cannot serve metrics on %s: no epoll descriptor", addr);
    m->fd = info->epoll_fd;
    node_log (r->n, "info", "serving metrics on http://%s/metrics", addr);
    return 0;
}

void metrics_stop (run_t *r)
{
    struct metrics *m = r->metrics;
    if (!m)
        return;
    if (m->d)
        MHD_stop_daemon (m->d);
    s_table_t *t[5] = {&m->deliveries, &m->receptions, &m->sent_bytes, &m->received_bytes, &m->refusals};
    for (int i = 0; i < 5; i++)
        free (t[i]->rows);
    free (m->hist);
    free (m);
    r->metrics = NULL;
}

zmq_pollitem_t metrics_item (run_t *r)
{
    int fd = r->metrics ? r->metrics->fd : -1;
    return (zmq_pollitem_t){NULL, fd, (short) (fd >= 0 ? ZMQ_POLLIN : 0), 0};
}

long metrics_timeout (run_t *r, long timeout)
{
    struct metrics *m = r->metrics;
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (!m || !m->d || MHD_get_timeout (m->d, &ms) != MHD_YES) {
        if (m)
            m->due = 0;
        return timeout;
    }
    if (ms > 3600000)
        ms = 3600000;
    m->due = run_now_ms () + (int64_t) ms;
    return timeout < 0 || (long) ms < timeout ? (long) ms : timeout;
}

void metrics_serve (run_t *r, short revents)
{
    struct metrics *m = r->metrics;
    if (m && m->d && ((revents & ZMQ_POLLIN) || (m->due && m->due <= run_now_ms ())))
        MHD_run (m->d);
}
