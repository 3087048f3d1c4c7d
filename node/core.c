/*  core.c: a node as every other node file sees it, through accessors:
    the private struct node, the reason of its last failure, its log, its
    run lock, its card's making and the paths of its home.

    Calls nothing above it in node/: the lifecycle (node.c) builds a node
    from here, and every operation reaches the node's store, identity and
    keys only through the functions below.

    Not for: opening or closing a node (node.c), the keys kept after
    rotations (keys.c), the user acting (access.c).
*/
#include <assert.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

struct node {
    char home[NODE_PATH_MAX];
    store_t *store;
    store_self_t self;
    char address[CARD_ADDR_MAX + 1]; /* ORG or ORG/LABEL, from self */
    cx_keypair_t *sign;
    cx_keypair_t *box;
    cx_keypair_t *curve;
    node_keyring_t *keyring;     /* keys kept after rotations (keys.c) */
    node_acting_t *acting;       /* the local user acting (access.c) */
    int lock_fd;                 /* held by node_run */
    int log_max;                 /* lines of a lower priority (a higher number) are dropped */
    int64_t audit_tried;         /* seq at the running node's last checkpoint attempt */
    int refused;                 /* the last failure was a rule's refusal */
    int invalid;                 /* the last failure was a value out of its grammar */
    char err[NODE_ERR_MAX];
};

const cx_keytype_t node_key_types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
const char *const node_key_names[3] = {"sign", "box", "curve"};

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

const char *node_error (const node_t *n)
{
    return n->err;
}

const char *node_org (const node_t *n)
{
    return n->self.org;
}

const char *node_address (const node_t *n)
{
    return n->address[0] ? n->address : n->self.org;
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

int node_rollback (node_t *n, const char *what)
{
    if (what)
        node_fail (n, "%s: %s", what, store_error (n->store));
    else
        node_fail (n, "%s", store_error (n->store));
    store_rollback (n->store);
    return -1;
}

void node_set_refused (node_t *n, int refused)
{
    n->refused = refused;
}

char *node_errbuf (node_t *n)
{
    return n->err;
}

void node_set_keys (node_t *n, cx_keypair_t *const kp[3], cx_keypair_t **old_box)
{
    cx_keypair_destroy (&n->sign);
    cx_keypair_destroy (&n->curve);
    *old_box = n->box;
    n->sign = kp[0];
    n->box = kp[1];
    n->curve = kp[2];
}

void node_set_card (node_t *n, const char *card)
{
    snprintf (n->self.card, sizeof n->self.card, "%s", card);
}

node_keyring_t *node_keyring (const node_t *n)
{
    return n->keyring;
}

void node_set_keyring (node_t *n, node_keyring_t *k)
{
    n->keyring = k;
}

node_acting_t *node_acting (const node_t *n)
{
    return n->acting;
}

void node_set_acting (node_t *n, node_acting_t *a)
{
    n->acting = a;
}

int64_t node_checkpoint_tried (const node_t *n)
{
    return n->audit_tried;
}

void node_set_checkpoint_tried (node_t *n, int64_t seq)
{
    n->audit_tried = seq;
}

int node_holds_run (const node_t *n)
{
    return n->lock_fd >= 0;
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

/* 1 if stderr is the journal's stream (systemd.exec(5): JOURNAL_STREAM is
   "DEVICE:INODE" of the stream it connected, and stderr is still it, not
   a file the service redirected it to). Looked at once per process. */
static int s_journal (void)
{
    static int known, journal;
    if (!known) {
        known = 1;
        const char *env = getenv ("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char end;
        if (env && sscanf (env, "%llu:%llu%c", &dev, &ino, &end) == 2 && fstat (STDERR_FILENO, &st) == 0)
            journal = (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
    }
    return journal;
}

/* A level's word as node_log takes it ("error", "warn", "info", "debug")
   as its priority; an unknown word is info. */
static int s_priority (const char *level)
{
    return strcmp (level, "error") == 0                                     ? NODE_LOG_ERROR
           : strcmp (level, "warn") == 0 || strcmp (level, "warning") == 0 ? NODE_LOG_WARNING
           : strcmp (level, "debug") == 0                                  ? NODE_LOG_DEBUG
                                                                            : NODE_LOG_INFO;
}

void node_set_log_level (node_t *n, int level)
{
    n->log_max = level;
}

void node_log (const node_t *n, const char *level, const char *fmt, ...)
{
    int prio = s_priority (level);
    if (prio > n->log_max)
        return;
    char raw[1024], line[4 * sizeof raw];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (raw, sizeof raw, fmt, ap);
    va_end (ap);
    /* One line per entry whatever it quotes (a peer's reason, a file
       name): a control character is written as \xHH, so nothing can end
       the line early or forge another (nor a journal entry). */
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *) raw; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t) snprintf (line + o, sizeof line - o, "\\x%02x", *p);
        else
            line[o++] = (char) *p;
    line[o] = 0;
    if (s_journal ()) {
        /* The journal stamps each line itself and reads its priority from
           the "<N>" prefix (sd-daemon(3)). */
        fprintf (stderr, "<%d>cdx[%s] %s: %s\n", prio, node_address (n), level, line);
        return;
    }
    char stamp[32];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf (stderr, "%s cdx[%s] %s: %s\n", stamp, node_address (n), level, line);
}

int node_join (char *buf, size_t cap, const char *home, const char *rel)
{
    int len = snprintf (buf, cap, "%s/%s", home, rel);
    return (len < 0 || (size_t) len >= cap) ? -1 : 0;
}

int node_key_path (char *buf, size_t cap, const char *home, int i)
{
    int len = snprintf (buf, cap, "%s/keys/%s.key", home, node_key_names[i]);
    return (len < 0 || (size_t) len >= cap) ? -1 : 0;
}

void node_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void) fsync (fd);
        close (fd);
    }
}

int node_make_card (const store_self_t *who, cx_keypair_t *const kp[3], char *out, size_t cap)
{
    card_t card;
    memset (&card, 0, sizeof card);
    snprintf (card.org, sizeof card.org, "%s", who->org);
    snprintf (card.node, sizeof card.node, "%s", who->node);
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

/* ---- for the lifecycle (node.c) ---------------------------------------- */

node_t *node_new (const char *home)
{
    node_t *n = calloc (1, sizeof *n);
    if (!n)
        return NULL;
    n->lock_fd = -1;
    n->log_max = NODE_LOG_INFO;
    snprintf (n->home, sizeof n->home, "%s", home);
    return n;
}

int node_open_store (node_t *n, const char *path, char *err, size_t errlen)
{
    char serr[256];
    n->store = store_open (path, 0, serr, sizeof serr);
    if (!n->store)
        return node_errf (err, errlen, "%s", serr);
    store_set_hasher (n->store, cx_hash_buf);   /* the audit chain's hash */
    if (store_self_get (n->store, &n->self) != 0)
        return node_errf (err, errlen, "store at %s has no identity: %s", path, store_error (n->store));
    if (card_address (n->self.org, n->self.node, n->address) != 0)
        return node_errf (err, errlen, "store at %s: this node's identity is damaged: %s", path, card_error ());
    return 0;
}

int node_load_keys (node_t *n, char *err, size_t errlen)
{
    cx_keypair_t **slots[3] = {&n->sign, &n->box, &n->curve};
    char path[NODE_PATH_MAX];
    for (int i = 0; i < 3; i++) {
        if (node_key_path (path, sizeof path, n->home, i) != 0)
            return -1;
        *slots[i] = cx_keypair_load (path, node_key_types[i]);
        if (!*slots[i])
            return node_errf (err, errlen, "%s", cx_error ());
    }
    return 0;
}

void node_free (node_t **n_p)
{
    if (!n_p || !*n_p)
        return;
    node_t *n = *n_p;
    assert (!n->keyring && !n->acting);
    store_close (&n->store);
    cx_keypair_destroy (&n->sign);
    cx_keypair_destroy (&n->box);
    cx_keypair_destroy (&n->curve);
    if (n->lock_fd >= 0)
        close (n->lock_fd);
    free (n);
    *n_p = NULL;
}
