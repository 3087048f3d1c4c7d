/*  cmd_report: cdx report resilience, the evidence of this node's
    resilience over a period, as one HTML page for people (report.h) or
    as JSON for programs, from node_resilience (node/resilience.h).

    Both forms are written by the same sequence of calls below (s_out_t
    writes JSON or HTML), so that they hold the same figures under the
    same keys, with the same text: a figure in the page carries its JSON
    key path as data-k. Numbers are written as JSON writes them, strings
    as their text, true and false as such, and an absent value (JSON
    null) as "none".

    Not for: the figures (node/resilience.c), HTML (tools/report.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report.h"
#include "resilience.h"
#include "show.h"

/* ---- one writer, two forms ----------------------------------------------------- */

enum { S_NUM, S_STR, S_BOOL };

#define S_DEPTH 8

typedef struct {
    FILE *f;
    report_t *r;               /* HTML; NULL: JSON */
    char path[256];
    size_t plen[S_DEPTH];      /* the path's length at each depth */
    int count[S_DEPTH];        /* JSON members written at each depth */
    int depth;
    int kv;                    /* HTML: a key/value table is open */
    int row;                   /* the index of the array's next row */
} s_out_t;

static void s_sep (s_out_t *o)
{
    if (o->count[o->depth]++ > 0)
        fputc (',', o->f);
}

static void s_push (s_out_t *o, const char *key)
{
    size_t len = strlen (o->path);
    o->plen[o->depth] = len;
    snprintf (o->path + len, sizeof o->path - len, "%s%s", len ? "." : "", key);
    o->depth++;
    o->count[o->depth] = 0;
}

static void s_pop (s_out_t *o)
{
    o->depth--;
    o->path[o->plen[o->depth]] = '\0';
}

static void s_kv_close (s_out_t *o)
{
    if (o->r && o->kv)
        report_kv_end (o->r);
    o->kv = 0;
}

/* A section: a JSON object KEY, a heading TITLE in the page. */
static void s_section (s_out_t *o, const char *key, const char *title)
{
    if (o->r) {
        s_kv_close (o);
        report_heading (o->r, 1, title);
    } else {
        s_sep (o);
        fprintf (o->f, "\"%s\":{", key);
    }
    s_push (o, key);
}

static void s_section_end (s_out_t *o)
{
    s_kv_close (o);
    if (!o->r)
        fputc ('}', o->f);
    s_pop (o);
}

/* The JSON form of TEXT of TYPE (NULL: null). */
static void s_json_value (FILE *f, int type, const char *text)
{
    if (!text)
        fputs ("null", f);
    else if (type == S_STR)
        show_json (f, text);
    else
        fputs (text, f);
}

/* A figure KEY (LABEL in the page) in a key/value table. */
static void s_val (s_out_t *o, const char *key, const char *label, int type, const char *text)
{
    if (o->r) {
        if (!o->kv)
            report_kv_begin (o->r);
        o->kv = 1;
        char path[320];
        snprintf (path, sizeof path, "%s%s%s", o->path, *o->path ? "." : "", key);
        report_kv (o->r, label, path, text ? text : "none");
        return;
    }
    s_sep (o);
    fprintf (o->f, "\"%s\":", key);
    s_json_value (o->f, type, text);
}

static void s_num (s_out_t *o, const char *key, const char *label, int64_t v)
{
    char buf[24];
    snprintf (buf, sizeof buf, "%" PRId64, v);
    s_val (o, key, label, S_NUM, buf);
}

/* A time (unix seconds) as YYYY-MM-DDTHH:MM:SSZ into BUF, NULL for 0. */
static const char *s_when (int64_t t, char *buf, size_t cap)
{
    if (!t)
        return NULL;
    cli_utc (t, buf, cap);
    return buf;
}

static void s_time (s_out_t *o, const char *key, const char *label, int64_t t)
{
    char buf[32];
    s_val (o, key, label, S_STR, s_when (t, buf, sizeof buf));
}

static void s_bool (s_out_t *o, const char *key, const char *label, int v)
{
    s_val (o, key, label, S_BOOL, v ? "true" : "false");
}

/* An array KEY of N rows, shown as a table with HEADS, or NONE when empty. */
static void s_array (s_out_t *o, const char *key, const char *const *heads, size_t cols, size_t n, const char *none)
{
    if (o->r) {
        s_kv_close (o);
        if (n)
            report_table_begin (o->r, heads, cols);
        else if (*none)
            report_para (o->r, none);
    } else {
        s_sep (o);
        fprintf (o->f, "\"%s\":[", key);
    }
    s_push (o, key);
    o->row = 0;
}

static void s_array_end (s_out_t *o, size_t n)
{
    if (o->r && n)
        report_table_end (o->r);
    if (!o->r)
        fputc (']', o->f);
    s_pop (o);
}

static void s_row (s_out_t *o)
{
    char idx[16];
    snprintf (idx, sizeof idx, "%d", o->row++);
    if (o->r)
        report_row_begin (o->r);
    else
        s_sep (o), fputc ('{', o->f);
    s_push (o, idx);
}

static void s_row_end (s_out_t *o)
{
    if (o->r)
        report_row_end (o->r);
    else
        fputc ('}', o->f);
    s_pop (o);
}

static void s_cell (s_out_t *o, const char *key, int type, const char *text)
{
    if (o->r) {
        char path[320];
        snprintf (path, sizeof path, "%s.%s", o->path, key);
        report_cell (o->r, path, text ? text : "none");
        return;
    }
    s_sep (o);
    fprintf (o->f, "\"%s\":", key);
    s_json_value (o->f, type, text);
}

static void s_cell_num (s_out_t *o, const char *key, int64_t v)
{
    char buf[24];
    snprintf (buf, sizeof buf, "%" PRId64, v);
    s_cell (o, key, S_NUM, buf);
}

static void s_cell_time (s_out_t *o, const char *key, int64_t t)
{
    char buf[32];
    s_cell (o, key, S_STR, s_when (t, buf, sizeof buf));
}

/* ---- the report ------------------------------------------------------------------ */

typedef struct {
    s_out_t *o;
    int n;
} s_att_t;

static void s_attention_row (const char *kind, const char *why, void *arg)
{
    s_att_t *a = arg;
    s_row (a->o);
    s_cell (a->o, "kind", S_STR, kind);
    s_cell (a->o, "reason", S_STR, why);
    s_row_end (a->o);
    a->n++;
}

static void s_service (s_out_t *o, const node_resilience_t *res)
{
    s_section (o, "service", "Time in service");
    char ratio[32];
    snprintf (ratio, sizeof ratio, "%.4f", res->window_s > 0 ? (double) res->in_service_s / (double) res->window_s : 0.0);
    s_bool (o, "running", "Running now", res->running);
    s_time (o, "counted_from", "Counted from (the period's start, or the first start if later)", res->window_from);
    s_num (o, "window_s", "Period counted (seconds)", res->window_s);
    s_num (o, "in_service_s", "In service (seconds)", res->in_service_s);
    s_val (o, "ratio", "Share of the period in service", S_NUM, res->window_s > 0 ? ratio : NULL);
    s_num (o, "starts", "Starts", res->starts);
    s_num (o, "clean_stops", "Clean stops", res->clean_stops);
    s_num (o, "unclean_stops", "Unclean stops (no stop recorded: detected at the next start)", res->unclean_stops);
    if (o->r) {
        s_kv_close (o);
        int64_t *a = calloc (res->noutages + 1, sizeof *a), *b = calloc (res->noutages + 1, sizeof *b);
        if (a && b) {
            for (size_t i = 0; i < res->noutages; i++)
                a[i] = res->outages[i].from, b[i] = res->outages[i].to;
            if (res->window_from)
                report_timeline (o->r, "In service (green) and out of service (red), from the start counted to "
                                       "the period's end", res->window_from, res->until, a, b, NULL, res->noutages);
        }
        free (a);
        free (b);
        if (res->unclean_stops)
            report_para (o->r, "An unclean stop is a start with no stop recorded since the previous start (the "
                               "node was killed, crashed or lost power): its outage is counted from the last "
                               "audit entry the running node wrote before that start, so it may be longer than "
                               "it was, never shorter.");
    }
    static const char *heads[] = {"From", "To", "Seconds", "Unclean", "Ongoing"};
    s_array (o, "outages", heads, 5, res->noutages, "No outage recorded in the period.");
    for (size_t i = 0; i < res->noutages; i++) {
        const node_res_outage_t *x = &res->outages[i];
        s_row (o);
        s_cell_time (o, "from", x->from);
        s_cell_time (o, "to", x->to);
        s_cell_num (o, "seconds", x->to - x->from);
        s_cell (o, "unclean", S_BOOL, x->unclean ? "true" : "false");
        s_cell (o, "ongoing", S_BOOL, x->ongoing ? "true" : "false");
        s_row_end (o);
    }
    s_array_end (o, res->noutages);
    s_section_end (o);
}

static void s_received (s_out_t *o, const node_resilience_t *res)
{
    s_section (o, "received", "Datasets received");
    s_num (o, "datasets", "Datasets made available", res->received);
    static const char *heads[] = {"Publisher", "Name", "Datasets", "Bytes", "Median s", "p95 s", "Worst s"};
    s_array (o, "publishers", heads, 7, res->npublishers, "None received in the period.");
    for (size_t i = 0; i < res->npublishers; i++) {
        const node_res_publisher_t *p = &res->publishers[i];
        char m[24], q[24], w[24];
        snprintf (m, sizeof m, "%" PRId64, p->median_s);
        snprintf (q, sizeof q, "%" PRId64, p->p95_s);
        snprintf (w, sizeof w, "%" PRId64, p->worst_s);
        s_row (o);
        s_cell (o, "org", S_STR, p->org);
        s_cell (o, "name", S_STR, p->name[0] ? p->name : NULL);
        s_cell_num (o, "datasets", p->datasets);
        s_cell_num (o, "bytes", p->bytes);
        s_cell (o, "median_s", S_NUM, p->timed ? m : NULL);
        s_cell (o, "p95_s", S_NUM, p->timed ? q : NULL);
        s_cell (o, "worst_s", S_NUM, p->timed ? w : NULL);
        s_row_end (o);
    }
    s_array_end (o, res->npublishers);
    if (o->r && res->npublishers) {
        const char **labels = calloc (res->npublishers * 2, sizeof *labels);
        double *values = calloc (res->npublishers * 2, sizeof *values);
        char (*names)[160] = calloc (res->npublishers * 2, sizeof *names);
        size_t k = 0;                  /* a publisher with no time known has no bars (its figures are none) */
        for (size_t i = 0; labels && values && names && i < res->npublishers; i++) {
            const node_res_publisher_t *p = &res->publishers[i];
            if (!p->timed)
                continue;
            snprintf (names[k], sizeof names[0], "%s median", p->org);
            snprintf (names[k + 1], sizeof names[0], "%s worst", p->org);
            labels[k] = names[k], labels[k + 1] = names[k + 1];
            values[k] = (double) p->median_s, values[k + 1] = (double) p->worst_s;
            k += 2;
        }
        if (k)
            report_bars (o->r, "Time from publication (the signed manifest's time) to available here, per "
                               "publisher", "seconds", labels, values, NULL, k);
        else if (!labels || !values || !names)
            report_para (o->r, "(The chart of these times is left out: out of memory.)");
        free (labels);
        free (values);
        free (names);
    }
    s_section_end (o);
}

static void s_failures (s_out_t *o, const node_resilience_t *res)
{
    s_section (o, "failures", "Deliveries failed or expired");
    s_num (o, "deliveries_failed", "Deliveries from this node failed", res->deliveries_failed);
    s_num (o, "deliveries_expired", "Deliveries from this node expired", res->deliveries_expired);
    s_num (o, "datasets_failed", "Transfers to this node that ended failed", res->datasets_failed);
    static const char *heads[] = {"Kind", "Reason", "Count"};
    s_array (o, "reasons", heads, 3, res->nreasons, "None in the period.");
    for (size_t i = 0; i < res->nreasons; i++) {
        s_row (o);
        s_cell (o, "kind", S_STR, res->reasons[i].kind);
        s_cell (o, "reason", S_STR, res->reasons[i].reason);
        s_cell_num (o, "count", res->reasons[i].count);
        s_row_end (o);
    }
    s_array_end (o, res->nreasons);
    if (o->r && res->nreasons) {
        const char **labels = calloc (res->nreasons, sizeof *labels);
        double *values = calloc (res->nreasons, sizeof *values);
        if (labels && values) {
            for (size_t i = 0; i < res->nreasons; i++)
                labels[i] = res->reasons[i].reason, values[i] = (double) res->reasons[i].count;
            report_bars (o->r, "Failures by reason, most frequent first", "count", labels, values, NULL,
                         res->nreasons);
        }
        free (labels);
        free (values);
    }
    s_section_end (o);
    s_section (o, "transfers", "Transfers resumed and restarts survived");
    s_num (o, "resumed", "Transfers completed after an interruption", res->resumed);
    s_num (o, "restarts_survived", "Transfers completed across a restart of this node", res->restarts_survived);
    s_section_end (o);
}

static void s_events (s_out_t *o, const char *key, const node_res_event_t *ev, size_t n, int drills)
{
    static const char *heads[] = {"When", "Actor", "Sibling", "Milliseconds", "Passed"};
    s_array (o, key, heads, 5, n, drills ? "No drill recorded in the period." : "No failover recorded in the period.");
    for (size_t i = 0; i < n; i++) {
        s_row (o);
        s_cell_time (o, "at", ev[i].at);
        s_cell (o, "actor", S_STR, ev[i].actor);
        s_cell (o, "sibling", S_STR, ev[i].peer[0] ? ev[i].peer : NULL);
        s_cell_num (o, "ms", ev[i].ms);
        s_cell (o, "passed", S_BOOL, ev[i].passed ? "true" : "false");
        s_row_end (o);
    }
    s_array_end (o, n);
}

static void s_siblings (s_out_t *o, const node_resilience_t *res)
{
    s_section (o, "failovers", "Failovers between sibling nodes");
    s_num (o, "count", "Failovers", (int64_t) res->nfailovers);
    s_events (o, "list", res->failovers, res->nfailovers, 0);
    s_section_end (o);
    s_section (o, "drills", "Failover drills");
    const node_res_event_t *last = res->ndrills ? &res->drills[res->ndrills - 1] : NULL;
    char ms[24];
    snprintf (ms, sizeof ms, "%" PRId64, last ? last->ms : 0);
    s_num (o, "count", "Drills", (int64_t) res->ndrills);
    s_num (o, "passed", "Passed", res->drills_passed);
    s_num (o, "failed", "Failed", (int64_t) res->ndrills - res->drills_passed);
    s_time (o, "last_at", "Last drill", last ? last->at : 0);
    s_val (o, "last_ms", "Last drill took (milliseconds)", S_NUM, last ? ms : NULL);
    s_val (o, "last_passed", "Last drill passed", S_BOOL, last ? (last->passed ? "true" : "false") : NULL);
    s_events (o, "list", res->drills, res->ndrills, 1);
    s_section_end (o);
}

static void s_evidence (s_out_t *o, const node_resilience_t *res)
{
    s_section (o, "backups", "Backups and restores");
    s_num (o, "taken", "Backups taken", res->backups);
    s_time (o, "last_at", "Last backup", res->last_backup);
    s_time (o, "last_restore_at", "Last restore (verified before it was made)", res->last_restore);
    s_section_end (o);

    const node_audit_report_t *a = &res->audit;
    int ok = a->problem == NODE_AUDIT_OK;
    s_section (o, "audit", "The audit chain");
    s_bool (o, "verified", "Chain and checkpoints verified", ok);
    s_num (o, "entries", "Entries", a->entries);
    s_num (o, "last_seq", "Last entry", a->last_seq);
    s_num (o, "checkpoint_seq", "Last entry covered by a signed checkpoint", a->checkpoint_seq);
    s_num (o, "uncovered", "Entries not yet covered", ok ? a->uncovered : 0);
    s_val (o, "problem", "Problem", S_STR, node_audit_problem_name (a->problem));
    s_val (o, "reason", "Reason", S_STR, ok ? NULL : a->reason);
    s_section_end (o);

    s_section (o, "certificate", "Certificate and DSPT status");
    s_bool (o, "held", "This node is in the directory held", res->have_cert);
    s_val (o, "dspt", "DSPT status", S_STR, res->have_cert ? res->dspt : NULL);
    s_val (o, "dspt_year", "DSPT year", S_STR, res->have_cert ? res->dspt_year : NULL);
    s_val (o, "dspt_met", "DSPT standards met", S_BOOL, res->have_cert ? (res->dspt_met ? "true" : "false") : NULL);
    s_time (o, "not_before", "Valid from", res->have_cert ? res->cert_not_before : 0);
    s_time (o, "not_after", "Valid until", res->have_cert ? res->cert_not_after : 0);
    s_val (o, "valid", "Valid now", S_BOOL,
           res->have_cert ? (res->cert_not_after > res->generated ? "true" : "false") : NULL);
    s_section_end (o);

    s_section (o, "agreements", "Agreements");
    s_num (o, "in_force", "In force", res->agreements_in_force);
    static const char *heads[] = {"Agreement", "Other party", "Ends"};
    s_array (o, "ending_soon", heads, 3, res->nending, "None in force ends within 30 days.");
    for (size_t i = 0; i < res->nending; i++) {
        s_row (o);
        s_cell (o, "ref", S_STR, res->ending[i].ref);
        s_cell (o, "peer", S_STR, res->ending[i].peer);
        s_cell_time (o, "end", res->ending[i].end);
        s_row_end (o);
    }
    s_array_end (o, res->nending);
    s_section_end (o);

    s_section (o, "throughput", "Throughput");
    s_num (o, "bytes_received", "Bytes received", res->bytes_received);
    s_num (o, "bytes_sent", "Bytes delivered", res->bytes_sent);
    s_num (o, "seconds", "Seconds spent transferring them", res->transfer_s);
    s_num (o, "bytes_per_second", "Bytes per second",
           res->transfer_s > 0 ? (res->bytes_received + res->bytes_sent) / res->transfer_s : 0);
    s_section_end (o);
}

static void s_notes (s_out_t *o, const node_resilience_t *res)
{
    if (o->r) {
        s_kv_close (o);
        report_heading (o->r, 1, "Notes");
        if (!res->nnotes && !res->notes_more)
            report_para (o->r, "None: every entry of the period was read as expected.");
        for (size_t i = 0; i < res->nnotes; i++) {
            char key[32];
            snprintf (key, sizeof key, "notes.%zu", i);
            report_para_begin (o->r);
            report_figure (o->r, key, res->notes[i]);
            report_para_end (o->r);
        }
    } else {
        fputs (",\"notes\":[", o->f);
        for (size_t i = 0; i < res->nnotes; i++) {
            if (i)
                fputc (',', o->f);
            show_json (o->f, res->notes[i]);
        }
        fputc (']', o->f);
    }
    char more[24];
    snprintf (more, sizeof more, "%" PRId64, res->notes_more);
    if (o->r) {
        report_para_begin (o->r);
        report_text (o->r, "Notes left out: ");
        report_figure (o->r, "notes_more", more);
        report_para_end (o->r);
    } else if (!o->r) {
        fprintf (o->f, ",\"notes_more\":%s", more);
    }
}

/* The whole report, into F: HTML with HTML set, else JSON. 0, or -1. */
static int s_write (FILE *f, int html, const node_resilience_t *res)
{
    s_out_t o = {.f = f};
    char title[200], since[32], until[32], gen[32];
    snprintf (title, sizeof title, "Resilience of %s (%s)", res->name, res->org);
    if (html && !(o.r = report_new (f, title)))
        return -1;
    if (!html)
        fputc ('{', f), s_val (&o, "report", "Report", S_STR, "resilience");
    s_val (&o, "org", "Organisation (ODS code)", S_STR, res->org);
    s_val (&o, "name", "Node", S_STR, res->name);
    s_val (&o, "since", "From", S_STR, s_when (res->since, since, sizeof since));
    s_val (&o, "until", "To", S_STR, s_when (res->until, until, sizeof until));
    s_val (&o, "generated", "Made", S_STR, s_when (res->generated, gen, sizeof gen));
    int attention = node_resilience_attention (res, NULL, NULL);
    s_bool (&o, "ok", "Nothing needs attention", attention == 0);
    if (o.r) {
        s_kv_close (&o);
        report_badge (o.r, attention == 0, attention == 0 ? "nothing in this report needs attention"
                                                          : "something in this report needs attention");
    }
    static const char *heads[] = {"Kind", "Reason"};
    s_array (&o, "attention", heads, 2, (size_t) attention, "");
    s_att_t a = {&o, 0};
    node_resilience_attention (res, s_attention_row, &a);
    s_array_end (&o, (size_t) attention);
    s_service (&o, res);
    s_received (&o, res);
    s_failures (&o, res);
    s_siblings (&o, res);
    s_evidence (&o, res);
    s_notes (&o, res);
    if (o.r)
        return report_end (&o.r);
    fputs ("}\n", f);
    return fflush (f) == 0 && !ferror (f) ? 0 : -1;
}

/* ---- the command ------------------------------------------------------------------- */

static const char *s_usage = "report resilience [--since 90d|DATE] [--until DATE] (-o FILE.html | --json [-o FILE])";

/* --since: a duration back from now (90d, 12h) or a date. */
static int s_since (const char *text, int64_t now, int64_t *out)
{
    if (strchr (text, '-')) {
        if (cli_date (text, 0, out) == 0)
            return 0;
        cli_bad ("--since: a duration (90d, 12h) or a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), not \"%s\"", text);
        return -1;
    }
    int64_t d;
    if (cli_duration ("--since", text, (int64_t) 36500 * 86400, &d) != 0)
        return -1;
    *out = now - d;
    return 0;
}

static void s_first_reason (const char *kind, const char *why, void *arg)
{
    int *n = arg;
    if ((*n)++ == 0)
        show_printf (stderr, "cdx: attention: %s: %s\n", kind, why);
}

int cmd_report (cli_t *cli, int argc, char **argv)
{
    enum { O_SINCE, O_UNTIL, O_OUT, O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"since", 1, 0, "resilience"}, {"until", 1, 0, "resilience"},
                                            {"output", 1, 'o', "resilience"}, {"json", 0, 0, "resilience"}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "report", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (argc - optind != 1 || strcmp (argv[optind], "resilience") != 0)
        return cli_bad ("usage: cdx %s (the one report today: resilience)", s_usage);
    if ((rc = cli_forms ("report", "resilience", opts, O_COUNT, got)) != 0)
        return rc;
    cli->json = got[O_JSON] != NULL;
    if (!cli->json && !got[O_OUT])
        return cli_bad ("cdx report resilience: -o FILE.html for the page, or --json for JSON on stdout");
    int64_t now = (int64_t) time (NULL), since = now - (int64_t) 90 * 86400, until = 0;
    if (got[O_SINCE] && s_since (got[O_SINCE], now, &since) != 0)
        return CLI_EXIT_USAGE;
    if (got[O_UNTIL] && cli_date (got[O_UNTIL], 1, &until) != 0)
        return cli_bad ("--until: a date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ), not \"%s\"", got[O_UNTIL]);
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    node_resilience_t res;
    if (node_resilience (n, since, until, &res) != 0) {
        rc = cli_refused (n);
        node_resilience_free (&res);
        node_close (&n);
        return rc;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&buf, &len);
    int written = mem && s_write (mem, !cli->json, &res) == 0;
    if (mem)
        fclose (mem);
    if (!written)
        rc = cli_fail ("cannot make the report: out of memory");
    else if (cli_write_out (cli, got[O_OUT], buf, len) != 0)
        rc = CLI_EXIT_FAIL;
    else {
        int count = 0;
        node_resilience_attention (&res, s_first_reason, &count);
        rc = count ? CLI_EXIT_ATTENTION : CLI_EXIT_OK;
    }
    free (buf);
    node_resilience_free (&res);
    node_close (&n);
    return rc;
}
