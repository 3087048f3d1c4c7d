/*  check_crypto.c: the Check suite for crypto/cx: its fixture, helpers and
    main. The tests are in check_crypto_*.c, by topic: key pairs and key
    files (keys), signatures, hashes, content keys and chunks (seal), hex,
    base64 and the small helpers (encoding), the SPEC.md vectors (spec).

    Proves what cx.h promises: key pairs survive a trip through a key file,
    and a key file that is anything other than a private, intact regular
    file of the right type is refused; signatures, hashes, wrapped content
    keys and sealed chunks round-trip and fail closed on every kind of
    tampering; the encoders are strict. Golden vectors (RFC 8032, RFC 7748,
    BLAKE2b, XChaCha20-Poly1305 computed by an independent implementation)
    pin the formats so another implementation can interoperate.

    Not for: anything above crypto. Each test is small and named for the
    behaviour it proves; key-file tests work in a fresh mkdtemp directory.
*/
#include "check_crypto.h"

/* ---- fixture and helpers --------------------------------------------- */

/* main() makes ROOTDIR once and removes it at the end, so that a test that
   fails in a forked child (and so skips its teardown) leaves nothing behind;
   each test gets its own mkdtemp directory inside it. */
static char rootdir[PATH_MAX];
static char tmpdir[PATH_MAX];

void setup (void)
{
    ck_assert_int_eq (cx_init (), 0);
    snprintf (tmpdir, sizeof tmpdir, "%s/t-XXXXXX", rootdir);
    ck_assert_ptr_nonnull (mkdtemp (tmpdir));
}

static int rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

void teardown (void)
{
    if (tmpdir[0]) nftw (tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

/* Path of NAME inside the test directory, in a rotating static buffer. */
const char *tpath (const char *name)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *p = bufs[next++ % 4];
    snprintf (p, PATH_MAX, "%s/%s", tmpdir, name);
    return p;
}

size_t read_file (const char *path, uint8_t *buf, size_t cap)
{
    int fd = open (path, O_RDONLY);
    ck_assert_int_ge (fd, 0);
    ssize_t n = read (fd, buf, cap);
    ck_assert_int_ge (n, 0);
    close (fd);
    return (size_t)n;
}

void write_file (const char *path, const uint8_t *buf, size_t len, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (fchmod (fd, mode), 0);
    ck_assert_int_eq ((int)write (fd, buf, len), (int)len);
    close (fd);
}

size_t file_len (cx_keytype_t type)
{
    return type == CX_KEY_SIGN ? 112 : 80;
}

const cx_keytype_t all_types[3] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};

/* Saves a new key pair of TYPE as NAME and returns the file's bytes in BUF
   (at least 128 bytes). The caller destroys *KP_P if KP_P is given. */
size_t saved_keyfile (cx_keytype_t type, const char *name, uint8_t *buf, cx_keypair_t **kp_p)
{
    cx_keypair_t *kp = cx_keypair_new (type);
    ck_assert_ptr_nonnull (kp);
    ck_assert_int_eq (cx_keypair_save (kp, tpath (name)), 0);
    size_t len = read_file (tpath (name), buf, 256);
    ck_assert_uint_eq (len, file_len (type));
    if (kp_p)
        *kp_p = kp;
    else
        cx_keypair_destroy (&kp);
    return len;
}

/* Writes BUF as a fresh 0600 file NAME and asserts that loading it as EXPECT fails. */
void assert_load_refuses (const uint8_t *buf, size_t len, const char *name,
                                 cx_keytype_t expect)
{
    write_file (tpath (name), buf, len, 0600);
    cx_keypair_t *kp = cx_keypair_load (tpath (name), expect);
    ck_assert_ptr_null (kp);
    ck_assert_ptr_nonnull (strstr (cx_error (), tpath (name)));
}

void unhex_or_die (const char *hex, uint8_t *out, size_t outlen)
{
    ck_assert_int_eq (cx_unhex (hex, out, outlen), 0);
}

/* RFC 8032 section 7.1, test 1. */
const char *const rfc8032_seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char *const rfc8032_pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char *const rfc8032_sig =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
    "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
/* First 8 bytes of BLAKE2b-256(rfc8032_pk), from Python hashlib. */
const char *const rfc8032_fp = "7849ac3049680be1";

/* RFC 7748 section 6.1, Alice. */
const char *const rfc7748_sk = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const char *const rfc7748_pk = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const char *const rfc7748_fp = "7a91869e4c114964";

/* The documented key file for the RFC 8032 key, byte by byte. */
size_t golden_sign_keyfile (uint8_t buf[112])
{
    memcpy (buf, "CDXK", 4);
    buf[4] = 1;
    buf[5] = CX_KEY_SIGN;
    buf[6] = buf[7] = 0;
    unhex_or_die (rfc8032_fp, buf + 8, 8);
    unhex_or_die (rfc8032_pk, buf + 16, 32);
    unhex_or_die (rfc8032_seed, buf + 48, 32);
    unhex_or_die (rfc8032_pk, buf + 80, 32);
    return 112;
}

size_t golden_box_keyfile (uint8_t buf[80], cx_keytype_t type)
{
    memcpy (buf, "CDXK", 4);
    buf[4] = 1;
    buf[5] = (uint8_t)type;
    buf[6] = buf[7] = 0;
    unhex_or_die (rfc7748_fp, buf + 8, 8);
    unhex_or_die (rfc7748_pk, buf + 16, 32);
    unhex_or_die (rfc7748_sk, buf + 48, 32);
    return 80;
}

/* The 32 raw bytes of K, recovered by wrapping it for a throwaway box key
   and opening the sealed box with libsodium directly. */
void raw_content_key (const cx_content_t *k, uint8_t raw[CX_KEYBYTES])
{
    cx_keypair_t *box = cx_keypair_new (CX_KEY_BOX);
    uint8_t w[CX_WRAPPEDBYTES];
    ck_assert_int_eq (cx_content_wrap (k, cx_keypair_public (box), w), 0);
    ck_assert_int_eq (
        crypto_box_seal_open (raw, w, sizeof w, cx_keypair_public (box), cx_keypair_secret (box)),
        0);
    cx_keypair_destroy (&box);
}

/* ---- suite ------------------------------------------------------------ */

TCase *tcase (const char *name)
{
    TCase *tc = tcase_create (name);
    tcase_add_checked_fixture (tc, setup, teardown);
    return tc;
}

static Suite *crypto_suite (void)
{
    Suite *s = suite_create ("crypto");
    crypto_keys_tcases (s);
    crypto_seal_tcases (s);
    crypto_encoding_tcases (s);
    crypto_spec_tcases (s);
    return s;
}

int main (void)
{
    if (cx_init () != 0) {
        fprintf (stderr, "check_crypto: %s\n", cx_error ());
        return 1;
    }
    const char *base = getenv ("TMPDIR");
    snprintf (rootdir, sizeof rootdir, "%s/cdx-check-crypto-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp (rootdir)) {
        perror ("check_crypto: mkdtemp");
        return 1;
    }
    SRunner *sr = srunner_create (crypto_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    nftw (rootdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
