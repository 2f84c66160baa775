/*
 * The in-memory log. Entries live in a ring so that appending at the end and
 * compacting at the front are both O(1); each entry's payload is its own
 * allocation, copied in on append. Index arithmetic: entry i (1-based, as in
 * the paper) sits in slot (front + i - offset - 1) % cap.
 */
#include "kernels/raft/log.h"

#include <string.h>

#include "common/alloc.h"

#define LOG_MIN_CAP    16
#define LOG_SHRINK_CAP 1024 /* rings this small are never shrunk */

void bl_raft_log_init(struct bl_raft_log *l)
{
        memset(l, 0, sizeof(*l));
}

static struct bl_raft_entry *slot(const struct bl_raft_log *l, uint64_t index)
{
        return &l->ring[(l->front + (size_t)(index - l->offset - 1)) % l->cap];
}

static void entry_release(struct bl_raft_log *l, struct bl_raft_entry *e)
{
        l->bytes -= e->len;
        bl_free(e->buf);
        e->buf = NULL;
        e->len = 0;
}

void bl_raft_log_free(struct bl_raft_log *l)
{
        for (uint64_t i = 1; i <= l->n; i++)
                entry_release(l, slot(l, l->offset + i));
        bl_free(l->ring);
        l->ring = NULL;
        l->cap = 0;
        l->front = 0;
        l->n = 0;
}

uint64_t bl_raft_log_term_of(const struct bl_raft_log *l, uint64_t index)
{
        if (index == 0)
                return 0;
        if (index == l->offset)
                return l->offset_term;
        if (index < l->offset || index > l->offset + l->n)
                return 0;
        return slot(l, index)->term;
}

struct bl_raft_entry *bl_raft_log_get(const struct bl_raft_log *l, uint64_t index)
{
        if (index <= l->offset || index > l->offset + l->n)
                return NULL;
        return slot(l, index);
}

/* Move the ring to `cap` slots (>= n), unrolling it so that front becomes 0. */
static int resize(struct bl_raft_log *l, size_t cap)
{
        struct bl_raft_entry *ring;

        if (cap < l->n || cap > SIZE_MAX / sizeof(*ring))
                return BL_ENOMEM;
        ring = bl_malloc(cap * sizeof(*ring));
        if (ring == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                ring[i] = l->ring[(l->front + i) % l->cap];
        bl_free(l->ring);
        l->ring = ring;
        l->cap = cap;
        l->front = 0;
        return 0;
}

int bl_raft_log_append(struct bl_raft_log *l, uint64_t term, uint8_t type, const void *buf,
                       uint32_t len, uint64_t born_ns)
{
        struct bl_raft_entry *e;
        uint8_t *copy = NULL;

        if (l->n == l->cap && resize(l, l->cap == 0 ? LOG_MIN_CAP : 2 * l->cap) != 0)
                return BL_ENOMEM;
        if (len > 0) {
                copy = bl_malloc(len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, buf, len);
        }
        l->n++;
        e = slot(l, l->offset + l->n);
        e->term = term;
        e->type = type;
        e->len = len;
        e->buf = copy;
        e->born_ns = born_ns;
        e->tag = 0;
        l->bytes += len;
        return 0;
}

void bl_raft_log_truncate_from(struct bl_raft_log *l, uint64_t index)
{
        uint64_t last = l->offset + l->n;

        if (index <= l->offset)
                index = l->offset + 1;
        for (uint64_t i = index; i <= last; i++)
                entry_release(l, slot(l, i));
        if (index <= last)
                l->n = (size_t)(index - l->offset - 1);
}

void bl_raft_log_compact_to(struct bl_raft_log *l, uint64_t index)
{
        uint64_t term;

        if (index <= l->offset)
                return;
        if (index > l->offset + l->n)
                index = l->offset + l->n;
        term = bl_raft_log_term_of(l, index);
        while (l->offset < index) {
                entry_release(l, slot(l, l->offset + 1));
                l->front = (l->front + 1) % l->cap;
                l->n--;
                l->offset++;
        }
        l->offset_term = term;
        if (l->n == 0)
                l->front = 0;
        /* Give memory back after a burst: halve a ring that is mostly
         * empty (failure to do so is harmless). */
        if (l->cap > LOG_SHRINK_CAP && l->n < l->cap / 4)
                resize(l, l->cap / 2);
}

void bl_raft_log_reset(struct bl_raft_log *l, uint64_t index, uint64_t term)
{
        bl_raft_log_truncate_from(l, l->offset + 1);
        l->front = 0;
        l->offset = index;
        l->offset_term = term;
}

uint64_t bl_raft_log_first_of_term(const struct bl_raft_log *l, uint64_t term)
{
        uint64_t lo = l->offset + 1, hi = l->offset + l->n + 1;

        while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;

                if (slot(l, mid)->term >= term)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}

size_t bl_raft_log_mem_bytes(const struct bl_raft_log *l)
{
        return l->cap * sizeof(struct bl_raft_entry) + (size_t)l->bytes;
}
