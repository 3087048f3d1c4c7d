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

#include "node_internal.h"

static const cx_keytype_t s_types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
static const char *const s_names[3] = {"sign", "box", "curve"};

/* ---- keys kept ------------------------------------------------------------ */

static int s_add_old (node_t *n, cx_keypair_t **kp, int box)
{
    if (box) {
        cx_keypair_t **grown = realloc (n->old_box, (n->nold_box + 1) * sizeof *grown);
        if (!grown) return -1;
        n->old_box = grown;
        n->old_box[n->nold_box++] = *kp;
        *kp = NULL;
        return 0;
    }
    uint8_t (*pks)[32] = realloc (n->old_sign_pk, (n->nold_sign + 1) * sizeof *pks);
    if (!pks) return -1;
    n->old_sign_pk = pks;
    memcpy (n->old_sign_pk[n->nold_sign++], cx_keypair_public (*kp), 32);
    cx_keypair_destroy (kp);
    return 0;
}

int node_keys_load_old (node_t *n, char *err, size_t errlen)
{
    char dir[NODE_PATH_MAX];
    if (snprintf (dir, sizeof dir, "%s/keys/old", n->home) >= (int) sizeof dir)
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
        else if (s_add_old (n, &kp, box) != 0) {
            cx_keypair_destroy (&kp);
            rc = node_errf (err, errlen, "out of memory");
        }
    }
    closedir (dp);
    return rc;
}

/* 1 if every key in WANT (NWANT public keys) is among those kept in
   keys/old now (read again from the files). */
static int s_all_kept (node_t *n, const uint8_t (*sign)[32], size_t nsign, cx_keypair_t *const *box,
                       size_t nbox)
{
    node_t *fresh = calloc (1, sizeof *fresh);
    if (!fresh)
        return 0;
    snprintf (fresh->home, sizeof fresh->home, "%s", n->home);
    int ok = node_keys_load_old (fresh, NULL, 0) == 0;
    for (size_t i = 0; ok && i < nsign; i++) {
        int found = 0;
        for (size_t j = 0; j < fresh->nold_sign && !found; j++)
            found = memcmp (fresh->old_sign_pk[j], sign[i], 32) == 0;
        ok = found;
    }
    for (size_t i = 0; ok && i < nbox; i++) {
        int found = 0;
        for (size_t j = 0; j < fresh->nold_box && !found; j++)
            found = memcmp (cx_keypair_public (fresh->old_box[j]), cx_keypair_public (box[i]), 32) == 0;
        ok = found;
    }
    for (size_t j = 0; j < fresh->nold_box; j++)
        cx_keypair_destroy (&fresh->old_box[j]);
    free (fresh->old_box);
    free (fresh->old_sign_pk);
    free (fresh);
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
        snprintf (path, sizeof path, "%s/keys/%s.key.new", n->home, s_names[i]);
        pending |= access (path, F_OK) == 0;
    }
    if (!pending)
        return 0;
    /* Held: the node runs (and so completed this at its start) or a
       rotation is under way (and completes itself). */
    int lock = s_lock (n->home);
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
    if (card_parse (n->self.card, strlen (n->self.card), &card, &signed_len) != 0)
        return node_errf (err, errlen, "the store's card does not parse: %s", card_error ());
    /* The signing key in use: the new one if not yet moved into place. */
    snprintf (path, sizeof path, "%s/keys/sign.key.new", n->home);
    if (access (path, F_OK) != 0)
        snprintf (path, sizeof path, "%s/keys/sign.key", n->home);
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
        s_discard_new (n->home);
        node_log (n, "warn", "removed the new keys of a key rotation that did not complete; the keys in "
                             "use are unchanged");
        return 0;
    }
    if (s_promote (n->home, err, errlen) != 0)
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
    if (strcmp (d->publisher, r->n->self.org) != 0 || d->manifest_len == 0)
        return 0;
    uint8_t sig[64];
    if (cx_sign (r->sign, d->manifest, d->manifest_len, sig) != 0 ||
        store_dataset_resign (r->n->store, d->id, sig) != 0) {
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
    cx_fingerprint (cx_keypair_public (n->sign), oldfpr);
    cx_fingerprint (cx_keypair_public (kp[0]), newfpr);
    s_resign_t r = {n, kp[0], 0, 0};
    if (store_begin (n->store) != 0 || store_self_card (n->store, text) != 0 ||
        store_dataset_each (n->store, s_resign_one, &r) < 0 || r.rc != 0 ||
        node_audit (n, actor, "rotate", "keys", "", "allow", "local.keys",
                    "keys rotated: signing key %s replaced by %s; %d published manifests signed again with "
                    "it; old keys kept in keys/old (data wrapped for them stays readable); peers learn the "
                    "new keys from a new certificate or card",
                    oldfpr, newfpr, r.count) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "cannot record the new keys: %s (nothing changed)", store_error (n->store));
        store_rollback (n->store);
        return -1;
    }
    return 0;
}


/* This handle goes on with the new keys and keeps the old ones, as a
   reopened node would. */
static int s_take_new (node_t *n, cx_keypair_t *kp[3])
{
    cx_keypair_t *old_sign = n->sign;
    if (s_add_old (n, &n->box, 1) != 0 || s_add_old (n, &old_sign, 0) != 0)
        return node_fail (n, "out of memory");
    n->sign = NULL;
    cx_keypair_destroy (&n->curve);
    n->sign = kp[0];
    n->box = kp[1];
    n->curve = kp[2];
    kp[0] = kp[1] = kp[2] = NULL;
    return 0;
}

static int s_rotate_locked (node_t *n, char *card_out, size_t cap);

int node_keys_rotate (node_t *n, char *card_out, size_t cap)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "keys-rotate", "keys"))
        return -1;
    int lock = s_lock (n->home);
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
    snprintf (path, sizeof path, "%s/keys/old", n->home);
    if (mkdir (path, 0700) != 0 && errno != EEXIST)
        return node_fail (n, "cannot create %s: %s", path, strerror (errno));
    if (!s_all_kept (n, (const uint8_t (*)[32]) n->old_sign_pk, n->nold_sign, n->old_box, n->nold_box))
        return node_fail (n, "a key kept in %s by an earlier rotation is missing or unreadable: restore it "
                             "from a backup before rotating again (data wrapped for it would not open)",
                          path);
    cx_keypair_t *kp[3] = {NULL, NULL, NULL};
    int rc = -1;
    for (int i = 0; i < 3; i++) {                   /* (1) */
        snprintf (path, sizeof path, "%s/keys/%s.key.new", n->home, s_names[i]);
        unlink (path);                              /* of a rotation that did not commit */
        kp[i] = cx_keypair_new (s_types[i]);
        if (!kp[i] || cx_keypair_save (kp[i], path) != 0) {
            node_fail (n, "cannot make new keys: %s", cx_error ());
            s_discard_new (n->home);
            goto out;
        }
    }
    snprintf (path, sizeof path, "%s/keys", n->home);
    node_sync_dir (path);                           /* the .new names durable before (2) */
    if (node_make_card (&n->self, kp, text, sizeof text) != 0) {
        node_fail (n, "cannot sign the new card: %s", card_error ());
        s_discard_new (n->home);
        goto out;
    }
    if (s_rotate_record (n, kp, text, actor) != 0) {
        s_discard_new (n->home);
        goto out;
    }
    if (s_promote (n->home, n->err, sizeof n->err) != 0) {  /* (3) */
        size_t len = strlen (n->err);
        snprintf (n->err + len, sizeof n->err - len, "; the rotation is recorded and completes at the "
                                                     "next cdx command on this home");
        goto out;
    }
    snprintf (n->self.card, sizeof n->self.card, "%s", text);
    if (s_take_new (n, kp) != 0)
        goto out;
    if (!s_all_kept (n, (const uint8_t (*)[32]) n->old_sign_pk, n->nold_sign, n->old_box, n->nold_box)) {
        node_fail (n, "after the rotation, a key that must be kept is missing from %s/keys/old", n->home);
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
