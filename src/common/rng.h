/* Small seeded pseudo-random generator (xoshiro256**), pure and reproducible. */
#ifndef BL_COMMON_RNG_H
#define BL_COMMON_RNG_H

#include <stdint.h>

struct bl_rng {
        uint64_t s[4];
};

/* Seed from a 64-bit seed and a stream id (e.g. the global client id), so
 * independent streams never overlap in practice. Cannot fail. */
void bl_rng_seed(struct bl_rng *r, uint64_t seed, uint64_t stream);
uint64_t bl_rng_next(struct bl_rng *r);
/* Uniform double in [0, 1). */
double bl_rng_double(struct bl_rng *r);
/* Uniform integer in [0, n); n == 0 returns 0. */
uint64_t bl_rng_below(struct bl_rng *r, uint64_t n);
/* 64-bit mixing function (splitmix64 finaliser); used for hashing keys. */
uint64_t bl_mix64(uint64_t x);

#endif
