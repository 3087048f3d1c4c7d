/*  ctlframe: the frames of the control socket (docs/CONTROL.md), as
    bytes: encoded and parsed, nothing else.

    A frame is a 4-byte big-endian payload length, a 1-byte type and the
    payload, at most CTL_PAYLOAD_MAX bytes. The caller's first frame is a
    REQUEST (a version word, the arguments and the environment passed);
    the node then asks for files (OPEN_IN, OPEN_OUT, MKDIR), commits or
    retracts an output (COMMIT, RETRACT) and ends with EXIT; the caller
    answers each request but EXIT with a REPLY. Descriptors travel beside
    the bytes (SCM_RIGHTS: control.c).

    Any local login can connect, so every parser here takes outside bytes:
    each length is checked before it is used, each string must end inside
    its frame, and nothing is asserted. Not for: sockets and descriptors
    (control.c), what a request means (tools/).
*/
#ifndef CTLFRAME_H_INCLUDED
#define CTLFRAME_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION 1
#define CTL_HEADER 5                 /* length (4) and type (1) */
#define CTL_PAYLOAD_MAX 65536
#define CTL_ARGC_MAX 256
#define CTL_ENVC_MAX 16
/* In COMMIT's id: the output is final, no RETRACT will follow, and the
   caller lets go of it at once (its slot and descriptor are free again),
   so one request may write any number of files one after another. */
#define CTL_COMMIT_FINAL 0x80000000u
/* In EXIT's word: the request server refused the request unread, since
   the caller's login has NODE_CONTROL_PER_LOGIN under way (the low byte
   is the exit code, 1). */
#define CTL_EXIT_BUSY 0x80000000u

typedef enum {
    CTL_REQUEST = 1,     /* caller -> node: version, argc, envc, strings; fds 0, 1, 2 */
    CTL_REPLY = 2,       /* caller -> node: status, id, text; a descriptor if status is 0 */
    CTL_OPEN_IN = 3,     /* node -> caller: flags, path */
    CTL_OPEN_OUT = 4,    /* node -> caller: mode, path */
    CTL_COMMIT = 5,      /* node -> caller: id (| CTL_COMMIT_FINAL: no RETRACT follows) */
    CTL_RETRACT = 6,     /* node -> caller: id */
    CTL_MKDIR = 7,       /* node -> caller: path */
    CTL_EXIT = 8         /* node -> caller: the exit code */
} ctl_type_t;

#define CTL_IN_NOFOLLOW 1u  /* OPEN_IN flag: refuse a symbolic link */

/* A parsed frame; strings point into the payload parsed (which must
   outlive it). */
typedef struct {
    ctl_type_t type;
    uint32_t version;                /* REQUEST */
    uint32_t argc, envc;             /* REQUEST */
    const char *argv[CTL_ARGC_MAX];  /* REQUEST: the arguments, the verb first */
    const char *envv[CTL_ENVC_MAX];  /* REQUEST: NAME=VALUE */
    uint32_t word;                   /* REPLY: status (0 or an errno); OPEN_IN: flags; OPEN_OUT:
                                        mode; COMMIT, RETRACT: id; EXIT: code */
    uint32_t id;                     /* REPLY: the output's id (OPEN_OUT) */
    const char *text;                /* REPLY: a path or a reason; OPEN_*, MKDIR: the path */
} ctl_frame_t;

/* The payload length and type of the header HDR (CTL_HEADER bytes). 0, or
   -1 if the type is unknown or the length over CTL_PAYLOAD_MAX. */
int ctl_header (const uint8_t hdr[CTL_HEADER], uint32_t *len, ctl_type_t *type);

/* Parses the payload of a frame of TYPE. 0, or -1 with the reason in ERR:
   a short field, a string not ended, too many arguments, trailing bytes,
   an unknown version (REQUEST). */
int ctl_parse (ctl_type_t type, const uint8_t *p, size_t len, ctl_frame_t *f, char *err, size_t errlen);

/* Encodes F (header and payload) into BUF (CAP bytes). The length, or 0
   if it does not fit CTL_PAYLOAD_MAX or CAP, or breaks a limit. */
size_t ctl_encode (const ctl_frame_t *f, uint8_t *buf, size_t cap);

#endif
