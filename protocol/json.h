/*  json: JSON strings exactly as cdx writes them, and the strict UTF-8
    decoding under them.

    One definition for every JSON document cdx writes: the signed audit
    export (auditexport.h), whose bytes an organisation signs, and the
    command line's --json listings (tools/show.c). A string is written as
    stored: '"' and '\\' escaped, \n, \r and \t as those escapes, other
    control characters, DEL, the C1 controls and U+2028/U+2029 as \u00XX
    (lower-case hex); each byte that does not start a strict UTF-8
    sequence, which JSON cannot carry, becomes \ufffd.

    Not for: reading JSON (auditexport.c reads the one subset it needs),
    escaping for a terminal (tools/show.c).
*/
#ifndef JSON_H_INCLUDED
#define JSON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Decodes one strict UTF-8 sequence at S (no overlong forms, surrogates
   or values above U+10FFFF) into *CP: its length in bytes, or 0 if S does
   not start one. Never reads past a NUL: a NUL is not a continuation
   byte. */
size_t json_utf8 (const unsigned char *s, uint32_t *cp);

/* S (NULL: "") as a JSON string, quotes included, to F. */
void json_string (FILE *f, const char *s);

#endif
