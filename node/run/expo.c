/*  expo.c: the Prometheus text exposition format (see expo.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

void expo_init (expo_t *e)
{
    memset (e, 0, sizeof *e);
}

void expo_free (expo_t *e)
{
    free (e->buf);
    memset (e, 0, sizeof *e);
}

char *expo_take (expo_t *e, size_t *len)
{
    char *text = e->failed ? NULL : e->buf;
    *len = e->failed ? 0 : e->len;
    if (e->failed)
        free (e->buf);
    else if (!text && (text = calloc (1, 1)) == NULL)
        *len = 0;
    memset (e, 0, sizeof *e);
    return text;
}

/* Room for MORE bytes and a NUL: 0, or -1 (the buffer failed). */
static int s_room (expo_t *e, size_t more)
{
    if (e->failed)
        return -1;
    if (e->len + more + 1 <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + more + 1)
        cap *= 2;
    char *grown = realloc (e->buf, cap);
    if (!grown) {
        e->failed = 1;
        return -1;
    }
    e->buf = grown;
    e->cap = cap;
    return 0;
}

static void s_put (expo_t *e, const char *s, size_t n)
{
    if (s_room (e, n) != 0)
        return;
    memcpy (e->buf + e->len, s, n);
    e->len += n;
    e->buf[e->len] = 0;
}

static void s_puts (expo_t *e, const char *s)
{
    s_put (e, s, strlen (s));
}

/* S escaped: a backslash and a line feed always, a double quote in a
   label value (QUOTE set). */
static void s_escaped (expo_t *e, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            s_puts (e, "\\\\");
        else if (*s == '\n')
            s_puts (e, "\\n");
        else if (*s == '"' && quote)
            s_puts (e, "\\\"");
        else
            s_put (e, s, 1);
    }
}

void expo_number (double v, char *buf, size_t cap)
{
    if (isnan (v))
        snprintf (buf, cap, "NaN");
    else if (isinf (v))
        snprintf (buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v > -9.007199254740992e15 && v < 9.007199254740992e15 && v == (double) (int64_t) v)
        snprintf (buf, cap, "%lld", (long long) (int64_t) v);   /* whole: exact, no exponent */
    else
        snprintf (buf, cap, "%.17g", v);
}

void expo_family (expo_t *e, const char *name, const char *type, const char *help)
{
    s_puts (e, "# HELP ");
    s_puts (e, name);
    s_puts (e, " ");
    s_escaped (e, help, 0);
    s_puts (e, "\n# TYPE ");
    s_puts (e, name);
    s_puts (e, " ");
    s_puts (e, type);
    s_puts (e, "\n");
}

static void s_label (expo_t *e, int first, const char *key, const char *value)
{
    s_puts (e, first ? "{" : ",");
    s_puts (e, key);
    s_puts (e, "=\"");
    s_escaped (e, value, 1);
    s_puts (e, "\"");
}

static void s_value (expo_t *e, int labelled, double v)
{
    char num[40];
    expo_number (v, num, sizeof num);
    s_puts (e, labelled ? "} " : " ");
    s_puts (e, num);
    s_puts (e, "\n");
}

void expo_sample (expo_t *e, const char *name, double value, ...)
{
    s_puts (e, name);
    va_list ap;
    va_start (ap, value);
    int n = 0;
    for (const char *key; (key = va_arg (ap, const char *)) != NULL; n++) {
        const char *v = va_arg (ap, const char *);
        s_label (e, n == 0, key, v ? v : "");
    }
    va_end (ap);
    s_value (e, n > 0, value);
}

void expo_histogram (expo_t *e, const char *name, const char *key, const char *value, const double *bounds,
                     const uint64_t *cum, size_t nb, uint64_t count, double sum)
{
    char le[40];
    for (size_t i = 0; i <= nb; i++) {
        s_puts (e, name);
        s_puts (e, "_bucket");
        if (key)
            s_label (e, 1, key, value);
        if (i < nb)
            expo_number (bounds[i], le, sizeof le);
        else
            snprintf (le, sizeof le, "+Inf");
        s_label (e, key == NULL, "le", le);
        s_value (e, 1, (double) (i < nb ? cum[i] : count));
    }
    const char *suffix[2] = {"_sum", "_count"};
    for (int k = 0; k < 2; k++) {
        s_puts (e, name);
        s_puts (e, suffix[k]);
        if (key)
            s_label (e, 1, key, value);
        s_value (e, key != NULL, k == 0 ? sum : (double) count);
    }
}
