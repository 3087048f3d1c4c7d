/*  sealed.c: a dataset's sealed file in HOME/data (sealed.h): its path,
    the length of each chunk, the content key that opens it, and a new
    file made for a publish, held from before it has a name so that no
    sweep takes it for a leftover.

    Not for: sealing or opening a chunk (cx.c), the sweep (home.c), what a
    publish or an export does with the file (publish.c, export.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "home.h"
#include "keys.h"
#include "sealed.h"

void node_data_path (const node_t *n, const char *id, char *buf, size_t cap)
{
    snprintf (buf, cap, "%s/data/%s.sealed", node_home (n), id);
}

int64_t node_chunk_bytes (const store_dataset_t *d, int64_t index)
{
    if (index == d->chunks - 1)
        return d->bytes - d->chunk_size * (d->chunks - 1);
    return d->chunk_size;
}

cx_content_t *node_content_key (node_t *n, const store_dataset_t *d)
{
    cx_content_t *k = node_unwrap (n, d->wrapped);
    if (!k)
        node_fail (n, "dataset %s: cannot open its content key: %s", d->id, cx_error ());
    return k;
}

/* TMP created and locked before it has its name, where the file system
   allows (O_TMPFILE, then linkat): a sweep never sees it unheld, so it
   never takes a publish in progress for an interrupted one. Elsewhere
   created by name (node_home_hold then settles the race). The descriptor,
   or -1 (errno). */
static int s_sealed_tmpfile (node_t *n, const char *tmp)
{
    char dir[NODE_PATH_MAX];
    if (node_join (dir, sizeof dir, node_home (n), "data") == 0) {
        int fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char proc[64];
            snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
            if (flock (fd, LOCK_EX) == 0 && linkat (AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
                return fd;
            int e = errno;
            close (fd);
            errno = e;
            return -1;
        }
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return -1;
    }
    return open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

int node_sealed_create (node_t *n, uint8_t dsid[16], char id[33], char *final, char *tmp)
{
    for (int tries = 0; tries < 3; tries++) {
        cx_random (dsid, 16);
        cx_hex (dsid, 16, id);
        node_data_path (n, id, final, NODE_PATH_MAX);
        snprintf (tmp, NODE_PATH_MAX, "%s.tmp", final);
        int fd = s_sealed_tmpfile (n, tmp);
        if (fd < 0) {
            node_fail (n, "cannot create %s: %s", tmp, strerror (errno));
            break;
        }
        int held = node_home_hold (fd);
        if (held == 0)
            return fd;
        if (held < 0)
            node_fail (n, "cannot lock %s: %s", tmp, strerror (errno));
        else
            node_fail (n, "%s was removed by a clean-up as it was created", tmp);
        unlink (tmp);          /* if it is still there: ours */
        close (fd);
        if (held < 0)
            break;
    }
    tmp[0] = 0;
    return -1;
}

int node_write_all (int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write (fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t) w;
    }
    return 0;
}

ssize_t node_read_full (int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read (fd, buf + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t) r;
    }
    return (ssize_t) got;
}
