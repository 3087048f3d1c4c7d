/*  cli.c: what every cdx command shares (see cli.h): messages and exit
    codes, option tables, strict numbers and dates, opening the node,
    listings, files, progress, the passphrase. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx.h"
#include "outfile.h"
#include "show.h"

/* ---- messages ------------------------------------------------------------- */

void cli_utc (int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r (&tt, &tm);
    strftime (buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Prints "cdx: REASON" on stderr and returns CODE. */
static int s_vsay (int code, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
static int s_vsay (int code, const char *fmt, va_list ap)
{
    char msg[2 * NODE_ERR_MAX];
    vsnprintf (msg, sizeof msg, fmt, ap);
    show_printf (stderr, "cdx: %s\n", msg);
    return code;
}

int cli_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_vsay (CLI_EXIT_FAIL, fmt, ap);
    va_end (ap);
    return rc;
}

int cli_bad (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int rc = s_vsay (CLI_EXIT_USAGE, fmt, ap);
    va_end (ap);
    return rc;
}

int cli_usage (const char *verb)
{
    const cli_command_t *c = cli_find (verb);
    if (c)
        fprintf (stderr, "usage: cdx %s\nTry: cdx %s --help\n", c->usage, verb);
    return CLI_EXIT_USAGE;
}

int cli_no_operands (int argc, char **argv, const char *verb)
{
    if (optind >= argc)
        return 0;
    show_printf (stderr, "cdx %s: unexpected argument '%s'\n", verb, argv[optind]);
    return cli_usage (verb);
}

int cli_refused (node_t *n)
{
    show_printf (stderr, "cdx: %s\n", node_error (n));
    return node_invalid (n) ? CLI_EXIT_USAGE : node_refused (n) ? CLI_EXIT_REFUSED : CLI_EXIT_FAIL;
}

/* ---- options ---------------------------------------------------------------- */

enum { S_OPT_BASE = 256, S_OPT_HOME = 1000, S_OPT_HELP };

void cli_help (const char *verb)
{
    const cli_command_t *cmd = cli_find (verb);
    printf ("usage: cdx %s\n\n%s\n\n%s", cmd->usage, cmd->summary, cmd->help);
    printf ("\nCommon options:\n  --home DIR   the node's home (default: $CDX_HOME, else "
            "$XDG_DATA_HOME/cdx or ~/.local/share/cdx)\n  --help       this text\n");
}

static cli_describe_fn *s_describe;
static void *s_describe_arg;

void cli_describe (cli_describe_fn *fn, void *arg)
{
    s_describe = fn;
    s_describe_arg = arg;
}

int cli_parse (cli_t *cli, const char *verb, const cli_opt_t *opts, size_t count, int argc, char **argv,
               const char **got, int *help, int *rc)
{
    if (s_describe) {
        s_describe (verb, opts, count, s_describe_arg);
        *rc = CLI_EXIT_OK;
        return -1;
    }
    struct option lopts[CLI_OPTS_MAX + 3];
    char shorts[2 * CLI_OPTS_MAX + 1];
    size_t ns = 0;
    if (count > CLI_OPTS_MAX)
        count = CLI_OPTS_MAX;                         /* a table too long is a programmer's error */
    for (size_t i = 0; i < count; i++) {
        lopts[i] = (struct option) {opts[i].name, opts[i].arg ? required_argument : no_argument, 0,
                                    S_OPT_BASE + (int) i};
        got[i] = NULL;
        if (opts[i].letter) {
            shorts[ns++] = opts[i].letter;
            if (opts[i].arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = 0;
    lopts[count] = (struct option) {"home", required_argument, 0, S_OPT_HOME};
    lopts[count + 1] = (struct option) {"help", no_argument, 0, S_OPT_HELP};
    lopts[count + 2] = (struct option) {0, 0, 0, 0};
    int c;
    while ((c = getopt_long (argc, argv, shorts, lopts, NULL)) != -1) {
        if (c == S_OPT_HOME) {
            if (!cli->home_fixed)                 /* the running node serves its own home only */
                cli->home = optarg;
            cli->home_set = 1;
        } else if (c == S_OPT_HELP && help) {
            *help = 1;
        } else if (c == S_OPT_HELP) {
            cli_help (verb);
            *rc = CLI_EXIT_OK;
            return -1;
        } else if (c >= S_OPT_BASE && c < S_OPT_BASE + (int) count) {
            got[c - S_OPT_BASE] = optarg ? optarg : "";
        } else {
            size_t i = 0;
            while (i < count && (!opts[i].letter || opts[i].letter != c))
                i++;
            if (i == count) {
                *rc = cli_usage (verb);
                return -1;
            }
            got[i] = optarg ? optarg : "";
        }
    }
    for (size_t i = 0; i < count; i++)
        if (got[i] && strcmp (opts[i].name, "json") == 0)
            cli->json = 1;
    return 0;
}

/* 1 if WORD is one of the space-separated LIST. */
static int s_listed (const char *list, const char *word)
{
    size_t len = strlen (word);
    for (const char *p = list; (p = strstr (p, word)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0))
            return 1;
    return 0;
}

int cli_forms (const char *verb, const char *form, const cli_opt_t *opts, size_t count, const char **got)
{
    for (size_t i = 0; i < count; i++)
        if (got[i] && opts[i].forms && !s_listed (opts[i].forms, form)) {
            show_printf (stderr, "cdx %s %s: --%s is not an option of cdx %s %s\n", verb, form, opts[i].name, verb,
                         form);
            return cli_usage (verb);
        }
    return 0;
}

int cli_leading (const char *text, int64_t *v, const char **rest)
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

int cli_number (const char *opt, const char *text, int64_t min, int64_t max, int64_t *out)
{
    int64_t v;
    const char *rest;
    if (cli_leading (text, &v, &rest) != 0 || *rest || v < min || v > max)
        return cli_bad ("%s: a whole number from %" PRId64 " to %" PRId64 ", not \"%s\"", opt, min, max,
                        text ? text : ""), -1;
    *out = v;
    return 0;
}

/* The seconds in the unit UNIT ("", s, m, h or d; "" with DAYS set is a
   day), or 0 if it is none. */
static int64_t s_unit (const char *unit, int days)
{
    return days && *unit == 0        ? 86400
           : strcmp (unit, "d") == 0 ? 86400
           : strcmp (unit, "h") == 0 ? 3600
           : strcmp (unit, "m") == 0 ? 60
           : strcmp (unit, "s") == 0 ? 1
                                     : 0;
}

int cli_duration (const char *opt, const char *text, int64_t max, int64_t *out)
{
    int64_t v;
    const char *end;
    int64_t unit = cli_leading (text, &v, &end) == 0 ? s_unit (end, 1) : 0;
    if (!unit || v < 1 || v > max / unit)
        return cli_bad ("%s: a duration of 1 s to %" PRId64 " days: DAYS, or a number with s, m, h or d "
                        "(90d, 36h, 30s), not \"%s\"", opt, max / 86400, text ? text : ""), -1;
    *out = v * unit;
    return 0;
}

int cli_date (const char *text, int end_of_day, int64_t *out)
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

int cli_when (const char *text, int is_end, int64_t *out)
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
        if (cli_leading (text + 4, &v, &end) != 0)
            return -1;
        int64_t unit = s_unit (end, 0);
        if (!unit || v > 36500LL * 86400 / unit)
            return -1;
        *out = t + (text[3] == '+' ? 1 : -1) * v * unit;
        return 0;
    }
    if (cli_date (text, is_end, out) != 0)
        return -1;
    if (is_end && strlen (text) == 10)
        *out += 1;                                    /* exclusive: the next midnight */
    return 0;
}

/* ---- opening the node ---------------------------------------------------------- */

int cli_open (cli_t *cli, node_t **n)
{
    char err[NODE_ERR_MAX];
    node_open_why_t why;
    if (cli->conn && (*n = cli_ahead ()) != NULL) {
        if (node_act_as (*n, cli->login) == 0)
            return 0;
        show_printf (stderr, "cdx: %s\n", node_error (*n));
        node_close (n);
        return CLI_EXIT_FAIL;
    }
    *n = node_open_as (cli->home, cli->login ? cli->login : node_user (), &why, err, sizeof err);
    if (!*n) {
        show_printf (stderr, "cdx: %s\n", err);
        return why == NODE_OPEN_NOHOME    ? CLI_EXIT_NOHOME
               : why == NODE_OPEN_REFUSED ? CLI_EXIT_REFUSED
               : why == NODE_OPEN_INVALID ? CLI_EXIT_USAGE
                                          : CLI_EXIT_FAIL;
    }
    return 0;
}

/* ---- listings ---------------------------------------------------------------- */

static void s_start (cli_t *cli, const char *header)
{
    if (!cli->started)
        fputs (cli->json ? "[" : header, stdout);
    cli->started = 1;
}

const char *cli_row (cli_t *cli, const char *header)
{
    s_start (cli, header);
    return cli->json && cli->rows++ ? "," : "";
}

int cli_list_end (cli_t *cli, node_t *n, const char *header, int each)
{
    if (each < 0 && node_refused (n) && !cli->started)
        return cli_refused (n);
    s_start (cli, header);
    int rc = each < 0 ? cli_fail ("%s", node_error (n)) : each;
    if (cli->json)
        printf ("]\n");
    return rc;
}

void cli_json_str (const char *key, const char *v)
{
    printf (",\"%s\":", key);
    show_json (stdout, v);
}

void cli_json_opt (const char *key, const char *v)
{
    printf (",\"%s\":", key);
    show_json_opt (stdout, v);
}

/* ---- files ------------------------------------------------------------------- */

int cli_in_open (cli_t *cli, const char *path, unsigned flags, char *abs, size_t abscap, char *err,
                 size_t errlen)
{
    char tmp[CLI_PATH_MAX];
    if (!abs)
        abs = tmp, abscap = sizeof tmp;
    if (cli->conn)
        return node_control_open_in (cli->conn, path, flags, abs, abscap, err, errlen);
    int fd = open (path, O_RDONLY | O_CLOEXEC | ((flags & CTL_IN_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (fd < 0) {
        int e = errno;
        snprintf (err, errlen, "%s", strerror (e));
        errno = e;
        return -1;
    }
    cli_abs_path (cli, path, abs, abscap);
    return fd;
}

static int s_files_in (void *arg, const char *path, char *abs, size_t abscap, char *err, size_t errlen)
{
    return cli_in_open (arg, path, 0, abs, abscap, err, errlen);
}

static node_outfile_t *s_files_out (void *arg, const char *path, unsigned mode, char *err, size_t errlen)
{
    return cli_out_new (arg, path, mode, err, errlen);
}

const node_files_t *cli_files (cli_t *cli)
{
    cli->files = (node_files_t) {s_files_in, s_files_out, cli};
    return &cli->files;
}

FILE *cli_fopen (cli_t *cli, const char *path)
{
    if (strcmp (path, "-") == 0)
        return stdin;
    char err[NODE_ERR_MAX];
    int fd = cli_in_open (cli, path, 0, NULL, 0, err, sizeof err);
    FILE *f = fd >= 0 ? fdopen (fd, "rb") : NULL;
    if (fd >= 0 && !f) {
        int e = errno;
        close (fd);
        errno = e;
    }
    return f;
}

/* A wrapped output's commit and retract, asked of the caller (one slot
   per output of the request; a request runs in a process of its own). */
typedef struct {
    node_control_conn_t *conn;
    uint32_t id;
    int final;               /* CLI_OUT_FINAL: no retract follows the commit */
} s_remote_out_t;

static int s_remote_commit (void *arg, char *err, size_t errlen)
{
    s_remote_out_t *o = arg;
    if (o->final)
        return node_control_commit_final (o->conn, o->id, err, errlen);
    return node_control_commit (o->conn, o->id, err, errlen);
}

static int s_remote_retract (void *arg)
{
    s_remote_out_t *o = arg;
    return node_control_retract (o->conn, o->id);
}

node_outfile_t *cli_out_new (cli_t *cli, const char *path, unsigned mode, char *err, size_t errlen)
{
    static s_remote_out_t outs[16];
    int final = (mode & CLI_OUT_FINAL) != 0;
    mode &= 07777;
    if (!cli->conn)
        return node_outfile_new (path, (mode_t) mode, err, errlen);
    char abs[2 * CLI_PATH_MAX];
    uint32_t id;
    int fd = node_control_open_out (cli->conn, path, mode, &id, abs, sizeof abs, err, errlen);
    if (fd < 0)
        return NULL;
    if (id < 1 || id > 16) {
        close (fd);
        snprintf (err, errlen, "the caller named output %u", id);
        return NULL;
    }
    outs[id - 1] = (s_remote_out_t) {cli->conn, id, final};
    node_outfile_ops_t ops = {s_remote_commit, s_remote_retract, &outs[id - 1]};
    return node_outfile_wrap (fd, path, abs, &ops, err, errlen);
}

int cli_out_dir (cli_t *cli, const char *path, char *abs, size_t abscap, char *err, size_t errlen)
{
    if (cli->conn)
        return node_control_mkdir (cli->conn, path, abs, abscap, err, errlen);
    int fd = mkdir (path, 0700) == 0 ? open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd < 0) {
        int e = errno;
        snprintf (err, errlen, "cannot create %s: %s", path, strerror (e));
        errno = e;
        return -1;
    }
    cli_abs_path (cli, path, abs, abscap);
    return fd;
}

void cli_abs_path (cli_t *cli, const char *path, char *buf, size_t cap)
{
    if (cli->conn) {
        if (path[0] == '/' || !cli->cwd)
            snprintf (buf, cap, "%s", path);
        else
            snprintf (buf, cap, "%s%s%s", cli->cwd, strcmp (cli->cwd, "/") == 0 ? "" : "/", path);
        return;
    }
    char *abs = realpath (path, NULL);
    snprintf (buf, cap, "%s", abs ? abs : path);
    free (abs);
}

char *cli_read_file (cli_t *cli, const char *file, size_t max, size_t *len)
{
    FILE *f = cli_fopen (cli, file);
    if (!f) {
        cli_fail ("cannot open %s: %s", file, strerror (errno));
        return NULL;
    }
    char *buf = malloc (max + 2);
    size_t got = buf ? fread (buf, 1, max + 1, f) : 0;
    if (f != stdin)
        fclose (f);
    if (!buf) {
        cli_fail ("out of memory");
        return NULL;
    }
    if (got > max) {
        free (buf);
        cli_fail ("%s is larger than %zu bytes", file, max);
        return NULL;
    }
    buf[got] = 0;
    *len = got;
    return buf;
}

int cli_write_out (cli_t *cli, const char *file, const char *data, size_t len)
{
    if (!file || strcmp (file, "-") == 0)
        return fwrite (data, 1, len, stdout) == len ? 0 : (cli_fail ("cannot write to stdout"), -1);
    char err[NODE_ERR_MAX];
    node_outfile_t *f = cli_out_new (cli, file, 0644, err, sizeof err);
    int rc = f && node_outfile_write (f, data, len, err, sizeof err) == 0 && node_outfile_commit (f, err, sizeof err) == 0
                 ? 0 : -1;
    node_outfile_destroy (&f);
    if (rc != 0)
        return cli_fail ("%s", err), -1;
    return 0;
}

/* ---- progress ------------------------------------------------------------------ */

void cli_progress (uint64_t done, uint64_t total, void *arg)
{
    cli_progress_t *p = arg;
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

node_progress_fn *cli_progress_fn (cli_progress_t *p, const char *what)
{
    memset (p, 0, sizeof *p);
    clock_gettime (CLOCK_MONOTONIC, &p->start);
    p->what = what;
    return isatty (STDERR_FILENO) ? cli_progress : NULL;
}

void cli_progress_end (cli_progress_t *p)
{
    if (p->shown)
        fputc ('\n', stderr);
}

/* ---- the passphrase ---------------------------------------------------------- */

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

/* The first line of FILE, the passphrase file, set as the passphrase. */
static int s_passphrase_file (const char *file)
{
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

int cli_passphrase (void)
{
    const char *file = getenv ("CDX_PASSPHRASE_FILE");
    if (file && *file) {
        if (s_passphrase_env () != 0)              /* wiped even when the file wins */
            return -1;
        return s_passphrase_file (file);
    }
    return s_passphrase_env ();
}
