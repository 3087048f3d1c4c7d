/*  cdx: the command line of a cdx node.

    One cmd_<verb> function per subcommand, dispatched from s_commands[],
    whose help strings also make `cdx --help`. This file parses arguments
    and prints; everything else is the node library's (node/node.h).
    Human output by default, --json for scripts, errors on stderr naming
    the fix. Exit codes are listed in s_exit_help.
*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cx.h"
#include "node.h"
#include "outfile.h"
#include "proto.h"
#include "show.h"

typedef struct {
    const char *home;
    int json;
    store_t *store;          /* for listings that look up other rows */
    int home_set;            /* --home was given (not the default) */
    node_t *node;            /* for listings that ask the node about a row */
    const char *org;         /* this node's org code, once open */
    int running;             /* a node runs on the home (node_running), for listings */
} cli_t;

typedef int (cmd_fn) (cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    cmd_fn *fn;
    const char *usage;
    const char *summary;
    const char *help;
} command_t;

static const command_t *s_find (const char *name);

static const char *s_exit_help =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the operation failed (the reason is on stderr), e.g. a home this account may not read\n"
    "  2  bad command line: an option missing (--purpose on export), a stray argument, or a value\n"
    "     out of its grammar, vocabulary or range (--org 0df, --class pseudonymized, --role CCG);\n"
    "     nothing is done or audited (see cdx VERB --help)\n"
    "  3  no node at the home directory (run cdx init)\n"
    "  4  refused by a rule (a signature, a key, a policy, a role): the audit log records it\n"
    "  5  timed out\n"
    "  6  cdx audit reconcile found mismatches\n";

/* ---- output helpers --------------------------------------------------------- */

static void s_utc (int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r (&tt, &tm);
    strftime (buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Prints "cdx: REASON" on stderr (escaped: a message may quote what came
   in) and returns CODE. */
static int s_vsay (int code, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
static int s_vsay (int code, const char *fmt, va_list ap)
{
    char msg[2 * NODE_ERR_MAX];
    vsnprintf (msg, sizeof msg, fmt, ap);
    show_printf (stderr, "cdx: %s\n", msg);
    return code;
}

/* A failure: the reason, exit 1. */
static int s_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int s_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_vsay (NODE_EXIT_FAIL, fmt, ap);
    va_end (ap);
    return rc;
}

/* A bad command line: the reason (naming the option and its limit), exit 2. */
static int s_bad (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int s_bad (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_vsay (NODE_EXIT_USAGE, fmt, ap);
    va_end (ap);
    return rc;
}

/* The decimal number at the start of TEXT (digits only: no sign, space or
   base prefix), the one integer parser of the command line: 0 with *REST
   after its digits, or -1 if TEXT does not start with a digit or the
   number does not fit int64_t (never wrapped or clamped). */
static int s_leading (const char *text, int64_t *v, const char **rest)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll (text, &end, 10);
    if (errno == ERANGE || end == text)
        return -1;
    *v = (int64_t) n;
    *rest = end;
    return 0;
}

/* A whole number for option OPT from TEXT, in [MIN, MAX] (MIN >= 0):
   every numeric option is read here. 0, or -1 after printing the reason,
   which names the range (exit 2 for the caller). */
static int s_number (const char *opt, const char *text, int64_t min, int64_t max, int64_t *out)
{
    int64_t v;
    const char *rest;
    if (s_leading (text, &v, &rest) != 0 || *rest || v < min || v > max)
        return s_bad ("%s: a whole number from %" PRId64 " to %" PRId64 ", not \"%s\"", opt, min, max,
                      text ? text : ""), -1;
    *out = v;
    return 0;
}

static int s_usage (const char *verb)
{
    const command_t *c = s_find (verb);
    if (c)
        fprintf (stderr, "usage: cdx %s\nTry: cdx %s --help\n", c->usage, verb);
    return NODE_EXIT_USAGE;
}

/* A command that takes no operands: 0, or the usage (exit 2) naming the
   first stray argument. */
static int s_no_operands (int argc, char **argv, const char *verb)
{
    if (optind >= argc)
        return 0;
    show_printf (stderr, "cdx %s: unexpected argument '%s'\n", verb, argv[optind]);
    return s_usage (verb);
}

static int s_open_claim (cli_t *cli, const node_claim_t *claim, node_t **n)
{
    char err[NODE_ERR_MAX];
    node_open_why_t why;
    *n = node_open_claim (cli->home, claim, &why, err, sizeof err);
    if (!*n) {
        show_printf (stderr, "cdx: %s\n", err);
        return why == NODE_OPEN_NOHOME    ? NODE_EXIT_NOHOME
               : why == NODE_OPEN_REFUSED ? NODE_EXIT_REFUSED
               : why == NODE_OPEN_INVALID ? NODE_EXIT_USAGE
                                          : NODE_EXIT_FAIL;
    }
    return 0;
}

static int s_open (cli_t *cli, node_t **n)
{
    return s_open_claim (cli, NULL, n);
}

/* A failed node operation: exit 2 if a value given was out of its
   grammar or range (nothing was done), 4 if a rule refused it (a role, a
   purpose: the audit log has it), else 1. */
static int s_refused (node_t *n)
{
    show_printf (stderr, "cdx: %s\n", node_error (n));
    return node_invalid (n) ? NODE_EXIT_USAGE : node_refused (n) ? NODE_EXIT_REFUSED : NODE_EXIT_FAIL;
}

/* Progress on a terminal only: bytes, rate, ETA. */
typedef struct {
    struct timespec start;
    const char *what;
    int shown;
    int based;
    uint64_t base;           /* done when first seen: the rate counts what moved since */
} progress_t;

static void s_progress (uint64_t done, uint64_t total, void *arg)
{
    progress_t *p = arg;
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    if (!p->based) {
        p->based = 1;
        p->base = done < total ? done : 0;
        p->start = now;
    }
    double secs = (double) (now.tv_sec - p->start.tv_sec) + (double) (now.tv_nsec - p->start.tv_nsec) / 1e9;
    if (secs < 0.5 && done < total)
        return;
    double rate = secs > 0 && done > p->base ? (double) (done - p->base) / secs : 0;
    double eta = rate > 0 && total > done ? (double) (total - done) / rate : 0;
    fprintf (stderr, "\r%s: %.1f / %.1f MiB, %.0f MiB/s, ETA %.0f s   ", p->what, (double) done / 1048576.0,
             (double) total / 1048576.0, rate / 1048576.0, eta);
    p->shown = 1;
}

static node_progress_fn *s_progress_fn (progress_t *p, const char *what)
{
    memset (p, 0, sizeof *p);
    clock_gettime (CLOCK_MONOTONIC, &p->start);
    p->what = what;
    return isatty (STDERR_FILENO) ? s_progress : NULL;
}

static void s_progress_end (progress_t *p)
{
    if (p->shown)
        fputc ('\n', stderr);
}

/* Options: every command takes --home and --help; a command parses the
   rest with getopt_long. */
#define COMMON_OPTS {"home", required_argument, 0, 'H'}, {"help", no_argument, 0, 'h'}, {"json", no_argument, 0, 'j'}

static int s_common (cli_t *cli, int c, const char *verb, int *rc)
{
    switch (c) {
    case 'H': cli->home = optarg; cli->home_set = 1; return 1;
    case 'j': cli->json = 1; return 1;
    case 'h': {
        const command_t *cmd = s_find (verb);
        printf ("usage: cdx %s\n\n%s\n\n%s", cmd->usage, cmd->summary, cmd->help);
        printf ("\nCommon options:\n  --home DIR   the node's home (default: $CDX_HOME, else "
                "$XDG_DATA_HOME/cdx or ~/.local/share/cdx)\n  --help       this text\n");
        *rc = NODE_EXIT_OK;
        return -1;
    }
    default: *rc = s_usage (verb); return -1;
    }
}

/* ---- commands --------------------------------------------------------------- */

static int cmd_init (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"org", required_argument, 0, 'o'},
                                         {"role", required_argument, 0, 'r'}, {"name", required_argument, 0, 'n'},
                                         {"endpoint", required_argument, 0, 'e'}, {0, 0, 0, 0}};
    node_init_t o = {0};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.org = optarg; break;
        case 'r': o.role = optarg; break;
        case 'n': o.name = optarg; break;
        case 'e': o.endpoint = optarg; break;
        default: if (s_common (cli, c, "init", &rc) < 0) return rc;
        }
    }
    if (optind != argc || !o.org || !o.role || !o.name || !o.endpoint) {
        fprintf (stderr, "cdx init: --org, --role, --name and --endpoint are all required\n");
        return s_usage ("init");
    }
    o.home = cli->home;
    char err[NODE_ERR_MAX];
    if (node_init_check (&o, err, sizeof err) != 0)
        return s_bad ("%s", err);
    if (node_init (&o, err, sizeof err) != 0)
        return s_fail ("%s", err);
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (cli->json) {
        printf ("{\"home\":");
        show_json (stdout, cli->home);
        printf (",\"org\":");
        show_json (stdout, o.org);
        printf ("}\n");
    } else {
        show_printf (stdout, "created node %s (%s) in %s\n", o.org, o.role, cli->home);
        show_printf (stdout, "you (%s) are its admin; grant the roles people need, e.g.\n"
                "  cdx user add %s --role publisher,analyst,ig-officer --home %s\n",
                node_login (n), node_login (n), cli->home);
        show_printf (stdout, "next: cdx card --home %s > %s.card   and give that card to your peers\n", cli->home, o.org);
    }
    node_close (&n);
    return NODE_EXIT_OK;
}

static int cmd_card (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "card", &rc) < 0)
            return rc;
    if ((rc = s_no_operands (argc, argv, "card")) != 0)
        return rc;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    char card[4096];
    if (node_card (n, card, sizeof card) != 0)
        rc = s_fail ("%s", node_error (n));
    else
        fputs (card, stdout);
    node_close (&n);
    return rc;
}

static int cmd_peer (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "peer", &rc) < 0)
            return rc;
    if (argc - optind != 2 || strcmp (argv[optind], "add") != 0)
        return s_usage ("peer");
    const char *file = argv[optind + 1];
    FILE *f = strcmp (file, "-") == 0 ? stdin : fopen (file, "rb");
    if (!f)
        return s_fail ("cannot open %s: %s", file, strerror (errno));
    char text[4096];
    size_t len = fread (text, 1, sizeof text - 1, f);
    int toolong = !feof (f);
    if (f != stdin)
        fclose (f);
    if (toolong)
        return s_fail ("%s is too large to be a cdx card", file);
    text[len] = 0;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    store_peer_t p;
    if (node_peer_add (n, text, len, &p) != 0) {
        show_printf (stderr, "cdx: %s\n", node_error (n));
        rc = NODE_EXIT_REFUSED;
    } else {
        char fpr[CX_FINGERPRINT_HEXLEN];
        cx_fingerprint (p.sign_pk, fpr);
        show_printf (stdout, "added peer %s (%s, %s) at %s, signing key %s\n", p.org, p.role, p.name, p.endpoint, fpr);
        node_kick (n);
    }
    node_close (&n);
    return rc;
}

static int s_print_peer (const store_peer_t *p, void *arg)
{
    cli_t *cli = arg;
    char fpr[CX_FINGERPRINT_HEXLEN], when[32], until[32], expiry[48] = "-";
    cx_fingerprint (p->sign_pk, fpr);
    s_utc (p->added, when, sizeof when);
    int64_t last_seen = 0;
    int connected = node_peer_presence (cli->node, p, cli->running, &last_seen);
    char seen[32] = "never";
    if (last_seen > 0)
        s_utc (last_seen, seen, sizeof seen);
    if (cli->json) {
        static int first;
        printf ("%s{\"org\":", first++ ? "," : "");
        show_json (stdout, p->org);
        printf (",\"role\":\"%s\",\"name\":", p->role);
        show_json (stdout, p->name);
        printf (",\"endpoint\":");
        show_json (stdout, p->endpoint);
        printf (",\"fingerprint\":\"%s\",\"trust\":\"%s\",\"added\":\"%s\",\"dspt\":", fpr, p->trust, when);
        show_json_opt (stdout, p->dspt);
        printf (",\"dspt_year\":");
        show_json_opt (stdout, p->dspt_year);
        if (p->not_after > 0) {
            s_utc (p->not_after, until, sizeof until);
            printf (",\"not_after\":\"%s\"", until);
        } else {
            printf (",\"not_after\":null");
        }
        if (p->revoked > 0) {
            s_utc (p->revoked, until, sizeof until);
            printf (",\"revoked\":\"%s\"", until);
        } else {
            printf (",\"revoked\":null");
        }
        const char *rule = NULL;
        node_peer_barred (p, (int64_t) time (NULL), &rule);
        printf (",\"status\":\"%s\"", !rule ? "ok" : strcmp (rule, "trust.revoked") == 0 ? "revoked" : "expired");
        /* connected: null when no node runs here to know. */
        printf (",\"connected\":%s,\"last_seen\":", connected < 0 ? "null" : connected ? "true" : "false");
        if (last_seen > 0)
            printf ("\"%s\"}", seen);
        else
            printf ("null}");
    } else {
        char dspt[40] = "-";
        if (p->dspt[0])
            snprintf (dspt, sizeof dspt, "%s %s", p->dspt, p->dspt_year);
        if (p->revoked > 0) {
            s_utc (p->revoked, until, sizeof until);
            snprintf (expiry, sizeof expiry, "REVOKED %.10s", until);
        } else if (p->not_after > 0) {
            s_utc (p->not_after, until, sizeof until);
            snprintf (expiry, sizeof expiry, "%s%.10s", p->not_after <= (int64_t) time (NULL) ? "EXPIRED " : "", until);
        }
        char presence[48];
        if (connected > 0)
            snprintf (presence, sizeof presence, "connected");
        else
            snprintf (presence, sizeof presence, "%s%s", connected < 0 ? "? seen " : "seen ", seen);
        show_printf (stdout, "%-6s %-5s %-32s %-28s %s %-9s %-30s %-19s %s\n", p->org, p->role, p->name, p->endpoint, fpr,
                     p->trust, dspt, expiry, presence);
    }
    return 0;
}

static int cmd_peers (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "peers", &rc) < 0)
            return rc;
    if ((rc = s_no_operands (argc, argv, "peers")) != 0)
        return rc;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    cli->node = n;
    cli->running = node_running (n);
    if (cli->json)
        printf ("[");
    else
        printf ("%-6s %-5s %-32s %-28s %-16s %-9s %-30s %-19s %s\n", "ORG", "ROLE", "NAME", "ENDPOINT", "SIGNING KEY",
                "TRUST", "DSPT", "CERTIFIED UNTIL", "CONNECTED / LAST SEEN");
    if (store_peer_each (node_store (n), s_print_peer, cli) < 0)
        rc = s_fail ("%s", store_error (node_store (n)));
    if (cli->json)
        printf ("]\n");
    node_close (&n);
    return rc;
}


/* ---- trust: the authority and its directory --------------------------------- */

/* Reads FILE (- for stdin) into a malloc'd NUL-terminated buffer of at
   most MAX bytes. NULL with the reason printed. */
static char *s_read_file (const char *file, size_t max, size_t *len)
{
    FILE *f = strcmp (file, "-") == 0 ? stdin : fopen (file, "rb");
    if (!f) {
        s_fail ("cannot open %s: %s", file, strerror (errno));
        return NULL;
    }
    char *buf = malloc (max + 2);
    size_t got = buf ? fread (buf, 1, max + 1, f) : 0;
    if (f != stdin)
        fclose (f);
    if (!buf) {
        s_fail ("out of memory");
        return NULL;
    }
    if (got > max) {
        free (buf);
        s_fail ("%s is larger than %zu bytes", file, max);
        return NULL;
    }
    buf[got] = 0;
    *len = got;
    return buf;
}

/* Writes LEN bytes to FILE (a new file, 0644: node_outfile), or stdout if
   NULL or "-". */
static int s_write_out (const char *file, const char *data, size_t len)
{
    if (!file || strcmp (file, "-") == 0)
        return fwrite (data, 1, len, stdout) == len ? 0 : s_fail ("cannot write to stdout");
    char err[NODE_ERR_MAX];
    if (node_outfile_save (file, data, len, 0644, err, sizeof err) != 0)
        return s_fail ("%s", err);
    return 0;
}

static int cmd_authority (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS,
                                         {"name", required_argument, 0, 'n'},
                                         {"dspt", required_argument, 0, 'd'},
                                         {"dspt-year", required_argument, 0, 'y'},
                                         {"days", required_argument, 0, 'D'},
                                         {"not-before", required_argument, 0, 'b'},
                                         {"not-after", required_argument, 0, 'a'},
                                         {"expires", required_argument, 0, 'e'},
                                         {"org", required_argument, 0, 'G'},
                                         {"key", required_argument, 0, 'k'},
                                         {"reason", required_argument, 0, 'r'},
                                         {"output", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    const char *name = NULL, *org = NULL, *key = NULL, *reason = NULL, *output = NULL, *expires = NULL;
    node_certify_t co = {0};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'd': co.dspt = optarg; break;
        case 'y': co.dspt_year = optarg; break;
        case 'D': {
            int64_t v;
            if (s_number ("--days", optarg, 1, 3660, &v) != 0)
                return NODE_EXIT_USAGE;
            co.days = (int) v;
            break;
        }
        case 'b': co.not_before = optarg; break;
        case 'a': co.not_after = optarg; break;
        case 'e': expires = optarg; break;
        case 'G': org = optarg; break;
        case 'o': output = optarg; break;
        case 'k': key = optarg; break;
        case 'r': reason = optarg; break;
        default: if (s_common (cli, c, "authority", &rc) < 0) return rc;
        }
    }
    if (optind >= argc)
        return s_usage ("authority");
    const char *home = cli->home_set ? cli->home : getenv ("CDX_AUTHORITY_HOME");
    if (!home || !*home)
        return s_fail ("the authority's home is not a node's: give --home DIR (or set CDX_AUTHORITY_HOME)");
    const char *verb = argv[optind];
    char err[NODE_ERR_MAX];
    if (strcmp (verb, "init") == 0 && optind + 1 == argc) {
        if (!name)
            return s_fail ("--name is required, e.g. --name \"NHS England\"");
        if (node_authority_init (home, name, err, sizeof err) != 0)
            return s_fail ("%s", err);
        show_printf (stdout, "created authority \"%s\" in %s\n", name, home);
        show_printf (stdout, "next: give %s/authority.pub to every node (cdx trust --authority FILE)\n", home);
        return NODE_EXIT_OK;
    }
    if (strcmp (verb, "certify") == 0 && optind + 2 == argc) {
        if (!co.dspt || !co.dspt_year)
            return s_fail ("--dspt and --dspt-year are required (e.g. --dspt standards-met --dspt-year 2025/26)");
        size_t len;
        char *card = s_read_file (argv[optind + 1], 4096, &len);
        if (!card)
            return NODE_EXIT_FAIL;
        co.card = card;
        co.card_len = len;
        char cert[4096];
        int refused = 0;
        if (node_authority_certify (home, &co, cert, sizeof cert, &refused, err, sizeof err) != 0) {
            free (card);
            show_printf (stderr, "cdx: %s\n", err);
            return refused ? NODE_EXIT_REFUSED : NODE_EXIT_FAIL;
        }
        free (card);
        return s_write_out (output, cert, strlen (cert)) == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL;
    }
    if (strcmp (verb, "revoke") == 0 && optind + 1 == argc) {
        int count = 0;
        if (node_authority_revoke (home, org, key, reason, &count, err, sizeof err) != 0)
            return s_fail ("%s", err);
        printf ("revoked %d key(s); publish a new directory (cdx authority directory) to tell the nodes\n", count);
        return NODE_EXIT_OK;
    }
    if (strcmp (verb, "directory") == 0 && optind + 1 == argc) {
        char *text = NULL;
        size_t len = 0;
        uint64_t serial = 0;
        if (node_authority_directory (home, co.days, expires, &text, &len, &serial, err, sizeof err) != 0)
            return s_fail ("%s", err);
        rc = s_write_out (output, text, len) == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL;
        free (text);
        if (rc == NODE_EXIT_OK && output && strcmp (output, "-") != 0)
            show_printf (stderr, "directory serial %" PRIu64 " written to %s\n", serial, output);
        return rc;
    }
    return s_usage ("authority");
}

static int cmd_trust (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"authority", required_argument, 0, 'a'}, {0, 0, 0, 0}};
    const char *file = NULL;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 'a')
            file = optarg;
        else if (s_common (cli, c, "trust", &rc) < 0)
            return rc;
    }
    if (!file || optind != argc)
        return s_usage ("trust");
    size_t len;
    char *text = s_read_file (file, 4096, &len);
    if (!text)
        return NODE_EXIT_FAIL;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0) {
        free (text);
        return rc;
    }
    if (node_trust_authority (n, text, len) != 0) {
        show_printf (stderr, "cdx: %s\n", node_error (n));
        rc = NODE_EXIT_REFUSED;
    } else {
        show_printf (stdout, "this node trusts the authority in %s; import its directory with cdx directory import FILE\n", file);
    }
    free (text);
    node_close (&n);
    return rc;
}

static int cmd_directory (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "directory", &rc) < 0)
            return rc;
    int import = argc - optind == 2 && strcmp (argv[optind], "import") == 0;
    int show = argc - optind == 0 || (argc - optind == 1 && strcmp (argv[optind], "show") == 0);
    if (!import && !show)
        return s_usage ("directory");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (import) {
        size_t len;
        char *text = s_read_file (argv[optind + 1], 4u << 20, &len);
        node_directory_result_t res;
        if (!text) {
            rc = NODE_EXIT_FAIL;
        } else if (node_directory_import (n, text, len, "file", &res) != 0) {
            show_printf (stderr, "cdx: %s\n", node_error (n));
            rc = NODE_EXIT_REFUSED;
        } else {
            char when[32];
            s_utc (res.expires, when, sizeof when);
            show_printf (stdout, "directory serial %" PRIu64 " accepted (expires %s): %d peer(s) certified, %d newly revoked, "
                    "%d refused\n", res.serial, when, res.certified, res.revoked, res.refused);
        }
        free (text);
    } else {
        uint64_t serial;
        int64_t expires;
        if (node_directory_held (n, &serial, &expires) != 0) {
            rc = s_fail ("%s", node_error (n));
        } else if (cli->json) {
            char when[32];
            s_utc (expires, when, sizeof when);
            printf ("{\"serial\":%" PRIu64 ",\"expires\":", serial), show_json_opt (stdout, serial ? when : NULL), printf ("}\n");
        } else if (!serial) {
            printf ("no directory held\n");
        } else {
            char when[32];
            s_utc (expires, when, sizeof when);
            show_printf (stdout, "directory serial %" PRIu64 ", expires %s%s\n", serial, when,
                    expires <= (int64_t) time (NULL) ? " (EXPIRED)" : "");
        }
    }
    node_close (&n);
    return rc;
}

static int cmd_keys (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "keys", &rc) < 0)
            return rc;
    if (argc - optind != 1 || strcmp (argv[optind], "rotate") != 0)
        return s_usage ("keys");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    char card[4096];
    if (node_keys_rotate (n, card, sizeof card) != 0) {
        rc = s_fail ("%s", node_error (n));
    } else {
        fputs (card, stdout);
        fprintf (stderr, "keys rotated; old keys kept in %s/keys/old. Next: have the authority certify this card\n"
                         "(cdx authority certify) and publish a directory, or give the card to peers that pinned this node.\n",
                 cli->home);
    }
    node_close (&n);
    return rc;
}

static volatile sig_atomic_t s_stop;
static int s_wake[2] = {-1, -1};   /* self-pipe: wakes cdx run's poll on a signal */

static void s_on_signal (int sig)
{
    int saved = errno;
    s_stop = sig;                                  /* the stop entry names it */
    if (s_wake[1] >= 0) {
        ssize_t w = write (s_wake[1], "", 1);  /* full pipe: a wake-up is pending anyway */
        (void) w;
    }
    errno = saved;
}

static int cmd_run (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"bind", required_argument, 0, 'b'}, {0, 0, 0, 0}};
    const char *bind = NULL;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b')
            bind = optarg;
        else if (s_common (cli, c, "run", &rc) < 0)
            return rc;
    }
    if (optind != argc)
        return s_usage ("run");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    /* Chunks are 1 MiB buffers allocated and freed all the time; keep them
       on the heap instead of a fresh mmap (and page faults) for each. */
    mallopt (M_MMAP_THRESHOLD, 4 << 20);
    mallopt (M_TRIM_THRESHOLD, 32 << 20);
    if (pipe (s_wake) != 0)
        s_wake[0] = s_wake[1] = -1;                /* still stops, at the next timer */
    for (int i = 0; i < 2; i++)
        if (s_wake[i] >= 0) {
            fcntl (s_wake[i], F_SETFL, fcntl (s_wake[i], F_GETFL) | O_NONBLOCK);
            fcntl (s_wake[i], F_SETFD, FD_CLOEXEC);
        }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    /* SIGHUP stops it too, as cleanly: there is nothing to reload (every
       change to the store takes effect at once), and a hang-up is the end
       of the session that started it. */
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    if (node_run (n, bind, &s_stop, s_wake[0]) != 0)
        rc = s_fail ("%s", node_error (n));
    int wr = s_wake[1];
    s_wake[1] = -1;                                /* the handler stops writing first */
    if (wr >= 0) {
        close (wr);
        close (s_wake[0]);
    }
    node_close (&n);
    return rc;
}

/* A duration for option OPT: DAYS, or a number with s, m, h or d, from
   1 s to MAX seconds. 0, or -1 after printing the reason naming the limit. */
static int s_duration (const char *opt, const char *text, int64_t max, int64_t *out)
{
    int64_t v;
    const char *end;
    int ok = s_leading (text, &v, &end) == 0;
    int64_t unit = !ok ? 0
                   : *end == 0 || strcmp (end, "d") == 0 ? 86400
                   : strcmp (end, "h") == 0              ? 3600
                   : strcmp (end, "m") == 0              ? 60
                   : strcmp (end, "s") == 0              ? 1
                                                         : 0;
    if (!unit || v < 1 || v > max / unit)
        return s_bad ("%s: a duration of 1 s to %" PRId64 " days: DAYS, or a number with s, m, h or d "
                      "(90d, 36h, 30s), not \"%s\"", opt, max / 86400, text ? text : ""), -1;
    *out = v * unit;
    return 0;
}

static int cmd_publish (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"topic", required_argument, 0, 't'},
                                         {"class", required_argument, 0, 'c'},
                                         {"purpose", required_argument, 0, 'p'},
                                         {"kind", required_argument, 0, 'k'},
                                         {"supersedes", no_argument, 0, 'S'},
                                         {"correction", no_argument, 0, 'C'},
                                         {"retention", required_argument, 0, 'r'},
                                         {"legal-basis", required_argument, 0, 'L'},
                                         {"opt-out", required_argument, 0, 'O'},
                                         {"agreement", required_argument, 0, 'A'}, {0, 0, 0, 0}};
    node_publish_t p = {0};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': p.topic = optarg; break;
        case 'c': p.class_ = optarg; break;
        case 'p': p.purpose = optarg; break;
        case 'k': p.kind = optarg; break;
        case 'S': p.kind = "supersedes"; break;
        case 'C': p.kind = "correction"; break;
        case 'L': p.legal_basis = optarg; break;
        case 'O': p.opt_out = optarg; break;
        case 'A': p.agreement = optarg; break;
        case 'r':
            if (s_duration ("--retention", optarg, NODE_RETENTION_MAX, &p.retention) != 0)
                return NODE_EXIT_USAGE;
            break;
        default: if (s_common (cli, c, "publish", &rc) < 0) return rc;
        }
    }
    if (argc - optind != 1 || !p.topic || !p.class_ || !p.purpose) {
        fprintf (stderr, "cdx publish: --topic, --class, --purpose and one FILE are required\n");
        return s_usage ("publish");
    }
    p.path = argv[optind];
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    progress_t prog;
    p.progress = s_progress_fn (&prog, "sealing");
    p.progress_arg = &prog;
    char id[33];
    int64_t version;
    if (node_publish (n, &p, id, &version) != 0) {
        s_progress_end (&prog);
        rc = s_refused (n);
    } else {
        s_progress_end (&prog);
        if (cli->json) {
            printf ("{\"id\":\"%s\",\"topic\":", id);
            show_json (stdout, p.topic);
            printf (",\"version\":%" PRId64 "}\n", version);
        } else {
            printf ("%s\n", id);
        }
        if (!cli->json && isatty (STDERR_FILENO))
            show_printf (stderr, "published %s version %" PRId64 "%s\n", p.topic, version,
                     node_running (n) ? "" : " (no node running here: it is sent when cdx run starts)");
    }
    node_close (&n);
    return rc;
}

static int cmd_subscribe (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"from", required_argument, 0, 'f'},
                                         {"topic", required_argument, 0, 't'},
                                         {"history", required_argument, 0, 'v'}, {0, 0, 0, 0}};
    const char *from = NULL, *topic = NULL;
    int64_t since = 0;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': topic = optarg; break;
        case 'v':
            if (s_number ("--history", optarg, 1, INT64_MAX, &since) != 0)
                return NODE_EXIT_USAGE;
            break;
        default: if (s_common (cli, c, "subscribe", &rc) < 0) return rc;
        }
    }
    if (optind != argc || !from || !topic)
        return s_usage ("subscribe");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (node_subscribe (n, from, topic, since) != 0)
        rc = s_refused (n);
    else
        show_printf (stdout, "subscription to %s from %s requested%s\n", topic, from,
                node_running (n) ? "" : " (sent when cdx run starts)");
    node_close (&n);
    return rc;
}

static int cmd_unsubscribe (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"from", required_argument, 0, 'f'},
                                         {"subscriber", required_argument, 0, 's'},
                                         {"topic", required_argument, 0, 't'}, {0, 0, 0, 0}};
    const char *from = NULL, *subscriber = NULL, *topic = NULL;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 's': subscriber = optarg; break;
        case 't': topic = optarg; break;
        default: if (s_common (cli, c, "unsubscribe", &rc) < 0) return rc;
        }
    }
    if (optind != argc || !topic || !from == !subscriber)
        return s_usage ("unsubscribe");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (node_unsubscribe (n, from ? from : subscriber, topic, subscriber != NULL) != 0)
        rc = s_refused (n);
    else
        show_printf (stdout, "subscription of %s to %s from %s ended\n", subscriber ? subscriber : node_org (n), topic,
                from ? from : node_org (n));
    node_close (&n);
    return rc;
}

/* "12.0/64.0 MiB, 2.1 MiB/s, ETA 25 s" for a delivery under way, into BUF. */
static void s_delivery_progress (const node_delivery_view_t *v, char *buf, size_t cap)
{
    int len = snprintf (buf, cap, "%.1f/%.1f MiB", (double) v->done / 1048576.0, (double) v->bytes / 1048576.0);
    if (len > 0 && (size_t) len < cap && v->rate > 0)
        len += snprintf (buf + len, cap - (size_t) len, ", %.2f MiB/s", v->rate / 1048576.0);
    if (len > 0 && (size_t) len < cap && v->eta >= 0)
        snprintf (buf + len, cap - (size_t) len, ", ETA %" PRId64 " s", v->eta);
}

/* cdx wait at the publisher: every delivery of the dataset, each with
   its progress or why it waits, in one line. */
typedef struct {
    cli_t *cli;
    int pending, done, failed;
    char line[1024];          /* "04V sending 1.0/2.0 MiB, ...; 05X offline" */
    char key[512];            /* the same without the numbers: what changed */
} wait_t;

static int s_wait_delivery (const store_delivery_t *d, void *arg)
{
    wait_t *w = arg;
    if (strcmp (d->state, "delivered") == 0 || strcmp (d->state, "superseded") == 0 ||
        strcmp (d->state, "cancelled") == 0)
        w->done++;
    else if (strcmp (d->state, "failed") == 0 || strcmp (d->state, "expired") == 0)
        w->failed++;
    else
        w->pending++;
    node_delivery_view_t v;
    if (node_delivery_view (w->cli->node, d, w->cli->running, &v) != 0)
        return 0;
    char progress[96] = "";
    if (strcmp (d->state, "sending") == 0)
        s_delivery_progress (&v, progress, sizeof progress);
    size_t len = strlen (w->line), klen = strlen (w->key);
    snprintf (w->line + len, sizeof w->line - len, "%s%s %s%s%s", len ? "; " : "", d->subscriber, v.status,
              progress[0] ? " " : "", progress);
    snprintf (w->key + klen, sizeof w->key - klen, "%s %s;", d->subscriber,
              strncmp (v.status, "stalled", 7) == 0 ? "stalled" : v.status);
    return 0;
}

typedef struct {
    int tty;
    int shown;                /* a line is on the terminal, not yet ended */
    char key[512];            /* what the last line printed said */
    double at;                /* when, seconds since the wait began */
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
static int s_wait_once (cli_t *cli, node_t *n, const char *id, store_dataset_t *d, wait_show_t *ws,
                        node_progress_fn *fn, progress_t *prog, double waited)
{
    int r = store_dataset_get (node_store (n), id, d);
    if (r < 0)
        return s_fail ("%s", store_error (node_store (n)));
    if (r == 0 && strcmp (d->state, "published") == 0) {
        /* Publisher: wait for every delivery to end. */
        wait_t w;
        memset (&w, 0, sizeof w);
        w.cli = cli;
        if (node_deliveries_of (n, id, s_wait_delivery, &w) < 0)
            return s_fail ("%s", node_error (n));
        if (!cli->json) {
            char line[1200];
            snprintf (line, sizeof line, "deliveries of %s: %d done, %d in progress, %d failed%s%s", id, w.done,
                      w.pending, w.failed, w.line[0] ? ": " : "", w.line);
            char key[600];
            snprintf (key, sizeof key, "%d %d %d %s", w.done, w.pending, w.failed, w.key);
            s_wait_show (ws, line, key, waited);
        }
        if (w.pending == 0)
            return w.failed ? s_fail ("%d deliveries of %s failed or expired: see cdx deliveries", w.failed, id)
                            : NODE_EXIT_OK;
    } else if (r == 0) {
        if (strcmp (d->state, "available") == 0 || strcmp (d->state, "erased") == 0) {
            if (fn)
                fn ((uint64_t) d->bytes, (uint64_t) d->bytes, prog);
            return NODE_EXIT_OK;
        }
        if (strcmp (d->state, "failed") == 0)
            return s_fail ("dataset %s failed verification: see cdx audit", id);
        if (fn) {
            int64_t done = d->next_chunk * d->chunk_size;
            fn ((uint64_t) (done < d->bytes ? done : d->bytes), (uint64_t) d->bytes, prog);
        }
    }
    return S_WAIT_MORE;
}

static int cmd_wait (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"timeout", required_argument, 0, 't'},
                                         {"topic", required_argument, 0, 'T'},
                                         {"from", required_argument, 0, 'f'}, {0, 0, 0, 0}};
    double timeout = -1;
    const char *topic = NULL, *from = NULL;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 't') {
            /* Seconds, fractions allowed (0.5): the one option that is not
               a whole number. */
            char *end;
            errno = 0;
            timeout = strtod (optarg, &end);
            if (end == optarg || *end || errno || !(timeout >= 0 && timeout <= 31536000))
                return s_bad ("--timeout: seconds from 0 to 31536000 (a year), not \"%s\"", optarg);
        } else if (c == 'T') {
            topic = optarg;
        } else if (c == 'f') {
            from = optarg;
        } else if (s_common (cli, c, "wait", &rc) < 0)
            return rc;
    }
    if (topic ? argc - optind != 0 : (argc - optind != 1 || from))
        return s_usage ("wait");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    cli->node = n;
    int64_t after = 0;
    char whole[33] = "";                  /* a unique prefix stands for its id */
    if ((topic && node_topic_newest (n, from, topic, &after) != 0) ||
        (!topic && node_resolve_id (n, argv[optind], whole) != 0)) {
        rc = s_refused (n);
        node_close (&n);
        return rc;
    }
    progress_t prog;
    node_progress_fn *fn = s_progress_fn (&prog, "receiving");
    wait_show_t ws;
    memset (&ws, 0, sizeof ws);
    ws.tty = isatty (STDERR_FILENO);
    ws.at = -1e9;
    store_dataset_t *d = malloc (sizeof *d);
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    rc = NODE_EXIT_TIMEOUT;
    char id[33] = "";
    if (!topic)
        snprintf (id, sizeof id, "%s", whole);
    for (; d;) {
        clock_gettime (CLOCK_MONOTONIC, &now);
        double waited = (double) (now.tv_sec - start.tv_sec) + (double) (now.tv_nsec - start.tv_nsec) / 1e9;
        cli->running = node_running (n);
        int r = S_WAIT_MORE;
        if (topic) {
            /* The next version: available, or the one arriving, whose progress is shown. */
            int next = node_topic_next (n, from, topic, after, d);
            if (next < 0)
                r = s_fail ("%s", node_error (n));
            else if (next == 2)
                r = NODE_EXIT_OK, snprintf (id, sizeof id, "%s", d->id);
            else if (next == 1)
                r = s_wait_once (cli, n, d->id, d, &ws, fn, &prog, waited);
            if (next == 1 && r == NODE_EXIT_OK)
                snprintf (id, sizeof id, "%s", d->id);
        } else {
            r = s_wait_once (cli, n, id, d, &ws, fn, &prog, waited);
        }
        if (r != S_WAIT_MORE) {
            rc = r;
            break;
        }
        if (timeout >= 0 && waited >= timeout) {
            show_printf (stderr, "%scdx: timed out after %.0f s waiting for %s%s\n", prog.shown || ws.shown ? "\n" : "",
                         timeout, topic ? "the next version of " : "", topic ? topic : id);
            prog.shown = ws.shown = 0;
            break;
        }
        usleep (100000);
    }
    if (ws.shown)
        fputc ('\n', stderr);
    s_progress_end (&prog);
    if (topic && rc == NODE_EXIT_OK)
        printf ("%s\n", id);
    free (d);
    node_close (&n);
    return rc;
}

typedef struct {
    cli_t *cli;
    node_t *n;
} sub_list_t;

/* A JSON string, or null for an absent (empty or NULL) one. */
static void s_json_or_null (const char *key, const char *v)
{
    printf (",\"%s\":", key);
    if (v && *v)
        show_json (stdout, v);
    else
        printf ("null");
}

static int s_print_sub (const store_sub_t *s, void *arg)
{
    sub_list_t *l = arg;
    char when[32], retry[32] = "", fix[512];
    s_utc (s->updated, when, sizeof when);
    const char *how = node_sub_fix (l->n, s, fix, sizeof fix);
    if (how)
        s_utc (s->updated + NODE_SUB_RETRY_REFUSED, retry, sizeof retry);
    if (l->cli->json) {
        static int first;
        printf ("%s{\"publisher\":\"%s\",\"subscriber\":\"%s\",\"topic\":", first++ ? "," : "", s->publisher,
                s->subscriber);
        show_json (stdout, s->topic);
        printf (",\"state\":\"%s\",\"from_version\":%" PRId64 ",\"updated\":\"%s\"", s->state, s->from_version,
                when);
        s_json_or_null ("rule", s->rule);
        s_json_or_null ("reason", s->reason);
        s_json_or_null ("fix", how);
        s_json_or_null ("retry", retry);
        printf ("}");
    } else {
        show_printf (stdout, "%-9s %-10s %-32s %-9s %s\n", s->publisher, s->subscriber, s->topic, s->state, when);
        if (how)
            show_printf (stdout, "          refused by %s: %s: %s\n          fix: %s\n"
                         "          asked again: by %s, or at once when cdx run connects to %s or an agreement changes\n",
                         s->publisher, s->rule, s->reason, how, retry, s->publisher);
    }
    return 0;
}

static int cmd_subscriptions (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "subscriptions", &rc) < 0)
            return rc;
    if ((rc = s_no_operands (argc, argv, "subscriptions")) != 0)
        return rc;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (cli->json)
        printf ("[");
    else
        printf ("%-9s %-10s %-32s %-9s %s\n", "PUBLISHER", "SUBSCRIBER", "TOPIC", "STATE", "UPDATED");
    sub_list_t l = {cli, n};
    if (store_sub_each (node_store (n), s_print_sub, &l) < 0)
        rc = s_fail ("%s", store_error (node_store (n)));
    if (cli->json)
        printf ("]\n");
    node_close (&n);
    return rc;
}

static int s_print_dataset (const store_dataset_t *d, void *arg)
{
    cli_t *cli = arg;
    /* A publisher's own dataset is as available as a received one. */
    const char *state = strcmp (d->state, "published") == 0 ? "available" : d->state;
    char when[32], hash[65];
    s_utc (d->created, when, sizeof when);
    cx_hex (d->hash, 32, hash);
    int own = cli->org && strcmp (d->publisher, cli->org) == 0;
    char keep[240] = "";
    int64_t erase_at = 0;
    if (cli->node && strcmp (d->state, "erased") != 0 && node_retention_of (cli->node, d, keep, sizeof keep, &erase_at) < 0)
        keep[0] = 0;
    if (cli->json) {
        static int first;
        printf ("%s{\"id\":\"%s\",\"topic\":", first++ ? "," : "", d->id);
        show_json (stdout, d->topic);
        printf (",\"version\":%" PRId64 ",\"publisher\":\"%s\",\"bytes\":%" PRId64
                ",\"class\":\"%s\",\"purpose\":\"%s\",\"state\":\"%s\",\"origin\":\"%s\",\"chunks\":%" PRId64
                ",\"chunks_held\":%" PRId64 ",\"blake2b\":\"%s\",\"filename\":",
                d->version, d->publisher, d->bytes, d->class_, d->purpose, state,
                own ? "published" : "received", d->chunks, d->next_chunk, hash);
        show_json_opt (stdout, d->filename);
        printf (",\"agreement\":");
        show_json_opt (stdout, d->agreement);
        /* The rule that will destroy its content, and when at the latest. */
        printf (",\"retention\":");
        if (keep[0]) {
            char at[32];
            s_utc (erase_at, at, sizeof at);
            show_json (stdout, keep);
            printf (",\"erase_by\":\"%s\"", at);
        } else {
            printf ("null,\"erase_by\":null");
        }
        char upd[32];
        s_utc (d->updated, upd, sizeof upd);
        printf (",\"erased\":");
        if (strcmp (d->state, "erased") == 0)
            printf ("\"%s\"", upd);
        else
            printf ("null");
        printf (",\"created\":\"%s\"}", when);
    } else {
        char until[48] = "";
        if (keep[0]) {
            char at[32];
            s_utc (erase_at, at, sizeof at);
            snprintf (until, sizeof until, "  (kept until %.10s at the latest)", at);
            if (erase_at - d->created >= NODE_KEEP_MAX)
                snprintf (until, sizeof until, "  (kept until delivered)");
        }
        show_printf (stdout, "%s  %-28s v%-3" PRId64 " %-6s %12" PRId64 "  %-13s %s%s\n", d->id, d->topic, d->version,
                     d->publisher, d->bytes, d->class_, state, until);
    }
    return 0;
}

static int cmd_datasets (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "datasets", &rc) < 0)
            return rc;
    if ((rc = s_no_operands (argc, argv, "datasets")) != 0)
        return rc;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    cli->node = n;
    cli->org = node_org (n);
    if (cli->json)
        printf ("[");
    else
        printf ("%-32s  %-28s %-4s %-6s %12s  %-13s %s\n", "ID", "TOPIC", "VER", "FROM", "BYTES", "CLASS", "STATE");
    if (store_dataset_each (node_store (n), s_print_dataset, cli) < 0)
        rc = s_fail ("%s", store_error (node_store (n)));
    if (cli->json)
        printf ("]\n");
    node_close (&n);
    return rc;
}

static int s_print_delivery (const store_delivery_t *d, void *arg)
{
    cli_t *cli = arg;
    char when[32];
    s_utc (d->updated, when, sizeof when);
    node_delivery_view_t v;
    if (node_delivery_view (cli->node, d, cli->running, &v) != 0)
        return s_fail ("%s", node_error (cli->node));
    if (cli->json) {
        static int first;
        printf ("%s{\"dataset\":\"%s\",\"topic\":", first++ ? "," : "", d->dataset);
        show_json (stdout, v.topic);
        printf (",\"version\":%" PRId64 ",\"subscriber\":\"%s\",\"state\":\"%s\",\"status\":", v.version,
                d->subscriber, d->state);
        show_json_opt (stdout, v.status);
        printf (",\"next_chunk\":%" PRId64 ",\"bytes_done\":%" PRId64 ",\"bytes\":%" PRId64
                ",\"session_bytes\":%" PRId64 ",\"rate\":%.0f,\"eta\":",
                d->next_chunk, v.done, v.bytes, v.session_bytes, v.rate);
        if (v.eta >= 0)
            printf ("%" PRId64, v.eta);
        else
            printf ("null");
        printf (",\"stalled\":");
        if (v.stalled >= 0 && strcmp (d->state, "sending") == 0)
            printf ("%" PRId64, v.stalled);
        else
            printf ("null");
        printf (",\"attempts\":%" PRId64 ",\"receipt\":%s,\"error\":", d->attempts, d->receipt_len ? "true" : "false");
        show_json_opt (stdout, d->error);
        printf (",\"updated\":\"%s\"}", when);
    } else {
        char progress[96] = "";
        if (strcmp (d->state, "sending") == 0) {
            progress[0] = ' ';
            progress[1] = ' ';
            s_delivery_progress (&v, progress + 2, sizeof progress - 2);
        }
        char what[160];
        snprintf (what, sizeof what, "%s v%" PRId64, v.topic, v.version);
        show_printf (stdout, "%s  %-28s %-10s %-10s %-8s %s%s\n", d->dataset, what, d->subscriber, d->state,
                d->receipt_len ? "signed" : "-", when, progress);
        /* Why it is not delivered yet, or never will be. */
        int pending = strcmp (d->state, "queued") == 0 || strcmp (d->state, "sending") == 0;
        if (strcmp (v.status, "sending") != 0 && strcmp (v.status, d->state) != 0)
            show_printf (stdout, "    %s\n", v.status);
        if (d->error[0])
            show_printf (stdout, "    %s %s\n", pending ? "will retry; last attempt:" : "why:", d->error);
    }
    return 0;
}

static int cmd_deliveries (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {0, 0, 0, 0}};
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
        if (s_common (cli, c, "deliveries", &rc) < 0)
            return rc;
    if ((rc = s_no_operands (argc, argv, "deliveries")) != 0)
        return rc;
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    cli->store = node_store (n);
    cli->node = n;
    cli->running = node_running (n);
    if (cli->json)
        printf ("[");
    else
        printf ("%-32s  %-28s %-10s %-10s %-8s %s\n", "DATASET", "TOPIC", "SUBSCRIBER", "STATE", "RECEIPT",
                "UPDATED");
    int each = node_deliveries_of (n, NULL, s_print_delivery, cli);
    if (each < 0)
        rc = s_fail ("%s", node_error (n));
    else if (each > 0)
        rc = each;
    if (cli->json)
        printf ("]\n");
    node_close (&n);
    return rc;
}

static int cmd_export (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"output", required_argument, 0, 'o'},
                                         {"topic", required_argument, 0, 't'},
                                         {"version", required_argument, 0, 'v'},
                                         {"from", required_argument, 0, 'f'},
                                         {"purpose", required_argument, 0, 'p'}, {0, 0, 0, 0}};
    const char *out = NULL, *topic = NULL, *from = NULL, *purpose = NULL;
    int64_t version = 0;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'p')
            purpose = optarg;
        else if (c == 't')
            topic = optarg;
        else if (c == 'f')
            from = optarg;
        else if (c == 'v') {
            if (s_number ("--version", optarg, 1, INT64_MAX, &version) != 0)
                return NODE_EXIT_USAGE;
        } else if (s_common (cli, c, "export", &rc) < 0)
            return rc;
    }
    if (!out || (topic ? argc - optind != 0 : argc - optind != 1) || (!topic && (version || from)))
        return s_usage ("export");
    node_t *n;
    node_claim_t claim = {"export", topic ? topic : argv[optind], from, purpose, NULL};
    if ((rc = s_open_claim (cli, &claim, &n)) != 0)
        return rc;
    char id[33];
    if (topic) {
        if (node_find (n, from, topic, version, id) != 0) {
            rc = s_refused (n);
            node_close (&n);
            return rc;
        }
    } else if (node_resolve_id (n, argv[optind], id) != 0) {
        rc = s_refused (n);
        node_close (&n);
        return rc;
    }
    progress_t prog;
    node_progress_fn *fn = s_progress_fn (&prog, "decrypting");
    if (node_export (n, id, out, purpose, fn, &prog) != 0) {
        s_progress_end (&prog);
        rc = s_refused (n);
    } else {
        s_progress_end (&prog);
        show_printf (stdout, "wrote %s (content hash verified)\n", out);
    }
    node_close (&n);
    return rc;
}

/* ---- cdx retention: how long received content is kept ------------------------ */

static int s_print_retention (const store_retention_t *r, void *arg)
{
    cli_t *cli = arg;
    char when[32];
    s_utc (r->updated, when, sizeof when);
    int own = cli->org && strcmp (r->publisher, cli->org) == 0;
    if (cli->json) {
        static int first;
        printf ("%s{\"publisher\":\"%s\",\"topic\":", first++ ? "," : "", r->publisher);
        show_json (stdout, r->topic);
        printf (",\"seconds\":%" PRId64 ",\"published\":%s,\"delivered\":%s,\"set_by\":", r->seconds,
                own ? "true" : "false", r->delivered ? "true" : "false");
        show_json_opt (stdout, r->set_by);
        printf (",\"updated\":\"%s\"}", when);
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

static int cmd_retention (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"from", required_argument, 0, 'f'},
                                         {"topic", required_argument, 0, 't'},
                                         {"published", no_argument, 0, 'P'},
                                         {"delivered", no_argument, 0, 'D'}, {0, 0, 0, 0}};
    const char *from = NULL, *topic = NULL;
    int published = 0, delivered = 0;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 't')
            topic = optarg;
        else if (c == 'P')
            published = 1;
        else if (c == 'D')
            delivered = 1;
        else if (s_common (cli, c, "retention", &rc) < 0)
            return rc;
    }
    int nargs = argc - optind;
    int is_set = nargs >= 1 && strcmp (argv[optind], "set") == 0;
    /* --delivered alone needs no period: the rule then keeps no longer than 100 years. */
    int set = is_set && (nargs == 2 || (nargs == 1 && delivered)) && (from != NULL) != published && topic;
    int list = nargs == 1 && strcmp (argv[optind], "list") == 0 && !from && !topic && !published && !delivered;
    int64_t seconds = NODE_KEEP_MAX;
    if (set && nargs == 2 && s_duration ("PERIOD", argv[optind + 1], NODE_KEEP_MAX, &seconds) != 0)
        return s_usage ("retention");
    if (set && delivered && !published)
        return s_bad ("--delivered: a rule for content this node publishes (with --published), not for data "
                      "received");
    if (!set && !list)
        return s_usage ("retention");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    cli->org = node_org (n);
    if (set && !published && strcmp (from, node_org (n)) == 0) {
        node_close (&n);
        return s_bad ("--from %s is this node: for the content it publishes, use --published", from);
    }
    if (set) {
        const char *publisher = published ? node_org (n) : from;
        store_retention_t r;
        memset (&r, 0, sizeof r);
        snprintf (r.publisher, sizeof r.publisher, "%s", publisher);
        snprintf (r.topic, sizeof r.topic, "%s", topic);
        r.seconds = seconds;
        r.delivered = delivered;
        char rule[360];
        if (node_retention_set (n, publisher, topic, seconds, delivered) != 0) {
            rc = s_refused (n);
        } else {
            node_retention_describe (n, &r, rule, sizeof rule);
            show_printf (stdout, "%s%s\n", rule, node_running (n) ? "" : " (by the running node: cdx run)");
        }
    } else {
        if (cli->json)
            printf ("[");
        else
            printf ("%-9s %-32s %12s  %-10s %-16s %s\n", "FROM", "TOPIC", "SECONDS", "RULE", "SET BY", "UPDATED");
        if (store_retention_each (node_store (n), s_print_retention, cli) < 0)
            rc = s_fail ("%s", store_error (node_store (n)));
        if (cli->json)
            printf ("]\n");
    }
    node_close (&n);
    return rc;
}

/* ---- cdx user: local users and their roles ----------------------------------- */

static int s_print_user (const store_user_t *u, void *arg)
{
    cli_t *cli = arg;
    char when[32];
    s_utc (u->updated, when, sizeof when);
    if (cli->json) {
        static int first;
        printf ("%s{\"login\":", first++ ? "," : "");
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

static int cmd_user (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS, {"role", required_argument, 0, 'r'}, {0, 0, 0, 0}};
    const char *role = NULL;
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            role = optarg;
        else if (s_common (cli, c, "user", &rc) < 0)
            return rc;
    }
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : "";
    unsigned roles = 0;
    if (role && node_roles_parse (role, &roles) != 0) {
        fprintf (stderr, "cdx user: --role takes admin, publisher, analyst, ig-officer (comma-separated)\n");
        return s_usage ("user");
    }
    int list = strcmp (verb, "list") == 0 && nargs == 1 && !role;
    int add = strcmp (verb, "add") == 0 && nargs == 2 && role;
    int remove = strcmp (verb, "remove") == 0 && nargs == 2;
    if (!list && !add && !remove)
        return s_usage ("user");
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (list) {
        /* Who may see what is itself for admins and the IG officer. */
        if (!node_authorize (n, NODE_ROLE_ADMIN | NODE_ROLE_IG, "user-list", "users")) {
            rc = s_refused (n);
        } else {
            if (cli->json)
                printf ("[");
            else
                printf ("%-20s %-36s %-20s %s\n", "LOGIN", "ROLES", "SET BY", "UPDATED");
            if (store_user_each (node_store (n), s_print_user, cli) < 0)
                rc = s_fail ("%s", store_error (node_store (n)));
            if (cli->json)
                printf ("]\n");
        }
    } else {
        const char *login = argv[optind + 1];
        if (node_user_set (n, login, add ? roles : 0, remove ? roles : 0, remove && !role) != 0) {
            rc = s_refused (n);
        } else {
            store_user_t u;
            if (store_user_get (node_store (n), login, &u) == 0)
                show_printf (stdout, "%s: %s\n", login, u.roles);
            else
                show_printf (stdout, "%s: removed\n", login);
        }
    }
    node_close (&n);
    return rc;
}

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
    FILE *out;               /* JSON entries go here instead of stdout (export) */
    const char *agreement;   /* --agreement REF */
    int wide;                /* every cell whole, dataset ids in full */
    int measure;             /* this pass only measures the columns */
    size_t cols;             /* the width to fit (SIZE_MAX: no limit) */
    size_t width[AUDIT_COLUMNS];
} audit_view_t;

/* DATE as YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS][Z], UTC. A bare date as
   --until means the end of that day. 0, or -1 if TEXT is not such a date. */
static int s_audit_date (const char *text, int end_of_day, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, s = 0, used = 0, len = (int) strlen (text);
    int timed = 0;
    if (sscanf (text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used == 10 && used == len) {
        timed = 0;
    } else if (sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) == 6 &&
               used == 19 && (used == len || (used + 1 == len && text[used] == 'Z'))) {
        timed = 1;
    } else if (sscanf (text, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5 &&
               used == 16 && (used == len || (used + 1 == len && text[used] == 'Z'))) {
        timed = 1;
    } else {
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || h < 0 ||
        mi < 0 || s < 0)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm (&tm);
    if (t == (time_t) -1 || tm.tm_mday != d || tm.tm_mon != mo - 1)   /* 31 April and such */
        return -1;
    *out = (int64_t) t + (!timed && end_of_day ? 86399 : 0);
    return 0;
}

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
    if (env && s_leading (env, &v, &rest) == 0 && !*rest && v > 0 && v < 100000)
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
    s_utc (e->at, r->time, sizeof r->time);
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
    s_utc (e->at, when, sizeof when);
    cx_hex (e->hash, sizeof e->hash, hash);
    if (v->csv) {
        char seq[24];
        snprintf (seq, sizeof seq, "%" PRId64, e->seq);
        const char *fields[] = {seq,         when,    e->actor, e->action, e->object, e->peer,
                                e->purpose,  e->decision, e->rule, e->detail, hash};
        size_t count = sizeof fields / sizeof fields[0];
        for (size_t i = 0; i < count; i++)
            s_csv_field (stdout, fields[i], i + 1 == count);
    } else if (v->cli->json || v->out) {
        FILE *f = v->out ? v->out : stdout;
        fprintf (f, "%s{\"seq\":%" PRId64 ",\"at\":\"%s\",\"actor\":", v->shown ? "," : "", e->seq, when);
        show_json (f, e->actor);
        const char *names[] = {"action", "object", "peer", "purpose", "decision", "rule", "detail"};
        const char *values[] = {e->action, e->object, e->peer, e->purpose, e->decision, e->rule, e->detail};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            fprintf (f, ",\"%s\":", names[i]);
            (v->out ? show_json : show_json_opt) (f, values[i]);  /* the export's format keeps "" */
        }
        fprintf (f, ",\"hash\":\"%s\"}", hash);
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
    if (store_audit_each (node_store (n), s_print_audit, v) < 0)
        return s_fail ("%s (cdx audit verify names the entry)", store_error (node_store (n)));
    if (v->shown == 0) {
        printf ("no entries\n");
        return 0;
    }
    s_audit_fit (v);
    v->measure = 0;
    v->shown = 0;
    s_audit_line (v, s_audit_heads);
    if (store_audit_each (node_store (n), s_print_audit, v) < 0)
        return s_fail ("%s (cdx audit verify names the entry)", store_error (node_store (n)));
    return 0;
}

/* cdx audit verify: exit 0 if the chain and every checkpoint hold, 4 at the
   first problem, which is named with its seq. */
static int s_audit_verify (cli_t *cli, int checkpoint)
{
    node_t *n;
    int rc;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    if (!node_authorize (n, NODE_ROLE_IG, "audit-verify", "audit log")) {
        rc = s_refused (n);
        node_close (&n);
        return rc;
    }
    node_audit_report_t r;
    if (node_audit_verify (n, checkpoint, &r) != 0) {
        rc = s_fail ("%s", node_error (n));
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
    return ok ? NODE_EXIT_OK : NODE_EXIT_REFUSED;
}

/* cdx audit export -o FILE: the whole log as JSON, signed (reconcile.c). */
static int s_audit_export (cli_t *cli, const char *path)
{
    node_t *n;
    int rc;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    char *body = NULL;
    size_t len = 0;
    node_outfile_t *out = NULL;
    FILE *mem = NULL;
    if (!node_authorize (n, NODE_ROLE_IG, "audit-export", "audit log")) {
        rc = s_refused (n);
        goto out;
    }
    mem = open_memstream (&body, &len);
    if (!mem) {
        rc = s_fail ("out of memory");
        goto out;
    }
    char when[32];
    s_utc ((int64_t) time (NULL), when, sizeof when);
    char key[65];
    node_sign_key_hex (n, key);
    fprintf (mem, "{\"format\":\"cdx-audit-export/1\",\"org\":\"%s\",\"sign_key\":\"%s\",\"exported\":\"%s\",\"entries\":[",
             node_org (n), key, when);
    audit_view_t v = {.cli = cli, .since = INT64_MIN, .until = INT64_MAX, .out = mem};
    if (store_audit_each (node_store (n), s_print_audit, &v) < 0) {
        rc = s_fail ("%s (cdx audit verify names the entry)", store_error (node_store (n)));
        goto out;
    }
    fputs ("]", mem);
    if (fclose (mem) != 0) {
        mem = NULL;
        rc = s_fail ("out of memory");
        goto out;
    }
    mem = NULL;
    char sig[129];
    if (node_audit_export_sign (n, body, len, sig) != 0) {
        rc = s_fail ("%s", node_error (n));
        goto out;
    }
    char tail[160], err[NODE_ERR_MAX];
    int tl = snprintf (tail, sizeof tail, ",\"signature\":\"%s\"}\n", sig);
    out = node_outfile_new (path, 0600, err, sizeof err);
    if (!out || node_outfile_write (out, body, len, err, sizeof err) != 0 ||
        node_outfile_write (out, tail, (size_t) tl, err, sizeof err) != 0 ||
        node_outfile_commit (out, err, sizeof err) != 0) {
        rc = s_fail ("%s", err);
        goto out;
    }
    char actor[160];
    node_actor (n, NODE_ROLE_IG, actor, sizeof actor);
    if (node_audit (n, actor, "audit-export", "audit log", "", "allow", "local.audit-export",
                    "%" PRId64 " entries exported, signed, to %s", v.shown, node_outfile_path (out)) != 0) {
        node_outfile_retract (out);
        rc = s_fail ("%s: the export was removed", node_error (n));
        goto out;
    }
    show_printf (stdout, "wrote %s: %" PRId64 " entries, signed by %s\n", path, v.shown, node_org (n));
    rc = NODE_EXIT_OK;
out:
    if (mem)
        fclose (mem);
    node_outfile_destroy (&out);
    free (body);
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
    FILE *f = fopen (path, "rb");
    if (!f)
        return s_fail ("cannot open %s: %s", path, strerror (errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= ((size_t) 512 << 20)) {
                fclose (f);
                free (text);
                return s_fail ("%s is larger than 512 MiB: not an audit export this cdx reads", path);
            }
            cap = cap ? cap * 2 : 65536;
            char *more = realloc (text, cap);
            if (!more) {
                fclose (f);
                free (text);
                return s_fail ("out of memory");
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
        return s_fail ("cannot read %s", path);
    }
    node_t *n;
    int rc;
    if ((rc = s_open (cli, &n)) != 0) {
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
        rc = s_refused (n);
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
        rc = sum.mismatches ? NODE_EXIT_MISMATCH : NODE_EXIT_OK;
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

static int cmd_audit (cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTS,
                                         {"since", required_argument, 0, 's'},
                                         {"until", required_argument, 0, 'u'},
                                         {"org", required_argument, 0, 'g'},
                                         {"dataset", required_argument, 0, 'd'},
                                         {"user", required_argument, 0, 'U'},
                                         {"action", required_argument, 0, 'a'},
                                         {"decision", required_argument, 0, 'D'},
                                         {"csv", no_argument, 0, 'c'},
                                         {"checkpoint", no_argument, 0, 'k'},
                                         {"output", required_argument, 0, 'o'},
                                         {"agreement", required_argument, 0, 'A'},
                                         {"wide", no_argument, 0, 'w'},
                                         {0, 0, 0, 0}};
    const char *output = NULL;
    audit_view_t v = {.cli = cli, .since = INT64_MIN, .until = INT64_MAX};
    int c, rc = 0, help = 0, filtered = 0, checkpoint = 0;
    while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's':
        case 'u':
            if (s_audit_date (optarg, c == 'u', c == 's' ? &v.since : &v.until) != 0) {
                show_printf (stderr, "cdx audit: --%s %s: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
                         c == 's' ? "since" : "until", optarg);
                return s_usage ("audit");
            }
            filtered = 1;
            break;
        case 'g': v.org = optarg; filtered = 1; break;
        case 'd': v.dataset = optarg; filtered = 1; break;
        case 'U': v.user = optarg; filtered = 1; break;
        case 'a': v.action = optarg; filtered = 1; break;
        case 'D':
            if (strcmp (optarg, "allow") != 0 && strcmp (optarg, "refuse") != 0) {
                fprintf (stderr, "cdx audit: --decision is allow or refuse\n");
                return s_usage ("audit");
            }
            v.decision = optarg;
            filtered = 1;
            break;
        case 'A':
            if (proto_ref_ok (optarg) != 0)
                return s_bad ("--agreement: %s", proto_error ());
            v.agreement = optarg;
            filtered = 1;
            break;
        case 'w': v.wide = 1; break;
        case 'c': v.csv = 1; break;
        case 'k': checkpoint = 1; break;
        case 'h': help = 1; break;
        default:
            if (s_common (cli, c, "audit", &rc) < 0)
                return rc;
        }
    }
    int verify = argc - optind == 1 && strcmp (argv[optind], "verify") == 0;
    int exporting = argc - optind == 1 && strcmp (argv[optind], "export") == 0;
    int reconcile = argc - optind >= 1 && strcmp (argv[optind], "reconcile") == 0;
    if (help) {
        if (verify || exporting || reconcile) {
            fputs (verify ? s_audit_verify_help : exporting ? s_audit_export_help : s_audit_reconcile_help, stdout);
            return NODE_EXIT_OK;
        }
        s_common (cli, 'h', "audit", &rc);
        return rc;
    }
    if (exporting || reconcile) {
        if (filtered || v.csv || checkpoint || (exporting && (!output || cli->json)) ||
            (reconcile && (output || argc - optind != 2))) {
            fprintf (stderr, "usage: cdx audit export -o FILE | cdx audit reconcile FILE [--json]\n");
            return NODE_EXIT_USAGE;
        }
        return exporting ? s_audit_export (cli, output) : s_audit_reconcile (cli, argv[optind + 1]);
    }
    if (output) {
        fprintf (stderr, "cdx audit: -o goes with export: cdx audit export -o FILE\n");
        return s_usage ("audit");
    }
    if (argc - optind != (verify ? 1 : 0))
        return s_usage ("audit");
    if (verify) {
        if (filtered || v.csv) {
            fprintf (stderr, "cdx audit verify: filters and --csv are for listing; verify reads the whole log\n");
            return s_usage ("audit");
        }
        return s_audit_verify (cli, checkpoint);
    }
    if (checkpoint) {
        fprintf (stderr, "cdx audit: --checkpoint goes with verify: cdx audit verify --checkpoint\n");
        return s_usage ("audit");
    }
    if (v.csv && cli->json) {
        fprintf (stderr, "cdx audit: choose one of --json and --csv\n");
        return s_usage ("audit");
    }
    if (v.wide && (v.csv || cli->json)) {
        fprintf (stderr, "cdx audit: --wide is for the table; --json and --csv are always whole\n");
        return s_usage ("audit");
    }
    node_t *n;
    if ((rc = s_open (cli, &n)) != 0)
        return rc;
    /* A refusal is audited; an allowed read is not written into the log it
       reads (two reads of an unchanged log must agree, and verifying must
       not change the evidence it checks). */
    if (!node_authorize (n, NODE_ROLE_IG, "audit-read", "audit log")) {
        rc = s_refused (n);
        node_close (&n);
        return rc;
    }
    if (v.csv)
        fputs (AUDIT_CSV_HEADER, stdout);
    else if (cli->json)
        printf ("[");
    if (!v.csv && !cli->json)
        rc = s_audit_table (n, &v);
    else if (store_audit_each (node_store (n), s_print_audit, &v) < 0)
        rc = s_fail ("%s (cdx audit verify names the entry)", store_error (node_store (n)));
    if (cli->json && !v.csv)
        printf ("]\n");
    node_close (&n);
    return rc;
}

/* ---- agreements ------------------------------------------------------------- */

/* A time for an agreement: YYYY-MM-DD (an end date covers that whole
   day), YYYY-MM-DDTHH:MM[:SS]Z, "now", or now+N / now-N with a unit s, m,
   h or d. 0, or -1 if TEXT is none of these. */
static int s_when (const char *text, int is_end, int64_t *out)
{
    if (strncmp (text, "now", 3) == 0) {
        int64_t t = (int64_t) time (NULL);
        if (text[3] == 0) {
            *out = t;
            return 0;
        }
        if (text[3] != '+' && text[3] != '-')
            return -1;
        int64_t v;
        const char *end;
        if (s_leading (text + 4, &v, &end) != 0)
            return -1;
        int64_t unit = strcmp (end, "s") == 0 ? 1 : strcmp (end, "m") == 0 ? 60 : strcmp (end, "h") == 0 ? 3600
                       : strcmp (end, "d") == 0 ? 86400 : 0;
        if (!unit || v > 36500LL * 86400 / unit)
            return -1;
        *out = t + (text[3] == '+' ? 1 : -1) * v * unit;
        return 0;
    }
    if (s_audit_date (text, is_end, out) != 0)
        return -1;
    if (is_end && strlen (text) == 10)
        *out += 1;                                    /* exclusive: the next midnight */
    return 0;
}

static void s_print_agreement_json (const store_agreement_t *s, const proto_agreement_t *a, int64_t now)
{
    static const uint8_t zero[64];
    char start[32], end[32], hash[65];
    s_utc (a->start, start, sizeof start);
    s_utc (a->end, end, sizeof end);
    cx_hex (s->hash, 32, hash);
    printf ("{\"ref\":");
    show_json (stdout, a->ref);
    printf (",\"state\":\"%s\",\"provider\":\"%s\",\"provider_ig\":", node_agreement_state (s, now), a->provider);
    show_json (stdout, a->provider_ig);
    printf (",\"recipient\":\"%s\",\"recipient_ig\":", a->recipient);
    show_json (stdout, a->recipient_ig);
    printf (",\"controller\":\"%s\",\"controller_ig\":", a->controller[0] ? a->controller : a->provider);
    show_json_opt (stdout, a->controller_ig);
    printf (",\"topics\":");
    show_json (stdout, a->topics);
    printf (",\"class\":\"%s\",\"purposes\":", a->class_);
    show_json (stdout, a->purposes);
    printf (",\"art6\":");
    show_json (stdout, a->art6);
    printf (",\"art9\":");
    show_json_opt (stdout, a->art9);
    printf (",\"duty\":");
    show_json_opt (stdout, a->duty);
    printf (",\"opt_out_required\":%s,\"start\":\"%s\",\"end\":\"%s\",\"retention_days\":%u,\"onward\":%s,"
            "\"conditions\":",
            a->opt_out ? "true" : "false", start, end, a->retention_days, a->onward ? "true" : "false");
    show_json_opt (stdout, a->conditions);
    printf (",\"signed_by_provider\":%s,\"signed_by_recipient\":%s,\"revoked_by\":",
            memcmp (s->sig_provider, zero, 64) ? "true" : "false", memcmp (s->sig_recipient, zero, 64) ? "true" : "false");
    show_json_opt (stdout, s->revoked_by);
    printf (",\"revoke_reason\":");
    show_json_opt (stdout, s->reason);
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
    s_utc (a->start, start, sizeof start);
    s_utc (a->end, end, sizeof end);
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
            s_utc (s->revoked, when, sizeof when);
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

static int s_write_agreement (node_t *n, const char *ref, const char *path)
{
    uint8_t buf[8192];
    size_t len;
    if (node_agreement_export (n, ref, buf, sizeof buf, &len) != 0)
        return s_fail ("%s", node_error (n));
    return s_write_out (path, (const char *) buf, len) == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL;
}

static int cmd_agreement (cli_t *cli, int argc, char **argv)
{
    enum { O_REF = 256, O_PROVIDER, O_PROVIDER_IG, O_RECIPIENT, O_RECIPIENT_IG, O_CONTROLLER, O_CONTROLLER_IG,
           O_TOPICS, O_CLASS, O_PURPOSES, O_ART6, O_ART9, O_DUTY, O_OPTOUT, O_START, O_END, O_RETENTION,
           O_ONWARD, O_CONDITIONS, O_REASON, O_OUT };
    static const struct option opts[] = {
        COMMON_OPTS, {"ref", required_argument, 0, O_REF}, {"provider", required_argument, 0, O_PROVIDER},
        {"provider-ig", required_argument, 0, O_PROVIDER_IG}, {"recipient", required_argument, 0, O_RECIPIENT},
        {"recipient-ig", required_argument, 0, O_RECIPIENT_IG}, {"controller", required_argument, 0, O_CONTROLLER},
        {"controller-ig", required_argument, 0, O_CONTROLLER_IG}, {"topics", required_argument, 0, O_TOPICS},
        {"class", required_argument, 0, O_CLASS}, {"purposes", required_argument, 0, O_PURPOSES},
        {"art6", required_argument, 0, O_ART6}, {"art9", required_argument, 0, O_ART9},
        {"duty", required_argument, 0, O_DUTY}, {"opt-out", required_argument, 0, O_OPTOUT},
        {"start", required_argument, 0, O_START}, {"end", required_argument, 0, O_END},
        {"retention", required_argument, 0, O_RETENTION}, {"onward", required_argument, 0, O_ONWARD},
        {"conditions", required_argument, 0, O_CONDITIONS}, {"reason", required_argument, 0, O_REASON},
        {"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    node_agreement_t a;
    memset (&a, 0, sizeof a);
    const char *start = "now", *end = NULL, *reason = NULL, *out = NULL, *opt_out = NULL, *onward = "no";
    a.retention_days = 365;                       /* the default when --retention is not given */
    int c, rc = 0;
    while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_REF: a.ref = optarg; break;
        case O_PROVIDER: a.provider = optarg; break;
        case O_PROVIDER_IG: a.provider_ig = optarg; break;
        case O_RECIPIENT: a.recipient = optarg; break;
        case O_RECIPIENT_IG: a.recipient_ig = optarg; break;
        case O_CONTROLLER: a.controller = optarg; break;
        case O_CONTROLLER_IG: a.controller_ig = optarg; break;
        case O_TOPICS: a.topics = optarg; break;
        case O_CLASS: a.class_ = optarg; break;
        case O_PURPOSES: a.purposes = optarg; break;
        case O_ART6: a.art6 = optarg; break;
        case O_ART9: a.art9 = optarg; break;
        case O_DUTY: a.duty = optarg; break;
        case O_OPTOUT: opt_out = optarg; break;
        case O_START: start = optarg; break;
        case O_END: end = optarg; break;
        case O_RETENTION: {
            int64_t days;
            if (s_number ("--retention", optarg, 1, NODE_AGREEMENT_RETENTION_MAX, &days) != 0)
                return NODE_EXIT_USAGE;
            a.retention_days = (int) days;
            break;
        }
        case O_ONWARD: onward = optarg; break;
        case O_CONDITIONS: a.conditions = optarg; break;
        case O_REASON: reason = optarg; break;
        case 'o': out = optarg; break;
        default: if (s_common (cli, c, "agreement", &rc) < 0) return rc;
        }
    }
    if (optind >= argc)
        return s_usage ("agreement");
    const char *verb = argv[optind];
    int args = argc - optind - 1;
    char *arg = args > 0 ? argv[optind + 1] : NULL;
    node_t *n;
    if (strcmp (verb, "propose") == 0) {
        if (args != 0)
            return s_usage ("agreement");
        if (!end) {
            fprintf (stderr, "cdx agreement propose: --end is required (the date the agreement ends)\n");
            return NODE_EXIT_USAGE;
        }
        if (s_when (start, 0, &a.start) != 0 || s_when (end, 1, &a.end) != 0) {
            fprintf (stderr, "cdx agreement propose: --start and --end take YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, now, "
                             "now+N or now-N with s, m, h or d\n");
            return NODE_EXIT_USAGE;
        }
        if (!opt_out || (strcmp (opt_out, "required") != 0 && strcmp (opt_out, "not-required") != 0)) {
            fprintf (stderr, "cdx agreement propose: --opt-out required|not-required is required (must National "
                             "Data Opt-outs have been applied?)\n");
            return NODE_EXIT_USAGE;
        }
        if (strcmp (onward, "yes") != 0 && strcmp (onward, "no") != 0) {
            fprintf (stderr, "cdx agreement propose: --onward takes yes or no\n");
            return NODE_EXIT_USAGE;
        }
        a.opt_out = strcmp (opt_out, "required") == 0;
        a.onward = strcmp (onward, "yes") == 0;
        if ((rc = s_open (cli, &n)) != 0)
            return rc;
        if (!a.provider)
            a.provider = node_org (n);
        if (node_agreement_propose (n, &a) != 0)
            rc = s_refused (n);
        else if (out)
            rc = s_write_agreement (n, a.ref, out);
        if (rc == 0 && !cli->json && (!out || strcmp (out, "-") != 0))
            show_printf (stdout, "proposed agreement %s, signed by %s; in force once %s signs it\n", a.ref, node_org (n),
                    strcmp (a.provider, node_org (n)) == 0 ? a.recipient : a.provider);
        node_close (&n);
        return rc;
    }
    if (strcmp (verb, "sign") == 0) {
        if (args != 1)
            return s_usage ("agreement");
        if ((rc = s_open (cli, &n)) != 0)
            return rc;
        char ref[PROTO_REF_MAX + 1] = "";
        FILE *f = fopen (arg, "rb");
        if (!f && strlen (arg) > PROTO_REF_MAX) {
            node_close (&n);
            return s_bad ("%s: neither a file nor an agreement reference (at most %u characters)", arg,
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
                rc = toolong ? s_fail ("%s is too large to be an agreement", arg) : NODE_EXIT_REFUSED;
        } else if (node_agreement_sign (n, ref) != 0) {
            rc = node_invalid (n) ? NODE_EXIT_USAGE : NODE_EXIT_REFUSED;
        }
        if (rc == NODE_EXIT_REFUSED || rc == NODE_EXIT_USAGE)
            show_printf (stderr, "cdx: %s\n", node_error (n));
        if (rc == 0 && out)
            rc = s_write_agreement (n, ref, out);
        if (rc == 0 && !cli->json) {
            store_agreement_t *s = malloc (sizeof *s);
            if (s && store_agreement_get (node_store (n), ref, s) == 0)
                show_printf (stdout, "signed agreement %s: %s\n", ref, node_agreement_state (s, (int64_t) time (NULL)));
            free (s);
        }
        node_close (&n);
        return rc;
    }
    if (strcmp (verb, "revoke") == 0) {
        if (args != 1)
            return s_usage ("agreement");
        if ((rc = s_open (cli, &n)) != 0)
            return rc;
        if (node_agreement_revoke (n, arg, reason) != 0)
            rc = s_refused (n);
        else if (!cli->json)
            show_printf (stdout, "revoked agreement %s here; the other party is told by the running node\n", arg);
        node_close (&n);
        return rc;
    }
    if (strcmp (verb, "list") == 0 || strcmp (verb, "show") == 0) {
        int show = verb[0] == 's';
        if (args != show)
            return s_usage ("agreement");
        if ((rc = s_open (cli, &n)) != 0)
            return rc;
        agreement_view_t v = {cli, show ? arg : NULL, 0};
        if (cli->json && !show)
            printf ("[");
        else if (!show)
            printf ("%-24s %-9s %-14s %-13s %-20s %s\n", "REF", "STATE", "PARTIES", "CLASS UP TO", "TOPICS", "IN FORCE");
        if (store_agreement_each (node_store (n), s_print_agreement, &v) < 0)
            rc = s_fail ("%s", store_error (node_store (n)));
        if (cli->json && !show)
            printf ("]");
        if (cli->json && (!show || v.count))
            printf ("\n");
        if (show && !v.count && rc == 0)
            rc = s_fail ("no agreement %s here (cdx agreement list)", arg);
        node_close (&n);
        return rc;
    }
    return s_usage ("agreement");
}

static const command_t s_commands[] = {
    {"init", cmd_init, "init --org CODE --role csu|ccg --name NAME --endpoint tcp://HOST:PORT",
     "Create a node: its keys (0600 files) and its store, in --home.",
     "  --org CODE        the organisation's ODS code, e.g. 0DF (a CSU) or 04V (a CCG)\n"
     "  --role ROLE       csu or ccg\n"
     "  --name NAME       display name, e.g. \"NHS Arden and GEM CSU\"\n"
     "  --endpoint URL    where peers reach this node, tcp://HOST:PORT\n"
     "Refuses to overwrite an existing node.\n"
     "Example: cdx init --home /srv/cdx --org 0DF --role csu --name \"Example CSU\" --endpoint tcp://10.0.0.5:7101\n"},
    {"card", cmd_card, "card", "Print this node's signed identity card.",
     "The card names the node and carries its public keys, signed by the node.\n"
     "Give it to each peer (cdx peer add on their side), and check its fingerprint with them by phone.\n"},
    {"peer", cmd_peer, "peer add FILE", "Verify another node's card (pinning) or certificate and trust it.",
     "  FILE   a card printed by cdx card on the other node, or its certificate from the authority\n"
     "         (- for stdin)\n"
     "A card's self-signature is verified and the peer is pinned by hand (recorded as trust.pinned);\n"
     "a certificate is verified with the trusted authority's key (cdx trust) and the peer is\n"
     "certified. The peer may then connect (CURVE + ZAP) and exchange data.\n"
     "Exit code 4 if the card or certificate is altered, malformed, expired or revoked, or if a card\n"
     "claims an organisation the authority certified with other keys (trust.wrong-key).\n"},
    {"peers", cmd_peers, "peers [--json]", "List the peers this node trusts.",
     "One line per peer: org, role, name, endpoint, signing-key fingerprint, how it is trusted\n"
     "(pinned by hand, or certified by the authority), its DSPT status and year, and when its\n"
     "certificate ends (EXPIRED or REVOKED when it is barred), and whether the running node is\n"
     "connected to it now or when it last saw it (connected, lost the connection, or was seen\n"
     "connected: refreshed every minute); \"?\" when no node runs on this home to know.\n"
     "  --json   a JSON array: org, role, name, endpoint, fingerprint, trust, added, dspt,\n"
     "           dspt_year, not_after, revoked, status, connected (true, false, or null when no\n"
     "           node runs), last_seen (UTC, or null if never)\n"},
    {"trust", cmd_trust, "trust --authority FILE",
     "Trust a national authority (its authority.pub file).",
     "The authority's signed directory then certifies peers (cdx directory import). A node trusts\n"
     "one authority; check the file's key fingerprint with the authority by another channel.\n"
     "Exit code 4 if the file is altered or another authority is already trusted.\n"},
    {"directory", cmd_directory, "directory import FILE | directory [show] [--json]",
     "Import the authority's signed directory, or show the one held.",
     "import FILE   verify FILE with the trusted authority's key and apply it: its certified nodes\n"
     "              become peers (trust certified, DSPT and expiry filled), revoked keys are barred\n"
     "              (sessions closed, deliveries to them held). Refused (exit code 4, audited) if\n"
     "              forged or altered (trust.directory-forged), not newer than the one held\n"
     "              (trust.directory-old), or expired for more than 7 days\n"
     "              (trust.directory-expired).\n"
     "show          the serial and expiry of the directory held.\n"},
    {"keys", cmd_keys, "keys rotate", "Replace this node's keys (the node must be stopped).",
     "New signing, box and CURVE keys and a new signed card (printed). The old keys are kept in\n"
     "HOME/keys/old: datasets received or queued before stay readable, transfers in progress\n"
     "resume, and older audit checkpoints still verify. Peers learn the new keys from the\n"
     "authority's next directory once it certifies the new card (or by pinning the new card).\n"},
    {"authority", cmd_authority,
     "authority init --name NAME | certify CARD --dspt STATUS --dspt-year YYYY/YY [--days N] [-o FILE]\n"
     "                 | revoke (--org CODE | --key FINGERPRINT) [--reason TEXT] | directory [--days N] -o FILE",
     "Run the national authority: certify nodes, revoke keys, sign the directory.",
     "Every authority command needs --home DIR (the authority's home, not a node's), or\n"
     "CDX_AUTHORITY_HOME.\n"
     "init --name NAME        create the authority's Ed25519 key (0600) and DIR/authority.pub, the file\n"
     "                        every node trusts (cdx trust --authority)\n"
     "certify CARD            issue a certificate for a node's card (its self-signature verified):\n"
     "  --dspt STATUS         standards-exceeded | standards-met | approaching-standards |\n"
     "                        standards-not-met\n"
     "  --dspt-year YYYY/YY   the DSPT assessment year, e.g. 2025/26\n"
     "  --days N              valid for N days from now (default 365); or --not-before and\n"
     "                        --not-after YYYY-MM-DDTHH:MM:SSZ\n"
     "  -o, --output FILE     write it there (default: stdout)\n"
     "                        A card whose key is certified for another organisation, or revoked, is\n"
     "                        refused (exit code 4).\n"
     "revoke --org CODE       revoke every certified key of an organisation, or --key FINGERPRINT one\n"
     "  --reason TEXT         recorded in DIR/authority.log\n"
     "directory -o FILE       sign a directory of every current certificate and every revocation, with\n"
     "                        the next serial; it expires in --days N (default 7) or at --expires TIME\n"},
    {"user", cmd_user,
     "user add LOGIN --role ROLE[,ROLE]\n       cdx user remove LOGIN [--role ROLE[,ROLE]]\n"
     "       cdx user list [--json]",
     "Manage local users (operating-system logins) and their roles.",
     "Roles:\n"
     "  admin        peers, users and subscriptions (changes to what this node trusts)\n"
     "  publisher    cdx publish\n"
     "  analyst      cdx export, with --purpose the dataset was published for\n"
     "  ig-officer   cdx audit (review, verify, export, reconcile) and cdx retention\n"
     "cdx init makes the account that ran it admin and nothing else: data roles are granted\n"
     "explicitly, and every grant, removal and refusal is in the audit log.\n"
     "  add LOGIN --role R      give LOGIN the roles R (adds to those it holds)\n"
     "  remove LOGIN            remove LOGIN and all its roles\n"
     "  remove LOGIN --role R   take the roles R away\n"
     "  list [--json]           the users and their roles (admin or ig-officer)\n"
     "add and remove need admin; the last admin cannot be removed.\n"
     "CDX_USER=LOGIN in the environment makes a command act as LOGIN (for tests and demos);\n"
     "it is honoured only when the real account is an admin of the node, else refused (exit 4).\n"
     "Exit code 4 when refused for want of a role.\n"},
    {"run", cmd_run, "run [--bind ENDPOINT]", "Run the node in the foreground until SIGTERM, SIGINT or SIGHUP.",
     "Listens on the node's endpoint, admits only added peers, sends queued datasets, receives\n"
     "and verifies incoming ones. Logs to stderr. Commands run meanwhile (publish, subscribe,\n"
     "peer add) take effect at once, so there is nothing to reload: SIGHUP stops the node like\n"
     "SIGTERM and SIGINT, cleanly (transfers made durable, a stop entry naming the signal and a\n"
     "signed audit checkpoint written), and a service manager restarts it if it should run on.\n"
     "  --bind ENDPOINT   listen here instead of the card's endpoint (behind a proxy or NAT)\n"},
    {"publish", cmd_publish, "publish --topic TOPIC --class CLASS --purpose PURPOSE FILE",
     "Seal, sign and store a new version of a dataset; queue it for every subscriber.",
     "  --topic TOPIC      e.g. sus/apc/monthly (letters, digits, . _ / -)\n"
     "  --class CLASS      aggregate | pseudonymised | identifiable\n"
     "  --purpose PURPOSE  commissioning | invoice-validation | risk-stratification\n"
     "  --supersedes       this version replaces older ones: subscribers that have not started\n"
     "                     receiving an older version get only this one\n"
     "  --correction       this version corrects an earlier one (recorded with it)\n"
     "  --retention TIME   keep trying to deliver for TIME: days, or 36h, 90m, 30s (default 14\n"
     "                     days, at most 3650); then undelivered copies expire and are reported\n"
     "  --legal-basis TEXT the legal basis (Article 6, Article 9, common-law duty); required for\n"
     "                     identifiable data\n"
     "  --opt-out STATUS   National Data Opt-outs: yes (applied) | statutory-exemption |\n"
     "                     not-identifiable (the default, refused for identifiable data)\n"
     "  --agreement REF    onward sharing: the data was received under agreement REF, which must\n"
     "                     allow it\n"
     "Each delivery needs a signed agreement in force with the subscriber covering the topic,\n"
     "class and purpose (cdx agreement); the policy decides at send time (docs/IG-RULES.md).\n"
     "Prints the dataset id. Works whether or not cdx run is running. Each publish to a topic\n"
     "makes its next version. Exit code 4 if a rule refuses it (role.missing, policy.legal-basis,\n"
     "policy.opt-out, policy.onward: audited with the file and the purpose claimed); 2 if a value\n"
     "is not in its vocabulary (--class, --purpose, --opt-out).\n"},
    {"subscribe", cmd_subscribe, "subscribe --from ORG --topic TOPIC [--history VERSION]",
     "Ask a publisher for a topic.",
     "  --from ORG          the publisher's ODS code (an added peer)\n"
     "  --topic TOPIC       the topic to receive\n"
     "  --history VERSION   also receive every version from VERSION (1 or more) on (default: the\n"
     "                      latest only)\n"},
    {"unsubscribe", cmd_unsubscribe, "unsubscribe (--from PUBLISHER | --subscriber ORG) --topic TOPIC",
     "End a subscription.",
     "  --from PUBLISHER   as subscriber: stop receiving TOPIC from PUBLISHER (the node tells it)\n"
     "  --subscriber ORG   as publisher: stop sending TOPIC to ORG\n"
     "Deliveries of TOPIC that have not completed are cancelled at the publisher.\n"},
    {"wait", cmd_wait, "wait (ID | --topic TOPIC [--from ORG]) [--timeout SECONDS]",
     "Wait until a dataset is available here (subscriber) or delivered to every subscriber (publisher).",
     "ID is a dataset id, or the first 4 or more digits of one held here (unique).\n"
     "Subscriber: shows bytes, rate and ETA on a terminal. Publisher: shows, for each\n"
     "subscriber, its bytes, rate and ETA, or why it waits (offline, waiting for earlier\n"
     "versions, retrying, refused: RULE; as in cdx deliveries), on stderr: redrawn on a\n"
     "terminal, otherwise a line when that changes and every 5 s while a transfer moves.\n"
     "Rates count only what moved while waiting (or in the attempt under way).\n"
     "  --topic TOPIC       wait for the next version of TOPIC (after the newest held now) to\n"
     "                      be available, and print its id: ID=$(cdx wait --topic T)\n"
     "  --from ORG          with --topic: from this publisher only\n"
     "  --timeout SECONDS   give up after this long (exit code 5), fractions allowed, at most a\n"
     "                      year; default: wait for ever\n"
     "Exit code 0 when done, 1 if the dataset or a delivery failed or expired.\n"},
    {"retention", cmd_retention,
     "retention set --from ORG --topic TOPIC PERIOD\n"
     "       cdx retention set --published --topic TOPIC (PERIOD | --delivered [PERIOD])\n"
     "       cdx retention list [--json]",
     "Set how long the content of datasets, received or published here, is kept.",
     "  set --from ORG --topic TOPIC PERIOD\n"
     "        content of TOPIC received from ORG is destroyed PERIOD after it began to arrive:\n"
     "        DAYS, or a number with s, m, h or d (90d, 36h, 30s), at most 36500 days.\n"
     "        ORG is an ODS code, TOPIC a topic (A-Za-z0-9._/-). Applies to what is held\n"
     "        already. Needs the ig-officer role.\n"
     "  set --published --topic TOPIC PERIOD\n"
     "        the sealed copy of each version of TOPIC this node published is destroyed PERIOD\n"
     "        after publication; deliveries not completed by then expire (one under way\n"
     "        finishes first)\n"
     "  set --published --topic TOPIC --delivered [PERIOD]\n"
     "        ... destroyed as soon as every delivery of the version has ended (delivered,\n"
     "        expired, superseded, cancelled or failed) and a newer version exists; PERIOD,\n"
     "        if given, is the longest it is kept. A subscriber asking for history later gets\n"
     "        the versions still held.\n"
     "  list [--json]   the rules set (JSON: publisher, topic, seconds, published, delivered,\n"
     "                  set_by, updated)\n"
     "The running node (cdx run) destroys the content (the sealed file and this node's wrapped\n"
     "content key) and keeps the metadata with state erased (cdx datasets); each erasure is\n"
     "audited (action erase, rule retention.expired or retention.delivered). Without a rule,\n"
     "content is kept.\n"},
    {"subscriptions", cmd_subscriptions, "subscriptions [--json]",
     "List subscriptions, as subscriber and as publisher.",
     "States: requested (asked for, no answer yet: sent again every 15 s while the publisher is\n"
     "connected), active, refused (the publisher answered DENIED: its rule and reason are shown with\n"
     "the command that fixes it, e.g. cdx agreement propose ...; it is asked for again 5 minutes after\n"
     "the refusal, and at once when cdx run connects to the publisher or an agreement changes),\n"
     "ending, ended.\n"
     "  --json   a JSON array of {publisher, subscriber, topic, state, from_version, updated, rule,\n"
     "           reason, fix, retry}: rule, reason, fix and retry (UTC) are null unless refused\n"},
    {"datasets", cmd_datasets, "datasets [--json]", "List the datasets this node holds.",
     "One line per dataset: id, topic, version, publisher, bytes, class, state.\n"
     "state is available once a received dataset is complete and verified (and for what this\n"
     "node published), erased once its retention has ended (content destroyed, metadata kept:\n"
     "cdx retention); a retention rule that applies is shown after the state.\n"
     "  --json   a JSON array of objects: id, topic, version, publisher, bytes, class, purpose,\n"
     "           state, origin (published | received), chunks, chunks_held, blake2b, filename,\n"
     "           agreement (the agreement it was received under), retention (the rule that\n"
     "           destroys its content, or null), erase_by (when at the latest, or null), erased\n"
     "           (when it was, or null), created\n"},
    {"deliveries", cmd_deliveries, "deliveries [--json]",
     "List deliveries to subscribers: queued, sending, delivered (with a signed receipt), failed, expired.",
     "Oldest first. Queued: why it waits, as the running node knows it: offline (the subscriber\n"
     "is not connected), waiting for earlier versions (one transfer per subscriber, in order),\n"
     "retrying (after the last attempt's error, e.g. the subscriber's disk is full, with\n"
     "back-off), held (the subscriber is barred), node not running. Sending: MiB acknowledged,\n"
     "the rate of this attempt alone (bytes a resumed transfer already had are not counted) and\n"
     "the ETA at that rate, or \"stalled\" when nothing moved for 5 s. Delivered: with the\n"
     "subscriber's signed receipt. Failed (\"refused: RULE\" for a policy refusal), expired,\n"
     "superseded, cancelled: why.\n\n"
     "  --json   a JSON array: dataset, topic, version, subscriber, state, status (the words\n"
     "           above), next_chunk, bytes_done, bytes, session_bytes (this attempt), rate\n"
     "           (bytes/s, this attempt), eta (seconds, or null), stalled (seconds since it\n"
     "           last moved while sending, or null), attempts, receipt, error, updated\n"},
    {"export", cmd_export, "export (ID | --topic TOPIC [--version N] [--from ORG]) --purpose PURPOSE -o FILE",
     "Decrypt a dataset this node holds into FILE.",
     "  ID                  a dataset id from cdx datasets, or its first 4 or more digits if no\n"
     "                      other dataset's id starts with them\n"
     "  --topic TOPIC       or: the newest version of TOPIC (--version N for another)\n"
     "  --from ORG          the publisher, where several publish the same topic\n"
     "  -o, --output FILE   where to write the plaintext (must not exist; mode 0600)\n"
     "  --purpose PURPOSE   required: what the data is used for; it must be the purpose the\n"
     "                      dataset was published for (commissioning, invoice-validation,\n"
     "                      risk-stratification)\n"
     "Needs the analyst role (cdx user add LOGIN --role analyst, run by an admin).\n"
     "The content is verified against the publisher's signed hash; the export is audited,\n"
     "allowed or refused, with the dataset and the purpose claimed. Exit code 4 if refused (role,\n"
     "purpose, agreement); 2 if --purpose is missing or not one of the purposes.\n"},
    {"agreement", cmd_agreement,
     "agreement propose --ref REF --recipient ORG ... [-o FILE] | sign (REF | FILE) [-o FILE]\n"
     "                 | list [--json] | show REF [--json] | revoke REF [--reason TEXT]",
     "Data sharing agreements: propose, sign, list, show, revoke.",
     "Nothing is sent or accepted without a signed agreement in force between the two organisations\n"
     "covering the topic, class and purpose (deny by default). An agreement is in force from --start\n"
     "to --end once both parties' nodes have signed it; either party may revoke it, which takes effect\n"
     "at both ends. Running nodes exchange agreements and revocations themselves; -o FILE and\n"
     "sign FILE carry one by hand instead.\n"
     "propose:\n"
     "  --ref REF             reference id, e.g. DSA-0DF-04V-2026-01: 1 to 64 of A-Za-z0-9._/-\n"
     "  --provider ORG        the organisation sending the data (default: this node)\n"
     "  --recipient ORG       the organisation receiving it (one of the two is this node)\n"
     "  --provider-ig TEXT    the provider's IG lead;  --recipient-ig TEXT  the recipient's\n"
     "  --controller ORG      the data controller where it is not the provider; --controller-ig TEXT\n"
     "  --topics LIST         comma-separated topics covered; a trailing * matches any rest\n"
     "  --class CLASS         the highest class allowed: aggregate < pseudonymised < identifiable\n"
     "  --purposes LIST       comma-separated: commissioning, invoice-validation, risk-stratification\n"
     "  --art6 TEXT           UK GDPR Article 6 basis, e.g. \"6(1)(e) public task\"\n"
     "  --art9 TEXT           Article 9 condition (required unless aggregate), e.g. \"9(2)(h)\"\n"
     "  --duty TEXT           common-law duty of confidentiality basis (required for identifiable),\n"
     "                        e.g. \"s251 CAG 7-07(a)/2013\"\n"
     "  --opt-out required|not-required   must National Data Opt-outs have been applied\n"
     "  --start WHEN --end WHEN   YYYY-MM-DD (an end date covers that day), YYYY-MM-DDTHH:MM:SSZ, now,\n"
     "                        now+N or now-N with s, m, h or d (start default: now)\n"
     "  --retention DAYS      retention at the recipient, 1 to 36500 days (default 365)\n"
     "  --onward yes|no       may the recipient share the data onward (default no)\n"
     "  --conditions TEXT     special conditions\n"
     "  -o, --output FILE     also write the signed agreement to FILE (- for stdout)\n"
     "States: proposed (a signature missing), pending (not started), in-force, expired, revoked.\n"
     "Exit code 4 if an agreement's signature does not verify or this node is not a party.\n"},
    {"audit", cmd_audit,
     "audit [--since DATE] [--until DATE] [--org ORG] [--dataset TEXT] [--user USER] [--action ACTION]\n"
     "                 [--decision allow|refuse] [--agreement REF] [--wide | --json | --csv]\n"
     "       cdx audit verify [--checkpoint] [--json]\n"
     "       cdx audit export -o FILE\n"
     "       cdx audit reconcile FILE [--json]",
     "Review the audit log, or verify that it is whole.",
     "Every publish, send, receive, refusal and export: seq, UTC time, decision, action, actor\n"
     "(local user, or peer org and key fingerprint), peer, object (a dataset as its id, topic and\n"
     "version), the rule that decided, and the detail: the purpose claimed and the reason.\n"
     "A table under a header row, each column as wide as its widest cell, fitted to the terminal\n"
     "($COLUMNS, else the terminal's width): long cells are cut with an ellipsis and dataset ids\n"
     "shortened to 8 digits (cdx takes a unique prefix of an id). Not on a terminal, or with\n"
     "--wide, every cell is whole. \"no entries\" when nothing matches.\n"
     "Filters combine (all must match):\n"
     "  --since DATE        entries at or after DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC\n"
     "  --until DATE        entries at or before DATE (a bare date: up to the end of that day)\n"
     "  --org ORG           entries about organisation ORG (the peer, or a peer actor of ORG)\n"
     "  --dataset TEXT      entries whose object contains TEXT (a dataset id, topic or version)\n"
     "  --user USER         entries by local user USER\n"
     "  --action ACTION     e.g. publish, offer, receive, deliver, export, connect, peer-add\n"
     "  --decision D        allow or refuse\n"
     "  --agreement REF     entries about agreement REF: its proposal, signatures and revocation,\n"
     "                      and the decisions taken under it or refused by it\n"
     "  --wide              every cell whole, whatever the terminal's width\n"
     "  --json              a JSON array of entries\n"
     "  --csv               CSV (RFC 4180) with a header line: seq, at, actor, action, object,\n"
     "                      peer, purpose, decision, rule, detail, hash\n"
     "cdx audit verify checks the hash chain and the node's signed checkpoints; it names the\n"
     "first entry edited, deleted, inserted or reordered, with its seq, and exits 4 (see\n"
     "cdx audit verify --help).\n"
     "  --checkpoint        with verify: if the log is whole, sign a checkpoint of its last entry\n"
     "cdx audit export -o FILE writes the log as signed JSON for a peer; cdx audit reconcile FILE\n"
     "checks a peer's export and lists every dataset sent but not received, received but not\n"
     "sent, or with another hash (exit 6 if any; see cdx audit reconcile --help).\n"
     "All of cdx audit needs the ig-officer role. A refused read is audited; an allowed review\n"
     "or verification is not written into the log it reads (exports and reconciliations are).\n"},
};

static const command_t *s_find (const char *name)
{
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp (s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

/* The edit distance between A and B (insertions, deletions, changes), up
   to 64 characters of each. */
static size_t s_distance (const char *a, const char *b)
{
    size_t la = strnlen (a, 64), lb = strnlen (b, 64), row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The command NAME was most likely meant to be: one it starts, or the
   nearest within a third of its length (at least 2 edits); NULL if none. */
static const char *s_nearest (const char *name)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen (name);
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++) {
        const char *c = s_commands[i].name;
        size_t d = len > 0 && strncmp (c, name, len) == 0 ? 0 : s_distance (name, c);
        if (d < best_d)
            best_d = d, best = c;
    }
    return best_d <= (len / 3 > 2 ? len / 3 : 2) ? best : NULL;
}

/* An unknown command or option: one line, naming NEAR if not NULL. Exit 2. */
static int s_unknown (const char *what, const char *name, const char *near)
{
    if (near)
        show_printf (stderr, "cdx: unknown %s '%s': did you mean '%s'? (cdx --help lists them)\n", what, name, near);
    else
        show_printf (stderr, "cdx: unknown %s '%s' (cdx --help lists the commands)\n", what, name);
    return NODE_EXIT_USAGE;
}

static void s_help (FILE *f)
{
    fprintf (f, "cdx: exchange encrypted, signed datasets between NHS organisations.\n\n"
                "usage: cdx [--home DIR] COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf (f, "  %-14s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf (f, "\nEach command takes --home DIR (default: $CDX_HOME, else $XDG_DATA_HOME/cdx or\n"
                "~/.local/share/cdx) and --help. Listings take --json: docs/JSON.md names every key, and an\n"
                "absent value is null. A dataset id may be shortened to its first 4 or more digits where no\n"
                "other id starts with them.\n\n"
                "Key files: with CDX_PASSPHRASE_FILE (a 0600 file whose first line is the passphrase) or\n"
                "CDX_PASSPHRASE set, cdx init, cdx keys rotate and cdx authority init write key files\n"
                "protected by it (Argon2id), and every command opens them with it: the unattended mode for\n"
                "cdx run under a service manager.\n\n"
                "Listings for people show control characters and invisible or direction-changing\n"
                "characters escaped (\\e, \\n, \\xHH, \\u{HHHH}; a backslash as \\\\): a name, path or\n"
                "a peer's log cannot move the cursor or forge a line. --json and --csv carry them exactly.\n\n"
                "A first exchange, two nodes on this machine pinned by hand (paste it into a shell\n"
                "with cdx and cdx-gen-apc in PATH; it uses the ports 7101 and 7102, and its last line\n"
                "stops the nodes and removes what it made):\n"
                "  W=$(mktemp -d) && cd \"$W\"\n"
                "  cdx init --home csu --org 0DF --role csu --name \"Example CSU\" --endpoint tcp://127.0.0.1:7101\n"
                "  cdx init --home ccg --org 04V --role ccg --name \"Example CCG\" --endpoint tcp://127.0.0.1:7102\n"
                "  cdx user add --home csu \"$(id -un)\" --role publisher\n"
                "  cdx user add --home ccg \"$(id -un)\" --role analyst\n"
                "  cdx card --home csu > 0DF.card; cdx card --home ccg > 04V.card\n"
                "  cdx peer add --home csu 04V.card; cdx peer add --home ccg 0DF.card\n"
                "  cdx agreement propose --home csu --ref DSA-1 --recipient 04V --provider-ig \"CSU IG lead\" \\\n"
                "      --recipient-ig \"CCG IG lead\" --topics sus/apc --class aggregate --purposes commissioning \\\n"
                "      --art6 \"6(1)(e) public task\" --opt-out not-required --end now+365d -o dsa.bin\n"
                "  cdx agreement sign --home ccg dsa.bin -o dsa-signed.bin; cdx agreement sign --home csu dsa-signed.bin\n"
                "  cdx run --home csu 2>csu.log & csu=$!; cdx run --home ccg 2>ccg.log & ccg=$!\n"
                "  cdx subscribe --home ccg --from 0DF --topic sus/apc\n"
                "  cdx-gen-apc --class aggregate -o apc.csv\n"
                "  ID=$(cdx publish --home csu --topic sus/apc --class aggregate --purpose commissioning apc.csv)\n"
                "  cdx wait --home ccg \"$ID\" --timeout 60 && cdx datasets --home ccg\n"
                "  cdx export --home ccg \"$ID\" --purpose commissioning -o received.csv && cmp apc.csv received.csv\n"
                "  kill $csu $ccg; wait; cd; rm -rf \"$W\"\n"
                "A card pinned by hand carries no DSPT status: only aggregate data may go to it\n"
                "(README.md walks through certification by the national authority).\n\n%s",
             s_exit_help);
}

/* Unattended passphrase for protected key files: CDX_PASSPHRASE_FILE names
   a file (regular, not a link, no access for group or others) whose first
   line is the passphrase; else CDX_PASSPHRASE holds it (seen by whoever
   can read the environment of the process that set it: services use the
   file). 0, or -1 with the reason printed. */
static int s_passphrase_env (void);

static int s_passphrase (void)
{
    const char *file = getenv ("CDX_PASSPHRASE_FILE");
    if (file && *file) {
        if (s_passphrase_env () != 0)              /* wiped even when the file wins */
            return -1;
        int fd = open (file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
            int e = fd < 0 ? errno : EINVAL;
            if (fd >= 0)
                close (fd);
            fprintf (stderr, "cdx: CDX_PASSPHRASE_FILE %s: cannot open a regular file: %s\n", file, strerror (e));
            return -1;
        }
        if (st.st_mode & 077) {
            close (fd);
            fprintf (stderr, "cdx: CDX_PASSPHRASE_FILE %s is readable by group or others; chmod 600 it\n", file);
            return -1;
        }
        char buf[1100];
        ssize_t n = read (fd, buf, sizeof buf - 1);
        close (fd);
        if (n <= 0) {
            fprintf (stderr, "cdx: CDX_PASSPHRASE_FILE %s is empty\n", file);
            return -1;
        }
        buf[n] = 0;
        size_t len = strcspn (buf, "\r\n");
        int rc = len ? cx_set_passphrase (buf, len) : -1;
        cx_wipe (buf, sizeof buf);
        if (rc != 0) {
            fprintf (stderr, "cdx: CDX_PASSPHRASE_FILE %s: %s\n", file, len ? cx_error () : "empty first line");
            return -1;
        }
        return 0;
    }
    return s_passphrase_env ();
}

/* CDX_PASSPHRASE: set as the passphrase, then wiped in place in the
   environment (the bytes /proc/PID/environ shows) and unset, so the
   guarded copy cx keeps is the only one and no child inherits it. 0, or
   -1 with the reason printed. */
static int s_passphrase_env (void)
{
    static const char name[] = "CDX_PASSPHRASE";
    char *env = getenv (name);
    if (!env || !*env)
        return 0;
    int rc = cx_set_passphrase (env, strlen (env));
    char *entry = env - sizeof name;             /* "CDX_PASSPHRASE=value" */
    size_t len = sizeof name + strlen (env);
    unsetenv (name);
    cx_wipe (entry, len);
    if (rc != 0) {
        fprintf (stderr, "cdx: CDX_PASSPHRASE: %s\n", cx_error ());
        return -1;
    }
    return 0;
}

static char s_default_home[4096];

static const char *s_home_default (void)
{
    const char *env = getenv ("CDX_HOME");
    if (env && *env)
        return env;
    const char *xdg = getenv ("XDG_DATA_HOME");
    if (xdg && *xdg) {
        snprintf (s_default_home, sizeof s_default_home, "%s/cdx", xdg);
        return s_default_home;
    }
    const char *home = getenv ("HOME");
    if (!home || !*home)
        return NULL;
    char base[4096];
    snprintf (base, sizeof base, "%s/.local/share", home);
    snprintf (s_default_home, sizeof s_default_home, "%s/cdx", base);
    return s_default_home;
}

int main (int argc, char **argv)
{
    cli_t cli = {.home = s_home_default ()};
    int i = 1;
    /* Options before the verb: --home DIR, --help, --version. */
    while (i < argc && argv[i][0] == '-') {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_help (stdout);
            return NODE_EXIT_OK;
        } else if (strcmp (argv[i], "--version") == 0) {
            printf ("cdx 0.1.0\n");
            return NODE_EXIT_OK;
        } else if (strcmp (argv[i], "--home") == 0 && i + 1 < argc) {
            cli.home = argv[i + 1];
            cli.home_set = 1;
            i += 2;
        } else if (strncmp (argv[i], "--home=", 7) == 0) {
            cli.home = argv[i] + 7;
            cli.home_set = 1;
            i++;
        } else {
            return s_unknown ("option", argv[i], NULL);
        }
    }
    if (i >= argc) {
        s_help (stderr);
        return NODE_EXIT_USAGE;
    }
    if (strcmp (argv[i], "help") == 0) {
        if (i + 1 < argc && s_find (argv[i + 1])) {
            char *args[] = {argv[i + 1], "--help", NULL};
            optind = 1;
            return s_find (argv[i + 1])->fn (&cli, 2, args);
        }
        s_help (stdout);
        return NODE_EXIT_OK;
    }
    const command_t *c = s_find (argv[i]);
    if (!c)
        return s_unknown ("command", argv[i], s_nearest (argv[i]));
    if (cx_init () != 0) {
        fprintf (stderr, "cdx: cannot initialise libsodium\n");
        return NODE_EXIT_FAIL;
    }
    if (s_passphrase () != 0)
        return NODE_EXIT_FAIL;
    optind = 1;
    int rc = c->fn (&cli, argc - i, argv + i);
    if (rc == NODE_EXIT_FAIL && !cli.home)
        fprintf (stderr, "cdx: no home directory: set CDX_HOME or pass --home DIR\n");
    return rc;
}
