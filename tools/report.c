/*  report.c: one self-contained HTML document (report.h).

    The page is laid out for A4 portrait: 210 mm less 15 mm margins on
    each side leaves 180 mm, the body's max-width, so that the screen
    shows what the printer prints. Charts are SVG drawn here from numbers
    in a 600-unit-wide viewBox scaled to the width of the page.

    Not for: deciding what a report holds.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

struct report {
    FILE *f;
    int cols;                  /* the table being written, 0: none */
};

/* The style: A4, a printable width, tables that wrap, nothing fetched. */
static const char s_style[] =
    "@page{size:A4;margin:15mm}"
    "html{background:#fff}"
    "body{font-family:sans-serif;font-size:10.5pt;line-height:1.35;color:#1b1b1b;max-width:180mm;"
    "margin:0 auto;padding:0 2mm;box-sizing:border-box;overflow-wrap:anywhere;word-break:break-word}"
    "h1{font-size:17pt;margin:4mm 0 2mm}h2{font-size:13pt;margin:6mm 0 2mm;border-bottom:1px solid #bbb}"
    "h3{font-size:11pt;margin:4mm 0 1mm}h4{font-size:10.5pt;margin:3mm 0 1mm}"
    "p{margin:1.5mm 0}"
    "table{width:100%;max-width:100%;border-collapse:collapse;table-layout:fixed;margin:2mm 0}"
    "th,td{text-align:left;vertical-align:top;padding:1mm 1.5mm;border-bottom:1px solid #ddd;"
    "overflow-wrap:anywhere;word-break:break-word}"
    "th{background:#eef1f4;font-weight:600}"
    "table.kv th{width:45%;background:none;font-weight:normal;color:#444}"
    "svg{display:block;width:100%;height:auto;max-width:100%;margin:1mm 0 3mm}"
    "figure{margin:2mm 0}figcaption{font-size:9.5pt;color:#444}"
    ".badge{display:inline-block;padding:0.6mm 2.5mm;border-radius:2mm;font-weight:700;color:#fff}"
    ".ok{background:#2e7d32}.attention{background:#b45309}"
    "@media print{h2{break-after:avoid}table,figure{break-inside:avoid}}";

/* ---- escaping --------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at S (1 to 4), or 0 if there is
   none (a stray continuation byte, an overlong form, a surrogate, a
   code point past U+10FFFF, a cut sequence); *CP its code point. */
static size_t s_utf8 (const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;                   /* also the NUL that ends the string */
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

void report_escape (FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *) (s ? s : "");
    while (*p) {
        unsigned cp = 0;
        size_t len = s_utf8 (p, &cp);
        if (len == 0) {
            fputs ("&#xFFFD;", f);
            p++;
            continue;
        }
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f)
            fputs ("&#xFFFD;", f);      /* controls, C1 controls, and the bidirectional ones that
                                           would reorder what is shown beside a peer's text */
        else if (cp == '&')
            fputs ("&amp;", f);
        else if (cp == '<')
            fputs ("&lt;", f);
        else if (cp == '>')
            fputs ("&gt;", f);
        else if (cp == '"')
            fputs ("&quot;", f);
        else if (cp == '\'')
            fputs ("&#39;", f);
        else
            fwrite (p, 1, len, f);
        p += len;
    }
}

/* At most MAX code points of S into BUF (cut at a whole sequence, "..."
   added when cut); invalid bytes are kept for report_escape to replace. */
static void s_cut (const char *s, size_t max, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *) (s ? s : "");
    size_t used = 0, count = 0;
    while (*p && count < max) {
        unsigned cp;
        size_t len = s_utf8 (p, &cp);
        if (len == 0)
            len = 1;
        if (used + len + 4 > cap)
            break;
        memcpy (buf + used, p, len);
        used += len, p += len, count++;
    }
    if (*p && used + 4 <= cap)
        memcpy (buf + used, "...", 3), used += 3;
    buf[used] = '\0';
}

/* ---- the document ----------------------------------------------------------- */

report_t *report_new (FILE *out, const char *title)
{
    report_t *r = calloc (1, sizeof *r);
    if (!r)
        return NULL;
    r->f = out;
    fputs ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>", out);
    report_escape (out, title);
    fprintf (out, "</title><style>%s</style></head>\n<body>\n<h1>", s_style);
    report_escape (out, title);
    fputs ("</h1>\n", out);
    return r;
}

int report_end (report_t **r_p)
{
    report_t *r = *r_p;
    if (!r)
        return -1;
    *r_p = NULL;
    if (r->cols)
        report_table_end (r);
    fputs ("</body></html>\n", r->f);
    int rc = fflush (r->f) == 0 && !ferror (r->f) ? 0 : -1;
    free (r);
    return rc;
}

void report_heading (report_t *r, int level, const char *text)
{
    int h = level < 1 ? 2 : level > 3 ? 4 : level + 1;
    fprintf (r->f, "<h%d>", h);
    report_escape (r->f, text);
    fprintf (r->f, "</h%d>\n", h);
}

void report_para (report_t *r, const char *text)
{
    fputs ("<p>", r->f);
    report_escape (r->f, text);
    fputs ("</p>\n", r->f);
}

void report_para_begin (report_t *r) { fputs ("<p>", r->f); }
void report_text (report_t *r, const char *text) { report_escape (r->f, text); }
void report_para_end (report_t *r) { fputs ("</p>\n", r->f); }

void report_figure (report_t *r, const char *key, const char *text)
{
    if (key) {
        fputs ("<span data-k=\"", r->f);
        report_escape (r->f, key);
        fputs ("\">", r->f);
    }
    report_escape (r->f, text);
    if (key)
        fputs ("</span>", r->f);
}

void report_badge (report_t *r, int ok, const char *text)
{
    fprintf (r->f, "<p><span class=\"badge %s\">%s</span> ", ok ? "ok" : "attention", ok ? "ok" : "attention");
    report_escape (r->f, text);
    fputs ("</p>\n", r->f);
}

/* ---- tables ----------------------------------------------------------------- */

void report_kv_begin (report_t *r) { fputs ("<table class=\"kv\">\n", r->f); }

void report_kv (report_t *r, const char *label, const char *key, const char *value)
{
    fputs ("<tr><th>", r->f);
    report_escape (r->f, label);
    fputs ("</th><td>", r->f);
    report_figure (r, key, value);
    fputs ("</td></tr>\n", r->f);
}

void report_kv_end (report_t *r) { fputs ("</table>\n", r->f); }

void report_table_begin (report_t *r, const char *const *heads, size_t n)
{
    fputs ("<table><thead><tr>", r->f);
    for (size_t i = 0; i < n; i++) {
        fputs ("<th>", r->f);
        report_escape (r->f, heads[i]);
        fputs ("</th>", r->f);
    }
    fputs ("</tr></thead><tbody>\n", r->f);
    r->cols = (int) n;
}

void report_row_begin (report_t *r) { fputs ("<tr>", r->f); }

void report_cell (report_t *r, const char *key, const char *text)
{
    fputs ("<td>", r->f);
    report_figure (r, key, text);
    fputs ("</td>", r->f);
}

void report_row_end (report_t *r) { fputs ("</tr>\n", r->f); }

void report_table_end (report_t *r)
{
    fputs ("</tbody></table>\n", r->f);
    r->cols = 0;
}

/* ---- charts ----------------------------------------------------------------- */

#define S_W 600.0              /* the viewBox's width */
#define S_LABEL_W 190.0        /* room for a bar's label, left of the bars */
#define S_VALUE_W 70.0         /* room for its value, right of the longest */
#define S_ROW 20.0
#define S_LABEL_MAX 30         /* characters of a label drawn (the whole one in its tooltip) */

static void s_caption (report_t *r, const char *caption)
{
    fputs ("<figcaption>", r->f);
    report_escape (r->f, caption);
    fputs ("</figcaption>", r->f);
}

/* "%g"-like text for a chart's axis, never "nan" or "inf". */
static void s_axis_number (double v, char *buf, size_t cap)
{
    if (!isfinite (v))
        v = 0;
    if (v == floor (v) && fabs (v) < 1e15)
        snprintf (buf, cap, "%.0f", v);
    else
        snprintf (buf, cap, "%.2f", v);
}

void report_bars (report_t *r, const char *caption, const char *axis, const char *const *labels,
                  const double *values, const char *const *values_text, size_t n)
{
    FILE *f = r->f;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite (values[i]) && values[i] > max)
            max = values[i];
    double h = (double) (n ? n : 1) * S_ROW + 34;
    fprintf (f, "<figure><svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
                "font-family=\"sans-serif\" font-size=\"11\">",
             S_W, h);
    double span = S_W - S_LABEL_W - S_VALUE_W;
    if (n == 0)
        fprintf (f, "<text x=\"%.0f\" y=\"14\" fill=\"#555\">no values</text>", S_LABEL_W);
    for (size_t i = 0; i < n; i++) {
        double v = isfinite (values[i]) && values[i] > 0 ? values[i] : 0;
        double w = max > 0 ? v / max * span : 0;
        double y = (double) i * S_ROW + 4;
        char label[4 * S_LABEL_MAX + 8], num[32];
        s_cut (labels[i], S_LABEL_MAX, label, sizeof label);
        s_axis_number (v, num, sizeof num);
        fprintf (f, "<g><title>");
        report_escape (f, labels[i]);
        fputs (": ", f);
        report_escape (f, values_text && values_text[i] ? values_text[i] : num);
        fprintf (f, "</title><text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", S_LABEL_W - 6, y + 12);
        report_escape (f, label);
        fprintf (f, "</text><rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#1f5f99\"/>",
                 S_LABEL_W, y + 2, w, S_ROW - 6);
        fprintf (f, "<text x=\"%.1f\" y=\"%.1f\">", S_LABEL_W + w + 4, y + 12);
        report_escape (f, values_text && values_text[i] ? values_text[i] : num);
        fputs ("</text></g>", f);
    }
    double base = (double) (n ? n : 1) * S_ROW + 6;
    char top[32];
    s_axis_number (max, top, sizeof top);
    fprintf (f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>", S_LABEL_W, base,
             S_LABEL_W + span, base);
    fprintf (f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">0</text>", S_LABEL_W, base + 13);
    fprintf (f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">", S_LABEL_W + span, base + 13);
    report_escape (f, top);
    fprintf (f, "</text><text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">", S_LABEL_W + span / 2,
             base + 26);
    report_escape (f, axis);
    fputs ("</text></svg>", f);
    s_caption (r, caption);
    fputs ("</figure>\n", f);
}

/* T as a date, with the time when the period is shorter than two days,
   and only the time (to the second) when it is shorter than two hours. */
static void s_axis_time (int64_t t, int64_t period, char *buf, size_t cap)
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r (&tt, &tm);
    strftime (buf, cap, period < 7200 ? "%H:%M:%S" : period < 2 * 86400 ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

void report_timeline (report_t *r, const char *caption, int64_t from, int64_t to, const int64_t *span_from,
                      const int64_t *span_to, const char *const *labels, size_t n)
{
    FILE *f = r->f;
    const double x0 = 10, x1 = S_W - 10;
    double period = to > from ? (double) (to - from) : 1;
    fprintf (f, "<figure><svg viewBox=\"0 0 %.0f 62\" width=\"100%%\" role=\"img\" "
                "font-family=\"sans-serif\" font-size=\"11\">",
             S_W);
    fprintf (f, "<rect x=\"%.0f\" y=\"8\" width=\"%.0f\" height=\"18\" fill=\"#2e7d32\"><title>in service</title></rect>",
             x0, x1 - x0);
    for (size_t i = 0; i < n; i++) {
        int64_t a = span_from[i] < from ? from : span_from[i];
        int64_t b = span_to[i] > to ? to : span_to[i];
        if (b < a)
            continue;
        double xa = x0 + (double) (a - from) / period * (x1 - x0);
        double w = (double) (b - a) / period * (x1 - x0);
        fprintf (f, "<rect x=\"%.2f\" y=\"8\" width=\"%.2f\" height=\"18\" fill=\"#c62828\">", xa, w < 1.5 ? 1.5 : w);
        if (labels && labels[i]) {
            fputs ("<title>", f);
            report_escape (f, labels[i]);
            fputs ("</title>", f);
        }
        fputs ("</rect>", f);
    }
    char a[32], m[32], b[32];
    s_axis_time (from, to - from, a, sizeof a);
    s_axis_time (from + (to - from) / 2, to - from, m, sizeof m);
    s_axis_time (to, to - from, b, sizeof b);
    fprintf (f, "<line x1=\"%.0f\" y1=\"30\" x2=\"%.0f\" y2=\"30\" stroke=\"#888\"/>", x0, x1);
    const char *anchor[3] = {"start", "middle", "end"}, *text[3] = {a, m, b};
    for (int i = 0; i < 3; i++) {
        fprintf (f, "<text x=\"%.0f\" y=\"43\" text-anchor=\"%s\" fill=\"#555\">", x0 + (x1 - x0) * i / 2,
                 anchor[i]);
        report_escape (f, text[i]);
        fputs ("</text>", f);
    }
    fprintf (f, "<rect x=\"%.0f\" y=\"50\" width=\"10\" height=\"8\" fill=\"#2e7d32\"/>"
                "<text x=\"%.0f\" y=\"58\">in service</text>"
                "<rect x=\"%.0f\" y=\"50\" width=\"10\" height=\"8\" fill=\"#c62828\"/>"
                "<text x=\"%.0f\" y=\"58\">out of service</text></svg>",
             x0, x0 + 14, x0 + 90, x0 + 104);
    s_caption (r, caption);
    fputs ("</figure>\n", f);
}
