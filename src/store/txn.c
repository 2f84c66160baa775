/*
 * The 2PC participant store: tables, two-phase locking, PREPARE and DECIDE
 * (see txn.h for the design; the snapshot is in txn_snap.c, the command
 * encoding in txn_cmd.c).
 *
 * Every key touched by a PREPARE gets a cell holding its register, its list
 * and its lock queue. Cells and transaction records live in arrays that only
 * grow, indexed by two maps; queues link them by index, so growing an array
 * never invalidates a link. The queue of a key can never hold more entries
 * than the live transactions naming the key (refs): PREPARE reserves that
 * room, so releasing locks and granting waiters, which may cascade through
 * many transactions, never allocates. Released cells go on a FIFO "dirty"
 * list, and the grant loop drains it: the order of grants, hence of votes,
 * is a function of the command sequence alone.
 *
 * A finished transaction's ops and reads are freed at the next call that
 * changes the store (the "gc" list), so the vote just returned stays valid
 * until then; a vote waiting in the ready queue keeps them until popped.
 */
#include "store/txn.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/kv.h" /* bl_shard_of */
#include "store/txn_int.h"

#define MAP_MIN_CAP 16
#define HOME_SALT   0x2545f4914f6cdd1dULL

/* Digest tags: each kind of state change folds its own. */
enum { F_ADMIT = 1, F_VOTE, F_WRITE, F_APPEND, F_DECIDE, F_PRESUMED, F_GRANT };

static const char *const reason_names[] = {
#define BL_TXS_REASON_STR(code, name) name,
    BL_TXS_REASONS(BL_TXS_REASON_STR)
#undef BL_TXS_REASON_STR
};

const char *bl_txs_reason_name(int reason)
{
        if (reason < 0 || reason >= BL_TXS_R__COUNT)
                return "?";
        return reason_names[reason];
}

const char *bl_txs_vote_name(int vote)
{
        static const char *const names[] = {"pending", "yes", "no", "read-only"};

        if (vote < 0 || vote > BL_TXS_READ_ONLY)
                return "?";
        return names[vote];
}

/* ---- index map ---- */

static size_t imap_home(const struct imap *m, uint64_t key)
{
        return (size_t)(bl_mix64(key ^ HOME_SALT) >> m->shift);
}

void txs_imap_free(struct imap *m)
{
        bl_free(m->keys);
        bl_free(m->vals);
        memset(m, 0, sizeof(*m));
}

uint32_t txs_imap_get(const struct imap *m, uint64_t key)
{
        if (m->cap == 0)
                return TXS_NONE;
        for (size_t i = imap_home(m, key);; i = (i + 1) & (m->cap - 1)) {
                if (m->vals[i] == TXS_NONE)
                        return TXS_NONE;
                if (m->keys[i] == key)
                        return m->vals[i];
        }
}

static void imap_insert(struct imap *m, uint64_t key, uint32_t val)
{
        size_t i = imap_home(m, key);

        while (m->vals[i] != TXS_NONE)
                i = (i + 1) & (m->cap - 1);
        m->keys[i] = key;
        m->vals[i] = val;
        m->n++;
}

/* Room for n entries. Returns 0 or BL_ENOMEM (m unchanged). */
int txs_imap_reserve(struct imap *m, size_t n)
{
        struct imap nm = {0};
        size_t cap = m->cap > 0 ? m->cap : MAP_MIN_CAP;
        int bits = 0;

        while (n > cap - cap / 4)
                cap *= 2;
        if (cap == m->cap)
                return 0;
        while (((size_t)1 << bits) < cap)
                bits++;
        nm.keys = bl_malloc(cap * sizeof(*nm.keys));
        nm.vals = bl_malloc(cap * sizeof(*nm.vals));
        if (nm.keys == NULL || nm.vals == NULL) {
                bl_free(nm.keys);
                bl_free(nm.vals);
                return BL_ENOMEM;
        }
        memset(nm.vals, 0xff, cap * sizeof(*nm.vals));
        nm.cap = cap;
        nm.shift = 64 - bits;
        for (size_t i = 0; i < m->cap; i++)
                if (m->vals[i] != TXS_NONE)
                        imap_insert(&nm, m->keys[i], m->vals[i]);
        txs_imap_free(m);
        *m = nm;
        return 0;
}

void txs_imap_put(struct imap *m, uint64_t key, uint32_t val)
{
        imap_insert(m, key, val);
}

/* ---- arrays ---- */

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
        size_t nc = *cap > 0 ? *cap : 8;
        void *q;

        if (n <= *cap)
                return 0;
        if (n >= TXS_NONE)
                return BL_ENOMEM; /* indexes are 32-bit */
        while (nc < n)
                nc *= 2;
        q = bl_realloc(*p, nc * size);
        if (q == NULL)
                return BL_ENOMEM;
        *p = q;
        *cap = nc;
        return 0;
}

int txs_cells_reserve(struct bl_txs *s, size_t n)
{
        int rc = txs_imap_reserve(&s->cmap, n);

        return rc != 0 ? rc : grow((void **)&s->cells, &s->capcells, n, sizeof(*s->cells));
}

int txs_txns_reserve(struct bl_txs *s, size_t n)
{
        int rc = txs_imap_reserve(&s->tmap, n);

        return rc != 0 ? rc : grow((void **)&s->txns, &s->captxns, n, sizeof(*s->txns));
}

uint32_t txs_cell_add(struct bl_txs *s, uint64_t key)
{
        uint32_t ci = (uint32_t)s->ncells++;
        struct cell *c = &s->cells[ci];

        memset(c, 0, sizeof(*c));
        c->key = key;
        c->reg = s->initial;
        c->next_dirty = TXS_NONE;
        txs_imap_put(&s->cmap, key, ci);
        return ci;
}

int txs_q_reserve(struct cell *c, uint32_t n)
{
        size_t cap = c->capq;
        int rc = grow((void **)&c->q, &cap, n, sizeof(*c->q));

        c->capq = (uint32_t)cap;
        return rc;
}

uint64_t txs_fold(uint64_t digest, uint64_t tag, uint64_t a, uint64_t b)
{
        uint64_t h = bl_mix64(a ^ (tag << 56));

        h = bl_mix64(h ^ b);
        return bl_mix64(digest ^ h);
}

void txs_free_arrays(struct txrec *t)
{
        bl_free(t->ops);
        bl_free(t->reads);
        bl_free(t->keys);
        t->ops = NULL;
        t->reads = NULL;
        t->keys = NULL;
}

static int cmp_tkey(const void *x, const void *y)
{
        const struct tkey *a = x, *b = y;

        return (a->key > b->key) - (a->key < b->key);
}

struct tkey *txs_keys_of(const struct bl_txs_op *ops, uint32_t nops, uint32_t *nkeys)
{
        struct tkey *k = bl_malloc((nops > 0 ? nops : 1) * sizeof(*k));
        uint32_t n = 0;

        if (k == NULL)
                return NULL;
        for (uint32_t i = 0; i < nops; i++)
                k[i] = (struct tkey){ops[i].key, TXS_NONE,
                                     ops[i].kind == BL_TXS_READ ? MODE_S : MODE_X};
        qsort(k, nops, sizeof(*k), cmp_tkey);
        for (uint32_t i = 0; i < nops; i++) {
                if (n > 0 && k[n - 1].key == k[i].key) {
                        if (k[i].mode == MODE_X)
                                k[n - 1].mode = MODE_X;
                        continue;
                }
                k[n++] = k[i];
        }
        *nkeys = n;
        return k;
}

/* ---- create ---- */

struct bl_txs *bl_txs_create(int shard, int nshards, int cc, uint64_t initial)
{
        struct bl_txs *s;

        if (nshards <= 0)
                nshards = 1;
        if (shard < 0 || shard >= nshards || (cc != BL_TXS_NO_WAIT && cc != BL_TXS_WAIT_DIE))
                return NULL;
        s = bl_calloc(1, sizeof(*s));
        if (s == NULL)
                return NULL;
        s->shard = shard;
        s->nshards = nshards;
        s->cc = cc;
        s->initial = initial;
        s->dirty_head = s->dirty_tail = TXS_NONE;
        s->ready_head = s->ready_tail = TXS_NONE;
        s->gc_head = TXS_NONE;
        return s;
}

void bl_txs_destroy(struct bl_txs *s)
{
        if (s == NULL)
                return;
        for (size_t i = 0; i < s->ncells; i++) {
                bl_free(s->cells[i].list);
                bl_free(s->cells[i].q);
        }
        for (size_t i = 0; i < s->ntxns; i++)
                txs_free_arrays(&s->txns[i]);
        bl_free(s->cells);
        bl_free(s->txns);
        bl_free(s->log);
        txs_imap_free(&s->cmap);
        txs_imap_free(&s->tmap);
        bl_free(s);
}

/* ---- bookkeeping lists (not state) ---- */

static void gc_run(struct bl_txs *s)
{
        while (s->gc_head != TXS_NONE) {
                struct txrec *t = &s->txns[s->gc_head];

                s->gc_head = t->next_gc;
                t->in_gc = 0;
                if (!t->in_ready) /* else freed once popped */
                        txs_free_arrays(t);
        }
}

/* A finished transaction's arrays go at the next change (or once popped). */
static void gc_push(struct bl_txs *s, uint32_t ti)
{
        struct txrec *t = &s->txns[ti];

        if (t->in_gc || t->in_ready || txs_live(t) || t->ops == NULL)
                return;
        t->in_gc = 1;
        t->next_gc = s->gc_head;
        s->gc_head = ti;
}

static void ready_push(struct bl_txs *s, uint32_t ti)
{
        struct txrec *t = &s->txns[ti];

        if (t->in_ready)
                return;
        t->in_ready = 1;
        t->next_ready = TXS_NONE;
        if (s->ready_tail == TXS_NONE)
                s->ready_head = ti;
        else
                s->txns[s->ready_tail].next_ready = ti;
        s->ready_tail = ti;
}

static void dirty_push(struct bl_txs *s, uint32_t ci)
{
        struct cell *c = &s->cells[ci];

        if (c->dirty)
                return;
        c->dirty = 1;
        c->next_dirty = TXS_NONE;
        if (s->dirty_tail == TXS_NONE)
                s->dirty_head = ci;
        else
                s->cells[s->dirty_tail].next_dirty = ci;
        s->dirty_tail = ci;
}

/* ---- locks ---- */

/* (ts, id) order: the smaller is older. */
static int older(const struct txrec *a, const struct txrec *b)
{
        return a->ts < b->ts || (a->ts == b->ts && a->id < b->id);
}

static int compatible(const struct cell *c, uint8_t mode)
{
        return c->nheld == 0 || (mode == MODE_S && c->q[0].mode == MODE_S);
}

/* Wait-die: t may wait only if older than everybody queued on c. */
static int may_wait(const struct bl_txs *s, const struct cell *c, const struct txrec *t)
{
        for (uint32_t i = 0; i < c->nq; i++)
                if (!older(t, &s->txns[c->q[i].t]))
                        return 0;
        return 1;
}

/* The lock on t->keys[t->cursor] was just granted: take the reads of the
 * ops on that key, in op order, as the earlier ops leave the register. */
static void take_reads(struct bl_txs *s, struct txrec *t)
{
        const struct tkey *k = &t->keys[t->cursor];
        const struct cell *c = &s->cells[k->cell];
        uint64_t r = c->reg;

        for (uint32_t i = 0; i < t->nops; i++) {
                const struct bl_txs_op *op = &t->ops[i];

                if (op->key != k->key)
                        continue;
                switch (op->kind) {
                case BL_TXS_READ:
                        t->reads[i].value = r;
                        t->reads[i].list_len = c->nlist;
                        break;
                case BL_TXS_WRITE:
                        r = op->arg;
                        break;
                case BL_TXS_ADD:
                        r += op->arg;
                        if ((int64_t)r < 0)
                                t->bad = 1;
                        break;
                default:
                        break;
                }
        }
        t->cursor++;
}

/* Drop t from every queue it is in and from the refs of its keys. */
static void release_all(struct bl_txs *s, uint32_t ti)
{
        struct txrec *t = &s->txns[ti];

        for (uint32_t k = 0; k < t->nkeys; k++) {
                uint32_t ci = t->keys[k].cell;
                struct cell *c = &s->cells[ci];

                for (uint32_t i = 0; i < c->nq; i++) {
                        if (c->q[i].t != ti)
                                continue;
                        memmove(&c->q[i], &c->q[i + 1], (c->nq - i - 1) * sizeof(*c->q));
                        c->nq--;
                        if (i < c->nheld)
                                c->nheld--;
                        dirty_push(s, ci);
                        break;
                }
                if (--c->refs == 0) {
                        bl_free(c->q);
                        c->q = NULL;
                        c->capq = 0;
                }
        }
}

static void set_vote(struct bl_txs *s, struct txrec *t, int vote, int reason, uint64_t now)
{
        t->vote = (uint8_t)vote;
        t->reason = (uint8_t)reason;
        t->vote_ns = now;
        s->digest = txs_fold(s->digest, F_VOTE, t->id, (uint64_t)vote << 8 | (uint64_t)reason);
        if (vote == BL_TXS_NO)
                s->st.no_votes[reason]++;
}

/* t leaves the live set with `state`. */
static void finish(struct bl_txs *s, uint32_t ti, int state)
{
        struct txrec *t = &s->txns[ti];

        if (t->state == BL_TXS_WAITING)
                s->st.waiting--;
        else if (t->state == BL_TXS_PREPARED)
                s->st.in_doubt--;
        else if (t->state == BL_TXS_READ_HELD)
                s->st.read_held--;
        release_all(s, ti);
        t->state = (uint8_t)state;
        if (state == BL_TXS_COMMITTED)
                s->st.committed++;
        else if (state == BL_TXS_ABORTED)
                s->st.aborted++;
        else if (state == BL_TXS_READ_DONE)
                s->st.read_only++;
        gc_push(s, ti);
}

/*
 * Go on acquiring t's locks from its cursor: grant, wait or die, then vote
 * once all are held. Returns 1 when the vote became known. Never allocates
 * (the queues have room for every live transaction naming their key).
 */
static int acquire(struct bl_txs *s, uint32_t ti, uint64_t now)
{
        struct txrec *t = &s->txns[ti];
        int writes = 0;

        while (t->cursor < t->nkeys) {
                struct tkey *k = &t->keys[t->cursor];
                struct cell *c = &s->cells[k->cell];

                if (c->nq == c->nheld && compatible(c, k->mode)) {
                        memmove(&c->q[c->nheld + 1], &c->q[c->nheld],
                                (c->nq - c->nheld) * sizeof(*c->q));
                        c->q[c->nheld++] = (struct qent){ti, k->mode};
                        c->nq++;
                        s->digest = txs_fold(s->digest, F_GRANT, t->id, k->key);
                        take_reads(s, t);
                        continue;
                }
                if (s->cc == BL_TXS_WAIT_DIE && may_wait(s, c, t)) {
                        c->q[c->nq++] = (struct qent){ti, k->mode};
                        return 0; /* still WAITING, as admitted */
                }
                set_vote(s, t, BL_TXS_NO, BL_TXS_R_LOCK, now);
                finish(s, ti, BL_TXS_ABORTED);
                return 1;
        }
        for (uint32_t k = 0; k < t->nkeys; k++)
                writes |= t->keys[k].mode == MODE_X;
        if (t->bad) {
                set_vote(s, t, BL_TXS_NO, BL_TXS_R_CONSTRAINT, now);
                finish(s, ti, BL_TXS_ABORTED);
        } else if (!writes && (t->flags & BL_TXS_RELEASE_READS)) {
                set_vote(s, t, BL_TXS_READ_ONLY, BL_TXS_R_NONE, now);
                finish(s, ti, BL_TXS_READ_DONE);
        } else if (!writes) {
                set_vote(s, t, BL_TXS_READ_ONLY, BL_TXS_R_NONE, now);
                s->st.waiting--;
                t->state = BL_TXS_READ_HELD;
                s->st.read_held++;
        } else {
                set_vote(s, t, BL_TXS_YES, BL_TXS_R_NONE, now);
                s->st.waiting--;
                t->state = BL_TXS_PREPARED;
                s->st.in_doubt++;
        }
        return 1;
}

/* Grant the heads of released queues, FIFO over the released cells, and let
 * granted transactions go on; their votes go to the ready queue. */
static void grant_loop(struct bl_txs *s, uint64_t now)
{
        while (s->dirty_head != TXS_NONE) {
                uint32_t ci = s->dirty_head;
                struct cell *c = &s->cells[ci];

                s->dirty_head = c->next_dirty;
                if (s->dirty_head == TXS_NONE)
                        s->dirty_tail = TXS_NONE;
                c->dirty = 0;
                while (c->nq > c->nheld && compatible(c, c->q[c->nheld].mode)) {
                        uint32_t ti = c->q[c->nheld].t;
                        struct txrec *t = &s->txns[ti];

                        c->nheld++;
                        s->digest = txs_fold(s->digest, F_GRANT, t->id, c->key);
                        take_reads(s, t);
                        if (acquire(s, ti, now))
                                ready_push(s, ti);
                        c = &s->cells[ci];
                }
        }
}

/* ---- votes ---- */

static void fill_vote(const struct txrec *t, struct bl_txs_vote_msg *out)
{
        memset(out, 0, sizeof(*out));
        out->txn = t->id;
        out->coord = t->coord;
        switch (t->state) {
        case BL_TXS_WAITING:
                out->vote = BL_TXS_PENDING;
                return;
        case BL_TXS_ABORTED:
                out->vote = BL_TXS_NO;
                out->reason = t->vote == BL_TXS_NO ? t->reason : BL_TXS_R_ABORTED;
                return;
        case BL_TXS_COMMITTED:
        case BL_TXS_PREPARED:
                out->vote = BL_TXS_YES;
                break;
        default:
                out->vote = BL_TXS_READ_ONLY;
                break;
        }
        if (t->reads != NULL) {
                out->nreads = t->nops;
                out->reads = t->reads;
        }
}

int bl_txs_next_vote(struct bl_txs *s, struct bl_txs_vote_msg *out)
{
        while (s->ready_head != TXS_NONE) {
                uint32_t ti = s->ready_head;
                struct txrec *t = &s->txns[ti];

                s->ready_head = t->next_ready;
                if (s->ready_head == TXS_NONE)
                        s->ready_tail = TXS_NONE;
                t->in_ready = 0;
                /* aborted by a DECIDE while queued: nobody waits for it */
                if (t->state == BL_TXS_ABORTED && t->vote != BL_TXS_NO) {
                        gc_push(s, ti);
                        continue;
                }
                fill_vote(t, out);
                gc_push(s, ti);
                return 1;
        }
        return 0;
}

/* ---- PREPARE ---- */

static int check_ops(const struct bl_txs *s, const struct bl_txs_op *ops, uint32_t nops)
{
        if (nops > BL_TXS_MAX_OPS || (nops > 0 && ops == NULL))
                return BL_EINVAL;
        for (uint32_t i = 0; i < nops; i++)
                if (ops[i].kind >= BL_TXS_OP__COUNT ||
                    bl_shard_of(ops[i].key, s->nshards) != s->shard)
                        return BL_EINVAL;
        return 0;
}

/* Everything admitting t needs: record, cells, queue room. Nothing visible
 * changes (new cells are dormant). Returns 0 or BL_ENOMEM. */
static int reserve_admit(struct bl_txs *s, struct tkey *keys, uint32_t nkeys)
{
        size_t fresh = 0;
        int rc;

        if ((rc = txs_txns_reserve(s, s->ntxns + 1)) != 0)
                return rc;
        for (uint32_t k = 0; k < nkeys; k++)
                fresh += txs_imap_get(&s->cmap, keys[k].key) == TXS_NONE;
        if ((rc = txs_cells_reserve(s, s->ncells + fresh)) != 0)
                return rc;
        for (uint32_t k = 0; k < nkeys; k++) {
                uint32_t ci = txs_imap_get(&s->cmap, keys[k].key);

                if (ci == TXS_NONE)
                        ci = txs_cell_add(s, keys[k].key);
                keys[k].cell = ci;
                if ((rc = txs_q_reserve(&s->cells[ci], s->cells[ci].refs + 1)) != 0)
                        return rc;
        }
        return 0;
}

int bl_txs_prepare(struct bl_txs *s, uint64_t txn, uint64_t ts, uint32_t coord, unsigned flags,
                   const struct bl_txs_op *ops, uint32_t nops, uint64_t index, uint64_t now,
                   struct bl_txs_vote_msg *out)
{
        struct bl_txs_op *cops = NULL;
        struct bl_txs_read *reads = NULL;
        struct tkey *keys = NULL;
        struct txrec *t;
        uint32_t ti, nkeys = 0;
        int rc;

        memset(out, 0, sizeof(*out));
        out->txn = txn;
        out->coord = coord;
        gc_run(s);
        ti = txs_imap_get(&s->tmap, txn);
        if (ti != TXS_NONE) { /* a duplicate, or decided before it came */
                fill_vote(&s->txns[ti], out);
                return 0;
        }
        if ((rc = check_ops(s, ops, nops)) != 0)
                return rc;
        if (flags & ~BL_TXS_RELEASE_READS)
                return BL_EINVAL;
        cops = bl_malloc((nops > 0 ? nops : 1) * sizeof(*cops));
        reads = bl_calloc(nops > 0 ? nops : 1, sizeof(*reads));
        if (cops != NULL && reads != NULL)
                keys = txs_keys_of(ops, nops, &nkeys);
        if (keys == NULL || (rc = reserve_admit(s, keys, nkeys)) != 0) {
                bl_free(cops);
                bl_free(reads);
                bl_free(keys);
                return BL_ENOMEM;
        }
        if (nops > 0)
                memcpy(cops, ops, nops * sizeof(*cops));

        /* Nothing below allocates or fails. */
        ti = (uint32_t)s->ntxns++;
        t = &s->txns[ti];
        memset(t, 0, sizeof(*t));
        t->id = txn;
        t->ts = ts;
        t->coord = coord;
        t->flags = (uint8_t)flags;
        t->state = BL_TXS_WAITING;
        t->nops = nops;
        t->nkeys = nkeys;
        t->ops = cops;
        t->reads = reads;
        t->keys = keys;
        t->prepare_index = index;
        t->prepare_ns = now;
        t->next_ready = t->next_gc = TXS_NONE;
        s->st.waiting++;
        txs_imap_put(&s->tmap, txn, ti);
        for (uint32_t k = 0; k < nkeys; k++)
                s->cells[keys[k].cell].refs++;
        s->digest = txs_fold(s->digest, F_ADMIT, txn, ts);
        s->digest = txs_fold(s->digest, F_ADMIT, (uint64_t)flags << 32 | coord, index);
        acquire(s, ti, now);
        grant_loop(s, now);
        fill_vote(&s->txns[ti], out);
        return 0;
}

/* ---- DECIDE ---- */

/* Room for t's appends and its commit log entry. Returns 0 or BL_ENOMEM. */
static int reserve_commit(struct bl_txs *s, const struct txrec *t)
{
        int rc = grow((void **)&s->log, &s->caplog, s->nlog + 1, sizeof(*s->log));

        for (uint32_t k = 0; rc == 0 && k < t->nkeys; k++) {
                struct cell *c = &s->cells[t->keys[k].cell];
                size_t cap = c->caplist, n = c->nlist;

                for (uint32_t i = 0; i < t->nops; i++)
                        n += t->ops[i].key == c->key && t->ops[i].kind == BL_TXS_APPEND;
                rc = grow((void **)&c->list, &cap, n, sizeof(*c->list));
                c->caplist = (uint32_t)cap;
        }
        return rc;
}

static void apply_writes(struct bl_txs *s, const struct txrec *t)
{
        for (uint32_t i = 0; i < t->nops; i++) {
                const struct bl_txs_op *op = &t->ops[i];
                struct cell *c = &s->cells[txs_imap_get(&s->cmap, op->key)];

                switch (op->kind) {
                case BL_TXS_WRITE:
                        c->reg = op->arg;
                        s->digest = txs_fold(s->digest, F_WRITE, op->key, c->reg);
                        break;
                case BL_TXS_ADD:
                        c->reg += op->arg;
                        s->digest = txs_fold(s->digest, F_WRITE, op->key, c->reg);
                        break;
                case BL_TXS_APPEND:
                        c->list[c->nlist++] = op->arg;
                        s->digest = txs_fold(s->digest, F_APPEND, op->key, op->arg);
                        break;
                default:
                        break;
                }
        }
}

static void record_decision(struct bl_txs *s, struct txrec *t, int commit, uint64_t index,
                            uint64_t now)
{
        t->decide_index = index;
        t->decide_ns = now;
        s->digest = txs_fold(s->digest, F_DECIDE, t->id, (uint64_t)commit << 32 | index);
}

/* A decision for a transaction never prepared here: remember the abort. */
static int presume_abort(struct bl_txs *s, uint64_t txn, uint64_t index, uint64_t now)
{
        struct txrec *t;
        uint32_t ti;
        int rc;

        if ((rc = txs_txns_reserve(s, s->ntxns + 1)) != 0)
                return rc;
        ti = (uint32_t)s->ntxns++;
        t = &s->txns[ti];
        memset(t, 0, sizeof(*t));
        t->id = txn;
        t->state = BL_TXS_ABORTED;
        t->vote = BL_TXS_NO;
        t->reason = BL_TXS_R_ABORTED;
        t->next_ready = t->next_gc = TXS_NONE;
        txs_imap_put(&s->tmap, txn, ti);
        s->st.aborted++;
        s->digest = txs_fold(s->digest, F_PRESUMED, txn, 0);
        record_decision(s, t, 0, index, now);
        return 0;
}

/* The blocking window of a prepared transaction now decided; one whose
 * vote time was lost in a restore (0) is not counted. */
static void note_blocked(struct bl_txs *s, const struct txrec *t, uint64_t now)
{
        uint64_t w = now > t->vote_ns ? now - t->vote_ns : 0;

        if (t->vote_ns == 0)
                return;
        s->st.blocked_n++;
        s->st.blocked_sum_ns += w;
        if (w > s->st.blocked_max_ns)
                s->st.blocked_max_ns = w;
}

int bl_txs_decide(struct bl_txs *s, uint64_t txn, int commit, uint64_t index, uint64_t now)
{
        struct txrec *t;
        uint32_t ti;
        int rc;

        gc_run(s);
        ti = txs_imap_get(&s->tmap, txn);
        if (ti == TXS_NONE)
                return commit ? BL_EINVAL : presume_abort(s, txn, index, now);
        t = &s->txns[ti];
        if (commit) {
                if (t->state == BL_TXS_COMMITTED || t->state == BL_TXS_READ_DONE)
                        return 0;
                if (t->state == BL_TXS_READ_HELD) { /* nothing to write */
                        record_decision(s, t, 1, index, now);
                        finish(s, ti, BL_TXS_READ_DONE);
                        grant_loop(s, now);
                        return 0;
                }
                if (t->state != BL_TXS_PREPARED)
                        return BL_EINVAL;
                if ((rc = reserve_commit(s, t)) != 0)
                        return rc;
                apply_writes(s, t);
                s->log[s->nlog++] = t->id;
                note_blocked(s, t, now);
                record_decision(s, t, 1, index, now);
                finish(s, ti, BL_TXS_COMMITTED);
                grant_loop(s, now);
                return 0;
        }
        if (t->state == BL_TXS_COMMITTED)
                return BL_EINVAL;
        if (!txs_live(t))
                return 0;
        if (t->state == BL_TXS_PREPARED)
                note_blocked(s, t, now);
        else if (t->state == BL_TXS_WAITING)
                set_vote(s, t, BL_TXS_NO, BL_TXS_R_ABORTED, now);
        record_decision(s, t, 0, index, now);
        finish(s, ti, BL_TXS_ABORTED);
        grant_loop(s, now);
        return 0;
}

/* ---- queries ---- */

int bl_txs_info(const struct bl_txs *s, uint64_t txn, struct bl_txs_info *info)
{
        uint32_t ti = txs_imap_get(&s->tmap, txn);
        const struct txrec *t;

        if (ti == TXS_NONE)
                return BL_ENOTFOUND;
        t = &s->txns[ti];
        *info = (struct bl_txs_info){
            .state = t->state,
            .vote = t->vote,
            .reason = t->reason,
            .ts = t->ts,
            .coord = t->coord,
            .prepare_index = t->prepare_index,
            .decide_index = t->decide_index,
            .prepare_ns = t->prepare_ns,
            .vote_ns = t->vote_ns,
            .decide_ns = t->decide_ns,
        };
        return 0;
}

void bl_txs_stats(const struct bl_txs *s, struct bl_txs_stats *st)
{
        *st = s->st;
}

size_t bl_txs_commit_log(const struct bl_txs *s, const uint64_t **ids)
{
        *ids = s->log;
        return s->nlog;
}

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

        return (a > b) - (a < b);
}

/* The txns whose state is in mask (bit per enum bl_txs_state), ascending. */
static size_t list_states(const struct bl_txs *s, unsigned mask, uint64_t *ids, size_t cap)
{
        size_t n = 0;

        for (size_t i = 0; i < s->ntxns; i++) {
                uint64_t id = s->txns[i].id;
                size_t max = 0;

                if (!(mask & (1u << s->txns[i].state)))
                        continue;
                if (n++ < cap) {
                        ids[n - 1] = id;
                        continue;
                }
                /* full: keep the cap smallest (callers pass cap >= n normally) */
                for (size_t j = 1; j < cap; j++)
                        if (ids[j] > ids[max])
                                max = j;
                if (cap > 0 && id < ids[max])
                        ids[max] = id;
        }
        if (ids != NULL)
                qsort(ids, n < cap ? n : cap, sizeof(*ids), cmp_u64);
        return n;
}

size_t bl_txs_in_doubt(const struct bl_txs *s, uint64_t *ids, size_t cap)
{
        return list_states(s, 1u << BL_TXS_PREPARED, ids, cap);
}

size_t bl_txs_open(const struct bl_txs *s, uint64_t *ids, size_t cap)
{
        return list_states(s, 1u << BL_TXS_PREPARED | 1u << BL_TXS_READ_HELD, ids, cap);
}

uint64_t bl_txs_value(const struct bl_txs *s, uint64_t key)
{
        uint32_t ci = txs_imap_get(&s->cmap, key);

        return ci == TXS_NONE ? s->initial : s->cells[ci].reg;
}

size_t bl_txs_list(const struct bl_txs *s, uint64_t key, const uint64_t **list)
{
        uint32_t ci = txs_imap_get(&s->cmap, key);

        *list = NULL;
        if (ci == TXS_NONE || s->cells[ci].nlist == 0)
                return 0;
        *list = s->cells[ci].list;
        return s->cells[ci].nlist;
}

uint64_t bl_txs_digest(const struct bl_txs *s)
{
        return s->digest;
}
