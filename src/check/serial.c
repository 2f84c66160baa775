/*
 * Serializability of list-append histories (see serial.h for what is inferred).
 *
 * Phases, each linear or n log n:
 *   1. index every append in a hash table (key, value) -> writer, and flag the
 *      appends that are their transaction's last to that key (for G1b);
 *   2. collect the committed reads, sorted by key; a read after the
 *      transaction's own appends to the key must end with them (checked on the
 *      spot), and counts for dependencies by the part before them;
 *   3. per key: the longest read is the version order; every read is compared
 *      with it (prefix or incompatible); elements are resolved to writers once,
 *      on the longest read, which also yields the ww edges; each read then
 *      gives its wr and rw edges and the G1a/G1b checks;
 *   3b. reads that miss a committed append nobody read precede its writer;
 *   4. rt edges from a sweep over invoke/complete events;
 *   5. a compressed adjacency (CSR) of all edges; Tarjan's SCC on it; only if
 *      some component is non-trivial, the per-class levels with a BFS per
 *      component for the shortest cycle through an edge of the level's type.
 * Nodes 0..h->n-1 are the transactions; virtual nodes (phases 3b and 4)
 * follow. Phase 5 lives in serial_cycle.c.
 */
#include "check/serial.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/serial_int.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"

/* ---- small helpers ---- */

void bl_ser_printf(struct ser_buf *s, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (s->len + 1 >= s->size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        s->len += (size_t)n;
        if (s->len >= s->size) {
                s->len = s->size - 1;
                if (s->size > 4)
                        memcpy(s->buf + s->size - 4, "...", 4);
        }
}

static double elapsed_s(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) * 1e-9;
}

/* True once the time limit passed; reads the clock every CHECK_EVERY calls. */
int bl_ser_expired(struct ser_ctx *c)
{
        if (c->expired)
                return 1;
        if (c->opts->time_limit_s <= 0 || ++c->ticks % CHECK_EVERY != 0)
                return 0;
        if (elapsed_s(&c->start) > c->opts->time_limit_s)
                c->expired = 1;
        return c->expired;
}

const char *bl_ser_anomaly_name(int a)
{
        static const char *const names[BL_SER__COUNT] = {
            "duplicate-elements",
            "garbage-read",
            "incompatible-order",
            "internal",
            "G1a",
            "G1b",
            "G0",
            "G1c",
            "G2-item",
            "G0-realtime",
            "G1c-realtime",
            "G2-item-realtime",
        };

        return a >= 0 && a < BL_SER__COUNT ? names[a] : "?";
}

const char *bl_ser_edge_name(int type)
{
        switch (type) {
        case BL_SER_WW:
                return "ww";
        case BL_SER_WR:
                return "wr";
        case BL_SER_RW:
                return "rw";
        case BL_SER_RT:
                return "rt";
        default:
                return "?";
        }
}

void bl_ser_opts_default(struct bl_ser_opts *o)
{
        o->time_limit_s = 0;
        o->realtime = 1;
}

/* Record one instance of anomaly a; the first one of each class is described. */
static struct ser_buf note(struct ser_ctx *c, int a)
{
        struct ser_buf s = {c->example[a], EXAMPLE_SIZE, 0};

        c->out->found |= 1u << a;
        if (c->out->count[a]++ > 0)
                s.size = 0; /* already described: writes go nowhere */
        return s;
}

/* "[1 2 3]", or "[1 2 ... 9 (12 values)]" for long lists. */
static void put_list(struct ser_buf *s, const uint64_t *v, size_t n)
{
        bl_ser_printf(s, "[");
        for (size_t i = 0; i < n; i++) {
                if (n > 8 && i == 3) {
                        bl_ser_printf(s, " ...");
                        i = n - 3;
                }
                bl_ser_printf(s, "%s%llu", i ? " " : "", (unsigned long long)v[i]);
        }
        if (n > 8)
                bl_ser_printf(s, " (%zu values)", n);
        bl_ser_printf(s, "]");
}

/* "T7 (client 2, ok, [10, 20] ns: append(1, 5) read(2) = [5 6])" */
void bl_ser_put_txn(struct ser_ctx *c, struct ser_buf *s, uint32_t t)
{
        const struct bl_txn *x = txn_at(c, t);
        const struct bl_mop *m = bl_txn_mops(c->h, t);

        bl_ser_printf(s, "T%llu (client %u, %s, [%llu, ", (unsigned long long)x->id, x->client,
                      bl_outcome_name(x->outcome), (unsigned long long)x->invoke_ns);
        if (x->complete_ns == UINT64_MAX)
                bl_ser_printf(s, "?] ns:");
        else
                bl_ser_printf(s, "%llu] ns:", (unsigned long long)x->complete_ns);
        for (uint32_t i = 0; i < x->nmops; i++) {
                if (i == 6) {
                        bl_ser_printf(s, " ... %u micro-ops", x->nmops);
                        break;
                }
                if (m[i].kind == BL_MOP_APPEND) {
                        bl_ser_printf(s, " append(%llu, %llu)", (unsigned long long)m[i].key,
                                      (unsigned long long)m[i].value);
                } else {
                        bl_ser_printf(s, " read(%llu) = ", (unsigned long long)m[i].key);
                        if (x->outcome == BL_OUT_OK)
                                put_list(s, list_of(c, &m[i]), m[i].len);
                        else
                                bl_ser_printf(s, "?");
                }
        }
        bl_ser_printf(s, ")");
}

/* ---- phase 1: appends ---- */

static size_t slot_hash(uint64_t key, uint64_t value)
{
        return (size_t)bl_mix64(bl_mix64(key) ^ value);
}

/* Index of the write of (key, value), or NONE. */
uint32_t bl_ser_find_write(const struct ser_ctx *c, uint64_t key, uint64_t value)
{
        size_t i;

        if (c->table == NULL)
                return NONE;
        for (i = slot_hash(key, value) & c->mask; c->table[i] != 0; i = (i + 1) & c->mask) {
                const struct ser_write *w = &c->w[c->table[i] - 1];

                if (w->key == key && w->value == value)
                        return c->table[i] - 1;
        }
        return NONE;
}

static int index_appends(struct ser_ctx *c)
{
        const struct bl_txn_history *h = c->h;
        size_t nw = 0, size = 16;

        for (size_t i = 0; i < h->nmops; i++)
                nw += h->mops[i].kind == BL_MOP_APPEND;
        if (nw >= NONE - 1 || h->n >= NONE)
                return bl_errf(NULL, BL_EINVAL, "too large");
        while (size < 2 * nw)
                size *= 2;
        c->w = bl_malloc((nw ? nw : 1) * sizeof(*c->w));
        c->table = bl_calloc(size, sizeof(*c->table));
        if (c->w == NULL || c->table == NULL)
                return BL_ENOMEM;
        c->mask = size - 1;
        for (uint32_t t = 0; t < h->n; t++) {
                const struct bl_txn *x = &h->txns[t];
                const struct bl_mop *m = bl_txn_mops(h, t);

                if (x->outcome == BL_OUT_OK && x->complete_ns < x->invoke_ns) {
                        snprintf(c->out->reason, sizeof(c->out->reason),
                                 "transaction %llu completes (%llu ns) before it is invoked "
                                 "(%llu ns)",
                                 (unsigned long long)x->id, (unsigned long long)x->complete_ns,
                                 (unsigned long long)x->invoke_ns);
                        return BL_EINVAL;
                }
                for (uint32_t j = 0; j < x->nmops; j++) {
                        struct ser_write *w;
                        size_t s;

                        if (m[j].kind != BL_MOP_APPEND)
                                continue;
                        if (bl_ser_find_write(c, m[j].key, m[j].value) != NONE) {
                                snprintf(c->out->reason, sizeof(c->out->reason),
                                         "value %llu is appended to key %llu twice (again by "
                                         "transaction %llu): values must be unique per key",
                                         (unsigned long long)m[j].value,
                                         (unsigned long long)m[j].key, (unsigned long long)x->id);
                                return BL_EINVAL;
                        }
                        w = &c->w[c->nw];
                        w->key = m[j].key;
                        w->value = m[j].value;
                        w->txn = t;
                        w->pos = NONE;
                        w->stamp = NONE;
                        w->last = 1;
                        for (uint32_t k = j + 1; k < x->nmops; k++)
                                if (m[k].kind == BL_MOP_APPEND && m[k].key == m[j].key)
                                        w->last = 0;
                        for (s = slot_hash(w->key, w->value) & c->mask; c->table[s] != 0;
                             s = (s + 1) & c->mask)
                                ;
                        c->table[s] = (uint32_t)++c->nw;
                }
        }
        return 0;
}

/* ---- phase 2: reads ---- */

/* A read after the transaction's own appends to the key must end with them. */
static void check_internal(struct ser_ctx *c, uint32_t t, uint32_t j)
{
        const struct bl_mop *m = bl_txn_mops(c->h, t);
        const uint64_t *l = list_of(c, &m[j]);
        uint32_t own = 0, k, seen = 0;
        struct ser_buf s;

        for (k = 0; k < j; k++)
                own += m[k].kind == BL_MOP_APPEND && m[k].key == m[j].key;
        if (own == 0)
                return;
        c->own[c->h->txns[t].first + j] = own;
        if (m[j].len >= own) {
                for (k = 0; k < j; k++)
                        if (m[k].kind == BL_MOP_APPEND && m[k].key == m[j].key &&
                            l[m[j].len - own + seen++] != m[k].value)
                                break;
                if (k == j)
                        return;
        }
        c->own[c->h->txns[t].first + j] = NONE;
        s = note(c, BL_SER_INTERNAL);
        bl_ser_printf(&s,
                      "read of key %llu after the transaction's own %u append(s) does not end with "
                      "them: ",
                      (unsigned long long)m[j].key, own);
        bl_ser_put_txn(c, &s, t);
}

static int cmp_read(const void *a, const void *b)
{
        const struct ser_read *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return (x->mop > y->mop) - (x->mop < y->mop);
}

static int collect_reads(struct ser_ctx *c)
{
        const struct bl_txn_history *h = c->h;
        size_t n = 0;

        c->own = bl_calloc(h->nmops ? h->nmops : 1, sizeof(*c->own));
        c->reads = bl_malloc((h->nmops ? h->nmops : 1) * sizeof(*c->reads));
        if (c->own == NULL || c->reads == NULL)
                return BL_ENOMEM;
        for (uint32_t t = 0; t < h->n; t++) {
                const struct bl_txn *x = &h->txns[t];

                if (x->outcome != BL_OUT_OK)
                        continue;
                for (uint32_t j = 0; j < x->nmops; j++) {
                        if (h->mops[x->first + j].kind != BL_MOP_READ)
                                continue;
                        check_internal(c, t, j);
                        c->reads[n].key = h->mops[x->first + j].key;
                        c->reads[n].mop = x->first + j;
                        c->reads[n].txn = t;
                        n++;
                }
        }
        c->nreads = n;
        qsort(c->reads, n, sizeof(*c->reads), cmp_read);
        return 0;
}

/* ---- phase 3: version orders and dependency edges ---- */

static int add_edge(struct ser_ctx *c, uint32_t from, uint32_t to, int type)
{
        if (from == to)
                return 0;
        if (c->ne == c->cape) {
                size_t want = c->cape < 1024 ? 1024 : c->cape * 2;
                struct ser_edge *p = bl_realloc(c->e, want * sizeof(*p));

                if (p == NULL)
                        return BL_ENOMEM;
                c->e = p;
                c->cape = want;
        }
        c->e[c->ne].from = from;
        c->e[c->ne].to = to;
        c->e[c->ne].type = (uint8_t)type;
        c->ne++;
        return 0;
}

static int graph_txn(const struct ser_ctx *c, uint32_t t)
{
        return c->h->txns[t].outcome != BL_OUT_FAIL;
}

/*
 * Resolve the elements of one read (the longest of its key, or one that is
 * not a prefix of it) to their writers: garbage, aborted and repeated values.
 * For the longest (order != NULL), positions are assigned and the first bad
 * position is stored. stamp tells this read's marks from older ones.
 */
static void scan_read(struct ser_ctx *c, const struct ser_read *r, uint32_t stamp,
                      struct ser_key *order)
{
        const struct bl_mop *m = mop_at(c, r->mop);
        const uint64_t *l = list_of(c, m);

        for (uint32_t i = 0; i < m->len; i++) {
                uint32_t wi = bl_ser_find_write(c, m->key, l[i]);
                struct ser_write *w = wi == NONE ? NULL : &c->w[wi];
                struct ser_buf s;

                if (w == NULL) {
                        s = note(c, BL_SER_GARBAGE);
                        bl_ser_printf(&s, "value %llu of key %llu was never appended, yet read by ",
                                      (unsigned long long)l[i], (unsigned long long)m->key);
                        bl_ser_put_txn(c, &s, r->txn);
                } else if (w->stamp == stamp) {
                        s = note(c, BL_SER_DUPLICATE);
                        bl_ser_printf(&s, "value %llu appears twice in key %llu read by ",
                                      (unsigned long long)l[i], (unsigned long long)m->key);
                        bl_ser_put_txn(c, &s, r->txn);
                } else {
                        w->stamp = stamp;
                        if (order != NULL)
                                w->pos = i;
                        if (c->h->txns[w->txn].outcome != BL_OUT_FAIL) {
                                c->in_graph[w->txn] = 1;
                                continue;
                        }
                        if (order != NULL && order->aborted == NONE)
                                order->aborted = i;
                        s = note(c, BL_SER_G1A);
                        bl_ser_printf(&s, "aborted read: ");
                        bl_ser_put_txn(c, &s, r->txn);
                        bl_ser_printf(&s, " read value %llu of key %llu, appended by aborted ",
                                      (unsigned long long)l[i], (unsigned long long)m->key);
                        bl_ser_put_txn(c, &s, w->txn);
                }
        }
}

/* G1a (for the prefixes of the longest read), G1b, wr and (for prefixes) rw
 * from one read, by the part of it that others wrote. */
static int read_edges(struct ser_ctx *c, const struct ser_read *r, const struct ser_key *k,
                      int prefix)
{
        const struct bl_mop *m = mop_at(c, r->mop);
        const uint64_t *l = list_of(c, m);
        const uint64_t *order = c->h->vals + k->off;
        uint32_t el = ext_len(c, r->mop);
        int rc;

        if (el == NONE)
                return 0;
        if (prefix && r->mop != k->mop && k->aborted != NONE && m->len > k->aborted) {
                /* The longest read's scan found the aborted value; this read,
                 * a prefix, holds it too (G1a counts reads). */
                uint32_t wi = bl_ser_find_write(c, m->key, order[k->aborted]);
                struct ser_buf s = note(c, BL_SER_G1A);

                bl_ser_printf(&s, "aborted read: ");
                bl_ser_put_txn(c, &s, r->txn);
                bl_ser_printf(&s, " read value %llu of key %llu, appended by aborted ",
                              (unsigned long long)order[k->aborted], (unsigned long long)m->key);
                bl_ser_put_txn(c, &s, c->w[wi].txn);
        }
        if (el > 0) {
                uint32_t wi = bl_ser_find_write(c, m->key, l[el - 1]);

                if (wi != NONE && c->w[wi].txn != r->txn && graph_txn(c, c->w[wi].txn)) {
                        if (!c->w[wi].last) {
                                struct ser_buf s = note(c, BL_SER_G1B);

                                bl_ser_printf(&s, "intermediate read: ");
                                bl_ser_put_txn(c, &s, r->txn);
                                bl_ser_printf(
                                    &s,
                                    " read key %llu ending with %llu, which is not the last "
                                    "append of ",
                                    (unsigned long long)m->key, (unsigned long long)l[el - 1]);
                                bl_ser_put_txn(c, &s, c->w[wi].txn);
                        }
                        rc = add_edge(c, c->w[wi].txn, r->txn, BL_SER_WR);
                        if (rc != 0)
                                return rc;
                }
        }
        if (prefix && el < k->len) {
                uint32_t wi = bl_ser_find_write(c, m->key, order[el]);

                if (wi != NONE && graph_txn(c, c->w[wi].txn))
                        return add_edge(c, r->txn, c->w[wi].txn, BL_SER_RW);
        }
        return 0;
}

/* Reads of one key: c->reads[lo .. hi). */
static int one_key(struct ser_ctx *c, size_t lo, size_t hi, struct ser_key *k)
{
        const struct ser_read *longest = &c->reads[lo];
        const uint64_t *order;
        uint32_t prev = NONE;
        int rc;

        for (size_t i = lo + 1; i < hi; i++)
                if (mop_at(c, c->reads[i].mop)->len > mop_at(c, longest->mop)->len)
                        longest = &c->reads[i];
        k->key = longest->key;
        k->off = mop_at(c, longest->mop)->off;
        k->len = mop_at(c, longest->mop)->len;
        k->mop = longest->mop;
        k->aborted = NONE;
        k->rlo = lo;
        k->rhi = hi;
        order = c->h->vals + k->off;
        scan_read(c, longest, (uint32_t)(longest - c->reads), k);
        /* ww: consecutive elements of the version order. */
        for (uint32_t i = 0; i < k->len; i++) {
                uint32_t wi = bl_ser_find_write(c, k->key, order[i]);

                if (wi == NONE || c->w[wi].pos != i || !graph_txn(c, c->w[wi].txn))
                        continue;
                if (prev != NONE && (rc = add_edge(c, c->w[prev].txn, c->w[wi].txn, BL_SER_WW)))
                        return rc;
                prev = wi;
        }
        for (size_t i = lo; i < hi; i++) {
                const struct ser_read *r = &c->reads[i];
                const struct bl_mop *m = mop_at(c, r->mop);
                int prefix = m->len == 0 || memcmp(list_of(c, m), order, m->len * 8) == 0;

                c->reads[i].prefix = (uint8_t)prefix;

                if (!prefix) {
                        struct ser_buf s = note(c, BL_SER_INCOMPATIBLE);

                        bl_ser_printf(&s, "key %llu: neither read is a prefix of the other: ",
                                      (unsigned long long)k->key);
                        bl_ser_put_txn(c, &s, r->txn);
                        bl_ser_printf(&s, " and ");
                        bl_ser_put_txn(c, &s, longest->txn);
                        scan_read(c, r, (uint32_t)i, NULL);
                }
                if ((rc = read_edges(c, r, k, prefix)) != 0)
                        return rc;
                if (bl_ser_expired(c))
                        return 0;
        }
        return 0;
}

static int dependencies(struct ser_ctx *c)
{
        size_t lo = 0;
        int rc;

        c->keys = bl_malloc((c->nreads ? c->nreads : 1) * sizeof(*c->keys));
        c->in_graph = bl_calloc(c->h->n ? c->h->n : 1, 1);
        if (c->keys == NULL || c->in_graph == NULL)
                return BL_ENOMEM;
        for (uint32_t t = 0; t < c->h->n; t++)
                c->in_graph[t] = c->h->txns[t].outcome == BL_OUT_OK;
        while (lo < c->nreads && !bl_ser_expired(c)) {
                size_t hi = lo + 1;

                while (hi < c->nreads && c->reads[hi].key == c->reads[lo].key)
                        hi++;
                rc = one_key(c, lo, hi, &c->keys[c->nkeys]);
                if (rc != 0)
                        return rc;
                c->nkeys++;
                lo = hi;
        }
        return 0;
}

/* ---- phase 3b: committed appends that no read observed ---- */

/* An append's key and index, sorted to group the appends by key. */
struct kidx {
        uint64_t key;
        uint32_t w;
};

static int cmp_kidx(const void *a, const void *b)
{
        const struct kidx *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return (x->w > y->w) - (x->w < y->w);
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return (x > y) - (x < y);
}

/* Position of t in the sorted u[0..m), or NONE. */
static uint32_t find_txn(const uint32_t *u, uint32_t m, uint32_t t)
{
        uint32_t lo = 0, hi = m;

        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;

                if (u[mid] < t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < m && u[lo] == t ? lo : NONE;
}

/*
 * Edges reader -> every writer in u[0..m) but itself, in O(m + readers):
 * prefix chain P[i] reaches u[0..i], suffix chain S[i] reaches u[i..m).
 * A reader outside u links to P[m-1]; the writer u[j] links to P[j-1] and
 * S[j+1], so it never reaches itself (which would be a false cycle).
 */
static int unobserved_key(struct ser_ctx *c, const struct ser_key *k, uint32_t *u, uint32_t m)
{
        uint32_t p0, s0;
        int rc = 0;

        if (c->nodes + 2 * (size_t)m >= NONE)
                return BL_ENOMEM;
        p0 = (uint32_t)c->nodes;
        s0 = p0 + m;
        c->nodes += 2 * (size_t)m;
        for (uint32_t x = 0; x < m && rc == 0; x++) {
                rc = add_edge(c, p0 + x, u[x], BL_SER_RW);
                if (rc == 0 && x > 0)
                        rc = add_edge(c, p0 + x, p0 + x - 1, BL_SER_RW);
                if (rc == 0)
                        rc = add_edge(c, s0 + x, u[x], BL_SER_RW);
                if (rc == 0 && x + 1 < m)
                        rc = add_edge(c, s0 + x, s0 + x + 1, BL_SER_RW);
        }
        for (size_t r = k->rlo; r < k->rhi && rc == 0; r++) {
                const struct ser_read *rd = &c->reads[r];
                uint32_t j;

                if (c->own[rd->mop] == NONE || !rd->prefix)
                        continue;
                j = find_txn(u, m, rd->txn);
                if (j == NONE) {
                        rc = add_edge(c, rd->txn, p0 + m - 1, BL_SER_RW);
                        continue;
                }
                if (j > 0)
                        rc = add_edge(c, rd->txn, p0 + j - 1, BL_SER_RW);
                if (rc == 0 && j + 1 < m)
                        rc = add_edge(c, rd->txn, s0 + j + 1, BL_SER_RW);
        }
        return rc;
}

/*
 * A committed append that no read saw is not in its key's version order, yet
 * it still orders: a committed read of the key that does not hold the value
 * was serialised before its writer (had the writer come first, the read would
 * hold it). Without this, a read that misses a write completed long before
 * would go unnoticed unless a later read showed the value. Edges go through
 * virtual chains (unobserved_key), so they cost readers + writers, not their
 * product, even when every transaction reads a key and appends to it unseen.
 * Values seen only in reads that are not prefixes of the version order are
 * left out: that history is already anomalous.
 */
static int unobserved(struct ser_ctx *c)
{
        struct kidx *idx = bl_malloc((c->nw ? c->nw : 1) * sizeof(*idx));
        uint32_t *u = bl_malloc((c->nw ? c->nw : 1) * sizeof(*u));
        size_t ki = 0, i = 0;
        int rc = 0;

        if (idx == NULL || u == NULL) {
                rc = BL_ENOMEM;
                goto out_free;
        }
        for (size_t j = 0; j < c->nw; j++)
                idx[j] = (struct kidx){c->w[j].key, (uint32_t)j};
        qsort(idx, c->nw, sizeof(*idx), cmp_kidx);
        while (i < c->nw && rc == 0 && !bl_ser_expired(c)) {
                uint64_t key = idx[i].key;
                size_t j = i;
                uint32_t nu = 0, m = 0;

                for (; j < c->nw && idx[j].key == key; j++) {
                        const struct ser_write *w = &c->w[idx[j].w];

                        if (w->pos == NONE && w->stamp == NONE && c->in_graph[w->txn])
                                u[nu++] = w->txn;
                }
                i = j;
                while (ki < c->nkeys && c->keys[ki].key < key)
                        ki++;
                if (nu == 0 || ki == c->nkeys || c->keys[ki].key != key)
                        continue;
                /* Distinct writers, sorted. */
                qsort(u, nu, sizeof(*u), cmp_u32);
                for (uint32_t x = 0; x < nu; x++)
                        if (m == 0 || u[x] != u[m - 1])
                                u[m++] = u[x];
                rc = unobserved_key(c, &c->keys[ki], u, m);
        }
out_free:
        bl_free(idx);
        bl_free(u);
        return rc;
}

/* ---- phase 4: real time ---- */

struct event {
        uint64_t time;
        uint32_t txn;
        uint8_t complete; /* invokes sort first at equal times: touching is concurrent */
};

static int cmp_event(const void *a, const void *b)
{
        const struct event *x = a, *y = b;

        if (x->time != y->time)
                return x->time < y->time ? -1 : 1;
        if (x->complete != y->complete)
                return x->complete - y->complete;
        return (x->txn > y->txn) - (x->txn < y->txn);
}

/*
 * Real-time order with O(n) edges: a chain of virtual nodes, one per
 * completion event in time order. A transaction links to the node of its own
 * completion; the node of the latest completion before a transaction's
 * invocation links to it. T1 then reaches T2 through the chain exactly when
 * T1 completed before T2 was invoked (invocations sort before completions at
 * equal times, so touching intervals stay concurrent). Direct edges to every
 * earlier transaction would cost one per concurrent client per transaction.
 * Virtual nodes are numbered from h->n; they never form a cycle alone (the
 * chain runs forward in time) and are dropped from reported cycles, where a
 * run of them reads as one rt edge.
 */
static int realtime(struct ser_ctx *c)
{
        const struct bl_txn_history *h = c->h;
        struct event *ev = bl_malloc((2 * h->n + 1) * sizeof(*ev));
        uint32_t last = NONE;
        size_t nev = 0;
        int rc = BL_ENOMEM;

        if (ev == NULL)
                goto out_free;
        for (uint32_t t = 0; t < h->n; t++) {
                if (!c->in_graph[t])
                        continue;
                ev[nev++] = (struct event){h->txns[t].invoke_ns, t, 0};
                if (h->txns[t].outcome == BL_OUT_OK)
                        ev[nev++] = (struct event){h->txns[t].complete_ns, t, 1};
        }
        qsort(ev, nev, sizeof(*ev), cmp_event);
        rc = 0;
        for (size_t i = 0; i < nev && rc == 0 && !bl_ser_expired(c); i++) {
                uint32_t t = ev[i].txn, node;

                if (!ev[i].complete) {
                        if (last != NONE)
                                rc = add_edge(c, last, t, BL_SER_RT);
                        continue;
                }
                if (c->nodes >= NONE - 1) {
                        rc = BL_ENOMEM;
                        break;
                }
                node = (uint32_t)c->nodes++;
                rc = add_edge(c, t, node, BL_SER_RT);
                if (rc == 0 && last != NONE)
                        rc = add_edge(c, last, node, BL_SER_RT);
                last = node;
        }
out_free:
        bl_free(ev);
        return rc;
}

/* ---- verdict ---- */

static void conclude(struct ser_ctx *c, int rc)
{
        struct bl_ser_result *o = c->out;
        struct ser_buf s = {o->reason, sizeof(o->reason), 0};
        uint32_t serial_mask = (1u << BL_SER_G0_RT) - 1;
        int first = -1;

        o->inconclusive = c->expired || rc == BL_ENOMEM;
        o->serializable = (o->found & serial_mask) ? 0 : o->inconclusive ? -1 : 1;
        o->strict = !c->opts->realtime ? -1 : o->found ? 0 : o->inconclusive ? -1 : 1;
        if (o->serializable == 0 && c->opts->realtime)
                o->strict = 0;
        for (uint32_t t = 0; t < c->h->n; t++)
                o->txns += c->in_graph != NULL && c->in_graph[t];
        if (o->found == 0) {
                if (rc == BL_ENOMEM)
                        bl_ser_printf(&s, "inconclusive: out of memory");
                else if (c->expired)
                        bl_ser_printf(&s, "inconclusive: time limit of %.3g s reached",
                                      c->opts->time_limit_s);
                else
                        bl_ser_printf(&s,
                                      "no anomaly in %llu transactions, %llu dependency edges%s",
                                      (unsigned long long)o->txns, (unsigned long long)o->edges,
                                      c->opts->realtime ? " (real time included)" : "");
                return;
        }
        bl_ser_printf(&s, "anomalies:");
        for (int a = 0; a < BL_SER__COUNT; a++) {
                if (!(o->found & (1u << a)))
                        continue;
                bl_ser_printf(&s, " %s x%llu", bl_ser_anomaly_name(a),
                              (unsigned long long)o->count[a]);
                if (first < 0)
                        first = a;
        }
        if (o->inconclusive)
                bl_ser_printf(&s, " (search incomplete: %s)",
                              rc == BL_ENOMEM ? "out of memory" : "time limit");
        if (first < BL_SER_G0)
                bl_ser_printf(&s, ". %s: %s", bl_ser_anomaly_name(first), c->example[first]);
        if (o->cycle_class >= 0)
                bl_ser_printf(&s, ". %s", c->cycle_text);
}

int bl_ser_check(const struct bl_txn_history *h, const struct bl_ser_opts *opts,
                 struct bl_ser_result *out)
{
        struct bl_ser_opts defaults;
        struct ser_ctx *c;
        int rc;

        if (out != NULL) {
                memset(out, 0, sizeof(*out));
                out->serializable = out->strict = -1;
                out->cycle_class = -1;
        }
        if (h == NULL || out == NULL)
                return BL_EINVAL;
        if (opts == NULL) {
                bl_ser_opts_default(&defaults);
                opts = &defaults;
        }
        c = bl_calloc(1, sizeof(*c));
        if (c == NULL) {
                out->inconclusive = 1;
                snprintf(out->reason, sizeof(out->reason), "inconclusive: out of memory");
                return BL_ENOMEM;
        }
        c->h = h;
        c->nodes = h->n;
        c->opts = opts;
        c->out = out;
        clock_gettime(CLOCK_MONOTONIC, &c->start);
        rc = index_appends(c);
        if (rc == BL_EINVAL) {
                out->inconclusive = 1;
                goto out_free;
        }
        if (rc == 0)
                rc = collect_reads(c);
        if (rc == 0 && !bl_ser_expired(c))
                rc = dependencies(c);
        if (rc == 0 && !bl_ser_expired(c))
                rc = unobserved(c);
        if (rc == 0 && !bl_ser_expired(c) && opts->realtime)
                rc = realtime(c);
        out->edges = c->ne;
        if (rc == 0 && !bl_ser_expired(c))
                rc = bl_ser_cycles(c);
        conclude(c, rc);
out_free:
        bl_free(c->w);
        bl_free(c->table);
        bl_free(c->own);
        bl_free(c->reads);
        bl_free(c->keys);
        bl_free(c->in_graph);
        bl_free(c->e);
        bl_free(c->off);
        bl_free(c->adj);
        bl_free(c);
        return rc;
}
