/* Message handlers, one file each (recv_*.c). */
#ifndef BL_KERNELS_PAXOS_RECV_H
#define BL_KERNELS_PAXOS_RECV_H

#include <stddef.h>

#include "kernels/paxos/internal.h"

/* Each returns 0, or BL_EPROTO for a malformed message (then ignored). */
int bl_paxos_recv_prepare(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_promise(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_accept(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_accepted(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_catchup(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_learn(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_snapshot(struct bl_paxos *p, int from, const void *buf, size_t len);
int bl_paxos_recv_timeout_now(struct bl_paxos *p, int from, const void *buf, size_t len);

#endif
