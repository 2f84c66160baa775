/* Multi-Paxos replication kernel. */
#ifndef BL_KERNELS_PAXOS_PAXOS_H
#define BL_KERNELS_PAXOS_PAXOS_H

#include "kernels/kernel.h"

extern const struct bl_kernel bl_kernel_paxos;

#endif
