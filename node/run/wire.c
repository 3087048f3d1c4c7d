/*  wire.c: one message out on a socket, and the ERROR answers to a peer.

    Not for: deciding what to send (the jobs), or receiving (dispatch.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "home.h"
#include "run_internal.h"

/* Encodes M and sends it on SOCK, after ROUTING (if any) and before PAYLOAD
   (if any; the zmq message is consumed). 0 or -1 (peer not reachable). */
int wire_send (run_t *r, void *sock, const uint8_t *routing, size_t routing_len,
                   const proto_msg_t *m, zmq_msg_t *payload)
{
    uint8_t buf[PROTO_HEADER_MAX];
    size_t len;
    if (proto_encode (m, buf, sizeof buf, &len) != 0) {
        node_log (r->n, "error", "cannot encode %s: %s", proto_name (m->id), proto_error ());
        if (payload)
            zmq_msg_close (payload);
        return -1;
    }
    if (routing && zmq_send (sock, routing, routing_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        goto fail;
    if (zmq_send (sock, buf, len, ZMQ_DONTWAIT | (payload ? ZMQ_SNDMORE : 0)) < 0)
        goto fail;
    if (payload && zmq_msg_send (payload, sock, ZMQ_DONTWAIT) < 0)
        goto fail;
    return 0;
fail:
    if (payload)
        zmq_msg_close (payload);
    return -1;
}

int wire_error (run_t *r, const origin_t *o, proto_err_t code, const uint8_t *dsid,
                          const char *fmt, ...)
{
    proto_msg_t m;
    memset (&m, 0, sizeof m);
    m.id = PROTO_ERROR;
    m.code = code;
    if (dsid)
        memcpy (m.dataset, dsid, sizeof m.dataset);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (m.reason, sizeof m.reason, fmt, ap);
    va_end (ap);
    return wire_send (r, r->router, o->routing, o->routing_len, &m, NULL);
}
