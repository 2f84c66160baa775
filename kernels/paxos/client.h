/* Client requests on the leader: proposals, and reads through slots or confirmed by a quorum. */
#ifndef BL_KERNELS_PAXOS_CLIENT_H
#define BL_KERNELS_PAXOS_CLIENT_H

#include "kernels/paxos/internal.h"

/* kernel->submit. */
int bl_paxos_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag);

/* Serve quorum reads whose round is confirmed and whose commit point is
 * applied; start a confirmation round when reads wait for one. */
void bl_paxos_reads_progress(struct bl_paxos *p);

/* Report every waiting read dropped (the leader stepped down). */
void bl_paxos_reads_drop(struct bl_paxos *p);

#endif
