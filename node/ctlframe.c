/*  ctlframe.c: the control socket's frames as bytes (ctlframe.h,
    docs/CONTROL.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctlframe.h"

static int s_bad (char *err, size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static int s_bad (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, errlen, fmt, ap);
        va_end (ap);
    }
    return -1;
}

static uint32_t s_get32 (const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void s_put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8), p[3] = (uint8_t) v;
}

int ctl_header (const uint8_t hdr[CTL_HEADER], uint32_t *len, ctl_type_t *type)
{
    *len = s_get32 (hdr);
    *type = (ctl_type_t) hdr[4];
    return *len <= CTL_PAYLOAD_MAX && hdr[4] >= CTL_REQUEST && hdr[4] <= CTL_EXIT ? 0 : -1;
}

/* The string at *AT in P[0..LEN): it must end (NUL) inside. */
static const char *s_string (const uint8_t *p, size_t len, size_t *at)
{
    if (*at >= len)
        return NULL;
    const uint8_t *end = memchr (p + *at, 0, len - *at);
    if (!end)
        return NULL;
    const char *s = (const char *) p + *at;
    *at = (size_t) (end - p) + 1;
    return s;
}

int ctl_parse (ctl_type_t type, const uint8_t *p, size_t len, ctl_frame_t *f, char *err, size_t errlen)
{
    memset (f, 0, sizeof *f);
    f->type = type;
    size_t at = 0, words = type == CTL_REQUEST ? 3 : type == CTL_REPLY ? 2 : type == CTL_MKDIR ? 0 : 1;
    if (len > CTL_PAYLOAD_MAX || len < 4 * words)
        return s_bad (err, errlen, "a frame of type %d too short or long (%zu bytes)", (int) type, len);
    uint32_t w[3] = {0, 0, 0};
    for (size_t i = 0; i < words; i++)
        w[i] = s_get32 (p + 4 * i);
    at = 4 * words;
    switch (type) {
    case CTL_REQUEST:
        f->version = w[0], f->argc = w[1], f->envc = w[2];
        if (f->version != CTL_VERSION)
            return s_bad (err, errlen, "control protocol version %u (this cdx speaks %d): run the same cdx "
                          "as the node", f->version, CTL_VERSION);
        if (f->argc < 1 || f->argc > CTL_ARGC_MAX || f->envc > CTL_ENVC_MAX)
            return s_bad (err, errlen, "a request of %u arguments and %u variables (1 to %d, at most %d)",
                          f->argc, f->envc, CTL_ARGC_MAX, CTL_ENVC_MAX);
        for (uint32_t i = 0; i < f->argc + f->envc; i++) {
            const char *s = s_string (p, len, &at);
            if (!s)
                return s_bad (err, errlen, "a request's string %u is not ended", i);
            if (i < f->argc)
                f->argv[i] = s;
            else if (!strchr (s, '='))
                return s_bad (err, errlen, "a request's variable %u is not NAME=VALUE", i - f->argc);
            else
                f->envv[i - f->argc] = s;
        }
        break;
    case CTL_REPLY:
        f->word = w[0], f->id = w[1];
        if (!(f->text = s_string (p, len, &at)))
            return s_bad (err, errlen, "a reply's text is not ended");
        break;
    case CTL_OPEN_IN:
    case CTL_OPEN_OUT:
    case CTL_MKDIR:
        f->word = w[0];
        if (!(f->text = s_string (p, len, &at)) || !f->text[0])
            return s_bad (err, errlen, "a file request's path is empty or not ended");
        break;
    case CTL_COMMIT:
    case CTL_RETRACT:
    case CTL_EXIT:
        f->word = w[0];
        break;
    default:
        return s_bad (err, errlen, "unknown frame type %d", (int) type);
    }
    if (at != len)
        return s_bad (err, errlen, "%zu bytes after the end of a frame of type %d", len - at, (int) type);
    return 0;
}

/* Appends S and its NUL at *AT. 0, or -1 if it does not fit CAP. */
static int s_put_string (uint8_t *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen (s) + 1;
    if (n > cap - *at)
        return -1;
    memcpy (buf + *at, s, n);
    *at += n;
    return 0;
}

size_t ctl_encode (const ctl_frame_t *f, uint8_t *buf, size_t cap)
{
    if (cap > CTL_HEADER + CTL_PAYLOAD_MAX)
        cap = CTL_HEADER + CTL_PAYLOAD_MAX;
    size_t at = CTL_HEADER;
    uint32_t w[3];
    size_t words = 1;
    w[0] = f->word;
    if (f->type == CTL_REQUEST)
        w[0] = f->version, w[1] = f->argc, w[2] = f->envc, words = 3;
    else if (f->type == CTL_REPLY)
        w[1] = f->id, words = 2;
    else if (f->type == CTL_MKDIR)
        words = 0;
    if (f->type < CTL_REQUEST || f->type > CTL_EXIT || cap < at + 4 * words)
        return 0;
    for (size_t i = 0; i < words; i++, at += 4)
        s_put32 (buf + at, w[i]);
    if (f->type == CTL_REQUEST) {
        if (f->argc < 1 || f->argc > CTL_ARGC_MAX || f->envc > CTL_ENVC_MAX)
            return 0;
        for (uint32_t i = 0; i < f->argc; i++)
            if (!f->argv[i] || s_put_string (buf, cap, &at, f->argv[i]) != 0)
                return 0;
        for (uint32_t i = 0; i < f->envc; i++)
            if (!f->envv[i] || !strchr (f->envv[i], '=') || s_put_string (buf, cap, &at, f->envv[i]) != 0)
                return 0;
    } else if (f->type == CTL_REPLY || f->type == CTL_OPEN_IN || f->type == CTL_OPEN_OUT || f->type == CTL_MKDIR) {
        if (!f->text || (f->type != CTL_REPLY && !f->text[0]) || s_put_string (buf, cap, &at, f->text) != 0)
            return 0;
    }
    s_put32 (buf, (uint32_t) (at - CTL_HEADER));
    buf[4] = (uint8_t) f->type;
    return at;
}
