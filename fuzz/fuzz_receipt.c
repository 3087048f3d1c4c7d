/*  fuzz_receipt: hostile receipts against proto_receipt_decode.

    A receipt arrives inside RECEIPT from a subscriber; the publisher
    decodes it before it verifies the signature. Property: an accepted
    receipt re-encodes, decodes to the identical struct, and its encoding
    is canonical. Not for: signatures.
*/
#include "fuzz.h"
#include "proto.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static proto_receipt_t r, r2;
    static uint8_t buf[PROTO_DOC_MAX], buf2[PROTO_DOC_MAX];
    size_t len = 0, len2 = 0;

    if (proto_receipt_decode (data, size, &r) != PROTO_OK) return 0;
    if (proto_receipt_encode (&r, buf, sizeof buf, &len) != 0)
        FUZZ_FAIL ("receipt decoded but does not re-encode: %s", proto_error ());
    proto_err_t rc = proto_receipt_decode (buf, len, &r2);
    if (rc != PROTO_OK) FUZZ_FAIL ("receipt re-encoding refused (%d): %s", (int)rc, proto_error ());
    if (memcmp (&r, &r2, sizeof r) != 0) FUZZ_FAIL ("receipt differs after a round trip");
    if (proto_receipt_encode (&r2, buf2, sizeof buf2, &len2) != 0 || len2 != len ||
        memcmp (buf, buf2, len) != 0)
        FUZZ_FAIL ("receipt encoding is not canonical");
    return 0;
}
