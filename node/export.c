/*  export.c: a dataset's plaintext written to a file a user names, for a
    purpose the export rule allows (node_export_allowed, access.c): every
    chunk opened and the signed hash checked again as it is written, the
    decision taken again when the plaintext is complete, the file put in
    place only under it, and the export audited, allowed or refused.

    Not for: where the file goes and how it is replaced (outfile.c), the
    rule itself (access.c, policy.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "core.h"
#include "find.h"
#include "outfile.h"
#include "sealed.h"

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
        int64_t want = node_chunk_bytes (d, i);
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
        if (node_outfile_write (out, plain, (size_t) want, node_errbuf (n), NODE_ERR_MAX) != 0)
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
    if (node_outfile_sync (out, node_errbuf (n), NODE_ERR_MAX) != 0)   /* not under the store's lock */
        return -1;
    if (store_begin (node_db (n)) != 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    const char *refused = NULL;
    store_dataset_t *now = calloc (1, sizeof *now);
    if (!now) {
        node_fail (n, "out of memory");
        goto fail;
    }
    int got = store_dataset_get (node_db (n), d->id, now);
    if (got < 0) {
        node_fail (n, "%s", store_error (node_db (n)));
        goto fail;
    }
    if (got != 0 || (now->state != STORE_DS_AVAILABLE && now->state != STORE_DS_PUBLISHED)) {
        node_fail (n, "dataset %s was %s while the export ran; nothing was written", d->id,
                   now->state == STORE_DS_ERASED ? "erased" : "changed");
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
    if (node_outfile_commit (out, node_errbuf (n), NODE_ERR_MAX) != 0)
        goto fail;
    if (node_audit_purpose (n, actor, "export", object, d->publisher, purpose, "allow", *rule,
                            "%lld bytes decrypted to %s", (long long) d->bytes, node_outfile_path (out)) != 0 ||
        store_commit (node_db (n)) != 0) {
        node_outfile_retract (out);
        node_fail (n, "cannot record the export in the audit log (%s): the file was removed", store_error (node_db (n)));
        goto fail;
    }
    free (now);
    return 0;
fail:
    free (now);
    store_rollback (node_db (n));
    if (refused) {
        *rule = refused;
        node_set_refused (n, 1);
    }
    return -1;
}

/* The values given, checked before anything is audited: a purpose
   missing or out of the vocabulary is a mistyped command, not a claim to
   log. 0, or -1 (node_invalid). */
static int s_export_check (node_t *n, const char *id, const char *out_path, const char *purpose)
{
    if (!node_is_dataset_id (id))
        return node_fail_input (n, "a dataset id is 32 hex digits (cdx datasets lists them)");
    if (purpose && *purpose && !proto_purpose_known (purpose))
        return node_fail_input (n, "--purpose must be one of %s", proto_purposes_list ());
    if (!out_path || !*out_path || strlen (out_path) >= NODE_PATH_MAX)
        return node_fail_input (n, "-o FILE: a path of 1 to %d bytes", NODE_PATH_MAX - 1);
    return 0;
}

/* The export of D (held here, asked for by ACTOR) once its rules allow
   it: the sealed file opened, copied out as plaintext into OUT_PATH and
   recorded. 0, or -1 with *RULE the rule that refused, if one did. */
static int s_export_run (node_t *n, const store_dataset_t *d, const char *out_path, const char *purpose,
                         const node_files_t *files, const char *claimed, const char *actor, const char *object,
                         const char **rule, node_progress_fn *progress, void *arg)
{
    const char *refused = node_export_allowed (n, d, purpose);
    if (refused) {
        *rule = refused;
        node_set_refused (n, 1);
        return -1;
    }
    if (d->state != STORE_DS_AVAILABLE && d->state != STORE_DS_PUBLISHED)
        return node_fail (n, "dataset %s is %s, not available: wait for it to arrive", d->id,
                          store_dataset_state_name (d->state));
    int rc = -1, in = -1;
    node_outfile_t *out = files ? files->open_out (files->arg, out_path, 0600, node_errbuf (n), NODE_ERR_MAX)
                                : NULL;
    if (!out) {
        if (!files)
            node_fail (n, "no way to create %s", out_path);
        goto out;
    }
    char path[NODE_PATH_MAX];
    node_data_path (n, d->id, path, sizeof path);
    in = open (path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        node_fail (n, "cannot open %s: %s", path, strerror (errno));
        goto out;
    }
    if (s_export_copy (n, d, in, out, progress, arg) != 0 ||
        s_export_finish (n, d, claimed, out, actor, object, rule) != 0)
        goto out;
    rc = 0;
out:
    if (in >= 0)
        close (in);
    node_outfile_destroy (&out);
    return rc;
}

int node_export (node_t *n, const char *id, const char *out_path, const char *purpose,
                 const node_files_t *files, node_progress_fn *progress, void *arg)
{
    if (s_export_check (n, id, out_path, purpose) != 0)
        return -1;
    const char *rule = "local.export", *claimed = purpose ? purpose : "";
    store_dataset_t *d = malloc (sizeof *d);
    if (!d)
        return node_fail (n, "out of memory");
    int rc = -1;
    char object[129], actor[160];
    /* Every refusal from here on, the role's too, names what was asked as
       an allowed export does: the dataset (topic, version, id), its
       publisher and the purpose claimed. */
    int r = store_dataset_get (node_db (n), id, d);
    if (r != 0 && r != STORE_NOTFOUND) {
        free (d);
        return node_fail (n, "%s", store_error (node_db (n)));
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
    if (r == STORE_NOTFOUND)
        node_fail (n, "no dataset %s here: cdx datasets lists what this node holds", id);
    else
        rc = s_export_run (n, d, out_path, purpose, files, claimed, actor, object, &rule, progress, arg);
    if (r == 0 && rc != 0) {
        char why[NODE_ERR_MAX];
        snprintf (why, sizeof why, "%s", node_error (n));
        node_audit_purpose (n, actor, "export", object, d->publisher, claimed, "refuse", rule, "%s", why);
        snprintf (node_errbuf (n), NODE_ERR_MAX, "%s", why);
        node_set_refused (n, strcmp (rule, "local.export") != 0);
    }
    free (d);
    return rc;
}
