/* Learners: the commit point, applying chosen slots in order, catching up, snapshots. */
#ifndef BL_KERNELS_PAXOS_LEARN_H
#define BL_KERNELS_PAXOS_LEARN_H

#include "kernels/paxos/internal.h"

/* Apply every chosen slot after `applied`, in slot order, then take a
 * snapshot when snapshot_entries more slots were applied. */
void bl_paxos_apply_chosen(struct bl_paxos *p);

/* Follower: move the commit point over slots we accepted in the leader's
 * ballot that the leader says are chosen. */
void bl_paxos_follower_commit(struct bl_paxos *p);

/* Follower: ask the leader (or `to` when >= 0) for chosen slots we miss,
 * at most once per heartbeat unless `now` is set. */
void bl_paxos_catchup_maybe(struct bl_paxos *p, int to, int now);

/* Store a chosen value in slot commit + 1 and advance the commit point.
 * Drops the tag a different value held. Returns 0 or BL_ENOMEM. */
int bl_paxos_learn_value(struct bl_paxos *p, uint8_t type, const void *buf, uint32_t len);

/* Replace the state machine with a snapshot covering slots up to index
 * (takes ownership of buf, allocated with bl_malloc). */
void bl_paxos_install_snapshot(struct bl_paxos *p, void *buf, size_t len, uint64_t index);

#endif
