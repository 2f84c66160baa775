/* Unit tests for replica placement (src/topo/placement.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "config/config.h"
#include "topo/placement.h"

#define MAX_RANKS  64
#define MAX_SHARDS 64
#define MAX_REPS   15

/* A cluster model: nodes x NUMA domains x ranks per domain, ranks in block
 * order (rank r on node r / (numa * per), domain (r / per) % numa). */
struct model {
        int n;
        int node[MAX_RANKS];
        int numa[MAX_RANKS];
};

static struct model make_model(int nodes, int numa, int per)
{
        struct model m = {.n = nodes * numa * per};

        assert_true(m.n <= MAX_RANKS);
        for (int r = 0; r < m.n; r++) {
                m.node[r] = r / (numa * per);
                m.numa[r] = (r / per) % numa;
        }
        return m;
}

static struct bl_config config(int shards, int replicas, enum bl_placement pl)
{
        struct bl_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        cfg.cluster.shards = shards;
        cfg.cluster.replicas = replicas;
        cfg.cluster.placement = pl;
        return cfg;
}

static void place_topo(const struct model *m, int shards, int replicas, enum bl_placement pl,
                       int *place)
{
        struct bl_config cfg = config(shards, replicas, pl);
        struct bl_errbuf eb = {{0}};
        int rc = bl_place_replicas_topo(&cfg, m->n, m->node, m->numa, place, &eb);

        if (rc != 0)
                fail_msg("placement of %d x %d on %d ranks: %d %s", shards, replicas, m->n, rc,
                         eb.msg);
}

/* Every member a valid rank, members of a shard pairwise distinct. */
static void assert_members_distinct(const int *place, int shards, int replicas, int n)
{
        for (int s = 0; s < shards; s++) {
                for (int a = 0; a < replicas; a++) {
                        int r = place[s * replicas + a];
                        if (r < 0 || r >= n)
                                fail_msg("shard %d member %d on rank %d of %d", s, a, r, n);
                        for (int b = 0; b < a; b++)
                                if (place[s * replicas + b] == r)
                                        fail_msg("shard %d: members %d and %d both on rank %d", s,
                                                 b, a, r);
                }
        }
}

/* max - min over ranks of the replicas hosted (leaders: member 0 only). */
static int spread_of(const int *place, int shards, int replicas, int n, int leaders_only)
{
        int count[MAX_RANKS] = {0}, lo = 1 << 30, hi = 0;

        for (int s = 0; s < shards; s++)
                for (int m = 0; m < (leaders_only ? 1 : replicas); m++)
                        count[place[s * replicas + m]]++;
        for (int r = 0; r < n; r++) {
                lo = count[r] < lo ? count[r] : lo;
                hi = count[r] > hi ? count[r] : hi;
        }
        return hi - lo;
}

static void assert_replicas_balanced(const int *place, int shards, int replicas, int n, int tol)
{
        int d = spread_of(place, shards, replicas, n, 0);

        if (d > tol)
                fail_msg("%d shards x %d replicas on %d ranks: replicas per rank differ by %d > %d",
                         shards, replicas, n, d, tol);
}

static void assert_leaders_balanced(const int *place, int shards, int replicas, int n)
{
        int d = spread_of(place, shards, replicas, n, 1);

        if (d > 1)
                fail_msg("%d shards x %d replicas on %d ranks: leaders per rank differ by %d",
                         shards, replicas, n, d);
}

/* Per shard: how many distinct nodes and domains, and how unevenly its
 * members fill them (max - min count over all nodes / all domains). */
struct shard_spread {
        int nodes, doms, node_skew, dom_skew;
};

static struct shard_spread shard_spread(const struct model *m, const int *members, int replicas,
                                        int nnode, int ndom_per_node)
{
        int nc[MAX_RANKS] = {0}, dc[MAX_RANKS] = {0};
        struct shard_spread x = {0, 0, 0, 0};
        int nlo = 1 << 30, nhi = 0, dlo = 1 << 30, dhi = 0;

        for (int i = 0; i < replicas; i++) {
                int r = members[i];
                nc[m->node[r]]++;
                dc[m->node[r] * ndom_per_node + m->numa[r]]++;
        }
        for (int v = 0; v < nnode; v++) {
                x.nodes += nc[v] > 0;
                nlo = nc[v] < nlo ? nc[v] : nlo;
                nhi = nc[v] > nhi ? nc[v] : nhi;
        }
        for (int d = 0; d < nnode * ndom_per_node; d++) {
                x.doms += dc[d] > 0;
                dlo = dc[d] < dlo ? dc[d] : dlo;
                dhi = dc[d] > dhi ? dc[d] : dhi;
        }
        x.node_skew = nhi - nlo;
        x.dom_skew = dhi - dlo;
        return x;
}

/* The 2 nodes x 2 NUMA x 4 ranks model, 3 replicas: every shard on both
 * nodes and on three distinct NUMA domains. */
static void test_spread_3_replicas(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4);
        int place[MAX_SHARDS * MAX_REPS];

        for (int shards = 1; shards <= 40; shards++) {
                place_topo(&m, shards, 3, BL_PLACE_SPREAD, place);
                assert_members_distinct(place, shards, 3, m.n);
                for (int s = 0; s < shards; s++) {
                        struct shard_spread x = shard_spread(&m, &place[s * 3], 3, 2, 2);
                        if (x.nodes != 2 || x.doms != 3)
                                fail_msg("%d shards: shard %d on %d nodes, %d NUMA domains", shards,
                                         s, x.nodes, x.doms);
                }
                assert_replicas_balanced(place, shards, 3, m.n, 1);
                assert_leaders_balanced(place, shards, 3, m.n);
        }
}

/* 5 and 9 replicas on 4 domains: members as even as possible over nodes
 * (3+2, 5+4) and domains (2,1,1,1 and 3,2,2,2). */
static void test_spread_5_and_9_replicas(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4);
        int place[MAX_SHARDS * MAX_REPS];
        int reps[] = {5, 9};

        for (int k = 0; k < 2; k++) {
                int R = reps[k];
                for (int shards = 1; shards <= 40; shards++) {
                        place_topo(&m, shards, R, BL_PLACE_SPREAD, place);
                        assert_members_distinct(place, shards, R, m.n);
                        for (int s = 0; s < shards; s++) {
                                struct shard_spread x = shard_spread(&m, &place[s * R], R, 2, 2);
                                if (x.nodes != 2 || x.doms != 4 || x.node_skew > 1 ||
                                    x.dom_skew > 1)
                                        fail_msg("R=%d, %d shards: shard %d on %d nodes (skew %d), "
                                                 "%d domains (skew %d)",
                                                 R, shards, s, x.nodes, x.node_skew, x.doms,
                                                 x.dom_skew);
                        }
                        assert_replicas_balanced(place, shards, R, m.n, 1);
                        assert_leaders_balanced(place, shards, R, m.n);
                }
        }
}

/* Other symmetric shapes: for every replica count and shard count, members
 * spread over nodes and domains as evenly as possible, loads and leaders
 * within one. */
static void test_spread_shapes(void **state)
{
        (void)state;
        int shapes[][3] = {{1, 2, 4}, {4, 2, 2}, {3, 2, 3}, {2, 1, 8},
                           {2, 4, 2}, {8, 2, 4}, {3, 1, 5}};
        int place[MAX_SHARDS * MAX_REPS];

        for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
                struct model m = make_model(shapes[i][0], shapes[i][1], shapes[i][2]);
                for (int R = 1; R <= 9 && R <= m.n; R++) {
                        for (int shards = 1; shards <= 40; shards++) {
                                place_topo(&m, shards, R, BL_PLACE_SPREAD, place);
                                assert_members_distinct(place, shards, R, m.n);
                                for (int s = 0; s < shards; s++) {
                                        struct shard_spread x = shard_spread(
                                            &m, &place[s * R], R, shapes[i][0], shapes[i][1]);
                                        int want_nodes = R < shapes[i][0] ? R : shapes[i][0];
                                        if (x.nodes != want_nodes || x.node_skew > 1 ||
                                            x.dom_skew > 1)
                                                fail_msg("shape %dx%dx%d R=%d S=%d shard %d: %d "
                                                         "nodes, skews %d/%d",
                                                         shapes[i][0], shapes[i][1], shapes[i][2],
                                                         R, shards, s, x.nodes, x.node_skew,
                                                         x.dom_skew);
                                }
                                assert_replicas_balanced(place, shards, R, m.n, 1);
                                assert_leaders_balanced(place, shards, R, m.n);
                        }
                }
        }
}

/* pack, 3 replicas: each shard within one NUMA domain. */
static void test_pack_3_replicas(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4);
        int place[MAX_SHARDS * MAX_REPS];

        for (int shards = 1; shards <= 40; shards++) {
                place_topo(&m, shards, 3, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, 3, m.n);
                for (int s = 0; s < shards; s++) {
                        struct shard_spread x = shard_spread(&m, &place[s * 3], 3, 2, 2);
                        if (x.doms != 1)
                                fail_msg("%d shards: shard %d on %d NUMA domains", shards, s,
                                         x.doms);
                }
                /* within one when the shards fill the four domains evenly */
                assert_replicas_balanced(place, shards, 3, m.n, shards % 4 == 0 ? 1 : 2);
                assert_leaders_balanced(place, shards, 3, m.n);
        }
}

/* pack, 5 replicas (more than a domain, fewer than a node): one node, two
 * domains; 9 replicas (more than a node): two nodes. */
static void test_pack_5_and_9_replicas(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4);
        int place[MAX_SHARDS * MAX_REPS];

        for (int shards = 1; shards <= 40; shards++) {
                place_topo(&m, shards, 5, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, 5, m.n);
                for (int s = 0; s < shards; s++) {
                        struct shard_spread x = shard_spread(&m, &place[s * 5], 5, 2, 2);
                        if (x.nodes != 1 || x.doms != 2)
                                fail_msg("R=5, %d shards: shard %d on %d nodes, %d domains", shards,
                                         s, x.nodes, x.doms);
                }
                assert_replicas_balanced(place, shards, 5, m.n, shards % 2 == 0 ? 1 : 2);
                assert_leaders_balanced(place, shards, 5, m.n);

                place_topo(&m, shards, 9, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, 9, m.n);
                for (int s = 0; s < shards; s++) {
                        struct shard_spread x = shard_spread(&m, &place[s * 9], 9, 2, 2);
                        if (x.nodes != 2 || x.doms > 4)
                                fail_msg("R=9, %d shards: shard %d on %d nodes", shards, s,
                                         x.nodes);
                }
                assert_replicas_balanced(place, shards, 9, m.n, 2);
                assert_leaders_balanced(place, shards, 9, m.n);
        }
}

/* Domains of 2 ranks, 3 replicas: a shard cannot fit in one domain, so it
 * stays on one node, in two domains (not three), whether ranks are numbered
 * domain by domain or round-robin over domains (mpirun --map-by numa). */
static void test_pack_small_domains(void **state)
{
        (void)state;
        struct model m = make_model(2, 4, 2);
        int place[MAX_SHARDS * MAX_REPS];

        for (int k = 0; k < 2 * 40; k++) {
                int shards = 1 + k % 40;
                if (k == 40) /* ranks dealt round-robin over a node's domains */
                        for (int r = 0; r < m.n; r++)
                                m.numa[r] = r % 4;
                place_topo(&m, shards, 3, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, 3, m.n);
                for (int s = 0; s < shards; s++) {
                        struct shard_spread x = shard_spread(&m, &place[s * 3], 3, 2, 4);
                        if (x.nodes != 1 || x.doms != 2)
                                fail_msg("%d shards: shard %d on %d nodes, %d NUMA domains", shards,
                                         s, x.nodes, x.doms);
                }
                assert_replicas_balanced(place, shards, 3, m.n, shards % 2 == 0 ? 1 : 2);
                assert_leaders_balanced(place, shards, 3, m.n);
        }
}

/* Nodes of 4, 6 and 3 ranks, 6 replicas: the 6-rank node holds shards alone,
 * the two others together; a lone rank in its own NUMA domain on the 3-rank
 * node must not be left out for good (it once was, with 0 replicas while the
 * others had 54). */
static void test_pack_no_starved_rank(void **state)
{
        (void)state;
        struct model m = {.n = 13,
                          .node = {1, 0, 1, 1, 2, 1, 2, 0, 1, 1, 2, 0, 0},
                          .numa = {1, -1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1}};
        int place[61 * 6];

        place_topo(&m, 61, 6, BL_PLACE_PACK, place);
        assert_members_distinct(place, 61, 6, m.n);
        assert_replicas_balanced(place, 61, 6, m.n, 1);
        for (int s = 0; s < 61; s++) { /* node 1 alone, or nodes 0 and 2 */
                int on1 = 0;
                for (int i = 0; i < 6; i++)
                        on1 += m.node[place[s * 6 + i]] == 1;
                if (on1 != 0 && on1 != 6)
                        fail_msg("shard %d mixes node 1 with others", s);
        }
}

/* A pack group spanning three nodes (3 nodes of 3 ranks, 5 replicas; of 5
 * ranks, 7 replicas; of 2 domains of 2 ranks, 7 replicas): every shard on
 * two nodes, never three. */
static void test_pack_fewest_nodes(void **state)
{
        (void)state;
        int shapes[][3] = {{1, 3, 5}, {1, 5, 7}, {2, 2, 7}}; /* numa, per, R */
        int place[MAX_SHARDS * MAX_REPS];

        for (int i = 0; i < 3; i++) {
                struct model m = make_model(3, shapes[i][0], shapes[i][1]);
                int R = shapes[i][2];
                for (int shards = 1; shards <= 40; shards++) {
                        place_topo(&m, shards, R, BL_PLACE_PACK, place);
                        assert_members_distinct(place, shards, R, m.n);
                        for (int s = 0; s < shards; s++) {
                                int n = shard_spread(&m, &place[s * R], R, 3, shapes[i][0]).nodes;
                                if (n != 2)
                                        fail_msg("R=%d, %d shards: shard %d on %d nodes", R, shards,
                                                 s, n);
                        }
                        assert_replicas_balanced(place, shards, R, m.n, 2);
                }
        }
}

/* Unequal NUMA domains on one node (3, 2 and 1 ranks), 4 replicas. Two
 * domains always suffice, but shards on {0, 1} or {0, 2} overload domain 0,
 * so some shards take all three to keep loads within two; most still use
 * two. */
static void test_pack_unequal_domains(void **state)
{
        (void)state;
        struct model m = {.n = 6, .node = {0}, .numa = {0, 0, 0, 1, 1, 2}};
        int place[MAX_SHARDS * MAX_REPS];

        for (int shards = 1; shards <= 40; shards++) {
                int two = 0;
                place_topo(&m, shards, 4, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, 4, m.n);
                for (int s = 0; s < shards; s++)
                        two += shard_spread(&m, &place[s * 4], 4, 1, 3).doms == 2;
                if (2 * two < shards)
                        fail_msg("%d shards: only %d on two domains", shards, two);
                assert_replicas_balanced(place, shards, 4, m.n, 2);
        }
}

/* spread keeps shards apart, pack keeps them together: on the same model
 * the two give opposite answers. */
static void test_spread_vs_pack(void **state)
{
        (void)state;
        struct model m = make_model(4, 1, 4);
        int sp[MAX_SHARDS * MAX_REPS], pk[MAX_SHARDS * MAX_REPS];

        place_topo(&m, 8, 3, BL_PLACE_SPREAD, sp);
        place_topo(&m, 8, 3, BL_PLACE_PACK, pk);
        for (int s = 0; s < 8; s++) {
                assert_int_equal(shard_spread(&m, &sp[s * 3], 3, 4, 1).nodes, 3);
                assert_int_equal(shard_spread(&m, &pk[s * 3], 3, 4, 1).nodes, 1);
        }
}

/* Node ids are labels: any values (hostname hashes, negative numbers) give
 * the same map as dense indices; NUMA -1 means unknown. */
static void test_node_labels(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4), h = m;
        int a[MAX_SHARDS * MAX_REPS], b[MAX_SHARDS * MAX_REPS];

        for (int r = 0; r < m.n; r++)
                h.node[r] = m.node[r] ? -123456789 : 987654321;
        for (int pl = 0; pl < 2; pl++) {
                place_topo(&m, 16, 3, (enum bl_placement)pl, a);
                place_topo(&h, 16, 3, (enum bl_placement)pl, b);
                assert_memory_equal(a, b, sizeof(int) * 16 * 3);
        }
        /* unknown NUMA everywhere: spread still alternates nodes */
        for (int r = 0; r < m.n; r++)
                h.numa[r] = -1;
        place_topo(&h, 16, 2, BL_PLACE_SPREAD, a);
        for (int s = 0; s < 16; s++)
                assert_int_not_equal(m.node[a[s * 2]], m.node[a[s * 2 + 1]]);
}

/* Same inputs, same map (every rank computes it independently). */
static void test_deterministic(void **state)
{
        (void)state;
        struct model m = make_model(3, 2, 3);
        int a[MAX_SHARDS * MAX_REPS], b[MAX_SHARDS * MAX_REPS];

        for (int pl = 0; pl < 2; pl++) {
                place_topo(&m, 37, 5, (enum bl_placement)pl, a);
                place_topo(&m, 37, 5, (enum bl_placement)pl, b);
                assert_memory_equal(a, b, sizeof(int) * 37 * 5);
        }
}

/* Lopsided clusters from a seeded generator: whatever the shape, members are
 * distinct, spread keeps loads and leaders within one, pack within a few. */
static void test_irregular_topologies(void **state)
{
        (void)state;
        uint64_t x = 0x9e3779b97f4a7c15ull;
        int place[MAX_SHARDS * MAX_REPS];

        for (int iter = 0; iter < 300; iter++) {
                struct model m;
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                m.n = 1 + (int)(x % 40);
                for (int r = 0; r < m.n; r++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        m.node[r] = (int)(x % 4);
                        m.numa[r] = (int)((x >> 8) % 3) - 1; /* -1 (unknown), 0, 1 */
                }
                int R = 1 + (int)((x >> 16) % (uint64_t)(m.n < MAX_REPS ? m.n : MAX_REPS));
                int shards = 1 + (int)((x >> 24) % MAX_SHARDS);
                place_topo(&m, shards, R, BL_PLACE_SPREAD, place);
                assert_members_distinct(place, shards, R, m.n);
                assert_replicas_balanced(place, shards, R, m.n, 1);
                assert_leaders_balanced(place, shards, R, m.n);
                /* pack trades balance for locality, but boundedly */
                place_topo(&m, shards, R, BL_PLACE_PACK, place);
                assert_members_distinct(place, shards, R, m.n);
                assert_replicas_balanced(place, shards, R, m.n, 4);
                if (spread_of(place, shards, R, m.n, 1) > 2)
                        fail_msg("pack: leaders differ by more than 2");
        }
}

static void test_too_many_replicas(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 2);
        struct bl_config cfg = config(4, 9, BL_PLACE_SPREAD);
        struct bl_errbuf eb = {{0}};
        int place[64];

        assert_int_equal(bl_place_replicas_topo(&cfg, m.n, m.node, m.numa, place, &eb), BL_ECONFIG);
        assert_non_null(strstr(eb.msg, "9 replicas"));
        assert_non_null(strstr(eb.msg, "have 8"));
        memset(&eb, 0, sizeof(eb));
        assert_int_equal(bl_place_replicas(&cfg, m.n, place, &eb), BL_ECONFIG);
        assert_non_null(strstr(eb.msg, "have 8"));
        assert_int_equal(bl_place_replicas_topo(&cfg, 0, NULL, NULL, place, &eb), BL_ECONFIG);
        cfg.cluster.replicas = 8; /* exactly the rank count is fine */
        assert_int_equal(bl_place_replicas_topo(&cfg, m.n, m.node, m.numa, place, &eb), 0);
        assert_members_distinct(place, 4, 8, m.n);
}

/* No topology (NULL arrays): one node; still distinct and balanced. */
static void test_no_topology(void **state)
{
        (void)state;
        int place[MAX_SHARDS * MAX_REPS];
        struct bl_errbuf eb = {{0}};

        for (int n = 1; n <= 12; n++) {
                for (int R = 1; R <= n && R <= 5; R++) {
                        for (int pl = 0; pl < 2; pl++) {
                                struct bl_config cfg = config(13, R, (enum bl_placement)pl);
                                assert_int_equal(
                                    bl_place_replicas_topo(&cfg, n, NULL, NULL, place, &eb), 0);
                                assert_members_distinct(place, 13, R, n);
                                assert_replicas_balanced(place, 13, R, n, 1);
                                assert_leaders_balanced(place, 13, R, n);
                        }
                }
        }
}

/* The rank-order function keeps its meaning. */
static void test_rank_order_unchanged(void **state)
{
        (void)state;
        int place[MAX_SHARDS * MAX_REPS];
        struct bl_errbuf eb = {{0}};
        struct bl_config cfg = config(2, 3, BL_PLACE_PACK);

        assert_int_equal(bl_place_replicas(&cfg, 5, place, &eb), 0);
        int pack_want[] = {0, 1, 2, 3, 4, 0};
        assert_memory_equal(place, pack_want, sizeof(pack_want));

        cfg = config(2, 3, BL_PLACE_SPREAD);
        assert_int_equal(bl_place_replicas(&cfg, 6, place, &eb), 0);
        int spread_want[] = {0, 2, 4, 1, 3, 5};
        assert_memory_equal(place, spread_want, sizeof(spread_want));

        for (int n = 1; n <= 16; n++)
                for (int R = 1; R <= n && R <= MAX_REPS; R++)
                        for (int pl = 0; pl < 2; pl++) {
                                cfg = config(MAX_SHARDS, R, (enum bl_placement)pl);
                                assert_int_equal(bl_place_replicas(&cfg, n, place, &eb), 0);
                                assert_members_distinct(place, MAX_SHARDS, R, n);
                        }
}

/* Every allocation failure is reported as BL_ENOMEM, never a crash or a leak. */
static void test_oom(void **state)
{
        (void)state;
        struct model m = make_model(2, 2, 4);
        int place[MAX_SHARDS * MAX_REPS], failed = 0;

        for (int pl = 0; pl < 2; pl++) {
                for (long k = 1; k < 64; k++) {
                        struct bl_config cfg = config(16, 3, (enum bl_placement)pl);
                        struct bl_errbuf eb = {{0}};
                        bl_alloc_fail_after(k);
                        int rc = bl_place_replicas_topo(&cfg, m.n, m.node, m.numa, place, &eb);
                        bl_alloc_fail_after(0);
                        if (rc != 0) {
                                assert_int_equal(rc, BL_ENOMEM);
                                assert_non_null(strstr(eb.msg, "out of memory"));
                                failed++;
                        }
                }
        }
        assert_true(failed > 10);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_spread_3_replicas),
            cmocka_unit_test(test_spread_5_and_9_replicas),
            cmocka_unit_test(test_spread_shapes),
            cmocka_unit_test(test_pack_3_replicas),
            cmocka_unit_test(test_pack_5_and_9_replicas),
            cmocka_unit_test(test_pack_small_domains),
            cmocka_unit_test(test_pack_no_starved_rank),
            cmocka_unit_test(test_pack_fewest_nodes),
            cmocka_unit_test(test_pack_unequal_domains),
            cmocka_unit_test(test_spread_vs_pack),
            cmocka_unit_test(test_node_labels),
            cmocka_unit_test(test_deterministic),
            cmocka_unit_test(test_irregular_topologies),
            cmocka_unit_test(test_too_many_replicas),
            cmocka_unit_test(test_no_topology),
            cmocka_unit_test(test_rank_order_unchanged),
            cmocka_unit_test(test_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
