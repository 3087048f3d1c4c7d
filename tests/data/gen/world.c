/*  world.c: what cdx-gen-apc draws from: its random numbers (xoshiro256**
    seeded by splitmix64), SipHash-2-4 for the pseudonyms, the proleptic
    Gregorian calendar, and the invented reference tables (trusts, postcode
    areas, commissioners, clinical scenarios, the population by age). No
    real patient, no real tariff; the generator itself is rows.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

/* ---- random numbers ------------------------------------------------------- */

uint64_t gen_mix64 (uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t gen_splitmix64 (uint64_t *state)
{
    return gen_mix64 (*state += 0x9E3779B97F4A7C15ULL);
}

void gen_rng_seed (rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = gen_splitmix64 (&seed);
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
uint32_t gen_below (rng_t *r, uint32_t n)
{
    return (uint32_t) (((s_rng_next (r) >> 32) * (uint64_t) n) >> 32);
}

bool gen_chance (rng_t *r, uint32_t per_mille)
{
    return gen_below (r, 1000) < per_mille;
}

/* Geometric number of failures with mean m_x10/10. */
unsigned gen_geometric (rng_t *r, uint32_t m_x10)
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

uint64_t gen_siphash24 (uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
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
int64_t gen_days_from_civil (int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned) -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

void gen_civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
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

int64_t gen_fy_start (void)
{
    return gen_days_from_civil (2025, 4, 1);
}

/* Whole years between a birth date and a later date. */
unsigned gen_age_years (int64_t dob, int64_t on)
{
    int64_t by, y;
    unsigned bm, bd, m, d;
    gen_civil_from_days (dob, &by, &bm, &bd);
    gen_civil_from_days (on, &y, &m, &d);
    int64_t age = y - by - ((m < bm || (m == bm && d < bd)) ? 1 : 0);
    return age < 0 ? 0 : (unsigned) age;
}

const char *const gen_age_bands[] = {"0-4", "5-17", "18-39", "40-64", "65-74", "75-84", "85+"};

unsigned gen_band_of (unsigned years)
{
    static const unsigned lower[NBANDS] = {0, 5, 18, 40, 65, 75, 85};
    unsigned b = 0;
    while (b + 1 < NBANDS && years >= lower[b + 1])
        b++;
    return b;
}

/* ---- reference tables ----------------------------------------------------- */

const provider_t gen_providers[] = {
    {"RRK", "University Hospitals Birmingham", 1034, {"01", "02", "03", "04"}},
    {"RJE", "University Hospitals of North Midlands", 1009, {"01", "02"}},
    {"RWE", "University Hospitals of Leicester", 1012, {"01", "02", "03"}},
    {"RTG", "University Hospitals of Derby and Burton", 1005, {"01", "02", "03", "04"}},
    {"RKB", "University Hospitals Coventry and Warwickshire", 1021, {"01", "02"}},
    {"RL4", "The Royal Wolverhampton", 1017, {"01", "02"}},
    {"RXK", "Sandwell and West Birmingham", 1029, {"01", "02", "03"}},
    {"RTH", "Oxford University Hospitals", 1062, {"01", "02", "03", "04"}},
};

unsigned gen_nsites (const provider_t *p)
{
    unsigned n = 0;
    while (n < 4 && p->sites[n])
        n++;
    return n;
}

const gen_area_t gen_areas[] = {
    {"LE", 19}, {"OX", 18}, {"S", 36}, {"B", 98}, {"CV", 37}, {"DE", 24},
    {"ST", 21}, {"WV", 16}, {"NG", 34}, {"LS", 29}, {"M", 35},  {"NN", 18},
};

const gen_known_t gen_known_ccgs[] = {
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

/* clang-format off */
const scenario_t gen_scenarios[] = {
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

/* Share of the patient pool by age band at the start of the year, per mille:
   older people are admitted far more often. */
const uint32_t gen_pool_age_pm[NBANDS] = {60, 50, 170, 300, 160, 170, 90};
const unsigned gen_band_lo[] = {0, 5, 18, 40, 65, 75, 85};
const unsigned gen_band_hi[] = {4, 17, 39, 64, 74, 84, 99};
const uint32_t gen_female_pm[NBANDS] = {480, 480, 560, 510, 500, 550, 640};
/* per mille chance, per HRG split, of being one step more complex */
const uint32_t gen_complex_pm[NBANDS] = {150, 150, 200, 350, 450, 550, 600};

