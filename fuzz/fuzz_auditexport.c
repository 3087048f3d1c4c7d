/*  fuzz_auditexport: hostile audit exports against auditexport_parse
    (protocol/auditexport.h).

    A peer's audit export (cdx audit export) is read by cdx audit
    reconcile before its signature is checked. Properties: an accepted
    export has a signed prefix that ends at the comma before its
    "signature" member, inside the input; every entry has an action; and
    parsing the same bytes again gives the same result. Not for: the
    signature itself (node/reconcile.c checks it against the pinned key).
*/
#include "fuzz.h"
#include "auditexport.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    auditexport_t x, y;
    char err[256];
    if (auditexport_parse ((const char *)data, size, &x, err, sizeof err) != 0) {
        if (!err[0]) FUZZ_FAIL ("refused without a reason");
        return 0;
    }
    if (x.body_len == 0 || x.body_len >= size || data[x.body_len] != ',')
        FUZZ_FAIL ("signed prefix of %zu bytes does not end at the signature's comma", x.body_len);
    if (!memchr (x.org, 0, sizeof x.org) || !x.org[0])
        FUZZ_FAIL ("org not a terminated, non-empty string");
    for (size_t i = 0; i < x.count; i++)
        if (!x.entries[i].action[0] || !memchr (x.entries[i].detail, 0, sizeof x.entries[i].detail))
            FUZZ_FAIL ("entry %zu has no action or an unterminated detail", i);
    if (auditexport_parse ((const char *)data, size, &y, err, sizeof err) != 0)
        FUZZ_FAIL ("the same bytes parsed once and then refused: %s", err);
    if (y.count != x.count || y.body_len != x.body_len || memcmp (y.sig, x.sig, 64) != 0 ||
        (x.count && memcmp (x.entries, y.entries, x.count * sizeof *x.entries) != 0))
        FUZZ_FAIL ("two parses of the same bytes differ");
    auditexport_free (&x);
    auditexport_free (&y);
    return 0;
}
