/* The key sample of the end-of-run linearizability check: hot keys plus a hash sample. */
#include "check/sample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

void bl_key_sample_init(struct bl_key_sample *s, int all, uint64_t every, uint64_t seed,
                        const uint64_t *hot, size_t nhot)
{
        size_t n = nhot < BL_SAMPLE_HOT_MAX ? nhot : BL_SAMPLE_HOT_MAX, j = 0;

        memset(s, 0, sizeof(*s));
        s->all = all != 0;
        s->every = every;
        s->seed = seed;
        if (n > 0)
                memcpy(s->hot, hot, n * sizeof(*hot));
        qsort(s->hot, n, sizeof(*s->hot), cmp_u64);
        for (size_t i = 0; i < n; i++)
                if (j == 0 || s->hot[i] != s->hot[j - 1])
                        s->hot[j++] = s->hot[i];
        s->nhot = j;
}

int bl_key_sample_has(const struct bl_key_sample *s, uint64_t key)
{
        size_t lo = 0, hi = s->nhot;

        if (s->all)
                return 1;
        if (s->every > 0 && bl_mix64(key ^ s->seed) % s->every == 0)
                return 1;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (s->hot[mid] == key)
                        return 1;
                if (s->hot[mid] < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return 0;
}

const char *bl_key_sample_describe(const struct bl_key_sample *s, char *buf, size_t size)
{
        if (s->all)
                snprintf(buf, size, "every key");
        else if (s->nhot > 0 && s->every > 0)
                snprintf(buf, size, "the %zu hottest keys and 1 in %llu by hash", s->nhot,
                         (unsigned long long)s->every);
        else if (s->nhot > 0)
                snprintf(buf, size, "the %zu hottest keys", s->nhot);
        else if (s->every > 0)
                snprintf(buf, size, "1 key in %llu by hash", (unsigned long long)s->every);
        else
                snprintf(buf, size, "no key");
        return buf;
}
