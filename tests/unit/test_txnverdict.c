/* Tests for the transaction verdicts: atomicity, bank, serializability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check/history.h"
#include "check/serial.h"
#include "check/txnverdict.h"
#include "common/alloc.h"
#include "common/err.h"

#define OK   BL_OUT_OK
#define FAIL BL_OUT_FAIL
#define UNK  BL_OUT_UNKNOWN

static const uint32_t S01[] = {0, 1};
static const uint32_t S12[] = {1, 2};
static const uint32_t S2[] = {2};

static void assert_verdict(const struct bl_verdict *v, const char *name, int pass,
                           const char *needle)
{
        assert_string_equal(v->name, name);
        if (v->pass != pass)
                fail_msg("%s: expected %d, got %d: %s", name, pass, v->pass, v->reason);
        if (needle != NULL && strstr(v->reason, needle) == NULL)
                fail_msg("%s: \"%s\" not in: %s", name, needle, v->reason);
}

/* ---- atomicity ---- */

/* T1 committed on {0,1}, T2 aborted on {1,2}, T3 unknown on {2}, applied. */
static void outcomes(struct bl_txn_outcome *t)
{
        t[0] = (struct bl_txn_outcome){1, OK, 2, S01};
        t[1] = (struct bl_txn_outcome){2, FAIL, 2, S12};
        t[2] = (struct bl_txn_outcome){3, UNK, 1, S2};
}

static void test_atomicity_pass(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t a0[] = {1}, a1[] = {1}, a2[] = {3};
        struct bl_shard_log logs[] = {
            {0, a0, 1, NULL, 0}, {1, a1, 1, NULL, 0}, {2, a2, 1, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 3, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_PASS, "0 still in doubt");
        /* The unknown one applied nowhere is fine too. */
        logs[2].napplied = 0;
        assert_int_equal(bl_check_atomicity(t, 3, logs, 3, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_PASS, NULL);
        assert_int_equal(bl_check_atomicity(NULL, 0, NULL, 0, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_UNKNOWN, NULL);
}

static void test_atomicity_committed_missing(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t a0[] = {1};
        struct bl_shard_log logs[] = {{0, a0, 1, NULL, 0}, {1, NULL, 0, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "transaction 1 committed");
        assert_non_null(strstr(v.reason, "shard 1"));
}

/* A shard with no log (no live replica at the end: a 2pc/none participant
 * crashed for good) is not judged: T1 committed, applied on shard 0, is not
 * "missing" on shard 1; with shard 1's log it is. */
static void test_atomicity_shard_without_log(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t a0[] = {1}, a2[] = {3};
        struct bl_shard_log logs[] = {{0, a0, 1, NULL, 0}, {2, a2, 1, NULL, 0}};
        struct bl_shard_log all[] = {
            {0, a0, 1, NULL, 0}, {1, NULL, 0, NULL, 0}, {2, a2, 1, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_PASS, "on 2 shards");
        assert_int_equal(bl_check_atomicity(t, 3, all, 3, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "not applied on shard 1");
        /* What a logged shard holds is still judged: T2 aborted, applied on 2. */
        const uint64_t a2b[] = {2, 3};
        logs[1] = (struct bl_shard_log){2, a2b, 2, NULL, 0};
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "transaction 2 aborted");
}

/* A committed transaction still prepared on a shard: in doubt, not broken. */
static void test_atomicity_in_doubt(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t a0[] = {1}, d1[] = {1, 2};
        struct bl_shard_log logs[] = {{0, a0, 1, NULL, 0}, {1, NULL, 0, d1, 2}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_PASS, "1 still in doubt");
}

static void test_atomicity_aborted_applied(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t a0[] = {1}, a1[] = {1}, a2[] = {2};
        struct bl_shard_log logs[] = {
            {0, a0, 1, NULL, 0}, {1, a1, 1, NULL, 0}, {2, a2, 1, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 3, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "transaction 2 aborted");
        assert_non_null(strstr(v.reason, "shard 2"));
}

static void test_atomicity_unknown_partial(void **state)
{
        const uint32_t s[] = {0, 2};
        struct bl_txn_outcome t[] = {{9, UNK, 2, s}};
        const uint64_t a2[] = {9};
        struct bl_shard_log logs[] = {{0, NULL, 0, NULL, 0}, {2, a2, 1, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_atomicity(t, 1, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "outcome unknown");
        assert_non_null(strstr(v.reason, "not on shard 0"));
}

static void test_atomicity_bad_records(void **state)
{
        struct bl_txn_outcome t[3];
        const uint64_t twice[] = {1, 1}, stranger[] = {1, 77}, wrong[] = {1, 3};
        struct bl_shard_log logs[] = {{0, twice, 2, NULL, 0}, {1, twice, 1, NULL, 0}};
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "applied twice on shard 0");
        logs[0] = (struct bl_shard_log){0, stranger, 2, NULL, 0};
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "77, which no client issued");
        logs[0] = (struct bl_shard_log){0, wrong, 2, NULL, 0};
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), 0);
        assert_verdict(&v, "atomicity", BL_VERDICT_FAIL, "which it does not write");
        t[1].txn = 1;
        assert_int_equal(bl_check_atomicity(t, 3, logs, 2, &v), BL_EINVAL);
        assert_verdict(&v, "atomicity", BL_VERDICT_UNKNOWN, "listed twice");
}

static void test_atomicity_oom(void **state)
{
        struct bl_txn_outcome t[3];
        struct bl_verdict v;

        (void)state;
        outcomes(t);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_check_atomicity(t, 3, NULL, 0, &v), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(v.pass, BL_VERDICT_INCONCLUSIVE);
}

/* ---- bank ---- */

static void test_bank(void **state)
{
        const uint64_t all[] = {0, 1, 2, 3}, part[] = {1, 3}, dup[] = {0, 0, 2, 3};
        const int64_t good[] = {10, 30, 0, 60}, partb[] = {5, 5}, neg[] = {-1, 101};
        const int64_t lost[] = {10, 30, 0, 59}, dupb[] = {50, 50, 0, 0};
        struct bl_bank_audit a[] = {{1, 4, all, good}, {2, 2, part, partb}};
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_bank(100, 4, a, 2, good, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_PASS, "1 full audits and the final state");
        /* Partial audits alone: nothing to sum. */
        assert_int_equal(bl_check_bank(100, 4, a + 1, 1, NULL, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_UNKNOWN, NULL);
        /* A full audit that lost money. */
        a[0].balance = lost;
        assert_int_equal(bl_check_bank(100, 4, a, 2, good, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_FAIL, "audit 1 of all 4 accounts sums to 99");
        /* The final state that lost money. */
        a[0].balance = good;
        assert_int_equal(bl_check_bank(100, 4, a, 2, lost, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_FAIL, "final balances sum to 99");
        /* A negative balance, even in a partial audit. */
        a[1].balance = neg;
        assert_int_equal(bl_check_bank(100, 4, a, 2, NULL, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_FAIL, "below zero");
        /* An audit reading one account twice is not a full audit. */
        a[1] = (struct bl_bank_audit){3, 4, dup, dupb};
        assert_int_equal(bl_check_bank(100, 4, a + 1, 1, NULL, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_UNKNOWN, NULL);
        /* An account outside the bank. */
        a[1] = (struct bl_bank_audit){4, 4, all, good};
        assert_int_equal(bl_check_bank(100, 3, a + 1, 1, NULL, &v), 0);
        assert_verdict(&v, "bank", BL_VERDICT_FAIL, "account 3; accounts are 0..2");
        assert_int_equal(bl_check_bank(100, 4, NULL, 1, NULL, &v), BL_EINVAL);
}

/* ---- serializability verdicts ---- */

static void test_serial_verdict(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        struct bl_ser_opts o;
        struct bl_verdict v;

        (void)state;
        /* A stale read: serializable, not strictly. */
        bl_txn_history_init(&h);
        assert_int_equal(bl_txn_begin(&h, 1, 1, OK, 0, 10), 0);
        assert_int_equal(bl_txn_append(&h, 1, 1), 0);
        assert_int_equal(bl_txn_begin(&h, 2, 2, OK, 20, 30), 0);
        assert_int_equal(bl_txn_read(&h, 1, NULL, 0), 0);
        assert_int_equal(bl_txn_begin(&h, 3, 3, OK, 40, 50), 0);
        assert_int_equal(bl_txn_read(&h, 1, (const uint64_t[]){1}, 1), 0);
        assert_int_equal(bl_ser_check(&h, NULL, &r), 0);
        bl_check_serial(&r, 0, &v);
        assert_verdict(&v, "serializable", BL_VERDICT_PASS, NULL);
        bl_check_serial(&r, 1, &v);
        assert_verdict(&v, "strict-serializable", BL_VERDICT_FAIL, "G2-item-realtime");
        bl_ser_opts_default(&o);
        o.realtime = 0;
        assert_int_equal(bl_ser_check(&h, &o, &r), 0);
        bl_check_serial(&r, 1, &v);
        assert_verdict(&v, "strict-serializable", BL_VERDICT_UNKNOWN, "real time");
        /* Out of memory: inconclusive, never a pass. */
        bl_alloc_fail_after(2);
        assert_int_equal(bl_ser_check(&h, NULL, &r), BL_ENOMEM);
        bl_alloc_fail_after(0);
        bl_check_serial(&r, 0, &v);
        assert_verdict(&v, "serializable", BL_VERDICT_INCONCLUSIVE, NULL);
        bl_txn_history_free(&h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_atomicity_pass),
            cmocka_unit_test(test_atomicity_committed_missing),
            cmocka_unit_test(test_atomicity_shard_without_log),
            cmocka_unit_test(test_atomicity_in_doubt),
            cmocka_unit_test(test_atomicity_aborted_applied),
            cmocka_unit_test(test_atomicity_unknown_partial),
            cmocka_unit_test(test_atomicity_bad_records),
            cmocka_unit_test(test_atomicity_oom),
            cmocka_unit_test(test_bank),
            cmocka_unit_test(test_serial_verdict),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
