/*  errf.c: a reason written into the caller's buffer, for the files of
    node/ that have no node to hold it (node_init, the authority's side,
    the checks of a home before it is opened).

    Not for: a node's own reason (node_fail, core.c).
*/
#include <stdarg.h>
#include <stdio.h>

#include "errf.h"

int node_errf (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, errlen, fmt, ap);
        va_end (ap);
    }
    return -1;
}
