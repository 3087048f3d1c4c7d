/*  cmd_node.c: the node itself: cdx init, card, keys rotate and run.

    Making a home, printing its card, replacing its keys, and running the
    event loop in the foreground until a signal stops it. Not for: peers
    (cmd_peers.c) or data (cmd_data.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "show.h"

int cmd_init (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_ORG, O_NODE, O_ROLE, O_NAME, O_ENDPOINT, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"json", 0, 0, NULL}, {"org", 1, 0, NULL}, {"node", 1, 0, NULL}, {"role", 1, 0, NULL},
        {"name", 1, 0, NULL}, {"endpoint", 1, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "init", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    node_init_t o = {.org = got[O_ORG], .node = got[O_NODE], .role = got[O_ROLE], .name = got[O_NAME], .endpoint = got[O_ENDPOINT]};
    if (optind != argc || !o.org || !o.role || !o.name || !o.endpoint) {
        fprintf (stderr, "cdx init: --org, --role, --name and --endpoint are all required\n");
        return cli_usage ("init");
    }
    o.home = cli->home;
    char err[NODE_ERR_MAX];
    if (node_init_check (&o, err, sizeof err) != 0)
        return cli_bad ("%s", err);
    if (node_init (&o, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    if (cli->json) {
        printf ("{\"home\":");
        show_json (stdout, cli->home);
        cli_json_str ("org", o.org);
        cli_json_opt ("node", o.node);
        cli_json_str ("address", node_address (n));
        printf ("}\n");
    } else {
        show_printf (stdout, "created node %s (%s) in %s\n", node_address (n), o.role, cli->home);
        show_printf (stdout, "you (%s) are its admin; grant the roles people need, e.g.\n"
                "  cdx user add %s --role publisher,analyst,ig-officer --home %s\n",
                node_login (n), node_login (n), cli->home);
        show_printf (stdout, "next: cdx card --home %s > %s.card   and give that card to your peers\n", cli->home,
                     o.node ? o.node : o.org);
    }
    node_close (&n);
    return CLI_EXIT_OK;
}

int cmd_card (cli_t *cli, int argc, char **argv)
{
    int rc = 0;
    if (cli_parse (cli, "card", NULL, 0, argc, argv, NULL, NULL, &rc) != 0)
        return rc;
    if ((rc = cli_no_operands (argc, argv, "card")) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    char card[4096];
    if (node_card (n, card, sizeof card) != 0)
        rc = cli_fail ("%s", node_error (n));
    else
        fputs (card, stdout);
    node_close (&n);
    return rc;
}

int cmd_keys (cli_t *cli, int argc, char **argv)
{
    int rc = 0;
    if (cli_parse (cli, "keys", NULL, 0, argc, argv, NULL, NULL, &rc) != 0)
        return rc;
    if (argc - optind != 1 || strcmp (argv[optind], "rotate") != 0)
        return cli_usage ("keys");
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    char card[4096];
    if (node_keys_rotate (n, card, sizeof card) != 0) {
        rc = cli_fail ("%s", node_error (n));
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

/* The self-pipe and the handlers for SIGINT, SIGTERM and SIGHUP. */
static void s_signals (void)
{
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
       change to the store takes effect at once), no log file to reopen
       (the log is stderr: a terminal, a file the shell opened, or the
       journal), and a hang-up is the end of the session that started it.
       Under systemd the unit has no ExecReload, and Restart= brings the
       node back after a stop it did not ask for. */
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
}

/* Binds the control socket of CLI's home (its path made absolute into
   HOME, for the requests served) and forks the request server. 0, or the
   exit code after saying why. */
static int s_control (cli_t *cli, const char *group, char *home, size_t cap, node_control_t **ctl)
{
    char path[CLI_PATH_MAX], err[NODE_ERR_MAX];
    static cli_t served;
    char store[CLI_PATH_MAX + 16];
    snprintf (store, sizeof store, "%s/store.db", cli->home ? cli->home : "");
    if (!cli->home || access (store, F_OK) != 0)
        return 0;                                  /* no node there: opening it says so */
    char *abs = realpath (cli->home, NULL);
    snprintf (home, cap, "%s", abs ? abs : cli->home);
    free (abs);
    if (node_control_path (home, cli->socket, path, sizeof path, err, sizeof err) != 0 ||
        !(*ctl = node_control_open (path, group, err, sizeof err)))
        return cli_fail ("%s", err);
    served = (cli_t) {.home = home, .socket = cli->socket};
    if (node_control_start (*ctl, cli_serve, cli_warm, &served, err, sizeof err) != 0) {
        node_control_close (ctl);
        return cli_fail ("%s", err);
    }
    return 0;
}

int cmd_run (cli_t *cli, int argc, char **argv)
{
    enum { O_BIND, O_SOCKET_GROUP, O_LOG_LEVEL, O_METRICS, O_TAKEOVER, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {
        {"bind", 1, 0, NULL}, {"socket-group", 1, 0, NULL}, {"log-level", 1, 0, NULL}, {"metrics", 1, 0, NULL},
        {"takeover", 1, 0, NULL}};
    static const struct { const char *word; int level; } levels[] = {
        {"error", NODE_LOG_ERROR}, {"warning", NODE_LOG_WARNING}, {"info", NODE_LOG_INFO}, {"debug", NODE_LOG_DEBUG}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "run", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (optind != argc)
        return cli_usage ("run");
    int level = NODE_LOG_INFO;
    if (got[O_LOG_LEVEL]) {
        size_t i = 0;
        while (i < sizeof levels / sizeof levels[0] && strcmp (levels[i].word, got[O_LOG_LEVEL]) != 0)
            i++;
        if (i == sizeof levels / sizeof levels[0])
            return cli_bad ("--log-level: error, warning, info or debug, not \"%s\"", got[O_LOG_LEVEL]);
        level = levels[i].level;
    }
    int takeover = 0;
    if (got[O_TAKEOVER]) {
        char *end = NULL;
        long v = strtol (got[O_TAKEOVER], &end, 10);
        if (!*got[O_TAKEOVER] || *end || v < 1 || v > 3600)
            return cli_bad ("--takeover: whole seconds from 1 to 3600, not \"%s\"", got[O_TAKEOVER]);
        takeover = (int) v;
    }
    char why[256];
    if (got[O_METRICS] && node_metrics_check (got[O_METRICS], why, sizeof why) != 0)
        return cli_bad ("%s", why);
    /* The signals first: once the control socket answers, a stop must be
       clean (a flag the loop reads, however early it comes). */
    s_signals ();
    /* The control socket and its request server next: no store, no
       ZeroMQ context may cross the fork. */
    node_control_t *ctl = NULL;
    char home[CLI_PATH_MAX];
    if ((rc = s_control (cli, got[O_SOCKET_GROUP], home, sizeof home, &ctl)) != 0)
        return rc;
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0) {
        node_control_close (&ctl);
        return rc;
    }
    node_set_log_level (n, level);
    /* Chunks are 1 MiB buffers allocated and freed all the time; keep them
       on the heap instead of a fresh mmap (and page faults) for each. */
    mallopt (M_MMAP_THRESHOLD, 4 << 20);
    mallopt (M_TRIM_THRESHOLD, 32 << 20);
    node_run_opts_t ro = {.bind = got[O_BIND], .metrics = got[O_METRICS], .takeover_s = takeover};
    if (node_run_with (n, &ro, &s_stop, s_wake[0]) != 0)
        rc = cli_fail ("%s", node_error (n));
    int wr = s_wake[1];
    s_wake[1] = -1;                                /* the handler stops writing first */
    if (wr >= 0) {
        close (wr);
        close (s_wake[0]);
    }
    node_close (&n);
    node_control_close (&ctl);
    return rc;
}
