/*  outgoing.c: the publisher side of a delivery, one at a time per peer:
    OFFER, CHUNKs against credit, the RECEIPT, every step through the
    outgoing table (session.c).

    Not for: choosing what to send next (serving.c) or the wire (dispatch.c).
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

static const char *const s_out_state_names[] = {"QUEUED", "OFFERED", "SENDING", "AWAIT_RECEIPT"};
static const char *const s_event_names[] = {"start", "ACCEPT", "CREDIT", "RECEIPT", "ERROR", "timeout"};

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

void out_delivery_note (run_t *r, peer_t *p, const char *state, const char *error,
                             int count_attempt)
{
    store_delivery_t d;
    if (store_delivery_get (node_db (r->n), p->out.dataset, p->info.org, &d) != 0)
        return;
    snprintf (d.state, sizeof d.state, "%s", state);
    snprintf (d.error, sizeof d.error, "%s", error ? error : "");
    d.next_chunk = p->out.acked;
    if (strcmp (state, "sending") != 0)
        d.started = 0;
    if (count_attempt)
        d.attempts++;
    if (store_delivery_update (node_db (r->n), &d) != 0)
        node_log (r->n, "error", "cannot record delivery: %s", store_error (node_db (r->n)));
}

out_state_t out_fail (run_t *r, peer_t *p, const char *rule, int fatal, const char *why)
{
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version,
              p->out.dataset);
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s %s: %s", p->out.dataset, p->info.org,
              fatal ? "failed" : "interrupted", why);
    node_audit (r->n, actor, "send", object, p->info.org, "refuse", rule, "%s%s", why,
                fatal ? "" : "; will retry");
    out_delivery_note (r, p, fatal ? "failed" : "queued", why, 0);
    out_release (r, &p->out);
    peer_backoff (r, p);
    return OUT_QUEUED;
}

/* The policy refused this delivery: it fails for good, with the rule. */
out_state_t out_deny (run_t *r, peer_t *p, const char *purpose, const policy_decision_t *dec)
{
    char object[129], actor[80], why[320];
    snprintf (object, sizeof object, "%s v%lld %s", p->out.topic, (long long) p->out.version, p->out.dataset);
    snprintf (why, sizeof why, "%s: %s", dec->rule, dec->reason);
    peer_actor (p, actor, sizeof actor);
    node_log (r->n, "warn", "delivery of %s to %s refused by policy: %s", p->out.dataset, p->info.org, why);
    node_audit_purpose (r->n, actor, "send", object, p->info.org, purpose, "refuse", dec->rule, "%s",
                        dec->reason);
    out_delivery_note (r, p, "failed", why, 0);
    out_release (r, &p->out);
    run_schedule (r, run_now_ms ());
    return OUT_QUEUED;
}

out_state_t out_pump (run_t *r, peer_t *p)
{
    out_xfer_t *x = &p->out;
    if (x->until && (int64_t) time (NULL) >= x->until) {
        policy_decision_t dec;
        decide_agreement_holds (r, x->agreement, x->until, &dec);
        return out_deny (r, p, x->purpose, &dec);
    }
    while (x->credit > 0 && x->next < x->chunks && r->inflight < RUN_INFLIGHT_MAX) {
        int64_t want = x->chunk_size;
        if (x->next == x->chunks - 1)
            want = x->bytes - x->chunk_size * (x->chunks - 1);
        size_t slen = (size_t) want + CX_CHUNK_ABYTES;
        zmq_msg_t payload;
        if (zmq_msg_init_size (&payload, slen) != 0)
            return out_fail (r, p, "node.memory", 0, "out of memory");
        ssize_t got = pread (x->fd, zmq_msg_data (&payload), slen, node_chunk_offset (x->chunk_size, x->next));
        if (got != (ssize_t) slen) {
            zmq_msg_close (&payload);
            return out_fail (r, p, "store.content", 1, "stored content is missing or short");
        }
        proto_msg_t m;
        memset (&m, 0, sizeof m);
        m.id = PROTO_CHUNK;
        memcpy (m.dataset, x->dsid, 16);
        m.number = (uint64_t) x->next;
        if (wire_send (r, p->dealer, NULL, 0, &m, &payload) != 0)
            return out_fail (r, p, "transport.send", 0, "peer not reachable");
        x->next++;
        x->credit--;
        r->inflight++;
    }
    x->deadline = run_now_ms () + RUN_TIMEOUT_MS;
    return x->next >= x->chunks ? OUT_AWAIT_RECEIPT : OUT_SENDING;
}

static out_state_t s_out_offer (run_t *r, peer_t *p, const proto_msg_t *unused)
{
    (void) unused;
    out_xfer_t *x = &p->out;
    store_dataset_t *d = malloc (sizeof *d);
    if (!d)
        return out_fail (r, p, "node.memory", 0, "out of memory");
    out_state_t next = OUT_OFFERED;
    if (store_dataset_get (node_db (r->n), x->dataset, d) != 0) {
        next = out_fail (r, p, "store.dataset", 1, "dataset not found in the store");
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
        next = out_fail (r, p, "store.dataset", 1, "corrupt dataset id");
        goto out;
    }
    char path[NODE_PATH_MAX];
    node_data_path (r->n, d->id, path, sizeof path);
    x->fd = open (path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        next = out_fail (r, p, "store.content", 1, "stored content is missing");
        goto out;
    }
    proto_manifest_t man;
    if (proto_manifest_decode (d->manifest, d->manifest_len, &man) != PROTO_OK) {
        next = out_fail (r, p, "store.dataset", 1, "stored manifest does not decode");
        goto out;
    }
    policy_request_t q = {POLICY_SEND, node_self (r->n)->org, p->info.org, d->topic, d->class_, d->purpose,
                          man.legal_basis, man.opt_out, man.agreement, (int64_t) time (NULL)};
    policy_decision_t dec;
    policy_decide (node_db (r->n), &q, &dec);
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", d->topic, (long long) d->version, d->id);
    peer_actor (p, actor, sizeof actor);
    if (!dec.allow) {
        next = out_deny (r, p, d->purpose, &dec);
        goto out;
    }
    snprintf (x->agreement, sizeof x->agreement, "%s", dec.agreement);
    snprintf (x->purpose, sizeof x->purpose, "%s", d->purpose);
    x->until = dec.until;
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
    if (wrapped != 0) {
        next = out_fail (r, p, "crypto.wrap", 1, "cannot wrap the content key for the recipient");
        goto out;
    }
    /* The decision is on record before it takes effect: no OFFER leaves
       whose allowing entry could not be written. */
    if (node_audit_purpose (r->n, actor, "offer", object, p->info.org, d->purpose, "allow", dec.rule,
                            "offered %lld bytes (%s, purpose %s) to subscriber %s %s", (long long) d->bytes,
                            d->class_, d->purpose, p->info.org, dec.reason) != 0) {
        next = out_fail (r, p, "audit.write", 0, "cannot write the audit log: offer held back");
        goto out;
    }
    if (wire_send (r, p->dealer, NULL, 0, &m, NULL) != 0) {
        next = out_fail (r, p, "transport.send", 0, "peer not reachable");
        goto out;
    }
    x->deadline = run_now_ms () + RUN_TIMEOUT_MS;
    out_delivery_note (r, p, "sending", NULL, 1);
    node_log (r->n, "info", "offered %s v%lld (%s, %lld bytes) to %s", d->topic, (long long) d->version,
              d->id, (long long) d->bytes, p->info.org);
out:
    free (d);
    return next;
}

static out_state_t s_out_accept (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    if (m->number > (uint64_t) x->chunks)
        return out_fail (r, p, "protocol.accept", 0, "ACCEPT asks for a chunk past the end");
    if (x->next == 0 && m->number > 0)
        node_log (r->n, "info", "%s resumes %s from chunk %" PRIu64 " of %lld", p->info.org, x->dataset,
                  m->number, (long long) x->chunks);
    if (x->next > x->acked)
        r->inflight -= x->next - x->acked;     /* a restart: those are gone */
    x->next = (int64_t) m->number;
    x->acked = x->next;
    x->credit = m->credit;
    store_delivery_t d;
    if (store_delivery_get (node_db (r->n), x->dataset, p->info.org, &d) == 0) {
        d.started = (int64_t) time (NULL);
        d.next_chunk = x->acked;
        store_delivery_update (node_db (r->n), &d);
    }
    s_out_session (r, x);
    return out_pump (r, p);
}

static out_state_t s_out_credit (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    x->credit += m->credit;
    int64_t before = x->acked;
    x->acked += m->credit;
    if (x->acked > x->next)
        x->acked = x->next;
    r->inflight -= x->acked - before;
    if (x->acked > before)                      /* progress for listings: report_tick */
        x->moved_ms = run_now_ms ();
    if (x->credit > 2 * PROTO_CREDIT_MAX)
        x->credit = 2 * PROTO_CREDIT_MAX;
    return out_pump (r, p);
}

static out_state_t s_out_ignore (run_t *r, peer_t *p, const proto_msg_t *m)
{
    (void) r;
    (void) m;
    return p->out.state;
}

/* A verified receipt RC for P's delivery came in, inside the caller's
   transaction: the policy decides again before it is recorded as
   delivered. 0 if it still allows; 1 if it refused, the delivery then
   failed with the rule and its entry written and committed here (the
   receipt is not taken as delivery: the entry says what the peer claimed);
   -1 if the store could not record that (the caller rolls back). */
static int s_out_decide_again (run_t *r, peer_t *p, const proto_receipt_t *rc)
{
    out_xfer_t *x = &p->out;
    store_t *st = node_db (r->n);
    store_dataset_t *d = malloc (sizeof *d);
    store_delivery_t *dl = malloc (sizeof *dl);
    int ret = -1;
    if (!d || !dl || store_dataset_get (st, x->dataset, d) != 0 ||
        store_delivery_get (st, x->dataset, p->info.org, dl) != 0)
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
    snprintf (dl->state, sizeof dl->state, "failed");
    snprintf (dl->error, sizeof dl->error, "%s: %s", dec.rule, dec.reason);
    dl->started = 0;
    if (store_delivery_update (st, dl) != 0 ||
        node_audit_purpose (r->n, actor, "deliver", object, p->info.org, d->purpose, "refuse", dec.rule,
                            "%s; decided again when the receipt came: not recorded as delivered, although %s "
                            "signed a receipt for all %lld bytes (received at %lld)", dec.reason, p->info.org,
                            (long long) x->bytes, (long long) rc->received) != 0 ||
        store_commit (st) != 0)
        goto out;
    node_log (r->n, "warn", "delivery of %s to %s refused at its end: %s: %s", x->dataset, p->info.org, dec.rule,
              dec.reason);
    ret = 1;
out:
    free (d);
    free (dl);
    return ret;
}

static out_state_t s_out_receipt (run_t *r, peer_t *p, const proto_msg_t *m)
{
    out_xfer_t *x = &p->out;
    proto_receipt_t rc;
    if (proto_receipt_decode (m->doc, m->doc_len, &rc) != PROTO_OK)
        return out_fail (r, p, "receipt.format", 0, proto_error ());
    if (memcmp (rc.dataset, x->dsid, 16) != 0 || memcmp (rc.hash, x->hash, 32) != 0 ||
        strcmp (rc.recipient, p->info.org) != 0 || memcmp (rc.recipient_key, p->info.sign_pk, 32) != 0)
        return out_fail (r, p, "receipt.content", 0,
                           "receipt names another dataset, hash or recipient");
    if (cx_verify (p->info.sign_pk, m->doc, m->doc_len, m->sig) != 0)
        return out_fail (r, p, "receipt.signature", 0, "receipt signature does not verify");
    char object[129], actor[80];
    snprintf (object, sizeof object, "%s v%lld %s", x->topic, (long long) x->version, x->dataset);
    peer_actor (p, actor, sizeof actor);
    char hashhex[65];
    cx_hex (x->hash, sizeof x->hash, hashhex);
    /* The receipt and its audit entry are one transaction: a delivery is
       never recorded without the entry, nor the entry without it. The
       policy decides again inside it, so a revocation here while the last
       chunks were on their way is honoured, never recorded as delivered. */
    store_t *st = node_db (r->n);
    if (store_begin (st) != 0)
        return out_fail (r, p, "store.write", 0, "cannot store the receipt");
    int refused = s_out_decide_again (r, p, &rc);
    if (refused != 0) {
        if (refused < 0) {
            store_rollback (st);
            return out_fail (r, p, "store.write", 0, "cannot record the refusal of the receipt");
        }
        out_release (r, x);
        run_schedule (r, run_now_ms ());
        return OUT_QUEUED;
    }
    if (store_delivery_receipt (st, x->dataset, p->info.org, m->doc, m->doc_len, m->sig) != 0 ||
        node_audit (r->n, actor, "deliver", object, p->info.org, "allow", "receipt.verified",
                    "%lld bytes delivered, blake2b %s; receipt signed by %s", (long long) x->bytes, hashhex,
                    p->info.org) != 0 ||
        store_commit (st) != 0) {
        node_log (r->n, "error", "cannot store receipt: %s", store_error (st));
        store_rollback (st);
        return out_fail (r, p, "store.write", 0, "cannot store the receipt");
    }
    node_log (r->n, "info", "delivered %s v%lld to %s (signed receipt stored)", x->topic,
              (long long) x->version, p->info.org);
    out_release (r, x);
    p->backoff_ms = 0;
    p->retry_at = 0;
    run_schedule (r, run_now_ms ());
    return OUT_QUEUED;
}

static out_state_t s_out_error (run_t *r, peer_t *p, const proto_msg_t *m)
{
    char why[400];
    snprintf (why, sizeof why, "%s refused with %s: %s", p->info.org, proto_err_name (m->code), m->reason);
    int fatal = m->code == PROTO_E_DENIED || m->code == PROTO_E_SIGNATURE || m->code == PROTO_E_HASH;
    store_delivery_t d;
    if (m->code == PROTO_E_CHUNK &&
        store_delivery_get (node_db (r->n), p->out.dataset, p->info.org, &d) == 0 &&
        d.attempts >= RUN_MAX_CORRUPT) {
        /* The same sealed bytes keep failing: our stored copy is damaged. */
        fatal = 1;
        snprintf (why + strlen (why), sizeof why - strlen (why),
                  " (%d attempts: the stored copy is damaged; publish it again)", (int) d.attempts);
    }
    return out_fail (r, p, "peer.error", fatal, why);
}

static out_state_t s_out_timeout (run_t *r, peer_t *p, const proto_msg_t *m)
{
    (void) m;
    return out_fail (r, p, "transport.timeout", 0, "no answer from the peer in time");
}

typedef out_state_t (out_action_fn) (run_t *r, peer_t *p, const proto_msg_t *m);

#define ANY OUT_STATES
static const struct {
    out_state_t state;
    out_event_t event;
    out_action_fn *action;
} s_out_table[] = {
    {OUT_QUEUED, EV_START, s_out_offer},
    {OUT_OFFERED, EV_ACCEPT, s_out_accept},
    {OUT_SENDING, EV_ACCEPT, s_out_accept},         /* receiver restarted its side */
    {OUT_AWAIT_RECEIPT, EV_ACCEPT, s_out_accept},
    {OUT_SENDING, EV_CREDIT, s_out_credit},
    {OUT_AWAIT_RECEIPT, EV_CREDIT, s_out_ignore},   /* credit for chunks already sent */
    {OUT_OFFERED, EV_RECEIPT, s_out_receipt},       /* it already had the dataset */
    {OUT_SENDING, EV_RECEIPT, s_out_receipt},
    {OUT_AWAIT_RECEIPT, EV_RECEIPT, s_out_receipt},
    {ANY, EV_ERROR, s_out_error},
    {ANY, EV_TIMEOUT, s_out_timeout},
};

void out_event (run_t *r, peer_t *p, out_event_t ev, const proto_msg_t *m)
{
    out_state_t state = p->out.state;
    if (ev != EV_START && !p->out.dataset[0]) {
        node_log (r->n, "warn", "%s from %s with no delivery in progress: ignored", s_event_names[ev],
                  p->info.org);
        return;
    }
    for (size_t i = 0; i < sizeof s_out_table / sizeof s_out_table[0]; i++) {
        if ((s_out_table[i].state == state || s_out_table[i].state == ANY) && s_out_table[i].event == ev) {
            out_state_t next = s_out_table[i].action (r, p, m);
            if (p->out.dataset[0])
                p->out.state = next;
            return;
        }
    }
    node_log (r->n, "warn", "%s from %s in state %s: ignored", s_event_names[ev], p->info.org,
              s_out_state_names[state]);
}
