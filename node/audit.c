/*  audit.c: the node's audit log, an account an IG officer can check.

    Appending entries (the store chains each to the one before with
    BLAKE2b-256), signing checkpoints of the chain with the node's Ed25519
    key, and walking the log to find the first entry that was edited,
    deleted, inserted or moved, or a checkpoint the chain no longer
    matches.

    What it proves and what it cannot: an entry changed after a checkpoint
    that covers it is caught by anyone holding this node's public key,
    whatever else was recomputed; an entry changed without recomputing the
    hashes after it is caught even before a checkpoint. Whoever holds the
    signing key can rewrite everything, and entries after the last
    checkpoint can be cut off the end unseen (SECURITY.md).

    Not for: the SQL (store/), the command line (tools/).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "core.h"
#include "keys.h"

/* The signed form of a checkpoint: TAG (with its NUL) | org | seq (8,
   big-endian) | hash (32). The org is the only variable part, so the
   message's length says where it ends. */
#define S_CP_TAG "cdx-audit-checkpoint"
#define S_CP_MSG_MAX (sizeof S_CP_TAG + 16 + 8 + STORE_HASHBYTES)

_Static_assert(STORE_HASHBYTES == CX_HASHBYTES, "the chain hash is BLAKE2b-256");

/* ---- appending ------------------------------------------------------------ */

static void s_after_append (node_t *n, const char *actor, const char *action, const char *rule);

static int s_append (node_t *n, const char *actor, const char *action, const char *object,
                     const char *peer, const char *purpose, const char *decision, const char *rule,
                     const char *fmt, va_list ap) __attribute__ ((format (printf, 9, 0)));

static int s_append (node_t *n, const char *actor, const char *action, const char *object,
                     const char *peer, const char *purpose, const char *decision, const char *rule,
                     const char *fmt, va_list ap)
{
    store_audit_t e;
    memset (&e, 0, sizeof e);
    snprintf (e.actor, sizeof e.actor, "%s", actor ? actor : "node");
    snprintf (e.action, sizeof e.action, "%s", action);
    snprintf (e.object, sizeof e.object, "%s", object ? object : "");
    snprintf (e.peer, sizeof e.peer, "%s", peer ? peer : "");
    snprintf (e.purpose, sizeof e.purpose, "%s", purpose ? purpose : "");
    snprintf (e.decision, sizeof e.decision, "%s", decision);
    snprintf (e.rule, sizeof e.rule, "%s", rule ? rule : "");
    vsnprintf (e.detail, sizeof e.detail, fmt, ap);
    if (store_audit_append (node_db (n), &e) != 0) {
        /* Never lost in silence: an entry that cannot be written (a full
           disk, say) is at least on stderr, with why. */
        node_fail (n, "cannot write the audit log: %s", store_error (node_db (n)));
        node_log (n, "error", "%s; entry lost: %s %s %s %s (%s): %s", node_error (n), e.actor, e.action, e.object,
                  e.decision, e.rule, e.detail);
        return -1;
    }
    s_after_append (n, e.actor, e.action, e.rule);
    return 0;
}

int node_audit (node_t *n, const char *actor, const char *action, const char *object,
                const char *peer, const char *decision, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_append (n, actor, action, object, peer, "", decision, rule, fmt, ap);
    va_end (ap);
    return rc;
}

int node_audit_refusal (node_t *n, const char *actor, const char *action, const char *object, const char *peer,
                        const char *rule)
{
    node_audit (n, actor, action, object, peer, "refuse", rule, "%s", node_error (n));
    return -1;
}

int node_audit_purpose (node_t *n, const char *actor, const char *action, const char *object,
                        const char *peer, const char *purpose, const char *decision,
                        const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_append (n, actor, action, object, peer, purpose, decision, rule, fmt, ap);
    va_end (ap);
    return rc;
}

/* ---- checkpoints -------------------------------------------------------------- */

static size_t s_cp_message (const char *org, int64_t seq, const uint8_t hash[STORE_HASHBYTES],
                            uint8_t buf[S_CP_MSG_MAX])
{
    size_t olen = strnlen (org, 17);
    if (olen > 16) return 0;
    uint8_t *p = buf;
    memcpy (p, S_CP_TAG, sizeof S_CP_TAG); /* with its NUL */
    p += sizeof S_CP_TAG;
    memcpy (p, org, olen);
    p += olen;
    uint64_t v = (uint64_t)seq;
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xFF);
        v >>= 8;
    }
    p += 8;
    memcpy (p, hash, STORE_HASHBYTES);
    p += STORE_HASHBYTES;
    return (size_t)(p - buf);
}

/* 0 if C is this node's signature over its (seq, hash). */
static int s_cp_verify (node_t *n, const store_checkpoint_t *c)
{
    uint8_t msg[S_CP_MSG_MAX];
    size_t len = s_cp_message (node_self (n)->org, c->seq, c->hash, msg);
    if (len == 0) return -1;
    return node_verify_own (n, msg, len, c->sig);   /* the signing key, or one before a rotation */
}

/* Signs and records a checkpoint of entry SEQ with chain hash HASH. 0, or
   -1 with the reason in WHY (node_error is left alone: this runs after other
   work whose error the caller may still be reporting). */
static int s_cp_sign (node_t *n, int64_t seq, const uint8_t hash[STORE_HASHBYTES], char *why,
                      size_t cap)
{
    store_checkpoint_t c;
    memset (&c, 0, sizeof c);
    c.seq = seq;
    memcpy (c.hash, hash, STORE_HASHBYTES);
    uint8_t msg[S_CP_MSG_MAX];
    size_t len = s_cp_message (node_self (n)->org, seq, hash, msg);
    if (len == 0) {
        snprintf (why, cap, "this node's org code is too long to sign a checkpoint");
        return -1;
    }
    if (cx_sign (node_sign_key (n), msg, len, c.sig) != 0) {
        snprintf (why, cap, "cannot sign the audit checkpoint: %s", cx_error ());
        return -1;
    }
    if (store_checkpoint_put (node_db (n), &c) != 0) {
        snprintf (why, cap, "%s", store_error (node_db (n)));
        return -1;
    }
    return 0;
}

/* ---- walking the chain ---------------------------------------------------------- */

typedef struct {
    node_t *n;
    node_audit_report_t *r;
    store_checkpoint_t *cps; /* every checkpoint, by seq (full walk) */
    size_t ncps, cap, next;
    int anchored;              /* 0 until the anchor entry was seen (incremental walk) */
    store_checkpoint_t anchor; /* incremental walk: start at this checkpoint */
    int64_t expect;            /* the next seq there must be */
    int64_t good_cp;           /* seq of the last checkpoint that matched, 0 if none */
    uint8_t prev[STORE_HASHBYTES];
    store_audit_t bad; /* the entry that did not match its hash */
} s_walk_t;

static int s_problem (node_audit_report_t *r, node_audit_problem_t p, int64_t seq, const char *fmt,
                      ...) __attribute__ ((format (printf, 4, 5)));
static int s_problem (node_audit_report_t *r, node_audit_problem_t p, int64_t seq, const char *fmt,
                      ...)
{
    r->problem = p;
    r->seq = seq;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->reason, sizeof r->reason, fmt, ap);
    va_end (ap);
    return 1; /* stops the walk */
}

/* H(PREV || encoding of E as if its seq were SEQ) into OUT. 0, or -1. */
static int s_link (const uint8_t prev[STORE_HASHBYTES], const store_audit_t *e, int64_t seq,
                   uint8_t out[STORE_HASHBYTES])
{
    store_audit_t tmp = *e;
    tmp.seq = seq;
    uint8_t buf[STORE_AUDIT_ENCODED_MAX];
    size_t len = store_audit_encode (prev, &tmp, buf, sizeof buf);
    if (len == 0) return -1;
    return cx_hash_buf (buf, len, out);
}

static int s_collect_cp (const store_checkpoint_t *c, void *arg)
{
    s_walk_t *w = arg;
    if (w->ncps == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        store_checkpoint_t *grown = realloc (w->cps, cap * sizeof *grown);
        if (!grown) return 2;
        w->cps = grown;
        w->cap = cap;
    }
    w->cps[w->ncps++] = *c;
    return 0;
}

/* Checks the checkpoints at or before E's seq against E. */
static int s_walk_checkpoints (s_walk_t *w, const store_audit_t *e)
{
    node_audit_report_t *r = w->r;
    for (; w->next < w->ncps && w->cps[w->next].seq <= e->seq; w->next++) {
        const store_checkpoint_t *c = &w->cps[w->next];
        if (s_cp_verify (w->n, c) != 0)
            return s_problem (r, NODE_AUDIT_CHECKPOINT_SIG, c->seq,
                              "the checkpoint at seq %lld does not carry this node's signature "
                              "(a forged or altered checkpoint)",
                              (long long)c->seq);
        if (c->seq < e->seq) /* in a gap, which was reported first: cannot happen */
            return s_problem (r, NODE_AUDIT_CHECKPOINT_HASH, c->seq,
                              "the checkpoint at seq %lld names an entry that is not in the log",
                              (long long)c->seq);
        if (memcmp (c->hash, e->hash, STORE_HASHBYTES) != 0) {
            if (w->good_cp)
                return s_problem (r, NODE_AUDIT_CHECKPOINT_HASH, c->seq,
                                  "entry %lld differs from the signed checkpoint at that seq: "
                                  "entries after %lld (the checkpoint before) up to %lld were "
                                  "rewritten and their hashes recomputed",
                                  (long long)c->seq, (long long)w->good_cp, (long long)c->seq);
            return s_problem (r, NODE_AUDIT_CHECKPOINT_HASH, c->seq,
                              "entry %lld differs from the signed checkpoint at that seq: entries "
                              "up to %lld were rewritten and their hashes recomputed",
                              (long long)c->seq, (long long)c->seq);
        }
        w->good_cp = c->seq;
        r->checkpoints++;
        r->checkpoint_seq = c->seq;
        memcpy (r->checkpoint_hash, c->hash, STORE_HASHBYTES);
    }
    return 0;
}

static int s_walk_entry (const store_audit_t *e, void *arg)
{
    s_walk_t *w = arg;
    node_audit_report_t *r = w->r;
    r->entries++;
    if (!w->anchored) {
        /* An incremental walk starts at the last checkpoint's entry, which
           only has to be the one that was signed. */
        if (e->seq != w->anchor.seq || memcmp (e->hash, w->anchor.hash, STORE_HASHBYTES) != 0)
            return s_problem (r, NODE_AUDIT_CHECKPOINT_HASH, w->anchor.seq,
                              "entry %lld is not the one the last checkpoint signed",
                              (long long)w->anchor.seq);
        w->anchored = 1;
    } else {
        if (e->seq < w->expect) {
            /* Seqs come in order and unique, so only an entry before seq 1
               (written past the table's CHECK) can go back: not a gap. */
            w->bad = *e;
            return s_problem (r, NODE_AUDIT_HASH, e->seq,
                              "entry %lld comes before the log's first entry (seq 1): it was "
                              "inserted",
                              (long long)e->seq);
        }
        if (e->seq != w->expect) {
            r->other = e->seq - 1;
            if (e->seq == w->expect + 1)
                return s_problem (r, NODE_AUDIT_GAP, w->expect,
                                  "entry %lld is missing (deleted): the log goes from %lld to %lld",
                                  (long long)w->expect, (long long)w->expect - 1,
                                  (long long)e->seq);
            return s_problem (r, NODE_AUDIT_GAP, w->expect,
                              "entries %lld to %lld are missing (deleted): the log goes from %lld "
                              "to %lld",
                              (long long)w->expect, (long long)e->seq - 1, (long long)w->expect - 1,
                              (long long)e->seq);
        }
        uint8_t h[STORE_HASHBYTES];
        if (s_link (w->prev, e, e->seq, h) != 0)
            return s_problem (r, NODE_AUDIT_UNREADABLE, e->seq, "entry %lld cannot be hashed: %s",
                              (long long)e->seq, cx_error ());
        if (memcmp (h, e->hash, STORE_HASHBYTES) != 0) {
            w->bad = *e;
            return s_problem (r, NODE_AUDIT_HASH, e->seq,
                              "entry %lld does not match its hash: it was edited (or inserted)",
                              (long long)e->seq);
        }
        if (s_walk_checkpoints (w, e) != 0) return 1;
    }
    memcpy (w->prev, e->hash, STORE_HASHBYTES);
    w->expect = e->seq + 1;
    r->last_seq = e->seq;
    memcpy (r->last_hash, e->hash, STORE_HASHBYTES);
    return 0;
}

/* After a HASH problem, one more pass over the log to say what happened,
   keeping nothing but the previous hash.

   Moved: the entry at the wrong place was written as another seq if, with
   that seq, it links where it would have been: after the hash now stored
   before that seq (rows moved with their hashes, or only their contents),
   or after the hash now stored at that seq (two neighbours swapped whole).

   Renumbered: the entry after it still links to it, but as a seq D away:
   the entries from here on were renumbered, to close a gap of D deleted
   entries (D > 0) or to make room for -D inserted ones. */
#define S_SHIFT_MAX 16

typedef struct {
    const store_audit_t *bad;
    uint8_t prev[STORE_HASHBYTES];
    int64_t moved; /* the seq the bad entry was written as */
    int shift;     /* D, or 0 */
} s_diagnose_t;

static int s_diagnose (const store_audit_t *e, void *arg)
{
    s_diagnose_t *m = arg;
    uint8_t h[STORE_HASHBYTES];
    if (e->seq != m->bad->seq) {
        if (s_link (m->prev, m->bad, e->seq, h) == 0 &&
            (memcmp (h, m->bad->hash, STORE_HASHBYTES) == 0 ||
             memcmp (h, e->hash, STORE_HASHBYTES) == 0)) {
            m->moved = e->seq;
            return 1;
        }
        if (s_link (e->hash, m->bad, e->seq, h) == 0 &&
            memcmp (h, m->bad->hash, STORE_HASHBYTES) == 0) {
            m->moved = e->seq;
            return 1;
        }
    }
    if (e->seq == m->bad->seq + 1 && !m->shift)
        for (int d = -S_SHIFT_MAX; d <= S_SHIFT_MAX; d++)
            if (d != 0 && s_link (m->bad->hash, e, e->seq + d, h) == 0 &&
                memcmp (h, e->hash, STORE_HASHBYTES) == 0) {
                m->shift = d;
                break;
            }
    memcpy (m->prev, e->hash, STORE_HASHBYTES);
    return 0;
}

static void s_diagnose_hash (s_walk_t *w)
{
    s_diagnose_t m;
    memset (&m, 0, sizeof m);
    m.bad = &w->bad;
    if (store_audit_each (node_db (w->n), s_diagnose, &m) < 0) return;
    int64_t seq = w->bad.seq;
    if (m.moved) {
        w->r->other = m.moved;
        s_problem (w->r, NODE_AUDIT_MOVED, seq,
                   "entry %lld holds the entry written as seq %lld: the log was reordered (or "
                   "renumbered around an inserted or deleted entry)",
                   (long long)seq, (long long)m.moved);
    } else if (m.shift > 0) {
        w->r->other = seq + m.shift - 1;
        s_problem (w->r, NODE_AUDIT_GAP, seq,
                   "%d entr%s from seq %lld %s deleted, and the entries after renumbered to close "
                   "the gap",
                   m.shift, m.shift == 1 ? "y" : "ies", (long long)seq,
                   m.shift == 1 ? "was" : "were");
    } else if (m.shift < 0) {
        s_problem (w->r, NODE_AUDIT_HASH, seq,
                   "entry %lld does not match its hash: it was inserted, and the entries after it "
                   "renumbered",
                   (long long)seq);
    }
}

const char *node_audit_problem_name (node_audit_problem_t p)
{
    switch (p) {
    case NODE_AUDIT_OK:
        return "ok";
    case NODE_AUDIT_GAP:
        return "gap";
    case NODE_AUDIT_HASH:
        return "hash";
    case NODE_AUDIT_MOVED:
        return "reordered";
    case NODE_AUDIT_CHECKPOINT_SIG:
        return "checkpoint-signature";
    case NODE_AUDIT_CHECKPOINT_HASH:
        return "checkpoint-mismatch";
    case NODE_AUDIT_TRUNCATED:
        return "truncated";
    case NODE_AUDIT_UNREADABLE:
        return "unreadable";
    }
    return "?";
}

/* After a walk that read every entry: checkpoints past the end. */
static void s_walk_end (s_walk_t *w)
{
    node_audit_report_t *r = w->r;
    if (r->problem == NODE_AUDIT_OK && w->next < w->ncps) {
        const store_checkpoint_t *c = &w->cps[w->next];
        if (s_cp_verify (w->n, c) != 0)
            s_problem (r, NODE_AUDIT_CHECKPOINT_SIG, c->seq,
                       "the checkpoint at seq %lld does not carry this node's signature "
                       "(a forged or altered checkpoint)",
                       (long long)c->seq);
        else if (r->last_seq == 0)
            s_problem (r, NODE_AUDIT_TRUNCATED, c->seq,
                       "a signed checkpoint covers entry %lld, but the log is empty: every entry "
                       "was deleted",
                       (long long)c->seq);
        else
            s_problem (r, NODE_AUDIT_TRUNCATED, c->seq,
                       "a signed checkpoint covers entry %lld, but the log ends at %lld: entries "
                       "were deleted from its end",
                       (long long)c->seq, (long long)r->last_seq);
    }
    if (r->problem == NODE_AUDIT_OK && r->entries == 0)
        s_problem (r, NODE_AUDIT_GAP, 1,
                   "the log is empty, but every node's log starts with its init entry: entries "
                   "were deleted");
    r->uncovered = r->last_seq - r->checkpoint_seq;
}

int node_audit_verify (node_t *n, int checkpoint, node_audit_report_t *r)
{
    memset (r, 0, sizeof *r);
    s_walk_t w;
    memset (&w, 0, sizeof w);
    w.n = n;
    w.r = r;
    w.anchored = 1;
    w.expect = 1;
    int ret = -1;
    int rc = store_checkpoint_each (node_db (n), s_collect_cp, &w);
    if (rc == 2) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (rc != 0) {
        s_problem (r, NODE_AUDIT_UNREADABLE, 0, "%s", store_error (node_db (n)));
        ret = 0;
        goto out;
    }
    rc = store_audit_each (node_db (n), s_walk_entry, &w);
    if (rc < 0) {
        /* A row the store cannot read: the one after the last one read (the
           store's reason names it). */
        s_problem (r, NODE_AUDIT_UNREADABLE, w.expect, "%s", store_error (node_db (n)));
        ret = 0;
        goto out;
    }
    if (r->problem == NODE_AUDIT_HASH) s_diagnose_hash (&w);
    s_walk_end (&w);
    if (checkpoint && r->problem == NODE_AUDIT_OK && r->last_seq > r->checkpoint_seq) {
        char why[NODE_ERR_MAX];
        if (s_cp_sign (n, r->last_seq, r->last_hash, why, sizeof why) != 0) {
            node_fail (n, "%s", why);
            goto out;
        }
        r->checkpoints++;
        r->checkpoint_seq = r->last_seq;
        memcpy (r->checkpoint_hash, r->last_hash, STORE_HASHBYTES);
        r->uncovered = 0;
    }
    ret = 0;
out:
    free (w.cps);
    return ret;
}

/* ---- the running node's checkpoints ---------------------------------------------

   Checks the entries since the last checkpoint (all of them if there is
   none) and signs one of the last. The running node never signs over a
   broken link: it says so on its log instead, and an officer runs cdx
   audit verify to see where. */
static void s_checkpoint_since_last (node_t *n)
{
    node_audit_report_t r;
    memset (&r, 0, sizeof r);
    s_walk_t w;
    memset (&w, 0, sizeof w);
    w.n = n;
    w.r = &r;
    w.expect = 1;
    w.anchored = 1;
    int64_t from = 1;
    int found = store_checkpoint_last (node_db (n), &w.anchor);
    if (found == 0) {
        if (s_cp_verify (n, &w.anchor) != 0) {
            node_log (n, "warn",
                      "audit log: the checkpoint at seq %lld does not carry this node's "
                      "signature; not signing another (run cdx audit verify)",
                      (long long)w.anchor.seq);
            return;
        }
        w.anchored = 0;
        from = w.anchor.seq;
    } else if (found != STORE_NOTFOUND) {
        node_log (n, "warn", "audit log: %s; not signing a checkpoint", store_error (node_db (n)));
        return;
    }
    if (store_audit_each_from (node_db (n), from, s_walk_entry, &w) < 0) {
        node_log (n, "warn", "audit log: %s; not signing a checkpoint (run cdx audit verify)",
                  store_error (node_db (n)));
        return;
    }
    if (r.problem == NODE_AUDIT_OK && found == 0 && !w.anchored)
        s_problem (&r, NODE_AUDIT_TRUNCATED, w.anchor.seq,
                   "entry %lld, covered by the last checkpoint, is gone", (long long)w.anchor.seq);
    if (r.problem != NODE_AUDIT_OK) {
        node_log (n, "warn", "audit log: %s; not signing a checkpoint (run cdx audit verify)",
                  r.reason);
        return;
    }
    if (r.last_seq == 0 || (found == 0 && r.last_seq <= w.anchor.seq)) return; /* nothing new */
    char why[NODE_ERR_MAX];
    if (s_cp_sign (n, r.last_seq, r.last_hash, why, sizeof why) != 0)
        node_log (n, "warn", "audit log: %s", why);
}

/* The running node (it holds the run lock) signs when it starts and
   stops, and once NODE_AUDIT_CHECKPOINT_EVERY entries have been appended
   since the last checkpoint (or the last attempt, so that a broken log is
   not walked again on every entry). node_run writes its start and stop
   entries with actor "node" and rule "local.run". */
static void s_after_append (node_t *n, const char *actor, const char *action, const char *rule)
{
    if (!node_holds_run (n)) return;
    store_audit_t *last = malloc (sizeof *last);
    if (!last) return;
    if (store_audit_last (node_db (n), last) != 0) {
        free (last);
        return;
    }
    int64_t seq = last->seq;
    free (last);
    int boundary = strcmp (actor, "node") == 0 && strcmp (rule, "local.run") == 0 &&
                   (strcmp (action, "start") == 0 || strcmp (action, "stop") == 0);
    if (!boundary) {
        store_checkpoint_t c;
        int64_t base = store_checkpoint_last (node_db (n), &c) == 0 ? c.seq : 0;
        if (node_checkpoint_tried (n) > base) base = node_checkpoint_tried (n);
        if (seq - base < NODE_AUDIT_CHECKPOINT_EVERY) return;
    }
    node_set_checkpoint_tried (n, seq);
    s_checkpoint_since_last (n);
}
