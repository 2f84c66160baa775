/* Helpers shared by kernel simulation tests: many random schedules, replayable failures. */
#ifndef BL_TESTS_SIM_FIXTURE_H
#define BL_TESTS_SIM_FIXTURE_H

/*
 * Include after <cmocka.h> (and its prerequisites). Usage:
 *
 *   struct bl_sim_opts o;
 *   bl_sim_opts_default(&o);
 *   o.kernel = &bl_kernel_raft;
 *   o.nodes = 5;
 *   bl_simtest_many(&o, 200, 2000000000ULL, 10000000000ULL, NULL);
 *
 * Seeds 1..nseeds each run: create, clients on, bl_sim_random_schedule(seed,
 * fault_ns), bl_sim_check (safety under faults, UNKNOWN ops included),
 * bl_sim_settle(settle_ns) (liveness), bl_sim_check again. The first failing
 * seed prints
 *   replay: seed=S nodes=N kernel=K
 * with the schedule and the error, and fails the test.
 *
 * Environment: BL_SIM_SEEDS=n overrides nseeds (CI and humans run more);
 * BL_SIM_SEED=S runs only seed S (replay), printing its schedule and stats.
 *
 * The summary line (simulated events per second of wall time) goes to
 * stdout with a leading '#'. Wall time is read here, in the test, never in
 * the simulator.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

#define BL_SIMTEST_DESC 4096

struct bl_simtest_summary {
        int seeds;          /* seeds run */
        uint64_t events;    /* events fired, all seeds */
        uint64_t completed; /* client ops completed, all seeds */
        uint64_t crashes, partitions;
        uint64_t records_lost;       /* unsynced records destroyed by crashes */
        uint64_t txn_unknown;        /* transaction mode: outcomes unknown (coordinator lost) */
        uint64_t txn_blocked_max_ns; /* longest blocking window seen in any seed */
        double wall_s;
        double events_per_s;
        double seeds_per_s;
};

static inline double bl_simtest_wall(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* nseeds, or BL_SIM_SEEDS from the environment when set and positive. */
static inline int bl_simtest_nseeds(int nseeds)
{
        const char *e = getenv("BL_SIM_SEEDS");

        if (e != NULL && atoi(e) > 0)
                return atoi(e);
        return nseeds;
}

/* One seed, as bl_simtest_many runs it (see bl_sim_run_seed in sim.h). */
static inline int bl_simtest_one(const struct bl_sim_opts *base, uint64_t seed, uint64_t fault_ns,
                                 uint64_t settle_ns, char *desc, size_t desc_len,
                                 struct bl_sim_stats *st, struct bl_errbuf *eb)
{
        return bl_sim_run_seed(base, seed, fault_ns, settle_ns, desc, desc_len, st, eb);
}

/* Run seeds 1..nseeds (see the top of this file); fail the cmocka test on the
 * first failing seed. sum (may be NULL) receives totals and rates. */
static inline void bl_simtest_many(const struct bl_sim_opts *base, int nseeds, uint64_t fault_ns,
                                   uint64_t settle_ns, struct bl_simtest_summary *sum)
{
        char desc[BL_SIMTEST_DESC];
        struct bl_simtest_summary tot = {0};
        const char *one = getenv("BL_SIM_SEED");
        uint64_t first = 1, last;
        double t0 = bl_simtest_wall();

        nseeds = bl_simtest_nseeds(nseeds);
        last = (uint64_t)nseeds;
        if (one != NULL && strtoull(one, NULL, 10) > 0)
                first = last = strtoull(one, NULL, 10);
        for (uint64_t seed = first; seed <= last; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st = {0};
                int rc =
                    bl_simtest_one(base, seed, fault_ns, settle_ns, desc, sizeof(desc), &st, &eb);

                tot.seeds++;
                tot.events += st.events;
                tot.completed += st.completed;
                tot.crashes += st.crashes;
                tot.partitions += st.partitions;
                tot.records_lost += st.records_lost;
                tot.txn_unknown += st.txn_unknown;
                if (st.txn_blocked_max_ns > tot.txn_blocked_max_ns)
                        tot.txn_blocked_max_ns = st.txn_blocked_max_ns;
                if (rc != 0 || first == last) {
                        printf("replay: seed=%" PRIu64 " nodes=%d shards=%d replicas=%d "
                               "kernel=%s\n",
                               seed, base->nodes, base->shards, base->replicas,
                               base->kernel ? base->kernel->name : "?");
                        printf("  schedule: %s\n", desc);
                        printf("  events %" PRIu64 ", completed %" PRIu64 ", msgs %" PRIu64
                               " sent / %" PRIu64 " dropped, client timeouts %" PRIu64 "\n",
                               st.events, st.completed, st.msgs_sent, st.msgs_dropped,
                               st.client_timeouts);
                }
                if (rc != 0) {
                        printf("  error: %s\n  rerun: BL_SIM_SEED=%" PRIu64 " <this test>\n",
                               eb.msg, seed);
                        fflush(stdout);
                        fail_msg("simulation failed at seed %" PRIu64 ": %s", seed, eb.msg);
                }
        }
        tot.wall_s = bl_simtest_wall() - t0;
        if (tot.wall_s > 0) {
                tot.events_per_s = (double)tot.events / tot.wall_s;
                tot.seeds_per_s = (double)tot.seeds / tot.wall_s;
        }
        printf("# sim %s nodes=%d shards=%d: %d seeds in %.2f s (%.0f seeds/s), %" PRIu64
               " events (%.3g events/s), %" PRIu64 " ops completed, %" PRIu64 " crashes (%" PRIu64
               " unsynced records lost), %" PRIu64 " partitions\n",
               base->kernel ? base->kernel->name : "?", base->nodes, base->shards, tot.seeds,
               tot.wall_s, tot.seeds_per_s, tot.events, tot.events_per_s, tot.completed,
               tot.crashes, tot.records_lost, tot.partitions);
        fflush(stdout);
        if (sum != NULL)
                *sum = tot;
}

#endif
