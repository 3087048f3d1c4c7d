/*  cert: certificates, directories and the authority file of the national
    trust network (SPEC.md "Certificates and the directory").

    A national authority (in England, NHS England) vouches for nodes. Its
    public key is published as an authority file; each node's operator
    chooses to trust it (cdx trust --authority FILE). The authority signs:

    - a certificate per node (format 2 names the node's label: one of
      several nodes of an organisation, SPEC.md 9.2), binding the organisation (ODS code, role,
      name, endpoint) to the node's three public keys, with its Data
      Security and Protection Toolkit (DSPT) status and assessment year,
      a validity period and a serial number;
    - a directory: every current certificate and every revocation, with a
      serial number that only grows and an expiry time. Nodes replace the
      directory they hold only with a newer one, so a replayed old one
      cannot undo a revocation.

    All three are rigid text, like the identity card (card.h): "key: value"
    lines in one order, nothing else, canonical base64, so that there is
    exactly one text per object and the signed prefix is unambiguous.
    Each signature is Ed25519 over every byte before the "signature: "
    line; the first line ("cdx-cert: 1", "cdx-directory: 1",
    "cdx-authority: 1") keeps one kind of object from being taken for
    another. Parsers treat their input as hostile (sizes first, counts
    bounded before anything is allocated); each is a fuzz target.

    Not for: deciding what a node does with a peer (node/), keys on disk
    (crypto/). Errors: 0 / -1 with the reason in cert_error(), or a
    cert_status_t for checks.
*/
#ifndef CERT_H_INCLUDED
#define CERT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "card.h"

#define CERT_MAX_BYTES           2048u          /* one certificate, as text */
#define CERT_AUTHORITY_MAX_BYTES 1024u          /* an authority file */
#define CERT_DIR_MAX_CERTS       512u           /* certificates in a directory */
#define CERT_DIR_MAX_REVOKED     1024u          /* revocations in a directory */
#define CERT_DIR_MAX_BYTES       (1024u * 1024u) /* a whole directory, as text */
#define CERT_SERIAL_MAX          ((uint64_t) INT64_MAX)

/* DSPT status values: dspt.def (proto_dspt_known). Year: "2025/26". */
#define CERT_DSPT_MAX 23u
#define CERT_DSPT_YEAR_MAX 7u

typedef struct {
    uint64_t serial;                           /* 1 ... CERT_SERIAL_MAX, unique per authority */
    union {                                    /* c.identity, or c.org ... (card.h) */
        card_identity_t identity;
        struct {
            CARD_IDENTITY_FIELDS
        };
    };
    char     dspt[CERT_DSPT_MAX + 1];
    char     dspt_year[CERT_DSPT_YEAR_MAX + 1];
    int64_t  not_before;                       /* unix seconds, UTC, whole seconds */
    int64_t  not_after;                        /* > not_before */
    uint8_t  authority_pk[32];                 /* the key that signs it */
    uint8_t  sig[64];
} cert_t;

typedef struct {
    char     org[CARD_ORG_MAX + 1];
    char     node[CARD_LABEL_MAX + 1];         /* "" or the node's label (format 2) */
    uint8_t  sign_pk[32];                      /* the revoked node signing key */
    int64_t  at;                               /* when it was revoked */
} cert_revoked_t;

typedef struct {
    char     authority[CARD_NAME_MAX + 1];     /* the authority's name */
    uint8_t  authority_pk[32];
    uint64_t serial;                           /* 1 ... CERT_SERIAL_MAX, grows */
    int64_t  issued;
    int64_t  expires;                          /* > issued */
    size_t   ncerts;
    cert_t  *certs;                            /* owned; cert_dir_free */
    size_t   nrevoked;
    cert_revoked_t *revoked;                   /* owned; cert_dir_free */
    uint8_t  sig[64];
} cert_dir_t;

typedef struct {
    char     name[CARD_NAME_MAX + 1];
    uint8_t  key[32];                          /* Ed25519 public key */
    int64_t  created;
    uint8_t  sig[64];                          /* self-signature */
} cert_authority_t;

typedef enum {
    CERT_OK = 0,
    CERT_E_SIGNER,       /* signed (or claims to be) by another authority */
    CERT_E_SIGNATURE,    /* the signature does not verify: altered or forged */
    CERT_E_NOT_YET,      /* its validity has not begun */
    CERT_E_EXPIRED       /* its validity has ended */
} cert_status_t;

const char *cert_error (void);
const char *cert_status_name (cert_status_t st);   /* "signer", "signature", ... */

int cert_valid_dspt (const char *dspt);
int cert_valid_dspt_year (const char *year);
/* Unix seconds as YYYY-MM-DDTHH:MM:SSZ (OUT holds 21 bytes); and back
   (-1 on anything but a valid time of that form). */
void cert_time_format (int64_t t, char out[21]);
int cert_time_parse (const char *s, int64_t *t);

/* ---- certificates ---- */

/* The signed part (BUF NUL-terminated, *LEN its length) and the whole
   certificate. -1 if a field is invalid or CAP too small. */
int cert_format_body (const cert_t *c, char *buf, size_t cap, size_t *len);
int cert_format (const cert_t *c, char *buf, size_t cap, size_t *len);
/* Parses outside bytes; -1 on any deviation from the layout. A fuzz target. */
int cert_parse (const char *buf, size_t len, cert_t *c);
/* Signed by AUTHORITY_PK, signature valid, valid at NOW. */
cert_status_t cert_check (const cert_t *c, const uint8_t authority_pk[32], int64_t now);

/* ---- directories ---- */

/* Allocates room for NCERTS certificates and NREVOKED revocations (both
   within the limits above), zeroed; -1 otherwise. */
int cert_dir_alloc (cert_dir_t *d, size_t ncerts, size_t nrevoked);
/* Frees what a directory owns and zeroes it; safe on a zeroed one. */
void cert_dir_free (cert_dir_t *d);
/* *OUT receives a malloc'd NUL-terminated text (caller frees), *LEN its
   length. -1 if any field or embedded certificate is invalid. */
int cert_dir_format_body (const cert_dir_t *d, char **out, size_t *len);
/* The format a directory is written in: 1 while it holds only format 1
   certificates, one per organisation, and no revocation of a labelled
   node; 2 otherwise (SPEC.md 9.2). */
int cert_dir_format_version (const cert_dir_t *d);
int cert_dir_format (const cert_dir_t *d, char **out, size_t *len);
/* Parses outside bytes into D (which it allocates; cert_dir_free). -1 on
   any deviation, D left zeroed. A fuzz target. */
int cert_dir_parse (const char *buf, size_t len, cert_dir_t *d);
/* The directory claims AUTHORITY_PK and its signature, and the signature
   of every certificate in it, verify. Expiry is the caller's to judge
   (nodes allow a grace period). */
cert_status_t cert_dir_check (const cert_dir_t *d, const uint8_t authority_pk[32]);

/* ---- the authority file ---- */

int cert_authority_format_body (const cert_authority_t *a, char *buf, size_t cap, size_t *len);
int cert_authority_format (const cert_authority_t *a, char *buf, size_t cap, size_t *len);
int cert_authority_parse (const char *buf, size_t len, cert_authority_t *a);
/* Its self-signature verifies. */
cert_status_t cert_authority_check (const cert_authority_t *a);

#endif
