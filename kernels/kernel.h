/* The protocol kernel interface: pure state machines behind an environment struct. */
#ifndef BL_KERNELS_KERNEL_H
#define BL_KERNELS_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/events.h"
#include "config/config.h"

/*
 * A kernel is a deterministic state machine. It sees the world only through
 * struct bl_env: it never includes mpi.h, hdf5.h or hwloc.h, never reads a
 * clock, never uses the C library's random numbers, keeps no globals. The same object file links
 * into the MPI runtime (src/run) and into the simulator (src/sim).
 *
 * One kernel instance serves one replica of one shard (a "group"): members
 * are numbered 0..n-1 inside the group, and the environment maps members to
 * ranks. A rank hosts as many instances as it holds replicas (multi-group).
 *
 * Commands are opaque bytes to a kernel: the runtime encodes client commands
 * and decodes them again in apply(). A kernel only learns whether a command
 * is read-only (BL_SUBMIT_READONLY), so it may serve reads without the log.
 *
 * Replication kernels (none, raft, paxos) keep one shard's log identical on
 * its replicas. Commit kernels (2pc) make a multi-shard transaction atomic;
 * their participants will log prepare and decision records as ordinary
 * commands of the shard's replication kernel (submit), so a commit kernel
 * composes with any replication kernel ("2pc/raft") without the runtime
 * knowing either.
 */

/* Flags for submit(). */
#define BL_SUBMIT_READONLY 0x1u

struct bl_env {
        void *ctx; /* the runtime's (or simulator's) per-instance context */

        /* Monotonic time in nanoseconds. */
        uint64_t (*now)(void *ctx);
        /* Uniform 64-bit random number from a seeded stream. */
        uint64_t (*random)(void *ctx);
        /* Send a message to member `to` of this group. type < the kernel's
         * n_msg_types. The buffer is copied before return. Delivery is not
         * guaranteed (faults may drop, delay, duplicate or reorder it). */
        void (*send)(void *ctx, int to, int type, const void *buf, size_t len);
        /* Apply a command that is committed (or, for a read-only command, that
         * may be served now) to this replica's state machine, in log order.
         * reply != 0: this replica answers the client that sent it. */
        void (*apply)(void *ctx, const void *cmd, size_t len, int reply);
        /* Serialize this replica's state machine (log compaction). On success
         * *buf is allocated with bl_malloc and owned by the caller. Returns 0
         * or BL_ENOMEM. */
        int (*snapshot)(void *ctx, void **buf, size_t *len);
        /* Replace this replica's state machine with a snapshot; buf == NULL
         * resets it to the initial (preloaded) state. Returns 0 or BL_EPROTO
         * for a malformed snapshot. */
        int (*restore)(void *ctx, const void *buf, size_t len);
        /* Record an event (see common/events.h) with two integer arguments. */
        void (*event)(void *ctx, int type, int64_t a, int64_t b);
};

struct bl_group {
        int shard;    /* shard id */
        int self;     /* this member's index, 0..nmembers-1 */
        int nmembers; /* replicas in the group */
};

/* Counters a kernel reports about itself; zero what does not apply. */
struct bl_kernel_stats {
        uint64_t term;        /* term / ballot */
        uint64_t commit;      /* commit index */
        uint64_t applied;     /* last applied index */
        uint64_t log_entries; /* entries held in memory */
        uint64_t mem_bytes;   /* bytes held by the kernel (log, buffers) */
};

enum bl_kernel_kind { BL_KERNEL_REPLICATION, BL_KERNEL_COMMIT };

struct bl_kernel {
        const char *name;
        const char *version;
        const char *summary;
        enum bl_kernel_kind kind;
        int leader_based; /* clients look for a leader (1) or use any replica (0) */
        int n_msg_types;
        const char *const *msg_names; /* n_msg_types names, for message counters */

        /* Create an instance. env and g are copied. Returns NULL on allocation
         * failure. cfg stays valid for the instance's lifetime. */
        void *(*create)(const struct bl_env *env, const struct bl_group *g,
                        const struct bl_config *cfg);
        /* Free an instance and everything it holds. NULL is a no-op. */
        void (*destroy)(void *k);
        /* A client command arrived at this replica. Returns 0 when accepted
         * (the kernel will apply it with reply=1 once committed, or drop it if
         * it loses leadership: the client retries), BL_ENOTLEADER when another
         * member should be asked (see leader()), BL_EBUSY when overloaded, or
         * BL_ENOMEM. */
        int (*submit)(void *k, const void *cmd, size_t len, unsigned flags);
        /* A message from member `from`. Returns 0, or BL_EPROTO when the
         * message is malformed (it is then ignored and counted). */
        int (*recv)(void *k, int from, int type, const void *buf, size_t len);
        /* Called periodically (cluster.tick_us); timers live here. */
        void (*tick)(void *k);
        /* Member this instance believes leads the group, or -1. */
        int (*leader)(void *k);
        /* Fail-stop: discard all volatile state, keep only what the protocol
         * declares persistent (Raft: term, vote, log). The instance receives
         * nothing until recover(). */
        void (*crash)(void *k);
        /* Restart from persistent state (rebuilding the state machine through
         * env->restore and re-application as the protocol requires). */
        void (*recover)(void *k);
        /* Fill stats. May be NULL. */
        void (*stats)(void *k, struct bl_kernel_stats *out);
        /* Hand leadership to `member` (-1: the most up-to-date one), for a
         * fault schedule that asks for it. May be NULL (not supported).
         * Returns 0, BL_ENOTLEADER, BL_EINVAL or BL_EBUSY. */
        int (*transfer)(void *k, int member);
};

/* The registry: every kernel, NULL-terminated (kernels/registry.c). */
extern const struct bl_kernel *const bl_kernels[];

/* Look a kernel up by name; NULL if unknown. */
const struct bl_kernel *bl_kernel_find(const char *name);

#endif
