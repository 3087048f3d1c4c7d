/*  verify.c: cdx-gen-apc --verify, which checks that a file this tool made
    is well formed (the demo runs it on every received copy): the header
    names a class, each field passes its column's check (columns.c), and the
    fields of a row agree. It is not a validator of real SUS data, and it
    never echoes an identifying field in a message. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

/* ---- --verify: the file --------------------------------------------------- */

typedef enum {
    LINE_OK,
    LINE_EOF,
    LINE_TOO_LONG,
    LINE_NUL,
    LINE_CR,
    LINE_NO_NEWLINE,
    LINE_IO
} line_status_t;

typedef struct {
    FILE *f;
    char buf[1 << 16];
    size_t pos, len;
} reader_t;

/* Reads one line without its newline into line (cap bytes, NUL-terminated). */
static line_status_t s_read_line (reader_t *r, char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        if (r->pos == r->len) {
            r->len = fread (r->buf, 1, sizeof r->buf, r->f);
            r->pos = 0;
            if (r->len == 0) {
                if (ferror (r->f))
                    return LINE_IO;
                return n == 0 ? LINE_EOF : LINE_NO_NEWLINE;
            }
        }
        const char *start = r->buf + r->pos;
        const char *nl = memchr (start, '\n', r->len - r->pos);
        size_t take = nl ? (size_t) (nl - start) : r->len - r->pos;
        if (n + take >= cap)
            return LINE_TOO_LONG;
        memcpy (line + n, start, take);
        n += take;
        r->pos += take + (nl ? 1 : 0);
        if (nl) {
            line[n] = '\0';
            return memchr (line, '\0', n) ? LINE_NUL : memchr (line, '\r', n) ? LINE_CR : LINE_OK;
        }
    }
}

typedef struct {
    const char *path;
    uint64_t line;
} where_t;

static int s_problem (const where_t *w, const char *fmt, ...) PRINTF_LIKE (2, 3);
static int s_problem (const where_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "cdx-gen-apc: %s:%" PRIu64 ": ", w->path, w->line);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
    return EXIT_FAIL;
}

/* Cross-field rules of one spell row; fields are by gen_columns name. */
static const char *s_check_spell (const column_t **cols, char **f, size_t n, uint64_t *last_id,
                                  const char **comms, unsigned ncomms)
{
    const char *adm_s = NULL, *dis_s = NULL, *los_s = NULL, *dob_s = NULL, *band_s = NULL;
    const char *prov = NULL, *site = NULL, *pclass = NULL, *method = NULL, *comm = NULL, *id = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = cols[i]->name;
        if (!strcmp (name, "spell_id")) id = f[i];
        else if (!strcmp (name, "admission_date")) adm_s = f[i];
        else if (!strcmp (name, "discharge_date")) dis_s = f[i];
        else if (!strcmp (name, "spell_los")) los_s = f[i];
        else if (!strcmp (name, "date_of_birth")) dob_s = f[i];
        else if (!strcmp (name, "age_band")) band_s = f[i];
        else if (!strcmp (name, "provider_code")) prov = f[i];
        else if (!strcmp (name, "site_code")) site = f[i];
        else if (!strcmp (name, "patient_classification")) pclass = f[i];
        else if (!strcmp (name, "admission_method")) method = f[i];
        else if (!strcmp (name, "commissioner_code")) comm = f[i];
    }
    if (comm && ncomms) {
        unsigned k = 0;
        while (k < ncomms && strcmp (comm, comms[k]) != 0)
            k++;
        if (k == ncomms)
            return "commissioner_code is not one of the --commissioner codes given";
    }
    if (id) {
        uint64_t v = strtoull (id, NULL, 10);
        if (v <= *last_id)
            return "spell_id does not follow the previous row's (rows duplicated or reordered?)";
        *last_id = v;
    }
    if (!(adm_s && dis_s && los_s && prov && site && pclass && method))
        return NULL; /* not a spell row */
    int64_t adm, dis;
    gen_parse_date (adm_s, &adm);
    gen_parse_date (dis_s, &dis);
    if (dis < adm)
        return "discharge_date is before admission_date";
    if (dis - adm != atoi (los_s))
        return "spell_los is not discharge_date minus admission_date";
    if (strncmp (site, prov, 3) != 0)
        return "site_code does not start with provider_code";
    if (pclass[0] == '2' && (los_s[0] != '0' || method[0] != '1'))
        return "a day case (patient_classification 2) must be elective with spell_los 0";
    if (dob_s && band_s) {
        int64_t dob;
        gen_parse_date (dob_s, &dob);
        if (dob > adm)
            return "date_of_birth is after admission_date";
        if (strcmp (gen_age_bands[gen_band_of (gen_age_years (dob, adm))], band_s) != 0)
            return "age_band does not match date_of_birth on admission_date";
    }
    return NULL;
}

static const char *s_check_cell (const column_t **cols, char **f, size_t n)
{
    const char *spells = NULL, *total = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp (cols[i]->name, "spells")) spells = f[i];
        else if (!strcmp (cols[i]->name, "total_cost")) total = f[i];
    }
    if (!spells || !total)
        return NULL;
    if ((strcmp (spells, "*") == 0) != (strcmp (total, "*") == 0))
        return "total_cost must be * exactly when spells is * (else the suppression leaks)";
    if (strcmp (spells, "0") == 0 && strcmp (total, "0.00") != 0)
        return "total_cost must be 0.00 when spells is 0";
    return NULL;
}

/* Checks a file this tool made. Returns an exit code; prints "ok: N rows" on
   stdout, or the first problem with its line number on stderr. want is 0 to
   accept any class (told by the header). */
/* Checks one data row (LINE, split in place) of a CLS file whose columns
   are COLS; EXIT_OK, or EXIT_FAIL with the problem on stderr. */
static int s_verify_row (const where_t *w, char *line, data_class_t cls, const column_t **cols,
                         size_t ncols, uint64_t *last_id, const char **comms, unsigned ncomms)
{
    if (strchr (line, '"'))
        return s_problem (w, "a quote character: cdx-gen-apc never quotes fields");
    char *f[MAX_FIELDS + 1];
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == MAX_FIELDS + 1)
            break;
        f[n++] = p;
        char *comma = strchr (p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    if (n != ncols)
        return s_problem (w, "%s%zu columns, a %s row has %zu", n > MAX_FIELDS ? "more than " : "",
                          n > MAX_FIELDS ? (size_t) MAX_FIELDS : n, gen_class_name (cls), ncols);
    for (size_t i = 0; i < n; i++) {
        const char *why = cols[i]->check (f[i]);
        if (why && cols[i]->identifying)
            return s_problem (w, "%s %s (value not shown: it is identifying)", cols[i]->name, why);
        if (why)
            return s_problem (w, "%s '%.40s' %s", cols[i]->name, f[i], why);
    }
    const char *why = cls == CLASS_AGG ? s_check_cell (cols, f, n)
                                       : s_check_spell (cols, f, n, last_id, comms, ncomms);
    if (!why && cls == CLASS_AGG && ncomms) {
        unsigned k = 0;
        while (k < ncomms && strcmp (f[0], comms[k]) != 0)
            k++;
        if (k == ncomms)
            why = "commissioner_code is not one of the --commissioner codes given";
    }
    return why ? s_problem (w, "%s", why) : EXIT_OK;
}

int gen_verify (const char *path, data_class_t want, const char **comms, unsigned ncomms)
{
    static reader_t r;
    static char line[LINE_MAX_BYTES];
    where_t w = {path, 0};
    int rc = EXIT_OK;
    memset (&r, 0, sizeof r);
    r.f = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!r.f) {
        fprintf (stderr, "cdx-gen-apc: cannot open %s: %s\n", path, strerror (errno));
        return EXIT_FAIL;
    }

    w.line = 1;
    line_status_t st = s_read_line (&r, line, sizeof line);
    if (st == LINE_EOF) {
        rc = s_problem (&w, "the file is empty (no header)");
        goto out;
    }
    if (st != LINE_OK)
        goto bad_line;

    data_class_t cls = 0;
    char header[LINE_MAX_BYTES];
    for (size_t i = 0; i < NCLASSES; i++) {
        gen_header (gen_classes[i].cls, header, sizeof header);
        if (strcmp (line, header) == 0)
            cls = gen_classes[i].cls;
    }
    if (!cls) {
        gen_header (want ? want : CLASS_PSEUDO, header, sizeof header);
        rc = s_problem (&w, "not a cdx-gen-apc header; a %s file starts with: %s",
                        gen_class_name (want ? want : CLASS_PSEUDO), header);
        goto out;
    }
    if (want && cls != want) {
        rc = s_problem (&w, "this is a %s file but --class %s was asked for", gen_class_name (cls),
                        gen_class_name (want));
        goto out;
    }

    const column_t *cols[MAX_FIELDS];
    size_t ncols = gen_class_columns (cls, cols);
    uint64_t rows = 0, last_id = 0;
    for (;;) {
        w.line++;
        st = s_read_line (&r, line, sizeof line);
        if (st == LINE_EOF)
            break;
        if (st != LINE_OK)
            goto bad_line;
        rc = s_verify_row (&w, line, cls, cols, ncols, &last_id, comms, ncomms);
        if (rc != EXIT_OK)
            goto out;
        rows++;
    }
    printf ("ok: %" PRIu64 " rows (%s)\n", rows, gen_class_name (cls));
    goto out;

bad_line:
    switch (st) {
    case LINE_TOO_LONG:
        rc = s_problem (&w, "line longer than %d bytes: not a cdx-gen-apc extract",
                        LINE_MAX_BYTES - 1);
        break;
    case LINE_CR:
        rc = s_problem (&w, "carriage return in the line (was the file converted to CRLF?)");
        break;
    case LINE_NUL:
        rc = s_problem (&w, "NUL byte in the line (binary or damaged file)");
        break;
    case LINE_NO_NEWLINE:
        rc = s_problem (&w, "last line has no newline: the file is truncated");
        break;
    case LINE_IO:
        fprintf (stderr, "cdx-gen-apc: cannot read %s: %s\n", path, strerror (errno));
        rc = EXIT_FAIL;
        break;
    default:
        break;
    }
out:
    if (r.f != stdin)
        fclose (r.f);
    return rc;
}

