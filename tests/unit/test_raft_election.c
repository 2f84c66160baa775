/* Unit tests for Raft leader election, votes and Pre-Vote (election.c, recv_request_vote*.c). */
#include "test_raft_fixture.h"

#include "kernels/raft/election.h"

/* Election timeout fires: plain Raft increments the term and asks for votes. */
static void test_timeout_starts_election(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;

        (void)state;
        fx_start(fx);
        fx_tick(fx); /* arms the timers */
        fx->now += 99 * FX_MS;
        fx_tick(fx);
        assert_int_equal(fx->n_msgs, 0);
        fx->now += 1 * FX_MS; /* node 0: 100 ms + jitter 0 */
        fx_tick(fx);
        r = fx_r(fx, 0);
        assert_int_equal(r->role, BL_RAFT_CANDIDATE);
        assert_int_equal(r->term, 1);
        assert_int_equal(r->voted_for, 0);
        assert_int_equal(fx_count(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE), 1);
        assert_int_equal(fx_count(fx, 0, 2, BL_RAFT_MSG_REQUEST_VOTE), 1);
        assert_true(fx_has_event(&fx->nodes[0], BL_EV_ELECTION));
        assert_int_equal(fx_r(fx, 1)->role, BL_RAFT_FOLLOWER); /* 110 ms for node 1 */
        fx_free(fx);
}

/* With Pre-Vote the candidate asks first, without touching its term. */
static void test_timeout_starts_prevote(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        fx_tick(fx);
        fx->now += 100 * FX_MS;
        fx_tick(fx);
        r = fx_r(fx, 0);
        assert_int_equal(r->role, BL_RAFT_CANDIDATE);
        assert_true(r->in_prevote);
        assert_int_equal(r->term, 0);
        assert_int_equal(r->voted_for, -1);
        assert_int_equal(fx_count(fx, 0, -1, BL_RAFT_MSG_PRE_VOTE), 2);
        assert_int_equal(fx_count(fx, 0, -1, BL_RAFT_MSG_REQUEST_VOTE), 0);
        assert_false(fx_has_event(&fx->nodes[0], BL_EV_ELECTION));
        /* One granted pre-vote makes a majority: the real election starts. */
        assert_int_equal(fx_deliver(fx), 0); /* pre-vote to node 1 */
        fx_clear_msgs(fx);
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_PRE_VOTE, 1, 0, 0);
        {
                struct bl_raft_request_vote_result res =
                    fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_PRE_VOTE_RESULT);
                uint8_t buf[16];
                size_t len;

                assert_int_equal(res.granted, 1);
                assert_int_equal(res.term, 1);
                assert_int_equal(fx_r(fx, 1)->term, 0); /* the voter did not move */
                assert_int_equal(fx_r(fx, 1)->voted_for, -1);
                len = bl_raft_encode_request_vote_result(&res, buf, sizeof(buf));
                assert_int_equal(bl_kernel_raft.recv(r, 1, BL_RAFT_MSG_PRE_VOTE_RESULT, buf, len),
                                 0);
        }
        assert_false(r->in_prevote);
        assert_int_equal(r->term, 1);
        assert_int_equal(r->voted_for, 0);
        assert_int_equal(fx_count(fx, 0, -1, BL_RAFT_MSG_REQUEST_VOTE), 2);
        fx_free(fx);
}

/* Figure 2, RequestVote receiver: term, one vote per term, up-to-date log. */
static void test_vote_granting_rules(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *v;
        struct bl_raft_request_vote_result res;

        (void)state;
        fx_start(fx);
        v = fx_r(fx, 1);
        fx_load_log(fx, 1, (uint64_t[]){1, 1, 2}, 3);
        v->term = 2;

        /* 1. Reply false if term < currentTerm. */
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 1, 10, 1);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);
        assert_int_equal(res.term, 2);

        /* Log less up-to-date (last term 1 < 2): refused, but the term is
         * adopted. */
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 3, 10, 1);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);
        assert_int_equal(v->term, 3);
        assert_int_equal(v->voted_for, -1);

        /* Same last term, shorter log: refused. */
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 3, 2, 2);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);

        /* Same last term, same length: granted. */
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 3, 3, 2);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_true(res.granted);
        assert_int_equal(res.term, 3);
        assert_int_equal(v->voted_for, 0);

        /* One vote per term: another candidate of term 3 is refused even
         * with a better log, the same candidate asking again is not. */
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_REQUEST_VOTE, 3, 9, 3);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 3, 3, 2);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_true(res.granted);

        /* A later term frees the vote. */
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_REQUEST_VOTE, 4, 3, 2);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_true(res.granted);
        assert_int_equal(v->voted_for, 2);
        fx_free(fx);
}

static void test_up_to_date_compare(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;

        (void)state;
        fx_start(fx);
        r = fx_r(fx, 0);
        fx_load_log(fx, 0, (uint64_t[]){1, 3, 3}, 3);
        assert_true(bl_raft_election_up_to_date(r, 3, 3));
        assert_true(bl_raft_election_up_to_date(r, 4, 3));
        assert_false(bl_raft_election_up_to_date(r, 2, 3));
        assert_true(bl_raft_election_up_to_date(r, 1, 4)); /* later term wins */
        assert_false(bl_raft_election_up_to_date(r, 9, 2));
        fx_free(fx);
}

/* Pre-Vote is refused while the voter hears from a leader, granted after an
 * election timeout of silence, and never changes the voter's state. */
static void test_prevote_needs_silent_leader(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *v;
        struct bl_raft_request_vote_result res;
        int l;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        l = fx_elect(fx);
        assert_int_equal(l, 0);
        v = fx_r(fx, 1);
        assert_int_equal(v->term, 1);

        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_PRE_VOTE, 2, 99, 1);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_PRE_VOTE_RESULT);
        assert_false(res.granted);
        assert_int_equal(res.term, 1);
        /* The leader itself refuses too. */
        fx_vote_request(fx, 2, 0, BL_RAFT_MSG_PRE_VOTE, 2, 99, 1);
        res = fx_take_vote_result(fx, 0, 2, BL_RAFT_MSG_PRE_VOTE_RESULT);
        assert_false(res.granted);

        /* Silence from the leader for an election timeout. */
        fx->now += 100 * FX_MS;
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_PRE_VOTE, 2, 99, 1);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_PRE_VOTE_RESULT);
        assert_true(res.granted);
        assert_int_equal(res.term, 2);
        assert_int_equal(v->term, 1);
        assert_int_equal(v->role, BL_RAFT_FOLLOWER);
        assert_int_equal(v->leader, 0);
        /* ... but not for a candidate whose log is behind. */
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_PRE_VOTE, 2, 0, 0);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_PRE_VOTE_RESULT);
        assert_false(res.granted);
        fx_free(fx);
}

/* A refused pre-vote with a later term makes the candidate adopt it; a
 * granted one does not. */
static void test_prevote_result_terms(void **state)
{
        struct fx *fx = fx_new(5);
        struct bl_raft *r;
        uint8_t buf[16];
        size_t len;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        r = fx_r(fx, 0);
        r->term = 4;
        bl_raft_election_start(r, 1);
        fx_clear_msgs(fx);
        len = bl_raft_encode_request_vote_result(&(struct bl_raft_request_vote_result){5, 1}, buf,
                                                 16);
        assert_int_equal(bl_kernel_raft.recv(r, 1, BL_RAFT_MSG_PRE_VOTE_RESULT, buf, len), 0);
        assert_int_equal(r->term, 4);
        assert_true(r->in_prevote);
        /* A duplicate of the same grant does not count twice. */
        assert_int_equal(bl_kernel_raft.recv(r, 1, BL_RAFT_MSG_PRE_VOTE_RESULT, buf, len), 0);
        assert_true(r->in_prevote);
        assert_int_equal(r->term, 4);
        /* A stale grant for another term does not count. */
        len = bl_raft_encode_request_vote_result(&(struct bl_raft_request_vote_result){4, 1}, buf,
                                                 16);
        assert_int_equal(bl_kernel_raft.recv(r, 2, BL_RAFT_MSG_PRE_VOTE_RESULT, buf, len), 0);
        assert_true(r->in_prevote);
        len = bl_raft_encode_request_vote_result(&(struct bl_raft_request_vote_result){9, 0}, buf,
                                                 16);
        assert_int_equal(bl_kernel_raft.recv(r, 2, BL_RAFT_MSG_PRE_VOTE_RESULT, buf, len), 0);
        assert_int_equal(r->term, 9);
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        fx_free(fx);
}

static void test_elect_sizes(void **state)
{
        (void)state;
        for (int n = 1; n <= 9; n++) {
                for (int pv = 0; pv <= 1; pv++) {
                        struct fx *fx = fx_new(n);
                        int l;

                        fx->cfg.raft.prevote = pv;
                        fx_start(fx);
                        l = fx_elect(fx);
                        assert_int_equal(l, 0); /* shortest timeout */
                        assert_int_equal(fx_r(fx, 0)->term, 1);
                        assert_true(fx_has_event(&fx->nodes[0], BL_EV_LEADER));
                        assert_int_equal(fx->nodes[0].events[fx->nodes[0].n_events - 1].b, 7);
                        /* The no-op of term 1 is committed everywhere. */
                        fx_run(fx, 30);
                        for (int i = 0; i < n; i++) {
                                assert_int_equal(fx_r(fx, i)->commit, 1);
                                assert_int_equal(fx_r(fx, i)->applied, 1);
                                assert_int_equal(fx->nodes[i].n_applies, 0);
                                assert_int_equal(bl_kernel_raft.leader(fx_r(fx, i)), 0);
                        }
                        fx_free(fx);
                }
        }
}

static void test_single_node_leads_at_first_tick(void **state)
{
        struct fx *fx = fx_new(1);

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        assert_int_equal(bl_kernel_raft.leader(fx_r(fx, 0)), -1);
        assert_int_equal(fx_submit(fx, 0, "x"), BL_ENOTLEADER);
        fx_tick(fx);
        assert_int_equal(bl_kernel_raft.leader(fx_r(fx, 0)), 0);
        assert_int_equal(fx_submit(fx, 0, "x"), 0);
        assert_int_equal(fx->nodes[0].n_applies, 1);
        assert_string_equal(fx->nodes[0].applies[0].cmd, "x");
        assert_int_equal(fx->nodes[0].applies[0].reply, 1);
        assert_int_equal(fx->n_msgs, 0);
        fx_free(fx);
}

/* From Figure 2: a leader that sees a later term converts to follower. */
static void test_leader_steps_down_on_higher_term(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        struct bl_raft_append_entries_result res = {
            .term = 5, .success = 0, .match = 0, .rejected = 1, .req_term = 1};
        uint8_t buf[64];
        size_t len;

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_elect(fx), 0);
        r = fx_r(fx, 0);
        len = bl_raft_encode_append_entries_result(&res, buf, sizeof(buf));
        assert_int_equal(bl_kernel_raft.recv(r, 1, BL_RAFT_MSG_APPEND_ENTRIES_RESULT, buf, len), 0);
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        assert_int_equal(r->term, 5);
        assert_int_equal(r->voted_for, -1);
        assert_int_equal(bl_kernel_raft.leader(r), -1);
        assert_true(fx_has_event(&fx->nodes[0], BL_EV_STEP_DOWN));
        assert_int_equal(fx->nodes[0].events[fx->nodes[0].n_events - 1].type, BL_EV_STEP_DOWN);
        assert_int_equal(fx->nodes[0].events[fx->nodes[0].n_events - 1].a, 1); /* term left */
        assert_int_equal(fx->nodes[0].events[fx->nodes[0].n_events - 1].b, 7); /* shard */
        assert_int_equal(fx_submit(fx, 0, "x"), BL_ENOTLEADER);
        fx_free(fx);
}

/* A candidate that hears AppendEntries from a leader of its term follows it. */
static void test_candidate_yields_to_leader(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;

        (void)state;
        fx_start(fx);
        r = fx_r(fx, 1);
        bl_raft_election_start(r, 0);
        fx_clear_msgs(fx);
        assert_int_equal(r->term, 1);
        assert_int_equal(fx_append(fx, 2, 1, 1, 0, 0, 0, NULL, 0), 0);
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        assert_int_equal(r->leader, 2);
        assert_int_equal(r->voted_for, 1); /* persistent vote kept */
        fx_free(fx);
}

/* With Pre-Vote a node cut off from the others keeps its term, so the
 * cluster's leader survives its return (Section 9.6). Without Pre-Vote the
 * returning node's inflated term deposes the leader. */
static void test_partitioned_node_cannot_disrupt_with_prevote(void **state)
{
        (void)state;
        for (int pv = 0; pv <= 1; pv++) {
                struct fx *fx = fx_new(3);
                uint64_t term;

                fx->cfg.raft.prevote = pv;
                fx_start(fx);
                assert_int_equal(fx_elect(fx), 0);
                term = fx_r(fx, 0)->term;
                fx->cut[2] = 1;
                fx_run(fx, 2000);
                if (pv)
                        assert_int_equal(fx_r(fx, 2)->term, term);
                else
                        assert_true(fx_r(fx, 2)->term > term + 5);
                fx->cut[2] = 0;
                fx_run(fx, 500);
                assert_true(fx_leader(fx) >= 0);
                if (pv) {
                        assert_int_equal(fx_leader(fx), 0);
                        assert_int_equal(fx_r(fx, 0)->term, term);
                        assert_false(fx_has_event(&fx->nodes[0], BL_EV_STEP_DOWN));
                } else {
                        assert_true(fx_has_event(&fx->nodes[0], BL_EV_STEP_DOWN));
                }
                fx_free(fx);
        }
}

/* Section 6.2: a leader without a quorum for an election timeout steps down. */
static void test_leader_without_quorum_steps_down(void **state)
{
        struct fx *fx = fx_new(5);

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_elect(fx), 0);
        fx->cut[1] = fx->cut[2] = 1; /* 0, 3, 4 remain: a majority */
        fx_run(fx, 300);
        assert_int_equal(fx_r(fx, 0)->role, BL_RAFT_LEADER);
        fx->cut[3] = 1;
        fx_run(fx, 150);
        assert_int_equal(fx_r(fx, 0)->role, BL_RAFT_FOLLOWER);
        assert_true(fx_has_event(&fx->nodes[0], BL_EV_STEP_DOWN));
        fx_free(fx);
}

/* A new leader is elected when the old one dies, in a later term. */
static void test_reelection_after_leader_crash(void **state)
{
        struct fx *fx = fx_new(5);
        int l;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        assert_int_equal(fx_elect(fx), 0);
        fx_crash(fx, 0);
        l = fx_elect(fx);
        assert_true(l > 0);
        assert_int_equal(fx_r(fx, l)->term, 2);
        fx_recover(fx, 0);
        fx_run(fx, 100);
        assert_int_equal(fx_r(fx, 0)->leader, l);
        assert_int_equal(fx_r(fx, 0)->term, 2);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_timeout_starts_election),
            cmocka_unit_test(test_timeout_starts_prevote),
            cmocka_unit_test(test_vote_granting_rules),
            cmocka_unit_test(test_up_to_date_compare),
            cmocka_unit_test(test_prevote_needs_silent_leader),
            cmocka_unit_test(test_prevote_result_terms),
            cmocka_unit_test(test_elect_sizes),
            cmocka_unit_test(test_single_node_leads_at_first_tick),
            cmocka_unit_test(test_leader_steps_down_on_higher_term),
            cmocka_unit_test(test_candidate_yields_to_leader),
            cmocka_unit_test(test_partitioned_node_cannot_disrupt_with_prevote),
            cmocka_unit_test(test_leader_without_quorum_steps_down),
            cmocka_unit_test(test_reelection_after_leader_crash),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
