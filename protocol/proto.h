/*  proto: the cdx wire codec (protocol/SPEC.md is the authority; this code
    follows it).

    One table lists every message, its fields, their msgpack types and their
    bounds (messages.def, beside this file); proto_encode and proto_decode
    walk it, so adding a message is adding a line there. The signed
    documents that travel inside messages (the dataset manifest, the data
    sharing agreement, the delivery receipt) are encoded here too.
    (proto.c: messages; document.c: documents; field.c, prescan.c and
    vocab.c: what both share.)

    Decoding checks every type, length and bound before use and never asserts
    on input: anything malformed is refused through one path with an error
    code (proto_err_t) and a reason. Not for: sockets, crypto, storage.

    A message on the wire is one ZeroMQ frame holding a msgpack array
        [ version, message-id, field1, field2, ... ]
    optionally followed by one payload frame (CHUNK and DIRECTORY have one).
*/
#ifndef PROTO_H_INCLUDED
#define PROTO_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION          1u            /* the header version of messages 1 to 12 */
#define PROTO_VERSION_MAX      3u            /* the newest version spoken */
#define PROTO_V2_FIRST         13u           /* version 2 adds the messages from this id on */
#define PROTO_V3_FIRST         14u           /* and version 3 those from this id on */
#define PROTO_KIND_MAX         16u           /* SETTING's kind */
#define PROTO_ADDR_MAX         14u           /* a node's address: ORG or ORG/LABEL */
#define PROTO_HEADER_MAX       8192u         /* largest header frame */
#define PROTO_TOPIC_MAX        128u          /* bytes, excluding NUL */
#define PROTO_ORG_MAX          16u
#define PROTO_REASON_MAX       256u
#define PROTO_ID_BYTES         16u           /* dataset id */
#define PROTO_SIG_BYTES        64u
#define PROTO_WRAPPED_BYTES    80u
#define PROTO_HASH_BYTES       32u
#define PROTO_DOC_MAX          4096u         /* signed manifest / receipt */
#define PROTO_CHUNK_MAX        (1u << 20)    /* plaintext bytes per chunk */
#define PROTO_PAYLOAD_MAX      (PROTO_CHUNK_MAX + 16u) /* sealed chunk */
#define PROTO_CREDIT_MAX       64u           /* chunks granted at once */
#define PROTO_REF_MAX          64u           /* agreement reference */
#define PROTO_BASIS_MAX        200u          /* a legal basis, in words */

/* The message ids (messages.def: fields, payload, sender, sockets). */
typedef enum {
#define FIELD(...)
#define MSG(id, name, ...) PROTO_##name = id,
#include "messages.def"
#undef MSG
    PROTO_MSG_MAX = 0
#define MSG(...) + 1
#include "messages.def"
#undef MSG
#undef FIELD
} proto_id_t;

/* The header version message ID is sent in: the first version that has
   it (1 for ids 1 to 12, 2 for RESEND, 3 for the messages of siblings). */
unsigned proto_msg_version (unsigned id);

/* Error codes carried by ERROR and returned by proto_decode. */
typedef enum {
    PROTO_OK              = 0,
    PROTO_E_MALFORMED     = 1,   /* not msgpack, wrong type, out of bounds */
    PROTO_E_VERSION       = 2,   /* protocol version not supported */
    PROTO_E_UNKNOWN       = 3,   /* unknown message id */
    PROTO_E_STATE         = 4,   /* valid message, wrong time */
    PROTO_E_DENIED        = 5,   /* refused by policy (not subscribed, ...) */
    PROTO_E_SIGNATURE     = 6,   /* manifest or receipt signature invalid */
    PROTO_E_CHUNK         = 7,   /* chunk failed authentication */
    PROTO_E_HASH          = 8,   /* content hash differs from manifest */
    PROTO_E_UNKNOWN_DATASET = 9, /* dataset id not known here */
    PROTO_E_INTERNAL      = 10,  /* receiver cannot proceed now; retry later */
    PROTO_E_MAX           = 10
} proto_err_t;

/* A decoded message. Only the fields listed for ID in the table are
   meaningful; proto_decode zeroes the rest. Fixed-size: no ownership. */
typedef struct {
    uint8_t  id;                                /* proto_id_t */
    uint32_t version;                           /* as received */
    char     topic[PROTO_TOPIC_MAX + 1];        /* SUBSCRIBE, SUBSCRIBED */
    uint64_t number;                            /* from-version / next chunk / index */
    uint8_t  dataset[PROTO_ID_BYTES];           /* OFFER .. RECEIPT, ERROR */
    uint32_t credit;                            /* ACCEPT, CREDIT */
    uint32_t code;                              /* ERROR */
    char     reason[PROTO_REASON_MAX + 1];      /* SUBSCRIBED status, ERROR */
    uint8_t  doc[PROTO_DOC_MAX];                /* OFFER manifest, RECEIPT body */
    size_t   doc_len;
    uint8_t  sig[PROTO_SIG_BYTES];              /* OFFER, RECEIPT */
    uint8_t  wrapped[PROTO_WRAPPED_BYTES];      /* OFFER */
    uint8_t  sig2[PROTO_SIG_BYTES];             /* AGREEMENT: the recipient's signature */
    uint8_t  hash[PROTO_HASH_BYTES];            /* REVOKE: the agreement's hash */
    char     kind[PROTO_KIND_MAX + 1];          /* SETTING: sub, unsub, retention */
    char     org[6];                            /* SETTING: the publisher */
    uint64_t value;                             /* SETTING */
    uint64_t updated;                           /* SETTING: when made, at its origin */
    char     node[PROTO_ADDR_MAX + 1];          /* SETTING: its origin; FAILOVER: taken over from */
    uint64_t since;                             /* FAILOVER: unreachable since, ms */
    uint64_t took;                              /* FAILOVER: ms until the takeover */
    uint64_t count;                             /* FAILOVER: deliveries taken over */
} proto_msg_t;

/* Which fields each message uses, in wire order: messages.def; what each
   means in it (number is a from-version in SUBSCRIBE, a chunk index in
   CHUNK, ...; SUBSCRIBED's reason is its status): SPEC.md section 6. */

/* Encodes M into BUF (capacity CAP); *LEN receives the size. -1 if a field
   is out of bounds or CAP is too small (a programmer error: reason in
   proto_error()). */
int proto_encode (const proto_msg_t *m, uint8_t *buf, size_t cap, size_t *len);

/* Decodes one header frame. Returns PROTO_OK (0) or the error code that
   the receiver should send back; proto_error() says why in words. */
proto_err_t proto_decode (const uint8_t *buf, size_t len, proto_msg_t *m);

/* 1 if messages with this id are followed by a payload frame. */
int proto_has_payload (uint8_t id);

/* Who sends a message (messages.def's FROM; SPEC.md section 6). */
typedef enum {
    PROTO_FROM_NONE = 0,       /* not a message id */
    PROTO_FROM_SUBSCRIBER = 1, /* subscriber -> publisher */
    PROTO_FROM_PUBLISHER = 2,  /* publisher -> subscriber */
    PROTO_FROM_EITHER = 3,     /* either party -> the other */
    PROTO_FROM_SIBLING = 4     /* a node -> another node of its organisation */
} proto_from_t;

/* The two sockets a message arrives on (SPEC.md section 3), as flags. */
typedef enum {
    PROTO_ROUTER = 1, /* the node's own ROUTER: what a peer initiates */
    PROTO_DEALER = 2  /* the node's DEALER to a peer: answers, and what that peer sends back */
} proto_socket_t;

/* Who sends messages with id ID; PROTO_FROM_NONE for an unknown id. */
proto_from_t proto_sender (int id);

/* 1 if a valid message with id ID arriving on socket S is one a node acts
   on there (SPEC.md section 3, messages.def's ACCEPTED_ON), else 0 (an
   unknown id, a negative one, or a message not taken on S). For the event
   loop's dispatch: on the ROUTER, a message this refuses is answered with
   ERROR(STATE), except ERROR itself, which is accepted on the DEALER only
   and MUST NOT be answered anywhere (log it); on a DEALER, a message this
   refuses is logged and never answered. Whether it is welcome at this
   point of a conversation is the state machines' question, not this one.
   Pure: never fails, sets no reason. */
int proto_accepted_on (int id, proto_socket_t s);

/* "SUBSCRIBE" ..., or "UNKNOWN". */
const char *proto_name (uint8_t id);
/* "MALFORMED" ..., or "UNKNOWN". */
const char *proto_err_name (uint32_t code);
/* The reason for the last failure in this thread. */
const char *proto_error (void);

/* ---- grammars and vocabularies, for callers that take values from people -- */

/* 0 if TOPIC is a topic: 1 to PROTO_TOPIC_MAX bytes of [A-Za-z0-9._/-], not
   starting with '/' or '.'; else -1 with the reason (printable ASCII: a
   refused byte is shown in hex) in proto_error(). */
int proto_topic_ok (const char *topic);
/* The same for an agreement reference: 1 to PROTO_REF_MAX bytes, the
   topic grammar. */
int proto_ref_ok (const char *ref);
/* 0 if TEXT is at most MAX bytes of text a person can read (strict UTF-8,
   no control characters, line separators or bidirectional controls: the
   rule of every free-text field on the wire); else -1 with the reason in
   proto_error(), WHAT naming the field. */
int proto_text_ok (const char *what, const char *text, size_t max);
/* 1 if PURPOSE is in the purposes vocabulary (purposes.def), else 0. */
int proto_purpose_known (const char *purpose);
/* The vocabulary as "commissioning, invoice-validation, ...", for messages. */
const char *proto_purposes_list (void);

/* The data classes (classes.def), least disclosive first. */
typedef enum {
#define X(id, name) PROTO_CLASS_##id,
#include "classes.def"
#undef X
    PROTO_CLASSES
} proto_class_t;
/* 1 if CLASS_ is a data class, else 0 (also for NULL). */
int proto_class_known (const char *class_);
/* CLASS_'s proto_class_t (0 aggregate, 1 pseudonymised, 2 identifiable);
   -1 for anything else, NULL included. */
int proto_class_rank (const char *class_);
/* "aggregate, pseudonymised, identifiable", for messages; proto_classes_or
   the same with "or" before the last. Static strings, never freed. */
const char *proto_classes_list (void);
const char *proto_classes_or (void);

/* The National Data Opt-out statuses of a manifest (opt_outs.def). */
typedef enum {
#define X(id, name) PROTO_OPT_OUT_##id,
#include "opt_outs.def"
#undef X
    PROTO_OPT_OUTS
} proto_opt_out_t;
/* 1 if OPT_OUT is one of them, else 0 (also for NULL). */
int proto_opt_out_known (const char *opt_out);
/* OPT_OUT's proto_opt_out_t; -1 for anything else, NULL included. */
int proto_opt_out_id (const char *opt_out);
/* "yes, not-identifiable, statutory-exemption", and the same with "or". */
const char *proto_opt_outs_list (void);
const char *proto_opt_outs_or (void);

/* The DSPT statuses of a certificate (dspt.def). */
typedef enum {
#define X(id, name, meets) PROTO_DSPT_##id,
#include "dspt.def"
#undef X
    PROTO_DSPTS
} proto_dspt_t;
/* 1 if DSPT is one of them, else 0 (also for NULL). */
int proto_dspt_known (const char *dspt);
/* 1 if DSPT is a status that meets or exceeds the standards, else 0. */
int proto_dspt_meets (const char *dspt);
/* "standards-exceeded, standards-met, ...", and the same with "or". */
const char *proto_dspts_list (void);
const char *proto_dspts_or (void);

/* ---- the manifest: what a publisher signs about a dataset --------------
   Encoded as a msgpack map with string keys (SPEC.md "Manifest"); the
   signature is over the exact encoded bytes, which travel as they are. */
typedef struct {
    uint32_t format;                           /* =1 */
    uint8_t  dataset[PROTO_ID_BYTES];
    char     publisher[PROTO_ORG_MAX + 1];     /* ODS code */
    char     topic[PROTO_TOPIC_MAX + 1];
    uint64_t version;                          /* >= 1 */
    char     class_[16];                       /* classes.def */
    char     purpose[64];
    char     filename[128];                    /* base name, informational */
    uint64_t bytes;                            /* plaintext size */
    uint32_t chunk_size;                       /* 1 .. PROTO_CHUNK_MAX */
    uint64_t chunks;                           /* = ceil(bytes / chunk_size), 0 if empty */
    uint8_t  hash[PROTO_HASH_BYTES];           /* BLAKE2b-256 of plaintext */
    int64_t  created;                          /* unix seconds, UTC */
    /* Governance (SPEC.md "Manifest"): checked by the nodes' policy, not
       here, beyond their form. */
    char     legal_basis[PROTO_BASIS_MAX + 1];  /* "" when none is claimed */
    char     opt_out[24];                       /* opt_outs.def */
    char     agreement[PROTO_REF_MAX + 1];      /* received under it (onward sharing), or "" */
} proto_manifest_t;

int proto_manifest_encode (const proto_manifest_t *m, uint8_t *buf, size_t cap, size_t *len);
/* Checks every field and the consistency of bytes/chunk_size/chunks. */
proto_err_t proto_manifest_decode (const uint8_t *buf, size_t len, proto_manifest_t *m);

/* ---- the receipt: what a subscriber signs on completion ---------------- */
typedef struct {
    uint32_t format;                           /* =1 */
    uint8_t  dataset[PROTO_ID_BYTES];
    uint8_t  hash[PROTO_HASH_BYTES];           /* content hash it verified */
    char     recipient[PROTO_ORG_MAX + 1];     /* its ODS code */
    uint8_t  recipient_key[32];                /* its signing public key */
    int64_t  received;                         /* unix seconds, UTC */
} proto_receipt_t;

int proto_receipt_encode (const proto_receipt_t *r, uint8_t *buf, size_t cap, size_t *len);
proto_err_t proto_receipt_decode (const uint8_t *buf, size_t len, proto_receipt_t *r);

/* ---- the data sharing agreement: what both parties sign ------------------
   A msgpack map with string keys (SPEC.md "Agreement"). Lists (topics,
   purposes) are comma-separated inside one str. Each party signs the exact
   encoded bytes with its node's signing key. */
#define PROTO_IG_MAX           120u
#define PROTO_TOPICS_MAX       512u
#define PROTO_PURPOSES_MAX     200u
#define PROTO_CONDITIONS_MAX   1024u

typedef struct {
    uint32_t format;                            /* =1 */
    char     ref[PROTO_REF_MAX + 1];            /* reference id, topic rule */
    char     provider[PROTO_ORG_MAX + 1];       /* sends the data */
    char     provider_ig[PROTO_IG_MAX + 1];     /* its IG lead */
    char     recipient[PROTO_ORG_MAX + 1];      /* receives it */
    char     recipient_ig[PROTO_IG_MAX + 1];
    char     controller[PROTO_ORG_MAX + 1];     /* "" when the provider is the controller */
    char     controller_ig[PROTO_IG_MAX + 1];
    char     topics[PROTO_TOPICS_MAX + 1];      /* comma-separated topic patterns */
    char     class_[16];                        /* the highest class allowed */
    char     purposes[PROTO_PURPOSES_MAX + 1];  /* "commissioning,risk-stratification" */
    char     art6[PROTO_BASIS_MAX + 1];         /* UK GDPR Article 6 basis */
    char     art9[PROTO_BASIS_MAX + 1];         /* Article 9 condition, "" if none */
    char     duty[PROTO_BASIS_MAX + 1];         /* common-law duty of confidentiality basis */
    uint32_t opt_out;                           /* 1: National Data Opt-outs must be applied */
    int64_t  start;                             /* in force from (unix seconds) */
    int64_t  end;                               /* ... until, exclusive; > start */
    uint32_t retention_days;                    /* at the recipient, 1 .. 36500 */
    uint32_t onward;                            /* 1: the recipient may share onward */
    char     conditions[PROTO_CONDITIONS_MAX + 1]; /* special conditions, text */
    int64_t  created;
} proto_agreement_t;

int proto_agreement_encode (const proto_agreement_t *a, uint8_t *buf, size_t cap, size_t *len);
proto_err_t proto_agreement_decode (const uint8_t *buf, size_t len, proto_agreement_t *a);

#endif
