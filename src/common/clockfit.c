/* Linear clock-drift correction between two offset estimates (see clockfit.h). */
#include "common/clockfit.h"

#include <math.h>

struct bl_clock_sample bl_clock_best(const struct bl_clock_sample *s, size_t n)
{
        struct bl_clock_sample best = {0};

        for (size_t i = 0; i < n; i++)
                if (i == 0 || s[i].err_ns < best.err_ns)
                        best = s[i];
        return best;
}

void bl_clock_fit_make(struct bl_clock_fit *fit, struct bl_clock_sample a, struct bl_clock_sample b,
                       const struct bl_clock_sample *all, size_t n)
{
        *fit = (struct bl_clock_fit){.t_a = a.t_local, .o_a = a.offset_ns, .o_b = a.offset_ns};
        if (b.t_local > a.t_local) {
                fit->t_b = b.t_local;
                fit->o_b = b.offset_ns;
                fit->drift_ppm =
                    (double)(b.offset_ns - a.offset_ns) / (double)(b.t_local - a.t_local) * 1e6;
        } else {
                fit->t_b = a.t_local;
        }
        uint64_t err = a.err_ns > b.err_ns ? a.err_ns : b.err_ns, resid = 0;
        for (size_t i = 0; i < n; i++) {
                /* How far exchange i lies from the line beyond its own bound. */
                int64_t d = all[i].offset_ns - bl_clock_fit_offset(fit, all[i].t_local);
                uint64_t dist = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
                if (dist > all[i].err_ns && dist - all[i].err_ns > resid)
                        resid = dist - all[i].err_ns;
        }
        fit->err_ns = err + resid;
}

int64_t bl_clock_fit_offset(const struct bl_clock_fit *fit, uint64_t t)
{
        if (fit->t_b <= fit->t_a || fit->o_b == fit->o_a)
                return fit->o_a;
        /* In double: (o_b - o_a) * (t - t_a) overflows 64 bits for runs of
         * minutes across clocks that differ by seconds; the quotient is
         * exact to far below a nanosecond. */
        double dt = t >= fit->t_a ? (double)(t - fit->t_a) : -(double)(fit->t_a - t);
        double d = (double)(fit->o_b - fit->o_a) * dt / (double)(fit->t_b - fit->t_a);
        return fit->o_a + (int64_t)llround(d);
}

uint64_t bl_clock_fit_rel(const struct bl_clock_fit *fit, uint64_t t0, uint64_t rel)
{
        int64_t drift = bl_clock_fit_offset(fit, t0 + rel) - fit->o_a;

        if (drift < 0 && (uint64_t)0 - (uint64_t)drift > rel)
                return 0;
        return rel + (uint64_t)drift;
}
