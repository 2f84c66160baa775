/* Tests for transactions in result files: /txn written and read back, report and info columns,
 * `ballot check` re-judging a stored list-append history, malformed histories refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "check/history.h"
#include "check/txnhist.h"
#include "common/err.h"
#include "results/report.h"
#include "results/results.h"
#include "results/schema.h"

/*
 * Runs on a 1-rank MPI_COMM_WORLD (Open MPI singleton), and its collective
 * test also under `mpirun -n 2/3` (tests/mpi/test_results_mpi.sh): each rank
 * then contributes its own transactions, and rank 0 checks that the
 * rebased indexes rebuild the whole history.
 */

struct fx {
        char path[64];
        struct bl_cfg_entry cfg[3];
        struct bl_replica_info reps[2];
        struct bl_txn_class_row classes[2];
        struct bl_block_rec blocks[2];
        uint64_t ts_in_doubt[4], ts_blocked[4], ts_aborts[4], ts_ops[4], ts_err[4];
        double ts_t[4], ts_p99[4];
        struct bl_txn_history h;
        struct bl_verdict_row verdicts[2];
        size_t nverdicts;
        int present;
        int with_history;
        struct bl_run_result r;
        char *out;
        size_t outlen;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        int fd, rank;

        if (f == NULL)
                return -1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        /* One name for every rank: rank 0 picks it. */
        if (rank == 0) {
                snprintf(f->path, sizeof(f->path), "/tmp/bl_test_txn_XXXXXX");
                fd = mkstemp(f->path);
                if (fd < 0)
                        return -1;
                close(fd);
        }
        MPI_Bcast(f->path, sizeof(f->path), MPI_CHAR, 0, MPI_COMM_WORLD);
        f->cfg[0] = (struct bl_cfg_entry){"store", "records", "100"};
        f->cfg[1] = (struct bl_cfg_entry){"cluster", "shards", "2"};
        f->cfg[2] = (struct bl_cfg_entry){"cluster", "replicas", "2"};
        f->reps[0] = (struct bl_replica_info){.shard = 0, .member = 0, .applied = 2, .digest = 7};
        f->reps[1] = (struct bl_replica_info){.shard = 0, .member = 1, .applied = 2, .digest = 7};
        f->classes[0] = (struct bl_txn_class_row){"transfer", 90, 9, 1, 800.0, 2500.0};
        f->classes[1] = (struct bl_txn_class_row){"audit", 10, 1, 0, 1200.0, 3000.0};
        f->blocks[0] = (struct bl_block_rec){
            .shard = 1, .rank = rank, .txn = 77 + (uint64_t)rank, .start_s = 1.5, .end_s = 2.75};
        f->blocks[1] =
            (struct bl_block_rec){.shard = 0, .rank = rank, .txn = 78, .start_s = 3, .end_s = NAN};
        for (int i = 0; i < 4; i++) {
                f->ts_t[i] = 0.5 * (i + 1);
                f->ts_ops[i] = 10;
                f->ts_in_doubt[i] = (uint64_t)(i == 2 ? 5 : 1);
                f->ts_blocked[i] = (uint64_t)(i == 2 ? 3 : 0);
                f->ts_aborts[i] = (uint64_t)i;
        }
        bl_txn_history_init(&f->h);
        f->present = 1;
        f->with_history = 1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        int rank;

        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0)
                unlink(f->path);
        bl_txn_history_free(&f->h);
        free(f->out);
        free(f);
        return 0;
}

/* A valid history: T1 appends, T2 reads it and appends, T3 reads both, T4
 * aborted, T5's outcome is unknown (its append never read: like T4, it
 * stays out of the graph of 3 transactions). */
static void valid_history(struct bl_txn_history *h)
{
        const uint64_t l1[] = {100}, l2[] = {200};

        assert_int_equal(bl_txn_begin(h, 1, 0, BL_OUT_OK, 10, 20), 0);
        assert_int_equal(bl_txn_append(h, 1, 100), 0);
        assert_int_equal(bl_txn_begin(h, 2, 1, BL_OUT_OK, 30, 40), 0);
        assert_int_equal(bl_txn_read(h, 1, l1, 1), 0);
        assert_int_equal(bl_txn_append(h, 2, 200), 0);
        assert_int_equal(bl_txn_begin(h, 3, 2, BL_OUT_OK, 50, 60), 0);
        assert_int_equal(bl_txn_read(h, 2, l2, 1), 0);
        assert_int_equal(bl_txn_read(h, 1, l1, 1), 0);
        assert_int_equal(bl_txn_begin(h, 4, 3, BL_OUT_FAIL, 5, 8), 0);
        assert_int_equal(bl_txn_append(h, 3, 300), 0);
        assert_int_equal(bl_txn_begin(h, 5, 4, BL_OUT_UNKNOWN, 70, 0), 0);
        assert_int_equal(bl_txn_append(h, 1, 101), 0);
}

/* Write skew, G2-item: concurrent T1 and T2 each read the key the other
 * appends to and miss the other's append. */
static void write_skew(struct bl_txn_history *h)
{
        assert_int_equal(bl_txn_begin(h, 1, 0, BL_OUT_OK, 10, 100), 0);
        assert_int_equal(bl_txn_read(h, 1, NULL, 0), 0);
        assert_int_equal(bl_txn_append(h, 2, 20), 0);
        assert_int_equal(bl_txn_begin(h, 2, 1, BL_OUT_OK, 10, 100), 0);
        assert_int_equal(bl_txn_read(h, 2, NULL, 0), 0);
        assert_int_equal(bl_txn_append(h, 1, 10), 0);
}

static void fill(struct fx *f)
{
        struct bl_txn_summary *t = &f->r.global.txn;

        memset(&f->r, 0, sizeof(f->r));
        f->r.prov.name = "txn";
        f->r.prov.kernel = "2pc/raft";
        f->r.prov.workload = "list-append";
        f->r.prov.n_config = 3;
        f->r.prov.config = f->cfg;
        f->r.local.n_replicas = 2;
        f->r.local.replicas = f->reps;
        f->r.local.n_blocks = 2;
        f->r.local.blocks = f->blocks;
        f->r.local.txn_history = f->with_history ? &f->h : NULL;
        f->r.global.duration_s = 2.0;
        f->r.global.median_rtt_ns = 50000; /* 50 us */
        f->r.global.path_rtt_ns = 40000;   /* the RTT unit: 40 us */
        f->r.global.n_intervals = 4;
        f->r.global.interval_s = 0.5;
        f->r.global.ts_t_s = f->ts_t;
        f->r.global.ts_ops = f->ts_ops;
        f->r.global.ts_errors = f->ts_err;
        f->r.global.ts_p99_us = f->ts_p99;
        f->r.global.n_verdicts = f->nverdicts;
        f->r.global.verdicts = f->verdicts;
        t->present = f->present;
        t->committed = 100;
        t->aborted = 10;
        t->unknown = 1;
        t->aborted_by[BL_TXA_LOCK] = 6;
        t->aborted_by[BL_TXA_VOTE] = 2;
        t->aborted_by[BL_TXA_TIMEOUT] = 1;
        t->aborted_by[BL_TXA_FAILURE] = 1;
        t->txn_per_s = 50.0;
        t->commit_mean_us = 900;
        t->commit_p50_us = 800;
        t->commit_p99_us = 2600;
        t->commit_max_us = 4000;
        t->block_n = 220;
        t->block_mean_us = 450;
        t->block_p99_us = 1500;
        t->block_max_us = 1250000;
        t->block_long_us = 100000;
        t->in_doubt_max = 5;
        t->in_doubt_end = 1;
        t->n_classes = 2;
        t->classes = f->classes;
        t->ts_in_doubt = f->ts_in_doubt;
        t->ts_blocked = f->ts_blocked;
        t->ts_aborts = f->ts_aborts;
}

static void write_file(struct fx *f)
{
        struct bl_errbuf eb = {{0}};

        fill(f);
        if (bl_results_write(MPI_COMM_WORLD, f->path, &f->r, &eb) != 0)
                print_message("write: %s\n", eb.msg);
        assert_string_equal(eb.msg, "");
}

static int check(struct fx *f, struct bl_errbuf *eb)
{
        FILE *fo;
        int rc;

        free(f->out);
        f->out = NULL;
        fo = open_memstream(&f->out, &f->outlen);
        assert_non_null(fo);
        rc = bl_check_file(f->path, 10.0, fo, eb);
        fclose(fo);
        return rc;
}

static void assert_has(const char *text, const char *what)
{
        if (strstr(text, what) == NULL)
                print_message("\"%s\" lacks \"%s\"\n", text, what);
        assert_non_null(strstr(text, what));
}

/* ---- file content, read with HDF5 directly --------------------------- */

static void read_u64s(const char *path, const char *ds, uint64_t *v, size_t n)
{
        hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = H5Dopen2(file, ds, H5P_DEFAULT), sp = H5Dget_space(d);
        hsize_t dims[1] = {0};

        assert_true(d >= 0);
        H5Sget_simple_extent_dims(sp, dims, NULL);
        assert_int_equal(dims[0], n);
        assert_true(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
        H5Sclose(sp);
        H5Dclose(d);
        H5Fclose(file);
}

static double attr_f64(const char *path, const char *obj, const char *name)
{
        hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t o = H5Oopen(file, obj, H5P_DEFAULT), a = H5Aopen(o, name, H5P_DEFAULT);
        double v = NAN;

        assert_true(a >= 0);
        assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
        H5Aclose(a);
        H5Oclose(o);
        H5Fclose(file);
        return v;
}

/* Overwrite one member of row `row` of a compound dataset (a damaged or
 * crafted file: the writer itself refuses such values). */
static void patch(const char *path, const char *ds, const char *member, hid_t type, hsize_t row,
                  const void *val)
{
        hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d = H5Dopen2(file, ds, H5P_DEFAULT), fs = H5Dget_space(d);
        hid_t ft = H5Dget_type(d);
        hid_t et = H5Tget_member_type(ft, (unsigned)H5Tget_member_index(ft, member));
        hid_t mt = H5Tcreate(H5T_COMPOUND, H5Tget_size(type));
        hsize_t one = 1;
        hid_t ms = H5Screate_simple(1, &one, NULL);

        assert_true(d >= 0 && et >= 0);
        /* An enum column takes the raw value through its own type (HDF5
         * does not convert integers to enums). */
        assert_true(H5Tinsert(mt, member, 0, H5Tget_class(et) == H5T_ENUM ? et : type) >= 0);
        H5Tclose(et);
        H5Tclose(ft);
        assert_true(H5Sselect_hyperslab(fs, H5S_SELECT_SET, &row, NULL, &one, NULL) >= 0);
        assert_true(H5Dwrite(d, mt, ms, fs, H5P_DEFAULT, val) >= 0);
        H5Sclose(ms);
        H5Tclose(mt);
        H5Sclose(fs);
        H5Dclose(d);
        H5Fclose(file);
}

/* ---- tests -------------------------------------------------------------- */

static void test_summary_round_trip(void **state)
{
        struct fx *f = *state;
        struct bl_report_row row;
        struct bl_errbuf eb = {{0}};
        uint64_t s[4];

        valid_history(&f->h);
        write_file(f);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
        assert_true(row.txn_per_s == 50.0);
        assert_true(fabs(row.abort_ratio - 10.0 / 110.0) < 1e-12);
        assert_true(row.commit_p50_us == 800);
        assert_true(row.commit_p99_us == 2600);
        assert_true(row.commit_p50_rtt == 20); /* 800 us over a 40 us path RTT */
        assert_true(row.block_mean_ms == 0.45);
        assert_true(row.block_max_ms == 1250);
        assert_true(row.in_doubt_max == 5);
        /* Figures the writer derives, and the aligned series. */
        assert_true(attr_f64(f->path, BL_SP_TXN, BL_SA_TXN_ABORTS_PER_S) == 5.0);
        assert_true(attr_f64(f->path, BL_SP_TXN, BL_SA_TXN_ABORTED_LOCK) == 6);
        assert_true(attr_f64(f->path, BL_SP_TXN, BL_SA_TXN_IN_DOUBT_END) == 1);
        read_u64s(f->path, BL_SP_TIMESERIES "/" BL_SN_TS_IN_DOUBT, s, 4);
        assert_true(s[0] == 1 && s[2] == 5 && s[3] == 1);
        read_u64s(f->path, BL_SP_TIMESERIES "/" BL_SN_TS_BLOCKED, s, 4);
        assert_true(s[1] == 0 && s[2] == 3);
        read_u64s(f->path, BL_SP_TIMESERIES "/" BL_SN_TS_ABORTS, s, 4);
        assert_true(s[3] == 3);
}

/* A run without a commit layer has no /txn: NaN in the row, no txn columns
 * in the table (the CSV keeps them, empty), no series. */
static void test_absent_without_commit_layer(void **state)
{
        struct fx *f = *state;
        struct bl_report_row row;
        struct bl_errbuf eb = {{0}};
        hid_t file;

        valid_history(&f->h);
        f->present = 0; /* the history is then ignored too */
        write_file(f);
        assert_int_equal(bl_results_read_row(f->path, &row, &eb), 0);
        assert_true(isnan(row.txn_per_s) && isnan(row.abort_ratio) && isnan(row.block_max_ms));
        file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(H5Lexists(file, BL_SP_TXN, H5P_DEFAULT) == 0);
        assert_true(H5Lexists(file, BL_SP_TIMESERIES "/" BL_SN_TS_IN_DOUBT, H5P_DEFAULT) == 0);
        H5Fclose(file);
        assert_int_equal(check(f, &eb), 0);
        assert_null(strstr(f->out, "serializable"));
}

static void test_report_columns(void **state)
{
        struct fx *f = *state;
        char *out = NULL, *err = NULL;
        size_t lo = 0, le = 0;
        FILE *fo, *fe;

        write_file(f);
        const char *csv[] = {"report", "--csv", f->path};
        fo = open_memstream(&out, &lo);
        fe = open_memstream(&err, &le);
        assert_int_equal(bl_report_main(3, (char **)csv, fo, fe), 0);
        fclose(fo);
        fclose(fe);
        assert_has(out, ",txn_per_s,abort_ratio,commit_p50_us,commit_p99_us,commit_p50_rtt,"
                        "block_mean_ms,block_max_ms,in_doubt_max\n");
        assert_has(out, ",50,0.09090909091,800,2600,20,0.45,1250,5\n");
        free(out);
        free(err);
        const char *table[] = {"report", f->path};
        fo = open_memstream(&out, &lo);
        fe = open_memstream(&err, &le);
        assert_int_equal(bl_report_main(2, (char **)table, fo, fe), 0);
        fclose(fo);
        fclose(fe);
        assert_has(out, " txn_per_s abort_ratio commit_p50_us");
        assert_has(out, "# transactions: txn_per_s committed/s");
        assert_has(out, "  50.0       0.091");
        free(out);
        free(err);
}

static void test_info_section(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        char *text = NULL;
        size_t len = 0;
        FILE *fo;

        valid_history(&f->h);
        write_file(f);
        fo = open_memstream(&text, &len);
        assert_non_null(fo);
        assert_int_equal(bl_info_file(f->path, fo, &eb), 0);
        fclose(fo);
        assert_has(text, "# transactions (measured phase; latency in us)");
        assert_has(text, "committed 100, aborted 10 (lock 6, vote 2, timeout 1, failure 1), "
                         "outcome unknown 1");
        assert_has(text, "50.0 committed/s, 5.0 aborts/s, abort ratio 9.1%");
        assert_has(text, "p50 800.00, p99 2600.00, max 4000.00; p50 = 20.00 RTT");
        assert_has(text, "220 windows, mean 450.00, p99 1500.00, max 1250000.00");
        assert_has(text, "in doubt (per participant): at most 5 at once, 1 at the end");
        assert_has(text, "2 blocking windows longer than 100000 us in /txn/blocking");
        assert_has(text,
                   "  transfer             90          9          1       800.00      2500.00");
        assert_has(text, "transactions recorded  5 rows in /txn/history/txns");
        free(text);
}

static void test_check_valid_history_passes(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        valid_history(&f->h);
        /* The run's stored verdict is replaced by the re-judged one. */
        f->verdicts[0] = (struct bl_verdict_row){"serializable", BL_VERDICT_FAIL, "stale"};
        f->nverdicts = 1;
        write_file(f);
        assert_int_equal(check(f, &eb), 0);
        assert_has(f->out, "# verdict serializable  pass         no anomaly in 3 transactions");
        assert_null(strstr(f->out, "stale"));
        assert_null(strstr(f->out, "strict-serializable"));
        assert_has(f->out, "overall       pass");
}

static void test_check_g2_item_fails(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        write_skew(&f->h);
        f->verdicts[0] = (struct bl_verdict_row){"strict-serializable", BL_VERDICT_PASS, "x"};
        f->nverdicts = 1;
        write_file(f);
        assert_int_equal(check(f, &eb), BL_ECHECK);
        assert_has(f->out, "# verdict serializable  FAIL");
        assert_has(f->out, "# verdict strict-serializable FAIL");
        assert_has(f->out, "# anomaly G2-item cycle: T2 -rw-> T1 -rw-> T2\n");
        assert_has(f->out, "# serializability: anomalies: G2-item x1");
        assert_has(f->out, "overall       fail");
        assert_has(eb.msg, "a verdict failed");
}

/* A transaction run with experiment.history = true has an empty /history:
 * check judges no linearizability there (it said "linearizable unknown: no
 * operation to check"), and a bank run without a transaction history is not
 * told to record a client history for linearizability. */
static void test_check_txn_run_no_linearizability(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        f->with_history = 0;
        f->nverdicts = 0;
        fill(f);
        f->r.prov.history = 1; /* an empty /history */
        f->r.prov.workload = "bank";
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &f->r, &eb), 0);
        assert_int_equal(check(f, &eb), 0);
        assert_null(strstr(f->out, "linearizab"));
        assert_has(f->out, "no transaction history in the file");
}

/* A malformed stored history is refused: BL_EPROTO naming the file, the
 * dataset, the row and the defect, and no verdict printed. */
static void assert_refused(struct fx *f, const char *where, const char *why)
{
        struct bl_errbuf eb = {{0}};

        assert_int_equal(check(f, &eb), BL_EPROTO);
        assert_has(eb.msg, f->path);
        assert_has(eb.msg, where);
        assert_has(eb.msg, why);
        assert_has(eb.msg, "nothing was judged");
        assert_null(strstr(f->out, "# verdict"));
}

static void test_malformed_ok_without_completion(void **state)
{
        struct fx *f = *state;
        int64_t missing = -1;

        valid_history(&f->h);
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_COMPLETE_NS, H5T_NATIVE_INT64, 1, &missing);
        assert_refused(f, "/txn/history/txns row 1 (from 0)", "complete_ns is missing");
}

static void test_malformed_read_out_of_range(void **state)
{
        struct fx *f = *state;
        uint64_t off = 3; /* 3 values stored: [3, 4) is beyond them */

        valid_history(&f->h);
        write_file(f);
        patch(f->path, BL_SP_TXH_MOPS, BL_SC_READ_OFF, H5T_NATIVE_UINT64, 1, &off);
        assert_refused(f, "/txn/history/mops row 1 (from 0)",
                       "the list read lies beyond the end of /txn/history/values");
}

static void test_malformed_rows(void **state)
{
        struct fx *f = *state;
        uint64_t first = 6, id = 1;
        uint32_t n = 2;
        int64_t early = 25;
        int32_t kind = 7, outcome = 9;

        valid_history(&f->h);
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_FIRST_MOP, H5T_NATIVE_UINT64, 4, &first);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_NMOPS, H5T_NATIVE_UINT32, 4, &n);
        assert_refused(f, "/txn/history/txns row 4 ", "micro-ops lie beyond the end");
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_ID, H5T_NATIVE_UINT64, 2, &id);
        assert_refused(f, "/txn/history/txns row 2 ", "transaction id 1 is already used by row 0");
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_INVOKE_NS, H5T_NATIVE_INT64, 0, &early);
        assert_refused(f, "/txn/history/txns row 0 ", "completes before it was invoked");
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_COMPLETE_NS, H5T_NATIVE_INT64, 4, &early);
        assert_refused(f, "/txn/history/txns row 4 ", "outcome unknown but complete_ns is not -1");
        write_file(f);
        patch(f->path, BL_SP_TXH_MOPS, BL_SC_KIND, H5T_NATIVE_INT32, 0, &kind);
        assert_refused(f, "/txn/history/mops row 0 ", "unknown micro-op kind");
        write_file(f);
        patch(f->path, BL_SP_TXH_TXNS, BL_SC_OUTCOME, H5T_NATIVE_INT32, 0, &outcome);
        assert_refused(f, "/txn/history/txns row 0 ", "unknown outcome code");
}

/* Two appends of one value to one key cannot be told apart: refused. */
static void test_repeated_append_refused(void **state)
{
        struct fx *f = *state;

        valid_history(&f->h);
        assert_int_equal(bl_txn_begin(&f->h, 6, 5, BL_OUT_OK, 80, 90), 0);
        assert_int_equal(bl_txn_append(&f->h, 1, 100), 0);
        write_file(f);
        assert_refused(f, "/txn/history/mops is malformed", "100");
}

/* The writer refuses a history whose indexes point outside it, and writes
 * nothing. */
static void test_writer_refuses_bad_history(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        valid_history(&f->h);
        unlink(f->path);
        f->h.mops[1].off = 40;
        fill(f);
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &f->r, &eb), BL_EINVAL);
        assert_has(eb.msg, "txn_history: micro-op 1 reads values");
        assert_int_equal(access(f->path, F_OK), -1);
}

/*
 * Collective: rank r records T(10r+1) append(r, 1000+r) and T(10r+2)
 * reading [1000+r] then appending (100+r, 2000+r). Rank 0 re-judges the
 * concatenated history: rebased indexes must give 2 * size transactions and
 * no anomaly (a wrong offset reads garbage or another rank's list).
 */
static void test_collective_history(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        int rank, size, ok = 1;
        uint64_t r, v;
        char want[128];

        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        r = (uint64_t)rank;
        v = 1000 + r;
        assert_int_equal(
            bl_txn_begin(&f->h, 10 * r + 1, (uint32_t)rank, BL_OUT_OK, 100 * r + 10, 100 * r + 20),
            0);
        assert_int_equal(bl_txn_append(&f->h, r, v), 0);
        assert_int_equal(
            bl_txn_begin(&f->h, 10 * r + 2, (uint32_t)rank, BL_OUT_OK, 100 * r + 30, 100 * r + 40),
            0);
        assert_int_equal(bl_txn_read(&f->h, r, &v, 1), 0);
        assert_int_equal(bl_txn_append(&f->h, 100 + r, 2000 + r), 0);
        write_file(f);
        if (rank == 0) {
                int rc = check(f, &eb);

                snprintf(want, sizeof(want),
                         "serializable  pass         no anomaly in %d transactions", 2 * size);
                ok = rc == 0 && strstr(f->out, want) != NULL;
                if (!ok)
                        print_message("rc %d: %s %s\n", rc, eb.msg, f->out);
                uint64_t vals[16];
                read_u64s(f->path, BL_SP_TXH_VALUES, vals, (size_t)size);
                for (int i = 0; i < size; i++)
                        ok = ok && vals[i] == 1000 + (uint64_t)i;
        }
        MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
        assert_true(ok);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest collective[] = {
            cmocka_unit_test_setup_teardown(test_collective_history, setup, teardown),
        };
        const struct CMUnitTest single[] = {
            cmocka_unit_test_setup_teardown(test_summary_round_trip, setup, teardown),
            cmocka_unit_test_setup_teardown(test_absent_without_commit_layer, setup, teardown),
            cmocka_unit_test_setup_teardown(test_report_columns, setup, teardown),
            cmocka_unit_test_setup_teardown(test_info_section, setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_txn_run_no_linearizability, setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_valid_history_passes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_g2_item_fails, setup, teardown),
            cmocka_unit_test_setup_teardown(test_malformed_ok_without_completion, setup, teardown),
            cmocka_unit_test_setup_teardown(test_malformed_read_out_of_range, setup, teardown),
            cmocka_unit_test_setup_teardown(test_malformed_rows, setup, teardown),
            cmocka_unit_test_setup_teardown(test_repeated_append_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_writer_refuses_bad_history, setup, teardown),
        };
        int fails = 0, size;

        MPI_Init(&argc, &argv);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        fails += cmocka_run_group_tests_name("results txn (collective)", collective, NULL, NULL);
        if (size == 1)
                fails += cmocka_run_group_tests_name("results txn", single, NULL, NULL);
        MPI_Finalize();
        return fails != 0;
}
