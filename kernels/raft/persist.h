/* Raft's persistent state as write-ahead log records (env->persist), durability, and recovery by
 * replay. */
#ifndef BL_KERNELS_RAFT_PERSIST_H
#define BL_KERNELS_RAFT_PERSIST_H

#include "kernels/raft/internal.h"

/*
 * Records (type, then little-endian fields):
 *
 *   STATE     term u64, vote u32 (0xffffffff: none)
 *   ENTRIES   first u64, n u32, n entries as on the wire (encode.h). The
 *             entries replace the log from index `first` on: appending at i
 *             truncates everything >= i.
 *   SNAPSHOT  term u64, vote u32, index u64, snap_term u64, len u64, len bytes
 *             of state machine, n u32, n entries (index+1 .. index+n). It
 *             carries everything the records before it said, so once it is
 *             durable they are compacted (env->compact).
 *
 * Every change of currentTerm or votedFor writes a STATE record, every change
 * of the log an ENTRIES record, every snapshot (taken or installed) a
 * SNAPSHOT record. Durability is a prefix of the sequence numbers: an entry
 * that is durable implies the term it was written in is too.
 */
enum bl_raft_record {
        BL_RAFT_REC_STATE = 1,
        BL_RAFT_REC_ENTRIES = 2,
        BL_RAFT_REC_SNAPSHOT = 3,
};

/* Persist currentTerm and votedFor. */
void bl_raft_persist_state(struct bl_raft *r);
/* Persist the log from index `first` (> log offset) to its end. */
void bl_raft_persist_entries(struct bl_raft *r, uint64_t first);
/* Persist the snapshot and the entries after it. */
void bl_raft_persist_snapshot(struct bl_raft *r);
/* The log was cut: entries >= index are gone (truncation) or were replaced
 * by a snapshot ending at index - 1. Nothing at or after index is durable
 * until a later record says so. */
void bl_raft_persist_cut(struct bl_raft *r, uint64_t index);

/* Whether the latest term and vote are durable. */
static inline int bl_raft_state_durable(const struct bl_raft *r)
{
        return r->state_seq <= r->durable_seq;
}

/* The vtable's replay(), durable() and start(). */
int bl_raft_replay(void *k, uint64_t seq, int type, const void *buf, size_t len);
void bl_raft_durable(void *k, uint64_t seq);
void bl_raft_start(void *k);

/* A follower answers an AppendEntries that matched up to `match`: at once if
 * the entries are durable, otherwise when they become so. */
void bl_raft_ack_append(struct bl_raft *r, int to, uint64_t match, uint64_t seq, uint64_t req_term);

#endif
