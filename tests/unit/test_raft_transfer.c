/* Unit tests for Raft leadership transfer and TimeoutNow (transfer.c, recv_timeout_now.c). */
#include "test_raft_fixture.h"

static void test_transfer_to_up_to_date_follower(void **state)
{
        struct fx *fx = fx_new(3);
        int l, t;
        uint64_t term;

        (void)state;
        fx->cfg.raft.prevote = 1; /* TimeoutNow skips the Pre-Vote phase */
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        t = (l + 2) % 3;
        term = fx_r(fx, l)->term;
        assert_int_equal(bl_kernel_raft.transfer(fx_r(fx, l), t), 0); /* the vtable slot */
        assert_true(fx_has_event(&fx->nodes[l], BL_EV_TRANSFER));
        assert_int_equal(fx_count(fx, l, t, BL_RAFT_MSG_TIMEOUT_NOW), 1);
        /* Section 3.10 step 1: no new client requests meanwhile. */
        assert_int_equal(fx_submit(fx, l, "x"), BL_EBUSY);
        fx_deliver_all(fx);
        assert_int_equal(fx_leader(fx), t);
        assert_int_equal(fx_r(fx, t)->term, term + 1);
        assert_int_equal(fx_r(fx, l)->leader, t);
        assert_int_equal(fx_submit(fx, t, "y"), 0);
        fx_free(fx);
}

/* The leader first brings a lagging target up to date. */
static void test_transfer_waits_for_catch_up(void **state)
{
        struct fx *fx = fx_new(3);
        int l, t;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        t = (l + 1) % 3;
        fx->cut[t] = 1;
        for (int k = 0; k < 10; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        fx_run(fx, 30);
        fx->cut[t] = 0;
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), -1), 0); /* picks the best: not t */
        assert_int_equal(fx_r(fx, l)->transfer_to, (l + 2) % 3);
        fx_deliver_all(fx);
        fx_run(fx, 10);
        assert_int_equal(fx_leader(fx), (l + 2) % 3);
        l = (l + 2) % 3;
        fx_run(fx, 50);
        fx->cut[t] = 1;
        for (int k = 0; k < 10; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        fx_run(fx, 30);
        fx->cut[t] = 0;
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), t), 0);
        assert_int_equal(fx_count(fx, l, t, BL_RAFT_MSG_TIMEOUT_NOW), 0);
        fx_run(fx, 20);
        assert_int_equal(fx_leader(fx), t);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, t)->log),
                         bl_raft_log_last_index(&fx_r(fx, l)->log));
        fx_free(fx);
}

/* A target that never answers: the transfer is abandoned after an election
 * timeout and the leader serves clients again. */
static void test_transfer_times_out(void **state)
{
        struct fx *fx = fx_new(5);
        int l, t;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        t = (l + 1) % 5;
        fx->cut[t] = 1;
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), t), 0);
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), t), BL_EBUSY);
        fx_run(fx, 50);
        assert_int_equal(fx_submit(fx, l, "x"), BL_EBUSY);
        fx_run(fx, 60);
        assert_int_equal(fx_r(fx, l)->transfer_to, -1);
        assert_int_equal(fx_leader(fx), l);
        assert_int_equal(fx_submit(fx, l, "x"), 0);
        fx_free(fx);
}

static void test_transfer_errors(void **state)
{
        struct fx *fx = fx_new(3);
        struct fx *one = fx_new(1);
        int l;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        assert_int_equal(bl_raft_transfer(fx_r(fx, (l + 1) % 3), l), BL_ENOTLEADER);
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), l), BL_EINVAL);
        assert_int_equal(bl_raft_transfer(fx_r(fx, l), 3), BL_EINVAL);
        fx_start(one);
        fx_tick(one);
        assert_int_equal(bl_raft_transfer(fx_r(one, 0), -1), BL_EINVAL);
        fx_free(fx);
        fx_free(one);
}

/* TimeoutNow from anyone but the current leader, or of an old term, is
 * ignored. */
static void test_timeout_now_validation(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f, o;
        uint8_t buf[16];
        size_t len;
        uint64_t term;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        o = (l + 2) % 3;
        term = fx_r(fx, f)->term;
        len = bl_raft_encode_timeout_now(&(struct bl_raft_timeout_now){term}, buf, sizeof(buf));
        assert_int_equal(bl_kernel_raft.recv(fx_r(fx, f), o, BL_RAFT_MSG_TIMEOUT_NOW, buf, len), 0);
        assert_int_equal(fx_r(fx, f)->role, BL_RAFT_FOLLOWER);
        len = bl_raft_encode_timeout_now(&(struct bl_raft_timeout_now){term - 1 + (term == 1)}, buf,
                                         sizeof(buf));
        fx_r(fx, f)->term = term + 1;
        assert_int_equal(bl_kernel_raft.recv(fx_r(fx, f), l, BL_RAFT_MSG_TIMEOUT_NOW, buf, len), 0);
        assert_int_equal(fx_r(fx, f)->role, BL_RAFT_FOLLOWER);
        assert_int_equal(bl_kernel_raft.recv(fx_r(fx, f), l, BL_RAFT_MSG_TIMEOUT_NOW, buf, 3),
                         BL_EPROTO);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_transfer_to_up_to_date_follower),
            cmocka_unit_test(test_transfer_waits_for_catch_up),
            cmocka_unit_test(test_transfer_times_out),
            cmocka_unit_test(test_transfer_errors),
            cmocka_unit_test(test_timeout_now_validation),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
