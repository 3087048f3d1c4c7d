/*  backup.c: cdx backup: a running (or stopped) node's home copied into a
    directory the caller makes, and the backup's manifest (see backup.h).

    The manifest is text, one "key: value" per line, in this order:
      cdx-backup: 1
      org: ORG
      sign-key: 64 hex digits (Ed25519)
      created: YYYY-MM-DDTHH:MM:SSZ
      at: unix seconds
      schema: the store's schema version
      audit-seq: the last entry of the copied store's audit log (0: none)
      audit-hash: its chain hash, 64 hex digits
      file: NAME SIZE BLAKE2B-256-HEX          (one line per file)
      signature: 128 hex digits
    The signature is Ed25519 over "cdx-backup" NUL and every byte before
    "signature: ". Nothing else is accepted.

    Not for: checking and restoring a backup (restore.c), the store's copy
    (store/backup.c), where the files are created (the caller's callbacks).
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "backup.h"
#include "core.h"
#include "sealed.h"

#define S_TAG "cdx-backup"          /* with its NUL: the signature's domain */
#define S_COPY_BUF (1u << 20)

/* ---- names and the manifest ------------------------------------------------ */

int node_backup_name_ok (const char *name)
{
    size_t len = strnlen (name, NODE_BACKUP_NAME_MAX + 1);
    if (len == 0 || len > NODE_BACKUP_NAME_MAX || name[0] == '.' ||
        strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
        return 0;
    return strcmp (name, "store.db") == 0 || strncmp (name, "keys.", 5) == 0 || strncmp (name, "data.", 5) == 0;
}

void node_backup_manifest_free (node_backup_manifest_t *m)
{
    free (m->files);
    m->files = NULL;
    m->nfiles = 0;
}

/* The next line of TEXT at *POS (without its newline) into LINE. 0, or -1
   if there is none or it is too long or holds a NUL. */
static int s_line (const char *text, size_t len, size_t *pos, char *line, size_t cap)
{
    if (*pos >= len)
        return -1;
    const char *nl = memchr (text + *pos, '\n', len - *pos);
    if (!nl)
        return -1;
    size_t n = (size_t) (nl - (text + *pos));
    if (n >= cap || memchr (text + *pos, '\0', n))
        return -1;
    memcpy (line, text + *pos, n);
    line[n] = '\0';
    *pos += n + 1;
    return 0;
}

/* A whole decimal number in [0, INT64_MAX], no sign or spaces. */
static int s_num (const char *t, int64_t *out)
{
    size_t n = strspn (t, "0123456789");
    if (n == 0 || n > 18 || t[n] != '\0')
        return -1;
    *out = strtoll (t, NULL, 10);
    return 0;
}

int node_backup_manifest_parse (const char *text, size_t len, node_backup_manifest_t *m, char *err, size_t errlen)
{
    memset (m, 0, sizeof *m);
    static const char *const head[] = {"cdx-backup: ", "org: ", "sign-key: ", "created: ", "at: ",
                                       "schema: ", "audit-seq: ", "audit-hash: "};
    char line[512];
    size_t pos = 0;
    int64_t v;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        size_t hl = strlen (head[i]);
        if (s_line (text, len, &pos, line, sizeof line) != 0 || strncmp (line, head[i], hl) != 0)
            return node_errf (err, errlen, "manifest line %zu is not \"%.*s...\"", i + 1, (int) hl - 2, head[i]);
        const char *val = line + hl;
        int bad = 0;
        switch (i) {
        case 0: bad = strcmp (val, "1") != 0; break;
        case 1: bad = card_valid_org (val) != 0; snprintf (m->info.org, sizeof m->info.org, "%s", val); break;
        case 2:
            bad = strlen (val) != 64 || cx_unhex (val, m->sign_pk, 32) != 0;
            if (!bad) {
                snprintf (m->info.sign_key, sizeof m->info.sign_key, "%s", val);
                cx_fingerprint (m->sign_pk, m->info.fingerprint);
            }
            break;
        case 3: bad = card_valid_time (val) != 0; snprintf (m->info.created, sizeof m->info.created, "%s", val); break;
        case 4: bad = s_num (val, &m->info.at) != 0; break;
        case 5: bad = s_num (val, &v) != 0 || v < 1 || v > 1000; m->info.schema = (int) v; break;
        case 6: bad = s_num (val, &m->info.audit_seq) != 0; break;
        case 7: {
            uint8_t h[32];
            bad = strlen (val) != 64 || cx_unhex (val, h, 32) != 0;
            snprintf (m->info.audit_hash, sizeof m->info.audit_hash, "%s", val);
            break;
        }
        }
        if (bad)
            return node_errf (err, errlen, "manifest line %zu (%.*s): the value is malformed", i + 1, (int) hl - 2,
                              head[i]);
    }
    size_t cap = 0;
    for (;;) {
        size_t at = pos;
        if (s_line (text, len, &pos, line, sizeof line) != 0)
            goto bad_end;
        if (strncmp (line, "signature: ", 11) == 0) {
            m->signed_len = at;
            if (strlen (line + 11) != 128 || cx_unhex (line + 11, m->sig, 64) != 0 || pos != len)
                goto bad_end;
            break;
        }
        char name[NODE_BACKUP_NAME_MAX + 2], size[24], hash[66];
        if (strncmp (line, "file: ", 6) != 0 || sscanf (line + 6, "%101s %23s %65s", name, size, hash) != 3)
            goto bad_file;
        node_backup_file_t f;
        memset (&f, 0, sizeof f);
        char again[512];
        snprintf (again, sizeof again, "file: %s %s %s", name, size, hash);
        if (strcmp (again, line) != 0 || !node_backup_name_ok (name) || s_num (size, &f.size) != 0 ||
            strlen (hash) != 64 || cx_unhex (hash, f.hash, 32) != 0)
            goto bad_file;
        snprintf (f.name, sizeof f.name, "%s", name);
        for (size_t i = 0; i < m->nfiles; i++)
            if (strcmp (m->files[i].name, f.name) == 0)
                goto bad_file;
        if (m->nfiles == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            node_backup_file_t *g = realloc (m->files, ncap * sizeof *g);
            if (!g) {
                node_backup_manifest_free (m);
                return node_errf (err, errlen, "out of memory");
            }
            m->files = g;
            cap = ncap;
        }
        m->files[m->nfiles++] = f;
        m->info.files++;
        m->info.bytes += f.size;
        m->info.datasets += strncmp (f.name, "data.", 5) == 0;
    }
    return 0;
bad_file:
    node_backup_manifest_free (m);
    return node_errf (err, errlen, "manifest line %zu is not a file line (file: NAME SIZE HASH, each name once)",
                      (size_t) 9 + m->nfiles);
bad_end:
    node_backup_manifest_free (m);
    return node_errf (err, errlen, "the manifest does not end with its signature line");
}

/* "cdx-backup" NUL | TEXT's first LEN bytes, into a malloc'd buffer. */
static uint8_t *s_signed (const char *text, size_t len, size_t *out_len)
{
    uint8_t *msg = malloc (sizeof S_TAG + len);
    if (!msg)
        return NULL;
    memcpy (msg, S_TAG, sizeof S_TAG);
    memcpy (msg + sizeof S_TAG, text, len);
    *out_len = sizeof S_TAG + len;
    return msg;
}

int node_backup_manifest_verify (const node_backup_manifest_t *m, const char *text)
{
    size_t len;
    uint8_t *msg = s_signed (text, m->signed_len, &len);
    if (!msg)
        return -1;
    int rc = cx_verify (m->sign_pk, msg, len, m->sig);
    free (msg);
    return rc == 0 ? 0 : -1;
}

/* ---- making a backup -------------------------------------------------------- */

typedef struct {
    node_t *n;
    const node_backup_out_t *out;
    char *text;                   /* the manifest being written */
    size_t len, cap;
    uint64_t done, total;
    uint8_t *buf;
    node_backup_info_t info;
} s_backup_t;

static int s_add (s_backup_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int s_add (s_backup_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start (ap, fmt);
        int n = vsnprintf (b->text + b->len, b->cap - b->len, fmt, ap);
        va_end (ap);
        if (n < 0)
            return -1;
        if ((size_t) n < b->cap - b->len) {
            b->len += (size_t) n;
            return 0;
        }
        size_t ncap = b->cap * 2 + (size_t) n + 1;
        if (ncap > NODE_BACKUP_MANIFEST_MAX)
            return node_fail (b->n, "the backup's manifest would exceed %u bytes", NODE_BACKUP_MANIFEST_MAX);
        char *g = realloc (b->text, ncap);
        if (!g)
            return node_fail (b->n, "out of memory");
        b->text = g;
        b->cap = ncap;
    }
}

/* Copies the file open at FD (its name in the home: WHAT) into the
   backup's file NAME, hashing it; adds its manifest line. 0 or -1. */
static int s_copy (s_backup_t *b, int fd, const char *what, const char *name)
{
    char err[NODE_ERR_MAX];
    node_outfile_t *f = b->out->file (b->out->arg, name, err, sizeof err);
    if (!f)
        return node_fail (b->n, "%s", err);
    cx_hash_t *h = cx_hash_new ();
    int64_t size = 0;
    int ret = -1;
    if (!h) {
        node_fail (b->n, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t got = read (fd, b->buf, S_COPY_BUF);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            node_fail (b->n, "cannot read %s: %s", what, strerror (errno));
            goto out;
        }
        if (got == 0)
            break;
        if (cx_hash_update (h, b->buf, (size_t) got) != 0 ||
            node_outfile_write (f, b->buf, (size_t) got, err, sizeof err) != 0) {
            node_fail (b->n, "%s", err);
            goto out;
        }
        size += got;
        b->done += (uint64_t) got;
        if (b->out->progress)
            b->out->progress (b->done, b->total > b->done ? b->total : b->done, b->out->progress_arg);
    }
    uint8_t digest[32];
    char hex[65];
    if (cx_hash_final (h, digest) != 0 || node_outfile_commit (f, err, sizeof err) != 0) {
        node_fail (b->n, "%s", err);
        goto out;
    }
    cx_hex (digest, 32, hex);
    if (s_add (b, "file: %s %" PRId64 " %s\n", name, size, hex) != 0)
        goto out;
    b->info.files++;
    b->info.bytes += size;
    ret = 0;
out:
    cx_hash_destroy (&h);
    node_outfile_destroy (&f);
    return ret;
}

/* Opens PATH to copy it (a regular file, no link): the descriptor, -2 if
   it does not exist, or -1 (node_error). Its size is added to *TOTAL. */
static int s_open (node_t *n, const char *path, uint64_t *total)
{
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -2 : node_fail (n, "cannot read %s: %s", path, strerror (errno));
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return node_fail (n, "%s is not a regular file", path);
    }
    *total += (uint64_t) st.st_size;
    return fd;
}

typedef struct {
    s_backup_t *b;
    int failed;
} s_data_t;

/* Each dataset of the copied store with content: its sealed file. One
   with state available or published must have it; one receiving may not
   have it yet; an erased one has none. */
static int s_copy_dataset (const store_dataset_t *d, void *arg)
{
    s_data_t *c = arg;
    s_backup_t *b = c->b;
    if (d->state == STORE_DS_ERASED)
        return 0;
    char path[NODE_PATH_MAX], name[NODE_BACKUP_NAME_MAX + 1];
    node_data_path (b->n, d->id, path, sizeof path);
    snprintf (name, sizeof name, "data.%s.sealed", d->id);
    uint64_t total = 0;
    int fd = s_open (b->n, path, &total);
    if (fd == -2 && (d->state == STORE_DS_RECEIVING || d->state == STORE_DS_FAILED))
        return 0;
    if (fd == -2) {
        node_fail (b->n, "%s is missing although the store says dataset %s is %s (erased meanwhile? run the "
                   "backup again)", path, d->id, store_dataset_state_name (d->state));
        c->failed = 1;
        return 1;
    }
    if (fd < 0 || s_copy (b, fd, path, name) != 0) {
        if (fd >= 0)
            close (fd);
        c->failed = 1;
        return 1;
    }
    close (fd);
    b->info.datasets++;
    return 0;
}

/* The key files: keys/NAME.key, then keys/old/ (every regular file). */
static int s_copy_keys (s_backup_t *b)
{
    char path[NODE_PATH_MAX], name[NODE_BACKUP_NAME_MAX + 1];
    for (int i = 0; i < 3; i++) {
        uint64_t total = 0;
        node_key_path (path, sizeof path, node_home (b->n), i);
        int fd = s_open (b->n, path, &total);
        if (fd == -2)
            return node_fail (b->n, "%s is missing", path);
        if (fd < 0)
            return -1;
        snprintf (name, sizeof name, "keys.%s.key", node_key_names[i]);
        int rc = s_copy (b, fd, path, name);
        close (fd);
        if (rc != 0)
            return -1;
    }
    char dir[NODE_PATH_MAX];
    node_join (dir, sizeof dir, node_home (b->n), "keys/old");
    DIR *dp = opendir (dir);
    if (!dp)
        return errno == ENOENT ? 0 : node_fail (b->n, "cannot read %s: %s", dir, strerror (errno));
    struct dirent *e;
    int ret = 0;
    while (ret == 0 && (e = readdir (dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf (name, sizeof name, "keys.old.%s", e->d_name);
        if (!node_backup_name_ok (name) || snprintf (path, sizeof path, "%s/%s", dir, e->d_name) >= (int) sizeof path)
            continue;                    /* not a key file cdx writes */
        uint64_t total = 0;
        int fd = s_open (b->n, path, &total);
        if (fd == -2)
            continue;
        if (fd < 0 || s_copy (b, fd, path, name) != 0)
            ret = -1;
        if (fd >= 0)
            close (fd);
    }
    closedir (dp);
    return ret;
}

static int s_sum_dataset (const store_dataset_t *d, void *arg)
{
    s_backup_t *b = arg;
    if (d->state != STORE_DS_ERASED)
        b->total += (uint64_t) d->bytes + (uint64_t) d->chunks * CX_CHUNK_ABYTES;
    return 0;
}

/* The copy's own facts for the manifest: its org and signing key (from
   its card), schema, and its audit log's last entry. */
static int s_head (s_backup_t *b, store_t *copy)
{
    store_self_t self;
    card_t card;
    if (store_self_get (copy, &self) != 0)
        return node_fail (b->n, "the copy of the store holds no identity: %s", store_error (copy));
    if (card_parse (self.card, strlen (self.card), &card, NULL) != 0)
        return node_fail (b->n, "the copy of the store holds a card that does not parse: %s", card_error ());
    store_audit_t *last = malloc (sizeof *last);
    if (!last)
        return node_fail (b->n, "out of memory");
    int rc = store_audit_last (copy, last);
    if (rc < 0) {
        free (last);
        return node_fail (b->n, "cannot read the copy's audit log: %s", store_error (copy));
    }
    b->info.audit_seq = rc == 0 ? last->seq : 0;
    uint8_t zero[32] = {0};
    cx_hex (rc == 0 ? last->hash : zero, 32, b->info.audit_hash);
    free (last);
    b->info.schema = store_schema_version (copy);
    snprintf (b->info.org, sizeof b->info.org, "%s", self.org);
    cx_hex (card.sign_pk, 32, b->info.sign_key);
    cx_fingerprint (card.sign_pk, b->info.fingerprint);
    if (memcmp (card.sign_pk, cx_keypair_public (node_sign_key (b->n)), 32) != 0)
        return node_fail (b->n, "the keys were rotated while the store was copied: run the backup again");
    b->info.at = (int64_t) time (NULL);
    time_t t = (time_t) b->info.at;
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (b->info.created, sizeof b->info.created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return s_add (b, "cdx-backup: 1\norg: %s\nsign-key: %s\ncreated: %s\nat: %" PRId64 "\nschema: %d\n"
                  "audit-seq: %" PRId64 "\naudit-hash: %s\n", b->info.org, b->info.sign_key, b->info.created,
                  b->info.at, b->info.schema, b->info.audit_seq, b->info.audit_hash);
}

/* Signs the manifest and writes it, last. */
static int s_finish (s_backup_t *b)
{
    size_t len;
    uint8_t *msg = s_signed (b->text, b->len, &len);
    uint8_t sig[64];
    char hex[129];
    if (!msg)
        return node_fail (b->n, "out of memory");
    int rc = cx_sign (node_sign_key (b->n), msg, len, sig);
    free (msg);
    if (rc != 0)
        return node_fail (b->n, "cannot sign the backup's manifest: %s", cx_error ());
    cx_hex (sig, 64, hex);
    if (s_add (b, "signature: %s\n", hex) != 0)
        return -1;
    char err[NODE_ERR_MAX];
    node_outfile_t *f = b->out->file (b->out->arg, NODE_BACKUP_MANIFEST, err, sizeof err);
    if (!f || node_outfile_write (f, b->text, b->len, err, sizeof err) != 0 ||
        node_outfile_commit (f, err, sizeof err) != 0) {
        node_outfile_destroy (&f);
        return node_fail (b->n, "%s", err);
    }
    node_outfile_destroy (&f);
    return 0;
}

int node_backup (node_t *n, const node_backup_out_t *out, node_backup_info_t *info)
{
    if (!node_authorize (n, NODE_ROLE_ADMIN, "backup", "home"))
        return -1;
    s_backup_t b;
    memset (&b, 0, sizeof b);
    b.n = n;
    b.out = out;
    char tmp[NODE_PATH_MAX], rel[64], err[NODE_ERR_MAX];
    uint8_t rnd[8];
    char rhex[17];
    cx_random (rnd, sizeof rnd);
    cx_hex (rnd, sizeof rnd, rhex);
    snprintf (rel, sizeof rel, "backup-%s.db.tmp", rhex);
    int ret = -1, made = 0;
    store_t *copy = NULL;
    if (node_join (tmp, sizeof tmp, node_home (n), rel) != 0) {
        node_fail (n, "the home's path is too long");
        goto out;
    }
    if (!(b.buf = malloc (S_COPY_BUF))) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (store_backup (node_db (n), tmp) != 0) {
        node_fail (n, "%s", store_error (node_db (n)));
        goto out;
    }
    made = 1;
    if (!(copy = store_open_readonly (tmp, err, sizeof err))) {
        node_fail (n, "%s", err);
        goto out;
    }
    if (s_head (&b, copy) != 0 || store_dataset_each (copy, s_sum_dataset, &b) < 0)
        goto out;
    int fd = s_open (n, tmp, &b.total);
    if (fd < 0) {
        if (fd == -2)
            node_fail (n, "the copy of the store %s went missing", tmp);
        goto out;
    }
    if (out->dir (out->arg, err, sizeof err) != 0) {
        close (fd);
        node_fail (n, "%s", err);
        goto out;
    }
    int rc = s_copy (&b, fd, tmp, "store.db");
    close (fd);
    if (rc != 0 || s_copy_keys (&b) != 0)
        goto out;
    s_data_t dc = {&b, 0};
    if (store_dataset_each (copy, s_copy_dataset, &dc) < 0 && !dc.failed) {
        node_fail (n, "cannot list the copy's datasets: %s", store_error (copy));
        goto out;
    }
    if (dc.failed || s_finish (&b) != 0)
        goto out;
    ret = 0;
out:
    store_close (&copy);
    if (made)
        unlink (tmp);
    char actor[96];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    if (ret == 0) {
        if (node_audit (n, actor, "backup", "home", "", "allow", "backup",
                        "backup of %" PRId64 " files (%" PRId64 " bytes, %" PRId64 " sealed datasets), "
                        "store at audit seq %" PRId64 " hash %.16s, schema %d, made %s",
                        b.info.files, b.info.bytes, b.info.datasets, b.info.audit_seq, b.info.audit_hash,
                        b.info.schema, b.info.created) != 0)
            ret = -1;
        if (info)
            *info = b.info;
    }
    free (b.buf);
    free (b.text);
    return ret;
}
