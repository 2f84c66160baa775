/* Simulator internals shared by the files of src/sim; not a public interface. */
#ifndef BL_SIM_SIM_INT_H
#define BL_SIM_SIM_INT_H

#include <stdint.h>

#include "check/history.h"
#include "common/rng.h"
#include "sim/sim.h"
#include "storage/memlog.h"
#include "store/cmd.h"

/*
 * Files: sim.c (creation, event queue, stepping, nodes, network, checks on
 * digests and elections), sim_client.c (client sessions and the history),
 * sim_sched.c (random fault schedules, settle, bl_sim_check), sim_txn*.c
 * (transaction mode: the commit layer of every node and its routing, the
 * transaction clients, the verdicts; sim_txn_int.h).
 */

struct bl_txs;
struct sim_txn;

enum sim_ev_kind {
        SIM_EV_MSG,    /* a = shard, b = from member, c = to member, d = type */
        SIM_EV_TICK,   /* a = node */
        SIM_EV_CREQ,   /* a = client index, b = node, c = shard, x = token; buf = cmd */
        SIM_EV_CREPLY, /* a = client index, b = replier member, c = hint member,
                        * d = status, x = seq, y = value, z = token (redirects) */
        SIM_EV_CTIMER, /* a = client index, b = 1 for timeout / 0 for send, x = token */
        SIM_EV_DISK,   /* a = node, b = 0: an append completed (x = its sequence
                        * number) / 1: a sync completed (x = what it covers);
                        * y = the node's disk incarnation when it was issued */
        /* Transaction mode (sim_txn.c). */
        SIM_EV_TPC,    /* commit-layer message: a = sender node, b = receiving node,
                        * c = type, d = shard + 1 when sent to "the leader of shard"
                        * (0: to a rank), x = forwards so far */
        SIM_EV_TREQ,   /* transaction request: a = client index, b = node, x = token;
                        * buf = struct sim_treq + ops */
        SIM_EV_TREPLY, /* to a client: a = client index, b = node, c = hint member,
                        * d = 0 result (buf) / 1 redirect, x = txn id, z = token */
        SIM_EV_TDEFER, /* a completion the commit layer must not see re-entrantly:
                        * a = node, b = shard, c = 0 applied / 1 dropped, x = tag,
                        * y = the node's incarnation; buf = struct sim_tdefer */
};

struct sim_ev {
        uint64_t t;
        uint64_t seq;
        int32_t kind;
        int32_t a, b, c, d;
        uint64_t x, y, z;
        void *buf;
        size_t len;
};

struct sim_inst {
        struct bl_sim *s;
        int node, shard, member;
        void *k;
        struct bl_kv *kv;   /* kv mode */
        struct bl_txs *txs; /* transaction mode (instead of kv) */
        uint64_t applied;   /* transaction mode: commands applied (the kv counts its own) */
        uint64_t barrier;   /* transaction mode: the last settle barrier applied here */
        struct bl_rng rng;  /* env->random */
        /* The instance's records on its node's disk (sim_disk), the highest
         * sequence number persisted and the highest reported durable. */
        struct bl_memlog log;
        uint64_t persisted, durable;
};

/* Canonical digest vector of a shard: dig[n - 1] is the digest after n
 * mutations, as first recorded by node who[n - 1]; 0 = not seen yet. */
struct sim_digests {
        uint64_t *dig;
        int *who;
        size_t len, cap;
};

struct sim_client {
        uint32_t id;       /* 1-based client id */
        uint64_t seq;      /* current (or last) request */
        struct bl_cmd cmd; /* current request */
        int outstanding;
        int idle;           /* no timer pending: needs a kick when clients turn on */
        uint64_t invoke_ns; /* first send of the current request */
        uint64_t token;     /* bumped on every state change: stale timers ignore */
        int *guess;         /* believed leader member, per shard */
};

/*
 * A node's disk, shared by its instances as the rank's write-ahead log is:
 * records are appended in order (each after an append latency), and one sync
 * at a time makes everything appended so far durable (group commit), after a
 * sync latency. A crash keeps what the last completed sync covered.
 * incarnation counts crashes, so completions of a previous life are ignored.
 */
struct sim_disk {
        uint64_t written;       /* highest sequence number appended */
        uint64_t synced;        /* every record up to this one is durable */
        uint64_t target;        /* the running sync covers up to this */
        int syncing;            /* a sync is running */
        uint64_t last_append_t; /* appends complete in order */
        uint64_t incarnation;
};

/* A delay rule (bl_sim_set_delay): messages from node `from` to node `to`
 * (-1: any) wait mean +- jitter ns more. */
struct sim_delay {
        int from, to;
        uint64_t mean, jitter;
};

#define SIM_MAX_DELAYS 16

struct sim_term {     /* election safety map entry: (shard, term) -> node */
        uint64_t key; /* 0 = empty; else (term << 16 | shard) + 1 */
        int node;
};

struct bl_sim {
        struct bl_sim_opts o;
        struct bl_config cfg;
        uint64_t tick_ns;

        uint64_t now;
        uint64_t wal_seq; /* last sequence number handed out by persist() */
        uint64_t next_seq;
        struct sim_ev *heap;
        size_t heap_n, heap_cap;

        struct bl_rng net_rng;
        struct bl_rng client_rng;
        double drop, dup;
        struct sim_delay delays[SIM_MAX_DELAYS];
        int n_delays;
        int fifo;            /* this run's links keep per-pair order (opts.links) */
        uint64_t *link_last; /* fifo: latest delivery time per (from, to) node pair */

        int *crashed;          /* per node */
        struct sim_disk *disk; /* per node */
        int *side;             /* per node; valid when partitioned */
        int partitioned;

        struct sim_inst *inst;       /* shards * replicas, index shard * replicas + member */
        struct sim_digests *digests; /* per shard */

        struct sim_term *terms;
        size_t terms_n, terms_cap;
        uint64_t ev_counts[BL_EV__COUNT];

        struct sim_client *clients;
        int clients_on;
        uint64_t pending;
        int ops[BL_OP__COUNT]; /* ops the clients pick from */
        int n_ops;

        struct bl_history hist;  /* completed operations */
        struct bl_history *view; /* hist + outstanding ops as UNKNOWN (bl_sim_history) */

        struct sim_txn *txn; /* transaction mode (opts.commit), else NULL */

        int violated;
        struct bl_errbuf violation;
        struct bl_sim_stats st;
};

/* Record the first violation (later ones are ignored). Returns BL_ECHECK. */
int sim_violate(struct bl_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Insert an event; its seq is assigned here. Records an OOM violation on failure. */
void sim_push(struct bl_sim *s, struct sim_ev *ev);
/* Latency draw in [lat_min, lat_max]. */
uint64_t sim_latency(struct bl_sim *s);
/* Link loss / duplication draws. */
int sim_lost(struct bl_sim *s);
int sim_duped(struct bl_sim *s);

struct sim_inst *sim_inst(const struct bl_sim *s, int node, int shard);
/* Commands applied by the replica's state machine and its running digest. */
uint64_t sim_inst_applied(const struct sim_inst *in);
uint64_t sim_inst_digest(const struct sim_inst *in);
/* Compare the replica's digest with the shard's canonical vector (sim.c). */
void sim_record_digest(struct bl_sim *s, struct sim_inst *in);

/* A message between two nodes (ev->kind and its fields set by the caller):
 * lost across a partition or to link faults, else delivered after a latency
 * (delay rules, FIFO links), possibly twice; buf is copied. */
void sim_node_send(struct bl_sim *s, int from, int to, struct sim_ev *ev, const void *buf,
                   size_t len);
/* Append a record to node's disk for log (see Disk); returns its sequence
 * number (0 on allocation failure, a violation then). */
uint64_t sim_disk_append(struct bl_sim *s, int node, struct bl_memlog *log, uint64_t *persisted,
                         int type, const void *buf, size_t len);

/* Create (or re-create after a crash) the kernel instance of `in`, replay its
 * records and start it. Records a violation and returns non-zero on failure. */
int sim_inst_start(struct bl_sim *s, struct sim_inst *in);

/* sim_client.c */
int sim_clients_init(struct bl_sim *s);
void sim_clients_free(struct bl_sim *s);
void sim_client_event(struct bl_sim *s, const struct sim_ev *ev);
void sim_client_request(struct bl_sim *s, struct sim_ev *ev);
/* Send a client reply (from apply) for cmd with result res through the network. */
/* A proposal of client tag - 1 was dropped by `in`: redirect the client. */
void sim_client_dropped(struct bl_sim *s, struct sim_inst *in, uint64_t tag);
void sim_client_reply(struct bl_sim *s, struct sim_inst *in, const struct bl_cmd *c,
                      const struct bl_result *res);

/* sim_txn.c: transaction mode. */
int sim_txn_init(struct bl_sim *s, struct bl_errbuf *eb);  /* before the instances */
int sim_txn_start(struct bl_sim *s, struct bl_errbuf *eb); /* after them: clients, bl_tpc_start */
void sim_txn_free(struct bl_sim *s);
int sim_txn_store_create(struct bl_sim *s, struct sim_inst *in); /* fresh bl_txs for in */
void sim_txn_apply(struct bl_sim *s, struct sim_inst *in, const void *cmd, size_t len,
                   uint64_t index, uint64_t tag);
void sim_txn_dropped(struct bl_sim *s, struct sim_inst *in, uint64_t tag);
int sim_txn_snapshot(struct sim_inst *in, void **buf, size_t *len);
int sim_txn_restore(struct sim_inst *in, const void *buf, size_t len);
void sim_txn_event(struct bl_sim *s, const struct sim_ev *ev);
void sim_txn_tick(struct bl_sim *s, int node);
void sim_txn_durable(struct bl_sim *s, int node, uint64_t synced);
void sim_txn_crash(struct bl_sim *s, int node);         /* after the disk lost its tail */
void sim_txn_recover_begin(struct bl_sim *s, int node); /* before the instances restart */
void sim_txn_recover_end(struct bl_sim *s, int node);   /* after them */
void sim_txn_clients(struct bl_sim *s, int on);
/* 1 when no transaction is outstanding, none is waiting or in doubt on any
 * live replica and the replicas of each shard applied as much as each other. */
int sim_txn_quiet(const struct bl_sim *s);
/* Run until quiet and caught up (see sim_txn.c), or until `end`: 0, or
 * BL_ECHECK when time ran out. */
int sim_txn_settle(struct bl_sim *s, uint64_t end);
/* Describe what keeps the run from being quiet (for the settle message). */
void sim_txn_unquiet(const struct bl_sim *s, char *buf, size_t len);
/* The longest blocking window of any live replica (bl_txs_stats). */
uint64_t sim_txn_blocked_max(const struct bl_sim *s);
/* The transaction verdicts (see sim.h, Transactions). */
int sim_txn_check(struct bl_sim *s, struct bl_errbuf *eb);

#endif
