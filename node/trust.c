/*  trust.c: a node's side of the trust network: the authority it trusts,
    the directory it holds, and peers made "certified" from certificates.

    The rules, each named in the audit log when it refuses:
    - trust.no-authority: no authority is trusted yet, so no certificate
      or directory can be checked;
    - trust.directory-forged: a directory (or a certificate) whose
      signature does not verify with the trusted authority's key, or that
      names another authority;
    - trust.directory-old: a directory whose serial is not above the one
      held (a replay could otherwise undo a revocation);
    - trust.directory-expired: a directory past its expiry and the grace
      period (NODE_DIRECTORY_GRACE);
    - trust.wrong-key: a certificate or card for one organisation carrying
      a key that belongs to another, or a hand-pinned card for an
      organisation the authority certified with other keys;
    - trust.revoked, trust.expired: applied to peers (here, and by ZAP in
      node/run/ through node_peer_barred);
    - trust.sibling-pinned (peers.c): a card of this node's own
      organisation pinned by hand.

    A peer is a node, keyed by its address (ORG or ORG/LABEL, SPEC.md 9.2):
    a directory makes every certified node a peer, those of this node's own
    organisation included (its siblings: admitted by ZAP, never subscribed
    to or delivered to as another organisation). A signature "by an
    organisation" verifies with the key of any of its current nodes
    (node_org_verify).

    Not for: the authority's own operations (authority.c), sockets (node/run/).
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "audit.h"
#include "core.h"
#include "trust.h"

/* The local user acting, as access.c records it ("user:LOGIN (admin)"). */
static void s_actor (const node_t *n, char *buf, size_t cap)
{
    node_actor (n, NODE_ROLE_ADMIN, buf, cap);
}

int node_peer_barred (const store_peer_t *p, int64_t now, const char **rule)
{
    const char *why = NULL;
    if (p->revoked > 0)
        why = "trust.revoked";
    else if (strcmp (p->trust, "certified") == 0 && p->not_after > 0 && p->not_after <= now)
        why = "trust.expired";
    if (rule)
        *rule = why;
    return why != NULL;
}

/* The trusted authority's key: 0, STORE_NOTFOUND (none trusted) or -1. */
int node_authority_key (node_t *n, uint8_t pk[32], char *name, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    int r = store_trust_get (node_db (n), "authority", &text, &len);
    if (r != 0)
        return r == STORE_NOTFOUND ? STORE_NOTFOUND : node_fail (n, "%s", store_error (node_db (n)));
    cert_authority_t a;
    r = cert_authority_parse (text, len, &a);
    free (text);
    if (r != 0)
        return node_fail (n, "the stored authority file is damaged: %s", cert_error ());
    memcpy (pk, a.key, 32);
    if (name)
        snprintf (name, cap, "%s", a.name);
    return 0;
}

int node_trust_authority (node_t *n, const char *text, size_t len)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "trust", "authority"))
        return -1;
    char actor[160];
    s_actor (n, actor, sizeof actor);
    cert_authority_t a;
    if (cert_authority_parse (text, len, &a) != 0) {
        node_fail (n, "not a valid authority file: %s", cert_error ());
        return node_audit_refusal (n, actor, "trust", "authority", "", "trust.format");
    }
    if (cert_authority_check (&a) != CERT_OK) {
        node_fail (n, "authority file for %s: %s", a.name, cert_error ());
        return node_audit_refusal (n, actor, "trust", "authority", "", "trust.authority-signature");
    }
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (a.key, fpr);
    uint8_t old[32];
    int r = node_authority_key (n, old, NULL, 0);
    if (r < 0)
        return -1;
    if (r == 0) {
        if (memcmp (old, a.key, 32) == 0)
            return 0;                               /* already trusted */
        node_fail (n, "this node already trusts another authority; a node trusts one authority");
        node_audit (n, actor, "trust", "authority", "", "refuse", "trust.authority-change",
                    "refused to replace the trusted authority by %s (key %s)", a.name, fpr);
        return -1;
    }
    char *copy = malloc (len + 1);
    if (!copy)
        return node_fail (n, "out of memory");
    memcpy (copy, text, len);
    copy[len] = 0;
    r = store_trust_put (node_db (n), "authority", copy);
    free (copy);
    if (r != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    node_audit (n, actor, "trust", "authority", "", "allow", "trust.authority",
                "authority %s trusted, key %s", a.name, fpr);
    return 0;
}

int node_directory_load (node_t *n, cert_dir_t *d)
{
    char *text = NULL;
    size_t len = 0;
    int r = store_trust_get (node_db (n), "directory", &text, &len);
    if (r == STORE_NOTFOUND)
        return STORE_NOTFOUND;
    if (r != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    r = cert_dir_parse (text, len, d);
    free (text);
    if (r != 0)
        return node_fail (n, "the stored directory is damaged: %s", cert_error ());
    return 0;
}

int node_directory_held (node_t *n, uint64_t *serial, int64_t *expires)
{
    *serial = 0;
    *expires = 0;
    cert_dir_t d;
    int r = node_directory_load (n, &d);
    if (r != 0)
        return r == STORE_NOTFOUND ? 0 : -1;
    *serial = d.serial;
    *expires = d.expires;
    cert_dir_free (&d);
    return 0;
}

int node_peer_sibling (const node_t *n, const store_peer_t *p)
{
    return strcmp (p->org, node_self (n)->org) == 0;
}

typedef struct {
    node_t *n;
    const uint8_t *msg;
    size_t len;
    const uint8_t *sig;
    int64_t now;
    int certified_only;
    int found;
} s_org_key_t;

static int s_org_key (const store_peer_t *p, void *arg)
{
    s_org_key_t *k = arg;
    if (k->certified_only) {
        k->found |= strcmp (p->trust, "certified") == 0;
        return k->found;
    }
    if (node_peer_barred (p, k->now, NULL))
        return 0;
    if (cx_verify (p->sign_pk, k->msg, k->len, k->sig) == 0)
        k->found = 1;
    return k->found;                            /* one that verifies is enough */
}

int node_org_certified (node_t *n, const char *org)
{
    s_org_key_t k = {n, NULL, 0, NULL, (int64_t) time (NULL), 1, 0};
    if (store_peer_org_each (node_db (n), org, s_org_key, &k) < 0)
        return 0;
    return k.found;
}

int node_org_verify (node_t *n, const char *org, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    if (strcmp (org, node_self (n)->org) == 0 && cx_verify (cx_keypair_public (node_sign_key (n)), msg, len, sig) == 0)
        return 0;
    s_org_key_t k = {n, msg, len, sig, (int64_t) time (NULL), 0, 0};
    if (store_peer_org_each (node_db (n), org, s_org_key, &k) < 0)
        return -1;
    return k.found ? 0 : -1;
}

static int s_same_keys (const store_peer_t *p, const cert_t *c)
{
    return memcmp (p->sign_pk, c->sign_pk, 32) == 0 && memcmp (p->box_pk, c->box_pk, 32) == 0 &&
           memcmp (p->curve_pk, c->curve_pk, 32) == 0;
}

/* Stores the peer certified by C (verified by the caller). 1 if stored,
   0 if refused (audited), -1 on a store error. */
static int s_put_certified (node_t *n, const cert_t *c, const char *actor, const char *how)
{
    char fpr[CX_FINGERPRINT_HEXLEN], addr[CARD_ADDR_MAX + 1];
    cx_fingerprint (c->sign_pk, fpr);
    if (card_address (c->org, c->node, addr) != 0)
        return node_fail (n, "certificate serial %" PRIu64 ": %s", c->serial, card_error ());
    store_peer_t other;
    const uint8_t *keys[3] = {c->sign_pk, c->box_pk, c->curve_pk};
    if (store_peer_by_curve (node_db (n), c->curve_pk, &other) == 0 && strcmp (other.address, addr) != 0) {
        node_audit (n, actor, "certify", "certificate", addr, "refuse", "trust.wrong-key",
                    "certificate serial %" PRIu64 " for %s carries the transport key of %s: refused", c->serial,
                    addr, other.address);
        return 0;
    }
    for (int i = 0; i < 3; i++)
        if (memcmp (keys[i], cx_keypair_public (node_sign_key (n)), 32) == 0 ||
            memcmp (keys[i], cx_keypair_public (node_box_key (n)), 32) == 0 ||
            memcmp (keys[i], cx_keypair_public (node_curve_key (n)), 32) == 0) {
            node_audit (n, actor, "certify", "certificate", addr, "refuse", "trust.wrong-key",
                        "certificate serial %" PRIu64 " for %s carries this node's own key: refused", c->serial,
                        addr);
            return 0;
        }
    store_peer_t p, old;
    int had = store_peer_get (node_db (n), addr, &old) == 0;
    if (had && strcmp (old.trust, "certified") == 0 && s_same_keys (&old, c) && old.revoked == 0 &&
        old.not_after == c->not_after && strcmp (old.dspt, c->dspt) == 0 &&
        strcmp (old.dspt_year, c->dspt_year) == 0 && strcmp (old.endpoint, c->endpoint) == 0)
        return 1;                                   /* nothing new */
    memset (&p, 0, sizeof p);
    snprintf (p.address, sizeof p.address, "%s", addr);
    snprintf (p.org, sizeof p.org, "%s", c->org);
    snprintf (p.node, sizeof p.node, "%s", c->node);
    snprintf (p.role, sizeof p.role, "%s", c->role);
    snprintf (p.name, sizeof p.name, "%s", c->name);
    snprintf (p.endpoint, sizeof p.endpoint, "%s", c->endpoint);
    memcpy (p.sign_pk, c->sign_pk, 32);
    memcpy (p.box_pk, c->box_pk, 32);
    memcpy (p.curve_pk, c->curve_pk, 32);
    size_t len;
    if (cert_format (c, p.card, sizeof p.card, &len) != 0)
        return node_fail (n, "cannot keep the certificate of %s: %s", addr, cert_error ());
    snprintf (p.trust, sizeof p.trust, "certified");
    snprintf (p.dspt, sizeof p.dspt, "%s", c->dspt);
    snprintf (p.dspt_year, sizeof p.dspt_year, "%s", c->dspt_year);
    p.not_after = c->not_after;
    p.revoked = 0;
    if (store_peer_put (node_db (n), &p) != 0)
        return node_fail (n, "cannot store peer %s: %s", addr, store_error (node_db (n)));
    char until[21];
    cert_time_format (c->not_after, until);
    const char *change = !had ? (strcmp (c->org, node_self (n)->org) == 0 ? "new sibling" : "new peer")
                         : strcmp (old.trust, "pinned") == 0 && s_same_keys (&old, c) ? "hand pin now certified"
                         : !s_same_keys (&old, c) ? "keys changed (rotation or re-issue)"
                                                  : "certificate renewed";
    node_audit (n, actor, "certify", "certificate", addr, "allow", "trust.certified",
                "%s: %s (%s) at %s, signing key %s, certificate serial %" PRIu64 " %s, DSPT %s %s, until %s",
                change, c->name, c->role, c->endpoint, fpr, c->serial, how, c->dspt, c->dspt_year, until);
    return 1;
}

typedef struct {
    node_t *n;
    const cert_revoked_t *rv;
    const char *actor;
    uint64_t serial;
    int64_t now;
    int count;
    int failed;
} s_revoke_t;

/* Marks the node of RV's organisation that holds the revoked key. */
static int s_revoke_peer (const store_peer_t *peer, void *arg)
{
    s_revoke_t *r = arg;
    const cert_revoked_t *rv = r->rv;
    if (memcmp (peer->sign_pk, rv->sign_pk, 32) != 0 || peer->revoked > 0)
        return 0;
    store_peer_t p = *peer;
    p.revoked = rv->at > 0 ? rv->at : r->now;
    if (store_peer_put (node_db (r->n), &p) != 0) {
        node_fail (r->n, "%s", store_error (node_db (r->n)));
        r->failed = 1;
        return 1;
    }
    char fpr[CX_FINGERPRINT_HEXLEN], when[21];
    cx_fingerprint (rv->sign_pk, fpr);
    cert_time_format (rv->at, when);
    node_audit (r->n, r->actor, "revoke", "peer", p.address, "refuse", "trust.revoked",
                "the authority revoked %s's key %s at %s (%s peer, directory %" PRIu64
                "): its sessions are closed and deliveries to it held",
                p.address, fpr, when, p.trust, r->serial);
    r->count++;
    return 0;
}

/* A node pinned by hand of an organisation the directory certifies is
   removed: a hand pin does not stand beside the authority (before
   schema 5 the certificate replaced the pin's row; now a pin under
   another address would stay, be admitted and sign for the
   organisation). */
typedef struct {
    node_t *n;
    const char *actor, *how;
    int failed;
} s_unpin_t;

static int s_unpin (const store_peer_t *p, void *arg)
{
    s_unpin_t *u = arg;
    if (strcmp (p->trust, "pinned") != 0)
        return 0;
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (p->sign_pk, fpr);
    if (store_peer_unpin (node_db (u->n), p->address) != 0) {
        node_fail (u->n, "%s", store_error (node_db (u->n)));
        u->failed = 1;
        return 1;
    }
    node_audit (u->n, u->actor, "peer-remove", "peer", p->address, "allow", "trust.pin-superseded",
                "the card of %s (key %s) pinned by hand is removed: the authority certifies the nodes of %s %s",
                p->address, fpr, p->org, u->how);
    return 0;
}

/* Inside the caller's transaction: the certified peers of directory D
   stored (this node's own certificate and revoked keys left out; its
   siblings included) and its revocations marked (by key, among the
   nodes of the organisation named), each audited under ACTOR; counted in
   RES. 0, or -1 (node_error). */
static int s_apply (node_t *n, const cert_dir_t *d, const char *actor, int64_t now, node_directory_result_t *res)
{
    char how[48];
    snprintf (how, sizeof how, "(directory %" PRIu64 ")", d->serial);
    for (size_t i = 0; i < d->ncerts; i++) {
        const cert_t *c = &d->certs[i];
        if ((strcmp (c->org, node_self (n)->org) == 0 && strcmp (c->node, node_self (n)->node) == 0) ||
            memcmp (c->sign_pk, cx_keypair_public (node_sign_key (n)), 32) == 0)
            continue;                               /* our own certificate */
        int revoked = 0;
        for (size_t k = 0; k < d->nrevoked; k++)
            if (memcmp (d->revoked[k].sign_pk, c->sign_pk, 32) == 0)
                revoked = 1;
        if (revoked)
            continue;
        int put = s_put_certified (n, c, actor, how);
        if (put < 0)
            return -1;
        if (put == 0)
            res->refused++;
        else
            res->certified++;
    }
    for (size_t i = 0; i < d->ncerts; i++) {
        s_unpin_t u = {n, actor, how, 0};
        if (strcmp (d->certs[i].org, node_self (n)->org) != 0 &&
            (store_peer_org_each (node_db (n), d->certs[i].org, s_unpin, &u) < 0 || u.failed)) {
            if (!u.failed)
                node_fail (n, "%s", store_error (node_db (n)));
            return -1;
        }
    }
    for (size_t k = 0; k < d->nrevoked; k++) {
        s_revoke_t r = {n, &d->revoked[k], actor, d->serial, now, 0, 0};
        if (store_peer_org_each (node_db (n), d->revoked[k].org, s_revoke_peer, &r) < 0 || r.failed) {
            if (!r.failed)
                node_fail (n, "%s", store_error (node_db (n)));
            return -1;
        }
        res->revoked += r.count;
    }
    return 0;
}

int node_directory_import (node_t *n, const char *text, size_t len, const char *from,
                           node_directory_result_t *result)
{
    /* From a file, an operator's act (admin); from a peer, the node's own. */
    if ((!from || strcmp (from, "file") == 0) && !node_authorize (n, NODE_ROLE_ADMIN, "directory-import", "file"))
        return -1;
    char actor[160];
    if (from && strcmp (from, "file") != 0)
        snprintf (actor, sizeof actor, "peer:%s", from);
    else
        s_actor (n, actor, sizeof actor);
    const char *src = from ? from : "file";
    uint8_t apk[32];
    int r = node_authority_key (n, apk, NULL, 0);
    if (r < 0)
        return -1;
    if (r == STORE_NOTFOUND) {
        node_fail (n, "no authority is trusted yet: run cdx trust --authority FILE first");
        return node_audit_refusal (n, actor, "directory", "directory", "", "trust.no-authority");
    }
    cert_dir_t d;
    if (cert_dir_parse (text, len, &d) != 0) {
        node_fail (n, "not a valid directory (from %s): %s", src, cert_error ());
        return node_audit_refusal (n, actor, "directory", "directory", "", "trust.directory-forged");
    }
    int rc = -1;
    char object[64];
    snprintf (object, sizeof object, "directory %" PRIu64, d.serial);
    if (cert_dir_check (&d, apk) != CERT_OK) {
        node_fail (n, "directory serial %" PRIu64 " from %s refused: %s", d.serial, src, cert_error ());
        node_audit_refusal (n, actor, "directory", object, "", "trust.directory-forged");
        goto out;
    }
    uint64_t held;
    int64_t held_expires;
    if (node_directory_held (n, &held, &held_expires) != 0)
        goto out;
    if (d.serial <= held) {
        node_fail (n, "directory serial %" PRIu64 " from %s is not newer than the one held (serial %" PRIu64
                   "): refused", d.serial, src, held);
        node_audit_refusal (n, actor, "directory", object, "", "trust.directory-old");
        goto out;
    }
    int64_t now = (int64_t) time (NULL);
    if (now >= d.expires + NODE_DIRECTORY_GRACE) {
        char when[21];
        cert_time_format (d.expires, when);
        node_fail (n, "directory serial %" PRIu64 " from %s expired at %s, beyond the grace period of %d days: "
                   "refused (peers already trusted keep working)", d.serial, src, when,
                   NODE_DIRECTORY_GRACE / 86400);
        node_audit_refusal (n, actor, "directory", object, "", "trust.directory-expired");
        goto out;
    }
    if (store_begin (node_db (n)) != 0) {
        node_fail (n, "%s", store_error (node_db (n)));
        goto out;
    }
    node_directory_result_t res = {d.serial, d.expires, 0, 0, 0};
    if (s_apply (n, &d, actor, now, &res) != 0)
        goto rollback;
    char *copy = malloc (len + 1);
    if (!copy) {
        node_fail (n, "out of memory");
        goto rollback;
    }
    memcpy (copy, text, len);
    copy[len] = 0;
    r = store_trust_put (node_db (n), "directory", copy);
    free (copy);
    char when[21];
    cert_time_format (d.expires, when);
    if (r != 0 ||
        node_audit (n, actor, "directory", object, "", "allow", "trust.directory",
                    "directory serial %" PRIu64 " from %s accepted (was %" PRIu64 "), expires %s%s: %zu certificates, "
                    "%zu revocations; %d peers certified, %d newly revoked, %d refused",
                    d.serial, src, held, when, now >= d.expires ? " (already expired: within the grace period)" : "",
                    d.ncerts, d.nrevoked, res.certified, res.revoked, res.refused) != 0 ||
        store_commit (node_db (n)) != 0) {
        node_fail (n, "cannot record the directory: %s", store_error (node_db (n)));
        goto rollback;
    }
    if (result)
        *result = res;
    node_kick (n);
    rc = 0;
    goto out;
rollback:
    store_rollback (node_db (n));
out:
    cert_dir_free (&d);
    return rc;
}

/* A certificate handed over as a file (cdx peer add CERT): the same checks
   as one in a directory, plus its validity now. */
int node_cert_add (node_t *n, const char *text, size_t len, store_peer_t *out)
{
    char actor[160];
    s_actor (n, actor, sizeof actor);
    cert_t c;
    if (cert_parse (text, len, &c) != 0) {
        node_fail (n, "not a valid certificate: %s", cert_error ());
        return node_audit_refusal (n, actor, "peer-add", "certificate", "", "card.format");
    }
    uint8_t apk[32];
    int r = node_authority_key (n, apk, NULL, 0);
    if (r < 0)
        return -1;
    if (r == STORE_NOTFOUND) {
        node_fail (n, "no authority is trusted yet: run cdx trust --authority FILE first");
        return node_audit_refusal (n, actor, "peer-add", "certificate", c.org, "trust.no-authority");
    }
    cert_status_t st = cert_check (&c, apk, (int64_t) time (NULL));
    if (st != CERT_OK) {
        const char *rule = st == CERT_E_EXPIRED || st == CERT_E_NOT_YET ? "trust.expired" : "trust.directory-forged";
        node_fail (n, "%s", cert_error ());
        return node_audit_refusal (n, actor, "peer-add", "certificate", c.org, rule);
    }
    char addr[CARD_ADDR_MAX + 1];
    if (card_address (c.org, c.node, addr) != 0)
        return node_fail (n, "not a valid certificate: %s", card_error ());
    if (strcmp (addr, node_address (n)) == 0)
        return node_fail (n, "certificate is for %s, which is this node", addr);
    store_peer_t old;
    if (store_peer_get (node_db (n), addr, &old) == 0 && old.revoked > 0 && memcmp (old.sign_pk, c.sign_pk, 32) == 0) {
        node_fail (n, "the key of %s in this certificate has been revoked", addr);
        return node_audit_refusal (n, actor, "peer-add", "certificate", addr, "trust.revoked");
    }
    int put = s_put_certified (n, &c, actor, "(certificate file)");
    if (put < 0)
        return -1;
    if (put == 0)
        return node_fail (n, "certificate for %s carries a key that belongs to another node", addr);
    if (out && store_peer_get (node_db (n), addr, out) != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    return 0;
}
