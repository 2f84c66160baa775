/* Phase 1 and roles: timers, becoming a candidate, a leader, or a follower again. */
#ifndef BL_KERNELS_PAXOS_PHASE1_H
#define BL_KERNELS_PAXOS_PHASE1_H

#include "kernels/paxos/internal.h"

/* Arm the timer that starts phase 1 when the leader stays silent. */
void bl_paxos_reset_timer(struct bl_paxos *p);

/* Start phase 1 with a ballot above every ballot seen: first a probe, then
 * phase 1 proper once q1 acceptors would promise (force: leadership
 * transfer, no probe, and acceptors answer even while they hear a leader). */
void bl_paxos_phase1_start(struct bl_paxos *p, int force);

/* A probe answer "would promise" from `from`: start phase 1 proper when
 * q1 members would. */
void bl_paxos_probe_tally(struct bl_paxos *p, int from);

/* Our own promise may have become durable: send the prepares. */
void bl_paxos_phase1_durable(struct bl_paxos *p);

/* A promise from `from` for our ballot was merged: become leader when a
 * phase 1 quorum promised. */
void bl_paxos_phase1_tally(struct bl_paxos *p, int from);

/* Drop leadership or candidacy (if held) and follow `leader` (-1: unknown). */
void bl_paxos_become_follower(struct bl_paxos *p, int leader);

/* A ballot above ours was seen (a refusal, a prepare or accept we
 * answered): step down and back off before trying again. */
void bl_paxos_preempted(struct bl_paxos *p, uint64_t ballot, int leader);

#endif
