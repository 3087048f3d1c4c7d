/*  gen.h: what the parts of cdx-gen-apc share. The tool writes a synthetic
    "SUS for Commissioners"-style admitted patient care (APC) extract and
    checks that a copy is well formed (main.c says what it is for); it is
    test and demo data, not part of cdx, and links nothing of it. The parts:
      columns.c  the data classes and the column table (header, help and
                 the field checks of --verify), and those checks
      world.c    the random numbers, SipHash, the calendar, and the
                 invented reference tables (providers, areas, scenarios)
      rows.c     the generator: patients, spells, the CSV rows
      verify.c   --verify
      main.c     the command line
    libc only, no libm: every draw is integer arithmetic on our own PRNG,
    so a seed gives the same bytes on every platform. */
#ifndef CDX_GEN_H
#define CDX_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define MAX_COMMISSIONERS 32
#define FY_DAYS 365            /* 2025-04-01 .. 2026-03-31 */
#define POOL_MAX 900000        /* synthetic NHS numbers we can mint, see rows.c */
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

/* ---- columns.c: data classes and columns ---------------------------------- */

typedef enum { CLASS_PSEUDO = 1, CLASS_IDENT = 2, CLASS_AGG = 4 } data_class_t;

typedef struct {
    const char *name;
    data_class_t cls;
} gen_class_t;

#define NCLASSES 3
extern const gen_class_t gen_classes[NCLASSES];

typedef const char *(check_fn) (const char *value);

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

#define NCOLUMNS 24
extern const column_t gen_columns[NCOLUMNS];
extern const char gen_class_help[];

const char *gen_class_name (data_class_t cls);
void gen_header (data_class_t cls, char *buf, size_t cap);
size_t gen_class_columns (data_class_t cls, const column_t *cols[MAX_FIELDS]);
void gen_columns_help (FILE *f);
bool gen_digit (char c);
bool gen_parse_date (const char *s, int64_t *days);
check_fn gen_chk_ods;

/* ---- world.c: random numbers, SipHash, dates, reference tables ------------ */

typedef struct {
    uint64_t s[4];
} rng_t;

uint64_t gen_mix64 (uint64_t z);
uint64_t gen_splitmix64 (uint64_t *state);
void gen_rng_seed (rng_t *r, uint64_t seed);
uint32_t gen_below (rng_t *r, uint32_t n);
bool gen_chance (rng_t *r, uint32_t per_mille);
unsigned gen_geometric (rng_t *r, uint32_t m_x10);
uint64_t gen_siphash24 (uint64_t k0, uint64_t k1, const uint8_t *in, size_t len);
int64_t gen_days_from_civil (int64_t y, unsigned m, unsigned d);
void gen_civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d);
int64_t gen_fy_start (void);
unsigned gen_age_years (int64_t dob, int64_t on);

#define NBANDS 7
extern const char *const gen_age_bands[NBANDS];
unsigned gen_band_of (unsigned years);

/* Acute trusts of the Midlands and Oxford (RR1, Heart of England, merged
   into RRK in 2018 and is no longer a live code). `mff` is a market forces
   factor in per mille, `sites` the site code suffixes. */
typedef struct {
    const char *code;
    const char *name;
    unsigned mff;
    const char *sites[4];
} provider_t;

#define NPROVIDERS 8
extern const provider_t gen_providers[NPROVIDERS];
unsigned gen_nsites (const provider_t *p);

/* Postcode areas with their highest district number; a commissioner we do
   not know gets one by hash. */
typedef struct {
    const char *area;
    unsigned districts;
} gen_area_t;

#define NAREAS 12
extern const gen_area_t gen_areas[NAREAS];

/* Commissioners whose geography we know: their main provider and postcode area. */
typedef struct {
    const char *ods;
    const char *provider;
    const char *area;
} gen_known_t;

#define NKNOWN 10
extern const gen_known_t gen_known_ccgs[NKNOWN];

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

#define NSCENARIOS 33
extern const scenario_t gen_scenarios[NSCENARIOS];

extern const uint32_t gen_pool_age_pm[NBANDS];
extern const unsigned gen_band_lo[NBANDS];
extern const unsigned gen_band_hi[NBANDS];
extern const uint32_t gen_female_pm[NBANDS];
extern const uint32_t gen_complex_pm[NBANDS];

/* ---- rows.c: the generator ------------------------------------------------ */

typedef struct {
    FILE *f;
    const char *path; /* for messages; "standard output" for stdout */
    bool failed;
} out_t;

/* Generates the extract into o. Returns 0, or -1 if a write failed (errno kept). */
int gen_generate (out_t *o, data_class_t cls, uint64_t rows, uint64_t seed, const char **codes,
                  unsigned ncodes);

/* ---- verify.c ------------------------------------------------------------- */

/* Checks the file at PATH ("-": standard input); an exit code (EXIT_OK or
   EXIT_FAIL, the first problem on stderr). */
int gen_verify (const char *path, data_class_t want, const char **comms, unsigned ncomms);

#endif
