/*  cx.c: the cryptography of cdx, a thin layer over libsodium.

    This file turns the interface in cx.h into libsodium calls and keeps the
    rules that make them safe to use: secret halves of key pairs and content
    keys live only in sodium_malloc'd (guarded, locked) memory and are wiped
    when freed; key files are created exclusively with mode 0600 and are
    refused on load unless they are private regular files whose every byte
    checks out (magic, version, type, length, fingerprint, and a secret that
    really derives the public half); every verify/open path fails closed.

    It is not for: framing, transport, storage or policy. It never exits and
    never asserts on bytes it did not produce; every failure returns -1 or
    NULL and leaves a readable reason in cx_error() for this thread.
*/
#include "cx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

/* The interface promises sizes; make sure libsodium agrees at compile time
   rather than discovering a mismatch in a key file. */
_Static_assert(CX_SIGN_PUBLICKEYBYTES == crypto_sign_PUBLICKEYBYTES, "sign pk size");
_Static_assert(CX_SIGN_SECRETKEYBYTES == crypto_sign_SECRETKEYBYTES, "sign sk size");
_Static_assert(CX_SIGNATUREBYTES == crypto_sign_BYTES, "signature size");
_Static_assert(CX_BOX_PUBLICKEYBYTES == crypto_box_PUBLICKEYBYTES, "box pk size");
_Static_assert(CX_BOX_SECRETKEYBYTES == crypto_box_SECRETKEYBYTES, "box sk size");
_Static_assert(CX_BOX_PUBLICKEYBYTES == crypto_scalarmult_BYTES, "scalarmult size");
_Static_assert(CX_HASHBYTES >= crypto_generichash_BYTES_MIN, "hash size");
_Static_assert(CX_HASHBYTES <= crypto_generichash_BYTES_MAX, "hash size");
_Static_assert(CX_KEYBYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "content key size");
_Static_assert(CX_CHUNK_ABYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "chunk tag size");
_Static_assert(CX_WRAPPEDBYTES == CX_KEYBYTES + crypto_box_SEALBYTES, "wrapped key size");
_Static_assert(CX_FINGERPRINT_HEXLEN == 2 * CX_FINGERPRINTBYTES + 1, "fingerprint hex size");

/* ---- errors ---------------------------------------------------------- */

static _Thread_local char cx_errbuf[256] = "no error";

static void cx_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void cx_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (cx_errbuf, sizeof cx_errbuf, fmt, ap);
    va_end (ap);
}

const char *cx_error (void)
{
    return cx_errbuf;
}

int cx_init (void)
{
    /* 0 = initialised now, 1 = already initialised; both are fine. */
    if (sodium_init () < 0) {
        cx_fail ("libsodium could not be initialised (sodium_init failed)");
        return -1;
    }
    return 0;
}

/* ---- key pairs ------------------------------------------------------- */

/* Key file layout, see cx.h. */
#define KF_MAGIC "CDXK"
#define KF_MAGICBYTES 4u
#define KF_VERSION 1u
#define KF_HEADERBYTES (KF_MAGICBYTES + 1u + 1u + 2u + CX_FINGERPRINTBYTES) /* 16 */
#define KF_PKOFFSET KF_HEADERBYTES                                          /* 16 */
#define KF_SKOFFSET (KF_PKOFFSET + CX_SIGN_PUBLICKEYBYTES)                  /* 48 */

_Static_assert(CX_SIGN_PUBLICKEYBYTES == CX_BOX_PUBLICKEYBYTES, "one pk size in key files");
_Static_assert(KF_SKOFFSET + CX_SIGN_SECRETKEYBYTES <= CX_KEYFILE_MAXBYTES, "sign key file fits");
_Static_assert(KF_SKOFFSET + CX_BOX_SECRETKEYBYTES <= CX_KEYFILE_MAXBYTES, "box key file fits");

struct cx_keypair {
    cx_keytype_t type;
    uint8_t pk[CX_SIGN_PUBLICKEYBYTES];
    uint8_t *sk; /* sodium_malloc'd, sklen bytes */
    size_t sklen;
};

static const char *keytype_name (cx_keytype_t type)
{
    switch (type) {
    case CX_KEY_SIGN:
        return "sign";
    case CX_KEY_BOX:
        return "box";
    case CX_KEY_CURVE:
        return "curve";
    }
    return "unknown";
}

/* Secret key length for TYPE, or 0 if TYPE is not a key type. */
static size_t keytype_sklen (int type)
{
    switch (type) {
    case CX_KEY_SIGN:
        return CX_SIGN_SECRETKEYBYTES;
    case CX_KEY_BOX:
    case CX_KEY_CURVE:
        return CX_BOX_SECRETKEYBYTES;
    }
    return 0;
}

/* An empty key pair of TYPE with its secret buffer allocated, or NULL. */
static cx_keypair_t *keypair_alloc (cx_keytype_t type)
{
    size_t sklen = keytype_sklen ((int)type);
    if (sklen == 0) {
        cx_fail ("unknown key type %d", (int)type);
        return NULL;
    }
    cx_keypair_t *kp = calloc (1, sizeof *kp);
    if (!kp) {
        cx_fail ("out of memory allocating a key pair");
        return NULL;
    }
    kp->sk = sodium_malloc (sklen);
    if (!kp->sk) {
        free (kp);
        cx_fail ("out of guarded memory for a secret key (sodium_malloc failed)");
        return NULL;
    }
    kp->type = type;
    kp->sklen = sklen;
    return kp;
}

cx_keypair_t *cx_keypair_new (cx_keytype_t type)
{
    cx_keypair_t *kp = keypair_alloc (type);
    if (!kp) return NULL;
    int rc = type == CX_KEY_SIGN ? crypto_sign_keypair (kp->pk, kp->sk)
                                 : crypto_box_keypair (kp->pk, kp->sk);
    if (rc != 0) {
        cx_keypair_destroy (&kp);
        cx_fail ("libsodium could not generate a %s key pair", keytype_name (type));
        return NULL;
    }
    return kp;
}

void cx_keypair_destroy (cx_keypair_t **kp_p)
{
    if (!kp_p || !*kp_p) return;
    cx_keypair_t *kp = *kp_p;
    sodium_free (kp->sk); /* wipes before unmapping */
    sodium_memzero (kp, sizeof *kp);
    free (kp);
    *kp_p = NULL;
}

cx_keytype_t cx_keypair_type (const cx_keypair_t *kp)
{
    return kp ? kp->type : (cx_keytype_t)0;
}

const uint8_t *cx_keypair_public (const cx_keypair_t *kp)
{
    return kp ? kp->pk : NULL;
}

const uint8_t *cx_keypair_secret (const cx_keypair_t *kp)
{
    return kp ? kp->sk : NULL;
}

/* First CX_FINGERPRINTBYTES of BLAKE2b-256(pk). */
static void fingerprint_raw (const uint8_t pk[32], uint8_t fp[CX_FINGERPRINTBYTES])
{
    uint8_t h[CX_HASHBYTES];
    crypto_generichash (h, sizeof h, pk, CX_SIGN_PUBLICKEYBYTES, NULL, 0);
    memcpy (fp, h, CX_FINGERPRINTBYTES);
}

void cx_fingerprint (const uint8_t pk[32], char out[CX_FINGERPRINT_HEXLEN])
{
    uint8_t fp[CX_FINGERPRINTBYTES];
    fingerprint_raw (pk, fp);
    sodium_bin2hex (out, CX_FINGERPRINT_HEXLEN, fp, sizeof fp);
}

/* Writes all LEN bytes, retrying short writes and EINTR. 0 or -1 (errno). */
static int write_all (int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- passphrase protection ---------------------------------------------

   A protected key file is an envelope around the bytes of a plain one:
     "CDXP" | envelope version (1 byte, =1) | 3 zero bytes
     | opslimit (8, big-endian) | memlimit (8, big-endian) | salt (16)
     | nonce (24) | XSalsa20-Poly1305 (crypto_secretbox) of the plain file
   under a key derived from the passphrase with Argon2id (crypto_pwhash).
   Version 1 admits only the parameters it writes (PF_OPSLIMIT,
   PF_MEMLIMIT), so a hostile file cannot make a node spend unbounded time
   or memory before the MAC is checked. */
#define PF_MAGIC "CDXP"
#define PF_VERSION 1u
#define PF_SALTOFFSET 24u
#define PF_NONCEOFFSET (PF_SALTOFFSET + crypto_pwhash_SALTBYTES)             /* 40 */
#define PF_HEADERBYTES (PF_NONCEOFFSET + crypto_secretbox_NONCEBYTES)        /* 64 */
#define PF_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PF_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define PF_PASS_MAX 1024u
_Static_assert(PF_HEADERBYTES + CX_KEYFILE_MAXBYTES + crypto_secretbox_MACBYTES <= CX_KEYFILE_PROTECTED_MAXBYTES,
               "protected key file fits");

static uint8_t *s_pass;      /* sodium_malloc'd, or NULL */
static size_t s_passlen;

int cx_set_passphrase (const char *pass, size_t len)
{
    if (s_pass) {
        sodium_free (s_pass);               /* wipes */
        s_pass = NULL;
        s_passlen = 0;
    }
    if (!pass || len == 0) return 0;
    if (len > PF_PASS_MAX) {
        cx_fail ("passphrase longer than %u bytes", PF_PASS_MAX);
        return -1;
    }
    s_pass = sodium_malloc (len);
    if (!s_pass) {
        cx_fail ("out of guarded memory for the passphrase");
        return -1;
    }
    memcpy (s_pass, pass, len);
    s_passlen = len;
    return 0;
}

int cx_passphrase_set (void)
{
    return s_pass != NULL;
}

static void put_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint64_t get_be64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

/* Seals the plain key file PLAIN (LEN bytes) with the passphrase into OUT
   (capacity CX_KEYFILE_PROTECTED_MAXBYTES); *OUTLEN its size. */
static int envelope_seal (const uint8_t *plain, size_t len, uint8_t *out, size_t *outlen)
{
    uint8_t *key = sodium_malloc (crypto_secretbox_KEYBYTES);
    if (!key) {
        cx_fail ("out of guarded memory");
        return -1;
    }
    memcpy (out, PF_MAGIC, 4);
    out[4] = PF_VERSION;
    out[5] = out[6] = out[7] = 0;
    put_be64 (out + 8, PF_OPSLIMIT);
    put_be64 (out + 16, PF_MEMLIMIT);
    randombytes_buf (out + PF_SALTOFFSET, crypto_pwhash_SALTBYTES);
    randombytes_buf (out + PF_NONCEOFFSET, crypto_secretbox_NONCEBYTES);
    int rc = -1;
    if (crypto_pwhash (key, crypto_secretbox_KEYBYTES, (const char *)s_pass, s_passlen, out + PF_SALTOFFSET,
                       PF_OPSLIMIT, PF_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        cx_fail ("cannot derive a key from the passphrase (out of memory?)");
        goto out;
    }
    crypto_secretbox_easy (out + PF_HEADERBYTES, plain, len, out + PF_NONCEOFFSET, key);
    *outlen = PF_HEADERBYTES + len + crypto_secretbox_MACBYTES;
    rc = 0;
out:
    sodium_free (key);
    return rc;
}

static cx_keypair_t *keypair_parse_named (const uint8_t *buf, size_t len, cx_keytype_t expect,
                                          const char *name);

static cx_keypair_t *protected_parse_named (const uint8_t *buf, size_t len, cx_keytype_t expect,
                                            const char *pass, size_t passlen, const char *name)
{
    if (!buf || len < PF_HEADERBYTES + crypto_secretbox_MACBYTES + KF_HEADERBYTES ||
        len > CX_KEYFILE_PROTECTED_MAXBYTES || memcmp (buf, PF_MAGIC, 4) != 0 || buf[4] != PF_VERSION ||
        buf[5] || buf[6] || buf[7]) {
        cx_fail ("%s: not a protected cdx key file", name);
        return NULL;
    }
    if (get_be64 (buf + 8) != PF_OPSLIMIT || get_be64 (buf + 16) != PF_MEMLIMIT) {
        cx_fail ("%s: passphrase parameters other than those this version writes", name);
        return NULL;
    }
    if (!pass || passlen == 0) {
        cx_fail ("%s is protected by a passphrase: set CDX_PASSPHRASE_FILE (or CDX_PASSPHRASE)", name);
        return NULL;
    }
    size_t plen = len - PF_HEADERBYTES - crypto_secretbox_MACBYTES;
    uint8_t *key = sodium_malloc (crypto_secretbox_KEYBYTES);
    uint8_t *plain = sodium_malloc (plen);
    cx_keypair_t *kp = NULL;
    if (!key || !plain) {
        cx_fail ("out of guarded memory");
        goto out;
    }
    if (crypto_pwhash (key, crypto_secretbox_KEYBYTES, pass, passlen, buf + PF_SALTOFFSET, PF_OPSLIMIT,
                       PF_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        cx_fail ("%s: cannot derive a key from the passphrase (out of memory?)", name);
        goto out;
    }
    if (crypto_secretbox_open_easy (plain, buf + PF_HEADERBYTES, len - PF_HEADERBYTES, buf + PF_NONCEOFFSET,
                                    key) != 0) {
        cx_fail ("%s: wrong passphrase, or the file was altered", name);
        goto out;
    }
    kp = keypair_parse_named (plain, plen, expect, name);
out:
    if (key) sodium_free (key);
    if (plain) sodium_free (plain);
    return kp;
}

cx_keypair_t *cx_keypair_parse_protected (const uint8_t *buf, size_t len, cx_keytype_t expect,
                                          const char *pass, size_t passlen)
{
    return protected_parse_named (buf, len, expect, pass, passlen, "key file");
}

int cx_keypair_save (const cx_keypair_t *kp, const char *path)
{
    if (!kp || !path) {
        cx_fail ("cx_keypair_save: no key pair or no path given");
        return -1;
    }
    size_t sklen = keytype_sklen ((int)kp->type);
    if (sklen == 0 || sklen != kp->sklen) {
        cx_fail ("cx_keypair_save: key pair has an invalid type %d", (int)kp->type);
        return -1;
    }
    size_t len = KF_SKOFFSET + sklen;
    int rc = -1;
    int fd = -1;
    int created = 0;
    uint8_t *buf = sodium_malloc (len);
    if (!buf) {
        cx_fail ("out of guarded memory for key file %s (sodium_malloc failed)", path);
        goto out;
    }
    memcpy (buf, KF_MAGIC, KF_MAGICBYTES);
    buf[4] = KF_VERSION;
    buf[5] = (uint8_t)kp->type;
    buf[6] = 0;
    buf[7] = 0;
    fingerprint_raw (kp->pk, buf + 8);
    memcpy (buf + KF_PKOFFSET, kp->pk, CX_SIGN_PUBLICKEYBYTES);
    memcpy (buf + KF_SKOFFSET, kp->sk, sklen);
    const uint8_t *data = buf;
    size_t datalen = len;
    uint8_t sealed[CX_KEYFILE_PROTECTED_MAXBYTES];
    if (s_pass) {
        if (envelope_seal (buf, len, sealed, &datalen) != 0) goto out;
        data = sealed;
    }

    fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            cx_fail ("key file %s already exists; refusing to overwrite it", path);
        else
            cx_fail ("key file %s: cannot create: %s", path, strerror (errno));
        goto out;
    }
    created = 1;
    /* The umask can only remove bits from 0600, but make the mode explicit
       in case the file system or an ACL default widened it. */
    if (fchmod (fd, 0600) != 0) {
        cx_fail ("key file %s: cannot set mode 0600: %s", path, strerror (errno));
        goto out;
    }
    if (write_all (fd, data, datalen) != 0) {
        cx_fail ("key file %s: write failed: %s", path, strerror (errno));
        goto out;
    }
    if (fsync (fd) != 0) {
        cx_fail ("key file %s: fsync failed: %s", path, strerror (errno));
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close (cfd) != 0) {
        cx_fail ("key file %s: close failed: %s", path, strerror (errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) close (fd);
    if (rc != 0 && created) unlink (path); /* never leave a partial key file behind */
    sodium_free (buf);                     /* NULL-safe; wipes */
    return rc;
}

/* Reads the whole of FD (a regular file at most CX_KEYFILE_MAXBYTES long)
   into BUF of CAP bytes; *LEN_P gets the count. 0 or -1 (errno, or EFBIG
   if the file grew past CAP). */
static int read_all (int fd, uint8_t *buf, size_t cap, size_t *len_p)
{
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            errno = EFBIG;
            return -1;
        }
        ssize_t n = read (fd, buf + got, cap - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    *len_p = got;
    return 0;
}

cx_keypair_t *cx_keypair_load (const char *path, cx_keytype_t expect)
{
    if (!path) {
        cx_fail ("cx_keypair_load: no path given");
        return NULL;
    }
    cx_keypair_t *kp = NULL;
    uint8_t *buf = NULL;
    const size_t cap = CX_KEYFILE_PROTECTED_MAXBYTES + 1; /* one spare to notice growth */
    size_t len = 0;

    /* O_NONBLOCK so that a FIFO planted at PATH cannot hang us before fstat
       refuses it; it changes nothing for regular files. */
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            cx_fail ("key file %s is a symbolic link; refusing it (point to the real file)", path);
        else
            cx_fail ("key file %s: cannot open: %s", path, strerror (errno));
        goto out;
    }
    struct stat st;
    if (fstat (fd, &st) != 0) {
        cx_fail ("key file %s: cannot stat: %s", path, strerror (errno));
        goto out;
    }
    if (!S_ISREG (st.st_mode)) {
        cx_fail ("key file %s is not a regular file; refusing it", path);
        goto out;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        cx_fail ("key file %s: mode 0%03o gives access to group or others; chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        goto out;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > CX_KEYFILE_PROTECTED_MAXBYTES) {
        cx_fail ("key file %s: %jd bytes is larger than any key file (%u); not a cdx key", path,
                 (intmax_t)st.st_size, CX_KEYFILE_PROTECTED_MAXBYTES);
        goto out;
    }
    buf = sodium_malloc (cap);
    if (!buf) {
        cx_fail ("out of guarded memory reading key file %s (sodium_malloc failed)", path);
        goto out;
    }
    if (read_all (fd, buf, cap, &len) != 0) {
        if (errno == EFBIG)
            cx_fail ("key file %s grew past %u bytes while being read; not a cdx key", path,
                     CX_KEYFILE_PROTECTED_MAXBYTES);
        else
            cx_fail ("key file %s: read failed: %s", path, strerror (errno));
        goto out;
    }
    char name[200];
    snprintf (name, sizeof name, "key file %s", path);
    if (len >= 4 && memcmp (buf, PF_MAGIC, 4) == 0)
        kp = protected_parse_named (buf, len, expect, (const char *)s_pass, s_passlen, name);
    else if (len > CX_KEYFILE_MAXBYTES)
        cx_fail ("key file %s: %zu bytes is larger than any key file (%u); not a cdx key", path, len,
                 CX_KEYFILE_MAXBYTES);
    else
        kp = keypair_parse_named (buf, len, expect, name);
out:
    if (buf) {
        sodium_memzero (buf, cap);
        sodium_free (buf);
    }
    if (fd >= 0) close (fd);
    return kp;
}

/* 0 if SK is the secret half of PK for TYPE, else -1; -2 if there is no
   guarded memory to check it. Does not set errors. */
static int secret_matches_public (cx_keytype_t type, const uint8_t *sk, const uint8_t *pk)
{
    int rc = -1;
    if (type == CX_KEY_SIGN) {
        /* An Ed25519 secret key is seed || pk. Checking only the embedded
           pk (crypto_sign_ed25519_sk_to_pk) would let a damaged seed
           through, so derive the whole key pair from the seed again and
           require both halves to match byte for byte. */
        uint8_t *scratch = sodium_malloc (crypto_sign_SEEDBYTES + CX_SIGN_SECRETKEYBYTES);
        if (!scratch) return -2; /* not a mismatch: the caller says so */
        uint8_t *seed = scratch;
        uint8_t *sk2 = scratch + crypto_sign_SEEDBYTES;
        uint8_t pk2[CX_SIGN_PUBLICKEYBYTES];
        uint8_t pk3[CX_SIGN_PUBLICKEYBYTES];
        crypto_sign_ed25519_sk_to_seed (seed, sk);
        crypto_sign_ed25519_sk_to_pk (pk3, sk);
        if (crypto_sign_seed_keypair (pk2, sk2, seed) == 0 &&
            sodium_memcmp (pk2, pk, sizeof pk2) == 0 && sodium_memcmp (pk3, pk, sizeof pk3) == 0 &&
            sodium_memcmp (sk2, sk, CX_SIGN_SECRETKEYBYTES) == 0)
            rc = 0;
        sodium_free (scratch);
    } else {
        uint8_t pk2[CX_BOX_PUBLICKEYBYTES];
        if (crypto_scalarmult_base (pk2, sk) == 0 && sodium_memcmp (pk2, pk, sizeof pk2) == 0)
            rc = 0;
    }
    return rc;
}

/* The parser behind cx_keypair_parse and cx_keypair_load; NAME ("key file"
   or "key file PATH") starts every reason so the user knows which file. */
static cx_keypair_t *keypair_parse_named (const uint8_t *buf, size_t len, cx_keytype_t expect,
                                          const char *name)
{
    cx_keypair_t *kp = NULL;
    if (keytype_sklen ((int)expect) == 0) {
        cx_fail ("%s: asked for unknown key type %d", name, (int)expect);
        return NULL;
    }
    if (!buf && len > 0) {
        cx_fail ("%s: no buffer given", name);
        return NULL;
    }
    if (len < KF_HEADERBYTES) {
        cx_fail ("%s: %zu bytes is too short to hold a header; not a cdx key", name, len);
        goto malformed;
    }
    if (memcmp (buf, KF_MAGIC, KF_MAGICBYTES) != 0) {
        cx_fail ("%s does not start with \"CDXK\"; not a cdx key", name);
        goto malformed;
    }
    if (buf[4] != KF_VERSION) {
        cx_fail ("%s has format version %u; this build reads version %u", name, buf[4], KF_VERSION);
        goto malformed;
    }
    size_t sklen = keytype_sklen (buf[5]);
    if (sklen == 0) {
        cx_fail ("%s holds unknown key type %u", name, buf[5]);
        goto malformed;
    }
    if (buf[5] != (uint8_t)expect) {
        cx_fail ("%s holds a %s key where a %s key was expected", name,
                 keytype_name ((cx_keytype_t)buf[5]), keytype_name (expect));
        goto malformed;
    }
    if (buf[6] != 0 || buf[7] != 0) {
        cx_fail ("%s has non-zero reserved bytes; damaged or from a newer cdx", name);
        goto malformed;
    }
    if (len != KF_SKOFFSET + sklen) {
        cx_fail ("%s is %zu bytes; a %s key file is exactly %zu bytes (truncated or padded?)", name,
                 len, keytype_name (expect), (size_t)(KF_SKOFFSET + sklen));
        goto malformed;
    }
    const uint8_t *pk = buf + KF_PKOFFSET;
    const uint8_t *sk = buf + KF_SKOFFSET;
    uint8_t fp[CX_FINGERPRINTBYTES];
    fingerprint_raw (pk, fp);
    if (sodium_memcmp (fp, buf + 8, sizeof fp) != 0) {
        cx_fail ("%s: fingerprint does not match the public key; the file is damaged", name);
        goto malformed;
    }
    kp = keypair_alloc (expect);
    if (!kp) return NULL; /* reason already set */
    int match = secret_matches_public (expect, sk, pk);
    if (match != 0) {
        if (match == -2) cx_fail ("%s: out of guarded memory to check the key (sodium_malloc failed)", name);
        else cx_fail ("%s: secret key does not match the public key; the file is damaged", name);
        goto malformed;
    }
    memcpy (kp->pk, pk, CX_SIGN_PUBLICKEYBYTES);
    memcpy (kp->sk, sk, sklen);
    return kp;

malformed:
    cx_keypair_destroy (&kp);
    return NULL;
}

cx_keypair_t *cx_keypair_parse (const uint8_t *buf, size_t len, cx_keytype_t expect)
{
    return keypair_parse_named (buf, len, expect, "key file");
}

/* ---- signatures ------------------------------------------------------ */

int cx_sign (const cx_keypair_t *kp, const uint8_t *msg, size_t len, uint8_t sig[CX_SIGNATUREBYTES])
{
    if (!kp || !sig || (!msg && len > 0)) {
        cx_fail ("cx_sign: missing key pair, message or signature buffer");
        return -1;
    }
    if (kp->type != CX_KEY_SIGN) {
        cx_fail ("cx_sign: a %s key pair cannot sign; use a sign key pair",
                 keytype_name (kp->type));
        return -1;
    }
    if (crypto_sign_detached (sig, NULL, msg, len, kp->sk) != 0) {
        cx_fail ("cx_sign: libsodium failed to sign");
        return -1;
    }
    return 0;
}

int cx_verify (const uint8_t pk[CX_SIGN_PUBLICKEYBYTES], const uint8_t *msg, size_t len,
               const uint8_t sig[CX_SIGNATUREBYTES])
{
    if (!pk || !sig || (!msg && len > 0)) {
        cx_fail ("cx_verify: missing public key, message or signature");
        return -1;
    }
    if (crypto_sign_verify_detached (sig, msg, len, pk) != 0) {
        cx_fail ("signature does not verify: wrong signer, or the message or signature was "
                 "altered");
        return -1;
    }
    return 0;
}

/* ---- hashing --------------------------------------------------------- */

/* Allocated with sodium_malloc, which places the object at the end of a
   page: the state's 64-byte alignment holds because the struct's size is a
   multiple of its alignment. */
struct cx_hash {
    crypto_generichash_state st;
    int done; /* final has been called */
};

cx_hash_t *cx_hash_new (void)
{
    cx_hash_t *h = sodium_malloc (sizeof *h);
    if (!h) {
        cx_fail ("out of guarded memory for a hash state (sodium_malloc failed)");
        return NULL;
    }
    h->done = 0;
    if (crypto_generichash_init (&h->st, NULL, 0, CX_HASHBYTES) != 0) {
        sodium_free (h);
        cx_fail ("libsodium could not start a BLAKE2b hash");
        return NULL;
    }
    return h;
}

int cx_hash_update (cx_hash_t *h, const uint8_t *data, size_t len)
{
    if (!h || (!data && len > 0)) {
        cx_fail ("cx_hash_update: missing hash or data");
        return -1;
    }
    if (h->done) {
        cx_fail ("cx_hash_update: hash already finalised; start a new one");
        return -1;
    }
    if (len == 0) return 0;
    if (crypto_generichash_update (&h->st, data, len) != 0) {
        cx_fail ("libsodium failed to update a BLAKE2b hash");
        return -1;
    }
    return 0;
}

int cx_hash_final (cx_hash_t *h, uint8_t out[CX_HASHBYTES])
{
    if (!h || !out) {
        cx_fail ("cx_hash_final: missing hash or output");
        return -1;
    }
    if (h->done) {
        cx_fail ("cx_hash_final: hash already finalised; it may be finalised only once");
        return -1;
    }
    h->done = 1;
    int rc = crypto_generichash_final (&h->st, out, CX_HASHBYTES);
    sodium_memzero (&h->st, sizeof h->st);
    if (rc != 0) {
        cx_fail ("libsodium failed to finalise a BLAKE2b hash");
        return -1;
    }
    return 0;
}

void cx_hash_destroy (cx_hash_t **h_p)
{
    if (!h_p || !*h_p) return;
    sodium_free (*h_p);
    *h_p = NULL;
}

int cx_hash_buf (const uint8_t *data, size_t len, uint8_t out[CX_HASHBYTES])
{
    if (!out || (!data && len > 0)) {
        cx_fail ("cx_hash_buf: missing data or output");
        return -1;
    }
    if (crypto_generichash (out, CX_HASHBYTES, data, len, NULL, 0) != 0) {
        cx_fail ("libsodium failed to compute a BLAKE2b hash");
        return -1;
    }
    return 0;
}

/* ---- content keys and chunks ----------------------------------------- */

struct cx_content {
    uint8_t key[CX_KEYBYTES]; /* the whole struct is sodium_malloc'd */
};

#define CHUNK_NONCEBYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES /* 24 */
#define CHUNK_ADBYTES (CX_DATASET_IDBYTES + 8u)                       /* 24 */
_Static_assert(CHUNK_NONCEBYTES == 24, "XChaCha20 nonce is 24 bytes");

static cx_content_t *content_alloc (void)
{
    cx_content_t *k = sodium_malloc (sizeof *k);
    if (!k) cx_fail ("out of guarded memory for a content key (sodium_malloc failed)");
    return k;
}

cx_content_t *cx_content_new (void)
{
    cx_content_t *k = content_alloc ();
    if (k) crypto_aead_xchacha20poly1305_ietf_keygen (k->key);
    return k;
}

void cx_content_destroy (cx_content_t **k_p)
{
    if (!k_p || !*k_p) return;
    sodium_free (*k_p); /* wipes */
    *k_p = NULL;
}

int cx_content_wrap (const cx_content_t *k, const uint8_t box_pk[CX_BOX_PUBLICKEYBYTES],
                     uint8_t out[CX_WRAPPEDBYTES])
{
    if (!k || !box_pk || !out) {
        cx_fail ("cx_content_wrap: missing content key, public key or output");
        return -1;
    }
    if (crypto_box_seal (out, k->key, CX_KEYBYTES, box_pk) != 0) {
        cx_fail ("cannot wrap the content key for this box public key (invalid public key)");
        return -1;
    }
    return 0;
}

cx_content_t *cx_content_unwrap (const uint8_t wrapped[CX_WRAPPEDBYTES], const cx_keypair_t *box_kp)
{
    if (!wrapped || !box_kp) {
        cx_fail ("cx_content_unwrap: missing wrapped key or key pair");
        return NULL;
    }
    if (box_kp->type != CX_KEY_BOX) {
        cx_fail ("cx_content_unwrap: a %s key pair cannot open content keys; use the box key "
                 "pair",
                 keytype_name (box_kp->type));
        return NULL;
    }
    cx_content_t *k = content_alloc ();
    if (!k) return NULL;
    if (crypto_box_seal_open (k->key, wrapped, CX_WRAPPEDBYTES, box_kp->pk, box_kp->sk) != 0) {
        cx_content_destroy (&k);
        cx_fail ("wrapped content key does not open: not wrapped for this box key, or altered");
        return NULL;
    }
    return k;
}

static void store_le64 (uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

/* Nonce = index (8 bytes, little-endian) || 16 zero bytes;
   AD = dataset id (16) || index (8 bytes, little-endian). */
static void chunk_nonce_ad (const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                            uint8_t nonce[CHUNK_NONCEBYTES], uint8_t ad[CHUNK_ADBYTES])
{
    memset (nonce, 0, CHUNK_NONCEBYTES);
    store_le64 (nonce, index);
    memcpy (ad, id, CX_DATASET_IDBYTES);
    store_le64 (ad + CX_DATASET_IDBYTES, index);
}

int cx_chunk_seal (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    if (!k || !id || !out || (!in && len > 0)) {
        cx_fail ("cx_chunk_seal: missing content key, dataset id, input or output");
        return -1;
    }
    if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX) {
        cx_fail ("cx_chunk_seal: chunk of %zu bytes is too large to seal", len);
        return -1;
    }
    uint8_t nonce[CHUNK_NONCEBYTES];
    uint8_t ad[CHUNK_ADBYTES];
    chunk_nonce_ad (id, index, nonce, ad);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt (out, &clen, in, len, ad, sizeof ad, NULL, nonce,
                                                    k->key) != 0 ||
        clen != (unsigned long long)len + CX_CHUNK_ABYTES) {
        cx_fail ("libsodium failed to seal chunk %llu", (unsigned long long)index);
        return -1;
    }
    return 0;
}

int cx_chunk_open (const cx_content_t *k, const uint8_t id[CX_DATASET_IDBYTES], uint64_t index,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    if (!k || !id || !in) {
        cx_fail ("cx_chunk_open: missing content key, dataset id or input");
        return -1;
    }
    if (len < CX_CHUNK_ABYTES) {
        cx_fail ("sealed chunk %llu is %zu bytes, shorter than its %u-byte tag",
                 (unsigned long long)index, len, CX_CHUNK_ABYTES);
        return -1;
    }
    if (!out && len > CX_CHUNK_ABYTES) {
        cx_fail ("cx_chunk_open: missing output");
        return -1;
    }
    uint8_t nonce[CHUNK_NONCEBYTES];
    uint8_t ad[CHUNK_ADBYTES];
    chunk_nonce_ad (id, index, nonce, ad);
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (out, &mlen, NULL, in, len, ad, sizeof ad, nonce,
                                                    k->key) != 0 ||
        mlen != (unsigned long long)(len - CX_CHUNK_ABYTES)) {
        cx_fail ("sealed chunk %llu does not open: altered, or from another chunk, dataset or "
                 "key",
                 (unsigned long long)index);
        return -1;
    }
    return 0;
}

/* ---- small helpers --------------------------------------------------- */

void cx_random (void *buf, size_t len)
{
    randombytes_buf (buf, len);
}

void cx_wipe (void *p, size_t len)
{
    sodium_memzero (p, len);
}

void cx_hex (const uint8_t *in, size_t len, char *out)
{
    sodium_bin2hex (out, 2 * len + 1, in, len);
}

int cx_unhex (const char *hex, uint8_t *out, size_t outlen)
{
    if (!hex || (!out && outlen > 0)) {
        cx_fail ("cx_unhex: missing input or output");
        return -1;
    }
    if (outlen > SIZE_MAX / 2) {
        cx_fail ("cx_unhex: output length %zu is too large", outlen);
        return -1;
    }
    size_t hexlen = strlen (hex);
    if (hexlen != 2 * outlen) {
        cx_fail ("hex string has %zu characters; expected exactly %zu", hexlen, 2 * outlen);
        return -1;
    }
    size_t binlen = 0;
    const char *end = NULL;
    if (sodium_hex2bin (out, outlen, hex, hexlen, NULL, &binlen, &end) != 0 || binlen != outlen ||
        end != hex + hexlen) {
        sodium_memzero (out, outlen);
        cx_fail ("hex string contains a character that is not a hex digit");
        return -1;
    }
    return 0;
}

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

size_t cx_base64_len (size_t len)
{
    return sodium_base64_ENCODED_LEN (len, B64_VARIANT);
}

void cx_base64 (const uint8_t *in, size_t len, char *out)
{
    sodium_bin2base64 (out, cx_base64_len (len), in, len, B64_VARIANT);
}

int cx_unbase64 (const char *b64, uint8_t *out, size_t outlen)
{
    if (!b64 || (!out && outlen > 0)) {
        cx_fail ("cx_unbase64: missing input or output");
        return -1;
    }
    if (outlen > SIZE_MAX / 4 * 3 - 3) {
        cx_fail ("cx_unbase64: output length %zu is too large", outlen);
        return -1;
    }
    size_t want = cx_base64_len (outlen) - 1; /* without the NUL */
    size_t b64len = strlen (b64);
    if (b64len != want) {
        cx_fail ("base64 string has %zu characters; %zu bytes encode to exactly %zu", b64len,
                 outlen, want);
        return -1;
    }
    /* libsodium 1.0.18's decoder treats bytes >= 0x80 (a negative char) as
       valid base64 digits, so check the alphabet ourselves first; padding
       placement and leftover bits are left to sodium_base642bin. */
    for (size_t i = 0; i < b64len; i++) {
        unsigned char c = (unsigned char)b64[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=')) {
            cx_fail ("base64 string has a character (0x%02x) outside the standard alphabet", c);
            return -1;
        }
    }
    size_t binlen = 0;
    const char *end = NULL;
    if (sodium_base642bin (out, outlen, b64, b64len, NULL, &binlen, &end, B64_VARIANT) != 0 ||
        binlen != outlen || end != b64 + b64len) {
        sodium_memzero (out, outlen);
        cx_fail ("base64 string is not canonical padded standard base64 of %zu bytes", outlen);
        return -1;
    }
    return 0;
}
