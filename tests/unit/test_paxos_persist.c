/* Unit tests for Multi-Paxos persistence: records, replay after a crash, checkpoints (persist.c).
 */
#include "test_paxos_fixture.h"

/* A crash keeps what was durable: promise and accepted values come back. */
static void test_replay_restores_promise_and_accepted(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;
        uint64_t b = bl_paxos_ballot(3, 0);

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_accept(fx, 0, 1, b, 0, 1, 3), 0);
        assert_int_equal(fx_prepare(fx, 2, 1, bl_paxos_ballot(4, 2), 2, 1), 0);
        fx_clear_msgs(fx);
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        p = fx_p(fx, 1);
        assert_int_equal(p->promised, bl_paxos_ballot(4, 2));
        assert_int_equal(bl_paxos_log_last(&p->log), 3);
        assert_true(bl_paxos_slot_same(bl_paxos_log_get(&p->log, 2), BL_PAXOS_CMD, "v2", 2));
        assert_int_equal(bl_paxos_log_get(&p->log, 2)->ballot, b);
        assert_int_equal(p->commit, 0);
        fx_free(fx);
}

/* What was not durable is gone, and nothing that depends on it was sent. */
static void test_unsynced_records_lost_and_unanswered(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos *p;

        (void)state;
        fx_start(fx);
        fx->auto_sync = 0;
        assert_int_equal(fx_accept(fx, 0, 1, bl_paxos_ballot(1, 0), 0, 1, 2), 0);
        assert_int_equal(fx_count(fx, 1, 0, BL_PAXOS_MSG_ACCEPTED), 0);
        fx_crash(fx, 1);
        fx_recover(fx, 1);
        p = fx_p(fx, 1);
        assert_int_equal(p->promised, 0);
        assert_int_equal(bl_paxos_log_last(&p->log), 0);
        assert_int_equal(fx_count(fx, 1, 0, BL_PAXOS_MSG_ACCEPTED), 0);
        fx_free(fx);
}

/* A restarted leader picks a ballot above the one it used: its promise was
 * durable before any prepare left. */
static void test_restarted_leader_uses_new_ballot(void **state)
{
        struct fx *fx = fx_new(3);
        uint64_t old;
        int l;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        old = fx_p(fx, l)->ballot;
        fx_crash(fx, l);
        fx_recover(fx, l);
        assert_true(fx_p(fx, l)->promised >= old);
        fx->cut[(l + 1) % 3] = 1; /* so that l runs phase 1 again itself */
        fx->nodes[l].random_value = 0;
        fx->nodes[(l + 2) % 3].random_value = 99 * FX_MS;
        for (int t = 0; t < 1000 && fx_p(fx, l)->role != BL_PAXOS_LEADER; t++)
                fx_run(fx, 1);
        assert_int_equal(fx_p(fx, l)->role, BL_PAXOS_LEADER);
        assert_true(fx_p(fx, l)->ballot > old);
        fx_free(fx);
}

/* Chosen slots survive the crash of a minority; the recovered replica
 * applies them again from scratch and reaches the same state. */
static void test_recovered_replica_reapplies(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f;
        uint64_t hash;

        (void)state;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        for (int i = 0; i < 10; i++) {
                char cmd[8];

                snprintf(cmd, sizeof(cmd), "c%d", i);
                assert_int_equal(fx_submit(fx, l, cmd, (uint64_t)i + 1), 0);
                fx_deliver_all(fx);
        }
        fx_run(fx, 30);
        hash = fx->nodes[f].sm_hash;
        assert_int_equal(fx->nodes[f].sm_count, 10);
        fx_crash(fx, f);
        fx_recover(fx, f);
        assert_int_equal(fx->nodes[f].sm_count, 0);
        fx_run(fx, 60);
        assert_int_equal(fx->nodes[f].sm_count, 10);
        assert_int_equal(fx->nodes[f].sm_hash, hash);
        fx_free(fx);
}

/* A checkpoint supersedes earlier records; they are compacted once it is
 * durable, and replay of the checkpoint alone restores the same state. */
static void test_checkpoint_compacts(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx->cfg.paxos.snapshot_entries = 4;
        fx_start(fx);
        l = fx_elect(fx);
        for (int i = 0; i < 9; i++) {
                char cmd[8];

                snprintf(cmd, sizeof(cmd), "c%d", i);
                assert_int_equal(fx_submit(fx, l, cmd, (uint64_t)i + 1), 0);
                fx_deliver_all(fx);
        }
        assert_true(fx->nodes[l].compacted > 0);
        assert_int_equal(fx->nodes[l].recs[0].type, BL_PAXOS_REC_CHECKPOINT);
        fx_crash(fx, l);
        fx_recover(fx, l);
        assert_true(fx_p(fx, l)->snap.index >= 4);
        assert_int_equal(fx->nodes[l].restores, 1);
        fx_free(fx);
}

/* Malformed records refuse recovery. */
static void test_replay_rejects_malformed(void **state)
{
        struct fx *fx = fx_new(3);
        uint8_t junk[5] = {1, 2, 3, 4, 5};

        (void)state;
        fx_create(fx, 0);
        assert_int_equal(bl_kernel_paxos.replay(fx_p(fx, 0), 1, BL_PAXOS_REC_PROMISE, junk, 5),
                         BL_EPROTO);
        assert_int_equal(bl_kernel_paxos.replay(fx_p(fx, 0), 2, BL_PAXOS_REC_ACCEPT, junk, 5),
                         BL_EPROTO);
        assert_int_equal(bl_kernel_paxos.replay(fx_p(fx, 0), 3, BL_PAXOS_REC_CHECKPOINT, junk, 5),
                         BL_EPROTO);
        assert_int_equal(bl_kernel_paxos.replay(fx_p(fx, 0), 4, 77, junk, 5), BL_EPROTO);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_replay_restores_promise_and_accepted),
            cmocka_unit_test(test_unsynced_records_lost_and_unanswered),
            cmocka_unit_test(test_restarted_leader_uses_new_ballot),
            cmocka_unit_test(test_recovered_replica_reapplies),
            cmocka_unit_test(test_checkpoint_compacts),
            cmocka_unit_test(test_replay_rejects_malformed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
