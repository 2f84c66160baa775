/*
 * Linearizability checking of a key-value history, one key at a time.
 *
 * Algorithm: Wing & Gong's search as refined by Lowe ("Testing for
 * linearizability", 2017) and used by Porcupine, applied per key
 * (P-compositionality, Horn & Kroening 2015). Each key's operations become a
 * doubly linked list of call and return events in time order (a call sorts
 * before a return at the same instant, so touching intervals count as
 * concurrent). The search walks the list from its head: a call whose
 * operation is legal in the current register state is linearized, i.e. it and
 * its return are lifted out of the list, and the walk restarts from the head;
 * reaching a return event means the operation it closes can no longer be
 * placed, so the search backtracks (unlifts the last linearized call and tries
 * the next one). A memo of (set of linearized operations, register state)
 * prunes configurations already explored: every memoised configuration that
 * is no longer on the stack is known to be a dead end.
 *
 * Additions to the textbook search:
 *  - Compact memo keys. Operations with a known outcome are numbered in
 *    invocation order. If m is the first one not yet linearized, every
 *    linearized one was invoked before m returned (the walk never passes m's
 *    return event), so the set is "all below m, plus bits in the window up to
 *    limit[m]". A key stores m, that window and a separate bitset of the
 *    unknown-outcome operations, so its size follows the concurrency, not
 *    the length of the history.
 *  - Reads linearize eagerly. If a get is legal at a configuration P, some
 *    completion of P exists iff one exists that places the get first (moving
 *    a state-preserving operation earlier keeps the real-time order and every
 *    other answer). So when the search backtracks over a get, P itself is a
 *    dead end and the search keeps popping. This removes the exponential
 *    orderings of concurrent reads.
 *  - Indeterminate operations (Jepsen/Knossos semantics) return at infinity.
 *    An unknown-outcome write whose value nobody observed is dropped: leaving
 *    it out ("it never happened") is always among its legal outcomes, and if
 *    any linearization includes it, removing it breaks nothing because no
 *    operation read what it wrote. This is skipped on keys with increments,
 *    whose answers depend on every earlier write.
 *  - A read of a value no write produced fails at once, with a clear reason,
 *    without a search (keys without increments only).
 *  - Unique-value keys (see prepare_observers): when the register provably
 *    never holds a value twice (every write carries a distinct token, as the
 *    workloads do; or a counter with positive deltas), an operation may
 *    replace the current value only after every operation that observed it
 *    has been linearized, since the value can never come back. This cuts the
 *    orderings of concurrent writes, which otherwise make the search
 *    exponential in the number of overlapping writes. On such keys legal rmw
 *    and increments, and writes nobody reads, are eager like reads.
 *
 * Bounds: sorting O(n log n); the search is close to O(n * c) for a
 * linearizable history with c concurrent operations per key. A violation
 * amid many overlapping operations, or keys with repeated values, can take
 * time exponential in c; the time limit and per-key memo budget cap it, and
 * a key that runs out is reported as unknown, never as a pass.
 */
#include "check/lin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/cmd.h"

#define NIL    (-1)
#define NO_END UINT64_MAX
#define NOSLOT UINT32_MAX

/* Outcome of checking one key. */
enum key_verdict {
        KEY_OK = 0,
        KEY_BAD = 1,     /* not linearizable; ctx->reason filled */
        KEY_UNKNOWN = 2, /* time or memo budget exhausted */
};

/* Register state: a value, or absent. slot: the value's observer slot
 * (unique-value keys only; derived from the value, so not part of the memo). */
struct reg {
        uint64_t value;
        int present;
        uint32_t slot;
};

/* One operation of the key being checked. */
struct kop {
        const struct bl_hop *h;
        uint64_t end;      /* return time; NO_END for unknown outcome */
        uint32_t bit;      /* index into the known or the unknown bitset */
        uint32_t obs;      /* slot of the value this op observes, or NOSLOT */
        uint32_t new_slot; /* slot of the value it leaves, or NOSLOT */
        uint8_t unknown;
        uint8_t eager; /* if legal, may be linearized first without loss */
};

/* A call or return event, sorted by time. */
struct event {
        uint64_t time;
        uint32_t op;
        uint8_t is_ret;
};

/* A node of the event list. match: for a call, its return node. */
struct lnode {
        int32_t next, prev, match;
        uint32_t op;
        uint8_t is_ret;
};

/* A linearized call on the search stack, with the state before it. */
struct frame {
        int32_t node;
        struct reg before;
};

/* Sort record for grouping the whole history by key. */
struct sort_ent {
        uint64_t key;
        uint64_t invoke;
        size_t idx;
};

/* Checker state, reused from key to key so buffers are allocated once. */
struct lin_ctx {
        const struct bl_history *h;
        const struct bl_lin_opts *opts;
        struct timespec start;
        int expired;
        uint64_t iter;

        struct kop *ops;
        size_t ops_cap;
        struct event *ev;
        size_t ev_cap;
        struct lnode *node; /* 2n + 2 list nodes: head, events, tail */
        size_t node_cap;
        uint32_t *limit; /* per known op: last known op invoked before it returns */
        size_t limit_cap;
        uint64_t *known_inv;
        size_t known_inv_cap;
        uint64_t *kbits, *ubits;
        size_t kbits_cap, ubits_cap;
        struct frame *stack;
        size_t stack_cap;
        uint64_t *vals;
        size_t vals_cap;

        /* Unique-value keys: observed values (sorted) and, per slot (one per
         * value, plus "absent" last), observers in total and linearized. */
        int unique;
        uint64_t *ovals;
        size_t novals, ovals_cap;
        uint32_t *obs_total, *obs_done;
        size_t obs_total_cap, obs_done_cap;
        uint32_t *obs_first, *obs_ops; /* per slot: its observers (CSR) */
        size_t obs_first_cap, obs_ops_cap;

        /* Memo: arena of entries [hash, len, words...]; open-addressed table
         * of arena offsets + 1 (0 is an empty slot). */
        uint64_t *arena;
        size_t arena_len, arena_cap;
        uint64_t *table;
        size_t table_size, table_count;
        uint64_t *scratch;
        size_t scratch_cap;
        size_t memo_budget;

        /* Result of the key being checked. */
        char reason[256];
        const char *unknown_why;
        uint64_t states;
};

/* ---- small helpers ---- */

/* snprintf for reasons, where truncating a long message is the intent. */
static void __attribute__((format(printf, 3, 4)))
reasonf(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

/* Grow *p to hold at least want elements of size elem. 0 or BL_ENOMEM. */
static int ensure(void **p, size_t *cap, size_t want, size_t elem)
{
        size_t n;
        void *q;

        if (want <= *cap)
                return 0;
        n = *cap < 16 ? 16 : *cap;
        while (n < want)
                n *= 2;
        if (n > SIZE_MAX / elem)
                return BL_ENOMEM;
        q = bl_realloc(*p, n * elem);
        if (q == NULL)
                return BL_ENOMEM;
        *p = q;
        *cap = n;
        return 0;
}

static double elapsed_s(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) * 1e-9;
}

static int deadline_passed(struct lin_ctx *c)
{
        if (c->opts->time_limit_s <= 0)
                return 0;
        if (!c->expired && elapsed_s(&c->start) > c->opts->time_limit_s)
                c->expired = 1;
        return c->expired;
}

static struct reg initial_state(const struct bl_lin_opts *o, uint64_t key)
{
        struct reg r = {0, 0, NOSLOT};
        uint64_t v = 0;

        if (o->initial != NULL) {
                if (o->initial(o->initial_arg, key, &v)) {
                        r.present = 1;
                        r.value = v;
                }
        } else if (key < o->records) {
                r.present = 1;
                r.value = key + 1;
        }
        return r;
}

static int is_write(int op)
{
        return op == BL_OP_PUT || op == BL_OP_INSERT || op == BL_OP_RMW;
}

/* Does a known read (get or rmw) report a present value? */
static int reads_value(const struct bl_hop *h)
{
        return h->outcome == BL_OUT_OK && (h->op == BL_OP_GET || h->op == BL_OP_RMW) &&
               h->ret_status != BL_ST_NOTFOUND;
}

/* Describe an operation for a failure reason: "client 3 read -> 7 at [10, 20] ns". */
static void describe_op(char *buf, size_t size, const struct bl_hop *h)
{
        char res[32], args[40], times[64];
        int unknown = h->outcome != BL_OUT_OK;

        args[0] = '\0';
        if (h->op == BL_OP_INCR)
                snprintf(args, sizeof(args), "(+%llu)", (unsigned long long)h->arg);
        else if (h->op != BL_OP_GET)
                snprintf(args, sizeof(args), "(%llu)", (unsigned long long)h->arg);
        if (unknown)
                snprintf(res, sizeof(res), "?");
        else if (h->op == BL_OP_PUT || h->op == BL_OP_INSERT)
                snprintf(res, sizeof(res), "ok");
        else if (h->op != BL_OP_INCR && h->ret_status == BL_ST_NOTFOUND)
                snprintf(res, sizeof(res), "NOTFOUND");
        else
                snprintf(res, sizeof(res), "%llu", (unsigned long long)h->ret);
        if (unknown)
                snprintf(times, sizeof(times), "[%llu, ?] ns", (unsigned long long)h->invoke_ns);
        else
                snprintf(times, sizeof(times), "[%llu, %llu] ns", (unsigned long long)h->invoke_ns,
                         (unsigned long long)h->return_ns);
        reasonf(buf, size, "client %u %s%s -> %s at %s", h->client, bl_op_name(h->op), args, res,
                times);
}

static void describe_state(char *buf, size_t size, struct reg s)
{
        if (s.present)
                snprintf(buf, size, "%llu", (unsigned long long)s.value);
        else
                snprintf(buf, size, "absent");
}

/* ---- the register model ---- */

static uint32_t slot_of_value(const struct lin_ctx *c, uint64_t v)
{
        size_t lo = 0, hi = c->novals;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (c->ovals[mid] < v)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < c->novals && c->ovals[lo] == v ? (uint32_t)lo : NOSLOT;
}

/* Apply o to s. Returns 1 and sets *ns if o's answer is legal in s. */
static int model_step(struct reg s, const struct kop *o, struct reg *ns)
{
        const struct bl_hop *h = o->h;

        *ns = s;
        switch (h->op) {
        case BL_OP_GET:
                if (h->ret_status == BL_ST_NOTFOUND)
                        return !s.present;
                return s.present && s.value == h->ret;
        case BL_OP_PUT:
        case BL_OP_INSERT:
                ns->present = 1;
                ns->value = h->arg;
                return 1;
        case BL_OP_RMW:
                ns->present = 1;
                ns->value = h->arg;
                if (o->unknown)
                        return 1;
                if (h->ret_status == BL_ST_NOTFOUND)
                        return !s.present;
                return s.present && s.value == h->ret;
        case BL_OP_INCR:
                ns->present = 1;
                ns->value = (s.present ? s.value : 0) + h->arg;
                return o->unknown || ns->value == h->ret;
        default:
                return 0;
        }
}

/*
 * model_step plus, on unique-value keys, the observer rule: the register
 * never holds a value twice, so an operation may replace the current value
 * only once every other operation that observes it has been linearized.
 */
static int step(const struct lin_ctx *c, struct reg s, const struct kop *o, struct reg *ns)
{
        if (!model_step(s, o, ns))
                return 0;
        if (!c->unique || o->h->op == BL_OP_GET)
                return 1;
        if (s.slot != NOSLOT && c->obs_done[s.slot] + (o->obs == s.slot) != c->obs_total[s.slot])
                return 0;
        ns->slot = o->h->op == BL_OP_INCR && o->unknown ? slot_of_value(c, ns->value) : o->new_slot;
        return 1;
}

/* ---- memo: a hash set of canonical (linearized set, state) keys ---- */

static void memo_reset(struct lin_ctx *c, size_t nops)
{
        size_t want = 1024;

        while (want < 4 * nops && want < ((size_t)1 << 30))
                want *= 2;
        /* Keep a table sized for a much bigger key only if it is not huge. */
        if (c->table != NULL && (c->table_size < want || c->table_size > 16 * want)) {
                bl_free(c->table);
                c->table = NULL;
        }
        if (c->table == NULL) {
                c->table = bl_calloc(want, sizeof(uint64_t));
                c->table_size = c->table != NULL ? want : 0;
        } else {
                memset(c->table, 0, c->table_size * sizeof(uint64_t));
        }
        c->table_count = 0;
        c->arena_len = 0;
}

static size_t memo_bytes(const struct lin_ctx *c)
{
        return (c->arena_cap + c->table_size) * sizeof(uint64_t);
}

static int memo_grow_table(struct lin_ctx *c)
{
        size_t n = c->table_size * 2, mask = n - 1;
        uint64_t *t;

        if (memo_bytes(c) + c->table_size * sizeof(uint64_t) > c->memo_budget)
                return 1;
        t = bl_calloc(n, sizeof(uint64_t));
        if (t == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < c->table_size; i++) {
                uint64_t slot = c->table[i];
                size_t j;

                if (slot == 0)
                        continue;
                j = c->arena[slot - 1] & mask;
                while (t[j] != 0)
                        j = (j + 1) & mask;
                t[j] = slot;
        }
        bl_free(c->table);
        c->table = t;
        c->table_size = n;
        return 0;
}

/*
 * Insert key[0..len) with its hash. Returns 1 if it was new, 0 if already
 * present, 2 if the memo budget is exhausted, BL_ENOMEM on allocation failure.
 */
static int memo_insert(struct lin_ctx *c, uint64_t hash, const uint64_t *key, size_t len)
{
        size_t mask = c->table_size - 1, i = hash & mask;
        uint64_t slot;
        int rc;

        while ((slot = c->table[i]) != 0) {
                const uint64_t *e = c->arena + slot - 1;

                if (e[0] == hash && e[1] == len && memcmp(e + 2, key, len * sizeof(*key)) == 0)
                        return 0;
                i = (i + 1) & mask;
        }
        if (c->arena_len + len + 2 > c->arena_cap) {
                size_t old = c->arena_cap;
                size_t want = c->arena_len + len + 2;
                size_t grown = old < 4096 ? 4096 : old;

                while (grown < want)
                        grown *= 2;
                if ((grown - old) * sizeof(uint64_t) + memo_bytes(c) > c->memo_budget)
                        return 2;
                rc = ensure((void **)&c->arena, &c->arena_cap, grown, sizeof(uint64_t));
                if (rc != 0)
                        return rc;
        }
        uint64_t *e = c->arena + c->arena_len;
        e[0] = hash;
        e[1] = len;
        memcpy(e + 2, key, len * sizeof(*key));
        c->table[i] = c->arena_len + 1;
        c->arena_len += len + 2;
        c->table_count++;
        c->states++;
        if (2 * c->table_count > c->table_size) {
                rc = memo_grow_table(c);
                if (rc < 0)
                        return rc;
                if (rc == 1)
                        return 2;
        }
        return 1;
}

/* ---- per-key search ---- */

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static int cmp_event(const void *a, const void *b)
{
        const struct event *x = a, *y = b;

        if (x->time != y->time)
                return x->time < y->time ? -1 : 1;
        if (x->is_ret != y->is_ret)
                return x->is_ret - y->is_ret; /* calls first */
        return (x->op > y->op) - (x->op < y->op);
}

static int contains(const uint64_t *sorted, size_t n, uint64_t v)
{
        return bsearch(&v, sorted, n, sizeof(v), cmp_u64) != NULL;
}

/*
 * Without increments every value a read returns must have been written (or
 * be the initial value): check that first, and return 1 with a reason if not.
 * Also drops unknown-outcome writes whose value nobody read (see the file
 * comment), compacting c->ops; *n is updated and *dropped counts them.
 */
static int screen_key(struct lin_ctx *c, uint64_t key, struct reg init, size_t *n,
                      uint64_t *dropped, int *rc)
{
        size_t nv = 0, nw, k = 0;
        char op[200];

        *rc = 0;
        for (size_t i = 0; i < *n; i++)
                if (c->ops[i].h->op == BL_OP_INCR)
                        return 0;
        *rc = ensure((void **)&c->vals, &c->vals_cap, *n + 1, sizeof(uint64_t));
        if (*rc != 0)
                return 0;
        /* Values that may be read: the initial one and every write's. */
        if (init.present)
                c->vals[nv++] = init.value;
        for (size_t i = 0; i < *n; i++)
                if (is_write(c->ops[i].h->op))
                        c->vals[nv++] = c->ops[i].h->arg;
        qsort(c->vals, nv, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < *n; i++) {
                const struct bl_hop *h = c->ops[i].h;

                if (reads_value(h) && !contains(c->vals, nv, h->ret)) {
                        describe_op(op, sizeof(op), h);
                        reasonf(c->reason, sizeof(c->reason),
                                "key %llu: %s: no operation wrote that value",
                                (unsigned long long)key, op);
                        return 1;
                }
        }
        /* Values observed by known reads. */
        nw = 0;
        for (size_t i = 0; i < *n; i++)
                if (reads_value(c->ops[i].h))
                        c->vals[nw++] = c->ops[i].h->ret;
        qsort(c->vals, nw, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < *n; i++) {
                const struct kop *o = &c->ops[i];

                if (o->unknown && is_write(o->h->op) && !contains(c->vals, nw, o->h->arg)) {
                        (*dropped)++;
                        continue;
                }
                c->ops[k++] = *o;
        }
        *n = k;
        return 0;
}

static void add_observed(struct lin_ctx *c, uint64_t v)
{
        c->ovals[c->novals++] = v;
}

/*
 * Decide whether the key has unique values, where the register provably
 * never holds the same value twice, and if so number the observed values
 * ("slots") and count each slot's observers. Two shapes qualify:
 *  - registers (no increments) whose writes all carry distinct values, also
 *    distinct from the initial value; "absent" never returns either, since
 *    nothing deletes;
 *  - counters (only gets and increments, every delta >= 1): the value only
 *    grows. Absent counts as 0 there.
 * On those keys, besides the observer rule in step(), more operations become
 * eager: a known rmw or increment that is legal must come first in any
 * completion (it needs the current value, which nothing may replace before
 * it), and so must, without loss, a known write whose value nobody reads once
 * the current value is fully observed. Returns 0 or BL_ENOMEM.
 */
static int prepare_observers(struct lin_ctx *c, struct reg *init, size_t n)
{
        int has_incr = 0, has_write = 0, pos_deltas = 1, counter, rc;
        size_t nw = 0, nslots, k = 0;
        uint32_t absent;

        c->unique = 0;
        c->novals = 0;
        init->slot = NOSLOT;
        for (size_t i = 0; i < n; i++) {
                struct kop *o = &c->ops[i];

                o->obs = NOSLOT;
                o->new_slot = NOSLOT;
                o->eager = o->h->op == BL_OP_GET;
                has_incr |= o->h->op == BL_OP_INCR;
                has_write |= is_write(o->h->op);
                if (o->h->op == BL_OP_INCR && o->h->arg == 0)
                        pos_deltas = 0;
        }
        counter = has_incr && !has_write && pos_deltas;
        if (has_incr && !counter)
                return 0;
        if ((rc = ensure((void **)&c->vals, &c->vals_cap, n + 1, sizeof(uint64_t))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->ovals, &c->ovals_cap, n + 1, sizeof(uint64_t))) != 0)
                return rc;
        if (!counter) {
                if (init->present)
                        c->vals[nw++] = init->value;
                for (size_t i = 0; i < n; i++)
                        if (is_write(c->ops[i].h->op))
                                c->vals[nw++] = c->ops[i].h->arg;
                qsort(c->vals, nw, sizeof(uint64_t), cmp_u64);
                for (size_t i = 1; i < nw; i++)
                        if (c->vals[i] == c->vals[i - 1])
                                return 0;
        }
        c->unique = 1;
        for (size_t i = 0; i < n; i++) {
                const struct bl_hop *h = c->ops[i].h;
                int nf = h->ret_status == BL_ST_NOTFOUND;

                if (c->ops[i].unknown)
                        continue;
                if (h->op == BL_OP_INCR)
                        add_observed(c, h->ret - h->arg);
                else if ((h->op == BL_OP_GET || h->op == BL_OP_RMW) && !nf)
                        add_observed(c, h->ret);
                else if (h->op == BL_OP_GET && counter)
                        add_observed(c, 0);
        }
        qsort(c->ovals, c->novals, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < c->novals; i++)
                if (k == 0 || c->ovals[i] != c->ovals[k - 1])
                        c->ovals[k++] = c->ovals[i];
        c->novals = k;
        absent = (uint32_t)k;
        nslots = k + 1;
        if ((rc = ensure((void **)&c->obs_total, &c->obs_total_cap, nslots, sizeof(uint32_t))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->obs_done, &c->obs_done_cap, nslots, sizeof(uint32_t))) != 0)
                return rc;
        memset(c->obs_total, 0, nslots * sizeof(uint32_t));
        memset(c->obs_done, 0, nslots * sizeof(uint32_t));
        for (size_t i = 0; i < n; i++) {
                struct kop *o = &c->ops[i];
                const struct bl_hop *h = o->h;
                int nf = h->ret_status == BL_ST_NOTFOUND;

                if (h->op == BL_OP_INCR) {
                        if (!o->unknown) {
                                o->obs = slot_of_value(c, h->ret - h->arg);
                                o->new_slot = slot_of_value(c, h->ret);
                                o->eager = 1;
                        }
                } else if (h->op == BL_OP_GET) {
                        o->obs = !nf       ? slot_of_value(c, h->ret)
                                 : counter ? slot_of_value(c, 0)
                                           : absent;
                } else {
                        o->new_slot = slot_of_value(c, h->arg);
                        if (h->op == BL_OP_RMW && !o->unknown) {
                                o->obs = nf ? absent : slot_of_value(c, h->ret);
                                o->eager = 1;
                        } else if (!o->unknown && o->new_slot == NOSLOT) {
                                o->eager = 1;
                        }
                }
                if (o->obs != NOSLOT)
                        c->obs_total[o->obs]++;
        }
        /* Observer lists, only read to explain a failure. */
        if ((rc = ensure((void **)&c->obs_first, &c->obs_first_cap, nslots + 1,
                         sizeof(uint32_t))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->obs_ops, &c->obs_ops_cap, n, sizeof(uint32_t))) != 0)
                return rc;
        c->obs_first[0] = 0;
        for (size_t j = 0; j < nslots; j++)
                c->obs_first[j + 1] = c->obs_first[j] + c->obs_total[j];
        for (size_t i = 0; i < n; i++)
                if (c->ops[i].obs != NOSLOT)
                        c->obs_ops[c->obs_first[c->ops[i].obs] + c->obs_done[c->ops[i].obs]++] =
                            (uint32_t)i;
        memset(c->obs_done, 0, nslots * sizeof(uint32_t));
        if (init->present)
                init->slot = slot_of_value(c, init->value);
        else
                init->slot = counter ? slot_of_value(c, 0) : absent;
        return 0;
}

/* Build events, the linked list, the limits and empty bitsets for c->ops[0..n). */
static int build_key(struct lin_ctx *c, size_t n, size_t *nknown, size_t *nunknown)
{
        size_t K = 0, U = 0, nodes = 2 * n + 2;
        int rc;

        if ((rc = ensure((void **)&c->ev, &c->ev_cap, 2 * n, sizeof(*c->ev))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->stack, &c->stack_cap, n, sizeof(*c->stack))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->node, &c->node_cap, nodes, sizeof(*c->node))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->limit, &c->limit_cap, n, sizeof(uint32_t))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->known_inv, &c->known_inv_cap, n, sizeof(uint64_t))) != 0)
                return rc;

        /* Operations are in invocation order: number them. */
        for (size_t i = 0; i < n; i++) {
                struct kop *o = &c->ops[i];

                if (o->unknown) {
                        o->bit = (uint32_t)U++;
                } else {
                        c->known_inv[K] = o->h->invoke_ns;
                        o->bit = (uint32_t)K++;
                }
                c->ev[2 * i] = (struct event){o->h->invoke_ns, (uint32_t)i, 0};
                c->ev[2 * i + 1] = (struct event){o->end, (uint32_t)i, 1};
        }
        qsort(c->ev, 2 * n, sizeof(*c->ev), cmp_event);

        /* limit[k]: the last known op whose invocation is <= op k's return. */
        for (size_t i = 0; i < n; i++) {
                const struct kop *o = &c->ops[i];
                size_t lo = o->bit, hi = K; /* invariant: known_inv[lo] <= end */

                if (o->unknown)
                        continue;
                while (hi - lo > 1) {
                        size_t mid = lo + (hi - lo) / 2;

                        if (c->known_inv[mid] <= o->end)
                                lo = mid;
                        else
                                hi = mid;
                }
                c->limit[o->bit] = (uint32_t)lo;
        }

        /* Node 0 is the head, nodes 1..2n the events, node 2n+1 the tail. */
        for (size_t j = 0; j < nodes; j++) {
                c->node[j].next = j + 1 < nodes ? (int32_t)j + 1 : NIL;
                c->node[j].prev = (int32_t)j - 1;
                c->node[j].match = NIL;
                c->node[j].op = j >= 1 && j <= 2 * n ? c->ev[j - 1].op : 0;
                c->node[j].is_ret = j >= 1 && j <= 2 * n ? c->ev[j - 1].is_ret : 0;
        }
        /* Pair calls with returns; the stack (one slot per op, unused until
         * the search starts) remembers each op's call node meanwhile. */
        for (size_t j = 1; j <= 2 * n; j++) {
                struct lnode *e = &c->node[j];

                if (!e->is_ret)
                        c->stack[e->op].node = (int32_t)j;
                else
                        c->node[c->stack[e->op].node].match = (int32_t)j;
        }

        if ((rc = ensure((void **)&c->kbits, &c->kbits_cap, K / 64 + 1, sizeof(uint64_t))) != 0)
                return rc;
        if ((rc = ensure((void **)&c->ubits, &c->ubits_cap, U / 64 + 1, sizeof(uint64_t))) != 0)
                return rc;
        memset(c->kbits, 0, (K / 64 + 1) * sizeof(uint64_t));
        memset(c->ubits, 0, (U / 64 + 1) * sizeof(uint64_t));
        /* Scratch: two header words, the widest window, the unknown bitset. */
        if ((rc = ensure((void **)&c->scratch, &c->scratch_cap, 2 + K / 64 + 2 + U / 64 + 1,
                         sizeof(uint64_t))) != 0)
                return rc;
        *nknown = K;
        *nunknown = U;
        return 0;
}

/* Remove a call and its return from the list (the return is never the head
 * or the tail, so both neighbours exist). */
static void lift(struct lnode *nd, int32_t call)
{
        int32_t ret = nd[call].match;

        nd[nd[call].prev].next = nd[call].next;
        nd[nd[call].next].prev = nd[call].prev;
        nd[nd[ret].prev].next = nd[ret].next;
        nd[nd[ret].next].prev = nd[ret].prev;
}

/* Undo lift(): the reverse order restores the exact links. */
static void unlift(struct lnode *nd, int32_t call)
{
        int32_t ret = nd[call].match;

        nd[nd[ret].prev].next = ret;
        nd[nd[ret].next].prev = ret;
        nd[nd[call].prev].next = call;
        nd[nd[call].next].prev = call;
}

/* Zobrist-style hash of one operation's membership in the linearized set. */
static uint64_t op_hash(const struct kop *o)
{
        return bl_mix64(((uint64_t)o->bit << 1) | o->unknown);
}

static uint64_t state_hash(struct reg s)
{
        return bl_mix64(s.value ^ (s.present ? 0x5bd1e9955bd1e995ULL : 0));
}

/* Canonical memo key of the current configuration into c->scratch. */
static size_t make_key(struct lin_ctx *c, size_t m, size_t K, size_t U, struct reg s)
{
        uint64_t *k = c->scratch;
        size_t len = 0, uw = U / 64 + 1;

        k[len++] = ((uint64_t)m << 1) | (uint64_t)s.present;
        k[len++] = s.value;
        if (m < K) {
                size_t w0 = m / 64, w1 = c->limit[m] / 64;

                memcpy(k + len, c->kbits + w0, (w1 - w0 + 1) * sizeof(uint64_t));
                len += w1 - w0 + 1;
        }
        if (U > 0) {
                memcpy(k + len, c->ubits, uw * sizeof(uint64_t));
                len += uw;
        }
        return len;
}

/* First clear bit at or after m in kbits, capped at K. */
static size_t next_zero(const uint64_t *bits, size_t m, size_t K)
{
        size_t w = m / 64;
        uint64_t x;

        if (m >= K)
                return K;
        x = ~bits[w] & (~0ULL << (m % 64));
        while (x == 0) {
                w++;
                if (w * 64 >= K)
                        return K;
                x = ~bits[w];
        }
        m = w * 64 + (size_t)__builtin_ctzll(x);
        return m < K ? m : K;
}

static void set_bit(uint64_t *bits, uint32_t b)
{
        bits[b / 64] |= 1ULL << (b % 64);
}

static void clear_bit(uint64_t *bits, uint32_t b)
{
        bits[b / 64] &= ~(1ULL << (b % 64));
}

static int is_linearized(const struct lin_ctx *c, const struct kop *o)
{
        const uint64_t *bits = o->unknown ? c->ubits : c->kbits;

        return (bits[o->bit / 64] >> (o->bit % 64)) & 1;
}

/*
 * Operation x could not be placed in state s. If the observer rule held it
 * back, return an unlinearized observer of s's value (the operation that saw
 * a value that should already have been replaced), else NIL. Cost: the
 * number of observers of that one value.
 */
static int32_t find_culprit(const struct lin_ctx *c, const struct kop *x, struct reg s)
{
        if (!c->unique || x->h->op == BL_OP_GET || s.slot == NOSLOT)
                return NIL;
        for (uint32_t j = c->obs_first[s.slot]; j < c->obs_first[s.slot + 1]; j++) {
                const struct kop *o = &c->ops[c->obs_ops[j]];

                if (o != x && !is_linearized(c, o))
                        return (int32_t)c->obs_ops[j];
        }
        return NIL;
}

/*
 * The search over c->ops[0..n) of one key. Returns a key_verdict, or
 * BL_ENOMEM.
 */
static int search_key(struct lin_ctx *c, uint64_t key, struct reg init, size_t n)
{
        const int32_t tail = (int32_t)(2 * n + 1);
        size_t K, U, m = 0, sp = 0, best_depth = 0;
        int32_t entry, best_op = NIL, culprit = NIL;
        struct reg st = init, best_state = init;
        uint64_t lin_hash = 0;
        struct lnode *nd;
        int rc;

        rc = build_key(c, n, &K, &U);
        if (rc != 0)
                return rc;
        memo_reset(c, n);
        if (c->table == NULL)
                return BL_ENOMEM;
        nd = c->node;

        entry = nd[0].next;
        while (nd[0].next != tail) {
                if ((++c->iter & 1023) == 0 && deadline_passed(c)) {
                        c->unknown_why = "time limit reached";
                        return KEY_UNKNOWN;
                }
                if (!nd[entry].is_ret) {
                        const struct kop *o = &c->ops[nd[entry].op];
                        uint64_t oh;
                        struct reg ns;
                        size_t nm = m, len;

                        if (!step(c, st, o, &ns)) {
                                entry = nd[entry].next;
                                continue;
                        }
                        if (o->unknown) {
                                set_bit(c->ubits, o->bit);
                        } else {
                                set_bit(c->kbits, o->bit);
                                if (o->bit == m)
                                        nm = next_zero(c->kbits, m, K);
                        }
                        oh = op_hash(o);
                        len = make_key(c, nm, K, U, ns);
                        rc = memo_insert(c, lin_hash ^ oh ^ state_hash(ns), c->scratch, len);
                        if (rc < 0)
                                return rc;
                        if (rc == 2) {
                                c->unknown_why = "search memory budget exhausted";
                                return KEY_UNKNOWN;
                        }
                        if (rc == 1) {
                                c->stack[sp].node = entry;
                                c->stack[sp].before = st;
                                sp++;
                                st = ns;
                                m = nm;
                                lin_hash ^= oh;
                                if (o->obs != NOSLOT)
                                        c->obs_done[o->obs]++;
                                lift(nd, entry);
                                entry = nd[0].next;
                                continue;
                        }
                        /* Seen before, hence a dead end: undo, try the next call. */
                        clear_bit(o->unknown ? c->ubits : c->kbits, o->bit);
                        entry = nd[entry].next;
                        continue;
                }
                /* A return event: the operation it closes can no longer be placed. */
                if (best_op == NIL || sp > best_depth) {
                        best_depth = sp;
                        best_op = (int32_t)nd[entry].op;
                        best_state = st;
                        culprit = find_culprit(c, &c->ops[best_op], st);
                }
                for (;;) {
                        const struct kop *o;

                        if (sp == 0) {
                                char op[200], sv[24];

                                describe_op(op, sizeof(op), c->ops[best_op].h);
                                describe_state(sv, sizeof(sv), best_state);
                                if (culprit != NIL) {
                                        char cop[200];

                                        describe_op(cop, sizeof(cop), c->ops[culprit].h);
                                        reasonf(c->reason, sizeof(c->reason),
                                                "key %llu: not linearizable: %s, but %s must "
                                                "replace that value first",
                                                (unsigned long long)key, cop, op);
                                        return KEY_BAD;
                                }
                                reasonf(c->reason, sizeof(c->reason),
                                        "key %llu: not linearizable: %s cannot be placed "
                                        "(deepest partial order: %zu of %zu ops, value %s)",
                                        (unsigned long long)key, op, best_depth, n, sv);
                                return KEY_BAD;
                        }
                        sp--;
                        entry = c->stack[sp].node;
                        st = c->stack[sp].before;
                        o = &c->ops[nd[entry].op];
                        if (o->unknown) {
                                clear_bit(c->ubits, o->bit);
                        } else {
                                clear_bit(c->kbits, o->bit);
                                if (o->bit < m)
                                        m = o->bit;
                        }
                        lin_hash ^= op_hash(o);
                        if (o->obs != NOSLOT)
                                c->obs_done[o->obs]--;
                        unlift(nd, entry);
                        /* An eager operation that led nowhere condemns its
                         * parent configuration too (see the file comment). */
                        if (!o->eager)
                                break;
                }
                entry = nd[entry].next;
        }
        return KEY_OK;
}

/* Check the operations idx[a..b) of the sorted history, all on one key. */
static int check_key(struct lin_ctx *c, const struct sort_ent *se, size_t a, size_t b,
                     struct bl_lin_result *out)
{
        uint64_t key = se[a].key;
        struct reg init = initial_state(c->opts, key);
        size_t n = b - a;
        int rc, bad;

        c->reason[0] = '\0';
        c->unknown_why = NULL;
        if (n > ((size_t)1 << 29)) {
                /* List nodes are int32_t: far beyond any realistic key. */
                c->unknown_why = "too many operations on one key";
                return KEY_UNKNOWN;
        }
        rc = ensure((void **)&c->ops, &c->ops_cap, n, sizeof(*c->ops));
        if (rc != 0)
                return rc;
        for (size_t i = 0; i < n; i++) {
                const struct bl_hop *h = &c->h->ops[se[a + i].idx];
                struct kop *o = &c->ops[i];

                o->h = h;
                o->unknown = h->outcome == BL_OUT_UNKNOWN;
                o->end = o->unknown ? NO_END : h->return_ns;
                o->bit = 0;
        }
        bad = screen_key(c, key, init, &n, &out->ops_dropped, &rc);
        if (rc != 0)
                return rc;
        if (bad)
                return KEY_BAD;
        if (n == 0)
                return KEY_OK;
        rc = prepare_observers(c, &init, n);
        if (rc != 0)
                return rc;
        rc = search_key(c, key, init, n);
        if (rc == KEY_OK || rc == KEY_BAD)
                out->ops_checked += n;
        return rc;
}

/* ---- driver ---- */

static int cmp_sort_ent(const void *a, const void *b)
{
        const struct sort_ent *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        if (x->invoke != y->invoke)
                return x->invoke < y->invoke ? -1 : 1;
        return (x->idx > y->idx) - (x->idx < y->idx);
}

static void ctx_free(struct lin_ctx *c)
{
        bl_free(c->ops);
        bl_free(c->ev);
        bl_free(c->node);
        bl_free(c->limit);
        bl_free(c->known_inv);
        bl_free(c->kbits);
        bl_free(c->ubits);
        bl_free(c->stack);
        bl_free(c->vals);
        bl_free(c->ovals);
        bl_free(c->obs_total);
        bl_free(c->obs_done);
        bl_free(c->obs_first);
        bl_free(c->obs_ops);
        bl_free(c->arena);
        bl_free(c->table);
        bl_free(c->scratch);
}

/* Reject operations the checker cannot interpret. Returns 1 with a reason. */
static int malformed(const struct bl_hop *h, char *reason, size_t size)
{
        char op[200];
        const char *why = NULL;

        if (h->op >= BL_OP__COUNT)
                why = "unknown operation type";
        else if (h->outcome > BL_OUT_UNKNOWN)
                why = "unknown outcome";
        else if (h->outcome == BL_OUT_OK && h->return_ns == UINT64_MAX)
                why = "outcome ok but it never returned (only an unknown outcome has no return)";
        else if (h->outcome == BL_OUT_OK && h->return_ns < h->invoke_ns)
                why = "returns before it was invoked";
        if (why == NULL)
                return 0;
        describe_op(op, sizeof(op), h);
        reasonf(reason, size, "malformed history: key %llu: %s: %s", (unsigned long long)h->key, op,
                why);
        return 1;
}

void bl_lin_opts_default(struct bl_lin_opts *o)
{
        memset(o, 0, sizeof(*o));
        o->max_memo_bytes = BL_LIN_DEFAULT_MEMO_BYTES;
}

int bl_lin_check_opts(const struct bl_history *h, const struct bl_lin_opts *opts,
                      struct bl_lin_result *out)
{
        struct lin_ctx c;
        struct sort_ent *se = NULL;
        size_t ns = 0, first_unknown_states = 0;
        uint64_t first_unknown_key = 0;
        const char *first_unknown_why = NULL;
        int rc = 0, bad = 0;

        if (out == NULL)
                return BL_EINVAL;
        memset(out, 0, sizeof(*out));
        if (h == NULL || opts == NULL) {
                snprintf(out->reason, sizeof(out->reason), "inconclusive: no history");
                out->timed_out = 1;
                return BL_EINVAL;
        }
        memset(&c, 0, sizeof(c));
        c.h = h;
        c.opts = opts;
        c.memo_budget = opts->max_memo_bytes ? opts->max_memo_bytes : BL_LIN_DEFAULT_MEMO_BYTES;
        clock_gettime(CLOCK_MONOTONIC, &c.start);

        if (h->n > 0) {
                se = bl_malloc(h->n * sizeof(*se));
                if (se == NULL) {
                        rc = BL_ENOMEM;
                        goto out_nomem;
                }
        }
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_hop *o = &h->ops[i];

                if (malformed(o, out->reason, sizeof(out->reason))) {
                        out->bad_key = o->key;
                        goto out_free;
                }
                if (o->outcome == BL_OUT_FAIL ||
                    (o->outcome == BL_OUT_UNKNOWN && o->op == BL_OP_GET)) {
                        out->ops_dropped++;
                        continue;
                }
                se[ns++] = (struct sort_ent){o->key, o->invoke_ns, i};
        }
        if (ns > 0)
                qsort(se, ns, sizeof(*se), cmp_sort_ent);

        for (size_t a = 0, b; a < ns; a = b) {
                for (b = a + 1; b < ns && se[b].key == se[a].key; b++)
                        ;
                if (deadline_passed(&c)) {
                        c.unknown_why = "time limit reached";
                        rc = KEY_UNKNOWN;
                } else {
                        uint64_t before = c.states;

                        rc = check_key(&c, se, a, b, out);
                        if (rc == KEY_UNKNOWN && first_unknown_why == NULL)
                                first_unknown_states = c.states - before;
                }
                if (rc < 0)
                        goto out_nomem;
                if (rc == KEY_BAD) {
                        bad = 1;
                        out->bad_key = se[a].key;
                        memcpy(out->reason, c.reason, sizeof(out->reason));
                        out->keys_checked++;
                        break;
                }
                if (rc == KEY_UNKNOWN) {
                        if (first_unknown_why == NULL) {
                                first_unknown_why = c.unknown_why;
                                first_unknown_key = se[a].key;
                        }
                        out->keys_unknown++;
                        continue;
                }
                out->keys_checked++;
        }
        rc = 0;
        out->states = c.states;
        if (!bad && first_unknown_why != NULL) {
                out->timed_out = 1;
                out->bad_key = first_unknown_key;
                snprintf(out->reason, sizeof(out->reason),
                         "inconclusive: %s on key %llu after %zu states (%llu in all); %llu "
                         "keys unfinished, %llu keys linearizable",
                         first_unknown_why, (unsigned long long)first_unknown_key,
                         first_unknown_states, (unsigned long long)c.states,
                         (unsigned long long)out->keys_unknown,
                         (unsigned long long)out->keys_checked);
        } else if (!bad) {
                out->ok = 1;
                snprintf(out->reason, sizeof(out->reason),
                         "linearizable: %llu keys, %llu ops (%llu dropped)",
                         (unsigned long long)out->keys_checked,
                         (unsigned long long)out->ops_checked,
                         (unsigned long long)out->ops_dropped);
        }
        goto out_free;

out_nomem:
        out->ok = 0;
        out->timed_out = 1;
        snprintf(out->reason, sizeof(out->reason), "inconclusive: out of memory while checking");
out_free:
        bl_free(se);
        ctx_free(&c);
        return rc;
}

int bl_lin_check(const struct bl_history *h, uint64_t records, double time_limit_s,
                 struct bl_lin_result *out)
{
        struct bl_lin_opts o;

        bl_lin_opts_default(&o);
        o.records = records;
        o.time_limit_s = time_limit_s;
        return bl_lin_check_opts(h, &o, out);
}
