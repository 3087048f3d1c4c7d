/*  check_crypto.h: the fixture and helpers the crypto/cx suite's files
    share (defined in check_crypto.c), and the function each file adds its
    test cases with.

    Not for: tests. What one file alone uses stays static in it.
*/
#ifndef CHECK_CRYPTO_H_INCLUDED
#define CHECK_CRYPTO_H_INCLUDED

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "cx.h"

/* A fresh mkdtemp directory per test, inside one made by main() and
   removed at its end (a test that fails in a forked child skips its
   teardown). */
void setup (void);
void teardown (void);
/* TCase NAME with that fixture. */
TCase *tcase (const char *name);

/* Path of NAME inside the test directory, in a rotating static buffer. */
const char *tpath (const char *name);
size_t read_file (const char *path, uint8_t *buf, size_t cap);
void write_file (const char *path, const uint8_t *buf, size_t len, mode_t mode);
/* The size of a key file of TYPE. */
size_t file_len (cx_keytype_t type);
extern const cx_keytype_t all_types[3];
/* Saves a new key pair of TYPE as NAME and returns the file's bytes in BUF
   (at least 128 bytes). The caller destroys *KP_P if KP_P is given. */
size_t saved_keyfile (cx_keytype_t type, const char *name, uint8_t *buf, cx_keypair_t **kp_p);
/* Writes BUF as a fresh 0600 file NAME and asserts that loading it as EXPECT fails. */
void assert_load_refuses (const uint8_t *buf, size_t len, const char *name, cx_keytype_t expect);
void unhex_or_die (const char *hex, uint8_t *out, size_t outlen);

/* Golden keys: RFC 8032 section 7.1 test 1, RFC 7748 section 6.1 Alice. */
extern const char *const rfc8032_seed, *const rfc8032_pk, *const rfc8032_sig, *const rfc8032_fp;
extern const char *const rfc7748_sk, *const rfc7748_pk, *const rfc7748_fp;
/* The documented key files of those keys, byte by byte. */
size_t golden_sign_keyfile (uint8_t buf[112]);
size_t golden_box_keyfile (uint8_t buf[80], cx_keytype_t type);

/* The 32 raw bytes of K, recovered by wrapping it for a throwaway box key
   and opening the sealed box with libsodium directly. */
void raw_content_key (const cx_content_t *k, uint8_t raw[CX_KEYBYTES]);

#define N(a) ((int)(sizeof (a) / sizeof (a)[0]))

/* Each file's test cases, in the order the suite runs them. */
void crypto_keys_tcases (Suite *s);     /* check_crypto_keys.c */
void crypto_seal_tcases (Suite *s);     /* check_crypto_seal.c */
void crypto_encoding_tcases (Suite *s); /* check_crypto_encoding.c */
void crypto_spec_tcases (Suite *s);     /* check_crypto_spec.c */

#endif
