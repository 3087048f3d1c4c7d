/*  fuzz_control: hostile bytes on the control socket against ctl_header
    and ctl_parse (node/ctlframe.h).

    Any local login can connect to a running node's control socket, so the
    request server's children parse what it sends before anything else.
    The input is taken as a stream of frames, as a connection carries
    them: each header, then its payload parsed by type. The property: a
    frame that parses encodes back to the identical bytes (the format has
    one encoding per frame), every string it gives lies inside the
    payload, and its counts are within the limits. Not for: descriptors
    (SCM_RIGHTS), sockets.
*/
#include "ctlframe.h"
#include "fuzz.h"

#include <string.h>

static void s_inside (const char *s, const uint8_t *p, size_t len)
{
    if (s && ((const uint8_t *) s < p || (const uint8_t *) s + strlen (s) >= p + len))
        FUZZ_FAIL ("a parsed string lies outside its payload");
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ctl_frame_t f;
    static uint8_t again[CTL_HEADER + CTL_PAYLOAD_MAX];
    char err[256];
    while (size >= CTL_HEADER) {
        uint32_t len;
        ctl_type_t type;
        if (ctl_header (data, &len, &type) != 0)
            return 0;
        if (len > size - CTL_HEADER)
            return 0;
        const uint8_t *p = data + CTL_HEADER;
        if (ctl_parse (type, p, len, &f, err, sizeof err) == 0) {
            if (f.type == CTL_REQUEST) {
                if (f.argc < 1 || f.argc > CTL_ARGC_MAX || f.envc > CTL_ENVC_MAX || f.version != CTL_VERSION)
                    FUZZ_FAIL ("a request outside its limits: argc %u envc %u", f.argc, f.envc);
                for (uint32_t i = 0; i < f.argc; i++)
                    s_inside (f.argv[i], p, len);
                for (uint32_t i = 0; i < f.envc; i++)
                    if (!strchr (f.envv[i], '='))
                        FUZZ_FAIL ("a variable without =");
            }
            s_inside (f.text, p, len);
            size_t n = ctl_encode (&f, again, sizeof again);
            if (n != CTL_HEADER + len || memcmp (again, data, n) != 0)
                FUZZ_FAIL ("a frame of type %d (%u bytes) encodes as %zu other bytes", (int) type, len, n);
        }
        data += CTL_HEADER + len;
        size -= CTL_HEADER + len;
    }
    return 0;
}
