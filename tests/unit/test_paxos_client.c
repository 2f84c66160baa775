/* Unit tests for Multi-Paxos client requests, quorum reads and leadership transfer (client.c,
 * transfer.c, recv_timeout_now.c). */
#include "test_paxos_fixture.h"

#include "kernels/paxos/transfer.h"

static int submit_read(struct fx *fx, int i, const char *cmd, uint64_t tag)
{
        int rc = bl_kernel_paxos.submit(fx_p(fx, i), cmd, strlen(cmd), BL_SUBMIT_READONLY, tag);

        fx_auto(fx);
        return rc;
}

/* Only the leader takes commands; the proposer answers with its tag. */
static void test_submit_leader_only(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_submit(fx, 0, "x", 1), BL_ENOTLEADER);
        l = fx_elect(fx);
        assert_int_equal(fx_submit(fx, (l + 1) % 3, "x", 1), BL_ENOTLEADER);
        assert_int_equal(bl_kernel_paxos.leader(fx_p(fx, (l + 1) % 3)), l);
        assert_int_equal(fx_submit(fx, l, "x", 11), 0);
        fx_deliver_all(fx);
        assert_string_equal(fx->nodes[l].applies[fx->nodes[l].n_applies - 1].cmd, "x");
        assert_int_equal(fx->nodes[l].applies[fx->nodes[l].n_applies - 1].tag, 11);
        fx_free(fx);
}

/* Quorum reads are served once a phase 2 quorum echoes a round started
 * after they arrived, and never by a leader cut off from its quorum. */
static void test_quorum_read_confirmed(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;
        int l, n;

        (void)state;
        fx->cfg.paxos.read_mode = BL_PAXOS_READ_QUORUM;
        fx_start(fx);
        l = fx_elect(fx);
        p = fx_p(fx, l);
        fx_run(fx, 25);
        n = fx->nodes[l].n_applies;
        assert_int_equal(submit_read(fx, l, "r1", 21), 0);
        assert_int_equal(fx->nodes[l].n_applies, n); /* not before the round */
        assert_int_equal(p->read_round, 1);
        fx_deliver_all(fx);
        assert_int_equal(fx->nodes[l].n_applies, n + 1);
        assert_int_equal(fx->nodes[l].applies[n].index, 0);
        assert_int_equal(fx->nodes[l].applies[n].tag, 21);
        /* Cut off: the read waits, then is dropped when the leader steps down. */
        fx->cut[(l + 1) % 3] = fx->cut[(l + 2) % 3] = 1;
        assert_int_equal(submit_read(fx, l, "r2", 22), 0);
        fx_run(fx, 400);
        assert_int_equal(fx->nodes[l].n_applies, n + 1);
        assert_int_not_equal(p->role, BL_PAXOS_LEADER);
        assert_int_equal(fx->nodes[l].drops[fx->nodes[l].n_drops - 1], 22);
        fx_free(fx);
}

/* Leadership transfer: the target takes over with a higher ballot; the old
 * leader refuses commands meanwhile. */
static void test_transfer(void **state)
{
        struct fx *fx = fx_new(3);
        int l, t;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        t = (l + 2) % 3;
        fx_run(fx, 25);
        assert_int_equal(bl_paxos_transfer(fx_p(fx, (l + 1) % 3), t), BL_ENOTLEADER);
        assert_int_equal(bl_paxos_transfer(fx_p(fx, l), l), BL_EINVAL);
        assert_int_equal(bl_paxos_transfer(fx_p(fx, l), t), 0);
        assert_int_equal(fx_submit(fx, l, "x", 1), BL_EBUSY);
        for (int i = 0; i < 100 && fx_leader(fx) != t; i++)
                fx_run(fx, 1);
        assert_int_equal(fx_leader(fx), t);
        assert_true(fx_p(fx, t)->ballot > fx_p(fx, l)->ballot ||
                    fx_p(fx, l)->role != BL_PAXOS_LEADER);
        assert_true(fx_has_event(&fx->nodes[l], BL_EV_TRANSFER));
        assert_int_equal(fx_elect(fx), t);
        assert_int_equal(fx_submit(fx, t, "y", 2), 0);
        fx_deliver_all(fx);
        assert_int_equal(fx->nodes[t].applies[fx->nodes[t].n_applies - 1].tag, 2);
        fx_free(fx);
}

/* A leader with commands not yet sent reports them dropped when it steps
 * down. */
static void test_unsent_dropped_on_step_down(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;
        int l;

        (void)state;
        fx->cfg.paxos.pipeline = 1;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 25);
        p = fx_p(fx, l);
        assert_int_equal(fx_submit(fx, l, "a", 1), 0);
        assert_int_equal(fx_submit(fx, l, "b", 2), 0); /* waits for the pipeline */
        fx_clear_msgs(fx);
        assert_int_equal(
            fx_prepare(fx, (l + 1) % 3, l, p->ballot + (1 << 8) - l + (l + 1) % 3, 1, 1), 0);
        assert_int_equal(p->role, BL_PAXOS_FOLLOWER);
        assert_int_equal(fx->nodes[l].n_drops, 1);
        assert_int_equal(fx->nodes[l].drops[0], 2);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_submit_leader_only),
            cmocka_unit_test(test_quorum_read_confirmed),
            cmocka_unit_test(test_transfer),
            cmocka_unit_test(test_unsent_dropped_on_step_down),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
