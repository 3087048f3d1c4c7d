/*  cdx-gen-apc: a synthetic "SUS for Commissioners"-style admitted patient
    care (APC) extract, and the checker that proves a copy is well formed.

    It writes one CSV of hospital spells for the financial year 2025/26 in
    one of the three data classes of DOMAIN.md (pseudonymised, identifiable,
    aggregate), deterministic for a seed, streaming so that memory does not
    grow with --rows. The clinical content is coherent enough to look right
    to an analyst (diagnosis, procedure, HRG, specialty, length of stay, age
    and cost belong together), but it is invented: no real patient, no real
    tariff, and the HRGs are not produced by the national grouper. NHS
    numbers are drawn only from the 999 range that NHS England keeps for
    testing. --verify checks a file this tool made (the demo runs it on every
    received copy); it is not a validator of real SUS data.

    libc only, no libm: every draw is integer arithmetic on our own PRNG
    (xoshiro256** seeded by splitmix64), so a seed gives the same bytes on
    every platform. Exit codes are listed in s_exit_help.
*/
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char *s_exit_help =
    "Exit codes:\n"
    "  0  success (generated, or --verify found the file well formed)\n"
    "  1  I/O failure, or --verify found a problem (the first one is on stderr)\n"
    "  2  bad command line\n";

#define DEFAULT_ROWS 20000
#define DEFAULT_SEED 1
#define MAX_ROWS 1000000000000ULL /* 10^12 spells: far beyond any disk */
#define MAX_COMMISSIONERS 32
#define FY_DAYS 365            /* 2025-04-01 .. 2026-03-31 */
#define POOL_MAX 900000        /* synthetic NHS numbers we can mint, see s_nhs_number */
#define COST_MIN_PENCE 40000   /* 400.00 */
#define COST_MAX_PENCE 2500000 /* 25000.00 */
#define LOS_MAX 200
#define LINE_MAX_BYTES 4096 /* our rows are < 200 bytes */
#define MAX_FIELDS 32

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__ ((format (printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---- data classes and columns --------------------------------------------- */

typedef enum { CLASS_PSEUDO = 1, CLASS_IDENT = 2, CLASS_AGG = 4 } data_class_t;

static const struct {
    const char *name;
    data_class_t cls;
} s_classes[] = {
    {"pseudonymised", CLASS_PSEUDO},
    {"identifiable", CLASS_IDENT},
    {"aggregate", CLASS_AGG},
};
#define NCLASSES (sizeof s_classes / sizeof s_classes[0])

typedef const char *(check_fn) (const char *value);

static check_fn s_chk_id, s_chk_pseudo, s_chk_nhs, s_chk_date, s_chk_postcode, s_chk_ods,
    s_chk_trust, s_chk_site, s_chk_fy_date, s_chk_method, s_chk_pclass, s_chk_specialty,
    s_chk_icd10, s_chk_opcs, s_chk_hrg, s_chk_los, s_chk_age_band, s_chk_sex, s_chk_lsoa,
    s_chk_cost, s_chk_chapter, s_chk_spells, s_chk_total;

/* One table makes the header of each class, the --help column list and the
   per-field checks of --verify, so the three cannot drift apart. Columns
   appear in a class's file in table order. `identifying` columns are never
   echoed in an error message: the checker must not copy personal data into
   logs, even synthetic. */
typedef struct {
    const char *name;
    unsigned classes;
    bool identifying;
    check_fn *check;
    const char *help;
} column_t;

#define ROWS_PI (CLASS_PSEUDO | CLASS_IDENT)
#define ALL (CLASS_PSEUDO | CLASS_IDENT | CLASS_AGG)

static const column_t s_columns[] = {
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
    {"commissioner_code", ALL, false, s_chk_ods,
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
#define NCOLUMNS (sizeof s_columns / sizeof s_columns[0])

static const char *s_class_name (data_class_t cls)
{
    for (size_t i = 0; i < NCLASSES; i++)
        if (s_classes[i].cls == cls)
            return s_classes[i].name;
    return "?";
}

/* The header line of a class, without newline. */
static void s_header (data_class_t cls, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NCOLUMNS; i++) {
        if (!(s_columns[i].classes & cls))
            continue;
        n += (size_t) snprintf (buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "",
                                s_columns[i].name);
    }
}

/* Indices into s_columns of a class's columns, in file order; returns their number. */
static size_t s_class_columns (data_class_t cls, const column_t *cols[MAX_FIELDS])
{
    size_t n = 0;
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (s_columns[i].classes & cls)
            cols[n++] = &s_columns[i];
    return n;
}

/* ---- random numbers ------------------------------------------------------- */

static uint64_t s_mix64 (uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t s_splitmix64 (uint64_t *state)
{
    return s_mix64 (*state += 0x9E3779B97F4A7C15ULL);
}

typedef struct {
    uint64_t s[4];
} rng_t;

static void s_rng_seed (rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = s_splitmix64 (&seed);
}

static uint64_t s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t s_rng_next (rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = s_rotl (s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl (s[3], 45);
    return result;
}

/* Uniform in [0, n); n > 0. The bias of the multiply-shift is below 2^-32 * n,
   invisible in synthetic data. */
static uint32_t s_below (rng_t *r, uint32_t n)
{
    return (uint32_t) (((s_rng_next (r) >> 32) * (uint64_t) n) >> 32);
}

static bool s_chance (rng_t *r, uint32_t per_mille)
{
    return s_below (r, 1000) < per_mille;
}

/* Geometric number of failures with mean m_x10/10. */
static unsigned s_geometric (rng_t *r, uint32_t m_x10)
{
    /* continue with probability m / (1 + m), as a 32-bit threshold */
    uint64_t thr = ((uint64_t) m_x10 << 32) / (10 + (uint64_t) m_x10);
    unsigned k = 0;
    while (k < LOS_MAX && (s_rng_next (r) >> 32) < thr)
        k++;
    return k;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), for the pseudonyms --------------- */

/* clang-format off */
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1; v1 = s_rotl (v1, 13); v1 ^= v0; v0 = s_rotl (v0, 32);                            \
        v2 += v3; v3 = s_rotl (v3, 16); v3 ^= v2;                                                  \
        v0 += v3; v3 = s_rotl (v3, 21); v3 ^= v0;                                                  \
        v2 += v1; v1 = s_rotl (v1, 17); v1 ^= v2; v2 = s_rotl (v2, 32);                            \
    } while (0)
/* clang-format on */

static uint64_t s_siphash24 (uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = 0;
        for (int j = 7; j >= 0; j--)
            m = (m << 8) | in[i + (size_t) j];
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t) len << 56;
    for (size_t j = len % 8; j > 0; j--)
        b |= (uint64_t) in[whole + j - 1] << (8 * (j - 1));
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- dates ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t s_days_from_civil (int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned) -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static void s_civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static int64_t s_fy_start (void)
{
    return s_days_from_civil (2025, 4, 1);
}

/* Whole years between a birth date and a later date. */
static unsigned s_age_years (int64_t dob, int64_t on)
{
    int64_t by, y;
    unsigned bm, bd, m, d;
    s_civil_from_days (dob, &by, &bm, &bd);
    s_civil_from_days (on, &y, &m, &d);
    int64_t age = y - by - ((m < bm || (m == bm && d < bd)) ? 1 : 0);
    return age < 0 ? 0 : (unsigned) age;
}

static const char *s_age_bands[] = {"0-4", "5-17", "18-39", "40-64", "65-74", "75-84", "85+"};
#define NBANDS 7

static unsigned s_band_of (unsigned years)
{
    static const unsigned lower[NBANDS] = {0, 5, 18, 40, 65, 75, 85};
    unsigned b = 0;
    while (b + 1 < NBANDS && years >= lower[b + 1])
        b++;
    return b;
}

/* ---- reference tables ----------------------------------------------------- */

/* Acute trusts of the Midlands and Oxford (RR1, Heart of England, merged
   into RRK in 2018 and is no longer a live code). `mff` is a market forces
   factor in per mille, `sites` the site code suffixes. */
typedef struct {
    const char *code;
    const char *name;
    unsigned mff;
    const char *sites[4];
} provider_t;

static const provider_t s_providers[] = {
    {"RRK", "University Hospitals Birmingham", 1034, {"01", "02", "03", "04"}},
    {"RJE", "University Hospitals of North Midlands", 1009, {"01", "02"}},
    {"RWE", "University Hospitals of Leicester", 1012, {"01", "02", "03"}},
    {"RTG", "University Hospitals of Derby and Burton", 1005, {"01", "02", "03", "04"}},
    {"RKB", "University Hospitals Coventry and Warwickshire", 1021, {"01", "02"}},
    {"RL4", "The Royal Wolverhampton", 1017, {"01", "02"}},
    {"RXK", "Sandwell and West Birmingham", 1029, {"01", "02", "03"}},
    {"RTH", "Oxford University Hospitals", 1062, {"01", "02", "03", "04"}},
};
#define NPROVIDERS (sizeof s_providers / sizeof s_providers[0])

static unsigned s_nsites (const provider_t *p)
{
    unsigned n = 0;
    while (n < 4 && p->sites[n])
        n++;
    return n;
}

/* Postcode areas with their highest district number; a commissioner we do
   not know gets one by hash. */
static const struct {
    const char *area;
    unsigned districts;
} s_areas[] = {
    {"LE", 19}, {"OX", 18}, {"S", 36}, {"B", 98}, {"CV", 37}, {"DE", 24},
    {"ST", 21}, {"WV", 16}, {"NG", 34}, {"LS", 29}, {"M", 35},  {"NN", 18},
};
#define NAREAS (sizeof s_areas / sizeof s_areas[0])

/* Commissioners whose geography we know: their main provider and postcode area. */
static const struct {
    const char *ods;
    const char *provider;
    const char *area;
} s_known_ccgs[] = {
    {"04V", "RWE", "LE"}, /* NHS West Leicestershire */
    {"04C", "RWE", "LE"}, /* NHS Leicester City */
    {"10Q", "RTH", "OX"}, /* NHS Oxfordshire */
    {"03N", NULL, "S"},   /* NHS Sheffield */
    {"15E", "RRK", "B"},  /* NHS Birmingham and Solihull */
    {"05A", "RKB", "CV"}, /* NHS Coventry and Rugby */
    {"15M", "RTG", "DE"}, /* NHS Derby and Derbyshire */
    {"05W", "RJE", "ST"}, /* NHS Stoke on Trent */
    {"06A", "RL4", "WV"}, /* NHS Wolverhampton */
    {"05L", "RXK", "B"},  /* NHS Sandwell and West Birmingham */
};
#define NKNOWN (sizeof s_known_ccgs / sizeof s_known_ccgs[0])

/* A clinical scenario: one kind of spell, with the codes that go together.
   `splits` are the HRG's last letters, least complex first; a more complex
   patient (older, by chance) gets a later letter, a longer stay and a
   higher price. `age` is the scenario's share of each age band of the
   case mix, relative. */
typedef struct {
    const char *specialty;
    const char *diagnosis;
    const char *procedure;
    const char *hrg_root;
    const char *splits;
    char kind;            /* 'L' elective, 'E' emergency */
    char sex;             /* 0 any, 'M' or 'F' only */
    uint16_t weight;      /* relative frequency */
    uint16_t daycase_pm;  /* electives: per mille done as day cases */
    uint16_t sameday_pm;  /* emergencies: per mille discharged the day they came */
    uint16_t los_x10;     /* mean stay of the others, tenths of a day */
    uint32_t base_pounds; /* price of the least complex split */
    uint8_t age[NBANDS];
} scenario_t;

/* clang-format off */
static const scenario_t s_scenarios[] = {
    /* specialty, diagnosis, procedure, HRG root, splits, kind, sex, weight, daycase_pm,
       sameday_pm, los_x10, price in GBP, and the age share: 0-4 5-17 18-39 40-64 65-74 75-84 85+ */
    {"320", "I21.4", "",      "EB10", "EDCBA",  'E',  0,   18, 0,    50,  45,  1900,  {  0,   0,   2,  30,  30,  28,  20}},
    {"320", "I50.0", "",      "EB03", "EDCBA",  'E',  0,   22, 0,    40,  80,  2400,  {  0,   0,   1,  14,  25,  35,  35}},
    {"300", "R07.4", "",      "EB12", "CBA",    'E',  0,   35, 0,    450, 12,  600,   {  0,   2,  22,  40,  20,  12,   6}},
    {"320", "I48.9", "",      "EB07", "EDCBA",  'E',  0,   16, 0,    200, 25,  1000,  {  0,   0,   3,  20,  30,  30,  20}},
    {"320", "I20.0", "K75.1", "EY40", "DCBA",   'E',  0,   6,  0,    100, 20,  3200,  {  0,   0,   2,  40,  30,  20,   8}},
    {"170", "I25.1", "K40.1", "ED28", "CBA",    'L',  0,   2,  0,    0,   70,  11500, {  0,   0,   0,  30,  42,  25,   3}},
    {"300", "J18.9", "",      "DZ11", "VUTSR",  'E',  0,   45, 0,    50,  70,  2100,  {  2,   1,   5,  15,  18,  28,  31}},
    {"340", "J44.1", "",      "DZ65", "KJH",    'E',  0,   22, 0,    60,  45,  1700,  {  0,   0,   0,  30,  35,  25,  10}},
    {"420", "J21.9", "",      "PD12", "CBA",    'E',  0,   14, 0,    200, 18,  1100,  {100,   0,   0,   0,   0,   0,   0}},
    {"100", "K35.8", "H01.1", "FF10", "BA",     'E',  0,   10, 0,    30,  25,  3300,  {  2,  25,  35,  25,   7,   4,   2}},
    {"100", "R10.4", "",      "FD05", "B",      'E',  0,   40, 0,    450, 12,  700,   {  2,   8,  30,  30,  12,  10,   8}},
    {"100", "K80.2", "J18.3", "GA10", "KJH",    'L',  0,   15, 550,  0,   10,  3200,  {  0,   1,  35,  45,  12,   6,   1}},
    {"100", "K40.9", "T20.1", "FF62", "BA",     'L',  'M', 14, 800,  0,   10,  2000,  {  1,   2,  15,  40,  22,  15,   5}},
    {"301", "K57.3", "H22.9", "FE32", "Z",      'L',  0,   75, 970,  0,   10,  600,   {  0,   0,  10,  45,  25,  17,   3}},
    {"301", "K21.9", "G45.1", "FE22", "Z",      'L',  0,   60, 970,  0,   10,  550,   {  0,   1,  15,  45,  22,  14,   3}},
    {"301", "K92.2", "",      "FD03", "HG",     'E',  0,   12, 0,    100, 35,  1300,  {  0,   0,   8,  25,  20,  25,  22}},
    {"110", "S72.0", "W46.1", "HT12", "EDCBA",  'E',  0,   10, 0,    0,   130, 6500,  {  0,   0,   0,   5,  12,  38,  45}},
    {"110", "S72.0", "W37.1", "HT12", "EDCBA",  'E',  0,   2,  0,    0,   90,  7200,  {  0,   0,   0,  20,  40,  30,  10}},
    {"110", "M16.1", "W37.1", "HN12", "FEDC",   'L',  0,   12, 0,    0,   30,  6000,  {  0,   0,   1,  30,  40,  26,   3}},
    {"110", "M17.1", "W40.1", "HN22", "FEDC",   'L',  0,   12, 0,    0,   30,  6300,  {  0,   0,   1,  30,  40,  26,   3}},
    {"300", "N39.0", "",      "LA04", "SRQP",   'E',  0,   30, 0,    100, 50,  1500,  {  2,   2,   8,  15,  15,  28,  30}},
    {"101", "N20.0", "",      "LB40", "FED",    'E',  0,   10, 0,    300, 15,  900,   {  0,   1,  35,  45,  12,   6,   1}},
    {"130", "H25.1", "C71.2", "BZ34", "CBA",    'L',  0,   60, 980,  0,   10,  850,   {  0,   0,   1,  15,  35,  38,  11}},
    {"120", "J35.0", "F34.1", "CA60", "B",      'L',  0,   8,  600,  0,   10,  1400,  { 30,  70,   0,   0,   0,   0,   0}},
    {"502", "D25.9", "Q07.4", "MA07", "GFE",    'L',  'F', 7,  0,    0,   25,  4200,  {  0,   0,  25,  65,   8,   2,   0}},
    {"300", "A41.9", "",      "WJ06", "JHGFE",  'E',  0,   20, 0,    20,  80,  2800,  {  2,   1,   6,  20,  20,  26,  25}},
    {"100", "T81.4", "",      "WH07", "GFE",    'E',  0,   6,  0,    100, 40,  1500,  {  0,   1,  25,  40,  18,  12,   4}},
    {"300", "L03.1", "",      "JD07", "KJH",    'E',  0,   18, 0,    150, 40,  1300,  {  1,   3,  15,  30,  20,  18,  13}},
    {"300", "E11.9", "",      "KB02", "KJH",    'E',  0,   5,  0,    200, 35,  1200,  {  0,   1,  10,  40,  20,  20,   9}},
    {"800", "C50.9", "X72.4", "SB97", "Z",      'L',  'F', 65, 1000, 0,   10,  400,   {  0,   0,  10,  55,  22,  12,   1}},
    {"800", "C50.9", "",      "JA12", "JHGF",   'E',  'F', 4,  0,    50,  50,  1700,  {  0,   0,   8,  45,  25,  15,   7}},
    {"400", "G40.9", "",      "AA26", "HGFE",   'E',  0,   10, 0,    250, 25,  1100,  {  6,  10,  30,  30,  10,   9,   5}},
    {"300", "I63.9", "",      "AA35", "FEDCBA", 'E',  0,   14, 0,    20,  120, 3600,  {  0,   0,   2,  20,  25,  30,  23}},
};
/* clang-format on */
#define NSCENARIOS (sizeof s_scenarios / sizeof s_scenarios[0])

/* Share of the patient pool by age band at the start of the year, per mille:
   older people are admitted far more often. */
static const uint32_t s_pool_age_pm[NBANDS] = {60, 50, 170, 300, 160, 170, 90};
static const unsigned s_band_lo[NBANDS] = {0, 5, 18, 40, 65, 75, 85};
static const unsigned s_band_hi[NBANDS] = {4, 17, 39, 64, 74, 84, 99};
static const uint32_t s_female_pm[NBANDS] = {480, 480, 560, 510, 500, 550, 640};
/* per mille chance, per HRG split, of being one step more complex */
static const uint32_t s_complex_pm[NBANDS] = {150, 150, 200, 350, 450, 550, 600};

/* ---- the generator -------------------------------------------------------- */

typedef struct {
    const char *code;
    unsigned main_provider, second_provider;
    unsigned area;
    uint32_t lsoa_base;
} commissioner_t;

typedef struct {
    char nhs[11];
    char pseudo[17];
    int64_t dob;
    unsigned sex; /* 1 male, 2 female */
    unsigned comm;
    unsigned home; /* provider the patient usually goes to */
    uint32_t lsoa;
    char postcode[9];
} patient_t;

typedef struct {
    rng_t rng;
    uint64_t pseudo_k0, pseudo_k1; /* pseudonymisation key, from the seed */
    uint64_t patient_key;          /* seeds each patient's own attributes */
    uint32_t pool, perm_a, perm_c; /* patients, and a bijection that scatters them */
    commissioner_t comms[MAX_COMMISSIONERS];
    unsigned ncomms;
    uint32_t cum[NBANDS][2][NSCENARIOS]; /* scenario choice by age band and sex */
    int64_t fy_start;
    char fy_dates[FY_DAYS][11];
} gen_t;

typedef struct {
    uint64_t id;
    patient_t pt;
    unsigned prov, site;
    unsigned adm, dis; /* day of the year, 0 = 2025-04-01 */
    const char *method;
    unsigned pclass;
    const char *specialty;
    const scenario_t *sc;
    char hrg[6];
    unsigned los, band;
    int64_t cost_pence;
} spell_t;

static uint32_t s_fnv1a (const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t) *s) * 16777619u;
    return h;
}

static uint32_t s_gcd (uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void s_date_str (int64_t days, char out[11])
{
    int64_t y;
    unsigned m, d;
    s_civil_from_days (days, &y, &m, &d);
    snprintf (out, 11, "%04d-%02u-%02u", (int) y, m, d);
}

static void s_gen_init (gen_t *g, uint64_t seed, uint64_t rows, const char **codes, unsigned ncodes)
{
    memset (g, 0, sizeof *g);
    s_rng_seed (&g->rng, seed);
    uint64_t k = seed ^ 0x6364782d70736575ULL; /* "cdx-pseu" */
    g->pseudo_k0 = s_splitmix64 (&k);
    g->pseudo_k1 = s_splitmix64 (&k);
    g->patient_key = s_splitmix64 (&k);

    /* A pool of as many patients as spells: with the skew in s_next_spell
       about 60% of them are admitted, 1.6 times each on average, as in a
       year of real APC, and a few come back many times. */
    uint64_t pool = rows;
    g->pool = (uint32_t) (pool < 1 ? 1 : pool > POOL_MAX ? POOL_MAX : pool);
    g->perm_a = (uint32_t) (0x9E3779B1u % g->pool);
    while (g->perm_a == 0 || s_gcd (g->perm_a, g->pool) != 1)
        g->perm_a = g->perm_a + 1 < g->pool ? g->perm_a + 1 : 1; /* 1 is coprime to all */
    g->perm_c = (uint32_t) (s_splitmix64 (&k) % g->pool);

    g->ncomms = ncodes;
    for (unsigned i = 0; i < ncodes; i++) {
        commissioner_t *c = &g->comms[i];
        uint32_t h = s_fnv1a (codes[i]);
        c->code = codes[i];
        c->main_provider = h % NPROVIDERS;
        c->area = (h >> 8) % NAREAS;
        for (size_t j = 0; j < NKNOWN; j++) {
            if (strcmp (s_known_ccgs[j].ods, codes[i]) != 0)
                continue;
            for (unsigned p = 0; s_known_ccgs[j].provider && p < NPROVIDERS; p++)
                if (strcmp (s_providers[p].code, s_known_ccgs[j].provider) == 0)
                    c->main_provider = p;
            for (unsigned a = 0; a < NAREAS; a++)
                if (strcmp (s_areas[a].area, s_known_ccgs[j].area) == 0)
                    c->area = a;
        }
        c->second_provider = (c->main_provider + 1 + (h >> 16) % (NPROVIDERS - 1)) % NPROVIDERS;
        c->lsoa_base = 1 + (h >> 4) % 33000; /* England's LSOAs run to E01033768 */
    }

    for (unsigned b = 0; b < NBANDS; b++) {
        for (unsigned sex = 1; sex <= 2; sex++) {
            uint32_t sum = 0;
            for (size_t i = 0; i < NSCENARIOS; i++) {
                const scenario_t *sc = &s_scenarios[i];
                unsigned age_sum = 0;
                for (unsigned j = 0; j < NBANDS; j++)
                    age_sum += sc->age[j];
                bool sex_ok = !sc->sex || (sc->sex == 'M') == (sex == 1);
                if (sex_ok)
                    sum += (uint32_t) sc->weight * sc->age[b] * 1000u / age_sum;
                g->cum[b][sex - 1][i] = sum;
            }
        }
    }
    g->fy_start = s_fy_start ();
    for (unsigned d = 0; d < FY_DAYS; d++)
        s_date_str (g->fy_start + d, g->fy_dates[d]);
}

/* NHS number of synthetic patient q (< POOL_MAX): the first 8 digits are 999
   and q / 9; the ninth is the (q % 9)th digit that does not give a check
   digit of 10 (at most one of ten does), so the mapping is one to one. */
static void s_nhs_number (uint32_t q, char out[11])
{
    static const unsigned weights[9] = {10, 9, 8, 7, 6, 5, 4, 3, 2};
    char digits[11] = "999";
    uint32_t v = q / 9;
    for (int i = 7; i >= 3; i--, v /= 10)
        digits[i] = (char) ('0' + v % 10);
    unsigned sum8 = 0;
    for (int i = 0; i < 8; i++)
        sum8 += (unsigned) (digits[i] - '0') * weights[i];
    unsigned want = q % 9, seen = 0;
    for (unsigned d9 = 0; d9 <= 9; d9++) {
        unsigned check = 11 - (sum8 + d9 * 2) % 11;
        if (check == 10)
            continue;
        if (seen++ == want) {
            digits[8] = (char) ('0' + d9);
            digits[9] = (char) ('0' + (check == 11 ? 0 : check));
            digits[10] = '\0';
            break;
        }
    }
    memcpy (out, digits, 11);
}

/* Everything about patient q is drawn from its own stream, so it is the same
   in every spell without keeping any table of patients. */
static void s_patient (const gen_t *g, uint32_t q, patient_t *pt)
{
    rng_t r;
    s_rng_seed (&r, g->patient_key ^ s_mix64 ((uint64_t) q + 1));

    unsigned band = 0;
    uint32_t roll = s_below (&r, 1000), acc = 0;
    for (band = 0; band < NBANDS - 1; band++) {
        acc += s_pool_age_pm[band];
        if (roll < acc)
            break;
    }
    unsigned span = s_band_hi[band] - s_band_lo[band] + 1;
    unsigned years = s_below (&r, span);
    if (band == NBANDS - 1) { /* the very old thin out: the lower of two draws */
        unsigned other = s_below (&r, span);
        years = other < years ? other : years;
    }
    years += s_band_lo[band];
    pt->dob = g->fy_start - 1 - (int64_t) years * 36525 / 100 - s_below (&r, 365);
    pt->sex = s_chance (&r, s_female_pm[band]) ? 2 : 1;

    pt->comm = s_below (&r, g->ncomms);
    const commissioner_t *c = &g->comms[pt->comm];
    uint32_t where = s_below (&r, 1000);
    pt->home = where < 750   ? c->main_provider
               : where < 900 ? c->second_provider
                             : s_below (&r, NPROVIDERS);

    pt->lsoa = c->lsoa_base + s_below (&r, 700);
    if (pt->lsoa > 33768)
        pt->lsoa = 33768;

    /* One draw per statement: the order in which a compiler evaluates
       function arguments is unspecified, and the bytes must not depend on it. */
    static const char inward[] = "ABDEFGHJLNPQRSTUWXYZ"; /* no C I K M O V */
    unsigned district = 1 + s_below (&r, s_areas[c->area].districts);
    unsigned sector = s_below (&r, 10);
    char unit1 = inward[s_below (&r, sizeof inward - 1)];
    char unit2 = inward[s_below (&r, sizeof inward - 1)];
    snprintf (pt->postcode, sizeof pt->postcode, "%s%u %u%c%c", s_areas[c->area].area, district,
              sector, unit1, unit2);

    s_nhs_number (q, pt->nhs);
    uint64_t h = s_siphash24 (g->pseudo_k0, g->pseudo_k1, (const uint8_t *) pt->nhs, 10);
    snprintf (pt->pseudo, sizeof pt->pseudo, "%016" PRIx64, h);
}

static const scenario_t *s_pick_scenario (gen_t *g, unsigned band, unsigned sex)
{
    const uint32_t *cum = g->cum[band][sex - 1];
    uint32_t x = s_below (&g->rng, cum[NSCENARIOS - 1]);
    size_t i = 0;
    while (cum[i] <= x)
        i++;
    return &s_scenarios[i];
}

static const char *s_pick_method (rng_t *r, const scenario_t *sc)
{
    uint32_t x = s_below (r, 1000);
    if (sc->kind == 'L') {
        if (strcmp (sc->hrg_root, "SB97") == 0) /* chemotherapy runs to a plan */
            return x < 600 ? "13" : "12";
        return x < 780 ? "11" : x < 950 ? "12" : "13";
    }
    return x < 680 ? "21" : x < 780 ? "22" : x < 800 ? "23" : x < 850 ? "24" : "28";
}

/* Spell i (1-based). Draws come from g->rng in the same order whatever the
   class, so the three classes of one seed describe the same spells. */
static void s_next_spell (gen_t *g, uint64_t i, spell_t *sp)
{
    rng_t *r = &g->rng;
    sp->id = i;

    /* Some patients come back often: 40% of spells take the lower of two
       draws. The bijection keeps the frequent ones from having the lowest
       NHS numbers. */
    uint32_t u = s_below (r, g->pool);
    if (s_chance (r, 400)) {
        uint32_t v = s_below (r, g->pool);
        u = v < u ? v : u;
    }
    uint32_t q = (uint32_t) (((uint64_t) g->perm_a * u + g->perm_c) % g->pool);
    s_patient (g, q, &sp->pt);
    const commissioner_t *c = &g->comms[sp->pt.comm];

    uint32_t where = s_below (r, 1000);
    sp->prov = where < 850 ? sp->pt.home : where < 950 ? c->main_provider : s_below (r, NPROVIDERS);
    unsigned nsites = s_nsites (&s_providers[sp->prov]);
    sp->site = s_chance (r, 600) ? 0 : s_below (r, nsites);

    unsigned adm = s_below (r, FY_DAYS);
    unsigned band = s_band_of (s_age_years (sp->pt.dob, g->fy_start + adm));
    const scenario_t *sc = s_pick_scenario (g, band, sp->pt.sex);
    sp->sc = sc;

    size_t nsplits = strlen (sc->splits);
    unsigned level = 0;
    while (level + 1 < nsplits && s_chance (r, s_complex_pm[band]))
        level++;
    memcpy (sp->hrg, sc->hrg_root, 4);
    sp->hrg[4] = sc->splits[level];
    sp->hrg[5] = '\0';

    /* Stay: day case, same-day emergency, or 1 + a hump-shaped tail whose
       mean grows with complexity (sum of two geometrics). */
    uint32_t extra_x10 =
        sc->los_x10 > 10 ? (uint32_t) (sc->los_x10 - 10) * (100 + 35 * level) / 100 : 0;
    if (sc->kind == 'L' && s_chance (r, sc->daycase_pm)) {
        sp->pclass = 2;
        sp->los = 0;
    } else if (sc->kind == 'E' && s_chance (r, sc->sameday_pm / (1 + level))) {
        sp->pclass = 1;
        sp->los = 0;
    } else {
        sp->pclass = 1;
        unsigned first = s_geometric (r, extra_x10 / 2); /* separate statements: see s_patient */
        sp->los = 1 + first + s_geometric (r, extra_x10 - extra_x10 / 2);
        if (sp->los > LOS_MAX)
            sp->los = LOS_MAX;
    }
    sp->method = s_pick_method (r, sc);

    /* Planned work happens on weekdays, bar a few weekend lists; 2025-04-01
       was a Tuesday, so (day + 1) % 7 is 5 or 6 at weekends. */
    if (sc->kind == 'L' && (adm + 1) % 7 >= 5 && s_chance (r, 900))
        while ((adm + 1) % 7 >= 5)
            adm = s_below (r, FY_DAYS);
    if (adm + sp->los > FY_DAYS - 1)
        adm = FY_DAYS - 1 - sp->los;
    sp->adm = adm;
    sp->dis = adm + sp->los;
    sp->band = s_band_of (s_age_years (sp->pt.dob, g->fy_start + adm));

    /* Children with medical problems are under paediatrics (420); many very
       old ones under geriatric medicine (430). */
    sp->specialty = sc->specialty;
    bool medical = sc->kind == 'E' && sc->specialty[0] >= '3' && sc->specialty[0] <= '4';
    if (medical && sp->band <= 1) {
        sp->specialty = "420";
    } else if (medical && (!strcmp (sc->specialty, "300") || !strcmp (sc->specialty, "340"))) {
        uint32_t to_geri = sp->band == 6 ? 550 : sp->band == 5 ? 300 : 0;
        if (s_chance (r, to_geri))
            sp->specialty = "430";
    }

    /* Price: HRG base rising 30% a split, times the trust's market forces
       factor, plus 300 GBP a day beyond a trim point; same-day emergencies
       are paid at a reduced short-stay rate. */
    int64_t pence = (int64_t) sc->base_pounds * 100 * (100 + 30 * level) / 100;
    pence = pence * s_providers[sp->prov].mff / 1000;
    unsigned trim = sc->los_x10 * 3 / 10 + 2;
    if (sp->los > trim)
        pence += (int64_t) (sp->los - trim) * 30000;
    if (sc->kind == 'E' && sp->los == 0)
        pence = pence * 70 / 100;
    if (pence < COST_MIN_PENCE)
        pence = COST_MIN_PENCE;
    if (pence > COST_MAX_PENCE)
        pence = COST_MAX_PENCE;
    sp->cost_pence = pence;
}

/* ---- output --------------------------------------------------------------- */

static char *s_put (char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *s_put_u64 (char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *s_put_money (char *p, int64_t pence)
{
    p = s_put_u64 (p, (uint64_t) (pence / 100));
    *p++ = '.';
    *p++ = (char) ('0' + pence % 100 / 10);
    *p++ = (char) ('0' + pence % 10);
    return p;
}

/* One CSV row of a spell, with its newline; returns its length. The order
   here must be the order of s_columns for the class; --verify on our own
   output (tests) is what proves it. */
static size_t s_format_spell (const gen_t *g, const spell_t *sp, data_class_t cls, char *buf)
{
    char *p = buf;
    const provider_t *pr = &s_providers[sp->prov];
    p = s_put_u64 (p, sp->id);
    *p++ = ',';
    if (cls == CLASS_PSEUDO) {
        p = s_put (p, sp->pt.pseudo);
    } else {
        char dob[11];
        s_date_str (sp->pt.dob, dob);
        p = s_put (p, sp->pt.nhs);
        *p++ = ',';
        p = s_put (p, dob);
        *p++ = ',';
        p = s_put (p, sp->pt.postcode);
    }
    *p++ = ',';
    p = s_put (p, g->comms[sp->pt.comm].code);
    *p++ = ',';
    p = s_put (p, pr->code);
    *p++ = ',';
    p = s_put (p, pr->code);
    p = s_put (p, pr->sites[sp->site]);
    *p++ = ',';
    p = s_put (p, g->fy_dates[sp->adm]);
    *p++ = ',';
    p = s_put (p, g->fy_dates[sp->dis]);
    *p++ = ',';
    p = s_put (p, sp->method);
    *p++ = ',';
    *p++ = (char) ('0' + sp->pclass);
    *p++ = ',';
    p = s_put (p, sp->specialty);
    *p++ = ',';
    p = s_put (p, sp->sc->diagnosis);
    *p++ = ',';
    p = s_put (p, sp->sc->procedure);
    *p++ = ',';
    p = s_put (p, sp->hrg);
    *p++ = ',';
    p = s_put_u64 (p, sp->los);
    *p++ = ',';
    p = s_put (p, s_age_bands[sp->band]);
    *p++ = ',';
    *p++ = (char) ('0' + sp->pt.sex);
    *p++ = ',';
    p = s_put (p, "E01");
    for (uint32_t div = 100000, v = sp->pt.lsoa; div; div /= 10)
        *p++ = (char) ('0' + v / div % 10);
    *p++ = ',';
    p = s_put_money (p, sp->cost_pence);
    *p++ = '\n';
    return (size_t) (p - buf);
}

/* Small-number suppression as NHS Digital does for HES (DOMAIN.md): 0 stays
   0, 1 to 7 become *, the rest are rounded to the nearest 5. Returns false
   when suppressed. */
static bool s_suppress (uint64_t n, uint64_t *shown)
{
    if (n == 0) {
        *shown = 0;
        return true;
    }
    if (n <= 7)
        return false;
    *shown = (n + 2) / 5 * 5;
    return true;
}

typedef struct {
    uint64_t spells;
    int64_t pence;
} cell_t;

typedef struct {
    FILE *f;
    const char *path; /* for messages; "standard output" for stdout */
    bool failed;
} out_t;

static bool s_write (out_t *o, const void *data, size_t len)
{
    if (!o->failed && fwrite (data, 1, len, o->f) != len)
        o->failed = true;
    return !o->failed;
}

static void s_progress (uint64_t done, uint64_t total, bool final)
{
    fprintf (stderr, "\rcdx-gen-apc: %" PRIu64 " / %" PRIu64 " spells%s", done, total,
             final ? "\n" : "");
}

/* Generates the extract into o. Returns 0, or -1 if a write failed (errno kept). */
static int s_generate (out_t *o, data_class_t cls, uint64_t rows, uint64_t seed, const char **codes,
                       unsigned ncodes)
{
    static gen_t g;
    static cell_t cells[MAX_COMMISSIONERS][NPROVIDERS][26];
    s_gen_init (&g, seed, rows, codes, ncodes);
    memset (cells, 0, sizeof cells);
    bool progress = rows >= 2000000 && isatty (STDERR_FILENO);

    char line[LINE_MAX_BYTES];
    s_header (cls, line, sizeof line);
    strcat (line, "\n");
    if (!s_write (o, line, strlen (line)))
        return -1;

    spell_t sp;
    for (uint64_t i = 1; i <= rows; i++) {
        s_next_spell (&g, i, &sp);
        if (cls == CLASS_AGG) {
            cell_t *c = &cells[sp.pt.comm][sp.prov][sp.hrg[0] - 'A'];
            c->spells++;
            c->pence += sp.cost_pence;
        } else if (!s_write (o, line, s_format_spell (&g, &sp, cls, line))) {
            return -1;
        }
        if (progress && i % (1u << 20) == 0)
            s_progress (i, rows, false);
    }
    if (progress)
        s_progress (rows, rows, true);
    if (cls != CLASS_AGG)
        return 0;

    /* Every cell, zeros included, so that which rows exist tells nothing. */
    bool chapter_used[26] = {false};
    for (size_t i = 0; i < NSCENARIOS; i++)
        chapter_used[s_scenarios[i].hrg_root[0] - 'A'] = true;
    for (unsigned c = 0; c < ncodes; c++) {
        for (unsigned p = 0; p < NPROVIDERS; p++) {
            for (unsigned ch = 0; ch < 26; ch++) {
                if (!chapter_used[ch])
                    continue;
                const cell_t *cell = &cells[c][p][ch];
                uint64_t shown;
                char *q = line;
                q = s_put (q, codes[c]);
                *q++ = ',';
                q = s_put (q, s_providers[p].code);
                *q++ = ',';
                *q++ = (char) ('A' + ch);
                *q++ = ',';
                if (s_suppress (cell->spells, &shown)) {
                    q = s_put_u64 (q, shown);
                    *q++ = ',';
                    q = s_put_money (q, cell->pence);
                } else {
                    q = s_put (q, "*,*");
                }
                *q++ = '\n';
                if (!s_write (o, line, (size_t) (q - line)))
                    return -1;
            }
        }
    }
    return 0;
}

/* ---- --verify: field checks ----------------------------------------------- */

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

static bool s_digit (char c)
{
    return c >= '0' && c <= '9';
}

/* Parses YYYY-MM-DD strictly; returns false if it is not a real date. */
static bool s_parse_date (const char *s, int64_t *days)
{
    if (strlen (s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !s_digit (s[i]))
            return false;
    int y = atoi (s);
    unsigned m = (unsigned) atoi (s + 5), d = (unsigned) atoi (s + 8);
    if (y < 1880 || m < 1 || m > 12 || d < 1)
        return false;
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    *days = s_days_from_civil (y, m, d);
    return true;
}

/* Parses a non-negative decimal with exactly two decimals into pence. */
static bool s_parse_money (const char *s, int64_t *pence)
{
    size_t n = strlen (s);
    if (n < 4 || n > 15 || s[n - 3] != '.' || !s_digit (s[n - 2]) || !s_digit (s[n - 1]))
        return false;
    if (s[0] == '0' && n > 4)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n - 3; i++) {
        if (!s_digit (s[i]))
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
        if (!s_digit (v[i]) && !(v[i] >= 'a' && v[i] <= 'f'))
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
    return s_parse_date (v, &d) ? NULL : "is not a valid YYYY-MM-DD date";
}

static const char *s_chk_fy_date (const char *v)
{
    int64_t d;
    if (!s_parse_date (v, &d))
        return "is not a valid YYYY-MM-DD date";
    if (d < s_fy_start () || d >= s_fy_start () + FY_DAYS)
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
    if (!s_digit (sp[1]) || !s_upper (sp[2]) || !s_upper (sp[3]))
        return "has an inward code that is not digit-letter-letter";
    size_t letters = 0;
    while (letters < out && s_upper (v[letters]))
        letters++;
    if (letters < 1 || letters > 2 || !s_digit (v[letters]))
        return "has an outward code that is not 1-2 letters then a digit";
    for (size_t i = letters + 1; i < out; i++)
        if (!s_upper_alnum (v[i]))
            return "has an outward code with a stray character";
    return NULL;
}

static const char *s_chk_ods (const char *v)
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
    if (strlen (v) != 5 || !s_digit (v[3]) || !s_digit (v[4]))
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
    if (strlen (v) != 5 || !s_upper (v[0]) || !s_digit (v[1]) || !s_digit (v[2]) || v[3] != '.' ||
        !(s_digit (v[4]) || v[4] == 'X'))
        return "is not an ICD-10 code like J18.9";
    return NULL;
}

static const char *s_chk_opcs (const char *v)
{
    if (v[0] == '\0')
        return NULL;
    if (strlen (v) != 5 || !s_upper (v[0]) || !s_digit (v[1]) || !s_digit (v[2]) || v[3] != '.' ||
        !s_digit (v[4]))
        return "is neither empty nor an OPCS-4 code like W37.1";
    return NULL;
}

static const char *s_chk_hrg (const char *v)
{
    if (strlen (v) != 5 || !s_upper (v[0]) || !s_upper (v[1]) || !s_digit (v[2]) ||
        !s_digit (v[3]) || !s_upper (v[4]))
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
        if (strcmp (v, s_age_bands[b]) == 0)
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

/* Cross-field rules of one spell row; fields are by s_columns name. */
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
    s_parse_date (adm_s, &adm);
    s_parse_date (dis_s, &dis);
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
        s_parse_date (dob_s, &dob);
        if (dob > adm)
            return "date_of_birth is after admission_date";
        if (strcmp (s_age_bands[s_band_of (s_age_years (dob, adm))], band_s) != 0)
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
static int s_verify (const char *path, data_class_t want, const char **comms, unsigned ncomms)
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
        s_header (s_classes[i].cls, header, sizeof header);
        if (strcmp (line, header) == 0)
            cls = s_classes[i].cls;
    }
    if (!cls) {
        s_header (want ? want : CLASS_PSEUDO, header, sizeof header);
        rc = s_problem (&w, "not a cdx-gen-apc header; a %s file starts with: %s",
                        s_class_name (want ? want : CLASS_PSEUDO), header);
        goto out;
    }
    if (want && cls != want) {
        rc = s_problem (&w, "this is a %s file but --class %s was asked for", s_class_name (cls),
                        s_class_name (want));
        goto out;
    }

    const column_t *cols[MAX_FIELDS];
    size_t ncols = s_class_columns (cls, cols);
    uint64_t rows = 0, last_id = 0;
    for (;;) {
        w.line++;
        st = s_read_line (&r, line, sizeof line);
        if (st == LINE_EOF)
            break;
        if (st != LINE_OK)
            goto bad_line;
        if (strchr (line, '"')) {
            rc = s_problem (&w, "a quote character: cdx-gen-apc never quotes fields");
            goto out;
        }
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
        if (n != ncols) {
            rc = s_problem (&w, "%s%zu columns, a %s row has %zu",
                            n > MAX_FIELDS ? "more than " : "",
                            n > MAX_FIELDS ? (size_t) MAX_FIELDS : n, s_class_name (cls), ncols);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            const char *why = cols[i]->check (f[i]);
            if (why) {
                if (cols[i]->identifying)
                    rc = s_problem (&w, "%s %s (value not shown: it is identifying)",
                                    cols[i]->name, why);
                else
                    rc = s_problem (&w, "%s '%.40s' %s", cols[i]->name, f[i], why);
                goto out;
            }
        }
        const char *why = cls == CLASS_AGG ? s_check_cell (cols, f, n)
                                           : s_check_spell (cols, f, n, &last_id, comms, ncomms);
        if (!why && cls == CLASS_AGG && ncomms) {
            unsigned k = 0;
            while (k < ncomms && strcmp (f[0], comms[k]) != 0)
                k++;
            if (k == ncomms)
                why = "commissioner_code is not one of the --commissioner codes given";
        }
        if (why) {
            rc = s_problem (&w, "%s", why);
            goto out;
        }
        rows++;
    }
    printf ("ok: %" PRIu64 " rows (%s)\n", rows, s_class_name (cls));
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

/* ---- command line --------------------------------------------------------- */

static void s_help (FILE *f)
{
    fputs ("usage: cdx-gen-apc [--rows N] [--seed S] [--class CLASS] [--commissioner CODE]...\n"
           "                   [-o FILE]\n"
           "       cdx-gen-apc --verify FILE [--class CLASS] [--commissioner CODE]...\n"
           "\n"
           "Writes a synthetic \"SUS for Commissioners\"-style admitted patient care extract for\n"
           "the financial year 2025/26 as CSV: invented patients and spells, clinically coherent,\n"
           "the same bytes for the same options. NHS numbers come only from the 999 test range.\n"
           "Memory does not grow with --rows.\n"
           "\n"
           "Options:\n"
           "  --rows N             spells to generate (default 20000; 0 writes the header only);\n"
           "                       about 1.6 spells a patient, but never more than 900000\n"
           "                       patients: that is all the valid numbers of the 999 range\n"
           "  --seed S             unsigned 64-bit seed (default 1); the same seed gives the same\n"
           "                       spells in every class, and keys the pseudonyms\n"
           "  --class CLASS        pseudonymised (default), identifiable, or aggregate\n"
           "                         pseudonymised  one row per spell, patients as pseudonyms\n"
           "                         identifiable   one row per spell, with NHS number, date of\n"
           "                                        birth and postcode\n"
           "                         aggregate      spells and cost per commissioner, provider\n"
           "                                        and HRG chapter, small numbers suppressed;\n"
           "                                        every cell is listed, zeros included\n"
           "  --commissioner CODE  ODS code of a commissioner (3 or 5 upper-case characters);\n"
           "                       repeat for several (default 04V and 10Q); each patient belongs\n"
           "                       to one\n"
           "  -o, --output FILE    write to FILE instead of standard output\n"
           "  --verify FILE        check FILE (- for standard input) instead of generating: the\n"
           "                       header names a class (with --class, it must be that\n"
           "                       one), every row has its columns in the right format,\n"
           "                       NHS check digits are valid, discharge >= admission,\n"
           "                       length of stay adds up, counts are suppressed; with\n"
           "                       --commissioner, codes must be among those. Prints\n"
           "                       \"ok: N rows\", or the first problem and its line\n"
           "  -h, --help           this text\n"
           "\n",
           f);
    fputs ("Columns, in file order, and the classes that have them (P pseudonymised,\n"
           "I identifiable, A aggregate):\n",
           f);
    for (size_t i = 0; i < NCOLUMNS; i++) {
        unsigned m = s_columns[i].classes;
        char mask[8];
        snprintf (mask, sizeof mask, "%c %c %c", m & CLASS_PSEUDO ? 'P' : ' ',
                  m & CLASS_IDENT ? 'I' : ' ', m & CLASS_AGG ? 'A' : ' ');
        for (size_t k = strlen (mask); k > 0 && mask[k - 1] == ' '; k--)
            mask[k - 1] = '\0';
        fprintf (f, "  %-24s %s\n      %s\n", s_columns[i].name, mask, s_columns[i].help);
    }
    fputc ('\n', f);
    fputs (s_exit_help, f);
}

static int s_usage_error (const char *fmt, ...) PRINTF_LIKE (1, 2);
static int s_usage_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs ("cdx-gen-apc: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputs ("\nTry: cdx-gen-apc --help\n", stderr);
    va_end (ap);
    return EXIT_USAGE;
}

/* Parses a plain decimal (no sign, no spaces) up to max. */
static bool s_parse_u64 (const char *s, uint64_t max, uint64_t *out)
{
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!s_digit (*s))
            return false;
        unsigned d = (unsigned) (*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int main (int argc, char **argv)
{
    enum { OPT_ROWS = 256, OPT_SEED, OPT_CLASS, OPT_COMM, OPT_VERIFY };
    static const struct option opts[] = {
        {"rows", required_argument, NULL, OPT_ROWS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"class", required_argument, NULL, OPT_CLASS},
        {"commissioner", required_argument, NULL, OPT_COMM},
        {"output", required_argument, NULL, 'o'},
        {"verify", required_argument, NULL, OPT_VERIFY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t rows = DEFAULT_ROWS, seed = DEFAULT_SEED;
    data_class_t cls = 0;
    const char *comms[MAX_COMMISSIONERS];
    unsigned ncomms = 0;
    const char *output = NULL, *verify = NULL;
    bool gen_only = false;

    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROWS:
            if (!s_parse_u64 (optarg, MAX_ROWS, &rows))
                return s_usage_error ("--rows %s: give a whole number from 0 to %llu", optarg,
                                      MAX_ROWS);
            gen_only = true;
            break;
        case OPT_SEED:
            if (!s_parse_u64 (optarg, UINT64_MAX, &seed))
                return s_usage_error ("--seed %s: give a whole number from 0 to %" PRIu64, optarg,
                                      UINT64_MAX);
            gen_only = true;
            break;
        case OPT_CLASS:
            cls = 0;
            for (size_t i = 0; i < NCLASSES; i++)
                if (strcmp (optarg, s_classes[i].name) == 0)
                    cls = s_classes[i].cls;
            if (!cls)
                return s_usage_error ("--class %s: give pseudonymised, identifiable or aggregate",
                                      optarg);
            break;
        case OPT_COMM: {
            if (s_chk_ods (optarg)) {
                char upper[8] = "";
                size_t n = strlen (optarg);
                for (size_t i = 0; i < n && i < sizeof upper - 1; i++)
                    upper[i] = (char) (optarg[i] >= 'a' && optarg[i] <= 'z' ? optarg[i] - 32
                                                                            : optarg[i]);
                upper[n < sizeof upper - 1 ? n : sizeof upper - 1] = '\0';
                bool fixable = s_chk_ods (upper) == NULL;
                return s_usage_error ("--commissioner %s: give an ODS code of 3 or 5 upper-case "
                                      "letters and digits, such as 04V or D4U1Y%s%s",
                                      optarg, fixable ? "; try " : "", fixable ? upper : "");
            }
            for (unsigned i = 0; i < ncomms; i++)
                if (strcmp (comms[i], optarg) == 0)
                    return s_usage_error ("--commissioner %s is given twice; give each code once",
                                          optarg);
            if (ncomms == MAX_COMMISSIONERS)
                return s_usage_error ("more than %d --commissioner codes; split the extract",
                                      MAX_COMMISSIONERS);
            comms[ncomms++] = optarg;
            break;
        }
        case 'o':
            output = optarg;
            gen_only = true;
            break;
        case OPT_VERIFY:
            verify = optarg;
            break;
        case 'h':
            s_help (stdout);
            return fflush (stdout) == 0 ? EXIT_OK : EXIT_FAIL;
        case ':':
            return s_usage_error ("%s needs a value", argv[optind - 1]);
        default:
            return s_usage_error ("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return s_usage_error ("unexpected argument %s (the output file goes after -o)",
                              argv[optind]);

    if (verify) {
        if (gen_only)
            return s_usage_error ("--verify reads a file: --rows, --seed and -o apply only "
                                  "when generating");
        return s_verify (verify, cls, comms, ncomms);
    }

    if (!cls)
        cls = CLASS_PSEUDO;
    if (ncomms == 0) {
        comms[ncomms++] = "04V";
        comms[ncomms++] = "10Q";
    }
    out_t o = {stdout, "standard output", false};
    if (output) {
        o.f = fopen (output, "wb");
        o.path = output;
        if (!o.f) {
            fprintf (stderr,
                     "cdx-gen-apc: cannot create %s: %s; check that its directory exists and is "
                     "writable\n",
                     output, strerror (errno));
            return EXIT_FAIL;
        }
    }
    static char obuf[1 << 20];
    setvbuf (o.f, obuf, _IOFBF, sizeof obuf);

    int rc = s_generate (&o, cls, rows, seed, comms, ncomms);
    int err = errno;
    if (rc == 0 && fflush (o.f) != 0) {
        rc = -1;
        err = errno;
    }
    if (fclose (o.f) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc != 0) {
        fprintf (stderr, "cdx-gen-apc: writing %s failed: %s%s\n", o.path, strerror (err),
                 output ? "; the file is incomplete, delete it and free some space" : "");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}
