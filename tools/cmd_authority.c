/*  cmd_authority.c: cdx authority, the national authority's own side:
    init, certify, revoke, directory and list.

    The authority's home is a directory of its own, not a node's (--home
    or CDX_AUTHORITY_HOME). Each sub-verb takes only its own options. Not
    for: what a node does with certificates and directories
    (cmd_peers.c).
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "show.h"

enum { O_NAME, O_DSPT, O_DSPT_YEAR, O_DAYS, O_NOT_BEFORE, O_NOT_AFTER, O_EXPIRES, O_ORG, O_NODE, O_KEY, O_REASON, O_OUTPUT, O_JSON,
       O_COUNT };

static const cli_opt_t s_opts[O_COUNT] = {
    {"name", 1, 0, "init"},
    {"dspt", 1, 0, "certify"},
    {"dspt-year", 1, 0, "certify"},
    {"days", 1, 0, "certify directory"},
    {"not-before", 1, 0, "certify"},
    {"not-after", 1, 0, "certify"},
    {"expires", 1, 0, "directory"},
    {"org", 1, 0, "revoke"},
    {"node", 1, 0, "revoke"},
    {"key", 1, 0, "revoke"},
    {"reason", 1, 0, "revoke"},
    {"output", 1, 'o', "certify directory"},
    {"json", 0, 0, "list"},
};

/* The authority is never served by a node: its files are this process's. */
static cli_t s_local;

static int s_init (const char *home, const char **got)
{
    const char *name = got[O_NAME];
    char err[NODE_ERR_MAX];
    if (!name)
        return cli_fail ("--name is required, e.g. --name \"NHS England\"");
    if (node_authority_init (home, name, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    show_printf (stdout, "created authority \"%s\" in %s\n", name, home);
    show_printf (stdout, "next: give %s/authority.pub to every node (cdx trust --authority FILE)\n", home);
    return CLI_EXIT_OK;
}

static int s_certify (const char *home, const char *file, node_certify_t *co, const char **got)
{
    if (!co->dspt || !co->dspt_year)
        return cli_fail ("--dspt and --dspt-year are required (e.g. --dspt standards-met --dspt-year 2025/26)");
    size_t len;
    char *card = cli_read_file (&s_local, file, 4096, &len);
    if (!card)
        return CLI_EXIT_FAIL;
    co->card = card;
    co->card_len = len;
    char cert[4096], err[NODE_ERR_MAX];
    int refused = 0;
    if (node_authority_certify (home, co, cert, sizeof cert, &refused, err, sizeof err) != 0) {
        free (card);
        show_printf (stderr, "cdx: %s\n", err);
        return refused ? CLI_EXIT_REFUSED : CLI_EXIT_FAIL;
    }
    free (card);
    return cli_write_out (&s_local, got[O_OUTPUT], cert, strlen (cert)) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int s_revoke (const char *home, const char **got)
{
    int count = 0;
    char err[NODE_ERR_MAX];
    node_revoke_t o = {.org = got[O_ORG], .node = got[O_NODE], .key = got[O_KEY], .reason = got[O_REASON]};
    if (node_authority_revoke (home, &o, &count, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    printf ("revoked %d key(s); publish a new directory (cdx authority directory) to tell the nodes\n", count);
    return CLI_EXIT_OK;
}

static int s_directory (const char *home, int days, const char **got)
{
    const char *output = got[O_OUTPUT];
    char *text = NULL, err[NODE_ERR_MAX];
    size_t len = 0;
    uint64_t serial = 0;
    if (node_authority_directory (home, days, got[O_EXPIRES], &text, &len, &serial, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    int rc = cli_write_out (&s_local, output, text, len) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    free (text);
    if (rc == CLI_EXIT_OK && output && strcmp (output, "-") != 0)
        show_printf (stderr, "directory serial %" PRIu64 " written to %s\n", serial, output);
    return rc;
}

static int s_list_row (const node_issued_t *c, void *arg)
{
    int *rows = arg;
    char until[21];
    cli_utc (c->not_after, until, sizeof until);
    if (s_local.json) {
        printf ("%s{\"address\":", (*rows)++ ? "," : "[");
        show_json (stdout, c->address);
        cli_json_str ("org", c->org);
        cli_json_opt ("node", c->node);
        cli_json_str ("role", c->role);
        cli_json_str ("name", c->name);
        printf (",\"serial\":%" PRIu64 ",\"fingerprint\":\"%s\",\"not_after\":\"%s\",\"state\":\"%s\"}", c->serial,
                c->fingerprint, until, c->state);
        return 0;
    }
    if ((*rows)++ == 0)
        printf ("%-14s %-6s %-5s %-16s %-8s %-20s %s\n", "ADDRESS", "SERIAL", "ROLE", "SIGNING KEY", "STATE", "UNTIL",
                "NAME");
    show_printf (stdout, "%-14s %-6" PRIu64 " %-5s %-16s %-8s %-20s %s\n", c->address, c->serial, c->role,
                 c->fingerprint, c->state, until, c->name);
    return 0;
}

static int s_list (const char *home)
{
    char err[NODE_ERR_MAX];
    int rows = 0;
    if (node_authority_list (home, s_list_row, &rows, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    if (s_local.json)
        printf ("%s\n", rows ? "]" : "[]");
    else if (!rows)
        printf ("no certificates issued yet (cdx authority certify CARD)\n");
    return CLI_EXIT_OK;
}

int cmd_authority (cli_t *cli, int argc, char **argv)
{
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "authority", s_opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    node_certify_t co = {.dspt = got[O_DSPT], .dspt_year = got[O_DSPT_YEAR], .not_before = got[O_NOT_BEFORE],
                         .not_after = got[O_NOT_AFTER]};
    int64_t days = 0;
    if (got[O_DAYS] && cli_number ("--days", got[O_DAYS], 1, 3660, &days) != 0)
        return CLI_EXIT_USAGE;
    co.days = (int) days;
    if (optind >= argc)
        return cli_usage ("authority");
    const char *home = cli->home_set ? cli->home : getenv ("CDX_AUTHORITY_HOME");
    if (!home || !*home)
        return cli_fail ("the authority's home is not a node's: give --home DIR (or set CDX_AUTHORITY_HOME)");
    const char *verb = argv[optind];
    int operands = argc - optind - 1;
    int init = strcmp (verb, "init") == 0 && operands == 0;
    int certify = strcmp (verb, "certify") == 0 && operands == 1;
    int revoke = strcmp (verb, "revoke") == 0 && operands == 0;
    int directory = strcmp (verb, "directory") == 0 && operands == 0;
    int list = strcmp (verb, "list") == 0 && operands == 0;
    if (!init && !certify && !revoke && !directory && !list)
        return cli_usage ("authority");
    if ((rc = cli_forms ("authority", verb, s_opts, O_COUNT, got)) != 0)
        return rc;
    return init ? s_init (home, got)
           : certify ? s_certify (home, argv[optind + 1], &co, got)
           : revoke ? s_revoke (home, got)
           : list   ? (s_local.json = got[O_JSON] != NULL, s_list (home))
                    : s_directory (home, co.days, got);
}
