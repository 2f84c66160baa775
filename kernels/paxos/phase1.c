/*
 * Phase 1 and leader election.
 *
 * From "Paxos Made Moderately Complex" (Section 3, the leader): "a leader
 * [...] spawns a scout [that] sends a p1a message with the ballot to all
 * acceptors and waits for a majority"; "a leader can run phase 1 once for
 * all slots"; and when preempted, "to avoid livelock, a leader [...] waits
 * for some time before trying again, in the hope that the other leader
 * finishes"; the wait is random and grows with each preemption.
 *
 * Phase 1 covers every slot from our first unchosen slot on (p1_from =
 * commit + 1). Each promise carries every value the acceptor accepted at or
 * after p1_from; we keep, per slot, the one with the highest ballot. With
 * flexible quorums (Howard et al., "Flexible Paxos") phase 1 needs q1 = n -
 * q2 + 1 promises, so that it meets every phase 2 quorum.
 *
 * From "Paxos Made Simple" (Section 3): the new leader re-proposes, for each
 * slot, the value of the highest-numbered proposal reported, and "the
 * leader [...] fills the gaps by proposing [...] a special no-op command",
 * before it serves new commands. Re-proposals go out at once, all of them,
 * so that what our own acceptor held is never dropped from memory before
 * its replacement is persisted.
 *
 * A member hears the leader through Accepts and heartbeats; when it stays
 * silent for a randomized timeout, the member starts phase 1 itself. An
 * acceptor that heard a leader within the base timeout refuses prepares
 * (without promising) unless they come from a leadership transfer.
 * Refusing is always safe; it only delays.
 *
 * Before phase 1 proper, a member probes (as Raft's Pre-Vote, dissertation
 * Section 9.6): it asks, with the ballot it would use, whether q1 acceptors
 * would promise it, and persists and sends the real prepare only then. A
 * member cut off from the others therefore never raises its own promise
 * while it is alone; when it comes back, it still accepts the current
 * leader's ballot instead of refusing it, which would preempt that leader.
 * A leadership transfer skips the probe.
 */
#include "kernels/paxos/phase1.h"

#include "common/wire.h"
#include "kernels/paxos/client.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"
#include "kernels/paxos/phase2.h"

#define MAX_BACKOFF_SHIFT 3

void bl_paxos_reset_timer(struct bl_paxos *p)
{
        int shift = p->backoff < MAX_BACKOFF_SHIFT ? p->backoff : MAX_BACKOFF_SHIFT;
        uint64_t spread = p->election_ns << shift;

        p->deadline_ns = bl_paxos_now(p) + p->election_ns + p->env.random(p->env.ctx) % spread;
}

/* Slots we proposed but never sent: nobody accepted them, drop them. */
static void drop_unsent(struct bl_paxos *p)
{
        uint64_t last = bl_paxos_log_last(&p->log);

        for (uint64_t s = p->next_send; s <= last && s > p->log.offset; s++) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl->tag != 0)
                        p->env.dropped(p->env.ctx, sl->tag);
                sl->tag = 0;
        }
        if (p->next_send > p->log.offset && p->next_send <= last)
                bl_paxos_log_truncate_from(&p->log, p->next_send);
}

void bl_paxos_become_follower(struct bl_paxos *p, int leader)
{
        int was = p->role;

        if (was == BL_PAXOS_LEADER) {
                p->env.event(p->env.ctx, BL_EV_STEP_DOWN, (int64_t)p->ballot, p->g.shard);
                drop_unsent(p);
                bl_paxos_reads_drop(p);
                p->transfer_to = -1;
                p->inflight = 0;
                p->inflight_front = 0;
        }
        if (was == BL_PAXOS_CANDIDATE)
                bl_paxos_log_free(&p->p1);
        p->probing = 0;
        p->role = BL_PAXOS_FOLLOWER;
        p->leader = leader;
        p->promises = 0;
        if (was != BL_PAXOS_FOLLOWER)
                bl_paxos_reset_timer(p);
}

void bl_paxos_preempted(struct bl_paxos *p, uint64_t ballot, int leader)
{
        if (ballot > p->seen)
                p->seen = ballot;
        if (p->role != BL_PAXOS_FOLLOWER) {
                p->backoff++;
                bl_paxos_become_follower(p, leader);
        }
}

static void send_prepares(struct bl_paxos *p)
{
        struct bl_paxos_prepare m = {
            .ballot = p->ballot, .from = p->p1_from, .force = (uint8_t)p->p1_force};
        uint8_t buf[32];
        size_t len = bl_paxos_encode_prepare(&m, buf, sizeof(buf));

        p->p1_sent = 1;
        for (int i = 0; i < p->g.nmembers; i++)
                if (i != p->g.self)
                        p->env.send(p->env.ctx, i, BL_PAXOS_MSG_PREPARE, buf, len);
        /* Our own promise is durable: it counts. */
        bl_paxos_phase1_tally(p, p->g.self);
}

/* A ballot above every ballot we promised or saw. */
static uint64_t next_ballot(const struct bl_paxos *p)
{
        uint64_t round = bl_paxos_round(p->promised);

        if (bl_paxos_round(p->seen) > round)
                round = bl_paxos_round(p->seen);
        return bl_paxos_ballot(round + 1, p->g.self);
}

/* Phase 1 proper: promise our own ballot durably, then prepare. */
static void prepare_start(struct bl_paxos *p, int force)
{
        uint64_t last;

        if (p->role != BL_PAXOS_FOLLOWER)
                bl_paxos_become_follower(p, -1);
        p->role = BL_PAXOS_CANDIDATE;
        p->leader = -1;
        p->ballot = next_ballot(p);
        p->promised = p->ballot;
        p->p1_seq = bl_paxos_persist_promise(p);
        p->p1_sent = 0;
        p->p1_force = force;
        p->p1_from = p->commit + 1;
        p->p1_stale = 0;
        p->promises = 0;
        bl_paxos_log_free(&p->p1);
        bl_paxos_log_init(&p->p1);
        p->p1.offset = p->commit;
        p->env.event(p->env.ctx, BL_EV_ELECTION, (int64_t)p->ballot, p->g.shard);
        bl_paxos_reset_timer(p);
        /* Our own acceptor's values are part of the merge. */
        last = bl_paxos_log_last(&p->log);
        for (uint64_t s = p->p1_from; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl != NULL && sl->ballot != 0 &&
                    bl_paxos_log_set(&p->p1, s, sl->ballot, sl->type, sl->buf, sl->len) != 0) {
                        bl_paxos_become_follower(p, -1);
                        return;
                }
        }
        bl_paxos_phase1_durable(p);
}

void bl_paxos_phase1_start(struct bl_paxos *p, int force)
{
        struct bl_paxos_prepare m = {.from = p->commit + 1, .probe = 1};
        uint8_t buf[32];
        size_t len;

        if (force || p->q1 == 1) {
                prepare_start(p, force);
                return;
        }
        if (p->role != BL_PAXOS_FOLLOWER)
                bl_paxos_become_follower(p, -1);
        p->role = BL_PAXOS_CANDIDATE;
        p->probing = 1;
        p->leader = -1;
        p->ballot = next_ballot(p);
        p->promises = UINT64_C(1) << p->g.self;
        bl_paxos_reset_timer(p);
        m.ballot = p->ballot;
        len = bl_paxos_encode_prepare(&m, buf, sizeof(buf));
        for (int i = 0; i < p->g.nmembers; i++)
                if (i != p->g.self)
                        p->env.send(p->env.ctx, i, BL_PAXOS_MSG_PREPARE, buf, len);
}

void bl_paxos_probe_tally(struct bl_paxos *p, int from)
{
        if (p->role != BL_PAXOS_CANDIDATE || !p->probing)
                return;
        p->promises |= UINT64_C(1) << from;
        if (bl_paxos_popcount(p->promises) >= p->q1)
                prepare_start(p, 0);
}

void bl_paxos_phase1_durable(struct bl_paxos *p)
{
        if (p->role == BL_PAXOS_CANDIDATE && !p->p1_sent && p->p1_seq != 0 &&
            p->durable_seq >= p->p1_seq)
                send_prepares(p);
}

/* Phase 1 is complete: re-propose, fill gaps with no-ops, start serving. */
static void become_leader(struct bl_paxos *p)
{
        uint64_t now = bl_paxos_now(p);
        uint64_t from = p->commit + 1, end = bl_paxos_log_last(&p->p1);

        p->role = BL_PAXOS_LEADER;
        p->leader = p->g.self;
        p->backoff = 0;
        p->leader_since_ns = now;
        p->last_commit_ns = now;
        p->transfer_to = -1;
        p->inflight = 0;
        p->inflight_front = 0;
        for (int i = 0; i < p->g.nmembers; i++)
                p->peers[i] = (struct bl_paxos_peer){.last_contact_ns = now};
        p->env.event(p->env.ctx, BL_EV_LEADER, (int64_t)p->ballot, p->g.shard);
        if (end < p->commit)
                end = p->commit;
        for (uint64_t s = from; s <= end; s++) {
                const struct bl_paxos_slot *v = bl_paxos_log_get(&p->p1, s);
                struct bl_paxos_slot *mine = bl_paxos_log_get(&p->log, s);
                uint8_t type = v != NULL && v->ballot != 0 ? v->type : BL_PAXOS_NOOP;
                const void *buf = v != NULL && v->ballot != 0 ? v->buf : NULL;
                uint32_t len = v != NULL && v->ballot != 0 ? v->len : 0;
                uint64_t tag = 0;

                if (mine != NULL && mine->tag != 0) {
                        if (bl_paxos_slot_same(mine, type, buf, len))
                                tag = mine->tag;
                        else
                                p->env.dropped(p->env.ctx, mine->tag);
                        mine->tag = 0;
                }
                if (bl_paxos_log_set(&p->log, s, p->ballot, type, buf, len) != 0) {
                        if (tag != 0)
                                p->env.dropped(p->env.ctx, tag);
                        end = s - 1;
                        break;
                }
                mine = bl_paxos_log_get(&p->log, s);
                mine->tag = tag;
                mine->born_ns = now;
        }
        bl_paxos_log_free(&p->p1);
        /* Holes after the last value anyone reported are not ours to fill. */
        bl_paxos_log_truncate_from(&p->log, end + 1);
        p->next_send = from;
        p->p1_end = end;
        bl_paxos_send_reproposals(p, end);
        bl_paxos_heartbeat(p);
        bl_paxos_commit_advance(p);
}

void bl_paxos_phase1_tally(struct bl_paxos *p, int from)
{
        if (p->role != BL_PAXOS_CANDIDATE || !p->p1_sent)
                return;
        p->promises |= UINT64_C(1) << from;
        if (bl_paxos_popcount(p->promises) < p->q1)
                return;
        if (p->p1_stale) {
                /* An acceptor compacted slots we never learned: their values
                 * are gone from the promises. Learn them first (catch-up is
                 * under way), then try again. */
                bl_paxos_become_follower(p, -1);
                return;
        }
        become_leader(p);
}
