/* Simulation tests of the Multi-Paxos kernel: random fault schedules, safety invariants, liveness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/rng.h"
#include "config/config.h"
#include "kernels/paxos/internal.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/paxos.h"
#include "kernels/paxos/transfer.h"
#include "sim/sim.h"

#include "sim/sim_fixture.h"

/*
 * The simulator checks replica digests (learners that applied the same
 * number of commands hold the same state) and linearizability of the client
 * history, whose increments make the counter exact. The invariant hook adds
 * white-box checks over every live instance after every event:
 *
 *   At most one value is chosen per slot, and learners agree on every
 *   prefix: the first time any replica holds slot s at or below its commit
 *   point, the value is recorded for the shard; every replica that later
 *   commits s must hold the same.
 *
 *   One value per ballot and slot: two acceptors holding a value accepted
 *   in the same ballot for the same slot hold the same value (a proposer
 *   proposes one value per slot in its ballot, and never reuses a ballot
 *   after a crash).
 *
 *   Once chosen, always proposed ("Paxos Made Simple", P2): a value chosen
 *   in ballot bc (a learner committed the slot holding it from the leader
 *   of bc) is the only value any acceptor holds for that slot in a ballot
 *   above bc. A phase 1 that missed an accepted value, or a leader that
 *   reused a ballot after a crash, breaks it.
 *
 * Acceptor agreement is scanned above the group's highest commit point
 * after every event, and from FULL_WINDOW slots below it every 64th event
 * (BL_SIM_PAXOS_FULL=1: every event).
 */

#define FULL_WINDOW 256 /* slots below the commit point a full scan covers */

struct chosen {
        uint64_t *hash;   /* 0 = not recorded */
        uint64_t *ballot; /* lowest ballot a learner saw it chosen in; 0 = unknown */
        size_t cap;
};

struct paxos_inv {
        const struct bl_sim *last;
        uint64_t last_events;
        int shards, nodes;
        uint64_t calls;
        uint64_t every;
        struct chosen *c;     /* per shard */
        uint64_t *verified;   /* per (shard, member): highest slot checked against c */
        uint64_t full_checks; /* whole-log scans done */
};

/* FNV-style, eight bytes a step: the P2 check hashes every slot of the
 * scanned windows, and a byte-wise loop was most of this test's time. Each
 * step is a bijection of h for a given word, so values that differ in one
 * word never collide. */
static uint64_t value_hash(const struct bl_paxos_slot *s)
{
        uint64_t h = 1469598103934665603ull ^ s->type, w;
        uint32_t i = 0;

        for (; i + 8 <= s->len; i += 8) {
                memcpy(&w, s->buf + i, 8);
                h = (h ^ w) * 1099511628211ull;
        }
        for (; i < s->len; i++)
                h = (h ^ s->buf[i]) * 1099511628211ull;
        h = (h ^ s->len) * 0x9e3779b97f4a7c15ull;
        return h == 0 ? 1 : h;
}

/* The same value as value_hash would say, without hashing both: the
 * pairwise acceptor scan compares the values of whole log windows, where
 * hashing every byte twice was most of this test's time. */
static int same_value(const struct bl_paxos_slot *a, const struct bl_paxos_slot *b)
{
        return a->type == b->type && a->len == b->len &&
               (a->len == 0 || a->buf == b->buf || memcmp(a->buf, b->buf, a->len) == 0);
}

static void inv_reset(struct paxos_inv *v, int shards, int nodes)
{
        for (int sh = 0; sh < v->shards; sh++) {
                free(v->c[sh].hash);
                free(v->c[sh].ballot);
        }
        free(v->c);
        free(v->verified);
        v->shards = shards;
        v->nodes = nodes;
        v->c = calloc((size_t)shards + 1, sizeof(*v->c));
        v->verified = calloc((size_t)shards * (size_t)nodes + 1, sizeof(*v->verified));
        v->calls = 0;
}

static void inv_free(struct paxos_inv *v)
{
        inv_reset(v, 0, 0);
        free(v->c);
        free(v->verified);
        v->c = NULL;
        v->verified = NULL;
}

static uint64_t *chosen_at(struct chosen *c, uint64_t s)
{
        if (s >= c->cap) {
                size_t cap = c->cap ? c->cap : 256;

                while (cap <= s)
                        cap *= 2;
                c->hash = realloc(c->hash, cap * sizeof(uint64_t));
                c->ballot = realloc(c->ballot, cap * sizeof(uint64_t));
                assert_non_null(c->hash);
                assert_non_null(c->ballot);
                memset(c->hash + c->cap, 0, (cap - c->cap) * sizeof(uint64_t));
                memset(c->ballot + c->cap, 0, (cap - c->cap) * sizeof(uint64_t));
                c->cap = cap;
        }
        return &c->hash[s];
}

static int check_learned(struct paxos_inv *v, int sh, int m, int node, struct bl_paxos *p,
                         struct bl_errbuf *eb)
{
        uint64_t *ver = &v->verified[sh * v->nodes + m];

        if (*ver < p->log.offset)
                *ver = p->log.offset;
        if (*ver > p->commit)
                *ver = p->commit; /* a recovered learner starts over */
        for (uint64_t s = *ver + 1; s <= p->commit; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);
                uint64_t *c, h;

                if (sl == NULL || sl->ballot == 0)
                        return bl_errf(eb, BL_ECHECK, "node %d: committed slot %llu not held", node,
                                       (unsigned long long)s);
                h = value_hash(sl);
                c = chosen_at(&v->c[sh], s);
                if (*c == 0)
                        *c = h;
                else if (*c != h)
                        return bl_errf(eb, BL_ECHECK,
                                       "two values chosen: shard %d slot %llu: node %d learned a "
                                       "value that differs from one learned before",
                                       sh, (unsigned long long)s, node);
                /* A slot a learner committed in the leader's ballot was
                 * chosen in that ballot (learn.c, phase2.c). */
                if (sl->ballot != BL_PAXOS_CHOSEN &&
                    (v->c[sh].ballot[s] == 0 || sl->ballot < v->c[sh].ballot[s]))
                        v->c[sh].ballot[s] = sl->ballot;
        }
        *ver = p->commit;
        if (p->applied > p->commit)
                return bl_errf(eb, BL_ECHECK, "node %d: applied %llu > commit %llu", node,
                               (unsigned long long)p->applied, (unsigned long long)p->commit);
        return 0;
}

/* One value per (slot, ballot) across acceptors; leaders propose chosen values. */
static int check_acceptors(struct paxos_inv *v, int sh, struct bl_paxos **in, const int *node,
                           int reps, int full, struct bl_errbuf *eb)
{
        uint64_t maxc = 0;

        for (int a = 0; a < reps; a++)
                if (in[a] != NULL && in[a]->commit > maxc)
                        maxc = in[a]->commit;
        for (int a = 0; a < reps; a++) {
                struct bl_paxos *A = in[a];
                uint64_t lo, hi;

                if (A == NULL)
                        continue;
                /* Slots at or below the group's highest commit point are
                 * chosen (the learner check covers them); a full scan also
                 * reaches back a window below it. */
                lo = maxc + 1;
                if (full)
                        lo = maxc > FULL_WINDOW ? maxc - FULL_WINDOW : 1;
                if (lo <= A->log.offset)
                        lo = A->log.offset + 1;
                hi = bl_paxos_log_last(&A->log);
                for (uint64_t s = lo; s <= hi; s++) {
                        const struct bl_paxos_slot *sa = bl_paxos_log_get(&A->log, s);

                        if (sa->ballot == 0 || sa->ballot == BL_PAXOS_CHOSEN)
                                continue;
                        /* P2 of "Paxos Made Simple": once v is chosen in
                         * ballot bc, every value accepted in a higher ballot
                         * is v. */
                        if (s < v->c[sh].cap && v->c[sh].hash[s] != 0 && v->c[sh].ballot[s] != 0 &&
                            sa->ballot > v->c[sh].ballot[s] && v->c[sh].hash[s] != value_hash(sa))
                                return bl_errf(eb, BL_ECHECK,
                                               "node %d (%s, commit %llu) holds in slot %llu a "
                                               "value accepted in ballot %llu other than the one "
                                               "chosen in ballot %llu",
                                               node[a],
                                               A->role == BL_PAXOS_LEADER ? "leader" : "acceptor",
                                               (unsigned long long)A->commit, (unsigned long long)s,
                                               (unsigned long long)sa->ballot,
                                               (unsigned long long)v->c[sh].ballot[s]);
                        for (int b = a + 1; b < reps; b++) {
                                const struct bl_paxos_slot *sb;

                                if (in[b] == NULL)
                                        continue;
                                sb = bl_paxos_log_get(&in[b]->log, s);
                                if (sb != NULL && sb->ballot == sa->ballot && !same_value(sa, sb))
                                        return bl_errf(eb, BL_ECHECK,
                                                       "slot %llu: nodes %d and %d accepted "
                                                       "different values in ballot %llu",
                                                       (unsigned long long)s, node[a], node[b],
                                                       (unsigned long long)sa->ballot);
                        }
                }
        }
        return 0;
}

static int paxos_invariant(void *arg, struct bl_sim *s, struct bl_errbuf *eb)
{
        struct paxos_inv *v = arg;
        int reps = bl_sim_replicas(s);
        struct bl_paxos *in[BL_PAXOS_MAX_MEMBERS];
        int node[BL_PAXOS_MAX_MEMBERS];
        int shards = 0, full;

        while (bl_sim_node_of(s, shards, 0) >= 0)
                shards++;
        if (s != v->last || bl_sim_events(s) <= v->last_events)
                inv_reset(v, shards, reps);
        v->last = s;
        v->last_events = bl_sim_events(s);
        v->calls++;
        full = v->calls % v->every == 0;
        v->full_checks += full;
        for (int sh = 0; sh < shards; sh++) {
                for (int m = 0; m < reps; m++) {
                        node[m] = bl_sim_node_of(s, sh, m);
                        in[m] = bl_sim_crashed(s, node[m]) ? NULL : bl_sim_instance(s, node[m], sh);
                        if (in[m] != NULL && !in[m]->started)
                                in[m] = NULL;
                        if (in[m] != NULL && check_learned(v, sh, m, node[m], in[m], eb) != 0)
                                return BL_ECHECK;
                }
                if (check_acceptors(v, sh, in, node, reps, full, eb) != 0)
                        return BL_ECHECK;
        }
        return 0;
}

/* ------------------------------------------------------------------------ */

struct variant {
        const char *name;
        int pipeline;
        int max_batch;
        int batch_delay_us;
        enum bl_paxos_read_mode read_mode;
        int snapshot_entries;
        int q2;                            /* 0: majority */
        uint64_t sync_min_us, sync_max_us; /* disk sync latency; 0: durable at once */
};

static const struct variant V_DEFAULT = {"default", 4, 64, 0, BL_PAXOS_READ_LOG, 40, 0, 100, 2000};
static const struct variant V_PLAIN = {"plain", 1, 1, 0, BL_PAXOS_READ_LOG, 1000000, 0, 0, 0};
static const struct variant V_QUORUM = {
    "quorum-reads", 8, 16, 500, BL_PAXOS_READ_QUORUM, 25, 0, 20, 500};
static const struct variant V_FQ2 = {"fpaxos-q2=2", 4,   16, 0, BL_PAXOS_READ_QUORUM, 30, 2,
                                     100,           2000};
static const struct variant V_FQ3 = {"fpaxos-q2=3", 4, 16, 0, BL_PAXOS_READ_LOG, 30, 3, 0, 0};

static struct bl_config sim_cfg(const struct variant *va)
{
        struct bl_config cfg;

        bl_config_defaults(&cfg);
        snprintf(cfg.experiment.kernel, sizeof(cfg.experiment.kernel), "paxos");
        cfg.cluster.tick_us = 1000;
        cfg.paxos.election_timeout_ms = 50;
        cfg.paxos.heartbeat_ms = 10;
        cfg.paxos.pipeline = va->pipeline;
        cfg.paxos.max_batch = va->max_batch;
        cfg.paxos.batch_delay_us = va->batch_delay_us;
        cfg.paxos.read_mode = va->read_mode;
        cfg.paxos.snapshot_entries = va->snapshot_entries;
        cfg.paxos.snapshot_chunk = 64; /* several chunks per snapshot */
        cfg.paxos.phase2_quorum = va->q2;
        return cfg;
}

/* A disk slower than memory: appends and syncs take time, and a crash
 * loses what the last sync did not cover. */
static void set_disk(struct bl_sim_opts *o, const struct variant *va)
{
        o->disk_sync_min_ns = va->sync_min_us * 1000;
        o->disk_sync_max_ns = va->sync_max_us * 1000;
        o->disk_append_min_ns = va->sync_max_us > 0 ? 2000 : 0;
        o->disk_append_max_ns = va->sync_max_us > 0 ? 20000 : 0;
}

static void sim_opts(struct bl_sim_opts *o, const struct bl_config *cfg, int nodes,
                     struct paxos_inv *inv)
{
        bl_sim_opts_default(o);
        o->kernel = &bl_kernel_paxos;
        o->cfg = cfg;
        o->nodes = nodes;
        o->clients = 4;
        o->keys = 4;
        o->client_timeout_ns = 100000000ull; /* 2 election timeouts */
        o->invariant = paxos_invariant;
        o->invariant_arg = inv;
        memset(inv, 0, sizeof(*inv));
        inv->every = getenv("BL_SIM_PAXOS_FULL") ? 1 : 64;
}

/* Under AddressSanitizer (make sanitize) a schedule runs some 30 times
 * slower: memory errors show in the first schedules, and the search for
 * protocol bugs is the plain build's job, so run a tenth of the seeds. */
#if defined(__SANITIZE_ADDRESS__)
#define SEEDS(n) ((n) / 10 > 2 ? (n) / 10 : 2)
#else
#define SEEDS(n) (n)
#endif

#define FAULT_NS  1000000000ull  /* 1 s of faults per seed */
#define SETTLE_NS 10000000000ull /* up to 10 s to finish every client op */

static void many(int nodes, const struct variant *va, int nseeds)
{
        struct bl_config cfg = sim_cfg(va);
        struct bl_sim_opts o;
        struct paxos_inv inv;
        struct bl_simtest_summary sum;

        sim_opts(&o, &cfg, nodes, &inv);
        set_disk(&o, va);
        printf("# paxos variant %s\n", va->name);
        bl_simtest_many(&o, nseeds, FAULT_NS, SETTLE_NS, &sum);
        assert_true(sum.completed > 0);
        /* With a disk slower than memory, crashes destroy unsynced records. */
        if (va->sync_max_us > 0 && sum.seeds >= 20)
                assert_true(sum.records_lost > 0);
        assert_true(inv.calls > 0);
        inv_free(&inv);
}

/*
 * A nemesis aimed at the leader, as in the Raft simulation tests: every
 * 5-100 ms (1-15 ms when fast) crash the leader, isolate it with a
 * minority, crash or recover a random node, split at random, heal, change
 * link faults, or transfer leadership. Crashes stop at a minority down.
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

static void nemesis(struct bl_sim *s, int nodes, int max_down, uint64_t seed, uint64_t fault_ns,
                    int fast, struct nemesis_desc *d)
{
        struct bl_rng r;
        uint64_t end = bl_sim_now(s) + fault_ns;
        int side[16];

        bl_rng_seed(&r, seed, 0x4e454dULL);
        while (bl_sim_violation(s, NULL) == 0 && bl_sim_now(s) < end) {
                int l = bl_sim_leader(s, 0);
                int act = (int)bl_rng_below(&r, 10);
                int victim = (int)bl_rng_below(&r, (uint64_t)nodes);

                nd_add(d, "t=%.1fms ", (double)bl_sim_now(s) / 1e6);
                if ((act <= 1 || act == 3) && l >= 0 && n_crashed(s, nodes) < max_down) {
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
                } else if (act == 9 && l >= 0 && nodes > 1) {
                        int rc = bl_paxos_transfer(bl_sim_instance(s, l, 0), -1);

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
        nd_add(d, "heal, recover all");
}

static int nemesis_seed(const struct bl_sim_opts *base, int max_down, uint64_t seed, int fast,
                        char *desc, size_t cap, struct bl_sim_stats *st, struct bl_errbuf *eb)
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
        nemesis(s, o.nodes, max_down, seed, FAULT_NS, fast, &d);
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
        struct paxos_inv inv;
        static char desc[16384];
        const char *one = getenv("BL_SIM_SEED");
        uint64_t first = 1, last = (uint64_t)bl_simtest_nseeds(nseeds);
        uint64_t events = 0, completed = 0, lost = 0;
        double t0 = bl_simtest_wall(), wall;
        /* Progress needs a phase 1 quorum alive: at most n - q1 down. */
        int q2 = va->q2 > 0 ? va->q2 : nodes / 2 + 1, max_down = q2 - 1;

        if (max_down > (nodes - 1) / 2)
                max_down = (nodes - 1) / 2;
        sim_opts(&o, &cfg, nodes, &inv);
        set_disk(&o, va);
        if (one != NULL && strtoull(one, NULL, 10) > 0)
                first = last = strtoull(one, NULL, 10);
        for (uint64_t seed = first; seed <= last; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st = {0};
                int rc = nemesis_seed(&o, max_down, seed, fast, desc, sizeof(desc), &st, &eb);

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
        printf("# nemesis paxos nodes=%d variant=%s: %llu seeds in %.2f s (%.0f seeds/s), %llu "
               "events, %llu ops completed, %llu unsynced records lost in crashes\n",
               nodes, va->name, (unsigned long long)(last - first + 1), wall,
               wall > 0 ? (double)(last - first + 1) / wall : 0.0, (unsigned long long)events,
               (unsigned long long)completed, (unsigned long long)lost);
        assert_true(completed > 0);
        if (va->sync_max_us > 0 && last - first >= 20)
                assert_true(lost > 0);
        inv_free(&inv);
}

static void test_paxos3_default(void **state)
{
        (void)state;
        many(3, &V_DEFAULT, SEEDS(700));
}

static void test_paxos5_default(void **state)
{
        (void)state;
        many(5, &V_DEFAULT, SEEDS(350));
}

static void test_paxos3_plain(void **state)
{
        (void)state;
        many(3, &V_PLAIN, SEEDS(260));
}

static void test_paxos5_quorum_reads(void **state)
{
        (void)state;
        many(5, &V_QUORUM, SEEDS(350));
}

/* Flexible quorums below a majority: Q2 = 2 of 5, Q2 = 2 and 3 of 7. */
static void test_fpaxos5_q2(void **state)
{
        (void)state;
        many(5, &V_FQ2, SEEDS(260));
}

static void test_fpaxos7_q2(void **state)
{
        (void)state;
        many(7, &V_FQ2, SEEDS(90));
}

static void test_fpaxos7_q3(void **state)
{
        (void)state;
        many(7, &V_FQ3, SEEDS(90));
}

static void test_nemesis5_fast(void **state)
{
        (void)state;
        many_nemesis(5, &V_PLAIN, 1, SEEDS(700));
}

static void test_nemesis3_default(void **state)
{
        (void)state;
        many_nemesis(3, &V_DEFAULT, 0, SEEDS(700));
}

static void test_nemesis5_default(void **state)
{
        (void)state;
        many_nemesis(5, &V_DEFAULT, 0, SEEDS(320));
}

static void test_nemesis3_quorum_reads(void **state)
{
        (void)state;
        many_nemesis(3, &V_QUORUM, 0, SEEDS(520));
}

static void test_nemesis5_fpaxos(void **state)
{
        (void)state;
        many_nemesis(5, &V_FQ2, 0, SEEDS(350));
}

static void test_nemesis7_fpaxos(void **state)
{
        (void)state;
        many_nemesis(7, &V_FQ2, 1, SEEDS(210));
}

/* Sizes 1 and 9, and several groups per node: smoke runs. */
static void test_paxos1_smoke(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct paxos_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 1, &inv);
        o.fault_mask = BL_SIM_F_CRASH | BL_SIM_F_LINK;
        bl_simtest_many(&o, SEEDS(50), FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

static void test_paxos9_smoke(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct paxos_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 9, &inv);
        bl_simtest_many(&o, SEEDS(10), FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

static void test_multi_group(void **state)
{
        struct bl_config cfg = sim_cfg(&V_QUORUM);
        struct bl_sim_opts o;
        struct paxos_inv inv;

        (void)state;
        sim_opts(&o, &cfg, 5, &inv);
        o.shards = 4;
        o.replicas = 3;
        o.clients = 6;
        o.keys = 8;
        bl_simtest_many(&o, SEEDS(40), FAULT_NS, SETTLE_NS, NULL);
        inv_free(&inv);
}

/* The schedules exercise what they should: phase 1 after faults, step-downs,
 * snapshots sent and installed. */
static void test_coverage(void **state)
{
        struct bl_config cfg = sim_cfg(&V_DEFAULT);
        struct bl_sim_opts o;
        struct paxos_inv inv;
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
        printf("# coverage: %llu phase 1 runs, %llu leaders, %llu step-downs, %llu snapshots "
               "sent, %llu installed, acceptor scans %llu\n",
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
        struct paxos_inv inv;
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
                    bl_paxos_transfer(bl_sim_instance(s, l, 0), bl_sim_member_of(s, target, 0)), 0);
                bl_sim_run_for(s, 100000000ull);
                assert_int_equal(bl_sim_leader(s, 0), target);
        }
        assert_int_equal(bl_sim_event_count(s, BL_EV_TRANSFER), 5);
        assert_int_equal(bl_sim_settle(s, SETTLE_NS, &eb), 0);
        assert_int_equal(bl_sim_check(s, &eb), 0);
        bl_sim_destroy(s);
        inv_free(&inv);
}

/* The invariant hook can fail: corrupt a chosen value on one replica. */
static void test_invariant_catches_corruption(void **state)
{
        struct bl_config cfg = sim_cfg(&V_PLAIN);
        struct bl_sim_opts o;
        struct paxos_inv inv;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;
        struct bl_paxos *p;
        struct bl_paxos_slot *e = NULL;

        (void)state;
        sim_opts(&o, &cfg, 3, &inv);
        inv.every = 1;
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 500000000ull);
        assert_int_equal(bl_sim_violation(s, &eb), 0);
        p = bl_sim_instance(s, (bl_sim_leader(s, 0) + 1) % 3, 0);
        for (uint64_t i = p->commit; i > p->log.offset && e == NULL; i--) {
                e = bl_paxos_log_get(&p->log, i);
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
            cmocka_unit_test(test_coverage),
            cmocka_unit_test(test_transfer_under_load),
            cmocka_unit_test(test_paxos1_smoke),
            cmocka_unit_test(test_paxos9_smoke),
            cmocka_unit_test(test_multi_group),
            cmocka_unit_test(test_paxos3_default),
            cmocka_unit_test(test_paxos5_default),
            cmocka_unit_test(test_paxos3_plain),
            cmocka_unit_test(test_paxos5_quorum_reads),
            cmocka_unit_test(test_fpaxos5_q2),
            cmocka_unit_test(test_fpaxos7_q2),
            cmocka_unit_test(test_fpaxos7_q3),
            cmocka_unit_test(test_nemesis5_fast),
            cmocka_unit_test(test_nemesis3_default),
            cmocka_unit_test(test_nemesis5_default),
            cmocka_unit_test(test_nemesis3_quorum_reads),
            cmocka_unit_test(test_nemesis5_fpaxos),
            cmocka_unit_test(test_nemesis7_fpaxos),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
