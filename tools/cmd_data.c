/*  cmd_data.c: datasets and subscriptions: cdx publish, subscribe,
    unsubscribe, subscriptions, datasets and export.

    Not for: following deliveries (cmd_wait.c), the rules that allow or
    refuse (node/policy.c, node/access.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cx.h"
#include "show.h"

#define COPY_TIMEOUT_DEFAULT 120      /* seconds (SPEC.md 11.5) */
#define COPY_TIMEOUT_MAX 86400

static int64_t s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to TIMEOUT seconds until WANT siblings have receipted their
   copy of dataset ID (SPEC.md 11.5, "Publishing"), with progress on
   stderr once it has waited a second. 1 if they have, 0 if not (C says
   who lacks it), -1 if the store could not be read (node_error). */
static int s_copies_wait (node_t *n, const char *id, int want, int64_t timeout, node_copies_t *c)
{
    int64_t start = s_mono_ms (), shown = 0, deadline = start + timeout * 1000;
    int tty = isatty (STDERR_FILENO), ok;
    for (;;) {
        if (node_copies_held (n, id, c) != 0)
            return -1;
        int64_t now = s_mono_ms ();
        ok = c->held >= want;
        if (ok || now >= deadline)
            break;
        if (now - start >= 1000 && (tty ? now - shown >= 250 : shown == 0 || now - shown >= 10000)) {
            char who[NODE_SIBLINGS_MAX * 16];
            node_copies_missing (c, who, sizeof who);
            fprintf (stderr, "%swaiting for copies at siblings: %d of %d held (not yet: %s), %" PRId64 " s of %" PRId64
                     " s%s", tty ? "\r" : "", c->held, want, who, (now - start) / 1000, timeout, tty ? "\033[K" : "\n");
            shown = now;
        }
        struct timespec pause = {0, 100 * 1000000L};
        nanosleep (&pause, NULL);
    }
    if (shown && tty)
        fprintf (stderr, "\r\033[K");
    return ok;
}

/* --copies and --copy-timeout into WANT and TIMEOUT, against the node's
   siblings SIBS: 0, or an exit code. */
static int s_copies_args (const char *copies, const char *timeout, const node_siblings_t *sibs, int *want,
                          int64_t *secs)
{
    int64_t v = sibs->count > 0 ? 1 : 0;
    if (copies && cli_number ("--copies", copies, 0, NODE_SIBLINGS_MAX, &v) != 0)
        return CLI_EXIT_USAGE;
    if (v > sibs->count) {
        fprintf (stderr, "cdx publish: --copies %" PRId64 " is more than the %d sibling(s) this node has (cdx peers "
                 "marks them): give at most %d\n", v, sibs->count, sibs->count);
        return CLI_EXIT_USAGE;
    }
    *want = (int) v;
    *secs = COPY_TIMEOUT_DEFAULT;
    if (timeout && cli_number ("--copy-timeout", timeout, 0, COPY_TIMEOUT_MAX, secs) != 0)
        return CLI_EXIT_USAGE;
    return 0;
}

/* After a publish of ID: the copies WANT waited for. 0 if held, else
   CLI_EXIT_ATTENTION with the reason (the dataset stays published, its
   copies queued), or CLI_EXIT_FAIL; C is what the store had. */
static int s_copies (node_t *n, const char *id, int want, int64_t secs, node_copies_t *c)
{
    memset (c, 0, sizeof *c);
    if (want == 0)
        return 0;
    if (!node_running (n)) {
        node_copies_held (n, id, c);
        fprintf (stderr, "cdx: dataset %s is published here, but no node runs here to copy it to its "
                 "siblings: start cdx run; the copies stay queued\n", id);
        return CLI_EXIT_ATTENTION;
    }
    int held = s_copies_wait (n, id, want, secs, c);
    if (held < 0) {
        return cli_fail ("dataset %s is published here; %s", id, node_error (n));
    }
    if (held)
        return 0;
    char who[NODE_SIBLINGS_MAX * 16];
    node_copies_missing (c, who, sizeof who);
    fprintf (stderr, "cdx: dataset %s is published here, but %d of the %d sibling cop%s asked for %s held "
             "after %" PRId64 " s: %s lack%s it. Its copies stay queued and are sent when the sibling is reachable "
             "(cdx deliveries shows them); it does not yet survive the loss of this node\n", id, c->held, want,
             want == 1 ? "y" : "ies", c->held == 1 ? "is" : "are", secs, who, c->missing_count == 1 ? "s" : "");
    return CLI_EXIT_ATTENTION;
}

int cmd_publish (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_TOPIC, O_CLASS, O_PURPOSE, O_KIND, O_SUPERSEDES, O_CORRECTION, O_RETENTION, O_LEGAL,
           O_OPT_OUT, O_AGREEMENT, O_COPIES, O_COPY_TIMEOUT, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"json", 0, 0, NULL},       {"topic", 1, 0, NULL},       {"class", 1, 0, NULL},
        {"purpose", 1, 0, NULL},    {"kind", 1, 0, NULL},        {"supersedes", 0, 0, NULL},
        {"correction", 0, 0, NULL}, {"retention", 1, 0, NULL},   {"legal-basis", 1, 0, NULL},
        {"opt-out", 1, 0, NULL},    {"agreement", 1, 0, NULL},   {"copies", 1, 0, NULL},
        {"copy-timeout", 1, 0, NULL}};
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
    node_siblings_t sibs;
    int want = 0;
    int64_t secs = 0;
    if (node_siblings (n, &sibs) != 0) {
        rc = cli_fail ("%s", node_error (n));
        node_close (&n);
        return rc;
    }
    if ((rc = s_copies_args (got[O_COPIES], got[O_COPY_TIMEOUT], &sibs, &want, &secs)) != 0) {
        node_close (&n);
        return rc;
    }
    cli_progress_t prog;
    p.progress = cli_progress_fn (&prog, "sealing");
    p.progress_arg = &prog;
    char id[33];
    int64_t version;
    int published = node_publish (n, &p, id, &version) == 0;
    cli_progress_end (&prog);
    node_copies_t copies;
    if (!published) {
        rc = cli_refused (n);
        node_close (&n);
        return rc;
    }
    rc = s_copies (n, id, want, secs, &copies);
    if (cli->json) {
        printf ("{\"id\":\"%s\",\"topic\":", id);
        show_json (stdout, p.topic);
        printf (",\"version\":%" PRId64 ",\"copies_wanted\":%d,\"copies_held\":%d,\"copies_missing\":[", version,
                want, copies.held);
        for (int i = 0; want > 0 && i < copies.missing_count; i++) {
            printf ("%s", i ? "," : "");
            show_json (stdout, copies.missing[i]);
        }
        printf ("]}\n");
    } else {
        printf ("%s\n", id);
        if (isatty (STDERR_FILENO) && rc == 0)
            show_printf (stderr, "published %s version %" PRId64 "%s%s\n", p.topic, version,
                         node_running (n) ? "" : " (no node running here: it is sent when cdx run starts)",
                         want > 0 ? ", held by its sibling(s)" : "");
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
        cli_json_opt ("origin", s->origin);
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
