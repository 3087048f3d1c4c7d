/*  home.c: a node's home directory: its layout, the checks made before it
    is trusted (node_open, cdx init), undoing a failed cdx init, and the
    removal of files interrupted commands left in data/.

    The checks follow one rule per kind of thing: a directory of the home
    must be a real directory, owned by the account running cdx or root,
    that group and others cannot write; a file holding secrets or the
    store (key files, store.db and its -wal and -shm) must also be a real
    file so owned, that group and others can neither read nor write: the
    rule crypto/keyfile.c applies to key files, applied to the store too.

    Not for: reading keys (crypto/keyfile.c) or the store (store/).
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "core.h"

static const char *const s_key_files[] = {"sign.key", "box.key", "curve.key", NULL};
static const char *const s_key_roles[] = {"signing", "box", "transport (CURVE)"};
static const char *const s_store_files[] = {"store.db", "store.db-wal", "store.db-shm",
                                            "store.db-journal", NULL};

typedef enum { S_DIR, S_PRIVATE } s_kind_t;


static void s_owner (uid_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid (uid);
    if (pw && pw->pw_name)
        snprintf (buf, cap, "%s (uid %ld)", pw->pw_name, (long)uid);
    else
        snprintf (buf, cap, "uid %ld", (long)uid);
}

/* Checks PATH against the rule for KIND. A missing PATH is accepted if
   OPTIONAL. 0, or -1 with the path and the fix in ERR. */
static int s_check (const char *path, s_kind_t kind, int optional, char *err, size_t errlen)
{
    struct stat st;
    if (lstat (path, &st) != 0) {
        if (errno == ENOENT && optional) return 0;
        return node_errf (err, errlen, "cannot use %s: %s", path, strerror (errno));
    }
    const char *what = kind == S_DIR ? "directory" : "file";
    if (S_ISLNK (st.st_mode))
        return node_errf (
            err, errlen,
            "%s is a symbolic link: a node's home holds its own %ss, not links to others; "
            "replace it with a real %s",
            path, what, what);
    if (kind == S_DIR ? !S_ISDIR (st.st_mode) : !S_ISREG (st.st_mode))
        return node_errf (err, errlen, "%s is not a %s%s; refusing it", path,
                          kind == S_DIR ? "" : "regular ", what);
    uid_t me = geteuid ();
    if (st.st_uid != me && st.st_uid != 0) {
        char owner[96], self[96];
        s_owner (st.st_uid, owner, sizeof owner);
        s_owner (me, self, sizeof self);
        return node_errf (
            err, errlen,
            "%s belongs to %s, not to %s running cdx nor to root, so that account could change "
            "it: run cdx as its owner, or, if the node is yours, chown -R %ld %s",
            path, owner, self, (long)me, path);
    }
    unsigned mode = (unsigned)(st.st_mode & 07777);
    if (kind == S_DIR && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return node_errf (err, errlen,
                          "%s: mode 0%03o lets group or others write in it; chmod 700 %s", path,
                          mode, path);
    if (kind == S_PRIVATE && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return node_errf (err, errlen,
                          "%s: mode 0%03o gives access to group or others; chmod 600 %s", path,
                          mode, path);
    return 0;
}

/* Checks every keys/old/ *.key file (the directory itself is checked
   before). 0, or -1 (ERR). */
static int s_check_old_keys (const char *dir, char *err, size_t errlen)
{
    DIR *dp = opendir (dir);
    if (!dp)
        return errno == ENOENT
                   ? 0
                   : node_errf (err, errlen, "cannot read %s: %s", dir, strerror (errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir (dp)) != NULL) {
        size_t len = strlen (e->d_name);
        if (len < 5 || strcmp (e->d_name + len - 4, ".key") != 0) continue;
        char path[NODE_PATH_MAX + 256];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        rc = s_check (path, S_PRIVATE, 1, err, errlen);
    }
    closedir (dp);
    return rc;
}

int node_home_check (const char *home, char *err, size_t errlen)
{
    char keys[NODE_PATH_MAX], old[NODE_PATH_MAX], data[NODE_PATH_MAX], path[NODE_PATH_MAX];
    if (node_join (keys, sizeof keys, home, NODE_HOME_KEYS) != 0 ||
        node_join (old, sizeof old, home, NODE_HOME_OLDKEYS) != 0 ||
        node_join (data, sizeof data, home, NODE_HOME_DATA) != 0)
        return node_errf (err, errlen, "home path too long");
    if (s_check (home, S_DIR, 0, err, errlen) != 0 || s_check (keys, S_DIR, 0, err, errlen) != 0 ||
        s_check (old, S_DIR, 1, err, errlen) != 0 || s_check (data, S_DIR, 0, err, errlen) != 0)
        return -1;
    for (int i = 0; s_store_files[i]; i++) {
        if (node_join (path, sizeof path, home, s_store_files[i]) != 0)
            return node_errf (err, errlen, "home path too long");
        if (s_check (path, S_PRIVATE, i > 0, err, errlen) != 0) return -1;
    }
    for (int i = 0; s_key_files[i]; i++) {
        /* A key rotation cut short (keys.c) may have moved a key to
           keys/old/ before its NAME.key.new took its place: either is
           enough here, and both follow the same rule. */
        char fresh[NODE_PATH_MAX + 8];
        struct stat st;
        if (node_join (path, sizeof path, keys, s_key_files[i]) != 0)
            return node_errf (err, errlen, "home path too long");
        snprintf (fresh, sizeof fresh, "%s.new", path);
        int pending = lstat (fresh, &st) == 0;
        if ((pending && s_check (fresh, S_PRIVATE, 0, err, errlen) != 0) ||
            s_check (path, S_PRIVATE, pending, err, errlen) != 0)
            return -1;
    }
    return s_check_old_keys (old, err, errlen);
}

/* EACCES from faccessat (PATH, MODE) with the effective ids, as the
   node's own opens see them. */
static int s_denied (const char *path, int mode)
{
    return faccessat (AT_FDCWD, path, mode, AT_EACCESS) != 0 && errno == EACCES;
}

int node_home_denied (const char *home, char *err, size_t errlen)
{
    char store[NODE_PATH_MAX], self[96];
    if (node_join (store, sizeof store, home, NODE_HOME_STORE) != 0) return 0;
    s_owner (geteuid (), self, sizeof self);
    struct stat st;
    if (stat (home, &st) != 0) {
        if (errno != EACCES) return 0;
        node_errf (err, errlen,
                   "cannot read %s: permission denied: a directory on its path is closed to %s. "
                   "Run cdx as the account that made the node, or make a node of your own: "
                   "cdx init --home DIR",
                   home, self);
        return 1;
    }
    const char *what = home;
    if (!s_denied (home, X_OK)) {
        if (faccessat (AT_FDCWD, store, F_OK, AT_EACCESS) != 0 || !s_denied (store, R_OK | W_OK) ||
            stat (store, &st) != 0)
            return 0;
        what = store;
    }
    char owner[96];
    s_owner (st.st_uid, owner, sizeof owner);
    struct passwd *pw = getpwuid (st.st_uid);
    char login[64];
    if (pw && pw->pw_name)
        snprintf (login, sizeof login, "%s", pw->pw_name);
    else
        snprintf (login, sizeof login, "#%ld", (long)st.st_uid);
    node_errf (err, errlen,
               "cannot read %s: permission denied: %s belongs to %s (mode 0%03o) and cdx runs as %s. "
               "Run cdx as %s (e.g. sudo -u %s cdx ... --home %s), or make a node of your own: "
               "cdx init --home DIR",
               home, what, owner, (unsigned)(st.st_mode & 07777), self, login, login, home);
    return 1;
}

/* 1 if directory PATH holds nothing, 0 if it holds something (its first
   entry's name in FIRST), -1 if it cannot be read (ERR). */
static int s_empty (const char *path, char *first, size_t cap, char *err, size_t errlen)
{
    DIR *dp = opendir (path);
    if (!dp) return node_errf (err, errlen, "cannot read %s: %s", path, strerror (errno));
    int empty = 1;
    struct dirent *e;
    while (empty && (e = readdir (dp)) != NULL) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) continue;
        snprintf (first, cap, "%s", e->d_name);
        empty = 0;
    }
    closedir (dp);
    return empty;
}

/* mkdir DIR 0700, whatever the umask. 0, or -1 (ERR). */
static int s_mkdir (const char *dir, char *err, size_t errlen)
{
    if (mkdir (dir, 0700) != 0)
        return node_errf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
    if (chmod (dir, 0700) != 0)
        return node_errf (err, errlen, "cannot set the mode of %s: %s", dir, strerror (errno));
    return 0;
}

int node_home_make (const char *home, node_home_made_t *made, char *err, size_t errlen)
{
    memset (made, 0, sizeof *made);
    char keys[NODE_PATH_MAX], data[NODE_PATH_MAX];
    if (node_join (keys, sizeof keys, home, NODE_HOME_KEYS) != 0 ||
        node_join (data, sizeof data, home, NODE_HOME_DATA) != 0)
        return node_errf (err, errlen, "home path too long");
    struct stat st;
    if (lstat (home, &st) != 0) {
        if (errno != ENOENT)
            return node_errf (err, errlen, "cannot use %s: %s", home, strerror (errno));
        if (s_mkdir (home, err, errlen) != 0) {
            rmdir (home);
            return -1;
        }
        made->home = 1;
    } else {
        if (s_check (home, S_DIR, 0, err, errlen) != 0) return -1;
        char first[256];
        int empty = s_empty (home, first, sizeof first, err, errlen);
        if (empty < 0) return -1;
        if (!empty)
            return node_errf (
                err, errlen,
                "%s is not empty (it holds %s): cdx init makes a node in a new or empty "
                "directory; choose another --home",
                home, first);
    }
    if (s_mkdir (keys, err, errlen) != 0) goto fail;
    made->keys = 1;
    if (s_mkdir (data, err, errlen) != 0) goto fail;
    made->data = 1;
    return 0;
fail:
    node_home_undo (home, made);
    return -1;
}

void node_home_undo (const char *home, const node_home_made_t *made)
{
    char path[NODE_PATH_MAX + 64];
    if (made->store)
        for (int i = 0; s_store_files[i]; i++) {
            snprintf (path, sizeof path, "%s/%s", home, s_store_files[i]);
            unlink (path);
        }
    if (made->keys) {
        for (int i = 0; s_key_files[i]; i++) {
            snprintf (path, sizeof path, "%s/%s/%s", home, NODE_HOME_KEYS, s_key_files[i]);
            unlink (path);
        }
        snprintf (path, sizeof path, "%s/%s", home, NODE_HOME_KEYS);
        rmdir (path);
    }
    if (made->data) {
        snprintf (path, sizeof path, "%s/%s", home, NODE_HOME_DATA);
        rmdir (path);
    }
    if (made->home) rmdir (home);
}

int node_home_check_card (node_t *n, char *err, size_t errlen)
{
    card_t card;
    size_t signed_len;
    const char *text = node_self (n)->card;
    if (card_parse (text, strlen (text), &card, &signed_len) != 0)
        return node_errf (
            err, errlen,
            "the node's card in %s/%s does not parse (%s): the store is damaged or not this "
            "node's; restore store.db and keys/ together from a backup",
            node_home (n), NODE_HOME_STORE, card_error ());
    if (cx_verify (card.sign_pk, (const uint8_t *)text, signed_len, card.sig) != 0 ||
        strcmp (card.org, node_self (n)->org) != 0)
        return node_errf (
            err, errlen,
            "the node's card in %s/%s does not verify for %s: the store is damaged or not this "
            "node's; restore store.db and keys/ together from a backup",
            node_home (n), NODE_HOME_STORE, node_self (n)->org);
    const cx_keypair_t *have[3] = {node_sign_key (n), node_box_key (n), node_curve_key (n)};
    const uint8_t *want[3] = {card.sign_pk, card.box_pk, card.curve_pk};
    for (int i = 0; i < 3; i++) {
        if (memcmp (cx_keypair_public (have[i]), want[i], 32) == 0) continue;
        char hfpr[CX_FINGERPRINT_HEXLEN], wfpr[CX_FINGERPRINT_HEXLEN];
        cx_fingerprint (cx_keypair_public (have[i]), hfpr);
        cx_fingerprint (want[i], wfpr);
        return node_errf (
            err, errlen,
            "%s/%s/%s holds %s key %s, but this node's card in %s/%s names %s: the key files or "
            "the store were replaced; refusing to use them: restore the node's own keys/ and "
            "store.db together",
            node_home (n), NODE_HOME_KEYS, s_key_files[i], s_key_roles[i], hfpr, node_home (n), NODE_HOME_STORE,
            wfpr);
    }
    return 0;
}

int node_home_hold (int fd)
{
    while (flock (fd, LOCK_EX) != 0)
        if (errno != EINTR) return -1;
    /* A sweep that took the lock between our create and our flock has
       unlinked the file before letting go of it. */
    struct stat st;
    if (fstat (fd, &st) != 0) return -1;
    return st.st_nlink == 0 ? 1 : 0;
}

/* ---- leftovers in data/ ------------------------------------------------- */

typedef enum { S_NONE, S_SEALED, S_TEMP } s_leftover_t;

/* What NAME is: ID.sealed, ID.sealed.tmp (ID: 32 lower-case hex digits,
   copied to ID) or something cdx did not write. */
static s_leftover_t s_leftover_kind (const char *name, char id[33])
{
    for (int i = 0; i < 32; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return S_NONE;
    memcpy (id, name, 32);
    id[32] = 0;
    if (strcmp (name + 32, ".sealed") == 0) return S_SEALED;
    return strcmp (name + 32, ".sealed.tmp") == 0 ? S_TEMP : S_NONE;
}

/* Removes data file NAME (in directory DFD) if nobody holds it and, for a
   sealed file, no dataset row names it; the lock is taken before the row
   is looked up, and a publish holds it until its row is committed. 1 if
   removed (*BYTES its size), else 0. */
static int s_sweep_one (node_t *n, int dfd, const char *name, s_leftover_t kind, const char *id,
                        store_dataset_t *d, long long *bytes)
{
    int fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    int removed = 0;
    struct stat st, now;
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) goto out; /* a command is writing it */
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) ||
        fstatat (dfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_ino != st.st_ino ||
        now.st_dev != st.st_dev)
        goto out; /* replaced meanwhile: look again next time */
    if (kind == S_SEALED && store_dataset_get (node_db (n), id, d) != STORE_NOTFOUND)
        goto out; /* a dataset's (or the store cannot say) */
    if (unlinkat (dfd, name, 0) != 0) {
        node_log (n, "warn", "cannot remove the leftover %s/data/%s: %s", node_home (n), name,
                  strerror (errno));
        goto out;
    }
    *bytes = (long long)st.st_size;
    removed = 1;
    node_log (n, "info", "removed %s/data/%s (%lld bytes): %s", node_home (n), name, *bytes,
              kind == S_SEALED ? "a sealed file no dataset names"
                               : "left by an interrupted publish");
out:
    close (fd); /* after the unlink: see node_home_hold */
    return removed;
}

int node_home_sweep (node_t *n, const char *actor, int temps_only)
{
    char dir[NODE_PATH_MAX];
    if (node_join (dir, sizeof dir, node_home (n), NODE_HOME_DATA) != 0) return -1;
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dp = dfd >= 0 ? fdopendir (dfd) : NULL;
    store_dataset_t *d = malloc (sizeof *d);
    if (!dp || !d) {
        node_log (n, "warn", "cannot look for leftovers in %s: %s", dir, strerror (errno));
        if (dp)
            closedir (dp);
        else if (dfd >= 0)
            close (dfd);
        free (d);
        return -1;
    }
    int count[3] = {0, 0, 0};
    long long bytes[3] = {0, 0, 0};
    struct dirent *e;
    while ((e = readdir (dp)) != NULL) {
        char id[33];
        s_leftover_t kind = s_leftover_kind (e->d_name, id);
        long long size = 0;
        if (kind == S_SEALED && temps_only) continue;
        if (kind != S_NONE && s_sweep_one (n, dirfd (dp), e->d_name, kind, id, d, &size)) {
            count[kind]++;
            bytes[kind] += size;
        }
    }
    closedir (dp);
    free (d);
    int total = count[S_SEALED] + count[S_TEMP];
    if (total == 0) return 0;
    long long sum = bytes[S_SEALED] + bytes[S_TEMP];
    node_log (n, "info",
              "removed %d leftover file(s) from %s, %lld bytes: %d temporary file(s) of "
              "interrupted publishes, "
              "%d sealed file(s) no dataset names",
              total, dir, sum, count[S_TEMP], count[S_SEALED]);
    node_audit (n, actor, "cleanup", "data", "", "allow", "local.cleanup",
                "removed %d leftover file(s) that no dataset names, %lld bytes: %d temporary "
                "file(s) of interrupted "
                "publishes (%lld bytes), %d sealed file(s) (%lld bytes)",
                total, sum, count[S_TEMP], bytes[S_TEMP], count[S_SEALED], bytes[S_SEALED]);
    return total;
}
