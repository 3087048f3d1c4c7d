/*  field.c: one field of a message or document, checked, packed and
    taken, for the one encoder and the one decoder of proto.c and
    document.c: both call the same checks, so the encoder cannot emit
    anything the decoder would refuse. A field descriptor (field_t,
    proto_internal.h) says where the value lives, its msgpack type and its
    bounds; the text rule of a str is vocab.c's.

    Not for: which fields make a message or document (messages.def,
    document.c), or whole frames (proto.c, prescan.c).
*/
#include "proto_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- checks shared by encoder and decoder ------------------------------ */

static int s_check_uint (const field_t *f, uint64_t v, char *why, size_t whylen)
{
    if (v < f->min) {
        snprintf (why, whylen, "value %" PRIu64 " is below %" PRIu64, v, f->min);
        return -1;
    }
    if (v > f->max) {
        snprintf (why, whylen, "value %" PRIu64 " exceeds %" PRIu64, v, f->max);
        return -1;
    }
    return 0;
}

static int s_check_len (const field_t *f, const char *kind, size_t n, char *why, size_t whylen)
{
    if (f->min == f->max && n != f->min) {
        snprintf (why, whylen, "%s of %zu bytes, expected exactly %" PRIu64, kind, n, f->min);
        return -1;
    }
    if (n < f->min) {
        snprintf (why, whylen, "%s of %zu bytes is shorter than %" PRIu64, kind, n, f->min);
        return -1;
    }
    if (n > f->max) {
        snprintf (why, whylen, "%s of %zu bytes exceeds %" PRIu64, kind, n, f->max);
        return -1;
    }
    return 0;
}

static int s_check_str (const field_t *f, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    if (s_check_len (f, "str", n, why, whylen) != 0) return -1;
    if (n && memchr (p, 0, n)) {
        snprintf (why, whylen, "str contains a NUL byte");
        return -1;
    }
    return proto_rule_ok (f->rule, p, n, why, whylen);
}

/* ---- encoding ----------------------------------------------------------- */

int proto_sink_write (void *data, const char *p, size_t n)
{
    proto_sink_t *s = data;
    if (n > s->cap - s->len) {
        s->overflow = 1;
        return -1;
    }
    memcpy (s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/* Checks and packs field F of the struct at BASE. Returns 0, or -1 with
   the reason in WHY (or the sink's overflow flag set). */
int proto_field_pack (msgpack_packer *pk, const field_t *f, const void *base, char *why,
                      size_t whylen)
{
    const uint8_t *p = (const uint8_t *)base + f->off;
    switch (f->type) {
    case V_UINT: {
        uint64_t v;
        if (f->width == sizeof (uint32_t)) {
            uint32_t v32;
            memcpy (&v32, p, sizeof v32);
            v = v32;
        } else {
            memcpy (&v, p, sizeof v);
        }
        if (s_check_uint (f, v, why, whylen) != 0) return -1;
        return msgpack_pack_uint64 (pk, v);
    }
    case V_INT: {
        int64_t v;
        memcpy (&v, p, sizeof v);
        return msgpack_pack_int64 (pk, v);
    }
    case V_STR: {
        size_t n = strnlen ((const char *)p, f->width);
        if (n == f->width) {
            snprintf (why, whylen, "not NUL-terminated within %zu bytes", f->width);
            return -1;
        }
        if (s_check_str (f, p, n, why, whylen) != 0) return -1;
        if (msgpack_pack_str (pk, n) != 0) return -1;
        return msgpack_pack_str_body (pk, p, n);
    }
    case V_BIN: {
        size_t n = f->width;
        if (f->len_off != NO_LEN) memcpy (&n, (const uint8_t *)base + f->len_off, sizeof n);
        if (s_check_len (f, "bin", n, why, whylen) != 0) return -1;
        if (n > f->width) { /* only if the table is wrong */
            snprintf (why, whylen, "length %zu exceeds its buffer", n);
            return -1;
        }
        if (msgpack_pack_bin (pk, n) != 0) return -1;
        return msgpack_pack_bin_body (pk, p, n);
    }
    }
    snprintf (why, whylen, "unknown field type");
    return -1;
}

/* ---- decoding ----------------------------------------------------------- */

const char *proto_type_name (msgpack_object_type t)
{
    switch (t) {
    case MSGPACK_OBJECT_NIL:
        return "nil";
    case MSGPACK_OBJECT_BOOLEAN:
        return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return "uint";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return "negative int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return "float";
    case MSGPACK_OBJECT_STR:
        return "str";
    case MSGPACK_OBJECT_ARRAY:
        return "array";
    case MSGPACK_OBJECT_MAP:
        return "map";
    case MSGPACK_OBJECT_BIN:
        return "bin";
    case MSGPACK_OBJECT_EXT:
        return "ext";
    }
    return "unknown type";
}

static const char *s_vtype_name (vtype_t t)
{
    switch (t) {
    case V_UINT:
        return "uint";
    case V_INT:
        return "int";
    case V_STR:
        return "str";
    case V_BIN:
        return "bin";
    }
    return "?";
}

/* Type-checks O against F and stores it into the struct at BASE. Returns
   0, or -1 with the reason in WHY (BASE may then be partly written). */
int proto_field_take (const field_t *f, const msgpack_object *o, void *base, char *why,
                      size_t whylen)
{
    uint8_t *p = (uint8_t *)base + f->off;
    switch (f->type) {
    case V_UINT: {
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) goto wrong_type;
        uint64_t v = o->via.u64;
        if (s_check_uint (f, v, why, whylen) != 0) return -1;
        if (f->width == sizeof (uint32_t)) {
            uint32_t v32 = (uint32_t)v; /* the table bounds it */
            memcpy (p, &v32, sizeof v32);
        } else {
            memcpy (p, &v, sizeof v);
        }
        return 0;
    }
    case V_INT: {
        int64_t v;
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            if (o->via.u64 > INT64_MAX) {
                snprintf (why, whylen, "value %" PRIu64 " does not fit int64", o->via.u64);
                return -1;
            }
            v = (int64_t)o->via.u64;
        } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            v = o->via.i64;
        } else {
            goto wrong_type;
        }
        memcpy (p, &v, sizeof v);
        return 0;
    }
    case V_STR: {
        if (o->type != MSGPACK_OBJECT_STR) goto wrong_type;
        size_t n = o->via.str.size;
        /* msgpack-c gives NULL for an empty str; the libc calls below may not */
        const uint8_t *s = n ? (const uint8_t *)o->via.str.ptr : (const uint8_t *)"";
        if (s_check_str (f, s, n, why, whylen) != 0) return -1;
        if (n >= f->width) { /* only if the table is wrong */
            snprintf (why, whylen, "str of %zu bytes does not fit", n);
            return -1;
        }
        memcpy (p, s, n);
        p[n] = 0;
        return 0;
    }
    case V_BIN: {
        if (o->type != MSGPACK_OBJECT_BIN) goto wrong_type;
        size_t n = o->via.bin.size;
        if (s_check_len (f, "bin", n, why, whylen) != 0) return -1;
        if (n > f->width) {
            snprintf (why, whylen, "bin of %zu bytes does not fit", n);
            return -1;
        }
        if (n) memcpy (p, o->via.bin.ptr, n);
        if (f->len_off != NO_LEN) memcpy ((uint8_t *)base + f->len_off, &n, sizeof n);
        return 0;
    }
    }
    snprintf (why, whylen, "unknown field type");
    return -1;

wrong_type:
    snprintf (why, whylen, "expected %s, got %s", s_vtype_name (f->type),
              proto_type_name (o->type));
    return -1;
}
