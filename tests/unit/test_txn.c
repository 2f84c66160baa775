/* Unit tests for the transaction workload generators (src/load/txn.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "check/serial.h"
#include "check/txnhist.h"
#include "check/txnverdict.h"
#include "common/alloc.h"
#include "common/err.h"
#include "load/txn.h"
#include "store/kv.h"

#define TXNS 20000

static void init_ok(struct bl_txngen *g, const struct bl_txn_params *p)
{
        struct bl_errbuf eb = {{0}};

        if (bl_txngen_init(g, p, &eb) != 0)
                fail_msg("init: %s", eb.msg);
}

/* ---- parameters ---- */

static void test_params_refused(void **state)
{
        struct bl_txn_params p;
        struct bl_errbuf eb = {{0}};
        struct bl_txngen g;

        (void)state;
        bl_txn_params_default(&p, BL_TXW_YCSB_T);
        assert_int_equal(bl_txn_params_check(&p, &eb), 0);
        p.txn_keys = 0;
        assert_int_equal(bl_txngen_init(&g, &p, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "txn.keys = 0"));
        bl_txn_params_default(&p, BL_TXW_YCSB_T);
        p.theta = 1.0;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "zipf constant 1"));
        bl_txn_params_default(&p, BL_TXW_BANK);
        p.keys = 1;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "at least 2"));
        bl_txn_params_default(&p, BL_TXW_BANK);
        p.audit_accounts = 5000;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        bl_txn_params_default(&p, BL_TXW_LIST_APPEND);
        p.min_ops = 5;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "micro-ops 5..4"));
        bl_txn_params_default(&p, BL_TXW_LIST_APPEND);
        p.session = 1;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        p.type = (enum bl_txn_workload)7;
        assert_int_equal(bl_txn_params_check(&p, &eb), BL_EINVAL);
        assert_string_equal(bl_txn_workload_name(BL_TXW_LIST_APPEND), "list-append");
}

static void test_params_from_config(void **state)
{
        struct bl_config cfg;
        struct bl_txn_params p;

        (void)state;
        bl_config_defaults(&cfg);
        cfg.experiment.seed = 9;
        cfg.cluster.shards = 3;
        cfg.store.records = 500;
        cfg.workload.distribution = BL_DIST_UNIFORM;
        cfg.workload.zipf_constant = 0.5;
        bl_txn_params_from_config(&p, BL_TXW_YCSB_T, &cfg, 2, 4);
        assert_int_equal(p.seed, 9);
        assert_int_equal(p.shards, 3);
        assert_int_equal(p.keys, 500);
        assert_int_equal(p.session, 2);
        assert_int_equal(p.nsessions, 4);
        assert_int_equal(p.dist, BL_DIST_UNIFORM);
        assert_int_equal(p.txn_keys, 4);
        assert_int_equal(bl_txn_params_check(&p, NULL), 0);
        /* txn.keys and the [bank] options reach the generator. */
        cfg.txn.keys = 7;
        cfg.bank.initial_balance = 50;
        cfg.bank.max_transfer = 9;
        cfg.bank.audit_fraction = 0.25;
        cfg.bank.audit_accounts = 12;
        cfg.bank.cross_shard = 0.5;
        bl_txn_params_from_config(&p, BL_TXW_BANK, &cfg, 0, 1);
        assert_int_equal(p.txn_keys, 7);
        assert_int_equal(p.initial_balance, 50);
        assert_int_equal(p.max_transfer, 9);
        assert_true(p.audit_frac == 0.25);
        assert_int_equal(p.audit_accounts, 12);
        assert_true(p.cross_shard == 0.5);
        assert_int_equal(bl_txn_params_check(&p, NULL), 0);
}

/* ---- determinism ---- */

static void same_stream(enum bl_txn_workload type)
{
        struct bl_txn_params p;
        struct bl_txngen a, b, c;
        int differ = 0;

        bl_txn_params_default(&p, type);
        p.nsessions = 2;
        p.audit_accounts = 10;
        init_ok(&a, &p);
        init_ok(&b, &p);
        p.session = 1;
        init_ok(&c, &p);
        for (int i = 0; i < 2000; i++) {
                const struct bl_txn_req *x = bl_txngen_next(&a);
                const struct bl_txn_req *y = bl_txngen_next(&b);
                const struct bl_txn_req *z = bl_txngen_next(&c);

                assert_int_equal(x->cls, y->cls);
                assert_int_equal(x->nops, y->nops);
                for (uint32_t k = 0; k < x->nops; k++) {
                        assert_int_equal(x->ops[k].kind, y->ops[k].kind);
                        assert_int_equal(x->ops[k].key, y->ops[k].key);
                        assert_int_equal(x->ops[k].arg, y->ops[k].arg);
                        differ |= k >= z->nops || x->ops[k].key != z->ops[k].key;
                }
        }
        assert_true(differ);
        bl_txngen_free(&a);
        bl_txngen_free(&b);
        bl_txngen_free(&c);
}

static void test_deterministic(void **state)
{
        (void)state;
        same_stream(BL_TXW_BANK);
        same_stream(BL_TXW_YCSB_T);
        same_stream(BL_TXW_LIST_APPEND);
}

/* ---- bank ---- */

static void test_bank_shape(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g;
        uint64_t audits = 0, transfers = 0, cross = 0;

        (void)state;
        bl_txn_params_default(&p, BL_TXW_BANK);
        p.shards = 4;
        init_ok(&g, &p);
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);

                if (t->cls == BL_TXC_AUDIT) {
                        audits++;
                        assert_int_equal(t->nops, p.keys);
                        for (uint32_t k = 0; k < t->nops; k++) {
                                assert_int_equal(t->ops[k].kind, BL_TXOP_READ);
                                assert_int_equal(t->ops[k].key, k);
                        }
                        continue;
                }
                assert_int_equal(t->cls, BL_TXC_TRANSFER);
                assert_int_equal(t->nops, 2);
                assert_int_equal(t->ops[0].kind, BL_TXOP_ADD);
                assert_int_equal(t->ops[1].kind, BL_TXOP_ADD);
                assert_true(t->ops[0].key != t->ops[1].key);
                assert_true(t->ops[0].key < p.keys && t->ops[1].key < p.keys);
                assert_true(t->ops[1].arg >= 1 && t->ops[1].arg <= p.max_transfer);
                assert_true(t->ops[0].arg == -t->ops[1].arg);
                transfers++;
                cross += bl_shard_of(t->ops[0].key, 4) != bl_shard_of(t->ops[1].key, 4);
        }
        /* 10% audits; 90% chosen cross-shard plus 3/4 of the other 10%. */
        assert_true(audits > TXNS * 0.08 && audits < TXNS * 0.12);
        assert_true(cross > transfers * 0.95 && cross < transfers * 0.99);
        bl_txngen_free(&g);
}

static void test_bank_partial_audits(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g;
        uint64_t hits[100] = {0}, audits = 0;

        (void)state;
        bl_txn_params_default(&p, BL_TXW_BANK);
        p.keys = 100;
        p.audit_accounts = 10;
        p.audit_frac = 0.5;
        init_ok(&g, &p);
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);
                uint8_t seen[100] = {0};

                if (t->cls != BL_TXC_AUDIT)
                        continue;
                audits++;
                assert_int_equal(t->nops, 10);
                for (uint32_t k = 0; k < t->nops; k++) {
                        assert_true(t->ops[k].key < 100);
                        assert_false(seen[t->ops[k].key]);
                        seen[t->ops[k].key] = 1;
                        hits[t->ops[k].key]++;
                }
        }
        /* Uniform sets: each account in about 1 audit in 10. */
        for (int a = 0; a < 100; a++)
                assert_true(hits[a] > audits / 10 * 0.8 && hits[a] < audits / 10 * 1.2);
        bl_txngen_free(&g);
}

/*
 * Run the bank serially, as a correct commit layer would (a transfer that
 * would overdraw aborts), and judge it with the bank verdict: it passes. A
 * layer that applies overdrawing transfers anyway is caught.
 */
static int run_bank(int allow_overdraft, struct bl_verdict *v)
{
        struct bl_txn_params p;
        struct bl_txngen g;
        int64_t bal[50];
        struct bl_bank_audit *au = bl_calloc(TXNS, sizeof(*au));
        int64_t *store = bl_calloc((size_t)TXNS * 50, sizeof(*store));
        uint64_t *acct = bl_calloc(50, sizeof(*acct));
        size_t na = 0;
        uint64_t aborts = 0;
        int rc;

        assert_non_null(au);
        assert_non_null(store);
        assert_non_null(acct);
        bl_txn_params_default(&p, BL_TXW_BANK);
        p.keys = 50;
        p.initial_balance = 20;
        p.max_transfer = 30;
        init_ok(&g, &p);
        for (int a = 0; a < 50; a++) {
                bal[a] = p.initial_balance;
                acct[a] = (uint64_t)a;
        }
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);

                if (t->cls == BL_TXC_AUDIT) {
                        for (uint32_t k = 0; k < t->nops; k++)
                                store[na * 50 + k] = bal[t->ops[k].key];
                        au[na] =
                            (struct bl_bank_audit){(uint64_t)i, t->nops, acct, store + na * 50};
                        na++;
                        continue;
                }
                if (!allow_overdraft && bal[t->ops[0].key] + t->ops[0].arg < 0) {
                        aborts++;
                        continue;
                }
                bal[t->ops[0].key] += t->ops[0].arg;
                bal[t->ops[1].key] += t->ops[1].arg;
        }
        assert_true(allow_overdraft || aborts > 0);
        rc = bl_check_bank(50 * p.initial_balance, 50, au, na, bal, v);
        bl_txngen_free(&g);
        bl_free(au);
        bl_free(store);
        bl_free(acct);
        return rc;
}

static void test_bank_verdict_on_generated_runs(void **state)
{
        struct bl_verdict v;

        (void)state;
        assert_int_equal(run_bank(0, &v), 0);
        if (v.pass != BL_VERDICT_PASS)
                fail_msg("correct bank judged %d: %s", v.pass, v.reason);
        assert_int_equal(run_bank(1, &v), 0);
        assert_int_equal(v.pass, BL_VERDICT_FAIL);
        assert_non_null(strstr(v.reason, "below zero"));
}

/* ---- ycsb-t ---- */

static void test_ycsbt(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g;
        uint64_t *count = bl_calloc(10000, sizeof(*count)), top = 0, last = 0;

        (void)state;
        assert_non_null(count);
        bl_txn_params_default(&p, BL_TXW_YCSB_T);
        p.session = 3;
        p.nsessions = 4;
        init_ok(&g, &p);
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);

                assert_int_equal(t->cls, BL_TXC_RMW);
                assert_int_equal(t->nops, 4);
                for (uint32_t k = 0; k < t->nops; k++) {
                        uint64_t v = (uint64_t)t->ops[k].arg;

                        assert_int_equal(t->ops[k].kind, BL_TXOP_RMW);
                        assert_true(t->ops[k].key < 10000);
                        for (uint32_t j = 0; j < k; j++)
                                assert_true(t->ops[j].key != t->ops[k].key);
                        /* Unique values: session 3's, counting up. */
                        assert_int_equal(v >> 32, 4);
                        assert_true(v > last);
                        last = v;
                        count[t->ops[k].key]++;
                }
        }
        for (int k = 0; k < 10000; k++)
                top = count[k] > top ? count[k] : top;
        /* Zipfian 0.99: the hottest key gets several % of the 80,000 draws;
         * uniform would give it about 8 (+ noise). */
        assert_true(top > 1000);
        bl_txngen_free(&g);

        memset(count, 0, 10000 * sizeof(*count));
        p.dist = BL_DIST_UNIFORM;
        init_ok(&g, &p);
        top = 0;
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);

                for (uint32_t k = 0; k < t->nops; k++)
                        count[t->ops[k].key]++;
        }
        for (int k = 0; k < 10000; k++)
                top = count[k] > top ? count[k] : top;
        assert_true(top < 40);
        bl_txngen_free(&g);
        bl_free(count);
}

/* Every key of a tiny key space, drawn with heavy skew, still completes. */
static void test_ycsbt_all_keys(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g;

        (void)state;
        bl_txn_params_default(&p, BL_TXW_YCSB_T);
        p.keys = 16;
        p.txn_keys = 16;
        p.dist = BL_DIST_ZIPFIAN;
        p.theta = 0.99;
        init_ok(&g, &p);
        for (int i = 0; i < 100; i++)
                assert_int_equal(bl_txngen_next(&g)->nops, 16);
        bl_txngen_free(&g);
}

/* ---- list-append ---- */

static void test_list_append_shape(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g;
        uint64_t appends = 0, reads = 0, per_gen[4096] = {0}, maxkey = 0;
        uint64_t last = 0;

        (void)state;
        bl_txn_params_default(&p, BL_TXW_LIST_APPEND);
        init_ok(&g, &p);
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g);

                assert_int_equal(t->cls, BL_TXC_LIST);
                assert_true(t->nops >= 1 && t->nops <= 4);
                for (uint32_t k = 0; k < t->nops; k++) {
                        const struct bl_txop *o = &t->ops[k];

                        maxkey = o->key > maxkey ? o->key : maxkey;
                        if (o->kind == BL_TXOP_READ) {
                                reads++;
                                continue;
                        }
                        assert_int_equal(o->kind, BL_TXOP_APPEND);
                        assert_true((uint64_t)o->arg > last);
                        last = (uint64_t)o->arg;
                        appends++;
                        assert_true(o->key / 8 < 4096);
                        per_gen[o->key / 8]++;
                }
        }
        assert_true(appends > reads * 0.9 && appends < reads * 1.1);
        /* Keys rotate: each generation of 8 keys gets 8 * 32 appends, give or
         * take the up to 3 that a transaction started near the end of a
         * generation carries over (they count towards the next one). */
        for (uint64_t gen = 0; gen < maxkey / 8; gen++)
                if (per_gen[gen] < 256 - 3 || per_gen[gen] > 256 + 3)
                        fail_msg("generation %llu: %llu appends", (unsigned long long)gen,
                                 (unsigned long long)per_gen[gen]);
        assert_true(maxkey / 8 + 1 >= appends / 256);
        bl_txngen_free(&g);
}

/*
 * Four sessions' list-append transactions, interleaved and executed one at a
 * time against lists, into two histories: the checker finds the first valid.
 * The second also holds, late in the run, a read that misses the last append
 * of a list (whose writer finished earlier) and then a read of the full list:
 * not strictly serializable.
 */
struct lists {
        uint64_t *v[4096];
        uint32_t n[4096];
};

static void exec_list(struct bl_txn_history *h1, struct bl_txn_history *h2, struct lists *l,
                      const struct bl_txn_req *t, uint64_t id, uint32_t client, uint64_t at)
{
        assert_int_equal(bl_txn_begin(h1, id, client, BL_OUT_OK, at, at + 5), 0);
        assert_int_equal(bl_txn_begin(h2, id, client, BL_OUT_OK, at, at + 5), 0);
        for (uint32_t k = 0; k < t->nops; k++) {
                uint64_t key = t->ops[k].key;

                assert_true(key < 4096);
                if (t->ops[k].kind == BL_TXOP_APPEND) {
                        uint64_t *nv = bl_realloc(l->v[key], (l->n[key] + 1) * sizeof(*nv));

                        assert_non_null(nv);
                        l->v[key] = nv;
                        nv[l->n[key]++] = (uint64_t)t->ops[k].arg;
                        assert_int_equal(bl_txn_append(h1, key, (uint64_t)t->ops[k].arg), 0);
                        assert_int_equal(bl_txn_append(h2, key, (uint64_t)t->ops[k].arg), 0);
                } else {
                        assert_int_equal(bl_txn_read(h1, key, l->v[key], l->n[key]), 0);
                        assert_int_equal(bl_txn_read(h2, key, l->v[key], l->n[key]), 0);
                }
        }
}

static void test_list_append_checked(void **state)
{
        struct bl_txn_params p;
        struct bl_txngen g[4];
        struct bl_txn_history h1, h2;
        struct bl_ser_result r;
        struct lists *l = bl_calloc(1, sizeof(*l));
        int staled = 0;

        (void)state;
        assert_non_null(l);
        bl_txn_history_init(&h1);
        bl_txn_history_init(&h2);
        for (uint32_t s = 0; s < 4; s++) {
                bl_txn_params_default(&p, BL_TXW_LIST_APPEND);
                p.session = s;
                p.nsessions = 4;
                init_ok(&g[s], &p);
        }
        for (int i = 0; i < TXNS; i++) {
                const struct bl_txn_req *t = bl_txngen_next(&g[i % 4]);
                uint64_t at = (uint64_t)i * 10, k = t->ops[0].key;

                exec_list(&h1, &h2, l, t, (uint64_t)i, (uint32_t)(i % 4), at);
                if (staled || i < TXNS / 2 || t->ops[0].kind != BL_TXOP_APPEND)
                        continue;
                /* Transaction i appended to k and completed at at + 5. */
                assert_int_equal(bl_txn_begin(&h2, TXNS + 1, 9, BL_OUT_OK, at + 6, at + 7), 0);
                assert_int_equal(bl_txn_read(&h2, k, l->v[k], l->n[k] - 1), 0);
                assert_int_equal(bl_txn_begin(&h2, TXNS + 2, 9, BL_OUT_OK, at + 8, at + 9), 0);
                assert_int_equal(bl_txn_read(&h2, k, l->v[k], l->n[k]), 0);
                staled = 1;
        }
        assert_true(staled);
        assert_int_equal(bl_ser_check(&h1, NULL, &r), 0);
        if (r.strict != 1)
                fail_msg("valid list-append run judged: %s", r.reason);
        assert_int_equal(r.txns, TXNS);
        assert_int_equal(bl_ser_check(&h2, NULL, &r), 0);
        assert_int_equal(r.strict, 0);
        assert_true(r.found & (1u << BL_SER_G2_ITEM_RT));
        bl_txn_history_free(&h1);
        bl_txn_history_free(&h2);
        for (int k = 0; k < 4096; k++)
                bl_free(l->v[k]);
        bl_free(l);
        for (int s = 0; s < 4; s++)
                bl_txngen_free(&g[s]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_params_refused),
            cmocka_unit_test(test_params_from_config),
            cmocka_unit_test(test_deterministic),
            cmocka_unit_test(test_bank_shape),
            cmocka_unit_test(test_bank_partial_audits),
            cmocka_unit_test(test_bank_verdict_on_generated_runs),
            cmocka_unit_test(test_ycsbt),
            cmocka_unit_test(test_ycsbt_all_keys),
            cmocka_unit_test(test_list_append_shape),
            cmocka_unit_test(test_list_append_checked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
