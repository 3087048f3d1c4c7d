/*  newest.c: the newest-wins rule of the settings siblings share (see
    newest.h).

    Not for: applying a setting (settings.c).
*/
#include <string.h>

#include "newest.h"

int newest_wins (int64_t updated_a, const char *origin_a, int64_t updated_b, const char *origin_b)
{
    if (updated_a != updated_b)
        return updated_a > updated_b;
    return strcmp (origin_a, origin_b) > 0;
}
