/* Replica placement: which rank holds each member of each shard. */
#ifndef BL_TOPO_PLACEMENT_H
#define BL_TOPO_PLACEMENT_H

#include "common/err.h"
#include "config/config.h"

/*
 * Fill place[shard * replicas + member] with a rank in [0, nserver). The
 * members of one shard always land on distinct ranks. Placement is a pure
 * function of the configuration and nserver, so every rank computes the same
 * map without communication.
 *  - spread: member m of shard s on rank (s + m * stride) % nserver, with the
 *    stride chosen so a shard's members are as far apart in rank order as
 *    possible (ranks far apart are likelier on other nodes/NUMA domains
 *    under block rank placement), and shards' leaders (member 0) rotate
 *    over the ranks.
 *  - pack: members on consecutive ranks (s * replicas + m) % nserver, which
 *    keeps a group on as few nodes as possible.
 * Returns 0, or BL_ECONFIG when replicas > nserver.
 */
int bl_place_replicas(const struct bl_config *cfg, int nserver, int *place, struct bl_errbuf *eb);

/*
 * Topology-aware placement: the same map layout and guarantees (members of a
 * shard on distinct ranks; member 0 is the shard's initial leader), from
 * where each server rank runs:
 *   node_of_rank[r]  which node rank r is on: equal values = same node, any
 *                    int (a node index, a hostname hash); NULL: all one node.
 *   numa_of_rank[r]  NUMA domain index within its node, -1 unknown (all
 *                    unknown ranks of a node count as one domain); NULL: all
 *                    unknown.
 * Both arrays must be identical on every rank (allgathered), so every rank
 * computes the same map. Deterministic.
 *  - spread (fault independence): replicas per rank never differ by more
 *    than one. On a regular cluster (equal nodes, equal domains) every
 *    shard's members are as even as possible over nodes, then over NUMA
 *    domains: R replicas on N nodes use min(R, N) nodes, and no domain gets
 *    a second member before every domain has one. Irregular clusters get the
 *    same in proportion to node and domain sizes, best effort.
 *  - pack (latency): each shard within one NUMA domain when domains have R
 *    ranks, else within one node when nodes have R ranks, else on as few
 *    nodes as possible; within that on as few domains as possible, except
 *    that a shard takes one more domain rather than leave a rank far behind
 *    in load (unequal domains). Loads differ by at most one when the shards
 *    can fill the groups evenly (e.g. 16 shards of 3 on 4 domains of 4),
 *    else by two on regular clusters and at most four on the irregular ones
 *    of the tests.
 * Leaders (member 0): chosen among each shard's members so that ranks lead
 * floor(S/n) or ceil(S/n) shards whenever the member sets allow it.
 * Returns 0; BL_ECONFIG when replicas > nserver or nserver <= 0; BL_ENOMEM.
 * On error place is unspecified.
 */
int bl_place_replicas_topo(const struct bl_config *cfg, int nserver, const int *node_of_rank,
                           const int *numa_of_rank, int *place, struct bl_errbuf *eb);

#endif
