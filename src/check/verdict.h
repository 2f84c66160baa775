/* Correctness verdicts of a run: counter, replica digests, linearizability. */
#ifndef BL_CHECK_VERDICT_H
#define BL_CHECK_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "check/lin.h"

/*
 * The result of a check, in struct bl_verdict's pass field and in the result
 * file (the enum of /verdicts' result column; the root attribute "verdict"
 * holds the lower-case word):
 *   pass          the check ran and found nothing wrong;
 *   fail          it found a violation (the reason gives the evidence);
 *   unknown       there was nothing to judge (no two replicas to compare,
 *                 no operation on the sampled keys);
 *   inconclusive  there was something to judge but the check could not
 *                 finish (time limit, memory budget): never a pass.
 */
#define BL_VERDICT_FAIL         0
#define BL_VERDICT_PASS         1
#define BL_VERDICT_UNKNOWN      (-1)
#define BL_VERDICT_INCONCLUSIVE (-2)

/* One named check; pass is one of BL_VERDICT_*. */
struct bl_verdict {
        char name[32];
        int pass;
        char reason[384];
};

/* One digest checkpoint of one replica: after `applied` commands its running
 * digest was `digest` (store/kv.h: bl_kv_checkpoints, plus its final state). */
struct bl_replica_state {
        int shard;
        int member; /* index within the shard's replica group */
        int rank;
        uint64_t applied; /* commands applied */
        uint64_t digest;  /* running digest of those commands */
};

/*
 * Counter check (name "counter"): with every acknowledged increment summed
 * in acked_sum and every increment of unknown outcome in unknown_sum, the
 * final value must lie in [acked_sum, acked_sum + unknown_sum]; unknown when
 * no increment was sent and the value is 0. Cannot fail.
 */
void bl_check_counter(uint64_t final_value, uint64_t acked_sum, uint64_t unknown_sum,
                      struct bl_verdict *v);

/*
 * Digest check (name "digests") over the checkpoints of every replica, any
 * number per replica: for each shard and each applied count that more than
 * one replica reached, every replica must report the same digest (also two
 * digests from one replica at one count fail). Rows with applied 0 are
 * ignored: the empty prefix proves nothing. Fail names the shard, the count,
 * the ranks and the digests; pass says how many shared checkpoints agreed, in
 * how many shards, and up to which count. pass is BL_VERDICT_UNKNOWN only
 * when no count was reached by two replicas of a shard. Returns 0, or
 * BL_ENOMEM (v then says inconclusive, with the reason). Cost: a sort of the
 * n rows.
 */
int bl_check_digests(const struct bl_replica_state *r, size_t n, struct bl_verdict *v);

/* Linearizability verdict (name "linearizable") from a checker result:
 * ok -> pass, violation -> fail, unfinished (timed_out) -> inconclusive,
 * with the checker's reason; ok with no operation checked -> unknown.
 * Cannot fail. */
void bl_check_lin(const struct bl_lin_result *res, struct bl_verdict *v);

/* The overall result of n verdicts: fail if any failed, else inconclusive if
 * any was, else pass if any passed, else unknown (also for n == 0). */
int bl_verdict_overall(const struct bl_verdict *v, size_t n);

/* For the terminal: "pass", "FAIL", "unknown" or "inconclusive" (anything
 * else is "unknown"). */
const char *bl_verdict_word(int pass);
/* For files and reports: the same words in lower case ("fail"). */
const char *bl_verdict_name(int pass);

#endif
