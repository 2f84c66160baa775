/* Unit tests for ReadIndex across a leader's crash: answers to requests of an earlier term confirm
 * nothing (issue 8). */
#include "test_raft_fixture.h"

/*
 * The scenario of issue 8, section 1, step by step on 3 nodes:
 *
 *   1. Leader L of term T serves reads until its ReadIndex round is 7, then
 *      sends a heartbeat (seq 7) to follower F; the heartbeat is held in the
 *      network.
 *   2. L crashes, recovers and wins term T+1.
 *   3. The held heartbeat reaches F, already in T+1: F rejects it (rule 1)
 *      with its current term T+1, echoing seq 7.
 *   4. L, cut off from everybody, receives a read while F and the third node
 *      elect a new leader and commit a write.
 *
 * The read must not be served: no quorum answered a message sent after it
 * arrived. The mutant kernel (the code before the fix) serves it at once,
 * from a state that lacks the committed write: a stale read.
 */

static int submit_read(struct fx *fx, int i, const char *cmd)
{
        return fx->kern->submit(fx_r(fx, i), cmd, strlen(cmd), BL_SUBMIT_READONLY, 1);
}

/* Applies of `cmd` on node i so far. */
static int applied(const struct fx *fx, int i, const char *cmd)
{
        int n = 0;

        for (int k = 0; k < fx->nodes[i].n_applies; k++)
                n += strcmp(fx->nodes[i].applies[k].cmd, cmd) == 0;
        return n;
}

/* Advance time in 1 ms steps ticking only the nodes not cut, delivering
 * everything (messages of cut nodes vanish). */
static void run_uncut(struct fx *fx, uint64_t ms)
{
        for (uint64_t t = 0; t < ms; t++) {
                fx->now += FX_MS;
                for (int i = 0; i < fx->n; i++)
                        if (!fx->cut[i])
                                fx->kern->tick(fx_r(fx, i));
                fx_deliver_all(fx);
        }
}

struct outcome {
        uint64_t stale_seq;     /* seq the rejection of the held heartbeat echoed */
        uint64_t acked_after;   /* L's acked_seq for F after that rejection */
        uint64_t round_after;   /* L's read_round then */
        int served_at_once;     /* the read was applied with no message delivered */
        int served_stale;       /* the second read saw a state without the write */
        int served_with_quorum; /* the first read was applied once a quorum answered */
};

static struct outcome scenario(const struct bl_kernel *kern)
{
        struct fx *fx = fx_new(3);
        struct outcome out = {0};
        struct bl_raft *r;
        struct bl_raft_append_entries_result res;
        struct fx_msg held, m;
        uint64_t term;
        int l, f, i, other, l2;

        fx->kern = kern;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        other = (l + 2) % 3;
        r = fx_r(fx, l);
        fx_run(fx, 5);
        /* Step 1: reads until round 7. */
        while (r->read_round < 7) {
                assert_int_equal(submit_read(fx, l, "r"), 0);
                fx_run(fx, 2);
        }
        assert_int_equal(r->read_round, 7);
        assert_int_equal(r->reads_n, 0);
        term = r->term;
        /* F's election timer runs long, so that L (jitter 0) times out first
         * after its recovery and wins T+1. */
        fx->nodes[f].random_value = 90 * FX_MS;
        fx->nodes[other].random_value = 60 * FX_MS;
        fx->now += 20 * FX_MS;
        fx_tick(fx); /* heartbeats: the followers' timers restart */
        fx_deliver_all(fx);
        fx->now += 20 * FX_MS;
        fx_tick(fx); /* heartbeats, seq 7 */
        i = fx_find(fx, l, f, BL_RAFT_MSG_APPEND_ENTRIES);
        assert_true(i >= 0);
        held = fx_take(fx, i);
        fx_deliver_all(fx);

        /* Step 2: crash, recover, win term T+1 (L's timer fires first). */
        fx_crash(fx, l);
        fx_recover(fx, l);
        r = fx_r(fx, l);
        l2 = fx_elect(fx);
        assert_int_equal(l2, l);
        assert_int_equal(r->term, term + 1);
        fx_run(fx, 5);
        assert_int_equal(r->commit, bl_raft_log_last_index(&r->log)); /* the no-op of T+1 */

        /* Step 3: the held heartbeat reaches F, which is in T+1. */
        assert_int_equal(fx_r(fx, f)->term, term + 1);
        assert_int_equal(fx->kern->recv(fx_r(fx, f), l, held.type, held.buf, held.len), 0);
        free(held.buf);
        res = fx_take_ae_result(fx, f, l);
        assert_false(res.success);
        assert_int_equal(res.term, term + 1);
        out.stale_seq = res.seq;
        if (kern == &bl_kernel_raft)
                assert_int_equal(res.req_term, term);
        {
                uint8_t buf[128];
                size_t len = bl_raft_encode_append_entries_result(&res, buf, sizeof(buf));

                assert_true(len > 0);
                assert_int_equal(fx->kern->recv(r, f, BL_RAFT_MSG_APPEND_ENTRIES_RESULT, buf, len),
                                 0);
        }
        out.acked_after = r->peers[f].acked_seq;
        out.round_after = r->read_round;

        /* A read now: nothing delivered, nobody contacted. */
        fx_clear_msgs(fx);
        assert_int_equal(submit_read(fx, l, "r-now"), 0);
        out.served_at_once = applied(fx, l, "r-now") > 0;

        /* Step 4: L is cut off; F and the other node elect a leader of
         * T+2 and commit a write while L, whose timers have not run, still
         * believes it leads. */
        fx->cut[l] = 1;
        run_uncut(fx, 400);
        assert_true(fx_r(fx, f)->term > term + 1);
        assert_true(fx_r(fx, f)->role == BL_RAFT_LEADER || fx_r(fx, other)->role == BL_RAFT_LEADER);
        l2 = fx_r(fx, f)->role == BL_RAFT_LEADER ? f : other;
        assert_int_equal(fx_submit(fx, l2, "w-new"), 0);
        run_uncut(fx, 50);
        assert_int_equal(applied(fx, l2, "w-new"), 1); /* committed */
        assert_int_equal(applied(fx, l, "w-new"), 0);
        assert_int_equal(r->role, BL_RAFT_LEADER);
        assert_int_equal(submit_read(fx, l, "r-late"), 0);
        out.served_stale = applied(fx, l, "r-late") > 0;

        /* With the fix, the reads wait for a round that a quorum answers:
         * reconnect L, and the quorum's answer (a higher term) deposes it,
         * dropping the reads instead of serving them. */
        fx->cut[l] = 0;
        while (fx->n_msgs > 0) {
                m = fx_take(fx, 0);
                free(m.buf);
        }
        fx_run(fx, 300);
        out.served_with_quorum = applied(fx, l, "r-now") > 0 || applied(fx, l, "r-late") > 0;
        assert_true(r->role != BL_RAFT_LEADER || r->term > term + 1);
        fx_free(fx);
        return out;
}

/* The fixed kernel: the stale rejection carries req_term T and is ignored;
 * neither read is served by the deposed leader. */
static void test_stale_rejection_confirms_nothing(void **state)
{
        struct outcome o;

        (void)state;
        o = scenario(&bl_kernel_raft);
        assert_int_equal(o.stale_seq, 7);
        /* Rounds go on across the crash; every acknowledgement counted is
         * one of a round this leadership started. */
        assert_true(o.acked_after <= o.round_after);
        assert_false(o.served_at_once);
        assert_false(o.served_stale);
        assert_false(o.served_with_quorum);
}

/* The same scenario against the code before the fix (the mutant) shows what
 * the test guards against: both reads are served without any contact, the
 * second one from a state that lacks a committed write. */
static void test_mutant_serves_stale_read(void **state)
{
        struct outcome o;

        (void)state;
        o = scenario(&bl_kernel_raft_mutant_stale_acks);
        assert_int_equal(o.stale_seq, 7);
        assert_int_equal(o.acked_after, 7);
        assert_true(o.acked_after > o.round_after);
        assert_true(o.served_at_once);
        assert_true(o.served_stale);
}

/* The same for InstallSnapshot: a rejection of a snapshot sent in an earlier
 * term neither confirms a round nor counts as contact. */
static void test_stale_snapshot_rejection_ignored(void **state)
{
        struct fx *fx = fx_new(3);
        struct bl_raft *r;
        struct bl_raft_install_snapshot_result res = {0};
        uint8_t buf[64];
        size_t len;
        int l, f;
        uint64_t contact;

        (void)state;
        fx->cfg.raft.read_mode = BL_READ_INDEX;
        fx_start(fx);
        l = fx_elect(fx);
        /* A second term, so that an earlier one exists. */
        fx_crash(fx, l);
        fx_recover(fx, l);
        l = fx_elect(fx);
        f = (l + 1) % 3;
        r = fx_r(fx, l);
        assert_true(r->term >= 2);
        fx_run(fx, 5);
        fx->now += 10 * FX_MS;
        contact = r->peers[f].last_contact_ns;
        res.term = r->term;
        res.index = 0;
        res.seq = 1000;
        res.req_term = r->term - 1;
        len = bl_raft_encode_install_snapshot_result(&res, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(fx->kern->recv(r, f, BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT, buf, len), 0);
        assert_true(r->peers[f].acked_seq < 1000);
        assert_int_equal(r->peers[f].last_contact_ns, contact);
        /* The same answer to a request of this term counts. */
        res.req_term = r->term;
        res.seq = r->read_round;
        len = bl_raft_encode_install_snapshot_result(&res, buf, sizeof(buf));
        assert_int_equal(fx->kern->recv(r, f, BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT, buf, len), 0);
        assert_int_equal(r->peers[f].last_contact_ns, fx->now);
        fx_free(fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_stale_rejection_confirms_nothing),
            cmocka_unit_test(test_mutant_serves_stale_read),
            cmocka_unit_test(test_stale_snapshot_rejection_ignored),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
