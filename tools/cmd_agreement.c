/*  cmd_agreement.c: cdx agreement: data sharing agreements proposed,
    signed, revoked, listed and shown.

    Each sub-verb takes only its own options (propose takes the
    agreement's terms). Not for: whether an agreement allows a disclosure
    (node/policy.c), its encoding (protocol/).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cx.h"
#include "proto.h"
#include "show.h"

enum { O_REF, O_PROVIDER, O_PROVIDER_IG, O_RECIPIENT, O_RECIPIENT_IG, O_CONTROLLER, O_CONTROLLER_IG, O_TOPICS,
       O_CLASS, O_PURPOSES, O_ART6, O_ART9, O_DUTY, O_OPTOUT, O_START, O_END, O_RETENTION, O_ONWARD,
       O_CONDITIONS, O_REASON, O_OUTPUT, O_JSON, O_COUNT };

#define S_TERMS "propose"
static const cli_opt_t s_opts[O_COUNT] = {
    {"ref", 1, 0, S_TERMS},        {"provider", 1, 0, S_TERMS},      {"provider-ig", 1, 0, S_TERMS},
    {"recipient", 1, 0, S_TERMS},  {"recipient-ig", 1, 0, S_TERMS},  {"controller", 1, 0, S_TERMS},
    {"controller-ig", 1, 0, S_TERMS}, {"topics", 1, 0, S_TERMS},     {"class", 1, 0, S_TERMS},
    {"purposes", 1, 0, S_TERMS},   {"art6", 1, 0, S_TERMS},          {"art9", 1, 0, S_TERMS},
    {"duty", 1, 0, S_TERMS},       {"opt-out", 1, 0, S_TERMS},       {"start", 1, 0, S_TERMS},
    {"end", 1, 0, S_TERMS},        {"retention", 1, 0, S_TERMS},     {"onward", 1, 0, S_TERMS},
    {"conditions", 1, 0, S_TERMS}, {"reason", 1, 0, "revoke"},       {"output", 1, 'o', "propose sign"},
    {"json", 0, 0, NULL}};

static void s_print_agreement_json (const store_agreement_t *s, const proto_agreement_t *a, int64_t now)
{
    static const uint8_t zero[64];
    char start[32], end[32], hash[65];
    cli_utc (a->start, start, sizeof start);
    cli_utc (a->end, end, sizeof end);
    cx_hex (s->hash, 32, hash);
    printf ("{\"ref\":");
    show_json (stdout, a->ref);
    printf (",\"state\":\"%s\",\"provider\":\"%s\",\"provider_ig\":", node_agreement_state (s, now), a->provider);
    show_json (stdout, a->provider_ig);
    printf (",\"recipient\":\"%s\",\"recipient_ig\":", a->recipient);
    show_json (stdout, a->recipient_ig);
    printf (",\"controller\":\"%s\",\"controller_ig\":", a->controller[0] ? a->controller : a->provider);
    show_json_opt (stdout, a->controller_ig);
    cli_json_str ("topics", a->topics);
    printf (",\"class\":\"%s\",\"purposes\":", a->class_);
    show_json (stdout, a->purposes);
    cli_json_str ("art6", a->art6);
    cli_json_opt ("art9", a->art9);
    cli_json_opt ("duty", a->duty);
    printf (",\"opt_out_required\":%s,\"start\":\"%s\",\"end\":\"%s\",\"retention_days\":%u,\"onward\":%s,"
            "\"conditions\":",
            a->opt_out ? "true" : "false", start, end, a->retention_days, a->onward ? "true" : "false");
    show_json_opt (stdout, a->conditions);
    printf (",\"signed_by_provider\":%s,\"signed_by_recipient\":%s,\"revoked_by\":",
            memcmp (s->sig_provider, zero, 64) ? "true" : "false", memcmp (s->sig_recipient, zero, 64) ? "true" : "false");
    show_json_opt (stdout, s->revoked_by);
    cli_json_opt ("revoke_reason", s->reason);
    printf (",\"hash\":\"%s\"}", hash);
}

typedef struct {
    cli_t *cli;
    const char *only;       /* show: this ref */
    int count;
} agreement_view_t;

static int s_print_agreement (const store_agreement_t *s, void *arg)
{
    agreement_view_t *v = arg;
    static const uint8_t zero[64];
    if (v->only && strcmp (v->only, s->ref) != 0)
        return 0;
    proto_agreement_t *a = malloc (sizeof *a);
    if (!a || proto_agreement_decode (s->doc, s->doc_len, a) != PROTO_OK) {
        free (a);
        show_printf (stderr, "cdx: agreement %s as stored does not decode\n", s->ref);
        return 0;
    }
    int64_t now = (int64_t) time (NULL);
    char start[32], end[32];
    cli_utc (a->start, start, sizeof start);
    cli_utc (a->end, end, sizeof end);
    if (v->cli->json) {
        printf ("%s", v->count ? "," : "");
        s_print_agreement_json (s, a, now);
    } else if (v->only) {
        show_printf (stdout, "agreement      %s (%s)\n", a->ref, node_agreement_state (s, now));
        show_printf (stdout, "provider       %s, IG lead %s%s\n", a->provider, a->provider_ig,
                memcmp (s->sig_provider, zero, 64) ? ", signed" : ", NOT signed");
        show_printf (stdout, "recipient      %s, IG lead %s%s\n", a->recipient, a->recipient_ig,
                memcmp (s->sig_recipient, zero, 64) ? ", signed" : ", NOT signed");
        show_printf (stdout, "controller     %s%s%s\n", a->controller[0] ? a->controller : a->provider,
                a->controller_ig[0] ? ", IG lead " : "", a->controller_ig);
        show_printf (stdout, "topics         %s\nclass up to    %s\npurposes       %s\n", a->topics, a->class_, a->purposes);
        show_printf (stdout, "Article 6      %s\nArticle 9      %s\ncommon law     %s\n", a->art6, a->art9[0] ? a->art9 : "-",
                a->duty[0] ? a->duty : "-");
        show_printf (stdout, "opt-outs       %s\n", a->opt_out ? "National Data Opt-outs must have been applied" : "not required");
        show_printf (stdout, "in force       %s to %s\nretention      %u days at the recipient\nonward sharing %s\n", start, end,
                a->retention_days, a->onward ? "allowed" : "not allowed");
        show_printf (stdout, "conditions     %s\n", a->conditions[0] ? a->conditions : "-");
        if (s->revoked) {
            char when[32];
            cli_utc (s->revoked, when, sizeof when);
            show_printf (stdout, "revoked        %s by %s: %s\n", when, s->revoked_by, s->reason);
        }
    } else {
        show_printf (stdout, "%-24s %-9s %-5s -> %-5s %-13s %-20s %s .. %s\n", a->ref, node_agreement_state (s, now), a->provider,
                a->recipient, a->class_, a->topics, start, end);
    }
    v->count++;
    free (a);
    return 0;
}

static int s_write_agreement (cli_t *cli, node_t *n, const char *ref, const char *path)
{
    uint8_t buf[8192];
    size_t len;
    if (node_agreement_export (n, ref, buf, sizeof buf, &len) != 0)
        return cli_fail ("%s", node_error (n));
    return cli_write_out (cli, path, (const char *) buf, len) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* The terms given to propose, checked, into A. 0, or exit 2 after saying why. */
static int s_terms (const char **got, node_agreement_t *a)
{
    memset (a, 0, sizeof *a);
    a->ref = got[O_REF];
    a->provider = got[O_PROVIDER];
    a->provider_ig = got[O_PROVIDER_IG];
    a->recipient = got[O_RECIPIENT];
    a->recipient_ig = got[O_RECIPIENT_IG];
    a->controller = got[O_CONTROLLER];
    a->controller_ig = got[O_CONTROLLER_IG];
    a->topics = got[O_TOPICS];
    a->class_ = got[O_CLASS];
    a->purposes = got[O_PURPOSES];
    a->art6 = got[O_ART6];
    a->art9 = got[O_ART9];
    a->duty = got[O_DUTY];
    a->conditions = got[O_CONDITIONS];
    a->retention_days = 365;                      /* the default when --retention is not given */
    int64_t days;
    if (got[O_RETENTION]) {
        if (cli_number ("--retention", got[O_RETENTION], 1, NODE_AGREEMENT_RETENTION_MAX, &days) != 0)
            return CLI_EXIT_USAGE;
        a->retention_days = (int) days;
    }
    const char *start = got[O_START] ? got[O_START] : "now", *end = got[O_END], *opt_out = got[O_OPTOUT];
    const char *onward = got[O_ONWARD] ? got[O_ONWARD] : "no";
    if (!end) {
        fprintf (stderr, "cdx agreement propose: --end is required (the date the agreement ends)\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_when (start, 0, &a->start) != 0 || cli_when (end, 1, &a->end) != 0) {
        fprintf (stderr, "cdx agreement propose: --start and --end take YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, now, "
                         "now+N or now-N with s, m, h or d\n");
        return CLI_EXIT_USAGE;
    }
    if (!opt_out || (strcmp (opt_out, "required") != 0 && strcmp (opt_out, "not-required") != 0)) {
        fprintf (stderr, "cdx agreement propose: --opt-out required|not-required is required (must National "
                         "Data Opt-outs have been applied?)\n");
        return CLI_EXIT_USAGE;
    }
    if (strcmp (onward, "yes") != 0 && strcmp (onward, "no") != 0) {
        fprintf (stderr, "cdx agreement propose: --onward takes yes or no\n");
        return CLI_EXIT_USAGE;
    }
    a->opt_out = strcmp (opt_out, "required") == 0;
    a->onward = strcmp (onward, "yes") == 0;
    return 0;
}

static int s_propose (cli_t *cli, const char **got)
{
    node_agreement_t a;
    int rc = s_terms (got, &a);
    if (rc != 0)
        return rc;
    const char *out = got[O_OUTPUT];
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (!a.provider)
        a.provider = node_org (n);
    if (node_agreement_propose (n, &a) != 0)
        rc = cli_refused (n);
    else if (out)
        rc = s_write_agreement (cli, n, a.ref, out);
    if (rc == 0 && !cli->json && (!out || strcmp (out, "-") != 0))
        show_printf (stdout, "proposed agreement %s, signed by %s; in force once %s signs it\n", a.ref, node_org (n),
                strcmp (a.provider, node_org (n)) == 0 ? a.recipient : a.provider);
    node_close (&n);
    return rc;
}

/* sign ARG: a file from the other party, or the reference of one held here. */
static int s_sign (cli_t *cli, const char *arg, const char *out)
{
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    char ref[PROTO_REF_MAX + 1] = "";
    FILE *f = cli_fopen (cli, arg);
    if (!f && strlen (arg) > PROTO_REF_MAX) {
        node_close (&n);
        return cli_bad ("%s: neither a file nor an agreement reference (at most %u characters)", arg,
                        PROTO_REF_MAX);
    }
    if (!f)
        snprintf (ref, sizeof ref, "%s", arg);     /* fits: checked above */
    if (f) {                                   /* a file from the other party */
        uint8_t buf[8192];
        size_t len = fread (buf, 1, sizeof buf, f);
        int toolong = !feof (f);
        fclose (f);
        if (toolong || node_agreement_import (n, buf, len, 1, ref) != 0)
            rc = toolong ? cli_fail ("%s is too large to be an agreement", arg) : CLI_EXIT_REFUSED;
    } else if (node_agreement_sign (n, ref) != 0) {
        rc = node_invalid (n) ? CLI_EXIT_USAGE : CLI_EXIT_REFUSED;
    }
    if (rc == CLI_EXIT_REFUSED || rc == CLI_EXIT_USAGE)
        show_printf (stderr, "cdx: %s\n", node_error (n));
    if (rc == 0 && out)
        rc = s_write_agreement (cli, n, ref, out);
    if (rc == 0 && !cli->json) {
        store_agreement_t *s = malloc (sizeof *s);
        if (s && node_agreement_get (n, ref, s) == 0)
            show_printf (stdout, "signed agreement %s: %s\n", ref, node_agreement_state (s, (int64_t) time (NULL)));
        free (s);
    }
    node_close (&n);
    return rc;
}

static int s_revoke (cli_t *cli, const char *ref, const char *reason)
{
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (node_agreement_revoke (n, ref, reason) != 0)
        rc = cli_refused (n);
    else if (!cli->json)
        show_printf (stdout, "revoked agreement %s here; the other party is told by the running node\n", ref);
    node_close (&n);
    return rc;
}

/* list, or show ONLY (not NULL). */
static int s_list (cli_t *cli, const char *only)
{
    node_t *n;
    int rc;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    agreement_view_t v = {cli, only, 0};
    if (cli->json && !only)
        printf ("[");
    else if (!only)
        printf ("%-24s %-9s %-14s %-13s %-20s %s\n", "REF", "STATE", "PARTIES", "CLASS UP TO", "TOPICS", "IN FORCE");
    if (node_list_agreements (n, s_print_agreement, &v) < 0)
        rc = cli_fail ("%s", node_error (n));
    if (cli->json && !only)
        printf ("]");
    if (cli->json && (!only || v.count))
        printf ("\n");
    if (only && !v.count && rc == 0)
        rc = cli_fail ("no agreement %s here (cdx agreement list)", only);
    node_close (&n);
    return rc;
}

int cmd_agreement (cli_t *cli, int argc, char **argv)
{
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "agreement", s_opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (optind >= argc)
        return cli_usage ("agreement");
    const char *verb = argv[optind];
    int args = argc - optind - 1;
    char *arg = args > 0 ? argv[optind + 1] : NULL;
    int show = strcmp (verb, "show") == 0;
    int wanted = strcmp (verb, "propose") == 0 || strcmp (verb, "list") == 0 ? 0
                 : show || strcmp (verb, "sign") == 0 || strcmp (verb, "revoke") == 0 ? 1
                                                                                       : -1;
    if (wanted < 0 || args != wanted)
        return cli_usage ("agreement");
    if ((rc = cli_forms ("agreement", verb, s_opts, O_COUNT, got)) != 0)
        return rc;
    switch (verb[0]) {
    case 'p': return s_propose (cli, got);
    case 's': return show ? s_list (cli, arg) : s_sign (cli, arg, got[O_OUTPUT]);
    case 'r': return s_revoke (cli, arg, got[O_REASON]);
    default: return s_list (cli, NULL);
    }
}
