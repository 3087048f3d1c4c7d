/*  publish.c: a new version of a topic published from a file: its
    governance checked first (legal basis, opt-outs, onward sharing under
    policy.c), the file read in chunks, each hashed (on a second thread,
    hasher.c, for more than one) and sealed into data/ID.sealed (sealed.c),
    the manifest signed, and in one transaction the dataset, a delivery
    queued per active subscriber, a copy queued per sibling (copies.c)
    and the audit entry; the store's log
    synced before the id is given back, and the running node kicked.

    Not for: sending it (node/run/), the sealed file's layout (sealed.h).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "core.h"
#include "find.h"
#include "hasher.h"
#include "home.h"
#include "policy.h"
#include "sealed.h"

/* A publish under way: the values given, as checked, and what it made. */
typedef struct {
    const node_publish_t *p;
    const char *kind;            /* new, supersedes, correction */
    const char *legal_basis;     /* "" if none */
    const char *opt_out;
    const char *source;          /* the agreement it is shared onward under, "" if none */
    int64_t retention;           /* seconds an undelivered copy is kept */
    char actor[160];
    proto_manifest_t m;
    char id[33];
    char tmp[NODE_PATH_MAX];     /* data/ID.sealed.tmp while it is ours to remove, else "" */
    char final[NODE_PATH_MAX];
} s_pub_t;

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
    if (store_self_get (node_db (n), now) != 0)
        rc = node_fail (n, "%s", store_error (node_db (n)));
    else if (strcmp (now->card, node_self (n)->card) != 0)
        rc = node_fail (n, "the node's keys were rotated while this command ran: nothing was recorded; run it "
                           "again");
    free (now);
    return rc;
}

/* The file of a publish as its audit entries name it: its absolute path
   where it resolves, else as given. */
static void s_publish_file (const node_publish_t *p, char *buf, size_t cap)
{
    snprintf (buf, cap, "%s", p->abs_path ? p->abs_path : p->path ? p->path : "");
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
    node_set_refused (n, 1);
    return -1;
}

/* The governance of a publish, decided before anything is written:
   identifiable data states its legal basis and an opt-out status that
   does not contradict it; data received under an agreement goes further
   only if policy_onward allows it. 0, or -1 (s_publish_refuse). */
static int s_publish_governance (node_t *n, const s_pub_t *u)
{
    const node_publish_t *p = u->p;
    int identifiable = proto_class_rank (p->class_) == PROTO_CLASS_IDENTIFIABLE;
    if (identifiable && !*u->legal_basis)
        return s_publish_refuse (n, p, u->actor, "policy.legal-basis",
                                 "--legal-basis is required for identifiable data (e.g. \"Art 6(1)(e); "
                                 "Art 9(2)(h); s251 CAG 7-07(a)/2013\")");
    if (identifiable && !*u->opt_out)
        return s_publish_refuse (n, p, u->actor, "policy.opt-out",
                                 "--opt-out is required for identifiable data: yes or statutory-exemption");
    if (identifiable && proto_opt_out_id (u->opt_out) == PROTO_OPT_OUT_NOT_IDENTIFIABLE)
        return s_publish_refuse (n, p, u->actor, "policy.opt-out",
                                 "--opt-out not-identifiable contradicts --class identifiable");
    if (!*u->source)
        return 0;
    policy_decision_t d;
    if (policy_onward (node_db (n), POLICY_PUBLISH, node_self (n)->org, u->source, (int64_t) time (NULL), &d) != 0)
        return node_fail (n, "%s", d.reason);
    if (!d.allow)
        return s_publish_refuse (n, p, u->actor, d.rule, "%s", d.reason);
    return 0;
}

/* The values given, checked before anything is done or audited, into U.
   0, or -1 (node_invalid). */
static int s_publish_check (node_t *n, s_pub_t *u)
{
    const node_publish_t *p = u->p;
    if (node_check_topic (n, "--topic", p->topic) != 0)
        return -1;
    if (!proto_class_known (p->class_))
        return node_fail_input (n, "--class must be one of %s", proto_classes_list ());
    if (!proto_purpose_known (p->purpose))
        return node_fail_input (n, "--purpose must be one of %s", proto_purposes_list ());
    u->kind = p->kind ? p->kind : "new";
    if (strcmp (u->kind, "new") != 0 && strcmp (u->kind, "supersedes") != 0 && strcmp (u->kind, "correction") != 0)
        return node_fail_input (n, "--kind must be new, supersedes or correction");
    if (p->retention < 0 || p->retention > NODE_RETENTION_MAX)
        return node_fail_input (n, "--retention must be 1 s to %d days", NODE_RETENTION_MAX / 86400);
    if (p->agreement && *p->agreement && proto_ref_ok (p->agreement) != 0)
        return node_fail_input (n, "--agreement: %s", proto_error ());
    const char *base = p->path ? strrchr (p->path, '/') : NULL;
    base = base ? base + 1 : p->path ? p->path : "";
    if (strlen (base) >= sizeof u->m.filename)
        return node_fail_input (n, "the file's name is longer than %zu bytes (the manifest carries it): rename it",
                                sizeof u->m.filename - 1);
    int identifiable = proto_class_rank (p->class_) == PROTO_CLASS_IDENTIFIABLE;
    u->legal_basis = p->legal_basis ? p->legal_basis : "";
    u->opt_out = p->opt_out ? p->opt_out : identifiable ? "" : "not-identifiable";
    if (strlen (u->legal_basis) > PROTO_BASIS_MAX)
        return node_fail_input (n, "--legal-basis is longer than %u bytes", PROTO_BASIS_MAX);
    if (p->opt_out && !proto_opt_out_known (p->opt_out))
        return node_fail_input (n, "--opt-out must be %s", proto_opt_outs_or ());
    u->source = p->agreement ? p->agreement : "";
    u->retention = p->retention ? p->retention : NODE_RETENTION_DEFAULT;
    proto_manifest_t *m = &u->m;
    memset (m, 0, sizeof *m);
    m->format = 1;
    snprintf (m->publisher, sizeof m->publisher, "%s", node_self (n)->org);
    snprintf (m->topic, sizeof m->topic, "%s", p->topic);
    snprintf (m->class_, sizeof m->class_, "%s", p->class_);
    snprintf (m->purpose, sizeof m->purpose, "%s", p->purpose);
    snprintf (m->filename, sizeof m->filename, "%s", base);
    m->chunk_size = NODE_CHUNK_SIZE;
    snprintf (m->legal_basis, sizeof m->legal_basis, "%s", u->legal_basis);
    snprintf (m->opt_out, sizeof m->opt_out, "%s", u->opt_out);
    snprintf (m->agreement, sizeof m->agreement, "%s", u->source);
    return 0;
}

/* Frees a chunk buffer, wiping only the bytes a chunk filled (TOUCHED):
   wiping the whole buffer would touch (and fault in) a MiB of pages a
   small dataset never used. */
static void s_free_plain (uint8_t *buf, size_t touched)
{
    if (buf) {
        cx_wipe (buf, touched);
        free (buf);
    }
}

/* Reads IN (SIZE bytes by fstat) chunk by chunk, hashing and sealing each
   under KEY into OUT, then syncs OUT: the manifest's hash, bytes and
   chunks are set. 0, or -1 (node_error). */
static int s_publish_seal (node_t *n, s_pub_t *u, int in, off_t size, int out, cx_content_t *key)
{
    const node_publish_t *p = u->p;
    proto_manifest_t *m = &u->m;
    int rc = -1;
    size_t touched = 0;                  /* plaintext bytes to wipe in each buffer */
    node_hasher_t *hasher = NULL;
    /* Two chunk buffers only when a second thread hashes: a one-chunk
       dataset (the common small one) costs no thread and no extra pages. */
    int threaded = size > (off_t) NODE_CHUNK_SIZE;
    uint8_t *plain = malloc (NODE_CHUNK_SIZE), *plain2 = threaded ? malloc (NODE_CHUNK_SIZE) : NULL;
    uint8_t *sealed = malloc (NODE_CHUNK_SIZE + CX_CHUNK_ABYTES);
    cx_hash_t *hash = cx_hash_new ();
    if (!plain || (threaded && !plain2) || !sealed || !hash) {
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
    ssize_t r = node_read_full (in, cur, NODE_CHUNK_SIZE);
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
        if (cx_chunk_seal (key, m->dataset, index, cur, (size_t) r, sealed) != 0) {
            node_fail (n, "cannot seal chunk %llu: %s", (unsigned long long) index, cx_error ());
            goto out;
        }
        size_t slen = (size_t) r + CX_CHUNK_ABYTES;
        if (node_write_all (out, sealed, slen) != 0) {
            node_fail (n, "cannot write %s: %s (is the disk full?)", u->tmp, strerror (errno));
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
            p->progress (total, (uint64_t) size, p->progress_arg);
        ssize_t next = 0;
        if ((size_t) r == NODE_CHUNK_SIZE)   /* read the next chunk while this one is hashed */
            next = node_read_full (in, hasher ? ahead : cur, NODE_CHUNK_SIZE);
        if (hasher) {
            node_hasher_wait (hasher);
            uint8_t *t = cur;
            cur = ahead;
            ahead = t;
        }
        r = next;
    }
    node_hasher_destroy (&hasher);
    cx_hash_final (hash, m->hash);
    m->bytes = total;
    m->chunks = index;
    if (fsync (out) != 0) {
        node_fail (n, "cannot sync %s: %s (is the disk full?)", u->tmp, strerror (errno));
        goto out;
    }
    rc = 0;
out:
    node_hasher_destroy (&hasher);          /* before its buffers go */
    s_free_plain (plain, touched);
    s_free_plain (plain2, touched);
    free (sealed);
    cx_hash_destroy (&hash);
    return rc;
}

/* Inside the transaction: the next version's manifest, signed, with the
   content key wrapped for this node, as the dataset's row D. 0, or -1
   (node_error; the caller rolls back). */
static int s_publish_row (node_t *n, s_pub_t *u, cx_content_t *key, store_dataset_t *d)
{
    proto_manifest_t *m = &u->m;
    memset (d, 0, sizeof *d);
    if (s_keys_current (n) != 0)
        return -1;
    int64_t last = store_dataset_last_version (node_db (n), node_self (n)->org, m->topic);
    if (last < 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    m->version = (uint64_t) last + 1;
    if (proto_manifest_encode (m, d->manifest, sizeof d->manifest, &d->manifest_len) != 0)
        return node_fail (n, "invalid dataset metadata: %s", proto_error ());
    if (cx_sign (node_sign_key (n), d->manifest, d->manifest_len, d->sig) != 0 ||
        cx_content_wrap (key, cx_keypair_public (node_box_key (n)), d->wrapped) != 0)
        return node_fail (n, "cannot sign: %s", cx_error ());
    node_dataset_from_manifest (d, m, u->id);
    d->state = STORE_DS_PUBLISHED;
    d->next_chunk = d->chunks;
    snprintf (d->kind, sizeof d->kind, "%s", u->kind);
    snprintf (d->agreement, sizeof d->agreement, "%s", u->source);
    d->expires = m->created + u->retention;
    snprintf (d->origin, sizeof d->origin, "%s", node_address (n));
    return 0;
}

/* The row D, its queued deliveries, older versions superseded and the
   audit entry, inside the caller's transaction, once the file is in place.
   0, or -1 (node_error; the caller rolls back and removes the file). */
static int s_publish_queue (node_t *n, s_pub_t *u, const store_dataset_t *d)
{
    const proto_manifest_t *m = &u->m;
    int queued = 0, copies = 0;
    if (store_dataset_put (node_db (n), d) != 0)
        return node_fail (n, "cannot record the dataset: %s", store_error (node_db (n)));
    if (node_subscribers_queue (n, u->id, m->topic, &queued) != 0 || node_copies_queue (n, u->id, NULL, &copies) != 0)
        return -1;
    char sibs[48] = "";
    if (copies > 0)
        snprintf (sibs, sizeof sibs, ", a copy for %d sibling(s)", copies);
    int superseded = 0;
    if (strcmp (u->kind, "supersedes") == 0) {
        char why[64];
        snprintf (why, sizeof why, "superseded by version %lld", (long long) d->version);
        superseded = store_delivery_supersede (node_db (n), d->publisher, d->topic, d->version, why);
        if (superseded < 0)
            return node_fail (n, "cannot record the dataset: %s", store_error (node_db (n)));
    }
    char hashhex[65], object[129];
    cx_hex (m->hash, sizeof m->hash, hashhex);
    snprintf (object, sizeof object, "%s v%lld %s", m->topic, (long long) m->version, u->id);
    if (node_audit_purpose (n, u->actor, "publish", object, "", m->purpose, "allow", "local.publish",
                    "%s, %llu bytes, class %s, purpose %s, legal basis %s, opt-outs %s%s%s, %s, blake2b %s, "
                    "queued for %d subscriber(s)%s%s; undelivered copies expire after %lld s",
                    m->filename, (unsigned long long) m->bytes, m->class_, m->purpose,
                    *u->legal_basis ? u->legal_basis : "none stated", u->opt_out,
                    *u->source ? ", onward under " : "", u->source, u->kind, hashhex, queued, sibs,
                    superseded > 0 ? ", older undelivered versions superseded" : "",
                    (long long) u->retention) != 0 ||
        store_commit (node_db (n)) != 0)
        return node_fail (n, "cannot record the dataset: %s", store_error (node_db (n)));
    return 0;
}

/* The sealed file renamed into place and the dataset recorded, in one
   transaction: the file is in place before the row commits, so a stored
   dataset always has its content; a crash in between leaves an
   unreferenced file, never a dangling row. 0, or -1 (node_error). */
static int s_publish_record (node_t *n, s_pub_t *u, cx_content_t *key)
{
    store_dataset_t d;
    if (store_begin (node_db (n)) != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    if (s_publish_row (n, u, key, &d) != 0) {
        store_rollback (node_db (n));
        return -1;
    }
    if (rename (u->tmp, u->final) != 0) {
        node_fail (n, "cannot rename %s: %s", u->tmp, strerror (errno));
        store_rollback (node_db (n));
        return -1;
    }
    u->tmp[0] = 0;
    char datadir[NODE_PATH_MAX];
    snprintf (datadir, sizeof datadir, "%s/data", node_home (n));
    node_sync_dir (datadir);
    if (s_publish_queue (n, u, &d) != 0) {
        store_rollback (node_db (n));
        unlink (u->final);
        return -1;
    }
    return 0;
}

/* What may go wrong before the file is read: the values, the role (the
   claim names the file), the governance. 0, or -1 (audited if refused). */
static int s_publish_allowed (node_t *n, s_pub_t *u)
{
    const node_publish_t *p = u->p;
    if (s_publish_check (n, u) != 0)
        return -1;
    char file[NODE_PATH_MAX + 8];
    snprintf (file, sizeof file, "file ");
    s_publish_file (p, file + 5, sizeof file - 5);
    node_claim_t claim = {"publish", p->topic, NULL, p->purpose, file};
    if (!node_authorize_claim (n, NODE_ROLE_PUBLISHER, &claim))
        return -1;
    node_actor (n, NODE_ROLE_PUBLISHER, u->actor, sizeof u->actor);
    return s_publish_governance (n, u);
}

int node_publish (node_t *n, const node_publish_t *p, char id_out[33], int64_t *version)
{
    s_pub_t *u = calloc (1, sizeof *u);
    if (!u)
        return node_fail (n, "out of memory");
    u->p = p;
    int rc = -1, in = -1, out = -1;
    cx_content_t *key = NULL;
    if (s_publish_allowed (n, u) != 0)
        goto out;
    node_home_sweep (n, u->actor, 1);           /* what killed publishes left */
    char abs[NODE_PATH_MAX], why[NODE_ERR_MAX];
    in = p->files ? p->files->open_in (p->files->arg, p->path, abs, sizeof abs, why, sizeof why) : -1;
    if (in < 0) {
        node_fail (n, "cannot open %s: %s", p->path, p->files ? why : "no way to open it");
        goto out;
    }
    struct stat st;
    if (fstat (in, &st) != 0 || !S_ISREG (st.st_mode)) {
        node_fail (n, "%s is not a regular file", p->path);
        goto out;
    }
    u->m.created = (int64_t) time (NULL);
    out = node_sealed_create (n, u->m.dataset, u->id, u->final, u->tmp);
    if (out < 0)
        goto out;
    if (!(key = cx_content_new ())) {
        node_fail (n, "out of memory");
        goto out;
    }
    /* OUT stays open, and so held (node_home_hold), until the row that
       names the file is committed or the file is removed. */
    if (s_publish_seal (n, u, in, st.st_size, out, key) != 0 || s_publish_record (n, u, key) != 0)
        goto out;
    /* Recorded; durable before the user is told (the id is printed). The
       dataset stays either way: it is committed. */
    if (store_sync (node_db (n)) != 0) {
        node_fail (n, "dataset %s recorded, but the store could not be made durable: %s", u->id,
                   store_error (node_db (n)));
        node_kick (n);
        goto out;
    }
    memcpy (id_out, u->id, 33);
    if (version)
        *version = (int64_t) u->m.version;
    rc = 0;
    node_kick (n);
out:
    if (in >= 0)
        close (in);
    if (u->tmp[0])
        unlink (u->tmp);
    if (out >= 0)
        close (out);                        /* lets go of the file after its unlink */
    cx_content_destroy (&key);
    free (u);
    return rc;
}
