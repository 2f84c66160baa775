/* End-of-run correctness verdicts: each turns measured facts into pass/fail
 * with a reason a person can act on. */
#include "check/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

static void verdict_set(struct bl_verdict *v, const char *name, int pass)
{
        memset(v, 0, sizeof(*v));
        snprintf(v->name, sizeof(v->name), "%s", name);
        v->pass = pass;
}

const char *bl_verdict_word(int pass)
{
        if (pass > 0)
                return "pass";
        return pass == 0 ? "FAIL" : "unknown";
}

void bl_check_counter(uint64_t final_value, uint64_t acked_sum, uint64_t unknown_sum,
                      struct bl_verdict *v)
{
        /* acked + unknown may exceed 2^64 only if the counter wrapped too:
         * saturate rather than wrap so the upper bound stays an upper bound. */
        uint64_t hi = acked_sum + unknown_sum < acked_sum ? UINT64_MAX : acked_sum + unknown_sum;
        unsigned long long f = final_value, a = acked_sum, u = unknown_sum;

        verdict_set(v, "counter", final_value >= acked_sum && final_value <= hi);
        if (final_value < acked_sum)
                snprintf(v->reason, sizeof(v->reason),
                         "final value %llu is below the %llu acknowledged increments: %llu lost", f,
                         a, a - f);
        else if (final_value > hi)
                snprintf(v->reason, sizeof(v->reason),
                         "final value %llu exceeds acknowledged %llu + unknown %llu: %llu applied "
                         "that no client sent (duplicated?)",
                         f, a, u, (unsigned long long)(final_value - hi));
        else
                snprintf(v->reason, sizeof(v->reason),
                         "final value %llu within [%llu, %llu] (acknowledged, + unknown outcome)",
                         f, a, (unsigned long long)hi);
}

static int cmp_replica(const void *a, const void *b)
{
        const struct bl_replica_state *x = *(const struct bl_replica_state *const *)a;
        const struct bl_replica_state *y = *(const struct bl_replica_state *const *)b;

        if (x->shard != y->shard)
                return x->shard < y->shard ? -1 : 1;
        if (x->applied != y->applied)
                return x->applied < y->applied ? -1 : 1;
        if (x->digest != y->digest)
                return x->digest < y->digest ? -1 : 1;
        return (x->rank > y->rank) - (x->rank < y->rank);
}

int bl_check_digests(const struct bl_replica_state *r, size_t n, struct bl_verdict *v)
{
        const struct bl_replica_state **p;
        size_t compared = 0, shards = 0;

        verdict_set(v, "digests", -1);
        if (n == 0) {
                snprintf(v->reason, sizeof(v->reason), "no replica reported a digest");
                return 0;
        }
        p = bl_malloc(n * sizeof(*p));
        if (p == NULL) {
                snprintf(v->reason, sizeof(v->reason), "unknown: out of memory");
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                p[i] = &r[i];
        /* Sorted by (shard, applied, digest): disagreeing replicas of a group
         * end up next to each other, and the report is deterministic. */
        qsort(p, n, sizeof(*p), cmp_replica);
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || p[i]->shard != p[i - 1]->shard)
                        shards++;
                if (i == 0 || p[i]->shard != p[i - 1]->shard || p[i]->applied != p[i - 1]->applied)
                        continue;
                compared++;
                if (p[i]->digest != p[i - 1]->digest) {
                        v->pass = 0;
                        snprintf(v->reason, sizeof(v->reason),
                                 "shard %d: ranks %d (member %d) and %d (member %d) both applied "
                                 "%llu commands but digests differ: %016llx vs %016llx",
                                 p[i]->shard, p[i - 1]->rank, p[i - 1]->member, p[i]->rank,
                                 p[i]->member, (unsigned long long)p[i]->applied,
                                 (unsigned long long)p[i - 1]->digest,
                                 (unsigned long long)p[i]->digest);
                        bl_free(p);
                        return 0;
                }
        }
        bl_free(p);
        if (compared == 0) {
                snprintf(v->reason, sizeof(v->reason),
                         "nothing to compare: no two replicas of a shard applied the same count "
                         "(%zu shards, %zu replicas in all)",
                         shards, n);
                return 0;
        }
        v->pass = 1;
        snprintf(
            v->reason, sizeof(v->reason),
            "%zu replica pairs with equal applied counts agree (%zu shards, %zu replicas in all)",
            compared, shards, n);
        return 0;
}

void bl_check_lin(const struct bl_lin_result *res, struct bl_verdict *v)
{
        verdict_set(v, "linearizable", res->ok ? 1 : (res->timed_out ? -1 : 0));
        snprintf(v->reason, sizeof(v->reason), "%s", res->reason);
}
