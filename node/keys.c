/*  keys.c: a node's key files over time: the keys kept after rotations
    (keys/old/), the rotation itself, and the completion of a rotation
    that was cut short.

    A rotation never loses a key: the replaced ones move to keys/old/
    under names that are never reused (renameat2 RENAME_NOREPLACE, with a
    counter where a name is taken), and the rotation then checks that
    every key kept before it is still there. It re-signs the manifest of
    every dataset this node published with the new signing key (the
    manifest bytes unchanged), so that deliveries still pending, and later
    ones, verify with the key the new certificate or card names
    (SPEC.md section 7, SECURITY.md).

    Order, for a crash at any point: (1) the new keys are written as
    keys/NAME.key.new; (2) one store transaction records the new card, the
    new manifest signatures and the audit entry; (3) each old key moves to
    keys/old/ and its .new takes its name, the signing key first. Opening
    the node (node_keys_recover) finishes (3) if (2) committed, and removes
    the .new files (the signing key's last) if it did not.

    Not for: the key file format (crypto/cx.c), the card (protocol/card.c). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "keys.h"

static const cx_keytype_t s_types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
static const char *const s_names[3] = {"sign", "box", "curve"};

/* ---- keys kept ------------------------------------------------------------ */

/* The keys replaced by rotations (keys/old/): box keys still open content
   keys wrapped for them; signing keys still verify this node's older
   audit checkpoints. */
struct node_keyring {
    cx_keypair_t **old_box;
    size_t nold_box;
    uint8_t (*old_sign_pk)[32];
    size_t nold_sign;
};

static void s_ring_destroy (node_keyring_t **k_p)
{
    node_keyring_t *k = *k_p;
    if (!k)
        return;
    for (size_t i = 0; i < k->nold_box; i++)
        cx_keypair_destroy (&k->old_box[i]);
    free (k->old_box);
    free (k->old_sign_pk);
    free (k);
    *k_p = NULL;
}

/* Room for one more box key in K: 0, or -1 (out of memory). */
static int s_box_room (node_keyring_t *k)
{
    cx_keypair_t **grown = realloc (k->old_box, (k->nold_box + 1) * sizeof *grown);
    if (!grown)
        return -1;
    k->old_box = grown;
    return 0;
}

static int s_add_sign (node_keyring_t *k, const uint8_t pk[32])
{
    uint8_t (*pks)[32] = realloc (k->old_sign_pk, (k->nold_sign + 1) * sizeof *pks);
    if (!pks)
        return -1;
    k->old_sign_pk = pks;
    memcpy (k->old_sign_pk[k->nold_sign++], pk, 32);
    return 0;
}

/* Takes *KP (a box key, or a signing key whose public half is kept). */
static int s_add_old (node_keyring_t *k, cx_keypair_t **kp, int box)
{
    if (box) {
        if (s_box_room (k) != 0)
            return -1;
        k->old_box[k->nold_box++] = *kp;
        *kp = NULL;
        return 0;
    }
    if (s_add_sign (k, cx_keypair_public (*kp)) != 0)
        return -1;
    cx_keypair_destroy (kp);
    return 0;
}

/* The keys in HOME/keys/old into K. 0, or -1 with ERR. */
static int s_ring_load (const char *home, node_keyring_t *k, char *err, size_t errlen)
{
    char dir[NODE_PATH_MAX];
    if (snprintf (dir, sizeof dir, "%s/keys/old", home) >= (int) sizeof dir)
        return node_errf (err, errlen, "home path too long");
    DIR *dp = opendir (dir);
    if (!dp)
        return errno == ENOENT ? 0 : node_errf (err, errlen, "cannot read %s: %s", dir, strerror (errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir (dp)) != NULL) {
        int box = strncmp (e->d_name, "box-", 4) == 0, sign = strncmp (e->d_name, "sign-", 5) == 0;
        size_t len = strlen (e->d_name);
        if ((!box && !sign) || len < 5 || strcmp (e->d_name + len - 4, ".key") != 0)
            continue;
        char path[NODE_PATH_MAX + 256];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        cx_keypair_t *kp = cx_keypair_load (path, box ? CX_KEY_BOX : CX_KEY_SIGN);
        if (!kp)
            rc = node_errf (err, errlen, "%s", cx_error ());
        else if (s_add_old (k, &kp, box) != 0) {
            cx_keypair_destroy (&kp);
            rc = node_errf (err, errlen, "out of memory");
        }
    }
    closedir (dp);
    return rc;
}

int node_keys_load_old (node_t *n, char *err, size_t errlen)
{
    node_keyring_t *k = calloc (1, sizeof *k);
    if (!k)
        return node_errf (err, errlen, "out of memory");
    node_set_keyring (n, k);                 /* freed by node_keys_release, also on failure */
    return s_ring_load (node_home (n), k, err, errlen);
}

void node_keys_release (node_t *n)
{
    node_keyring_t *k = node_keyring (n);
    s_ring_destroy (&k);
    node_set_keyring (n, NULL);
}

cx_content_t *node_unwrap (node_t *n, const uint8_t wrapped[CX_WRAPPEDBYTES])
{
    const node_keyring_t *k = node_keyring (n);
    cx_content_t *key = cx_content_unwrap (wrapped, node_box_key (n));
    for (size_t i = 0; !key && k && i < k->nold_box; i++)
        key = cx_content_unwrap (wrapped, k->old_box[i]);
    return key;
}

int node_own_sign_key (const node_t *n, const uint8_t pk[32])
{
    const node_keyring_t *k = node_keyring (n);
    if (memcmp (pk, cx_keypair_public (node_sign_key (n)), 32) == 0)
        return 1;
    for (size_t i = 0; k && i < k->nold_sign; i++)
        if (memcmp (pk, k->old_sign_pk[i], 32) == 0)
            return 1;
    return 0;
}

int node_verify_own (const node_t *n, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    const node_keyring_t *k = node_keyring (n);
    if (cx_verify (cx_keypair_public (node_sign_key (n)), msg, len, sig) == 0)
        return 0;
    for (size_t i = 0; k && i < k->nold_sign; i++)    /* signed before a key rotation */
        if (cx_verify (k->old_sign_pk[i], msg, len, sig) == 0)
            return 0;
    return -1;
}

/* 1 if every key the node keeps (KEPT) is among those in keys/old now
   (read again from the files). */
static int s_all_kept (node_t *n)
{
    const node_keyring_t *kept = node_keyring (n);
    node_keyring_t *fresh = calloc (1, sizeof *fresh);
    if (!fresh)
        return 0;
    int ok = s_ring_load (node_home (n), fresh, NULL, 0) == 0;
    for (size_t i = 0; ok && kept && i < kept->nold_sign; i++) {
        int found = 0;
        for (size_t j = 0; j < fresh->nold_sign && !found; j++)
            found = memcmp (fresh->old_sign_pk[j], kept->old_sign_pk[i], 32) == 0;
        ok = found;
    }
    for (size_t i = 0; ok && kept && i < kept->nold_box; i++) {
        int found = 0;
        for (size_t j = 0; j < fresh->nold_box && !found; j++)
            found = memcmp (cx_keypair_public (fresh->old_box[j]), cx_keypair_public (kept->old_box[i]), 32) == 0;
        ok = found;
    }
    s_ring_destroy (&fresh);
    return ok;
}

/* ---- moving keys into place -------------------------------------------------- */

/* The running node's lock (run.lock), taken for a rotation or its
   completion, so neither meets cdx run or another rotation. The
   descriptor, or -1 if someone holds it (errno EWOULDBLOCK) or on error. */
static int s_lock (const char *home)
{
    char path[NODE_PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/%s", home, NODE_LOCK_FILE);
    int fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close (fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Moves LIVE to keys/old/NAME-STAMP.key, or NAME-STAMP-K.key where that is
   taken: never over a file. 0, or -1 with errno. */
static int s_keep (const char *home, const char *name, long long stamp, const char *live)
{
    char keep[NODE_PATH_MAX + 96];
    for (int k = 0; k < 1000; k++) {
        if (k == 0)
            snprintf (keep, sizeof keep, "%s/keys/old/%s-%lld.key", home, name, stamp);
        else
            snprintf (keep, sizeof keep, "%s/keys/old/%s-%lld-%d.key", home, name, stamp, k);
        if (renameat2 (AT_FDCWD, live, AT_FDCWD, keep, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Step (3): each NAME.key.new takes the place of NAME.key, which is kept;
   the signing key first. 0, or -1 with ERR. */
static int s_promote (const char *home, char *err, size_t errlen)
{
    long long stamp = (long long) time (NULL);
    char live[NODE_PATH_MAX], fresh[NODE_PATH_MAX + 8], dir[NODE_PATH_MAX + 8];
    for (int i = 0; i < 3; i++) {
        snprintf (live, sizeof live, "%s/keys/%s.key", home, s_names[i]);
        snprintf (fresh, sizeof fresh, "%s.new", live);
        if (access (fresh, F_OK) != 0)
            continue;                           /* done before */
        if (access (live, F_OK) == 0 && s_keep (home, s_names[i], stamp, live) != 0)
            return node_errf (err, errlen, "cannot keep %s in %s/keys/old: %s", live, home, strerror (errno));
        if (renameat2 (AT_FDCWD, fresh, AT_FDCWD, live, RENAME_NOREPLACE) != 0)
            return node_errf (err, errlen, "cannot put %s in place: %s", fresh, strerror (errno));
    }
    snprintf (dir, sizeof dir, "%s/keys/old", home);
    node_sync_dir (dir);
    snprintf (dir, sizeof dir, "%s/keys", home);
    node_sync_dir (dir);
    return 0;
}

/* Removes the NAME.key.new files of a rotation that did not commit, the
   signing key's last (node_keys_recover reads it to decide). */
static void s_discard_new (const char *home)
{
    char fresh[NODE_PATH_MAX + 16];
    for (int i = 2; i >= 0; i--) {
        snprintf (fresh, sizeof fresh, "%s/keys/%s.key.new", home, s_names[i]);
        unlink (fresh);
    }
}

static int s_recover_locked (node_t *n, char *err, size_t errlen);

int node_keys_recover (node_t *n, char *err, size_t errlen)
{
    char path[NODE_PATH_MAX + 16];
    int pending = 0;
    for (int i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/keys/%s.key.new", node_home (n), s_names[i]);
        pending |= access (path, F_OK) == 0;
    }
    if (!pending)
        return 0;
    /* Held: the node runs (and so completed this at its start) or a
       rotation is under way (and completes itself). */
    int lock = s_lock (node_home (n));
    if (lock < 0)
        return 0;
    int rc = s_recover_locked (n, err, errlen);
    close (lock);
    return rc;
}

static int s_recover_locked (node_t *n, char *err, size_t errlen)
{
    char path[NODE_PATH_MAX + 16];
    card_t card;
    size_t signed_len;
    if (card_parse (node_self (n)->card, strlen (node_self (n)->card), &card, &signed_len) != 0)
        return node_errf (err, errlen, "the store's card does not parse: %s", card_error ());
    /* The signing key in use: the new one if not yet moved into place. */
    snprintf (path, sizeof path, "%s/keys/sign.key.new", node_home (n));
    if (access (path, F_OK) != 0)
        snprintf (path, sizeof path, "%s/keys/sign.key", node_home (n));
    int fresh = strstr (path, ".new") != NULL;
    cx_keypair_t *kp = cx_keypair_load (path, CX_KEY_SIGN);
    if (!kp && !fresh)
        return node_errf (err, errlen, "%s", cx_error ());
    /* Each .new is written whole and synced before the store transaction
       (step 1): one that does not load was cut short there, so the
       rotation did not commit. */
    int committed = kp && memcmp (cx_keypair_public (kp), card.sign_pk, 32) == 0;
    cx_keypair_destroy (&kp);
    if (!committed) {
        s_discard_new (node_home (n));
        node_log (n, "warn", "removed the new keys of a key rotation that did not complete; the keys in "
                             "use are unchanged");
        return 0;
    }
    if (s_promote (node_home (n), err, errlen) != 0)
        return -1;
    node_log (n, "info", "completed a key rotation that was cut short: the new keys are in place, the "
                         "old ones in keys/old");
    return 0;
}

/* ---- rotation -------------------------------------------------------------- */

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


/* This handle goes on with the new keys and keeps the old ones, as a
   reopened node would. */
static int s_take_new (node_t *n, cx_keypair_t *kp[3])
{
    node_keyring_t *k = node_keyring (n);
    if (!k || s_box_room (k) != 0 || s_add_sign (k, cx_keypair_public (node_sign_key (n))) != 0)
        return node_fail (n, "out of memory");
    node_set_keys (n, kp, &k->old_box[k->nold_box]);
    k->nold_box++;
    kp[0] = kp[1] = kp[2] = NULL;
    return 0;
}

static int s_rotate_locked (node_t *n, char *card_out, size_t cap);

int node_keys_rotate (node_t *n, char *card_out, size_t cap)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "keys-rotate", "keys"))
        return -1;
    int lock = s_lock (node_home (n));
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
    if (!s_all_kept (n))
        return node_fail (n, "a key kept in %s by an earlier rotation is missing or unreadable: restore it "
                             "from a backup before rotating again (data wrapped for it would not open)",
                          path);
    cx_keypair_t *kp[3] = {NULL, NULL, NULL};
    int rc = -1;
    for (int i = 0; i < 3; i++) {                   /* (1) */
        snprintf (path, sizeof path, "%s/keys/%s.key.new", node_home (n), s_names[i]);
        unlink (path);                              /* of a rotation that did not commit */
        kp[i] = cx_keypair_new (s_types[i]);
        if (!kp[i] || cx_keypair_save (kp[i], path) != 0) {
            node_fail (n, "cannot make new keys: %s", cx_error ());
            s_discard_new (node_home (n));
            goto out;
        }
    }
    snprintf (path, sizeof path, "%s/keys", node_home (n));
    node_sync_dir (path);                           /* the .new names durable before (2) */
    if (node_make_card (node_self (n), kp, text, sizeof text) != 0) {
        node_fail (n, "cannot sign the new card: %s", card_error ());
        s_discard_new (node_home (n));
        goto out;
    }
    if (s_rotate_record (n, kp, text, actor) != 0) {
        s_discard_new (node_home (n));
        goto out;
    }
    if (s_promote (node_home (n), node_errbuf (n), NODE_ERR_MAX) != 0) {  /* (3) */
        size_t len = strlen (node_error (n));
        snprintf (node_errbuf (n) + len, NODE_ERR_MAX - len, "; the rotation is recorded and completes at the "
                                                     "next cdx command on this home");
        goto out;
    }
    node_set_card (n, text);
    if (s_take_new (n, kp) != 0)
        goto out;
    if (!s_all_kept (n)) {
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
