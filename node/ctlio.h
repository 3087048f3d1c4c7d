/*  ctlio: the control socket's frames (ctlframe.h) with the descriptors
    that travel beside them (SCM_RIGHTS), on a stream socket; private to
    the control module (control.c, ctlcaller.c).

    Not for: the frames' bytes (ctlframe.c), what the frames ask.
*/
#ifndef CTLIO_H_INCLUDED
#define CTLIO_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "ctlframe.h"

#define CTL_SUN_MAX ((int) sizeof (((struct sockaddr_un *) 0)->sun_path) - 1)
#define CTL_FRAME_MAX (CTL_HEADER + CTL_PAYLOAD_MAX)

/* PATH as a Unix socket's address. 0, or -1 (ENAMETOOLONG). */
int ctl_addr (const char *path, struct sockaddr_un *a);
/* Sends F with NFDS descriptors FDS (at most 4). 0, or -1 (errno). */
int ctl_send (int fd, const ctl_frame_t *f, const int *fds, int nfds);
/* Reads LEN bytes into P, the descriptors that come with them into FDS
   (at most MAXFDS; more are closed), their count added to *NFDS; waits at
   most TIMEOUT_MS for each piece (-1: for ever). 0, 1 at the end of the
   stream before any byte, or -1 (errno). */
int ctl_read (int fd, uint8_t *p, size_t len, int *fds, int maxfds, int *nfds, int timeout_ms);
/* Receives one frame into BUF (CTL_FRAME_MAX bytes), parsed into F, with
   its descriptors. 0, 1 at the end of the stream, or -1 with ERR (the
   descriptors received then closed). */
int ctl_recv (int fd, uint8_t *buf, ctl_frame_t *f, int *fds, int maxfds, int *nfds, int timeout_ms, char *err,
              size_t errlen);

#endif
