/*
 * Phase 2, leader side.
 *
 * From "Paxos Made Moderately Complex" (the commander): "a commander sends
 * a p2a message [...] to all acceptors, and waits for p2b responses from a
 * majority", and "once a commander receives [them], it [...] knows that the
 * command has been decided". Here one Accept carries up to max_batch
 * consecutive slots (and at most BL_PAXOS_MAX_MSG_BYTES of values), up to
 * `pipeline` batches are in flight at a time, and with batch_delay a
 * partial batch waits until its oldest command is that old. max_batch = 1
 * and pipeline = 1 give one slot per round trip.
 *
 * The leader is also an acceptor: its acceptance of a batch is the ACCEPT
 * record it persists when sending it, and it counts only once durable. A
 * slot is chosen when q2 members accepted it in our ballot (q2 = majority,
 * or paxos.phase2_quorum with flexible quorums). Chosen slots reach the
 * other learners piggybacked: every Accept and heartbeat carries the commit
 * point ("Paxos Made Live", Section 4.1: the coordinator "broadcasts a
 * commit message", which can ride on the next message).
 *
 * Lost messages: an acceptor that acknowledges a later batch but not an
 * earlier one lost that Accept or its answer (links deliver in order), and
 * gets the earlier slots again at once, as TCP's fast retransmit does;
 * slots nobody acknowledged are sent again after two heartbeats. Without
 * that, one lost batch would hold the commit point, and with it the whole
 * pipeline, for the resend period.
 */
#include "kernels/paxos/phase2.h"

#include "common/wire.h"
#include "kernels/paxos/client.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"
#include "kernels/paxos/transfer.h"

uint64_t bl_paxos_quorum_value(const struct bl_paxos *p, const uint64_t *v, int q)
{
        uint64_t s[BL_PAXOS_MAX_MEMBERS];
        int n = p->g.nmembers;

        /* Insertion sort, descending: n <= 64 and usually 3..9. */
        for (int i = 0; i < n; i++) {
                int j = i;

                while (j > 0 && s[j - 1] < v[i]) {
                        s[j] = s[j - 1];
                        j--;
                }
                s[j] = v[i];
        }
        return s[q - 1];
}

/* Last slot of a batch from `first`: at most max slots and
 * BL_PAXOS_MAX_MSG_BYTES of values, at least one slot. */
static uint64_t batch_end(const struct bl_paxos *p, uint64_t first, uint64_t last, int max)
{
        uint64_t end = first - 1;
        size_t bytes = 0;

        while (end < last && end - (first - 1) < (uint64_t)max) {
                const struct bl_paxos_slot *s = bl_paxos_log_get(&p->log, end + 1);

                if (end >= first && bytes + s->len > BL_PAXOS_MAX_MSG_BYTES)
                        break;
                bytes += BL_PAXOS_WIRE_VALUE + s->len;
                end++;
        }
        return end;
}

/* Encode an Accept of slots first..last (none when last < first) into the
 * scratch buffer. Returns its length, 0 on allocation failure. */
static size_t encode_accept(struct bl_paxos *p, uint64_t first, uint64_t last)
{
        struct bl_paxos_accept m = {
            .ballot = p->ballot,
            .commit = p->commit,
            .round = p->read_round,
            .first = last >= first ? first : 0,
            .n = last >= first ? (uint32_t)(last - first + 1) : 0,
        };
        size_t size = BL_PAXOS_ACCEPT_HEADER;
        struct bl_wbuf w;
        uint8_t *buf;

        for (uint64_t s = first; s <= last; s++)
                size += BL_PAXOS_WIRE_VALUE + bl_paxos_log_get(&p->log, s)->len;
        buf = bl_paxos_out_buf(p, size);
        if (buf == NULL)
                return 0;
        bl_wbuf_init(&w, buf, size);
        bl_paxos_put_accept(&w, &m);
        for (uint64_t s = first; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                bl_paxos_put_value(&w, sl->type, sl->buf, sl->len);
        }
        return w.ok ? w.len : 0;
}

static void broadcast(struct bl_paxos *p, int type, const void *buf, size_t len)
{
        for (int i = 0; i < p->g.nmembers; i++)
                if (i != p->g.self)
                        p->env.send(p->env.ctx, i, type, buf, len);
        p->last_hb_ns = bl_paxos_now(p);
}

/* Persist and broadcast slots first..last (our acceptance, then theirs). */
static int send_new(struct bl_paxos *p, uint64_t first, uint64_t last)
{
        size_t len = encode_accept(p, first, last);
        uint64_t seq, now = bl_paxos_now(p);

        if (len == 0)
                return BL_ENOMEM;
        seq = bl_paxos_persist_accept(p, p->out, len);
        for (uint64_t s = first; s <= last; s++) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                sl->seq = seq;
                sl->sent_ns = now;
                sl->acks = 0;
        }
        broadcast(p, BL_PAXOS_MSG_ACCEPT, p->out, len);
        p->next_send = last + 1;
        return 0;
}

void bl_paxos_send_reproposals(struct bl_paxos *p, uint64_t end)
{
        while (p->next_send <= end) {
                uint64_t last = batch_end(p, p->next_send, end, p->max_batch);

                if (send_new(p, p->next_send, last) != 0)
                        return;
        }
}

/* Whether a batch from next_send should go out now. */
static int batch_ready(const struct bl_paxos *p, uint64_t now, int force)
{
        uint64_t last = bl_paxos_log_last(&p->log);

        if (p->next_send > last)
                return 0;
        if (force || p->batch_delay_ns == 0 || last - p->next_send + 1 >= (uint64_t)p->max_batch)
                return 1;
        return bl_paxos_log_get(&p->log, p->next_send)->born_ns + p->batch_delay_ns <= now;
}

void bl_paxos_send_batches(struct bl_paxos *p, int force)
{
        uint64_t now = bl_paxos_now(p);

        if (p->role != BL_PAXOS_LEADER)
                return;
        while (p->inflight < p->pipeline && batch_ready(p, now, force)) {
                uint64_t first = p->next_send;
                uint64_t last = batch_end(p, first, bl_paxos_log_last(&p->log), p->max_batch);

                if (send_new(p, first, last) != 0)
                        return;
                p->inflight_end[(p->inflight_front + p->inflight) % p->pipeline] = last;
                p->inflight++;
        }
}

void bl_paxos_heartbeat(struct bl_paxos *p)
{
        size_t len;

        if (p->role != BL_PAXOS_LEADER)
                return;
        len = encode_accept(p, 1, 0);
        if (len != 0)
                broadcast(p, BL_PAXOS_MSG_ACCEPT, p->out, len);
}

void bl_paxos_resend(struct bl_paxos *p)
{
        uint64_t now = bl_paxos_now(p), stale = 2 * p->heartbeat_ns;
        uint64_t first = p->commit + 1, end = p->next_send - 1, limit;

        if (p->role != BL_PAXOS_LEADER || first > end)
                return;
        limit = (uint64_t)p->max_batch * (uint64_t)p->pipeline;
        if (end - first + 1 > limit)
                end = first + limit - 1;
        for (int i = 0; i < p->g.nmembers; i++) {
                uint64_t bit = UINT64_C(1) << i, s = first;

                if (i == p->g.self)
                        continue;
                while (s <= end) {
                        const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);
                        uint64_t last;
                        size_t len;

                        if ((sl->acks & bit) || now - sl->sent_ns < stale) {
                                s++;
                                continue;
                        }
                        last = batch_end(p, s, end, p->max_batch);
                        len = encode_accept(p, s, last);
                        if (len == 0)
                                return;
                        p->env.send(p->env.ctx, i, BL_PAXOS_MSG_ACCEPT, p->out, len);
                        s = last + 1;
                }
        }
        for (uint64_t s = first; s <= end; s++) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (now - sl->sent_ns >= stale)
                        sl->sent_ns = now;
        }
}

void bl_paxos_fast_resend(struct bl_paxos *p, int to, uint64_t first)
{
        uint64_t bit = UINT64_C(1) << to, now = bl_paxos_now(p), s, last;
        size_t len;

        for (s = p->commit + 1; s < first; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl != NULL && sl->ballot == p->ballot && !(sl->acks & bit))
                        break;
        }
        if (s >= first)
                return;
        /* The same slots at most once per quarter heartbeat: answers that
         * overtake each other (or duplicates) would ask again; the periodic
         * resend covers what is still missing after that. */
        if (p->peers[to].fast_slot == s && now - p->peers[to].fast_ns < p->heartbeat_ns / 4)
                return;
        last = batch_end(p, s, first - 1, p->max_batch);
        len = encode_accept(p, s, last);
        if (len == 0)
                return;
        p->env.send(p->env.ctx, to, BL_PAXOS_MSG_ACCEPT, p->out, len);
        p->peers[to].fast_slot = s;
        p->peers[to].fast_ns = now;
}

static int chosen(const struct bl_paxos *p, const struct bl_paxos_slot *sl)
{
        uint64_t acks = sl->acks;

        if (sl->seq != 0 && sl->seq <= p->durable_seq)
                acks |= UINT64_C(1) << p->g.self;
        return bl_paxos_popcount(acks) >= p->q2;
}

void bl_paxos_commit_advance(struct bl_paxos *p)
{
        uint64_t before = p->commit;

        if (p->role != BL_PAXOS_LEADER)
                return;
        while (p->commit + 1 < p->next_send) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, p->commit + 1);

                if (sl == NULL || sl->ballot != p->ballot || !chosen(p, sl))
                        break;
                p->commit++;
        }
        if (p->commit == before)
                return;
        p->last_commit_ns = bl_paxos_now(p);
        while (p->inflight > 0 && p->inflight_end[p->inflight_front] <= p->commit) {
                p->inflight_front = (p->inflight_front + 1) % p->pipeline;
                p->inflight--;
        }
        bl_paxos_apply_chosen(p);
        if (p->role != BL_PAXOS_LEADER)
                return;
        bl_paxos_transfer_progress(p);
        bl_paxos_send_batches(p, 0);
}
