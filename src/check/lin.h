/* Linearizability checker for the key-value register model (Wing & Gong / Lowe). */
#ifndef BL_CHECK_LIN_H
#define BL_CHECK_LIN_H

#include <stddef.h>
#include <stdint.h>

#include "check/history.h"

/*
 * Model: every key is an independent register (P-compositionality), checked
 * on its own. A key holds a value or is absent.
 *   get        returns the value, or BL_ST_NOTFOUND when absent;
 *   put/insert set the value;
 *   rmw        returns the previous value (BL_ST_NOTFOUND if absent), sets arg;
 *   increment  adds arg to the value (absent counts as 0), returns the sum.
 * Initial value: keys below `records` are preloaded with key + 1, the others
 * are absent, unless an `initial` callback says otherwise.
 *
 * Indeterminate operations follow Jepsen/Knossos: an operation with outcome
 * BL_OUT_UNKNOWN may take effect at any time after its invocation, or never
 * (its return time is infinite); unknown reads are dropped, since they
 * constrain nothing. BL_OUT_FAIL operations are dropped: a read of a value
 * that only a failed write carried is a violation. Intervals that touch
 * (one returns at the instant the other is invoked) count as concurrent.
 *
 * Values written should be unique per key (the workloads' value tokens), and
 * differ from the initial value: the checker then prunes hard and stays fast
 * with dozens of overlapping operations per key. Keys with repeated values,
 * or with both writes and increments, get the generic search, which can be
 * exponential in the number of overlapping writes.
 */

/* 1 and sets *value if key is present before the run, 0 if absent. */
typedef int (*bl_lin_initial_fn)(void *arg, uint64_t key, uint64_t *value);

struct bl_lin_opts {
        uint64_t records;          /* keys [0, records) start as key + 1 */
        double time_limit_s;       /* whole check; <= 0 means no limit */
        size_t max_memo_bytes;     /* search memory per key; 0 picks the default */
        bl_lin_initial_fn initial; /* optional; overrides `records` */
        void *initial_arg;
};

#define BL_LIN_DEFAULT_MEMO_BYTES ((size_t)512 << 20)

/*
 * ok is 1 only when every key was shown linearizable. ok is 0 when a key is
 * not linearizable (timed_out 0, bad_key and reason say which operation) or
 * when the check could not finish (timed_out 1: time limit or memory budget
 * exceeded; the verdict is inconclusive, never a pass: the reason says why,
 * on which key and after how many search states). A definite violation wins
 * over an unfinished key.
 */
struct bl_lin_result {
        int ok;
        uint64_t bad_key;
        char reason[256];
        uint64_t keys_checked; /* keys with a definite answer */
        uint64_t ops_checked;  /* operations in those keys' searches */
        int timed_out;
        uint64_t keys_unknown; /* keys abandoned (time or memory budget) */
        uint64_t ops_dropped;  /* failed ops, unknown reads, unobserved unknown writes */
        uint64_t states;       /* search states memoised, all keys */
};

/* Defaults: records 0, no time limit, default memory budget, no callback. */
void bl_lin_opts_default(struct bl_lin_opts *o);

/*
 * Check h under opts and fill out. Returns 0 when the check ran (the answer is
 * in out->ok), BL_ENOMEM if memory ran out (out then says "inconclusive"), or
 * BL_EINVAL for NULL arguments. The history is not modified.
 *
 * Cost: sorting, then per key a depth-first search memoised on (set of
 * linearized operations, register value): close to linear for linearizable
 * histories (10^6 operations over 1,000 keys check in 1-2 s on one core,
 * tools/bench-check.c). Bad cases can be exponential, hence the time limit
 * (checked every 1024 search steps and between keys) and the memory budget.
 * Reentrant (no global state); h must not change during the call.
 */
int bl_lin_check_opts(const struct bl_history *h, const struct bl_lin_opts *opts,
                      struct bl_lin_result *out);

/* bl_lin_check_opts with keys below `records` preloaded and the given time limit. */
int bl_lin_check(const struct bl_history *h, uint64_t records, double time_limit_s,
                 struct bl_lin_result *out);

#endif
