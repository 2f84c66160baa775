/* Tests for `ballot report --group/--compare`: the median interval math and the grouping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mpi.h>

#include "results/fingerprint.h"
#include "results/group.h"
#include "results/report.h"
#include "results/results.h"

#define EPS 1e-12

static void assert_close(double a, double b)
{
        if (fabs(a - b) > EPS) {
                fprintf(stderr, "expected %.12g, got %.12g\n", b, a);
                fail();
        }
}

/* ---- the interval ------------------------------------------------------- */

/* n = 3: no order-statistic interval reaches 95%; [min, max] covers the
 * median with 1 - 2 (1/2)^3 = 75%. */
static void test_ci_three_runs(void **state)
{
        const double v[] = {30, 10, 20};
        struct bl_median_ci c;

        (void)state;
        bl_median_ci(v, 3, 0.95, &c);
        assert_int_equal(c.n, 3);
        assert_close(c.median, 20);
        assert_close(c.low, 10);
        assert_close(c.high, 30);
        assert_close(c.level, 0.75);
        assert_close(v[0], 30); /* input untouched */
}

/* n = 6: [min, max] covers 1 - 2/64 = 96.875%; the next narrower one,
 * [x(2), x(5)], only 1 - 2 * 7/64 = 78.1%, so the widest is kept. Even n:
 * the median is the mean of the two middle values. */
static void test_ci_six_runs(void **state)
{
        const double v[] = {6, 1, 5, 2, 4, 3};
        struct bl_median_ci c;

        (void)state;
        bl_median_ci(v, 6, 0.95, &c);
        assert_close(c.median, 3.5);
        assert_close(c.low, 1);
        assert_close(c.high, 6);
        assert_close(c.level, 1 - 2.0 / 64);
}

/* n = 9: P(B <= 1) = 10/512, so [x(2), x(8)] covers 1 - 20/512 = 96.1%
 * while [x(3), x(7)] covers 1 - 2 * 46/512 = 82.0%. n = 10: [x(2), x(9)],
 * 1 - 2 * 11/1024 = 97.9%. */
static void test_ci_nine_and_ten_runs(void **state)
{
        const double v9[] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
        const double v10[] = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
        struct bl_median_ci c;

        (void)state;
        bl_median_ci(v9, 9, 0.95, &c);
        assert_close(c.median, 5);
        assert_close(c.low, 2);
        assert_close(c.high, 8);
        assert_close(c.level, 1 - 20.0 / 512);
        bl_median_ci(v10, 10, 0.95, &c);
        assert_close(c.median, 5.5);
        assert_close(c.low, 2);
        assert_close(c.high, 9);
        assert_close(c.level, 1 - 22.0 / 1024);
        /* Asking for less confidence gives a narrower interval. */
        bl_median_ci(v9, 9, 0.80, &c);
        assert_close(c.low, 3);
        assert_close(c.high, 7);
        assert_close(c.level, 1 - 92.0 / 512);
}

/* One run: a median and no interval; NaN values are skipped. */
static void test_ci_one_run_and_nan(void **state)
{
        const double v[] = {NAN, 7, NAN};
        struct bl_median_ci c;

        (void)state;
        bl_median_ci(v, 3, 0.95, &c);
        assert_int_equal(c.n, 1);
        assert_close(c.median, 7);
        assert_true(isnan(c.low) && isnan(c.high));
        assert_close(c.level, 0);
        assert_false(bl_ci_noisy(&c));
        bl_median_ci(v, 0, 0.95, &c);
        assert_int_equal(c.n, 0);
        assert_true(isnan(c.median));
}

static void test_noisy_and_overlap(void **state)
{
        struct bl_median_ci a = {.median = 100, .low = 91, .high = 109, .level = .75, .n = 3};
        struct bl_median_ci b = {.median = 100, .low = 89, .high = 105, .level = .75, .n = 3};
        struct bl_median_ci c = {.median = 200, .low = 110, .high = 220, .level = .75, .n = 3};
        struct bl_median_ci d = {.median = 5, .low = NAN, .high = NAN, .n = 1};

        (void)state;
        assert_false(bl_ci_noisy(&a));
        assert_true(bl_ci_noisy(&b)); /* 89 < 90 */
        assert_int_equal(bl_ci_overlap(&a, &b), 1);
        assert_int_equal(bl_ci_overlap(&a, &c), 0);
        assert_int_equal(bl_ci_overlap(&b, &c), 0);
        c.low = 109; /* touching counts as overlapping */
        assert_int_equal(bl_ci_overlap(&a, &c), 1);
        assert_int_equal(bl_ci_overlap(&a, &d), -1);
}

/* The fingerprint ignores seed, name and output_dir, and nothing else. */
static void test_fingerprint(void **state)
{
        struct bl_cfg_entry a[] = {{"experiment", "name", "x"},
                                   {"experiment", "seed", "1"},
                                   {"experiment", "output_dir", "r1"},
                                   {"experiment", "kernel", "raft"},
                                   {"cluster", "shards", "3"}};
        struct bl_cfg_entry b[] = {{"experiment", "name", "y"},
                                   {"experiment", "seed", "2"},
                                   {"experiment", "output_dir", "r2"},
                                   {"experiment", "kernel", "raft"},
                                   {"cluster", "shards", "3"}};
        uint64_t fa = bl_fingerprint(a, 5, 3, NULL);
        char hex[BL_FINGERPRINT_LEN];

        (void)state;
        assert_true(fa == bl_fingerprint(b, 5, 3, NULL));
        assert_true(fa != bl_fingerprint(a, 5, 4, NULL));
        b[4].value = "4";
        assert_true(fa != bl_fingerprint(b, 5, 3, NULL));
        b[3].value = "paxos";
        b[4].value = "3";
        assert_true(fa != bl_fingerprint(b, 5, 3, NULL));
        assert_true(bl_fingerprint(a, 5, 3, "experiment.kernel") ==
                    bl_fingerprint(b, 5, 3, "experiment.kernel"));
        bl_fingerprint_hex(UINT64_C(0xabc), hex);
        assert_string_equal(hex, "0000000000000abc");
}

/* ---- grouping hand-made result files ----------------------------------- */

struct fx {
        char dir[128];
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));

        snprintf(f->dir, sizeof(f->dir), "/tmp/bl_test_group_XXXXXX");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

/* One result file: kernel, shards, seed and the headline numbers. */
static void write_run(const struct fx *f, const char *file, const char *kernel, const char *shards,
                      const char *seed, double ops, double p50, double p99, const char *verdict)
{
        struct bl_cfg_entry cfg[] = {{"experiment", "name", file},
                                     {"experiment", "kernel", kernel},
                                     {"experiment", "seed", seed},
                                     {"cluster", "shards", shards},
                                     {"cluster", "replicas", "3"}};
        struct bl_op_summary all = {.op = "all", .count = 100, .p50_us = p50, .p99_us = p99};
        struct bl_run_result r;
        struct bl_errbuf eb = {{0}};
        char path[256];

        memset(&r, 0, sizeof(r));
        r.prov = (struct bl_provenance){.name = "g",
                                        .kernel = kernel,
                                        .workload = "ycsb-a",
                                        .seed = strtoull(seed, NULL, 10),
                                        .n_config = 5,
                                        .config = cfg};
        r.global.n_ops = 1;
        r.global.summary = &all;
        r.global.ops_per_s = ops;
        r.global.verdict = verdict;
        snprintf(path, sizeof(path), "%s/%s.h5", f->dir, file);
        if (bl_results_write(MPI_COMM_WORLD, path, &r, &eb) != 0) {
                fprintf(stderr, "%s\n", eb.msg);
                fail();
        }
}

static int report(const char *a1, const char *a2, const char *a3, const char *dir, char **out)
{
        size_t lo = 0, le = 0;
        char *err = NULL;
        FILE *fo = open_memstream(out, &lo), *fe = open_memstream(&err, &le);
        char *argv[6] = {"report"};
        int argc = 1, rc;

        if (a1)
                argv[argc++] = (char *)a1;
        if (a2)
                argv[argc++] = (char *)a2;
        if (a3)
                argv[argc++] = (char *)a3;
        argv[argc++] = (char *)dir;
        rc = bl_report_main(argc, argv, fo, fe);
        fclose(fo);
        fclose(fe);
        if (err[0])
                fprintf(stderr, "%s", err);
        free(err);
        return rc;
}

/* The CSV line starting with prefix, split on commas (no quoted fields
 * before the ones asked for). Returns field i. */
static void field(const char *csv, const char *prefix, int i, char *buf, size_t n)
{
        const char *p = strstr(csv, prefix);

        assert_non_null(p);
        for (int k = 0; k < i; k++) {
                p = strchr(p, ',');
                assert_non_null(p);
                p++;
        }
        size_t len = strcspn(p, ",\n");
        assert_true(len < n);
        memcpy(buf, p, len);
        buf[len] = '\0';
}

static double num_field(const char *csv, const char *prefix, int i)
{
        char buf[64];

        field(csv, prefix, i, buf, sizeof(buf));
        return atof(buf);
}

/*
 * Two configurations, raft and paxos on 3 shards, three seeds each, a lone
 * raft run and three paxos runs on 4 shards. Grouped: 4 rows with n = 3,
 * 3, 1, 3; the intervals are [min, max] at 75%. Compared by kernel: the
 * 4-shard runs are a configuration of their own; on 3 shards paxos/raft
 * ratio 2, intervals apart.
 */
static void test_group_and_compare(void **state)
{
        struct fx *f = *state;
        char *out = NULL, buf[64];
        /* group columns: fingerprint,name,kernel,ranks,shards,replicas,
         * workload,n,ci_level,ops,lo,hi,p50,lo,hi,p99,lo,hi,passed,noisy */
        write_run(f, "a1", "raft", "3", "1", 1000, 10, 50, "pass");
        write_run(f, "a2", "raft", "3", "2", 1050, 11, 52, "pass");
        write_run(f, "a3", "raft", "3", "3", 880, 12, 80, "fail");
        write_run(f, "b1", "paxos", "3", "1", 2000, 20, 100, "pass");
        write_run(f, "b2", "paxos", "3", "2", 2100, 21, 101, "pass");
        write_run(f, "b3", "paxos", "3", "3", 1950, 19, 102, "pass");
        write_run(f, "c1", "raft", "4", "1", 5000, 5, 9, "pass");
        /* Paxos on 4 shards: one run completed nothing; its latencies (0 in
         * the file) are missing, not zero; its throughput 0 counts. */
        write_run(f, "d1", "paxos", "4", "1", 3000, 30, 90, "pass");
        write_run(f, "d2", "paxos", "4", "2", 0, 0, 0, "pass");
        write_run(f, "d3", "paxos", "4", "3", 3300, 40, 80, "pass");

        assert_int_equal(report("--group", "--csv", NULL, f->dir, &out), 0);
        fprintf(stderr, "%s", out);
        assert_non_null(strstr(out, "fingerprint,name,kernel,ranks,shards,replicas,workload,n,"
                                    "ci_level,ops_per_s,ops_per_s_ci_low,ops_per_s_ci_high,"));
        /* Fields after the prefix ",KERNEL,RANKS,SHARDS,": 4 replicas,
         * 5 workload, 6 n, 7 ci_level, 8..10 ops/s median, low, high,
         * 11..13 p50, 14..16 p99, 17 passed, 18 noisy, 19 config. */
        assert_close(num_field(out, ",raft,1,3,", 6), 3);
        assert_close(num_field(out, ",raft,1,3,", 7), 0.75);
        assert_close(num_field(out, ",raft,1,3,", 8), 1000);
        assert_close(num_field(out, ",raft,1,3,", 9), 880);
        assert_close(num_field(out, ",raft,1,3,", 10), 1050);
        assert_close(num_field(out, ",raft,1,3,", 11), 11);
        assert_close(num_field(out, ",raft,1,3,", 14), 52);
        assert_close(num_field(out, ",raft,1,3,", 16), 80);
        assert_close(num_field(out, ",raft,1,3,", 17), 2);
        /* 880 < 0.9 * 1000 and 80 > 1.1 * 52: noisy ops and p99 (p50
         * 10..12 around 11 is within 10%). */
        assert_non_null(strstr(out, "\"ops_per_s,p99_us\""));
        assert_close(num_field(out, ",paxos,1,3,", 8), 2000);
        assert_close(num_field(out, ",paxos,1,3,", 9), 1950);
        assert_close(num_field(out, ",paxos,1,3,", 10), 2100);
        field(out, ",paxos,1,3,", 18, buf, sizeof(buf));
        assert_string_equal(buf, ""); /* not noisy */
        assert_close(num_field(out, ",raft,1,4,", 6), 1);
        field(out, ",raft,1,4,", 7, buf, sizeof(buf));
        assert_string_equal(buf, ""); /* no interval for one run */
        assert_non_null(strstr(out, "cluster.shards=4"));
        assert_close(num_field(out, ",paxos,1,4,", 6), 3);
        assert_close(num_field(out, ",paxos,1,4,", 8), 3000); /* ops/s median of 0, 3000, 3300 */
        assert_close(num_field(out, ",paxos,1,4,", 9), 0);
        assert_close(num_field(out, ",paxos,1,4,", 11), 35); /* p50 median of 30 and 40 */
        assert_close(num_field(out, ",paxos,1,4,", 12), 30);
        assert_close(num_field(out, ",paxos,1,4,", 13), 40);
        assert_close(num_field(out, ",paxos,1,4,", 14), 85); /* p99 median of 90 and 80 */
        /* ci_level (0.75) is the coverage over 3 runs; the latencies rest on
         * 2, whose [min, max] covers 50%: the last two columns say so
         * (field numbers one up: the quoted noisy field holds a comma). */
        assert_close(num_field(out, ",paxos,1,4,", 21), 2);
        assert_close(num_field(out, ",paxos,1,4,", 22), 0.5);
        assert_close(num_field(out, ",raft,1,3,", 21), 3);
        assert_close(num_field(out, ",raft,1,3,", 22), 0.75);
        free(out);

        /* compare columns after "\nCONFIG,": 1 value, 2 n, 3 ci_level,
         * 4..8 ops/s median, low, high, ratio, overlap, 9..13 p50,
         * 14..18 p99. */
        assert_int_equal(report("--compare", "experiment.kernel", "--csv", f->dir, &out), 0);
        fprintf(stderr, "%s", out);
        assert_non_null(strstr(out, "config,experiment.kernel,n,ci_level,ops_per_s,"));
        assert_close(num_field(out, "\n1,raft,", 4), 1000);
        assert_close(num_field(out, "\n1,raft,", 7), 1);
        assert_close(num_field(out, "\n1,paxos,", 4), 2000);
        assert_close(num_field(out, "\n1,paxos,", 7), 2);
        field(out, "\n1,paxos,", 8, buf, sizeof(buf));
        assert_string_equal(buf, "no");
        /* p99: raft [50, 80], paxos [100, 102]: apart, ratio 101/52. */
        assert_true(fabs(num_field(out, "\n1,paxos,", 17) - 101.0 / 52) < 1e-8);
        assert_non_null(strstr(out, "\n2,raft,1,"));
        assert_non_null(strstr(out, "\n2,paxos,3,"));
        free(out);

        /* Table form names the interval and flags the noisy group. */
        assert_int_equal(report("--group", NULL, NULL, f->dir, &out), 0);
        fprintf(stderr, "%s", out);
        assert_non_null(strstr(out, "1000 [880 1050]"));
        assert_non_null(strstr(out, "35.0 [30.0 40.0] n=2:50%"));
        assert_null(strstr(out, "11.0 [10.0 12.0] n="));
        assert_non_null(strstr(out, "ops_per_s,p99_us"));
        free(out);

        /* An option the files do not have. */
        assert_int_equal(report("--compare", "cluster.nope", NULL, f->dir, &out), 2);
        free(out);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest math[] = {
            cmocka_unit_test(test_ci_three_runs),        cmocka_unit_test(test_ci_six_runs),
            cmocka_unit_test(test_ci_nine_and_ten_runs), cmocka_unit_test(test_ci_one_run_and_nan),
            cmocka_unit_test(test_noisy_and_overlap),    cmocka_unit_test(test_fingerprint),
        };
        const struct CMUnitTest files[] = {
            cmocka_unit_test_setup_teardown(test_group_and_compare, setup, teardown),
        };
        int fails;

        fails = cmocka_run_group_tests_name("median interval", math, NULL, NULL);
        MPI_Init(&argc, &argv);
        fails += cmocka_run_group_tests_name("report --group/--compare", files, NULL, NULL);
        MPI_Finalize();
        return fails ? 1 : 0;
}
