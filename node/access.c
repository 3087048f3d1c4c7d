/*  access.c: who may do what on this node (local access control).

    Local users are operating-system accounts: the login running the
    command (getpwuid (geteuid ())). Each holds zero or more roles, kept in
    the store's users table:

      admin       peers, users, subscriptions (and, later, agreements and
                  keys): changes to what this node trusts and who uses it
      publisher   publish datasets
      analyst     export (decrypt) datasets, for a declared purpose
      ig-officer  read, verify, export and reconcile the audit log; set
                  the retention of received datasets

    cdx init makes the account that ran it admin and nothing else: holding
    the node's keys is not a reason to see patient data (Caldicott 4,
    need-to-know), so data roles are granted explicitly, by an admin, and
    each grant is in the audit log.

    Every refusal is audited with the rule that decided (role.missing,
    export.purpose, ...) and an actor "user:LOGIN (ROLES)";
    an action that is allowed is audited by the operation itself, with
    the actor "user:LOGIN (ROLE)" naming the role it was allowed under.

    Who acts is given by the front end, never read from the environment:
    the login running the command (getpwuid (geteuid ())) when it runs
    directly, or the caller of the control socket, whose uid the kernel
    gives (SO_PEERCRED, control.h), when the running node serves it.

    What this is not: a defence against someone who can write the store
    file or read the key files (file permissions are); it is the control
    and the accountability for users who share a node home (SECURITY.md).

    Not for: the table's SQL (store/), the command line (tools/).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "core.h"
#include "find.h"
#include "policy.h"

static const struct {
    unsigned bit;
    const char *name;
} s_roles[] = {
    {NODE_ROLE_ADMIN, "admin"},
    {NODE_ROLE_PUBLISHER, "publisher"},
    {NODE_ROLE_ANALYST, "analyst"},
    {NODE_ROLE_IG, "ig-officer"},
};
#define S_NROLES (sizeof s_roles / sizeof s_roles[0])

const char *node_role_name (unsigned role)
{
    for (size_t i = 0; i < S_NROLES; i++)
        if (s_roles[i].bit == role) return s_roles[i].name;
    return "?";
}

int node_roles_parse (const char *text, unsigned *out)
{
    *out = 0;
    if (!text) return -1;
    const char *p = text;
    while (*p) {
        size_t len = strcspn (p, ",");
        size_t i;
        for (i = 0; i < S_NROLES; i++)
            if (strlen (s_roles[i].name) == len && strncmp (p, s_roles[i].name, len) == 0) break;
        if (i == S_NROLES) return -1;
        *out |= s_roles[i].bit;
        p += len;
        if (*p == ',') p++;
    }
    return *out ? 0 : -1;
}

void node_roles_format (unsigned roles, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < S_NROLES; i++) {
        if (!(roles & s_roles[i].bit)) continue;
        int w = snprintf (buf + used, cap - used, "%s%s", used ? "," : "", s_roles[i].name);
        if (w < 0 || (size_t)w >= cap - used) return;
        used += (size_t)w;
    }
}

/* The local user acting on a node, which node_identify sets. */
struct node_acting {
    char login[65];              /* the user acting */
    unsigned roles;              /* NODE_ROLE_* it holds */
};

static const node_acting_t s_nobody;    /* before node_identify: nobody, no role */

static const node_acting_t *s_who (const node_t *n)
{
    const node_acting_t *a = node_acting (n);
    return a ? a : &s_nobody;
}

/* The node's user acting, made on first use; NULL if out of memory. */
static node_acting_t *s_acting (node_t *n)
{
    node_acting_t *a = node_acting (n);
    if (!a && (a = calloc (1, sizeof *a)) != NULL)
        node_set_acting (n, a);
    return a;
}

void node_acting_release (node_t *n)
{
    free (node_acting (n));
    node_set_acting (n, NULL);
}

/* Roles of LOGIN from the store: 0 if it holds none; -1 on a store error
   or a roles column this cdx cannot read. */
static int s_roles_of (node_t *n, const char *login, unsigned *roles)
{
    store_user_t u;
    *roles = 0;
    int r = store_user_get (node_db (n), login, &u);
    if (r == STORE_NOTFOUND) return 0;
    if (r != 0) return node_fail (n, "%s", store_error (node_db (n)));
    if (node_roles_parse (u.roles, roles) != 0)
        return node_fail (n, "stored roles of %s (\"%s\") are not roles this cdx knows", login,
                          u.roles);
    return 0;
}

int node_identify (node_t *n, const char *login)
{
    node_acting_t *me = s_acting (n);
    if (!me)
        return node_fail (n, "out of memory");
    if (!login || strlen (login) >= sizeof me->login)
        return node_fail (n, "the login acting is longer than %zu bytes", sizeof me->login - 1);
    snprintf (me->login, sizeof me->login, "%s", login);
    return s_roles_of (n, login, &me->roles);
}

int node_refresh_roles (node_t *n)
{
    node_acting_t *me = s_acting (n);
    if (!me)
        return node_fail (n, "out of memory");
    return s_roles_of (n, me->login, &me->roles);
}

const char *node_login (const node_t *n)
{
    return s_who (n)->login;
}

unsigned node_roles (const node_t *n)
{
    return s_who (n)->roles;
}

void node_actor (const node_t *n, unsigned role, char *buf, size_t cap)
{
    char held[64];
    if (role)
        snprintf (held, sizeof held, "%s", node_role_name (role));
    else
        node_roles_format (s_who (n)->roles, held, sizeof held);
    snprintf (buf, cap, "user:%s (%s)", s_who (n)->login, held[0] ? held : "no role");
}

/* The role in ANY that the user holds (the first in s_roles order), or 0. */
static unsigned s_held (const node_t *n, unsigned any)
{
    for (size_t i = 0; i < S_NROLES; i++)
        if (any & s_who (n)->roles & s_roles[i].bit) return s_roles[i].bit;
    return 0;
}

unsigned node_authorize (node_t *n, unsigned any, const char *action, const char *object)
{
    node_claim_t claim = {action, object, NULL, NULL, NULL};
    return node_authorize_claim (n, any, &claim);
}

unsigned node_authorize_claim (node_t *n, unsigned any, const node_claim_t *claim)
{
    unsigned held = s_held (n, any);
    if (held) return held;
    const char *action = claim->action, *object = claim->object ? claim->object : "";
    char need[64], actor[2 * sizeof s_nobody.login + 80], first[24];
    node_roles_format (any, need, sizeof need);
    snprintf (first, sizeof first, "%s", need);
    first[strcspn (first, ",")] = 0;
    node_actor (n, 0, actor, sizeof actor);
    node_fail (
        n,
        "%s needs the %s role%s, which %s does not hold; an admin of this node can grant it: "
        "cdx user add %s --role %s",
        action, need, strchr (need, ',') ? " (any of them)" : "", s_who (n)->login, s_who (n)->login, first);
    char why[NODE_ERR_MAX];
    snprintf (why, sizeof why, "%s", node_error (n));
    node_audit_purpose (n, actor, action, object, claim->peer ? claim->peer : "", claim->purpose, "refuse",
                        "role.missing", "%s%s%s", claim->note ? claim->note : "", claim->note ? ": " : "", why);
    snprintf (node_errbuf (n), NODE_ERR_MAX, "%s", why);
    node_set_refused (n, 1);
    return 0;
}

/* ---- export policy ----------------------------------------------------------- */

const char *node_export_allowed (node_t *n, const store_dataset_t *d, const char *purpose)
{
    /* Caldicott 1: justify the purpose. The dataset was published for one
       purpose, and that is the only one it may be used for here; and data
       received from another organisation needs a data sharing agreement
       in force that covers it and PURPOSE. Keep every export rule in this
       one function. */
    if (!purpose || !*purpose) {
        node_fail (n,
                   "export of %s needs a declared purpose: --purpose %s (the purpose it was "
                   "published for)",
                   d->id, d->purpose);
        return "export.purpose";
    }
    if (strcmp (purpose, d->purpose) != 0) {
        node_fail (n, "purpose %s is not covered: %s v%lld was published for %s only", purpose,
                   d->topic, (long long)d->version, d->purpose);
        return "export.purpose";
    }
    /* Data received from another organisation: the agreement it came
       under must still be in force and cover this use, as when it was
       accepted (policy.c, at the receiving end). */
    if (strcmp (d->publisher, node_self (n)->org) != 0) {
        proto_manifest_t *m = malloc (sizeof *m);
        if (!m) {
            node_fail (n, "out of memory");
            return "export.error";
        }
        if (proto_manifest_decode (d->manifest, d->manifest_len, m) != PROTO_OK) {
            free (m);
            node_fail (n, "the stored manifest of %s does not decode", d->id);
            return "export.error";
        }
        policy_request_t q = {POLICY_RECEIVE, d->publisher, node_self (n)->org, d->topic, d->class_,
                              purpose, m->legal_basis, m->opt_out, "", (int64_t)time (NULL)};
        policy_decision_t dec;
        policy_decide (node_db (n), &q, &dec);
        free (m);
        if (!dec.allow) {
            static char rule[sizeof dec.rule];
            snprintf (rule, sizeof rule, "%s", dec.rule);
            node_fail (n, "export of %s refused: %s", d->id, dec.reason);
            return rule;
        }
    }
    return NULL;
}

/* ---- managing users ---------------------------------------------------------- */

typedef struct {
    const char *except;
    int admins;
} s_admins_t;

static int s_count_admins (const store_user_t *u, void *arg)
{
    s_admins_t *a = arg;
    unsigned roles;
    if (strcmp (u->login, a->except) != 0 && node_roles_parse (u->roles, &roles) == 0 &&
        (roles & NODE_ROLE_ADMIN))
        a->admins++;
    return 0;
}

int node_valid_login (const char *login)
{
    if (!login) return 0;
    size_t len = strlen (login);
    if (len == 0 || len > 64) return 0;
    for (const char *p = login; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || (*p == '$' && p[1] == 0)))
            return 0;
    return login[0] != '-';
}

int node_user_set (node_t *n, const char *login, unsigned add, unsigned remove, int drop)
{
    if (!node_valid_login (login))
        return node_fail_input (n, "LOGIN: a login name is 1 to 64 letters, digits, . _ - (not "
                                   "starting with -)");
    if (!node_authorize (n, NODE_ROLE_ADMIN, drop || remove ? "user-remove" : "user-add", login))
        return -1;
    char actor[2 * sizeof s_nobody.login + 80];
    node_actor (n, NODE_ROLE_ADMIN, actor, sizeof actor);
    store_user_t u;
    memset (&u, 0, sizeof u);
    unsigned before = 0;
    int r = store_user_get (node_db (n), login, &u);
    if (r < 0) return node_fail (n, "%s", store_error (node_db (n)));
    if (r == STORE_NOTFOUND && (drop || remove))
        return node_fail (n, "%s is not a local user of this node: cdx user list shows them",
                          login);
    if (r == 0 && node_roles_parse (u.roles, &before) != 0) before = 0;
    unsigned after = drop ? 0 : (before | add) & ~remove;
    if ((before & NODE_ROLE_ADMIN) && !(after & NODE_ROLE_ADMIN)) {
        s_admins_t a = {login, 0};
        if (store_user_each (node_db (n), s_count_admins, &a) < 0)
            return node_fail (n, "%s", store_error (node_db (n)));
        if (a.admins == 0) {
            node_fail (n, "%s is the last admin of this node: add another admin first", login);
            char why[NODE_ERR_MAX];
            snprintf (why, sizeof why, "%s", node_error (n));
            node_audit (n, actor, "user-remove", login, "", "refuse", "user.last-admin", "%s", why);
            snprintf (node_errbuf (n), NODE_ERR_MAX, "%s", why);
            node_set_refused (n, 1);
            return -1;
        }
    }
    char was[64], now[64];
    node_roles_format (before, was, sizeof was);
    node_roles_format (after, now, sizeof now);
    if (store_begin (node_db (n)) != 0) return node_fail (n, "%s", store_error (node_db (n)));
    if (after == 0)
        r = store_user_remove (node_db (n), login);
    else {
        snprintf (u.login, sizeof u.login, "%s", login);
        snprintf (u.roles, sizeof u.roles, "%s", now);
        snprintf (u.added_by, sizeof u.added_by, "%s", s_who (n)->login);
        r = store_user_put (node_db (n), &u);
    }
    if (r != 0 ||
        node_audit (n, actor, after ? "user-add" : "user-remove", login, "", "allow", "local.admin",
                    "roles of %s: %s -> %s", login, was[0] ? was : "none",
                    now[0] ? now : "none (removed)") != 0 ||
        store_commit (node_db (n)) != 0) {
        node_fail (n, "cannot change user %s: %s", login, store_error (node_db (n)));
        store_rollback (node_db (n));
        return -1;
    }
    node_acting_t *me = node_acting (n);
    if (me && strcmp (login, me->login) == 0) me->roles = after;
    return 0;
}
