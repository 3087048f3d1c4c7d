/*  keyfile.c: key files, plain and passphrase-protected.

    Writes a key pair to a file created exclusively (O_EXCL, O_NOFOLLOW)
    with mode 0600 and fsynced, and reads one back only from a private
    regular file whose every byte checks out: magic, version, type, length,
    fingerprint, and a secret that really derives the public half. With a
    passphrase set the plain file is sealed in an envelope (Argon2id, then
    XSalsa20-Poly1305) whose cost parameters are fixed, so a hostile file
    cannot make a node spend unbounded time or memory before the MAC is
    checked. The passphrase lives in guarded memory.

    It is not for: key pairs in memory, signatures or hashing (cx.c), nor
    content keys (content.c). Bytes from a file are never asserted on: they
    are refused with a reason that names the file.
*/
#include "cx.h"
#include "cx_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

/* ---- key files ------------------------------------------------------- */

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
