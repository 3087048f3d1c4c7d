/*  fault.c: fault injection for cdx-fault, the tests' build of cdx. It is
    linked in with -Wl,--wrap for the calls our own objects make (memory,
    writes to files, fsync, SQLite statements: tests/CMakeLists.txt has the
    list), so libzmq, libsodium and SQLite inside are untouched, and makes
    the Nth call of one kind fail as the system would, so that the error
    paths behind each call run (SQLite's own fault.c and its malloc tests
    are the model). Never linked into cdx, which reads no such variable.

    CDX_FAULT is a comma-separated plan, read once at start:
      KIND:N    the Nth call of KIND fails, the others succeed
      KIND:N+   the Nth call of KIND and every later one fail
      count     at exit, print how many calls of each kind were made
      trace     with each injected failure, print the stack that made the call
                (addresses as binary(+offset): addr2line -f -e cdx-fault OFFSET)
    KIND is alloc (malloc, calloc, realloc, sodium_malloc: NULL,
    ENOMEM), write (write, pwrite to a regular file: -1, ENOSPC; pipes and
    sockets are not counted, so a stop signal's self-pipe still works),
    sync (fsync, fdatasync: -1, EIO) or step (sqlite3_step, sqlite3_exec:
    SQLITE_IOERR without running the statement; sqlite3_errmsg then says
    "disk I/O error"). Each injected failure is reported on stderr once, as
    "cdx-fault: KIND call N fails", so a test knows the fault was reached.
    Counters are atomic: the hasher thread allocates too. Only the process
    started with CDX_FAULT counts and fails: those it forks (cdx run's
    request server and the children that serve the control socket) inherit
    its counters but neither count nor fail, so that the Nth call of a plan
    is one process's Nth call, and two processes never report one fault at
    once on the same stderr. */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

enum { F_ALLOC, F_WRITE, F_SYNC, F_STEP, F_KINDS };
static const char *const s_kind_name[F_KINDS] = {"alloc", "write", "sync", "step"};

static atomic_long s_count[F_KINDS];
static long s_at[F_KINDS];              /* 0: this kind never fails */
static int s_from[F_KINDS];             /* 1: every call from s_at on fails */
static atomic_int s_told[F_KINDS];
static int s_counting;
static int s_tracing;
static volatile int s_forked;           /* 1 in a process forked from the planned one */
static _Thread_local sqlite3 *s_failed_db; /* its last statement failed here */

void *__real_malloc (size_t size);
void *__real_calloc (size_t n, size_t size);
void *__real_realloc (void *p, size_t size);
void *__real_sodium_malloc (size_t size);
ssize_t __real_write (int fd, const void *buf, size_t len);
ssize_t __real_pwrite (int fd, const void *buf, size_t len, off_t off);
int __real_fsync (int fd);
int __real_fdatasync (int fd);
int __real_sqlite3_step (sqlite3_stmt *st);
int __real_sqlite3_exec (sqlite3 *db, const char *sql, int (*cb) (void *, int, char **, char **), void *arg,
                         char **errmsg);
const char *__real_sqlite3_errmsg (sqlite3 *db);

/* Writes MSG to stderr without the wrapped calls (or stdio's buffers). */
static void s_say (const char *msg)
{
    ssize_t w = __real_write (2, msg, strlen (msg));
    (void) w;
}

static void s_report (void)
{
    if (!s_counting || s_forked)
        return;
    char line[160];
    snprintf (line, sizeof line, "cdx-fault: count alloc=%ld write=%ld sync=%ld step=%ld\n",
              atomic_load (&s_count[F_ALLOC]), atomic_load (&s_count[F_WRITE]),
              atomic_load (&s_count[F_SYNC]), atomic_load (&s_count[F_STEP]));
    s_say (line);
}

/* A plan that cannot be read stops the program: a test that meant to
   inject a fault must not pass because nothing was injected. */
static void s_bad_plan (const char *item)
{
    char line[256];
    snprintf (line, sizeof line,
              "cdx-fault: CDX_FAULT item \"%.100s\" is not KIND:N, KIND:N+, count or trace "
              "(KIND: alloc, write, sync, step)\n",
              item);
    s_say (line);
    _exit (2);
}

static void s_plan_item (const char *item, size_t len)
{
    char buf[64];
    if (len == 0)
        return;
    if (len >= sizeof buf)
        s_bad_plan (item);
    memcpy (buf, item, len);
    buf[len] = 0;
    if (strcmp (buf, "count") == 0 || strcmp (buf, "trace") == 0) {
        *(buf[0] == 'c' ? &s_counting : &s_tracing) = 1;
        return;
    }
    char *colon = strchr (buf, ':');
    if (!colon)
        s_bad_plan (buf);
    *colon = 0;
    int k = 0;
    while (k < F_KINDS && strcmp (buf, s_kind_name[k]) != 0)
        k++;
    char *end = NULL;
    errno = 0;
    long at = strtol (colon + 1, &end, 10);
    if (k == F_KINDS || errno || end == colon + 1 || at < 1 || (*end && strcmp (end, "+") != 0))
        s_bad_plan (item);
    s_at[k] = at;
    s_from[k] = *end == '+';
}

static void s_in_child (void)
{
    s_forked = 1;
}

__attribute__ ((constructor)) static void s_plan (void)
{
    const char *plan = getenv ("CDX_FAULT");
    if (!plan)
        return;
    pthread_atfork (NULL, NULL, s_in_child);
    for (const char *p = plan;;) {
        size_t len = strcspn (p, ",");
        s_plan_item (p, len);
        if (!p[len])
            break;
        p += len + 1;
    }
    atexit (s_report);
}

/* Counts a call of KIND; 1 if it is to fail. */
static int s_fails (int kind)
{
    if (s_forked)
        return 0;
    long n = atomic_fetch_add (&s_count[kind], 1) + 1;
    if (!s_at[kind] || n < s_at[kind] || (n > s_at[kind] && !s_from[kind]))
        return 0;
    if (atomic_exchange (&s_told[kind], 1) == 0) {
        char line[96];
        snprintf (line, sizeof line, "cdx-fault: %s call %ld fails%s\n", s_kind_name[kind], n,
                  s_from[kind] ? " (and every later one)" : "");
        s_say (line);
        if (s_tracing) {
            void *frames[24];
            backtrace_symbols_fd (frames, backtrace (frames, 24), 2);
        }
    }
    return 1;
}

void *__wrap_malloc (size_t size)
{
    if (s_fails (F_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc (size);
}

void *__wrap_calloc (size_t n, size_t size)
{
    if (s_fails (F_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc (n, size);
}

void *__wrap_realloc (void *p, size_t size)
{
    if (s_fails (F_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc (p, size);
}

void *__wrap_sodium_malloc (size_t size)
{
    if (s_fails (F_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_sodium_malloc (size);
}

/* Only writes to regular files are counted and failed: what a full or
   broken disk refuses. */
static int s_file (int fd)
{
    struct stat st;
    return fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
}

ssize_t __wrap_write (int fd, const void *buf, size_t len)
{
    if (s_file (fd) && s_fails (F_WRITE)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_write (fd, buf, len);
}

ssize_t __wrap_pwrite (int fd, const void *buf, size_t len, off_t off)
{
    if (s_file (fd) && s_fails (F_WRITE)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_pwrite (fd, buf, len, off);
}

int __wrap_fsync (int fd)
{
    if (s_fails (F_SYNC)) {
        errno = EIO;
        return -1;
    }
    return __real_fsync (fd);
}

int __wrap_fdatasync (int fd)
{
    if (s_fails (F_SYNC)) {
        errno = EIO;
        return -1;
    }
    return __real_fdatasync (fd);
}

int __wrap_sqlite3_step (sqlite3_stmt *st)
{
    sqlite3 *db = st ? sqlite3_db_handle (st) : NULL;
    if (db == s_failed_db)
        s_failed_db = NULL;
    if (st && s_fails (F_STEP)) {
        s_failed_db = db;
        return SQLITE_IOERR;
    }
    return __real_sqlite3_step (st);
}

int __wrap_sqlite3_exec (sqlite3 *db, const char *sql, int (*cb) (void *, int, char **, char **), void *arg,
                         char **errmsg)
{
    if (db == s_failed_db)
        s_failed_db = NULL;
    if (s_fails (F_STEP)) {
        s_failed_db = db;
        if (errmsg)
            *errmsg = sqlite3_mprintf ("%s", sqlite3_errstr (SQLITE_IOERR));
        return SQLITE_IOERR;
    }
    return __real_sqlite3_exec (db, sql, cb, arg, errmsg);
}

/* What SQLite would say of the statement that failed here; SQLite itself
   still holds the message of the call before it. */
const char *__wrap_sqlite3_errmsg (sqlite3 *db)
{
    if (db && db == s_failed_db)
        return sqlite3_errstr (SQLITE_IOERR);
    return __real_sqlite3_errmsg (db);
}
