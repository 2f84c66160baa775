/* Client history storage: a plain growable array (doubling, so appends are
 * amortised O(1)). */
#include "check/history.h"

#include "common/alloc.h"
#include "common/err.h"

void bl_history_init(struct bl_history *h)
{
        h->ops = NULL;
        h->n = 0;
        h->cap = 0;
}

int bl_history_reserve(struct bl_history *h, size_t n)
{
        struct bl_hop *p;

        if (n <= h->cap)
                return 0;
        if (n > SIZE_MAX / sizeof(*p))
                return BL_ENOMEM;
        p = bl_realloc(h->ops, n * sizeof(*p));
        if (p == NULL)
                return BL_ENOMEM;
        h->ops = p;
        h->cap = n;
        return 0;
}

int bl_history_add(struct bl_history *h, const struct bl_hop *op)
{
        if (h->n == h->cap) {
                size_t want = h->cap < 64 ? 64 : h->cap * 2;
                int rc = bl_history_reserve(h, want);

                if (rc != 0)
                        return rc;
        }
        h->ops[h->n++] = *op;
        return 0;
}

size_t bl_history_count(const struct bl_history *h)
{
        return h->n;
}

void bl_history_free(struct bl_history *h)
{
        bl_free(h->ops);
        bl_history_init(h);
}

const char *bl_outcome_name(int outcome)
{
        switch (outcome) {
        case BL_OUT_OK:
                return "ok";
        case BL_OUT_FAIL:
                return "fail";
        case BL_OUT_UNKNOWN:
                return "unknown";
        default:
                return "?";
        }
}
