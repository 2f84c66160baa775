/* Raft kernel internals: the instance struct shared by the kernel's files (and white-box tests). */
#ifndef BL_KERNELS_RAFT_INTERNAL_H
#define BL_KERNELS_RAFT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

/*
 * State is split as in Figure 2 of the paper:
 *
 *   Persistent state on all servers (updated on stable storage before
 *   responding to RPCs): currentTerm, votedFor, log[]
 *
 * plus the latest snapshot (Chapter 5). The persistent state is written as
 * records through env->persist() (persist.c) and rebuilt from them by
 * replay() after a crash, which destroys the instance: whatever was not
 * persisted, or not yet durable, is gone.
 */

#define BL_RAFT_MAX_MEMBERS 64 /* votes are a 64-bit mask */

/* A submit() beyond this many uncommitted entries gets BL_EBUSY: a leader
 * cut off from its followers must not grow its log without bound. */
#define BL_RAFT_MAX_UNCOMMITTED 65536
/* Pending ReadIndex reads beyond this get BL_EBUSY. */
#define BL_RAFT_MAX_READS 65536
/* Bytes of entries in one AppendEntries (at least one entry is sent). */
#define BL_RAFT_MAX_MSG_BYTES (4u << 20)

/*
 * Mutations: deliberate bugs, for tests that show the simulator catches
 * them. Set only by the test-only kernels of raft.h (bl_kernel_raft_mutant_*),
 * never by the registered kernel.
 */
enum bl_raft_mutation {
        /* Before issue 8: count acknowledgements (and contact) from answers
         * to requests of earlier terms. */
        BL_RAFT_MUT_STALE_ACKS = 0x1,
        /* Grant a vote without persisting it (issue 9). */
        BL_RAFT_MUT_VOTE_UNPERSISTED = 0x2,
};

enum bl_raft_role { BL_RAFT_FOLLOWER, BL_RAFT_CANDIDATE, BL_RAFT_LEADER };

enum bl_raft_entry_type {
        BL_RAFT_ENTRY_CMD = 1,  /* a client command */
        BL_RAFT_ENTRY_NOOP = 2, /* the blank entry a leader appends at the start of its term */
};

struct bl_raft_entry {
        uint64_t term;
        uint8_t type;
        uint32_t len;
        uint8_t *buf;     /* len bytes, NULL when len == 0 */
        uint64_t born_ns; /* volatile: when this leader appended it (batching) */
        uint64_t tag;     /* volatile: the proposal's tag while this leader answers for it */
};

/*
 * The in-memory log: a ring of entries with indexes offset+1 .. offset+n.
 * Entries up to `offset` were compacted into the snapshot (or never existed
 * when offset == 0); offset_term is the term of entry `offset`.
 */
struct bl_raft_log {
        struct bl_raft_entry *ring;
        size_t cap;
        size_t front; /* ring slot of entry offset+1 */
        size_t n;
        uint64_t offset;
        uint64_t offset_term;
        uint64_t bytes; /* payload bytes held */
};

/* How the leader replicates to one follower (compare etcd's Progress). */
enum bl_raft_mode {
        /* One AppendEntries at a time, nextIndex moves only on success: used
         * after election and after a rejection, until the logs match. */
        BL_RAFT_PROBE,
        /* Logs match up to matchIndex: up to cfg pipeline AppendEntries in
         * flight, nextIndex advances optimistically as they are sent. */
        BL_RAFT_PIPELINE,
        /* nextIndex fell behind the log: an InstallSnapshot is in flight. */
        BL_RAFT_SNAPSHOT,
};

struct bl_raft_progress {
        uint64_t next;  /* nextIndex */
        uint64_t match; /* matchIndex */
        int mode;
        int inflight;            /* AppendEntries outstanding (PIPELINE, PROBE) */
        uint64_t *inflight_last; /* ring of their last indexes, cap = pipeline */
        int inflight_front;
        uint64_t snapshot_index;   /* SNAPSHOT: index of the snapshot sent */
        uint64_t last_send_ns;     /* any message to this follower */
        uint64_t last_progress_ns; /* an in-flight AppendEntries was answered */
        uint64_t last_contact_ns;  /* any response in the current term */
        uint64_t acked_seq;        /* highest ReadIndex round acknowledged */
};

/* A ReadIndex read waiting on the leader (dissertation Section 6.4). */
struct bl_raft_read {
        uint64_t index; /* readIndex: the commit index when the round was assigned */
        uint64_t round; /* heartbeat round that must be acknowledged; 0 = not assigned */
        uint64_t tag;   /* the proposal's tag from submit() */
        uint32_t len;
        uint8_t *buf;
};

struct bl_raft {
        struct bl_env env;
        struct bl_group g;
        const struct bl_config *cfg;
        int quorum; /* nmembers / 2 + 1 */

        /* Settings, from cfg->raft, in the units the kernel uses. */
        uint64_t election_ns; /* base election timeout; randomized in [t, 2t) */
        uint64_t heartbeat_ns;
        uint64_t batch_delay_ns;
        uint64_t snapshot_entries; /* 0: never compact */
        int max_batch;
        int pipeline;
        int prevote;
        int read_index;     /* cfg read_mode == BL_READ_INDEX */
        unsigned mutations; /* BL_RAFT_MUT_*: 0 except in tests */

        /* Persistent state. */
        uint64_t term;
        int voted_for; /* -1: none in this term */
        struct bl_raft_log log;
        struct {
                void *buf; /* the state machine serialized; NULL when index == 0 */
                size_t len;
                uint64_t index;
                uint64_t term;
        } snap;

        /* Persistence (persist.c); sequence numbers are env->persist()'s. */
        uint64_t persisted_seq; /* latest record written */
        uint64_t durable_seq;   /* every record up to this one is durable */
        uint64_t state_seq;     /* latest record carrying term and vote */
        uint64_t snap_seq;      /* latest SNAPSHOT record until it is durable; 0: none */
        uint64_t durable_index; /* log entries up to here are durable */
        struct bl_raft_pending {
                uint64_t seq;  /* a record not durable yet */
                uint64_t last; /* log entries durable once it is */
        } * pend;              /* ring, oldest first */
        size_t pend_head, pend_n, pend_cap;
        /* Answers that wait for durability: a follower's AppendEntries
         * acknowledgement, a granted vote. to = -1: none. */
        struct {
                int to;
                uint64_t term, match, seq, sent;
        } ack;
        struct {
                int to;
                uint64_t term;
        } vote;

        /* Volatile state on all servers. */
        int role;
        int leader; /* member believed to lead this term, -1 if unknown */
        uint64_t commit;
        uint64_t applied;
        uint64_t election_deadline_ns;
        uint64_t last_heard_ns; /* last AppendEntries/InstallSnapshot from the leader */
        int applying;           /* guards against re-entrant apply loops */

        /* Volatile state on candidates. */
        int in_prevote;
        uint64_t votes; /* bit i: member i granted its (pre-)vote */

        /* Volatile state on leaders. */
        struct bl_raft_progress *peers; /* nmembers slots; the self slot is unused */
        uint64_t leader_since_ns;
        uint64_t read_round; /* latest ReadIndex heartbeat round started; rounds
                              * are told apart across leaderships by the term
                              * echoed with them (encode.h) */
        struct bl_raft_read *reads;
        size_t reads_head, reads_n, reads_cap; /* ring */
        int transfer_to;                       /* -1: no transfer running */
        uint64_t transfer_deadline_ns;
        int timeout_now_sent;

        /* Scratch buffer for encoding outgoing messages (send() copies). */
        uint8_t *out;
        size_t out_cap;
};

/* Time now, from the environment. */
static inline uint64_t bl_raft_now(const struct bl_raft *r)
{
        return r->env.now(r->env.ctx);
}

/* The scratch buffer grown to at least n bytes; NULL on allocation failure. */
uint8_t *bl_raft_out_buf(struct bl_raft *r, size_t n);

#endif
