/*
 * Log replication, leader side (Section 5.3).
 *
 * From Figure 2, Rules for Servers, Leaders: "If last log index >= nextIndex
 * for a follower: send AppendEntries RPC with log entries starting at
 * nextIndex. If successful: update nextIndex and matchIndex for follower. If
 * AppendEntries fails because of log inconsistency: decrement nextIndex and
 * retry."
 *
 * Each follower is in one of three modes (internal.h). In PROBE the leader
 * sends one AppendEntries at a time and moves nextIndex only on success, so a
 * mismatch costs one round trip per conflicting term (with the follower's
 * conflict hint). In PIPELINE, "the leader can send multiple AppendEntries
 * requests without waiting" (dissertation Section 10.2.1): nextIndex advances
 * as messages go out, up to cfg pipeline messages in flight; a rejection or a
 * stall drops back to PROBE from matchIndex + 1. pipeline = 1 and
 * max_batch = 1 give the plain algorithm of the paper.
 *
 * Heartbeats in PIPELINE mode use prevLogIndex = matchIndex, which the
 * follower is known to hold, so they never disturb the pipeline. Every
 * AppendEntries carries the leader's latest ReadIndex round (seq); the
 * follower echoes it, and a majority of echoes >= n confirms round n.
 */
#include "kernels/raft/replication.h"

#include "common/wire.h"
#include "kernels/raft/apply.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/snapshot.h"
#include "kernels/raft/transfer.h"

void bl_raft_progress_reset(struct bl_raft *r)
{
        uint64_t now = bl_raft_now(r);
        uint64_t next = bl_raft_log_last_index(&r->log) + 1;

        for (int i = 0; i < r->g.nmembers; i++) {
                struct bl_raft_progress *p = &r->peers[i];

                p->next = next;
                p->match = 0;
                p->mode = BL_RAFT_PROBE;
                p->inflight = 0;
                p->inflight_front = 0;
                p->snapshot_index = 0;
                p->last_send_ns = now;
                p->last_progress_ns = now;
                /* A new leader gives every follower one election timeout to
                 * answer before counting it absent (Section 6.2). */
                p->last_contact_ns = now;
                p->acked_seq = 0;
        }
}

uint64_t bl_raft_quorum_value(const struct bl_raft *r, const uint64_t *v)
{
        uint64_t s[BL_RAFT_MAX_MEMBERS];
        int n = r->g.nmembers;

        /* Insertion sort, descending: n <= 64 and usually 3..9. */
        for (int i = 0; i < n; i++) {
                int j = i;

                while (j > 0 && s[j - 1] < v[i]) {
                        s[j] = s[j - 1];
                        j--;
                }
                s[j] = v[i];
        }
        return s[r->quorum - 1];
}

/* Last index of the batch starting at `next`: at most max_batch entries and
 * BL_RAFT_MAX_MSG_BYTES of payload, but at least one entry. */
static uint64_t batch_end(const struct bl_raft *r, uint64_t next)
{
        uint64_t last = bl_raft_log_last_index(&r->log);
        uint64_t end = next - 1;
        size_t bytes = 0;

        while (end < last && end - (next - 1) < (uint64_t)r->max_batch) {
                const struct bl_raft_entry *e = bl_raft_log_get(&r->log, end + 1);

                if (end >= next && bytes + e->len > BL_RAFT_MAX_MSG_BYTES)
                        break;
                bytes += BL_RAFT_WIRE_ENTRY_HEADER + e->len;
                end++;
        }
        return end;
}

/* Whether a batch for a follower at `next` should go out now. With
 * batch_delay, a partial batch waits until its oldest entry is that old. */
static int batch_ready(const struct bl_raft *r, uint64_t next, uint64_t now, int force)
{
        uint64_t last = bl_raft_log_last_index(&r->log);
        const struct bl_raft_entry *e;

        if (next > last)
                return 0;
        if (force || r->batch_delay_ns == 0 || last - next + 1 >= (uint64_t)r->max_batch)
                return 1;
        e = bl_raft_log_get(&r->log, next);
        return e->born_ns + r->batch_delay_ns <= now;
}

/* Send AppendEntries with entries prev+1..end (none when end == prev). The
 * caller guarantees prev >= log offset, so its term is known. Returns 0 or
 * BL_ENOMEM. */
static int send_append(struct bl_raft *r, int i, uint64_t prev, uint64_t end)
{
        struct bl_raft_append_entries m = {
            .term = r->term,
            .prev_index = prev,
            .prev_term = bl_raft_log_term_of(&r->log, prev),
            .commit = r->commit,
            .seq = r->read_round,
            .n = (uint32_t)(end - prev),
        };
        size_t size = BL_RAFT_APPEND_ENTRIES_HEADER;
        struct bl_wbuf w;
        uint8_t *buf;

        for (uint64_t k = prev + 1; k <= end; k++)
                size += BL_RAFT_WIRE_ENTRY_HEADER + bl_raft_log_get(&r->log, k)->len;
        buf = bl_raft_out_buf(r, size);
        if (buf == NULL)
                return BL_ENOMEM;
        bl_wbuf_init(&w, buf, size);
        bl_raft_put_append_entries(&w, &m);
        for (uint64_t k = prev + 1; k <= end; k++) {
                const struct bl_raft_entry *e = bl_raft_log_get(&r->log, k);

                bl_raft_put_entry(&w, e->term, e->type, e->buf, e->len);
        }
        r->env.send(r->env.ctx, i, BL_RAFT_MSG_APPEND_ENTRIES, buf, w.len);
        r->peers[i].last_send_ns = bl_raft_now(r);
        return 0;
}

static void send_heartbeat(struct bl_raft *r, int i, uint64_t prev)
{
        if (prev < r->log.offset)
                prev = r->log.offset;
        send_append(r, i, prev, prev);
}

static void replicate_pipeline(struct bl_raft *r, int i, int force, uint64_t now)
{
        struct bl_raft_progress *p = &r->peers[i];
        int sent = 0;

        while (p->inflight < r->pipeline && batch_ready(r, p->next, now, force)) {
                uint64_t end = batch_end(r, p->next);

                if (send_append(r, i, p->next - 1, end) != 0)
                        return;
                if (p->inflight == 0)
                        p->last_progress_ns = now;
                p->inflight_last[(p->inflight_front + p->inflight) % r->pipeline] = end;
                p->inflight++;
                p->next = end + 1;
                sent = 1;
        }
        if (!sent && (force || now - p->last_send_ns >= r->heartbeat_ns))
                send_heartbeat(r, i, p->match);
}

void bl_raft_replicate(struct bl_raft *r, int i, int force)
{
        struct bl_raft_progress *p = &r->peers[i];
        uint64_t now = bl_raft_now(r);
        int hb_due = force || now - p->last_send_ns >= r->heartbeat_ns;

        if (r->role != BL_RAFT_LEADER || i == r->g.self)
                return;
        if (p->mode == BL_RAFT_SNAPSHOT) {
                /* Resend a snapshot that got no answer within an election
                 * timeout; heartbeat meanwhile so the follower keeps us as
                 * leader and ReadIndex rounds see it. */
                if (now - p->last_progress_ns >= r->election_ns)
                        bl_raft_snapshot_send(r, i);
                else if (hb_due)
                        send_heartbeat(r, i, r->log.offset);
                return;
        }
        if (p->next <= r->log.offset) {
                /* From Section 7 (Figure 13): the leader "must occasionally
                 * send snapshots to followers that lag behind", when it has
                 * already discarded the next log entry it needs to send. */
                bl_raft_snapshot_send(r, i);
                return;
        }
        if (p->mode == BL_RAFT_PROBE) {
                if (p->inflight == 0 || hb_due) {
                        uint64_t end = p->next <= bl_raft_log_last_index(&r->log)
                                           ? batch_end(r, p->next)
                                           : p->next - 1;

                        if (send_append(r, i, p->next - 1, end) == 0) {
                                p->inflight = 1;
                                p->last_progress_ns = now;
                        }
                }
                return;
        }
        replicate_pipeline(r, i, force, now);
}

void bl_raft_replicate_all(struct bl_raft *r, int force)
{
        for (int i = 0; i < r->g.nmembers && r->role == BL_RAFT_LEADER; i++)
                if (i != r->g.self)
                        bl_raft_replicate(r, i, force);
}

void bl_raft_commit_advance(struct bl_raft *r)
{
        uint64_t v[BL_RAFT_MAX_MEMBERS];
        uint64_t n;

        if (r->role != BL_RAFT_LEADER)
                return;
        for (int i = 0; i < r->g.nmembers; i++)
                v[i] = i == r->g.self ? r->durable_index : r->peers[i].match; /* persist.c */
        n = bl_raft_quorum_value(r, v);
        /* From Section 5.4.2: "Raft never commits log entries from previous
         * terms by counting replicas. Only log entries from the leader's
         * current term are committed by counting replicas; once an entry
         * from the current term has been committed in this way, then all
         * prior entries are committed indirectly because of the Log Matching
         * Property." (Figure 8 shows why.) */
        if (n <= r->commit || bl_raft_log_term_of(&r->log, n) != r->term)
                return;
        r->commit = n;
        bl_raft_apply_committed(r);
}

void bl_raft_progress_matched(struct bl_raft *r, int i, uint64_t match)
{
        struct bl_raft_progress *p = &r->peers[i];
        uint64_t now = bl_raft_now(r);

        if (match > p->match) {
                p->match = match;
                p->last_progress_ns = now;
        }
        if (p->next <= p->match)
                p->next = p->match + 1;
        switch (p->mode) {
        case BL_RAFT_PROBE:
                /* The logs agree up to match: start pipelining from there. */
                p->mode = BL_RAFT_PIPELINE;
                p->inflight = 0;
                p->inflight_front = 0;
                p->next = p->match + 1;
                break;
        case BL_RAFT_SNAPSHOT:
                /* Only an answer that covers what we compacted ends the
                 * snapshot transfer; an older success would send it again. */
                if (p->match >= r->log.offset) {
                        p->mode = BL_RAFT_PIPELINE;
                        p->inflight = 0;
                        p->inflight_front = 0;
                        p->next = p->match + 1;
                }
                break;
        default:
                while (p->inflight > 0 && p->inflight_last[p->inflight_front] <= p->match) {
                        p->inflight_front = (p->inflight_front + 1) % r->pipeline;
                        p->inflight--;
                        p->last_progress_ns = now;
                }
                break;
        }
        bl_raft_commit_advance(r);
        if (r->role != BL_RAFT_LEADER)
                return;
        bl_raft_transfer_progress(r, i);
        bl_raft_replicate(r, i, 0);
}
