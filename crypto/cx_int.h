/*  cx_int.h: what the files of crypto/ share and nothing else sees.

    The key pair's layout, the error setter and the key type helpers that
    cx.c, keyfile.c and content.c all use. Nothing outside crypto/ includes
    this header: the rest of cdx knows only cx.h, where a key pair is opaque.
*/
#ifndef CX_INT_H_INCLUDED
#define CX_INT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "cx.h"

struct cx_keypair {
    cx_keytype_t type;
    uint8_t pk[CX_SIGN_PUBLICKEYBYTES];
    uint8_t *sk; /* sodium_malloc'd, sklen bytes */
    size_t sklen;
};

/* Sets this thread's reason for the last failure (read with cx_error). */
void cx_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* The name of TYPE for messages ("sign", "box", "curve"); "unknown" for
   anything else. Never NULL. */
const char *keytype_name (cx_keytype_t type);

/* Secret key length for TYPE, or 0 if TYPE is not a key type. */
size_t keytype_sklen (int type);

/* An empty key pair of TYPE with its secret buffer allocated, or NULL with
   the reason set. The caller frees it with cx_keypair_destroy. */
cx_keypair_t *keypair_alloc (cx_keytype_t type);

/* First CX_FINGERPRINTBYTES of BLAKE2b-256(pk). */
void fingerprint_raw (const uint8_t pk[32], uint8_t fp[CX_FINGERPRINTBYTES]);

#endif
