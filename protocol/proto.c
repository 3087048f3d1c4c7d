/*  proto.c: the cdx wire codec for messages, as specified in
    protocol/SPEC.md section 6, and the reason of the last failure of any
    protocol/ function (proto_error).

    Everything here is table-driven, and the table is messages.def: a
    field descriptor (field_t) per field kind, a message row (msg_desc_t)
    listing the fields of one message in wire order, the sender and the
    sockets that accept it. One encoder and one decoder walk the rows;
    both call field.c, so the encoder cannot emit anything the decoder
    would refuse. A frame is pre-scanned (prescan.c) before msgpack-c sees
    it, and every type, length and bound is checked before a byte is
    copied; failures leave through one path per function with a code and
    a reason.

    Not for: the documents inside messages (document.c), vocabularies and
    text rules (vocab.c), sockets, cryptography, storage, or deciding
    whether a message is welcome at this point of a conversation.
*/
#include "proto_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- reasons ----------------------------------------------------------- */

/* Empty after a success (proto_internal.h). */
static _Thread_local char s_error[PROTO_WHY_MAX] = "";

void proto_clear_error (void)
{
    s_error[0] = 0;
}

void proto_set_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (s_error, sizeof s_error, fmt, ap);
    va_end (ap);
}

const char *proto_error (void)
{
    return s_error;
}

/* ---- field descriptors ------------------------------------------------- */

/* The field kinds of messages.def, one descriptor each: F_topic, ... */
#define S_MEMBER_SIZE(name) sizeof (((proto_msg_t *)0)->name)
/* clang-format off */
#define S_MSG_FIELD(name, vtype, len_off, min, max, rule)                                          \
    {#name, vtype, offsetof (proto_msg_t, name), S_MEMBER_SIZE (name), len_off, min, max,          \
     RULE_##rule}
/* clang-format on */
#define S_FIELD_UINT(name, min, max, rule) S_MSG_FIELD (name, V_UINT, NO_LEN, min, max, rule)
#define S_FIELD_STR(name, min, max, rule) S_MSG_FIELD (name, V_STR, NO_LEN, min, max, rule)
#define S_FIELD_BIN(name, min, max, rule) S_MSG_FIELD (name, V_BIN, NO_LEN, min, max, rule)
#define S_FIELD_VBIN(name, min, max, rule)                                                         \
    S_MSG_FIELD (name, V_BIN, offsetof (proto_msg_t, name##_len), min, max, rule)

#define FIELD(name, type, min, max, rule)                                                          \
    static const field_t F_##name = S_FIELD_##type (name, min, max, rule);
#define MSG(...)
#include "messages.def"
#undef MSG
#undef FIELD

/* ---- the message table ------------------------------------------------ */

#define MSG_FIELDS_MAX 6

typedef struct {
    const char *name;
    int payload;       /* a payload frame follows the header frame */
    proto_from_t from; /* who sends it */
    unsigned accepted; /* proto_socket_t flags of the sockets that take it */
    size_t nfields;
    const field_t *fields[MSG_FIELDS_MAX];
} msg_desc_t;

/* A message's field list (1 to MSG_FIELDS_MAX kinds) as descriptors, and
   its length; a longer list fails to compile. */
#define S_NTH(_1, _2, _3, _4, _5, _6, n, ...) n
#define S_F1(a) &F_##a
#define S_F2(a, b) &F_##a, &F_##b
#define S_F3(a, b, c) &F_##a, &F_##b, &F_##c
#define S_F4(a, b, c, d) &F_##a, &F_##b, &F_##c, &F_##d
#define S_F5(a, b, c, d, e) S_F4 (a, b, c, d), &F_##e
#define S_F6(a, b, c, d, e, f) S_F5 (a, b, c, d, e), &F_##f
#define S_FIELDS(...) S_NTH (__VA_ARGS__, S_F6, S_F5, S_F4, S_F3, S_F2, S_F1, 0) (__VA_ARGS__)
#define S_NFIELDS(...) S_NTH (__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define S_ON_ROUTER PROTO_ROUTER
#define S_ON_DEALER PROTO_DEALER
#define S_ON_BOTH (PROTO_ROUTER | PROTO_DEALER)

static const msg_desc_t s_msgs[PROTO_MSG_MAX + 1] = {
#define FIELD(...)
#define MSG(id, name, from, on, payload, ...)                                                      \
    [id] = {#name,                                                                                 \
            payload,                                                                               \
            PROTO_FROM_##from,                                                                     \
            S_ON_##on,                                                                             \
            S_NFIELDS (__VA_ARGS__),                                                               \
            {S_FIELDS (__VA_ARGS__)}},
#include "messages.def"
#undef MSG
#undef FIELD
};

/* Ids are 1 to PROTO_MSG_MAX, each once, in order (SPEC.md section 6). */
enum {
    S_ID_NONE = 0,
#define FIELD(...)
#define MSG(id, name, ...) S_ID_##name,
#include "messages.def"
#undef MSG
#undef FIELD
};
#define FIELD(...)
#define MSG(id, name, ...)                                                                         \
    _Static_assert(S_ID_##name == id, #name ": ids run 1, 2, ... in messages.def");
#include "messages.def"
#undef MSG
#undef FIELD

static const msg_desc_t *s_msg (uint64_t id)
{
    if (id == 0 || id > PROTO_MSG_MAX || !s_msgs[id].name) return NULL;
    return &s_msgs[id];
}

unsigned proto_msg_version (unsigned id)
{
    return id >= PROTO_V3_FIRST ? 3u : id >= PROTO_V2_FIRST ? 2u : PROTO_VERSION;
}

int proto_has_payload (uint8_t id)
{
    const msg_desc_t *d = s_msg (id);
    return d ? d->payload : 0;
}

proto_from_t proto_sender (int id)
{
    const msg_desc_t *d = id < 0 ? NULL : s_msg ((uint64_t)id);
    return d ? d->from : PROTO_FROM_NONE;
}

int proto_accepted_on (int id, proto_socket_t s)
{
    const msg_desc_t *d = id < 0 ? NULL : s_msg ((uint64_t)id);
    return d && (d->accepted & (unsigned)s) != 0;
}

const char *proto_name (uint8_t id)
{
    const msg_desc_t *d = s_msg (id);
    return d ? d->name : "UNKNOWN";
}

const char *proto_err_name (uint32_t code)
{
    static const char *const names[PROTO_E_MAX + 1] = {
        [PROTO_OK] = "OK",
        [PROTO_E_MALFORMED] = "MALFORMED",
        [PROTO_E_VERSION] = "VERSION",
        [PROTO_E_UNKNOWN] = "UNKNOWN",
        [PROTO_E_STATE] = "STATE",
        [PROTO_E_DENIED] = "DENIED",
        [PROTO_E_SIGNATURE] = "SIGNATURE",
        [PROTO_E_CHUNK] = "CHUNK",
        [PROTO_E_HASH] = "HASH",
        [PROTO_E_UNKNOWN_DATASET] = "UNKNOWN_DATASET",
        [PROTO_E_INTERNAL] = "INTERNAL",
    };
    return code <= PROTO_E_MAX ? names[code] : "UNKNOWN";
}

/* ---- encoding ----------------------------------------------------------- */

int proto_encode (const proto_msg_t *m, uint8_t *buf, size_t cap, size_t *len)
{
    char why[PROTO_WHY_MAX] = "";
    if (!m || !buf || !len) {
        proto_set_error ("proto_encode: null argument");
        return -1;
    }
    const msg_desc_t *d = s_msg (m->id);
    if (!d) {
        proto_set_error ("cannot encode unknown message id %u", (unsigned)m->id);
        return -1;
    }
    proto_sink_t sink = {buf, cap, 0, 0};
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sink, proto_sink_write);
    if (msgpack_pack_array (&pk, 2 + d->nfields) != 0 ||
        msgpack_pack_uint64 (&pk, proto_msg_version (m->id)) != 0 ||
        msgpack_pack_uint64 (&pk, m->id) != 0)
        goto overflow;
    for (size_t i = 0; i < d->nfields; i++) {
        if (proto_field_pack (&pk, d->fields[i], m, why, sizeof why) != 0) {
            if (sink.overflow) goto overflow;
            proto_set_error ("%s field %zu (%s): %s", d->name, i + 1, d->fields[i]->name, why);
            return -1;
        }
    }
    if (sink.len > PROTO_HEADER_MAX) {
        proto_set_error ("%s: %zu bytes exceeds the header limit of %u", d->name, sink.len,
                         PROTO_HEADER_MAX);
        return -1;
    }
    *len = sink.len;
    proto_clear_error ();
    return 0;

overflow:
    proto_set_error ("%s: buffer of %zu bytes is too small", d->name, cap);
    return -1;
}

/* ---- decoding ----------------------------------------------------------- */

static uint32_t s_clamp32 (uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

proto_err_t proto_decode (const uint8_t *buf, size_t len, proto_msg_t *m)
{
    char why[PROTO_WHY_MAX] = "";
    proto_err_t err = PROTO_E_MALFORMED;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    const msg_desc_t *d = NULL;
    if (!m) {
        proto_set_error ("proto_decode: null message");
        goto out;
    }
    memset (m, 0, sizeof *m);
    if (len > PROTO_HEADER_MAX) {
        snprintf (why, sizeof why, "frame of %zu bytes exceeds %u", len, PROTO_HEADER_MAX);
        goto malformed;
    }
    if (proto_unpack (buf, len, &up, why, sizeof why) != 0) goto malformed;

    const msgpack_object *top = &up.data;
    if (top->type != MSGPACK_OBJECT_ARRAY) {
        snprintf (why, sizeof why, "expected array, got %s", proto_type_name (top->type));
        goto malformed;
    }
    const msgpack_object_array *a = &top->via.array;
    if (a->size < 2) {
        snprintf (why, sizeof why, "array of %" PRIu32 " elements, need version and id", a->size);
        goto malformed;
    }
    if (a->ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf (why, sizeof why, "version: expected uint, got %s",
                  proto_type_name (a->ptr[0].type));
        goto malformed;
    }
    m->version = s_clamp32 (a->ptr[0].via.u64);
    if (a->ptr[0].via.u64 < PROTO_VERSION || a->ptr[0].via.u64 > PROTO_VERSION_MAX) {
        proto_set_error ("protocol version %" PRIu64 " not supported; supported versions: 1, 2, 3",
                         a->ptr[0].via.u64);
        err = PROTO_E_VERSION;
        goto out;
    }
    if (a->ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf (why, sizeof why, "message id: expected uint, got %s",
                  proto_type_name (a->ptr[1].type));
        goto malformed;
    }
    uint64_t id = a->ptr[1].via.u64;
    m->id = id > UINT8_MAX ? UINT8_MAX : (uint8_t)id;
    d = s_msg (id);
    if (d && a->ptr[0].via.u64 < proto_msg_version ((unsigned)id))
        d = NULL;                /* a newer version's message in an older header */
    if (!d) {
        proto_set_error ("unknown message id %" PRIu64, id);
        err = PROTO_E_UNKNOWN;
        goto out;
    }
    if (a->size - 2 != d->nfields) {
        snprintf (why, sizeof why, "%" PRIu32 " fields, expected %zu", a->size - 2, d->nfields);
        goto malformed;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        if (proto_field_take (d->fields[i], &a->ptr[2 + i], m, why, sizeof why) != 0) {
            proto_set_error ("%s field %zu (%s): %s", d->name, i + 1, d->fields[i]->name, why);
            goto refuse;
        }
    }
    err = PROTO_OK;
    proto_clear_error ();
    goto out;

malformed:
    if (d)
        proto_set_error ("%s: %s", d->name, why);
    else
        proto_set_error ("%s", why);
refuse:
    if (m) { /* keep only what a reply needs: version and id */
        uint8_t keep_id = m->id;
        uint32_t keep_version = m->version;
        memset (m, 0, sizeof *m);
        m->id = keep_id;
        m->version = keep_version;
    }
    err = PROTO_E_MALFORMED;
out:
    msgpack_unpacked_destroy (&up);
    return err;
}
