/* xoshiro256** seeded through splitmix64 (Blackman & Vigna, 2018). */
#include "common/rng.h"

uint64_t bl_mix64(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

void bl_rng_seed(struct bl_rng *r, uint64_t seed, uint64_t stream)
{
        uint64_t x = bl_mix64(seed) ^ bl_mix64(stream + 0x632be59bd9b4e019ULL);

        for (int i = 0; i < 4; i++) {
                x = bl_mix64(x + (uint64_t)i);
                r->s[i] = x;
        }
        if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
                r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

uint64_t bl_rng_next(struct bl_rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

double bl_rng_double(struct bl_rng *r)
{
        return (double)(bl_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t bl_rng_below(struct bl_rng *r, uint64_t n)
{
        if (n == 0)
                return 0;
        /* Lemire's multiply-shift; bias is below 2^-64 * n, negligible here. */
        return (uint64_t)(((unsigned __int128)bl_rng_next(r) * n) >> 64);
}
