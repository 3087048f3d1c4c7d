/*  restore.c: cdx backup verify and cdx restore (see backup.h): a backup
    checked without a node, and restored into a new home.

    Every file of the backup is opened relative to its directory, never
    following a link, and hashed; the store copy is opened read-only and
    its audit chain walked link by link up to the seq and hash the signed
    manifest names, so that a store altered anywhere in its log, or a
    manifest or file altered, is refused with the first problem named.

    Not for: making a backup (backup.c), the home's rules (home.c), which
    a restored home follows because it is made as cdx init makes one.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "core.h"
#include "home.h"
#include "keys.h"
#include "sealed.h"

#define S_BUF (1u << 20)

static int s_problem (node_backup_report_t *r, const char *file, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int s_problem (node_backup_report_t *r, const char *file, const char *fmt, ...)
{
    if (!r->ok)
        return 0;                 /* the first one stands */
    r->ok = 0;
    snprintf (r->file, sizeof r->file, "%s", file ? file : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->problem, sizeof r->problem, fmt, ap);
    va_end (ap);
    return 0;
}

/* Opens NAME in the directory DFD: a regular file, no link. FD, or -1
   with errno. */
static int s_openat (int dfd, const char *name, struct stat *st)
{
    int fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode)) {
        close (fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Reads FD to its end, hashing it, and writing it to OUT unless -1.
   The size into *SIZE. 0, or -1 with errno. */
static int s_hash_fd (int fd, int out, uint8_t *buf, uint8_t hash[32], int64_t *size)
{
    cx_hash_t *h = cx_hash_new ();
    if (!h) {
        errno = ENOMEM;
        return -1;
    }
    *size = 0;
    for (;;) {
        ssize_t got = read (fd, buf, S_BUF);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            goto fail;
        if (got == 0)
            break;
        if (cx_hash_update (h, buf, (size_t) got) != 0 || (out >= 0 && node_write_all (out, buf, (size_t) got) != 0))
            goto fail;
        *size += got;
    }
    int rc = cx_hash_final (h, hash);
    cx_hash_destroy (&h);
    return rc;
fail:
    cx_hash_destroy (&h);
    return -1;
}

typedef struct {
    node_backup_report_t *r;
    const node_backup_manifest_t *m;
    int64_t expect;               /* the next seq */
    uint8_t prev[32];
    uint8_t *enc;
} s_chain_t;

/* Each entry of the copy's log: its link to the one before. */
static int s_link (const store_audit_t *e, void *arg)
{
    s_chain_t *c = arg;
    if (e->seq != c->expect) {
        s_problem (c->r, "store.db", "the store's audit log jumps from seq %" PRId64 " to %" PRId64
                   ": entries were deleted or moved", c->expect - 1, e->seq);
        return 1;
    }
    if (e->seq > c->m->info.audit_seq) {
        s_problem (c->r, "store.db", "the store's audit log goes on after seq %" PRId64 ", where the manifest "
                   "says it ended: entries were added", c->m->info.audit_seq);
        return 1;
    }
    uint8_t h[32];
    size_t len = store_audit_encode (c->prev, e, c->enc, STORE_AUDIT_ENCODED_MAX);
    if (len == 0 || cx_hash_buf (c->enc, len, h) != 0 || memcmp (h, e->hash, 32) != 0) {
        s_problem (c->r, "store.db", "the store's audit entry %" PRId64 " does not match its hash: edited, "
                   "inserted or reordered", e->seq);
        return 1;
    }
    memcpy (c->prev, h, 32);
    c->expect++;
    return 0;
}

/* The store copy in DIR: integrity, identity, audit chain. */
static void s_check_store (const char *dir, const node_backup_manifest_t *m, node_backup_report_t *r)
{
    char path[NODE_PATH_MAX], err[NODE_ERR_MAX];
    snprintf (path, sizeof path, "%s/store.db", dir);
    store_t *s = store_open_readonly (path, err, sizeof err);
    if (!s) {
        s_problem (r, "store.db", "%s", err);
        return;
    }
    store_self_t self;
    card_t card;
    s_chain_t c = {r, m, 1, {0}, malloc (STORE_AUDIT_ENCODED_MAX)};
    if (store_check (s) != 0)
        s_problem (r, "store.db", "%s", store_error (s));
    else if (store_schema_version (s) != m->info.schema)
        s_problem (r, "store.db", "the store has schema %d, the manifest says %d", store_schema_version (s),
                   m->info.schema);
    else if (store_self_get (s, &self) != 0 || card_parse (self.card, strlen (self.card), &card, NULL) != 0)
        s_problem (r, "store.db", "the store holds no identity card that parses");
    else if (strcmp (self.org, m->info.org) != 0 || memcmp (card.sign_pk, m->sign_pk, 32) != 0)
        s_problem (r, NODE_BACKUP_MANIFEST, "the manifest's org or signing key is not the one on the card in "
                   "the store: the manifest was made for another node");
    else if (!c.enc)
        s_problem (r, "store.db", "out of memory");
    else if (store_audit_each (s, s_link, &c) < 0)
        s_problem (r, "store.db", "cannot read the store's audit log: %s", store_error (s));
    else if (r->ok) {
        char hex[65];
        cx_hex (c.prev, 32, hex);
        if (c.expect - 1 != m->info.audit_seq)
            s_problem (r, "store.db", "the store's audit log ends at seq %" PRId64 ", the manifest says %" PRId64
                       ": entries were deleted from its end", c.expect - 1, m->info.audit_seq);
        else if (m->info.audit_seq > 0 && strcmp (hex, m->info.audit_hash) != 0)
            s_problem (r, "store.db", "the store's audit log ends with hash %.16s, the manifest says %.16s",
                       hex, m->info.audit_hash);
    }
    free (c.enc);
    store_close (&s);
}

/* Reads DIR/MANIFEST into *TEXT (malloc'd, NUL-terminated). 0; 1 with
   the problem in R; -1 with ERR. */
static int s_read_manifest (int dfd, node_backup_report_t *r, char **text, size_t *len)
{
    struct stat st;
    int fd = s_openat (dfd, NODE_BACKUP_MANIFEST, &st);
    if (fd < 0)
        return s_problem (r, NODE_BACKUP_MANIFEST, "no %s (%s): not a backup, or one cut short",
                          NODE_BACKUP_MANIFEST, errno == EINVAL ? "not a regular file" : strerror (errno)), 1;
    if (st.st_size <= 0 || (uint64_t) st.st_size > NODE_BACKUP_MANIFEST_MAX) {
        close (fd);
        return s_problem (r, NODE_BACKUP_MANIFEST, "%s is empty or larger than %u bytes", NODE_BACKUP_MANIFEST,
                          NODE_BACKUP_MANIFEST_MAX), 1;
    }
    *text = malloc ((size_t) st.st_size + 1);
    if (!*text) {
        close (fd);
        return -1;
    }
    ssize_t got = node_read_full (fd, (uint8_t *) *text, (size_t) st.st_size);
    close (fd);
    if (got != st.st_size) {
        free (*text);
        *text = NULL;
        return s_problem (r, NODE_BACKUP_MANIFEST, "cannot read %s whole", NODE_BACKUP_MANIFEST), 1;
    }
    (*text)[got] = '\0';
    *len = (size_t) got;
    return 0;
}

/* Every file the manifest lists: its size and hash. */
static void s_check_files (int dfd, const node_backup_manifest_t *m, node_backup_report_t *r, uint8_t *buf)
{
    static const char *const need[] = {"store.db", "keys.sign.key", "keys.box.key", "keys.curve.key"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        size_t k = 0;
        while (k < m->nfiles && strcmp (m->files[k].name, need[i]) != 0)
            k++;
        if (k == m->nfiles)
            s_problem (r, need[i], "the manifest lists no %s: a backup holds the store and the three keys", need[i]);
    }
    for (size_t i = 0; r->ok && i < m->nfiles; i++) {
        const node_backup_file_t *f = &m->files[i];
        struct stat st;
        int fd = s_openat (dfd, f->name, &st);
        if (fd < 0) {
            s_problem (r, f->name, "%s: %s", f->name, errno == EINVAL ? "not a regular file" : strerror (errno));
            continue;
        }
        uint8_t h[32];
        int64_t size;
        if (st.st_size != f->size)
            s_problem (r, f->name, "%s has %lld bytes, the manifest says %" PRId64, f->name,
                       (long long) st.st_size, f->size);
        else if (s_hash_fd (fd, -1, buf, h, &size) != 0)
            s_problem (r, f->name, "cannot read %s: %s", f->name, strerror (errno));
        else if (size != f->size || memcmp (h, f->hash, 32) != 0)
            s_problem (r, f->name, "%s does not match its hash in the manifest: altered or damaged", f->name);
        close (fd);
    }
}

/* The checks of node_backup_verify, keeping the manifest in M (freed by
   the caller) and DIR's descriptor in *DFD for a restore. */
static int s_verify (const char *dir, node_t *live, node_backup_report_t *r, node_backup_manifest_t *m, int *dfd,
                     char *err, size_t errlen)
{
    memset (r, 0, sizeof *r);
    memset (m, 0, sizeof *m);
    r->ok = 1;
    r->key = "backup";
    *dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dfd < 0)
        return node_errf (err, errlen, "cannot open the backup %s: %s", dir, strerror (errno));
    char *text = NULL;
    size_t len = 0;
    uint8_t *buf = malloc (S_BUF);
    int rc = buf ? s_read_manifest (*dfd, r, &text, &len) : -1;
    if (rc < 0) {
        free (buf);
        return node_errf (err, errlen, "out of memory");
    }
    char why[NODE_ERR_MAX];
    if (rc == 0 && node_backup_manifest_parse (text, len, m, why, sizeof why) != 0)
        s_problem (r, NODE_BACKUP_MANIFEST, "%s", why);
    else if (rc == 0) {
        r->info = m->info;
        if (node_backup_manifest_verify (m, text) != 0)
            s_problem (r, NODE_BACKUP_MANIFEST, "the manifest's signature does not verify with the signing key "
                       "it names: the manifest was altered");
    }
    if (r->ok)
        s_check_files (*dfd, m, r, buf);
    if (r->ok)
        s_check_store (dir, m, r);
    if (r->ok && live) {
        if (memcmp (m->sign_pk, cx_keypair_public (node_sign_key (live)), 32) == 0)
            r->key = "current";
        else if (node_own_sign_key (live, m->sign_pk))
            r->key = "old";
        else
            s_problem (r, NODE_BACKUP_MANIFEST, "the backup was signed by key %s, which node %s at %s never had: "
                       "it is another node's backup", m->info.fingerprint, node_org (live), node_home (live));
    }
    free (text);
    free (buf);
    return 0;
}

int node_backup_verify (const char *dir, node_t *live, node_backup_report_t *r, char *err, size_t errlen)
{
    node_backup_manifest_t m;
    int dfd = -1;
    int rc = s_verify (dir, live, r, &m, &dfd, err, errlen);
    node_backup_manifest_free (&m);
    if (dfd >= 0)
        close (dfd);
    return rc;
}

/* ---- restore ------------------------------------------------------------- */

typedef struct {
    const char *home;
    char (*made)[NODE_PATH_MAX];  /* files written, to remove on failure */
    size_t nmade;
    int oldkeys;                  /* keys/old/ made */
} s_restore_t;

/* Where backup file NAME goes in the home. */
static int s_dest (const s_restore_t *x, const char *name, char *path, size_t cap)
{
    int n;
    if (strcmp (name, "store.db") == 0)
        n = snprintf (path, cap, "%s/store.db", x->home);
    else if (strncmp (name, "keys.old.", 9) == 0)
        n = snprintf (path, cap, "%s/keys/old/%s", x->home, name + 9);
    else if (strncmp (name, "keys.", 5) == 0)
        n = snprintf (path, cap, "%s/keys/%s", x->home, name + 5);
    else
        n = snprintf (path, cap, "%s/data/%s", x->home, name + 5);
    return n < 0 || (size_t) n >= cap ? -1 : 0;
}

/* Copies backup file F into the home (0600, exclusive), hashed again on
   the way: a file changed since the check is refused. */
static int s_put (s_restore_t *x, int dfd, const node_backup_file_t *f, uint8_t *buf, char *err, size_t errlen)
{
    char path[NODE_PATH_MAX];
    if (s_dest (x, f->name, path, sizeof path) != 0)
        return node_errf (err, errlen, "the home's path is too long");
    if (strncmp (f->name, "keys.old.", 9) == 0 && !x->oldkeys) {
        char old[NODE_PATH_MAX];
        snprintf (old, sizeof old, "%s/keys/old", x->home);
        if (mkdir (old, 0700) != 0 || chmod (old, 0700) != 0)
            return node_errf (err, errlen, "cannot make %s: %s", old, strerror (errno));
        x->oldkeys = 1;
    }
    struct stat st;
    int in = s_openat (dfd, f->name, &st);
    if (in < 0)
        return node_errf (err, errlen, "cannot read %s from the backup: %s", f->name, strerror (errno));
    int out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        close (in);
        return node_errf (err, errlen, "cannot create %s: %s", path, strerror (errno));
    }
    snprintf (x->made[x->nmade++], NODE_PATH_MAX, "%s", path);
    uint8_t h[32];
    int64_t size;
    int rc = fchmod (out, 0600) == 0 && s_hash_fd (in, out, buf, h, &size) == 0 && fsync (out) == 0 ? 0 : -1;
    int e = errno;
    close (in);
    if (close (out) != 0 && rc == 0)
        rc = -1, e = errno;
    if (rc != 0)
        return node_errf (err, errlen, "cannot write %s: %s", path, strerror (e));
    if (size != f->size || memcmp (h, f->hash, 32) != 0)
        return node_errf (err, errlen, "%s changed in the backup while it was restored: restore again", f->name);
    return 0;
}

/* The home opened as a node: the restore recorded, the subscriptions
   marked, the audit log checked. */
static int s_record (const char *home, const node_backup_info_t *info, char *err, size_t errlen)
{
    node_open_why_t why;
    node_t *n = node_open (home, &why, err, errlen);
    if (!n)
        return -1;
    int ret = -1;
    char actor[96];
    node_actor (n, 0, actor, sizeof actor);
    int subs = store_sub_resend_all (node_db (n), node_org (n));
    if (subs < 0) {
        node_errf (err, errlen, "cannot mark the subscriptions: %s", store_error (node_db (n)));
        goto out;
    }
    if (node_audit (n, actor, "restore", "home", "", "allow", "backup.restore",
                    "restored from the backup made %s (audit seq %" PRId64 ", hash %s, schema %d); entries the "
                    "backed-up node wrote after seq %" PRId64 " are not in this store, and what it received "
                    "since is asked for again from the publishers of %d subscription(s)",
                    info->created, info->audit_seq, info->audit_hash, info->schema, info->audit_seq, subs) != 0) {
        node_errf (err, errlen, "%s", node_error (n));
        goto out;
    }
    node_audit_report_t rep;
    if (node_audit_verify (n, 0, &rep) != 0) {
        node_errf (err, errlen, "%s", node_error (n));
        goto out;
    }
    if (rep.problem != NODE_AUDIT_OK) {
        node_errf (err, errlen, "the restored audit log does not verify: %s", rep.reason);
        goto out;
    }
    if (store_sync (node_db (n)) != 0) {
        node_errf (err, errlen, "%s", store_error (node_db (n)));
        goto out;
    }
    ret = 0;
out:
    node_close (&n);
    return ret;
}

int node_restore (const char *dir, const char *home, node_backup_report_t *r, char *err, size_t errlen)
{
    node_backup_manifest_t m;
    int dfd = -1, ret = -1;
    uint8_t *buf = NULL;
    node_home_made_t made;
    int home_made = 0;
    s_restore_t x = {home, NULL, 0, 0};
    char sub[NODE_PATH_MAX];
    if (s_verify (dir, NULL, r, &m, &dfd, err, errlen) != 0)
        goto out;
    if (!r->ok) {
        node_errf (err, errlen, "the backup %s is refused%s%s%s: %s", dir, r->file[0] ? " (" : "", r->file,
                   r->file[0] ? ")" : "", r->problem);
        goto out;
    }
    buf = malloc (S_BUF);
    x.made = calloc (m.nfiles + 1, sizeof *x.made);
    if (!buf || !x.made) {
        node_errf (err, errlen, "out of memory");
        goto out;
    }
    if (node_home_make (home, &made, err, errlen) != 0)
        goto out;
    home_made = 1;
    for (size_t i = 0; i < m.nfiles; i++)
        if (s_put (&x, dfd, &m.files[i], buf, err, errlen) != 0)
            goto out;
    static const char *const dirs[] = {"keys", "keys/old", "data", "."};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf (sub, sizeof sub, "%s/%s", home, dirs[i]);
        if (i != 1 || x.oldkeys)
            node_sync_dir (sub);
    }
    made.store = 1;                   /* from here the home's undo removes the store's files too */
    if (s_record (home, &m.info, err, errlen) != 0)
        goto out;
    ret = 0;
out:
    if (ret != 0 && home_made) {
        for (size_t i = 0; i < x.nmade; i++)
            unlink (x.made[i]);
        if (x.oldkeys) {
            snprintf (sub, sizeof sub, "%s/keys/old", home);
            rmdir (sub);
        }
        node_home_undo (home, &made);
    }
    free (x.made);
    free (buf);
    node_backup_manifest_free (&m);
    if (dfd >= 0)
        close (dfd);
    return ret;
}
