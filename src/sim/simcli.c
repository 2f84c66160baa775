/*
 * `ballot sim`: run many random fault schedules of a config's replication
 * kernel in the deterministic simulator (no MPI), check safety and liveness
 * for each, and print a replay line for every failing seed. The wall clock
 * is read only here, for the speed in the summary line; the simulator never
 * reads it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/number.h"
#include "common/alloc.h"
#include "common/events.h"
#include "config/config.h"
#include "kernels/kernel.h"
#include "load/txn.h"
#include "sim/sim.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define EXIT_VERDICT 3
#define DESC_LEN     4096

static void usage(FILE *out)
{
        fprintf(out,
                "usage: ballot sim CONFIG.ini|- [-o section.key=value ...] [options]\n"
                "\n"
                "Runs the config's replication kernel in the deterministic simulator: for each\n"
                "seed, a random fault schedule with clients running, a safety check (election\n"
                "safety, replica digests, linearizability), then healing and a liveness check.\n"
                "CONFIG '-' uses the built-in defaults. Uses experiment.seed as the first seed,\n"
                "cluster.shards, cluster.replicas, cluster.tick_us, clients.timeout_ms and the\n"
                "kernel's own section.\n"
                "With a commit kernel (experiment.kernel = 2pc/REPL) the clients run the\n"
                "config's transaction workload (bank, ycsb-t, list-append with the [txn] and\n"
                "[bank] options; accounts and records: store.records) through Two-Phase\n"
                "Commit, and the checks are atomicity, the bank total and serializability.\n"
                "\n"
                "  --seeds N       seeds to run (default 100)\n"
                "  --seed S        run only seed S and print its schedule (replay)\n"
                "  --nodes N       simulated nodes (default max(replicas, shards))\n"
                "  --clients N     client sessions (default 3)\n"
                "  --keys N        keys the clients use (default 5)\n"
                "  --records N     keys preloaded before the run (default 2); clients issue\n"
                "                  read, update, insert, rmw and increment\n"
                "  --links MODEL   reorder, fifo (per node pair, as MPI) or mixed (each seed\n"
                "                  draws one; default)\n"
                "  --fault-ms MS   length of each fault schedule (default 2000)\n"
                "  --settle-ms MS  time allowed to finish every operation after healing\n"
                "                  (default 20000)\n"
                "  --faults LIST   comma list of crash, partition, link, or 'none' (default:\n"
                "                  all; with 2pc/none, nodes = shards + 1: a node without a\n"
                "                  shard coordinates some clients)\n"
                "  --drop P        base message loss probability (default 0)\n"
                "  --dup P         base duplication probability (default 0)\n"
                "  --lat-us A:B    message latency range in microseconds (default 50:500)\n"
                "  --disk-append-us A:B, --disk-sync-us A:B\n"
                "                  disk append and sync latency ranges in microseconds\n"
                "                  (default 0:0, durable at once as storage.mode = memory);\n"
                "                  a crash loses the records not synced\n"
                "  -v, --verbose   print every seed\n"
                "\n"
                "Exit status: 0 every seed passed, 1 run-time error, 2 usage/configuration\n"
                "error, 3 a check failed.\n");
}

struct cli {
        const char *config;
        const char **ov;
        int nov;
        long seeds;
        uint64_t only_seed;
        int nodes, clients, verbose, links;
        uint64_t keys, records;
        uint64_t fault_ms, settle_ms;
        unsigned faults;
        double drop, dup;
        uint64_t lat_min_us, lat_max_us;
        uint64_t append_min_us, append_max_us, sync_min_us, sync_max_us;
};

/* Numbers read as everywhere else in ballot (common/number.h). */
static int parse_u64(const char *s, uint64_t *out)
{
        return bl_parse_u64(s, out) == BL_NUM_OK ? 0 : -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
        uint64_t v;

        if (parse_u64(s, &v) != 0 || v < (uint64_t)lo || v > (uint64_t)hi)
                return -1;
        *out = (int)v;
        return 0;
}

static int parse_prob(const char *s, double *out)
{
        double v;

        if (bl_parse_double(s, &v) != BL_NUM_OK || !(v >= 0 && v < 1))
                return -1;
        *out = v;
        return 0;
}

static int parse_faults(const char *s, unsigned *out)
{
        char buf[128], *tok, *save = NULL;

        if (s == NULL || strlen(s) >= sizeof(buf))
                return -1;
        strcpy(buf, s);
        *out = 0;
        if (strcmp(buf, "none") == 0)
                return 0;
        for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
                if (strcmp(tok, "crash") == 0)
                        *out |= BL_SIM_F_CRASH;
                else if (strcmp(tok, "partition") == 0)
                        *out |= BL_SIM_F_PARTITION;
                else if (strcmp(tok, "link") == 0)
                        *out |= BL_SIM_F_LINK;
                else if (strcmp(tok, "all") == 0)
                        *out |= BL_SIM_F_ALL;
                else
                        return -1;
        }
        return 0;
}

static int parse_lat(const char *s, uint64_t *a, uint64_t *b)
{
        char buf[64], *colon;

        if (s == NULL || strlen(s) >= sizeof(buf))
                return -1;
        strcpy(buf, s);
        colon = strchr(buf, ':');
        if (colon == NULL)
                return -1;
        *colon = '\0';
        if (parse_u64(buf, a) != 0 || parse_u64(colon + 1, b) != 0 || *a < 1 || *b < *a)
                return -1;
        return 0;
}

/* A:B with 0 <= A <= B. */
static int parse_range(const char *s, uint64_t *a, uint64_t *b)
{
        char buf[64], *colon;

        if (s == NULL || strlen(s) >= sizeof(buf))
                return -1;
        strcpy(buf, s);
        colon = strchr(buf, ':');
        if (colon == NULL)
                return -1;
        *colon = '\0';
        if (parse_u64(buf, a) != 0 || parse_u64(colon + 1, b) != 0 || *b < *a || *b > 60000000)
                return -1;
        return 0;
}

/* Returns 0, or -1 after printing what is wrong. */
static int parse_args(struct cli *c, int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                int bad = 0, takes = 1;

                if (strcmp(a, "-o") == 0) {
                        if (v == NULL)
                                bad = 1;
                        else
                                c->ov[c->nov++] = v;
                } else if (strncmp(a, "-o", 2) == 0 && a[2] != '\0' && a[1] == 'o') {
                        c->ov[c->nov++] = a + 2;
                        takes = 0;
                } else if (strcmp(a, "--seeds") == 0) {
                        uint64_t n;

                        bad = parse_u64(v, &n) != 0 || n < 1 || n > 100000000;
                        c->seeds = (long)n;
                } else if (strcmp(a, "--seed") == 0) {
                        bad = parse_u64(v, &c->only_seed) != 0 || c->only_seed == 0;
                } else if (strcmp(a, "--nodes") == 0) {
                        bad = parse_int(v, 1, 4096, &c->nodes) != 0;
                } else if (strcmp(a, "--clients") == 0) {
                        bad = parse_int(v, 0, 100000, &c->clients) != 0;
                } else if (strcmp(a, "--keys") == 0) {
                        bad = parse_u64(v, &c->keys) != 0 || c->keys < 1;
                } else if (strcmp(a, "--records") == 0) {
                        bad = parse_u64(v, &c->records) != 0;
                } else if (strcmp(a, "--links") == 0) {
                        if (v != NULL && strcmp(v, "reorder") == 0)
                                c->links = BL_SIM_LINKS_REORDER;
                        else if (v != NULL && strcmp(v, "fifo") == 0)
                                c->links = BL_SIM_LINKS_FIFO;
                        else if (v != NULL && strcmp(v, "mixed") == 0)
                                c->links = BL_SIM_LINKS_MIXED;
                        else
                                bad = 1;
                } else if (strcmp(a, "--fault-ms") == 0) {
                        bad = parse_u64(v, &c->fault_ms) != 0;
                } else if (strcmp(a, "--settle-ms") == 0) {
                        bad = parse_u64(v, &c->settle_ms) != 0;
                } else if (strcmp(a, "--faults") == 0) {
                        bad = parse_faults(v, &c->faults) != 0;
                } else if (strcmp(a, "--drop") == 0) {
                        bad = parse_prob(v, &c->drop) != 0;
                } else if (strcmp(a, "--dup") == 0) {
                        bad = parse_prob(v, &c->dup) != 0;
                } else if (strcmp(a, "--disk-append-us") == 0) {
                        bad = parse_range(v, &c->append_min_us, &c->append_max_us) != 0;
                } else if (strcmp(a, "--disk-sync-us") == 0) {
                        bad = parse_range(v, &c->sync_min_us, &c->sync_max_us) != 0;
                } else if (strcmp(a, "--lat-us") == 0) {
                        bad = parse_lat(v, &c->lat_min_us, &c->lat_max_us) != 0;
                } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
                        c->verbose = 1;
                        takes = 0;
                } else if ((a[0] != '-' || strcmp(a, "-") == 0) && c->config == NULL) {
                        c->config = a;
                        takes = 0;
                } else {
                        fprintf(stderr, "ballot sim: unexpected argument '%s'\n", a);
                        return -1;
                }
                if (bad) {
                        fprintf(stderr, "ballot sim: bad or missing value for %s%s%s\n", a,
                                v ? ": " : "", v ? v : "");
                        return -1;
                }
                i += takes;
        }
        if (c->config == NULL) {
                fprintf(stderr, "ballot sim: missing CONFIG.ini (or '-' for the defaults)\n");
                return -1;
        }
        return 0;
}

static double wall_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The command line that replays one seed: argv without --seed/--seeds/-v,
 * then --seed S. */
static void print_rerun(int argc, char **argv, uint64_t seed)
{
        printf("  rerun: ballot");
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--seed") == 0 || strcmp(argv[i], "--seeds") == 0) {
                        i++;
                        continue;
                }
                if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
                        continue;
                printf(" %s", argv[i]);
        }
        printf(" --seed %" PRIu64 "\n", seed);
}

static int run_seeds(const struct cli *c, const struct bl_sim_opts *o, uint64_t first, int argc,
                     char **argv)
{
        char *desc = bl_malloc(DESC_LEN);
        uint64_t last = c->only_seed ? first : first + (uint64_t)c->seeds - 1;
        uint64_t events = 0, completed = 0, failed = 0, ran = 0, kev[BL_EV__COUNT] = {0};
        uint64_t records = 0, lost = 0, tc = 0, ta = 0, tu = 0;
        double t0 = wall_s(), dt;
        int status = 0, none_seen = 1;

        if (desc == NULL) {
                fprintf(stderr, "ballot sim: out of memory\n");
                return EXIT_RUNTIME;
        }
        printf("# ballot sim: kernel=%s nodes=%d shards=%d replicas=%d clients=%d keys=%" PRIu64
               " records=%" PRIu64 " links=%s seeds=%" PRIu64 "..%" PRIu64 " fault=%" PRIu64
               "ms settle=%" PRIu64 "ms faults=%s%s%s%s\n",
               o->commit != BL_SIM_COMMIT_OFF ? o->cfg->experiment.kernel : o->kernel->name,
               o->nodes, o->shards, o->replicas, o->clients, o->keys, o->records,
               o->links == BL_SIM_LINKS_FIFO      ? "fifo"
               : o->links == BL_SIM_LINKS_REORDER ? "reorder"
                                                  : "mixed",
               first, last, c->fault_ms, c->settle_ms,
               o->fault_mask & BL_SIM_F_CRASH ? "+crash" : "",
               o->fault_mask & BL_SIM_F_PARTITION ? "+partition" : "",
               o->fault_mask & BL_SIM_F_LINK ? "+link" : "", o->fault_mask ? "" : "none");
        if (o->commit != BL_SIM_COMMIT_OFF)
                printf("# transactions: workload=%s keys=%" PRIu64 " cc=%s\n",
                       bl_txn_workload_name(o->txn->type), o->txn->keys,
                       o->txn_cc ? "wait-die" : "no-wait");
        for (uint64_t seed = first; seed <= last; seed++) {
                struct bl_errbuf eb = {{0}};
                struct bl_sim_stats st;
                int rc = bl_sim_run_seed(o, seed, c->fault_ms * 1000000, c->settle_ms * 1000000,
                                         desc, DESC_LEN, &st, &eb);

                ran++;
                events += st.events;
                completed += st.completed;
                records += st.records;
                lost += st.records_lost;
                tc += st.txn_committed;
                ta += st.txn_aborted;
                tu += st.txn_unknown;
                for (int i = 0; i < BL_EV__COUNT; i++)
                        kev[i] += st.kernel_events[i];
                if (rc != 0 || c->verbose || c->only_seed) {
                        printf("%s: seed=%" PRIu64 " nodes=%d events=%" PRIu64 " completed=%" PRIu64
                               "\n  schedule: %s\n",
                               rc != 0 ? "replay" : "ok", seed, o->nodes, st.events, st.completed,
                               desc);
                }
                if (rc == 0)
                        continue;
                printf("  error: %s\n", eb.msg);
                print_rerun(argc, argv, seed);
                fflush(stdout);
                if (rc != BL_ECHECK) {
                        status = EXIT_RUNTIME;
                        break;
                }
                failed++;
                status = EXIT_VERDICT;
        }
        dt = wall_s() - t0;
        printf("# %" PRIu64 " seeds, %" PRIu64 " failed, %" PRIu64 " events, %" PRIu64
               " ops completed, %" PRIu64 " records persisted, %" PRIu64
               " lost unsynced in crashes, %.2f s, %.3g events/s\n",
               ran, failed, events, completed, records, lost, dt,
               dt > 0 ? (double)events / dt : 0.0);
        if (o->commit != BL_SIM_COMMIT_OFF)
                printf("# transactions: %" PRIu64 " committed, %" PRIu64 " aborted, %" PRIu64
                       " unknown\n",
                       tc, ta, tu);
        printf("# kernel events:");
        for (int i = 0; i < BL_EV__COUNT; i++) {
                if (kev[i] > 0)
                        printf(" %s=%" PRIu64, bl_event_name(i), kev[i]);
                none_seen &= kev[i] == 0;
        }
        printf("%s\n", none_seen ? " none" : "");
        bl_free(desc);
        return status;
}

int bl_sim_main(int argc, char **argv)
{
        struct cli c = {.seeds = 100,
                        .clients = 3,
                        .keys = 5,
                        .records = 2,
                        .links = BL_SIM_LINKS_MIXED,
                        .fault_ms = 2000,
                        .settle_ms = 20000,
                        .faults = BL_SIM_F_ALL,
                        .lat_min_us = 50,
                        .lat_max_us = 500};
        struct bl_config cfg;
        struct bl_errbuf eb = {{0}};
        struct bl_sim_opts o;
        struct bl_txn_params txp;
        const struct bl_kernel *k;
        int status;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
        }
        c.ov = bl_calloc((size_t)argc + 1, sizeof(*c.ov));
        if (c.ov == NULL) {
                fprintf(stderr, "ballot sim: out of memory\n");
                return EXIT_RUNTIME;
        }
        if (parse_args(&c, argc, argv) != 0) {
                usage(stderr);
                status = EXIT_USAGE;
                goto out;
        }
        if (bl_config_load(&cfg, strcmp(c.config, "-") == 0 ? NULL : c.config, c.ov, c.nov, 0,
                           &eb) != 0) {
                fprintf(stderr, "ballot sim: %s\n", eb.msg);
                status = EXIT_USAGE;
                goto out;
        }
        k = bl_kernel_find(cfg.experiment.repl);
        if (k == NULL || k->kind != BL_KERNEL_REPLICATION) {
                fprintf(stderr, "ballot sim: no replication kernel named '%s'\n",
                        cfg.experiment.repl);
                status = EXIT_USAGE;
                goto out;
        }
        bl_sim_opts_default(&o);
        if (strcmp(cfg.experiment.commit, "2pc") == 0) {
                /* Transactions: the config says which (validation ties a
                 * transaction workload to a commit kernel). */
                enum bl_txn_workload w = cfg.workload.type == BL_WL_BANK     ? BL_TXW_BANK
                                         : cfg.workload.type == BL_WL_YCSB_T ? BL_TXW_YCSB_T
                                                                             : BL_TXW_LIST_APPEND;

                bl_txn_params_from_config(&txp, w, &cfg, 0, 1);
                o.commit = BL_SIM_COMMIT_2PC;
                o.txn = &txp;
                o.txn_cc = (int)cfg.txn.cc;
                o.tpc_retry_ns = (uint64_t)cfg.txn.retry_ms * 1000000;
                o.tpc_timeout_ns = (uint64_t)cfg.txn.timeout_ms * 1000000;
                o.tpc_query_ns = (uint64_t)cfg.txn.query_ms * 1000000;
        } else if (strcmp(cfg.experiment.commit, "none") != 0) {
                fprintf(stderr,
                        "ballot sim: note: commit kernel '%s' is not simulated; running the "
                        "replication kernel '%s'\n",
                        cfg.experiment.commit, k->name);
        }
        o.kernel = k;
        o.cfg = &cfg;
        o.shards = cfg.cluster.shards;
        o.replicas = cfg.cluster.replicas;
        o.nodes = c.nodes ? c.nodes
                          : (cfg.cluster.replicas > cfg.cluster.shards ? cfg.cluster.replicas
                                                                       : cfg.cluster.shards);
        o.clients = c.clients;
        o.keys = c.keys;
        o.records = c.records;
        o.links = c.links;
        o.drop = c.drop;
        o.dup = c.dup;
        o.lat_min_ns = c.lat_min_us * 1000;
        o.lat_max_ns = c.lat_max_us * 1000;
        o.disk_append_min_ns = c.append_min_us * 1000;
        o.disk_append_max_ns = c.append_max_us * 1000;
        o.disk_sync_min_ns = c.sync_min_us * 1000;
        o.disk_sync_max_ns = c.sync_max_us * 1000;
        o.client_timeout_ns = (uint64_t)cfg.clients.timeout_ms * 1000000;
        o.fault_mask = c.faults;
        if (o.commit != BL_SIM_COMMIT_OFF && strcmp(k->name, "none") == 0 && c.nodes == 0) {
                /* 2pc/none: a node that holds no shard coordinates some
                 * clients, so a crash may hit a coordinator alone (2PC's
                 * blocking) as well as a participant (which comes back from
                 * its log). */
                o.nodes = o.shards + 1;
        }
        if (o.replicas > o.nodes) {
                fprintf(stderr, "ballot sim: --nodes %d is below cluster.replicas = %d\n", o.nodes,
                        o.replicas);
                status = EXIT_USAGE;
                goto out;
        }
        status = run_seeds(&c, &o, c.only_seed ? c.only_seed : cfg.experiment.seed, argc, argv);
out:
        bl_free(c.ov);
        return status;
}
