/*  report: one self-contained HTML document for people, written to a
    stream: a title, headings, paragraphs, key/value tables, tables with a
    header row, small bar charts and time lines drawn as inline SVG, and a
    status badge (ok / attention).

    The document needs nothing else to be read or printed: no script at
    all, no external style, font or image; the style is one <style>
    element, laid out for A4 (@page, a width in millimetres, tables that
    wrap, SVG with a viewBox at 100% width). Every string given here is
    escaped by this module, whatever its source (a peer's card name, a
    reason, a topic): & < > " ' as entities, control characters, C1
    controls and bytes that are not UTF-8 as U+FFFD.

    A figure a program also reads (the --json of the same report) is
    written with data-k="KEY", its JSON key path (uptime.ratio,
    received.publishers.0.median_s), and as its text exactly what the
    JSON holds there, so that the two can be compared.

    Not for: what a report says (the cmd_*.c that builds it), JSON.
    Errors: the writers never fail one by one; report_end says whether
    everything reached the stream.
*/
#ifndef REPORT_H_INCLUDED
#define REPORT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct report report_t;

/* Starts a document titled TITLE on OUT (not owned: the caller closes
   it). NULL if out of memory. */
report_t *report_new (FILE *out, const char *title);
/* Ends the document and frees R (*R_P set to NULL): 0, or -1 if a write
   to the stream failed. */
int report_end (report_t **r_p);

/* Text, escaped. LEVEL 1 to 3 (h2 to h4: the title is the h1). */
void report_heading (report_t *r, int level, const char *text);
void report_para (report_t *r, const char *text);
/* A badge: OK non-zero "ok" (green), else "attention" (amber); TEXT
   beside it. */
void report_badge (report_t *r, int ok, const char *text);
/* A figure inside a paragraph or cell: <span data-k="KEY">TEXT</span>
   (KEY NULL: plain). */
void report_figure (report_t *r, const char *key, const char *text);
/* A paragraph made of parts: report_para_begin, then report_text and
   report_figure in order, then report_para_end. */
void report_para_begin (report_t *r);
void report_text (report_t *r, const char *text);
void report_para_end (report_t *r);

/* A key/value table: one row per report_kv, LABEL and VALUE (with KEY
   as its data-k, NULL for none). */
void report_kv_begin (report_t *r);
void report_kv (report_t *r, const char *label, const char *key, const char *value);
void report_kv_end (report_t *r);

/* A table with a header row of N columns; then rows of cells (KEY: the
   cell's data-k, or NULL). */
void report_table_begin (report_t *r, const char *const *heads, size_t n);
void report_row_begin (report_t *r);
void report_cell (report_t *r, const char *key, const char *text);
void report_row_end (report_t *r);
void report_table_end (report_t *r);

/* A horizontal bar chart: one bar per value, LABELS[i] beside it and the
   value's text (VALUES_TEXT[i], NULL: the number) at its end, scaled to
   the largest; AXIS names the unit ("seconds"). Zero values show as no
   bar; N 0 shows "no values". */
void report_bars (report_t *r, const char *caption, const char *axis, const char *const *labels,
                  const double *values, const char *const *values_text, size_t n);

/* A time line from FROM to TO (unix seconds): the period as a bar, each
   of the N spans [SPAN_FROM[i], SPAN_TO[i]] drawn over it (clipped),
   with LABELS[i] as its tooltip (NULL: none); axis labels are the dates
   at both ends and the middle. */
void report_timeline (report_t *r, const char *caption, int64_t from, int64_t to, const int64_t *span_from,
                      const int64_t *span_to, const char *const *labels, size_t n);

/* S escaped for HTML text and attribute values, to F: the module's one
   escape (also for tests). */
void report_escape (FILE *f, const char *s);

#endif
