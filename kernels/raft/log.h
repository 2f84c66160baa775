/* The in-memory Raft log: a ring of entries after a compaction offset. */
#ifndef BL_KERNELS_RAFT_LOG_H
#define BL_KERNELS_RAFT_LOG_H

#include "kernels/raft/internal.h"

/* An empty log starting after index 0. Cannot fail. */
void bl_raft_log_init(struct bl_raft_log *l);
/* Free every entry and the ring; the log is then empty (offset kept). */
void bl_raft_log_free(struct bl_raft_log *l);

static inline uint64_t bl_raft_log_last_index(const struct bl_raft_log *l)
{
        return l->offset + l->n;
}

/* Term of entry `index`: offset_term for index == offset, 0 for index 0 and
 * for indexes that are compacted away or beyond the end. */
uint64_t bl_raft_log_term_of(const struct bl_raft_log *l, uint64_t index);

static inline uint64_t bl_raft_log_last_term(const struct bl_raft_log *l)
{
        return bl_raft_log_term_of(l, bl_raft_log_last_index(l));
}

/* The entry at `index`, or NULL when it is not held. The pointer is valid
 * until the next append, truncation or compaction. */
struct bl_raft_entry *bl_raft_log_get(const struct bl_raft_log *l, uint64_t index);

/* Append one entry, copying len bytes of buf. Returns 0 or BL_ENOMEM (the
 * log is then unchanged). */
int bl_raft_log_append(struct bl_raft_log *l, uint64_t term, uint8_t type, const void *buf,
                       uint32_t len, uint64_t born_ns);

/* Delete entry `index` and all that follow it (index > offset). */
void bl_raft_log_truncate_from(struct bl_raft_log *l, uint64_t index);

/* Delete entries up to and including `index` (offset <= index <= last):
 * they are covered by a snapshot. */
void bl_raft_log_compact_to(struct bl_raft_log *l, uint64_t index);

/* Delete every entry and restart the log after (index, term): used when a
 * snapshot replaces the whole log. */
void bl_raft_log_reset(struct bl_raft_log *l, uint64_t index, uint64_t term);

/* Smallest index in (offset, last] whose term is >= term, or last + 1 when
 * there is none. Terms never decrease along a log, so this is a binary
 * search. */
uint64_t bl_raft_log_first_of_term(const struct bl_raft_log *l, uint64_t term);

/* Bytes held by the log (ring and payloads). */
size_t bl_raft_log_mem_bytes(const struct bl_raft_log *l);

#endif
