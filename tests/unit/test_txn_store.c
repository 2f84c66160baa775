/* Unit tests for the 2PC participant store (src/store/txn*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/cmd.h"
#include "store/kv.h"
#include "store/txn.h"
#include "txn_store_check.h"

#define INITIAL 100u

#define R(k)    ((struct bl_txs_op){BL_TXS_READ, (k), 0})
#define W(k, v) ((struct bl_txs_op){BL_TXS_WRITE, (k), (v)})
#define A(k, d) ((struct bl_txs_op){BL_TXS_ADD, (k), (uint64_t)(int64_t)(d)})
#define P(k, v) ((struct bl_txs_op){BL_TXS_APPEND, (k), (v)})
#define OPS(...)                                                                                   \
        (const struct bl_txs_op[]){__VA_ARGS__},                                                   \
            (uint32_t)(sizeof((struct bl_txs_op[]){__VA_ARGS__}) / sizeof(struct bl_txs_op))

static struct bl_txs *new_store(int cc)
{
        struct bl_txs *s = bl_txs_create(0, 1, cc, INITIAL);

        assert_non_null(s);
        return s;
}

/* PREPARE txn with timestamp ts; asserts the vote (and reason for NO). */
static struct bl_txs_vote_msg prep_ts(struct bl_txs *s, uint64_t txn, uint64_t ts,
                                      const struct bl_txs_op *ops, uint32_t nops, int vote,
                                      int reason)
{
        struct bl_txs_vote_msg v;

        assert_int_equal(
            bl_txs_prepare(s, txn, ts, 7, BL_TXS_RELEASE_READS, ops, nops, txn, 1000 * txn, &v), 0);
        assert_int_equal(v.txn, txn);
        assert_int_equal(v.vote, vote);
        if (vote == BL_TXS_NO)
                assert_int_equal(v.reason, reason);
        return v;
}

static struct bl_txs_vote_msg prep(struct bl_txs *s, uint64_t txn, const struct bl_txs_op *ops,
                                   uint32_t nops, int vote, int reason)
{
        return prep_ts(s, txn, txn, ops, nops, vote, reason);
}

static void decide(struct bl_txs *s, uint64_t txn, int commit, int want_rc)
{
        assert_int_equal(bl_txs_decide(s, txn, commit, 0, 0), want_rc);
}

static void assert_state(const struct bl_txs *s, uint64_t txn, int state)
{
        struct bl_txs_info info;

        assert_int_equal(bl_txs_info(s, txn, &info), 0);
        assert_int_equal(info.state, state);
}

/* The next ready vote is txn's, with `vote`. */
static struct bl_txs_vote_msg assert_ready(struct bl_txs *s, uint64_t txn, int vote)
{
        struct bl_txs_vote_msg v;

        assert_int_equal(bl_txs_next_vote(s, &v), 1);
        assert_int_equal(v.txn, txn);
        assert_int_equal(v.vote, vote);
        return v;
}

static void assert_no_ready(struct bl_txs *s)
{
        struct bl_txs_vote_msg v;

        assert_int_equal(bl_txs_next_vote(s, &v), 0);
}

static void snapshot(const struct bl_txs *s, void **buf, size_t *len)
{
        assert_int_equal(bl_txs_snapshot(s, buf, len), 0);
        assert_non_null(*buf);
}

static void assert_same_snapshot(const struct bl_txs *a, const struct bl_txs *b)
{
        void *x, *y;
        size_t lx, ly;

        snapshot(a, &x, &lx);
        snapshot(b, &y, &ly);
        assert_int_equal(lx, ly);
        assert_memory_equal(x, y, lx);
        assert_int_equal(bl_txs_digest(a), bl_txs_digest(b));
        bl_free(x);
        bl_free(y);
}

/* ---- basics ---- */

static void test_commit_applies_writes(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_vote_msg v;
        const uint64_t *log;
        struct bl_txs_info info;

        (void)state;
        v = prep(s, 1, OPS(R(5), W(5, 42), R(5), A(6, -30), R(6)), BL_TXS_YES, 0);
        assert_int_equal(v.nreads, 5);
        assert_int_equal(v.reads[0].value, INITIAL); /* before its own write */
        assert_int_equal(v.reads[2].value, 42);      /* after it */
        assert_int_equal(v.reads[4].value, INITIAL - 30);
        assert_int_equal(v.reads[1].value, 0); /* not a read */
        /* nothing applied before the decision */
        assert_int_equal(bl_txs_value(s, 5), INITIAL);
        assert_int_equal(bl_txs_value(s, 6), INITIAL);
        assert_state(s, 1, BL_TXS_PREPARED);
        assert_int_equal(bl_txs_commit_log(s, &log), 0);

        decide(s, 1, 1, 0);
        assert_int_equal(bl_txs_value(s, 5), 42);
        assert_int_equal(bl_txs_value(s, 6), INITIAL - 30);
        assert_state(s, 1, BL_TXS_COMMITTED);
        assert_int_equal(bl_txs_commit_log(s, &log), 1);
        assert_int_equal(log[0], 1);
        assert_int_equal(bl_txs_info(s, 1, &info), 0);
        assert_int_equal(info.vote, BL_TXS_YES);
        assert_int_equal(info.coord, 7);
        assert_int_equal(bl_txs_info(s, 99, &info), BL_ENOTFOUND);

        /* aborting leaves the values alone */
        prep(s, 2, OPS(W(5, 9)), BL_TXS_YES, 0);
        decide(s, 2, 0, 0);
        assert_int_equal(bl_txs_value(s, 5), 42);
        assert_state(s, 2, BL_TXS_ABORTED);
        assert_int_equal(bl_txs_commit_log(s, &log), 1);
        bl_txs_destroy(s);
}

static void test_create_args(void **state)
{
        (void)state;
        assert_null(bl_txs_create(2, 2, BL_TXS_NO_WAIT, 0));
        assert_null(bl_txs_create(-1, 2, BL_TXS_NO_WAIT, 0));
        assert_null(bl_txs_create(0, 1, 7, 0));
        bl_txs_destroy(NULL);
        assert_string_equal(bl_txs_reason_name(BL_TXS_R_CONSTRAINT), "constraint");
        assert_string_equal(bl_txs_reason_name(BL_TXS_R_LOCK), "lock");
        assert_string_equal(bl_txs_reason_name(99), "?");
        assert_string_equal(bl_txs_vote_name(BL_TXS_READ_ONLY), "read-only");
        assert_string_equal(bl_txs_vote_name(-1), "?");
}

static void test_bad_prepare_changes_nothing(void **state)
{
        struct bl_txs *s = bl_txs_create(1, 4, BL_TXS_NO_WAIT, INITIAL);
        struct bl_txs_op bad = {BL_TXS_OP__COUNT, 0, 0};
        struct bl_txs_vote_msg v;
        uint64_t mine = 0, other = 0, d;
        struct bl_txs_info info;

        (void)state;
        assert_non_null(s);
        while (bl_shard_of(mine, 4) != 1)
                mine++;
        while (bl_shard_of(other, 4) == 1)
                other++;
        prep(s, 1, OPS(W(mine, 1)), BL_TXS_YES, 0);
        d = bl_txs_digest(s);
        assert_int_equal(bl_txs_prepare(s, 2, 2, 0, BL_TXS_RELEASE_READS,
                                        OPS(W(mine, 2), W(other, 3)), 0, 0, &v),
                         BL_EINVAL);
        bad.key = mine;
        assert_int_equal(bl_txs_prepare(s, 3, 3, 0, BL_TXS_RELEASE_READS, &bad, 1, 0, 0, &v),
                         BL_EINVAL);
        assert_int_equal(
            bl_txs_prepare(s, 4, 4, 0, BL_TXS_RELEASE_READS, NULL, BL_TXS_MAX_OPS + 1, 0, 0, &v),
            BL_EINVAL);
        assert_int_equal(bl_txs_digest(s), d);
        assert_int_equal(bl_txs_info(s, 2, &info), BL_ENOTFOUND);
        assert_int_equal(bl_txs_info(s, 3, &info), BL_ENOTFOUND);
        bl_txs_destroy(s);
}

/* ---- no-wait ---- */

static void test_no_wait_conflicts(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_stats st;

        (void)state;
        prep(s, 1, OPS(W(1, 11)), BL_TXS_YES, 0);
        prep(s, 2, OPS(R(1)), BL_TXS_NO, BL_TXS_R_LOCK);     /* S vs X */
        prep(s, 3, OPS(W(1, 12)), BL_TXS_NO, BL_TXS_R_LOCK); /* X vs X */
        /* a lock conflict on one key frees the others it took */
        prep(s, 4, OPS(W(0, 5), W(1, 13)), BL_TXS_NO, BL_TXS_R_LOCK);
        prep(s, 5, OPS(W(0, 6)), BL_TXS_YES, 0);

        /* S locks share; X waits for none of them: it fails */
        prep(s, 6, OPS(R(2), W(3, 1)), BL_TXS_YES, 0);
        prep(s, 7, OPS(R(2), W(4, 1)), BL_TXS_YES, 0);
        prep(s, 8, OPS(A(2, 1)), BL_TXS_NO, BL_TXS_R_LOCK);
        decide(s, 6, 1, 0);
        prep(s, 9, OPS(P(2, 1)), BL_TXS_NO, BL_TXS_R_LOCK); /* 7 still reads 2 */
        decide(s, 7, 0, 0);
        prep(s, 10, OPS(P(2, 1)), BL_TXS_YES, 0);

        /* releasing at commit makes the key free again */
        decide(s, 1, 1, 0);
        prep(s, 11, OPS(R(1)), BL_TXS_READ_ONLY, 0);

        bl_txs_stats(s, &st);
        assert_int_equal(st.no_votes[BL_TXS_R_LOCK], 5);
        assert_int_equal(st.in_doubt, 2); /* 5 and 10 */
        assert_int_equal(st.waiting, 0);
        assert_int_equal(st.committed, 2);
        assert_int_equal(st.read_only, 1);
        assert_int_equal(st.aborted, 6); /* five NO votes and 7 */
        assert_no_ready(s);
        bl_txs_destroy(s);
}

/* ---- wait-die ---- */

static void test_wait_die_order_and_wakeup(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_vote_msg v;
        struct bl_txs_stats st;

        (void)state;
        prep_ts(s, 1, 10, OPS(W(1, 1)), BL_TXS_YES, 0);
        prep_ts(s, 2, 20, OPS(W(1, 2)), BL_TXS_NO, BL_TXS_R_LOCK); /* younger dies */
        prep_ts(s, 3, 5, OPS(R(1), W(1, 3)), BL_TXS_PENDING, 0);   /* older waits */
        prep_ts(s, 4, 3, OPS(R(1), W(1, 4)), BL_TXS_PENDING, 0);   /* older than all */
        prep_ts(s, 5, 4, OPS(R(1)), BL_TXS_NO, BL_TXS_R_LOCK);     /* 4 waits: younger */
        assert_state(s, 3, BL_TXS_WAITING);
        bl_txs_stats(s, &st);
        assert_int_equal(st.waiting, 2);
        assert_int_equal(st.in_doubt, 1);
        assert_no_ready(s);

        /* a duplicate PREPARE of a waiter says pending */
        prep_ts(s, 3, 5, OPS(R(1), W(1, 3)), BL_TXS_PENDING, 0);

        decide(s, 1, 1, 0);
        v = assert_ready(s, 3, BL_TXS_YES); /* FIFO: 3 first */
        assert_int_equal(v.nreads, 2);
        assert_int_equal(v.reads[0].value, 1); /* read when granted: 1's write */
        assert_no_ready(s);
        assert_state(s, 4, BL_TXS_WAITING);

        decide(s, 3, 1, 0);
        v = assert_ready(s, 4, BL_TXS_YES);
        assert_int_equal(v.reads[0].value, 3);
        decide(s, 4, 1, 0);
        assert_int_equal(bl_txs_value(s, 1), 4);
        bl_txs_stats(s, &st);
        assert_int_equal(st.waiting, 0);
        assert_int_equal(st.in_doubt, 0);
        assert_int_equal(st.committed, 3);
        bl_txs_destroy(s);
}

static void test_wait_die_shared_grants(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);

        (void)state;
        prep_ts(s, 1, 100, OPS(W(1, 1)), BL_TXS_YES, 0);
        /* three older waiters: S, S, then X, then S again */
        prep_ts(s, 2, 50, OPS(R(1), W(10, 1)), BL_TXS_PENDING, 0);
        prep_ts(s, 3, 40, OPS(R(1), W(11, 1)), BL_TXS_PENDING, 0);
        prep_ts(s, 4, 30, OPS(W(1, 4)), BL_TXS_PENDING, 0);
        prep_ts(s, 5, 20, OPS(R(1), W(12, 1)), BL_TXS_PENDING, 0);
        decide(s, 1, 0, 0);
        /* both S waiters at the head are granted together, X stops the rest */
        assert_ready(s, 2, BL_TXS_YES);
        assert_ready(s, 3, BL_TXS_YES);
        assert_no_ready(s);
        decide(s, 2, 1, 0);
        assert_no_ready(s); /* 3 still reads */
        decide(s, 3, 1, 0);
        assert_ready(s, 4, BL_TXS_YES);
        assert_no_ready(s);
        decide(s, 4, 1, 0);
        assert_ready(s, 5, BL_TXS_YES);
        assert_int_equal(bl_txs_value(s, 1), 4);
        bl_txs_destroy(s);
}

static void test_wait_die_cascade(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_vote_msg v;

        (void)state;
        /* 1 holds key 1, 2 holds key 2 (2 is older than 3, younger than... ) */
        prep_ts(s, 1, 100, OPS(W(1, 1)), BL_TXS_YES, 0);
        prep_ts(s, 2, 10, OPS(W(2, 2)), BL_TXS_YES, 0);
        /* 3 (ts 50) waits on key 1; once granted it needs key 2, held by an
         * older one: it dies then, and the key 1 it got goes to 4 */
        prep_ts(s, 3, 50, OPS(W(1, 3), W(2, 3)), BL_TXS_PENDING, 0);
        prep_ts(s, 4, 40, OPS(R(1)), BL_TXS_PENDING, 0);
        decide(s, 1, 1, 0);
        v = assert_ready(s, 3, BL_TXS_NO);
        assert_int_equal(v.reason, BL_TXS_R_LOCK);
        v = assert_ready(s, 4, BL_TXS_READ_ONLY);
        assert_int_equal(v.reads[0].value, 1);
        assert_no_ready(s);
        assert_state(s, 3, BL_TXS_ABORTED);
        /* and a waiter granted on every key goes on to vote YES */
        prep_ts(s, 5, 5, OPS(W(2, 5), W(3, 5)), BL_TXS_PENDING, 0);
        decide(s, 2, 1, 0);
        assert_ready(s, 5, BL_TXS_YES);
        bl_txs_destroy(s);
}

static void test_abort_waiting(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_stats st;

        (void)state;
        prep_ts(s, 1, 100, OPS(W(1, 1)), BL_TXS_YES, 0);
        prep_ts(s, 2, 50, OPS(W(1, 2)), BL_TXS_PENDING, 0);
        prep_ts(s, 3, 40, OPS(W(1, 3)), BL_TXS_PENDING, 0);
        decide(s, 2, 0, 0); /* the coordinator gave up on 2 */
        assert_state(s, 2, BL_TXS_ABORTED);
        bl_txs_stats(s, &st);
        assert_int_equal(st.waiting, 1);
        assert_no_ready(s);
        prep_ts(s, 2, 50, OPS(W(1, 2)), BL_TXS_NO, BL_TXS_R_ABORTED);
        decide(s, 1, 1, 0);
        assert_ready(s, 3, BL_TXS_YES);
        /* a vote queued and then overtaken by an abort is not reported */
        prep_ts(s, 4, 30, OPS(W(1, 4)), BL_TXS_PENDING, 0);
        decide(s, 3, 1, 0);
        decide(s, 4, 0, 0);
        assert_no_ready(s);
        assert_int_equal(bl_txs_value(s, 1), 3);
        bl_txs_destroy(s);
}

/* ---- read-only, constraint, presumed abort, duplicates ---- */

static void test_read_only(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_vote_msg v;
        const uint64_t *log;

        (void)state;
        prep(s, 1, OPS(W(3, 33)), BL_TXS_YES, 0);
        decide(s, 1, 1, 0);
        v = prep(s, 2, OPS(R(3), R(4)), BL_TXS_READ_ONLY, 0);
        assert_int_equal(v.reads[0].value, 33);
        assert_int_equal(v.reads[1].value, INITIAL);
        assert_state(s, 2, BL_TXS_READ_DONE);
        /* its S locks are gone already: a writer gets them */
        prep(s, 3, OPS(W(3, 1), W(4, 1)), BL_TXS_YES, 0);
        /* a DECIDE for it changes nothing; it is not in the commit log */
        decide(s, 2, 1, 0);
        decide(s, 2, 0, 0);
        assert_state(s, 2, BL_TXS_READ_DONE);
        prep(s, 2, OPS(R(3), R(4)), BL_TXS_READ_ONLY, 0);
        assert_int_equal(bl_txs_commit_log(s, &log), 1);
        /* an empty op list is read-only too */
        prep(s, 4, NULL, 0, BL_TXS_READ_ONLY, 0);
        bl_txs_destroy(s);
}

/* Without BL_TXS_RELEASE_READS a read-only participant keeps its S locks
 * until the DECIDE, whichever it is. */
static void test_read_only_held(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_vote_msg v;
        struct bl_txs_stats st;
        const uint64_t *log;
        uint64_t d;

        (void)state;
        assert_int_equal(bl_txs_prepare(s, 1, 1, 0, 0, OPS(R(3), R(4)), 1, 1, &v), 0);
        assert_int_equal(v.vote, BL_TXS_READ_ONLY);
        assert_int_equal(v.reads[1].value, INITIAL);
        assert_state(s, 1, BL_TXS_READ_HELD);
        bl_txs_stats(s, &st);
        assert_int_equal(st.read_held, 1);
        assert_int_equal(st.in_doubt, 0);
        prep(s, 2, OPS(W(3, 1)), BL_TXS_NO, BL_TXS_R_LOCK); /* still locked */
        prep(s, 3, OPS(R(4)), BL_TXS_READ_ONLY, 0);         /* S shares */
        d = bl_txs_digest(s);
        prep(s, 1, OPS(R(3), R(4)), BL_TXS_READ_ONLY, 0); /* duplicate */
        assert_int_equal(bl_txs_digest(s), d);
        decide(s, 1, 1, 0);
        assert_state(s, 1, BL_TXS_READ_DONE);
        assert_int_equal(bl_txs_commit_log(s, &log), 0);
        prep(s, 4, OPS(W(3, 1)), BL_TXS_YES, 0);
        decide(s, 1, 0, 0); /* late abort of a done reader: nothing */
        assert_state(s, 1, BL_TXS_READ_DONE);
        /* an abort releases too, and later PREPAREs are refused */
        assert_int_equal(bl_txs_prepare(s, 5, 5, 0, 0, OPS(R(6)), 5, 5, &v), 0);
        assert_state(s, 5, BL_TXS_READ_HELD);
        decide(s, 5, 0, 0);
        assert_state(s, 5, BL_TXS_ABORTED);
        prep(s, 5, OPS(R(6)), BL_TXS_NO, BL_TXS_R_ABORTED);
        prep(s, 6, OPS(W(6, 1)), BL_TXS_YES, 0);
        bl_txs_stats(s, &st);
        assert_int_equal(st.read_held, 0);
        /* unknown flags are refused */
        assert_int_equal(bl_txs_prepare(s, 7, 7, 0, 2, OPS(R(9)), 7, 7, &v), BL_EINVAL);
        bl_txs_destroy(s);
}

static void test_constraint(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_stats st;

        (void)state;
        prep(s, 1, OPS(A(1, -150), A(2, 150)), BL_TXS_NO, BL_TXS_R_CONSTRAINT);
        /* its locks went with the vote */
        prep(s, 2, OPS(A(1, -100), A(2, 100)), BL_TXS_YES, 0);
        decide(s, 2, 1, 0);
        assert_int_equal(bl_txs_value(s, 1), 0);
        assert_int_equal(bl_txs_value(s, 2), 200);
        prep(s, 3, OPS(A(1, -1)), BL_TXS_NO, BL_TXS_R_CONSTRAINT);
        /* below zero on the way counts, even if a later op comes back */
        prep(s, 4, OPS(A(2, -250), A(2, 100)), BL_TXS_NO, BL_TXS_R_CONSTRAINT);
        prep(s, 5, OPS(W(1, 7), A(1, -7)), BL_TXS_YES, 0);
        decide(s, 5, 1, 0);
        assert_int_equal(bl_txs_value(s, 1), 0);
        decide(s, 3, 1, BL_EINVAL); /* a NO voter cannot commit */
        bl_txs_stats(s, &st);
        assert_int_equal(st.no_votes[BL_TXS_R_CONSTRAINT], 3);
        bl_txs_destroy(s);
}

static void test_presumed_abort(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_info info;
        uint64_t d;

        (void)state;
        decide(s, 9, 1, BL_EINVAL); /* commit of the unknown: a coordinator bug */
        assert_int_equal(bl_txs_info(s, 9, &info), BL_ENOTFOUND);
        decide(s, 9, 0, 0);
        assert_state(s, 9, BL_TXS_ABORTED);
        d = bl_txs_digest(s);
        assert_int_not_equal(d, 0);
        /* the late PREPARE is refused and takes no lock */
        prep(s, 9, OPS(W(1, 9)), BL_TXS_NO, BL_TXS_R_ABORTED);
        assert_int_equal(bl_txs_digest(s), d);
        prep(s, 10, OPS(W(1, 10)), BL_TXS_YES, 0);
        /* an abort after YES: a later PREPARE is refused as well */
        decide(s, 10, 0, 0);
        prep(s, 10, OPS(W(1, 10)), BL_TXS_NO, BL_TXS_R_ABORTED);
        decide(s, 10, 1, BL_EINVAL);
        assert_int_equal(bl_txs_value(s, 1), INITIAL);
        bl_txs_destroy(s);
}

static void test_duplicates(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_vote_msg v;
        uint64_t d;

        (void)state;
        prep(s, 1, OPS(R(1), W(2, 5)), BL_TXS_YES, 0);
        d = bl_txs_digest(s);
        v = prep(s, 1, OPS(R(1), W(2, 5)), BL_TXS_YES, 0);
        assert_int_equal(v.nreads, 2);
        assert_int_equal(v.reads[0].value, INITIAL);
        assert_int_equal(bl_txs_digest(s), d);
        prep(s, 2, OPS(W(2, 6)), BL_TXS_NO, BL_TXS_R_LOCK);
        d = bl_txs_digest(s);
        prep(s, 2, OPS(W(2, 6)), BL_TXS_NO, BL_TXS_R_LOCK);
        assert_int_equal(bl_txs_digest(s), d);
        decide(s, 1, 1, 0);
        d = bl_txs_digest(s);
        decide(s, 1, 1, 0);
        prep(s, 1, OPS(R(1), W(2, 5)), BL_TXS_YES, 0);
        assert_int_equal(bl_txs_digest(s), d);
        decide(s, 1, 0, BL_EINVAL); /* committed stays committed */
        decide(s, 2, 0, 0);         /* NO voter: abort is a no-op */
        assert_int_equal(bl_txs_digest(s), d);
        assert_int_equal(bl_txs_value(s, 2), 5);
        bl_txs_destroy(s);
}

/* ---- lists ---- */

static void test_lists(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_vote_msg v;
        const uint64_t *list;

        (void)state;
        assert_int_equal(bl_txs_list(s, 1, &list), 0);
        assert_null(list);
        prep(s, 1, OPS(P(1, 10), P(1, 11), P(2, 20)), BL_TXS_YES, 0);
        decide(s, 1, 1, 0);
        v = prep(s, 2, OPS(R(1), P(1, 12), R(1), R(3)), BL_TXS_YES, 0);
        /* committed prefix at lock time: 2; the second read follows its own
         * append, which the caller adds from its ops */
        assert_int_equal(v.reads[0].list_len, 2);
        assert_int_equal(v.reads[2].list_len, 2);
        assert_int_equal(v.reads[3].list_len, 0);
        assert_int_equal(v.reads[0].value, INITIAL); /* registers untouched */
        decide(s, 2, 1, 0);
        assert_int_equal(bl_txs_list(s, 1, &list), 3);
        assert_int_equal(list[0], 10);
        assert_int_equal(list[1], 11);
        assert_int_equal(list[2], 12);
        assert_int_equal(bl_txs_list(s, 2, &list), 1);
        assert_int_equal(list[0], 20);
        /* aborted appends leave no trace */
        prep(s, 3, OPS(P(2, 21)), BL_TXS_YES, 0);
        decide(s, 3, 0, 0);
        assert_int_equal(bl_txs_list(s, 2, &list), 1);
        /* many appends to one key grow its list */
        for (uint64_t t = 10; t < 300; t++) {
                prep(s, t, OPS(P(4, t), R(4)), BL_TXS_YES, 0);
                decide(s, t, 1, 0);
        }
        assert_int_equal(bl_txs_list(s, 4, &list), 290);
        for (uint64_t i = 0; i < 290; i++)
                assert_int_equal(list[i], 10 + i);
        bl_txs_destroy(s);
}

/* ---- measurement ---- */

static void test_blocking_window(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_vote_msg v;
        struct bl_txs_info info;
        struct bl_txs_stats st;
        uint64_t ids[4];

        (void)state;
        assert_int_equal(
            bl_txs_prepare(s, 30, 30, 1, BL_TXS_RELEASE_READS, OPS(W(1, 1)), 11, 1000, &v), 0);
        assert_int_equal(
            bl_txs_prepare(s, 20, 20, 1, BL_TXS_RELEASE_READS, OPS(W(2, 1)), 12, 1500, &v), 0);
        assert_int_equal(
            bl_txs_prepare(s, 10, 10, 1, BL_TXS_RELEASE_READS, OPS(W(1, 2)), 13, 1600, &v), 0);
        assert_int_equal(v.vote, BL_TXS_PENDING);
        assert_int_equal(bl_txs_in_doubt(s, ids, 4), 2);
        assert_int_equal(ids[0], 20);
        assert_int_equal(ids[1], 30);
        assert_int_equal(bl_txs_in_doubt(s, ids, 1), 2);
        assert_int_equal(ids[0], 20);
        bl_txs_stats(s, &st);
        assert_int_equal(st.in_doubt, 2);
        assert_int_equal(st.waiting, 1);

        assert_int_equal(bl_txs_decide(s, 30, 1, 14, 5000), 0);
        assert_int_equal(bl_txs_info(s, 30, &info), 0);
        assert_int_equal(info.prepare_index, 11);
        assert_int_equal(info.decide_index, 14);
        assert_int_equal(info.prepare_ns, 1000);
        assert_int_equal(info.vote_ns, 1000);
        assert_int_equal(info.decide_ns, 5000);
        /* the waiter voted when the commit released its key */
        assert_int_equal(bl_txs_info(s, 10, &info), 0);
        assert_int_equal(info.prepare_ns, 1600);
        assert_int_equal(info.vote_ns, 5000);
        assert_int_equal(info.state, BL_TXS_PREPARED);
        assert_int_equal(bl_txs_decide(s, 20, 0, 15, 9500), 0);
        assert_int_equal(bl_txs_decide(s, 10, 1, 16, 6000), 0);
        bl_txs_stats(s, &st);
        assert_int_equal(st.blocked_n, 3);
        assert_int_equal(st.blocked_sum_ns, 4000 + 8000 + 1000);
        assert_int_equal(st.blocked_max_ns, 8000);
        assert_int_equal(st.in_doubt, 0);
        assert_int_equal(bl_txs_in_doubt(s, ids, 4), 0);
        bl_txs_destroy(s);
}

/* bl_txs_open lists what waits for a DECIDE: PREPARED and READ_HELD. */
static void test_open_lists_prepared_and_read_held(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        struct bl_txs_vote_msg v;
        uint64_t ids[4];

        (void)state;
        assert_int_equal(bl_txs_prepare(s, 40, 40, 1, 0, OPS(W(1, 1)), 1, 0, &v), 0);
        assert_int_equal(bl_txs_prepare(s, 30, 30, 1, 0, OPS(R(2)), 2, 0, &v), 0);
        assert_int_equal(v.vote, BL_TXS_READ_ONLY);
        assert_int_equal(bl_txs_prepare(s, 20, 20, 1, BL_TXS_RELEASE_READS, OPS(R(3)), 3, 0, &v),
                         0); /* READ_DONE: not open */
        assert_int_equal(bl_txs_prepare(s, 10, 10, 1, 0, OPS(W(1, 2)), 4, 0, &v), 0);
        assert_int_equal(v.vote, BL_TXS_NO); /* lock conflict: aborted */
        assert_int_equal(bl_txs_open(s, ids, 4), 2);
        assert_int_equal(ids[0], 30);
        assert_int_equal(ids[1], 40);
        assert_int_equal(bl_txs_in_doubt(s, ids, 4), 1);
        assert_int_equal(ids[0], 40);
        assert_int_equal(bl_txs_decide(s, 30, 1, 5, 0), 0);
        assert_int_equal(bl_txs_open(s, ids, 4), 1);
        assert_int_equal(ids[0], 40);
        bl_txs_destroy(s);
}

/* ---- snapshots ---- */

/* A state with a bit of everything: committed, prepared, waiting, aborted,
 * presumed abort, read-only, lists, shared and exclusive locks. */
static void build_mixed(struct bl_txs *s)
{
        prep_ts(s, 1, 100, OPS(W(1, 11), P(2, 21), P(2, 22)), BL_TXS_YES, 0);
        decide(s, 1, 1, 0);
        prep_ts(s, 2, 100, OPS(R(3), W(4, 44)), BL_TXS_YES, 0);
        prep_ts(s, 3, 90, OPS(R(3), A(5, -5)), BL_TXS_YES, 0);
        prep_ts(s, 4, 80, OPS(W(3, 1), R(6)), BL_TXS_PENDING, 0);
        prep_ts(s, 5, 70, OPS(R(4)), BL_TXS_PENDING, 0);
        prep_ts(s, 6, 200, OPS(W(4, 1)), BL_TXS_NO, BL_TXS_R_LOCK);
        prep_ts(s, 7, 60, OPS(R(2), R(1)), BL_TXS_READ_ONLY, 0);
        decide(s, 8, 0, 0);
        prep_ts(s, 9, 300, OPS(A(7, -1000)), BL_TXS_NO, BL_TXS_R_CONSTRAINT);
        prep_ts(s, 10, 50, OPS(W(1, INITIAL)), BL_TXS_YES, 0); /* back to initial */
        decide(s, 10, 1, 0);
        {
                struct bl_txs_vote_msg v;

                assert_int_equal(bl_txs_prepare(s, 11, 40, 0, 0, OPS(R(8), R(9)), 11, 1, &v), 0);
                assert_int_equal(v.vote, BL_TXS_READ_ONLY); /* holds its S locks */
        }
}

static void test_snapshot_round_trip(void **state)
{
        struct bl_txs *a = new_store(BL_TXS_WAIT_DIE), *b = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs_vote_msg va, vb;
        struct bl_txs_stats sa, sb;
        void *buf, *buf2;
        size_t len, len2;

        (void)state;
        build_mixed(a);
        snapshot(a, &buf, &len);
        assert_int_equal(bl_txs_restore(b, buf, len), 0);
        assert_same_snapshot(a, b);
        bl_txs_stats(a, &sa);
        bl_txs_stats(b, &sb);
        assert_int_equal(sa.waiting, sb.waiting);
        assert_int_equal(sa.in_doubt, 2);
        assert_int_equal(sb.in_doubt, 2);
        assert_int_equal(sb.committed, 2);
        assert_int_equal(sb.no_votes[BL_TXS_R_LOCK], 1);
        assert_int_equal(bl_txs_value(b, 5), INITIAL);
        assert_int_equal(bl_txs_value(b, 1), INITIAL);

        /* both continue the same way: same grants, votes, bytes */
        decide(a, 2, 1, 0);
        decide(b, 2, 1, 0);
        /* times are not state: b lost 2's vote time and cannot measure it */
        bl_txs_stats(a, &sa);
        bl_txs_stats(b, &sb);
        assert_int_equal(sa.blocked_n, 3); /* 1 and 10 in build_mixed, then 2 */
        assert_int_equal(sb.blocked_n, 0);
        assert_int_equal(bl_txs_next_vote(a, &va), 1);
        assert_int_equal(bl_txs_next_vote(b, &vb), 1);
        assert_int_equal(va.txn, 5);
        assert_int_equal(vb.txn, 5);
        assert_int_equal(va.reads[0].value, 44);
        assert_int_equal(vb.reads[0].value, 44);
        decide(a, 3, 0, 0);
        decide(b, 3, 0, 0);
        assert_int_equal(bl_txs_next_vote(a, &va), 1);
        assert_int_equal(bl_txs_next_vote(b, &vb), 1);
        assert_int_equal(va.txn, 4);
        assert_int_equal(vb.txn, 4);
        assert_int_equal(va.vote, BL_TXS_YES);
        assert_memory_equal(va.reads, vb.reads, 2 * sizeof(*va.reads));
        assert_same_snapshot(a, b);
        prep_ts(b, 12, 1000, OPS(W(8, 1)), BL_TXS_NO, BL_TXS_R_LOCK); /* b kept 11's lock */
        prep_ts(a, 12, 1000, OPS(W(8, 1)), BL_TXS_NO, BL_TXS_R_LOCK);
        decide(a, 11, 1, 0);
        decide(b, 11, 1, 0);
        assert_state(b, 11, BL_TXS_READ_DONE);
        assert_same_snapshot(a, b);

        /* restoring over a non-empty store replaces it; restoring the same
         * snapshot twice gives the same bytes */
        assert_int_equal(bl_txs_restore(b, buf, len), 0);
        snapshot(b, &buf2, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
        bl_free(buf2);
        bl_free(buf);
        bl_txs_destroy(a);
        bl_txs_destroy(b);
}

static void test_snapshot_canonical(void **state)
{
        struct bl_txs *a = new_store(BL_TXS_NO_WAIT), *b = new_store(BL_TXS_NO_WAIT);

        (void)state;
        assert_same_snapshot(a, b);
        /* holders entered in another order, cells created in another order
         * (b's NO vote leaves a dormant cell), same state */
        prep(a, 1, OPS(R(5), W(6, 1)), BL_TXS_YES, 0);
        prep(a, 2, OPS(R(5), W(7, 1)), BL_TXS_YES, 0);
        prep(b, 1, OPS(R(5), W(6, 1)), BL_TXS_YES, 0);
        prep(b, 2, OPS(R(5), W(7, 1)), BL_TXS_YES, 0);
        assert_same_snapshot(a, b);
        decide(a, 1, 1, 0);
        decide(b, 2, 1, 0);
        decide(b, 1, 1, 0);
        decide(a, 2, 1, 0);
        /* the commit log order is state: it differs */
        {
                void *x, *y;
                size_t lx, ly;

                snapshot(a, &x, &lx);
                snapshot(b, &y, &ly);
                assert_int_equal(lx, ly);
                assert_memory_not_equal(x, y, lx);
                bl_free(x);
                bl_free(y);
        }
        bl_txs_destroy(a);
        bl_txs_destroy(b);
}

static void test_snapshot_malformed(void **state)
{
        struct bl_txs *a = new_store(BL_TXS_WAIT_DIE), *b = new_store(BL_TXS_WAIT_DIE);
        struct bl_txs *other[3];
        void *buf, *before;
        size_t len, blen;
        uint8_t *copy;

        (void)state;
        build_mixed(a);
        prep(b, 1, OPS(W(1, 5)), BL_TXS_YES, 0);
        snapshot(b, &before, &blen);
        snapshot(a, &buf, &len);
        copy = bl_malloc(len);
        assert_non_null(copy);
        for (size_t l = 0; l < len; l++)
                assert_int_equal(bl_txs_restore(b, buf, l), BL_EPROTO);
        for (size_t i = 0; i < len; i++) {
                memcpy(copy, buf, len);
                copy[i] ^= 0x20;
                assert_int_equal(bl_txs_restore(b, copy, len), BL_EPROTO);
        }
        assert_int_equal(bl_txs_restore(b, NULL, 0), BL_EPROTO);
        {
                void *now;
                size_t nlen;

                snapshot(b, &now, &nlen);
                assert_int_equal(nlen, blen);
                assert_memory_equal(now, before, blen);
                bl_free(now);
        }
        /* foreign stores refuse it */
        other[0] = bl_txs_create(0, 1, BL_TXS_NO_WAIT, INITIAL);
        other[1] = bl_txs_create(0, 1, BL_TXS_WAIT_DIE, INITIAL + 1);
        other[2] = bl_txs_create(0, 2, BL_TXS_WAIT_DIE, INITIAL);
        for (int i = 0; i < 3; i++) {
                assert_non_null(other[i]);
                assert_int_equal(bl_txs_restore(other[i], buf, len), BL_EPROTO);
                bl_txs_destroy(other[i]);
        }
        bl_free(copy);
        bl_free(buf);
        bl_free(before);
        bl_txs_destroy(a);
        bl_txs_destroy(b);
}

/* ---- commands ---- */

static void test_cmd_round_trip(void **state)
{
        const struct bl_txs_op ops[] = {R(1), W(2, 3), A(4, -5), P(6, 7)};
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_PREPARE,
                               .txn = 0x1122334455667788ull,
                               .ts = 99,
                               .flags = BL_TXS_RELEASE_READS,
                               .coord = 3,
                               .nops = 4,
                               .ops = ops};
        struct bl_txs_cmd d;
        uint8_t buf[256];
        size_t n;

        (void)state;
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        assert_int_equal(n, bl_txs_cmd_size(&c));
        assert_int_equal(n, 26 + 4 * 17);
        assert_true(bl_txs_cmd_is(buf, n));
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), 0);
        assert_int_equal(d.type, BL_TXS_CMD_PREPARE);
        assert_int_equal(d.txn, c.txn);
        assert_int_equal(d.ts, 99);
        assert_int_equal(d.coord, 3);
        assert_int_equal(d.flags, BL_TXS_RELEASE_READS);
        assert_int_equal(d.nops, 4);
        for (int i = 0; i < 4; i++) {
                assert_int_equal(d.ops[i].kind, ops[i].kind);
                assert_int_equal(d.ops[i].key, ops[i].key);
                assert_int_equal(d.ops[i].arg, ops[i].arg);
        }
        bl_txs_cmd_free(&d);
        assert_int_equal(bl_txs_cmd_encode(&c, buf, n - 1), 0);

        c = (struct bl_txs_cmd){.type = BL_TXS_CMD_DECIDE, .txn = 5, .commit = 1};
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        assert_int_equal(n, 10);
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), 0);
        assert_int_equal(d.type, BL_TXS_CMD_DECIDE);
        assert_int_equal(d.txn, 5);
        assert_int_equal(d.commit, 1);
        assert_null(d.ops);
        c.commit = 2;
        assert_int_equal(bl_txs_cmd_encode(&c, buf, sizeof(buf)), 0);
        c = (struct bl_txs_cmd){.type = 0x33};
        assert_int_equal(bl_txs_cmd_encode(&c, buf, sizeof(buf)), 0);
        c = (struct bl_txs_cmd){.type = BL_TXS_CMD_PREPARE, .nops = 1, .ops = ops};
        {
                struct bl_txs_op bad = {9, 1, 1};

                c.ops = &bad;
                assert_int_equal(bl_txs_cmd_encode(&c, buf, sizeof(buf)), 0);
        }
}

static void test_cmd_malformed(void **state)
{
        const struct bl_txs_op ops[] = {R(1), W(2, 3)};
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_PREPARE,
                               .txn = 1,
                               .ts = 2,
                               .coord = 3,
                               .flags = 1,
                               .nops = 2,
                               .ops = ops};
        struct bl_cmd kc = {.op = BL_OP_PUT, .client = 1, .seq = 1, .key = 2, .value = 3};
        struct bl_txs_cmd d;
        uint8_t buf[256], kbuf[128];
        size_t n, kn;

        (void)state;
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        assert_int_not_equal(n, 0);
        for (size_t l = 0; l < n; l++)
                assert_int_equal(bl_txs_cmd_decode(&d, buf, l), BL_EPROTO);
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n + 1), BL_EPROTO); /* trailing */
        /* unknown op kind */
        buf[26] = BL_TXS_OP__COUNT;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), BL_EPROTO);
        assert_null(d.ops);
        buf[26] = BL_TXS_READ;
        /* unknown flag */
        buf[21] = 2;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), BL_EPROTO);
        buf[21] = BL_TXS_RELEASE_READS;
        /* op count beyond the bytes, or beyond the bound */
        buf[22] = 3;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), BL_EPROTO);
        buf[22] = 0;
        buf[23] = 0x10; /* 4096 + 2... > max */
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), BL_EPROTO);
        buf[23] = 0;
        buf[22] = 2;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), 0);
        bl_txs_cmd_free(&d);
        /* DECIDE with a bad flag, short, long */
        c = (struct bl_txs_cmd){.type = BL_TXS_CMD_DECIDE, .txn = 5, .commit = 0};
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        buf[9] = 2;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n), BL_EPROTO);
        buf[9] = 1;
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n - 1), BL_EPROTO);
        assert_int_equal(bl_txs_cmd_decode(&d, buf, n + 1), BL_EPROTO);
        assert_int_equal(bl_txs_cmd_decode(&d, buf, 0), BL_EPROTO);
        /* single-key and transaction commands never pass for each other */
        kn = bl_cmd_encode(&kc, kbuf, sizeof(kbuf));
        assert_int_not_equal(kn, 0);
        assert_false(bl_txs_cmd_is(kbuf, kn));
        assert_int_equal(bl_txs_cmd_decode(&d, kbuf, kn), BL_EPROTO);
        assert_false(bl_txs_cmd_is(buf, 0));
        {
                struct bl_cmd k2;

                assert_int_equal(bl_cmd_decode(&k2, buf, n), BL_EPROTO);
        }
}

static void test_apply_encoded(void **state)
{
        struct bl_txs *s = new_store(BL_TXS_NO_WAIT);
        const struct bl_txs_op ops[] = {W(1, 8), R(1)};
        struct bl_txs_cmd c = {
            .type = BL_TXS_CMD_PREPARE, .txn = 4, .ts = 4, .coord = 2, .nops = 2, .ops = ops};
        struct bl_txs_vote_msg v;
        uint8_t buf[128];
        size_t n;

        (void)state;
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        assert_int_equal(bl_txs_apply(s, buf, n, 1, 10, &v), 0);
        assert_int_equal(v.txn, 4);
        assert_int_equal(v.coord, 2);
        assert_int_equal(v.vote, BL_TXS_YES);
        assert_int_equal(v.reads[1].value, 8);
        assert_int_equal(bl_txs_apply(s, buf, n - 1, 2, 10, &v), BL_EPROTO);
        c = (struct bl_txs_cmd){.type = BL_TXS_CMD_DECIDE, .txn = 4, .commit = 1};
        n = bl_txs_cmd_encode(&c, buf, sizeof(buf));
        assert_int_equal(bl_txs_apply(s, buf, n, 3, 20, &v), 0);
        assert_int_equal(v.txn, 4);
        assert_int_equal(v.vote, BL_TXS_PENDING);
        assert_int_equal(bl_txs_value(s, 1), 8);
        bl_txs_destroy(s);
}

/* ---- replicas and a toy coordinator ---- */

#define NSHARDS  2
#define ACCOUNTS 16

/* One shard with three replicas: the first applies everything, the second
 * restarts from a snapshot now and then, the third applies through the
 * encoded commands. */
struct group {
        struct bl_txs *r[3];
        uint64_t index;
};

static void group_apply(struct group *g, const struct bl_txs_cmd *c, struct bl_txs_vote_msg *v0)
{
        uint8_t buf[1024];
        size_t n = bl_txs_cmd_encode(c, buf, sizeof(buf));
        struct bl_txs_vote_msg v[3];

        assert_int_not_equal(n, 0);
        g->index++;
        for (int i = 0; i < 3; i++) {
                assert_int_equal(bl_txs_apply(g->r[i], buf, n, g->index, g->index * 10, &v[i]), 0);
                assert_int_equal(v[i].vote, v[0].vote);
                assert_int_equal(v[i].reason, v[0].reason);
                assert_int_equal(v[i].nreads, v[0].nreads);
                if (v[0].nreads > 0)
                        assert_memory_equal(v[i].reads, v[0].reads,
                                            v[0].nreads * sizeof(*v[0].reads));
                assert_int_equal(bl_txs_digest(g->r[i]), bl_txs_digest(g->r[0]));
                txs_test_check(g->r[i]);
        }
        *v0 = v[0];
}

/* Ready votes of the group, equal on every replica. */
static int group_ready(struct group *g, struct bl_txs_vote_msg *out)
{
        struct bl_txs_vote_msg v;
        int got = bl_txs_next_vote(g->r[0], out);

        for (int i = 1; i < 3; i++) {
                assert_int_equal(bl_txs_next_vote(g->r[i], &v), got);
                if (got) {
                        assert_int_equal(v.txn, out->txn);
                        assert_int_equal(v.vote, out->vote);
                }
        }
        return got;
}

/* The next key after prev on shard. */
static uint64_t key_on(int shard, uint64_t prev)
{
        uint64_t k = prev + 1;

        while (bl_shard_of(k, NSHARDS) != shard)
                k++;
        return k;
}

/* Transfers between accounts on two shards and audits, run by a coordinator
 * that votes once every participant voted; random decisions to abort. The
 * total stays, replicas agree, snapshots restore. */
static void run_bank(int cc, uint64_t seed)
{
        struct group g[NSHARDS];
        struct bl_rng rng;
        uint64_t accounts[ACCOUNTS];
        /* per txn: votes still missing, and whether any said NO */
        enum { MAXT = 400 };
        /* writes[t][s]: shard s must get the DECIDE of t (all participants
         * but those that voted READ_ONLY and released their locks) */
        int missing[MAXT + 1] = {0}, no[MAXT + 1] = {0}, writes[MAXT + 1][NSHARDS];
        unsigned flags[MAXT + 1] = {0};
        uint64_t pending[MAXT + 1], npending = 0;
        int64_t total = 0;
        uint64_t readies = 0;

        memset(writes, 0, sizeof(writes));
        bl_rng_seed(&rng, seed, 0);
        for (int s = 0; s < NSHARDS; s++) {
                g[s].index = 0;
                for (int i = 0; i < 3; i++)
                        g[s].r[i] = bl_txs_create(s, NSHARDS, cc, INITIAL);
        }
        for (int a = 0; a < ACCOUNTS; a++) /* distinct keys, alternating shards */
                accounts[a] = key_on(a % NSHARDS, a > 0 ? accounts[a - 1] : 0);

        for (uint64_t t = 1; t <= MAXT; t++) {
                struct bl_txs_op ops[NSHARDS][ACCOUNTS];
                uint32_t nops[NSHARDS] = {0};
                uint64_t a = bl_rng_below(&rng, ACCOUNTS), b = bl_rng_below(&rng, ACCOUNTS);
                int64_t x = 1 + (int64_t)bl_rng_below(&rng, 120);

                if (bl_rng_below(&rng, 8) == 0) { /* audit everything */
                        for (int i = 0; i < ACCOUNTS; i++) {
                                int sh = bl_shard_of(accounts[i], NSHARDS);

                                ops[sh][nops[sh]++] = R(accounts[i]);
                        }
                } else {
                        int sa, sb;

                        if (a == b)
                                b = (a + 1) % ACCOUNTS;
                        sa = bl_shard_of(accounts[a], NSHARDS);
                        sb = bl_shard_of(accounts[b], NSHARDS);
                        ops[sa][nops[sa]++] = A(accounts[a], -x);
                        ops[sb][nops[sb]++] = A(accounts[b], x);
                }
                /* the read-only optimisation is safe for one participant */
                flags[t] = (nops[0] == 0) != (nops[1] == 0) ? BL_TXS_RELEASE_READS : 0;
                for (int s = 0; s < NSHARDS; s++) {
                        struct bl_txs_cmd c = {.type = BL_TXS_CMD_PREPARE,
                                               .txn = t,
                                               .ts = bl_rng_below(&rng, 1000),
                                               .coord = 0,
                                               .flags = (uint8_t)flags[t],
                                               .nops = nops[s],
                                               .ops = ops[s]};
                        struct bl_txs_vote_msg v;

                        if (nops[s] == 0)
                                continue;
                        missing[t]++;
                        group_apply(&g[s], &c, &v);
                        writes[t][s] = 1;
                        if (v.vote != BL_TXS_PENDING)
                                missing[t]--;
                        if (v.vote == BL_TXS_NO)
                                no[t] = 1;
                        if (v.vote == BL_TXS_READ_ONLY && flags[t])
                                writes[t][s] = 0;
                }
                pending[npending++] = t;

                /* decide what can be decided, sometimes holding back */
                for (uint64_t i = 0; i < npending;) {
                        uint64_t u = pending[i];
                        int hold = bl_rng_below(&rng, 3) == 0;
                        int commit;

                        if (hold || (missing[u] > 0 && bl_rng_below(&rng, 6) != 0)) {
                                i++;
                                continue;
                        }
                        /* a coordinator may abort while votes are missing */
                        commit = missing[u] == 0 && !no[u] && bl_rng_below(&rng, 10) != 0;
                        for (int s = 0; s < NSHARDS; s++) {
                                struct bl_txs_cmd c = {
                                    .type = BL_TXS_CMD_DECIDE, .txn = u, .commit = commit};
                                struct bl_txs_vote_msg v, r;

                                if (!writes[u][s] && !(missing[u] > 0 || !commit))
                                        continue; /* read-only optimisation */
                                group_apply(&g[s], &c, &v);
                                while (group_ready(&g[s], &r)) {
                                        readies++;
                                        missing[r.txn]--;
                                        if (r.vote == BL_TXS_NO)
                                                no[r.txn] = 1;
                                        if (r.vote == BL_TXS_READ_ONLY && flags[r.txn])
                                                writes[r.txn][s] = 0;
                                }
                        }
                        missing[u] = 0;
                        pending[i] = pending[--npending];
                }

                /* replica 1 restarts from replica 0's snapshot now and then */
                if (t % 37 == 0) {
                        for (int s = 0; s < NSHARDS; s++) {
                                void *buf;
                                size_t len;

                                snapshot(g[s].r[0], &buf, &len);
                                assert_int_equal(bl_txs_restore(g[s].r[1], buf, len), 0);
                                txs_test_check(g[s].r[1]);
                                bl_free(buf);
                                assert_same_snapshot(g[s].r[0], g[s].r[1]);
                        }
                }
        }
        /* abort what is left, then check the total and the replicas */
        for (uint64_t i = 0; i < npending; i++)
                for (int s = 0; s < NSHARDS; s++) {
                        struct bl_txs_cmd c = {
                            .type = BL_TXS_CMD_DECIDE, .txn = pending[i], .commit = 0};
                        struct bl_txs_vote_msg v, r;

                        group_apply(&g[s], &c, &v);
                        while (group_ready(&g[s], &r))
                                ;
                }
        for (int s = 0; s < NSHARDS; s++) {
                struct bl_txs_stats st;

                bl_txs_stats(g[s].r[0], &st);
                assert_int_equal(st.in_doubt, 0);
                assert_int_equal(st.waiting, 0);
                assert_int_equal(st.read_held, 0);
                assert_true(st.committed > 20);
                if (cc == BL_TXS_NO_WAIT)
                        assert_true(st.no_votes[BL_TXS_R_LOCK] > 0);
                assert_same_snapshot(g[s].r[0], g[s].r[1]);
                assert_same_snapshot(g[s].r[0], g[s].r[2]);
        }
        /* wait-die made some wait and vote later; no-wait never does */
        if (cc == BL_TXS_WAIT_DIE)
                assert_true(readies > 0);
        else
                assert_int_equal(readies, 0);
        for (int a = 0; a < ACCOUNTS; a++) {
                int64_t bal =
                    (int64_t)bl_txs_value(g[bl_shard_of(accounts[a], NSHARDS)].r[0], accounts[a]);

                assert_true(bal >= 0);
                total += bal;
        }
        assert_int_equal(total, (int64_t)INITIAL * ACCOUNTS);
        for (int s = 0; s < NSHARDS; s++)
                for (int i = 0; i < 3; i++)
                        bl_txs_destroy(g[s].r[i]);
}

static void test_bank_replicas_no_wait(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 5; seed++)
                run_bank(BL_TXS_NO_WAIT, seed);
}

static void test_bank_replicas_wait_die(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 5; seed++)
                run_bank(BL_TXS_WAIT_DIE, seed);
}

/* ---- out of memory ---- */

/* Call fn with the k-th allocation failing, k = 1, 2, ... until it succeeds;
 * each failure must be BL_ENOMEM and leave the snapshot as it was. */
#define OOM_LOOP(s, call)                                                                          \
        do {                                                                                       \
                void *b0_, *b1_;                                                                   \
                size_t l0_, l1_;                                                                   \
                int rc_;                                                                           \
                snapshot((s), &b0_, &l0_);                                                         \
                for (long k_ = 1;; k_++) {                                                         \
                        uint64_t d_ = bl_txs_digest(s);                                            \
                        bl_alloc_fail_after(k_);                                                   \
                        rc_ = (call);                                                              \
                        bl_alloc_fail_after(0);                                                    \
                        if (rc_ == 0)                                                              \
                                break;                                                             \
                        assert_int_equal(rc_, BL_ENOMEM);                                          \
                        assert_int_equal(bl_txs_digest(s), d_);                                    \
                        snapshot((s), &b1_, &l1_);                                                 \
                        assert_int_equal(l0_, l1_);                                                \
                        assert_memory_equal(b0_, b1_, l0_);                                        \
                        bl_free(b1_);                                                              \
                }                                                                                  \
                bl_free(b0_);                                                                      \
        } while (0)

static void test_oom(void **state)
{
        struct bl_txs *s, *r;
        struct bl_txs_op many[64];
        struct bl_txs_vote_msg v;
        struct bl_txs_cmd c;
        void *buf;
        size_t len;
        uint8_t enc[2048];
        size_t n;

        (void)state;
        for (long k = 1; k <= 1; k++) {
                bl_alloc_fail_after(k);
                assert_null(bl_txs_create(0, 1, BL_TXS_NO_WAIT, 0));
        }
        bl_alloc_fail_after(0);

        s = new_store(BL_TXS_WAIT_DIE);
        build_mixed(s);
        /* a PREPARE with many new keys: tables grow */
        for (int i = 0; i < 64; i++)
                many[i] = i % 2 ? P(1000 + (uint64_t)i, 1) : R(2000 + (uint64_t)i);
        OOM_LOOP(s, bl_txs_prepare(s, 100, 1, 0, BL_TXS_RELEASE_READS, many, 64, 0, 0, &v));
        assert_int_equal(v.vote, BL_TXS_YES);
        /* one that waits on a held key */
        OOM_LOOP(s,
                 bl_txs_prepare(s, 101, 0, 0, BL_TXS_RELEASE_READS, OPS(W(1000 + 1, 5)), 0, 0, &v));
        assert_int_equal(v.vote, BL_TXS_PENDING);
        /* commit: lists grow, the commit log grows, a waiter is granted */
        OOM_LOOP(s, bl_txs_decide(s, 100, 1, 0, 0));
        assert_int_equal(bl_txs_next_vote(s, &v), 1);
        assert_int_equal(v.txn, 101);
        /* presumed abort of many unknown txns: the table grows */
        for (uint64_t t = 500; t < 600; t++)
                OOM_LOOP(s, bl_txs_decide(s, t, 0, 0, 0));
        /* the snapshot fails cleanly */
        for (long k = 1; k <= 5; k++) {
                bl_alloc_fail_after(k);
                assert_int_equal(bl_txs_snapshot(s, &buf, &len), BL_ENOMEM);
                bl_alloc_fail_after(0);
                assert_null(buf);
        }
        /* restore into a store with another state: failures leave it */
        snapshot(s, &buf, &len);
        r = new_store(BL_TXS_WAIT_DIE);
        prep(r, 1, OPS(W(3, 3)), BL_TXS_YES, 0);
        OOM_LOOP(r, bl_txs_restore(r, buf, len));
        assert_same_snapshot(s, r);
        bl_free(buf);
        /* decoding */
        c = (struct bl_txs_cmd){.type = BL_TXS_CMD_PREPARE, .txn = 1, .nops = 64, .ops = many};
        n = bl_txs_cmd_encode(&c, enc, sizeof(enc));
        assert_int_not_equal(n, 0);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_txs_cmd_decode(&c, enc, n), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_null(c.ops);
        bl_txs_destroy(r);
        bl_txs_destroy(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_commit_applies_writes),
            cmocka_unit_test(test_create_args),
            cmocka_unit_test(test_bad_prepare_changes_nothing),
            cmocka_unit_test(test_no_wait_conflicts),
            cmocka_unit_test(test_wait_die_order_and_wakeup),
            cmocka_unit_test(test_wait_die_shared_grants),
            cmocka_unit_test(test_wait_die_cascade),
            cmocka_unit_test(test_abort_waiting),
            cmocka_unit_test(test_read_only),
            cmocka_unit_test(test_read_only_held),
            cmocka_unit_test(test_constraint),
            cmocka_unit_test(test_presumed_abort),
            cmocka_unit_test(test_duplicates),
            cmocka_unit_test(test_lists),
            cmocka_unit_test(test_blocking_window),
            cmocka_unit_test(test_open_lists_prepared_and_read_held),
            cmocka_unit_test(test_snapshot_round_trip),
            cmocka_unit_test(test_snapshot_canonical),
            cmocka_unit_test(test_snapshot_malformed),
            cmocka_unit_test(test_cmd_round_trip),
            cmocka_unit_test(test_cmd_malformed),
            cmocka_unit_test(test_apply_encoded),
            cmocka_unit_test(test_bank_replicas_no_wait),
            cmocka_unit_test(test_bank_replicas_wait_die),
            cmocka_unit_test(test_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
