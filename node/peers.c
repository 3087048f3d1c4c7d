/*  peers.c: this node's card, and the peers it knows by a card pinned by
    hand or a certificate from the authority it trusts (trust.c).

    Not for: ZAP's admission of a peer's key or the presence shown in
    listings (node/run/, progress.c), the directory (trust.c).
*/
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "core.h"
#include "trust.h"

void node_sign_key_hex (const node_t *n, char out[65])
{
    cx_hex (cx_keypair_public (node_sign_key (n)), 32, out);
}

int node_card (node_t *n, char *buf, size_t cap)
{
    size_t len = strlen (node_self (n)->card);
    if (len + 1 > cap)
        return node_fail (n, "card buffer too small");
    memcpy (buf, node_self (n)->card, len + 1);
    return 0;
}

int node_peer_add (node_t *n, const char *text, size_t len, store_peer_t *out)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "peer-add", "card"))
        return -1;
    static const char cert_magic[] = "cdx-cert: ";
    if (len >= sizeof cert_magic - 1 && memcmp (text, cert_magic, sizeof cert_magic - 1) == 0)
        return node_cert_add (n, text, len, out);
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    card_t card;
    size_t signed_len;
    if (card_parse (text, len, &card, &signed_len) != 0) {
        node_fail (n, "not a valid cdx card: %s", card_error ());
        return node_audit_refusal (n, actor, "peer-add", "card", "", "card.format");
    }
    char addr[CARD_ADDR_MAX + 1];
    if (card_address (card.org, card.node, addr) != 0)
        return node_fail (n, "not a valid cdx card: %s", card_error ());
    if (cx_verify (card.sign_pk, (const uint8_t *) text, signed_len, card.sig) != 0) {
        node_fail (n, "card for %s: the signature does not match its signing key (altered card?)", addr);
        return node_audit_refusal (n, actor, "peer-add", "card", addr, "card.signature");
    }
    if (strcmp (addr, node_address (n)) == 0 &&
        memcmp (card.sign_pk, cx_keypair_public (node_sign_key (n)), 32) == 0)
        return node_fail (n, "card is for %s, which is this node", addr);
    if (strcmp (card.org, node_self (n)->org) == 0) {
        /* Siblings are known from the authority's directory only (SPEC.md 11.5). */
        node_fail (n, "card for %s is of this node's own organisation: a sibling is never pinned by hand; have "
                   "the authority certify it and import the directory (cdx directory import)", addr);
        return node_audit_refusal (n, actor, "peer-add", "card", addr, "trust.sibling-pinned");
    }
    /* A hand pin does not override the authority: a card for an
       organisation certified with other keys, or carrying another
       organisation's transport key, is refused. */
    store_peer_t old;
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (card.sign_pk, fpr);
    int had = store_peer_get (node_db (n), addr, &old) == 0;
    if (had && strcmp (old.trust, "certified") == 0) {
        if (memcmp (old.sign_pk, card.sign_pk, 32) != 0 || memcmp (old.box_pk, card.box_pk, 32) != 0 ||
            memcmp (old.curve_pk, card.curve_pk, 32) != 0) {
            node_fail (n, "card for %s carries keys (signing key %s) other than those the authority certified "
                       "for %s: refused", addr, fpr, addr);
            return node_audit_refusal (n, actor, "peer-add", "card", addr, "trust.wrong-key");
        }
        if (out)
            *out = old;
        return 0;                                   /* already certified with these keys */
    }
    if (node_org_certified (n, card.org)) {
        node_fail (n, "card for %s: the authority certifies the nodes of %s, and not this one: refused (a node "
                   "of a certified organisation is known from the directory)", addr, card.org);
        return node_audit_refusal (n, actor, "peer-add", "card", addr, "trust.wrong-key");
    }
    if (store_peer_by_curve (node_db (n), card.curve_pk, &old) == 0 && strcmp (old.address, addr) != 0) {
        node_fail (n, "card for %s carries the transport key of %s: refused", addr, old.address);
        return node_audit_refusal (n, actor, "peer-add", "card", addr, "trust.wrong-key");
    }
    store_peer_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.address, sizeof p.address, "%s", addr);
    snprintf (p.org, sizeof p.org, "%s", card.org);
    snprintf (p.node, sizeof p.node, "%s", card.node);
    snprintf (p.role, sizeof p.role, "%s", card.role);
    snprintf (p.name, sizeof p.name, "%s", card.name);
    snprintf (p.endpoint, sizeof p.endpoint, "%s", card.endpoint);
    memcpy (p.sign_pk, card.sign_pk, 32);
    memcpy (p.box_pk, card.box_pk, 32);
    memcpy (p.curve_pk, card.curve_pk, 32);
    if (len >= sizeof p.card)
        return node_fail (n, "card too long");
    memcpy (p.card, text, len);
    p.card[len] = 0;
    snprintf (p.trust, sizeof p.trust, "pinned");
    if (store_begin (node_db (n)) != 0 || store_peer_put (node_db (n), &p) != 0 ||
        node_audit (n, actor, "peer-add", "card", addr, "allow", "trust.pinned",
                    "pinned by hand: %s (%s) at %s, signing key %s", card.name, card.role, card.endpoint,
                    fpr) != 0 ||
        store_commit (node_db (n)) != 0) {
        node_fail (n, "cannot store peer %s: %s", p.address, store_error (node_db (n)));
        store_rollback (node_db (n));
        return -1;
    }
    if (out)
        *out = p;
    return 0;
}
