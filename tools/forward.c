/*  forward.c: commands and the running node's control socket
    (node/control.h, docs/CONTROL.md), both sides.

    The caller's side (cli_forward, from main): every verb but those that
    always run here (cli_direct_verb) goes to the node that answers at
    the home's socket, with this process's stdin, stdout and stderr, and
    its exit code is this process's. Nobody answering, the home's owner
    (or root) runs the verb here, on the store, as before; anyone else is
    told the node is not running and how to start it.

    The node's side (cli_serve, the request server's handler): the verb
    runs through the same command table and code as a direct run, on the
    node's home whatever --home says, as the caller's login, with the
    caller's files (cli_in_open, cli_out_new: cli.c).

    Not for: the socket itself (node/control.c), what a verb does.
*/
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "show.h"

int cli_direct_verb (int argc, char **argv)
{
    static const char *const direct[] = {"init", "run", "authority", "help", "restore", NULL};
    for (int i = 0; direct[i]; i++)
        if (strcmp (argv[0], direct[i]) == 0)
            return 1;
    /* cdx backup verify DIR reads a backup the caller holds, with the
       caller's rights; it needs no node. Its first operand says so. */
    if (strcmp (argv[0], "backup") != 0)
        return 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "-o") == 0 || strcmp (argv[i], "--output") == 0 || strcmp (argv[i], "--home") == 0)
            i++;
        else if (argv[i][0] != '-')
            return strcmp (argv[i], "verify") == 0;
    }
    return 0;
}

/* The login of this process, for messages. */
static void s_me (char *buf, size_t cap)
{
    struct passwd *pw = getpwuid (geteuid ());
    snprintf (buf, cap, "%s", pw && pw->pw_name ? pw->pw_name : "this login");
}

/* Nobody answers at PATH: -1 to run here (root, the home's owner, or no
   home there: its own message follows), else the not-running message
   and -1 with CLI->not_running set. */
static int s_not_running (cli_t *cli, const char *path)
{
    struct stat st;
    if (geteuid () == 0 || !cli->home || (stat (cli->home, &st) != 0 && errno == ENOENT) ||
        (stat (cli->home, &st) == 0 && st.st_uid == geteuid ()))
        return -1;
    char name[256], how[600];
    if (node_control_service (cli->home, name, sizeof name))
        snprintf (how, sizeof how, "`systemctl start cdx@%s`, or `cdx run --home %s` as its owner", name, cli->home);
    else
        snprintf (how, sizeof how, "`cdx run --home %s` as its owner", cli->home);
    show_printf (stderr, "cdx: the node at %s is not running (nothing answers at %s): start it with %s\n", cli->home,
                 path, how);
    cli->not_running = 1;
    return -1;
}

/* The socket at PATH refuses this login (EACCES): what to do, exit 1.
   Where a directory on its path is closed (whether a node runs cannot be
   known), -1 with CLI->not_running set: the command then says, running
   here, whose the home is. */
static int s_closed (cli_t *cli, const char *path)
{
    char me[256];
    s_me (me, sizeof me);
    struct stat st;
    if (stat (path, &st) != 0) {
        show_printf (stderr, "cdx: cannot reach the node's control socket %s: a directory on its path is closed "
                     "to %s (give the socket's place with --socket PATH, or ask the node's administrator)\n",
                     path, me);
        cli->not_running = 1;
        return -1;
    }
    struct group *g = getgrgid (st.st_gid);
    char group[256];
    snprintf (group, sizeof group, "%s", g && g->gr_name ? g->gr_name : "?");
    return cli_fail ("cannot connect to the node's control socket %s (group %s, mode %04o): permission denied; "
                     "an administrator lets %s in with: usermod -aG %s %s (then log in again)",
                     path, group, (unsigned) (st.st_mode & 07777), me, group, me);
}

int cli_forward (cli_t *cli, int argc, char **argv)
{
    char path[PATH_MAX], err[NODE_ERR_MAX];
    if (!cli->home && !cli->socket)
        return -1;                                /* run here: it says there is no home */
    if (node_control_path (cli->home, cli->socket, path, sizeof path, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    int fd = node_control_connect (path);
    if (fd < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR)
            return s_not_running (cli, path);
        if (errno == EACCES || errno == EPERM)
            return s_closed (cli, path);
        return cli_fail ("cannot connect to the node's control socket %s: %s", path, strerror (errno));
    }
    char cwd[PATH_MAX + 8] = "CDX_CWD=", columns[64];
    char *envv[2];
    int envc = 0;
    if (getcwd (cwd + 8, sizeof cwd - 8))
        envv[envc++] = cwd;
    const char *col = getenv ("COLUMNS");
    if (col && *col && strlen (col) < 32) {
        snprintf (columns, sizeof columns, "COLUMNS=%s", col);
        envv[envc++] = columns;
    }
    int code = CLI_EXIT_FAIL;
    fflush (stdout);
    if (node_control_forward (fd, argc, argv, envc, envv, &code, err, sizeof err) != 0)
        return cli_fail ("%s", err);
    return code;
}

/* The node the warmed child opened ahead of its request (cli_open takes it). */
static node_t *s_ahead;

void cli_warm (void *arg)
{
    const cli_t *node = arg;
    char err[NODE_ERR_MAX];
    s_ahead = node_open_as (node->home, "-", NULL, err, sizeof err);
}

node_t *cli_ahead (void)
{
    node_t *n = s_ahead;
    s_ahead = NULL;
    return n;
}

int cli_serve (const node_control_call_t *call, void *arg)
{
    const cli_t *node = arg;
    cli_t cli = {.home = node->home, .home_set = 1, .home_fixed = 1, .login = call->login, .conn = call->conn};
    unsetenv ("COLUMNS");                         /* the caller's terminal, not the node's */
    for (int i = 0; i < call->envc; i++) {
        const char *e = call->envv[i];
        if (strncmp (e, "CDX_CWD=", 8) == 0 && e[8] == '/')
            cli.cwd = e + 8;
        else if (strncmp (e, "COLUMNS=", 8) == 0)
            setenv ("COLUMNS", e + 8, 1);
    }
    const char *verb = call->argv[0];
    const cli_command_t *c = cli_find (verb);
    if (!c || cli_direct_verb (call->argc, call->argv))
        return cli_bad ("%s is not a command the running node serves (cdx --help lists them)", verb);
    optind = 1;
    return c->fn (&cli, call->argc, call->argv);
}
