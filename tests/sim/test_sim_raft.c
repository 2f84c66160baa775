/* Simulation tests of the Raft kernel: random fault schedules, safety invariants, liveness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/rng.h"
#include "config/config.h"
#include "kernels/raft/internal.h"
#include "kernels/raft/log.h"
#include "kernels/raft/raft.h"
#include "sim/sim.h"

#include "sim/sim_fixture.h"

/*
 * The simulator checks election safety (BL_EV_LEADER), state machine safety
 * (replica digests) and linearizability of the client history. The
 * invariant hook below adds white-box checks over every instance, after
 * every event:
 *
 *   Committed entries never change: the first time any replica holds entry
 *   i at or below its commit index, (term, payload) is recorded for the
 *   shard; every replica that later commits i must hold the same.
 *
 *   Leader Completeness (Section 5.4): a leader of term T holds every entry
 *   committed by a replica whose term is <= T (such an entry was committed
 *   in a term <= T). Checked at that replica's commit index; Log Matching
 *   extends it to the prefix.
 *
 *   ReadIndex rounds (issue 8): a leader counts, for each follower, only
 *   acknowledgements of rounds this leadership started (acked_seq <=
 *   read_round): an answer to a request of an earlier term (a previous
 *   incarnation's heartbeat delivered after a crash) must not confirm any.
 *
 *   Log Matching (Figure 3): if two logs hold an entry with the same index
 *   and term, they hold the same entries up to it. Pairwise, over the
 *   uncommitted tails on every event and over whole logs every 64th event
 *   (BL_SIM_RAFT_FULL=1: every event).
 */

struct committed {
        uint64_t *term; /* 0 = not recorded */
        uint64_t *hash;
        size_t cap;
};

struct raft_inv {
        const struct bl_sim *last;
        uint64_t last_events;
        int shards, nodes;
        uint64_t calls;
        uint64_t every;
        struct committed *c;  /* per shard */
        uint64_t *verified;   /* per (shard, node): highest index checked against c */
        uint64_t full_checks; /* whole-log matching scans done */
};

static uint64_t entry_hash(const struct bl_raft_entry *e)
{
        uint64_t h = 1469598103934665603ull ^ e->type;

        for (uint32_t i = 0; i < e->len; i++)
                h = (h ^ e->buf[i]) * 1099511628211ull;
        return h ^ e->len;
}

static void inv_reset(struct raft_inv *v, int shards, int nodes)
{
        for (int sh = 0; sh < v->shards; sh++) {
                free(v->c[sh].term);
                free(v->c[sh].hash);
        }
        free(v->c);
        free(v->verified);
        v->shards = shards;
        v->nodes = nodes;
        v->c = calloc((size_t)shards, sizeof(*v->c));
        v->verified = calloc((size_t)shards * (size_t)nodes, sizeof(*v->verified));
        v->calls = 0;
}

static void inv_free(struct raft_inv *v)
{
        inv_reset(v, 0, 0);
        free(v->c);
        free(v->verified);
}

/* Record or compare committed entry i of a shard. */
static int check_committed(struct committed *c, uint64_t i, const struct bl_raft_entry *e,
                           struct bl_errbuf *eb, int shard, int node)
{
        uint64_t h = entry_hash(e);

        if (i >= c->cap) {
                size_t cap = c->cap ? c->cap : 256;

                while (cap <= i)
                        cap *= 2;
                c->term = realloc(c->term, cap * sizeof(uint64_t));
                c->hash = realloc(c->hash, cap * sizeof(uint64_t));
                assert_non_null(c->term);
                assert_non_null(c->hash);
                memset(c->term + c->cap, 0, (cap - c->cap) * sizeof(uint64_t));
                c->cap = cap;
        }
        if (c->term[i] == 0) {
                c->term[i] = e->term;
                c->hash[i] = h;
                return 0;
        }
        if (c->term[i] != e->term || c->hash[i] != h)
                return bl_errf(eb, BL_ECHECK,
                               "committed entry changed: shard %d index %llu: node %d holds "
                               "term %llu, committed with term %llu",
                               shard, (unsigned long long)i, node, (unsigned long long)e->term,
                               (unsigned long long)c->term[i]);
        return 0;
}

static int entries_equal(const struct bl_raft_entry *a, const struct bl_raft_entry *b)
{
        return a->term == b->term && a->type == b->type && a->len == b->len &&
               (a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

/* Log Matching between two logs, over indexes above `from`. */
static int check_matching(const struct bl_raft *a, const struct bl_raft *b, uint64_t from,
                          struct bl_errbuf *eb, int shard, int na, int nb)
{
        uint64_t hi = bl_raft_log_last_index(&a->log), lo;
        int matched = 0;

        if (bl_raft_log_last_index(&b->log) < hi)
                hi = bl_raft_log_last_index(&b->log);
        lo = (a->log.offset > b->log.offset ? a->log.offset : b->log.offset) + 1;
        if (lo <= from)
                lo = from + 1;
        for (uint64_t i = hi; i >= lo && i > 0; i--) {
                const struct bl_raft_entry *ea = bl_raft_log_get(&a->log, i);
                const struct bl_raft_entry *eb_ = bl_raft_log_get(&b->log, i);

                if (!matched && ea->term == eb_->term)
                        matched = 1;
                if (matched && !entries_equal(ea, eb_))
                        return bl_errf(eb, BL_ECHECK,
                                       "log matching: shard %d: nodes %d and %d agree on a later "
                                       "entry but differ at index %llu (terms %llu, %llu)",
                                       shard, na, nb, (unsigned long long)i,
                                       (unsigned long long)ea->term, (unsigned long long)eb_->term);
        }
        return 0;
}

static int raft_invariant(void *arg, struct bl_sim *s, struct bl_errbuf *eb)
{
        struct raft_inv *v = arg;
        int reps = bl_sim_replicas(s);
        struct bl_raft *in[BL_RAFT_MAX_MEMBERS];
        int node[BL_RAFT_MAX_MEMBERS];
        int shards = 0, full;

        /* A new seed means a new simulator: start over. */
        while (bl_sim_node_of(s, shards, 0) >= 0)
                shards++;
        if (s != v->last || bl_sim_events(s) <= v->last_events)
                inv_reset(v, shards, reps);
        v->last = s;
        v->last_events = bl_sim_events(s);
        v->calls++;
        for (int sh = 0; sh < shards; sh++) {
                for (int m = 0; m < reps; m++) {
                        node[m] = bl_sim_node_of(s, sh, m);
                        in[m] = bl_sim_instance(s, node[m], sh);
                }
                for (int m = 0; m < reps; m++) {
                        struct bl_raft *r = in[m];
                        uint64_t *ver = &v->verified[sh * reps + m];

                        if (r == NULL) /* crashed: the instance is gone */
                                continue;
                        /* Committed entries never change. */
                        if (*ver < r->log.offset)
                                *ver = r->log.offset;
                        for (uint64_t i = *ver + 1; i <= r->commit; i++) {
                                const struct bl_raft_entry *e = bl_raft_log_get(&r->log, i);

                                if (e == NULL)
                                        return bl_errf(eb, BL_ECHECK,
                                                       "node %d: committed index %llu not in "
                                                       "its log",
                                                       node[m], (unsigned long long)i);
                                if (check_committed(&v->c[sh], i, e, eb, sh, node[m]) != 0)
                                        return BL_ECHECK;
                        }
                        if (r->commit > *ver)
                                *ver = r->commit;
                        if (r->applied > r->commit)
                                return bl_errf(eb, BL_ECHECK, "node %d: applied %llu > commit",
                                               node[m], (unsigned long long)r->applied);
                        for (int p = 0; r->role == BL_RAFT_LEADER && p < reps; p++)
                                if (p != m && r->peers[p].acked_seq > r->read_round)
                                        return bl_errf(
                                            eb, BL_ECHECK,
                                            "read index: shard %d: leader %d (term %llu) holds "
                                            "an acknowledgement of round %llu from node %d but "
                                            "started only %llu rounds",
                                            sh, node[m], (unsigned long long)r->term,
                                            (unsigned long long)r->peers[p].acked_seq, node[p],
                                            (unsigned long long)r->read_round);
                }
                /* Leader Completeness. */
                for (int l = 0; l < reps; l++) {
                        struct bl_raft *L = in[l];

                        if (L == NULL || L->role != BL_RAFT_LEADER)
                                continue;
                        for (int m = 0; m < reps; m++) {
                                struct bl_raft *N = in[m];
                                uint64_t c = N != NULL ? N->commit : 0;

                                if (m == l || N == NULL || N->term > L->term || c == 0)
                                        continue;
                                if (bl_raft_log_last_index(&L->log) < c)
                                        return bl_errf(
                                            eb, BL_ECHECK,
                                            "leader completeness: shard %d: leader "
                                            "%d (term %llu) ends at %llu, node %d "
                                            "committed %llu",
                                            sh, node[l], (unsigned long long)L->term,
                                            (unsigned long long)bl_raft_log_last_index(&L->log),
                                            node[m], (unsigned long long)c);
                                if (c > L->log.offset && c > N->log.offset &&
                                    bl_raft_log_term_of(&L->log, c) !=
                                        bl_raft_log_term_of(&N->log, c))
                                        return bl_errf(eb, BL_ECHECK,
                                                       "leader completeness: shard %d: leader "
                                                       "%d and node %d differ at committed "
                                                       "index %llu",
                                                       sh, node[l], node[m], (unsigned long long)c);
                        }
                }
                /* Log Matching. Entries both replicas verified against the
                 * committed record are equal already, so the scan covers the
                 * tails above them; every `every` events it covers whole
                 * logs, to catch a committed entry changed afterwards. */
                full = v->calls % v->every == 0;
                v->full_checks += full;
                for (int a = 0; a < reps; a++) {
                        for (int b = a + 1; b < reps; b++) {
                                uint64_t va = v->verified[sh * reps + a];
                                uint64_t vb = v->verified[sh * reps + b];
                                uint64_t from = full ? 0 : va < vb ? va : vb;

                                if (in[a] == NULL || in[b] == NULL)
                                        continue;
                                if (check_matching(in[a], in[b], from, eb, sh, node[a], node[b]) !=
                                    0)
                                        return BL_ECHECK;
                        }
                }
        }
        return 0;
}

/* ------------------------------------------------------------------------ */

/* Option sets, each with a disk: sync latencies in us (0: memory mode). A
 * disk slower than the network (50-500 us) leaves records unsynced at most
 * crashes. */
struct variant {
        const char *name;
        int prevote;
        int pipeline;
        int max_batch;
        int batch_delay_us;
        enum bl_read_mode read_mode;
        int snapshot_entries;
        uint64_t sync_min_us, sync_max_us;
};

static const struct variant V_DEFAULT = {"default", 1, 4, 64, 0, BL_READ_LOG, 40, 100, 2000};
static const struct variant V_PLAIN = {"plain", 0, 1, 1, 0, BL_READ_LOG, 1000000, 0, 0};
static const struct variant V_INDEX = {"read-index", 1, 8, 16, 500, BL_READ_INDEX, 25, 20, 500};
static const struct variant V_INDEX_PLAIN = {"read-index-plain", 0,       1,    1,   0,
                                             BL_READ_INDEX,      1000000, 1000, 5000};

static void set_disk(struct bl_sim_opts *o, const struct variant *va)
{
        o->disk_sync_min_ns = va->sync_min_us * 1000;
        o->disk_sync_max_ns = va->sync_max_us * 1000;
        o->disk_append_min_ns = va->sync_max_us > 0 ? 2000 : 0;
        o->disk_append_max_ns = va->sync_max_us > 0 ? 20000 : 0;
}

static struct bl_config sim_cfg(const struct variant *va)
{
        struct bl_config cfg;

        bl_config_defaults(&cfg);
        snprintf(cfg.experiment.kernel, sizeof(cfg.experiment.kernel), "raft");
        cfg.cluster.tick_us = 1000;
        cfg.raft.election_timeout_ms = 50;
        cfg.raft.heartbeat_ms = 10;
        cfg.raft.prevote = va->prevote;
        cfg.raft.pipeline = va->pipeline;
        cfg.raft.max_batch = va->max_batch;
        cfg.raft.batch_delay_us = va->batch_delay_us;
        cfg.raft.read_mode = va->read_mode;
        cfg.raft.snapshot_entries = va->snapshot_entries;
        return cfg;
}

static void sim_opts(struct bl_sim_opts *o, const struct bl_config *cfg, int nodes,
                     struct raft_inv *inv)
{
        bl_sim_opts_default(o);
        o->kernel = &bl_kernel_raft;
        o->cfg = cfg;
        o->nodes = nodes;
        o->clients = 4;
        o->keys = 4;
        o->client_timeout_ns = 100000000ull; /* 2 election timeouts */
        o->invariant = raft_invariant;
        o->invariant_arg = inv;
        memset(inv, 0, sizeof(*inv));
        inv->every = getenv("BL_SIM_RAFT_FULL") ? 1 : 64;
}

#define FAULT_NS  1000000000ull  /* 1 s of faults per seed */
#define SETTLE_NS 10000000000ull /* up to 10 s to finish every client op */

static void many(int nodes, const struct variant *va, int nseeds)
{
        struct bl_config cfg = sim_cfg(va);
        struct bl_sim_opts o;
        struct raft_inv inv;
        struct bl_simtest_summary sum;

        sim_opts(&o, &cfg, nodes, &inv);
        set_disk(&o, va);
        printf("# raft variant %s\n", va->name);
        bl_simtest_many(&o, nseeds, FAULT_NS, SETTLE_NS, &sum);
        assert_true(sum.completed > 0);
        /* With a disk slower than memory, crashes destroy unsynced records. */
        if (va->sync_max_us > 0 && sum.seeds >= 20)
                assert_true(sum.records_lost > 0);
        assert_true(inv.calls > 0);
        inv_free(&inv);
}

static void test_raft3_default(void **state)
{
        (void)state;
        many(3, &V_DEFAULT, 500);
}

static void test_raft5_default(void **state)
{
        (void)state;
        many(5, &V_DEFAULT, 350);
}

static void test_raft3_plain(void **state)
{
        (void)state;
        many(3, &V_PLAIN, 400);
}

static void test_raft5_plain(void **state)
{
        (void)state;
        many(5, &V_PLAIN, 250);
}

static void test_raft3_read_index(void **state)
{
        (void)state;
        many(3, &V_INDEX, 400);
}

static void test_raft5_read_index(void **state)
{
        (void)state;
        many(5, &V_INDEX, 250);
}

static void test_raft5_read_index_plain(void **state)
{
        (void)state;
        many(5, &V_INDEX_PLAIN, 180);
}

/*
 * A nemesis aimed at the leader. The simulator's random schedules pick
 * nodes blindly and change something every 50-250 ms; the bugs that matter
 * for Raft (Figure 8, stale reads from a deposed leader, a vote forgotten in
 * a crash) need the leader itself to crash, or to lose its majority while
 * clients still reach it, again and again. Every 5-100 ms this one does one
 * of: crash the leader, isolate it with a minority, crash or recover a
 * random node, split at random, heal, change link faults, transfer
 * leadership. Crashes stop at a minority of nodes down, so progress stays
 * possible. Like the simulator's schedules it is replayed by its seed.
 */
struct nemesis_desc {
        char *p;
        size_t cap, len;
};

static void nd_add(struct nemesis_desc *d, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (d->p == NULL || d->len + 1 >= d->cap)
                return;
        va_start(ap, fmt);
        n = vsnprintf(d->p + d->len, d->cap - d->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                d->len = d->len + (size_t)n < d->cap ? d->len + (size_t)n : d->cap - 1;
}

static int n_crashed(const struct bl_sim *s, int nodes)
{
        int c = 0;

        for (int i = 0; i < nodes; i++)
                c += bl_sim_crashed(s, i);
        return c;
}

static void nemesis(struct bl_sim *s, int nodes, uint64_t seed, uint64_t fault_ns, int fast,
                    struct nemesis_desc *d)
{
        struct bl_rng r;
        uint64_t end = bl_sim_now(s) + fault_ns;
        int side[16];

        bl_rng_seed(&r, seed, 0x4e454dULL);
        while (bl_sim_violation(s, NULL) == 0 && bl_sim_now(s) < end) {
                int l = bl_sim_leader(s, 0);
                int act = (int)bl_rng_below(&r, 12);
                int victim = (int)bl_rng_below(&r, (uint64_t)nodes);

                nd_add(d, "t=%.1fms ", (double)bl_sim_now(s) / 1e6);
                if ((act <= 1 || act == 3) && l >= 0 && n_crashed(s, nodes) < (nodes - 1) / 2) {
                        bl_sim_crash(s, act == 3 ? victim : l);
                        nd_add(d, "crash %d; ", act == 3 ? victim : l);
                } else if (act == 2 || act == 3) {
                        for (int i = 0; i < nodes; i++) {
                                if (bl_sim_crashed(s, (victim + i) % nodes)) {
                                        bl_sim_recover(s, (victim + i) % nodes);
                                        nd_add(d, "recover %d; ", (victim + i) % nodes);
                                        break;
                                }
                        }
                } else if ((act == 4 || act == 5) && l >= 0 && nodes > 1) {
                        /* The leader and fewer than half of the others. */
                        int k = (int)bl_rng_below(&r, (uint64_t)(nodes - 1) / 2 + 1);

                        for (int i = 0; i < nodes; i++)
                                side[i] = 0;
                        side[l] = 1;
                        for (int i = 0; i < k; i++)
                                side[bl_rng_below(&r, (uint64_t)nodes)] = 1;
                        bl_sim_partition(s, side);
                        nd_add(d, "isolate leader %d (+%d); ", l, k);
                } else if (act == 6 && nodes > 1) {
                        for (int i = 0; i < nodes; i++)
                                side[i] = (int)bl_rng_below(&r, 2);
                        bl_sim_partition(s, side);
                        nd_add(d, "split; ");
                } else if (act == 7) {
                        bl_sim_heal(s);
                        nd_add(d, "heal; ");
                } else if (act == 8) {
                        double drop = (double)bl_rng_below(&r, 30) / 100;
                        double dup = (double)bl_rng_below(&r, 20) / 100;

                        bl_sim_set_link_faults(s, drop, dup);
                        nd_add(d, "links %.2f/%.2f; ", drop, dup);
                } else if (act == 10 && l >= 0 && nodes > 1) {
                        /* Hold the leader's messages to one follower: they
                         * arrive after whatever the next faults do (a crash
                         * of the leader, a new election). */
                        int f = (l + 1 + (int)bl_rng_below(&r, (uint64_t)nodes - 1)) % nodes;
                        uint64_t hold = 20000000ull + bl_rng_below(&r, 150000000ull);

                        bl_sim_set_delay(s, l, f, hold, hold / 4);
                        nd_add(d, "hold %d->%d %.0fms; ", l, f, (double)hold / 1e6);
                } else if (act == 11) {
                        bl_sim_clear_delays(s);
                        nd_add(d, "delays off; ");
                } else if (act == 9 && l >= 0 && nodes > 1) {
                        int rc = bl_raft_transfer(bl_sim_instance(s, l, 0), -1);

                        nd_add(d, "transfer from %d (%d); ", l, rc);
                }
                if (fast)
                        bl_sim_run_for(s, 1000000ull + bl_rng_below(&r, 14000000ull));
                else
                        bl_sim_run_for(s, 5000000ull + bl_rng_below(&r, 95000000ull));
        }
        bl_sim_heal(s);
        for (int i = 0; i < nodes; i++)
                bl_sim_recover(s, i);
        bl_sim_set_link_faults(s, 0, 0);
        bl_sim_clear_delays(s);
        nd_add(d, "heal, recover all");
}

/* One seed: faults, safety check, settle (liveness), safety check. */
static int nemesis_seed(const struct bl_sim_opts *base, uint64_t seed, int fast, char *desc,
                        size_t cap, struct bl_sim_stats *st, struct bl_errbuf *eb)
{
        struct bl_sim_opts o = *base;
        struct nemesis_desc d = {desc, cap, 0};
        struct bl_sim *s;
        int rc;

        desc[0] = '\0';
        o.seed = seed;
        s = bl_sim_create(&o, eb);
        if (s == NULL)
                return BL_EINVAL;
        bl_sim_clients(s, 1);
        nemesis(s, o.nodes, seed, FAULT_NS, fast, &d);
        rc = bl_sim_check(s, eb);
        if (rc != 0) {
                bl_errwrap(eb, rc, "faults (t=%llu ns)", (unsigned long long)bl_sim_now(s));
                goto out;
        }
        rc = bl_sim_settle(s, SETTLE_NS, eb);
        if (rc == 0)
                rc = bl_sim_check(s, eb);
        if (rc != 0)
                bl_errwrap(eb, rc, "settle (t=%llu ns)", (unsigned long long)bl_sim_now(s));
out:
        bl_sim_get_stats(s, st);
        bl_sim_destroy(s);
        return rc;
}

static void many_nemesis(int nodes, const struct variant *va, int fast, int nseeds)
{
        struct bl_config cfg = sim_cfg(va);
        struct bl_sim_opts o;
        struct raft_inv inv;
        static char desc[16384];
        const char *one = getenv("BL_SIM_SEED");
        uint64_t first = 1, last = (uint64_t)bl_simtest_nseeds(nseeds);
        uint64_t events = 0, completed = 0, lost = 0;
        double t0 = bl_simtest_wall(), wall;

        sim_opts(&o, &cfg, nodes, &inv);
        set_disk(&o, va);
        if (one != NULL && strtoull(one, NULL, 10) > 0)
                first = last = strtoull(one, NULL, 10);
        for (uint64_t seed = first; seed <= last; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st = {0};
                int rc = nemesis_seed(&o, seed, fast, desc, sizeof(desc), &st, &eb);

                events += st.events;
                completed += st.completed;
                lost += st.records_lost;
                if (rc != 0 || first == last) {
                        printf("replay: nemesis seed=%llu nodes=%d variant=%s\n  schedule: %s\n",
                               (unsigned long long)seed, nodes, va->name, desc);
                        printf("  events %llu, completed %llu, crashes %llu\n",
                               (unsigned long long)st.events, (unsigned long long)st.completed,
                               (unsigned long long)st.crashes);
                }
                if (rc != 0) {
                        printf("  error: %s\n  rerun: BL_SIM_SEED=%llu <this test>\n", eb.msg,
                               (unsigned long long)seed);
                        fflush(stdout);
                        fail_msg("nemesis seed %llu: %s", (unsigned long long)seed, eb.msg);
                }
        }
        wall = bl_simtest_wall() - t0;
        printf("# nemesis raft nodes=%d variant=%s: %llu seeds in %.2f s (%.0f seeds/s), %llu "
               "events, %llu ops completed, %llu unsynced records lost in crashes\n",
               nodes, va->name, (unsigned long long)(last - first + 1), wall,
               wall > 0 ? (double)(last - first + 1) / wall : 0.0, (unsigned long long)events,
               (unsigned long long)completed, (unsigned long long)lost);
        assert_true(completed > 0);
        if (va->sync_max_us > 0 && last - first >= 20)
                assert_true(lost > 0);
        inv_free(&inv);
}

/*
 * A copy of the kernel that grants votes without persisting them (raft.h,
 * vote_unpersisted): a voter that crashes forgets its vote and may vote again
 * in the same term. The simulator must catch it: random schedules (the
 * leader nemesis) find two leaders in one term, or a committed entry lost,
 * within a bounded number of seeds, while the kernel passes the same seeds.
 */
static void test_unpersisted_vote_caught(void **state)
{
        struct bl_config cfg = sim_cfg(&V_PLAIN);
        struct bl_sim_opts o;
        struct raft_inv inv;
        static char desc[16384];
        uint64_t seed;
        int found = 0;

        (void)state;
        sim_opts(&o, &cfg, 3, &inv);
        set_disk(&o, &V_PLAIN);
        o.kernel = &bl_kernel_raft_mutant_vote_unpersisted;
        for (seed = 1; seed <= 2000 && !found; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st = {0};

                if (nemesis_seed(&o, seed, 1, desc, sizeof(desc), &st, &eb) != 0) {
                        printf("# mutant vote_unpersisted caught at seed %llu: %s\n",
                               (unsigned long long)seed, eb.msg);
                        found = 1;
                }
        }
        assert_true(found);
        o.kernel = &bl_kernel_raft;
        for (uint64_t k = 1; k < seed; k++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st = {0};

                if (nemesis_seed(&o, k, 1, desc, sizeof(desc), &st, &eb) != 0)
                        fail_msg("kernel fails nemesis seed %llu: %s", (unsigned long long)k,
                                 eb.msg);
        }
        inv_free(&inv);
}

/* Faults every 1-15 ms while entries travel one by one: many short terms,
 * leaders crashing with entries on a minority, logs repaired by later
 * leaders. */
static void test_nemesis5_fast(void **state)
{
        (void)state;
        many_nemesis(5, &V_PLAIN, 1, 500);
}

static void test_nemesis3_default(void **state)
{
        (void)state;
        many_nemesis(3, &V_DEFAULT, 0, 500);
}

static void test_nemesis5_default(void **state)
{
        (void)state;
        many_nemesis(5, &V_DEFAULT, 0, 350);
}

static void test_nemesis3_plain(void **state)
{
        (void)state;
        many_nemesis(3, &V_PLAIN, 0, 400);
}

static void test_nemesis5_plain(void **state)
{
        (void)state;
        many_nemesis(5, &V_PLAIN, 0, 250);
}

static void test_nemesis3_read_index(void **state)
{
        (void)state;
        many_nemesis(3, &V_INDEX, 0, 400);
}

static void test_nemesis5_read_index_plain(void **state)
{
        (void)state;
        many_nemesis(5, &V_INDEX_PLAIN, 0, 250);
}

/* Sizes 1 and 9, and several groups per node (multi-raft): smoke runs. */
static void test_raft1_smoke(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct raft_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 1, &inv);
        set_disk(&o, &V_DEFAULT);
        o.fault_mask = BL_SIM_F_CRASH | BL_SIM_F_LINK;
        bl_simtest_many(&o, 100, FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

static void test_raft9_smoke(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct raft_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 9, &inv);
        bl_simtest_many(&o, 30, FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

static void test_multi_group(void **state)
{
        struct bl_config cfg = sim_cfg(&V_INDEX);
        struct bl_sim_opts o;
        struct raft_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 5, &inv);
        set_disk(&o, &V_INDEX); /* one disk per node, shared by its groups */
        o.shards = 4;
        o.replicas = 3;
        o.clients = 6;
        o.keys = 8;
        bl_simtest_many(&o, 60, FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

/* The schedules exercise what they should: elections after faults,
 * step-downs, snapshots sent and installed. */
static void test_coverage(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct raft_inv inv;
        uint64_t ev[BL_EV__COUNT] = {0};

        (void)state;
        sim_opts(&o, &cfg, 5, &inv);
        for (uint64_t seed = 1; seed <= 10; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim *s;

                o.seed = seed;
                s = bl_sim_create(&o, &eb);
                assert_non_null(s);
                bl_sim_clients(s, 1);
                assert_int_equal(bl_sim_random_schedule(s, seed, FAULT_NS, NULL, 0), 0);
                assert_int_equal(bl_sim_settle(s, SETTLE_NS, &eb), 0);
                assert_int_equal(bl_sim_check(s, &eb), 0);
                for (int t = 0; t < BL_EV__COUNT; t++)
                        ev[t] += bl_sim_event_count(s, t);
                bl_sim_destroy(s);
        }
        printf("# coverage: %llu elections, %llu leaders, %llu step-downs, %llu snapshots sent, "
               "%llu installed, log matching scans %llu\n",
               (unsigned long long)ev[BL_EV_ELECTION], (unsigned long long)ev[BL_EV_LEADER],
               (unsigned long long)ev[BL_EV_STEP_DOWN], (unsigned long long)ev[BL_EV_SNAPSHOT_SEND],
               (unsigned long long)ev[BL_EV_SNAPSHOT_INSTALL], (unsigned long long)inv.full_checks);
        assert_true(ev[BL_EV_LEADER] > 10);
        assert_true(ev[BL_EV_STEP_DOWN] > 0);
        assert_true(ev[BL_EV_SNAPSHOT_SEND] > 0);
        assert_true(ev[BL_EV_SNAPSHOT_INSTALL] > 0);
        assert_true(inv.full_checks > 0);
        inv_free(&inv);
}

/* Leadership transfer inside a running cluster with clients. */
static void test_transfer_under_load(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct raft_inv inv;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;

        (void)state;
        sim_opts(&o, &cfg, 5, &inv);
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        for (int round = 0; round < 5; round++) {
                int l, target;
                uint64_t before = bl_sim_completed(s);

                bl_sim_run_for(s, 300000000ull);
                l = bl_sim_leader(s, 0);
                assert_true(l >= 0);
                assert_true(bl_sim_completed(s) > before);
                target = (l + 1 + round % 4) % 5;
                assert_int_equal(
                    bl_raft_transfer(bl_sim_instance(s, l, 0), bl_sim_member_of(s, target, 0)), 0);
                bl_sim_run_for(s, 100000000ull);
                assert_int_equal(bl_sim_leader(s, 0), target);
        }
        assert_int_equal(bl_sim_event_count(s, BL_EV_TRANSFER), 5);
        assert_int_equal(bl_sim_settle(s, SETTLE_NS, &eb), 0);
        assert_int_equal(bl_sim_check(s, &eb), 0);
        bl_sim_destroy(s);
        inv_free(&inv);
}

/*
 * A schedule aimed at issue 8's ReadIndex bug: the leader's messages to one
 * follower are held by a delay, the leader crashes and recovers at once, and
 * the held heartbeats (with the old incarnation's read rounds) reach the
 * follower after a new election. When the recovered node wins that election,
 * the follower rejects them with the new term. Repeated every 300 ms with
 * random delays and targets. Returns 0 or the first violation.
 */
static int stale_ack_seed(const struct bl_kernel *k, uint64_t seed, char *desc, size_t cap,
                          struct bl_errbuf *eb)
{
        struct bl_config cfg = sim_cfg(&V_INDEX_PLAIN);
        struct bl_sim_opts o;
        struct raft_inv inv;
        struct nemesis_desc d = {desc, cap, 0};
        struct bl_rng r;
        struct bl_sim *s;
        int rc;

        desc[0] = '\0';
        sim_opts(&o, &cfg, 3, &inv);
        o.kernel = k;
        o.seed = seed;
        o.links = BL_SIM_LINKS_REORDER;
        bl_rng_seed(&r, seed, 0x57a1eULL);
        s = bl_sim_create(&o, eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 200000000ull);
        for (int round = 0; round < 4 && bl_sim_violation(s, NULL) == 0; round++) {
                int l = bl_sim_leader(s, 0), f;
                uint64_t hold = 60000000ull + bl_rng_below(&r, 120000000ull);

                if (l < 0) {
                        bl_sim_run_for(s, 50000000ull);
                        continue;
                }
                f = (l + 1 + (int)bl_rng_below(&r, 2)) % 3;
                nd_add(&d, "t=%.1fms hold %d->%d %.0fms, crash+recover %d; ",
                       (double)bl_sim_now(s) / 1e6, l, f, (double)hold / 1e6, l);
                bl_sim_set_delay(s, l, f, hold, 0);
                bl_sim_run_for(s, 1000000ull + bl_rng_below(&r, 20000000ull));
                bl_sim_crash(s, l);
                bl_sim_recover(s, l);
                bl_sim_clear_delays(s);
                bl_sim_run_for(s, 300000000ull);
        }
        rc = bl_sim_violation(s, eb);
        if (rc == 0)
                rc = bl_sim_check(s, eb);
        if (rc == 0) {
                rc = bl_sim_settle(s, SETTLE_NS, eb);
                if (rc == 0)
                        rc = bl_sim_check(s, eb);
        }
        bl_sim_destroy(s);
        inv_free(&inv);
        return rc;
}

/* The simulator produces issue 8's scenario: against the code before the
 * fix (the stale_acks mutant) the targeted schedule finds a violation within
 * a few seeds; the kernel passes the same seeds. */
static void test_stale_ack_schedule(void **state)
{
        char desc[4096];
        int found = 0;
        uint64_t seed;

        (void)state;
        for (seed = 1; seed <= 100 && !found; seed++) {
                struct bl_errbuf eb = {{0}};

                if (stale_ack_seed(&bl_kernel_raft_mutant_stale_acks, seed, desc, sizeof(desc),
                                   &eb) != 0) {
                        printf("# mutant stale_acks caught at seed %llu: %s\n#   schedule: %s\n",
                               (unsigned long long)seed, eb.msg, desc);
                        found = 1;
                }
        }
        assert_true(found);
        for (uint64_t k = 1; k < seed + 20; k++) {
                struct bl_errbuf eb = {{0}};

                if (stale_ack_seed(&bl_kernel_raft, k, desc, sizeof(desc), &eb) != 0)
                        fail_msg("stale-ack schedule seed %llu: %s\n  schedule: %s",
                                 (unsigned long long)k, eb.msg, desc);
        }
}

/* The invariant hook can fail: corrupt a committed entry on one replica. */
static void test_invariant_catches_corruption(void **state)
{
        struct bl_config cfg = sim_cfg(&V_PLAIN);
        struct bl_sim_opts o;
        struct raft_inv inv;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;
        struct bl_raft *r;
        struct bl_raft_entry *e = NULL;

        (void)state;
        sim_opts(&o, &cfg, 3, &inv);
        inv.every = 1;
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 500000000ull);
        assert_int_equal(bl_sim_violation(s, &eb), 0);
        r = bl_sim_instance(s, (bl_sim_leader(s, 0) + 1) % 3, 0);
        for (uint64_t i = r->commit; i > r->log.offset && e == NULL; i--) {
                e = bl_raft_log_get(&r->log, i);
                if (e->len == 0)
                        e = NULL;
        }
        assert_non_null(e);
        e->buf[e->len - 1] ^= 0x5a;
        bl_sim_run_for(s, 100000000ull);
        assert_int_equal(bl_sim_violation(s, &eb), BL_ECHECK);
        printf("# expected violation: %s\n", eb.msg);
        bl_sim_destroy(s);
        inv_free(&inv);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_invariant_catches_corruption),
            cmocka_unit_test(test_stale_ack_schedule),
            cmocka_unit_test(test_unpersisted_vote_caught),
            cmocka_unit_test(test_coverage),
            cmocka_unit_test(test_transfer_under_load),
            cmocka_unit_test(test_raft1_smoke),
            cmocka_unit_test(test_raft9_smoke),
            cmocka_unit_test(test_multi_group),
            cmocka_unit_test(test_raft3_default),
            cmocka_unit_test(test_raft5_default),
            cmocka_unit_test(test_raft3_plain),
            cmocka_unit_test(test_raft5_plain),
            cmocka_unit_test(test_raft3_read_index),
            cmocka_unit_test(test_raft5_read_index),
            cmocka_unit_test(test_raft5_read_index_plain),
            cmocka_unit_test(test_nemesis5_fast),
            cmocka_unit_test(test_nemesis3_default),
            cmocka_unit_test(test_nemesis5_default),
            cmocka_unit_test(test_nemesis3_plain),
            cmocka_unit_test(test_nemesis5_plain),
            cmocka_unit_test(test_nemesis3_read_index),
            cmocka_unit_test(test_nemesis5_read_index_plain),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
