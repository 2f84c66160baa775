/* Random schedules for the commit layer: bank transfers and audits under drops, duplicates, delays,
 * cuts, crashes and leader changes; atomicity and the bank total must hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twopc_harness.h"

/*
 * Each seed builds a cluster (2pc/none: three shards on ranks 0..2 and two
 * client-only ranks; replicated: three shards of two replicas on four
 * ranks), then for FAULT_ROUNDS rounds begins transactions at random ranks
 * while the network drops, duplicates and delays messages, links are cut,
 * ranks crash and recover, durability lags and (replicated) leadership
 * moves. Then every fault heals and the cluster runs SETTLE_ROUNDS more.
 * Transactions: transfers (two ADDs), audits (read every account),
 * audit-and-transfer (every account read, two of them written: read-only
 * shards next to writing ones), single reads. Checked:
 *   atomicity   a transaction committed on one replica is committed on
 *               every replica of every shard it wrote;
 *   reports     a reported commit is applied everywhere, a reported abort
 *               nowhere; each transaction is reported at most once;
 *   liveness    after healing nothing stays in doubt (prepared, waiting,
 *               or holding read locks) and every coordinator is done
 *               (nothing active, every DECIDE acknowledged);
 *   bank        the total is conserved, and every committed audit that read
 *               all accounts saw it.
 * BL_SIM_SEEDS=n overrides the number of seeds; BL_TPC_SEED=s runs one.
 */

#define KEYS          6
#define INITIAL       100
#define FAULT_ROUNDS  300
#define SETTLE_ROUNDS 400
#define MAX_TXNS      400

struct rtxn {
        uint64_t id;
        uint32_t nops;
        struct bl_tpc_op ops[KEYS + 2];
        int audit_all; /* reads every account */
};

struct run {
        struct h *h;
        uint64_t keys[KEYS];
        struct rtxn txns[MAX_TXNS];
        int ntxns;
        int clients[H_RANKS], nclients;
};

static int nseeds(int def)
{
        const char *e = getenv("BL_SIM_SEEDS");

        return e != NULL && atoi(e) > 0 ? atoi(e) : def;
}

static struct h *cluster(int replicated, int cc, uint64_t seed)
{
        struct h *h;

        if (!replicated) {
                h = h_new(5, 3, 0, cc);
                for (int s = 0; s < 3; s++)
                        h_add_replica(h, s, s);
        } else {
                h = h_new(4, 3, 1, cc);
                for (int s = 0; s < 3; s++) {
                        h_add_replica(h, s, s);
                        h_add_replica(h, s, (s + 1) % 4);
                }
        }
        h->rng = seed * 0x2545f4914f6cdd1dULL + 1;
        h_start(h);
        return h;
}

static void make_txn(struct run *run, struct rtxn *x)
{
        struct h *h = run->h;
        uint64_t r = h_rand(h) % 10;

        x->nops = 0;
        x->audit_all = 0;
        if (r < 2) { /* audit every account, then transfer between two of them */
                int a = (int)(h_rand(h) % KEYS), b = (int)(h_rand(h) % (KEYS - 1));
                int start = (int)(h_rand(h) % KEYS);

                if (b >= a)
                        b++;
                for (int i = 0; i < KEYS; i++)
                        x->ops[x->nops++] =
                            (struct bl_tpc_op){BL_TXS_READ, run->keys[(start + i) % KEYS], 0};
                x->ops[x->nops++] = (struct bl_tpc_op){BL_TXS_ADD, run->keys[a], (uint64_t)-1};
                x->ops[x->nops++] = (struct bl_tpc_op){BL_TXS_ADD, run->keys[b], 1};
                x->audit_all = 1;
        } else if (r < 7) { /* transfer */
                int a = (int)(h_rand(h) % KEYS), b = (int)(h_rand(h) % (KEYS - 1));
                int64_t amt = 1 + (int64_t)(h_rand(h) % 120);

                if (b >= a)
                        b++;
                x->ops[x->nops++] = (struct bl_tpc_op){BL_TXS_ADD, run->keys[a], (uint64_t)-amt};
                x->ops[x->nops++] = (struct bl_tpc_op){BL_TXS_ADD, run->keys[b], (uint64_t)amt};
        } else if (r < 9) { /* audit of every account, in a random order */
                int start = (int)(h_rand(h) % KEYS);

                for (int i = 0; i < KEYS; i++)
                        x->ops[x->nops++] =
                            (struct bl_tpc_op){BL_TXS_READ, run->keys[(start + i) % KEYS], 0};
                x->audit_all = 1;
        } else { /* one read */
                x->ops[x->nops++] = (struct bl_tpc_op){BL_TXS_READ, run->keys[h_rand(h) % KEYS], 0};
        }
}

static void maybe_begin(struct run *run)
{
        struct h *h = run->h;
        struct rtxn *x;
        struct bl_tpc_txn t;
        int rank, rc;

        if (run->ntxns >= MAX_TXNS || h_rand(h) % 3 != 0)
                return;
        x = &run->txns[run->ntxns];
        make_txn(run, x);
        if (h->replicated)
                rank = h->leader[bl_shard_of(x->ops[0].key, h->nshards)];
        else
                rank = (int)(h_rand(h) % (uint64_t)h->nranks);
        if (rank < 0 || !h->up[rank] || h->tpc[rank] == NULL)
                return;
        x->id = (uint64_t)run->ntxns + 1;
        t = (struct bl_tpc_txn){
            .id = x->id, .ts = h->now, .cookie = x->id * 10, .nops = x->nops, .ops = x->ops};
        rc = bl_tpc_begin(h->tpc[rank], &t);
        if (rc == BL_ENOTLEADER)
                return;
        assert_int_equal(rc, 0);
        run->ntxns++;
}

/* Another up replica of shard s, or -1. */
static int other_replica(const struct h *h, int s, int not )
{
        int start = (int)(h->now / h->dt);

        for (int i = 0; i < h->nmembers[s]; i++) {
                int r = h->members[s][(start + i) % h->nmembers[s]];

                if (r != not &&h->up[r])
                        return r;
        }
        return -1;
}

static void faults(struct run *run)
{
        struct h *h = run->h;
        uint64_t r = h_rand(h) % 1000;
        int rank = (int)(h_rand(h) % (uint64_t)h->nranks);

        h->auto_durable = h_rand(h) % 3 != 0;
        if (r < 10 && h->up[rank]) {
                h_crash(h, rank);
                for (int s = 0; h->replicated && s < h->nshards; s++)
                        if (h->leader[s] == rank) {
                                int o = other_replica(h, s, rank);

                                if (o >= 0)
                                        h_set_leader(h, s, o, (int)(h_rand(h) % 2));
                        }
        } else if (r < 60 && !h->up[rank]) {
                assert_int_equal(h_recover(h, rank), 0);
        } else if (r < 80 && h->replicated) {
                int s = (int)(h_rand(h) % (uint64_t)h->nshards);
                int o = other_replica(h, s, h->leader[s]);

                if (o >= 0)
                        h_set_leader(h, s, o, (int)(h_rand(h) % 2));
        } else if (r < 95) {
                int a = (int)(h_rand(h) % (uint64_t)h->nranks);

                h->cut[rank][a] = !h->cut[rank][a];
        } else if (r < 115) {
                memset(h->cut, 0, sizeof(h->cut));
        }
}

static void heal(struct h *h)
{
        memset(h->cut, 0, sizeof(h->cut));
        h->drop_pm = h->dup_pm = 0;
        h->max_delay = 0;
        h->auto_durable = 1;
        for (int r = 0; r < h->nranks; r++)
                if (!h->up[r])
                        assert_int_equal(h_recover(h, r), 0);
}

static int shard_written(const struct rtxn *x, int s, int nshards)
{
        for (uint32_t i = 0; i < x->nops; i++)
                if (x->ops[i].kind != BL_TXS_READ && bl_shard_of(x->ops[i].key, nshards) == s)
                        return 1;
        return 0;
}

static int shard_touched(const struct rtxn *x, int s, int nshards)
{
        for (uint32_t i = 0; i < x->nops; i++)
                if (bl_shard_of(x->ops[i].key, nshards) == s)
                        return 1;
        return 0;
}

static int check_txn(const struct run *run, const struct rtxn *x, char *why, size_t n)
{
        const struct h *h = run->h;
        int committed = 0, aborted = 0, reports = h_count_results(h, x->id);
        const struct hres *res = h_result(h, x->id);

        for (int s = 0; s < h->nshards; s++) {
                if (!shard_touched(x, s, h->nshards))
                        continue;
                for (int i = 0; i < h->nmembers[s]; i++) {
                        int st = h_state(h, s, h->members[s][i], x->id);

                        if (st == BL_TXS_PREPARED || st == BL_TXS_WAITING ||
                            st == BL_TXS_READ_HELD) {
                                snprintf(why, n, "txn %llu still in state %d on shard %d rank %d",
                                         (unsigned long long)x->id, st, s, h->members[s][i]);
                                return -1;
                        }
                        committed |= st == BL_TXS_COMMITTED;
                        aborted |= st == BL_TXS_ABORTED && shard_written(x, s, h->nshards);
                }
        }
        if (committed && aborted) {
                snprintf(why, n, "txn %llu committed on one shard, aborted on another",
                         (unsigned long long)x->id);
                return -1;
        }
        for (int s = 0; committed && s < h->nshards; s++)
                for (int i = 0; shard_written(x, s, h->nshards) && i < h->nmembers[s]; i++)
                        if (h_state(h, s, h->members[s][i], x->id) != BL_TXS_COMMITTED) {
                                snprintf(why, n, "txn %llu committed but not on shard %d",
                                         (unsigned long long)x->id, s);
                                return -1;
                        }
        if (reports > 1) {
                snprintf(why, n, "txn %llu reported %d times", (unsigned long long)x->id, reports);
                return -1;
        }
        if (res == NULL)
                return 0;
        if (res->outcome == BL_TPC_COMMITTED && aborted) {
                snprintf(why, n, "txn %llu reported committed, aborted", (unsigned long long)x->id);
                return -1;
        }
        if (res->outcome == BL_TPC_ABORTED && committed) {
                snprintf(why, n, "txn %llu reported aborted, committed", (unsigned long long)x->id);
                return -1;
        }
        if (res->outcome == BL_TPC_COMMITTED && x->audit_all && res->has_reads) {
                uint64_t sum = 0;

                for (uint32_t i = 0; i < x->nops; i++)
                        if (x->ops[i].kind == BL_TXS_READ)
                                sum += res->value[i];
                if (sum != KEYS * INITIAL) {
                        snprintf(why, n, "audit %llu saw a total of %llu",
                                 (unsigned long long)x->id, (unsigned long long)sum);
                        return -1;
                }
        }
        return 0;
}

static int check(const struct run *run, char *why, size_t n)
{
        const struct h *h = run->h;
        uint64_t total = 0;

        for (int i = 0; i < run->ntxns; i++)
                if (check_txn(run, &run->txns[i], why, n) != 0)
                        return -1;
        for (int r = 0; r < h->nranks; r++) {
                struct bl_tpc_stats st;

                bl_tpc_stats(h->tpc[r], &st);
                if (st.active != 0 || st.unacked != 0) {
                        snprintf(why, n, "rank %d still has %llu active, %llu unacknowledged", r,
                                 (unsigned long long)st.active, (unsigned long long)st.unacked);
                        return -1;
                }
        }
        for (int k = 0; k < KEYS; k++) {
                int s = bl_shard_of(run->keys[k], h->nshards);

                total += bl_txs_value(h->store[s][h->members[s][0]], run->keys[k]);
        }
        if (total != KEYS * INITIAL) {
                snprintf(why, n, "bank total %llu", (unsigned long long)total);
                return -1;
        }
        for (int s = 0; s < h->nshards; s++)
                for (int i = 1; i < h->nmembers[s]; i++)
                        if (bl_txs_digest(h->store[s][h->members[s][i]]) !=
                            bl_txs_digest(h->store[s][h->members[s][0]])) {
                                snprintf(why, n, "replicas of shard %d differ", s);
                                return -1;
                        }
        return 0;
}

/* One seed; returns the number of transactions reported committed. */
static int run_seed(int replicated, uint64_t seed, int *ok)
{
        struct run *run = calloc(1, sizeof(*run));
        int cc = seed % 4 == 0 ? BL_TXS_WAIT_DIE : BL_TXS_NO_WAIT, commits = 0;
        char why[256];

        run->h = cluster(replicated, cc, seed);
        for (int k = 0; k < KEYS; k++)
                run->keys[k] = h_key(run->h, k % 3, k / 3);
        run->h->drop_pm = 50;
        run->h->dup_pm = 20;
        run->h->max_delay = 3 * run->h->dt;
        for (int i = 0; i < FAULT_ROUNDS; i++) {
                maybe_begin(run);
                faults(run);
                h_round(run->h);
        }
        heal(run->h);
        h_rounds(run->h, SETTLE_ROUNDS);
        *ok = check(run, why, sizeof(why)) == 0;
        if (getenv("TPC_DEBUG")) {
                for (int r = 0; r < run->h->nranks; r++) {
                        struct bl_tpc_stats st;
                        bl_tpc_stats(run->h->tpc[r], &st);
                        printf("rank %d active %llu unacked %llu qsent %llu qans %llu\n", r,
                               (unsigned long long)st.active, (unsigned long long)st.unacked,
                               (unsigned long long)st.queries_sent,
                               (unsigned long long)st.queries_answered);
                }
                for (int i = 0; i < run->ntxns; i++) {
                        struct rtxn *x = &run->txns[i];
                        printf("txn %llu nops %u audit %d res %d:", (unsigned long long)x->id,
                               x->nops, x->audit_all, h_count_results(run->h, x->id));
                        for (int s = 0; s < run->h->nshards; s++)
                                for (int m = 0; m < run->h->nmembers[s]; m++)
                                        printf(" s%d/r%d=%d", s, run->h->members[s][m],
                                               h_state(run->h, s, run->h->members[s][m], x->id));
                        printf("\n");
                }
        }
        if (!*ok)
                printf("replay: BL_TPC_SEED=%llu (%s): %s\n", (unsigned long long)seed,
                       replicated ? "replicated" : "2pc/none", why);
        for (int i = 0; i < run->h->nres; i++)
                commits += run->h->res[i].outcome == BL_TPC_COMMITTED;
        h_free(run->h);
        free(run);
        return commits;
}

static void many(int replicated, int def)
{
        const char *one = getenv("BL_TPC_SEED");
        int n = nseeds(def), failed = 0;
        long commits = 0;

        if (one != NULL) {
                int ok;

                run_seed(replicated, strtoull(one, NULL, 10), &ok);
                assert_true(ok);
                return;
        }
        for (int s = 1; s <= n; s++) {
                int ok;

                commits += run_seed(replicated, (uint64_t)s, &ok);
                if (!ok && ++failed >= 3)
                        break;
        }
        printf("# %s: %d seeds, %ld commits reported, %d failed\n",
               replicated ? "replicated" : "2pc/none", n, commits, failed);
        assert_int_equal(failed, 0);
        assert_true(commits > n); /* the schedules let transactions through */
}

static void test_random_none(void **state)
{
        (void)state;
        many(0, 1000);
}

static void test_random_replicated(void **state)
{
        (void)state;
        many(1, 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_random_none),
            cmocka_unit_test(test_random_replicated),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
