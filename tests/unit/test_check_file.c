/* Tests for `ballot check FILE` (bl_check_file): re-judging stored results, refusing malformed
 * rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "check/history.h"
#include "common/err.h"
#include "results/report.h"
#include "results/results.h"
#include "store/cmd.h"

/* Runs on a 1-rank MPI_COMM_WORLD (Open MPI singleton): the writer is
 * collective, the checker is serial. */

#define MAXH 8

struct fx {
        char path[64];
        struct bl_cfg_entry cfg[3];
        struct bl_replica_info reps[4];
        struct bl_digest_rec digests[4];
        struct bl_history_rec hist[MAXH];
        size_t nhist;
        int history; /* store the history (the fixture's default) */
        struct bl_verdict_row verdicts[4];
        size_t nverdicts;
        struct bl_run_result r;
        char *out;
        size_t outlen;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        int fd;

        if (f == NULL)
                return -1;
        snprintf(f->path, sizeof(f->path), "/tmp/bl_test_check_XXXXXX");
        fd = mkstemp(f->path);
        if (fd < 0)
                return -1;
        close(fd);
        f->cfg[0] = (struct bl_cfg_entry){"store", "records", "100"};
        f->cfg[1] = (struct bl_cfg_entry){"cluster", "shards", "2"};
        f->cfg[2] = (struct bl_cfg_entry){"cluster", "replicas", "2"};
        /* Two replicas of shard 0 that agree. */
        f->reps[0] = (struct bl_replica_info){.shard = 0, .member = 0, .applied = 2, .digest = 7};
        f->reps[1] = (struct bl_replica_info){.shard = 0, .member = 1, .applied = 2, .digest = 7};
        /* Their checkpoints: both reached 8 commands, then stopped apart. */
        f->digests[0] = (struct bl_digest_rec){0, 0, 0, 8, 0xd8};
        f->digests[1] = (struct bl_digest_rec){0, 0, 0, 12, 0xd12};
        f->digests[2] = (struct bl_digest_rec){0, 1, 0, 8, 0xd8};
        f->digests[3] = (struct bl_digest_rec){0, 1, 0, 10, 0xd10};
        /* put k=5 v=1000, then a read of it, then an unknown put. */
        f->hist[0] = (struct bl_history_rec){.client = 1,
                                             .op = BL_OP_PUT,
                                             .outcome = BL_OUT_OK,
                                             .key = 5,
                                             .arg = 1000,
                                             .ret = 1000,
                                             .invoke_ns = 10,
                                             .return_ns = 20};
        f->hist[1] = (struct bl_history_rec){.client = 2,
                                             .op = BL_OP_GET,
                                             .outcome = BL_OUT_OK,
                                             .key = 5,
                                             .ret = 1000,
                                             .invoke_ns = 30,
                                             .return_ns = 40};
        f->hist[2] = (struct bl_history_rec){.client = 3,
                                             .op = BL_OP_PUT,
                                             .outcome = BL_OUT_UNKNOWN,
                                             .key = 6,
                                             .arg = 2000,
                                             .invoke_ns = 50,
                                             .return_ns = -1};
        f->nhist = 3;
        f->history = 1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        unlink(f->path);
        free(f->out);
        free(f);
        return 0;
}

/* Write the fixture's run, then check it; the output lands in f->out. */
static int write_and_check(struct fx *f, struct bl_errbuf *eb)
{
        FILE *fo;
        int rc;

        memset(&f->r, 0, sizeof(f->r));
        f->r.prov.name = "check";
        f->r.prov.history = f->history;
        f->r.prov.n_config = 3;
        f->r.prov.config = f->cfg;
        f->r.local.n_replicas = 2;
        f->r.local.replicas = f->reps;
        f->r.local.n_digests = 4;
        f->r.local.digests = f->digests;
        f->r.local.n_history = f->nhist;
        f->r.local.history = f->hist;
        f->r.global.n_verdicts = f->nverdicts;
        f->r.global.verdicts = f->verdicts;
        f->r.global.lin_ops_checked = 3;
        f->r.global.lin_ops_total = 12;
        assert_int_equal(bl_results_write(MPI_COMM_WORLD, f->path, &f->r, eb), 0);
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

static void test_good_file_passes(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        assert_int_equal(write_and_check(f, &eb), 0);
        assert_has(f->out, "digests       pass         replicas agree at 1 shared checkpoints");
        assert_has(f->out, "linearizable  pass");
        assert_has(f->out, "overall       pass");
}

/* One malformed row: bl_check_file refuses the file (BL_EPROTO), names the
 * row and the defect, and prints no verdict. */
static void assert_refused(struct fx *f, size_t row, const char *why)
{
        struct bl_errbuf eb = {{0}};
        char where[64];

        assert_int_equal(write_and_check(f, &eb), BL_EPROTO);
        snprintf(where, sizeof(where), "/history row %zu ", row);
        assert_has(eb.msg, where);
        assert_has(eb.msg, why);
        assert_has(eb.msg, f->path);
        assert_null(strstr(f->out, "# verdict"));
}

static void test_ok_without_return(void **state)
{
        struct fx *f = *state;

        f->hist[1].return_ns = -1;
        assert_refused(f, 1, "return_ns is negative");
}

static void test_return_before_invoke(void **state)
{
        struct fx *f = *state;

        f->hist[0].return_ns = 5;
        assert_refused(f, 0, "returns before it was invoked");
}

static void test_unknown_op(void **state)
{
        struct fx *f = *state;

        f->hist[2].op = 99;
        assert_refused(f, 2, "unknown operation code");
}

static void test_unknown_outcome(void **state)
{
        struct fx *f = *state;

        f->hist[1].outcome = 7;
        assert_refused(f, 1, "unknown outcome code");
}

static void test_negative_invoke(void **state)
{
        struct fx *f = *state;

        f->hist[0].invoke_ns = -3;
        assert_refused(f, 0, "negative invoke_ns");
}

static void test_unknown_with_return(void **state)
{
        struct fx *f = *state;

        f->hist[2].return_ns = 60;
        assert_refused(f, 2, "outcome unknown but return_ns is not -1");
}

static void test_bad_ret_status(void **state)
{
        struct fx *f = *state;

        f->hist[1].ret_status = 300; /* would wrap to 44 in a uint8_t */
        assert_refused(f, 1, "ret_status");
        f->hist[1].ret_status = BL_ST_OK;
        f->hist[0].ret_status = BL_ST_NOTFOUND; /* a put cannot miss */
        assert_refused(f, 0, "cannot miss");
}

/* store.records decides the initial value of every key: a value that is not
 * a number must be refused, not read as "no preloaded keys". */
static void test_bad_records(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        f->cfg[0].value = "12abc";
        assert_int_equal(write_and_check(f, &eb), BL_EINVAL);
        assert_has(eb.msg, "store.records is '12abc'");
        f->cfg[0].value = "4294967296"; /* above INT32_MAX: still a valid count */
        assert_int_equal(write_and_check(f, &eb), 0);
}

/* The digest checkpoints are re-judged: a divergence on the common prefix
 * fails `ballot check`, though the final counts differ. */
static void test_digest_divergence_fails(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        f->digests[2].digest = 0xbad;
        assert_int_equal(write_and_check(f, &eb), BL_ECHECK);
        assert_has(f->out, "digests       FAIL         shard 0: after 8 commands");
        assert_has(f->out, "overall       fail");
}

static void test_digest_row_malformed(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        f->digests[3].shard = -2;
        assert_int_equal(write_and_check(f, &eb), BL_EPROTO);
        assert_has(eb.msg, "/digests row 3 ");
        assert_has(eb.msg, "shard -2");
        /* A shard or member the configuration does not have. */
        f->digests[3].shard = 2;
        assert_int_equal(write_and_check(f, &eb), BL_EPROTO);
        assert_has(eb.msg, "shard in [0, 2)");
        f->digests[3].shard = 0;
        f->digests[1].member = 2;
        assert_int_equal(write_and_check(f, &eb), BL_EPROTO);
        assert_has(eb.msg, "/digests row 1 ");
}

/* Verdicts `ballot check` cannot judge again are carried over as the run
 * stored them: before, a file whose counter failed, or whose sampled
 * linearizability check was inconclusive, was re-judged as a pass. */
static void test_stored_verdicts_carried(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};

        f->verdicts[0] = (struct bl_verdict_row){"digests", BL_VERDICT_FAIL, "stale"};
        f->verdicts[1] = (struct bl_verdict_row){"linearizable", BL_VERDICT_INCONCLUSIVE,
                                                 "inconclusive: time limit reached on key 5"};
        f->verdicts[2] = (struct bl_verdict_row){"counter", BL_VERDICT_PASS, "exact"};
        f->nverdicts = 3;
        /* With the history: digests and linearizability are judged again
         * (the stored ones are replaced), the counter is carried over. */
        assert_int_equal(write_and_check(f, &eb), 0);
        assert_has(f->out, "digests       pass");
        assert_has(f->out, "linearizable  pass");
        assert_has(f->out, "counter       pass         exact (as the run stored it)");
        assert_has(f->out, "overall       pass");
        /* Without it, the stored inconclusive check stays inconclusive. */
        f->history = 0;
        assert_int_equal(write_and_check(f, &eb), BL_EINCONCLUSIVE);
        assert_has(f->out, "linearizable  inconclusive inconclusive: time limit reached on key 5 "
                           "(as the run stored it)");
        assert_has(f->out, "overall       inconclusive");
        /* A stored failure fails the check. */
        f->verdicts[2].pass = BL_VERDICT_FAIL;
        assert_int_equal(write_and_check(f, &eb), BL_ECHECK);
        assert_has(f->out, "counter       FAIL");
}

/* The share of operations the linearizability check covered is stored and
 * shown by `ballot info`. */
static void test_info_shows_lin_fraction(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        char *text = NULL;
        size_t len = 0;
        FILE *fo;

        assert_int_equal(write_and_check(f, &eb), 0);
        fo = open_memstream(&text, &len);
        assert_non_null(fo);
        assert_int_equal(bl_info_file(f->path, fo, &eb), 0);
        fclose(fo);
        assert_has(text, "linearizability covered 25.0% of the operations (3 of 12)");
        free(text);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_good_file_passes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_ok_without_return, setup, teardown),
            cmocka_unit_test_setup_teardown(test_return_before_invoke, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unknown_op, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unknown_outcome, setup, teardown),
            cmocka_unit_test_setup_teardown(test_negative_invoke, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unknown_with_return, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_ret_status, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
            cmocka_unit_test_setup_teardown(test_digest_divergence_fails, setup, teardown),
            cmocka_unit_test_setup_teardown(test_digest_row_malformed, setup, teardown),
            cmocka_unit_test_setup_teardown(test_stored_verdicts_carried, setup, teardown),
            cmocka_unit_test_setup_teardown(test_info_shows_lin_fraction, setup, teardown),
        };
        int fails;

        MPI_Init(&argc, &argv);
        fails = cmocka_run_group_tests_name("check file", tests, NULL, NULL);
        MPI_Finalize();
        return fails;
}
