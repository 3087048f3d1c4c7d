/*  json.c: JSON strings as cdx writes them, strict UTF-8 (see json.h). */
#include "json.h"

size_t json_utf8 (const unsigned char *s, uint32_t *cp)
{
    size_t more;
    uint32_t c, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0)
        more = 1, c = s[0] & 0x1F, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        more = 2, c = s[0] & 0x0F, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        more = 3, c = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t k = 1; k <= more; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return more + 1;
}

void json_string (FILE *f, const char *s)
{
    fputc ('"', f);
    const unsigned char *p = (const unsigned char *) (s ? s : "");
    while (*p) {
        uint32_t c;
        size_t len = json_utf8 (p, &c);
        if (len == 0) {
            fputs ("\\ufffd", f);              /* not UTF-8: JSON cannot carry it */
            p++;
            continue;
        }
        if (c == '"' || c == '\\')
            fprintf (f, "\\%c", (char) c);
        else if (c == '\n')
            fputs ("\\n", f);
        else if (c == '\r')
            fputs ("\\r", f);
        else if (c == '\t')
            fputs ("\\t", f);
        else if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029)
            fprintf (f, "\\u%04x", (unsigned) c);
        else
            fwrite (p, 1, len, f);
        p += len;
    }
    fputc ('"', f);
}
