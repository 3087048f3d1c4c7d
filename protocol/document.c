/*  document.c: the signed documents that travel inside messages, as
    specified in protocol/SPEC.md sections 7, 7a and 8: the dataset
    manifest (in OFFER), the data sharing agreement (in AGREEMENT) and the
    delivery receipt (in RECEIPT). Each is a msgpack map with string keys,
    a list of fields keyed by name below, walked by one encoder and one
    decoder (keys in any order on input, each exactly once; in table order
    on output), then a cross-field check.

    Not for: signatures over the documents (the caller's business, through
    crypto/), what an agreement covers (agreement.c), the messages that
    carry them (proto.c).
*/
#include "proto_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DOC_FIELDS_MAX 24

typedef struct {
    const char *name; /* "manifest", "receipt" */
    size_t nfields;
    const field_t *fields;
    /* Cross-field checks after every field passed; NULL if none. */
    int (*check) (const void *doc, char *why, size_t whylen);
} doc_desc_t;

#define DOC_FIELD(type_, key, vtype, member, min, max, rule)                                       \
    {                                                                                              \
        key, vtype, offsetof (type_, member), sizeof (((type_ *)0)->member), NO_LEN, min, max,     \
            rule                                                                                   \
    }
#define MF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_manifest_t, key, vtype, member, min, max, rule)
#define RF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_receipt_t, key, vtype, member, min, max, rule)
#define AF(key, vtype, member, min, max, rule)                                                     \
    DOC_FIELD (proto_agreement_t, key, vtype, member, min, max, rule)

/* In encoding order (SPEC.md "Manifest"). */
static const field_t s_manifest_fields[] = {
    MF ("format", V_UINT, format, 1, 1, RULE_NONE),
    MF ("dataset", V_BIN, dataset, PROTO_ID_BYTES, PROTO_ID_BYTES, RULE_NONE),
    MF ("publisher", V_STR, publisher, 3, 5, RULE_ORG),
    MF ("topic", V_STR, topic, 1, PROTO_TOPIC_MAX, RULE_TOPIC),
    MF ("version", V_UINT, version, 1, INT64_MAX, RULE_NONE),
    MF ("class", V_STR, class_, 1, 15, RULE_CLASS),
    MF ("purpose", V_STR, purpose, 1, 63, RULE_PURPOSE),
    MF ("filename", V_STR, filename, 0, 127, RULE_FILENAME),
    MF ("bytes", V_UINT, bytes, 0, INT64_MAX, RULE_NONE),
    MF ("chunk_size", V_UINT, chunk_size, 1, PROTO_CHUNK_MAX, RULE_NONE),
    MF ("chunks", V_UINT, chunks, 0, INT64_MAX, RULE_NONE),
    MF ("hash", V_BIN, hash, PROTO_HASH_BYTES, PROTO_HASH_BYTES, RULE_NONE),
    MF ("created", V_INT, created, 0, 0, RULE_NONE),
    MF ("legal_basis", V_STR, legal_basis, 0, PROTO_BASIS_MAX, RULE_TEXT),
    MF ("opt_out", V_STR, opt_out, 1, 23, RULE_OPTOUT),
    MF ("agreement", V_STR, agreement, 0, PROTO_REF_MAX, RULE_REF_OPT),
};

/* In encoding order (SPEC.md "Agreement"). */
static const field_t s_agreement_fields[] = {
    AF ("format", V_UINT, format, 1, 1, RULE_NONE),
    AF ("ref", V_STR, ref, 1, PROTO_REF_MAX, RULE_TOPIC),
    AF ("provider", V_STR, provider, 3, 5, RULE_ORG),
    AF ("provider_ig", V_STR, provider_ig, 1, PROTO_IG_MAX, RULE_TEXT),
    AF ("recipient", V_STR, recipient, 3, 5, RULE_ORG),
    AF ("recipient_ig", V_STR, recipient_ig, 1, PROTO_IG_MAX, RULE_TEXT),
    AF ("controller", V_STR, controller, 0, 5, RULE_ORG_OPT),
    AF ("controller_ig", V_STR, controller_ig, 0, PROTO_IG_MAX, RULE_TEXT),
    AF ("topics", V_STR, topics, 1, PROTO_TOPICS_MAX, RULE_TOPICS),
    AF ("class", V_STR, class_, 1, 15, RULE_CLASS),
    AF ("purposes", V_STR, purposes, 1, PROTO_PURPOSES_MAX, RULE_PURPOSES),
    AF ("art6", V_STR, art6, 1, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("art9", V_STR, art9, 0, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("duty", V_STR, duty, 0, PROTO_BASIS_MAX, RULE_TEXT),
    AF ("opt_out", V_UINT, opt_out, 0, 1, RULE_NONE),
    AF ("start", V_INT, start, 0, 0, RULE_NONE),
    AF ("end", V_INT, end, 0, 0, RULE_NONE),
    AF ("retention_days", V_UINT, retention_days, 1, 36500, RULE_NONE),
    AF ("onward", V_UINT, onward, 0, 1, RULE_NONE),
    AF ("conditions", V_STR, conditions, 0, PROTO_CONDITIONS_MAX, RULE_TEXT),
    AF ("created", V_INT, created, 0, 0, RULE_NONE),
};

static int s_agreement_check (const void *doc, char *why, size_t whylen)
{
    const proto_agreement_t *a = doc;
    if (a->end <= a->start) {
        snprintf (why, whylen, "end is not after start");
        return -1;
    }
    if (strcmp (a->provider, a->recipient) == 0) {
        snprintf (why, whylen, "provider and recipient are the same organisation");
        return -1;
    }
    if (!a->controller[0] && a->controller_ig[0]) {
        snprintf (why, whylen, "controller_ig without a controller");
        return -1;
    }
    return 0;
}

/* In encoding order (SPEC.md "Receipt"). */
static const field_t s_receipt_fields[] = {
    RF ("format", V_UINT, format, 1, 1, RULE_NONE),
    RF ("dataset", V_BIN, dataset, PROTO_ID_BYTES, PROTO_ID_BYTES, RULE_NONE),
    RF ("hash", V_BIN, hash, PROTO_HASH_BYTES, PROTO_HASH_BYTES, RULE_NONE),
    RF ("recipient", V_STR, recipient, 3, 5, RULE_ORG),
    RF ("recipient_key", V_BIN, recipient_key, 32, 32, RULE_NONE),
    RF ("received", V_INT, received, 0, 0, RULE_NONE),
};

static int s_manifest_check (const void *doc, char *why, size_t whylen)
{
    const proto_manifest_t *m = doc;
    if (m->chunk_size == 0) { /* the field check refuses it first */
        snprintf (why, whylen, "chunk_size is 0");
        return -1;
    }
    /* ceil(bytes / chunk_size) without the overflow of bytes + size - 1 */
    uint64_t want = m->bytes / m->chunk_size + (m->bytes % m->chunk_size != 0);
    if (m->chunks != want) {
        snprintf (why, whylen,
                  "chunks is %" PRIu64 " but %" PRIu64 " bytes in chunks of %" PRIu32
                  " make %" PRIu64,
                  m->chunks, m->bytes, m->chunk_size, want);
        return -1;
    }
    return 0;
}

static const doc_desc_t s_manifest = {"manifest",
                                      sizeof s_manifest_fields / sizeof s_manifest_fields[0],
                                      s_manifest_fields, s_manifest_check};
static const doc_desc_t s_agreement = {"agreement",
                                       sizeof s_agreement_fields / sizeof s_agreement_fields[0],
                                       s_agreement_fields, s_agreement_check};
static const doc_desc_t s_receipt = {
    "receipt", sizeof s_receipt_fields / sizeof s_receipt_fields[0], s_receipt_fields, NULL};

static int s_doc_encode (const doc_desc_t *d, const void *doc, uint8_t *buf, size_t cap,
                         size_t *len)
{
    char why[PROTO_WHY_MAX] = "";
    if (!doc || !buf || !len) {
        proto_set_error ("%s: null argument", d->name);
        return -1;
    }
    proto_sink_t sink = {buf, cap, 0, 0};
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sink, proto_sink_write);
    if (msgpack_pack_map (&pk, d->nfields) != 0) goto overflow;
    for (size_t i = 0; i < d->nfields; i++) {
        const field_t *f = &d->fields[i];
        size_t klen = strlen (f->name);
        if (msgpack_pack_str (&pk, klen) != 0 || msgpack_pack_str_body (&pk, f->name, klen) != 0)
            goto overflow;
        if (proto_field_pack (&pk, f, doc, why, sizeof why) != 0) {
            if (sink.overflow) goto overflow;
            proto_set_error ("%s key \"%s\": %s", d->name, f->name, why);
            return -1;
        }
    }
    if (d->check && d->check (doc, why, sizeof why) != 0) {
        proto_set_error ("%s: %s", d->name, why);
        return -1;
    }
    if (sink.len > PROTO_DOC_MAX) {
        proto_set_error ("%s: %zu bytes exceeds %u", d->name, sink.len, PROTO_DOC_MAX);
        return -1;
    }
    *len = sink.len;
    proto_clear_error ();
    return 0;

overflow:
    proto_set_error ("%s: buffer of %zu bytes is too small", d->name, cap);
    return -1;
}

/* Decodes a document into DOC (of SIZE bytes, zeroed first and again on
   failure). Keys may come in any order; each must appear exactly once. */
static proto_err_t s_doc_decode (const doc_desc_t *d, const uint8_t *buf, size_t len, void *doc,
                                 size_t size)
{
    char why[PROTO_WHY_MAX] = "";
    proto_err_t err = PROTO_E_MALFORMED;
    int seen[DOC_FIELDS_MAX] = {0};
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    if (!doc) {
        proto_set_error ("%s: null argument", d->name);
        goto out;
    }
    memset (doc, 0, size);
    if (len > PROTO_DOC_MAX) {
        snprintf (why, sizeof why, "%zu bytes exceeds %u", len, PROTO_DOC_MAX);
        goto malformed;
    }
    if (proto_unpack (buf, len, &up, why, sizeof why) != 0) goto malformed;
    if (up.data.type != MSGPACK_OBJECT_MAP) {
        snprintf (why, sizeof why, "expected map, got %s", proto_type_name (up.data.type));
        goto malformed;
    }
    const msgpack_object_map *map = &up.data.via.map;
    for (uint32_t k = 0; k < map->size; k++) {
        const msgpack_object *key = &map->ptr[k].key;
        if (key->type != MSGPACK_OBJECT_STR) {
            snprintf (why, sizeof why, "key %" PRIu32 " is a %s, not a str", k + 1,
                      proto_type_name (key->type));
            goto malformed;
        }
        size_t i;
        for (i = 0; i < d->nfields; i++)
            if (key->via.str.size > 0 && key->via.str.size == strlen (d->fields[i].name) &&
                memcmp (key->via.str.ptr, d->fields[i].name, key->via.str.size) == 0)
                break;
        if (i == d->nfields) {
            /* the key is outside bytes: print at most 32 bytes, as hex-safe text */
            char shown[33];
            size_t n = key->via.str.size < 32 ? key->via.str.size : 32;
            for (size_t j = 0; j < n; j++) {
                unsigned char c = (unsigned char)key->via.str.ptr[j];
                shown[j] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
            }
            shown[n] = 0;
            snprintf (why, sizeof why, "unknown key \"%s\"", shown);
            goto malformed;
        }
        if (seen[i]) {
            snprintf (why, sizeof why, "key \"%s\" appears twice", d->fields[i].name);
            goto malformed;
        }
        seen[i] = 1;
        if (proto_field_take (&d->fields[i], &map->ptr[k].val, doc, why, sizeof why) != 0) {
            char inner[PROTO_WHY_MAX];
            memcpy (inner, why, sizeof inner);
            snprintf (why, sizeof why, "key \"%s\": %s", d->fields[i].name, inner);
            goto malformed;
        }
    }
    for (size_t i = 0; i < d->nfields; i++) {
        if (!seen[i]) {
            snprintf (why, sizeof why, "key \"%s\" is missing", d->fields[i].name);
            goto malformed;
        }
    }
    if (d->check && d->check (doc, why, sizeof why) != 0) goto malformed;
    err = PROTO_OK;
    proto_clear_error ();
    goto out;

malformed:
    proto_set_error ("%s: %s", d->name, why);
    memset (doc, 0, size);
    err = PROTO_E_MALFORMED;
out:
    msgpack_unpacked_destroy (&up);
    return err;
}

int proto_manifest_encode (const proto_manifest_t *m, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_manifest, m, buf, cap, len);
}

proto_err_t proto_manifest_decode (const uint8_t *buf, size_t len, proto_manifest_t *m)
{
    return s_doc_decode (&s_manifest, buf, len, m, sizeof *m);
}

int proto_receipt_encode (const proto_receipt_t *r, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_receipt, r, buf, cap, len);
}

proto_err_t proto_receipt_decode (const uint8_t *buf, size_t len, proto_receipt_t *r)
{
    return s_doc_decode (&s_receipt, buf, len, r, sizeof *r);
}

int proto_agreement_encode (const proto_agreement_t *a, uint8_t *buf, size_t cap, size_t *len)
{
    return s_doc_encode (&s_agreement, a, buf, cap, len);
}

proto_err_t proto_agreement_decode (const uint8_t *buf, size_t len, proto_agreement_t *a)
{
    return s_doc_decode (&s_agreement, buf, len, a, sizeof *a);
}
