/*  receive.c: OFFER and CHUNK from a publisher, on this node's ROUTER.

    Not for: what a transfer keeps in memory (incoming.c).
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

void in_on_offer (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    char id[33];
    cx_hex (m->dataset, 16, id);
    if (o->peer->cut_until > run_now_ms ()) {
        in_refuse (r, o, id, PROTO_E_DENIED, m->dataset, "peer.corrupt-data",
                     "this node is refusing your offers for a while: too many chunks failed authentication");
        return;
    }
    proto_manifest_t man;
    if (proto_manifest_decode (m->doc, m->doc_len, &man) != PROTO_OK) {
        char why[300];
        snprintf (why, sizeof why, "manifest: %s", proto_error ());
        in_refuse (r, o, id, PROTO_E_MALFORMED, m->dataset, "offer.manifest", why);
        return;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%llu %s", man.topic, (unsigned long long) man.version, id);
    if (memcmp (man.dataset, m->dataset, 16) != 0) {
        in_refuse (r, o, object, PROTO_E_MALFORMED, m->dataset, "offer.manifest",
                     "manifest names another dataset");
        return;
    }
    if (strcmp (man.publisher, o->org) != 0) {
        char why[128];
        snprintf (why, sizeof why, "manifest says publisher %s but the sender is %s", man.publisher, o->org);
        in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.publisher", why);
        return;
    }
    if (cx_verify (o->peer->info.sign_pk, m->doc, m->doc_len, m->sig) != 0) {
        in_refuse (r, o, object, PROTO_E_SIGNATURE, m->dataset, "offer.signature",
                     "manifest signature does not verify with the publisher's signing key");
        return;
    }
    store_sub_t sub;
    if (store_sub_get (node_db (r->n), o->org, node_self (r->n)->org, man.topic, &sub) != 0 ||
        (strcmp (sub.state, "active") != 0 && strcmp (sub.state, "requested") != 0 &&
         strcmp (sub.state, "refused") != 0)) {
        char why[256];
        snprintf (why, sizeof why, "this node has no subscription to %s from %s", man.topic, o->org);
        in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "subscription.none", why);
        return;
    }
    policy_request_t pq = {POLICY_RECEIVE, o->org, node_self (r->n)->org, man.topic, man.class_, man.purpose,
                           man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (node_db (r->n), &pq, &dec);
    if (!dec.allow) {
        char why[320];
        snprintf (why, sizeof why, "%s: %s", dec.rule, dec.reason);
        wire_error (r, o, PROTO_E_DENIED, m->dataset, "%s", why);
        if (run_limit_pass (r, &o->peer->refusals, o->org)) {
            char pactor[80];
            peer_actor (o->peer, pactor, sizeof pactor);
            node_log (r->n, "warn", "refused %s from %s: %s", object, o->org, why);
            node_audit_purpose (r->n, pactor, "receive", object, o->org, man.purpose, "refuse", dec.rule, "%s",
                                dec.reason);
        }
        return;
    }
    if (strcmp (sub.state, "active") != 0) {          /* the offer proves it was recorded */
        snprintf (sub.state, sizeof sub.state, "active");
        store_sub_put (node_db (r->n), &sub);
    }
    store_dataset_t *d = malloc (sizeof *d);
    if (!d) {
        wire_error (r, o, PROTO_E_INTERNAL, m->dataset, "out of memory");
        return;
    }
    int found = store_dataset_get (node_db (r->n), id, d);
    /* A dataset id belongs to one publisher and one manifest: an offer
       reusing a known id for anything else (another peer's dataset, or one
       this node published) is refused before it can touch that dataset. */
    if (found == 0 && (strcmp (d->state, "published") == 0 || strcmp (d->publisher, o->org) != 0 ||
                       d->manifest_len != m->doc_len || memcmp (d->manifest, m->doc, m->doc_len) != 0)) {
        free (d);
        in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.id-clash",
                     "this dataset id is already held here for another dataset");
        return;
    }
    /* Held, or held and erased at the end of its retention: it was
       received and verified, so the receipt stands; never fetched again. */
    if (found == 0 && (strcmp (d->state, "available") == 0 || strcmp (d->state, "erased") == 0)) {
        in_send_receipt (r, o, m->dataset, d->hash);    /* idempotent */
        free (d);
        return;
    }
    cx_content_t *key = node_unwrap (r->n, m->wrapped);
    if (!key) {
        free (d);
        in_refuse (r, o, object, PROTO_E_DENIED, m->dataset, "offer.key",
                     "the content key is not wrapped for this node");
        return;
    }
    in_drop_t *drop = in_dropping (r, m->dataset, o->org);
    if (drop)
        drop->left = 0;                                 /* a new attempt: its chunks count */
    in_xfer_t *x = in_find (r, m->dataset);
    if (x && strcmp (x->publisher, o->org) != 0)
        x = NULL;                                       /* not reachable: ids are checked above */
    /* Room for what is still to come, checked before anything is written,
       so that a full disk is reported clearly (and audited: the reserve
       keeps room for that) instead of failing in the middle. */
    double from = x ? (double) x->next : found == 0 && strcmp (d->state, "receiving") == 0 ? (double) d->next_chunk : 0;
    char room[PROTO_REASON_MAX + 1];
    double need = in_need ((double) man.bytes, (double) man.chunk_size, (double) man.chunks, from);
    if (need > 0 && in_room (r, need, need, room, sizeof room) != 0) {
        if (x) {
            in_sync (r, x);
            in_release (x);
        }
        cx_content_destroy (&key);
        free (d);
        in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write", room);
        return;
    }
    if (x && found == 0 && strcmp (d->state, "receiving") == 0 &&
        in_sync (r, x) == 0) {
        /* The same transfer offered again (its connection broke, or the
           publisher timed out): everything received is now durable and the
           running hash in memory covers exactly that, so carry on from
           there without reading the file back. */
        cx_content_destroy (&key);
        free (d);
        x->owed = 0;
        x->last_activity = run_now_ms ();
        memcpy (x->routing, o->routing, o->routing_len);
        x->routing_len = o->routing_len;
        node_log (r->n, "info", "resuming %s from chunk %lld of %lld", id, (long long) x->next,
                  (long long) x->chunks);
        in_accept (r, o, x);
        return;
    }
    if (x) {
        in_sync (r, x);                               /* keep what was received */
        in_release (x);                               /* restart from what is durable */
        x = NULL;
    }
    char limit[PROTO_REASON_MAX + 1];
    if (!(found == 0 && strcmp (d->state, "receiving") == 0) &&
        in_unfinished_room (r, o, limit, sizeof limit) != 0) {    /* a new transfer: is there room? */
        cx_content_destroy (&key);
        free (d);
        in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "transfer.limit", limit);
        return;
    }
    int mine = 0;
    for (int i = 0; i < RUN_MAX_IN; i++)
        if (r->in[i].active && strcmp (r->in[i].publisher, o->org) == 0)
            mine++;
    for (int i = 0; i < RUN_MAX_IN && !x && mine < RUN_MAX_IN_PER_PEER; i++)
        if (!r->in[i].active)
            x = &r->in[i];
    if (!x) {
        cx_content_destroy (&key);
        free (d);
        wire_error (r, o, PROTO_E_INTERNAL, m->dataset, "too many transfers in progress; retry later");
        return;
    }
    int64_t durable = 0;
    if (found == 0 && strcmp (d->state, "receiving") == 0)
        durable = d->next_chunk;
    if (found != 0) {
        memset (d, 0, sizeof *d);
        memcpy (d->id, id, sizeof d->id);
        snprintf (d->publisher, sizeof d->publisher, "%s", man.publisher);
        snprintf (d->topic, sizeof d->topic, "%s", man.topic);
        d->version = (int64_t) man.version;
        snprintf (d->class_, sizeof d->class_, "%s", man.class_);
        snprintf (d->purpose, sizeof d->purpose, "%s", man.purpose);
        snprintf (d->filename, sizeof d->filename, "%s", man.filename);
        d->bytes = (int64_t) man.bytes;
        d->chunk_size = man.chunk_size;
        d->chunks = (int64_t) man.chunks;
        memcpy (d->hash, man.hash, 32);
        memcpy (d->manifest, m->doc, m->doc_len);
        d->manifest_len = m->doc_len;
        memcpy (d->sig, m->sig, 64);
        memcpy (d->wrapped, m->wrapped, 80);
        snprintf (d->state, sizeof d->state, "receiving");
        snprintf (d->agreement, sizeof d->agreement, "%s", dec.agreement);
        char actor[80];
        peer_actor (o->peer, actor, sizeof actor);
        /* The dataset and the entry accepting it are one transaction.
           Every acceptance has its own entry (not rate-limited): each makes
           a dataset row, and those a peer can leave unfinished are bounded
           (RUN_MAX_UNFINISHED), so the entries are too. */
        store_t *st = node_db (r->n);
        if (store_begin (st) != 0 || store_dataset_put (st, d) != 0 ||
            node_audit_purpose (r->n, actor, "accept", object, o->org, man.purpose, "allow", dec.rule,
                                "offer of %llu bytes (%s, purpose %s) accepted under subscription to %s, %s",
                                (unsigned long long) man.bytes, man.class_, man.purpose, man.topic,
                                dec.reason) != 0 ||
            store_commit (st) != 0) {
            store_rollback (st);
            cx_content_destroy (&key);
            free (d);
            in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write",
                         "cannot record the dataset (a version clash or a full disk)");
            return;
        }
    } else if (strcmp (d->state, "failed") == 0) {
        store_dataset_progress (node_db (r->n), id, "receiving", 0);
    }
    free (d);

    memset (x, 0, sizeof *x);
    x->active = 1;
    memcpy (x->dataset, id, sizeof x->dataset);
    memcpy (x->dsid, m->dataset, 16);
    snprintf (x->publisher, sizeof x->publisher, "%s", o->org);
    snprintf (x->topic, sizeof x->topic, "%s", man.topic);
    x->version = (int64_t) man.version;
    memcpy (x->want, man.hash, 32);
    x->bytes = (int64_t) man.bytes;
    x->chunk_size = man.chunk_size;
    x->chunks = (int64_t) man.chunks;
    x->key = key;
    x->hash = cx_hash_new ();
    x->hasher = r->hasher;
    x->durable = durable;
    x->last_activity = run_now_ms ();
    snprintf (x->agreement, sizeof x->agreement, "%s", dec.agreement);
    x->until = dec.until;
    char path[NODE_PATH_MAX];
    node_data_path (r->n, id, path, sizeof path);
    x->fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (x->fd < 0 || !x->hash) {
        in_release (x);
        in_refuse (r, o, object, PROTO_E_INTERNAL, m->dataset, "store.write", "cannot open the data file");
        return;
    }
    if (durable > 0) {
        int64_t ok = in_rehash (r, x);
        if (ok != durable) {
            node_log (r->n, "warn", "%s: only %lld of %lld durable chunks verify; refetching the rest", id,
                      (long long) ok, (long long) durable);
            cx_hash_destroy (&x->hash);
            x->hash = cx_hash_new ();
            ok = in_rehash (r, x);           /* same prefix again, into a clean hash */
        }
        x->durable = ok;
        node_log (r->n, "info", "resuming %s from chunk %lld of %lld", id, (long long) ok, (long long) x->chunks);
    }
    x->next = x->durable;
    memcpy (x->routing, o->routing, o->routing_len);
    x->routing_len = o->routing_len;
    if (x->chunks == 0 || x->next == x->chunks) {
        in_complete (r, o, x);
        return;
    }
    in_accept (r, o, x);
}

void in_on_chunk (run_t *r, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    char id[33];
    cx_hex (m->dataset, 16, id);
    in_xfer_t *x = in_find (r, m->dataset);
    if (!x || strcmp (x->publisher, o->org) != 0) {
        in_drop_t *drop = x ? NULL : in_dropping (r, m->dataset, o->org);
        if (drop && drop->until > run_now_ms ()) {
            drop->left--;                              /* in flight when refused */
            return;
        }
        if (drop)
            drop->left = 0;
        store_dataset_t *d = malloc (sizeof *d);
        int known = d && store_dataset_get (node_db (r->n), id, d) == 0;
        free (d);
        if (known)
            wire_error (r, o, PROTO_E_STATE, m->dataset, "no transfer of %s in progress: send OFFER first", id);
        else
            wire_error (r, o, PROTO_E_UNKNOWN_DATASET, m->dataset, "dataset %s is not known here: send OFFER first",
                           id);
        return;
    }
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    x->last_activity = run_now_ms ();
    if (x->until && (int64_t) time (NULL) >= x->until) {
        policy_decision_t dec;
        decide_agreement_holds (r, x->agreement, x->until, &dec);
        in_stop (r, x, &dec);
        return;
    }
    if (m->number < (uint64_t) x->next) {
        proto_msg_t credit;                            /* a duplicate: give its credit back */
        memset (&credit, 0, sizeof credit);
        credit.id = PROTO_CREDIT;
        memcpy (credit.dataset, m->dataset, 16);
        credit.credit = 1;
        wire_send (r, r->router, o->routing, o->routing_len, &credit, NULL);
        return;
    }
    if (m->number != (uint64_t) x->next) {
        wire_error (r, o, PROTO_E_STATE, m->dataset, "expected chunk %lld, got %" PRIu64, (long long) x->next,
                       m->number);
        in_let_go (r, x);
        return;
    }
    size_t plen = (size_t) in_chunk_len (x->bytes, x->chunk_size, x->chunks, x->next);
    size_t slen = zmq_msg_size (payload);
    if (slen != plen + CX_CHUNK_ABYTES ||
        cx_chunk_open (x->key, x->dsid, m->number, zmq_msg_data (payload), slen, r->scratch) != 0) {
        char why[160];
        snprintf (why, sizeof why, "chunk %" PRIu64 " fails authentication (altered or corrupted in transit)",
                  m->number);
        in_refuse (r, o, object, PROTO_E_CHUNK, m->dataset, "chunk.authentication", why);
        in_let_go (r, x);
        peer_t *p = o->peer;
        int64_t now = run_now_ms ();
        if (now - p->corrupt_start > RUN_CUTOFF_MS) {
            p->corrupt_start = now;
            p->corrupt = 0;
        }
        if (++p->corrupt >= RUN_CUTOFF_CORRUPT && p->cut_until <= now) {
            p->cut_until = now + RUN_CUTOFF_MS;
            char actor[80];
            peer_actor (p, actor, sizeof actor);
            node_audit (r->n, actor, "cut-off", "peer", p->info.org, "refuse", "peer.corrupt-data",
                        "%d chunks from %s failed authentication within an hour: its offers are refused for an hour",
                        p->corrupt, p->info.org);
            node_log (r->n, "warn", "cutting off %s for an hour: %d corrupt chunks", p->info.org, p->corrupt);
        }
        return;
    }
    /* Something else may be filling the disk: stop while the store still
       has its reserve, so that progress and the refusal can be recorded. */
    char room[PROTO_REASON_MAX + 1];
    if (in_room (r, (double) slen,
                   in_need ((double) x->bytes, (double) x->chunk_size, (double) x->chunks, (double) x->next), room,
                   sizeof room) != 0) {
        in_pause (r, o, x, object, room);
        return;
    }
    /* Hashed on the hasher's thread while this one writes the chunk and
       opens the next into the other buffer. */
    node_hasher_post (r->hasher, x->hash, r->scratch, plen);
    uint8_t *hashing = r->scratch;
    r->scratch = r->spare;
    r->spare = hashing;
    const uint8_t *data = zmq_msg_data (payload);
    size_t left = slen;
    off_t off = node_chunk_offset (x->chunk_size, x->next);
    while (left > 0) {
        ssize_t w = pwrite (x->fd, data, left, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            char why[PROTO_REASON_MAX + 1];
            double need = in_need ((double) x->bytes, (double) x->chunk_size, (double) x->chunks, (double) x->next);
            if (err != ENOSPC || in_room (r, need, need, why, sizeof why) == 0)
                snprintf (why, sizeof why, "cannot store chunk %lld: %s", (long long) x->next, strerror (err));
            in_pause (r, o, x, object, why);
            return;
        }
        data += w;
        left -= (size_t) w;
        off += w;
    }
    /* Writeback starts now (a hint): the fdatasync below then waits for
       little, and dirty pages do not pile up in the page cache, which on a
       small virtual machine makes the copy into it several times dearer. */
    (void) sync_file_range (x->fd, node_chunk_offset (x->chunk_size, x->next), (off_t) slen,
                            SYNC_FILE_RANGE_WRITE);
    x->next++;
    x->owed++;
    if (x->next == x->chunks) {
        in_complete (r, o, x);
        return;
    }
    /* Durable every RUN_SYNC_BYTES whatever the chunk size (at least every
       chunk), then recorded: a crash refetches at most that much. */
    if ((x->next - x->durable) * x->chunk_size >= RUN_SYNC_BYTES) {
        if (in_sync (r, x) != 0) {
            in_pause (r, o, x, object, "cannot make chunks durable (is the receiver's disk full?)");
            return;
        }
    }
    if (x->owed >= RUN_WINDOW / 2) {
        proto_msg_t credit;
        memset (&credit, 0, sizeof credit);
        credit.id = PROTO_CREDIT;
        memcpy (credit.dataset, m->dataset, 16);
        credit.credit = x->owed;
        x->owed = 0;
        wire_send (r, r->router, o->routing, o->routing_len, &credit, NULL);
    }
}
