/*  spec_examples.h: the example messages and documents of protocol/SPEC.md
    section 18, one definition for everything that needs a valid one: the
    golden vectors and round trips of check_protocol (tests/) and the seed
    corpus that fuzz/make_seeds.c writes. A change here changes the golden
    vectors, which SPEC.md pins: it is a wire change, not a new fixture.

    The values are SPEC.md's: dataset 00 01 ... 0f, publisher 0DF,
    recipient 04V, topic apc/monthly, signatures and keys as fill patterns
    (SPEC_PAT in spec_vectors.h names the same patterns for real keys).
    Not for: cards and certificates (text: check_protocol_card.c,
    check_cert.c), nor anything outside tests/ and fuzz/.
*/
#ifndef SPEC_EXAMPLES_H_INCLUDED
#define SPEC_EXAMPLES_H_INCLUDED

#include "proto.h"

#include <stddef.h>
#include <stdint.h>

/* The dataset id of every example: 00 01 02 ... 0f. */
extern const uint8_t SPEC_DATASET[PROTO_ID_BYTES];

/* P[0..N) as FIRST, FIRST+1, ... (wrapping), the fill of every example's
   signatures, hashes and keys. */
void spec_fill (uint8_t *p, size_t n, uint8_t first);

/* The manifest of SPEC.md 18.3, the receipt of 18.8 and the agreement of
   18.14, into the caller's struct (zeroed first). Never fail. */
void spec_example_manifest (proto_manifest_t *m);
void spec_example_receipt (proto_receipt_t *r);
void spec_example_agreement (proto_agreement_t *a);

/* The example of message ID (SPEC.md 18.1 to 18.15: what the golden
   vectors encode) into M, zeroed first: 0, or -1 if ID has no example
   (every id of messages.def has one: check_protocol holds it to that) or
   a document it carries did not encode (the reason in proto_error ()). */
int spec_example_msg (int id, proto_msg_t *m);

#endif
