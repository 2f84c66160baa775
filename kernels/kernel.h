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
 * Proposals complete. submit(cmd, tag) is a proposal; the kernel later
 * reports apply(cmd, index, tag) on the replica that accepted it (the
 * committed(tag, index) report) or dropped(tag). Replication kernels (none,
 * raft, paxos) keep one shard's log identical on its replicas. Commit kernels
 * (2pc) make a multi-shard transaction atomic; their participants log prepare
 * and decision records as ordinary proposals of the shard's replication
 * kernel, and learn from the completion that a record is committed, so a
 * commit kernel composes with any replication kernel ("2pc/raft") without
 * the runtime knowing either.
 *
 * Persistence. A kernel keeps its persistent state (Raft: term, vote, log,
 * snapshot; Paxos: promised ballot, accepted values) as records appended
 * with env->persist(). The runtime reports durability with durable(seq); a
 * kernel never sends a message that depends on a record that is not durable
 * yet (a vote, an AppendEntries acknowledgement, a promise, an accept), and a
 * leader counts its own log towards a quorum only up to what is durable.
 * Crashes are the runtime's: it destroys the instance and the state machine,
 * discards every record not reported durable, and on recovery creates a new
 * instance, replay()s the durable records in order, then start()s it. What a
 * kernel forgot to persist is simply gone, and the simulator's checks find it.
 * With storage.mode = memory, records are durable at once (durable() comes in
 * the same loop pass), but a crash still destroys the instance.
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
         * index: its log index or slot (0 for a read served outside the log).
         * tag: the tag submit() was given when this replica accepted the
         * proposal and still answers for it (this call is the proposal's
         * "committed(tag, index)" report), 0 on every other replica. */
        void (*apply)(void *ctx, const void *cmd, size_t len, uint64_t index, uint64_t tag);
        /* The proposal submitted with `tag` will not be committed through this
         * replica (it lost leadership, or the entry was overwritten): whoever
         * proposed it should retry elsewhere. Every accepted tag ends in exactly
         * one apply(..., tag) or dropped(tag), unless the instance is destroyed
         * (a crash: the runtime then forgets the tags itself). */
        void (*dropped)(void *ctx, uint64_t tag);
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

        /*
         * Storage (see "Persistence" below). Append a record of this instance
         * to the rank's write-ahead log. type is the kernel's own record type,
         * 1..255; the bytes are copied before return. Returns the record's
         * sequence number: > 0 and increasing from call to call. Returns 0 if
         * the storage failed; the runtime has then already failed the run and
         * the kernel need not do anything about it. Durability is reported
         * later through kernel->durable(), never from inside persist().
         */
        uint64_t (*persist)(void *ctx, int type, const void *buf, size_t len);
        /* This instance's records with sequence numbers <= seq are superseded
         * (by a later record that is already durable, such as a snapshot) and
         * are no longer replayed on recovery: the storage may delete them. */
        void (*compact)(void *ctx, uint64_t seq);
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
        int n_msg_types;
        const char *const *msg_names; /* n_msg_types names, for message counters */
        /* The kernel's own section of the option table ("raft"), or NULL. */
        const char *option_section;
        /* How long the runtime lets groups settle at the end of a run before
         * it compares replicas: long enough for the last commit to reach every
         * follower (Raft: a few heartbeats). May be NULL (no settling). */
        uint64_t (*settle_ns)(const struct bl_config *cfg);

        /* Create an instance. env and g are copied. Returns NULL on allocation
         * failure. cfg stays valid for the instance's lifetime. After create,
         * the runtime hands a recovering instance its durable records through
         * replay(), then calls start() (a fresh instance gets start() at once). */
        void *(*create)(const struct bl_env *env, const struct bl_group *g,
                        const struct bl_config *cfg);
        /* Free an instance and everything it holds. NULL is a no-op. */
        void (*destroy)(void *k);
        /* Recovery: one durable record read back from storage, in the order
         * they were persisted. Returns 0, or BL_EPROTO when the record is
         * malformed (the replica then refuses to come back). */
        int (*replay)(void *k, uint64_t seq, int type, const void *buf, size_t len);
        /* Replay is over (or there was nothing to replay): rebuild the state
         * machine from what was replayed (env->restore, re-application) and
         * start the timers. */
        void (*start)(void *k);
        /* A client command arrived at this replica. Returns 0 when accepted:
         * the kernel later reports apply(..., tag) once it is committed (reads:
         * once it may be served) or dropped(tag). BL_ENOTLEADER when another
         * member should be asked (see leader()), BL_EBUSY when overloaded (the
         * client backs off and retries here), BL_ENOMEM. tag != 0. */
        int (*submit)(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag);
        /* A message from member `from`. Returns 0, or BL_EPROTO when the
         * message is malformed (it is then ignored and counted). */
        int (*recv)(void *k, int from, int type, const void *buf, size_t len);
        /* Called periodically (cluster.tick_us); timers live here. */
        void (*tick)(void *k);
        /* Member this instance believes leads the group, or -1. */
        int (*leader)(void *k);
        /* Every record this instance persisted with a sequence number <= seq
         * is durable. Called from the runtime's loop, never from inside a
         * kernel call. May be NULL for a kernel that persists nothing. */
        void (*durable)(void *k, uint64_t seq);
        /*
         * Legacy fail-stop hooks, for kernels not yet on the persistence seam:
         * when replay is NULL, a crash calls crash() (keep only what the
         * protocol declares persistent) and recovery calls recover(). A kernel
         * with replay() never sees these: a crash destroys the instance.
         */
        void (*crash)(void *k);
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
