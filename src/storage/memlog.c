/* Persisted records in memory: a ring of copies, trimmed at the front by compaction and at the back
 * by crashes. */
#include "storage/memlog.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

static struct bl_memrec *at(const struct bl_memlog *l, size_t i)
{
        return &l->r[(l->head + i) % l->cap];
}

const struct bl_memrec *bl_memlog_at(const struct bl_memlog *l, size_t i)
{
        return at(l, i);
}

static int grow(struct bl_memlog *l)
{
        size_t cap = l->cap == 0 ? 16 : 2 * l->cap;
        struct bl_memrec *r;

        if (cap > SIZE_MAX / sizeof(*r))
                return BL_ENOMEM;
        r = bl_malloc(cap * sizeof(*r));
        if (r == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                r[i] = *at(l, i);
        bl_free(l->r);
        l->r = r;
        l->cap = cap;
        l->head = 0;
        return 0;
}

int bl_memlog_append(struct bl_memlog *l, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_memrec *rec;
        uint8_t *copy = NULL;

        if (len > UINT32_MAX)
                return BL_EINVAL;
        if (l->n == l->cap && grow(l) != 0)
                return BL_ENOMEM;
        if (len > 0) {
                copy = bl_malloc(len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, buf, len);
        }
        rec = at(l, l->n++);
        rec->seq = seq;
        rec->type = type;
        rec->len = (uint32_t)len;
        rec->buf = copy;
        l->bytes += len;
        return 0;
}

void bl_memlog_compact(struct bl_memlog *l, uint64_t upto)
{
        while (l->n > 0 && at(l, 0)->seq <= upto) {
                struct bl_memrec *rec = at(l, 0);

                l->bytes -= rec->len;
                bl_free(rec->buf);
                l->head = (l->head + 1) % l->cap;
                l->n--;
        }
}

void bl_memlog_truncate_after(struct bl_memlog *l, uint64_t keep)
{
        while (l->n > 0 && at(l, l->n - 1)->seq > keep) {
                struct bl_memrec *rec = at(l, l->n - 1);

                l->bytes -= rec->len;
                bl_free(rec->buf);
                l->n--;
        }
}

void bl_memlog_free(struct bl_memlog *l)
{
        bl_memlog_truncate_after(l, 0);
        bl_free(l->r);
        memset(l, 0, sizeof(*l));
}
