/*  card: the identity card of a cdx node, as text a person can read.

    A card names a node (ODS org code, role, display name, endpoint) and
    carries its three public keys; it is signed by the node's own signing
    key. Layout (SPEC.md "Identity card"; format 2, section 9.2, adds
    "node: LABEL" after "org:" for one of several nodes of an organisation):

        cdx-card: 1
        org: 0DF
        role: csu
        name: Example CSU
        endpoint: tcp://127.0.0.1:7101
        sign-key: <base64, 32 bytes>
        box-key: <base64, 32 bytes>
        curve-key: <base64, 32 bytes>
        created: 2026-11-25T21:00:00Z
        signature: <base64, 64 bytes>

    Lines end with "\n"; no other lines, no repeats, in this order. The
    signature covers every byte before the "signature: " line. This module
    formats and parses; checking the signature is the caller's job (with
    cx_verify over card_signed_part()).  Not for: trust decisions.
*/
#ifndef CARD_H_INCLUDED
#define CARD_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define CARD_MAX_BYTES  2048u
#define CARD_ORG_MAX    16u
#define CARD_LABEL_MAX  8u  /* a node label: 1 to 8 of a-z 0-9, a letter first */
#define CARD_ADDR_MAX   14u /* a node's address: ORG or ORG/LABEL */
#define CARD_NAME_MAX   120u
#define CARD_ENDPOINT_MAX 200u

/* What a card and a certificate (cert.h) both say of a node, in the order
   both write it: org, node (format 2 only), role, name, endpoint,
   sign-key, box-key, curve-key. An empty node label is the organisation's
   unlabelled node, written as format 1. */
#define CARD_IDENTITY_FIELDS                                                   \
    char     org[CARD_ORG_MAX + 1];         /* 3 to 5 upper-case letters/digits */ \
    char     node[CARD_LABEL_MAX + 1];      /* "" or the node's label */           \
    char     role[8];                       /* csu | ccg | icb | dscro */          \
    char     name[CARD_NAME_MAX + 1];       /* printable, no newline */            \
    char     endpoint[CARD_ENDPOINT_MAX + 1]; /* tcp://HOST:PORT */                \
    uint8_t  sign_pk[32];                                                      \
    uint8_t  box_pk[32];                                                       \
    uint8_t  curve_pk[32];

typedef struct {
    CARD_IDENTITY_FIELDS
} card_identity_t;

/* A card: an identity (as one value, c.identity, or field by field, c.org
   ...: the same bytes), when it was made and the node's signature. */
typedef struct {
    union {
        card_identity_t identity;
        struct {
            CARD_IDENTITY_FIELDS
        };
    };
    char     created[32];                   /* YYYY-MM-DDTHH:MM:SSZ */
    uint8_t  sig[64];
} card_t;

/* The card's format: 1 without a node label, 2 with one. */
int card_format_version (const card_identity_t *id);

/* Writes the signed part (everything before "signature: ") into BUF;
   *LEN receives its length. -1 if a field is invalid (reason: card_error). */
int card_format_body (const card_t *c, char *buf, size_t cap, size_t *len);

/* Writes the whole card, signature line included. */
int card_format (const card_t *c, char *buf, size_t cap, size_t *len);

/* Parses a whole card from outside bytes; on success *SIGNED_LEN is the
   length of the signed prefix of BUF. -1 on any deviation from the layout
   (reason: card_error). A fuzz target. */
int card_parse (const char *buf, size_t len, card_t *c, size_t *signed_len);

/* Validators shared with the CLI. 0 if valid, -1 if not. */
int card_valid_org (const char *org);
int card_valid_label (const char *label);    /* 1 to 8 of a-z 0-9, a letter first */
int card_valid_role (const char *role);
int card_valid_endpoint (const char *endpoint);
int card_valid_name (const char *name);      /* 1 to 120 bytes of printable UTF-8 */
int card_valid_time (const char *t);         /* YYYY-MM-DDTHH:MM:SSZ, a real date */

/* org, role, name and endpoint of ID, each by its validator above (the
   text fields must be NUL-terminated: the caller checks). */
int card_valid_identity (const card_identity_t *id);

/* A node's address (SPEC.md 9.2): ORG, or ORG/LABEL when LABEL is not
   empty (NULL counts as empty), into OUT (CARD_ADDR_MAX + 1 bytes). 0, or
   -1 if ORG or LABEL is invalid (reason: card_error), OUT then "". The one
   place an address is formed. */
int card_address (const char *org, const char *label, char out[CARD_ADDR_MAX + 1]);
/* The other way: ADDR split into ORG (CARD_ORG_MAX + 1 bytes) and LABEL
   (CARD_LABEL_MAX + 1 bytes, "" for an unlabelled node). 0, or -1 if ADDR
   is not a valid address (reason: card_error), both then "". */
int card_address_split (const char *addr, char org[CARD_ORG_MAX + 1],
                        char label[CARD_LABEL_MAX + 1]);
/* 1 if ADDR is the address of a node of organisation ORG (ORG itself, an
   unlabelled node, or ORG/LABEL), 0 otherwise (a malformed ADDR too). A
   delivery whose subscriber is such an address at a node of ORG is a
   copy to a sibling (SPEC.md 11.5): no organisation delivers to itself. */
int card_address_of_org (const char *addr, const char *org);

const char *card_error (void);

#endif
