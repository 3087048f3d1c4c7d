/*  outfile.c: files the user names, created without replacing anything
    (outfile.h says why and how). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "outfile.h"

#define S_PATH_MAX 4096

struct node_outfile {
    int fd;
    int anon;                   /* O_TMPFILE: no name until it is committed */
    int synced;
    int committed;
    int wrapped;                /* made elsewhere: OPS names it */
    node_outfile_ops_t ops;
    char path[S_PATH_MAX];
    char tmp[S_PATH_MAX + 32];
    char dir[S_PATH_MAX];
    char abs[2 * S_PATH_MAX];   /* the destination as an absolute path, for the record */
};

static int s_exists (const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (lstat (path, &sb) == 0)
        return node_errf (err, errlen, "%s already exists (%s): refusing to replace it; name a file that "
                                   "does not exist, or remove it first",
                      path, S_ISLNK (sb.st_mode) ? "a symbolic link" : S_ISDIR (sb.st_mode) ? "a directory"
                                                                                           : "a file");
    if (errno != ENOENT)
        return node_errf (err, errlen, "cannot create %s: %s", path, strerror (errno));
    return 0;
}

node_outfile_t *node_outfile_new (const char *path, mode_t mode, char *err, size_t errlen)
{
    if (!path || !*path) {
        node_errf (err, errlen, "no output file given");
        return NULL;
    }
    if (strlen (path) >= S_PATH_MAX) {
        node_errf (err, errlen, "output path too long (at most %d bytes)", S_PATH_MAX - 1);
        return NULL;
    }
    if (s_exists (path, err, errlen) != 0)
        return NULL;
    node_outfile_t *f = calloc (1, sizeof *f);
    if (!f) {
        node_errf (err, errlen, "out of memory");
        return NULL;
    }
    f->fd = -1;
    snprintf (f->path, sizeof f->path, "%s", path);
    char copy[S_PATH_MAX], copy2[S_PATH_MAX];
    snprintf (copy, sizeof copy, "%s", path);
    snprintf (copy2, sizeof copy2, "%s", path);
    snprintf (f->dir, sizeof f->dir, "%s", dirname (copy));
    const char *base = basename (copy2);
    char real[PATH_MAX];
    if (path[0] != '/' && realpath (f->dir, real))
        snprintf (f->abs, sizeof f->abs, "%s%s%s", real, strcmp (real, "/") == 0 ? "" : "/", base);
    else
        snprintf (f->abs, sizeof f->abs, "%s", path);
    /* Unnamed where the file system allows: a killed command then leaves
       nothing (the content may be decrypted data). */
    f->fd = open (f->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    f->anon = f->fd >= 0;
    if (!f->anon) {
        if (snprintf (f->tmp, sizeof f->tmp, "%s/.%.200s.cdx-XXXXXX", f->dir, base) >= (int) sizeof f->tmp) {
            node_errf (err, errlen, "output path too long");
            goto fail;
        }
        f->fd = mkostemp (f->tmp, O_CLOEXEC);  /* O_EXCL, 0600 */
    }
    if (f->fd < 0) {
        node_errf (err, errlen, "cannot create a file in %s: %s", f->dir, strerror (errno));
        f->tmp[0] = 0;
        goto fail;
    }
    if (fchmod (f->fd, mode & 07777) != 0) {
        node_errf (err, errlen, "cannot set the mode of %s: %s", f->tmp, strerror (errno));
        goto fail;
    }
    return f;
fail:
    node_outfile_destroy (&f);
    return NULL;
}

node_outfile_t *node_outfile_wrap (int fd, const char *path, const char *abs, const node_outfile_ops_t *ops,
                                   char *err, size_t errlen)
{
    node_outfile_t *f = calloc (1, sizeof *f);
    if (!f) {
        close (fd);
        node_errf (err, errlen, "out of memory");
        return NULL;
    }
    f->fd = fd;
    f->wrapped = 1;
    f->ops = *ops;
    snprintf (f->path, sizeof f->path, "%s", path);
    snprintf (f->abs, sizeof f->abs, "%s", abs);
    return f;
}

int node_outfile_fd (const node_outfile_t *f)
{
    return f->fd;
}

const char *node_outfile_path (const node_outfile_t *f)
{
    return f->abs;
}

int node_outfile_write (node_outfile_t *f, const void *data, size_t len, char *err, size_t errlen)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write (f->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return node_errf (err, errlen, "cannot write %s: %s", f->path, w < 0 ? strerror (errno) : "no space");
        p += w;
        len -= (size_t) w;
    }
    return 0;
}

int node_outfile_sync (node_outfile_t *f, char *err, size_t errlen)
{
    if (!f->synced && fsync (f->fd) != 0)
        return node_errf (err, errlen, "cannot write %s: %s", f->path, strerror (errno));
    f->synced = 1;
    return 0;
}

/* The failure of a link or rename to PATH: -1 always, naming the cause. */
static int s_place_failed (node_outfile_t *f, char *err, size_t errlen)
{
    if (errno == EEXIST)
        return node_errf (err, errlen, "%s appeared while it was being written: refusing to replace it; nothing "
                                   "was written there",
                      f->path);
    return node_errf (err, errlen, "cannot create %s: %s", f->path, strerror (errno));
}

/* Gives the unnamed file its name: linkat never replaces anything. */
static int s_link_anon (node_outfile_t *f)
{
    char proc[64];
    snprintf (proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    if (linkat (AT_FDCWD, proc, AT_FDCWD, f->path, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    return linkat (f->fd, "", AT_FDCWD, f->path, AT_EMPTY_PATH);  /* no /proc: needs the capability */
}

/* Puts the named temporary in place: RENAME_NOREPLACE, or link(2) where
   the file system lacks it; neither replaces anything. */
static int s_rename_named (node_outfile_t *f)
{
    if (renameat2 (AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link (f->tmp, f->path) != 0)
        return -1;
    unlink (f->tmp);
    return 0;
}

int node_outfile_commit (node_outfile_t *f, char *err, size_t errlen)
{
    if (f->committed)
        return 0;
    if (node_outfile_sync (f, err, errlen) != 0)
        return -1;
    if (f->wrapped) {
        if (f->ops.commit (f->ops.arg, err, errlen) != 0)
            return -1;
        f->committed = 1;
        return 0;
    }
    if ((f->anon ? s_link_anon (f) : s_rename_named (f)) != 0)
        return s_place_failed (f, err, errlen);
    f->committed = 1;
    f->tmp[0] = 0;
    int dfd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync (dfd);
        close (dfd);
    }
    return 0;
}

int node_outfile_retract (node_outfile_t *f)
{
    if (!f->committed)
        return 0;
    if (f->wrapped) {
        f->committed = 0;
        return f->ops.retract (f->ops.arg);
    }
    /* Only if PATH is still the file this wrote. */
    struct stat a, b;
    if (fstat (f->fd, &a) != 0 || lstat (f->path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return -1;
    f->committed = 0;
    return unlink (f->path);
}

void node_outfile_destroy (node_outfile_t **f_p)
{
    if (!f_p || !*f_p)
        return;
    node_outfile_t *f = *f_p;
    if (!f->wrapped && !f->anon && f->tmp[0])
        unlink (f->tmp);
    if (f->fd >= 0)
        close (f->fd);
    free (f);
    *f_p = NULL;
}

int node_outfile_save (const char *path, const void *data, size_t len, mode_t mode, char *err,
                       size_t errlen)
{
    node_outfile_t *f = node_outfile_new (path, mode, err, errlen);
    if (!f)
        return -1;
    int rc = node_outfile_write (f, data, len, err, errlen) == 0 && node_outfile_commit (f, err, errlen) == 0 ? 0 : -1;
    node_outfile_destroy (&f);
    return rc;
}
