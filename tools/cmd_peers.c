/*  cmd_peers.c: whom this node trusts: cdx peer add, peers, trust and
    directory.

    Cards pinned by hand, the national authority trusted, its signed
    directory imported, and the listing of peers with their trust, DSPT
    status, certificate and presence. Not for: the authority's own side
    (cmd_authority.c).
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cx.h"
#include "show.h"

int cmd_peer (cli_t *cli, int argc, char **argv)
{
    int rc = 0;
    if (cli_parse (cli, "peer", NULL, 0, argc, argv, NULL, NULL, &rc) != 0)
        return rc;
    if (argc - optind != 2 || strcmp (argv[optind], "add") != 0)
        return cli_usage ("peer");
    const char *file = argv[optind + 1];
    FILE *f = cli_fopen (cli, file);
    if (!f)
        return cli_fail ("cannot open %s: %s", file, strerror (errno));
    char text[4096];
    size_t len = fread (text, 1, sizeof text - 1, f);
    int toolong = !feof (f);
    if (f != stdin)
        fclose (f);
    if (toolong)
        return cli_fail ("%s is too large to be a cdx card", file);
    text[len] = 0;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    store_peer_t p;
    if (node_peer_add (n, text, len, &p) != 0) {
        show_printf (stderr, "cdx: %s\n", node_error (n));
        rc = CLI_EXIT_REFUSED;
    } else {
        char fpr[CX_FINGERPRINT_HEXLEN];
        cx_fingerprint (p.sign_pk, fpr);
        show_printf (stdout, "added peer %s (%s, %s) at %s, signing key %s\n", p.address, p.role, p.name, p.endpoint, fpr);
        node_kick (n);
    }
    node_close (&n);
    return rc;
}

typedef struct {
    cli_t *cli;
    node_t *n;
    int running;             /* a node runs on the home: presence is known */
    char header[256];
} peers_view_t;

/* A time as a JSON member: ",\"KEY\":\"UTC\"", or null when T is 0. */
static void s_json_time (const char *key, int64_t t)
{
    char when[32];
    cli_utc (t, when, sizeof when);
    printf (",\"%s\":", key);
    if (t > 0)
        printf ("\"%s\"", when);
    else
        printf ("null");
}

static void s_peer_json (const store_peer_t *p, const char *fpr, const char *added, int connected, int64_t last_seen,
                         int sibling)
{
    printf ("{\"org\":");
    show_json (stdout, p->org);
    cli_json_str ("address", p->address);
    cli_json_opt ("node", p->node);
    printf (",\"sibling\":%s", sibling ? "true" : "false");
    printf (",\"role\":\"%s\",\"name\":", p->role);
    show_json (stdout, p->name);
    cli_json_str ("endpoint", p->endpoint);
    printf (",\"fingerprint\":\"%s\",\"trust\":\"%s\",\"added\":\"%s\",\"dspt\":", fpr, p->trust, added);
    show_json_opt (stdout, p->dspt);
    cli_json_opt ("dspt_year", p->dspt_year);
    s_json_time ("not_after", p->not_after);
    s_json_time ("revoked", p->revoked);
    const char *rule = NULL;
    node_peer_barred (p, (int64_t) time (NULL), &rule);
    printf (",\"status\":\"%s\"", !rule ? "ok" : strcmp (rule, "trust.revoked") == 0 ? "revoked" : "expired");
    /* connected: null when no node runs here to know. */
    printf (",\"connected\":%s", connected < 0 ? "null" : connected ? "true" : "false");
    s_json_time ("last_seen", last_seen);
    printf ("}");
}

static int s_print_peer (const store_peer_t *p, void *arg)
{
    peers_view_t *v = arg;
    char fpr[CX_FINGERPRINT_HEXLEN], when[32], until[32], expiry[48] = "-";
    cx_fingerprint (p->sign_pk, fpr);
    cli_utc (p->added, when, sizeof when);
    int64_t last_seen = 0;
    int connected = node_peer_presence (v->n, p, v->running, &last_seen);
    fputs (cli_row (v->cli, v->header), stdout);
    int sibling = node_peer_sibling (v->n, p);
    if (v->cli->json) {
        s_peer_json (p, fpr, when, connected, last_seen, sibling);
        return 0;
    }
    char seen[32] = "never";
    if (last_seen > 0)
        cli_utc (last_seen, seen, sizeof seen);
    char dspt[40] = "-";
    if (p->dspt[0])
        snprintf (dspt, sizeof dspt, "%s %s", p->dspt, p->dspt_year);
    if (p->revoked > 0) {
        cli_utc (p->revoked, until, sizeof until);
        snprintf (expiry, sizeof expiry, "REVOKED %.10s", until);
    } else if (p->not_after > 0) {
        cli_utc (p->not_after, until, sizeof until);
        snprintf (expiry, sizeof expiry, "%s%.10s", p->not_after <= (int64_t) time (NULL) ? "EXPIRED " : "", until);
    }
    char presence[48];
    if (connected > 0)
        snprintf (presence, sizeof presence, "connected");
    else
        snprintf (presence, sizeof presence, "%s%s", connected < 0 ? "? seen " : "seen ", seen);
    show_printf (stdout, "%-6s %-5s %-32s %-28s %s %-9s %-30s %-19s %s%s\n", p->address, p->role, p->name, p->endpoint,
                 fpr, p->trust, dspt, expiry, presence, sibling ? "  sibling" : "");
    return 0;
}

int cmd_peers (cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"json", 0, 0, NULL}};
    const char *got[1];
    int rc = 0;
    if (cli_parse (cli, "peers", opts, 1, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if ((rc = cli_no_operands (argc, argv, "peers")) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    peers_view_t v = {cli, n, node_running (n), ""};
    snprintf (v.header, sizeof v.header, "%-6s %-5s %-32s %-28s %-16s %-9s %-30s %-19s %s\n", "NODE", "ROLE", "NAME",
              "ENDPOINT", "SIGNING KEY", "TRUST", "DSPT", "CERTIFIED UNTIL", "CONNECTED / LAST SEEN");
    rc = cli_list_end (cli, n, v.header, node_list_peers (n, s_print_peer, &v));
    node_close (&n);
    return rc;
}

int cmd_trust (cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"authority", 1, 0, NULL}};
    const char *got[1];
    int rc = 0;
    if (cli_parse (cli, "trust", opts, 1, argc, argv, got, NULL, &rc) != 0)
        return rc;
    const char *file = got[0];
    if (!file || optind != argc)
        return cli_usage ("trust");
    size_t len;
    char *text = cli_read_file (cli, file, 4096, &len);
    if (!text)
        return CLI_EXIT_FAIL;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0) {
        free (text);
        return rc;
    }
    if (node_trust_authority (n, text, len) != 0) {
        show_printf (stderr, "cdx: %s\n", node_error (n));
        rc = CLI_EXIT_REFUSED;
    } else {
        show_printf (stdout, "this node trusts the authority in %s; import its directory with cdx directory import FILE\n", file);
    }
    free (text);
    node_close (&n);
    return rc;
}

static int s_directory_import (cli_t *cli, node_t *n, const char *file)
{
    size_t len;
    char *text = cli_read_file (cli, file, 4u << 20, &len);
    node_directory_result_t res;
    int rc = 0;
    if (!text) {
        rc = CLI_EXIT_FAIL;
    } else if (node_directory_import (n, text, len, "file", &res) != 0) {
        show_printf (stderr, "cdx: %s\n", node_error (n));
        rc = CLI_EXIT_REFUSED;
    } else {
        char when[32];
        cli_utc (res.expires, when, sizeof when);
        show_printf (stdout, "directory serial %" PRIu64 " accepted (expires %s): %d peer(s) certified, %d newly revoked, "
                "%d refused\n", res.serial, when, res.certified, res.revoked, res.refused);
    }
    free (text);
    return rc;
}

static int s_directory_show (cli_t *cli, node_t *n)
{
    uint64_t serial;
    int64_t expires;
    if (node_directory_held (n, &serial, &expires) != 0)
        return cli_fail ("%s", node_error (n));
    char when[32];
    cli_utc (expires, when, sizeof when);
    if (cli->json) {
        printf ("{\"serial\":%" PRIu64, serial);
        cli_json_opt ("expires", serial ? when : NULL);
        printf ("}\n");
    } else if (!serial) {
        printf ("no directory held\n");
    } else {
        show_printf (stdout, "directory serial %" PRIu64 ", expires %s%s\n", serial, when,
                expires <= (int64_t) time (NULL) ? " (EXPIRED)" : "");
    }
    return 0;
}

int cmd_directory (cli_t *cli, int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"json", 0, 0, "show"}};
    const char *got[1];
    int rc = 0;
    if (cli_parse (cli, "directory", opts, 1, argc, argv, got, NULL, &rc) != 0)
        return rc;
    int import = argc - optind == 2 && strcmp (argv[optind], "import") == 0;
    int show = argc - optind == 0 || (argc - optind == 1 && strcmp (argv[optind], "show") == 0);
    if (!import && !show)
        return cli_usage ("directory");
    if ((rc = cli_forms ("directory", import ? "import" : "show", opts, 1, got)) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    rc = import ? s_directory_import (cli, n, argv[optind + 1]) : s_directory_show (cli, n);
    node_close (&n);
    return rc;
}
