/*  outgoing.c: the publisher side of a delivery, one at a time per peer:
    OFFER, CHUNKs against credit, the RECEIPT. Every change of state goes
    through out_event and the outgoing table (session.c, SPEC.md 12.1);
    this file holds the guards and the actions.

    A session in QUEUED lives in the store only: reaching QUEUED or a
    final state lets go of the peer's slot (out_release).

    Not for: choosing what to send next (serving.c) or the wire (dispatch.c).
*/
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "run_internal.h"
#include "sealed.h"

/* What came with an event, and what its guards and actions found out. */
typedef struct {
    run_t *r;
    peer_t *p;                 /* NULL for a delivery to a peer not loaded */
    out_xfer_t *x;
    out_input_t *in;
    proto_receipt_t rc;        /* RECEIPT, decoded by its guard */
    const char *rule;          /* why an action raised FAULT or BROKEN */
    char why[400];
    policy_decision_t dec;     /* why one raised REFUSED */
    char purpose[64];          /* ... the purpose it was asked for ("": the transfer's) */
    int attempts;              /* ERROR(CHUNK): attempts so far, read by its guard */
} out_ctx_t;

void out_release (run_t *r, out_xfer_t *x)
{
    if (x->dataset[0] && x->next > x->acked)
        r->inflight -= x->next - x->acked;     /* no longer ours to count */
    if (x->fd >= 0)
        close (x->fd);
    memset (x, 0, sizeof *x);
    x->fd = -1;
    x->state = OUT_QUEUED;
}

/* An attempt starts sending (ACCEPT): its rate counts from here. */
static void s_out_session (run_t *r, out_xfer_t *x)
{
    x->session_ms = x->logged_ms = x->moved_ms = run_now_ms ();
    x->session_from = x->logged_acked = x->acked;
    x->noted_ms = 0;
    report_soon (r);
}

static void s_delivery_note (run_t *r, peer_t *p, store_delivery_state_t state, const char *error, int count_attempt)
{
    store_delivery_t d;
    if (store_delivery_get (node_db (r->n), p->out.dataset, peer_to (r, p), &d) != 0)
        return;
    d.state = state;
    snprintf (d.error, sizeof d.error, "%s", error ? error : "");
    d.next_chunk = p->out.acked;
    if (state != STORE_DL_SENDING)
        d.started = 0;
    if (count_attempt)
        d.attempts++;
    if (store_delivery_update (node_db (r->n), &d) != 0)
        node_log (r->n, "error", "cannot record delivery: %s", store_error (node_db (r->n)));
}

/* The attempt ends (FATAL: for good), logged, audited and recorded with
   the reason; the next waits for the back-off. */
static void s_out_fail (run_t *r, peer_t *p, const char *rule, int fatal, const char *why)
{
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version, p->out.dataset);
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s %s: %s", p->out.dataset, peer_to (r, p),
              fatal ? "failed" : "interrupted", why);
    node_audit (r->n, actor, "send", object, peer_to (r, p), "refuse", rule, "%s%s", why, fatal ? "" : "; will retry");
    s_delivery_note (r, p, fatal ? STORE_DL_FAILED : STORE_DL_QUEUED, why, 0);
    peer_backoff (r, p);
}

/* Raises FAULT (or BROKEN when FATAL) with RULE and WHY for the row that
   handles it. */
static int s_raise (out_ctx_t *c, const char *rule, int fatal, const char *why)
{
    c->rule = rule;
    snprintf (c->why, sizeof c->why, "%s", why);
    return fatal ? OUT_EV_BROKEN : OUT_EV_FAULT;
}

/* The policy refused this delivery (DEC, asked for PURPOSE): it fails for
   good, with the rule. */
static void s_out_deny (run_t *r, peer_t *p, const char *purpose, const policy_decision_t *dec)
{
    char object[129], actor[80], why[320];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version, p->out.dataset);
    snprintf (why, sizeof why, "%s: %s", dec->rule, dec->reason);
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s refused by policy: %s", p->out.dataset, peer_to (r, p), why);
    node_audit_purpose (r->n, actor, "send", object, peer_to (r, p), purpose, "refuse", dec->rule, "%s", dec->reason);
    s_delivery_note (r, p, STORE_DL_FAILED, why, 0);
    run_schedule (r, run_now_ms ());
}

/* Sends chunks while there is credit and room in the node-wide budget.
   Raises ALL_SENT once the last is out, FAULT, BROKEN or REFUSED (the
   agreement ended) if it cannot go on; 0 otherwise. */
static int s_pump (out_ctx_t *c)
{
    run_t *r = c->r;
    peer_t *p = c->p;
    out_xfer_t *x = c->x;
    if (x->until && (int64_t) time (NULL) >= x->until) {
        decide_agreement_holds (r, x->agreement, x->until, &c->dec);
        return OUT_EV_REFUSED;
    }
    while (x->credit > 0 && x->next < x->chunks && r->inflight < RUN_INFLIGHT_MAX) {
        int64_t want = x->chunk_size;
        if (x->next == x->chunks - 1)
            want = x->bytes - x->chunk_size * (x->chunks - 1);
        size_t slen = (size_t) want + CX_CHUNK_ABYTES;
        zmq_msg_t payload;
        if (zmq_msg_init_size (&payload, slen) != 0)
            return s_raise (c, "node.memory", 0, "out of memory");
        ssize_t got = pread (x->fd, zmq_msg_data (&payload), slen, node_chunk_offset (x->chunk_size, x->next));
        if (got != (ssize_t) slen) {
            zmq_msg_close (&payload);
            return s_raise (c, "store.content", 1, "stored content is missing or short");
        }
        proto_msg_t m;
        memset (&m, 0, sizeof m);
        m.id = PROTO_CHUNK;
        memcpy (m.dataset, x->dsid, 16);
        m.number = (uint64_t) x->next;
        if (wire_send (r, p->dealer, NULL, 0, &m, &payload) != 0)
            return s_raise (c, "transport.send", 0, "peer not reachable");
        x->next++;
        x->credit--;
        r->inflight++;
    }
    x->deadline = run_now_ms () + RUN_TIMEOUT_MS;
    return x->next >= x->chunks ? OUT_EV_ALL_SENT : 0;
}

/* The OFFER of dataset D: the policy first, then the content key wrapped
   for the subscriber, the decision audited, the message sent. */
static int s_offer_send (out_ctx_t *c, const store_dataset_t *d)
{
    run_t *r = c->r;
    peer_t *p = c->p;
    out_xfer_t *x = c->x;
    proto_manifest_t man;
    if (proto_manifest_decode (d->manifest, d->manifest_len, &man) != PROTO_OK)
        return s_raise (c, "store.dataset", 1, "stored manifest does not decode");
    policy_request_t q = {POLICY_SEND, node_self (r->n)->org, p->info.org, d->topic, d->class_, d->purpose,
                          man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decide (node_db (r->n), &q, &c->dec);
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long) d->version, d->id);
    peer_actor (p, actor, sizeof actor);
    if (!c->dec.allow) {
        snprintf (c->purpose, sizeof c->purpose, "%s", d->purpose);
        return OUT_EV_REFUSED;
    }
    snprintf (x->agreement, sizeof x->agreement, "%s", c->dec.agreement);
    snprintf (x->purpose, sizeof x->purpose, "%s", d->purpose);
    x->until = c->dec.until;
    cx_content_t *key = node_content_key (r->n, d);
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_OFFER;
    memcpy (m.dataset, x->dsid, 16);
    memcpy (m.doc, d->manifest, d->manifest_len);
    m.doc_len = d->manifest_len;
    memcpy (m.sig, d->sig, 64);
    int wrapped = key ? cx_content_wrap (key, p->info.box_pk, m.wrapped) : -1;
    cx_content_destroy (&key);
    if (wrapped != 0)
        return s_raise (c, "crypto.wrap", 1, "cannot wrap the content key for the recipient");
    /* The decision is on record before it takes effect: no OFFER leaves
       whose allowing entry could not be written. */
    if (node_audit_purpose (r->n, actor, "offer", object, peer_to (r, p), d->purpose, "allow", c->dec.rule,
                            "offered %lld bytes (%s, purpose %s) to subscriber %s %s", (long long) d->bytes,
                            d->class_, d->purpose, peer_to (r, p), c->dec.reason) != 0)
        return s_raise (c, "audit.write", 0, "cannot write the audit log: offer held back");
    if (wire_send (r, p->dealer, NULL, 0, &m, NULL) != 0)
        return s_raise (c, "transport.send", 0, "peer not reachable");
    x->deadline = run_now_ms () + RUN_TIMEOUT_MS;
    s_delivery_note (r, p, STORE_DL_SENDING, NULL, 1);
    node_log (r->n, "info", "offered %s v%lld (%s, %lld bytes) to %s", d->topic, (long long) d->version, d->id,
              (long long) d->bytes, peer_to (r, p));
    return 0;
}

/* QUEUED, start: the dataset read from the store and its file opened. */
static int s_offer (out_ctx_t *c)
{
    out_xfer_t *x = c->x;
    store_dataset_t *d = malloc (sizeof *d);
    if (!d)
        return s_raise (c, "node.memory", 0, "out of memory");
    int raised;
    if (store_dataset_get (node_db (c->r->n), x->dataset, d) != 0) {
        raised = s_raise (c, "store.dataset", 1, "dataset not found in the store");
        goto out;
    }
    memcpy (x->hash, d->hash, 32);
    snprintf (x->topic, sizeof x->topic, "%s", d->topic);
    x->version = d->version;
    x->chunks = d->chunks;
    x->chunk_size = d->chunk_size;
    x->bytes = d->bytes;
    x->next = 0;
    x->credit = 0;
    if (cx_unhex (d->id, x->dsid, 16) != 0) {
        raised = s_raise (c, "store.dataset", 1, "corrupt dataset id");
        goto out;
    }
    char path[NODE_PATH_MAX];
    node_data_path (c->r->n, d->id, path, sizeof path);
    x->fd = open (path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        raised = s_raise (c, "store.content", 1, "stored content is missing");
        goto out;
    }
    raised = s_offer_send (c, d);
out:
    free (d);
    return raised;
}

static int s_accept (out_ctx_t *c)
{
    run_t *r = c->r;
    out_xfer_t *x = c->x;
    const proto_msg_t *m = c->in->m;
    if (x->next == 0 && m->number > 0)
        node_log (r->n, "info", "%s resumes %s from chunk %" PRIu64 " of %lld", peer_to (c->r, c->p), x->dataset,
                  m->number, (long long) x->chunks);
    if (x->next > x->acked)
        r->inflight -= x->next - x->acked;     /* a restart: those are gone */
    x->next = (int64_t) m->number;
    x->acked = x->next;
    x->credit = m->credit;
    store_delivery_t d;
    if (store_delivery_get (node_db (r->n), x->dataset, peer_to (r, c->p), &d) == 0) {
        d.started = (int64_t) time (NULL);
        d.next_chunk = x->acked;
        store_delivery_update (node_db (r->n), &d);
    }
    s_out_session (r, x);
    return s_pump (c);
}

static int s_credit (out_ctx_t *c)
{
    out_xfer_t *x = c->x;
    x->credit += c->in->m->credit;
    int64_t before = x->acked;
    x->acked += c->in->m->credit;
    if (x->acked > x->next)
        x->acked = x->next;
    c->r->inflight -= x->acked - before;
    if (x->acked > before)                      /* progress for listings: report_tick */
        x->moved_ms = run_now_ms ();
    if (x->credit > 2 * PROTO_CREDIT_MAX)
        x->credit = 2 * PROTO_CREDIT_MAX;
    return s_pump (c);
}

/* The guard "unverified": the RECEIPT does not decode, names another
   dataset, hash or recipient, or its signature fails (the reason kept for
   the row that refuses it). Otherwise it is decoded into C->rc. */
static int s_unverified (out_ctx_t *c, const char *rule, const char *why)
{
    s_raise (c, rule, 0, why);
    return 1;
}

static int s_receipt_unverified (out_ctx_t *c)
{
    const proto_msg_t *m = c->in->m;
    out_xfer_t *x = c->x;
    peer_t *p = c->p;
    if (proto_receipt_decode (m->doc, m->doc_len, &c->rc) != PROTO_OK)
        return s_unverified (c, "receipt.format", proto_error ());
    if (memcmp (c->rc.dataset, x->dsid, 16) != 0 || memcmp (c->rc.hash, x->hash, 32) != 0 ||
        strcmp (c->rc.recipient, p->info.org) != 0 || memcmp (c->rc.recipient_key, p->info.sign_pk, 32) != 0)
        return s_unverified (c, "receipt.content", "receipt names another dataset, hash or recipient");
    /* Signed by the node that received it, the one this delivery went to
       (its key is the receipt's recipient_key, checked above). */
    if (cx_verify (p->info.sign_pk, m->doc, m->doc_len, m->sig) != 0)
        return s_unverified (c, "receipt.signature", "receipt signature does not verify");
    return 0;
}

/* A verified receipt RC for P's delivery came in, inside the caller's
   transaction: the policy decides again before it is recorded as
   delivered. 0 if it still allows; 1 if it refused, the delivery then
   failed with the rule and its entry written and committed here (the
   receipt is not taken as delivery: the entry says what the peer claimed);
   -1 if the store could not record that (the caller rolls back). */
static int s_decide_again (run_t *r, peer_t *p, const proto_receipt_t *rc)
{
    out_xfer_t *x = &p->out;
    store_t *st = node_db (r->n);
    store_dataset_t *d = malloc (sizeof *d);
    store_delivery_t *dl = malloc (sizeof *dl);
    int ret = -1;
    if (!d || !dl || store_dataset_get (st, x->dataset, d) != 0 ||
        store_delivery_get (st, x->dataset, peer_to (r, p), dl) != 0)
        goto out;
    policy_decision_t dec;
    decide_again (r, POLICY_SEND, d, node_self (r->n)->org, p->info.org, &dec);
    if (dec.allow) {
        ret = 0;
        goto out;
    }
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    peer_actor (p, actor, sizeof actor);
    dl->state = STORE_DL_FAILED;
    snprintf (dl->error, sizeof dl->error, "%s: %s", dec.rule, dec.reason);
    dl->started = 0;
    if (store_delivery_update (st, dl) != 0 ||
        node_audit_purpose (r->n, actor, "deliver", object, peer_to (r, p), d->purpose, "refuse", dec.rule,
                            "%s; decided again when the receipt came: not recorded as delivered, although %s "
                            "signed a receipt for all %lld bytes (received at %lld)", dec.reason, p->info.org,
                            (long long) x->bytes, (long long) rc->received) != 0 ||
        store_commit (st) != 0)
        goto out;
    node_log (r->n, "warn", "delivery of %s to %s refused at its end: %s: %s", x->dataset, peer_to (r, p), dec.rule,
              dec.reason);
    ret = 1;
out:
    free (d);
    free (dl);
    return ret;
}

/* A verified RECEIPT: stored with its audit entry in one transaction, in
   which the policy decides again, so a revocation here while the last
   chunks were on their way is honoured, never recorded as delivered. */
static int s_receipt (out_ctx_t *c)
{
    run_t *r = c->r;
    peer_t *p = c->p;
    out_xfer_t *x = c->x;
    const proto_msg_t *m = c->in->m;
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    peer_actor (p, actor, sizeof actor);
    char hashhex[65];
    cx_hex (x->hash, sizeof x->hash, hashhex);
    store_t *st = node_db (r->n);
    if (store_begin (st) != 0)
        return s_raise (c, "store.write", 0, "cannot store the receipt");
    int refused = s_decide_again (r, p, &c->rc);
    if (refused != 0) {
        if (refused > 0)
            return OUT_EV_REFUSED_AT_END;
        store_rollback (st);
        return s_raise (c, "store.write", 0, "cannot record the refusal of the receipt");
    }
    if (store_delivery_receipt (st, x->dataset, peer_to (r, p), m->doc, m->doc_len, m->sig) != 0 ||
        node_audit (r->n, actor, "deliver", object, peer_to (r, p), "allow", "receipt.verified",
                    "%lld bytes delivered, blake2b %s; receipt signed by %s", (long long) x->bytes, hashhex,
                    p->info.org) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "cannot store receipt: %s", store_error (st));
        store_rollback (st);
        return s_raise (c, "store.write", 0, "cannot store the receipt");
    }
    node_log (r->n, "info", "delivered %s v%lld to %s (signed receipt stored)", x->topic, (long long) x->version,
              peer_to (r, p));
    store_delivery_t dl;                        /* every sibling learns it (SPEC.md 11.5) */
    if (!peer_is_sibling (r, p) && store_delivery_get (st, x->dataset, p->info.org, &dl) == 0)
        sibling_receipt (r, &dl);
    else if (peer_is_sibling (r, p))
        sibling_copy_receipted (r, p, x->dataset);
    p->backoff_ms = 0;
    p->retry_at = 0;
    run_schedule (r, run_now_ms ());
    return 0;
}

/* The guard "final-error": DENIED, SIGNATURE and HASH end a delivery, and
   so does CHUNK once it has failed RUN_MAX_CORRUPT attempts (the same
   sealed bytes keep failing: the stored copy is damaged). */
static int s_error_final (out_ctx_t *c)
{
    const proto_msg_t *m = c->in->m;
    store_delivery_t d;
    c->attempts = 0;
    if (m->code == PROTO_E_CHUNK && store_delivery_get (node_db (c->r->n), c->x->dataset, peer_to (c->r, c->p), &d) == 0 &&
        d.attempts >= RUN_MAX_CORRUPT)
        c->attempts = (int) d.attempts;
    return m->code == PROTO_E_DENIED || m->code == PROTO_E_SIGNATURE || m->code == PROTO_E_HASH || c->attempts;
}

static void s_error (out_ctx_t *c, int fatal)
{
    const proto_msg_t *m = c->in->m;
    char why[400];
    snprintf (why, sizeof why, "%s refused with %s: %s", c->p->info.org, proto_err_name (m->code), m->reason);
    if (c->attempts)
        snprintf (why + strlen (why), sizeof why - strlen (why),
                  " (%d attempts: the stored copy is damaged; publish it again)", c->attempts);
    s_out_fail (c->r, c->p, "peer.error", fatal, why);
}

/* A delivery that could not complete before its dataset's expiry
   (C->in->delivery, C->in->dataset) is reported as expired; nothing is
   dropped silently. */
static void s_expire (out_ctx_t *c)
{
    run_t *r = c->r;
    const store_delivery_t *d = c->in->delivery;
    const store_dataset_t *ds = c->in->dataset;
    store_delivery_t e = *d;
    e.state = STORE_DL_EXPIRED;
    snprintf (e.error, sizeof e.error, "not delivered before the retention period ended");
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", ds->topic, (long long) ds->version, ds->id);
    if (store_delivery_update (node_db (r->n), &e) == 0)
        node_audit (r->n, "node", "expire", object, d->subscriber, "refuse", "delivery.expired",
                    "delivery to %s did not complete before the dataset expired (%d attempts, last error: %s)",
                    d->subscriber, (int) d->attempts, d->error[0] ? d->error : "none");
    node_log (r->n, "warn", "delivery of %s to %s expired", d->dataset, d->subscriber);
}

static int s_guard (int guard, void *arg)
{
    out_ctx_t *c = arg;
    switch (guard) {
    case OUT_G_PAST_END:    return c->in->m->number > (uint64_t) c->x->chunks;
    case OUT_G_UNVERIFIED:  return s_receipt_unverified (c);
    case OUT_G_FINAL_ERROR: return s_error_final (c);
    default:                return 0;
    }
}

static int s_act (int action, void *arg)
{
    out_ctx_t *c = arg;
    run_t *r = c->r;
    peer_t *p = c->p;
    switch (action) {
    case OUT_A_OFFER:          return s_offer (c);
    case OUT_A_ACCEPT:         return s_accept (c);
    case OUT_A_CREDIT:         return s_credit (c);
    case OUT_A_PUMP:           return s_pump (c);
    case OUT_A_RECEIPT:        return s_receipt (c);
    case OUT_A_REFUSE_ACCEPT:  s_out_fail (r, p, "protocol.accept", 0, "ACCEPT asks for a chunk past the end"); break;
    case OUT_A_REFUSE_RECEIPT: s_out_fail (r, p, c->rule, 0, c->why); break;
    case OUT_A_ERROR_FINAL:    s_error (c, 1); break;
    case OUT_A_ERROR_RETRY:    s_error (c, 0); break;
    case OUT_A_TIMEOUT:        s_out_fail (r, p, "transport.timeout", 0, "no answer from the peer in time"); break;
    case OUT_A_LOST:           s_out_fail (r, p, "transport.send", 0, "connection lost"); break;
    case OUT_A_RETRY:          s_out_fail (r, p, c->rule, 0, c->why); break;
    case OUT_A_GIVE_UP:        s_out_fail (r, p, c->rule, 1, c->why); break;
    case OUT_A_DENY:           s_out_deny (r, p, c->purpose[0] ? c->purpose : c->x->purpose, &c->dec); break;
    case OUT_A_SETTLE:         run_schedule (r, run_now_ms ()); break;
    case OUT_A_EXPIRE:         s_expire (c); break;
    case OUT_A_HOLD:
        s_delivery_note (r, p, STORE_DL_QUEUED, "held: the peer's certificate is revoked or has ended", 0);
        break;
    case OUT_A_STOPPED:        s_delivery_note (r, p, STORE_DL_QUEUED, "node stopped", 0); break;
    default:                   break;
    }
    return 0;
}

int out_event (run_t *r, peer_t *p, out_event_t ev, out_input_t *in)
{
    out_input_t none;
    memset (&none, 0, sizeof none);
    out_ctx_t c;
    memset (&c, 0, sizeof c);
    c.r = r;
    c.p = p;
    c.in = in ? in : &none;
    c.x = c.in->slot ? c.in->slot : &p->out;
    if (c.in->dec)
        c.dec = *c.in->dec;
    const char *who = p ? p->info.org : c.in->delivery ? c.in->delivery->subscriber : "";
    if (ev != OUT_EV_START && !c.x->dataset[0]) {
        node_log (r->n, "warn", "%s from %s with no delivery in progress: ignored", session_out.events[ev], who);
        return -1;
    }
    int state = (int) c.x->state, refused;
    int rc = session_run (&session_out, &state, ev, s_guard, s_act, &c, &refused);
    if (rc != 0)
        node_log (r->n, "warn", "%s from %s in state %s: ignored", session_out.events[refused], who,
                  session_out.states[state]);
    if (state == OUT_QUEUED || session_out.final[state])
        out_release (r, c.x);                    /* the store holds it from here */
    else
        c.x->state = (out_state_t) state;
    return rc;
}

int out_expire (run_t *r, peer_t *p, const store_delivery_t *d, const store_dataset_t *ds)
{
    out_xfer_t queued;                           /* not under way: a session in the store only */
    memset (&queued, 0, sizeof queued);
    queued.fd = -1;
    queued.state = OUT_QUEUED;
    snprintf (queued.dataset, sizeof queued.dataset, "%s", d->dataset);
    out_input_t in = {0};
    in.delivery = d;
    in.dataset = ds;
    if (!(p && strcmp (p->out.dataset, d->dataset) == 0))
        in.slot = &queued;
    return out_event (r, p, OUT_EV_EXPIRED, &in);
}
