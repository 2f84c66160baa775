/* Unit tests of the fault schedule parser and validator (src/run/faults.c). */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/err.h"
#include "run/faults.h"

#define MS 1000000ULL
#define S  1000000000ULL

/* The repository root: $BALLOT_ROOT, else the current directory. */
static void repo_path(char *buf, size_t n, const char *rel)
{
        const char *r = getenv("BALLOT_ROOT");

        snprintf(buf, n, "%s/%s", r != NULL ? r : ".", rel);
}

static void assert_has(const char *msg, const char *want)
{
        if (strstr(msg, want) == NULL)
                fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

static void assert_plan_empty(const struct bl_fault_plan *plan)
{
        assert_null(plan->f);
        assert_int_equal(plan->n, 0);
}

/* Parse text that must be valid; fails the test with the message if not. */
static void parse_ok(const char *text, int nranks, int nshards, struct bl_fault_plan *plan)
{
        struct bl_errbuf eb = {{0}};
        int rc = bl_faults_parse_text("t.faults", text, nranks, nshards, plan, &eb);

        if (rc != 0)
                fail_msg("parse of \"%s\" failed (%d): %s", text, rc, eb.msg);
}

/* Parse a one-fault schedule into *f (the plan is kept in *plan). */
static const struct bl_fault *parse_one(const char *text, int nranks, int nshards,
                                        struct bl_fault_plan *plan)
{
        parse_ok(text, nranks, nshards, plan);
        assert_int_equal(plan->n, 1);
        return &plan->f[0];
}

/* Line `line` of text without comment and outer blanks: what a message quotes. */
static void expected_quote(const char *text, int line, char *out, size_t n)
{
        const char *s = text;
        size_t len;

        for (int i = 1; i < line; i++)
                s = strchr(s, '\n') + 1;
        while (*s == ' ' || *s == '\t')
                s++;
        len = strcspn(s, "#\n");
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
                len--;
        snprintf(out, n, "%.*s", (int)len, s);
}

/* text must fail with BL_ECONFIG, a message starting "t.faults:LINE: "<the
 * line>": " and holding want; the plan must be left empty. */
static void assert_error(const char *text, int nranks, int nshards, int line, const char *want)
{
        struct bl_fault_plan plan = {(struct bl_fault *)&plan, 99, 0, 0};
        struct bl_errbuf eb = {{0}};
        char quote[2048], prefix[2200];
        int rc = bl_faults_parse_text("t.faults", text, nranks, nshards, &plan, &eb);

        if (rc != BL_ECONFIG)
                fail_msg("\"%s\": want BL_ECONFIG, got %d (%s)", text, rc, eb.msg);
        expected_quote(text, line, quote, sizeof(quote));
        snprintf(prefix, sizeof(prefix), "t.faults:%d: \"%s\": ", line, quote);
        if (strncmp(eb.msg, prefix, strlen(prefix)) != 0)
                fail_msg("message \"%s\" does not start with \"%s\"", eb.msg, prefix);
        assert_has(eb.msg, want);
        assert_plan_empty(&plan);
}

static void assert_link(const struct bl_fault *f, int i, int src, int dst)
{
        assert_true(i < f->nlinks);
        assert_int_equal(f->links[i].src, src);
        assert_int_equal(f->links[i].dst, dst);
}

static void assert_groups(const struct bl_fault *f, int ngroups, const int *want, int nranks)
{
        assert_int_equal(f->ngroups, ngroups);
        assert_int_equal(f->nranks, nranks);
        for (int r = 0; r < nranks; r++)
                if (f->group_of_rank[r] != want[r])
                        fail_msg("rank %d: group %d, want %d", r, f->group_of_rank[r], want[r]);
}

/* Everything but the line number. */
static void assert_fault_equal(const struct bl_fault *a, const struct bl_fault *b)
{
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->at_ns, b->at_ns);
        assert_int_equal(a->for_ns, b->for_ns);
        assert_int_equal(a->target_kind, b->target_kind);
        assert_int_equal(a->target, b->target);
        assert_int_equal(a->to_member, b->to_member);
        assert_true(a->fraction == b->fraction);
        assert_int_equal(a->delay_ns, b->delay_ns);
        assert_int_equal(a->jitter_ns, b->jitter_ns);
        assert_int_equal(a->pause_ns, b->pause_ns);
        assert_int_equal(a->nlinks, b->nlinks);
        for (int i = 0; i < a->nlinks; i++) {
                assert_int_equal(a->links[i].src, b->links[i].src);
                assert_int_equal(a->links[i].dst, b->links[i].dst);
        }
        assert_int_equal(a->ngroups, b->ngroups);
        assert_int_equal(a->nranks, b->nranks);
        assert_int_equal(a->group_of_rank == NULL, b->group_of_rank == NULL);
        for (int r = 0; r < a->nranks; r++)
                assert_int_equal(a->group_of_rank[r], b->group_of_rank[r]);
        assert_int_equal(a->crash_id, b->crash_id);
}

/* ---- every action ---- */

static void test_crash_recover(void **state)
{
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        parse_ok("2s crash leader:1\n4s recover leader:1\n5s crash rank:4\n6s recover rank:4\n", 5,
                 2, &plan);
        assert_int_equal(plan.n, 4);
        assert_int_equal(plan.nranks, 5);
        assert_int_equal(plan.nshards, 2);
        f = &plan.f[0];
        assert_int_equal(f->kind, BL_FAULT_CRASH);
        assert_int_equal(f->line, 1);
        assert_int_equal(f->at_ns, 2 * S);
        assert_int_equal(f->target_kind, BL_TARGET_LEADER);
        assert_int_equal(f->target, 1);
        assert_int_equal(f->crash_id, -1);
        assert_int_equal(f->to_member, -1);
        assert_null(f->links);
        assert_null(f->group_of_rank);
        f = &plan.f[1];
        assert_int_equal(f->kind, BL_FAULT_RECOVER);
        assert_int_equal(f->target_kind, BL_TARGET_LEADER);
        assert_int_equal(f->target, 1);
        assert_int_equal(f->crash_id, 0);
        f = &plan.f[2];
        assert_int_equal(f->kind, BL_FAULT_CRASH);
        assert_int_equal(f->target_kind, BL_TARGET_RANK);
        assert_int_equal(f->target, 4);
        assert_int_equal(plan.f[3].crash_id, 2);
        bl_faults_free(&plan);
        assert_plan_empty(&plan);
        bl_faults_free(&plan); /* twice is safe */
}

static void test_partition_heal(void **state)
{
        static const int want[] = {0, 0, 1, 2, 2};
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        parse_ok("1s partition 0,1|2 for 2s\n3s partition 4\n3.5s heal\n", 5, 1, &plan);
        assert_int_equal(plan.n, 3);
        f = &plan.f[0];
        assert_int_equal(f->kind, BL_FAULT_PARTITION);
        assert_int_equal(f->at_ns, 1 * S);
        assert_int_equal(f->for_ns, 2 * S);
        assert_groups(f, 3, want, 5);
        assert_int_equal(plan.f[1].for_ns, 0);
        assert_int_equal(plan.f[2].kind, BL_FAULT_HEAL);
        assert_int_equal(plan.f[2].at_ns, 3500 * MS);
        bl_faults_free(&plan);
}

static void test_drop_duplicate(void **state)
{
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        parse_ok("1s drop 0.05 all for 3s\n2s duplicate 5% 0->1\n3s drop 1\n4s drop 0\n", 3, 1,
                 &plan);
        f = &plan.f[0];
        assert_int_equal(f->kind, BL_FAULT_DROP);
        assert_true(f->fraction == 0.05);
        assert_int_equal(f->for_ns, 3 * S);
        assert_int_equal(f->nlinks, 1);
        assert_link(f, 0, -1, -1);
        f = &plan.f[1];
        assert_int_equal(f->kind, BL_FAULT_DUP);
        assert_true(f->fraction == 0.05);
        assert_int_equal(f->for_ns, 0);
        assert_int_equal(f->nlinks, 1);
        assert_link(f, 0, 0, 1);
        assert_true(plan.f[2].fraction == 1.0);
        assert_true(plan.f[3].fraction == 0.0);
        assert_int_equal(plan.f[3].nlinks, 1); /* no LINKS: all */
        assert_link(&plan.f[3], 0, -1, -1);
        bl_faults_free(&plan);
}

static void test_delay(void **state)
{
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        f = parse_one("1s delay 1ms jitter 0.5ms 0<->2 for 2s", 3, 1, &plan);
        assert_int_equal(f->kind, BL_FAULT_DELAY);
        assert_int_equal(f->delay_ns, 1 * MS);
        assert_int_equal(f->jitter_ns, 500000);
        assert_int_equal(f->for_ns, 2 * S);
        assert_int_equal(f->nlinks, 2);
        assert_link(f, 0, 0, 2);
        assert_link(f, 1, 2, 0);
        bl_faults_free(&plan);

        f = parse_one("1s delay 20us", 3, 1, &plan);
        assert_int_equal(f->delay_ns, 20000);
        assert_int_equal(f->jitter_ns, 0);
        assert_int_equal(f->for_ns, 0);
        assert_link(f, 0, -1, -1);
        bl_faults_free(&plan);

        /* options in another order are accepted */
        f = parse_one("1s delay 2ms for 1s 1->0 jitter 2ms", 3, 1, &plan);
        assert_int_equal(f->jitter_ns, 2 * MS);
        assert_int_equal(f->for_ns, 1 * S);
        assert_link(f, 0, 1, 0);
        bl_faults_free(&plan);
}

static void test_pause_transfer(void **state)
{
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        f = parse_one("3s pause rank:2 500ms", 3, 1, &plan);
        assert_int_equal(f->kind, BL_FAULT_PAUSE);
        assert_int_equal(f->target_kind, BL_TARGET_RANK);
        assert_int_equal(f->target, 2);
        assert_int_equal(f->pause_ns, 500 * MS);
        assert_int_equal(f->for_ns, 0);
        assert_int_equal(bl_fault_end_ns(f), 3500 * MS);
        bl_faults_free(&plan);

        f = parse_one("3s pause leader:0 1s", 3, 1, &plan);
        assert_int_equal(f->target_kind, BL_TARGET_LEADER);
        assert_int_equal(f->target, 0);
        bl_faults_free(&plan);

        f = parse_one("7s transfer shard:1", 3, 2, &plan);
        assert_int_equal(f->kind, BL_FAULT_TRANSFER);
        assert_int_equal(f->target_kind, BL_TARGET_LEADER);
        assert_int_equal(f->target, 1);
        assert_int_equal(f->to_member, -1);
        bl_faults_free(&plan);

        f = parse_one("7s transfer shard:0 to member:2", 3, 2, &plan);
        assert_int_equal(f->target, 0);
        assert_int_equal(f->to_member, 2);
        bl_faults_free(&plan);
}

/* Blanks around list punctuation, upper-case keywords, comments, blank lines. */
static void test_lenient_spacing(void **state)
{
        static const int want[] = {0, 0, 1, 2};
        struct bl_fault_plan plan;

        (void)state;
        parse_ok("\n   # only a comment\n\t\n2s  PARTITION 0 , 1 | 2   FOR 1s  # trailing\n"
                 "5s Drop 5 % 0 -> 1 , 2 <-> 3\n6s crash rank: 1\n",
                 4, 1, &plan);
        assert_int_equal(plan.n, 3);
        assert_int_equal(plan.f[0].line, 4);
        assert_groups(&plan.f[0], 3, want, 4);
        assert_int_equal(plan.f[0].for_ns, 1 * S);
        assert_true(plan.f[1].fraction == 0.05);
        assert_int_equal(plan.f[1].nlinks, 3);
        assert_link(&plan.f[1], 0, 0, 1);
        assert_link(&plan.f[1], 1, 2, 3);
        assert_link(&plan.f[1], 2, 3, 2);
        assert_int_equal(plan.f[2].target, 1);
        bl_faults_free(&plan);
}

static void test_empty_schedule(void **state)
{
        struct bl_fault_plan plan;

        (void)state;
        parse_ok("", 3, 1, &plan);
        assert_plan_empty(&plan);
        parse_ok("# nothing\n\n   \n", 3, 1, &plan);
        assert_plan_empty(&plan);
        bl_faults_free(&plan);
}

/* ---- times ---- */

static void test_times(void **state)
{
        static const struct {
                const char *t;
                uint64_t ns;
        } ok[] = {
            {"0s", 0},
            {"0ms", 0},
            {"2.5s", 2500 * MS},
            {"300ms", 300 * MS},
            {"50us", 50000},
            {"7ns", 7},
            {"1.000000001s", S + 1},
            {".5s", 500 * MS},
            {"5.s", 5 * S},
            {"0.0015ms", 1500},
            {"1.50000000000s", 1500 * MS},
            {"1000000s", 1000000 * S},
        };
        char text[64];

        (void)state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                struct bl_fault_plan plan;

                /* heal needs a partition: put one at time 0 */
                snprintf(text, sizeof(text), "0s partition 0\n%s heal", ok[i].t);
                parse_ok(text, 2, 1, &plan);
                assert_int_equal(plan.n, 2);
                if (plan.f[1].at_ns != ok[i].ns)
                        fail_msg("%s: %llu ns, want %llu", ok[i].t,
                                 (unsigned long long)plan.f[1].at_ns, (unsigned long long)ok[i].ns);
                bl_faults_free(&plan);
        }
}

static void test_time_errors(void **state)
{
        (void)state;
        assert_error("2 crash rank:0", 3, 1, 1, "has no unit");
        assert_error("2h crash rank:0", 3, 1, 1, "unknown unit \"h\"; allowed: ns, us, ms, s");
        assert_error("2S crash rank:0", 3, 1, 1, "unknown unit");
        assert_error("-1s crash rank:0", 3, 1, 1, "is negative");
        assert_error("1.5ns crash rank:0", 3, 1, 1, "finer than 1ns");
        assert_error("1000001s crash rank:0", 3, 1, 1, "too large; at most 1000000s");
        assert_error("99999999999999999999999s crash rank:0", 3, 1, 1, "too large");
        assert_error("crash rank:0", 3, 1, 1, "bad time \"crash\"; a line reads TIME ACTION");
        assert_error("2.5.1s crash rank:0", 3, 1, 1, "bad time");
        assert_error("1s\n2s", 3, 1, 1, "missing action");
        assert_error("1s partition 0 for 0s", 3, 1, 1, "must be more than 0");
        assert_error("1s partition 0 for -1s", 3, 1, 1, "negative");
        assert_error("1s partition 0 for", 3, 1, 1, "\"for\" needs a duration");
        assert_error("1s delay 0ms", 3, 1, 1, "delay \"0ms\" must be more than 0");
        assert_error("1s delay 1ms jitter", 3, 1, 1, "\"jitter\" needs a duration");
}

/* ---- order ---- */

static void test_sorted_stably(void **state)
{
        struct bl_fault_plan plan;

        (void)state;
        parse_ok("5s drop 0.1\n"          /* 1 */
                 "1s crash rank:0\n"      /* 2 */
                 "3s duplicate 0.2\n"     /* 3 */
                 "# comment\n"            /* 4 */
                 "3s delay 1ms\n"         /* 5: same time as 3, after it */
                 "3s pause rank:1 1ms\n"  /* 6 */
                 "2s recover rank:0\n"    /* 7 */
                 "0s transfer shard:0\n", /* 8 */
                 3, 1, &plan);
        assert_int_equal(plan.n, 7);
        static const int lines[] = {8, 2, 7, 3, 5, 6, 1};
        for (size_t i = 0; i < plan.n; i++)
                assert_int_equal(plan.f[i].line, lines[i]);
        for (size_t i = 1; i < plan.n; i++)
                assert_true(plan.f[i - 1].at_ns <= plan.f[i].at_ns);
        /* crash_id is an index in the sorted plan */
        assert_int_equal(plan.f[2].kind, BL_FAULT_RECOVER);
        assert_int_equal(plan.f[2].crash_id, 1);
        bl_faults_free(&plan);
}

/* Validation runs in time order, not file order. */
static void test_order_checks_use_time(void **state)
{
        struct bl_fault_plan plan;

        (void)state;
        /* a recover written first but timed later is fine */
        parse_ok("4s recover rank:1\n2s crash rank:1\n", 3, 1, &plan);
        assert_int_equal(plan.f[1].crash_id, 0);
        bl_faults_free(&plan);
        /* the reverse is not */
        assert_error("4s crash rank:1\n2s recover rank:1\n", 3, 1, 2, "no earlier crash of rank:1");
        /* crash, recover, crash, recover again */
        parse_ok("1s crash rank:0\n2s recover rank:0\n3s crash rank:0\n4s recover rank:0\n", 3, 1,
                 &plan);
        assert_int_equal(plan.f[1].crash_id, 0);
        assert_int_equal(plan.f[3].crash_id, 2);
        bl_faults_free(&plan);
        /* crash and recover at the same time: file order */
        parse_ok("1s crash rank:0\n1s recover rank:0\n", 3, 1, &plan);
        bl_faults_free(&plan);
        assert_error("1s recover rank:0\n1s crash rank:0\n", 3, 1, 1, "no earlier crash");
}

static void test_crash_recover_errors(void **state)
{
        (void)state;
        assert_error("1s recover rank:0", 3, 1, 1,
                     "no earlier crash of rank:0 to recover; a recover follows a crash of the same "
                     "target");
        assert_error("1s crash leader:0\n2s recover rank:0", 3, 1, 2, "no earlier crash of rank:0");
        assert_error("1s crash rank:0\n2s recover leader:0", 3, 1, 2,
                     "no earlier crash of leader:0");
        assert_error("1s crash rank:1\n2s recover rank:1\n3s recover rank:1", 3, 1, 3,
                     "no earlier crash");
        assert_error("1s crash rank:2\n\n2s crash rank:2", 3, 1, 3,
                     "rank:2 is already crashed (line 1) and not recovered");
        assert_error("1s crash leader:0\n2s crash leader:0", 3, 1, 2,
                     "leader:0 is already crashed (line 1)");
}

/* Crashing every rank at once is allowed. */
static void test_crash_all(void **state)
{
        struct bl_fault_plan plan;

        (void)state;
        parse_ok("1s crash rank:0\n1s crash rank:1\n1s crash rank:2\n2s crash leader:0\n", 3, 1,
                 &plan);
        assert_int_equal(plan.n, 4);
        bl_faults_free(&plan);
}

static void test_partition_windows(void **state)
{
        struct bl_fault_plan plan;

        (void)state;
        /* a `for` that has expired lets the next partition start (end is exclusive) */
        parse_ok("1s partition 0 for 1s\n2s partition 1\n3s heal\n4s partition 2 for 1s\n", 3, 1,
                 &plan);
        assert_int_equal(plan.n, 4);
        bl_faults_free(&plan);
        /* heal before the `for` expires ends it early */
        parse_ok("1s partition 0 for 5s\n2s heal\n3s partition 1\n", 3, 1, &plan);
        bl_faults_free(&plan);

        assert_error("1s partition 0\n2s partition 1", 3, 1, 2,
                     "overlaps the partition of line 1, active until a heal");
        assert_error("1s partition 0 for 2s\n2s partition 1", 3, 1, 2,
                     "overlaps the partition of line 1, active until 3s");
        assert_error("1s heal", 3, 1, 1, "heal without an active partition");
        assert_error("1s partition 0 for 1s\n2s heal", 3, 1, 2,
                     "heal without an active partition (the last one ended by itself at 2s)");
        assert_error("1s partition 0\n2s heal\n3s heal", 3, 1, 3, "heal without an active");
}

/* ---- syntax and range errors ---- */

static void test_errors(void **state)
{
        char text[64];

        (void)state;
        assert_error("1s crsh rank:0", 3, 1, 1,
                     "unknown action \"crsh\"; allowed: crash, recover, partition, heal");
        assert_error("# c\n1s crash rank:3", 3, 1, 2, "rank 3 does not exist; ranks are 0..2");
        assert_error("1s crash leader:2", 3, 2, 1, "shard 2 does not exist; shards are 0..1");
        assert_error("1s crash node:1", 3, 1, 1, "bad target \"node:1\"; allowed: rank:R");
        assert_error("1s crash rank:x", 3, 1, 1, "bad target \"rank:x\"");
        assert_error("1s crash rank:-1", 3, 1, 1, "bad target");
        assert_error("1s crash", 3, 1, 1, "crash needs a target; usage: TIME crash");
        assert_error("1s crash rank:0 rank:1", 3, 1, 1, "unexpected \"rank:1\"; usage");
        assert_error("1s heal now", 3, 1, 1, "unexpected \"now\"");
        assert_error("1s transfer shard:5", 3, 2, 1, "shard 5 does not exist");
        assert_error("1s transfer", 3, 2, 1, "transfer needs a shard");
        assert_error("1s transfer 0", 3, 2, 1, "bad shard \"0\"");
        assert_error("1s transfer shard:0 to", 3, 2, 1, "\"to\" needs a member");
        assert_error("1s transfer shard:0 to rank:1", 3, 2, 1, "bad member \"rank:1\"");
        assert_error("1s transfer shard:0 to member:3", 3, 2, 1, "member 3 cannot exist");
        /* fractions */
        assert_error("1s drop 1.5", 3, 1, 1, "fraction \"1.5\" is outside [0,1]");
        assert_error("1s drop -0.1", 3, 1, 1, "outside [0,1]");
        assert_error("1s duplicate 150%", 3, 1, 1, "outside [0,1]");
        assert_error("1s drop lots", 3, 1, 1, "bad fraction \"lots\"; write e.g. 0.05 or 5%");
        assert_error("1s drop nan", 3, 1, 1, "bad fraction");
        assert_error("1s drop 0x1p-3", 3, 1, 1, "bad fraction");
        assert_error("1s drop", 3, 1, 1, "drop needs a fraction");
        /* corrupt-wal */
        assert_error("1s corrupt-wal", 3, 1, 1, "corrupt-wal needs a target");
        assert_error("1s crash leader:0\n2s corrupt-wal leader:0 tail", 3, 1, 2,
                     "corrupt-wal needs rank:R");
        assert_error("1s crash rank:1\n2s corrupt-wal rank:1", 3, 1, 2,
                     "corrupt-wal needs where: tail or middle");
        assert_error("1s crash rank:1\n2s corrupt-wal rank:1 head", 3, 1, 2,
                     "corrupt-wal needs where: tail or middle");
        assert_error("2s corrupt-wal rank:1 tail", 3, 1, 1,
                     "rank:1 is not crashed at this time; corrupt-wal damages the log");
        assert_error("1s crash rank:1\n2s recover rank:1\n3s corrupt-wal rank:1 middle", 3, 1, 3,
                     "rank:1 is not crashed at this time");
        /* pause */
        assert_error("1s pause rank:1", 3, 1, 1, "pause needs a duration");
        assert_error("1s pause rank:1 0s", 3, 1, 1, "must be more than 0");
        assert_error("1s pause rank:1 1s for 1s", 3, 1, 1, "unexpected \"for\"");
        /* delay */
        assert_error("1s delay 1ms jitter 2ms", 3, 1, 1, "jitter is larger than the mean");
        assert_error("1s delay", 3, 1, 1, "delay needs a mean");
        assert_error("1s delay 1ms 0->1 1->2", 3, 1, 1, "unexpected \"1->2\"");
        assert_error("1s delay 1ms for 1s for 2s", 3, 1, 1, "unexpected \"for\"");
        /* partitions */
        assert_error("1s partition 0-2", 3, 1, 1, "does not split anything");
        assert_error("1s partition 0,1,2", 3, 1, 1, "does not split anything");
        assert_error("1s partition 0,1|1", 3, 1, 1, "rank 1 is listed twice");
        assert_error("1s partition 0-2|2", 4, 1, 1, "rank 2 is listed twice");
        assert_error("1s partition 0|3", 3, 1, 1, "rank 3 does not exist; ranks are 0..2");
        assert_error("1s partition 2-0", 3, 1, 1, "rank range 2-0 is backwards");
        assert_error("1s partition 0||1", 3, 1, 1, "empty group or rank");
        assert_error("1s partition 0|", 3, 1, 1, "empty group or rank");
        assert_error("1s partition 0,|1", 3, 1, 1, "empty group or rank");
        assert_error("1s partition a|b", 3, 1, 1, "bad rank \"a\"");
        assert_error("1s partition", 3, 1, 1, "partition needs groups");
        assert_error("1s partition for 1s", 3, 1, 1, "partition needs groups");
        /* links */
        assert_error("1s drop 0.1 0->7", 3, 1, 1,
                     "link \"0->7\" names rank 7, which does not exist; ranks are 0..2");
        assert_error("1s drop 0.1 0->1,9<->1", 3, 1, 1, "names rank 9");
        assert_error("1s drop 0.1 1->1", 3, 1, 1, "joins rank 1 to itself");
        assert_error("1s drop 0.1 0-1", 3, 1, 1, "bad link \"0-1\"; allowed: all, R->Q");
        assert_error("1s drop 0.1 0->", 3, 1, 1, "bad link");
        assert_error("1s drop 0.1 0->1,", 3, 1, 1, "bad link \"\"");
        assert_error("1s drop 0.1 x->1", 3, 1, 1, "bad link \"x->1\"");
        /* the offending line is found among others, comments stripped */
        assert_error("1s crash rank:0\n\n  3s   crsh rank:1   # typo\n4s recover rank:0\n", 3, 1, 3,
                     "unknown action");
        /* too many words */
        assert_error("1s drop 0.1 a b c d e f g h i j k l m n o p q", 3, 1, 1,
                     "more than 16 words");
        snprintf(text, sizeof(text), "1s crash rank:0\n2s crash rank:1\r\n3s crash rank:x\r\n");
        assert_error(text, 3, 1, 3, "bad target");
}

static void test_bad_arguments(void **state)
{
        struct bl_fault_plan plan;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(bl_faults_parse_text("t", "", 0, 1, &plan, &eb), BL_EINVAL);
        assert_plan_empty(&plan);
        assert_int_equal(bl_faults_parse_text("t", "", 3, 0, &plan, &eb), BL_EINVAL);
        assert_int_equal(bl_faults_parse_text("t", NULL, 3, 1, &plan, &eb), BL_EINVAL);
        assert_int_equal(bl_faults_parse_text("t", "", 3, 1, NULL, &eb), BL_EINVAL);
        assert_int_equal(bl_faults_parse_file(NULL, 3, 1, &plan, &eb), BL_EINVAL);
        /* a NULL errbuf is allowed */
        assert_int_equal(bl_faults_parse_text("t", "1s heal", 3, 1, &plan, NULL), BL_ECONFIG);
}

static void test_line_limits(void **state)
{
        size_t n = (size_t)BL_FAULTS_MAX_LINES * 3 + 64;
        char *text = malloc(n);
        char *p;
        struct bl_fault_plan plan;
        struct bl_errbuf eb;

        (void)state;
        assert_non_null(text);
        /* exactly 10000 lines (comments) is fine, 10001 is refused */
        p = text;
        for (int i = 0; i < BL_FAULTS_MAX_LINES; i++)
                p += sprintf(p, "#\n");
        parse_ok(text, 3, 1, &plan);
        assert_plan_empty(&plan);
        sprintf(p, "1s heal");
        assert_int_equal(bl_faults_parse_text("t.faults", text, 3, 1, &plan, &eb), BL_ECONFIG);
        assert_has(eb.msg, "t.faults:10001: \"1s heal\": the schedule has more than 10000 lines");
        assert_plan_empty(&plan);

        /* a line of 1024 bytes is fine, 1025 is refused (quoted shortened) */
        memset(text, ' ', 1024);
        memcpy(text, "1s crash rank:0", 15);
        text[1024] = '\0';
        parse_ok(text, 3, 1, &plan);
        bl_faults_free(&plan);
        memset(text, 'x', 1100);
        text[1100] = '\0';
        memcpy(text, "#\n1s crash rank:0 ", 18);
        assert_int_equal(bl_faults_parse_text("t.faults", text, 3, 1, &plan, &eb), BL_ECONFIG);
        assert_has(eb.msg, "t.faults:2: \"1s crash rank:0 xxx");
        assert_has(eb.msg, "...\": line is longer than 1024 bytes");
        assert_plan_empty(&plan);
        free(text);
}

/* ---- groups and links ---- */

static void test_partition_groups(void **state)
{
        static const int g1[] = {0, 0, 1, 2, 2};
        static const int g2[] = {0, 1, 1, 2, 2, 2, 3};
        static const int g3[] = {0, 1, 1};
        static const int g4[] = {1, 0, 1};
        static const int g5[] = {2, 0, 1, 0, 2};
        struct bl_fault_plan plan;

        (void)state;
        assert_groups(parse_one("1s partition 0,1|2", 5, 1, &plan), 3, g1, 5);
        bl_faults_free(&plan);
        assert_groups(parse_one("1s partition 0|1,2|3-5", 7, 1, &plan), 4, g2, 7);
        bl_faults_free(&plan);
        /* every rank listed: no extra group */
        assert_groups(parse_one("1s partition 0|1,2", 3, 1, &plan), 2, g3, 3);
        bl_faults_free(&plan);
        /* one group listed: the rest is the other */
        assert_groups(parse_one("1s partition 0", 3, 1, &plan), 2, g3, 3);
        bl_faults_free(&plan);
        assert_groups(parse_one("1s partition 1", 3, 1, &plan), 2, g4, 3);
        bl_faults_free(&plan);
        /* groups numbered in the order listed, ranks in any order */
        assert_groups(parse_one("1s partition 3,1|2", 5, 1, &plan), 3, g5, 5);
        bl_faults_free(&plan);
}

static void test_links(void **state)
{
        struct bl_fault_plan plan;
        const struct bl_fault *f;

        (void)state;
        f = parse_one("1s drop 0.5 0->*", 4, 1, &plan);
        assert_int_equal(f->nlinks, 1);
        assert_link(f, 0, 0, -1);
        assert_true(bl_fault_link_matches(f, 0, 3));
        assert_false(bl_fault_link_matches(f, 3, 0));
        bl_faults_free(&plan);

        f = parse_one("1s drop 0.5 *->2", 4, 1, &plan);
        assert_link(f, 0, -1, 2);
        assert_true(bl_fault_link_matches(f, 1, 2));
        assert_false(bl_fault_link_matches(f, 2, 1));
        bl_faults_free(&plan);

        f = parse_one("1s drop 0.5 0->1,2<->3,1<->*", 4, 1, &plan);
        assert_int_equal(f->nlinks, 5);
        assert_link(f, 0, 0, 1);
        assert_link(f, 1, 2, 3);
        assert_link(f, 2, 3, 2);
        assert_link(f, 3, 1, -1);
        assert_link(f, 4, -1, 1);
        assert_true(bl_fault_link_matches(f, 0, 1));
        assert_true(bl_fault_link_matches(f, 3, 2));
        assert_true(bl_fault_link_matches(f, 2, 1));
        assert_false(bl_fault_link_matches(f, 0, 2));
        bl_faults_free(&plan);

        /* duplicates collapse; *->* is all */
        f = parse_one("1s duplicate 0.5 0<->1,1->0,0->1", 4, 1, &plan);
        assert_int_equal(f->nlinks, 2);
        bl_faults_free(&plan);
        f = parse_one("1s delay 1ms *->*", 4, 1, &plan);
        assert_int_equal(f->nlinks, 1);
        assert_link(f, 0, -1, -1);
        assert_true(bl_fault_link_matches(f, 3, 0));
        bl_faults_free(&plan);
        f = parse_one("1s delay 1ms ALL", 4, 1, &plan);
        assert_link(f, 0, -1, -1);
        bl_faults_free(&plan);

        /* only link faults match messages */
        f = parse_one("1s partition 0", 4, 1, &plan);
        assert_false(bl_fault_link_matches(f, 0, 1));
        bl_faults_free(&plan);
}

/* ---- describe ---- */

static void assert_describes(const char *text, int nranks, int nshards, const char *want)
{
        struct bl_fault_plan plan;
        char buf[256];
        const struct bl_fault *f = parse_one(text, nranks, nshards, &plan);
        int n = bl_faults_describe(f, buf, sizeof(buf));

        assert_int_equal(n, (int)strlen(want));
        assert_string_equal(buf, want);
        bl_faults_free(&plan);
}

static void test_describe(void **state)
{
        (void)state;
        assert_describes("2500ms partition 0,1|2 for 2000ms", 3, 1, "2.5s partition 0,1|2 for 2s");
        assert_describes("2s partition 0", 3, 1, "2s partition 0|1,2");
        assert_describes("2s partition 1|5", 8, 1, "2s partition 1|5|0,2-4,6,7");
        assert_describes("1s drop 5% for 3s", 3, 1, "1s drop 0.05 all for 3s");
        assert_describes("1s duplicate 1e-3 0<->2,*->1", 3, 1, "1s duplicate 0.001 0->2,2->0,*->1");
        assert_describes("0.0015ms delay 1ms jitter 0.5ms 1->*", 3, 1,
                         "1.5us delay 1ms jitter 500us 1->*");
        assert_describes("1.000000001s pause leader:1 300ms", 3, 2,
                         "1.000000001s pause leader:1 300ms");
        assert_describes("7s transfer shard:1 to member:0", 3, 2,
                         "7s transfer shard:1 to member:0");
        assert_describes("0s transfer shard:0", 3, 2, "0s transfer shard:0");
        assert_describes("3s crash rank:2", 3, 2, "3s crash rank:2");
        assert_describes("0.00001s drop 0.00001", 3, 1, "10us drop 1e-05 all");
}

static void test_describe_truncates(void **state)
{
        struct bl_fault_plan plan;
        char buf[8];
        const struct bl_fault *f = parse_one("1s drop 0.5 0->1", 3, 1, &plan);
        struct bl_fault bad;

        (void)state;
        memset(buf, 'z', sizeof(buf));
        assert_int_equal(bl_faults_describe(f, buf, sizeof(buf)), (int)strlen("1s drop 0.5 0->1"));
        assert_string_equal(buf, "1s drop");
        assert_int_equal(bl_faults_describe(f, NULL, 0), (int)strlen("1s drop 0.5 0->1"));
        bad = *f;
        bad.kind = BL_FAULT__COUNT;
        assert_int_equal(bl_faults_describe(&bad, buf, sizeof(buf)), BL_EINVAL);
        bl_faults_free(&plan);
}

/* parse(describe(f)) == f for every fault of a rich schedule. */
static void round_trip(const char *text, int nranks, int nshards)
{
        struct bl_fault_plan a, b;
        char *all = calloc(1, 65536);
        size_t pos = 0;

        assert_non_null(all);
        parse_ok(text, nranks, nshards, &a);
        for (size_t i = 0; i < a.n; i++) {
                int n = bl_faults_describe(&a.f[i], all + pos, 65536 - pos);

                assert_true(n > 0 && pos + (size_t)n + 1 < 65536);
                pos += (size_t)n;
                all[pos++] = '\n';
        }
        parse_ok(all, nranks, nshards, &b);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++)
                assert_fault_equal(&a.f[i], &b.f[i]);
        bl_faults_free(&a);
        bl_faults_free(&b);
        free(all);
}

static void test_describe_round_trip(void **state)
{
        (void)state;
        round_trip("6s recover leader:1\n1s crash leader:1\n0.5s partition 0,1|2\n2s heal\n"
                   "2.5s drop 5% 0<->1 for 1s\n2.5s duplicate 0.01\n"
                   "3s delay 1ms jitter 250us 2->*,*->3 for 500ms\n4s pause rank:3 300ms\n"
                   "7s transfer shard:0 to member:2\n7s transfer shard:1\n"
                   "8s partition 4,0-2 for 1.000000001s\n9s drop 0.1 all\n"
                   "9.5s duplicate 0.333333333333333333\n9.6s drop 1e-7 4->3\n"
                   "10s crash rank:0\n10s crash rank:1\n11s recover rank:1\n12s recover rank:0\n"
                   "13s delay 7ns\n",
                   5, 2);
        round_trip("1s partition 0|1|2|3|4|5|6|7|8 for 3s\n5s partition 8 for 1s\n", 9, 1);
}

/* ---- files ---- */

static void test_example_files(void **state)
{
        static const int ranks[] = {3, 5};
        char pattern[512];
        glob_t g;

        (void)state;
        repo_path(pattern, sizeof(pattern), "configs/faults/*.faults");
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        assert_true(g.gl_pathc >= 5);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                for (int k = 0; k < 2; k++) {
                        struct bl_fault_plan plan;
                        struct bl_errbuf eb;

                        if (bl_faults_parse_file(g.gl_pathv[i], ranks[k], 1, &plan, &eb) != 0)
                                fail_msg("%s on %d ranks: %s", g.gl_pathv[i], ranks[k], eb.msg);
                        assert_true(plan.n > 0);
                        bl_faults_free(&plan);
                }
        }
        globfree(&g);
}

/* The examples say what they do: check the two the brief names exactly. */
static void test_example_contents(void **state)
{
        static const int iso[] = {0, 1, 1, 1, 1};
        struct bl_fault_plan plan;
        struct bl_errbuf eb;
        char path[512];

        (void)state;
        repo_path(path, sizeof(path), "configs/faults/leader-crash.faults");
        assert_int_equal(bl_faults_parse_file(path, 3, 1, &plan, &eb), 0);
        assert_int_equal(plan.n, 2);
        assert_int_equal(plan.f[0].kind, BL_FAULT_CRASH);
        assert_int_equal(plan.f[0].target_kind, BL_TARGET_LEADER);
        assert_int_equal(plan.f[0].at_ns, 2 * S);
        assert_int_equal(plan.f[1].kind, BL_FAULT_RECOVER);
        assert_int_equal(plan.f[1].at_ns, 4 * S);
        bl_faults_free(&plan);

        repo_path(path, sizeof(path), "configs/faults/partition-leader.faults");
        assert_int_equal(bl_faults_parse_file(path, 5, 1, &plan, &eb), 0);
        assert_int_equal(plan.n, 1);
        assert_groups(&plan.f[0], 2, iso, 5);
        assert_int_equal(plan.f[0].for_ns, 2 * S);
        bl_faults_free(&plan);

        repo_path(path, sizeof(path), "configs/faults/drop-5pct.faults");
        assert_int_equal(bl_faults_parse_file(path, 3, 1, &plan, &eb), 0);
        assert_int_equal(plan.n, 1);
        assert_true(plan.f[0].fraction == 0.05);
        assert_int_equal(plan.f[0].at_ns, 1 * S);
        assert_int_equal(plan.f[0].for_ns, 3 * S);
        assert_link(&plan.f[0], 0, -1, -1);
        bl_faults_free(&plan);
}

static void test_data_files(void **state)
{
        struct bl_fault_plan plan;
        struct bl_errbuf eb;
        char path[512];

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/faults/all-actions.faults");
        assert_int_equal(bl_faults_parse_file(path, 5, 2, &plan, &eb), 0);
        assert_int_equal(plan.n, 10);
        for (int k = 0; k < BL_FAULT__COUNT; k++) {
                int seen = 0;

                for (size_t i = 0; i < plan.n; i++)
                        seen += plan.f[i].kind == (enum bl_fault_kind)k;
                if (seen != 1)
                        fail_msg("%s appears %d times", bl_fault_kind_name(k), seen);
        }
        assert_int_equal(plan.f[0].kind, BL_FAULT_PARTITION);
        assert_int_equal(plan.f[7].kind, BL_FAULT_CORRUPT_WAL);
        assert_int_equal(plan.f[7].target, 1);
        assert_int_equal(plan.f[7].wal_middle, 0);
        assert_int_equal(plan.f[9].kind, BL_FAULT_TRANSFER);
        bl_faults_free(&plan);

        repo_path(path, sizeof(path), "tests/unit/data/faults/bom-crlf.faults");
        assert_int_equal(bl_faults_parse_file(path, 3, 1, &plan, &eb), 0);
        assert_int_equal(plan.n, 2);
        assert_int_equal(plan.f[0].line, 2);
        assert_int_equal(plan.f[1].line, 4);
        assert_int_equal(plan.f[1].crash_id, 0);
        bl_faults_free(&plan);

        repo_path(path, sizeof(path), "tests/unit/data/faults/recover-without-crash.faults");
        assert_int_equal(bl_faults_parse_file(path, 3, 1, &plan, &eb), BL_ECONFIG);
        assert_has(eb.msg, "recover-without-crash.faults:4: \"3s recover rank:2\": no earlier "
                           "crash of rank:2");
        assert_plan_empty(&plan);

        assert_int_equal(bl_faults_parse_file("/nonexistent/x.faults", 3, 1, &plan, &eb),
                         BL_ECONFIG);
        assert_has(eb.msg, "/nonexistent/x.faults: cannot open");
        assert_plan_empty(&plan);
}

static void test_nul_byte(void **state)
{
        char path[] = "/tmp/bl-test-faults-XXXXXX";
        struct bl_fault_plan plan;
        struct bl_errbuf eb;
        int fd;

        (void)state;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "1s crash rank:0\n2s\0heal\n", 24), 24);
        close(fd);
        assert_int_equal(bl_faults_parse_file(path, 3, 1, &plan, &eb), BL_ECONFIG);
        assert_has(eb.msg, ":2: holds a NUL byte");
        assert_plan_empty(&plan);
        unlink(path);
}

static void test_resolve_path(void **state)
{
        char out[64];
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(
            bl_faults_resolve_path("configs/x.ini", "faults/a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "configs/faults/a.faults");
        assert_int_equal(
            bl_faults_resolve_path("/etc/b/x.ini", "../a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "/etc/b/../a.faults");
        assert_int_equal(bl_faults_resolve_path("/x.ini", "a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "/a.faults");
        assert_int_equal(bl_faults_resolve_path("x.ini", "a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "a.faults");
        assert_int_equal(bl_faults_resolve_path(NULL, "a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "a.faults");
        assert_int_equal(
            bl_faults_resolve_path("configs/x.ini", "/abs/a.faults", out, sizeof(out), &eb), 0);
        assert_string_equal(out, "/abs/a.faults");
        assert_int_equal(bl_faults_resolve_path("configs/x.ini", "", out, sizeof(out), &eb),
                         BL_ECONFIG);
        assert_has(eb.msg, "schedule is empty");
        assert_int_equal(bl_faults_resolve_path("configs/x.ini", "faults/a.faults", out, 20, &eb),
                         BL_ECONFIG);
        assert_string_equal(out, "");
        assert_has(eb.msg, "too long");
}

static void test_names_and_ends(void **state)
{
        static const char *const names[] = {"crash",    "recover",    "partition", "heal",
                                            "drop",     "duplicate",  "delay",     "pause",
                                            "transfer", "corrupt-wal"};
        struct bl_fault_plan plan;

        (void)state;
        for (int k = 0; k < BL_FAULT__COUNT; k++)
                assert_string_equal(bl_fault_kind_name(k), names[k]);
        assert_string_equal(bl_fault_kind_name(-1), "unknown");
        assert_string_equal(bl_fault_kind_name(BL_FAULT__COUNT), "unknown");

        parse_ok("1s partition 0 for 2s\n4s drop 0.1\n5s crash rank:1\n6s delay 1ms for 1ms\n", 3,
                 1, &plan);
        assert_int_equal(bl_fault_end_ns(&plan.f[0]), 3 * S);
        assert_true(bl_fault_end_ns(&plan.f[1]) == UINT64_MAX);
        assert_int_equal(bl_fault_end_ns(&plan.f[2]), 5 * S);
        assert_int_equal(bl_fault_end_ns(&plan.f[3]), 6 * S + MS);
        bl_faults_free(&plan);
}

/* ---- out of memory ---- */

/* Fail the k-th allocation for k = 1, 2, ... until parsing succeeds: every
 * failure is BL_ENOMEM with an empty plan (ASan reports any leak). */
static void test_oom(void **state)
{
        struct bl_fault_plan plan;
        struct bl_errbuf eb;
        char path[512];
        int k, rc;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/faults/all-actions.faults");
        for (k = 1; k < 1000; k++) {
                bl_alloc_fail_after(k);
                rc = bl_faults_parse_file(path, 5, 2, &plan, &eb);
                bl_alloc_fail_after(0);
                if (rc == 0)
                        break;
                if (rc != BL_ENOMEM)
                        fail_msg("allocation %d failed: want BL_ENOMEM, got %d (%s)", k, rc,
                                 eb.msg);
                assert_plan_empty(&plan);
        }
        assert_true(k > 5); /* the file, the array, groups, links, the checks */
        assert_int_equal(plan.n, 10);
        bl_faults_free(&plan);

        /* more than 16 faults: the array grows */
        for (k = 1; k < 1000; k++) {
                bl_alloc_fail_after(k);
                rc = bl_faults_parse_text("t",
                                          "1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n"
                                          "1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n"
                                          "1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n"
                                          "1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n1s drop 0.1\n"
                                          "1s partition 0\n",
                                          3, 1, &plan, &eb);
                bl_alloc_fail_after(0);
                if (rc == 0)
                        break;
                assert_int_equal(rc, BL_ENOMEM);
                assert_plan_empty(&plan);
        }
        assert_true(k > 18);
        assert_int_equal(plan.n, 17);
        bl_faults_free(&plan);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_crash_recover),
            cmocka_unit_test(test_partition_heal),
            cmocka_unit_test(test_drop_duplicate),
            cmocka_unit_test(test_delay),
            cmocka_unit_test(test_pause_transfer),
            cmocka_unit_test(test_lenient_spacing),
            cmocka_unit_test(test_empty_schedule),
            cmocka_unit_test(test_times),
            cmocka_unit_test(test_time_errors),
            cmocka_unit_test(test_sorted_stably),
            cmocka_unit_test(test_order_checks_use_time),
            cmocka_unit_test(test_crash_recover_errors),
            cmocka_unit_test(test_crash_all),
            cmocka_unit_test(test_partition_windows),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_bad_arguments),
            cmocka_unit_test(test_line_limits),
            cmocka_unit_test(test_partition_groups),
            cmocka_unit_test(test_links),
            cmocka_unit_test(test_describe),
            cmocka_unit_test(test_describe_truncates),
            cmocka_unit_test(test_describe_round_trip),
            cmocka_unit_test(test_example_files),
            cmocka_unit_test(test_example_contents),
            cmocka_unit_test(test_data_files),
            cmocka_unit_test(test_nul_byte),
            cmocka_unit_test(test_resolve_path),
            cmocka_unit_test(test_names_and_ends),
            cmocka_unit_test(test_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
