/*  check_cert: the Check suite for protocol/cert (certificates, directories
    and the authority file of the trust network).

    Round trips, a golden digest of each format (so an accidental change to
    what the authority signs fails here, not between organisations), and
    the refusals a node relies on: altered bytes, expiry, another signer,
    hostile layouts. Keys are real Ed25519 keys from fixed seeds. Not for:
    what a node does with a certificate (integration tests).
*/
#include "cert.h"

#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t s_auth_pk[32], s_auth_sk[64], s_other_pk[32], s_other_sk[64];

static void s_keys (void)
{
    uint8_t seed[32];
    memset (seed, 7, sizeof seed);
    crypto_sign_seed_keypair (s_auth_pk, s_auth_sk, seed);
    memset (seed, 9, sizeof seed);
    crypto_sign_seed_keypair (s_other_pk, s_other_sk, seed);
}

static void s_fill (uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t) (first + i);
}

#define T0 1782864000 /* 2026-07-01T00:00:00Z */
/* Golden digests (BLAKE2b-256) of the format 2 fixtures below. */
#define CERT2_DIGEST "7a88deca890e948c08227cecfabc749e85126db49b44290db2a5e01742a6c8ca"
#define DIR2_DIGEST "8c94701d4ffe9de3e172c496b52bf50e1658f320906bccf70e8cef698fcd7bb3"

static void s_cert_fixture (cert_t *c, const char *org, uint8_t keybase, const uint8_t *signer_sk,
                            const uint8_t *claimed_pk)
{
    memset (c, 0, sizeof *c);
    c->serial = 42;
    snprintf (c->org, sizeof c->org, "%s", org);
    strcpy (c->role, "ccg");
    strcpy (c->name, "Example CCG");
    strcpy (c->endpoint, "tcp://10.0.0.7:7102");
    s_fill (c->sign_pk, 32, keybase);
    s_fill (c->box_pk, 32, (uint8_t) (keybase + 32));
    s_fill (c->curve_pk, 32, (uint8_t) (keybase + 64));
    strcpy (c->dspt, "standards-met");
    strcpy (c->dspt_year, "2025/26");
    c->not_before = T0;
    c->not_after = T0 + 365 * 86400;
    memcpy (c->authority_pk, claimed_pk, 32);
    char body[CERT_MAX_BYTES + 1];
    size_t len;
    ck_assert_int_eq (cert_format_body (c, body, sizeof body, &len), 0);
    crypto_sign_detached (c->sig, NULL, (const uint8_t *) body, len, signer_sk);
}

static void s_digest_hex (const char *text, size_t len, char out[65])
{
    uint8_t h[32];
    crypto_generichash (h, sizeof h, (const uint8_t *) text, len, NULL, 0);
    sodium_bin2hex (out, 65, h, sizeof h);
}

/* ---- certificates ------------------------------------------------------ */

START_TEST (test_cert_round_trip_and_golden)
{
    cert_t in, out;
    char text[CERT_MAX_BYTES + 1], hex[65];
    size_t len;
    s_cert_fixture (&in, "04V", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_format (&in, text, sizeof text, &len), 0);
    ck_assert_uint_eq (strlen (text), len);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== certificate\n%s", text);
    ck_assert_msg (cert_parse (text, len, &out) == 0, "%s", cert_error ());
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    ck_assert_str_eq (cert_error (), "");
    ck_assert (strncmp (text, "cdx-cert: 1\nserial: 42\norg: 04V\n", 32) == 0);
    ck_assert (strstr (text, "\nnot-before: 2026-07-01T00:00:00Z\nnot-after: 2027-07-01T00:00:00Z\n"));
    s_digest_hex (text, len, hex);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== certificate blake2b %s\n", hex);
    ck_assert_str_eq (hex, "cb2f406c5650ed642e3aeff470e5e38a5a86ef8fb47d9b4911ac0f37a24a66af");
    ck_assert_int_eq (cert_check (&out, s_auth_pk, T0 + 1), CERT_OK);
}
END_TEST

START_TEST (test_cert_tamper_is_caught)
{
    cert_t c, t;
    char text[CERT_MAX_BYTES + 1];
    size_t len;
    s_cert_fixture (&c, "04V", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_format (&c, text, sizeof text, &len), 0);
    /* every field an attacker would want to change */
    static const char *const edits[][2] = {
        {"org: 04V", "org: 04W"},           {"2025/26", "2026/27"},
        {"2027-07-01", "2028-07-01"},       {"serial: 42", "serial: 43"},
        {"tcp://10.0.0.7", "tcp://10.0.0.8"}};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char copy[CERT_MAX_BYTES + 1];
        memcpy (copy, text, len + 1);
        char *at = strstr (copy, edits[i][0]);
        ck_assert_ptr_nonnull (at);
        ck_assert_uint_eq (strlen (edits[i][0]), strlen (edits[i][1]));
        memcpy (at, edits[i][1], strlen (edits[i][1]));
        ck_assert_msg (cert_parse (copy, len, &t) == 0, "%s", cert_error ());
        ck_assert_int_eq (cert_check (&t, s_auth_pk, T0 + 1), CERT_E_SIGNATURE);
    }
    /* a better DSPT status */
    t = c;
    strcpy (t.dspt, "standards-exceeded");
    ck_assert_int_eq (cert_check (&t, s_auth_pk, T0 + 1), CERT_E_SIGNATURE);
    /* a key swapped (another node's key under this org) */
    t = c;
    t.curve_pk[0] ^= 1;
    ck_assert_int_eq (cert_check (&t, s_auth_pk, T0 + 1), CERT_E_SIGNATURE);
}
END_TEST

START_TEST (test_cert_validity_period)
{
    cert_t c;
    s_cert_fixture (&c, "04V", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, T0 - 1), CERT_E_NOT_YET);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, T0), CERT_OK);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, c.not_after - 1), CERT_OK);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, c.not_after), CERT_E_EXPIRED);
    ck_assert_str_eq (cert_status_name (CERT_E_EXPIRED), "expired");
}
END_TEST

START_TEST (test_cert_wrong_signer)
{
    cert_t c;
    /* signed by another key that claims to be the authority */
    s_cert_fixture (&c, "04V", 1, s_other_sk, s_auth_pk);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, T0 + 1), CERT_E_SIGNATURE);
    /* honestly signed by another authority */
    s_cert_fixture (&c, "04V", 1, s_other_sk, s_other_pk);
    ck_assert_int_eq (cert_check (&c, s_auth_pk, T0 + 1), CERT_E_SIGNER);
    ck_assert_int_eq (cert_check (&c, s_other_pk, T0 + 1), CERT_OK);
}
END_TEST

START_TEST (test_cert_refuses_bad_layouts)
{
    cert_t c, t;
    char text[CERT_MAX_BYTES + 1];
    size_t len;
    s_cert_fixture (&c, "04V", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_format (&c, text, sizeof text, &len), 0);
    for (size_t i = 0; i < len; i++)                 /* every proper prefix */
        ck_assert_int_ne (cert_parse (text, i, &t), 0);
    char copy[CERT_MAX_BYTES + 8];
    memcpy (copy, text, len);
    memcpy (copy + len, "x\n", 2);                   /* trailing bytes */
    ck_assert_int_ne (cert_parse (copy, len + 2, &t), 0);
    static const char *const bad[][2] = {
        {"serial: 42", "serial: 042"},  {"serial: 42", "serial: -42"}, {"dspt: standards-met", "dspt: standards-mex"},
        {"2025/26", "2025/27"},         {"org: 04V", "org: 04v"},      {"role: ccg", "role: cgg"},
        {"cdx-cert: 1", "cdx-cert: 2"}, {"not-after: 2027", "not-after: 2025"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *at;
        size_t n = len;
        memcpy (copy, text, len + 1);
        at = strstr (copy, bad[i][0]);
        ck_assert_ptr_nonnull (at);
        size_t a = strlen (bad[i][0]), b = strlen (bad[i][1]);
        memmove (at + b, at + a, len - (size_t) (at - copy) - a + 1);
        memcpy (at, bad[i][1], b);
        n = len - a + b;
        ck_assert_msg (cert_parse (copy, n, &t) != 0, "accepted %s", bad[i][1]);
        ck_assert_str_ne (cert_error (), "");
    }
    memcpy (copy, text, len);
    copy[5] = 0;                                     /* NUL */
    ck_assert_int_ne (cert_parse (copy, len, &t), 0);
    ck_assert_int_ne (cert_parse (text, CERT_MAX_BYTES + 1, &t), 0);
}
END_TEST

/* ---- directories -------------------------------------------------------- */

static void s_dir_fixture (cert_dir_t *d, const uint8_t *signer_sk, const uint8_t *claimed_pk)
{
    memset (d, 0, sizeof *d);
    ck_assert_int_eq (cert_dir_alloc (d, 2, 1), 0);
    s_cert_fixture (&d->certs[0], "04V", 1, s_auth_sk, s_auth_pk);
    s_cert_fixture (&d->certs[1], "0DF", 101, s_auth_sk, s_auth_pk);
    strcpy (d->certs[1].role, "csu");
    char body[CERT_MAX_BYTES + 1];
    size_t blen;
    ck_assert_int_eq (cert_format_body (&d->certs[1], body, sizeof body, &blen), 0);
    crypto_sign_detached (d->certs[1].sig, NULL, (const uint8_t *) body, blen, s_auth_sk);
    strcpy (d->revoked[0].org, "10Q");
    s_fill (d->revoked[0].sign_pk, 32, 200);
    d->revoked[0].at = T0 + 3600;
    strcpy (d->authority, "NHS England");
    memcpy (d->authority_pk, claimed_pk, 32);
    d->serial = 7;
    d->issued = T0;
    d->expires = T0 + 7 * 86400;
    char *text;
    size_t len;
    ck_assert_int_eq (cert_dir_format_body (d, &text, &len), 0);
    crypto_sign_detached (d->sig, NULL, (const uint8_t *) text, len, signer_sk);
    free (text);
}

START_TEST (test_dir_round_trip_and_golden)
{
    cert_dir_t in, out;
    char *text, hex[65];
    size_t len;
    s_dir_fixture (&in, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_format (&in, &text, &len), 0);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== directory\n%s", text);
    ck_assert_msg (cert_dir_parse (text, len, &out) == 0, "%s", cert_error ());
    ck_assert_uint_eq (out.ncerts, 2);
    ck_assert_uint_eq (out.nrevoked, 1);
    ck_assert (memcmp (out.certs, in.certs, 2 * sizeof *in.certs) == 0);
    ck_assert (memcmp (out.revoked, in.revoked, sizeof *in.revoked) == 0);
    ck_assert_uint_eq (out.serial, 7);
    ck_assert_int_eq (out.expires, in.expires);
    ck_assert_int_eq (cert_dir_check (&out, s_auth_pk), CERT_OK);
    s_digest_hex (text, len, hex);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== directory blake2b %s\n", hex);
    ck_assert_str_eq (hex, "316b7a0d68584e3fe78d772fb5a695fab4718936cd27638b084d1835a0f31856");
    free (text);
    cert_dir_free (&in);
    cert_dir_free (&out);
}
END_TEST

START_TEST (test_dir_tamper_and_signer)
{
    cert_dir_t d, t;
    char *text;
    size_t len;
    s_dir_fixture (&d, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_format (&d, &text, &len), 0);
    /* the serial raised, to pass for newer */
    char *at = strstr (text, "serial: 7\n");
    ck_assert_ptr_nonnull (at);
    at[8] = '9';
    ck_assert_int_eq (cert_dir_parse (text, len, &t), 0);
    ck_assert_int_eq (cert_dir_check (&t, s_auth_pk), CERT_E_SIGNATURE);
    cert_dir_free (&t);
    free (text);
    /* a revocation dropped: the directory re-signed by someone else */
    cert_dir_free (&d);
    s_dir_fixture (&d, s_other_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_check (&d, s_auth_pk), CERT_E_SIGNATURE);
    cert_dir_free (&d);
    s_dir_fixture (&d, s_other_sk, s_other_pk);
    ck_assert_int_eq (cert_dir_check (&d, s_auth_pk), CERT_E_SIGNER);
    cert_dir_free (&d);
    /* a well-signed directory carrying a certificate the authority never signed */
    s_dir_fixture (&d, s_auth_sk, s_auth_pk);
    s_cert_fixture (&d.certs[1], "0DF", 101, s_other_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_format_body (&d, &text, &len), 0);
    crypto_sign_detached (d.sig, NULL, (const uint8_t *) text, len, s_auth_sk);
    free (text);
    ck_assert_int_eq (cert_dir_check (&d, s_auth_pk), CERT_E_SIGNATURE);
    cert_dir_free (&d);
}
END_TEST

START_TEST (test_dir_refuses_bad_layouts)
{
    cert_dir_t d, t;
    char *text;
    size_t len;
    s_dir_fixture (&d, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_format (&d, &text, &len), 0);
    for (size_t i = 0; i < len; i += 7)
        ck_assert_int_ne (cert_dir_parse (text, i, &t), 0);
    ck_assert_ptr_null (t.certs);
    /* counts that lie, or beyond the limits */
    static const char *const counts[] = {"certificates: 3\n", "certificates: 1\n", "certificates: 513\n",
                                         "certificates: 99999999999\n"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char *copy = malloc (len + 32);
        char *at = strstr (text, "certificates: 2\n");
        size_t pre = (size_t) (at - text), a = strlen ("certificates: 2\n"), b = strlen (counts[i]);
        memcpy (copy, text, pre);
        memcpy (copy + pre, counts[i], b);
        memcpy (copy + pre + b, at + a, len - pre - a);
        ck_assert_int_ne (cert_dir_parse (copy, len - a + b, &t), 0);
        free (copy);
    }
    ck_assert_int_ne (cert_dir_parse (text, CERT_DIR_MAX_BYTES + 1, &t), 0);
    /* limits on the encoder side too */
    cert_dir_t big;
    memset (&big, 0, sizeof big);
    ck_assert_int_ne (cert_dir_alloc (&big, CERT_DIR_MAX_CERTS + 1, 0), 0);
    ck_assert_int_ne (cert_dir_alloc (&big, 0, CERT_DIR_MAX_REVOKED + 1), 0);
    /* expiry not after issue */
    d.expires = d.issued;
    char *bad;
    ck_assert_int_ne (cert_dir_format (&d, &bad, &len), 0);
    free (text);
    cert_dir_free (&d);
}
END_TEST

/* ---- the authority file -------------------------------------------------- */

START_TEST (test_authority_round_trip_and_tamper)
{
    cert_authority_t a, b;
    memset (&a, 0, sizeof a);
    strcpy (a.name, "NHS England");
    memcpy (a.key, s_auth_pk, 32);
    a.created = T0;
    char body[CERT_AUTHORITY_MAX_BYTES + 1], text[CERT_AUTHORITY_MAX_BYTES + 1];
    size_t len;
    ck_assert_int_eq (cert_authority_format_body (&a, body, sizeof body, &len), 0);
    crypto_sign_detached (a.sig, NULL, (const uint8_t *) body, len, s_auth_sk);
    ck_assert_int_eq (cert_authority_format (&a, text, sizeof text, &len), 0);
    ck_assert_int_eq (cert_authority_parse (text, len, &b), 0);
    ck_assert (memcmp (&a, &b, sizeof a) == 0);
    ck_assert_int_eq (cert_authority_check (&b), CERT_OK);
    char *at = strstr (text, "NHS England");
    at[0] = 'M';
    ck_assert_int_eq (cert_authority_parse (text, len, &b), 0);
    ck_assert_int_eq (cert_authority_check (&b), CERT_E_SIGNATURE);
    /* a certificate is not an authority file, nor a directory */
    cert_t c;
    char ctext[CERT_MAX_BYTES + 1];
    s_cert_fixture (&c, "04V", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_format (&c, ctext, sizeof ctext, &len), 0);
    ck_assert_int_ne (cert_authority_parse (ctext, len, &b), 0);
    cert_dir_t d;
    ck_assert_int_ne (cert_dir_parse (ctext, len, &d), 0);
}
END_TEST

START_TEST (test_values)
{
    ck_assert_int_eq (cert_valid_dspt ("standards-exceeded"), 0);
    ck_assert_int_eq (cert_valid_dspt ("approaching-standards"), 0);
    ck_assert_int_eq (cert_valid_dspt ("standards-not-met"), 0);
    ck_assert_int_ne (cert_valid_dspt ("met"), 0);
    ck_assert_int_eq (cert_valid_dspt_year ("2025/26"), 0);
    ck_assert_int_eq (cert_valid_dspt_year ("2099/00"), 0);
    ck_assert_int_ne (cert_valid_dspt_year ("2025/2026"), 0);
    ck_assert_int_ne (cert_valid_dspt_year ("2025-26"), 0);
    int64_t t;
    ck_assert_int_eq (cert_time_parse ("2026-07-01T00:00:00Z", &t), 0);
    ck_assert_int_eq (t, T0);
    ck_assert_int_ne (cert_time_parse ("2026-02-30T00:00:00Z", &t), 0);
    ck_assert_int_ne (cert_time_parse ("2026-07-01 00:00:00Z", &t), 0);
    char buf[21];
    cert_time_format (T0, buf);
    ck_assert_str_eq (buf, "2026-07-01T00:00:00Z");
}
END_TEST

/* ---- format 2: several nodes per organisation (SPEC.md 9.2) -------------- */

static void s_sign_cert (cert_t *c)
{
    char body[CERT_MAX_BYTES + 1];
    size_t blen;
    ck_assert_int_eq (cert_format_body (c, body, sizeof body, &blen), 0);
    crypto_sign_detached (c->sig, NULL, (const uint8_t *) body, blen, s_auth_sk);
}

/* TEXT (LEN bytes) with its first FROM replaced by TO, re-signed as a
   directory body would not be: only the layout is tested. */
static int s_dir_mutated (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    ck_assert_ptr_nonnull (at);
    size_t pre = (size_t) (at - text), n = strlen (text) + strlen (to) + 1;
    char *out = malloc (n);
    ck_assert_ptr_nonnull (out);
    snprintf (out, n, "%.*s%s%s", (int) pre, text, to, at + strlen (from));
    cert_dir_t d;
    int r = cert_dir_parse (out, strlen (out), &d);
    cert_dir_free (&d);
    free (out);
    return r;
}

START_TEST (test_cert2_round_trip_and_refusals)
{
    cert_t in, out;
    char text[CERT_MAX_BYTES + 1], hex[65];
    size_t len;
    s_cert_fixture (&in, "0DF", 1, s_auth_sk, s_auth_pk);
    strcpy (in.node, "b");
    s_sign_cert (&in);
    ck_assert_int_eq (cert_format (&in, text, sizeof text, &len), 0);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== certificate format 2\n%s", text);
    ck_assert (strncmp (text, "cdx-cert: 2\nserial: 42\norg: 0DF\nnode: b\nrole: ccg\n", 50) == 0);
    ck_assert_msg (cert_parse (text, len, &out) == 0, "%s", cert_error ());
    ck_assert (memcmp (&in, &out, sizeof in) == 0);
    ck_assert_int_eq (cert_check (&out, s_auth_pk, T0), CERT_OK);
    s_digest_hex (text, len, hex);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== certificate format 2 blake2b %s\n", hex);
    ck_assert_str_eq (hex, CERT2_DIGEST);

    /* the label is signed: changing it breaks the signature */
    strcpy (out.node, "c");
    ck_assert_int_eq (cert_check (&out, s_auth_pk, T0), CERT_E_SIGNATURE);

    /* format 2 without a node line, format 1 with one, a bad label */
    char bad[CERT_MAX_BYTES + 16];
    cert_t c;
    const char *node = strstr (text, "node: b\n");
    int n = snprintf (bad, sizeof bad, "%.*s%s", (int) (node - text), text, node + 8);
    ck_assert_int_eq (cert_parse (bad, (size_t) n, &c), -1);
    ck_assert_ptr_nonnull (strstr (cert_error (), "node: LABEL"));
    memcpy (bad, text, len + 1);
    bad[10] = '1';
    ck_assert_int_eq (cert_parse (bad, len, &c), -1);
    ck_assert_ptr_nonnull (strstr (cert_error (), "format 1 certificate has no \"node\""));
    memcpy (bad, text, len + 1);
    bad[node - text + 6] = 'B';
    ck_assert_int_eq (cert_parse (bad, len, &c), -1);
    memcpy (bad, text, len + 1);
    bad[10] = '3';
    ck_assert_int_eq (cert_parse (bad, len, &c), -1);

    /* without a label: format 1, as before */
    s_cert_fixture (&in, "0DF", 1, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_format (&in, text, sizeof text, &len), 0);
    ck_assert (strncmp (text, "cdx-cert: 1\nserial: 42\norg: 0DF\nrole: ccg\n", 41) == 0);
}
END_TEST

/* Two nodes of 0DF (a, b), one of 04V, and node b revoked. */
static void s_dir2_fixture (cert_dir_t *d)
{
    memset (d, 0, sizeof *d);
    ck_assert_int_eq (cert_dir_alloc (d, 3, 1), 0);
    s_cert_fixture (&d->certs[0], "04V", 1, s_auth_sk, s_auth_pk);
    s_cert_fixture (&d->certs[1], "0DF", 101, s_auth_sk, s_auth_pk);
    strcpy (d->certs[1].node, "a");
    d->certs[1].serial = 43;
    s_sign_cert (&d->certs[1]);
    s_cert_fixture (&d->certs[2], "0DF", 151, s_auth_sk, s_auth_pk);
    strcpy (d->certs[2].node, "b");
    d->certs[2].serial = 44;
    s_sign_cert (&d->certs[2]);
    strcpy (d->revoked[0].org, "0DF");
    strcpy (d->revoked[0].node, "c");
    s_fill (d->revoked[0].sign_pk, 32, 200);
    d->revoked[0].at = T0 + 3600;
    strcpy (d->authority, "NHS England");
    memcpy (d->authority_pk, s_auth_pk, 32);
    d->serial = 8;
    d->issued = T0;
    d->expires = T0 + 7 * 86400;
    char *text;
    size_t len;
    ck_assert_int_eq (cert_dir_format_body (d, &text, &len), 0);
    crypto_sign_detached (d->sig, NULL, (const uint8_t *) text, len, s_auth_sk);
    free (text);
}

START_TEST (test_dir2_round_trip_and_refusals)
{
    cert_dir_t in, out;
    char *text, hex[65];
    size_t len;
    s_dir2_fixture (&in);
    ck_assert_int_eq (cert_dir_format_version (&in), 2);
    ck_assert_int_eq (cert_dir_format (&in, &text, &len), 0);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== directory format 2\n%s", text);
    ck_assert (strncmp (text, "cdx-directory: 2\n", 17) == 0);
    ck_assert_ptr_nonnull (strstr (text, "\nrevoked: 0DF/c "));
    ck_assert_msg (cert_dir_parse (text, len, &out) == 0, "%s", cert_error ());
    ck_assert_uint_eq (out.ncerts, 3);
    ck_assert (memcmp (out.certs, in.certs, 3 * sizeof *in.certs) == 0);
    ck_assert (memcmp (out.revoked, in.revoked, sizeof *in.revoked) == 0);
    ck_assert_int_eq (cert_dir_check (&out, s_auth_pk), CERT_OK);
    s_digest_hex (text, len, hex);
    if (getenv ("CDX_PRINT_VECTORS")) printf ("== directory format 2 blake2b %s\n", hex);
    ck_assert_str_eq (hex, DIR2_DIGEST);
    cert_dir_free (&out);

    /* a format 2 directory may not be taken for format 1, nor hold two
       certificates of one node */
    ck_assert_int_eq (s_dir_mutated (text, "cdx-directory: 2", "cdx-directory: 1"), -1);
    ck_assert_int_eq (s_dir_mutated (text, "revoked: 0DF/c ", "revoked: 0DF/C "), -1);
    ck_assert_int_eq (s_dir_mutated (text, "revoked: 0DF/c ", "revoked: 0DF/ "), -1);
    free (text);
    strcpy (in.certs[2].node, "a");
    s_sign_cert (&in.certs[2]);
    ck_assert_int_eq (cert_dir_format (&in, &text, &len), 0);
    ck_assert_int_eq (cert_dir_parse (text, len, &out), -1);
    ck_assert_ptr_nonnull (strstr (cert_error (), "already certified"));
    free (text);

    /* two unlabelled-only orgs, each once: format 1 whatever else */
    cert_dir_free (&in);
    s_dir_fixture (&in, s_auth_sk, s_auth_pk);
    ck_assert_int_eq (cert_dir_format_version (&in), 1);
    /* one org twice, no labels at all: format 2 */
    strcpy (in.certs[1].org, "04V");
    s_sign_cert (&in.certs[1]);
    ck_assert_int_eq (cert_dir_format_version (&in), 2);
    ck_assert_int_eq (cert_dir_format (&in, &text, &len), 0);
    ck_assert (strncmp (text, "cdx-directory: 2\n", 17) == 0);
    ck_assert_int_eq (cert_dir_parse (text, len, &out), -1); /* two unlabelled nodes of 04V */
    /* and the same content under "cdx-directory: 1" is no other reading
       of it: refused for its format before anything else */
    ck_assert_int_eq (s_dir_mutated (text, "cdx-directory: 2", "cdx-directory: 1"), -1);
    ck_assert_ptr_nonnull (strstr (cert_error (), "such a directory is format 2"));
    free (text);
    /* a revocation of a labelled node makes it format 2 too */
    cert_dir_free (&in);
    s_dir_fixture (&in, s_auth_sk, s_auth_pk);
    strcpy (in.revoked[0].node, "x");
    ck_assert_int_eq (cert_dir_format_version (&in), 2);
    ck_assert_int_eq (cert_dir_format (&in, &text, &len), 0);
    ck_assert_msg (cert_dir_parse (text, len, &out) == 0, "%s", cert_error ());
    ck_assert_str_eq (out.revoked[0].node, "x");
    ck_assert_int_eq (s_dir_mutated (text, "cdx-directory: 2", "cdx-directory: 1"), -1);
    free (text);
    cert_dir_free (&out);
    cert_dir_free (&in);
}
END_TEST

static Suite *s_suite (void)
{
    Suite *s = suite_create ("cert");
    TCase *t = tcase_create ("certificate");
    tcase_add_test (t, test_cert_round_trip_and_golden);
    tcase_add_test (t, test_cert_tamper_is_caught);
    tcase_add_test (t, test_cert_validity_period);
    tcase_add_test (t, test_cert_wrong_signer);
    tcase_add_test (t, test_cert_refuses_bad_layouts);
    suite_add_tcase (s, t);
    t = tcase_create ("directory");
    tcase_add_test (t, test_dir_round_trip_and_golden);
    tcase_add_test (t, test_dir_tamper_and_signer);
    tcase_add_test (t, test_dir_refuses_bad_layouts);
    tcase_add_test (t, test_cert2_round_trip_and_refusals);
    tcase_add_test (t, test_dir2_round_trip_and_refusals);
    suite_add_tcase (s, t);
    t = tcase_create ("authority");
    tcase_add_test (t, test_authority_round_trip_and_tamper);
    tcase_add_test (t, test_values);
    suite_add_tcase (s, t);
    return s;
}

int main (void)
{
    if (sodium_init () < 0)
        return EXIT_FAILURE;
    s_keys ();
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
