/* Unit tests for Raft log replication (recv_append_entries*.c, replication.c). */
#include "test_raft_fixture.h"

#include "kernels/raft/election.h"
#include "kernels/raft/replication.h"

static void assert_log_terms(struct bl_raft *r, const uint64_t *terms, int n)
{
        assert_int_equal(bl_raft_log_last_index(&r->log), (uint64_t)n);
        for (int i = 0; i < n; i++)
                assert_int_equal(bl_raft_log_term_of(&r->log, (uint64_t)i + 1), terms[i]);
}

/* Rules 2-4 on a clean follower: entries are appended, success = last new. */
static void test_append_accept(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;
        struct bl_raft *f;

        (void)state;
        fx_start(fx);
        f = fx_r(fx, 1);
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, (uint64_t[]){1, 1}, 2), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(res.match, 2);
        assert_int_equal(res.term, 1);
        assert_log_terms(f, (uint64_t[]){1, 1}, 2);
        assert_int_equal(f->leader, 0);
        assert_int_equal(f->term, 1);
        assert_int_equal(f->commit, 0);
        /* Heartbeat carrying the commit index: both entries applied in order. */
        assert_int_equal(fx_append(fx, 0, 1, 1, 2, 1, 2, NULL, 0), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(f->commit, 2);
        assert_int_equal(f->applied, 2);
        assert_int_equal(fx->nodes[1].n_applies, 2);
        assert_string_equal(fx->nodes[1].applies[0].cmd, "e1");
        assert_string_equal(fx->nodes[1].applies[1].cmd, "e2");
        assert_int_equal(fx->nodes[1].applies[0].reply, 0); /* followers never reply */
        fx_free(fx);
}

/* Rule 1: reply false if term < currentTerm; nothing changes. */
static void test_append_stale_term_rejected(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;
        struct bl_raft *f;

        (void)state;
        fx_start(fx);
        f = fx_r(fx, 1);
        f->term = 3;
        assert_int_equal(fx_append(fx, 0, 1, 2, 0, 0, 0, (uint64_t[]){2}, 1), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_false(res.success);
        assert_int_equal(res.term, 3);
        assert_int_equal(bl_raft_log_last_index(&f->log), 0);
        assert_int_equal(f->leader, -1);
        fx_free(fx);
}

/* Rule 2 with the Section 5.3 hint: a short log says where it ends. */
static void test_append_reject_short_log(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;

        (void)state;
        fx_start(fx);
        fx_load_log(fx, 1, (uint64_t[]){1, 1}, 2);
        assert_int_equal(fx_append(fx, 0, 1, 2, 5, 2, 0, (uint64_t[]){2}, 1), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_false(res.success);
        assert_int_equal(res.rejected, 5);
        assert_int_equal(res.match, 2);
        assert_int_equal(res.conflict_term, 0);
        assert_int_equal(bl_raft_log_last_index(&fx_r(fx, 1)->log), 2);
        fx_free(fx);
}

/* Rule 2 with the hint: term of the conflicting entry and its first index. */
static void test_append_reject_conflict_hint(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;

        (void)state;
        fx_start(fx);
        fx_load_log(fx, 1, (uint64_t[]){1, 1, 2, 2, 2}, 5);
        fx_r(fx, 1)->term = 2;
        assert_int_equal(fx_append(fx, 0, 1, 3, 4, 3, 0, (uint64_t[]){3}, 1), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_false(res.success);
        assert_int_equal(res.rejected, 4);
        assert_int_equal(res.conflict_term, 2);
        assert_int_equal(res.conflict_index, 3);
        assert_int_equal(res.match, 5);
        assert_log_terms(fx_r(fx, 1), (uint64_t[]){1, 1, 2, 2, 2}, 5);
        fx_free(fx);
}

/* Rule 3: a conflicting entry and everything after it are deleted. */
static void test_append_truncates_conflict(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;

        (void)state;
        fx_start(fx);
        fx_load_log(fx, 1, (uint64_t[]){1, 1, 2, 2}, 4);
        fx_r(fx, 1)->term = 2;
        assert_int_equal(fx_append(fx, 0, 1, 3, 2, 1, 0, (uint64_t[]){3}, 1), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(res.match, 3);
        assert_log_terms(fx_r(fx, 1), (uint64_t[]){1, 1, 3}, 3);
        fx_free(fx);
}

/* A late, shorter AppendEntries must not cut entries that match (rule 3 only
 * deletes on conflict), and rule 5 bounds commit by the last new entry. */
static void test_append_stale_message_keeps_log(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries_result res;
        struct bl_raft *f;

        (void)state;
        fx_start(fx);
        f = fx_r(fx, 1);
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 0, (uint64_t[]){1, 1, 1}, 3), 0);
        fx_clear_msgs(fx);
        assert_int_equal(fx_append(fx, 0, 1, 1, 0, 0, 9, (uint64_t[]){1}, 1), 0);
        res = fx_take_ae_result(fx, 1, 0);
        assert_true(res.success);
        assert_int_equal(res.match, 1);
        assert_int_equal(bl_raft_log_last_index(&f->log), 3);
        assert_int_equal(f->commit, 1); /* min(leaderCommit 9, last new 1) */
        fx_free(fx);
}

/* Figure 8: a leader must not commit an entry of an earlier term by counting
 * replicas, only through an entry of its own term. max_batch = 1 makes the
 * old entry travel alone. */
static void test_figure8_commit_only_current_term(void **state)
{
        struct fx *fx = fx_new(5);
        struct bl_raft *l;
        int majority_seen_without_commit = 0;

        (void)state;
        fx->cfg.raft.max_batch = 1;
        fx_start(fx);
        /* (c) of Figure 8: S1 (our 0) holds [1, 2], S2 (our 1) too, S3 and
         * S4 (2, 3) only [1], S5 (4) holds [1, 3]. S1 becomes leader of
         * term 4 with votes of S2, S3, S4. S2 is then cut off. */
        fx_load_log(fx, 0, (uint64_t[]){1, 2}, 2);
        fx_load_log(fx, 1, (uint64_t[]){1, 2}, 2);
        fx_load_log(fx, 2, (uint64_t[]){1}, 1);
        fx_load_log(fx, 3, (uint64_t[]){1}, 1);
        fx_load_log(fx, 4, (uint64_t[]){1, 3}, 2);
        for (int i = 0; i < 5; i++)
                fx_r(fx, i)->term = 3;
        fx->cut[1] = 1;
        fx->cut[4] = 1;
        l = fx_r(fx, 0);
        l->term = 3;
        bl_raft_election_start(l, 0);
        assert_int_equal(l->term, 4);
        while (fx->n_msgs > 0) {
                int with2 = 1, with3 = 1;

                assert_int_equal(fx_deliver(fx), 0);
                for (int i = 1; i < 5; i++) {
                        with2 += l->role == BL_RAFT_LEADER && l->peers[i].match >= 2;
                        with3 += l->role == BL_RAFT_LEADER && l->peers[i].match >= 3;
                }
                if (with2 >= 3 && with3 < 3) {
                        assert_int_equal(l->commit, 0);
                        majority_seen_without_commit = 1;
                }
                if (l->commit > 0)
                        assert_true(with3 >= 3);
        }
        assert_true(majority_seen_without_commit);
        assert_int_equal(l->role, BL_RAFT_LEADER);
        assert_int_equal(l->commit, 3);
        assert_int_equal(bl_raft_log_term_of(&l->log, 3), 4);
        fx_free(fx);
}

/* A follower whose log diverges over several terms is repaired with about
 * one rejection per conflicting term, not one per entry. */
static void test_fast_backoff(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *l, *f;
        uint64_t lt[] = {1, 1, 1, 4, 4, 4, 4};
        uint64_t ft[] = {1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3};
        int rejects = 0;

        (void)state;
        fx_start(fx);
        fx_load_log(fx, 0, lt, 7);
        fx_load_log(fx, 1, ft, 14);
        fx_load_log(fx, 2, lt, 7);
        for (int i = 0; i < 3; i++)
                fx_r(fx, i)->term = 4;
        fx->cut[2] = 1;
        l = fx_r(fx, 0);
        f = fx_r(fx, 1);
        bl_raft_election_start(l, 0);
        f->voted_for = -1;
        while (fx->n_msgs > 0) {
                int i = fx_find(fx, 1, 0, BL_RAFT_MSG_APPEND_ENTRIES_RESULT);

                if (i == 0) {
                        struct bl_raft_append_entries_result res;

                        assert_int_equal(bl_raft_decode_append_entries_result(
                                             fx->msgs[0].buf, fx->msgs[0].len, &res),
                                         0);
                        rejects += !res.success;
                }
                assert_int_equal(fx_deliver(fx), 0);
        }
        assert_int_equal(l->role, BL_RAFT_LEADER);
        assert_log_terms(f, (uint64_t[]){1, 1, 1, 4, 4, 4, 4, 5}, 8);
        assert_true(rejects >= 1 && rejects <= 3); /* naive decrement: 5 */
        assert_int_equal(l->commit, 8);
        fx_free(fx);
}

/* pipeline = 4, max_batch = 2: at most four messages of at most two entries
 * are in flight per follower; with pipeline = 1, max_batch = 1 one of one. */
static void test_pipeline_and_batch_limits(void **state)
{
        (void)state;
        for (int variant = 0; variant < 2; variant++) {
                struct fx *fx = fx_new(3);
                int l, full = 0;

                fx->cfg.raft.pipeline = variant ? 1 : 4;
                fx->cfg.raft.max_batch = variant ? 1 : 2;
                fx_start(fx);
                l = fx_elect(fx);
                fx_run(fx, 5);
                assert_int_equal(fx_r(fx, l)->peers[1].mode, BL_RAFT_PIPELINE);
                for (int i = 0; i < 20; i++) {
                        char cmd[16];

                        snprintf(cmd, sizeof(cmd), "c%d", i);
                        assert_int_equal(fx_submit(fx, l, cmd), 0);
                }
                /* batch_delay = 0: each submit goes out at once while the
                 * pipeline has room, later ones wait and travel together. */
                assert_int_equal(fx_count(fx, l, 1, BL_RAFT_MSG_APPEND_ENTRIES), variant ? 1 : 4);
                while (fx->n_msgs > 0) {
                        struct bl_raft_append_entries m;

                        if (fx->msgs[0].type == BL_RAFT_MSG_APPEND_ENTRIES) {
                                assert_int_equal(bl_raft_decode_append_entries(fx->msgs[0].buf,
                                                                               fx->msgs[0].len, &m),
                                                 0);
                                assert_true(m.n <= (variant ? 1u : 2u));
                                full += m.n == 2;
                        }
                        assert_int_equal(fx_deliver(fx), 0);
                        assert_true(fx_count(fx, l, 1, BL_RAFT_MSG_APPEND_ENTRIES) <=
                                    (variant ? 1 : 4));
                }
                assert_true(variant ? full == 0 : full > 0);
                fx_run(fx, 50);
                for (int i = 0; i < 3; i++) {
                        assert_int_equal(fx_r(fx, i)->commit, 21);
                        assert_int_equal(fx->nodes[i].n_applies, 20);
                        assert_string_equal(fx->nodes[i].applies[19].cmd, "c19");
                        assert_int_equal(fx->nodes[i].applies[19].reply, i == l);
                }
                fx_free(fx);
        }
}

/* batch_delay holds a partial batch until it is full or old enough. */
static void test_batch_delay(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft_append_entries m;
        int l, i;

        (void)state;
        fx->cfg.raft.batch_delay_us = 5000;
        fx->cfg.raft.max_batch = 8;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        for (int k = 0; k < 3; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        assert_int_equal(fx_count(fx, l, -1, BL_RAFT_MSG_APPEND_ENTRIES), 0);
        fx->now += 5 * FX_MS;
        fx_tick(fx);
        assert_int_equal(fx_count(fx, l, -1, BL_RAFT_MSG_APPEND_ENTRIES), 2);
        i = fx_find(fx, l, 1, BL_RAFT_MSG_APPEND_ENTRIES);
        assert_int_equal(bl_raft_decode_append_entries(fx->msgs[i].buf, fx->msgs[i].len, &m), 0);
        assert_int_equal(m.n, 3);
        fx_deliver_all(fx);
        /* A full batch leaves at once. */
        for (int k = 0; k < 8; k++)
                assert_int_equal(fx_submit(fx, l, "w"), 0);
        assert_int_equal(fx_count(fx, l, -1, BL_RAFT_MSG_APPEND_ENTRIES), 2);
        i = fx_find(fx, l, 1, BL_RAFT_MSG_APPEND_ENTRIES);
        assert_int_equal(bl_raft_decode_append_entries(fx->msgs[i].buf, fx->msgs[i].len, &m), 0);
        assert_int_equal(m.n, 8);
        fx_free(fx);
}

/* An idle leader keeps its followers with heartbeats. */
static void test_heartbeats_keep_leader(void **state)
{
        struct fx *fx = fx_new(3);
        int l;
        uint64_t term;

        (void)state;
        fx->cfg.raft.prevote = 1;
        fx_start(fx);
        l = fx_elect(fx);
        term = fx_r(fx, l)->term;
        fx_run(fx, 2000);
        assert_int_equal(fx_leader(fx), l);
        assert_int_equal(fx_r(fx, l)->term, term);
        for (int i = 0; i < 3; i++)
                assert_int_equal(fx_r(fx, i)->leader, l);
        fx_free(fx);
}

/* Pipelined messages that vanish are sent again (stall detection). */
static void test_lost_pipeline_recovers(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx->cfg.raft.pipeline = 4;
        fx->cfg.raft.max_batch = 1;
        fx_start(fx);
        l = fx_elect(fx);
        fx_run(fx, 5);
        for (int k = 0; k < 6; k++)
                assert_int_equal(fx_submit(fx, l, "v"), 0);
        fx_clear_msgs(fx); /* all lost */
        fx_run(fx, 100);
        for (int i = 0; i < 3; i++)
                assert_int_equal(fx_r(fx, i)->commit, 7);
        fx_free(fx);
}

/* A new leader's entries of older terms are applied without reply. */
static void test_reply_only_for_own_term(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *l;

        (void)state;
        fx_start(fx);
        fx_load_log(fx, 0, (uint64_t[]){1, 1}, 2);
        fx_r(fx, 0)->term = 1;
        l = fx_r(fx, 0);
        bl_raft_election_start(l, 0);
        fx_deliver_all(fx);
        assert_int_equal(l->role, BL_RAFT_LEADER);
        assert_int_equal(fx_submit(fx, 0, "mine"), 0);
        fx_run(fx, 10);
        assert_int_equal(l->commit, 4);
        assert_int_equal(fx->nodes[0].n_applies, 3);
        assert_int_equal(fx->nodes[0].applies[0].reply, 0);
        assert_int_equal(fx->nodes[0].applies[1].reply, 0);
        assert_int_equal(fx->nodes[0].applies[2].reply, 1);
        assert_string_equal(fx->nodes[0].applies[2].cmd, "mine");
        fx_free(fx);
}

/* A command submitted to a leader that loses its term before commit is
 * dropped or applied without reply; the next leader serves new ones. */
static void test_submit_on_follower_and_after_step_down(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        assert_int_equal(fx_submit(fx, (l + 1) % 3, "x"), BL_ENOTLEADER);
        assert_int_equal(bl_kernel_raft.leader(fx_r(fx, (l + 1) % 3)), l);
        fx->cut[l] = 1;
        assert_int_equal(fx_submit(fx, l, "lost"), 0);
        fx_run(fx, 400);
        fx->cut[l] = 0;
        fx_run(fx, 400);
        for (int i = 0; i < 3; i++)
                for (int k = 0; k < fx->nodes[i].n_applies; k++)
                        assert_int_equal(fx->nodes[i].applies[k].reply, 0);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_append_accept),
            cmocka_unit_test(test_append_stale_term_rejected),
            cmocka_unit_test(test_append_reject_short_log),
            cmocka_unit_test(test_append_reject_conflict_hint),
            cmocka_unit_test(test_append_truncates_conflict),
            cmocka_unit_test(test_append_stale_message_keeps_log),
            cmocka_unit_test(test_figure8_commit_only_current_term),
            cmocka_unit_test(test_fast_backoff),
            cmocka_unit_test(test_pipeline_and_batch_limits),
            cmocka_unit_test(test_batch_delay),
            cmocka_unit_test(test_heartbeats_keep_leader),
            cmocka_unit_test(test_lost_pipeline_recovers),
            cmocka_unit_test(test_reply_only_for_own_term),
            cmocka_unit_test(test_submit_on_follower_and_after_step_down),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
