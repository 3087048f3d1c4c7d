/*  control: the running node's control socket, a Unix stream socket
    through which every command run by any login reaches the node
    (docs/CONTROL.md).

    The socket's place follows one rule (node_control_path). cdx run
    binds it (node_control_open) and forks the request server
    (node_control_start) before it opens the store or makes a ZeroMQ
    context, so that neither crosses a fork. The request server is one
    thread: it accepts, and hands each connection to a child of its own
    (at most NODE_CONTROL_CHILDREN at once), forked and warmed ahead of
    it. The child learns the caller's uid from
    the kernel (SO_PEERCRED) and its login from the password database,
    takes the caller's stdin, stdout and stderr (SCM_RIGHTS) as its own 0,
    1 and 2, and calls the handler the front end gave, which runs the verb
    as that login and returns its exit code, sent back to the caller. A
    caller that hangs up ends its request (the child is killed). The server
    dies with the node (PR_SET_PDEATHSIG), and node_control_close stops it
    and removes the socket. ps shows the request server as cdx-control,
    its waiting child as cdx-spare, and each request as cdx-request.

    Files the caller names cross as descriptors opened by the caller with
    its own rights: the handler asks for them on the same connection
    (node_control_open_in, _open_out, _commit, _retract, _mkdir), and the
    caller (node_control_forward) opens, creates and links them. The node
    never opens a path a caller named.

    Not for: what a verb does (tools/ hands the handler in: this layer
    never calls up), the frames' bytes (ctlframe.h).
*/
#ifndef CONTROL_H_INCLUDED
#define CONTROL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctlcaller.h"

#define NODE_CONTROL_CHILDREN 64        /* requests served at once; more wait to be accepted */
#define NODE_CONTROL_PER_LOGIN 16       /* of them, one login's; more are refused (EXIT busy) */
#define NODE_CONTROL_REQUEST_MS 10000   /* a caller sends its request within this */
#define NODE_CONTROL_REPLY_MS 60000     /* ... and answers a file request within this */
#define NODE_CONTROL_RUN_DIR "/run/cdx" /* sockets of the homes under NODE_CONTROL_STATE_DIR */
#define NODE_CONTROL_STATE_DIR "/var/lib/cdx"

/* The socket of the node at HOME: SOCKET if given (--socket); else, for a
   home directly under /var/lib/cdx/ (a service's StateDirectory,
   /var/lib/cdx/NAME), /run/cdx/NAME.sock; else HOME/control.sock. Into
   BUF. 0, or -1 with ERR (no home, or a path too long for a Unix socket,
   naming --socket). */
int node_control_path (const char *home, const char *socket, char *buf, size_t cap, char *err, size_t errlen);

/* The instance name of a service home (/var/lib/cdx/NAME), for messages;
   NULL if HOME is not one. */
const char *node_control_service (const char *home, char *buf, size_t cap);

typedef struct node_control node_control_t;

/* Binds and listens on PATH, mode 0660, owned by this process's uid and
   its gid or GROUP (NULL: none). A stale socket (nobody answers) is
   replaced; one that answers is refused: a node already runs. NULL on
   failure with ERR. */
node_control_t *node_control_open (const char *path, const char *group, char *err, size_t errlen);

/* The connection of a request to its caller (the child's). */
typedef struct node_control_conn node_control_conn_t;

typedef struct {
    uid_t uid;                   /* the caller, from SO_PEERCRED */
    gid_t gid;
    pid_t pid;
    const char *login;           /* its login, or "uidN" if the password database has none */
    int argc;                    /* the verb and its arguments */
    char **argv;                 /* NULL-terminated */
    int envc;                    /* NAME=VALUE the caller passed (e.g. COLUMNS) */
    char **envv;
    node_control_conn_t *conn;
} node_control_call_t;

/* Runs CALL's verb with 0, 1 and 2 already the caller's; its exit code. */
typedef int (node_control_fn) (const node_control_call_t *call, void *arg);

/* Prepares a child for the requests to come (e.g. a node opened and
   closed again, so that the code a request runs is already in memory);
   it must leave nothing open. */
typedef void (node_control_warm_fn) (void *arg);

/* Forks the request server, which calls FN (with ARG) in a child per
   request. The server keeps one child forked ahead, warmed by WARM (may
   be NULL), waiting for the next connection. 0, or -1 with ERR. */
int node_control_start (node_control_t *c, node_control_fn *fn, node_control_warm_fn *warm, void *arg, char *err,
                        size_t errlen);

/* Stops the request server (if started) and waits for it, removes the
   socket (if it is still the one bound), frees C; *C_P is set to NULL. */
void node_control_close (node_control_t **c_p);

/* ---- in a request: the caller's files ----------------------------------

   Each asks the caller and waits for the answer. -1 with errno set and a
   reason in ERR (the caller's words: "No such file or directory", or
   the output's refusal) on failure. */

/* PATH opened for reading by the caller (FLAGS: CTL_IN_NOFOLLOW). The
   descriptor; ABS receives the path made absolute (for the record). */
int node_control_open_in (node_control_conn_t *c, const char *path, unsigned flags, char *abs, size_t abscap,
                          char *err, size_t errlen);
/* A new output at PATH made by the caller (an unnamed file in PATH's
   directory, MODE, PATH refused if it exists): the descriptor to write,
   its *ID for commit and retract, ABS its absolute path. */
int node_control_open_out (node_control_conn_t *c, const char *path, unsigned mode, uint32_t *id, char *abs,
                           size_t abscap, char *err, size_t errlen);
/* The caller names output ID at its path (never over anything). 0 or -1. */
int node_control_commit (node_control_conn_t *c, uint32_t id, char *err, size_t errlen);
/* The same for an output no retract will follow (the caller lets go of it). */
int node_control_commit_final (node_control_conn_t *c, uint32_t id, char *err, size_t errlen);
/* The caller removes output ID again (if it still is what was named). */
int node_control_retract (node_control_conn_t *c, uint32_t id);
/* A new directory PATH (0700) made by the caller: a descriptor on it. */
int node_control_mkdir (node_control_conn_t *c, const char *path, char *abs, size_t abscap, char *err,
                        size_t errlen);

#endif
