/* Error strings and message buffers. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const err_names[] = {
#define BL_ERR_STR(code, str) str,
    BL_ERRORS(BL_ERR_STR)
#undef BL_ERR_STR
};

const char *bl_strerror(int code)
{
        int i = -code;

        if (i < 0 || i >= (int)BL_ERR__COUNT)
                return "unknown error";
        return err_names[i];
}

size_t bl_escape(const char *in, char *out, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        if (n == 0)
                return 0;
        for (; *in != '\0'; in++) {
                unsigned char c = (unsigned char)*in;

                if (c >= 0x20 && c != 0x7f) {
                        if (o + 1 >= n)
                                break;
                        out[o++] = (char)c;
                        continue;
                }
                if (o + 4 >= n)
                        break;
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = hex[c >> 4];
                out[o++] = hex[c & 15];
        }
        out[o] = '\0';
        return o;
}

/* Messages quote what users wrote (values, lines, paths); a control
 * character in them must not reach the terminal as one. */
static void escape_msg(struct bl_errbuf *eb)
{
        char raw[BL_ERRMSG_SIZE];

        memcpy(raw, eb->msg, sizeof(raw));
        bl_escape(raw, eb->msg, sizeof(eb->msg));
}

int bl_errf(struct bl_errbuf *eb, int code, const char *fmt, ...)
{
        va_list ap;

        if (eb == NULL)
                return code;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
        va_end(ap);
        escape_msg(eb);
        return code;
}

int bl_errwrap(struct bl_errbuf *eb, int code, const char *fmt, ...)
{
        char prefix[BL_ERRMSG_SIZE];
        char old[BL_ERRMSG_SIZE];
        va_list ap;

        if (eb == NULL)
                return code;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, eb->msg, sizeof(old));
        /* Truncation is acceptable: the head of the message says the most. */
        if (old[0] != '\0') {
                if (snprintf(eb->msg, sizeof(eb->msg), "%s: %s", prefix, old) < 0)
                        eb->msg[0] = '\0';
        } else {
                memcpy(eb->msg, prefix, sizeof(eb->msg));
        }
        escape_msg(eb);
        return code;
}
