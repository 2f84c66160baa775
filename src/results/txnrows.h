/* Rows of a stored list-append transaction history (/txn/history) and their conversion back. */
#ifndef BL_RESULTS_TXNROWS_H
#define BL_RESULTS_TXNROWS_H

#include <stddef.h>
#include <stdint.h>

#include "check/txnhist.h"

/*
 * The file stores a struct bl_txn_history (check/txnhist.h) as three
 * datasets (results/schema.h): these are their rows in memory, as the
 * writer packs them and the reader reads them. Indexes are file-wide: a
 * transaction's micro-ops are mops[first_mop .. first_mop + nmops), a read's
 * list is values[read_off .. read_off + read_len).
 */
struct bl_txh_row {
        uint64_t id;
        uint32_t client;
        int32_t outcome;     /* enum bl_outcome */
        int64_t invoke_ns;   /* >= 0 */
        int64_t complete_ns; /* -1 exactly when the outcome is unknown */
        uint64_t first_mop;
        uint32_t nmops;
};

struct bl_mop_row {
        int32_t kind; /* enum bl_mop_kind */
        uint64_t key;
        uint64_t value;    /* append */
        uint64_t read_off; /* read */
        uint32_t read_len;
};

/*
 * Rebuild h (initialised, empty) from stored rows, refusing any row that a
 * recording client cannot have produced: an outcome or micro-op kind out of
 * range, a negative invoke_ns, a known outcome without a completion time or
 * completing before its invocation, an unknown one with one, micro-ops or
 * read values beyond the stored ones, a transaction id used twice. Returns
 * 0, BL_EPROTO with `why` naming the dataset, the row (from 0) and the
 * defect (h is then emptied), or BL_ENOMEM. Cost O(n log n) in the rows.
 */
int bl_txn_rows_to_history(const struct bl_txh_row *t, size_t nt, const struct bl_mop_row *m,
                           size_t nm, const uint64_t *vals, size_t nv, struct bl_txn_history *h,
                           char *why, size_t whysize);

#endif
