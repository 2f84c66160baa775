/*
 * AppendEntries, follower side (Figure 2, AppendEntries RPC, Receiver
 * implementation):
 *
 *   1. Reply false if term < currentTerm
 *   2. Reply false if log doesn't contain an entry at prevLogIndex whose
 *      term matches prevLogTerm
 *   3. If an existing entry conflicts with a new one (same index but
 *      different terms), delete the existing entry and all that follow it
 *   4. Append any new entries not already in the log
 *   5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
 *      index of last new entry)
 *
 * Entries are acknowledged once durable (persist.c): the reply goes out at
 * once when they are, otherwise from durable().
 *
 * A rejection carries the hint of Section 5.3: "when rejecting an
 * AppendEntries request, the follower can include the term of the
 * conflicting entry and the first index it stores for that term. With this
 * information, the leader can decrement nextIndex to bypass all of the
 * conflicting entries in that term".
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/apply.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"

static void reply(struct bl_raft *r, int to, const struct bl_raft_append_entries_result *res)
{
        uint8_t buf[64];
        size_t len = bl_raft_encode_append_entries_result(res, buf, sizeof(buf));

        r->env.send(r->env.ctx, to, BL_RAFT_MSG_APPEND_ENTRIES_RESULT, buf, len);
}

/* Rule 2 failed: say where our log differs from the leader's. */
static void reject(struct bl_raft *r, int to, const struct bl_raft_append_entries *m)
{
        struct bl_raft_append_entries_result res = {
            .term = r->term,
            .success = 0,
            .match = bl_raft_log_last_index(&r->log),
            .rejected = m->prev_index,
            .seq = m->seq,
            .req_term = m->term,
        };

        if (m->prev_index <= bl_raft_log_last_index(&r->log)) {
                res.conflict_term = bl_raft_log_term_of(&r->log, m->prev_index);
                res.conflict_index = bl_raft_log_first_of_term(&r->log, res.conflict_term);
                if (res.conflict_index > m->prev_index)
                        res.conflict_index = m->prev_index;
        }
        reply(r, to, &res);
}

/* Rule 3: delete the entries from `index` on. A proposal this replica
 * accepted as leader among them will not commit through it. */
static void truncate_from(struct bl_raft *r, uint64_t index)
{
        for (uint64_t i = index; i <= bl_raft_log_last_index(&r->log); i++) {
                struct bl_raft_entry *e = bl_raft_log_get(&r->log, i);

                if (e->tag != 0) {
                        uint64_t tag = e->tag;

                        e->tag = 0;
                        r->env.dropped(r->env.ctx, tag);
                }
        }
        bl_raft_log_truncate_from(&r->log, index);
        bl_raft_persist_cut(r, index);
}

/* Rules 3 and 4 for one entry at `index`; *first is lowered to `index` when
 * the log changed there. Returns 0, or 1 to stop here: out of memory (the
 * leader resends the rest), or a conflict with a committed entry, which Raft
 * rules out and we refuse to act on. */
static int store_entry(struct bl_raft *r, uint64_t index, const struct bl_raft_wire_entry *e,
                       uint64_t *first)
{
        if (index <= r->log.offset)
                return 0; /* compacted: committed, so it matches */
        if (index <= bl_raft_log_last_index(&r->log)) {
                if (bl_raft_log_term_of(&r->log, index) == e->term)
                        return 0;
                if (index <= r->commit)
                        return 1; /* would erase a committed entry: never */
                truncate_from(r, index);
        }
        if (bl_raft_log_append(&r->log, e->term, e->type, e->buf, e->len, 0) != 0)
                return 1;
        if (index < *first)
                *first = index;
        return 0;
}

int bl_raft_recv_append_entries(struct bl_raft *r, int from, const void *buf, size_t len)
{
        struct bl_raft_append_entries m;
        struct bl_raft_append_entries_result res = {0};
        struct bl_raft_wire_entry e;
        struct bl_rbuf er;
        uint64_t index, last_new, first = UINT64_MAX;

        if (bl_raft_decode_append_entries(buf, len, &m) != 0)
                return BL_EPROTO;
        /* Rule 1. */
        if (m.term < r->term) {
                res = (struct bl_raft_append_entries_result){
                    .term = r->term,
                    .match = bl_raft_log_last_index(&r->log),
                    .rejected = m.prev_index == 0 ? 1 : m.prev_index,
                    .seq = m.seq,
                    .req_term = m.term, /* the leader of m.term ignores it (encode.h) */
                };
                reply(r, from, &res);
                return 0;
        }
        bl_raft_observe_term(r, m.term);
        if (r->role == BL_RAFT_LEADER)
                return 0; /* two leaders in one term: impossible (Election Safety) */
        /* From Figure 2, Rules for Servers, Candidates: "If AppendEntries RPC
         * received from new leader: convert to follower". */
        if (r->role == BL_RAFT_CANDIDATE || r->leader != from)
                bl_raft_become_follower(r, from);
        r->last_heard_ns = bl_raft_now(r);
        bl_raft_reset_election_timer(r);

        /* Rule 2. Entries up to our compaction offset are committed, hence
         * identical to the leader's: a prevLogIndex below it matches. */
        if (m.prev_index > bl_raft_log_last_index(&r->log) ||
            (m.prev_index >= r->log.offset &&
             bl_raft_log_term_of(&r->log, m.prev_index) != m.prev_term)) {
                reject(r, from, &m);
                return 0;
        }
        /* Rules 3 and 4. */
        bl_rbuf_init(&er, m.entries, m.entries_len);
        index = m.prev_index;
        for (uint32_t k = 0; k < m.n; k++) {
                bl_raft_entries_next(&er, &e);
                if (store_entry(r, index + 1, &e, &first) != 0)
                        break;
                index++;
        }
        last_new = index;
        if (first != UINT64_MAX)
                bl_raft_persist_entries(r, first);
        /* Rule 5. "index of last new entry" is the last one this message
         * vouches for, not our last index: entries beyond it may be stale. */
        if (m.commit > r->commit) {
                uint64_t c = m.commit < last_new ? m.commit : last_new;

                if (c > r->commit)
                        r->commit = c;
        }
        bl_raft_ack_append(r, from, last_new, m.seq, m.term);
        bl_raft_apply_committed(r);
        return 0;
}
