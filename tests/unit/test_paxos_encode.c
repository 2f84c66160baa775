/* Unit tests for the Multi-Paxos wire format (encode.c): round trips and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/internal.h"

static void test_fixed_round_trips(void **state)
{
        uint8_t buf[128];
        struct bl_paxos_prepare p = {77, 5, 1, 0}, p2;
        struct bl_paxos_accepted a = {9, 1, 10, 3, 4, 6, 2}, a2;
        struct bl_paxos_catchup c = {4, 8, 16}, c2;
        size_t len;

        (void)state;
        len = bl_paxos_encode_prepare(&p, buf, sizeof(buf));
        assert_int_equal(len, 18);
        assert_int_equal(bl_paxos_decode_prepare(buf, len, &p2), 0);
        assert_int_equal(p2.ballot, 77);
        assert_int_equal(p2.from, 5);
        assert_int_equal(p2.force, 1);
        assert_int_equal(bl_paxos_decode_prepare(buf, len - 1, &p2), BL_EPROTO);
        buf[16] = 2; /* force is a flag */
        assert_int_equal(bl_paxos_decode_prepare(buf, len, &p2), BL_EPROTO);
        assert_int_equal(bl_paxos_encode_prepare(&p, buf, 8), 0);
        len = bl_paxos_encode_accepted(&a, buf, sizeof(buf));
        assert_int_equal(bl_paxos_decode_accepted(buf, len, &a2), 0);
        assert_int_equal(a2.first, 3);
        assert_int_equal(a2.n, 4);
        assert_int_equal(a2.round, 6);
        assert_int_equal(a2.commit, 2);
        a.first = UINT64_MAX; /* a range that wraps */
        len = bl_paxos_encode_accepted(&a, buf, sizeof(buf));
        assert_int_equal(bl_paxos_decode_accepted(buf, len, &a2), BL_EPROTO);
        len = bl_paxos_encode_catchup(&c, buf, sizeof(buf));
        assert_int_equal(bl_paxos_decode_catchup(buf, len, &c2), 0);
        assert_int_equal(c2.from, 4);
        assert_int_equal(c2.snap_index, 8);
        assert_int_equal(c2.snap_got, 16);
}

static void test_accept_values(void **state)
{
        uint8_t buf[256];
        struct bl_paxos_accept m = {.ballot = 0x105, .commit = 3, .round = 1, .first = 4, .n = 2};
        struct bl_paxos_accept d;
        struct bl_paxos_wire_value v;
        struct bl_wbuf w;
        struct bl_rbuf r;

        (void)state;
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_accept(&w, &m);
        bl_paxos_put_value(&w, BL_PAXOS_CMD, "abc", 3);
        bl_paxos_put_value(&w, BL_PAXOS_NOOP, NULL, 0);
        assert_true(w.ok);
        assert_int_equal(bl_paxos_decode_accept(buf, w.len, &d), 0);
        assert_int_equal(d.n, 2);
        bl_rbuf_init(&r, d.values, d.values_len);
        assert_int_equal(bl_paxos_values_next(&r, 0, &v), 0);
        assert_int_equal(v.len, 3);
        assert_memory_equal(v.buf, "abc", 3);
        assert_int_equal(bl_paxos_values_next(&r, 0, &v), 0);
        assert_int_equal(v.type, BL_PAXOS_NOOP);
        /* Truncated, trailing garbage, unknown type, a count the bytes cannot hold. */
        assert_int_equal(bl_paxos_decode_accept(buf, w.len - 1, &d), BL_EPROTO);
        assert_int_equal(bl_paxos_decode_accept(buf, w.len + 1, &d), BL_EPROTO);
        buf[BL_PAXOS_ACCEPT_HEADER] = 9;
        assert_int_equal(bl_paxos_decode_accept(buf, w.len, &d), BL_EPROTO);
        buf[BL_PAXOS_ACCEPT_HEADER] = BL_PAXOS_CMD;
        buf[32] = 0xff;
        assert_int_equal(bl_paxos_decode_accept(buf, w.len, &d), BL_EPROTO);
}

static void test_promise_values_checked(void **state)
{
        uint8_t buf[256];
        struct bl_paxos_promise m = {
            .ballot = 0x201, .ok = 1, .promised = 0x201, .commit = 2, .offset = 1, .n = 2};
        struct bl_paxos_promise d;
        struct bl_wbuf w;

        (void)state;
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_promise(&w, &m);
        bl_paxos_put_promise_value(&w, 3, 0x101, BL_PAXOS_CMD, "x", 1);
        bl_paxos_put_promise_value(&w, 5, 0x102, BL_PAXOS_CMD, "y", 1);
        assert_int_equal(bl_paxos_decode_promise(buf, w.len, &d), 0);
        assert_int_equal(d.n, 2);
        /* Slots must increase. */
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_promise(&w, &m);
        bl_paxos_put_promise_value(&w, 5, 0x101, BL_PAXOS_CMD, "x", 1);
        bl_paxos_put_promise_value(&w, 5, 0x102, BL_PAXOS_CMD, "y", 1);
        assert_int_equal(bl_paxos_decode_promise(buf, w.len, &d), BL_EPROTO);
        /* offset beyond commit is impossible. */
        m.offset = 3;
        m.n = 0;
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_promise(&w, &m);
        assert_int_equal(bl_paxos_decode_promise(buf, w.len, &d), BL_EPROTO);
}

static void test_learn_and_snapshot_checked(void **state)
{
        uint8_t buf[128];
        struct bl_paxos_learn m = {.commit = 5, .first = 5, .n = 2};
        struct bl_paxos_learn d;
        struct bl_paxos_snapshot s = {
            .index = 3, .total = 4, .offset = 2, .data = (const uint8_t *)"ab", .len = 2};
        struct bl_paxos_snapshot sd;
        struct bl_wbuf w;

        (void)state;
        /* A Learn beyond the sender's own commit point is refused. */
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_learn(&w, &m);
        bl_paxos_put_value(&w, BL_PAXOS_CMD, "a", 1);
        bl_paxos_put_value(&w, BL_PAXOS_CMD, "b", 1);
        assert_int_equal(bl_paxos_decode_learn(buf, w.len, &d), BL_EPROTO);
        m.commit = 6;
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_learn(&w, &m);
        bl_paxos_put_value(&w, BL_PAXOS_CMD, "a", 1);
        bl_paxos_put_value(&w, BL_PAXOS_CMD, "b", 1);
        assert_int_equal(bl_paxos_decode_learn(buf, w.len, &d), 0);
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_snapshot(&w, &s);
        assert_int_equal(bl_paxos_decode_snapshot(buf, w.len, &sd), 0);
        assert_int_equal(sd.len, 2);
        s.offset = 3; /* past the end */
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_snapshot(&w, &s);
        assert_int_equal(bl_paxos_decode_snapshot(buf, w.len, &sd), BL_EPROTO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fixed_round_trips),
            cmocka_unit_test(test_accept_values),
            cmocka_unit_test(test_promise_values_checked),
            cmocka_unit_test(test_learn_and_snapshot_checked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
