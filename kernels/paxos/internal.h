/* Multi-Paxos kernel internals: the instance struct shared by the kernel's files (and white-box
 * tests). */
#ifndef BL_KERNELS_PAXOS_INTERNAL_H
#define BL_KERNELS_PAXOS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

/*
 * Roles as in "Paxos Made Moderately Complex" (van Renesse and Altinbuken):
 * every member is an acceptor and a learner (replica); one of them is the
 * distinguished proposer, the leader, which runs phase 1 once for every slot
 * from its first unchosen slot onward and then only phase 2 per slot.
 *
 * Ballots are (round, member) pairs packed into one number, round << 8 |
 * member, so that they compare as integers and two members never share one.
 *
 * Persistent state (env->persist, replayed after a crash): the promised
 * ballot, every accepted (slot, ballot, value), and the latest snapshot of
 * the state machine. A promise (1b) or an accept (2b) leaves only once the
 * records it depends on are durable. Everything else (commit point, the
 * leader's per-slot acknowledgements, client tags) is volatile.
 */

#define BL_PAXOS_MAX_MEMBERS 64 /* acknowledgements are a 64-bit mask */
#define BL_PAXOS_MEMBER_BITS 8  /* ballot = round << 8 | member */

/* A submit() beyond this many unchosen commands gets BL_EBUSY. */
#define BL_PAXOS_MAX_UNCHOSEN 65536
/* Pending quorum reads beyond this get BL_EBUSY. */
#define BL_PAXOS_MAX_READS 65536
/* Bytes of values in one Accept or Learn message (at least one slot is sent). */
#define BL_PAXOS_MAX_MSG_BYTES (1u << 20)
/* Slots in one Learn message answering a catch-up request. */
#define BL_PAXOS_LEARN_SLOTS 1024
/* Replies waiting for durability beyond this are dropped (the peer retries). */
#define BL_PAXOS_MAX_DEFERRED 65536

/* The ballot a learner gives a value it learned as chosen (Learn, snapshot
 * tail) rather than accepted: a chosen value is the only one any later
 * ballot may propose, so reporting it above every real ballot in a promise
 * is safe, and it makes a new leader pick it. */
#define BL_PAXOS_CHOSEN UINT64_MAX

enum bl_paxos_role { BL_PAXOS_FOLLOWER, BL_PAXOS_CANDIDATE, BL_PAXOS_LEADER };

enum bl_paxos_value_type {
        BL_PAXOS_CMD = 1,  /* a client command */
        BL_PAXOS_NOOP = 2, /* fills a gap found in phase 1 */
};

/* Record types passed to env->persist (replay.c). */
enum bl_paxos_record {
        BL_PAXOS_REC_PROMISE = 1,    /* promised ballot */
        BL_PAXOS_REC_ACCEPT = 2,     /* ballot, consecutive accepted slots */
        BL_PAXOS_REC_CHECKPOINT = 3, /* promised, snapshot, accepted tail: supersedes all before */
};

struct bl_paxos_slot {
        uint64_t ballot; /* accepted in this ballot; 0: hole (nothing accepted) */
        uint8_t type;
        uint32_t len;
        uint8_t *buf;
        /* Volatile. */
        uint64_t tag;     /* submit() tag this replica answers for, 0: none */
        uint64_t seq;     /* leader: the record holding its own acceptance */
        uint64_t acks;    /* leader: bit i = member i accepted it in our ballot */
        uint64_t born_ns; /* leader: when it was proposed (batch delay) */
        uint64_t sent_ns; /* leader: last time an Accept carried it */
};

/* Slots offset+1 .. offset+n in a ring. Slots up to `offset` are applied
 * and covered by the snapshot (or compacted away). */
struct bl_paxos_log {
        struct bl_paxos_slot *ring;
        size_t cap;
        size_t front;
        size_t n;
        uint64_t offset;
        uint64_t bytes;
};

/* A reply that must wait until the records before it are durable. */
struct bl_paxos_deferred {
        uint64_t seq;
        int to, type;
        size_t len;
        uint8_t *buf;
};

/* A quorum read waiting on the leader. */
struct bl_paxos_read {
        uint64_t index; /* commit point when its round was assigned */
        uint64_t round; /* confirmation round it waits for; 0 = not assigned */
        uint64_t tag;
        uint32_t len;
        uint8_t *buf;
};

/* What the leader knows about one other member. */
struct bl_paxos_peer {
        uint64_t last_contact_ns; /* any answer in our ballot */
        uint64_t acked_round;     /* highest read round it confirmed */
        uint64_t commit;          /* its commit point, as it last reported */
        uint64_t fast_slot;       /* first slot of the last fast resend to it */
        uint64_t fast_ns;         /* and when */
};

/* A snapshot being received in chunks. */
struct bl_paxos_incoming {
        uint64_t index;
        uint64_t total;
        uint64_t got;
        uint8_t *buf;
        int from;
};

struct bl_paxos {
        struct bl_env env;
        struct bl_group g;
        const struct bl_config *cfg;
        int q1, q2; /* phase 1 and phase 2 quorums: q2 = cfg or majority, q1 = n - q2 + 1 */

        /* Settings, from cfg->paxos, in the units the kernel uses. */
        uint64_t election_ns; /* leader silent this long (randomized [t, 2t)): run phase 1 */
        uint64_t heartbeat_ns;
        uint64_t batch_delay_ns;
        uint64_t snapshot_entries; /* 0: never compact */
        uint64_t chunk_bytes;      /* snapshot chunk size */
        int max_batch;
        int pipeline;
        int quorum_reads; /* read_mode = quorum */

        /* Persistent state. */
        uint64_t promised;
        struct bl_paxos_log log;
        struct {
                void *buf; /* the state machine serialized; NULL when index == 0 */
                size_t len;
                uint64_t index;
        } snap;

        /* Durability. */
        uint64_t persisted_seq;  /* latest record persisted */
        uint64_t durable_seq;    /* latest reported durable */
        uint64_t checkpoint_seq; /* a checkpoint waiting to become durable, then compact */
        struct bl_paxos_deferred *deferred;
        size_t def_head, def_n, def_cap; /* ring */

        /* Volatile state on every member. */
        int started;
        int role;
        int leader;             /* member believed to lead, -1 if unknown */
        uint64_t leader_ballot; /* ballot of the last message from the leader */
        uint64_t leader_commit; /* the leader's commit point, as last heard */
        uint64_t commit;        /* slots up to here are chosen and held (or applied) */
        uint64_t applied;
        uint64_t deadline_ns;   /* phase 1 when now passes it (followers, candidates) */
        uint64_t last_heard_ns; /* last message from the leader */
        int backoff;            /* preemptions in a row: widens the timeout */
        int applying;
        uint64_t catchup_sent_ns;
        uint64_t catchup_from;
        struct bl_paxos_incoming in;

        /* Candidate: phase 1. */
        uint64_t seen;          /* highest ballot seen in a refusal or a preemption */
        uint64_t ballot;        /* the ballot we lead or try to lead; 0 none */
        int probing;            /* asking whether a quorum would promise (nothing persisted) */
        int p1_sent;            /* prepares sent (our own promise is durable) */
        uint64_t p1_seq;        /* record of our own promise */
        uint64_t p1_from;       /* first slot phase 1 covers */
        uint64_t promises;      /* bit i: member i promised */
        int p1_force;           /* leadership transfer: acceptors skip stickiness */
        struct bl_paxos_log p1; /* highest-ballot value per slot from the promises */
        int p1_stale;           /* a promise showed slots compacted beyond our commit */

        /* Leader: phase 2. */
        uint64_t next_send;     /* first slot not yet sent in an Accept */
        uint64_t p1_end;        /* last slot re-proposed after phase 1 */
        uint64_t *inflight_end; /* ring of the last slot of each batch in flight */
        int inflight_front, inflight;
        uint64_t leader_since_ns;
        uint64_t last_commit_ns; /* when the commit point last moved (resends) */
        uint64_t last_hb_ns;     /* last Accept or heartbeat broadcast */
        struct bl_paxos_peer *peers;
        uint64_t read_round;
        struct bl_paxos_read *reads;
        size_t reads_head, reads_n, reads_cap;
        int transfer_to; /* -1: none */
        uint64_t transfer_deadline_ns;
        int timeout_now_sent;

        uint8_t *out; /* scratch for outgoing messages and records (send/persist copy) */
        size_t out_cap;
};

static inline uint64_t bl_paxos_now(const struct bl_paxos *p)
{
        return p->env.now(p->env.ctx);
}

static inline uint64_t bl_paxos_ballot(uint64_t round, int member)
{
        return round << BL_PAXOS_MEMBER_BITS | (uint64_t)member;
}

static inline uint64_t bl_paxos_round(uint64_t ballot)
{
        return ballot >> BL_PAXOS_MEMBER_BITS;
}

static inline int bl_paxos_popcount(uint64_t v)
{
        int n = 0;

        for (; v != 0; v &= v - 1)
                n++;
        return n;
}

/* The scratch buffer grown to at least n bytes; NULL on allocation failure. */
uint8_t *bl_paxos_out_buf(struct bl_paxos *p, size_t n);

#endif
