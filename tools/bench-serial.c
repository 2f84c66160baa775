/*
 * bench-serial: time the list-append serializability checker (src/check/serial.c).
 *
 * Histories come from tests/unit/txn_model.h: closed-loop clients, random
 * transactions of 1-4 micro-ops executed one at a time against a model, so
 * they are strictly serializable by construction. Scenarios vary the number
 * of clients (real-time edges grow with concurrency), the number of active
 * keys (contention, list length) and the share of unknown and failed
 * outcomes. Each history is then checked a second time with one read made
 * stale (a strict-serializability violation), which times the cycle search.
 *
 * Each valid history also goes through a result file, as `ballot check
 * FILE` sees it: written to /txn/history by the results writer (1-rank
 * MPI), then re-judged by bl_check_file (HDF5 read, rows checked and
 * rebuilt, the same checker).
 *
 * Usage: bench-serial [MAX_TXNS [SEED]]   (MAX_TXNS default 100000)
 * Output: one '#' header and fixed-width columns, one row per run: check_s
 * is wall time, cpu_s the checker's CPU time (txns/cpu_s from it), vals/tx
 * the values read per transaction, stale the verdict on the mutated copy,
 * write_s and file_s the result file's writing and `ballot check` on it
 * (wall time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "check/serial.h"
#include "check/txnhist.h"
#include "results/report.h"
#include "results/results.h"
#include "txn_model.h"

struct scenario {
        const char *name;
        uint32_t clients;
        uint32_t keys;
        double unknown, failed;
};

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of this process: the checker is single-threaded, and on a shared
 * machine wall time also counts the other tenants. */
static double cpu_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Does a committed read of key, after transaction i in the history (which
 * the model writes in execution order), hold at least len values? */
static int later_read(const struct bl_txn_history *h, size_t i, uint64_t key, uint32_t len)
{
        for (size_t k = i + 1; k < h->n && k < i + 2000; k++) {
                const struct bl_mop *m = bl_txn_mops(h, k);

                for (uint32_t x = 0; x < h->txns[k].nmops; x++)
                        if (h->txns[k].outcome == BL_OUT_OK && m[x].kind == BL_MOP_READ &&
                            m[x].key == key && m[x].len >= len)
                                return 1;
        }
        return 0;
}

/* Did a committed transaction before i append v and complete before t? */
static int done_before(const struct bl_txn_history *h, size_t i, uint64_t v, uint64_t t)
{
        for (size_t k = i; k-- > 0 && k + 2000 > i;) {
                const struct bl_mop *w = bl_txn_mops(h, k);

                for (uint32_t x = 0; x < h->txns[k].nmops; x++)
                        if (w[x].kind == BL_MOP_APPEND && w[x].value == v)
                                return h->txns[k].outcome == BL_OUT_OK &&
                                       h->txns[k].complete_ns < t;
        }
        return 0;
}

/* Drop the last value of a read whose writer completed before the reader
 * started, when a later read shows that value: a stale read. */
static int make_stale(struct bl_txn_history *h)
{
        for (size_t i = h->n / 2; i < h->n; i++) {
                struct bl_mop *m = h->mops + h->txns[i].first;

                if (h->txns[i].outcome != BL_OUT_OK)
                        continue;
                for (uint32_t j = 0; j < h->txns[i].nmops; j++) {
                        const uint64_t *l = bl_mop_list(h, &m[j]);

                        if (m[j].kind != BL_MOP_READ || m[j].len == 0 ||
                            !done_before(h, i, l[m[j].len - 1], h->txns[i].invoke_ns) ||
                            !later_read(h, i, m[j].key, m[j].len))
                                continue;
                        m[j].len--;
                        return 1;
                }
        }
        return 0;
}

/* Write h into a result file and time `ballot check` on it: *write_s and
 * *file_s in wall seconds. Returns 0 when the file passes the check. */
static int file_round_trip(const struct bl_txn_history *h, double *write_s, double *file_s)
{
        static const struct bl_cfg_entry cfg[] = {
            {"store", "records", "0"}, {"cluster", "shards", "1"}, {"cluster", "replicas", "1"}};
        struct bl_run_result r;
        struct bl_errbuf eb = {{0}};
        char path[] = "/tmp/bench-serial-XXXXXX";
        FILE *devnull = fopen("/dev/null", "w");
        double t0, t1;
        int fd = mkstemp(path), rc;

        if (fd < 0 || devnull == NULL) {
                if (devnull != NULL)
                        fclose(devnull);
                return 1;
        }
        close(fd);
        memset(&r, 0, sizeof(r));
        r.prov.name = "bench-serial";
        r.prov.n_config = 3;
        r.prov.config = cfg;
        r.global.txn.present = 1;
        r.local.txn_history = h;
        t0 = now_s();
        rc = bl_results_write(MPI_COMM_SELF, path, &r, &eb);
        t1 = now_s();
        if (rc == 0)
                rc = bl_check_file(path, 300, devnull, &eb);
        *write_s = t1 - t0;
        *file_s = now_s() - t1;
        if (rc != 0)
                printf("# result file: %s\n", eb.msg);
        fclose(devnull);
        unlink(path);
        return rc;
}

static const char *word(int rc, const struct bl_ser_result *r)
{
        if (rc != 0)
                return "ERROR";
        if (r->inconclusive)
                return "UNKNOWN";
        return r->strict == 1 ? "ok" : "anomaly";
}

static int run(const struct scenario *s, size_t n, uint64_t seed)
{
        struct bl_txn_history h;
        struct bl_ser_result r, rs;
        struct model_opts mo;
        double t0, t1, t2, t3, c1, c2, check_s, write_s = 0, file_s = 0;
        int rc, rcs, rcf, stale;

        bl_txn_history_init(&h);
        model_opts_default(&mo);
        mo.seed = seed;
        mo.txns = n;
        mo.clients = s->clients;
        mo.active_keys = s->keys;
        mo.unknown_frac = s->unknown;
        mo.fail_frac = s->failed;
        t0 = now_s();
        if (model_history(&mo, &h) != 0) {
                fprintf(stderr, "bench-serial: out of memory for %zu transactions\n", n);
                bl_txn_history_free(&h);
                return 1;
        }
        t1 = now_s();
        c1 = cpu_s();
        rc = bl_ser_check(&h, NULL, &r);
        c2 = cpu_s();
        t2 = now_s();
        check_s = t2 - t1;
        rcf = file_round_trip(&h, &write_s, &file_s);
        t2 = now_s();
        stale = make_stale(&h);
        rcs = bl_ser_check(&h, NULL, &rs);
        t3 = now_s();
        printf("%-16s %8zu %7u %5u %7.3f %8.3f %8.3f %9.0f %9llu %7.1f %-7s %8.3f %-7s %7.3f "
               "%7.3f %s\n",
               s->name, n, s->clients, s->keys, t1 - t0, check_s, c2 - c1, (double)n / (c2 - c1),
               (unsigned long long)r.edges, (double)h.nvals / (double)n, word(rc, &r), t3 - t2,
               stale ? word(rcs, &rs) : "-", write_s, file_s, rcf == 0 ? "ok" : "FAILED");
        if (rc != 0 || r.strict != 1)
                printf("# %s\n", r.reason);
        if (stale && (rcs != 0 || rs.strict != 0))
                printf("# stale read missed: %s\n", rs.reason);
        fflush(stdout);
        bl_txn_history_free(&h);
        return rc != 0 || r.strict != 1 || (stale && rs.strict != 0) || rcf != 0;
}

int main(int argc, char **argv)
{
        static const struct scenario scen[] = {
            {"c16-k8", 16, 8, 0, 0},
            {"c64-k8", 64, 8, 0, 0},
            {"c16-k64", 16, 64, 0, 0},
            {"c64-k64-unk", 64, 64, 0.02, 0.02},
        };
        size_t max = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
        uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
        int bad = 0;

        MPI_Init(&argc, &argv);
        printf("# %-14s %8s %7s %5s %7s %8s %8s %9s %9s %7s %-7s %8s %-7s %7s %7s %s\n", "scenario",
               "txns", "clients", "keys", "gen_s", "check_s", "cpu_s", "txns/cpu_s", "edges",
               "vals/tx", "result", "stale_s", "stale", "write_s", "file_s", "file");
        for (size_t i = 0; i < sizeof(scen) / sizeof(scen[0]); i++)
                for (size_t n = 10000; n <= max; n *= 10)
                        bad |= run(&scen[i], n, seed);
        MPI_Finalize();
        return bad;
}
