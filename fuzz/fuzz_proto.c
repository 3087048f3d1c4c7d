/*  fuzz_proto: hostile header frames against proto_decode.

    Property: a frame that decodes re-encodes (the encoder accepts all the
    decoder accepts), and the re-encoding decodes to the identical message;
    the re-encoding is also the canonical form, so encoding it again gives
    the same bytes. Not for: documents inside messages (fuzz_manifest,
    fuzz_receipt).
*/
#include "fuzz.h"
#include "proto.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static proto_msg_t m, m2; /* large: keep them off the stack */
    static uint8_t buf[PROTO_HEADER_MAX], buf2[PROTO_HEADER_MAX];
    size_t len = 0, len2 = 0;

    if (proto_decode (data, size, &m) != PROTO_OK) return 0;
    if (proto_error ()[0] != 0) FUZZ_FAIL ("decoded, yet a reason is set: %s", proto_error ());
    if (proto_encode (&m, buf, sizeof buf, &len) != 0)
        FUZZ_FAIL ("%s decoded but does not re-encode: %s", proto_name (m.id), proto_error ());
    if (len > size) FUZZ_FAIL ("%s re-encodes longer (%zu > %zu)", proto_name (m.id), len, size);
    proto_err_t rc = proto_decode (buf, len, &m2);
    if (rc != PROTO_OK)
        FUZZ_FAIL ("%s re-encoding refused (%d): %s", proto_name (m.id), (int)rc, proto_error ());
    /* A message is re-encoded in the version it is sent in (a version 2
       header of SUBSCRIBE comes back as version 1: SPEC.md 15). */
    if (m2.version != proto_msg_version (m.id))
        FUZZ_FAIL ("%s re-encoded in version %u", proto_name (m.id), (unsigned)m2.version);
    m2.version = m.version;
    if (memcmp (&m, &m2, sizeof m) != 0)
        FUZZ_FAIL ("%s differs after a round trip", proto_name (m.id));
    m2.version = proto_msg_version (m.id);
    if (proto_encode (&m2, buf2, sizeof buf2, &len2) != 0 || len2 != len ||
        memcmp (buf, buf2, len) != 0)
        FUZZ_FAIL ("%s: encoding is not canonical", proto_name (m.id));
    if (proto_has_payload (m.id) != (m.id == PROTO_CHUNK || m.id == PROTO_DIRECTORY))
        FUZZ_FAIL ("%s: payload flag", proto_name (m.id));
    return 0;
}
