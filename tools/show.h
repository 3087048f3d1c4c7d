/*  show: strings from outside this program, printed for a person or, as
    JSON, for a program.

    What cdx lists comes from a peer (a signed audit export, a card, a
    manifest), from the store, or from what a user typed (a path). Printed
    as it is, a control character in it would move the cursor, clear the
    screen or start a line that looks like one of cdx's own; an invalid
    UTF-8 byte can swallow the characters after it. So human output goes
    through show_printf, which prints like printf but escapes every %s
    and %c argument: printable UTF-8 is kept; ESC is \e; \n, \r and \t are
    written as those two characters; other control characters, DEL and
    bytes that are not UTF-8 as \xHH; code points that print nothing or
    turn the text around them (C1 controls, zero-width characters, line
    separators, bidirectional controls, tags, noncharacters) as \u{HHHH};
    a backslash as \\, so that an escape shown is never ambiguous.

    JSON output (show_json) stays exact: every string is the stored one,
    with control characters escaped as JSON requires (\n, \u001b ...);
    only bytes that are not UTF-8, which JSON cannot carry, become U+FFFD.

    Not for: CSV (cmd_audit.c quotes it, RFC 4180, exact), or choosing what to
    print.
*/
#ifndef SHOW_H_INCLUDED
#define SHOW_H_INCLUDED

#include <stdarg.h>
#include <stdio.h>

/* printf to F with every %s and %c argument escaped for a terminal; a
   field width or precision counts the characters shown (escapes
   included), so columns stay aligned. */
void show_printf (FILE *f, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void show_vprintf (FILE *f, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));

/* S as a JSON string, quotes included. */
void show_json (FILE *f, const char *s);

/* An optional value as JSON: null when S is NULL or empty (absent), else
   S as show_json writes it. Every --json listing writes an absent string
   this way, never as "". */
void show_json_opt (FILE *f, const char *s);

/* The characters S takes when show_printf prints it (escapes included):
   what a column of a table must hold. */
size_t show_width (const char *s);

#endif
