/*
 * hwloc topology, pinning plans and bindings.
 *
 * At open we flatten what the policies need into arrays: the cores ("units":
 * Core objects, or PUs when there are none) in logical order, and the NUMA
 * domains (NUMA nodes holding cores, each core in the first that contains
 * it) with the units each
 * contains. Planning then is index arithmetic over these arrays, which is
 * why it is pure and cheap; only apply and describe_current touch the OS.
 */
#define _GNU_SOURCE
#include "topo/topo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>

#include "common/alloc.h"

struct bl_topo {
        hwloc_topology_t topo;
        int this_system;
        int npackages;
        int npus;
        int nunits;
        hwloc_obj_t *units; /* [nunits] cores (or PUs), logical order */
        int ndom;
        hwloc_obj_t *dom; /* [ndom] NUMA nodes that hold cores of their own */
        int *dom_nunits;  /* [ndom] */
        int **dom_units;  /* [ndom][dom_nunits[d]] unit indices, logical order */
        int *unit_dom;    /* [nunits] domain index, -1 if in none */
};

static const char *pinning_label(enum bl_pinning p)
{
        switch (p) {
        case BL_PIN_NONE:
                return "none";
        case BL_PIN_CORE:
                return "core";
        case BL_PIN_NUMA_SPREAD:
                return "numa-spread";
        case BL_PIN_NUMA_COMPACT:
                return "numa-compact";
        }
        return "?";
}

/* Copy the list form of set into buf, ending with "..." if it does not fit. */
static void set_to_list(hwloc_const_bitmap_t set, char *buf, size_t n)
{
        int len = hwloc_bitmap_list_snprintf(buf, n, set);

        if (len < 0) {
                snprintf(buf, n, "?");
                return;
        }
        if ((size_t)len >= n && n > 4)
                memcpy(buf + n - 4, "...", 4);
}

/* Append ",<v>" (or "<v>" first) to a list of increasing integers, folding
 * runs into ranges: the caller passes values in increasing order and calls
 * list_finish at the end. */
struct int_list {
        char *buf;
        size_t n;
        size_t len;
        int first, last; /* current run, first < 0 when empty */
        int truncated;
};

static void list_emit(struct int_list *l)
{
        char tmp[32];
        int k;

        if (l->first < 0)
                return;
        if (l->first == l->last)
                k = snprintf(tmp, sizeof(tmp), "%s%d", l->len ? "," : "", l->first);
        else
                k = snprintf(tmp, sizeof(tmp), "%s%d-%d", l->len ? "," : "", l->first, l->last);
        if (l->len + (size_t)k + 4 > l->n) {
                l->truncated = 1;
                return;
        }
        memcpy(l->buf + l->len, tmp, (size_t)k + 1);
        l->len += (size_t)k;
}

static void list_add(struct int_list *l, int v)
{
        if (l->truncated)
                return;
        if (l->first >= 0 && v == l->last + 1) {
                l->last = v;
                return;
        }
        list_emit(l);
        l->first = l->last = v;
}

static void list_finish(struct int_list *l)
{
        if (!l->truncated)
                list_emit(l);
        if (l->truncated)
                memcpy(l->buf + l->len, "...", 4);
}

static void list_init(struct int_list *l, char *buf, size_t n)
{
        *l = (struct int_list){.buf = buf, .n = n, .first = -1};
        buf[0] = '\0';
}

static void free_arrays(struct bl_topo *t)
{
        for (int d = 0; t->dom_units != NULL && d < t->ndom; d++)
                bl_free(t->dom_units[d]);
        bl_free(t->dom_units);
        bl_free(t->dom_nunits);
        bl_free(t->dom);
        bl_free(t->unit_dom);
        bl_free(t->units);
}

/* Fill the unit and domain arrays from the loaded topology. */
static int build_arrays(struct bl_topo *t, struct bl_errbuf *eb)
{
        hwloc_topology_t topo = t->topo;
        hwloc_obj_type_t utype = HWLOC_OBJ_CORE;
        int nnuma = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);

        t->npackages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
        t->npus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
        t->nunits = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
        if (t->nunits <= 0) {
                utype = HWLOC_OBJ_PU;
                t->nunits = t->npus;
        }
        if (t->npackages < 0)
                t->npackages = 0;
        if (t->nunits <= 0)
                return bl_errf(eb, BL_EIO, "topology: hwloc found no cores and no PUs");

        t->units = bl_calloc((size_t)t->nunits, sizeof(*t->units));
        t->unit_dom = bl_calloc((size_t)t->nunits, sizeof(*t->unit_dom));
        t->dom = bl_calloc((size_t)(nnuma > 0 ? nnuma : 1), sizeof(*t->dom));
        t->dom_nunits = bl_calloc((size_t)(nnuma > 0 ? nnuma : 1), sizeof(*t->dom_nunits));
        t->dom_units = bl_calloc((size_t)(nnuma > 0 ? nnuma : 1), sizeof(*t->dom_units));
        if (!t->units || !t->unit_dom || !t->dom || !t->dom_nunits || !t->dom_units)
                return bl_errf(eb, BL_ENOMEM, "topology: out of memory for %d cores", t->nunits);
        for (int u = 0; u < t->nunits; u++) {
                t->units[u] = hwloc_get_obj_by_type(topo, utype, (unsigned)u);
                t->unit_dom[u] = -1;
        }

        /* Domains: NUMA nodes with CPUs. A core belongs to the first node
         * whose cpuset holds it, so a node sharing an earlier node's cpuset
         * (high-bandwidth memory next to DRAM) gets no core and is dropped
         * below, as are nodes that hold no whole core. */
        t->ndom = 0;
        for (int i = 0; i < nnuma; i++) {
                hwloc_obj_t n = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
                if (n != NULL && n->cpuset != NULL && !hwloc_bitmap_iszero(n->cpuset))
                        t->dom[t->ndom++] = n;
        }
        for (int u = 0; u < t->nunits; u++)
                for (int d = 0; d < t->ndom && t->unit_dom[u] < 0; d++)
                        if (hwloc_bitmap_isincluded(t->units[u]->cpuset, t->dom[d]->cpuset))
                                t->unit_dom[u] = d;
        for (int d = 0; d < t->ndom; d++) {
                int k = 0;

                for (int u = 0; u < t->nunits; u++)
                        k += t->unit_dom[u] == d;
                t->dom_units[d] = bl_calloc((size_t)(k > 0 ? k : 1), sizeof(int));
                if (t->dom_units[d] == NULL)
                        return bl_errf(eb, BL_ENOMEM, "topology: out of memory");
                for (int u = 0; u < t->nunits; u++)
                        if (t->unit_dom[u] == d)
                                t->dom_units[d][t->dom_nunits[d]++] = u;
        }
        /* Drop domains without a core of their own. */
        int nd = 0;
        for (int d = 0; d < t->ndom; d++) {
                if (t->dom_nunits[d] == 0) {
                        bl_free(t->dom_units[d]);
                        continue;
                }
                for (int u = 0; u < t->nunits; u++)
                        if (t->unit_dom[u] == d)
                                t->unit_dom[u] = nd;
                t->dom[nd] = t->dom[d];
                t->dom_nunits[nd] = t->dom_nunits[d];
                t->dom_units[nd] = t->dom_units[d];
                nd++;
        }
        t->ndom = nd;
        return 0;
}

int bl_topo_open(struct bl_topo **tp, const char *synthetic, struct bl_errbuf *eb)
{
        struct bl_topo *t;
        int rc;

        *tp = NULL;
        t = bl_calloc(1, sizeof(*t));
        if (t == NULL)
                return bl_errf(eb, BL_ENOMEM, "topology: out of memory");
        if (hwloc_topology_init(&t->topo) != 0) {
                bl_free(t);
                return bl_errf(eb, BL_ENOMEM, "topology: hwloc_topology_init failed");
        }
        if (synthetic != NULL && hwloc_topology_set_synthetic(t->topo, synthetic) != 0) {
                rc = bl_errf(eb, BL_EINVAL,
                             "topology: invalid hwloc synthetic description \"%s\" (expected "
                             "e.g. \"pack:2 numa:2 core:4 pu:1\")",
                             synthetic);
                goto out_destroy;
        }
        if (hwloc_topology_load(t->topo) != 0) {
                rc = bl_errf(eb, BL_EIO, "topology: hwloc_topology_load failed: %s",
                             strerror(errno));
                goto out_destroy;
        }
        t->this_system = hwloc_topology_is_thissystem(t->topo);
        rc = build_arrays(t, eb);
        if (rc != 0)
                goto out_free_arrays;
        *tp = t;
        return 0;

out_free_arrays:
        free_arrays(t);
out_destroy:
        hwloc_topology_destroy(t->topo);
        bl_free(t);
        return rc;
}

void bl_topo_close(struct bl_topo *t)
{
        if (t == NULL)
                return;
        free_arrays(t);
        hwloc_topology_destroy(t->topo);
        bl_free(t);
}

struct bl_topo_counts bl_topo_counts(const struct bl_topo *t)
{
        return (struct bl_topo_counts){
            .packages = t->npackages,
            .numa_nodes = t->ndom > 0 ? t->ndom : 1,
            .cores = t->nunits,
            .pus = t->npus,
        };
}

int bl_topo_is_this_system(const struct bl_topo *t)
{
        return t->this_system;
}

void bl_topo_version(char *buf, size_t n)
{
        unsigned api = hwloc_get_api_version();

        if (n == 0)
                return;
#ifdef HWLOC_VERSION
        const char *v = HWLOC_VERSION;
#else
        const char *v = "2.x";
#endif
        if (api == HWLOC_API_VERSION)
                snprintf(buf, n, "%s", v);
        else
                snprintf(buf, n, "%s (runtime API 0x%x)", v, api);
}

/* Logical NUMA index of domain d, -1 when there is no domain. */
static int dom_numa_index(const struct bl_topo *t, int d)
{
        return d >= 0 && d < t->ndom ? (int)t->dom[d]->logical_index : -1;
}

static void plan_core(const struct bl_topo *t, int unit, struct bl_pin_plan *p)
{
        p->target = BL_PIN_TARGET_CORE;
        p->core = (int)t->units[unit]->logical_index;
        p->numa_node = dom_numa_index(t, t->unit_dom[unit]);
        set_to_list(t->units[unit]->cpuset, p->cpuset, sizeof(p->cpuset));
}

static void plan_numa(const struct bl_topo *t, int d, struct bl_pin_plan *p)
{
        p->target = BL_PIN_TARGET_NUMA;
        p->core = -1;
        p->numa_node = dom_numa_index(t, d);
        set_to_list(t->dom[d]->cpuset, p->cpuset, sizeof(p->cpuset));
}

/* Rank i of n on unit order[i % len]; note the sharing when n > len. */
static void plan_round_robin(const struct bl_topo *t, const int *order, int len, int i, int n,
                             struct bl_pin_plan *p)
{
        plan_core(t, order ? order[i % len] : i % len, p);
        if (n <= len)
                return;
        int shared = n - len < len ? n - len : len;
        p->honoured = 0;
        snprintf(p->note, sizeof(p->note),
                 "%s: %d ranks > %d core%s, bound round-robin, %d core%s shared",
                 pinning_label(p->policy), n, len, len == 1 ? "" : "s", shared,
                 shared == 1 ? "" : "s");
}

static void plan_numa_spread(const struct bl_topo *t, int i, int n, struct bl_pin_plan *p)
{
        int nd = t->ndom;
        int d = i % nd, k = i / nd;
        int on_d = (n - d + nd - 1) / nd; /* ranks of the node that land in domain d */

        if (on_d <= t->dom_nunits[d]) {
                plan_core(t, t->dom_units[d][k], p);
                return;
        }
        plan_numa(t, d, p);
        p->honoured = 0;
        snprintf(p->note, sizeof(p->note),
                 "numa-spread: %d ranks in NUMA node %d > %d cores there, bound to the whole "
                 "NUMA node (cores shared)",
                 on_d, p->numa_node, t->dom_nunits[d]);
}

static int plan_numa_compact(const struct bl_topo *t, int i, int n, struct bl_pin_plan *p,
                             struct bl_errbuf *eb)
{
        int len = 0;
        int *order = bl_malloc(sizeof(int) * (size_t)t->nunits);

        if (order == NULL)
                return bl_errf(eb, BL_ENOMEM, "pinning plan: out of memory");
        for (int d = 0; d < t->ndom; d++)
                for (int k = 0; k < t->dom_nunits[d]; k++)
                        order[len++] = t->dom_units[d][k];
        plan_round_robin(t, order, len, i, n, p);
        bl_free(order);
        return 0;
}

int bl_topo_plan(const struct bl_topo *t, enum bl_pinning policy, int local_rank, int local_size,
                 struct bl_pin_plan *out, struct bl_errbuf *eb)
{
        if (local_size < 1 || local_rank < 0 || local_rank >= local_size)
                return bl_errf(eb, BL_EINVAL,
                               "pinning plan: local rank %d of %d ranks on the node is out of "
                               "range",
                               local_rank, local_size);
        memset(out, 0, sizeof(*out));
        out->policy = policy;
        out->local_rank = local_rank;
        out->local_size = local_size;
        out->target = BL_PIN_TARGET_NONE;
        out->core = -1;
        out->numa_node = -1;
        out->honoured = 1;

        switch (policy) {
        case BL_PIN_NONE:
                return 0;
        case BL_PIN_CORE:
                plan_round_robin(t, NULL, t->nunits, local_rank, local_size, out);
                return 0;
        case BL_PIN_NUMA_SPREAD:
        case BL_PIN_NUMA_COMPACT:
                if (t->ndom == 0) { /* no usable NUMA information: one domain */
                        plan_round_robin(t, NULL, t->nunits, local_rank, local_size, out);
                        return 0;
                }
                if (policy == BL_PIN_NUMA_SPREAD) {
                        plan_numa_spread(t, local_rank, local_size, out);
                        return 0;
                }
                return plan_numa_compact(t, local_rank, local_size, out, eb);
        }
        return bl_errf(eb, BL_EINVAL, "pinning plan: unknown pinning policy %d", (int)policy);
}

/* The one object of type among those whose cpuset intersects set: its logical
 * index, or -1 when set touches several or none. Fills list (may be NULL)
 * with the logical indices of all of them. */
static int covering(const struct bl_topo *t, hwloc_const_bitmap_t set, int ndom_or_type,
                    hwloc_obj_type_t type, char *list, size_t n)
{
        struct int_list l;
        int found = -1, count = 0;
        int nobj = ndom_or_type >= 0 ? ndom_or_type : hwloc_get_nbobjs_by_type(t->topo, type);

        if (list != NULL)
                list_init(&l, list, n);
        for (int i = 0; i < nobj; i++) {
                hwloc_obj_t o = ndom_or_type >= 0
                                    ? t->dom[i]
                                    : hwloc_get_obj_by_type(t->topo, type, (unsigned)i);
                if (o == NULL || o->cpuset == NULL || !hwloc_bitmap_intersects(o->cpuset, set))
                        continue;
                count++;
                found = (int)o->logical_index;
                if (list != NULL)
                        list_add(&l, found);
        }
        if (list != NULL)
                list_finish(&l);
        return count == 1 ? found : -1;
}

static void describe_set(const struct bl_topo *t, hwloc_const_bitmap_t set,
                         struct bl_binding_info *out)
{
        struct int_list l;

        memset(out, 0, sizeof(*out));
        set_to_list(set, out->cpuset, sizeof(out->cpuset));
        list_init(&l, out->cores, sizeof(out->cores));
        for (int u = 0; u < t->nunits; u++)
                if (hwloc_bitmap_intersects(t->units[u]->cpuset, set))
                        list_add(&l, (int)t->units[u]->logical_index);
        list_finish(&l);
        out->numa_node =
            covering(t, set, t->ndom, HWLOC_OBJ_NUMANODE, out->numa_nodes, sizeof(out->numa_nodes));
        out->package = covering(t, set, -1, HWLOC_OBJ_PACKAGE, NULL, 0);
        if (gethostname(out->host, sizeof(out->host) - 1) != 0)
                snprintf(out->host, sizeof(out->host), "?");
        out->host[sizeof(out->host) - 1] = '\0';
        out->honoured = 1;
}

int bl_topo_describe_cpuset(const struct bl_topo *t, const char *cpuset,
                            struct bl_binding_info *out, struct bl_errbuf *eb)
{
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        int rc = 0;

        if (set == NULL)
                return bl_errf(eb, BL_ENOMEM, "describe cpuset: out of memory");
        if (cpuset == NULL || hwloc_bitmap_list_sscanf(set, cpuset) != 0 ||
            hwloc_bitmap_iszero(set) || hwloc_bitmap_weight(set) < 0)
                rc = bl_errf(eb, BL_EINVAL,
                             "describe cpuset: \"%s\" is not a non-empty finite PU list such "
                             "as \"0-3,8\"",
                             cpuset ? cpuset : "(null)");
        else
                describe_set(t, set, out);
        hwloc_bitmap_free(set);
        return rc;
}

/* Read the process binding into set. */
static int get_binding(struct bl_topo *t, hwloc_bitmap_t set, struct bl_errbuf *eb)
{
        if (!t->this_system)
                return bl_errf(eb, BL_EINVAL,
                               "binding: the topology is synthetic, not this machine's");
        if (hwloc_get_cpubind(t->topo, set, HWLOC_CPUBIND_PROCESS) != 0)
                return bl_errf(eb, BL_EIO, "binding: hwloc_get_cpubind failed: %s",
                               strerror(errno));
        return 0;
}

int bl_topo_describe_current(struct bl_topo *t, struct bl_binding_info *out, struct bl_errbuf *eb)
{
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        int rc;

        if (set == NULL)
                return bl_errf(eb, BL_ENOMEM, "binding: out of memory");
        rc = get_binding(t, set, eb);
        if (rc == 0)
                describe_set(t, set, out);
        hwloc_bitmap_free(set);
        return rc;
}

/* The object a plan targets, or NULL (with a message) if the plan does not
 * fit this topology. */
static hwloc_obj_t plan_object(const struct bl_topo *t, const struct bl_pin_plan *plan,
                               struct bl_errbuf *eb)
{
        if (plan->target == BL_PIN_TARGET_CORE) {
                for (int u = 0; u < t->nunits; u++)
                        if ((int)t->units[u]->logical_index == plan->core)
                                return t->units[u];
                bl_errf(eb, BL_EINVAL, "binding: plan names core %d, topology has %d cores",
                        plan->core, t->nunits);
                return NULL;
        }
        for (int d = 0; d < t->ndom; d++)
                if ((int)t->dom[d]->logical_index == plan->numa_node)
                        return t->dom[d];
        bl_errf(eb, BL_EINVAL, "binding: plan names NUMA node %d, not in this topology",
                plan->numa_node);
        return NULL;
}

int bl_topo_apply(struct bl_topo *t, const struct bl_pin_plan *plan, struct bl_binding_info *out,
                  struct bl_errbuf *eb)
{
        hwloc_obj_t obj = NULL;
        int rc, err;
        char want[BL_TOPO_SET_MAX];

        if (!t->this_system)
                return bl_errf(eb, BL_EINVAL,
                               "binding: the topology is synthetic, not this machine's");
        if (plan->target != BL_PIN_TARGET_NONE && (obj = plan_object(t, plan, eb)) == NULL)
                return BL_EINVAL;
        if (obj == NULL) {
                rc = bl_topo_describe_current(t, out, eb);
                if (rc == 0) {
                        out->honoured = plan->honoured;
                        snprintf(out->note, sizeof(out->note), "%s", plan->note);
                }
                return rc;
        }
        set_to_list(obj->cpuset, want, sizeof(want));
        rc = hwloc_set_cpubind(t->topo, obj->cpuset, HWLOC_CPUBIND_PROCESS);
        err = errno;
        if (rc != 0) {
                if (bl_topo_describe_current(t, out, NULL) != 0) {
                        memset(out, 0, sizeof(*out));
                        out->numa_node = out->package = -1;
                }
                out->honoured = 0;
                snprintf(out->note, sizeof(out->note),
                         "%s: binding to PUs %.90s refused (%.60s), left as found",
                         pinning_label(plan->policy), want, strerror(err));
                return bl_errf(eb, BL_EIO, "binding: hwloc_set_cpubind(%.200s) failed: %s", want,
                               strerror(err));
        }
        hwloc_bitmap_t got = hwloc_bitmap_alloc();
        if (got == NULL)
                return bl_errf(eb, BL_ENOMEM, "binding: out of memory");
        rc = get_binding(t, got, eb);
        if (rc == 0) {
                describe_set(t, got, out);
                out->honoured = plan->honoured;
                snprintf(out->note, sizeof(out->note), "%s", plan->note);
                if (!hwloc_bitmap_isequal(got, obj->cpuset)) {
                        out->honoured = 0;
                        snprintf(out->note, sizeof(out->note),
                                 "%s: asked for PUs %.90s, the OS gave %.90s",
                                 pinning_label(plan->policy), want, out->cpuset);
                }
        }
        hwloc_bitmap_free(got);
        return rc;
}
