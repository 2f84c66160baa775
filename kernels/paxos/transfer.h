/* Leadership transfer, for the `transfer` fault. */
#ifndef BL_KERNELS_PAXOS_TRANSFER_H
#define BL_KERNELS_PAXOS_TRANSFER_H

#include "kernels/paxos/internal.h"

/* kernel->transfer. */
int bl_paxos_transfer(void *k, int member);

/* Send TimeoutNow once the target is up to date. */
void bl_paxos_transfer_progress(struct bl_paxos *p);

/* Give up a transfer that did not finish within an election timeout. */
void bl_paxos_transfer_tick(struct bl_paxos *p);

#endif
