/* Transaction history storage: three doubling arrays, appends amortised O(1). */
#include "check/txnhist.h"

#include <string.h>

#include "common/alloc.h"
#include "common/err.h"

void bl_txn_history_init(struct bl_txn_history *h)
{
        memset(h, 0, sizeof(*h));
}

void bl_txn_history_free(struct bl_txn_history *h)
{
        bl_free(h->txns);
        bl_free(h->mops);
        bl_free(h->vals);
        bl_txn_history_init(h);
}

/* Make room for `need` elements of size `elem` in *p (capacity *cap). */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
        size_t want;
        void *q;

        if (need <= *cap)
                return 0;
        want = *cap < 64 ? 64 : *cap;
        while (want < need)
                want *= 2;
        if (want > SIZE_MAX / elem)
                return BL_ENOMEM;
        q = bl_realloc(*p, want * elem);
        if (q == NULL)
                return BL_ENOMEM;
        *p = q;
        *cap = want;
        return 0;
}

int bl_txn_begin(struct bl_txn_history *h, uint64_t id, uint32_t client, int outcome,
                 uint64_t invoke_ns, uint64_t complete_ns)
{
        struct bl_txn *t;

        if (outcome != BL_OUT_OK && outcome != BL_OUT_FAIL && outcome != BL_OUT_UNKNOWN)
                return BL_EINVAL;
        if (grow((void **)&h->txns, &h->cap, h->n + 1, sizeof(*h->txns)) != 0)
                return BL_ENOMEM;
        t = &h->txns[h->n++];
        t->id = id;
        t->client = client;
        t->outcome = (uint8_t)outcome;
        t->invoke_ns = invoke_ns;
        t->complete_ns = outcome == BL_OUT_UNKNOWN ? UINT64_MAX : complete_ns;
        t->first = h->nmops;
        t->nmops = 0;
        return 0;
}

static struct bl_mop *add_mop(struct bl_txn_history *h)
{
        if (h->n == 0 || h->txns[h->n - 1].nmops == UINT32_MAX)
                return NULL;
        if (grow((void **)&h->mops, &h->capmops, h->nmops + 1, sizeof(*h->mops)) != 0)
                return NULL;
        memset(&h->mops[h->nmops], 0, sizeof(h->mops[0]));
        return &h->mops[h->nmops];
}

static void commit_mop(struct bl_txn_history *h)
{
        h->nmops++;
        h->txns[h->n - 1].nmops++;
}

int bl_txn_append(struct bl_txn_history *h, uint64_t key, uint64_t value)
{
        struct bl_mop *m;

        if (h->n == 0)
                return BL_EINVAL;
        m = add_mop(h);
        if (m == NULL)
                return BL_ENOMEM;
        m->kind = BL_MOP_APPEND;
        m->key = key;
        m->value = value;
        commit_mop(h);
        return 0;
}

int bl_txn_read(struct bl_txn_history *h, uint64_t key, const uint64_t *list, size_t len)
{
        struct bl_mop *m;

        if (h->n == 0 || len > UINT32_MAX || (len > 0 && list == NULL))
                return BL_EINVAL;
        if (grow((void **)&h->vals, &h->capvals, h->nvals + len, sizeof(*h->vals)) != 0)
                return BL_ENOMEM;
        m = add_mop(h);
        if (m == NULL)
                return BL_ENOMEM;
        m->kind = BL_MOP_READ;
        m->key = key;
        m->len = (uint32_t)len;
        m->off = h->nvals;
        if (len > 0)
                memcpy(h->vals + h->nvals, list, len * sizeof(*list));
        h->nvals += len;
        commit_mop(h);
        return 0;
}
