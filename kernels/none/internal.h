/* The none kernel's instance: its queue of commands waiting for durability, and its records. */
#ifndef BL_KERNELS_NONE_INTERNAL_H
#define BL_KERNELS_NONE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

/* Record types (env->persist). A command record is the command's bytes as
 * submitted; a snapshot record is u64 index, u64 covered seq, then the
 * state machine's snapshot (env->snapshot). Little endian (common/wire.h). */
#define BL_NONE_REC_CMD      1
#define BL_NONE_REC_SNAPSHOT 2
#define BL_NONE_SNAP_HEADER  16

/* Snapshot the store and compact the log after this many applied writes
 * (none.snapshot_entries; this is its default, for a NULL cfg): recovery
 * then replays one snapshot and fewer than this many commands, and the
 * rank's log (in RAM in storage.mode = memory) stays bounded. At a hundred
 * thousand writes per second per shard that is a snapshot every 0.1 s, each
 * a scan of the store's written keys. */
#define BL_NONE_SNAPSHOT_ENTRIES 10000

/* At most this many commands wait for durability; submit() answers BL_EBUSY
 * beyond (a disk far slower than the offered load). */
#define BL_NONE_MAX_QUEUE 65536

/* A command accepted but not yet applied: a write waiting for its record to
 * be durable, or a read waiting behind such a write (seq 0). */
struct bl_none_entry {
        uint64_t seq; /* record sequence number; 0: a read, not persisted */
        uint64_t tag; /* submit()'s tag; 0 for a command replayed on recovery */
        size_t len;
        void *cmd; /* bl_malloc'd copy */
};

struct bl_none {
        struct bl_env env;
        struct bl_group g;
        /* FIFO of accepted commands, in submission order (ring buffer). Its
         * head is never a read: reads ahead of every pending write are
         * served at once. */
        struct bl_none_entry *q;
        size_t q_head, q_n, q_cap;
        size_t q_bytes;         /* command bytes held */
        uint64_t applied;       /* writes applied: the index of the last one */
        uint64_t applied_seq;   /* record of the last write applied (or snapshot covered) */
        uint64_t persisted_seq; /* last record persisted (or replayed) */
        uint64_t durable_seq;   /* durable() so far */
        uint64_t snap_every;    /* none.snapshot_entries */
        uint64_t since_snap;    /* writes applied since the last snapshot */
        uint64_t snap_seq;      /* snapshot record not yet durable (0: none) */
        uint64_t snap_covers;   /* ... and the last command record it covers */
        uint64_t snapshots;     /* snapshot records persisted */
};

/* none.c: append a command to the FIFO (the copy is made here). Returns 0 or
 * BL_ENOMEM. */
int bl_none_enqueue(struct bl_none *n, uint64_t seq, uint64_t tag, const void *cmd, size_t len);
/* none.c: apply (and answer) the commands at the head of the FIFO whose
 * records are durable, and the reads queued right behind them. */
void bl_none_drain(struct bl_none *n);

/* persist.c: a snapshot is due (BL_NONE_SNAPSHOT_ENTRIES writes applied
 * since the last): persist one. Out of memory: tried again later. */
void bl_none_maybe_snapshot(struct bl_none *n);
/* persist.c: the snapshot record is durable: let the storage drop what it
 * covers. */
void bl_none_compact(struct bl_none *n);
/* persist.c: the replay() slot. */
int bl_none_replay(void *k, uint64_t seq, int type, const void *buf, size_t len);

#endif
