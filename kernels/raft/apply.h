/* Applying committed entries to the state machine, in log order. */
#ifndef BL_KERNELS_RAFT_APPLY_H
#define BL_KERNELS_RAFT_APPLY_H

#include "kernels/raft/internal.h"

/* Apply committed entries in log order (Figure 2: "If commitIndex >
 * lastApplied: increment lastApplied, apply log[lastApplied] to state
 * machine"), then serve reads that became possible and compact the log when
 * due. A callback that re-enters the kernel (apply() submitting a command)
 * does not nest: the outer call finishes the work. Cannot fail. */
void bl_raft_apply_committed(struct bl_raft *r);

#endif
