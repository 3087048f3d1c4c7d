/*  receive.c: the subscriber side as the incoming table (session.c, SPEC.md
    12.2): OFFER and CHUNK from a publisher, and the events of a transfer
    without a message (its agreement ended, idle, abandoned, the node
    stopping), each through in_event and one row. Where the receiver
    decides on an offer: s_offer_check, one check with one exit.

    The state of a dataset is the store's (no row: IDLE; receiving,
    available or erased, failed); a transfer in progress is also held in
    memory (in_xfer_t, incoming.c).

    Not for: what a transfer keeps in memory and its end (incoming.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "keys.h"
#include "run_internal.h"
#include "sealed.h"

/* How a refused offer is recorded. */
typedef enum {
    IN_V_AUDIT,                /* answered, and audited within the peer's rate */
    IN_V_POLICY,               /* the same, the entry naming the purpose and the rule */
    IN_V_ANSWER                /* answered only: this node cannot look now */
} in_verdict_kind_t;

/* The receiver's answer to an OFFER: accepted (code PROTO_OK) or refused
   with a code, a rule and a reason. */
typedef struct {
    proto_err_t code;
    in_verdict_kind_t kind;
    const char *rule;
    char reason[PROTO_REASON_MAX + 64];
    int drop;                  /* the transfer in memory is made durable and dropped first */
} in_verdict_t;

/* One event for one incoming session, what came with it and what its
   guards and actions found out. */
typedef struct {
    run_t *r;
    const origin_t *o;         /* the publisher, for messages */
    const proto_msg_t *m;
    zmq_msg_t *payload;
    in_xfer_t *x;              /* the transfer in memory, or NULL */
    int other;                 /* a transfer in memory with this id is another publisher's */
    char id[33];
    char object[129];          /* what the audit entries name */
    proto_manifest_t man;
    store_dataset_t *d;        /* the store's row, when FOUND is 0 */
    int found;
    cx_content_t *key;         /* opened from the OFFER: the transfer takes it */
    policy_decision_t dec;
    in_verdict_t v;
    int64_t durable;           /* chunks a (re)started transfer holds already */
    in_drop_t *drop;           /* chunks of this dataset dropped after a refusal */
    const char *why;           /* why an action raised BUSY or PAUSE */
    char whybuf[PROTO_REASON_MAX + 1];
    const store_dataset_t *row; /* abandoned: the store's row */
} in_ctx_t;

static int s_state_of (int found, const store_dataset_t *d)
{
    if (found != 0)
        return IN_IDLE;
    if (d->state == STORE_DS_RECEIVING)
        return IN_RECEIVING;
    if (d->state == STORE_DS_FAILED)
        return IN_FAILED;
    return IN_AVAILABLE;       /* available, erased (received: the receipt stands), or this node's own */
}

/* ---- the offer check ------------------------------------------------------ */

/* 0 if publisher O may start one more transfer here (a dataset it has not
   been sending): it has fewer than RUN_MAX_UNFINISHED recorded as receiving,
   after its abandoned ones are counted out. Otherwise -1 and, in WHY, the
   reason for it and the audit log. */
static int s_unfinished_room (run_t *r, const origin_t *o, char *why, size_t cap)
{
    int64_t held = store_dataset_count (node_db (r->n), o->org, STORE_DS_RECEIVING);
    if (held >= RUN_MAX_UNFINISHED && in_abandon (r, o->org) > 0)
        held = store_dataset_count (node_db (r->n), o->org, STORE_DS_RECEIVING);
    if (held < 0) {
        snprintf (why, cap, "cannot count the transfers in progress: %s", store_error (node_db (r->n)));
        return -1;
    }
    if (held < RUN_MAX_UNFINISHED)
        return 0;
    snprintf (why, cap, "too many unfinished transfers from %s (%lld, at most %d): finish one, or retry once "
              "they are abandoned after %d minutes without activity", o->org, (long long) held, RUN_MAX_UNFINISHED,
              RUN_ABANDON_MS / 60000);
    return -1;
}

/* Sets the refusal: CODE, KIND and RULE, the reason formatted within CAP
   bytes (the bound each reason always had). -1, for "return s_refuse". */
static int s_refuse (in_verdict_t *v, proto_err_t code, in_verdict_kind_t kind, const char *rule, size_t cap,
                     const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));
static int s_refuse (in_verdict_t *v, proto_err_t code, in_verdict_kind_t kind, const char *rule, size_t cap,
                     const char *fmt, ...)
{
    v->code = code;
    v->kind = kind;
    v->rule = rule;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (v->reason, cap < sizeof v->reason ? cap : sizeof v->reason, fmt, ap);
    va_end (ap);
    return -1;
}

/* Where the receiver decides on an OFFER, in the order the checks have
   always had: the sender's standing, the manifest and its signature, the
   subscription, the policy, the dataset id, the key, then whether there is
   room (disk, this publisher's unfinished transfers, transfers in memory).
   0 if it passes (a dataset held already passes once its id is known to
   be the same one), or -1 with C->v. */
static int s_offer_check (in_ctx_t *c, int state)
{
    run_t *r = c->r;
    const origin_t *o = c->o;
    const proto_msg_t *m = c->m;
    in_verdict_t *v = &c->v;
    size_t cap = sizeof v->reason;
    snprintf (c->object, sizeof c->object, "%s", c->id);
    if (!c->d)
        return s_refuse (v, PROTO_E_INTERNAL, IN_V_ANSWER, NULL, cap, "out of memory");
    if (o->peer->cut_until > run_now_ms ())
        return s_refuse (v, PROTO_E_DENIED, IN_V_AUDIT, "peer.corrupt-data", cap,
                         "this node is refusing your offers for a while: too many chunks failed authentication");
    if (proto_manifest_decode (m->doc, m->doc_len, &c->man) != PROTO_OK)
        return s_refuse (v, PROTO_E_MALFORMED, IN_V_AUDIT, "offer.manifest", 300, "manifest: %s", proto_error ());
    proto_manifest_t *man = &c->man;
    snprintf (c->object, sizeof c->object, "%s v%llu %s", man->topic, (unsigned long long) man->version, c->id);
    if (memcmp (man->dataset, m->dataset, 16) != 0)
        return s_refuse (v, PROTO_E_MALFORMED, IN_V_AUDIT, "offer.manifest", cap, "manifest names another dataset");
    /* From a sibling (SPEC.md 11.5): a copy of what this organisation
       published (signed at whichever of its nodes published it) or of what
       it received from another (checked as that organisation's offer). */
    int sib = strcmp (o->org, node_self (r->n)->org) == 0 && strcmp (o->peer->info.trust, "certified") == 0;
    int own = strcmp (man->publisher, node_self (r->n)->org) == 0;
    if (strcmp (man->publisher, o->org) != 0 && !sib)
        return s_refuse (v, PROTO_E_DENIED, IN_V_AUDIT, "offer.publisher", 128,
                         "manifest says publisher %s but the sender is %s", man->publisher, o->org);
    /* Signed at the node where it was published: any current node of the
       publisher (SPEC.md 9.2). */
    if (peer_org_verify (r, man->publisher, m->doc, m->doc_len, m->sig) != 0)
        return s_refuse (v, PROTO_E_SIGNATURE, IN_V_AUDIT, "offer.signature", cap,
                         "manifest signature does not verify with the publisher's signing key");
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    sub.state = STORE_SUB_ACTIVE;               /* a copy of its own needs no subscription */
    int sub_rc = own ? 0 : store_sub_get (node_db (r->n), man->publisher, node_self (r->n)->org, man->topic, &sub);
    if (sub_rc != 0 ||
        (sub.state != STORE_SUB_ACTIVE && sub.state != STORE_SUB_REQUESTED &&
         sub.state != STORE_SUB_REFUSED))
        /* From a sibling with no row at all, not final: its SETTING may
           be on the way. */
        return s_refuse (v, sib && sub_rc == STORE_NOTFOUND ? PROTO_E_INTERNAL : PROTO_E_DENIED, IN_V_AUDIT,
                         "subscription.none", 256,
                         "this node has no subscription to %s from %s", man->topic, man->publisher);
    policy_request_t pq = {POLICY_RECEIVE, man->publisher, node_self (r->n)->org, man->topic, man->class_,
                           man->purpose, man->legal_basis, man->opt_out, man->agreement, (int64_t) time (NULL)};
    policy_decide (node_db (r->n), &pq, &c->dec);
    /* policy.error: undecided here (no memory, the store), so not final: offered again */
    if (!c->dec.allow)
        return s_refuse (v, strcmp (c->dec.rule, "policy.error") ? PROTO_E_DENIED : PROTO_E_INTERNAL, IN_V_POLICY, c->dec.rule, 320, "%s: %s", c->dec.rule, c->dec.reason);
    if (!own && !sib && sub.state != STORE_SUB_ACTIVE) {  /* the offer proves it was recorded */
        sub.state = STORE_SUB_ACTIVE;
        store_sub_put (node_db (r->n), &sub);
    }
    /* Two nodes of this organisation that published one topic at once
       chose the same version: the later copy is refused for good, and its
       publish says so (SPEC.md 11.5, "Versions"). */
    if (c->found != 0) {
        int64_t clash = store_dataset_clash (node_db (r->n), man->publisher, man->topic, (int64_t) man->version, c->id);
        if (clash < 0)
            return s_refuse (v, PROTO_E_INTERNAL, IN_V_ANSWER, NULL, cap, "cannot read the store");
        if (clash > 0)
            return s_refuse (v, PROTO_E_DENIED, IN_V_AUDIT, "offer.version-clash", cap,
                             "version %llu of %s is already held here as another dataset: published at two "
                             "nodes at once", (unsigned long long) man->version, man->topic);
    }
    /* A dataset id belongs to one publisher and one manifest: an offer
       reusing a known id for anything else (another peer's dataset, or one
       this node published) is refused before it can touch that dataset. */
    const store_dataset_t *d = c->d;
    if (c->found == 0 && ((d->state == STORE_DS_PUBLISHED && !own) || strcmp (d->publisher, man->publisher) != 0 ||
                          d->manifest_len != m->doc_len || memcmp (d->manifest, m->doc, m->doc_len) != 0))
        return s_refuse (v, PROTO_E_DENIED, IN_V_AUDIT, "offer.id-clash", cap,
                         "this dataset id is already held here for another dataset");
    if (state == IN_AVAILABLE)
        return 0;                                       /* its receipt, again */
    if (!(c->key = node_unwrap (r->n, m->wrapped))) {
        /* No memory to open it with is a local fault, not the key's: not
           final, so the publisher offers it again. */
        if (strncmp (cx_error (), "out of guarded memory", 21) == 0)
            return s_refuse (v, PROTO_E_INTERNAL, IN_V_AUDIT, "offer.key", cap, "%s", cx_error ());
        return s_refuse (v, PROTO_E_DENIED, IN_V_AUDIT, "offer.key", cap,
                         "the content key is not wrapped for this node");
    }
    if ((c->drop = in_dropping (r, m->dataset, o->org)))
        c->drop->left = 0;                              /* a new attempt: its chunks count */
    /* Room for what is still to come, checked before anything is written,
       so that a full disk is reported clearly (and audited: the reserve
       keeps room for that) instead of failing in the middle. */
    double from = c->x ? (double) c->x->next : state == IN_RECEIVING ? (double) d->next_chunk : 0;
    char room[PROTO_REASON_MAX + 1];
    double need = in_need ((double) man->bytes, (double) man->chunk_size, (double) man->chunks, from);
    if (need > 0 && in_room (r, need, need, room, sizeof room) != 0) {
        v->drop = 1;
        return s_refuse (v, PROTO_E_INTERNAL, IN_V_AUDIT, "store.write", cap, "%s", room);
    }
    if (state != IN_RECEIVING && s_unfinished_room (r, o, room, sizeof room) != 0)
        return s_refuse (v, PROTO_E_INTERNAL, IN_V_AUDIT, "transfer.limit", cap, "%s", room);
    if (c->x)
        return 0;
    int mine = 0, free_slot = 0;
    for (int i = 0; i < RUN_MAX_IN; i++) {
        mine += in_active (&r->in[i]) && strcmp (r->in[i].publisher, o->org) == 0;
        free_slot |= !in_active (&r->in[i]);
    }
    if (!free_slot || mine >= RUN_MAX_IN_PER_PEER)
        return s_refuse (v, PROTO_E_INTERNAL, IN_V_ANSWER, NULL, cap, "too many transfers in progress; retry later");
    return 0;
}

/* The one exit of a refused offer: answered with ERROR(code, reason) and
   recorded as its kind says. */
static void s_offer_refused (in_ctx_t *c)
{
    run_t *r = c->r;
    const origin_t *o = c->o;
    const in_verdict_t *v = &c->v;
    if (v->drop && c->x) {
        in_sync (r, c->x);
        in_release (c->x);
        c->x = NULL;
    }
    if (v->kind == IN_V_AUDIT) {
        in_refuse (r, o, c->object, v->code, c->m->dataset, v->rule, v->reason);
        return;
    }
    wire_error (r, o, v->code, c->m->dataset, "%s", v->reason);
    if (v->kind == IN_V_POLICY && run_limit_pass (r, &o->peer->refusals, o->org)) {
        char pactor[80];
        peer_actor (o->peer, pactor, sizeof pactor);
        node_log (r->n, "warn", "refused %s from %s: %s", c->object, o->org, v->reason);
        node_audit_purpose (r->n, pactor, "receive", c->object, o->org, c->man.purpose, "refuse", c->dec.rule, "%s",
                            c->dec.reason);
    }
}

/* ---- offer: the actions --------------------------------------------------- */

/* IDLE: the dataset and the entry accepting it, one transaction. Every
   acceptance has its own entry (not rate-limited): each makes a dataset
   row, and those a peer can leave unfinished are bounded
   (RUN_MAX_UNFINISHED), so the entries are too. */
static int s_record (in_ctx_t *c)
{
    run_t *r = c->r;
    const proto_msg_t *m = c->m;
    const proto_manifest_t *man = &c->man;
    store_dataset_t *d = c->d;
    memset (d, 0, sizeof *d);
    memcpy (d->id, c->id, sizeof d->id);
    snprintf (d->publisher, sizeof d->publisher, "%s", man->publisher);
    snprintf (d->topic, sizeof d->topic, "%s", man->topic);
    d->version = (int64_t) man->version;
    snprintf (d->class_, sizeof d->class_, "%s", man->class_);
    snprintf (d->purpose, sizeof d->purpose, "%s", man->purpose);
    snprintf (d->filename, sizeof d->filename, "%s", man->filename);
    d->bytes = (int64_t) man->bytes;
    d->chunk_size = man->chunk_size;
    d->chunks = (int64_t) man->chunks;
    memcpy (d->hash, man->hash, 32);
    memcpy (d->manifest, m->doc, m->doc_len);
    d->manifest_len = m->doc_len;
    memcpy (d->sig, m->sig, 64);
    memcpy (d->wrapped, m->wrapped, 80);
    d->state = STORE_DS_RECEIVING;
    snprintf (d->agreement, sizeof d->agreement, "%s", c->dec.agreement);
    int copy = strcmp (c->o->org, node_self (r->n)->org) == 0;
    if (strcmp (man->publisher, node_self (r->n)->org) == 0) {   /* the node it was published at */
        const char *at = peer_org_signer (r, man->publisher, m->doc, m->doc_len, m->sig);
        snprintf (d->origin, sizeof d->origin, "%s", at ? at : c->o->peer->info.address);
    }
    char actor[80];
    peer_actor (c->o->peer, actor, sizeof actor);
    store_t *st = node_db (r->n);
    if (store_begin (st) != 0 || store_dataset_put (st, d) != 0 ||
        node_audit_purpose (r->n, actor, "accept", c->object, copy ? c->o->peer->info.address : c->o->org,
                            man->purpose, "allow", c->dec.rule, "offer of %llu bytes (%s, purpose %s) accepted %s %s, %s",
                            (unsigned long long) man->bytes, man->class_, man->purpose,
                            copy ? "as a sibling's copy of" : "under subscription to", man->topic,
                            c->dec.reason) != 0 ||
        store_commit (st) != 0) {
        store_rollback (st);
        c->why = "cannot record the dataset (a version clash or a full disk)";
        return IN_EV_BUSY;
    }
    c->durable = 0;
    return IN_EV_START;
}

/* RECEIVING, "resumable": the same transfer offered again (its connection
   broke, or the publisher timed out). Everything received is durable now
   and the running hash in memory covers exactly that, so it carries on
   from there without reading the file back. */
static void s_resume (in_ctx_t *c)
{
    in_xfer_t *x = c->x;
    x->owed = 0;
    x->last_activity = run_now_ms ();
    memcpy (x->routing, c->o->routing, c->o->routing_len);
    x->routing_len = c->o->routing_len;
    snprintf (x->sender, sizeof x->sender, "%s", c->o->peer->info.address);  /* a sibling of it may resume */
    node_log (c->r->n, "info", "resuming %s from chunk %lld of %lld", c->id, (long long) x->next,
              (long long) x->chunks);
    in_accept (c->r, c->o, x);
}

/* RECEIVING, start: a transfer in memory from what is durable (DURABLE
   chunks, read back and hashed again), then ACCEPT from there; COMPLETE
   if nothing is left to fetch. */
static int s_start (in_ctx_t *c)
{
    run_t *r = c->r;
    const proto_manifest_t *man = &c->man;
    in_xfer_t *x = NULL;
    for (int i = 0; i < RUN_MAX_IN && !x; i++)
        if (!in_active (&r->in[i]))
            x = &r->in[i];
    if (!x) {
        c->why = "too many transfers in progress; retry later";
        return IN_EV_BUSY;
    }
    memset (x, 0, sizeof *x);
    x->state = IN_RECEIVING;
    c->x = x;
    memcpy (x->dataset, c->id, sizeof x->dataset);
    memcpy (x->dsid, c->m->dataset, 16);
    snprintf (x->publisher, sizeof x->publisher, "%s", c->o->org);
    snprintf (x->sender, sizeof x->sender, "%s", c->o->peer->info.address);
    snprintf (x->topic, sizeof x->topic, "%s", man->topic);
    x->version = (int64_t) man->version;
    memcpy (x->want, man->hash, 32);
    x->bytes = (int64_t) man->bytes;
    x->chunk_size = man->chunk_size;
    x->chunks = (int64_t) man->chunks;
    x->key = c->key;
    c->key = NULL;
    x->hash = cx_hash_new ();
    x->hasher = r->hasher;
    x->durable = c->durable;
    x->last_activity = run_now_ms ();
    snprintf (x->agreement, sizeof x->agreement, "%s", c->dec.agreement);
    x->until = c->dec.until;
    char path[NODE_PATH_MAX];
    node_data_path (r->n, c->id, path, sizeof path);
    x->fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (x->fd < 0 || !x->hash) {
        c->why = "cannot open the data file";
        return IN_EV_BUSY;
    }
    if (x->durable > 0) {
        int64_t ok = in_rehash (r, x);
        if (ok != x->durable) {
            node_log (r->n, "warn", "%s: only %lld of %lld durable chunks verify; refetching the rest", c->id,
                      (long long) ok, (long long) x->durable);
            cx_hash_destroy (&x->hash);
            x->hash = cx_hash_new ();
            ok = in_rehash (r, x);             /* same prefix again, into a clean hash */
        }
        x->durable = ok;
        node_log (r->n, "info", "resuming %s from chunk %lld of %lld", c->id, (long long) ok, (long long) x->chunks);
    }
    x->next = x->durable;
    memcpy (x->routing, c->o->routing, c->o->routing_len);
    x->routing_len = c->o->routing_len;
    if (x->chunks == 0 || x->next == x->chunks)
        return IN_EV_COMPLETE;
    in_accept (r, c->o, x);
    return 0;
}

/* RECEIVING, complete: the whole content checked; the dataset available
   and its receipt sent, or the event saying why not. */
static int s_complete (in_ctx_t *c)
{
    in_xfer_t *x = c->x;
    snprintf (c->object, sizeof c->object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    return in_complete (c->r, c->o, x, &c->why);
}

/* ---- chunks --------------------------------------------------------------- */

/* The guard "forged": the chunk's length is not the manifest's, or it
   fails authentication. Otherwise its plaintext is in r->scratch. */
static int s_forged (in_ctx_t *c)
{
    in_xfer_t *x = c->x;
    size_t plen = (size_t) in_chunk_len (x->bytes, x->chunk_size, x->chunks, x->next);
    size_t slen = zmq_msg_size (c->payload);
    return slen != plen + CX_CHUNK_ABYTES ||
           cx_chunk_open (x->key, x->dsid, c->m->number, zmq_msg_data (c->payload), slen, c->r->scratch) != 0;
}

/* RECEIVING, "forged": refused, the transfer in memory dropped (durable
   chunks are kept), and a peer sending too many such is cut off. */
static void s_refuse_forged (in_ctx_t *c)
{
    run_t *r = c->r;
    char why[160];
    snprintf (why, sizeof why, "chunk %" PRIu64 " fails authentication (altered or corrupted in transit)",
              c->m->number);
    in_refuse (r, c->o, c->object, PROTO_E_CHUNK, c->m->dataset, "chunk.authentication", why);
    in_let_go (r, c->x);
    peer_t *p = c->o->peer;
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
}

static void s_credit (in_ctx_t *c, uint32_t credit)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_CREDIT;
    memcpy (m.dataset, c->m->dataset, 16);
    m.credit = credit;
    wire_send (c->r, c->r->router, c->o->routing, c->o->routing_len, &m, NULL);
}

/* RECEIVING, the next chunk, authentic: written, made durable every
   RUN_SYNC_BYTES, credit returned. COMPLETE after the last; PAUSE if the
   disk or the store cannot take it. */
static int s_write (in_ctx_t *c)
{
    run_t *r = c->r;
    in_xfer_t *x = c->x;
    size_t plen = (size_t) in_chunk_len (x->bytes, x->chunk_size, x->chunks, x->next);
    size_t slen = zmq_msg_size (c->payload);
    /* Something else may be filling the disk: stop while the store still
       has its reserve, so that progress and the refusal can be recorded. */
    double need = in_need ((double) x->bytes, (double) x->chunk_size, (double) x->chunks, (double) x->next);
    if (in_room (r, (double) slen, need, c->whybuf, sizeof c->whybuf) != 0)
        goto pause;
    /* Hashed on the hasher's thread while this one writes the chunk and
       opens the next into the other buffer. */
    node_hasher_post (r->hasher, x->hash, r->scratch, plen);
    uint8_t *hashing = r->scratch;
    r->scratch = r->spare;
    r->spare = hashing;
    const uint8_t *data = zmq_msg_data (c->payload);
    size_t left = slen;
    off_t off = node_chunk_offset (x->chunk_size, x->next);
    while (left > 0) {
        ssize_t w = pwrite (x->fd, data, left, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            if (err != ENOSPC || in_room (r, need, need, c->whybuf, sizeof c->whybuf) == 0)
                snprintf (c->whybuf, sizeof c->whybuf, "cannot store chunk %lld: %s", (long long) x->next,
                          strerror (err));
            goto pause;
        }
        data += w;
        left -= (size_t) w;
        off += w;
    }
    /* Writeback starts now (a hint): the fdatasync below then waits for
       little, and dirty pages do not pile up in the page cache, which on a
       small virtual machine makes the copy into it several times dearer. */
    (void) sync_file_range (x->fd, node_chunk_offset (x->chunk_size, x->next), (off_t) slen, SYNC_FILE_RANGE_WRITE);
    x->next++;
    x->owed++;
    if (x->next == x->chunks)
        return IN_EV_COMPLETE;
    /* Durable every RUN_SYNC_BYTES whatever the chunk size (at least every
       chunk), then recorded: a crash refetches at most that much. */
    if ((x->next - x->durable) * x->chunk_size >= RUN_SYNC_BYTES && in_sync (r, x) != 0) {
        snprintf (c->whybuf, sizeof c->whybuf, "cannot make chunks durable (is the receiver's disk full?)");
        goto pause;
    }
    if (x->owed >= RUN_WINDOW / 2) {
        s_credit (c, x->owed);
        x->owed = 0;
    }
    return 0;
pause:
    c->why = c->whybuf;
    return IN_EV_PAUSE;
}

/* ---- the table ------------------------------------------------------------ */

static int s_guard (int guard, void *arg)
{
    in_ctx_t *c = arg;
    in_xfer_t *x = c->x;
    switch (guard) {
    case IN_G_REFUSED:
        return c->v.code != PROTO_OK;
    case IN_G_RESUMABLE:                          /* made durable here, when it is in memory */
        return x && in_sync (c->r, x) == 0;
    case IN_G_IN_FLIGHT:
        if (x || c->other || !(c->drop = in_dropping (c->r, c->m->dataset, c->o->org)))
            return 0;
        if (c->drop->until > run_now_ms ())
            return 1;
        c->drop->left = 0;                        /* its time is over: answered again */
        return 0;
    case IN_G_PAUSED:
        return !x;
    case IN_G_AGREEMENT_OVER:
        if (!(x->until && (int64_t) time (NULL) >= x->until))
            return 0;
        decide_agreement_holds (c->r, x->agreement, x->until, &c->dec);
        return 1;
    case IN_G_EARLY:
        return c->m->number < (uint64_t) x->next;
    case IN_G_LATE:
        return c->m->number != (uint64_t) x->next;
    case IN_G_FORGED:
        return s_forged (c);
    default:
        return 0;
    }
}

static int s_act (int action, void *arg)
{
    in_ctx_t *c = arg;
    run_t *r = c->r;
    in_xfer_t *x = c->x;
    switch (action) {
    case IN_A_REFUSE:       s_offer_refused (c); break;
    case IN_A_RECORD:       return s_record (c);
    case IN_A_RECORD_AGAIN:
        store_dataset_progress (node_db (r->n), c->id, STORE_DS_RECEIVING, 0);
        c->durable = 0;
        return IN_EV_START;
    case IN_A_RESUME:       s_resume (c); break;
    case IN_A_RESTART:                            /* keep what was received, restart from what is durable */
        if (x) {
            in_sync (r, x);
            in_release (x);
            c->x = NULL;
        }
        c->durable = c->d->next_chunk;
        return IN_EV_START;
    case IN_A_START:        return s_start (c);
    case IN_A_COMPLETE:     return s_complete (c);
    case IN_A_RECEIPT:      in_send_receipt (r, c->o, c->m->dataset, c->d->hash); break;   /* idempotent */
    case IN_A_DROP:         c->drop->left--; break;                                  /* in flight when refused */
    case IN_A_UNKNOWN:
        wire_error (r, c->o, PROTO_E_UNKNOWN_DATASET, c->m->dataset, "dataset %s is not known here: send OFFER first",
                    c->id);
        break;
    case IN_A_NO_TRANSFER:
        wire_error (r, c->o, PROTO_E_STATE, c->m->dataset, "no transfer of %s in progress: send OFFER first", c->id);
        break;
    case IN_A_STOP:         in_stop (r, x, &c->dec); break;
    case IN_A_CREDIT_BACK:  s_credit (c, 1); break;                                  /* a duplicate */
    case IN_A_OUT_OF_ORDER:
        wire_error (r, c->o, PROTO_E_STATE, c->m->dataset, "expected chunk %lld, got %" PRIu64, (long long) x->next,
                    c->m->number);
        in_let_go (r, x);
        break;
    case IN_A_FORGED:       s_refuse_forged (c); break;
    case IN_A_WRITE:        return s_write (c);
    case IN_A_LET_GO:
        in_sync (r, x);
        node_log (r->n, "info", "transfer of %s idle; keeping %lld durable chunks for later", x->dataset,
                  (long long) x->durable);
        in_let_go (r, x);
        break;
    case IN_A_ABANDON:      return in_abandon_record (r, c->row) == 0 ? 0 : IN_EV_UNRECORDED;
    case IN_A_SUSPEND:
        in_sync (r, x);
        in_release (x);
        break;
    case IN_A_BUSY:
        if (x)
            in_release (x);
        in_refuse (r, c->o, c->object, PROTO_E_INTERNAL, c->m->dataset, "store.write", c->why);
        break;
    case IN_A_PAUSE:        in_pause (r, c->o, x, c->object, c->why); break;
    case IN_A_HASH:
        store_dataset_progress (node_db (r->n), x->dataset, STORE_DS_FAILED, 0);
        in_discard (r, x->dataset);
        in_refuse (r, c->o, c->object, PROTO_E_HASH, x->dsid, "content.hash",
                   "content hash differs from the signed manifest");
        in_release (x);
        break;
    default:                break;
    }
    return 0;
}

/* Moves C's session, in STATE, through the table on EV. */
static void s_fire (in_ctx_t *c, int state, in_event_t ev)
{
    int refused;
    if (session_run (&session_in, &state, ev, s_guard, s_act, c, &refused) != 0)
        node_log (c->r->n, "warn", "%s for %s in state %s: ignored", session_in.events[refused], c->id,
                  session_in.states[state]);
}

void in_event (run_t *r, in_xfer_t *x, in_event_t ev, const policy_decision_t *dec)
{
    in_ctx_t c;
    memset (&c, 0, sizeof c);
    c.r = r;
    c.x = x;
    memcpy (c.id, x->dataset, sizeof c.id);
    if (dec)
        c.dec = *dec;
    s_fire (&c, IN_RECEIVING, ev);
}

/* 1 if transfer X comes from another node than O's. */
static int s_other_sender (run_t *r, const in_xfer_t *x, const origin_t *o)
{
    (void) r;
    return strcmp (x->publisher, o->org) != 0 || strcmp (x->sender, o->peer->info.address) != 0;
}

/* 1 if both may send this dataset: two nodes of one organisation, or a
   sibling and the organisation a copy of its data came from. */
static int s_related (run_t *r, const in_xfer_t *x, const origin_t *o)
{
    const char *own = node_self (r->n)->org;
    return strcmp (x->publisher, o->org) == 0 || strcmp (o->org, own) == 0 || strcmp (x->publisher, own) == 0;
}

/* 1 if X's sender is still connected and was heard from within the
   session timeout. */
static int s_live (run_t *r, const in_xfer_t *x)
{
    const peer_t *was = peer_find (r, x->sender);
    return was && was->connected && run_now_ms () - x->last_activity < RUN_TIMEOUT_MS;
}

void in_on_offer (run_t *r, const origin_t *o, const proto_msg_t *m)
{
    in_ctx_t c;
    memset (&c, 0, sizeof c);
    c.r = r;
    c.o = o;
    c.m = m;
    cx_hex (m->dataset, 16, c.id);
    c.d = malloc (sizeof *c.d);
    c.found = c.d ? store_dataset_get (node_db (r->n), c.id, c.d) : -1;
    c.x = in_find (r, m->dataset);
    if (c.x && s_other_sender (r, c.x, o)) {
        if (!s_related (r, c.x, o))
            c.x = NULL;                                 /* not reachable: ids are checked */
        else if (s_live (r, c.x)) {
            /* Two nodes that may both send it (of the publisher, or a
               sibling) offer it at once: one transfer at a time; the other
               offers it again and is answered with the receipt (SPEC.md
               11.5). */
            wire_error (r, o, PROTO_E_INTERNAL, m->dataset, "%s is being received from %s: offer it again later",
                        c.id, c.x->sender);
            free (c.d);
            return;
        } else {
            in_let_go (r, c.x);                         /* its sender went: this one resumes it */
            c.x = NULL;
        }
    }
    int state = s_state_of (c.found, c.d);
    s_offer_check (&c, state);
    s_fire (&c, state, IN_EV_OFFER);
    cx_content_destroy (&c.key);
    free (c.d);
}

void in_on_chunk (run_t *r, const origin_t *o, const proto_msg_t *m, zmq_msg_t *payload)
{
    in_ctx_t c;
    memset (&c, 0, sizeof c);
    c.r = r;
    c.o = o;
    c.m = m;
    c.payload = payload;
    cx_hex (m->dataset, 16, c.id);
    c.x = in_find (r, m->dataset);
    int state = IN_RECEIVING;
    if (c.x && (strcmp (c.x->publisher, o->org) != 0 || strcmp (c.x->sender, o->peer->info.address) != 0)) {
        c.x = NULL;
        c.other = 1;
    }
    if (c.x) {
        snprintf (c.object, sizeof c.object, "%s v%lld %s", c.x->topic, (long long) c.x->version, c.x->dataset);
        c.x->last_activity = run_now_ms ();
    } else {
        store_dataset_t *d = malloc (sizeof *d);
        int found = d ? store_dataset_get (node_db (r->n), c.id, d) : -1;
        state = s_state_of (found, d);
        free (d);
    }
    s_fire (&c, state, IN_EV_CHUNK);
}

/* ---- abandonment ---------------------------------------------------------- */

typedef struct {
    run_t *r;
    const char *publisher;     /* only its transfers, or NULL: everyone's */
    int64_t now;               /* unix seconds */
    int64_t next;              /* the next one due, unix seconds */
    int abandoned;
} abandon_t;

static int s_abandon_one (const store_dataset_t *d, void *arg)
{
    abandon_t *a = arg;
    uint8_t dsid[16];
    if ((a->publisher && strcmp (d->publisher, a->publisher) != 0) || cx_unhex (d->id, dsid, 16) != 0 ||
        in_find (a->r, dsid))
        return 0;                                /* another's, or arriving now */
    int64_t due = d->updated + RUN_ABANDON_MS / 1000;
    if (due > a->now) {
        if (due < a->next)
            a->next = due;
        return 0;
    }
    in_ctx_t c;
    memset (&c, 0, sizeof c);
    c.r = a->r;
    c.row = d;
    memcpy (c.id, d->id, sizeof c.id);
    int state = IN_RECEIVING, refused;
    if (session_run (&session_in, &state, IN_EV_ABANDONED, s_guard, s_act, &c, &refused) == 0 && state == IN_FAILED)
        a->abandoned++;
    return 0;
}

int in_abandon (run_t *r, const char *publisher)
{
    int64_t now = (int64_t) time (NULL);
    abandon_t a = {r, publisher, now, now + RUN_ABANDON_MS / 1000, 0};
    if (store_dataset_each_state (node_db (r->n), STORE_DS_RECEIVING, s_abandon_one, &a) < 0)
        node_log (r->n, "error", "cannot look for abandoned transfers: %s", store_error (node_db (r->n)));
    if (!publisher)                              /* one made from now on is due no earlier */
        r->abandon_at = run_now_ms () + (a.next - now) * 1000;
    return a.abandoned;
}
