/*  listing.c: the rows a front end lists (peers, datasets, subscriptions,
    retention rules, agreements, users, the audit log), each after the
    role check its rows need, and single rows by their key.

    The rows are the store's records, handed to the caller's function as
    the store reads them; nothing is printed here. Who may list what is
    decided here, not by the command line: the users for an admin or the
    IG officer, the audit log for the IG officer (refusals audited by
    node_authorize; an allowed read is not written into the log it reads,
    so that two reads of an unchanged log agree and verifying does not
    change the evidence it checks).

    Not for: deliveries and what the running node says of them
    (progress.c), formats (tools/, protocol/auditexport.c).
*/
#include "core.h"

/* The end of every listing: a store error becomes the node's (with HINT
   after it, "" for none); FN's non-zero value is passed on. */
static int s_listed (node_t *n, int each, const char *hint)
{
    if (each < 0)
        return node_fail (n, "%s%s", store_error (node_db (n)), hint);
    return each;
}

/* The end of every lookup: 0 found, 1 none such, -1 (node_error). */
static int s_got (node_t *n, int r)
{
    if (r < 0)
        return node_fail (n, "%s", store_error (node_db (n)));
    return r == 0 ? 0 : 1;
}

int node_list_peers (node_t *n, node_peer_fn *fn, void *arg)
{
    return s_listed (n, store_peer_each (node_db (n), fn, arg), "");
}

int node_list_datasets (node_t *n, node_dataset_fn *fn, void *arg)
{
    return s_listed (n, store_dataset_each (node_db (n), fn, arg), "");
}

int node_list_subscriptions (node_t *n, node_sub_fn *fn, void *arg)
{
    return s_listed (n, store_sub_each (node_db (n), fn, arg), "");
}

int node_list_retention (node_t *n, node_retention_fn *fn, void *arg)
{
    return s_listed (n, store_retention_each (node_db (n), fn, arg), "");
}

int node_list_agreements (node_t *n, node_agreement_fn *fn, void *arg)
{
    return s_listed (n, store_agreement_each (node_db (n), fn, arg), "");
}

int node_list_users (node_t *n, node_user_fn *fn, void *arg)
{
    /* Who may see what is itself for admins and the IG officer. */
    if (!node_authorize (n, NODE_ROLE_ADMIN | NODE_ROLE_IG, "user-list", "users"))
        return -1;
    return s_listed (n, store_user_each (node_db (n), fn, arg), "");
}

int node_list_audit (node_t *n, node_audit_fn *fn, void *arg)
{
    if (!node_authorize (n, NODE_ROLE_IG, "audit-read", "audit log"))
        return -1;
    return s_listed (n, store_audit_each (node_db (n), fn, arg), " (cdx audit verify names the entry)");
}

int node_dataset_get (node_t *n, const char *id, store_dataset_t *out)
{
    return s_got (n, store_dataset_get (node_db (n), id, out));
}

int node_user_get (node_t *n, const char *login, store_user_t *out)
{
    return s_got (n, store_user_get (node_db (n), login, out));
}

int node_agreement_get (node_t *n, const char *ref, store_agreement_t *out)
{
    return s_got (n, store_agreement_get (node_db (n), ref, out));
}

int node_audit_check (node_t *n, int checkpoint, node_audit_report_t *report)
{
    if (!node_authorize (n, NODE_ROLE_IG, "audit-verify", "audit log"))
        return -1;
    return node_audit_verify (n, checkpoint, report);
}
