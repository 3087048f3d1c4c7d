/*  cmd_status.c: cdx status: how the node is, for a person or, with
    --json, for a script, and an exit code a monitoring check can use.

    The figures are the node library's (node_status); this file prints
    them and, when node_status_attention finds something that needs
    attention, prints its reason on stderr in one line and exits 7.
    Not for: computing anything (node/status.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "show.h"
#include "status.h"

/* A time as JSON: the UTC string, or null for 0 (unknown, none). */
static void s_json_time (const char *key, int64_t t)
{
    char when[32];
    printf (",\"%s\":", key);
    if (t > 0) {
        cli_utc (t, when, sizeof when);
        printf ("\"%s\"", when);
    } else {
        printf ("null");
    }
}

static void s_json_int_or_null (const char *key, int64_t v, int present)
{
    if (present)
        printf (",\"%s\":%" PRId64, key, v);
    else
        printf (",\"%s\":null", key);
}

typedef struct {
    int first;
} s_json_attention_t;

static void s_json_attention (const char *kind, const char *why, void *arg)
{
    s_json_attention_t *a = arg;
    printf ("%s{\"kind\":\"%s\",\"reason\":", a->first ? "" : ",", kind);
    show_json (stdout, why);
    printf ("}");
    a->first = 0;
}

static void s_json_peers (const node_status_t *st)
{
    printf (",\"peers\":[");
    for (size_t i = 0; i < st->npeers; i++) {
        const node_status_peer_t *p = &st->peers[i];
        printf ("%s{\"org\":\"%s\"", i ? "," : "", p->org);
        cli_json_opt ("address", p->address);
        cli_json_opt ("name", p->name);
        cli_json_opt ("trust", p->trust);
        cli_json_opt ("dspt", p->dspt);
        printf (",\"connected\":%s", p->connected < 0 ? "null" : p->connected ? "true" : "false");
        s_json_time ("last_seen", p->last_seen);
        s_json_time ("not_after", p->not_after);
        cli_json_opt ("barred", p->barred);
        printf (",\"queued\":%" PRId64 ",\"sending\":%" PRId64, p->queued, p->sending);
        s_json_time ("oldest_queued", p->oldest);
        s_json_int_or_null ("oldest_age", st->now - p->oldest, p->oldest > 0);
        printf (",\"failing\":%" PRId64 ",\"attempts\":%" PRId64 "}", p->failing, p->attempts);
    }
    printf ("]");
}

static void s_json_transfers (const node_status_t *st)
{
    printf (",\"transfers\":[");
    for (size_t i = 0; i < st->ntransfers; i++) {
        const node_status_transfer_t *t = &st->transfers[i];
        printf ("%s{\"direction\":\"%s\",\"peer\":\"%s\",\"dataset\":\"%s\",\"topic\":", i ? "," : "", t->direction,
                t->peer, t->dataset);
        show_json (stdout, t->topic);
        printf (",\"version\":%" PRId64 ",\"bytes\":%" PRId64 ",\"bytes_done\":%" PRId64, t->version, t->bytes,
                t->done);
        if (t->rate > 0)
            printf (",\"rate\":%.0f", t->rate);
        else
            printf (",\"rate\":null");
        s_json_int_or_null ("eta", t->eta, t->eta >= 0);
        cli_json_opt ("status", t->status);
        printf ("}");
    }
    printf ("]");
}

static void s_json (const node_status_t *st, const node_status_limits_t *lim)
{
    printf ("{\"org\":\"%s\"", st->org);
    cli_json_str ("address", st->address);
    cli_json_str ("name", st->name);
    cli_json_str ("version", st->version);
    cli_json_str ("endpoint", st->endpoint);
    printf (",\"running\":%s", st->running ? "true" : "false");
    s_json_time ("since", st->since);
    s_json_time ("stopped", st->stopped);
    s_json_time ("certificate_expires", st->cert_not_after);
    cli_json_opt ("certificate_dspt", st->cert_dspt);
    s_json_int_or_null ("directory_serial", (int64_t) st->dir_serial, st->dir_serial > 0);
    s_json_time ("directory_expires", st->dir_expires);
    s_json_peers (st);
    int64_t oldest = 0, queued = 0, sending = 0;
    for (size_t i = 0; i < st->npeers; i++) {
        queued += st->peers[i].queued;
        sending += st->peers[i].sending;
        if (st->peers[i].oldest && (!oldest || st->peers[i].oldest < oldest))
            oldest = st->peers[i].oldest;
    }
    printf (",\"queued\":%" PRId64 ",\"sending\":%" PRId64, queued, sending);
    s_json_int_or_null ("oldest_undelivered_age", st->now - oldest, oldest > 0);
    s_json_transfers (st);
    printf (",\"agreements_ending\":[");
    for (size_t i = 0; i < st->nagreements; i++) {
        printf ("%s{\"ref\":", i ? "," : "");
        show_json (stdout, st->agreements[i].ref);
        printf (",\"peer\":\"%s\"", st->agreements[i].peer);
        s_json_time ("end", st->agreements[i].end);
        printf ("}");
    }
    printf ("],\"audit_last_seq\":%" PRId64 ",\"checkpoint_seq\":%" PRId64, st->audit_seq, st->checkpoint_seq);
    s_json_time ("checkpoint_at", st->checkpoint_at);
    s_json_int_or_null ("checkpoint_age", st->now - st->checkpoint_at, st->checkpoint_at > 0);
    printf (",\"uncovered\":%" PRId64, st->audit_seq - st->checkpoint_seq);
    s_json_int_or_null ("disk_free", st->disk_free, st->disk_free >= 0);
    s_json_int_or_null ("disk_size", st->disk_size, st->disk_size >= 0);
    s_json_attention_t a = {1};
    printf (",\"attention\":[");
    int count = node_status_attention (st, lim, s_json_attention, &a);
    printf ("],\"ok\":%s}\n", count ? "false" : "true");
}

/* "2026-01-02T03:04:05Z (3 d ago)" style, or "never". */
static void s_when (int64_t t, int64_t now, char *buf, size_t cap)
{
    if (t <= 0) {
        snprintf (buf, cap, "never");
        return;
    }
    char when[32];
    cli_utc (t, when, sizeof when);
    int64_t d = now - t < 0 ? t - now : now - t;
    const char *dir = now >= t ? "ago" : "from now";
    if (d >= 2 * 86400)
        snprintf (buf, cap, "%s (%" PRId64 " d %s)", when, d / 86400, dir);
    else if (d >= 2 * 3600)
        snprintf (buf, cap, "%s (%" PRId64 " h %s)", when, d / 3600, dir);
    else
        snprintf (buf, cap, "%s (%" PRId64 " min %s)", when, d / 60, dir);
}

static void s_text_peers (const node_status_t *st)
{
    if (!st->npeers)
        return;
    show_printf (stdout, "\n%-6s %-10s %-22s %-24s %7s %7s  %s\n", "PEER", "CONNECTED", "LAST SEEN", "DSPT", "QUEUED",
                 "SENDING", "OLDEST WAITING");
    char seen[64], oldest[64];
    for (size_t i = 0; i < st->npeers; i++) {
        const node_status_peer_t *p = &st->peers[i];
        if (p->last_seen)
            cli_utc (p->last_seen, seen, sizeof seen);
        else
            snprintf (seen, sizeof seen, "never");
        s_when (p->oldest, st->now, oldest, sizeof oldest);
        show_printf (stdout, "%-6s %-10s %-22s %-24s %7" PRId64 " %7" PRId64 "  %s\n", p->address[0] ? p->address : p->org,
                     p->connected < 0 ? "unknown" : p->connected ? "yes" : "no", seen,
                     p->barred[0] ? p->barred : p->dspt[0] ? p->dspt : p->trust[0] ? p->trust : "-", p->queued,
                     p->sending, p->oldest ? oldest : "-");
        if (p->failing)
            show_printf (stdout, "       %" PRId64 " of them failed their last attempt (up to %" PRId64
                                 " attempts): cdx deliveries\n", p->failing, p->attempts);
    }
}

static void s_text_rest (const node_status_t *st)
{
    char when[64];
    if (st->ntransfers)
        show_printf (stdout, "\nTRANSFERS\n");
    for (size_t i = 0; i < st->ntransfers; i++) {
        const node_status_transfer_t *t = &st->transfers[i];
        char rate[64] = "";
        if (t->rate > 0)
            snprintf (rate, sizeof rate, ", %.2f MiB/s", t->rate / 1048576.0);
        if (t->eta >= 0)
            snprintf (rate + strlen (rate), sizeof rate - strlen (rate), ", ETA %" PRId64 " s", t->eta);
        show_printf (stdout, "  %-7s %-5s %s v%" PRId64 " (%s)  %.1f/%.1f MiB%s  %s\n", t->direction,
                     strcmp (t->direction, "send") == 0 ? "to" : "from", t->topic, t->version, t->dataset,
                     (double) t->done / 1048576.0, (double) t->bytes / 1048576.0, rate, t->status);
        show_printf (stdout, "          peer %s\n", t->peer);
    }
    if (st->nagreements)
        show_printf (stdout, "\nAGREEMENTS ENDING WITHIN %d DAYS\n", NODE_STATUS_AGREEMENT_DAYS);
    for (size_t i = 0; i < st->nagreements; i++) {
        s_when (st->agreements[i].end, st->now, when, sizeof when);
        show_printf (stdout, "  %s with %s ends %s\n", st->agreements[i].ref, st->agreements[i].peer, when);
    }
}

static void s_text (const node_status_t *st)
{
    char when[64];
    show_printf (stdout, "node         %s %s (cdx %s), %s\n", st->address, st->name, st->version, st->endpoint);
    if (st->running) {
        s_when (st->since, st->now, when, sizeof when);
        show_printf (stdout, "running      since %s\n", st->since ? when : "(unknown)");
    } else {
        s_when (st->stopped, st->now, when, sizeof when);
        show_printf (stdout, "running      no (last stopped %s)\n", when);
    }
    if (st->cert_not_after) {
        s_when (st->cert_not_after, st->now, when, sizeof when);
        show_printf (stdout, "certificate  until %s, %s\n", when, st->cert_dspt);
    } else {
        show_printf (stdout, "certificate  none in the directory held\n");
    }
    if (st->dir_serial) {
        s_when (st->dir_expires, st->now, when, sizeof when);
        show_printf (stdout, "directory    serial %" PRIu64 ", expires %s\n", st->dir_serial, when);
    } else {
        show_printf (stdout, "directory    none\n");
    }
    s_when (st->checkpoint_at, st->now, when, sizeof when);
    show_printf (stdout, "audit        %" PRId64 " entries; last checkpoint at entry %" PRId64 ", signed %s; %" PRId64
                         " after it\n", st->audit_seq, st->checkpoint_seq, when, st->audit_seq - st->checkpoint_seq);
    if (st->disk_free >= 0 && st->disk_size > 0)
        show_printf (stdout, "disk         %.1f GiB free of %.1f GiB (%.0f%%)\n", (double) st->disk_free / 1073741824.0,
                     (double) st->disk_size / 1073741824.0, 100.0 * (double) st->disk_free / (double) st->disk_size);
    s_text_peers (st);
    s_text_rest (st);
}

typedef struct {
    char first[400];
    int count;
} s_first_t;

static void s_note (const char *kind, const char *why, void *arg)
{
    s_first_t *f = arg;
    (void) kind;
    if (!f->count++)
        snprintf (f->first, sizeof f->first, "%s", why);
}

static void s_text_attention (const char *kind, const char *why, void *arg)
{
    int *shown = arg;
    if (!(*shown)++)
        printf ("\nATTENTION\n");
    show_printf (stdout, "  %-19s %s\n", kind, why);
}

int cmd_status (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_DAYS, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"json", 0, 0, NULL}, {"days", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "status", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if ((rc = cli_no_operands (argc, argv, "status")) != 0)
        return rc;
    cli->json = got[O_JSON] != NULL;
    node_status_limits_t lim;
    node_status_limits_default (&lim);
    if (got[O_DAYS] && cli_number ("--days", got[O_DAYS], 0, 3650, &lim.cert_days) != 0)
        return CLI_EXIT_USAGE;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    node_status_t st;
    if (node_status (n, &st) != 0) {
        rc = cli_refused (n);
        node_status_free (&st);
        node_close (&n);
        return rc;
    }
    s_first_t first = {"", 0};
    if (cli->json) {
        s_json (&st, &lim);
    } else {
        int shown = 0;
        s_text (&st);
        node_status_attention (&st, &lim, s_text_attention, &shown);
    }
    node_status_attention (&st, &lim, s_note, &first);
    if (first.count) {
        show_printf (stderr, "cdx: attention: %s%s\n", first.first, first.count > 1 ? " (and more: cdx status)" : "");
        rc = CLI_EXIT_ATTENTION;
    }
    node_status_free (&st);
    node_close (&n);
    return rc;
}
