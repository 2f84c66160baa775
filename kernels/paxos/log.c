/*
 * The in-memory Paxos log. Unlike Raft's, it may have holes: an acceptor
 * accepts any slot its promise allows, in any order, so a slot exists with
 * ballot 0 until something is accepted there. Slots live in a ring so that
 * appending at the end and compacting at the front are both O(1); each
 * value is its own allocation, copied in. Slot s (1-based) sits in ring
 * position (front + s - offset - 1) % cap.
 */
#include "kernels/paxos/log.h"

#include <string.h>

#include "common/alloc.h"

#define LOG_MIN_CAP 16

void bl_paxos_log_init(struct bl_paxos_log *l)
{
        memset(l, 0, sizeof(*l));
}

static struct bl_paxos_slot *at(const struct bl_paxos_log *l, uint64_t slot)
{
        return &l->ring[(l->front + (size_t)(slot - l->offset - 1)) % l->cap];
}

static void release(struct bl_paxos_log *l, struct bl_paxos_slot *s)
{
        l->bytes -= s->len;
        bl_free(s->buf);
        memset(s, 0, sizeof(*s));
}

void bl_paxos_log_free(struct bl_paxos_log *l)
{
        for (uint64_t i = 1; i <= l->n; i++)
                release(l, at(l, l->offset + i));
        bl_free(l->ring);
        l->ring = NULL;
        l->cap = 0;
        l->front = 0;
        l->n = 0;
}

struct bl_paxos_slot *bl_paxos_log_get(const struct bl_paxos_log *l, uint64_t slot)
{
        if (slot <= l->offset || slot > l->offset + l->n)
                return NULL;
        return at(l, slot);
}

static int resize(struct bl_paxos_log *l, size_t cap)
{
        struct bl_paxos_slot *ring;

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

int bl_paxos_log_extend(struct bl_paxos_log *l, uint64_t slot)
{
        uint64_t want;

        if (slot <= l->offset + l->n)
                return 0;
        want = slot - l->offset;
        if (want > SIZE_MAX / 2 / sizeof(struct bl_paxos_slot))
                return BL_ENOMEM;
        if (want > l->cap) {
                size_t cap = l->cap < LOG_MIN_CAP ? LOG_MIN_CAP : l->cap;

                while (cap < want)
                        cap *= 2;
                if (resize(l, cap) != 0)
                        return BL_ENOMEM;
        }
        while (l->n < want) {
                l->n++;
                memset(at(l, l->offset + l->n), 0, sizeof(struct bl_paxos_slot));
        }
        return 0;
}

int bl_paxos_log_set(struct bl_paxos_log *l, uint64_t slot, uint64_t ballot, uint8_t type,
                     const void *buf, uint32_t len)
{
        struct bl_paxos_slot *s;
        uint8_t *copy = NULL;

        if (slot <= l->offset)
                return 0;
        if (len > 0) {
                copy = bl_malloc(len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, buf, len);
        }
        if (bl_paxos_log_extend(l, slot) != 0) {
                bl_free(copy);
                return BL_ENOMEM;
        }
        s = at(l, slot);
        l->bytes -= s->len;
        bl_free(s->buf);
        s->ballot = ballot;
        s->type = type;
        s->len = len;
        s->buf = copy;
        s->seq = 0;
        s->acks = 0;
        s->born_ns = 0;
        s->sent_ns = 0;
        l->bytes += len;
        return 0;
}

void bl_paxos_log_truncate_from(struct bl_paxos_log *l, uint64_t slot)
{
        if (slot <= l->offset)
                slot = l->offset + 1;
        while (l->offset + l->n >= slot && l->n > 0) {
                release(l, at(l, l->offset + l->n));
                l->n--;
        }
}

void bl_paxos_log_compact_to(struct bl_paxos_log *l, uint64_t slot)
{
        while (l->offset < slot && l->n > 0) {
                release(l, at(l, l->offset + 1));
                l->front = (l->front + 1) % l->cap;
                l->n--;
                l->offset++;
        }
        if (l->offset < slot)
                l->offset = slot;
        if (l->n == 0)
                l->front = 0;
}

void bl_paxos_log_reset(struct bl_paxos_log *l, uint64_t slot)
{
        bl_paxos_log_truncate_from(l, l->offset + 1);
        l->front = 0;
        l->offset = slot;
}

int bl_paxos_slot_same(const struct bl_paxos_slot *s, uint8_t type, const void *buf, uint32_t len)
{
        return s->ballot != 0 && s->type == type && s->len == len &&
               (len == 0 || memcmp(s->buf, buf, len) == 0);
}

size_t bl_paxos_log_mem_bytes(const struct bl_paxos_log *l)
{
        return l->cap * sizeof(struct bl_paxos_slot) + l->bytes;
}
