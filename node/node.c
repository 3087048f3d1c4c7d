/*  node.c: a node's home and the operations a local user runs on it.

    Creating and opening a home (keys, store, data directory), the identity
    card, adding peers, publishing (seal, sign, store, queue), subscribing,
    exporting. Everything here works whether or not the node's event loop
    (run.c) is running; when it is, node_kick() tells it to look at the
    store again.

    Not for: sockets to peers (run.c), parsing the command line (tools/),
    the audit log's chain and checkpoints (audit.c).
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "hasher.h"
#include "home.h"
#include "node_internal.h"
#include "outfile.h"


/* The reason into n->err; INVALID: a value given was out of its grammar or
   range (the CLI's exit 2). Returns -1. */
static int s_vfail (node_t *n, int invalid, const char *fmt, va_list ap) __attribute__ ((format (printf, 3, 0)));
static int s_vfail (node_t *n, int invalid, const char *fmt, va_list ap)
{
    vsnprintf (n->err, sizeof n->err, fmt, ap);
    n->refused = 0;
    n->invalid = invalid;
    return -1;
}

int node_fail (node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vfail (n, 0, fmt, ap);
    va_end (ap);
    return -1;
}

int node_fail_input (node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vfail (n, 1, fmt, ap);
    va_end (ap);
    return -1;
}

int node_check_org (node_t *n, const char *what, const char *org)
{
    if (card_valid_org (org) != 0)
        return node_fail_input (n, "%s: an ODS code is 3 to 5 upper-case letters or digits (e.g. 0DF, 04V)%s",
                                what, org && *org ? "" : "; none given");
    return 0;
}

int node_check_topic (node_t *n, const char *what, const char *topic)
{
    if (proto_topic_ok (topic) != 0)
        return node_fail_input (n, "%s: a topic is 1 to %u characters of A-Za-z0-9._/- not starting with / or . (%s)",
                                what, PROTO_TOPIC_MAX, proto_error ());
    return 0;
}

int node_refused (const node_t *n)
{
    return n->refused;
}

int node_invalid (const node_t *n)
{
    return n->invalid;
}

int node_errf (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, errlen, fmt, ap);
        va_end (ap);
    }
    return -1;
}

const char *node_error (const node_t *n)
{
    return n->err;
}

store_t *node_store (node_t *n)
{
    return n->store;
}

const char *node_org (const node_t *n)
{
    return n->self.org;
}

const char *node_home (const node_t *n)
{
    return n->home;
}

store_t *node_db (const node_t *n)
{
    return n->store;
}

const store_self_t *node_self (const node_t *n)
{
    return &n->self;
}

cx_keypair_t *node_sign_key (const node_t *n)
{
    return n->sign;
}

cx_keypair_t *node_box_key (const node_t *n)
{
    return n->box;
}

cx_keypair_t *node_curve_key (const node_t *n)
{
    return n->curve;
}

int node_lock_run (node_t *n)
{
    char lock[NODE_PATH_MAX];
    snprintf (lock, sizeof lock, "%s/%s", n->home, NODE_LOCK_FILE);
    n->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (n->lock_fd < 0 || flock (n->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (n->lock_fd >= 0)
            close (n->lock_fd);
        n->lock_fd = -1;
        return node_fail (n, "another cdx run is using %s (stop it first)", n->home);
    }
    return 0;
}

void node_unlock_run (node_t *n)
{
    if (n->lock_fd >= 0)
        close (n->lock_fd);
    n->lock_fd = -1;
}

const char *node_user (void)
{
    static char user[64];
    if (!user[0]) {
        struct passwd *pw = getpwuid (geteuid ());
        if (pw && pw->pw_name)
            snprintf (user, sizeof user, "%s", pw->pw_name);
        else
            snprintf (user, sizeof user, "uid%ld", (long) geteuid ());
    }
    return user;
}

void node_log (const node_t *n, const char *level, const char *fmt, ...)
{
    char stamp[32];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    fprintf (stderr, "%s cdx[%s] %s: %s\n", stamp, n->self.org, level, line);
}

void node_data_path (const node_t *n, const char *id, char *buf, size_t cap)
{
    snprintf (buf, cap, "%s/data/%s.sealed", n->home, id);
}

static int s_path (char *buf, size_t cap, const char *home, const char *rel)
{
    int len = snprintf (buf, cap, "%s/%s", home, rel);
    return (len < 0 || (size_t) len >= cap) ? -1 : 0;
}

static int s_one_of (const char *value, const char *const *set)
{
    for (; *set; set++)
        if (strcmp (value, *set) == 0)
            return 1;
    return 0;
}

/* Fsyncs a directory so that a rename or create in it is durable. */
void node_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void) fsync (fd);
        close (fd);
    }
}

/* ---- init / open ------------------------------------------------------ */

int node_make_card (const store_self_t *who, cx_keypair_t *const kp[3], char *out, size_t cap)
{
    card_t card;
    memset (&card, 0, sizeof card);
    snprintf (card.org, sizeof card.org, "%s", who->org);
    snprintf (card.role, sizeof card.role, "%s", who->role);
    snprintf (card.name, sizeof card.name, "%s", who->name);
    snprintf (card.endpoint, sizeof card.endpoint, "%s", who->endpoint);
    memcpy (card.sign_pk, cx_keypair_public (kp[0]), 32);
    memcpy (card.box_pk, cx_keypair_public (kp[1]), 32);
    memcpy (card.curve_pk, cx_keypair_public (kp[2]), 32);
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (card.created, sizeof card.created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char body[CARD_MAX_BYTES];
    size_t body_len, len;
    if (card_format_body (&card, body, sizeof body, &body_len) != 0 ||
        cx_sign (kp[0], (const uint8_t *) body, body_len, card.sig) != 0)
        return -1;
    return card_format (&card, out, cap, &len);
}

/* The store of a new node: its identity, its first admin (the account
   running cdx init) and the audit entry. STORE receives the open store
   (the caller closes it, also on failure). 0, or -1 (ERR). */
static int s_init_store (const node_init_t *o, const char *path, const store_self_t *self,
                         const uint8_t sign_pk[32], store_t **store, char *err, size_t errlen)
{
    char serr[256];
    *store = store_open (path, 1, serr, sizeof serr);
    if (!*store)
        return node_errf (err, errlen, "%s", serr);
    store_set_hasher (*store, cx_hash_buf);   /* the audit chain's hash */
    if (store_self_set (*store, self) != 0)
        return node_errf (err, errlen, "%s", store_error (*store));
    /* The account that made the node administers it; data roles are
       granted by an admin, explicitly (access.c). */
    store_user_t admin;
    memset (&admin, 0, sizeof admin);
    snprintf (admin.login, sizeof admin.login, "%s", node_user ());
    snprintf (admin.roles, sizeof admin.roles, "admin");
    snprintf (admin.added_by, sizeof admin.added_by, "%s", node_user ());
    if (store_user_put (*store, &admin) != 0)
        return node_errf (err, errlen, "%s", store_error (*store));
    store_audit_t e;
    memset (&e, 0, sizeof e);
    snprintf (e.actor, sizeof e.actor, "user:%s (admin)", node_user ());
    snprintf (e.action, sizeof e.action, "init");
    snprintf (e.object, sizeof e.object, "node:%s", o->org);
    snprintf (e.decision, sizeof e.decision, "allow");
    snprintf (e.rule, sizeof e.rule, "local.admin");
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (sign_pk, fpr);
    snprintf (e.detail, sizeof e.detail, "node created as %s (%s), signing key %s", o->role, o->name, fpr);
    if (store_audit_append (*store, &e) != 0)
        return node_errf (err, errlen, "%s", store_error (*store));
    return 0;
}

int node_init_check (const node_init_t *o, char *err, size_t errlen)
{
    if (card_valid_org (o->org) != 0)
        return node_errf (err, errlen, "--org %s: an ODS code is 3 to 5 upper-case letters or digits (e.g. 0DF, 04V)",
                      o->org ? o->org : "(none)");
    if (!o->role || (strcmp (o->role, "csu") != 0 && strcmp (o->role, "ccg") != 0))
        return node_errf (err, errlen, "--role must be csu or ccg");
    if (card_valid_endpoint (o->endpoint) != 0)
        return node_errf (err, errlen, "--endpoint %s: expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:7101",
                      o->endpoint ? o->endpoint : "(none)");
    if (!o->name || !*o->name || strlen (o->name) > CARD_NAME_MAX)
        return node_errf (err, errlen, "--name is required (at most %u characters)", CARD_NAME_MAX);
    return 0;
}

int node_init (const node_init_t *o, char *err, size_t errlen)
{
    if (!o->home || !*o->home)
        return node_errf (err, errlen, "no home directory given: use --home DIR or set CDX_HOME");
    if (node_init_check (o, err, errlen) != 0)
        return -1;

    char path[NODE_PATH_MAX], keys[NODE_PATH_MAX];
    struct stat st;
    if (s_path (path, sizeof path, o->home, "store.db") != 0 || s_path (keys, sizeof keys, o->home, "keys") != 0)
        return node_errf (err, errlen, "home path too long");
    if (lstat (path, &st) == 0)
        return node_errf (err, errlen, "%s already holds a node; refusing to overwrite it (choose another --home)",
                      o->home);
    /* A new or empty directory of this account's only; whatever fails
       from here on, what was made is removed so that a retry starts
       clean. */
    node_home_made_t made;
    if (node_home_make (o->home, &made, err, errlen) != 0)
        return -1;

    int rc = -1;
    cx_keypair_t *kp[3] = {NULL, NULL, NULL};
    static const cx_keytype_t types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
    static const char *const names[3] = {"keys/sign.key", "keys/box.key", "keys/curve.key"};
    store_t *store = NULL;
    for (int i = 0; i < 3; i++) {
        kp[i] = cx_keypair_new (types[i]);
        if (!kp[i] || s_path (path, sizeof path, o->home, names[i]) != 0) {
            node_errf (err, errlen, "cannot make keys: %s", cx_error ());
            goto out;
        }
        if (cx_keypair_save (kp[i], path) != 0) {
            node_errf (err, errlen, "%s", cx_error ());
            goto out;
        }
    }
    node_sync_dir (keys);

    store_self_t self;
    memset (&self, 0, sizeof self);
    snprintf (self.org, sizeof self.org, "%s", o->org);
    snprintf (self.role, sizeof self.role, "%s", o->role);
    snprintf (self.name, sizeof self.name, "%s", o->name);
    snprintf (self.endpoint, sizeof self.endpoint, "%s", o->endpoint);
    if (node_make_card (&self, kp, self.card, sizeof self.card) != 0) {
        node_errf (err, errlen, "cannot sign the card: %s", card_error ());
        goto out;
    }

    if (s_path (path, sizeof path, o->home, "store.db") != 0)
        goto out;
    made.store = 1;
    if (s_init_store (o, path, &self, cx_keypair_public (kp[0]), &store, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    store_close (&store);
    for (int i = 0; i < 3; i++)
        cx_keypair_destroy (&kp[i]);
    if (rc != 0)
        node_home_undo (o->home, &made);
    return rc;
}

node_t *node_open (const char *home, node_open_why_t *why, char *err, size_t errlen)
{
    return node_open_claim (home, NULL, why, err, errlen);
}

node_t *node_open_claim (const char *home, const node_claim_t *claim, node_open_why_t *why, char *err,
                         size_t errlen)
{
    node_open_why_t dummy;
    if (!why)
        why = &dummy;
    *why = NODE_OPEN_FAILED;
    if (!home || !*home) {
        node_errf (err, errlen, "no home directory given: use --home DIR or set CDX_HOME");
        return NULL;
    }
    if (strlen (home) >= NODE_PATH_MAX - 64) {
        node_errf (err, errlen, "the home directory's path is longer than %d bytes", NODE_PATH_MAX - 65);
        return NULL;
    }
    node_t *n = calloc (1, sizeof *n);
    if (!n) {
        node_errf (err, errlen, "out of memory");
        return NULL;
    }
    n->lock_fd = -1;
    snprintf (n->home, sizeof n->home, "%s", home);
    char path[NODE_PATH_MAX];
    if (s_path (path, sizeof path, home, "store.db") != 0) {
        node_errf (err, errlen, "the home directory's path is too long");
        goto fail;
    }
    /* A home this account may not read is not a missing node: say so,
       and whose it is, before "run cdx init" sends anyone astray. */
    if (node_home_denied (home, err, errlen))
        goto fail;
    if (access (path, F_OK) != 0) {
        node_errf (err, errlen, "no node at %s: run cdx init --home %s first", home, home);
        *why = NODE_OPEN_NOHOME;
        goto fail;
    }
    /* Before anything in it is read: nobody else could have put it there. */
    if (node_home_check (home, err, errlen) != 0)
        goto fail;
    char serr[256];
    n->store = store_open (path, 0, serr, sizeof serr);
    if (!n->store) {
        node_errf (err, errlen, "%s", serr);
        goto fail;
    }
    store_set_hasher (n->store, cx_hash_buf);   /* the audit chain's hash */
    if (store_self_get (n->store, &n->self) != 0) {
        node_errf (err, errlen, "store at %s has no identity: %s", path, store_error (n->store));
        goto fail;
    }
    if (node_keys_recover (n, err, errlen) != 0)        /* a rotation cut short */
        goto fail;
    static const cx_keytype_t types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
    static const char *const names[3] = {"keys/sign.key", "keys/box.key", "keys/curve.key"};
    cx_keypair_t **slots[3] = {&n->sign, &n->box, &n->curve};
    for (int i = 0; i < 3; i++) {
        if (s_path (path, sizeof path, home, names[i]) != 0)
            goto fail;
        *slots[i] = cx_keypair_load (path, types[i]);
        if (!*slots[i]) {
            node_errf (err, errlen, "%s", cx_error ());
            goto fail;
        }
    }
    if (node_home_check_card (n, err, errlen) != 0)
        goto fail;
    if (node_keys_load_old (n, err, errlen) != 0)
        goto fail;
    if (node_identify_claim (n, claim) != 0) {
        node_errf (err, errlen, "%s", n->err);
        *why = n->invalid ? NODE_OPEN_INVALID : n->refused ? NODE_OPEN_REFUSED : NODE_OPEN_FAILED;
        goto fail;
    }
    return n;
fail:
    node_close (&n);
    return NULL;
}

void node_close (node_t **n_p)
{
    if (!n_p || !*n_p)
        return;
    node_t *n = *n_p;
    store_close (&n->store);
    cx_keypair_destroy (&n->sign);
    cx_keypair_destroy (&n->box);
    cx_keypair_destroy (&n->curve);
    for (size_t i = 0; i < n->nold_box; i++)
        cx_keypair_destroy (&n->old_box[i]);
    free (n->old_box);
    free (n->old_sign_pk);
    if (n->lock_fd >= 0)
        close (n->lock_fd);
    free (n);
    *n_p = NULL;
}

/* ---- card and peers ---------------------------------------------------- */

void node_sign_key_hex (const node_t *n, char out[65])
{
    cx_hex (cx_keypair_public (n->sign), 32, out);
}

int node_card (node_t *n, char *buf, size_t cap)
{
    size_t len = strlen (n->self.card);
    if (len + 1 > cap)
        return node_fail (n, "card buffer too small");
    memcpy (buf, n->self.card, len + 1);
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
        node_audit (n, actor, "peer-add", "card", "", "refuse", "card.format", "%s", n->err);
        return -1;
    }
    if (cx_verify (card.sign_pk, (const uint8_t *) text, signed_len, card.sig) != 0) {
        node_fail (n, "card for %s: the signature does not match its signing key (altered card?)", card.org);
        node_audit (n, actor, "peer-add", "card", card.org, "refuse", "card.signature", "%s", n->err);
        return -1;
    }
    if (strcmp (card.org, n->self.org) == 0)
        return node_fail (n, "card is for %s, which is this node", card.org);
    /* A hand pin does not override the authority: a card for an
       organisation certified with other keys, or carrying another
       organisation's transport key, is refused. */
    store_peer_t old;
    char fpr[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (card.sign_pk, fpr);
    if (store_peer_get (n->store, card.org, &old) == 0 && strcmp (old.trust, "certified") == 0) {
        if (memcmp (old.sign_pk, card.sign_pk, 32) != 0 || memcmp (old.box_pk, card.box_pk, 32) != 0 ||
            memcmp (old.curve_pk, card.curve_pk, 32) != 0) {
            node_fail (n, "card for %s carries keys (signing key %s) other than those the authority certified "
                       "for %s: refused", card.org, fpr, card.org);
            node_audit (n, actor, "peer-add", "card", card.org, "refuse", "trust.wrong-key", "%s", n->err);
            return -1;
        }
        if (out)
            *out = old;
        return 0;                                   /* already certified with these keys */
    }
    if (store_peer_by_curve (n->store, card.curve_pk, &old) == 0 && strcmp (old.org, card.org) != 0) {
        node_fail (n, "card for %s carries the transport key of %s: refused", card.org, old.org);
        node_audit (n, actor, "peer-add", "card", card.org, "refuse", "trust.wrong-key", "%s", n->err);
        return -1;
    }
    store_peer_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.org, sizeof p.org, "%s", card.org);
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
    if (store_begin (n->store) != 0 || store_peer_put (n->store, &p) != 0 ||
        node_audit (n, actor, "peer-add", "card", card.org, "allow", "trust.pinned",
                    "pinned by hand: %s (%s) at %s, signing key %s", card.name, card.role, card.endpoint,
                    fpr) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "cannot store peer %s: %s", p.org, store_error (n->store));
        store_rollback (n->store);
        return -1;
    }
    if (out)
        *out = p;
    return 0;
}

/* ---- publish ------------------------------------------------------------ */

static int s_write_all (int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write (fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t) w;
    }
    return 0;
}

static ssize_t s_read_full (int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read (fd, buf + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t) r;
    }
    return (ssize_t) got;
}

typedef struct {
    node_t *n;
    const char *topic;
    const char *id;
    int count;
    int rc;
} s_queue_ctx_t;

static int s_queue_sub (const store_sub_t *sub, void *arg)
{
    s_queue_ctx_t *q = arg;
    if (strcmp (sub->publisher, q->n->self.org) != 0 || strcmp (sub->topic, q->topic) != 0 ||
        strcmp (sub->state, "active") != 0)
        return 0;
    if (store_delivery_add (q->n->store, q->id, sub->subscriber) != 0) {
        q->rc = -1;
        return 1;
    }
    q->count++;
    return 0;
}

/* Creates data/ID.sealed.tmp for a new dataset id (DSID, ID in hex) and
   holds it (node_home_hold) so that no sweep removes it. FINAL and TMP
   (NODE_PATH_MAX each) receive the paths. The descriptor, or -1 (node
   error; TMP empty). */
/* TMP created and locked before it has its name, where the file system
   allows (O_TMPFILE, then linkat): a sweep never sees it unheld, so it
   never takes a publish in progress for an interrupted one. Elsewhere
   created by name (node_home_hold then settles the race). The descriptor,
   or -1 (errno). */
static int s_sealed_tmpfile (node_t *n, const char *tmp)
{
    char dir[NODE_PATH_MAX];
    if (s_path (dir, sizeof dir, n->home, "data") == 0) {
        int fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char proc[64];
            snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
            if (flock (fd, LOCK_EX) == 0 && linkat (AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
                return fd;
            int e = errno;
            close (fd);
            errno = e;
            return -1;
        }
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return -1;
    }
    return open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int s_sealed_create (node_t *n, uint8_t dsid[16], char id[33], char *final, char *tmp)
{
    for (int tries = 0; tries < 3; tries++) {
        cx_random (dsid, 16);
        cx_hex (dsid, 16, id);
        node_data_path (n, id, final, NODE_PATH_MAX);
        snprintf (tmp, NODE_PATH_MAX, "%s.tmp", final);
        int fd = s_sealed_tmpfile (n, tmp);
        if (fd < 0) {
            node_fail (n, "cannot create %s: %s", tmp, strerror (errno));
            break;
        }
        int held = node_home_hold (fd);
        if (held == 0)
            return fd;
        if (held < 0)
            node_fail (n, "cannot lock %s: %s", tmp, strerror (errno));
        else
            node_fail (n, "%s was removed by a clean-up as it was created", tmp);
        unlink (tmp);          /* if it is still there: ours */
        close (fd);
        if (held < 0)
            break;
    }
    tmp[0] = 0;
    return -1;
}

/* 0 if the keys this handle signs with are still the node's (its card in
   the store), inside the caller's transaction: a rotation that committed
   while a long publish sealed its file re-signed only what it saw, so a
   manifest signed with the replaced key must not be recorded. */
static int s_keys_current (node_t *n)
{
    store_self_t *now = malloc (sizeof *now);
    if (!now)
        return node_fail (n, "out of memory");
    int rc = 0;
    if (store_self_get (n->store, now) != 0)
        rc = node_fail (n, "%s", store_error (n->store));
    else if (strcmp (now->card, n->self.card) != 0)
        rc = node_fail (n, "the node's keys were rotated while this command ran: nothing was recorded; run it "
                           "again");
    free (now);
    return rc;
}

/* The file of a publish as its audit entries name it: its absolute path
   where it resolves, else as given. */
static void s_publish_file (const node_publish_t *p, char *buf, size_t cap)
{
    char *abs = p->path ? realpath (p->path, NULL) : NULL;
    snprintf (buf, cap, "%s", abs ? abs : p->path ? p->path : "");
    free (abs);
}

/* A publish refused by RULE before anything is written (its governance
   metadata, its onward sharing): audited like every refusal, with the
   user and role (ACTOR), the purpose claimed and the file, and told to
   the user naming the rule. -1, node_refused set. */
static int s_publish_refuse (node_t *n, const node_publish_t *p, const char *actor, const char *rule,
                             const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
static int s_publish_refuse (node_t *n, const node_publish_t *p, const char *actor, const char *rule,
                             const char *fmt, ...)
{
    char why[NODE_ERR_MAX / 2], file[NODE_PATH_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (why, sizeof why, fmt, ap);
    va_end (ap);
    s_publish_file (p, file, sizeof file);
    node_audit_purpose (n, actor, "publish", p->topic, "", p->purpose, "refuse", rule, "file %s: %s", file, why);
    node_fail (n, "%s (%s)", why, rule);
    n->refused = 1;
    return -1;
}

/* The governance of a publish, decided before anything is written:
   identifiable data states its legal basis and an opt-out status that
   does not contradict it; data received under an agreement goes further
   only if that agreement allows it and is in force (the rule names of
   policy.c). 0, or -1 (s_publish_refuse). */
static int s_publish_governance (node_t *n, const node_publish_t *p, const char *actor, const char *legal_basis,
                                 const char *opt_out)
{
    int identifiable = proto_class_rank (p->class_) == PROTO_CLASS_IDENTIFIABLE;
    if (identifiable && !*legal_basis)
        return s_publish_refuse (n, p, actor, "policy.legal-basis",
                                 "--legal-basis is required for identifiable data (e.g. \"Art 6(1)(e); "
                                 "Art 9(2)(h); s251 CAG 7-07(a)/2013\")");
    if (identifiable && !*opt_out)
        return s_publish_refuse (n, p, actor, "policy.opt-out",
                                 "--opt-out is required for identifiable data: yes or statutory-exemption");
    if (identifiable && proto_opt_out_id (opt_out) == PROTO_OPT_OUT_NOT_IDENTIFIABLE)
        return s_publish_refuse (n, p, actor, "policy.opt-out",
                                 "--opt-out not-identifiable contradicts --class identifiable");
    const char *source = p->agreement ? p->agreement : "";
    if (!*source)
        return 0;
    store_agreement_t *src = malloc (sizeof *src);
    proto_agreement_t *doc = malloc (sizeof *doc);
    if (!src || !doc) {
        free (src);
        free (doc);
        return node_fail (n, "out of memory");
    }
    int r = store_agreement_get (n->store, source, src);
    int refused = r == STORE_NOTFOUND ? 1
                  : r != 0 ? -1
                  : proto_agreement_decode (src->doc, src->doc_len, doc) != PROTO_OK ? 1
                  : strcmp (doc->recipient, n->self.org) != 0 ? 2
                  : !doc->onward ? 3
                  : strcmp (node_agreement_state (src, (int64_t) time (NULL)), "in-force") != 0 ? 4 : 0;
    free (src);
    free (doc);
    static const char *const why[] = {"", "this node holds no such agreement", "this node is not its recipient",
                                      "it does not allow onward sharing", "it is not in force"};
    if (refused < 0)
        return node_fail (n, "%s", store_error (n->store));
    if (refused)
        return s_publish_refuse (n, p, actor, "policy.onward", "--agreement %s: onward sharing refused: %s",
                                 source, why[refused]);
    return 0;
}

int node_publish (node_t *n, const node_publish_t *p, char id_out[33], int64_t *version)
{
    /* The values given are checked before anything is done or audited. */
    if (node_check_topic (n, "--topic", p->topic) != 0)
        return -1;
    if (!proto_class_known (p->class_))
        return node_fail_input (n, "--class must be one of %s", proto_classes_list ());
    if (!proto_purpose_known (p->purpose))
        return node_fail_input (n, "--purpose must be one of %s", proto_purposes_list ());
    static const char *const kinds[] = {"new", "supersedes", "correction", NULL};
    const char *kind = p->kind ? p->kind : "new";
    if (!s_one_of (kind, kinds))
        return node_fail_input (n, "--kind must be new, supersedes or correction");
    if (p->retention < 0 || p->retention > NODE_RETENTION_MAX)
        return node_fail_input (n, "--retention must be 1 s to %d days", NODE_RETENTION_MAX / 86400);
    if (p->agreement && *p->agreement && proto_ref_ok (p->agreement) != 0)
        return node_fail_input (n, "--agreement: %s", proto_error ());
    const char *base = p->path ? strrchr (p->path, '/') : NULL;
    base = base ? base + 1 : p->path ? p->path : "";
    if (strlen (base) >= sizeof ((proto_manifest_t *) 0)->filename)
        return node_fail_input (n, "the file's name is longer than %zu bytes (the manifest carries it): rename it",
                                sizeof ((proto_manifest_t *) 0)->filename - 1);
    int identifiable = proto_class_rank (p->class_) == PROTO_CLASS_IDENTIFIABLE;
    const char *legal_basis = p->legal_basis ? p->legal_basis : "";
    const char *opt_out = p->opt_out ? p->opt_out : identifiable ? "" : "not-identifiable";
    if (strlen (legal_basis) > PROTO_BASIS_MAX)
        return node_fail_input (n, "--legal-basis is longer than %u bytes", PROTO_BASIS_MAX);
    if (p->opt_out && !proto_opt_out_known (p->opt_out))
        return node_fail_input (n, "--opt-out must be %s", proto_opt_outs_or ());
    char file[NODE_PATH_MAX + 8];
    snprintf (file, sizeof file, "file ");
    s_publish_file (p, file + 5, sizeof file - 5);
    node_claim_t claim = {"publish", p->topic, NULL, p->purpose, file};
    if (!node_authorize_claim (n, NODE_ROLE_PUBLISHER, &claim))
        return -1;
    char actor[160];
    node_actor (n, NODE_ROLE_PUBLISHER, actor, sizeof actor);
    if (s_publish_governance (n, p, actor, legal_basis, opt_out) != 0)
        return -1;
    const char *source = p->agreement ? p->agreement : "";
    int64_t retention = p->retention ? p->retention : NODE_RETENTION_DEFAULT;

    int rc = -1, in = -1, out = -1;
    uint8_t *plain = NULL, *plain2 = NULL, *sealed = NULL;
    size_t touched = 0;                  /* plaintext bytes to wipe in each buffer */
    node_hasher_t *hasher = NULL;
    cx_content_t *key = NULL;
    cx_hash_t *hash = NULL;
    char tmp[NODE_PATH_MAX], final[NODE_PATH_MAX];
    tmp[0] = 0;

    node_home_sweep (n, actor, 1);              /* what killed publishes left */
    in = open (p->path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return node_fail (n, "cannot open %s: %s", p->path, strerror (errno));
    struct stat st;
    if (fstat (in, &st) != 0 || !S_ISREG (st.st_mode)) {
        node_fail (n, "%s is not a regular file", p->path);
        goto out;
    }

    proto_manifest_t m;
    memset (&m, 0, sizeof m);
    m.format = 1;
    snprintf (m.publisher, sizeof m.publisher, "%s", n->self.org);
    snprintf (m.topic, sizeof m.topic, "%s", p->topic);
    snprintf (m.class_, sizeof m.class_, "%s", p->class_);
    snprintf (m.purpose, sizeof m.purpose, "%s", p->purpose);
    snprintf (m.filename, sizeof m.filename, "%s", base);
    m.chunk_size = NODE_CHUNK_SIZE;
    m.created = (int64_t) time (NULL);
    snprintf (m.legal_basis, sizeof m.legal_basis, "%s", legal_basis);
    snprintf (m.opt_out, sizeof m.opt_out, "%s", opt_out);
    snprintf (m.agreement, sizeof m.agreement, "%s", source);
    char id[33];
    out = s_sealed_create (n, m.dataset, id, final, tmp);
    if (out < 0)
        goto out;
    /* Two chunk buffers only when a second thread hashes: a one-chunk
       dataset (the common small one) costs no thread and no extra pages. */
    int threaded = st.st_size > (off_t) NODE_CHUNK_SIZE;
    plain = malloc (NODE_CHUNK_SIZE);
    plain2 = threaded ? malloc (NODE_CHUNK_SIZE) : NULL;
    sealed = malloc (NODE_CHUNK_SIZE + CX_CHUNK_ABYTES);
    key = cx_content_new ();
    hash = cx_hash_new ();
    if (!plain || (threaded && !plain2) || !sealed || !key || !hash) {
        node_fail (n, "out of memory");
        goto out;
    }
    (void) posix_fadvise (in, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (threaded && !(hasher = node_hasher_new ())) {
        node_fail (n, "cannot start a thread: %s", strerror (errno));
        goto out;
    }
    uint64_t total = 0, index = 0;
    uint8_t *cur = plain, *ahead = plain2;
    ssize_t r = s_read_full (in, cur, NODE_CHUNK_SIZE);
    while (r != 0) {
        if (r < 0) {
            node_fail (n, "cannot read %s: %s", p->path, strerror (errno));
            touched = NODE_CHUNK_SIZE;           /* a short read may have filled any of it */
            goto out;
        }
        if ((size_t) r > touched)
            touched = (size_t) r;
        if (hasher)
            node_hasher_post (hasher, hash, cur, (size_t) r);
        else
            cx_hash_update (hash, cur, (size_t) r);
        if (cx_chunk_seal (key, m.dataset, index, cur, (size_t) r, sealed) != 0) {
            node_fail (n, "cannot seal chunk %llu: %s", (unsigned long long) index, cx_error ());
            goto out;
        }
        size_t slen = (size_t) r + CX_CHUNK_ABYTES;
        if (s_write_all (out, sealed, slen) != 0) {
            node_fail (n, "cannot write %s: %s (is the disk full?)", tmp, strerror (errno));
            goto out;
        }
        /* Start writing it back now (a hint; the fsync below is what makes
           it durable): the fsync then finds little left to do, and dirty
           pages do not pile up, which costs the copy into the page cache
           several times over on a small virtual machine. */
        (void) sync_file_range (out, node_chunk_offset (NODE_CHUNK_SIZE, (int64_t) index), (off_t) slen,
                                SYNC_FILE_RANGE_WRITE);
        total += (uint64_t) r;
        index++;
        if (p->progress)
            p->progress (total, (uint64_t) st.st_size, p->progress_arg);
        ssize_t next = 0;
        if ((size_t) r == NODE_CHUNK_SIZE)   /* read the next chunk while this one is hashed */
            next = s_read_full (in, hasher ? ahead : cur, NODE_CHUNK_SIZE);
        if (hasher) {
            node_hasher_wait (hasher);
            uint8_t *t = cur;
            cur = ahead;
            ahead = t;
        }
        r = next;
    }
    node_hasher_destroy (&hasher);
    cx_hash_final (hash, m.hash);
    m.bytes = total;
    m.chunks = index;
    if (fsync (out) != 0) {
        node_fail (n, "cannot sync %s: %s (is the disk full?)", tmp, strerror (errno));
        goto out;
    }
    /* OUT stays open, and so held (node_home_hold), until the row that
       names the file is committed or the file is removed. */

    store_dataset_t d;
    memset (&d, 0, sizeof d);
    if (store_begin (n->store) != 0) {
        node_fail (n, "%s", store_error (n->store));
        goto out;
    }
    if (s_keys_current (n) != 0) {
        store_rollback (n->store);
        goto out;
    }
    int64_t last = store_dataset_last_version (n->store, n->self.org, p->topic);
    if (last < 0) {
        node_fail (n, "%s", store_error (n->store));
        store_rollback (n->store);
        goto out;
    }
    m.version = (uint64_t) last + 1;
    if (proto_manifest_encode (&m, d.manifest, sizeof d.manifest, &d.manifest_len) != 0) {
        node_fail (n, "invalid dataset metadata: %s", proto_error ());
        store_rollback (n->store);
        goto out;
    }
    if (cx_sign (n->sign, d.manifest, d.manifest_len, d.sig) != 0 ||
        cx_content_wrap (key, cx_keypair_public (n->box), d.wrapped) != 0) {
        node_fail (n, "cannot sign: %s", cx_error ());
        store_rollback (n->store);
        goto out;
    }
    memcpy (d.id, id, sizeof d.id);
    snprintf (d.publisher, sizeof d.publisher, "%s", m.publisher);
    snprintf (d.topic, sizeof d.topic, "%s", m.topic);
    d.version = (int64_t) m.version;
    snprintf (d.class_, sizeof d.class_, "%s", m.class_);
    snprintf (d.purpose, sizeof d.purpose, "%s", m.purpose);
    snprintf (d.filename, sizeof d.filename, "%s", m.filename);
    d.bytes = (int64_t) m.bytes;
    d.chunk_size = m.chunk_size;
    d.chunks = (int64_t) m.chunks;
    memcpy (d.hash, m.hash, sizeof d.hash);
    snprintf (d.state, sizeof d.state, "published");
    d.next_chunk = d.chunks;
    snprintf (d.kind, sizeof d.kind, "%s", kind);
    snprintf (d.agreement, sizeof d.agreement, "%s", source);
    d.expires = m.created + retention;
    s_queue_ctx_t q = {n, p->topic, id, 0, 0};
    /* The file is renamed into place before the row commits, so a stored
       dataset always has its content; a crash in between leaves an
       unreferenced file, never a dangling row. */
    if (rename (tmp, final) != 0) {
        node_fail (n, "cannot rename %s: %s", tmp, strerror (errno));
        store_rollback (n->store);
        goto out;
    }
    tmp[0] = 0;
    char datadir[NODE_PATH_MAX];
    snprintf (datadir, sizeof datadir, "%s/data", n->home);
    node_sync_dir (datadir);
    if (store_dataset_put (n->store, &d) != 0 || store_sub_each (n->store, s_queue_sub, &q) != 0 ||
        q.rc != 0) {
        node_fail (n, "cannot record the dataset: %s", store_error (n->store));
        store_rollback (n->store);
        unlink (final);
        goto out;
    }
    int superseded = 0;
    if (strcmp (kind, "supersedes") == 0) {
        char why[64];
        snprintf (why, sizeof why, "superseded by version %lld", (long long) d.version);
        superseded = store_delivery_supersede (n->store, d.publisher, d.topic, d.version, why);
        if (superseded < 0) {
            node_fail (n, "cannot record the dataset: %s", store_error (n->store));
            store_rollback (n->store);
            unlink (final);
            goto out;
        }
    }
    char hashhex[65];
    cx_hex (m.hash, sizeof m.hash, hashhex);
    char object[129];
    snprintf (object, sizeof object, "%s v%lld %s", m.topic, (long long) m.version, id);
    if (node_audit_purpose (n, actor, "publish", object, "", m.purpose, "allow", "local.publish",
                    "%s, %llu bytes, class %s, purpose %s, legal basis %s, opt-outs %s%s%s, %s, blake2b %s, "
                    "queued for %d subscriber(s)%s; undelivered copies expire after %lld s",
                    m.filename, (unsigned long long) m.bytes, m.class_, m.purpose,
                    *legal_basis ? legal_basis : "none stated", opt_out, *source ? ", onward under " : "", source,
                    kind, hashhex, q.count,
                    superseded > 0 ? ", older undelivered versions superseded" : "", (long long) retention) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "cannot record the dataset: %s", store_error (n->store));
        store_rollback (n->store);
        unlink (final);
        goto out;
    }
    /* Recorded; durable before the user is told (the id is printed). The
       dataset stays either way: it is committed. */
    if (store_sync (n->store) != 0) {
        node_fail (n, "dataset %s recorded, but the store could not be made durable: %s", id,
                   store_error (n->store));
        node_kick (n);
        goto out;
    }
    memcpy (id_out, id, 33);
    if (version)
        *version = (int64_t) m.version;
    rc = 0;
    node_kick (n);
out:
    if (in >= 0)
        close (in);
    if (tmp[0])
        unlink (tmp);
    if (out >= 0)
        close (out);                        /* lets go of the file after its unlink */
    node_hasher_destroy (&hasher);          /* before its buffers go */
    /* Only the bytes a chunk filled: wiping the whole buffer would touch
       (and fault in) a MiB of pages a small dataset never used. */
    if (plain) {
        cx_wipe (plain, touched);
        free (plain);
    }
    if (plain2) {
        cx_wipe (plain2, touched);
        free (plain2);
    }
    free (sealed);
    cx_content_destroy (&key);
    cx_hash_destroy (&hash);
    return rc;
}

/* ---- subscribe ---------------------------------------------------------- */

int node_subscribe (node_t *n, const char *org, const char *topic, int64_t from_version)
{
    /* What flows into the organisation is a decision about the node, as
       peers are: admin. */
    if (node_check_org (n, "--from", org) != 0 || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (from_version < 0)
        return node_fail_input (n, "--history: a version is a whole number from 1");
    if (!node_authorize (n, NODE_ROLE_ADMIN, "subscribe", topic))
        return -1;
    store_peer_t peer;
    int r = store_peer_get (n->store, org, &peer);
    if (r == STORE_NOTFOUND)
        return node_fail (n, "%s is not a known peer: add its card first with cdx peer add FILE", org);
    if (r != 0)
        return node_fail (n, "%s", store_error (n->store));
    store_sub_t sub;
    memset (&sub, 0, sizeof sub);
    snprintf (sub.publisher, sizeof sub.publisher, "%s", org);
    snprintf (sub.subscriber, sizeof sub.subscriber, "%s", n->self.org);
    snprintf (sub.topic, sizeof sub.topic, "%s", topic);
    snprintf (sub.state, sizeof sub.state, "requested");
    sub.from_version = from_version;
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    if (store_begin (n->store) != 0 || store_sub_put (n->store, &sub) != 0 ||
        node_audit (n, actor, "subscribe", topic, org, "allow", "local.subscribe",
                    "subscription to %s from %s requested", topic, org) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "%s", store_error (n->store));
        store_rollback (n->store);
        return -1;
    }
    node_kick (n);
    return 0;
}

int node_unsubscribe (node_t *n, const char *org, const char *topic, int as_publisher)
{
    if (node_check_org (n, as_publisher ? "--subscriber" : "--from", org) != 0 ||
        node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (!node_authorize (n, NODE_ROLE_ADMIN, "unsubscribe", topic))
        return -1;
    store_sub_t sub;
    const char *publisher = as_publisher ? n->self.org : org;
    const char *subscriber = as_publisher ? org : n->self.org;
    int r = store_sub_get (n->store, publisher, subscriber, topic, &sub);
    if (r == STORE_NOTFOUND)
        return node_fail (n, "no subscription of %s to %s from %s: cdx subscriptions lists them", subscriber,
                          topic, publisher);
    if (r != 0)
        return node_fail (n, "%s", store_error (n->store));
    char actor[160];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    if (store_begin (n->store) != 0)
        return node_fail (n, "%s", store_error (n->store));
    /* As subscriber the publisher still has to be told ("ending"); the
       node sends UNSUBSCRIBE and records "ended" on the answer. */
    snprintf (sub.state, sizeof sub.state, "%s", as_publisher ? "ended" : "ending");
    int cancelled = 0;
    if (store_sub_put (n->store, &sub) != 0 ||
        (as_publisher &&
         (cancelled = store_delivery_cancel (n->store, publisher, topic, subscriber, "unsubscribed")) < 0) ||
        node_audit (n, actor, "unsubscribe", topic, org, "allow", "local.subscribe",
                    "subscription of %s to %s from %s ended%s; %d pending deliveries cancelled", subscriber, topic,
                    publisher, as_publisher ? "" : " (the publisher is told)", cancelled) != 0 ||
        store_commit (n->store) != 0) {
        node_fail (n, "%s", store_error (n->store));
        store_rollback (n->store);
        return -1;
    }
    node_kick (n);
    return 0;
}

typedef struct {
    const char *publisher, *topic;
    int64_t version, best;
    char id[33];
} s_find_t;

static int s_find_one (const store_dataset_t *d, void *arg)
{
    s_find_t *f = arg;
    if (strcmp (d->topic, f->topic) != 0 || (f->publisher && strcmp (d->publisher, f->publisher) != 0))
        return 0;
    if ((f->version && d->version == f->version) || (!f->version && d->version > f->best)) {
        f->best = d->version;
        memcpy (f->id, d->id, sizeof f->id);
    }
    return 0;
}

int node_find (node_t *n, const char *publisher, const char *topic, int64_t version, char id_out[33])
{
    if ((publisher && node_check_org (n, "--from", publisher) != 0) || node_check_topic (n, "--topic", topic) != 0)
        return -1;
    if (version < 0)
        return node_fail_input (n, "--version: a version is a whole number from 1");
    s_find_t f = {publisher, topic, version, 0, ""};
    if (store_dataset_each (n->store, s_find_one, &f) < 0)
        return node_fail (n, "%s", store_error (n->store));
    if (!f.id[0]) {
        if (version)
            return node_fail (n, "no version %lld of %s here: cdx datasets lists what this node holds",
                              (long long) version, topic);
        return node_fail (n, "no dataset of topic %s here: cdx datasets lists what this node holds", topic);
    }
    memcpy (id_out, f.id, 33);
    return 0;
}

/* Datasets whose id starts with a prefix: how many, and the first few. */
#define S_CANDIDATES_SHOWN 4
typedef struct {
    char prefix[33];
    size_t len;
    int count;
    char ids[S_CANDIDATES_SHOWN][33];
    char what[S_CANDIDATES_SHOWN][160];
} s_prefix_t;

static int s_prefix_one (const store_dataset_t *d, void *arg)
{
    s_prefix_t *p = arg;
    if (strncmp (d->id, p->prefix, p->len) != 0)
        return 0;
    if (p->count < S_CANDIDATES_SHOWN) {
        memcpy (p->ids[p->count], d->id, 33);
        snprintf (p->what[p->count], sizeof p->what[0], "%s v%lld", d->topic, (long long) d->version);
    }
    p->count++;
    return 0;
}

int node_resolve_id (node_t *n, const char *text, char id_out[33])
{
    size_t len = text ? strlen (text) : 0;
    s_prefix_t p = {.len = len};
    for (size_t i = 0; i < len && i < 32; i++)
        p.prefix[i] = (char) ((text[i] >= 'A' && text[i] <= 'F') ? text[i] - 'A' + 'a' : text[i]);
    if (len < NODE_ID_PREFIX_MIN || len > 32 || strspn (p.prefix, "0123456789abcdef") != len)
        return node_fail_input (n, "ID: a dataset id is 32 hex digits, or its first %d or more (cdx datasets "
                                "lists them), not \"%.40s\"", NODE_ID_PREFIX_MIN, text ? text : "");
    if (len == 32) {                         /* whole: it may not be here yet (cdx wait) */
        memcpy (id_out, p.prefix, 33);
        return 0;
    }
    if (store_dataset_each (n->store, s_prefix_one, &p) < 0)
        return node_fail (n, "%s", store_error (n->store));
    if (p.count == 0)
        return node_fail (n, "no dataset here has an id starting %s: cdx datasets lists what this node holds",
                          p.prefix);
    if (p.count > 1) {
        char list[S_CANDIDATES_SHOWN * 200] = "";
        for (int i = 0; i < p.count && i < S_CANDIDATES_SHOWN; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s (%s)", i ? ", " : "", p.ids[i],
                      p.what[i]);
        return node_fail_input (n, "ID %s is ambiguous: %d datasets start with it: %s%s; give more digits",
                                p.prefix, p.count, list, p.count > S_CANDIDATES_SHOWN ? ", ..." : "");
    }
    memcpy (id_out, p.ids[0], 33);
    return 0;
}

/* ---- export ------------------------------------------------------------- */

/* 1 if ID is a dataset id as cdx prints them: 32 lower-case hex digits. */
static int s_dataset_id (const char *id)
{
    if (!id || strlen (id) != 32)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int node_dataset_object (node_t *n, const char *id, char *object, size_t cap, char *publisher)
{
    snprintf (object, cap, "%s", id ? id : "");
    if (publisher)
        publisher[0] = 0;
    store_dataset_t *d = s_dataset_id (id) ? malloc (sizeof *d) : NULL;
    if (!d)
        return 0;
    int held = store_dataset_get (n->store, id, d) == 0;
    if (held) {
        snprintf (object, cap, "%s v%lld %s", d->topic, (long long) d->version, d->id);
        if (publisher)
            snprintf (publisher, 17, "%s", d->publisher);
    }
    free (d);
    return held;
}

cx_content_t *node_unwrap (node_t *n, const uint8_t wrapped[CX_WRAPPEDBYTES])
{
    cx_content_t *k = cx_content_unwrap (wrapped, n->box);
    for (size_t i = 0; !k && i < n->nold_box; i++)
        k = cx_content_unwrap (wrapped, n->old_box[i]);
    return k;
}

int node_own_sign_key (const node_t *n, const uint8_t pk[32])
{
    if (memcmp (pk, cx_keypair_public (n->sign), 32) == 0)
        return 1;
    for (size_t i = 0; i < n->nold_sign; i++)
        if (memcmp (pk, n->old_sign_pk[i], 32) == 0)
            return 1;
    return 0;
}

cx_content_t *node_content_key (node_t *n, const store_dataset_t *d)
{
    cx_content_t *k = node_unwrap (n, d->wrapped);
    if (!k)
        node_fail (n, "dataset %s: cannot open its content key: %s", d->id, cx_error ());
    return k;
}

/* Decrypts every chunk of D from the sealed file IN into OUT, checking the
   signed hash. 0, or -1 (node_error). */
static int s_export_copy (node_t *n, const store_dataset_t *d, int in, node_outfile_t *out,
                          node_progress_fn *progress, void *arg)
{
    int rc = -1;
    uint8_t *sealed = malloc ((size_t) d->chunk_size + CX_CHUNK_ABYTES);
    uint8_t *plain = malloc ((size_t) d->chunk_size);
    cx_hash_t *hash = cx_hash_new ();
    cx_content_t *key = node_content_key (n, d);
    uint8_t dsid[16];
    if (!key)
        goto out;
    if (!sealed || !plain || !hash) {
        node_fail (n, "out of memory");
        goto out;
    }
    if (cx_unhex (d->id, dsid, sizeof dsid) != 0) {
        node_fail (n, "corrupt dataset id %s", d->id);
        goto out;
    }
    uint64_t done = 0;
    for (int64_t i = 0; i < d->chunks; i++) {
        int64_t want = d->chunk_size;
        if (i == d->chunks - 1)
            want = d->bytes - d->chunk_size * (d->chunks - 1);
        size_t slen = (size_t) want + CX_CHUNK_ABYTES;
        ssize_t got = pread (in, sealed, slen, node_chunk_offset (d->chunk_size, i));
        if (got != (ssize_t) slen) {
            node_fail (n, "dataset %s: chunk %lld is missing from its sealed file", d->id, (long long) i);
            goto out;
        }
        if (cx_chunk_open (key, dsid, (uint64_t) i, sealed, slen, plain) != 0) {
            node_fail (n, "dataset %s: chunk %lld fails authentication (altered on disk?)", d->id, (long long) i);
            goto out;
        }
        cx_hash_update (hash, plain, (size_t) want);
        if (node_outfile_write (out, plain, (size_t) want, n->err, sizeof n->err) != 0)
            goto out;
        done += (uint64_t) want;
        if (progress)
            progress (done, (uint64_t) d->bytes, arg);
    }
    uint8_t digest[32];
    cx_hash_final (hash, digest);
    if (memcmp (digest, d->hash, 32) != 0) {
        node_fail (n, "dataset %s: content hash differs from the signed manifest", d->id);
        goto out;
    }
    rc = 0;
out:
    if (plain) {
        cx_wipe (plain, (size_t) d->chunk_size);
        free (plain);
    }
    free (sealed);
    cx_content_destroy (&key);
    cx_hash_destroy (&hash);
    return rc;
}

/* The export is decided again once its plaintext is complete, inside the
   write transaction that records it: a role removed or an agreement
   revoked while it ran stops it, and the entry follows the change in the
   log. The file is put in place only under that decision, and the entry
   is committed with it or the file taken back. 0; -1 with *RULE set
   to the refusing rule (or left alone for a plain failure). */
static int s_export_finish (node_t *n, const store_dataset_t *d, const char *purpose, node_outfile_t *out,
                            const char *actor, const char *object, const char **rule)
{
    if (node_outfile_sync (out, n->err, sizeof n->err) != 0)   /* not under the store's lock */
        return -1;
    if (store_begin (n->store) != 0)
        return node_fail (n, "%s", store_error (n->store));
    const char *refused = NULL;
    store_dataset_t *now = calloc (1, sizeof *now);
    if (!now) {
        node_fail (n, "out of memory");
        goto fail;
    }
    int got = store_dataset_get (n->store, d->id, now);
    if (got < 0) {
        node_fail (n, "%s", store_error (n->store));
        goto fail;
    }
    if (got != 0 || (strcmp (now->state, "available") != 0 && strcmp (now->state, "published") != 0)) {
        node_fail (n, "dataset %s was %s while the export ran; nothing was written", d->id,
                   strcmp (now->state, "erased") == 0 ? "erased" : "changed");
        goto fail;
    }
    if (node_refresh_roles (n) != 0)
        goto fail;
    if (!(node_roles (n) & NODE_ROLE_ANALYST)) {
        refused = "role.missing";
        node_fail (n, "export needs the analyst role, which %s no longer holds (it was removed while the "
                   "export ran); nothing was written", node_login (n));
        goto fail;
    }
    if ((refused = node_export_allowed (n, now, purpose)) != NULL)
        goto fail;
    if (node_outfile_commit (out, n->err, sizeof n->err) != 0)
        goto fail;
    if (node_audit_purpose (n, actor, "export", object, d->publisher, purpose, "allow", *rule,
                            "%lld bytes decrypted to %s", (long long) d->bytes, node_outfile_path (out)) != 0 ||
        store_commit (n->store) != 0) {
        node_outfile_retract (out);
        node_fail (n, "cannot record the export in the audit log (%s): the file was removed", store_error (n->store));
        goto fail;
    }
    free (now);
    return 0;
fail:
    free (now);
    store_rollback (n->store);
    if (refused) {
        *rule = refused;
        n->refused = 1;
    }
    return -1;
}

int node_export (node_t *n, const char *id, const char *out_path, const char *purpose,
                 node_progress_fn *progress, void *arg)
{
    /* The values given are checked before anything is audited: a purpose
       missing or out of the vocabulary is a mistyped command, not a claim
       to log. */
    if (!s_dataset_id (id))
        return node_fail_input (n, "a dataset id is 32 hex digits (cdx datasets lists them)");
    if (purpose && *purpose && !proto_purpose_known (purpose))
        return node_fail_input (n, "--purpose must be one of %s", proto_purposes_list ());
    if (!out_path || !*out_path || strlen (out_path) >= NODE_PATH_MAX)
        return node_fail_input (n, "-o FILE: a path of 1 to %d bytes", NODE_PATH_MAX - 1);
    const char *rule = "local.export", *claimed = purpose ? purpose : "";
    store_dataset_t *d = malloc (sizeof *d);
    if (!d)
        return node_fail (n, "out of memory");
    int rc = -1, in = -1;
    node_outfile_t *out = NULL;
    char object[129], actor[160];
    /* Every refusal from here on, the role's too, names what was asked as
       an allowed export does: the dataset (topic, version, id), its
       publisher and the purpose claimed. */
    int r = store_dataset_get (n->store, id, d);
    if (r != 0 && r != STORE_NOTFOUND) {
        free (d);
        return node_fail (n, "%s", store_error (n->store));
    }
    if (!*claimed) {
        if (r == 0)
            node_fail_input (n, "export of %s needs a declared purpose: --purpose %s (the purpose it was published "
                             "for)", id, d->purpose);
        else
            node_fail_input (n, "--purpose is required: the purpose the dataset was published for (one of %s)",
                             proto_purposes_list ());
        free (d);
        return -1;
    }
    node_dataset_object (n, id, object, sizeof object, NULL);
    node_claim_t claim = {"export", object, r == 0 ? d->publisher : NULL, claimed, NULL};
    if (!node_authorize_claim (n, NODE_ROLE_ANALYST, &claim)) {
        free (d);
        return -1;
    }
    node_actor (n, NODE_ROLE_ANALYST, actor, sizeof actor);
    if (r == STORE_NOTFOUND) {
        node_fail (n, "no dataset %s here: cdx datasets lists what this node holds", id);
        goto out;
    }
    const char *refused = node_export_allowed (n, d, purpose);
    if (refused) {
        rule = refused;
        n->refused = 1;
        goto out;
    }
    if (strcmp (d->state, "available") != 0 && strcmp (d->state, "published") != 0) {
        node_fail (n, "dataset %s is %s, not available: wait for it to arrive", id, d->state);
        goto out;
    }
    out = node_outfile_new (out_path, 0600, n->err, sizeof n->err);
    if (!out)
        goto out;
    char path[NODE_PATH_MAX];
    node_data_path (n, d->id, path, sizeof path);
    in = open (path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        node_fail (n, "cannot open %s: %s", path, strerror (errno));
        goto out;
    }
    if (s_export_copy (n, d, in, out, progress, arg) != 0 ||
        s_export_finish (n, d, claimed, out, actor, object, &rule) != 0)
        goto out;
    rc = 0;
out:
    if (r == 0 && rc != 0) {
        char why[NODE_ERR_MAX];
        snprintf (why, sizeof why, "%s", n->err);
        node_audit_purpose (n, actor, "export", object, d->publisher, claimed, "refuse", rule, "%s", why);
        snprintf (n->err, sizeof n->err, "%s", why);
        n->refused = strcmp (rule, "local.export") != 0;
    }
    if (in >= 0)
        close (in);
    node_outfile_destroy (&out);
    free (d);
    return rc;
}

/* ---- kick and liveness --------------------------------------------------- */

int node_running (node_t *n)
{
    char path[NODE_PATH_MAX];
    if (s_path (path, sizeof path, n->home, NODE_LOCK_FILE) != 0)
        return 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int running = 0;
    if (flock (fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        running = 1;
    close (fd);
    return running;
}

void node_kick (node_t *n)
{
    if (n->lock_fd >= 0 || !node_running (n))
        return;
    /* One datagram on a local socket: no ZeroMQ context, I/O threads or
       linger to wait for, so a publish returns as soon as it is recorded.
       Lost kicks cost nothing: the node rescans the store on any kick and
       on its timers. */
    struct sockaddr_un addr;
    if (node_kick_addr (n, &addr) != 0)
        return;
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void) sendto (fd, "kick", 4, MSG_DONTWAIT, (const struct sockaddr *) &addr, sizeof addr);
    close (fd);
}

int node_kick_addr (const node_t *n, struct sockaddr_un *addr)
{
    memset (addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    int len = snprintf (addr->sun_path, sizeof addr->sun_path, "%s/%s", n->home, NODE_KICK_FILE);
    return (len < 0 || (size_t) len >= sizeof addr->sun_path) ? -1 : 0;
}
