/*  fuzz_agreement: hostile data sharing agreements against
    proto_agreement_decode.

    An agreement arrives inside AGREEMENT from a peer, or in a file another
    organisation sends (cdx agreement sign FILE); the node decodes it before
    it verifies the signatures. Property: an accepted agreement re-encodes,
    decodes to the identical struct, its encoding is canonical, and its
    cross-field rules hold (end after start, two different parties). Not
    for: signatures.
*/
#include "fuzz.h"
#include "proto.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static proto_agreement_t a, a2;
    static uint8_t buf[PROTO_DOC_MAX], buf2[PROTO_DOC_MAX];
    size_t len = 0, len2 = 0;

    if (proto_agreement_decode (data, size, &a) != PROTO_OK) return 0;
    if (a.end <= a.start || strcmp (a.provider, a.recipient) == 0)
        FUZZ_FAIL ("agreement accepted with end <= start or one party twice");
    if (proto_agreement_encode (&a, buf, sizeof buf, &len) != 0)
        FUZZ_FAIL ("agreement decoded but does not re-encode: %s", proto_error ());
    proto_err_t rc = proto_agreement_decode (buf, len, &a2);
    if (rc != PROTO_OK) FUZZ_FAIL ("agreement re-encoding refused (%d): %s", (int)rc, proto_error ());
    if (memcmp (&a, &a2, sizeof a) != 0) FUZZ_FAIL ("agreement differs after a round trip");
    if (proto_agreement_encode (&a2, buf2, sizeof buf2, &len2) != 0 || len2 != len ||
        memcmp (buf, buf2, len) != 0)
        FUZZ_FAIL ("agreement encoding is not canonical");
    return 0;
}
