/*  ctlcaller.c: the caller's side of the control socket (ctlcaller.h):
    connecting, sending the request with this process's 0, 1 and 2, and
    answering the node's file requests with this process's rights. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "ctlcaller.h"
#include "ctlio.h"
#include "errf.h"
#include "outfile.h"

#define S_OUTS_MAX 16                    /* outputs one request may hold */

int node_control_connect (const char *path)
{
    struct sockaddr_un a;
    if (ctl_addr (path, &a) != 0)
        return -1;
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect (fd, (struct sockaddr *) &a, sizeof a) != 0) {
        int e = errno;
        close (fd);
        errno = e;
        return -1;
    }
    return fd;
}



typedef struct {
    node_outfile_t *outs[S_OUTS_MAX];
    int argc;                    /* the command sent: only the paths it names are opened */
    char **argv;
} s_caller_t;

/* 1 if ARG gives PATH: the argument itself, an option's value after '='
   (--output=PATH), or a short option's attached value (-oPATH). */
static int s_gives (const char *arg, const char *path)
{
    const char *eq = strchr (arg, '=');
    return strcmp (arg, path) == 0 || (arg[0] == '-' && eq && strcmp (eq + 1, path) == 0) ||
           (arg[0] == '-' && arg[1] && arg[1] != '-' && strcmp (arg + 2, path) == 0);
}

/* 1 if the command K sent names PATH; with IN_DIR, also a plain name
   (no '/', not hidden) in a directory it names (the files of cdx backup
   -o DIR). Whatever answers at the socket, this process opens or makes
   nothing its own command line did not name. */
static int s_named (const s_caller_t *k, const char *path, int in_dir)
{
    for (int i = 1; i < k->argc; i++)
        if (s_gives (k->argv[i], path))
            return 1;
    const char *slash = strrchr (path, '/');
    if (!in_dir || !slash || slash == path || slash[1] == 0 || slash[1] == '.')
        return 0;
    char dir[PATH_MAX];
    if ((size_t) (slash - path) >= sizeof dir)
        return 0;
    memcpy (dir, path, (size_t) (slash - path));
    dir[slash - path] = 0;
    for (int i = 1; i < k->argc; i++)
        if (s_gives (k->argv[i], dir))
            return 1;
    return 0;
}

/* Answers REQ (a file request) as this process: a REPLY, with the
   descriptor made. 0, or -1 if the answer could not be sent. */
static int s_serve (int fd, s_caller_t *k, const ctl_frame_t *req)
{
    char text[2 * PATH_MAX], err[1024];
    ctl_frame_t rep = {.type = CTL_REPLY, .text = text};
    int out = -1;
    text[0] = 0;
    if ((req->type == CTL_OPEN_IN || req->type == CTL_MKDIR || req->type == CTL_OPEN_OUT) &&
        !s_named (k, req->text, req->type == CTL_OPEN_OUT)) {
        rep.word = EPERM;
        snprintf (text, sizeof text, "the node asked for %s, which this command does not name: refused",
                  req->text);
    } else if (req->type == CTL_OPEN_IN || req->type == CTL_MKDIR) {
        int flags = O_RDONLY | O_CLOEXEC | ((req->word & CTL_IN_NOFOLLOW) ? O_NOFOLLOW : 0);
        if (req->type == CTL_MKDIR && mkdir (req->text, 0700) != 0)
            out = -1;
        else
            out = open (req->text, flags | (req->type == CTL_MKDIR ? O_DIRECTORY | O_NOFOLLOW : 0));
        char *real = out >= 0 ? realpath (req->text, NULL) : NULL;
        rep.word = out >= 0 ? 0 : (uint32_t) errno;
        snprintf (text, sizeof text, "%s", out >= 0 ? (real ? real : req->text) : strerror (errno));
        free (real);
    } else if (req->type == CTL_OPEN_OUT) {
        int slot = 0;
        while (slot < S_OUTS_MAX && k->outs[slot])
            slot++;
        node_outfile_t *o = slot < S_OUTS_MAX ? node_outfile_new (req->text, (mode_t) (req->word & 0777), err,
                                                                  sizeof err)
                                              : NULL;
        if (slot == S_OUTS_MAX)
            snprintf (err, sizeof err, "too many outputs in one request");
        if (o) {
            k->outs[slot] = o;
            out = node_outfile_fd (o);
            rep.id = (uint32_t) slot + 1;
            snprintf (text, sizeof text, "%s", node_outfile_path (o));
        } else {
            rep.word = EEXIST;
            snprintf (text, sizeof text, "%s", err);
        }
    } else {
        int final = req->type == CTL_COMMIT && (req->word & CTL_COMMIT_FINAL);
        uint32_t id = req->word & ~CTL_COMMIT_FINAL;
        node_outfile_t *o = id >= 1 && id <= S_OUTS_MAX ? k->outs[id - 1] : NULL;
        if (!o) {
            rep.word = EINVAL;
            snprintf (text, sizeof text, "no output %u", id);
        } else if (req->type == CTL_COMMIT) {
            if (node_outfile_commit (o, err, sizeof err) != 0)
                rep.word = EIO, snprintf (text, sizeof text, "%s", err);
            else if (final)
                node_outfile_destroy (&k->outs[id - 1]);     /* named; nothing will take it back */
        } else if (node_outfile_retract (o) != 0) {
            rep.word = (uint32_t) errno;
            snprintf (text, sizeof text, "%s", strerror (errno));
        }
    }
    int rc = ctl_send (fd, &rep, out >= 0 ? &out : NULL, out >= 0 ? 1 : 0);
    if (out >= 0 && req->type != CTL_OPEN_OUT)
        close (out);
    return rc;
}

int node_control_forward (int fd, int argc, char **argv, int envc, char **envv, int *code, char *err,
                          size_t errlen)
{
    static uint8_t buf[CTL_FRAME_MAX];
    ctl_frame_t *f = calloc (1, sizeof *f);
    s_caller_t k;
    memset (&k, 0, sizeof k);
    k.argc = argc, k.argv = argv;
    int rc = -1, fds[3] = {0, 1, 2}, null = -1;
    if (!f) {
        close (fd);
        return node_errf (err, errlen, "out of memory");
    }
    if (argc < 1 || argc > CTL_ARGC_MAX || envc > CTL_ENVC_MAX) {
        node_errf (err, errlen, "at most %d arguments go to the node", CTL_ARGC_MAX);
        goto out;
    }
    f->type = CTL_REQUEST, f->version = CTL_VERSION, f->argc = (uint32_t) argc, f->envc = (uint32_t) envc;
    for (int i = 0; i < argc; i++)
        f->argv[i] = argv[i];
    for (int i = 0; i < envc; i++)
        f->envv[i] = envv[i];
    for (int i = 0; i < 3; i++)                   /* a closed one goes as /dev/null */
        if (fcntl (i, F_GETFD) < 0) {
            if (null < 0)
                null = open ("/dev/null", O_RDWR | O_CLOEXEC);
            fds[i] = null;
        }
    int sent = ctl_send (fd, f, fds, 3), e = errno;
    if (sent != 0 && e != EPIPE && e != ECONNRESET) {
        node_errf (err, errlen, "cannot send the request to the node: %s%s", strerror (e),
                   e == E2BIG ? " (the arguments are over 64 KiB)" : "");
        goto out;
    }
    for (;;) {
        int nfds = 0;
        /* A request refused unread (EXIT busy) may have been closed on
           before it was sent: that answer is read all the same. */
        int r = ctl_recv (fd, buf, f, NULL, 0, &nfds, sent != 0 ? 1000 : -1, err, errlen);
        if (sent != 0 && (r != 0 || f->type != CTL_EXIT)) {
            node_errf (err, errlen, "cannot send the request to the node: %s", strerror (e));
            break;
        }
        if (r == 0 && f->type == CTL_EXIT && (f->word & CTL_EXIT_BUSY)) {
            node_errf (err, errlen, "the node is already serving %d requests of this login, as many as one "
                       "login may have at once: wait for one to end (a `cdx wait` without --timeout waits for ever)",
                       NODE_CONTROL_PER_LOGIN);
            break;
        }
        if (r > 0) {
            node_errf (err, errlen, "the node ended the request without an exit code (it stopped, or the "
                       "request was killed): see the node's log");
            break;
        }
        if (r < 0)
            break;
        if (f->type == CTL_EXIT) {
            *code = (int) (f->word & 0xff);
            rc = 0;
            break;
        }
        if (f->type == CTL_REQUEST || f->type == CTL_REPLY) {
            node_errf (err, errlen, "the node sent a frame of type %d", (int) f->type);
            break;
        }
        if (s_serve (fd, &k, f) != 0) {
            node_errf (err, errlen, "cannot answer the node: %s", strerror (errno));
            break;
        }
    }
out:
    for (int i = 0; i < S_OUTS_MAX; i++)
        node_outfile_destroy (&k.outs[i]);
    if (null >= 0)
        close (null);
    free (f);
    close (fd);
    return rc;
}
