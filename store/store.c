/*  store.c: the node's durable state in one SQLite file (see store.h).

    What is here: opening the file with the settings several processes need
    to share it (the running node and CLI commands), the numbered schema
    migrations, one prepared statement per operation, reused for the life
    of the handle, and the copying between rows and the fixed-size structs
    of store.h. A value that does not fit its field is refused, never
    truncated; a blob of the wrong size is refused, never padded.

    Not for: deciding what the rows mean. The store does no policy, checks
    no signature and knows nothing of the wire; it keeps what it is given
    and gives back exactly that, or says why not. It includes nothing from
    crypto/, protocol/ or node/.

    All SQL is constant text; every value reaches SQLite as a bound
    parameter. A handle is for one thread at a time (SQLITE_OPEN_NOMUTEX).
*/
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* Several processes share the file; a writer waits this long for another
   one's transaction to finish before giving up with "database is locked". */
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_ERR_MAX 512

/* Sizes written into the schema's CHECK constraints below, tied to the
   structs so that changing one without the other fails to compile. */
#define FIELD_SIZE(type, field) sizeof (((type *)0)->field)
_Static_assert(FIELD_SIZE (store_peer_t, sign_pk) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_peer_t, box_pk) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_peer_t, curve_pk) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_dataset_t, hash) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_dataset_t, manifest) == 4096, "schema says 4096");
_Static_assert(FIELD_SIZE (store_dataset_t, sig) == 64, "schema says 64");
_Static_assert(FIELD_SIZE (store_dataset_t, wrapped) == 80, "schema says 80");
_Static_assert(FIELD_SIZE (store_delivery_t, receipt) == 4096, "schema says 4096");
_Static_assert(FIELD_SIZE (store_delivery_t, receipt_sig) == 64, "schema says 64");
_Static_assert(FIELD_SIZE (store_audit_t, hash) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_checkpoint_t, hash) == 32, "schema says 32");
_Static_assert(FIELD_SIZE (store_checkpoint_t, sig) == 64, "schema says 64");

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
};
_Static_assert(sizeof s_migrations / sizeof s_migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- statements ------------------------------------------------------

   Column lists are shared by the statements that read a table and the
   function that copies one of its rows, so their order is in one place. */
#define SELF_COLS "org, role, name, endpoint, card, created"
#define PEER_COLS                                                                                  \
    "org, role, name, endpoint, sign_pk, box_pk, curve_pk, card, trust, added, dspt, dspt_year, " \
    "not_after, revoked"
/* Columns the running node keeps up to date, read but never written by
   store_peer_put. */
#define PEER_READ_COLS PEER_COLS ", connected, last_seen"
#define DATASET_COLS                                                                               \
    "id, publisher, topic, version, class, purpose, filename, bytes, chunk_size, chunks, hash, "   \
    "manifest, sig, wrapped, state, next_chunk, kind, expires, created, updated, agreement"
#define AGREEMENT_COLS                                                                             \
    "ref, hash, doc, provider, recipient, sig_provider, sig_recipient, start, end_at, revoked, "   \
    "revoked_by, reason, pushed, created, updated"
#define SUB_COLS "publisher, subscriber, topic, state, from_version, created, updated, rule, reason"
#define DELIVERY_COLS                                                                              \
    "dataset, subscriber, state, next_chunk, attempts, error, receipt, receipt_sig, started, "     \
    "created, updated, status, session_bytes, session_ms, progress_at"
#define AUDIT_COLS "seq, at, actor, action, object, peer, purpose, decision, rule, detail, hash"
#define CHECKPOINT_COLS "seq, hash, sig, at"
#define USER_COLS "login, roles, added_by, created, updated"
#define RETENTION_COLS "publisher, topic, seconds, set_by, updated, delivered"

typedef enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INTEGRITY,
    ST_USER_VERSION,
    ST_SELF_SET,
    ST_SELF_GET,
    ST_SELF_CARD,
    ST_PEER_PUT,
    ST_PEER_GET,
    ST_PEER_BY_CURVE,
    ST_PEER_EACH,
    ST_PEER_SEEN,
    ST_PEER_ALL_OFFLINE,
    ST_DATASET_PUT,
    ST_DATASET_GET,
    ST_DATASET_PROGRESS,
    ST_DATASET_LAST,
    ST_DATASET_EACH,
    ST_DATASET_EACH_STATE,
    ST_DATASET_COUNT,
    ST_DATASET_TOUCH,
    ST_SUB_PUT,
    ST_SUB_GET,
    ST_SUB_EACH,
    ST_DELIVERY_ADD,
    ST_DELIVERY_GET,
    ST_DELIVERY_UPDATE,
    ST_DELIVERY_RECEIPT,
    ST_DELIVERY_PENDING,
    ST_DELIVERY_EACH,
    ST_DELIVERY_SUPERSEDE,
    ST_DELIVERY_CANCEL,
    ST_DELIVERY_PROGRESS,
    ST_DELIVERY_STATUS,
    ST_DELIVERY_EACH_DATASET,
    ST_AUDIT_APPEND,
    ST_AUDIT_EACH,
    ST_AUDIT_LAST,
    ST_AUDIT_TAIL,
    ST_CHECKPOINT_PUT,
    ST_CHECKPOINT_LAST,
    ST_CHECKPOINT_EACH,
    ST_TRUST_PUT,
    ST_TRUST_GET,
    ST_AGREEMENT_PUT,
    ST_AGREEMENT_GET,
    ST_AGREEMENT_BY_HASH,
    ST_AGREEMENT_EACH,
    ST_AGREEMENT_UNSIGNED,
    ST_DATASET_ERASE,
    ST_DATASET_RESIGN,
    ST_USER_PUT,
    ST_USER_GET,
    ST_USER_REMOVE,
    ST_USER_EACH,
    ST_RETENTION_PUT,
    ST_RETENTION_GET,
    ST_RETENTION_EACH,
    ST__COUNT
} s_stmt_id_t;

static const char *const s_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INTEGRITY] = "PRAGMA integrity_check",
    [ST_USER_VERSION] = "PRAGMA user_version",

    [ST_SELF_SET] = "INSERT INTO self (id, " SELF_COLS ") VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_SELF_GET] = "SELECT " SELF_COLS " FROM self WHERE id = 1",
    [ST_SELF_CARD] = "UPDATE self SET card = ?1 WHERE id = 1",

    [ST_PEER_PUT] = "INSERT INTO peers (" PEER_COLS ")"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                    " ON CONFLICT (org) DO UPDATE SET role = excluded.role,"
                    " name = excluded.name, endpoint = excluded.endpoint,"
                    " sign_pk = excluded.sign_pk, box_pk = excluded.box_pk,"
                    " curve_pk = excluded.curve_pk, card = excluded.card,"
                    " trust = excluded.trust, added = excluded.added,"
                    " dspt = excluded.dspt, dspt_year = excluded.dspt_year,"
                    " not_after = excluded.not_after, revoked = excluded.revoked",
    [ST_PEER_GET] = "SELECT " PEER_READ_COLS " FROM peers WHERE org = ?1",
    [ST_PEER_BY_CURVE] = "SELECT " PEER_READ_COLS " FROM peers WHERE curve_pk = ?1",
    [ST_PEER_EACH] = "SELECT " PEER_READ_COLS " FROM peers ORDER BY org",
    [ST_PEER_SEEN] = "UPDATE peers SET connected = ?2, last_seen = ?3 WHERE org = ?1",
    [ST_PEER_ALL_OFFLINE] = "UPDATE peers SET connected = 0 WHERE connected <> 0",

    [ST_DATASET_PUT] = "INSERT INTO datasets (" DATASET_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                       " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    [ST_DATASET_GET] = "SELECT " DATASET_COLS " FROM datasets WHERE id = ?1",
    [ST_DATASET_PROGRESS] = "UPDATE datasets SET state = ?2, next_chunk = ?3, updated = ?4"
                            " WHERE id = ?1",
    [ST_DATASET_LAST] = "SELECT COALESCE (MAX (version), 0) FROM datasets"
                        " WHERE publisher = ?1 AND topic = ?2",
    [ST_DATASET_EACH] = "SELECT " DATASET_COLS " FROM datasets ORDER BY publisher, topic, version",
    [ST_DATASET_EACH_STATE] = "SELECT " DATASET_COLS " FROM datasets WHERE state = ?1"
                              " ORDER BY updated, id",
    [ST_DATASET_COUNT] = "SELECT count(*) FROM datasets WHERE publisher = ?1 AND state = ?2",
    [ST_DATASET_TOUCH] = "UPDATE datasets SET updated = ?2 WHERE state = ?1",

    [ST_SUB_PUT] = "INSERT INTO subscriptions (" SUB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)"
                   " ON CONFLICT (publisher, subscriber, topic) DO UPDATE SET"
                   " state = excluded.state, from_version = excluded.from_version,"
                   " updated = excluded.updated, rule = excluded.rule, reason = excluded.reason",
    [ST_SUB_GET] = "SELECT " SUB_COLS " FROM subscriptions"
                   " WHERE publisher = ?1 AND subscriber = ?2 AND topic = ?3",
    [ST_SUB_EACH] = "SELECT " SUB_COLS " FROM subscriptions ORDER BY publisher, subscriber, topic",

    /* DO NOTHING on the key only: INSERT OR IGNORE would also swallow a
       CHECK or NOT NULL failure. A missing dataset still fails (foreign
       key), which conflict clauses never cover. */
    [ST_DELIVERY_ADD] = "INSERT INTO deliveries (dataset, subscriber, state, next_chunk,"
                        " attempts, error, created, updated)"
                        " VALUES (?1, ?2, 'queued', 0, 0, '', ?3, ?3)"
                        " ON CONFLICT (dataset, subscriber) DO NOTHING",
    [ST_DELIVERY_GET] = "SELECT " DELIVERY_COLS " FROM deliveries"
                        " WHERE dataset = ?1 AND subscriber = ?2",
    [ST_DELIVERY_UPDATE] = "UPDATE deliveries SET state = ?3, next_chunk = ?4, attempts = ?5,"
                           " error = ?6, started = ?8, updated = ?7"
                           " WHERE dataset = ?1 AND subscriber = ?2",
    /* Older versions not yet started give way to a superseding one. */
    [ST_DELIVERY_SUPERSEDE] = "UPDATE deliveries SET state = 'superseded', error = ?4, updated = ?5"
                              " WHERE state = 'queued' AND next_chunk = 0 AND dataset IN"
                              " (SELECT id FROM datasets WHERE publisher = ?1 AND topic = ?2"
                              " AND version < ?3)",
    [ST_DELIVERY_CANCEL] = "UPDATE deliveries SET state = 'cancelled', error = ?4, updated = ?5"
                           " WHERE state IN ('queued', 'sending') AND subscriber = ?3 AND dataset IN"
                           " (SELECT id FROM datasets WHERE publisher = ?1 AND topic = ?2)",
    [ST_DELIVERY_RECEIPT] = "UPDATE deliveries SET receipt = ?3, receipt_sig = ?4,"
                            " state = 'delivered', error = '', updated = ?5"
                            " WHERE dataset = ?1 AND subscriber = ?2",
    /* Oldest first: in the order they were queued, and among those queued
       in the same second in publication order (when each dataset was
       published, then its version), so that a subscriber that was away
       gets the versions it missed in order; the dataset id is random and
       says nothing of order. No index serves this order, so SQLite sorts
       the whole result before the first row: FN may update the row it is
       given (to 'sending', say) without it coming round again. */
    [ST_DELIVERY_PENDING] = "SELECT " DELIVERY_COLS " FROM deliveries"
                            " WHERE state IN ('queued', 'sending')"
                            " ORDER BY created,"
                            " (SELECT d.created FROM datasets d WHERE d.id = deliveries.dataset),"
                            " (SELECT d.version FROM datasets d WHERE d.id = deliveries.dataset),"
                            " subscriber, deliveries.rowid",
    [ST_DELIVERY_EACH] = "SELECT " DELIVERY_COLS " FROM deliveries"
                         " ORDER BY created, rowid",
    /* Progress of an attempt under way: never written over a delivery
       that has ended meanwhile. */
    [ST_DELIVERY_PROGRESS] = "UPDATE deliveries SET next_chunk = ?3, session_bytes = ?4,"
                             " session_ms = ?5, progress_at = ?6, updated = ?7"
                             " WHERE dataset = ?1 AND subscriber = ?2 AND state = 'sending'",
    [ST_DELIVERY_STATUS] = "UPDATE deliveries SET status = ?3 WHERE dataset = ?1 AND subscriber = ?2",
    [ST_DELIVERY_EACH_DATASET] = "SELECT " DELIVERY_COLS " FROM deliveries WHERE dataset = ?1"
                                 " ORDER BY created, rowid",

    [ST_AUDIT_APPEND] = "INSERT INTO audit (" AUDIT_COLS ")"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /* Bounded by the last seq when the listing starts (the subquery runs
       once), so an FN that itself appends an entry does not loop. */
    [ST_AUDIT_EACH] = "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ?1"
                      " AND seq <= (SELECT COALESCE (MAX (seq), 0) FROM audit) ORDER BY seq",
    [ST_AUDIT_LAST] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq DESC LIMIT 1",
    [ST_AUDIT_TAIL] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [ST_CHECKPOINT_PUT] = "INSERT INTO audit_checkpoints (" CHECKPOINT_COLS ")"
                          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (seq) DO NOTHING",
    [ST_TRUST_PUT] = "INSERT INTO trust (name, value, updated) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                     " updated = excluded.updated",
    [ST_TRUST_GET] = "SELECT value FROM trust WHERE name = ?1",
    [ST_CHECKPOINT_LAST] = "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints"
                           " ORDER BY seq DESC LIMIT 1",
    [ST_CHECKPOINT_EACH] = "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY seq",

    [ST_AGREEMENT_PUT] = "INSERT INTO agreements (" AGREEMENT_COLS ") VALUES (?1, ?2, ?3, ?4,"
                         " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
                         " ON CONFLICT (ref) DO UPDATE SET sig_provider = excluded.sig_provider,"
                         " sig_recipient = excluded.sig_recipient, revoked = excluded.revoked,"
                         " revoked_by = excluded.revoked_by, reason = excluded.reason,"
                         " pushed = excluded.pushed, updated = excluded.updated"
                         " WHERE agreements.hash = excluded.hash",
    [ST_AGREEMENT_GET] = "SELECT " AGREEMENT_COLS " FROM agreements WHERE ref = ?1",
    [ST_AGREEMENT_BY_HASH] = "SELECT " AGREEMENT_COLS " FROM agreements WHERE hash = ?1",
    [ST_AGREEMENT_EACH] = "SELECT " AGREEMENT_COLS " FROM agreements ORDER BY ref",
    [ST_AGREEMENT_UNSIGNED] = "SELECT count(*) FROM agreements"
                              " WHERE (provider = ?1 AND sig_recipient = zeroblob (64))"
                              " OR (recipient = ?1 AND sig_provider = zeroblob (64))",

    /* The wrapped content key goes with the content: a copy of the file
       left anywhere (a backup) no longer opens with this node's keys. */
    [ST_DATASET_ERASE] = "UPDATE datasets SET state = 'erased', next_chunk = 0,"
                         " wrapped = zeroblob (80), updated = ?2 WHERE id = ?1",
    [ST_DATASET_RESIGN] = "UPDATE datasets SET sig = ?2, updated = ?3 WHERE id = ?1",
    [ST_USER_PUT] = "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?4)"
                    " ON CONFLICT (login) DO UPDATE SET roles = excluded.roles,"
                    " added_by = excluded.added_by, updated = excluded.updated",
    [ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE login = ?1",
    [ST_USER_REMOVE] = "DELETE FROM users WHERE login = ?1",
    [ST_USER_EACH] = "SELECT " USER_COLS " FROM users ORDER BY login",
    [ST_RETENTION_PUT] = "INSERT INTO retention (" RETENTION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                         " ON CONFLICT (publisher, topic) DO UPDATE SET seconds = excluded.seconds,"
                         " set_by = excluded.set_by, updated = excluded.updated,"
                         " delivered = excluded.delivered",
    [ST_RETENTION_GET] = "SELECT " RETENTION_COLS " FROM retention WHERE publisher = ?1 AND topic = ?2",
    [ST_RETENTION_EACH] = "SELECT " RETENTION_COLS " FROM retention ORDER BY publisher, topic",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    store_hash_fn *hasher; /* of the audit chain; NULL: no appends */
    int streaming;         /* s_stream listings open */
    char err[STORE_ERR_MAX];
};

/* ---- errors ---------------------------------------------------------- */

static int s_fail (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int s_fail (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s->err, sizeof s->err, fmt, ap);
    va_end (ap);
    return -1;
}

/* As s_fail, then ": " and SQLite's message. Call before sqlite3_reset,
   which may replace it. */
static int s_dbfail (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int s_dbfail (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s->err, sizeof s->err, fmt, ap);
    va_end (ap);
    size_t len = strlen (s->err);
    snprintf (s->err + len, sizeof s->err - len, ": %s", sqlite3_errmsg (s->db));
    return -1;
}

/* Sets the reason for a lookup that found nothing; returns STORE_NOTFOUND. */
static int s_notfound (store_t *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int s_notfound (store_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s->err, sizeof s->err, fmt, ap);
    va_end (ap);
    return STORE_NOTFOUND;
}

/* ---- binding values -------------------------------------------------

   SQLITE_STATIC is safe: every function steps and resets its statement
   (and clears the bindings) before it returns. Results are OR-ed by the
   callers: SQLITE_OK is 0, so any failure leaves the total non-zero. */

static int s_bind_text (sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text (st, i, v, -1, SQLITE_STATIC);
}

static int s_bind_blob (sqlite3_stmt *st, int i, const void *v, size_t n)
{
    if (n > INT_MAX) return SQLITE_TOOBIG;
    return sqlite3_bind_blob (st, i, v, (int)n, SQLITE_STATIC);
}

static int s_bind_int (sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64 (st, i, v);
}

static void s_end (sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
}

/* Statement ID, prepared on first use: a command pays only for the
   statements it runs (preparing them all was half the cost of opening a
   store). NULL, with the reason in s->err, if it cannot be prepared; SQLite
   refuses to bind or step a NULL statement (SQLITE_MISUSE), so the caller
   fails through its usual path, and s_end ignores it. Every statement is
   prepared by the unit suite (store_prepare_all). */
static sqlite3_stmt *s_stmt (store_t *s, int id)
{
    if (!s->st[id] &&
        sqlite3_prepare_v3 (s->db, s_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) != SQLITE_OK) {
        s_dbfail (s, "cannot prepare \"%.40s\"", s_sql[id]);
        return NULL;
    }
    return s->st[id];
}

int store_prepare_all (store_t *s)
{
    for (int i = 0; i < ST__COUNT; i++)
        if (!s_stmt (s, i)) return -1;
    return 0;
}

static int64_t s_now (void)
{
    return (int64_t)time (NULL);
}

/* A struct's string field must be terminated inside the field; anything
   else would be read past its end. 0, or -1 naming the field. */
static int s_field (store_t *s, const char *name, const char *v, size_t cap)
{
    if (memchr (v, '\0', cap) == NULL)
        return s_fail (s, "%s is not a terminated string of at most %zu bytes", name, cap - 1);
    return 0;
}
#define S_FIELD(s, rec, field) s_field ((s), #field, (rec)->field, sizeof (rec)->field)

/* A string argument stored as-is must fit the field it is read back into. */
static int s_arg (store_t *s, const char *name, const char *v, size_t cap)
{
    if (!v) return s_fail (s, "no %s given", name);
    if (strnlen (v, cap) >= cap) return s_fail (s, "%s is longer than %zu bytes", name, cap - 1);
    return 0;
}

/* ---- reading columns -------------------------------------------------

   Each returns 0, or -1 with a reason naming TABLE and the column. The
   file is shared with other processes and may have been written by
   another program or version, so nothing read is trusted to fit. */

static const char *s_colname (sqlite3_stmt *st, int col)
{
    const char *name = sqlite3_column_name (st, col);
    return name ? name : "?";
}

static int s_col_text (store_t *s, const char *table, sqlite3_stmt *st, int col, char *dst,
                       size_t cap)
{
    int type = sqlite3_column_type (st, col);
    if (type == SQLITE_NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (type != SQLITE_TEXT)
        return s_fail (s, "stored %s.%s is not text", table, s_colname (st, col));
    const unsigned char *t = sqlite3_column_text (st, col);
    int n = sqlite3_column_bytes (st, col);
    if (!t) return s_dbfail (s, "cannot read %s.%s", table, s_colname (st, col));
    if (n < 0 || (size_t)n >= cap)
        return s_fail (s,
                       "stored %s.%s is %d bytes, longer than the %zu this cdx holds: "
                       "refusing to truncate it",
                       table, s_colname (st, col), n, cap - 1);
    if (memchr (t, '\0', (size_t)n))
        return s_fail (s, "stored %s.%s contains a NUL byte", table, s_colname (st, col));
    memcpy (dst, t, (size_t)n);
    dst[n] = '\0';
    return 0;
}

/* A blob of up to CAP bytes into DST, its size into *LEN. NULL reads as
   empty only when NULLABLE. */
static int s_col_blob (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst,
                       size_t cap, size_t *len, int nullable)
{
    int type = sqlite3_column_type (st, col);
    if (type == SQLITE_NULL && nullable) {
        *len = 0;
        return 0;
    }
    if (type != SQLITE_BLOB)
        return s_fail (s, "stored %s.%s is not a blob", table, s_colname (st, col));
    const void *b = sqlite3_column_blob (st, col);
    int n = sqlite3_column_bytes (st, col);
    if (n < 0 || (size_t)n > cap)
        return s_fail (s, "stored %s.%s is %d bytes, more than the %zu this cdx holds", table,
                       s_colname (st, col), n, cap);
    if (n > 0 && !b) return s_dbfail (s, "cannot read %s.%s", table, s_colname (st, col));
    if (n > 0) memcpy (dst, b, (size_t)n);
    *len = (size_t)n;
    return 0;
}

/* A blob of exactly N bytes (a key, hash or signature). NULL reads as all
   zero only when NULLABLE. */
static int s_col_exact (store_t *s, const char *table, sqlite3_stmt *st, int col, uint8_t *dst,
                        size_t n, int nullable)
{
    size_t len = 0;
    if (s_col_blob (s, table, st, col, dst, n, &len, nullable) != 0) return -1;
    if (len == 0 && nullable && sqlite3_column_type (st, col) == SQLITE_NULL) {
        memset (dst, 0, n);
        return 0;
    }
    if (len != n)
        return s_fail (s, "stored %s.%s is %zu bytes, expected exactly %zu", table,
                       s_colname (st, col), len, n);
    return 0;
}

static int s_col_int (store_t *s, const char *table, sqlite3_stmt *st, int col, int64_t *out)
{
    if (sqlite3_column_type (st, col) != SQLITE_INTEGER)
        return s_fail (s, "stored %s.%s is not an integer", table, s_colname (st, col));
    *out = sqlite3_column_int64 (st, col);
    return 0;
}

/* ---- reading rows ------------------------------------------------------

   One per table, in the order of its *_COLS. OUT is zeroed first; on
   failure (-1) its content is unspecified. */

#define TEXT(i, f) s_col_text (s, T, st, (i), out->f, sizeof out->f)
#define EXACT(i, f, nul) s_col_exact (s, T, st, (i), out->f, sizeof out->f, (nul))
#define INT(i, f) s_col_int (s, T, st, (i), &out->f)

static int s_row_self (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "self";
    store_self_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, org) || TEXT (1, role) || TEXT (2, name) || TEXT (3, endpoint) || TEXT (4, card) ||
        INT (5, created))
        return -1;
    return 0;
}

static int s_row_peer (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "peers";
    store_peer_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, org) || TEXT (1, role) || TEXT (2, name) || TEXT (3, endpoint) ||
        EXACT (4, sign_pk, 0) || EXACT (5, box_pk, 0) || EXACT (6, curve_pk, 0) || TEXT (7, card) ||
        TEXT (8, trust) || INT (9, added) || TEXT (10, dspt) || TEXT (11, dspt_year) ||
        INT (12, not_after) || INT (13, revoked) || INT (14, connected) || INT (15, last_seen))
        return -1;
    return 0;
}

static int s_row_dataset (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "datasets";
    store_dataset_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, id) || TEXT (1, publisher) || TEXT (2, topic) || INT (3, version) ||
        TEXT (4, class_) || TEXT (5, purpose) || TEXT (6, filename) || INT (7, bytes) ||
        INT (8, chunk_size) || INT (9, chunks) || EXACT (10, hash, 0) ||
        s_col_blob (s, T, st, 11, out->manifest, sizeof out->manifest, &out->manifest_len, 0) ||
        EXACT (12, sig, 0) || EXACT (13, wrapped, 0) || TEXT (14, state) || INT (15, next_chunk) ||
        TEXT (16, kind) || INT (17, expires) || INT (18, created) || INT (19, updated) ||
        TEXT (20, agreement))
        return -1;
    return 0;
}

static int s_row_agreement (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "agreements";
    store_agreement_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, ref) || EXACT (1, hash, 0) ||
        s_col_blob (s, T, st, 2, out->doc, sizeof out->doc, &out->doc_len, 0) ||
        TEXT (3, provider) || TEXT (4, recipient) || EXACT (5, sig_provider, 0) ||
        EXACT (6, sig_recipient, 0) || INT (7, start) || INT (8, end) || INT (9, revoked) ||
        TEXT (10, revoked_by) || TEXT (11, reason) || INT (12, pushed) || INT (13, created) ||
        INT (14, updated))
        return -1;
    return 0;
}

static int s_row_sub (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "subscriptions";
    store_sub_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, publisher) || TEXT (1, subscriber) || TEXT (2, topic) || TEXT (3, state) ||
        INT (4, from_version) || INT (5, created) || INT (6, updated) || TEXT (7, rule) ||
        TEXT (8, reason))
        return -1;
    return 0;
}

static int s_row_delivery (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "deliveries";
    store_delivery_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, dataset) || TEXT (1, subscriber) || TEXT (2, state) || INT (3, next_chunk) ||
        INT (4, attempts) || TEXT (5, error) ||
        s_col_blob (s, T, st, 6, out->receipt, sizeof out->receipt, &out->receipt_len, 1) ||
        EXACT (7, receipt_sig, 1) || INT (8, started) || INT (9, created) || INT (10, updated) ||
        TEXT (11, status) || INT (12, session_bytes) || INT (13, session_ms) ||
        INT (14, progress_at))
        return -1;
    return 0;
}

/* The reason names the entry, so that whoever checks the log knows which
   row another program left unreadable. */
static int s_row_audit (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "audit";
    store_audit_t *out = row;
    memset (out, 0, sizeof *out);
    if (INT (0, seq)) return -1;
    if (INT (1, at) || TEXT (2, actor) || TEXT (3, action) || TEXT (4, object) || TEXT (5, peer) ||
        TEXT (6, purpose) || TEXT (7, decision) || TEXT (8, rule) || TEXT (9, detail) ||
        EXACT (10, hash, 0)) {
        char why[STORE_ERR_MAX];
        snprintf (why, sizeof why, "%s", s->err);
        return s_fail (s, "audit entry %lld: %s", (long long)out->seq, why);
    }
    return 0;
}

static int s_row_checkpoint (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "audit_checkpoints";
    store_checkpoint_t *out = row;
    memset (out, 0, sizeof *out);
    if (INT (0, seq)) return -1;
    if (EXACT (1, hash, 0) || EXACT (2, sig, 0) || INT (3, at)) {
        char why[STORE_ERR_MAX];
        snprintf (why, sizeof why, "%s", s->err);
        return s_fail (s, "audit checkpoint at seq %lld: %s", (long long)out->seq, why);
    }
    return 0;
}

#undef TEXT
#undef EXACT
#undef INT

typedef int (*s_row_fn) (store_t *s, sqlite3_stmt *st, void *row);

/* Steps ST, whose parameters are bound, for at most one row and copies it
   with READ. 0, STORE_NOTFOUND (reason left to the caller) or -1. Always
   resets ST. */
static int s_one (store_t *s, sqlite3_stmt *st, s_row_fn read, void *out, const char *what)
{
    int ret;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        ret = read (s, st, out);
    else if (rc == SQLITE_DONE)
        ret = STORE_NOTFOUND;
    else
        ret = s_dbfail (s, "cannot read %s", what);
    s_end (st);
    return ret;
}

/* The loop behind every _each: copies each row with READ into ROW and
   hands it to EMIT, which calls the user's function. Stops at the first
   non-zero EMIT and returns it; -1 on a store error. ST is reset on every
   path, so that FN may use any other statement; a call of the same _each
   from its own FN would reset the outer loop, so it is refused. */
/* Lists rows of statement ID: every row is read first and the statement
   reset (ending its read transaction) before EMIT sees any of them, so a
   callback may write to the store. A write from inside an open SELECT
   would have to upgrade a read snapshot that another connection may have
   made stale, and SQLite answers that with an immediate SQLITE_BUSY that
   no busy handler waits out. ROWSIZE: the size of one row as READ fills
   it. 0, the first non-zero value EMIT returned, or -1. */
static int s_each (store_t *s, s_stmt_id_t id, const char *what, size_t rowsize, s_row_fn read,
                   int (*emit) (const void *row, void *ctx), void *ctx)
{
    sqlite3_stmt *st = s_stmt (s, id);
    if (sqlite3_stmt_busy (st))
        return s_fail (s, "listing %s from inside the same listing's callback is not supported",
                       what);
    uint8_t *rows = NULL;
    size_t n = 0, cap = 0;
    int ret = 0;
    for (;;) {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            ret = s_dbfail (s, "cannot list %s", what);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint8_t *grown = ncap <= SIZE_MAX / rowsize ? realloc (rows, ncap * rowsize) : NULL;
            if (!grown) {
                ret = s_fail (s, "cannot list %s: out of memory", what);
                break;
            }
            rows = grown;
            cap = ncap;
        }
        memset (rows + n * rowsize, 0, rowsize);
        if (read (s, st, rows + n * rowsize) != 0) {
            ret = -1;
            break;
        }
        n++;
    }
    s_end (st);
    for (size_t i = 0; ret == 0 && i < n; i++)
        ret = emit (rows + i * rowsize, ctx);
    free (rows);
    return ret;
}

/* s_each over statement ID with PARAM bound as its first parameter. */
static int s_each_where (store_t *s, s_stmt_id_t id, const char *what, const char *param, size_t rowsize,
                         s_row_fn read, int (*emit) (const void *row, void *ctx), void *ctx)
{
    sqlite3_stmt *st = s_stmt (s, id);
    if (st && !sqlite3_stmt_busy (st) && s_bind_text (st, 1, param) != SQLITE_OK) {
        s_dbfail (s, "cannot list %s", what);
        s_end (st);
        return -1;
    }
    return s_each (s, id, what, rowsize, read, emit, ctx);
}

/* Lists rows of statement ID one at a time into ROW, the statement open
   while EMIT runs: for the audit log, which may be too long to hold. EMIT
   must not write (s->streaming refuses it). Returns as s_each. */
static int s_stream (store_t *s, s_stmt_id_t id, const char *what, void *row, s_row_fn read,
                     int (*emit) (const void *row, void *ctx), void *ctx)
{
    sqlite3_stmt *st = s_stmt (s, id);
    if (sqlite3_stmt_busy (st))
        return s_fail (s, "listing %s from inside the same listing's callback is not supported",
                       what);
    int ret = 0;
    s->streaming++;
    for (;;) {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            ret = s_dbfail (s, "cannot list %s", what);
            break;
        }
        if (read (s, st, row) != 0) {
            ret = -1;
            break;
        }
        ret = emit (row, ctx);
        if (ret != 0) break;
    }
    s->streaming--;
    s_end (st);
    return ret;
}

/* A write outside a transaction while a streamed listing is open would
   fail at once with SQLITE_BUSY under concurrency (s_each): refused
   always, so that the mistake shows in every run, not only under load. */
static int s_write_allowed (store_t *s, const char *what)
{
    if (s->streaming && sqlite3_get_autocommit (s->db))
        return s_fail (s, "%s: a write from inside a listing of the audit log (collect first)", what);
    return 0;
}

/* Steps a statement that returns no rows. 0, or -1 with WHAT as the
   reason's prefix. Always resets ST. */
static int s_run (store_t *s, sqlite3_stmt *st, const char *what)
{
    if (!sqlite3_stmt_readonly (st) && s_write_allowed (s, what) != 0) {
        s_end (st);
        return -1;
    }
    int rc = sqlite3_step (st);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) ret = s_dbfail (s, "%s", what);
    s_end (st);
    return ret;
}

/* ---- opening ---------------------------------------------------------- */

/* One-off statement during open (pragmas, migrations). */
static int s_exec (store_t *s, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec (s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        s_fail (s, "%s: %s", what, msg ? msg : sqlite3_errmsg (s->db));
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
        s_dbfail (s, "cannot run %s", sql);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        s_fail (s, "%s returned nothing", sql);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        s_dbfail (s, "cannot run %s", sql);
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
            s_fail (s,
                    "store at %s has schema version %lld, newer than the %d this cdx knows: "
                    "upgrade cdx",
                    path, (long long)v, STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (v < 0) {
            s_fail (s, "%s is not a cdx store (schema version %lld)", path, (long long)v);
            goto fail;
        }
        if (v == 0) {
            int64_t objects;
            if (s_query (s, "SELECT count(*) FROM sqlite_master", NULL, 0, &objects) != 0)
                goto fail;
            if (objects > 0) {
                s_fail (s, "%s is an SQLite database but not a cdx store", path);
                goto fail;
            }
            if (!create) {
                s_fail (s, "no store at %s (the file is empty): run cdx init first", path);
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
        if (!S_ISREG (sb.st_mode)) return s_fail (s, "%s is not a regular file", path);
        return 0;
    }
    if (errno != ENOENT)
        return s_fail (s, "cannot use the store at %s: %s", path, strerror (errno));
    if (!create) return s_fail (s, "no store at %s: run cdx init first", path);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return s_fail (s, "cannot create the store %s: %s", path, strerror (errno));
    if (fd >= 0) close (fd);
    return 0;
}

static int s_setup (store_t *s, const char *path, int create)
{
    if (s_precreate (s, path, create) != 0) return -1;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2 (path, &s->db, flags, NULL) != SQLITE_OK) {
        if (!s->db) return s_fail (s, "cannot open the store %s: out of memory", path);
        return s_dbfail (s, "cannot open the store %s", path);
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
        return s_fail (s, "cannot put the store %s in WAL mode (journal mode is %s)", path, mode);
    if (s_exec (s, "PRAGMA synchronous = NORMAL", "cannot set up the store") != 0 ||
        s_exec (s, "PRAGMA foreign_keys = ON", "cannot set up the store") != 0)
        return -1;
    int64_t fk = 0;
    if (s_query (s, "PRAGMA foreign_keys", NULL, 0, &fk) != 0) return -1;
    if (fk != 1)
        return s_fail (s, "this SQLite does not enforce foreign keys");

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
        s_fail (s, "no store path given");
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
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize (s->st[i]);
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
    sqlite3_stmt *st = s_stmt (s, ST_USER_VERSION);
    int ret;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        ret = sqlite3_column_int (st, 0);
    else
        ret = s_dbfail (s, "cannot read the schema version");
    s_end (st);
    return ret;
}

/* ---- transactions ------------------------------------------------------ */

int store_begin (store_t *s)
{
    assert (s);
    if (!sqlite3_get_autocommit (s->db))
        return s_fail (s, "a transaction is already open (they do not nest)");
    if (s_write_allowed (s, "cannot begin a transaction") != 0) return -1;
    return s_run (s, s_stmt (s, ST_BEGIN), "cannot begin a transaction");
}

/* On failure the transaction may still be open: the caller rolls back. */
int store_commit (store_t *s)
{
    assert (s);
    if (sqlite3_get_autocommit (s->db)) return s_fail (s, "no transaction is open to commit");
    return s_run (s, s_stmt (s, ST_COMMIT), "cannot commit");
}

/* Nothing open (SQLite may already have rolled back after an error) is
   not an error, so error paths can always call this; it leaves the
   previous reason in place. */
int store_rollback (store_t *s)
{
    assert (s);
    if (sqlite3_get_autocommit (s->db)) return 0;
    return s_run (s, s_stmt (s, ST_ROLLBACK), "cannot roll back");
}

int store_sync (store_t *s)
{
    assert (s);
    sqlite3_file *wal = NULL;
    if (sqlite3_file_control (s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || !wal ||
        !wal->pMethods)
        return s_fail (s, "cannot reach the store's write-ahead log to make it durable");
    if (wal->pMethods->xSync (wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
        return s_fail (s, "cannot make the store's write-ahead log durable (is the disk failing?)");
    return 0;
}

int store_check (store_t *s)
{
    assert (s);
    sqlite3_stmt *st = s_stmt (s, ST_INTEGRITY);
    int ret;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text (st, 0);
        if (t && strcmp ((const char *)t, "ok") == 0)
            ret = 0;
        else
            ret = s_fail (s, "store integrity check failed: %s", t ? (const char *)t : "?");
    } else {
        ret = s_dbfail (s, "cannot check the store");
    }
    s_end (st);
    return ret;
}

/* ---- this node ----------------------------------------------------------- */

int store_self_set (store_t *s, const store_self_t *self)
{
    assert (s && self);
    if (S_FIELD (s, self, org) || S_FIELD (s, self, role) || S_FIELD (s, self, name) ||
        S_FIELD (s, self, endpoint) || S_FIELD (s, self, card))
        return -1;
    sqlite3_stmt *st = s_stmt (s, ST_SELF_SET);
    int ret = -1;
    if ((s_bind_text (st, 1, self->org) | s_bind_text (st, 2, self->role) |
         s_bind_text (st, 3, self->name) | s_bind_text (st, 4, self->endpoint) |
         s_bind_text (st, 5, self->card) | s_bind_int (st, 6, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot store this node's identity");
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        s_fail (s, "this store already has an identity: it is set once, by cdx init");
    else if (rc != SQLITE_DONE)
        s_dbfail (s, "cannot store this node's identity");
    else
        ret = 0;
out:
    s_end (st);
    return ret;
}

int store_self_get (store_t *s, store_self_t *out)
{
    assert (s && out);
    int r = s_one (s, s_stmt (s, ST_SELF_GET), s_row_self, out, "this node's identity");
    if (r == STORE_NOTFOUND) return s_notfound (s, "this store has no identity: run cdx init");
    return r;
}

/* ---- peers --------------------------------------------------------------- */

/* Replacing keeps the row (and so any constraint on curve_pk holds): a
   peer whose new curve key is another peer's is refused, not merged. The
   added time becomes that of this card. */
int store_peer_put (store_t *s, const store_peer_t *p)
{
    assert (s && p);
    if (S_FIELD (s, p, org) || S_FIELD (s, p, role) || S_FIELD (s, p, name) ||
        S_FIELD (s, p, endpoint) || S_FIELD (s, p, card) || S_FIELD (s, p, trust) ||
        S_FIELD (s, p, dspt) || S_FIELD (s, p, dspt_year))
        return -1;
    sqlite3_stmt *st = s_stmt (s, ST_PEER_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, p->org) | s_bind_text (st, 2, p->role) | s_bind_text (st, 3, p->name) |
         s_bind_text (st, 4, p->endpoint) | s_bind_blob (st, 5, p->sign_pk, sizeof p->sign_pk) |
         s_bind_blob (st, 6, p->box_pk, sizeof p->box_pk) |
         s_bind_blob (st, 7, p->curve_pk, sizeof p->curve_pk) | s_bind_text (st, 8, p->card) |
         s_bind_text (st, 9, p->trust) | s_bind_int (st, 10, s_now ()) |
         s_bind_text (st, 11, p->dspt) | s_bind_text (st, 12, p->dspt_year) |
         s_bind_int (st, 13, p->not_after) | s_bind_int (st, 14, p->revoked)) != SQLITE_OK) {
        s_dbfail (s, "cannot store peer %s", p->org);
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store peer %s", p->org);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_peer_get (store_t *s, const char *org, store_peer_t *out)
{
    assert (s && org && out);
    sqlite3_stmt *st = s_stmt (s, ST_PEER_GET);
    if (s_bind_text (st, 1, org) != SQLITE_OK) {
        s_dbfail (s, "cannot look up peer");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_peer, out, "peer");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no peer with org code %.64s", org);
    return r;
}

int store_peer_by_curve (store_t *s, const uint8_t curve_pk[32], store_peer_t *out)
{
    assert (s && curve_pk && out);
    sqlite3_stmt *st = s_stmt (s, ST_PEER_BY_CURVE);
    if (s_bind_blob (st, 1, curve_pk, 32) != SQLITE_OK) {
        s_dbfail (s, "cannot look up peer");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_peer, out, "peer");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no peer with this curve key");
    return r;
}

typedef struct {
    int (*fn) (const store_peer_t *, void *);
    void *arg;
} s_peer_cb_t;

static int s_emit_peer (const void *row, void *ctx)
{
    const s_peer_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_peer_each (store_t *s, int (*fn) (const store_peer_t *, void *), void *arg)
{
    assert (s && fn);
    s_peer_cb_t c = {fn, arg};
    return s_each (s, ST_PEER_EACH, "peers", sizeof (store_peer_t), s_row_peer, s_emit_peer, &c);
}

int store_peer_seen (store_t *s, const char *org, int connected, int64_t last_seen)
{
    assert (s && org);
    sqlite3_stmt *st = s_stmt (s, ST_PEER_SEEN);
    int ret = -1;
    if ((s_bind_text (st, 1, org) | s_bind_int (st, 2, connected ? 1 : 0) |
         s_bind_int (st, 3, last_seen)) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot record whether peer %.16s is connected", org);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_peer_all_offline (store_t *s)
{
    assert (s);
    sqlite3_stmt *st = s_stmt (s, ST_PEER_ALL_OFFLINE);
    int ret = 0;
    if (sqlite3_step (st) != SQLITE_DONE) ret = s_dbfail (s, "cannot record peers as not connected");
    s_end (st);
    return ret;
}

/* ---- datasets ------------------------------------------------------------ */

int store_dataset_put (store_t *s, const store_dataset_t *d)
{
    assert (s && d);
    if (S_FIELD (s, d, id) || S_FIELD (s, d, publisher) || S_FIELD (s, d, topic) ||
        S_FIELD (s, d, class_) || S_FIELD (s, d, purpose) || S_FIELD (s, d, filename) ||
        S_FIELD (s, d, state) || S_FIELD (s, d, agreement))
        return -1;
    if (d->manifest_len > sizeof d->manifest)
        return s_fail (s, "dataset %s: manifest_len %zu is more than %zu", d->id, d->manifest_len,
                       sizeof d->manifest);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_PUT);
    int ret = -1;
    int64_t now = s_now ();
    if ((s_bind_text (st, 1, d->id) | s_bind_text (st, 2, d->publisher) |
         s_bind_text (st, 3, d->topic) | s_bind_int (st, 4, d->version) |
         s_bind_text (st, 5, d->class_) | s_bind_text (st, 6, d->purpose) |
         s_bind_text (st, 7, d->filename) | s_bind_int (st, 8, d->bytes) |
         s_bind_int (st, 9, d->chunk_size) | s_bind_int (st, 10, d->chunks) |
         s_bind_blob (st, 11, d->hash, sizeof d->hash) |
         s_bind_blob (st, 12, d->manifest, d->manifest_len) |
         s_bind_blob (st, 13, d->sig, sizeof d->sig) |
         s_bind_blob (st, 14, d->wrapped, sizeof d->wrapped) | s_bind_text (st, 15, d->state) |
         s_bind_int (st, 16, d->next_chunk) | s_bind_text (st, 17, d->kind[0] ? d->kind : "new") |
         s_bind_int (st, 18, d->expires) | s_bind_int (st, 19, now) |
         s_bind_int (st, 20, now) | s_bind_text (st, 21, d->agreement)) != SQLITE_OK) {
        s_dbfail (s, "cannot store dataset %s", d->id);
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store dataset %s (%s %s v%lld)", d->id, d->publisher, d->topic,
                  (long long)d->version);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_dataset_get (store_t *s, const char *id, store_dataset_t *out)
{
    assert (s && id && out);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_GET);
    if (s_bind_text (st, 1, id) != SQLITE_OK) {
        s_dbfail (s, "cannot look up dataset");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_dataset, out, "dataset");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no dataset %.64s", id);
    return r;
}

/* A dataset that does not exist is an error (-1), not STORE_NOTFOUND:
   the caller is acting on a dataset it believes is there. */
int store_dataset_progress (store_t *s, const char *id, const char *state, int64_t next_chunk)
{
    assert (s && id);
    if (s_arg (s, "dataset state", state, FIELD_SIZE (store_dataset_t, state)) != 0) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_PROGRESS);
    int ret = -1;
    if ((s_bind_text (st, 1, id) | s_bind_text (st, 2, state) | s_bind_int (st, 3, next_chunk) |
         s_bind_int (st, 4, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot update dataset %.64s", id);
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot update dataset %.64s", id);
        goto out;
    }
    if (sqlite3_changes (s->db) == 0) {
        s_fail (s, "cannot update dataset %.64s: there is no such dataset", id);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int64_t store_dataset_last_version (store_t *s, const char *publisher, const char *topic)
{
    assert (s && publisher && topic);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_LAST);
    int64_t ret = -1;
    if ((s_bind_text (st, 1, publisher) | s_bind_text (st, 2, topic)) != SQLITE_OK) {
        s_dbfail (s, "cannot look up the last version");
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_ROW) {
        s_dbfail (s, "cannot look up the last version of %.64s from %.16s", topic, publisher);
        goto out;
    }
    ret = sqlite3_column_int64 (st, 0);
out:
    s_end (st);
    return ret;
}

typedef struct {
    int (*fn) (const store_dataset_t *, void *);
    void *arg;
} s_dataset_cb_t;

static int s_emit_dataset (const void *row, void *ctx)
{
    const s_dataset_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_dataset_each (store_t *s, int (*fn) (const store_dataset_t *, void *), void *arg)
{
    assert (s && fn);
    s_dataset_cb_t c = {fn, arg};
    return s_each (s, ST_DATASET_EACH, "datasets", sizeof (store_dataset_t), s_row_dataset, s_emit_dataset, &c);
}

int store_dataset_each_state (store_t *s, const char *state,
                              int (*fn) (const store_dataset_t *, void *), void *arg)
{
    assert (s && state && fn);
    s_dataset_cb_t c = {fn, arg};
    return s_each_where (s, ST_DATASET_EACH_STATE, "datasets", state, sizeof (store_dataset_t), s_row_dataset,
                         s_emit_dataset, &c);
}

/* A count (SELECT count(*)) of statement ID with text parameters A and B
   (B may be NULL), or -1. */
static int64_t s_count (store_t *s, s_stmt_id_t id, const char *a, const char *b, const char *what)
{
    sqlite3_stmt *st = s_stmt (s, id);
    int64_t ret = -1;
    if (s_bind_text (st, 1, a) != SQLITE_OK || (b && s_bind_text (st, 2, b) != SQLITE_OK) ||
        sqlite3_step (st) != SQLITE_ROW)
        s_dbfail (s, "cannot count %s", what);
    else
        ret = sqlite3_column_int64 (st, 0);
    s_end (st);
    return ret;
}

int64_t store_dataset_count (store_t *s, const char *publisher, const char *state)
{
    assert (s && publisher && state);
    return s_count (s, ST_DATASET_COUNT, publisher, state, "datasets");
}

int store_dataset_touch (store_t *s, const char *state)
{
    assert (s && state);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_TOUCH);
    if ((s_bind_text (st, 1, state) | s_bind_int (st, 2, s_now ())) != SQLITE_OK) {
        s_end (st);
        return s_dbfail (s, "cannot update datasets");
    }
    if (s_run (s, st, "cannot update datasets") != 0) return -1;
    return sqlite3_changes (s->db);
}

/* ---- subscriptions -------------------------------------------------------- */

int store_sub_put (store_t *s, const store_sub_t *sub)
{
    assert (s && sub);
    if (S_FIELD (s, sub, publisher) || S_FIELD (s, sub, subscriber) || S_FIELD (s, sub, topic) ||
        S_FIELD (s, sub, state))
        return -1;
    /* Only a refusal has a rule and a reason: any other state clears them. */
    int refused = strcmp (sub->state, "refused") == 0;
    if (refused && (S_FIELD (s, sub, rule) || S_FIELD (s, sub, reason)))
        return -1;
    sqlite3_stmt *st = s_stmt (s, ST_SUB_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, sub->publisher) | s_bind_text (st, 2, sub->subscriber) |
         s_bind_text (st, 3, sub->topic) | s_bind_text (st, 4, sub->state) |
         s_bind_int (st, 5, sub->from_version) | s_bind_int (st, 6, s_now ()) |
         s_bind_text (st, 7, refused ? sub->rule : "") | s_bind_text (st, 8, refused ? sub->reason : "")) !=
        SQLITE_OK) {
        s_dbfail (s, "cannot store the subscription");
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store the subscription of %s to %s %s", sub->subscriber,
                  sub->publisher, sub->topic);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_sub_get (store_t *s, const char *publisher, const char *subscriber, const char *topic,
                   store_sub_t *out)
{
    assert (s && publisher && subscriber && topic && out);
    sqlite3_stmt *st = s_stmt (s, ST_SUB_GET);
    if ((s_bind_text (st, 1, publisher) | s_bind_text (st, 2, subscriber) |
         s_bind_text (st, 3, topic)) != SQLITE_OK) {
        s_dbfail (s, "cannot look up the subscription");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_sub, out, "subscription");
    if (r == STORE_NOTFOUND)
        return s_notfound (s, "%.16s has no subscription to %.64s from %.16s", subscriber, topic,
                           publisher);
    return r;
}

typedef struct {
    int (*fn) (const store_sub_t *, void *);
    void *arg;
} s_sub_cb_t;

static int s_emit_sub (const void *row, void *ctx)
{
    const s_sub_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_sub_each (store_t *s, int (*fn) (const store_sub_t *, void *), void *arg)
{
    assert (s && fn);
    s_sub_cb_t c = {fn, arg};
    return s_each (s, ST_SUB_EACH, "subscriptions", sizeof (store_sub_t), s_row_sub, s_emit_sub, &c);
}

/* ---- deliveries ------------------------------------------------------------ */

int store_delivery_add (store_t *s, const char *dataset, const char *subscriber)
{
    assert (s);
    if (s_arg (s, "dataset id", dataset, FIELD_SIZE (store_delivery_t, dataset)) != 0 ||
        s_arg (s, "subscriber", subscriber, FIELD_SIZE (store_delivery_t, subscriber)) != 0)
        return -1;
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_ADD);
    int ret = -1;
    if ((s_bind_text (st, 1, dataset) | s_bind_text (st, 2, subscriber) |
         s_bind_int (st, 3, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot queue dataset %s for %s", dataset, subscriber);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        s_fail (s, "cannot queue dataset %s for %s: there is no such dataset", dataset, subscriber);
    else if (rc != SQLITE_DONE)
        s_dbfail (s, "cannot queue dataset %s for %s", dataset, subscriber);
    else
        ret = 0;
out:
    s_end (st);
    return ret;
}

int store_delivery_get (store_t *s, const char *dataset, const char *subscriber,
                        store_delivery_t *out)
{
    assert (s && dataset && subscriber && out);
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_GET);
    if ((s_bind_text (st, 1, dataset) | s_bind_text (st, 2, subscriber)) != SQLITE_OK) {
        s_dbfail (s, "cannot look up the delivery");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_delivery, out, "delivery");
    if (r == STORE_NOTFOUND)
        return s_notfound (s, "no delivery of %.64s to %.16s", dataset, subscriber);
    return r;
}

/* A delivery that does not exist is an error (-1), as for datasets. */
int store_delivery_update (store_t *s, const store_delivery_t *d)
{
    assert (s && d);
    if (S_FIELD (s, d, dataset) || S_FIELD (s, d, subscriber) || S_FIELD (s, d, state) ||
        S_FIELD (s, d, error))
        return -1;
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_UPDATE);
    int ret = -1;
    if ((s_bind_text (st, 1, d->dataset) | s_bind_text (st, 2, d->subscriber) |
         s_bind_text (st, 3, d->state) | s_bind_int (st, 4, d->next_chunk) |
         s_bind_int (st, 5, d->attempts) | s_bind_text (st, 6, d->error) |
         s_bind_int (st, 7, s_now ()) | s_bind_int (st, 8, d->started)) != SQLITE_OK) {
        s_dbfail (s, "cannot update the delivery of %s to %s", d->dataset, d->subscriber);
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot update the delivery of %s to %s", d->dataset, d->subscriber);
        goto out;
    }
    if (sqlite3_changes (s->db) == 0) {
        s_fail (s, "cannot update the delivery of %s to %s: there is no such delivery", d->dataset,
                d->subscriber);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_delivery_receipt (store_t *s, const char *dataset, const char *subscriber,
                            const uint8_t *receipt, size_t len, const uint8_t sig[64])
{
    assert (s && dataset && subscriber && sig);
    if (!receipt || len == 0 || len > FIELD_SIZE (store_delivery_t, receipt))
        return s_fail (s, "a receipt is 1 to %zu bytes, not %zu",
                       FIELD_SIZE (store_delivery_t, receipt), receipt ? len : 0);
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_RECEIPT);
    int ret = -1;
    if ((s_bind_text (st, 1, dataset) | s_bind_text (st, 2, subscriber) |
         s_bind_blob (st, 3, receipt, len) | s_bind_blob (st, 4, sig, 64) |
         s_bind_int (st, 5, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot record the receipt");
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot record the receipt for %.64s from %.16s", dataset, subscriber);
        goto out;
    }
    if (sqlite3_changes (s->db) == 0) {
        s_fail (s, "cannot record the receipt for %.64s from %.16s: there is no such delivery",
                dataset, subscriber);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

typedef struct {
    int (*fn) (const store_delivery_t *, void *);
    void *arg;
} s_delivery_cb_t;

static int s_emit_delivery (const void *row, void *ctx)
{
    const s_delivery_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_delivery_each_pending (store_t *s, int (*fn) (const store_delivery_t *, void *),
                                 void *arg)
{
    assert (s && fn);
    s_delivery_cb_t c = {fn, arg};
    return s_each (s, ST_DELIVERY_PENDING, "pending deliveries", sizeof (store_delivery_t), s_row_delivery,
                   s_emit_delivery, &c);
}

int store_delivery_each (store_t *s, int (*fn) (const store_delivery_t *, void *), void *arg)
{
    assert (s && fn);
    s_delivery_cb_t c = {fn, arg};
    return s_each (s, ST_DELIVERY_EACH, "deliveries", sizeof (store_delivery_t), s_row_delivery, s_emit_delivery, &c);
}

int store_delivery_each_dataset (store_t *s, const char *dataset,
                                 int (*fn) (const store_delivery_t *, void *), void *arg)
{
    assert (s && dataset && fn);
    s_delivery_cb_t c = {fn, arg};
    return s_each_where (s, ST_DELIVERY_EACH_DATASET, "deliveries", dataset, sizeof (store_delivery_t),
                   s_row_delivery, s_emit_delivery, &c);
}

int store_delivery_progress (store_t *s, const store_delivery_t *d)
{
    assert (s && d);
    if (S_FIELD (s, d, dataset) || S_FIELD (s, d, subscriber)) return -1;
    if (d->session_bytes < 0 || d->session_ms < 0)
        return s_fail (s, "progress of the delivery of %s to %s is negative", d->dataset,
                       d->subscriber);
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_PROGRESS);
    int ret = -1;
    if ((s_bind_text (st, 1, d->dataset) | s_bind_text (st, 2, d->subscriber) |
         s_bind_int (st, 3, d->next_chunk) | s_bind_int (st, 4, d->session_bytes) |
         s_bind_int (st, 5, d->session_ms) | s_bind_int (st, 6, d->progress_at) |
         s_bind_int (st, 7, s_now ())) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot record the progress of %s to %s", d->dataset, d->subscriber);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_delivery_status (store_t *s, const char *dataset, const char *subscriber,
                           const char *status)
{
    assert (s && dataset && subscriber);
    if (s_arg (s, "status", status, FIELD_SIZE (store_delivery_t, status)) != 0) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_DELIVERY_STATUS);
    int ret = -1;
    if ((s_bind_text (st, 1, dataset) | s_bind_text (st, 2, subscriber) |
         s_bind_text (st, 3, status)) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot record why the delivery of %s to %s waits", dataset, subscriber);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

/* ---- audit log ------------------------------------------------------------- */

_Static_assert(STORE_AUDIT_ENCODED_MAX >=
                   STORE_HASHBYTES + 8 + 8 + 8 * 4 + FIELD_SIZE (store_audit_t, actor) +
                       FIELD_SIZE (store_audit_t, action) + FIELD_SIZE (store_audit_t, object) +
                       FIELD_SIZE (store_audit_t, peer) + FIELD_SIZE (store_audit_t, purpose) +
                       FIELD_SIZE (store_audit_t, decision) + FIELD_SIZE (store_audit_t, rule) +
                       FIELD_SIZE (store_audit_t, detail) - 8,
               "STORE_AUDIT_ENCODED_MAX holds the largest entry");

void store_set_hasher (store_t *s, store_hash_fn *fn)
{
    assert (s);
    s->hasher = fn;
}

static uint8_t *s_put_be (uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xFF);
        v >>= 8;
    }
    return p + bytes;
}

/* The field order here is the format: changing it breaks every chain. */
size_t store_audit_encode (const uint8_t prev[STORE_HASHBYTES], const store_audit_t *e,
                           uint8_t *buf, size_t cap)
{
    assert (prev && e && buf);
    const char *const field[] = {e->actor,   e->action,   e->object, e->peer,
                                 e->purpose, e->decision, e->rule,   e->detail};
    const size_t size[] = {sizeof e->actor, sizeof e->action,  sizeof e->object,
                           sizeof e->peer,  sizeof e->purpose, sizeof e->decision,
                           sizeof e->rule,  sizeof e->detail};
    size_t len[8];
    size_t need = STORE_HASHBYTES + 8 + 8;
    for (int i = 0; i < 8; i++) {
        const char *nul = memchr (field[i], '\0', size[i]);
        if (!nul) return 0;
        len[i] = (size_t)(nul - field[i]);
        need += 4 + len[i];
    }
    if (need > cap) return 0;
    uint8_t *p = buf;
    memcpy (p, prev, STORE_HASHBYTES);
    p += STORE_HASHBYTES;
    p = s_put_be (p, (uint64_t)e->seq, 8);
    p = s_put_be (p, (uint64_t)e->at, 8);
    for (int i = 0; i < 8; i++) {
        p = s_put_be (p, (uint64_t)len[i], 4);
        memcpy (p, field[i], len[i]);
        p += len[i];
    }
    assert ((size_t)(p - buf) == need);
    return need;
}

/* The seq and hash of the last entry into *SEQ and PREV; 0 and zeros for
   an empty log. Only these two columns are read, so an entry whose text
   another program made unreadable does not stop the log; a damaged hash
   does, since nothing could be chained to it. */
static int s_audit_tail (store_t *s, int64_t *seq, uint8_t prev[STORE_HASHBYTES])
{
    sqlite3_stmt *st = s_stmt (s, ST_AUDIT_TAIL);
    int ret = -1;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        *seq = 0;
        memset (prev, 0, STORE_HASHBYTES);
        ret = 0;
    } else if (rc != SQLITE_ROW) {
        s_dbfail (s, "cannot read the end of the audit log");
    } else if (sqlite3_column_type (st, 0) != SQLITE_INTEGER) {
        s_fail (s, "the last audit entry has no integer seq: run cdx audit verify");
    } else {
        *seq = sqlite3_column_int64 (st, 0);
        const void *b = sqlite3_column_blob (st, 1);
        if (sqlite3_column_type (st, 1) != SQLITE_BLOB || !b ||
            sqlite3_column_bytes (st, 1) != STORE_HASHBYTES)
            s_fail (s,
                    "the last audit entry (seq %lld) has a damaged hash, so nothing can be "
                    "chained to it: run cdx audit verify",
                    (long long)*seq);
        else if (*seq < 0 || *seq == INT64_MAX)
            s_fail (s, "the last audit entry has seq %lld: run cdx audit verify", (long long)*seq);
        else {
            memcpy (prev, b, STORE_HASHBYTES);
            ret = 0;
        }
    }
    s_end (st);
    return ret;
}

int store_audit_append (store_t *s, const store_audit_t *e)
{
    assert (s && e);
    if (S_FIELD (s, e, actor) || S_FIELD (s, e, action) || S_FIELD (s, e, object) ||
        S_FIELD (s, e, peer) || S_FIELD (s, e, purpose) || S_FIELD (s, e, decision) ||
        S_FIELD (s, e, rule) || S_FIELD (s, e, detail))
        return -1;
    if (!s->hasher)
        return s_fail (s, "cannot write the audit log: no chain hash function is set "
                          "(store_set_hasher)");
    if (s_write_allowed (s, "cannot write the audit log") != 0) return -1;
    /* Reading the tail and inserting after it must be one write
       transaction, or two processes could chain to the same entry. */
    int own = sqlite3_get_autocommit (s->db) != 0;
    if (own && s_run (s, s_stmt (s, ST_BEGIN), "cannot write the audit log") != 0) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_AUDIT_APPEND);
    int ret = -1;
    store_audit_t row = *e;
    uint8_t prev[STORE_HASHBYTES];
    uint8_t buf[STORE_AUDIT_ENCODED_MAX];
    if (s_audit_tail (s, &row.seq, prev) != 0) goto out;
    row.seq++;
    row.at = s_now ();
    size_t len = store_audit_encode (prev, &row, buf, sizeof buf);
    assert (len > 0); /* fields checked above, buffer sized for the largest */
    if (s->hasher (buf, len, row.hash) != 0) {
        s_fail (s, "cannot write the audit log: the chain hash failed");
        goto out;
    }
    if ((s_bind_int (st, 1, row.seq) | s_bind_int (st, 2, row.at) | s_bind_text (st, 3, row.actor) |
         s_bind_text (st, 4, row.action) | s_bind_text (st, 5, row.object) |
         s_bind_text (st, 6, row.peer) | s_bind_text (st, 7, row.purpose) |
         s_bind_text (st, 8, row.decision) | s_bind_text (st, 9, row.rule) |
         s_bind_text (st, 10, row.detail) | s_bind_blob (st, 11, row.hash, sizeof row.hash)) !=
        SQLITE_OK) {
        s_dbfail (s, "cannot write the audit log");
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot write the audit log (%s %s)", row.actor, row.action);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    if (own) {
        if (ret == 0 && s_run (s, s_stmt (s, ST_COMMIT), "cannot write the audit log") != 0) ret = -1;
        if (ret != 0 && !sqlite3_get_autocommit (s->db)) {
            char why[STORE_ERR_MAX];
            snprintf (why, sizeof why, "%s", s->err);
            s_run (s, s_stmt (s, ST_ROLLBACK), "cannot roll back");
            snprintf (s->err, sizeof s->err, "%s", why);
        }
    }
    return ret;
}

typedef struct {
    int (*fn) (const store_audit_t *, void *);
    void *arg;
} s_audit_cb_t;

static int s_emit_audit (const void *row, void *ctx)
{
    const s_audit_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_audit_each_from (store_t *s, int64_t from, int (*fn) (const store_audit_t *, void *),
                           void *arg)
{
    assert (s && fn);
    sqlite3_stmt *st = s_stmt (s, ST_AUDIT_EACH);
    /* Checked before binding: resetting a busy statement would cut short
       the listing whose callback this is. */
    if (sqlite3_stmt_busy (st))
        return s_fail (s, "listing the audit log from inside the same listing's callback is not "
                          "supported");
    if (s_bind_int (st, 1, from) != SQLITE_OK) {
        s_dbfail (s, "cannot list the audit log");
        s_end (st);
        return -1;
    }
    store_audit_t row;
    s_audit_cb_t c = {fn, arg};
    return s_stream (s, ST_AUDIT_EACH, "the audit log", &row, s_row_audit, s_emit_audit, &c);
}

int store_audit_each (store_t *s, int (*fn) (const store_audit_t *, void *), void *arg)
{
    return store_audit_each_from (s, INT64_MIN, fn, arg);
}

int store_audit_last (store_t *s, store_audit_t *out)
{
    assert (s && out);
    int r = s_one (s, s_stmt (s, ST_AUDIT_LAST), s_row_audit, out, "the audit log");
    if (r == STORE_NOTFOUND) return s_notfound (s, "the audit log is empty");
    return r;
}

/* ---- audit checkpoints ---------------------------------------------------- */

int store_checkpoint_put (store_t *s, const store_checkpoint_t *c)
{
    assert (s && c);
    sqlite3_stmt *st = s_stmt (s, ST_CHECKPOINT_PUT);
    int ret = -1;
    if ((s_bind_int (st, 1, c->seq) | s_bind_blob (st, 2, c->hash, sizeof c->hash) |
         s_bind_blob (st, 3, c->sig, sizeof c->sig) | s_bind_int (st, 4, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot record the audit checkpoint");
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot record the audit checkpoint at seq %lld", (long long)c->seq);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_checkpoint_last (store_t *s, store_checkpoint_t *out)
{
    assert (s && out);
    int r = s_one (s, s_stmt (s, ST_CHECKPOINT_LAST), s_row_checkpoint, out, "audit checkpoints");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no audit checkpoint yet");
    return r;
}

typedef struct {
    int (*fn) (const store_checkpoint_t *, void *);
    void *arg;
} s_checkpoint_cb_t;

static int s_emit_checkpoint (const void *row, void *ctx)
{
    const s_checkpoint_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_checkpoint_each (store_t *s, int (*fn) (const store_checkpoint_t *, void *), void *arg)
{
    assert (s && fn);
    s_checkpoint_cb_t c = {fn, arg};
    return s_each (s, ST_CHECKPOINT_EACH, "audit checkpoints", sizeof (store_checkpoint_t), s_row_checkpoint,
                   s_emit_checkpoint, &c);
}

/* Runs one of the "pending deliveries of PUBLISHER's TOPIC" updates; returns
   the number of rows changed, or -1. */
static int s_delivery_bulk (store_t *s, s_stmt_id_t id, const char *publisher, const char *topic,
                            int64_t version, const char *subscriber, const char *why)
{
    assert (s && publisher && topic && why);
    sqlite3_stmt *st = s_stmt (s, id);
    int ret = -1;
    if ((s_bind_text (st, 1, publisher) | s_bind_text (st, 2, topic) |
         (subscriber ? s_bind_text (st, 3, subscriber) : s_bind_int (st, 3, version)) |
         s_bind_text (st, 4, why) | s_bind_int (st, 5, s_now ())) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot update deliveries of %s %s", publisher, topic);
        goto out;
    }
    ret = sqlite3_changes (s->db);
out:
    s_end (st);
    return ret;
}

int store_delivery_supersede (store_t *s, const char *publisher, const char *topic, int64_t version,
                              const char *why)
{
    return s_delivery_bulk (s, ST_DELIVERY_SUPERSEDE, publisher, topic, version, NULL, why);
}

int store_delivery_cancel (store_t *s, const char *publisher, const char *topic,
                           const char *subscriber, const char *why)
{
    return s_delivery_bulk (s, ST_DELIVERY_CANCEL, publisher, topic, 0, subscriber, why);
}

/* ---- trust ----------------------------------------------------------------- */

int store_trust_put (store_t *s, const char *name, const char *value)
{
    assert (s && name && value);
    sqlite3_stmt *st = s_stmt (s, ST_TRUST_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, name) | s_bind_text (st, 2, value) | s_bind_int (st, 3, s_now ())) !=
            SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store %s", name);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_trust_get (store_t *s, const char *name, char **out, size_t *len)
{
    assert (s && name && out);
    *out = NULL;
    sqlite3_stmt *st = s_stmt (s, ST_TRUST_GET);
    int ret = -1;
    if (s_bind_text (st, 1, name) != SQLITE_OK) {
        s_dbfail (s, "cannot look up %s", name);
        goto out;
    }
    int rc = sqlite3_step (st);
    if (rc == SQLITE_DONE) {
        ret = s_notfound (s, "no %s recorded", name);
        goto out;
    }
    if (rc != SQLITE_ROW || sqlite3_column_type (st, 0) != SQLITE_TEXT) {
        s_dbfail (s, "cannot read %s", name);
        goto out;
    }
    const unsigned char *v = sqlite3_column_text (st, 0);
    int n = sqlite3_column_bytes (st, 0);
    if (!v || n < 0) {
        s_fail (s, "cannot read %s", name);
        goto out;
    }
    *out = malloc ((size_t)n + 1);
    if (!*out) {
        s_fail (s, "out of memory");
        goto out;
    }
    memcpy (*out, v, (size_t)n);
    (*out)[n] = 0;
    if (len) *len = (size_t)n;
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_self_card (store_t *s, const char *card)
{
    assert (s && card);
    if (s_arg (s, "card", card, FIELD_SIZE (store_self_t, card)) != 0) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_SELF_CARD);
    int ret = -1;
    if (s_bind_text (st, 1, card) != SQLITE_OK || sqlite3_step (st) != SQLITE_DONE ||
        sqlite3_changes (s->db) != 1) {
        s_dbfail (s, "cannot replace this node's card");
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

/* ---- agreements ------------------------------------------------------------ */

int store_agreement_put (store_t *s, const store_agreement_t *a)
{
    assert (s && a);
    if (S_FIELD (s, a, ref) || S_FIELD (s, a, provider) || S_FIELD (s, a, recipient) ||
        S_FIELD (s, a, revoked_by) || S_FIELD (s, a, reason))
        return -1;
    if (a->doc_len == 0 || a->doc_len > sizeof a->doc)
        return s_fail (s, "agreement %s: doc_len %zu is not 1 to %zu", a->ref, a->doc_len,
                       sizeof a->doc);
    sqlite3_stmt *st = s_stmt (s, ST_AGREEMENT_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, a->ref) | s_bind_blob (st, 2, a->hash, sizeof a->hash) |
         s_bind_blob (st, 3, a->doc, a->doc_len) | s_bind_text (st, 4, a->provider) |
         s_bind_text (st, 5, a->recipient) |
         s_bind_blob (st, 6, a->sig_provider, sizeof a->sig_provider) |
         s_bind_blob (st, 7, a->sig_recipient, sizeof a->sig_recipient) |
         s_bind_int (st, 8, a->start) | s_bind_int (st, 9, a->end) |
         s_bind_int (st, 10, a->revoked) | s_bind_text (st, 11, a->revoked_by) |
         s_bind_text (st, 12, a->reason) | s_bind_int (st, 13, a->pushed) |
         s_bind_int (st, 14, s_now ())) != SQLITE_OK) {
        s_dbfail (s, "cannot store agreement %s", a->ref);
        goto out;
    }
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store agreement %s", a->ref);
        goto out;
    }
    if (sqlite3_changes (s->db) == 0) {
        s_fail (s, "agreement %s: this reference is already held for another agreement", a->ref);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_agreement_get (store_t *s, const char *ref, store_agreement_t *out)
{
    assert (s && ref && out);
    sqlite3_stmt *st = s_stmt (s, ST_AGREEMENT_GET);
    if (s_bind_text (st, 1, ref) != SQLITE_OK) {
        s_dbfail (s, "cannot look up agreement");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_agreement, out, "agreement");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no agreement %.64s", ref);
    return r;
}

int store_agreement_by_hash (store_t *s, const uint8_t hash[32], store_agreement_t *out)
{
    assert (s && hash && out);
    sqlite3_stmt *st = s_stmt (s, ST_AGREEMENT_BY_HASH);
    if (s_bind_blob (st, 1, hash, 32) != SQLITE_OK) {
        s_dbfail (s, "cannot look up agreement");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_agreement, out, "agreement");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no agreement with that hash");
    return r;
}

typedef struct {
    int (*fn) (const store_agreement_t *, void *);
    void *arg;
} s_agreement_cb_t;

static int s_emit_agreement (const void *row, void *ctx)
{
    const s_agreement_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_agreement_each (store_t *s, int (*fn) (const store_agreement_t *, void *), void *arg)
{
    assert (s && fn);
    s_agreement_cb_t c = {fn, arg};
    return s_each (s, ST_AGREEMENT_EACH, "agreements", sizeof (store_agreement_t), s_row_agreement,
                   s_emit_agreement, &c);
}

int64_t store_agreement_count_unsigned (store_t *s, const char *org)
{
    assert (s && org);
    return s_count (s, ST_AGREEMENT_UNSIGNED, org, NULL, "agreements");
}

/* ---- datasets: erasure ------------------------------------------------------ */

/* Steps ST (its parameters bound with BIND_RC), a change of one dataset
   row: 0, or -1 naming WHAT and ID, also when no row has that id. Resets
   ST. */
static int s_change_dataset (store_t *s, sqlite3_stmt *st, int bind_rc, const char *what, const char *id)
{
    int ret = -1;
    if (bind_rc != SQLITE_OK || sqlite3_step (st) != SQLITE_DONE)
        s_dbfail (s, "cannot %s dataset %.64s", what, id);
    else if (sqlite3_changes (s->db) == 0)
        s_fail (s, "cannot %s dataset %.64s: there is no such dataset", what, id);
    else
        ret = 0;
    s_end (st);
    return ret;
}

int store_dataset_erase (store_t *s, const char *id)
{
    assert (s && id);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_ERASE);
    return s_change_dataset (s, st, s_bind_text (st, 1, id) | s_bind_int (st, 2, s_now ()), "erase", id);
}

int store_dataset_resign (store_t *s, const char *id, const uint8_t sig[64])
{
    assert (s && id && sig);
    sqlite3_stmt *st = s_stmt (s, ST_DATASET_RESIGN);
    return s_change_dataset (s, st, s_bind_text (st, 1, id) | s_bind_blob (st, 2, sig, 64) | s_bind_int (st, 3, s_now ()),
                             "record the new signature of", id);
}

/* ---- local users ------------------------------------------------------------ */

#define TEXT(i, f) s_col_text (s, T, st, (i), out->f, sizeof out->f)
#define INT(i, f) s_col_int (s, T, st, (i), &out->f)

static int s_row_user (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "users";
    store_user_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, login) || TEXT (1, roles) || TEXT (2, added_by) || INT (3, created) ||
        INT (4, updated))
        return -1;
    return 0;
}

int store_user_put (store_t *s, const store_user_t *u)
{
    assert (s && u);
    if (S_FIELD (s, u, login) || S_FIELD (s, u, roles) || S_FIELD (s, u, added_by)) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_USER_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, u->login) | s_bind_text (st, 2, u->roles) |
         s_bind_text (st, 3, u->added_by) | s_bind_int (st, 4, s_now ())) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store user %.64s", u->login);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_user_get (store_t *s, const char *login, store_user_t *out)
{
    assert (s && login && out);
    sqlite3_stmt *st = s_stmt (s, ST_USER_GET);
    if (s_bind_text (st, 1, login) != SQLITE_OK) {
        s_dbfail (s, "cannot look up user");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_user, out, "user");
    if (r == STORE_NOTFOUND) return s_notfound (s, "no local user %.64s", login);
    return r;
}

int store_user_remove (store_t *s, const char *login)
{
    assert (s && login);
    sqlite3_stmt *st = s_stmt (s, ST_USER_REMOVE);
    int ret = -1;
    if (s_bind_text (st, 1, login) != SQLITE_OK || sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot remove user %.64s", login);
        goto out;
    }
    ret = sqlite3_changes (s->db) == 0 ? s_notfound (s, "no local user %.64s", login) : 0;
out:
    s_end (st);
    return ret;
}

typedef struct {
    int (*fn) (const store_user_t *, void *);
    void *arg;
} s_user_cb_t;

static int s_emit_user (const void *row, void *ctx)
{
    const s_user_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_user_each (store_t *s, int (*fn) (const store_user_t *, void *), void *arg)
{
    assert (s && fn);
    s_user_cb_t c = {fn, arg};
    return s_each (s, ST_USER_EACH, "users", sizeof (store_user_t), s_row_user, s_emit_user, &c);
}

/* ---- retention of received datasets ----------------------------------------- */

static int s_row_retention (store_t *s, sqlite3_stmt *st, void *row)
{
    static const char T[] = "retention";
    store_retention_t *out = row;
    memset (out, 0, sizeof *out);
    if (TEXT (0, publisher) || TEXT (1, topic) || INT (2, seconds) || TEXT (3, set_by) ||
        INT (4, updated) || INT (5, delivered))
        return -1;
    return 0;
}

int store_retention_put (store_t *s, const store_retention_t *r)
{
    assert (s && r);
    if (S_FIELD (s, r, publisher) || S_FIELD (s, r, topic) || S_FIELD (s, r, set_by)) return -1;
    sqlite3_stmt *st = s_stmt (s, ST_RETENTION_PUT);
    int ret = -1;
    if ((s_bind_text (st, 1, r->publisher) | s_bind_text (st, 2, r->topic) |
         s_bind_int (st, 3, r->seconds) | s_bind_text (st, 4, r->set_by) |
         s_bind_int (st, 5, s_now ()) | s_bind_int (st, 6, r->delivered ? 1 : 0)) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_DONE) {
        s_dbfail (s, "cannot store the retention of %.16s %.64s", r->publisher, r->topic);
        goto out;
    }
    ret = 0;
out:
    s_end (st);
    return ret;
}

int store_retention_get (store_t *s, const char *publisher, const char *topic,
                         store_retention_t *out)
{
    assert (s && publisher && topic && out);
    sqlite3_stmt *st = s_stmt (s, ST_RETENTION_GET);
    if ((s_bind_text (st, 1, publisher) | s_bind_text (st, 2, topic)) != SQLITE_OK) {
        s_dbfail (s, "cannot look up a retention period");
        s_end (st);
        return -1;
    }
    int r = s_one (s, st, s_row_retention, out, "retention");
    if (r == STORE_NOTFOUND)
        return s_notfound (s, "no retention period for %.64s from %.16s", topic, publisher);
    return r;
}

typedef struct {
    int (*fn) (const store_retention_t *, void *);
    void *arg;
} s_retention_cb_t;

static int s_emit_retention (const void *row, void *ctx)
{
    const s_retention_cb_t *c = ctx;
    return c->fn (row, c->arg);
}

int store_retention_each (store_t *s, int (*fn) (const store_retention_t *, void *), void *arg)
{
    assert (s && fn);
    s_retention_cb_t c = {fn, arg};
    return s_each (s, ST_RETENTION_EACH, "retention periods", sizeof (store_retention_t), s_row_retention,
                   s_emit_retention, &c);
}

#undef TEXT
#undef INT
