/*  manpage: cdx(1) and the bash completion, written from the command
    table that makes cdx --help (cdx.c), so that neither can drift from
    it: cdx help --man and cdx help --completion bash, run by the build.

    The man page takes each command's usage, summary and help as they
    are, laid out in roff; the completion takes the verbs, each verb's
    sub-verbs (the words its usage names first) and the options each
    command's own table parses (cli_describe), by sub-verb.

    Not for: --help itself (cdx.c, cli_help), or anything that runs a
    command.
*/
#ifndef MANPAGE_H_INCLUDED
#define MANPAGE_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* What the page says beside the commands: the text of cdx --help after
   its list of commands (GENERAL) and the exit codes (EXITS), each lines
   of text as --help prints them. */
typedef struct {
    const char *version;
    const char *general;
    const char *exits;
} man_text_t;

/* cdx(1) in roff (man(7)) on F, for the N commands CMDS. 0, or -1 if F
   could not be written. */
int man_page (FILE *f, const cli_command_t *cmds, size_t n, const man_text_t *text);

/* A bash completion script for cdx on F. Runs each command in describe
   mode (cli_describe) to read its option table. 0, or -1 with the reason
   on stderr (a command that did not describe itself, F not written). */
int man_completion_bash (FILE *f, const cli_command_t *cmds, size_t n);

#endif
