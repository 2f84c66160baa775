/* Two-Phase Commit internals: the object, coordinated transactions, proposals, query timers. */
#ifndef BL_KERNELS_TWOPC_INTERNAL_H
#define BL_KERNELS_TWOPC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/twopc/twopc.h"

/*
 * Files: twopc.c (object, dispatch, timers, stats, 2pc/none recovery),
 * coord.c (the coordinator), part.c (the participant and, in replicated
 * mode, the answers to QUERY), msg.c (wire formats), map.c (hash map).
 *
 * Everything that may outlive a call (transactions, proposals, watches) is a
 * separate allocation found through a map, so env->done may call
 * bl_tpc_begin (which grows the maps) while the caller still holds its own
 * transaction: pointers to entries stay valid; only map slots move.
 */

/* ---- a hash map from (a, b) to a non-NULL pointer ---- */

struct tpc_slot {
        uint64_t a, b;
        void *v; /* NULL: empty */
};

struct tpc_map {
        struct tpc_slot *slots;
        size_t cap, n; /* cap: 0 or a power of two */
};

/* Insert or replace. Returns 0 or BL_ENOMEM (map unchanged). */
int tpc_map_put(struct tpc_map *m, uint64_t a, uint64_t b, void *v);
void *tpc_map_get(const struct tpc_map *m, uint64_t a, uint64_t b);
/* Remove; returns the value removed or NULL. */
void *tpc_map_del(struct tpc_map *m, uint64_t a, uint64_t b);
void tpc_map_free(struct tpc_map *m);

/* ---- coordinator ---- */

enum tpc_cstate {
        C_COLLECT = 0, /* PREPAREs out, gathering votes */
        C_LOGGING = 1, /* decided; the decision is being logged (persist or first shard) */
        C_ASKING = 2,  /* replicated: the decision proposal was lost; asking by QUERY */
        C_FINISH = 3,  /* decision effective and reported; DECIDE until ACKed */
};

/* One shard's part of a coordinated transaction. */
struct tpc_part {
        uint32_t shard;
        uint32_t nops;
        uint32_t *pos;  /* positions of the part's ops in the transaction, in order */
        uint8_t writes; /* some op is not a READ */
        uint8_t reads;  /* some op is a READ */
        uint8_t flags;  /* PREPARE flags (BL_TXS_RELEASE_READS) */
        uint8_t phase;  /* 0: prepared first; 1: read-only ones prepared last */
        uint8_t sent;   /* PREPARE sent at least once */
        uint8_t vote;   /* enum bl_txs_vote; PENDING: none yet */
        uint8_t reason; /* enum bl_txs_reason of a NO */
        uint8_t decide; /* needs the DECIDE (until acked) */
        uint8_t acked;
        uint64_t last_ns; /* last PREPARE or DECIDE sent */
};

struct tpc_txn {
        struct tpc_txn *prev, *next; /* begin order */
        uint64_t id, ts, cookie;
        uint32_t nops;
        struct bl_tpc_op *ops;
        struct bl_tpc_read *reads; /* nops; lists from bl_malloc */
        uint32_t nparts;
        struct tpc_part *parts; /* parts[0] holds the first op: the first shard */
        uint32_t *pos;          /* storage of every part's pos */
        uint32_t *wshards;      /* shards written, for the report */
        uint32_t nwshards;
        uint8_t state; /* enum tpc_cstate */
        uint8_t phase, nphases;
        uint8_t commit, reason;
        uint8_t reads_ok; /* every read known */
        uint8_t reported, replayed, counted_unacked;
        uint64_t begin_ns, last_ns;
        uint64_t seq; /* 2pc/none: the decision record; 0: not logged */
        uint64_t tag; /* replicated: the decision proposal in flight; 0: none */
};

/* ---- proposals in flight ---- */

enum tpc_pkind {
        P_PREPARE = 0, /* participant: answer with a VOTE to src */
        P_DECIDE = 1,  /* participant: answer with an ACK to src */
        P_RESOLVE = 2, /* leader of the first shard: DECIDE abort answering QUERYs */
        P_COORD = 3,   /* coordinator: its decision, logged in the first shard */
};

struct tpc_waiter {
        int rank;
        uint32_t shard;
};

struct tpc_prop {
        uint64_t tag, txn;
        uint32_t shard;
        uint8_t kind, commit;
        int src;
        uint32_t nwait, capwait; /* P_RESOLVE: who asked */
        struct tpc_waiter *wait;
};

/* ---- participant query timers ---- */

struct tpc_watch {
        struct tpc_watch *prev, *next;
        uint64_t txn;
        uint32_t shard, coord;
        uint64_t next_ns; /* next QUERY */
};

/* The ops of a PREPARE that waits for a lock (wait-die), kept so the vote,
 * when bl_tpc_vote_ready reports it, can carry the lists read. */
struct tpc_wops {
        uint32_t nops;
        struct bl_txs_op ops[];
};

struct bl_tpc {
        struct bl_tpc_env env;
        struct bl_tpc_cfg cfg;
        struct bl_tpc_stats st;
        uint64_t next_tag;
        uint64_t durable; /* 2pc/none: highest seq reported durable */

        struct tpc_map txns; /* (id, 0) -> struct tpc_txn */
        struct tpc_txn *head, *tail;
        struct tpc_map committed; /* 2pc/none: (id, 0) -> marker, every logged commit */

        struct tpc_map props; /* (tag, 0) -> struct tpc_prop */
        struct tpc_map pkeys; /* (txn, shard << 2 | kind) -> the same, to merge duplicates */

        struct tpc_map watch; /* (txn, shard) -> struct tpc_watch */
        struct tpc_watch *whead;
        uint32_t *nwatch;    /* per shard */
        uint64_t *rescan_ns; /* per shard: next check for in-doubt txns not watched */
        struct tpc_map wops; /* (txn, shard) -> struct tpc_wops */

        uint8_t *buf; /* encoding scratch */
        size_t bufcap;
};

/* Value stored in maps used as sets (never dereferenced). */
#define TPC_MARK ((void *)(uintptr_t)1)

/* ---- wire formats (msg.c) ---- */

struct tpc_prepare {
        uint64_t txn, ts;
        uint32_t coord, shard, nops;
        uint8_t flags;
        struct bl_txs_op *ops; /* decode: from bl_malloc */
};

struct tpc_vote {
        uint64_t txn;
        uint32_t shard;
        uint8_t vote, reason;
        uint32_t nreads;
        struct bl_tpc_read *reads; /* decode: one allocation with the lists */
};

struct tpc_decide { /* DECIDE and ACK */
        uint64_t txn;
        uint32_t shard;
        uint8_t commit;
};

struct tpc_query {
        uint64_t txn;
        uint32_t shard, coord;
};

#define TPC_DECIDE_LEN 13
#define TPC_QUERY_LEN  16

/* Scratch buffer of at least n bytes, or NULL. */
uint8_t *tpc_scratch(struct bl_tpc *t, size_t n);

/* PREPARE of the ops ops[pos[i]], i < nops. Returns the length, 0 on failure. */
size_t tpc_prepare_encode(struct bl_tpc *t, const struct tpc_prepare *p,
                          const struct bl_tpc_op *ops, const uint32_t *pos);
int tpc_prepare_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_prepare *p);
size_t tpc_vote_encode(struct bl_tpc *t, const struct tpc_vote *v);
int tpc_vote_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_vote *v);
size_t tpc_decide_encode(struct bl_tpc *t, const struct tpc_decide *d);
int tpc_decide_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_decide *d);
size_t tpc_query_encode(struct bl_tpc *t, const struct tpc_query *q);
int tpc_query_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_query *q);
/* Decision record (BL_TPC_REC_DECISION). shards: from bl_malloc on decode. */
size_t tpc_rec_encode(struct bl_tpc *t, uint64_t txn, int commit, const uint32_t *shards,
                      uint32_t n);
int tpc_rec_decode(const struct bl_tpc *t, const void *buf, size_t len, uint64_t *txn,
                   uint8_t *commit, uint32_t **shards, uint32_t *n);

/* ---- coordinator (coord.c) ---- */

int tpc_coord_vote(struct bl_tpc *t, int src, const struct tpc_vote *v);
void tpc_coord_ack(struct bl_tpc *t, const struct tpc_decide *d);
/* A DECIDE reached this rank: the answer to the coordinator's own QUERY? */
void tpc_coord_answer(struct bl_tpc *t, const struct tpc_decide *d);
/* 2pc/none: a QUERY to this rank. */
void tpc_coord_query(struct bl_tpc *t, int src, const struct tpc_query *q);
void tpc_coord_applied(struct bl_tpc *t, uint64_t txn, uint64_t tag);
void tpc_coord_dropped(struct bl_tpc *t, uint64_t txn, uint64_t tag);
void tpc_coord_durable(struct bl_tpc *t);
void tpc_coord_tick(struct bl_tpc *t);
/* Send the DECIDEs of replayed decisions. */
void tpc_coord_start(struct bl_tpc *t);
/* Replay: a logged decision to finish (commit), or its end. */
int tpc_coord_replayed(struct bl_tpc *t, uint64_t txn, const uint32_t *shards, uint32_t n);
void tpc_coord_ended(struct bl_tpc *t, uint64_t txn);
void tpc_txn_free(struct tpc_txn *x);
/* The effective decision of txn in this rank's replica of shard: 1 commit,
 * 0 abort, -1 open or unknown. */
int tpc_decided(const struct bl_tpc *t, uint32_t shard, uint64_t txn);
/* Answer a QUERY: DECIDE(txn, shard, commit) to rank. */
void tpc_send_answer(struct bl_tpc *t, int rank, uint64_t txn, uint32_t shard, int commit);

/* ---- participant (part.c) ---- */

void tpc_part_prepare(struct bl_tpc *t, int src, const struct tpc_prepare *p);
void tpc_part_decide(struct bl_tpc *t, int src, const struct tpc_decide *d);
/* Replicated: a QUERY to the leader of the first shard. */
void tpc_part_query(struct bl_tpc *t, int src, const struct tpc_query *q);
void tpc_part_tick(struct bl_tpc *t);
void tpc_prop_free(struct tpc_prop *p);
void tpc_watch_free_all(struct bl_tpc *t);

#endif
