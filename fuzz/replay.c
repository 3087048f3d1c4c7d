/*  replay: runs a fuzz target over saved inputs, without libFuzzer.

    Linked with one fuzz_<target>.c as replay_<target>; each argument is a
    file or a directory (its regular files, in name order, not recursing),
    and every file is passed to LLVMFuzzerTestOneInput once. This is how
    the corpus under fuzz/corpus/ runs as an ordinary test in `make check`
    (and under the sanitizers in `make check-asan`) with gcc. A broken
    property aborts inside the target; an unreadable argument or an empty
    run exits 1. Not for: finding new inputs (that is `make fuzz`).
*/
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_BYTES (1u << 20) /* no seed is anywhere near this */

/* Feeds the file at PATH to the target. 0, or -1 with a message. */
static int s_replay_file (const char *path)
{
    int rc = -1;
    uint8_t *buf = NULL;
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "replay: %s: %s\n", path, strerror (errno));
        return -1;
    }
    /* one spare byte to notice a file larger than the limit */
    buf = malloc (REPLAY_MAX_BYTES + 1);
    if (!buf) {
        fprintf (stderr, "replay: out of memory\n");
        goto out;
    }
    size_t len = fread (buf, 1, REPLAY_MAX_BYTES + 1, f);
    if (ferror (f)) {
        fprintf (stderr, "replay: %s: read error\n", path);
        goto out;
    }
    if (len > REPLAY_MAX_BYTES) {
        fprintf (stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_MAX_BYTES);
        goto out;
    }
    /* An exact-size copy, so ASan sees a read past the input's end. */
    uint8_t *exact = malloc (len ? len : 1);
    if (!exact) {
        fprintf (stderr, "replay: out of memory\n");
        goto out;
    }
    memcpy (exact, buf, len);
    LLVMFuzzerTestOneInput (exact, len);
    free (exact);
    rc = 0;
out:
    free (buf);
    fclose (f);
    return rc;
}

static int s_name_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in DIR; *COUNT is increased by the number
   replayed. 0, or -1 if the directory or a file in it cannot be read. */
static int s_replay_dir (const char *dir, size_t *count)
{
    int rc = -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir (dir);
    if (!d) {
        fprintf (stderr, "replay: %s: %s\n", dir, strerror (errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ., .. and hidden files */
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **grown = realloc (names, ncap * sizeof *grown);
            if (!grown) goto nomem;
            names = grown;
            cap = ncap;
        }
        size_t plen = strlen (dir) + 1 + strlen (e->d_name) + 1;
        names[n] = malloc (plen);
        if (!names[n]) goto nomem;
        snprintf (names[n], plen, "%s/%s", dir, e->d_name);
        n++;
    }
    qsort (names, n, sizeof *names, s_name_cmp);
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat (names[i], &st) != 0 || !S_ISREG (st.st_mode)) continue;
        if (s_replay_file (names[i]) != 0) {
            rc = -1;
            break;
        }
        (*count)++;
    }
    goto out;
nomem:
    fprintf (stderr, "replay: out of memory listing %s\n", dir);
out:
    for (size_t i = 0; i < n; i++)
        free (names[i]);
    free (names);
    closedir (d);
    return rc;
}

int main (int argc, char **argv)
{
    size_t count = 0;
    if (argc < 2) {
        fprintf (stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat (argv[i], &st) != 0) {
            fprintf (stderr, "replay: %s: %s\n", argv[i], strerror (errno));
            return 1;
        }
        if (S_ISDIR (st.st_mode)) {
            if (s_replay_dir (argv[i], &count) != 0) return 1;
        } else {
            if (s_replay_file (argv[i]) != 0) return 1;
            count++;
        }
    }
    if (count == 0) {
        fprintf (stderr, "replay: no inputs found\n");
        return 1;
    }
    printf ("replayed %zu inputs\n", count);
    return 0;
}
