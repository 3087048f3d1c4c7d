/*  check_show: the Check suite for tools/show.c (strings printed for people,
    and as JSON).

    It proves that what reaches a terminal cannot drive it (no byte below
    0x20, no DEL, no C1 control, no invisible or direction-changing code
    point, no invalid UTF-8 gets through show_printf), that printable UTF-8
    and the other conversions are printed as printf would, that columns
    stay aligned, and that show_json is exact and well-formed. Not for: the
    listings themselves (integration t_input).
*/
#include "show.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_out[1024];

/* What show_printf writes, in a static buffer. */
static const char *s_shown (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static const char *s_shown (const char *fmt, ...)
{
    FILE *f = fmemopen (s_out, sizeof s_out, "w");
    ck_assert_ptr_nonnull (f);
    va_list ap;
    va_start (ap, fmt);
    show_vprintf (f, fmt, ap);
    va_end (ap);
    ck_assert_int_eq (fclose (f), 0);
    return s_out;
}

/* What show_json writes for S. */
static const char *s_json (const char *s)
{
    FILE *f = fmemopen (s_out, sizeof s_out, "w");
    ck_assert_ptr_nonnull (f);
    show_json (f, s);
    ck_assert_int_eq (fclose (f), 0);
    return s_out;
}

START_TEST (test_controls_are_escaped)
{
    ck_assert_str_eq (s_shown ("%s", "a\x1b[2J\nb\rc\td\\e"), "a\\e[2J\\nb\\rc\\td\\\\e");
    ck_assert_str_eq (s_shown ("%s", "\x01\x7f"), "\\x01\\x7F");
    ck_assert_str_eq (s_shown ("[%s]", "x\xc2\x9b" "31m"), "[x\\u{009B}31m]");     /* C1 CSI */
    ck_assert_str_eq (s_shown ("%s", "ab\xe2\x80\xae" "cd"), "ab\\u{202E}cd");     /* RLO */
    ck_assert_str_eq (s_shown ("%s", "\xe2\x80\x8b\xef\xbb\xbf"), "\\u{200B}\\u{FEFF}");
    ck_assert_str_eq (s_shown ("%c", 27), "\\e");
}
END_TEST

START_TEST (test_invalid_utf8_is_escaped_byte_by_byte)
{
    ck_assert_str_eq (s_shown ("%s", "a\xff" "b"), "a\\xFFb");
    ck_assert_str_eq (s_shown ("%s", "\xc0\xaf"), "\\xC0\\xAF");                   /* overlong '/' */
    ck_assert_str_eq (s_shown ("%s", "\xed\xa0\x80"), "\\xED\\xA0\\x80");           /* a surrogate */
    ck_assert_str_eq (s_shown ("%s", "\xe2\x80"), "\\xE2\\x80");                    /* cut short */
}
END_TEST

START_TEST (test_printable_text_and_numbers_as_printf)
{
    ck_assert_str_eq (s_shown ("%s", "Cardiff & Vale \xc3\xa9 \xe6\x97\xa5"), "Cardiff & Vale \xc3\xa9 \xe6\x97\xa5");
    ck_assert_str_eq (s_shown ("%5" PRId64 "|%-3d|%03u|%zu|%.1f|%x|%%", (int64_t) 42, 7, 5u, (size_t) 9, 2.25, 255u),
                      "   42|7  |005|9|2.2|ff|%");
    ck_assert_str_eq (s_shown ("%lld %llu %ld", -5LL, 18446744073709551615ULL, -1L), "-5 18446744073709551615 -1");
}
END_TEST

START_TEST (test_widths_count_characters_shown)
{
    ck_assert_str_eq (s_shown ("%-6s|", "0DF"), "0DF   |");
    ck_assert_str_eq (s_shown ("%6s|", "0DF"), "   0DF|");
    ck_assert_str_eq (s_shown ("%-5s|", "\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9  |");   /* 3 characters */
    ck_assert_str_eq (s_shown ("%-6s|", "a\nb"), "a\\nb  |");
    ck_assert_str_eq (s_shown ("%*s|%-*s|", 4, "a", 3, "b"), "   a|b  |");
    ck_assert_str_eq (s_shown ("%.4s|", "ab\x1b" "cd"), "ab\\e|");
    ck_assert_str_eq (s_shown ("%.3s|", "ab\x1b" "cd"), "ab|");                  /* never half an escape */
}
END_TEST

START_TEST (test_json_is_exact)
{
    ck_assert_str_eq (s_json ("a\"b\\c\n\x1b[2J\x7f"), "\"a\\\"b\\\\c\\n\\u001b[2J\\u007f\"");
    ck_assert_str_eq (s_json ("\xc3\xa9\xe2\x80\xa8"), "\"\xc3\xa9\\u2028\"");
    ck_assert_str_eq (s_json ("x\xff"), "\"x\\ufffd\"");                      /* JSON cannot carry it */
    ck_assert_str_eq (s_json (""), "\"\"");
}
END_TEST

/* What show_json_opt writes for S. */
static const char *s_json_opt (const char *s)
{
    FILE *f = fmemopen (s_out, sizeof s_out, "w");
    ck_assert_ptr_nonnull (f);
    show_json_opt (f, s);
    ck_assert_int_eq (fclose (f), 0);
    return s_out;
}

START_TEST (test_json_absent_is_null)
{
    ck_assert_str_eq (s_json_opt (NULL), "null");
    ck_assert_str_eq (s_json_opt (""), "null");
    ck_assert_str_eq (s_json_opt ("a\n"), "\"a\\n\"");
}
END_TEST

START_TEST (test_width_counts_what_is_shown)
{
    ck_assert_uint_eq (show_width (""), 0);
    ck_assert_uint_eq (show_width (NULL), 0);
    ck_assert_uint_eq (show_width ("abc"), 3);
    ck_assert_uint_eq (show_width ("\xc3\xa9t\xc3\xa9"), 3);        /* code points, not bytes */
    ck_assert_uint_eq (show_width ("a\x1b"), 3);                  /* a\e */
    ck_assert_uint_eq (show_width ("\xff"), 4);                   /* \xFF */
    ck_assert_uint_eq (show_width ("\xe2\x80\xae"), 8);           /* \u{202E} */
}
END_TEST

static Suite *s_suite (void)
{
    Suite *s = suite_create ("show");
    TCase *t = tcase_create ("show");
    tcase_add_test (t, test_controls_are_escaped);
    tcase_add_test (t, test_invalid_utf8_is_escaped_byte_by_byte);
    tcase_add_test (t, test_printable_text_and_numbers_as_printf);
    tcase_add_test (t, test_widths_count_characters_shown);
    tcase_add_test (t, test_json_is_exact);
    tcase_add_test (t, test_json_absent_is_null);
    tcase_add_test (t, test_width_counts_what_is_shown);
    suite_add_tcase (s, t);
    return s;
}

int main (void)
{
    SRunner *sr = srunner_create (s_suite ());
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
