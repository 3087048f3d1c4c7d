/*  store.c: opening a store, its schema, transactions and the statement
    cache (see store.h; what the files of store/ share is in store_int.h).

    What is here: opening the file with the settings several processes need
    to share it (the running node and CLI commands), the numbered schema
    migrations, the cache of prepared statements, reused for the life of
    the handle, the reasons for failures, transactions and the checks of
    the file as a whole. Each group of tables has a file of its own
    (peers.c, datasets.c, deliveries.c, agreements.c, audit.c, users.c),
    which copies between its rows and the fixed-size structs of rows.h;
    sql.c holds the helpers they bind, step and read with.

    Not for: deciding what the rows mean. The store does no policy, checks
    no signature and knows nothing of the wire; it keeps what it is given
    and gives back exactly that, or says why not. It includes nothing from
    crypto/, protocol/ or node/.

    All SQL is constant text; every value reaches SQLite as a bound
    parameter. A handle is for one thread at a time (SQLITE_OPEN_NOMUTEX).
*/
#include "store_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Several processes share the file; a writer waits this long for another
   one's transaction to finish before giving up with "database is locked". */
#define STORE_BUSY_TIMEOUT_MS 5000

/* ---- schema ----------------------------------------------------------

   Migration i takes PRAGMA user_version from i to i+1 and runs in its own
   transaction with the version bump. Never edit a migration that has
   shipped: add one. Datasets by publisher/topic are served by the index
   of UNIQUE (publisher, topic, version); deliveries by state have their
   own. The audit table refuses UPDATE and DELETE by trigger, so that not
   even another program on the file edits history through SQL by mistake;
   the hash chain (store.h) is what shows it if someone does it on purpose.
   Its seq is given explicitly by store_audit_append (the last one + 1),
   not by AUTOINCREMENT, because the hash covers it. Checkpoints are as
   append-only as the entries they sign.

   The versions, and what each migration changed (docs/OPERATIONS.md,
   "Upgrade"):
     1  the initial schema: self, peers, datasets, subscriptions,
        deliveries, audit and audit_checkpoints (append-only by trigger),
        trust, agreements (and datasets.agreement), users, retention
     2  subscriptions.rule and .reason: why a publisher refused one
     3  deliveries.status, session_bytes, session_ms, progress_at; peers.
        connected, last_seen; retention.delivered; rows of retention naming
        this node as publisher removed (they had never done anything)
        (release 0.1.0 shipped schema 3)
     4  subscriptions.resend: a store restored from a backup asks each
        publisher for the versions it lost (SPEC.md 11.1, RESEND)
     5  several nodes per organisation (SPEC.md 9.2): peers keyed by the
        node's address (ORG or ORG/LABEL) with its org and node label in
        columns of their own (each row's address is its org: every peer
        of before is an unlabelled node); self.node, this node's label
     6  datasets.origin: the node of this organisation a dataset was
        published at (SPEC.md 11.5, copies)
     7  subscriptions.origin and retention.origin: the node of this
        organisation where the setting was last made, '' for this node
        (SPEC.md 11.5, settings the siblings share)
   A store is migrated when any command or the node opens it, one
   transaction per step; a newer schema than this code knows is refused.
   tests/integration/t_upgrade.sh migrates a home made by 0.1.0
   (tests/data/home-0.1.0) and checks that everything in it is still there.
*/
static const char *const s_migrations[] = {
    /* 0 -> 1: initial schema */
    "CREATE TABLE self ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  org TEXT NOT NULL CHECK (org <> ''),"
    "  role TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  card TEXT NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE peers ("
    "  org TEXT PRIMARY KEY NOT NULL CHECK (org <> ''),"
    "  role TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  sign_pk BLOB NOT NULL CHECK (typeof (sign_pk) = 'blob' AND length (sign_pk) = 32),"
    "  box_pk BLOB NOT NULL CHECK (typeof (box_pk) = 'blob' AND length (box_pk) = 32),"
    "  curve_pk BLOB NOT NULL UNIQUE"
    "    CHECK (typeof (curve_pk) = 'blob' AND length (curve_pk) = 32),"
    "  card TEXT NOT NULL,"
    "  trust TEXT NOT NULL,"
    "  added INTEGER NOT NULL,"
    "  dspt TEXT NOT NULL DEFAULT '',"
    "  dspt_year TEXT NOT NULL DEFAULT '',"
    "  not_after INTEGER NOT NULL DEFAULT 0,"
    "  revoked INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE datasets ("
    "  id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),"
    "  publisher TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  version INTEGER NOT NULL CHECK (version >= 1),"
    "  class TEXT NOT NULL,"
    "  purpose TEXT NOT NULL,"
    "  filename TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
    "  chunk_size INTEGER NOT NULL CHECK (chunk_size >= 0),"
    "  chunks INTEGER NOT NULL CHECK (chunks >= 0),"
    "  hash BLOB NOT NULL CHECK (typeof (hash) = 'blob' AND length (hash) = 32),"
    "  manifest BLOB NOT NULL"
    "    CHECK (typeof (manifest) = 'blob' AND length (manifest) <= 4096),"
    "  sig BLOB NOT NULL CHECK (typeof (sig) = 'blob' AND length (sig) = 64),"
    "  wrapped BLOB NOT NULL CHECK (typeof (wrapped) = 'blob' AND length (wrapped) = 80),"
    "  state TEXT NOT NULL"
    "    CHECK (state IN ('published', 'receiving', 'available', 'failed', 'erased')),"
    "  next_chunk INTEGER NOT NULL CHECK (next_chunk >= 0 AND next_chunk <= chunks),"
    "  kind TEXT NOT NULL DEFAULT 'new'"
    "    CHECK (kind IN ('new', 'supersedes', 'correction')),"
    "  expires INTEGER NOT NULL DEFAULT 0 CHECK (expires >= 0),"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  UNIQUE (publisher, topic, version)"
    ");"
    "CREATE TABLE subscriptions ("
    "  publisher TEXT NOT NULL,"
    "  subscriber TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  state TEXT NOT NULL"
    "    CHECK (state IN ('requested', 'active', 'refused', 'ending', 'ended')),"
    "  from_version INTEGER NOT NULL CHECK (from_version >= 0),"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (publisher, subscriber, topic)"
    ");"
    "CREATE TABLE deliveries ("
    "  dataset TEXT NOT NULL REFERENCES datasets (id),"
    "  subscriber TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'failed',"
    "                                      'expired', 'superseded', 'cancelled')),"
    "  next_chunk INTEGER NOT NULL DEFAULT 0 CHECK (next_chunk >= 0),"
    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  error TEXT NOT NULL DEFAULT '',"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  receipt BLOB CHECK (receipt IS NULL OR (typeof (receipt) = 'blob'"
    "                      AND length (receipt) BETWEEN 1 AND 4096)),"
    "  receipt_sig BLOB CHECK (receipt_sig IS NULL OR (typeof (receipt_sig) = 'blob'"
    "                          AND length (receipt_sig) = 64)),"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (dataset, subscriber),"
    "  CHECK ((receipt IS NULL) = (receipt_sig IS NULL)),"
    "  CHECK (state <> 'delivered' OR receipt IS NOT NULL)"
    ");"
    "CREATE INDEX deliveries_by_state ON deliveries (state);"
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL CHECK (actor <> ''),"
    "  action TEXT NOT NULL CHECK (action <> ''),"
    "  object TEXT NOT NULL,"
    "  peer TEXT NOT NULL,"
    "  purpose TEXT NOT NULL DEFAULT '',"
    "  decision TEXT NOT NULL CHECK (decision IN ('allow', 'refuse')),"
    "  rule TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  hash BLOB NOT NULL CHECK (typeof (hash) = 'blob' AND length (hash) = 32)"
    ");"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
    "CREATE TABLE audit_checkpoints ("
    "  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
    "  hash BLOB NOT NULL CHECK (typeof (hash) = 'blob' AND length (hash) = 32),"
    "  sig BLOB NOT NULL CHECK (typeof (sig) = 'blob' AND length (sig) = 64),"
    "  at INTEGER NOT NULL"
    ");"
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints"
    "  BEGIN SELECT RAISE (ABORT, 'audit checkpoints are append-only'); END;"
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints"
    "  BEGIN SELECT RAISE (ABORT, 'audit checkpoints are append-only'); END;"
    /* trust: the national authority this node trusts ("authority") and
       the newest signed directory it accepted ("directory"), as text. */
    "CREATE TABLE trust ("
    "  name TEXT PRIMARY KEY NOT NULL CHECK (name IN ('authority', 'directory')),"
    "  value TEXT NOT NULL CHECK (length (value) BETWEEN 1 AND 4194304),"
    "  updated INTEGER NOT NULL"
    ");"
    /* data sharing agreements, and the agreement received data came under */
    "ALTER TABLE datasets ADD COLUMN agreement TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE agreements ("
    "  ref TEXT PRIMARY KEY NOT NULL CHECK (ref <> ''),"
    "  hash BLOB NOT NULL UNIQUE CHECK (typeof (hash) = 'blob' AND length (hash) = 32),"
    "  doc BLOB NOT NULL CHECK (typeof (doc) = 'blob' AND length (doc) BETWEEN 1 AND 4096),"
    "  provider TEXT NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  sig_provider BLOB NOT NULL CHECK (typeof (sig_provider) = 'blob'"
    "                                     AND length (sig_provider) = 64),"
    "  sig_recipient BLOB NOT NULL CHECK (typeof (sig_recipient) = 'blob'"
    "                                      AND length (sig_recipient) = 64),"
    "  start INTEGER NOT NULL,"
    "  end_at INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0,"
    "  revoked_by TEXT NOT NULL DEFAULT '',"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  pushed INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE INDEX agreements_by_parties ON agreements (provider, recipient);"
    /* Local users (operating-system logins) and their roles; retention of
       received datasets per publisher and topic. */
    "CREATE TABLE users ("
    "  login TEXT PRIMARY KEY NOT NULL CHECK (login <> '' AND length (login) <= 64),"
    "  roles TEXT NOT NULL,"
    "  added_by TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE TABLE retention ("
    "  publisher TEXT NOT NULL CHECK (publisher <> ''),"
    "  topic TEXT NOT NULL CHECK (topic <> ''),"
    "  seconds INTEGER NOT NULL CHECK (seconds >= 1),"
    "  set_by TEXT NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (publisher, topic)"
    ");",
    /* 1 -> 2: why a publisher refused a subscription (state refused): the
       rule and the words of its ERROR, empty otherwise. */
    "ALTER TABLE subscriptions ADD COLUMN rule TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (rule) <= 47);"
    "ALTER TABLE subscriptions ADD COLUMN reason TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (reason) <= 256);",
    /* 2 -> 3: what the running node says of its work for listings (a
       delivery's progress in the current attempt and why it waits; whether
       a peer is connected and when it was last seen), and the retention of
       a publisher's own content once every delivery of it has ended. */
    "ALTER TABLE deliveries ADD COLUMN status TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE deliveries ADD COLUMN session_bytes INTEGER NOT NULL DEFAULT 0"
    "  CHECK (session_bytes >= 0);"
    "ALTER TABLE deliveries ADD COLUMN session_ms INTEGER NOT NULL DEFAULT 0"
    "  CHECK (session_ms >= 0);"
    "ALTER TABLE deliveries ADD COLUMN progress_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE peers ADD COLUMN connected INTEGER NOT NULL DEFAULT 0"
    "  CHECK (connected IN (0, 1));"
    "ALTER TABLE peers ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE retention ADD COLUMN delivered INTEGER NOT NULL DEFAULT 0"
    "  CHECK (delivered IN (0, 1));"
    /* A row naming this node as publisher now rules its published
       content; one written before (cdx retention set --from SELF, which
       did nothing) must not start destroying it: such rows go. */
    "DELETE FROM retention WHERE publisher IN (SELECT org FROM self);",
    /* 3 -> 4: a subscriber restored from a backup asks each publisher for
       the versions it lost since (SPEC.md 11.1, RESEND) until answered. */
    "ALTER TABLE subscriptions ADD COLUMN resend INTEGER NOT NULL DEFAULT 0"
    "  CHECK (resend IN (0, 1));",
    /* 4 -> 5: a peer is a node, keyed by its address; an organisation
       may have several (SPEC.md 9.2). The table is rebuilt (SQLite
       cannot change a primary key in place), its rows copied. */
    "ALTER TABLE self ADD COLUMN node TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (node) <= 8);"
    "CREATE TABLE peers_5 ("
    "  address TEXT PRIMARY KEY NOT NULL CHECK (address <> '' AND length (address) <= 14),"
    "  org TEXT NOT NULL CHECK (org <> ''),"
    "  node TEXT NOT NULL DEFAULT '' CHECK (length (node) <= 8),"
    "  role TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  sign_pk BLOB NOT NULL CHECK (typeof (sign_pk) = 'blob' AND length (sign_pk) = 32),"
    "  box_pk BLOB NOT NULL CHECK (typeof (box_pk) = 'blob' AND length (box_pk) = 32),"
    "  curve_pk BLOB NOT NULL UNIQUE"
    "    CHECK (typeof (curve_pk) = 'blob' AND length (curve_pk) = 32),"
    "  card TEXT NOT NULL,"
    "  trust TEXT NOT NULL,"
    "  added INTEGER NOT NULL,"
    "  dspt TEXT NOT NULL DEFAULT '',"
    "  dspt_year TEXT NOT NULL DEFAULT '',"
    "  not_after INTEGER NOT NULL DEFAULT 0,"
    "  revoked INTEGER NOT NULL DEFAULT 0,"
    "  connected INTEGER NOT NULL DEFAULT 0 CHECK (connected IN (0, 1)),"
    "  last_seen INTEGER NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO peers_5 (address, org, node, role, name, endpoint, sign_pk, box_pk, curve_pk, card,"
    "  trust, added, dspt, dspt_year, not_after, revoked, connected, last_seen)"
    "  SELECT org, org, '', role, name, endpoint, sign_pk, box_pk, curve_pk, card, trust, added,"
    "  dspt, dspt_year, not_after, revoked, connected, last_seen FROM peers;"
    "DROP TABLE peers;"
    "ALTER TABLE peers_5 RENAME TO peers;"
    "CREATE INDEX peers_by_org ON peers (org);",
    /* 5 -> 6: the node of this organisation a dataset was published at
       (its origin), so a sibling's copy is told from one's own. */
    "ALTER TABLE datasets ADD COLUMN origin TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (origin) <= 14);",
    /* 6 -> 7: the node of this organisation where a subscription or a
       retention period was last set ('' = this node), so that siblings
       apply each other's settings newest first (SPEC.md 11.5). */
    "ALTER TABLE subscriptions ADD COLUMN origin TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (origin) <= 14);"
    "ALTER TABLE retention ADD COLUMN origin TEXT NOT NULL DEFAULT ''"
    "  CHECK (length (origin) <= 14);",
};
_Static_assert(sizeof s_migrations / sizeof s_migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- this file's statements ------------------------------------------ */

enum { DB_BEGIN, DB_COMMIT, DB_ROLLBACK, DB_INTEGRITY, DB_USER_VERSION, DB__COUNT };

static const char *const s_sql[DB__COUNT] = {
    [DB_BEGIN] = "BEGIN IMMEDIATE",
    [DB_COMMIT] = "COMMIT",
    [DB_ROLLBACK] = "ROLLBACK",
    [DB_INTEGRITY] = "PRAGMA integrity_check",
    [DB_USER_VERSION] = "PRAGMA user_version",
};
SQ_STATEMENTS (db, s_sql, DB__COUNT);
#define STMT(id) sq_stmt (s, &sq_statements_db, (id))

/* ---- the statement cache ------------------------------------------------ */

/* Every file's statements, in the order of SQ_FILES. */
static const sq_statements_t *const s_files[SQ_FILE__COUNT] = {
#define SQ_FILE_REF(name) &sq_statements_##name,
    SQ_FILES (SQ_FILE_REF)
#undef SQ_FILE_REF
};

sqlite3_stmt *sq_stmt (store_t *s, const sq_statements_t *set, int id)
{
    assert (id >= 0 && id < set->count);
    sqlite3_stmt **st = &s->st[set->file][id];
    if (!*st && sqlite3_prepare_v3 (s->db, set->sql[id], -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
                    SQLITE_OK) {
        sq_dbfail (s, "cannot prepare \"%.40s\"", set->sql[id]);
        return NULL;
    }
    return *st;
}

int store_prepare_all (store_t *s)
{
    for (int f = 0; f < SQ_FILE__COUNT; f++)
        for (int i = 0; i < s_files[f]->count; i++)
            if (!sq_stmt (s, s_files[f], i)) return -1;
    return 0;
}

/* ---- reasons ------------------------------------------------------------ */

int sq_vfail (store_t *s, const char *then, const char *fmt, va_list ap)
{
    vsnprintf (s->err, sizeof s->err, fmt, ap);
    if (then) {
        size_t len = strlen (s->err);
        snprintf (s->err + len, sizeof s->err - len, ": %s", then);
    }
    return -1;
}

int sq_fail (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    sq_vfail (s, NULL, fmt, ap);
    va_end (ap);
    return -1;
}

int sq_dbfail (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    sq_vfail (s, sqlite3_errmsg (s->db), fmt, ap);
    va_end (ap);
    return -1;
}

int sq_notfound (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    sq_vfail (s, NULL, fmt, ap);
    va_end (ap);
    return STORE_NOTFOUND;
}

/* The reason is copied first: FMT's text is written over it. */
int sq_refail (store_t *s, const char *fmt, ...)
{
    char why[STORE_ERR_MAX];
    snprintf (why, sizeof why, "%s", s->err);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s->err, sizeof s->err, fmt, ap);
    va_end (ap);
    size_t len = strlen (s->err);
    snprintf (s->err + len, sizeof s->err - len, "%s", why);
    return -1;
}

/* ---- opening ---------------------------------------------------------- */

/* One-off statement during open (pragmas, migrations). */
static int s_exec (store_t *s, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec (s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sq_fail (s, "%s: %s", what, msg ? msg : sqlite3_errmsg (s->db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

/* Runs a one-row query during open and gives its first column as text
   (into BUF) or as an integer. -1 if it returns no row. */
static int s_query (store_t *s, const char *sql, char *buf, size_t cap, int64_t *num)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (sqlite3_prepare_v2 (s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sq_dbfail (s, "cannot run %s", sql);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        sq_fail (s, "%s returned nothing", sql);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        sq_dbfail (s, "cannot run %s", sql);
        goto out;
    }
    if (buf) {
        const unsigned char *t = sqlite3_column_text (st, 0);
        snprintf (buf, cap, "%s", t ? (const char *)t : "");
    }
    if (num) *num = sqlite3_column_int64 (st, 0);
    ret = 0;
out:
    sqlite3_finalize (st);
    return ret;
}

/* Brings the schema to STORE_SCHEMA_VERSION, one migration per
   transaction. The version is read again under the write lock, so two
   processes opening a new file at once migrate it once. */
static int s_migrate (store_t *s, const char *path, int create)
{
    int64_t v;
    if (s_query (s, "PRAGMA user_version", NULL, 0, &v) != 0) return -1;
    if (v == STORE_SCHEMA_VERSION) return 0;
    for (;;) {
        if (s_exec (s, "BEGIN IMMEDIATE", "cannot lock the store to upgrade it") != 0) return -1;
        if (s_query (s, "PRAGMA user_version", NULL, 0, &v) != 0) goto fail;
        if (v == STORE_SCHEMA_VERSION) break;
        if (v > STORE_SCHEMA_VERSION) {
            sq_fail (s,
                     "store at %s has schema version %lld, newer than the %d this cdx knows: "
                     "upgrade cdx",
                     path, (long long)v, STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (v < 0) {
            sq_fail (s, "%s is not a cdx store (schema version %lld)", path, (long long)v);
            goto fail;
        }
        if (v == 0) {
            int64_t objects;
            if (s_query (s, "SELECT count(*) FROM sqlite_master", NULL, 0, &objects) != 0)
                goto fail;
            if (objects > 0) {
                sq_fail (s, "%s is an SQLite database but not a cdx store", path);
                goto fail;
            }
            if (!create) {
                sq_fail (s, "no store at %s (the file is empty): run cdx init first", path);
                goto fail;
            }
        }
        char what[64];
        snprintf (what, sizeof what, "cannot upgrade the store to version %lld", (long long)v + 1);
        if (s_exec (s, s_migrations[v], what) != 0) goto fail;
        /* PRAGMA takes no parameters; the value is our own integer. */
        char bump[48];
        snprintf (bump, sizeof bump, "PRAGMA user_version = %lld", (long long)v + 1);
        if (s_exec (s, bump, what) != 0 || s_exec (s, "COMMIT", what) != 0) goto fail;
    }
    return s_exec (s, "COMMIT", "cannot open the store");
fail:
    sqlite3_exec (s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* A new store file is made 0600 before SQLite opens it (SQLite gives its
   -wal and -shm files the same mode): the audit log is nobody else's
   business. */
static int s_precreate (store_t *s, const char *path, int create)
{
    struct stat sb;
    if (stat (path, &sb) == 0) {
        if (!S_ISREG (sb.st_mode)) return sq_fail (s, "%s is not a regular file", path);
        return 0;
    }
    if (errno != ENOENT)
        return sq_fail (s, "cannot use the store at %s: %s", path, strerror (errno));
    if (!create) return sq_fail (s, "no store at %s: run cdx init first", path);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return sq_fail (s, "cannot create the store %s: %s", path, strerror (errno));
    if (fd >= 0) close (fd);
    return 0;
}

static int s_setup (store_t *s, const char *path, int create)
{
    if (s_precreate (s, path, create) != 0) return -1;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2 (path, &s->db, flags, NULL) != SQLITE_OK) {
        if (!s->db) return sq_fail (s, "cannot open the store %s: out of memory", path);
        return sq_dbfail (s, "cannot open the store %s", path);
    }
    sqlite3_extended_result_codes (s->db, 1);

    /* The timeout first: changing the journal mode needs a lock that the
       node may be holding. */
    char busy[48];
    snprintf (busy, sizeof busy, "PRAGMA busy_timeout = %d", STORE_BUSY_TIMEOUT_MS);
    if (s_exec (s, busy, "cannot set up the store") != 0) return -1;
    char mode[16];
    if (s_query (s, "PRAGMA journal_mode = WAL", mode, sizeof mode, NULL) != 0) {
        size_t len = strlen (s->err);
        snprintf (s->err + len, sizeof s->err - len, " (store %s)", path);
        return -1;
    }
    if (strcmp (mode, "wal") != 0)
        return sq_fail (s, "cannot put the store %s in WAL mode (journal mode is %s)", path, mode);
    if (s_exec (s, "PRAGMA synchronous = NORMAL", "cannot set up the store") != 0 ||
        s_exec (s, "PRAGMA foreign_keys = ON", "cannot set up the store") != 0)
        return -1;
    int64_t fk = 0;
    if (s_query (s, "PRAGMA foreign_keys", NULL, 0, &fk) != 0)
        return -1;
    if (fk != 1)
        return sq_fail (s, "this SQLite does not enforce foreign keys");

    if (s_migrate (s, path, create) != 0) return -1;

    return 0;
}

store_t *store_open (const char *path, int create, char *err, size_t errlen)
{
    store_t *s = calloc (1, sizeof *s);
    if (!s) {
        if (err && errlen) snprintf (err, errlen, "out of memory");
        return NULL;
    }
    snprintf (s->err, sizeof s->err, "no error");
    if (!path || !*path) {
        sq_fail (s, "no store path given");
        goto fail;
    }
    if (s_setup (s, path, create) != 0) goto fail;
    return s;
fail:
    if (err && errlen) snprintf (err, errlen, "%s", s->err);
    store_close (&s);
    return NULL;
}

void store_close (store_t **s_p)
{
    if (!s_p || !*s_p) return;
    store_t *s = *s_p;
    for (int f = 0; f < SQ_FILE__COUNT; f++)
        for (int i = 0; i < SQ_FILE_STMT_MAX; i++)
            sqlite3_finalize (s->st[f][i]);
    /* An open transaction is rolled back by SQLite. */
    sqlite3_close_v2 (s->db);
    free (s);
    *s_p = NULL;
}

const char *store_error (const store_t *s)
{
    return s ? s->err : "no store";
}

int store_schema_version (store_t *s)
{
    assert (s);
    return (int)sq_int (s, STMT (DB_USER_VERSION), SQLITE_OK, "cannot read the schema version");
}

/* ---- transactions ------------------------------------------------------

   sq_begin, sq_commit and sq_rollback are the statements alone, for a
   function of store/ that opens its own transaction (the audit log): the
   checks of the store_ functions are the caller's. */

int sq_begin (store_t *s, const char *what)
{
    return sq_run (s, STMT (DB_BEGIN), what);
}

int sq_commit (store_t *s, const char *what)
{
    return sq_run (s, STMT (DB_COMMIT), what);
}

int sq_rollback (store_t *s, const char *what)
{
    return sq_run (s, STMT (DB_ROLLBACK), what);
}

int store_begin (store_t *s)
{
    assert (s);
    if (!sqlite3_get_autocommit (s->db))
        return sq_fail (s, "a transaction is already open (they do not nest)");
    if (sq_write_allowed (s, "cannot begin a transaction") != 0) return -1;
    return sq_begin (s, "cannot begin a transaction");
}

/* On failure the transaction may still be open: the caller rolls back. */
int store_commit (store_t *s)
{
    assert (s);
    if (sqlite3_get_autocommit (s->db)) return sq_fail (s, "no transaction is open to commit");
    return sq_commit (s, "cannot commit");
}

/* Nothing open (SQLite may already have rolled back after an error) is
   not an error, so error paths can always call this; it leaves the
   previous reason in place. */
int store_rollback (store_t *s)
{
    assert (s);
    if (sqlite3_get_autocommit (s->db)) return 0;
    return sq_rollback (s, "cannot roll back");
}

int store_sync (store_t *s)
{
    assert (s);
    sqlite3_file *wal = NULL;
    if (sqlite3_file_control (s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
        !wal || !wal->pMethods)
        return sq_fail (s, "cannot reach the store's write-ahead log to make it durable");
    if (wal->pMethods->xSync (wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
        return sq_fail (s,
                        "cannot make the store's write-ahead log durable (is the disk failing?)");
    return 0;
}

int store_check (store_t *s)
{
    assert (s);
    sqlite3_stmt *st = STMT (DB_INTEGRITY);
    int ret;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text (st, 0);
        if (t && strcmp ((const char *)t, "ok") == 0)
            ret = 0;
        else
            ret = sq_fail (s, "store integrity check failed: %s", t ? (const char *)t : "?");
    } else {
        ret = sq_dbfail (s, "cannot check the store");
    }
    sq_end (st);
    return ret;
}
