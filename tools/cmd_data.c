/*  cmd_data.c: datasets and subscriptions: cdx publish, subscribe,
    unsubscribe, subscriptions, datasets and export.

    Not for: following deliveries (cmd_wait.c), the rules that allow or
    refuse (node/policy.c, node/access.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cx.h"
#include "show.h"

int cmd_publish (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_TOPIC, O_CLASS, O_PURPOSE, O_KIND, O_SUPERSEDES, O_CORRECTION, O_RETENTION, O_LEGAL,
           O_OPT_OUT, O_AGREEMENT, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"json", 0, 0, NULL},       {"topic", 1, 0, NULL},       {"class", 1, 0, NULL},
        {"purpose", 1, 0, NULL},    {"kind", 1, 0, NULL},        {"supersedes", 0, 0, NULL},
        {"correction", 0, 0, NULL}, {"retention", 1, 0, NULL},   {"legal-basis", 1, 0, NULL},
        {"opt-out", 1, 0, NULL},    {"agreement", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "publish", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    node_publish_t p = {.topic = got[O_TOPIC], .class_ = got[O_CLASS], .purpose = got[O_PURPOSE],
                        .kind = got[O_KIND], .legal_basis = got[O_LEGAL], .opt_out = got[O_OPT_OUT],
                        .agreement = got[O_AGREEMENT]};
    if (got[O_SUPERSEDES])
        p.kind = "supersedes";
    if (got[O_CORRECTION])
        p.kind = "correction";
    if (got[O_RETENTION] && cli_duration ("--retention", got[O_RETENTION], NODE_RETENTION_MAX, &p.retention) != 0)
        return CLI_EXIT_USAGE;
    if (argc - optind != 1 || !p.topic || !p.class_ || !p.purpose) {
        fprintf (stderr, "cdx publish: --topic, --class, --purpose and one FILE are required\n");
        return cli_usage ("publish");
    }
    p.path = argv[optind];
    char abs[CLI_PATH_MAX];
    cli_abs_path (cli, p.path, abs, sizeof abs);
    p.abs_path = abs;
    p.files = cli_files (cli);
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    cli_progress_t prog;
    p.progress = cli_progress_fn (&prog, "sealing");
    p.progress_arg = &prog;
    char id[33];
    int64_t version;
    int published = node_publish (n, &p, id, &version) == 0;
    cli_progress_end (&prog);
    if (!published) {
        rc = cli_refused (n);
    } else if (cli->json) {
        printf ("{\"id\":\"%s\",\"topic\":", id);
        show_json (stdout, p.topic);
        printf (",\"version\":%" PRId64 "}\n", version);
    } else {
        printf ("%s\n", id);
        if (isatty (STDERR_FILENO))
            show_printf (stderr, "published %s version %" PRId64 "%s\n", p.topic, version,
                         node_running (n) ? "" : " (no node running here: it is sent when cdx run starts)");
    }
    node_close (&n);
    return rc;
}

int cmd_subscribe (cli_t *cli, int argc, char **argv)
{
    enum { O_FROM, O_TOPIC, O_HISTORY, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"from", 1, 0, NULL}, {"topic", 1, 0, NULL}, {"history", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "subscribe", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *from = got[O_FROM], *topic = got[O_TOPIC];
    int64_t since = 0;
    if (got[O_HISTORY] && cli_number ("--history", got[O_HISTORY], 1, INT64_MAX, &since) != 0)
        return CLI_EXIT_USAGE;
    if (optind != argc || !from || !topic)
        return cli_usage ("subscribe");
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (node_subscribe (n, from, topic, since) != 0)
        rc = cli_refused (n);
    else
        show_printf (stdout, "subscription to %s from %s requested%s\n", topic, from,
                node_running (n) ? "" : " (sent when cdx run starts)");
    node_close (&n);
    return rc;
}

int cmd_unsubscribe (cli_t *cli, int argc, char **argv)
{
    enum { O_FROM, O_SUBSCRIBER, O_TOPIC, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"from", 1, 0, NULL}, {"subscriber", 1, 0, NULL}, {"topic", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "unsubscribe", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *from = got[O_FROM], *subscriber = got[O_SUBSCRIBER], *topic = got[O_TOPIC];
    if (optind != argc || !topic || !from == !subscriber)
        return cli_usage ("unsubscribe");
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (node_unsubscribe (n, from ? from : subscriber, topic, subscriber != NULL) != 0)
        rc = cli_refused (n);
    else
        show_printf (stdout, "subscription of %s to %s from %s ended\n", subscriber ? subscriber : node_org (n), topic,
                from ? from : node_org (n));
    node_close (&n);
    return rc;
}

/* A listing's view: the command line, the node, the header for people. */
typedef struct {
    cli_t *cli;
    node_t *n;
    char header[160];
} data_view_t;

static const cli_opt_t s_json_opt[] = {{"json", 0, 0, NULL}};

/* A listing that takes only --json and no operand: 0 with VERB's node
   opened into V, or -1 with the exit code in *RC (0 after --help). */
static int s_listing_open (cli_t *cli, const char *verb, int argc, char **argv, data_view_t *v, int *rc)
{
    const char *got[1];
    if (cli_parse (cli, verb, s_json_opt, 1, argc, argv, got, NULL, rc) != 0)
        return -1;
    if ((*rc = cli_no_operands (argc, argv, verb)) != 0 || (*rc = cli_open (cli, &v->n)) != 0)
        return -1;
    v->cli = cli;
    return 0;
}

static int s_print_sub (const store_sub_t *s, void *arg)
{
    data_view_t *v = arg;
    char when[32], retry[32] = "", fix[512];
    cli_utc (s->updated, when, sizeof when);
    const char *how = node_sub_fix (v->n, s, fix, sizeof fix);
    if (how)
        cli_utc (s->updated + NODE_SUB_RETRY_REFUSED, retry, sizeof retry);
    const char *sep = cli_row (v->cli, v->header);
    if (v->cli->json) {
        printf ("%s{\"publisher\":\"%s\",\"subscriber\":\"%s\",\"topic\":", sep, s->publisher, s->subscriber);
        show_json (stdout, s->topic);
        printf (",\"state\":\"%s\",\"from_version\":%" PRId64 ",\"updated\":\"%s\"",
                store_sub_state_name (s->state), s->from_version, when);
        cli_json_opt ("rule", s->rule);
        cli_json_opt ("reason", s->reason);
        cli_json_opt ("fix", how);
        cli_json_opt ("retry", retry);
        printf ("}");
    } else {
        show_printf (stdout, "%-9s %-10s %-32s %-9s %s\n", s->publisher, s->subscriber, s->topic,
                     store_sub_state_name (s->state), when);
        if (how)
            show_printf (stdout, "          refused by %s: %s: %s\n          fix: %s\n"
                         "          asked again: by %s, or at once when cdx run connects to %s or an agreement changes\n",
                         s->publisher, s->rule, s->reason, how, retry, s->publisher);
    }
    return 0;
}

int cmd_subscriptions (cli_t *cli, int argc, char **argv)
{
    data_view_t v = {0};
    int rc = 0;
    if (s_listing_open (cli, "subscriptions", argc, argv, &v, &rc) != 0)
        return rc;
    snprintf (v.header, sizeof v.header, "%-9s %-10s %-32s %-9s %s\n", "PUBLISHER", "SUBSCRIBER", "TOPIC", "STATE",
              "UPDATED");
    rc = cli_list_end (cli, v.n, v.header, node_list_subscriptions (v.n, s_print_sub, &v));
    node_close (&v.n);
    return rc;
}

static void s_dataset_json (const store_dataset_t *d, const char *sep, const char *state, int own, const char *keep,
                            int64_t erase_at)
{
    char when[32], hash[65], upd[32];
    cli_utc (d->created, when, sizeof when);
    cli_utc (d->updated, upd, sizeof upd);
    cx_hex (d->hash, 32, hash);
    printf ("%s{\"id\":\"%s\",\"topic\":", sep, d->id);
    show_json (stdout, d->topic);
    printf (",\"version\":%" PRId64 ",\"publisher\":\"%s\",\"bytes\":%" PRId64
            ",\"class\":\"%s\",\"purpose\":\"%s\",\"state\":\"%s\",\"origin\":\"%s\",\"chunks\":%" PRId64
            ",\"chunks_held\":%" PRId64 ",\"blake2b\":\"%s\",\"filename\":",
            d->version, d->publisher, d->bytes, d->class_, d->purpose, state,
            own ? "published" : "received", d->chunks, d->next_chunk, hash);
    show_json_opt (stdout, d->filename);
    cli_json_opt ("agreement", d->agreement);
    /* The rule that will destroy its content, and when at the latest. */
    printf (",\"retention\":");
    if (keep[0]) {
        char at[32];
        cli_utc (erase_at, at, sizeof at);
        show_json (stdout, keep);
        printf (",\"erase_by\":\"%s\"", at);
    } else {
        printf ("null,\"erase_by\":null");
    }
    printf (",\"erased\":");
    if (d->state == STORE_DS_ERASED)
        printf ("\"%s\"", upd);
    else
        printf ("null");
    printf (",\"created\":\"%s\"}", when);
}

static int s_print_dataset (const store_dataset_t *d, void *arg)
{
    data_view_t *v = arg;
    /* A publisher's own dataset is as available as a received one. */
    const char *state =
        d->state == STORE_DS_PUBLISHED ? "available" : store_dataset_state_name (d->state);
    int own = strcmp (d->publisher, node_org (v->n)) == 0;
    char keep[240] = "";
    int64_t erase_at = 0;
    if (d->state != STORE_DS_ERASED && node_retention_of (v->n, d, keep, sizeof keep, &erase_at) < 0)
        keep[0] = 0;
    const char *sep = cli_row (v->cli, v->header);
    if (v->cli->json) {
        s_dataset_json (d, sep, state, own, keep, erase_at);
        return 0;
    }
    char until[48] = "";
    if (keep[0]) {
        char at[32];
        cli_utc (erase_at, at, sizeof at);
        snprintf (until, sizeof until, "  (kept until %.10s at the latest)", at);
        if (erase_at - d->created >= NODE_KEEP_MAX)
            snprintf (until, sizeof until, "  (kept until delivered)");
    }
    show_printf (stdout, "%s  %-28s v%-3" PRId64 " %-6s %12" PRId64 "  %-13s %s%s\n", d->id, d->topic, d->version,
                 d->publisher, d->bytes, d->class_, state, until);
    return 0;
}

int cmd_datasets (cli_t *cli, int argc, char **argv)
{
    data_view_t v = {0};
    int rc = 0;
    if (s_listing_open (cli, "datasets", argc, argv, &v, &rc) != 0)
        return rc;
    snprintf (v.header, sizeof v.header, "%-32s  %-28s %-4s %-6s %12s  %-13s %s\n", "ID", "TOPIC", "VER", "FROM",
              "BYTES", "CLASS", "STATE");
    rc = cli_list_end (cli, v.n, v.header, node_list_datasets (v.n, s_print_dataset, &v));
    node_close (&v.n);
    return rc;
}

int cmd_export (cli_t *cli, int argc, char **argv)
{
    enum { O_OUTPUT, O_TOPIC, O_VERSION, O_FROM, O_PURPOSE, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"output", 1, 'o', NULL}, {"topic", 1, 0, NULL}, {"version", 1, 0, NULL}, {"from", 1, 0, NULL},
        {"purpose", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "export", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *out = got[O_OUTPUT], *topic = got[O_TOPIC], *from = got[O_FROM], *purpose = got[O_PURPOSE];
    int64_t version = 0;
    if (got[O_VERSION] && cli_number ("--version", got[O_VERSION], 1, INT64_MAX, &version) != 0)
        return CLI_EXIT_USAGE;
    if (!out || (topic ? argc - optind != 0 : argc - optind != 1) || (!topic && (version || from)))
        return cli_usage ("export");
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    char id[33];
    if (topic ? node_find (n, from, topic, version, id) != 0 : node_resolve_id (n, argv[optind], id) != 0) {
        rc = cli_refused (n);
        node_close (&n);
        return rc;
    }
    cli_progress_t prog;
    node_progress_fn *fn = cli_progress_fn (&prog, "decrypting");
    int done = node_export (n, id, out, purpose, cli_files (cli), fn, &prog) == 0;
    cli_progress_end (&prog);
    if (!done)
        rc = cli_refused (n);
    else
        show_printf (stdout, "wrote %s (content hash verified)\n", out);
    node_close (&n);
    return rc;
}
