/*  prescan.c: hostile msgpack refused before msgpack-c sees it. Every
    decoder of protocol/ (messages, manifests, receipts, agreements)
    unpacks through proto_unpack, which first proves that a frame holds
    exactly one complete msgpack object whose containers claim no more
    elements than there are bytes left, so a 5-byte frame cannot make
    msgpack-c reserve gigabytes, and a frame with trailing bytes is
    refused whole.

    Not for: types, lengths and bounds of values (field.c), which come
    after this.
*/
#include "proto_internal.h"

#include <stdio.h>

static uint64_t s_be (const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Proves that BUF holds exactly one complete msgpack object, and that no
   container claims more elements than bytes remain (each element takes at
   least one byte), which bounds what msgpack-c will allocate by the frame
   size. Returns 0, or -1 with the reason in WHY. */
int proto_prescan (const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    size_t pos = 0;
    uint64_t pending = 1; /* objects still to read; never more than bytes left */
    while (pending > 0) {
        if (pos >= len) goto truncated;
        uint8_t b = buf[pos++];
        size_t left = len - pos;
        uint64_t count = 0; /* container elements */
        uint64_t skip = 0;  /* bytes of payload to step over */
        size_t sz = 0;      /* bytes of length field */
        pending--;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b <= 0x8f) {
            count = 2u * (b & 0x0f);
        } else if (b <= 0x9f) {
            count = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else if (b == 0xc1) {
            snprintf (why, whylen, "byte 0xC1 at %zu is never used in msgpack", pos - 1);
            return -1;
        } else if (b >= 0xc4 && b <= 0xc6) { /* bin 8/16/32 */
            sz = (size_t)1 << (b - 0xc4);
        } else if (b >= 0xc7 && b <= 0xc9) { /* ext 8/16/32: length, type */
            sz = (size_t)1 << (b - 0xc7);
        } else if (b == 0xca || b == 0xcb) { /* float 32/64 */
            skip = b == 0xca ? 4 : 8;
        } else if (b >= 0xcc && b <= 0xd3) { /* uint, int 8..64 */
            skip = (uint64_t)1 << ((b - 0xcc) & 3);
        } else if (b >= 0xd4 && b <= 0xd8) { /* fixext 1..16, plus type */
            skip = 1 + ((uint64_t)1 << (b - 0xd4));
        } else if (b >= 0xd9 && b <= 0xdb) { /* str 8/16/32 */
            sz = (size_t)1 << (b - 0xd9);
        } else { /* 0xdc..0xdf: array 16/32, map 16/32 */
            size_t csz = (b == 0xdc || b == 0xde) ? 2 : 4;
            if (csz > left) goto truncated;
            count = s_be (buf + pos, csz);
            if (b >= 0xde) count *= 2;
            pos += csz;
            left -= csz;
        }
        if (sz) {
            if (sz > left) goto truncated;
            skip = s_be (buf + pos, sz);
            pos += sz;
            left -= sz;
            if (b >= 0xc7 && b <= 0xc9) skip += 1; /* the ext type byte */
        }
        if (skip > left) goto truncated;
        pos += (size_t)skip;
        left -= (size_t)skip;
        if (count > left || pending > left - count) {
            snprintf (why, whylen, "container at byte %zu claims more elements than bytes left",
                      pos - 1);
            return -1;
        }
        pending += count;
    }
    if (pos != len) {
        snprintf (why, whylen, "%zu trailing bytes after the msgpack object", len - pos);
        return -1;
    }
    return 0;

truncated:
    snprintf (why, whylen, "truncated msgpack (%zu bytes)", len);
    return -1;
}

/* Unpacks BUF, which must hold exactly one msgpack object, into UP (which
   the caller initialised and destroys). Returns 0, or -1 with WHY. */
int proto_unpack (const uint8_t *buf, size_t len, msgpack_unpacked *up, char *why, size_t whylen)
{
    if (len == 0 || !buf) {
        snprintf (why, whylen, "empty frame");
        return -1;
    }
    if (proto_prescan (buf, len, why, whylen) != 0) return -1;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next (up, (const char *)buf, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf (why, whylen, "msgpack-c refused the frame (%d)", (int)rc);
        return -1;
    }
    return 0;
}
