/* Persistent state of a Paxos acceptor: records, replay, and replies that wait for durability. */
#ifndef BL_KERNELS_PAXOS_PERSIST_H
#define BL_KERNELS_PAXOS_PERSIST_H

#include "kernels/paxos/internal.h"

/* Persist the promised ballot. Returns the record's sequence number (0: the
 * storage failed, the runtime has failed the run). */
uint64_t bl_paxos_persist_promise(struct bl_paxos *p);

/* Persist an encoded Accept message as the record of the slots it carries. */
uint64_t bl_paxos_persist_accept(struct bl_paxos *p, const void *msg, size_t len);

/* Persist a checkpoint (promised ballot, snapshot, accepted slots after it)
 * that supersedes every earlier record; once it is durable the earlier
 * records are compacted. Returns 0 or BL_ENOMEM (nothing persisted). */
int bl_paxos_checkpoint(struct bl_paxos *p);

/* Send a reply once every record persisted so far is durable: at once when
 * it already is, else from bl_paxos_durable(). */
void bl_paxos_reply(struct bl_paxos *p, int to, int type, const void *buf, size_t len);

/* kernel->durable: flush waiting replies, compact after a checkpoint, and
 * let the roles count their own durable promise or acceptances. */
void bl_paxos_durable(void *k, uint64_t seq);

/* kernel->replay: one record read back after a crash. */
int bl_paxos_replay(void *k, uint64_t seq, int type, const void *buf, size_t len);

/* Free every waiting reply. */
void bl_paxos_deferred_free(struct bl_paxos *p);

#endif
