/*  ctlcaller: the caller's side of the running node's control socket
    (control.h, docs/CONTROL.md): a command sent with this process's
    stdin, stdout and stderr, and the files the node asks for opened,
    made and named by this process, with its own rights (outfile.h).

    Not for: the node's side (control.c).
*/
#ifndef CTLCALLER_H_INCLUDED
#define CTLCALLER_H_INCLUDED

/* Connects to the socket at PATH: a descriptor, or -1 with errno
   (ENOENT, ECONNREFUSED: no node answers; EACCES: not allowed). */
int node_control_connect (const char *path);

/* Sends ARGV (the verb first) and ENVV with this process's 0, 1 and 2 on
   FD, serves the node's file requests as this process, and waits for the
   exit code, into *CODE. Closes FD. 0, or -1 with ERR (the node ended
   the request without an exit code). */
int node_control_forward (int fd, int argc, char **argv, int envc, char **envv, int *code, char *err,
                          size_t errlen);

#endif
