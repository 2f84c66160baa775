/*
 * Strict decimal numbers (number.h). The grammar is checked by hand first,
 * so strtoll/strtoull/strtod only ever see text they read the same way in
 * every locale and base: whatever the C library accepts beyond decimal
 * (hex, "inf", "nan", leading blanks) never gets that far.
 */
#include "common/number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Length of the run of digits at s. */
static size_t digits(const char *s)
{
        size_t n = 0;

        while (is_digit(s[n]))
                n++;
        return n;
}

/* [+-]?digits, the whole string; sign allowed only when signed_ok. */
static int integer_text(const char *s, int signed_ok)
{
        if (*s == '+' || (signed_ok && *s == '-'))
                s++;
        return digits(s) > 0 && s[digits(s)] == '\0';
}

int bl_parse_i64(const char *s, int64_t *out)
{
        long long v;

        if (s == NULL || !integer_text(s, 1))
                return BL_NUM_SYNTAX;
        errno = 0;
        v = strtoll(s, NULL, 10);
        if (errno == ERANGE)
                return BL_NUM_RANGE;
        *out = (int64_t)v;
        return BL_NUM_OK;
}

int bl_parse_u64(const char *s, uint64_t *out)
{
        unsigned long long v;

        if (s == NULL || !integer_text(s, 0))
                return BL_NUM_SYNTAX;
        errno = 0;
        v = strtoull(s, NULL, 10);
        if (errno == ERANGE)
                return BL_NUM_RANGE;
        *out = (uint64_t)v;
        return BL_NUM_OK;
}

int bl_parse_double(const char *s, double *out)
{
        const char *p = s;
        size_t ip, fp = 0;
        double v;

        if (s == NULL)
                return BL_NUM_SYNTAX;
        if (*p == '+' || *p == '-')
                p++;
        ip = digits(p);
        p += ip;
        if (*p == '.') {
                p++;
                fp = digits(p);
                p += fp;
        }
        if (ip + fp == 0)
                return BL_NUM_SYNTAX;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (digits(p) == 0)
                        return BL_NUM_SYNTAX;
                p += digits(p);
        }
        if (*p != '\0')
                return BL_NUM_SYNTAX;
        errno = 0;
        v = strtod(s, NULL);
        /* Underflow to a tiny value or 0 is a fine answer; overflow is not. */
        if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
                return BL_NUM_RANGE;
        *out = v;
        return BL_NUM_OK;
}
