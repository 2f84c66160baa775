/* Simulator network model: FIFO and reordering links, delays, messages in flight across crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "kernels/kernel.h"
#include "sim/sim.h"

/*
 * A probe kernel: it sends nothing by itself; the test makes an instance
 * send numbered messages through its environment, and every instance logs
 * what it receives (sender, number, time). It has no persistent state.
 */

#define PROBE_MAX 8192

struct probe_rx {
        int from;
        uint64_t value;
        uint64_t at_ns;
};

struct probe {
        struct bl_env env;
        struct bl_group g;
        struct probe_rx rx[PROBE_MAX];
        int n_rx;
};

static const char *const probe_msg_names[] = {"probe"};

static void *probe_create(const struct bl_env *env, const struct bl_group *g,
                          const struct bl_config *cfg)
{
        struct probe *p = bl_calloc(1, sizeof(*p));

        (void)cfg;
        if (p == NULL)
                return NULL;
        p->env = *env;
        p->g = *g;
        return p;
}

static void probe_destroy(void *k)
{
        bl_free(k);
}

static int probe_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        (void)k, (void)cmd, (void)len, (void)flags, (void)tag;
        return BL_ENOTLEADER;
}

static int probe_recv(void *k, int from, int type, const void *buf, size_t len)
{
        struct probe *p = k;
        uint64_t v;

        if (type != 0 || len != sizeof(v) || p->n_rx == PROBE_MAX)
                return BL_EPROTO;
        memcpy(&v, buf, sizeof(v));
        p->rx[p->n_rx++] = (struct probe_rx){from, v, p->env.now(p->env.ctx)};
        return 0;
}

static void probe_tick(void *k)
{
        (void)k;
}

static int probe_leader(void *k)
{
        (void)k;
        return -1;
}

static void probe_nothing(void *k)
{
        (void)k;
}

static const struct bl_kernel probe_kernel = {
    .name = "probe",
    .version = "1",
    .summary = "test probe",
    .kind = BL_KERNEL_REPLICATION,
    .n_msg_types = 1,
    .msg_names = probe_msg_names,
    .create = probe_create,
    .destroy = probe_destroy,
    .submit = probe_submit,
    .recv = probe_recv,
    .tick = probe_tick,
    .leader = probe_leader,
    .crash = probe_nothing,
    .recover = probe_nothing,
};

#define MS 1000000ULL

static struct bl_sim *make(int links, uint64_t seed)
{
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;

        bl_sim_opts_default(&o);
        o.kernel = &probe_kernel;
        o.nodes = 3;
        o.clients = 0;
        o.links = links;
        o.seed = seed;
        s = bl_sim_create(&o, &eb);
        if (s == NULL)
                fail_msg("bl_sim_create: %s", eb.msg);
        return s;
}

static struct probe *node(struct bl_sim *s, int n)
{
        return bl_sim_instance(s, n, 0);
}

static void send_value(struct bl_sim *s, int from, int to, uint64_t v)
{
        struct probe *p = node(s, from);

        p->env.send(p->env.ctx, to, 0, &v, sizeof(v));
}

/* Values node `to` received from `from`, in arrival order; returns how many. */
static int received(struct bl_sim *s, int to, int from, uint64_t *out, int cap)
{
        struct probe *p = node(s, to);
        int n = 0;

        for (int i = 0; i < p->n_rx && n < cap; i++)
                if (p->rx[i].from == from)
                        out[n++] = p->rx[i].value;
        return n;
}

/* Count of adjacent inversions among what node 1 got from node 0, after 200
 * messages sent 10 us apart (latencies are 50..500 us). */
static int inversions(int links)
{
        struct bl_sim *s = make(links, 7);
        uint64_t got[256];
        int n, inv = 0;

        for (uint64_t v = 1; v <= 200; v++) {
                send_value(s, 0, 1, v);
                bl_sim_run_for(s, 10000);
        }
        bl_sim_run_for(s, 10 * MS);
        n = received(s, 1, 0, got, 256);
        assert_int_equal(n, 200);
        for (int i = 1; i < n; i++)
                inv += got[i] < got[i - 1];
        bl_sim_destroy(s);
        return inv;
}

static void test_fifo_links_keep_order(void **state)
{
        (void)state;
        assert_int_equal(inversions(BL_SIM_LINKS_FIFO), 0);
        assert_true(inversions(BL_SIM_LINKS_REORDER) > 10);
}

/* Mixed: seeds draw both models, about half each. */
static void test_mixed_links_draw_both(void **state)
{
        int fifo = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= 200; seed++) {
                struct bl_sim *s = make(BL_SIM_LINKS_MIXED, seed);

                fifo += bl_sim_fifo(s);
                bl_sim_destroy(s);
        }
        assert_true(fifo > 60 && fifo < 140);
}

/* A message sent before its sender crashes is delivered (the runtime's MPI
 * send is already on its way); one that arrives while its receiver is down
 * is lost, even if the receiver is back by the end. */
static void test_crash_keeps_messages_in_flight(void **state)
{
        struct bl_sim *s = make(BL_SIM_LINKS_REORDER, 3);
        struct bl_sim_stats st;
        uint64_t got[8];

        (void)state;
        send_value(s, 0, 1, 11);
        bl_sim_crash(s, 0);
        bl_sim_run_for(s, 5 * MS);
        assert_int_equal(received(s, 1, 0, got, 8), 1);
        assert_int_equal(got[0], 11);
        /* Crash and recover while it is in flight: still delivered. */
        bl_sim_recover(s, 0);
        assert_int_equal(bl_sim_set_delay(s, 0, 1, 20 * MS, 0), 0);
        send_value(s, 0, 1, 12);
        bl_sim_crash(s, 0);
        bl_sim_run_for(s, 1 * MS);
        bl_sim_recover(s, 0);
        bl_sim_run_for(s, 30 * MS);
        assert_int_equal(received(s, 1, 0, got, 8), 2);
        assert_int_equal(got[1], 12);
        /* To a crashed receiver: lost. */
        send_value(s, 0, 2, 13);
        bl_sim_crash(s, 2);
        bl_sim_run_for(s, 5 * MS);
        bl_sim_recover(s, 2);
        bl_sim_run_for(s, 30 * MS);
        assert_int_equal(received(s, 2, 0, got, 8), 0);
        bl_sim_get_stats(s, &st);
        assert_int_equal(st.msgs_dropped, 1);
        bl_sim_destroy(s);
}

/* Delays: per link, with jitter, removed by delay 0 or clear; a FIFO link
 * holds later messages behind a delayed one. */
static void test_delays(void **state)
{
        struct bl_sim *s = make(BL_SIM_LINKS_REORDER, 5);
        struct probe *p1 = node(s, 1), *p2 = node(s, 2);
        uint64_t t0 = bl_sim_now(s);

        (void)state;
        assert_int_equal(bl_sim_set_delay(s, 0, 1, 10 * MS, 2 * MS), 0);
        assert_int_equal(bl_sim_set_delay(s, 5, 1, 1, 0), BL_EINVAL);
        send_value(s, 0, 1, 1);
        send_value(s, 0, 2, 2); /* another link: not delayed */
        bl_sim_run_for(s, 20 * MS);
        assert_int_equal(p1->n_rx, 1);
        assert_true(p1->rx[0].at_ns >= t0 + 8 * MS && p1->rx[0].at_ns <= t0 + 13 * MS);
        assert_int_equal(p2->n_rx, 1);
        assert_true(p2->rx[0].at_ns <= t0 + 1 * MS);
        /* Any sender to node 2. */
        t0 = bl_sim_now(s);
        assert_int_equal(bl_sim_set_delay(s, -1, 2, 5 * MS, 0), 0);
        send_value(s, 1, 2, 3);
        bl_sim_run_for(s, 10 * MS);
        assert_true(p2->rx[1].at_ns >= t0 + 5 * MS);
        /* Removed. */
        assert_int_equal(bl_sim_set_delay(s, 0, 1, 0, 0), 0);
        bl_sim_clear_delays(s);
        t0 = bl_sim_now(s);
        send_value(s, 0, 1, 4);
        send_value(s, 1, 2, 5);
        bl_sim_run_for(s, 10 * MS);
        assert_true(p1->rx[1].at_ns <= t0 + 1 * MS);
        assert_true(p2->rx[2].at_ns <= t0 + 1 * MS);
        bl_sim_destroy(s);

        /* FIFO: a message sent after the delay ends still waits its turn. */
        s = make(BL_SIM_LINKS_FIFO, 5);
        p1 = node(s, 1);
        t0 = bl_sim_now(s);
        bl_sim_set_delay(s, 0, 1, 10 * MS, 0);
        send_value(s, 0, 1, 1);
        bl_sim_clear_delays(s);
        send_value(s, 0, 1, 2);
        bl_sim_run_for(s, 20 * MS);
        assert_int_equal(p1->n_rx, 2);
        assert_int_equal(p1->rx[0].value, 1);
        assert_int_equal(p1->rx[1].value, 2);
        assert_true(p1->rx[1].at_ns >= t0 + 10 * MS);
        bl_sim_destroy(s);
}

static void test_bad_links_option(void **state)
{
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &probe_kernel;
        o.links = 3;
        assert_null(bl_sim_create(&o, &eb));
        assert_non_null(strstr(eb.msg, "links = 3"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fifo_links_keep_order),
            cmocka_unit_test(test_mixed_links_draw_both),
            cmocka_unit_test(test_crash_keeps_messages_in_flight),
            cmocka_unit_test(test_delays),
            cmocka_unit_test(test_bad_links_option),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
