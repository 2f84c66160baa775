/* Unit tests for the results module: HDF5 writer, reader, report and info (src/results). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "common/alloc.h"
#include "common/events.h"
#include "common/version.h"
#include "results/report.h"
#include "results/results.h"
#include "results/schema.h"
#include "store/cmd.h"

/*
 * Run without mpirun (Open MPI singleton) for the full suite: first the
 * reader and report tests that must work before MPI_Init, then everything
 * else on a 1-rank MPI_COMM_WORLD. Under `mpirun -n N` (N > 1) only the
 * collective tests run, checking that each rank's rows land in place;
 * rank 0 verifies and broadcasts the verdict so no rank hangs on a failure.
 */

#define NB   10 /* histogram buckets */
#define NT   3  /* message types */
#define MAXR 16 /* ranks the fixture supports */

#define CSV_HEADER                                                                                 \
        "name,kernel,ranks,shards,replicas,workload,ops_per_s,p50_us,p99_us,p999_us,rtt_us,"       \
        "p50_rtt,msg_rate,msgs_per_op,bytes_per_op,verdict"

/* The transaction columns that close the CSV (empty for other runs). */
#define TXN_CSV                                                                                    \
        ",txn_per_s,abort_ratio,commit_p50_us,commit_p99_us,commit_p50_rtt,block_mean_ms,"         \
        "block_max_ms,in_doubt_max"

/* Storage behind one struct bl_run_result. */
struct run {
        char name[64];
        char host[64];
        char cpuset[32];
        char cores[16];
        struct bl_cfg_entry config[6];
        const char *msg_names[NT];
        uint64_t sent_count[NT], sent_bytes[NT], recv_count[NT], recv_bytes[NT];
        double rtt[MAXR];
        struct bl_replica_info replicas[MAXR + 1];
        struct bl_event_rec events[MAXR + 2];
        struct bl_history_rec history[MAXR + 1];
        struct bl_op_summary summary[3];
        uint64_t hist[3 * NB], low[NB], high[NB];
        double ts_t[4], ts_p99[4];
        uint64_t ts_ops[4], ts_errors[4];
        struct bl_verdict_row verdicts[2];
        struct bl_run_result r;
};

struct fx {
        int mpi; /* MPI initialized */
        int rank;
        int size;
        char dir[128];
        char path[256];
        struct run run;
};

/* ---- expected values, shared by the writer input and the checks ---------- */

static uint64_t exp_sent(int rank, int t)
{
        return 100 * (uint64_t)(rank + 1) + (uint64_t)t;
}

static double exp_rtt(int from, int to)
{
        return from == to ? 0 : 1000 + 10 * from + to;
}

static int n_replicas(int rank)
{
        return rank + 1;
}

static int n_events(int rank)
{
        return rank + 2;
}

static int n_history(int rank)
{
        return rank + 1;
}

static struct bl_event_rec exp_event(int rank, int i)
{
        struct bl_event_rec e = {.t_ns = 1000 * i + rank,
                                 .rank = rank,
                                 .type = i % BL_EV__COUNT,
                                 .a = i,
                                 .b = 10 * rank};
        return e;
}

static struct bl_replica_info exp_replica(int rank, int i)
{
        struct bl_replica_info x = {.shard = i,
                                    .member = rank,
                                    .rank = rank,
                                    .applied = 1000 + (uint64_t)i,
                                    .digest = 0xabcdef0123456789ULL + (uint64_t)i,
                                    .term = 3,
                                    .commit = 999 + (uint64_t)i,
                                    .mem_bytes = 4096 * (uint64_t)(i + 1)};
        return x;
}

static struct bl_history_rec exp_history(int rank, int i)
{
        struct bl_history_rec h = {.client = (uint32_t)(rank * 10 + i),
                                   .op = i % BL_OP__COUNT,
                                   .outcome = i % 3, /* ok, fail, unknown */
                                   .key = 7 + (uint64_t)i,
                                   .arg = 100 + (uint64_t)i,
                                   .ret = 200 + (uint64_t)i,
                                   .ret_status = 0,
                                   .invoke_ns = 5000 * i,
                                   .return_ns = 5000 * i + 1234};
        return h;
}

static const uint64_t hist_read[NB] = {0, 500, 300, 100, 50, 30, 10, 5, 4, 1};
static const uint64_t hist_update[NB] = {0, 0, 200, 150, 100, 30, 15, 3, 1, 1};

/*
 * A realistic result: 2 op types (+ "all" when with_all), 10 buckets of
 * 10 us, 3 message types, rank-dependent per-rank rows. On ranks other than
 * 0 the global part is deliberately bogus: the writer must not use it.
 */
static void fill_run(struct run *u, int rank, int size, const char *name, int with_all)
{
        struct bl_run_result *r = &u->r;

        memset(u, 0, sizeof(*u));
        snprintf(u->name, sizeof(u->name), "%s", name);
        snprintf(u->host, sizeof(u->host), "node-%d", rank);
        snprintf(u->cpuset, sizeof(u->cpuset), "0x%08x", 1u << rank);
        snprintf(u->cores, sizeof(u->cores), "%d", rank);

        u->config[0] = (struct bl_cfg_entry){"experiment", "name", u->name};
        u->config[1] = (struct bl_cfg_entry){"experiment", "output_dir", "/tmp/results"};
        u->config[2] = (struct bl_cfg_entry){"cluster", "shards", "2"};
        u->config[3] = (struct bl_cfg_entry){"cluster", "replicas", "3"};
        u->config[4] = (struct bl_cfg_entry){"workload", "type", "ycsb-a"};
        u->config[5] = (struct bl_cfg_entry){"raft", "heartbeat_ms", "50"};
        r->prov = (struct bl_provenance){
            .name = u->name,
            .kernel = "raft",
            .repl_kernel = "raft",
            .commit_kernel = "none",
            .workload = "ycsb-a",
            .command_line = "ballot run configs/x.ini --set cluster.shards=2",
            .seed = 42,
            .start_time = "2024-05-01T12:00:00Z",
            .hwloc_version = "2.9.0",
            .idle_policy = "yield",
            .pinning_policy = "core",
            .history = 1,
            .n_config = 6,
            .config = u->config,
        };

        u->msg_names[0] = "append";
        u->msg_names[1] = "append_reply";
        u->msg_names[2] = "client_request";
        for (int t = 0; t < NT; t++) {
                u->sent_count[t] = exp_sent(rank, t);
                u->sent_bytes[t] = 64 * exp_sent(rank, t);
                u->recv_count[t] = exp_sent(rank, t) + 1;
                u->recv_bytes[t] = 64 * exp_sent(rank, t) + 1;
        }
        for (int j = 0; j < size && j < MAXR; j++)
                u->rtt[j] = exp_rtt(rank, j);
        for (int i = 0; i < n_replicas(rank); i++)
                u->replicas[i] = exp_replica(rank, i);
        for (int i = 0; i < n_events(rank); i++)
                u->events[i] = exp_event(rank, i);
        for (int i = 0; i < n_history(rank); i++)
                u->history[i] = exp_history(rank, i);
        r->local = (struct bl_run_local){
            .hostname = u->host,
            .binding = {.cpuset = u->cpuset,
                        .numa_node = rank % 2,
                        .package = 0,
                        .cores = u->cores},
            .clock_offset_ns = 100 * rank,
            .n_msg_types = NT,
            .msg_type_names = u->msg_names,
            .sent_count = u->sent_count,
            .sent_bytes = u->sent_bytes,
            .recv_count = u->recv_count,
            .recv_bytes = u->recv_bytes,
            .rtt_ns = u->rtt,
            .n_replicas = (size_t)n_replicas(rank),
            .replicas = u->replicas,
            .n_events = (size_t)n_events(rank),
            .events = u->events,
            .n_history = (size_t)n_history(rank),
            .history = u->history,
        };

        if (rank != 0) {
                r->global.n_ops = 99; /* bogus on purpose */
                r->global.n_verdicts = 7;
                r->global.n_intervals = 1000;
                r->global.verdict = "bogus";
                return;
        }
        u->summary[0] = (struct bl_op_summary){"read", 1000, 2, 12.5, 10, 20, 40, 80, 100, 0};
        u->summary[1] = (struct bl_op_summary){"update", 500, 1, 25, 20, 40, 80, 160, 200, 0};
        u->summary[2] = (struct bl_op_summary){"all", 1500, 3, 16.5, 12, 30, 70, 150, 200, 0};
        for (int b = 0; b < NB; b++) {
                u->low[b] = 10000 * (uint64_t)b;
                u->high[b] = 10000 * (uint64_t)(b + 1);
                u->hist[b] = hist_read[b];
                u->hist[NB + b] = hist_update[b];
                u->hist[2 * NB + b] = hist_read[b] + hist_update[b];
        }
        for (int i = 0; i < 4; i++) {
                u->ts_t[i] = 0.025 * (i + 1);
                u->ts_ops[i] = 375 + (uint64_t)i;
                u->ts_errors[i] = (uint64_t)(i == 2);
                u->ts_p99[i] = 70 + i;
        }
        u->verdicts[0] =
            (struct bl_verdict_row){"replica_digests", BL_VERDICT_PASS, "2 shards agree"};
        u->verdicts[1] =
            (struct bl_verdict_row){"linearizable", BL_VERDICT_INCONCLUSIVE, "time limit"};
        r->global = (struct bl_run_global){
            .n_ops = with_all ? 3 : 2,
            .summary = u->summary,
            .n_buckets = NB,
            .hist_counts = u->hist,
            .bucket_low_ns = u->low,
            .bucket_high_ns = u->high,
            .ops = 1500,
            .errors = 3,
            .ops_per_s = 15000.5,
            .duration_s = 0.1,
            .warmup_ops = 100,
            .median_rtt_ns = 2500,
            .msg_rate_per_s = 1.5e6,
            .rtt_p50_ns = 2500,
            .rtt_p90_ns = 3000,
            .rtt_p99_ns = 4000,
            .rtt_max_ns = 9000,
            .p50_rtt = 4.8,
            .msgs_per_op = 4.5,
            .bytes_per_op = 320.25,
            .offered_per_s = 16000.25,
            .achieved_per_s = 14999.5,
            .mpi_msgs_per_op = 3.25,
            .fsync_p50_us = 2500,
            .fsync_p99_us = 9000,
            .write_mbps = 400,
            .syncs_per_op = 0.5,
            .disk_bytes_per_op = 2048,
            .interval_s = 0.025,
            .n_intervals = 4,
            .ts_t_s = u->ts_t,
            .ts_ops = u->ts_ops,
            .ts_errors = u->ts_errors,
            .ts_p99_us = u->ts_p99,
            .n_verdicts = 2,
            .verdicts = u->verdicts,
            .verdict = "pass",
            .mem_max_bytes = 123456789,
        };
}

/* ---- fixture and file helpers ------------------------------------------- */

static void rm_tree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char p[512];
        struct stat st;

        if (d == NULL)
                return;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        rm_tree(p);
                else
                        unlink(p);
        }
        closedir(d);
        rmdir(dir);
}

static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (d == NULL)
                return -1;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));

        if (f == NULL)
                return -1;
        MPI_Initialized(&f->mpi);
        f->size = 1;
        if (f->mpi) {
                MPI_Comm_rank(MPI_COMM_WORLD, &f->rank);
                MPI_Comm_size(MPI_COMM_WORLD, &f->size);
        }
        if (f->rank == 0) {
                snprintf(f->dir, sizeof(f->dir), "/tmp/bl_test_results_XXXXXX");
                if (mkdtemp(f->dir) == NULL)
                        return -1;
        }
        if (f->mpi)
                MPI_Bcast(f->dir, sizeof(f->dir), MPI_CHAR, 0, MPI_COMM_WORLD);
        snprintf(f->path, sizeof(f->path), "%s/run.h5", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        if (f->mpi)
                MPI_Barrier(MPI_COMM_WORLD);
        if (f->rank == 0)
                rm_tree(f->dir);
        free(f);
        return 0;
}

static void write_text(const char *path, const char *text)
{
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

/* Write a run named name at path (collective). Returns the writer's code. */
static int write_run(struct fx *f, const char *path, const char *name, double ops_per_s,
                     struct bl_errbuf *eb)
{
        fill_run(&f->run, f->rank, f->size, name, 1);
        if (f->rank == 0)
                f->run.r.global.ops_per_s = ops_per_s;
        return bl_results_write(MPI_COMM_WORLD, path, &f->run.r, eb);
}

/* Run bl_report_main on args, capturing stdout and stderr. */
static int run_report(int argc, const char **args, char **out, char **err)
{
        size_t lo = 0, le = 0;
        FILE *fo = open_memstream(out, &lo);
        FILE *fe = open_memstream(err, &le);
        char *argv[16];
        int status;

        assert_true(argc < 16);
        for (int i = 0; i < argc; i++)
                argv[i] = (char *)args[i];
        argv[argc] = NULL;
        status = bl_report_main(argc, argv, fo, fe);
        fclose(fo);
        fclose(fe);
        return status;
}

/* The n-th line (0-based) of text into buf; 0 if there is none. */
static int line_of(const char *text, int n, char *buf, size_t size)
{
        const char *p = text;

        for (int i = 0; i < n; i++) {
                p = strchr(p, '\n');
                if (p == NULL)
                        return 0;
                p++;
        }
        if (*p == '\0')
                return 0;
        size_t len = strcspn(p, "\n");
        if (len >= size)
                len = size - 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        return 1;
}

static int count_lines(const char *text)
{
        int n = 0;

        for (; *text != '\0'; text++)
                n += *text == '\n';
        return n;
}

/* ---- checks with the plain HDF5 API, counted so rank 0 can report ----- */

#define CHECK(c)                                                                                   \
        do {                                                                                       \
                if (!(c)) {                                                                        \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
                        nfail++;                                                                   \
                }                                                                                  \
        } while (0)

static int64_t h5_attr_i64(hid_t obj, const char *name)
{
        int64_t v = -999;
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);

        if (a >= 0) {
                if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0)
                        v = -999;
                H5Aclose(a);
        }
        return v;
}

static double h5_attr_f64(hid_t obj, const char *name)
{
        double v = NAN;
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);

        if (a >= 0) {
                H5Aread(a, H5T_NATIVE_DOUBLE, &v);
                H5Aclose(a);
        }
        return v;
}

/* A variable-length string attribute into buf ("" if absent). */
static void h5_attr_str(hid_t obj, const char *name, char *buf, size_t size)
{
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        hid_t t = H5Tcopy(H5T_C_S1);
        char *v = NULL;

        buf[0] = '\0';
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8); /* the schema's strings are UTF-8 */
        if (a >= 0 && H5Aread(a, t, &v) >= 0 && v != NULL) {
                snprintf(buf, size, "%s", v);
                H5free_memory(v);
        }
        if (a >= 0)
                H5Aclose(a);
        H5Tclose(t);
}

/* Dimensions of a dataset; returns ndims or -1. */
static int h5_dims(hid_t file, const char *path, hsize_t *dims)
{
        hid_t d = H5Dopen2(file, path, H5P_DEFAULT), sp;
        int n = -1;

        if (d < 0)
                return -1;
        sp = H5Dget_space(d);
        n = H5Sget_simple_extent_dims(sp, dims, NULL);
        H5Sclose(sp);
        H5Dclose(d);
        return n;
}

/* Read a whole dataset with memory type mt into buf. Returns 0 or -1. */
static int h5_read(hid_t file, const char *path, hid_t mt, void *buf)
{
        hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
        herr_t e;

        if (d < 0)
                return -1;
        e = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(d);
        return e < 0 ? -1 : 0;
}

static int events_total(int size)
{
        int n = 0;

        for (int r = 0; r < size; r++)
                n += n_events(r);
        return n;
}

static int check_events(hid_t file, int size)
{
        int nfail = 0, n = events_total(size), row = 0;
        struct bl_event_rec *ev = calloc((size_t)n, sizeof(*ev));
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(*ev)), ft, tt;
        hsize_t dims[2];
        char name[64] = "";
        int32_t v = BL_EV_ELECTION;

        H5Tinsert(mt, BL_SC_T_NS, offsetof(struct bl_event_rec, t_ns), H5T_NATIVE_INT64);
        H5Tinsert(mt, BL_SC_RANK, offsetof(struct bl_event_rec, rank), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_TYPE, offsetof(struct bl_event_rec, type), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_A, offsetof(struct bl_event_rec, a), H5T_NATIVE_INT64);
        H5Tinsert(mt, BL_SC_B, offsetof(struct bl_event_rec, b), H5T_NATIVE_INT64);
        CHECK(h5_dims(file, BL_SP_EVENTS, dims) == 1 && dims[0] == (hsize_t)n);
        CHECK(h5_read(file, BL_SP_EVENTS, mt, ev) == 0);
        for (int r = 0; r < size; r++) {
                for (int i = 0; i < n_events(r); i++, row++) {
                        struct bl_event_rec e = exp_event(r, i);

                        CHECK(ev[row].t_ns == e.t_ns && ev[row].rank == e.rank &&
                              ev[row].type == e.type && ev[row].a == e.a && ev[row].b == e.b);
                }
        }
        /* The type column is an enum named after common/events.h. */
        hid_t d = H5Dopen2(file, BL_SP_EVENTS, H5P_DEFAULT);
        ft = H5Dget_type(d);
        tt = H5Tget_member_type(ft, (unsigned)H5Tget_member_index(ft, BL_SC_TYPE));
        CHECK(H5Tget_class(tt) == H5T_ENUM);
        CHECK(H5Tenum_nameof(tt, &v, name, sizeof(name)) >= 0 &&
              strcmp(name, bl_event_name(BL_EV_ELECTION)) == 0);
        CHECK(H5Aexists(d, BL_SA_TYPE_ARGS) > 0);
        H5Tclose(tt);
        H5Tclose(ft);
        H5Dclose(d);
        H5Tclose(mt);
        free(ev);
        return nfail;
}

static int check_replicas_history(hid_t file, int size)
{
        struct hrow {
                int32_t rank;
                uint32_t client;
                int32_t op;
                int32_t outcome;
                uint64_t key;
                int64_t invoke_ns;
                int64_t return_ns;
        };
        int nfail = 0, nrep = 0, nhist = 0, row = 0;
        struct bl_replica_info *rep;
        struct hrow *h;
        hid_t mt;
        hsize_t dims[2];

        for (int r = 0; r < size; r++) {
                nrep += n_replicas(r);
                nhist += n_history(r);
        }
        rep = calloc((size_t)nrep, sizeof(*rep));
        h = calloc((size_t)nhist, sizeof(*h));
        mt = H5Tcreate(H5T_COMPOUND, sizeof(*rep));
        H5Tinsert(mt, BL_SC_SHARD, offsetof(struct bl_replica_info, shard), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_MEMBER, offsetof(struct bl_replica_info, member), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_RANK, offsetof(struct bl_replica_info, rank), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_APPLIED, offsetof(struct bl_replica_info, applied), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_DIGEST, offsetof(struct bl_replica_info, digest), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_TERM, offsetof(struct bl_replica_info, term), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_COMMIT, offsetof(struct bl_replica_info, commit), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_MEM_BYTES, offsetof(struct bl_replica_info, mem_bytes),
                  H5T_NATIVE_UINT64);
        CHECK(h5_dims(file, BL_SP_REPLICAS, dims) == 1 && dims[0] == (hsize_t)nrep);
        CHECK(h5_read(file, BL_SP_REPLICAS, mt, rep) == 0);
        for (int r = 0; r < size; r++)
                for (int i = 0; i < n_replicas(r); i++, row++)
                        CHECK(rep[row].shard == exp_replica(r, i).shard && rep[row].rank == r &&
                              rep[row].applied == exp_replica(r, i).applied &&
                              rep[row].digest == exp_replica(r, i).digest &&
                              rep[row].commit == exp_replica(r, i).commit &&
                              rep[row].mem_bytes == exp_replica(r, i).mem_bytes);
        H5Tclose(mt);

        mt = H5Tcreate(H5T_COMPOUND, sizeof(*h));
        H5Tinsert(mt, BL_SC_RANK, offsetof(struct hrow, rank), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_CLIENT, offsetof(struct hrow, client), H5T_NATIVE_UINT32);
        H5Tinsert(mt, BL_SC_OP, offsetof(struct hrow, op), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_OUTCOME, offsetof(struct hrow, outcome), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_KEY, offsetof(struct hrow, key), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_INVOKE_NS, offsetof(struct hrow, invoke_ns), H5T_NATIVE_INT64);
        H5Tinsert(mt, BL_SC_RETURN_NS, offsetof(struct hrow, return_ns), H5T_NATIVE_INT64);
        CHECK(h5_dims(file, BL_SP_HISTORY, dims) == 1 && dims[0] == (hsize_t)nhist);
        CHECK(h5_read(file, BL_SP_HISTORY, mt, h) == 0);
        row = 0;
        for (int r = 0; r < size; r++) {
                for (int i = 0; i < n_history(r); i++, row++) {
                        struct bl_history_rec e = exp_history(r, i);

                        CHECK(h[row].rank == r && h[row].client == e.client && h[row].op == e.op &&
                              h[row].outcome == e.outcome && h[row].key == e.key &&
                              h[row].invoke_ns == e.invoke_ns && h[row].return_ns == e.return_ns);
                }
        }
        H5Tclose(mt);
        free(rep);
        free(h);
        return nfail;
}

static int check_per_rank(hid_t file, int size)
{
        struct trow {
                int32_t rank;
                char hostname[32];
                char cpuset[32];
                int32_t numa_node;
                int64_t clock_offset_ns;
        };
        int nfail = 0;
        double *rtt = calloc((size_t)(size * size), sizeof(*rtt));
        uint64_t *sent = calloc((size_t)(size * NT), sizeof(*sent));
        struct trow *t = calloc((size_t)size, sizeof(*t));
        char(*hosts)[32] = calloc((size_t)size, sizeof(*hosts));
        hid_t st = H5Tcopy(H5T_C_S1), mt;
        hsize_t dims[2];
        char want[64];

        H5Tset_size(st, 32);
        H5Tset_cset(st, H5T_CSET_UTF8);
        CHECK(h5_dims(file, BL_SP_RTT_NS, dims) == 2 && dims[0] == (hsize_t)size &&
              dims[1] == (hsize_t)size);
        CHECK(h5_read(file, BL_SP_RTT_NS, H5T_NATIVE_DOUBLE, rtt) == 0);
        for (int i = 0; i < size; i++)
                for (int j = 0; j < size; j++)
                        CHECK(rtt[i * size + j] == exp_rtt(i, j));
        CHECK(h5_dims(file, BL_SP_MESSAGES "/" BL_SN_SENT_COUNT, dims) == 2 &&
              dims[0] == (hsize_t)size && dims[1] == NT);
        CHECK(h5_read(file, BL_SP_MESSAGES "/" BL_SN_SENT_COUNT, H5T_NATIVE_UINT64, sent) == 0);
        for (int i = 0; i < size; i++)
                for (int j = 0; j < NT; j++)
                        CHECK(sent[i * NT + j] == exp_sent(i, j));
        CHECK(h5_read(file, BL_SP_MESSAGES "/" BL_SN_RECV_BYTES, H5T_NATIVE_UINT64, sent) == 0);
        for (int i = 0; i < size; i++)
                CHECK(sent[i * NT + 1] == 64 * exp_sent(i, 1) + 1);
        CHECK(h5_read(file, BL_SP_HOSTNAMES, st, hosts) == 0);
        mt = H5Tcreate(H5T_COMPOUND, sizeof(*t));
        H5Tinsert(mt, BL_SC_RANK, offsetof(struct trow, rank), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_HOSTNAME, offsetof(struct trow, hostname), st);
        H5Tinsert(mt, BL_SC_CPUSET, offsetof(struct trow, cpuset), st);
        H5Tinsert(mt, BL_SC_NUMA_NODE, offsetof(struct trow, numa_node), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_CLOCK_OFFSET_NS, offsetof(struct trow, clock_offset_ns),
                  H5T_NATIVE_INT64);
        CHECK(h5_read(file, BL_SP_TOPOLOGY_RANKS, mt, t) == 0);
        for (int i = 0; i < size; i++) {
                snprintf(want, sizeof(want), "node-%d", i);
                CHECK(strcmp(hosts[i], want) == 0);
                CHECK(t[i].rank == i && strcmp(t[i].hostname, want) == 0);
                snprintf(want, sizeof(want), "0x%08x", 1u << i);
                CHECK(strcmp(t[i].cpuset, want) == 0);
                CHECK(t[i].numa_node == i % 2 && t[i].clock_offset_ns == 100 * i);
        }
        hid_t g = H5Gopen2(file, BL_SP_MESSAGES, H5P_DEFAULT);
        uint64_t total = 0;
        for (int i = 0; i < size; i++)
                for (int j = 0; j < NT; j++)
                        total += exp_sent(i, j);
        CHECK(h5_attr_i64(g, BL_SA_TOTAL_SENT_COUNT) == (int64_t)total);
        H5Gclose(g);
        H5Tclose(mt);
        H5Tclose(st);
        free(rtt);
        free(sent);
        free(t);
        free(hosts);
        return nfail;
}

static int check_global(hid_t file)
{
        struct srow {
                char op[16];
                uint64_t count;
                double p50_us, p999_us;
        } s[3];
        struct vrow {
                char name[32];
                int32_t result;
                char reason[32];
        } v[2];
        int nfail = 0;
        hsize_t dims[2];
        uint64_t c[NB], ops[4];
        char buf[256];
        unsigned maj, min, rel;
        hid_t st = H5Tcopy(H5T_C_S1), mt, g;

        H5Tset_size(st, 16);
        H5Tset_cset(st, H5T_CSET_UTF8);
        mt = H5Tcreate(H5T_COMPOUND, sizeof(s[0]));
        H5Tinsert(mt, BL_SC_OP, offsetof(struct srow, op), st);
        H5Tinsert(mt, BL_SC_COUNT, offsetof(struct srow, count), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_P50_US, offsetof(struct srow, p50_us), H5T_NATIVE_DOUBLE);
        H5Tinsert(mt, BL_SC_P999_US, offsetof(struct srow, p999_us), H5T_NATIVE_DOUBLE);
        CHECK(h5_dims(file, BL_SP_SUMMARY, dims) == 1 && dims[0] == 3);
        CHECK(h5_read(file, BL_SP_SUMMARY, mt, s) == 0);
        CHECK(strcmp(s[0].op, "read") == 0 && s[0].count == 1000 && s[0].p50_us == 10);
        CHECK(strcmp(s[1].op, "update") == 0 && s[1].p999_us == 160);
        CHECK(strcmp(s[2].op, "all") == 0 && s[2].count == 1500);
        H5Tclose(mt);

        H5Tset_size(st, 32);
        mt = H5Tcreate(H5T_COMPOUND, sizeof(v[0]));
        H5Tinsert(mt, BL_SC_NAME, offsetof(struct vrow, name), st);
        H5Tinsert(mt, BL_SC_RESULT, offsetof(struct vrow, result), H5T_NATIVE_INT32);
        H5Tinsert(mt, BL_SC_REASON, offsetof(struct vrow, reason), st);
        CHECK(h5_read(file, BL_SP_VERDICTS, mt, v) == 0);
        CHECK(strcmp(v[0].name, "replica_digests") == 0 && v[0].result == BL_VERDICT_PASS &&
              strcmp(v[0].reason, "2 shards agree") == 0);
        CHECK(strcmp(v[1].name, "linearizable") == 0 && v[1].result == BL_VERDICT_INCONCLUSIVE);
        H5Tclose(mt);

        CHECK(h5_dims(file, BL_SP_BUCKET_LOW_NS, dims) == 1 && dims[0] == NB);
        CHECK(h5_read(file, BL_SP_BUCKET_HIGH_NS, H5T_NATIVE_UINT64, c) == 0 && c[3] == 40000);
        CHECK(h5_read(file, BL_SP_LATENCY "/update/" BL_SN_COUNTS, H5T_NATIVE_UINT64, c) == 0);
        CHECK(memcmp(c, hist_update, sizeof(c)) == 0);
        CHECK(h5_read(file, BL_SP_LATENCY "/all/" BL_SN_COUNTS, H5T_NATIVE_UINT64, c) == 0 &&
              c[1] == 500 && c[2] == 500);
        CHECK(h5_read(file, BL_SP_TIMESERIES "/" BL_SN_TS_OPS, H5T_NATIVE_UINT64, ops) == 0 &&
              ops[0] == 375 && ops[3] == 378);

        g = H5Gopen2(file, BL_SP_CONFIG, H5P_DEFAULT);
        h5_attr_str(g, BL_SCFG_SHARDS, buf, sizeof(buf));
        CHECK(strcmp(buf, "2") == 0);
        h5_attr_str(g, "experiment.output_dir", buf, sizeof(buf));
        CHECK(strcmp(buf, "/tmp/results") == 0);
        H5Gclose(g);
        CHECK(h5_dims(file, BL_SP_CONFIG_OPTIONS, dims) == 1 && dims[0] == 6);

        g = H5Gopen2(file, BL_SP_PROVENANCE, H5P_DEFAULT);
        h5_attr_str(g, BL_SA_MPI_VERSION, buf, sizeof(buf));
        CHECK(buf[0] != '\0'); /* filled in by the writer */
        H5get_libversion(&maj, &min, &rel);
        char want[64];
        snprintf(want, sizeof(want), "%u.%u.%u", maj, min, rel);
        h5_attr_str(g, BL_SA_HDF5_VERSION, buf, sizeof(buf));
        CHECK(strcmp(buf, want) == 0);
        h5_attr_str(g, BL_SA_COMMAND_LINE, buf, sizeof(buf));
        CHECK(strstr(buf, "--set cluster.shards=2") != NULL);
        H5Gclose(g);

        g = H5Gopen2(file, BL_SP_BASELINE, H5P_DEFAULT);
        CHECK(h5_attr_f64(g, BL_SA_MEDIAN_RTT_NS) == 2500);
        CHECK(h5_attr_f64(g, BL_SA_RTT_P99_NS) == 4000);
        H5Gclose(g);
        g = H5Dopen2(file, BL_SP_SUMMARY, H5P_DEFAULT);
        CHECK(h5_attr_i64(g, BL_SA_WARMUP_OPS) == 100);
        CHECK(h5_attr_i64(g, BL_SA_MEM_MAX_BYTES) == 123456789);
        h5_attr_str(g, BL_SA_DESCRIPTION, buf, sizeof(buf));
        CHECK(strstr(buf, "us") != NULL);
        H5Dclose(g);
        H5Tclose(st);
        return nfail;
}

/* Every check of a file written by fill_run on `size` ranks. Returns failures. */
static int verify_layout(const char *path, int size)
{
        static const char *const paths[] = {
            BL_SP_PROVENANCE, BL_SP_HOSTNAMES,      BL_SP_CONFIG,         BL_SP_CONFIG_OPTIONS,
            BL_SP_TOPOLOGY,   BL_SP_TOPOLOGY_RANKS, BL_SP_BASELINE,       BL_SP_RTT_NS,
            BL_SP_SUMMARY,    BL_SP_LATENCY,        BL_SP_BUCKET_LOW_NS,  BL_SP_BUCKET_HIGH_NS,
            BL_SP_TIMESERIES, BL_SP_MESSAGES,       BL_SP_MSG_TYPE_NAMES, BL_SP_REPLICAS,
            BL_SP_EVENTS,     BL_SP_VERDICTS,       BL_SP_HISTORY,
        };
        int nfail = 0;
        char buf[256];
        hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);

        CHECK(file >= 0);
        if (file < 0)
                return nfail;
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                CHECK(H5Lexists(file, paths[i], H5P_DEFAULT) > 0);
        CHECK(H5Lexists(file, BL_SP_LATENCY "/read", H5P_DEFAULT) > 0 &&
              H5Lexists(file, BL_SP_LATENCY "/read/" BL_SN_COUNTS, H5P_DEFAULT) > 0);
        CHECK(h5_attr_i64(file, BL_SA_SCHEMA_VERSION) == BL_SCHEMA_VERSION);
        CHECK(h5_attr_i64(file, BL_SA_NRANKS) == size);
        CHECK(h5_attr_i64(file, BL_SA_SEED) == 42);
        CHECK(h5_attr_f64(file, BL_SA_OPS_PER_S) == 15000.5);
        CHECK(h5_attr_f64(file, BL_SA_P99_US) == 70);
        h5_attr_str(file, BL_SA_FORMAT, buf, sizeof(buf));
        CHECK(strcmp(buf, BL_SCHEMA_FORMAT) == 0);
        h5_attr_str(file, BL_SA_BALLOT_VERSION, buf, sizeof(buf));
        CHECK(strcmp(buf, bl_version()) == 0);
        h5_attr_str(file, BL_SA_VERDICT, buf, sizeof(buf));
        CHECK(strcmp(buf, "pass") == 0);
        h5_attr_str(file, BL_SA_START_TIME, buf, sizeof(buf));
        CHECK(strcmp(buf, "2024-05-01T12:00:00Z") == 0);
        h5_attr_str(file, BL_SA_LAYOUT, buf, sizeof(buf));
        CHECK(strstr(buf, BL_SP_SUMMARY) != NULL);
        nfail += check_per_rank(file, size);
        nfail += check_events(file, size);
        nfail += check_replicas_history(file, size);
        nfail += check_global(file);
        H5Fclose(file);
        return nfail;
}

static void check_row(const struct bl_report_row *row, const char *name, int ranks,
                      double ops_per_s, const char *path)
{
        assert_string_equal(row->name, name);
        assert_string_equal(row->kernel, "raft");
        assert_int_equal(row->ranks, ranks);
        assert_int_equal(row->shards, 2);
        assert_int_equal(row->replicas, 3);
        assert_string_equal(row->workload, "ycsb-a");
        assert_true(row->ops_per_s == ops_per_s);
        assert_true(row->p50_us == 12);
        assert_true(row->p99_us == 70);
        assert_true(row->p999_us == 150);
        assert_true(row->rtt_us == 2.5);
        assert_true(row->p50_rtt == 4.8);
        assert_true(row->msg_rate == 1.5e6);
        assert_true(row->msgs_per_op == 4.5);
        assert_true(row->errors == 3);
        assert_true(row->offered_per_s == 16000.25);
        assert_true(row->achieved_per_s == 14999.5);
        assert_true(row->mpi_msgs_per_op == 3.25);
        assert_true(row->bytes_per_op == 320.25);
        assert_string_equal(row->verdict, "pass");
        assert_string_equal(row->file, path);
}

/* ---- collective tests (any number of ranks) -------------------------------- */

/* Every rank's rows in place; the report row; no temporary file left. */
static void test_write_layout(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;
        int rc = write_run(f, f->path, "layout", 15000.5, &eb);
        int nfail = 0;

        if (rc != 0)
                fprintf(stderr, "rank %d: %s\n", f->rank, eb.msg);
        assert_int_equal(rc, 0);
        if (f->rank == 0) {
                nfail = verify_layout(f->path, f->size);
                CHECK(count_entries(f->dir) == 1); /* run.h5 only: the tmp file is gone */
                rc = bl_results_read_row(f->path, &row, &eb);
                CHECK(rc == 0);
                if (rc == 0 && (strcmp(row.name, "layout") != 0 || row.ranks != f->size ||
                                row.p99_us != 70 || strcmp(row.verdict, "pass") != 0))
                        nfail++;
        }
        MPI_Bcast(&nfail, 1, MPI_INT, 0, MPI_COMM_WORLD);
        assert_int_equal(nfail, 0);
}

/* The directory does not exist: the same error everywhere, nothing created. */
static void test_write_missing_dir(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        char path[300], msgs[2][BL_ERRMSG_SIZE];
        int rc, rcs[2];

        snprintf(path, sizeof(path), "%s/nonexistent/run.h5", f->dir);
        rc = write_run(f, path, "x", 1, &eb);
        assert_int_equal(rc, BL_EHDF5);
        assert_non_null(strstr(eb.msg, "nonexistent/run.h5"));
        assert_non_null(strstr(eb.msg, ".tmp."));
        /* Same code and message on every rank. */
        MPI_Allreduce(&rc, &rcs[0], 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(&rc, &rcs[1], 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        assert_int_equal(rcs[0], rcs[1]);
        memcpy(msgs[0], eb.msg, sizeof(eb.msg));
        memcpy(msgs[1], eb.msg, sizeof(eb.msg));
        MPI_Bcast(msgs[1], BL_ERRMSG_SIZE, MPI_CHAR, 0, MPI_COMM_WORLD);
        assert_string_equal(msgs[0], msgs[1]);
        if (f->rank == 0)
                assert_int_equal(count_entries(f->dir), 0);
}

/*
 * Out of memory at every allocation of the writer in turn (on the last rank
 * only when there are several): each attempt fails the same way on every
 * rank, leaves no temporary file, and leaves the previous file at path
 * untouched; the first attempt that gets through writes a complete file.
 */
static void test_write_alloc_failures(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;
        int victim = f->size - 1, rc = -1, failures = 0;
        long n;

        assert_int_equal(write_run(f, f->path, "previous", 1, &eb), 0);
        for (n = 1; n < 500 && rc != 0; n++) {
                int lo, hi;

                if (f->rank == victim)
                        bl_alloc_fail_after(n);
                rc = write_run(f, f->path, "next", 2, &eb);
                bl_alloc_fail_after(0);
                MPI_Allreduce(&rc, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
                MPI_Allreduce(&rc, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
                assert_int_equal(lo, hi);
                if (rc == 0)
                        break;
                failures++;
                if (f->rank == 0 && getenv("BL_TEST_VERBOSE") != NULL)
                        print_message("n=%ld: %s\n", n, eb.msg);
                assert_int_equal(rc, BL_ENOMEM);
                if (f->size > 1)
                        assert_non_null(strstr(eb.msg, "rank"));
                /* Rank 0 checks, everyone asserts: a lone failing rank would
                 * leave the others waiting in the next collective write. */
                int bad = 0;
                if (f->rank == 0)
                        bad = count_entries(f->dir) != 1 ||
                              bl_results_read_row(f->path, &row, &eb) != 0 ||
                              strcmp(row.name, "previous") != 0;
                MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
                if (bad)
                        fail_msg("after failure %ld: a temporary file is left or the previous "
                                 "file at %s changed",
                                 n, f->path);
        }
        assert_int_equal(rc, 0);
        assert_true(failures >= 5); /* the writer allocates; each point was exercised */
        if (f->rank == 0)
                print_message("%d injected failures, last: %s\n", failures, eb.msg);
        if (f->rank == 0) {
                assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
                assert_string_equal(row.name, "next");
                assert_int_equal(count_entries(f->dir), 1);
        }
}

/* ---- single-rank tests ---------------------------------------------------- */

static void test_read_row_every_field(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;

        assert_int_equal(write_run(f, f->path, "alpha", 15000.5, &eb), 0);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
        check_row(&row, "alpha", 1, 15000.5, f->path);
}

/* Without an "all" row the writer computes it from the others and the histograms. */
static void test_write_computes_all_row(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;
        hid_t file, mt, st;
        struct {
                char op[8];
                uint64_t count, errors;
                double mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
        } s[3];

        fill_run(&f->run, 0, 1, "computed", 0);
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &f->run.r, &eb), 0);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
        /* Bucket midpoints: p50 in [20, 30) us, p99 in [60, 70), p99.9 in [90, 100). */
        assert_true(fabs(row.p50_us - 24.9995) < 1e-9);
        assert_true(fabs(row.p99_us - 64.9995) < 1e-9);
        assert_true(fabs(row.p999_us - 94.9995) < 1e-9);

        file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(file >= 0);
        st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, 8);
        H5Tset_cset(st, H5T_CSET_UTF8);
        mt = H5Tcreate(H5T_COMPOUND, sizeof(s[0]));
        H5Tinsert(mt, BL_SC_OP, offsetof(__typeof__(s[0]), op), st);
        H5Tinsert(mt, BL_SC_COUNT, offsetof(__typeof__(s[0]), count), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_ERRORS, offsetof(__typeof__(s[0]), errors), H5T_NATIVE_UINT64);
        H5Tinsert(mt, BL_SC_MEAN_US, offsetof(__typeof__(s[0]), mean_us), H5T_NATIVE_DOUBLE);
        H5Tinsert(mt, BL_SC_P90_US, offsetof(__typeof__(s[0]), p90_us), H5T_NATIVE_DOUBLE);
        H5Tinsert(mt, BL_SC_MAX_US, offsetof(__typeof__(s[0]), max_us), H5T_NATIVE_DOUBLE);
        assert_int_equal(h5_read(file, BL_SP_SUMMARY, mt, s), 0);
        assert_string_equal(s[2].op, "all");
        assert_int_equal(s[2].count, 1500);
        assert_int_equal(s[2].errors, 3);
        assert_true(fabs(s[2].mean_us - (1000 * 12.5 + 500 * 25) / 1500.0) < 1e-9);
        assert_true(fabs(s[2].p90_us - 44.9995) < 1e-9);
        assert_true(s[2].max_us == 200);
        assert_true(H5Lexists(file, BL_SP_LATENCY "/all", H5P_DEFAULT) > 0);
        H5Tclose(mt);
        H5Tclose(st);
        H5Fclose(file);
}

/* Without history and with empty per-rank tables the file is still complete. */
static void test_write_minimal(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_run_result r;
        struct bl_report_row row;
        hid_t file;
        hsize_t dims[2];

        memset(&r, 0, sizeof(r));
        r.prov.name = "empty";
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &r, &eb), 0);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
        assert_string_equal(row.name, "empty");
        assert_string_equal(row.verdict, "unknown");
        assert_int_equal(row.shards, -1);
        assert_true(row.p50_us == 0);
        file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(file >= 0);
        assert_int_equal(H5Lexists(file, BL_SP_HISTORY, H5P_DEFAULT), 0);
        assert_int_equal(h5_dims(file, BL_SP_EVENTS, dims), 1);
        assert_int_equal(dims[0], 0);
        assert_int_equal(h5_dims(file, BL_SP_SUMMARY, dims), 1);
        assert_int_equal(dims[0], 1); /* the computed "all" row */
        H5Fclose(file);
}

static void test_write_bad_input(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        fill_run(&f->run, 0, 1, "bad", 1);
        f->run.r.local.events = NULL;
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &f->run.r, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "events"));
        assert_non_null(strstr(eb.msg, f->path));
        assert_int_equal(count_entries(f->dir), 0);
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, NULL, &eb), BL_EINVAL);
}

/* A file lacking a dataset the reader needs: the error names it. */
static void test_read_missing_dataset(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;
        hid_t file;

        assert_int_equal(write_run(f, f->path, "alpha", 1, &eb), 0);
        file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT);
        assert_true(file >= 0);
        assert_true(H5Ldelete(file, BL_SP_SUMMARY, H5P_DEFAULT) >= 0);
        H5Fclose(file);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), BL_ENOTFOUND);
        assert_non_null(strstr(eb.msg, f->path));
        assert_non_null(strstr(eb.msg, BL_SP_SUMMARY));
}

/* Two runs in a directory, plus files the report must skip or flag. */
static void make_report_dir(struct fx *f, char *a, char *b, size_t size)
{
        struct bl_errbuf eb = {{0}};

        snprintf(a, size, "%s/a.h5", f->dir);
        snprintf(b, size, "%s/b.h5", f->dir);
        assert_int_equal(write_run(f, b, "beta", 20000, &eb), 0);
        assert_int_equal(write_run(f, a, "alpha", 15000.5, &eb), 0);
}

static void test_report_csv(void **state)
{
        struct fx *f = *state;
        char a[300], b[300], want[1024], line[2048];
        char *out = NULL, *err = NULL;

        make_report_dir(f, a, b, sizeof(a));
        const char *args[] = {"report", "--csv", a, b};
        assert_int_equal(run_report(4, args, &out, &err), 0);
        assert_string_equal(err, "");
        assert_int_equal(count_lines(out), 3);
        assert_true(line_of(out, 0, line, sizeof(line)));
        assert_string_equal(line,
                            CSV_HEADER ",unavail_ms,recovery_ms,file,fsync_us,syncs_per_op,"
                                       "disk_bytes_per_op,errors,offered_per_s,achieved_per_s,"
                                       "mpi_msgs_per_op" TXN_CSV);
        assert_true(strncmp(BL_REPORT_CSV_HEADER, CSV_HEADER, sizeof(CSV_HEADER)) == 0);
        assert_true(line_of(out, 1, line, sizeof(line)));
        snprintf(want, sizeof(want),
                 "alpha,raft,1,2,3,ycsb-a,15000.5,12,70,150,2.5,4.8,1500000,4.5,320.25,pass,,,%s,"
                 "2500,0.5,2048,3,16000.25,14999.5,3.25,,,,,,,,",
                 a);
        assert_string_equal(line, want);
        assert_true(line_of(out, 2, line, sizeof(line)));
        assert_true(strncmp(line, "beta,raft,1,2,3,ycsb-a,20000,", 29) == 0);
        free(out);
        free(err);

        /* Sorted by throughput, highest first. */
        const char *sorted[] = {"report", "--csv", "--sort", "-ops_per_s", a, b};
        assert_int_equal(run_report(6, sorted, &out, &err), 0);
        assert_true(line_of(out, 1, line, sizeof(line)));
        assert_true(strncmp(line, "beta,", 5) == 0);
        assert_true(line_of(out, 2, line, sizeof(line)));
        assert_true(strncmp(line, "alpha,", 6) == 0);
        free(out);
        free(err);
}

static void test_report_table(void **state)
{
        struct fx *f = *state;
        char a[300], b[300], line[2048];
        char *out = NULL, *err = NULL, *tok[32], *save = NULL;
        int n = 0;

        make_report_dir(f, a, b, sizeof(a));
        const char *args[] = {"report", "--sort=name", b, a};
        assert_int_equal(run_report(4, args, &out, &err), 0);
        assert_true(line_of(out, 0, line, sizeof(line)));
        assert_true(strncmp(line, "# ballot report", 15) == 0);
        assert_true(line_of(out, 1, line, sizeof(line)));
        assert_true(strncmp(line, "# columns: name kernel ranks shards replicas workload", 52) ==
                    0);
        /* Every '#' line first, then one aligned row per run. */
        int first_data = 0;
        while (line_of(out, first_data, line, sizeof(line)) && line[0] == '#')
                first_data++;
        assert_int_equal(count_lines(out), first_data + 2);
        assert_true(line_of(out, first_data, line, sizeof(line)));
        for (char *t = strtok_r(line, " ", &save); t != NULL && n < 32;
             t = strtok_r(NULL, " ", &save))
                tok[n++] = t;
        assert_int_equal(n, 26);
        assert_string_equal(tok[0], "alpha");
        assert_string_equal(tok[6], "15000.5");
        assert_string_equal(tok[8], "70.00");
        assert_string_equal(tok[15], "pass");
        /* Header and data columns line up: "ops_per_s" ends where its value ends. */
        char hdr[2048], row1[2048];
        line_of(out, first_data - 1, hdr, sizeof(hdr));
        line_of(out, first_data, row1, sizeof(row1));
        char *h = strstr(hdr, "ops_per_s"), *v = strstr(row1, "15000.5");
        assert_non_null(h);
        assert_non_null(v);
        assert_int_equal((h - hdr) + 9, (v - row1) + 7);
        free(out);
        free(err);
}

static void test_report_directory(void **state)
{
        struct fx *f = *state;
        char a[300], b[300], p[1024], line[2048];
        char *out = NULL, *err = NULL;

        make_report_dir(f, a, b, sizeof(a));
        snprintf(p, sizeof(p), "%s/broken.h5", f->dir);
        write_text(p, "not hdf5\n");
        snprintf(p, sizeof(p), "%s/notes.txt", f->dir);
        write_text(p, "notes\n");
        /* Valid HDF5 files named like an unfinished write: skipped. */
        snprintf(p, sizeof(p), "cp %s %s/c.h5.tmp.77 && cp %s %s/d.tmp.5.h5", a, f->dir, a, f->dir);
        assert_int_equal(system(p), 0);

        const char *args[] = {"report", "--csv", f->dir};
        assert_int_equal(run_report(3, args, &out, &err), 1);
        assert_non_null(strstr(err, "broken.h5"));
        assert_non_null(strstr(err, "not an HDF5 file"));
        assert_int_equal(count_lines(err), 1);
        assert_int_equal(count_lines(out), 3);
        assert_true(line_of(out, 1, line, sizeof(line)));
        assert_true(strncmp(line, "alpha,", 6) == 0);
        assert_true(line_of(out, 2, line, sizeof(line)));
        assert_true(strncmp(line, "beta,", 5) == 0);
        free(out);
        free(err);
}

static void test_info(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        char *out = NULL;
        size_t len = 0;
        FILE *fo;

        assert_int_equal(write_run(f, f->path, "alpha", 15000.5, &eb), 0);
        fo = open_memstream(&out, &len);
        assert_int_equal(bl_info_file(f->path, fo, &eb), 0);
        fclose(fo);
        assert_non_null(strstr(out, "alpha"));
        assert_non_null(strstr(out, "2024-05-01T12:00:00Z"));
        assert_non_null(strstr(out, "cluster.shards = 2"));
        assert_non_null(strstr(out, "node-0"));
        assert_non_null(strstr(out, "0x00000001"));
        assert_non_null(strstr(out, "update"));
        assert_non_null(strstr(out, "15000.5 ops/s"));
        assert_non_null(strstr(out, "replica_digests"));
        assert_non_null(strstr(out, "inconclusive linearizable"));
        assert_non_null(strstr(out, "recorded"));
        free(out);

        fo = open_memstream(&out, &len);
        assert_int_equal(bl_info_file(f->dir, fo, &eb), BL_EIO);
        fclose(fo);
        free(out);
}

/* ---- serial tests: they run before MPI_Init ------------------------------ */

static void test_read_not_hdf5(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;

        write_text(f->path, "name,kernel\nx,y\n");
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), BL_EHDF5);
        assert_non_null(strstr(eb.msg, f->path));
        assert_non_null(strstr(eb.msg, "not an HDF5 file"));
}

static void test_read_nonexistent(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;

        assert_int_equal(bl_results_read_row(f->path, &row, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, f->path));
        assert_non_null(strstr(eb.msg, "No such file"));
}

/* An HDF5 file, but not ours (no schema attribute) or from a future schema. */
static void test_read_not_ballot(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        struct bl_report_row row;
        hid_t file, sp, a;
        int32_t v = BL_SCHEMA_VERSION + 98;

        file = H5Fcreate(f->path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(file >= 0);
        H5Gclose(H5Gcreate2(file, "/summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        H5Fclose(file);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, f->path));
        assert_non_null(strstr(eb.msg, "not a ballot result file"));

        file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT);
        sp = H5Screate(H5S_SCALAR);
        a = H5Acreate2(file, BL_SA_SCHEMA_VERSION, H5T_NATIVE_INT32, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT32, &v);
        H5Aclose(a);
        H5Sclose(sp);
        H5Fclose(file);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "schema version 99 is not supported"));
}

static void test_report_usage(void **state)
{
        struct fx *f = *state;
        char *out = NULL, *err = NULL;
        char missing[300];

        const char *none[] = {"report"};
        assert_int_equal(run_report(1, none, &out, &err), 2);
        assert_non_null(strstr(err, "usage: ballot report"));
        free(out);
        free(err);
        const char *bogus[] = {"report", "--bogus", "x.h5"};
        assert_int_equal(run_report(3, bogus, &out, &err), 2);
        assert_non_null(strstr(err, "--bogus"));
        free(out);
        free(err);
        const char *badkey[] = {"report", "--sort", "speed", "x.h5"};
        assert_int_equal(run_report(4, badkey, &out, &err), 2);
        assert_non_null(strstr(err, "speed"));
        free(out);
        free(err);
        const char *nokey[] = {"report", "--sort"};
        assert_int_equal(run_report(2, nokey, &out, &err), 2);
        free(out);
        free(err);
        const char *help[] = {"report", "--help"};
        assert_int_equal(run_report(2, help, &out, &err), 0);
        assert_non_null(strstr(out, "--csv"));
        free(out);
        free(err);
        /* A missing file is an error naming it, not a usage error. */
        snprintf(missing, sizeof(missing), "%s/missing.h5", f->dir);
        const char *miss[] = {"report", "--csv", missing};
        assert_int_equal(run_report(3, miss, &out, &err), 1);
        assert_non_null(strstr(err, missing));
        assert_string_equal(out, CSV_HEADER
                            ",unavail_ms,recovery_ms,file,fsync_us,syncs_per_op,disk_bytes_per_op,"
                            "errors,offered_per_s,achieved_per_s,mpi_msgs_per_op" TXN_CSV "\n");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest serial[] = {
            cmocka_unit_test_setup_teardown(test_read_not_hdf5, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_nonexistent, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_not_ballot, setup, teardown),
            cmocka_unit_test_setup_teardown(test_report_usage, setup, teardown),
        };
        const struct CMUnitTest collective[] = {
            cmocka_unit_test_setup_teardown(test_write_layout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_write_missing_dir, setup, teardown),
            cmocka_unit_test_setup_teardown(test_write_alloc_failures, setup, teardown),
        };
        const struct CMUnitTest single[] = {
            cmocka_unit_test_setup_teardown(test_read_row_every_field, setup, teardown),
            cmocka_unit_test_setup_teardown(test_write_computes_all_row, setup, teardown),
            cmocka_unit_test_setup_teardown(test_write_minimal, setup, teardown),
            cmocka_unit_test_setup_teardown(test_write_bad_input, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_missing_dataset, setup, teardown),
            cmocka_unit_test_setup_teardown(test_report_csv, setup, teardown),
            cmocka_unit_test_setup_teardown(test_report_table, setup, teardown),
            cmocka_unit_test_setup_teardown(test_report_directory, setup, teardown),
            cmocka_unit_test_setup_teardown(test_info, setup, teardown),
        };
        const char *world = getenv("OMPI_COMM_WORLD_SIZE");
        int fails = 0, size;

        /* The reader must not need MPI: these run first, before MPI_Init
         * (only in a singleton run, where no rank shares the temp names). */
        if (world == NULL || strcmp(world, "1") == 0)
                fails +=
                    cmocka_run_group_tests_name("results (before MPI_Init)", serial, NULL, NULL);
        MPI_Init(&argc, &argv);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        fails += cmocka_run_group_tests_name("results (collective)", collective, NULL, NULL);
        if (size == 1)
                fails += cmocka_run_group_tests_name("results", single, NULL, NULL);
        MPI_Finalize();
        return fails != 0;
}
