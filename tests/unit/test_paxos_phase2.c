/* Unit tests for Multi-Paxos phase 2 (recv_accept.c, recv_accepted.c, phase2.c). */
#include "test_paxos_fixture.h"

/* An acceptor accepts slots at or above its promise, persists them, answers
 * with the slots, and learns the commit point the leader piggybacks. */
static void test_accept_stores_persists_answers(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos_accepted a;
        struct bl_paxos *f;
        uint64_t b = bl_paxos_ballot(1, 0);

        (void)state;
        fx_start(fx);
        f = fx_p(fx, 1);
        assert_int_equal(fx_accept(fx, 0, 1, b, 0, 1, 2), 0);
        a = fx_take_accepted(fx, 1, 0);
        assert_true(a.ok);
        assert_int_equal(a.ballot, b);
        assert_int_equal(a.first, 1);
        assert_int_equal(a.n, 2);
        assert_int_equal(f->promised, b);
        assert_int_equal(f->leader, 0);
        assert_int_equal(fx->nodes[1].recs[fx->nodes[1].n_recs - 1].type, BL_PAXOS_REC_ACCEPT);
        assert_int_equal(f->commit, 0);
        /* A heartbeat with commit 2: both slots were accepted in this
         * ballot, so they are chosen; applied in order. */
        assert_int_equal(fx_accept(fx, 0, 1, b, 2, 0, 0), 0);
        a = fx_take_accepted(fx, 1, 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(a.commit, 2);
        assert_int_equal(f->commit, 2);
        assert_int_equal(fx->nodes[1].n_applies, 2);
        assert_string_equal(fx->nodes[1].applies[0].cmd, "v1");
        assert_int_equal(fx->nodes[1].applies[1].index, 2);
        assert_int_equal(fx->nodes[1].applies[1].tag, 0);
        fx_free(fx);
}

/* An Accept below the promise is refused with the promised ballot; the
 * answer preempts a leader. */
static void test_accept_below_promise_refused(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos_accepted a;
        int l;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_p(fx, (l + 1) % 3)->promised = fx_p(fx, l)->ballot + (1 << 8);
        assert_int_equal(fx_submit(fx, l, "w", 5), 0);
        {
                struct fx_msg m = fx_take_type(fx, l, (l + 1) % 3, BL_PAXOS_MSG_ACCEPT);

                assert_int_equal(
                    bl_kernel_paxos.recv(fx_p(fx, (l + 1) % 3), l, m.type, m.buf, m.len), 0);
                free(m.buf);
                fx_sync_all(fx);
        }
        a = fx_take_accepted(fx, (l + 1) % 3, l);
        assert_false(a.ok);
        assert_int_equal(a.promised, fx_p(fx, l)->ballot + (1 << 8));
        assert_int_equal(bl_kernel_paxos.recv(fx_p(fx, l), (l + 1) % 3, BL_PAXOS_MSG_ACCEPTED,
                                              (uint8_t[64]){0}, 0),
                         BL_EPROTO);
        {
                uint8_t buf[64];
                size_t len = bl_paxos_encode_accepted(&a, buf, sizeof(buf));

                assert_int_equal(
                    bl_kernel_paxos.recv(fx_p(fx, l), (l + 1) % 3, BL_PAXOS_MSG_ACCEPTED, buf, len),
                    0);
        }
        assert_int_equal(fx_p(fx, l)->role, BL_PAXOS_FOLLOWER);
        assert_true(fx_has_event(&fx->nodes[l], BL_EV_STEP_DOWN));
        fx_free(fx);
}

/* The leader batches: commands submitted while the pipeline is full go out
 * together, at most max_batch per Accept. */
static void test_batching_and_pipeline(void **state)
{
        struct fx *fx = fx_new(3);
        int l, accepts;
        char cmd[16];

        (void)state;
        fx->cfg.paxos.pipeline = 1;
        fx->cfg.paxos.max_batch = 8;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 25);
        fx_clear_msgs(fx);
        for (int i = 0; i < 20; i++) {
                snprintf(cmd, sizeof(cmd), "c%d", i);
                assert_int_equal(fx_submit(fx, l, cmd, (uint64_t)i + 1), 0);
        }
        /* One batch in flight (pipeline 1): the first command alone. */
        accepts = fx_count(fx, l, -1, BL_PAXOS_MSG_ACCEPT);
        assert_int_equal(accepts, 2);
        fx_deliver_all(fx);
        assert_int_equal(fx_p(fx, l)->commit, fx_p(fx, l)->next_send - 1);
        assert_int_equal(fx_p(fx, l)->next_send - 1, bl_paxos_log_last(&fx_p(fx, l)->log));
        /* 20 commands: 1 + 8 + 8 + 3 slots, 4 batches to each follower. */
        {
                int applied = 0;

                for (int i = 0; i < fx->nodes[l].n_applies; i++)
                        applied += fx->nodes[l].applies[i].tag != 0;
                assert_int_equal(applied, 20);
        }
        fx_free(fx);
}

/* The leader counts its own acceptance only once its record is durable. */
static void test_leader_counts_itself_when_durable(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;
        int l, f;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 25);
        p = fx_p(fx, l);
        f = (l + 1) % 3;
        fx->cut[(l + 2) % 3] = 1;
        fx->auto_sync = 0;
        assert_int_equal(fx_submit(fx, l, "w", 3), 0);
        fx_sync(fx, f);
        while (fx_deliver(fx) == 0)
                fx_sync(fx, f);
        /* Follower f accepted; our own record is not durable yet. */
        assert_int_equal(p->commit, p->next_send - 2);
        fx_sync(fx, l);
        assert_int_equal(p->commit, p->next_send - 1);
        assert_int_equal(fx->nodes[l].applies[fx->nodes[l].n_applies - 1].tag, 3);
        fx_free(fx);
}

/* Accepts lost to one follower: the slot is chosen by the others, and the
 * follower asks for what it misses and learns it. */
static void test_lost_accepts_caught_up(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        fx_run(fx, 25);
        fx->cut[f] = 1;
        assert_int_equal(fx_submit(fx, l, "a", 1), 0);
        assert_int_equal(fx_submit(fx, l, "b", 2), 0);
        fx_deliver_all(fx);
        fx->cut[f] = 0;
        assert_int_equal(fx_p(fx, f)->commit, fx_p(fx, l)->commit - 2);
        fx_run(fx, 50);
        assert_int_equal(fx_p(fx, f)->commit, fx_p(fx, l)->commit);
        assert_string_equal(fx->nodes[f].applies[fx->nodes[f].n_applies - 1].cmd, "b");
        assert_int_equal(fx->nodes[f].sm_hash, fx->nodes[l].sm_hash);
        fx_free(fx);
}

/* A lost Accept is sent again as soon as the acceptor acknowledges a later
 * batch, not after the resend period. */
static void test_fast_resend_after_gap(void **state)
{
        struct fx *fx = fx_new(3);
        struct fx_msg m;
        int l, f;

        (void)state;
        fx->cfg.paxos.max_batch = 1;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        fx_run(fx, 25);
        fx->cut[(l + 2) % 3] = 1;
        assert_int_equal(fx_submit(fx, l, "a", 1), 0);
        m = fx_take_type(fx, l, f, BL_PAXOS_MSG_ACCEPT); /* lost */
        free(m.buf);
        assert_int_equal(fx_submit(fx, l, "b", 2), 0);
        fx_deliver_all(fx); /* no time passes */
        assert_int_equal(fx_p(fx, l)->commit, fx_p(fx, l)->next_send - 1);
        assert_int_equal(fx->nodes[l].applies[fx->nodes[l].n_applies - 1].tag, 2);
        fx_free(fx);
}

/* An Accept whose value replaces one this replica proposed ends that
 * proposal: dropped(tag). */
static void test_overwritten_proposal_dropped(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;

        (void)state;
        fx_start(fx);
        p = fx_p(fx, 1);
        assert_int_equal(
            bl_paxos_log_set(&p->log, 1, bl_paxos_ballot(1, 1), BL_PAXOS_CMD, "mine", 4), 0);
        bl_paxos_log_get(&p->log, 1)->tag = 77;
        assert_int_equal(fx_accept(fx, 0, 1, bl_paxos_ballot(2, 0), 0, 1, 1), 0);
        assert_int_equal(fx->nodes[1].n_drops, 1);
        assert_int_equal(fx->nodes[1].drops[0], 77);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_accept_stores_persists_answers),
            cmocka_unit_test(test_accept_below_promise_refused),
            cmocka_unit_test(test_batching_and_pipeline),
            cmocka_unit_test(test_leader_counts_itself_when_durable),
            cmocka_unit_test(test_lost_accepts_caught_up),
            cmocka_unit_test(test_overwritten_proposal_dropped),
            cmocka_unit_test(test_fast_resend_after_gap),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
