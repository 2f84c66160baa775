/* Internals of the simulator's transaction mode, shared by src/sim/sim_txn*.c; not a public
 * interface.
 */
#ifndef BL_SIM_SIM_TXN_INT_H
#define BL_SIM_SIM_TXN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "check/txnhist.h"
#include "kernels/twopc/twopc.h"
#include "load/txn.h"
#include "sim/sim_int.h"
#include "store/txn.h"

/*
 * Files: sim_txn.c (the commit layer of every node: its environment and
 * routing, the replicas' transaction stores, node crashes and recoveries),
 * sim_txn_client.c (the transaction clients and what they record),
 * sim_txn_check.c (settling and the verdicts).
 */

/* Settle barriers (sim_txn_settle): DECIDE abort of txn ids below this (no
 * client's: theirs are >= 1 << 32), proposed with tags that have this bit. */
#define BARRIER_TXN_END (1ULL << 32)
#define BARRIER_TAG     (1ULL << 63)
#define OUT_NONE        0xff /* no outcome recorded yet (sim_tclient.outc) */

/* One node's commit layer and what the simulator keeps for it. */
struct sim_tnode {
        struct bl_sim *s;
        int node;
        struct bl_tpc *tpc; /* NULL while crashed */
        struct bl_memlog log;
        uint64_t persisted, durable;
        int busy;   /* inside a call of tpc: completions are deferred */
        int *guess; /* believed leader member per shard (when no local instance knows) */
};

/* One transaction client session. */
struct sim_tclient {
        uint32_t id; /* 1-based */
        int node;    /* 2pc/none: the node that coordinates its transactions */
        struct bl_txngen gen;
        uint64_t n;   /* transactions begun */
        uint64_t cur; /* id of the current (or last) one */
        struct bl_tpc_op *ops;
        uint32_t nops;
        size_t cap;
        uint8_t cls;
        int outstanding;
        int idle;
        uint64_t invoke_ns;
        uint64_t token;
        int *guess;    /* replicated: believed leader member per shard */
        uint8_t *outc; /* outcome per transaction number - 1 (OUT_NONE: none yet) */
        size_t outc_cap;
};

/* A transaction with a recorded outcome; shards written in txn->shards[off ..]. */
struct sim_txrec {
        uint64_t id;
        uint8_t outcome;
        uint32_t nshards;
        size_t off;
};

struct sim_audit {
        uint64_t txn;
        size_t n, off; /* accounts / balances [off .. off + n) */
};

struct sim_txn {
        int replicated;
        struct bl_txn_params params;
        uint64_t initial; /* every register's initial value */
        struct sim_tnode *nodes;
        struct sim_tclient *clients;
        struct sim_txrec *recs;
        size_t nrecs, caprecs;
        uint32_t *shards;
        size_t nshards, capshards;
        uint64_t barrier;           /* last settle barrier proposed */
        uint64_t settled_events;    /* events fired when the last settle succeeded */
        struct bl_txn_history hist; /* list-append */
        struct sim_audit *audits;   /* bank */
        size_t naudits, capaudits;
        uint64_t *acct;
        int64_t *bal;
        size_t nbal, capbal;
};

/* The request a transaction client sends (ops follow). */
struct sim_treq {
        uint64_t id, ts, cookie;
        uint32_t nops;
};

/* A completion deferred to its own event (one block: reads and ops follow). */
struct sim_tdefer {
        struct bl_txs_cmd c;
        struct bl_txs_vote_msg v;
};

/* Result encoding (a simulator event, not a wire format): the header, then
 * per op: value, n, n list elements (all u64). */
struct sim_tres {
        uint64_t id;
        uint8_t outcome, reason, has_reads;
        uint32_t nops;
};

/* Calls into a node's commit layer: the busy count marks re-entrancy. */
#define TPC_CALL(tn, expr)                                                                         \
        do {                                                                                       \
                (tn)->busy++;                                                                      \
                expr;                                                                              \
                (tn)->busy--;                                                                      \
        } while (0)

static inline struct sim_tnode *tnode(const struct bl_sim *s, int node)
{
        return &s->txn->nodes[node];
}

/* sim_txn.c */
/* Grow *p (elements of size bytes) to hold need; 0 or BL_ENOMEM. */
int sim_txn_grow(void **p, size_t *cap, size_t need, size_t size);

/* sim_txn_client.c */
/* env->done of every node's commit layer. */
void sim_txn_done(void *ctx, const struct bl_tpc_result *r);
int sim_txn_clients_init(struct bl_sim *s, struct bl_errbuf *eb);
void sim_txn_clients_free(struct bl_sim *s);
/* SIM_EV_TREQ, SIM_EV_TREPLY and client timers. */
void sim_txn_client_event(struct bl_sim *s, const struct sim_ev *ev);
/* 2pc/none: node crashed, its clients' transactions in flight are unknown;
 * node recovered, they go on. */
void sim_txn_clients_lost(struct bl_sim *s, int node);
void sim_txn_clients_back(struct bl_sim *s, int node);
/* The first shard of c's current transaction, and the shards it writes
 * (into sh, room for c->nops; returns how many). */
int sim_txn_first_shard(const struct bl_sim *s, const struct sim_tclient *c);
uint32_t sim_txn_written_shards(const struct bl_sim *s, const struct sim_tclient *c, uint32_t *sh);

#endif
