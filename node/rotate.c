/*  rotate.c: cdx keys rotate: a node's three keys replaced by new ones,
    the old ones kept (keys.c) so that data wrapped for them stays
    readable and old checkpoints verify.

    Order, for a crash at any point: (1) the new keys are written as
    keys/NAME.key.new; (2) one store transaction records the new card, the
    manifest of every dataset this node published signed again with the
    new key (the bytes unchanged, so that pending deliveries verify with
    the key the new certificate or card names) and the audit entry; (3)
    each old key moves to keys/old/ and its .new takes its name. Opening
    the node completes (3) or undoes (1) (node_keys_recover, keys.c).

    Not for: the keys kept and the recovery (keys.c), the key file format
    (crypto/keyfile.c).
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "keys.h"

typedef struct {
    node_t *n;
    cx_keypair_t *sign;
    int count;
    int rc;
} s_resign_t;

static int s_resign_one (const store_dataset_t *d, void *arg)
{
    s_resign_t *r = arg;
    if (strcmp (d->publisher, node_self (r->n)->org) != 0 || d->manifest_len == 0)
        return 0;
    uint8_t sig[64];
    if (cx_sign (r->sign, d->manifest, d->manifest_len, sig) != 0 ||
        store_dataset_resign (node_db (r->n), d->id, sig) != 0) {
        r->rc = -1;
        return 1;
    }
    r->count++;
    return 0;
}

/* Step (2): the new card, the manifests signed again, the entry. */
static int s_rotate_record (node_t *n, cx_keypair_t *kp[3], const char *text, const char *actor)
{
    char oldfpr[CX_FINGERPRINT_HEXLEN], newfpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (cx_keypair_public (node_sign_key (n)), oldfpr);
    cx_fingerprint (cx_keypair_public (kp[0]), newfpr);
    s_resign_t r = {n, kp[0], 0, 0};
    if (store_begin (node_db (n)) != 0 || store_self_card (node_db (n), text) != 0 ||
        store_dataset_each (node_db (n), s_resign_one, &r) < 0 || r.rc != 0 ||
        node_audit (n, actor, "rotate", "keys", "", "allow", "local.keys",
                    "keys rotated: signing key %s replaced by %s; %d published manifests signed again with "
                    "it; old keys kept in keys/old (data wrapped for them stays readable); peers learn the "
                    "new keys from a new certificate or card",
                    oldfpr, newfpr, r.count) != 0 ||
        store_commit (node_db (n)) != 0) {
        node_fail (n, "cannot record the new keys: %s (nothing changed)", store_error (node_db (n)));
        store_rollback (node_db (n));
        return -1;
    }
    return 0;
}


static int s_rotate_locked (node_t *n, char *card_out, size_t cap);

int node_keys_rotate (node_t *n, char *card_out, size_t cap)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "keys-rotate", "keys"))
        return -1;
    int lock = node_keys_lock (node_home (n));
    if (lock < 0)
        return node_fail (n, "%s", errno == EWOULDBLOCK ? "the node is running (or another rotation is): stop it "
                                                          "(cdx run) before rotating its keys"
                                                        : "cannot take the node's lock");
    int rc = s_rotate_locked (n, card_out, cap);
    close (lock);
    return rc;
}

static int s_rotate_locked (node_t *n, char *card_out, size_t cap)
{
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    char path[NODE_PATH_MAX + 16], text[CARD_MAX_BYTES + 1];
    snprintf (path, sizeof path, "%s/keys/old", node_home (n));
    if (mkdir (path, 0700) != 0 && errno != EEXIST)
        return node_fail (n, "cannot create %s: %s", path, strerror (errno));
    if (!node_keys_all_kept (n))
        return node_fail (n, "a key kept in %s by an earlier rotation is missing or unreadable: restore it "
                             "from a backup before rotating again (data wrapped for it would not open)",
                          path);
    cx_keypair_t *kp[3] = {NULL, NULL, NULL};
    int rc = -1;
    for (int i = 0; i < 3; i++) {                   /* (1) */
        snprintf (path, sizeof path, "%s/keys/%s.key.new", node_home (n), node_key_names[i]);
        unlink (path);                              /* of a rotation that did not commit */
        kp[i] = cx_keypair_new (node_key_types[i]);
        if (!kp[i] || cx_keypair_save (kp[i], path) != 0) {
            node_fail (n, "cannot make new keys: %s", cx_error ());
            node_keys_discard_new (node_home (n));
            goto out;
        }
    }
    snprintf (path, sizeof path, "%s/keys", node_home (n));
    node_sync_dir (path);                           /* the .new names durable before (2) */
    if (node_make_card (node_self (n), kp, text, sizeof text) != 0) {
        node_fail (n, "cannot sign the new card: %s", card_error ());
        node_keys_discard_new (node_home (n));
        goto out;
    }
    if (s_rotate_record (n, kp, text, actor) != 0) {
        node_keys_discard_new (node_home (n));
        goto out;
    }
    if (node_keys_promote (node_home (n), node_errbuf (n), NODE_ERR_MAX) != 0) {  /* (3) */
        size_t len = strlen (node_error (n));
        snprintf (node_errbuf (n) + len, NODE_ERR_MAX - len, "; the rotation is recorded and completes at the "
                                                     "next cdx command on this home");
        goto out;
    }
    node_set_card (n, text);
    if (node_keys_take_new (n, kp) != 0)
        goto out;
    if (!node_keys_all_kept (n)) {
        node_fail (n, "after the rotation, a key that must be kept is missing from %s/keys/old", node_home (n));
        goto out;
    }
    if (card_out)
        snprintf (card_out, cap, "%s", text);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        cx_keypair_destroy (&kp[i]);
    return rc;
}
