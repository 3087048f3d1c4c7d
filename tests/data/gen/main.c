/*  main.c: cdx-gen-apc, a synthetic "SUS for Commissioners"-style admitted patient
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
    every platform. Exit codes are listed in s_exit_help. This file is the
    command line; gen.h lists the other parts. Test and demo data only: not
    part of cdx, whose code it does not link.
*/
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static const char *s_exit_help =
    "Exit codes:\n"
    "  0  success (generated, or --verify found the file well formed)\n"
    "  1  I/O failure, or --verify found a problem (the first one is on stderr)\n"
    "  2  bad command line\n";

#define DEFAULT_ROWS 20000
#define DEFAULT_SEED 1
#define MAX_ROWS 1000000000000ULL /* 10^12 spells: far beyond any disk */

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
           "                       spells in every class, and keys the pseudonyms\n",
           f);
    fputs (gen_class_help, f);
    fputs ("  --commissioner CODE  ODS code of a commissioner (3 or 5 upper-case characters);\n"
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
    gen_columns_help (f);
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
        if (!gen_digit (*s))
            return false;
        unsigned d = (unsigned) (*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* What the command line asks for. */
typedef struct {
    uint64_t rows, seed;
    data_class_t cls; /* 0: not given */
    const char *comms[MAX_COMMISSIONERS];
    unsigned ncomms;
    const char *output, *verify;
    bool gen_only; /* an option that applies only when generating */
} args_t;

/* Adds --commissioner CODE to A; -1, or the exit code of a usage error. */
static int s_commissioner (args_t *a, const char *code)
{
    if (gen_chk_ods (code)) {
        char upper[8] = "";
        size_t n = strlen (code);
        for (size_t i = 0; i < n && i < sizeof upper - 1; i++)
            upper[i] = (char) (code[i] >= 'a' && code[i] <= 'z' ? code[i] - 32 : code[i]);
        upper[n < sizeof upper - 1 ? n : sizeof upper - 1] = '\0';
        bool fixable = gen_chk_ods (upper) == NULL;
        return s_usage_error ("--commissioner %s: give an ODS code of 3 or 5 upper-case "
                              "letters and digits, such as 04V or D4U1Y%s%s",
                              code, fixable ? "; try " : "", fixable ? upper : "");
    }
    for (unsigned i = 0; i < a->ncomms; i++)
        if (strcmp (a->comms[i], code) == 0)
            return s_usage_error ("--commissioner %s is given twice; give each code once", code);
    if (a->ncomms == MAX_COMMISSIONERS)
        return s_usage_error ("more than %d --commissioner codes; split the extract",
                              MAX_COMMISSIONERS);
    a->comms[a->ncomms++] = code;
    return -1;
}

/* Reads the options into A; -1 to go on, or the exit code to end with
   (a usage error, or --help done). */
static int s_args (int argc, char **argv, args_t *a)
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
    opterr = 0;
    int c, rc;
    while ((c = getopt_long (argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROWS:
            if (!s_parse_u64 (optarg, MAX_ROWS, &a->rows))
                return s_usage_error ("--rows %s: give a whole number from 0 to %llu", optarg,
                                      MAX_ROWS);
            a->gen_only = true;
            break;
        case OPT_SEED:
            if (!s_parse_u64 (optarg, UINT64_MAX, &a->seed))
                return s_usage_error ("--seed %s: give a whole number from 0 to %" PRIu64, optarg,
                                      UINT64_MAX);
            a->gen_only = true;
            break;
        case OPT_CLASS:
            a->cls = 0;
            for (size_t i = 0; i < NCLASSES; i++)
                if (strcmp (optarg, gen_classes[i].name) == 0)
                    a->cls = gen_classes[i].cls;
            if (!a->cls)
                return s_usage_error ("--class %s: give pseudonymised, identifiable or aggregate",
                                      optarg);
            break;
        case OPT_COMM:
            if ((rc = s_commissioner (a, optarg)) >= 0)
                return rc;
            break;
        case 'o':
            a->output = optarg;
            a->gen_only = true;
            break;
        case OPT_VERIFY:
            a->verify = optarg;
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
    return -1;
}

int main (int argc, char **argv)
{
    args_t a = {.rows = DEFAULT_ROWS, .seed = DEFAULT_SEED};
    int end = s_args (argc, argv, &a);
    if (end >= 0)
        return end;

    if (a.verify) {
        if (a.gen_only)
            return s_usage_error ("--verify reads a file: --rows, --seed and -o apply only "
                                  "when generating");
        return gen_verify (a.verify, a.cls, a.comms, a.ncomms);
    }

    if (!a.cls)
        a.cls = CLASS_PSEUDO;
    if (a.ncomms == 0) {
        a.comms[a.ncomms++] = "04V";
        a.comms[a.ncomms++] = "10Q";
    }
    const char *output = a.output;
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

    int rc = gen_generate (&o, a.cls, a.rows, a.seed, a.comms, a.ncomms);
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
