/* Unit tests for Raft log compaction and InstallSnapshot (snapshot.c, recv_install_snapshot*.c). */
#include "test_raft_fixture.h"

static void submit_n(struct fx *fx, int l, int n)
{
        for (int k = 0; k < n; k++) {
                char cmd[16];

                snprintf(cmd, sizeof(cmd), "c%d", k);
                assert_int_equal(fx_submit(fx, l, cmd), 0);
                if (k % 8 == 7)
                        fx_run(fx, 1);
        }
        fx_run(fx, 50);
}

static void assert_same_state(struct fx *fx)
{
        for (int i = 1; i < fx->n; i++) {
                assert_int_equal(fx->nodes[i].sm_count, fx->nodes[0].sm_count);
                assert_int_equal(fx->nodes[i].sm_hash, fx->nodes[0].sm_hash);
        }
}

/* Every node compacts on its own; the log stays bounded. */
static void test_compaction_bounds_log(void **state)
{
        struct fx *fx = fx_new(3);
        int l;

        (void)state;
        fx->cfg.raft.snapshot_entries = 10;
        fx_start(fx);
        l = fx_elect(fx);
        submit_n(fx, l, 500);
        for (int i = 0; i < 3; i++) {
                struct bl_raft *r = fx_r(fx, i);
                struct bl_kernel_stats st;

                assert_int_equal(r->applied, 501);
                assert_true(r->snap.index >= 491);
                assert_non_null(r->snap.buf);
                assert_int_equal(r->log.offset, r->snap.index - 10);
                bl_kernel_raft.stats(r, &st);
                assert_true(st.log_entries <= 20);
                assert_int_equal(st.log_entries, r->log.n);
                assert_int_equal(st.applied, 501);
                assert_int_equal(st.commit, 501);
                assert_true(st.mem_bytes > 0 && st.mem_bytes < 64 * 1024);
                assert_int_equal(fx->nodes[i].sm_count, 500);
        }
        assert_same_state(fx);
        fx_free(fx);
}

/* A follower that missed compacted entries gets the leader's snapshot. */
static void test_lagging_follower_gets_snapshot(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f;

        (void)state;
        fx->cfg.raft.snapshot_entries = 10;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        fx_run(fx, 5);
        fx->cut[f] = 1;
        submit_n(fx, l, 60);
        assert_true(fx_r(fx, l)->log.offset > 1);
        assert_int_equal(fx->nodes[f].sm_count, 0);
        fx->cut[f] = 0;
        fx_run(fx, 100);
        assert_true(fx_has_event(&fx->nodes[l], BL_EV_SNAPSHOT_SEND));
        assert_true(fx_has_event(&fx->nodes[f], BL_EV_SNAPSHOT_INSTALL));
        assert_int_equal(fx->nodes[f].restores, 1);
        assert_int_equal(fx_r(fx, f)->applied, 61);
        assert_true(fx->nodes[f].n_applies < 60); /* most came in the snapshot */
        assert_same_state(fx);
        /* Replication continues normally afterwards. */
        submit_n(fx, l, 5);
        assert_same_state(fx);
        assert_int_equal(fx->nodes[f].sm_count, 65);
        fx_free(fx);
}

static size_t encode_snapshot(uint8_t *buf, uint64_t term, uint64_t index, uint64_t snap_term,
                              uint64_t count, uint64_t hash, size_t data_len)
{
        uint64_t data[2] = {count, hash};

        return bl_raft_encode_install_snapshot(
            &(struct bl_raft_install_snapshot){.term = term,
                                               .index = index,
                                               .snap_term = snap_term,
                                               .data = (const uint8_t *)data,
                                               .len = data_len},
            buf, 128);
}

static struct bl_raft_install_snapshot_result take_is_result(struct fx *fx)
{
        struct bl_raft_install_snapshot_result res;
        int i = fx_find(fx, 1, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT);
        struct fx_msg m;

        assert_true(i >= 0);
        m = fx_take(fx, i);
        assert_int_equal(bl_raft_decode_install_snapshot_result(m.buf, m.len, &res), 0);
        free(m.buf);
        return res;
}

/* Figure 13 receiver rules, one by one. */
static void test_install_snapshot_rules(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *f;
        struct bl_raft_install_snapshot_result res;
        uint8_t buf[128];
        size_t len;
        int restores;

        (void)state;
        fx_start(fx);
        f = fx_r(fx, 1);
        fx_load_log(fx, 1, (uint64_t[]){1, 1, 2, 2}, 4);
        f->term = 2;

        /* 1. Reply immediately if term < currentTerm. */
        len = encode_snapshot(buf, 1, 10, 1, 10, 99, 16);
        assert_int_equal(bl_kernel_raft.recv(f, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, len), 0);
        res = take_is_result(fx);
        assert_int_equal(res.term, 2);
        assert_int_equal(f->snap.index, 0);

        /* A snapshot the state machine refuses is malformed: nothing changes. */
        len = encode_snapshot(buf, 3, 10, 3, 10, 99, 8);
        assert_int_equal(bl_kernel_raft.recv(f, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, len),
                         BL_EPROTO);
        assert_int_equal(f->snap.index, 0);
        assert_int_equal(bl_raft_log_last_index(&f->log), 4);
        fx_clear_msgs(fx);
        restores = fx->nodes[1].restores;

        /* 6. The log holds the snapshot's last entry: keep the log, commit. */
        len = encode_snapshot(buf, 3, 3, 2, 3, 0, 16);
        assert_int_equal(bl_kernel_raft.recv(f, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, len), 0);
        res = take_is_result(fx);
        assert_int_equal(res.index, 3);
        assert_int_equal(bl_raft_log_last_index(&f->log), 4);
        assert_int_equal(f->commit, 3);
        assert_int_equal(f->applied, 3);
        assert_int_equal(fx->nodes[1].restores, restores);

        /* 7, 8. Otherwise discard the log and reset the state machine. */
        len = encode_snapshot(buf, 3, 20, 3, 17, 12345, 16);
        assert_int_equal(bl_kernel_raft.recv(f, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, len), 0);
        res = take_is_result(fx);
        assert_int_equal(res.index, 20);
        assert_int_equal(f->term, 3);
        assert_int_equal(f->leader, 0);
        assert_int_equal(bl_raft_log_last_index(&f->log), 20);
        assert_int_equal(bl_raft_log_last_term(&f->log), 3);
        assert_int_equal(f->log.n, 0);
        assert_int_equal(f->commit, 20);
        assert_int_equal(f->applied, 20);
        assert_int_equal(f->snap.index, 20);
        assert_int_equal(fx->nodes[1].sm_count, 17);
        assert_int_equal(fx->nodes[1].sm_hash, 12345);
        assert_true(fx_has_event(&fx->nodes[1], BL_EV_SNAPSHOT_INSTALL));

        /* An older or duplicate snapshot changes nothing. */
        len = encode_snapshot(buf, 3, 15, 3, 1, 1, 16);
        assert_int_equal(bl_kernel_raft.recv(f, 0, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, len), 0);
        res = take_is_result(fx);
        assert_int_equal(f->snap.index, 20);
        assert_int_equal(fx->nodes[1].sm_count, 17);

        /* AppendEntries after the snapshot continues from it. */
        assert_int_equal(fx_append(fx, 0, 1, 3, 20, 3, 21, (uint64_t[]){3}, 1), 0);
        assert_int_equal(f->applied, 21);
        assert_int_equal(fx->nodes[1].sm_count, 18);
        /* ... and one whose prevLogIndex lies inside the snapshot matches. */
        fx_clear_msgs(fx);
        assert_int_equal(fx_append(fx, 0, 1, 3, 5, 1, 21, (uint64_t[]){1, 3}, 2), 0);
        {
                struct bl_raft_append_entries_result aer = fx_take_ae_result(fx, 1, 0);

                assert_true(aer.success);
                assert_int_equal(aer.match, 7);
        }
        assert_int_equal(bl_raft_log_last_index(&f->log), 21);
        fx_free(fx);
}

/* env->snapshot() failing only delays compaction. */
static void test_snapshot_failure_retried(void **state)
{
        struct fx *fx = fx_new(1);

        (void)state;
        fx->cfg.raft.snapshot_entries = 5;
        fx_start(fx);
        fx_tick(fx);
        fx->nodes[0].snapshot_fail = 1;
        submit_n(fx, 0, 8);
        assert_int_equal(fx_r(fx, 0)->snap.index, 0);
        assert_int_equal(fx_r(fx, 0)->log.n, 9);
        fx->nodes[0].snapshot_fail = 0;
        submit_n(fx, 0, 1);
        assert_int_equal(fx_r(fx, 0)->snap.index, 10);
        assert_int_equal(fx_r(fx, 0)->log.offset, 5);
        fx_free(fx);
}

/* The snapshot is persistent: a crashed node restarts from it and catches
 * up to the same state. */
static void test_recover_from_snapshot(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f;
        struct bl_raft *r;

        (void)state;
        fx->cfg.raft.snapshot_entries = 10;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        submit_n(fx, l, 40);
        r = fx_r(fx, f);
        assert_true(r->snap.index >= 30);
        fx_crash(fx, f);
        submit_n(fx, l, 5);
        fx->nodes[f].sm_count = 999; /* the store's memory is gone with the crash */
        fx_recover(fx, f);
        r = fx_r(fx, f);
        assert_true(r->snap.index >= 30); /* rebuilt from its SNAPSHOT record */
        assert_int_equal(r->applied, r->snap.index);
        assert_int_equal(r->commit, r->snap.index);
        assert_int_equal(fx->nodes[f].sm_count, r->snap.index - 1);
        fx_run(fx, 100);
        assert_same_state(fx);
        assert_int_equal(fx->nodes[f].sm_count, 45);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compaction_bounds_log),
            cmocka_unit_test(test_lagging_follower_gets_snapshot),
            cmocka_unit_test(test_install_snapshot_rules),
            cmocka_unit_test(test_snapshot_failure_retried),
            cmocka_unit_test(test_recover_from_snapshot),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
