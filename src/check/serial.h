/* Serializability checker for list-append transaction histories (after Jepsen's Elle). */
#ifndef BL_CHECK_SERIAL_H
#define BL_CHECK_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "check/txnhist.h"

/*
 * What it infers (Kingsbury & Alvaro, "Elle: Inferring Isolation Anomalies
 * from Experimental Observations", VLDB 2021; classes from Adya's thesis):
 *
 * - Version order of each key: the longest list read of it by a committed
 *   transaction. Every other read must be a prefix of it (else
 *   "incompatible-order"); values are unique, so each element names its writer.
 * - Dependency edges between transactions:
 *     ww  T1 appended the element just before T2's in a key's version order;
 *     wr  T2 read a list whose last element T1 appended;
 *     rw  T1 read a list of length m, T2 appended the element at m (T1 missed it);
 *     rt  T1 completed before T2 was invoked (real time, for strict
 *         serializability; intervals that touch are concurrent).
 *   A read after the transaction's own appends to the key must end with them
 *   ("internal"); it counts for wr and rw by the part before them.
 *   A committed append that no read observed has no place in the version
 *   order, but every committed read of its key that lacks it precedes its
 *   writer (rw): a read that misses a write completed long before is caught
 *   even when no later read shows the value.
 * - Non-cycle anomalies: "duplicate-elements" (a value twice in one read),
 *   "garbage-read" (a value nobody appended), "incompatible-order", "internal",
 *   G1a (a committed read saw a value of an aborted transaction), G1b (it saw
 *   a value that was not its writer's last append to the key).
 * - Cycles, searched weakest first: Tarjan's strongly connected components
 *   of the graph restricted to ww (G0), then ww+wr (G1c: needs a wr edge),
 *   ww+wr+rw (G2-item: needs an rw edge), then all edges including rt (a
 *   cycle that needs rt: G0-realtime, G1c-realtime or G2-item-realtime, named
 *   by its other edges). In each component with an edge of the level's new
 *   type, a breadth-first search gives the shortest cycle through that edge:
 *   one cycle per component is counted, the first is explained.
 *
 * Unknown outcomes are handled as Elle does: an unknown transaction whose
 * append was read committed, and joins the graph (with no outgoing rt edge,
 * since it never completed); one never observed constrains nothing. Failed
 * transactions stay out of the graph; reading their values is G1a.
 *
 * On random small histories, with or without final reads of every key, the
 * verdicts match a brute-force search over all serial orders (tests/unit/
 * test_serial.c compares them).
 *
 * A history whose appends repeat a (key, value) pair cannot be judged:
 * BL_EINVAL, with the pair in the reason.
 *
 * Cost: O(V + E + R log R + total elements read): hashing the appends,
 * sorting the reads by key, comparing each read with the longest one, four
 * linear SCC passes only when the full graph has a cycle. rt edges are the
 * transitive reduction of real-time order (each transaction links from the
 * "frontier" of completed, not yet superseded ones), about one per
 * concurrent client per transaction.
 */

enum bl_ser_anomaly {
        BL_SER_DUPLICATE = 0, /* "duplicate-elements" */
        BL_SER_GARBAGE,       /* "garbage-read" */
        BL_SER_INCOMPATIBLE,  /* "incompatible-order" */
        BL_SER_INTERNAL,      /* "internal" */
        BL_SER_G1A,
        BL_SER_G1B,
        BL_SER_G0,
        BL_SER_G1C,
        BL_SER_G2_ITEM,
        BL_SER_G0_RT, /* strict serializability only */
        BL_SER_G1C_RT,
        BL_SER_G2_ITEM_RT,
        BL_SER__COUNT
};

/* Dependency edge types (a bit mask). */
enum bl_ser_edge {
        BL_SER_WW = 1,
        BL_SER_WR = 2,
        BL_SER_RW = 4,
        BL_SER_RT = 8,
};

/* "G0", "G1a", "incompatible-order", ...; "?" for anything else. */
const char *bl_ser_anomaly_name(int a);
/* "ww", "wr", "rw", "rt"; "?" for a mask that is not one type. */
const char *bl_ser_edge_name(int type);

struct bl_ser_opts {
        double time_limit_s; /* whole check; <= 0 means no limit */
        int realtime;        /* 1: add rt edges, judge strict serializability too */
};

#define BL_SER_MAX_CYCLE 32

/*
 * serializable and strict: 1 shown, 0 an anomaly found, -1 unknown (the
 * check ran out of time or memory before finding any anomaly: inconclusive,
 * never a pass; or realtime was off, for strict). An anomaly found before
 * the budget ran out is still reported (0), with inconclusive set.
 */
struct bl_ser_result {
        int serializable;
        int strict;
        int inconclusive;
        uint32_t found;                   /* bit (1 << anomaly) for each class seen */
        uint64_t count[BL_SER__COUNT];    /* instances (cycles: components) per class */
        int cycle_class;                  /* class of the cycle below; -1 if none */
        size_t cycle_len;                 /* transactions in it (at most BL_SER_MAX_CYCLE kept) */
        uint64_t cycle[BL_SER_MAX_CYCLE]; /* ids: cycle[0] -> cycle[1] -> ... -> cycle[0] */
        uint8_t cycle_edge[BL_SER_MAX_CYCLE]; /* type mask of edge cycle[i] -> cycle[i+1] */
        char reason[4096]; /* summary, then the weakest anomaly and weakest cycle explained */
        uint64_t txns;     /* transactions in the graph */
        uint64_t edges;    /* edges in the graph, all types */
};

/* Defaults: no time limit, realtime on. */
void bl_ser_opts_default(struct bl_ser_opts *o);

/*
 * Check h and fill out. Returns 0 when the check ran (answers in out),
 * BL_EINVAL for NULL arguments or repeated appends (out says unknown and why),
 * BL_ENOMEM when memory ran out (out says unknown, inconclusive set). The
 * history is not modified. Reentrant (no global state).
 */
int bl_ser_check(const struct bl_txn_history *h, const struct bl_ser_opts *opts,
                 struct bl_ser_result *out);

#endif
