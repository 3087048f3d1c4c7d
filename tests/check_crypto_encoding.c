/*  check_crypto_encoding.c: hex and base64 of crypto/cx, and its small
    helpers (init, the per-thread error, wipe, random).

    The encoders are strict: RFC 4648 vectors both ways, and every bad
    character, length, padding and non-canonical trailing bit refused.

    Not for: the binary formats (keys, chunks: the other check_crypto_*.c).
*/
#include "check_crypto.h"

/* ---- hex and base64 --------------------------------------------------- */

START_TEST (test_hex_is_lowercase_and_nul_terminated)
{
    const uint8_t in[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
    char out[2 * sizeof in + 2];
    memset (out, 'Z', sizeof out);
    cx_hex (in, sizeof in, out);
    ck_assert_str_eq (out, "0001abcdefff");
}
END_TEST

START_TEST (test_unhex_round_trips_and_accepts_upper_case)
{
    uint8_t out[4];
    ck_assert_int_eq (cx_unhex ("DEADbeef", out, 4), 0);
    const uint8_t want[] = {0xde, 0xad, 0xbe, 0xef};
    ck_assert_mem_eq (out, want, 4);
    uint8_t rnd[33], back[33];
    char hex[67];
    cx_random (rnd, sizeof rnd);
    cx_hex (rnd, sizeof rnd, hex);
    ck_assert_int_eq (cx_unhex (hex, back, sizeof back), 0);
    ck_assert_mem_eq (rnd, back, sizeof rnd);
}
END_TEST

START_TEST (test_unhex_refuses_odd_length)
{
    uint8_t out[2];
    ck_assert_int_eq (cx_unhex ("abc", out, 2), -1);
    ck_assert_int_eq (cx_unhex ("abc", out, 1), -1);
    ck_assert_int_eq (cx_unhex ("a", out, 1), -1);
}
END_TEST

static const char *bad_hex[] = {"0g",
                                "g0",
                                " 0",
                                "0 ",
                                "0\n",
                                "-1",
                                "0x",
                                ":0",
                                "\xff\x30"};

START_TEST (test_unhex_refuses_non_hex_characters)
{
    uint8_t out[1];
    ck_assert_msg (cx_unhex (bad_hex[_i], out, 1) == -1, "accepted bad_hex[%d]", _i);
}
END_TEST

START_TEST (test_unhex_refuses_wrong_length_and_trailing_junk)
{
    uint8_t out[4];
    ck_assert_int_eq (cx_unhex ("deadbe", out, 4), -1);
    ck_assert_int_eq (cx_unhex ("deadbeef00", out, 4), -1);
    ck_assert_int_eq (cx_unhex ("deadbeef\n", out, 4), -1);
    ck_assert_int_eq (cx_unhex ("dead beef", out, 4), -1);
    ck_assert_int_eq (cx_unhex ("", out, 4), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "expected exactly 8"));
}
END_TEST

START_TEST (test_unhex_of_zero_bytes_accepts_only_empty_string)
{
    uint8_t out[1];
    ck_assert_int_eq (cx_unhex ("", out, 0), 0);
    ck_assert_int_eq (cx_unhex ("00", out, 0), -1);
}
END_TEST

/* RFC 4648 section 10. */
static const char *rfc4648[][2] = {{"", ""},
                                   {"f", "Zg=="},
                                   {"fo", "Zm8="},
                                   {"foo", "Zm9v"},
                                   {"foob", "Zm9vYg=="},
                                   {"fooba", "Zm9vYmE="},
                                   {"foobar", "Zm9vYmFy"}};

START_TEST (test_base64_matches_rfc4648_vectors_both_ways)
{
    const char *bin = rfc4648[_i][0], *b64 = rfc4648[_i][1];
    size_t len = strlen (bin);
    ck_assert_uint_eq (cx_base64_len (len), strlen (b64) + 1);
    char out[16];
    memset (out, 'Z', sizeof out);
    cx_base64 ((const uint8_t *)bin, len, out);
    ck_assert_str_eq (out, b64);
    uint8_t back[8];
    ck_assert_int_eq (cx_unbase64 (b64, back, len), 0);
    if (len) ck_assert_mem_eq (back, bin, len);
}
END_TEST

START_TEST (test_base64_round_trips_random_lengths)
{
    for (size_t len = 0; len <= 70; len++) {
        uint8_t in[70], back[70];
        char b64[100];
        cx_random (in, len);
        ck_assert_uint_le (cx_base64_len (len), sizeof b64);
        cx_base64 (in, len, b64);
        ck_assert_uint_eq (strlen (b64) + 1, cx_base64_len (len));
        ck_assert_int_eq (cx_unbase64 (b64, back, len), 0);
        if (len) ck_assert_mem_eq (in, back, len);
    }
}
END_TEST

START_TEST (test_unbase64_refuses_missing_or_extra_padding)
{
    uint8_t out[4];
    ck_assert_int_eq (cx_unbase64 ("Zg", out, 1), -1);
    ck_assert_int_eq (cx_unbase64 ("Zg=", out, 1), -1);
    ck_assert_int_eq (cx_unbase64 ("Zg===", out, 1), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm9v=", out, 3), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm8", out, 2), -1);
}
END_TEST

START_TEST (test_unbase64_refuses_trailing_junk)
{
    uint8_t out[4];
    ck_assert_int_eq (cx_unbase64 ("Zm9v\n", out, 3), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm9v ", out, 3), -1);
    ck_assert_int_eq (cx_unbase64 ("Zg==Zg==", out, 1), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm9vZm9v", out, 3), -1);
}
END_TEST

START_TEST (test_unbase64_refuses_wrong_decoded_length)
{
    uint8_t out[8];
    ck_assert_int_eq (cx_unbase64 ("Zm9v", out, 2), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm9v", out, 4), -1);
    ck_assert_int_eq (cx_unbase64 ("Zm9vYg==", out, 3), -1);
    ck_assert_int_eq (cx_unbase64 ("", out, 1), -1);
    ck_assert_ptr_nonnull (strstr (cx_error (), "exactly"));
}
END_TEST

static const char *bad_b64[] = {"Zm9*", "Zm-v", "Zm_v", "Zm9 ", "Zm\n9", "=m9v", "Z=9v", "Zm9\x80"};

START_TEST (test_unbase64_refuses_bad_characters)
{
    uint8_t out[3];
    ck_assert_msg (cx_unbase64 (bad_b64[_i], out, 3) == -1, "accepted bad_b64[%d]", _i);
}
END_TEST

START_TEST (test_unbase64_refuses_non_canonical_trailing_bits)
{
    uint8_t out[2];
    ck_assert_int_eq (cx_unbase64 ("Zh==", out, 1), -1); /* canonical is Zg== */
    ck_assert_int_eq (cx_unbase64 ("Zm9=", out, 2), -1); /* canonical is Zm8= */
}
END_TEST

/* ---- small helpers and errors ----------------------------------------- */

START_TEST (test_init_is_idempotent)
{
    ck_assert_int_eq (cx_init (), 0);
    ck_assert_int_eq (cx_init (), 0);
}
END_TEST

START_TEST (test_error_is_never_null_and_set_on_failure)
{
    ck_assert_ptr_nonnull (cx_error ());
    ck_assert_ptr_null (cx_keypair_load (tpath ("nope.key"), CX_KEY_SIGN));
    ck_assert_ptr_nonnull (cx_error ());
    ck_assert_uint_gt (strlen (cx_error ()), 10);
    ck_assert_uint_lt (strlen (cx_error ()), 256);
}
END_TEST

static void *fail_in_thread (void *arg)
{
    uint8_t out[1];
    (void)cx_unhex ("zz", out, 1);
    snprintf (arg, 256, "%s", cx_error ());
    return NULL;
}

START_TEST (test_error_is_per_thread)
{
    uint8_t out[1];
    ck_assert_int_eq (cx_unhex ("abc", out, 1), -1);
    char mine[256], theirs[256];
    snprintf (mine, sizeof mine, "%s", cx_error ());
    pthread_t t;
    ck_assert_int_eq (pthread_create (&t, NULL, fail_in_thread, theirs), 0);
    ck_assert_int_eq (pthread_join (t, NULL), 0);
    ck_assert_str_ne (mine, theirs);
    ck_assert_str_eq (cx_error (), mine);
}
END_TEST

START_TEST (test_wipe_zeroes_every_byte)
{
    uint8_t buf[77];
    memset (buf, 0x5a, sizeof buf);
    cx_wipe (buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq (buf[i], 0);
}
END_TEST

START_TEST (test_random_fills_whole_buffer_differently_each_call)
{
    uint8_t a[64] = {0}, b[64] = {0}, zero[16] = {0};
    cx_random (a, sizeof a);
    cx_random (b, sizeof b);
    ck_assert_mem_ne (a, b, sizeof a);
    ck_assert_mem_ne (a + 48, zero, 16); /* the tail was written too */
}
END_TEST

void crypto_encoding_tcases (Suite *s)
{
    TCase *tc = tcase ("encoding");
    tcase_add_test (tc, test_hex_is_lowercase_and_nul_terminated);
    tcase_add_test (tc, test_unhex_round_trips_and_accepts_upper_case);
    tcase_add_test (tc, test_unhex_refuses_odd_length);
    tcase_add_loop_test (tc, test_unhex_refuses_non_hex_characters, 0, N (bad_hex));
    tcase_add_test (tc, test_unhex_refuses_wrong_length_and_trailing_junk);
    tcase_add_test (tc, test_unhex_of_zero_bytes_accepts_only_empty_string);
    tcase_add_loop_test (tc, test_base64_matches_rfc4648_vectors_both_ways, 0, N (rfc4648));
    tcase_add_test (tc, test_base64_round_trips_random_lengths);
    tcase_add_test (tc, test_unbase64_refuses_missing_or_extra_padding);
    tcase_add_test (tc, test_unbase64_refuses_trailing_junk);
    tcase_add_test (tc, test_unbase64_refuses_wrong_decoded_length);
    tcase_add_loop_test (tc, test_unbase64_refuses_bad_characters, 0, N (bad_b64));
    tcase_add_test (tc, test_unbase64_refuses_non_canonical_trailing_bits);
    suite_add_tcase (s, tc);
    tc = tcase ("helpers");
    tcase_add_test (tc, test_init_is_idempotent);
    tcase_add_test (tc, test_error_is_never_null_and_set_on_failure);
    tcase_add_test (tc, test_error_is_per_thread);
    tcase_add_test (tc, test_wipe_zeroes_every_byte);
    tcase_add_test (tc, test_random_fills_whole_buffer_differently_each_call);
    suite_add_tcase (s, tc);
}
