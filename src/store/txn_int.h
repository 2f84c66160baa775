/* Internals of the 2PC participant store shared by its files (txn.c, txn_snap.c). */
#ifndef BL_STORE_TXN_INT_H
#define BL_STORE_TXN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/txn.h"

#define TXS_NONE UINT32_MAX

enum { MODE_S = 0, MODE_X = 1 };

/* u64 -> u32 index, open addressing with linear probing, no delete (cells
 * and transactions are never removed). Load at most 3/4. */
struct imap {
        uint64_t *keys;
        uint32_t *vals; /* TXS_NONE marks an empty slot */
        size_t cap;     /* power of two, or 0 */
        size_t n;
        int shift;
};

/* One lock request in a key's queue: holders q[0 .. nheld), waiters after. */
struct qent {
        uint32_t t; /* index into txns */
        uint8_t mode;
};

/* Everything a key has: its register, its list and its lock. A cell with
 * reg == initial, an empty list and refs == 0 is dormant: invisible. */
struct cell {
        uint64_t key;
        uint64_t reg;
        uint64_t *list;
        uint32_t nlist, caplist;
        uint32_t refs; /* live transactions naming the key: q never needs more */
        uint32_t nq, nheld, capq;
        struct qent *q;
        uint32_t next_dirty;
        uint8_t dirty;
};

/* One distinct key of a transaction, in increasing key order. */
struct tkey {
        uint64_t key;
        uint32_t cell;
        uint8_t mode;
};

struct txrec {
        uint64_t id, ts;
        uint32_t coord;
        uint8_t state, vote, reason;
        uint8_t bad;                  /* an ADD went below 0 on a key already granted */
        uint8_t flags;                /* of the PREPARE */
        uint32_t nops, nkeys, cursor; /* keys[0 .. cursor) are held */
        struct bl_txs_op *ops;        /* NULL once finished and collected */
        struct bl_txs_read *reads;
        struct tkey *keys;
        uint64_t prepare_index, decide_index;
        uint64_t prepare_ns, vote_ns, decide_ns;
        uint32_t next_ready, next_gc;
        uint8_t in_ready, in_gc;
};

struct bl_txs {
        int shard, nshards, cc;
        uint64_t initial;
        uint64_t digest;
        struct imap cmap; /* key -> cells */
        struct cell *cells;
        size_t ncells, capcells;
        struct imap tmap; /* txn id -> txns */
        struct txrec *txns;
        size_t ntxns, captxns;
        uint64_t *log; /* commit log */
        size_t nlog, caplog;
        /* not state */
        uint32_t dirty_head, dirty_tail;
        uint32_t ready_head, ready_tail;
        uint32_t gc_head;
        struct bl_txs_stats st;
};

static inline int txs_live(const struct txrec *t)
{
        return t->state == BL_TXS_WAITING || t->state == BL_TXS_PREPARED ||
               t->state == BL_TXS_READ_HELD;
}

void txs_imap_free(struct imap *m);
int txs_imap_reserve(struct imap *m, size_t n);
uint32_t txs_imap_get(const struct imap *m, uint64_t key);
void txs_imap_put(struct imap *m, uint64_t key, uint32_t val);

int txs_cells_reserve(struct bl_txs *s, size_t n);
int txs_txns_reserve(struct bl_txs *s, size_t n);
/* Add a cell for key; room in cmap and cells was reserved. */
uint32_t txs_cell_add(struct bl_txs *s, uint64_t key);
/* q of cell c can hold n entries. */
int txs_q_reserve(struct cell *c, uint32_t n);
/* Distinct keys of ops, sorted, with modes; cell indexes not set. Returns
 * the array (bl_malloc, at least one element) or NULL. */
struct tkey *txs_keys_of(const struct bl_txs_op *ops, uint32_t nops, uint32_t *nkeys);
uint64_t txs_fold(uint64_t digest, uint64_t tag, uint64_t a, uint64_t b);
void txs_free_arrays(struct txrec *t);

#endif
