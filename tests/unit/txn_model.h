/*
 * Valid list-append histories for tests and benchmarks: random transactions
 * executed one at a time against a model, so the history is strictly
 * serializable by construction.
 *
 * Closed-loop clients issue transactions back to back; each transaction takes
 * effect at a random instant inside its interval, and the model runs them in
 * the order of those instants (which respects real time). Keys rotate: a
 * window of `active_keys` keys moves on every ~writes_per_key appends per key,
 * as Jepsen's list-append generator does, so lists stay short. A share of
 * transactions has an unknown outcome (it takes effect or not, by a coin;
 * its reads are not known) or fails (no effect).
 *
 * Header-only (static functions) so tests and tools/bench-serial.c share it.
 */
#ifndef BL_TESTS_TXN_MODEL_H
#define BL_TESTS_TXN_MODEL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/txnhist.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"

struct model_opts {
        uint64_t seed;
        uint32_t clients;
        size_t txns;
        uint32_t active_keys;
        uint32_t writes_per_key;
        uint32_t max_mops; /* micro-ops per transaction: 1 .. max_mops */
        double unknown_frac;
        double fail_frac;
};

struct model_plan {
        uint64_t lin; /* when it takes effect */
        uint64_t invoke, complete;
        uint32_t client;
        uint32_t index;
        uint8_t outcome;
        uint8_t applies;
};

struct model_list {
        uint64_t *v;
        uint32_t n, cap;
};

static int model_cmp_lin(const void *a, const void *b)
{
        const struct model_plan *x = a, *y = b;

        if (x->lin != y->lin)
                return x->lin < y->lin ? -1 : 1;
        return (x->index > y->index) - (x->index < y->index);
}

static void model_opts_default(struct model_opts *o)
{
        o->seed = 1;
        o->clients = 16;
        o->txns = 1000;
        o->active_keys = 8;
        o->writes_per_key = 32;
        o->max_mops = 4;
        o->unknown_frac = 0.0;
        o->fail_frac = 0.0;
}

/* Fill h (appended to) with o->txns transactions. Returns 0 or BL_ENOMEM. */
static int model_history(const struct model_opts *o, struct bl_txn_history *h)
{
        struct model_plan *p = bl_calloc(o->txns ? o->txns : 1, sizeof(*p));
        uint64_t *clock = bl_calloc(o->clients, sizeof(*clock));
        /* Mean appends per transaction: half of (1 + max_mops) / 2 micro-ops. */
        double appends = (1.0 + o->max_mops) / 4.0;
        uint64_t per_gen = (uint64_t)(o->active_keys * o->writes_per_key / appends) + 1;
        size_t nkeys = (size_t)(o->txns / per_gen + 1) * o->active_keys;
        struct model_list *lists = bl_calloc(nkeys, sizeof(*lists));
        uint64_t value = 1;
        struct bl_rng rng;
        int rc = BL_ENOMEM;

        if (p == NULL || clock == NULL || lists == NULL)
                goto out_free;
        bl_rng_seed(&rng, o->seed, 0);
        for (uint32_t c = 0; c < o->clients; c++)
                clock[c] = bl_rng_below(&rng, 100000);
        for (size_t i = 0; i < o->txns; i++) {
                uint32_t c = (uint32_t)(i % o->clients);
                uint64_t dur = 50000 + bl_rng_below(&rng, 100000);
                double roll = bl_rng_double(&rng);

                p[i].index = (uint32_t)i;
                p[i].client = c;
                p[i].invoke = clock[c];
                p[i].complete = clock[c] + dur;
                p[i].lin = p[i].invoke + bl_rng_below(&rng, dur + 1);
                p[i].outcome = BL_OUT_OK;
                p[i].applies = 1;
                if (roll < o->unknown_frac) {
                        p[i].outcome = BL_OUT_UNKNOWN;
                        p[i].applies = (uint8_t)bl_rng_below(&rng, 2);
                } else if (roll < o->unknown_frac + o->fail_frac) {
                        p[i].outcome = BL_OUT_FAIL;
                        p[i].applies = 0;
                }
                clock[c] = p[i].complete + bl_rng_below(&rng, 5000);
        }
        qsort(p, o->txns, sizeof(*p), model_cmp_lin);
        for (size_t i = 0; i < o->txns; i++) {
                /* Contents depend on the transaction's index only, not on order. */
                struct bl_rng trng;
                uint64_t gen = p[i].index / per_gen;
                uint32_t nm;

                bl_rng_seed(&trng, o->seed, 1 + p[i].index);
                nm = 1 + (uint32_t)bl_rng_below(&trng, o->max_mops);
                if (bl_txn_begin(h, p[i].index, p[i].client, p[i].outcome, p[i].invoke,
                                 p[i].complete) != 0)
                        goto out_free;
                for (uint32_t j = 0; j < nm; j++) {
                        uint64_t key = gen * o->active_keys + bl_rng_below(&trng, o->active_keys);
                        struct model_list *l = &lists[key];

                        if (bl_rng_below(&trng, 2) == 0) {
                                uint64_t v = value++;

                                if (bl_txn_append(h, key, v) != 0)
                                        goto out_free;
                                if (!p[i].applies)
                                        continue;
                                if (l->n == l->cap) {
                                        uint32_t cap = l->cap ? 2 * l->cap : 16;
                                        uint64_t *nv = bl_realloc(l->v, cap * sizeof(*nv));

                                        if (nv == NULL)
                                                goto out_free;
                                        l->v = nv;
                                        l->cap = cap;
                                }
                                l->v[l->n++] = v;
                        } else if (p[i].outcome == BL_OUT_OK) {
                                if (bl_txn_read(h, key, l->v, l->n) != 0)
                                        goto out_free;
                        } else {
                                /* Reads of unknown or failed transactions are not known. */
                                if (bl_txn_read(h, key, NULL, 0) != 0)
                                        goto out_free;
                        }
                }
        }
        rc = 0;
out_free:
        if (lists != NULL)
                for (size_t k = 0; k < nkeys; k++)
                        bl_free(lists[k].v);
        bl_free(lists);
        bl_free(clock);
        bl_free(p);
        return rc;
}

#endif
