/*  fuzz_card: hostile identity cards against card_parse.

    Cards come from other organisations by mail or a file share, and
    `cdx peer add` parses one before it checks its signature. The format
    has exactly one text per card, so the property is strict: a card that
    parses leaves no stale reason in card_error(), formats back to the identical bytes, its signed
   prefix is what card_format_body writes, and parsing that text again gives the same card. Not for:
   signatures or trust.
*/
#include "card.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static card_t c, c2;
    static char text[CARD_MAX_BYTES + 1], body[CARD_MAX_BYTES + 1];
    size_t len = 0, body_len = 0, signed_len = 0, signed_len2 = 0;

    (void)card_valid_org (""); /* leaves a reason that a success must clear */
    if (card_parse ((const char *)data, size, &c, &signed_len) != 0) return 0;
    if (card_error ()[0] != 0) FUZZ_FAIL ("parsed, yet a reason is set: %s", card_error ());
    if (card_format (&c, text, sizeof text, &len) != 0)
        FUZZ_FAIL ("card parsed but does not format: %s", card_error ());
    if (len != size || memcmp (text, data, size) != 0)
        FUZZ_FAIL ("card formats as %zu different bytes (input %zu)", len, size);
    if (card_format_body (&c, body, sizeof body, &body_len) != 0)
        FUZZ_FAIL ("card body does not format: %s", card_error ());
    if (body_len != signed_len || memcmp (body, data, body_len) != 0)
        FUZZ_FAIL ("signed prefix of %zu bytes, body of %zu", signed_len, body_len);
    if (card_parse (text, len, &c2, &signed_len2) != 0 || signed_len2 != signed_len ||
        memcmp (&c, &c2, sizeof c) != 0)
        FUZZ_FAIL ("card differs after a round trip");
    return 0;
}
