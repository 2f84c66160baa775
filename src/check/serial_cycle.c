/*
 * Cycle search of the serializability checker (see serial.h): a compressed
 * adjacency of every edge, Tarjan's strongly connected components per level
 * of edge types (ww; ww+wr; ww+wr+rw; all with rt), a breadth-first search
 * for the shortest cycle through an edge of the level's new type in each
 * component, and the cycle explained edge by edge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/serial_int.h"
#include "common/alloc.h"
#include "common/err.h"

static int build_csr(struct ser_ctx *c)
{
        size_t n = c->nodes;

        c->off = bl_calloc(n + 2, sizeof(*c->off));
        c->adj = bl_malloc((c->ne ? c->ne : 1) * sizeof(*c->adj));
        if (c->off == NULL || c->adj == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < c->ne; i++)
                c->off[c->e[i].from + 2]++;
        for (size_t i = 2; i < n + 2; i++)
                c->off[i] += c->off[i - 1];
        for (size_t i = 0; i < c->ne; i++) {
                struct ser_adj *a = &c->adj[c->off[c->e[i].from + 1]++];

                a->to = c->e[i].to;
                a->type = c->e[i].type;
        }
        bl_free(c->e);
        c->e = NULL;
        return 0;
}

struct scc {
        uint32_t *comp; /* component of each node */
        uint32_t *size; /* nodes per component */
        uint32_t ncomp;
        uint32_t *index, *low, *stack, *frame;
        size_t *iter;
        uint8_t *on;
};

static void scc_free(struct scc *s)
{
        bl_free(s->comp);
        bl_free(s->size);
        bl_free(s->index);
        bl_free(s->low);
        bl_free(s->stack);
        bl_free(s->frame);
        bl_free(s->iter);
        bl_free(s->on);
}

static int scc_alloc(struct scc *s, size_t n)
{
        memset(s, 0, sizeof(*s));
        n = n ? n : 1;
        s->comp = bl_malloc(n * sizeof(*s->comp));
        s->size = bl_malloc(n * sizeof(*s->size));
        s->index = bl_malloc(n * sizeof(*s->index));
        s->low = bl_malloc(n * sizeof(*s->low));
        s->stack = bl_malloc(n * sizeof(*s->stack));
        s->frame = bl_malloc(n * sizeof(*s->frame));
        s->iter = bl_malloc(n * sizeof(*s->iter));
        s->on = bl_malloc(n);
        if (!s->comp || !s->size || !s->index || !s->low || !s->stack || !s->frame || !s->iter ||
            !s->on) {
                scc_free(s);
                return BL_ENOMEM;
        }
        return 0;
}

/* Tarjan's algorithm, iterative (histories are deeper than the C stack), on
 * the edges whose type is in mask. Returns 1 when some component has two or
 * more nodes, 0 when none has, -1 when the time ran out. */
static int tarjan(struct ser_ctx *c, struct scc *s, int mask)
{
        uint32_t n = (uint32_t)c->nodes, next = 0, sp = 0, fp = 0;
        int cyclic = 0;

        s->ncomp = 0;
        for (uint32_t i = 0; i < n; i++) {
                s->index[i] = NONE;
                s->on[i] = 0;
        }
        for (uint32_t root = 0; root < n; root++) {
                if (s->index[root] != NONE)
                        continue;
                s->frame[fp++] = root;
                s->index[root] = s->low[root] = next++;
                s->iter[root] = c->off[root];
                s->stack[sp++] = root;
                s->on[root] = 1;
                while (fp > 0) {
                        uint32_t v = s->frame[fp - 1];

                        if (bl_ser_expired(c))
                                return -1;
                        if (s->iter[v] < c->off[v + 1]) {
                                const struct ser_adj *a = &c->adj[s->iter[v]++];
                                uint32_t w = a->to;

                                if (!(a->type & mask))
                                        continue;
                                if (s->index[w] == NONE) {
                                        s->index[w] = s->low[w] = next++;
                                        s->iter[w] = c->off[w];
                                        s->stack[sp++] = w;
                                        s->on[w] = 1;
                                        s->frame[fp++] = w;
                                } else if (s->on[w] && s->index[w] < s->low[v]) {
                                        s->low[v] = s->index[w];
                                }
                                continue;
                        }
                        fp--;
                        if (fp > 0 && s->low[v] < s->low[s->frame[fp - 1]])
                                s->low[s->frame[fp - 1]] = s->low[v];
                        if (s->low[v] == s->index[v]) {
                                uint32_t w, size = 0;

                                do {
                                        w = s->stack[--sp];
                                        s->on[w] = 0;
                                        s->comp[w] = s->ncomp;
                                        size++;
                                } while (w != v);
                                s->size[s->ncomp++] = size;
                                cyclic |= size > 1;
                        }
                }
        }
        return cyclic;
}

/* Describe edge u -> v of the given type: which key and values made it. */
static void put_edge_why(struct ser_ctx *c, struct ser_buf *s, uint32_t u, uint32_t v, int type)
{
        const struct bl_txn *x = txn_at(c, u), *y = txn_at(c, v);
        const struct bl_mop *mu = bl_txn_mops(c->h, u), *mv = bl_txn_mops(c->h, v);

        bl_ser_printf(s, "T%llu -%s-> T%llu", (unsigned long long)x->id, bl_ser_edge_name(type),
                      (unsigned long long)y->id);
        if (type == BL_SER_RT) {
                bl_ser_printf(s, " (completed at %llu ns, before T%llu was invoked at %llu ns)",
                              (unsigned long long)x->complete_ns, (unsigned long long)y->id,
                              (unsigned long long)y->invoke_ns);
                return;
        }
        if (type == BL_SER_WR) {
                for (uint32_t j = 0; j < y->nmops; j++) {
                        uint32_t wi;

                        uint32_t el = mv[j].kind == BL_MOP_READ ? ext_len(c, y->first + j) : NONE;

                        if (el == NONE || el == 0)
                                continue;
                        wi = bl_ser_find_write(c, mv[j].key, list_of(c, &mv[j])[el - 1]);
                        if (wi != NONE && c->w[wi].txn == u) {
                                bl_ser_printf(
                                    s,
                                    " (key %llu: T%llu read a list ending with %llu, "
                                    "appended by T%llu)",
                                    (unsigned long long)mv[j].key, (unsigned long long)y->id,
                                    (unsigned long long)c->w[wi].value, (unsigned long long)x->id);
                                return;
                        }
                }
                return;
        }
        for (uint32_t j = 0; j < x->nmops; j++) {
                const struct ser_key *k = NULL;
                size_t lo = 0, hi = c->nkeys;
                uint32_t at, wi;

                if ((type == BL_SER_WW) != (mu[j].kind == BL_MOP_APPEND))
                        continue;
                if (type == BL_SER_RW && ext_len(c, x->first + j) == NONE)
                        continue;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;

                        if (c->keys[mid].key < mu[j].key)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo < c->nkeys && c->keys[lo].key == mu[j].key)
                        k = &c->keys[lo];
                if (k == NULL)
                        continue;
                if (type == BL_SER_WW) {
                        wi = bl_ser_find_write(c, mu[j].key, mu[j].value);
                        if (wi == NONE || c->w[wi].pos == NONE)
                                continue;
                        at = c->w[wi].pos + 1;
                } else {
                        at = ext_len(c, x->first + j);
                }
                if (at >= k->len)
                        continue;
                wi = bl_ser_find_write(c, k->key, c->h->vals[k->off + at]);
                if (wi == NONE || c->w[wi].txn != v)
                        continue;
                if (type == BL_SER_WW)
                        bl_ser_printf(s, " (key %llu: T%llu's %llu is followed by T%llu's %llu)",
                                      (unsigned long long)k->key, (unsigned long long)x->id,
                                      (unsigned long long)mu[j].value, (unsigned long long)y->id,
                                      (unsigned long long)c->w[wi].value);
                else
                        bl_ser_printf(
                            s,
                            " (key %llu: T%llu read %u value(s), missing %llu appended by "
                            "T%llu)",
                            (unsigned long long)k->key, (unsigned long long)x->id, at,
                            (unsigned long long)c->w[wi].value, (unsigned long long)y->id);
                return;
        }
        /* rw through a committed append that no read observed (phase 3b). */
        for (uint32_t j = 0; type == BL_SER_RW && j < x->nmops; j++) {
                if (mu[j].kind != BL_MOP_READ || ext_len(c, x->first + j) == NONE)
                        continue;
                for (uint32_t a = 0; a < y->nmops; a++) {
                        uint32_t wi;

                        if (mv[a].kind != BL_MOP_APPEND || mv[a].key != mu[j].key)
                                continue;
                        wi = bl_ser_find_write(c, mv[a].key, mv[a].value);
                        if (wi == NONE || c->w[wi].pos != NONE)
                                continue;
                        bl_ser_printf(
                            s,
                            " (key %llu: T%llu read %u value(s), without %llu, appended by "
                            "T%llu, which committed though no read shows it)",
                            (unsigned long long)mu[j].key, (unsigned long long)x->id,
                            ext_len(c, x->first + j), (unsigned long long)mv[a].value,
                            (unsigned long long)y->id);
                        return;
                }
        }
}

/*
 * Shortest cycle through edge u -> v (type et) inside component comp, on
 * edges of mask: BFS from v back to u. Fills path[] (u first) and types[]
 * (type of path[i] -> path[i+1], the last closing to u); returns its length,
 * 0 if none (cannot happen inside a component) or the time ran out.
 */
static size_t bfs_cycle(struct ser_ctx *c, const struct scc *s, uint32_t *parent, uint8_t *ptype,
                        uint32_t *queue, uint32_t u, uint32_t v, int et, int mask, uint32_t *path,
                        uint8_t *types, size_t cap)
{
        uint32_t comp = s->comp[u], qh = 0, qt = 0, x;
        size_t len = 0, n;

        parent[v] = v;
        queue[qt++] = v;
        while (qh < qt && parent[u] == NONE) {
                x = queue[qh++];
                if (bl_ser_expired(c))
                        break;
                for (size_t e = c->off[x]; e < c->off[x + 1]; e++) {
                        uint32_t y = c->adj[e].to;

                        if (!(c->adj[e].type & mask) || s->comp[y] != comp || parent[y] != NONE)
                                continue;
                        parent[y] = x;
                        ptype[y] = c->adj[e].type;
                        queue[qt++] = y;
                }
        }
        if (parent[u] == NONE) {
                for (uint32_t i = 0; i < qt; i++)
                        parent[queue[i]] = NONE;
                return 0;
        }
        /* Walk back from u to v: the path v .. u reversed; u -> v closes it. */
        n = 1;
        for (x = u; x != v; x = parent[x])
                n++;
        len = n;
        if (n <= cap) {
                size_t i = n;

                for (x = u; x != v; x = parent[x]) {
                        path[--i] = x;
                        types[i] = ptype[x]; /* filled below into the right slot */
                }
                path[0] = v;
                /* types[i] holds the type of the edge into path[i]; shift so
                 * types[i] is path[i] -> path[i + 1], with u -> v last. */
                for (size_t k = 0; k + 1 < n; k++)
                        types[k] = types[k + 1];
                types[n - 1] = (uint8_t)et;
        }
        for (uint32_t i = 0; i < qt; i++)
                parent[queue[i]] = NONE;
        return len;
}

static int cycle_class(const uint8_t *types, size_t n, int level_rt)
{
        int all = 0;

        for (size_t i = 0; i < n; i++)
                all |= types[i];
        if (all & BL_SER_RW)
                return level_rt ? BL_SER_G2_ITEM_RT : BL_SER_G2_ITEM;
        if (all & BL_SER_WR)
                return level_rt ? BL_SER_G1C_RT : BL_SER_G1C;
        return level_rt ? BL_SER_G0_RT : BL_SER_G0;
}

/* Keep the first (weakest) cycle found in out and describe it. */
static void record_cycle(struct ser_ctx *c, int cls, const uint32_t *path, const uint8_t *types,
                         size_t n)
{
        struct bl_ser_result *o = c->out;
        struct ser_buf s = {c->cycle_text, CYCLE_SIZE, 0};
        size_t keep = n < BL_SER_MAX_CYCLE ? n : BL_SER_MAX_CYCLE;

        if (o->cycle_class >= 0)
                return;
        o->cycle_class = cls;
        o->cycle_len = n;
        for (size_t i = 0; i < keep; i++) {
                o->cycle[i] = c->h->txns[path[i]].id;
                o->cycle_edge[i] = types[i];
        }
        bl_ser_printf(&s, "%s cycle: ", bl_ser_anomaly_name(cls));
        for (size_t i = 0; i < keep; i++)
                bl_ser_printf(&s, "T%llu -%s-> ", (unsigned long long)o->cycle[i],
                              bl_ser_edge_name(types[i]));
        if (keep < n)
                bl_ser_printf(&s, "(%zu more) ", n - keep);
        bl_ser_printf(&s, "T%llu. Edges: ", (unsigned long long)o->cycle[0]);
        for (size_t i = 0; i < keep; i++) {
                put_edge_why(c, &s, path[i], path[(i + 1) % n], types[i]);
                bl_ser_printf(&s, "; ");
        }
        bl_ser_printf(&s, "transactions: ");
        for (size_t i = 0; i < keep; i++) {
                bl_ser_put_txn(c, &s, path[i]);
                bl_ser_printf(&s, i + 1 < keep ? "; " : ".");
        }
}

/* Remove the virtual nodes from a cycle. Edges into and out of one are all
 * of one type (rt for the real-time chain, rw for a key's unobserved
 * appends), so the type kept at a transaction's position, that of the edge
 * leaving it, is right for the compressed edge. Returns the new length. */
static size_t drop_virtual(const struct ser_ctx *c, uint32_t *path, uint8_t *types, size_t n)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (path[i] >= c->h->n)
                        continue;
                path[k] = path[i];
                types[k++] = types[i];
        }
        return k;
}

/* Scratch arrays of the breadth-first searches, one entry per node. */
struct bfs_mem {
        uint32_t *parent, *queue, *path;
        uint8_t *ptype, *types, *done;
};

/*
 * One level: components of the graph on `mask` edges that contain an edge of
 * type `et`; a shortest cycle through the first such edge of each names the
 * class. Returns 0, or 1 when the time ran out.
 */
static int level(struct ser_ctx *c, struct scc *s, int mask, int et, int rt_level,
                 const struct bfs_mem *b)
{
        int r = tarjan(c, s, mask);

        if (r < 0)
                return 1;
        if (r == 0)
                return 0;
        memset(b->done, 0, s->ncomp);
        for (uint32_t u = 0; u < c->nodes; u++) {
                for (size_t e = c->off[u]; e < c->off[u + 1]; e++) {
                        uint32_t v = c->adj[e].to, cp = s->comp[u];
                        size_t n;
                        int cls;

                        if (c->adj[e].type != et || s->comp[v] != cp || b->done[cp])
                                continue;
                        b->done[cp] = 1;
                        n = bfs_cycle(c, s, b->parent, b->ptype, b->queue, u, v, et, mask, b->path,
                                      b->types, c->nodes);
                        if (bl_ser_expired(c))
                                return 1;
                        if (n == 0)
                                continue;
                        n = drop_virtual(c, b->path, b->types, n);
                        cls = cycle_class(b->types, n, rt_level);
                        c->out->found |= 1u << cls;
                        if (c->out->count[cls]++ == 0)
                                record_cycle(c, cls, b->path, b->types, n);
                }
        }
        return 0;
}

static int search(struct ser_ctx *c)
{
        static const struct {
                int mask, et, rt;
        } levels[] = {
            {BL_SER_WW, BL_SER_WW, 0},
            {BL_SER_WW | BL_SER_WR, BL_SER_WR, 0},
            {BL_SER_WW | BL_SER_WR | BL_SER_RW, BL_SER_RW, 0},
            {BL_SER_WW | BL_SER_WR | BL_SER_RW | BL_SER_RT, BL_SER_RT, 1},
        };
        size_t n = c->nodes ? c->nodes : 1;
        struct bfs_mem b = {
            .parent = bl_malloc(n * sizeof(*b.parent)),
            .queue = bl_malloc(n * sizeof(*b.queue)),
            .path = bl_malloc(n * sizeof(*b.path)),
            .ptype = bl_malloc(n),
            .types = bl_malloc(n),
            .done = bl_malloc(n),
        };
        struct scc s;
        int rc = BL_ENOMEM, r;

        if (!b.parent || !b.queue || !b.path || !b.ptype || !b.types || !b.done ||
            scc_alloc(&s, n) != 0)
                goto out_free;
        for (size_t i = 0; i < n; i++)
                b.parent[i] = NONE;
        rc = 0;
        /* Most histories are acyclic: one pass over everything decides. */
        r = tarjan(c, &s, 0xff);
        if (r <= 0)
                goto out_scc;
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
                if (levels[i].rt && !c->opts->realtime)
                        break;
                if (level(c, &s, levels[i].mask, levels[i].et, levels[i].rt, &b) != 0)
                        break;
        }
out_scc:
        scc_free(&s);
out_free:
        bl_free(b.parent);
        bl_free(b.queue);
        bl_free(b.path);
        bl_free(b.ptype);
        bl_free(b.types);
        bl_free(b.done);
        return rc;
}

int bl_ser_cycles(struct ser_ctx *c)
{
        int rc = build_csr(c);

        if (rc == 0 && !bl_ser_expired(c))
                rc = search(c);
        return rc;
}
