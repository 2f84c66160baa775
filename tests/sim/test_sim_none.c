/* Simulator tests: the none kernel end to end (crashes included), plus small fake kernels that
 * probe the network, the event order and that every checker can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check/history.h"
#include "common/alloc.h"
#include "common/rng.h"
#include "config/config.h"
#include "kernels/none/internal.h"
#include "sim/sim.h"
#include "store/kv.h"

#include "sim/sim_fixture.h"

extern const struct bl_kernel bl_kernel_none;

/* ------------------------------------------------------------------------ */
/* A fake kernel for the network: every tick each member sends two messages to
 * every other member, each carrying (sender, its message counter). */

#define PING_LOG 64

struct ping {
        struct bl_env env;
        struct bl_group g;
        int crashed;
        uint64_t ticks;
        uint32_t sent; /* message counter */
        uint64_t received;
        uint64_t from_count[8];
        uint32_t log[PING_LOG]; /* (from << 16 | tick) of the first messages received */
        int nlog;
        int recovered;
};

static void *ping_create(const struct bl_env *env, const struct bl_group *g,
                         const struct bl_config *cfg)
{
        struct ping *p = bl_calloc(1, sizeof(*p));

        (void)cfg;
        if (p != NULL) {
                p->env = *env;
                p->g = *g;
        }
        return p;
}

static void ping_destroy(void *k)
{
        bl_free(k);
}

static int ping_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        (void)k;
        (void)cmd;
        (void)len;
        (void)flags;
        (void)tag;
        return BL_EBUSY;
}

static int ping_recv(void *k, int from, int type, const void *buf, size_t len)
{
        struct ping *p = k;
        uint32_t v;

        if (type != 0 || len != sizeof(v))
                return BL_EPROTO;
        memcpy(&v, buf, sizeof(v));
        p->received++;
        p->from_count[from]++;
        if (p->nlog < PING_LOG)
                p->log[p->nlog++] = v;
        return 0;
}

static void ping_tick(void *k)
{
        struct ping *p = k;

        p->ticks++;
        for (int to = 0; to < p->g.nmembers; to++) {
                for (int i = 0; i < 2 && to != p->g.self; i++) {
                        uint32_t v = ((uint32_t)p->g.self << 16) | (++p->sent & 0xffff);

                        p->env.send(p->env.ctx, to, 0, &v, sizeof(v));
                }
        }
}

static int ping_leader(void *k)
{
        (void)k;
        return 0;
}

static void ping_crash(void *k)
{
        ((struct ping *)k)->crashed = 1;
}

static void ping_recover(void *k)
{
        struct ping *p = k;

        p->crashed = 0;
        p->recovered++;
}

static const char *const ping_msgs[] = {"ping"};

static const struct bl_kernel ping_kernel = {
    .name = "ping",
    .version = "test",
    .summary = "test: all-to-all pings",
    .kind = BL_KERNEL_REPLICATION,
    .n_msg_types = 1,
    .msg_names = ping_msgs,
    .create = ping_create,
    .destroy = ping_destroy,
    .submit = ping_submit,
    .recv = ping_recv,
    .tick = ping_tick,
    .leader = ping_leader,
    .crash = ping_crash,
    .recover = ping_recover,
};

/* ------------------------------------------------------------------------ */
/* Broken kernels, to show the checks catch what they should.
 * split: every member thinks it leads and applies commands locally, with no
 *        replication (digests diverge); split_lead also announces itself as
 *        leader of term 1 (election safety).
 * stale: member 0 takes writes; reads are refused there (no leader hint, so
 *        the client tries the other member) and served by member 1 from its
 *        own never-written store: not linearizable, yet the digests agree,
 *        since member 1 applies no mutation. */

struct fake {
        struct bl_env env;
        struct bl_group g;
        int announced;
};

static void *fake_create(const struct bl_env *env, const struct bl_group *g,
                         const struct bl_config *cfg)
{
        struct fake *f = bl_calloc(1, sizeof(*f));

        (void)cfg;
        if (f != NULL) {
                f->env = *env;
                f->g = *g;
        }
        return f;
}

static int split_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        struct fake *f = k;

        (void)flags;
        f->env.apply(f->env.ctx, cmd, len, 0, tag);
        return 0;
}

static int fake_recv(void *k, int from, int type, const void *buf, size_t len)
{
        (void)k;
        (void)from;
        (void)type;
        (void)buf;
        (void)len;
        return BL_EPROTO;
}

static void fake_tick(void *k)
{
        (void)k;
}

static void split_lead_tick(void *k)
{
        struct fake *f = k;

        if (!f->announced) {
                f->announced = 1;
                f->env.event(f->env.ctx, BL_EV_LEADER, 1, f->g.shard);
        }
}

static int split_leader(void *k)
{
        return ((struct fake *)k)->g.self;
}

static void fake_nop(void *k)
{
        (void)k;
}

static int stale_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        struct fake *f = k;
        int reader = flags & BL_SUBMIT_READONLY;

        if (reader != (f->g.self == 1))
                return BL_ENOTLEADER; /* no hint: with 2 members the client tries the other */
        f->env.apply(f->env.ctx, cmd, len, 0, tag);
        return 0;
}

static int stale_leader(void *k)
{
        (void)k;
        return -1;
}

#define FAKE_KERNEL(nm, submitfn, tickfn, leaderfn)                                                \
        {                                                                                          \
                .name = nm, .version = "test", .summary = "test", .kind = BL_KERNEL_REPLICATION,   \
                .n_msg_types = 0, .msg_names = NULL, .create = fake_create,                        \
                .destroy = ping_destroy, .submit = submitfn, .recv = fake_recv, .tick = tickfn,    \
                .leader = leaderfn, .crash = fake_nop, .recover = fake_nop,                        \
        }

static const struct bl_kernel split_kernel =
    FAKE_KERNEL("split", split_submit, fake_tick, split_leader);
static const struct bl_kernel split_lead_kernel =
    FAKE_KERNEL("split_lead", split_submit, split_lead_tick, split_leader);
static const struct bl_kernel stale_kernel =
    FAKE_KERNEL("stale", stale_submit, fake_tick, stale_leader);

/* amnesia: the none kernel as it was before it logged anything: the owner
 * applies a command on arrival and persists nothing, so a crash (which
 * destroys the instance and its store) loses every acknowledged write. The
 * checks must notice. */
static int amnesia_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        (void)k;
        (void)seq;
        (void)type;
        (void)buf;
        (void)len;
        return BL_EPROTO; /* it persists nothing, so nothing comes back */
}

static const struct bl_kernel amnesia_kernel = {
    .name = "amnesia",
    .version = "test",
    .summary = "test: the none kernel without its log",
    .kind = BL_KERNEL_REPLICATION,
    .create = fake_create,
    .destroy = ping_destroy,
    .replay = amnesia_replay,
    .start = fake_nop,
    .submit = split_submit,
    .recv = fake_recv,
    .tick = fake_tick,
    .leader = split_leader,
};

/* ------------------------------------------------------------------------ */

static struct bl_sim *make(const struct bl_sim_opts *o)
{
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s = bl_sim_create(o, &eb);

        if (s == NULL)
                fail_msg("bl_sim_create: %s", eb.msg);
        return s;
}

static void assert_check_ok(struct bl_sim *s)
{
        struct bl_errbuf eb = {{0}};
        int rc = bl_sim_check(s, &eb);

        if (rc != 0)
                fail_msg("bl_sim_check: %s", eb.msg);
}

static void assert_settles(struct bl_sim *s, uint64_t ns)
{
        struct bl_errbuf eb = {{0}};
        int rc = bl_sim_settle(s, ns, &eb);

        if (rc != 0)
                fail_msg("bl_sim_settle: %s", eb.msg);
}

/* The none kernel needs one replica per shard: 3 nodes, 3 shards. */
static void none_opts(struct bl_sim_opts *o)
{
        bl_sim_opts_default(o);
        o->kernel = &bl_kernel_none;
        o->nodes = 3;
        o->shards = 3;
        o->replicas = 1;
        o->clients = 4;
        o->keys = 6;
        o->tick_ns = 1000000;
        o->fault_mask = BL_SIM_F_ALL; /* crashes too: the owner recovers from its log */
}

#define MS 1000000ULL

/* ------------------------------------------------------------------------ */

static void test_opts_invalid(void **state)
{
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};

        (void)state;
        none_opts(&o);
        o.kernel = NULL;
        assert_null(bl_sim_create(&o, &eb));
        assert_non_null(strstr(eb.msg, "kernel"));

        none_opts(&o);
        o.lat_min_ns = 0;
        assert_null(bl_sim_create(&o, &eb));
        assert_non_null(strstr(eb.msg, "latency"));

        none_opts(&o);
        o.replicas = 4;
        assert_null(bl_sim_create(&o, &eb));
        assert_non_null(strstr(eb.msg, "replicas"));

        none_opts(&o);
        o.op_mask = 0;
        assert_null(bl_sim_create(&o, &eb));

        none_opts(&o);
        o.drop = 1.0;
        assert_null(bl_sim_create(&o, &eb));
        assert_null(bl_sim_create(NULL, &eb));
}

/* Every allocation failure during creation gives NULL and a message, no leak
 * (under ASan), and the loop ends with a success. */
static void test_create_oom(void **state)
{
        struct bl_sim_opts o;
        int n;

        (void)state;
        none_opts(&o);
        for (n = 1; n < 1000; n++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim *s;

                bl_alloc_fail_after(n);
                s = bl_sim_create(&o, &eb);
                bl_alloc_fail_after(0);
                if (s != NULL) {
                        bl_sim_destroy(s);
                        break;
                }
                assert_true(eb.msg[0] != '\0');
        }
        assert_true(n > 5 && n < 1000);
}

static void test_placement(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &ping_kernel;
        o.nodes = 5;
        o.shards = 3;
        o.replicas = 3;
        s = make(&o);
        assert_int_equal(bl_sim_replicas(s), 3);
        for (int sh = 0; sh < 3; sh++) {
                int hosted = 0;

                for (int m = 0; m < 3; m++) {
                        int node = bl_sim_node_of(s, sh, m);

                        assert_int_equal(node, (sh + m) % 5);
                        assert_int_equal(bl_sim_member_of(s, node, sh), m);
                        assert_non_null(bl_sim_instance(s, node, sh));
                        assert_non_null(bl_sim_kv(s, node, sh));
                }
                for (int node = 0; node < 5; node++)
                        hosted += bl_sim_instance(s, node, sh) != NULL;
                assert_int_equal(hosted, 3);
        }
        assert_null(bl_sim_instance(s, 4, 0));
        assert_int_equal(bl_sim_member_of(s, 4, 0), -1);
        assert_int_equal(bl_sim_node_of(s, 0, 3), -1);
        bl_sim_destroy(s);
}

/* Fixed latency: messages sent at the same time arrive at the same time, in
 * the order they were sent (insertion order breaks ties); one step fires one
 * event; ticks keep their period. */
static void test_tie_break_and_step(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct ping *p1, *p0;
        uint64_t ev, t1;

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &ping_kernel;
        o.nodes = 3;
        o.lat_min_ns = o.lat_max_ns = 10000;
        o.tick_ns = 1000000;
        o.clients = 0;
        s = make(&o);
        assert_int_equal(bl_sim_events(s), 0);
        assert_int_equal(bl_sim_step(s), 1);
        assert_int_equal(bl_sim_events(s), 1);
        assert_true(bl_sim_now(s) < 1000000);
        ev = bl_sim_events(s);
        t1 = bl_sim_now(s);
        bl_sim_run_for(s, 100 * MS);
        assert_true(bl_sim_events(s) > ev);
        assert_int_equal(bl_sim_now(s), t1 + 100 * MS);
        p0 = bl_sim_instance(s, 0, 0);
        p1 = bl_sim_instance(s, 1, 0);
        /* ~100 ticks in 100 ms, each sending two messages to both others. */
        assert_true(p0->ticks >= 99 && p0->ticks <= 101);
        assert_true(p1->from_count[0] >= 196 && p1->from_count[2] >= 196);
        /* Per sender, messages arrive in the order sent, including the two
         * of a tick, which are due at the same nanosecond. */
        for (int from = 0; from < 3; from++) {
                uint32_t last = 0;

                for (int i = 0; i < p1->nlog; i++) {
                        if ((int)(p1->log[i] >> 16) != from)
                                continue;
                        assert_true((p1->log[i] & 0xffff) > last);
                        last = p1->log[i] & 0xffff;
                }
        }
        bl_sim_destroy(s);
}

static void test_partition_and_crash(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_sim_stats st;
        struct ping *p[3];
        int side[3] = {0, 0, 1};
        uint64_t before[3][3];

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &ping_kernel;
        o.clients = 0;
        o.tick_ns = 1000000;
        s = make(&o);
        for (int i = 0; i < 3; i++)
                p[i] = bl_sim_instance(s, i, 0);
        bl_sim_run_for(s, 10 * MS);
        bl_sim_partition(s, side);
        bl_sim_run_for(s, 2 * MS); /* let in-flight messages land or drop */
        for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                        before[i][j] = p[i]->from_count[j];
        bl_sim_run_for(s, 50 * MS);
        assert_true(p[0]->from_count[1] > before[0][1] + 40);
        assert_true(p[1]->from_count[0] > before[1][0] + 40);
        assert_int_equal(p[2]->from_count[0], before[2][0]);
        assert_int_equal(p[2]->from_count[1], before[2][1]);
        assert_int_equal(p[0]->from_count[2], before[0][2]);
        bl_sim_heal(s);

        bl_sim_crash(s, 1);
        assert_true(bl_sim_crashed(s, 1));
        assert_int_equal(p[1]->crashed, 1);
        bl_sim_run_for(s, 2 * MS);
        for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                        before[i][j] = p[i]->from_count[j];
        uint64_t ticks1 = p[1]->ticks, recv1 = p[1]->received;
        bl_sim_run_for(s, 50 * MS);
        assert_int_equal(p[1]->ticks, ticks1);   /* no ticks while crashed */
        assert_int_equal(p[1]->received, recv1); /* nothing delivered */
        assert_int_equal(p[1]->from_count[0], before[1][0]);
        assert_int_equal(p[0]->from_count[1], before[0][1]);
        assert_true(p[0]->from_count[2] > before[0][2] + 40);
        bl_sim_recover(s, 1);
        assert_int_equal(p[1]->recovered, 1);
        bl_sim_recover(s, 1); /* no-op */
        assert_int_equal(p[1]->recovered, 1);
        bl_sim_run_for(s, 20 * MS);
        assert_true(p[1]->ticks > ticks1 + 15);
        assert_true(p[1]->from_count[0] > before[1][0] + 15);

        bl_sim_get_stats(s, &st);
        assert_int_equal(st.crashes, 1);
        assert_int_equal(st.recoveries, 1);
        assert_int_equal(st.partitions, 1);
        assert_true(st.msgs_dropped > 0);
        /* Every copy is delivered, dropped, or still in flight. */
        assert_true(st.msgs_delivered + st.msgs_dropped <= st.msgs_sent + st.msgs_duplicated);
        assert_true(st.msgs_delivered + st.msgs_dropped + 12 >= st.msgs_sent + st.msgs_duplicated);
        bl_sim_destroy(s);
}

/* Drop and duplicate rates are roughly what was asked for. */
static void test_link_faults(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_sim_stats st;

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &ping_kernel;
        o.clients = 0;
        o.drop = 0.2;
        o.dup = 0.1;
        s = make(&o);
        bl_sim_run_for(s, 500 * MS);
        bl_sim_get_stats(s, &st);
        assert_true(st.msgs_sent > 2500);
        assert_true(st.msgs_dropped > st.msgs_sent * 15 / 100);
        assert_true(st.msgs_dropped < st.msgs_sent * 25 / 100);
        assert_true(st.msgs_duplicated > st.msgs_sent * 5 / 100);
        assert_true(st.msgs_duplicated < st.msgs_sent * 12 / 100);
        bl_sim_set_link_faults(s, 0, 0);
        uint64_t dropped = st.msgs_dropped;
        bl_sim_run_for(s, 2 * MS); /* in-flight */
        bl_sim_get_stats(s, &st);
        dropped = st.msgs_dropped;
        bl_sim_run_for(s, 100 * MS);
        bl_sim_get_stats(s, &st);
        assert_int_equal(st.msgs_dropped, dropped);
        bl_sim_destroy(s);
}

/* ------------------------------------------------------------------------ */
/* The none kernel. */

static void test_none_clients_linearizable(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        const struct bl_history *h;
        int saw[BL_OP__COUNT] = {0};

        (void)state;
        none_opts(&o);
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 1000 * MS);
        assert_true(bl_sim_completed(s) > 1000);
        assert_true(bl_sim_pending(s) <= 4);
        for (int sh = 0; sh < 3; sh++)
                assert_int_equal(bl_sim_leader(s, sh), sh);
        assert_check_ok(s);
        assert_settles(s, 100 * MS);
        assert_int_equal(bl_sim_pending(s), 0);
        h = bl_sim_history(s);
        assert_non_null(h);
        assert_int_equal(bl_history_count(h), bl_sim_completed(s));
        for (size_t i = 0; i < h->n; i++) {
                assert_int_equal(h->ops[i].outcome, BL_OUT_OK);
                assert_true(h->ops[i].key < 6);
                assert_true(h->ops[i].return_ns > h->ops[i].invoke_ns);
                saw[h->ops[i].op]++;
        }
        /* Every operation type, on preloaded and absent keys alike. */
        for (int op = 0; op < BL_OP__COUNT; op++)
                assert_true(saw[op] > 0);
        assert_check_ok(s);
        /* Clients stay off after settle. */
        uint64_t done = bl_sim_completed(s);
        bl_sim_run_for(s, 50 * MS);
        assert_int_equal(bl_sim_completed(s), done);
        bl_sim_destroy(s);
}

struct run_result {
        uint64_t events, now, completed;
        struct bl_sim_stats st;
        uint64_t digest[3], applied[3];
        size_t nhist;
        uint64_t hist_hash;
        char desc[1024];
};

static void run_once(const struct bl_sim_opts *o, uint64_t sched_seed, struct run_result *r)
{
        struct bl_sim *s = make(o);
        const struct bl_history *h;

        memset(r, 0, sizeof(*r));
        bl_sim_clients(s, 1);
        assert_int_equal(bl_sim_random_schedule(s, sched_seed, 300 * MS, r->desc, sizeof(r->desc)),
                         0);
        assert_check_ok(s);
        assert_settles(s, 1000 * MS);
        r->events = bl_sim_events(s);
        r->now = bl_sim_now(s);
        r->completed = bl_sim_completed(s);
        bl_sim_get_stats(s, &r->st);
        for (int sh = 0; sh < 3; sh++) {
                struct bl_kv *kv = bl_sim_kv(s, sh, sh);

                r->digest[sh] = bl_kv_digest(kv);
                r->applied[sh] = bl_kv_applied(kv);
        }
        h = bl_sim_history(s);
        r->nhist = h->n;
        r->hist_hash = 0;
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_hop *op = &h->ops[i];

                r->hist_hash =
                    bl_mix64(r->hist_hash ^ op->client ^ ((uint64_t)op->op << 32) ^ op->key ^
                             op->arg ^ op->ret ^ op->invoke_ns ^ (op->return_ns << 1));
        }
        bl_sim_destroy(s);
}

static void test_none_determinism(void **state)
{
        struct bl_sim_opts o;
        static struct run_result a, b, c;

        (void)state;
        none_opts(&o);
        o.seed = 42;
        o.drop = 0.05;
        o.dup = 0.05;
        o.client_timeout_ns = 5 * MS;
        run_once(&o, 7, &a);
        run_once(&o, 7, &b);
        assert_true(a.completed > 100);
        assert_int_equal(a.events, b.events);
        assert_int_equal(a.now, b.now);
        assert_int_equal(a.completed, b.completed);
        assert_int_equal(a.nhist, b.nhist);
        assert_int_equal(a.hist_hash, b.hist_hash);
        assert_memory_equal(&a.st, &b.st, sizeof(a.st));
        assert_memory_equal(a.digest, b.digest, sizeof(a.digest));
        assert_memory_equal(a.applied, b.applied, sizeof(a.applied));
        assert_string_equal(a.desc, b.desc);
        assert_true(strlen(a.desc) > 10);
        /* Another simulator seed or another schedule seed gives another run. */
        o.seed = 43;
        run_once(&o, 7, &c);
        assert_true(c.hist_hash != a.hist_hash);
        o.seed = 42;
        run_once(&o, 8, &c);
        assert_true(c.hist_hash != a.hist_hash);
        assert_string_not_equal(c.desc, a.desc);
}

/* Lost requests and replies and duplicates: clients retry the same (client,
 * seq), the store applies each increment once, so every counter equals the
 * increments acknowledged on its key. */
static void test_none_dedup_incr(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_sim_stats st;
        const struct bl_history *h;
        uint64_t acked[4] = {0}, total = 0;

        (void)state;
        none_opts(&o);
        o.op_mask = 1u << BL_OP_INCR;
        o.keys = 4;
        o.records = 0; /* counters start at 0 */
        o.clients = 6;
        o.drop = 0.3;
        o.dup = 0.3;
        o.client_timeout_ns = 5 * MS;
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 2000 * MS);
        assert_check_ok(s);
        assert_settles(s, 2000 * MS);
        bl_sim_get_stats(s, &st);
        assert_true(st.replies_lost > 50);
        assert_true(st.client_retries > 100);
        assert_true(st.msgs_duplicated > 100);
        h = bl_sim_history(s);
        for (size_t i = 0; i < h->n; i++) {
                assert_int_equal(h->ops[i].op, BL_OP_INCR);
                assert_int_equal(h->ops[i].outcome, BL_OUT_OK);
                acked[h->ops[i].key]++;
        }
        for (uint64_t key = 0; key < 4; key++) {
                int sh = bl_shard_of(key, 3);
                uint64_t v = 0;

                if (acked[key] > 0)
                        assert_int_equal(bl_kv_get(bl_sim_kv(s, sh, sh), key, &v), 0);
                assert_int_equal(v, acked[key]);
                total += v;
        }
        assert_int_equal(total, bl_sim_completed(s));
        assert_true(total > 200);
        assert_check_ok(s);
        bl_sim_destroy(s);
}

/* Crashing the only replica of a shard: its ops time out and stay outstanding
 * (UNKNOWN in the history); the crash destroys the store with the instance;
 * recovery rebuilds it from the durable records, then the ops complete. The
 * none kernel comes back with every write it had applied (each was durable
 * before it was applied); a kernel that persists nothing (amnesia) comes
 * back with the preloaded store, and the checker says so as soon as a write
 * lands on it (unique PUT tokens give a digest never seen before). */
static void crash_mechanics(const struct bl_kernel *k, uint32_t op_mask)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_sim_stats st;
        struct bl_errbuf eb = {{0}};
        const struct bl_history *h;
        struct bl_kv *kv0;
        size_t unknown = 0;
        int durable = k == &bl_kernel_none, writes = op_mask != (1u << BL_OP_GET);
        uint64_t applied, digest;

        none_opts(&o);
        o.kernel = k;
        o.op_mask = op_mask;
        o.client_timeout_ns = 10 * MS;
        s = make(&o);
        kv0 = bl_sim_kv(s, 0, 0);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 200 * MS);
        assert_true(bl_sim_completed(s) > 100);
        applied = bl_kv_applied(kv0);
        digest = bl_kv_digest(kv0);
        assert_int_equal(applied > 0, writes);
        bl_sim_crash(s, 0);
        assert_int_equal(bl_sim_leader(s, 0), -1);
        assert_int_equal(bl_sim_leader(s, 1), 1);
        bl_sim_run_for(s, 500 * MS);
        /* Every client ends up stuck on a key of shard 0. */
        assert_int_equal(bl_sim_pending(s), 4);
        bl_sim_get_stats(s, &st);
        assert_true(st.client_timeouts > 10);
        h = bl_sim_history(s);
        for (size_t i = 0; i < h->n; i++) {
                if (h->ops[i].outcome != BL_OUT_UNKNOWN)
                        continue;
                unknown++;
                assert_int_equal(bl_shard_of(h->ops[i].key, 3), 0);
                assert_int_equal(h->ops[i].return_ns, UINT64_MAX);
        }
        assert_int_equal(unknown, 4);
        /* Still linearizable: the unknown ops may or may not have happened. */
        assert_check_ok(s);
        /* The crash destroyed the state machine with the instance. */
        assert_int_equal(bl_kv_applied(kv0), 0);
        bl_sim_recover(s, 0);
        assert_int_equal(bl_sim_leader(s, 0), 0);
        if (durable) {
                assert_int_equal(bl_kv_applied(kv0), applied);
                assert_int_equal(bl_kv_digest(kv0), digest);
        } else {
                assert_int_equal(bl_kv_applied(kv0), 0); /* nothing persisted, nothing replayed */
                assert_int_equal(bl_kv_digest(kv0), 0);
        }
        if (writes && !durable) {
                assert_int_equal(bl_sim_settle(s, 200 * MS, &eb), BL_ECHECK);
                assert_non_null(strstr(eb.msg, "state machine safety: shard 0: node 0"));
                assert_int_equal(bl_sim_check(s, &eb), BL_ECHECK);
        } else {
                assert_settles(s, 200 * MS);
                assert_int_equal(bl_sim_pending(s), 0);
                assert_check_ok(s);
                if (writes) /* the stuck writes went through after recovery */
                        assert_true(bl_kv_applied(kv0) > applied);
        }
        bl_sim_destroy(s);
}

static void test_none_crash_mechanics(void **state)
{
        (void)state;
        crash_mechanics(&bl_kernel_none, 1u << BL_OP_GET);
        crash_mechanics(&bl_kernel_none, 1u << BL_OP_PUT);
        crash_mechanics(&bl_kernel_none, (1u << BL_OP__COUNT) - 1);
}

/* The checks catch a kernel that forgets what it acknowledged. */
static void test_detects_lost_writes(void **state)
{
        (void)state;
        crash_mechanics(&amnesia_kernel, 1u << BL_OP_GET);
        crash_mechanics(&amnesia_kernel, 1u << BL_OP_PUT);
}

/* A node that never comes back: settle reports the ops still pending. */
static void test_settle_reports_liveness(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_errbuf eb = {{0}};

        (void)state;
        none_opts(&o);
        o.client_timeout_ns = 10 * MS;
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 50 * MS);
        bl_sim_crash(s, 2);
        bl_sim_run_for(s, 200 * MS);
        assert_int_equal(bl_sim_settle(s, 300 * MS, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "liveness"));
        assert_non_null(strstr(eb.msg, "shard 2"));
        assert_true(bl_sim_pending(s) > 0);
        bl_sim_destroy(s);
}

/* ------------------------------------------------------------------------ */
/* The checks can fail. */

static void test_detects_two_leaders(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_errbuf eb = {{0}};

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &split_lead_kernel;
        o.clients = 0;
        s = make(&o);
        bl_sim_run_for(s, 10 * MS);
        assert_int_equal(bl_sim_event_count(s, BL_EV_LEADER), 2); /* stopped at the second */
        assert_int_equal(bl_sim_violation(s, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "election safety"));
        assert_non_null(strstr(eb.msg, "term 1"));
        assert_int_equal(bl_sim_check(s, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "election safety"));
        bl_sim_destroy(s);
}

static void test_detects_divergence(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_errbuf eb = {{0}};

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &split_kernel;
        o.op_mask = 1u << BL_OP_PUT;
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 100 * MS);
        assert_int_equal(bl_sim_check(s, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "state machine safety: shard 0"));
        /* The simulation stopped at the violation. */
        assert_true(bl_sim_now(s) < 100 * MS);
        bl_sim_destroy(s);
}

static void test_detects_stale_reads(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_errbuf eb = {{0}};

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &stale_kernel;
        o.nodes = 2;
        o.keys = 2;
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 300 * MS);
        assert_true(bl_sim_completed(s) > 50);
        assert_int_equal(bl_sim_violation(s, NULL), 0);
        assert_int_equal(bl_sim_check(s, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "linearizability"));
        bl_sim_destroy(s);
}

struct inv_arg {
        uint64_t calls;
        uint64_t fail_at;
};

static int count_invariant(void *arg, struct bl_sim *s, struct bl_errbuf *eb)
{
        struct inv_arg *a = arg;

        (void)s;
        if (++a->calls == a->fail_at)
                return bl_errf(eb, BL_ECHECK, "log matching broken at call %llu",
                               (unsigned long long)a->calls);
        return 0;
}

static void test_invariant_hook(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_errbuf eb = {{0}};
        struct inv_arg arg = {0, 0};

        (void)state;
        none_opts(&o);
        o.invariant = count_invariant;
        o.invariant_arg = &arg;
        s = make(&o);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 20 * MS);
        assert_int_equal(arg.calls, bl_sim_events(s));
        assert_check_ok(s);
        arg.fail_at = arg.calls + 10;
        bl_sim_run_for(s, 20 * MS);
        assert_int_equal(arg.calls, arg.fail_at);
        assert_int_equal(bl_sim_events(s), arg.fail_at); /* stopped right there */
        assert_int_equal(bl_sim_check(s, &eb), BL_ECHECK);
        assert_non_null(strstr(eb.msg, "log matching broken"));
        assert_int_equal(bl_sim_random_schedule(s, 1, 10 * MS, NULL, 0), BL_ECHECK);
        bl_sim_destroy(s);
}

static void test_schedule_desc(void **state)
{
        struct bl_sim_opts o;
        struct bl_sim *s;
        char small[24], big[2048];

        (void)state;
        none_opts(&o);
        o.fault_mask = BL_SIM_F_PARTITION | BL_SIM_F_LINK;
        s = make(&o);
        assert_int_equal(bl_sim_random_schedule(s, 3, 500 * MS, big, sizeof(big)), 0);
        assert_non_null(strstr(big, "t="));
        assert_non_null(strstr(big, "heal, recover all, links clear"));
        assert_null(strstr(big, "crash")); /* fault_mask excludes crashes */
        assert_true(bl_sim_now(s) >= 500 * MS);
        assert_int_equal(bl_sim_random_schedule(s, 3, 500 * MS, small, sizeof(small)), 0);
        assert_true(strlen(small) < sizeof(small));
        assert_non_null(strstr(small, "..."));
        bl_sim_destroy(s);

        /* With crashes allowed, they appear and every node is back at the end. */
        none_opts(&o);
        o.fault_mask = BL_SIM_F_CRASH;
        s = make(&o);
        assert_int_equal(bl_sim_random_schedule(s, 5, 1000 * MS, big, sizeof(big)), 0);
        assert_non_null(strstr(big, "crash"));
        for (int i = 0; i < 3; i++)
                assert_false(bl_sim_crashed(s, i));
        bl_sim_destroy(s);
}

/* Many random schedules (crashes and recoveries, partitions, link faults and
 * delays, FIFO and reordering links): at least 5,000 per `make test` (issue
 * 8). The owner of a shard crashes and comes back from its log; digests,
 * linearizability and liveness must hold across it. Prints the simulator's
 * speed. */
static void test_none_many_schedules(void **state)
{
        struct bl_sim_opts o;
        struct bl_simtest_summary sum;

        (void)state;
        none_opts(&o);
        o.clients = 3;
        bl_simtest_many(&o, 5000, 50 * MS, 500 * MS, &sum);
        assert_true(sum.seeds >= 1);
        assert_true(sum.completed > (uint64_t)sum.seeds * 50);
        assert_true(sum.partitions > 0);
        assert_true(sum.crashes > 0);
}

/* The same on a disk slower than the network (appends 5-50 us, group commit
 * syncs 0.1-2 ms), so that crashes destroy records not yet synced (writes
 * never applied nor answered), and with a snapshot every 8 writes, so that
 * crashes also fall between a snapshot's record and its durability, and
 * recovery replays snapshots and compacted logs. */
static void test_none_disk_schedules(void **state)
{
        struct bl_config cfg;
        struct bl_sim_opts o;
        struct bl_simtest_summary sum;

        (void)state;
        bl_config_defaults(&cfg);
        cfg.none.snapshot_entries = 8;
        none_opts(&o);
        o.cfg = &cfg;
        o.clients = 4;
        o.disk_append_min_ns = 5000;
        o.disk_append_max_ns = 50000;
        o.disk_sync_min_ns = 100000;
        o.disk_sync_max_ns = 2 * MS;
        bl_simtest_many(&o, 2000, 100 * MS, 1000 * MS, &sum);
        assert_true(sum.completed > (uint64_t)sum.seeds * 20);
        assert_true(sum.crashes > 0);
        if (sum.seeds >= 20)
                assert_true(sum.records_lost > 0);
}

/* What clients saw survives crashes on a slow disk. Syncs take 1-3 ms, so
 * writes wait for durability while reads keep arriving; every node crashes
 * at a seed-dependent moment and comes back 1 ms later, losing the records
 * not yet synced. A write acknowledged, or shown to a read, before its
 * record was durable would be gone after the crash: the digest and
 * linearizability checks fail (tried: answering writes on arrival fails at
 * the first seed). */
static void test_none_crash_on_slow_disk(void **state)
{
        struct bl_sim_opts o;
        int nseeds = bl_simtest_nseeds(300);

        (void)state;
        none_opts(&o);
        o.fault_mask = 0;
        o.keys = 3;
        o.records = 3;
        o.op_mask = (1u << BL_OP_GET) | (1u << BL_OP_PUT);
        o.clients = 8;
        o.client_timeout_ns = 10 * MS;
        o.disk_append_min_ns = 5000;
        o.disk_append_max_ns = 20000;
        o.disk_sync_min_ns = 1 * MS;
        o.disk_sync_max_ns = 3 * MS;
        for (int seed = 1; seed <= nseeds; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim *s;

                o.seed = (uint64_t)seed;
                s = make(&o);
                bl_sim_clients(s, 1);
                bl_sim_run_for(s, 5 * MS + (uint64_t)seed * 37 % 10 * MS / 10);
                for (int node = 0; node < 3; node++)
                        bl_sim_crash(s, node);
                bl_sim_run_for(s, 1 * MS);
                for (int node = 0; node < 3; node++)
                        bl_sim_recover(s, node);
                bl_sim_run_for(s, 30 * MS);
                if (bl_sim_check(s, &eb) != 0 || bl_sim_settle(s, 500 * MS, &eb) != 0 ||
                    bl_sim_check(s, &eb) != 0)
                        fail_msg("seed %d: %s", seed, eb.msg);
                bl_sim_destroy(s);
        }
}

/* none's replay(), counted: the none kernel with a counting replay slot. */
struct replay_count {
        uint64_t records, snapshots;
};
static struct replay_count *replay_counter;

static int counting_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        replay_counter->records++;
        replay_counter->snapshots += type == BL_NONE_REC_SNAPSHOT;
        return bl_kernel_none.replay(k, seq, type, buf, len);
}

/* Snapshots keep recovery short and the log bounded: increments only, a
 * snapshot every 25 writes, a slow disk; the owner of shard 0 crashes six
 * times. Each time it comes back with exactly the writes it had applied
 * (all of them durable), and replays one snapshot record or two (one not yet
 * compacted) and fewer than 25 + the writes that waited for the disk. At
 * the end every counter holds exactly the increments acknowledged on it. */
static void test_none_snapshot_recovery(void **state)
{
        struct bl_kernel counting = bl_kernel_none;
        struct replay_count rc = {0, 0};
        struct bl_config cfg;
        struct bl_sim_opts o;
        struct bl_sim *s;
        struct bl_kv *kv0;
        const struct bl_history *h;
        uint64_t acked[6] = {0}, total = 0;

        (void)state;
        counting.replay = counting_replay;
        replay_counter = &rc;
        bl_config_defaults(&cfg);
        cfg.none.snapshot_entries = 25;
        none_opts(&o);
        o.kernel = &counting;
        o.cfg = &cfg;
        o.fault_mask = 0;
        o.op_mask = 1u << BL_OP_INCR;
        o.records = 0;
        o.clients = 8;
        o.client_timeout_ns = 20 * MS;
        o.disk_append_min_ns = 5000;
        o.disk_append_max_ns = 20000;
        o.disk_sync_min_ns = 200000;
        o.disk_sync_max_ns = 1 * MS;
        s = make(&o);
        kv0 = bl_sim_kv(s, 0, 0);
        bl_sim_clients(s, 1);
        for (int round = 0; round < 6; round++) {
                struct bl_none *n;
                uint64_t applied;

                bl_sim_run_for(s, 150 * MS);
                n = bl_sim_instance(s, 0, 0);
                applied = bl_kv_applied(kv0);
                assert_true(applied > 100 * (uint64_t)(round + 1));
                assert_true(n->snapshots > 0);
                assert_true(n->q_n < 25);
                bl_sim_crash(s, 0);
                bl_sim_run_for(s, 5 * MS);
                rc.records = rc.snapshots = 0;
                bl_sim_recover(s, 0);
                n = bl_sim_instance(s, 0, 0);
                assert_int_equal(bl_kv_applied(kv0), applied);
                assert_int_equal(n->applied, applied);
                assert_true(rc.snapshots >= 1 && rc.snapshots <= 2);
                assert_true(rc.records < 2 + 2 * 25 + 25);
                assert_true(n->since_snap < 25);
        }
        assert_check_ok(s);
        assert_settles(s, 1000 * MS);
        assert_check_ok(s);
        h = bl_sim_history(s);
        for (size_t i = 0; i < h->n; i++) {
                assert_int_equal(h->ops[i].outcome, BL_OUT_OK);
                acked[h->ops[i].key]++;
        }
        for (uint64_t key = 0; key < 6; key++) {
                int sh = bl_shard_of(key, 3);
                uint64_t v = 0;

                if (acked[key] > 0)
                        assert_int_equal(bl_kv_get(bl_sim_kv(s, sh, sh), key, &v), 0);
                assert_int_equal(v, acked[key]);
                total += v;
        }
        assert_int_equal(total, bl_sim_completed(s));
        bl_sim_destroy(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_opts_invalid),
            cmocka_unit_test(test_create_oom),
            cmocka_unit_test(test_placement),
            cmocka_unit_test(test_tie_break_and_step),
            cmocka_unit_test(test_partition_and_crash),
            cmocka_unit_test(test_link_faults),
            cmocka_unit_test(test_none_clients_linearizable),
            cmocka_unit_test(test_none_determinism),
            cmocka_unit_test(test_none_dedup_incr),
            cmocka_unit_test(test_none_crash_mechanics),
            cmocka_unit_test(test_detects_lost_writes),
            cmocka_unit_test(test_settle_reports_liveness),
            cmocka_unit_test(test_detects_two_leaders),
            cmocka_unit_test(test_detects_divergence),
            cmocka_unit_test(test_detects_stale_reads),
            cmocka_unit_test(test_invariant_hook),
            cmocka_unit_test(test_schedule_desc),
            cmocka_unit_test(test_none_many_schedules),
            cmocka_unit_test(test_none_disk_schedules),
            cmocka_unit_test(test_none_crash_on_slow_disk),
            cmocka_unit_test(test_none_snapshot_recovery),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
