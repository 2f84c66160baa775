/*
 * Canonical snapshot of the 2PC participant store (see bl_txs_snapshot).
 *
 * Layout, little endian:
 *   header   u32 magic, u32 version, u32 shard, u32 nshards, u32 cc,
 *            u64 initial, u64 digest
 *   cells    u64 n; per key ascending, that differs from a fresh key:
 *            u64 key, u64 register, u64 list length, the list
 *   txns     u64 n; per txn ascending: u64 id, u64 ts, u32 coord, u8 state,
 *            u8 vote, u8 reason, u8 bad, u8 flags, u64 prepare index,
 *            u64 decide index;
 *            live ones add u32 nops, u32 cursor and per op
 *            u8 kind, u64 key, u64 arg, u64 read value, u64 read list length
 *   locks    u64 n; per key with a queue, ascending: u64 key, u32 nheld,
 *            u32 nq, the holders' txn ids ascending, the waiters' in order
 *   log      u64 n, the commit log in order
 *   u64 checksum of everything before
 * Restore builds a new store from the buffer and swaps it in only when the
 * whole buffer checked out, so any error leaves the old state.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "common/wire.h"
#include "store/kv.h" /* bl_shard_of */
#include "store/txn.h"
#include "store/txn_int.h"

#define SNAP_MAGIC   0x58544c42u /* "BLTX" */
#define SNAP_VERSION 1u
#define SNAP_HEADER  (5 * 4 + 8 + 8)
#define SNAP_CELL    24u
#define SNAP_TXN     41u
#define SNAP_LIVE    8u
#define SNAP_OP      33u
#define SNAP_LOCK    16u

static uint64_t checksum(const uint8_t *p, size_t len)
{
        uint64_t h = bl_mix64(len ^ SNAP_MAGIC);

        for (size_t i = 0; i < len; i++)
                h = (i & 7) == 7 ? bl_mix64(h ^ p[i]) : (h ^ p[i]) * 0x100000001b3ULL;
        return bl_mix64(h);
}

/* Sorting index arrays by the key or id they point to. */
struct sort_ctx {
        const struct bl_txs *s;
        int by_txn;
};

static uint64_t sort_key(const struct sort_ctx *x, uint32_t i)
{
        return x->by_txn ? x->s->txns[i].id : x->s->cells[i].key;
}

/* Insertion-then-merge would do; heapsort keeps it allocation-free. */
static void sift(const struct sort_ctx *x, uint32_t *a, size_t root, size_t n)
{
        for (;;) {
                size_t c = 2 * root + 1;
                uint32_t t;

                if (c >= n)
                        return;
                if (c + 1 < n && sort_key(x, a[c + 1]) > sort_key(x, a[c]))
                        c++;
                if (sort_key(x, a[root]) >= sort_key(x, a[c]))
                        return;
                t = a[root];
                a[root] = a[c];
                a[c] = t;
                root = c;
        }
}

static void sort_idx(const struct sort_ctx *x, uint32_t *a, size_t n)
{
        for (size_t i = n / 2; i-- > 0;)
                sift(x, a, i, n);
        for (size_t i = n; i-- > 1;) {
                uint32_t t = a[0];

                a[0] = a[i];
                a[i] = t;
                sift(x, a, 0, i);
        }
}

static int cell_visible(const struct bl_txs *s, const struct cell *c)
{
        return c->reg != s->initial || c->nlist > 0;
}

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

        return (a > b) - (a < b);
}

int bl_txs_snapshot(const struct bl_txs *s, void **buf, size_t *len)
{
        struct sort_ctx cx = {s, 0}, tx = {s, 1};
        uint32_t *cells = NULL, *txns = NULL, *locks = NULL;
        size_t ncells = 0, nlocks = 0, size = SNAP_HEADER + 8 + 8 + 8 + 8 + 8;
        uint64_t *ids = NULL;
        uint32_t maxq = 1;
        struct bl_wbuf w;
        uint8_t *out = NULL;

        *buf = NULL;
        *len = 0;
        cells = bl_malloc((s->ncells + 1) * sizeof(*cells));
        locks = bl_malloc((s->ncells + 1) * sizeof(*locks));
        txns = bl_malloc((s->ntxns + 1) * sizeof(*txns));
        if (cells == NULL || locks == NULL || txns == NULL)
                goto out_nomem;
        for (size_t i = 0; i < s->ncells; i++) {
                const struct cell *c = &s->cells[i];

                if (cell_visible(s, c)) {
                        cells[ncells++] = (uint32_t)i;
                        size += SNAP_CELL + 8 * (size_t)c->nlist;
                }
                if (c->nq > 0) {
                        locks[nlocks++] = (uint32_t)i;
                        size += SNAP_LOCK + 8 * (size_t)c->nq;
                        if (c->nq > maxq)
                                maxq = c->nq;
                }
        }
        for (size_t i = 0; i < s->ntxns; i++) {
                const struct txrec *t = &s->txns[i];

                txns[i] = (uint32_t)i;
                size += SNAP_TXN;
                if (txs_live(t))
                        size += SNAP_LIVE + SNAP_OP * (size_t)t->nops;
        }
        size += 8 * s->nlog;
        ids = bl_malloc(maxq * sizeof(*ids));
        out = bl_malloc(size);
        if (ids == NULL || out == NULL)
                goto out_nomem;
        sort_idx(&cx, cells, ncells);
        sort_idx(&cx, locks, nlocks);
        sort_idx(&tx, txns, s->ntxns);

        bl_wbuf_init(&w, out, size);
        bl_put_u32(&w, SNAP_MAGIC);
        bl_put_u32(&w, SNAP_VERSION);
        bl_put_u32(&w, (uint32_t)s->shard);
        bl_put_u32(&w, (uint32_t)s->nshards);
        bl_put_u32(&w, (uint32_t)s->cc);
        bl_put_u64(&w, s->initial);
        bl_put_u64(&w, s->digest);
        bl_put_u64(&w, ncells);
        for (size_t i = 0; i < ncells; i++) {
                const struct cell *c = &s->cells[cells[i]];

                bl_put_u64(&w, c->key);
                bl_put_u64(&w, c->reg);
                bl_put_u64(&w, c->nlist);
                for (uint32_t j = 0; j < c->nlist; j++)
                        bl_put_u64(&w, c->list[j]);
        }
        bl_put_u64(&w, s->ntxns);
        for (size_t i = 0; i < s->ntxns; i++) {
                const struct txrec *t = &s->txns[txns[i]];

                bl_put_u64(&w, t->id);
                bl_put_u64(&w, t->ts);
                bl_put_u32(&w, t->coord);
                bl_put_u8(&w, t->state);
                bl_put_u8(&w, t->vote);
                bl_put_u8(&w, t->reason);
                bl_put_u8(&w, t->bad);
                bl_put_u8(&w, t->flags);
                bl_put_u64(&w, t->prepare_index);
                bl_put_u64(&w, t->decide_index);
                if (!txs_live(t))
                        continue;
                bl_put_u32(&w, t->nops);
                bl_put_u32(&w, t->cursor);
                for (uint32_t j = 0; j < t->nops; j++) {
                        bl_put_u8(&w, t->ops[j].kind);
                        bl_put_u64(&w, t->ops[j].key);
                        bl_put_u64(&w, t->ops[j].arg);
                        bl_put_u64(&w, t->reads[j].value);
                        bl_put_u64(&w, t->reads[j].list_len);
                }
        }
        bl_put_u64(&w, nlocks);
        for (size_t i = 0; i < nlocks; i++) {
                const struct cell *c = &s->cells[locks[i]];

                bl_put_u64(&w, c->key);
                bl_put_u32(&w, c->nheld);
                bl_put_u32(&w, c->nq);
                /* Holders in any order grant the same; sort them. */
                for (uint32_t j = 0; j < c->nheld; j++)
                        ids[j] = s->txns[c->q[j].t].id;
                qsort(ids, c->nheld, sizeof(*ids), cmp_u64);
                for (uint32_t j = 0; j < c->nheld; j++)
                        bl_put_u64(&w, ids[j]);
                for (uint32_t j = c->nheld; j < c->nq; j++)
                        bl_put_u64(&w, s->txns[c->q[j].t].id);
        }
        bl_put_u64(&w, s->nlog);
        for (size_t i = 0; i < s->nlog; i++)
                bl_put_u64(&w, s->log[i]);
        bl_put_u64(&w, checksum(out, w.len));
        /* The size was computed from the same counts: w.ok holds. */
        bl_free(cells);
        bl_free(locks);
        bl_free(txns);
        bl_free(ids);
        *buf = out;
        *len = w.len;
        return 0;

out_nomem:
        bl_free(cells);
        bl_free(locks);
        bl_free(txns);
        bl_free(ids);
        bl_free(out);
        return BL_ENOMEM;
}

/* ---- restore ---- */

/* A bad snapshot (rc BL_EPROTO) or no memory (BL_ENOMEM). */
#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        return BL_EPROTO;                                                          \
        } while (0)
#define TRY(expr)                                                                                  \
        do {                                                                                       \
                int rc_ = (expr);                                                                  \
                if (rc_ != 0)                                                                      \
                        return rc_;                                                                \
        } while (0)

static int in_shard(const struct bl_txs *n, uint64_t key)
{
        return bl_shard_of(key, n->nshards) == n->shard;
}

static int read_cells(struct bl_txs *n, struct bl_rbuf *r)
{
        uint64_t count = bl_get_u64(r), prev = 0;

        CHECK(r->ok && count <= (r->len - r->off) / SNAP_CELL);
        for (uint64_t i = 0; i < count; i++) {
                uint64_t key = bl_get_u64(r), reg = bl_get_u64(r), nl = bl_get_u64(r);
                struct cell *c;

                CHECK(r->ok && (i == 0 || key > prev) && in_shard(n, key));
                CHECK(nl <= (r->len - r->off) / 8 && nl < TXS_NONE);
                CHECK(reg != n->initial || nl > 0);
                prev = key;
                TRY(txs_cells_reserve(n, n->ncells + 1));
                c = &n->cells[txs_cell_add(n, key)];
                c->reg = reg;
                if (nl > 0 && (c->list = bl_malloc(nl * sizeof(*c->list))) == NULL)
                        return BL_ENOMEM;
                for (uint64_t j = 0; j < nl; j++)
                        c->list[j] = bl_get_u64(r);
                c->nlist = c->caplist = (uint32_t)nl;
        }
        return 0;
}

/* The ops of a live transaction: arrays, keys, cells (created dormant). */
static int read_live(struct bl_txs *n, struct bl_rbuf *r, struct txrec *t)
{
        t->nops = bl_get_u32(r);
        t->cursor = bl_get_u32(r);
        CHECK(r->ok && t->nops <= BL_TXS_MAX_OPS && t->nops <= (r->len - r->off) / SNAP_OP);
        t->ops = bl_malloc((t->nops > 0 ? t->nops : 1) * sizeof(*t->ops));
        t->reads = bl_calloc(t->nops > 0 ? t->nops : 1, sizeof(*t->reads));
        if (t->ops == NULL || t->reads == NULL)
                return BL_ENOMEM;
        for (uint32_t j = 0; j < t->nops; j++) {
                t->ops[j].kind = bl_get_u8(r);
                t->ops[j].key = bl_get_u64(r);
                t->ops[j].arg = bl_get_u64(r);
                t->reads[j].value = bl_get_u64(r);
                t->reads[j].list_len = bl_get_u64(r);
                CHECK(t->ops[j].kind < BL_TXS_OP__COUNT && in_shard(n, t->ops[j].key));
        }
        t->keys = txs_keys_of(t->ops, t->nops, &t->nkeys);
        if (t->keys == NULL)
                return BL_ENOMEM;
        CHECK(t->state == BL_TXS_WAITING ? t->cursor < t->nkeys : t->cursor == t->nkeys);
        for (uint32_t k = 0; k < t->nkeys; k++) {
                uint32_t ci = txs_imap_get(&n->cmap, t->keys[k].key);

                if (ci == TXS_NONE) {
                        TRY(txs_cells_reserve(n, n->ncells + 1));
                        ci = txs_cell_add(n, t->keys[k].key);
                }
                t->keys[k].cell = ci;
                n->cells[ci].refs++;
        }
        return 0;
}

static int read_txns(struct bl_txs *n, struct bl_rbuf *r)
{
        uint64_t count = bl_get_u64(r);

        CHECK(r->ok && count <= (r->len - r->off) / SNAP_TXN);
        for (uint64_t i = 0; i < count; i++) {
                struct txrec *t;
                uint32_t ti;

                TRY(txs_txns_reserve(n, n->ntxns + 1));
                ti = (uint32_t)n->ntxns++;
                t = &n->txns[ti];
                memset(t, 0, sizeof(*t));
                t->next_ready = t->next_gc = TXS_NONE;
                t->id = bl_get_u64(r);
                t->ts = bl_get_u64(r);
                t->coord = bl_get_u32(r);
                t->state = bl_get_u8(r);
                t->vote = bl_get_u8(r);
                t->reason = bl_get_u8(r);
                t->bad = bl_get_u8(r);
                t->flags = bl_get_u8(r);
                t->prepare_index = bl_get_u64(r);
                t->decide_index = bl_get_u64(r);
                CHECK(r->ok && (i == 0 || t->id > n->txns[ti - 1].id));
                CHECK(t->state <= BL_TXS_READ_HELD && t->vote <= BL_TXS_READ_ONLY &&
                      t->reason < BL_TXS_R__COUNT && t->bad <= 1 &&
                      !(t->flags & ~BL_TXS_RELEASE_READS));
                txs_imap_put(&n->tmap, t->id, ti);
                if (txs_live(t))
                        TRY(read_live(n, r, t));
        }
        return 0;
}

/* Position of key in t's keys, or TXS_NONE. */
static uint32_t key_pos(const struct txrec *t, uint64_t key)
{
        for (uint32_t k = 0; k < t->nkeys; k++)
                if (t->keys[k].key == key)
                        return k;
        return TXS_NONE;
}

static int read_locks(struct bl_txs *n, struct bl_rbuf *r, uint64_t *entries)
{
        uint64_t count = bl_get_u64(r), prev = 0;

        CHECK(r->ok && count <= (r->len - r->off) / SNAP_LOCK);
        for (uint64_t i = 0; i < count; i++) {
                uint64_t key = bl_get_u64(r);
                uint32_t nheld = bl_get_u32(r), nq = bl_get_u32(r);
                uint32_t ci = txs_imap_get(&n->cmap, key);
                struct cell *c;

                CHECK(r->ok && (i == 0 || key > prev) && ci != TXS_NONE);
                prev = key;
                c = &n->cells[ci];
                CHECK(nq >= 1 && nheld <= nq && nq <= c->refs && c->nq == 0);
                CHECK(nq <= (r->len - r->off) / 8);
                TRY(txs_q_reserve(c, c->refs));
                for (uint32_t j = 0; j < nq; j++) {
                        uint64_t id = bl_get_u64(r);
                        uint32_t ti = txs_imap_get(&n->tmap, id), k;
                        const struct txrec *t;

                        CHECK(ti != TXS_NONE);
                        t = &n->txns[ti];
                        k = key_pos(t, key);
                        CHECK(txs_live(t) && k != TXS_NONE);
                        /* holders hold it, a waiter waits exactly here */
                        CHECK(j < nheld ? k < t->cursor
                                        : (t->state == BL_TXS_WAITING && k == t->cursor));
                        CHECK(j == 0 || j >= nheld || id > n->txns[c->q[j - 1].t].id);
                        for (uint32_t m = 0; m < j; m++)
                                CHECK(c->q[m].t != ti);
                        CHECK(j == 0 || j >= nheld ||
                              (t->keys[k].mode == MODE_S && c->q[0].mode == MODE_S));
                        c->q[j] = (struct qent){ti, t->keys[k].mode};
                }
                /* only wait-die queues, and a head that could not be granted */
                CHECK(nq == nheld || (n->cc == BL_TXS_WAIT_DIE && nheld > 0 &&
                                      !(c->q[nheld].mode == MODE_S && c->q[0].mode == MODE_S)));
                c->nq = nq;
                c->nheld = nheld;
                *entries += nq;
        }
        return 0;
}

static int read_log(struct bl_txs *n, struct bl_rbuf *r)
{
        uint64_t count = bl_get_u64(r), committed = 0;

        CHECK(r->ok && count <= (r->len - r->off) / 8);
        for (size_t i = 0; i < n->ntxns; i++)
                committed += n->txns[i].state == BL_TXS_COMMITTED;
        CHECK(count == committed);
        if (count > 0) {
                n->log = bl_malloc(count * sizeof(*n->log));
                if (n->log == NULL)
                        return BL_ENOMEM;
                n->caplog = count;
        }
        for (uint64_t i = 0; i < count; i++) {
                uint64_t id = bl_get_u64(r);
                uint32_t ti = txs_imap_get(&n->tmap, id);

                /* in_gc serves as a "seen" mark here: no duplicates */
                CHECK(ti != TXS_NONE && n->txns[ti].state == BL_TXS_COMMITTED &&
                      !n->txns[ti].in_gc);
                n->txns[ti].in_gc = 1;
                n->log[n->nlog++] = id;
        }
        for (size_t i = 0; i < n->ntxns; i++)
                n->txns[i].in_gc = 0;
        return 0;
}

/* Counters that follow from the table. */
static void recount(struct bl_txs *n)
{
        memset(&n->st, 0, sizeof(n->st));
        for (size_t i = 0; i < n->ntxns; i++) {
                const struct txrec *t = &n->txns[i];

                n->st.waiting += t->state == BL_TXS_WAITING;
                n->st.in_doubt += t->state == BL_TXS_PREPARED;
                n->st.committed += t->state == BL_TXS_COMMITTED;
                n->st.aborted += t->state == BL_TXS_ABORTED;
                n->st.read_only += t->state == BL_TXS_READ_DONE;
                n->st.read_held += t->state == BL_TXS_READ_HELD;
                if (t->vote == BL_TXS_NO)
                        n->st.no_votes[t->reason]++;
        }
}

static int parse(struct bl_txs *n, const uint8_t *p, size_t len)
{
        uint64_t entries = 0, want = 0;
        struct bl_rbuf r;

        CHECK(p != NULL && len >= SNAP_HEADER + 5 * 8);
        bl_rbuf_init(&r, p + len - 8, 8);
        CHECK(bl_get_u64(&r) == checksum(p, len - 8));
        bl_rbuf_init(&r, p, len - 8);
        CHECK(bl_get_u32(&r) == SNAP_MAGIC && bl_get_u32(&r) == SNAP_VERSION);
        CHECK(bl_get_u32(&r) == (uint32_t)n->shard && bl_get_u32(&r) == (uint32_t)n->nshards);
        CHECK(bl_get_u32(&r) == (uint32_t)n->cc && bl_get_u64(&r) == n->initial);
        n->digest = bl_get_u64(&r);
        TRY(read_cells(n, &r));
        TRY(read_txns(n, &r));
        TRY(read_locks(n, &r, &entries));
        for (size_t i = 0; i < n->ntxns; i++) {
                const struct txrec *t = &n->txns[i];

                if (txs_live(t))
                        want += t->cursor + (t->state == BL_TXS_WAITING);
        }
        CHECK(entries == want);
        for (size_t i = 0; i < n->ncells; i++)
                if (n->cells[i].refs > 0 && n->cells[i].q == NULL)
                        TRY(txs_q_reserve(&n->cells[i], n->cells[i].refs));
        TRY(read_log(n, &r));
        CHECK(bl_rbuf_done(&r));
        recount(n);
        return 0;
}

int bl_txs_restore(struct bl_txs *s, const void *buf, size_t len)
{
        struct bl_txs *n = bl_txs_create(s->shard, s->nshards, s->cc, s->initial), tmp;
        int rc;

        if (n == NULL)
                return BL_ENOMEM;
        rc = parse(n, buf, len);
        if (rc == 0) {
                tmp = *s;
                *s = *n;
                *n = tmp;
        }
        bl_txs_destroy(n);
        return rc;
}
