/*  spec_examples.c: the example messages and documents of protocol/SPEC.md
    section 18 (spec_examples.h), as one table of messages and three
    documents. Used by check_protocol and fuzz/make_seeds.c alike, so the
    seeds are the golden vectors' messages. Not for: anything outside
    tests/ and fuzz/.
*/
#include "spec_examples.h"

#include <string.h>

const uint8_t SPEC_DATASET[PROTO_ID_BYTES] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                              0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

void spec_fill (uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

void spec_example_manifest (proto_manifest_t *m)
{
    memset (m, 0, sizeof *m);
    m->format = 1;
    memcpy (m->dataset, SPEC_DATASET, sizeof m->dataset);
    strcpy (m->publisher, "0DF");
    strcpy (m->topic, "apc/monthly");
    m->version = 3;
    strcpy (m->class_, "pseudonymised");
    strcpy (m->purpose, "commissioning");
    strcpy (m->filename, "apc_2026-10.csv");
    m->bytes = 2500000;
    m->chunk_size = 1u << 20;
    m->chunks = 3;
    spec_fill (m->hash, sizeof m->hash, 0xe0);
    m->created = 1795640400; /* 2026-11-25T21:00:00Z */
    strcpy (m->opt_out, "not-identifiable");
}

void spec_example_agreement (proto_agreement_t *a)
{
    memset (a, 0, sizeof *a);
    a->format = 1;
    strcpy (a->ref, "DSA-0DF-04V-2026-01");
    strcpy (a->provider, "0DF");
    strcpy (a->provider_ig, "A. Lead");
    strcpy (a->recipient, "04V");
    strcpy (a->recipient_ig, "B. Lead");
    strcpy (a->topics, "apc/*,op/monthly");
    strcpy (a->class_, "pseudonymised");
    strcpy (a->purposes, "commissioning");
    strcpy (a->art6, "6(1)(e)");
    strcpy (a->art9, "9(2)(h)");
    a->opt_out = 0;
    a->start = 1795640400;
    a->end = 1827176400; /* a year later */
    a->retention_days = 365;
    a->onward = 0;
    a->created = 1795640400;
}

void spec_example_receipt (proto_receipt_t *r)
{
    memset (r, 0, sizeof *r);
    r->format = 1;
    memcpy (r->dataset, SPEC_DATASET, sizeof r->dataset);
    spec_fill (r->hash, sizeof r->hash, 0xe0);
    strcpy (r->recipient, "04V");
    spec_fill (r->recipient_key, sizeof r->recipient_key, 0x30);
    r->received = 1795640460;
}

typedef enum { DOC_NONE, DOC_MANIFEST, DOC_RECEIPT, DOC_AGREEMENT } doc_t;

/* One example per message. A pattern's first byte 0 means "not set" (no
   example fills from 0); dataset 1 means SPEC_DATASET, 0 none. */
static const struct {
    int id;
    const char *topic;
    const char *reason;
    uint64_t number;
    uint32_t credit, code;
    int dataset;
    doc_t doc;
    uint8_t sig, sig2, wrapped, hash;
    const char *kind, *org, *node;
    uint64_t value, updated, since, took, count;
} EXAMPLES[] = {
    {PROTO_SUBSCRIBE, .topic = "apc/monthly"},                            /* 18.1 */
    {PROTO_SUBSCRIBED, .topic = "apc/monthly", .reason = "active"},       /* 18.2 */
    {PROTO_OFFER, .dataset = 1, .doc = DOC_MANIFEST, .sig = 0xa0, .wrapped = 0x20}, /* 18.4 */
    {PROTO_ACCEPT, .dataset = 1, .credit = 8},                            /* 18.5 */
    {PROTO_CHUNK, .dataset = 1, .number = 2},                             /* 18.6 */
    {PROTO_CREDIT, .dataset = 1, .credit = 1},                            /* 18.7 */
    {PROTO_RECEIPT, .dataset = 1, .doc = DOC_RECEIPT, .sig = 0xa0},       /* 18.9 */
    {PROTO_ERROR, .code = PROTO_E_DENIED, .reason = "no subscription to 0DF apc/monthly",
     .dataset = 1},                                                       /* 18.10 */
    {PROTO_UNSUBSCRIBE, .topic = "apc/monthly"},
    {PROTO_DIRECTORY, .number = 7}, /* 18.13; the directory travels in the payload frame */
    {PROTO_AGREEMENT, .doc = DOC_AGREEMENT, .sig = 0xa0, .sig2 = 0x60},
    {PROTO_REVOKE, .hash = 0xe0, .reason = "superseded by DSA-0DF-04V-2026-02"}, /* 18.15 */
    {PROTO_RESEND, .topic = "apc/monthly", .number = 3},                  /* 18.23, version 2 */
    {PROTO_DELIVERED, .dataset = 1, .doc = DOC_RECEIPT, .sig = 0xa0},     /* 18.24, version 3 */
    {PROTO_SETTING, .kind = "sub", .org = "0DF", .topic = "apc/monthly", .value = 0,
     .updated = 1795640400, .node = "04V/b"},                             /* 18.25, version 3 */
    {PROTO_FAILOVER, .node = "0DF/a", .since = 1795640400000, .took = 15250,
     .count = 2},                                                         /* 18.26, version 3 */
};

static int s_doc (doc_t doc, proto_msg_t *m)
{
    proto_manifest_t mf;
    proto_receipt_t r;
    proto_agreement_t a;
    switch (doc) {
    case DOC_NONE:
        return 0;
    case DOC_MANIFEST:
        spec_example_manifest (&mf);
        return proto_manifest_encode (&mf, m->doc, sizeof m->doc, &m->doc_len);
    case DOC_RECEIPT:
        spec_example_receipt (&r);
        return proto_receipt_encode (&r, m->doc, sizeof m->doc, &m->doc_len);
    case DOC_AGREEMENT:
        spec_example_agreement (&a);
        return proto_agreement_encode (&a, m->doc, sizeof m->doc, &m->doc_len);
    }
    return -1;
}

int spec_example_msg (int id, proto_msg_t *m)
{
    memset (m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof EXAMPLES / sizeof EXAMPLES[0]; i++) {
        if (EXAMPLES[i].id != id) continue;
        m->id = (uint8_t)id;
        m->version = proto_msg_version ((unsigned) id);
        if (EXAMPLES[i].topic) strcpy (m->topic, EXAMPLES[i].topic);
        if (EXAMPLES[i].reason) strcpy (m->reason, EXAMPLES[i].reason);
        m->number = EXAMPLES[i].number;
        m->credit = EXAMPLES[i].credit;
        m->code = EXAMPLES[i].code;
        if (EXAMPLES[i].dataset) memcpy (m->dataset, SPEC_DATASET, sizeof m->dataset);
        if (EXAMPLES[i].sig) spec_fill (m->sig, sizeof m->sig, EXAMPLES[i].sig);
        if (EXAMPLES[i].sig2) spec_fill (m->sig2, sizeof m->sig2, EXAMPLES[i].sig2);
        if (EXAMPLES[i].wrapped) spec_fill (m->wrapped, sizeof m->wrapped, EXAMPLES[i].wrapped);
        if (EXAMPLES[i].hash) spec_fill (m->hash, sizeof m->hash, EXAMPLES[i].hash);
        if (EXAMPLES[i].kind) strcpy (m->kind, EXAMPLES[i].kind);
        if (EXAMPLES[i].org) strcpy (m->org, EXAMPLES[i].org);
        if (EXAMPLES[i].node) strcpy (m->node, EXAMPLES[i].node);
        m->value = EXAMPLES[i].value;
        m->updated = EXAMPLES[i].updated;
        m->since = EXAMPLES[i].since;
        m->took = EXAMPLES[i].took;
        m->count = EXAMPLES[i].count;
        return s_doc (EXAMPLES[i].doc, m);
    }
    return -1;
}
