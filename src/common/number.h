/* Strict decimal numbers: the one grammar for every number ballot reads. */
#ifndef BL_COMMON_NUMBER_H
#define BL_COMMON_NUMBER_H

#include <stdint.h>

/*
 * Every number in a config file, an -o override, a fault schedule or a
 * command-line option is decimal text and nothing else: no leading or
 * trailing blanks, no hex ("0x10"), octal prefixes, "inf", "nan" or locale
 * forms. An integer is [+-]digits (no sign for unsigned values); a real
 * number is an integer or decimal fraction ("2", "0.5", ".5", "5.") with an
 * optional exponent ("1e-3"), and must be finite.
 *
 * Each returns BL_NUM_OK and stores the value, or BL_NUM_SYNTAX (not such a
 * number) or BL_NUM_RANGE (does not fit the type), and then stores nothing.
 */
enum { BL_NUM_OK = 0, BL_NUM_SYNTAX = -1, BL_NUM_RANGE = -2 };

int bl_parse_i64(const char *s, int64_t *out);
int bl_parse_u64(const char *s, uint64_t *out);
int bl_parse_double(const char *s, double *out);

#endif
