/* An instance's persisted records held in memory: storage.mode = memory, and the simulator's disk.
 */
#ifndef BL_STORAGE_MEMLOG_H
#define BL_STORAGE_MEMLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The records one kernel instance appended through env->persist(), in order,
 * with their sequence numbers. Compaction drops a prefix (records a snapshot
 * superseded); a crash drops the suffix that was not durable yet. Recovery
 * replays what is left, oldest first. The records are a ring so that both
 * ends are O(1) per record.
 */
struct bl_memrec {
        uint64_t seq;
        int type;
        uint32_t len;
        uint8_t *buf; /* len bytes, NULL when len == 0 */
};

struct bl_memlog {
        struct bl_memrec *r;
        size_t cap, head, n;
        uint64_t bytes; /* payload bytes held */
};

/* Append a copy of buf. seq must exceed every seq held. Returns 0 or BL_ENOMEM. */
int bl_memlog_append(struct bl_memlog *l, uint64_t seq, int type, const void *buf, size_t len);
/* The i-th record held, oldest first (i < l->n). */
const struct bl_memrec *bl_memlog_at(const struct bl_memlog *l, size_t i);
/* Drop the records with seq <= upto (the front). */
void bl_memlog_compact(struct bl_memlog *l, uint64_t upto);
/* Drop the records with seq > keep (the back): what a crash loses. */
void bl_memlog_truncate_after(struct bl_memlog *l, uint64_t keep);
/* Free everything; the log is empty and reusable afterwards. */
void bl_memlog_free(struct bl_memlog *l);

#endif
