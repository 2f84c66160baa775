/* Unit tests for Raft client requests: submit, log reads, ReadIndex reads (client.c). */
#include "test_raft_fixture.h"

#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"

static int submit_read(struct fx *fx, int i, const char *cmd)
{
        return bl_kernel_raft.submit(fx_r(fx, i), cmd, strlen(cmd), BL_SUBMIT_READONLY, 1);
}

/* read_mode = log: a read is an ordinary log entry. */
static void test_read_through_log(void **state)
{
        struct fx *fx = fx_new(3);
        int l;
        uint64_t last;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        last = bl_raft_log_last_index(&fx_r(fx, l)->log);
        assert_int_equal(submit_read(fx, l, "r1"), 0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, l)->log), last + 1);
        fx_run(fx, 30); /* followers learn the commit with the next heartbeat */
        for (int i = 0; i < 3; i++) {
                assert_int_equal(fx->nodes[i].n_applies, 1);
                assert_int_equal(fx->nodes[i].applies[0].reply, i == l);
        }
        fx_free(fx);
}

/* Section 6.4: the read waits for the leader's first commit of its term,
 * then for a heartbeat round acknowledged by a majority; it never enters the
 * log and only the leader applies it. */
static void test_read_index_flow(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *l;
        uint64_t round;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_r(fx, 0);
        bl_raft_election_start(l, 0);
        /* Deliver the votes only. */
        for (int k = 0; k < 4; k++)
                assert_int_equal(fx_deliver(fx), 0);
        assert_int_equal(l->role, BL_RAFT_LEADER);
        assert_int_equal(l->commit, 0);
        assert_int_equal(submit_read(fx, 0, "r1"), 0);
        assert_int_equal(bl_raft_log_last_index(&l->log), 1); /* just the no-op */
        assert_int_equal(fx->nodes[0].n_applies, 0);
        assert_int_equal(l->read_round, 0); /* step 1: no round before the commit */
        assert_int_equal(submit_read(fx, 1, "r"), BL_ENOTLEADER);

        /* The no-op commits with the first acknowledgement; a round starts. */
        while (l->commit == 0)
                assert_int_equal(fx_deliver(fx), 0);
        assert_int_equal(l->read_round, 1);
        round = l->read_round;
        assert_int_equal(fx->nodes[0].n_applies, 0);
        /* Acknowledgement of the round by one follower (a majority with us). */
        while (fx->nodes[0].n_applies == 0) {
                assert_true(fx->n_msgs > 0);
                assert_int_equal(fx_deliver(fx), 0);
        }
        assert_string_equal(fx->nodes[0].applies[0].cmd, "r1");
        assert_int_equal(fx->nodes[0].applies[0].reply, 1);
        assert_int_equal(l->read_round, round);
        fx_deliver_all(fx);
        fx_run(fx, 50);
        assert_int_equal(fx->nodes[1].n_applies, 0);
        assert_int_equal(fx->nodes[2].n_applies, 0);
        assert_int_equal(bl_raft_log_last_index(&l->log), 1);
        fx_free(fx);
}

/* A leader cut off from the majority cannot serve a read (it could be stale)
 * and drops it when it steps down. */
static void test_read_index_needs_majority(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        fx->cut[l] = 1;
        assert_int_equal(submit_read(fx, l, "stale?"), 0);
        fx_run(fx, 300);
        assert_int_equal(fx->nodes[l].n_applies, 0);
        assert_int_not_equal(fx_r(fx, l)->role, BL_RAFT_LEADER);
        assert_true(fx_has_event(&fx->nodes[l], BL_EV_STEP_DOWN));
        assert_int_equal(fx_r(fx, l)->reads_n, 0);
        fx->cut[l] = 0;
        fx_run(fx, 300);
        assert_int_equal(fx->nodes[l].n_applies, 0);
        fx_free(fx);
}

/* Reads see the writes that committed before them: order of application. */
static void test_read_index_after_writes(void **state)
{
        struct fx *fx = fx_new(5);
        int l;
        struct fx_node *n;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        assert_int_equal(fx_submit(fx, l, "w1"), 0);
        assert_int_equal(fx_submit(fx, l, "w2"), 0);
        fx_run(fx, 5);
        assert_int_equal(submit_read(fx, l, "r1"), 0);
        assert_int_equal(fx_submit(fx, l, "w3"), 0);
        fx_run(fx, 10);
        n = &fx->nodes[l];
        assert_int_equal(n->n_applies, 4);
        assert_string_equal(n->applies[0].cmd, "w1");
        assert_string_equal(n->applies[1].cmd, "w2");
        /* r1 is served at read index 3 (w2); w3 may come before or after. */
        assert_true(strcmp(n->applies[2].cmd, "r1") == 0 || strcmp(n->applies[3].cmd, "r1") == 0);
        fx_free(fx);
}

/* A burst of reads shares heartbeat rounds: at most two rounds for ten
 * reads submitted together. */
static void test_read_index_batches_rounds(void **state)
{
        struct fx *fx = fx_new(3);
        int l;
        uint64_t before;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        before = fx_r(fx, l)->read_round;
        for (int k = 0; k < 10; k++)
                assert_int_equal(submit_read(fx, l, "r"), 0);
        fx_deliver_all(fx);
        assert_int_equal(fx->nodes[l].n_applies, 10);
        assert_true(fx_r(fx, l)->read_round - before <= 2);
        for (int k = 0; k < 10; k++)
                assert_int_equal(fx->nodes[l].applies[k].reply, 1);
        fx_free(fx);
}

static void test_read_index_single_node(void **state)
{
        struct fx *fx = fx_new(1);

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        fx_tick(fx);
        assert_int_equal(submit_read(fx, 0, "r"), 0);
        assert_int_equal(fx->nodes[0].n_applies, 1);
        assert_int_equal(fx->nodes[0].applies[0].reply, 1);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 0)->log), 1);
        fx_free(fx);
}

/* A leader that cannot commit stops accepting at the bound (BL_EBUSY). */
static void test_uncommitted_bound(void **state)
{
        struct fx *fx = fx_new(3);
        int l, rc = 0, k;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        fx->cut[l] = 1;
        for (k = 0; k < BL_RAFT_MAX_UNCOMMITTED + 10 && rc == 0; k++)
                rc = fx_submit(fx, l, "x");
        assert_int_equal(rc, BL_EBUSY);
        assert_int_equal(k, BL_RAFT_MAX_UNCOMMITTED + 1);
        fx_clear_msgs(fx);
        fx_free(fx);
}

/* Out of memory while appending: BL_ENOMEM, log unchanged. */
static void test_submit_oom(void **state)
{
        struct fx *fx = fx_new(3);
        int l;
        uint64_t last;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        last = bl_raft_log_last_index(&fx_r(fx, l)->log);
        bl_alloc_fail_after(1);
        assert_int_equal(fx_submit(fx, l, "x"), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, l)->log), last);
        assert_int_equal(fx_submit(fx, l, "y"), 0);
        fx_run(fx, 5);
        assert_string_equal(fx->nodes[l].applies[0].cmd, "y");
        fx_free(fx);
}

/* A leader that steps down reports every proposal it still answered for as
 * dropped(tag), once, and answers none of them afterwards even if they
 * commit under the next leader. */
static void test_step_down_drops_proposals(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        fx->cut[l] = 1; /* nothing commits */
        assert_int_equal(fx_submit(fx, l, "w1"), 0);
        assert_int_equal(fx_submit(fx, l, "w2"), 0);
        assert_int_equal(fx->nodes[l].n_dropped, 0);
        bl_raft_observe_term(fx_r(fx, l), fx_r(fx, l)->term + 1);
        assert_int_equal(fx_r(fx, l)->role, BL_RAFT_FOLLOWER);
        assert_int_equal(fx->nodes[l].n_dropped, 2);
        for (uint64_t i = 1; i <= bl_raft_log_last_index(&fx_r(fx, l)->log); i++)
                assert_int_equal(bl_raft_log_get(&fx_r(fx, l)->log, i)->tag, 0);
        fx_clear_msgs(fx);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_read_through_log),
            cmocka_unit_test(test_read_index_flow),
            cmocka_unit_test(test_read_index_needs_majority),
            cmocka_unit_test(test_read_index_after_writes),
            cmocka_unit_test(test_read_index_batches_rounds),
            cmocka_unit_test(test_read_index_single_node),
            cmocka_unit_test(test_uncommitted_bound),
            cmocka_unit_test(test_submit_oom),
            cmocka_unit_test(test_step_down_drops_proposals),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
