/*  auditexport: the signed audit export, format cdx-audit-export/1, written
    by the exporting node and read by the organisation it is given to.

    An export is a node's whole audit log as one JSON object, signed with
    the node's Ed25519 key so that the receiver can check, with the
    signing key it pinned for that node, that it came from there
    unaltered:

      {"format":"cdx-audit-export/1","org":"0DF","sign_key":"<64 hex>",
       "exported":"<UTC>","entries":[<entry>,...],"signature":"<128 hex>"}\n

    and each entry, in seq order, with "" for an empty field (the format
    was fixed when it was signed; listings write null instead):

      {"seq":N,"at":"<UTC>","actor":"..","action":"..","object":"..",
       "peer":"..","purpose":"..","decision":"..","rule":"..",
       "detail":"..","hash":"<64 hex>"}

    Strings are json_string's (json.h); times YYYY-MM-DDTHH:MM:SSZ. The
    signature is Ed25519 over "cdx-audit-export" NUL and every byte before
    the comma that opens the "signature" member, which must be the last.
    The reader accepts only that shape (a JSON subset: objects, arrays,
    strings, integers, true/false/null; unknown members skipped), refuses
    anything else, and never trusts a length it did not check: the text
    comes from another organisation (fuzz/fuzz_auditexport.c).

    Not for: signing or verifying (the node holds the keys: node/reconcile.c),
    what the entries mean or reconciling them (node/reconcile.c).
    Errors: 0 / -1, with the reason in ERR.
*/
#ifndef AUDITEXPORT_H_INCLUDED
#define AUDITEXPORT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AUDITEXPORT_FORMAT "cdx-audit-export/1"
#define AUDITEXPORT_TAG "cdx-audit-export"     /* signed before the body, with its NUL */
#define AUDITEXPORT_ENTRIES_MAX 4000000        /* entries a reader takes */
#define AUDITEXPORT_SIG_HEX 128                /* hex digits of the signature */

/* One entry of the log. The field sizes are those of an audit row in the
   store (store_audit_t): a longer string is refused by the reader. */
typedef struct {
    int64_t seq;
    int64_t at;              /* unix seconds; written, not read (0) */
    char actor[129];
    char action[24];
    char object[129];
    char peer[17];
    char purpose[64];
    char decision[8];
    char rule[48];
    char detail[513];
    uint8_t hash[32];
} auditexport_entry_t;

/* ---- writing ---------------------------------------------------------- */

/* An export being written into memory: the signed body first, then the
   signature member. */
typedef struct {
    FILE *mem;
    char *text;
    size_t len;
    int64_t count;           /* entries written */
} auditexport_writer_t;

/* Starts the export of organisation ORG, whose signing key is SIGN_PK,
   made at EXPORTED (unix seconds). 0, or -1 (out of memory) with W
   cleared. auditexport_writer_free releases it on every path. */
int auditexport_begin (auditexport_writer_t *w, const char *org, const uint8_t sign_pk[32], int64_t exported);

/* Appends entry E. 0, or -1 once memory has run out. */
int auditexport_add (auditexport_writer_t *w, const auditexport_entry_t *e);

/* Ends the signed part: *MSG (malloc'd, caller frees) and *MSG_LEN are
   what the signature covers, "cdx-audit-export" NUL and the body. 0, or
   -1 (out of memory). */
int auditexport_signed (auditexport_writer_t *w, uint8_t **msg, size_t *msg_len);

/* Appends the signature SIG and ends the document: *TEXT and *LEN (owned
   by W) are the whole export. 0, or -1 (out of memory). */
int auditexport_finish (auditexport_writer_t *w, const uint8_t sig[64], const char **text, size_t *len);

void auditexport_writer_free (auditexport_writer_t *w);

/* ---- reading ---------------------------------------------------------- */

/* A parsed export. ENTRIES (COUNT of them) is malloc'd: free with
   auditexport_free. The signature is NOT checked here. */
typedef struct {
    char org[17];            /* an ODS code (card_valid_org) */
    uint8_t sign_pk[32];
    uint8_t sig[64];
    size_t body_len;         /* the signed prefix of the text */
    auditexport_entry_t *entries;   /* every field but at */
    size_t count;
} auditexport_t;

/* Parses an export (outside bytes: any input is safe). 0, or -1 with the
   reason in ERR and X cleared. */
int auditexport_parse (const char *text, size_t len, auditexport_t *x, char *err, size_t errlen);
void auditexport_free (auditexport_t *x);

/* "cdx-audit-export" NUL | BODY, as signed or verified: malloc'd (caller
   frees), or NULL (out of memory, or LEN too large). */
uint8_t *auditexport_message (const char *body, size_t len, size_t *msg_len);

#endif
