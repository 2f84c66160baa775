/* Raft replication kernel: the vtable and the calls the runtime may make besides it. */
#ifndef BL_KERNELS_RAFT_RAFT_H
#define BL_KERNELS_RAFT_RAFT_H

#include "kernels/kernel.h"

/*
 * Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm", 2014) with the extensions of Ongaro's dissertation ("Consensus:
 * Bridging Theory and Practice", 2014): Pre-Vote (Section 9.6), ReadIndex
 * reads (Section 6.4), leadership transfer (Section 3.10), log compaction
 * with InstallSnapshot (Chapter 5), leader step-down without a quorum
 * (Section 6.2), batching and pipelining of AppendEntries (Section 10.2.1).
 * Membership is fixed: a group never changes its configuration.
 */

extern const struct bl_kernel bl_kernel_raft;

/*
 * Test-only copies of the kernel with one deliberate bug each (internal.h,
 * enum bl_raft_mutation), so tests can show that the simulator finds it.
 * Not in the registry: no configuration can select them.
 *   stale_acks:       a leader counts answers to requests of earlier terms as
 *                     ReadIndex acknowledgements and contact (issue 8).
 *   vote_unpersisted: a vote is granted without being persisted, so a crash
 *                     forgets it (issue 9).
 */
extern const struct bl_kernel bl_kernel_raft_mutant_stale_acks;
extern const struct bl_kernel bl_kernel_raft_mutant_vote_unpersisted;

/*
 * Leadership transfer (dissertation Section 3.10), also the vtable's
 * transfer(). Called on the leader k: it stops accepting client requests,
 * brings `member` up to date and sends it TimeoutNow, after which the member
 * starts an election at once (no Pre-Vote). member < 0
 * picks the most up-to-date follower. The transfer is abandoned after an
 * election timeout. Returns 0 when the transfer started, BL_ENOTLEADER when
 * k is not the leader, BL_EINVAL when member is out of range or k itself (or
 * the group has one member), BL_EBUSY when a transfer is already running.
 */
int bl_raft_transfer(void *k, int member);

#endif
