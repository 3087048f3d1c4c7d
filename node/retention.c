/*  retention.c: how long this node keeps the content of datasets it
    received, and its destruction when that time ends.

    The IG officer sets a retention period per publisher and topic (cdx
    retention set). When a received dataset has been held that long,
    counted from when it began to arrive, the running node destroys its
    content: the sealed file is unlinked and the content key wrapped for
    this node is zeroed in the store, so that a copy of the file left in
    a backup no longer opens with this node's keys either. The dataset's
    metadata (publisher, topic, version, hash, signed manifest) is kept
    with state "erased", and the erasure is audited (action erase, rule
    retention.expired): an IG officer can show what was held and when it
    was destroyed.

    Datasets this node published are not touched here (their "expires" is
    the publisher's delivery window, run.c); neither are transfers still
    arriving: they are erased once complete, if their time has passed.
    When data sharing agreements carry a retention period, the agreement's
    period is the one to apply here (the lower of the two).

    Not for: the SQL (store.c), the event loop (run.c calls the sweep).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node_internal.h"

int node_retention_set (node_t *n, const char *publisher, const char *topic, int64_t seconds)
{
    /* Checked before anything is audited: the refused value never reaches the log. */
    if (node_check_org (n, "--from", publisher) != 0 || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (seconds < 1 || seconds > NODE_KEEP_MAX)
        return node_fail_input (n, "a retention period is 1 s to %lld days (100 years)",
                                (long long)(NODE_KEEP_MAX / 86400));
    if (!node_authorize (n, NODE_ROLE_IG, "retention-set", topic)) return -1;
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    store_retention_t r;
    memset (&r, 0, sizeof r);
    snprintf (r.publisher, sizeof r.publisher, "%s", publisher);
    snprintf (r.topic, sizeof r.topic, "%s", topic);
    r.seconds = seconds;
    snprintf (r.set_by, sizeof r.set_by, "%s", n->login);
    char object[160];
    snprintf (object, sizeof object, "%s from %s", topic, publisher);
    if (store_begin (n->store) != 0) return node_fail (n, "%s", store_error (n->store));
    if (store_retention_put (n->store, &r) != 0 ||
        node_audit (n, actor, "retention-set", object, publisher, "allow", "local.retention",
                    "content of %s from %s is destroyed %lld s after it arrives", topic, publisher,
                    (long long)seconds) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "cannot set the retention: %s", store_error (n->store));
        store_rollback (n->store);
        return -1;
    }
    node_kick (n);
    return 0;
}

typedef struct {
    node_t *n;
    int64_t now;
    int64_t next; /* earliest deadline still ahead, 0 if none */
    int erased;
    int failed;
} s_sweep_t;

static int s_sweep_one (const store_dataset_t *d, void *arg)
{
    s_sweep_t *s = arg;
    node_t *n = s->n;
    char path[NODE_PATH_MAX];
    node_data_path (n, d->id, path, sizeof path);
    if (strcmp (d->state, "erased") == 0) {
        /* A crash between the commit and the unlink leaves a file whose
           key is already gone: remove it now. */
        if (unlink (path) == 0)
            node_log (n, "info", "removed the leftover content file of erased dataset %s", d->id);
        return 0;
    }
    if (strcmp (d->state, "available") != 0 && strcmp (d->state, "failed") != 0)
        return 0; /* published here, or still arriving */
    store_retention_t r;
    if (store_retention_get (n->store, d->publisher, d->topic, &r) != 0)
        return 0; /* no period set: kept */
    int64_t deadline = d->created + r.seconds;
    if (deadline > s->now) {
        if (!s->next || deadline < s->next) s->next = deadline;
        return 0;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long)d->version, d->id);
    char hashhex[65];
    cx_hex (d->hash, sizeof d->hash, hashhex);
    if (store_begin (n->store) != 0 || store_dataset_erase (n->store, d->id) != 0 ||
        node_audit (
            n, "node", "erase", object, d->publisher, "allow", "retention.expired",
            "retention of %lld s for %s from %s (set by %s) ended: content destroyed (%lld bytes, "
            "file and content key), metadata kept; blake2b %s",
            (long long)r.seconds, d->topic, d->publisher, r.set_by, (long long)d->bytes,
            hashhex) != 0 ||
        store_commit (n->store) != 0) {
        node_log (n, "error", "cannot erase %s: %s", d->id, store_error (n->store));
        store_rollback (n->store);
        s->failed++;
        return 0;
    }
    if (unlink (path) != 0 && errno != ENOENT)
        node_log (n, "error", "cannot remove %s: %s (its key is already destroyed)", path,
                  strerror (errno));
    char dir[NODE_PATH_MAX];
    snprintf (dir, sizeof dir, "%s/data", n->home);
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync (fd);
        close (fd);
    }
    node_log (n, "info", "erased %s v%lld from %s: retention of %lld s ended", d->topic,
              (long long)d->version, d->publisher, (long long)r.seconds);
    s->erased++;
    return 0;
}

int node_retention_sweep (node_t *n, int64_t *next)
{
    s_sweep_t s = {n, (int64_t)time (NULL), 0, 0, 0};
    if (store_dataset_each (n->store, s_sweep_one, &s) < 0)
        return node_fail (n, "%s", store_error (n->store));
    if (next) *next = s.next;
    return s.failed ? node_fail (n, "%d dataset(s) could not be erased", s.failed) : s.erased;
}
