/* Time-driven work: election timeouts, heartbeats, batch flushes, quorum checks. */
#ifndef BL_KERNELS_RAFT_TICK_H
#define BL_KERNELS_RAFT_TICK_H

#include "kernels/raft/internal.h"

/* The vtable's tick(): everything that depends on env->now(). Cannot fail. */
void bl_raft_tick(struct bl_raft *r);

#endif
