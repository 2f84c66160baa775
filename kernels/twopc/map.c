/* A small open-addressing hash map from a pair of u64 to a pointer, for the commit layer. */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "kernels/twopc/internal.h"

/* Linear probing with backward-shift deletion (no tombstones), kept at most
 * 3/4 full. The pair is hashed with bl_mix64, so sequential ids spread. */

static size_t home(const struct tpc_map *m, uint64_t a, uint64_t b)
{
        return (size_t)bl_mix64(a ^ bl_mix64(b + 0x9e3779b97f4a7c15ULL)) & (m->cap - 1);
}

static struct tpc_slot *find(const struct tpc_map *m, uint64_t a, uint64_t b)
{
        if (m->cap == 0)
                return NULL;
        for (size_t i = home(m, a, b);; i = (i + 1) & (m->cap - 1)) {
                struct tpc_slot *s = &m->slots[i];

                if (s->v == NULL)
                        return NULL;
                if (s->a == a && s->b == b)
                        return s;
        }
}

static void insert(struct tpc_map *m, uint64_t a, uint64_t b, void *v)
{
        size_t i = home(m, a, b);

        while (m->slots[i].v != NULL)
                i = (i + 1) & (m->cap - 1);
        m->slots[i] = (struct tpc_slot){a, b, v};
        m->n++;
}

static int grow(struct tpc_map *m)
{
        struct tpc_map nm = {0};

        nm.cap = m->cap > 0 ? m->cap * 2 : 16;
        nm.slots = bl_calloc(nm.cap, sizeof(*nm.slots));
        if (nm.slots == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].v != NULL)
                        insert(&nm, m->slots[i].a, m->slots[i].b, m->slots[i].v);
        bl_free(m->slots);
        *m = nm;
        return 0;
}

int tpc_map_put(struct tpc_map *m, uint64_t a, uint64_t b, void *v)
{
        struct tpc_slot *s = find(m, a, b);

        if (s != NULL) {
                s->v = v;
                return 0;
        }
        if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
                return BL_ENOMEM;
        insert(m, a, b, v);
        return 0;
}

void *tpc_map_get(const struct tpc_map *m, uint64_t a, uint64_t b)
{
        struct tpc_slot *s = find(m, a, b);

        return s != NULL ? s->v : NULL;
}

void *tpc_map_del(struct tpc_map *m, uint64_t a, uint64_t b)
{
        struct tpc_slot *s = find(m, a, b);
        size_t i, j;
        void *v;

        if (s == NULL)
                return NULL;
        v = s->v;
        i = (size_t)(s - m->slots);
        /* Shift back every later entry of the cluster that may move to i. */
        for (j = (i + 1) & (m->cap - 1); m->slots[j].v != NULL; j = (j + 1) & (m->cap - 1)) {
                size_t h = home(m, m->slots[j].a, m->slots[j].b);

                /* j's entry stays when its home lies cyclically in (i, j]. */
                if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
                        continue;
                m->slots[i] = m->slots[j];
                i = j;
        }
        m->slots[i].v = NULL;
        m->n--;
        return v;
}

void tpc_map_free(struct tpc_map *m)
{
        bl_free(m->slots);
        memset(m, 0, sizeof(*m));
}
