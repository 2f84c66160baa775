/* Invariants of the 2PC participant store's lock tables, checked from its internals by tests. */
#ifndef BL_TESTS_TXN_STORE_CHECK_H
#define BL_TESTS_TXN_STORE_CHECK_H

#include "store/txn_int.h"

/* Position of ti in cell c's queue, or TXS_NONE. */
static inline uint32_t txs_test_qpos(const struct cell *c, uint32_t ti)
{
        for (uint32_t i = 0; i < c->nq; i++)
                if (c->q[i].t == ti)
                        return i;
        return TXS_NONE;
}

static inline int txs_test_older(const struct txrec *a, const struct txrec *b)
{
        return a->ts < b->ts || (a->ts == b->ts && a->id < b->id);
}

/*
 * Everything the lock manager relies on, from scratch:
 *  - a queue is holders then waiters; holders share only S; a waiter exists
 *    only under wait-die, behind at least one holder it conflicts with;
 *  - a waiter is older than everyone ahead of it (wait-die: no deadlock);
 *  - every queue entry is a live transaction naming the key, holding it
 *    (key before its cursor) or waiting for it (key at its cursor);
 *  - every live transaction holds each key before its cursor and, if it
 *    waits, is queued at the key at its cursor; refs count them;
 *  - the counters agree with the table.
 */
static inline void txs_test_check(const struct bl_txs *s)
{
        uint64_t waiting = 0, in_doubt = 0, held = 0;

        for (size_t ci = 0; ci < s->ncells; ci++) {
                const struct cell *c = &s->cells[ci];
                uint32_t refs = 0;

                assert_true(c->nheld <= c->nq && c->nq <= c->capq && c->nq <= c->refs);
                assert_false(c->dirty);
                if (c->nq > c->nheld) {
                        assert_int_equal(s->cc, BL_TXS_WAIT_DIE);
                        assert_true(c->nheld > 0);
                        assert_false(c->q[c->nheld].mode == MODE_S && c->q[0].mode == MODE_S);
                }
                for (uint32_t i = 0; i < c->nq; i++) {
                        const struct txrec *t = &s->txns[c->q[i].t];
                        uint32_t k;

                        assert_true(txs_live(t));
                        for (k = 0; k < t->nkeys && t->keys[k].key != c->key; k++)
                                ;
                        assert_true(k < t->nkeys);
                        assert_int_equal(t->keys[k].cell, ci);
                        assert_int_equal(c->q[i].mode, t->keys[k].mode);
                        if (i < c->nheld) {
                                assert_true(k < t->cursor);
                                if (c->nheld > 1)
                                        assert_int_equal(c->q[i].mode, MODE_S);
                        } else {
                                assert_int_equal(t->state, BL_TXS_WAITING);
                                assert_int_equal(k, t->cursor);
                                for (uint32_t j = 0; j < i; j++)
                                        assert_true(txs_test_older(t, &s->txns[c->q[j].t]));
                        }
                }
                for (size_t ti = 0; ti < s->ntxns; ti++) {
                        const struct txrec *t = &s->txns[ti];

                        if (!txs_live(t))
                                continue;
                        for (uint32_t k = 0; k < t->nkeys; k++)
                                refs += t->keys[k].cell == ci;
                }
                assert_int_equal(refs, c->refs);
        }
        for (size_t ti = 0; ti < s->ntxns; ti++) {
                const struct txrec *t = &s->txns[ti];

                waiting += t->state == BL_TXS_WAITING;
                in_doubt += t->state == BL_TXS_PREPARED;
                held += t->state == BL_TXS_READ_HELD;
                if (!txs_live(t))
                        continue;
                assert_true(t->state == BL_TXS_WAITING ? t->cursor < t->nkeys
                                                       : t->cursor == t->nkeys);
                for (uint32_t k = 0; k < t->cursor; k++) {
                        uint32_t p = txs_test_qpos(&s->cells[t->keys[k].cell], (uint32_t)ti);

                        assert_true(p != TXS_NONE && p < s->cells[t->keys[k].cell].nheld);
                }
                if (t->state == BL_TXS_WAITING) {
                        const struct cell *c = &s->cells[t->keys[t->cursor].cell];
                        uint32_t p = txs_test_qpos(c, (uint32_t)ti);

                        assert_true(p != TXS_NONE && p >= c->nheld);
                }
                for (uint32_t k = t->cursor + (t->state == BL_TXS_WAITING); k < t->nkeys; k++)
                        assert_int_equal(txs_test_qpos(&s->cells[t->keys[k].cell], (uint32_t)ti),
                                         TXS_NONE);
                if (t->state == BL_TXS_PREPARED)
                        assert_false(t->bad);
        }
        assert_int_equal(waiting, s->st.waiting);
        assert_int_equal(in_doubt, s->st.in_doubt);
        assert_int_equal(held, s->st.read_held);
}

#endif
