/*  fuzz_manifest: hostile manifests against proto_manifest_decode.

    A manifest arrives inside OFFER, and its signature is checked over the
    exact bytes, so the decoder sees it before anyone knows who wrote it.
    Property: an accepted manifest re-encodes, decodes to the identical
    struct, and its encoding is canonical (encoding again gives the same
    bytes), and the bounds of SPEC.md section 7 hold. Not for: signatures.
*/
#include "fuzz.h"
#include "proto.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static proto_manifest_t m, m2;
    static uint8_t buf[PROTO_DOC_MAX], buf2[PROTO_DOC_MAX];
    size_t len = 0, len2 = 0;

    if (proto_manifest_decode (data, size, &m) != PROTO_OK) return 0;
    if (proto_manifest_encode (&m, buf, sizeof buf, &len) != 0)
        FUZZ_FAIL ("manifest decoded but does not re-encode: %s", proto_error ());
    proto_err_t rc = proto_manifest_decode (buf, len, &m2);
    if (rc != PROTO_OK)
        FUZZ_FAIL ("manifest re-encoding refused (%d): %s", (int)rc, proto_error ());
    if (memcmp (&m, &m2, sizeof m) != 0) FUZZ_FAIL ("manifest differs after a round trip");
    if (proto_manifest_encode (&m2, buf2, sizeof buf2, &len2) != 0 || len2 != len ||
        memcmp (buf, buf2, len) != 0)
        FUZZ_FAIL ("manifest encoding is not canonical");
    if (m.chunk_size == 0 || m.chunk_size > PROTO_CHUNK_MAX)
        FUZZ_FAIL ("chunk_size %u accepted", (unsigned)m.chunk_size);
    if (m.chunks != m.bytes / m.chunk_size + (m.bytes % m.chunk_size != 0))
        FUZZ_FAIL ("inconsistent chunk count accepted");
    if (m.version < 1 || m.version > INT64_MAX || m.bytes > INT64_MAX || m.chunks > INT64_MAX)
        FUZZ_FAIL ("a size beyond 2^63-1 accepted (SPEC.md section 7)");
    return 0;
}
