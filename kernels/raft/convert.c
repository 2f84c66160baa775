/*
 * Role changes. Each conversion resets exactly the volatile state its role
 * owns: candidates their vote tally, leaders their per-follower progress,
 * pending reads and any leadership transfer.
 */
#include "kernels/raft/convert.h"

#include "kernels/raft/client.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"
#include "kernels/raft/replication.h"

void bl_raft_reset_election_timer(struct bl_raft *r)
{
        /* From Section 5.2: "Raft uses randomized election timeouts to ensure
         * that split votes are rare [...] election timeouts are chosen
         * randomly from a fixed interval". */
        uint64_t jitter = r->env.random(r->env.ctx) % r->election_ns;

        r->election_deadline_ns = bl_raft_now(r) + r->election_ns + jitter;
}

/* A leader that steps down no longer answers for the proposals it accepted:
 * they may still commit under the next leader, but their clients must ask
 * again (the store's sessions make the retry idempotent). */
static void drop_proposals(struct bl_raft *r)
{
        for (uint64_t i = r->applied + 1; i <= bl_raft_log_last_index(&r->log); i++) {
                struct bl_raft_entry *e = bl_raft_log_get(&r->log, i);

                if (e != NULL && e->tag != 0) {
                        uint64_t tag = e->tag;

                        e->tag = 0;
                        r->env.dropped(r->env.ctx, tag);
                }
        }
}

void bl_raft_become_follower(struct bl_raft *r, int leader)
{
        int was = r->role;

        if (was == BL_RAFT_LEADER) {
                r->env.event(r->env.ctx, BL_EV_STEP_DOWN, (int64_t)r->term, r->g.shard);
                bl_raft_reads_drop(r, 1);
                drop_proposals(r);
                r->transfer_to = -1;
        }
        r->role = BL_RAFT_FOLLOWER;
        r->leader = leader;
        r->in_prevote = 0;
        r->votes = 0;
        if (was != BL_RAFT_FOLLOWER)
                bl_raft_reset_election_timer(r);
}

void bl_raft_become_leader(struct bl_raft *r)
{
        uint64_t now = bl_raft_now(r);

        r->role = BL_RAFT_LEADER;
        r->leader = r->g.self;
        r->in_prevote = 0;
        r->votes = 0;
        r->leader_since_ns = now;
        r->transfer_to = -1;
        bl_raft_progress_reset(r);
        r->env.event(r->env.ctx, BL_EV_LEADER, (int64_t)r->term, r->g.shard);
        /* From Section 6.4: "Raft handles this by having each leader commit a
         * blank no-op entry into the log at the start of its term." Without
         * it, entries of earlier terms could not be committed (Section
         * 5.4.2) until a client writes. */
        if (bl_raft_log_append(&r->log, r->term, BL_RAFT_ENTRY_NOOP, NULL, 0, 0) != 0) {
                bl_raft_become_follower(r, -1);
                return;
        }
        bl_raft_persist_entries(r, bl_raft_log_last_index(&r->log));
        /* From Figure 2, Rules for Servers, Leaders: "Upon election: send
         * initial empty AppendEntries RPCs (heartbeat) to each server". Ours
         * carry the no-op. */
        bl_raft_replicate_all(r, 1);
        bl_raft_commit_advance(r);
}

int bl_raft_observe_term(struct bl_raft *r, uint64_t term)
{
        if (term <= r->term)
                return 0;
        bl_raft_become_follower(r, -1); /* a step-down names the term it ends */
        r->term = term;
        r->voted_for = -1;
        bl_raft_persist_state(r);
        return 1;
}
