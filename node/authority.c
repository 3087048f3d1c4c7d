/*  authority.c: the national authority's side of the trust network (cdx
    authority ...): its key, the certificates it issues, its revocations
    and the signed directory it publishes.

    An authority home is a directory, apart from any node:

        DIR/authority.key    Ed25519 signing key (0600, the cx key file)
        DIR/authority.pub    the authority file nodes trust (cert.h)
        DIR/certs/N.cert     every certificate issued, by serial
        DIR/revoked          one line per revoked key: ADDRESS KEY UNIX REASON
                             (ADDRESS: the node's, ORG or ORG/LABEL)
        DIR/serials          "cert N" and "directory M": the last serials used
        DIR/authority.log    what the authority did, one line each, appended
        DIR/lock             flock held while a command changes the home

    An organisation may have several nodes (SPEC.md 9.2): each is named by
    its address, and the directory holds the newest certificate of each.
    Serials only grow; the file is replaced by rename after fsync, so a
    crash never reuses one. Not for: anything a node does with the
    authority's output (trust.c), formats (protocol/cert.c).
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "card.h"
#include "cx.h"
#include "errf.h"
#include "node.h"

#define AUTH_REASON_MAX 200
#define AUTH_DEFAULT_CERT_DAYS 365
#define AUTH_DEFAULT_DIR_DAYS 7

typedef struct {
    char home[NODE_PATH_MAX];
    int lock_fd;
    cx_keypair_t *key;
    cert_authority_t pub;
    uint64_t cert_serial, dir_serial;
    char *err;
    size_t errlen;
} auth_t;


static int s_path (char *buf, size_t cap, const char *home, const char *rel)
{
    int len = snprintf (buf, cap, "%s/%s", home, rel);
    return (len < 0 || (size_t) len >= cap) ? -1 : 0;
}

/* Reads a whole small file into a malloc'd NUL-terminated buffer. */
static char *s_slurp (const char *path, size_t max, size_t *len)
{
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc (max + 1);
    size_t got = 0;
    if (buf) {
        for (;;) {
            ssize_t r = read (fd, buf + got, max + 1 - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t) r;
            if (got > max)
                break;
        }
    }
    close (fd);
    if (!buf || got > max) {
        free (buf);
        errno = EFBIG;
        return NULL;
    }
    buf[got] = 0;
    *len = got;
    return buf;
}

/* Writes DATA to PATH through PATH.tmp, fsync and rename (mode 0600 or
   0644). EXCL: refuse if PATH exists. */
static int s_write_file (const char *path, const char *data, size_t len, mode_t mode, int excl)
{
    char tmp[NODE_PATH_MAX + 8];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    if (excl && access (path, F_OK) == 0) {
        errno = EEXIST;
        return -1;
    }
    unlink (tmp);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write (fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close (fd);
            unlink (tmp);
            return -1;
        }
        off += (size_t) w;
    }
    if (fsync (fd) != 0 || close (fd) != 0 || rename (tmp, path) != 0) {
        unlink (tmp);
        return -1;
    }
    return 0;
}

static void s_log (auth_t *a, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void s_log (auth_t *a, const char *fmt, ...)
{
    char path[NODE_PATH_MAX], when[21], line[1024];
    if (s_path (path, sizeof path, a->home, "authority.log") != 0)
        return;
    cert_time_format ((int64_t) time (NULL), when);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    FILE *f = fopen (path, "a");
    if (!f)
        return;
    fprintf (f, "%s %s %s\n", when, node_user (), line);
    fclose (f);
}

static int s_save_serials (auth_t *a)
{
    char path[NODE_PATH_MAX], text[96];
    int n = snprintf (text, sizeof text, "cert %" PRIu64 "\ndirectory %" PRIu64 "\n", a->cert_serial,
                      a->dir_serial);
    if (s_path (path, sizeof path, a->home, "serials") != 0 || s_write_file (path, text, (size_t) n, 0600, 0) != 0)
        return node_errf (a->err, a->errlen, "cannot record serials in %s: %s", a->home, strerror (errno));
    return 0;
}

static void s_close (auth_t *a)
{
    cx_keypair_destroy (&a->key);
    if (a->lock_fd >= 0)
        close (a->lock_fd);
    a->lock_fd = -1;
}

/* Opens an authority home and locks it. -1 with the reason in ERR. */
static int s_open (auth_t *a, const char *home, char *err, size_t errlen)
{
    memset (a, 0, sizeof *a);
    a->lock_fd = -1;
    a->err = err;
    a->errlen = errlen;
    if (!home || !*home)
        return node_errf (err, errlen, "no authority home given: use --home DIR");
    snprintf (a->home, sizeof a->home, "%s", home);
    char path[NODE_PATH_MAX];
    if (s_path (path, sizeof path, home, "authority.key") != 0 || access (path, F_OK) != 0)
        return node_errf (err, errlen, "no authority at %s: run cdx authority init --home %s first", home, home);
    char lock[NODE_PATH_MAX];
    s_path (lock, sizeof lock, home, "lock");
    a->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (a->lock_fd < 0 || flock (a->lock_fd, LOCK_EX) != 0)
        return node_errf (err, errlen, "cannot lock %s: %s", lock, strerror (errno));
    a->key = cx_keypair_load (path, CX_KEY_SIGN);
    if (!a->key) {
        node_errf (err, errlen, "%s", cx_error ());
        goto fail;
    }
    size_t len;
    char *text;
    if (s_path (path, sizeof path, home, "authority.pub") != 0 ||
        !(text = s_slurp (path, CERT_AUTHORITY_MAX_BYTES, &len))) {
        node_errf (err, errlen, "cannot read %s/authority.pub: %s", home, strerror (errno));
        goto fail;
    }
    int bad = cert_authority_parse (text, len, &a->pub) != 0 ||
              memcmp (a->pub.key, cx_keypair_public (a->key), 32) != 0;
    free (text);
    if (bad) {
        node_errf (err, errlen, "%s/authority.pub does not match authority.key", home);
        goto fail;
    }
    if (s_path (path, sizeof path, home, "serials") != 0 || !(text = s_slurp (path, 256, &len))) {
        node_errf (err, errlen, "cannot read %s/serials: %s", home, strerror (errno));
        goto fail;
    }
    unsigned long long c = 0, d = 0;
    bad = sscanf (text, "cert %llu\ndirectory %llu\n", &c, &d) != 2;
    free (text);
    if (bad || c > CERT_SERIAL_MAX - 1 || d > CERT_SERIAL_MAX - 1) {
        node_errf (err, errlen, "%s/serials is damaged", home);
        goto fail;
    }
    a->cert_serial = c;
    a->dir_serial = d;
    return 0;
fail:
    s_close (a);
    return -1;
}

int node_authority_init (const char *home, const char *name, char *err, size_t errlen)
{
    if (!home || !*home)
        return node_errf (err, errlen, "no authority home given: use --home DIR");
    if (!name || card_valid_name (name) != 0)
        return node_errf (err, errlen, "--name is required (1 to %u characters of printable text)", CARD_NAME_MAX);
    char path[NODE_PATH_MAX], certs[NODE_PATH_MAX];
    if (s_path (path, sizeof path, home, "authority.key") != 0 || s_path (certs, sizeof certs, home, "certs") != 0)
        return node_errf (err, errlen, "home path too long");
    if (access (path, F_OK) == 0)
        return node_errf (err, errlen, "%s already holds an authority; refusing to overwrite it", home);
    if ((mkdir (home, 0700) != 0 && errno != EEXIST) || (mkdir (certs, 0700) != 0 && errno != EEXIST))
        return node_errf (err, errlen, "cannot create %s: %s", home, strerror (errno));
    int rc = -1;
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    if (!kp || cx_keypair_save (kp, path) != 0) {
        node_errf (err, errlen, "cannot make the authority's key: %s", cx_error ());
        goto out;
    }
    cert_authority_t a;
    memset (&a, 0, sizeof a);
    snprintf (a.name, sizeof a.name, "%s", name);
    memcpy (a.key, cx_keypair_public (kp), 32);
    a.created = (int64_t) time (NULL);
    char body[CERT_AUTHORITY_MAX_BYTES + 1], text[CERT_AUTHORITY_MAX_BYTES + 1];
    size_t len;
    if (cert_authority_format_body (&a, body, sizeof body, &len) != 0 ||
        cx_sign (kp, (const uint8_t *) body, len, a.sig) != 0 ||
        cert_authority_format (&a, text, sizeof text, &len) != 0) {
        node_errf (err, errlen, "cannot make the authority file: %s", cert_error ());
        goto out;
    }
    if (s_path (path, sizeof path, home, "authority.pub") != 0 || s_write_file (path, text, len, 0644, 1) != 0 ||
        s_path (path, sizeof path, home, "serials") != 0 ||
        s_write_file (path, "cert 0\ndirectory 0\n", 19, 0600, 1) != 0) {
        node_errf (err, errlen, "cannot write %s: %s", path, strerror (errno));
        goto out;
    }
    auth_t log = {.lock_fd = -1};
    snprintf (log.home, sizeof log.home, "%s", home);
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (a.key, fpr);
    s_log (&log, "init \"%s\" key %s", name, fpr);
    rc = 0;
out:
    cx_keypair_destroy (&kp);
    return rc;
}

/* ---- what the authority has issued ------------------------------------- */

typedef struct {
    cert_t *certs;
    size_t count, cap;
    cert_revoked_t *revoked;
    size_t nrevoked, rcap;
} issued_t;

static void s_issued_free (issued_t *is)
{
    free (is->certs);
    free (is->revoked);
    memset (is, 0, sizeof *is);
}

/* Loads every issued certificate and every revocation. */
static int s_issued_load (auth_t *a, issued_t *is)
{
    memset (is, 0, sizeof *is);
    char dir[NODE_PATH_MAX];
    s_path (dir, sizeof dir, a->home, "certs");
    DIR *dp = opendir (dir);
    if (!dp)
        return node_errf (a->err, a->errlen, "cannot read %s: %s", dir, strerror (errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir (dp)) != NULL) {
        size_t nl = strlen (e->d_name);
        if (nl < 6 || strcmp (e->d_name + nl - 5, ".cert") != 0)
            continue;
        char path[NODE_PATH_MAX];
        size_t len;
        if (snprintf (path, sizeof path, "%s/%s", dir, e->d_name) >= (int) sizeof path)
            continue;
        char *text = s_slurp (path, CERT_MAX_BYTES, &len);
        if (!text) {
            rc = node_errf (a->err, a->errlen, "cannot read %s: %s", path, strerror (errno));
            break;
        }
        if (is->count == is->cap) {
            size_t cap = is->cap ? is->cap * 2 : 16;
            cert_t *grown = realloc (is->certs, cap * sizeof *grown);
            if (!grown) {
                free (text);
                rc = node_errf (a->err, a->errlen, "out of memory");
                break;
            }
            is->certs = grown;
            is->cap = cap;
        }
        int bad = cert_parse (text, len, &is->certs[is->count]) != 0;
        free (text);
        if (bad) {
            rc = node_errf (a->err, a->errlen, "%s is damaged: %s", path, cert_error ());
            break;
        }
        is->count++;
    }
    closedir (dp);
    if (rc != 0)
        return rc;
    char path[NODE_PATH_MAX];
    s_path (path, sizeof path, a->home, "revoked");
    FILE *f = fopen (path, "r");
    if (!f)
        return errno == ENOENT ? 0 : node_errf (a->err, a->errlen, "cannot read %s: %s", path, strerror (errno));
    char line[512];
    while (fgets (line, sizeof line, f)) {
        char addr[CARD_ADDR_MAX + 2], key[64];
        long long at;
        if (sscanf (line, "%15s %63s %lld", addr, key, &at) != 3)
            continue;
        if (is->nrevoked == is->rcap) {
            size_t cap = is->rcap ? is->rcap * 2 : 16;
            cert_revoked_t *grown = realloc (is->revoked, cap * sizeof *grown);
            if (!grown) {
                rc = node_errf (a->err, a->errlen, "out of memory");
                break;
            }
            is->revoked = grown;
            is->rcap = cap;
        }
        cert_revoked_t *rv = &is->revoked[is->nrevoked];
        memset (rv, 0, sizeof *rv);
        if (card_address_split (addr, rv->org, rv->node) != 0 || cx_unbase64 (key, rv->sign_pk, 32) != 0 || at < 0) {
            rc = node_errf (a->err, a->errlen, "%s is damaged near \"%.40s\"", path, line);
            break;
        }
        rv->at = at;
        is->nrevoked++;
    }
    fclose (f);
    return rc;
}

static int s_is_revoked (const issued_t *is, const uint8_t sign_pk[32])
{
    for (size_t i = 0; i < is->nrevoked; i++)
        if (memcmp (is->revoked[i].sign_pk, sign_pk, 32) == 0)
            return 1;
    return 0;
}

/* The same node: org and label. */
static int s_same_node (const cert_t *c, const char *org, const char *label)
{
    return strcmp (c->org, org) == 0 && strcmp (c->node, label) == 0;
}

/* 1 if certificate I of IS has a newer one for the same node, in force
   by NOW (revoked since or not: a revoked replacement does not bring the
   replaced one back). */
static int s_replaced (const issued_t *is, size_t i, int64_t now)
{
    const cert_t *c = &is->certs[i];
    for (size_t j = 0; j < is->count; j++)
        if (j != i && s_same_node (&is->certs[j], c->org, c->node) && is->certs[j].serial > c->serial &&
            is->certs[j].not_before <= now)
            return 1;
    return 0;
}

static void s_addr (const char *org, const char *label, char out[CARD_ADDR_MAX + 1])
{
    if (card_address (org, label, out) != 0)
        snprintf (out, CARD_ADDR_MAX + 1, "?");
}

static int s_shares_key (const cert_t *c, const uint8_t *sign, const uint8_t *box, const uint8_t *curve)
{
    const uint8_t *mine[3] = {c->sign_pk, c->box_pk, c->curve_pk};
    const uint8_t *theirs[3] = {sign, box, curve};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (memcmp (mine[i], theirs[j], 32) == 0)
                return 1;
    return 0;
}

int node_authority_certify (const char *home, const node_certify_t *o, char *out, size_t cap, int *refused,
                            char *err, size_t errlen)
{
    auth_t a;
    *refused = 0;
    if (s_open (&a, home, err, errlen) != 0)
        return -1;
    int rc = -1;
    issued_t is = {0};
    card_t card;
    size_t signed_len;
    if (card_parse (o->card, o->card_len, &card, &signed_len) != 0) {
        *refused = 1;
        node_errf (err, errlen, "not a valid cdx card: %s", card_error ());
        goto out;
    }
    char addr[CARD_ADDR_MAX + 1];
    s_addr (card.org, card.node, addr);
    if (cx_verify (card.sign_pk, (const uint8_t *) o->card, signed_len, card.sig) != 0) {
        *refused = 1;
        node_errf (err, errlen, "card for %s: the signature does not match its signing key (altered card?)", addr);
        goto out;
    }
    if (!o->dspt || cert_valid_dspt (o->dspt) != 0 || !o->dspt_year || cert_valid_dspt_year (o->dspt_year) != 0) {
        node_errf (err, errlen, "%s", cert_error ());
        goto out;
    }
    if (s_issued_load (&a, &is) != 0)
        goto out;
    if (s_is_revoked (&is, card.sign_pk)) {
        *refused = 1;
        node_errf (err, errlen, "the signing key of this card (%s) has been revoked; the node needs new keys (cdx keys rotate)",
                   addr);
        s_log (&a, "refuse certify %s: revoked key", addr);
        goto out;
    }
    /* A key belongs to one node: a new certificate for the same org and
       label replaces the older (new keys), one for a new label adds a
       sibling, and a key already certified for another node is refused. */
    for (size_t i = 0; i < is.count; i++)
        if (!s_same_node (&is.certs[i], card.org, card.node) &&
            s_shares_key (&is.certs[i], card.sign_pk, card.box_pk, card.curve_pk)) {
            char other[CARD_ADDR_MAX + 1];
            s_addr (is.certs[i].org, is.certs[i].node, other);
            *refused = 1;
            node_errf (err, errlen, "trust.wrong-key: a key of this card for %s is certified for %s (serial %" PRIu64
                   "); one key belongs to one node: the node needs keys of its own", addr, other, is.certs[i].serial);
            s_log (&a, "refuse certify %s: key certified for %s", addr, other);
            goto out;
        }
    cert_t c;
    memset (&c, 0, sizeof c);
    c.serial = a.cert_serial + 1;
    snprintf (c.org, sizeof c.org, "%s", card.org);
    snprintf (c.node, sizeof c.node, "%s", card.node);
    snprintf (c.role, sizeof c.role, "%s", card.role);
    snprintf (c.name, sizeof c.name, "%s", card.name);
    snprintf (c.endpoint, sizeof c.endpoint, "%s", card.endpoint);
    memcpy (c.sign_pk, card.sign_pk, 32);
    memcpy (c.box_pk, card.box_pk, 32);
    memcpy (c.curve_pk, card.curve_pk, 32);
    snprintf (c.dspt, sizeof c.dspt, "%s", o->dspt);
    snprintf (c.dspt_year, sizeof c.dspt_year, "%s", o->dspt_year);
    int64_t now = (int64_t) time (NULL);
    int days = o->days > 0 ? o->days : AUTH_DEFAULT_CERT_DAYS;
    c.not_before = now;
    c.not_after = now + (int64_t) days * 86400;
    if (o->not_before && cert_time_parse (o->not_before, &c.not_before) != 0) {
        node_errf (err, errlen, "--not-before: expected YYYY-MM-DDTHH:MM:SSZ");
        goto out;
    }
    if (o->not_after && cert_time_parse (o->not_after, &c.not_after) != 0) {
        node_errf (err, errlen, "--not-after: expected YYYY-MM-DDTHH:MM:SSZ");
        goto out;
    }
    memcpy (c.authority_pk, cx_keypair_public (a.key), 32);
    char body[CERT_MAX_BYTES + 1];
    size_t len;
    if (cert_format_body (&c, body, sizeof body, &len) != 0 || cx_sign (a.key, (const uint8_t *) body, len, c.sig) != 0 ||
        cert_format (&c, out, cap, &len) != 0) {
        node_errf (err, errlen, "cannot issue the certificate: %s", cert_error ());
        goto out;
    }
    char path[NODE_PATH_MAX], rel[64];
    snprintf (rel, sizeof rel, "certs/%010" PRIu64 ".cert", c.serial);
    a.cert_serial = c.serial;
    if (s_path (path, sizeof path, a.home, rel) != 0 || s_write_file (path, out, len, 0644, 1) != 0) {
        node_errf (err, errlen, "cannot write %s: %s", path, strerror (errno));
        goto out;
    }
    if (s_save_serials (&a) != 0)
        goto out;
    char fpr[CX_FINGERPRINT_HEXLEN], until[21];
    cx_fingerprint (c.sign_pk, fpr);
    cert_time_format (c.not_after, until);
    s_log (&a, "certify %s serial %" PRIu64 " key %s dspt %s %s until %s", addr, c.serial, fpr, c.dspt, c.dspt_year,
           until);
    rc = 0;
out:
    s_issued_free (&is);
    s_close (&a);
    return rc;
}

int node_authority_revoke (const char *home, const node_revoke_t *o, int *count, char *err, size_t errlen)
{
    auth_t a;
    *count = 0;
    const char *org = o->org, *fingerprint = o->key, *reason = o->reason;
    char n_org[CARD_ORG_MAX + 1], n_label[CARD_LABEL_MAX + 1];
    if ((!org) + (!fingerprint) + (!o->node) != 2)
        return node_errf (err, errlen, "give one of --node ADDRESS, --org CODE or --key FINGERPRINT");
    if (org && card_valid_org (org) != 0)
        return node_errf (err, errlen, "--org: %s", card_error ());
    if (o->node && card_address_split (o->node, n_org, n_label) != 0)
        return node_errf (err, errlen, "--node: %s (a node's address is ORG or ORG/LABEL, e.g. 0DF/b)", card_error ());
    if (reason && (strlen (reason) > AUTH_REASON_MAX || strpbrk (reason, "\n\r")))
        return node_errf (err, errlen, "--reason: one line of at most %d characters", AUTH_REASON_MAX);
    if (s_open (&a, home, err, errlen) != 0)
        return -1;
    int rc = -1;
    issued_t is = {0};
    FILE *f = NULL;
    if (s_issued_load (&a, &is) != 0)
        goto out;
    char path[NODE_PATH_MAX];
    s_path (path, sizeof path, a.home, "revoked");
    f = fopen (path, "a");
    if (!f) {
        node_errf (err, errlen, "cannot open %s: %s", path, strerror (errno));
        goto out;
    }
    int64_t now = (int64_t) time (NULL);
    for (size_t i = 0; i < is.count; i++) {
        const cert_t *c = &is.certs[i];
        char fpr[CX_FINGERPRINT_HEXLEN];
        cx_fingerprint (c->sign_pk, fpr);
        if ((org && strcmp (c->org, org) != 0) || (fingerprint && strcmp (fpr, fingerprint) != 0) ||
            (o->node && !s_same_node (c, n_org, n_label)))
            continue;
        if (s_is_revoked (&is, c->sign_pk))
            continue;
        char key[64], addr[CARD_ADDR_MAX + 1];
        cx_base64 (c->sign_pk, 32, key);
        s_addr (c->org, c->node, addr);
        fprintf (f, "%s %s %lld %s\n", addr, key, (long long) now, reason ? reason : "");
        if (is.nrevoked == is.rcap) {               /* so a second cert with this key is not counted twice */
            size_t cap2 = is.rcap ? is.rcap * 2 : 16;
            cert_revoked_t *grown = realloc (is.revoked, cap2 * sizeof *grown);
            if (!grown) {
                node_errf (err, errlen, "out of memory");
                goto out;
            }
            is.revoked = grown;
            is.rcap = cap2;
        }
        memset (&is.revoked[is.nrevoked], 0, sizeof is.revoked[0]);
        memcpy (is.revoked[is.nrevoked].sign_pk, c->sign_pk, 32);
        is.nrevoked++;
        s_log (&a, "revoke %s key %s (certificate serial %" PRIu64 "): %s", addr, fpr, c->serial,
               reason ? reason : "no reason given");
        (*count)++;
    }
    if (fflush (f) != 0 || fsync (fileno (f)) != 0) {
        node_errf (err, errlen, "cannot write %s: %s", path, strerror (errno));
        goto out;
    }
    if (*count == 0) {
        node_errf (err, errlen, "no certified key matches %s %s (or it is already revoked)",
                   org ? "--org" : o->node ? "--node" : "--key", org ? org : o->node ? o->node : fingerprint);
        goto out;
    }
    rc = 0;
out:
    if (f)
        fclose (f);
    s_issued_free (&is);
    s_close (&a);
    return rc;
}

int node_authority_directory (const char *home, int days, const char *expires, char **out, size_t *len,
                              uint64_t *serial, char *err, size_t errlen)
{
    auth_t a;
    *out = NULL;
    if (s_open (&a, home, err, errlen) != 0)
        return -1;
    int rc = -1;
    issued_t is = {0};
    cert_dir_t d;
    memset (&d, 0, sizeof d);
    char *body = NULL;
    if (s_issued_load (&a, &is) != 0)
        goto out;
    int64_t now = (int64_t) time (NULL);
    /* Current certificates: not revoked, not expired, and the newest of
       each node, by org and label (a node that changed keys has a newer
       one; another label is a sibling, SPEC.md 9.2). */
    size_t keep = 0;
    for (size_t i = 0; i < is.count; i++) {
        cert_t *c = &is.certs[i];
        int current = !s_is_revoked (&is, c->sign_pk) && c->not_after > now && !s_replaced (&is, i, now);
        if (current)
            keep++;
        else
            c->serial = 0;                          /* marks it left out */
    }
    if (keep > CERT_DIR_MAX_CERTS || is.nrevoked > CERT_DIR_MAX_REVOKED) {
        node_errf (err, errlen, "the directory would exceed its limits (%u certificates, %u revocations)",
               CERT_DIR_MAX_CERTS, CERT_DIR_MAX_REVOKED);
        goto out;
    }
    if (cert_dir_alloc (&d, keep, is.nrevoked) != 0) {
        node_errf (err, errlen, "%s", cert_error ());
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < is.count; i++)
        if (is.certs[i].serial)
            d.certs[k++] = is.certs[i];
    if (is.nrevoked)
        memcpy (d.revoked, is.revoked, is.nrevoked * sizeof *d.revoked);
    snprintf (d.authority, sizeof d.authority, "%s", a.pub.name);
    memcpy (d.authority_pk, cx_keypair_public (a.key), 32);
    d.serial = a.dir_serial + 1;
    d.issued = now;
    d.expires = now + (int64_t) (days > 0 ? days : AUTH_DEFAULT_DIR_DAYS) * 86400;
    if (expires && cert_time_parse (expires, &d.expires) != 0) {
        node_errf (err, errlen, "--expires: expected YYYY-MM-DDTHH:MM:SSZ");
        goto out;
    }
    if (d.expires <= d.issued)
        d.issued = d.expires - 1;                   /* an already expired one, on purpose (tests) */
    size_t blen;
    if (cert_dir_format_body (&d, &body, &blen) != 0 || cx_sign (a.key, (const uint8_t *) body, blen, d.sig) != 0 ||
        cert_dir_format (&d, out, len) != 0) {
        node_errf (err, errlen, "cannot make the directory: %s", cert_error ());
        goto out;
    }
    a.dir_serial = d.serial;
    if (s_save_serials (&a) != 0) {
        free (*out);
        *out = NULL;
        goto out;
    }
    *serial = d.serial;
    s_log (&a, "directory serial %" PRIu64 ": %zu certificates, %zu revocations", d.serial, d.ncerts, d.nrevoked);
    rc = 0;
out:
    free (body);
    cert_dir_free (&d);
    s_issued_free (&is);
    s_close (&a);
    return rc;
}

static int s_by_serial (const void *x, const void *y)
{
    const cert_t *a = x, *b = y;
    return a->serial < b->serial ? -1 : a->serial > b->serial;
}

int node_authority_list (const char *home, node_issued_fn *fn, void *arg, char *err, size_t errlen)
{
    auth_t a;
    if (s_open (&a, home, err, errlen) != 0)
        return -1;
    issued_t is = {0};
    int rc = -1;
    if (s_issued_load (&a, &is) != 0)
        goto out;
    int64_t now = (int64_t) time (NULL);
    rc = 0;
    qsort (is.certs, is.count, sizeof *is.certs, s_by_serial);
    for (size_t i = 0; i < is.count && rc == 0; i++) {
        const cert_t *c = &is.certs[i];
        node_issued_t row;
        memset (&row, 0, sizeof row);
        s_addr (c->org, c->node, row.address);
        snprintf (row.org, sizeof row.org, "%s", c->org);
        snprintf (row.node, sizeof row.node, "%s", c->node);
        snprintf (row.role, sizeof row.role, "%s", c->role);
        snprintf (row.name, sizeof row.name, "%s", c->name);
        cx_fingerprint (c->sign_pk, row.fingerprint);
        row.serial = c->serial;
        row.not_after = c->not_after;
        row.state = s_is_revoked (&is, c->sign_pk) ? "revoked"
                    : s_replaced (&is, i, now)     ? "replaced"
                    : c->not_after <= now          ? "expired"
                                                   : "current";
        rc = fn (&row, arg);
    }
out:
    s_issued_free (&is);
    s_close (&a);
    return rc < 0 ? -1 : 0;
}
