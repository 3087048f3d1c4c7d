/*  cmd_wait.c: following deliveries: cdx deliveries and cdx wait.

    Both show a delivery as the running node recorded it
    (node_delivery_view): its progress, rate and ETA, or why it waits.
    cdx wait looks again every 100 ms until a dataset is available here or
    delivered to every subscriber. Not for: sending (the running node).
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "show.h"

/* "12.0/64.0 MiB, 2.1 MiB/s, ETA 25 s" for a delivery under way, into BUF. */
static void s_delivery_progress (const node_delivery_view_t *v, char *buf, size_t cap)
{
    int len = snprintf (buf, cap, "%.1f/%.1f MiB", (double) v->done / 1048576.0, (double) v->bytes / 1048576.0);
    if (len > 0 && (size_t) len < cap && v->rate > 0)
        len += snprintf (buf + len, cap - (size_t) len, ", %.2f MiB/s", v->rate / 1048576.0);
    if (len > 0 && (size_t) len < cap && v->eta >= 0)
        snprintf (buf + len, cap - (size_t) len, ", ETA %" PRId64 " s", v->eta);
}

/* ---- cdx deliveries -------------------------------------------------------- */

typedef struct {
    cli_t *cli;
    node_t *n;
    int running;
    char header[160];
} deliveries_view_t;

static void s_delivery_json (const store_delivery_t *d, const node_delivery_view_t *v, const char *sep,
                             const char *when)
{
    printf ("%s{\"dataset\":\"%s\",\"topic\":", sep, d->dataset);
    show_json (stdout, v->topic);
    printf (",\"version\":%" PRId64 ",\"subscriber\":\"%s\",\"state\":\"%s\",\"status\":", v->version,
            d->subscriber, store_delivery_state_name (d->state));
    show_json_opt (stdout, v->status);
    printf (",\"next_chunk\":%" PRId64 ",\"bytes_done\":%" PRId64 ",\"bytes\":%" PRId64
            ",\"session_bytes\":%" PRId64 ",\"rate\":%.0f,\"eta\":",
            d->next_chunk, v->done, v->bytes, v->session_bytes, v->rate);
    if (v->eta >= 0)
        printf ("%" PRId64, v->eta);
    else
        printf ("null");
    printf (",\"stalled\":");
    if (v->stalled >= 0 && d->state == STORE_DL_SENDING)
        printf ("%" PRId64, v->stalled);
    else
        printf ("null");
    printf (",\"copy\":%s,\"attempts\":%" PRId64 ",\"receipt\":%s,\"error\":", v->copy ? "true" : "false",
            d->attempts, d->receipt_len ? "true" : "false");
    show_json_opt (stdout, d->error);
    printf (",\"updated\":\"%s\"}", when);
}

static int s_print_delivery (const store_delivery_t *d, void *arg)
{
    deliveries_view_t *dv = arg;
    char when[32];
    cli_utc (d->updated, when, sizeof when);
    node_delivery_view_t v;
    if (node_delivery_view (dv->n, d, dv->running, &v) != 0)
        return cli_fail ("%s", node_error (dv->n));
    const char *sep = cli_row (dv->cli, dv->header);
    if (dv->cli->json) {
        s_delivery_json (d, &v, sep, when);
        return 0;
    }
    char progress[96] = "";
    if (d->state == STORE_DL_SENDING) {
        progress[0] = ' ';
        progress[1] = ' ';
        s_delivery_progress (&v, progress + 2, sizeof progress - 2);
    }
    char what[160];
    snprintf (what, sizeof what, "%s v%" PRId64, v.topic, v.version);
    show_printf (stdout, "%s  %-28s %-10s %-10s %-8s %s%s%s\n", d->dataset, what, d->subscriber,
                 store_delivery_state_name (d->state), d->receipt_len ? "signed" : "-", when, progress,
                 v.copy ? "  (copy to a sibling)" : "");
    /* Why it is not delivered yet, or never will be. */
    int pending = d->state == STORE_DL_QUEUED || d->state == STORE_DL_SENDING;
    if (strcmp (v.status, "sending") != 0 &&
        strcmp (v.status, store_delivery_state_name (d->state)) != 0)
        show_printf (stdout, "    %s\n", v.status);
    if (d->error[0])
        show_printf (stdout, "    %s %s\n", pending ? "will retry; last attempt:" : "why:", d->error);
    return 0;
}

int cmd_deliveries (cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"json", 0, 0, NULL}};
    const char *got[1];
    int rc = 0;
    if (cli_parse (cli, "deliveries", opts, 1, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if ((rc = cli_no_operands (argc, argv, "deliveries")) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    deliveries_view_t v = {cli, n, node_running (n), ""};
    snprintf (v.header, sizeof v.header, "%-32s  %-28s %-10s %-10s %-8s %s\n", "DATASET", "TOPIC", "SUBSCRIBER",
              "STATE", "RECEIPT", "UPDATED");
    rc = cli_list_end (cli, n, v.header, node_deliveries_of (n, NULL, s_print_delivery, &v));
    node_close (&n);
    return rc;
}

/* ---- cdx wait --------------------------------------------------------------- */

/* cdx wait at the publisher: every delivery of the dataset, each with
   its progress or why it waits, in one line. */
typedef struct {
    node_t *n;
    int running;
    int pending, done, failed;
    char line[1024];          /* "04V sending 1.0/2.0 MiB, ...; 05X offline" */
    char key[512];            /* the same without the numbers: what changed */
} wait_t;

static int s_wait_delivery (const store_delivery_t *d, void *arg)
{
    wait_t *w = arg;
    if (d->state == STORE_DL_DELIVERED || d->state == STORE_DL_SUPERSEDED ||
        d->state == STORE_DL_CANCELLED)
        w->done++;
    else if (d->state == STORE_DL_FAILED || d->state == STORE_DL_EXPIRED)
        w->failed++;
    else
        w->pending++;
    node_delivery_view_t v;
    if (node_delivery_view (w->n, d, w->running, &v) != 0)
        return 0;
    char progress[96] = "";
    if (d->state == STORE_DL_SENDING)
        s_delivery_progress (&v, progress, sizeof progress);
    size_t len = strlen (w->line), klen = strlen (w->key);
    snprintf (w->line + len, sizeof w->line - len, "%s%s %s%s%s", len ? "; " : "", d->subscriber, v.status,
              progress[0] ? " " : "", progress);
    snprintf (w->key + klen, sizeof w->key - klen, "%s %s;", d->subscriber,
              strncmp (v.status, "stalled", 7) == 0 ? "stalled" : v.status);
    return 0;
}

/* What cdx wait is waiting for, and what it has shown. */
typedef struct {
    cli_t *cli;
    node_t *n;
    const char *topic, *from;  /* --topic: the next version after AFTER */
    int64_t after;
    char id[33];               /* the dataset (found, with --topic) */
    int running;
    node_progress_fn *fn;
    cli_progress_t prog;
    int tty;
    int shown;                 /* a line is on the terminal, not yet ended */
    char key[512];             /* what the last line printed said */
    double at;                 /* when, seconds since the wait began */
} wait_show_t;

/* On a terminal the line is redrawn in place; otherwise a line is written
   when what it says changes, and every 5 s while something moves. */
static void s_wait_show (wait_show_t *ws, const char *line, const char *key, double waited)
{
    if (ws->tty) {
        show_printf (stderr, "\r%s\033[K", line);
        ws->shown = 1;
        return;
    }
    if (strcmp (key, ws->key) == 0 && waited - ws->at < 5)
        return;
    show_printf (stderr, "cdx: %s\n", line);
    snprintf (ws->key, sizeof ws->key, "%s", key);
    ws->at = waited;
}

/* One look at dataset ID: S_WAIT_MORE to go on waiting, else the exit code. */
#define S_WAIT_MORE (-1)

/* The publisher's side: every delivery of ID ended. */
static int s_wait_deliveries (wait_show_t *ws, const char *id, double waited)
{
    wait_t w;
    memset (&w, 0, sizeof w);
    w.n = ws->n;
    w.running = ws->running;
    if (node_deliveries_of (ws->n, id, s_wait_delivery, &w) < 0)
        return cli_fail ("%s", node_error (ws->n));
    if (!ws->cli->json) {
        char line[1200];
        snprintf (line, sizeof line, "deliveries of %s: %d done, %d in progress, %d failed%s%s", id, w.done,
                  w.pending, w.failed, w.line[0] ? ": " : "", w.line);
        char key[600];
        snprintf (key, sizeof key, "%d %d %d %s", w.done, w.pending, w.failed, w.key);
        s_wait_show (ws, line, key, waited);
    }
    if (w.pending == 0)
        return w.failed ? cli_fail ("%d deliveries of %s failed or expired: see cdx deliveries", w.failed, id)
                        : CLI_EXIT_OK;
    return S_WAIT_MORE;
}

static int s_wait_once (wait_show_t *ws, const char *id, store_dataset_t *d, double waited)
{
    int r = node_dataset_get (ws->n, id, d);
    if (r < 0)
        return cli_fail ("%s", node_error (ws->n));
    if (r != 0)
        return S_WAIT_MORE;
    if (d->state == STORE_DS_PUBLISHED)
        return s_wait_deliveries (ws, id, waited);
    if (d->state == STORE_DS_AVAILABLE || d->state == STORE_DS_ERASED) {
        if (ws->fn)
            ws->fn ((uint64_t) d->bytes, (uint64_t) d->bytes, &ws->prog);
        return CLI_EXIT_OK;
    }
    if (d->state == STORE_DS_FAILED)
        return cli_fail ("dataset %s failed verification: see cdx audit", id);
    if (ws->fn) {
        int64_t done = d->next_chunk * d->chunk_size;
        ws->fn ((uint64_t) (done < d->bytes ? done : d->bytes), (uint64_t) d->bytes, &ws->prog);
    }
    return S_WAIT_MORE;
}

/* One look, by id or at the next version of the topic. */
static int s_wait_step (wait_show_t *ws, store_dataset_t *d, double waited)
{
    ws->running = node_running (ws->n);
    if (!ws->topic)
        return s_wait_once (ws, ws->id, d, waited);
    /* The next version: available, or the one arriving, whose progress is shown. */
    int next = node_topic_next (ws->n, ws->from, ws->topic, ws->after, d);
    int r = S_WAIT_MORE;
    if (next < 0)
        r = cli_fail ("%s", node_error (ws->n));
    else if (next == 2)
        r = CLI_EXIT_OK;
    else if (next == 1)
        r = s_wait_once (ws, d->id, d, waited);
    if (next >= 1 && r == CLI_EXIT_OK)
        snprintf (ws->id, sizeof ws->id, "%s", d->id);
    return r;
}

/* Looks every 100 ms until done or TIMEOUT (< 0: never). The exit code. */
static int s_wait_loop (wait_show_t *ws, double timeout)
{
    store_dataset_t *d = malloc (sizeof *d);
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int rc = CLI_EXIT_TIMEOUT;
    for (; d;) {
        clock_gettime (CLOCK_MONOTONIC, &now);
        double waited = (double) (now.tv_sec - start.tv_sec) + (double) (now.tv_nsec - start.tv_nsec) / 1e9;
        int r = s_wait_step (ws, d, waited);
        if (r != S_WAIT_MORE) {
            rc = r;
            break;
        }
        if (timeout >= 0 && waited >= timeout) {
            show_printf (stderr, "%scdx: timed out after %.0f s waiting for %s%s\n",
                         ws->prog.shown || ws->shown ? "\n" : "", timeout, ws->topic ? "the next version of " : "",
                         ws->topic ? ws->topic : ws->id);
            ws->prog.shown = ws->shown = 0;
            break;
        }
        usleep (100000);
    }
    free (d);
    return rc;
}

int cmd_wait (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_TIMEOUT, O_TOPIC, O_FROM, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"json", 0, 0, NULL}, {"timeout", 1, 0, NULL}, {"topic", 1, 0, NULL}, {"from", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "wait", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    double timeout = -1;
    if (got[O_TIMEOUT]) {
        /* Seconds, fractions allowed (0.5): the one option that is not a
           whole number. */
        char *end;
        errno = 0;
        timeout = strtod (got[O_TIMEOUT], &end);
        if (end == got[O_TIMEOUT] || *end || errno || !(timeout >= 0 && timeout <= 31536000))
            return cli_bad ("--timeout: seconds from 0 to 31536000 (a year), not \"%s\"", got[O_TIMEOUT]);
    }
    const char *topic = got[O_TOPIC], *from = got[O_FROM];
    if (topic ? argc - optind != 0 : (argc - optind != 1 || from))
        return cli_usage ("wait");
    static wait_show_t ws;
    ws.cli = cli;
    ws.topic = topic;
    ws.from = from;
    if ((rc = cli_open (cli, &ws.n)) != 0)
        return rc;
    if ((topic && node_topic_newest (ws.n, from, topic, &ws.after) != 0) ||
        (!topic && node_resolve_id (ws.n, argv[optind], ws.id) != 0)) {  /* a unique prefix stands for its id */
        rc = cli_refused (ws.n);
        node_close (&ws.n);
        return rc;
    }
    ws.fn = cli_progress_fn (&ws.prog, "receiving");
    ws.tty = isatty (STDERR_FILENO);
    ws.at = -1e9;
    rc = s_wait_loop (&ws, timeout);
    if (ws.shown)
        fputc ('\n', stderr);
    cli_progress_end (&ws.prog);
    if (topic && rc == CLI_EXIT_OK)
        printf ("%s\n", ws.id);
    node_close (&ws.n);
    return rc;
}
