/* Unit tests for Multi-Paxos learners (recv_catchup.c, recv_learn.c, recv_snapshot.c, learn.c). */
#include "test_paxos_fixture.h"

static int catchup(struct fx *fx, int from, int to, uint64_t first, uint64_t snap_index,
                   uint64_t got)
{
        struct bl_paxos_catchup m = {first, snap_index, got};
        uint8_t buf[32];
        size_t len = bl_paxos_encode_catchup(&m, buf, sizeof(buf));

        return bl_kernel_paxos.recv(fx_p(fx, to), from, BL_PAXOS_MSG_CATCHUP, buf, len);
}

/* CatchUp is answered with chosen slots only, from the requested one. */
static void test_catchup_answers_chosen_slots(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_paxos_learn m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;
        struct fx_msg msg;
        uint64_t b = bl_paxos_ballot(1, 0);

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_accept(fx, 0, 1, b, 3, 1, 5), 0); /* 5 accepted, 3 chosen */
        fx_clear_msgs(fx);
        assert_int_equal(fx_p(fx, 1)->commit, 3);
        assert_int_equal(catchup(fx, 2, 1, 2, 0, 0), 0);
        msg = fx_take_type(fx, 1, 2, BL_PAXOS_MSG_LEARN);
        assert_int_equal(bl_paxos_decode_learn(msg.buf, msg.len, &m), 0);
        assert_int_equal(m.first, 2);
        assert_int_equal(m.n, 2); /* slots 2, 3: 4 and 5 are not known chosen */
        assert_int_equal(m.commit, 3);
        bl_rbuf_init(&r, m.values, m.values_len);
        bl_paxos_values_next(&r, 0, &v);
        assert_memory_equal(v.buf, "v2", 2);
        free(msg.buf);
        /* Nothing chosen from slot 4 on: no answer. */
        assert_int_equal(catchup(fx, 2, 1, 4, 0, 0), 0);
        assert_int_equal(fx->n_msgs, 0);
        fx_free(fx);
}

/* Learn stores values as chosen from the commit point on, applies them in
 * order, and ignores what does not continue the prefix. */
static void test_learn_applies_in_order(void **state)
{
        struct fx *fx = fx_new(3);
        uint64_t b = bl_paxos_ballot(1, 0);
        struct fx_msg msg;

        (void)state;
        fx_start(fx);
        assert_int_equal(fx_accept(fx, 0, 1, b, 4, 1, 4), 0);
        fx_clear_msgs(fx);
        assert_int_equal(catchup(fx, 2, 1, 1, 0, 0), 0);
        msg = fx_take_type(fx, 1, 2, BL_PAXOS_MSG_LEARN);
        /* Node 2 holds a different value of its own in slot 2. */
        assert_int_equal(
            bl_paxos_log_set(&fx_p(fx, 2)->log, 2, bl_paxos_ballot(1, 2), BL_PAXOS_CMD, "zz", 2),
            0);
        bl_paxos_log_get(&fx_p(fx, 2)->log, 2)->tag = 42;
        assert_int_equal(bl_kernel_paxos.recv(fx_p(fx, 2), 1, msg.type, msg.buf, msg.len), 0);
        free(msg.buf);
        assert_int_equal(fx_p(fx, 2)->commit, 4);
        assert_int_equal(fx->nodes[2].n_applies, 4);
        assert_string_equal(fx->nodes[2].applies[1].cmd, "v2");
        assert_int_equal(fx->nodes[2].applies[1].tag, 0);
        assert_int_equal(fx->nodes[2].n_drops, 1);
        assert_int_equal(fx->nodes[2].drops[0], 42);
        assert_int_equal(fx->nodes[2].sm_hash, fx->nodes[1].sm_hash);
        fx_free(fx);
}

/* Past compaction a learner pulls the snapshot chunk by chunk, installs it,
 * checkpoints it, and learns the slots after it. */
static void test_snapshot_in_chunks(void **state)
{
        struct fx *fx = fx_new(3);
        int l, f, chunks = 0;
        char cmd[16];

        (void)state;
        fx->cfg.paxos.snapshot_entries = 5;
        fx->cfg.paxos.snapshot_chunk = 64; /* the toy snapshot is 16 bytes... */
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        fx_run(fx, 25);
        fx->cut[f] = 1;
        for (int i = 0; i < 30; i++) {
                snprintf(cmd, sizeof(cmd), "c%d", i);
                assert_int_equal(fx_submit(fx, l, cmd, (uint64_t)i + 1), 0);
                fx_deliver_all(fx);
        }
        assert_true(fx_p(fx, l)->log.offset > 1);
        /* ...so make chunks of 5 bytes on the leader to get 4 of them. */
        fx_p(fx, l)->chunk_bytes = 5;
        fx_p(fx, (l + 2) % 3)->chunk_bytes = 5;
        fx->cut[f] = 0;
        for (int t = 0; t < 100 && fx_p(fx, f)->commit < fx_p(fx, l)->commit; t++) {
                fx->now += FX_MS;
                fx_tick(fx);
                for (int guard = 0; fx->n_msgs > 0 && guard < 10000; guard++) {
                        chunks += fx->msgs[0].type == BL_PAXOS_MSG_SNAPSHOT;
                        assert_int_equal(fx_deliver(fx), 0);
                }
        }
        assert_int_equal(fx_p(fx, f)->commit, fx_p(fx, l)->commit);
        assert_true(chunks >= 4);
        assert_true(fx_has_event(&fx->nodes[f], BL_EV_SNAPSHOT_INSTALL));
        assert_int_equal(fx->nodes[f].sm_count, fx->nodes[l].sm_count);
        assert_int_equal(fx->nodes[f].sm_hash, fx->nodes[l].sm_hash);
        /* The install was checkpointed: a crash now comes back from it. */
        fx_crash(fx, f);
        fx_recover(fx, f);
        assert_true(fx_p(fx, f)->snap.index > 0);
        assert_int_equal(fx_p(fx, f)->applied, fx_p(fx, f)->snap.index);
        fx_free(fx);
}

/* Malformed snapshot chunks are refused; a chunk that does not continue
 * what we hold is ignored. */
static void test_snapshot_chunk_checks(void **state)
{
        struct fx *fx = fx_new(3);
        uint8_t buf[64];
        struct bl_wbuf w;
        struct bl_paxos_snapshot c = {.index = 9, .total = 10, .offset = 8, .data = buf, .len = 4};

        (void)state;
        fx_start(fx);
        bl_wbuf_init(&w, buf + 32, 32);
        bl_paxos_put_snapshot(&w, &c);
        assert_int_equal(
            bl_kernel_paxos.recv(fx_p(fx, 1), 0, BL_PAXOS_MSG_SNAPSHOT, buf + 32, w.len),
            BL_EPROTO);
        c.len = 2;
        bl_wbuf_init(&w, buf + 32, 32);
        bl_paxos_put_snapshot(&w, &c);
        assert_int_equal(
            bl_kernel_paxos.recv(fx_p(fx, 1), 0, BL_PAXOS_MSG_SNAPSHOT, buf + 32, w.len), 0);
        assert_null(fx_p(fx, 1)->in.buf);
        assert_int_equal(fx_p(fx, 1)->commit, 0);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_catchup_answers_chosen_slots),
            cmocka_unit_test(test_learn_applies_in_order),
            cmocka_unit_test(test_snapshot_in_chunks),
            cmocka_unit_test(test_snapshot_chunk_checks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
