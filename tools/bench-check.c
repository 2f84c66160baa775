/*
 * bench-check: time the linearizability checker on generated histories.
 *
 * Histories come from a simulated sequential store, so they are linearizable
 * by construction: closed-loop clients issue operations back to back, each
 * operation takes effect at a random instant inside its interval, and the
 * store applies them in the order of those instants. Scenarios vary the
 * number of clients (the global concurrency), the key distribution (uniform,
 * or zipf 0.99 so hot keys see many overlapping operations), the share of
 * indeterminate outcomes, and a synthetic "wide" case where every key has
 * about 64 overlapping operations at all times.
 *
 * Usage: bench-check [MAX_OPS [SEED]]   (MAX_OPS default 1000000)
 * Output: one '#' header and fixed-width columns, one row per run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/history.h"
#include "check/lin.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/cmd.h"

#define KEYS 1000

struct scenario {
        const char *name;
        int clients;
        double zipf;         /* 0: uniform keys */
        double unknown_frac; /* share of writes with unknown outcome */
        int wide;            /* synthetic: ~64 overlapping ops on every key */
};

struct pending {
        struct bl_hop op;
        uint64_t lin_ns; /* when it takes effect in the simulated store */
        int applies;
        int has_prev;  /* a get with an older value of its key to go stale to */
        uint64_t prev; /* that older value */
};

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_lin(const void *a, const void *b)
{
        const struct pending *x = a, *y = b;

        return (x->lin_ns > y->lin_ns) - (x->lin_ns < y->lin_ns);
}

static uint64_t pick_key(struct bl_rng *rng, const double *cdf)
{
        double u;
        size_t lo = 0, hi = KEYS - 1;

        if (cdf == NULL)
                return bl_rng_below(rng, KEYS);
        u = bl_rng_double(rng);
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (cdf[mid] < u)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Fill p[0..n) with timed operations (no results yet). */
static void gen_times(const struct scenario *s, struct bl_rng *rng, struct pending *p, size_t n,
                      const double *cdf)
{
        uint64_t clock[64];
        size_t per_key_i[KEYS];

        memset(per_key_i, 0, sizeof(per_key_i));
        for (int c = 0; c < s->clients; c++)
                clock[c] = bl_rng_below(rng, 100000);
        for (size_t i = 0; i < n; i++) {
                struct bl_hop *o = &p[i].op;
                uint64_t roll = bl_rng_below(rng, 100);

                memset(o, 0, sizeof(*o));
                o->key = pick_key(rng, cdf);
                /* Keys >= 900 are counters; the rest YCSB-A-like registers. */
                if (o->key >= 900)
                        o->op = roll < 50 ? BL_OP_GET : BL_OP_INCR;
                else
                        o->op = roll < 50 ? BL_OP_GET : roll < 90 ? BL_OP_PUT : BL_OP_RMW;
                if (s->wide) {
                        /* Per key: an op every 1 us, intervals up to +-32 us. */
                        uint64_t t = 100000 + 1000 * (uint64_t)per_key_i[o->key]++;

                        o->client = (uint32_t)bl_rng_below(rng, 64);
                        p[i].lin_ns = t;
                        o->invoke_ns = t - bl_rng_below(rng, 32000);
                        o->return_ns = t + bl_rng_below(rng, 32000);
                } else {
                        /* Closed loop: the client with the next free slot. */
                        int c = (int)(i % (size_t)s->clients);
                        uint64_t dur = 50000 + bl_rng_below(rng, 100000);

                        o->client = (uint32_t)c;
                        o->invoke_ns = clock[c];
                        o->return_ns = clock[c] + dur;
                        p[i].lin_ns = o->invoke_ns + bl_rng_below(rng, dur + 1);
                        clock[c] = o->return_ns + bl_rng_below(rng, 5000);
                }
                o->outcome = BL_OUT_OK;
                p[i].applies = 1;
                if (o->op != BL_OP_GET && bl_rng_double(rng) < s->unknown_frac) {
                        o->outcome = BL_OUT_UNKNOWN;
                        o->return_ns = UINT64_MAX;
                        p[i].applies = (int)bl_rng_below(rng, 2);
                }
        }
}

/* Apply p[] in linearization order to a sequential store; record answers. */
static void simulate(struct pending *p, size_t n, uint64_t records)
{
        uint64_t value[KEYS], prev[KEYS], token = 1ULL << 40;
        int present[KEYS], had[KEYS];

        for (int k = 0; k < KEYS; k++) {
                present[k] = (uint64_t)k < records;
                value[k] = (uint64_t)k + 1;
                had[k] = 0;
        }
        qsort(p, n, sizeof(*p), cmp_lin);
        for (size_t i = 0; i < n; i++) {
                struct bl_hop *o = &p[i].op;
                uint64_t k = o->key;

                o->arg = o->op == BL_OP_INCR ? 1 : token++;
                if (o->op == BL_OP_GET || o->op == BL_OP_RMW) {
                        o->ret = value[k];
                        o->ret_status = present[k] ? BL_ST_OK : BL_ST_NOTFOUND;
                        p[i].has_prev = o->op == BL_OP_GET && had[k] && present[k];
                        p[i].prev = prev[k];
                }
                if (p[i].applies && o->op != BL_OP_GET) {
                        had[k] = present[k];
                        prev[k] = value[k];
                        value[k] =
                            o->op == BL_OP_INCR ? (present[k] ? value[k] : 0) + o->arg : o->arg;
                        present[k] = 1;
                        if (o->op == BL_OP_INCR)
                                o->ret = value[k];
                }
        }
}

static const char *result_word(int rc, const struct bl_lin_result *r)
{
        if (rc != 0)
                return "ENOMEM";
        return r->ok ? "ok" : r->timed_out ? "INCONCLUSIVE" : "FAIL";
}

static int run(const struct scenario *s, size_t n, uint64_t seed, const double *zipf_cdf)
{
        struct bl_history h;
        struct pending *p;
        struct bl_lin_result r, rs;
        struct bl_rng rng;
        double t0, t1, t2, t3;
        size_t stale = n;
        uint64_t stale_ret = 0;
        int rc, rcs;

        p = bl_malloc(n * sizeof(*p));
        bl_history_init(&h);
        if (p == NULL || bl_history_reserve(&h, n) != 0) {
                fprintf(stderr, "bench-check: out of memory for %zu ops\n", n);
                bl_free(p);
                return 1;
        }
        memset(p, 0, n * sizeof(*p));
        bl_rng_seed(&rng, seed, (uint64_t)s->clients);
        t0 = now_s();
        gen_times(s, &rng, p, n, s->zipf > 0 ? zipf_cdf : NULL);
        simulate(p, n, KEYS / 2);
        for (size_t i = 0; i < n; i++) {
                bl_history_add(&h, &p[i].op); /* cannot fail: reserved */
                if (stale == n && i >= n / 2 && p[i].has_prev && p[i].op.key < 900) {
                        stale = i;
                        stale_ret = p[i].prev;
                }
        }
        bl_free(p);
        t1 = now_s();
        rc = bl_lin_check(&h, KEYS / 2, 300.0, &r);
        t2 = now_s();
        /* The same history with one read made stale (it returns the value
         * before the one it saw): a violation unless the read overlaps the
         * write that replaced that value. */
        if (stale < n)
                h.ops[stale].ret = stale_ret;
        rcs = bl_lin_check(&h, KEYS / 2, 300.0, &rs);
        t3 = now_s();
        printf("%-18s %9zu %5d %7d %7.3f %8.3f %9.0f %9llu %-7s %8.3f %s\n", s->name, n, KEYS,
               s->clients, t1 - t0, t2 - t1, (double)n / (t2 - t1), (unsigned long long)r.states,
               result_word(rc, &r), t3 - t2, result_word(rcs, &rs));
        if (!r.ok)
                printf("# %s\n", r.reason);
        fflush(stdout);
        bl_history_free(&h);
        return rc != 0 || !r.ok;
}

int main(int argc, char **argv)
{
        static const struct scenario scen[] = {
            {"uniform-16", 16, 0, 0, 0},  {"uniform-64", 64, 0, 0, 0},
            {"zipf-64", 64, 0.99, 0, 0},  {"zipf-64-unk1%", 64, 0.99, 0.01, 0},
            {"wide-64/key", 64, 0, 0, 1}, {"wide-64/key-unk1%", 64, 0, 0.01, 1},
        };
        size_t max_ops = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
        uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
        double cdf[KEYS], sum = 0;
        int bad = 0;

        for (int k = 0; k < KEYS; k++)
                sum += 1.0 / pow(k + 1, 0.99);
        for (int k = 0; k < KEYS; k++)
                cdf[k] = (k ? cdf[k - 1] : 0) + 1.0 / pow(k + 1, 0.99) / sum;
        printf("# %-16s %9s %5s %7s %7s %8s %9s %9s %-7s %8s %s\n", "scenario", "ops", "keys",
               "clients", "gen_s", "check_s", "ops/s", "states", "result", "stale_s", "stale");
        for (size_t i = 0; i < sizeof(scen) / sizeof(scen[0]); i++)
                for (size_t n = 10000; n <= max_ops; n *= 10)
                        bad |= run(&scen[i], n, seed, cdf);
        return bad;
}
