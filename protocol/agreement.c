/*  agreement.c: topic patterns, purposes and class order of a data sharing
    agreement (see agreement.h). The lists were checked by the decoder;
    these functions only read them. */
#include "agreement.h"

#include <string.h>

int agreement_class_rank (const char *class_)
{
    return proto_class_rank (class_);
}

/* Calls MATCH for each comma-separated item of LIST; 1 if one matched. */
static int s_any (const char *list, const char *want, int star)
{
    size_t wlen = strlen (want);
    const char *p = list;
    while (p && *p) {
        const char *end = strchr (p, ',');
        size_t len = end ? (size_t) (end - p) : strlen (p);
        if (star && len > 0 && p[len - 1] == '*') {
            if (wlen >= len - 1 && memcmp (p, want, len - 1) == 0)
                return 1;
        } else if (len == wlen && memcmp (p, want, len) == 0) {
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int agreement_covers_topic (const char *patterns, const char *topic)
{
    return patterns && topic && *topic && s_any (patterns, topic, 1);
}

int agreement_lists_purpose (const char *purposes, const char *purpose)
{
    return purposes && purpose && *purpose && s_any (purposes, purpose, 0);
}
