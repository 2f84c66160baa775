/* Serializability checker internals shared by serial.c (inference) and serial_cycle.c. */
#ifndef BL_CHECK_SERIAL_INT_H
#define BL_CHECK_SERIAL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "check/serial.h"
#include "check/txnhist.h"

#define NONE         UINT32_MAX
#define CHECK_EVERY  4096
#define EXAMPLE_SIZE 480
#define CYCLE_SIZE   2600

struct ser_write {
        uint64_t key, value;
        uint32_t txn;
        uint32_t pos; /* index in the key's version order; NONE if never read */
        uint32_t stamp;
        uint8_t last; /* its transaction's last append to key */
};

struct ser_read {
        uint64_t key;
        size_t mop; /* index in h->mops */
        uint32_t txn;
        uint8_t prefix; /* of its key's version order (set by one_key) */
};

struct ser_key {
        uint64_t key;
        size_t off; /* version order: h->vals[off .. off + len) */
        uint32_t len;
        uint32_t aborted; /* first position holding an aborted transaction's value */
        size_t mop;       /* the longest read */
        size_t rlo, rhi;  /* its reads: c->reads[rlo .. rhi) */
};

struct ser_edge {
        uint32_t from, to;
        uint8_t type;
};

struct ser_adj {
        uint32_t to;
        uint8_t type;
};

struct ser_buf {
        char *buf;
        size_t size, len;
};

struct ser_ctx {
        const struct bl_txn_history *h;
        const struct bl_ser_opts *opts;
        struct bl_ser_result *out;
        struct timespec start;
        unsigned long ticks;
        int expired;
        /* appends */
        struct ser_write *w;
        size_t nw;
        uint32_t *table; /* open addressing: index + 1 into w, 0 empty */
        size_t mask;
        uint32_t *own; /* per read: own earlier appends to its key; NONE: not at its end */
        /* external reads and keys */
        struct ser_read *reads;
        size_t nreads;
        struct ser_key *keys;
        size_t nkeys;
        uint8_t *in_graph; /* per txn */
        size_t nodes;      /* transactions, then virtual nodes (unobserved appends, rt) */
        /* edges */
        struct ser_edge *e;
        size_t ne, cape;
        size_t *off; /* CSR: node i's edges are adj[off[i] .. off[i+1]) */
        struct ser_adj *adj;
        /* explanations */
        char example[BL_SER__COUNT][EXAMPLE_SIZE];
        char cycle_text[CYCLE_SIZE];
};

static inline const struct bl_mop *mop_at(const struct ser_ctx *c, size_t i)
{
        return &c->h->mops[i];
}

static inline const uint64_t *list_of(const struct ser_ctx *c, const struct bl_mop *m)
{
        return c->h->vals + m->off;
}

static inline const struct bl_txn *txn_at(const struct ser_ctx *c, uint32_t t)
{
        return &c->h->txns[t];
}

/* Length of the part of a read before its transaction's own appends (the
 * state it saw from others), or NONE when the read does not end with them. */
static inline uint32_t ext_len(const struct ser_ctx *c, size_t mop)
{
        return c->own[mop] == NONE ? NONE : c->h->mops[mop].len - c->own[mop];
}

/* printf into a bounded buffer; output beyond its end is cut and marked "...". */
void bl_ser_printf(struct ser_buf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True once the time limit passed (reads the clock every few thousand calls). */
int bl_ser_expired(struct ser_ctx *c);
/* "T7 (client 2, ok, [10, 20] ns: append(1, 5) read(2) = [5 6])". */
void bl_ser_put_txn(struct ser_ctx *c, struct ser_buf *s, uint32_t t);
/* Index of the append of (key, value) in c->w, or NONE. */
uint32_t bl_ser_find_write(const struct ser_ctx *c, uint64_t key, uint64_t value);
/* Build the adjacency from c->e, search the cycles, count and explain them in
 * c->out. Returns 0 or BL_ENOMEM; a time-out leaves bl_ser_expired(c) true. */
int bl_ser_cycles(struct ser_ctx *c);

#endif
