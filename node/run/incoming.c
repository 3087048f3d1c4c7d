/*  incoming.c: the subscriber side of a transfer, kept in memory while it
    runs: durable progress, pauses, abandonment, the checks at its end and
    the receipt.

    Not for: the messages that drive it (receive.c).
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
#include "sealed.h"

in_xfer_t *in_find (run_t *r, const uint8_t dsid[16])
{
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (in_active (&r->in[i]) && memcmp (r->in[i].dsid, dsid, 16) == 0)
            return &r->in[i];
    return NULL;
}

void in_release (in_xfer_t *x)
{
    if (x->hasher)
        node_hasher_wait (x->hasher);
    if (x->fd >= 0)
        close (x->fd);
    cx_content_destroy (&x->key);
    cx_hash_destroy (&x->hash);
    memset (x, 0, sizeof *x);
    x->fd = -1;
}

/* Makes the chunks written so far durable and records how far that is,
   so that nothing received is lost when the transfer pauses (a new OFFER,
   an idle publisher, a refusal, the node stopping). 0, or -1 if they could
   not be made durable (the point recorded before still holds). */
int in_sync (run_t *r, in_xfer_t *x)
{
    if (x->fd < 0 || x->next <= x->durable)
        return 0;
    if (fdatasync (x->fd) != 0) {
        node_log (r->n, "error", "%s: cannot make chunks %lld-%lld durable: %s", x->dataset,
                  (long long) x->durable, (long long) x->next - 1, strerror (errno));
        return -1;
    }
    if (store_dataset_held_at (node_db (r->n), x->dataset, x->next) != 0) {
        node_log (r->n, "error", "%s: cannot record chunks %lld-%lld as durable: %s", x->dataset,
                  (long long) x->durable, (long long) x->next - 1, store_error (node_db (r->n)));
        return -1;
    }
    /* Durable sealed chunks are read again only on export: leave the page
       cache to what is in use. */
    (void) posix_fadvise (x->fd, node_chunk_offset (x->chunk_size, x->durable),
                          node_chunk_offset (x->chunk_size, x->next - x->durable), POSIX_FADV_DONTNEED);
    x->durable = x->next;
    return 0;
}

/* Drops the in-memory transfer X (its durable chunks are kept for the
   next OFFER) and records when: its abandonment clock runs from then. */
void in_let_go (run_t *r, in_xfer_t *x)
{
    if (store_dataset_held_at (node_db (r->n), x->dataset, x->durable) != 0)
        node_log (r->n, "error", "%s: cannot record the pause: %s", x->dataset, store_error (node_db (r->n)));
    in_release (x);
}

/* Removes the sealed file of a dataset that failed: nothing in it is
   ever read (a new OFFER starts again from chunk 0). */
void in_discard (run_t *r, const char *id)
{
    char path[NODE_PATH_MAX];
    node_data_path (r->n, id, path, sizeof path);
    if (unlink (path) != 0 && errno != ENOENT)
        node_log (r->n, "error", "cannot remove %s: %s", path, strerror (errno));
}

/* Abandons dataset D (not in progress, no activity for RUN_ABANDON_MS):
   failed with its entry in one transaction, then its file removed. 0, or
   -1 if the store could not record it (nothing changed). */
int in_abandon_record (run_t *r, const store_dataset_t *d)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long) d->version, d->id);
    store_t *st = node_db (r->n);
    if (store_begin (st) != 0 || store_dataset_progress (st, d->id, STORE_DS_FAILED, 0) != 0 ||
        node_audit (r->n, "node", "abandon", object, d->publisher, "refuse", "transfer.abandoned",
                    "no activity from %s on this transfer for %d minutes: the %lld of %lld chunks held are removed "
                    "and the dataset is failed; a new OFFER starts it again from chunk 0",
                    d->publisher, RUN_ABANDON_MS / 60000, (long long) d->next_chunk, (long long) d->chunks) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "cannot abandon %s: %s", d->id, store_error (st));
        store_rollback (st);
        return -1;
    }
    in_discard (r, d->id);
    node_log (r->n, "warn", "abandoned %s from %s: no activity for %d minutes", object, d->publisher,
              RUN_ABANDON_MS / 60000);
    return 0;
}

/* Sealed bytes still to be written for chunks FROM.. of a dataset, as a
   double: the manifest's numbers come from a peer and may be absurd. */
double in_need (double bytes, double chunk_size, double chunks, double from)
{
    double need = bytes - from * chunk_size + (double) CX_CHUNK_ABYTES * (chunks - from);
    return need > 0 ? need : 0;
}

/* 0 if the data directory has room for NOW more bytes and the reserve
   kept for the store; otherwise -1 and, in WHY, a reason for the publisher
   and the audit log that names NEED, what the rest of the transfer takes.
   0 as well if the free space cannot be read. */
int in_room (run_t *r, double now, double need, char *why, size_t cap)
{
    char dir[NODE_PATH_MAX];
    snprintf (dir, sizeof dir, "%s/data", node_home (r->n));
    struct statvfs sv;
    if (statvfs (dir, &sv) != 0)
        return 0;
    double avail = (double) sv.f_bavail * (double) sv.f_frsize;
    if (avail >= now + RUN_DISK_RESERVE)
        return 0;
    snprintf (why, cap,
              "receiver disk full: %.0f bytes needed (and %d MiB kept for its store), %.0f free;"
              " its operator must free space or grow the disk, then the delivery resumes",
              need, RUN_DISK_RESERVE >> 20, avail);
    return -1;
}

in_drop_t *in_dropping (run_t *r, const uint8_t dsid[16], const char *publisher)
{
    for (int i = 0; i < RUN_MAX_DROPS; i++) {
        in_drop_t *d = &r->drops[i];
        if (d->left > 0 && memcmp (d->dsid, dsid, 16) == 0 && strcmp (d->publisher, publisher) == 0)
            return d;
    }
    return NULL;
}

void in_drop_after (run_t *r, const in_xfer_t *x)
{
    in_drop_t *d = in_dropping (r, x->dsid, x->publisher);
    if (!d) {
        d = &r->drops[r->drop_next];
        r->drop_next = (r->drop_next + 1) % RUN_MAX_DROPS;
    }
    memcpy (d->dsid, x->dsid, 16);
    snprintf (d->publisher, sizeof d->publisher, "%s", x->publisher);
    d->left = RUN_DROP_CHUNKS;
    d->until = run_now_ms () + RUN_TIMEOUT_MS;
}

/* Records (rate limited) a refusal of a message from O; in_refuse also
   answers it. A malformed ERROR is only recorded: a node never answers an
   ERROR with an ERROR. */
void in_note (run_t *r, const origin_t *o, const char *object, const char *rule, const char *why)
{
    if (!run_limit_pass (r, &o->peer->refusals, o->org))
        return;
    char actor[80];
    peer_actor (o->peer, actor, sizeof actor);
    node_log (r->n, "warn", "refused %s from %s: %s", object, o->org, why);
    node_audit (r->n, actor, "receive", object, o->org, "refuse", rule, "%s", why);
}

void in_refuse (run_t *r, const origin_t *o, const char *object, proto_err_t code,
                         const uint8_t *dsid, const char *rule, const char *why)
{
    wire_error (r, o, code, dsid, "%s", why);
    in_note (r, o, object, rule, why);
}

/* This node cannot go on with X now (its disk, its store): what was
   received is kept, the publisher is told with ERROR(INTERNAL) and will
   offer again later, and the chunks it still has in flight are dropped. */
void in_pause (run_t *r, const origin_t *o, in_xfer_t *x, const char *object, const char *why)
{
    in_sync (r, x);
    in_refuse (r, o, object, PROTO_E_INTERNAL, x->dsid, "store.write", why);
    in_drop_after (r, x);
    in_release (x);
}

/* The agreement an incoming transfer came under ended or was revoked: it
   stops here, the publisher is told, and what arrived is not kept. */
void in_stop (run_t *r, in_xfer_t *x, const policy_decision_t *dec)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_ERROR;
    m.code = PROTO_E_DENIED;
    memcpy (m.dataset, x->dsid, 16);
    snprintf (m.reason, sizeof m.reason, "%s: %s", dec->rule, dec->reason);
    wire_send (r, r->router, x->routing, x->routing_len, &m, NULL);
    store_dataset_progress (node_db (r->n), x->dataset, STORE_DS_FAILED, 0);
    in_discard (r, x->dataset);
    node_log (r->n, "warn", "stopped receiving %s from %s: %s", object, x->publisher, m.reason);
    node_audit (r->n, "node", "receive", object, x->publisher, "refuse", dec->rule, "%s", dec->reason);
    in_release (x);
}

int64_t in_chunk_len (int64_t bytes, int64_t chunk_size, int64_t chunks, int64_t index)
{
    return index == chunks - 1 ? bytes - chunk_size * (chunks - 1) : chunk_size;
}

/* Reads back chunks 0..durable-1 to rebuild the running hash after a
   restart. Returns how many chunks verified (a shorter prefix means the
   rest must be fetched again). */
int64_t in_rehash (run_t *r, in_xfer_t *x)
{
    node_hasher_wait (r->hasher);
    uint8_t *sealed = malloc ((size_t) x->chunk_size + CX_CHUNK_ABYTES);
    if (!sealed)
        return 0;
    int64_t i;
    for (i = 0; i < x->durable; i++) {
        size_t plen = (size_t) in_chunk_len (x->bytes, x->chunk_size, x->chunks, i);
        size_t slen = plen + CX_CHUNK_ABYTES;
        if (pread (x->fd, sealed, slen, node_chunk_offset (x->chunk_size, i)) != (ssize_t) slen ||
            cx_chunk_open (x->key, x->dsid, (uint64_t) i, sealed, slen, r->scratch) != 0)
            break;
        cx_hash_update (x->hash, r->scratch, plen);
    }
    free (sealed);
    return i;
}

void in_send_receipt (run_t *r, const origin_t *o, const uint8_t dsid[16], const uint8_t hash[32])
{
    proto_receipt_t rc;
    memset (&rc, 0, sizeof rc);
    rc.format = 1;
    memcpy (rc.dataset, dsid, 16);
    memcpy (rc.hash, hash, 32);
    snprintf (rc.recipient, sizeof rc.recipient, "%s", node_self (r->n)->org);
    memcpy (rc.recipient_key, cx_keypair_public (node_sign_key (r->n)), 32);
    rc.received = (int64_t) time (NULL);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_RECEIPT;
    memcpy (m.dataset, dsid, 16);
    if (proto_receipt_encode (&rc, m.doc, sizeof m.doc, &m.doc_len) != 0 ||
        cx_sign (node_sign_key (r->n), m.doc, m.doc_len, m.sig) != 0) {
        node_log (r->n, "error", "cannot make a receipt");
        return;
    }
    wire_send (r, r->router, o->routing, o->routing_len, &m, NULL);
}

/* Tells the publisher where to start (the first chunk not yet held) and
   grants the first window of credit. */
void in_accept (run_t *r, const origin_t *o, in_xfer_t *x)
{
    x->session_ms = x->logged_ms = run_now_ms ();   /* its rate counts from here */
    x->session_from = x->logged_next = x->next;
    report_soon (r);
    /* The publisher is at work on it: its abandonment clock starts again. */
    if (store_dataset_held_at (node_db (r->n), x->dataset, x->durable) != 0)
        node_log (r->n, "error", "%s: cannot record the offer: %s", x->dataset, store_error (node_db (r->n)));
    proto_msg_t reply;
    memset (&reply, 0, sizeof reply);
    reply.id = PROTO_ACCEPT;
    memcpy (reply.dataset, x->dsid, 16);
    reply.number = (uint64_t) x->next;
    reply.credit = RUN_WINDOW;
    wire_send (r, r->router, o->routing, o->routing_len, &reply, NULL);
}

/* The policy, asked again when all of X is in, refused it (DEC): the
   dataset is failed and its entry written in the transaction the caller
   opened, its content removed, and the publisher told ERROR(DENIED,
   "RULE: words") instead of a receipt. */
static void s_in_refuse_final (run_t *r, const origin_t *o, in_xfer_t *x, const char *purpose,
                               const policy_decision_t *dec)
{
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    store_t *st = node_db (r->n);
    if (store_dataset_progress (st, x->dataset, STORE_DS_FAILED, 0) != 0 ||
        node_audit_purpose (r->n, "node", "receive", object, o->org, purpose, "refuse", dec->rule,
                            "%s; decided again when the last chunk was in: not made available, no receipt "
                            "sent, the %lld bytes received are removed", dec->reason, (long long) x->bytes) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "%s: cannot record the refusal: %s", x->dataset, store_error (st));
        store_rollback (st);
        store_dataset_progress (st, x->dataset, STORE_DS_FAILED, 0);
    }
    in_discard (r, x->dataset);
    wire_error (r, o, PROTO_E_DENIED, x->dsid, "%s: %s", dec->rule, dec->reason);
    node_log (r->n, "warn", "refused %s from %s at its end: %s: %s", object, o->org, dec->rule, dec->reason);
    in_release (x);
}

/* All of X is in and verified: the policy decides again, and if it still
   allows, the dataset becomes available with its entry, in one
   transaction. 0 if it did (the caller sends the receipt), 1 if the policy
   refused (handled here), -1 if the store could not record it. */
static int s_in_final (run_t *r, const origin_t *o, in_xfer_t *x, const char *hashhex)
{
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    peer_actor (o->peer, actor, sizeof actor);
    store_t *st = node_db (r->n);
    store_dataset_t *d = malloc (sizeof *d);
    if (!d || store_begin (st) != 0 || store_dataset_get (st, x->dataset, d) != 0)
        goto fail;
    policy_decision_t dec;
    decide_again (r, POLICY_RECEIVE, d, d->publisher, node_self (r->n)->org, &dec);
    if (!dec.allow && strcmp (dec.rule, "policy.error") == 0)
        goto fail;                              /* undecided, not refused: the data is kept */
    if (!dec.allow) {
        s_in_refuse_final (r, o, x, d->purpose, &dec);
        free (d);
        return 1;
    }
    /* A copy of this organisation's own data is held as published
       (SPEC.md 11.5), never as data received; whatever is held here is
       copied on to the siblings it did not come from. */
    int sib = strcmp (o->org, node_self (r->n)->org) == 0;
    int own = strcmp (d->publisher, node_self (r->n)->org) == 0;
    int copies = 0, deliveries = 0;
    char more[96] = "";
    if (store_dataset_progress (st, x->dataset, own ? STORE_DS_PUBLISHED : STORE_DS_AVAILABLE, x->chunks) != 0 ||
        node_copies_hold (r->n, d, sib ? o->peer->info.address : NULL, &copies, &deliveries) != 0)
        goto fail;
    if (own)
        snprintf (more, sizeof more, "; held as this organisation's published dataset, %d deliver%s queued",
                  deliveries, deliveries == 1 ? "y" : "ies");
    if (copies > 0)
        snprintf (more + strlen (more), sizeof more - strlen (more), "; a copy for %d sibling(s)", copies);
    if (node_audit_purpose (r->n, actor, "receive", object, sib ? o->peer->info.address : o->org, d->purpose,
                            "allow", own ? dec.rule : "signature.verified",
                            "%lld bytes received, publisher signature and blake2b %s verified; %s%s",
                            (long long) x->bytes, hashhex, dec.reason, more) != 0 ||
        store_commit (st) != 0 || store_sync (st) != 0)
        goto fail;
    free (d);
    return 0;
fail:
    free (d);
    store_rollback (st);
    return -1;
}

/* The last chunk is in: checks the whole content against the manifest
   and, if the policy still allows, makes the dataset available and sends
   the receipt (0). Otherwise the event for the table: HASH, BUSY (WHY
   says why), or REFUSED_AT_END (already recorded and answered). */
int in_complete (run_t *r, const origin_t *o, in_xfer_t *x, const char **why)
{
    uint8_t got[32];
    node_hasher_wait (r->hasher);          /* the last chunk's hash */
    cx_hash_final (x->hash, got);
    if (memcmp (got, x->want, 32) != 0)
        return IN_EV_HASH;
    if (x->fd >= 0 && fdatasync (x->fd) != 0) {
        *why = "cannot make the data durable";
        return IN_EV_BUSY;
    }
    char hashhex[65];
    cx_hex (got, 32, hashhex);
    int final = s_in_final (r, o, x, hashhex);
    if (final > 0)
        return IN_EV_REFUSED_AT_END;             /* refused at the last moment */
    if (final < 0) {
        *why = "cannot record the dataset now";
        return IN_EV_BUSY;
    }
    node_log (r->n, "info", "received %s v%lld from %s: %lld bytes, verified", x->topic, (long long) x->version,
              o->org, (long long) x->bytes);
    in_send_receipt (r, o, x->dsid, got);
    in_release (x);
    run_schedule (r, run_now_ms ());                 /* its retention, if one is set */
    return 0;
}
