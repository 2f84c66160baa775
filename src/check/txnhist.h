/* A recorded transaction history (list-append micro-ops): input to the serializability checker. */
#ifndef BL_CHECK_TXNHIST_H
#define BL_CHECK_TXNHIST_H

#include <stddef.h>
#include <stdint.h>

#include "check/history.h" /* enum bl_outcome */

/*
 * The data model is Jepsen Elle's list-append: every key holds a list of
 * values; a transaction is a sequence of micro-operations
 *   append(key, value)   add value at the end of key's list;
 *   read(key) -> list    the whole list, oldest element first.
 * Appended values must be unique per key across the history (the generator
 * makes them so): a value read then names the one transaction that wrote it.
 *
 * Outcomes are those of single operations (check/history.h):
 *   BL_OUT_OK       committed; reads hold what the transaction saw;
 *   BL_OUT_FAIL     aborted, known to have had no effect; its reads are ignored;
 *   BL_OUT_UNKNOWN  may or may not have committed (timeout, crash): its
 *                   appends may be visible, its reads are ignored, and its
 *                   completion time is infinite (complete_ns UINT64_MAX).
 * Times are nanoseconds on one clock comparable across clients.
 *
 * Storage: three growable arrays (transactions, micro-ops, read values)
 * indexed by position, so a history of 10^5 transactions costs a few
 * allocations. Zero-initialised is empty.
 */

enum bl_mop_kind {
        BL_MOP_APPEND = 0,
        BL_MOP_READ = 1,
};

/* One micro-op. For a read, the list is vals[off .. off + len) of the history. */
struct bl_mop {
        uint8_t kind;
        uint32_t len; /* read: number of elements */
        uint64_t key;
        uint64_t value; /* append: the value */
        size_t off;     /* read: first element in bl_txn_history.vals */
};

/* One transaction: its micro-ops are mops[first .. first + nmops). */
struct bl_txn {
        uint64_t id;
        uint32_t client;
        uint8_t outcome; /* enum bl_outcome */
        uint64_t invoke_ns;
        uint64_t complete_ns; /* UINT64_MAX when the outcome is unknown */
        size_t first;
        uint32_t nmops;
};

struct bl_txn_history {
        struct bl_txn *txns;
        size_t n, cap;
        struct bl_mop *mops;
        size_t nmops, capmops;
        uint64_t *vals;
        size_t nvals, capvals;
};

/* Make h empty without allocating. Cannot fail. */
void bl_txn_history_init(struct bl_txn_history *h);
/* Release the storage; h is empty afterwards and may be reused. */
void bl_txn_history_free(struct bl_txn_history *h);

/*
 * Start a new transaction; the micro-ops added next belong to it. For
 * BL_OUT_UNKNOWN, complete_ns is stored as UINT64_MAX whatever is passed.
 * Returns 0, BL_EINVAL for an outcome that is not a bl_outcome, or BL_ENOMEM
 * (h unchanged on failure).
 */
int bl_txn_begin(struct bl_txn_history *h, uint64_t id, uint32_t client, int outcome,
                 uint64_t invoke_ns, uint64_t complete_ns);
/* Add append(key, value) to the last transaction. Returns 0, BL_EINVAL when
 * no transaction was begun, or BL_ENOMEM (h unchanged). */
int bl_txn_append(struct bl_txn_history *h, uint64_t key, uint64_t value);
/* Add read(key) -> list[0 .. len) to the last transaction (list is copied;
 * it may be NULL when len is 0). Returns 0, BL_EINVAL, or BL_ENOMEM. */
int bl_txn_read(struct bl_txn_history *h, uint64_t key, const uint64_t *list, size_t len);

/* The micro-ops of transaction i, and the list read by a read micro-op. */
static inline const struct bl_mop *bl_txn_mops(const struct bl_txn_history *h, size_t i)
{
        return h->mops + h->txns[i].first;
}

static inline const uint64_t *bl_mop_list(const struct bl_txn_history *h, const struct bl_mop *m)
{
        return h->vals + m->off;
}

#endif
