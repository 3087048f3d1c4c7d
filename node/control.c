/*  control.c: the control socket (control.h, docs/CONTROL.md): its place,
    the request server and its children, descriptor passing, and the
    child's side of the caller's files (the caller's own side is
    ctlcaller.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "ctlframe.h"
#include "ctlio.h"
#include "errf.h"
#include "outfile.h"


struct node_control {
    int fd;                     /* the listening socket */
    char path[PATH_MAX];
    dev_t dev;                  /* the socket file bound, removed only if still it */
    ino_t ino;
    pid_t server;               /* the request server, 0 if not started */
};

struct node_control_conn {
    int fd;
    uint8_t buf[CTL_FRAME_MAX];
};

/* ---- the place --------------------------------------------------------- */

const char *node_control_service (const char *home, char *buf, size_t cap)
{
    size_t n = strlen (NODE_CONTROL_STATE_DIR);
    if (!home || strncmp (home, NODE_CONTROL_STATE_DIR "/", n + 1) != 0)
        return NULL;
    const char *name = home + n + 1;
    size_t len = strcspn (name, "/");
    if (len == 0 || len >= cap || (name[len] == '/' && name[len + 1] != 0) || strcmp (name, ".") == 0 ||
        strcmp (name, "..") == 0)
        return NULL;
    memcpy (buf, name, len);
    buf[len] = 0;
    return buf;
}

int node_control_path (const char *home, const char *socket, char *buf, size_t cap, char *err, size_t errlen)
{
    char name[256];
    int w;
    if (socket && *socket)
        w = snprintf (buf, cap, "%s", socket);
    else if (!home || !*home)
        return node_errf (err, errlen, "no home directory given: use --home DIR or set CDX_HOME");
    else if (node_control_service (home, name, sizeof name))
        w = snprintf (buf, cap, "%s/%s.sock", NODE_CONTROL_RUN_DIR, name);
    else
        w = snprintf (buf, cap, "%s%scontrol.sock", home, home[strlen (home) - 1] == '/' ? "" : "/");
    if (w < 0 || (size_t) w >= cap || w > CTL_SUN_MAX)
        return node_errf (err, errlen, "the control socket's path %s is %d bytes, more than the %d a Unix "
                          "socket allows: give a shorter one with --socket PATH (before the command, on "
                          "cdx run and on every command)", w >= 0 && (size_t) w < cap ? buf : "", w, CTL_SUN_MAX);
    return 0;
}

/* ---- listening ------------------------------------------------------------ */

node_control_t *node_control_open (const char *path, const char *group, char *err, size_t errlen)
{
    struct sockaddr_un a;
    if (ctl_addr (path, &a) != 0) {
        node_errf (err, errlen, "the control socket's path %s is longer than %d bytes: use --socket PATH", path,
                   CTL_SUN_MAX);
        return NULL;
    }
    gid_t gid = getegid ();
    if (group && *group) {
        struct group g, *res = NULL;
        char gbuf[16384];
        if (getgrnam_r (group, &g, gbuf, sizeof gbuf, &res) != 0 || !res) {
            node_errf (err, errlen, "--socket-group %s: no such group (groupadd %s, or name another)", group, group);
            return NULL;
        }
        gid = g.gr_gid;
    }
    int live = node_control_connect (path);
    if (live >= 0) {
        close (live);
        node_errf (err, errlen, "a node already runs here: something answers at %s (stop it first)", path);
        return NULL;
    }
    struct stat st;
    if (errno == ECONNREFUSED && lstat (path, &st) == 0 && S_ISSOCK (st.st_mode))
        unlink (path);                                    /* stale: nobody answers */
    else if (errno != ENOENT && lstat (path, &st) == 0) {
        node_errf (err, errlen, "%s exists and is not a control socket nobody answers at (%s): remove it, or "
                   "give another with --socket PATH", path, strerror (errno));
        return NULL;
    }
    node_control_t *c = calloc (1, sizeof *c);
    if (!c) {
        node_errf (err, errlen, "out of memory");
        return NULL;
    }
    snprintf (c->path, sizeof c->path, "%s", path);
    c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask (0177);
    int b = c->fd >= 0 ? bind (c->fd, (struct sockaddr *) &a, sizeof a) : -1;
    umask (old);
    if (b != 0 || listen (c->fd, 128) != 0) {
        node_errf (err, errlen, "cannot listen on %s: %s", path, strerror (errno));
        goto fail;
    }
    if (lstat (path, &st) != 0 || chown (path, geteuid (), gid) != 0 || chmod (path, 0660) != 0) {
        node_errf (err, errlen, "cannot give %s to group %s, mode 0660: %s", path, group ? group : "of the node",
                   strerror (errno));
        unlink (path);
        goto fail;
    }
    c->dev = st.st_dev, c->ino = st.st_ino;
    return c;
fail:
    if (c->fd >= 0)
        close (c->fd);
    free (c);
    return NULL;
}

void node_control_close (node_control_t **c_p)
{
    if (!c_p || !*c_p)
        return;
    node_control_t *c = *c_p;
    if (c->server > 0) {
        kill (c->server, SIGTERM);
        while (waitpid (c->server, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    struct stat st;
    if (lstat (c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
        unlink (c->path);
    if (c->fd >= 0)
        close (c->fd);
    free (c);
    *c_p = NULL;
}

/* ---- a request, in its child ------------------------------------------------ */

/* The caller's login: its name in the password database, or "uidN". */
static void s_login (uid_t uid, char *buf, size_t cap)
{
    struct passwd pw, *res = NULL;
    char pbuf[16384];
    if (getpwuid_r (uid, &pw, pbuf, sizeof pbuf, &res) == 0 && res && res->pw_name && *res->pw_name)
        snprintf (buf, cap, "%s", res->pw_name);
    else
        snprintf (buf, cap, "uid%lu", (unsigned long) uid);
}

/* Serves the request on FD: never returns. */
static void s_child (int fd, node_control_fn *fn, void *arg)
{
    static node_control_conn_t conn;
    prctl (PR_SET_NAME, "cdx-request");          /* what ps and pgrep show */
    signal (SIGTERM, SIG_DFL);
    signal (SIGCHLD, SIG_DFL);
    signal (SIGPIPE, SIG_IGN);
    conn.fd = fd;
    struct ucred cr;
    socklen_t crlen = sizeof cr;
    if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0)
        _exit (1);
    ctl_frame_t *f = calloc (1, sizeof *f);
    int fds[3], nfds = 0;
    char err[256], login[80];
    if (!f)
        _exit (1);
    if (ctl_recv (fd, conn.buf, f, fds, 3, &nfds, NODE_CONTROL_REQUEST_MS, err, sizeof err) != 0 ||
        f->type != CTL_REQUEST || nfds != 3) {
        if (nfds > 2) {
            char line[400];
            int n = snprintf (line, sizeof line, "cdx: the node refused the request: %s\n",
                              f->type == CTL_REQUEST && nfds != 3 ? "it must bring 3 descriptors" : err);
            ssize_t w = write (fds[2], line, (size_t) n);
            (void) w;
        }
        ctl_frame_t ex = {.type = CTL_EXIT, .word = 1};
        ctl_send (fd, &ex, NULL, 0);
        _exit (1);
    }
    /* Copies: the handler's argv outlives the buffer, which later frames reuse. */
    char **argv = calloc (f->argc + 1, sizeof *argv), **envv = calloc (f->envc + 1, sizeof *envv);
    for (uint32_t i = 0; argv && i < f->argc; i++)
        argv[i] = strdup (f->argv[i]);
    for (uint32_t i = 0; envv && i < f->envc; i++)
        envv[i] = strdup (f->envv[i]);
    for (int i = 0; i < 3; i++)
        if (dup2 (fds[i], i) < 0)
            _exit (1);
    for (int i = 0; i < 3; i++)
        if (fds[i] > 2)
            close (fds[i]);
    if (!argv || !envv)
        _exit (1);
    s_login (cr.uid, login, sizeof login);
    node_control_call_t call = {cr.uid, cr.gid, cr.pid, login, (int) f->argc, argv, (int) f->envc, envv, &conn};
    free (f);
    int rc = fn (&call, arg);
    fflush (stdout);
    fflush (stderr);
    ctl_frame_t ex = {.type = CTL_EXIT, .word = (uint32_t) rc};
    ctl_send (fd, &ex, NULL, 0);
    _exit (0);
}

/* ---- the request server ---------------------------------------------------- */

static int s_chld[2] = {-1, -1};

static void s_on_chld (int sig)
{
    (void) sig;
    int saved = errno;
    ssize_t w = write (s_chld[1], "", 1);
    (void) w;
    errno = saved;
}

typedef struct {
    pid_t pid;
    int fd;                      /* our copy of its connection, -1 once hung up */
    uid_t uid;                   /* the caller's */
} s_req_t;

typedef struct {
    node_control_t *c;
    node_control_fn *fn;
    node_control_warm_fn *warm;
    void *arg;
    s_req_t reqs[NODE_CONTROL_CHILDREN];
    int nreqs;
    pid_t spare;                 /* a child forked ahead, warmed, waiting for a connection; 0: none */
    int spare_fd;                /* our end of its socketpair */
} s_server_t;

/* In a child of the server: let go of what is the server's (the listening
   socket, the other requests' connections), so that only the request's
   own process holds its connection. */
static void s_child_close (s_server_t *sv)
{
    close (sv->c->fd);
    close (s_chld[0]);
    close (s_chld[1]);
    for (int i = 0; i < sv->nreqs; i++)
        if (sv->reqs[i].fd >= 0)
            close (sv->reqs[i].fd);
    if (sv->spare_fd >= 0)
        close (sv->spare_fd);
}

/* Forks the spare: it warms up (the front end's WARM: the code and the
   libraries a request will use, faulted in ahead), then waits for the
   connection the server hands it, and serves it. The fork and the warming
   are then off the path of the next request. */
static void s_spare (s_server_t *sv)
{
    int sp[2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
        return;
    pid_t pid = fork ();
    if (pid == 0) {
        close (sp[0]);
        s_child_close (sv);
        prctl (PR_SET_NAME, "cdx-spare");
        signal (SIGTERM, SIG_DFL);
        char login[80];
        s_login (0, login, sizeof login);          /* the password database's modules, loaded */
        if (sv->warm)
            sv->warm (sv->arg);
        uint8_t byte;
        int fds[1], nfds = 0;
        if (ctl_read (sp[1], &byte, 1, fds, 1, &nfds, -1) != 0 || nfds != 1)
            _exit (0);                            /* the server is gone */
        close (sp[1]);
        s_child (fds[0], sv->fn, sv->arg);
    }
    close (sp[1]);
    if (pid < 0) {
        close (sp[0]);
        return;
    }
    sv->spare = pid;
    sv->spare_fd = sp[0];
}

/* Serves the connection FD of login UID: handed to the spare, or a child
   forked for it; refused at once, unread, if UID has its share of the
   children already (so one login's flood leaves the others room). Root
   and the node's own login, who may act on the home directly anyway,
   have no share of their own. */
static void s_serve_conn (s_server_t *sv, int fd, uid_t uid)
{
    int held = 0;
    for (int i = 0; i < sv->nreqs; i++)
        held += sv->reqs[i].uid == uid;
    if (held >= NODE_CONTROL_PER_LOGIN && uid != 0 && uid != geteuid ()) {
        ctl_frame_t busy = {.type = CTL_EXIT, .word = CTL_EXIT_BUSY | 1};
        ctl_send (fd, &busy, NULL, 0);          /* 9 bytes into an empty socket buffer */
        close (fd);
        return;
    }
    pid_t pid = 0;
    if (sv->spare > 0) {
        uint8_t byte = 1;
        struct iovec iov = {&byte, 1};
        union {
            struct cmsghdr h;
            char space[CMSG_SPACE (sizeof (int))];
        } u;
        memset (&u, 0, sizeof u);
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space, .msg_controllen = sizeof u.space};
        struct cmsghdr *h = CMSG_FIRSTHDR (&m);
        h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN (sizeof (int));
        memcpy (CMSG_DATA (h), &fd, sizeof fd);
        if (sendmsg (sv->spare_fd, &m, MSG_NOSIGNAL) == 1)
            pid = sv->spare;
        close (sv->spare_fd);
        sv->spare_fd = -1;
        sv->spare = 0;
    }
    if (pid == 0) {
        pid = fork ();
        if (pid == 0) {
            s_child_close (sv);
            s_child (fd, sv->fn, sv->arg);
        }
    }
    if (pid < 0) {
        close (fd);
        return;
    }
    sv->reqs[sv->nreqs++] = (s_req_t) {pid, fd, uid};
}

static sigset_t s_server_signals;       /* the node's signal mask before the fork */

/* The request server's loop: never returns. */
static void s_server (s_server_t *sv, pid_t node)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != node)
        _exit (0);
    prctl (PR_SET_NAME, "cdx-control");
    signal (SIGTERM, SIG_DFL);
    signal (SIGINT, SIG_IGN);                 /* a Ctrl-C to the node's terminal is the node's */
    signal (SIGHUP, SIG_IGN);
    signal (SIGPIPE, SIG_IGN);
    sigprocmask (SIG_SETMASK, &s_server_signals, NULL);   /* blocked across the fork */
    if (pipe2 (s_chld, O_CLOEXEC | O_NONBLOCK) != 0)
        _exit (1);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_chld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction (SIGCHLD, &sa, NULL);
    for (;;) {
        pid_t pid;
        int status;
        while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
            if (pid == sv->spare) {
                close (sv->spare_fd);
                sv->spare = 0, sv->spare_fd = -1;
            }
            for (int i = 0; i < sv->nreqs; i++)
                if (sv->reqs[i].pid == pid) {
                    if (sv->reqs[i].fd >= 0)
                        close (sv->reqs[i].fd);
                    sv->reqs[i] = sv->reqs[--sv->nreqs];
                    break;
                }
        }
        if (sv->spare == 0 && sv->nreqs < NODE_CONTROL_CHILDREN - 1)
            s_spare (sv);
        struct pollfd p[NODE_CONTROL_CHILDREN + 2];
        int map[NODE_CONTROL_CHILDREN + 2], np = 0;
        p[np++] = (struct pollfd) {s_chld[0], POLLIN, 0};
        if (sv->nreqs < NODE_CONTROL_CHILDREN)
            p[np++] = (struct pollfd) {sv->c->fd, POLLIN, 0};
        int first = np;
        for (int i = 0; i < sv->nreqs; i++)
            if (sv->reqs[i].fd >= 0) {
                map[np] = i;
                p[np++] = (struct pollfd) {sv->reqs[i].fd, POLLRDHUP, 0};
            }
        if (poll (p, (nfds_t) np, 5000) < 0 && errno != EINTR)
            _exit (1);
        if (getppid () != node)
            _exit (0);
        if (p[0].revents) {
            char drain[64];
            while (read (s_chld[0], drain, sizeof drain) > 0)
                ;
        }
        for (int k = first; k < np; k++)
            if (p[k].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
                s_req_t *r = &sv->reqs[map[k]];
                kill (r->pid, SIGTERM);       /* the caller hung up: its request ends */
                close (r->fd);
                r->fd = -1;
            }
        if (first == 2 && (p[1].revents & POLLIN)) {
            int fd = accept4 (sv->c->fd, NULL, NULL, SOCK_CLOEXEC);
            struct ucred cr;
            socklen_t crlen = sizeof cr;
            if (fd >= 0 && getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0)
                close (fd), fd = -1;
            if (fd >= 0)
                s_serve_conn (sv, fd, cr.uid);
        }
    }
}

int node_control_start (node_control_t *c, node_control_fn *fn, node_control_warm_fn *warm, void *arg, char *err,
                        size_t errlen)
{
    static s_server_t sv;
    sv = (s_server_t) {.c = c, .fn = fn, .warm = warm, .arg = arg, .spare_fd = -1};
    pid_t node = getpid ();
    fflush (NULL);
    /* The node's stop signals wait, in the child, until it has put back
       their default actions (s_server): a SIGTERM sent at once (a node
       that fails to open) must end it, not run the node's handler. */
    sigset_t stops, was;
    sigemptyset (&stops);
    sigaddset (&stops, SIGTERM);
    sigaddset (&stops, SIGINT);
    sigaddset (&stops, SIGHUP);
    sigprocmask (SIG_BLOCK, &stops, &was);
    pid_t pid = fork ();
    if (pid == 0) {
        s_server_signals = was;
        s_server (&sv, node);
    }
    int e = errno;
    sigprocmask (SIG_SETMASK, &was, NULL);
    if (pid < 0)
        return node_errf (err, errlen, "cannot start the request server: %s", strerror (e));
    c->server = pid;
    return 0;
}

/* ---- the caller's files, asked for from a request --------------------------- */

/* Sends REQ and waits for the REPLY, with at most one descriptor (*FD,
   -1 if none). 0, or -1 with errno and ERR. */
static int s_ask (node_control_conn_t *c, const ctl_frame_t *req, ctl_frame_t *rep, int *fd, char *err,
                  size_t errlen)
{
    int fds[1], nfds = 0;
    if (fd)
        *fd = -1;
    if (ctl_send (c->fd, req, NULL, 0) != 0) {
        int e = errno;
        node_errf (err, errlen, "the caller is gone: %s", strerror (e));
        errno = e;
        return -1;
    }
    int r = ctl_recv (c->fd, c->buf, rep, fds, 1, &nfds, NODE_CONTROL_REPLY_MS, err, errlen);
    if (r != 0 || rep->type != CTL_REPLY) {
        while (nfds > 0)
            close (fds[--nfds]);
        if (r == 0)
            node_errf (err, errlen, "the caller answered a file request with frame type %d", (int) rep->type);
        else if (r > 0)
            node_errf (err, errlen, "the caller is gone");
        errno = EPROTO;
        return -1;
    }
    if (rep->word != 0) {
        while (nfds > 0)
            close (fds[--nfds]);
        node_errf (err, errlen, "%s", rep->text);
        errno = (int) rep->word;
        return -1;
    }
    if (fd && nfds == 1)
        *fd = fds[0];
    else if (nfds == 1)
        close (fds[0]);
    if (fd && *fd < 0) {
        node_errf (err, errlen, "the caller answered without a descriptor");
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int node_control_open_in (node_control_conn_t *c, const char *path, unsigned flags, char *abs, size_t abscap,
                          char *err, size_t errlen)
{
    ctl_frame_t req = {.type = CTL_OPEN_IN, .word = flags, .text = path}, rep;
    int fd;
    if (s_ask (c, &req, &rep, &fd, err, errlen) != 0)
        return -1;
    snprintf (abs, abscap, "%s", rep.text);
    return fd;
}

int node_control_open_out (node_control_conn_t *c, const char *path, unsigned mode, uint32_t *id, char *abs,
                           size_t abscap, char *err, size_t errlen)
{
    ctl_frame_t req = {.type = CTL_OPEN_OUT, .word = mode, .text = path}, rep;
    int fd;
    if (s_ask (c, &req, &rep, &fd, err, errlen) != 0)
        return -1;
    *id = rep.id;
    snprintf (abs, abscap, "%s", rep.text);
    return fd;
}

int node_control_commit (node_control_conn_t *c, uint32_t id, char *err, size_t errlen)
{
    ctl_frame_t req = {.type = CTL_COMMIT, .word = id}, rep;
    return s_ask (c, &req, &rep, NULL, err, errlen);
}

int node_control_commit_final (node_control_conn_t *c, uint32_t id, char *err, size_t errlen)
{
    return node_control_commit (c, id | CTL_COMMIT_FINAL, err, errlen);
}

int node_control_retract (node_control_conn_t *c, uint32_t id)
{
    ctl_frame_t req = {.type = CTL_RETRACT, .word = id}, rep;
    char err[256];
    return s_ask (c, &req, &rep, NULL, err, sizeof err);
}

int node_control_mkdir (node_control_conn_t *c, const char *path, char *abs, size_t abscap, char *err,
                        size_t errlen)
{
    ctl_frame_t req = {.type = CTL_MKDIR, .text = path}, rep;
    int fd;
    if (s_ask (c, &req, &rep, &fd, err, errlen) != 0)
        return -1;
    snprintf (abs, abscap, "%s", rep.text);
    return fd;
}
