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
 * Node numbers are transaction indices in the history.
 */
#include "check/serial.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"

#define NONE         UINT32_MAX
#define CHECK_EVERY  4096
#define EXAMPLE_SIZE 480
#define CYCLE_SIZE   2600

struct write {
        uint64_t key, value;
        uint32_t txn;
        uint32_t pos; /* index in the key's version order; NONE if never read */
        uint32_t stamp;
        uint8_t last; /* its transaction's last append to key */
};

struct rd {
        uint64_t key;
        size_t mop; /* index in h->mops */
        uint32_t txn;
        uint8_t prefix; /* of its key's version order (set by one_key) */
};

struct keyinfo {
        uint64_t key;
        size_t off; /* version order: h->vals[off .. off + len) */
        uint32_t len;
        uint32_t aborted; /* first position holding an aborted transaction's value */
        size_t mop;       /* the longest read */
        size_t rlo, rhi;  /* its reads: c->reads[rlo .. rhi) */
};

struct edge {
        uint32_t from, to;
        uint8_t type;
};

struct adj {
        uint32_t to;
        uint8_t type;
};

struct sbuf {
        char *buf;
        size_t size, len;
};

struct ser_ctx {
        const struct bl_txn_history *h;
        const struct bl_ser_opts *opts;
        struct bl_ser_result *out;
        struct timespec start;
        unsigned long ticks;
        int expired;
        /* appends */
        struct write *w;
        size_t nw;
        uint32_t *table; /* open addressing: index + 1 into w, 0 empty */
        size_t mask;
        uint32_t *own; /* per read: own earlier appends to its key; NONE: not at its end */
        /* external reads and keys */
        struct rd *reads;
        size_t nreads;
        struct keyinfo *keys;
        size_t nkeys;
        uint8_t *in_graph; /* per txn */
        size_t nodes;      /* transactions, then virtual real-time nodes */
        /* edges */
        struct edge *e;
        size_t ne, cape;
        size_t *off; /* CSR: node i's edges are adj[off[i] .. off[i+1]) */
        struct adj *adj;
        /* explanations */
        char example[BL_SER__COUNT][EXAMPLE_SIZE];
        char cycle_text[CYCLE_SIZE];
};

/* ---- small helpers ---- */

static void sbf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbf(struct sbuf *s, const char *fmt, ...)
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
static int expired(struct ser_ctx *c)
{
        if (c->expired)
                return 1;
        if (c->opts->time_limit_s <= 0 || ++c->ticks % CHECK_EVERY != 0)
                return 0;
        if (elapsed_s(&c->start) > c->opts->time_limit_s)
                c->expired = 1;
        return c->expired;
}

static const struct bl_mop *mop_at(const struct ser_ctx *c, size_t i)
{
        return &c->h->mops[i];
}

static const uint64_t *list_of(const struct ser_ctx *c, const struct bl_mop *m)
{
        return c->h->vals + m->off;
}

static const struct bl_txn *txn_at(const struct ser_ctx *c, uint32_t t)
{
        return &c->h->txns[t];
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
static struct sbuf note(struct ser_ctx *c, int a)
{
        struct sbuf s = {c->example[a], EXAMPLE_SIZE, 0};

        c->out->found |= 1u << a;
        if (c->out->count[a]++ > 0)
                s.size = 0; /* already described: writes go nowhere */
        return s;
}

/* "[1 2 3]", or "[1 2 ... 9 (12 values)]" for long lists. */
static void put_list(struct sbuf *s, const uint64_t *v, size_t n)
{
        sbf(s, "[");
        for (size_t i = 0; i < n; i++) {
                if (n > 8 && i == 3) {
                        sbf(s, " ...");
                        i = n - 3;
                }
                sbf(s, "%s%llu", i ? " " : "", (unsigned long long)v[i]);
        }
        if (n > 8)
                sbf(s, " (%zu values)", n);
        sbf(s, "]");
}

/* "T7 (client 2, ok, [10, 20] ns: append(1, 5) read(2) = [5 6])" */
static void put_txn(struct ser_ctx *c, struct sbuf *s, uint32_t t)
{
        const struct bl_txn *x = txn_at(c, t);
        const struct bl_mop *m = bl_txn_mops(c->h, t);

        sbf(s, "T%llu (client %u, %s, [%llu, ", (unsigned long long)x->id, x->client,
            bl_outcome_name(x->outcome), (unsigned long long)x->invoke_ns);
        if (x->complete_ns == UINT64_MAX)
                sbf(s, "?] ns:");
        else
                sbf(s, "%llu] ns:", (unsigned long long)x->complete_ns);
        for (uint32_t i = 0; i < x->nmops; i++) {
                if (i == 6) {
                        sbf(s, " ... %u micro-ops", x->nmops);
                        break;
                }
                if (m[i].kind == BL_MOP_APPEND) {
                        sbf(s, " append(%llu, %llu)", (unsigned long long)m[i].key,
                            (unsigned long long)m[i].value);
                } else {
                        sbf(s, " read(%llu) = ", (unsigned long long)m[i].key);
                        if (x->outcome == BL_OUT_OK)
                                put_list(s, list_of(c, &m[i]), m[i].len);
                        else
                                sbf(s, "?");
                }
        }
        sbf(s, ")");
}

/* ---- phase 1: appends ---- */

static size_t slot_hash(uint64_t key, uint64_t value)
{
        return (size_t)bl_mix64(bl_mix64(key) ^ value);
}

/* Index of the write of (key, value), or NONE. */
static uint32_t find_write(const struct ser_ctx *c, uint64_t key, uint64_t value)
{
        size_t i;

        if (c->table == NULL)
                return NONE;
        for (i = slot_hash(key, value) & c->mask; c->table[i] != 0; i = (i + 1) & c->mask) {
                const struct write *w = &c->w[c->table[i] - 1];

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
                        struct write *w;
                        size_t s;

                        if (m[j].kind != BL_MOP_APPEND)
                                continue;
                        if (find_write(c, m[j].key, m[j].value) != NONE) {
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
        struct sbuf s;

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
        sbf(&s,
            "read of key %llu after the transaction's own %u append(s) does not end with "
            "them: ",
            (unsigned long long)m[j].key, own);
        put_txn(c, &s, t);
}

static int cmp_read(const void *a, const void *b)
{
        const struct rd *x = a, *y = b;

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
                struct edge *p = bl_realloc(c->e, want * sizeof(*p));

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
static void scan_read(struct ser_ctx *c, const struct rd *r, uint32_t stamp, struct keyinfo *order)
{
        const struct bl_mop *m = mop_at(c, r->mop);
        const uint64_t *l = list_of(c, m);

        for (uint32_t i = 0; i < m->len; i++) {
                uint32_t wi = find_write(c, m->key, l[i]);
                struct write *w = wi == NONE ? NULL : &c->w[wi];
                struct sbuf s;

                if (w == NULL) {
                        s = note(c, BL_SER_GARBAGE);
                        sbf(&s, "value %llu of key %llu was never appended, yet read by ",
                            (unsigned long long)l[i], (unsigned long long)m->key);
                        put_txn(c, &s, r->txn);
                } else if (w->stamp == stamp) {
                        s = note(c, BL_SER_DUPLICATE);
                        sbf(&s, "value %llu appears twice in key %llu read by ",
                            (unsigned long long)l[i], (unsigned long long)m->key);
                        put_txn(c, &s, r->txn);
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
                        sbf(&s, "aborted read: ");
                        put_txn(c, &s, r->txn);
                        sbf(&s, " read value %llu of key %llu, appended by aborted ",
                            (unsigned long long)l[i], (unsigned long long)m->key);
                        put_txn(c, &s, w->txn);
                }
        }
}

/* Length of the part of a read before its transaction's own appends (the
 * state it saw from others), or NONE when the read does not end with them. */
static uint32_t ext_len(const struct ser_ctx *c, size_t mop)
{
        return c->own[mop] == NONE ? NONE : c->h->mops[mop].len - c->own[mop];
}

/* G1a (for the prefixes of the longest read), G1b, wr and (for prefixes) rw
 * from one read, by the part of it that others wrote. */
static int read_edges(struct ser_ctx *c, const struct rd *r, const struct keyinfo *k, int prefix)
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
                uint32_t wi = find_write(c, m->key, order[k->aborted]);
                struct sbuf s = note(c, BL_SER_G1A);

                sbf(&s, "aborted read: ");
                put_txn(c, &s, r->txn);
                sbf(&s, " read value %llu of key %llu, appended by aborted ",
                    (unsigned long long)order[k->aborted], (unsigned long long)m->key);
                put_txn(c, &s, c->w[wi].txn);
        }
        if (el > 0) {
                uint32_t wi = find_write(c, m->key, l[el - 1]);

                if (wi != NONE && c->w[wi].txn != r->txn && graph_txn(c, c->w[wi].txn)) {
                        if (!c->w[wi].last) {
                                struct sbuf s = note(c, BL_SER_G1B);

                                sbf(&s, "intermediate read: ");
                                put_txn(c, &s, r->txn);
                                sbf(&s,
                                    " read key %llu ending with %llu, which is not the last "
                                    "append of ",
                                    (unsigned long long)m->key, (unsigned long long)l[el - 1]);
                                put_txn(c, &s, c->w[wi].txn);
                        }
                        rc = add_edge(c, c->w[wi].txn, r->txn, BL_SER_WR);
                        if (rc != 0)
                                return rc;
                }
        }
        if (prefix && el < k->len) {
                uint32_t wi = find_write(c, m->key, order[el]);

                if (wi != NONE && graph_txn(c, c->w[wi].txn))
                        return add_edge(c, r->txn, c->w[wi].txn, BL_SER_RW);
        }
        return 0;
}

/* Reads of one key: c->reads[lo .. hi). */
static int one_key(struct ser_ctx *c, size_t lo, size_t hi, struct keyinfo *k)
{
        const struct rd *longest = &c->reads[lo];
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
                uint32_t wi = find_write(c, k->key, order[i]);

                if (wi == NONE || c->w[wi].pos != i || !graph_txn(c, c->w[wi].txn))
                        continue;
                if (prev != NONE && (rc = add_edge(c, c->w[prev].txn, c->w[wi].txn, BL_SER_WW)))
                        return rc;
                prev = wi;
        }
        for (size_t i = lo; i < hi; i++) {
                const struct rd *r = &c->reads[i];
                const struct bl_mop *m = mop_at(c, r->mop);
                int prefix = m->len == 0 || memcmp(list_of(c, m), order, m->len * 8) == 0;

                c->reads[i].prefix = (uint8_t)prefix;

                if (!prefix) {
                        struct sbuf s = note(c, BL_SER_INCOMPATIBLE);

                        sbf(&s, "key %llu: neither read is a prefix of the other: ",
                            (unsigned long long)k->key);
                        put_txn(c, &s, r->txn);
                        sbf(&s, " and ");
                        put_txn(c, &s, longest->txn);
                        scan_read(c, r, (uint32_t)i, NULL);
                }
                if ((rc = read_edges(c, r, k, prefix)) != 0)
                        return rc;
                if (expired(c))
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
        while (lo < c->nreads && !expired(c)) {
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

static int is_unobserved_writer(const struct ser_ctx *c, const uint32_t *u, size_t nu, uint32_t t)
{
        for (size_t i = 0; i < nu; i++)
                if (c->w[u[i]].txn == t)
                        return 1;
        return 0;
}

/*
 * A committed append that no read saw is not in its key's version order, yet
 * it still orders: a committed read of the key that does not hold the value
 * was serialised before its writer (had the writer come first, the read would
 * hold it). Without this, a read that misses a write completed long before
 * would go unnoticed unless a later read showed the value. Edges go through
 * one virtual node per key (readers -> node -> unobserved writers), so they
 * cost readers + writers, not their product; a reader that is itself one of
 * those writers gets direct edges instead, or it would close a false cycle
 * through the node. Values seen only in reads that are not prefixes of the
 * version order are left out: that history is already anomalous.
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
        while (i < c->nw && rc == 0 && !expired(c)) {
                uint64_t key = idx[i].key;
                size_t j = i, nu = 0;
                uint32_t node;

                for (; j < c->nw && idx[j].key == key; j++) {
                        const struct write *w = &c->w[idx[j].w];

                        if (w->pos == NONE && w->stamp == NONE && c->in_graph[w->txn])
                                u[nu++] = idx[j].w;
                }
                i = j;
                while (ki < c->nkeys && c->keys[ki].key < key)
                        ki++;
                if (nu == 0 || ki == c->nkeys || c->keys[ki].key != key)
                        continue;
                if (c->nodes >= NONE - 1) {
                        rc = BL_ENOMEM;
                        break;
                }
                node = (uint32_t)c->nodes++;
                for (size_t x = 0; x < nu && rc == 0; x++)
                        rc = add_edge(c, node, c->w[u[x]].txn, BL_SER_RW);
                for (size_t r = c->keys[ki].rlo; r < c->keys[ki].rhi && rc == 0; r++) {
                        const struct rd *rd = &c->reads[r];

                        if (c->own[rd->mop] == NONE || !rd->prefix)
                                continue;
                        if (!is_unobserved_writer(c, u, nu, rd->txn)) {
                                rc = add_edge(c, rd->txn, node, BL_SER_RW);
                                continue;
                        }
                        for (size_t x = 0; x < nu && rc == 0; x++)
                                rc = add_edge(c, rd->txn, c->w[u[x]].txn, BL_SER_RW);
                }
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
        for (size_t i = 0; i < nev && rc == 0 && !expired(c); i++) {
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

/* ---- phase 5: graph and cycles ---- */

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
                struct adj *a = &c->adj[c->off[c->e[i].from + 1]++];

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

                        if (expired(c))
                                return -1;
                        if (s->iter[v] < c->off[v + 1]) {
                                const struct adj *a = &c->adj[s->iter[v]++];
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
static void put_edge_why(struct ser_ctx *c, struct sbuf *s, uint32_t u, uint32_t v, int type)
{
        const struct bl_txn *x = txn_at(c, u), *y = txn_at(c, v);
        const struct bl_mop *mu = bl_txn_mops(c->h, u), *mv = bl_txn_mops(c->h, v);

        sbf(s, "T%llu -%s-> T%llu", (unsigned long long)x->id, bl_ser_edge_name(type),
            (unsigned long long)y->id);
        if (type == BL_SER_RT) {
                sbf(s, " (completed at %llu ns, before T%llu was invoked at %llu ns)",
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
                        wi = find_write(c, mv[j].key, list_of(c, &mv[j])[el - 1]);
                        if (wi != NONE && c->w[wi].txn == u) {
                                sbf(s,
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
                const struct keyinfo *k = NULL;
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
                        wi = find_write(c, mu[j].key, mu[j].value);
                        if (wi == NONE || c->w[wi].pos == NONE)
                                continue;
                        at = c->w[wi].pos + 1;
                } else {
                        at = ext_len(c, x->first + j);
                }
                if (at >= k->len)
                        continue;
                wi = find_write(c, k->key, c->h->vals[k->off + at]);
                if (wi == NONE || c->w[wi].txn != v)
                        continue;
                if (type == BL_SER_WW)
                        sbf(s, " (key %llu: T%llu's %llu is followed by T%llu's %llu)",
                            (unsigned long long)k->key, (unsigned long long)x->id,
                            (unsigned long long)mu[j].value, (unsigned long long)y->id,
                            (unsigned long long)c->w[wi].value);
                else
                        sbf(s,
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
                        wi = find_write(c, mv[a].key, mv[a].value);
                        if (wi == NONE || c->w[wi].pos != NONE)
                                continue;
                        sbf(s,
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
                if (expired(c))
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
        struct sbuf s = {c->cycle_text, CYCLE_SIZE, 0};
        size_t keep = n < BL_SER_MAX_CYCLE ? n : BL_SER_MAX_CYCLE;

        if (o->cycle_class >= 0)
                return;
        o->cycle_class = cls;
        o->cycle_len = n;
        for (size_t i = 0; i < keep; i++) {
                o->cycle[i] = c->h->txns[path[i]].id;
                o->cycle_edge[i] = types[i];
        }
        sbf(&s, "%s cycle: ", bl_ser_anomaly_name(cls));
        for (size_t i = 0; i < keep; i++)
                sbf(&s, "T%llu -%s-> ", (unsigned long long)o->cycle[i],
                    bl_ser_edge_name(types[i]));
        if (keep < n)
                sbf(&s, "(%zu more) ", n - keep);
        sbf(&s, "T%llu. Edges: ", (unsigned long long)o->cycle[0]);
        for (size_t i = 0; i < keep; i++) {
                put_edge_why(c, &s, path[i], path[(i + 1) % n], types[i]);
                sbf(&s, "; ");
        }
        sbf(&s, "transactions: ");
        for (size_t i = 0; i < keep; i++) {
                put_txn(c, &s, path[i]);
                sbf(&s, i + 1 < keep ? "; " : ".");
        }
}

/*
 * One level: components of the graph on `mask` edges that contain an edge of
 * type `et`; a shortest cycle through the first such edge of each names the
 * class. Returns 0, BL_ENOMEM, or 1 when the time ran out.
 */
/* Remove the virtual real-time nodes from a cycle: the edge that leaves a
 * transaction towards one is rt, and so is the run it starts, so the types
 * of the remaining positions stay right. Returns the new length. */
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

struct bfs_mem {
        uint32_t *parent, *queue, *path;
        uint8_t *ptype, *types, *done;
};

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
                        if (expired(c))
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

static int cycles(struct ser_ctx *c)
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

/* ---- verdict ---- */

static void conclude(struct ser_ctx *c, int rc)
{
        struct bl_ser_result *o = c->out;
        struct sbuf s = {o->reason, sizeof(o->reason), 0};
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
                        sbf(&s, "inconclusive: out of memory");
                else if (c->expired)
                        sbf(&s, "inconclusive: time limit of %.3g s reached",
                            c->opts->time_limit_s);
                else
                        sbf(&s, "no anomaly in %llu transactions, %llu dependency edges%s",
                            (unsigned long long)o->txns, (unsigned long long)o->edges,
                            c->opts->realtime ? " (real time included)" : "");
                return;
        }
        sbf(&s, "anomalies:");
        for (int a = 0; a < BL_SER__COUNT; a++) {
                if (!(o->found & (1u << a)))
                        continue;
                sbf(&s, " %s x%llu", bl_ser_anomaly_name(a), (unsigned long long)o->count[a]);
                if (first < 0)
                        first = a;
        }
        if (o->inconclusive)
                sbf(&s, " (search incomplete: %s)",
                    rc == BL_ENOMEM ? "out of memory" : "time limit");
        if (first < BL_SER_G0)
                sbf(&s, ". %s: %s", bl_ser_anomaly_name(first), c->example[first]);
        if (o->cycle_class >= 0)
                sbf(&s, ". %s", c->cycle_text);
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
        if (rc == 0 && !expired(c))
                rc = dependencies(c);
        if (rc == 0 && !expired(c))
                rc = unobserved(c);
        if (rc == 0 && !expired(c) && opts->realtime)
                rc = realtime(c);
        out->edges = c->ne;
        if (rc == 0 && !expired(c))
                rc = build_csr(c);
        if (rc == 0 && !expired(c))
                rc = cycles(c);
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
