/*  show.c: escaping for the terminal, exact JSON strings (see show.h;
    the JSON strings are protocol/json.c's, those of the signed audit
    export). */
#include "show.h"

#include "json.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define S_UNIT_MAX 16 /* the longest unit shown: \u{10FFFF} and a NUL */

/* 1 for a code point above U+007F that prints nothing or changes how the
   text around it reads: C1 controls, soft hyphen, the Arabic letter mark,
   zero-width characters and direction marks, line and paragraph
   separators, bidirectional embeddings, overrides and isolates, word
   joiners and invisible operators, the byte order mark, interlinear
   annotation, tags and noncharacters. */
static int s_hidden (uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0xAD || c == 0x61C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
           (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE ||
           (c >= 0xE0000 && c <= 0xE007F);
}

/* The next unit of S as shown, into U, and its width in characters;
   returns how many bytes of S it stands for (at least 1). */
static size_t s_unit (const unsigned char *s, char u[S_UNIT_MAX], size_t *width)
{
    uint32_t c;
    size_t len = json_utf8 (s, &c);
    if (len == 0) {
        snprintf (u, S_UNIT_MAX, "\\x%02X", s[0]);
        len = 1;
    } else if (c == 0x1B) {
        snprintf (u, S_UNIT_MAX, "\\e");
    } else if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
        snprintf (u, S_UNIT_MAX, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\');
    } else if (c < 0x20 || c == 0x7F) {
        snprintf (u, S_UNIT_MAX, "\\x%02X", (unsigned) c);
    } else if (s_hidden (c)) {
        snprintf (u, S_UNIT_MAX, "\\u{%04X}", (unsigned) c);
    } else {
        memcpy (u, s, len);
        u[len] = 0;
        *width = 1;
        return len;
    }
    *width = strlen (u);
    return len;
}

/* Writes S escaped to F (NULL: only counts), at most MAX characters, never
   part of a unit; returns the characters it wrote. */
static size_t s_put (FILE *f, const char *s, size_t max)
{
    size_t shown = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        char u[S_UNIT_MAX];
        size_t w;
        size_t used = s_unit (p, u, &w);
        if (shown + w > max)
            break;
        if (f)
            fputs (u, f);
        shown += w;
        p += used;
    }
    return shown;
}

/* A %s conversion: S escaped, cut at PREC characters (-1: no limit),
   padded to WIDTH characters on the left, or the right if LEFT. */
static void s_field (FILE *f, const char *s, int left, int width, int prec)
{
    if (!s)
        s = "(null)";
    size_t max = prec >= 0 ? (size_t) prec : SIZE_MAX;
    size_t shown = width > 0 ? s_put (NULL, s, max) : 0;
    size_t pad = width > 0 && (size_t) width > shown ? (size_t) width - shown : 0;
    for (; !left && pad; pad--)
        fputc (' ', f);
    s_put (f, s, max);
    for (; pad; pad--)
        fputc (' ', f);
}

/* A numeric conversion: SPEC is the whole "%...X" with widths resolved;
   the argument's type follows its length modifier LEN ("", "hh" ... "L"). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void s_number (FILE *f, const char *spec, char conv, const char *len, va_list *ap)
{
    int l = strcmp (len, "l") == 0, ll = strcmp (len, "ll") == 0, j = strcmp (len, "j") == 0;
    int z = strcmp (len, "z") == 0, t = strcmp (len, "t") == 0;
    if (strchr ("di", conv)) {
        if (l) fprintf (f, spec, va_arg (*ap, long));
        else if (ll) fprintf (f, spec, va_arg (*ap, long long));
        else if (j) fprintf (f, spec, va_arg (*ap, intmax_t));
        else if (z) fprintf (f, spec, va_arg (*ap, ssize_t));
        else if (t) fprintf (f, spec, va_arg (*ap, ptrdiff_t));
        else fprintf (f, spec, va_arg (*ap, int));
    } else if (strchr ("uoxX", conv)) {
        if (l) fprintf (f, spec, va_arg (*ap, unsigned long));
        else if (ll) fprintf (f, spec, va_arg (*ap, unsigned long long));
        else if (j) fprintf (f, spec, va_arg (*ap, uintmax_t));
        else if (z) fprintf (f, spec, va_arg (*ap, size_t));
        else if (t) fprintf (f, spec, va_arg (*ap, ptrdiff_t));
        else fprintf (f, spec, va_arg (*ap, unsigned));
    } else if (strchr ("fFeEgGaA", conv)) {
        if (strcmp (len, "L") == 0) fprintf (f, spec, va_arg (*ap, long double));
        else fprintf (f, spec, va_arg (*ap, double));
    } else if (conv == 'p') {
        fprintf (f, spec, va_arg (*ap, void *));
    }
}
#pragma GCC diagnostic pop

void show_vprintf (FILE *f, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy (ap, ap_in);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            fputc (*p, f);
            continue;
        }
        char spec[48] = "%", len[3] = "";
        size_t k = 1, lk = 0;
        int left = 0, width = -1, prec = -1;
        for (p++; *p && strchr ("-+ #0", *p); p++) {
            left |= *p == '-';
            if (k < 8)
                spec[k++] = *p;
        }
        if (*p == '*') {
            width = va_arg (ap, int);
            p++;
            if (width < 0 && width > -0x7FFF)
                left = 1, width = -width, spec[k++] = '-';
        } else if (*p >= '1' && *p <= '9') {
            for (width = 0; *p >= '0' && *p <= '9' && width < 0x7FFF; p++)
                width = width * 10 + (*p - '0');
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                prec = va_arg (ap, int);
                p++;
            } else {
                for (prec = 0; *p >= '0' && *p <= '9' && prec < 0x7FFF; p++)
                    prec = prec * 10 + (*p - '0');
            }
        }
        while (*p && strchr ("hljztL", *p) && lk < 2)
            len[lk++] = *p++;
        if (!*p)
            break;
        if (*p == '%') {
            fputc ('%', f);
        } else if (*p == 's') {
            s_field (f, va_arg (ap, const char *), left, width, prec);
        } else if (*p == 'c') {
            char one[2] = {(char) va_arg (ap, int), 0};
            s_field (f, one, left, width, prec);
        } else {
            if (width >= 0)
                k += (size_t) snprintf (spec + k, sizeof spec - k, "%d", width);
            if (prec >= 0)
                k += (size_t) snprintf (spec + k, sizeof spec - k, ".%d", prec);
            snprintf (spec + k, sizeof spec - k, "%s%c", len, *p);
            s_number (f, spec, *p, len, &ap);
        }
    }
    va_end (ap);
}

void show_printf (FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    show_vprintf (f, fmt, ap);
    va_end (ap);
}

void show_json (FILE *f, const char *s)
{
    json_string (f, s);
}

void show_json_opt (FILE *f, const char *s)
{
    if (!s || !*s)
        fputs ("null", f);
    else
        show_json (f, s);
}

size_t show_width (const char *s)
{
    return s ? s_put (NULL, s, SIZE_MAX) : 0;
}
