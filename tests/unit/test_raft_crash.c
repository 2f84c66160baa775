/* Unit tests for Raft crash and recovery: persistent vs volatile state (raft.c). */
#include "test_raft_fixture.h"

/* crash() keeps currentTerm, votedFor and the log; loses role, leader,
 * commitIndex, lastApplied and pending work. */
static void test_crash_keeps_persistent_state(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        int l;
        uint64_t term, last;
        int voted;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        for (int k = 0; k < 5; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        fx_run(fx, 5);
        r = fx_r(fx, l);
        fx->cut[l] = 1;
        assert_int_equal(bl_kernel_raft.submit(r, "r", 1, BL_SUBMIT_READONLY, 1), 0);
        assert_int_equal(r->reads_n, 1);
        term = r->term;
        voted = r->voted_for;
        last = bl_raft_log_last_index(&r->log);
        assert_int_equal(r->commit, 6);

        bl_kernel_raft.crash(r);
        assert_int_equal(r->term, term);
        assert_int_equal(r->voted_for, voted);
        assert_int_equal(bl_raft_log_last_index(&r->log), last);
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        assert_int_equal(r->commit, 0);
        assert_int_equal(r->applied, 0);
        assert_int_equal(r->reads_n, 0);
        assert_int_equal(bl_kernel_raft.leader(r), -1);
        assert_int_equal(fx_submit(fx, l, "x"), BL_ENOTLEADER);

        /* A crashed node does nothing: no sends on tick, messages ignored. */
        fx_clear_msgs(fx);
        fx->now += 1000 * FX_MS;
        bl_kernel_raft.tick(r);
        assert_int_equal(fx->n_msgs, 0);
        assert_int_equal(fx_append(fx, (l + 1) % 3, l, term + 5, 0, 0, 0, NULL, 0), 0);
        assert_int_equal(r->term, term);
        assert_int_equal(fx->n_msgs, 0);
        fx_free(fx);
}

/* recover() resets the state machine and re-applies as commit advances
 * again: the same state as before the crash. */
static void test_recover_reapplies(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        int l, f;
        uint64_t hash;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        for (int k = 0; k < 5; k++) {
                char cmd[16];

                snprintf(cmd, sizeof(cmd), "w%d", k);
                assert_int_equal(fx_submit(fx, l, cmd), 0);
        }
        fx_run(fx, 50);
        r = fx_r(fx, f);
        hash = fx->nodes[f].sm_hash;
        assert_int_equal(fx->nodes[f].sm_count, 5);
        bl_kernel_raft.crash(r);
        fx->nodes[f].n_applies = 0;
        bl_kernel_raft.recover(r);
        assert_int_equal(fx->nodes[f].restores, 1);
        assert_int_equal(fx->nodes[f].sm_count, 0); /* restore(NULL): initial state */
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        fx_run(fx, 50);
        assert_int_equal(fx->nodes[f].sm_count, 5);
        assert_int_equal(fx->nodes[f].sm_hash, hash);
        assert_int_equal(fx->nodes[f].n_applies, 5);
        assert_string_equal(fx->nodes[f].applies[0].cmd, "w0");
        assert_int_equal(fx->nodes[f].applies[0].reply, 0);
        fx_free(fx);
}

/* A vote survives a crash: no second vote in the same term. */
static void test_vote_survives_crash(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *v;
        struct bl_raft_request_vote_result res;

        (void)state;
        fx_start(fx);
        v = fx_r(fx, 1);
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 5, 0, 0);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_true(res.granted);
        bl_kernel_raft.crash(v);
        bl_kernel_raft.recover(v);
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_REQUEST_VOTE, 5, 0, 0);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);
        assert_int_equal(v->voted_for, 0);
        fx_free(fx);
}

/* A leader crashes with uncommitted entries; the cluster moves on and the
 * recovered node converges to the others' log. */
static void test_leader_crash_and_rejoin(void **state)
{
        struct fx *fx = fx_new(5);
        int l, l2;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        fx->cut[l] = 1;
        for (int k = 0; k < 3; k++)
                assert_int_equal(fx_submit(fx, l, "orphan"), 0);
        fx_clear_msgs(fx);
        bl_kernel_raft.crash(fx_r(fx, l));
        fx->cut[l] = 0;
        l2 = fx_elect(fx);
        assert_true(l2 != l);
        for (int k = 0; k < 4; k++)
                assert_int_equal(fx_submit(fx, l2, "kept"), 0);
        fx_run(fx, 50);
        bl_kernel_raft.recover(fx_r(fx, l));
        fx_run(fx, 300);
        for (int i = 0; i < 5; i++) {
                struct bl_raft *r = fx_r(fx, i);

                assert_int_equal(bl_raft_log_last_index(&r->log),
                                 bl_raft_log_last_index(&fx_r(fx, l2)->log));
                assert_int_equal(r->applied, fx_r(fx, l2)->applied);
                assert_int_equal(fx->nodes[i].sm_hash, fx->nodes[l2].sm_hash);
                for (int k = 0; k < fx->nodes[i].n_applies; k++)
                        assert_string_equal(fx->nodes[i].applies[k].cmd, "kept");
        }
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_crash_keeps_persistent_state),
            cmocka_unit_test(test_recover_reapplies),
            cmocka_unit_test(test_vote_survives_crash),
            cmocka_unit_test(test_leader_crash_and_rejoin),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
