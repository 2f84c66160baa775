/* Unit tests for the hwloc topology, pinning plans and bindings (src/topo/topo.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "common/alloc.h"
#include "topo/topo.h"

#define TWO_SOCKETS "pack:2 numa:2 core:4 pu:1"        /* 16 cores, 4 NUMA nodes */
#define SMT_LAPTOP  "numa:1 core:2 pu:2"               /* 2 cores x 2 hyperthreads */
#define ONE_SOCKET  "pack:1 core:8 pu:1"               /* no NUMA level given */
#define HBM         "pack:2 [numa] [numa] core:2 pu:1" /* DDR + HBM node per package */

static struct bl_topo *open_synthetic(const char *desc)
{
        struct bl_topo *t = NULL;
        struct bl_errbuf eb = {{0}};
        int rc = bl_topo_open(&t, desc, &eb);

        if (rc != 0)
                fail_msg("bl_topo_open(\"%s\"): %d %s", desc, rc, eb.msg);
        assert_non_null(t);
        return t;
}

static struct bl_pin_plan plan(const struct bl_topo *t, enum bl_pinning p, int i, int n)
{
        struct bl_pin_plan out;
        struct bl_errbuf eb = {{0}};
        int rc = bl_topo_plan(t, p, i, n, &out, &eb);

        if (rc != 0)
                fail_msg("plan(policy %d, %d of %d): %d %s", (int)p, i, n, rc, eb.msg);
        assert_int_equal(out.local_rank, i);
        assert_int_equal(out.local_size, n);
        assert_int_equal(out.policy, p);
        return out;
}

static struct bl_binding_info describe(const struct bl_topo *t, const char *cpuset)
{
        struct bl_binding_info b;
        struct bl_errbuf eb = {{0}};
        int rc = bl_topo_describe_cpuset(t, cpuset, &b, &eb);

        if (rc != 0)
                fail_msg("describe(\"%s\"): %d %s", cpuset, rc, eb.msg);
        return b;
}

/* Fail unless the cores planned for ranks 0..n-1 are pairwise distinct. */
static void assert_distinct_cores(const struct bl_topo *t, enum bl_pinning p, int n)
{
        int seen[64] = {0};

        for (int i = 0; i < n; i++) {
                struct bl_pin_plan x = plan(t, p, i, n);
                assert_int_equal(x.target, BL_PIN_TARGET_CORE);
                assert_in_range(x.core, 0, 63);
                if (seen[x.core]++)
                        fail_msg("policy %d, %d ranks: core %d planned twice", (int)p, n, x.core);
        }
}

static void test_counts(void **state)
{
        (void)state;
        struct {
                const char *desc;
                int packages, numa, cores, pus;
        } cases[] = {
            {TWO_SOCKETS, 2, 4, 16, 16},
            {SMT_LAPTOP, 0, 1, 2, 4},
            {ONE_SOCKET, 1, 1, 8, 8},
            {HBM, 2, 2, 4, 4}, /* HBM nodes share the DDR node's cpuset: not domains */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bl_topo *t = open_synthetic(cases[i].desc);
                struct bl_topo_counts c = bl_topo_counts(t);
                assert_int_equal(c.packages, cases[i].packages);
                assert_int_equal(c.numa_nodes, cases[i].numa);
                assert_int_equal(c.cores, cases[i].cores);
                assert_int_equal(c.pus, cases[i].pus);
                assert_int_equal(bl_topo_is_this_system(t), 0);
                bl_topo_close(t);
        }
}

static void test_bad_synthetic(void **state)
{
        (void)state;
        struct bl_topo *t = (struct bl_topo *)&t;
        struct bl_errbuf eb = {{0}};

        assert_int_equal(bl_topo_open(&t, "pack:2 bogus:3", &eb), BL_EINVAL);
        assert_null(t);
        assert_non_null(strstr(eb.msg, "bogus"));
}

static void test_bad_local_rank(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(ONE_SOCKET);
        struct bl_pin_plan p;
        struct bl_errbuf eb = {{0}};

        assert_int_equal(bl_topo_plan(t, BL_PIN_CORE, 2, 2, &p, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "local rank 2 of 2"));
        assert_int_equal(bl_topo_plan(t, BL_PIN_CORE, 0, 0, &p, &eb), BL_EINVAL);
        assert_int_equal(bl_topo_plan(t, BL_PIN_CORE, -1, 4, &p, &eb), BL_EINVAL);
        assert_int_equal(bl_topo_plan(t, (enum bl_pinning)42, 0, 1, &p, &eb), BL_EINVAL);
        bl_topo_close(t);
}

static void test_plan_none(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(TWO_SOCKETS);

        for (int n = 1; n <= 20; n++) {
                for (int i = 0; i < n; i++) {
                        struct bl_pin_plan p = plan(t, BL_PIN_NONE, i, n);
                        assert_int_equal(p.target, BL_PIN_TARGET_NONE);
                        assert_int_equal(p.core, -1);
                        assert_int_equal(p.honoured, 1);
                        assert_string_equal(p.note, "");
                        assert_string_equal(p.cpuset, "");
                }
        }
        bl_topo_close(t);
}

static void test_plan_core(void **state)
{
        (void)state;
        const char *descs[] = {TWO_SOCKETS, SMT_LAPTOP, ONE_SOCKET};

        for (size_t d = 0; d < 3; d++) {
                struct bl_topo *t = open_synthetic(descs[d]);
                int ncores = bl_topo_counts(t).cores;
                for (int n = 1; n <= 20; n++) {
                        if (n <= ncores)
                                assert_distinct_cores(t, BL_PIN_CORE, n);
                        for (int i = 0; i < n; i++) {
                                struct bl_pin_plan p = plan(t, BL_PIN_CORE, i, n);
                                char want[64];
                                assert_int_equal(p.target, BL_PIN_TARGET_CORE);
                                assert_int_equal(p.core, i % ncores);
                                if (n <= ncores) {
                                        assert_int_equal(p.honoured, 1);
                                        assert_string_equal(p.note, "");
                                        continue;
                                }
                                snprintf(want, sizeof(want), "core: %d ranks > %d cores, bound", n,
                                         ncores);
                                assert_int_equal(p.honoured, 0);
                                assert_true(strncmp(p.note, want, strlen(want)) == 0);
                        }
                }
                bl_topo_close(t);
        }
}

/* The fallback explanation, word for word. */
static void test_plan_core_note(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(SMT_LAPTOP);

        assert_string_equal(plan(t, BL_PIN_CORE, 4, 5).note,
                            "core: 5 ranks > 2 cores, bound round-robin, 2 cores shared");
        assert_string_equal(plan(t, BL_PIN_CORE, 0, 3).note,
                            "core: 3 ranks > 2 cores, bound round-robin, 1 core shared");
        assert_string_equal(plan(t, BL_PIN_NUMA_COMPACT, 0, 3).note,
                            "numa-compact: 3 ranks > 2 cores, bound round-robin, 1 core shared");
        assert_string_equal(plan(t, BL_PIN_NUMA_SPREAD, 2, 3).note,
                            "numa-spread: 3 ranks in NUMA node 0 > 2 cores there, bound to the "
                            "whole NUMA node (cores shared)");
        bl_topo_close(t);
        t = open_synthetic("core:1 pu:2");
        assert_string_equal(plan(t, BL_PIN_CORE, 1, 2).note,
                            "core: 2 ranks > 1 core, bound round-robin, 1 core shared");
        assert_string_equal(plan(t, BL_PIN_CORE, 1, 2).cpuset, "0-1");
        bl_topo_close(t);
}

/* A core's cpuset holds all its hyperthreads. */
static void test_plan_core_cpuset(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(SMT_LAPTOP);

        assert_string_equal(plan(t, BL_PIN_CORE, 0, 2).cpuset, "0-1");
        assert_string_equal(plan(t, BL_PIN_CORE, 1, 2).cpuset, "2-3");
        assert_int_equal(plan(t, BL_PIN_CORE, 1, 2).numa_node, 0);
        bl_topo_close(t);
        t = open_synthetic(TWO_SOCKETS);
        struct bl_pin_plan p = plan(t, BL_PIN_CORE, 13, 16);
        assert_string_equal(p.cpuset, "13");
        assert_int_equal(p.numa_node, 3);
        bl_topo_close(t);
}

static void test_plan_numa_spread(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(TWO_SOCKETS);

        for (int n = 1; n <= 20; n++) {
                if (n <= 16)
                        assert_distinct_cores(t, BL_PIN_NUMA_SPREAD, n);
                for (int i = 0; i < n; i++) {
                        struct bl_pin_plan p = plan(t, BL_PIN_NUMA_SPREAD, i, n);
                        /* NUMA nodes alternate: rank i in NUMA i % 4 */
                        assert_int_equal(p.numa_node, i % 4);
                        int on_node = (n - i % 4 + 3) / 4; /* ranks in that NUMA node */
                        if (on_node <= 4) {
                                assert_int_equal(p.target, BL_PIN_TARGET_CORE);
                                assert_int_equal(p.core, 4 * (i % 4) + i / 4);
                                assert_int_equal(p.honoured, 1);
                                assert_string_equal(p.note, "");
                        } else {
                                assert_int_equal(p.target, BL_PIN_TARGET_NUMA);
                                assert_int_equal(p.core, -1);
                                assert_int_equal(p.honoured, 0);
                                assert_non_null(strstr(p.note, "whole NUMA node"));
                                /* the whole NUMA node's four cores */
                                char want[16];
                                snprintf(want, sizeof(want), "%d-%d", 4 * (i % 4), 4 * (i % 4) + 3);
                                assert_string_equal(p.cpuset, want);
                        }
                }
        }
        /* two ranks on a two-socket machine: different packages */
        assert_string_equal(describe(t, plan(t, BL_PIN_NUMA_SPREAD, 0, 2).cpuset).numa_nodes, "0");
        assert_string_equal(describe(t, plan(t, BL_PIN_NUMA_SPREAD, 1, 2).cpuset).numa_nodes, "1");
        bl_topo_close(t);
}

static void test_plan_numa_compact(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(TWO_SOCKETS);

        for (int n = 1; n <= 20; n++) {
                if (n <= 16)
                        assert_distinct_cores(t, BL_PIN_NUMA_COMPACT, n);
                for (int i = 0; i < n; i++) {
                        struct bl_pin_plan p = plan(t, BL_PIN_NUMA_COMPACT, i, n);
                        /* NUMA 0 filled first, core by core */
                        assert_int_equal(p.target, BL_PIN_TARGET_CORE);
                        assert_int_equal(p.core, i % 16);
                        assert_int_equal(p.numa_node, (i % 16) / 4);
                        assert_int_equal(p.honoured, n <= 16);
                        if (n > 16)
                                assert_non_null(strstr(p.note, "numa-compact: "));
                }
        }
        bl_topo_close(t);
}

/* One NUMA node (no NUMA information): the NUMA policies degenerate to core. */
static void test_plan_single_numa(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(ONE_SOCKET);

        for (int n = 1; n <= 20; n++) {
                for (int i = 0; i < n; i++) {
                        struct bl_pin_plan s = plan(t, BL_PIN_NUMA_SPREAD, i, n);
                        struct bl_pin_plan c = plan(t, BL_PIN_NUMA_COMPACT, i, n);
                        assert_int_equal(s.numa_node, 0);
                        assert_int_equal(c.numa_node, 0);
                        assert_int_equal(c.core, i % 8);
                        if (n <= 8) {
                                assert_int_equal(s.target, BL_PIN_TARGET_CORE);
                                assert_int_equal(s.core, i);
                        } else {
                                assert_int_equal(s.target, BL_PIN_TARGET_NUMA);
                                assert_string_equal(s.cpuset, "0-7");
                        }
                }
        }
        bl_topo_close(t);
}

/* HBM nodes share cpusets with DDR nodes: spread goes over packages, not
 * over four memory nodes of which two would map to the same cores. */
static void test_plan_hbm(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(HBM);

        assert_distinct_cores(t, BL_PIN_NUMA_SPREAD, 4);
        assert_int_equal(plan(t, BL_PIN_NUMA_SPREAD, 0, 4).core, 0);
        assert_int_equal(plan(t, BL_PIN_NUMA_SPREAD, 1, 4).core, 2);
        assert_int_equal(plan(t, BL_PIN_NUMA_SPREAD, 2, 4).core, 1);
        assert_int_equal(plan(t, BL_PIN_NUMA_SPREAD, 1, 4).numa_node, 2);
        bl_topo_close(t);
}

static void test_describe_cpuset(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(TWO_SOCKETS);
        struct bl_binding_info b;
        struct bl_errbuf eb = {{0}};

        b = describe(t, "0-3");
        assert_string_equal(b.cpuset, "0-3");
        assert_string_equal(b.cores, "0-3");
        assert_int_equal(b.numa_node, 0);
        assert_string_equal(b.numa_nodes, "0");
        assert_int_equal(b.package, 0);
        assert_true(b.host[0] != '\0');

        b = describe(t, "5"); /* one core in NUMA 1, package 0 */
        assert_int_equal(b.numa_node, 1);
        assert_int_equal(b.package, 0);
        assert_string_equal(b.cores, "5");

        b = describe(t, "4-11"); /* spans NUMA 1 and 2, both packages */
        assert_int_equal(b.numa_node, -1);
        assert_string_equal(b.numa_nodes, "1-2");
        assert_int_equal(b.package, -1);

        b = describe(t, "0,2,9,15");
        assert_string_equal(b.cores, "0,2,9,15");
        assert_string_equal(b.numa_nodes, "0,2-3");
        assert_int_equal(b.numa_node, -1);

        b = describe(t, "12-15");
        assert_int_equal(b.numa_node, 3);
        assert_int_equal(b.package, 1);

        assert_int_equal(bl_topo_describe_cpuset(t, "", &b, &eb), BL_EINVAL);
        assert_int_equal(bl_topo_describe_cpuset(t, "zero", &b, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "zero"));
        assert_int_equal(bl_topo_describe_cpuset(t, NULL, &b, &eb), BL_EINVAL);
        bl_topo_close(t);

        /* no package level: package unknown; hyperthreads of one core */
        t = open_synthetic(SMT_LAPTOP);
        b = describe(t, "2-3");
        assert_string_equal(b.cores, "1");
        assert_int_equal(b.numa_node, 0);
        assert_int_equal(b.package, -1);
        b = describe(t, "1-2");
        assert_string_equal(b.cores, "0-1");
        bl_topo_close(t);
}

/* A synthetic topology is not this machine: no binding, no read-back. */
static void test_apply_synthetic_refused(void **state)
{
        (void)state;
        struct bl_topo *t = open_synthetic(TWO_SOCKETS);
        struct bl_pin_plan p = plan(t, BL_PIN_CORE, 0, 1);
        struct bl_binding_info b;
        struct bl_errbuf eb = {{0}};

        assert_int_equal(bl_topo_apply(t, &p, &b, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "synthetic"));
        assert_int_equal(bl_topo_describe_current(t, &b, &eb), BL_EINVAL);
        bl_topo_close(t);
}

/* A plan from a bigger topology names a core this one lacks. */
static void test_apply_foreign_plan(void **state)
{
        (void)state;
        struct bl_topo *big = open_synthetic("pack:64 core:64 pu:1"), *t = NULL;
        struct bl_errbuf eb = {{0}};
        struct bl_binding_info b;
        struct bl_pin_plan p = plan(big, BL_PIN_CORE, 4000, 4096);

        assert_int_equal(bl_topo_open(&t, NULL, &eb), 0);
        if (bl_topo_counts(t).cores > 4000) {
                bl_topo_close(t);
                bl_topo_close(big);
                skip();
        }
        assert_int_equal(bl_topo_apply(t, &p, &b, &eb), BL_EINVAL);
        assert_non_null(strstr(eb.msg, "core 4000"));
        bl_topo_close(t);
        bl_topo_close(big);
}

/* Bind this process to core 0 of the real machine, read it back, restore. */
static void test_apply_real_core0(void **state)
{
        (void)state;
        struct bl_topo *t = NULL;
        struct bl_errbuf eb = {{0}};
        struct bl_binding_info b, before;
        hwloc_topology_t h;
        hwloc_bitmap_t orig = hwloc_bitmap_alloc();

        assert_int_equal(bl_topo_open(&t, NULL, &eb), 0);
        assert_int_equal(bl_topo_is_this_system(t), 1);
        struct bl_topo_counts c = bl_topo_counts(t);
        assert_true(c.cores >= 1 && c.pus >= c.cores && c.numa_nodes >= 1);

        /* remember the binding to restore it after */
        assert_int_equal(hwloc_topology_init(&h), 0);
        assert_int_equal(hwloc_topology_load(h), 0);
        assert_int_equal(hwloc_get_cpubind(h, orig, HWLOC_CPUBIND_PROCESS), 0);

        assert_int_equal(bl_topo_describe_current(t, &before, &eb), 0);
        assert_true(before.cpuset[0] != '\0');
        assert_true(before.cores[0] != '\0');
        assert_int_equal(before.honoured, 1);

        struct bl_pin_plan p = plan(t, BL_PIN_CORE, 0, 1);
        int rc = bl_topo_apply(t, &p, &b, &eb);
        if (rc == BL_EIO) { /* not permitted here (container, cgroup) */
                assert_int_equal(b.honoured, 0);
                assert_non_null(strstr(b.note, "refused"));
                print_message("binding not permitted, skipped: %s\n", eb.msg);
        } else {
                assert_int_equal(rc, 0);
                assert_string_equal(b.cpuset, p.cpuset);
                assert_string_equal(b.cores, "0");
                assert_int_equal(b.numa_node, p.numa_node);
                assert_int_equal(b.honoured, 1);
                assert_string_equal(b.note, "");
                assert_true(b.host[0] != '\0');
                /* policy none reads back what is in force without changing it */
                struct bl_pin_plan none = plan(t, BL_PIN_NONE, 0, 1);
                assert_int_equal(bl_topo_apply(t, &none, &b, &eb), 0);
                assert_string_equal(b.cpuset, p.cpuset);
        }
        hwloc_set_cpubind(h, orig, HWLOC_CPUBIND_PROCESS);
        assert_int_equal(bl_topo_describe_current(t, &b, &eb), 0);
        assert_string_equal(b.cpuset, before.cpuset);
        hwloc_bitmap_free(orig);
        hwloc_topology_destroy(h);
        bl_topo_close(t);
        if (rc == BL_EIO)
                skip();
}

static void test_version(void **state)
{
        (void)state;
        char v[64], tiny[4];

        bl_topo_version(v, sizeof(v));
        assert_true(strncmp(v, "2.", 2) == 0);
        bl_topo_version(tiny, sizeof(tiny));
        assert_int_equal(strlen(tiny), 3);
}

/* Every allocation failure in open and plan is reported, never a crash or
 * leak (run under ASan). */
static void test_oom(void **state)
{
        (void)state;
        int failed = 0;

        for (long k = 1; k < 64; k++) {
                struct bl_topo *t = NULL;
                struct bl_errbuf eb = {{0}};
                struct bl_pin_plan p;

                bl_alloc_fail_after(k);
                int rc = bl_topo_open(&t, TWO_SOCKETS, &eb);
                if (rc == 0)
                        rc = bl_topo_plan(t, BL_PIN_NUMA_COMPACT, 3, 4, &p, &eb);
                bl_alloc_fail_after(0);
                if (rc != 0) {
                        assert_int_equal(rc, BL_ENOMEM);
                        assert_true(eb.msg[0] != '\0');
                        failed++;
                }
                bl_topo_close(t);
        }
        assert_true(failed > 5);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_counts),
            cmocka_unit_test(test_bad_synthetic),
            cmocka_unit_test(test_bad_local_rank),
            cmocka_unit_test(test_plan_none),
            cmocka_unit_test(test_plan_core),
            cmocka_unit_test(test_plan_core_note),
            cmocka_unit_test(test_plan_core_cpuset),
            cmocka_unit_test(test_plan_numa_spread),
            cmocka_unit_test(test_plan_numa_compact),
            cmocka_unit_test(test_plan_single_numa),
            cmocka_unit_test(test_plan_hbm),
            cmocka_unit_test(test_describe_cpuset),
            cmocka_unit_test(test_apply_synthetic_refused),
            cmocka_unit_test(test_apply_foreign_plan),
            cmocka_unit_test(test_apply_real_core0),
            cmocka_unit_test(test_version),
            cmocka_unit_test(test_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
