/*  columns.c: cdx-gen-apc's data classes and its one column table, which
    makes each class's header, the --help column list and the field checks
    of --verify, and those checks. The rows themselves are rows.c's; the
    cross-field rules of a row, verify.c's. tests/check_protocol.c holds the
    class table and gen_class_help to protocol/classes.def. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

/* ---- data classes and columns --------------------------------------------- */

const gen_class_t gen_classes[] = {
    {"pseudonymised", CLASS_PSEUDO},
    {"identifiable", CLASS_IDENT},
    {"aggregate", CLASS_AGG},
};

static check_fn s_chk_id, s_chk_pseudo, s_chk_nhs, s_chk_date, s_chk_postcode,
    s_chk_trust, s_chk_site, s_chk_fy_date, s_chk_method, s_chk_pclass, s_chk_specialty,
    s_chk_icd10, s_chk_opcs, s_chk_hrg, s_chk_los, s_chk_age_band, s_chk_sex, s_chk_lsoa,
    s_chk_cost, s_chk_chapter, s_chk_spells, s_chk_total;

#define ROWS_PI (CLASS_PSEUDO | CLASS_IDENT)
#define ALL (CLASS_PSEUDO | CLASS_IDENT | CLASS_AGG)

const column_t gen_columns[] = {
    {"spell_id", ROWS_PI, false, s_chk_id, "hospital spell number, 1, 2, 3... in file order"},
    {"pseudo_patient_id", CLASS_PSEUDO, false, s_chk_pseudo,
     "16 hex digits, SipHash-2-4 of the NHS number under a key derived from --seed (the same\n"
     "      patient keeps the same pseudonym in all their spells; another seed acts as another\n"
     "      recipient's key)"},
    {"nhs_number", CLASS_IDENT, true, s_chk_nhs,
     "10 digits with a valid mod-11 check digit, always in the 999 test range"},
    {"date_of_birth", CLASS_IDENT, true, s_chk_date, "YYYY-MM-DD"},
    {"postcode", CLASS_IDENT, true, s_chk_postcode,
     "UK format, e.g. LE3 9QP, in the commissioner's area"},
    {"commissioner_code", ALL, false, gen_chk_ods,
     "ODS code of the responsible commissioner, one of --commissioner"},
    {"provider_code", ALL, false, s_chk_trust, "ODS code of the NHS trust, e.g. RWE"},
    {"hrg_chapter", CLASS_AGG, false, s_chk_chapter,
     "first letter of the HRG (E cardiac, D respiratory...)"},
    {"spells", CLASS_AGG, false, s_chk_spells,
     "number of spells after suppression: 0, * for 1 to 7, else rounded to the nearest 5"},
    {"total_cost", CLASS_AGG, false, s_chk_total, "sum of spell_cost in GBP, * when spells is *"},
    {"site_code", ROWS_PI, false, s_chk_site, "provider code + 2 digits, e.g. RWE01"},
    {"admission_date", ROWS_PI, false, s_chk_fy_date, "YYYY-MM-DD, within 2025-04-01..2026-03-31"},
    {"discharge_date", ROWS_PI, false, s_chk_fy_date,
     "YYYY-MM-DD, same financial year, on or after admission"},
    {"admission_method", ROWS_PI, false, s_chk_method,
     "11 waiting list, 12 booked, 13 planned (elective); 21 A&E, 22 GP, 23 bed bureau,\n"
     "      24 consultant clinic, 28 other means (emergency)"},
    {"patient_classification", ROWS_PI, false, s_chk_pclass, "1 ordinary admission, 2 day case"},
    {"main_specialty", ROWS_PI, false, s_chk_specialty,
     "main specialty code, e.g. 100 general surgery, 300 general medicine, 430 geriatrics"},
    {"primary_diagnosis", ROWS_PI, false, s_chk_icd10, "ICD-10, e.g. J18.9"},
    {"primary_procedure", ROWS_PI, false, s_chk_opcs, "OPCS-4, e.g. W37.1, empty if none"},
    {"hrg_code", ROWS_PI, false, s_chk_hrg,
     "HRG4+ style, e.g. DZ11T; the last letter is the split, A the most complex"},
    {"spell_los", ROWS_PI, false, s_chk_los, "length of stay in days, discharge minus admission"},
    {"age_band", ROWS_PI, false, s_chk_age_band,
     "age on admission: 0-4 5-17 18-39 40-64 65-74 75-84 85+"},
    {"sex", ROWS_PI, false, s_chk_sex, "1 male, 2 female"},
    {"lsoa_2011", ROWS_PI, false, s_chk_lsoa,
     "2011 lower layer super output area of residence, E01nnnnnn"},
    {"spell_cost", ROWS_PI, false, s_chk_cost,
     "tariff-like cost in GBP: HRG price x market forces factor + excess bed days"},
};

/* The lines of --help on --class: beside the table it describes. */
const char gen_class_help[] =
    "  --class CLASS        pseudonymised (default), identifiable, or aggregate\n"
    "                         pseudonymised  one row per spell, patients as pseudonyms\n"
    "                         identifiable   one row per spell, with NHS number, date of\n"
    "                                        birth and postcode\n"
    "                         aggregate      spells and cost per commissioner, provider\n"
    "                                        and HRG chapter, small numbers suppressed;\n"
    "                                        every cell is listed, zeros included\n";

/* The column list of --help, from the table. */
void gen_columns_help (FILE *f)
{
    fputs ("Columns, in file order, and the classes that have them (P pseudonymised,\n"
           "I identifiable, A aggregate):\n",
           f);
    for (size_t i = 0; i < NCOLUMNS; i++) {
        unsigned m = gen_columns[i].classes;
        char mask[8];
        snprintf (mask, sizeof mask, "%c %c %c", m & CLASS_PSEUDO ? 'P' : ' ',
                  m & CLASS_IDENT ? 'I' : ' ', m & CLASS_AGG ? 'A' : ' ');
        for (size_t k = strlen (mask); k > 0 && mask[k - 1] == ' '; k--)
            mask[k - 1] = '\0';
        fprintf (f, "  %-24s %s\n      %s\n", gen_columns[i].name, mask, gen_columns[i].help);
    }
}

const char *gen_class_name (data_class_t cls)
{
    for (size_t i = 0; i < NCLASSES; i++)
        if (gen_classes[i].cls == cls)
            return gen_classes[i].name;
    return "?";
}

/* The header line of a class, without newline. */
void gen_header (data_class_t cls, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NCOLUMNS; i++) {
        if (!(gen_columns[i].classes & cls))
            continue;
        n += (size_t) snprintf (buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "",
                                gen_columns[i].name);
    }
}

/* Indices into gen_columns of a class's columns, in file order; returns their number. */
size_t gen_class_columns (data_class_t cls, const column_t *cols[MAX_FIELDS])
{
    size_t n = 0;
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (gen_columns[i].classes & cls)
            cols[n++] = &gen_columns[i];
    return n;
}

/* ---- random numbers ------------------------------------------------------- */

/* True if the first n characters of s are all digits (the caller checks the length). */
static bool s_digits (const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool s_upper_alnum (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool s_upper (char c)
{
    return c >= 'A' && c <= 'Z';
}

bool gen_digit (char c)
{
    return c >= '0' && c <= '9';
}

/* Parses YYYY-MM-DD strictly; returns false if it is not a real date. */
bool gen_parse_date (const char *s, int64_t *days)
{
    if (strlen (s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !gen_digit (s[i]))
            return false;
    int y = atoi (s);
    unsigned m = (unsigned) atoi (s + 5), d = (unsigned) atoi (s + 8);
    if (y < 1880 || m < 1 || m > 12 || d < 1)
        return false;
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    *days = gen_days_from_civil (y, m, d);
    return true;
}

/* Parses a non-negative decimal with exactly two decimals into pence. */
static bool s_parse_money (const char *s, int64_t *pence)
{
    size_t n = strlen (s);
    if (n < 4 || n > 15 || s[n - 3] != '.' || !gen_digit (s[n - 2]) || !gen_digit (s[n - 1]))
        return false;
    if (s[0] == '0' && n > 4)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n - 3; i++) {
        if (!gen_digit (s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *pence = v * 100 + (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
    return true;
}

/* Check digit of a 10-digit NHS number per DOMAIN.md; -1 if it can never be valid. */
static int s_nhs_check_digit (const char *s)
{
    unsigned sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (unsigned) (s[i] - '0') * (unsigned) (10 - i);
    unsigned check = 11 - sum % 11;
    return check == 10 ? -1 : check == 11 ? 0 : (int) check;
}

static const char *s_chk_id (const char *v)
{
    size_t n = strlen (v);
    if (n == 0 || n > 19 || !s_digits (v, n) || v[0] == '0')
        return "is not a positive whole number";
    return NULL;
}

static const char *s_chk_pseudo (const char *v)
{
    if (strlen (v) != 16)
        return "is not 16 hex digits";
    for (int i = 0; i < 16; i++)
        if (!gen_digit (v[i]) && !(v[i] >= 'a' && v[i] <= 'f'))
            return "is not 16 lower-case hex digits";
    return NULL;
}

static const char *s_chk_nhs (const char *v)
{
    if (strlen (v) != 10 || !s_digits (v, 10))
        return "is not 10 digits";
    int check = s_nhs_check_digit (v);
    if (check < 0)
        return "can never be valid (its check digit would be 10)";
    if (check != v[9] - '0')
        return "has a wrong check digit";
    if (strncmp (v, "999", 3) != 0)
        return "is outside the 999 test range: this tool never writes a real NHS number";
    return NULL;
}

static const char *s_chk_date (const char *v)
{
    int64_t d;
    return gen_parse_date (v, &d) ? NULL : "is not a valid YYYY-MM-DD date";
}

static const char *s_chk_fy_date (const char *v)
{
    int64_t d;
    if (!gen_parse_date (v, &d))
        return "is not a valid YYYY-MM-DD date";
    if (d < gen_fy_start () || d >= gen_fy_start () + FY_DAYS)
        return "is outside the financial year 2025-04-01..2026-03-31";
    return NULL;
}

/* Outward code A9, A99, AA9, AA99, A9A or AA9A; a space; inward 9AA. */
static const char *s_chk_postcode (const char *v)
{
    const char *sp = strchr (v, ' ');
    size_t out = sp ? (size_t) (sp - v) : 0;
    if (!sp || out < 2 || out > 4 || strlen (sp + 1) != 3)
        return "is not a UK postcode (outward code, one space, inward code)";
    if (!gen_digit (sp[1]) || !s_upper (sp[2]) || !s_upper (sp[3]))
        return "has an inward code that is not digit-letter-letter";
    size_t letters = 0;
    while (letters < out && s_upper (v[letters]))
        letters++;
    if (letters < 1 || letters > 2 || !gen_digit (v[letters]))
        return "has an outward code that is not 1-2 letters then a digit";
    for (size_t i = letters + 1; i < out; i++)
        if (!s_upper_alnum (v[i]))
            return "has an outward code with a stray character";
    return NULL;
}

const char *gen_chk_ods (const char *v)
{
    size_t n = strlen (v);
    if (n != 3 && n != 5)
        return "is not a 3 or 5 character ODS code";
    for (size_t i = 0; i < n; i++)
        if (!s_upper_alnum (v[i]))
            return "is not upper-case letters and digits";
    return NULL;
}

static const char *s_chk_trust (const char *v)
{
    if (strlen (v) != 3 || !s_upper_alnum (v[0]) || !s_upper_alnum (v[1]) || !s_upper_alnum (v[2]))
        return "is not a 3 character trust code";
    return NULL;
}

static const char *s_chk_site (const char *v)
{
    if (strlen (v) != 5 || !gen_digit (v[3]) || !gen_digit (v[4]))
        return "is not a trust code followed by 2 digits";
    return NULL;
}

static const char *s_chk_method (const char *v)
{
    static const char *ok[] = {"11", "12", "13", "21", "22", "23", "24", "28"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp (v, ok[i]) == 0)
            return NULL;
    return "is not one of 11 12 13 21 22 23 24 28";
}

static const char *s_chk_pclass (const char *v)
{
    return strcmp (v, "1") == 0 || strcmp (v, "2") == 0 ? NULL : "is not 1 or 2";
}

static const char *s_chk_specialty (const char *v)
{
    return strlen (v) == 3 && s_digits (v, 3) ? NULL : "is not a 3 digit specialty code";
}

static const char *s_chk_icd10 (const char *v)
{
    if (strlen (v) != 5 || !s_upper (v[0]) || !gen_digit (v[1]) || !gen_digit (v[2]) || v[3] != '.' ||
        !(gen_digit (v[4]) || v[4] == 'X'))
        return "is not an ICD-10 code like J18.9";
    return NULL;
}

static const char *s_chk_opcs (const char *v)
{
    if (v[0] == '\0')
        return NULL;
    if (strlen (v) != 5 || !s_upper (v[0]) || !gen_digit (v[1]) || !gen_digit (v[2]) || v[3] != '.' ||
        !gen_digit (v[4]))
        return "is neither empty nor an OPCS-4 code like W37.1";
    return NULL;
}

static const char *s_chk_hrg (const char *v)
{
    if (strlen (v) != 5 || !s_upper (v[0]) || !s_upper (v[1]) || !gen_digit (v[2]) ||
        !gen_digit (v[3]) || !s_upper (v[4]))
        return "is not an HRG code like DZ11T";
    return NULL;
}

static const char *s_chk_los (const char *v)
{
    size_t n = strlen (v);
    if (n == 0 || n > 3 || !s_digits (v, n) || (n > 1 && v[0] == '0') || atoi (v) >= FY_DAYS)
        return "is not a number of days from 0 to 364";
    return NULL;
}

static const char *s_chk_age_band (const char *v)
{
    for (unsigned b = 0; b < NBANDS; b++)
        if (strcmp (v, gen_age_bands[b]) == 0)
            return NULL;
    return "is not one of 0-4 5-17 18-39 40-64 65-74 75-84 85+";
}

static const char *s_chk_sex (const char *v)
{
    return strcmp (v, "1") == 0 || strcmp (v, "2") == 0 ? NULL : "is not 1 (male) or 2 (female)";
}

static const char *s_chk_lsoa (const char *v)
{
    if (strlen (v) != 9 || strncmp (v, "E01", 3) != 0 || !s_digits (v + 3, 6))
        return "is not E01 followed by 6 digits";
    return NULL;
}

static const char *s_chk_cost (const char *v)
{
    int64_t p;
    if (!s_parse_money (v, &p))
        return "is not an amount with 2 decimals";
    if (p < COST_MIN_PENCE || p > COST_MAX_PENCE)
        return "is outside 400.00..25000.00";
    return NULL;
}

static const char *s_chk_chapter (const char *v)
{
    return strlen (v) == 1 && s_upper (v[0]) ? NULL : "is not one capital letter";
}

static const char *s_chk_spells (const char *v)
{
    if (strcmp (v, "*") == 0 || strcmp (v, "0") == 0)
        return NULL;
    size_t n = strlen (v);
    if (n == 0 || n > 19 || !s_digits (v, n) || v[0] == '0')
        return "is not a count, 0 or *";
    uint64_t x = strtoull (v, NULL, 10);
    if (x < 10 || x % 5 != 0)
        return "is unsuppressed: a count must be 0, * or a multiple of 5 from 10";
    return NULL;
}

static const char *s_chk_total (const char *v)
{
    int64_t p;
    if (strcmp (v, "*") == 0 || s_parse_money (v, &p))
        return NULL;
    return "is neither * nor an amount with 2 decimals";
}

