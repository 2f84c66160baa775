/* The recorded client history: one entry per operation, input to the checkers. */
#ifndef BL_CHECK_HISTORY_H
#define BL_CHECK_HISTORY_H

#include <stddef.h>
#include <stdint.h>

/*
 * What the client knows about an operation's effect.
 *   BL_OUT_OK       it took effect and `ret`/`ret_status` hold its answer;
 *   BL_OUT_FAIL     it is known NOT to have taken effect (explicit rejection);
 *   BL_OUT_UNKNOWN  it may or may not have taken effect (timed out, the node
 *                   died): its return time is treated as infinite.
 */
enum bl_outcome {
        BL_OUT_OK = 0,
        BL_OUT_FAIL = 1,
        BL_OUT_UNKNOWN = 2,
};

/*
 * One client operation. Times are nanoseconds on one clock comparable across
 * all clients of the run. `op` is an enum bl_op (store/cmd.h); `arg` is the
 * value token written (put, insert, rmw) or the delta (increment); `ret` is
 * what the operation returned: the value read (get), the previous value
 * (rmw), the value after the increment (increment). `ret_status` is
 * BL_ST_OK or BL_ST_NOTFOUND (get or rmw of an absent key). For an unknown
 * outcome, return_ns is UINT64_MAX and ret/ret_status mean nothing.
 */
struct bl_hop {
        uint32_t client;
        uint8_t op;
        uint8_t outcome;
        uint8_t ret_status;
        uint64_t key;
        uint64_t arg;
        uint64_t ret;
        uint64_t invoke_ns;
        uint64_t return_ns;
};

/* A growable array of operations, in any order. Zero-initialised is empty. */
struct bl_history {
        struct bl_hop *ops;
        size_t n;
        size_t cap;
};

/* Make h empty without allocating. Cannot fail. */
void bl_history_init(struct bl_history *h);
/* Make room for at least n operations in total. Returns 0 or BL_ENOMEM (h is
 * left unchanged on failure). */
int bl_history_reserve(struct bl_history *h, size_t n);
/* Append a copy of op. Returns 0 or BL_ENOMEM (h unchanged on failure). */
int bl_history_add(struct bl_history *h, const struct bl_hop *op);
/* Number of operations recorded. */
size_t bl_history_count(const struct bl_history *h);
/* Release the storage; h is empty afterwards and may be reused. */
void bl_history_free(struct bl_history *h);

/* "ok", "fail", "unknown"; "?" for anything else. */
const char *bl_outcome_name(int outcome);

#endif
