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
        return pass == BL_VERDICT_FAIL ? "FAIL" : bl_verdict_name(pass);
}

const char *bl_verdict_name(int pass)
{
        switch (pass) {
        case BL_VERDICT_PASS:
                return "pass";
        case BL_VERDICT_FAIL:
                return "fail";
        case BL_VERDICT_INCONCLUSIVE:
                return "inconclusive";
        default:
                return "unknown";
        }
}

int bl_verdict_overall(const struct bl_verdict *v, size_t n)
{
        int any_pass = 0, any_inconclusive = 0;

        for (size_t i = 0; i < n; i++) {
                if (v[i].pass == BL_VERDICT_FAIL)
                        return BL_VERDICT_FAIL;
                any_inconclusive |= v[i].pass == BL_VERDICT_INCONCLUSIVE;
                any_pass |= v[i].pass == BL_VERDICT_PASS;
        }
        if (any_inconclusive)
                return BL_VERDICT_INCONCLUSIVE;
        return any_pass ? BL_VERDICT_PASS : BL_VERDICT_UNKNOWN;
}

void bl_check_counter(uint64_t final_value, uint64_t acked_sum, uint64_t unknown_sum,
                      struct bl_verdict *v)
{
        /* acked + unknown may exceed 2^64 only if the counter wrapped too:
         * saturate rather than wrap so the upper bound stays an upper bound. */
        uint64_t hi = acked_sum + unknown_sum < acked_sum ? UINT64_MAX : acked_sum + unknown_sum;
        unsigned long long f = final_value, a = acked_sum, u = unknown_sum;

        verdict_set(v, "counter", final_value >= acked_sum && final_value <= hi);
        if (hi == 0 && final_value == 0) {
                /* No increment was sent: a zero proves nothing. */
                v->pass = BL_VERDICT_UNKNOWN;
                snprintf(v->reason, sizeof(v->reason), "no increment was sent: nothing to check");
        } else if (final_value < acked_sum)
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
        if (x->member != y->member)
                return x->member < y->member ? -1 : 1;
        return (x->rank > y->rank) - (x->rank < y->rank);
}

/* What the groups of one pass over the sorted rows found. */
struct digest_tally {
        size_t shards;          /* shards with a row */
        size_t shards_compared; /* shards with a checkpoint two replicas reached */
        size_t compared;        /* (shard, applied) groups of two replicas or more */
        uint64_t upto;          /* lowest over compared shards of their highest common count */
};

int bl_check_digests(const struct bl_replica_state *r, size_t n, struct bl_verdict *v)
{
        const struct bl_replica_state **p;
        struct digest_tally t = {0, 0, 0, UINT64_MAX};
        uint64_t shard_high = 0;
        size_t m = 0;

        verdict_set(v, "digests", BL_VERDICT_UNKNOWN);
        p = bl_malloc((n + 1) * sizeof(*p));
        if (p == NULL) {
                v->pass = BL_VERDICT_INCONCLUSIVE;
                snprintf(v->reason, sizeof(v->reason),
                         "inconclusive: out of memory sorting %zu digest checkpoints", n);
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                if (r[i].applied > 0)
                        p[m++] = &r[i];
        /* Sorted by (shard, applied, digest, member): the rows of one
         * checkpoint are adjacent, a disagreement shows as a digest change
         * inside a group, and the report is deterministic. */
        qsort(p, m, sizeof(*p), cmp_replica);
        for (size_t a = 0, b; a < m; a = b) {
                size_t members = 1;

                if (a == 0 || p[a]->shard != p[a - 1]->shard) {
                        t.shards++;
                        shard_high = 0;
                }
                for (b = a + 1;
                     b < m && p[b]->shard == p[a]->shard && p[b]->applied == p[a]->applied; b++)
                        members +=
                            p[b]->member != p[b - 1]->member || p[b]->digest != p[b - 1]->digest;
                if (p[b - 1]->digest != p[a]->digest) {
                        v->pass = BL_VERDICT_FAIL;
                        snprintf(v->reason, sizeof(v->reason),
                                 "shard %d: after %llu commands rank %d (member %d) has digest "
                                 "%016llx but rank %d (member %d) has %016llx",
                                 p[a]->shard, (unsigned long long)p[a]->applied, p[a]->rank,
                                 p[a]->member, (unsigned long long)p[a]->digest, p[b - 1]->rank,
                                 p[b - 1]->member, (unsigned long long)p[b - 1]->digest);
                        bl_free(p);
                        return 0;
                }
                if (members >= 2) {
                        t.compared++;
                        if (shard_high == 0)
                                t.shards_compared++;
                        shard_high = p[a]->applied;
                }
                /* The end of a shard: fold its highest common count in. */
                if (shard_high > 0 && (b == m || p[b]->shard != p[a]->shard) && shard_high < t.upto)
                        t.upto = shard_high;
        }
        bl_free(p);
        if (t.compared == 0) {
                snprintf(v->reason, sizeof(v->reason),
                         "nothing to compare: no digest checkpoint was reached by two replicas of "
                         "a shard (%zu shards reported)",
                         t.shards);
                return 0;
        }
        v->pass = BL_VERDICT_PASS;
        snprintf(v->reason, sizeof(v->reason),
                 "replicas agree at %zu shared checkpoints in %zu of %zu shards, each up to at "
                 "least %llu commands",
                 t.compared, t.shards_compared, t.shards, (unsigned long long)t.upto);
        return 0;
}

void bl_check_lin(const struct bl_lin_result *res, struct bl_verdict *v)
{
        verdict_set(v, "linearizable",
                    res->ok          ? BL_VERDICT_PASS
                    : res->timed_out ? BL_VERDICT_INCONCLUSIVE
                                     : BL_VERDICT_FAIL);
        snprintf(v->reason, sizeof(v->reason), "%s", res->reason);
        /* A history whose operations were all dropped (failed, unknown
         * reads) constrains nothing: linearizable, but nothing was shown. */
        if (res->ok && res->ops_checked == 0) {
                v->pass = BL_VERDICT_UNKNOWN;
                snprintf(v->reason, sizeof(v->reason),
                         "no operation to check (%llu dropped: failed, or reads of unknown "
                         "outcome)",
                         (unsigned long long)res->ops_dropped);
        }
}
