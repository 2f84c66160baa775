/* Simulation tests of Two-Phase Commit: 2pc/none blocking on a crashed coordinator, random
 * schedules over replicated shards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/history.h"
#include "config/config.h"
#include "kernels/paxos/paxos.h"
#include "kernels/raft/raft.h"
#include "kernels/twopc/twopc.h"
#include "load/txn.h"
#include "sim/sim.h"
#include "store/txn.h"

#include "sim/sim_fixture.h"

/*
 * What the simulator checks in transaction mode (sim.h, Transactions):
 * replica digests, serializability and strict serializability of the
 * list-append history, the bank total in every committed audit and, once
 * the run is quiet, in the final state, and atomicity against every
 * replica's commit log. Settling waits until no transaction is in doubt
 * anywhere: a blocking that never ends fails the liveness check.
 *
 * The coordinator-crash tests of 2pc/none put the coordinator on a node
 * without a shard, so that its crash blocks participants that stay up (a
 * crashed participant comes back from the none kernel's log). One random
 * variant crashes any node, others only that coordinator. Over Raft and
 * Paxos every node may crash.
 */

extern const struct bl_kernel bl_kernel_none;

/* Under AddressSanitizer (make sanitize) a schedule runs many times slower:
 * memory errors show in the first schedules, and the search for protocol
 * bugs is the plain build's job, so run a tenth of the seeds. */
#if defined(__SANITIZE_ADDRESS__)
#define SEEDS(n) ((n) / 10 > 2 ? (n) / 10 : 2)
#else
#define SEEDS(n) (n)
#endif

#define MS 1000000ull

static struct bl_config raft_cfg(void)
{
        struct bl_config cfg;

        bl_config_defaults(&cfg);
        cfg.cluster.tick_us = 1000;
        cfg.raft.election_timeout_ms = 50;
        cfg.raft.heartbeat_ms = 10;
        return cfg;
}

/* Bank over `keys` accounts, every transfer across shards when cross is set. */
static void bank_params(struct bl_txn_params *p, uint64_t keys, double cross, double audits)
{
        bl_txn_params_default(p, BL_TXW_BANK);
        p->keys = keys;
        p->initial_balance = 100;
        p->max_transfer = 60;
        p->cross_shard = cross;
        p->audit_frac = audits;
}

static void list_params(struct bl_txn_params *p)
{
        bl_txn_params_default(p, BL_TXW_LIST_APPEND);
        p->active_keys = 4;
        p->writes_per_key = 8;
        p->max_ops = 4;
}

/* ---- options ---- */

/* Bad transaction options are refused at creation, saying what and why. */
static void test_txn_opts_refused(void **state)
{
        static const int bad_node[2] = {0, 7};
        struct bl_config cfg = raft_cfg();
        struct bl_txn_params p;
        struct bl_sim_opts o, base;
        struct {
                const char *what;
                const char *msg;
        } cases[] = {
            {"commit", "commit = 9"},          {"cc", "txn_cc = 5"},
            {"none-replicas", "replicas = 1"}, {"client_node", "client_node[1] = 7"},
            {"params", "accounts = 0"},
        };

        (void)state;
        bl_sim_opts_default(&base);
        base.kernel = &bl_kernel_raft;
        base.cfg = &cfg;
        base.shards = 2;
        base.clients = 2;
        base.commit = BL_SIM_COMMIT_2PC;
        base.txn = &p;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bl_errbuf eb = {{0}};

                bank_params(&p, 8, 0.5, 0.1);
                o = base;
                if (strcmp(cases[i].what, "commit") == 0)
                        o.commit = 9;
                else if (strcmp(cases[i].what, "cc") == 0)
                        o.txn_cc = 5;
                else if (strcmp(cases[i].what, "none-replicas") == 0)
                        o.kernel = &bl_kernel_none;
                else if (strcmp(cases[i].what, "client_node") == 0)
                        o.client_node = bad_node;
                else
                        p.keys = 0;
                assert_null(bl_sim_create(&o, &eb));
                if (strstr(eb.msg, cases[i].msg) == NULL)
                        fail_msg("%s: message '%s' lacks '%s'", cases[i].what, eb.msg,
                                 cases[i].msg);
        }
}

/* ---- 2pc/none: a coordinator crash blocks its participants ---- */

/*
 * Nodes 0 and 1 hold shards 0 and 1 (one replica each); node 2 holds none
 * and coordinates the transactions of client 1; client 2 lives on node 0.
 */
static const int none_client_nodes[2] = {2, 0};

static void none_opts(struct bl_sim_opts *o, struct bl_txn_params *p, uint64_t seed)
{
        bl_sim_opts_default(o);
        o->kernel = &bl_kernel_none;
        o->nodes = 3;
        o->shards = 2;
        o->replicas = 1;
        o->clients = 2;
        o->seed = seed;
        o->commit = BL_SIM_COMMIT_2PC;
        o->txn = p;
        o->txn_cc = BL_TXS_NO_WAIT;
        o->client_node = none_client_nodes;
        o->fault_mask = BL_SIM_F_PARTITION | BL_SIM_F_LINK;
        bank_params(p, 8, 1.0, 0.2);
}

/* Step until a transaction of client 1 (coordinated by node 2) is prepared
 * on both shards and not yet decided for its client; returns its id. (The
 * none kernel applies a DECIDE only once its record is durable: on a slow
 * disk a transaction already committed still shows prepared for a while.) */
static uint64_t step_until_prepared_both(struct bl_sim *s)
{
        for (long i = 0; i < 2000000; i++) {
                uint64_t a[8], b[8];
                size_t na, nb;

                assert_int_equal(bl_sim_step(s), 1);
                na = bl_txs_in_doubt(bl_sim_txs(s, 0, 0), a, 8);
                nb = bl_txs_in_doubt(bl_sim_txs(s, 1, 1), b, 8);
                for (size_t x = 0; x < na && x < 8; x++)
                        for (size_t y = 0; y < nb && y < 8; y++)
                                if (a[x] == b[y] && (a[x] >> 32) == 1 &&
                                    bl_sim_txn_outcome(s, a[x]) < 0)
                                        return a[x];
        }
        fail_msg("no transaction of client 1 became prepared on both shards");
        return 0;
}

static int state_of(struct bl_sim *s, int node, int shard, uint64_t txn, struct bl_txs_info *info)
{
        struct bl_txs_info tmp;

        if (info == NULL)
                info = &tmp;
        if (bl_txs_info(bl_sim_txs(s, node, shard), txn, info) != 0)
                return -1;
        return info->state;
}

static int in_commit_log(struct bl_sim *s, int node, int shard, uint64_t txn)
{
        const uint64_t *ids;
        size_t n = bl_txs_commit_log(bl_sim_txs(s, node, shard), &ids);

        for (size_t i = 0; i < n; i++)
                if (ids[i] == txn)
                        return 1;
        return 0;
}

/* Hold the coordinator down for `down_ns`: the participants stay prepared,
 * holding their locks, whatever the other client does. */
static void assert_blocked(struct bl_sim *s, uint64_t txn, uint64_t down_ns)
{
        struct bl_tpc_stats before, after;

        bl_tpc_stats(bl_sim_tpc(s, 0), &before);
        for (uint64_t t = 0; t < down_ns; t += 100 * MS) {
                bl_sim_run_for(s, 100 * MS);
                assert_int_equal(bl_sim_violation(s, NULL), 0);
                assert_int_equal(state_of(s, 0, 0, txn, NULL), BL_TXS_PREPARED);
                assert_int_equal(state_of(s, 1, 1, txn, NULL), BL_TXS_PREPARED);
                assert_true(bl_txs_in_doubt(bl_sim_txs(s, 0, 0), NULL, 0) > 0);
                assert_true(bl_txs_in_doubt(bl_sim_txs(s, 1, 1), NULL, 0) > 0);
        }
        /* The locks are held: client 2 (on node 0) keeps running transfers
         * over the same 8 accounts, and those that touch the two locked
         * ones abort on a lock conflict. */
        bl_tpc_stats(bl_sim_tpc(s, 0), &after);
        assert_true(after.begun > before.begun);
        assert_true(after.aborted[BL_TPC_A_LOCK] > before.aborted[BL_TPC_A_LOCK]);
}

/* Run until neither participant holds txn in doubt; returns the time. */
static uint64_t run_until_resolved(struct bl_sim *s, uint64_t txn, uint64_t max_ns)
{
        for (uint64_t t = 0; t < max_ns; t += MS) {
                if (state_of(s, 0, 0, txn, NULL) != BL_TXS_PREPARED &&
                    state_of(s, 1, 1, txn, NULL) != BL_TXS_PREPARED)
                        return bl_sim_now(s);
                bl_sim_run_for(s, MS);
        }
        fail_msg("txn %llx still in doubt %llu ms after the recovery", (unsigned long long)txn,
                 (unsigned long long)(max_ns / MS));
        return 0;
}

static void settle_and_check(struct bl_sim *s)
{
        struct bl_errbuf eb = {{0}};
        int rc = bl_sim_settle(s, 10000 * MS, &eb);

        if (rc == 0)
                rc = bl_sim_check(s, &eb);
        if (rc != 0)
                fail_msg("%s", eb.msg);
        assert_int_equal(bl_txs_in_doubt(bl_sim_txs(s, 0, 0), NULL, 0), 0);
        assert_int_equal(bl_txs_in_doubt(bl_sim_txs(s, 1, 1), NULL, 0), 0);
}

/*
 * Crash the coordinator once both participants voted YES and before any
 * vote reached it: no decision was logged. The participants block, holding
 * their locks, for as long as it is down (2 s here); once it recovers, their
 * QUERY gets presumed abort.
 */
static void test_none_coordinator_crash_presumed_abort(void **state)
{
        struct bl_txn_params p;
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;
        struct bl_txs_info i0, i1;
        uint64_t txn, crash_t, recover_t, resolved_t;

        (void)state;
        none_opts(&o, &p, 7);
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 20 * MS); /* some transactions first */
        txn = step_until_prepared_both(s);
        bl_sim_crash(s, 2);
        crash_t = bl_sim_now(s);
        /* The client on node 2 lost its coordinator: outcome unknown. */
        assert_int_equal(bl_sim_txn_outcome(s, txn), BL_OUT_UNKNOWN);

        assert_blocked(s, txn, 2000 * MS);

        bl_sim_recover(s, 2);
        recover_t = bl_sim_now(s);
        resolved_t = run_until_resolved(s, txn, 1000 * MS);
        assert_int_equal(state_of(s, 0, 0, txn, &i0), BL_TXS_ABORTED);
        assert_int_equal(state_of(s, 1, 1, txn, &i1), BL_TXS_ABORTED);
        assert_false(in_commit_log(s, 0, 0, txn));
        assert_false(in_commit_log(s, 1, 1, txn));
        /* The blocking window spans the whole outage and ends after the
         * recovery. */
        assert_true(i0.vote_ns > 0 && i0.vote_ns <= crash_t);
        assert_true(i0.decide_ns >= recover_t && i0.decide_ns <= resolved_t);
        assert_true(i1.decide_ns - i1.vote_ns >= recover_t - crash_t);
        printf("# 2pc/none presumed abort: txn %llx blocked %.3f s (coordinator down %.3f s)\n",
               (unsigned long long)txn, (double)(i1.decide_ns - i1.vote_ns) / 1e9,
               (double)(recover_t - crash_t) / 1e9);
        settle_and_check(s);
        bl_sim_destroy(s);
}

/*
 * The coordinator logs commit, but its DECIDEs are lost (it is cut off from
 * the participants), then it crashes. The participants stay prepared while
 * it is down; at recovery it replays its decision record and finishes the
 * commit. The disk is slow (1-3 ms syncs), so the record must have been
 * synced to survive: the client saw "committed" only after that.
 */
static void test_none_coordinator_crash_logged_commit(void **state)
{
        static const int side[3] = {0, 0, 1};
        struct bl_txn_params p;
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;
        uint64_t txn, crash_t, recover_t;
        struct bl_txs_info i0;

        (void)state;
        none_opts(&o, &p, 11);
        p.audit_frac = 0; /* transfers only: they write both shards */
        o.disk_append_min_ns = 10000;
        o.disk_append_max_ns = 50000;
        o.disk_sync_min_ns = 1 * MS;
        o.disk_sync_max_ns = 3 * MS;
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 20 * MS);
        /* A transfer that both participants prepare and that commits (a
         * balance may refuse it: try the next one then). */
        for (int tries = 0;; tries++) {
                assert_true(tries < 50);
                txn = step_until_prepared_both(s);
                bl_sim_partition(s, side); /* the votes in flight still arrive */
                bl_sim_run_for(s, 50 * MS);
                if (bl_sim_txn_outcome(s, txn) == BL_OUT_OK)
                        break;
                bl_sim_heal(s);
        }
        /* Committed and reported, but not applied: the DECIDEs were lost. */
        assert_int_equal(state_of(s, 0, 0, txn, NULL), BL_TXS_PREPARED);
        assert_int_equal(state_of(s, 1, 1, txn, NULL), BL_TXS_PREPARED);
        bl_sim_crash(s, 2);
        crash_t = bl_sim_now(s);
        bl_sim_heal(s);
        assert_blocked(s, txn, 1000 * MS);
        bl_sim_recover(s, 2);
        recover_t = bl_sim_now(s);
        run_until_resolved(s, txn, 1000 * MS);
        assert_int_equal(state_of(s, 0, 0, txn, &i0), BL_TXS_COMMITTED);
        assert_int_equal(state_of(s, 1, 1, txn, NULL), BL_TXS_COMMITTED);
        assert_true(in_commit_log(s, 0, 0, txn));
        assert_true(in_commit_log(s, 1, 1, txn));
        assert_true(i0.decide_ns >= recover_t);
        printf("# 2pc/none logged commit: txn %llx blocked %.3f s (coordinator down %.3f s)\n",
               (unsigned long long)txn, (double)(i0.decide_ns - i0.vote_ns) / 1e9,
               (double)(recover_t - crash_t) / 1e9);
        settle_and_check(s);
        bl_sim_destroy(s);
}

/* ---- 2pc/raft: a replicated coordinator does not block ---- */

/* The state of txn on every live replica of shard, or -1 when they differ
 * or none knows it. */
static int group_state(struct bl_sim *s, int shard, uint64_t txn)
{
        int st = -1;

        for (int m = 0; m < bl_sim_replicas(s); m++) {
                int node = bl_sim_node_of(s, shard, m), x;

                if (bl_sim_crashed(s, node))
                        continue;
                x = state_of(s, node, shard, txn, NULL);
                if (x < 0 || (st >= 0 && x != st))
                        return -1;
                st = x;
        }
        return st;
}

/*
 * The same crash over Raft groups (Spanner-like): the coordinator is the
 * leader of the transaction's first shard, and its node crashes once both
 * participants are prepared. It stays down, yet the blocking ends within
 * an election and a QUERY: the new leader of the first shard finishes the
 * transaction from the group's log, on every live replica of both shards.
 */
static void test_raft_coordinator_crash_no_blocking(void **state)
{
        struct bl_config cfg = raft_cfg();
        struct bl_txn_params p;
        struct bl_sim_opts o;
        struct bl_errbuf eb = {{0}};
        struct bl_sim *s;
        struct bl_txs_info info;
        uint64_t txn = 0, crash_t, resolved_t = 0;
        int coord = -1, st0, st1;

        (void)state;
        bl_sim_opts_default(&o);
        o.kernel = &bl_kernel_raft;
        o.cfg = &cfg;
        o.nodes = 3;
        o.shards = 2;
        o.replicas = 3;
        o.clients = 3;
        o.seed = 5;
        o.commit = BL_SIM_COMMIT_2PC;
        o.txn = &p;
        o.txn_cc = BL_TXS_NO_WAIT;
        bank_params(&p, 8, 1.0, 0);
        s = bl_sim_create(&o, &eb);
        assert_non_null(s);
        bl_sim_clients(s, 1);
        bl_sim_run_for(s, 300 * MS); /* leaders elected, transactions flowing */
        for (long i = 0; i < 2000000 && coord < 0; i++) {
                int l0 = bl_sim_leader(s, 0), l1 = bl_sim_leader(s, 1);
                uint64_t a[8];
                size_t na;

                assert_int_equal(bl_sim_step(s), 1);
                if (l0 < 0 || l1 < 0)
                        continue;
                na = bl_txs_in_doubt(bl_sim_txs(s, l0, 0), a, 8);
                for (size_t x = 0; x < na && x < 8 && coord < 0; x++) {
                        if (state_of(s, l1, 1, a[x], &info) != BL_TXS_PREPARED)
                                continue;
                        txn = a[x];
                        coord = bl_sim_leader(s, (int)info.coord);
                }
        }
        assert_true(coord >= 0);
        bl_sim_crash(s, coord);
        crash_t = bl_sim_now(s);
        for (uint64_t t = 0; t < 1000 * MS; t += MS) {
                st0 = group_state(s, 0, txn);
                st1 = group_state(s, 1, txn);
                if ((st0 == BL_TXS_COMMITTED || st0 == BL_TXS_ABORTED) && st1 == st0) {
                        resolved_t = bl_sim_now(s);
                        break;
                }
                bl_sim_run_for(s, MS);
                assert_int_equal(bl_sim_violation(s, NULL), 0);
        }
        assert_true(bl_sim_crashed(s, coord));
        assert_true(resolved_t > 0); /* resolved while the coordinator is still down */
        printf("# 2pc/raft: txn %llx %s %.3f s after its coordinator (node %d) crashed, still "
               "down\n",
               (unsigned long long)txn, st0 == BL_TXS_COMMITTED ? "committed" : "aborted",
               (double)(resolved_t - crash_t) / 1e9, coord);
        bl_sim_recover(s, coord);
        {
                int rc = bl_sim_settle(s, 10000 * MS, &eb);

                if (rc == 0)
                        rc = bl_sim_check(s, &eb);
                if (rc != 0)
                        fail_msg("%s", eb.msg);
        }
        bl_sim_destroy(s);
}

/* ---- random schedules ---- */

#define FAULT_NS  1000000000ull  /* 1 s of faults per seed */
#define SETTLE_NS 10000000000ull /* up to 10 s to finish and resolve everything */

struct variant {
        const char *name;
        const struct bl_kernel *kernel;
        int nodes, shards, replicas;
        int workload; /* BL_TXW_* */
        int cc;
        int sync; /* slow disk */
        unsigned faults;
        int seeds;
        const int *client_node; /* 2pc/none: where clients live (NULL: i % nodes) */
        uint64_t crash_nodes;   /* the nodes schedules may crash (0: any) */
};

static struct bl_simtest_summary many(const struct variant *va)
{
        struct bl_config cfg = raft_cfg();
        struct bl_txn_params p;
        struct bl_sim_opts o;
        struct bl_simtest_summary sum;

        bl_sim_opts_default(&o);
        o.kernel = va->kernel;
        o.cfg = &cfg;
        o.nodes = va->nodes;
        o.shards = va->shards;
        o.replicas = va->replicas;
        o.clients = 4;
        o.client_timeout_ns = 100 * MS;
        o.commit = BL_SIM_COMMIT_2PC;
        o.txn = &p;
        o.txn_cc = va->cc;
        o.fault_mask = va->faults;
        o.client_node = va->client_node;
        o.crash_nodes = va->crash_nodes;
        if (va->workload == BL_TXW_BANK) {
                bank_params(&p, 8, 0.9, 0.2);
        } else if (va->workload == BL_TXW_YCSB_T) {
                bl_txn_params_default(&p, BL_TXW_YCSB_T);
                p.keys = 16;
                p.txn_keys = 3;
        } else {
                list_params(&p);
        }
        if (va->sync) {
                o.disk_append_min_ns = 2000;
                o.disk_append_max_ns = 20000;
                o.disk_sync_min_ns = 100000;
                o.disk_sync_max_ns = 2 * MS;
        }
        printf("# 2pc variant %s\n", va->name);
        bl_simtest_many(&o, SEEDS(va->seeds), FAULT_NS, SETTLE_NS, &sum);
        assert_true(sum.completed > 0);
        printf("# %" PRIu64 " outcomes unknown, longest blocking window %.3f ms\n", sum.txn_unknown,
               (double)sum.txn_blocked_max_ns / 1e6);
        return sum;
}

#define V(nm, k, n, sh, r, w, c, sy, f, sd)                                                        \
        {                                                                                          \
                .name = nm, .kernel = k, .nodes = n, .shards = sh, .replicas = r, .workload = w,   \
                .cc = c, .sync = sy, .faults = f, .seeds = sd                                      \
        }

static const struct variant V_NONE_BANK =
    V("2pc/none bank, crashes, partitions and link faults", &bl_kernel_none, 3, 2, 1, BL_TXW_BANK,
      BL_TXS_NO_WAIT, 1, BL_SIM_F_ALL, 150);
/* 2pc/none with coordinator crashes: node 2 holds no shard and coordinates
 * the transactions of two of the four clients; only it crashes. Its clients'
 * transactions in flight become unknown, its participants block until it
 * recovers, and settling needs every one of them resolved. */
static const int coord_clients[4] = {2, 0, 2, 1};
static const struct variant V_NONE_COORD = {.name = "2pc/none bank, coordinator crashes",
                                            .kernel = &bl_kernel_none,
                                            .nodes = 3,
                                            .shards = 2,
                                            .replicas = 1,
                                            .workload = BL_TXW_BANK,
                                            .cc = BL_TXS_WAIT_DIE,
                                            .sync = 1,
                                            .faults = BL_SIM_F_ALL,
                                            .seeds = 300,
                                            .client_node = coord_clients,
                                            .crash_nodes = 1u << 2};
static const struct variant V_NONE_COORD_LIST = {.name = "2pc/none list-append, coordinator "
                                                         "crashes",
                                                 .kernel = &bl_kernel_none,
                                                 .nodes = 3,
                                                 .shards = 2,
                                                 .replicas = 1,
                                                 .workload = BL_TXW_LIST_APPEND,
                                                 .cc = BL_TXS_NO_WAIT,
                                                 .sync = 1,
                                                 .faults = BL_SIM_F_ALL,
                                                 .seeds = 200,
                                                 .client_node = coord_clients,
                                                 .crash_nodes = 1u << 2};
static const struct variant V_RAFT_BANK = V("2pc/raft bank, no-wait", &bl_kernel_raft, 3, 2, 3,
                                            BL_TXW_BANK, BL_TXS_NO_WAIT, 1, BL_SIM_F_ALL, 500);
static const struct variant V_RAFT_LIST =
    V("2pc/raft list-append, wait-die", &bl_kernel_raft, 3, 2, 3, BL_TXW_LIST_APPEND,
      BL_TXS_WAIT_DIE, 0, BL_SIM_F_ALL, 400);
static const struct variant V_RAFT5_LIST =
    V("2pc/raft 5 nodes 3 shards list-append", &bl_kernel_raft, 5, 3, 3, BL_TXW_LIST_APPEND,
      BL_TXS_NO_WAIT, 1, BL_SIM_F_ALL, 400);
static const struct variant V_RAFT_YCSBT = V("2pc/raft ycsb-t, wait-die", &bl_kernel_raft, 3, 2, 3,
                                             BL_TXW_YCSB_T, BL_TXS_WAIT_DIE, 1, BL_SIM_F_ALL, 200);
static const struct variant V_PAXOS_BANK = V("2pc/paxos bank, wait-die", &bl_kernel_paxos, 3, 2, 3,
                                             BL_TXW_BANK, BL_TXS_WAIT_DIE, 1, BL_SIM_F_ALL, 500);
static const struct variant V_PAXOS_LIST =
    V("2pc/paxos list-append", &bl_kernel_paxos, 3, 2, 3, BL_TXW_LIST_APPEND, BL_TXS_NO_WAIT, 0,
      BL_SIM_F_ALL, 400);

static void test_none_bank_random(void **state)
{
        (void)state;
        many(&V_NONE_BANK);
}

static void test_none_coordinator_crash_random(void **state)
{
        struct bl_simtest_summary a, b;

        (void)state;
        a = many(&V_NONE_COORD);
        b = many(&V_NONE_COORD_LIST);
        /* The coordinator's crashes cost its clients their outcomes and
         * block its participants for as long as it stays down: a schedule
         * phase is at least 50 ms. */
        if (a.seeds >= 20 && b.seeds >= 20) {
                assert_true(a.txn_unknown > 0 && b.txn_unknown > 0);
                assert_true(a.txn_blocked_max_ns >= 50 * MS);
                assert_true(b.txn_blocked_max_ns >= 50 * MS);
        }
}

static void test_raft_bank_random(void **state)
{
        (void)state;
        many(&V_RAFT_BANK);
}

static void test_raft_list_random(void **state)
{
        (void)state;
        many(&V_RAFT_LIST);
}

static void test_raft5_list_random(void **state)
{
        (void)state;
        many(&V_RAFT5_LIST);
}

static void test_raft_ycsbt_random(void **state)
{
        (void)state;
        many(&V_RAFT_YCSBT);
}

static void test_paxos_bank_random(void **state)
{
        (void)state;
        many(&V_PAXOS_BANK);
}

static void test_paxos_list_random(void **state)
{
        (void)state;
        many(&V_PAXOS_LIST);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_txn_opts_refused),
            cmocka_unit_test(test_none_coordinator_crash_presumed_abort),
            cmocka_unit_test(test_none_coordinator_crash_logged_commit),
            cmocka_unit_test(test_raft_coordinator_crash_no_blocking),
            cmocka_unit_test(test_none_bank_random),
            cmocka_unit_test(test_none_coordinator_crash_random),
            cmocka_unit_test(test_raft_bank_random),
            cmocka_unit_test(test_raft_list_random),
            cmocka_unit_test(test_raft5_list_random),
            cmocka_unit_test(test_raft_ycsbt_random),
            cmocka_unit_test(test_paxos_bank_random),
            cmocka_unit_test(test_paxos_list_random),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
