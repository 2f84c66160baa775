/* Configuration fingerprint: one hash that says which runs measured the same thing. */
#ifndef BL_RESULTS_FINGERPRINT_H
#define BL_RESULTS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "results/results.h"

/* 16 hex digits and a NUL. */
#define BL_FINGERPRINT_LEN 17

/*
 * 1 if option section.key is left out of every fingerprint: the seed
 * (repetitions differ in it), the output directory and the experiment name
 * (where a run is stored and what it is called, not what it measures). The
 * output file and the repetition index are no options, so they are out too.
 */
int bl_fingerprint_excluded(const char *section, const char *key);

/*
 * FNV-1a (64 bit) over "section.key=value\n" of every option in the order
 * given (the option-table order of /config/options), except the excluded
 * ones and, when skip is not NULL, the option named skip ("section.key"),
 * followed by "nranks=N\n": the rank count is no option but changes what is
 * measured. Cannot fail.
 */
uint64_t bl_fingerprint(const struct bl_cfg_entry *cfg, size_t n, int nranks, const char *skip);

/* h as 16 lower-case hex digits. */
void bl_fingerprint_hex(uint64_t h, char out[BL_FINGERPRINT_LEN]);

#endif
