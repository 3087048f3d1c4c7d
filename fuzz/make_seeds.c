/*  make_seeds: writes the generated seed corpus of the codec fuzz targets.

        fuzz_make_seeds DIR

    writes DIR/proto/, DIR/manifest/, DIR/receipt/, DIR/agreement/ and
    DIR/control/ (which must exist): one valid encoding of every message of
    messages.def and of every document, made with the codec itself from
    the examples of tests/spec_examples.h (the messages of the golden
    vectors of SPEC.md section 18), plus the variants a hostile or
    merely different encoder would send: non-shortest integer and string
    encodings, keys in another order, values at their bounds, and a few
    malformed frames (truncated, trailing bytes, wrong version, unknown id,
    wrong types, a container that claims more elements than bytes).
    fuzz/corpus/ was seeded with it; `make fuzz` then grows the corpus.
    Exits 1 on any failure. Not for: cards and key files (those seeds come
    from `cdx init` homes, see fuzz/README.md).
*/
#include "ctlframe.h"
#include "proto.h"
#include "spec_examples.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_dir;

static void s_die (const char *what, const char *why)
{
    fprintf (stderr, "make_seeds: %s: %s\n", what, why);
    exit (1);
}

static void s_write (const char *sub, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s/seed-%s", s_dir, sub, name);
    FILE *f = fopen (path, "wb");
    if (!f) s_die (path, "cannot create");
    if ((n && fwrite (p, 1, n, f) != n) || fclose (f) != 0) s_die (path, "cannot write");
}

/* ---- documents ---------------------------------------------------------- */

static size_t s_agreement (const proto_agreement_t *a, uint8_t *buf)
{
    size_t len = 0;
    if (proto_agreement_encode (a, buf, PROTO_DOC_MAX, &len) != 0) s_die ("agreement", proto_error ());
    return len;
}

static size_t s_manifest (const proto_manifest_t *m, uint8_t *buf)
{
    size_t len = 0;
    if (proto_manifest_encode (m, buf, PROTO_DOC_MAX, &len) != 0)
        s_die ("manifest", proto_error ());
    return len;
}

static size_t s_receipt (const proto_receipt_t *r, uint8_t *buf)
{
    size_t len = 0;
    if (proto_receipt_encode (r, buf, PROTO_DOC_MAX, &len) != 0) s_die ("receipt", proto_error ());
    return len;
}

/* A msgpack buffer for the hand-made variants. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mp_t;

static void mp_init (mp_t *m)
{
    msgpack_sbuffer_init (&m->sb);
    msgpack_packer_init (&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void mp_done (mp_t *m, const char *sub, const char *name)
{
    s_write (sub, name, m->sb.data, m->sb.size);
    msgpack_sbuffer_destroy (&m->sb);
}

static void mp_raw (mp_t *m, const void *p, size_t n)
{
    msgpack_sbuffer_write (&m->sb, p, n);
}

static void mp_cstr (mp_t *m, const char *s)
{
    msgpack_pack_str (&m->pk, strlen (s));
    msgpack_pack_str_body (&m->pk, s, strlen (s));
}

static void mp_bin (mp_t *m, const uint8_t *p, size_t n)
{
    msgpack_pack_bin (&m->pk, n);
    msgpack_pack_bin_body (&m->pk, p, n);
}

/* str 8 for a short string: a valid but not the shortest encoding. */
static void mp_str8 (mp_t *m, const char *s)
{
    uint8_t h[2] = {0xd9, (uint8_t)strlen (s)};
    mp_raw (m, h, 2);
    mp_raw (m, s, strlen (s));
}

/* uint 64 for any value: valid, not the shortest. */
static void mp_u64wide (mp_t *m, uint64_t v)
{
    uint8_t h[9] = {0xcf};
    for (int i = 0; i < 8; i++)
        h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    mp_raw (m, h, 9);
}

/* MF packed with its keys in reverse order and every integer as uint 64
   and every str as str 8: what another encoder might send. */
static void s_manifest_wide (const proto_manifest_t *mf, const char *name)
{
    mp_t m;
    mp_init (&m);
    msgpack_pack_map (&m.pk, 13);
    mp_cstr (&m, "created"), mp_u64wide (&m, (uint64_t)mf->created);
    mp_cstr (&m, "hash"), mp_bin (&m, mf->hash, sizeof mf->hash);
    mp_cstr (&m, "chunks"), mp_u64wide (&m, mf->chunks);
    mp_cstr (&m, "chunk_size"), mp_u64wide (&m, mf->chunk_size);
    mp_cstr (&m, "bytes"), mp_u64wide (&m, mf->bytes);
    mp_cstr (&m, "filename"), mp_str8 (&m, mf->filename);
    mp_cstr (&m, "purpose"), mp_str8 (&m, mf->purpose);
    mp_cstr (&m, "class"), mp_str8 (&m, mf->class_);
    mp_cstr (&m, "version"), mp_u64wide (&m, mf->version);
    mp_cstr (&m, "topic"), mp_str8 (&m, mf->topic);
    mp_cstr (&m, "publisher"), mp_str8 (&m, mf->publisher);
    mp_cstr (&m, "dataset"), mp_bin (&m, mf->dataset, sizeof mf->dataset);
    mp_str8 (&m, "format"), mp_u64wide (&m, 1);
    mp_done (&m, "manifest", name);
}

static void s_documents (void)
{
    proto_manifest_t mf;
    proto_receipt_t r;
    uint8_t buf[PROTO_DOC_MAX];
    size_t len;

    spec_example_manifest (&mf);
    len = s_manifest (&mf, buf);
    s_write ("manifest", "valid", buf, len);
    s_write ("manifest", "truncated", buf, len - 1);
    buf[len] = 0xc0;
    s_write ("manifest", "trailing-nil", buf, len + 1);

    spec_example_manifest (&mf); /* empty file, no name, negative time */
    mf.bytes = 0, mf.chunks = 0, mf.chunk_size = 1, mf.filename[0] = 0, mf.created = -1;
    strcpy (mf.class_, "aggregate");
    s_write ("manifest", "empty-dataset", buf, s_manifest (&mf, buf));

    spec_example_manifest (&mf); /* values at their upper bounds */
    memset (mf.topic, 'a', PROTO_TOPIC_MAX);
    mf.topic[PROTO_TOPIC_MAX] = 0;
    strcpy (mf.publisher, "Y9Z99");
    strcpy (mf.class_, "identifiable");
    memset (mf.purpose, 'z', sizeof mf.purpose - 1);
    strcpy (mf.filename, "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88.csv");
    mf.version = INT64_MAX;
    mf.chunk_size = PROTO_CHUNK_MAX;
    mf.bytes = INT64_MAX;
    mf.chunks = INT64_MAX / PROTO_CHUNK_MAX + 1;
    mf.created = INT64_MIN;
    s_write ("manifest", "bounds", buf, s_manifest (&mf, buf));

    /* keys in reverse order, with wide encodings: decodes, re-encodes shorter */
    spec_example_manifest (&mf);
    s_manifest_wide (&mf, "reordered-wide");
    mf.version = (uint64_t)INT64_MAX + 1; /* refused: sizes stop at 2^63-1 */
    s_manifest_wide (&mf, "version-2p63");
    spec_example_manifest (&mf);
    mf.bytes = (uint64_t)INT64_MAX + 1;
    mf.chunks = mf.bytes / mf.chunk_size;
    s_manifest_wide (&mf, "bytes-2p63");

    mp_t m;
    /* refused: a key twice, an unknown key, a str where a bin belongs */
    mp_init (&m);
    msgpack_pack_map (&m.pk, 2);
    mp_cstr (&m, "format"), msgpack_pack_uint8 (&m.pk, 1);
    mp_cstr (&m, "format"), msgpack_pack_uint8 (&m.pk, 1);
    mp_done (&m, "manifest", "duplicate-key");
    mp_init (&m);
    msgpack_pack_map (&m.pk, 1);
    mp_cstr (&m, "formats"), msgpack_pack_uint8 (&m.pk, 1);
    mp_done (&m, "manifest", "unknown-key");
    mp_init (&m);
    msgpack_pack_map (&m.pk, 1);
    mp_cstr (&m, "dataset"), mp_cstr (&m, "0123456789abcdef");
    mp_done (&m, "manifest", "str-for-bin");

    spec_example_receipt (&r);
    len = s_receipt (&r, buf);
    s_write ("receipt", "valid", buf, len);
    s_write ("receipt", "truncated", buf, len - 1);
    buf[len] = 0xc0;
    s_write ("receipt", "trailing-nil", buf, len + 1);
    r.received = INT64_MIN;
    strcpy (r.recipient, "ZZ999");
    s_write ("receipt", "bounds", buf, s_receipt (&r, buf));

    spec_example_receipt (&r);
    mp_init (&m);
    msgpack_pack_map (&m.pk, 6);
    mp_cstr (&m, "received"), mp_u64wide (&m, (uint64_t)r.received);
    mp_cstr (&m, "recipient_key"), mp_bin (&m, r.recipient_key, sizeof r.recipient_key);
    mp_cstr (&m, "recipient"), mp_str8 (&m, r.recipient);
    mp_cstr (&m, "hash"), mp_bin (&m, r.hash, sizeof r.hash);
    mp_cstr (&m, "dataset"), mp_bin (&m, r.dataset, sizeof r.dataset);
    mp_cstr (&m, "format"), mp_u64wide (&m, 1);
    mp_done (&m, "receipt", "reordered-wide");
    mp_init (&m);
    msgpack_pack_map (&m.pk, 1);
    mp_cstr (&m, "received"), msgpack_pack_double (&m.pk, 1.5);
    mp_done (&m, "receipt", "float-time");
}

/* ---- agreements ------------------------------------------------------------ */

static void s_agreements (void)
{
    static proto_agreement_t a;
    static uint8_t buf[PROTO_DOC_MAX];
    size_t len;
    spec_example_agreement (&a);
    len = s_agreement (&a, buf);
    s_write ("agreement", "valid", buf, len);
    s_write ("agreement", "truncated", buf, len - 1);
    strcpy (a.controller, "QNQ");
    strcpy (a.controller_ig, "C. Lead");
    strcpy (a.topics, "*");
    strcpy (a.class_, "identifiable");
    strcpy (a.purposes, "commissioning,invoice-validation,risk-stratification");
    strcpy (a.duty, "s251 CAG 7-07(a)/2013");
    strcpy (a.conditions, "UK only; delete after 30 days");
    a.opt_out = 1, a.onward = 1;
    len = s_agreement (&a, buf);
    s_write ("agreement", "full", buf, len);
    buf[len - 1] ^= 1;                                   /* created changes */
    s_write ("agreement", "created-changed", buf, len);
    mp_t m;
    mp_init (&m);
    msgpack_pack_map (&m.pk, 2);
    mp_cstr (&m, "format"), msgpack_pack_uint64 (&m.pk, 1);
    mp_cstr (&m, "topics"), mp_cstr (&m, "apc/*,,op");
    mp_done (&m, "agreement", "empty-topic-item");
    mp_init (&m);
    msgpack_pack_map (&m.pk, 1);
    mp_cstr (&m, "end"), msgpack_pack_int64 (&m.pk, -1);
    mp_done (&m, "agreement", "negative-end");
}

/* ---- messages ------------------------------------------------------------ */

/* The example of ID (spec_examples.h), the golden vectors' message. */
static void s_msg_fixture (uint8_t id, proto_msg_t *m)
{
    if (spec_example_msg (id, m) != 0) s_die (proto_name (id), "no example");
}

static size_t s_encode (const proto_msg_t *m, uint8_t *buf)
{
    size_t len = 0;
    if (proto_encode (m, buf, PROTO_HEADER_MAX, &len) != 0)
        s_die (proto_name (m->id), proto_error ());
    return len;
}

static void s_messages (void)
{
    static proto_msg_t msg;
    static uint8_t buf[PROTO_HEADER_MAX + 1];
    char name[64];
    size_t len;

    for (uint8_t id = 1; id <= PROTO_MSG_MAX; id++) {
        if (strcmp (proto_name (id), "UNKNOWN") == 0) continue;   /* reserved */
        s_msg_fixture (id, &msg);
        len = s_encode (&msg, buf);
        snprintf (name, sizeof name, "%s", proto_name (id));
        s_write ("proto", name, buf, len);
        snprintf (name, sizeof name, "%s-truncated", proto_name (id));
        s_write ("proto", name, buf, len - 1);
    }

    /* values at their bounds */
    s_msg_fixture (PROTO_SUBSCRIBE, &msg);
    memset (msg.topic, 'Z', PROTO_TOPIC_MAX);
    msg.number = UINT64_MAX;
    s_write ("proto", "SUBSCRIBE-bounds", buf, s_encode (&msg, buf));
    s_msg_fixture (PROTO_SUBSCRIBED, &msg);
    memset (msg.reason, 0, sizeof msg.reason);
    for (size_t i = 0; i + 4 <= PROTO_REASON_MAX; i += 4)
        memcpy (msg.reason + i, "\xf0\x9f\x93\x88", 4);
    s_write ("proto", "SUBSCRIBED-utf8", buf, s_encode (&msg, buf));
    s_msg_fixture (PROTO_ACCEPT, &msg);
    msg.number = UINT64_MAX, msg.credit = PROTO_CREDIT_MAX;
    s_write ("proto", "ACCEPT-bounds", buf, s_encode (&msg, buf));
    s_msg_fixture (PROTO_ERROR, &msg);
    msg.code = PROTO_E_MAX, msg.reason[0] = 0;
    s_write ("proto", "ERROR-empty-reason", buf, s_encode (&msg, buf));
    s_msg_fixture (PROTO_DIRECTORY, &msg);
    msg.number = 0;                  /* a node that holds no directory */
    s_write ("proto", "DIRECTORY-none", buf, s_encode (&msg, buf));
    msg.number = UINT64_MAX;
    s_write ("proto", "DIRECTORY-bounds", buf, s_encode (&msg, buf));
    s_msg_fixture (PROTO_OFFER, &msg);
    msg.doc_len = PROTO_DOC_MAX;
    memset (msg.doc, 0xc0, sizeof msg.doc);
    s_write ("proto", "OFFER-big-doc", buf, s_encode (&msg, buf));

    /* valid, not the shortest: int 8 and uint 64 for small values, str 8 */
    mp_t m;
    mp_init (&m);
    msgpack_pack_array (&m.pk, 4);
    mp_raw (&m, "\xd0\x01", 2);
    mp_u64wide (&m, PROTO_SUBSCRIBE);
    mp_str8 (&m, "apc/monthly");
    mp_raw (&m, "\xd3\x00\x00\x00\x00\x00\x00\x00\x07", 9);
    mp_done (&m, "proto", "SUBSCRIBE-wide");
    mp_init (&m);
    mp_raw (&m, "\xdc\x00\x04\x01\x06", 5); /* array 16 */
    msgpack_pack_bin (&m.pk, PROTO_ID_BYTES);
    msgpack_pack_bin_body (&m.pk, SPEC_DATASET, PROTO_ID_BYTES);
    mp_raw (&m, "\xcd\x00\x40", 3);
    mp_done (&m, "proto", "CREDIT-wide");

    /* refused */
    s_msg_fixture (PROTO_SUBSCRIBE, &msg);
    len = s_encode (&msg, buf);
    buf[1] = 2; /* version 2 */
    s_write ("proto", "version-2", buf, len);
    buf[1] = 1, buf[2] = PROTO_MSG_MAX + 1;
    s_write ("proto", "unknown-id", buf, len);
    buf[2] = PROTO_SUBSCRIBE, buf[len] = 0xc0;
    s_write ("proto", "trailing-nil", buf, len + 1);
    buf[0] = 0x95; /* five elements, one field too many */
    s_write ("proto", "extra-field", buf, len + 1);
    s_write ("proto", "c1", "\x92\x01\xc1", 3);
    s_write ("proto", "array-bomb", "\xdd\xff\xff\xff\xff\x01\x01", 7);
    s_write ("proto", "map-bomb", "\xdf\x7f\xff\xff\xff\x01\x01", 7);
    s_write ("proto", "str-bomb", "\x93\x01\x01\xdb\xff\xff\xff\xff", 8);
    s_write ("proto", "nested", "\x94\x01\x01\x91\x91\x91\x91\x91\x91\x90\x00", 11);
    s_write ("proto", "ext", "\x94\x01\x01\xd4\x01\x01\xc7\x01\x02\x03", 10);
    s_write ("proto", "floats", "\x94\x01\x01\xca\x00\x00\x00\x00\xcb\0\0\0\0\0\0\0\0", 17);
    s_write ("proto", "negative-number",
             "\x94\x01\x01\xab"
             "apc/monthly\xff",
             16);
    s_write ("proto", "topic-dot", "\x94\x01\x01\xa4.foo\x00", 9);
    s_write ("proto", "reason-control", "\x94\x01\x02\xa1x\xa3\x61\x1b\x62", 9);
    s_write ("proto", "reason-overlong", "\x94\x01\x02\xa1x\xa3\x61\xc0\xaf", 9);
    s_write ("proto", "reason-bidi", "\x94\x01\x02\xa1x\xa3\xe2\x80\xae", 9);
    s_write ("proto", "not-array", "\x82\x01\x01\x02\x02", 5);
    s_write ("proto", "short-array", "\x91\x01", 2);
}

/* ---- control frames ------------------------------------------------------ */

/* One frame F into DIR/control/seed-NAME, and variants: cut short, a byte
   more, the length one too large. */
static void s_control_frame (const char *name, const ctl_frame_t *f)
{
    static uint8_t buf[CTL_HEADER + CTL_PAYLOAD_MAX + 1];
    size_t n = ctl_encode (f, buf, sizeof buf);
    if (n == 0) s_die ("control", name);
    s_write ("control", name, buf, n);
    char v[96];
    snprintf (v, sizeof v, "%s-truncated", name);
    s_write ("control", v, buf, n - 1);
    buf[3]++;
    snprintf (v, sizeof v, "%s-longer", name);
    buf[n] = 0;
    s_write ("control", v, buf, n + 1);
}

static void s_control (void)
{
    ctl_frame_t f = {.type = CTL_REQUEST, .version = CTL_VERSION, .argc = 6, .envc = 2,
                     .argv = {"publish", "--topic", "sus/apc", "--class", "aggregate", "apc.csv"},
                     .envv = {"CDX_CWD=/home/pub1", "COLUMNS=120"}};
    s_control_frame ("request", &f);
    f.version = 2;
    s_control_frame ("request-v2", &f);
    f.version = CTL_VERSION, f.argc = 1, f.envc = 0;
    s_control_frame ("request-one", &f);
    s_control_frame ("reply-ok", &(ctl_frame_t) {.type = CTL_REPLY, .word = 0, .id = 1, .text = "/home/ana1/out.csv"});
    s_control_frame ("reply-refused", &(ctl_frame_t) {.type = CTL_REPLY, .word = 13, .text = "Permission denied"});
    s_control_frame ("open-in", &(ctl_frame_t) {.type = CTL_OPEN_IN, .word = CTL_IN_NOFOLLOW, .text = "apc.csv"});
    s_control_frame ("open-out", &(ctl_frame_t) {.type = CTL_OPEN_OUT, .word = 0600, .text = "out.csv"});
    s_control_frame ("mkdir", &(ctl_frame_t) {.type = CTL_MKDIR, .text = "backup"});
    s_control_frame ("commit", &(ctl_frame_t) {.type = CTL_COMMIT, .word = 1});
    s_control_frame ("retract", &(ctl_frame_t) {.type = CTL_RETRACT, .word = 1});
    s_control_frame ("exit", &(ctl_frame_t) {.type = CTL_EXIT, .word = 4});
    /* A conversation: open, commit, exit, one after another. */
    uint8_t conv[512];
    size_t at = 0;
    at += ctl_encode (&(ctl_frame_t) {.type = CTL_OPEN_OUT, .word = 0600, .text = "o"}, conv + at, sizeof conv - at);
    at += ctl_encode (&(ctl_frame_t) {.type = CTL_COMMIT, .word = 1}, conv + at, sizeof conv - at);
    at += ctl_encode (&(ctl_frame_t) {.type = CTL_EXIT, .word = 0}, conv + at, sizeof conv - at);
    s_write ("control", "conversation", conv, at);
    /* Strings not ended, an unknown type, a length over the limit, argc 0. */
    static const uint8_t unended[] = {0, 0, 0, 3, CTL_OPEN_IN, 0, 0, 0};
    s_write ("control", "open-in-short", unended, sizeof unended);
    static const uint8_t unknown[] = {0, 0, 0, 0, 9};
    s_write ("control", "unknown-type", unknown, sizeof unknown);
    static const uint8_t huge[] = {0, 1, 0, 1, CTL_REQUEST};
    s_write ("control", "over-limit", huge, sizeof huge);
    static const uint8_t argc0[] = {0, 0, 0, 12, CTL_REQUEST, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    s_write ("control", "argc-zero", argc0, sizeof argc0);
}

int main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s DIR (with proto/, manifest/, receipt/, agreement/ and control/ in it)\n", argv[0]);
        return 2;
    }
    s_dir = argv[1];
    s_documents ();
    s_agreements ();
    s_messages ();
    s_control ();
    return 0;
}
