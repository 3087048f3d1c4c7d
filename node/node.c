/*  node.c: a node's life: its home made (node_init), opened and checked
    (node_open: the home's permissions, a rotation cut short, the keys
    against the card, the user acting) and closed.

    It composes the core (core.c), the home's checks (home.c), the key
    history (keys.c) and the user acting (access.c); nothing calls back
    into it but the front ends.

    Not for: the operations on an open node (publish.c, export.c,
    subscribe.c, peers.c ...), the event loop (node/run/).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "core.h"
#include "home.h"
#include "keys.h"

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
    char addr[CARD_ADDR_MAX + 1];
    if (card_address (o->org, o->node, addr) != 0)
        return node_errf (err, errlen, "%s", card_error ());
    snprintf (e.object, sizeof e.object, "node:%s", addr);
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
    if (o->node && card_valid_label (o->node) != 0)
        return node_errf (err, errlen, "--node %s: a node label is 1 to %u lower-case letters or digits, a letter "
                          "first (e.g. a, b, leeds1)", o->node, CARD_LABEL_MAX);
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
    if (node_join (path, sizeof path, o->home, "store.db") != 0 || node_join (keys, sizeof keys, o->home, "keys") != 0)
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
    store_t *store = NULL;
    for (int i = 0; i < 3; i++) {
        kp[i] = cx_keypair_new (node_key_types[i]);
        if (!kp[i] || node_key_path (path, sizeof path, o->home, i) != 0) {
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
    snprintf (self.node, sizeof self.node, "%s", o->node ? o->node : "");
    snprintf (self.role, sizeof self.role, "%s", o->role);
    snprintf (self.name, sizeof self.name, "%s", o->name);
    snprintf (self.endpoint, sizeof self.endpoint, "%s", o->endpoint);
    if (node_make_card (&self, kp, self.card, sizeof self.card) != 0) {
        node_errf (err, errlen, "cannot sign the card: %s", card_error ());
        goto out;
    }

    if (node_join (path, sizeof path, o->home, "store.db") != 0)
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
    return node_open_as (home, node_user (), why, err, errlen);
}

node_t *node_open_as (const char *home, const char *login, node_open_why_t *why, char *err, size_t errlen)
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
    node_t *n = node_new (home);
    if (!n) {
        node_errf (err, errlen, "out of memory");
        return NULL;
    }
    char path[NODE_PATH_MAX];
    if (node_join (path, sizeof path, home, "store.db") != 0) {
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
    if (node_open_store (n, path, err, errlen) != 0)
        goto fail;
    if (node_keys_recover (n, err, errlen) != 0)        /* a rotation cut short */
        goto fail;
    if (node_load_keys (n, err, errlen) != 0)
        goto fail;
    if (node_home_check_card (n, err, errlen) != 0)
        goto fail;
    if (node_keys_load_old (n, err, errlen) != 0)
        goto fail;
    if (node_identify (n, login) != 0) {
        node_errf (err, errlen, "%s", node_error (n));
        *why = node_invalid (n) ? NODE_OPEN_INVALID : node_refused (n) ? NODE_OPEN_REFUSED : NODE_OPEN_FAILED;
        goto fail;
    }
    return n;
fail:
    node_close (&n);
    return NULL;
}

int node_act_as (node_t *n, const char *login)
{
    if (node_home_check (node_home (n), node_errbuf (n), NODE_ERR_MAX) != 0)
        return -1;
    return node_identify (n, login);
}

void node_close (node_t **n_p)
{
    if (!n_p || !*n_p)
        return;
    node_keys_release (*n_p);
    node_acting_release (*n_p);
    node_free (n_p);
}
