/* Unit tests of the configuration module: defaults, files, overrides, errors, dump. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ini.h>

#include "common/alloc.h"
#include "config/config.h"

/* Number of options: one per field of struct bl_config except repl, commit. */
#define N_OPTIONS 67

/* The repository root: $BALLOT_ROOT, else the current directory. */
static const char *root(void)
{
        const char *r = getenv("BALLOT_ROOT");

        return r != NULL ? r : ".";
}

static void repo_path(char *buf, size_t n, const char *rel)
{
        snprintf(buf, n, "%s/%s", root(), rel);
}

/* Write content to a fresh temporary .ini file; path gets its name. */
static void write_tmp(char *path, size_t n, const char *content)
{
        FILE *f;
        int fd;

        snprintf(path, n, "/tmp/bl-test-config-XXXXXX.ini");
        fd = mkstemps(path, 4);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        assert_int_equal(fputs(content, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void assert_has(const char *msg, const char *want)
{
        if (strstr(msg, want) == NULL)
                fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

/* Load content (written to a temporary file) with overrides. */
static int load_text(struct bl_config *cfg, const char *content, const char *const *ovr, int novr,
                     int nranks, struct bl_errbuf *eb, char *path, size_t n)
{
        int rc;

        write_tmp(path, n, content);
        rc = bl_config_load(cfg, path, ovr, novr, nranks, eb);
        unlink(path);
        return rc;
}

static void test_defaults(void **state)
{
        struct bl_config c;

        (void)state;
        bl_config_defaults(&c);
        assert_string_equal(c.experiment.name, "default");
        assert_string_equal(c.experiment.kernel, "none");
        assert_string_equal(c.experiment.repl, "none");
        assert_string_equal(c.experiment.commit, "none");
        assert_true(c.experiment.seed == 42);
        assert_true(c.experiment.duration_s == 3.0);
        assert_true(c.experiment.warmup_s == 0.5);
        assert_true(c.experiment.ops == 0);
        assert_int_equal(c.experiment.history, 0);
        assert_string_equal(c.experiment.output_dir, "results");
        assert_true(c.experiment.status_interval_s == 1.0);
        assert_int_equal(c.cluster.shards, 3);
        assert_int_equal(c.cluster.replicas, 1);
        assert_int_equal(c.cluster.client_ranks, 0);
        assert_int_equal(c.cluster.placement, BL_PLACE_SPREAD);
        assert_int_equal(c.cluster.pinning, BL_PIN_NONE);
        assert_int_equal(c.cluster.idle, BL_IDLE_AUTO);
        assert_int_equal(c.cluster.tick_us, 1000);
        assert_true(c.store.records == 10000);
        assert_int_equal(c.store.value_size, 100);
        assert_int_equal(c.workload.type, BL_WL_YCSB_A);
        assert_int_equal(c.workload.distribution, BL_DIST_DEFAULT);
        assert_true(c.workload.zipf_constant == 0.99);
        assert_true(c.workload.hotspot_data_fraction == 0.2);
        assert_true(c.workload.hotspot_op_fraction == 0.8);
        assert_int_equal(c.workload.counters, 4);
        assert_int_equal(c.clients.per_rank, 4);
        assert_int_equal(c.clients.outstanding, 1);
        assert_true(c.clients.rate == 0.0);
        assert_int_equal(c.clients.timeout_ms, 1000);
        assert_int_equal(c.metrics.interval_ms, 100);
        assert_int_equal(c.baseline.iterations, 200);
        assert_int_equal(c.baseline.window, 64);
        assert_int_equal(c.none.snapshot_entries, 10000);
        assert_int_equal(c.raft.election_timeout_ms, 150);
        assert_int_equal(c.raft.heartbeat_ms, 30);
        assert_int_equal(c.raft.prevote, 1);
        assert_int_equal(c.raft.max_batch, 64);
        assert_int_equal(c.raft.batch_delay_us, 0);
        assert_int_equal(c.raft.pipeline, 4);
        assert_int_equal(c.raft.read_mode, BL_READ_LOG);
        assert_int_equal(c.raft.snapshot_entries, 10000);
        assert_int_equal(c.paxos.election_timeout_ms, 150);
        assert_int_equal(c.paxos.heartbeat_ms, 30);
        assert_int_equal(c.paxos.max_batch, 64);
        assert_int_equal(c.paxos.batch_delay_us, 0);
        assert_int_equal(c.paxos.pipeline, 4);
        assert_int_equal(c.paxos.read_mode, BL_PAXOS_READ_LOG);
        assert_int_equal(c.paxos.phase2_quorum, 0);
        assert_int_equal(c.paxos.snapshot_entries, 10000);
        assert_int_equal(c.paxos.snapshot_chunk, 65536);
}

/* Loading nothing gives the defaults, valid for 1 and 3 ranks. */
static void test_load_nothing_is_defaults(void **state)
{
        struct bl_config d, c;
        struct bl_errbuf eb;

        (void)state;
        bl_config_defaults(&d);
        for (int nranks = 0; nranks <= 3; nranks++) {
                assert_int_equal(bl_config_load(&c, NULL, NULL, 0, nranks, &eb), 0);
                assert_string_equal(eb.msg, "");
                assert_memory_equal(&c, &d, sizeof(c));
        }
        assert_int_equal(bl_config_load(&c, NULL, NULL, 0, 3, NULL), 0);
}

static void collect_key(void *user, const char *section, const char *key, const char *value)
{
        char *keys = user;

        (void)value;
        strcat(keys, section);
        strcat(keys, ".");
        strcat(keys, key);
        strcat(keys, "\n");
}

static int ini_collect(void *user, const char *section, const char *key, const char *value)
{
        collect_key(user, section, key, value);
        return 1;
}

/* configs/default.ini spells out every option, with the default value. */
static void test_default_ini_is_defaults(void **state)
{
        char path[512], in_file[8192] = "", in_visit[8192] = "";
        struct bl_config d, c;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "configs/default.ini");
        bl_config_defaults(&d);
        assert_int_equal(bl_config_load(&c, path, NULL, 0, 3, &eb), 0);
        assert_memory_equal(&c, &d, sizeof(c));
        assert_int_equal(ini_parse(path, ini_collect, in_file), 0);
        bl_config_visit(&d, collect_key, in_visit);
        assert_string_equal(in_file, in_visit);
}

static void test_file_sets_values(void **state)
{
        char path[512];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/config/valid.ini");
        assert_int_equal(bl_config_load(&c, path, NULL, 0, 3, &eb), 0);
        assert_string_equal(c.experiment.name, "valid-1.x");
        assert_true(c.experiment.seed == UINT64_MAX);
        assert_true(c.experiment.duration_s == 2.5);
        assert_true(c.experiment.warmup_s == 0.25);
        assert_int_equal(c.experiment.history, 1);
        assert_string_equal(c.experiment.output_dir, "/tmp/ballot results");
        assert_true(c.experiment.status_interval_s == 0.0);
        assert_int_equal(c.cluster.shards, 8);
        assert_int_equal(c.cluster.client_ranks, 1);
        assert_int_equal(c.cluster.placement, BL_PLACE_PACK);
        assert_int_equal(c.cluster.pinning, BL_PIN_NUMA_COMPACT);
        assert_int_equal(c.cluster.idle, BL_IDLE_YIELD);
        assert_int_equal(c.cluster.tick_us, 500);
        assert_true(c.store.records == 5000);
        assert_int_equal(c.store.value_size, 0);
        assert_int_equal(c.workload.type, BL_WL_COUNTER);
        assert_int_equal(c.workload.distribution, BL_DIST_HOTSPOT);
        assert_true(c.workload.zipf_constant == 0.5);
        assert_true(c.workload.hotspot_data_fraction == 1.0);
        assert_true(c.workload.hotspot_op_fraction == 0.0);
        assert_int_equal(c.workload.counters, 16);
        assert_int_equal(c.clients.per_rank, 2);
        assert_int_equal(c.clients.outstanding, 8);
        assert_true(c.clients.rate == 1e5);
        assert_int_equal(c.clients.timeout_ms, 250);
        assert_int_equal(c.metrics.interval_ms, 50);
        assert_int_equal(c.baseline.iterations, 10);
        assert_int_equal(c.baseline.window, 1);
        assert_int_equal(c.raft.election_timeout_ms, 300);
        assert_int_equal(c.raft.heartbeat_ms, 50);
        assert_int_equal(c.raft.prevote, 0);
        assert_int_equal(c.raft.max_batch, 1);
        assert_int_equal(c.raft.batch_delay_us, 100);
        assert_int_equal(c.raft.pipeline, 1);
        assert_int_equal(c.raft.read_mode, BL_READ_INDEX);
        assert_int_equal(c.raft.snapshot_entries, 1);
        /* Unchanged keys keep their defaults. */
        assert_string_equal(c.experiment.kernel, "none");
        assert_int_equal(c.cluster.replicas, 1);
}

static void test_bom_crlf(void **state)
{
        char path[512];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/config/bom-crlf.ini");
        assert_int_equal(bl_config_load(&c, path, NULL, 0, 3, &eb), 0);
        assert_int_equal(c.cluster.shards, 5);
        assert_string_equal(c.experiment.name, "crlf");
}

static void test_overrides_win(void **state)
{
        const char *ovr[] = {"cluster.shards=9", "workload.type = ycsb-c",
                             "experiment.output_dir=out/a=b.c", "cluster.shards=10"};
        char path[512];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/config/valid.ini");
        assert_int_equal(bl_config_load(&c, path, ovr, 4, 3, &eb), 0);
        assert_int_equal(c.cluster.shards, 10); /* the later override wins */
        assert_int_equal(c.workload.type, BL_WL_YCSB_C);
        assert_string_equal(c.experiment.output_dir, "out/a=b.c");
        assert_int_equal(c.cluster.tick_us, 500); /* from the file */
        /* Overrides apply without a file too. */
        assert_int_equal(bl_config_load(&c, NULL, ovr, 2, 3, &eb), 0);
        assert_int_equal(c.cluster.shards, 9);
        assert_int_equal(c.workload.type, BL_WL_YCSB_C);
}

/* The example message of the brief, exactly. */
static void test_error_exact_message(void **state)
{
        char path[512], want[600];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(load_text(&c, "[cluster]\n\n; comment\nreplicas = 20\n", NULL, 0, 3, &eb,
                                   path, sizeof(path)),
                         BL_ECONFIG);
        snprintf(want, sizeof(want), "%s:4: [cluster] replicas = 20: out of range, allowed 1..15",
                 path);
        assert_string_equal(eb.msg, want);
}

struct err_case {
        const char *ini;     /* file content; NULL: no file */
        const char *ovr[3];  /* overrides, NULL-terminated */
        int nranks;          /* 0: skip rank checks */
        int line;            /* expected "path:line: " prefix; 0: none, -1: "path: " */
        const char *want[4]; /* further substrings of the message */
};

static const struct err_case err_cases[] = {
    /* structure */
    {"[experiment]\nname = x\n[bogus]\nfoo = 1\n",
     {NULL},
     3,
     3,
     {"[bogus]", "unknown section", "experiment, cluster"}},
    {"[bogus]\n", {NULL}, 3, 1, {"[bogus]", "unknown section"}},
    {"[cluster]\nshard = 3\n", {NULL}, 3, 2, {"[cluster] shard = 3", "unknown key", "shards"}},
    {"[cluster]\nShards = 3\n", {NULL}, 3, 2, {"Shards = 3", "unknown key"}},
    {"shards = 3\n", {NULL}, 3, 1, {"shards = 3", "outside any section"}},
    {"[cluster]\nshards = 3\nreplicas = 1\nshards = 4\n",
     {NULL},
     3,
     4,
     {"[cluster] shards = 4", "duplicate", "line 2"}},
    {"[cluster]\nshards\n", {NULL}, 3, 2, {"syntax error", "'shards'"}},
    {"[cluster\nshards = 3\n", {NULL}, 3, 1, {"syntax error", "'[cluster'"}},
    {"[cluster]\nshards = 3\n  replicas = 1\n", {NULL}, 3, 3, {"indented", "replicas = 1"}},
    {"[cluster]\nshards = 3\n[store]\nrecords = 2\nbogus\n", {NULL}, 3, 5, {"syntax error"}},
    /* malformed and out-of-range values */
    {"[cluster]\nshards = abc\n", {NULL}, 3, 2, {"shards = abc", "not an integer", "1..4096"}},
    {"[cluster]\nshards = 12x\n", {NULL}, 3, 2, {"shards = 12x", "not an integer"}},
    {"[cluster]\nshards = 3 4\n", {NULL}, 3, 2, {"shards = 3 4", "not an integer"}},
    {"[cluster]\nshards = 1.5\n", {NULL}, 3, 2, {"shards = 1.5", "not an integer"}},
    {"[cluster]\nshards = 0x10\n", {NULL}, 3, 2, {"shards = 0x10", "not an integer"}},
    {"[cluster]\nshards = 3 # three\n", {NULL}, 3, 2, {"shards = 3 # three"}},
    {"[cluster]\nshards =\n", {NULL}, 3, 2, {"[cluster] shards = ", "empty value"}},
    {"[cluster]\nshards = 99999999999999999999\n",
     {NULL},
     3,
     2,
     {"shards = 99999999999999999999", "out of range", "1..4096"}},
    {"[cluster]\nshards = 4097\n", {NULL}, 3, 2, {"shards = 4097", "out of range", "1..4096"}},
    {"[cluster]\nshards = -1\n", {NULL}, 3, 2, {"shards = -1", "out of range"}},
    {"[experiment]\nseed = -1\n", {NULL}, 3, 2, {"seed = -1", "not a non-negative integer"}},
    {"[experiment]\nseed = 18446744073709551616\n",
     {NULL},
     3,
     2,
     {"seed = 18446744073709551616", "out of range"}},
    {"[store]\nrecords = 0\n", {NULL}, 3, 2, {"records = 0", "out of range", "1..1000000000"}},
    {"[workload]\nzipf_constant = abc\n", {NULL}, 3, 2, {"zipf_constant = abc", "not a number"}},
    {"[workload]\nzipf_constant = 0.5x\n", {NULL}, 3, 2, {"= 0.5x", "not a number"}},
    {"[workload]\nzipf_constant = 1\n", {NULL}, 3, 2, {"zipf_constant = 1", "(0, 1)"}},
    {"[workload]\nzipf_constant = 0\n", {NULL}, 3, 2, {"zipf_constant = 0", "out of range"}},
    {"[workload]\nzipf_constant = nan\n", {NULL}, 3, 2, {"= nan", "not a number"}},
    {"[experiment]\nduration_s = inf\n", {NULL}, 3, 2, {"= inf", "not a number"}},
    /* every number is decimal: what shards refuses, duration_s refuses too */
    {"[experiment]\nduration_s = 0x10\n", {NULL}, 3, 2, {"= 0x10", "not a number", "decimal"}},
    {"[experiment]\nduration_s = 0x1p3\n", {NULL}, 3, 2, {"= 0x1p3", "not a number"}},
    {"[experiment]\nduration_s = infinity\n", {NULL}, 3, 2, {"= infinity", "not a number"}},
    {"[clients]\nrate = 1e\n", {NULL}, 3, 2, {"rate = 1e", "not a number"}},
    {"[clients]\nrate = .\n", {NULL}, 3, 2, {"rate = .", "not a number"}},
    {"[experiment]\nseed = 0x2a\n", {NULL}, 3, 2, {"seed = 0x2a", "not a non-negative integer"}},
    {"[experiment]\nduration_s = 1e999\n", {NULL}, 3, 2, {"= 1e999", "out of range"}},
    {"[workload]\nhotspot_op_fraction = 1.5\n", {NULL}, 3, 2, {"= 1.5", "[0, 1]"}},
    {"[raft]\nprevote = maybe\n", {NULL}, 3, 2, {"prevote = maybe", "true|false"}},
    {"[cluster]\nplacement = diagonal\n", {NULL}, 3, 2, {"= diagonal", "spread|pack"}},
    {"[cluster]\nplacement = Spread\n", {NULL}, 3, 2, {"= Spread", "unknown choice"}},
    {"[cluster]\npinning = numa\n", {NULL}, 3, 2, {"= numa", "numa-spread|numa-compact"}},
    {"[workload]\ntype = ycsb-e\n", {NULL}, 3, 2, {"= ycsb-e", "ycsb-f|counter"}},
    {"[workload]\ndistribution = normal\n", {NULL}, 3, 2, {"= normal", "latest|hotspot"}},
    {"[raft]\nread_mode = lease\n", {NULL}, 3, 2, {"= lease", "log|index"}},
    {"[experiment]\nname = a/b\n", {NULL}, 3, 2, {"name = a/b", "'/' not allowed"}},
    {"[experiment]\nname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     {NULL},
     3,
     2,
     {"[experiment] name = aaaa", "too long", "1..63"}},
    {"[experiment]\nkernel = zab\n", {NULL}, 3, 2, {"kernel = zab", "unknown", "none"}},
    /* 2pc runs transactions, and transactions need 2pc */
    {"[experiment]\nkernel = 2pc\n", {NULL}, 3, 2, {"kernel = 2pc", "runs transactions", "bank"}},
    {"[experiment]\nkernel = 2pc/raft\n[cluster]\nreplicas = 3\n",
     {NULL},
     3,
     2,
     {"kernel = 2pc/raft", "runs transactions", "type = ycsb-a from default"}},
    {"[workload]\ntype = bank\n",
     {NULL},
     3,
     2,
     {"type = bank", "needs a commit layer", "2pc/none"}},
    {"[experiment]\nkernel = raft\n[workload]\ntype = list-append\n",
     {NULL},
     3,
     4,
     {"type = list-append", "needs a commit layer", "2pc/raft", "kernel = raft from "}},
    {"[experiment]\nkernel = 2pc\n[workload]\ntype = ycsb-t\n[txn]\nkeys = 20\n"
     "[store]\nrecords = 10\n",
     {NULL},
     3,
     8,
     {"records = 10", "keys <= records"}},
    {"[experiment]\nkernel = 2pc\n[workload]\ntype = bank\n[bank]\naudit_accounts = 20\n"
     "[store]\nrecords = 10\n",
     {NULL},
     3,
     8,
     {"records = 10", "audit_accounts <= records"}},
    {"[experiment]\nkernel = 2pc\n[workload]\ntype = bank\n[bank]\naudit_accounts = 70000\n"
     "[store]\nrecords = 100000\n",
     {NULL},
     3,
     8,
     {"records = 100000", "at most 65536 reads", "audit_accounts = 70000"}},
    {"[txn]\ncc = wound-wait\n", {NULL}, 3, 2, {"cc = wound-wait", "no-wait|wait-die"}},
    {"[experiment]\nkernel = 2pc\n[workload]\ntype = bank\n[clients]\nrate = 100\n",
     {NULL},
     3,
     6,
     {"rate = 100", "closed loop"}},
    {"[experiment]\nkernel = 2pc/2pc\n", {NULL}, 3, 2, {"2pc/2pc", "unknown replication"}},
    {"[experiment]\nkernel = none/zab\n", {NULL}, 3, 2, {"none/zab", "'zab'"}},
    {"[experiment]\nkernel = a/b/c\n", {NULL}, 3, 2, {"a/b/c", "malformed"}},
    {"[experiment]\nkernel = /none\n", {NULL}, 3, 2, {"/none", "malformed"}},
    /* impossible combinations, blamed on the option set last */
    {"[cluster]\nreplicas = 3\n", {NULL}, 3, 2, {"replicas = 3", "kernel = none", "default"}},
    {"[experiment]\nkernel = none\n[cluster]\nreplicas = 2\n",
     {NULL},
     3,
     4,
     {"replicas = 2", "kernel = none from ", ":2"}},
    {"[cluster]\nclient_ranks = 3\n", {NULL}, 3, 2, {"client_ranks = 3", "allowed 0..2"}},
    {"[workload]\ntype = counter\ncounters = 20\n[store]\nrecords = 10\n",
     {NULL},
     3,
     5,
     {"records = 10", "counters <= records", "counters = 20 from "}},
    {"[workload]\ntype = counter\n[store]\nrecords = 3\n",
     {NULL},
     3,
     4,
     {"records = 3", "counters = 4 from default"}},
    {"[experiment]\nwarmup_s = 5\n", {NULL}, 3, 2, {"warmup_s = 5", "duration_s = 3"}},
    {"[experiment]\nduration_s = 0\n", {NULL}, 3, 2, {"duration_s = 0", "ops"}},
    {"[raft]\nheartbeat_ms = 200\n", {NULL}, 3, 2, {"heartbeat_ms = 200", "election"}},
    {"[paxos]\nheartbeat_ms = 200\n", {NULL}, 3, 2, {"[paxos] heartbeat_ms = 200", "election"}},
    {"[paxos]\nread_mode = index\n", {NULL}, 3, 2, {"= index", "log|quorum"}},
    {"[experiment]\nkernel = paxos\n[cluster]\nreplicas = 3\n[paxos]\nphase2_quorum = 4\n",
     {NULL},
     3,
     6,
     {"[paxos] phase2_quorum = 4", "q1 + q2 > replicas", "1..3"}},
    {"[raft]\nelection_timeout_ms = 30\n",
     {NULL},
     3,
     2,
     {"election_timeout_ms = 30", "heartbeat_ms = 30 from default"}},
    /* a long line would be split by inih: refuse it */
    {"[experiment]\noutput_dir = "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "\n[cluster]\nshards = 2\n",
     {NULL},
     3,
     2,
     {"line too long"}},
    /* overrides */
    {NULL, {"cluster.shards"}, 3, 0, {"override -o cluster.shards:", "section.key=value"}},
    {NULL, {"shards=3"}, 3, 0, {"override -o shards=3:", "section.key=value"}},
    {NULL, {"cluster.shard=3"}, 3, 0, {"override -o cluster.shard=3", "unknown key", "shards"}},
    {NULL, {"clusters.shards=3"}, 3, 0, {"override -o clusters.shards=3", "unknown section"}},
    {NULL,
     {"cluster.shards=abc"},
     3,
     0,
     {"override -o cluster.shards=abc: [cluster] shards = abc: not an integer"}},
    {NULL,
     {"cluster.shards=4", "cluster.replicas=20"},
     3,
     0,
     {"override -o cluster.replicas=20: [cluster] replicas = 20: out of range, allowed 1..15"}},
    {"[cluster]\nshards = 4\n",
     {"cluster.replicas=2"},
     3,
     0,
     {"override -o cluster.replicas=2: [cluster] replicas = 2", "kernel"}},
    {"[experiment]\nduration_s = 10\n",
     {"experiment.warmup_s=12"},
     3,
     0,
     {"override -o experiment.warmup_s=12", "duration_s = 10 from ", ":2)"}},
    {"[cluster]\nclient_ranks = 2\n", {NULL}, 2, 2, {"client_ranks = 2", "2 ranks"}},
};

static void test_errors(void **state)
{
        char path[512], prefix[600];
        struct bl_config c;
        struct bl_errbuf eb;
        int rc, novr;

        (void)state;
        for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
                const struct err_case *e = &err_cases[i];

                for (novr = 0; novr < 3 && e->ovr[novr] != NULL; novr++)
                        ;
                memset(&eb, 0, sizeof(eb));
                if (e->ini != NULL) {
                        rc =
                            load_text(&c, e->ini, e->ovr, novr, e->nranks, &eb, path, sizeof(path));
                } else {
                        path[0] = '\0';
                        rc = bl_config_load(&c, NULL, e->ovr, novr, e->nranks, &eb);
                }
                if (rc != BL_ECONFIG)
                        fail_msg("case %zu: rc %d, message \"%s\"", i, rc, eb.msg);
                if (e->line > 0) {
                        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, e->line);
                        if (strncmp(eb.msg, prefix, strlen(prefix)) != 0)
                                fail_msg("case %zu: message \"%s\" does not start with \"%s\"", i,
                                         eb.msg, prefix);
                }
                for (int k = 0; k < 4 && e->want[k] != NULL; k++)
                        assert_has(eb.msg, e->want[k]);
        }
}

/* Text after a NUL byte must not be ignored: the file is refused. */
static void test_nul_byte(void **state)
{
        static const char text[] = "[cluster]\nshards = 2\0shards = 9999\n[store]\nbogus = 1\n";
        char path[64];
        struct bl_config c;
        struct bl_errbuf eb;
        FILE *f;
        int fd;

        (void)state;
        snprintf(path, sizeof(path), "/tmp/bl-test-config-XXXXXX.ini");
        fd = mkstemps(path, 4);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(bl_config_load(&c, path, NULL, 0, 3, &eb), BL_ECONFIG);
        assert_has(eb.msg, ":2: holds a NUL byte");
        unlink(path);
}

/* Control characters from the input are escaped in messages. */
static void test_control_chars_escaped(void **state)
{
        char path[64];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(
            load_text(&c, "[cluster]\nshards = \033[2J\a\n", NULL, 0, 3, &eb, path, sizeof(path)),
            BL_ECONFIG);
        assert_has(eb.msg, "shards = \\x1b[2J\\x07");
        for (const char *p = eb.msg; *p != '\0'; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        fail_msg("control character 0x%02x in \"%s\"", (unsigned char)*p, eb.msg);
}

static void test_missing_file(void **state)
{
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(bl_config_load(&c, "/nonexistent/x.ini", NULL, 0, 3, &eb), BL_ECONFIG);
        assert_has(eb.msg, "/nonexistent/x.ini");
        assert_has(eb.msg, "cannot open");
}

/* ops > 0 runs by count: duration and warm-up are then not compared. */
static void test_ops_instead_of_duration(void **state)
{
        const char *ovr[] = {"experiment.duration_s=0", "experiment.ops=1000"};
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(bl_config_load(&c, NULL, ovr, 2, 3, &eb), 0);
        assert_true(c.experiment.ops == 1000);
}

/* Rank checks through the public function (no origins known). */
static void test_validate_ranks(void **state)
{
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        bl_config_defaults(&c);
        assert_int_equal(bl_config_validate_ranks(&c, 1, &eb), 0);
        assert_int_equal(bl_config_validate_ranks(&c, 0, &eb), 0); /* unknown: skipped */
        c.cluster.replicas = 3;
        c.cluster.client_ranks = 1;
        assert_int_equal(bl_config_validate_ranks(&c, 4, &eb), 0);
        assert_int_equal(bl_config_validate_ranks(&c, 3, &eb), BL_ECONFIG);
        assert_has(eb.msg, "[cluster] replicas = 3");
        assert_has(eb.msg, "allowed 1..2");
        assert_has(eb.msg, "client_ranks = 1");
        c.cluster.client_ranks = 0;
        assert_int_equal(bl_config_validate_ranks(&c, 3, &eb), 0);
        assert_int_equal(bl_config_validate_ranks(&c, 2, &eb), BL_ECONFIG);
        assert_has(eb.msg, "allowed 1..2");
        c.cluster.client_ranks = 5;
        assert_int_equal(bl_config_validate_ranks(&c, 5, &eb), BL_ECONFIG);
        assert_has(eb.msg, "[cluster] client_ranks = 5");
        assert_has(eb.msg, "allowed 0..4");
}

struct visit_log {
        char keys[N_OPTIONS + 8][96];
        char values[N_OPTIONS + 8][600];
        int n;
};

static void log_visit(void *arg, const char *section, const char *key, const char *value)
{
        struct visit_log *v = arg;

        assert_true(v->n < N_OPTIONS + 8);
        snprintf(v->keys[v->n], sizeof(v->keys[0]), "%s.%s", section, key);
        snprintf(v->values[v->n], sizeof(v->values[0]), "%s", value);
        v->n++;
}

/* Every option exactly once; feeding the dump back gives the same config. */
static void test_visit_round_trip(void **state)
{
        static struct visit_log v;
        static char ovr_buf[N_OPTIONS][700];
        const char *ovr[N_OPTIONS];
        char path[512];
        struct bl_config c, back;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/config/valid.ini");
        assert_int_equal(bl_config_load(&c, path, NULL, 0, 3, &eb), 0);
        v.n = 0;
        bl_config_visit(&c, log_visit, &v);
        assert_int_equal(v.n, N_OPTIONS);
        for (int i = 0; i < v.n; i++)
                for (int j = i + 1; j < v.n; j++)
                        assert_string_not_equal(v.keys[i], v.keys[j]);
        for (int i = 0; i < v.n; i++) {
                snprintf(ovr_buf[i], sizeof(ovr_buf[i]), "%s=%s", v.keys[i], v.values[i]);
                ovr[i] = ovr_buf[i];
        }
        assert_int_equal(bl_config_load(&back, NULL, ovr, N_OPTIONS, 3, &eb), 0);
        assert_memory_equal(&c, &back, sizeof(c));
        /* Values as text, as they go into the result file. */
        assert_string_equal(v.keys[0], "experiment.name");
        assert_string_equal(v.values[0], "valid-1.x");
        for (int i = 0; i < v.n; i++) {
                if (strcmp(v.keys[i], "experiment.seed") == 0)
                        assert_string_equal(v.values[i], "18446744073709551615");
                if (strcmp(v.keys[i], "experiment.history") == 0)
                        assert_string_equal(v.values[i], "true");
                if (strcmp(v.keys[i], "workload.zipf_constant") == 0)
                        assert_string_equal(v.values[i], "0.5");
                if (strcmp(v.keys[i], "clients.rate") == 0)
                        assert_string_equal(v.values[i], "100000");
                if (strcmp(v.keys[i], "cluster.pinning") == 0)
                        assert_string_equal(v.values[i], "numa-compact");
        }
}

static void test_print_options(void **state)
{
        static struct visit_log v;
        struct bl_config d;
        char *text = NULL, *line;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int lines = 0;

        (void)state;
        assert_non_null(f);
        bl_config_print_options(f);
        assert_int_equal(fclose(f), 0);
        bl_config_defaults(&d);
        v.n = 0;
        bl_config_visit(&d, log_visit, &v);
        /* One header line, then one line per option, starting with its name
         * and showing its default. */
        for (line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
                if (lines > 0) {
                        assert_true(lines <= v.n);
                        assert_memory_equal(line, v.keys[lines - 1], strlen(v.keys[lines - 1]));
                        *strchr(line, '\n') = '\0';
                        assert_has(line, v.values[lines - 1]);
                        line[strlen(line)] = '\n';
                }
                lines++;
        }
        assert_int_equal(lines, v.n + 1);
        assert_has(text, "# option");
        assert_has(text, "1..15");
        assert_has(text, "spread|pack");
        assert_has(text, "(0, 1)");
        assert_has(text, "busy|yield|sleep|auto");
        free(text);
}

static void test_name_tables(void **state)
{
        struct bl_config c;
        struct bl_errbuf eb;
        char ovr[128];
        const char *o[1] = {ovr};

        (void)state;
        assert_string_equal(bl_idle_name(BL_IDLE_YIELD), "yield");
        assert_string_equal(bl_pinning_name(BL_PIN_NUMA_SPREAD), "numa-spread");
        assert_string_equal(bl_placement_name(BL_PLACE_PACK), "pack");
        assert_string_equal(bl_workload_name(BL_WL_COUNTER), "counter");
        assert_string_equal(bl_dist_name(BL_DIST_LATEST), "latest");
        assert_string_equal(bl_idle_name((enum bl_idle)99), "?");
        assert_string_equal(bl_dist_name((enum bl_dist) - 1), "?");
        /* The names the helpers give are the names the parser takes. */
        for (int v = BL_IDLE_BUSY; v <= BL_IDLE_AUTO; v++) {
                snprintf(ovr, sizeof(ovr), "cluster.idle=%s", bl_idle_name((enum bl_idle)v));
                assert_int_equal(bl_config_load(&c, NULL, o, 1, 3, &eb), 0);
                assert_int_equal(c.cluster.idle, v);
        }
        for (int v = BL_PIN_NONE; v <= BL_PIN_NUMA_COMPACT; v++) {
                snprintf(ovr, sizeof(ovr), "cluster.pinning=%s",
                         bl_pinning_name((enum bl_pinning)v));
                assert_int_equal(bl_config_load(&c, NULL, o, 1, 3, &eb), 0);
                assert_int_equal(c.cluster.pinning, v);
        }
        for (int v = BL_PLACE_SPREAD; v <= BL_PLACE_PACK; v++) {
                snprintf(ovr, sizeof(ovr), "cluster.placement=%s",
                         bl_placement_name((enum bl_placement)v));
                assert_int_equal(bl_config_load(&c, NULL, o, 1, 3, &eb), 0);
                assert_int_equal(c.cluster.placement, v);
        }
        for (int v = BL_WL_YCSB_A; v <= BL_WL_COUNTER; v++) {
                snprintf(ovr, sizeof(ovr), "workload.type=%s",
                         bl_workload_name((enum bl_workload_type)v));
                assert_int_equal(bl_config_load(&c, NULL, o, 1, 3, &eb), 0);
                assert_int_equal(c.workload.type, v);
        }
        for (int v = BL_DIST_DEFAULT; v <= BL_DIST_HOTSPOT; v++) {
                snprintf(ovr, sizeof(ovr), "workload.distribution=%s",
                         bl_dist_name((enum bl_dist)v));
                assert_int_equal(bl_config_load(&c, NULL, o, 1, 3, &eb), 0);
                assert_int_equal(c.workload.distribution, v);
        }
}

static void test_kernel_derivation(void **state)
{
        const char *ovr[] = {"experiment.kernel=none/none"};
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(bl_config_load(&c, NULL, ovr, 1, 3, &eb), 0);
        assert_string_equal(c.experiment.kernel, "none/none");
        assert_string_equal(c.experiment.repl, "none");
        assert_string_equal(c.experiment.commit, "none");
}

/* 2pc over a replication kernel with a transaction workload; 2pc alone is 2pc/none. */
static void test_kernel_2pc(void **state)
{
        const char *ovr[] = {"experiment.kernel=2pc/raft", "workload.type=bank",
                             "cluster.replicas=3", "txn.cc=wait-die"};
        const char *ovr_none[] = {"experiment.kernel=2pc", "workload.type=list-append"};
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        assert_int_equal(bl_config_load(&c, NULL, ovr, 4, 3, &eb), 0);
        assert_string_equal(c.experiment.repl, "raft");
        assert_string_equal(c.experiment.commit, "2pc");
        assert_int_equal(c.workload.type, BL_WL_BANK);
        assert_int_equal(c.txn.cc, BL_CC_WAIT_DIE);
        assert_true(bl_workload_is_txn(c.workload.type));
        assert_int_equal(bl_config_load(&c, NULL, ovr_none, 2, 3, &eb), 0);
        assert_string_equal(c.experiment.repl, "none");
        assert_string_equal(c.experiment.commit, "2pc");
        assert_false(bl_workload_is_txn(BL_WL_COUNTER));
        assert_string_equal(bl_txn_cc_name(BL_CC_NO_WAIT), "no-wait");
}

/* Every experiment config under configs/ loads for 3 ranks. */
static void test_all_configs_load(void **state)
{
        char pattern[512];
        glob_t g;
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        /* Named experiments and benchmarks; each loads for the rank count
         * its "ranks: N" comment names (3 without one, as `make run` uses). */
        repo_path(pattern, sizeof(pattern), "configs/*.ini");
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        repo_path(pattern, sizeof(pattern), "configs/bench/*.ini");
        assert_int_equal(glob(pattern, GLOB_APPEND, NULL, &g), 0);
        assert_true(g.gl_pathc >= 9);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                char line[256];
                int nranks = 3;
                FILE *f = fopen(g.gl_pathv[i], "r");
                assert_non_null(f);
                while (fgets(line, sizeof(line), f) != NULL)
                        if (sscanf(line, "%*[#;] ranks: %d", &nranks) == 1)
                                break;
                fclose(f);
                if (bl_config_load(&c, g.gl_pathv[i], NULL, 0, nranks, &eb) != 0)
                        fail_msg("%s: %s", g.gl_pathv[i], eb.msg);
        }
        globfree(&g);
}

/* Loading allocates nothing through bl_alloc: an injected failure on the
 * first allocation changes nothing. */
static void test_no_allocation(void **state)
{
        const char *ovr[] = {"cluster.shards=7"};
        char path[512];
        struct bl_config c;
        struct bl_errbuf eb;

        (void)state;
        repo_path(path, sizeof(path), "tests/unit/data/config/valid.ini");
        bl_alloc_fail_after(1);
        assert_int_equal(bl_config_load(&c, path, ovr, 1, 3, &eb), 0);
        assert_int_equal(c.cluster.shards, 7);
        assert_null(bl_malloc(1)); /* the injected failure was still pending */
        bl_alloc_fail_after(0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_load_nothing_is_defaults),
            cmocka_unit_test(test_default_ini_is_defaults),
            cmocka_unit_test(test_file_sets_values),
            cmocka_unit_test(test_bom_crlf),
            cmocka_unit_test(test_overrides_win),
            cmocka_unit_test(test_error_exact_message),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_nul_byte),
            cmocka_unit_test(test_control_chars_escaped),
            cmocka_unit_test(test_missing_file),
            cmocka_unit_test(test_ops_instead_of_duration),
            cmocka_unit_test(test_validate_ranks),
            cmocka_unit_test(test_visit_round_trip),
            cmocka_unit_test(test_print_options),
            cmocka_unit_test(test_name_tables),
            cmocka_unit_test(test_kernel_derivation),
            cmocka_unit_test(test_kernel_2pc),
            cmocka_unit_test(test_all_configs_load),
            cmocka_unit_test(test_no_allocation),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
