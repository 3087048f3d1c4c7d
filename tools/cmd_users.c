/*  cmd_users.c: the node's governance at home: cdx user (local users and
    their roles) and cdx retention (how long content is kept).

    Not for: who may do what (node/access.c decides; listings check their
    role in node/listing.c), erasing content (the running node).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "show.h"

/* ---- cdx retention ------------------------------------------------------------ */

/* A listing's view: the command line, this node's org (its own rules
   are "(self)"), the header for people. */
typedef struct {
    cli_t *cli;
    const char *org;
    char header[160];
} users_view_t;

static int s_print_retention (const store_retention_t *r, void *arg)
{
    users_view_t *v = arg;
    char when[32];
    cli_utc (r->updated, when, sizeof when);
    int own = strcmp (r->publisher, v->org) == 0;
    const char *sep = cli_row (v->cli, v->header);
    if (v->cli->json) {
        printf ("%s{\"publisher\":\"%s\",\"topic\":", sep, r->publisher);
        show_json (stdout, r->topic);
        printf (",\"seconds\":%" PRId64 ",\"published\":%s,\"delivered\":%s,\"set_by\":", r->seconds,
                own ? "true" : "false", r->delivered ? "true" : "false");
        show_json_opt (stdout, r->set_by);
        printf (",\"updated\":\"%s\"", when);
        cli_json_opt ("origin", r->origin);
        printf ("}");
    } else {
        char seconds[24];
        if (r->seconds == NODE_KEEP_MAX)
            snprintf (seconds, sizeof seconds, "-");
        else
            snprintf (seconds, sizeof seconds, "%" PRId64, r->seconds);
        show_printf (stdout, "%-9s %-32s %12s  %-10s %-16s %s\n", own ? "(self)" : r->publisher, r->topic, seconds,
                     !own ? "received" : r->delivered ? "delivered" : "published", r->set_by, when);
    }
    return 0;
}

static int s_retention_set (node_t *n, const char *publisher, const char *topic, int64_t seconds, int delivered)
{
    store_retention_t r;
    memset (&r, 0, sizeof r);
    snprintf (r.publisher, sizeof r.publisher, "%s", publisher);
    snprintf (r.topic, sizeof r.topic, "%s", topic);
    r.seconds = seconds;
    r.delivered = delivered;
    char rule[360];
    if (node_retention_set (n, publisher, topic, seconds, delivered) != 0)
        return cli_refused (n);
    node_retention_describe (n, &r, rule, sizeof rule);
    show_printf (stdout, "%s%s\n", rule, node_running (n) ? "" : " (by the running node: cdx run)");
    return 0;
}

int cmd_retention (cli_t *cli, int argc, char **argv)
{
    enum { O_FROM, O_TOPIC, O_PUBLISHED, O_DELIVERED, O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"from", 1, 0, "set"}, {"topic", 1, 0, "set"}, {"published", 0, 0, "set"}, {"delivered", 0, 0, "set"},
        {"json", 0, 0, "list"}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "retention", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *from = got[O_FROM], *topic = got[O_TOPIC];
    int published = got[O_PUBLISHED] != NULL, delivered = got[O_DELIVERED] != NULL;
    int nargs = argc - optind;
    int is_set = nargs >= 1 && strcmp (argv[optind], "set") == 0;
    /* --delivered alone needs no period: the rule then keeps no longer than 100 years. */
    int set = is_set && (nargs == 2 || (nargs == 1 && delivered)) && (from != NULL) != published && topic;
    int list = nargs == 1 && strcmp (argv[optind], "list") == 0 && !from && !topic && !published && !delivered;
    int64_t seconds = NODE_KEEP_MAX;
    if (set && nargs == 2 && cli_duration ("PERIOD", argv[optind + 1], NODE_KEEP_MAX, &seconds) != 0)
        return cli_usage ("retention");
    if (set && delivered && !published)
        return cli_bad ("--delivered: a rule for content this node publishes (with --published), not for data "
                        "received");
    if (!set && !list)
        return cli_usage ("retention");
    if ((rc = cli_forms ("retention", set ? "set" : "list", opts, O_COUNT, got)) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (set && !published && strcmp (from, node_org (n)) == 0) {
        node_close (&n);
        return cli_bad ("--from %s is this node: for the content it publishes, use --published", from);
    }
    if (set) {
        rc = s_retention_set (n, published ? node_org (n) : from, topic, seconds, delivered);
    } else {
        users_view_t v = {cli, node_org (n), ""};
        snprintf (v.header, sizeof v.header, "%-9s %-32s %12s  %-10s %-16s %s\n", "FROM", "TOPIC", "SECONDS", "RULE",
                  "SET BY", "UPDATED");
        rc = cli_list_end (cli, n, v.header, node_list_retention (n, s_print_retention, &v));
    }
    node_close (&n);
    return rc;
}

/* ---- cdx user ------------------------------------------------------------------ */

static int s_print_user (const store_user_t *u, void *arg)
{
    users_view_t *v = arg;
    char when[32];
    cli_utc (u->updated, when, sizeof when);
    const char *sep = cli_row (v->cli, v->header);
    if (v->cli->json) {
        printf ("%s{\"login\":", sep);
        show_json (stdout, u->login);
        printf (",\"roles\":[");
        unsigned roles = 0;
        node_roles_parse (u->roles, &roles);
        int k = 0;
        for (unsigned bit = 1; bit <= NODE_ROLE_IG; bit <<= 1)
            if (roles & bit)
                printf ("%s\"%s\"", k++ ? "," : "", node_role_name (bit));
        printf ("],\"added_by\":");
        show_json_opt (stdout, u->added_by);
        printf (",\"updated\":\"%s\"}", when);
    } else {
        show_printf (stdout, "%-20s %-36s %-20s %s\n", u->login, u->roles, u->added_by, when);
    }
    return 0;
}

int cmd_user (cli_t *cli, int argc, char **argv)
{
    enum { O_ROLE, O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"role", 1, 0, "add remove"}, {"json", 0, 0, "list"}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "user", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *role = got[O_ROLE];
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : "";
    unsigned roles = 0;
    if (role && node_roles_parse (role, &roles) != 0) {
        fprintf (stderr, "cdx user: --role takes admin, publisher, analyst, ig-officer (comma-separated)\n");
        return cli_usage ("user");
    }
    int list = strcmp (verb, "list") == 0 && nargs == 1 && !role;
    int add = strcmp (verb, "add") == 0 && nargs == 2 && role;
    int remove = strcmp (verb, "remove") == 0 && nargs == 2;
    if (!list && !add && !remove)
        return cli_usage ("user");
    if ((rc = cli_forms ("user", verb, opts, O_COUNT, got)) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (list) {
        users_view_t v = {cli, node_org (n), ""};
        snprintf (v.header, sizeof v.header, "%-20s %-36s %-20s %s\n", "LOGIN", "ROLES", "SET BY", "UPDATED");
        rc = cli_list_end (cli, n, v.header, node_list_users (n, s_print_user, &v));
    } else {
        const char *login = argv[optind + 1];
        if (node_user_set (n, login, add ? roles : 0, remove ? roles : 0, remove && !role) != 0) {
            rc = cli_refused (n);
        } else {
            store_user_t u;
            if (node_user_get (n, login, &u) == 0)
                show_printf (stdout, "%s: %s\n", login, u.roles);
            else
                show_printf (stdout, "%s: removed\n", login);
        }
    }
    node_close (&n);
    return rc;
}
