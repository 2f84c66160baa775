/* Correctness verdicts of a run: counter, replica digests, linearizability. */
#ifndef BL_CHECK_VERDICT_H
#define BL_CHECK_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "check/lin.h"

/* One named check. pass: 1 passed, 0 failed, -1 not applicable or unknown. */
struct bl_verdict {
        char name[32];
        int pass;
        char reason[256];
};

/* What one replica of a shard reports at the end of a run. */
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
 * final value must lie in [acked_sum, acked_sum + unknown_sum]. Cannot fail.
 */
void bl_check_counter(uint64_t final_value, uint64_t acked_sum, uint64_t unknown_sum,
                      struct bl_verdict *v);

/*
 * Digest check (name "digests"): replicas of one shard that applied the same
 * number of commands must report the same digest. The reason names the shard,
 * the applied count and the ranks that disagree. pass is -1 when no two
 * replicas of a shard applied the same count (nothing to compare). Returns 0,
 * or BL_ENOMEM (v then says unknown).
 */
int bl_check_digests(const struct bl_replica_state *r, size_t n, struct bl_verdict *v);

/* Linearizability verdict (name "linearizable") from a checker result:
 * ok -> 1, violation -> 0, unfinished (timed_out) -> -1. Cannot fail. */
void bl_check_lin(const struct bl_lin_result *res, struct bl_verdict *v);

/* "pass", "FAIL" or "unknown" for a verdict's pass field. */
const char *bl_verdict_word(int pass);

#endif
