/*  check_crypto_keys.c: key pairs, key files and the key file parser of
    crypto/cx.

    A new key pair is what its type says; a key file round-trips, is
    created 0600 without following or replacing anything, and is refused,
    naming it, when it is anything other than a private, intact regular
    file of the expected type; the parser refuses every truncation, flipped
    bit, other version and stray byte, and accepts the RFC 8032 and
    RFC 7748 keys in the documented layout.

    Not for: what the keys then do (check_crypto_seal.c).
*/
#include "check_crypto.h"

/* ---- key pairs -------------------------------------------------------- */

START_TEST (test_new_sign_keypair_has_64_byte_secret_holding_its_public_half)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_ptr_nonnull (kp);
    ck_assert_int_eq (cx_keypair_type (kp), CX_KEY_SIGN);
    uint8_t pk[32];
    crypto_sign_ed25519_sk_to_pk (pk, cx_keypair_secret (kp));
    ck_assert_mem_eq (pk, cx_keypair_public (kp), 32);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_new_box_and_curve_keypairs_have_secret_deriving_public)
{
    cx_keytype_t type = all_types[1 + _i];
    cx_keypair_t *kp = cx_keypair_new (type);
    ck_assert_ptr_nonnull (kp);
    ck_assert_int_eq (cx_keypair_type (kp), type);
    uint8_t pk[32];
    ck_assert_int_eq (crypto_scalarmult_base (pk, cx_keypair_secret (kp)), 0);
    ck_assert_mem_eq (pk, cx_keypair_public (kp), 32);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_new_keypairs_are_distinct)
{
    cx_keypair_t *a = cx_keypair_new (all_types[_i]);
    cx_keypair_t *b = cx_keypair_new (all_types[_i]);
    ck_assert_ptr_nonnull (a);
    ck_assert_ptr_nonnull (b);
    ck_assert_mem_ne (cx_keypair_public (a), cx_keypair_public (b), 32);
    cx_keypair_destroy (&a);
    cx_keypair_destroy (&b);
}
END_TEST

START_TEST (test_new_refuses_unknown_type_with_reason)
{
    ck_assert_ptr_null (cx_keypair_new ((cx_keytype_t)0));
    ck_assert_ptr_nonnull (strstr (cx_error (), "unknown key type"));
    ck_assert_ptr_null (cx_keypair_new ((cx_keytype_t)4));
}
END_TEST

START_TEST (test_destroy_sets_pointer_null_and_tolerates_null)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_BOX);
    ck_assert_ptr_nonnull (kp);
    cx_keypair_destroy (&kp);
    ck_assert_ptr_null (kp);
    cx_keypair_destroy (&kp);
    cx_keypair_destroy (NULL);
}
END_TEST

START_TEST (test_keyfile_round_trip_preserves_type_and_both_halves)
{
    cx_keytype_t type = all_types[_i];
    cx_keypair_t *kp = cx_keypair_new (type);
    ck_assert_ptr_nonnull (kp);
    ck_assert_int_eq (cx_keypair_save (kp, tpath ("k.key")), 0);
    cx_keypair_t *back = cx_keypair_load (tpath ("k.key"), type);
    ck_assert_msg (back != NULL, "load failed: %s", cx_error ());
    ck_assert_int_eq (cx_keypair_type (back), type);
    ck_assert_mem_eq (cx_keypair_public (back), cx_keypair_public (kp), 32);
    size_t sklen = type == CX_KEY_SIGN ? 64 : 32;
    ck_assert_mem_eq (cx_keypair_secret (back), cx_keypair_secret (kp), sklen);
    cx_keypair_destroy (&kp);
    cx_keypair_destroy (&back);
}
END_TEST

START_TEST (test_protected_keyfile_needs_the_passphrase)
{
    cx_keytype_t type = all_types[_i];
    cx_keypair_t *kp = cx_keypair_new (type);
    ck_assert_ptr_nonnull (kp);
    ck_assert_int_eq (cx_set_passphrase ("correct horse", 13), 0);
    ck_assert_int_eq (cx_passphrase_set (), 1);
    ck_assert_int_eq (cx_keypair_save (kp, tpath ("p.key")), 0);
    cx_keypair_t *back = cx_keypair_load (tpath ("p.key"), type);
    ck_assert_msg (back != NULL, "load failed: %s", cx_error ());
    ck_assert_mem_eq (cx_keypair_public (back), cx_keypair_public (kp), 32);
    ck_assert_mem_eq (cx_keypair_secret (back), cx_keypair_secret (kp), type == CX_KEY_SIGN ? 64 : 32);
    cx_keypair_destroy (&back);
    /* the file holds no secret in clear */
    uint8_t file[CX_KEYFILE_PROTECTED_MAXBYTES + 1];
    FILE *f = fopen (tpath ("p.key"), "rb");
    size_t n = fread (file, 1, sizeof file, f);
    fclose (f);
    ck_assert_int_eq (memcmp (file, "CDXP", 4), 0);
    size_t sklen = type == CX_KEY_SIGN ? 64 : 32;
    for (size_t i = 0; i + 8 <= n; i++)
        ck_assert_msg (memcmp (file + i, cx_keypair_secret (kp), 8) != 0, "secret bytes found in clear");
    /* wrong passphrase, none, an altered byte */
    ck_assert_int_eq (cx_set_passphrase ("wrong horse", 11), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("p.key"), type));
    ck_assert_ptr_nonnull (strstr (cx_error (), "wrong passphrase"));
    ck_assert_int_eq (cx_set_passphrase (NULL, 0), 0);
    ck_assert_int_eq (cx_passphrase_set (), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("p.key"), type));
    ck_assert_ptr_nonnull (strstr (cx_error (), "CDX_PASSPHRASE_FILE"));
    file[n - 1] ^= 1;
    ck_assert_ptr_null (cx_keypair_parse_protected (file, n, type, "correct horse", 13));
    file[n - 1] ^= 1;
    back = cx_keypair_parse_protected (file, n, type, "correct horse", 13);
    ck_assert_ptr_nonnull (back);
    cx_keypair_destroy (&back);
    /* the passphrase parameters are fixed: a file asking for others is refused before any work */
    file[15] ^= 1;
    ck_assert_ptr_null (cx_keypair_parse_protected (file, n, type, "correct horse", 13));
    (void)sklen;
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_loaded_sign_key_makes_signatures_the_original_public_key_verifies)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_int_eq (cx_keypair_save (kp, tpath ("s.key")), 0);
    cx_keypair_t *back = cx_keypair_load (tpath ("s.key"), CX_KEY_SIGN);
    ck_assert_ptr_nonnull (back);
    const uint8_t msg[] = "manifest";
    uint8_t sig[CX_SIGNATUREBYTES];
    ck_assert_int_eq (cx_sign (back, msg, sizeof msg, sig), 0);
    ck_assert_int_eq (cx_verify (cx_keypair_public (kp), msg, sizeof msg, sig), 0);
    cx_keypair_destroy (&kp);
    cx_keypair_destroy (&back);
}
END_TEST

START_TEST (test_saved_file_has_mode_0600_even_with_permissive_umask)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    mode_t old = umask (0);
    int rc = cx_keypair_save (kp, tpath ("m.key"));
    umask (old);
    ck_assert_int_eq (rc, 0);
    struct stat st;
    ck_assert_int_eq (lstat (tpath ("m.key"), &st), 0);
    ck_assert (S_ISREG (st.st_mode));
    ck_assert_uint_eq (st.st_mode & 07777, 0600);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_saved_file_follows_documented_layout)
{
    cx_keytype_t type = all_types[_i];
    cx_keypair_t *kp = NULL;
    uint8_t buf[256];
    size_t len = saved_keyfile (type, "l.key", buf, &kp);
    size_t sklen = type == CX_KEY_SIGN ? 64 : 32;
    ck_assert_uint_eq (len, 4 + 1 + 1 + 2 + 8 + 32 + sklen);
    ck_assert_mem_eq (buf, "CDXK", 4);
    ck_assert_uint_eq (buf[4], 1);
    ck_assert_uint_eq (buf[5], (unsigned)type);
    ck_assert_uint_eq (buf[6], 0);
    ck_assert_uint_eq (buf[7], 0);
    uint8_t h[32];
    crypto_generichash (h, 32, cx_keypair_public (kp), 32, NULL, 0);
    ck_assert_mem_eq (buf + 8, h, 8);
    ck_assert_mem_eq (buf + 16, cx_keypair_public (kp), 32);
    ck_assert_mem_eq (buf + 48, cx_keypair_secret (kp), sklen);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_save_refuses_to_overwrite_and_leaves_existing_file_intact)
{
    uint8_t before[256], after[256];
    size_t len = saved_keyfile (CX_KEY_SIGN, "x.key", before, NULL);
    cx_keypair_t *other = cx_keypair_new (CX_KEY_SIGN);
    ck_assert_int_eq (cx_keypair_save (other, tpath ("x.key")), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "already exists"));
    ck_assert_uint_eq (read_file (tpath ("x.key"), after, sizeof after), len);
    ck_assert_mem_eq (before, after, len);
    cx_keypair_destroy (&other);
}
END_TEST

START_TEST (test_save_refuses_dangling_symlink_and_creates_nothing)
{
    ck_assert_int_eq (symlink (tpath ("target.key"), tpath ("link.key")), 0);
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_BOX);
    ck_assert_int_eq (cx_keypair_save (kp, tpath ("link.key")), -1);
    ck_assert_int_eq (access (tpath ("target.key"), F_OK), -1);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_save_into_missing_directory_fails_with_reason)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_BOX);
    ck_assert_int_eq (cx_keypair_save (kp, tpath ("no/such/dir.key")), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "no/such/dir.key"));
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_save_with_failing_write_leaves_no_partial_file)
{
    /* Fault injection: a 10-byte file size limit makes the write fail half
       way (EFBIG, with SIGXFSZ ignored). */
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_SIGN);
    struct rlimit old, lim;
    ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 10;
    void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
    ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &lim), 0);
    int rc = cx_keypair_save (kp, tpath ("partial.key"));
    ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &old), 0);
    signal (SIGXFSZ, old_handler);
    ck_assert_int_eq (rc, -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "write failed"));
    ck_assert_int_eq (access (tpath ("partial.key"), F_OK), -1);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_load_refuses_symlink_to_valid_key)
{
    uint8_t buf[256];
    saved_keyfile (CX_KEY_SIGN, "real.key", buf, NULL);
    ck_assert_int_eq (symlink (tpath ("real.key"), tpath ("link.key")), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("link.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "symbolic link"));
    /* The real file itself is fine: the refusal is about the link. */
    cx_keypair_t *kp = cx_keypair_load (tpath ("real.key"), CX_KEY_SIGN);
    ck_assert_ptr_nonnull (kp);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_load_refuses_mode_0644_and_says_chmod_600)
{
    uint8_t buf[256];
    saved_keyfile (CX_KEY_SIGN, "open.key", buf, NULL);
    ck_assert_int_eq (chmod (tpath ("open.key"), 0644), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("open.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "0644"));
    ck_assert_ptr_nonnull (strstr (cx_error (), "chmod 600"));
}
END_TEST

static const mode_t loose_bits[] = {040, 020, 010, 004, 002, 001};

START_TEST (test_load_refuses_any_group_or_other_permission_bit)
{
    uint8_t buf[256];
    saved_keyfile (CX_KEY_BOX, "loose.key", buf, NULL);
    ck_assert_int_eq (chmod (tpath ("loose.key"), 0600 | loose_bits[_i]), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("loose.key"), CX_KEY_BOX));
}
END_TEST

START_TEST (test_load_accepts_owner_read_only_mode_0400)
{
    uint8_t buf[256];
    saved_keyfile (CX_KEY_CURVE, "ro.key", buf, NULL);
    ck_assert_int_eq (chmod (tpath ("ro.key"), 0400), 0);
    cx_keypair_t *kp = cx_keypair_load (tpath ("ro.key"), CX_KEY_CURVE);
    ck_assert_msg (kp != NULL, "%s", cx_error ());
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_load_refuses_directory)
{
    ck_assert_int_eq (mkdir (tpath ("dir.key"), 0700), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("dir.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "not a regular file"));
}
END_TEST

START_TEST (test_load_refuses_fifo_without_blocking)
{
    ck_assert_int_eq (mkfifo (tpath ("fifo.key"), 0600), 0);
    ck_assert_ptr_null (cx_keypair_load (tpath ("fifo.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "not a regular file"));
}
END_TEST

START_TEST (test_load_refuses_missing_file_naming_it)
{
    ck_assert_ptr_null (cx_keypair_load (tpath ("absent.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "absent.key"));
}
END_TEST

START_TEST (test_load_refuses_truncated_file)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (all_types[_i], "orig.key", buf, NULL);
    assert_load_refuses (buf, len - 1, "short.key", all_types[_i]);
}
END_TEST

START_TEST (test_load_refuses_file_with_one_extra_byte)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (all_types[_i], "orig.key", buf, NULL);
    buf[len] = 0;
    assert_load_refuses (buf, len + 1, "long.key", all_types[_i]);
}
END_TEST

START_TEST (test_load_refuses_file_larger_than_any_key_file)
{
    uint8_t buf[512];
    size_t len = saved_keyfile (CX_KEY_SIGN, "orig.key", buf, NULL);
    memset (buf + len, 0, sizeof buf - len);
    assert_load_refuses (buf, CX_KEYFILE_MAXBYTES + 1, "big.key", CX_KEY_SIGN);
    ck_assert_ptr_nonnull (strstr (cx_error (), "larger"));
}
END_TEST

START_TEST (test_load_refuses_empty_file)
{
    uint8_t none[1] = {0};
    assert_load_refuses (none, 0, "empty.key", CX_KEY_SIGN);
}
END_TEST

START_TEST (test_load_refuses_flipped_fingerprint_byte)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (all_types[_i], "orig.key", buf, NULL);
    buf[8 + 3] ^= 0x01;
    assert_load_refuses (buf, len, "fp.key", all_types[_i]);
    ck_assert_ptr_nonnull (strstr (cx_error (), "fingerprint"));
}
END_TEST

START_TEST (test_load_refuses_flipped_public_key_byte)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (all_types[_i], "orig.key", buf, NULL);
    buf[16 + 20] ^= 0x40;
    assert_load_refuses (buf, len, "pk.key", all_types[_i]);
}
END_TEST

START_TEST (test_load_refuses_flipped_secret_key_byte)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (all_types[_i], "orig.key", buf, NULL);
    buf[48 + 10] ^= 0x01; /* inside the seed / scalar, away from clamped bits */
    assert_load_refuses (buf, len, "sk.key", all_types[_i]);
    ck_assert_ptr_nonnull (strstr (cx_error (), "secret key does not match"));
}
END_TEST

START_TEST (test_load_refuses_sign_key_whose_seed_belongs_to_another_key)
{
    /* pk, fingerprint and the pk copy inside sk all agree; only the seed is
       foreign. Checking sk_to_pk alone would accept this file. */
    uint8_t buf[256], other[256];
    size_t len = saved_keyfile (CX_KEY_SIGN, "a.key", buf, NULL);
    saved_keyfile (CX_KEY_SIGN, "b.key", other, NULL);
    memcpy (buf + 48, other + 48, 32);
    assert_load_refuses (buf, len, "mixed.key", CX_KEY_SIGN);
}
END_TEST

START_TEST (test_load_refuses_wrong_expected_type)
{
    uint8_t buf[256];
    saved_keyfile (CX_KEY_SIGN, "s.key", buf, NULL);
    saved_keyfile (CX_KEY_BOX, "b.key", buf, NULL);
    saved_keyfile (CX_KEY_CURVE, "c.key", buf, NULL);
    ck_assert_ptr_null (cx_keypair_load (tpath ("s.key"), CX_KEY_BOX));
    ck_assert_ptr_nonnull (strstr (cx_error (), "sign key where a box key was expected"));
    ck_assert_ptr_null (cx_keypair_load (tpath ("b.key"), CX_KEY_CURVE));
    ck_assert_ptr_null (cx_keypair_load (tpath ("c.key"), CX_KEY_BOX));
    ck_assert_ptr_null (cx_keypair_load (tpath ("b.key"), CX_KEY_SIGN));
}
END_TEST

START_TEST (test_parse_refuses_every_truncation)
{
    cx_keytype_t type = all_types[_i];
    uint8_t buf[256];
    size_t len = saved_keyfile (type, "orig.key", buf, NULL);
    for (size_t n = 0; n < len; n++) {
        cx_keypair_t *kp = cx_keypair_parse (buf, n, type);
        ck_assert_msg (kp == NULL, "accepted a %zu-byte prefix", n);
    }
    cx_keypair_t *kp = cx_keypair_parse (buf, len, type);
    ck_assert_ptr_nonnull (kp);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_parse_refuses_any_flipped_bit_in_sign_key_file)
{
    uint8_t buf[256];
    size_t len = saved_keyfile (CX_KEY_SIGN, "orig.key", buf, NULL);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            cx_keypair_t *kp = cx_keypair_parse (buf, len, CX_KEY_SIGN);
            ck_assert_msg (kp == NULL, "accepted a flip of bit %d of byte %zu", bit, i);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
}
END_TEST

START_TEST (test_parse_refuses_flipped_unclamped_bit_anywhere_in_box_key_file)
{
    /* X25519 clamps bits 0-2 of byte 0 and bits 6-7 of byte 31 of the
       secret, so flips there give the same key; bit 4 is never clamped. */
    cx_keytype_t type = all_types[1 + _i];
    uint8_t buf[256];
    size_t len = saved_keyfile (type, "orig.key", buf, NULL);
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x10;
        cx_keypair_t *kp = cx_keypair_parse (buf, len, type);
        ck_assert_msg (kp == NULL, "accepted a flip of byte %zu", i);
        buf[i] ^= 0x10;
    }
}
END_TEST

START_TEST (test_parse_refuses_other_format_version)
{
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    buf[4] = 2;
    ck_assert_ptr_null (cx_keypair_parse (buf, len, CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "version 2"));
}
END_TEST

START_TEST (test_parse_refuses_nonzero_reserved_bytes)
{
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    buf[7] = 1; /* fingerprint covers only pk, so only the reserved check can catch this */
    ck_assert_ptr_null (cx_keypair_parse (buf, len, CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "reserved"));
}
END_TEST

START_TEST (test_parse_refuses_bad_magic_and_unknown_type)
{
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    buf[0] = 'c';
    ck_assert_ptr_null (cx_keypair_parse (buf, len, CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "CDXK"));
    buf[0] = 'C';
    buf[5] = 9;
    ck_assert_ptr_null (cx_keypair_parse (buf, len, CX_KEY_SIGN));
    ck_assert_ptr_nonnull (strstr (cx_error (), "unknown key type"));
}
END_TEST

START_TEST (test_parse_refuses_null_and_empty_input)
{
    ck_assert_ptr_null (cx_keypair_parse (NULL, 0, CX_KEY_SIGN));
    ck_assert_ptr_null (cx_keypair_parse (NULL, 112, CX_KEY_SIGN));
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    ck_assert_ptr_null (cx_keypair_parse (buf, len, (cx_keytype_t)0));
}
END_TEST

START_TEST (test_parse_accepts_rfc8032_key_in_documented_layout)
{
    uint8_t buf[112];
    size_t len = golden_sign_keyfile (buf);
    cx_keypair_t *kp = cx_keypair_parse (buf, len, CX_KEY_SIGN);
    ck_assert_msg (kp != NULL, "%s", cx_error ());
    char fp[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (cx_keypair_public (kp), fp);
    ck_assert_str_eq (fp, rfc8032_fp);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_parse_accepts_rfc7748_key_as_box_and_curve)
{
    cx_keytype_t type = all_types[1 + _i];
    uint8_t buf[80];
    size_t len = golden_box_keyfile (buf, type);
    cx_keypair_t *kp = cx_keypair_parse (buf, len, type);
    ck_assert_msg (kp != NULL, "%s", cx_error ());
    char fp[CX_FINGERPRINT_HEXLEN];
    cx_fingerprint (cx_keypair_public (kp), fp);
    ck_assert_str_eq (fp, rfc7748_fp);
    cx_keypair_destroy (&kp);
}
END_TEST

START_TEST (test_fingerprint_is_lowercase_hex_of_hash_prefix)
{
    cx_keypair_t *kp = cx_keypair_new (CX_KEY_BOX);
    char fp[CX_FINGERPRINT_HEXLEN];
    memset (fp, 'Z', sizeof fp);
    cx_fingerprint (cx_keypair_public (kp), fp);
    ck_assert_uint_eq (strlen (fp), 16);
    uint8_t h[32];
    ck_assert_int_eq (cx_hash_buf (cx_keypair_public (kp), 32, h), 0);
    char want[17];
    cx_hex (h, 8, want);
    ck_assert_str_eq (fp, want);
    for (int i = 0; i < 16; i++)
        ck_assert (strchr ("0123456789abcdef", fp[i]) != NULL);
    cx_keypair_destroy (&kp);
}
END_TEST

void crypto_keys_tcases (Suite *s)
{
    TCase *tc = tcase ("keypairs");
    tcase_add_test (tc, test_new_sign_keypair_has_64_byte_secret_holding_its_public_half);
    tcase_add_loop_test (tc, test_new_box_and_curve_keypairs_have_secret_deriving_public, 0, 2);
    tcase_add_loop_test (tc, test_new_keypairs_are_distinct, 0, 3);
    tcase_add_test (tc, test_new_refuses_unknown_type_with_reason);
    tcase_add_test (tc, test_destroy_sets_pointer_null_and_tolerates_null);
    tcase_add_test (tc, test_fingerprint_is_lowercase_hex_of_hash_prefix);
    suite_add_tcase (s, tc);
    tc = tcase ("keyfiles");
    tcase_add_loop_test (tc, test_keyfile_round_trip_preserves_type_and_both_halves, 0, 3);
    tcase_add_test (tc, test_loaded_sign_key_makes_signatures_the_original_public_key_verifies);
    tcase_add_test (tc, test_saved_file_has_mode_0600_even_with_permissive_umask);
    tcase_add_loop_test (tc, test_saved_file_follows_documented_layout, 0, 3);
    tcase_add_test (tc, test_save_refuses_to_overwrite_and_leaves_existing_file_intact);
    tcase_add_test (tc, test_save_refuses_dangling_symlink_and_creates_nothing);
    tcase_add_test (tc, test_save_into_missing_directory_fails_with_reason);
    tcase_add_test (tc, test_save_with_failing_write_leaves_no_partial_file);
    tcase_add_test (tc, test_load_refuses_symlink_to_valid_key);
    tcase_add_test (tc, test_load_refuses_mode_0644_and_says_chmod_600);
    tcase_add_loop_test (tc, test_load_refuses_any_group_or_other_permission_bit, 0,
                         N (loose_bits));
    tcase_add_test (tc, test_load_accepts_owner_read_only_mode_0400);
    tcase_add_test (tc, test_load_refuses_directory);
    tcase_add_test (tc, test_load_refuses_fifo_without_blocking);
    tcase_add_test (tc, test_load_refuses_missing_file_naming_it);
    tcase_add_loop_test (tc, test_load_refuses_truncated_file, 0, 3);
    tcase_add_loop_test (tc, test_load_refuses_file_with_one_extra_byte, 0, 3);
    tcase_add_test (tc, test_load_refuses_file_larger_than_any_key_file);
    tcase_add_loop_test (tc, test_protected_keyfile_needs_the_passphrase, 0, 3);
    tcase_add_test (tc, test_load_refuses_empty_file);
    tcase_add_loop_test (tc, test_load_refuses_flipped_fingerprint_byte, 0, 3);
    tcase_add_loop_test (tc, test_load_refuses_flipped_public_key_byte, 0, 3);
    tcase_add_loop_test (tc, test_load_refuses_flipped_secret_key_byte, 0, 3);
    tcase_add_test (tc, test_load_refuses_sign_key_whose_seed_belongs_to_another_key);
    tcase_add_test (tc, test_load_refuses_wrong_expected_type);
    suite_add_tcase (s, tc);
    tc = tcase ("keyfile-parser");
    tcase_add_loop_test (tc, test_parse_refuses_every_truncation, 0, 3);
    tcase_add_test (tc, test_parse_refuses_any_flipped_bit_in_sign_key_file);
    tcase_add_loop_test (tc, test_parse_refuses_flipped_unclamped_bit_anywhere_in_box_key_file, 0,
                         2);
    tcase_add_test (tc, test_parse_refuses_other_format_version);
    tcase_add_test (tc, test_parse_refuses_nonzero_reserved_bytes);
    tcase_add_test (tc, test_parse_refuses_bad_magic_and_unknown_type);
    tcase_add_test (tc, test_parse_refuses_null_and_empty_input);
    tcase_add_test (tc, test_parse_accepts_rfc8032_key_in_documented_layout);
    tcase_add_loop_test (tc, test_parse_accepts_rfc7748_key_as_box_and_curve, 0, 2);
    suite_add_tcase (s, tc);
}
