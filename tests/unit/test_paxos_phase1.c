/* Unit tests for Multi-Paxos phase 1 (recv_prepare.c, recv_promise.c, phase1.c). */
#include "test_paxos_fixture.h"

#include "kernels/paxos/phase1.h"

static struct bl_paxos_promise take_promise(struct fx *fx, int from, int to, struct fx_msg *keep)
{
        struct bl_paxos_promise m;

        *keep = fx_take_type(fx, from, to, BL_PAXOS_MSG_PROMISE);
        assert_int_equal(bl_paxos_decode_promise(keep->buf, keep->len, &m), 0);
        return m;
}

/* A prepare above the promise is promised, persisted, and answered with the
 * values accepted from `from` on. */
static void test_prepare_promises_with_accepted_values(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos_promise m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;
        struct fx_msg keep;
        uint64_t b1 = bl_paxos_ballot(1, 0), b2 = bl_paxos_ballot(2, 2);

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_accept(fx, 0, 1, b1, 0, 1, 3), 0); /* slots 1..3 at b1 */
        fx_discard(fx, 1, BL_PAXOS_MSG_ACCEPTED);
        assert_int_equal(fx_prepare(fx, 2, 1, b2, 2, 0 /* not forced */), 0);
        /* Node 1 hears leader 0: sticky, refuses without promising. */
        m = take_promise(fx, 1, 2, &keep);
        free(keep.buf);
        assert_false(m.ok);
        assert_int_equal(fx_p(fx, 1)->promised, b1);
        /* Forced (transfer), or once the leader is silent: promised. */
        fx->now += 200 * FX_MS;
        assert_int_equal(fx_prepare(fx, 2, 1, b2, 2, 0), 0);
        m = take_promise(fx, 1, 2, &keep);
        assert_true(m.ok);
        assert_int_equal(m.ballot, b2);
        assert_int_equal(fx_p(fx, 1)->promised, b2);
        assert_int_equal(m.n, 2); /* slots 2 and 3 */
        bl_rbuf_init(&r, m.values, m.values_len);
        assert_int_equal(bl_paxos_values_next(&r, 1, &v), 0);
        assert_int_equal(v.slot, 2);
        assert_int_equal(v.ballot, b1);
        assert_memory_equal(v.buf, "v2", 2);
        free(keep.buf);
        /* The promise is on stable storage. */
        assert_int_equal(fx->nodes[1].recs[fx->nodes[1].n_recs - 1].type, BL_PAXOS_REC_PROMISE);
        fx_free(fx);
}

/* A prepare below the promise is refused with the promised ballot. */
static void test_prepare_below_promise_refused(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos_promise m;
        struct fx_msg keep;

        (void)state;
        fx_start(fx);
        fx_p(fx, 1)->promised = bl_paxos_ballot(5, 0);
        assert_int_equal(fx_prepare(fx, 2, 1, bl_paxos_ballot(4, 2), 1, 1), 0);
        m = take_promise(fx, 1, 2, &keep);
        free(keep.buf);
        assert_false(m.ok);
        assert_int_equal(m.promised, bl_paxos_ballot(5, 0));
        assert_int_equal(fx_p(fx, 1)->promised, bl_paxos_ballot(5, 0));
        /* A ballot that does not name its sender is malformed. */
        assert_int_equal(fx_prepare(fx, 2, 1, bl_paxos_ballot(9, 1), 1, 1), BL_EPROTO);
        fx_free(fx);
}

/* The promise waits until the promise record is durable. */
static void test_promise_waits_for_durability(void **state)
{
        struct fx *fx = fx_new(3);

        (void)state;
        fx_start(fx);
        fx->auto_sync = 0;
        assert_int_equal(fx_prepare(fx, 2, 1, bl_paxos_ballot(1, 2), 1, 1), 0);
        assert_int_equal(fx_count(fx, 1, 2, BL_PAXOS_MSG_PROMISE), 0);
        fx_sync(fx, 1);
        assert_int_equal(fx_count(fx, 1, 2, BL_PAXOS_MSG_PROMISE), 1);
        fx_free(fx);
}

/* A candidate first probes without promising anything; once q1 would
 * promise, it promises its own ballot and sends prepares only when that
 * promise is durable; q1 promises make it leader. */
static void test_candidate_waits_for_own_promise(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;

        (void)state;
        fx_start(fx);
        fx->auto_sync = 0;
        p = fx_p(fx, 0);
        bl_paxos_phase1_start(p, 0);
        assert_int_equal(p->role, BL_PAXOS_CANDIDATE);
        assert_true(p->probing);
        assert_int_equal(p->promised, 0);
        assert_int_equal(fx->nodes[0].n_recs, 0);
        assert_int_equal(fx_count(fx, 0, -1, BL_PAXOS_MSG_PREPARE), 2); /* probes */
        fx_deliver_all(fx);
        assert_false(p->probing);
        assert_int_equal(p->promised, p->ballot);
        assert_int_equal(fx_p(fx, 1)->promised, 0); /* a probe promises nothing */
        assert_int_equal(fx_count(fx, 0, -1, BL_PAXOS_MSG_PREPARE), 0);
        fx_sync(fx, 0);
        assert_int_equal(fx_count(fx, 0, -1, BL_PAXOS_MSG_PREPARE), 2);
        fx->auto_sync = 1;
        fx_deliver_all(fx);
        assert_int_equal(p->role, BL_PAXOS_LEADER);
        assert_true(fx_has_event(&fx->nodes[0], BL_EV_LEADER));
        fx_free(fx);
}

/* The new leader re-proposes the highest-ballot value per slot and fills
 * gaps with no-ops. */
static void test_leader_reproposes_highest_and_fills_gaps(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;
        uint64_t b1 = bl_paxos_ballot(1, 1), b2 = bl_paxos_ballot(2, 2);

        (void)state;
        fx_start(fx);
        /* Node 1 accepted slot 1 (b1) and slot 3 (b1); node 2 accepted a
         * different value for slot 3 in b2 (its own log, white-box). */
        assert_int_equal(fx_accept(fx, 1, 0, b1, 0, 1, 1), 0);
        assert_int_equal(bl_paxos_log_set(&fx_p(fx, 2)->log, 3, b2, BL_PAXOS_CMD, "X", 1), 0);
        assert_int_equal(bl_paxos_log_set(&fx_p(fx, 0)->log, 3, b1, BL_PAXOS_CMD, "v3", 2), 0);
        fx_p(fx, 2)->promised = b2;
        fx_clear_msgs(fx);
        fx->now += 500 * FX_MS; /* everyone's leader is silent */
        fx->cut[1] = 1;         /* the phase 1 quorum is {0, 2} */
        p = fx_p(fx, 0);
        bl_paxos_phase1_start(p, 0);
        fx_sync(fx, 0);
        fx_deliver_all(fx);
        /* Ballot b2 at node 2 forced node 0 to a round above 2. */
        if (p->role != BL_PAXOS_LEADER) {
                bl_paxos_phase1_start(p, 0);
                fx_sync(fx, 0);
                fx_deliver_all(fx);
        }
        assert_int_equal(p->role, BL_PAXOS_LEADER);
        assert_true(bl_paxos_round(p->ballot) > 2);
        assert_int_equal(p->p1_end, 3);
        assert_true(bl_paxos_slot_same(bl_paxos_log_get(&p->log, 1), BL_PAXOS_CMD, "v1", 2));
        assert_int_equal(bl_paxos_log_get(&p->log, 2)->type, BL_PAXOS_NOOP);
        assert_true(bl_paxos_slot_same(bl_paxos_log_get(&p->log, 3), BL_PAXOS_CMD, "X", 1));
        /* Chosen and learned everywhere after a heartbeat. */
        fx->cut[1] = 0;
        fx_run(fx, 30);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(fx_p(fx, i)->commit, 3);
                assert_int_equal(fx->nodes[i].n_applies, 2);
                assert_string_equal(fx->nodes[i].applies[1].cmd, "X");
        }
        fx_free(fx);
}

/* A member cut off from the others keeps probing but never raises its
 * promise; when it comes back it follows the leader, which stays leader. */
static void test_isolated_member_does_not_disrupt(void **state)
{
        struct fx *fx = fx_new(3);
        int l, x;
        uint64_t ballot;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        x = (l + 1) % 3;
        ballot = fx_p(fx, l)->ballot;
        fx->cut[x] = 1;
        fx_run(fx, 1000);
        assert_true(fx_has_event(&fx->nodes[x], BL_EV_ELECTION) == 0);
        assert_int_equal(fx_p(fx, x)->promised, ballot);
        fx->cut[x] = 0;
        fx_run(fx, 100);
        assert_int_equal(fx_leader(fx), l);
        assert_int_equal(fx_p(fx, l)->ballot, ballot);
        assert_int_equal(fx_p(fx, x)->leader, l);
        assert_false(fx_has_event(&fx->nodes[l], BL_EV_STEP_DOWN));
        fx_free(fx);
}

/* A refusal with a higher ballot preempts a candidate, which backs off. */
static void test_preempted_candidate_backs_off(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;

        (void)state;
        fx_start(fx);
        fx_p(fx, 1)->promised = bl_paxos_ballot(7, 2);
        fx_p(fx, 2)->promised = bl_paxos_ballot(7, 2);
        p = fx_p(fx, 0);
        bl_paxos_phase1_start(p, 0);
        fx_sync(fx, 0);
        fx_deliver_all(fx);
        assert_int_equal(p->role, BL_PAXOS_FOLLOWER);
        assert_int_equal(p->backoff, 1);
        assert_int_equal(p->seen, bl_paxos_ballot(7, 2));
        /* The next attempt goes above it. */
        bl_paxos_phase1_start(p, 0);
        assert_int_equal(bl_paxos_round(p->ballot), 8);
        fx_free(fx);
}

/* FPaxos: with 5 members and Q2 = 2, phase 1 needs 4 promises. */
static void test_flexible_phase1_quorum(void **state)
{
        struct fx *fx = fx_new(5);
        struct bl_paxos *p;

        (void)state;
        fx->cfg.paxos.phase2_quorum = 2;
        fx_start(fx);
        p = fx_p(fx, 0);
        assert_int_equal(p->q2, 2);
        assert_int_equal(p->q1, 4);
        fx->cut[3] = 1;
        fx->cut[4] = 1;
        bl_paxos_phase1_start(p, 0);
        fx_sync(fx, 0);
        fx_deliver_all(fx);
        assert_int_equal(p->role, BL_PAXOS_CANDIDATE); /* 3 promises are not enough */
        fx->cut[3] = 0;
        bl_paxos_phase1_start(p, 0);
        fx_sync(fx, 0);
        fx_deliver_all(fx);
        assert_int_equal(p->role, BL_PAXOS_LEADER);
        /* Phase 2 needs only one other acceptor. */
        fx->cut[1] = fx->cut[2] = fx->cut[3] = 1;
        fx->cut[4] = 0;
        assert_int_equal(fx_submit(fx, 0, "w", 9), 0);
        fx_deliver_all(fx);
        assert_true(p->commit >= 1);
        assert_int_equal(fx->nodes[0].applies[fx->nodes[0].n_applies - 1].tag, 9);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prepare_promises_with_accepted_values),
            cmocka_unit_test(test_prepare_below_promise_refused),
            cmocka_unit_test(test_promise_waits_for_durability),
            cmocka_unit_test(test_candidate_waits_for_own_promise),
            cmocka_unit_test(test_leader_reproposes_highest_and_fills_gaps),
            cmocka_unit_test(test_preempted_candidate_backs_off),
            cmocka_unit_test(test_isolated_member_does_not_disrupt),
            cmocka_unit_test(test_flexible_phase1_quorum),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
