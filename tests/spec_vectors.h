/*  spec_vectors.h: the cryptographic test vectors of protocol/SPEC.md
    section 18.16 to 18.21, one definition for the suites that check them
    (check_crypto: keys, fingerprints, the sealed chunk and the wrapped
    key; check_protocol: manifest, receipt and card signatures;
    tests/store/check_audit.c: the audit chain). The expected values were computed with
    an independent implementation (PyNaCl and Python's hashlib), not with
    cdx; a test that fails here means cdx and the specification differ.

    Keys are fixed patterns, never used anywhere else: SPEC_PAT (FIRST)
    names the 32 bytes FIRST, FIRST+1, ... FIRST+31. Not for: anything
    but tests.
*/
#ifndef SPEC_VECTORS_H_INCLUDED
#define SPEC_VECTORS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cx.h"

/* Seeds and secret keys (SPEC 18.16). */
#define SPEC_P_SIGN_SEED  0x10   /* 0DF, Ed25519 seed 10 11 ... 2f */
#define SPEC_P_BOX_SK     0x30   /* 0DF, X25519 secret 30 31 ... 4f */
#define SPEC_P_CURVE_SK   0x50   /* 0DF, X25519 secret 50 51 ... 6f */
#define SPEC_V_SIGN_SEED  0x70   /* 04V, Ed25519 seed 70 71 ... 8f */
#define SPEC_V_BOX_SK     0x90   /* 04V, X25519 secret 90 91 ... af */
#define SPEC_CONTENT_KEY  0xb0   /* K, b0 b1 ... cf */

static inline void spec_pat (uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

/* The key file of a fixed key (layout in cx.h) into BUF: the secret half
   is the pattern from SECRET_FIRST (an Ed25519 seed, followed by the
   public half, for TYPE CX_KEY_SIGN). Returns its length (112 or 80), or
   0 if PK_HEX is not 64 hex digits. */
static inline size_t spec_keyfile (uint8_t buf[112], cx_keytype_t type, const char *pk_hex, uint8_t secret_first)
{
    uint8_t pk[32];
    char fp[CX_FINGERPRINT_HEXLEN];
    if (cx_unhex (pk_hex, pk, sizeof pk) != 0)
        return 0;
    cx_fingerprint (pk, fp);
    memcpy (buf, "CDXK", 4);
    buf[4] = 1;
    buf[5] = (uint8_t) type;
    buf[6] = buf[7] = 0;
    if (cx_unhex (fp, buf + 8, 8) != 0)
        return 0;
    memcpy (buf + 16, pk, 32);
    spec_pat (buf + 48, 32, secret_first);
    if (type != CX_KEY_SIGN)
        return 80;
    memcpy (buf + 80, pk, 32);
    return 112;
}

/* The public halves and their fingerprints (SPEC 9, 18.16). */
#define SPEC_P_SIGN_PK "7776e870b93354f2a0b24c23f2a36cc4e80e223218c1b97926fdd018396a2b9b"
#define SPEC_P_SIGN_FP "185f77934e8e05af"
#define SPEC_P_BOX_PK "34e42d4af5ef94a07a3a84201b889d4cd1a743cb27b11b6a10438a8feb8e5847"
#define SPEC_P_CURVE_PK "392d174a38b3b1beafaf1fe824870841c5fa531bc6eafdb6402c124664488c1c"
#define SPEC_V_SIGN_PK "1ce56a48c82ff99162a14bc544612674e5d61fb9317e65d4055780fdbcb4dc35"
#define SPEC_V_SIGN_FP "ea6e1557bce45d7c"
#define SPEC_V_BOX_PK "9fd7ad6dcff4298dd3f96d5b1b2af910a0535b1488d7f8fabb349a982880b615"

/* 18.17: chunk 2 of dataset 00 01 ... 0f sealed with K. */
#define SPEC_CHUNK_INDEX 2u
#define SPEC_CHUNK_PLAIN "cdx/1 chunk 2 of apc/monthly\n"
#define SPEC_CHUNK_NONCE "020000000000000000000000000000000000000000000000"
#define SPEC_CHUNK_AD "000102030405060708090a0b0c0d0e0f0200000000000000"
#define SPEC_CHUNK_SEALED \
    "b458ba8fc21db03f931ee99aee44cae21e56f83df67cab000b4649fbbead754e" \
    "0339752e236eba8a985c6c5446"

/* 18.18: K sealed to 04V's box key (crypto_box_seal is randomised: this is
   one such sealing, which must open to K). */
#define SPEC_WRAPPED \
    "bc6ef806819dc8000dba8824e432852d3ef4a0198e63489150fd94e69f0c3b7f" \
    "c54344ce7a8252c8b0d4f2cd63b80903a4f4c63d656bbbdb50a3e4b4753bc0f9" \
    "8495b9ed6db76e2192c9b325799bc615"

/* 18.19: 0DF's signature over the manifest of 18.3. */
#define SPEC_MANIFEST_SIG \
    "2bb767aa31cd33d5f2523e7395a3e6549c3b1609f79e0a6cde4c9a52c924d080" \
    "daeaa41c7ef450c457a0311b82510aa7ea7c01b448df8d54b7b54815be97a70a"

/* 18.20: the receipt of 18.8 with 04V's real signing key (at offset 0x68),
   and 04V's signature over it. */
#define SPEC_RECEIPT \
    "86a6666f726d617401a764617461736574c410000102030405060708090a0b0c" \
    "0d0e0fa468617368c420e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5" \
    "f6f7f8f9fafbfcfdfeffa9726563697069656e74a3303456ad72656369706965" \
    "6e745f6b6579c4201ce56a48c82ff99162a14bc544612674e5d61fb9317e65d4" \
    "055780fdbcb4dc35a87265636569766564ce6b074c8c"
#define SPEC_RECEIPT_SIG \
    "b4546ca5294f29f2b4b7d1afe22b5df937e5445becf34e67220d362f3b35525f" \
    "6dabc3d6fc3ff2e9da03c491d03323c75f2d1c10ecde1ac15b181f0641ba1404"

/* 18.21: 0DF's card, whose signature verifies (signed part: 275 bytes). */
#define SPEC_CARD \
    "cdx-card: 1\n" \
    "org: 0DF\n" \
    "role: csu\n" \
    "name: Example CSU\n" \
    "endpoint: tcp://127.0.0.1:7101\n" \
    "sign-key: d3bocLkzVPKgskwj8qNsxOgOIjIYwbl5Jv3QGDlqK5s=\n" \
    "box-key: NOQtSvXvlKB6OoQgG4idTNGnQ8snsRtqEEOKj+uOWEc=\n" \
    "curve-key: OS0XSjizsb6vrx/oJIcIQcX6UxvG6v22QCwSRmRIjBw=\n" \
    "created: 2026-11-25T21:00:00Z\n" \
    "signature: iIpL1k7X7uE85VFMmqHSZ5lkegmfj/NAfxduKuefN+9ByPymOgekSDt8VamkjJiG+YWOpsak3kvQ6ITS2BZICg==\n"

/* 18.22: two audit entries, their encoding and chain hashes. */
#define SPEC_AUDIT1_AT 1795640400
#define SPEC_AUDIT2_AT 1795640460
static const char *const SPEC_AUDIT1_FIELDS[8] __attribute__ ((unused)) = {
    "node", "start", "node", "", "", "allow", "local.start",
    "cdx run started"};
static const char *const SPEC_AUDIT2_FIELDS[8] __attribute__ ((unused)) = {
    "peer:04V:ea6e1557bce45d7c", "receive", "apc/monthly v3 000102030405060708090a0b0c0d0e0f", "04V", "commissioning",
    "allow", "policy.agreement", "received 2500000 bytes"};
#define SPEC_AUDIT1_ENCODED \
    "0000000000000000000000000000000000000000000000000000000000000000" \
    "0000000000000001000000006b074c50000000046e6f64650000000573746172" \
    "74000000046e6f6465000000000000000000000005616c6c6f770000000b6c6f" \
    "63616c2e73746172740000000f6364782072756e2073746172746564"
#define SPEC_AUDIT1_HASH "bf74286587101a737ea1ec4e44165f0996af2442dbca2a2b3c56486d56605ae9"
#define SPEC_AUDIT2_ENCODED \
    "bf74286587101a737ea1ec4e44165f0996af2442dbca2a2b3c56486d56605ae9" \
    "0000000000000002000000006b074c8c00000019706565723a3034563a656136" \
    "6531353537626365343564376300000007726563656976650000002f6170632f" \
    "6d6f6e74686c7920763320303030313032303330343035303630373038303930" \
    "6130623063306430653066000000033034560000000d636f6d6d697373696f6e" \
    "696e6700000005616c6c6f7700000010706f6c6963792e61677265656d656e74" \
    "0000001672656365697665642032353030303030206279746573"
#define SPEC_AUDIT2_HASH "254bd4bf91aaaa0d9f212b71c428100348aec79ed4902870d8a346874d336fd4"

#endif
