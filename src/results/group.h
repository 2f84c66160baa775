/* `ballot report --group` and `--compare KEY`: repetitions merged, with confidence intervals. */
#ifndef BL_RESULTS_GROUP_H
#define BL_RESULTS_GROUP_H

#include <stddef.h>
#include <stdio.h>

#include "results/results.h"

/* Wanted confidence level of the intervals. */
#define BL_CI_LEVEL 0.95
/* A group is noisy when an interval reaches beyond +-10% of its median. */
#define BL_NOISY_FRACTION 0.10

/*
 * Median of n values and a distribution-free confidence interval for it
 * from order statistics: with x(1) <= ... <= x(n), the interval
 * [x(k), x(n+1-k)] covers the true median with probability
 * 1 - 2 P(B <= k-1), B ~ Binomial(n, 1/2), whatever the distribution of
 * the runs (they need only be independent and identically distributed).
 * k is the largest whose coverage is still >= `want`; when no k reaches it
 * (n < 6 for 95%), k = 1 ([min, max]) and `level` says what that interval
 * covers (75% for n = 3). n = 1: low = high = NaN, level 0. NaN inputs
 * are skipped. v is not modified.
 */
struct bl_median_ci {
        double median;
        double low, high;
        double level; /* actual coverage of [low, high] */
        size_t n;     /* values used */
};
void bl_median_ci(const double *v, size_t n, double want, struct bl_median_ci *out);

/* 1 if the interval reaches beyond +-BL_NOISY_FRACTION of the median. */
int bl_ci_noisy(const struct bl_median_ci *c);

/* 1 if the intervals of a and b overlap (touching counts), -1 when either
 * has none (n < 2), 0 otherwise. */
int bl_ci_overlap(const struct bl_median_ci *a, const struct bl_median_ci *b);

/* Print the runs grouped by configuration fingerprint (table or CSV).
 * Returns 0, or BL_ENOMEM; a file whose configuration cannot be read is
 * named on err and counted as a failure (return 1). */
int bl_report_group(FILE *out, FILE *err, struct bl_report_row *const *rows, size_t n, int csv);

/* Print the values of option key ("section.key") side by side for runs
 * that are otherwise equal. Returns 0, 1 (some file unreadable, named on
 * err), 2 (key is no option of these files) or BL_ENOMEM. */
int bl_report_compare(FILE *out, FILE *err, struct bl_report_row *const *rows, size_t n,
                      const char *key, int csv);

#endif
