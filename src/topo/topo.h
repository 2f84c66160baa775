/* hwloc topology: counts, pinning plans for the four policies, binding and its description. */
#ifndef BL_TOPO_TOPO_H
#define BL_TOPO_TOPO_H

#include <stddef.h>

#include "common/err.h"
#include "config/config.h"

/*
 * A topology is this machine's (loaded by hwloc) or a synthetic one given as
 * an hwloc synthetic string ("pack:2 numa:2 core:4 pu:1"), so that planning
 * and description are testable anywhere. hwloc.h stays inside topo.c.
 *
 * Indices. Cores, NUMA nodes and packages are hwloc *logical* indices (L#
 * in lstopo: unique, dense, in topology order); cpuset strings are OS PU
 * numbers (P#, what taskset and /proc show), in list form "0-3,8".
 *
 * "Cores" are hwloc Core objects; on a machine where hwloc reports no cores
 * they are the PUs. "NUMA domains" are the NUMA nodes that have CPUs, one per
 * distinct cpuset (a CPU-less memory node, or a high-bandwidth node sharing
 * the cpuset of a DRAM node, is not a separate domain).
 *
 * Plan then apply: bl_topo_plan() is a pure function of the topology, the
 * policy and the rank's place among the ranks of its node; bl_topo_apply()
 * binds the process and reads back what was obtained.
 */

#define BL_TOPO_SET_MAX 1024 /* cpuset and core lists; longer lists end with "..." */
#define BL_TOPO_STR_MAX 256

struct bl_topo;

struct bl_topo_counts {
        int packages;   /* 0 when the topology has no package level */
        int numa_nodes; /* NUMA domains with CPUs (>= 1) */
        int cores;      /* cores, or PUs when hwloc reports no cores */
        int pus;
};

enum bl_pin_target {
        BL_PIN_TARGET_NONE, /* leave the binding as found */
        BL_PIN_TARGET_CORE, /* bind to every PU of one core */
        BL_PIN_TARGET_NUMA, /* bind to every PU of one NUMA domain */
};

struct bl_pin_plan {
        enum bl_pinning policy;
        int local_rank;
        int local_size;
        enum bl_pin_target target;
        int core;      /* logical core index when target is CORE, else -1 */
        int numa_node; /* logical NUMA index the target lies in, -1 if none/unknown */
        char cpuset[BL_TOPO_SET_MAX]; /* PUs of the target; "" for NONE */
        /* 1 when the policy's intent holds: every rank of the node gets a core
         * of its own (for "none": always). 0 when ranks had to share cores;
         * note then says how and why. */
        int honoured;
        char note[BL_TOPO_STR_MAX];
};

/* Where a process runs, as read back from the OS (or as described for a given
 * cpuset on a synthetic topology). */
struct bl_binding_info {
        char cpuset[BL_TOPO_SET_MAX];     /* OS PU numbers */
        char cores[BL_TOPO_SET_MAX];      /* logical indices of the cores it touches */
        char numa_nodes[BL_TOPO_STR_MAX]; /* logical indices of the NUMA domains it touches */
        int numa_node; /* the one NUMA domain it lies in; -1 if it spans several */
        int package;   /* the one package it lies in; -1 if several or no packages */
        char host[256];
        int honoured; /* copied from the plan, cleared when the OS gave something else */
        char note[BL_TOPO_STR_MAX]; /* fallback or failure explanation, "" if honoured */
};

/*
 * Load a topology: this machine's when synthetic is NULL, else the hwloc
 * synthetic description. On failure returns BL_EINVAL (bad synthetic string),
 * BL_EIO (hwloc could not load) or BL_ENOMEM with a message; *t is then NULL.
 */
int bl_topo_open(struct bl_topo **t, const char *synthetic, struct bl_errbuf *eb);

/* Release everything. t may be NULL. */
void bl_topo_close(struct bl_topo *t);

/* Object counts. Cannot fail. */
struct bl_topo_counts bl_topo_counts(const struct bl_topo *t);

/* 1 when the topology is this machine's (binding possible), 0 if synthetic. */
int bl_topo_is_this_system(const struct bl_topo *t);

/*
 * hwloc version for provenance, "2.9.0", with " (runtime API 0x...)" appended
 * when the library loaded at run time has another API than the headers.
 * Always NUL-terminates buf (n > 0). Cannot fail.
 */
void bl_topo_version(char *buf, size_t n);

/*
 * Plan the binding of the local_rank-th of local_size ranks of a node:
 *  - none: no binding.
 *  - core: local rank i on core i.
 *  - numa-spread: rank i in NUMA domain i % nnuma, on its own core there
 *    (the (i / nnuma)-th); if more ranks fall in a domain than it has cores,
 *    bound to the whole domain.
 *  - numa-compact: cores taken NUMA domain by NUMA domain, core by core:
 *    rank i on the i-th core of that order.
 * core and numa-compact with more ranks than cores bind round-robin over the
 * cores (rank i on core i % ncores) and say so in note, with honoured = 0.
 * Pure: never touches the machine. Returns 0, or BL_EINVAL (bad policy,
 * local_size < 1, local_rank outside [0, local_size)) with a message.
 */
int bl_topo_plan(const struct bl_topo *t, enum bl_pinning policy, int local_rank, int local_size,
                 struct bl_pin_plan *out, struct bl_errbuf *eb);

/*
 * Bind the calling process (all its threads) as planned, then read back the
 * binding actually in force and describe it in *out (always filled when the
 * topology is this machine's, even on failure). Target NONE only reads back.
 * Returns 0; BL_EINVAL on a synthetic topology or a plan from another
 * topology; BL_EIO when the OS refused the binding (out then describes the
 * unchanged binding, honoured = 0 and note says why): the caller may warn
 * and go on unbound.
 */
int bl_topo_apply(struct bl_topo *t, const struct bl_pin_plan *plan, struct bl_binding_info *out,
                  struct bl_errbuf *eb);

/* Describe the current binding of the calling process (honoured = 1, note
 * ""). Returns 0, or BL_EINVAL on a synthetic topology, BL_EIO when the
 * binding cannot be read, BL_ENOMEM. */
int bl_topo_describe_current(struct bl_topo *t, struct bl_binding_info *out, struct bl_errbuf *eb);

/* Describe a cpuset given in list form ("0-3,8") against the topology; works
 * on synthetic topologies. Returns 0, or BL_EINVAL for an unparsable or
 * empty list, BL_ENOMEM. */
int bl_topo_describe_cpuset(const struct bl_topo *t, const char *cpuset,
                            struct bl_binding_info *out, struct bl_errbuf *eb);

#endif
