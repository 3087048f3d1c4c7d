/*  check_report: the HTML report module (tools/report.c).

    It proves that every kind of string reaching the document (the title,
    a heading, a paragraph, a key/value label and value, a table heading
    and cell, a chart's label and value, a time line's tooltip, a data-k
    key) is escaped: & < > " ' as entities, ESC and the other control
    characters, C1 controls and bytes that are not UTF-8 as U+FFFD, and
    nothing that would open an element or attribute survives; that the
    charts draw for zero, one and many values (with a viewBox, no NaN);
    and that the document refers to nothing outside itself: no script,
    no src=, no href= but to "#", no url(, no @import.

    Not for: what cdx report resilience puts in it (t_report, which also
    renders it in Chromium).
*/
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Every control character, the five HTML specials, a C1 control (U+0085),
   a stray continuation byte, an overlong '<' and a cut sequence. */
static const char s_nasty[] = "<script>alert(1)</script> \"q\" 'a' & \x1b[31m \x01\x07\x08\x0b\x0c\x0d\x1f\x7f\n\t"
                              " \xc2\x85 \x80 \xc0\xbc \xe2\x82";

static char *s_doc (void (*fill) (report_t *), size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream (&buf, &n);
    ck_assert_ptr_nonnull (f);
    report_t *r = report_new (f, s_nasty);
    ck_assert_ptr_nonnull (r);
    fill (r);
    ck_assert_int_eq (report_end (&r), 0);
    ck_assert_ptr_null (r);
    fclose (f);
    if (len)
        *len = n;
    return buf;
}

/* No byte of the output is a control character but the module's own
   newlines; no raw special character comes from the nasty string. */
static void s_clean (const char *doc, size_t len)
{
    ck_assert_uint_eq (strlen (doc), len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) doc[i];
        ck_assert_msg (c >= 0x20 || c == '\n', "control byte 0x%02x at %zu", c, i);
        ck_assert_msg (c != 0x7f, "DEL at %zu", i);
        if (c == 0xc2)
            ck_assert_msg ((unsigned char) doc[i + 1] > 0x9f, "a C1 control at %zu", i);
        ck_assert_msg (c != 0x80 || (i > 0 && (unsigned char) doc[i - 1] >= 0xc2), "a stray byte at %zu", i);
    }
    ck_assert_ptr_null (strstr (doc, "<script"));
    ck_assert_ptr_null (strstr (doc, "</script"));
    ck_assert_ptr_null (strstr (doc, "\"q\""));
    ck_assert_ptr_null (strstr (doc, "'a'"));
    ck_assert_ptr_null (strstr (doc, "& \x1b"));
    ck_assert_ptr_nonnull (strstr (doc, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; "
                                        "&#xFFFD;[31m &#xFFFD;&#xFFFD;"));
}

/* Nothing outside the document: no script, no source, no link but to
   "#", no url(), no @import. */
static void s_self_contained (const char *doc)
{
    ck_assert_ptr_null (strstr (doc, "<script"));
    ck_assert_ptr_null (strstr (doc, "src="));
    ck_assert_ptr_null (strstr (doc, "url("));
    ck_assert_ptr_null (strstr (doc, "@import"));
    ck_assert_ptr_null (strstr (doc, "<link"));
    ck_assert_ptr_null (strstr (doc, "<img"));
    ck_assert_ptr_null (strstr (doc, "<iframe"));
    ck_assert_ptr_null (strstr (doc, "<object"));
    for (const char *p = strstr (doc, "href="); p; p = strstr (p + 1, "href="))
        ck_assert_msg (strncmp (p, "href=\"#", 7) == 0, "an external link: %.40s", p);
    ck_assert_ptr_nonnull (strstr (doc, "@page{size:A4"));
    ck_assert_ptr_nonnull (strstr (doc, "max-width:180mm"));
}

static void s_every_kind (report_t *r)
{
    report_heading (r, 1, s_nasty);
    report_heading (r, 3, s_nasty);
    report_para (r, s_nasty);
    report_badge (r, 0, s_nasty);
    report_badge (r, 1, s_nasty);
    report_para_begin (r);
    report_text (r, s_nasty);
    report_figure (r, s_nasty, s_nasty);
    report_para_end (r);
    report_kv_begin (r);
    report_kv (r, s_nasty, s_nasty, s_nasty);
    report_kv (r, s_nasty, NULL, s_nasty);
    report_kv_end (r);
    const char *heads[] = {s_nasty, "b"};
    report_table_begin (r, heads, 2);
    report_row_begin (r);
    report_cell (r, s_nasty, s_nasty);
    report_cell (r, NULL, s_nasty);
    report_row_end (r);
    report_table_end (r);
    const char *labels[] = {s_nasty, s_nasty};
    const char *texts[] = {s_nasty, NULL};
    double values[] = {3, 1.5};
    report_bars (r, s_nasty, s_nasty, labels, values, texts, 2);
    int64_t a[] = {1000}, b[] = {2000};
    report_timeline (r, s_nasty, 0, 86400, a, b, labels, 1);
}

START_TEST (test_every_string_is_escaped)
{
    size_t len;
    char *doc = s_doc (s_every_kind, &len);
    s_clean (doc, len);
    s_self_contained (doc);
    /* The data-k key is escaped too, and the figure's text beside it. */
    ck_assert_ptr_nonnull (strstr (doc, "<span data-k=\"&lt;script&gt;"));
    /* The title element and the heading. */
    ck_assert_ptr_nonnull (strstr (doc, "<title>&lt;script&gt;"));
    ck_assert_ptr_nonnull (strstr (doc, "<h1>&lt;script&gt;"));
    free (doc);
}
END_TEST

START_TEST (test_escape_keeps_utf8_and_replaces_the_rest)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream (&buf, &n);
    ck_assert_ptr_nonnull (f);
    report_escape (f, "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\xa0\x80 \xf4\x90\x80\x80 a\x1b" "b");
    report_escape (f, NULL);
    fclose (f);
    ck_assert_str_eq (buf, "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 &#xFFFD;&#xFFFD;&#xFFFD; "
                           "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD; a&#xFFFD;b");
    free (buf);
    /* The bidirectional controls (RLO, LRI ... PDI, LRM, RLM) go too: a
       peer's name must not reorder what is shown beside it. */
    buf = NULL, n = 0;
    f = open_memstream (&buf, &n);
    ck_assert_ptr_nonnull (f);
    report_escape (f, "a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x81\xa9" "d\xe2\x80\x8f" "e\xe2\x80\x90");
    fclose (f);
    ck_assert_str_eq (buf, "a&#xFFFD;b&#xFFFD;c&#xFFFD;d&#xFFFD;e\xe2\x80\x90");   /* U+2010 is a hyphen */
    free (buf);
}
END_TEST

static size_t s_count (const char *doc, const char *what)
{
    size_t k = 0;
    for (const char *p = strstr (doc, what); p; p = strstr (p + 1, what))
        k++;
    return k;
}

static void s_bars_none (report_t *r) { report_bars (r, "none", "s", NULL, NULL, NULL, 0); }

static void s_bars_one (report_t *r)
{
    const char *l[] = {"only"};
    double v[] = {0};
    report_bars (r, "one", "s", l, v, NULL, 1);
    int64_t a[1] = {0}, b[1] = {0};
    report_timeline (r, "empty period", 100, 100, a, b, NULL, 0);
}

static void s_bars_many (report_t *r)
{
    const char *l[40];
    double v[40];
    char names[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf (names[i], sizeof names[i], "p%02d", i);
        l[i] = names[i];
        v[i] = i * 2.5;
    }
    v[7] = 0.0 / 0.0;      /* not a number: drawn as none, never printed */
    report_bars (r, "many", "s", l, v, NULL, 40);
    int64_t a[5], b[5];
    for (int i = 0; i < 5; i++)
        a[i] = -50 + i * 20000, b[i] = a[i] + 600;
    b[4] = 10 * 86400 + 99;  /* past the end: clipped */
    report_timeline (r, "five outages", 0, 10 * 86400, a, b, NULL, 5);
}

START_TEST (test_charts_for_zero_one_and_many_values)
{
    char *none = s_doc (s_bars_none, NULL);
    ck_assert_uint_eq (s_count (none, "<svg viewBox=\"0 0 600 "), 1);
    ck_assert_ptr_nonnull (strstr (none, "no values"));
    ck_assert_uint_eq (s_count (none, "<rect"), 0);
    s_self_contained (none);
    free (none);

    char *one = s_doc (s_bars_one, NULL);
    ck_assert_uint_eq (s_count (one, "<svg viewBox="), 2);
    ck_assert_ptr_nonnull (strstr (one, ">only</text>"));
    ck_assert_ptr_nonnull (strstr (one, "width=\"0.0\""));      /* a zero value: no bar */
    ck_assert_ptr_null (strstr (one, "nan"));
    ck_assert_ptr_null (strstr (one, "inf"));
    free (one);

    char *many = s_doc (s_bars_many, NULL);
    ck_assert_uint_eq (s_count (many, "<svg viewBox="), 2);
    ck_assert_uint_eq (s_count (many, "fill=\"#1f5f99\""), 40);
    ck_assert_uint_eq (s_count (many, "fill=\"#c62828\""), 5 + 1);   /* 5 outages and the legend */
    ck_assert_ptr_nonnull (strstr (many, ">p39</text>"));
    ck_assert_ptr_nonnull (strstr (many, ">97.50</text>"));          /* the axis's top: the largest value */
    ck_assert_ptr_nonnull (strstr (many, ">1970-01-01</text>"));     /* the axis labels: both ends, the middle */
    ck_assert_ptr_nonnull (strstr (many, ">1970-01-06</text>"));
    ck_assert_ptr_nonnull (strstr (many, ">1970-01-11</text>"));
    ck_assert_ptr_null (strstr (many, "nan"));
    ck_assert_ptr_null (strstr (many, "x=\"-"));                     /* clipped to the period */
    s_self_contained (many);
    free (many);
}
END_TEST

START_TEST (test_a_failed_stream_is_reported)
{
    FILE *f = fopen ("/dev/full", "w");
    ck_assert_ptr_nonnull (f);
    setvbuf (f, NULL, _IONBF, 0);
    report_t *r = report_new (f, "t");
    ck_assert_ptr_nonnull (r);
    report_para (r, "x");
    ck_assert_int_eq (report_end (&r), -1);
    fclose (f);
}
END_TEST

int main (void)
{
    Suite *s = suite_create ("report");
    TCase *t = tcase_create ("html");
    tcase_add_test (t, test_every_string_is_escaped);
    tcase_add_test (t, test_escape_keeps_utf8_and_replaces_the_rest);
    tcase_add_test (t, test_charts_for_zero_one_and_many_values);
    tcase_add_test (t, test_a_failed_stream_is_reported);
    suite_add_tcase (s, t);
    SRunner *sr = srunner_create (s);
    srunner_run_all (sr, CK_NORMAL);
    int failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed ? 1 : 0;
}
