/*  rows.c: cdx-gen-apc's generator: a pool of synthetic patients, their
    spells over the financial year 2025/26, and the CSV rows of each class
    (aggregate: one row per commissioner, provider and HRG chapter, small
    numbers suppressed), streamed so that memory does not grow with --rows.
    What it draws from is world.c's; the columns, columns.c's. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

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
    gen_civil_from_days (days, &y, &m, &d);
    snprintf (out, 11, "%04d-%02u-%02u", (int) y, m, d);
}

static void s_gen_init (gen_t *g, uint64_t seed, uint64_t rows, const char **codes, unsigned ncodes)
{
    memset (g, 0, sizeof *g);
    gen_rng_seed (&g->rng, seed);
    uint64_t k = seed ^ 0x6364782d70736575ULL; /* "cdx-pseu" */
    g->pseudo_k0 = gen_splitmix64 (&k);
    g->pseudo_k1 = gen_splitmix64 (&k);
    g->patient_key = gen_splitmix64 (&k);

    /* A pool of as many patients as spells: with the skew in s_next_spell
       about 60% of them are admitted, 1.6 times each on average, as in a
       year of real APC, and a few come back many times. */
    uint64_t pool = rows;
    g->pool = (uint32_t) (pool < 1 ? 1 : pool > POOL_MAX ? POOL_MAX : pool);
    g->perm_a = (uint32_t) (0x9E3779B1u % g->pool);
    while (g->perm_a == 0 || s_gcd (g->perm_a, g->pool) != 1)
        g->perm_a = g->perm_a + 1 < g->pool ? g->perm_a + 1 : 1; /* 1 is coprime to all */
    g->perm_c = (uint32_t) (gen_splitmix64 (&k) % g->pool);

    g->ncomms = ncodes;
    for (unsigned i = 0; i < ncodes; i++) {
        commissioner_t *c = &g->comms[i];
        uint32_t h = s_fnv1a (codes[i]);
        c->code = codes[i];
        c->main_provider = h % NPROVIDERS;
        c->area = (h >> 8) % NAREAS;
        for (size_t j = 0; j < NKNOWN; j++) {
            if (strcmp (gen_known_ccgs[j].ods, codes[i]) != 0)
                continue;
            for (unsigned p = 0; gen_known_ccgs[j].provider && p < NPROVIDERS; p++)
                if (strcmp (gen_providers[p].code, gen_known_ccgs[j].provider) == 0)
                    c->main_provider = p;
            for (unsigned a = 0; a < NAREAS; a++)
                if (strcmp (gen_areas[a].area, gen_known_ccgs[j].area) == 0)
                    c->area = a;
        }
        c->second_provider = (c->main_provider + 1 + (h >> 16) % (NPROVIDERS - 1)) % NPROVIDERS;
        c->lsoa_base = 1 + (h >> 4) % 33000; /* England's LSOAs run to E01033768 */
    }

    for (unsigned b = 0; b < NBANDS; b++) {
        for (unsigned sex = 1; sex <= 2; sex++) {
            uint32_t sum = 0;
            for (size_t i = 0; i < NSCENARIOS; i++) {
                const scenario_t *sc = &gen_scenarios[i];
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
    g->fy_start = gen_fy_start ();
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
    gen_rng_seed (&r, g->patient_key ^ gen_mix64 ((uint64_t) q + 1));

    unsigned band = 0;
    uint32_t roll = gen_below (&r, 1000), acc = 0;
    for (band = 0; band < NBANDS - 1; band++) {
        acc += gen_pool_age_pm[band];
        if (roll < acc)
            break;
    }
    unsigned span = gen_band_hi[band] - gen_band_lo[band] + 1;
    unsigned years = gen_below (&r, span);
    if (band == NBANDS - 1) { /* the very old thin out: the lower of two draws */
        unsigned other = gen_below (&r, span);
        years = other < years ? other : years;
    }
    years += gen_band_lo[band];
    pt->dob = g->fy_start - 1 - (int64_t) years * 36525 / 100 - gen_below (&r, 365);
    pt->sex = gen_chance (&r, gen_female_pm[band]) ? 2 : 1;

    pt->comm = gen_below (&r, g->ncomms);
    const commissioner_t *c = &g->comms[pt->comm];
    uint32_t where = gen_below (&r, 1000);
    pt->home = where < 750   ? c->main_provider
               : where < 900 ? c->second_provider
                             : gen_below (&r, NPROVIDERS);

    pt->lsoa = c->lsoa_base + gen_below (&r, 700);
    if (pt->lsoa > 33768)
        pt->lsoa = 33768;

    /* One draw per statement: the order in which a compiler evaluates
       function arguments is unspecified, and the bytes must not depend on it. */
    static const char inward[] = "ABDEFGHJLNPQRSTUWXYZ"; /* no C I K M O V */
    unsigned district = 1 + gen_below (&r, gen_areas[c->area].districts);
    unsigned sector = gen_below (&r, 10);
    char unit1 = inward[gen_below (&r, sizeof inward - 1)];
    char unit2 = inward[gen_below (&r, sizeof inward - 1)];
    snprintf (pt->postcode, sizeof pt->postcode, "%s%u %u%c%c", gen_areas[c->area].area, district,
              sector, unit1, unit2);

    s_nhs_number (q, pt->nhs);
    uint64_t h = gen_siphash24 (g->pseudo_k0, g->pseudo_k1, (const uint8_t *) pt->nhs, 10);
    snprintf (pt->pseudo, sizeof pt->pseudo, "%016" PRIx64, h);
}

static const scenario_t *s_pick_scenario (gen_t *g, unsigned band, unsigned sex)
{
    const uint32_t *cum = g->cum[band][sex - 1];
    uint32_t x = gen_below (&g->rng, cum[NSCENARIOS - 1]);
    size_t i = 0;
    while (cum[i] <= x)
        i++;
    return &gen_scenarios[i];
}

static const char *s_pick_method (rng_t *r, const scenario_t *sc)
{
    uint32_t x = gen_below (r, 1000);
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
    uint32_t u = gen_below (r, g->pool);
    if (gen_chance (r, 400)) {
        uint32_t v = gen_below (r, g->pool);
        u = v < u ? v : u;
    }
    uint32_t q = (uint32_t) (((uint64_t) g->perm_a * u + g->perm_c) % g->pool);
    s_patient (g, q, &sp->pt);
    const commissioner_t *c = &g->comms[sp->pt.comm];

    uint32_t where = gen_below (r, 1000);
    sp->prov = where < 850 ? sp->pt.home : where < 950 ? c->main_provider : gen_below (r, NPROVIDERS);
    unsigned nsites = gen_nsites (&gen_providers[sp->prov]);
    sp->site = gen_chance (r, 600) ? 0 : gen_below (r, nsites);

    unsigned adm = gen_below (r, FY_DAYS);
    unsigned band = gen_band_of (gen_age_years (sp->pt.dob, g->fy_start + adm));
    const scenario_t *sc = s_pick_scenario (g, band, sp->pt.sex);
    sp->sc = sc;

    size_t nsplits = strlen (sc->splits);
    unsigned level = 0;
    while (level + 1 < nsplits && gen_chance (r, gen_complex_pm[band]))
        level++;
    memcpy (sp->hrg, sc->hrg_root, 4);
    sp->hrg[4] = sc->splits[level];
    sp->hrg[5] = '\0';

    /* Stay: day case, same-day emergency, or 1 + a hump-shaped tail whose
       mean grows with complexity (sum of two geometrics). */
    uint32_t extra_x10 =
        sc->los_x10 > 10 ? (uint32_t) (sc->los_x10 - 10) * (100 + 35 * level) / 100 : 0;
    if (sc->kind == 'L' && gen_chance (r, sc->daycase_pm)) {
        sp->pclass = 2;
        sp->los = 0;
    } else if (sc->kind == 'E' && gen_chance (r, sc->sameday_pm / (1 + level))) {
        sp->pclass = 1;
        sp->los = 0;
    } else {
        sp->pclass = 1;
        unsigned first = gen_geometric (r, extra_x10 / 2); /* separate statements: see s_patient */
        sp->los = 1 + first + gen_geometric (r, extra_x10 - extra_x10 / 2);
        if (sp->los > LOS_MAX)
            sp->los = LOS_MAX;
    }
    sp->method = s_pick_method (r, sc);

    /* Planned work happens on weekdays, bar a few weekend lists; 2025-04-01
       was a Tuesday, so (day + 1) % 7 is 5 or 6 at weekends. */
    if (sc->kind == 'L' && (adm + 1) % 7 >= 5 && gen_chance (r, 900))
        while ((adm + 1) % 7 >= 5)
            adm = gen_below (r, FY_DAYS);
    if (adm + sp->los > FY_DAYS - 1)
        adm = FY_DAYS - 1 - sp->los;
    sp->adm = adm;
    sp->dis = adm + sp->los;
    sp->band = gen_band_of (gen_age_years (sp->pt.dob, g->fy_start + adm));

    /* Children with medical problems are under paediatrics (420); many very
       old ones under geriatric medicine (430). */
    sp->specialty = sc->specialty;
    bool medical = sc->kind == 'E' && sc->specialty[0] >= '3' && sc->specialty[0] <= '4';
    if (medical && sp->band <= 1) {
        sp->specialty = "420";
    } else if (medical && (!strcmp (sc->specialty, "300") || !strcmp (sc->specialty, "340"))) {
        uint32_t to_geri = sp->band == 6 ? 550 : sp->band == 5 ? 300 : 0;
        if (gen_chance (r, to_geri))
            sp->specialty = "430";
    }

    /* Price: HRG base rising 30% a split, times the trust's market forces
       factor, plus 300 GBP a day beyond a trim point; same-day emergencies
       are paid at a reduced short-stay rate. */
    int64_t pence = (int64_t) sc->base_pounds * 100 * (100 + 30 * level) / 100;
    pence = pence * gen_providers[sp->prov].mff / 1000;
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
   here must be the order of gen_columns for the class; --verify on our own
   output (tests) is what proves it. */
static size_t s_format_spell (const gen_t *g, const spell_t *sp, data_class_t cls, char *buf)
{
    char *p = buf;
    const provider_t *pr = &gen_providers[sp->prov];
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
    p = s_put (p, gen_age_bands[sp->band]);
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

int gen_generate (out_t *o, data_class_t cls, uint64_t rows, uint64_t seed, const char **codes,
                  unsigned ncodes)
{
    static gen_t g;
    static cell_t cells[MAX_COMMISSIONERS][NPROVIDERS][26];
    s_gen_init (&g, seed, rows, codes, ncodes);
    memset (cells, 0, sizeof cells);
    bool progress = rows >= 2000000 && isatty (STDERR_FILENO);

    char line[LINE_MAX_BYTES];
    gen_header (cls, line, sizeof line);
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
        chapter_used[gen_scenarios[i].hrg_root[0] - 'A'] = true;
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
                q = s_put (q, gen_providers[p].code);
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

