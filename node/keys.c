/*  keys.c: a node's key files over time: the keys kept after rotations
    (keys/old/) in the node's keyring, what opens or verifies with any of
    them, and the completion of a rotation that was cut short.

    A rotation (rotate.c) never loses a key: the replaced ones move to
    keys/old/ under names that are never reused (renameat2
    RENAME_NOREPLACE, with a counter where a name is taken), and the
    rotation then checks that every key kept before it is still there
    (node_keys_all_kept). Opening the node (node_keys_recover) finishes
    moving the new keys into place if the rotation's store transaction
    committed, and removes the .new files (the signing key's last) if it
    did not (SPEC.md section 7, SECURITY.md).

    Not for: the rotation itself (rotate.c), the key file format
    (crypto/keyfile.c), the card (protocol/card.c). */
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

int node_keys_all_kept (node_t *n)
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
int node_keys_lock (const char *home)
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
int node_keys_promote (const char *home, char *err, size_t errlen)
{
    long long stamp = (long long) time (NULL);
    char live[NODE_PATH_MAX], fresh[NODE_PATH_MAX + 8], dir[NODE_PATH_MAX + 8];
    for (int i = 0; i < 3; i++) {
        snprintf (live, sizeof live, "%s/keys/%s.key", home, node_key_names[i]);
        snprintf (fresh, sizeof fresh, "%s.new", live);
        if (access (fresh, F_OK) != 0)
            continue;                           /* done before */
        if (access (live, F_OK) == 0 && s_keep (home, node_key_names[i], stamp, live) != 0)
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
void node_keys_discard_new (const char *home)
{
    char fresh[NODE_PATH_MAX + 16];
    for (int i = 2; i >= 0; i--) {
        snprintf (fresh, sizeof fresh, "%s/keys/%s.key.new", home, node_key_names[i]);
        unlink (fresh);
    }
}

static int s_recover_locked (node_t *n, char *err, size_t errlen);

int node_keys_recover (node_t *n, char *err, size_t errlen)
{
    char path[NODE_PATH_MAX + 16];
    int pending = 0;
    for (int i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/keys/%s.key.new", node_home (n), node_key_names[i]);
        pending |= access (path, F_OK) == 0;
    }
    if (!pending)
        return 0;
    /* Held: the node runs (and so completed this at its start) or a
       rotation is under way (and completes itself). */
    int lock = node_keys_lock (node_home (n));
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
        node_keys_discard_new (node_home (n));
        node_log (n, "warn", "removed the new keys of a key rotation that did not complete; the keys in "
                             "use are unchanged");
        return 0;
    }
    if (node_keys_promote (node_home (n), err, errlen) != 0)
        return -1;
    node_log (n, "info", "completed a key rotation that was cut short: the new keys are in place, the "
                         "old ones in keys/old");
    return 0;
}

/* This handle goes on with the new keys and keeps the old ones, as a
   reopened node would. */
int node_keys_take_new (node_t *n, cx_keypair_t *kp[3])
{
    node_keyring_t *k = node_keyring (n);
    if (!k || s_box_room (k) != 0 || s_add_sign (k, cx_keypair_public (node_sign_key (n))) != 0)
        return node_fail (n, "out of memory");
    node_set_keys (n, kp, &k->old_box[k->nold_box]);
    k->nold_box++;
    kp[0] = kp[1] = kp[2] = NULL;
    return 0;
}
