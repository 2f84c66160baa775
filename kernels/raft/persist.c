/*
 * Persistence. From Figure 2: "Persistent state on all servers (Updated on
 * stable storage before responding to RPCs): currentTerm, votedFor, log[]".
 *
 * The kernel writes records through env->persist() and learns from
 * durable(seq) how far they reached stable storage. Nothing waits for the
 * disk: the leader sends its entries while they are being written (Section
 * 10.2.1 of the dissertation: "the leader can write to its disk in parallel
 * with replicating to the followers"), and counts its own log towards a
 * commit only up to its durable index. What depends on a record is held back
 * until it is durable, and sent from durable():
 *   - a follower acknowledges entries (AppendEntries success, matchIndex)
 *     only up to its durable index;
 *   - a vote is granted only once the vote is durable, and a candidate counts
 *     its own vote only then.
 * Other answers (rejections, heartbeat acknowledgements of entries already
 * durable, ReadIndex round echoes) depend on nothing unwritten and go at once.
 *
 * Recovery: the runtime creates a new instance and replays the durable
 * records in order (bl_raft_replay), then start()s it: the state machine is
 * rebuilt from the snapshot and entries are applied again as the leader
 * reports them committed.
 */
#include "kernels/raft/persist.h"

#include <string.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "kernels/raft/apply.h"
#include "kernels/raft/client.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/replication.h"

#define NO_VOTE 0xffffffffu

static uint32_t vote_u32(int v)
{
        return v < 0 ? NO_VOTE : (uint32_t)v;
}

/* Remember that once record `seq` is durable, the log is durable up to its
 * current end. Out of memory: fold into the newest pending record (a later
 * one), which only reports durability later than it could. */
static void pend_push(struct bl_raft *r, uint64_t seq)
{
        uint64_t last = bl_raft_log_last_index(&r->log);

        if (r->pend_n == r->pend_cap) {
                size_t cap = r->pend_cap ? 2 * r->pend_cap : 16;
                struct bl_raft_pending *p = bl_malloc(cap * sizeof(*p));

                if (p == NULL) {
                        if (r->pend_n > 0) {
                                struct bl_raft_pending *t =
                                    &r->pend[(r->pend_head + r->pend_n - 1) % r->pend_cap];

                                t->seq = seq;
                                t->last = last;
                        }
                        return;
                }
                for (size_t i = 0; i < r->pend_n; i++)
                        p[i] = r->pend[(r->pend_head + i) % r->pend_cap];
                bl_free(r->pend);
                r->pend = p;
                r->pend_cap = cap;
                r->pend_head = 0;
        }
        r->pend[(r->pend_head + r->pend_n) % r->pend_cap] = (struct bl_raft_pending){seq, last};
        r->pend_n++;
}

/* Hand a record to the storage. seq 0 means the storage failed: the runtime
 * fails the run, and we only make sure nothing is reported durable. */
static uint64_t write_record(struct bl_raft *r, int type, const void *buf, size_t len)
{
        uint64_t seq = r->env.persist(r->env.ctx, type, buf, len);

        if (seq == 0)
                return 0;
        r->persisted_seq = seq;
        return seq;
}

void bl_raft_persist_state(struct bl_raft *r)
{
        uint8_t buf[12];
        struct bl_wbuf w;
        uint64_t seq;

        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_put_u64(&w, r->term);
        bl_put_u32(&w, vote_u32(r->voted_for));
        seq = write_record(r, BL_RAFT_REC_STATE, buf, w.len);
        if (seq != 0)
                r->state_seq = seq;
}

/* Bytes of entries first..last on the wire. */
static size_t entries_size(const struct bl_raft *r, uint64_t first)
{
        size_t size = 0;

        for (uint64_t i = first; i <= bl_raft_log_last_index(&r->log); i++)
                size += BL_RAFT_WIRE_ENTRY_HEADER + bl_raft_log_get(&r->log, i)->len;
        return size;
}

static void put_entries(struct bl_wbuf *w, const struct bl_raft *r, uint64_t first)
{
        uint64_t last = bl_raft_log_last_index(&r->log);

        bl_put_u32(w, (uint32_t)(last >= first ? last - first + 1 : 0));
        for (uint64_t i = first; i <= last; i++) {
                const struct bl_raft_entry *e = bl_raft_log_get(&r->log, i);

                bl_raft_put_entry(w, e->term, e->type, e->buf, e->len);
        }
}

void bl_raft_persist_entries(struct bl_raft *r, uint64_t first)
{
        size_t size = 12 + entries_size(r, first);
        uint8_t *buf = bl_raft_out_buf(r, size);
        struct bl_wbuf w;
        uint64_t seq;

        if (buf == NULL)
                return; /* not persisted: never reported durable, never acknowledged */
        bl_wbuf_init(&w, buf, size);
        bl_put_u64(&w, first);
        put_entries(&w, r, first);
        seq = write_record(r, BL_RAFT_REC_ENTRIES, buf, w.len);
        if (seq != 0)
                pend_push(r, seq);
}

void bl_raft_persist_snapshot(struct bl_raft *r)
{
        uint64_t first = r->snap.index + 1;
        size_t size = 40 + r->snap.len + 4 + entries_size(r, first);
        uint8_t *buf = bl_raft_out_buf(r, size);
        struct bl_wbuf w;
        uint64_t seq;

        if (buf == NULL)
                return;
        bl_wbuf_init(&w, buf, size);
        bl_put_u64(&w, r->term);
        bl_put_u32(&w, vote_u32(r->voted_for));
        bl_put_u64(&w, r->snap.index);
        bl_put_u64(&w, r->snap.term);
        bl_put_u64(&w, r->snap.len);
        bl_put_bytes(&w, r->snap.buf, r->snap.len);
        put_entries(&w, r, first);
        seq = write_record(r, BL_RAFT_REC_SNAPSHOT, buf, w.len);
        if (seq == 0)
                return;
        r->state_seq = seq;
        r->snap_seq = seq;
        pend_push(r, seq);
}

void bl_raft_persist_cut(struct bl_raft *r, uint64_t index)
{
        uint64_t keep = index > 0 ? index - 1 : 0;

        if (r->durable_index > keep)
                r->durable_index = keep;
        for (size_t i = 0; i < r->pend_n; i++) {
                struct bl_raft_pending *p = &r->pend[(r->pend_head + i) % r->pend_cap];

                if (p->last > keep)
                        p->last = keep;
        }
        /* An acknowledgement waiting for entries that are gone is void. */
        if (r->ack.to >= 0 && r->ack.match > keep)
                r->ack.to = -1;
}

/* ---- answers that waited for durability ---- */

static void send_ack(struct bl_raft *r, uint64_t match)
{
        struct bl_raft_append_entries_result res = {
            .term = r->term,
            .success = 1,
            .match = match,
            .seq = r->ack.seq,
            .req_term = r->ack.term,
        };
        uint8_t buf[64];
        size_t len = bl_raft_encode_append_entries_result(&res, buf, sizeof(buf));

        r->env.send(r->env.ctx, r->ack.to, BL_RAFT_MSG_APPEND_ENTRIES_RESULT, buf, len);
        r->ack.sent = match;
}

void bl_raft_ack_append(struct bl_raft *r, int to, uint64_t match, uint64_t seq, uint64_t req_term)
{
        if (r->ack.to != to || r->ack.term != req_term) {
                r->ack.to = to;
                r->ack.term = req_term;
                r->ack.match = 0;
                r->ack.seq = 0;
                r->ack.sent = 0;
        }
        if (seq > r->ack.seq)
                r->ack.seq = seq;
        if (r->durable_index >= match) {
                /* Durable already (a heartbeat, or a duplicate): answer now.
                 * An acknowledgement still waiting for more keeps waiting. */
                uint64_t m =
                    r->ack.match > match && r->durable_index >= r->ack.match ? r->ack.match : match;

                send_ack(r, m);
                if (m >= r->ack.match)
                        r->ack.to = -1;
                return;
        }
        if (match > r->ack.match)
                r->ack.match = match;
}

/* Acknowledge what became durable of what the leader sent. */
static void ack_progress(struct bl_raft *r)
{
        uint64_t m;

        if (r->ack.to < 0)
                return;
        if (r->term != r->ack.term || r->role != BL_RAFT_FOLLOWER || r->leader != r->ack.to) {
                r->ack.to = -1; /* the leader of that term is not ours any more */
                return;
        }
        m = r->durable_index < r->ack.match ? r->durable_index : r->ack.match;
        if (m <= r->ack.sent)
                return;
        send_ack(r, m);
        if (m >= r->ack.match)
                r->ack.to = -1;
}

static void vote_progress(struct bl_raft *r)
{
        struct bl_raft_request_vote_result res = {.term = r->term, .granted = 1};
        uint8_t buf[16];
        size_t len;

        if (r->vote.to < 0 || !bl_raft_state_durable(r))
                return;
        if (r->vote.term == r->term && r->voted_for == r->vote.to) {
                len = bl_raft_encode_request_vote_result(&res, buf, sizeof(buf));
                r->env.send(r->env.ctx, r->vote.to, BL_RAFT_MSG_REQUEST_VOTE_RESULT, buf, len);
        }
        r->vote.to = -1;
}

void bl_raft_durable(void *k, uint64_t seq)
{
        struct bl_raft *r = k;

        if (seq > r->persisted_seq)
                seq = r->persisted_seq;
        if (seq <= r->durable_seq)
                return;
        r->durable_seq = seq;
        while (r->pend_n > 0 && r->pend[r->pend_head].seq <= seq) {
                r->durable_index = r->pend[r->pend_head].last;
                r->pend_head = (r->pend_head + 1) % r->pend_cap;
                r->pend_n--;
        }
        if (r->snap_seq != 0 && r->snap_seq <= seq) {
                /* The snapshot record says everything the ones before it
                 * said: the storage may drop them. */
                r->env.compact(r->env.ctx, r->snap_seq - 1);
                r->snap_seq = 0;
        }
        if (bl_raft_state_durable(r)) {
                vote_progress(r);
                /* A candidate's own vote counts once it is durable. */
                if (r->role == BL_RAFT_CANDIDATE && !r->in_prevote && r->voted_for == r->g.self)
                        bl_raft_election_tally(r, r->g.self);
        }
        ack_progress(r);
        if (r->role == BL_RAFT_LEADER) {
                bl_raft_commit_advance(r);
                bl_raft_reads_progress(r);
        }
}

/* ---- recovery ---- */

/* Read n entries into the log after index first - 1, truncating what follows.
 * Entries at or below the snapshot are already covered and skipped. */
static int replay_entries(struct bl_raft *r, struct bl_rbuf *rb, uint64_t first)
{
        uint32_t n = bl_get_u32(rb);
        struct bl_raft_wire_entry e;

        if (!rb->ok || first == 0 || first > bl_raft_log_last_index(&r->log) + 1)
                return BL_EPROTO; /* a hole in the log */
        if (first <= bl_raft_log_last_index(&r->log) && first > r->log.offset)
                bl_raft_log_truncate_from(&r->log, first);
        for (uint32_t i = 0; i < n; i++) {
                uint64_t index = first + i;

                if (bl_raft_entries_next(rb, &e) != 0)
                        return BL_EPROTO;
                if (e.type != BL_RAFT_ENTRY_CMD && e.type != BL_RAFT_ENTRY_NOOP)
                        return BL_EPROTO;
                if (index <= bl_raft_log_last_index(&r->log))
                        continue; /* compacted into the snapshot */
                if (bl_raft_log_append(&r->log, e.term, e.type, e.buf, e.len, 0) != 0)
                        return BL_ENOMEM;
        }
        return 0;
}

static int replay_vote(struct bl_raft *r, uint32_t v)
{
        if (v != NO_VOTE && v >= (uint32_t)r->g.nmembers)
                return BL_EPROTO;
        r->voted_for = v == NO_VOTE ? -1 : (int)v;
        return 0;
}

static int replay_snapshot(struct bl_raft *r, struct bl_rbuf *rb)
{
        uint64_t term = bl_get_u64(rb);
        uint32_t vote = bl_get_u32(rb);
        uint64_t index = bl_get_u64(rb), snap_term = bl_get_u64(rb), len = bl_get_u64(rb);
        const uint8_t *data;
        void *copy = NULL;

        if (!rb->ok || len > rb->len - rb->off || replay_vote(r, vote) != 0 || term < snap_term)
                return BL_EPROTO;
        data = bl_get_bytes(rb, (size_t)len);
        if (len > 0) {
                copy = bl_malloc((size_t)len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, data, (size_t)len);
        }
        r->term = term;
        bl_free(r->snap.buf);
        r->snap.buf = copy;
        r->snap.len = (size_t)len;
        r->snap.index = index;
        r->snap.term = snap_term;
        bl_raft_log_reset(&r->log, index, snap_term);
        return replay_entries(r, rb, index + 1);
}

int bl_raft_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_raft *r = k;
        struct bl_rbuf rb;
        int rc;

        bl_rbuf_init(&rb, buf, len);
        switch (type) {
        case BL_RAFT_REC_STATE: {
                uint64_t term = bl_get_u64(&rb);
                uint32_t vote = bl_get_u32(&rb);

                if (!rb.ok || term < r->term)
                        return BL_EPROTO;
                r->term = term;
                rc = replay_vote(r, vote);
                break;
        }
        case BL_RAFT_REC_ENTRIES: {
                uint64_t first = bl_get_u64(&rb);

                rc = rb.ok ? replay_entries(r, &rb, first) : BL_EPROTO;
                break;
        }
        case BL_RAFT_REC_SNAPSHOT:
                rc = replay_snapshot(r, &rb);
                break;
        default:
                return BL_EPROTO;
        }
        if (rc == 0 && !bl_rbuf_done(&rb))
                rc = BL_EPROTO;
        if (rc != 0)
                return rc;
        r->persisted_seq = r->durable_seq = r->state_seq = seq;
        return 0;
}

void bl_raft_start(void *k)
{
        struct bl_raft *r = k;

        /* Everything replayed is durable; committed entries after the
         * snapshot are applied again once a leader reports them committed. */
        r->durable_index = bl_raft_log_last_index(&r->log);
        r->commit = r->snap.index;
        r->applied = r->snap.index;
        r->env.restore(r->env.ctx, r->snap.buf, r->snap.len);
        r->election_deadline_ns = UINT64_MAX; /* armed by the first tick */
}
