/* Linear clock-drift correction between two offset estimates (pure arithmetic). */
#ifndef BL_COMMON_CLOCKFIT_H
#define BL_COMMON_CLOCKFIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A rank's clock runs at a slightly different rate from rank 0's, so the
 * offset between them (rank 0's clock minus this rank's) changes during a
 * run. It is estimated twice, before and after the run; between the two the
 * offset is taken to move linearly:
 *
 *     offset(t) = o_a + (o_b - o_a) * (t - t_a) / (t_b - t_a)
 *
 * where t is a reading of this rank's clock. Each estimate comes with an
 * error bound (half the round trip of the exchange it came from). If the
 * true offset is linear, the interpolation is off by at most the larger of
 * the two bounds between t_a and t_b. The residual measures how far the
 * other exchanges of both estimates stray from the line beyond their own
 * bound: it is 0 when every exchange agrees with a linear drift, and it is
 * added to the bound when they do not (a clock step, a non-linear drift).
 */

/* One exchange with rank 0: when it happened on this rank's clock (the
 * middle of the round trip), the offset it gives and its error bound. */
struct bl_clock_sample {
        uint64_t t_local;
        int64_t offset_ns;
        uint64_t err_ns;
};

struct bl_clock_fit {
        uint64_t t_a, t_b; /* this rank's clock at the two estimates */
        int64_t o_a, o_b;  /* the offsets estimated then */
        uint64_t err_ns;   /* bound on |offset(t) - true offset| for t in [t_a, t_b] */
        double drift_ppm;  /* (o_b - o_a) / (t_b - t_a) in parts per million */
};

/* The best (smallest error) of n samples, or a zero sample when n == 0. */
struct bl_clock_sample bl_clock_best(const struct bl_clock_sample *s, size_t n);

/* Fit the line through a (before the run) and b (after it) and bound its
 * error: max(a.err_ns, b.err_ns) plus the largest residual of the n samples
 * in `all` (both estimates' exchanges; NULL with n == 0 for none). When
 * b.t_local <= a.t_local (no usable second estimate) the offset is a's,
 * constant, and the drift 0. Cannot fail. */
void bl_clock_fit_make(struct bl_clock_fit *fit, struct bl_clock_sample a, struct bl_clock_sample b,
                       const struct bl_clock_sample *all, size_t n);

/* The offset at this rank's clock reading t (extrapolated outside [t_a, t_b]). */
int64_t bl_clock_fit_offset(const struct bl_clock_fit *fit, uint64_t t);

/* Correct a time since the run's start. The start t0 is rank 0's start
 * instant translated with the first offset (t0 = start - o_a), so `rel`
 * (this rank's clock minus t0) already holds o_a; this adds the drift since
 * then: rel + offset(t0 + rel) - o_a. Clamped at 0. */
uint64_t bl_clock_fit_rel(const struct bl_clock_fit *fit, uint64_t t0, uint64_t rel);

#endif
