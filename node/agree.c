/*  agree.c: data sharing agreements held by this node.

    Making one (propose), taking one in from a file or a peer (import),
    signing, revoking, and writing one out as it travels. An agreement is
    the encoded document (protocol/SPEC.md "Agreement") plus each party's
    Ed25519 signature over its exact bytes; a copy is stored only after
    every signature it carries has been verified against that party's key
    (this node's own, or the card of the peer), so the policy (policy.c)
    may trust what the store says about who signed.

    Not for: deciding disclosures (policy.c), sockets (node/run/ sends and
    receives AGREEMENT and REVOKE and calls the functions here).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agreement.h"
#include "agree.h"
#include "core.h"
#include "trust.h"

static const uint8_t s_zero[64];

/* Agreements one peer may hold here that this node has not signed (its
   proposals awaiting a person's decision, or withdrawn before one): past
   it, new ones from that peer are refused, so a peer cannot grow the store
   or the audit log without bound (protocol/SPEC.md section 16). */
#define NODE_AGREEMENT_PENDING_MAX 32

const char *node_agreement_state (const store_agreement_t *a, int64_t now)
{
    if (memcmp (a->sig_provider, s_zero, 64) == 0 || memcmp (a->sig_recipient, s_zero, 64) == 0)
        return "proposed";
    if (a->revoked)
        return "revoked";
    if (now < a->start)
        return "pending";
    if (now >= a->end)
        return "expired";
    return "in-force";
}

/* The signing key of party ORG: this node's, or its peer card's. */
static int s_party_key (node_t *n, const char *org, uint8_t pk[32])
{
    if (strcmp (org, node_self (n)->org) == 0) {
        memcpy (pk, cx_keypair_public (node_sign_key (n)), 32);
        return 0;
    }
    store_peer_t *p = malloc (sizeof *p);
    if (!p)
        return node_fail (n, "out of memory");
    int r = store_peer_of_org (node_db (n), org, p);
    if (r == 0)
        memcpy (pk, p->sign_pk, 32);
    free (p);
    if (r != 0)
        return node_fail (n, "%s is not a peer of this node: add its card first (cdx peer add)", org);
    return 0;
}

/* Agreement A (DOC, DOC_LEN) names this node as a party, came from the
   other party (FROM, or NULL: by hand), and the signatures it carries
   (SIG_P, SIG_R; zeroes: none) verify. 0, or -1 (node_error). */
static int s_take_check (node_t *n, const proto_agreement_t *a, const uint8_t *doc, size_t doc_len,
                         const uint8_t sig_p[64], const uint8_t sig_r[64], const char *from)
{
    int provider = strcmp (a->provider, node_self (n)->org) == 0;
    int recipient = strcmp (a->recipient, node_self (n)->org) == 0;
    if (!provider && !recipient) {
        node_fail (n, "agreement %s is between %s and %s: this node (%s) is not a party", a->ref, a->provider,
                   a->recipient, node_self (n)->org);
        return -1;
    }
    const char *other = provider ? a->recipient : a->provider;
    /* From the other party, or from a sibling (FROM our own org: a node
       of this organisation, which holds its agreements too, SPEC.md
       11.5); the signatures are checked all the same. */
    if (from && strcmp (from, other) != 0 && strcmp (from, node_self (n)->org) != 0) {
        node_fail (n, "agreement %s came from %s, which is not the other party (%s)", a->ref, from, other);
        return -1;
    }
    uint8_t pk_p[32], pk_r[32];
    if (s_party_key (n, a->provider, pk_p) != 0 || s_party_key (n, a->recipient, pk_r) != 0)
        return -1;
    /* Signed by one node of each party: any current node of the
       organisation may have signed (SPEC.md 9.2). */
    if (memcmp (sig_p, s_zero, 64) != 0 && node_org_verify (n, a->provider, doc, doc_len, sig_p) != 0) {
        node_fail (n, "agreement %s: the signature of %s does not verify", a->ref, a->provider);
        return -1;
    }
    if (memcmp (sig_r, s_zero, 64) != 0 && node_org_verify (n, a->recipient, doc, doc_len, sig_r) != 0) {
        node_fail (n, "agreement %s: the signature of %s does not verify", a->ref, a->recipient);
        return -1;
    }
    return 0;
}

/* Verifies, merges and stores. FROM is the peer it came from (NULL: a
   local file). OUT receives the stored copy; *CHANGED whether it differs
   from what was held before. */
int node_agreement_take (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from, int sign, store_agreement_t *out,
                         int *changed)
{
    int rc = -1;
    proto_agreement_t *a = malloc (sizeof *a);
    store_agreement_t *old = malloc (sizeof *old);
    *changed = 0;
    if (!a || !old) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (proto_agreement_decode (doc, doc_len, a) != PROTO_OK) {
        node_fail (n, "not a valid agreement: %s", proto_error ());
        goto out;
    }
    int provider = strcmp (a->provider, node_self (n)->org) == 0;
    const char *other = provider ? a->recipient : a->provider;
    if (s_take_check (n, a, doc, doc_len, sig_p, sig_r, from) != 0)
        goto out;
    uint8_t hash[32];
    if (cx_hash_buf (doc, doc_len, hash) != 0) {
        node_fail (n, "cannot hash the agreement");
        goto out;
    }
    int r = store_agreement_get (node_db (n), a->ref, old);
    if (r < 0) {
        node_fail (n, "%s", store_error (node_db (n)));
        goto out;
    }
    if (r == 0 && memcmp (old->hash, hash, 32) != 0) {
        node_fail (n, "agreement %s: this node holds another document under that reference", a->ref);
        goto out;
    }
    if (r == STORE_NOTFOUND) {
        memset (old, 0, sizeof *old);
        snprintf (old->ref, sizeof old->ref, "%s", a->ref);
        memcpy (old->hash, hash, 32);
        memcpy (old->doc, doc, doc_len);
        old->doc_len = doc_len;
        snprintf (old->provider, sizeof old->provider, "%s", a->provider);
        snprintf (old->recipient, sizeof old->recipient, "%s", a->recipient);
        old->start = a->start;
        old->end = a->end;
        *changed = 1;
    }
    if (memcmp (sig_p, s_zero, 64) != 0 && memcmp (old->sig_provider, s_zero, 64) == 0) {
        memcpy (old->sig_provider, sig_p, 64);
        *changed = 1;
    }
    if (memcmp (sig_r, s_zero, 64) != 0 && memcmp (old->sig_recipient, s_zero, 64) == 0) {
        memcpy (old->sig_recipient, sig_r, 64);
        *changed = 1;
    }
    uint8_t *mine = provider ? old->sig_provider : old->sig_recipient;
    int signed_now = 0;
    if (sign && memcmp (mine, s_zero, 64) == 0) {
        if (cx_sign (node_sign_key (n), doc, doc_len, mine) != 0) {
            node_fail (n, "cannot sign: %s", cx_error ());
            goto out;
        }
        *changed = signed_now = 1;
    }
    if (*changed)
        old->pushed = 0;
    if (*changed && store_agreement_put (node_db (n), old) != 0) {
        node_fail (n, "%s", store_error (node_db (n)));
        goto out;
    }
    if (*changed) {
        char actor[160];
        if (from)
            snprintf (actor, sizeof actor, "peer:%s", from);
        else
            node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
        const char *state = node_agreement_state (old, (int64_t) time (NULL));
        node_audit (n, actor, signed_now ? "agreement-sign" : "agreement-receive", old->ref, other, "allow",
                    signed_now ? "agreement.signed" : "agreement.verified",
                    "%s agreement %s with %s: topics %s, up to %s, purposes %s; now %s", signed_now ? "signed" : "took",
                    old->ref, other, a->topics, a->class_, a->purposes, state);
    }
    if (out)
        *out = *old;
    rc = 0;
out:
    free (a);
    free (old);
    return rc;
}

int node_agreement_room (node_t *n, const uint8_t *doc, size_t doc_len, const uint8_t sig_p[64],
                         const uint8_t sig_r[64], const char *from)
{
    proto_agreement_t *a = malloc (sizeof *a);
    store_agreement_t *held = malloc (sizeof *held);
    int rc = -1;
    if (!a || !held) {
        node_fail (n, "out of memory");
        goto out;
    }
    rc = 0;
    if (proto_agreement_decode (doc, doc_len, a) != PROTO_OK || store_agreement_get (node_db (n), a->ref, held) == 0)
        goto out;                               /* refused, or an update of one held: not new */
    int provider = strcmp (a->provider, node_self (n)->org) == 0;
    if (memcmp (provider ? sig_p : sig_r, s_zero, 64) != 0)
        goto out;                               /* it carries this node's signature: not a proposal */
    int64_t pending = store_agreement_count_unsigned (node_db (n), from);
    if (pending < 0) {
        rc = node_fail (n, "%s", store_error (node_db (n)));
    } else if (pending >= NODE_AGREEMENT_PENDING_MAX) {
        rc = node_fail (n, "%s already has %lld agreements here that %s has not signed (at most %d): agreement %s "
                           "is not taken; it may be proposed again once some are signed",
                        from, (long long) pending, node_self (n)->org, NODE_AGREEMENT_PENDING_MAX, a->ref);
    }
out:
    free (a);
    free (held);
    return rc;
}

/* The free-text fields of a proposal: each at most its wire limit, as text
   (never cut to fit). 0, or -1 (node_fail_input). */
static int s_propose_texts (node_t *n, const node_agreement_t *o)
{
    const struct {
        const char *opt, *value;
        size_t max;
    } texts[] = {
        {"--provider-ig", o->provider_ig, PROTO_IG_MAX},  {"--recipient-ig", o->recipient_ig, PROTO_IG_MAX},
        {"--controller-ig", o->controller_ig, PROTO_IG_MAX}, {"--art6", o->art6, PROTO_BASIS_MAX},
        {"--art9", o->art9, PROTO_BASIS_MAX},               {"--duty", o->duty, PROTO_BASIS_MAX},
        {"--conditions", o->conditions, PROTO_CONDITIONS_MAX},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (proto_text_ok (texts[i].opt, texts[i].value, texts[i].max) != 0)
            return node_fail_input (n, "%s (at most %zu bytes of text, no control characters)", proto_error (),
                                    texts[i].max);
    if (!o->topics || !*o->topics)
        return node_fail_input (n, "--topics is required: the topics covered, e.g. sus/apc or apc/ followed by *");
    if (strlen (o->topics) > PROTO_TOPICS_MAX)
        return node_fail_input (n, "--topics: at most %u bytes", PROTO_TOPICS_MAX);
    if (!o->purposes || !*o->purposes)
        return node_fail_input (n, "--purposes is required: one or more of %s", proto_purposes_list ());
    if (strlen (o->purposes) > PROTO_PURPOSES_MAX)
        return node_fail_input (n, "--purposes: at most %u bytes", PROTO_PURPOSES_MAX);
    char list[PROTO_PURPOSES_MAX + 1];
    snprintf (list, sizeof list, "%s", o->purposes);
    for (char *save = NULL, *p = strtok_r (list, ",", &save); p; p = strtok_r (NULL, ",", &save))
        if (!proto_purpose_known (p))
            return node_fail_input (n, "--purposes: each must be one of %s", proto_purposes_list ());
    return 0;
}

/* Every value of a proposal, before anything is done or audited. 0, or -1. */
static int s_propose_check (node_t *n, const node_agreement_t *o)
{
    if (!o->ref || !*o->ref)
        return node_fail_input (n, "--ref is required: the agreement's reference id");
    if (proto_ref_ok (o->ref) != 0)
        return node_fail_input (n, "--ref: %s (1 to %u characters of A-Za-z0-9._/-)", proto_error (), PROTO_REF_MAX);
    if (!o->provider || !o->recipient)
        return node_fail_input (n, "--provider and --recipient are required (one of them is this node, %s)",
                                node_self (n)->org);
    if (node_check_org (n, "--provider", o->provider) != 0 || node_check_org (n, "--recipient", o->recipient) != 0 ||
        (o->controller && *o->controller && node_check_org (n, "--controller", o->controller) != 0))
        return -1;
    if (strcmp (o->provider, node_self (n)->org) != 0 && strcmp (o->recipient, node_self (n)->org) != 0)
        return node_fail_input (n, "this node (%s) must be the provider or the recipient", node_self (n)->org);
    if (!o->provider_ig || !*o->provider_ig || !o->recipient_ig || !*o->recipient_ig)
        return node_fail_input (n, "--provider-ig and --recipient-ig are required: each party's IG lead");
    if (!proto_class_known (o->class_))
        return node_fail_input (n, "--class must be %s (the highest allowed)", proto_classes_or ());
    if (s_propose_texts (n, o) != 0)
        return -1;
    if (!o->art6 || !*o->art6)
        return node_fail_input (n, "--art6 is required: the UK GDPR Article 6 basis");
    if (proto_class_rank (o->class_) != PROTO_CLASS_AGGREGATE && (!o->art9 || !*o->art9))
        return node_fail_input (n, "--art9 is required for %s data: the Article 9 condition for health data",
                                o->class_);
    if (proto_class_rank (o->class_) == PROTO_CLASS_IDENTIFIABLE && (!o->duty || !*o->duty))
        return node_fail_input (n, "--duty is required for identifiable data: the common-law duty of "
                                   "confidentiality basis (consent, a Section 251 reference, a statutory gateway)");
    if (o->end <= o->start)
        return node_fail_input (n, "--end must be after --start");
    if (o->retention_days < 1 || o->retention_days > NODE_AGREEMENT_RETENTION_MAX)
        return node_fail_input (n, "--retention must be 1 to %d days", NODE_AGREEMENT_RETENTION_MAX);
    return 0;
}

int node_agreement_propose (node_t *n, const node_agreement_t *o)
{
    if (s_propose_check (n, o) != 0)
        return -1;
    if (!node_authorize (n, NODE_ROLE_ADMIN, "agreement-propose", o->ref))
        return -1;

    proto_agreement_t *a = calloc (1, sizeof *a);
    if (!a)
        return node_fail (n, "out of memory");
    a->format = 1;
    snprintf (a->ref, sizeof a->ref, "%s", o->ref);
    snprintf (a->provider, sizeof a->provider, "%s", o->provider);
    snprintf (a->provider_ig, sizeof a->provider_ig, "%s", o->provider_ig);
    snprintf (a->recipient, sizeof a->recipient, "%s", o->recipient);
    snprintf (a->recipient_ig, sizeof a->recipient_ig, "%s", o->recipient_ig);
    snprintf (a->controller, sizeof a->controller, "%s", o->controller ? o->controller : "");
    snprintf (a->controller_ig, sizeof a->controller_ig, "%s", o->controller_ig ? o->controller_ig : "");
    snprintf (a->topics, sizeof a->topics, "%s", o->topics);
    snprintf (a->class_, sizeof a->class_, "%s", o->class_);
    snprintf (a->purposes, sizeof a->purposes, "%s", o->purposes);
    snprintf (a->art6, sizeof a->art6, "%s", o->art6);
    snprintf (a->art9, sizeof a->art9, "%s", o->art9 ? o->art9 : "");
    snprintf (a->duty, sizeof a->duty, "%s", o->duty ? o->duty : "");
    a->opt_out = o->opt_out ? 1 : 0;
    a->start = o->start;
    a->end = o->end;
    a->retention_days = (uint32_t) o->retention_days;
    a->onward = o->onward ? 1 : 0;
    snprintf (a->conditions, sizeof a->conditions, "%s", o->conditions ? o->conditions : "");
    a->created = (int64_t) time (NULL);
    uint8_t doc[PROTO_DOC_MAX];
    size_t len;
    int rc = -1;
    if (proto_agreement_encode (a, doc, sizeof doc, &len) != 0) {
        node_fail_input (n, "invalid agreement: %s", proto_error ());
        goto out;
    }
    store_agreement_t held;
    if (store_agreement_get (node_db (n), a->ref, &held) == 0) {
        node_fail (n, "agreement %s exists already (cdx agreement show %s)", a->ref, a->ref);
        goto out;
    }
    int changed;
    rc = node_agreement_take (n, doc, len, s_zero, s_zero, NULL, 1, NULL, &changed);
    if (rc == 0)
        node_kick (n);
out:
    free (a);
    return rc;
}

int node_agreement_import (node_t *n, const uint8_t *msg, size_t len, int sign, char *ref_out)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, sign ? "agreement-sign" : "agreement-import", "file"))
        return -1;
    proto_msg_t *m = malloc (sizeof *m);
    store_agreement_t *got = malloc (sizeof *got);
    int rc = -1, changed;
    if (!m || !got) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (proto_decode (msg, len, m) != PROTO_OK || m->id != PROTO_AGREEMENT) {
        node_fail (n, "not an agreement file: %s", proto_error ()[0] ? proto_error () : "another message");
        goto out;
    }
    rc = node_agreement_take (n, m->doc, m->doc_len, m->sig, m->sig2, NULL, sign, got, &changed);
    if (rc == 0 && ref_out)
        snprintf (ref_out, 65, "%s", got->ref);
    if (rc == 0)
        node_kick (n);
out:
    free (m);
    free (got);
    return rc;
}

int node_agreement_sign (node_t *n, const char *ref)
{
    if (proto_ref_ok (ref) != 0)
        return node_fail_input (n, "REF: %s", proto_error ());
    if (!node_authorize (n, NODE_ROLE_ADMIN, "agreement-sign", ref))
        return -1;
    store_agreement_t *a = malloc (sizeof *a);
    int rc = -1, changed;
    if (!a)
        return node_fail (n, "out of memory");
    int r = store_agreement_get (node_db (n), ref, a);
    if (r != 0) {
        node_fail (n, "no agreement %s here (cdx agreement list)", ref);
        goto out;
    }
    rc = node_agreement_take (n, a->doc, a->doc_len, a->sig_provider, a->sig_recipient, NULL, 1, NULL, &changed);
    if (rc == 0)
        node_kick (n);
out:
    free (a);
    return rc;
}

/* Marks A revoked by BY (this node or the peer) and stores it. */
int node_agreement_mark_revoked (node_t *n, store_agreement_t *a, const char *by, const char *reason, int pushed)
{
    if (a->revoked)
        return 0;
    a->revoked = (int64_t) time (NULL);
    snprintf (a->revoked_by, sizeof a->revoked_by, "%s", by);
    snprintf (a->reason, sizeof a->reason, "%s", reason && *reason ? reason : "no reason given");
    a->pushed = pushed;
    if (store_agreement_put (node_db (n), a) != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    char actor[160];
    if (strcmp (by, node_self (n)->org) == 0)
        node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    else
        snprintf (actor, sizeof actor, "peer:%s", by);
    const char *other = strcmp (a->provider, node_self (n)->org) == 0 ? a->recipient : a->provider;
    node_audit (n, actor, "agreement-revoke", a->ref, other, "allow", "agreement.revoked",
                "agreement %s revoked by %s: %s", a->ref, by, a->reason);
    return 0;
}

int node_agreement_revoke (node_t *n, const char *ref, const char *reason)
{
    if (proto_ref_ok (ref) != 0)
        return node_fail_input (n, "REF: %s", proto_error ());
    if (proto_text_ok ("--reason", reason, PROTO_REASON_MAX) != 0)
        return node_fail_input (n, "%s (at most %u bytes of text, no control characters)", proto_error (),
                                PROTO_REASON_MAX);
    if (!node_authorize (n, NODE_ROLE_ADMIN, "agreement-revoke", ref))
        return -1;
    store_agreement_t *a = malloc (sizeof *a);
    int rc = -1;
    if (!a)
        return node_fail (n, "out of memory");
    if (store_agreement_get (node_db (n), ref, a) != 0) {
        node_fail (n, "no agreement %s here (cdx agreement list)", ref);
        goto out;
    }
    if (a->revoked) {
        node_fail (n, "agreement %s is already revoked", ref);
        goto out;
    }
    rc = node_agreement_mark_revoked (n, a, node_self (n)->org, reason, 0);
    if (rc == 0)
        node_kick (n);
out:
    free (a);
    return rc;
}

int node_agreement_export (node_t *n, const char *ref, uint8_t *buf, size_t cap, size_t *len)
{
    store_agreement_t *a = malloc (sizeof *a);
    proto_msg_t *m = calloc (1, sizeof *m);
    int rc = -1;
    if (!a || !m) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (store_agreement_get (node_db (n), ref, a) != 0) {
        node_fail (n, "no agreement %s here (cdx agreement list)", ref);
        goto out;
    }
    node_agreement_message (a, m);
    if (proto_encode (m, buf, cap, len) != 0) {
        node_fail (n, "cannot encode agreement %s: %s", ref, proto_error ());
        goto out;
    }
    rc = 0;
out:
    free (a);
    free (m);
    return rc;
}

void node_agreement_message (const store_agreement_t *a, proto_msg_t *m)
{
    memset (m, 0, sizeof *m);
    m->id = PROTO_AGREEMENT;
    memcpy (m->doc, a->doc, a->doc_len);
    m->doc_len = a->doc_len;
    memcpy (m->sig, a->sig_provider, 64);
    memcpy (m->sig2, a->sig_recipient, 64);
}
