/* Timers of the Paxos kernel. */
#ifndef BL_KERNELS_PAXOS_TICK_H
#define BL_KERNELS_PAXOS_TICK_H

#include "kernels/paxos/internal.h"

/* kernel->tick. */
void bl_paxos_tick(void *k);

#endif
