/*  cli: what every cdx command shares: the common options, the exit
    codes, messages on stderr, strict numbers, durations and dates, the
    option tables each command and sub-verb parses, listings, files named
    on the command line, progress on a terminal, the passphrase for
    protected key files.

    The commands themselves are the cmd_*.c files, one per group of verbs,
    dispatched from the table in cdx.c (cli_find), whose help strings also
    make cdx --help. They drive the node library (node/node.h) and print;
    they never touch the store.

    Not for: escaping what is printed (show.h), anything a node decides.
    Errors: functions that print a reason return the exit code (or -1 where
    the caller picks the code), as each says.
*/
#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "control.h"
#include "ctlframe.h"
#include "node.h"

#define CLI_PATH_MAX 4096

/* Exit codes of cdx (cdx --help lists them). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,       /* the operation failed; reason on stderr */
    CLI_EXIT_USAGE = 2,      /* bad command line */
    CLI_EXIT_NOHOME = 3,     /* no node at --home: run cdx init */
    CLI_EXIT_REFUSED = 4,    /* refused by a rule (verification, policy) */
    CLI_EXIT_TIMEOUT = 5,
    CLI_EXIT_MISMATCH = 6,   /* cdx audit reconcile found mismatches */
    CLI_EXIT_ATTENTION = 7   /* cdx status: the node needs attention (why on stderr) */
};

typedef struct {
    const char *home;
    int home_set;            /* --home was given (not the default) */
    int home_fixed;          /* served for the running node: its home, whatever --home says */
    const char *socket;      /* --socket PATH, NULL: the rule's (node_control_path) */
    const char *login;       /* who acts: this process's login, or the socket's caller */
    node_control_conn_t *conn;   /* served for the running node: the caller's connection; NULL: direct */
    const char *cwd;         /* ... the caller's working directory, for the record */
    node_files_t files;      /* cli_in_open and cli_out_new, for the node library */
    int not_running;         /* no node answers and the home is not this login's: a failure is exit 1 */
    const char *socket_group;    /* cdx run --socket-group */
    int json;                /* --json */
    int64_t rows;            /* rows a listing printed so far */
    int started;             /* the listing's header (or "[") is out */
} cli_t;

typedef int (cli_cmd_fn) (cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    cli_cmd_fn *fn;
    const char *usage;
    const char *summary;
    const char *help;
} cli_command_t;

/* The command named NAME in cdx.c's table, or NULL. */
const cli_command_t *cli_find (const char *name);

/* ---- messages --------------------------------------------------------- */

/* "cdx: REASON" on stderr (escaped: a message may quote what came in). */
int cli_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));   /* exit 1 */
int cli_bad (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));    /* exit 2 */
/* The usage of VERB and the --help hint; exit 2. */
int cli_usage (const char *verb);
/* 0 if no operand is left (optind), else the usage naming the first; exit 2. */
int cli_no_operands (int argc, char **argv, const char *verb);
/* A failed node operation: "cdx: node_error" and exit 2 if a value given
   was out of its grammar or range, 4 if a rule refused it, else 1. */
int cli_refused (node_t *n);

/* T as YYYY-MM-DDTHH:MM:SSZ into BUF. */
void cli_utc (int64_t t, char *buf, size_t cap);

/* ---- options ------------------------------------------------------------

   A command's table lists every option it takes, each with the forms
   (sub-verbs) that take it; cli_parse reads them with getopt_long into
   GOT, one value per option in table order (a flag given is "", one not
   given NULL; the last one given wins). --home and --help are every
   command's. */
typedef struct {
    const char *name;        /* the long option, without "--" */
    int arg;                 /* 1: takes a value */
    char letter;             /* its short form ('o' for -o), 0: none */
    const char *forms;       /* the sub-verbs taking it, space-separated; NULL: every form */
} cli_opt_t;

#define CLI_OPTS_MAX 32

/* Parses ARGV for VERB. With HELP NULL, --help prints the command's help
   (exit 0) at once; otherwise *HELP is set and parsing goes on. 0 to go
   on (optind at the operands), or -1 with the exit code in *RC. */
int cli_parse (cli_t *cli, const char *verb, const cli_opt_t *opts, size_t count, int argc, char **argv,
               const char **got, int *help, int *rc);

/* Describing instead of parsing (cdx help --completion: manpage.c): while
   FN is set, cli_parse hands it the command's table (VERB, OPTS, COUNT)
   and returns -1 with *RC 0, before reading ARGV. NULL ends it. */
typedef void (cli_describe_fn) (const char *verb, const cli_opt_t *opts, size_t count, void *arg);
void cli_describe (cli_describe_fn *fn, void *arg);

/* 0 if every option given (GOT) is taken by FORM of VERB, else "cdx VERB
   FORM: --NAME is not an option of cdx VERB FORM" and the usage: exit 2. */
int cli_forms (const char *verb, const char *form, const cli_opt_t *opts, size_t count, const char **got);

/* The help of VERB on stdout, with the common options. */
void cli_help (const char *verb);

/* A whole number for option OPT from TEXT, in [MIN, MAX] (MIN >= 0): no
   sign, space or base prefix, every character a digit, never wrapped or
   clamped. 0, or -1 after printing the reason naming OPT and the range. */
int cli_number (const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);
/* The decimal number at the start of TEXT (digits only): 0 with *REST
   after its digits, or -1 if TEXT does not start with a digit or the
   number does not fit int64_t. */
int cli_leading (const char *text, int64_t *v, const char **rest);
/* A duration for OPT: DAYS, or a number with s, m, h or d, from 1 s to
   MAX seconds. 0, or -1 after printing the reason naming the limit. */
int cli_duration (const char *opt, const char *text, int64_t max, int64_t *out);
/* DATE as YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS][Z], UTC; a bare date with
   END_OF_DAY set means its last second. 0, or -1 if TEXT is no such date. */
int cli_date (const char *text, int end_of_day, int64_t *out);
/* A time: a date as cli_date (an end date, IS_END, covers that whole
   day: the next midnight), "now", or now+N / now-N with s, m, h or d.
   0, or -1. */
int cli_when (const char *text, int is_end, int64_t *out);

/* ---- opening the node ------------------------------------------------- */

/* node_open_as CLI->home, as CLI->login; 0, or the exit code after
   printing why. */
int cli_open (cli_t *cli, node_t **n);

/* ---- listings -----------------------------------------------------------

   A listing prints HEADER (for people) or "[" (--json) before its first
   row, then the rows, then "]" for JSON: cli_row before each row returns
   the separator to print before it ("," after the first JSON row);
   cli_list_end ends it. A listing refused for want of a role prints
   nothing on stdout. */
const char *cli_row (cli_t *cli, const char *header);
/* EACH: what the node_list_* call returned. The exit code: 0, EACH's
   positive value, or 1 (4 if refused) after printing node_error. */
int cli_list_end (cli_t *cli, node_t *n, const char *header, int each);
/* ",\"KEY\":" then V as a JSON string; cli_json_opt writes null for V
   NULL or empty (an absent value). */
void cli_json_str (const char *key, const char *v);
void cli_json_opt (const char *key, const char *v);

/* ---- files ------------------------------------------------------------ */

/* Every file a command names is opened with the rights of whoever runs
   it: by this process when the command runs directly, by the caller when
   the running node serves it (the node asks on the control connection,
   control.h). The node never opens such a path itself. */

/* PATH open for reading (CTL_IN_NOFOLLOW in FLAGS: not a symbolic link):
   a descriptor, ABS (may be NULL) its absolute path; -1 with errno and
   the reason in ERR. */
int cli_in_open (cli_t *cli, const char *path, unsigned flags, char *abs, size_t abscap, char *err,
                 size_t errlen);
/* cli_in_open and cli_out_new as the node library takes them. */
const node_files_t *cli_files (cli_t *cli);
/* cli_in_open as a stdio stream ("-": stdin). NULL with errno. */
FILE *cli_fopen (cli_t *cli, const char *path);
/* A new output for PATH (node/outfile.h: refused if it exists, the
   content unnamed until committed), made as whoever runs the command,
   with MODE. NULL with the reason in ERR. */
/* CLI_OUT_FINAL in MODE: once committed, never retracted (the caller
   lets go of it: a command writing many files, cdx backup). */
#define CLI_OUT_FINAL 0x10000u
node_outfile_t *cli_out_new (cli_t *cli, const char *path, unsigned mode, char *err, size_t errlen);
/* A new directory PATH (0700), made as whoever runs the command: a
   descriptor on it, ABS its absolute path; -1 with the reason in ERR. */
int cli_out_dir (cli_t *cli, const char *path, char *abs, size_t abscap, char *err, size_t errlen);
/* PATH made absolute for a record: resolved where it exists (directly),
   or joined to the caller's working directory (served). */
void cli_abs_path (cli_t *cli, const char *path, char *buf, size_t cap);

/* FILE (- for stdin) into a malloc'd NUL-terminated buffer of at most MAX
   bytes. NULL with the reason printed. */
char *cli_read_file (cli_t *cli, const char *file, size_t max, size_t *len);
/* LEN bytes into FILE (a new file, 0644), or stdout if NULL or "-". 0, or
   -1 with the reason printed. */
int cli_write_out (cli_t *cli, const char *file, const char *data, size_t len);

/* ---- progress on a terminal -------------------------------------------- */

typedef struct {
    struct timespec start;
    const char *what;
    int shown;
    int based;
    uint64_t base;           /* done when first seen: the rate counts what moved since */
} cli_progress_t;

/* The callback to pass for progress labelled WHAT, NULL if stderr is not
   a terminal. */
node_progress_fn *cli_progress_fn (cli_progress_t *p, const char *what);
void cli_progress (uint64_t done, uint64_t total, void *arg);
void cli_progress_end (cli_progress_t *p);

/* ---- key files ---------------------------------------------------------- */

/* The passphrase of protected key files, unattended: CDX_PASSPHRASE_FILE
   names a file (regular, not a link, no access for group or others)
   whose first line it is; else CDX_PASSPHRASE holds it, wiped from the
   environment once read. 0, or -1 with the reason printed. */
int cli_passphrase (void);

/* ---- the commands (cmd_*.c) -------------------------------------------- */

int cmd_init (cli_t *cli, int argc, char **argv);         /* cmd_node.c */
int cmd_card (cli_t *cli, int argc, char **argv);
int cmd_keys (cli_t *cli, int argc, char **argv);
int cmd_run (cli_t *cli, int argc, char **argv);
int cmd_peer (cli_t *cli, int argc, char **argv);         /* cmd_peers.c */
int cmd_peers (cli_t *cli, int argc, char **argv);
int cmd_trust (cli_t *cli, int argc, char **argv);
int cmd_directory (cli_t *cli, int argc, char **argv);
int cmd_publish (cli_t *cli, int argc, char **argv);      /* cmd_data.c */
int cmd_subscribe (cli_t *cli, int argc, char **argv);
int cmd_unsubscribe (cli_t *cli, int argc, char **argv);
int cmd_subscriptions (cli_t *cli, int argc, char **argv);
int cmd_datasets (cli_t *cli, int argc, char **argv);
int cmd_export (cli_t *cli, int argc, char **argv);
int cmd_deliveries (cli_t *cli, int argc, char **argv);   /* cmd_wait.c */
int cmd_wait (cli_t *cli, int argc, char **argv);
int cmd_agreement (cli_t *cli, int argc, char **argv);    /* cmd_agreement.c */
int cmd_audit (cli_t *cli, int argc, char **argv);        /* cmd_audit.c */
int cmd_backup (cli_t *cli, int argc, char **argv);       /* cmd_backup.c */
int cmd_restore (cli_t *cli, int argc, char **argv);
int cmd_authority (cli_t *cli, int argc, char **argv);    /* cmd_authority.c */
int cmd_user (cli_t *cli, int argc, char **argv);         /* cmd_users.c */
int cmd_retention (cli_t *cli, int argc, char **argv);
int cmd_status (cli_t *cli, int argc, char **argv);       /* cmd_status.c */
int cmd_report (cli_t *cli, int argc, char **argv);       /* cmd_report.c */
int cmd_drill (cli_t *cli, int argc, char **argv);        /* cmd_drill.c */

/* ---- the running node's control socket (forward.c) ---------------------- */

/* The verb ARGV[0] sent to the running node at CLI's home, if one
   answers: its exit code. -1 if none answers and the command may run
   here (the home's owner, or root); else the exit code after saying that
   the node is not running, or that its socket is closed to this login. */
int cli_forward (cli_t *cli, int argc, char **argv);
/* The request server's handler (node_control_fn): runs CALL's verb for
   its caller, as its login, on the home of ARG (a cli_t *) only. */
int cli_serve (const node_control_call_t *call, void *arg);
/* The request server's warm-up (node_control_warm_fn): the node of ARG
   opened ahead of the request, its keys and store ready; the request's
   cli_open takes it (cli_ahead, once), checks the home again and acts as
   the caller (node_act_as). */
void cli_warm (void *arg);
node_t *cli_ahead (void);
/* 1 if the command ARGV (the verb first) always runs in this process
   (init, run, authority, help, restore, backup verify). */
int cli_direct_verb (int argc, char **argv);

#endif
