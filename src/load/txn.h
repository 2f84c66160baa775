/* Transaction workload generators: the transaction stream of one client session (bank, ycsb-t,
 * list-append). */
#ifndef BL_LOAD_TXN_H
#define BL_LOAD_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/rng.h"
#include "config/config.h"
#include "load/dist.h"

/*
 * One generator per client session, like struct bl_workload (workload.h):
 * sessions are numbered 0..nsessions-1 across the run, and the stream
 * depends only on (seed, session, nsessions, parameters), never on timing or
 * on outcomes (the rng is bl_rng_seed(seed, session)). A transaction is a
 * list of micro-ops on keys; the commit layer groups them by shard
 * (bl_shard_of(key, shards), store/kv.h), runs them atomically, and tells
 * the client commit or abort.
 *
 *  workload     transactions                                        keys
 *  bank         transfer: ADD(a, -x), ADD(b, +x), x in [1, max]     accounts [0, keys)
 *               (a != b; with probability cross_shard, on
 *               different shards); aborts if a would go negative
 *               audit (audit_frac): READ of every account, or of
 *               audit_accounts distinct random ones
 *  ycsb-t       txn_keys RMW(k, v) on distinct keys                 dist over [0, keys)
 *  list-append  min_ops..max_ops micro-ops, each APPEND(k, v)       active_keys at a time
 *               or READ(k) with probability 1/2
 *
 * Values written (RMW, APPEND) are unique across the run:
 * ((session + 1) << 32) | w, w the session's write count from 1, as in
 * workload.h, so the serializability checker can tell writers apart.
 *
 * ycsb-t keys follow the workload's distribution as YCSB does: DEFAULT and
 * ZIPFIAN are the scrambled zipfian with theta (0.99 by default, the
 * contention knob), UNIFORM, HOTSPOT (hot_data, hot_op), LATEST (zipfian
 * favouring the highest keys; there are no inserts).
 *
 * list-append keys rotate as in Jepsen's list-append generator, so lists
 * stay short and reads cheap: generation g uses keys [g * active_keys,
 * (g + 1) * active_keys), and moves on once each key has received about
 * writes_per_key appends. Sessions cannot count the others' appends without
 * talking, so a session estimates the run's appends as its own times
 * nsessions; sessions at similar rates share a generation, and a key gets
 * about writes_per_key appends (more when sessions drift apart).
 *
 * No transaction workload runs without a commit layer: the config refuses
 * workload.type = bank, ycsb-t or list-append unless the kernel is 2pc/REPL.
 */

enum bl_txn_workload {
        BL_TXW_BANK,
        BL_TXW_YCSB_T,
        BL_TXW_LIST_APPEND,
};

enum bl_txop_kind {
        BL_TXOP_READ,   /* read key: a balance, a register, or a whole list */
        BL_TXOP_ADD,    /* bank: balance += arg (signed); abort if it would go below 0 */
        BL_TXOP_RMW,    /* ycsb-t: read key, then write arg */
        BL_TXOP_APPEND, /* list-append: append arg to key's list */
};

/* Kinds of transactions, for per-kind statistics (aborts of transfers, ...). */
enum bl_txn_class {
        BL_TXC_TRANSFER,
        BL_TXC_AUDIT,
        BL_TXC_RMW,
        BL_TXC_LIST,
};

struct bl_txop {
        uint8_t kind; /* enum bl_txop_kind */
        uint64_t key;
        int64_t arg; /* ADD: signed amount; RMW, APPEND: the value (as uint64 bits) */
};

/* One transaction. ops is owned by the generator and valid until the next
 * bl_txngen_next call on it. */
struct bl_txn_req {
        uint8_t cls; /* enum bl_txn_class */
        uint32_t nops;
        const struct bl_txop *ops;
};

struct bl_txn_params {
        enum bl_txn_workload type;
        uint64_t seed;
        uint32_t session, nsessions;
        uint64_t keys; /* bank: accounts; ycsb-t: records */
        int shards;    /* for cross-shard transfers; <= 1: one shard */
        /* bank */
        int64_t initial_balance; /* per account (for the store's preload and the verdict) */
        int64_t max_transfer;    /* amounts uniform in [1, max_transfer] */
        double audit_frac;       /* share of audits */
        uint32_t audit_accounts; /* 0: audits read every account */
        double cross_shard;      /* share of transfers between two shards */
        /* ycsb-t */
        uint32_t txn_keys; /* RMWs per transaction (txn.keys) */
        enum bl_dist dist;
        double theta;
        double hot_data, hot_op;
        /* list-append */
        uint32_t min_ops, max_ops;
        uint32_t active_keys;
        uint32_t writes_per_key;
};

/*
 * Defaults for type (one session of one): 1,000 accounts of 1,000, transfers
 * up to 100, 10% audits of all accounts, 90% cross-shard; ycsb-t with 4 keys
 * per transaction over 10,000 records, zipfian 0.99; list-append with 1-4
 * micro-ops over 8 active keys, 32 appends per key (Elle's defaults are of
 * this size). Cannot fail.
 */
void bl_txn_params_default(struct bl_txn_params *p, enum bl_txn_workload type);

/*
 * Defaults, then what the run's config already says: experiment.seed,
 * cluster.shards, store.records (the key count), the workload's
 * distribution, zipf constant and hotspot fractions, txn.keys and the
 * [bank] options. Cannot fail.
 */
void bl_txn_params_from_config(struct bl_txn_params *p, enum bl_txn_workload type,
                               const struct bl_config *cfg, uint32_t session, uint32_t nsessions);

/* 0 if p can drive a generator, else BL_EINVAL with "what = value: allowed"
 * in eb (eb may be NULL). */
int bl_txn_params_check(const struct bl_txn_params *p, struct bl_errbuf *eb);

/* A generator; opaque but caller-allocated (no hidden globals). */
struct bl_txngen {
        struct bl_txn_params p;
        struct bl_rng rng;
        struct bl_keygen keys; /* ycsb-t */
        struct bl_txop *ops;
        uint32_t cap;
        uint64_t *perm; /* bank partial audits: a permutation of the accounts */
        uint64_t writes;
        uint64_t appends; /* list-append: this session's appends */
        struct bl_txn_req req;
};

/* Set up a generator for p (copied). Allocates its micro-op buffer (and, for
 * partial bank audits, one word per account). Returns 0, BL_EINVAL (as
 * bl_txn_params_check; g needs no free) or BL_ENOMEM. */
int bl_txngen_init(struct bl_txngen *g, const struct bl_txn_params *p, struct bl_errbuf *eb);
/* Release the buffers; g may be initialised again. Safe on a zeroed g. */
void bl_txngen_free(struct bl_txngen *g);
/* Next transaction. Cannot fail. */
const struct bl_txn_req *bl_txngen_next(struct bl_txngen *g);

/* "bank", "ycsb-t", "list-append"; "?" otherwise. */
const char *bl_txn_workload_name(int type);
/* "transfer", "audit", "rmw", "list" (enum bl_txn_class); "?" otherwise. */
const char *bl_txn_class_name(int cls);

#endif
