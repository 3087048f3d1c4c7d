/*  manpage.c: cdx(1) and the bash completion from the command table (see
    manpage.h). */
#include "manpage.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* ---- roff ------------------------------------------------------------- */

/* LEN bytes of TEXT as roff text: a backslash as \e, a hyphen as \-
   (options stay options when pasted), and a line that would start with
   a control character (. or ') guarded by \&. */
static void s_roff (FILE *f, const char *text, size_t len)
{
    if (len && (text[0] == '.' || text[0] == '\''))
        fputs ("\\&", f);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\\')
            fputs ("\\e", f);
        else if (text[i] == '-')
            fputs ("\\-", f);
        else
            fputc (text[i], f);
    }
}

/* TEXT, lines as --help prints them, as roff: a blank line a new
   paragraph, prose lines filled, and indented lines (option lists,
   examples) kept as they are. */
static void s_block (FILE *f, const char *text)
{
    int kept = 0;
    while (*text) {
        const char *end = strchr (text, '\n');
        size_t len = end ? (size_t) (end - text) : strlen (text);
        if (len == 0) {
            fputs (kept ? ".fi\n.PP\n" : ".PP\n", f);
            kept = 0;
        } else if (text[0] == ' ') {
            if (!kept)
                fputs (".nf\n", f);
            kept = 1;
            s_roff (f, text, len);
            fputc ('\n', f);
        } else {
            if (kept)
                fputs (".fi\n", f);
            kept = 0;
            s_roff (f, text, len);
            fputc ('\n', f);
        }
        text += len + (end != NULL);
    }
    if (kept)
        fputs (".fi\n", f);
}

/* A command's usage, one synopsis line per line of it, each "cdx ...". */
static void s_usage (FILE *f, const char *usage)
{
    fputs (".nf\n", f);
    for (int first = 1; *usage; first = 0) {
        while (*usage == ' ')
            usage++;
        const char *end = strchr (usage, '\n');
        size_t len = end ? (size_t) (end - usage) : strlen (usage);
        if (first || strncmp (usage, "cdx ", 4) != 0)
            fputs (first ? "\\fBcdx\\fR " : "    ", f);
        s_roff (f, usage, len);
        fputc ('\n', f);
        usage += len + (end != NULL);
    }
    fputs (".fi\n", f);
}

static const char *s_service =
    "Under systemd, one instance of the unit cdx@.service runs each node: cdx@NAME runs\n"
    "cdx run \\-\\-home /var/lib/cdx/NAME as the system user cdx (created by the package),\n"
    "Type=notify: it reports READY=1 once it listens, a STATUS= line (peers connected,\n"
    "deliveries queued, transfers) when that changes, WATCHDOG=1 at half of WatchdogSec from\n"
    "its event loop (a hung loop is restarted), and STOPPING=1. Its log goes to the journal\n"
    "with each line's priority; cdx run \\-\\-log-level sets the lowest written.\n"
    ".PP\n"
    "Commands reach the running node through its control socket, /run/cdx/NAME.sock (mode\n"
    "0660, group cdx): add the people who use the node to the group cdx; each request is\n"
    "authorised by the caller's login and the roles the node gives it (cdx user).\n"
    ".PP\n"
    "SIGHUP stops the node cleanly, as SIGTERM does: every change made with cdx takes effect at\n"
    "once, so there is nothing to reload, and there is no log file to reopen. The unit has no\n"
    "ExecReload; it has Restart=always, so systemctl kill \\-s HUP cdx@NAME restarts the node\n"
    "cleanly, as systemctl restart does (systemctl stop stops it for good).\n"
    ".PP\n"
    "To run a node:\n"
    ".nf\n"
    "  runuser \\-u cdx \\-\\- cdx init \\-\\-home /var/lib/cdx/NAME \\-\\-org CODE \\-\\-role csu \\e\n"
    "      \\-\\-name \"Example CSU\" \\-\\-endpoint tcp://HOST:7101\n"
    "  systemctl enable \\-\\-now cdx@NAME\n"
    "  journalctl \\-u cdx@NAME\n"
    ".fi\n"
    "To protect the key files with a passphrase, make it first and give it to cdx init (runuser\n"
    "keeps the environment), then to the service as a credential, in a drop-in made with\n"
    "systemctl edit cdx@NAME:\n"
    ".nf\n"
    "  install \\-d \\-m 0700 /etc/cdx\n"
    "  (umask 077; head \\-c 32 /dev/urandom | base64 > /etc/cdx/NAME.passphrase)\n"
    "  CDX_PASSPHRASE=$(cat /etc/cdx/NAME.passphrase) runuser \\-u cdx \\-\\- cdx init ...\n"
    "\n"
    "  [Service]\n"
    "  LoadCredential=passphrase:/etc/cdx/NAME.passphrase\n"
    "  Environment=CDX_PASSPHRASE_FILE=%d/passphrase\n"
    ".fi\n";

static const char *s_environment =
    ".TP\n.B CDX_HOME\nthe home when \\-\\-home is not given (else $XDG_DATA_HOME/cdx or ~/.local/share/cdx)\n"
    ".TP\n.B CDX_PASSPHRASE_FILE\na 0600 file whose first line is the passphrase of protected key files\n"
    ".TP\n.B CDX_PASSPHRASE\nthe passphrase itself, wiped from the environment once read\n"
    ".TP\n.B CDX_AUTHORITY_HOME\nthe authority's home for cdx authority\n"
    ".TP\n.B NOTIFY_SOCKET, WATCHDOG_USEC\nset by systemd for cdx run (sd_notify(3))\n"
    ".TP\n.B JOURNAL_STREAM\nset by systemd: when it names stderr, log lines carry \"<N>\" priorities\n"
    ".TP\n.B COLUMNS\nthe width cdx audit fits its table to\n";

static const char *s_files =
    ".TP\n.I /var/lib/cdx/NAME\nthe home of the node cdx@NAME (keys, store.db, data/)\n"
    ".TP\n.I /run/cdx/NAME.sock\nits control socket\n"
    ".TP\n.I /lib/systemd/system/cdx@.service\nthe unit (under the prefix when installed with make install)\n";

int man_page (FILE *f, const cli_command_t *cmds, size_t n, const man_text_t *text)
{
    fprintf (f, ".\\\" cdx(1), generated by cdx help --man from the command table of cdx --help.\n"
                ".TH CDX 1 \"\" \"cdx %s\" \"User Commands\"\n"
                ".SH NAME\ncdx \\- exchange encrypted, signed datasets between NHS organisations\n"
                ".SH SYNOPSIS\n.nf\n\\fBcdx\\fR [\\fB\\-\\-home\\fR \\fIDIR\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
                "\\fBcdx\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR\n\\fBcdx \\-\\-version\\fR\n.fi\n"
                ".SH DESCRIPTION\n",
             text->version);
    s_block (f, text->general);
    fputs (".SH COMMANDS\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf (f, ".SS %s\n", cmds[i].name);
        s_usage (f, cmds[i].usage);
        fputs (".PP\n", f);
        s_block (f, cmds[i].summary);
        fputs ("\n.PP\n", f);
        s_block (f, cmds[i].help);
    }
    fputs (".SS help\n.nf\n\\fBcdx\\fR help [COMMAND]\n\\fBcdx\\fR help \\-\\-man\n"
           "\\fBcdx\\fR help \\-\\-completion bash\n.fi\n.PP\n"
           "The help of COMMAND (as cdx COMMAND \\-\\-help), or of cdx; \\-\\-man writes this page (roff) and\n"
           "\\-\\-completion bash a bash completion script, both from the table that makes \\-\\-help.\n",
           f);
    fputs (".SH \"RUNNING AS A SERVICE\"\n", f);
    fputs (s_service, f);
    fputs (".SH \"EXIT STATUS\"\n", f);
    const char *exits = strchr (text->exits, '\n');      /* after its heading */
    s_block (f, exits ? exits + 1 : text->exits);
    fputs (".SH ENVIRONMENT\n", f);
    fputs (s_environment, f);
    fputs (".SH FILES\n", f);
    fputs (s_files, f);
    fputs (".SH \"SEE ALSO\"\n.BR systemctl (1),\n.BR journalctl (1),\n.BR systemd.exec (5),\n"
           ".BR sd_notify (3);\nREADME.md and docs/OPERATIONS.md in /usr/share/doc/cdx\n",
           f);
    return fflush (f) == 0 && !ferror (f) ? 0 : -1;
}

/* ---- bash completion -------------------------------------------------- */

#define S_SUBS_MAX 16

typedef struct {
    const char *verb;          /* as the command described itself */
    const cli_opt_t *opts;
    size_t count;
    int described;
} s_desc_t;

static void s_take (const char *verb, const cli_opt_t *opts, size_t count, void *arg)
{
    s_desc_t *d = arg;
    d->verb = verb;
    d->opts = opts;
    d->count = count;
    d->described = 1;
}

/* The sub-verbs a usage names: at the start of each of its alternatives
   (lines, and " | " outside brackets), after "cdx" and the verb, a
   lowercase word (or one in [ ]). How many, into SUBS (each a copy). */
static size_t s_subs (const char *verb, const char *usage, char subs[][32], size_t cap)
{
    size_t n = 0, vlen = strlen (verb);
    int depth = 0;
    for (const char *p = usage; *p;) {
        while (*p == ' ' || *p == '|')
            p++;
        if (strncmp (p, "cdx ", 4) == 0)
            p += 4;
        if (strncmp (p, verb, vlen) == 0 && (p[vlen] == ' ' || p[vlen] == '\n' || !p[vlen]))
            p += vlen;
        while (*p == ' ')
            p++;
        const char *w = p + (*p == '[');
        size_t len = 0;
        while (islower ((unsigned char) w[len]) || (len && w[len] == '-'))
            len++;
        int ends = w[len] == ' ' || w[len] == '\n' || !w[len] || (*p == '[' && w[len] == ']');
        if (depth == 0 && len && len < 32 && ends) {
            size_t k = 0;
            while (k < n && !(strlen (subs[k]) == len && strncmp (subs[k], w, len) == 0))
                k++;
            if (k == n && n < cap)
                snprintf (subs[n++], 32, "%.*s", (int) len, w);
        }
        /* on to the next alternative: a new line, or " | " at depth 0 */
        for (; *p; p++) {
            if (*p == '(' || *p == '[')
                depth++;
            else if ((*p == ')' || *p == ']') && depth > 0)
                depth--;
            else if (*p == '\n' || (depth == 0 && strncmp (p, " | ", 3) == 0)) {
                depth = 0;
                p++;
                break;
            }
        }
    }
    return n;
}

/* 1 if WORD is one of the space-separated LIST. */
static int s_in (const char *list, const char *word)
{
    size_t len = strlen (word);
    for (const char *p = list; (p = strstr (p, word)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
            return 1;
    return 0;
}

/* 1 if option O is taken by FORM: every form (forms NULL), FORM among its
   forms, or, for the bare command (FORM ""), a form that is none of the
   NSUBS sub-verbs (audit's "list": cdx audit with filters). */
static int s_takes (const cli_opt_t *o, const char *form, char subs[][32], size_t nsubs)
{
    if (!o->forms)
        return 1;
    if (*form)
        return s_in (o->forms, form);
    char word[32];
    for (const char *p = o->forms; *p;) {
        size_t len = strcspn (p, " ");
        snprintf (word, sizeof word, "%.*s", (int) len, p);
        size_t k = 0;
        while (k < nsubs && strcmp (subs[k], word) != 0)
            k++;
        if (k == nsubs)
            return 1;
        p += len + (p[len] == ' ');
    }
    return 0;
}

/* The options of D that FORM takes (ARGS: only those taking a value),
   long and short, with --home (and --help), on one line. */
static void s_options (FILE *f, const s_desc_t *d, const char *form, char subs[][32], size_t nsubs, int args)
{
    fputs (args ? "--home" : "--home --help", f);
    for (size_t k = 0; k < d->count; k++) {
        const cli_opt_t *o = &d->opts[k];
        if ((args && !o->arg) || (!args && !s_takes (o, form, subs, nsubs)))
            continue;
        fprintf (f, " --%s", o->name);
        if (o->letter)
            fprintf (f, " -%c", o->letter);
    }
}

static const char *s_bash_body =
    "_cdx()\n"
    "{\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=\"\" verb=\"\" sub=\"\" w i=1\n"
    "    [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    # the verb (after --home DIR), then its sub-verb if one is named\n"
    "    while [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        if [ -z \"$verb\" ]; then\n"
    "            case $w in --home) i=$((i + 1)) ;; -*) ;; *) verb=$w ;; esac\n"
    "        elif _cdx_has \"$(_cdx_args \"$verb\")\" \"$w\"; then\n"
    "            i=$((i + 1))\n"
    "        elif [ -z \"$sub\" ] && _cdx_has \"$(_cdx_subs \"$verb\")\" \"$w\"; then\n"
    "            sub=$w\n"
    "        fi\n"
    "        i=$((i + 1))\n"
    "    done\n"
    "    if _cdx_has \"$(_cdx_args \"$verb\")\" \"$prev\" || { [ -z \"$verb\" ] && [ \"$prev\" = --home ]; }; then\n"
    "        COMPREPLY=($(compgen -f -- \"$cur\"))         # an option's value: a file or directory\n"
    "        return 0\n"
    "    fi\n"
    "    case $verb in\n"
    "        \"\") COMPREPLY=($(compgen -W \"$_cdx_verbs --home --help --version\" -- \"$cur\")) ;;\n"
    "        help)\n"
    "            if [ \"$prev\" = --completion ]; then COMPREPLY=($(compgen -W bash -- \"$cur\"))\n"
    "            else COMPREPLY=($(compgen -W \"$_cdx_verbs --man --completion\" -- \"$cur\")); fi ;;\n"
    "        *)\n"
    "            if [ \"${cur#-}\" != \"$cur\" ]; then\n"
    "                COMPREPLY=($(compgen -W \"$(_cdx_opts \"$verb:$sub\")\" -- \"$cur\"))\n"
    "            elif [ -z \"$sub\" ] && [ -n \"$(_cdx_subs \"$verb\")\" ]; then\n"
    "                COMPREPLY=($(compgen -W \"$(_cdx_subs \"$verb\")\" -- \"$cur\"))\n"
    "            else\n"
    "                COMPREPLY=($(compgen -f -- \"$cur\"))     # an operand: a file, an id\n"
    "            fi ;;\n"
    "    esac\n"
    "    return 0\n"
    "}\n"
    "# 1 if WORD ($2) is one of the space-separated LIST ($1).\n"
    "_cdx_has() { case \" $1 \" in *\" $2 \"*) [ -n \"$2\" ] ;; *) return 1 ;; esac; }\n"
    "complete -o filenames -F _cdx cdx\n";

int man_completion_bash (FILE *f, const cli_command_t *cmds, size_t n)
{
    s_desc_t *desc = calloc (n ? n : 1, sizeof *desc);
    char (*subs)[S_SUBS_MAX][32] = calloc (n ? n : 1, sizeof *subs);
    size_t *nsubs = calloc (n ? n : 1, sizeof *nsubs);
    int rc = -1;
    if (!desc || !subs || !nsubs) {
        fprintf (stderr, "cdx: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        cli_t cli = {0};
        char *argv[] = {(char *) cmds[i].name, NULL};
        cli_describe (s_take, &desc[i]);
        optind = 1;
        cmds[i].fn (&cli, 1, argv);
        cli_describe (NULL, NULL);
        if (!desc[i].described || strcmp (desc[i].verb, cmds[i].name) != 0) {
            fprintf (stderr, "cdx: %s did not describe its options (cli_parse must come first in cmd_%s)\n",
                     cmds[i].name, cmds[i].name);
            goto out;
        }
        nsubs[i] = s_subs (cmds[i].name, cmds[i].usage, subs[i], S_SUBS_MAX);
    }
    fputs ("# bash completion for cdx(1), generated by cdx help --completion bash from the\n"
           "# command table of cdx --help and each command's own option table.\n_cdx_verbs=\"",
           f);
    for (size_t i = 0; i < n; i++)
        fprintf (f, "%s ", cmds[i].name);
    fputs ("help\"\n# the sub-verbs of a verb\n_cdx_subs()\n{\n    case $1 in\n", f);
    for (size_t i = 0; i < n; i++) {
        if (!nsubs[i])
            continue;
        fprintf (f, "        %s) echo \"", cmds[i].name);
        for (size_t k = 0; k < nsubs[i]; k++)
            fprintf (f, "%s%s", k ? " " : "", subs[i][k]);
        fputs ("\" ;;\n", f);
    }
    fputs ("    esac\n}\n# the options of a verb that take a value\n_cdx_args()\n{\n    case $1 in\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf (f, "        %s) echo \"", cmds[i].name);
        s_options (f, &desc[i], "", subs[i], nsubs[i], 1);
        fputs ("\" ;;\n", f);
    }
    fputs ("    esac\n}\n# the options of VERB:SUB-VERB (VERB: alone)\n_cdx_opts()\n{\n    case $1 in\n", f);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k <= nsubs[i]; k++) {
            const char *form = k == 0 ? "" : subs[i][k - 1];
            fprintf (f, "        %s:%s) echo \"", cmds[i].name, form);
            s_options (f, &desc[i], form, subs[i], nsubs[i], 0);
            fputs ("\" ;;\n", f);
        }
    fputs ("    esac\n}\n", f);
    fputs (s_bash_body, f);
    rc = fflush (f) == 0 && !ferror (f) ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "cdx: cannot write the completion script\n");
out:
    free (desc);
    free (subs);
    free (nsubs);
    return rc;
}
