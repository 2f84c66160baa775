/* The runtime's clock: monotonic nanoseconds (never used by kernels directly). */
#ifndef BL_RUN_CLOCK_H
#define BL_RUN_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. On one node every rank reads the same clock, so
 * times taken on different ranks of a node are directly comparable. */
static inline uint64_t bl_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
