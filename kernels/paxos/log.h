/* The in-memory Paxos log: a ring of slots after a compaction offset, holes allowed. */
#ifndef BL_KERNELS_PAXOS_LOG_H
#define BL_KERNELS_PAXOS_LOG_H

#include "kernels/paxos/internal.h"

/* An empty log starting after slot 0. Cannot fail. */
void bl_paxos_log_init(struct bl_paxos_log *l);
/* Free every slot and the ring; the log is then empty (offset kept). */
void bl_paxos_log_free(struct bl_paxos_log *l);

static inline uint64_t bl_paxos_log_last(const struct bl_paxos_log *l)
{
        return l->offset + l->n;
}

/* The slot, or NULL when it is compacted away or beyond the end. Valid
 * until the log grows, shrinks or compacts. */
struct bl_paxos_slot *bl_paxos_log_get(const struct bl_paxos_log *l, uint64_t slot);

/* Make slots up to `slot` exist (new ones are holes). Returns 0 or BL_ENOMEM. */
int bl_paxos_log_extend(struct bl_paxos_log *l, uint64_t slot);

/* Store a value in `slot` (> offset), growing the log with holes as needed
 * and replacing what the slot held (volatile fields are cleared except the
 * tag, which the caller handles). Copies len bytes. Returns 0 or BL_ENOMEM
 * (the slot is then unchanged). */
int bl_paxos_log_set(struct bl_paxos_log *l, uint64_t slot, uint64_t ballot, uint8_t type,
                     const void *buf, uint32_t len);

/* Delete slots from `slot` to the end (slot > offset). */
void bl_paxos_log_truncate_from(struct bl_paxos_log *l, uint64_t slot);

/* Delete slots up to and including `slot` (offset <= slot <= last). */
void bl_paxos_log_compact_to(struct bl_paxos_log *l, uint64_t slot);

/* Delete every slot and restart the log after `slot`. */
void bl_paxos_log_reset(struct bl_paxos_log *l, uint64_t slot);

/* Whether the value in a slot equals (type, buf, len). */
int bl_paxos_slot_same(const struct bl_paxos_slot *s, uint8_t type, const void *buf, uint32_t len);

/* Bytes held by the log (ring and payloads). */
size_t bl_paxos_log_mem_bytes(const struct bl_paxos_log *l);

#endif
