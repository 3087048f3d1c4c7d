/*  node: a cdx node, composed of its keys (crypto), its store and the wire
    (protocol over ZeroMQ).

    This is the library the command line drives: create a node's home, open
    it, manage peers, publish, subscribe, export, and run the node's event
    loop (node_run) that exchanges datasets with peers.

    Not for: argument parsing or printing (tools/), and it never calls exit().
    Errors: 0 / -1 (or NULL) with the reason in node_error() or ERR.
*/
#ifndef NODE_H_INCLUDED
#define NODE_H_INCLUDED

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define NODE_ERR_MAX 512

typedef struct node node_t;

typedef struct {
    const char *home;        /* directory to create (must not hold a node) */
    const char *org;         /* ODS code */
    const char *role;        /* csu | ccg */
    const char *name;        /* display name */
    const char *endpoint;    /* tcp://HOST:PORT the node binds and peers reach */
    const char *node;        /* the node's label, one of several of the org (SPEC.md 9.2), or NULL */
} node_init_t;

/* Creates a node's home: keys/ (three key files, 0600), store.db, data/.
   Refuses if HOME already holds a node. */
int node_init (const node_init_t *opts, char *err, size_t errlen);

/* 0 if the values of OPTS are in their grammar and vocabulary (an ODS
   code, csu or ccg, an endpoint, a name); -1 with the reason in ERR: a
   bad command line (exit 2), checked before anything is made. node_init
   checks them too. */
int node_init_check (const node_init_t *opts, char *err, size_t errlen);

/* Why node_open failed, where a caller reacts differently. */
typedef enum {
    NODE_OPEN_FAILED = 1,    /* keys or store unreadable, out of memory */
    NODE_OPEN_NOHOME,        /* no node at HOME: cdx init */
    NODE_OPEN_REFUSED,       /* a rule refused the user (audited) */
    NODE_OPEN_INVALID        /* a value given is out of its grammar */
} node_open_why_t;

/* Opens an existing node home (keys and store), the user acting being
   the real account running this process (node_user). NULL on failure, with the reason in ERR and
   *WHY (may be NULL) saying which kind. A home this account may not read
   fails (NODE_OPEN_FAILED) saying "cannot read HOME: permission denied",
   whose it is and what to do, never that there is no node. */
node_t *node_open (const char *home, node_open_why_t *why, char *err, size_t errlen);

/* node_open with LOGIN as the user acting: the front end says who it is
   (the login running a command directly, or the caller of the control
   socket as the kernel identified it); no environment variable can
   change it. */
node_t *node_open_as (const char *home, const char *login, node_open_why_t *why, char *err, size_t errlen);

/* For a server that opens the node ahead of a request (the control
   socket's warmed child): checks the home again (as node_open does) and
   makes LOGIN the user acting, with its roles. 0, or -1 (node_error). */
int node_act_as (node_t *n, const char *login);

/* What a command asks for, recorded in the audit entry of a refusal as
   in that of the action allowed: the user acting missing the role
   (role.missing). */
typedef struct {
    const char *action;      /* "export", "publish", ... */
    const char *object;      /* a dataset id (recorded as "TOPIC vN ID" when this node holds it),
                                a topic; NULL: none */
    const char *peer;        /* the other organisation, NULL: none */
    const char *purpose;     /* the purpose claimed, NULL: none */
    const char *note;        /* put before the reason, e.g. "file PATH"; NULL: none */
} node_claim_t;

void node_close (node_t **n_p);
const char *node_error (const node_t *n);
/* 1 if the last failure was a refusal by a rule (a role, a purpose), which
   the audit log records; 0 if it failed for another reason. */
int node_refused (const node_t *n);
/* 1 if the last failure was a value given by the caller out of its
   grammar, vocabulary or range (an org code, topic, purpose, reference,
   login, a length or a number): refused before anything was done or
   audited. The command line's exit code 2. */
int node_invalid (const node_t *n);
const char *node_org (const node_t *n);
/* This node's address (SPEC.md 9.2): its org code, or ORG/LABEL for a
   labelled node (cdx init --node LABEL). */
const char *node_address (const node_t *n);
const char *node_home (const node_t *n);

/* The real local account running this process (getpwuid (geteuid ())).
   The user acting on a node, and so named in its audit log, is
   node_login() (access control, below). */
const char *node_user (void);

/* This node's signing public key as 64 hex digits (and a NUL). */
void node_sign_key_hex (const node_t *n, char out[65]);

/* Writes this node's signed identity card (text) into BUF. */
int node_card (node_t *n, char *buf, size_t cap);

/* Verifies a card (layout and self-signature) and stores the peer as
   pinned; or, given a certificate (cdx-cert), verifies it with the
   trusted authority's key and stores the peer as certified. A card for an
   organisation the authority certified with other keys is refused
   (trust.wrong-key). OUT (may be NULL) receives the stored peer. */
int node_peer_add (node_t *n, const char *text, size_t len, store_peer_t *out);

/* ---- trust: the national authority and its directory (node/trust.c) ---

   A node may trust one national authority (its authority file, cert.h).
   The authority's signed directory then makes peers "certified": their
   ORG, keys, DSPT status and certificate end come from it. ZAP admits a
   certified peer only while its certificate is current and not revoked;
   hand pins (node_peer_add with a card) stay possible and are recorded as
   such. Every refusal is audited with a rule: trust.uncertified,
   trust.expired, trust.revoked, trust.wrong-key, trust.directory-old,
   trust.directory-forged, trust.directory-expired, trust.no-authority. */

/* After a directory's expiry a node still accepts it, for this long, so
   that the network keeps working while the authority is unreachable.
   Already admitted peers keep working on their own certificates. */
#define NODE_DIRECTORY_GRACE (7 * 86400)   /* seconds */

/* Records the authority file TEXT as the one this node trusts. Refuses an
   altered file, or a different authority when one is already trusted. */
int node_trust_authority (node_t *n, const char *text, size_t len);

typedef struct {
    uint64_t serial;          /* the directory's serial */
    int64_t expires;
    int certified;            /* peers added or renewed from it */
    int revoked;              /* peers newly revoked by it */
    int refused;              /* certificates refused (wrong key) */
} node_directory_result_t;

/* Verifies a signed directory with the trusted authority's key and, if it
   is newer than the one held, applies it in one transaction: peers become
   certified (DSPT and expiry filled), revoked keys are marked. FROM names
   the source for the audit log ("file" or a peer's org). -1 if refused
   (node_error; audited with its rule), RESULT (may be NULL) filled on
   success. A running node on this home is kicked. */
int node_directory_import (node_t *n, const char *text, size_t len, const char *from,
                           node_directory_result_t *result);

/* The directory this node holds (serial 0 if none), and its expiry. */
int node_directory_held (node_t *n, uint64_t *serial, int64_t *expires);

/* A peer is barred when it is revoked, or certified with a certificate
   that has ended (at NOW). RULE (may be NULL) receives the rule's name. */
int node_peer_barred (const store_peer_t *p, int64_t now, const char **rule);
/* 1 if P is a node of this node's own organisation: a sibling (SPEC.md
   9.2, 11.5), certified by the directory, never pinned by hand. */
int node_peer_sibling (const node_t *n, const store_peer_t *p);

/* ---- the authority's own side (node/authority.c) -------------------- */

/* Creates an authority home: its Ed25519 key (0600), the authority file
   (authority.pub) that nodes trust, its serial counters. */
int node_authority_init (const char *home, const char *name, char *err, size_t errlen);

typedef struct {
    const char *card;         /* the node's card, as text */
    size_t card_len;
    const char *dspt;         /* standards-exceeded | standards-met | ... */
    const char *dspt_year;    /* 2025/26 */
    int days;                 /* validity from now, 0 = 365 */
    const char *not_before;   /* or explicit times (YYYY-MM-DDTHH:MM:SSZ), NULL = from days */
    const char *not_after;
} node_certify_t;

/* Issues a certificate for a card (its self-signature verified) into OUT.
   *REFUSED is set when a rule refused it (altered card, revoked key, a
   key certified for another node). A card of the same org and label as
   an earlier one replaces it; another label adds a sibling. -1 with the reason in ERR. */
int node_authority_certify (const char *home, const node_certify_t *o, char *out, size_t cap, int *refused,
                            char *err, size_t errlen);

/* What to revoke: exactly one of ORG (every node of the organisation),
   NODE (one node, by its address ORG or ORG/LABEL) or KEY (the signing
   key with that fingerprint); REASON may be NULL. */
typedef struct {
    const char *org;
    const char *node;
    const char *key;
    const char *reason;
} node_revoke_t;

/* Revokes the certified keys O names. *COUNT receives how many keys. */
int node_authority_revoke (const char *home, const node_revoke_t *o, int *count, char *err, size_t errlen);

/* A certificate the authority issued, as cdx authority list shows it. */
typedef struct {
    char address[15];         /* the node's: ORG or ORG/LABEL */
    char org[17];
    char node[9];
    char role[8];
    char name[121];
    char fingerprint[17];     /* of its signing key */
    uint64_t serial;
    int64_t not_after;
    const char *state;        /* current | replaced (a newer one of the node) | revoked | expired */
} node_issued_t;
typedef int (node_issued_fn) (const node_issued_t *c, void *arg);

/* Calls FN for every certificate issued, by serial; stops if FN returns
   non-zero. 0, or -1 with the reason in ERR. */
int node_authority_list (const char *home, node_issued_fn *fn, void *arg, char *err, size_t errlen);

/* Signs a new directory (the next serial) of every current certificate
   and every revocation, expiring in DAYS (0 = 7) or at EXPIRES. *OUT is
   malloc'd (caller frees). */
int node_authority_directory (const char *home, int days, const char *expires, char **out, size_t *len,
                              uint64_t *serial, char *err, size_t errlen);

/* Replaces this node's three key pairs with new ones and signs a new card
   (CARD_OUT, may be NULL). The old keys are kept in keys/old/: content
   keys wrapped for the old box key (datasets received or queued before)
   stay readable, and older audit checkpoints still verify. Refuses while
   the node runs. Peers learn the new keys from the authority's next
   directory (certify the new card) or from the new card pinned again. */
int node_keys_rotate (node_t *n, char *card_out, size_t cap);

/* The files a command names, opened by the front end with the rights of
   whoever runs the command (directly, or as the caller of the control
   socket: tools/cli.h): the node never opens a path a user named. Each is
   asked for where the operation would have opened it, so a refusal still
   comes before the file is touched. */
typedef struct node_outfile node_outfile_t;
typedef struct {
    /* PATH open for reading: a descriptor (the caller closes it), ABS its
       absolute path for the record; -1 with errno and the reason in ERR. */
    int (*open_in) (void *arg, const char *path, char *abs, size_t abscap, char *err, size_t errlen);
    /* A new output for PATH (outfile.h: refused if it exists, named at
       commit); NULL with the reason in ERR. */
    node_outfile_t *(*open_out) (void *arg, const char *path, unsigned mode, char *err, size_t errlen);
    void *arg;
} node_files_t;

/* Progress callback for long operations: done and total bytes. */
typedef void (node_progress_fn) (uint64_t done, uint64_t total, void *arg);

typedef struct {
    const char *path;        /* plaintext file to publish, as named */
    const char *abs_path;    /* ... made absolute, for the audit log (NULL: PATH) */
    const node_files_t *files;   /* opens PATH */
    const char *topic;
    const char *class_;      /* aggregate | pseudonymised | identifiable */
    const char *purpose;     /* commissioning | invoice-validation | risk-stratification */
    const char *kind;        /* NULL or "new", "supersedes", "correction" */
    int64_t retention;       /* seconds until undelivered copies expire; 0 = default */
    const char *legal_basis; /* NULL/"": none (refused for identifiable data) */
    const char *opt_out;     /* yes | not-identifiable | statutory-exemption; NULL: not-identifiable
                                unless identifiable (then refused) */
    const char *agreement;   /* NULL, or the agreement this data was received under: onward
                                sharing, refused unless that agreement allows it */
    node_progress_fn *progress;
    void *progress_arg;
} node_publish_t;

#define NODE_RETENTION_DEFAULT (14 * 86400)   /* seconds */
#define NODE_RETENTION_MAX (3650 * 86400)     /* seconds: the longest delivery window */

/* Seals and signs a new version of TOPIC, stores it and queues it for
   every active subscriber. ID_OUT receives the dataset id (hex), VERSION
   (may be NULL) its version. Works whether or not the node is running. */
int node_publish (node_t *n, const node_publish_t *p, char id_out[33], int64_t *version);

/* ---- copies of what is published, at siblings (node/copies.c) ------- */

#define NODE_SIBLINGS_MAX 16

/* This node's siblings now (SPEC.md 11.5): the certified nodes of its
   own organisation that are neither revoked nor expired, by address. */
typedef struct {
    int count;
    char address[NODE_SIBLINGS_MAX][15];
} node_siblings_t;

/* The siblings into OUT (the first NODE_SIBLINGS_MAX by the store's
   order). 0, or -1 (node_error). */
int node_siblings (node_t *n, node_siblings_t *out);

/* Inside the caller's transaction: a copy of dataset ID queued for each
   sibling but EXCEPT (an address, or NULL: a delivery whose subscriber is
   its address), their number in QUEUED. 0, or -1 (node_error; the caller
   rolls back). */
int node_copies_queue (node_t *n, const char *id, const char *except, int *queued);

/* Inside the caller's transaction: a delivery of this organisation's
   dataset ID queued for each active subscriber of TOPIC, their number in
   QUEUED. 0, or -1 (node_error). */
int node_subscribers_queue (node_t *n, const char *id, const char *topic, int *queued);

/* Inside the caller's transaction, once D is held here, from FROM (a
   sibling's address, or NULL): the copies for the other siblings, and
   for this organisation's own data its deliveries (SPEC.md 11.5). 0, or
   -1 (node_error). */
int node_copies_hold (node_t *n, const store_dataset_t *d, const char *from, int *copies, int *deliveries);

/* The copies of a dataset: how many siblings have receipted one (HELD),
   and the addresses of those that have not (MISSING). */
typedef struct {
    int held;
    int missing_count;
    char missing[NODE_SIBLINGS_MAX][15];
} node_copies_t;

/* The copies of dataset ID as the store has them now. 0, or -1. */
int node_copies_held (node_t *n, const char *id, node_copies_t *out);


/* The addresses in C->missing as "A, B" into BUF (CAP bytes). */
void node_copies_missing (const node_copies_t *c, char *buf, size_t cap);

/* Records a subscription request to TOPIC at the peer ORG; the running node
   sends it. FROM_VERSION 0 asks for the latest version only. */
int node_subscribe (node_t *n, const char *org, const char *topic, int64_t from_version);

/* Ends a subscription. As subscriber (ORG is the publisher): the running
   node tells the publisher, which cancels what it has not delivered. As
   publisher (AS_PUBLISHER set, ORG is the subscriber): ends it here and
   cancels pending deliveries of TOPIC to ORG. */
int node_unsubscribe (node_t *n, const char *org, const char *topic, int as_publisher);

/* Finds the dataset of TOPIC at VERSION from PUBLISHER (NULL: any; the
   newest if VERSION is 0) and writes its id into ID_OUT. */
int node_find (node_t *n, const char *publisher, const char *topic, int64_t version, char id_out[33]);

/* The fewest digits of a dataset id taken as its prefix (as git takes a
   short hash). */
#define NODE_ID_PREFIX_MIN 4
/* The dataset id TEXT stands for: a whole id (32 hex digits, taken as it
   is, held here yet or not), or the first NODE_ID_PREFIX_MIN or more
   digits of the one dataset here whose id starts with them (upper case
   accepted). Its id, in lower case, into ID_OUT. -1 (node_error): TEXT is
   not such digits, or several datasets start with it (node_invalid, the
   candidates named), or none does. */
int node_resolve_id (node_t *n, const char *text, char id_out[33]);

/* Decrypts and verifies dataset ID into OUT_PATH (created exclusively,
   0600), for the declared PURPOSE. Needs the analyst role and a purpose
   node_export_allowed() accepts. Recorded in the audit log, allowed or
   refused. */
int node_export (node_t *n, const char *id, const char *out_path, const char *purpose,
                 const node_files_t *files, node_progress_fn *progress, void *arg);

/* ---- data sharing agreements (node/agree.c) -----------------------------

   An agreement is a signed document (protocol/SPEC.md "Agreement") that
   both parties' nodes hold with both signatures; it is in force from its
   start to its end once both have signed, until either party revokes it.
   A running node sends its copy to the other party (AGREEMENT) and its
   revocations (REVOKE) until the other has them. Every step is audited. */
typedef struct {
    const char *ref;           /* reference id, e.g. DSA-0DF-04V-2026-01 */
    const char *provider;      /* org code; one of provider/recipient is this node */
    const char *provider_ig;   /* IG lead, in words */
    const char *recipient;
    const char *recipient_ig;
    const char *controller;    /* NULL/"": the provider */
    const char *controller_ig;
    const char *topics;        /* comma-separated patterns, e.g. apc/ followed by '*' */
    const char *class_;        /* the highest class allowed */
    const char *purposes;      /* comma-separated, from the purposes vocabulary */
    const char *art6, *art9, *duty;   /* legal basis: Article 6, Article 9, common-law duty */
    int opt_out;               /* 1: National Data Opt-outs must have been applied */
    int64_t start, end;        /* unix seconds; end > start */
    int retention_days;        /* at the recipient */
    int onward;                /* 1: the recipient may share onward */
    const char *conditions;    /* special conditions, or NULL */
} node_agreement_t;

/* The longest retention an agreement may set at the recipient. */
#define NODE_AGREEMENT_RETENTION_MAX 36500   /* days */

/* Makes agreement A, signs it as this node's party and stores it (not in
   force until the other party signs). Refuses a field out of its
   vocabulary, grammar or length, naming it and its limit (node_invalid);
   a field is never cut to fit. */
int node_agreement_propose (node_t *n, const node_agreement_t *a);

/* Takes an agreement as it travels (an AGREEMENT message's header frame:
   the file cdx agreement propose -o writes), verifies the signatures it
   carries against the parties' keys, merges them into any copy held here
   and, with SIGN set, adds this node's signature. REF_OUT (65 bytes, may
   be NULL) receives its reference. */
int node_agreement_import (node_t *n, const uint8_t *msg, size_t len, int sign, char *ref_out);

/* Signs the agreement REF held here as this node's party. */
int node_agreement_sign (node_t *n, const char *ref);

/* Revokes agreement REF here at once; the running node tells the other
   party, where it takes effect when received. */
int node_agreement_revoke (node_t *n, const char *ref, const char *reason);

/* Encodes the agreement REF as an AGREEMENT message into BUF (CAP >=
   PROTO_HEADER_MAX); *LEN its size. */
int node_agreement_export (node_t *n, const char *ref, uint8_t *buf, size_t cap, size_t *len);

/* The state of an agreement at NOW: "proposed" (a signature missing),
   "revoked", "pending" (not started), "expired" or "in-force". */
const char *node_agreement_state (const store_agreement_t *a, int64_t now);
/* ---- local users and roles (node/access.c) ----------------------------

   Local users are operating-system logins; each holds any of these roles.
   cdx init makes the account that ran it admin only. Who acts is the
   login the front end opened the node as (node_open_as). */
enum {
    NODE_ROLE_ADMIN = 1,         /* peers, users, subscriptions, agreements, keys */
    NODE_ROLE_PUBLISHER = 2,     /* publish */
    NODE_ROLE_ANALYST = 4,       /* export, for a declared purpose */
    NODE_ROLE_IG = 8             /* the audit log, retention ("ig-officer") */
};

/* "admin", "publisher", "analyst", "ig-officer" for one role bit. */
const char *node_role_name (unsigned role);
/* "analyst,ig-officer" -> bits. -1 if a name is unknown or TEXT is empty. */
int node_roles_parse (const char *text, unsigned *out);
/* Bits -> "admin,analyst" (canonical order); "" for none. */
void node_roles_format (unsigned roles, char *buf, size_t cap);

/* The login acting, and the roles it holds on this node. */
const char *node_login (const node_t *n);
unsigned node_roles (const node_t *n);
/* "user:LOGIN (ROLE)" for an action allowed under ROLE; with ROLE 0,
   "user:LOGIN (the roles held)". */
void node_actor (const node_t *n, unsigned role, char *buf, size_t cap);

/* Checks that the user holds one of the roles in ANY before ACTION on
   OBJECT. Returns the role it holds (non-zero), or 0 after auditing the
   refusal (rule role.missing) and setting node_error to a message naming
   the role and the command an admin runs to grant it. */
unsigned node_authorize (node_t *n, unsigned any, const char *action, const char *object);

/* The export rules, all in one place: NULL if PURPOSE may be used for
   dataset D, else the name of the rule that refuses (node_error says
   why): a purpose is declared and it is the one D was published for; for
   data received from another organisation, an agreement with its
   publisher is in force today and covers D and PURPOSE (policy.c). */
const char *node_export_allowed (node_t *n, const store_dataset_t *d, const char *purpose);

/* Admin only. Adds the roles ADD to LOGIN (creating the user) and takes
   away REMOVE; DROP removes the user. Refuses to leave the node without
   an admin. Audited. 0, or -1 (node_error). */
int node_user_set (node_t *n, const char *login, unsigned add, unsigned remove, int drop);
/* 1 if LOGIN is a login name: 1 to 64 of letters, digits, . _ - (a final
   $ allowed), not starting with -. */
int node_valid_login (const char *login);

/* ---- the audit log (node/audit.c) -------------------------------------

   Entries are hash-chained by the store (BLAKE2b-256, store.h); the node
   signs checkpoints of the chain with its Ed25519 signing key, over
     "cdx-audit-checkpoint" NUL | org | seq (8 bytes, big-endian) | hash (32)
   A running node (node_run) signs one when it starts and stops and after
   every NODE_AUDIT_CHECKPOINT_EVERY entries, each time only after checking
   the entries since the previous checkpoint; cdx audit verify --checkpoint
   signs one after checking the whole log. */

#define NODE_AUDIT_CHECKPOINT_EVERY 100

/* Appends an audit entry (no purpose claimed). */
int node_audit (node_t *n, const char *actor, const char *action, const char *object,
                const char *peer, const char *decision, const char *rule,
                const char *fmt, ...) __attribute__ ((format (printf, 8, 9)));

/* Appends an audit entry with the purpose claimed (NULL or "": none). */
int node_audit_purpose (node_t *n, const char *actor, const char *action, const char *object,
                        const char *peer, const char *purpose, const char *decision,
                        const char *rule, const char *fmt, ...)
    __attribute__ ((format (printf, 9, 10)));

typedef enum {
    NODE_AUDIT_OK = 0,
    NODE_AUDIT_GAP,              /* entries missing: deleted */
    NODE_AUDIT_HASH,             /* an entry does not match its hash: edited or inserted */
    NODE_AUDIT_MOVED,            /* an entry was written at another seq: reordered */
    NODE_AUDIT_CHECKPOINT_SIG,   /* a checkpoint's signature does not verify */
    NODE_AUDIT_CHECKPOINT_HASH,  /* the chain differs from a signed checkpoint: rewritten */
    NODE_AUDIT_TRUNCATED,        /* a signed checkpoint covers entries that are gone */
    NODE_AUDIT_UNREADABLE        /* a row cannot be read at all */
} node_audit_problem_t;

typedef struct {
    int64_t entries;             /* entries read */
    int64_t last_seq;            /* seq of the last entry read, 0 if none */
    uint8_t last_hash[32];
    int64_t checkpoints;         /* signed checkpoints that verified */
    int64_t checkpoint_seq;      /* the last of them, 0 if none */
    uint8_t checkpoint_hash[32];
    int64_t uncovered;           /* entries after it: not yet covered (information) */
    node_audit_problem_t problem;/* NODE_AUDIT_OK, or the first problem found */
    int64_t seq;                 /* where: the first entry (or checkpoint) at fault */
    int64_t other;               /* MOVED: the seq it was written as; GAP: the last missing */
    char reason[384];            /* the problem in words */
} node_audit_report_t;

/* A short name for a problem ("gap", "hash", ...), for --json. */
const char *node_audit_problem_name (node_audit_problem_t p);

/* Walks the whole log in seq order and checks every link of the chain and
   every checkpoint against this node's signing key; stops at the first
   problem, which REPORT describes. With CHECKPOINT set and no problem,
   then signs a checkpoint of the last entry checked. 0 when REPORT says
   what was found (problem or not); -1 if the check could not be done
   (node_error). */
int node_audit_verify (node_t *n, int checkpoint, node_audit_report_t *report);

/* ---- listings (node/listing.c) -----------------------------------------

   What a front end lists, row by row, in the store's order: FN is called
   for each row and returns non-zero to stop. Each checks the caller's
   role where the rows are not for every user of the node: the users
   (admin or ig-officer, as action user-list) and the audit log
   (ig-officer, as audit-read); a refusal is audited, an allowed read is
   not written into the log it reads. The rows are the store's records.
   Each returns 0, FN's non-zero value, or -1 (node_error; node_refused
   when a role was refused, before FN was called). */
typedef int (node_peer_fn) (const store_peer_t *p, void *arg);
typedef int (node_dataset_fn) (const store_dataset_t *d, void *arg);
typedef int (node_sub_fn) (const store_sub_t *s, void *arg);
typedef int (node_retention_fn) (const store_retention_t *r, void *arg);
typedef int (node_agreement_fn) (const store_agreement_t *a, void *arg);
typedef int (node_user_fn) (const store_user_t *u, void *arg);
typedef int (node_audit_fn) (const store_audit_t *e, void *arg);

int node_list_peers (node_t *n, node_peer_fn *fn, void *arg);          /* by org */
int node_list_datasets (node_t *n, node_dataset_fn *fn, void *arg);
int node_list_subscriptions (node_t *n, node_sub_fn *fn, void *arg);
int node_list_retention (node_t *n, node_retention_fn *fn, void *arg);
int node_list_agreements (node_t *n, node_agreement_fn *fn, void *arg);
int node_list_users (node_t *n, node_user_fn *fn, void *arg);          /* admin or ig-officer */
int node_list_audit (node_t *n, node_audit_fn *fn, void *arg);         /* ig-officer; in seq order */

/* One row by its key: 0 with *OUT filled, 1 if there is none, -1
   (node_error). */
int node_dataset_get (node_t *n, const char *id, store_dataset_t *out);
int node_user_get (node_t *n, const char *login, store_user_t *out);
int node_agreement_get (node_t *n, const char *ref, store_agreement_t *out);

/* IG officer only (a refusal is audited as audit-verify): node_audit_verify. */
int node_audit_check (node_t *n, int checkpoint, node_audit_report_t *report);

/* ---- signed audit exports and reconciliation (node/reconcile.c) ------- */

/* IG officer only (a refusal is audited). Writes this node's whole audit
   log into PATH (a new file, mode 0600) as a signed export, format
   cdx-audit-export/1 (protocol/auditexport.h), and audits the export.
   *ENTRIES receives how many entries it holds. 0, or -1 (node_error,
   node_refused); nothing is left at PATH on failure. */
int node_audit_export (node_t *n, const char *path, const node_files_t *files, int64_t *entries);

typedef struct {
    char kind[24];           /* sent-not-received | received-not-sent | hash-differs */
    char from[17], to[17];   /* the direction of the transfer: sender, recipient */
    char dataset[33];
    char object[129];        /* topic vN id */
    char our_hash[65];       /* as this node holds it, "" if it holds nothing */
    char their_hash[65];     /* as the peer's log says, "" if nothing or not logged */
} node_mismatch_t;

typedef void (node_reconcile_fn) (const node_mismatch_t *m, void *arg);

typedef struct {
    char peer[17];
    int64_t entries;         /* in the peer's export */
    int64_t sent;            /* our deliveries to the peer with a signed receipt */
    int64_t received;        /* datasets we hold (or erased) from the peer */
    int mismatches;
} node_reconcile_t;

/* IG officer only. Verifies that TEXT is an export signed by a pinned
   peer with the key pinned for it (else refused, audited), then compares
   this node's sends and receipts with that peer's receives and deliveries
   and calls FN for each mismatch. The outcome is audited. 0 when the
   comparison was made (SUMMARY->mismatches says how it went), -1 if
   refused or failed (node_error, node_refused). */
int node_audit_reconcile (node_t *n, const char *text, size_t len, node_reconcile_fn *fn, void *arg,
                          node_reconcile_t *summary);

/* ---- retention of content (node/retention.c) --------------------------- */

/* IG officer only. Content of datasets of TOPIC received from PUBLISHER
   is destroyed SECONDS after it began to arrive (held ones included).
   With PUBLISHER this node: the sealed copy of each version of TOPIC it
   published is destroyed SECONDS after publication (deliveries not
   completed by then expire), or, with DELIVERED set, as soon as every
   delivery of the version has ended and a newer version exists, SECONDS
   being then the longest it is kept. DELIVERED for another publisher is
   refused (node_invalid). Audited. 0, or -1 (node_error). */
int node_retention_set (node_t *n, const char *publisher, const char *topic, int64_t seconds,
                        int delivered);
#define NODE_KEEP_MAX ((int64_t)36500 * 86400)   /* seconds: the longest period, 100 years */

/* The rule R in words, for listings and the audit log. */
void node_retention_describe (const node_t *n, const store_retention_t *r, char *buf, size_t cap);

/* The retention that applies to dataset D: 1 with the rule in words in
   BUF (may be NULL) and *ERASE_AT the time it is destroyed at the latest
   (unix seconds); 0 if it is kept (no rule), -1 (node_error). */
int node_retention_of (node_t *n, const store_dataset_t *d, char *buf, size_t cap,
                       int64_t *erase_at);

/* Erases every dataset whose retention has ended, received or published
   here: the content file and the wrapped content key go, the metadata
   stays (state erased); each erasure is audited (action erase). The running node calls
   it. *NEXT (may be NULL) receives the next deadline (unix seconds), 0 if
   none. Returns how many were erased, or -1 (node_error). */
int node_retention_sweep (node_t *n, int64_t *next);

/* ---- what the running node says of its work (node/progress.c) --------- */

/* No progress recorded for this long: a transfer is shown as stalled. */
#define NODE_STALL_MS 5000

typedef struct {
    char topic[129];
    int64_t version;
    int64_t bytes;            /* the dataset's size */
    int64_t done;             /* acknowledged by the subscriber */
    int64_t session_bytes;    /* ... in the attempt under way alone */
    double rate;              /* bytes/s of that attempt, 0 unknown */
    int64_t eta;              /* seconds left at that rate, -1 unknown */
    int64_t stalled;          /* seconds since it last moved, -1 unknown */
    /* In words: sending, starting, stalled: no progress for N s, queued,
       offline, waiting for earlier versions, retrying, held, node not
       running (cdx run), refused: RULE, or the state (delivered, failed,
       expired, superseded, cancelled). */
    char status[160];
    int copy;                 /* 1: a copy to a sibling, its subscriber an address (SPEC.md 11.5) */
} node_delivery_view_t;

/* Progress and status of delivery D, as the running node recorded them;
   RUNNING: node_running (). 0, or -1 (node_error). */
int node_delivery_view (node_t *n, const store_delivery_t *d, int running, node_delivery_view_t *v);

/* Calls FN for each delivery of DATASET (every delivery if NULL), oldest
   first. 0, FN's non-zero value, or -1 (node_error). */
int node_deliveries_of (node_t *n, const char *dataset, int (*fn) (const store_delivery_t *, void *),
                        void *arg);

/* 1 if the running node is connected to peer P now, 0 if not, -1 if no
   node runs (unknown); *LAST_SEEN: when it last connected, was seen
   connected or lost the connection (unix seconds, 0 never). */
int node_peer_presence (node_t *n, const store_peer_t *p, int running, int64_t *last_seen);

/* The newest version of TOPIC (from PUBLISHER, or any if NULL) held here
   whole (available, published or erased) into *VERSION, 0 if none. 0, or
   -1 (node_error; a bad org or topic is node_invalid). */
int node_topic_newest (node_t *n, const char *publisher, const char *topic, int64_t *version);

/* The next version of TOPIC after AFTER: 2 if one is available (or
   published here: the lowest such), 1 if one is only arriving (OUT is
   it), 0 if none yet; -1 (node_error). */
int node_topic_next (node_t *n, const char *publisher, const char *topic, int64_t after,
                     store_dataset_t *out);

/* Asks a running node on this home to look at the store again (new peers,
   publishes, subscriptions). Does nothing if no node is running. */
void node_kick (node_t *n);

/* 1 if a node process is running on this home. */
int node_running (node_t *n);

/* ---- a failover drill (node/drill.c, SPEC.md 11.5) --------------------- */

#define NODE_DRILL_MAX_S 3600   /* the longest a drill keeps a node dark, seconds */

/* Where a drill is: asked (the running node has not taken it yet), dark
   (no peer reaches the node, it sends nothing), back (listening again,
   waiting for a sibling's FAILOVER), done (the outcome is in the audit
   log), refused (the running node would not start it: why in reason). */
typedef enum {
    NODE_DRILL_ASKED = 0,
    NODE_DRILL_DARK,
    NODE_DRILL_BACK,
    NODE_DRILL_DONE,
    NODE_DRILL_REFUSED
} node_drill_phase_t;

typedef struct {
    char id[17];              /* this request's */
    int64_t after_seq;        /* the audit log's last entry when it was asked */
    int64_t asked_ms;         /* unix ms */
    node_drill_phase_t phase;
    int64_t dark_s;           /* the dark time, seconds (known from dark on) */
    int64_t takeover_ms;      /* the running node's takeover time (dark on) */
    int64_t phase_at;         /* the phase began, unix ms */
    char reason[256];         /* refused */
    /* done: the outcome entry (action drill, rule sibling.drill) */
    int passed;               /* 1 allow, 0 refuse */
    int64_t ms;               /* passed: the takeover's time (FAILOVER's took); failed: the dark time */
    char by[17];              /* passed: the sibling that took over */
    int64_t deliveries;       /* passed: how many of this node's deliveries it took over */
    int64_t seq;              /* the entry's */
    char detail[513];
} node_drill_t;

/* Asks the running node for a failover drill: dark for SECONDS (0: its
   takeover time + 15 s), then back, waiting for a sibling's FAILOVER.
   Needs the admin role (a refusal is audited: drill, role.missing), a
   running node, and a sibling (a certified node of this organisation)
   connected; one drill at a time. The request is audited (drill,
   local.drill). 0 with D filled, or -1 (node_error; refused for the role:
   node_refused). */
int node_drill_ask (node_t *n, int64_t seconds, node_drill_t *d);
/* Looks at the drill D where it is now: D->phase and what it knows. 0,
   or -1 if the node stopped or the drill's state cannot be read
   (node_error). */
int node_drill_poll (node_t *n, node_drill_t *d);

/* The priorities of the running node's log lines (syslog's numbers, which
   the journal reads from a line's "<N>" prefix when stderr is its stream,
   JOURNAL_STREAM). */
enum { NODE_LOG_ERROR = 3, NODE_LOG_WARNING = 4, NODE_LOG_INFO = 6, NODE_LOG_DEBUG = 7 };
/* Lines of a priority below LEVEL (a higher number) are not written;
   NODE_LOG_INFO unless set. */
void node_set_log_level (node_t *n, int level);

/* Runs the node until *STOP becomes non-zero (set it from a signal
   handler: to the signal's number, which the stop entry names; a value
   that is not a signal's, like -1, names none). WAKE_FD, if not -1, is the
   read end of a pipe the same handler
   writes a byte to after setting *STOP (the self-pipe trick): the loop
   waits on it too, so a stop that lands just before the loop goes to sleep
   is acted on at once, not at the next timer; the node reads from it and
   does not close it. Binds BIND, or the card's endpoint if BIND is NULL (a
   node behind a proxy or NAT binds one address and is reached at
   another); answers ZAP, delivers and receives. 0 on a clean stop, -1 if
   it could not start. */
int node_run (node_t *n, const char *bind, volatile sig_atomic_t *stop, int wake_fd);

/* What else node_run_with does. */
typedef struct {
    const char *bind;        /* node_run's BIND */
    const char *metrics;     /* ADDR:PORT: serves Prometheus metrics on http://ADDR:PORT/metrics; NULL: none */
    int takeover_s;          /* a sibling unreachable this long has its deliveries taken over; 0: 15 */
} node_run_opts_t;

/* node_run with OPTS: a metrics address that cannot be bound fails it
   (-1, node_error), before it listens for peers. */
int node_run_with (node_t *n, const node_run_opts_t *opts, volatile sig_atomic_t *stop, int wake_fd);

/* 0 if TEXT is an address node_run_with serves metrics on: a numeric
   IPv4 address or a bracketed IPv6 one, a colon and a port 1-65535
   (127.0.0.1:9464, [::1]:9464); -1 with the reason in ERR. */
int node_metrics_check (const char *text, char *err, size_t errlen);

/* A subscription its publisher refused (ERROR DENIED, state refused) is
   asked for again this long after the refusal was recorded (its updated
   time), and at once when the node connects to the publisher, when a
   command changes the store here (an agreement proposed or signed) or
   when an agreement with the publisher changes. One still requested is
   sent again every 15 s while the publisher is connected. */
#define NODE_SUB_RETRY_REFUSED 300   /* seconds */

/* What fixes subscription SUB, which its publisher refused: in BUF a
   command line to run here (cdx agreement propose ...) or what must happen
   elsewhere. BUF, or NULL if SUB is not refused. */
const char *node_sub_fix (const node_t *n, const store_sub_t *sub, char *buf, size_t cap);

#endif
