/*  retention.c: how long this node keeps the content of datasets, the
    ones it received and the ones it published, and its destruction when
    that time ends.

    The IG officer sets a retention per publisher and topic (cdx retention
    set). For data received, a period: when a received dataset has been
    held that long, counted from when it began to arrive, the running node
    destroys its content: the sealed file is unlinked and the content key
    wrapped for this node is zeroed in the store, so that a copy of the
    file left in a backup no longer opens with this node's keys either.
    The dataset's metadata (publisher, topic, version, hash, signed
    manifest) is kept with state "erased", and the erasure is audited
    (action erase, rule retention.expired): an IG officer can show what was
    held and when it was destroyed.

    For content this node published (the same table, with this node as the
    publisher), the same destruction, under either of two rules: the period
    counted from publication (its deliveries not completed by then expire,
    each audited; one under way is let finish first), or, with "delivered"
    set, as soon as every delivery of the version has ended (delivered,
    expired, superseded, cancelled or failed) and a newer version of the
    topic exists, the period then being the longest it is kept (rules
    retention.expired and retention.delivered). A version erased is no
    longer offered to a subscriber that asks for history later; one not
    yet erased still is.

    Transfers still arriving are not touched: they are erased once
    complete, if their time has passed. When data sharing agreements carry
    a retention period, the agreement's period is the one to apply to
    received data (the lower of the two).

    Not for: the SQL (store/), the event loop (node/run/ calls the sweep), a
    delivery's own window (cdx publish --retention: node/run/ expires what is
    not delivered by then).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "sealed.h"

int node_retention_set (node_t *n, const char *publisher, const char *topic, int64_t seconds,
                        int delivered)
{
    /* Checked before anything is audited: the refused value never reaches the log. */
    if (node_check_org (n, "--from", publisher) != 0 || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (seconds < 1 || seconds > NODE_KEEP_MAX)
        return node_fail_input (n, "a retention period is 1 s to %lld days (100 years)",
                                (long long)(NODE_KEEP_MAX / 86400));
    int own = strcmp (publisher, node_self (n)->org) == 0;
    if (delivered && !own)
        return node_fail_input (n, "--delivered is for content this node publishes (--published), "
                                   "not for data received from %s", publisher);
    if (!node_authorize (n, NODE_ROLE_IG, "retention-set", topic)) return -1;
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    store_retention_t r;
    memset (&r, 0, sizeof r);
    snprintf (r.publisher, sizeof r.publisher, "%s", publisher);
    snprintf (r.topic, sizeof r.topic, "%s", topic);
    r.seconds = seconds;
    r.delivered = delivered ? 1 : 0;
    snprintf (r.set_by, sizeof r.set_by, "%s", node_login (n));
    char object[160], rule[360];
    snprintf (object, sizeof object, "%s from %s", topic, publisher);
    node_retention_describe (n, &r, rule, sizeof rule);
    if (store_begin (node_db (n)) != 0) return node_fail (n, "%s", store_error (node_db (n)));
    if (store_retention_put (node_db (n), &r) != 0 ||
        node_audit (n, actor, "retention-set", object, own ? "" : publisher, "allow", "local.retention",
                    "%s", rule) != 0 ||
        store_commit (node_db (n)) != 0) {
        return node_rollback (n, "cannot set the retention");
    }
    node_kick (n);
    return 0;
}

void node_retention_describe (const node_t *n, const store_retention_t *r, char *buf, size_t cap)
{
    char period[48];
    if (r->seconds % 86400 == 0)
        snprintf (period, sizeof period, "%lld days", (long long)(r->seconds / 86400));
    else
        snprintf (period, sizeof period, "%lld s", (long long)r->seconds);
    if (strcmp (r->publisher, node_self (n)->org) != 0)
        snprintf (buf, cap, "content of %s from %s is destroyed %s after it arrives", r->topic,
                  r->publisher, period);
    else if (r->delivered)
        snprintf (buf, cap,
                  "the sealed copy of a published version of %s is destroyed once every delivery of "
                  "it has ended and a newer version exists, or %s after publication",
                  r->topic, period);
    else
        snprintf (buf, cap,
                  "the sealed copy of a published version of %s is destroyed %s after publication "
                  "(deliveries not completed by then expire)",
                  r->topic, period);
}

int node_retention_of (node_t *n, const store_dataset_t *d, char *buf, size_t cap,
                       int64_t *erase_at)
{
    store_retention_t r;
    *erase_at = 0;
    if (buf && cap) buf[0] = 0;
    int got = store_retention_get (node_db (n), d->publisher, d->topic, &r);
    if (got < 0) return node_fail (n, "%s", store_error (node_db (n)));
    if (got == STORE_NOTFOUND) return 0;
    if (buf) node_retention_describe (n, &r, buf, cap);
    *erase_at = d->created + r.seconds;
    return 1;
}

typedef struct {
    node_t *n;
    int64_t now;
    int64_t next; /* earliest deadline still ahead, 0 if none */
    int erased;
    int failed;
    store_retention_t *rules; /* every rule, read once per sweep */
    size_t nrules, cap;
} s_sweep_t;

static int s_rule_load (const store_retention_t *r, void *arg)
{
    s_sweep_t *s = arg;
    if (s->nrules == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        store_retention_t *grown = realloc (s->rules, cap * sizeof *grown);
        if (!grown) return -1;
        s->rules = grown;
        s->cap = cap;
    }
    s->rules[s->nrules++] = *r;
    return 0;
}

/* The rule for PUBLISHER and TOPIC, or NULL: kept. */
static const store_retention_t *s_rule (const s_sweep_t *s, const char *publisher, const char *topic)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (strcmp (s->rules[i].publisher, publisher) == 0 && strcmp (s->rules[i].topic, topic) == 0)
            return &s->rules[i];
    return NULL;
}

/* Unlinks the sealed file of dataset ID, whose key is already destroyed,
   and makes the removal durable. */
static void s_remove_content (node_t *n, const char *id)
{
    char path[NODE_PATH_MAX];
    node_data_path (n, id, path, sizeof path);
    if (unlink (path) != 0 && errno != ENOENT)
        node_log (n, "error", "cannot remove %s: %s (its key is already destroyed)", path,
                  strerror (errno));
    char dir[NODE_PATH_MAX];
    snprintf (dir, sizeof dir, "%s/data", node_home (n));
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync (fd);
        close (fd);
    }
}

/* The deliveries of one published dataset, looked at inside the erasing
   transaction: those still pending; with EXPIRE set, the queued ones
   become expired, each audited. */
typedef struct {
    node_t *n;
    const store_dataset_t *d;
    int expire;
    int sending, queued, expired, failed;
} s_pending_t;

static int s_pending_one (const store_delivery_t *dl, void *arg)
{
    s_pending_t *p = arg;
    if (dl->state == STORE_DL_SENDING) p->sending++;
    if (dl->state != STORE_DL_QUEUED) return 0;
    p->queued++;
    if (!p->expire) return 0;
    store_delivery_t e = *dl;
    e.state = STORE_DL_EXPIRED;
    snprintf (e.error, sizeof e.error, "not delivered before the publisher's retention ended");
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", p->d->topic, (long long)p->d->version, p->d->id);
    if (store_delivery_update (node_db (p->n), &e) != 0 ||
        node_audit (p->n, "node", "expire", object, dl->subscriber, "refuse", "retention.expired",
                    "delivery to %s did not complete before the publisher's retention of the "
                    "content ended (%d attempts, last error: %s)",
                    dl->subscriber, (int)dl->attempts, dl->error[0] ? dl->error : "none") != 0)
        p->failed++;
    else
        p->expired++;
    return 0;
}

/* An erasure that could not be recorded: rolled back (the content stays,
   and is looked at again at the next sweep), logged, counted. 0. */
static int s_erase_failed (s_sweep_t *s, const char *id)
{
    node_log (s->n, "error", "cannot erase %s: %s", id, store_error (node_db (s->n)));
    store_rollback (node_db (s->n));
    s->failed++;
    return 0;
}

/* A version this node published, under a retention row of its own. */
static int s_sweep_published (s_sweep_t *s, const store_dataset_t *d)
{
    node_t *n = s->n;
    const store_retention_t *rule = s_rule (s, d->publisher, d->topic);
    if (strcmp (d->publisher, node_self (n)->org) != 0 || !rule) return 0; /* no rule set: kept */
    store_retention_t r = *rule;
    int64_t deadline = d->created + r.seconds;
    int by_time = deadline <= s->now;
    int newer = r.delivered && store_dataset_last_version (node_db (n), d->publisher, d->topic) > d->version;
    s_pending_t p = {n, d, 0, 0, 0, 0, 0};
    if (store_delivery_each_dataset (node_db (n), d->id, s_pending_one, &p) < 0) {
        s->failed++;
        return 0;
    }
    int by_delivery = newer && p.sending == 0 && p.queued == 0;
    if (!by_time && !by_delivery) {
        /* The delivered rule is looked at again when a delivery ends or a
           version is published: both make the node scan. */
        if (!s->next || deadline < s->next) s->next = deadline;
        return 0;
    }
    if (p.sending > 0) {      /* let the attempt under way finish (or fail) first */
        if (!s->next || s->now + 5 < s->next) s->next = s->now + 5;
        return 0;
    }
    char object[129], hashhex[65], why[200];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long)d->version, d->id);
    cx_hex (d->hash, sizeof d->hash, hashhex);
    if (by_delivery)
        snprintf (why, sizeof why, "every delivery of it has ended and a newer version of %s exists",
                  d->topic);
    else
        snprintf (why, sizeof why, "%lld s since publication have passed", (long long)r.seconds);
    p = (s_pending_t){n, d, by_time, 0, 0, 0, 0};
    if (store_begin (node_db (n)) != 0 || store_delivery_each_dataset (node_db (n), d->id, s_pending_one, &p) < 0 ||
        p.failed) {
        return s_erase_failed (s, d->id);
    }
    if (p.sending || (!by_time && p.queued)) {
        store_rollback (node_db (n));   /* looked at again inside the transaction: still needed, kept */
        return 0;
    }
    if (store_dataset_erase (node_db (n), d->id) != 0 ||
        node_audit (n, "node", "erase", object, "", "allow",
                    by_delivery ? "retention.delivered" : "retention.expired",
                    "retention of published content of %s (set by %s): %s; sealed copy destroyed "
                    "(%lld bytes, file and content key), metadata kept; %d undelivered cop%s "
                    "expired; blake2b %s",
                    d->topic, r.set_by, why, (long long)d->bytes, p.expired,
                    p.expired == 1 ? "y" : "ies", hashhex) != 0 ||
        store_commit (node_db (n)) != 0) {
        return s_erase_failed (s, d->id);
    }
    s_remove_content (n, d->id);
    node_log (n, "info", "erased the sealed copy of %s v%lld published here: %s", d->topic,
              (long long)d->version, why);
    s->erased++;
    return 0;
}

static int s_sweep_one (const store_dataset_t *d, void *arg)
{
    s_sweep_t *s = arg;
    node_t *n = s->n;
    char path[NODE_PATH_MAX];
    node_data_path (n, d->id, path, sizeof path);
    if (d->state == STORE_DS_ERASED) {
        /* A crash between the commit and the unlink leaves a file whose
           key is already gone: remove it now. */
        if (unlink (path) == 0)
            node_log (n, "info", "removed the leftover content file of erased dataset %s", d->id);
        return 0;
    }
    if (d->state == STORE_DS_PUBLISHED) return s_sweep_published (s, d);
    if (d->state != STORE_DS_AVAILABLE && d->state != STORE_DS_FAILED)
        return 0; /* still arriving */
    const store_retention_t *rule = s_rule (s, d->publisher, d->topic);
    if (!rule) return 0; /* no period set: kept */
    store_retention_t r = *rule;
    int64_t deadline = d->created + r.seconds;
    if (deadline > s->now) {
        if (!s->next || deadline < s->next) s->next = deadline;
        return 0;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long)d->version, d->id);
    char hashhex[65];
    cx_hex (d->hash, sizeof d->hash, hashhex);
    if (store_begin (node_db (n)) != 0 || store_dataset_erase (node_db (n), d->id) != 0 ||
        node_audit (
            n, "node", "erase", object, d->publisher, "allow", "retention.expired",
            "retention of %lld s for %s from %s (set by %s) ended: content destroyed (%lld bytes, "
            "file and content key), metadata kept; blake2b %s",
            (long long)r.seconds, d->topic, d->publisher, r.set_by, (long long)d->bytes,
            hashhex) != 0 ||
        store_commit (node_db (n)) != 0) {
        return s_erase_failed (s, d->id);
    }
    s_remove_content (n, d->id);
    node_log (n, "info", "erased %s v%lld from %s: retention of %lld s ended", d->topic,
              (long long)d->version, d->publisher, (long long)r.seconds);
    s->erased++;
    return 0;
}

int node_retention_sweep (node_t *n, int64_t *next)
{
    s_sweep_t s = {n, (int64_t)time (NULL), 0, 0, 0, NULL, 0, 0};
    if (next) *next = 0;
    /* Rules are never removed, so without one nothing was ever erased
       (no leftover to clean up either) and nothing is due: the datasets
       are not read at all, which keeps a node's scan cheap. */
    int rc = store_retention_each (node_db (n), s_rule_load, &s);
    if (rc == 0 && s.nrules > 0) rc = store_dataset_each (node_db (n), s_sweep_one, &s);
    free (s.rules);
    if (rc != 0) return node_fail (n, "%s", rc < 0 ? store_error (node_db (n)) : "out of memory");
    if (next) *next = s.next;
    return s.failed ? node_fail (n, "%d dataset(s) could not be erased", s.failed) : s.erased;
}
