/* Unit tests for Raft persistence and recovery: records, durability before answers, replay
 * (persist.c). */
#include "test_raft_fixture.h"

#include "kernels/raft/election.h"

/* Recovery rebuilds currentTerm, votedFor and the log from the durable
 * records; everything else starts fresh. */
static void test_replay_rebuilds_persistent_state(void **state)
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
        assert_int_equal(fx->kern->submit(r, "r", 1, BL_SUBMIT_READONLY, 1), 0);
        assert_int_equal(r->reads_n, 1);
        term = r->term;
        voted = r->voted_for;
        last = bl_raft_log_last_index(&r->log);
        assert_int_equal(r->commit, 6);

        fx_crash(fx, l);
        fx_recover(fx, l);
        r = fx_r(fx, l);
        assert_int_equal(r->term, term);
        assert_int_equal(r->voted_for, voted);
        assert_int_equal(bl_raft_log_last_index(&r->log), last);
        assert_int_equal(r->durable_index, last);
        assert_int_equal(r->role, BL_RAFT_FOLLOWER);
        assert_int_equal(r->commit, 0);
        assert_int_equal(r->applied, 0);
        assert_int_equal(r->reads_n, 0);
        assert_int_equal(fx->kern->leader(r), -1);
        assert_int_equal(fx_submit(fx, l, "x"), BL_ENOTLEADER);
        for (uint64_t i = 1; i <= last; i++)
                assert_int_equal(bl_raft_log_get(&r->log, i)->term, term);
        fx_free(fx);
}

/* start() resets the state machine and entries are applied again as commit
 * advances: the same state as before the crash. */
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
        hash = fx->nodes[f].sm_hash;
        assert_int_equal(fx->nodes[f].sm_count, 5);
        fx_crash(fx, f);
        fx->nodes[f].n_applies = 0;
        fx_recover(fx, f);
        r = fx_r(fx, f);
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

/* A vote is granted only once it is durable, and survives a crash: no second
 * vote in the same term. */
static void test_vote_durable_before_granted(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_request_vote_result res;

        (void)state;
        fx_start(fx);
        fx->manual_sync = 1;
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 5, 0, 0);
        assert_int_equal(fx_r(fx, 1)->voted_for, 0);
        assert_int_equal(fx_count(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT), 0);
        /* A crash now forgets the vote: it was never granted. */
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        assert_int_equal(fx_r(fx, 1)->voted_for, -1);
        assert_int_equal(fx_r(fx, 1)->term, 0);
        fx_vote_request(fx, 0, 1, BL_RAFT_MSG_REQUEST_VOTE, 5, 0, 0);
        assert_int_equal(fx_count(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT), 0);
        fx_sync_node(fx, 1);
        res = fx_take_vote_result(fx, 1, 0, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_true(res.granted);
        assert_int_equal(res.term, 5);
        /* Durable: it survives, and node 2 gets no vote in term 5. */
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        assert_int_equal(fx_r(fx, 1)->voted_for, 0);
        fx_vote_request(fx, 2, 1, BL_RAFT_MSG_REQUEST_VOTE, 5, 0, 0);
        res = fx_take_vote_result(fx, 1, 2, BL_RAFT_MSG_REQUEST_VOTE_RESULT);
        assert_false(res.granted);
        fx_free(fx);
}

/* A candidate counts its own vote only once it is durable: the others'
 * grants alone do not make it leader. */
static void test_candidate_waits_for_own_vote(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *c;

        (void)state;
        fx_start(fx);
        fx->manual_sync = 1;
        c = fx_r(fx, 0);
        bl_raft_election_start(c, 0);
        assert_int_equal(c->role, BL_RAFT_CANDIDATE);
        /* The voters make their votes durable and answer. */
        for (int k = 0; k < 2; k++)
                assert_int_equal(fx_deliver(fx), 0);
        fx_sync_node(fx, 1);
        fx_sync_node(fx, 2);
        fx_deliver_all(fx);
        assert_int_equal(c->role, BL_RAFT_CANDIDATE); /* two grants, own vote not durable */
        fx_sync_node(fx, 0);
        assert_int_equal(c->role, BL_RAFT_LEADER);
        fx_free(fx);
}

/* A follower acknowledges entries only once they are durable; the answer
 * goes out from durable(). */
static void test_follower_acks_durable_entries_only(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;
        uint64_t terms[3] = {1, 1, 1};

        (void)state;
        fx_start(fx);
        fx->manual_sync = 1;
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, terms, 3), 0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 3);
        assert_int_equal(fx_count(fx, 1, 0, BL_RAFT_MSG_APPEND_ENTRIES_RESULT), 0);
        /* A heartbeat meanwhile, for entries not durable either: no answer. */
        assert_int_equal(fx_append(fx, 0, 1, 1, 3, 1, 0, NULL, 0), 0);
        assert_int_equal(fx_count(fx, 1, 0, BL_RAFT_MSG_APPEND_ENTRIES_RESULT), 0);
        fx_sync_node(fx, 1);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(res.match, 3);
        assert_int_equal(fx_count(fx, 1, 0, BL_RAFT_MSG_APPEND_ENTRIES_RESULT), 0);
        /* Durable now: the next heartbeat is answered at once. */
        assert_int_equal(fx_append(fx, 0, 1, 1, 3, 1, 0, NULL, 0), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(res.match, 3);
        fx_free(fx);
}

/* Records not durable at a crash are lost; the rest is replayed. */
static void test_crash_loses_unsynced_records(void **state)
{
        struct fx *fx = fx_new(3);
        uint64_t t2[2] = {1, 1}, t1[1] = {1};

        (void)state;
        fx_start(fx);
        fx->manual_sync = 1;
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, t2, 2), 0);
        fx_sync_node(fx, 1);
        assert_int_equal(fx_append(fx, 0, 1, 1, 2, 1, 0, t1, 1), 0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 3);
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 2);
        assert_int_equal(fx_r(fx, 1)->term, 1);
        fx_free(fx);
}

/* A conflicting AppendEntries truncates the log; the record that replaces
 * the tail says so, and replay reproduces the result. */
static void test_replay_truncation(void **state)
{
        struct fx *fx = fx_new(3);
        uint64_t old[3] = {1, 1, 1}, new[2] = {2, 2};

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, old, 3), 0);
        assert_int_equal(fx_append(fx, 2, 1, 2, 1, 1, 0, new, 2), 0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 3);
        assert_int_equal(bl_raft_log_term_of(&fx_r(fx, 1)->log, 2), 2);
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 3);
        assert_int_equal(bl_raft_log_term_of(&fx_r(fx, 1)->log, 1), 1);
        assert_int_equal(bl_raft_log_term_of(&fx_r(fx, 1)->log, 2), 2);
        assert_int_equal(bl_raft_log_term_of(&fx_r(fx, 1)->log, 3), 2);
        assert_int_equal(fx_r(fx, 1)->term, 2);
        fx_free(fx);
}

/* A proposal whose entry is truncated by a conflicting AppendEntries is
 * reported dropped (white-box: the tag is set by hand, since a leader clears
 * its tags when it steps down, before any later leader can reach it). */
static void test_truncation_drops_tagged_entries(void **state)
{
        struct fx *fx = fx_new(3);
        uint64_t old[3] = {1, 1, 1}, new[1] = {2};

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, old, 3), 0);
        bl_raft_log_get(&fx_r(fx, 1)->log, 3)->tag = 42;
        assert_int_equal(fx_append(fx, 2, 1, 2, 1, 1, 0, new, 1), 0);
        assert_int_equal(fx->nodes[1].n_dropped, 1);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 2);
        fx_free(fx);
}

/* The leader sends an entry before it is durable (the disk and the network
 * work in parallel) but counts its own copy only once it is: with one
 * follower cut off, the commit waits for the leader's disk. */
static void test_leader_writes_in_parallel(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        int l, f, cut;
        uint64_t commit;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        r = fx_r(fx, l);
        f = (l + 1) % 3;
        cut = (l + 2) % 3;
        fx->cut[cut] = 1;
        fx->manual_sync = 1;
        commit = r->commit;
        assert_int_equal(fx_submit(fx, l, "w"), 0);
        assert_true(fx_count(fx, l, f, BL_RAFT_MSG_APPEND_ENTRIES) > 0); /* sent at once */
        assert_true(r->durable_index < bl_raft_log_last_index(&r->log));
        fx_deliver_all(fx);
        fx_sync_node(fx, f);
        fx_deliver_all(fx);
        assert_int_equal(r->peers[f].match, bl_raft_log_last_index(&r->log));
        assert_int_equal(r->commit, commit); /* the follower alone is no majority */
        fx_sync_node(fx, l);
        assert_int_equal(r->commit, commit + 1);
        fx_free(fx);
}

/* A snapshot record supersedes the records before it: once it is durable
 * they are compacted, and recovery from what is left gives the same state. */
static void test_snapshot_compacts_records(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        int l, f;
        uint64_t hash, count;

        (void)state;
        fx->cfg.raft.snapshot_entries = 10;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        for (int k = 0; k < 45; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        fx_run(fx, 50);
        r = fx_r(fx, f);
        assert_true(r->snap.index >= 40);
        assert_true(fx->nodes[f].compactions > 0);
        assert_true(fx->nodes[f].log.n < 20);                          /* not 45 entries' worth */
        assert_int_equal(bl_memlog_at(&fx->nodes[f].log, 0)->type, 3); /* SNAPSHOT first */
        hash = fx->nodes[f].sm_hash;
        count = fx->nodes[f].sm_count;
        fx_crash(fx, f);
        fx_recover(fx, f);
        fx_run(fx, 100);
        assert_int_equal(fx->nodes[f].sm_count, count);
        assert_int_equal(fx->nodes[f].sm_hash, hash);
        fx_free(fx);
}

/* A record that cannot be ours is refused: recovery stops loudly. */
static void test_replay_refuses_malformed(void **state)
{
        struct fx *fx = fx_new(3);
        void *k;
        uint8_t buf[64] = {0};
        struct bl_wbuf w;

        (void)state;
        fx_start(fx);
        k = fx_r(fx, 1);
        assert_int_equal(fx->kern->replay(k, 1, 99, buf, 12), BL_EPROTO); /* type */
        assert_int_equal(fx->kern->replay(k, 1, 1, buf, 11), BL_EPROTO);  /* short */
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_put_u64(&w, 1);
        bl_put_u32(&w, 7); /* vote for member 7 of 3 */
        assert_int_equal(fx->kern->replay(k, 1, 1, buf, w.len), BL_EPROTO);
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_put_u64(&w, 5); /* entries from index 5 into an empty log: a hole */
        bl_put_u32(&w, 0);
        assert_int_equal(fx->kern->replay(k, 2, 2, buf, w.len), BL_EPROTO);
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
        fx_crash(fx, l);
        fx->cut[l] = 0;
        l2 = fx_elect(fx);
        assert_true(l2 != l);
        for (int k = 0; k < 4; k++)
                assert_int_equal(fx_submit(fx, l2, "kept"), 0);
        fx_run(fx, 50);
        fx_recover(fx, l);
        fx->nodes[l].n_applies = 0;
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

/* A follower whose storage cut a torn tail on recovery holds fewer entries
 * than it acknowledged (the last record of its log is gone). The leader must
 * move its matchIndex back and resend, not wait forever for an answer to an
 * index the follower no longer has. */
static void test_follower_torn_tail_catches_up(void **state)
{
        struct fx *fx = fx_new(3);
        struct fx_node *nd;
        int l, f;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        for (int k = 0; k < 5; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        fx_run(fx, 50);
        assert_int_equal(fx_r(fx, l)->peers[f].match, bl_raft_log_last_index(&fx_r(fx, l)->log));
        fx_crash(fx, f);
        nd = &fx->nodes[f];
        /* The torn tail: the last durable record (the last entry) is lost. */
        bl_memlog_truncate_after(&nd->log, bl_memlog_at(&nd->log, nd->log.n - 1)->seq - 1);
        fx_recover(fx, f);
        assert_true(bl_raft_log_last_index(&fx_r(fx, f)->log) <
                    bl_raft_log_last_index(&fx_r(fx, l)->log));
        fx_run(fx, 300);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, f)->log),
                         bl_raft_log_last_index(&fx_r(fx, l)->log));
        assert_int_equal(fx_r(fx, f)->applied, fx_r(fx, l)->applied);
        assert_int_equal(fx->nodes[f].sm_hash, fx->nodes[l].sm_hash);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_replay_rebuilds_persistent_state),
            cmocka_unit_test(test_recover_reapplies),
            cmocka_unit_test(test_vote_durable_before_granted),
            cmocka_unit_test(test_candidate_waits_for_own_vote),
            cmocka_unit_test(test_follower_acks_durable_entries_only),
            cmocka_unit_test(test_crash_loses_unsynced_records),
            cmocka_unit_test(test_replay_truncation),
            cmocka_unit_test(test_truncation_drops_tagged_entries),
            cmocka_unit_test(test_leader_writes_in_parallel),
            cmocka_unit_test(test_snapshot_compacts_records),
            cmocka_unit_test(test_replay_refuses_malformed),
            cmocka_unit_test(test_leader_crash_and_rejoin),
            cmocka_unit_test(test_follower_torn_tail_catches_up),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
