/* Handlers for incoming messages, one file per message type (recv_*.c). */
#ifndef BL_KERNELS_RAFT_RECV_H
#define BL_KERNELS_RAFT_RECV_H

#include <stddef.h>

#include "kernels/raft/internal.h"

/*
 * Each handler decodes first and returns BL_EPROTO for a malformed message
 * before touching any state; otherwise it returns 0, including for messages
 * that are well-formed but stale or irrelevant (they are ignored, as the
 * paper's RPC semantics allow). `from` was checked by the caller.
 */
int bl_raft_recv_request_vote(struct bl_raft *r, int from, const void *buf, size_t len,
                              int prevote);
int bl_raft_recv_request_vote_result(struct bl_raft *r, int from, const void *buf, size_t len,
                                     int prevote);
int bl_raft_recv_append_entries(struct bl_raft *r, int from, const void *buf, size_t len);
int bl_raft_recv_append_entries_result(struct bl_raft *r, int from, const void *buf, size_t len);
int bl_raft_recv_install_snapshot(struct bl_raft *r, int from, const void *buf, size_t len);
int bl_raft_recv_install_snapshot_result(struct bl_raft *r, int from, const void *buf, size_t len);
int bl_raft_recv_timeout_now(struct bl_raft *r, int from, const void *buf, size_t len);

#endif
