/*  cmd_audit.c: cdx audit: the audit log reviewed (a table, --json or
    --csv), verified, exported signed, and reconciled with a peer's export.

    The role checks and the export's format are the node's
    (node/listing.c, node/reconcile.c, protocol/auditexport.h); here the
    entries are filtered and printed. Not for: the log's chain (node/audit.c).
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "cx.h"
#include "proto.h"
#include "show.h"

/* ---- cdx audit: review and verification ------------------------------------

   Filters are applied here, to the rows the store lists in seq order: a
   filter never hides the seq numbers that show nothing was left out. The
   table for people is a header and one row per entry, in columns as wide
   as their widest cell (the log is read once to measure and once to
   print), fitted to the terminal unless --wide. */
enum { AUDIT_SEQ, AUDIT_TIME, AUDIT_DECISION, AUDIT_ACTION, AUDIT_ACTOR, AUDIT_PEER, AUDIT_OBJECT,
       AUDIT_RULE, AUDIT_DETAIL, AUDIT_COLUMNS };

typedef struct {
    cli_t *cli;
    int csv;
    int64_t since, until;    /* inclusive; INT64_MIN / INT64_MAX: open */
    const char *org, *dataset, *user, *action, *decision;
    int64_t shown;
    const char *agreement;   /* --agreement REF */
    int wide;                /* every cell whole, dataset ids in full */
    int measure;             /* this pass only measures the columns */
    size_t cols;             /* the width to fit (SIZE_MAX: no limit) */
    size_t width[AUDIT_COLUMNS];
} audit_view_t;

/* 1 if E is about organisation ORG: the peer, or a peer actor of it. */
static int s_audit_is_org (const store_audit_t *e, const char *org)
{
    size_t len = strlen (org);
    if (strcmp (e->peer, org) == 0)
        return 1;
    return strncmp (e->actor, "peer:", 5) == 0 && strncmp (e->actor + 5, org, len) == 0 &&
           (e->actor[5 + len] == ':' || e->actor[5 + len] == '\0');
}

static int s_audit_is_user (const store_audit_t *e, const char *user)
{
    size_t len = strlen (user);
    return strncmp (e->actor, "user:", 5) == 0 && strncmp (e->actor + 5, user, len) == 0 &&
           (e->actor[5 + len] == ':' || e->actor[5 + len] == ' ' || e->actor[5 + len] == '\0');
}

/* 1 if E is about agreement REF: the agreement itself (its proposal,
   signatures, revocation), or a decision that names it ("under agreement
   REF", "agreement REF expired ..."). */
static int s_audit_is_agreement (const store_audit_t *e, const char *ref)
{
    if (strcmp (e->object, ref) == 0)
        return 1;
    size_t len = strlen (ref);
    for (const char *p = e->detail; (p = strstr (p, "agreement ")) != NULL; p++) {
        const char *r = p + strlen ("agreement ");
        const char *end = r + len;      /* a reference ends where its grammar does, or at a full stop */
        if (strncmp (r, ref, len) == 0 &&
            (!*end || strchr (" ,;:)", *end) || (*end == '.' && (!end[1] || end[1] == ' '))))
            return 1;
    }
    return 0;
}

static int s_audit_match (const audit_view_t *v, const store_audit_t *e)
{
    return e->at >= v->since && e->at <= v->until && (!v->org || s_audit_is_org (e, v->org)) &&
           (!v->dataset || strstr (e->object, v->dataset)) && (!v->user || s_audit_is_user (e, v->user)) &&
           (!v->action || strcmp (e->action, v->action) == 0) &&
           (!v->decision || strcmp (e->decision, v->decision) == 0) &&
           (!v->agreement || s_audit_is_agreement (e, v->agreement));
}

/* The width cdx audit fits its table to: $COLUMNS, else the terminal's;
   SIZE_MAX (no limit) with --wide or when the output is not a terminal. */
static size_t s_audit_cols (int wide)
{
    if (wide)
        return SIZE_MAX;
    const char *env = getenv ("COLUMNS");
    int64_t v;
    const char *rest;
    if (env && cli_leading (env, &v, &rest) == 0 && !*rest && v > 0 && v < 100000)
        return (size_t) v;
    struct winsize ws;
    if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return SIZE_MAX;
}

/* The cells of E's row. A dataset's object ("TOPIC vN ID") is shown as
   its id, topic and version, the id cut to 8 digits unless WIDE (cdx
   takes a unique prefix wherever it takes an id); other objects as they
   are. */
typedef struct {
    char seq[24], time[32], object[160], peer[20], detail[sizeof ((store_audit_t *) 0)->detail + 80];
    const char *cell[AUDIT_COLUMNS];
} audit_row_t;

static void s_audit_row (const store_audit_t *e, int wide, audit_row_t *r)
{
    snprintf (r->seq, sizeof r->seq, "%" PRId64, e->seq);
    cli_utc (e->at, r->time, sizeof r->time);
    snprintf (r->peer, sizeof r->peer, "%s", e->peer[0] ? e->peer : "-");
    const char *id = strrchr (e->object, ' ');
    const char *ver = NULL;
    if (id && id > e->object && strlen (id + 1) == 32 && strspn (id + 1, "0123456789abcdef") == 32)
        for (ver = id - 1; ver > e->object && ver[-1] != ' '; ver--)
            ;
    if (ver && ver > e->object && ver[0] == 'v' && (size_t) (id - ver) > 1 &&
        strspn (ver + 1, "0123456789") == (size_t) (id - ver - 1))
        snprintf (r->object, sizeof r->object, "%.*s %.*s", wide ? 32 : 8, id + 1, (int) (id - e->object),
                  e->object);
    else
        snprintf (r->object, sizeof r->object, "%s", e->object);
    snprintf (r->detail, sizeof r->detail, "%s%s%s%s", e->purpose[0] ? "[purpose " : "", e->purpose,
              e->purpose[0] ? "] " : "", e->detail);
    const char *cells[AUDIT_COLUMNS] = {r->seq,  r->time,   e->decision, e->action, e->actor,
                                        r->peer, r->object, e->rule,     r->detail};
    memcpy (r->cell, cells, sizeof cells);
}

static const char *const s_audit_heads[AUDIT_COLUMNS] = {"SEQ",   "TIME (UTC)", "DECISION", "ACTION", "ACTOR",
                                                         "PEER",  "OBJECT",     "RULE",     "DETAIL"};

/* Narrows the measured columns to fit V->cols: the detail first, then
   the actor and the object, each down to a floor; what still does not
   fit is cut at the edge by s_audit_line. */
static void s_audit_fit (audit_view_t *v)
{
    static const struct { int col; size_t floor; } steps[] = {
        {AUDIT_DETAIL, 40}, {AUDIT_ACTOR, 20}, {AUDIT_OBJECT, 32}, {AUDIT_DETAIL, 20},
        {AUDIT_ACTOR, 12},  {AUDIT_OBJECT, 20}, {AUDIT_DETAIL, 0},   {AUDIT_ACTOR, 8},
        {AUDIT_OBJECT, 8}};
    size_t total = AUDIT_COLUMNS - 1;            /* the spaces between */
    for (int i = 0; i < AUDIT_COLUMNS; i++)
        total += v->width[i];
    for (size_t k = 0; k < sizeof steps / sizeof steps[0] && total > v->cols; k++) {
        size_t *w = &v->width[steps[k].col];
        size_t cut = *w > steps[k].floor ? *w - steps[k].floor : 0;
        if (cut > total - v->cols)
            cut = total - v->cols;
        *w -= cut;
        total -= cut;
    }
}

/* One line of the table: each cell padded to its column, cut with an
   ellipsis if longer, the line never wider than V->cols; a column fitted
   down to nothing is left out. */
static void s_audit_line (const audit_view_t *v, const char *const cell[AUDIT_COLUMNS])
{
    size_t room = v->cols;
    int lastcol = AUDIT_COLUMNS - 1, first = 1;
    while (lastcol > 0 && v->width[lastcol] == 0)
        lastcol--;
    for (int i = 0; i <= lastcol && room > 0; i++) {
        if (v->width[i] == 0)
            continue;
        if (!first) {
            if (room < 2)
                break;
            fputc (' ', stdout);
            room--;
        }
        first = 0;
        size_t w = v->width[i] < room ? v->width[i] : room;
        int last = i == lastcol || w == room;
        if (show_width (cell[i]) > w)
            show_printf (stdout, "%.*s\u2026", (int) w - 1, cell[i]);
        else if (i == AUDIT_SEQ)
            show_printf (stdout, "%*s", (int) w, cell[i]);         /* numbers to the right */
        else
            show_printf (stdout, "%-*s", last ? 0 : (int) w, cell[i]);
        room -= w;
    }
    fputc ('\n', stdout);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
   line break, quotes doubled. Values are written as stored: a spreadsheet
   opening the file should be told to treat every column as text. */
static void s_csv_field (FILE *f, const char *s, int last)
{
    if (strpbrk (s, ",\"\r\n")) {
        fputc ('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc ('"', f);
            fputc (*s, f);
        }
        fputc ('"', f);
    } else {
        fputs (s, f);
    }
    fputs (last ? "\r\n" : ",", f);
}

#define AUDIT_CSV_HEADER "seq,at,actor,action,object,peer,purpose,decision,rule,detail,hash\r\n"

static int s_print_audit (const store_audit_t *e, void *arg)
{
    audit_view_t *v = arg;
    if (!s_audit_match (v, e))
        return 0;
    char when[32], hash[2 * sizeof e->hash + 1];
    cli_utc (e->at, when, sizeof when);
    cx_hex (e->hash, sizeof e->hash, hash);
    if (v->csv) {
        char seq[24];
        snprintf (seq, sizeof seq, "%" PRId64, e->seq);
        fputs (cli_row (v->cli, AUDIT_CSV_HEADER), stdout);
        const char *fields[] = {seq,         when,    e->actor, e->action, e->object, e->peer,
                                e->purpose,  e->decision, e->rule, e->detail, hash};
        size_t count = sizeof fields / sizeof fields[0];
        for (size_t i = 0; i < count; i++)
            s_csv_field (stdout, fields[i], i + 1 == count);
    } else if (v->cli->json) {
        printf ("%s{\"seq\":%" PRId64 ",\"at\":\"%s\",\"actor\":", cli_row (v->cli, ""), e->seq, when);
        show_json (stdout, e->actor);
        const char *names[] = {"action", "object", "peer", "purpose", "decision", "rule", "detail"};
        const char *values[] = {e->action, e->object, e->peer, e->purpose, e->decision, e->rule, e->detail};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            cli_json_opt (names[i], values[i]);
        printf (",\"hash\":\"%s\"}", hash);
    } else {
        audit_row_t *r = malloc (sizeof *r);
        if (!r)
            return -1;
        s_audit_row (e, v->wide, r);
        if (v->measure) {
            for (int i = 0; i < AUDIT_COLUMNS; i++) {
                size_t w = show_width (r->cell[i]);
                v->width[i] = w > v->width[i] ? w : v->width[i];
            }
        } else {
            s_audit_line (v, r->cell);
        }
        free (r);
    }
    v->shown++;
    return 0;
}

/* cdx audit for people: the entries V selects measured, then printed
   under a header; "no entries" if none matches. 0, or exit code 1. */
static int s_audit_table (node_t *n, audit_view_t *v)
{
    for (int i = 0; i < AUDIT_COLUMNS; i++)
        v->width[i] = strlen (s_audit_heads[i]);
    v->cols = s_audit_cols (v->wide);
    v->wide = v->cols == SIZE_MAX;                /* nothing to fit: ids in full */
    v->measure = 1;
    if (node_list_audit (n, s_print_audit, v) < 0)
        return cli_refused (n);
    if (v->shown == 0) {
        printf ("no entries\n");
        return 0;
    }
    s_audit_fit (v);
    v->measure = 0;
    v->shown = 0;
    s_audit_line (v, s_audit_heads);
    if (node_list_audit (n, s_print_audit, v) < 0)
        return cli_refused (n);
    return 0;
}

/* cdx audit verify: exit 0 if the chain and every checkpoint hold, 4 at the
   first problem, which is named with its seq. */
static int s_audit_verify (cli_t *cli, int checkpoint)
{
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    node_audit_report_t r;
    if (node_audit_check (n, checkpoint, &r) != 0) {
        rc = cli_refused (n);
        node_close (&n);
        return rc;
    }
    int ok = r.problem == NODE_AUDIT_OK;
    char last[65], cp[65];
    cx_hex (r.last_hash, sizeof r.last_hash, last);
    cx_hex (r.checkpoint_hash, sizeof r.checkpoint_hash, cp);
    if (cli->json) {
        printf ("{\"ok\":%s,\"entries\":%" PRId64 ",\"last_seq\":%" PRId64 ",\"last_hash\":",
                ok ? "true" : "false", r.entries, r.last_seq);
        show_json_opt (stdout, r.last_seq ? last : NULL);
        printf (",\"checkpoints\":%" PRId64 ",\"last_checkpoint_seq\":%" PRId64 ",\"last_checkpoint_hash\":",
                r.checkpoints, r.checkpoint_seq);
        show_json_opt (stdout, r.checkpoint_seq ? cp : NULL);
        printf (",\"uncovered\":%" PRId64 ",\"problem\":\"%s\"", ok ? r.uncovered : 0,
                node_audit_problem_name (r.problem));
        if (!ok) {
            printf (",\"seq\":%" PRId64 ",\"reason\":", r.seq);
            show_json (stdout, r.reason);
        }
        printf ("}\n");
    } else if (ok) {
        show_printf (stdout, "ok: %" PRId64 " entries, chain intact, ", r.entries);
        if (r.checkpoint_seq)
            show_printf (stdout, "last signed checkpoint at seq %" PRId64 " (hash %.16s...)\n", r.checkpoint_seq, cp);
        else
            printf ("no signed checkpoint yet\n");
        if (r.uncovered > 0)
            show_printf (stdout, "entries %" PRId64 " to %" PRId64 " are not yet covered by a signed checkpoint\n",
                    r.last_seq - r.uncovered + 1, r.last_seq);
    } else {
        show_printf (stdout, "FAILED at seq %" PRId64 " (%s): %s\n", r.seq, node_audit_problem_name (r.problem), r.reason);
    }
    node_close (&n);
    return ok ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

/* cdx audit export -o FILE: the whole log, signed (node/reconcile.c). */
static int s_audit_export (cli_t *cli, const char *path)
{
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    int64_t entries;
    if (node_audit_export (n, path, cli_files (cli), &entries) != 0)
        rc = cli_refused (n);
    else
        show_printf (stdout, "wrote %s: %" PRId64 " entries, signed by %s\n", path, entries, node_org (n));
    node_close (&n);
    return rc;
}

typedef struct {
    cli_t *cli;
    int shown;
} reconcile_view_t;

static void s_print_mismatch (const node_mismatch_t *m, void *arg)
{
    reconcile_view_t *v = arg;
    if (v->cli->json) {
        printf ("%s{\"kind\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"dataset\":\"%s\",\"object\":",
                v->shown ? "," : "", m->kind, m->from, m->to, m->dataset);
        show_json (stdout, m->object);
        printf (",\"our_hash\":"), show_json_opt (stdout, m->our_hash);
        printf (",\"their_hash\":"), show_json_opt (stdout, m->their_hash), printf ("}");
    } else {
        show_printf (stdout, "%-18s %s -> %s  %s\n", m->kind, m->from, m->to, m->object);
        if (strcmp (m->kind, "hash-differs") == 0)
            show_printf (stdout, "    blake2b here %s\n    blake2b there %s\n", m->our_hash, m->their_hash);
    }
    v->shown++;
}

/* cdx audit reconcile FILE: exit 0 when nothing differs, 6 when something
   does, 4 if the export is refused (not from a peer, or altered). */
static int s_audit_reconcile (cli_t *cli, const char *path)
{
    FILE *f = cli_fopen (cli, path);
    if (!f)
        return cli_fail ("cannot open %s: %s", path, strerror (errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= ((size_t) 512 << 20)) {
                fclose (f);
                free (text);
                return cli_fail ("%s is larger than 512 MiB: not an audit export this cdx reads", path);
            }
            cap = cap ? cap * 2 : 65536;
            char *more = realloc (text, cap);
            if (!more) {
                fclose (f);
                free (text);
                return cli_fail ("out of memory");
            }
            text = more;
        }
        size_t got = fread (text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int ferr = ferror (f);
    fclose (f);
    if (ferr) {
        free (text);
        return cli_fail ("cannot read %s", path);
    }
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0) {
        free (text);
        return rc;
    }
    reconcile_view_t v = {cli, 0};
    node_reconcile_t sum;
    if (cli->json)
        printf ("{\"mismatches\":[");
    if (node_audit_reconcile (n, text, len, s_print_mismatch, &v, &sum) != 0) {
        if (cli->json)
            printf ("],\"ok\":false,\"error\":");
        if (cli->json) {
            show_json (stdout, node_error (n));
            printf ("}\n");
        }
        rc = cli_refused (n);
    } else {
        if (cli->json)
            printf ("],\"ok\":%s,\"peer\":\"%s\",\"entries\":%" PRId64 ",\"sent\":%" PRId64
                    ",\"received\":%" PRId64 "}\n",
                    sum.mismatches ? "false" : "true", sum.peer, sum.entries, sum.sent, sum.received);
        else
            show_printf (stdout, "%s: %" PRId64 " entries of %s's signed log; %" PRId64 " sends to and %" PRId64
                    " receipts from %s here; %d mismatch(es)\n",
                    sum.mismatches ? "MISMATCH" : "ok", sum.entries, sum.peer, sum.sent, sum.received, sum.peer,
                    sum.mismatches);
        rc = sum.mismatches ? CLI_EXIT_MISMATCH : CLI_EXIT_OK;
    }
    free (text);
    node_close (&n);
    return rc;
}

static const char *s_audit_verify_help =
    "usage: cdx audit verify [--json] [--checkpoint]\n\n"
    "Check that the audit log is whole: every entry is chained to the one before by its\n"
    "BLAKE2b hash, and the node signs checkpoints of the chain (when cdx run starts and\n"
    "stops, and every 100 entries while it runs). Reports the first entry that was edited,\n"
    "deleted, inserted or reordered, or a checkpoint that fails or that the log no longer\n"
    "matches, with its seq. Entries after the last checkpoint are listed as not yet covered:\n"
    "they are chained, but could be cut off the end without trace.\n"
    "  --checkpoint   if the log is whole, sign a checkpoint of its last entry\n"
    "  --json         one JSON object: ok, entries, last_seq, checkpoints, last_checkpoint_seq,\n"
    "                 uncovered, and if not ok: problem, seq, reason\n"
    "Exit code 0 if the log is whole, 4 if not.\n";

static const char *s_audit_export_help =
    "usage: cdx audit export -o FILE\n\n"
    "Write the whole audit log as JSON into FILE (created, mode 0600), signed with this node's\n"
    "signing key, for a peer to reconcile against its own records (cdx audit reconcile FILE on\n"
    "its side). The file is one JSON object: format (cdx-audit-export/1), org, sign_key,\n"
    "exported, entries (as cdx audit --json), and last signature: Ed25519 over\n"
    "\"cdx-audit-export\" NUL and every byte before the comma that opens \"signature\".\n"
    "Needs the ig-officer role; the export is audited.\n";

static const char *s_audit_reconcile_help =
    "usage: cdx audit reconcile FILE [--json]\n\n"
    "FILE is a peer's cdx audit export. Its signature is checked with the signing key pinned for\n"
    "that peer (refused, exit 4, if it is not from a peer or was altered). Then, per dataset:\n"
    "  this node's deliveries to the peer with a signed receipt   vs  the peer's receive entries\n"
    "  the datasets this node received from the peer (or erased)  vs  the peer's deliver entries\n"
    "and every mismatch is listed: sent-not-received, received-not-sent, hash-differs (the\n"
    "content hash here is not the one the peer logged). An export is a snapshot: transfers\n"
    "after it show as mismatches until a newer one. Needs the ig-officer role; audited.\n"
    "  --json   one object: ok, peer, entries, sent, received, mismatches [{kind, from, to,\n"
    "           dataset, object, our_hash, their_hash}]\n"
    "Exit code 0 when nothing differs, 6 when something does, 4 if the export is refused.\n";

enum { O_SINCE, O_UNTIL, O_ORG, O_DATASET, O_USER, O_ACTION, O_DECISION, O_AGREEMENT, O_WIDE, O_CSV, O_CHECKPOINT,
       O_OUTPUT, O_JSON, O_COUNT };

#define S_FILTERS "list"
static const cli_opt_t s_opts[O_COUNT] = {
    {"since", 1, 0, S_FILTERS},    {"until", 1, 0, S_FILTERS},  {"org", 1, 0, S_FILTERS},
    {"dataset", 1, 0, S_FILTERS},  {"user", 1, 0, S_FILTERS},   {"action", 1, 0, S_FILTERS},
    {"decision", 1, 0, S_FILTERS}, {"agreement", 1, 0, S_FILTERS}, {"wide", 0, 0, S_FILTERS},
    {"csv", 0, 0, S_FILTERS},      {"checkpoint", 0, 0, "verify"}, {"output", 1, 'o', "export"},
    {"json", 0, 0, "list verify reconcile"}};

/* The filters given into V: 0, 1 if any, or -1 with the exit code in *RC. */
static int s_filters (const char **got, audit_view_t *v, int *rc)
{
    for (int i = O_SINCE; i <= O_UNTIL; i++)
        if (got[i] && cli_date (got[i], i == O_UNTIL, i == O_SINCE ? &v->since : &v->until) != 0) {
            show_printf (stderr, "cdx audit: --%s %s: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
                         s_opts[i].name, got[i]);
            return *rc = cli_usage ("audit"), -1;
        }
    if (got[O_DECISION] && strcmp (got[O_DECISION], "allow") != 0 && strcmp (got[O_DECISION], "refuse") != 0) {
        fprintf (stderr, "cdx audit: --decision is allow or refuse\n");
        return *rc = cli_usage ("audit"), -1;
    }
    if (got[O_AGREEMENT] && proto_ref_ok (got[O_AGREEMENT]) != 0)
        return *rc = cli_bad ("--agreement: %s", proto_error ()), -1;
    v->org = got[O_ORG];
    v->dataset = got[O_DATASET];
    v->user = got[O_USER];
    v->action = got[O_ACTION];
    v->decision = got[O_DECISION];
    v->agreement = got[O_AGREEMENT];
    v->wide = got[O_WIDE] != NULL;
    v->csv = got[O_CSV] != NULL;
    for (int i = O_SINCE; i <= O_AGREEMENT; i++)
        if (got[i])
            return 1;
    return 0;
}

/* cdx audit for review: the table, --json or --csv. A refusal is audited;
   an allowed read is not written into the log it reads (two reads of an
   unchanged log must agree, and verifying must not change the evidence
   it checks): node_list_audit. */
static int s_audit_list (cli_t *cli, audit_view_t *v)
{
    if (v->csv && cli->json) {
        fprintf (stderr, "cdx audit: choose one of --json and --csv\n");
        return cli_usage ("audit");
    }
    if (v->wide && (v->csv || cli->json)) {
        fprintf (stderr, "cdx audit: --wide is for the table; --json and --csv are always whole\n");
        return cli_usage ("audit");
    }
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (!v->csv && !cli->json)
        rc = s_audit_table (n, v);
    else
        rc = cli_list_end (cli, n, AUDIT_CSV_HEADER, node_list_audit (n, s_print_audit, v));
    node_close (&n);
    return rc;
}

int cmd_audit (cli_t *cli, int argc, char **argv)
{
    const char *got[O_COUNT];
    audit_view_t v = {.cli = cli, .since = INT64_MIN, .until = INT64_MAX};
    int rc = 0, help = 0;
    if (cli_parse (cli, "audit", s_opts, O_COUNT, argc, argv, got, &help, &rc) != 0)
        return rc;
    int filtered = s_filters (got, &v, &rc);
    if (filtered < 0)
        return rc;
    const char *output = got[O_OUTPUT];
    int checkpoint = got[O_CHECKPOINT] != NULL;
    int verify = argc - optind == 1 && strcmp (argv[optind], "verify") == 0;
    int exporting = argc - optind == 1 && strcmp (argv[optind], "export") == 0;
    int reconcile = argc - optind >= 1 && strcmp (argv[optind], "reconcile") == 0;
    if (help) {
        if (verify || exporting || reconcile)
            fputs (verify ? s_audit_verify_help : exporting ? s_audit_export_help : s_audit_reconcile_help, stdout);
        else
            cli_help ("audit");
        return CLI_EXIT_OK;
    }
    if (exporting || reconcile) {
        if (filtered || v.csv || checkpoint || (exporting && (!output || cli->json)) ||
            (reconcile && (output || argc - optind != 2))) {
            fprintf (stderr, "usage: cdx audit export -o FILE | cdx audit reconcile FILE [--json]\n");
            return CLI_EXIT_USAGE;
        }
        if ((rc = cli_forms ("audit", argv[optind], s_opts, O_COUNT, got)) != 0)
            return rc;
        return exporting ? s_audit_export (cli, output) : s_audit_reconcile (cli, argv[optind + 1]);
    }
    if (output) {
        fprintf (stderr, "cdx audit: -o goes with export: cdx audit export -o FILE\n");
        return cli_usage ("audit");
    }
    if (argc - optind != (verify ? 1 : 0))
        return cli_usage ("audit");
    if (verify) {
        if (filtered || v.csv) {
            fprintf (stderr, "cdx audit verify: filters and --csv are for listing; verify reads the whole log\n");
            return cli_usage ("audit");
        }
        if ((rc = cli_forms ("audit", "verify", s_opts, O_COUNT, got)) != 0)
            return rc;
        return s_audit_verify (cli, checkpoint);
    }
    if (checkpoint) {
        fprintf (stderr, "cdx audit: --checkpoint goes with verify: cdx audit verify --checkpoint\n");
        return cli_usage ("audit");
    }
    return s_audit_list (cli, &v);
}
