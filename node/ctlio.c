/*  ctlio.c: control frames with descriptors on a stream socket
    (ctlio.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ctlio.h"
#include "errf.h"

int ctl_addr (const char *path, struct sockaddr_un *a)
{
    memset (a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen (path) > (size_t) CTL_SUN_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (a->sun_path, path, strlen (path));
    return 0;
}

/* Sends F with NFDS descriptors FDS. 0, or -1 (errno). */
int ctl_send (int fd, const ctl_frame_t *f, const int *fds, int nfds)
{
    uint8_t buf[CTL_FRAME_MAX];
    size_t len = ctl_encode (f, buf, sizeof buf);
    if (len == 0) {
        errno = E2BIG;
        return -1;
    }
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE (4 * sizeof (int))];
    } u;
    size_t done = 0;
    while (done < len) {
        struct iovec iov = {buf + done, len - done};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        if (done == 0 && nfds > 0) {
            memset (&u, 0, sizeof u);
            m.msg_control = u.space;
            m.msg_controllen = CMSG_SPACE (sizeof (int) * (size_t) nfds);
            struct cmsghdr *c = CMSG_FIRSTHDR (&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN (sizeof (int) * (size_t) nfds);
            memcpy (CMSG_DATA (c), fds, sizeof (int) * (size_t) nfds);
        }
        ssize_t w = sendmsg (fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t) w;
    }
    return 0;
}

static int64_t s_now_ms (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until FD is readable, TIMEOUT_MS (-1: for ever). 0, or -1 (ETIMEDOUT). */
static int s_wait_in (int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    while ((r = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        errno = ETIMEDOUT;
    return r > 0 ? 0 : -1;
}

/* Reads LEN bytes into P, the descriptors that come with them into FDS
   (at most MAXFDS; more are closed), their count into *NFDS. 0, 1 at the
   end of the stream before any byte, or -1 (errno). */
int ctl_read (int fd, uint8_t *p, size_t len, int *fds, int maxfds, int *nfds, int timeout_ms)
{
    size_t got = 0;
    int64_t until = timeout_ms >= 0 ? s_now_ms () + timeout_ms : 0;   /* for the whole read */
    while (got < len) {
        int64_t left = timeout_ms >= 0 ? until - s_now_ms () : -1;
        if (timeout_ms >= 0 && left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (s_wait_in (fd, (int) left) != 0)
            return -1;
        union {
            struct cmsghdr h;
            char space[CMSG_SPACE (8 * sizeof (int))];
        } u;
        struct iovec iov = {p + got, len - got};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
                           .msg_controllen = sizeof u.space};
        ssize_t r = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
            for (size_t i = 0; i < n; i++) {
                int d;
                memcpy (&d, CMSG_DATA (c) + i * sizeof (int), sizeof d);
                if (fds && *nfds < maxfds)
                    fds[(*nfds)++] = d;
                else
                    close (d);
            }
        }
        if (r == 0) {
            if (got == 0)
                return 1;
            errno = EPIPE;
            return -1;
        }
        got += (size_t) r;
    }
    return 0;
}

/* Receives one frame into BUF, parsed into F, with its descriptors. 0, 1
   at the end of the stream, or -1 with ERR. */
int ctl_recv (int fd, uint8_t *buf, ctl_frame_t *f, int *fds, int maxfds, int *nfds, int timeout_ms,
                   char *err, size_t errlen)
{
    *nfds = 0;
    uint32_t len;
    ctl_type_t type;
    int r = ctl_read (fd, buf, CTL_HEADER, fds, maxfds, nfds, timeout_ms);
    if (r != 0)
        return r > 0 ? 1 : node_errf (err, errlen, "the control connection: %s", strerror (errno));
    if (ctl_header (buf, &len, &type) != 0)
        r = node_errf (err, errlen, "a control frame of unknown type %u or over %d bytes", buf[4], CTL_PAYLOAD_MAX);
    else if ((r = ctl_read (fd, buf + CTL_HEADER, len, fds, maxfds, nfds, timeout_ms)) != 0)
        r = node_errf (err, errlen, "the control connection: %s", r > 0 ? "ended inside a frame" : strerror (errno));
    else
        r = ctl_parse (type, buf + CTL_HEADER, len, f, err, errlen);
    if (r != 0) {
        while (*nfds > 0)
            close (fds[--*nfds]);
    }
    return r;
}
