/* Verdicts of transaction runs: 2PC atomicity, the bank invariant, serializability. */
#ifndef BL_CHECK_TXNVERDICT_H
#define BL_CHECK_TXNVERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "check/serial.h"
#include "check/verdict.h"

/*
 * These are pure functions of what a run collected at its end. The commit
 * layer and the runtime gather the inputs; nothing here knows MPI or a kernel.
 */

/* What the client knows of one transaction, and the shards it writes. */
struct bl_txn_outcome {
        uint64_t txn;
        uint8_t outcome; /* BL_OUT_OK committed, BL_OUT_FAIL aborted, BL_OUT_UNKNOWN */
        uint32_t nshards;
        const uint32_t
            *shards; /* shards with writes of the transaction (read-only ones apply nothing) */
};

/* What one shard (its replicas agree: the digest check says so) holds at the end. */
struct bl_shard_log {
        uint32_t shard;
        const uint64_t *applied; /* transactions whose writes the shard applied */
        size_t napplied;
        const uint64_t *in_doubt; /* prepared, no decision known yet; may be NULL */
        size_t nin_doubt;
};

/*
 * Atomicity (name "atomicity"): a transaction is applied on all its shards or
 * on none.
 *   committed  applied on every shard it writes (a shard where it is still
 *              in doubt is not a violation yet: the decision exists and has
 *              not arrived; the reason counts them);
 *   aborted    applied nowhere;
 *   unknown    all or nothing, in-doubt shards counting as either;
 * and no shard applies a transaction twice, one no client issued, or one
 * that does not write it. Only the shards in logs are judged: a shard
 * without a log (no live replica at the end) neither applied nor missed
 * anything. The reason names the first violation: transaction,
 * outcome, shard. pass is unknown when there is no transaction to judge.
 * Returns 0, BL_EINVAL (a transaction listed twice in t; v says unknown) or
 * BL_ENOMEM (v says inconclusive). Cost O(N log N) in the records.
 */
int bl_check_atomicity(const struct bl_txn_outcome *t, size_t nt, const struct bl_shard_log *logs,
                       size_t nlogs, struct bl_verdict *v);

/* A committed audit: balance[i] of account[i], read in one transaction. */
struct bl_bank_audit {
        uint64_t txn;
        size_t n;
        const uint64_t *account;
        const int64_t *balance;
};

/*
 * Bank (name "bank"): money is conserved and never negative.
 *   every audit: each balance >= 0 and each account below `accounts`;
 *   an audit of all accounts (each once): the balances sum to `total`;
 *   the final state, when given (final[a] for every account a): the same.
 * Audits of part of the accounts are judged on their balances alone. pass is
 * unknown when neither a full audit nor the final state was given. Returns 0,
 * BL_EINVAL for NULL arguments, or BL_ENOMEM (v says inconclusive).
 */
int bl_check_bank(int64_t total, uint64_t accounts, const struct bl_bank_audit *audits,
                  size_t naudits, const int64_t *final, struct bl_verdict *v);

/*
 * Serializability verdict from a checker result: name "serializable", or
 * "strict-serializable" when strict is set. Anomaly -> fail, inconclusive ->
 * inconclusive, shown -> pass, not judged (strict without real time) ->
 * unknown; the reason is the checker's, truncated. Cannot fail.
 */
void bl_check_serial(const struct bl_ser_result *r, int strict, struct bl_verdict *v);

#endif
