/*  fuzz_cert: hostile certificates, directories and authority files
    against cert_parse, cert_dir_parse and cert_authority_parse.

    All three arrive from outside: a directory from a file or from a peer
    over the wire, a certificate handed over as a file, the authority file
    an operator imports. Every input is tried with each parser (the first
    line decides which can accept it). Each format has exactly one text per
    object, so the property is strict: whatever parses leaves no stale
    reason in cert_error() and formats back to the identical bytes; a
    directory's counts are what it holds. Not for: signatures or trust.
*/
#include "cert.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static cert_t c;
    static cert_authority_t a;
    static char text[CERT_MAX_BYTES + 1];
    size_t len = 0;
    const char *in = (const char *)data;

    (void)cert_valid_dspt (""); /* leaves a reason that a success must clear */
    if (cert_parse (in, size, &c) == 0) {
        if (cert_error ()[0] != 0) FUZZ_FAIL ("certificate parsed, yet a reason is set: %s", cert_error ());
        if (cert_format (&c, text, sizeof text, &len) != 0)
            FUZZ_FAIL ("certificate parsed but does not format: %s", cert_error ());
        if (len != size || memcmp (text, data, size) != 0)
            FUZZ_FAIL ("certificate formats as %zu different bytes (input %zu)", len, size);
    }
    (void)cert_valid_dspt ("");
    if (cert_authority_parse (in, size, &a) == 0) {
        if (cert_error ()[0] != 0) FUZZ_FAIL ("authority parsed, yet a reason is set: %s", cert_error ());
        if (cert_authority_format (&a, text, sizeof text, &len) != 0)
            FUZZ_FAIL ("authority parsed but does not format: %s", cert_error ());
        if (len != size || memcmp (text, data, size) != 0)
            FUZZ_FAIL ("authority formats as %zu different bytes (input %zu)", len, size);
    }
    cert_dir_t d;
    (void)cert_valid_dspt ("");
    if (cert_dir_parse (in, size, &d) == 0) {
        char *out = NULL;
        if (cert_error ()[0] != 0) FUZZ_FAIL ("directory parsed, yet a reason is set: %s", cert_error ());
        if (d.ncerts > CERT_DIR_MAX_CERTS || d.nrevoked > CERT_DIR_MAX_REVOKED)
            FUZZ_FAIL ("directory holds %zu certificates and %zu revocations", d.ncerts, d.nrevoked);
        if (cert_dir_format (&d, &out, &len) != 0)
            FUZZ_FAIL ("directory parsed but does not format: %s", cert_error ());
        if (len != size || memcmp (out, data, size) != 0)
            FUZZ_FAIL ("directory formats as %zu different bytes (input %zu)", len, size);
        free (out);
        cert_dir_free (&d);
    } else if (d.certs || d.revoked || d.ncerts || d.nrevoked) {
        FUZZ_FAIL ("a refused directory was left holding memory");
    }
    return 0;
}
